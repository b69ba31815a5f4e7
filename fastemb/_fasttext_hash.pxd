# cython: language_level=3
"""fastText's hashing, shared by the kernels that must agree with it
byte for byte: the 32-bit FNV-1a hash over sign-extended bytes (fastText
hashes ``char`` values, signed on x86, so non-ASCII text hashes as there)
and the buckets of a word's character n-grams.

fastText's n-gram rules (Bojanowski et al. 2017, and its ``Dictionary``):
a word is wrapped as ``<word>``; an n-gram starts at every byte that is not
a UTF-8 continuation byte and spans ``n`` whole characters, for ``n`` from
``minn`` to ``maxn``; the one-character n-grams ``<`` and ``>`` alone are
skipped; the bucket is the n-gram's hash modulo ``bucket``.
"""
from libc.stdint cimport int8_t, int32_t, int64_t, uint8_t, uint32_t, uint64_t

cdef enum:
    # fastText's multiplier for chaining word hashes into word n-gram hashes
    WORD_NGRAM_MULTIPLIER = 116049371


cdef inline uint32_t fnv1a_offset() noexcept nogil:
    return 2166136261u


cdef inline uint32_t fnv1a_step(uint32_t h, uint8_t byte) noexcept nogil:
    """One byte into the hash, sign-extended as fastText's ``char``."""
    return (h ^ <uint32_t><int32_t><int8_t>byte) * 16777619u


cdef inline uint32_t fnv1a(const uint8_t* data, int64_t length) noexcept nogil:
    cdef uint32_t h = fnv1a_offset()
    cdef int64_t i
    for i in range(length):
        h = fnv1a_step(h, data[i])
    return h


cdef inline bint is_continuation(uint8_t byte) noexcept nogil:
    return (byte & 0xC0) == 0x80


# ----------------------------------------------------------------- floret
# floret (explosion/floret) hashes ``<word>`` and each of its n-grams with
# MurmurHash3's x64 128-bit variant and takes up to four 32-bit hashes from
# the 128 bits (low then high half of each 64-bit word), each modulo the
# bucket count: every subword lands in ``hash_count`` rows of one shared
# table ("Bloom embeddings"). The seed floret uses is fastText's FNV offset,
# ``fnv1a_offset()``.

cdef enum:
    FLORET_MAX_HASHES = 4


cdef inline uint64_t rotl64(uint64_t x, int r) noexcept nogil:
    return (x << r) | (x >> (64 - r))


cdef inline uint64_t fmix64(uint64_t k) noexcept nogil:
    k ^= k >> 33
    k *= 0xff51afd7ed558ccdULL
    k ^= k >> 33
    k *= 0xc4ceb9fe1a85ec53ULL
    k ^= k >> 33
    return k


cdef inline uint64_t load_le64(const uint8_t* p, int n) noexcept nogil:
    """The first ``n`` (at most 8) bytes at ``p`` as a little-endian word."""
    cdef uint64_t value = 0
    cdef int b
    for b in range(n):
        value |= (<uint64_t>p[b]) << (8 * b)
    return value


cdef inline uint64_t mix_k1(uint64_t k) noexcept nogil:
    """MurmurHash3's scrambling of a first-half block word."""
    return rotl64(k * 0x87c37b91114253d5ULL, 31) * 0x4cf5ad432745937fULL


cdef inline uint64_t mix_k2(uint64_t k) noexcept nogil:
    """MurmurHash3's scrambling of a second-half block word."""
    return rotl64(k * 0x4cf5ad432745937fULL, 33) * 0x87c37b91114253d5ULL


