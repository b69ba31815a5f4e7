# cython: language_level=3, boundscheck=False, wraparound=False
# cython: cdivision=True, initializedcheck=False
"""GloVe kernels: co-occurrence counting into per-thread hash tables, sorted
runs and their merging, and AdaGrad training of the weighted least-squares
objective (Pennington et al. 2014).

A co-occurrence is keyed by ``(row << 32) | col``, so sorting keys sorts the
matrix by row, then column. With ``symmetric`` counting only the half
``row <= col`` is stored while counting (half the hash work); the full matrix
is produced at the end by :func:`expand_symmetric`.
"""
import numpy as np

cimport numpy as cnp
from libc.math cimport isfinite, log, pow, sqrt, sqrtf
from libc.stdint cimport INT64_MAX, UINT32_MAX, UINT64_MAX, int32_t, int64_t, uint64_t
from libc.stdlib cimport free, malloc
from libc.string cimport memcpy

from fastemb._vecops cimport __builtin_prefetch, prefetch_row, rng_next, rng_seed, vec_dot

cnp.import_array()

cdef uint64_t EMPTY = UINT64_MAX
cdef uint64_t GOLDEN = <uint64_t>0x9E3779B97F4A7C15
cdef uint64_t LOW32 = <uint64_t>UINT32_MAX
#: bytes one table slot takes (key + count)
SLOT_BYTES = 16
#: a table is emptied into a sorted run when this full
MAX_LOAD = 0.7


cdef class PairCounter:
    """Open-addressing hash table from a word pair to its summed weight.

    Parameters
    ----------
    capacity : int
        Slots; rounded up to a power of two. The table reports itself full
        at ``MAX_LOAD`` of them.
    """
    cdef uint64_t* keys
    cdef double* counts
    cdef int64_t capacity
    cdef int64_t size
    cdef int64_t limit
    cdef int shift

    def __cinit__(self, int64_t capacity):
        cdef int64_t cap = 16
        cdef int bits = 4
        while cap < capacity:
            cap <<= 1
            bits += 1
        self.capacity = cap
        self.shift = 64 - bits
        self.limit = <int64_t>(cap * MAX_LOAD)
        self.keys = <uint64_t*>malloc(cap * sizeof(uint64_t))
        self.counts = <double*>malloc(cap * sizeof(double))
        if self.keys == NULL or self.counts == NULL:
            raise MemoryError(f"cannot allocate a co-occurrence table of {cap} slots")
        self._clear()

    def __dealloc__(self):
        free(self.keys)
        free(self.counts)

    cdef void _clear(self) noexcept nogil:
        cdef int64_t i
        for i in range(self.capacity):
            self.keys[i] = EMPTY
        self.size = 0

    @property
    def size(self):
        """Distinct pairs held."""
        return self.size

    cdef inline void add(self, uint64_t key, double weight) noexcept nogil:
        cdef uint64_t mask = <uint64_t>(self.capacity - 1)
        cdef uint64_t slot = (key * GOLDEN) >> self.shift
        while True:
            if self.keys[slot] == key:
                self.counts[slot] += weight
                return
            if self.keys[slot] == EMPTY:
                self.keys[slot] = key
                self.counts[slot] = weight
                self.size += 1
                return
            slot = (slot + 1) & mask

    def count(self, const int32_t[::1] tokens, const int64_t[::1] sentence_ends, int64_t start,
              int64_t end, int64_t sentence, int window, bint symmetric, bint distance_weighting):
        """Count the left contexts of centre positions ``[start, end)`` until
        the table is full.

        Each centre word is paired with the words up to ``window`` positions
        to its left in the same sentence (those may lie before ``start``),
        with weight ``1/distance`` (or 1). Non-symmetric counting keys the
        pair ``(left word, centre word)``; symmetric counting adds the weight
        to both ``X[a, b]`` and ``X[b, a]``, stored as the one key with
        ``a <= b`` (a word paired with itself gets it twice).

        Returns
        -------
        (int, int)
            The next centre position to count (``end`` when done) and the
            index of its sentence.
        """
        if self.keys == NULL:
            raise RuntimeError("the table was released")
        cdef int64_t pos = start
        cdef int64_t sentence_start
        cdef int64_t j, n_sentences = sentence_ends.shape[0]
        cdef int d
        cdef uint64_t a, b
        cdef double weight
        with nogil:
            while pos < end and self.size < self.limit:
                while sentence < n_sentences and sentence_ends[sentence] <= pos:
                    sentence += 1
                sentence_start = sentence_ends[sentence - 1] if sentence > 0 else 0
                b = <uint64_t>tokens[pos]
                for d in range(1, window + 1):
                    j = pos - d
                    if j < sentence_start:
                        break
                    a = <uint64_t>tokens[j]
                    weight = 1.0 / d if distance_weighting else 1.0
                    if not symmetric:
                        self.add((a << 32) | b, weight)
                    elif a < b:
                        self.add((a << 32) | b, weight)
                    elif a > b:
                        self.add((b << 32) | a, weight)
                    else:
                        self.add((a << 32) | b, 2.0 * weight)
                pos += 1
        return pos, sentence

    def take_sorted(self, bint release=False):
        """Empty the table into arrays sorted by key.

        Parameters
        ----------
        release : bool
            Also free the table's memory (before sorting, which needs room):
            for the last run of a shard. The table cannot count any more.

        Returns
        -------
        keys : ndarray of uint64
        counts : ndarray of float64
        """
        if self.keys == NULL:
            raise RuntimeError("the table was released")
        keys = np.empty(self.size, dtype=np.uint64)
        counts = np.empty(self.size, dtype=np.float64)
        cdef uint64_t[::1] k = keys
        cdef double[::1] c = counts
        cdef int64_t i, n = 0
        with nogil:
            for i in range(self.capacity):
                if self.keys[i] != EMPTY:
                    k[n] = self.keys[i]
                    c[n] = self.counts[i]
                    n += 1
            if release:
                free(self.keys)
                free(self.counts)
                self.keys = NULL
                self.counts = NULL
                self.capacity = 0
                self.size = 0
                self.limit = 0
            else:
                self._clear()
        radix_sort_pairs(keys, counts)
        return keys, counts


