# cython: language_level=3
"""fastText's tokenizer in C: split bytes into tokens on fastText's
whitespace (space, tab, newline, carriage return, vertical tab, form feed
and NUL), give each newline the token ``</s>``, and number the distinct
tokens in order of first appearance through an open-addressing table keyed
by fastText's own token hash (FNV-1a over sign-extended bytes), which the
word n-grams need anyway.

Tokens are not copied: the table points into the input, which the caller
keeps alive while it scans.

:class:`LineEncoder` goes one step further for a trained classifier: it
tokenizes lines and turns them straight into the model's input rows and
label ids, with the dictionary in the same kind of table, so that predicting
a batch of lines makes no Python object a token.
"""
from libc.stdint cimport int32_t, int64_t, uint8_t, uint32_t, uint64_t
from libc.stdlib cimport calloc, free, realloc
from libc.string cimport memcmp, memcpy, memset

import numpy as np

from fastemb._fasttext_hash cimport (
    WORD_NGRAM_MULTIPLIER,
    fnv1a,
    fnv1a_offset,
    fnv1a_step,
    word_buckets,
)

cdef const uint8_t* EOS_BYTES = b"</s>"
cdef int EOS_LENGTH = 4

cdef bint SPACE[256]
cdef int _byte
for _byte in range(256):
    SPACE[_byte] = _byte in (0, 9, 10, 11, 12, 13, 32)


cdef inline int64_t token_end(const uint8_t* base, int64_t i, int64_t n,
                              uint32_t* h) noexcept nogil:
    """The end of the token that starts at ``i``; its hash goes to ``h``."""
    cdef uint32_t value = fnv1a_offset()
    while i < n and not SPACE[base[i]]:
        value = fnv1a_step(value, base[i])
        i += 1
    h[0] = value
    return i


cdef struct Entry:
    const uint8_t* start
    int32_t length
    uint32_t hash
    int32_t id      # -1: empty slot


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

    cdef Entry* probe(self, const uint8_t* start, int32_t length, uint32_t h) noexcept nogil:
        """The token's slot: its entry, or the empty slot where it would go."""
        cdef int64_t slot = h & (self.capacity - 1)
        cdef Entry* entry
        while True:
            entry = &self.slots[slot]
            if entry.id == -1 or (entry.hash == h and entry.length == length and
                                  memcmp(entry.start, start, length) == 0):
                return entry
            slot = (slot + 1) & (self.capacity - 1)

    cdef int32_t find(self, const uint8_t* start, int32_t length, uint32_t h) noexcept nogil:
        """The token's id, -1 if it is not in the table."""
        return self.probe(start, length, h).id

    cdef int32_t find_or_add(self, const uint8_t* start, int32_t length,
                             uint32_t h) noexcept nogil:
        """The token's id, a new one if unseen; -1 on no memory."""
        cdef Entry* entry = self.probe(start, length, h)
        cdef Entry* grown
        cdef int64_t slot
        if entry.id != -1:
            return entry.id
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
    cdef uint32_t eos_hash = fnv1a(EOS_BYTES, EOS_LENGTH)
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
            i = token_end(base, i, n, &h)
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


cdef struct Ints:
    # a growing list of int32 in C memory
    int32_t* data
    int64_t size
    int64_t capacity


cdef inline int ints_reserve(Ints* ints, int64_t extra) noexcept nogil:
    """Room for ``extra`` more entries; -1 on no memory."""
    cdef int64_t capacity = ints.capacity
    cdef int32_t* grown
    if ints.size + extra <= capacity:
        return 0
    while capacity < ints.size + extra:
        capacity = capacity * 2 if capacity else 1024
    grown = <int32_t*>realloc(ints.data, capacity * sizeof(int32_t))
    if grown == NULL:
        return -1
    ints.data = grown
    ints.capacity = capacity
    return 0


cdef inline int ints_push(Ints* ints, int32_t value) noexcept nogil:
    if ints.size == ints.capacity and ints_reserve(ints, 1) != 0:
        return -1
    ints.data[ints.size] = value
    ints.size += 1
    return 0


cdef object _offsets(counts):
    """Counts a line as offsets: a leading 0, then the running sums."""
    offsets = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    return offsets


cdef object ints_array(Ints* ints):
    out = np.empty(ints.size, dtype=np.int32)
    cdef int32_t[::1] view = out
    if ints.size:
        memcpy(&view[0], ints.data, ints.size * sizeof(int32_t))
    return out


cdef struct Encoding:
    # what encoding lines writes: rows and labels a line, and the scratch
    # space of the line being encoded
    Ints rows
    Ints labels
    Ints line_rows      # rows of each line
    Ints line_labels    # labels of each line
    int64_t rows_before     # rows and labels of the lines before the current one
    int64_t labels_before
    Ints line_tokens
    Ints hashes         # the word hashes of the current line (bits of uint32)
    Ints grams          # buckets of an unknown word's character n-grams
    uint8_t* word       # the unknown word wrapped as <word>
    int64_t word_capacity


