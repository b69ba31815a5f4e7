# cython: language_level=3
"""Training and prediction kernel of fastText's supervised model (Joulin et
al. 2017, "Bag of Tricks for Efficient Text Classification").

A document is a list of input rows (its words, hashed word n-grams and
character n-grams, encoded once by :mod:`fastemb.corpus.labelled`). Its
hidden vector is the mean of those rows; an output layer over the labels
scores it under one of four losses, each a small ``cdef inline`` function:

- softmax: the full softmax over every label;
- ns: the true label against ``neg`` labels drawn by count ** 0.5;
- hs: the binary decisions on the path to the label in a Huffman tree over
  the label counts;
- ova: one independent sigmoid a label (several labels a document).

The gradient of the hidden vector is divided by the number of rows and added
to each, as fastText does. Threads train contiguous ranges of documents
Hogwild-style, each in one ``nogil`` call; the learning rate decays linearly
with the tokens every thread has reported (fastText's ``lrUpdateRate``).
Deterministic training (:class:`SupervisedPiece`) trains fixed pieces of the
documents in rounds instead, each through its own copies of the rows, as
the Word2Vec kernel does (``_piece_rows.pxd``).

Scores use fastText's tables (a 512-entry sigmoid over [-8, 8] and a
512-entry log) and its reported probability ``exp(log(p + 1e-5))``, so that
a model fastText trained predicts here what it predicts there.
"""
from libc.math cimport expf, logf
from libc.stdint cimport int32_t, int64_t, uint8_t, uint32_t, uint64_t
from libc.stdlib cimport free, malloc
from libc.string cimport memcpy

from fastemb._vecops cimport (
    alias_draw,
    prefetch_row,
    rng_next,
    rng_seed,
    vec_axpy,
    vec_dot,
    vec_dot4,
    vec_scale,
    vec_zero,
)

import numpy as np

cimport numpy as cnp

from fastemb._arrays cimport data_pointer
from fastemb._piece_rows cimport (PieceRows, add_change, apply_total, merge_piece_rows,
                                  piece_row, piece_rows_free, piece_rows_init)

cnp.import_array()

cdef enum:
    SIGMOID_TABLE_SIZE = 512
    MAX_SIGMOID = 8
    LOG_TABLE_SIZE = 512

cpdef enum:
    LOSS_SOFTMAX = 0
    LOSS_NS = 1
    LOSS_HS = 2
    LOSS_OVA = 3

cdef enum:
    # documents between two polls of the stop flag
    POLL_EVERY = 64
    # rows ahead of the one being added that are fetched early: a
    # document's rows are scattered over a matrix far larger than the caches
    PREFETCH_AHEAD = 6

cdef float SIGMOID_TABLE[SIGMOID_TABLE_SIZE + 1]
cdef float LOG_TABLE[LOG_TABLE_SIZE + 1]


cdef void _fill_tables() noexcept:
    cdef int i
    cdef float x
    for i in range(SIGMOID_TABLE_SIZE + 1):
        x = <float>(i * 2 * MAX_SIGMOID) / SIGMOID_TABLE_SIZE - MAX_SIGMOID
        SIGMOID_TABLE[i] = <float>(1.0 / (1.0 + expf(-x)))
    for i in range(LOG_TABLE_SIZE + 1):
        x = (<float>i + <float>1e-5) / LOG_TABLE_SIZE
        LOG_TABLE[i] = logf(x)


_fill_tables()


cdef inline float table_sigmoid(float x) noexcept nogil:
    """fastText's sigmoid: saturated outside [-8, 8], a table inside."""
    if x < -MAX_SIGMOID:
        return 0.0
    if x > MAX_SIGMOID:
        return 1.0
    return SIGMOID_TABLE[<int64_t>((x + MAX_SIGMOID) * SIGMOID_TABLE_SIZE / MAX_SIGMOID / 2)]


cdef inline float table_log(float x) noexcept nogil:
    """fastText's log of a probability, by table (0 above 1)."""
    if x > 1.0:
        return 0.0
    return LOG_TABLE[<int64_t>(x * LOG_TABLE_SIZE)]


cdef inline float shifted_log(float x) noexcept nogil:
    """The log fastText ranks predictions by: ``log(x + 1e-5)``."""
    return logf(x + <float>1e-5)