def radix_sort_pairs(uint64_t[::1] keys, double[::1] values):
    """Sort ``keys`` ascending in place, moving ``values`` along (LSD radix
    sort, 16 bits a pass, only over the bits the largest key uses)."""
    cdef int64_t n = keys.shape[0]
    if n < 2:
        return
    cdef uint64_t* tmp_keys = <uint64_t*>malloc(n * sizeof(uint64_t))
    cdef double* tmp_values = <double*>malloc(n * sizeof(double))
    cdef int64_t* histogram = <int64_t*>malloc(65536 * sizeof(int64_t))
    if tmp_keys == NULL or tmp_values == NULL or histogram == NULL:
        free(tmp_keys)
        free(tmp_values)
        free(histogram)
        raise MemoryError("cannot allocate sort buffers")
    cdef uint64_t* src_k = &keys[0]
    cdef double* src_v = &values[0]
    cdef uint64_t* dst_k = tmp_keys
    cdef double* dst_v = tmp_values
    cdef uint64_t* swap_k
    cdef double* swap_v
    cdef uint64_t largest = 0
    cdef int64_t i, total, count
    cdef int shift, digit
    with nogil:
        for i in range(n):
            if src_k[i] > largest:
                largest = src_k[i]
        shift = 0
        while shift < 64 and (largest >> shift) != 0:
            for digit in range(65536):
                histogram[digit] = 0
            for i in range(n):
                histogram[(src_k[i] >> shift) & 0xFFFF] += 1
            total = 0
            for digit in range(65536):
                count = histogram[digit]
                histogram[digit] = total
                total += count
            for i in range(n):
                digit = (src_k[i] >> shift) & 0xFFFF
                dst_k[histogram[digit]] = src_k[i]
                dst_v[histogram[digit]] = src_v[i]
                histogram[digit] += 1
            swap_k = src_k
            src_k = dst_k
            dst_k = swap_k
            swap_v = src_v
            src_v = dst_v
            dst_v = swap_v
            shift += 16
        if src_k != &keys[0]:
            memcpy(&keys[0], src_k, n * sizeof(uint64_t))
            memcpy(&values[0], src_v, n * sizeof(double))
    free(tmp_keys)
    free(tmp_values)
    free(histogram)


