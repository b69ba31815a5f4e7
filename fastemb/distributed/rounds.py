"""Training in synchronised rounds, with the changes exchanged between workers.

Every distributed trainer of fastemb trains R replicas side by side in
rounds. A replica keeps its weights on its worker between rounds
(:class:`ReplicaState`); at the end of a round it returns the rows it
changed, and a later round of each replica takes every replica's changes
straight from the workers that computed them and merges them into its own
copy: the next round (GloVe's copies of the shared side stay equal bit for
bit), or with Word2Vec's ``overlap=True`` the round after, so that the
changes travel while the replicas train. The changes never pass through the
driver, and every worker merges the same changes in the same order with the
same operations, whatever the timing.

The driver (:class:`SyncedRounds`) only submits rounds, ``LOOKAHEAD`` of
them ahead, reads each round's figures (loss, words) as it ends, and fetches
the weights at the end of every epoch and every ``SNAPSHOT_ROUNDS`` rounds.
When a worker is lost, the rounds in flight are cancelled and training goes
on from the weights the driver holds: the new worker, or the survivors,
build their replicas afresh from them.
"""
import logging
import threading
import time
import uuid

import numpy as np

from fastemb.distributed.cluster import LostData, WorkerWatch, cluster_workers, gather_round

__all__ = ["LostWorker", "StaleReplica", "ReplicaState", "forget_run", "round_summary", "RoundPlan",
           "SyncedRounds", "new_run_id", "submit_to", "copy_into"]

logger = logging.getLogger(__name__)

#: The driver fetches the weights at the end of every epoch and at least
#: every this many rounds; after a loss, training resumes there.
SNAPSHOT_ROUNDS = 16


def new_run_id():
    """A name for one run's replicas on the workers."""
    return uuid.uuid4().hex


# ----------------------------------------------------------------- worker side
class LostWorker(RuntimeError):
    """A worker that held replicas left the cluster while rounds were in
    flight; the driver restarts from the weights it last fetched."""


class StaleReplica(RuntimeError):
    """A round reached a worker that does not hold its replica's weights at
    the round's start (the worker replaced a lost one). The driver restarts
    from the weights it last fetched."""


#: (run, kind of state, replica) -> ReplicaState, the replicas this worker holds
_replicas = {}
_replicas_lock = threading.Lock()


class ReplicaState:
    """One replica's weights on a worker, at the start of round ``version``.

    Subclasses say how to build the replica (``__init__(spec, replica)``),
    take the driver's weights (:meth:`take`) and merge a round's changes
    (:meth:`merge`); this class keeps the version, the lock and the registry.
    """

    #: Kept weights older than this many versions are dropped.
    KEEP_VERSIONS = 3

    def __init__(self, spec, replica):
        self.version = None
        self.lock = threading.Condition()  # its notifications wake tasks waiting for a round
        self.kept = {}  # version -> arrays the driver will fetch, by name
        self.closed = False  # its run ended, or a newer run replaced it

    @classmethod
    def of(cls, spec, replica):
        """The worker's replica ``replica`` of the run ``spec["run"]`` (made
        on first use; replicas of earlier runs are dropped)."""
        key = (spec["run"], cls.__name__, replica)
        with _replicas_lock:
            for old in [k for k in _replicas if k[0] != spec["run"]]:
                _replicas.pop(old).close()
            if key not in _replicas:
                _replicas[key] = cls(spec, replica)
            return _replicas[key]

    def load(self, version, weights):
        """Take the driver's weights as round ``version``'s start."""
        with self.lock:
            self.take(weights)
            self.version = version

    def advance(self, version, results):
        """Bring the weights to round ``version``, merging the replicas'
        ``results`` of the round before (in replica order) when one round
        behind.

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
            self.merge(results)
            self.version = version

    def close(self):
        """Mark the replica dropped and wake the tasks waiting on it."""
        with self.lock:
            self.closed = True
            self.lock.notify_all()

    def wait_for(self, version):
        """Wait until this replica has reached round ``version`` (its earlier
        rounds run on this worker in their own tasks, and a task can start
        before the one of the round before has finished). While it waits it
        leaves the worker's thread pool, so that those tasks can run.

        Raises
        ------
        StaleReplica
            The replica was dropped while the task waited.
        """
        with self.lock:
            if self._reached(version):
                return
        seceded = _leave_thread_pool()
        try:
            with self.lock:
                while not self._reached(version):
                    self.lock.wait(timeout=1.0)
        finally:
            if seceded:
                from distributed import rejoin
                rejoin()

    def _reached(self, version):
        if self.closed:
            raise StaleReplica("the replica was dropped: its run ended or a newer one began")
        return self.version is not None and self.version >= version

    def keep(self, version, arrays):
        """Keep copies of ``arrays`` (by name) for the driver's snapshot of
        round ``version``: the next round may change them before the
        snapshot task runs."""
        with self.lock:
            self.kept.setdefault(version, {}).update(
                {name: array.copy() for name, array in arrays.items()})
            for old in [v for v in self.kept if v <= version - self.KEEP_VERSIONS]:
                del self.kept[old]

    def keep_start_once(self, start):
        """Keep ``start``, the synchronised weights of the current round, for
        the driver, unless a task of this round already did."""
        if next(iter(start)) not in self.kept.get(self.version, {}):
            self.keep(self.version, start)

    def kept_arrays(self, version):
        """What :meth:`keep` kept for round ``version`` (handed over once).

        Raises
        ------
        StaleReplica
            Nothing was kept for it on this worker.
        """
        with self.lock:
            if version not in self.kept:
                raise StaleReplica(f"this worker did not keep round {version} of the replica")
            return self.kept.pop(version)

    def take(self, weights):  # pragma: no cover - every subclass defines it
        raise NotImplementedError

    def merge(self, results):  # pragma: no cover - every subclass defines it
        raise NotImplementedError


def _leave_thread_pool():
    """Leave the Dask worker's thread pool if this runs in a task (Dask
    starts another thread for the queued tasks meanwhile); whether it did."""
    try:
        from distributed import secede
        secede()
    except (ImportError, ValueError):  # not in a Dask task (tests call tasks directly)
        return False
    return True


def forget_run(run):
    """Drop this worker's replicas of a finished run (run on every worker)."""
    with _replicas_lock:
        for key in [k for k in _replicas if k[0] == run]:
            _replicas.pop(key).close()


