"""Read models saved by gensim (0.12 to 4.x) without running code from them.

A gensim ``.model`` file is a pickle, with its large arrays in ``.npy``
files beside it. Unpickling normally imports and calls whatever the file
names, which is how a malicious model file runs code. fastemb's unpickler
builds data only: numpy arrays, containers, numbers and strings, and a plain
record (:class:`GensimObject`) in place of every gensim object, holding its
attributes. Any other class or function a file names is refused with an
error that names it, before anything is called. The records are then read
into fastemb's own models.

Supported: ``Word2Vec`` and ``Doc2Vec`` models and ``KeyedVectors`` files,
gensim 0.12 to 4.x; ``FastText`` models from gensim 3.8 on (earlier ones
hashed n-grams differently); ``.npy`` sidecars (mapped with ``mmap='r'`` if
asked).
"""
import io
import os
import pickle

import numpy as np

from fastemb.errors import FormatError

__all__ = ["load_gensim", "GensimObject", "SafeUnpickler", "is_pickle"]


class GensimObject:
    """The attributes of an object a gensim pickle described, and its class
    name; nothing of the class itself is imported or run."""

    gensim_class = "?"

    def __init__(self, *args, **kwargs):
        self.__dict__["_args"] = args

    def __setstate__(self, state):
        if isinstance(state, tuple) and len(state) == 2:
            state, slots = state
            if isinstance(slots, dict):
                self.__dict__.update(slots)
        if isinstance(state, dict):
            self.__dict__.update({str(k): v for k, v in state.items()})

    def __repr__(self):
        return f"<gensim {self.gensim_class} record>"


def _placeholder(*args, **kwargs):
    """Stands in for the random-state constructors gensim pickles: fastemb
    draws its own randomness, so the state is not needed."""
    return GensimObject()


