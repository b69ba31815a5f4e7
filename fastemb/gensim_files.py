"""Read models saved by gensim (0.12 to 4.x) without running code from them.

A gensim ``.model`` file is a pickle, with its large arrays in ``.npy``
files beside it. Unpickling normally imports and calls whatever the file
names, which is how a malicious model file runs code. fastemb's unpickler
builds data only: numpy arrays, containers, numbers and strings, and a plain
record (:class:`GensimObject`) in place of every gensim object, holding its
attributes. Any other class or function a file names is refused with an
error that names it, before anything is called. The records are then read
into fastemb's own models.

Supported: ``Word2Vec`` models and ``KeyedVectors`` files, gensim 0.12 to
4.x; ``.npy`` sidecars (mapped with ``mmap='r'`` if asked).
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
    except (EOFError, ValueError, TypeError, AttributeError, IndexError, KeyError) as exc:
        raise FormatError(f"{path} is not a readable gensim pickle ({exc})") from None


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
    vectors = _attr(record, "vectors", "syn0")
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


def load_gensim(path, mmap=None):
    """Read a gensim ``Word2Vec`` model or ``KeyedVectors`` file safely.

    Parameters
    ----------
    path : str or os.PathLike
    mmap : {None, 'r'}
        Map ``.npy`` sidecars instead of reading them.

    Returns
    -------
    Word2Vec or KeyedVectors
        A model trains on (its output layer comes along; a hierarchical
        softmax layer only fits the Huffman tree fastemb rebuilds if gensim
        built the same one).

    Raises
    ------
    FormatError
        Not a gensim pickle, a refused (code-naming) pickle, a missing
        sidecar, or a kind of model not supported.
    """
    from fastemb.keyedvectors import KeyedVectors
    from fastemb.word2vec import Word2Vec
    path = os.fspath(path)
    if not is_pickle(path):
        raise FormatError(f"{path} is not a gensim model file (not a pickle)")
    record = _unpickle(path)
    if not isinstance(record, GensimObject):
        raise FormatError(f"{path} holds a {type(record).__name__}, not a gensim model")
    _load_sidecars(record, path, mmap)
    kind = record.gensim_class.rsplit(".", 1)[-1]
    if "KeyedVectors" in kind:
        keys, vectors, counts = _keyed_vectors(record)
        return KeyedVectors.from_arrays(keys, vectors, counts)
    if kind != "Word2Vec":
        raise FormatError(f"{path} holds a gensim {kind}; fastemb reads gensim's Word2Vec "
                          "models and KeyedVectors files")
    wv = _attr(record, "wv")
    keys, vectors, counts = _keyed_vectors(wv if isinstance(wv, GensimObject) else record)
    model = Word2Vec(
        vector_size=vectors.shape[1], window=int(_attr(record, "window", default=5)),
        min_count=int(_attr(record, "min_count", "vocabulary.min_count", default=5)),
        sample=float(_attr(record, "sample", "vocabulary.sample", default=1e-3)),
        sg=int(_attr(record, "sg", default=0)), hs=int(_attr(record, "hs", default=0)),
        negative=int(_attr(record, "negative", default=5)),
        cbow_mean=int(_attr(record, "cbow_mean", default=1)),
        alpha=float(_attr(record, "alpha", default=0.025)),
        min_alpha=float(_attr(record, "min_alpha", default=0.0001)),
        epochs=int(_attr(record, "epochs", "iter", default=5)),
        seed=int(_attr(record, "seed", default=1)))
    model.wv = KeyedVectors.from_arrays(keys, vectors, counts)
    dim = vectors.shape[1]
    for name in ("syn1neg", "syn1"):
        array = _attr(record, name, f"trainables.{name}")
        wanted = (len(keys), dim)
        uses = model.negative if name == "syn1neg" else model.hs
        if uses and array is not None and np.asarray(array).shape == wanted:
            setattr(model, name, np.asarray(array, dtype=np.float32))
        elif uses:
            # the output layer is missing (vectors-only save): train it anew
            setattr(model, name, np.zeros(wanted, dtype=np.float32))
    model.corpus_count = int(_attr(record, "corpus_count", default=0))
    # None when the file does not say (gensim before 3.x), as gensim loads it
    total_words = _attr(record, "corpus_total_words")
    model.corpus_total_words = None if total_words is None else int(total_words)
    return model
