# cython: language_level=3, boundscheck=False, wraparound=False
# cython: cdivision=True, initializedcheck=False
"""Word2Vec-family training kernels: skip-gram and CBOW, negative sampling
and hierarchical softmax, with frequent-word subsampling and window shrinking.

Every model of the family is a caller of the same loop. What differs is the
input side of a prediction, which is a list of ``syn0`` rows: a word's own row
(Word2Vec), or its own row plus its character n-gram rows (FastText); Doc2Vec
adds each document's tag rows, to CBOW's input (PV-DM) or as inputs of their
own (PV-DBOW). The output layers (:func:`predict`) do not know which model
they serve. Inference of new documents is the same loop with everything but
the tag rows frozen (:func:`infer_documents`).

Each thread trains a contiguous shard of the encoded corpus an epoch, with the
GIL released throughout; a :class:`ShardCursor` holds where it stands, so a
shard can be paused (for a checkpoint, or Ctrl-C) and continued bit for bit.
Threads share the weight matrices without locks (Hogwild): collisions are rare
and harmless at these learning rates, as in the original word2vec tool.
"""
import numpy as np

cimport numpy as cnp
from libc.math cimport exp, log
from libc.stdint cimport INT64_MAX, UINT32_MAX, int32_t, int64_t, uint8_t, uint32_t, uint64_t
from libc.stdlib cimport free, malloc
from libc.string cimport memcpy, memmove, memset

from fastemb._alloc cimport alloc_rows, free_rows
from fastemb._arrays cimport data_pointer
from fastemb._piece_rows cimport (PieceRows, merge_piece_rows, piece_row, piece_rows_free,
                                  piece_rows_init)
from fastemb._vecops cimport (alias_draw, prefetch_row, rng_next, rng_seed, rng_u32,
                              splitmix64, uniform_entry, vec_axpy, vec_axpy4,
                              vec_axpy_into4, vec_dot, vec_dot4, vec_scale, vec_zero)

cnp.import_array()

# ---------------------------------------------------------------------------
# Sigmoid and log-sigmoid by table lookup. Outside [-MAX_EXP, MAX_EXP] the
# sigmoid is saturated to 0 or 1 (as in word2vec), which also keeps the
# gradients of confidently right predictions at exactly zero.
# ---------------------------------------------------------------------------
cpdef enum:
    # int64 counters between two threads' progress slots: each thread's
    # counter sits on its own 64-byte cache line, so that counting never
    # makes the threads' caches fight; every kernel's counters use it
    SLOT_STRIDE = 8

cdef enum:
    TABLE_SIZE = 1024
    # words between two progress reports / learning-rate updates of a thread
    REPORT_EVERY = 10000
    # Huffman nodes scored together before their updates
    HS_STRETCH = 32
    # how many rows nearest the root (and most frequent words) every
    # prediction writes: with hierarchical softmax they are merged more
    # often than the rest of a thread's private rows
    HOTTEST_ROWS = 256

cdef float MAX_EXP = 6.0

cdef float SIGMOID_TABLE[TABLE_SIZE]
cdef float NEG_LOG_SIGMOID_TABLE[TABLE_SIZE]
cdef float TABLE_SCALE = TABLE_SIZE / (2.0 * MAX_EXP)


cdef void _fill_tables() noexcept:
    cdef int i
    cdef double x
    for i in range(TABLE_SIZE):
        # centre of bin i, so that lookup error is at most half a bin
        x = (i + 0.5) / TABLE_SCALE - MAX_EXP
        SIGMOID_TABLE[i] = <float>(1.0 / (1.0 + exp(-x)))
        NEG_LOG_SIGMOID_TABLE[i] = <float>(log(1.0 + exp(-x)))


_fill_tables()


# Both lookups test "inside the table" first: a NaN score (diverged weights)
# fails that test and never becomes a table index, so it cannot read out of
# bounds; the loss then turns NaN, which train() reports as divergence.
cdef inline float sigmoid(float f) noexcept nogil:
    if f < MAX_EXP and f > -MAX_EXP:
        return SIGMOID_TABLE[<int>((f + MAX_EXP) * TABLE_SCALE)]
    return 1.0 if f > 0 else 0.0


cdef inline float neg_log_sigmoid(float f) noexcept nogil:
    """``-log(sigmoid(f))``: the loss of one binary prediction with score f."""
    if f < MAX_EXP and f > -MAX_EXP:
        return NEG_LOG_SIGMOID_TABLE[<int>((f + MAX_EXP) * TABLE_SCALE)]
    return 0.0 if f > 0 else -f


# ---------------------------------------------------------------------------
# Hot rows. With several threads, the rows every thread writes all the time
# (frequent words' vectors, the Huffman nodes near the root) bounce between
# the cores' caches on every update and serialise the threads. Each thread
# therefore trains private copies of those rows and merges what it learned
# into the shared matrix every ``merge_every`` centre words (delta merging, as
# in local SGD); other rows stay shared Hogwild-style. The few rows every
# prediction writes (``hottest_rows``) can be merged more often than the rest,
# so that they never drift far apart while the merges stay cheap. How many
# rows and how often is a per-mode measurement (``private_row_defaults``).
# The copies live in huge pages (``_alloc.pxd``). One thread uses no copies.
# ---------------------------------------------------------------------------
cdef struct HotRows:
    float* local   # private copy of rows [lo, hi)
    float* base    # the shared values at the last merge
    int64_t lo
    int64_t hi
    # deterministic training: every row is read and written through the
    # piece's copies (no hot rows then); NULL otherwise
    PieceRows* copies


cdef struct ThreadRows:
    HotRows syn0       # the most frequent words' own rows
    HotRows syn0_sub   # the most frequent rows after the words' (n-gram rows)
    HotRows syn1neg
    HotRows syn1
    HotRows docvecs    # never hot; a piece's copies in deterministic training


# A deterministic piece's copies of each matrix (see _piece_rows.pxd).
cdef struct PieceCopies:
    PieceRows syn0
    PieceRows syn1neg
    PieceRows syn1
    PieceRows docvecs


cdef inline float* row_of(const HotRows* hot, float* matrix, int64_t index,
                          int dim) noexcept nogil:
    """Pointer to row ``index``: the private copy when it is hot, the
    piece's copy in deterministic training."""
    if hot.lo <= index < hot.hi:
        return hot.local + (index - hot.lo) * dim
    if hot.copies != NULL:
        return piece_row(hot.copies, matrix, index)
    return matrix + index * dim


cdef inline void prefetch_uncopied(const HotRows* hot, const float* matrix, int64_t index,
                                   int dim) noexcept nogil:
    """Deterministic training: start fetching shared row ``index`` if the
    piece will have to copy it."""
    if hot.copies.slot[index] < 0:
        prefetch_row(matrix + index * dim, dim)


cdef inline float* doc_row(W2VConfig* c, ThreadRows* rows, int32_t tag) noexcept nogil:
    """Pointer to document (tag) row ``tag``."""
    return row_of(&rows.docvecs, c.docvecs, tag, c.dim)


cdef int hot_init(HotRows* hot, const float* matrix, int64_t lo, int64_t hi,
                  int dim) noexcept nogil:
    cdef int64_t n = (hi - lo) * dim
    hot.lo = lo
    hot.hi = hi
    hot.local = NULL
    hot.base = NULL
    hot.copies = NULL
    if n <= 0:
        hot.hi = lo
        return 0
    hot.local = <float*>alloc_rows(n * sizeof(float))
    hot.base = <float*>alloc_rows(n * sizeof(float))
    if hot.local == NULL or hot.base == NULL:
        return -1
    memcpy(hot.local, matrix + lo * dim, n * sizeof(float))
    memcpy(hot.base, hot.local, n * sizeof(float))
    return 0


cdef void hot_merge_part(HotRows* hot, float* matrix, int64_t lo, int64_t hi,
                         int dim) noexcept nogil:
    """Add this thread's change to rows ``[lo, hi)`` (those of them that are
    hot) since their last merge to the shared rows, then continue from the
    shared values (which include the other threads' work)."""
    cdef int64_t i, first, last
    cdef float* shared
    cdef float* local
    cdef float* base
    cdef float value
    if lo < hot.lo:
        lo = hot.lo
    if hi > hot.hi:
        hi = hot.hi
    if hi <= lo:
        return
    first = (lo - hot.lo) * dim
    last = (hi - hot.lo) * dim
    shared = matrix + hot.lo * dim
    local = hot.local
    base = hot.base
    for i in range(first, last):
        value = shared[i] + (local[i] - base[i])
        shared[i] = value
        local[i] = value
        base[i] = value


cdef inline void hot_merge(HotRows* hot, float* matrix, int dim) noexcept nogil:
    """Merge every hot row (see :func:`hot_merge_part`)."""
    hot_merge_part(hot, matrix, hot.lo, hot.hi, dim)


cdef void hot_free(HotRows* hot) noexcept nogil:
    free_rows(hot.local)
    free_rows(hot.base)
    hot.local = NULL
    hot.base = NULL


cdef inline float* input_row(W2VConfig* c, ThreadRows* rows, int64_t index) noexcept nogil:
    """Pointer to ``syn0`` row ``index`` (a private copy when it is hot)."""
    if rows.syn0.lo <= index < rows.syn0.hi:
        return rows.syn0.local + (index - rows.syn0.lo) * c.dim
    return row_of(&rows.syn0_sub, c.syn0, index, c.dim)


# ---------------------------------------------------------------------------
# Inputs. A word's input is a list of syn0 rows; the hidden vector of a
# prediction is the mean (or sum) of all rows of all its input words, and the
# gradient of the hidden vector is added to each of those rows in full (as
# fastText does for its unsupervised models, and word2vec for CBOW).
# ---------------------------------------------------------------------------
cdef inline int input_list(W2VConfig* c, int32_t word, const int32_t** first,
                           int32_t* single) noexcept nogil:
    """Set ``first`` to ``word``'s input rows and return how many there are.

    Without subwords the list is ``word`` itself, written to ``single``.
    """
    if c.input_offsets == NULL:
        single[0] = word
        first[0] = single
        return 1
    first[0] = c.input_rows + c.input_offsets[word]
    return <int>(c.input_offsets[word + 1] - c.input_offsets[word])


cdef inline int add_input(W2VConfig* c, ThreadRows* rows, int32_t word,
                          float* hidden) noexcept nogil:
    """``hidden += `` the sum of ``word``'s input rows; return their number."""
    cdef const int32_t* first
    cdef int32_t single
    cdef int n = input_list(c, word, &first, &single)
    cdef int k
    for k in range(n):
        vec_axpy(1.0, input_row(c, rows, first[k]), hidden, c.dim)
    return n


