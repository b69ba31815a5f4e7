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
from libc.stdint cimport int8_t, int32_t, int64_t, uint8_t, uint32_t

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


cdef inline int64_t word_buckets(const uint8_t* word, int64_t length, int minn, int maxn,
                                 uint32_t bucket, int32_t* out) noexcept nogil:
    """Write the buckets of ``<word>``'s n-grams to ``out``; return how many.

    ``word`` already carries its ``<`` and ``>``; ``out`` has room for
    ``length * (maxn - minn + 1)`` entries (at most one n-gram of each size
    starts at each byte).
    """
    cdef int64_t count = 0, i, j
    cdef int n
    if bucket == 0 or maxn < minn or maxn < 1:
        return 0
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
                out[count] = <int32_t>(fnv1a(word + i, j - i) % bucket)
                count += 1
            n += 1
    return count
