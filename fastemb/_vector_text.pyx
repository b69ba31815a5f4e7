# cython: language_level=3
"""word2vec vector files parsed in C, a block of bytes at a time, so that a
file of any size is read with one block in memory besides its matrix.

Text (``word v1 ... vdim`` a line, GloVe's and fastText's ``.vec`` too): a
block is cut at line ends into one range a thread; each range counts its
non-blank lines first (so every thread knows the matrix row it starts at),
then parses them without the GIL. Numbers are read the way Python's
``float`` reads them and then rounded to float32, as numpy does: up to 19
significant digits and a power of ten up to 22 are exact in a double, so one
multiplication or division rounds correctly; anything longer goes to the C
library's ``strtod``, which rounds correctly too.

Binary (``word`` + space + ``dim`` little-endian float32, a newline after
each vector in the C tool's files, none in gensim's): the records of a block
are found one after another (only their keys are read), then their floats
are copied into the matrix on several threads; a record cut by the end of
the block is left for the next block.

Keys are not decoded here: each one's start and length in the block are
returned, and the caller decodes them all at once.
"""
from libc.math cimport INFINITY, NAN
from libc.stdint cimport int8_t, int32_t, int64_t, uint8_t, uint64_t
from libc.stdlib cimport free, malloc, strtod
from libc.string cimport memchr, memcpy

cpdef enum:
    PARSED = 0
    # a line with another number of values than the dimension
    WRONG_COUNT = 1
    # a value that is not a number
    BAD_NUMBER = 2
    # a binary key with no space after it within MAX_KEY_BYTES
    KEY_TOO_LONG = 3

cdef enum:
    MAX_KEY_BYTES = 100000
    # digits a uint64 holds whatever they are
    EXACT_DIGITS = 19

#: space, tab, carriage return, vertical tab, form feed (not the newline,
#: which ends a line)
cdef bint BLANK[256]
cdef int _byte
for _byte in range(256):
    BLANK[_byte] = _byte in (9, 11, 12, 13, 32)

cdef double POWERS_OF_TEN[23]
cdef int _power
POWERS_OF_TEN[0] = 1.0
for _power in range(1, 23):
    POWERS_OF_TEN[_power] = POWERS_OF_TEN[_power - 1] * 10.0


cdef inline bint ends_value(const uint8_t* p, const uint8_t* end) noexcept nogil:
    return p == end or BLANK[p[0]] or p[0] == 10


cdef inline uint8_t lower(uint8_t byte) noexcept nogil:
    return byte | 0x20 if 65 <= byte <= 90 else byte


cdef inline bint starts_with_word(const uint8_t* p, const uint8_t* end,
                                  const char* word, int length) noexcept nogil:
    """True if ``p`` starts with ``word`` in any case."""
    cdef int i
    if end - p < length:
        return False
    for i in range(length):
        if lower(p[i]) != <uint8_t>word[i]:
            return False
    return True


cdef int64_t parse_special(const uint8_t* p, const uint8_t* end, double* value) noexcept nogil:
    """``nan``, ``inf`` and ``infinity`` (any case, after the sign): the
    bytes read, 0 if none."""
    if starts_with_word(p, end, b"nan", 3):
        value[0] = NAN
        return 3
    if starts_with_word(p, end, b"infinity", 8):
        value[0] = INFINITY
        return 8
    if starts_with_word(p, end, b"inf", 3):
        value[0] = INFINITY
        return 3
    return 0


cdef double slow_parse(const uint8_t* p, int64_t length, bint* ok) noexcept nogil:
    """The C library's correctly rounded ``strtod`` on a copy of the token
    (it needs a terminating NUL)."""
    cdef char* copy = <char*>malloc(length + 1)
    cdef char* stop
    cdef double value = 0.0
    ok[0] = False
    if copy == NULL:
        return 0.0
    memcpy(copy, p, length)
    copy[length] = 0
    value = strtod(copy, &stop)
    ok[0] = stop == copy + length
    free(copy)
    return value


