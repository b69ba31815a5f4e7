"""Word2Vec and FastText trained on a Dask cluster by synchronous delta
averaging.

The corpus is cut into partitions (:mod:`~fastemb.distributed.partitions`),
scanned and encoded where they are read (:mod:`~fastemb.distributed.
vocabulary`), and dealt to R replicas, one a Dask worker. Training runs in
rounds of about ``sync_every`` words over the whole cluster. In a round,
every replica starts from the driver's weights, trains the next stretch of
its partitions with the ordinary nogil kernel on all of its worker's
threads, and returns the rows it changed (:mod:`~fastemb.distributed.sync`);
the driver merges them and the next round starts from the result. The
learning rate falls linearly over the global word count, as on one machine.

Why rounds of averaging and not a parameter server: a round's traffic is
the merged change out and the changed rows back per replica, whatever the
corpus, while a parameter server moves rows on every update of every
frequent word. The README has the measurements and a model of how the
throughput scales with the number of machines.
"""
import logging
import threading
import time
import uuid

import numpy as np

from fastemb.distributed.base import PartitionedTraining
from fastemb.distributed.cluster import (LostData, WorkerWatch, cluster_workers, gather_round,
                                         scatter_one)
from fastemb.distributed.partitions import PARTITION_BYTES
from fastemb.distributed.sync import RULES, half_delta, merge_into
from fastemb.word2vec import _check

__all__ = ["Word2Vec", "FastText", "DistributedTrainer"]

logger = logging.getLogger(__name__)

#: Words trained by the whole cluster between two synchronisations.
SYNC_EVERY = 750_000


def _model_classes():
    from fastemb.fasttext import FastText as LocalFastText
    from fastemb.word2vec import Word2Vec as LocalWord2Vec
    return {"Word2Vec": LocalWord2Vec, "FastText": LocalFastText}


# ----------------------------------------------------------------- worker side
class StaleReplica(RuntimeError):
    """A round reached a worker that does not hold its replica's weights at
    the round's start (the worker replaced a lost one). The driver restarts
    from the weights it last synchronised."""


#: (run, replica) -> _Replica, the replicas this worker holds
_replicas = {}
_replicas_lock = threading.Lock()


def run_spec(model, sync_rule):
    """What a worker needs to build replicas of ``model`` for one run: its
    kind, parameters and vocabulary, the merge rule and a new run id."""
    return {"kind": type(model).__name__, "run": uuid.uuid4().hex, "sync_rule": sync_rule,
            "params": {name: getattr(model, name) for name in model.PARAMS},
            "keys": list(model.wv.index_to_key), "counts": np.asarray(model.wv.counts)}


def _weight_arrays(model):
    """The arrays training changes, by name: the input rows (words, and
    FastText's n-gram buckets) and the output layers in use."""
    arrays = {"input": model._kernel_inputs()[0]}
    if model.negative:
        arrays["syn1neg"] = model.syn1neg
    if model.hs:
        arrays["syn1"] = model.syn1
    return arrays


def _build_model(spec):
    model = _model_classes()[spec["kind"]](**spec["params"])
    model.wv = model._new_vectors(spec["keys"], spec["counts"])
    model.init_weights()
    return model


class _Replica:
    """One replica's copy of the model on a worker.

    ``start`` holds the synchronised weights round ``version`` starts from:
    every worker brings its copy there with the same operations on the same
    changes, so all copies are equal bit for bit. ``model`` trains from them.
    """

    def __init__(self, spec):
        self.model = _build_model(spec)
        self.arrays = _weight_arrays(self.model)
        self.start = {name: np.empty_like(array) for name, array in self.arrays.items()}
        self.version = None
        self.lock = threading.Lock()

    @classmethod
    def of(cls, spec, replica):
        """The worker's replica ``replica`` of the run ``spec`` describes
        (made on first use; replicas of earlier runs are dropped)."""
        key = (spec["run"], replica)
        with _replicas_lock:
            for old in [k for k in _replicas if k[0] != spec["run"]]:
                del _replicas[old]
            if key not in _replicas:
                _replicas[key] = cls(spec)
            return _replicas[key]

    def load(self, version, weights):
        """Take the driver's weights as round ``version``'s start."""
        with self.lock:
            for name, array in weights.items():
                np.copyto(self.start[name], array)
            self.version = version

    def advance(self, version, results, rule):
        """Bring ``start`` to round ``version``, merging the changes the
        replicas sent back from the round before (``results``, in replica
        order) when it is one round behind.

        Raises
        ------
        StaleReplica
            This worker holds neither that round's start nor the one before.
        """
        with self.lock:
            if self.version == version:
                return
            if self.version != version - 1 or not results:
                raise StaleReplica(f"this worker holds round {self.version} of the replica, "
                                   f"not round {version} or the one before")
            for name, target in self.start.items():
                merge_into(target, [result["deltas"][name] for result in results], rule)
            self.version = version

    def synchronised(self):
        """A copy of the synchronised weights, by name."""
        with self.lock:
            return {name: array.copy() for name, array in self.start.items()}


