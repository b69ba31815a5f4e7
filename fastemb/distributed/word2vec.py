"""Word2Vec and FastText trained on a Dask cluster by synchronous delta
averaging.

The corpus is cut into partitions (:mod:`~fastemb.distributed.partitions`),
scanned and encoded where they are read (:mod:`~fastemb.distributed.
vocabulary`), and dealt to R replicas, one a Dask worker. Training runs in
rounds of about ``sync_every`` words over the whole cluster
(:mod:`~fastemb.distributed.rounds`). In a round, every replica trains the
next stretch of its partitions from the synchronised weights, with the
ordinary nogil kernel on all of its worker's threads, and returns the rows
it changed in half precision; the next round's weights are the last ones
plus every replica's change (:mod:`~fastemb.distributed.sync`), merged by
each replica on its own worker. The learning rate falls linearly over the
global word count, as on one machine.

Why rounds of averaging and not a parameter server: a round's traffic is
each replica's changed rows, sent to the others once, whatever the corpus,
while a parameter server moves rows on every update of every frequent word.
The README has the measurements and a model of how the throughput scales
with the number of machines.
"""
import logging
import time

import numpy as np

from fastemb import registry
from fastemb.distributed.base import PartitionedTraining
from fastemb.distributed.cluster import rebuildable, scatter_one
from fastemb.distributed.partitions import PARTITION_BYTES
from fastemb.distributed.rounds import (
    ReplicaState,
    RoundPlan,
    SyncedRounds,
    copy_into,
    new_run_id,
    submit_to,
)
from fastemb.distributed.sync import RULES, half_delta, merge_into
from fastemb.errors import CorpusError
from fastemb.models.base import check

__all__ = ["Word2Vec", "FastText", "DistributedTrainer"]

logger = logging.getLogger(__name__)

#: Words trained by the whole cluster between two synchronisations.
SYNC_EVERY = 750_000


def _model_class(kind):
    """The local model class a distributed training of ``kind`` builds."""
    if kind not in ("Word2Vec", "FastText"):
        raise ValueError(f"distributed training builds Word2Vec or FastText, not {kind!r}")
    return registry.class_named(kind)


# ----------------------------------------------------------------- worker side
def run_spec(model, sync_rule, run=None):
    """What a worker needs to build replicas of ``model`` for one run: its
    kind, parameters and vocabulary, the merge rule and the run's id."""
    return {"kind": type(model).__name__, "run": run or new_run_id(), "sync_rule": sync_rule,
            "params": {name: getattr(model, name) for name in model.PARAMS},
            "keys": list(model.wv.index_to_key), "counts": np.asarray(model.wv.counts)}


def _weight_arrays(model):
    """The arrays training changes, by name: the input rows (words, and
    FastText's n-gram buckets) and the output layers in use."""
    arrays = {"input": model._kernel_inputs({})[0]}
    if model.negative:
        arrays["syn1neg"] = model.syn1neg
    if model.hs:
        arrays["syn1"] = model.syn1
    return arrays


class _Replica(ReplicaState):
    """One replica's copy of the model on a worker: ``start`` holds the
    synchronised weights of the round (equal on every worker), ``model``
    trains from them."""

    def __init__(self, spec, replica):
        super().__init__(spec, replica)
        model = _model_class(spec["kind"])(**spec["params"])
        model.wv = model._new_vectors(spec["keys"], spec["counts"])
        model.init_weights()
        self.model, self.rule = model, spec["sync_rule"]
        self.arrays = _weight_arrays(model)
        self.start = {name: np.empty_like(array) for name, array in self.arrays.items()}

    def take(self, weights):
        for name, array in weights.items():
            np.copyto(self.start[name], array)

    def merge(self, results):
        for name, target in self.start.items():
            merge_into(target, [result["deltas"][name] for result in results], self.rule)


def _worker_threads():
    from distributed import get_worker
    try:
        return max(1, int(get_worker().state.nthreads))
    except (ValueError, AttributeError):  # not on a worker (tests call it directly)
        return 1