cdef class LineEncoder:
    """A trained classifier's dictionary in C: lines of fastText-format text
    (bytes) go straight to input rows and label ids, as
    :func:`fastemb.corpus.labelled.encode_documents` gives them, and then
    through the model's map of stored buckets.

    Parameters
    ----------
    words, labels : list of bytes
        The dictionary's words and labels, in id order.
    label_prefix : bytes
    word_offsets, word_rows : ndarray of int64, int32
        Each word's input rows, already as stored rows
        (``word_rows[word_offsets[w]:word_offsets[w + 1]]``).
    n_words, minn, maxn, word_ngrams, bucket : int
        The hashing settings of the other rows: a bucket ``b`` is row
        ``n_words + b`` before the map.
    bucket_rows : ndarray of int32, optional
        The stored row of each bucket (counted from ``n_words``), -1 for one
        not stored. None: every bucket is stored.
    missing : int
        The row an unstored bucket reads; -1 leaves it out of its line (a
        pruned dictionary).
    """
    cdef _Table words
    cdef _Table labels
    cdef object keys            # the bytes both tables point into
    cdef bytes prefix
    cdef const uint8_t* prefix_start
    cdef int32_t prefix_length
    cdef object offsets_array, rows_array, bucket_rows_array
    cdef const int64_t* word_offsets
    cdef const int32_t* word_rows
    cdef const int32_t* bucket_rows
    cdef int32_t missing
    cdef int32_t n_words
    cdef int minn, maxn, word_ngrams
    cdef uint32_t bucket
    cdef bint subwords

    def __init__(self, words, labels, bytes label_prefix, word_offsets, word_rows, n_words,
                 minn, maxn, word_ngrams, bucket, bucket_rows=None, missing=-1):
        word_offsets = np.ascontiguousarray(word_offsets, dtype=np.int64)
        word_rows = np.ascontiguousarray(word_rows, dtype=np.int32)
        if len(word_offsets) != len(words) + 1 or word_offsets[0] != 0 or \
                word_offsets[len(words)] != len(word_rows) or np.any(np.diff(word_offsets) < 0):
            raise ValueError("word_offsets must run from 0 to len(word_rows), a word each")
        if word_ngrams > 1 and bucket <= 0:
            raise ValueError("word n-grams need buckets: bucket must be positive when "
                             "wordNgrams > 1")
        if bucket_rows is not None and len(bucket_rows) != bucket:
            raise ValueError("bucket_rows must have an entry for each bucket")
        self.prefix = label_prefix
        self.prefix_start = self.prefix
        self.prefix_length = <int32_t>len(label_prefix)
        self.offsets_array, self.rows_array = word_offsets, word_rows
        self._point(word_offsets, word_rows, bucket_rows)
        self.missing = missing
        self.n_words = n_words
        self.minn, self.maxn, self.word_ngrams, self.bucket = minn, maxn, word_ngrams, bucket
        self.subwords = maxn > 0 and bucket > 0
        self.keys = b"".join(list(words) + list(labels))
        self.words = self._table(words, 0)
        self.labels = self._table(labels, sum(len(w) for w in words))

    def _point(self, word_offsets, word_rows, bucket_rows):
        cdef const int64_t[::1] offsets = word_offsets
        cdef const int32_t[::1] rows = word_rows
        cdef const int32_t[::1] buckets
        self.word_offsets = &offsets[0]
        self.word_rows = &rows[0] if rows.shape[0] else NULL
        self.bucket_rows = NULL
        if bucket_rows is not None:
            self.bucket_rows_array = np.ascontiguousarray(bucket_rows, dtype=np.int32)
            buckets = self.bucket_rows_array
            self.bucket_rows = &buckets[0] if buckets.shape[0] else NULL

    cdef _Table _table(self, keys, int64_t start):
        """A table of ``keys``, pointing into ``self.keys`` from ``start``."""
        cdef _Table table = _Table()
        cdef const uint8_t* base = self.keys
        cdef int32_t length, ident
        cdef int64_t at = start
        for index, key in enumerate(keys):
            length = len(key)
            ident = table.find_or_add(base + at, length, fnv1a(base + at, length))
            if ident < 0:
                raise MemoryError()
            if ident != index:
                raise ValueError(f"{bytes(key)!r} is in the dictionary twice")
            at += length
        return table

    cdef inline int push_bucket(self, Encoding* out, uint64_t bucket) noexcept nogil:
        """Bucket ``bucket``'s row, through the map of stored buckets."""
        cdef int32_t row
        if self.bucket_rows == NULL:
            return ints_push(&out.rows, <int32_t>(self.n_words + bucket))
        row = self.bucket_rows[bucket]
        if row >= 0:
            return ints_push(&out.rows, self.n_words + row)
        if self.missing >= 0:
            return ints_push(&out.rows, self.missing)
        return 0

    cdef int add_token(self, Encoding* out, const uint8_t* token, int32_t length,
                       uint32_t h) noexcept nogil:
        """A label's id, or a word's rows and hash; -1 on no memory."""
        cdef int32_t ident
        cdef int64_t i, count
        if length >= self.prefix_length and \
                memcmp(token, self.prefix_start, self.prefix_length) == 0:
            ident = self.labels.find(token, length, h)
            # a label the dictionary does not know is dropped, as in fastText
            return ints_push(&out.labels, ident) if ident >= 0 else 0
        ident = self.words.find(token, length, h)
        if ident >= 0:
            count = self.word_offsets[ident + 1] - self.word_offsets[ident]
            if ints_reserve(&out.rows, count) != 0:
                return -1
            memcpy(out.rows.data + out.rows.size, self.word_rows + self.word_offsets[ident],
                   count * sizeof(int32_t))
            out.rows.size += count
        elif self.subwords and not (length == EOS_LENGTH and
                                    memcmp(token, EOS_BYTES, EOS_LENGTH) == 0):
            # an unknown word still has its character n-grams
            if length + 2 > out.word_capacity:
                free(out.word)
                out.word_capacity = 2 * (length + 2)
                out.word = <uint8_t*>calloc(out.word_capacity, 1)
                if out.word == NULL:
                    out.word_capacity = 0
                    return -1
            out.word[0] = 60  # '<'
            memcpy(out.word + 1, token, length)
            out.word[length + 1] = 62  # '>'
            out.grams.size = 0
            if ints_reserve(&out.grams, (length + 2) * (self.maxn - self.minn + 1)) != 0:
                return -1
            count = word_buckets(out.word, length + 2, self.minn, self.maxn, self.bucket,
                                 out.grams.data)
            for i in range(count):
                if self.push_bucket(out, <uint64_t>out.grams.data[i]) != 0:
                    return -1
        return ints_push(&out.hashes, <int32_t>h)

    cdef int end_line(self, Encoding* out, int32_t tokens) noexcept nogil:
        """The line's word n-grams, chained from its word hashes as fastText
        chains them (int32 hashes widened with their sign), then its ends."""
        cdef int64_t i, j, n = out.hashes.size
        cdef uint64_t h
        if self.word_ngrams > 1:
            for i in range(n):
                h = <uint64_t><int64_t>out.hashes.data[i]
                for j in range(i + 1, min(i + self.word_ngrams, n)):
                    h = h * WORD_NGRAM_MULTIPLIER + <uint64_t><int64_t>out.hashes.data[j]
                    if self.push_bucket(out, h % self.bucket) != 0:
                        return -1
        out.hashes.size = 0
        if ints_push(&out.line_tokens, tokens) != 0 or \
                ints_push(&out.line_rows, <int32_t>(out.rows.size - out.rows_before)) != 0 or \
                ints_push(&out.line_labels,
                          <int32_t>(out.labels.size - out.labels_before)) != 0:
            return -1
        out.rows_before, out.labels_before = out.rows.size, out.labels.size
        return 0

    cdef int encode_bytes(self, const uint8_t* base, int64_t n, Encoding* out) noexcept nogil:
        """Encode every line of ``base[:n]`` as :func:`scan_tokens` splits
        it; -1 on no memory."""
        cdef int64_t i = 0, start
        cdef int32_t tokens = 0
        cdef uint32_t h, eos_hash = fnv1a(EOS_BYTES, EOS_LENGTH)
        while i < n:
            if SPACE[base[i]]:
                if base[i] == 10:  # newline: </s> ends the line
                    if self.add_token(out, EOS_BYTES, EOS_LENGTH, eos_hash) != 0 or \
                            self.end_line(out, tokens + 1) != 0:
                        return -1
                    tokens = 0
                i += 1
                continue
            start = i
            i = token_end(base, i, n, &h)
            if self.add_token(out, base + start, <int32_t>(i - start), h) != 0:
                return -1
            tokens += 1
        if tokens > 0:  # a last line without its newline
            return self.end_line(out, tokens)
        return 0

    def encode(self, const uint8_t[::1] data):
        """Encode the lines of ``data`` (fastText-format bytes).

        Returns
        -------
        rows, row_offsets : ndarray of int32, int64
            Line ``d``'s input rows: ``rows[row_offsets[d]:row_offsets[d + 1]]``.
        labels, label_offsets : ndarray of int32, int64
            Its known labels' ids, the same way.
        line_tokens : ndarray of int32
            Tokens each line holds (words, labels and ``</s>``).
        """
        cdef Encoding out
        cdef int status
        cdef int64_t n = data.shape[0]
        cdef const uint8_t* base = &data[0] if n else EOS_BYTES
        memset(&out, 0, sizeof(Encoding))
        try:
            with nogil:
                status = self.encode_bytes(base, n, &out)
            if status != 0:
                raise MemoryError("out of memory while encoding the lines")
            return (ints_array(&out.rows), _offsets(ints_array(&out.line_rows)),
                    ints_array(&out.labels), _offsets(ints_array(&out.line_labels)),
                    ints_array(&out.line_tokens))
        finally:
            free(out.rows.data)
            free(out.labels.data)
            free(out.line_tokens.data)
            free(out.hashes.data)
            free(out.grams.data)
            free(out.line_rows.data)
            free(out.line_labels.data)
            free(out.word)
