"""Files of :class:`~fastemb.vectors.keyedvectors.KeyedVectors`: word2vec
text and binary (compressed too), GloVe text, and fastEmb's native format,
as functions ``KeyedVectors`` takes as its methods. The bytes are read and
written by :mod:`fastemb.io`; a gensim pickle is read by the reader the
registry holds (:mod:`fastemb.models.gensim_models`), never unpickled.
"""
import logging

import numpy as np

from fastemb import registry
from fastemb._key_table import KeyTable, build_table
from fastemb.errors import FormatError
from fastemb.io import native
from fastemb.io.gensim_pickle import is_pickle
from fastemb.io.vector_files import write_word2vec
from fastemb.io.vector_reader import read_word2vec
from fastemb.vectors.key_index import KeyIndex
from fastemb.vectors.queries import row_norms

__all__ = ["save_word2vec_format", "load_word2vec_format", "intersect_word2vec_format",
           "save", "load", "native_arrays", "key_arrays", "from_native", "native_keys",
           "with_key_arrays"]

# the class's own name: these functions are its methods
logger = logging.getLogger("fastemb.vectors.keyedvectors")


def save_word2vec_format(kv, fname, fvocab=None, binary=False, total_vec=None,
                         write_header=True, prefix="", append=False, sort_attr="count"):
    """Write the vectors in word2vec text or binary format (or GloVe's, with
    ``write_header=False``), readable by gensim and the C tools.

    Parameters
    ----------
    fname : str
        Replaced atomically unless ``append``.
    fvocab : str, optional
        Also write ``word count`` lines to this file.
    binary : bool
    total_vec : int, optional
        Count in the header (default: the number of keys written), for a
        file more vectors will be appended to.
    write_header : bool
    prefix : str
        Written before every key (e.g. to tell documents from words).
    append : bool
        Add to an existing file instead of replacing it.
    sort_attr : str
        Write keys by descending value of this attribute (ties keep their
        order); keys are written in row order if the attribute is missing.
    """
    if sort_attr in kv.expandos:
        values = np.asarray(kv.expandos[sort_attr])
        order = np.argsort(-values, kind="stable") if len(values) == len(kv) \
            else np.arange(len(kv))
    else:
        if fvocab is not None:
            raise ValueError(f"cannot write a vocabulary of {sort_attr!r}: "
                             "no such attribute")
        order = np.arange(len(kv))
    # leading integer keys 0..k (documents tagged by number) stay first, in order
    leading = 0
    while leading < len(kv) and kv.index_to_key[leading] == leading:
        leading += 1
    if leading:
        order = np.concatenate([np.arange(leading), order[order >= leading]])
    keys = [f"{prefix}{kv.index_to_key[i]}" for i in order]
    write_word2vec(fname, keys, kv.vectors[order], binary, write_header, total_vec, append)
    if fvocab is not None:
        counts = kv.expandos[sort_attr][order]
        text = "".join(f"{key} {int(count)}\n" for key, count in zip(keys, counts))
        if append:
            with open(fvocab, "ab") as out:
                out.write(text.encode("utf-8"))
        else:
            with native.atomic_writer(fvocab) as out:
                out.write(text.encode("utf-8"))