def forget_run(run):
    """Drop this worker's replicas of a finished run (run on every worker)."""
    with _replicas_lock:
        for key in [k for k in _replicas if k[0] == run]:
            del _replicas[key]


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
        ``(parts, start, end, alpha_start, alpha_end, seed, epoch_id)``: the
        replica's encoded partitions, the stretch of them to train, the
        learning rate at the stretch's ends (of the global schedule) and
        what fixes the round's random draws.
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
        state.advance(version, previous, spec["sync_rule"])
    parts, start, end, alpha_start, alpha_end, seed, epoch_id = share
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
        trained, raw = model._train_call(tokens, ends, call, 3600.0, (), None, None, None)
    deltas = {name: half_delta(state.start[name], array) for name, array in arrays.items()}
    return {"deltas": deltas, "loss": call["loss"], "raw": raw, "trained": trained,
            "seconds": call["seconds"]}


def round_summary(result):
    """A round's result without its changes: what the driver needs of it."""
    summary = {key: value for key, value in result.items() if key != "deltas"}
    summary["delta_bytes"] = sum(rows.nbytes + change.nbytes
                                 for rows, change in result["deltas"].values())
    return summary


def synchronised_weights(spec, replica, version, *results):
    """The synchronised weights after round ``version - 1`` (run on the
    worker of a replica that took part in it): what the driver keeps."""
    state = _Replica.of(spec, replica)
    state.advance(version, results, spec["sync_rule"])
    return state.synchronised()


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
        _check(isinstance(sync_every, (int, np.integer)) and sync_every >= 1,
               f"sync_every must be a positive number of words, got {sync_every!r}")
        _check(sync_rule in RULES, f"sync_rule must be one of {RULES}, got {sync_rule!r}")
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
        model._raw = (totals, ("distributed", tuple(p.path for p in self.partitions)), None)
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

    def _encoded_intact(self):
        """Whether every encoded partition is held or can be rebuilt by Dask."""
        return all(future.status not in ("cancelled", "error")
                   for parts in self.encoded for future in parts)

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
            from fastemb.errors import CorpusError
            raise CorpusError("the training corpus has no word of the vocabulary")
        plan = _RoundPlan(self, epochs)
        callbacks = model.callbacks + tuple(callbacks)
        self._notify(callbacks, "on_train_begin")
        run = _Run(self, plan, callbacks, progress)
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
                                  replicas=self.n_replicas, rounds_per_epoch=plan.rounds,
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


#: The driver fetches the synchronised weights at the end of every epoch and
#: at least every this many rounds; after a loss, training resumes there.
SNAPSHOT_ROUNDS = 16


