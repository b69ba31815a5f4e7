"""GloVe on a Dask cluster: co-occurrences counted where the partitions are,
merged by a shuffle into row ranges, and AdaGrad trained over the ranges.

1. Vocabulary and encoding as for Word2Vec
   (:mod:`fastemb.distributed.vocabulary`).
2. Each partition counts its co-occurrences into sorted float64 pair runs
   (the single machine's counter, on all the worker's threads), completes
   the symmetric half with its mirror image, and cuts the run at the row
   boundaries of R ranges chosen so that each holds about the same number
   of entries. Range k's merge task receives only piece k of every
   partition and adds equal pairs. Sums are float64 until the end, as on one
   machine, so the merged matrix is the single machine's.
3. Replica k trains the entries of range k: its word vectors and biases
   ``W[i], bw[i]`` for ``i`` in the range are its own, and only the context
   side ``C, bc`` (and their AdaGrad sums) is shared. Those are synchronised
   ``syncs_per_epoch`` times an epoch by adding every replica's change (the
   changes of a sequential pass add up; the AdaGrad sums add exactly).
"""
import logging
import operator
import time

import numpy as np

from fastemb import _glove
from fastemb.cooccurrence import count_pairs, full_pairs, merge_pair_runs, pairs_to_matrix
from fastemb.distributed.base import PartitionedTraining
from fastemb.distributed.cluster import (LostData, WorkerWatch, cluster_workers, gather_round,
                                         scatter_one)
from fastemb.distributed.partitions import PARTITION_BYTES
from fastemb.distributed.sync import apply_delta, combine_deltas, sparse_delta
from fastemb.distributed.word2vec import _worker_threads
from fastemb.glove import _check
from fastemb.keyedvectors import KeyedVectors
from fastemb.threads import SLOT_STRIDE, ShardRunner
from fastemb.vocab import select_vocabulary

__all__ = ["GloVe", "DistributedGloVe"]

logger = logging.getLogger(__name__)

#: Arrays a replica owns for its rows, and arrays all replicas share.
OWN = ("w", "bw", "gw", "gbw")
SHARED = ("c", "bc", "gc", "gbc")


# ----------------------------------------------------------------- worker side
def count_partition(encoded, window, symmetric, distance_weighting, max_memory):
    """A partition's co-occurrences as sorted float64 pair counts of full
    rows (run on a worker)."""
    tokens, ends = encoded
    keys, counts = count_pairs(tokens, ends, window, symmetric, distance_weighting,
                               _worker_threads(), max_memory)
    if symmetric:
        keys, counts = full_pairs(keys, counts)
    return keys, counts


def row_histogram(pairs, n_words):
    """Entries of each row in a partition's pairs."""
    return np.bincount((pairs[0] >> np.uint64(32)).astype(np.int64), minlength=n_words)


def cut_rows(pairs, bounds):
    """A partition's pairs cut at row ``bounds`` (one piece a range)."""
    keys, counts = pairs
    at = np.searchsorted(keys, np.asarray(bounds, np.uint64) << np.uint64(32))
    return [(keys[lo:hi], counts[lo:hi]) for lo, hi in zip(at[:-1], at[1:])]


def merge_range(n_words, *pieces):
    """One row range of the whole matrix, from every partition's piece of it."""
    keys, counts = merge_pair_runs([piece for piece in pieces if len(piece[0])])
    matrix = pairs_to_matrix(keys, counts, n_words)
    return matrix.rows, matrix.cols, matrix.vals


def entry_order(matrix_range, seed, epoch, replica):
    """The shuffled order a replica trains its entries in during an epoch."""
    n = len(matrix_range[2])
    rng = np.random.default_rng([seed, epoch, replica])
    return rng.permutation(n).astype(np.int64, copy=False)


