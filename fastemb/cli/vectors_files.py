"""Reading and writing vectors for the commands: every format fastemb knows,
by name or by sniffing the file, and the options that go with them."""
import os
import sys

from fastemb.cli.progress import ProgressBar
from fastemb.io.compression import COMPRESSED_SUFFIXES
from fastemb.io.gensim_pickle import is_pickle
from fastemb.io.sniff import sniff_vectors_format
from fastemb.models.facebook import load_facebook_vectors
from fastemb.models.gensim_models import load_gensim
from fastemb.vectors.floret_table import load_floret_vectors
from fastemb.vectors.keyedvectors import KeyedVectors

__all__ = ["FORMATS", "DECODING_FLAGS", "load_vectors", "save_vectors", "format_for",
           "known_words", "decoding_option"]

FORMATS = ("native", "word2vec", "word2vec-binary", "glove", "fasttext", "floret")

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
    if fmt == "floret":
        return load_floret_vectors(path)
    bar = ProgressBar(f"reading {os.path.basename(path)}", unit="MB", per_unit=1e6)
    try:
        return KeyedVectors.load_word2vec_format(path, binary=fmt == "word2vec-binary",
                                                 no_header=fmt == "glove",
                                                 unicode_errors=unicode_errors, progress=bar)
    finally:
        bar.close()


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
    elif fmt == "floret":
        if not hasattr(kv, "save_floret_vectors"):
            raise ValueError(f"{path}: a .floret table holds floret-mode FastText vectors "
                             "(train with --model fasttext --mode floret)")
        kv.save_floret_vectors(path)
    else:
        kv.save_word2vec_format(path, binary=fmt == "word2vec-binary",
                                write_header=fmt != "glove")


def format_for(path, requested, fasttext=False):
    """The output format: ``requested``, else the one the name suggests
    (behind a compression suffix: ``v.bin.gz`` is word2vec binary)."""
    if requested:
        return requested
    stem, suffix = os.path.splitext(path)
    if suffix.lower() in COMPRESSED_SUFFIXES:
        if format_for(stem, None, fasttext) in ("native", "fasttext"):
            raise ValueError(f"{path}: only word2vec and GloVe vector files can be written "
                             f"compressed; name it .bin{suffix}, .txt{suffix} or .vec{suffix}, "
                             "or give --format")
        path = stem
    if path.endswith(".bin"):
        # fastText users know .bin as Facebook's model format
        return "fasttext" if fasttext else "word2vec-binary"
    if path.endswith((".txt", ".vec")):
        return "word2vec"
    if path.endswith(".floret"):
        return "floret"
    return "native"


def known_words(kv, words):
    """The words ``kv`` has vectors for; the others are named on stderr."""
    known = [w for w in words if w in kv]
    for word in words:
        if word not in kv:
            suggestions = kv.suggest_keys(word)
            hint = f" (did you mean {' or '.join(suggestions)}?)" if suggestions else ""
            print(f"fastemb: skipping unknown word {word!r}{hint}", file=sys.stderr)
    return known


def decoding_option(parser, flag, what):
    """Add ``flag``: what to do with bytes of ``what`` that are not UTF-8."""
    parser.add_argument(flag, choices=("strict", "replace", "ignore"), default="strict",
                        help=f"{what} that is not UTF-8: stop with an error (default), "
                             "replace or drop the bad bytes")
