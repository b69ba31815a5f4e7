"""The word2vec text and binary formats and GloVe's text format.

word2vec text: a header ``"<count> <dim>"``, then ``word v1 ... vdim`` a line.
word2vec binary: the same header, then per word ``word`` + space + ``dim``
little-endian float32 + newline (the C tool's layout; gensim writes no
newline, and both are read here). GloVe text: the text format with no header.
Any of them may be compressed (gzip, bzip2, xz): written as the file's suffix
says, read by its first bytes.
"""
import os

import numpy as np

from fastemb.errors import FileEncodingError, FormatError, TruncatedFileError
from fastemb.io.compression import compressing, read_decompressed
from fastemb.io.native import atomic_writer

__all__ = ["write_word2vec", "read_word2vec"]

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


def _parse_header(line, path):
    parts = line.split()
    try:
        count, dim = int(parts[0]), int(parts[1])
        if len(parts) != 2 or count < 0 or dim <= 0:
            raise ValueError
    except (ValueError, IndexError):
        raise FormatError(f"{path}: bad header {line[:80]!r}; expected '<count> <dim>' "
                          "(pass no_header=True for GloVe files)") from None
    return count, dim


def read_word2vec(path, binary=False, no_header=False, limit=None, unicode_errors="strict",
                  datatype=np.float32):
    """Read a word2vec text/binary or GloVe text file.

    Parameters
    ----------
    path : str or os.PathLike
        Plain, or compressed with gzip, bzip2 or xz (recognised by its first
        bytes, whatever its name).
    binary : bool
    no_header : bool
        The file has no ``count dim`` header (GloVe); text only.
    limit : int, optional
        Read only the first ``limit`` vectors.
    unicode_errors : str
        How to decode words that are not UTF-8 ('strict' raises).
    datatype : numpy dtype

    Returns
    -------
    keys : list of str
    vectors : ndarray of shape (n, dim)

    Raises
    ------
    FormatError
        Bad header, truncated file, wrong number of values, bad numbers,
        duplicate words.
    """
    path = os.fspath(path)
    if binary and no_header:
        raise ValueError("no_header applies to text files only")
    try:
        data = read_decompressed(path)
    except (OSError, ValueError) as exc:
        raise FormatError(f"cannot read {path}: {exc}") from None
    if binary:
        keys, vectors = _read_binary(data, path, limit, unicode_errors)
    else:
        keys, vectors = _read_text(data, path, no_header, limit, unicode_errors)
    if len(set(keys)) != len(keys):
        raise FormatError(f"{path}: the same word appears more than once")
    return keys, vectors.astype(datatype, copy=False)


def _read_binary(data, path, limit, unicode_errors):
    newline = data.find(b"\n")
    if newline < 0:
        raise FormatError(f"{path}: no header line; not a word2vec binary file")
    count, dim = _parse_header(data[:newline].decode("latin-1"), path)
    if limit is not None:
        count = min(count, limit)
    # each vector takes at least a 1-byte word, a space and 4 * dim bytes: a
    # header promising more than the file holds is refused before allocating
    if count * (4 * dim + 2) > len(data) - newline - 1:
        raise TruncatedFileError(f"{path} is truncated: the header announces {count} vectors "
                                 f"of dimension {dim}, the file has {len(data)} bytes")
    keys = []
    vectors = np.empty((count, dim), dtype=np.float32)
    width = 4 * dim
    pos = newline + 1
    for i in range(count):
        while pos < len(data) and data[pos] in b"\n\r":
            pos += 1
        space = data.find(b" ", pos, pos + 10000)
        if space < 0 or space + 1 + width > len(data):
            raise TruncatedFileError(f"{path} is truncated: the header announces {count} "
                                     f"vectors of dimension {dim}, the file ends in vector {i + 1}")
        try:
            keys.append(data[pos:space].decode("utf-8", unicode_errors))
        except UnicodeDecodeError as exc:
            raise FileEncodingError(f"{path}: word {i + 1} is not valid UTF-8 "
                                    f"({data[pos:space][:40]!r})", exc) from None
        vectors[i] = np.frombuffer(data, dtype="<f4", count=dim, offset=space + 1)
        pos = space + 1 + width
    return keys, vectors


def _read_text(data, path, no_header, limit, unicode_errors):
    try:
        text = data.decode("utf-8", unicode_errors)
    except UnicodeDecodeError as exc:
        raise FileEncodingError(f"{path}: invalid UTF-8 at byte {exc.start}", exc) from None
    lines = text.splitlines()
    count = None
    first = 0
    if not no_header:
        if not lines:
            raise FormatError(f"{path} is empty")
        count, dim = _parse_header(lines[0], path)
        first = 1
    else:
        while first < len(lines) and not lines[first].strip():
            first += 1
        if first == len(lines):
            raise FormatError(f"{path} contains no vectors")
        dim = len(lines[first].split()) - 1
        if dim <= 0:
            raise FormatError(f"{path}: line 1 has no vector values")
    # a value takes at least two characters (a digit and a separator): a
    # header promising more than the text holds is refused before allocating
    if dim > len(text) // 2:
        raise FormatError(f"{path}: the header announces vectors of dimension {dim}, more "
                          f"values than the file's {len(text)} characters can hold")
    body = [line for line in lines[first:] if line.strip()]
    if count is not None and len(body) < count:
        raise TruncatedFileError(f"{path} is truncated: the header announces {count} vectors, "
                                 f"the file has {len(body)}")
    wanted = len(body) if count is None else count
    if limit is not None:
        wanted = min(wanted, limit)
    keys = []
    vectors = np.empty((wanted, dim), dtype=np.float32)
    for start in range(0, wanted, _LINES_PER_BLOCK):
        rows = []
        for offset, line in enumerate(body[start:min(start + _LINES_PER_BLOCK, wanted)]):
            parts = line.rstrip().split(" ")
            if len(parts) != dim + 1:
                raise FormatError(f"{path}: vector {start + offset + 1} ({parts[0][:40]!r}) has "
                                  f"{len(parts) - 1} values, expected {dim}")
            keys.append(parts[0])
            rows.append(parts[1:])
        try:
            vectors[start:start + len(rows)] = np.array(rows, dtype=np.float32)
        except ValueError:
            raise FormatError(f"{path}: a value in vectors {start + 1}-{start + len(rows)} "
                              "is not a number") from None
    return keys, vectors