def merge_runs(const uint64_t[::1] keys_a, const double[::1] counts_a,
               const uint64_t[::1] keys_b, const double[::1] counts_b):
    """Merge two runs sorted by key, adding the counts of equal keys.

    Returns
    -------
    keys : ndarray of uint64
    counts : ndarray of float64
    """
    cdef int64_t na = keys_a.shape[0], nb = keys_b.shape[0]
    cdef int64_t i = 0, j = 0, n = 0, shared = 0
    with nogil:  # count the keys both runs hold, to allocate the result exactly
        while i < na and j < nb:
            if keys_a[i] < keys_b[j]:
                i += 1
            elif keys_b[j] < keys_a[i]:
                j += 1
            else:
                shared += 1
                i += 1
                j += 1
    keys = np.empty(na + nb - shared, dtype=np.uint64)
    counts = np.empty(na + nb - shared, dtype=np.float64)
    cdef uint64_t[::1] k = keys
    cdef double[::1] c = counts
    i = 0
    j = 0
    with nogil:
        while i < na and j < nb:
            if keys_a[i] < keys_b[j]:
                k[n] = keys_a[i]
                c[n] = counts_a[i]
                i += 1
            elif keys_b[j] < keys_a[i]:
                k[n] = keys_b[j]
                c[n] = counts_b[j]
                j += 1
            else:
                k[n] = keys_a[i]
                c[n] = counts_a[i] + counts_b[j]
                i += 1
                j += 1
            n += 1
        while i < na:
            k[n] = keys_a[i]
            c[n] = counts_a[i]
            i += 1
            n += 1
        while j < nb:
            k[n] = keys_b[j]
            c[n] = counts_b[j]
            j += 1
            n += 1
    return keys, counts


def split_keys(const uint64_t[::1] keys, const double[::1] counts):
    """Sorted keys of a full matrix to COO arrays (rows, cols, vals).

    Returns
    -------
    rows, cols : ndarray of int32
    vals : ndarray of float32
    """
    cdef int64_t n = keys.shape[0], i
    rows = np.empty(n, dtype=np.int32)
    cols = np.empty(n, dtype=np.int32)
    vals = np.empty(n, dtype=np.float32)
    cdef int32_t[::1] r = rows
    cdef int32_t[::1] c = cols
    cdef float[::1] v = vals
    with nogil:
        for i in range(n):
            r[i] = <int32_t>(keys[i] >> 32)
            c[i] = <int32_t>(keys[i] & LOW32)
            v[i] = <float>counts[i]
    return rows, cols, vals


def expand_symmetric(const uint64_t[::1] keys, const double[::1] counts, int64_t n_words):
    """The full symmetric matrix, sorted, from its sorted half ``row <= col``.

    Each row is filled in two passes: first its entries left of the diagonal
    (mirrored from earlier rows, met in increasing column order), then its
    own entries from the diagonal on. No sort is needed.

    Returns
    -------
    rows, cols : ndarray of int32
    vals : ndarray of float32
    """
    cdef int64_t n = keys.shape[0], i, total = 0
    cdef uint64_t a, b
    row_sizes = np.zeros(n_words + 1, dtype=np.int64)
    cdef int64_t[::1] start = row_sizes
    with nogil:
        for i in range(n):
            a = keys[i] >> 32
            b = keys[i] & LOW32
            start[a + 1] += 1
            if a != b:
                start[b + 1] += 1
        for i in range(n_words):
            start[i + 1] += start[i]
    total = start[n_words]
    rows = np.empty(total, dtype=np.int32)
    cols = np.empty(total, dtype=np.int32)
    vals = np.empty(total, dtype=np.float32)
    cdef int32_t[::1] r = rows
    cdef int32_t[::1] c = cols
    cdef float[::1] v = vals
    fill = row_sizes[:n_words].copy()
    cdef int64_t[::1] next_slot = fill
    with nogil:
        for i in range(n):  # mirrored entries (b, a) with a < b: columns left of b's diagonal
            a = keys[i] >> 32
            b = keys[i] & LOW32
            if a != b:
                r[next_slot[b]] = <int32_t>b
                c[next_slot[b]] = <int32_t>a
                v[next_slot[b]] = <float>counts[i]
                next_slot[b] += 1
        for i in range(n):  # the stored half (a, b), a <= b
            a = keys[i] >> 32
            b = keys[i] & LOW32
            r[next_slot[a]] = <int32_t>a
            c[next_slot[a]] = <int32_t>b
            v[next_slot[a]] = <float>counts[i]
            next_slot[a] += 1
    return rows, cols, vals