cdef int64_t parse_number(const uint8_t* p, const uint8_t* end, float* out) noexcept nogil:
    """Read one number at ``p`` into ``out``: the bytes it took, 0 if the
    token there is not a number."""
    cdef const uint8_t* start = p
    cdef bint negative = False, exponent_negative = False, ok
    cdef uint64_t mantissa = 0
    cdef int64_t significant = 0, scale = 0, exponent = 0, taken
    cdef int any_digit = 0
    cdef double value
    if p < end and (p[0] == 43 or p[0] == 45):  # + -
        negative = p[0] == 45
        p += 1
    taken = parse_special(p, end, &value)
    if taken:
        p += taken
        if not ends_value(p, end):
            return 0
        out[0] = <float>(-value if negative else value)
        return p - start
    while p < end and 48 <= p[0] <= 57:
        any_digit = 1
        if mantissa == 0 and p[0] == 48:
            pass  # leading zeros are not significant
        elif significant < EXACT_DIGITS:
            mantissa = mantissa * 10 + (p[0] - 48)
            significant += 1
        else:
            scale += 1  # a digit past what is kept: the slow path decides
            significant += 1
        p += 1
    if p < end and p[0] == 46:  # .
        p += 1
        while p < end and 48 <= p[0] <= 57:
            any_digit = 1
            if mantissa == 0 and p[0] == 48:
                scale -= 1
            elif significant < EXACT_DIGITS:
                mantissa = mantissa * 10 + (p[0] - 48)
                significant += 1
                scale -= 1
            else:
                significant += 1
            p += 1
    if not any_digit:
        return 0
    if p < end and (p[0] == 101 or p[0] == 69):  # e E
        p += 1
        if p < end and (p[0] == 43 or p[0] == 45):
            exponent_negative = p[0] == 45
            p += 1
        if p == end or not 48 <= p[0] <= 57:
            return 0
        while p < end and 48 <= p[0] <= 57:
            if exponent < 100000:
                exponent = exponent * 10 + (p[0] - 48)
            p += 1
        if exponent_negative:
            exponent = -exponent
    if not ends_value(p, end):
        return 0
    scale += exponent
    if mantissa == 0:
        value = 0.0
    elif significant <= EXACT_DIGITS and mantissa < (<uint64_t>1 << 53) and \
            -22 <= scale <= 22:
        # both operands exact: one rounding, the correct one
        value = <double>mantissa
        if scale >= 0:
            value = value * POWERS_OF_TEN[scale]
        else:
            value = value / POWERS_OF_TEN[-scale]
    else:
        value = slow_parse(start, p - start, &ok)
        if not ok:
            return 0
        out[0] = <float>value
        return p - start
    out[0] = <float>(-value if negative else value)
    return p - start


cdef inline const uint8_t* line_end(const uint8_t* p, const uint8_t* end) noexcept nogil:
    cdef const uint8_t* newline = <const uint8_t*>memchr(p, 10, end - p)
    return end if newline == NULL else newline


cdef inline bint is_blank(const uint8_t* p, const uint8_t* end) noexcept nogil:
    while p < end:
        if not BLANK[p[0]]:
            return False
        p += 1
    return True


def count_lines(const uint8_t[::1] data, int64_t start, int64_t end):
    """Lines of ``data[start:end]`` that hold something besides blanks.

    Returns
    -------
    int
    """
    if not 0 <= start <= end <= data.shape[0]:
        raise ValueError("range outside the data")
    cdef const uint8_t* p
    cdef const uint8_t* stop
    cdef const uint8_t* eol
    cdef int64_t count = 0
    if start == end:
        return 0
    with nogil:
        p = &data[0] + start
        stop = &data[0] + end
        while p < stop:
            eol = line_end(p, stop)
            if not is_blank(p, eol):
                count += 1
            p = eol + 1
    return count


