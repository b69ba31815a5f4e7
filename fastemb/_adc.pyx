# cython: language_level=3
"""Dot products of queries with compressed rows, read from their codes.

Product-quantized rows: asymmetric distance computation (Jégou et al.
2011). A query is not quantized; its dot product with every centroid of
every sub-vector is computed once (a table of sub-vectors x 256), and a
row's dot product with the query is then the sum of one table entry a
sub-vector, read at the row's codes: a byte a sub-vector instead of its
floats. int8 rows: the bytes widened to floats in the loop, times the row's
scale.
"""
from libc.stdint cimport int8_t, int64_t, uint8_t

cdef enum:
    CENTROIDS = 256


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
        for r in range(start, end):
            row = &codes[r, 0]
            for q in range(n_queries):
                table = &tables[q, 0]
                total = 0.0
                for m in range(nsub):
                    total = total + table[m * CENTROIDS + row[m]]
                out[q, r - out_start] = total


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
