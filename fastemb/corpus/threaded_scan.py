"""Scan whitespace-split text files on several threads with the same result
as one scanner reading them in order.

The text is cut into consecutive pieces, each ending just after an ASCII
whitespace byte, so no token and no UTF-8 character is cut. Each thread runs
its own :class:`fastemb._scan.TokenScanner` over a run of consecutive pieces
(the scanning loop releases the GIL). The scanners are then merged in text
order: a word new to the merged table gets the next id, which is the order
of first appearance one scanner would have given; sentence ends follow the
pieces, since a line cut between two pieces simply continues in the next.

Only plain files on disk are cut; a compressed file cannot be entered in the
middle and is scanned whole by one thread. Counting with ``max_vocab_size``
stays on one thread, because when the rarest words are pruned depends on
everything read before.
"""
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from fastemb._scan import TokenScanner
from fastemb.corpus.readers import CHUNK_BYTES, COMPRESSED_SUFFIXES, CUT_BYTES, iter_file_blocks
from fastemb.errors import CorpusError

__all__ = ["Piece", "plan_pieces", "scan_threaded"]

#: A piece smaller than this is not worth a thread of its own.
MIN_PIECE_BYTES = 1 << 20

#: Bytes read at a time while looking for the whitespace that ends a piece.
PROBE_BYTES = 1 << 16


@dataclass(frozen=True)
class Piece:
    """Bytes ``[start, end)`` of ``file``; ``end`` None for its end.

    ``last`` marks a file's last piece, after which its last line is closed
    (every file ends its last line).
    """
    file: object
    start: int
    end: object
    last: bool


def _splittable(file):
    """Whether ``file`` is a plain file on disk, which can be entered anywhere."""
    if not isinstance(file, (str, os.PathLike)):
        return False
    path = os.fspath(file)
    return not path.endswith(COMPRESSED_SUFFIXES) and os.path.isfile(path)


def _size(file):
    try:
        return os.path.getsize(file) if isinstance(file, (str, os.PathLike)) else 0
    except OSError:
        return 0  # the reader names the problem when it opens it


def _cut_after_whitespace(path, offset, size):
    """The first position at or after ``offset`` that follows a whitespace
    byte of :data:`fastemb.corpus.CUT_BYTES` (``size`` if none does)."""
    with open(path, "rb") as stream:
        stream.seek(offset)
        position = offset
        while True:
            data = stream.read(PROBE_BYTES)
            if not data:
                return size
            found = [i for i in (data.find(c) for c in CUT_BYTES) if i >= 0]
            if found:
                return position + min(found) + 1
            position += len(data)


def plan_pieces(files, n_threads, min_piece_bytes=MIN_PIECE_BYTES):
    """Cut files into consecutive pieces and deal them to threads in order.

    Parameters
    ----------
    files : list of (str or file object)
    n_threads : int
    min_piece_bytes : int
        Plain files are cut into pieces of at least this size.

    Returns
    -------
    list of list of Piece
        One non-empty run of consecutive pieces per thread (fewer runs than
        ``n_threads`` when the text is small); reading the runs one after
        another reads every file in order exactly once.
    """
    sizes = [_size(file) for file in files]
    total = sum(sizes)
    share = max(min_piece_bytes, -(-total // max(1, n_threads)))
    pieces = []
    for file, size in zip(files, sizes):
        if not _splittable(file) or size <= share:
            pieces.append((Piece(file, 0, None, True), size))
            continue
        start = 0
        while start < size:
            end = size if size - start <= share else \
                _cut_after_whitespace(file, start + share, size)
            pieces.append((Piece(file, start, None if end >= size else end, end >= size),
                           end - start))
            start = end
    runs = [[] for _ in range(max(1, n_threads))]
    done = 0
    for piece, size in pieces:
        # the run whose share of the text holds the middle of the piece
        middle = done + size / 2
        runs[min(len(runs) - 1, int(middle * len(runs) / total) if total else 0)].append(piece)
        done += size
    return [run for run in runs if run]


class _ByteRange:
    """A binary stream over bytes ``[start, end)`` of a plain file."""

    def __init__(self, path, start, end):
        self.name = os.fspath(path)
        try:
            self._stream = open(path, "rb")
        except OSError as exc:
            raise CorpusError(f"cannot open corpus file {self.name!r}: {exc}") from None
        self._stream.seek(start)
        self._left = end - start

    def read(self, n=-1):
        if self._left <= 0:
            return b""
        data = self._stream.read(self._left if n is None or n < 0 else min(n, self._left))
        self._left -= len(data)
        return data

    def close(self):
        self._stream.close()


def _scan_run(run, vocab, encoding_errors, chunk_bytes):
    """One thread's work: scan a run of pieces with a scanner of its own.

    Returns
    -------
    scanner : TokenScanner
    chunks : list of ndarray of int32
        The scanner's ids, in order.
    """
    scanner = TokenScanner(vocab)
    chunks = []
    for piece in run:
        if piece.start == 0 and piece.end is None:
            blocks = iter_file_blocks(piece.file, encoding_errors, chunk_bytes)
            stream = None
        else:
            end = piece.end if piece.end is not None else _size(piece.file)
            stream = _ByteRange(piece.file, piece.start, end)
            blocks = iter_file_blocks(stream, encoding_errors, chunk_bytes,
                                      first_offset=piece.start)
        try:
            for block, _ in blocks:
                scanner.feed(block)
                chunks.append(scanner.take())
        finally:
            if stream is not None:
                stream.close()
        if piece.last:
            scanner.finish_input()
    return scanner, chunks


def scan_threaded(files, vocab=None, encoding_errors="strict", threads=2,
                  chunk_bytes=CHUNK_BYTES, min_piece_bytes=MIN_PIECE_BYTES):
    """Count and encode whitespace-split files on up to ``threads`` threads.

    Parameters
    ----------
    files : list of (str or file object)
    vocab : dict of str to int, optional
        A fixed vocabulary (words outside it are dropped); without it, words
        are counted and numbered in order of first appearance.
    encoding_errors : {'strict', 'replace', 'ignore'}
    threads : int
    chunk_bytes : int
        Bytes read at a time.
    min_piece_bytes : int
        Plain files are cut into pieces of at least this size.

    Returns
    -------
    chunks : list of ndarray of int32
    sentence_ends : ndarray of int64
    scanner : TokenScanner
        Every run's scanner merged into the first: the vocabulary, counts
        and raw word count of the whole text.
    """
    runs = plan_pieces(files, threads, min_piece_bytes)
    if len(runs) == 1:
        results = [_scan_run(runs[0], vocab, encoding_errors, chunk_bytes)]
    else:
        with ThreadPoolExecutor(len(runs), thread_name_prefix="fastemb-scan") as pool:
            futures = [pool.submit(_scan_run, run, vocab, encoding_errors, chunk_bytes)
                       for run in runs]
            results = [future.result() for future in futures]
    merged, chunks = results[0]
    ends = [merged.ends()]
    emitted = sum(len(chunk) for chunk in chunks)
    for scanner, run_chunks in results[1:]:
        to_merged = merged.absorb(scanner)
        if vocab is None:  # a fixed vocabulary numbers words alike in every run
            run_chunks = [to_merged[chunk] for chunk in run_chunks]
        ends.append(scanner.ends() + emitted)
        emitted += sum(len(chunk) for chunk in run_chunks)
        chunks.extend(run_chunks)
    return chunks, np.concatenate(ends), merged