def stretch(parts, start, end):
    """Tokens ``[start, end)`` of a replica's partitions laid end to end.

    Parameters
    ----------
    parts : list of (tokens, sentence_ends)
    start, end : int

    Returns
    -------
    tokens : ndarray of int32
    sentence_ends : ndarray of int64
        A sentence cut by ``start`` or ``end`` is cut there (as the threads
        of one machine cut their shards).
    """
    pieces, ends = [], []
    offset = out = 0
    for tokens, sentence_ends in parts:
        lo, hi = max(start - offset, 0), min(end - offset, len(tokens))
        offset += len(tokens)
        if lo >= hi:
            continue
        first = np.searchsorted(sentence_ends, lo, side="right")
        last = np.searchsorted(sentence_ends, hi, side="right")
        piece_ends = sentence_ends[first:last] - lo
        if not len(piece_ends) or piece_ends[-1] != hi - lo:
            piece_ends = np.append(piece_ends, hi - lo)
        pieces.append(tokens[lo:hi])
        ends.append(piece_ends + out)
        out += hi - lo
    if not pieces:
        return np.zeros(0, np.int32), np.zeros(0, np.int64)
    return np.concatenate(pieces), np.concatenate(ends).astype(np.int64, copy=False)


def train_round(spec, replica, version, share, weights, *previous):
    """One replica's share of a round (run on a worker).

    Parameters
    ----------
    spec : dict
        The run: model kind, parameters, vocabulary, merge rule.
    replica : int
    version : int
        The round's position in the whole training.
    share : tuple
        ``(parts, start, end, alpha_start, alpha_end, seed, epoch_id, keep)``:
        the replica's encoded partitions, the stretch of them to train, the
        learning rate at the stretch's ends (of the global schedule), what
        fixes the round's random draws, and whether to keep the round's
        start for the driver.
    weights : dict of ndarray or None
        The weights the round starts from, when the driver sends them (the
        first round, or after a loss); otherwise ``previous`` brings this
        worker's copy there.
    *previous : dict
        Every replica's result of the round before, in replica order; Dask
        fetches them from the workers that computed them.

    Returns
    -------
    dict
        ``deltas`` (name -> the rows this replica changed and by how much,
        in half precision), ``loss``, ``raw``, ``trained``, ``seconds``.
    """
    state = _Replica.of(spec, replica)
    if weights is not None:
        state.load(version, weights)
    else:
        state.advance(version, previous)
    parts, start, end, alpha_start, alpha_end, seed, epoch_id, keep = share
    if keep:  # the driver fetches this round's start: keep it before training moves on
        state.keep_start_once(state.start)
    tokens, ends = stretch(parts, start, end)
    model, arrays = state.model, state.arrays
    for name, array in arrays.items():
        np.copyto(array, state.start[name])
    call = {"epochs": 1, "start_alpha": float(alpha_start), "end_alpha": float(alpha_end),
            "trained": 0, "raw": 0, "seconds": 0.0, "loss": 0.0}
    trained = raw = 0
    if len(tokens):
        model.seed = int(seed)
        model.workers = _worker_threads()
        model.epochs_trained = int(epoch_id)
        trained, raw = model._train_call(tokens, ends, {}, call, 3600.0, (), None, None, None)
    deltas = {name: half_delta(state.start[name], array) for name, array in arrays.items()}
    return {"deltas": deltas, "loss": call["loss"], "raw": raw, "trained": trained,
            "seconds": call["seconds"]}


def synchronised_weights(spec, replica, version, *results):
    """The synchronised weights after round ``version - 1`` (run on the
    worker of a replica that took part in it): what the driver keeps."""
    state = _Replica.of(spec, replica)
    if version not in state.kept:  # this replica's next round has not started yet
        state.advance(version, results)
        state.keep_start_once(state.start)
    return state.kept_arrays(version)


def _token_count(encoded):
    return len(encoded[0])


