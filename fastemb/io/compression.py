"""Compressed files: gzip, bzip2 and xz, named by suffix on writing and
recognised by their magic bytes on reading.

Pretrained vectors travel compressed (``GoogleNews-vectors-negative300.bin.gz``
is the most downloaded file of the field), and gensim reads and writes them
by suffix. Readers here look at the first bytes instead of the name, so a
compressed file with a plain name (or a plain file named ``.gz``) still reads.
"""
import bz2
import contextlib
import gzip
import lzma
import os

__all__ = ["COMPRESSED_SUFFIXES", "compression_for_suffix", "compression_of_bytes",
           "open_by_suffix", "open_decompressed", "read_decompressed", "compressing",
           "decompressing", "DECOMPRESSION_ERRORS"]

#: Suffix of each compression, as gensim and the command-line tools name them.
_BY_SUFFIX = {".gz": "gzip", ".bz2": "bzip2", ".xz": "xz"}
COMPRESSED_SUFFIXES = tuple(_BY_SUFFIX)

_MAGIC = ((b"\x1f\x8b", "gzip"), (b"BZh", "bzip2"), (b"\xfd7zXZ\x00", "xz"))
_OPENERS = {"gzip": gzip.open, "bzip2": bz2.open, "xz": lzma.open}
#: What a damaged stream of each kind raises.
DECOMPRESSION_ERRORS = (OSError, EOFError, lzma.LZMAError, ValueError)


def compression_for_suffix(path):
    """``'gzip'``, ``'bzip2'``, ``'xz'`` or None, from the file name."""
    return _BY_SUFFIX.get(os.path.splitext(os.fspath(path))[1].lower())


def compression_of_bytes(head):
    """``'gzip'``, ``'bzip2'``, ``'xz'`` or None, from a file's first bytes."""
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    return None


def _open(path, kind):
    return open(path, "rb") if kind is None else _OPENERS[kind](path, "rb")


def decompressing(raw, kind):
    """A binary stream of the decompressed content of the open file ``raw``
    (``kind``: ``'gzip'``, ``'bzip2'`` or ``'xz'``); closing it leaves
    ``raw`` open."""
    return _OPENERS[kind](raw, "rb")


def _kind_in_file(path):
    with open(path, "rb") as handle:
        return compression_of_bytes(handle.read(6))


def open_by_suffix(path):
    """Open ``path`` for binary reading, decompressing it as its suffix says
    (corpus files, whose readers go by name as gensim's do).

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    file object
    """
    return _open(os.fspath(path), compression_for_suffix(path))


def open_decompressed(path):
    """Open ``path`` for binary reading, decompressing it if its first bytes
    say it is compressed (vector files, which are often misnamed).

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    file object
    """
    path = os.fspath(path)
    return _open(path, _kind_in_file(path))


def read_decompressed(path):
    """The whole content of ``path``, decompressed.

    Raises
    ------
    OSError
        The file cannot be read.
    ValueError
        A compressed stream is damaged or cut short (the message names the
        file and the compression).
    """
    path = os.fspath(path)
    kind = _kind_in_file(path)
    if kind is None:
        with open(path, "rb") as handle:
            return handle.read()
    try:
        with _OPENERS[kind](path, "rb") as stream:
            return stream.read()
    except DECOMPRESSION_ERRORS as exc:
        raise ValueError(f"{path}: the {kind} stream is damaged or cut short ({exc})") from None


@contextlib.contextmanager
def compressing(raw, path):
    """A binary file that writes into the open file ``raw``, compressed as
    the suffix of ``path`` asks (``raw`` itself for any other name).

    Parameters
    ----------
    raw : binary file object
        Left open: closing it stays with the caller (an atomic writer).
    path : str or os.PathLike
        The name the data will have.
    """
    kind = compression_for_suffix(path)
    if kind is None:
        yield raw
        return
    if kind == "gzip":
        # no name and no time in the header: the same vectors give the same bytes
        stream = gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0)
    elif kind == "bzip2":
        stream = bz2.BZ2File(raw, "wb")
    else:
        stream = lzma.LZMAFile(raw, "wb")
    with stream:
        yield stream
