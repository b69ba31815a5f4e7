# cython: language_level=3
"""k-means for product quantization (FastText.zip, Joulin et al. 2016): the
centroids of one sub-vector's points and each point's nearest centroid, in
``nogil`` loops, so that threads can quantize different sub-vectors at once.
"""
from libc.stdint cimport int64_t, uint8_t, uint64_t
from libc.stdlib cimport calloc, free
from libc.string cimport memcpy

from fastemb._vecops cimport rng_next, rng_seed

import numpy as np


cdef inline uint8_t nearest(const float* x, const float* columns, int k, int d,
                            float* distances) noexcept nogil:
    """The index of the centroid nearest ``x`` (the first of equals).

    ``columns`` holds the centroids transposed (``d`` rows of ``k``), so
    that the distances to all of them are computed a column of the point
    at a time, a loop over centroids the compiler turns into SIMD code (the
    sub-vectors are short: two floats by default).
    """
    cdef int j, t
    cdef float delta, value, best
    cdef uint8_t code = 0
    for j in range(k):
        distances[j] = 0.0
    for t in range(d):
        value = x[t]
        for j in range(k):
            delta = value - columns[t * k + j]
            distances[j] = distances[j] + delta * delta
    # the smallest distance (a reduction the compiler vectorises), then
    # the first centroid at it
    best = distances[0]
    for j in range(1, k):
        best = min(best, distances[j])
    for j in range(k):
        if distances[j] == best:
            code = <uint8_t>j
            break
    return code


cdef void transpose(const float* centroids, int k, int d, float* columns) noexcept nogil:
    cdef int j, t
    for j in range(k):
        for t in range(d):
            columns[t * k + j] = centroids[j * d + t]


def assign_codes(const float[:, ::1] points, const float[:, ::1] centroids):
    """Each point's nearest centroid.

    Returns
    -------
    ndarray of uint8, shape (len(points),)
    """
    cdef int64_t n = points.shape[0], i
    cdef int d = points.shape[1], k = centroids.shape[0]
    if centroids.shape[1] != d or not 0 < k <= 256:
        raise ValueError("centroids must be 1-256 rows of the points' width")
    codes = np.zeros(n, dtype=np.uint8)
    cdef uint8_t[::1] out = codes
    if n == 0:
        return codes
    cdef float* columns = <float*>calloc(k * d, sizeof(float))
    cdef float* distances = <float*>calloc(k, sizeof(float))
    if columns == NULL or distances == NULL:
        free(columns)
        free(distances)
        raise MemoryError()
    with nogil:
        transpose(&centroids[0, 0], k, d, columns)
        for i in range(n):
            out[i] = nearest(&points[i, 0], columns, k, d, distances)
    free(columns)
    free(distances)
    return codes


def kmeans(const float[:, ::1] points, int k, int iterations, uint64_t seed):
    """Lloyd's k-means of ``points`` from ``k`` of them drawn at random; a
    cluster left empty takes half of a populous one (its centroid copied,
    both nudged apart), as fastText's quantizer does.

    Returns
    -------
    ndarray of float32, shape (k, d)
    """
    cdef int64_t n = points.shape[0], i
    cdef int d = points.shape[1], j, c, _iteration, sign
    if n < k:
        raise ValueError(f"k-means of {n} points into {k} clusters: needs at least {k} points")
    if not 0 < k <= 256:
        raise ValueError("k must be 1-256 (codes are one byte)")
    centroids = np.empty((k, d), dtype=np.float32)
    cdef float[:, ::1] cent = centroids
    order = np.random.default_rng(seed).permutation(n)[:k]
    for c in range(k):
        cent[c, :] = points[order[c], :]
    cdef uint8_t* codes = <uint8_t*>calloc(n, sizeof(uint8_t))
    cdef int64_t* sizes = <int64_t*>calloc(k, sizeof(int64_t))
    cdef float* columns = <float*>calloc(k * d, sizeof(float))
    cdef float* distances = <float*>calloc(k, sizeof(float))
    if codes == NULL or sizes == NULL or columns == NULL or distances == NULL:
        free(codes)
        free(sizes)
        free(columns)
        free(distances)
        raise MemoryError()
    cdef uint64_t state = rng_seed(seed, 0x4B4D, 0)
    cdef int64_t largest
    cdef float z
    cdef float eps = 1e-7
    with nogil:
        for _iteration in range(iterations):
            transpose(&cent[0, 0], k, d, columns)
            for i in range(n):
                codes[i] = nearest(&points[i, 0], columns, k, d, distances)
            for c in range(k):
                sizes[c] = 0
                for j in range(d):
                    cent[c, j] = 0.0
            for i in range(n):
                c = codes[i]
                sizes[c] += 1
                for j in range(d):
                    cent[c, j] += points[i, j]
            for c in range(k):
                if sizes[c] > 0:
                    z = <float>sizes[c]
                    for j in range(d):
                        cent[c, j] /= z
            for c in range(k):
                if sizes[c] == 0:
                    # take half of a cluster of two points or more (the first from a
                    # random one on)
                    largest = <int64_t>(rng_next(&state) % <uint64_t>k)
                    while sizes[largest] < 2:
                        largest = (largest + 1) % k
                    memcpy(&cent[c, 0], &cent[largest, 0], d * sizeof(float))
                    for j in range(d):
                        sign = (j % 2) * 2 - 1
                        cent[c, j] += sign * eps
                        cent[largest, j] -= sign * eps
                    sizes[c] = sizes[largest] // 2
                    sizes[largest] -= sizes[c]
    free(codes)
    free(sizes)
    free(columns)
    free(distances)
    return centroids