def train_range(matrix_range, order, own, shared, row_start, start, end, x_max, alpha,
                learning_rate):
    """Train entries ``order[start:end]`` of a row range (run on a worker).

    Parameters
    ----------
    matrix_range : (rows, cols, vals)
    order : ndarray of int64
    own : dict
        ``w, bw, gw, gbw`` of the range's rows.
    shared : dict
        ``c, bc, gc, gbc`` of every word, as last synchronised.
    row_start : int
        First row of the range.

    Returns
    -------
    dict
        ``own`` (the range's rows after training), ``deltas`` (sparse changes
        of the shared arrays), ``cost`` (summed) and ``entries``.
    """
    rows, cols, vals = matrix_range
    n_words, dim = shared["c"].shape
    row_end = row_start + len(own["bw"])
    full = {}
    for name in OWN:  # the kernel indexes rows globally: give it whole arrays
        array = own[name]
        full[name] = np.zeros((n_words,) + array.shape[1:], dtype=array.dtype)
        full[name][row_start:row_end] = array
    for name in SHARED:
        full[name] = np.array(shared[name])
    trainer = _glove.GloveTrainer(full["w"], full["c"], full["bw"], full["bc"], full["gw"],
                                  full["gc"], full["gbw"], full["gbc"], rows, cols, vals, order,
                                  x_max, alpha, learning_rate)
    threads = _worker_threads()
    runner = ShardRunner(threads)
    bounds = [start + (end - start) * t // threads for t in range(threads + 1)]

    def work(thread_id):
        lo, hi = bounds[thread_id], bounds[thread_id + 1]
        cost, _ = trainer.train_range(lo, lo, hi, 0.0, runner.counters,
                                      thread_id * SLOT_STRIDE, runner.stop_flag,
                                      np.iinfo(np.int64).max)
        return cost

    costs, _ = runner.run(work)
    return {"own": {name: full[name][row_start:row_end] for name in OWN},
            "deltas": {name: sparse_delta(shared[name], full[name]) for name in SHARED},
            "cost": float(sum(costs)), "entries": end - start}


def _length(matrix_range):
    return len(matrix_range[2])


# ----------------------------------------------------------------- driver side
class DistributedGloVe(PartitionedTraining):
    """Builds the vocabulary and co-occurrence matrix of a partitioned corpus
    on a Dask cluster and trains an ordinary :class:`fastemb.GloVe` on it.

    Parameters
    ----------
    client : dask.distributed.Client
    model : fastemb.GloVe
        Untrained, holding the parameters.
    corpus_files : str, os.PathLike or sequence of them
    syncs_per_epoch : int
        Synchronisations of the shared context side in each epoch.
    partition_bytes : int
    replicas : int, optional
        Row ranges trained side by side; default one a worker.
    """

    def __init__(self, client, model, corpus_files, syncs_per_epoch=4,
                 partition_bytes=PARTITION_BYTES, replicas=None):
        _check(isinstance(syncs_per_epoch, (int, np.integer)) and syncs_per_epoch >= 1,
               f"syncs_per_epoch must be a positive integer, got {syncs_per_epoch!r}")
        super().__init__(client, model, corpus_files, partition_bytes, replicas)
        self.syncs_per_epoch = int(syncs_per_epoch)
        self.ranges = None
        self.row_bounds = None

    def build_vocab(self, trim_rule=None):
        """Count and reduce the vocabulary, then encode every partition over it."""
        model = self.model
        started = time.perf_counter()
        totals = self._count_words()
        _, keys, counts = select_vocabulary(totals.words, totals.counts, model.min_count,
                                            model.max_final_vocab, trim_rule, True)
        model.corpus_count = totals.n_sentences
        model.corpus_total_words = totals.raw_words
        model.wv = KeyedVectors.from_arrays(
            keys, np.zeros((len(keys), model.vector_size), np.float32), counts)
        model._weights = None
        model.cooccurrence = None
        logger.info("distributed GloVe vocabulary: %d words from %d raw words, %.2f s",
                    len(keys), totals.raw_words, time.perf_counter() - started)

    def build_cooccurrence(self, keep_matrix=False):
        """Count every partition's co-occurrences where it lies and merge them
        into row ranges, one a replica.

        Parameters
        ----------
        keep_matrix : bool
            Also gather the whole matrix into ``model.cooccurrence`` (as one
            machine keeps it); otherwise it stays spread over the workers.
        """
        if not len(self.model.wv):
            raise RuntimeError("build the vocabulary first: call build_vocab()")
        client, model = self.client, self.model
        started = time.perf_counter()
        n_words = len(model.wv)
        homes = self._partition_homes()
        encoded = self._encode_partitions()
        pairs = [client.submit(count_partition, encoded, int(model.window),
                               bool(model.symmetric), bool(model.distance_weighting),
                               float(model.max_memory), workers=[home],
                               allow_other_workers=True, pure=False)
                 for encoded, home in zip(encoded, homes)]
        histogram = sum(client.gather([client.submit(row_histogram, p, n_words, pure=False)
                                       for p in pairs]))
        self.row_bounds = _balanced_bounds(histogram, self.n_replicas)
        pieces = [client.submit(cut_rows, p, self.row_bounds, pure=False) for p in pairs]
        self.ranges = []
        for replica in range(self.n_replicas):
            mine = [client.submit(operator.getitem, p, replica, pure=False) for p in pieces]
            self.ranges.append(client.submit(merge_range, n_words, *mine,
                                             workers=[self._home(replica)],
                                             allow_other_workers=True, pure=False))
        self.range_sizes = client.gather([client.submit(_length, r, pure=False)
                                          for r in self.ranges])
        nnz = sum(self.range_sizes)
        if keep_matrix:
            parts = client.gather(self.ranges)
            from fastemb.cooccurrence import CooccurrenceMatrix
            model.cooccurrence = CooccurrenceMatrix(
                *(np.concatenate([part[i] for part in parts]) for i in range(3)), n_words)
        logger.info("distributed co-occurrence matrix: %d entries in %d row ranges, %.2f s",
                    nnz, self.n_replicas, time.perf_counter() - started)
        return nnz

    def train(self, epochs=None, callbacks=(), progress=None):
        """Fit the vectors with AdaGrad on the cluster.

        Returns
        -------
        list of float
            The cost of each epoch.
        """
        if self.ranges is None:
            raise RuntimeError("count co-occurrences first: call build_cooccurrence()")
        model, client = self.model, self.client
        epochs = self._epochs(epochs)
        if sum(self.range_sizes) == 0:
            raise ValueError("the co-occurrence matrix is empty: the corpus has no two "
                             "vocabulary words within a window of each other")
        if model._weights is None:
            model._init_weights()
        weights = model._weights
        watch = WorkerWatch(client)
        callbacks = model.callbacks + tuple(callbacks)
        costs = []
        self._notify(callbacks, "on_train_begin")
        for epoch in range(epochs):
            self._notify(callbacks, "on_epoch_begin")
            started = time.perf_counter()
            orders = self._orders()
            cost = entries = 0
            for step in range(self.syncs_per_epoch):
                try:
                    results = self._round(weights, orders, step)
                except LostData as lost:
                    # the weights are the driver's: count again, redo the round
                    logger.warning("%s; counting the co-occurrences again", lost)
                    self.workers = cluster_workers(client)
                    self.build_cooccurrence()
                    orders = self._orders()
                    results = self._round(weights, orders, step)
                watch.check(f"GloVe epoch {epoch + 1}, round {step + 1}")
                for replica, result in results:
                    lo, hi = self.row_bounds[replica], self.row_bounds[replica + 1]
                    for name in OWN:
                        weights[name][lo:hi] = result["own"][name]
                for name in SHARED:
                    apply_delta(weights[name],
                                combine_deltas([r["deltas"][name] for _, r in results], "sum"))
                cost += sum(r["cost"] for _, r in results)
                entries += sum(r["entries"] for _, r in results)
                if progress is not None:
                    progress(epoch * sum(self.range_sizes) + entries,
                             epochs * sum(self.range_sizes))
            del orders
            self._finish_epoch(cost / max(entries, 1), entries, time.perf_counter() - started)
            costs.append(model.cost_history[-1])
            self._notify(callbacks, "on_epoch_end")
        self._notify(callbacks, "on_train_end")
        return costs

    def _orders(self):
        """This epoch's entry order of every range, made where the range is."""
        return [self.client.submit(entry_order, self.ranges[r], int(self.model.seed),
                                   self.model.epochs_trained, r, workers=[self._home(r)],
                                   allow_other_workers=True, pure=False)
                for r in range(self.n_replicas)]

    def _round(self, weights, orders, step):
        client, model = self.client, self.model
        # sent to one worker: the others fetch it from there, not from the driver
        shared = scatter_one(client, {name: weights[name] for name in SHARED})
        futures = []
        for replica in range(self.n_replicas):
            n = self.range_sizes[replica]
            start, end = n * step // self.syncs_per_epoch, n * (step + 1) // self.syncs_per_epoch
            if start >= end:
                continue
            lo, hi = self.row_bounds[replica], self.row_bounds[replica + 1]
            home = self._home(replica)
            own = scatter_one(client, {name: weights[name][lo:hi] for name in OWN},
                              workers=[home])
            futures.append((replica, client.submit(
                train_range, self.ranges[replica], orders[replica], own, shared, lo, start, end,
                float(model.x_max), float(model.alpha), float(model.learning_rate),
                workers=[home], allow_other_workers=True, pure=False)))
        results = gather_round(client, [f for _, f in futures], f"GloVe round {step + 1}")
        return [(replica, result) for (replica, _), result in zip(futures, results)]

    def _finish_epoch(self, cost, entries, seconds):
        model = self.model
        model.epochs_trained += 1
        model.cost_history.append(cost)
        model.train_stats.append({"epoch": model.epochs_trained, "cost": cost,
                                  "entries": entries, "seconds": seconds})
        model._refresh_vectors()
        logger.info("distributed GloVe epoch %d: cost %.6f, %.2f s", model.epochs_trained, cost,
                    seconds)


def _balanced_bounds(histogram, n_ranges):
    """Row boundaries cutting ``histogram`` (entries a row) into ``n_ranges``
    contiguous ranges of nearly equal totals."""
    cumulative = np.cumsum(histogram)
    total = int(cumulative[-1]) if len(cumulative) else 0
    inner = [int(np.searchsorted(cumulative, total * k / n_ranges, side="left")) + 1
             for k in range(1, n_ranges)]
    bounds = [0] + inner + [len(histogram)]
    return [int(b) for b in np.maximum.accumulate(np.minimum(bounds, len(histogram)))]


def GloVe(client, corpus_files, syncs_per_epoch=4, partition_bytes=PARTITION_BYTES,
          replicas=None, keep_matrix=False, trim_rule=None, callbacks=(), progress=None,
          **params):
    """Train a :class:`fastemb.GloVe` on a Dask cluster.

    Parameters
    ----------
    client : dask.distributed.Client
    corpus_files : str, os.PathLike or sequence of them
        Text files, directories or fsspec URLs every worker can read.
    syncs_per_epoch : int
        Synchronisations of the shared context vectors in each epoch.
    partition_bytes : int
        Plain files larger than this are read as byte ranges of whole lines.
    replicas : int, optional
        Row ranges trained side by side; default one a worker.
    keep_matrix : bool
        Gather the co-occurrence matrix into ``model.cooccurrence`` (needed
        to go on training on one machine); by default it stays on the
        workers and is dropped after training.
    trim_rule : callable, optional
    callbacks : sequence of CallbackAny2Vec
    progress : callable, optional
        ``progress(done, total)`` in matrix entries, after every round.
    **params
        Any parameter of :class:`fastemb.GloVe` but ``max_vocab_size``.

    Returns
    -------
    fastemb.GloVe
        Its vocabulary and co-occurrence matrix are those one machine
        computes from the same files in the same order.
    """
    from fastemb.glove import GloVe as LocalGloVe
    model = LocalGloVe(**params)
    trainer = DistributedGloVe(client, model, corpus_files, syncs_per_epoch, partition_bytes,
                               replicas)
    trainer.build_vocab(trim_rule=trim_rule)
    trainer.build_cooccurrence(keep_matrix=keep_matrix)
    trainer.train(callbacks=callbacks, progress=progress)
    return model
