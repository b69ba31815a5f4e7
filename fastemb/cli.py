"""Command line: ``fastemb train | embed | phrases | similar | evaluate | align | plot |
export-projector | convert | demo``.

Also reachable as ``python -m fastemb``. Errors are reported as one line
naming the problem, with exit status 2; Ctrl-C during training saves what
was trained and exits with status 130.
"""
import argparse
import logging
import os
import sys
import time

import numpy as np

from fastemb.align import Alignment, read_dictionary
from fastemb.corpus import TOKENIZERS, LineSentence, simple_tokenize
from fastemb.doc2vec import Doc2Vec, TaggedDocument
from fastemb.compression import COMPRESSED_SUFFIXES
from fastemb.errors import CorpusEncodingError, FileEncodingError, UnknownKeyError
from fastemb.evaluation import datapath
from fastemb.facebook import load_facebook_vectors, save_facebook_model
from fastemb.fasttext import FastText
from fastemb.formats import sniff_vectors_format
from fastemb.gensim_files import is_pickle, load_gensim
from fastemb.glove import GloVe
from fastemb.keyedvectors import KeyedVectors
from fastemb.native import atomic_writer, read_header
from fastemb.phrases import ENGLISH_CONNECTOR_WORDS, Phrases
from fastemb.plotting import plot
from fastemb.projector import METADATA_COLUMNS, export_projector
from fastemb.sentence import SentenceVectors
from fastemb.word2vec import Word2Vec

__all__ = ["main", "load_vectors", "save_vectors", "ProgressBar"]

FORMATS = ("native", "word2vec", "word2vec-binary", "glove", "fasttext")


class ProgressBar:
    """A one-line progress bar on a terminal stream (silent when the stream is
    not a terminal, unless ``force``).

    Parameters
    ----------
    label : str
    stream : file object
    force : bool
        Draw even when ``stream`` is not a terminal.
    """

    def __init__(self, label, stream=sys.stderr, force=False, width=30):
        self.label = label
        self.stream = stream
        self.enabled = force or getattr(stream, "isatty", lambda: False)()
        self.width = width
        self.started = time.monotonic()
        self.drawn = False

    def __call__(self, done, total):
        """Show ``done`` of ``total`` units."""
        if not self.enabled or total <= 0:
            return
        fraction = min(done / total, 1.0)
        elapsed = time.monotonic() - self.started
        rate = done / elapsed if elapsed > 0 else 0.0
        eta = (total - done) / rate if rate > 0 else float("inf")
        filled = int(round(self.width * fraction))
        bar = "#" * filled + "-" * (self.width - filled)
        eta_text = f"{eta:5.0f}s" if eta != float("inf") else "    ?"
        self.stream.write(f"\r{self.label} [{bar}] {100 * fraction:5.1f}% "
                          f"{rate / 1e3:8.0f}k words/s ETA {eta_text}")
        self.stream.flush()
        self.drawn = True

    def close(self):
        """End the bar's line."""
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()


#: The flag of each library keyword that reads past undecodable bytes.
DECODING_FLAGS = {"unicode_errors": "--unicode-errors", "encoding_errors": "--encoding-errors"}


def load_vectors(path, fmt="auto", unicode_errors="strict"):
    """Load vectors in any supported format (``auto`` sniffs the file; a
    model or vectors file gensim saved is read as data, without running it).

    Parameters
    ----------
    path : str
    fmt : str
        ``'auto'``, ``'gensim'`` or one of ``FORMATS``.
    unicode_errors : {'strict', 'replace', 'ignore'}
        How to decode words of word2vec/GloVe files that are not UTF-8.

    Returns
    -------
    KeyedVectors
    """
    if not os.path.exists(path):
        raise FileNotFoundError(f"no such vectors file: {path}")
    if fmt == "gensim" or (fmt == "auto" and is_pickle(path)):
        loaded = load_gensim(path)
        return getattr(loaded, "wv", loaded)
    if fmt == "auto":
        fmt = sniff_vectors_format(path)
        fmt = "word2vec" if fmt == "word2vec-text" else fmt
    if fmt == "native":
        return KeyedVectors.load(path)
    if fmt == "fasttext":
        return load_facebook_vectors(path)
    return KeyedVectors.load_word2vec_format(path, binary=fmt == "word2vec-binary",
                                             no_header=fmt == "glove",
                                             unicode_errors=unicode_errors)


