"""``fastemb fasttext``: fastText's own command line, so that its shell
scripts run with ``fasttext`` replaced by ``fastemb fasttext``::

    fastemb fasttext supervised -input train.txt -output model -lr 1.0 -epoch 25 -wordNgrams 2
    fastemb fasttext supervised -input train.txt -output model -autotune-validation valid.txt
    fastemb fasttext test model.bin test.txt [k] [threshold]
    fastemb fasttext test-label model.bin test.txt [k] [threshold]
    fastemb fasttext predict[-prob] model.bin test.txt|- [k] [threshold]
    fastemb fasttext quantize -output model -input train.txt -qnorm -retrain -cutoff 100000
    fastemb fasttext skipgram|cbow -input data.txt -output model
    fastemb fasttext print-word-vectors|print-sentence-vectors model.bin < input
    fastemb fasttext nn|analogies model.bin [k] < queries

Training writes ``OUTPUT.bin`` and ``OUTPUT.vec``, as fastText does; the
printed figures take fastText's layout.
"""
import argparse
import math
import os
import shutil
import sys
import tempfile

import numpy as np

from fastemb.fasttext.api import load_model, train_supervised, train_unsupervised

__all__ = ["add_parser", "run", "COMMANDS"]

COMMANDS = ("supervised", "skipgram", "cbow", "quantize", "test", "test-label", "predict",
            "predict-prob", "print-word-vectors", "print-sentence-vectors", "nn", "analogies")
def _table(kinds, **renamed):
    """Flag name -> (keyword, kind) for names grouped by kind."""
    table = {name: (name, kind) for kind, names in kinds.items() for name in names}
    table.update(renamed)
    return table


#: fastText's training flags: -name value, keywords of train_supervised
TRAINING_FLAGS = _table(
    {int: ("dim", "ws", "epoch", "minCount", "minCountLabel", "minn", "maxn", "neg",
           "wordNgrams", "bucket", "thread", "lrUpdateRate", "verbose", "seed"),
     float: ("lr", "t"), str: ("input", "output", "loss", "label", "pretrainedVectors")},
    **{"autotune-validation": ("autotuneValidationFile", str),
       "autotune-metric": ("autotuneMetric", str),
       "autotune-predictions": ("autotunePredictions", int),
       "autotune-duration": ("autotuneDuration", int),
       "autotune-modelsize": ("autotuneModelSize", str)})
#: quantize's flags; the bool ones take no value
QUANTIZE_FLAGS = _table({int: ("cutoff", "dsub", "epoch", "thread", "verbose"), float: ("lr",),
                         str: ("input", "output"), bool: ("qnorm", "retrain", "qout")})


def _flags(words, table, command, required):
    """fastText's ``-name value`` (and ``-switch``) flags as keyword
    arguments.

    Raises
    ------
    ValueError
        An unknown flag, a flag without its value, a value of the wrong
        kind, or a required flag missing.
    """
    flags = {}
    i = 0
    while i < len(words):
        flag = words[i]
        entry = table.get(flag[1:]) if flag.startswith("-") else None
        if entry is None:
            raise ValueError(f"unknown argument {flag!r} ({command}'s flags: "
                             f"{', '.join('-' + name for name in sorted(table))})")
        keyword, kind = entry
        if kind is bool:
            flags[keyword] = True
            i += 1
            continue
        if i + 1 >= len(words):
            raise ValueError(f"{flag} needs a value")
        flags[keyword] = words[i + 1] if kind is str else _number(words[i + 1], kind, flag)
        i += 2
    for needed in required:
        if needed not in flags:
            raise ValueError(f"-{needed} is required")
    return flags


def _number(text, kind, what):
    try:
        return kind(text)
    except ValueError:
        raise ValueError(f"{what} takes a number, got {text!r}") from None


def _format_vector(vector):
    return " ".join(f"{x:.5g}" for x in np.asarray(vector, dtype=np.float64))


def _save_vectors(model, path):
    """``OUTPUT.vec``: every word's vector, fastText's text layout."""
    words = model.get_words()
    with open(path, "w", encoding="utf-8") as out:
        out.write(f"{len(words)} {model.get_dimension()}\n")
        for word in words:
            out.write(f"{word} {_format_vector(model.get_word_vector(word))}\n")


def _train(command, words):
    flags = _flags(words, TRAINING_FLAGS, command, ("input", "output"))
    output = flags.pop("output")
    if command == "supervised":
        model = train_supervised(**flags)
    else:
        model = train_unsupervised(model=command, **flags)
    model.save_model(output + ".bin")
    _save_vectors(model, output + ".vec")
    return 0


def _k_threshold(words, at):
    k = _number(words[at], int, "k") if len(words) > at else 1
    threshold = _number(words[at + 1], float, "threshold") if len(words) > at + 1 else 0.0
    return k, threshold