# ---------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------
# How far ahead training prefetches: an entry's (row, col, value) first,
# then, once those have arrived, the rows it will update.
DEF ENTRY_AHEAD = 16
DEF ROWS_AHEAD = 4


cdef struct GloveWeights:
    float* w          # word vectors (V, dim)
    float* c          # context vectors (V, dim)
    float* bw         # word biases (V,)
    float* bc         # context biases (V,)
    double* gw        # AdaGrad sums of squared steps, same shapes, in double:
    double* gc        # a float32 sum stops growing once the squares of tiny
    double* gbw       # steps fall below its precision
    double* gbc
    int dim


cdef inline void prefetch_entry_rows(const GloveWeights* m, int64_t i, int64_t j) noexcept nogil:
    """Start loading the rows an entry (i, j) will update: a function, not a
    method, so that the call is direct (methods of a cdef class that is not
    final go through its vtable)."""
    prefetch_row(m.w + i * m.dim, m.dim)
    prefetch_row(m.c + j * m.dim, m.dim)
    # the float64 AdaGrad rows are twice as long: as many float rows
    prefetch_row(<float*> (m.gw + i * m.dim), 2 * m.dim)
    prefetch_row(<float*> (m.gc + j * m.dim), 2 * m.dim)


cdef inline double train_entry(GloveWeights* m, int32_t i, int32_t j, float x, float x_max,
                               float alpha, float eta, float clip) noexcept nogil:
    """One AdaGrad step on ``f(x) (w_i . c_j + b_i + b_j - log x)^2 / 2``.

    Stanford's rule, which the quality of its vectors depends on:

    * vectors: the gradient is clipped to ``clip`` and scaled by ``eta``,
      and AdaGrad accumulates the squares of these scaled steps, starting
      from 1, so the step size shrinks with the steps taken rather than
      with the raw gradients (large enough for GloVe's 10-50 epochs);
    * biases: the step is the raw gradient, without ``eta``, over the root
      of the summed squared raw gradients. The biases then learn the words'
      log-frequencies quickly, and the vectors are left the rest. With
      ``eta`` on the biases too, WordSim-353 on gcide8 was 0.03 lower.
    """
    cdef float* wi = m.w + <int64_t>i * m.dim
    cdef float* cj = m.c + <int64_t>j * m.dim
    cdef double* gwi = m.gw + <int64_t>i * m.dim
    cdef double* gcj = m.gc + <int64_t>j * m.dim
    cdef float diff = vec_dot(wi, cj, m.dim) + m.bw[i] + m.bc[j] - <float>log(x)
    cdef float weighted, step_w, step_c
    cdef int k
    if not isfinite(diff):
        return 0.0
    weighted = diff if x >= x_max else <float>pow(x / x_max, alpha) * diff
    for k in range(m.dim):
        step_w = weighted * cj[k]
        step_c = weighted * wi[k]
        step_w = eta * (clip if step_w > clip else (-clip if step_w < -clip else step_w))
        step_c = eta * (clip if step_c > clip else (-clip if step_c < -clip else step_c))
        # the sums stay float64 (see GloveWeights); their roots need only
        # float precision, and a float root costs half a double one
        wi[k] -= step_w / sqrtf(<float>gwi[k])
        cj[k] -= step_c / sqrtf(<float>gcj[k])
        gwi[k] += step_w * step_w
        gcj[k] += step_c * step_c
    m.bw[i] -= weighted / <float>sqrt(m.gbw[i])
    m.bc[j] -= weighted / <float>sqrt(m.gbc[j])
    m.gbw[i] += weighted * weighted
    m.gbc[j] += weighted * weighted
    return 0.5 * weighted * diff


cdef void* _weights(object array, object dtype, int64_t rows, int64_t cols,
                    str name) except NULL:
    if (not isinstance(array, np.ndarray) or array.dtype != dtype
            or not array.flags.c_contiguous or not array.flags.writeable):
        raise TypeError(f"{name} must be a writeable C-contiguous {np.dtype(dtype).name} array")
    if array.size != rows * cols:
        raise ValueError(f"{name} has {array.size} values, expected {rows * cols}")
    return cnp.PyArray_DATA(array)


