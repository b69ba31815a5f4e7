# cython: language_level=3
"""Small inline kernels shared by every training loop.

They are plain loops over contiguous ``float*`` so that gcc, given ``-O3
-ffast-math``, turns them into SIMD code; at ``vector_size`` around 100 this
beats calling BLAS ``sdot``/``saxpy``, whose call overhead is a large part of
the work for vectors this short.
"""
from libc.stdint cimport UINT32_MAX, int32_t, int64_t, uint32_t, uint64_t


cdef extern from *:
    # a hint to start loading a cache line early (gcc and clang); no effect
    # on results
    void __builtin_prefetch(const void* address) noexcept nogil


cdef inline void prefetch_row(const float* row, int dim) noexcept nogil:
    """Start fetching a row that will be needed soon, a cache line at a time."""
    cdef int k
    for k in range(0, dim, 16):
        __builtin_prefetch(row + k)


cdef inline float vec_dot(const float* a, const float* b, int n) noexcept nogil:
    """Return the inner product of ``a`` and ``b`` (length ``n``)."""
    cdef int i
    cdef float total = 0.0
    for i in range(n):
        total = total + a[i] * b[i]
    return total


cdef inline void vec_axpy(float scale, const float* x, float* y, int n) noexcept nogil:
    """``y += scale * x`` (length ``n``)."""
    cdef int i
    for i in range(n):
        y[i] = y[i] + scale * x[i]


cdef inline void vec_dot4(const float* x, const float* a0, const float* a1, const float* a2,
                          const float* a3, int n, float* out) noexcept nogil:
    """``out[m] =`` the inner product of ``x`` with ``a0`` .. ``a3`` (length ``n``).

    One pass over ``x`` for four products: each chunk of ``x`` is loaded
    once for four multiply-adds instead of once for one, which is what a
    dot product of short vectors is bound by.
    """
    cdef int i
    cdef float v
    cdef float s0 = 0.0
    cdef float s1 = 0.0
    cdef float s2 = 0.0
    cdef float s3 = 0.0
    for i in range(n):
        v = x[i]
        s0 = s0 + v * a0[i]
        s1 = s1 + v * a1[i]
        s2 = s2 + v * a2[i]
        s3 = s3 + v * a3[i]
    out[0] = s0
    out[1] = s1
    out[2] = s2
    out[3] = s3


cdef inline void vec_axpy4(const float* scale, const float* a0, const float* a1,
                           const float* a2, const float* a3, float* y, int n) noexcept nogil:
    """``y += scale[0] * a0 + ... + scale[3] * a3`` (length ``n``): four
    updates for one load and one store of each chunk of ``y``."""
    cdef int i
    cdef float s0 = scale[0]
    cdef float s1 = scale[1]
    cdef float s2 = scale[2]
    cdef float s3 = scale[3]
    for i in range(n):
        y[i] = y[i] + s0 * a0[i] + s1 * a1[i] + s2 * a2[i] + s3 * a3[i]


cdef inline void vec_axpy_into4(const float* scale, const float* x, float* a0, float* a1,
                                float* a2, float* a3, int n) noexcept nogil:
    """``a0 += scale[0] * x`` .. ``a3 += scale[3] * x`` (length ``n``): four
    updates for one load of each chunk of ``x``. Rows that are the same
    row get every update (the compiler keeps their order)."""
    cdef int i
    cdef float v
    cdef float s0 = scale[0]
    cdef float s1 = scale[1]
    cdef float s2 = scale[2]
    cdef float s3 = scale[3]
    for i in range(n):
        v = x[i]
        a0[i] = a0[i] + s0 * v
        a1[i] = a1[i] + s1 * v
        a2[i] = a2[i] + s2 * v
        a3[i] = a3[i] + s3 * v


cdef inline void vec_zero(float* x, int n) noexcept nogil:
    """Set ``x`` to zero (length ``n``)."""
    cdef int i
    for i in range(n):
        x[i] = 0.0


cdef inline void vec_scale(float scale, float* x, int n) noexcept nogil:
    """``x *= scale`` (length ``n``)."""
    cdef int i
    for i in range(n):
        x[i] = x[i] * scale


cdef inline uint64_t splitmix64(uint64_t x) noexcept nogil:
    """Scramble ``x`` into a well-mixed 64-bit value (used to derive seeds)."""
    x = x + <uint64_t>0x9E3779B97F4A7C15
    x = (x ^ (x >> 30)) * <uint64_t>0xBF58476D1CE4E5B9
    x = (x ^ (x >> 27)) * <uint64_t>0x94D049BB133111EB
    return x ^ (x >> 31)


cdef inline uint64_t rng_next(uint64_t* state) noexcept nogil:
    """Advance a xorshift64* generator and return 64 random bits.

    Each thread owns one ``state``; it must never be zero, which
    :func:`rng_seed` guarantees.
    """
    cdef uint64_t x = state[0]
    x ^= x >> 12
    x ^= x << 25
    x ^= x >> 27
    state[0] = x
    return x * <uint64_t>2685821657736338717


cdef inline uint32_t rng_u32(uint64_t* state) noexcept nogil:
    """Return 32 uniformly random bits (the high half, the better one)."""
    return <uint32_t>(rng_next(state) >> 32)


cdef inline uint64_t rng_seed(uint64_t seed, uint64_t stream, uint64_t epoch) noexcept nogil:
    """Derive a non-zero generator state for one (seed, stream, epoch)."""
    cdef uint64_t s = splitmix64(splitmix64(splitmix64(seed) ^ stream)
                                 ^ (epoch * <uint64_t>0x632BE59BD9B4E019))
    if s == 0:
        s = <uint64_t>0x9E3779B97F4A7C15
    return s


cdef inline int32_t alias_draw(const uint32_t* accept, const int32_t* alias,
                               int32_t n, uint64_t* state) noexcept nogil:
    """Draw one index from a Walker/Vose alias table in O(1).

    ``accept[i]`` is the probability (scaled to 2**32 - 1) of keeping
    bucket ``i`` rather than jumping to ``alias[i]``.
    """
    cdef uint64_t r = rng_next(state)
    cdef int32_t bucket = <int32_t>(((r >> 32) * <uint64_t>n) >> 32)
    if <uint32_t>(r & <uint64_t>UINT32_MAX) <= accept[bucket]:
        return bucket
    return alias[bucket]


cdef inline float uniform_entry(uint64_t row_state, int64_t k, float scale) noexcept nogil:
    """Entry ``k`` of a row drawn from the counter-based generator whose
    state is ``row_state``: uniform in ``[-scale, scale)`` from 24 random
    bits. Any entry can be recomputed later without storing it."""
    cdef uint64_t bits = splitmix64(row_state + <uint64_t>k) >> 40
    return (<float>bits * <float>(1.0 / 16777216.0) * 2.0 - 1.0) * scale