def load_word2vec_format(cls, fname, fvocab=None, binary=False, encoding="utf8",
                         unicode_errors="strict", limit=None, datatype=np.float32,
                         no_header=False, binary_chunk_size=None, workers=None, progress=None):
    """Read word2vec text/binary or GloVe text (``no_header=True``) vectors.

    The file is streamed a block at a time and parsed in C (text on
    several threads) into a matrix allocated once, so a file of any size
    needs little more memory than its vectors.

    Parameters
    ----------
    fname : str
    fvocab : str, optional
        ``word count`` lines (the C tool's ``-save-vocab``) giving counts.
    binary : bool
    encoding : str
        Only UTF-8 is supported.
    unicode_errors : str
        How to decode keys that are not valid UTF-8 (``'strict'`` raises,
        ``'replace'``/``'ignore'`` as for ``bytes.decode``).
    limit : int, optional
        Read only the first ``limit`` vectors.
    datatype : numpy float dtype
        Kept for the vectors (e.g. ``np.float16`` halves the memory).
    no_header : bool
        The file has no ``count dim`` line (GloVe).
    binary_chunk_size : int, optional
        Bytes read at a time, text or binary (default 16 MiB).
    workers : int, optional
        Threads parsing a text file (default: the cores, at most 8).
    progress : callable, optional
        ``progress(done, total)`` in bytes of the file, after each block.

    Returns
    -------
    KeyedVectors

    Raises
    ------
    FormatError
        Corrupt file; a ``TruncatedFileError`` (also an ``EOFError``)
        when it ends early, a ``FileEncodingError`` (also a
        ``UnicodeDecodeError``) for undecodable keys.
    """
    if encoding.replace("-", "").lower() != "utf8":
        raise ValueError("only UTF-8 vector files are supported")
    index = {}
    keys, vectors = read_word2vec(fname, binary, no_header, limit, unicode_errors, datatype,
                                  chunk_bytes=binary_chunk_size, workers=workers,
                                  key_index=index, progress=progress)
    counts = None
    if fvocab is not None:
        table = {}
        with open(fvocab, encoding="utf-8", errors=unicode_errors) as handle:
            for line in handle:
                word, _, count = line.rstrip("\n").rpartition(" ")
                table[word] = int(count)
        counts = np.array([table.get(k, 0) for k in keys], dtype=np.int64)
    kv = cls.from_arrays(keys, vectors, counts, index)
    if counts is None:
        # the files are sorted by frequency: keep that order as a proxy
        kv.counts = np.arange(len(keys), 0, -1, dtype=np.int64)
    return kv


def intersect_word2vec_format(kv, fname, lockf=0.0, binary=False, encoding="utf8",
                              unicode_errors="strict"):
    """Take the vectors of a word2vec file for the keys already present
    (no key is added), and set their lock factor: 0 (the default) freezes
    them in later training, 1 trains them as usual.

    Parameters
    ----------
    fname : str
    lockf : float
    binary, encoding, unicode_errors
        As for :meth:`load_word2vec_format`.

    Returns
    -------
    int
        Number of keys whose vectors were taken.

    Raises
    ------
    ValueError
        The file's vectors have another dimension.
    """
    other = registry.class_named("KeyedVectors").load_word2vec_format(
        fname, binary=binary, encoding=encoding, unicode_errors=unicode_errors)
    if other.vector_size != kv.vector_size:
        raise ValueError(f"{fname} holds vectors of dimension {other.vector_size}, "
                         f"these have {kv.vector_size}")
    pairs = [(kv.key_to_index[k], i) for i, k in enumerate(other.index_to_key)
             if k in kv.key_to_index]
    if pairs:
        mine, theirs = (np.array(side, dtype=np.int64) for side in zip(*pairs))
        kv.make_writable()
        kv.vectors[mine] = other.vectors[theirs]
        kv.expand_lockf()
        kv.vectors_lockf[mine] = lockf
    kv.norms = None
    kv.add_lifecycle_event("intersect_word2vec_format",
                             msg=f"merged {len(pairs)} vectors into {kv.vectors.shape} "
                                 f"matrix from {fname}")
    return len(pairs)


def save(kv, fname, *args, **kwargs):
    """Save in fastemb's native format (atomic, no pickle).

    Parameters
    ----------
    fname : str or os.PathLike
    *args, **kwargs
        gensim's pickling options (``separately``, ``sep_limit``,
        ``ignore``, ``pickle_protocol``): accepted and ignored, as the
        native file is one file whose arrays can always be mapped.
    """
    native.save_arrays(fname, kv._arrays(), {"kind": type(kv).__name__,
                                               "vectors": kv._meta()})