cdef struct SupConfig:
    # weights, shared by the threads (Hogwild)
    float* wi
    float* wo
    int dim
    int32_t n_out
    # documents: input rows, labels, and the tokens each counts for the rate
    const int32_t* rows
    const int64_t* row_offsets
    const int32_t* labels
    const int64_t* label_offsets
    const int32_t* line_tokens
    # loss
    int loss
    int neg
    const uint32_t* ns_accept
    const int32_t* ns_alias
    const int32_t* hs_points
    const uint8_t* hs_codes
    const int64_t* hs_offsets
    # learning rate: lr * (1 - tokens done / total_tokens)
    float lr
    int64_t total_tokens
    int64_t lr_update_rate
    int64_t* progress
    int progress_stride
    int n_threads
    int* stop_flag


cdef struct SupState:
    float* hidden
    float* grad
    float* output
    uint64_t rng
    double loss
    int64_t examples
    # deterministic training: the piece's copies of the input rows (NULL:
    # the shared rows), its documents and the part of the call done when
    # its epoch starts and the part the epoch is (the rate follows them)
    PieceRows* copies
    int64_t first
    int64_t last
    double progress_start
    double progress_span


cdef inline int64_t tokens_done(SupConfig* c) noexcept nogil:
    cdef int64_t done = 0
    cdef int t
    for t in range(c.n_threads):
        done += c.progress[t * c.progress_stride]
    return done


cdef inline float lr_at(SupConfig* c, double progress) noexcept nogil:
    if progress > 1.0:
        progress = 1.0
    return <float>(c.lr * (1.0 - progress))


cdef inline float current_lr(SupConfig* c, SupState* s, int64_t d) noexcept nogil:
    """The rate at document ``d``: from every thread's tokens, or in
    deterministic training from how far the piece is (the same every run)."""
    if s.copies != NULL:
        return lr_at(c, s.progress_start + s.progress_span * (<double>(d - s.first) /
                                                              <double>(s.last - s.first)))
    return lr_at(c, <double>tokens_done(c) / <double>c.total_tokens)


cdef inline float* input_row(SupConfig* c, SupState* s, int32_t row) noexcept nogil:
    """Input row ``row``: the piece's copy in deterministic training."""
    if s.copies != NULL:
        return piece_row(s.copies, c.wi, row)
    return c.wi + <int64_t>row * c.dim


cdef inline void mean_rows(const float* matrix, const int32_t* rows, int64_t n, int dim,
                           float* out) noexcept nogil:
    """``out`` = the mean of the ``n`` rows of ``matrix`` listed in ``rows``."""
    cdef int64_t i
    vec_zero(out, dim)
    for i in range(min(n, PREFETCH_AHEAD)):
        prefetch_row(matrix + <int64_t>rows[i] * dim, dim)
    for i in range(n):
        if i + PREFETCH_AHEAD < n:
            prefetch_row(matrix + <int64_t>rows[i + PREFETCH_AHEAD] * dim, dim)
        vec_axpy(1.0, matrix + <int64_t>rows[i] * dim, out, dim)
    if n > 0:
        vec_scale(<float>(1.0 / n), out, dim)


cdef inline void mean_input_rows(SupConfig* c, SupState* s, const int32_t* rows, int64_t n,
                                 float* out) noexcept nogil:
    """``out`` = the mean of the ``n`` input rows listed in ``rows`` (the
    piece's copies in deterministic training)."""
    cdef int64_t i
    if s.copies == NULL:
        mean_rows(c.wi, rows, n, c.dim, out)
        return
    vec_zero(out, c.dim)
    for i in range(n):
        vec_axpy(1.0, piece_row(s.copies, c.wi, rows[i]), out, c.dim)
    if n > 0:
        vec_scale(<float>(1.0 / n), out, c.dim)


cdef inline float binary_logistic(SupConfig* c, SupState* s, int32_t target, bint positive,
                                  float lr) noexcept nogil:
    """One sigmoid unit's update; returns its loss."""
    cdef float* row = c.wo + <int64_t>target * c.dim
    cdef float score = table_sigmoid(vec_dot(row, s.hidden, c.dim))
    cdef float alpha = lr * (<float>positive - score)
    vec_axpy(alpha, row, s.grad, c.dim)
    vec_axpy(alpha, s.hidden, row, c.dim)
    if positive:
        return -table_log(score)
    return -table_log(1.0 - score)