def round_summary(result):
    """A round's result without its changes: what the driver reads of it."""
    summary = {key: value for key, value in result.items() if key != "deltas"}
    summary["delta_bytes"] = sum(rows.nbytes + change.nbytes
                                 for rows, change in result["deltas"].values())
    return summary


# ----------------------------------------------------------------- driver side
class RoundPlan:
    """Rounds numbered over a whole training call (a round's number is its
    version of the weights), ``rounds`` an epoch."""

    def __init__(self, rounds, epochs):
        self.rounds, self.epochs = int(rounds), int(epochs)
        self.total = self.rounds * self.epochs

    def epoch_step(self, position):
        """``(epoch, step)`` of a round, both from 0."""
        return divmod(position, self.rounds)

    def name(self, position):
        epoch, step = self.epoch_step(position)
        return f"epoch {epoch + 1}, round {step + 1}"

    def ends_epoch(self, position):
        return (position + 1) % self.rounds == 0

    def snapshot_after(self, position):
        """Whether the driver fetches the weights round ``position`` ends with."""
        return self.ends_epoch(position) or (position + 1) % SNAPSHOT_ROUNDS == 0

    def snapshot_before(self, position):
        """Whether the driver fetches the weights round ``position`` starts from."""
        return position > 0 and self.snapshot_after(position - 1)