def parse_text(const uint8_t[::1] data, int64_t start, int64_t end, float[:, ::1] out,
               int64_t first_row, int64_t[::1] key_starts, int32_t[::1] key_lengths):
    """Parse the non-blank lines of ``data[start:end]`` into rows of
    ``out`` from ``first_row`` on, as many as fit.

    Parameters
    ----------
    data : ndarray of uint8
    start, end : int
        A range of whole lines.
    out : ndarray of float32, shape (rows, dim)
    first_row : int
    key_starts, key_lengths : ndarray of int64, int32
        Written at the same rows: where each line's key lies in ``data``.

    Returns
    -------
    rows : int
        Lines parsed.
    status : int
        ``PARSED``, or the fault of the line after the last parsed one:
        ``WRONG_COUNT`` or ``BAD_NUMBER``.
    values : int
        With ``WRONG_COUNT``: how many values that line holds.
    """
    cdef int64_t dim = out.shape[1], capacity = out.shape[0]
    if not 0 <= start <= end <= data.shape[0]:
        raise ValueError("range outside the data")
    if not 0 <= first_row <= capacity or key_starts.shape[0] < capacity or \
            key_lengths.shape[0] < capacity:
        raise ValueError("the key arrays must have a row for each matrix row")
    cdef const uint8_t* base
    cdef const uint8_t* p
    cdef const uint8_t* stop
    cdef const uint8_t* eol
    cdef const uint8_t* key_stop
    cdef int64_t row = first_row, values = 0, taken
    cdef int status = PARSED
    if start == end:
        return 0, PARSED, 0
    with nogil:
        base = &data[0]
        p = base + start
        stop = base + end
        while p < stop and row < capacity:
            eol = line_end(p, stop)
            if is_blank(p, eol):
                p = eol + 1
                continue
            key_stop = p
            while key_stop < eol and key_stop[0] != 32 and key_stop[0] != 9:
                key_stop += 1
            key_starts[row] = p - base
            key_lengths[row] = <int32_t>(key_stop - p)
            p = key_stop
            values = 0
            while True:
                while p < eol and BLANK[p[0]]:
                    p += 1
                if p == eol:
                    break
                if values < dim:
                    taken = parse_number(p, eol, &out[row, values])
                    if taken == 0:
                        status = BAD_NUMBER
                        break
                    p += taken
                else:
                    while p < eol and not BLANK[p[0]]:
                        p += 1
                values += 1
            if status == PARSED and values != dim:
                status = WRONG_COUNT
            if status != PARSED:
                break
            row += 1
            p = eol + 1
    return row - first_row, status, values


def scan_binary(const uint8_t[::1] data, int64_t start, int64_t dim, int64_t max_rows,
                int64_t[::1] key_starts, int32_t[::1] key_lengths):
    """Find the whole binary records of ``data[start:]``, at most
    ``max_rows``: each key's start and length (its ``dim`` floats follow
    the space after it).

    Returns
    -------
    rows : int
        Records found.
    position : int
        Where the first record not found starts (newlines before a key are
        skipped, as the C tool writes one after each vector).
    status : int
        ``PARSED``, or ``KEY_TOO_LONG``.
    """
    cdef int64_t n = data.shape[0], pos = start, row = 0, key_stop, limit
    cdef int64_t width = 4 * dim
    cdef const uint8_t* base
    cdef const uint8_t* space
    cdef int status = PARSED
    if not 0 <= start <= n or dim <= 0:
        raise ValueError("start outside the data, or no dimension")
    if key_starts.shape[0] < max_rows or key_lengths.shape[0] < max_rows:
        raise ValueError("the key arrays must have max_rows entries")
    if n == 0:
        return 0, pos, PARSED
    with nogil:
        base = &data[0]
        while row < max_rows:
            while pos < n and (base[pos] == 10 or base[pos] == 13):
                pos += 1
            limit = min(n, pos + MAX_KEY_BYTES)
            space = <const uint8_t*>memchr(base + pos, 32, limit - pos)
            if space == NULL:
                if limit - pos == MAX_KEY_BYTES:
                    status = KEY_TOO_LONG
                break
            key_stop = space - base
            if key_stop + 1 + width > n:
                break
            key_starts[row] = pos
            key_lengths[row] = <int32_t>(key_stop - pos)
            row += 1
            pos = key_stop + 1 + width
    return row, pos, status


