"""gensim's saved files read as data, without running code from them.

A gensim ``.model`` file is a pickle, with its large arrays in ``.npy``
files beside it. Unpickling normally imports and calls whatever the file
names, which is how a malicious model file runs code. This unpickler builds
data only: numpy arrays, containers, numbers and strings, and a plain record
(:class:`GensimObject`) in place of every gensim object, holding its
attributes. Any other class or function a file names is refused with an
error that names it, before anything is called. The models and vectors
classes turn the records into themselves
(:mod:`fastemb.models.gensim_models`).
"""
import io
import os
import pickle

import numpy as np

from fastemb.errors import FormatError

__all__ = ["read_gensim", "GensimObject", "SafeUnpickler", "is_pickle", "attr",
           "keyed_vectors_arrays", "document_vectors_arrays"]


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


def attr(record, *names, default=None):
    """The first of ``names`` the record has (gensim renamed much over time)."""
    for name in names:
        node = record
        for part in name.split("."):
            node = node.__dict__.get(part) if isinstance(node, GensimObject) else None
        if node is not None:
            return node
    return default


def keyed_vectors_arrays(record):
    """``(keys, vectors, counts)`` of a gensim KeyedVectors (or of a pre-1.0
    model that held them itself)."""
    vectors = attr(record, "vectors", "syn0", "vectors_vocab")
    keys = attr(record, "index_to_key", "index2word", "index2entity")
    if vectors is None or keys is None:
        raise FormatError(f"the gensim {record.gensim_class} holds no word vectors")
    keys = [k.decode("utf-8") if isinstance(k, bytes) else k for k in keys]
    vectors = np.asarray(vectors)
    if vectors.ndim != 2 or vectors.shape[0] < len(keys):
        raise FormatError(f"gensim vectors of shape {vectors.shape} for {len(keys)} keys")
    counts = np.zeros(len(keys), dtype=np.int64)
    expandos = attr(record, "expandos")
    vocab = attr(record, "vocab")
    if isinstance(expandos, dict) and "count" in expandos:
        counts[:] = np.asarray(expandos["count"])[:len(keys)]
    elif isinstance(vocab, dict):
        for i, key in enumerate(keys):
            entry = vocab.get(key)
            if isinstance(entry, GensimObject):
                counts[i] = int(entry.__dict__.get("count", 0))
    return keys, vectors[:len(keys)], counts


def document_vectors_arrays(record):
    """``(tags, vectors)`` of a gensim Doc2Vec: ``dv`` in gensim 4; in gensim
    3 the ``docvecs``, whose int tags 0..max_rawint come first, then the
    string tags of ``offset2doctag``."""
    dv = attr(record, "dv")
    if isinstance(dv, GensimObject):
        tags = list(attr(dv, "index_to_key", default=[]))
        return tags, np.asarray(attr(dv, "vectors"))
    docvecs = attr(record, "docvecs")
    if not isinstance(docvecs, GensimObject):
        raise FormatError("the gensim Doc2Vec holds no document vectors")
    vectors = np.asarray(attr(docvecs, "vectors_docs", "doctag_syn0"))
    strings = list(attr(docvecs, "offset2doctag", "index2doctag", default=[]))
    max_rawint = attr(docvecs, "max_rawint")
    if max_rawint is None:  # gensim 0.12.0-0.12.2: the rows not tagged by a string
        count = int(attr(docvecs, "count", default=len(vectors)))
        max_rawint = count - len(strings) - 1
    return list(range(int(max_rawint) + 1)) + strings, vectors


def read_gensim(path, mmap=None):
    """Read a gensim pickle as a record, safely, with its ``.npy`` sidecars.

    Parameters
    ----------
    path : str or os.PathLike
    mmap : {None, 'r'}
        Map ``.npy`` sidecars instead of reading them.

    Returns
    -------
    GensimObject
        ``gensim_class`` names what gensim saved; the attributes are plain
        data.

    Raises
    ------
    FormatError
        Not a gensim pickle, a refused (code-naming) pickle, or a missing
        sidecar.
    """
    path = os.fspath(path)
    if not is_pickle(path):
        raise FormatError(f"{path} is not a gensim model file (not a pickle)")
    record = _unpickle(path)
    if not isinstance(record, GensimObject):
        raise FormatError(f"{path} holds a {type(record).__name__}, not a gensim model")
    _load_sidecars(record, path, mmap)
    return record
