"""Word-word co-occurrence counting for GloVe, multithreaded and bounded in
memory.

Each worker thread counts the centre positions of its shard of the encoded
corpus into its own hash table (:class:`fastemb._glove.PairCounter`). When
the table is full, it is emptied as a run sorted by ``(row, col)`` and
spilled to disk; at the end all runs are merged, adding equal pairs. Stanford
GloVe's ``cooccur`` does the same on one thread and then needs a separate
``shuffle`` pass; here training shuffles in place instead.
"""
import logging
import os
import shutil
import tempfile

import numpy as np

from fastemb._glove import (
    SLOT_BYTES,
    PairCounter,
    expand_symmetric,
    merge_runs,
    radix_sort_pairs,
    split_keys,
)
from fastemb.io.native import remove_orphans
from fastemb.training.threads import ShardRunner, split_shards

__all__ = ["CooccurrenceMatrix", "count_cooccurrences", "count_pairs", "full_pairs",
           "merge_pair_runs", "pairs_to_matrix"]

logger = logging.getLogger(__name__)

#: Name start of spill folders, followed by the owning process id.
SPILL_PREFIX = "fastemb-cooccur-"

#: Fewest table slots a thread must have to make progress.
MIN_TABLE_SLOTS = 1 << 12


class CooccurrenceMatrix:
    """A sparse co-occurrence matrix as sorted COO arrays.

    Attributes
    ----------
    rows, cols : ndarray of int32
        Sorted by row, then column.
    vals : ndarray of float32
        Weighted counts (sums of ``1/distance`` or of 1).
    n_words : int
        Size of the (square) matrix.
    """

    def __init__(self, rows, cols, vals, n_words):
        self.rows = rows
        self.cols = cols
        self.vals = vals
        self.n_words = int(n_words)

    def __len__(self):
        return len(self.vals)

    @property
    def nnz(self):
        """Number of non-zero entries."""
        return len(self.vals)

    def to_scipy(self):
        """The matrix as ``scipy.sparse.csr_matrix`` (needs scipy).

        Returns
        -------
        scipy.sparse.csr_matrix
        """
        try:
            from scipy import sparse
        except ImportError:  # pragma: no cover - depends on the environment
            raise ImportError("to_scipy() needs scipy: pip install scipy") from None
        return sparse.csr_matrix((self.vals, (self.rows, self.cols)),
                                 shape=(self.n_words, self.n_words))


def _table_slots(max_memory, workers):
    """Slots a thread's table may have: half the budget goes to the tables,
    the other half to sorting, spilling and merging."""
    budget = float(max_memory) * (1 << 30) / 2 / workers
    slots = 1
    while slots * 2 * SLOT_BYTES <= budget:  # largest power of two that fits
        slots *= 2
    if slots < MIN_TABLE_SLOTS:
        need = MIN_TABLE_SLOTS * SLOT_BYTES * 2 * workers / (1 << 20)
        raise ValueError(f"max_memory={max_memory} GB is too small to count co-occurrences "
                         f"with {workers} workers: give at least {need:.1f} MB "
                         f"({need / 1024:.4f} GB)")
    return slots


def _spill(base, keys, counts):
    """Write one sorted run to ``base.keys.npy`` and ``base.counts.npy``.

    Raises
    ------
    OSError
        The disk is full or not writable; the message says what to change.
    """
    try:
        np.save(base + ".keys.npy", keys)
        np.save(base + ".counts.npy", counts)
    except OSError as exc:
        raise OSError(exc.errno, f"cannot spill co-occurrence counts to "
                                 f"{os.path.dirname(base)}: {exc.strerror or exc}; free disk "
                                 "space there, give tmp_dir= a larger disk, or raise "
                                 "max_memory") from exc


def merge_pair_runs(runs):
    """Merge sorted runs pairwise, smallest first, until one remains."""
    if not runs:
        return np.zeros(0, np.uint64), np.zeros(0, np.float64)
    runs = sorted(runs, key=lambda run: len(run[0]))
    while len(runs) > 1:
        (ka, ca), (kb, cb) = runs.pop(0), runs.pop(0)
        merged = merge_runs(ka, ca, kb, cb)
        runs.append(merged)
        runs.sort(key=lambda run: len(run[0]))
    return runs[0]


