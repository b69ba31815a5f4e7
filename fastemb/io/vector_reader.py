"""Reading word2vec text and binary files (and GloVe's and fastText's
``.vec``) of any size: streamed a block at a time, parsed in C
(:mod:`fastemb._vector_text`; text on several threads), into a matrix
allocated once from the header. Memory is the matrix, the keys and one
block.

A header that promises more than the file can hold is refused before the
matrix is allocated (for a compressed file, whose size says nothing, when
the allocation itself fails). A file without a header (GloVe) is read twice:
once to count its lines, once to parse them.
"""
import functools
import mmap
import os
import sys

import numpy as np

from fastemb._vector_text import (
    BAD_NUMBER,
    KEY_TOO_LONG,
    WRONG_COUNT,
    copy_binary,
    count_lines,
    find_newline,
    parse_text,
    scan_binary,
)
from fastemb.errors import FileEncodingError, FormatError, TruncatedFileError
from fastemb.io.compression import DECOMPRESSION_ERRORS, compression_of_bytes, decompressing
from fastemb.io.native import decode_keys
from fastemb.parallel import run_parallel

__all__ = ["read_word2vec", "read_floret_table", "FLORET_HEADER_FIELDS", "DEFAULT_CHUNK_BYTES"]

#: Bytes read at a time unless the caller asks otherwise.
DEFAULT_CHUNK_BYTES = 16 << 20
#: A text block is cut into pieces of at least this many bytes a thread.
_MIN_PIECE_BYTES = 1 << 20
#: The first line of floret's ``.floret`` table, in order.
FLORET_HEADER_FIELDS = ("bucket", "dim", "minn", "maxn", "hash_count", "hash_seed", "bow", "eow")


