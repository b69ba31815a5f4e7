"""Run a few GIL-releasing kernel calls side by side on threads: one
helper for every layer that has such calls (prediction, initial rows,
quantization, parsing vector files)."""
import threading

__all__ = ["run_parallel"]


def run_parallel(tasks, n_threads, meanwhile=None):
    """Run the callables ``tasks`` on up to ``n_threads`` threads (the
    calling one among them), each thread taking the next task as it frees
    up; for kernels that release the GIL. The first error a task raised is
    raised here, after every thread has stopped.

    Parameters
    ----------
    tasks : iterable of callable
    n_threads : int
    meanwhile : callable, optional
        Run by the calling thread first, while ``n_threads`` others start on
        the tasks (Python work that holds the GIL, overlapping kernels that
        release it); it then takes tasks too.
    """
    pending = list(tasks)
    lock = threading.Lock()
    errors = []

    def worker():
        while True:
            with lock:
                if not pending or errors:
                    return
                task = pending.pop(0)
            try:
                task()
            except BaseException as exc:  # re-raised in the calling thread
                errors.append(exc)

    own = 0 if meanwhile is not None else 1  # does the calling thread take tasks at once
    helpers = [threading.Thread(target=worker, daemon=True)
               for _ in range(max(0, min(int(n_threads), len(pending)) - own))]
    for thread in helpers:
        thread.start()
    try:
        if meanwhile is not None:
            meanwhile()
    except BaseException as exc:
        errors.append(exc)
    worker()
    for thread in helpers:
        thread.join()
    if errors:
        raise errors[0]