def count_cooccurrences(tokens, sentence_ends, n_words, window=10, symmetric=True,
                        distance_weighting=True, workers=1, max_memory=1.0, tmp_dir=None):
    """Count the co-occurrence matrix of an encoded corpus.

    ``X[a, b]`` sums, over every occurrence of word ``a`` at most ``window``
    positions to the left of word ``b`` in the same sentence, the weight
    ``1/distance`` (or 1 without ``distance_weighting``). With ``symmetric``
    each such pair also adds to ``X[b, a]``.

    Parameters
    ----------
    tokens : ndarray of int32
    sentence_ends : ndarray of int64
    n_words : int
    window : int
    symmetric, distance_weighting : bool
    workers : int
    max_memory : float
        Memory budget in GiB (like Stanford's ``-memory``); tables that fill
        it are spilled to disk as sorted runs.
    tmp_dir : str, optional
        Where to spill (default: the system's temporary folder). The spill
        folder is removed on every exit (error, Ctrl-C); one left by a
        killed process is removed by the next count in the same place.

    Returns
    -------
    CooccurrenceMatrix
    """
    keys, counts = count_pairs(tokens, sentence_ends, window, symmetric, distance_weighting,
                               workers, max_memory, tmp_dir)
    if symmetric:
        rows, cols, vals = expand_symmetric(keys, counts, n_words)
    else:
        rows, cols, vals = split_keys(keys, counts)
    return CooccurrenceMatrix(rows, cols, vals, n_words)


def count_pairs(tokens, sentence_ends, window=10, symmetric=True, distance_weighting=True,
                workers=1, max_memory=1.0, tmp_dir=None):
    """The co-occurrence counts as sorted pair keys ``(row << 32) | col``
    with their float64 sums; with ``symmetric`` only the half ``row <= col``
    is listed (:func:`full_pairs` adds the mirror image).

    Parameters are those of :func:`count_cooccurrences`.

    Returns
    -------
    keys : ndarray of uint64
    counts : ndarray of float64
    """
    if window < 1:
        raise ValueError(f"window must be >= 1, got {window}")
    slots = _table_slots(max_memory, workers)
    shards = split_shards(sentence_ends, len(tokens), workers)
    # the pid in the name lets a later run remove the folder of a killed one
    parent = tmp_dir if tmp_dir is not None else tempfile.gettempdir()
    remove_orphans(parent, SPILL_PREFIX)
    spill_dir = tempfile.mkdtemp(prefix=f"{SPILL_PREFIX}{os.getpid()}-", dir=parent)
    runner = ShardRunner(workers)
    try:
        def work(thread_id):
            start, end, sentence = shards[thread_id]
            table = PairCounter(slots)
            runs = []
            position = start
            while True:
                position, sentence = table.count(tokens, sentence_ends, position, end, sentence,
                                                 window, symmetric, distance_weighting)
                last = position >= end or bool(runner.stop_flag[0])
                keys, counts = table.take_sorted(release=last)
                if position < end:  # the table filled up: spill this run to disk
                    base = os.path.join(spill_dir, f"run-{thread_id}-{len(runs)}")
                    _spill(base, keys, counts)
                    del keys, counts
                    runs.append((np.load(base + ".keys.npy", mmap_mode="r"),
                                 np.load(base + ".counts.npy", mmap_mode="r")))
                else:
                    runs.append((keys, counts))
                if last:
                    return runs

        results, interrupted = runner.run(work)
        if interrupted:
            raise KeyboardInterrupt
        runs = [run for thread_runs in results for run in thread_runs]
        logger.info("co-occurrence counting: %d sorted runs (%d spilled to disk)", len(runs),
                    sum(isinstance(k, np.memmap) for k, _ in runs))
        keys, counts = merge_pair_runs(runs)
        del runs, results
        if isinstance(keys, np.memmap):  # a lone spilled run: read it before it goes
            keys, counts = np.array(keys), np.array(counts)
        return keys, counts
    finally:
        shutil.rmtree(spill_dir, ignore_errors=True)


def full_pairs(keys, counts):
    """The sorted half ``row <= col`` of a symmetric matrix completed with
    its mirror image, still as sorted float64 pair counts.

    Returns
    -------
    keys : ndarray of uint64
    counts : ndarray of float64
    """
    rows, cols = keys >> np.uint64(32), keys & np.uint64(0xFFFFFFFF)
    off_diagonal = rows != cols
    full_keys = np.concatenate([keys, (cols[off_diagonal] << np.uint64(32)) |
                                rows[off_diagonal]])
    full_counts = np.concatenate([counts, counts[off_diagonal]])
    radix_sort_pairs(full_keys, full_counts)
    return full_keys, full_counts


def pairs_to_matrix(keys, counts, n_words):
    """A :class:`CooccurrenceMatrix` from sorted pair counts of full rows."""
    rows, cols, vals = split_keys(keys, counts)
    return CooccurrenceMatrix(rows, cols, vals, n_words)