def save_vectors(kv, path, fmt):
    """Save ``kv`` in one of ``FORMATS`` (word2vec and GloVe files compressed
    when the name ends in ``.gz``, ``.bz2`` or ``.xz``)."""
    if fmt == "native" and path.lower().endswith(COMPRESSED_SUFFIXES):
        raise ValueError(f"{path}: fastemb's native files are memory-mapped and cannot be "
                         "compressed; choose --to word2vec, word2vec-binary or glove")
    if fmt == "fasttext":
        raise ValueError("the fastText .bin format holds a whole model, not vectors alone: "
                         "train with --model fasttext -o MODEL.bin")
    if fmt == "native":
        kv.save(path)
    else:
        kv.save_word2vec_format(path, binary=fmt == "word2vec-binary",
                                write_header=fmt != "glove")


def _format_for(path, requested, fasttext=False):
    """The output format: ``requested``, else the one the name suggests
    (behind a compression suffix: ``v.bin.gz`` is word2vec binary)."""
    if requested:
        return requested
    stem, suffix = os.path.splitext(path)
    if suffix.lower() in COMPRESSED_SUFFIXES:
        if _format_for(stem, None, fasttext) in ("native", "fasttext"):
            raise ValueError(f"{path}: only word2vec and GloVe vector files can be written "
                             f"compressed; name it .bin{suffix}, .txt{suffix} or .vec{suffix}, "
                             "or give --format")
        path = stem
    if path.endswith(".bin"):
        # fastText users know .bin as Facebook's model format
        return "fasttext" if fasttext else "word2vec-binary"
    if path.endswith((".txt", ".vec")):
        return "word2vec"
    return "native"


def _make_model(args):
    """The untrained model the ``train`` options describe."""
    common = dict(vector_size=args.vector_size, min_count=args.min_count, workers=args.workers,
                  seed=args.seed, max_vocab_size=args.max_vocab_size)
    if args.max_memory is not None and args.model != "glove":
        common["max_memory"] = args.max_memory
    if args.cache_dir is not None:
        if args.tokenizer != "whitespace" or args.model == "doc2vec":
            raise ValueError("--cache-dir encodes whitespace-separated corpus files for "
                             "word2vec, fasttext and glove")
        common["encoded_cache"] = args.cache_dir
    if args.window is not None:
        common["window"] = args.window
    if args.epochs is not None:
        common["epochs"] = args.epochs
    if args.model == "doc2vec":
        common["epochs"] = args.epochs if args.epochs is not None else 10
        return Doc2Vec(sample=args.sample, dm=int(args.dm), dbow_words=int(args.dbow_words),
                       hs=int(args.hs), negative=args.negative, alpha=args.alpha,
                       min_alpha=args.min_alpha, **common)
    if args.model == "fasttext":
        return FastText(sample=args.sample, sg=int(args.sg), hs=int(args.hs),
                        negative=args.negative, alpha=args.alpha, min_alpha=args.min_alpha,
                        min_n=args.minn, max_n=args.maxn, bucket=args.bucket, **common)
    if args.model == "glove":
        return GloVe(x_max=args.x_max, alpha=args.glove_alpha, learning_rate=args.learning_rate,
                     symmetric=not args.left_only,
                     distance_weighting=not args.no_distance_weighting,
                     max_memory=1.0 if args.max_memory is None else args.max_memory,
                     vectors=args.vectors, **common)
    return Word2Vec(sample=args.sample, sg=int(args.sg), hs=int(args.hs), negative=args.negative,
                    alpha=args.alpha, min_alpha=args.min_alpha,
                    shared_negatives=not args.per_pair_negatives, **common)


_MODEL_CLASSES = {cls.__name__: cls for cls in (Word2Vec, FastText, Doc2Vec, GloVe)}


def _resume_class(path):
    """The model class of the checkpoint at ``path``."""
    kind = read_header(path)[0]["meta"].get("kind")
    if kind not in _MODEL_CLASSES:
        raise ValueError(f"{path} is not a checkpoint of a model fastemb trains (kind {kind!r})")
    return _MODEL_CLASSES[kind]


def _corpus_source(args, doc2vec):
    """The corpus option of ``build_vocab``/``train`` for the CLI's corpus."""
    lines = LineSentence(args.corpus, tokenizer=args.tokenizer,
                         encoding_errors=args.encoding_errors)
    if args.tokenizer != "whitespace" and doc2vec:
        return dict(corpus_iterable=[TaggedDocument(words, [number])
                                     for number, words in enumerate(lines)])
    if args.tokenizer != "whitespace" or args.encoding_errors != "strict":
        # plain line files are still scanned in C, with the asked decoding
        return dict(corpus_iterable=lines)
    return dict(corpus_file=args.corpus)


def _check_output(path):
    """Refuse, before any training, an output path that cannot be written."""
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise ValueError(f"cannot save to {path}: it is a directory")
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"cannot save to {path}: the directory {folder} does not "
                                "exist (create it first)")
    if not os.access(folder, os.W_OK):
        raise PermissionError(f"cannot save to {path}: the directory {folder} is not "
                              "writable")