cdef inline float lock_factor(W2VConfig* c, int64_t row) noexcept nogil:
    """How much of an update syn0 row ``row`` takes (1 without lock factors)."""
    if c.lockf == NULL:
        return 1.0
    return c.lockf[row]


cdef inline void update_row(W2VConfig* c, const float* gradient, float* target,
                            int64_t row) noexcept nogil:
    """Add ``gradient`` to syn0 row ``row`` (at ``target``), scaled by its
    lock factor; a frozen row is not written at all, so it stays bit for bit."""
    cdef float lock = lock_factor(c, row)
    if lock != 0.0:
        vec_axpy(lock, gradient, target, c.dim)


cdef inline void update_input(W2VConfig* c, ThreadRows* rows, int32_t word,
                              const float* gradient) noexcept nogil:
    """Add ``gradient`` to each of ``word``'s input rows."""
    cdef const int32_t* first
    cdef int32_t single
    cdef int n = input_list(c, word, &first, &single)
    cdef int k
    for k in range(n):
        update_row(c, gradient, input_row(c, rows, first[k]), first[k])


# ---------------------------------------------------------------------------
# Per-thread state (fastText's Model::State): scratch vectors, the buffer of
# kept words, private hot rows, the generator, the learning rate and the
# tallies. Nothing in it is shared with other threads.
# ---------------------------------------------------------------------------
cdef struct ShardResult:
    double loss
    int64_t raw_words
    int64_t trained_words
    int64_t predictions


cdef struct ThreadState:
    int32_t* buf          # kept (not subsampled) words of the current sentence
    int cap
    int n                 # words in buf
    int centre            # next centre in buf (the ones before it are trained)
    float* neu1           # hidden vector
    float* neu1e          # gradient of the hidden vector
    float** out_rows      # negative sampling: the centre's output row, then the noise rows
    int32_t* out_words    # ... their words
    float* out_score      # ... their scores against one input, then their gradients
    float* out_grad       # ... their gradients summed over a window (shared negatives)
    float** ctx_rows      # skip-gram by window: the context words' input rows,
    int32_t* ctx_words    # ... their words,
    float* ctx_grad       # ... the gradients for those rows
    float* ctx_score      # ... and a block of them's scores against a stretch of nodes
    ThreadRows rows
    uint64_t rng
    float alpha
    int64_t* progress     # this thread's shared counter; NULL: fixed alpha
    int64_t unreported    # raw words not yet added to the counter
    int since_merge       # centre words since the hot rows were merged
    ShardResult out
    # deterministic training: the piece's first token and end, the part of
    # the call done when it starts and its span (the rate decays with the
    # piece's own progress, not the threads'), and where this run stops
    int64_t first
    int64_t last
    double progress_start
    double progress_span
    int64_t stop_at


# ---------------------------------------------------------------------------
# Output layers. Each takes the hidden vector ``l1``, updates the output
# weights of the predicted word (unless the output layer is frozen, as in
# inference) and adds the gradient for ``l1`` to ``neu1e`` (which the caller
# zeroes); it returns the loss of its predictions.
# ---------------------------------------------------------------------------
cdef inline void prefetch_window(W2VConfig* c, ThreadState* s, int i, int lo,
                                 int hi) noexcept nogil:
    """Deterministic training with whole-word inputs: start fetching the
    shared rows of the window's context words the piece has not copied yet."""
    cdef int j
    if s.rows.syn0.copies == NULL or c.input_offsets != NULL:
        return  # not training deterministically (or inferring documents)
    for j in range(lo, hi):
        if j != i:
            prefetch_uncopied(&s.rows.syn0, c.syn0, s.buf[j], c.dim)


cdef inline int draw_outputs(W2VConfig* c, ThreadState* s, int32_t target) noexcept nogil:
    """Fill ``s.out_rows`` with the target's output row, then the rows of
    ``negative`` draws (a draw of the target itself is dropped, as in
    word2vec), and start fetching them; return how many rows there are."""
    cdef int k, _
    cdef int count = 1
    cdef int32_t word
    if s.rows.syn1neg.copies != NULL:
        # draw first and start fetching the shared rows a piece has not
        # copied yet: the copies then wait for all of them at once, not
        # for each in turn
        s.out_words[0] = target
        prefetch_uncopied(&s.rows.syn1neg, c.syn1neg, target, c.out_dim)
        for _ in range(c.negative):
            word = alias_draw(c.ns_accept, c.ns_alias, c.vocab_size, &s.rng)
            if word != target:
                s.out_words[count] = word
                prefetch_uncopied(&s.rows.syn1neg, c.syn1neg, word, c.out_dim)
                count += 1
        for k in range(count):
            s.out_rows[k] = row_of(&s.rows.syn1neg, c.syn1neg, s.out_words[k], c.out_dim)
        return count
    s.out_rows[0] = row_of(&s.rows.syn1neg, c.syn1neg, target, c.out_dim)
    prefetch_row(s.out_rows[0], c.out_dim)
    for _ in range(c.negative):
        word = alias_draw(c.ns_accept, c.ns_alias, c.vocab_size, &s.rng)
        if word != target:
            s.out_rows[count] = row_of(&s.rows.syn1neg, c.syn1neg, word, c.out_dim)
            prefetch_row(s.out_rows[count], c.out_dim)
            count += 1
    return count


cdef inline double score_outputs(W2VConfig* c, ThreadState* s, const float* l1, int n_out,
                                 float alpha) noexcept nogil:
    """Score ``l1`` against the ``n_out`` rows of ``s.out_rows`` (the first
    is the positive example) and leave each one's gradient factor in
    ``s.out_score``; return the loss. All dot products come first: they are
    independent chains the core overlaps, where interleaving them with the
    updates made each wait for the last."""
    cdef int o = 0
    cdef float f
    cdef double loss = 0.0
    if c.out_dim != c.dim:
        # the wide rows of PV-DM by concatenation: four products a pass over l1
        while o + 4 <= n_out:
            vec_dot4(l1, s.out_rows[o], s.out_rows[o + 1], s.out_rows[o + 2],
                     s.out_rows[o + 3], c.out_dim, s.out_score + o)
            o += 4
    while o < n_out:
        s.out_score[o] = vec_dot(l1, s.out_rows[o], c.out_dim)
        o += 1
    for o in range(n_out):
        f = s.out_score[o]
        if o == 0:
            loss += neg_log_sigmoid(f)
            s.out_score[o] = (<float>1.0 - sigmoid(f)) * alpha
        else:
            loss += neg_log_sigmoid(-f)
            s.out_score[o] = -sigmoid(f) * alpha
    return loss


cdef inline void add_output_gradient(W2VConfig* c, ThreadState* s, int n_out,
                                     float* neu1e) noexcept nogil:
    """``neu1e +=`` the sum of the output rows weighted by their gradient factors."""
    cdef int o = 0
    if c.out_dim != c.dim:
        # wide rows: four of them a pass over neu1e
        while o + 4 <= n_out:
            vec_axpy4(s.out_score + o, s.out_rows[o], s.out_rows[o + 1], s.out_rows[o + 2],
                      s.out_rows[o + 3], neu1e, c.out_dim)
            o += 4
    while o < n_out:
        vec_axpy(s.out_score[o], s.out_rows[o], neu1e, c.out_dim)
        o += 1


cdef inline double negative_sampling_update(W2VConfig* c, ThreadState* s, const float* l1,
                                            float* neu1e, int32_t target,
                                            float alpha) noexcept nogil:
    """One prediction of ``target`` against ``negative`` noise words. Every
    output row is read as it was before this prediction (a noise word drawn
    twice gets both updates, computed from its old row)."""
    cdef int o = 0
    cdef int n_out = draw_outputs(c, s, target)
    cdef double loss = score_outputs(c, s, l1, n_out, alpha)
    add_output_gradient(c, s, n_out, neu1e)
    if c.learn_hidden:
        if c.out_dim != c.dim:
            # wide rows: four updates a pass over l1
            while o + 4 <= n_out:
                vec_axpy_into4(s.out_score + o, l1, s.out_rows[o], s.out_rows[o + 1],
                               s.out_rows[o + 2], s.out_rows[o + 3], c.out_dim)
                o += 4
        while o < n_out:
            vec_axpy(s.out_score[o], l1, s.out_rows[o], c.out_dim)
            o += 1
    return loss


cdef inline void fetch_path_nodes(W2VConfig* c, ThreadRows* rows, int64_t first, int n,
                                  float** nodes) noexcept nogil:
    """Point ``nodes`` at the ``n`` Huffman nodes listed from
    ``hs_points[first]`` and start fetching them."""
    cdef int k
    for k in range(n):
        nodes[k] = row_of(&rows.syn1, c.syn1, c.hs_points[first + k], c.out_dim)
        prefetch_row(nodes[k], c.out_dim)


cdef inline double path_gradients(W2VConfig* c, int64_t first, int n, float* scores,
                                  float alpha) noexcept nogil:
    """Turn the scores of the ``n`` nodes listed from ``hs_points[first]``
    into their gradient factors, in place; return the loss."""
    cdef int k, code
    cdef float f
    cdef double loss = 0.0
    for k in range(n):
        f = scores[k]
        code = c.hs_codes[first + k]
        # code 0 means "go left", trained towards sigmoid(f) = 1
        loss += neg_log_sigmoid(f if code == 0 else -f)
        scores[k] = (<float>(1 - code) - sigmoid(f)) * alpha
    return loss


cdef inline double hierarchical_softmax_update(W2VConfig* c, ThreadRows* rows, const float* l1,
                                               float* neu1e, int32_t target,
                                               float alpha) noexcept nogil:
    """One prediction of ``target`` down its Huffman path. The path's rows
    are distinct and ``l1`` does not change here, so scoring a stretch of
    nodes before updating any of them gives word2vec's result exactly, while
    letting the core overlap the dot products (and fetch the rows early)."""
    cdef int64_t offset = c.hs_offsets[target]
    cdef int length = c.hs_lengths[target]
    cdef float* nodes[HS_STRETCH]
    cdef float factor[HS_STRETCH]
    cdef int start, k, n
    cdef double loss = 0.0
    start = 0
    while start < length:
        n = min(<int>HS_STRETCH, length - start)
        fetch_path_nodes(c, rows, offset + start, n, nodes)
        for k in range(n):
            factor[k] = vec_dot(l1, nodes[k], c.out_dim)
        loss += path_gradients(c, offset + start, n, factor, alpha)
        for k in range(n):
            vec_axpy(factor[k], nodes[k], neu1e, c.out_dim)
        if c.learn_hidden:
            for k in range(n):
                vec_axpy(factor[k], l1, nodes[k], c.out_dim)
        start += n
    return loss