cdef class GloveTrainer:
    """AdaGrad training over a co-occurrence matrix.

    Parameters
    ----------
    w, c : ndarray of float32, shape (V, dim)
        Word and context vectors (updated in place).
    bw, bc : ndarray of float32, shape (V,)
        Word and context biases.
    gw, gc, gbw, gbc : ndarray of float64
        AdaGrad accumulators of the same shapes (start at 1).
    rows, cols : ndarray of int32
    vals : ndarray of float32
        The co-occurrence matrix (COO), all values > 0.
    order : ndarray of int64
        A permutation of the entries; each thread owns a contiguous range
        and reshuffles it every epoch.
    x_max, alpha, eta : float
        Weighting cut-off, its exponent, and the AdaGrad learning rate.
    """
    cdef GloveWeights m
    cdef list _keep_alive
    cdef const int32_t* rows
    cdef const int32_t* cols
    cdef const float* vals
    cdef int64_t* order
    cdef readonly int64_t n_entries
    cdef float x_max, alpha, eta, clip

    def __init__(self, w, c, bw, bc, gw, gc, gbw, gbc, rows, cols, vals, order,
                 float x_max, float alpha, float eta, float clip=100.0):
        n_words, dim = w.shape
        self.m.dim = dim
        self.m.w = <float*>_weights(w, np.float32, n_words, dim, "w")
        self.m.c = <float*>_weights(c, np.float32, n_words, dim, "c")
        self.m.bw = <float*>_weights(bw, np.float32, n_words, 1, "bw")
        self.m.bc = <float*>_weights(bc, np.float32, n_words, 1, "bc")
        self.m.gw = <double*>_weights(gw, np.float64, n_words, dim, "gw")
        self.m.gc = <double*>_weights(gc, np.float64, n_words, dim, "gc")
        self.m.gbw = <double*>_weights(gbw, np.float64, n_words, 1, "gbw")
        self.m.gbc = <double*>_weights(gbc, np.float64, n_words, 1, "gbc")
        n = len(vals)
        if len(rows) != n or len(cols) != n or len(order) != n:
            raise ValueError("rows, cols, vals and order must have the same length")
        for name, array, dtype in (("rows", rows, np.int32), ("cols", cols, np.int32),
                                   ("vals", vals, np.float32), ("order", order, np.int64)):
            if array.dtype != dtype or not array.flags.c_contiguous:
                raise TypeError(f"{name} must be a C-contiguous {np.dtype(dtype).name} array")
        if n and (rows.min() < 0 or rows.max() >= n_words or cols.min() < 0
                  or cols.max() >= n_words):
            raise ValueError("co-occurrence indices out of the vocabulary")
        if n and vals.min() <= 0:
            raise ValueError("co-occurrence values must be positive")
        if x_max <= 0:
            raise ValueError("x_max must be > 0")
        self._keep_alive = [w, c, bw, bc, gw, gc, gbw, gbc, rows, cols, vals, order]
        self.rows = <const int32_t*>cnp.PyArray_DATA(rows) if n else NULL
        self.cols = <const int32_t*>cnp.PyArray_DATA(cols) if n else NULL
        self.vals = <const float*>cnp.PyArray_DATA(vals) if n else NULL
        self.order = <int64_t*>cnp.PyArray_DATA(order) if n else NULL
        self.n_entries = n
        self.x_max = x_max
        self.alpha = alpha
        self.eta = eta
        self.clip = clip

    def shuffle_range(self, int64_t start, int64_t end, uint64_t seed, uint64_t stream,
                      uint64_t epoch):
        """Reshuffle ``order[start:end]`` (Fisher-Yates, without the GIL) with
        the random stream fixed by ``seed``, ``stream`` and ``epoch``: a
        thread does this with its range at the start of every epoch."""
        cdef uint64_t state = rng_seed(seed, stream, epoch)
        cdef int64_t i, k, swap
        self._check_range(start, end)
        with nogil:
            for i in range(end - 1, start, -1):
                k = start + <int64_t>(rng_next(&state) % <uint64_t>(i - start + 1))
                swap = self.order[i]
                self.order[i] = self.order[k]
                self.order[k] = swap

    def _check_range(self, int64_t start, int64_t end):
        if start < 0 or end > self.n_entries or end < start:
            raise ValueError("entry range out of the matrix")

    def train_range(self, int64_t start, int64_t pos, int64_t end, double cost,
                    int64_t[::1] progress, int progress_slot, int[::1] stop_flag,
                    int64_t pause_at=INT64_MAX):
        """Train entries ``order[pos:end]`` of the range ``[start, end)`` once,
        without the GIL, until the range ends or a pause is requested
        (``stop_flag[0]`` for Ctrl-C, ``stop_flag[1]`` for a checkpoint, or
        the threads' ``progress`` counters, one a stride of 8, adding up to
        ``pause_at``; polled every 65,536 entries).

        ``cost`` carries the sum of a paused call into the next, so a range
        trained in several calls sums exactly as in one.

        Returns
        -------
        (float, int)
            Summed cost of the range's entries trained so far, and the
            position reached (``end`` unless paused).
        """
        cdef int64_t i, k, t, total
        cdef int64_t done = pos - start
        self._check_range(start, end)
        if not start <= pos <= end:
            raise ValueError("position out of the entry range")
        if stop_flag.shape[0] < 2:
            raise ValueError("stop_flag needs two entries (Ctrl-C, checkpoint)")
        with nogil:
            i = pos
            while i < end:
                # the entries come in random order, so every row they touch is
                # a cache miss: start loading them a few entries ahead
                if i + ENTRY_AHEAD < end:
                    k = self.order[i + ENTRY_AHEAD]
                    __builtin_prefetch(self.rows + k)
                    __builtin_prefetch(self.cols + k)
                    __builtin_prefetch(self.vals + k)
                if i + ROWS_AHEAD < end:
                    k = self.order[i + ROWS_AHEAD]
                    prefetch_entry_rows(&self.m, self.rows[k], self.cols[k])
                k = self.order[i]
                cost += train_entry(&self.m, self.rows[k], self.cols[k], self.vals[k],
                                    self.x_max, self.alpha, self.eta, self.clip)
                done += 1
                i += 1
                if (done & 0xFFFF) == 0:
                    progress[progress_slot] += 0x10000
                    if stop_flag[0] or stop_flag[1]:
                        break
                    total = 0
                    for t in range(0, progress.shape[0], 8):
                        total += progress[t]
                    if total >= pause_at:
                        break
            if i >= end:
                progress[progress_slot] += done & 0xFFFF
        return cost, i