cdef inline void softmax_output(SupConfig* c, SupState* s) noexcept nogil:
    """``s.output`` = the softmax of the label scores of ``s.hidden``."""
    cdef int32_t i = 0
    cdef float top, z = 0.0
    cdef const float* wo = c.wo
    cdef int64_t d = c.dim
    while i + 4 <= c.n_out:
        vec_dot4(s.hidden, wo + i * d, wo + (i + 1) * d, wo + (i + 2) * d, wo + (i + 3) * d,
                 c.dim, s.output + i)
        i += 4
    while i < c.n_out:
        s.output[i] = vec_dot(wo + i * d, s.hidden, c.dim)
        i += 1
    top = s.output[0]
    for i in range(c.n_out):
        if s.output[i] > top:
            top = s.output[i]
    for i in range(c.n_out):
        s.output[i] = expf(s.output[i] - top)
        z += s.output[i]
    for i in range(c.n_out):
        s.output[i] /= z


cdef inline float softmax_loss(SupConfig* c, SupState* s, int32_t target, float lr) noexcept nogil:
    cdef int32_t i
    cdef float alpha
    cdef float* row
    softmax_output(c, s)
    for i in range(c.n_out):
        row = c.wo + <int64_t>i * c.dim
        alpha = lr * ((1.0 if i == target else 0.0) - s.output[i])
        vec_axpy(alpha, row, s.grad, c.dim)
        vec_axpy(alpha, s.hidden, row, c.dim)
    return -table_log(s.output[target])


cdef inline float ns_loss(SupConfig* c, SupState* s, int32_t target, float lr) noexcept nogil:
    cdef float loss = binary_logistic(c, s, target, True, lr)
    cdef int _n, tries
    cdef int32_t negative
    if c.n_out < 2:
        return loss  # no other label to contrast with
    for _n in range(c.neg):
        negative = target
        tries = 0
        while negative == target and tries < 64:
            negative = alias_draw(c.ns_accept, c.ns_alias, c.n_out, &s.rng)
            tries += 1
        if negative != target:
            loss += binary_logistic(c, s, negative, False, lr)
    return loss


cdef inline float hs_loss(SupConfig* c, SupState* s, int32_t target, float lr) noexcept nogil:
    cdef float loss = 0.0
    cdef int64_t i
    for i in range(c.hs_offsets[target], c.hs_offsets[target + 1]):
        loss += binary_logistic(c, s, c.hs_points[i], c.hs_codes[i], lr)
    return loss


cdef inline float ova_loss(SupConfig* c, SupState* s, const int32_t* labels, int64_t n_labels,
                           float lr) noexcept nogil:
    cdef float loss = 0.0
    cdef int32_t i
    cdef int64_t j
    cdef bint match
    for i in range(c.n_out):
        match = False
        for j in range(n_labels):
            if labels[j] == i:
                match = True
                break
        loss += binary_logistic(c, s, i, match, lr)
    return loss


cdef inline void train_document(SupConfig* c, SupState* s, int64_t d, float lr) noexcept nogil:
    """One SGD step on document ``d`` (skipped without rows or labels)."""
    cdef int64_t first = c.row_offsets[d]
    cdef int64_t n_rows = c.row_offsets[d + 1] - first
    cdef int64_t first_label = c.label_offsets[d]
    cdef int64_t n_labels = c.label_offsets[d + 1] - first_label
    cdef const int32_t* rows = c.rows + first
    cdef const int32_t* labels = c.labels + first_label
    cdef int32_t target
    cdef float loss
    cdef int64_t i
    if n_rows == 0 or n_labels == 0:
        return
    mean_input_rows(c, s, rows, n_rows, s.hidden)
    vec_zero(s.grad, c.dim)
    if c.loss == LOSS_OVA:
        loss = ova_loss(c, s, labels, n_labels, lr)
    else:
        target = labels[(rng_next(&s.rng) >> 33) % <uint64_t>n_labels]
        if c.loss == LOSS_SOFTMAX:
            loss = softmax_loss(c, s, target, lr)
        elif c.loss == LOSS_NS:
            loss = ns_loss(c, s, target, lr)
        else:
            loss = hs_loss(c, s, target, lr)
    s.loss += loss
    s.examples += 1
    vec_scale(<float>(1.0 / n_rows), s.grad, c.dim)
    for i in range(n_rows):
        if i + PREFETCH_AHEAD < n_rows:
            prefetch_row(c.wi + <int64_t>rows[i + PREFETCH_AHEAD] * c.dim, c.dim)
        vec_axpy(1.0, s.grad, input_row(c, s, rows[i]), c.dim)