cdef inline double predict(W2VConfig* c, ThreadState* s, const float* l1, float* neu1e,
                           int32_t target, float alpha) noexcept nogil:
    cdef double loss = 0.0
    if c.hs:
        loss += hierarchical_softmax_update(c, &s.rows, l1, neu1e, target, alpha)
    if c.negative > 0:
        loss += negative_sampling_update(c, s, l1, neu1e, target, alpha)
    return loss


cdef inline bint keep_word(W2VConfig* c, int32_t word, uint64_t* rng) noexcept nogil:
    """Frequent-word subsampling: keep ``word`` with its precomputed probability."""
    cdef uint32_t threshold = c.keep_threshold[word]
    if threshold == UINT32_MAX:
        return True
    return rng_u32(rng) <= threshold


cdef inline int64_t words_done(W2VConfig* c) noexcept nogil:
    """Raw words all threads have reported."""
    cdef int64_t done = 0
    cdef int t
    for t in range(c.n_threads):
        done += c.progress[t * SLOT_STRIDE]
    return done


cdef inline float alpha_at(W2VConfig* c, double frac) noexcept nogil:
    """The learning rate once ``frac`` of the call is done (linear decay)."""
    if frac > 1.0:
        frac = 1.0
    return <float>(c.start_alpha - (c.start_alpha - c.end_alpha) * frac)


cdef inline float current_alpha(W2VConfig* c) noexcept nogil:
    """Linearly decayed learning rate from the words all threads have done."""
    cdef int64_t done = words_done(c)
    return alpha_at(c, <double>done / <double>c.total_words if c.total_words > 0 else 1.0)


cdef inline float piece_alpha(ThreadState* s, W2VConfig* c, int64_t pos) noexcept nogil:
    """Deterministic training's rate: from how far the piece itself is, which
    stands for the call's progress (the pieces advance together, round by
    round) and, unlike the threads' counters, is the same in every run."""
    cdef double within = <double>(pos - s.first) / <double>(s.last - s.first) \
        if s.last > s.first else 1.0
    return alpha_at(c, s.progress_start + s.progress_span * within)


cdef inline int buffer_capacity(W2VConfig* c) noexcept nogil:
    """Kept words a thread buffers from a sentence (a paused cursor saves up
    to this many)."""
    return 8192 + 4 * c.window


cdef int state_init(W2VConfig* c, ThreadState* s, int64_t* progress, uint64_t rng,
                    PieceCopies* copies) noexcept nogil:
    """Allocate a thread's state; -1 if memory ran out (free it all the same).
    With ``copies`` (deterministic training) every row goes through them."""
    cdef int64_t hot = c.hot_rows
    cdef int64_t inner_nodes = c.vocab_size - 1
    cdef int status = 0
    s.cap = buffer_capacity(c)
    s.buf = <int32_t*>malloc(s.cap * sizeof(int32_t))
    s.neu1 = <float*>malloc(c.out_dim * sizeof(float))
    s.neu1e = <float*>malloc(c.out_dim * sizeof(float))
    s.out_rows = <float**>malloc((c.negative + 1) * sizeof(float*))
    s.out_words = <int32_t*>malloc((c.negative + 1) * sizeof(int32_t))
    s.out_grad = <float*>malloc((c.negative + 1) * c.dim * sizeof(float))
    s.out_score = <float*>malloc((c.negative + 1) * sizeof(float))
    s.ctx_rows = <float**>malloc((2 * c.window + 1) * sizeof(float*))
    s.ctx_words = <int32_t*>malloc((2 * c.window + 1) * sizeof(int32_t))
    s.ctx_grad = <float*>malloc((2 * c.window + 1) * c.dim * sizeof(float))
    s.ctx_score = <float*>malloc(4 * HS_STRETCH * sizeof(float))
    s.n = 0
    s.centre = 0
    s.rng = rng
    s.progress = progress
    s.unreported = 0
    s.since_merge = 0
    s.out.loss = 0.0
    s.out.raw_words = 0
    s.out.trained_words = 0
    s.out.predictions = 0
    # hot rows: the most frequent words (ids are sorted by count), the rows
    # after the vocabulary (n-grams, ordered by use) and the Huffman nodes
    # nearest the root (the highest inner-node ids)
    status |= hot_init(&s.rows.syn0, c.syn0, 0, min(hot, c.vocab_size), c.dim)
    status |= hot_init(&s.rows.syn0_sub, c.syn0, c.vocab_size,
                       min(c.vocab_size + hot, c.syn0_rows), c.dim)
    status |= hot_init(&s.rows.syn1neg, c.syn1neg, 0,
                       min(hot, c.vocab_size) if c.negative > 0 else 0, c.out_dim)
    status |= hot_init(&s.rows.syn1, c.syn1, max(inner_nodes - hot, 0),
                       inner_nodes if c.hs else 0, c.out_dim)
    hot_init(&s.rows.docvecs, c.docvecs, 0, 0, c.dim)
    if copies != NULL:
        s.rows.syn0.copies = &copies.syn0
        s.rows.syn0_sub.copies = &copies.syn0
        s.rows.syn1neg.copies = &copies.syn1neg
        s.rows.syn1.copies = &copies.syn1
        s.rows.docvecs.copies = &copies.docvecs
    s.first = 0
    s.last = 0
    s.progress_start = 0.0
    s.progress_span = 0.0
    s.stop_at = INT64_MAX
    s.alpha = current_alpha(c) if progress != NULL else c.start_alpha
    if (s.buf == NULL or s.neu1 == NULL or s.neu1e == NULL or s.out_rows == NULL
            or s.out_words == NULL
            or s.out_grad == NULL or s.out_score == NULL or s.ctx_rows == NULL
            or s.ctx_words == NULL or s.ctx_grad == NULL or s.ctx_score == NULL
            or status != 0):
        return -1
    return 0


cdef inline void merge_hot_rows(W2VConfig* c, ThreadRows* rows) noexcept nogil:
    hot_merge(&rows.syn0, c.syn0, c.dim)
    hot_merge(&rows.syn0_sub, c.syn0, c.dim)
    hot_merge(&rows.syn1neg, c.syn1neg, c.out_dim)
    hot_merge(&rows.syn1, c.syn1, c.out_dim)


cdef inline void merge_hottest_rows(W2VConfig* c, ThreadRows* rows) noexcept nogil:
    """Merge only the ``hottest_rows`` rows of each matrix that every
    prediction writes: the most frequent words' rows (the lowest ids) and
    the Huffman nodes nearest the root (the highest ids)."""
    cdef int64_t n = c.hottest_rows
    cdef int64_t top = c.vocab_size - 1
    hot_merge_part(&rows.syn0, c.syn0, 0, n, c.dim)
    hot_merge_part(&rows.syn0_sub, c.syn0, c.vocab_size, c.vocab_size + n, c.dim)
    hot_merge_part(&rows.syn1neg, c.syn1neg, 0, n, c.out_dim)
    hot_merge_part(&rows.syn1, c.syn1, top - n, top, c.out_dim)


cdef void state_free(ThreadState* s) noexcept nogil:
    free(s.buf)
    free(s.neu1)
    free(s.neu1e)
    free(s.out_rows)
    free(s.out_words)
    free(s.out_grad)
    free(s.out_score)
    free(s.ctx_rows)
    free(s.ctx_words)
    free(s.ctx_grad)
    free(s.ctx_score)
    s.ctx_rows = NULL
    s.ctx_words = NULL
    s.ctx_grad = NULL
    s.ctx_score = NULL
    s.buf = NULL
    s.neu1 = NULL
    s.neu1e = NULL
    s.out_rows = NULL
    s.out_words = NULL
    s.out_grad = NULL
    s.out_score = NULL
    hot_free(&s.rows.syn0)
    hot_free(&s.rows.syn0_sub)
    hot_free(&s.rows.syn1neg)
    hot_free(&s.rows.syn1)


# ---------------------------------------------------------------------------
# One centre word. Skip-gram and CBOW over input lists; documents add their
# tag rows to CBOW's input (PV-DM) or predict the word from each of them
# (PV-DBOW).
# ---------------------------------------------------------------------------
cdef inline double train_skipgram_centre(W2VConfig* c, ThreadState* s, int i, int lo,
                                         int hi) noexcept nogil:
    """Word2Vec skip-gram: each context word's own row predicts the centre."""
    cdef int j
    cdef float* l1
    cdef double loss = 0.0
    for j in range(lo, hi):
        if j == i:
            continue
        l1 = row_of(&s.rows.syn0, c.syn0, s.buf[j], c.dim)
        vec_zero(s.neu1e, c.dim)
        loss += predict(c, s, l1, s.neu1e, s.buf[i], s.alpha)
        update_row(c, s.neu1e, l1, s.buf[j])
    return loss


cdef inline void score_stretch(W2VConfig* c, float** nodes, int n, float** ctx, int n_ctx,
                               float* scores) noexcept nogil:
    """``scores[m * HS_STRETCH + k] =`` context row ``m`` dotted with node
    ``k``, four context rows a pass over each node."""
    cdef int k, m, q
    cdef float four[4]
    for k in range(n):
        m = 0
        while m + 4 <= n_ctx:
            vec_dot4(nodes[k], ctx[m], ctx[m + 1], ctx[m + 2], ctx[m + 3], c.dim, four)
            for q in range(4):
                scores[(m + q) * HS_STRETCH + k] = four[q]
            m += 4
        while m < n_ctx:
            scores[m * HS_STRETCH + k] = vec_dot(nodes[k], ctx[m], c.dim)
            m += 1


cdef inline void add_weighted_rows(const float* weights, int stride, float** rows, int n,
                                   float* target, int dim) noexcept nogil:
    """``target +=`` the sum of ``weights[k * stride] * rows[k]`` over ``k < n``,
    four rows a pass over ``target``."""
    cdef int k = 0
    cdef float four[4]
    while k + 4 <= n:
        four[0] = weights[k * stride]
        four[1] = weights[(k + 1) * stride]
        four[2] = weights[(k + 2) * stride]
        four[3] = weights[(k + 3) * stride]
        vec_axpy4(four, rows[k], rows[k + 1], rows[k + 2], rows[k + 3], target, dim)
        k += 4
    while k < n:
        vec_axpy(weights[k * stride], rows[k], target, dim)
        k += 1