def read_word2vec(path, binary=False, no_header=False, limit=None, unicode_errors="strict",
                  datatype=np.float32, chunk_bytes=None, workers=None, key_index=None,
                  progress=None):
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
        Of the returned matrix (parsed as float32 and stored as this).
    chunk_bytes : int, optional
        Bytes read at a time (default 16 MiB).
    workers : int, optional
        Threads parsing text and copying binary vectors (default: the
        machine's cores, at most 8).
    key_index : dict, optional
        Filled with each word's row as the words are read (for binary
        files, while the vectors are copied), for a caller that indexes
        them anyway.
    progress : callable, optional
        ``progress(done, total)`` after each block, in bytes of the file as
        stored (compressed bytes for a compressed file).

    Returns
    -------
    keys : list of str
    vectors : ndarray of shape (n, dim)

    Raises
    ------
    FormatError
        Bad header, truncated file (``TruncatedFileError``), wrong number of
        values, bad numbers, undecodable keys (``FileEncodingError``),
        duplicate words.
    """
    path = os.fspath(path)
    if binary and no_header:
        raise ValueError("no_header applies to text files only")
    if limit is not None and (int(limit) != limit or limit < 0):
        raise ValueError(f"limit must be a non-negative integer, got {limit!r}")
    reader, workers = _open(path, chunk_bytes, workers, unicode_errors, key_index, progress)
    if binary:
        keys, vectors = _read(reader, reader.binary, limit, datatype, workers)
    else:
        keys, vectors = _read(reader, reader.text, no_header, limit, datatype, workers)
    distinct = len(key_index) if key_index is not None else len(set(keys))
    if distinct != len(keys):
        raise FormatError(f"{path}: the same word appears more than once")
    return keys, vectors


def read_floret_table(path, chunk_bytes=None, workers=None, progress=None):
    """Read floret's ``.floret`` table (what ``save_floret_vectors`` writes and
    spaCy's ``init vectors --mode floret`` reads): a header line
    ``bucket dim minn maxn hashCount hashSeed BOW EOW``, then one line a
    bucket, ``index v1 ... vdim``, indices 0 to ``bucket - 1`` in order.

    Parameters
    ----------
    path : str or os.PathLike
        Plain or compressed.
    chunk_bytes, workers, progress
        As for :func:`read_word2vec`.

    Returns
    -------
    settings : dict
        The header's fields by the names of ``FLORET_HEADER_FIELDS``.
    table : ndarray of float32, shape (bucket, dim)

    Raises
    ------
    FormatError
        A bad header, rows out of order, or any error :func:`read_word2vec`
        names.
    """
    path = os.fspath(path)
    settings = {}

    def header(line):
        parts = line.split()
        try:
            if len(parts) != len(FLORET_HEADER_FIELDS):
                raise ValueError
            settings.update(zip(FLORET_HEADER_FIELDS, [int(p) for p in parts[:6]] + parts[6:]))
            if settings["bucket"] < 1 or settings["dim"] < 1 or settings["minn"] < 0 or \
                    settings["maxn"] < 0 or not 0 <= settings["hash_seed"] < 2 ** 32:
                raise ValueError
        except ValueError:
            raise FormatError(f"{path}: bad floret header {line[:80]!r}; expected 'bucket dim "
                              "minn maxn hashCount hashSeed BOW EOW'") from None
        return settings["bucket"], settings["dim"]

    reader, workers = _open(path, chunk_bytes, workers, "strict", None, progress)
    keys, table = _read(reader, reader.text, False, None, np.float32, workers, header)
    expected = np.arange(len(keys)).astype(str)
    if not np.array_equal(np.asarray(keys), expected):
        row = int(np.flatnonzero(np.asarray(keys) != expected)[0])
        raise FormatError(f"{path}: line {row + 2} is bucket {keys[row]!r}, expected {row} "
                          "(a floret table lists every bucket in order)")
    return settings, table


def _open(path, chunk_bytes, workers, unicode_errors, key_index, progress):
    """A :class:`_Reader` of ``path`` and the thread count, checked."""
    chunk_bytes = DEFAULT_CHUNK_BYTES if chunk_bytes is None else int(chunk_bytes)
    if chunk_bytes < 1:
        raise ValueError(f"chunk_bytes must be positive, got {chunk_bytes}")
    workers = min(8, os.cpu_count() or 1) if workers is None else int(workers)
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    try:
        return _Reader(path, chunk_bytes, unicode_errors, key_index, progress), workers
    except OSError as exc:
        raise FormatError(f"cannot read {path}: {exc}") from None


def _read(reader, method, *args):
    """``method(*args)``, a damaged compressed stream reported as such."""
    try:
        return method(*args)
    except FormatError:
        raise
    except DECOMPRESSION_ERRORS as exc:
        if reader.kind is None:
            raise FormatError(f"cannot read {reader.path}: {exc}") from None
        raise FormatError(f"{reader.path}: the {reader.kind} stream is damaged or cut short "
                          f"({exc})") from None


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


class _Reader:
    """One vector file, read block by block."""

    def __init__(self, path, chunk_bytes, unicode_errors, index=None, progress=None):
        self.path = path
        self.index = index
        self.progress = progress
        self.chunk_bytes = chunk_bytes
        self.unicode_errors = unicode_errors
        with open(path, "rb") as handle:
            self.kind = compression_of_bytes(handle.read(6))
        self.size = None if self.kind else os.path.getsize(path)
        self.keys = []

    def window(self):
        """A window over the file's bytes: mapped for a plain file, read
        and decompressed into a buffer for a compressed one."""
        if self.size:
            return _MappedWindow(self.path, self.size, self.chunk_bytes, self.progress)
        return _Window(self.path, self.kind, self.chunk_bytes, self.progress)

    def first_line(self, window):
        """The first line (as text), read off ``window``."""
        while True:
            newline = find_newline(window.array, window.start, window.end)
            if newline >= 0:
                line = window.array[window.start:newline].tobytes()
                window.start = newline + 1
                return line.decode("latin-1")
            if window.end - window.start > _MIN_PIECE_BYTES or not window.fill():
                # no newline in the first megabyte: not a header
                return window.array[window.start:window.end][:80].tobytes().decode("latin-1")

    def matrix(self, rows, dim, datatype, smallest_record):
        """The matrix the header promises, refused first when the file is
        too small to hold it."""
        if self.size is not None and rows * smallest_record > self.size:
            raise TruncatedFileError(
                f"{self.path} is truncated: the header announces {rows} vectors of dimension "
                f"{dim}, more values than the file's {self.size} bytes can hold")
        try:
            return np.empty((rows, dim), dtype=datatype)
        except (MemoryError, ValueError):
            raise FormatError(f"{self.path}: the header announces {rows} vectors of dimension "
                              f"{dim}, more than memory can hold") from None

    def add_keys(self, data, starts, lengths, count, first_index):
        """Decode ``count`` keys of ``data`` at once and keep them."""
        if not count:
            return
        try:
            keys = decode_keys(data, starts, lengths, count, self.unicode_errors)
        except UnicodeDecodeError as exc:
            start = int(starts[exc.key])
            bad = data[start:start + int(lengths[exc.key])].tobytes()
            raise FileEncodingError(f"{self.path}: word {first_index + exc.key + 1} is not "
                                    f"valid UTF-8 ({bad[:40]!r})", exc) from None
        self.keys.extend(keys)
        if self.index is not None:
            self.index.update(zip(keys, range(first_index, first_index + len(keys))))

    # ---------------------------------------------------------------- binary
    def binary(self, limit, datatype, workers):
        with self.window() as window:
            count, dim = _parse_header(self.first_line(window), self.path)
            wanted = count if limit is None else min(count, limit)
            # a record is at least a 1-byte word, a space and 4 * dim bytes
            record = 4 * dim + 2
            vectors = self.matrix(wanted, dim, datatype, record)
            direct = vectors.dtype == np.float32  # else copied aside, then converted
            starts = lengths = staging = None
            done = 0
            while done < wanted:
                more = window.fill()
                rows = min(wanted - done, (window.end - window.start) // record + 1)
                if starts is None or len(starts) < rows:
                    starts = np.empty(rows, dtype=np.int64)
                    lengths = np.empty(rows, dtype=np.int32)
                    staging = None if direct else np.empty((rows, dim), dtype=np.float32)
                data = window.array[:window.end]
                found, position, status = scan_binary(data, window.start, dim, rows, starts,
                                                      lengths)
                if status == KEY_TOO_LONG:
                    raise FormatError(f"{self.path}: vector {done + 1} has no space after its "
                                      "word within 100,000 bytes; not a word2vec binary file")
                if not found and not more:
                    raise TruncatedFileError(
                        f"{self.path} is truncated: the header announces {count} vectors of "
                        f"dimension {dim}, the file ends in vector {done + 1}")
                target = vectors[done:done + found] if direct else staging[:found]
                # the floats are most of the bytes: copied on several threads
                # while this one decodes the keys
                cuts = [found * t // workers for t in range(workers + 1)]
                run_parallel([functools.partial(copy_binary, data, starts, lengths, a, b, target,
                                                a) for a, b in zip(cuts[:-1], cuts[1:]) if b > a],
                             workers, meanwhile=functools.partial(self.add_keys, data, starts,
                                                                  lengths, found, done))
                if sys.byteorder == "big":  # the file's floats are little-endian
                    target.byteswap(inplace=True)
                if not direct:
                    vectors[done:done + found] = target
                done += found
                window.start = position
        return self.keys, vectors

    # ------------------------------------------------------------------ text
    def text(self, no_header, limit, datatype, workers, header=None):
        """Text vectors; ``header(line)`` gives ``(count, dim)`` of a first
        line that is not word2vec's."""
        count, dim = self.count_glove() if no_header else (None, None)
        with self.window() as window:
            if not no_header:
                line = self.first_line(window)
                count, dim = header(line) if header else _parse_header(line, self.path)
            wanted = count if limit is None else min(count, limit)
            # a line is at least a 1-byte word and a digit and a separator a value
            vectors = self.matrix(wanted, dim, datatype, 2 * dim + 2)
            done = 0
            for start, stop in _line_blocks(window):
                if done == wanted:
                    break
                done += self.parse_block(window.array, start, stop, vectors, done, wanted, dim,
                                         workers, announced=None if no_header else count)
        if done < wanted:
            raise TruncatedFileError(f"{self.path} is truncated: the header announces {count} "
                                     f"vectors, the file has {done}")
        return self.keys, vectors

    def count_glove(self):
        """``(lines, dim)`` of a file without a header: a first pass."""
        dim = None
        count = 0
        with self.window() as window:
            for start, stop in _line_blocks(window):
                if dim is None:
                    for line in window.array[start:stop].tobytes().split(b"\n"):
                        if line.strip():
                            dim = len(line.split()) - 1
                            break
                count += count_lines(window.array, start, stop)
        if dim is None:
            raise FormatError(f"{self.path} contains no vectors")
        if dim <= 0:
            raise FormatError(f"{self.path}: line 1 has no vector values")
        return count, dim

    def parse_block(self, view, start, stop, vectors, done, wanted, dim, workers, announced):
        """Parse the whole lines of ``view[start:stop]`` into ``vectors``
        from row ``done``; the rows parsed (``announced``: the header's
        count, None without a header)."""
        bounds = _piece_bounds(view, start, stop, workers)
        pieces = list(zip(bounds[:-1], bounds[1:]))
        counts = [0] * len(pieces)

        def count(i):
            counts[i] = count_lines(view, *pieces[i])

        run_parallel([lambda i=i: count(i) for i in range(len(pieces))], workers)
        firsts = [0, *np.cumsum(counts).tolist()]
        rows = min(firsts[-1], wanted - done)
        direct = vectors.dtype == np.float32  # else parsed aside, then converted
        target = vectors[done:done + rows] if direct else np.empty((rows, dim), np.float32)
        starts = np.empty(rows, dtype=np.int64)
        lengths = np.empty(rows, dtype=np.int32)
        results = [None] * len(pieces)

        def parse(i):
            if firsts[i] < rows:
                results[i] = parse_text(view, *pieces[i], target, firsts[i], starts, lengths)

        run_parallel([lambda i=i: parse(i) for i in range(len(pieces))], workers)
        for i, result in enumerate(results):
            if result is not None and result[1] != 0 and firsts[i] + result[0] < rows:
                first, last = pieces[i]
                if announced is not None and last == stop and view[stop - 1] != 10 and \
                        firsts[i] + result[0] == firsts[-1] - 1 and done + firsts[-1] <= announced:
                    # the file's last line, cut short with no newline: cut off
                    raise TruncatedFileError(
                        f"{self.path} is truncated: the header announces {announced} vectors, "
                        f"the file ends in vector {done + firsts[-1]}")
                self.fail(view[first:last].tobytes(), result[0], done + firsts[i], result[1],
                          result[2], dim)
        if not direct:
            vectors[done:done + rows] = target
        self.add_keys(view, starts, lengths, rows, done)
        return rows

    def fail(self, piece, parsed, before, status, values, dim):
        """Raise the error of the line after the ``parsed`` good lines of
        ``piece``, whose first line is vector ``before + 1``."""
        line = [line for line in piece.split(b"\n") if line.strip()][parsed]
        word = line.split(b" ", 1)[0].decode("utf-8", "replace")[:40]
        number = before + parsed + 1
        if status == WRONG_COUNT:
            raise FormatError(f"{self.path}: vector {number} ({word!r}) has {values} values, "
                              f"expected {dim}")
        if status == BAD_NUMBER:
            raise FormatError(f"{self.path}: a value of vector {number} ({word!r}) is not a "
                              "number")
        raise FormatError(f"{self.path}: vector {number} cannot be read")


