"""Models and vectors saved by gensim (0.12 to 4.x), built from the records
:mod:`fastemb.io.gensim_pickle` reads without running code from the file.

Supported: ``Word2Vec`` and ``Doc2Vec`` models and ``KeyedVectors`` files,
gensim 0.12 to 4.x; ``FastText`` models from gensim 3.6 on (earlier ones
hashed n-grams differently); ``.npy`` sidecars (mapped with ``mmap='r'`` if
asked).
"""
import os

import numpy as np

from fastemb import registry
from fastemb.corpus.phrases import FrozenPhrases, Phrases
from fastemb.errors import FormatError
from fastemb.io.gensim_pickle import (
    GensimObject,
    attr,
    document_vectors_arrays,
    keyed_vectors_arrays,
    read_gensim,
)
from fastemb.models.doc2vec import Doc2Vec
from fastemb.models.fasttext import FastText
from fastemb.models.word2vec import Word2Vec
from fastemb.vectors.keyedvectors import KeyedVectors
from fastemb.vectors.subword import FastTextKeyedVectors

__all__ = ["load_gensim"]


def _common_params(record, vectors):
    """Constructor arguments every Word2Vec-family model shares, read from a
    gensim record of any version (gensim 3 kept some in ``vocabulary``)."""
    return dict(
        vector_size=vectors.shape[1], window=int(attr(record, "window", default=5)),
        min_count=int(attr(record, "min_count", "vocabulary.min_count", default=5)),
        sample=float(attr(record, "sample", "vocabulary.sample", default=1e-3)),
        hs=int(attr(record, "hs", default=0)),
        negative=int(attr(record, "negative", default=5)),
        alpha=float(attr(record, "alpha", default=0.025)),
        min_alpha=float(attr(record, "min_alpha", default=0.0001)),
        epochs=int(attr(record, "epochs", "iter", default=5)),
        seed=int(attr(record, "seed", "trainables.seed", default=1)))


def _output_layers(model, record, rows):
    """Put gensim's output layers into ``model`` (zeros where a layer the
    model uses was not saved, so training can go on)."""
    dim = model.layer1_size  # Doc2Vec's concatenated layer is wider
    for name in ("syn1neg", "syn1"):
        array = attr(record, name, f"trainables.{name}")
        uses = model.negative if name == "syn1neg" else model.hs
        if uses and array is not None and np.asarray(array).shape == (rows, dim):
            setattr(model, name, np.asarray(array, dtype=np.float32))
        elif uses:
            setattr(model, name, np.zeros((rows, dim), dtype=np.float32))


def _finish(model, record):
    model.corpus_count = int(attr(record, "corpus_count", default=0))
    # None when the file does not say (gensim before 3.x), as gensim loads it
    total_words = attr(record, "corpus_total_words")
    model.corpus_total_words = None if total_words is None else int(total_words)
    # gensim counts train() calls, not epochs: assume each ran the model's epochs
    model.epochs_trained = model.epochs * max(1, int(attr(record, "train_count", default=1)))
    model._weights_trained = True
    return model


def _word2vec(record):
    wv = attr(record, "wv")
    keys, vectors, counts = keyed_vectors_arrays(wv if isinstance(wv, GensimObject) else record)
    model = Word2Vec(sg=int(attr(record, "sg", default=0)),
                     cbow_mean=int(attr(record, "cbow_mean", default=1)),
                     **_common_params(record, vectors))
    model.wv = KeyedVectors.from_arrays(keys, vectors, counts)
    _output_layers(model, record, len(keys))
    return _finish(model, record)