class _RoundPlan:
    """What every round of a training call trains: rounds of about
    ``sync_every`` words, numbered over the whole call (a round's number is
    its version of the weights)."""

    def __init__(self, trainer, epochs):
        model = trainer.model
        self.trainer = trainer
        self.rounds = max(1, round(sum(trainer.replica_tokens) / trainer.sync_every))
        self.epochs = epochs
        self.total = epochs * self.rounds
        self.first_epoch = model.epochs_trained
        self.schedule = _AlphaSchedule(model.alpha, model.min_alpha, self.total)

    def epoch_step(self, position):
        return divmod(position, self.rounds)

    def name(self, position):
        epoch, step = self.epoch_step(position)
        return f"epoch {epoch + 1}, round {step + 1}"

    def ends_epoch(self, position):
        return (position + 1) % self.rounds == 0

    def snapshot_after(self, position):
        """Whether the driver keeps the weights that round ``position`` ends with."""
        return self.ends_epoch(position) or (position + 1) % SNAPSHOT_ROUNDS == 0

    def shares(self, position):
        """``[(replica, share), …]``: every replica's part of a round (an
        empty stretch when it has no words left this epoch; it still merges
        the others' changes)."""
        trainer = self.trainer
        epoch, step = self.epoch_step(position)
        out = []
        for replica, parts in enumerate(trainer.encoded):
            n = trainer.replica_tokens[replica]
            start, end = n * step // self.rounds, n * (step + 1) // self.rounds
            seed = int(np.random.SeedSequence(
                [int(trainer.model.seed), epoch, step, replica]).generate_state(1)[0] >> 1)
            out.append((replica, (parts, start, end, self.schedule(position),
                                  self.schedule(position + 1), seed, self.first_epoch + epoch)))
        return out


