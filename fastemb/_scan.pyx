# cython: language_level=3, boundscheck=False, wraparound=False
# cython: cdivision=True, initializedcheck=False
"""The corpus scanner: split UTF-8 text on whitespace, give every word an id
and count it, in C.

It does what :class:`fastemb.corpus.encode.CorpusEncoder` does for ``str.split``
tokens, with the same ids, counts, sentence ends and pruning, but without a
Python object per token: words live as bytes in one arena and are found by
an open-addressing hash table. Whitespace is exactly ``str.split``'s (the
ASCII set plus the Unicode spaces, recognised in their UTF-8 form) and a
sentence ends at every line feed, as :func:`fastemb.corpus.iter_file_pieces`
cuts lines. The input must be valid UTF-8 (the reader checks it).
"""
import logging

import numpy as np

cimport cython

from libc.stdint cimport int32_t, int64_t, uint8_t, uint32_t, uint64_t
from libc.stdlib cimport calloc, free, realloc
from libc.string cimport memcmp, memcpy

from fastemb.trim_rules import keep_word

logger = logging.getLogger("fastemb.corpus.encode")

#: Marks a pruned word's length: its id is never reused nor matched again.
DEF DEAD = -1

cdef uint64_t MIX = 0x9E3779B97F4A7C15ULL

# ASCII bytes str.split() treats as whitespace (\t \n \v \f \r, the four
# information separators 0x1c-0x1f, and the space)
cdef bint ASCII_SPACE[256]
# bytes that certainly continue a token: ASCII that is not whitespace, and
# every byte >= 0x80 except the lead bytes of the Unicode spaces (C2 E1 E2 E3)
cdef bint PLAIN_BYTE[256]
cdef int _byte
for _byte in range(256):
    ASCII_SPACE[_byte] = _byte in (9, 10, 11, 12, 13, 28, 29, 30, 31, 32)
    PLAIN_BYTE[_byte] = not ASCII_SPACE[_byte] and _byte not in (0xC2, 0xE1, 0xE2, 0xE3)


cdef inline int space_length(const uint8_t* p, Py_ssize_t remaining) noexcept nogil:
    """Bytes of the whitespace character at ``p``, 0 if it is not one.

    The non-ASCII whitespace of ``str.isspace`` in UTF-8: U+0085 and U+00A0
    (C2 85, C2 A0), U+1680 (E1 9A 80), U+2000..U+200A (E2 80 80..8A),
    U+2028, U+2029, U+202F (E2 80 A8, A9, AF), U+205F (E2 81 9F) and
    U+3000 (E3 80 80).
    """
    cdef uint8_t lead = p[0]
    if lead < 0x80:
        return 1 if ASCII_SPACE[lead] else 0
    if lead == 0xC2:
        return 2 if remaining >= 2 and (p[1] == 0x85 or p[1] == 0xA0) else 0
    if remaining < 3:
        return 0
    if lead == 0xE2:
        if p[1] == 0x80 and (p[2] <= 0x8A or p[2] == 0xA8 or p[2] == 0xA9 or p[2] == 0xAF):
            return 3
        return 3 if p[1] == 0x81 and p[2] == 0x9F else 0
    if lead == 0xE1:
        return 3 if p[1] == 0x9A and p[2] == 0x80 else 0
    if lead == 0xE3:
        return 3 if p[1] == 0x80 and p[2] == 0x80 else 0
    return 0


cdef inline uint64_t hash_bytes(const uint8_t* p, Py_ssize_t n) noexcept nogil:
    """Hash a word eight bytes at a time (words are short: usually one
    multiply), mixed so that both the low bits (the slot) and the high
    ones (the check) are well spread."""
    cdef uint64_t h = <uint64_t> n * MIX, chunk
    while n >= 8:
        memcpy(&chunk, p, 8)
        h = (h ^ chunk) * MIX
        h ^= h >> 32
        p += 8
        n -= 8
    if n:
        chunk = 0
        memcpy(&chunk, p, n)
        h = (h ^ chunk) * MIX
        h ^= h >> 32
    h *= MIX
    return h ^ (h >> 29)