def _fasttext(record, path):
    """gensim FastText with fastText's n-gram hashing (``compatible_hash``,
    gensim 3.6 on): the words' own rows and the n-gram bucket matrix, full
    (gensim 3.8 on) or only the used buckets listed by ``hash2index``
    (gensim 3.6-3.7: the others are zeros here; gensim 3 left them out of
    an unseen word's mean, so such a vector keeps its direction and is
    shorter). Earlier models hashed differently and are refused."""
    wv = attr(record, "wv")
    own = attr(wv, "vectors_vocab")
    ngrams = attr(wv, "vectors_ngrams")
    bucket = int(attr(wv, "bucket", default=attr(record, "bucket", default=0)))
    # gensim 3.6 on says so; a file without the flag predates it
    compatible = attr(wv, "compatible_hash", default=attr(record, "compatible_hash",
                                                          default=False)) is True
    if own is None or ngrams is None or not compatible:
        raise FormatError(f"{path} is a FastText model from gensim before 3.6, whose n-gram "
                          "hashing differs from fastText's: load it in gensim 3.8 and save "
                          "it again (or save_facebook_model it), then convert that")
    ngrams = np.asarray(ngrams, dtype=np.float32)
    hash2index = attr(wv, "hash2index")
    if hash2index is not None:
        ngrams = _buckets_from_hash2index(hash2index, ngrams, bucket, path)
    if ngrams.shape != (bucket, own.shape[1]):
        raise FormatError(f"{path}: n-gram matrix of shape {ngrams.shape} for {bucket} buckets")
    keys, _, counts = keyed_vectors_arrays(wv)
    own = np.asarray(own, dtype=np.float32)[:len(keys)]
    min_n, max_n = int(attr(wv, "min_n", default=3)), int(attr(wv, "max_n", default=6))
    model = FastText(sg=int(attr(record, "sg", default=0)),
                     cbow_mean=int(attr(record, "cbow_mean", default=1)),
                     min_n=min_n, max_n=max_n, bucket=bucket, **_common_params(record, own))
    model.wv = FastTextKeyedVectors.from_dense(keys, counts, np.vstack([own, ngrams]), min_n,
                                               max_n, bucket)
    _output_layers(model, record, len(keys))
    return _finish(model, record)


def _buckets_from_hash2index(hash2index, rows, bucket, path):
    """The full ``bucket`` x dim table of a gensim 3.6-3.7 model, which kept
    only its used buckets' rows, ``hash2index`` mapping bucket to row."""
    if not isinstance(hash2index, dict):
        raise FormatError(f"{path}: hash2index is a {type(hash2index).__name__}, not a dict")
    try:
        buckets = np.fromiter(hash2index.keys(), dtype=np.int64, count=len(hash2index))
        stored = np.fromiter(hash2index.values(), dtype=np.int64, count=len(hash2index))
    except (TypeError, ValueError):
        raise FormatError(f"{path}: hash2index holds something other than integers") from None
    if len(buckets) and (buckets.min() < 0 or buckets.max() >= bucket or stored.min() < 0
                         or stored.max() >= len(rows)):
        raise FormatError(f"{path}: hash2index points outside {bucket} buckets or "
                          f"{len(rows)} stored rows")
    table = np.zeros((bucket, rows.shape[1]), dtype=np.float32)
    table[buckets] = rows[stored]
    return table


def _doc2vec(record):
    wv = attr(record, "wv")
    keys, vectors, counts = keyed_vectors_arrays(wv if isinstance(wv, GensimObject) else record)
    tags, doc_vectors = document_vectors_arrays(record)
    if doc_vectors.ndim != 2 or doc_vectors.shape[0] < len(tags) or \
            doc_vectors.shape[1] != vectors.shape[1]:
        raise FormatError(f"gensim document vectors of shape {doc_vectors.shape} do not match "
                          f"{len(tags)} tags of dimension {vectors.shape[1]}")
    dm = 1 - int(attr(record, "sg", default=0))
    model = Doc2Vec(dm=dm, dm_mean=int(attr(record, "cbow_mean", default=1)) if dm else None,
                    dbow_words=int(attr(record, "dbow_words", default=0)),
                    dm_concat=0 if not attr(record, "dm_concat") else 1,
                    dm_tag_count=int(attr(record, "dm_tag_count", default=1)),
                    **_common_params(record, vectors))
    model.wv = KeyedVectors.from_arrays(keys, vectors, counts)
    model.dv = KeyedVectors.from_arrays(tags, doc_vectors[:len(tags)])
    _output_layers(model, record, len(keys))
    return _finish(model, record)