class _Run:
    """One training call on the cluster.

    The rounds form a graph on the workers: a replica's round takes every
    replica's change from the round before straight from the workers that
    computed them, so the changes never pass through the driver. The driver
    keeps ``LOOKAHEAD`` rounds submitted ahead, reads each round's figures
    as it ends, and fetches the synchronised weights at the end of every
    epoch (and every ``SNAPSHOT_ROUNDS`` rounds). When a worker is lost, the
    rounds in flight are cancelled and training goes on from those weights.
    """

    #: Rounds submitted ahead of the one the driver waits for.
    LOOKAHEAD = 3
    #: Failures in a row, with no round kept between them, before giving up.
    MAX_RECOVERIES = 5

    def __init__(self, trainer, plan, callbacks, progress):
        self.trainer, self.plan = trainer, plan
        self.client = trainer.client
        self.callbacks, self.progress = callbacks, progress
        self.arrays = _weight_arrays(trainer.model)
        self.watch = WorkerWatch(self.client)
        self.held = 0  # the round the driver's weights are the start of
        self.in_flight = {}  # position -> (results, summaries, snapshot or None)
        self.summaries = {}  # position -> every replica's figures
        self.totals = {"trained": 0, "raw": 0, "seconds": 0.0}
        self.recoveries = 0
        self.reported = 0
        self.spec = self.weights = None
        self._send_start()

    def _send_start(self):
        """A new run id and the driver's weights, sent to the cluster: the
        workers build their replicas afresh from them."""
        client = self.client
        self.spec_value = run_spec(self.trainer.model, self.trainer.sync_rule)
        self.spec = scatter_one(client, self.spec_value, broadcast=True)
        # sent to one worker: the others fetch it from there, not from the driver
        self.weights = scatter_one(client, dict(self.arrays))

    def go(self):
        """Train every round of the plan."""
        plan, client = self.plan, self.client
        position = submitted = self.held
        epoch_started = time.perf_counter()
        while position < plan.total:
            what = plan.name(position)
            if position % plan.rounds == 0 and position not in self.summaries:
                self.trainer._notify(self.callbacks, "on_epoch_begin")
            try:
                while submitted < min(plan.total, position + self.LOOKAHEAD):
                    self.in_flight[submitted] = self._submit(submitted)
                    submitted += 1
                _, summaries, snapshot = self.in_flight[position]
                self.summaries[position] = gather_round(client, summaries, what)
                if snapshot is not None:
                    weights = gather_round(client, [snapshot], what)[0]
                    for name, array in self.arrays.items():
                        np.copyto(array, weights[name])
                    self.held, self.weights, self.recoveries = position + 1, None, 0
            except (StaleReplica, LostData) as failure:
                position = submitted = self._recover(failure, what)
                continue
            self.watch.check(what)
            self.in_flight.pop(position - 1, None)  # round `position` holds what it needs
            self._report_progress()
            if plan.ends_epoch(position):
                now = time.perf_counter()
                self._finish_epoch(position, now - epoch_started)
                epoch_started = now
            position += 1

    def _submit(self, position):
        """Submit every replica's share of round ``position``, the figures
        the driver reads of it and, if the driver keeps the weights it ends
        with, the task that hands them over."""
        client, trainer = self.client, self.trainer
        weights = self.weights if position == self.held else None
        previous = [] if weights is not None else self.in_flight[position - 1][0]
        results = [client.submit(train_round, self.spec, replica, position, share, weights,
                                 *previous, workers=[trainer._home(replica)],
                                 allow_other_workers=True, pure=False)
                   for replica, share in self.plan.shares(position)]
        summaries = [client.submit(round_summary, result, pure=False) for result in results]
        snapshot = None
        if self.plan.snapshot_after(position):
            # before the next round on that worker: it needs only this round's changes
            snapshot = client.submit(synchronised_weights, self.spec, 0, position + 1, *results,
                                     workers=[trainer._home(0)], allow_other_workers=True,
                                     pure=False, priority=1)
        return results, summaries, snapshot

    def _recover(self, failure, what):
        """Cancel the rounds in flight and go back to the driver's weights.

        Returns
        -------
        int
            The round training resumes with.

        Raises
        ------
        RuntimeError
            Training failed ``MAX_RECOVERIES`` times without keeping a round.
        """
        self.recoveries += 1
        if self.recoveries > self.MAX_RECOVERIES:
            raise RuntimeError(f"{what}: distributed training failed {self.recoveries - 1} "
                               f"times in a row ({failure})") from failure
        logger.warning("training again from %s after: %s", self.plan.name(self.held), failure)
        self._cancel()
        for position in [p for p in self.summaries if p >= self.held]:
            del self.summaries[position]
        trainer = self.trainer
        trainer.workers = cluster_workers(self.client)
        if not trainer._encoded_intact():  # Dask rebuilds lost partitions, unless cancelled
            trainer._encode()
        self._send_start()
        return self.held

    def _cancel(self):
        futures = [f for results, summaries, snapshot in self.in_flight.values()
                   for f in [*results, *summaries, snapshot] if f is not None]
        if futures:
            self.client.cancel(futures)
        self.in_flight.clear()

    def _report_progress(self):
        if self.progress is None:
            return
        done = sum(s["raw"] for summaries in self.summaries.values() for s in summaries)
        self.reported = max(self.reported, done)
        self.progress(self.reported, sum(self.trainer.replica_tokens) * self.plan.epochs)

    def _finish_epoch(self, last, seconds):
        """Fold the epoch's rounds into the model's figures and call the
        epoch hooks (the driver holds the epoch's weights by now)."""
        positions = range(last + 1 - self.plan.rounds, last + 1)
        rounds = [self.summaries[p] for p in positions]
        loss = sum(s["loss"] for r in rounds for s in r)
        raw = sum(s["raw"] for r in rounds for s in r)
        trained = sum(s["trained"] for r in rounds for s in r)
        others = self.trainer.n_replicas - 1
        traffic = {
            # what the README's scaling model is built from
            "compute_seconds": sum(max(s["seconds"] for s in r) for r in rounds),
            "bytes_exchanged": sum(s["delta_bytes"] * others for r in rounds for s in r),
            "bytes_to_driver": sum(a.nbytes for a in self.arrays.values()) * sum(
                self.plan.snapshot_after(p) for p in positions)}
        self.trainer._finish_epoch(loss, raw, trained, seconds, self.plan.rounds, traffic)
        self.totals["raw"] += raw
        self.totals["trained"] += trained
        self.totals["seconds"] += seconds
        self.trainer._notify(self.callbacks, "on_epoch_end")

    def close(self):
        """Cancel what is still in flight and free the workers' replicas."""
        self._cancel()
        if self.spec_value is not None:
            try:
                self.client.run(forget_run, self.spec_value["run"])
            except Exception as exc:  # a worker leaving now keeps nothing anyway
                logger.debug("could not free the replicas on every worker: %r", exc)


def _train_distributed(kind, client, corpus_files, sync_every, partition_bytes, replicas,
                       sync_rule, trim_rule, callbacks, progress, params):
    model = _model_classes()[kind](**params)
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