# ----------------------------------------------------------------- driver side
class DistributedTrainer(PartitionedTraining):
    """Builds the vocabulary of a partitioned corpus on a Dask cluster and
    trains an ordinary fastemb model on it.

    Parameters
    ----------
    client : dask.distributed.Client
    model : fastemb.Word2Vec or fastemb.FastText
        Untrained, holding the parameters; it receives the vocabulary and
        the trained weights.
    corpus_files : str, os.PathLike or sequence of them
        Files, directories or fsspec URLs every worker can read.
    sync_every : int
        Words the whole cluster trains between two synchronisations.
    partition_bytes : int
        Plain files larger than this are read as several byte ranges.
    replicas : int, optional
        Model copies trained side by side; default one a worker.
    sync_rule : {'sum', 'row_mean', 'mean'}
        How the replicas' changes are merged (:mod:`fastemb.distributed.sync`).
    """

    def __init__(self, client, model, corpus_files, sync_every=SYNC_EVERY,
                 partition_bytes=PARTITION_BYTES, replicas=None, sync_rule="sum"):
        check(isinstance(sync_every, (int, np.integer)) and sync_every >= 1,
               f"sync_every must be a positive number of words, got {sync_every!r}")
        check(sync_rule in RULES, f"sync_rule must be one of {RULES}, got {sync_rule!r}")
        super().__init__(client, model, corpus_files, partition_bytes, replicas)
        self.sync_every = int(sync_every)
        self.sync_rule = sync_rule
        self.encoded = None
        self.replica_tokens = None

    def build_vocab(self, trim_rule=None):
        """Count the partitions on the workers, reduce the counts, choose the
        vocabulary on the driver and encode every partition over it where it
        was read.

        Raises
        ------
        VocabularyError
            Empty corpus, or no word reaching ``min_count``.
        """
        model = self.model
        started = time.perf_counter()
        totals = self._count_words()
        model._raw = (totals, ("distributed", tuple(p.path for p in self.partitions)), None,
                      None)
        model.corpus_count = totals.n_sentences
        model.corpus_total_words = totals.raw_words
        report = model.prepare_vocab(trim_rule=trim_rule)
        model.prepare_weights()
        self._encode()
        seconds = round(time.perf_counter() - started, 3)
        model.add_lifecycle_event("build_vocab", distributed=True, words=len(model.wv),
                                  partitions=len(self.partitions), replicas=self.n_replicas,
                                  seconds=seconds, **report)
        logger.info("distributed vocabulary: %d words from %d raw words in %d partitions, "
                    "%.2f s", len(model.wv), totals.raw_words, len(self.partitions), seconds)

    def _encode(self):
        """Encode every partition on its replica's worker (again, after a
        loss Dask could not repair)."""
        client = self.client
        encoded = self._encode_partitions()
        self.encoded = [[encoded[i] for i in indices] for indices in self.assignment]
        sizes = client.gather([client.submit(_token_count, e, pure=False) for e in encoded])
        self.replica_tokens = [sum(sizes[i] for i in indices) for indices in self.assignment]

    def train(self, epochs=None, callbacks=(), progress=None):
        """Train ``epochs`` passes over the corpus on the cluster.

        Parameters
        ----------
        epochs : int, optional
            Default ``model.epochs``.
        callbacks : sequence of CallbackAny2Vec
            Their epoch hooks see the driver's model, synchronised.
        progress : callable, optional
            ``progress(done, total)`` in words of the vocabulary, after
            every round.

        Returns
        -------
        (int, int)
            Words trained (after subsampling) and raw words processed.
        """
        if self.encoded is None:
            raise RuntimeError("build the vocabulary first: call build_vocab()")
        model = self.model
        epochs = self._epochs(epochs)
        if sum(self.replica_tokens) == 0:
            raise CorpusError("the training corpus has no word of the vocabulary")
        callbacks = model.callbacks + tuple(callbacks)
        self._notify(callbacks, "on_train_begin")
        run = _Word2VecRounds(self, epochs, callbacks, progress)
        try:
            run.go()
        finally:
            run.close()
        self._notify(callbacks, "on_train_end")
        model.train_count += 1
        model.total_train_time += run.totals["seconds"]
        model.min_alpha_yet_reached = model.min_alpha
        model.add_lifecycle_event("train", distributed=True, epochs=epochs,
                                  raw_words=run.totals["raw"],
                                  trained_words=run.totals["trained"],
                                  seconds=round(run.totals["seconds"], 3),
                                  replicas=self.n_replicas, rounds_per_epoch=run.plan.rounds,
                                  sync_rule=self.sync_rule)
        return run.totals["trained"], run.totals["raw"]

    def _finish_epoch(self, loss, raw, trained, seconds, rounds, traffic):
        model = self.model
        model._weights_trained = True
        model._after_training()
        model.epochs_trained += 1
        model.running_training_loss += loss
        model.loss_history.append(loss)
        model.train_stats.append({"epoch": model.epochs_trained, "loss": loss, "raw_words": raw,
                                  "trained_words": trained, "seconds": seconds,
                                  "rounds": rounds, **traffic})
        logger.info("distributed epoch %d: loss %.4g, %d raw words, %.2f s, %.0f words/s "
                    "(%d replicas, %d rounds)", model.epochs_trained, loss, raw, seconds,
                    raw / max(seconds, 1e-9), self.n_replicas, rounds)