cdef int64_t train_range(SupConfig* c, SupState* s, int64_t start, int64_t end,
                         int64_t* counter) noexcept nogil:
    """Train documents ``start..end`` in order; return where it stopped
    (``end``, or earlier when the stop flag is raised)."""
    cdef int64_t d, local = 0
    cdef float lr = current_lr(c, s, start)
    for d in range(start, end):
        if (d - start) % POLL_EVERY == 0 and (c.stop_flag[0] or c.stop_flag[1]) and \
                s.copies == NULL:
            counter[0] += local
            return d
        train_document(c, s, d, lr)
        local += c.line_tokens[d]
        if local > c.lr_update_rate:
            counter[0] += local
            local = 0
            lr = current_lr(c, s, d + 1)
    counter[0] += local
    return end


def _check_offsets(offsets, n_items, int64_t n_documents, str name):
    if offsets.shape != (n_documents + 1,) or offsets[0] != 0 or \
            offsets[n_documents] != n_items or np.any(np.diff(offsets) < 0):
        raise ValueError(f"{name} must rise from 0 to the number of entries, one a document")


cdef int state_alloc(SupState* s, SupConfig* c) except -1:
    """A thread's scratch vectors and zeroed tallies, on shared rows."""
    s.hidden = <float*>malloc(c.dim * sizeof(float))
    s.grad = <float*>malloc(c.dim * sizeof(float))
    s.output = <float*>malloc(c.n_out * sizeof(float))
    if s.hidden == NULL or s.grad == NULL or s.output == NULL:
        state_free(s)
        raise MemoryError()
    s.loss = 0.0
    s.examples = 0
    s.copies = NULL
    return 0


cdef void state_free(SupState* s) noexcept:
    free(s.hidden)
    free(s.grad)
    free(s.output)
    s.hidden = NULL
    s.grad = NULL
    s.output = NULL