def _train(args):
    if args.checkpoint and args.resume:
        raise ValueError("give --checkpoint to start a run or --resume to continue one; a "
                         "resumed run goes on writing to the checkpoint it resumes")
    _check_output(args.output)
    if not args.resume:
        _format_for(args.output, args.format, args.model == "fasttext")
    started = time.monotonic()
    bar = ProgressBar("training", force=args.progress)
    bar_or_none = None if args.quiet else bar
    checkpoint = dict(checkpoint=args.checkpoint, checkpoint_every=args.checkpoint_every)
    try:
        if args.scheduler:
            model = _train_on_cluster(args, bar_or_none)
        elif args.resume:
            model_class = _resume_class(args.resume)
            source = _corpus_source(args, model_class is Doc2Vec)
            model = model_class.resume(args.resume, **source, report_delay=0.25,
                                       progress=bar_or_none)
        else:
            model = _make_model(args)
            source = _corpus_source(args, isinstance(model, Doc2Vec))
            model.build_vocab(**source)
            print(f"vocabulary: {len(model.wv)} words, {model.corpus_total_words} raw words, "
                  f"{model.corpus_count} sentences", file=sys.stderr)
            if isinstance(model, GloVe):
                matrix = model.build_cooccurrence(**source)
                print(f"co-occurrence matrix: {matrix.nnz} non-zero entries", file=sys.stderr)
                model.train(report_delay=0.25, progress=bar_or_none, **checkpoint)
            else:
                model.train(**source, total_examples=model.corpus_count, epochs=model.epochs,
                            report_delay=0.25, progress=bar_or_none, **checkpoint)
    finally:
        bar.close()
    fmt = _format_for(args.output, args.format, isinstance(model, FastText))
    if fmt == "native":
        model.save(args.output)
    elif fmt == "fasttext":
        if not isinstance(model, FastText):
            raise ValueError("--format fasttext needs --model fasttext")
        save_facebook_model(model, args.output)
    else:
        save_vectors(model.wv, args.output, fmt)
    losses = model.cost_history if isinstance(model, GloVe) else model.loss_history
    print(f"trained {len(model.train_stats)} epoch(s) in {time.monotonic() - started:.1f} s; "
          f"{'cost' if isinstance(model, GloVe) else 'loss'} per epoch "
          f"{', '.join(f'{x:.4g}' for x in losses)}; saved {fmt} to {args.output}",
          file=sys.stderr)
    if model.interrupted:
        print("interrupted: saved the model trained so far"
              + (f"; fastemb train --resume {args.checkpoint or args.resume} continues the run"
                 if args.checkpoint or args.resume else ""), file=sys.stderr)
        return 130
    return 0


def _train_on_cluster(args, progress):
    """``fastemb train --scheduler``: build and train the model on a Dask
    cluster (:mod:`fastemb.distributed`); the workers read the corpus path."""
    unsupported = [flag for flag, given in (("--resume", args.resume),
                                            ("--checkpoint", args.checkpoint),
                                            ("--cache-dir", args.cache_dir),
                                            ("--max-vocab-size", args.max_vocab_size),
                                            ("--tokenizer", args.tokenizer != "whitespace"))
                   if given]
    if args.model == "doc2vec" or unsupported:
        raise ValueError("--scheduler trains word2vec, fasttext and glove models from "
                         "whitespace-tokenised files; it does not take "
                         + ", ".join(unsupported or ["--model doc2vec"]))
    from distributed import Client

    from fastemb.distributed.glove import DistributedGloVe
    from fastemb.distributed.word2vec import DistributedTrainer
    model = _make_model(args)
    with Client(args.scheduler) as client:
        if isinstance(model, GloVe):
            trainer = DistributedGloVe(client, model, args.corpus)
        else:
            interval = {} if args.sync_every is None else {"sync_every": args.sync_every}
            trainer = DistributedTrainer(client, model, args.corpus, **interval)
        trainer.build_vocab()
        print(f"vocabulary: {len(model.wv)} words, {model.corpus_total_words} raw words, "
              f"{model.corpus_count} sentences; {len(trainer.partitions)} partitions on "
              f"{len(trainer.workers)} Dask workers", file=sys.stderr)
        if isinstance(model, GloVe):
            nnz = trainer.build_cooccurrence()
            print(f"co-occurrence matrix: {nnz} non-zero entries", file=sys.stderr)
        trainer.train(progress=progress)
    return model


def _read_documents(path, args):
    return list(LineSentence(path, tokenizer=args.tokenizer,
                             encoding_errors=args.encoding_errors))