#: numpy's array and dtype reconstruction (C code that only builds data).
_NUMPY = {("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
          ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"),
          ("numpy", "ndarray"), ("numpy", "dtype")}
#: Builtins that build plain values.
_BUILTINS = {"set", "frozenset", "dict", "list", "tuple", "int", "float", "complex", "bytes",
             "bytearray", "str", "bool", "object", "slice", "long", "unicode"}
#: Harmless references gensim stores (the hash function of gensim 3's
#: ``hashfxn``, its decorator helper, random states).
_PLACEHOLDERS = {("builtins", "hash"), ("gensim.utils", "call_on_class_only"),
                 ("numpy.random", "__RandomState_ctor"),
                 ("numpy.random._pickle", "__randomstate_ctor"),
                 ("numpy.random._pickle", "__bit_generator_ctor"),
                 ("numpy.random._pickle", "__generator_ctor"),
                 ("numpy.random.mtrand", "RandomState"),
                 ("numpy.random._mt19937", "MT19937"), ("numpy.random._pcg64", "PCG64"),
                 ("numpy.random._philox", "Philox"), ("numpy.random._sfc64", "SFC64")}


class SafeUnpickler(pickle.Unpickler):
    """An unpickler that constructs plain data only (see the module notes).

    Raises
    ------
    pickle.UnpicklingError
        The pickle names a class or function outside the data allow-list.
    """

    _records = {}

    def find_class(self, module, name):
        module = {"__builtin__": "builtins", "copy_reg": "copyreg"}.get(module, module)
        if (module, name) in _NUMPY:
            return super().find_class(module, name)
        if module == "builtins" and name in _BUILTINS:
            return {"long": int, "unicode": str}.get(name) or getattr(__import__("builtins"), name)
        if (module, name) in {("collections", "defaultdict"), ("collections", "OrderedDict"),
                              ("copyreg", "_reconstructor"), ("_codecs", "encode")}:
            return super().find_class(module, name)
        if (module, name) in _PLACEHOLDERS:
            return _placeholder
        if module == "gensim" or module.startswith("gensim."):
            key = f"{module}.{name}"
            if key not in self._records:
                self._records[key] = type(name, (GensimObject,), {"gensim_class": key})
            return self._records[key]
        raise pickle.UnpicklingError(
            f"refusing to load {module}.{name}: a gensim model file should hold only data, "
            "and fastemb never runs code from a file")


def is_pickle(path):
    """True if ``path`` starts like a pickle (protocol 2 or later)."""
    try:
        with open(path, "rb") as handle:
            return handle.read(1) == b"\x80"
    except OSError:
        return False


def _unpickle(path):
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise FormatError(f"cannot read {path}: {exc}") from None
    try:
        return SafeUnpickler(io.BytesIO(data), encoding="latin1").load()
    except pickle.UnpicklingError as exc:
        raise FormatError(f"{path}: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - garbage makes the unpickler raise anything;
        # nothing in it ran code (see SafeUnpickler), so every failure means "damaged"
        raise FormatError(f"{path} is not a readable gensim pickle "
                          f"({type(exc).__name__}: {exc})") from None


def _load_sidecars(record, fname, mmap):
    """Put back the arrays gensim saved beside the pickle (its ``__numpys``),
    recursively through ``__recursive_saveloads``."""
    state = record.__dict__
    for attrib in state.get("__recursive_saveloads", []):
        child = state.get(attrib)
        if isinstance(child, GensimObject):
            _load_sidecars(child, f"{fname}.{attrib}", mmap)
    for attrib in state.get("__numpys", []):
        path = f"{fname}.{attrib}.npy"
        if not os.path.exists(path):
            raise FormatError(f"{fname} keeps {attrib!r} in {path}, which is missing")
        try:
            state[attrib] = np.load(path, mmap_mode=mmap, allow_pickle=False)
        except ValueError as exc:
            raise FormatError(f"{path}: {exc}") from None
    for attrib in state.get("__ignoreds", []):
        state[attrib] = None


def _attr(record, *names, default=None):
    """The first of ``names`` the record has (gensim renamed much over time)."""
    for name in names:
        node = record
        for part in name.split("."):
            node = node.__dict__.get(part) if isinstance(node, GensimObject) else None
        if node is not None:
            return node
    return default


def _keyed_vectors(record):
    """``(keys, vectors, counts)`` of a gensim KeyedVectors (or of a pre-1.0
    model that held them itself)."""
    vectors = _attr(record, "vectors", "syn0", "vectors_vocab")
    keys = _attr(record, "index_to_key", "index2word", "index2entity")
    if vectors is None or keys is None:
        raise FormatError(f"the gensim {record.gensim_class} holds no word vectors")
    keys = [k.decode("utf-8") if isinstance(k, bytes) else k for k in keys]
    vectors = np.asarray(vectors)
    if vectors.ndim != 2 or vectors.shape[0] < len(keys):
        raise FormatError(f"gensim vectors of shape {vectors.shape} for {len(keys)} keys")
    counts = np.zeros(len(keys), dtype=np.int64)
    expandos = _attr(record, "expandos")
    vocab = _attr(record, "vocab")
    if isinstance(expandos, dict) and "count" in expandos:
        counts[:] = np.asarray(expandos["count"])[:len(keys)]
    elif isinstance(vocab, dict):
        for i, key in enumerate(keys):
            entry = vocab.get(key)
            if isinstance(entry, GensimObject):
                counts[i] = int(entry.__dict__.get("count", 0))
    return keys, vectors[:len(keys)], counts


def _common_params(record, vectors):
    """Constructor arguments every Word2Vec-family model shares, read from a
    gensim record of any version (gensim 3 kept some in ``vocabulary``)."""
    return dict(
        vector_size=vectors.shape[1], window=int(_attr(record, "window", default=5)),
        min_count=int(_attr(record, "min_count", "vocabulary.min_count", default=5)),
        sample=float(_attr(record, "sample", "vocabulary.sample", default=1e-3)),
        hs=int(_attr(record, "hs", default=0)),
        negative=int(_attr(record, "negative", default=5)),
        alpha=float(_attr(record, "alpha", default=0.025)),
        min_alpha=float(_attr(record, "min_alpha", default=0.0001)),
        epochs=int(_attr(record, "epochs", "iter", default=5)),
        seed=int(_attr(record, "seed", "trainables.seed", default=1)))


def _output_layers(model, record, rows):
    """Put gensim's output layers into ``model`` (zeros where a layer the
    model uses was not saved, so training can go on)."""
    dim = model.vector_size
    for name in ("syn1neg", "syn1"):
        array = _attr(record, name, f"trainables.{name}")
        uses = model.negative if name == "syn1neg" else model.hs
        if uses and array is not None and np.asarray(array).shape == (rows, dim):
            setattr(model, name, np.asarray(array, dtype=np.float32))
        elif uses:
            setattr(model, name, np.zeros((rows, dim), dtype=np.float32))


def _finish(model, record):
    model.corpus_count = int(_attr(record, "corpus_count", default=0))
    # None when the file does not say (gensim before 3.x), as gensim loads it
    total_words = _attr(record, "corpus_total_words")
    model.corpus_total_words = None if total_words is None else int(total_words)
    # gensim counts train() calls, not epochs: assume each ran the model's epochs
    model.epochs_trained = model.epochs * max(1, int(_attr(record, "train_count", default=1)))
    model._weights_trained = True
    return model


def _word2vec(record):
    from fastemb.keyedvectors import KeyedVectors
    from fastemb.word2vec import Word2Vec
    wv = _attr(record, "wv")
    keys, vectors, counts = _keyed_vectors(wv if isinstance(wv, GensimObject) else record)
    model = Word2Vec(sg=int(_attr(record, "sg", default=0)),
                     cbow_mean=int(_attr(record, "cbow_mean", default=1)),
                     **_common_params(record, vectors))
    model.wv = KeyedVectors.from_arrays(keys, vectors, counts)
    _output_layers(model, record, len(keys))
    return _finish(model, record)


def _fasttext(record, path):
    """gensim 3.8+ FastText: the words' own rows and the full n-gram bucket
    matrix, hashed as fastText does (earlier versions hashed differently and
    kept only some buckets)."""
    from fastemb.fasttext import FastText
    from fastemb.fasttext_vectors import FastTextKeyedVectors
    wv = _attr(record, "wv")
    own = _attr(wv, "vectors_vocab")
    ngrams = _attr(wv, "vectors_ngrams")
    bucket = int(_attr(wv, "bucket", default=_attr(record, "bucket", default=0)))
    if own is None or ngrams is None or _attr(wv, "hash2index") is not None or \
            _attr(wv, "compatible_hash", default=True) is not True or len(ngrams) != bucket:
        raise FormatError(f"{path} is a FastText model from gensim before 3.8, whose n-gram "
                          "hashing differs from fastText's: load it in gensim 3.8 or later "
                          "and save it again (or save_facebook_model it), then convert that")
    keys, _, counts = _keyed_vectors(wv)
    own = np.asarray(own, dtype=np.float32)[:len(keys)]
    min_n, max_n = int(_attr(wv, "min_n", default=3)), int(_attr(wv, "max_n", default=6))
    model = FastText(sg=int(_attr(record, "sg", default=0)),
                     cbow_mean=int(_attr(record, "cbow_mean", default=1)),
                     min_n=min_n, max_n=max_n, bucket=bucket, **_common_params(record, own))
    model.wv = FastTextKeyedVectors.from_dense(
        keys, counts, np.vstack([own, np.asarray(ngrams, dtype=np.float32)]), min_n, max_n,
        bucket)
    _output_layers(model, record, len(keys))
    return _finish(model, record)


def _document_vectors(record):
    """``(tags, vectors)`` of a gensim Doc2Vec: ``dv`` in gensim 4; in gensim
    3 the ``docvecs``, whose int tags 0..max_rawint come first, then the
    string tags of ``offset2doctag``."""
    dv = _attr(record, "dv")
    if isinstance(dv, GensimObject):
        tags = list(_attr(dv, "index_to_key", default=[]))
        return tags, np.asarray(_attr(dv, "vectors"))
    docvecs = _attr(record, "docvecs")
    if not isinstance(docvecs, GensimObject):
        raise FormatError("the gensim Doc2Vec holds no document vectors")
    vectors = np.asarray(_attr(docvecs, "vectors_docs", "doctag_syn0"))
    strings = list(_attr(docvecs, "offset2doctag", "index2doctag", default=[]))
    max_rawint = _attr(docvecs, "max_rawint")
    if max_rawint is None:  # gensim 0.12.0-0.12.2: the rows not tagged by a string
        count = int(_attr(docvecs, "count", default=len(vectors)))
        max_rawint = count - len(strings) - 1
    return list(range(int(max_rawint) + 1)) + strings, vectors


def _doc2vec(record):
    from fastemb.doc2vec import Doc2Vec
    from fastemb.keyedvectors import KeyedVectors
    wv = _attr(record, "wv")
    keys, vectors, counts = _keyed_vectors(wv if isinstance(wv, GensimObject) else record)
    tags, doc_vectors = _document_vectors(record)
    if doc_vectors.ndim != 2 or doc_vectors.shape[0] < len(tags) or \
            doc_vectors.shape[1] != vectors.shape[1]:
        raise FormatError(f"gensim document vectors of shape {doc_vectors.shape} do not match "
                          f"{len(tags)} tags of dimension {vectors.shape[1]}")
    dm = 1 - int(_attr(record, "sg", default=0))
    model = Doc2Vec(dm=dm, dm_mean=int(_attr(record, "cbow_mean", default=1)) if dm else None,
                    dbow_words=int(_attr(record, "dbow_words", default=0)),
                    dm_concat=0 if not _attr(record, "dm_concat") else 1,
                    **_common_params(record, vectors))
    model.wv = KeyedVectors.from_arrays(keys, vectors, counts)
    model.dv = KeyedVectors.from_arrays(tags, doc_vectors[:len(tags)])
    _output_layers(model, record, len(keys))
    return _finish(model, record)


def load_gensim(path, mmap=None):
    """Read a gensim model (``Word2Vec``, ``FastText``, ``Doc2Vec``) or
    ``KeyedVectors`` file safely.

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
        wrapper, FastText from before gensim 3.8, ``dm_concat`` Doc2Vec).
    """
    from fastemb.keyedvectors import KeyedVectors
    path = os.fspath(path)
    if not is_pickle(path):
        raise FormatError(f"{path} is not a gensim model file (not a pickle)")
    record = _unpickle(path)
    if not isinstance(record, GensimObject):
        raise FormatError(f"{path} holds a {type(record).__name__}, not a gensim model")
    _load_sidecars(record, path, mmap)
    kind = record.gensim_class.rsplit(".", 1)[-1]
    if "KeyedVectors" in kind and "FastText" not in kind:
        keys, vectors, counts = _keyed_vectors(record)
        return KeyedVectors.from_arrays(keys, vectors, counts)
    if record.gensim_class == "gensim.models.fasttext.FastText":
        return _fasttext(record, path)
    if kind == "Word2Vec":
        return _word2vec(record)
    if kind == "Doc2Vec":
        if _attr(record, "dm_concat"):
            raise FormatError(f"{path} is a gensim Doc2Vec with dm_concat=1, which fastemb "
                              "does not train")
        return _doc2vec(record)
    raise FormatError(f"{path} holds a gensim {record.gensim_class}; fastemb reads gensim's "
                      "Word2Vec, FastText (3.8+) and Doc2Vec models and KeyedVectors files")
