"""Run one epoch's shards on worker threads while the Python thread only
watches: it reports progress and turns Ctrl-C into a stop request.

Each worker spends the whole shard inside a ``nogil`` kernel, so the threads
run truly in parallel; the watching thread sleeps in ``join`` between reports
and costs nothing.
"""
import threading
import time

import numpy as np

__all__ = ["ShardRunner", "split_shards"]


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


class ShardRunner:
    """Runs ``work(thread_id)`` on ``n_threads`` threads.

    Parameters
    ----------
    n_threads : int
    progress : ndarray of int64
        Per-thread counters the kernels add to (at ``stride``).
    stop_flag : ndarray of intc, shape (1,)
        Set to 1 on Ctrl-C; the kernels poll it.
    report_delay : float
        Seconds between two calls of ``on_progress``.
    """

    def __init__(self, n_threads, progress, stop_flag, report_delay=1.0, stride=8):
        self.n_threads = n_threads
        self.progress = progress
        self.stop_flag = stop_flag
        self.report_delay = report_delay
        self.stride = stride

    def done(self):
        """Total of the per-thread progress counters."""
        return int(self.progress[::self.stride].sum())

    def run(self, work, on_progress=None):
        """Run one round of ``work`` on every thread and wait for all.

        Parameters
        ----------
        work : callable
            ``work(thread_id) -> result``.
        on_progress : callable, optional
            Called with the counters' total every ``report_delay`` seconds.

        Returns
        -------
        results : list
            One result a thread.
        interrupted : bool
            True if Ctrl-C stopped the round early.
        """
        results = [None] * self.n_threads
        errors = []

        def target(thread_id):
            try:
                results[thread_id] = work(thread_id)
            except BaseException as exc:  # re-raised in the calling thread
                errors.append(exc)
                self.stop_flag[0] = 1

        threads = [threading.Thread(target=target, args=(t,), daemon=True,
                                    name=f"fastemb-worker-{t}") for t in range(self.n_threads)]
        interrupted = False
        for thread in threads:
            thread.start()
        next_report = time.monotonic() + self.report_delay
        try:
            for thread in threads:
                while thread.is_alive():
                    thread.join(0.05)
                    if on_progress is not None and time.monotonic() >= next_report:
                        on_progress(self.done())
                        next_report = time.monotonic() + self.report_delay
        except KeyboardInterrupt:
            interrupted = True
            self.stop_flag[0] = 1
            for thread in threads:
                thread.join()
        if errors:
            raise errors[0]
        return results, interrupted
