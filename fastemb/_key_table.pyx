# cython: language_level=3
"""Each key's row, found by its UTF-8 bytes in an open-addressing table over
a blob of keys (a native file's string table).

A file of millions of keys then opens without building a Python dict of
them (2 s for 3M keys on a 2-core VM): the table is built in C when the
file is saved, stored in it, and mapped with the vectors when it is opened.
A table read from a file is not trusted: a lookup compares the key's bytes
and checks the row, and probes at most the whole table.
"""
from libc.stdint cimport int32_t, int64_t, uint8_t, uint64_t
from libc.string cimport memcmp

import numpy as np


cdef inline uint64_t key_hash(const uint8_t* data, int64_t length) noexcept nogil:
    """64-bit FNV-1a."""
    cdef uint64_t h = 14695981039346656037ULL
    cdef int64_t i
    for i in range(length):
        h = (h ^ data[i]) * 1099511628211ULL
    return h


cdef inline int64_t key_start(const int64_t* ends, int64_t row) noexcept nogil:
    return ends[row - 1] if row > 0 else 0


cdef int check_ends(const int64_t[::1] ends, int64_t blob_length) except -1:
    """The keys' ends rise and stay inside a blob of ``blob_length`` bytes."""
    cdef int64_t n = ends.shape[0], i
    cdef bint falls = False
    if n and (ends[n - 1] > blob_length or ends[0] < 0):
        raise ValueError("the key ends run past the blob")
    with nogil:
        for i in range(1, n):
            if ends[i] < ends[i - 1]:
                falls = True
                break
    if falls:
        raise ValueError("the key ends must not decrease")
    return 0


def build_table(const uint8_t[::1] blob, const int64_t[::1] ends):
    """The table of the keys ``blob[ends[i - 1]:ends[i]]``.

    Returns
    -------
    slots : ndarray of int32
        A power of two of at least twice the keys; each holds a row + 1, or
        0 when empty.
    duplicate : int
        The row of a key that came before (-1: every key is distinct).
    """
    cdef int64_t n = ends.shape[0], capacity = 2, row, slot, other, start, length
    cdef int64_t duplicate = -1
    cdef uint64_t h
    while capacity < 2 * n:
        capacity *= 2
    check_ends(ends, blob.shape[0])
    slots = np.zeros(capacity, dtype=np.int32)
    cdef int32_t[::1] table = slots
    cdef const uint8_t* base = &blob[0] if blob.shape[0] else <const uint8_t*>b""
    with nogil:
        for row in range(n):
            start = key_start(&ends[0], row)
            length = ends[row] - start
            h = key_hash(base + start, length)
            slot = h & (capacity - 1)
            while table[slot] != 0:
                other = table[slot] - 1
                if ends[other] - key_start(&ends[0], other) == length and \
                        memcmp(base + key_start(&ends[0], other), base + start, length) == 0:
                    duplicate = row
                    break
                slot = (slot + 1) & (capacity - 1)
            if duplicate >= 0:
                break
            table[slot] = <int32_t>(row + 1)
    return slots, duplicate


cdef class KeyTable:
    """Lookups in a table from :func:`build_table`.

    Parameters
    ----------
    blob : ndarray of uint8
    ends : ndarray of int64
    slots : ndarray of int32
        Possibly mapped from a file; checked as it is used.
    """
    cdef object arrays      # keeps the three arrays alive
    cdef const uint8_t* blob
    cdef const int64_t* ends
    cdef const int32_t* slots
    cdef int64_t n, capacity

    def __init__(self, blob, ends, slots):
        cdef const uint8_t[::1] blob_view = blob
        cdef const int64_t[::1] ends_view = ends
        cdef const int32_t[::1] slots_view = slots
        capacity = slots_view.shape[0]
        if capacity < 2 or capacity & (capacity - 1) or capacity < 2 * ends_view.shape[0]:
            raise ValueError("the key table must be a power of two of at least twice the keys")
        check_ends(ends_view, blob_view.shape[0])
        self.arrays = (blob, ends, slots)
        self.blob = &blob_view[0] if blob_view.shape[0] else <const uint8_t*>b""
        self.ends = &ends_view[0] if ends_view.shape[0] else NULL
        self.slots = &slots_view[0]
        self.n = ends_view.shape[0]
        self.capacity = capacity

    def find(self, const uint8_t[::1] key):
        """The row of the key whose UTF-8 bytes are ``key``, -1 if none."""
        cdef int64_t length = key.shape[0], slot, row, start, probes = 0
        cdef const uint8_t* data = &key[0] if length else <const uint8_t*>b""
        slot = key_hash(data, length) & (self.capacity - 1)
        while probes < self.capacity:
            row = <int64_t>self.slots[slot] - 1
            if row < 0:
                return -1
            if row < self.n:
                start = key_start(self.ends, row)
                if start >= 0 and start <= self.ends[row] and \
                        self.ends[row] - start == length and \
                        memcmp(self.blob + start, data, length) == 0:
                    return row
            slot = (slot + 1) & (self.capacity - 1)
            probes += 1
        return -1