cdef inline double hs_path_block(W2VConfig* c, ThreadState* s, int32_t target, float** ctx,
                                 int n_ctx, float* ctx_grad) noexcept nogil:
    """``n_ctx`` context rows predict ``target`` down its Huffman path, all
    scored against the nodes as they are; the nodes then take the block's
    summed change and ``ctx_grad`` (a row a context) the contexts'."""
    cdef int64_t offset = c.hs_offsets[target]
    cdef int length = c.hs_lengths[target]
    cdef float* nodes[HS_STRETCH]
    cdef float* score
    cdef int start, k, m, n
    cdef double loss = 0.0
    start = 0
    while start < length:
        n = min(<int>HS_STRETCH, length - start)
        fetch_path_nodes(c, &s.rows, offset + start, n, nodes)
        score_stretch(c, nodes, n, ctx, n_ctx, s.ctx_score)
        for m in range(n_ctx):
            score = s.ctx_score + m * HS_STRETCH
            loss += path_gradients(c, offset + start, n, score, s.alpha)
            add_weighted_rows(score, 1, nodes, n, ctx_grad + m * c.dim, c.dim)
        if c.learn_hidden:
            for k in range(n):
                add_weighted_rows(s.ctx_score + k, HS_STRETCH, ctx, n_ctx, nodes[k], c.dim)
        start += n
    return loss


cdef inline double train_skipgram_hs_window(W2VConfig* c, ThreadState* s, int i, int lo,
                                            int hi) noexcept nogil:
    """Skip-gram hierarchical softmax, four context words at a time.

    Every context word predicts the centre down the same Huffman path, so
    a block of context words is three small matrix products: the context
    rows times the path's node rows (scores), the scores' gradients times
    the nodes (the contexts' gradients) and times the contexts (the nodes'
    changes). Each is done four rows a pass, loading every chunk of a row
    once for four multiply-adds. The contexts of a block see the nodes as
    they were at the block's start and the nodes take the block's summed
    change at its end (word2vec updates them after each context word; a
    block of four is what the products need, and it loses less quality on
    small corpora than batching the whole window). The context rows take
    their gradients at the window's end.
    """
    cdef int j, m
    cdef int n_ctx = 0
    cdef double loss = 0.0
    for j in range(lo, hi):
        if j != i:
            s.ctx_words[n_ctx] = s.buf[j]
            s.ctx_rows[n_ctx] = row_of(&s.rows.syn0, c.syn0, s.buf[j], c.dim)
            n_ctx += 1
    vec_zero(s.ctx_grad, n_ctx * c.dim)
    for m in range(0, n_ctx, 4):
        loss += hs_path_block(c, s, s.buf[i], s.ctx_rows + m, min(4, n_ctx - m),
                              s.ctx_grad + m * c.dim)
    for m in range(n_ctx):
        update_row(c, s.ctx_grad + m * c.dim, s.ctx_rows[m], s.ctx_words[m])
    return loss


cdef inline double train_skipgram_shared_centre(W2VConfig* c, ThreadState* s, int i, int lo,
                                                int hi) noexcept nogil:
    """Skip-gram with negatives shared by the window (Ji et al. 2016,
    "Parallelizing Word2Vec in Shared and Distributed Memory").

    Every context word's row predicts the centre against the same
    ``negative`` draws, so a window's output rows are fetched (and drawn)
    once instead of once a context word; they stay in L1 while every context
    row is scored against them. Their gradients are summed over the window
    and applied at its end: each context sees the output rows as they were
    at the window's start, the batched update of the paper. Hierarchical
    softmax, when on, is trained by window first (see
    :func:`train_skipgram_hs_window`).
    """
    cdef int j, o
    cdef int n_out
    cdef float* l1
    cdef double loss = 0.0
    if c.hs:
        loss += train_skipgram_hs_window(c, s, i, lo, hi)
    if c.negative == 0:
        return loss
    prefetch_window(c, s, i, lo, hi)
    n_out = draw_outputs(c, s, s.buf[i])
    vec_zero(s.out_grad, n_out * c.dim)
    for j in range(lo, hi):
        if j == i:
            continue
        l1 = row_of(&s.rows.syn0, c.syn0, s.buf[j], c.dim)
        vec_zero(s.neu1e, c.dim)
        loss += score_outputs(c, s, l1, n_out, s.alpha)
        add_output_gradient(c, s, n_out, s.neu1e)
        if c.learn_hidden:
            for o in range(n_out):
                vec_axpy(s.out_score[o], l1, s.out_grad + o * c.dim, c.dim)
        update_row(c, s.neu1e, l1, s.buf[j])
    if c.learn_hidden:
        for o in range(n_out):
            vec_axpy(1.0, s.out_grad + o * c.dim, s.out_rows[o], c.dim)
    return loss


cdef inline double train_skipgram_subword_centre(W2VConfig* c, ThreadState* s, int i, int lo,
                                                 int hi) noexcept nogil:
    """Skip-gram over a list of input rows: the centre word's rows predict each
    context word (fastText's direction). The hidden vector is built once per
    centre and the rows are updated once with the gradients of all its
    predictions, instead of once per context word: averaging some twenty rows
    is the costly part, and doing it per prediction would multiply it."""
    cdef int j
    cdef int count
    cdef double loss = 0.0
    vec_zero(s.neu1, c.dim)
    count = add_input(c, &s.rows, s.buf[i], s.neu1)
    if count == 0 or hi - lo <= 1:
        return 0.0
    vec_scale(1.0 / count, s.neu1, c.dim)
    vec_zero(s.neu1e, c.dim)
    for j in range(lo, hi):
        if j != i:
            loss += predict(c, s, s.neu1, s.neu1e, s.buf[j], s.alpha)
    update_input(c, &s.rows, s.buf[i], s.neu1e)
    return loss


cdef inline double train_cbow_centre(W2VConfig* c, ThreadState* s, int i, int lo, int hi,
                                     const int32_t* tags, int n_tags) noexcept nogil:
    """CBOW: the mean (or sum) of the context words' input rows, and of the
    document's tag rows (PV-DM), predicts the centre word."""
    cdef int j, t
    cdef int count = 0
    cdef double loss
    prefetch_window(c, s, i, lo, hi)
    vec_zero(s.neu1, c.dim)
    for j in range(lo, hi):
        if j != i:
            count += add_input(c, &s.rows, s.buf[j], s.neu1)
    for t in range(n_tags):
        vec_axpy(1.0, doc_row(c, &s.rows, tags[t]), s.neu1, c.dim)
    count += n_tags
    if count == 0:
        return 0.0
    if c.cbow_mean:
        vec_scale(1.0 / count, s.neu1, c.dim)
    vec_zero(s.neu1e, c.dim)
    loss = predict(c, s, s.neu1, s.neu1e, s.buf[i], s.alpha)
    if not c.cbow_mean:
        # the input was a sum: share its gradient out over the summands
        vec_scale(1.0 / count, s.neu1e, c.dim)
    if c.learn_words:
        for j in range(lo, hi):
            if j != i:
                update_input(c, &s.rows, s.buf[j], s.neu1e)
    for t in range(n_tags):
        vec_axpy(1.0, s.neu1e, doc_row(c, &s.rows, tags[t]), c.dim)
    return loss


cdef inline double train_dbow_centre(W2VConfig* c, ThreadState* s, int i, const int32_t* tags,
                                     int n_tags) noexcept nogil:
    """PV-DBOW: each of the document's tag rows predicts the centre word."""
    cdef int t
    cdef float* l1
    cdef double loss = 0.0
    for t in range(n_tags):
        l1 = doc_row(c, &s.rows, tags[t])
        vec_zero(s.neu1e, c.dim)
        loss += predict(c, s, l1, s.neu1e, s.buf[i], s.alpha)
        vec_axpy(1.0, s.neu1e, l1, c.dim)
    return loss


cdef inline double train_dm_concat_centre(W2VConfig* c, ThreadState* s, int i,
                                          const int32_t* tags, int n_tags) noexcept nogil:
    """PV-DM by concatenation: the document's tag rows and the rows of the
    ``window`` words on each side of the centre (the null word's where the
    document ends), side by side, predict the centre word. A document with
    other than ``dm_tag_count`` tags trains nothing (gensim's rule); with
    one tag where more are expected (inference) it fills every tag slot."""
    cdef int t, m, j, word
    cdef int dim = c.dim
    cdef int n_ctx = 2 * c.window
    cdef float* row
    cdef double loss
    if n_tags != c.dm_tag_count and not (n_tags == 1 and not c.learn_hidden):
        return 0.0
    for t in range(c.dm_tag_count):
        row = doc_row(c, &s.rows, tags[t if n_tags > 1 else 0])
        memcpy(s.neu1 + t * dim, row, dim * sizeof(float))
    for m in range(n_ctx):
        # the window before the centre, then the one after it
        j = i - c.window + m if m < c.window else i + 1 + m - c.window
        word = s.buf[j] if 0 <= j < s.n else c.null_word
        s.ctx_words[m] = word
        s.ctx_rows[m] = input_row(c, &s.rows, word)
        memcpy(s.neu1 + (c.dm_tag_count + m) * dim, s.ctx_rows[m], dim * sizeof(float))
    vec_zero(s.neu1e, c.out_dim)
    loss = predict(c, s, s.neu1, s.neu1e, s.buf[i], s.alpha)
    if c.learn_words:
        for m in range(n_ctx):
            update_row(c, s.neu1e + (c.dm_tag_count + m) * dim, s.ctx_rows[m], s.ctx_words[m])
    for t in range(c.dm_tag_count):
        vec_axpy(1.0, s.neu1e + t * dim, doc_row(c, &s.rows, tags[t if n_tags > 1 else 0]),
                 dim)
    return loss


cdef inline bint uses_shared_negatives(W2VConfig* c) noexcept nogil:
    """Whether skip-gram trains a window at a time (negatives shared by the
    window, the Huffman path batched): whole-word inputs (no subword lists)."""
    return c.sg and c.shared_negatives and c.input_offsets == NULL


cdef inline void train_centre(W2VConfig* c, ThreadState* s, int i, int lo, int hi,
                              const int32_t* tags, int n_tags) noexcept nogil:
    """Train centre ``buf[i]`` with context ``buf[lo:hi]`` in the model's mode."""
    if c.docvecs != NULL and not c.dm:
        s.out.loss += train_dbow_centre(c, s, i, tags, n_tags)
        s.out.predictions += n_tags
        if not c.learn_words:
            return  # PV-DBOW trains words (skip-gram) only with dbow_words
    if c.dm_concat:
        s.out.loss += train_dm_concat_centre(c, s, i, tags, n_tags)
        s.out.predictions += 1 if n_tags == c.dm_tag_count or not c.learn_hidden else 0
        return
    if c.sg and hi - lo <= 1:
        return
    if c.sg and c.input_offsets != NULL:
        s.out.loss += train_skipgram_subword_centre(c, s, i, lo, hi)
        s.out.predictions += hi - lo - 1
    elif uses_shared_negatives(c):
        s.out.loss += train_skipgram_shared_centre(c, s, i, lo, hi)
        s.out.predictions += hi - lo - 1
    elif c.sg:
        s.out.loss += train_skipgram_centre(c, s, i, lo, hi)
        s.out.predictions += hi - lo - 1
    else:
        s.out.loss += train_cbow_centre(c, s, i, lo, hi, tags, n_tags)
        s.out.predictions += 1 if hi - lo > 1 or n_tags > 0 else 0


