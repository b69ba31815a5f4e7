"""Synchronising replicas: what each sends back, and how the driver merges it.

A replica starts a round from the driver's weights and returns, for each
weight array, only the rows it changed and by how much (a sparse delta: a
round touches the frequent words and a sample of the rest, and rows it did
not touch cost nothing to send). The driver then moves each row by the
deltas of the replicas that changed it:

``"sum"`` (the default)
    Every replica's change added: what one machine's threads do, each
    applying its updates to rows the others also update, here with the
    others' changes seen one round late. On gcide8 with 2 replicas it kept
    the quality of one machine best (README, distributed training).
``"row_mean"``
    The mean over the replicas that changed the row (Spark MLlib's
    averaging): a frequent word moves by the mean of its replicas' moves,
    so with R replicas it learns about R times slower.
``"mean"``
    The mean over all replicas (plain model averaging).
"""
import numpy as np

__all__ = ["RULES", "sparse_delta", "combine_deltas", "apply_delta"]

RULES = ("sum", "row_mean", "mean")


def sparse_delta(before, after):
    """The rows of ``after`` that differ from ``before``, as changes.

    Parameters
    ----------
    before, after : ndarray, shape (n,) or (n, dim)

    Returns
    -------
    rows : ndarray of int64
    change : ndarray
        ``after[rows] - before[rows]``.
    """
    change = after - before
    moved = change != 0
    if change.ndim > 1:
        moved = moved.any(axis=1)
    rows = np.flatnonzero(moved)
    return rows, change[rows]


def combine_deltas(deltas, rule="sum"):
    """The replicas' sparse deltas of one array merged into one sparse delta.

    Parameters
    ----------
    deltas : list of (rows, change)
        One a replica, in replica order (summed in that order, so the result
        does not depend on which replica finished first).
    rule : {'sum', 'row_mean', 'mean'}
        See the module's description.

    Returns
    -------
    rows : ndarray of int32
    change : ndarray
        In the changes' precision, at least float32 (GloVe's AdaGrad sums
        stay float64).
    """
    if rule not in RULES:
        raise ValueError(f"rule must be one of {RULES}, got {rule!r}")
    rows = np.unique(np.concatenate([r for r, _ in deltas])).astype(np.int32)
    shape = (len(rows),) + deltas[0][1].shape[1:]
    dtype = np.result_type(np.float32, *(change.dtype for _, change in deltas))
    total = np.zeros(shape, dtype=dtype)
    touched = np.zeros(len(rows), dtype=np.float32)
    for replica_rows, change in deltas:
        at = np.searchsorted(rows, replica_rows)
        total[at] += change
        touched[at] += 1
    if rule == "mean":
        total /= len(deltas)
    elif rule == "row_mean":
        total /= touched.reshape((-1,) + (1,) * (total.ndim - 1))
    return rows, total


def apply_delta(target, delta):
    """Add a sparse delta to ``target`` in place. The driver and the
    workers all apply a round's merged delta with this one operation, so
    their copies of the weights stay bit-identical."""
    rows, change = delta
    target[rows] += change