class _Window:
    """The unread bytes of a file, decompressed as ``kind`` says, in one
    reusable buffer refilled a chunk at a time with ``readinto`` (no new
    buffer a block, so no fresh pages to fault in each time).

    Attributes
    ----------
    array : ndarray of uint8
        The buffer; the unread bytes are ``array[start:end]``.
    """

    def __init__(self, path, kind, chunk_bytes, progress=None):
        self.raw = open(path, "rb")
        self.stream = self.raw if kind is None else decompressing(self.raw, kind)
        self.total = os.fstat(self.raw.fileno()).st_size
        self.progress = progress
        self.chunk = chunk_bytes
        self.array = np.empty(2 * chunk_bytes, dtype=np.uint8)
        self.start = self.end = 0

    def __enter__(self):
        return self

    def __exit__(self, exc_type, *exc):
        if exc_type is None and self.progress is not None:
            self.progress(self.total, self.total)  # read as far as wanted: done
        self.stream.close()
        self.raw.close()

    def fill(self):
        """Read a chunk more after the unread bytes (moved to the front
        first); False at the end of the stream."""
        unread = self.end - self.start
        if self.start:
            self.array[:unread] = self.array[self.start:self.end]
            self.start, self.end = 0, unread
        if len(self.array) - self.end < self.chunk:  # a line longer than the buffer
            grown = np.empty(2 * len(self.array), dtype=np.uint8)
            grown[:self.end] = self.array[:self.end]
            self.array = grown
        read = self.stream.readinto(self.array[self.end:self.end + self.chunk])
        self.end += read or 0
        if self.progress is not None:
            self.progress(self.raw.tell(), self.total)
        return bool(read)