def group_by_block(const int32_t[::1] rows, const int32_t[::1] cols, int strata):
    """The entries grouped by block, for training in strata.

    Word ``w`` belongs to stratum ``w % strata``; entry ``(i, j)`` to block
    ``(i % strata) * strata + j % strata``. Two blocks that share neither
    their row stratum nor their column stratum update disjoint rows of every
    weight and AdaGrad table, so they can be trained at once without
    changing each other's bits.

    Returns
    -------
    order : ndarray of int64
        The entry indices, block after block (ascending within a block).
    starts : ndarray of int64, shape (strata * strata + 1,)
        Block ``b`` is ``order[starts[b]:starts[b + 1]]``.
    """
    if strata < 1:
        raise ValueError("strata must be >= 1")
    cdef int64_t n = rows.shape[0], e
    if cols.shape[0] != n:
        raise ValueError("rows and cols must have the same length")
    if n and (np.min(rows) < 0 or np.min(cols) < 0):
        raise ValueError("co-occurrence indices must be >= 0")
    cdef int n_blocks = strata * strata, b
    order = np.empty(n, dtype=np.int64)
    starts = np.zeros(n_blocks + 1, dtype=np.int64)
    cdef int64_t[::1] o = order
    cdef int64_t[::1] s = starts
    cdef int64_t* fill = <int64_t*>malloc(n_blocks * sizeof(int64_t))
    if fill == NULL:
        raise MemoryError("cannot allocate the block counts")
    with nogil:
        for e in range(n):
            s[(rows[e] % strata) * strata + cols[e] % strata + 1] += 1
        for b in range(n_blocks):
            s[b + 1] += s[b]
            fill[b] = s[b]
        for e in range(n):
            b = (rows[e] % strata) * strata + cols[e] % strata
            o[fill[b]] = e
            fill[b] += 1
    free(fill)
    return order, starts
