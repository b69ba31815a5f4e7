# cython: language_level=3
"""A piece's private rows: what deterministic training reads and writes
instead of the shared weights.

In deterministic training the corpus is cut into a fixed number of pieces
and trained in rounds. During a round the shared matrices do not change:
each piece copies a row the first time it touches it (the round's snapshot)
and trains its copy. At the round's end :func:`merge_piece_rows` adds every
piece's change to the shared rows, row by row in piece order, so every float
operation happens in the same order however many threads trained the pieces
and however they were scheduled.

A piece's copies live in blocks that never move (a pointer to a copy stays
valid for the whole round) and are reused round after round; ``slot`` maps
a row to its copy, -1 for a row the piece has not touched.
"""
from libc.stdint cimport int32_t, int64_t
from libc.stdlib cimport free, malloc, realloc
from libc.string cimport memcpy

cdef extern from "<stdlib.h>" nogil:
    int posix_memalign(void** pointer, size_t alignment, size_t size)


cdef enum:
    # copies a block holds (a power of two: slot >> BLOCK_SHIFT is the block)
    BLOCK_SHIFT = 9
    BLOCK_ROWS = 512


cdef struct PieceRows:
    int32_t* slot      # one entry a row of the matrix: its copy, or -1
    int32_t* touched   # the rows copied this round, in the order they were
    float** blocks     # the copies, BLOCK_ROWS a block
    int32_t n_blocks
    int32_t count      # copies made this round
    int32_t capacity   # copies the blocks and ``touched`` can hold
    int width
    int failed         # memory ran out: the round's result is unusable


cdef inline int piece_rows_init(PieceRows* p, int64_t n_rows, int width) noexcept nogil:
    """An empty set of copies of an ``n_rows`` x ``width`` matrix; -1 if
    memory ran out (free it all the same)."""
    cdef int64_t r
    p.slot = NULL
    p.touched = NULL
    p.blocks = NULL
    p.n_blocks = 0
    p.count = 0
    p.capacity = 0
    p.width = width
    p.failed = 0
    if n_rows <= 0:
        return 0
    p.slot = <int32_t*>malloc(n_rows * sizeof(int32_t))
    if p.slot == NULL:
        return -1
    for r in range(n_rows):
        p.slot[r] = -1
    return 0


cdef inline void piece_rows_free(PieceRows* p) noexcept nogil:
    cdef int32_t b
    for b in range(p.n_blocks):
        free(p.blocks[b])
    free(p.blocks)
    free(p.touched)
    free(p.slot)
    p.blocks = NULL
    p.touched = NULL
    p.slot = NULL
    p.n_blocks = 0
    p.count = 0
    p.capacity = 0


cdef inline float* piece_copy(const PieceRows* p, int32_t index) noexcept nogil:
    """The ``index``-th copy made this round."""
    return p.blocks[index >> BLOCK_SHIFT] + (index & (BLOCK_ROWS - 1)) * p.width


cdef inline int piece_rows_grow(PieceRows* p) noexcept nogil:
    """Room for BLOCK_ROWS more copies; -1 if memory ran out."""
    cdef void* block = NULL
    cdef float** blocks
    cdef int32_t* touched
    blocks = <float**>realloc(p.blocks, (p.n_blocks + 1) * sizeof(float*))
    if blocks == NULL:
        return -1
    p.blocks = blocks
    touched = <int32_t*>realloc(p.touched, (p.capacity + BLOCK_ROWS) * sizeof(int32_t))
    if touched == NULL:
        return -1
    p.touched = touched
    # every block aligned alike, so that vectorised loops over a copy take
    # the same path in every run
    if posix_memalign(&block, 64, BLOCK_ROWS * p.width * sizeof(float)) != 0:
        return -1
    p.blocks[p.n_blocks] = <float*>block
    p.n_blocks += 1
    p.capacity += BLOCK_ROWS
    return 0


cdef inline float* piece_row(PieceRows* p, const float* matrix, int64_t row) noexcept nogil:
    """The piece's copy of ``row`` of ``matrix``, made on first use. If memory
    runs out the shared row is returned and ``failed`` set: the caller
    discards the round."""
    cdef int32_t index = p.slot[row]
    cdef float* copy
    if index >= 0:
        return piece_copy(p, index)
    if p.count == p.capacity and piece_rows_grow(p) != 0:
        p.failed = 1
        return <float*>(matrix + row * p.width)
    index = p.count
    p.count += 1
    p.slot[row] = index
    p.touched[index] = <int32_t>row
    copy = piece_copy(p, index)
    memcpy(copy, matrix + row * p.width, p.width * sizeof(float))
    return copy


cdef inline void add_change(float* total, const float* copy, const float* shared,
                            int width) noexcept nogil:
    """``total += copy - shared`` element by element: one copy's change, in
    the order every merge of several copies sums them."""
    cdef int i
    for i in range(width):
        total[i] = total[i] + (copy[i] - shared[i])


cdef inline void apply_total(float* shared, const float* total, int width) noexcept nogil:
    """``shared += total``, the summed changes, element by element."""
    cdef int i
    for i in range(width):
        shared[i] = shared[i] + total[i]


cdef inline void merge_piece_rows(PieceRows** pieces, int n_pieces, float* matrix,
                                  float* total, int part, int n_parts) noexcept nogil:
    """Add the pieces' changes of the rows ``r`` with ``r % n_parts == part``
    to ``matrix`` and forget those copies.

    A row one piece copied takes that piece's value. A row several copied
    moves by the sum of their changes ``copy - shared``, added up element by
    element in piece order. Each row is merged once, when the first piece
    that copied it (in piece order) comes to it; the pieces' maps then
    forget it, so the later pieces pass over it. ``total`` is scratch of one
    row. Parts touch disjoint rows, so threads may merge different parts at
    once.
    """
    cdef int p, q, i, n_copies
    cdef int32_t k, row
    cdef int width = pieces[0].width
    cdef float* shared
    cdef PieceRows* piece
    for p in range(n_pieces):
        piece = pieces[p]
        for k in range(piece.count):
            row = piece.touched[k]
            if row % n_parts != part or piece.slot[row] < 0:
                continue  # another part's, or merged already
            shared = matrix + <int64_t>row * width
            n_copies = 0
            for q in range(p + 1, n_pieces):
                n_copies += pieces[q].slot[row] >= 0
            if n_copies == 0:
                memcpy(shared, piece_copy(piece, k), width * sizeof(float))
                piece.slot[row] = -1
                continue
            for i in range(width):
                total[i] = 0.0
            for q in range(p, n_pieces):
                if pieces[q].slot[row] < 0:
                    continue
                add_change(total, piece_copy(pieces[q], pieces[q].slot[row]), shared, width)
                pieces[q].slot[row] = -1
            apply_total(shared, total, width)
