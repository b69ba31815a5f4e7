"""Run one epoch's shards on worker threads while the Python thread only
watches: it reports progress, turns Ctrl-C into a stop request and asks for
pauses when a checkpoint is due; and the epoch loop (callbacks, timing,
interruption, checkpoints) every model trains with.

Each worker spends the whole shard inside a ``nogil`` kernel, so the threads
run truly in parallel; the watching thread sleeps in ``join`` between reports
and costs nothing.
"""
import contextlib
import functools
import logging
import math
import signal
import threading
import time

import numpy as np

from fastemb._core import PROGRESS_SLOT_STRIDE
from fastemb.errors import TrainingDivergedError

__all__ = ["ShardRunner", "run_epochs", "DivergenceWatch", "split_shards", "split_pieces",
           "exclusive_training", "SLOT_STRIDE"]

logger = logging.getLogger(__name__)

#: int64 counters between two threads' progress slots: one 64-byte cache line
#: each, so that counting never makes the threads' caches fight. The kernel
#: defines it (``fastemb._core``); every kernel's counters use it.
SLOT_STRIDE = PROGRESS_SLOT_STRIDE


#: Guards the creation of the models' training locks.
_LOCKS_GUARD = threading.Lock()


def exclusive_training(train):
    """Decorate a model's ``train`` so that a second call while one is
    running (from another thread) fails at once with a clear error instead
    of two trainings writing the same weights and tables."""
    @functools.wraps(train)
    def guarded(model, *args, **kwargs):
        with _LOCKS_GUARD:
            lock = model.__dict__.setdefault("_training_lock", threading.Lock())
        if not lock.acquire(blocking=False):
            raise RuntimeError(f"{type(model).__name__}.train() is already running on this "
                               "model in another thread; wait for it to finish, or train a "
                               "copy of the model")
        try:
            return train(model, *args, **kwargs)
        finally:
            lock.release()
    return guarded