cdef class SupervisedTrainer:
    """Trains a supervised model's weights in place on encoded documents.

    Parameters (keyword only)
    -------------------------
    input_matrix : float32 array, shape (n_rows, dim)
    output_matrix : float32 array, shape (n_out, dim)
        ``n_out``: labels (softmax, ns, ova) or inner tree nodes (hs).
    rows, row_offsets : int32, int64 arrays
        Document ``d``'s input rows are ``rows[row_offsets[d]:row_offsets[d + 1]]``.
    labels, label_offsets : int32, int64 arrays
        Its labels, the same way (label ids, ``< n_labels``).
    line_tokens : int32 array
        Tokens each document counts for the learning rate.
    loss : int
        ``LOSS_SOFTMAX``, ``LOSS_NS``, ``LOSS_HS`` or ``LOSS_OVA``.
    neg : int
    ns_accept, ns_alias : uint32, int32 arrays
        Alias table of the negative labels (ns).
    hs_points, hs_codes, hs_offsets : int32, uint8, int64 arrays
        Label ``l``'s path: inner nodes ``hs_points[hs_offsets[l]:hs_offsets[l + 1]]``
        and their branches (hs).
    lr : float
    total_tokens : int
        Tokens of the whole training (epochs x tokens an epoch).
    lr_update_rate : int
    progress : int64 array
        One counter a thread at stride ``progress_stride``.
    progress_stride : int
    stop_flag : intc array, shape (2,)
    """

    cdef SupConfig cfg
    cdef list _keep_alive
    cdef readonly int64_t n_documents
    cdef readonly int32_t n_labels

    def __init__(self, *, input_matrix, output_matrix, rows, row_offsets, labels, label_offsets,
                 line_tokens, int loss, int neg, ns_accept, ns_alias, hs_points, hs_codes,
                 hs_offsets, float lr, int64_t total_tokens, int64_t lr_update_rate, progress,
                 int progress_stride, stop_flag, int32_t n_labels):
        cdef SupConfig* c = &self.cfg
        if input_matrix.ndim != 2 or output_matrix.ndim != 2 or \
                input_matrix.shape[1] != output_matrix.shape[1]:
            raise ValueError("input and output matrices must be 2-d with the same width")
        if loss not in (LOSS_SOFTMAX, LOSS_NS, LOSS_HS, LOSS_OVA):
            raise ValueError(f"unknown loss code {loss}")
        self._keep_alive = [input_matrix, output_matrix, rows, row_offsets, labels,
                            label_offsets, line_tokens, ns_accept, ns_alias, hs_points,
                            hs_codes, hs_offsets, progress, stop_flag]
        c.wi = <float*>data_pointer(input_matrix, np.float32, "input_matrix")
        c.wo = <float*>data_pointer(output_matrix, np.float32, "output_matrix")
        c.dim = input_matrix.shape[1]
        c.n_out = output_matrix.shape[0]
        self.n_documents = line_tokens.shape[0]
        self.n_labels = n_labels
        _check_offsets(row_offsets, rows.shape[0], self.n_documents, "row_offsets")
        _check_offsets(label_offsets, labels.shape[0], self.n_documents, "label_offsets")
        if rows.shape[0] and (rows.min() < 0 or rows.max() >= input_matrix.shape[0]):
            raise ValueError(f"rows must index the {input_matrix.shape[0]} input rows")
        if labels.shape[0] and (labels.min() < 0 or labels.max() >= n_labels):
            raise ValueError(f"labels must be ids below {n_labels}")
        c.rows = <const int32_t*>data_pointer(rows, np.int32, "rows", True)
        c.row_offsets = <const int64_t*>data_pointer(row_offsets, np.int64, "row_offsets")
        c.labels = <const int32_t*>data_pointer(labels, np.int32, "labels", True)
        c.label_offsets = <const int64_t*>data_pointer(label_offsets, np.int64, "label_offsets")
        c.line_tokens = <const int32_t*>data_pointer(line_tokens, np.int32, "line_tokens", True)
        c.loss = loss
        c.neg = neg
        c.ns_accept = <const uint32_t*>data_pointer(ns_accept, np.uint32, "ns_accept",
                                                    loss != LOSS_NS)
        c.ns_alias = <const int32_t*>data_pointer(ns_alias, np.int32, "ns_alias", loss != LOSS_NS)
        if loss == LOSS_NS and ns_accept.shape[0] != c.n_out:
            raise ValueError("the negative table must have one entry a label")
        if loss in (LOSS_SOFTMAX, LOSS_NS, LOSS_OVA) and c.n_out != n_labels:
            raise ValueError(f"the output matrix must have {n_labels} rows, one a label")
        c.hs_points = <const int32_t*>data_pointer(hs_points, np.int32, "hs_points", True)
        c.hs_codes = <const uint8_t*>data_pointer(hs_codes, np.uint8, "hs_codes", True)
        c.hs_offsets = <const int64_t*>data_pointer(hs_offsets, np.int64, "hs_offsets",
                                                    loss != LOSS_HS)
        if loss == LOSS_HS:
            _check_offsets(hs_offsets, hs_points.shape[0], n_labels, "hs_offsets")
            if hs_codes.shape[0] != hs_points.shape[0] or (
                    hs_points.shape[0] and (hs_points.min() < 0 or hs_points.max() >= c.n_out)):
                raise ValueError("the tree's paths must index the output matrix's rows")
        c.lr = lr
        c.total_tokens = max(total_tokens, 1)
        c.lr_update_rate = lr_update_rate
        c.progress = <int64_t*>data_pointer(progress, np.int64, "progress")
        c.progress_stride = progress_stride
        c.n_threads = progress.shape[0] // progress_stride
        c.stop_flag = <int*>data_pointer(stop_flag, np.intc, "stop_flag")
        if stop_flag.shape[0] < 2:
            raise ValueError("stop_flag must have two entries")

    def train_range(self, int64_t start, int64_t end, int thread_id, uint64_t seed,
                    uint64_t epoch_id, uint64_t state=0):
        """Train documents ``start..end`` on thread ``thread_id``.

        Returns
        -------
        (int, float, int, int)
            Where it stopped, the summed loss, the examples trained and the
            generator's state (pass it back to continue a paused range).
        """
        cdef SupConfig* c = &self.cfg
        cdef SupState s
        cdef int64_t stopped
        if not 0 <= start <= end <= self.n_documents:
            raise ValueError(f"document range {start}..{end} outside 0..{self.n_documents}")
        if not 0 <= thread_id < c.n_threads:
            raise ValueError(f"thread {thread_id} has no progress counter")
        state_alloc(&s, c)
        s.rng = state if state != 0 else rng_seed(seed, <uint64_t>start, epoch_id)
        with nogil:
            stopped = train_range(c, &s, start, end,
                                  c.progress + <int64_t>thread_id * c.progress_stride)
        state_free(&s)
        return stopped, s.loss, s.examples, s.rng

    # ------------------------------------------------- deterministic training
    def piece(self, int index, int64_t first, int64_t end, uint64_t seed, uint64_t epoch_id,
              double progress_start, double progress_span):
        """A :class:`SupervisedPiece` of documents ``first..end`` for one
        epoch of deterministic training; ``progress_start`` and
        ``progress_span`` are the part of the call done when the epoch
        starts and the part it is."""
        if not 0 <= first <= end <= self.n_documents:
            raise ValueError(f"document range {first}..{end} outside 0..{self.n_documents}")
        cdef SupervisedPiece piece = SupervisedPiece(index)
        piece.first = first
        piece.pos = first
        piece.end = end
        piece.rng = rng_seed(seed, <uint64_t>index, epoch_id)
        piece.progress_start = progress_start
        piece.progress_span = progress_span
        piece.allocate(self._keep_alive[0].shape[0], &self.cfg)
        return piece

    def run(self, SupervisedPiece piece, int thread_id, int64_t stop_at):
        """Train the piece's documents up to ``stop_at`` (the end of its round)
        through its own copies of the rows, without the GIL."""
        cdef SupConfig local = self.cfg
        cdef SupState s
        cdef int64_t end = min(stop_at, piece.end)
        if not 0 <= thread_id < local.n_threads:
            raise ValueError(f"thread {thread_id} has no progress counter")
        if piece.pos >= end:
            return
        local.wo = piece.wo  # the piece's copy of the output layer
        state_alloc(&s, &local)
        s.rng = piece.rng
        s.copies = &piece.wi
        s.first = piece.first
        s.last = piece.end
        s.progress_start = piece.progress_start
        s.progress_span = piece.progress_span
        with nogil:
            train_range(&local, &s, piece.pos, end,
                        local.progress + <int64_t>thread_id * local.progress_stride)
        state_free(&s)
        piece.pos = end
        piece.rng = s.rng
        piece.loss += s.loss
        piece.examples += s.examples

    def merge(self, list pieces, int part, int n_parts):
        """Add the pieces' changes (in piece order) to the shared rows ``r``
        with ``r % n_parts == part`` of both matrices, without the GIL: the
        input rows as ``_piece_rows.pxd`` merges them, the output layer
        (which every piece holds whole) row by row the same way, after which
        every piece's copy of it is the merged one again.
        """
        cdef int n = len(pieces)
        cdef int m
        cdef int64_t row
        cdef SupervisedPiece piece
        cdef int dim = self.cfg.dim
        cdef float* shared
        cdef float* total
        if n == 0 or not 0 <= part < n_parts:
            raise ValueError("no pieces, or part out of range")
        cdef PieceRows** rows = <PieceRows**>malloc(n * sizeof(PieceRows*))
        cdef float** outputs = <float**>malloc(n * sizeof(float*))
        total = <float*>malloc(dim * sizeof(float))
        if rows == NULL or outputs == NULL or total == NULL:
            free(rows)
            free(outputs)
            free(total)
            raise MemoryError()
        for m, piece in enumerate(pieces):
            rows[m] = &piece.wi
            outputs[m] = piece.wo
        with nogil:
            merge_piece_rows(rows, n, self.cfg.wi, total, part, n_parts)
            # the output layer: every piece holds all of it
            row = part
            while row < self.cfg.n_out:
                shared = self.cfg.wo + row * dim
                vec_zero(total, dim)
                for m in range(n):
                    add_change(total, outputs[m] + row * dim, shared, dim)
                apply_total(shared, total, dim)
                for m in range(n):
                    memcpy(outputs[m] + row * dim, shared, dim * sizeof(float))
                row += n_parts
        free(rows)
        free(outputs)
        free(total)

    def end_round(self, list pieces):
        """Empty the pieces' copies of the input rows for the next round.

        Raises
        ------
        MemoryError
            A piece could not copy a row it needed.
        """
        cdef SupervisedPiece piece
        cdef bint failed = False
        for piece in pieces:
            failed = failed or piece.wi.failed
            piece.wi.count = 0
            piece.wi.failed = 0
        if failed:
            raise MemoryError("deterministic training ran out of memory for the pieces' "
                              "copies of the rows")