def _embed(args):
    documents = _read_documents(args.documents, args)
    model = None
    if sniff_vectors_format(args.model) == "native" and args.format in ("auto", "native"):
        if read_header(args.model)[0]["meta"].get("kind") == "Doc2Vec":
            model = Doc2Vec.load(args.model)
    method = args.method or ("doc2vec" if model is not None else "sif")
    if method == "doc2vec":
        if model is None:
            raise ValueError("--method doc2vec needs a Doc2Vec model saved by fastemb")
        vectors = model.infer_vectors(documents, workers=args.workers)
        empty = 0
    else:
        wv = model.wv if model is not None else load_vectors(args.model, args.format, args.unicode_errors)
        embedder = SentenceVectors(wv, method=method)
        fit_on = _read_documents(args.fit, args) if args.fit else documents
        vectors = embedder.fit(fit_on).transform(documents)
        empty = embedder.n_empty_
    with atomic_writer(args.output) as out:
        if args.output.endswith(".tsv"):
            out.write("".join("\t".join(f"{x:.6g}" for x in row) + "\n"
                              for row in vectors).encode("utf-8"))
        else:
            np.save(out, vectors)
    print(f"embedded {len(vectors)} documents ({method}, dimension {vectors.shape[1]}"
          f"{f', {empty} without a known word: zero vectors' if empty else ''}) "
          f"to {args.output}", file=sys.stderr)
    return 0


def _phrases(args):
    if args.passes < 1:
        raise ValueError(f"--passes must be at least 1, got {args.passes}")
    corpus = _read_documents(args.corpus, args)
    connectors = ENGLISH_CONNECTOR_WORDS if args.connector_words == "english" else frozenset()
    found = {}
    for _ in range(args.passes):
        # each pass can join a phrase found before with another word
        model = Phrases(corpus, min_count=args.min_count, threshold=args.threshold,
                        scoring=args.scoring, connector_words=connectors).freeze()
        corpus = [model[sentence] for sentence in corpus]
        found.update(model.phrasegrams)
    with atomic_writer(args.output) as out:
        out.write("".join(" ".join(sentence) + "\n" for sentence in corpus).encode("utf-8"))
    if args.save_model:
        model.save(args.save_model)
    best = sorted(found.items(), key=lambda item: -item[1])[:args.show]
    print(f"{len(found)} phrases; wrote {len(corpus)} sentences to {args.output}"
          + (f"; strongest: {', '.join(p for p, _ in best)}" if best else ""), file=sys.stderr)
    return 0


def _known_words(kv, words):
    """The words ``kv`` has vectors for; the others are named on stderr."""
    known = [w for w in words if w in kv]
    for word in words:
        if word not in kv:
            suggestions = kv.suggest_keys(word)
            hint = f" (did you mean {' or '.join(suggestions)}?)" if suggestions else ""
            print(f"fastemb: skipping unknown word {word!r}{hint}", file=sys.stderr)
    return known


def _plotted_analogies(kv, arrows):
    """``FROM:TO`` arrows as pairs; one with an unknown word is skipped."""
    analogies = []
    for arrow in arrows:
        start, separator, end = arrow.partition(":")
        if not separator or not start or not end:
            raise ValueError(f"--analogy takes FROM:TO (king:queen), got {arrow!r}")
        if len(_known_words(kv, [start, end])) == 2:
            analogies.append((start, end))
    return analogies


def _similar(args):
    kv = load_vectors(args.vectors, args.format, args.unicode_errors)
    positive, negative = _known_words(kv, args.words), _known_words(kv, args.minus or [])
    if not positive and not negative:
        asked = args.words + (args.minus or [])
        raise UnknownKeyError(asked[0], f"none of {', '.join(map(repr, asked))} is in the "
                                        "vocabulary")
    results = kv.most_similar(positive=positive, negative=negative or None, topn=args.topn)
    for word, score in results:
        print(f"{word}\t{score:.4f}")
    return 0


def _evaluate(args):
    kv = load_vectors(args.vectors, args.format, args.unicode_errors)
    pairs = args.pairs or datapath("wordsim353.tsv")
    analogies = args.analogies or datapath("questions-words.txt.gz")
    pearson, spearman, oov = kv.evaluate_word_pairs(pairs, restrict_vocab=args.restrict_vocab)
    print(f"word pairs ({os.path.basename(pairs)}): Spearman {spearman.statistic:.4f} "
          f"(p={spearman.pvalue:.2g}), Pearson {pearson.statistic:.4f}, {oov:.1f}% pairs unknown")
    score, sections = kv.evaluate_word_analogies(analogies, restrict_vocab=args.restrict_vocab)
    answered = len(sections[-1]["correct"]) + len(sections[-1]["incorrect"])
    print(f"analogies ({os.path.basename(analogies)}): accuracy {score:.4f} over {answered} "
          f"questions (restrict_vocab={args.restrict_vocab})")
    return 0