cdef inline bint pause_requested(W2VConfig* c) noexcept nogil:
    """Ctrl-C (``stop_flag[0]``), a checkpoint due by time (``stop_flag[1]``)
    or by words (``pause_at``) asks the threads to stop where their state
    can be saved."""
    return c.stop_flag[0] != 0 or c.stop_flag[1] != 0 or words_done(c) >= c.pause_at[0]


cdef inline bint should_pause(W2VConfig* c, ThreadState* s, int64_t pos) noexcept nogil:
    """Whether to pause at token ``pos``: on request, or in deterministic
    training only at the end of the piece's round (pauses for checkpoints
    and Ctrl-C wait for the round to end, so that they change nothing)."""
    if c.deterministic:
        return pos >= s.stop_at
    return pause_requested(c)


cdef int64_t train_span(W2VConfig* c, ThreadState* s, int64_t pos, int64_t span_end,
                        int64_t sentence) noexcept nogil:
    """Train tokens ``[pos, span_end)``, all of sentence ``sentence``; return
    the position reached: ``span_end``, or less if a pause was requested.

    Long sentences stream through the bounded buffer of kept words: a centre
    is trained once its whole right context is in the buffer, and ``window``
    words of left context are kept when the buffer is refilled, so a sentence
    of any length trains exactly as if it were in memory. A pause happens
    only just before a refill, where the buffer (``s.n`` words, the next
    centre ``s.centre``), the generator and the rate are the whole state: a
    later call with the same state continues exactly as if never paused.
    """
    cdef int n = s.n
    cdef int centre = s.centre
    cdef int limit, i, lo, hi, reduce, shift
    cdef int32_t word
    cdef bint sentence_done
    cdef const int32_t* tags = NULL
    cdef int n_tags = 0
    if c.docvecs != NULL:
        tags = c.doc_rows + c.doc_offsets[sentence]
        n_tags = <int>(c.doc_offsets[sentence + 1] - c.doc_offsets[sentence])
    while True:
        while n < s.cap and pos < span_end:
            word = c.tokens[pos]
            pos += 1
            s.unreported += 1
            if keep_word(c, word, &s.rng):
                s.buf[n] = word
                n += 1
        sentence_done = pos >= span_end
        limit = n if sentence_done else n - c.window
        s.n = n  # the words buffered, for the centres that read past lo..hi
        for i in range(centre, limit):
            reduce = <int>(rng_next(&s.rng) % <uint64_t>c.window) if c.shrink_windows else 0
            lo = i - c.window + reduce
            if lo < 0:
                lo = 0
            hi = i + c.window + 1 - reduce
            if hi > n:
                hi = n
            train_centre(c, s, i, lo, hi, tags, n_tags)
            s.since_merge += 1
            if s.since_merge >= c.merge_every:
                merge_hot_rows(c, &s.rows)
                s.since_merge = 0
            elif c.merge_hottest_every > 0 and s.since_merge % c.merge_hottest_every == 0:
                merge_hottest_rows(c, &s.rows)
        if limit > centre:
            s.out.trained_words += limit - centre
            centre = limit
        if s.unreported >= REPORT_EVERY and s.progress != NULL:
            s.progress[0] += s.unreported
            s.out.raw_words += s.unreported
            s.unreported = 0
            s.alpha = piece_alpha(s, c, pos) if c.deterministic else current_alpha(c)
        if sentence_done:
            n = 0
            centre = 0
            break
        # keep `window` words of left context for the centres still to come
        shift = centre - c.window
        if shift > 0:
            memmove(s.buf, s.buf + shift, (n - shift) * sizeof(int32_t))
            n -= shift
            centre -= shift
        if should_pause(c, s, pos):
            break
    s.n = n
    s.centre = centre
    return pos


cdef void state_finish(W2VConfig* c, ThreadState* s, ShardResult* out) noexcept nogil:
    """Report the last words, merge the hot rows, hand over the tallies."""
    if s.progress != NULL:
        s.progress[0] += s.unreported
    s.out.raw_words += s.unreported
    s.unreported = 0
    merge_hot_rows(c, &s.rows)
    out[0] = s.out


cdef struct Cursor:
    # Where one thread stands in its shard of one epoch, and everything its
    # ThreadState must get back to continue from there.
    int64_t pos           # next token to read
    int64_t end           # end of the shard
    int64_t sentence      # sentence containing pos
    uint64_t rng
    float alpha
    int64_t unreported
    int since_merge
    int n                 # buffered words (saved beside the cursor)
    int centre
    ShardResult out
    int started           # the state above comes from a pause, not a fresh shard
    int finished
    # deterministic training (see ThreadState)
    int64_t first
    double progress_start
    double progress_span


cdef int run_cursor(W2VConfig* c, int thread_id, Cursor* cur, int32_t* saved,
                    PieceCopies* copies, int64_t stop_at) noexcept nogil:
    """Train a piece on thread ``thread_id`` from ``cur`` until it ends or a pause is
    requested, and leave in ``cur`` (and the buffer copy ``saved``) where it
    stopped. Returns -1 if memory ran out.

    In deterministic training the piece reads and writes only its
    ``copies`` and pauses (at the next sentence or buffer refill) once past
    token ``stop_at``, the end of its round.

    A pause merges the hot rows, so the shared matrices then hold all that
    was learned, but keeps the words read since the last report in the
    cursor: the learning rate must not see them early.
    """
    cdef ThreadState s
    cdef int64_t pos = cur.pos
    cdef int64_t sentence = cur.sentence
    cdef int64_t sentence_end
    if state_init(c, &s, c.progress + thread_id * SLOT_STRIDE, cur.rng, copies) != 0:
        state_free(&s)
        return -1
    if c.deterministic:
        s.first = cur.first
        s.last = cur.end
        s.progress_start = cur.progress_start
        s.progress_span = cur.progress_span
        s.stop_at = stop_at
        s.alpha = piece_alpha(&s, c, pos)
    if cur.started:
        s.alpha = cur.alpha
        s.unreported = cur.unreported
        s.since_merge = cur.since_merge
        s.n = cur.n
        s.centre = cur.centre
        s.out = cur.out
        memcpy(s.buf, saved, cur.n * sizeof(int32_t))
    while pos < cur.end and sentence < c.n_sentences:
        if s.n == 0 and should_pause(c, &s, pos):
            break
        sentence_end = c.sentence_ends[sentence]
        if sentence_end > cur.end:
            sentence_end = cur.end
        pos = train_span(c, &s, pos, sentence_end, sentence)
        if pos < sentence_end:
            break  # paused inside the sentence
        if pos >= c.sentence_ends[sentence]:
            sentence += 1
    cur.pos = pos
    cur.sentence = sentence
    cur.finished = pos >= cur.end or sentence >= c.n_sentences
    if cur.finished:
        state_finish(c, &s, &cur.out)
    else:
        merge_hot_rows(c, &s.rows)
        cur.rng = s.rng
        cur.alpha = s.alpha
        cur.unreported = s.unreported
        cur.since_merge = s.since_merge
        cur.n = s.n
        cur.centre = s.centre
        cur.out = s.out
        cur.started = 1
        memcpy(saved, s.buf, s.n * sizeof(int32_t))
    state_free(&s)
    return 0


cdef inline uint64_t document_hash(const int32_t* tokens, int64_t n) noexcept nogil:
    """64-bit FNV-1a of a document's word ids: its identity for inference."""
    cdef uint64_t h = <uint64_t>14695981039346656037ULL
    cdef int64_t k
    for k in range(n):
        h = (h ^ <uint64_t><uint32_t>tokens[k]) * <uint64_t>1099511628211ULL
    return h


cdef int infer_documents(W2VConfig* c, int64_t first, int64_t last, int epochs, float alpha,
                         float min_alpha, uint64_t seed, ShardResult* out) noexcept nogil:
    """Fit the tag row of each document ``first..last-1`` (one row each, row
    ``d`` for document ``d``) with words and output layer frozen.

    Every document starts from a row and a random stream derived from the
    model seed and its own word ids, and the learning rate falls linearly
    from ``alpha`` to ``min_alpha`` over its epochs, so a document's vector
    depends on nothing else: not on the batch, the thread or earlier calls.
    """
    cdef ThreadState s
    cdef int64_t d, start, end
    cdef int epoch, k
    cdef uint64_t doc_seed
    cdef float* row
    if state_init(c, &s, NULL, 1, NULL) != 0:
        state_free(&s)
        return -1
    for d in range(first, last):
        start = c.sentence_ends[d - 1] if d > 0 else 0
        end = c.sentence_ends[d]
        doc_seed = splitmix64(seed ^ document_hash(c.tokens + start, end - start))
        row = c.docvecs + c.doc_rows[c.doc_offsets[d]] * <int64_t>c.dim
        for k in range(c.dim):
            row[k] = uniform_entry(doc_seed, k, 0.5 / c.dim)
        for epoch in range(epochs):
            s.alpha = alpha - (alpha - min_alpha) * epoch / (epochs - 1 if epochs > 1 else 1)
            s.rng = rng_seed(doc_seed, 0, <uint64_t>epoch)
            s.n = 0
            s.centre = 0
            train_span(c, &s, start, end, d)
    state_finish(c, &s, out)
    state_free(&s)
    return 0


def _check_rows(offsets, rows, int64_t n_rows, str name):
    """Reject row lists the kernel could read out of bounds with."""
    if offsets[0] != 0 or offsets[len(offsets) - 1] != rows.shape[0] or \
            np.any(np.diff(offsets) < 0):
        raise ValueError(f"{name}_offsets must rise from 0 to len({name}_rows)")
    if rows.shape[0] and (rows.min() < 0 or rows.max() >= n_rows):
        raise ValueError(f"{name}_rows must index {n_rows} rows")


def _check_input_lists(input_offsets, input_rows, int32_t vocab_size, int64_t syn0_rows):
    """Reject input lists the kernel could read out of bounds with."""
    if input_offsets.shape != (vocab_size + 1,):
        raise ValueError(f"input_offsets must have {vocab_size + 1} entries, "
                         f"got {input_offsets.shape}")
    _check_rows(input_offsets, input_rows, syn0_rows, "input")