cdef class SupervisedPiece:
    """One piece of an epoch of deterministic supervised training: its
    documents, where it stands, its random stream and tallies, and its own
    copies of the input rows it touched this round and of the whole output
    layer (a few labels' rows). Made by :meth:`SupervisedTrainer.piece`."""
    cdef readonly int piece
    cdef readonly int64_t first
    cdef readonly int64_t pos
    cdef readonly int64_t end
    cdef uint64_t rng
    cdef double loss
    cdef int64_t examples
    cdef double progress_start
    cdef double progress_span
    cdef PieceRows wi
    cdef float* wo

    def __cinit__(self, int piece):
        self.piece = piece
        self.wo = NULL
        piece_rows_init(&self.wi, 0, 0)

    def __dealloc__(self):
        piece_rows_free(&self.wi)
        free(self.wo)

    cdef int allocate(self, int64_t n_rows, SupConfig* c) except -1:
        cdef int64_t size = <int64_t>c.n_out * c.dim
        self.wo = <float*>malloc(max(size, 1) * sizeof(float))
        if self.wo == NULL or piece_rows_init(&self.wi, n_rows, c.dim) != 0:
            raise MemoryError("could not allocate a piece's copies")
        memcpy(self.wo, c.wo, size * sizeof(float))
        return 0

    @property
    def bounds(self):
        """(first, end): the piece's documents."""
        return self.first, self.end

    @property
    def finished(self):
        return self.pos >= self.end

    @property
    def result(self):
        """(loss, examples) so far."""
        return self.loss, self.examples


