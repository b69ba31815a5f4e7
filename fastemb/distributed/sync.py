"""Synchronising replicas: what each sends, and how the changes are merged.

A replica starts a round from the synchronised weights and returns, for
each weight array, only the rows it changed and by how much (a sparse
delta: a round touches the frequent words and a sample of the rest, and rows
it did not touch cost nothing to send). Every replica then moves each row of
its copy by the deltas of the replicas that changed it:

``"sum"`` (the default)
    Every replica's change added: what one machine's threads do, each
    applying its updates to rows the others also update, here with the
    others' changes seen one round late. On gcide8 with 2 replicas it kept
    the quality of one machine best (README, distributed training); with 3
    or 4 it diverged, each replica's change of a frequent row being most of
    the way to where its own data pulls the row.
``"row_mean"``
    The mean over the replicas that changed the row (Spark MLlib's
    averaging): a frequent word moves by the mean of its replicas' moves,
    so with R replicas it learns about R times slower.
``"mean"``
    The mean over all replicas (plain model averaging).
"""
import numpy as np

from fastemb._sync import add_half_rows, changed_rows_half

__all__ = ["RULES", "sparse_delta", "half_delta", "combine_deltas", "apply_delta", "merge_into",
           "merge_others"]

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


def half_delta(before, after):
    """:func:`sparse_delta` with the change in half precision, as a replica
    sends it: the rounding (a relative 5e-4 of a round's change, not of the
    weight) is far below SGD's own noise, and it halves the bytes.

    Returns
    -------
    rows : ndarray of int32
    change : ndarray of float16
    """
    if _kernel_shaped(before) and _kernel_shaped(after):
        return changed_rows_half(before, after)  # one pass, in C
    rows, change = sparse_delta(before, after)
    return rows.astype(np.int32), change.astype(np.float16)


def _kernel_shaped(array, dtype=np.float32):
    return array.dtype == dtype and array.ndim == 2 and array.flags.c_contiguous


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
    """Add a sparse delta to ``target`` in place."""
    rows, change = delta
    if (_kernel_shaped(target) and _kernel_shaped(change, np.float16)
            and rows.dtype == np.int32 and target.flags.writeable):
        add_half_rows(target, rows, change)  # in C, converting as it adds
    else:
        target[rows] += change


def merge_into(target, deltas, rule="sum"):
    """Move ``target`` by the replicas' deltas merged under ``rule``.

    Every worker brings its copy of the weights to the next round with this
    one function on the same deltas, so the copies stay equal bit for bit.

    Parameters
    ----------
    target : ndarray
        Changed in place.
    deltas : list of (rows, change)
        One a replica, in replica order.
    rule : {'sum', 'row_mean', 'mean'}
    """
    if rule == "sum":
        # added one replica after the other, which skips the merged delta's
        # sort and scatter (the sums round differently, the same on every worker)
        for delta in deltas:
            apply_delta(target, delta)
    else:
        apply_delta(target, combine_deltas(deltas, rule))


def merge_others(targets, results, own, rule="sum"):
    """Move a replica's weights, which hold its own change of a round
    already, by the other replicas' changes of that round merged under
    ``rule``: to where :func:`merge_into` takes the round's start, plus
    what the replica has trained since.

    Parameters
    ----------
    targets : dict of ndarray
        The replica's arrays by name, changed in place.
    results : list of dict
        Every replica's result of the round (``deltas`` by name), in
        replica order.
    own : int
        The replica's position in ``results``.
    rule : {'sum', 'row_mean', 'mean'}
    """
    if len(results) < 2:  # no other replica (one that trains alone sends no change)
        return
    for name, target in targets.items():
        deltas = [result["deltas"][name] for result in results]
        if rule == "sum":
            merge_into(target, deltas[:own] + deltas[own + 1:])
        else:
            # the merged change replaces the own one: add the first, take
            # back the second (as sent, in half precision)
            apply_delta(target, combine_deltas(deltas, rule))
            rows, change = deltas[own]
            apply_delta(target, (rows, -change))
