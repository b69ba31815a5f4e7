"""The word2vec text and binary formats and GloVe's text format; this
module writes them, :mod:`fastemb.io.vector_reader` reads them.

word2vec text: a header ``"<count> <dim>"``, then ``word v1 ... vdim`` a line.
word2vec binary: the same header, then per word ``word`` + space + ``dim``
little-endian float32 + newline (the C tool's layout; gensim writes no
newline, and both are read here). GloVe text: the text format with no header.
Any of them may be compressed (gzip, bzip2, xz): written as the file's suffix
says, read by its first bytes.
"""

import numpy as np

from fastemb.io.compression import compressing
from fastemb.io.native import atomic_writer
from fastemb.io.vector_reader import read_floret_table, read_word2vec

__all__ = ["write_word2vec", "read_word2vec", "write_floret_table", "read_floret_table"]

_LINES_PER_BLOCK = 20000


def write_word2vec(path, keys, vectors, binary=False, write_header=True, total_vec=None,
                   append=False):
    """Write vectors in word2vec text/binary or (no header) GloVe text format.

    Parameters
    ----------
    path : str or os.PathLike
        Replaced atomically (unless ``append``); a name ending in ``.gz``,
        ``.bz2`` or ``.xz`` is written compressed.
    keys : list of str
    vectors : ndarray of shape (len(keys), dim)
    binary : bool
    write_header : bool
        False gives GloVe's text format.
    total_vec : int, optional
        Count written in the header (default ``len(keys)``), for a file that
        more vectors will be appended to.
    append : bool
        Add to the end of an existing file instead (not atomic).
    """
    vectors = np.asarray(vectors, dtype=np.float32)
    keys = [str(key) for key in keys]
    for key in keys:
        if not key or any(c.isspace() for c in key):
            raise ValueError(f"key {key!r} cannot be written: word2vec formats need "
                             "non-empty keys without whitespace")
    total_vec = len(keys) if total_vec is None else total_vec
    if append:
        # a compressed file takes another stream at its end, which readers join
        with open(path, "ab") as raw, compressing(raw, path) as out:
            _write_vectors(out, keys, vectors, binary, write_header, total_vec)
        return
    with atomic_writer(path) as raw, compressing(raw, path) as out:
        _write_vectors(out, keys, vectors, binary, write_header, total_vec)


def write_floret_table(path, table, min_n, max_n, hash_count, hash_seed):
    """Write floret's ``.floret`` table for spaCy, atomically (see
    :func:`~fastemb.io.vector_reader.read_floret_table`).

    Parameters
    ----------
    path : str or os.PathLike
        Compressed when its name ends in ``.gz``, ``.bz2`` or ``.xz``.
    table : ndarray of shape (bucket, dim)
    min_n, max_n, hash_count, hash_seed : int
    """
    table = np.asarray(table, dtype=np.float32)
    with atomic_writer(path) as raw, compressing(raw, path) as out:
        out.write(f"{table.shape[0]} {table.shape[1]} {min_n} {max_n} {hash_count} "
                  f"{hash_seed} < >\n".encode())
        _write_vectors(out, [str(i) for i in range(table.shape[0])], table, False, False, None)


def _write_vectors(out, keys, vectors, binary, write_header, total_vec):
    if write_header:
        out.write(f"{total_vec} {vectors.shape[1]}\n".encode())
    if binary:
        little = vectors.astype("<f4", copy=False)
        for key, row in zip(keys, little):
            out.write(key.encode("utf-8") + b" " + row.tobytes() + b"\n")
        return
    for start in range(0, len(keys), _LINES_PER_BLOCK):
        block = vectors[start:start + _LINES_PER_BLOCK]
        # 9 significant digits round-trip every float32 exactly
        lines = [key + " " + " ".join(["%.9g" % v for v in row]) + "\n"
                 for key, row in zip(keys[start:start + _LINES_PER_BLOCK], block.tolist())]
        out.write("".join(lines).encode("utf-8"))
