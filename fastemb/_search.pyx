# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Top-k of each row of a score matrix in one pass, without the GIL: the
selection step of :meth:`fastemb.KeyedVectors.most_similar_batch`.

Sorting or partitioning a row of a million scores costs several passes over
it; a query's best 10 are found in one, keeping them in a small sorted list
that a score enters only when it beats the list's last (rare after the first
few thousand). Row scaling (by the keys' inverse norms) is folded in.
"""
import numpy as np

from libc.stdint cimport int64_t


cdef inline void insert(float* values, int64_t* indices, int k, float value,
                        int64_t index) noexcept nogil:
    """Put (value, index) into the descending list of ``k``, dropping its
    last; an equal value goes after the ones already there (lower index
    first, as a stable sort would order them)."""
    cdef int position = k - 1
    while position > 0 and values[position - 1] < value:
        values[position] = values[position - 1]
        indices[position] = indices[position - 1]
        position -= 1
    values[position] = value
    indices[position] = index


cdef void top_of_row(const float* scores, const float* scale, int64_t n, int k,
                     int64_t skip, float* values, int64_t* indices) noexcept nogil:
    cdef int64_t j
    cdef float value
    cdef int t
    for t in range(k):
        values[t] = -3.0e38
        indices[t] = -1
    for j in range(n):
        value = scores[j] * scale[j]
        if value > values[k - 1] and j != skip:
            insert(values, indices, k, value, j)


def top_k_rows(const float[:, ::1] scores, const float[::1] scale, int k,
               const int64_t[::1] skip):
    """The ``k`` largest ``scores[i, j] * scale[j]`` of each row ``i``,
    leaving out column ``skip[i]`` (-1: none).

    Parameters
    ----------
    scores : ndarray of float32, shape (m, n)
    scale : ndarray of float32, shape (n,)
    k : int
    skip : ndarray of int64, shape (m,)

    Returns
    -------
    indices : ndarray of int64, shape (m, k)
        Best first; -1 where a row has fewer than ``k`` columns.
    values : ndarray of float32, shape (m, k)
    """
    cdef Py_ssize_t m = scores.shape[0]
    cdef int64_t n = scores.shape[1]
    cdef Py_ssize_t i
    if scale.shape[0] != n or skip.shape[0] != m:
        raise ValueError("scale needs one entry a column and skip one a row")
    if k < 1:
        raise ValueError("k must be at least 1")
    indices = np.empty((m, k), dtype=np.int64)
    values = np.empty((m, k), dtype=np.float32)
    cdef int64_t[:, ::1] out_indices = indices
    cdef float[:, ::1] out_values = values
    if n == 0:
        indices.fill(-1)
        return indices, values
    with nogil:
        for i in range(m):
            top_of_row(&scores[i, 0], &scale[0], n, k, skip[i], &out_values[i, 0],
                       &out_indices[i, 0])
    return indices, values
