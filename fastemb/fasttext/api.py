"""fastText's module functions: training, loading and tokenizing, with its
argument names (positional order included), defaults and errors."""
import itertools
import os

from fastemb.corpus.labelled import EOS, TokenTable, read_documents
from fastemb.corpus.labelled import tokenize as _tokenize
from fastemb.errors import FormatError
from fastemb.fasttext.autotune import autotune
from fastemb.fasttext.model import FastTextModel
from fastemb.io.fasttext_bin import MODEL_SUPERVISED, is_facebook_model, read_fasttext_bin
from fastemb.models.facebook import load_facebook_model
from fastemb.models.fasttext import FastText
from fastemb.models.supervised import SUPERVISED_DEFAULTS, SupervisedModel

__all__ = ["train_supervised", "train_unsupervised", "load_model", "tokenize",
           "UNSUPERVISED_DEFAULTS"]

#: fastText 0.9.2's ``train_unsupervised`` defaults.
UNSUPERVISED_DEFAULTS = {
    **SUPERVISED_DEFAULTS, "model": "skipgram", "lr": 0.05, "minCount": 5, "minn": 3,
    "maxn": 6, "loss": "ns",
}

_SUPERVISED_NAMES = ["input", "lr", "dim", "ws", "epoch", "minCount", "minCountLabel", "minn",
                     "maxn", "neg", "wordNgrams", "loss", "bucket", "thread", "lrUpdateRate",
                     "t", "label", "verbose", "pretrainedVectors", "seed",
                     "autotuneValidationFile", "autotuneMetric", "autotunePredictions",
                     "autotuneDuration", "autotuneModelSize", "deterministic"]
_UNSUPERVISED_NAMES = ["input", "model", "lr", "dim", "ws", "epoch", "minCount",
                       "minCountLabel", "minn", "maxn", "neg", "wordNgrams", "loss", "bucket",
                       "thread", "lrUpdateRate", "t", "label", "verbose", "pretrainedVectors",
                       "seed", "deterministic"]
#: the snake_case spellings fastText accepts
_ALIASES = {"min_count": "minCount", "word_ngrams": "wordNgrams",
            "lr_update_rate": "lrUpdateRate", "label_prefix": "label",
            "pretrained_vectors": "pretrainedVectors"}
_AUTOTUNE = {"autotuneValidationFile": "", "autotuneMetric": "f1", "autotunePredictions": 1,
             "autotuneDuration": 300, "autotuneModelSize": ""}


def _read_args(positional, keywords, names, defaults):
    """fastText's argument reading: positional in ``names`` order, then
    keywords (snake_case aliases allowed).

    Raises
    ------
    TypeError
        An unknown argument, or one given twice.
    """
    given = {}
    for name, value in itertools.chain(zip(names, positional), keywords.items()):
        name = _ALIASES.get(name, name)
        if name not in names:
            raise TypeError(f"unexpected keyword argument '{name}'")
        if name in given:
            raise TypeError(f"multiple values for argument '{name}'")
        given[name] = value
    if len(positional) > len(names):
        raise TypeError(f"takes at most {len(names)} positional arguments")
    return {**defaults, **given}, set(given)


def train_supervised(*args, **kwargs):
    """Train a classifier on a labelled text file (fastText's format: one
    document a line, its labels prefixed with ``__label__``).

    Takes fastText 0.9.2's arguments: ``input, lr=0.1, dim=100, ws=5,
    epoch=5, minCount=1, minCountLabel=0, minn=0, maxn=0, neg=5,
    wordNgrams=1, loss="softmax", bucket=2000000, thread=cores - 1,
    lrUpdateRate=100, t=1e-4, label="__label__", verbose=2,
    pretrainedVectors="", seed=0``; beyond fastText, ``deterministic=True``
    gives the same model bit for bit whatever ``thread`` is (see the
    documentation's reproducibility page).

    ``autotuneValidationFile`` (with ``autotuneMetric="f1"``,
    ``autotunePredictions=1``, ``autotuneDuration=300``,
    ``autotuneModelSize=""``) searches the arguments instead, as fastText
    does (see :mod:`fastemb.fasttext.autotune`).

    Beyond fastText, ``data=[(text, labels), ...]`` trains from memory
    instead of ``input`` (``labels`` one label or a list, the prefix added
    when missing; a pandas Series of pairs works too).

    Returns
    -------
    FastTextModel

    Raises
    ------
    ValueError
        A bad argument or an unreadable input file, data without a label,
        an empty file.
    """
    data = kwargs.pop("data", None)
    arguments, given = _read_args(args, kwargs, _SUPERVISED_NAMES,
                                  {**SUPERVISED_DEFAULTS, **_AUTOTUNE, "input": None})
    source = arguments.pop("input")
    if data is not None and source is not None:
        raise TypeError("give input (a file) or data (pairs of text and labels), not both")
    tuning = {name: arguments.pop(name) for name in _AUTOTUNE}
    documents = _documents_of(source) if data is None else \
        _documents_of_pairs(data, arguments["label"])
    if tuning["autotuneValidationFile"]:
        model = autotune(documents, tuning["autotuneValidationFile"], {**arguments, "dsub": 2},
                         given, tuning["autotuneMetric"], tuning["autotunePredictions"],
                         tuning["autotuneDuration"], tuning["autotuneModelSize"])
    else:
        # bad data raises CorpusError, a ValueError as in fastText
        model = SupervisedModel.train(documents, arguments)
    return FastTextModel(supervised=model, args=model.args)