cdef inline uint64_t slot_of(uint64_t h, int64_t mask) noexcept nogil:
    return h & <uint64_t> mask


cdef struct Word:
    int64_t start   # offset of its bytes in the arena
    int64_t count
    int32_t length  # DEAD once pruned
    uint32_t check  # high half of its hash, to skip most byte comparisons


@cython.final
cdef class TokenScanner:
    """Count and encode whitespace-separated words, block by block.

    Parameters
    ----------
    vocabulary : dict of str to int, optional
        A fixed vocabulary (ids ``0..n-1``): its words keep their ids and
        other words are dropped. Without it, every new word gets the next id
        in order of first appearance.
    max_vocab_size : int, optional
        Counting only: when more distinct words than this are held after a
        line (or a block's unfinished line), the rarest are forgotten, with
        gensim's rule and the same schedule as :class:`CorpusEncoder`.
    trim_rule : callable, optional
        Consulted when pruning.
    """
    cdef:
        # the hash table: slot -> word id + 1, 0 for an empty slot
        int32_t* slots
        int64_t mask
        # the words: bytes back to back in the arena, a record an id
        uint8_t* arena
        int64_t arena_used, arena_capacity
        Word* records
        int64_t n_ids, ids_capacity, n_live
        bint growing
        # ids of the tokens kept since the last take()
        int32_t* out
        int64_t out_used, out_capacity, taken
        int64_t raw_words
        bint line_open
        bint block_tail_open
        # exclusive end (in ids kept) of every sentence
        int64_t* line_ends
        int64_t n_lines, lines_capacity
        int64_t prune_above  # max_vocab_size, -1 for none
        object trim_rule
        int64_t min_reduce

    def __cinit__(self, vocabulary=None, max_vocab_size=None, trim_rule=None):
        self.mask = (1 << 16) - 1
        self.slots = <int32_t*> calloc(self.mask + 1, sizeof(int32_t))
        self.arena_capacity = 1 << 20
        self.arena = <uint8_t*> calloc(self.arena_capacity, 1)
        self.ids_capacity = 1 << 14
        self.records = <Word*> calloc(self.ids_capacity, sizeof(Word))
        self.out_capacity = 1 << 16
        self.out = <int32_t*> calloc(self.out_capacity, sizeof(int32_t))
        self.lines_capacity = 1 << 12
        self.line_ends = <int64_t*> calloc(self.lines_capacity, sizeof(int64_t))
        if (self.line_ends == NULL or self.slots == NULL or self.arena == NULL
                or self.records == NULL or self.out == NULL):
            raise MemoryError("cannot allocate the corpus scanner's tables")

    def __init__(self, vocabulary=None, max_vocab_size=None, trim_rule=None):
        if vocabulary is not None and max_vocab_size is not None:
            raise ValueError("max_vocab_size is for counting, not for a fixed vocabulary")
        self.prune_above = -1 if max_vocab_size is None else max_vocab_size
        self.trim_rule = trim_rule
        self.min_reduce = 1
        self.growing = True
        if vocabulary is not None:
            for word, index in sorted(vocabulary.items(), key=lambda item: item[1]):
                if index != self.n_ids:
                    raise ValueError("a fixed vocabulary must number its words 0..n-1")
                encoded = word.encode("utf-8")
                self._insert(encoded, len(encoded), hash_bytes(encoded, len(encoded)))
            self.growing = False

    def __dealloc__(self):
        free(self.slots)
        free(self.arena)
        free(self.records)
        free(self.out)
        free(self.line_ends)

    # ------------------------------------------------------------ the table
    cdef int _grow_table(self) except -1 nogil:
        """Double the table and put every live word back."""
        cdef int64_t capacity = 2 * (self.mask + 1)
        cdef int32_t* slots = <int32_t*> calloc(capacity, sizeof(int32_t))
        if slots == NULL:
            with gil:
                raise MemoryError("cannot grow the corpus scanner's hash table")
        free(self.slots)
        self.slots = slots
        self.mask = capacity - 1
        self._rehash()
        return 0

    cdef void _rehash(self) noexcept nogil:
        cdef int64_t word, slot
        for slot in range(self.mask + 1):
            self.slots[slot] = 0
        for word in range(self.n_ids):
            if self.records[word].length == DEAD:
                continue
            slot = <int64_t> slot_of(
                hash_bytes(self.arena + self.records[word].start, self.records[word].length),
                self.mask)
            while self.slots[slot] != 0:
                slot = (slot + 1) & self.mask
            self.slots[slot] = <int32_t> (word + 1)

    cdef int _reserve_word(self, int64_t length) except -1 nogil:
        """Room for one more word of ``length`` bytes."""
        cdef int64_t capacity
        cdef void* grown
        if self.arena_used + length > self.arena_capacity:
            capacity = 2 * self.arena_capacity + length
            grown = realloc(self.arena, capacity)
            if grown == NULL:
                with gil:
                    raise MemoryError("cannot grow the corpus scanner's word store")
            self.arena = <uint8_t*> grown
            self.arena_capacity = capacity
        if self.n_ids == self.ids_capacity:
            if self.n_ids >= 2147483647:
                with gil:
                    raise OverflowError("more than 2**31 - 1 distinct words")
            capacity = 2 * self.ids_capacity
            if grow_array(<void**> &self.records, capacity, sizeof(Word)) < 0:
                with gil:
                    raise MemoryError("cannot grow the corpus scanner's word list")
            self.ids_capacity = capacity
        return 0

    cdef int64_t _insert(self, const uint8_t* word, int64_t length,
                         uint64_t h) except -2 nogil:
        """Add a new word (known to be absent) of hash ``h``; return its id."""
        cdef int64_t index, slot
        self._reserve_word(length)
        index = self.n_ids
        memcpy(self.arena + self.arena_used, word, length)
        self.records[index].start = self.arena_used
        self.records[index].length = <int32_t> length
        self.records[index].check = <uint32_t> (h >> 32)
        self.records[index].count = 0
        self.arena_used += length
        self.n_ids += 1
        self.n_live += 1
        if 2 * self.n_live > self.mask + 1:
            self._grow_table()  # also places the new word
        else:
            slot = <int64_t> slot_of(h, self.mask)
            while self.slots[slot] != 0:
                slot = (slot + 1) & self.mask
            self.slots[slot] = <int32_t> (index + 1)
        return index

    cdef inline int64_t _find(self, const uint8_t* word, int64_t length,
                              uint64_t h) noexcept nogil:
        """The id of a word, -1 if it is not held."""
        cdef int64_t slot = <int64_t> slot_of(h, self.mask)
        cdef int64_t index
        cdef uint32_t check = <uint32_t> (h >> 32)
        cdef Word* record
        while self.slots[slot] != 0:
            index = self.slots[slot] - 1
            record = &self.records[index]
            if (record.check == check and record.length == length
                    and memcmp(self.arena + record.start, word, length) == 0):
                return index
            slot = (slot + 1) & self.mask
        return -1

    # ------------------------------------------------------------- scanning
    cdef inline int _emit(self, const uint8_t* word, int64_t length,
                          uint64_t h) except -1 nogil:
        """Count one token of hash ``h`` and append its id (unless it is
        dropped)."""
        cdef int64_t index = self._find(word, length, h)
        self.raw_words += 1
        if index < 0:
            if not self.growing:
                return 0
            index = self._insert(word, length, h)
        self.records[index].count += 1
        if self.out_used == self.out_capacity:
            if grow_array(<void**> &self.out, 2 * self.out_capacity, sizeof(int32_t)) < 0:
                with gil:
                    raise MemoryError("cannot grow the corpus scanner's output")
            self.out_capacity *= 2
        self.out[self.out_used] = <int32_t> index
        self.out_used += 1
        return 0

    cdef int _end_line(self) except -1 nogil:
        if self.n_lines == self.lines_capacity:
            if grow_array(<void**> &self.line_ends, 2 * self.lines_capacity,
                          sizeof(int64_t)) < 0:
                with gil:
                    raise MemoryError("cannot grow the corpus scanner's sentence ends")
            self.lines_capacity *= 2
        self.line_ends[self.n_lines] = self.taken + self.out_used
        self.n_lines += 1
        return 0

    cdef inline bint _over_limit(self) noexcept nogil:
        return self.prune_above >= 0 and self.n_live > self.prune_above

    cdef Py_ssize_t _scan(self, const uint8_t* data, Py_ssize_t start,
                          Py_ssize_t n) except -2 nogil:
        """Scan ``data[start:n]`` to its end (``n`` is returned), or only up
        to the first line end after which the vocabulary is over
        ``max_vocab_size``: that position is returned, for the caller to
        prune and go on."""
        cdef Py_ssize_t i = start, token, width
        cdef uint8_t c
        # the flags live in locals while scanning: a store through self
        # after every byte would make the compiler reload everything else
        cdef bint line_open = self.line_open, tail_open = self.block_tail_open
        while i < n:
            c = data[i]
            if c == 10:  # a line feed ends the sentence
                self._end_line()
                line_open = tail_open = False
                i += 1
                if self._over_limit():
                    break
                continue
            line_open = tail_open = True
            width = ASCII_SPACE[c] if c < 0x80 else space_length(data + i, n - i)
            if width:
                i += width
                continue
            # a token: run to its end, checking only bytes that may start a space
            token = i
            i += 1
            while i < n and (PLAIN_BYTE[data[i]] or space_length(data + i, n - i) == 0):
                i += 1
            self._emit(data + token, i - token, hash_bytes(data + token, i - token))
        self.line_open = line_open
        self.block_tail_open = tail_open
        return i

    def feed(self, const uint8_t[::1] block not None):
        """Scan one block of text.

        Parameters
        ----------
        block : bytes
            Valid UTF-8 that ends at whitespace or at the end of the input
            (a token is never cut between two blocks).
        """
        cdef Py_ssize_t position = 0, n = block.shape[0]
        cdef const uint8_t* data = &block[0] if n else NULL
        self.block_tail_open = False
        while position < n:
            with nogil:
                position = self._scan(data, position, n)
            if not self.block_tail_open:
                self._check_size()  # stopped at a line end (the unfinished line is below)
        if self.block_tail_open:
            self._check_size()  # after the unfinished line, as the encoder does

    def finish_input(self):
        """Close the last line if it has no line feed (any byte after the
        last line feed makes a sentence, even whitespace only)."""
        if self.line_open:
            self._end_line()
            self.line_open = False
            self._check_size()

    def take(self):
        """The ids kept since the last call, as a new int32 array."""
        ids = np.empty(self.out_used, dtype=np.int32)
        cdef int32_t[::1] view = ids
        if self.out_used:
            memcpy(&view[0], self.out, self.out_used * sizeof(int32_t))
        self.taken += self.out_used
        self.out_used = 0
        return ids

    # -------------------------------------------------------------- merging
    def absorb(self, TokenScanner later not None):
        """Add the counts of a scanner that read the text right after this
        one's, as if this scanner had read on.

        Counting: words new to this scanner get the next ids in ``later``'s
        order of first appearance, so merging the scanners of consecutive
        pieces in order gives the ids one scanner reading the whole text
        would give. With a fixed vocabulary (the same in both) ids do not
        change; only the counts are added.

        Parameters
        ----------
        later : TokenScanner
            Counting like this one, or with the same fixed vocabulary;
            never pruned.

        Returns
        -------
        ndarray of int32
            This scanner's id of each of ``later``'s ids, to rewrite the ids
            ``later`` emitted.
        """
        if self.growing != later.growing:
            raise ValueError("a counting scanner and a fixed-vocabulary one cannot be merged")
        if not self.growing and self.n_ids != later.n_ids:
            raise ValueError("fixed-vocabulary scanners must share their vocabulary to merge")
        if self.prune_above >= 0 or later.prune_above >= 0:
            raise ValueError("scanners that prune (max_vocab_size) cannot be merged: "
                             "pruning depends on the order of the whole text")
        mapping = np.empty(later.n_ids, dtype=np.int32)
        cdef int32_t[::1] to_mine = mapping
        with nogil:
            self._absorb(later, &to_mine[0] if later.n_ids else NULL)
        self.raw_words += later.raw_words
        return mapping

    cdef int _absorb(self, TokenScanner later, int32_t* to_mine) except -1 nogil:
        cdef int64_t word, index
        cdef Word* record
        cdef const uint8_t* text
        cdef uint64_t h
        for word in range(later.n_ids):
            record = &later.records[word]
            text = later.arena + record.start
            h = hash_bytes(text, record.length)
            index = self._find(text, record.length, h)
            if index < 0:
                index = self._insert(text, record.length, h)
            self.records[index].count += record.count
            to_mine[word] = <int32_t> index
        return 0

    # -------------------------------------------------------------- pruning
    cdef _check_size(self):
        if self._over_limit():
            self._prune()

    cdef _prune(self):
        """Forget every word seen fewer than ``min_reduce`` times (unless the
        trim rule keeps it), then raise ``min_reduce`` (gensim's rule)."""
        cdef int64_t index, held = self.n_live
        for index in range(self.n_ids):
            if self.records[index].length == DEAD:
                continue
            if self.trim_rule is None and self.records[index].count >= self.min_reduce:
                continue
            if not keep_word(self._word(index), self.records[index].count, self.min_reduce,
                             self.trim_rule):
                self.records[index].length = DEAD
                self.records[index].count = 0
                self.n_live -= 1
        self._rehash()
        logger.info("vocabulary counting held %d distinct words, over the limit of %d: "
                    "forgot %d seen fewer than %d times so far", held, self.prune_above,
                    held - self.n_live, self.min_reduce)
        self.min_reduce += 1

    # -------------------------------------------------------------- results
    cdef object _word(self, int64_t index):
        cdef Word record = self.records[index]
        if record.length == DEAD:
            return None
        return (<char*> self.arena)[record.start:record.start + record.length].decode("utf-8")

    @property
    def raw_word_count(self):
        """Every token read, dropped ones included."""
        return self.raw_words

    @property
    def distinct(self):
        """Words held now (pruned ones not included)."""
        return self.n_live

    def words(self):
        """The word of each id (None for pruned ids)."""
        return [self._word(index) for index in range(self.n_ids)]

    def counts(self):
        """Occurrences of each id, as an int64 array."""
        counts = np.zeros(self.n_ids, dtype=np.int64)
        cdef int64_t[::1] view = counts
        cdef int64_t index
        for index in range(self.n_ids):
            view[index] = self.records[index].count
        return counts

    def ends(self):
        """Exclusive end (in ids kept) of every sentence so far."""
        ends = np.zeros(self.n_lines, dtype=np.int64)
        cdef int64_t[::1] view = ends
        if self.n_lines:
            memcpy(&view[0], self.line_ends, self.n_lines * sizeof(int64_t))
        return ends


cdef int grow_array(void** array, int64_t count, size_t item) noexcept nogil:
    """``realloc`` an array to ``count`` items, keeping it on failure."""
    cdef void* grown = realloc(array[0], count * item)
    if grown == NULL:
        return -1
    array[0] = grown
    return 0
