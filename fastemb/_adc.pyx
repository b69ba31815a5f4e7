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


ctypedef fused entry_t:
    float
    uint16_t

ctypedef fused total_t:
    float
    uint32_t


cdef inline void table_sums(const uint8_t* codes, int64_t nsub, int64_t n_rows,
                            const entry_t* table, total_t* out) noexcept nogil:
    """``out[r]``: the sum of one query's table entries at the codes of row
    ``r`` (``n_rows`` rows, codes ``nsub`` apart), ``ROW_BLOCK`` rows at a
    time. Float tables give dot products; 16-bit ones exact integer sums
    (the casts do nothing for those two pairings, the only ones called)."""
    cdef total_t t0, t1, t2, t3
    cdef const entry_t* sub
    cdef const uint8_t* row
    cdef int64_t r = 0, m
    while r + ROW_BLOCK <= n_rows:
        row = codes + r * nsub
        t0 = t1 = t2 = t3 = 0
        for m in range(nsub):
            sub = table + m * CENTROIDS
            t0 = t0 + <total_t>sub[row[m]]
            t1 = t1 + <total_t>sub[row[nsub + m]]
            t2 = t2 + <total_t>sub[row[2 * nsub + m]]
            t3 = t3 + <total_t>sub[row[3 * nsub + m]]
        out[r] = t0
        out[r + 1] = t1
        out[r + 2] = t2
        out[r + 3] = t3
        r += ROW_BLOCK
    for r in range(r, n_rows):
        row = codes + r * nsub
        t0 = 0
        for m in range(nsub):
            t0 = t0 + <total_t>table[m * CENTROIDS + row[m]]
        out[r] = t0


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
    cdef int64_t nsub = codes.shape[1], n_queries = tables.shape[0], q
    if tables.shape[1] != nsub * CENTROIDS or out.shape[0] != n_queries:
        raise ValueError("the tables must have 256 entries a sub-vector, a row a query")
    check_rows(start, end, codes.shape[0], out_start, out.shape[1])
    if start == end or n_queries == 0:
        return
    with nogil:
        for q in range(n_queries):
            table_sums(&codes[start, 0], nsub, end - start, &tables[q, 0],
                       &out[q, start - out_start])


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
    cdef int64_t nsub = codes.shape[1]
    if table.shape[0] != nsub * CENTROIDS:
        raise ValueError("the table must have 256 entries a sub-vector")
    if nsub > 65536:
        raise ValueError("more than 65,536 sub-vectors would overflow the sums")
    check_rows(start, end, codes.shape[0], out_start, out.shape[0])
    if start == end:
        return
    with nogil:
        table_sums(&codes[start, 0], nsub, end - start, &table[0], &out[start - out_start])


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
