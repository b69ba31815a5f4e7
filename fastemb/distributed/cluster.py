"""What fastemb needs of a Dask cluster: its workers, round trips that name
failures, and a watch for workers lost during training.

The encoded partitions and co-occurrence ranges are tasks Dask can re-run
from the files; the weights live with the replicas on the workers and with
the driver, which fetches them regularly
(:mod:`~fastemb.distributed.rounds`). When a worker dies, training goes on
from the driver's weights; :class:`WorkerWatch` notices the loss and warns
once, and a task that keeps killing workers ends training with an error,
never a hang.
"""
import logging
import socket
import time
import warnings

__all__ = ["require_dask", "cluster_workers", "worker_hosts", "host_identity", "worker_threads",
           "WorkerWatch", "gather_round", "log_dashboard", "LostData", "scatter_one",
           "rebuildable"]


logger = logging.getLogger(__name__)


class LostData(RuntimeError):
    """Data a round needed was lost with a worker and cannot be recomputed
    by Dask; the trainer rebuilds it and re-runs the round."""


def require_dask():
    """Import ``dask.distributed``, or say how to install it.

    Raises
    ------
    ImportError
    """
    try:
        import distributed
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError('distributed training needs Dask: pip install "fastemb[dask]"') from None
    return distributed


def host_identity():
    """What tells one machine from another: its host name and the kernel's
    boot id (two machines may be given one name, never one boot id; the
    containers of one machine share the boot id, not the name)."""
    try:
        with open("/proc/sys/kernel/random/boot_id") as source:
            boot = source.read().strip()
    except OSError:  # not Linux: the name alone
        boot = ""
    return f"{socket.gethostname()}/{boot}"


def worker_hosts(client):
    """``{address: machine}`` of the cluster's workers (:func:`host_identity`)."""
    return client.run(host_identity)


def worker_threads():
    """Threads of the Dask worker this task runs on (1 outside a worker:
    tests call the tasks directly)."""
    from distributed import get_worker
    try:
        return max(1, int(get_worker().state.nthreads))
    except (ValueError, AttributeError):
        return 1


#: Seconds to wait for a worker when the cluster has none.
WORKER_WAIT = 10.0


def cluster_workers(client):
    """``[(address, threads), …]`` of the cluster's workers, sorted by address.

    Raises
    ------
    RuntimeError
        The cluster has no worker.
    """
    info = client.scheduler_info()["workers"]
    if not info:
        # a cluster just started, or a nanny restarting its worker, has none
        # for a moment
        try:
            client.wait_for_workers(1, timeout=WORKER_WAIT)
        except TimeoutError:
            raise RuntimeError(f"the Dask cluster has no worker (waited {WORKER_WAIT:g} s): "
                               "start workers before training") from None
        info = client.scheduler_info()["workers"]
    return sorted((address, int(worker.get("nthreads", 1))) for address, worker in info.items())


class WorkerWatch:
    """Notices workers that leave the cluster between two checks."""

    def __init__(self, client):
        self.client = client
        self.known = {address for address, _ in cluster_workers(client)}
        self.lost = set()

    def check(self, where):
        """Warn (once for each worker) about workers gone since the last check.

        Parameters
        ----------
        where : str
            What was running, for the message.
        """
        current = set(self.client.scheduler_info()["workers"])
        gone = self.known - current - self.lost
        if gone:
            self.lost |= gone
            message = (f"lost Dask worker(s) {', '.join(sorted(gone))} during {where}; "
                       "training went on from the last synchronised weights")
            logger.warning(message)
            warnings.warn(message, RuntimeWarning, stacklevel=3)
        self.known |= current


#: Seconds a send may take before it is tried again (a broadcast to a
#: worker dying at that moment can otherwise wait for ever).
SCATTER_TIMEOUT = 120


def scatter_one(client, value, broadcast=False, workers=None, attempts=3):
    """Send one value to the cluster and return its future.

    A worker may die while it receives: the value is then sent again, to
    whichever workers remain (a preferred ``workers`` list is dropped).

    Raises
    ------
    OSError or KeyError
        Every attempt failed.
    """
    for attempt in range(attempts):
        try:
            return client.scatter([value], broadcast=broadcast, workers=workers,
                                  hash=False, timeout=SCATTER_TIMEOUT)[0]
        except (OSError, KeyError) as exc:
            # a worker died while it received (distributed raises CommClosedError, an
            # OSError, a KeyError for the worker the scheduler just forgot, or times out)
            logger.warning("sending data to the cluster failed (%r); trying again", exc)
            workers = None
            if attempt == attempts - 1:
                raise
            time.sleep(0.5 * (attempt + 1))


def gather_round(client, futures, what, check=None, poll_seconds=1.0):
    """Wait for a round of tasks and return their results in order.

    Parameters
    ----------
    client : dask.distributed.Client
    futures : list of Future
    what : str
        The round, for messages.
    check : callable, optional
        Called every ``poll_seconds`` while a result is awaited; it raises
        to stop waiting (a task bound to a worker that left would otherwise
        be waited for for ever).

    Raises
    ------
    LostData
        A task was cancelled because data it needed was lost with a worker.
    RuntimeError
        A task failed for good (Dask's ``KilledWorker``: it took down too
        many workers); the message names the round.
    """
    from concurrent.futures import CancelledError

    from distributed import KilledWorker
    from distributed import TimeoutError as DaskTimeout
    try:
        if check is None:
            return client.gather(futures)
        results = []
        for future in futures:
            while True:
                try:
                    results.append(future.result(timeout=poll_seconds))
                    break
                except (TimeoutError, DaskTimeout):
                    check()
        return results
    except CancelledError as exc:
        raise LostData(f"{what}: data was lost with a worker ({exc})") from exc
    except KilledWorker as exc:
        raise RuntimeError(f"{what} failed: a task was retried on workers that all died "
                           f"({exc}); check the workers' memory and logs") from exc


def rebuildable(futures):
    """Whether every future is held or can be recomputed by Dask (none was
    cancelled or failed)."""
    return all(future.status not in ("cancelled", "error") for future in futures)


def log_dashboard(client):
    """Log where the Dask dashboard shows the training's tasks."""
    link = getattr(client, "dashboard_link", None)
    if link:
        logger.info("Dask dashboard: %s", link)
