"""Cutting a corpus into partitions that Dask workers read where the data is.

A partition is a whole file, or a byte range of a large plain-text file. A
byte range owns the lines that *start* inside it: it skips the end of the
line it starts in (the previous range owns that line) and reads past its end
to finish its own last line. The ranges of a file therefore hold each line
exactly once, and the partitions in order read the corpus in order, which is
what makes the reduced vocabulary identical to a single machine's.

Paths may be local or any fsspec URL (``s3://…``, ``gcs://…``, ``hdfs://…``)
that the workers can open; only local paths and URLs of plain files are cut
into ranges (a compressed file cannot be entered in the middle).
"""
import os
from dataclasses import dataclass

from fastemb.corpus.readers import COMPRESSED_SUFFIXES, corpus_files, open_binary
from fastemb.errors import CorpusError

__all__ = ["Partition", "plan_partitions", "open_partition", "assign_partitions"]

#: Default largest byte range of one partition.
PARTITION_BYTES = 256 << 20

#: Bytes read at a time when finishing a range's last line.
TAIL_CHUNK = 1 << 16


@dataclass(frozen=True)
class Partition:
    """A piece of the corpus read by one task.

    Attributes
    ----------
    path : str
        Local path or fsspec URL.
    start : int
        First byte of the range (0 for a whole file).
    end : int or None
        Byte the range stops at; None for the whole file.
    size : int
        Bytes in the piece (the file's size for a whole compressed file).
    """

    path: str
    start: int
    end: object
    size: int


def _is_url(path):
    return "://" in path


def _file_size(path):
    if _is_url(path):
        import fsspec  # comes with dask
        fs, inner = fsspec.core.url_to_fs(path)
        return int(fs.size(inner))
    return os.path.getsize(path)


def _expand(corpus_files_arg):
    """The ordered list of files named by a path, a directory or a list."""
    if isinstance(corpus_files_arg, (str, os.PathLike)):
        corpus_files_arg = [corpus_files_arg]
    files = []
    for entry in corpus_files_arg:
        entry = os.fspath(entry)
        files.extend([entry] if _is_url(entry) else corpus_files(entry))
    if not files:
        raise CorpusError("corpus_files is empty: give at least one file")
    return files


def plan_partitions(corpus_files_arg, partition_bytes=PARTITION_BYTES):
    """Cut the corpus into partitions, in reading order.

    Parameters
    ----------
    corpus_files_arg : str, os.PathLike or sequence of them
        Files, directories (their files in name order, as
        :func:`fastemb.corpus.corpus_files` lists them) or fsspec URLs.
    partition_bytes : int
        Plain files larger than this are cut into ranges of about this size.

    Returns
    -------
    list of Partition

    Raises
    ------
    CorpusError
        A file is missing or the list is empty.
    ValueError
        ``partition_bytes`` is not a positive integer.
    """
    if not isinstance(partition_bytes, int) or partition_bytes < 1:
        raise ValueError(f"partition_bytes must be a positive integer, got {partition_bytes!r}")
    partitions = []
    for path in _expand(corpus_files_arg):
        try:
            size = _file_size(path)
        except (OSError, FileNotFoundError) as exc:
            raise CorpusError(f"cannot read corpus file {path!r}: {exc}") from None
        if path.endswith(COMPRESSED_SUFFIXES) or size <= partition_bytes:
            partitions.append(Partition(path, 0, None, size))
            continue
        pieces = -(-size // partition_bytes)
        bounds = [size * k // pieces for k in range(pieces + 1)]
        partitions.extend(Partition(path, lo, hi, hi - lo)
                          for lo, hi in zip(bounds[:-1], bounds[1:]))
    return partitions


class _LineRange:
    """A read-only binary stream over the lines starting in ``[start, end)``."""

    def __init__(self, stream, start, end, name):
        self.name = name
        self._stream = stream
        self._end = end
        if start > 0:
            stream.seek(start - 1)
            stream.readline()  # the rest of a line that starts before the range
        self._position = stream.tell()
        # a line running over the whole range leaves it no line of its own
        self._done = start > 0 and self._position >= end

    def read(self, n=-1):
        if self._done:
            return b""
        if self._position < self._end:
            limit = self._end - self._position
            data = self._stream.read(limit if n is None or n < 0 else min(n, limit))
            self._position += len(data)
            if not data:
                self._done = True
            elif self._position >= self._end and data.endswith(b"\n"):
                self._done = True  # the range ends exactly after a line
            return data
        # past the end: finish the line that started inside the range
        data = self._stream.read(TAIL_CHUNK)
        newline = data.find(b"\n")
        if newline >= 0 or not data:
            self._done = True
            return data[:newline + 1] if newline >= 0 else data
        return data

    def close(self):
        self._stream.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def open_partition(partition):
    """Open a partition for reading, decompressing whole compressed files.

    Returns
    -------
    file object
        Binary, to be closed by the caller; a range yields exactly its lines.

    Raises
    ------
    CorpusError
        The file cannot be opened.
    """
    path = partition.path
    try:
        if _is_url(path):
            import fsspec
            stream = fsspec.open(path, "rb", compression="infer" if partition.end is None
                                 else None).open()
        elif partition.end is None:
            stream = open_binary(path)
        else:
            stream = open(path, "rb")
    except (OSError, ValueError) as exc:
        raise CorpusError(f"cannot open corpus file {path!r}: {exc}") from None
    if partition.end is None:
        return stream
    return _LineRange(stream, partition.start, partition.end, path)


def assign_partitions(partitions, n_replicas):
    """Give each replica a list of partitions of nearly equal total size.

    Largest first, each to the replica with the fewest bytes so far; each
    replica's list is then put back in corpus order.

    Returns
    -------
    list of list of int
        Partition indices, one list a replica (some may be empty when there
        are fewer partitions than replicas).
    """
    loads = [0] * n_replicas
    chosen = [[] for _ in range(n_replicas)]
    for index in sorted(range(len(partitions)), key=lambda i: -partitions[i].size):
        replica = min(range(n_replicas), key=lambda r: (loads[r], r))
        loads[replica] += partitions[index].size
        chosen[replica].append(index)
    return [sorted(indices) for indices in chosen]
