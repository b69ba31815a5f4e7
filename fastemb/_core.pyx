# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Word2Vec training kernels: skip-gram and CBOW, negative sampling and
hierarchical softmax, with frequent-word subsampling and window shrinking.

One call of :meth:`Word2VecTrainer.run_shard` trains one thread's contiguous
shard of the encoded corpus for one epoch with the GIL released throughout.
Threads share the weight matrices without locks (Hogwild): collisions are rare
and harmless at these learning rates, as in the original word2vec tool.
"""
import numpy as np

cimport numpy as cnp
from libc.math cimport exp, log
from libc.stdint cimport UINT32_MAX, int32_t, int64_t, uint8_t, uint32_t, uint64_t
from libc.stdlib cimport free, malloc
from libc.string cimport memcpy, memmove

from fastemb._vecops cimport (alias_draw, rng_next, rng_seed, rng_u32, vec_axpy,
                              vec_dot, vec_scale, vec_zero)

cnp.import_array()

# ---------------------------------------------------------------------------
# Sigmoid and log-sigmoid by table lookup. Outside [-MAX_EXP, MAX_EXP] the
# sigmoid is saturated to 0 or 1 (as in word2vec), which also keeps the
# gradients of confidently right predictions at exactly zero.
# ---------------------------------------------------------------------------
cdef enum:
    TABLE_SIZE = 1024
    # each thread's progress counter sits on its own 64-byte cache line
    PROGRESS_STRIDE = 8
    # words between two progress reports / learning-rate updates of a thread
    REPORT_EVERY = 10000
    # hot rows a thread keeps private copies of (when there are several threads)
    HOT_ROWS = 2048

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


cdef inline float sigmoid(float f) noexcept nogil:
    if f >= MAX_EXP:
        return 1.0
    if f <= -MAX_EXP:
        return 0.0
    return SIGMOID_TABLE[<int>((f + MAX_EXP) * TABLE_SCALE)]


cdef inline float neg_log_sigmoid(float f) noexcept nogil:
    """``-log(sigmoid(f))``: the loss of one binary prediction with score f."""
    if f >= MAX_EXP:
        return 0.0
    if f <= -MAX_EXP:
        return -f
    return NEG_LOG_SIGMOID_TABLE[<int>((f + MAX_EXP) * TABLE_SCALE)]


# ---------------------------------------------------------------------------
# Hot rows. With several threads, the rows every thread writes all the time
# (frequent words' vectors, the Huffman nodes near the root) bounce between
# the cores' caches on every update and serialise the threads. Each thread
# therefore trains private copies of those rows and merges what it learned
# into the shared matrix every ``merge_every`` centre words (delta merging, as
# in local SGD); other rows stay shared Hogwild-style. One thread uses no
# copies.
# ---------------------------------------------------------------------------
cdef struct HotRows:
    float* local   # private copy of rows [lo, hi)
    float* base    # the shared values at the last merge
    int64_t lo
    int64_t hi


cdef struct ThreadRows:
    HotRows syn0
    HotRows syn1neg
    HotRows syn1


cdef inline float* row_of(const HotRows* hot, float* matrix, int64_t index,
                          int dim) noexcept nogil:
    """Pointer to row ``index``: the private copy when it is hot."""
    if hot.lo <= index < hot.hi:
        return hot.local + (index - hot.lo) * dim
    return matrix + index * dim


cdef int hot_init(HotRows* hot, const float* matrix, int64_t lo, int64_t hi,
                  int dim) noexcept nogil:
    cdef int64_t n = (hi - lo) * dim
    hot.lo = lo
    hot.hi = hi
    hot.local = NULL
    hot.base = NULL
    if n <= 0:
        hot.hi = lo
        return 0
    hot.local = <float*>malloc(n * sizeof(float))
    hot.base = <float*>malloc(n * sizeof(float))
    if hot.local == NULL or hot.base == NULL:
        return -1
    memcpy(hot.local, matrix + lo * dim, n * sizeof(float))
    memcpy(hot.base, hot.local, n * sizeof(float))
    return 0


cdef void hot_merge(HotRows* hot, float* matrix, int dim) noexcept nogil:
    """Add this thread's change since the last merge to the shared rows, then
    continue from the shared values (which include the other threads' work)."""
    cdef int64_t i
    cdef int64_t n = (hot.hi - hot.lo) * dim
    cdef float* shared = matrix + hot.lo * dim
    cdef float value
    for i in range(n):
        value = shared[i] + (hot.local[i] - hot.base[i])
        shared[i] = value
        hot.local[i] = value
        hot.base[i] = value


cdef void hot_free(HotRows* hot) noexcept nogil:
    free(hot.local)
    free(hot.base)
    hot.local = NULL
    hot.base = NULL


# ---------------------------------------------------------------------------
# Output layers. Each takes the hidden vector ``l1``, updates the output
# weights of the predicted word and accumulates the gradient for ``l1`` into
# ``neu1e``; it returns the loss of its predictions.
# ---------------------------------------------------------------------------
cdef inline double negative_sampling_update(W2VConfig* c, ThreadRows* rows, const float* l1,
                                            float* neu1e, int32_t target, float alpha,
                                            uint64_t* rng) noexcept nogil:
    cdef int d
    cdef int32_t word
    cdef float* l2
    cdef float f, g, label
    cdef double loss = 0.0
    for d in range(c.negative + 1):
        if d == 0:
            word = target
            label = 1.0
        else:
            word = alias_draw(c.ns_accept, c.ns_alias, c.vocab_size, rng)
            if word == target:
                continue
            label = 0.0
        l2 = row_of(&rows.syn1neg, c.syn1neg, word, c.dim)
        f = vec_dot(l1, l2, c.dim)
        g = (label - sigmoid(f)) * alpha
        loss += neg_log_sigmoid(f if d == 0 else -f)
        vec_axpy(g, l2, neu1e, c.dim)
        vec_axpy(g, l1, l2, c.dim)
    return loss


cdef inline double hierarchical_softmax_update(W2VConfig* c, ThreadRows* rows, const float* l1,
                                               float* neu1e, int32_t target,
                                               float alpha) noexcept nogil:
    cdef int64_t offset = c.hs_offsets[target]
    cdef int k
    cdef int code
    cdef float* l2
    cdef float f, g
    cdef double loss = 0.0
    for k in range(c.hs_lengths[target]):
        code = c.hs_codes[offset + k]
        l2 = row_of(&rows.syn1, c.syn1, c.hs_points[offset + k], c.dim)
        f = vec_dot(l1, l2, c.dim)
        # code 0 means "go left", trained towards sigmoid(f) = 1
        g = (1.0 - code - sigmoid(f)) * alpha
        loss += neg_log_sigmoid(f if code == 0 else -f)
        vec_axpy(g, l2, neu1e, c.dim)
        vec_axpy(g, l1, l2, c.dim)
    return loss


cdef inline double predict(W2VConfig* c, ThreadRows* rows, const float* l1, float* neu1e,
                           int32_t target, float alpha, uint64_t* rng) noexcept nogil:
    cdef double loss = 0.0
    vec_zero(neu1e, c.dim)
    if c.hs:
        loss += hierarchical_softmax_update(c, rows, l1, neu1e, target, alpha)
    if c.negative > 0:
        loss += negative_sampling_update(c, rows, l1, neu1e, target, alpha, rng)
    return loss


# ---------------------------------------------------------------------------
# One centre word, skip-gram or CBOW.
# ---------------------------------------------------------------------------
cdef inline double train_skipgram_centre(W2VConfig* c, ThreadRows* rows, const int32_t* buf,
                                         int i, int lo, int hi, float* neu1e, float alpha,
                                         uint64_t* rng) noexcept nogil:
    cdef int j
    cdef float* l1
    cdef double loss = 0.0
    for j in range(lo, hi):
        if j == i:
            continue
        # the context word's input vector predicts the centre word
        l1 = row_of(&rows.syn0, c.syn0, buf[j], c.dim)
        loss += predict(c, rows, l1, neu1e, buf[i], alpha, rng)
        vec_axpy(1.0, neu1e, l1, c.dim)
    return loss


cdef inline double train_cbow_centre(W2VConfig* c, ThreadRows* rows, const int32_t* buf,
                                     int i, int lo, int hi, float* neu1, float* neu1e,
                                     float alpha, uint64_t* rng) noexcept nogil:
    cdef int j
    cdef int count = 0
    cdef double loss
    vec_zero(neu1, c.dim)
    for j in range(lo, hi):
        if j != i:
            vec_axpy(1.0, row_of(&rows.syn0, c.syn0, buf[j], c.dim), neu1, c.dim)
            count += 1
    if count == 0:
        return 0.0
    if c.cbow_mean:
        vec_scale(1.0 / count, neu1, c.dim)
    loss = predict(c, rows, neu1, neu1e, buf[i], alpha, rng)
    if not c.cbow_mean:
        # the input was a sum: share its gradient out over the summands
        vec_scale(1.0 / count, neu1e, c.dim)
    for j in range(lo, hi):
        if j != i:
            vec_axpy(1.0, neu1e, row_of(&rows.syn0, c.syn0, buf[j], c.dim), c.dim)
    return loss


cdef inline bint keep_word(W2VConfig* c, int32_t word, uint64_t* rng) noexcept nogil:
    """Frequent-word subsampling: keep ``word`` with its precomputed probability."""
    cdef uint32_t threshold = c.keep_threshold[word]
    if threshold == UINT32_MAX:
        return True
    return rng_u32(rng) <= threshold


cdef inline float current_alpha(W2VConfig* c) noexcept nogil:
    """Linearly decayed learning rate from the words all threads have done."""
    cdef int64_t done = 0
    cdef int t
    cdef double frac
    for t in range(c.n_threads):
        done += c.progress[t * PROGRESS_STRIDE]
    frac = <double>done / <double>c.total_words if c.total_words > 0 else 1.0
    if frac > 1.0:
        frac = 1.0
    return <float>(c.start_alpha - (c.start_alpha - c.end_alpha) * frac)


PROGRESS_SLOT_STRIDE = PROGRESS_STRIDE


cdef inline void merge_hot_rows(W2VConfig* c, ThreadRows* rows) noexcept nogil:
    hot_merge(&rows.syn0, c.syn0, c.dim)
    hot_merge(&rows.syn1neg, c.syn1neg, c.dim)
    hot_merge(&rows.syn1, c.syn1, c.dim)


cdef void free_thread_memory(int32_t* buf, float* neu1, float* neu1e,
                             ThreadRows* rows) noexcept nogil:
    free(buf)
    free(neu1)
    free(neu1e)
    hot_free(&rows.syn0)
    hot_free(&rows.syn1neg)
    hot_free(&rows.syn1)


cdef struct ShardResult:
    double loss
    int64_t raw_words
    int64_t trained_words
    int64_t predictions


cdef int train_shard(W2VConfig* c, int thread_id, int64_t start, int64_t end,
                     int64_t sentence, uint64_t rng_state, ShardResult* out) noexcept nogil:
    """Train tokens ``[start, end)`` for one epoch; ``sentence`` indexes the
    sentence that contains ``start``. Returns -1 if memory ran out.

    Long sentences stream through a bounded buffer of kept (not subsampled)
    words: a centre is trained once its whole right context is in the buffer,
    and ``window`` words of left context are kept when the buffer is refilled,
    so a sentence of any length is trained exactly as if it were in memory.
    """
    cdef int cap = 8192 + 4 * c.window
    cdef int32_t* buf = <int32_t*>malloc(cap * sizeof(int32_t))
    cdef float* neu1 = <float*>malloc(c.dim * sizeof(float))
    cdef float* neu1e = <float*>malloc(c.dim * sizeof(float))
    cdef uint64_t rng = rng_state
    cdef int64_t pos = start
    cdef int64_t sentence_end
    cdef int64_t unreported = 0
    cdef int n, centre, limit, i, lo, hi, reduce, shift
    cdef int32_t word
    cdef bint sentence_done
    cdef float alpha
    cdef int64_t* my_progress = c.progress + thread_id * PROGRESS_STRIDE
    cdef ThreadRows rows
    cdef int64_t hot = HOT_ROWS if c.n_threads > 1 else 0
    cdef int64_t inner_nodes = c.vocab_size - 1
    cdef int status = 0
    cdef int since_merge = 0

    out.loss = 0.0
    out.raw_words = 0
    out.trained_words = 0
    out.predictions = 0
    # hot rows: the most frequent words (ids are sorted by count) and the
    # Huffman nodes nearest the root (the highest inner-node ids)
    status |= hot_init(&rows.syn0, c.syn0, 0, min(hot, c.vocab_size), c.dim)
    status |= hot_init(&rows.syn1neg, c.syn1neg, 0,
                       min(hot, c.vocab_size) if c.negative > 0 else 0, c.dim)
    status |= hot_init(&rows.syn1, c.syn1, max(inner_nodes - hot, 0),
                       inner_nodes if c.hs else 0, c.dim)
    if buf == NULL or neu1 == NULL or neu1e == NULL or status != 0:
        free_thread_memory(buf, neu1, neu1e, &rows)
        return -1

    alpha = current_alpha(c)
    while pos < end and sentence < c.n_sentences and not c.stop_flag[0]:
        sentence_end = c.sentence_ends[sentence]
        if sentence_end > end:
            sentence_end = end
        n = 0
        centre = 0
        while True:
            while n < cap and pos < sentence_end:
                word = c.tokens[pos]
                pos += 1
                unreported += 1
                if keep_word(c, word, &rng):
                    buf[n] = word
                    n += 1
            sentence_done = pos >= sentence_end
            limit = n if sentence_done else n - c.window
            for i in range(centre, limit):
                reduce = <int>(rng_next(&rng) % <uint64_t>c.window) if c.shrink_windows else 0
                lo = i - c.window + reduce
                if lo < 0:
                    lo = 0
                hi = i + c.window + 1 - reduce
                if hi > n:
                    hi = n
                if c.sg:
                    out.loss += train_skipgram_centre(c, &rows, buf, i, lo, hi, neu1e, alpha,
                                                      &rng)
                    out.predictions += hi - lo - 1
                else:
                    out.loss += train_cbow_centre(c, &rows, buf, i, lo, hi, neu1, neu1e, alpha,
                                                  &rng)
                    out.predictions += 1 if hi - lo > 1 else 0
                since_merge += 1
                if since_merge >= c.merge_every:
                    merge_hot_rows(c, &rows)
                    since_merge = 0
            if limit > centre:
                out.trained_words += limit - centre
                centre = limit
            if unreported >= REPORT_EVERY:
                my_progress[0] += unreported
                out.raw_words += unreported
                unreported = 0
                alpha = current_alpha(c)
                if c.stop_flag[0]:
                    break
            if sentence_done:
                break
            # keep `window` words of left context for the centres still to come
            shift = centre - c.window
            if shift > 0:
                memmove(buf, buf + shift, (n - shift) * sizeof(int32_t))
                n -= shift
                centre -= shift
        if pos >= c.sentence_ends[sentence]:
            sentence += 1
    my_progress[0] += unreported
    out.raw_words += unreported
    merge_hot_rows(c, &rows)
    free_thread_memory(buf, neu1, neu1e, &rows)
    return 0


cdef void* _data(object array, object dtype, str name, bint allow_empty=False) except? NULL:
    """Pointer to a C-contiguous array's data after checking its dtype."""
    if not isinstance(array, np.ndarray) or array.dtype != dtype or not array.flags.c_contiguous:
        raise TypeError(f"{name} must be a C-contiguous {np.dtype(dtype).name} array")
    if array.size == 0:
        if allow_empty:
            return NULL
        raise ValueError(f"{name} must not be empty")
    return cnp.PyArray_DATA(array)


cdef class Word2VecTrainer:
    """Holds the arrays of one ``train()`` call and trains shards of it.

    Parameters
    ----------
    syn0, syn1neg, syn1 : ndarray of float32, shape (vocab_size, dim)
        Input vectors and the output weights of negative sampling and of
        hierarchical softmax (``syn1neg``/``syn1`` may be empty when unused).
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
        One counter a thread at stride ``PROGRESS_SLOT_STRIDE``, cumulative
        over the call; read by the Python thread for progress reports.
    stop_flag : ndarray of int32, shape (1,)
        Set to non-zero to make every thread stop at its next report.
    merge_every : int
        Centre words between two merges of a thread's private hot rows; 0
        picks a default by mode. Hierarchical softmax writes the nodes near
        the root in every prediction, so they go stale fastest: 2048 for
        skip-gram (about 2 * window predictions a centre) and 4096 for CBOW;
        negative sampling alone merges every 8192.
    """
    cdef W2VConfig cfg
    cdef list _keep_alive

    def __init__(self, syn0, syn1neg, syn1, tokens, sentence_ends, keep_threshold,
                 ns_accept, ns_alias, hs_codes, hs_points, hs_offsets, hs_lengths,
                 int sg, int hs, int negative, int window, int shrink_windows, int cbow_mean,
                 float start_alpha, float end_alpha, int64_t total_words, progress, stop_flag,
                 int merge_every=0):
        if window < 1:
            raise ValueError("window must be at least 1")
        if not hs and negative <= 0:
            raise ValueError("either hs must be 1 or negative must be > 0")
        self._keep_alive = [syn0, syn1neg, syn1, tokens, sentence_ends, keep_threshold,
                            ns_accept, ns_alias, hs_codes, hs_points, hs_offsets,
                            hs_lengths, progress, stop_flag]
        c = &self.cfg
        c.syn0 = <float*>_data(syn0, np.float32, "syn0")
        c.dim = syn0.shape[1]
        c.vocab_size = syn0.shape[0]
        c.syn1neg = <float*>_data(syn1neg, np.float32, "syn1neg", not negative)
        c.syn1 = <float*>_data(syn1, np.float32, "syn1", not hs)
        c.tokens = <const int32_t*>_data(tokens, np.int32, "tokens", True)
        c.sentence_ends = <const int64_t*>_data(sentence_ends, np.int64, "sentence_ends", True)
        c.n_sentences = sentence_ends.shape[0]
        c.keep_threshold = <const uint32_t*>_data(keep_threshold, np.uint32, "keep_threshold")
        c.ns_accept = <const uint32_t*>_data(ns_accept, np.uint32, "ns_accept", not negative)
        c.ns_alias = <const int32_t*>_data(ns_alias, np.int32, "ns_alias", not negative)
        c.hs_codes = <const uint8_t*>_data(hs_codes, np.uint8, "hs_codes", True)
        c.hs_points = <const int32_t*>_data(hs_points, np.int32, "hs_points", True)
        c.hs_offsets = <const int64_t*>_data(hs_offsets, np.int64, "hs_offsets", not hs)
        c.hs_lengths = <const int32_t*>_data(hs_lengths, np.int32, "hs_lengths", not hs)
        for name, arr, rows in (("syn1neg", syn1neg, negative), ("syn1", syn1, hs)):
            if rows and tuple(arr.shape) != tuple(syn0.shape):
                raise ValueError(f"{name} has shape {arr.shape}, expected {syn0.shape}")
        if keep_threshold.shape[0] != c.vocab_size:
            raise ValueError("keep_threshold must have one entry per word")
        c.sg = sg
        c.hs = hs
        c.negative = negative
        c.window = window
        c.shrink_windows = shrink_windows
        c.cbow_mean = cbow_mean
        c.start_alpha = start_alpha
        c.end_alpha = end_alpha
        c.total_words = total_words
        c.progress = <int64_t*>_data(progress, np.int64, "progress")
        c.n_threads = progress.shape[0] // PROGRESS_STRIDE
        c.stop_flag = <int*>_data(stop_flag, np.intc, "stop_flag")
        if merge_every < 0:
            raise ValueError("merge_every must be >= 0")
        if merge_every == 0:
            merge_every = (2048 if sg else 4096) if hs else 8192
        c.merge_every = merge_every

    def run_shard(self, int thread_id, int64_t start, int64_t end, int64_t sentence,
                  uint64_t seed, uint64_t epoch):
        """Train tokens ``[start, end)`` for one epoch without the GIL.

        Parameters
        ----------
        thread_id : int
            Index of the calling thread's progress counter.
        start, end : int
            Token range of this shard.
        sentence : int
            Index of the sentence containing ``start``.
        seed, epoch : int
            Together with ``thread_id`` they fix this shard's random stream.

        Returns
        -------
        tuple of (float, int, int, int)
            Loss summed over all predictions, raw words read, words trained
            as centres (after subsampling), number of predictions.
        """
        cdef ShardResult result
        cdef int status
        cdef uint64_t state = rng_seed(seed, <uint64_t>thread_id, epoch)
        if thread_id < 0 or thread_id >= self.cfg.n_threads:
            raise ValueError("thread_id out of range")
        if start < 0 or end < start or end > self._keep_alive[3].shape[0]:
            raise ValueError("shard range out of the corpus")
        with nogil:
            status = train_shard(&self.cfg, thread_id, start, end, sentence, state, &result)
        if status != 0:
            raise MemoryError("could not allocate a training buffer")
        return result.loss, result.raw_words, result.trained_words, result.predictions


def draw_negatives(cnp.ndarray accept, cnp.ndarray alias, Py_ssize_t count, uint64_t seed):
    """Draw ``count`` word indices from an alias table (for tests and checks).

    Parameters
    ----------
    accept, alias : ndarray of uint32 / int32
        The alias table, as built by :func:`fastemb.vocab.build_alias_table`.
    count : int
        Number of draws.
    seed : int
        Seed of the generator.

    Returns
    -------
    ndarray of int32
    """
    cdef const uint32_t* acc = <const uint32_t*>_data(accept, np.uint32, "accept")
    cdef const int32_t* ali = <const int32_t*>_data(alias, np.int32, "alias")
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
    c.keep_threshold = <const uint32_t*>_data(keep_threshold, np.uint32, "keep_threshold")
    cdef const int32_t* tok = <const int32_t*>_data(tokens, np.int32, "tokens", True)
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