def load(cls, fname, mmap=None):
    """Load vectors saved by :meth:`save` (or the ``wv`` of a saved model).

    Parameters
    ----------
    fname : str or os.PathLike
    mmap : {None, 'r', 'c'}
        Map the vectors from the file instead of reading them.

    Returns
    -------
    KeyedVectors

    Notes
    -----
    A ``KeyedVectors`` file saved by gensim (a pickle) is read too,
    through :func:`fastemb.load_gensim`, which never runs code from it.
    """
    if is_pickle(fname):
        loaded = registry.reader_named("gensim")(fname, mmap=mmap)
        return loaded if isinstance(loaded, registry.class_named("KeyedVectors")) else loaded.wv
    arrays, meta = native.load_arrays(fname, mmap=mmap)
    if ("vectors" not in arrays and "codes" not in arrays) or "keys_blob" not in arrays:
        raise FormatError(f"{fname} holds a {meta.get('kind', 'unknown')} file "
                          "without word vectors")
    vectors_class = cls
    if "codes" in arrays:  # compressed: they answer from their codes
        vectors_class = registry.class_named("CompressedFastTextKeyedVectors"
                                             if "ngram_codes" in arrays else
                                             "CompressedKeyedVectors")
    elif "input_matrix" in arrays:
        # subword vectors (a FastText model or its wv): keep unseen-word lookups
        vectors_class = registry.class_named("FastTextKeyedVectors")
    try:
        return vectors_class._from_native(arrays, meta, mapped=mmap is not None)
    except FormatError:
        raise
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise FormatError(f"{fname} is missing vectors data or holds it damaged "
                          f"({type(exc).__name__}: {exc})") from None


def native_arrays(kv):
    """The arrays of a native file: vectors, norms and :func:`key_arrays`."""
    # the norms are computed afresh, not kept: training may still change the
    # vectors after a save
    return {"vectors": np.asarray(kv.vectors, dtype=np.float32),
            "norms": row_norms(kv.vectors), **key_arrays(kv)}


def key_arrays(kv):
    """The arrays of a native file besides the vectors: keys (with their
    lookup table), counts, the other numeric per-key attributes and per-row
    lock factors."""
    blob, ends = native.encode_strings(kv.index_to_key)
    arrays = {"keys_blob": blob, "keys_ends": ends, "counts": kv.counts}
    table, duplicate = build_table(blob, ends)
    if duplicate < 0:
        arrays["keys_table"] = table
    for attr, values in kv.expandos.items():
        if attr == "count":
            continue
        if values.dtype == object:
            logger.warning("attribute %r holds Python objects and is not saved", attr)
            continue
        arrays[f"vecattr:{attr}"] = values
    if np.asarray(kv.vectors_lockf).size > 1:
        arrays["vectors_lockf"] = np.asarray(kv.vectors_lockf, dtype=np.float32)
    return arrays


def from_native(cls, arrays, meta, mapped=False):
    """Vectors of class ``cls`` from a native file's arrays.

    Parameters
    ----------
    cls : type
    arrays : dict of str to ndarray
    meta : dict
    mapped : bool
        The vectors were opened with ``mmap`` and stay as saved: answer
        ``key_to_index`` from the file's key table (:class:`~fastemb.vectors.
        key_index.KeyIndex`) instead of building a dict, and take the norms
        saved with them instead of a pass over the vectors.

    Returns
    -------
    KeyedVectors
    """
    keys, index = native_keys(arrays, mapped)
    kv = cls.from_arrays(keys, arrays["vectors"], arrays["counts"], index)
    if mapped and "norms" in arrays and len(arrays["norms"]) == len(keys):
        kv.norms = arrays["norms"]
    return with_key_arrays(kv, arrays)


def native_keys(arrays, mapped):
    """A native file's keys, and (``mapped``) their index answered from its
    key table, else None."""
    keys = native.decode_strings(arrays["keys_blob"], arrays["keys_ends"])
    index = None
    if mapped and "keys_table" in arrays:
        index = KeyIndex(keys, KeyTable(arrays["keys_blob"], arrays["keys_ends"],
                                        arrays["keys_table"]))
    return keys, index


def with_key_arrays(kv, arrays):
    """``kv`` given a native file's per-key attributes and lock factors."""
    keys = kv.index_to_key
    for name, values in arrays.items():
        if name.startswith("vecattr:"):
            if len(values) != len(keys):
                raise FormatError(f"attribute {name[8:]!r} has {len(values)} entries "
                                  f"for {len(keys)} keys")
            kv.expandos[name[8:]] = values
    if "vectors_lockf" in arrays:
        kv.vectors_lockf = arrays["vectors_lockf"]
    return kv