def _align(args):
    source = load_vectors(args.source, args.source_format, args.unicode_errors)
    target = load_vectors(args.target, args.target_format, args.unicode_errors)
    if not args.dict and not args.identical:
        raise ValueError("give a seed dictionary (--dict) or --identical to seed with the "
                         "words both vocabularies share")
    pairs = read_dictionary(args.dict) if args.dict else None
    alignment = Alignment.fit(source, target, pairs, identical=args.identical,
                              refine=args.refine, max_rank=args.max_rank)
    print(f"fitted on {len(alignment.dictionary)} pairs"
          f"{f' after {args.refine} refinement round(s)' if args.refine else ''}",
          file=sys.stderr)
    if args.test:
        result = alignment.evaluate_translation(read_dictionary(args.test))
        print(f"test: {result['words']} words ({result['skipped']} skipped); "
              + "; ".join(f"{m.upper()} P@1 {result[m]['p@1']:.3f} P@5 {result[m]['p@5']:.3f}"
                          for m in ("nn", "csls")), file=sys.stderr)
    save_vectors(alignment.mapped_source(), args.output, _format_for(args.output, args.format))
    if args.save_map:
        alignment.save(args.save_map)
    print(f"saved the mapped source vectors to {args.output}", file=sys.stderr)
    return 0


def _export_projector(args):
    kv = load_vectors(args.vectors, args.format, args.unicode_errors)
    paths = export_projector(kv, args.folder, limit=args.limit, metadata=args.metadata)
    n = len(kv) if args.limit is None else min(args.limit, len(kv))
    print(f"wrote {n} vectors for the Embedding Projector to {args.folder}: "
          f"{', '.join(os.path.basename(p) for p in paths.values())} (TensorBoard: "
          f"tensorboard --logdir {args.folder}; or load the two .tsv files at "
          "projector.tensorflow.org)", file=sys.stderr)
    return 0


def _plot(args):
    import matplotlib
    matplotlib.use("Agg")  # files only: no display needed
    kv = load_vectors(args.vectors, args.format, args.unicode_errors)
    analogies = _plotted_analogies(kv, args.analogy)
    words = _known_words(kv, args.words)
    if not words and not analogies:
        raise UnknownKeyError(args.words[0], f"none of {', '.join(map(repr, args.words))} is "
                                             "in the vocabulary: nothing to plot")
    figure = plot(kv, words, method=args.method, neighbours=args.neighbours,
                  analogies=analogies, seed=args.seed, title=args.title)
    extension = os.path.splitext(args.output)[1].lstrip(".").lower() or "png"
    with atomic_writer(args.output) as out:
        figure.savefig(out, format=extension, dpi=args.dpi)
    print(f"plotted {len(figure.plotted_words)} words to {args.output}", file=sys.stderr)
    return 0


def _convert(args):
    if args.input_format in ("auto", "gensim") and is_pickle(args.input):
        # a gensim .model file: read as data only, keep the whole model when asked
        loaded = load_gensim(args.input)
        kv = getattr(loaded, "wv", loaded)
        if args.to == "native" and loaded is not kv:
            loaded.save(args.output)
            print(f"converted a gensim {type(loaded).__name__} model ({len(kv)} words, dimension "
                  f"{kv.vector_size}) to a fastemb model: {args.output}", file=sys.stderr)
            return 0
    else:
        kv = load_vectors(args.input, args.input_format, args.unicode_errors)
    save_vectors(kv, args.output, args.to)
    print(f"wrote {len(kv)} vectors of dimension {kv.vector_size} as {args.to} to {args.output}",
          file=sys.stderr)
    return 0


def _demo(args):
    corpus = LineSentence(datapath("kjv.txt.gz"), tokenizer=simple_tokenize)
    print("training skip-gram on the King James Bible (bundled, public domain)...",
          file=sys.stderr)
    started = time.monotonic()
    model = Word2Vec(corpus, vector_size=100, window=5, min_count=5, sg=1, epochs=args.epochs,
                     workers=args.workers, seed=args.seed)
    print(f"{len(model.wv)} words, {model.corpus_total_words} raw words, trained in "
          f"{time.monotonic() - started:.1f} s\n")
    for word in ("god", "king", "water", "sword", "jerusalem", "love"):
        neighbours = ", ".join(f"{w} ({s:.2f})" for w, s in model.wv.most_similar(word, topn=6))
        print(f"{word:>10}: {neighbours}")
    analogy = model.wv.most_similar(positive=["king", "woman"], negative=["man"], topn=3)
    print(f"\nking - man + woman = {', '.join(w for w, _ in analogy)}")
    return 0


