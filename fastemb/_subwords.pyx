# cython: language_level=3, boundscheck=False, wraparound=False
# cython: cdivision=True, initializedcheck=False
"""Character n-grams of words, hashed into buckets exactly as Facebook's
fastText does (the rules are in :mod:`fastemb._fasttext_hash`), and the two
row operations subword models need outside the training loop: reproducible
initial rows and per-word row averages.
"""
import numpy as np

cimport numpy as cnp
from libc.stdint cimport int32_t, int64_t, uint8_t, uint32_t, uint64_t
from libc.stdlib cimport free, malloc

from fastemb._fasttext_hash cimport (
    FLORET_MAX_HASHES,
    fnv1a,
    fnv1a_offset,
    murmur3_x64_128,
    subword_buckets,
)
from fastemb._vecops cimport splitmix64, uniform_entry, vec_axpy, vec_scale, vec_zero

cnp.import_array()


def ngram_hash(bytes data):
    """fastText's 32-bit hash of ``data`` (FNV-1a, sign-extended bytes).

    Parameters
    ----------
    data : bytes

    Returns
    -------
    int
    """
    cdef const uint8_t[::1] view = data
    if len(data) == 0:
        return fnv1a_offset()
    return fnv1a(&view[0], len(data))


def murmurhash3_128(bytes data, uint32_t seed):
    """MurmurHash3_x64_128 of ``data``: the two 64-bit halves floret takes
    its subword hashes from.

    Parameters
    ----------
    data : bytes
    seed : int
        32-bit seed (floret's is 2166136261).

    Returns
    -------
    tuple of int
    """
    cdef const uint8_t[::1] view = data
    cdef uint64_t out[2]
    cdef uint8_t empty = 0
    murmur3_x64_128(&view[0] if len(data) else &empty, len(data), seed, out)
    return out[0], out[1]


def vocab_ngram_buckets(const uint8_t[::1] blob, const int64_t[::1] ends, int minn, int maxn,
                        uint32_t bucket, int hash_count=0, uint32_t seed=2166136261):
    """Bucket of every character n-gram of every word, as flat arrays.

    Parameters
    ----------
    blob : ndarray of uint8
        The words' UTF-8 bytes, concatenated (without ``<``/``>``).
    ends : ndarray of int64
        End offset of each word in ``blob``.
    minn, maxn : int
        Smallest and largest n-gram, in characters (``maxn < minn``: none).
    bucket : int
        Number of hash buckets (0: none).
    hash_count : int
        0: fastText's hashing (one FNV-1a bucket an n-gram). 1 to 4: floret's
        (the whole ``<word>`` too, then each n-gram, ``hash_count`` MurmurHash3
        buckets each).
    seed : int
        floret's hash seed.

    Returns
    -------
    offsets : ndarray of int64, shape (n_words + 1,)
        Word ``w``'s buckets are ``buckets[offsets[w]:offsets[w + 1]]``.
    buckets : ndarray of int32
        In fastText's order, duplicates kept (fastText averages them twice).
    """
    if not 0 <= hash_count <= FLORET_MAX_HASHES:
        raise ValueError(f"hash_count must be 0 to {FLORET_MAX_HASHES}, got {hash_count}")
    cdef Py_ssize_t n_words = ends.shape[0]
    cdef int64_t longest = 0, start = 0, total_bound = 0, w, length, written = 0
    cdef int sizes = maxn - minn + 1 if maxn >= minn else 0
    for w in range(n_words):
        length = ends[w] - start
        if length < 0:
            raise ValueError("word end offsets must not decrease")
        longest = max(longest, length)
        total_bound += (length + 2) * sizes if hash_count == 0 else \
            (1 + (length + 2) * sizes) * hash_count
        start = ends[w]
    if n_words and ends[n_words - 1] > blob.shape[0]:
        raise ValueError("word end offsets run past the byte blob")
    offsets = np.zeros(n_words + 1, dtype=np.int64)
    buckets = np.empty(max(total_bound, 1), dtype=np.int32)
    cdef int64_t[::1] off = offsets
    cdef int32_t[::1] out = buckets
    cdef uint8_t* scratch = <uint8_t*>malloc(longest + 2)
    if scratch == NULL:
        raise MemoryError()
    cdef int64_t i
    try:
        with nogil:
            start = 0
            for w in range(n_words):
                length = ends[w] - start
                scratch[0] = 60  # '<'
                for i in range(length):
                    scratch[i + 1] = blob[start + i]
                scratch[length + 1] = 62  # '>'
                written += subword_buckets(scratch, length + 2, minn, maxn, bucket, hash_count,
                                           seed, &out[written])
                off[w + 1] = written
                start = ends[w]
    finally:
        free(scratch)
    return offsets, buckets[:written].copy()


