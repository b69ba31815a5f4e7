# cython: language_level=3, boundscheck=False, wraparound=False
# cython: cdivision=True, initializedcheck=False
"""Running top-k of score tiles, without the GIL: the selection step of
:meth:`fastemb.KeyedVectors.most_similar_batch`.

Exact search scores the queries against the keys one tile of keys at a time
(a tile's scores stay in cache), and folds each tile into a running list of
every query's best ``k``. Sorting or partitioning a row of a million scores
costs several passes over it; here each score is looked at once, and a run of
16 scores is first reduced to its maximum (a SIMD reduction) so that the
scalar insertion path runs only for the rare runs that hold a score above the
list's last. Row scaling (by the keys' inverse norms) is folded in.
"""
import numpy as np

from libc.stdint cimport int64_t

cdef enum:
    # scores looked at as a unit by the SIMD maximum before any scalar work
    RUN = 16

NO_SCORE = -3.0e38


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


cdef inline float run_maximum(const float* scores, const float* scale) noexcept nogil:
    cdef float best = scores[0] * scale[0]
    cdef float value
    cdef int t
    for t in range(1, RUN):
        value = scores[t] * scale[t]
        best = value if value > best else best
    return best


cdef void fold_row(const float* scores, const float* scale, int64_t n, int64_t offset,
                   int k, int64_t skip, float* values, int64_t* indices) noexcept nogil:
    """Fold one query's scores of a tile (columns ``offset`` onwards of the
    whole key matrix) into its running best-``k`` list."""
    cdef int64_t j, end
    cdef int64_t whole_runs = n - n % RUN
    cdef float value
    cdef float threshold = values[k - 1]
    j = 0
    while j < n:
        if j < whole_runs:
            if run_maximum(scores + j, scale + j) <= threshold:
                j += RUN
                continue
            end = j + RUN
        else:
            end = n
        while j < end:
            value = scores[j] * scale[j]
            if value > threshold and j + offset != skip:
                insert(values, indices, k, value, j + offset)
                threshold = values[k - 1]
            j += 1


def start_top_k(Py_ssize_t rows, int k):
    """Empty running lists for :func:`fold_tile`.

    Returns
    -------
    indices : ndarray of int64, shape (rows, k), all -1
    values : ndarray of float32, shape (rows, k), all below any score
    """
    if k < 1:
        raise ValueError("k must be at least 1")
    indices = np.full((rows, k), -1, dtype=np.int64)
    values = np.full((rows, k), NO_SCORE, dtype=np.float32)
    return indices, values


def fold_tile(const float[:, ::1] scores, const float[::1] scale, int64_t offset,
              const int64_t[::1] skip, float[:, ::1] values, int64_t[:, ::1] indices,
              Py_ssize_t first_row=0, Py_ssize_t end_row=-1):
    """Fold a tile of scores into running best-``k`` lists, in place.

    Row ``i`` of ``scores`` holds query ``i``'s scores against keys
    ``offset .. offset + n - 1``; its scaled scores ``scores[i, j] *
    scale[j]`` compete for the ``k`` places of ``values[i]``/``indices[i]``
    (key ``skip[i]`` never does; -1: none). Rows ``first_row`` to
    ``end_row`` only, so that threads can share a tile.

    Parameters
    ----------
    scores : ndarray of float32, shape (m, n)
    scale : ndarray of float32, shape (n,)
    offset : int
        Key index of the tile's first column.
    skip : ndarray of int64, shape (m,)
    values : ndarray of float32, shape (m, k)
        Best first; from :func:`start_top_k`.
    indices : ndarray of int64, shape (m, k)
    first_row, end_row : int
        The rows to fold (``end_row`` -1: to the last).
    """
    cdef Py_ssize_t m = scores.shape[0]
    cdef int64_t n = scores.shape[1]
    cdef int k = values.shape[1]
    cdef Py_ssize_t i
    if end_row < 0:
        end_row = m
    if (scale.shape[0] != n or skip.shape[0] != m or values.shape[0] != m
            or indices.shape[0] != m or indices.shape[1] != k):
        raise ValueError("scale needs one entry a column; skip, values and indices one a row")
    if k < 1:
        raise ValueError("k must be at least 1")
    if not 0 <= first_row <= end_row <= m:
        raise ValueError(f"row range {first_row}..{end_row} is outside 0..{m}")
    if n == 0:
        return
    with nogil:
        for i in range(first_row, end_row):
            fold_row(&scores[i, 0], &scale[0], n, offset, k, skip[i], &values[i, 0],
                     &indices[i, 0])
