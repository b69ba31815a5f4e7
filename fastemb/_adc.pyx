# cython: language_level=3
"""Dot products of queries with compressed rows, read from their codes.

Product-quantized rows: asymmetric distance computation (Jégou et al.
2011). A query is not quantized; its dot product with every centroid of
every sub-vector is computed once (a table of sub-vectors x 256), and a
row's dot product with the query is then the sum of one table entry a
sub-vector, read at the row's codes: a byte a sub-vector instead of its
floats. int8 rows: the bytes widened to floats in the loop, times the row's
scale.

For ranking, :func:`adc_sums_u16` reads tables rounded to 16-bit integers:
a table of 50 sub-vectors then takes 25 KB instead of 51 and stays in the
first-level cache, and integer additions do not wait on each other as
float ones do; 3 to 4 times faster. The rounding's error is bounded, so the
caller can rescore exactly the rows that may be among the best.
"""
from libc.stdint cimport int8_t, int64_t, uint8_t, uint16_t, uint32_t

cdef enum:
    CENTROIDS = 256
    # rows scored together: a row's sum is a chain of dependent additions,
    # each waiting for the last, so one row at a time runs at the adder's
    # latency; four independent chains keep the loads and adds busy
    ROW_BLOCK = 4


cdef inline void adc_block(const uint8_t* codes, int64_t nsub, const float* table,
                           float* out) noexcept nogil:
    """Scores of ``ROW_BLOCK`` consecutive rows (codes ``nsub`` apart) for
    one query's table, into ``out[0..ROW_BLOCK)``."""
    cdef float t0 = 0.0, t1 = 0.0, t2 = 0.0, t3 = 0.0
    cdef const float* sub
    cdef int64_t m
    for m in range(nsub):
        sub = table + m * CENTROIDS
        t0 = t0 + sub[codes[m]]
        t1 = t1 + sub[codes[nsub + m]]
        t2 = t2 + sub[codes[2 * nsub + m]]
        t3 = t3 + sub[codes[3 * nsub + m]]
    out[0] = t0
    out[1] = t1
    out[2] = t2
    out[3] = t3


cdef int check_rows(int64_t start, int64_t end, int64_t rows, int64_t out_start,
                    int64_t columns) except -1:
    """Rows ``start..end`` lie in the codes and their columns in the output."""
    if not 0 <= start <= end <= rows or start < out_start or end - out_start > columns:
        raise ValueError("rows outside the codes or the output")
    return 0


def adc_dots(const uint8_t[:, ::1] codes, const float[:, ::1] tables, float[:, ::1] out,
             int64_t start, int64_t end, int64_t out_start):
    """Dot products of queries with rows ``start..end``.

    Parameters
    ----------
    codes : ndarray of uint8, shape (rows, sub-vectors)
    tables : ndarray of float32, shape (queries, sub-vectors * 256)
        Entry ``[q, m * 256 + c]``: query ``q``'s sub-vector ``m`` dotted
        with centroid ``c`` of sub-vector ``m``.
    out : ndarray of float32, shape (queries, columns)
        Row ``r``'s products go to column ``r - out_start``.
    start, end, out_start : int
    """
    cdef int64_t nsub = codes.shape[1], n_queries = tables.shape[0], r, q, m
    cdef float total
    cdef const uint8_t* row
    cdef const float* table
    if tables.shape[1] != nsub * CENTROIDS or out.shape[0] != n_queries:
        raise ValueError("the tables must have 256 entries a sub-vector, a row a query")
    check_rows(start, end, codes.shape[0], out_start, out.shape[1])
    if start == end or n_queries == 0:
        return
    with nogil:
        r = start
        while r + ROW_BLOCK <= end:
            for q in range(n_queries):
                adc_block(&codes[r, 0], nsub, &tables[q, 0], &out[q, r - out_start])
            r += ROW_BLOCK
        for r in range(r, end):
            row = &codes[r, 0]
            for q in range(n_queries):
                table = &tables[q, 0]
                total = 0.0
                for m in range(nsub):
                    total = total + table[m * CENTROIDS + row[m]]
                out[q, r - out_start] = total


cdef inline void adc_block_u16(const uint8_t* codes, int64_t nsub, const uint16_t* table,
                               uint32_t* out) noexcept nogil:
    """:func:`adc_block` over a 16-bit table, into exact integer sums."""
    cdef uint32_t t0 = 0, t1 = 0, t2 = 0, t3 = 0
    cdef const uint16_t* sub
    cdef int64_t m
    for m in range(nsub):
        sub = table + m * CENTROIDS
        t0 += sub[codes[m]]
        t1 += sub[codes[nsub + m]]
        t2 += sub[codes[2 * nsub + m]]
        t3 += sub[codes[3 * nsub + m]]
    out[0] = t0
    out[1] = t1
    out[2] = t2
    out[3] = t3


def adc_sums_u16(const uint8_t[:, ::1] codes, const uint16_t[::1] table, uint32_t[::1] out,
                 int64_t start, int64_t end, int64_t out_start):
    """One query's sums of 16-bit table entries at the codes of rows
    ``start..end`` (row ``r``'s sum to ``out[r - out_start]``).

    Parameters
    ----------
    codes : ndarray of uint8, shape (rows, sub-vectors)
    table : ndarray of uint16, shape (sub-vectors * 256,)
        The query's table, each sub-vector's entries offset and scaled to
        integers (the caller keeps the offsets and the scale).
    out : ndarray of uint32
    start, end, out_start : int
    """
    cdef int64_t nsub = codes.shape[1], r, m
    cdef uint32_t total
    cdef const uint8_t* row
    if table.shape[0] != nsub * CENTROIDS:
        raise ValueError("the table must have 256 entries a sub-vector")
    if nsub > 65536:
        raise ValueError("more than 65,536 sub-vectors would overflow the sums")
    check_rows(start, end, codes.shape[0], out_start, out.shape[0])
    with nogil:
        r = start
        while r + ROW_BLOCK <= end:
            adc_block_u16(&codes[r, 0], nsub, &table[0], &out[r - out_start])
            r += ROW_BLOCK
        for r in range(r, end):
            row = &codes[r, 0]
            total = 0
            for m in range(nsub):
                total += table[m * CENTROIDS + row[m]]
            out[r - out_start] = total


def int8_dots(const int8_t[:, ::1] codes, const float[::1] scales, const float[:, ::1] queries,
              float[:, ::1] out, int64_t start, int64_t end, int64_t out_start):
    """Dot products of queries with int8 rows ``start..end``, each row's
    values times its scale; row ``r``'s go to column ``r - out_start``."""
    cdef int64_t dim = codes.shape[1], n_queries = queries.shape[0], r, q, j
    cdef float total
    cdef const int8_t* row
    cdef const float* query
    if queries.shape[1] != dim or out.shape[0] != n_queries or scales.shape[0] != codes.shape[0]:
        raise ValueError("queries, codes, scales and output do not fit together")
    check_rows(start, end, codes.shape[0], out_start, out.shape[1])
    if start == end or n_queries == 0 or dim == 0:
        return
    with nogil:
        for r in range(start, end):
            row = &codes[r, 0]
            for q in range(n_queries):
                query = &queries[q, 0]
                total = 0.0
                for j in range(dim):
                    total = total + <float>row[j] * query[j]
                out[q, r - out_start] = total * scales[r]
