"""Synchronising replicas: what each sends back, and how the driver merges it.

A replica starts a round from the driver's weights and returns, for each
weight array, only the rows it changed and by how much (a sparse delta: a
round touches the frequent words and a sample of the rest, and rows it did
not touch cost nothing to send). The driver then moves each row by the
deltas of the replicas that changed it:

``"row_mean"`` (the default)
    The mean over the replicas that changed the row. A frequent word, which
    every replica trained from the same start, moves by the average of
    their moves, as in Spark MLlib's model averaging; a rare word trained
    by one replica keeps its whole update instead of a 1/R share of it.
``"mean"``
    The mean over all replicas (plain model averaging, Spark's rule).
``"sum"``
    Every replica's change added (the sequential analogue; right when the
    replicas change disjoint rows, as GloVe's row ranges do).
"""
import numpy as np

__all__ = ["RULES", "sparse_delta", "merge_deltas"]

RULES = ("row_mean", "mean", "sum")


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


def merge_deltas(target, deltas, rule="row_mean"):
    """Apply the replicas' sparse deltas of one array to the driver's copy.

    Parameters
    ----------
    target : ndarray
        Updated in place.
    deltas : list of (rows, change)
        One a replica, in replica order (the sum is taken in that order, so
        the result does not depend on which replica finished first).
    rule : {'row_mean', 'mean', 'sum'}
        See the module's description.
    """
    if rule not in RULES:
        raise ValueError(f"rule must be one of {RULES}, got {rule!r}")
    if not deltas:
        return
    # accumulate over the union of changed rows only: the input matrix of a
    # FastText model has millions of bucket rows, few of them touched
    moved = np.unique(np.concatenate([rows for rows, _ in deltas]))
    total = np.zeros((len(moved),) + target.shape[1:], dtype=np.float64)
    touched = np.zeros(len(moved), dtype=np.int64)
    for rows, change in deltas:
        at = np.searchsorted(moved, rows)
        total[at] += change
        touched[at] += 1
    if rule == "row_mean":
        scale = 1.0 / touched
    elif rule == "mean":
        scale = np.full(len(moved), 1.0 / len(deltas))
    else:
        scale = np.ones(len(moved))
    if target.ndim > 1:
        scale = scale[:, None]
    target[moved] += (total * scale).astype(target.dtype)