def hashed_uniform_rows(const int64_t[::1] ids, int dim, uint64_t seed, uint64_t stream,
                        float scale):
    """Initial rows that depend only on ``(seed, stream, id)``.

    A row can be recomputed at any time without storing it, which lets a
    FastText model keep only the n-gram buckets its vocabulary uses and still
    answer exactly as if the whole ``bucket x dim`` matrix existed.

    Parameters
    ----------
    ids : ndarray of int64
        Row identities (word index or bucket).
    dim : int
    seed, stream : int
        The model seed and which kind of row (words, n-grams).
    scale : float
        Entries are uniform in ``[-scale, scale)``.

    Returns
    -------
    ndarray of float32, shape (len(ids), dim)
    """
    if dim <= 0:
        raise ValueError("dim must be positive")
    out = np.empty((ids.shape[0], dim), dtype=np.float32)
    cdef float[:, ::1] view = out
    cdef uint64_t base = splitmix64(splitmix64(seed) ^ splitmix64(stream + 0x51))
    cdef uint64_t row_state
    cdef Py_ssize_t r
    cdef int64_t k
    with nogil:
        for r in range(ids.shape[0]):
            row_state = splitmix64(base ^ <uint64_t>ids[r])
            for k in range(dim):
                view[r, k] = uniform_entry(row_state, k, scale)
    return out


def check_row_lists(const int64_t[::1] offsets, const int32_t[::1] rows, int64_t n_rows):
    """Refuse group offsets that run past the row list, or rows outside
    ``0..n_rows - 1`` (what :func:`average_rows` trusts)."""
    cdef Py_ssize_t n_groups = offsets.shape[0] - 1
    cdef int64_t i
    if n_groups < 0:
        raise ValueError("offsets must have at least one entry")
    if offsets[n_groups] > rows.shape[0] or offsets[0] < 0:
        raise ValueError("offsets run past the row list")
    for i in range(1, n_groups + 1):
        if offsets[i] < offsets[i - 1]:
            raise ValueError("offsets must not decrease")
    for i in range(rows.shape[0]):
        if rows[i] < 0 or rows[i] >= n_rows:
            raise ValueError(f"row index {rows[i]} out of range for {n_rows} rows")


def average_rows(const float[:, ::1] matrix, const int64_t[::1] offsets,
                 const int32_t[::1] rows, float[:, ::1] out, int64_t first, int64_t last):
    """Mean of each group of rows ``first..last``:
    ``out[w] = mean(matrix[rows[offsets[w]:offsets[w+1]]])``, a group without
    rows giving zeros. A FastText word vector is the mean of its own row and
    its n-gram rows. The lists must have passed :func:`check_row_lists`;
    separate ranges may run on separate threads.

    Parameters
    ----------
    matrix : ndarray of float32, shape (n, dim)
    offsets : ndarray of int64, shape (n_groups + 1,)
    rows : ndarray of int32
        Row indices into ``matrix``.
    out : ndarray of float32, shape (n_groups, dim)
    first, last : int
        The groups to compute.
    """
    cdef int dim = matrix.shape[1]
    cdef int64_t w, i, count
    if not 0 <= first <= last <= offsets.shape[0] - 1 or out.shape[0] != offsets.shape[0] - 1 \
            or out.shape[1] != dim:
        raise ValueError("groups outside the offsets, or an output of the wrong shape")
    if first == last:
        return
    with nogil:
        for w in range(first, last):
            vec_zero(&out[w, 0], dim)
            count = offsets[w + 1] - offsets[w]
            for i in range(offsets[w], offsets[w + 1]):
                vec_axpy(1.0, &matrix[rows[i], 0], &out[w, 0], dim)
            if count > 0:
                vec_scale(1.0 / count, &out[w, 0], dim)