class SyncedRounds:
    """One training call of a distributed trainer, as rounds on the cluster.

    Subclasses define what a round is: :meth:`send_start`,
    :meth:`submit_round`, :meth:`submit_snapshot`, :meth:`keep_snapshot`,
    :meth:`rebuild_data` and :meth:`finish_epoch`.

    Parameters
    ----------
    trainer : PartitionedTraining
        Its client, workers and model; its ``_notify`` calls the callbacks.
    plan : RoundPlan
    callbacks : sequence of CallbackAny2Vec
    progress : callable or None
        ``progress(done, total)`` after every round, in what
        :meth:`progress_units` counts.
    """

    #: Rounds submitted ahead of the one the driver waits for.
    LOOKAHEAD = 3
    #: Failures in a row, with no round kept between them, before giving up.
    MAX_RECOVERIES = 5
    #: Seconds between two looks for lost workers while the driver waits.
    POLL_SECONDS = 1.0

    def __init__(self, trainer, plan, callbacks=(), progress=None):
        self.trainer, self.plan = trainer, plan
        self.client = trainer.client
        self.callbacks, self.progress = callbacks, progress
        self.watch = WorkerWatch(self.client)
        self.held = 0  # the round the driver's weights are the start of
        self.in_flight = {}  # position -> (results, summaries, snapshot futures)
        self.summaries = {}  # position -> every replica's figures
        self.recoveries = 0
        self.reported = 0
        self.begun = set()  # the first rounds of epochs whose callbacks have begun
        self.run = None
        self.run_start = 0  # the round the replicas took the driver's weights at
        self.starts = None

    # ------------------------------------------------------------ the loop
    def go(self):
        """Train every round of the plan."""
        plan = self.plan
        self._start()
        position = submitted = self.held
        epoch_started = time.perf_counter()
        while position < plan.total:
            what = plan.name(position)
            if position % plan.rounds == 0 and position not in self.begun:
                self.begun.add(position)  # once, even when a loss sends training back here
                self.trainer._notify(self.callbacks, "on_epoch_begin")
            try:
                while submitted < min(plan.total, position + self.LOOKAHEAD):
                    self.in_flight[submitted] = self._submit(submitted)
                    submitted += 1
                _, summaries, snapshot = self.in_flight[position]
                self.summaries[position] = self._gather(summaries, what)
                if snapshot:
                    self.keep_snapshot(self._gather(snapshot, what))
                    self.held, self.starts, self.recoveries = position + 1, None, 0
            except (StaleReplica, LostData, LostWorker) as failure:
                position = submitted = self._recover(failure, what)
                continue
            self.watch.check(what)
            self.in_flight.pop(position - 1, None)  # round `position` holds what it needs
            self._report_progress()
            if plan.ends_epoch(position):
                now = time.perf_counter()
                epoch = range(position + 1 - plan.rounds, position + 1)
                self.finish_epoch([self.summaries[p] for p in epoch], now - epoch_started)
                self.trainer._notify(self.callbacks, "on_epoch_end")
                epoch_started = now
            position += 1

    def _gather(self, futures, what):
        """The results of ``futures``, in order, watching for lost workers
        while it waits (a task bound to a lost worker would wait for ever).

        Raises
        ------
        LostWorker, LostData, StaleReplica
            Recoverable: the driver goes back to its weights.
        """
        def check():
            homes = {address for address, _ in self.trainer.workers}
            gone = homes - set(self.client.scheduler_info()["workers"])
            if gone:
                raise LostWorker(f"{what}: worker(s) {', '.join(sorted(gone))} left the "
                                 "cluster")
        return gather_round(self.client, futures, what, check, self.POLL_SECONDS)

    def _start(self):
        """A new run: the workers build their replicas afresh from the
        driver's weights."""
        self.run, self.run_start = new_run_id(), self.held
        self.starts = self.send_start(self.run)

    def _submit(self, position):
        starts = self.starts if position == self.held else None
        results = self.submit_round(position, starts)
        summaries = [submit_to(self.client, self.home_of(replica), round_summary, result)
                     for replica, result in enumerate(results)]
        snapshot = self.submit_snapshot(position, results) if self.plan.snapshot_after(
            position) else []
        return results, summaries, snapshot

    def results_of(self, position):
        """The futures of every replica's result of round ``position``, or
        none when the weights the run started from already hold them."""
        return list(self.in_flight[position][0]) if position >= self.run_start else []

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
        self.trainer.workers = cluster_workers(self.client)
        self.rebuild_data()
        self._start()
        return self.held

    def _cancel(self):
        futures = [f for results, summaries, snapshot in self.in_flight.values()
                   for f in [*results, *summaries, *snapshot]]
        if futures:
            self.client.cancel(futures)
        self.in_flight.clear()

    def _report_progress(self):
        if self.progress is None:
            return
        done, total = self.progress_units()
        self.reported = max(self.reported, done)
        self.progress(self.reported, total)

    def done(self, key):
        """``key`` summed over every replica of every round read so far."""
        return sum(s[key] for summaries in self.summaries.values() for s in summaries)

    @staticmethod
    def summed(rounds, key):
        """``key`` summed over every replica of ``rounds`` (lists of summaries)."""
        return sum(s[key] for summaries in rounds for s in summaries)

    def close(self):
        """Cancel what is still in flight and free the workers' replicas."""
        self._cancel()
        if self.run is not None:
            try:
                self.client.run(forget_run, self.run)
            except Exception as exc:  # a worker leaving now keeps nothing anyway
                logger.debug("could not free the replicas on every worker: %r", exc)

    # --------------------------------------------------- what a round is
    def home_of(self, replica):
        """The worker that holds the result of replica ``replica`` of a round
        (by default the replica's home)."""
        return self.trainer._home(replica)

    def send_start(self, run):
        """Send the driver's weights; returns what :meth:`submit_round` gives
        a round that starts from them (futures)."""
        raise NotImplementedError  # pragma: no cover

    def submit_round(self, position, starts):
        """Submit every replica's share of round ``position`` and return the
        futures of their results (dicts with ``deltas``), in replica order.
        ``starts`` is :meth:`send_start`'s value when the round starts from
        the driver's weights (else None); :meth:`results_of` gives the
        rounds before."""
        raise NotImplementedError  # pragma: no cover

    def submit_snapshot(self, position, results):
        """Submit the tasks that hand the driver the weights round
        ``position`` ends with; returns their futures."""
        raise NotImplementedError  # pragma: no cover

    def keep_snapshot(self, values):
        """Copy the fetched weights into the driver's model."""
        raise NotImplementedError  # pragma: no cover

    def rebuild_data(self):
        """After a loss (``trainer.workers`` already refreshed): rebuild data
        Dask could not (by default nothing)."""

    def progress_units(self):
        """``(done, total)`` for the progress callback."""
        raise NotImplementedError  # pragma: no cover

    def finish_epoch(self, rounds, seconds):
        """Record an epoch: ``rounds`` holds each round's summaries."""
        raise NotImplementedError  # pragma: no cover


def submit_to(client, replica_home, function, *args, priority=0):
    """Submit ``function(*args)`` to run on a replica's worker and nowhere
    else: Dask's work stealing would otherwise move a task away from the
    replica it needs. (If that worker is lost, the task would wait for ever:
    :meth:`SyncedRounds._gather` watches for that.)"""
    return client.submit(function, *args, workers=[replica_home], allow_other_workers=False,
                         pure=False, priority=priority)


def copy_into(targets, values):
    """Copy fetched arrays into the driver's arrays of the same names."""
    for name, array in values.items():
        np.copyto(targets[name], array)