# ------------------------------------------------------------------ prediction
cdef struct Heap:
    # the k best (score, label) so far, a min-heap on the score
    float* scores
    int32_t* ids
    int size
    int k


cdef inline bint heap_better(float a_score, int32_t a_id, float b_score,
                             int32_t b_id) noexcept nogil:
    # on a tie the later label wins, as in fastText's heap (whose sigmoid
    # table makes ties common between two labels)
    return a_score > b_score or (a_score == b_score and a_id > b_id)


cdef inline void heap_sift_down(Heap* h, int i) noexcept nogil:
    cdef int child, smallest
    cdef float score
    cdef int32_t ident
    while True:
        smallest = i
        child = 2 * i + 1
        if child < h.size and heap_better(h.scores[smallest], h.ids[smallest],
                                          h.scores[child], h.ids[child]):
            smallest = child
        child += 1
        if child < h.size and heap_better(h.scores[smallest], h.ids[smallest],
                                          h.scores[child], h.ids[child]):
            smallest = child
        if smallest == i:
            return
        score, ident = h.scores[i], h.ids[i]
        h.scores[i], h.ids[i] = h.scores[smallest], h.ids[smallest]
        h.scores[smallest], h.ids[smallest] = score, ident
        i = smallest


cdef inline void heap_offer(Heap* h, float score, int32_t ident) noexcept nogil:
    """Keep (score, ident) if it is among the k best so far."""
    cdef int i, parent
    if h.size == h.k:
        if not heap_better(score, ident, h.scores[0], h.ids[0]):
            return
        h.scores[0], h.ids[0] = score, ident
        heap_sift_down(h, 0)
        return
    i = h.size
    h.size += 1
    h.scores[i], h.ids[i] = score, ident
    while i > 0:
        parent = (i - 1) // 2
        if not heap_better(h.scores[parent], h.ids[parent], h.scores[i], h.ids[i]):
            break
        h.scores[i], h.scores[parent] = h.scores[parent], h.scores[i]
        h.ids[i], h.ids[parent] = h.ids[parent], h.ids[i]
        i = parent


cdef inline bint heap_full_and_beats(Heap* h, float score) noexcept nogil:
    """True when the heap is full and ``score`` cannot enter it."""
    return h.size == h.k and score < h.scores[0]


cdef void hs_search(const float* wo, const int32_t* left, const int32_t* right, int dim,
                    int32_t n_labels, int32_t node, float score, float floor,
                    const float* hidden, Heap* h) noexcept nogil:
    """fastText's depth-first search of the label tree, pruned by the
    threshold (``floor``, a log) and by the k best found so far."""
    cdef float f
    if score < floor or heap_full_and_beats(h, score):
        return
    if left[node] == -1 and right[node] == -1:
        heap_offer(h, score, node)
        return
    f = vec_dot(wo + <int64_t>(node - n_labels) * dim, hidden, dim)
    f = <float>(1.0 / (1.0 + expf(-f)))
    hs_search(wo, left, right, dim, n_labels, left[node], score + shifted_log(1.0 - f), floor,
              hidden, h)
    hs_search(wo, left, right, dim, n_labels, right[node], score + shifted_log(f), floor,
              hidden, h)


