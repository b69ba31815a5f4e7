"""Run one epoch's shards on worker threads while the Python thread only
watches: it reports progress, notices Ctrl-C and asks for pauses when a
checkpoint is due; and how a corpus is cut into the threads' pieces. The
epoch loop around it is :mod:`fastemb.training.loop`.

Each worker spends the whole shard inside a ``nogil`` kernel, so the threads
run truly in parallel; the watching thread sleeps in ``join`` between reports
and costs nothing.
"""
import functools
import threading
import time

import numpy as np

from fastemb._core import SLOT_STRIDE

__all__ = ["ShardRunner", "split_shards", "split_pieces", "exclusive_training", "SLOT_STRIDE"]

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