cdef tuple private_row_defaults(W2VConfig* c, int writers):
    """``(hot_rows, merge_every, hottest_rows, merge_hottest_every)`` for the
    mode of ``c``: how many rows of each matrix a thread keeps private and
    how often (in centre words) it merges them.

    ``writers`` is the number of threads training the weights (in every
    process that shares them). One keeps none. With several, every private
    row saves the cache
    line the threads would bounce between them on each update, but costs a
    copy in each thread's cache and a pass at every merge; which side wins
    depends on how many predictions write the row. Measured on gcide8, two
    threads against one, interleaved (README, "Thread scaling"):

    - skip-gram by window with negatives alone: 8,192 rows merged every
      262,144 centres (merging every 8,192 lost a fifth of the speed);
    - CBOW with negatives alone: no private rows; Hogwild on
      every row was faster than any private set tried (512-8,192 rows);
    - hierarchical softmax: every prediction writes the nodes nearest the
      root, so the 256 of them (and the 256 most frequent words) merge
      every 2,048 centres (skip-gram) or 4,096 (CBOW) and the rest of the
      private set (8,192 rows, CBOW 2,048) every 131,072; merging all of
      them that rarely lost 0.005-0.007 of analogy accuracy in CBOW, merging all
      of them that often a sixth of the speed;
    - skip-gram over subwords (FastText): no private rows. With 2,048 of
      them merged every 8,192 centres, analogy accuracy was 0.650 and
      0.652 (seeds 1, 2; fastText's C++ 0.667) and without them 0.664,
      0.656, 0.665, at the same speed (gcide8, fastText's settings);
    - CBOW over subwords, document inputs and per-pair skip-gram were not
      measured again and keep the settings from before: 2,048 rows merged
      every 8,192 centres, with hierarchical softmax every 2,048
      (skip-gram) or 4,096 (CBOW).

    With more than two threads no row is private. A merge adds each thread's
    whole change, and the rows written most (``the``'s, the root's) reach
    their local optimum within one merge period on every copy: N threads
    then move the row N times its distance to the optimum. Two threads
    overshoot by exactly that distance (the row swings about the optimum and
    stays bounded); three or more multiply the error at every merge, and
    skip-gram diverged on the KJV with 3, 4 and 8 threads, with merges every
    8,192 centres as well as 262,144. Only merges every few hundred centres
    stayed bounded, and they cost more than Hogwild's shared rows, which
    two threads ran at 1.74-1.84x one against the private rows' 1.84-1.96x.
    """
    if writers <= 1 or writers > 2:
        return 0, 8192, 0, 0
    if c.sg and c.input_offsets != NULL and c.docvecs == NULL:
        return 0, 8192, 0, 0
    if c.input_offsets != NULL or c.docvecs != NULL or (c.sg and not c.shared_negatives):
        return 2048, ((2048 if c.sg else 4096) if c.hs else 8192), 0, 0
    if c.hs:
        return (8192 if c.sg else 2048), 131072, HOTTEST_ROWS, (2048 if c.sg else 4096)
    if c.sg:
        return 8192, 262144, 0, 0
    return 0, 8192, 0, 0


cdef class ShardCursor:
    """Where training stands in one piece of an epoch: the position, the
    random generator, the learning rate, the words buffered from a long
    sentence and the tallies so far. Made by :meth:`Word2VecTrainer.cursor`,
    advanced by :meth:`Word2VecTrainer.run` on any thread; :meth:`state` is
    what a checkpoint keeps of it.
    """
    cdef Cursor cur
    cdef readonly object saved
    cdef readonly int piece
    # deterministic training: the piece's copies of the rows it touched
    # this round
    cdef PieceCopies copies
    cdef bint has_copies

    def __cinit__(self, int piece, int capacity):
        self.piece = piece
        self.saved = np.zeros(capacity, dtype=np.int32)
        memset(&self.cur, 0, sizeof(Cursor))
        memset(&self.copies, 0, sizeof(PieceCopies))
        self.has_copies = False

    def __dealloc__(self):
        piece_rows_free(&self.copies.syn0)
        piece_rows_free(&self.copies.syn1neg)
        piece_rows_free(&self.copies.syn1)
        piece_rows_free(&self.copies.docvecs)

    cdef int make_copies(self, W2VConfig* c, int64_t n_docs) except -1:
        """Room for the piece's copies of every matrix (deterministic training)."""
        cdef int status = 0
        status |= piece_rows_init(&self.copies.syn0, c.syn0_rows, c.dim)
        status |= piece_rows_init(&self.copies.syn1neg, c.vocab_size if c.negative else 0,
                                  c.out_dim)
        status |= piece_rows_init(&self.copies.syn1, c.vocab_size if c.hs else 0, c.out_dim)
        status |= piece_rows_init(&self.copies.docvecs, n_docs, c.dim)
        if status != 0:
            raise MemoryError("could not allocate a piece's row map")
        self.has_copies = True
        return 0

    @property
    def finished(self):
        """True once the shard is fully trained."""
        return bool(self.cur.finished)

    @property
    def bounds(self):
        """(first, end): the piece's token range."""
        return self.cur.first, self.cur.end

    @property
    def result(self):
        """(loss, raw words, trained words, predictions) so far.

        Loss is summed over all predictions; raw words are the words read,
        trained words the centres (after subsampling).
        """
        return (self.cur.out.loss, self.cur.out.raw_words + self.cur.unreported,
                self.cur.out.trained_words, self.cur.out.predictions)

    def state(self):
        """The cursor as plain values and one int32 array (see
        :meth:`Word2VecTrainer.restore_cursor`)."""
        cdef Cursor* c = &self.cur
        return {"piece": self.piece, "pos": c.pos, "end": c.end,
                "sentence": c.sentence, "rng": int(c.rng), "alpha": float(c.alpha),
                "unreported": c.unreported, "since_merge": c.since_merge, "n": c.n,
                "centre": c.centre, "loss": c.out.loss, "raw_words": c.out.raw_words,
                "trained_words": c.out.trained_words, "predictions": c.out.predictions,
                "started": bool(c.started), "finished": bool(c.finished),
                "first": c.first, "progress_start": c.progress_start,
                "progress_span": c.progress_span,
                "buffer": self.saved[:c.n].copy()}