def _text(value):
    """gensim 3 kept phrase words and delimiters as UTF-8 bytes."""
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def _phrase_settings(record, path):
    """The settings both phrase models share, from any gensim version."""
    scoring = attr(record, "scoring", default="default")
    if not isinstance(scoring, str):  # a function: gensim's own are known by name
        name = getattr(scoring, "gensim_class", "")
        scoring = {"gensim.models.phrases.original_scorer": "default",
                   "gensim.models.phrases.npmi_scorer": "npmi"}.get(name)
        if scoring is None:
            raise FormatError(f"{path} is scored by {name or scoring!r}, which fastemb does "
                              "not run from a file")
    connectors = attr(record, "connector_words", "common_terms", default=frozenset())
    return dict(threshold=attr(record, "threshold", default=10.0),
                min_count=int(attr(record, "min_count", default=5)),
                delimiter=_text(attr(record, "delimiter", default="_")), scoring=scoring,
                connector_words=frozenset(_text(word) for word in connectors))


def _phrases(record, path):
    settings = _phrase_settings(record, path)
    vocab = attr(record, "vocab", default={})
    return Phrases.from_counts(
        {_text(key): int(count) for key, count in vocab.items()},
        corpus_word_count=int(attr(record, "corpus_word_count", default=0)),
        min_reduce=int(attr(record, "min_reduce", default=1)),
        max_vocab_size=int(attr(record, "max_vocab_size", default=40000000)), **settings)


def _frozen_phrases(record, path):
    settings = _phrase_settings(record, path)
    delimiter = settings["delimiter"]
    grams = {}
    for phrase, value in attr(record, "phrasegrams", default={}).items():
        # gensim 3: (word, word) -> (count, score); gensim 4: joined str -> score
        key = delimiter.join(_text(w) for w in phrase) if isinstance(phrase, tuple) \
            else _text(phrase)
        grams[key] = value[-1] if isinstance(value, tuple) else value
    return FrozenPhrases.from_phrasegrams(grams, **settings)


def load_gensim(path, mmap=None):
    """Read a gensim model (``Word2Vec``, ``FastText``, ``Doc2Vec``,
    ``Phrases``, ``FrozenPhrases``/``Phraser``) or ``KeyedVectors`` file
    safely.

    Parameters
    ----------
    path : str or os.PathLike
    mmap : {None, 'r'}
        Map ``.npy`` sidecars instead of reading them.

    Returns
    -------
    Word2Vec, FastText, Doc2Vec or KeyedVectors
        A model trains on (its output layer comes along; a hierarchical
        softmax layer only fits the Huffman tree fastemb rebuilds if gensim
        built the same one).

    Raises
    ------
    FormatError
        Not a gensim pickle, a refused (code-naming) pickle, a missing
        sidecar, or a kind of model not supported (gensim's fastText
        wrapper, FastText from before gensim 3.6).
    """
    path = os.fspath(path)
    record = read_gensim(path, mmap)
    kind = record.gensim_class.rsplit(".", 1)[-1]
    if "KeyedVectors" in kind and "FastText" not in kind:
        keys, vectors, counts = keyed_vectors_arrays(record)
        return KeyedVectors.from_arrays(keys, vectors, counts)
    if record.gensim_class == "gensim.models.fasttext.FastText":
        return _fasttext(record, path)
    if kind == "Word2Vec":
        return _word2vec(record)
    if kind == "Phrases":
        return _phrases(record, path)
    if kind in ("Phraser", "FrozenPhrases"):
        return _frozen_phrases(record, path)
    if kind == "Doc2Vec":
        return _doc2vec(record)
    raise FormatError(f"{path} holds a gensim {record.gensim_class}; fastemb reads gensim's "
                      "Word2Vec, FastText (3.6+) and Doc2Vec models and KeyedVectors files")


registry.register_reader("gensim", load_gensim)
