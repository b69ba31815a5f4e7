# cython: language_level=3
"""fastText's tokenizer in C: split bytes into tokens on fastText's
whitespace (space, tab, newline, carriage return, vertical tab, form feed
and NUL), give each newline the token ``</s>``, and number the distinct
tokens in order of first appearance through an open-addressing table keyed
by fastText's own token hash (FNV-1a over sign-extended bytes), which the
word n-grams need anyway.

Tokens are not copied: the table points into the input, which the caller
keeps alive while it scans.
"""
from libc.stdint cimport int32_t, int64_t, uint8_t, uint32_t
from libc.stdlib cimport calloc, free
from libc.string cimport memcmp

import numpy as np

cdef uint32_t FNV_OFFSET = 2166136261u
cdef uint32_t FNV_PRIME = 16777619u
cdef const uint8_t* EOS_BYTES = b"</s>"
cdef int EOS_LENGTH = 4

cdef bint SPACE[256]
cdef int _byte
for _byte in range(256):
    SPACE[_byte] = _byte in (0, 9, 10, 11, 12, 13, 32)


cdef struct Entry:
    const uint8_t* start
    int32_t length
    uint32_t hash
    int32_t id      # -1: empty slot


cdef inline uint32_t fasttext_hash(const uint8_t* p, int64_t n) noexcept nogil:
    cdef uint32_t h = FNV_OFFSET
    cdef int64_t i
    for i in range(n):
        h = h ^ <uint32_t><int32_t>(<signed char>p[i])
        h = h * FNV_PRIME
    return h


cdef class _Table:
    cdef Entry* slots
    cdef int64_t capacity
    cdef int64_t size
    cdef Entry* by_id    # the entries again, by id
    cdef int64_t by_id_capacity

    def __cinit__(self):
        self.capacity = 1 << 16
        self.slots = <Entry*>calloc(self.capacity, sizeof(Entry))
        self.by_id_capacity = 1 << 15
        self.by_id = <Entry*>calloc(self.by_id_capacity, sizeof(Entry))
        if self.slots == NULL or self.by_id == NULL:
            raise MemoryError()
        cdef int64_t i
        for i in range(self.capacity):
            self.slots[i].id = -1
        self.size = 0

    def __dealloc__(self):
        free(self.slots)
        free(self.by_id)

    cdef int grow(self) noexcept nogil:
        """Double the slots (and the id list when full); -1 on no memory."""
        cdef int64_t capacity = self.capacity * 2, i, slot
        cdef Entry* slots = <Entry*>calloc(capacity, sizeof(Entry))
        if slots == NULL:
            return -1
        for i in range(capacity):
            slots[i].id = -1
        for i in range(self.size):
            slot = self.by_id[i].hash & (capacity - 1)
            while slots[slot].id != -1:
                slot = (slot + 1) & (capacity - 1)
            slots[slot] = self.by_id[i]
        free(self.slots)
        self.slots = slots
        self.capacity = capacity
        return 0

    cdef int32_t find_or_add(self, const uint8_t* start, int32_t length,
                             uint32_t h) noexcept nogil:
        """The token's id, a new one if unseen; -1 on no memory."""
        cdef int64_t slot = h & (self.capacity - 1)
        cdef Entry* entry
        cdef Entry* grown
        while True:
            entry = &self.slots[slot]
            if entry.id == -1:
                break
            if entry.hash == h and entry.length == length and \
                    memcmp(entry.start, start, length) == 0:
                return entry.id
            slot = (slot + 1) & (self.capacity - 1)
        if self.size == self.by_id_capacity:
            grown = <Entry*>calloc(self.by_id_capacity * 2, sizeof(Entry))
            if grown == NULL:
                return -1
            for slot in range(self.size):
                grown[slot] = self.by_id[slot]
            free(self.by_id)
            self.by_id = grown
            self.by_id_capacity *= 2
        entry.start = start
        entry.length = length
        entry.hash = h
        entry.id = <int32_t>self.size
        self.by_id[self.size] = entry[0]
        self.size += 1
        if self.size * 2 > self.capacity and self.grow() != 0:
            return -1
        return <int32_t>(self.size - 1)


def scan_tokens(const uint8_t[::1] data):
    """Tokenize ``data`` as fastText reads a file.

    Returns
    -------
    ids : ndarray of int32
        Every token's distinct id, in order (``</s>`` after each newline).
    line_tokens : ndarray of int32
        Tokens of each line (a last line without a newline has no ``</s>``;
        an empty last line is not a line).
    starts, lengths : ndarray of int64, int32
        Where each distinct token's bytes are in ``data`` (start -1:
        ``</s>``).
    hashes : ndarray of uint32
        fastText's hash of each distinct token.
    """
    cdef int64_t n = data.shape[0]
    # at most one token a byte and one </s> a newline
    ids = np.empty(n + 1, dtype=np.int32)
    lines = np.empty(n + 2, dtype=np.int32)
    cdef int32_t[::1] out = ids
    cdef int32_t[::1] line_out = lines
    cdef _Table table = _Table()
    cdef const uint8_t* base = &data[0] if n else EOS_BYTES
    cdef int64_t i = 0, start, n_tokens = 0, n_lines = 0, line_start = 0
    cdef int32_t ident
    cdef uint32_t h
    cdef uint32_t eos_hash = fasttext_hash(EOS_BYTES, EOS_LENGTH)
    cdef bint failed = False
    with nogil:
        while i < n:
            if SPACE[base[i]]:
                if base[i] == 10:  # newline: </s> ends the line
                    ident = table.find_or_add(EOS_BYTES, EOS_LENGTH, eos_hash)
                    if ident < 0:
                        failed = True
                        break
                    out[n_tokens] = ident
                    n_tokens += 1
                    line_out[n_lines] = <int32_t>(n_tokens - line_start)
                    n_lines += 1
                    line_start = n_tokens
                i += 1
                continue
            start = i
            h = FNV_OFFSET
            while i < n and not SPACE[base[i]]:
                h = (h ^ <uint32_t><int32_t>(<signed char>base[i])) * FNV_PRIME
                i += 1
            ident = table.find_or_add(base + start, <int32_t>(i - start), h)
            if ident < 0:
                failed = True
                break
            out[n_tokens] = ident
            n_tokens += 1
        if not failed and n_tokens > line_start:
            line_out[n_lines] = <int32_t>(n_tokens - line_start)
            n_lines += 1
    if failed:
        raise MemoryError("out of memory while reading the tokens")
    starts = np.empty(table.size, dtype=np.int64)
    lengths = np.empty(table.size, dtype=np.int32)
    hashes = np.empty(table.size, dtype=np.uint32)
    cdef int64_t k
    for k in range(table.size):
        if table.by_id[k].start == EOS_BYTES:
            starts[k] = -1
        else:
            starts[k] = table.by_id[k].start - base
        lengths[k] = table.by_id[k].length
        hashes[k] = table.by_id[k].hash
    return ids[:n_tokens].copy(), lines[:n_lines].copy(), starts, lengths, hashes