def _decoding_option(parser, flag, what):
    """Add ``flag``: what to do with bytes of ``what`` that are not UTF-8."""
    parser.add_argument(flag, choices=("strict", "replace", "ignore"), default="strict",
                        help=f"{what} that is not UTF-8: stop with an error (default), "
                             "replace or drop the bad bytes")


def build_parser():
    """The argument parser of the ``fastemb`` command."""
    parser = argparse.ArgumentParser(prog="fastemb", description="Fast static word embeddings.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    sub = parser.add_subparsers(dest="command", required=True)

    train = sub.add_parser("train", help="train word vectors on a corpus")
    train.add_argument("corpus",
                       help="text file (plain/.gz/.bz2/.xz) or directory, a sentence a line")
    train.add_argument("-o", "--output", required=True, help="where to save the model/vectors")
    train.add_argument("--model", choices=["word2vec", "fasttext", "doc2vec", "glove"],
                       default="word2vec",
                       help="doc2vec: one document a line, tagged with its line number")
    train.add_argument("--format", choices=FORMATS,
                       help="output format (default: by suffix: .bin word2vec binary, or "
                            "Facebook's .bin for --model fasttext; .txt/.vec text; else the "
                            "native full model)")
    mode = train.add_mutually_exclusive_group()
    mode.add_argument("--sg", dest="sg", action="store_true", default=True,
                      help="skip-gram (default)")
    mode.add_argument("--cbow", dest="sg", action="store_false", help="CBOW")
    train.add_argument("--hs", action="store_true", help="hierarchical softmax")
    train.add_argument("--negative", type=int, default=5, help="noise words (0: none)")
    train.add_argument("--per-pair-negatives", action="store_true",
                       help="skip-gram: draw noise words and update the output rows for "
                            "every (context, centre) pair as word2vec does, instead of once a "
                            "window (word2vec model only)")
    train.add_argument("--vector-size", type=int, default=100)
    train.add_argument("--window", type=int, help="context size (word2vec 5, glove 10)")
    train.add_argument("--min-count", type=int, default=5)
    train.add_argument("--max-vocab-size", type=int)
    train.add_argument("--sample", type=float, default=1e-3)
    train.add_argument("--alpha", type=float, default=0.025)
    train.add_argument("--min-alpha", type=float, default=0.0001)
    train.add_argument("--epochs", type=int, help="passes (word2vec 5, glove 15)")
    train.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    train.add_argument("--seed", type=int, default=1)
    train.add_argument("--scheduler", metavar="ADDRESS",
                       help="train on the Dask cluster of this scheduler (tcp://host:8786; "
                            "needs fastemb[dask]); every worker must be able to read the "
                            "corpus path")
    train.add_argument("--sync-every", type=int,
                       help="with --scheduler: words the cluster trains between two "
                            "synchronisations of the replicas (word2vec, fasttext; default "
                            "fastemb.distributed.word2vec.SYNC_EVERY)")
    train.add_argument("--cache-dir",
                       help="encode the corpus once into this folder and train from it "
                            "memory-mapped (corpora larger than RAM; reused while the corpus "
                            "is unchanged)")
    fasttext = train.add_argument_group("fasttext options")
    fasttext.add_argument("--minn", type=int, default=3, help="shortest character n-gram")
    fasttext.add_argument("--maxn", type=int, default=6,
                          help="longest character n-gram (below --minn: none)")
    fasttext.add_argument("--bucket", type=int, default=2000000, help="n-gram hash buckets")
    doc2vec = train.add_argument_group("doc2vec options")
    doc2vec.add_argument("--dm", type=int, choices=[0, 1], default=1,
                         help="1: PV-DM (default), 0: PV-DBOW")
    doc2vec.add_argument("--dbow-words", action="store_true",
                         help="PV-DBOW: also train word vectors")
    glove = train.add_argument_group("glove options")
    glove.add_argument("--x-max", type=float, default=100.0)
    glove.add_argument("--glove-alpha", type=float, default=0.75,
                       help="exponent of the weighting function")
    glove.add_argument("--learning-rate", type=float, default=0.05)
    glove.add_argument("--max-memory", type=float,
                       help="GiB for counting: vocabulary (rarest words pruned beyond it) "
                            "and GloVe's co-occurrences (spilled to disk beyond it; "
                            "default 1)")
    glove.add_argument("--vectors", choices=["sum", "word"], default="sum",
                       help="output W + W~ (default) or W")
    glove.add_argument("--left-only", action="store_true", help="count left context only")
    glove.add_argument("--no-distance-weighting", action="store_true")
    train.add_argument("--tokenizer", choices=TOKENIZERS, default="whitespace",
                       help="'simple' lower-cases and keeps only words (letters); 'jieba' "
                            "segments Chinese (pip install 'fastemb[chinese]')")
    reliability = train.add_argument_group("checkpoints")
    reliability.add_argument("--checkpoint", metavar="PATH",
                             help="save a checkpoint there every --checkpoint-every, on Ctrl-C "
                                  "and at the end")
    reliability.add_argument("--checkpoint-every", metavar="EVERY", default="10min",
                             help="seconds, '10min', '1h', or '5M words' (GloVe: entries)")
    reliability.add_argument("--resume", metavar="PATH",
                             help="continue the run of this checkpoint (its model options "
                                  "apply; give the same corpus)")
    train.add_argument("--progress", action="store_true",
                       help="draw the progress bar even when stderr is not a terminal")
    train.add_argument("--quiet", action="store_true", help="no progress bar")
    _decoding_option(train, "--encoding-errors", "corpus text")
    train.set_defaults(handler=_train)

    embed = sub.add_parser("embed", help="embed documents (one a line) as vectors")
    embed.add_argument("model", help="word vectors (any format) or a native Doc2Vec model")
    embed.add_argument("documents", help="text file, one document a line")
    embed.add_argument("-o", "--output", required=True,
                       help="output: .npy (float32 matrix) or .tsv (one row a line)")
    embed.add_argument("--method", choices=["doc2vec", "sif", "mean", "tfidf"],
                       help="default: doc2vec for a Doc2Vec model, else sif")
    embed.add_argument("--fit", help="texts to fit SIF/TF-IDF on (default: the documents)")
    embed.add_argument("--tokenizer", choices=TOKENIZERS, default="whitespace")
    embed.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    embed.add_argument("--format", choices=("auto",) + FORMATS, default="auto")
    _decoding_option(embed, "--encoding-errors", "document text")
    _decoding_option(embed, "--unicode-errors", "a word in a word2vec/GloVe file")
    embed.set_defaults(handler=_embed)

    phrases = sub.add_parser("phrases", help="join frequent word pairs (new_york) in a corpus")
    phrases.add_argument("corpus", help="text file, a sentence a line")
    phrases.add_argument("-o", "--output", required=True,
                         help="the corpus with phrases joined, for `fastemb train`")
    phrases.add_argument("--min-count", type=int, default=5)
    phrases.add_argument("--threshold", type=float, default=10.0,
                         help="score a pair needs (default scoring ~10; npmi in (-1, 1])")
    phrases.add_argument("--scoring", choices=["default", "npmi"], default="default")
    phrases.add_argument("--connector-words", choices=["none", "english"], default="none",
                         help="english: 'of', 'the', ... may sit inside a phrase")
    phrases.add_argument("--passes", type=int, default=1,
                         help="2 finds phrases of up to four words")
    phrases.add_argument("--tokenizer", choices=TOKENIZERS, default="whitespace")
    _decoding_option(phrases, "--encoding-errors", "corpus text")
    phrases.add_argument("--save-model", help="also save the (last pass's) frozen phrases")
    phrases.add_argument("--show", type=int, default=10, help="strongest phrases to name")
    phrases.set_defaults(handler=_phrases)

    similar = sub.add_parser("similar", help="nearest neighbours of words")
    similar.add_argument("vectors")
    similar.add_argument("words", nargs="+", help="words to add up")
    similar.add_argument("--minus", nargs="*", help="words to subtract (analogies)")
    similar.add_argument("--topn", type=int, default=10)
    similar.add_argument("--format", choices=("auto",) + FORMATS, default="auto")
    _decoding_option(similar, "--unicode-errors", "a word in a word2vec/GloVe file")
    similar.set_defaults(handler=_similar)

    evaluate = sub.add_parser("evaluate", help="WordSim-353 and Google analogy scores")
    evaluate.add_argument("vectors")
    evaluate.add_argument("--pairs", help="word-pair file (default: bundled WordSim-353)")
    evaluate.add_argument("--analogies", help="analogy file (default: bundled Google set)")
    evaluate.add_argument("--restrict-vocab", type=int, default=30000)
    evaluate.add_argument("--format", choices=("auto",) + FORMATS, default="auto")
    _decoding_option(evaluate, "--unicode-errors", "a word in a word2vec/GloVe file")
    evaluate.set_defaults(handler=_evaluate)

    convert = sub.add_parser("convert", help="convert vectors between formats, or a gensim "
                                             "model to fastemb's")
    convert.add_argument("input")
    convert.add_argument("output")
    convert.add_argument("--to", choices=FORMATS, required=True)
    convert.add_argument("--input-format", choices=("auto", "gensim") + FORMATS, default="auto",
                         help="'gensim': a model/KeyedVectors file gensim saved (read "
                              "without running code from it)")
    _decoding_option(convert, "--unicode-errors", "a word in a word2vec/GloVe file")
    convert.set_defaults(handler=_convert)

    align = sub.add_parser("align", help="map source vectors into a target space (another "
                                         "language or corpus): Procrustes, CSLS, refinement")
    align.add_argument("source", help="vectors to map (any supported format)")
    align.add_argument("target", help="vectors of the target space")
    align.add_argument("-o", "--output", required=True,
                       help="where to save the mapped source vectors")
    align.add_argument("--dict", help="seed dictionary: source and target word a line")
    align.add_argument("--identical", action="store_true",
                       help="also seed with words spelled the same in both vocabularies")
    align.add_argument("--refine", type=int, default=5,
                       help="refinement rounds from mutual nearest neighbours (default 5)")
    align.add_argument("--max-rank", type=int, default=5000,
                       help="most frequent words refinement uses (default 5000)")
    align.add_argument("--test", help="test dictionary: print P@1 and P@5, NN and CSLS")
    align.add_argument("--save-map", help="also save the map (fastemb native file)")
    align.add_argument("--format", choices=FORMATS)
    align.add_argument("--source-format", choices=("auto",) + FORMATS, default="auto")
    align.add_argument("--target-format", choices=("auto",) + FORMATS, default="auto")
    _decoding_option(align, "--unicode-errors", "a word in a word2vec/GloVe file")
    align.set_defaults(handler=_align)

    projector = sub.add_parser("export-projector",
                               help="write vectors for TensorFlow's Embedding Projector")
    projector.add_argument("vectors", help="vectors (any supported format)")
    projector.add_argument("folder", help="where to write tensors.tsv, metadata.tsv and "
                                          "projector_config.pbtxt")
    projector.add_argument("--limit", type=int, help="only the first N (most frequent) keys")
    projector.add_argument("--metadata", nargs="*", default=[], choices=METADATA_COLUMNS,
                           help="extra metadata columns")
    projector.add_argument("--format", choices=("auto",) + FORMATS, default="auto")
    _decoding_option(projector, "--unicode-errors", "a word in a word2vec/GloVe file")
    projector.set_defaults(handler=_export_projector)

    plotter = sub.add_parser("plot", help="picture of words in two dimensions (PCA, t-SNE, UMAP)")
    plotter.add_argument("vectors", help="vectors (any supported format)")
    plotter.add_argument("words", nargs="+")
    plotter.add_argument("-o", "--output", required=True, help="image file: .png, .svg, .pdf")
    plotter.add_argument("--method", choices=("pca", "tsne", "umap"), default="pca")
    plotter.add_argument("--neighbours", type=int, default=0,
                         help="also plot each word's N nearest neighbours, in its colour")
    plotter.add_argument("--analogy", action="append", default=[], metavar="FROM:TO",
                         help="an arrow between two words (repeatable): king:queen")
    plotter.add_argument("--title")
    plotter.add_argument("--seed", type=int, default=0)
    plotter.add_argument("--dpi", type=int, default=120)
    plotter.add_argument("--format", choices=("auto",) + FORMATS, default="auto")
    _decoding_option(plotter, "--unicode-errors", "a word in a word2vec/GloVe file")
    plotter.set_defaults(handler=_plot)

    demo = sub.add_parser("demo", help="train on the bundled King James Bible and show neighbours")
    demo.add_argument("--epochs", type=int, default=5)
    demo.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    demo.add_argument("--seed", type=int, default=1)
    demo.set_defaults(handler=_demo)
    return parser


def main(argv=None):
    """Run the ``fastemb`` command; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(asctime)s %(name)s %(levelname)s: %(message)s")
    try:
        return args.handler(args)
    except KeyboardInterrupt:
        print("\nfastemb: interrupted", file=sys.stderr)
        return 130
    except (ValueError, KeyError, OSError, NotImplementedError, ImportError) as exc:
        # a plain KeyError's str() is just the quoted key; ours say what it is
        message = str(exc) if not type(exc) is KeyError else f"unknown key {exc.args[0]!r}"
        if isinstance(exc, (FileEncodingError, CorpusEncodingError)) and \
                exc.option in DECODING_FLAGS:
            message = f"{exc.detail}; add {DECODING_FLAGS[exc.option]} replace to read it anyway"
        print(f"fastemb: error: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