def _documents_of(source):
    """The documents of ``input``: a file path (fastText's only kind)."""
    if source is None:
        raise TypeError("train_supervised() missing the input argument (a file path)")
    if not isinstance(source, (str, os.PathLike)):
        raise TypeError("input must be a path to a labelled text file")
    path = os.fspath(source)
    if path == "-":
        raise ValueError("Cannot use stdin for training!")
    if not os.path.isfile(path):
        raise ValueError(f"{path} cannot be opened for training!")
    documents = read_documents(path)
    if all(token == EOS.encode() for token in documents.distinct):  # blank lines at most
        raise ValueError(f"{path} is empty: there is nothing to train on")
    return documents


def _documents_of_pairs(data, prefix):
    """The documents of ``(text, labels)`` pairs, as the lines of a file
    would read."""
    lines = []
    for i, pair in enumerate(data):
        try:
            text, labels = pair
        except (TypeError, ValueError):
            raise TypeError(f"data item {i} is not a (text, labels) pair") from None
        if isinstance(labels, str):
            labels = [labels]
        labels = [str(label) for label in labels]
        if not isinstance(text, str) or "\n" in text:
            raise ValueError(f"data item {i}: the text must be a str of one line")
        tokens = [label if label.startswith(prefix) else prefix + label for label in labels]
        lines.append(" ".join(tokens + [text]) + "\n")
    if not lines:
        raise ValueError("data is empty: there is nothing to train on")
    return TokenTable.from_bytes("".join(lines).encode("utf-8", "surrogateescape"))


def train_unsupervised(*args, **kwargs):
    """Train word vectors (``model="skipgram"`` or ``"cbow"``) on a text
    file with fastText's arguments and defaults (``lr=0.05, minCount=5,
    minn=3, maxn=6, loss="ns"``); fastemb's FastText trains them.

    Returns
    -------
    FastTextModel
    """
    arguments, _ = _read_args(args, kwargs, _UNSUPERVISED_NAMES,
                              {**UNSUPERVISED_DEFAULTS, "input": None})
    source = arguments["input"]
    if source is None or not os.path.isfile(os.fspath(source)):
        raise ValueError(f"{source} cannot be opened for training!")
    if arguments["model"] not in ("skipgram", "cbow"):
        raise ValueError(f"Unrecognized model name {arguments['model']!r}: choose skipgram "
                         "or cbow (train_supervised trains classifiers)")
    if arguments["loss"] not in ("ns", "hs"):
        raise ValueError(f"loss {arguments['loss']!r} is not available for word vectors: "
                         "choose ns or hs")
    model = FastText(
        corpus_file=os.fspath(source), sg=int(arguments["model"] == "skipgram"),
        hs=int(arguments["loss"] == "hs"),
        negative=int(arguments["neg"]) if arguments["loss"] == "ns" else 0,
        vector_size=int(arguments["dim"]), alpha=float(arguments["lr"]),
        window=int(arguments["ws"]), min_count=int(arguments["minCount"]),
        sample=float(arguments["t"]), min_n=int(arguments["minn"]),
        max_n=int(arguments["maxn"]), bucket=int(arguments["bucket"]),
        epochs=int(arguments["epoch"]), workers=int(arguments["thread"]),
        seed=int(arguments["seed"]), deterministic=bool(arguments["deterministic"]))
    return FastTextModel(unsupervised=model, args=arguments)


def load_model(path):
    """Load a fastText ``.bin`` (a classifier or word vectors), written by
    fastText or by fastemb.

    Raises
    ------
    ValueError
        The file cannot be read or is not a fastText model (its message
        names the problem).
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise ValueError(f"{path} cannot be opened for loading!")
    if not is_facebook_model(path):
        raise ValueError(f"{path} has wrong file format!")
    try:
        parsed = read_fasttext_bin(path, supervised=True)
        if parsed.args["model"] == MODEL_SUPERVISED:
            model = SupervisedModel.load_bin(path, parsed)
            return FastTextModel(supervised=model, args=model.args)
        vectors = load_facebook_model(path)
    except FormatError as exc:
        raise ValueError(str(exc)) from exc
    return FastTextModel(unsupervised=vectors, args=_unsupervised_args(vectors))


def _unsupervised_args(model):
    return {"lr": model.alpha, "dim": model.vector_size, "ws": model.window,
            "epoch": model.epochs, "minCount": model.min_count, "minCountLabel": 0,
            "minn": model.wv.min_n, "maxn": model.wv.max_n, "neg": model.negative,
            "wordNgrams": 1, "loss": "ns" if model.negative else "hs",
            "bucket": model.wv.bucket, "thread": model.workers, "lrUpdateRate": 100,
            "t": model.sample, "label": "__label__", "verbose": 2, "pretrainedVectors": ""}


def tokenize(text):
    """fastText's tokens of ``text`` (whitespace-separated; each newline
    gives ``</s>``)."""
    return _tokenize(text)