def split_shards(sentence_ends, n_tokens, n_shards):
    """Cut ``[0, n_tokens)`` into ``n_shards`` contiguous ranges of nearly equal
    token counts (a long sentence may be cut; that costs only the context
    across one cut per shard).

    Returns
    -------
    list of (start, end, sentence)
        ``sentence`` is the index of the sentence containing ``start``.
    """
    bounds = [n_tokens * k // n_shards for k in range(n_shards + 1)]
    shards = []
    for start, end in zip(bounds[:-1], bounds[1:]):
        sentence = int(np.searchsorted(sentence_ends, start, side="right"))
        shards.append((start, end, sentence))
    return shards


def split_pieces(sentence_ends, n_tokens, n_threads, smallest=16384):
    """Cut ``[0, n_tokens)`` into pieces for ``n_threads`` threads that take
    them in order as they become free: each piece is half the remaining
    tokens' fair share of a thread (guided scheduling), so the first pieces
    are large (few merges of private rows) and the last ones small, down to
    ``smallest`` tokens, so that the threads end nearly together.

    Returns
    -------
    list of (start, end, sentence)
        As :func:`split_shards`; one piece with one thread.
    """
    if n_threads <= 1:
        return split_shards(sentence_ends, n_tokens, 1)
    bounds = [0]
    while bounds[-1] < n_tokens:
        remaining = n_tokens - bounds[-1]
        size = max(remaining // (2 * n_threads), smallest)
        bounds.append(min(bounds[-1] + size, n_tokens))
    return [(start, end, int(np.searchsorted(sentence_ends, start, side="right")))
            for start, end in zip(bounds[:-1], bounds[1:])]


class ShardRunner:
    """Runs ``work(thread_id)`` on ``n_threads`` threads.

    Parameters
    ----------
    n_threads : int
    report_delay : float
        Seconds between two calls of ``on_progress``.

    Attributes
    ----------
    counters : ndarray of int64
        Progress counters the kernels add to, thread ``t`` at
        ``t * SLOT_STRIDE``; they accumulate over every round.
    stop_flag : ndarray of intc, shape (2,)
        Entry 0 is set on Ctrl-C or a worker's error, entry 1 when a
        checkpoint is due; the kernels poll both and pause where their state
        can be saved.
    pause_at : ndarray of int64, shape (1,)
        The kernels also pause once the counters add up to this (a
        checkpoint every N words or entries); the maximum int64 by default.
    """

    def __init__(self, n_threads, report_delay=1.0):
        self.n_threads = n_threads
        self.report_delay = report_delay
        self.counters = np.zeros(n_threads * SLOT_STRIDE, dtype=np.int64)
        self.stop_flag = np.zeros(2, dtype=np.intc)
        self.pause_at = np.full(1, np.iinfo(np.int64).max, dtype=np.int64)

    def done(self):
        """Total of the per-thread progress counters."""
        return int(self.counters[::SLOT_STRIDE].sum())

    def run(self, work, on_progress=None, pause_when=None):
        """Run one round of ``work`` on every thread and wait for all.

        Parameters
        ----------
        work : callable
            ``work(thread_id) -> result``.
        on_progress : callable, optional
            Called with the counters' total every ``report_delay`` seconds.
        pause_when : callable, optional
            Polled with the counters' total while the threads run; once it
            returns True, ``stop_flag[1]`` asks the threads to pause (the
            caller clears it).

        Returns
        -------
        results : list
            One result a thread.
        interrupted : bool
            True if Ctrl-C stopped the round early.
        """
        results = [None] * self.n_threads
        errors = []
        # each thread says when it is done: Thread.join() interrupted by
        # Ctrl-C can later return while the thread still runs (a CPython
        # lock quirk), and the caller must never read a kernel's state then
        finished = [threading.Event() for _ in range(self.n_threads)]

        def target(thread_id):
            try:
                results[thread_id] = work(thread_id)
            except BaseException as exc:  # re-raised in the calling thread
                errors.append(exc)
                self.stop_flag[0] = 1
            finally:
                finished[thread_id].set()

        threads = [threading.Thread(target=target, args=(t,), daemon=True,
                                    name=f"fastemb-worker-{t}") for t in range(self.n_threads)]
        interrupted = False
        for thread in threads:
            thread.start()
        next_report = time.monotonic() + self.report_delay
        try:
            for done in finished:
                while not done.wait(0.02):
                    if pause_when is not None and not self.stop_flag[1] and \
                            pause_when(self.done()):
                        self.stop_flag[1] = 1
                    if on_progress is not None and time.monotonic() >= next_report:
                        on_progress(self.done())
                        next_report = time.monotonic() + self.report_delay
        except KeyboardInterrupt:
            interrupted = True
            self.stop_flag[0] = 1
            for done in finished:
                done.wait()
        interrupted = interrupted or (bool(self.stop_flag[0]) and not errors)
        if errors:
            raise errors[0]
        return results, interrupted


def run_epochs(model, runner, epochs, start_epoch, finish_epoch, callbacks=(), progress=None,
               units_per_epoch=0, unit="words", checkpoint=None, resume=None, weights=None):
    """Train ``epochs`` epochs of ``model`` on ``runner``'s threads.

    Calls the callbacks' hooks, logs progress, counts ``model.epochs_trained``,
    writes checkpoints when they are due and stops after the epoch in which
    Ctrl-C came, setting ``model.interrupted``.

    Parameters
    ----------
    model : object
        Has ``epochs_trained`` and ``interrupted``; passed to the callbacks.
    runner : ShardRunner
    epochs : int
        Epochs of this ``train()`` call.
    start_epoch : callable
        ``start_epoch(epoch_id) -> job``, where ``epoch_id`` counts every
        epoch the model ever trained (so each gets its own random streams)
        and ``job`` is one epoch's work: ``job.run(thread_id)`` advances a
        thread until its part ends or a pause is requested, ``job.finished``
        says whether every part ended, and ``job.state()`` is what a
        checkpoint keeps of it (see :mod:`fastemb.training.epochs`).
    finish_epoch : callable
        ``finish_epoch(job, seconds, epoch)`` records an epoch (wall seconds,
        1-based epoch of this call) and returns its loss; it runs before the
        ``on_epoch_end`` hooks.
    callbacks : sequence of CallbackAny2Vec
    progress : callable, optional
        ``progress(done, total)`` in the kernels' units.
    units_per_epoch : int
        What the counters reach in one epoch (for percentages and ``total``).
    unit : str
        Name of the unit in log lines.
    checkpoint : fastemb.training.checkpoint.Checkpointer, optional
        Saves when the threads paused for it (it sets ``runner.pause_at``, or
        asks for a pause when its time comes), after an interruption, at the
        end of an epoch when due, and once more when training ends.
    resume : (int, job or None), optional
        From a checkpoint: the 1-based epoch of this call to continue and the
        paused job of that epoch (None: start it afresh).
    weights : callable, optional
        ``weights()`` gives the matrices training writes; a weight that
        grows far past where it started stops training (see
        :class:`DivergenceWatch`).

    Raises
    ------
    TrainingDivergedError
        An epoch's loss is not finite or grew past twice the lowest so far,
        or a weight exploded.
    """
    total = units_per_epoch * epochs
    watch = DivergenceWatch(model, weights)
    model.interrupted = False
    first_epoch, job = resume if resume is not None else (1, None)
    pause_when = checkpoint.time_due if checkpoint is not None else None
    interrupted = False
    for callback in callbacks:
        callback.on_train_begin(model)
    with _ctrl_c_stops(runner):
        for epoch in range(first_epoch, epochs + 1):
            if runner.stop_flag[0]:  # Ctrl-C came between two epochs
                interrupted = True
                if checkpoint is not None:
                    checkpoint.save(epoch, job)
                break
            for callback in callbacks:
                callback.on_epoch_begin(model)
            if job is None:
                job = start_epoch(model.epochs_trained)
            started = time.perf_counter()
            done_before = runner.done()

            def report(done):
                elapsed = max(time.perf_counter() - started, 1e-9)
                logger.info("epoch %d: %.1f%% of %s, %.0f %s/s", epoch,
                            100.0 * (done - done_before) / max(units_per_epoch, 1), unit,
                            (done - done_before) / elapsed, unit)
                if progress is not None:
                    progress(done, total)

            while True:  # rounds of the epoch, between pauses
                _, interrupted = runner.run(job.run, report, pause_when)
                runner.stop_flag[1] = 0
                if job.finished:
                    break
                if checkpoint is not None:  # the threads paused for it, or for Ctrl-C
                    checkpoint.save(epoch, job)
                if interrupted:
                    break
            completed = job.finished
            model.epochs_trained += 1
            loss = finish_epoch(job, time.perf_counter() - started, epoch)
            job = None
            watch.check(loss, epoch)
            if progress is not None:
                progress(runner.done(), total)
            for callback in callbacks:
                callback.on_epoch_end(model)
            if interrupted and completed and epoch == epochs:
                interrupted = False  # Ctrl-C came as the last epoch ended: nothing was cut
            if checkpoint is not None and completed and (
                    interrupted or epoch == epochs or checkpoint.due(runner.done())):
                # Ctrl-C may come just as an epoch ends: its checkpoint is this one
                checkpoint.save(epoch + 1, None, finished=epoch == epochs)
            if interrupted:
                break
    if interrupted:
        model.interrupted = True
        logger.warning("training interrupted in epoch %d; the model keeps what it learned so "
                       "far%s", epoch, f", and {checkpoint.path} can resume it" if checkpoint
                       else "")
    for callback in callbacks:
        callback.on_train_end(model)


class DivergenceWatch:
    """Stops a training that diverges instead of letting it end in a
    model of noise.

    After every epoch: a loss that is not finite, a loss over
    ``LOSS_GROWTH`` times the lowest epoch loss of the call (with a falling
    learning rate the loss falls, and diverged runs grew 4-20 times in an
    epoch or two), or a weight over ``WEIGHT_LIMIT`` and ``WEIGHT_GROWTH``
    times the largest at the start (trained vectors stay within a few units;
    diverged ones passed a hundred) raises :class:`TrainingDivergedError`.

    Parameters
    ----------
    model : object
        Has ``alpha`` or ``learning_rate`` (named in the message).
    weights : callable or None
        ``weights()`` returns the matrices to watch; None watches the loss only.
    """

    LOSS_GROWTH = 2.0
    WEIGHT_LIMIT = 100.0
    WEIGHT_GROWTH = 10.0

    def __init__(self, model, weights=None):
        self.model = model
        self.weights = weights
        self.lowest_loss = math.inf
        self.weight_bound = None
        if weights is not None:
            self.weight_bound = max(self.WEIGHT_LIMIT,
                                    self.WEIGHT_GROWTH * self._largest_weight())

    def _largest_weight(self):
        # max and min read the matrix in place: np.abs would copy it whole, a
        # model's size in memory every epoch. A matrix with NaN reports NaN
        # here, and the finite loss check names it.
        return max((max(float(matrix.max()), -float(matrix.min()))
                    for matrix in self.weights() if matrix.size), default=0.0)

    def _rate(self):
        if hasattr(self.model, "learning_rate"):
            return "learning_rate", self.model.learning_rate
        return "alpha", self.model.alpha

    def check(self, loss, epoch):
        """Raise if the epoch just trained diverged.

        Raises
        ------
        TrainingDivergedError
        """
        name, rate = self._rate()
        advice = f"train again with a lower {name} (this run: {name}={rate})"
        if loss is not None and not math.isfinite(loss):
            raise TrainingDivergedError(
                f"training diverged in epoch {epoch}: the loss is {loss} and the weights are "
                f"no longer finite; {advice} and check that any pretrained vectors are finite")
        if loss is not None and 0 < self.lowest_loss < math.inf and \
                loss > self.LOSS_GROWTH * self.lowest_loss:
            raise TrainingDivergedError(
                f"training diverged in epoch {epoch}: its loss {loss:.4g} is "
                f"{loss / self.lowest_loss:.1f} times the lowest epoch loss so far "
                f"({self.lowest_loss:.4g}), although the learning rate falls; {advice}")
        if loss is not None:
            self.lowest_loss = min(self.lowest_loss, loss)
        if self.weights is not None:
            largest = self._largest_weight()
            if largest > self.weight_bound:
                raise TrainingDivergedError(
                    f"training diverged in epoch {epoch}: a weight reached {largest:.4g} "
                    f"(trained vectors stay within a few units; this one started below "
                    f"{self.weight_bound / self.WEIGHT_GROWTH:.3g}); {advice}")


@contextlib.contextmanager
def _ctrl_c_stops(runner):
    """While the main thread trains, Ctrl-C asks the kernels to pause and
    stop, instead of raising ``KeyboardInterrupt`` wherever the main thread
    happens to be (saving a checkpoint, say): the epoch then ends cleanly and
    its checkpoint is written. A second Ctrl-C raises ``KeyboardInterrupt``
    as usual. From another thread, Ctrl-C is left alone."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def request_stop(signum, frame):
        if runner.stop_flag[0]:
            raise KeyboardInterrupt
        runner.stop_flag[0] = 1

    previous = signal.signal(signal.SIGINT, request_stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