def _metric(value):
    return f"{value:.6f}" if math.isfinite(value) else "--------"


def _test(command, words):
    if not 2 <= len(words) <= 4:
        raise ValueError(f"usage: fastemb fasttext {command} MODEL TEST_FILE [k] [threshold]")
    model = load_model(words[0])
    k, threshold = _k_threshold(words, 2)
    if words[1] == "-":  # the test lines on standard input
        with tempfile.NamedTemporaryFile("wb", suffix=".txt", delete=False) as copy:
            shutil.copyfileobj(getattr(sys.stdin, "buffer", sys.stdin), copy)
        try:
            return _report(command, model, copy.name, k, threshold)
        finally:
            os.unlink(copy.name)
    return _report(command, model, words[1], k, threshold)


def _report(command, model, test_file, k, threshold):
    if command == "test-label":
        for label, metrics in model.test_label(test_file, k, threshold).items():
            print(f"F1-Score : {_metric(metrics['f1score'])}  Precision : "
                  f"{_metric(metrics['precision'])}  Recall : {_metric(metrics['recall'])}"
                  f"   {label}")
    n, precision, recall = model.test(test_file, k, threshold)
    print(f"N\t{n}\nP@{k}\t{precision:.3g}\nR@{k}\t{recall:.3g}")
    return 0


def _predict(command, words):
    if not 2 <= len(words) <= 4:
        raise ValueError(f"usage: fastemb fasttext {command} MODEL INPUT|- [k] [threshold]")
    model = load_model(words[0])
    k, threshold = _k_threshold(words, 2)
    if words[1] == "-":
        lines = [line.rstrip("\n") for line in sys.stdin]
    else:
        with open(words[1], encoding="utf-8", errors="surrogateescape") as handle:
            lines = [line.rstrip("\n") for line in handle]
    labels, probabilities = model.predict(lines, k=k, threshold=threshold)
    for line_labels, line_probabilities in zip(labels, probabilities):
        if command == "predict-prob":
            print(" ".join(f"{label} {p:.5g}" for label, p in zip(line_labels,
                                                                  line_probabilities)))
        else:
            print(" ".join(line_labels))
    return 0


def _print_vectors(command, words):
    if len(words) != 1:
        raise ValueError(f"usage: fastemb fasttext {command} MODEL < input")
    model = load_model(words[0])
    if command == "print-word-vectors":
        for word in sys.stdin.read().split():
            print(f"{word} {_format_vector(model.get_word_vector(word))}")
    else:
        for line in sys.stdin:
            print(_format_vector(model.get_sentence_vector(line.rstrip("\n"))))
    return 0


def _queries(command, words):
    if not 1 <= len(words) <= 2:
        raise ValueError(f"usage: fastemb fasttext {command} MODEL [k] < queries")
    model = load_model(words[0])
    k = _number(words[1], int, "k") if len(words) > 1 else 10
    for line in sys.stdin:
        query = line.split()
        if command == "nn" and len(query) == 1:
            results = model.get_nearest_neighbors(query[0], k)
        elif command == "analogies" and len(query) == 3:
            results = model.get_analogies(*query, k=k)
        else:
            print(f"give {'one word' if command == 'nn' else 'three words (A B C)'} a line",
                  file=sys.stderr)
            continue
        for score, word in results:
            print(f"{word} {score:.5g}")
    return 0


def _quantize(words):
    """``quantize -output MODEL``: MODEL.bin in, MODEL.ftz out."""
    flags = _flags(words, QUANTIZE_FLAGS, "quantize", ("output",))
    output = flags.pop("output")
    flags.pop("verbose", None)
    model = load_model(output + ".bin")
    model.quantize(**flags)
    model.save_model(output + ".ftz")
    return 0


def run(args):
    """Carry out ``fastemb fasttext`` as ``args`` ask; returns the exit status."""
    command, words = args.fasttext_command, args.arguments
    if command in ("supervised", "skipgram", "cbow"):
        return _train(command, words)
    if command == "quantize":
        return _quantize(words)
    if command in ("test", "test-label"):
        return _test(command, words)
    if command in ("predict", "predict-prob"):
        return _predict(command, words)
    if command in ("print-word-vectors", "print-sentence-vectors"):
        return _print_vectors(command, words)
    return _queries(command, words)


def add_parser(subparsers):
    """Add the ``fasttext`` command to ``subparsers``."""
    parser = subparsers.add_parser(
        "fasttext", help="fastText's command line (supervised, test, predict, ...)",
        description=__doc__.split("\n\n")[0])
    parser.add_argument("fasttext_command", choices=COMMANDS, metavar="command",
                        help=", ".join(COMMANDS))
    parser.add_argument("arguments", nargs=argparse.REMAINDER,
                        help="fastText's arguments for the command")
    parser.set_defaults(handler=run)