class _AlphaSchedule:
    """The learning rate after ``position`` of ``n_rounds`` rounds: linear
    from ``alpha`` to ``min_alpha`` over the whole training."""

    def __init__(self, alpha, min_alpha, n_rounds):
        self.alpha, self.min_alpha, self.n_rounds = float(alpha), float(min_alpha), n_rounds

    def __call__(self, position):
        return self.alpha + (self.min_alpha - self.alpha) * position / self.n_rounds


class _Word2VecRounds(SyncedRounds):
    """A training call of Word2Vec or FastText: in each round, every
    replica trains the next stretch of its partitions from the synchronised
    weights, and the weights of the next round are those plus every
    replica's change (:mod:`fastemb.distributed.sync`)."""

    def __init__(self, trainer, epochs, callbacks, progress):
        model = trainer.model
        rounds = max(1, round(sum(trainer.replica_tokens) / trainer.sync_every))
        super().__init__(trainer, RoundPlan(rounds, epochs), callbacks, progress)
        self.arrays = _weight_arrays(model)
        self.first_epoch = model.epochs_trained
        self.schedule = _AlphaSchedule(model.alpha, model.min_alpha, self.plan.total)
        self.totals = {"trained": 0, "raw": 0, "seconds": 0.0}
        self.epochs_done = 0
        self.spec = None

    def send_start(self, run):
        client, trainer = self.client, self.trainer
        self.spec = scatter_one(client, run_spec(trainer.model, trainer.sync_rule, run),
                                broadcast=True)
        # sent to one worker: the others fetch it from there, not from the driver
        return scatter_one(client, dict(self.arrays))

    def shares(self, position):
        """``[(replica, share), …]`` of a round (an empty stretch when a
        replica has no words left this epoch: it still merges the others'
        changes)."""
        trainer, rounds = self.trainer, self.plan.rounds
        epoch, step = self.plan.epoch_step(position)
        out = []
        for replica, parts in enumerate(trainer.encoded):
            n = trainer.replica_tokens[replica]
            start, end = n * step // rounds, n * (step + 1) // rounds
            seed = int(np.random.SeedSequence(
                [int(trainer.model.seed), epoch, step, replica]).generate_state(1)[0] >> 1)
            out.append((replica, (parts, start, end, self.schedule(position),
                                  self.schedule(position + 1), seed, self.first_epoch + epoch,
                                  replica == 0 and self.plan.snapshot_before(position))))
        return out

    def submit_round(self, position, starts, previous):
        return [submit_to(self.client, self.trainer._home(replica), train_round, self.spec,
                          replica, position, share, starts, *previous)
                for replica, share in self.shares(position)]

    def submit_snapshot(self, position, results):
        # first on that worker: the next round does not need it
        return [submit_to(self.client, self.trainer._home(0), synchronised_weights, self.spec,
                          0, position + 1, *results, priority=1)]

    def keep_snapshot(self, values):
        copy_into(self.arrays, values[0])

    def rebuild_data(self):
        # Dask rebuilds lost partitions, unless it cancelled them
        if not rebuildable([future for parts in self.trainer.encoded for future in parts]):
            self.trainer._encode()

    def progress_units(self):
        return self.done("raw"), sum(self.trainer.replica_tokens) * self.plan.epochs

    def finish_epoch(self, rounds, seconds):
        loss, raw = self.summed(rounds, "loss"), self.summed(rounds, "raw")
        trained = self.summed(rounds, "trained")
        others = self.trainer.n_replicas - 1
        traffic = {
            # what the README's scaling model is built from
            "compute_seconds": sum(max(s["seconds"] for s in r) for r in rounds),
            "bytes_exchanged": self.summed(rounds, "delta_bytes") * others,
            "bytes_to_driver": sum(a.nbytes for a in self.arrays.values()) * sum(
                map(self.plan.snapshot_after, range(self.epochs_done * self.plan.rounds,
                                                    (self.epochs_done + 1) * self.plan.rounds)))}
        self.epochs_done += 1
        self.trainer._finish_epoch(loss, raw, trained, seconds, self.plan.rounds, traffic)
        self.totals["raw"] += raw
        self.totals["trained"] += trained
        self.totals["seconds"] += seconds