cdef class Word2VecTrainer:
    """Holds the arrays of one ``train()`` call and trains shards of it.

    Parameters
    ----------
    syn0 : ndarray of float32, shape (n_rows, dim)
        Input rows: one a word, then any others the words' input lists use.
    syn1neg, syn1 : ndarray of float32, shape (vocab_size, dim)
        Output weights of negative sampling and of hierarchical softmax
        (may be empty when unused).
    tokens : ndarray of int32
        The encoded corpus.
    sentence_ends : ndarray of int64
        Exclusive end offset of every sentence in ``tokens``.
    keep_threshold : ndarray of uint32
        Subsampling: a word is kept when 32 random bits are ``<=`` this.
    ns_accept, ns_alias : ndarray of uint32 / int32
        Alias table of the negative-sampling distribution.
    hs_codes, hs_points, hs_offsets, hs_lengths : ndarray
        Huffman codes and inner-node indices, flattened, per word.
    sg, hs, negative, window, shrink_windows, cbow_mean : int
        Training mode and hyper-parameters (gensim's meanings).
    start_alpha, end_alpha : float
        Learning rate at the start and the end of the whole ``train()`` call.
    total_words : int
        Raw words the whole call will process (all epochs), for the decay.
    progress : ndarray of int64
        One counter a thread at stride ``SLOT_STRIDE``, cumulative
        over the call; read by the Python thread for progress reports.
    stop_flag : ndarray of int32, shape (2,)
        Pause requests: entry 0 for Ctrl-C, entry 1 for a checkpoint. Either
        non-zero makes every thread pause where its cursor can be saved.
    merge_every : int
        Centre words between two merges of all of a thread's private rows;
        0 picks the mode's default (see ``private_row_defaults``).
    input_offsets, input_rows : ndarray of int64 / int32, optional
        Word ``w`` trains through the ``syn0`` rows
        ``input_rows[input_offsets[w]:input_offsets[w + 1]]``; rows after the
        vocabulary's should be ordered most used first (the first 2,048 are
        a thread's hot rows). Without them, word ``w`` trains row ``w``.
    docvecs : ndarray of float32, shape (n_tags, dim), optional
        Document (tag) rows; sentence ``d`` is a document whose tags are the
        rows ``doc_rows[doc_offsets[d]:doc_offsets[d + 1]]``.
    doc_offsets, doc_rows : ndarray of int64 / int32, optional
    dm : int
        With documents: 1 adds the tag rows to CBOW's input (PV-DM; give
        ``sg=0``), 0 makes each tag row predict every word (PV-DBOW).
    learn_words, learn_hidden : int
        Whether word rows and the output layer are updated (tag rows always
        are). With PV-DBOW, ``learn_words`` also turns on skip-gram word
        training (gensim's ``dbow_words``; give ``sg=1``).
    hot_rows : int, optional
        Rows of each matrix a thread keeps private (the most frequent words',
        the Huffman nodes nearest the root); default by mode with several
        threads (see ``private_row_defaults``), 0 with one.
    hottest_rows, merge_hottest_every : int, optional
        The first ``hottest_rows`` of the private rows (the nodes nearest the
        root, the most frequent words) are also merged every
        ``merge_hottest_every`` centre words (0: only with the rest);
        default by mode, as ``hot_rows``.
    lockf : ndarray of float32, shape (n_rows,), optional
        Lock factor of each ``syn0`` row: its updates are multiplied by it
        (0 freezes the row). Without it every row learns fully.
    pause_at : ndarray of int64, shape (1,), optional
        The threads pause once ``progress`` adds up to this many raw words
        (a checkpoint every N words: the pause comes at the same word of
        every run). Without it they never do.
    shared_negatives : int
        Skip-gram with negative sampling over whole-word inputs: 1 draws
        the negatives once a centre word for all its context words (Ji et
        al. 2016), 0 once a (context, centre) pair as word2vec does.
    dm_concat, dm_tag_count, null_word : int
        PV-DM by concatenation (``dm=1``): the hidden vector is the
        ``dm_tag_count`` tag rows and the ``2 * window`` context words' rows
        side by side (``null_word``'s row past the document's ends), so the
        output layers are ``(dm_tag_count + 2 * window) * dim`` wide; the
        window is never shrunk. Documents with another number of tags are
        skipped.
    deterministic : int
        1: pieces train through their own copies of the rows and pause at
        the end of each round (``run``'s ``stop_at``); :meth:`merge` then
        adds their changes in piece order. No row is hot, and pause requests
        are for the caller to honour between rounds.
    weight_writers : int
        Threads writing these weights in all, when threads of other
        processes train them too (Dask workers of one machine sharing
        them); it picks the private rows' defaults. 0: this call's threads.
    """
    cdef W2VConfig cfg
    cdef list _keep_alive
    cdef object _doc_offsets
    # deterministic training: the rows of each matrix the pieces copy
    # (syn0, syn1neg, syn1, docvecs; 0 for one the mode does not use)
    cdef list _merged_rows
    cdef int64_t _n_docs

    def __init__(self, *, syn0, syn1neg, syn1, tokens, sentence_ends, keep_threshold,
                 ns_accept, ns_alias, hs_codes, hs_points, hs_offsets, hs_lengths,
                 int sg, int hs, int negative, int window, int shrink_windows, int cbow_mean,
                 float start_alpha, float end_alpha, int64_t total_words, progress, stop_flag,
                 int merge_every=0, input_offsets=None, input_rows=None, docvecs=None,
                 doc_offsets=None, doc_rows=None, int dm=0, int learn_words=1,
                 int learn_hidden=1, hot_rows=None, lockf=None, pause_at=None,
                 int shared_negatives=0, hottest_rows=None, merge_hottest_every=None,
                 int dm_concat=0, int dm_tag_count=1, int null_word=-1, int deterministic=0,
                 int weight_writers=0):
        if window < 1:
            raise ValueError("window must be at least 1")
        if not hs and negative <= 0:
            raise ValueError("either hs must be 1 or negative must be > 0")
        self._keep_alive = [syn0, syn1neg, syn1, tokens, sentence_ends, keep_threshold,
                            ns_accept, ns_alias, hs_codes, hs_points, hs_offsets,
                            hs_lengths, progress, stop_flag, input_offsets, input_rows, docvecs,
                            doc_offsets, doc_rows, lockf]
        if pause_at is None:
            pause_at = np.full(1, np.iinfo(np.int64).max, dtype=np.int64)
        self._keep_alive.append(pause_at)
        c = &self.cfg
        c.syn0 = <float*>data_pointer(syn0, np.float32, "syn0")
        c.dim = syn0.shape[1]
        c.syn0_rows = syn0.shape[0]
        c.vocab_size = keep_threshold.shape[0]
        if c.vocab_size > c.syn0_rows:
            raise ValueError(f"syn0 has {c.syn0_rows} rows for {c.vocab_size} words")
        c.input_offsets = NULL
        c.input_rows = NULL
        if (input_offsets is None) != (input_rows is None):
            raise ValueError("give both input_offsets and input_rows, or neither")
        if input_offsets is not None:
            _check_input_lists(input_offsets, input_rows, c.vocab_size, c.syn0_rows)
            c.input_offsets = <const int64_t*>data_pointer(input_offsets, np.int64, "input_offsets")
            c.input_rows = <const int32_t*>data_pointer(input_rows, np.int32, "input_rows", True)
        c.lockf = NULL
        if lockf is not None:
            if lockf.shape != (c.syn0_rows,):
                raise ValueError(f"lockf has shape {lockf.shape}, expected ({c.syn0_rows},)")
            c.lockf = <const float*>data_pointer(lockf, np.float32, "lockf")
        c.dm_concat = dm_concat
        c.dm_tag_count = dm_tag_count
        c.null_word = null_word
        c.out_dim = c.dim
        if dm_concat:
            if docvecs is None or not dm or sg:
                raise ValueError("dm_concat needs documents (docvecs), dm=1 and sg=0")
            if dm_tag_count < 1 or not 0 <= null_word < c.vocab_size:
                raise ValueError("dm_concat needs dm_tag_count >= 1 and a null_word in the "
                                 "vocabulary")
            if input_offsets is not None:
                raise ValueError("dm_concat trains whole-word rows: no input lists")
            c.out_dim = (dm_tag_count + 2 * window) * c.dim
        c.syn1neg = <float*>data_pointer(syn1neg, np.float32, "syn1neg", not negative)
        c.syn1 = <float*>data_pointer(syn1, np.float32, "syn1", not hs)
        c.tokens = <const int32_t*>data_pointer(tokens, np.int32, "tokens", True)
        c.sentence_ends = <const int64_t*>data_pointer(sentence_ends, np.int64, "sentence_ends",
                                                       True)
        c.n_sentences = sentence_ends.shape[0]
        c.keep_threshold = <const uint32_t*>data_pointer(keep_threshold, np.uint32,
                                                         "keep_threshold")
        c.ns_accept = <const uint32_t*>data_pointer(ns_accept, np.uint32, "ns_accept", not negative)
        c.ns_alias = <const int32_t*>data_pointer(ns_alias, np.int32, "ns_alias", not negative)
        c.hs_codes = <const uint8_t*>data_pointer(hs_codes, np.uint8, "hs_codes", True)
        c.hs_points = <const int32_t*>data_pointer(hs_points, np.int32, "hs_points", True)
        c.hs_offsets = <const int64_t*>data_pointer(hs_offsets, np.int64, "hs_offsets", not hs)
        c.hs_lengths = <const int32_t*>data_pointer(hs_lengths, np.int32, "hs_lengths", not hs)
        for name, arr, rows in (("syn1neg", syn1neg, negative), ("syn1", syn1, hs)):
            if rows and tuple(arr.shape) != (c.vocab_size, c.out_dim):
                raise ValueError(f"{name} has shape {arr.shape}, expected "
                                 f"{(c.vocab_size, c.out_dim)}")
        c.sg = sg
        c.hs = hs
        c.negative = negative
        c.window = window
        c.shrink_windows = shrink_windows
        c.shared_negatives = shared_negatives
        c.cbow_mean = cbow_mean
        c.start_alpha = start_alpha
        c.end_alpha = end_alpha
        c.total_words = total_words
        c.progress = <int64_t*>data_pointer(progress, np.int64, "progress")
        c.n_threads = progress.shape[0] // SLOT_STRIDE
        c.stop_flag = <int*>data_pointer(stop_flag, np.intc, "stop_flag")
        if stop_flag.shape[0] < 2:
            raise ValueError("stop_flag needs two entries (Ctrl-C, checkpoint)")
        c.pause_at = <const int64_t*>data_pointer(pause_at, np.int64, "pause_at")
        c.docvecs = NULL
        c.doc_offsets = NULL
        c.doc_rows = NULL
        if docvecs is not None:
            c.docvecs = <float*>data_pointer(docvecs, np.float32, "docvecs", True)
            if docvecs.ndim != 2 or (docvecs.shape[0] and docvecs.shape[1] != c.dim):
                raise ValueError(f"docvecs has shape {docvecs.shape}, expected (n, {c.dim})")
            if doc_offsets is None or doc_rows is None:
                raise ValueError("docvecs needs doc_offsets and doc_rows")
            if doc_offsets.shape != (c.n_sentences + 1,):
                raise ValueError(f"doc_offsets must have {c.n_sentences + 1} entries")
            _check_rows(doc_offsets, doc_rows, docvecs.shape[0], "doc")
            c.doc_offsets = <const int64_t*>data_pointer(doc_offsets, np.int64, "doc_offsets")
            self._doc_offsets = doc_offsets
            c.doc_rows = <const int32_t*>data_pointer(doc_rows, np.int32, "doc_rows", True)
        c.dm = dm
        c.learn_words = learn_words
        c.learn_hidden = learn_hidden
        defaults = private_row_defaults(c, weight_writers or c.n_threads)
        c.hot_rows = defaults[0] if hot_rows is None else hot_rows
        c.merge_every = defaults[1] if merge_every == 0 else merge_every
        c.hottest_rows = defaults[2] if hottest_rows is None else hottest_rows
        c.merge_hottest_every = defaults[3] if merge_hottest_every is None else \
            merge_hottest_every
        if c.hot_rows < 0 or c.hottest_rows < 0:
            raise ValueError("hot_rows and hottest_rows must be >= 0")
        if c.merge_every < 0 or c.merge_hottest_every < 0:
            raise ValueError("merge_every and merge_hottest_every must be >= 0")
        c.deterministic = deterministic
        self._n_docs = 0 if docvecs is None else docvecs.shape[0]
        self._merged_rows = [c.syn0_rows, c.vocab_size if negative else 0,
                             c.vocab_size if hs else 0, self._n_docs]
        if deterministic:
            c.hot_rows = 0
            c.hottest_rows = 0

    def cursor(self, int piece, int64_t start, int64_t end, int64_t sentence,
               uint64_t seed, uint64_t epoch, double progress_start=0.0,
               double progress_span=0.0):
        """A fresh :class:`ShardCursor` at the start of a piece of the epoch.

        Parameters
        ----------
        piece : int
            Index of the piece: together with ``seed`` and ``epoch`` it
            fixes the piece's random stream, whichever thread trains it.
        start, end : int
            Token range of this piece.
        sentence : int
            Index of the sentence containing ``start``.
        seed, epoch : int
        progress_start, progress_span : float
            Deterministic training: the part of the call done when the
            piece's epoch starts, and the part the epoch is; the piece's
            learning rate follows its own position between them.
        """
        if piece < 0:
            raise ValueError("piece must be >= 0")
        if start < 0 or end < start or end > self._keep_alive[3].shape[0]:
            raise ValueError("shard range out of the corpus")
        if sentence < 0 or sentence > self.cfg.n_sentences:
            raise ValueError("sentence index out of the corpus")
        cdef ShardCursor cursor = ShardCursor(piece, buffer_capacity(&self.cfg))
        cursor.cur.pos = start
        cursor.cur.end = end
        cursor.cur.sentence = sentence
        cursor.cur.rng = rng_seed(seed, <uint64_t>piece, epoch)
        cursor.cur.first = start
        cursor.cur.progress_start = progress_start
        cursor.cur.progress_span = progress_span
        if self.cfg.deterministic:
            cursor.make_copies(&self.cfg, self._n_docs)
        return cursor

    def restore_cursor(self, dict state):
        """Rebuild a cursor saved with :meth:`ShardCursor.state` (from a
        checkpoint), after checking it fits this trainer's corpus.

        Raises
        ------
        ValueError
            The state does not describe a position in this corpus.
        """
        # "thread_id": checkpoints of 0.2, whose pieces were one a thread
        piece = state["piece"] if "piece" in state else state["thread_id"]
        cdef ShardCursor cursor = self.cursor(piece, state.get("first", state["pos"]),
                                              state["end"], state["sentence"], 0, 0,
                                              state.get("progress_start", 0.0),
                                              state.get("progress_span", 0.0))
        cdef Cursor* cur = &cursor.cur
        if not cur.first <= state["pos"] <= cur.end:
            raise ValueError("the cursor's position is outside its piece")
        if not (0.0 <= cur.progress_start <= 1.0 and 0.0 <= cur.progress_span <= 1.0):
            raise ValueError("the cursor's progress is outside the call")
        cur.pos = state["pos"]
        buffer = np.asarray(state["buffer"], dtype=np.int32)
        cur.rng = <uint64_t>int(state["rng"])
        cur.alpha = float(state["alpha"])
        cur.unreported = state["unreported"]
        cur.since_merge = state["since_merge"]
        cur.n = state["n"]
        cur.centre = state["centre"]
        cur.out.loss = float(state["loss"])
        cur.out.raw_words = state["raw_words"]
        cur.out.trained_words = state["trained_words"]
        cur.out.predictions = state["predictions"]
        cur.started = bool(state["started"])
        cur.finished = bool(state["finished"])
        if not (0 <= cur.centre <= cur.n == buffer.shape[0] <= cursor.saved.shape[0]) or \
                cur.unreported < 0 or cur.since_merge < 0:
            raise ValueError("the cursor's buffer does not fit this trainer")
        # a piece no thread had started has no learning rate yet
        if cur.started and not (min(self.cfg.start_alpha, self.cfg.end_alpha) <= cur.alpha
                                <= max(self.cfg.start_alpha, self.cfg.end_alpha)):
            raise ValueError(f"the cursor's learning rate {cur.alpha} is outside this "
                             "call's schedule")
        if not (0.0 <= cur.out.loss < float("inf")) or cur.out.raw_words < 0 or \
                cur.out.trained_words < 0 or cur.out.predictions < 0:
            raise ValueError("the cursor's tallies cannot be right")
        if buffer.shape[0] and (buffer.min() < 0 or buffer.max() >= self.cfg.vocab_size):
            raise ValueError("the cursor's buffer holds a word outside the vocabulary")
        cursor.saved[:cur.n] = buffer
        return cursor

    def run(self, ShardCursor cursor, int thread_id, int64_t stop_at=INT64_MAX):
        """Train from ``cursor`` on thread ``thread_id`` (whose progress
        counter it adds to) without the GIL until its piece ends or a pause
        is requested (``stop_flag[0]``, ``stop_flag[1]`` or the word count
        ``pause_at``); the cursor then says where training stopped
        (``finished`` tells which). In deterministic training the only pause
        is the end of the round: the first sentence or buffer refill at or
        past token ``stop_at``.
        """
        cdef int status
        cdef PieceCopies* copies = &cursor.copies if cursor.has_copies else NULL
        if self.cfg.deterministic and copies == NULL:
            raise ValueError("the cursor belongs to a trainer that is not deterministic")
        if thread_id < 0 or thread_id >= self.cfg.n_threads:
            raise ValueError("thread_id out of range")
        cdef int32_t* saved = <int32_t*>cnp.PyArray_DATA(cursor.saved)
        if cursor.saved.shape[0] != buffer_capacity(&self.cfg):
            raise ValueError("the cursor belongs to a trainer with another window")
        if cursor.cur.finished:
            return
        with nogil:
            status = run_cursor(&self.cfg, thread_id, &cursor.cur, saved, copies, stop_at)
        if status != 0:
            raise MemoryError("could not allocate a training buffer")

    def merge(self, list cursors, int part, int n_parts):
        """Deterministic training, at the end of a round: add the changes the
        pieces' ``cursors`` (in piece order) made to the rows ``r`` with
        ``r % n_parts == part`` to the shared matrices, without the GIL.
        Threads merge different parts at once; :meth:`end_round` follows
        once every part is merged.
        """
        cdef int n = len(cursors)
        cdef int m
        cdef ShardCursor cursor
        cdef float* total
        cdef float* matrices[4]
        cdef int has_rows[4]
        if not self.cfg.deterministic:
            raise ValueError("merge() is for deterministic training")
        if not 0 <= part < n_parts:
            raise ValueError("part out of range")
        if n == 0:
            return
        cdef PieceRows** pieces = <PieceRows**>malloc(4 * n * sizeof(PieceRows*))
        total = <float*>malloc(self.cfg.out_dim * sizeof(float))
        if pieces == NULL or total == NULL:
            free(pieces)
            free(total)
            raise MemoryError("could not allocate the merge's table")
        try:
            for m, cursor in enumerate(cursors):
                if not cursor.has_copies:
                    raise ValueError("a cursor without copies")
                pieces[m] = &cursor.copies.syn0
                pieces[n + m] = &cursor.copies.syn1neg
                pieces[2 * n + m] = &cursor.copies.syn1
                pieces[3 * n + m] = &cursor.copies.docvecs
            matrices[0] = self.cfg.syn0
            matrices[1] = self.cfg.syn1neg
            matrices[2] = self.cfg.syn1
            matrices[3] = self.cfg.docvecs
            for m in range(4):
                has_rows[m] = self._merged_rows[m] > 0
            with nogil:
                for m in range(4):
                    if has_rows[m]:
                        merge_piece_rows(pieces + m * n, n, matrices[m], total, part, n_parts)
        finally:
            free(pieces)
            free(total)

    def end_round(self, list cursors):
        """Deterministic training, once every part is merged: empty the
        pieces' copies for the next round.

        Raises
        ------
        MemoryError
            A piece could not copy a row it needed: the round trained on
            shared rows and cannot be reproduced.
        """
        cdef ShardCursor cursor
        cdef PieceRows* rows[4]
        cdef int m
        cdef bint failed = False
        for cursor in cursors:
            rows[0] = &cursor.copies.syn0
            rows[1] = &cursor.copies.syn1neg
            rows[2] = &cursor.copies.syn1
            rows[3] = &cursor.copies.docvecs
            for m in range(4):
                failed = failed or rows[m].failed
                rows[m].count = 0
                rows[m].failed = 0
        if failed:
            raise MemoryError("deterministic training ran out of memory for the pieces' "
                              "copies of the rows")

    def run_shard(self, int thread_id, int64_t start, int64_t end, int64_t sentence,
                  uint64_t seed, uint64_t epoch):
        """Train tokens ``[start, end)`` for one epoch without the GIL
        (:meth:`cursor` and :meth:`run` in one call, for benchmarks).

        Returns
        -------
        tuple of (float, int, int, int)
            As :attr:`ShardCursor.result`.
        """
        cdef ShardCursor cursor = self.cursor(thread_id, start, end, sentence, seed, epoch)
        self.run(cursor, thread_id)
        return cursor.result

    def run_inference(self, int64_t first, int64_t last, int epochs, float alpha,
                      float min_alpha, uint64_t seed):
        """Fit the tag rows of documents ``first..last-1`` with everything else
        frozen, without the GIL (see ``infer_documents``).

        Parameters
        ----------
        first, last : int
            Range of documents (sentences), each with exactly one tag row.
        epochs : int
        alpha, min_alpha : float
            Learning rate at each document's first and last epoch.
        seed : int

        Returns
        -------
        tuple of (float, int, int, int)
            As :meth:`run_shard`.
        """
        cdef ShardResult result
        cdef int status
        if self.cfg.docvecs == NULL or self.cfg.learn_words or self.cfg.learn_hidden:
            raise ValueError("inference needs docvecs with learn_words=0 and learn_hidden=0")
        if first < 0 or last < first or last > self.cfg.n_sentences or epochs < 1:
            raise ValueError("bad document range or epochs")
        if last > first and np.any(np.diff(self._doc_offsets[first:last + 1]) != 1):
            raise ValueError("inference needs exactly one tag row a document")
        with nogil:
            status = infer_documents(&self.cfg, first, last, epochs, alpha, min_alpha, seed,
                                     &result)
        if status != 0:
            raise MemoryError("could not allocate an inference buffer")
        return result.loss, result.raw_words, result.trained_words, result.predictions


