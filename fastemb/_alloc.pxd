# cython: language_level=3
"""Allocation of large per-thread row buffers.

A thread's private rows are read at random, a row at a time, like the
weight matrices themselves. numpy backs those matrices with 2 MiB pages
(transparent huge pages, which it asks for on large arrays); buffers from a
plain ``malloc`` get 4 KiB pages, and a few megabytes of them then miss the
TLB on most row reads (gcide8, skip-gram NS, 2 threads with every row
private: measured in the README's thread-scaling section). These
allocations ask for huge pages the same way numpy does.
"""
from libc.stdlib cimport free, malloc


cdef extern from "<stdlib.h>" nogil:
    int posix_memalign(void** pointer, size_t alignment, size_t size)


cdef extern from *:
    """
    #if defined(__linux__)
    #include <sys/mman.h>
    #define FASTEMB_ADVISE_HUGE(p, n) ((void)madvise((p), (n), MADV_HUGEPAGE))
    #else
    #define FASTEMB_ADVISE_HUGE(p, n) ((void)0)
    #endif
    """
    void FASTEMB_ADVISE_HUGE(void* pointer, size_t size) noexcept nogil


cdef enum:
    HUGE_PAGE = 2097152


cdef inline void* alloc_rows(size_t size) noexcept nogil:
    """``size`` bytes for rows read at random: aligned to a huge page and
    advised to use huge pages when at least one fits, else plain ``malloc``.
    NULL when memory ran out; release with :func:`free_rows`."""
    cdef void* pointer = NULL
    if size < HUGE_PAGE:
        return malloc(size)
    if posix_memalign(&pointer, HUGE_PAGE, size) != 0:
        return NULL
    FASTEMB_ADVISE_HUGE(pointer, size)
    return pointer


cdef inline void free_rows(void* pointer) noexcept nogil:
    """Release a buffer from :func:`alloc_rows` (NULL is fine)."""
    free(pointer)