def predict_range(const float[:, ::1] input_matrix, const float[:, ::1] output_matrix,
                  const int32_t[::1] rows, const int64_t[::1] row_offsets, int64_t start,
                  int64_t end, int loss, int32_t n_labels, int k, float threshold,
                  const int32_t[::1] tree_left, const int32_t[::1] tree_right,
                  int32_t[:, ::1] out_labels, float[:, ::1] out_probs, int32_t[::1] out_counts,
                  float[:, ::1] out_hidden=None):
    """Predict documents ``start..end``: each one's ``k`` most probable
    labels with probability at least ``threshold``, best first.

    Writes row ``d`` of ``out_labels``/``out_probs`` (its first
    ``out_counts[d]`` entries) and, if given, the hidden vector into
    ``out_hidden[d]``; ``k=0`` computes the hidden vectors alone. Runs
    without the GIL, so threads can predict different ranges at once.
    """
    cdef int dim = input_matrix.shape[1]
    cdef int32_t n_out = output_matrix.shape[0]
    cdef float* hidden
    cdef float* output
    cdef Heap h
    cdef int64_t d, first, n
    cdef int32_t i
    cdef int j
    cdef float top, z, floor
    cdef float log_threshold = shifted_log(threshold)
    cdef const int32_t* row_ids = &rows[0] if rows.shape[0] else NULL
    if input_matrix.shape[0] == 0 or n_out == 0 or output_matrix.shape[1] != dim:
        raise ValueError("the matrices must be non-empty and of the same width")
    if k < (0 if out_hidden is not None else 1) or out_labels.shape[1] < k or \
            out_probs.shape[1] < k:
        raise ValueError("k must be at least 1 (0 with out_hidden) and fit the output arrays")
    if not 0 <= start <= end <= out_counts.shape[0] or end > row_offsets.shape[0] - 1:
        raise ValueError("document range outside the arrays")
    if loss == LOSS_HS and (tree_left.shape[0] != 2 * n_labels - 1 or
                            tree_right.shape[0] != 2 * n_labels - 1):
        raise ValueError("the tree must have 2 * n_labels - 1 nodes")
    hidden = <float*>malloc(dim * sizeof(float))
    output = <float*>malloc(n_out * sizeof(float))
    h.scores = <float*>malloc(max(k, 1) * sizeof(float))
    h.ids = <int32_t*>malloc(max(k, 1) * sizeof(int32_t))
    h.k = k
    if hidden == NULL or output == NULL or h.scores == NULL or h.ids == NULL:
        free(hidden)
        free(output)
        free(h.scores)
        free(h.ids)
        raise MemoryError()
    with nogil:
        for d in range(start, end):
            first = row_offsets[d]
            n = row_offsets[d + 1] - first
            out_counts[d] = 0
            mean_rows(&input_matrix[0, 0], row_ids + first, n, dim, hidden)
            if out_hidden is not None:
                for j in range(dim):
                    out_hidden[d, j] = hidden[j]
            if n == 0 or k == 0:
                continue  # fastText predicts nothing for an empty line
            h.size = 0
            if loss == LOSS_HS:
                hs_search(&output_matrix[0, 0], &tree_left[0], &tree_right[0], dim, n_labels,
                          2 * n_labels - 2, 0.0, log_threshold, hidden, &h)
            else:
                for i in range(n_out):
                    output[i] = vec_dot(&output_matrix[i, 0], hidden, dim)
                if loss == LOSS_SOFTMAX:
                    top = output[0]
                    for i in range(n_out):
                        if output[i] > top:
                            top = output[i]
                    z = 0.0
                    for i in range(n_out):
                        output[i] = expf(output[i] - top)
                        z += output[i]
                    for i in range(n_out):
                        output[i] /= z
                else:
                    for i in range(n_out):
                        output[i] = table_sigmoid(output[i])
                for i in range(n_out):
                    if output[i] < threshold:
                        continue
                    floor = shifted_log(output[i])
                    if heap_full_and_beats(&h, floor):
                        continue
                    heap_offer(&h, floor, i)
            # the heap, best first
            out_counts[d] = h.size
            j = h.size - 1
            while h.size > 0:
                out_labels[d, j] = h.ids[0]
                out_probs[d, j] = expf(h.scores[0])
                h.size -= 1
                if h.size > 0:
                    h.scores[0], h.ids[0] = h.scores[h.size], h.ids[h.size]
                    heap_sift_down(&h, 0)
                j -= 1
    free(hidden)
    free(output)
    free(h.scores)
    free(h.ids)