def _train_distributed(kind, client, corpus_files, sync_every, partition_bytes, replicas,
                       sync_rule, trim_rule, callbacks, progress, params):
    model = _model_class(kind)(**params)
    trainer = DistributedTrainer(client, model, corpus_files, sync_every, partition_bytes,
                                 replicas, sync_rule)
    trainer.build_vocab(trim_rule=trim_rule)
    trainer.train(callbacks=callbacks, progress=progress)
    return model


def Word2Vec(client, corpus_files, sync_every=SYNC_EVERY, partition_bytes=PARTITION_BYTES,
             replicas=None, sync_rule="sum", trim_rule=None, callbacks=(), progress=None,
             **params):
    """Train a :class:`fastemb.Word2Vec` on a Dask cluster.

    Parameters
    ----------
    client : dask.distributed.Client
    corpus_files : str, os.PathLike or sequence of them
        Text files (one sentence a line; ``.gz``, ``.bz2``, ``.xz``),
        directories of them or fsspec URLs, readable by every worker. Files
        are read where the tasks run; only counts and weights travel.
    sync_every : int
        Words the whole cluster trains between two synchronisations.
    partition_bytes : int
        Plain files larger than this are read as byte ranges of whole lines.
    replicas : int, optional
        Model copies trained side by side (default: one a worker); each
        trains on all threads of its worker.
    sync_rule : {'sum', 'row_mean', 'mean'}
        How replicas' changes are merged (:mod:`fastemb.distributed.sync`).
    trim_rule : callable, optional
        As in :meth:`fastemb.Word2Vec.build_vocab`, run on the driver.
    callbacks : sequence of CallbackAny2Vec
    progress : callable, optional
        ``progress(done, total)`` in words of the vocabulary, after every
        round.
    **params
        Any parameter of :class:`fastemb.Word2Vec` (``max_vocab_size`` and
        ``encoded_cache`` excepted); ``workers`` is kept for later training
        on one machine, the cluster uses its workers' threads.

    Returns
    -------
    fastemb.Word2Vec
        The ordinary model: same ``wv``, ``save``/``load`` and evaluation.
        Its vocabulary is the one a single machine reading the same files
        in the same order chooses.
    """
    return _train_distributed("Word2Vec", client, corpus_files, sync_every, partition_bytes,
                              replicas, sync_rule, trim_rule, callbacks, progress, params)


def FastText(client, corpus_files, sync_every=SYNC_EVERY, partition_bytes=PARTITION_BYTES,
             replicas=None, sync_rule="sum", trim_rule=None, callbacks=(), progress=None,
             **params):
    """Train a :class:`fastemb.FastText` on a Dask cluster (see
    :func:`Word2Vec` for the parameters; ``**params`` are FastText's).

    The n-gram bucket rows travel like word rows: only those a round
    changed go back and forth, but the first round (and a worker that
    joins) receives the whole input matrix, so a smaller ``bucket`` makes
    that cheaper.

    Returns
    -------
    fastemb.FastText
    """
    return _train_distributed("FastText", client, corpus_files, sync_every, partition_bytes,
                              replicas, sync_rule, trim_rule, callbacks, progress, params)