class _MappedWindow:
    """A plain file mapped into memory, with :class:`_Window`'s interface:
    each ``fill`` uncovers a chunk more, and the pages already read are
    handed back (so the process holds about a chunk of the file at a time,
    and no copy of it is made)."""

    def __init__(self, path, size, chunk_bytes, progress=None):
        self.progress = progress
        with open(path, "rb") as handle:
            self.map = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        if hasattr(self.map, "madvise"):
            self.map.madvise(mmap.MADV_SEQUENTIAL)
        self.array = np.frombuffer(self.map, dtype=np.uint8)
        self.size = len(self.array)
        self.chunk = chunk_bytes
        self.start = self.end = 0
        self.released = 0

    def __enter__(self):
        return self

    def __exit__(self, exc_type, *exc):
        if exc_type is None and self.progress is not None:
            self.progress(self.size, self.size)  # read as far as wanted: done
        self.array = None
        try:
            self.map.close()
        except BufferError:
            pass  # a view of it still lives: the map closes when that goes

    def fill(self):
        """Uncover a chunk more; False at the end of the file."""
        page = mmap.PAGESIZE
        done = self.start // page * page
        if done - self.released >= self.chunk and hasattr(self.map, "madvise"):
            self.map.madvise(mmap.MADV_DONTNEED, self.released, done - self.released)
            self.released = done
        if self.progress is not None:
            self.progress(self.start, self.size)
        if self.end == self.size:
            return False
        self.end = min(self.size, self.end + self.chunk)
        return True


def _line_blocks(window):
    """``(start, stop)`` ranges of whole lines in ``window.array``, a chunk
    at a time; the window's start follows each range."""
    while True:
        more = window.fill()
        if more:
            cut = find_newline(window.array, window.start, window.end, last=True)
            if cut < 0:
                continue  # a line longer than what is read so far
            stop = cut + 1
        else:
            stop = window.end
        if stop > window.start:
            yield window.start, stop
        window.start = stop
        if not more:
            return


def _piece_bounds(view, start, stop, workers):
    """Cuts of ``view[start:stop]`` at line ends into up to ``workers``
    pieces."""
    pieces = max(1, min(workers, (stop - start) // _MIN_PIECE_BYTES))
    bounds = [start]
    for i in range(1, pieces):
        cut = find_newline(view, start + (stop - start) * i // pieces, stop)
        cut = stop if cut < 0 else cut + 1
        if cut > bounds[-1]:
            bounds.append(cut)
    if bounds[-1] != stop:
        bounds.append(stop)
    return bounds