cdef inline void murmur3_x64_128(const uint8_t* data, int64_t length, uint32_t seed,
                                 uint64_t* out) noexcept nogil:
    """MurmurHash3_x64_128 (Austin Appleby's public-domain algorithm) of
    ``data`` into ``out[0]``, ``out[1]``; reads bytes little-endian whatever
    the machine, so hashes agree across platforms."""
    cdef uint64_t h1 = seed, h2 = seed
    cdef int64_t block, n_blocks = length // 16
    cdef const uint8_t* tail = data + 16 * n_blocks
    cdef int rest = <int>(length & 15)
    for block in range(n_blocks):
        h1 ^= mix_k1(load_le64(data + 16 * block, 8))
        h1 = rotl64(h1, 27) + h2
        h1 = h1 * 5 + 0x52dce729
        h2 ^= mix_k2(load_le64(data + 16 * block + 8, 8))
        h2 = rotl64(h2, 31) + h1
        h2 = h2 * 5 + 0x38495ab5
    if rest > 8:
        h2 ^= mix_k2(load_le64(tail + 8, rest - 8))
    if rest > 0:
        h1 ^= mix_k1(load_le64(tail, rest if rest < 8 else 8))
    h1 ^= <uint64_t>length
    h2 ^= <uint64_t>length
    h1 += h2
    h2 += h1
    h1 = fmix64(h1)
    h2 = fmix64(h2)
    h1 += h2
    h2 += h1
    out[0] = h1
    out[1] = h2


cdef inline int floret_hashes(const uint8_t* data, int64_t length, uint32_t bucket,
                              int hash_count, uint32_t seed, int32_t* out) noexcept nogil:
    """Write the ``hash_count`` buckets of one subword to ``out``."""
    cdef uint64_t entropy[2]
    cdef uint32_t parts[4]
    cdef int i
    murmur3_x64_128(data, length, seed, entropy)
    parts[0] = <uint32_t>(entropy[0] & 0xffffffffULL)
    parts[1] = <uint32_t>(entropy[0] >> 32)
    parts[2] = <uint32_t>(entropy[1] & 0xffffffffULL)
    parts[3] = <uint32_t>(entropy[1] >> 32)
    for i in range(hash_count):
        out[i] = <int32_t>(parts[i] % bucket)
    return hash_count


cdef inline int64_t subword_buckets(const uint8_t* word, int64_t length, int minn, int maxn,
                                    uint32_t bucket, int hash_count, uint32_t seed,
                                    int32_t* out) noexcept nogil:
    """Write the buckets of ``<word>``'s subwords to ``out``; return how many.

    ``word`` already carries its ``<`` and ``>``. ``hash_count`` 0 is
    fastText's rule: each n-gram's FNV-1a hash, once; ``out`` has room for
    ``length * (maxn - minn + 1)`` entries (at most one n-gram of each size
    starts at each byte). 1 to 4 is floret's: the whole wrapped word's
    ``hash_count`` MurmurHash3 buckets first, then each n-gram's; ``out``
    has room for ``(1 + length * (maxn - minn + 1)) * hash_count``.
    """
    cdef int64_t count = 0, i, j
    cdef int n
    if bucket == 0:
        return 0
    if hash_count > 0:
        count += floret_hashes(word, length, bucket, hash_count, seed, out)
    if maxn < minn or maxn < 1:
        return count
    for i in range(length):
        if is_continuation(word[i]):
            continue
        j = i
        n = 1
        while j < length and n <= maxn:
            j += 1
            while j < length and is_continuation(word[j]):
                j += 1
            if n >= minn and not (n == 1 and (i == 0 or j == length)):
                if hash_count == 0:
                    out[count] = <int32_t>(fnv1a(word + i, j - i) % bucket)
                    count += 1
                else:
                    count += floret_hashes(word + i, j - i, bucket, hash_count, seed,
                                           out + count)
            n += 1
    return count


cdef inline int64_t word_buckets(const uint8_t* word, int64_t length, int minn, int maxn,
                                 uint32_t bucket, int32_t* out) noexcept nogil:
    """fastText's buckets of ``<word>``'s n-grams (:func:`subword_buckets`
    with ``hash_count`` 0)."""
    return subword_buckets(word, length, minn, maxn, bucket, 0, 0, out)