def scan_fasttext_entries(const uint8_t[::1] data, int64_t start, int64_t[::1] key_starts,
                          int32_t[::1] key_lengths, int64_t[::1] counts, int8_t[::1] kinds):
    """Walk the entries of a fastText ``.bin`` dictionary from ``start``:
    each a word, a NUL, an int64 count and an int8 kind (0 word, 1 label),
    as many as ``key_starts`` has room for.

    Returns
    -------
    entries : int
        Whole entries found (fewer than asked when the data ends first).
    position : int
        Where the entry after them starts.
    """
    cdef int64_t n = data.shape[0], pos = start, entry = 0, wanted = key_starts.shape[0]
    cdef int64_t value
    cdef const uint8_t* base
    cdef const uint8_t* nul
    cdef int b
    if not 0 <= start <= n:
        raise ValueError("start outside the data")
    if key_lengths.shape[0] < wanted or counts.shape[0] < wanted or kinds.shape[0] < wanted:
        raise ValueError("the output arrays must have room for every entry")
    if n == 0:
        return 0, pos
    with nogil:
        base = &data[0]
        while entry < wanted:
            nul = <const uint8_t*>memchr(base + pos, 0, n - pos)
            if nul == NULL or (nul - base) + 10 > n:
                break
            key_starts[entry] = pos
            key_lengths[entry] = <int32_t>((nul - base) - pos)
            value = 0
            for b in range(8):
                value |= (<int64_t>nul[1 + b]) << (8 * b)
            counts[entry] = value
            kinds[entry] = <int8_t>nul[9]
            entry += 1
            pos = (nul - base) + 10
    return entry, pos


def copy_binary(const uint8_t[::1] data, const int64_t[::1] key_starts,
                const int32_t[::1] key_lengths, int64_t first, int64_t last,
                float[:, ::1] out, int64_t out_row):
    """Copy the floats of records ``first..last`` (found by
    :func:`scan_binary`) into rows of ``out`` from ``out_row`` on."""
    cdef int64_t width = 4 * out.shape[1], i, at, n = data.shape[0]
    cdef bint outside = False
    if not 0 <= first <= last <= key_starts.shape[0] or last > key_lengths.shape[0] or \
            out_row < 0 or out_row + last - first > out.shape[0]:
        raise ValueError("records or rows outside the arrays")
    if width == 0 or first == last:
        return
    with nogil:
        for i in range(first, last):
            at = key_starts[i] + key_lengths[i] + 1
            if key_starts[i] < 0 or at + width > n:
                outside = True
                break
            memcpy(&out[out_row + i - first, 0], &data[at], width)
    if outside:
        raise ValueError("a record lies outside the data")


def gather_keys(const uint8_t[::1] data, const int64_t[::1] starts,
                const int32_t[::1] lengths, int64_t count):
    """The first ``count`` keys' bytes, each followed by a newline, for one
    decoding of them all.

    Returns
    -------
    bytes
    """
    cdef int64_t total = 0, i, at = 0
    for i in range(count):
        if starts[i] < 0 or starts[i] + lengths[i] > data.shape[0]:
            raise ValueError("a key lies outside the data")
        total += lengths[i] + 1
    blob = bytearray(total)
    cdef uint8_t[::1] view = blob
    with nogil:
        for i in range(count):
            if lengths[i]:
                memcpy(&view[at], &data[starts[i]], lengths[i])
            at += lengths[i]
            view[at] = 10
            at += 1
    return bytes(blob)


def find_newline(const uint8_t[::1] data, int64_t start, int64_t end, bint last=False):
    """The position of the first (or ``last``) newline in
    ``data[start:end]``, -1 if there is none."""
    if not 0 <= start <= end <= data.shape[0]:
        raise ValueError("range outside the data")
    cdef const uint8_t* base
    cdef const uint8_t* found
    cdef int64_t i
    if start == end:
        return -1
    base = &data[0]
    if not last:
        found = <const uint8_t*>memchr(base + start, 10, end - start)
        return -1 if found == NULL else found - base
    with nogil:
        i = end - 1
        while i >= start and base[i] != 10:
            i -= 1
    return i if i >= start else -1
