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

from fastemb._glove import GloveTrainer
from fastemb.corpus.vocab import select_vocabulary
from fastemb.distributed.base import PartitionedTraining
from fastemb.distributed.cluster import rebuildable, scatter_one, worker_threads
from fastemb.distributed.partitions import PARTITION_BYTES
from fastemb.distributed.rounds import (
    ReplicaState,
    RoundPlan,
    StaleReplica,
    SyncedRounds,
    copy_into,
    submit_to,
)
from fastemb.distributed.sync import half_delta, merge_into, sparse_delta
from fastemb.models.base import check
from fastemb.models.cooccurrence import (
    CooccurrenceMatrix,
    count_pairs,
    full_pairs,
    merge_pair_runs,
    pairs_to_matrix,
)
from fastemb.models.glove import GloVe as LocalGloVe
from fastemb.training.threads import SLOT_STRIDE, ShardRunner
from fastemb.vectors.keyedvectors import KeyedVectors

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
                               worker_threads(), max_memory)
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


class _RangeReplica(ReplicaState):
    """Replica k of a GloVe run on a worker: the whole matrix's arrays (the
    kernel indexes rows globally), of which it trains the rows of its range;
    ``start`` holds the shared side (context vectors, biases and AdaGrad
    sums) as last synchronised, equal on every worker."""

    def __init__(self, spec, replica):
        super().__init__(spec, replica)
        n, dim = spec["n_words"], spec["dim"]
        self.lo, self.hi = spec["bounds"][replica], spec["bounds"][replica + 1]
        self.replica, self.seed = replica, spec["seed"]
        self.params = (spec["x_max"], spec["alpha"], spec["learning_rate"])
        # deterministic: the range is trained on one thread, so that nothing
        # depends on the worker's threads (the replicas' changes are merged
        # in replica order whatever)
        self.threads = 1 if spec["deterministic"] else None
        self.full = {}
        for name in OWN + SHARED:
            shape = (n, dim) if name in ("w", "c", "gw", "gc") else (n,)
            self.full[name] = np.zeros(shape, np.float64 if name.startswith("g") else np.float32)
        self.start = {name: self.full[name].copy() for name in SHARED}
        self.trainer = None
        self.shuffled_epoch = None

    def take(self, weights):
        own, shared = weights
        for name in OWN:
            self.full[name][self.lo:self.hi] = own[name]
        for name in SHARED:
            np.copyto(self.start[name], shared[name])

    def merge(self, results):
        for name, target in self.start.items():
            merge_into(target, [result["deltas"][name] for result in results])

    def train(self, matrix_range, start, end, epoch_id):
        """Train entries ``start:end`` of this epoch's order from the
        synchronised shared side; returns the shared side's changes."""
        full = self.full
        for name in SHARED:
            np.copyto(full[name], self.start[name])
        if self.trainer is None:
            rows, cols, vals = matrix_range
            self.trainer = GloveTrainer(
                full["w"], full["c"], full["bw"], full["bc"], full["gw"], full["gc"],
                full["gbw"], full["gbc"], rows, cols, vals, np.arange(len(vals), dtype=np.int64),
                *self.params)
        if self.shuffled_epoch != epoch_id:  # each epoch in its own order, as on one machine
            self.trainer.shuffle_range(0, len(matrix_range[2]), self.seed, self.replica, epoch_id)
            self.shuffled_epoch = epoch_id
        threads = self.threads or worker_threads()
        runner = ShardRunner(threads)
        bounds = [start + (end - start) * t // threads for t in range(threads + 1)]

        def work(thread_id):
            lo, hi = bounds[thread_id], bounds[thread_id + 1]
            cost, _ = self.trainer.train_range(lo, lo, hi, 0.0, runner.counters,
                                               thread_id * SLOT_STRIDE, runner.stop_flag,
                                               np.iinfo(np.int64).max)
            return cost

        costs, _ = runner.run(work)
        deltas = {name: _shared_delta(self.start[name], full[name]) for name in SHARED}
        return deltas, float(sum(costs))

    def keep_own(self, version):
        """Keep the range's rows as training left them, for the driver."""
        self.keep(version, {name: self.full[name][self.lo:self.hi] for name in OWN})


def _shared_delta(before, after):
    """A shared array's change as sent: vectors and biases in half precision
    (as Word2Vec's), AdaGrad sums in single (their squared gradients go far
    below half precision's smallest normal number)."""
    if after.dtype == np.float64:
        rows, change = sparse_delta(before, after)
        return rows.astype(np.int32), change.astype(np.float32)
    return half_delta(before, after)


def train_range_round(spec, replica, version, share, own, shared, *previous):
    """One replica's share of a GloVe round (run on a worker).

    Parameters
    ----------
    spec : dict
        The run: vocabulary size, dimension, row ranges, GloVe's parameters.
    replica, version : int
        The replica, and the round's position in the whole training.
    share : tuple
        ``(matrix_range, start, end, epoch_id, keep_start, keep_end)``: the
        replica's rows of the co-occurrence matrix, the entries of this
        epoch's order to train, and whether to keep the shared side the
        round starts from and the range's rows it ends with for the driver.
    own, shared : dict or None
        The range's rows and the shared side, sent by the driver (first
        round, or after a loss); otherwise ``previous`` brings the replica
        there.
    *previous : dict
        Every replica's result of the round before, in replica order.

    Returns
    -------
    dict
        ``deltas`` (the shared side's changes), ``cost`` and ``entries``.
    """
    state = _RangeReplica.of(spec, replica)
    if shared is not None:
        state.load(version, (own, shared))
    else:
        state.advance(version, previous)
    matrix_range, start, end, epoch_id, keep_start, keep_end = share
    if keep_start and replica == 0:  # the driver fetches this round's shared side
        state.keep_start_once(state.start)
    deltas, cost = state.train(matrix_range, start, end, epoch_id)
    if keep_end:
        state.keep_own(version + 1)
    return {"deltas": deltas, "cost": cost, "entries": end - start}


def range_weights(spec, replica, version, with_shared, *results):
    """The weights of replica ``replica``'s rows after round ``version - 1``,
    and the synchronised shared side too if ``with_shared`` (run on its
    worker)."""
    state = _RangeReplica.of(spec, replica)
    if with_shared and SHARED[0] not in state.kept.get(version, {}):
        state.advance(version, results)  # the replica's next round has not started yet
        state.keep_start_once(state.start)
    kept = state.kept_arrays(version)
    if OWN[0] not in kept:
        raise StaleReplica(f"this worker did not keep the rows of round {version}")
    return {"own": {name: kept[name] for name in OWN},
            "shared": {name: kept[name] for name in SHARED} if with_shared else None}


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
        check(isinstance(syncs_per_epoch, (int, np.integer)) and syncs_per_epoch >= 1,
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
        model = self.model
        epochs = self._epochs(epochs)
        if sum(self.range_sizes) == 0:
            raise ValueError("the co-occurrence matrix is empty: the corpus has no two "
                             "vocabulary words within a window of each other")
        if model._weights is None:
            model._init_weights()
        callbacks = model.callbacks + tuple(callbacks)
        self._notify(callbacks, "on_train_begin")
        run = _GloVeRounds(self, epochs, callbacks, progress)
        try:
            run.go()
        finally:
            run.close()
        self._notify(callbacks, "on_train_end")
        return run.costs

    def _finish_epoch(self, cost, entries, seconds):
        model = self.model
        model.epochs_trained += 1
        model.loss_history.append(cost)
        model.train_stats.append({"epoch": model.epochs_trained, "cost": cost,
                                  "entries": entries, "seconds": seconds})
        model._refresh_vectors()
        logger.info("distributed GloVe epoch %d: cost %.6f, %.2f s", model.epochs_trained, cost,
                    seconds)


class _GloVeRounds(SyncedRounds):
    """A GloVe training call: ``syncs_per_epoch`` rounds an epoch, each
    replica training the next part of its range's shuffled entries; the
    shared side of the next round is the last one plus every replica's
    change (the changes of a sequential pass add up; the AdaGrad sums add
    exactly)."""

    def __init__(self, trainer, epochs, callbacks, progress):
        super().__init__(trainer, RoundPlan(trainer.syncs_per_epoch, epochs), callbacks,
                         progress)
        model = trainer.model
        self.weights = model._weights
        self.first_epoch = model.epochs_trained
        self.costs = []
        self.spec = None

    def send_start(self, run):
        client, trainer, model = self.client, self.trainer, self.trainer.model
        spec = {"run": run, "n_words": len(model.wv), "dim": int(model.vector_size),
                "bounds": list(trainer.row_bounds), "seed": int(model.seed),
                "x_max": float(model.x_max), "alpha": float(model.alpha),
                "learning_rate": float(model.learning_rate),
                "deterministic": bool(model.deterministic)}
        self.spec = scatter_one(client, spec, broadcast=True)
        bounds, weights = trainer.row_bounds, self.weights
        own = [scatter_one(client, {name: weights[name][bounds[r]:bounds[r + 1]] for name in OWN},
                           workers=[trainer._home(r)]) for r in range(trainer.n_replicas)]
        # sent to one worker: the others fetch it from there, not from the driver
        return own, scatter_one(client, {name: weights[name] for name in SHARED})

    def submit_round(self, position, starts):
        trainer = self.trainer
        previous = self.results_of(position - 1)
        epoch, step = self.plan.epoch_step(position)
        own, shared = starts if starts is not None else ([None] * trainer.n_replicas, None)
        keep_start = self.plan.snapshot_before(position)
        keep_end = self.plan.snapshot_after(position)
        futures = []
        for replica in range(trainer.n_replicas):
            n = trainer.range_sizes[replica]
            start, end = n * step // self.plan.rounds, n * (step + 1) // self.plan.rounds
            share = (trainer.ranges[replica], start, end, self.first_epoch + epoch, keep_start,
                     keep_end)
            futures.append(submit_to(self.client, trainer._home(replica), train_range_round,
                                     self.spec, replica, position, share, own[replica], shared,
                                     *previous))
        return futures

    def submit_snapshot(self, position, results):
        # first on those workers: the next round does not need them
        return [submit_to(self.client, self.trainer._home(replica), range_weights, self.spec,
                          replica, position + 1, replica == 0,
                          *(results if replica == 0 else results[replica:replica + 1]),
                          priority=1)
                for replica in range(self.trainer.n_replicas)]

    def keep_snapshot(self, values):
        bounds = self.trainer.row_bounds
        for replica, value in enumerate(values):
            for name, rows in value["own"].items():
                self.weights[name][bounds[replica]:bounds[replica + 1]] = rows
        copy_into(self.weights, values[0]["shared"])

    def rebuild_data(self):
        trainer = self.trainer
        if not rebuildable(trainer.ranges):
            logger.warning("counting the co-occurrences again")
            trainer.build_cooccurrence()

    def progress_units(self):
        return self.done("entries"), sum(self.trainer.range_sizes) * self.plan.epochs

    def finish_epoch(self, rounds, seconds):
        cost, entries = self.summed(rounds, "cost"), self.summed(rounds, "entries")
        self.trainer._finish_epoch(cost / max(entries, 1), entries, seconds)
        self.costs.append(self.trainer.model.loss_history[-1])


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
    model = LocalGloVe(**params)
    trainer = DistributedGloVe(client, model, corpus_files, syncs_per_epoch, partition_bytes,
                               replicas)
    trainer.build_vocab(trim_rule=trim_rule)
    trainer.build_cooccurrence(keep_matrix=keep_matrix)
    trainer.train(callbacks=callbacks, progress=progress)
    return model