def draw_negatives(cnp.ndarray accept, cnp.ndarray alias, Py_ssize_t count, uint64_t seed):
    """Draw ``count`` word indices from an alias table (for tests and checks).

    Parameters
    ----------
    accept, alias : ndarray of uint32 / int32
        The alias table, as built by :func:`fastemb.corpus.vocab.build_alias_table`.
    count : int
        Number of draws.
    seed : int
        Seed of the generator.

    Returns
    -------
    ndarray of int32
    """
    cdef const uint32_t* acc = <const uint32_t*>data_pointer(accept, np.uint32, "accept")
    cdef const int32_t* ali = <const int32_t*>data_pointer(alias, np.int32, "alias")
    cdef int32_t n = accept.shape[0]
    cdef uint64_t state = rng_seed(seed, 0, 0)
    out = np.empty(count, dtype=np.int32)
    cdef int32_t[::1] view = out
    cdef Py_ssize_t i
    with nogil:
        for i in range(count):
            view[i] = alias_draw(acc, ali, n, &state)
    return out


def subsample(cnp.ndarray tokens, cnp.ndarray keep_threshold, uint64_t seed):
    """Apply the training loop's subsampling to ``tokens`` (for tests and checks).

    Parameters
    ----------
    tokens : ndarray of int32
    keep_threshold : ndarray of uint32
    seed : int

    Returns
    -------
    ndarray of int32
        The kept tokens, in order.
    """
    cdef W2VConfig c
    c.keep_threshold = <const uint32_t*>data_pointer(keep_threshold, np.uint32, "keep_threshold")
    cdef const int32_t* tok = <const int32_t*>data_pointer(tokens, np.int32, "tokens", True)
    cdef Py_ssize_t n = tokens.shape[0]
    cdef uint64_t state = rng_seed(seed, 0, 0)
    out = np.empty(n, dtype=np.int32)
    cdef int32_t[::1] view = out
    cdef Py_ssize_t i, kept = 0
    if n and (tokens.min() < 0 or tokens.max() >= keep_threshold.shape[0]):
        raise ValueError("token id out of the vocabulary")
    with nogil:
        for i in range(n):
            if keep_word(&c, tok[i], &state):
                view[kept] = tok[i]
                kept += 1
    return out[:kept]


def merge_private_rows(cnp.ndarray shared, cnp.ndarray local, cnp.ndarray base, int64_t lo,
                       int64_t first, int64_t last):
    """Merge rows ``[first, last)`` of a thread's private copy of rows
    ``[lo, lo + len(local))`` into ``shared``, as training does (for tests).

    Parameters
    ----------
    shared : ndarray of float32, shape (n, dim)
        The shared matrix; gains ``local - base`` on the merged rows.
    local, base : ndarray of float32, shape (m, dim)
        The private rows and their shared values at the last merge; both
        become the merged values on the merged rows.
    lo : int
        Shared row of ``local[0]``.
    first, last : int
        Shared rows to merge; clipped to the private ones.
    """
    cdef HotRows hot
    if local.shape[0] != base.shape[0] or lo < 0 or lo + local.shape[0] > shared.shape[0] \
            or local.shape[1] != shared.shape[1] or base.shape[1] != shared.shape[1]:
        raise ValueError("local and base must be rows [lo, lo + m) of shared")
    hot.local = <float*>data_pointer(local, np.float32, "local")
    hot.base = <float*>data_pointer(base, np.float32, "base")
    hot.lo = lo
    hot.hi = lo + local.shape[0]
    cdef float* matrix = <float*>data_pointer(shared, np.float32, "shared")
    hot_merge_part(&hot, matrix, first, last, <int>shared.shape[1])
