"""Word2Vec: skip-gram and CBOW with negative sampling and/or hierarchical
softmax, a drop-in for ``gensim.models.Word2Vec``.

The corpus is encoded once into word ids (:mod:`fastemb.corpus.encode`); each epoch
every worker thread trains one contiguous shard of it inside the ``nogil``
kernel of :mod:`fastemb._core`.
"""
import logging
import math
import time

import numpy as np

from fastemb import registry
from fastemb._core import Word2VecTrainer
from fastemb.corpus.cache import cached_scan, check_cacheable
from fastemb.corpus.encode import EncodedCorpus, ScannedCorpus, encode_source, source_key

# gensim's word2vec module also offers its corpus readers: scripts import them from here
from fastemb.corpus.readers import LineSentence, PathLineSentences, Text8Corpus  # noqa: F401
from fastemb.corpus.vocab import (
    build_alias_table,
    build_huffman,
    counting_limit,
    effective_min_count,
    keep_probabilities,
    keep_thresholds,
    select_vocabulary,
)
from fastemb.errors import CorpusError, FormatError, VocabularyError
from fastemb.legacy import (
    MODEL_KEYWORDS,
    MODEL_TO_WV,
    corpus_keyword,
    renamed_attribute,
    translate_keywords,
    warn_renamed,
)
from fastemb.models.base import EmbeddingModel, check
from fastemb.models.scoring import predict_output_word, score_sentences
from fastemb.training.checkpoint import (
    Checkpointer,
    check_fingerprint,
    corpus_fingerprint,
    restore_progress,
)
from fastemb.training.epochs import Word2VecEpoch
from fastemb.training.threads import ShardRunner, exclusive_training, run_epochs, split_pieces
from fastemb.vectors.keyedvectors import KeyedVectors, pseudorandom_weak_vector
from fastemb.weights import matrix_attribute

__all__ = ["Word2Vec", "LineSentence", "PathLineSentences", "Text8Corpus"]

logger = logging.getLogger(__name__)

#: Hyper-parameters stored in saved models (and compared by equality tests).
PARAMS = ("vector_size", "alpha", "window", "min_count", "max_vocab_size", "max_memory",
          "sample", "seed", "workers", "min_alpha", "sg", "hs", "negative", "ns_exponent",
          "cbow_mean", "epochs",
          "sorted_vocab", "max_final_vocab", "shrink_windows", "shared_negatives")



@registry.register
class Word2Vec(EmbeddingModel):
    """Train word vectors with word2vec (Mikolov et al. 2013).

    Parameters take gensim's names and defaults, so a gensim script runs
    after changing its import.

    Parameters
    ----------
    sentences : iterable of list of str, optional
        Restartable iterable or one-shot generator; when given (or
        ``corpus_file``), the vocabulary is built and the model trained.
    corpus_file : str or os.PathLike, optional
        Text file (plain, .gz, .bz2, .xz) or directory of them, one sentence a
        line, tokens separated by whitespace. Lines of any length are used
        whole.
    vector_size : int
        Dimension of the vectors.
    alpha, min_alpha : float
        Learning rate at the start and at the end (linear decay).
    window : int
        Maximum distance between the centre word and a context word.
    min_count : int
        Ignore words with fewer occurrences.
    max_vocab_size : int, optional
        Prune the rarest words while counting when more than this many
        distinct words are held (bounds memory on huge corpora).
    max_memory : float, optional
        GiB the vocabulary counting may use (fastemb's addition): it prunes
        as ``max_vocab_size`` does once the distinct words held would need
        more (about 200 bytes each), and logs each pruning. The encoded
        corpus (4 bytes a word) is held besides.
    max_final_vocab : int, optional
        Raise ``min_count`` so that at most this many words remain.
    encoded_cache : str or os.PathLike, optional
        A directory where a ``corpus_file`` is encoded once, streaming, and
        kept memory-mapped for training (fastemb's addition,
        :mod:`fastemb.corpus.cache`): corpora larger than RAM train with memory
        that does not grow with them, and later runs on the unchanged file
        skip reading the text.
    sample : float
        Subsampling threshold of frequent words (0 disables).
    seed : int
        Seed of the initial vectors and of every random choice; with
        ``workers=1`` training is exactly reproducible.
    workers : int
        Training threads.
    sg : {0, 1}
        1 for skip-gram, 0 for CBOW.
    hs : {0, 1}
        1 for hierarchical softmax.
    negative : int
        Noise words per prediction for negative sampling (0 disables).
    ns_exponent : float
        Exponent of the word counts in the noise distribution.
    cbow_mean : {0, 1}
        CBOW: 1 averages the context vectors, 0 sums them.
    epochs : int
        Passes over the corpus.
    shrink_windows : bool
        Draw each centre's effective window uniformly from 1..``window``.
    shared_negatives : bool
        Skip-gram: share a window's output rows among its context words and
        update them once a window (Ji et al. 2016). Negative sampling draws
        the noise words once a centre word; hierarchical softmax trains the
        centre's Huffman path against all context rows at once, as small
        matrix products. Same quality, and faster. False updates the output
        rows after every (context, centre) pair and draws noise words for
        each, as word2vec and gensim do. No effect on CBOW or subwords.
    trim_rule : callable, optional
        ``(word, count, min_count) -> fastemb.corpus.vocab.RULE_*``.
    sorted_vocab : {0, 1}
        Sort the vocabulary by descending frequency.
    callbacks : sequence of CallbackAny2Vec
    compute_loss : bool
        Accepted for gensim compatibility; the loss is always computed
        (``loss_history``, :meth:`get_latest_training_loss`).
    batch_words : int
        Fewest words a training thread gets (gensim's job size): a corpus
        smaller than ``workers * batch_words`` trains on fewer threads, and
        one under ``2 * batch_words`` on one, so it is reproducible.
    hashfxn, comment : optional
        Accepted for gensim compatibility; they do not apply to fastemb
        (initial vectors come from ``seed``).
    null_word : {0, 1}
        1 adds gensim's ``'\\0'`` word (count 1) to the vocabulary; like
        gensim 4's Word2Vec, training does not use it for padding.
    **legacy_names : int
        ``size`` and ``iter``, gensim 3's names of ``vector_size`` and
        ``epochs``: accepted with a ``DeprecationWarning`` (as are ``model.most_similar``,
        ``model["word"]``, ``model.iter`` and ``wv.syn0``, ``wv.vocab``,
        ``wv.index2word``; see :mod:`fastemb.legacy`).

    Attributes
    ----------
    wv : KeyedVectors
        The trained word vectors.
    syn1neg, syn1 : ndarray
        Output weights of negative sampling / hierarchical softmax.
    corpus_count, corpus_total_words : int
        Sentences and raw words of the last corpus scanned.
    loss_history : list of float
        Training loss of every epoch trained (summed over predictions).
    """

    syn1neg = matrix_attribute(
        "syn1neg", lambda model, shape: [(len(model.wv), model.vector_size),
                                         (0, model.vector_size)],
        "Output rows of negative sampling, a row per word (none without it).")
    syn1 = matrix_attribute(
        "syn1", lambda model, shape: [(len(model.wv), model.vector_size),
                                      (0, model.vector_size)],
        "Output rows of hierarchical softmax, a row per Huffman node (none without it).")


    #: Hyper-parameters stored in saved models.
    PARAMS = PARAMS
    CALL_KEYS = ("epochs", "start_alpha", "end_alpha", "trained", "raw", "seconds", "loss")
    LOAD_HINT = " (use KeyedVectors.load for vectors)"

    def __init__(self, sentences=None, corpus_file=None, vector_size=100, alpha=0.025, window=5,
                 min_count=5, max_vocab_size=None, sample=1e-3, seed=1, workers=3,
                 min_alpha=0.0001, sg=0, hs=0, negative=5, ns_exponent=0.75, cbow_mean=1,
                 hashfxn=None, epochs=5, null_word=0, trim_rule=None, sorted_vocab=1,
                 batch_words=10000, compute_loss=False, callbacks=(), comment=None,
                 max_final_vocab=None, shrink_windows=True, max_memory=None,
                 encoded_cache=None, shared_negatives=True, **legacy_names):
        renamed = translate_keywords(legacy_names, MODEL_KEYWORDS, type(self).__name__)
        vector_size = renamed.get("vector_size", vector_size)
        epochs = renamed.get("epochs", epochs)
        self.vector_size = vector_size
        self.alpha = alpha
        self.window = window
        self.min_count = min_count
        self.max_vocab_size = max_vocab_size
        self.max_memory = max_memory
        self.encoded_cache = encoded_cache
        self.sample = sample
        self.seed = seed
        self.workers = workers
        self.min_alpha = min_alpha
        self.sg = sg
        self.hs = hs
        self.negative = negative
        self.ns_exponent = ns_exponent
        self.cbow_mean = cbow_mean
        self.epochs = epochs
        self.sorted_vocab = sorted_vocab
        self.max_final_vocab = max_final_vocab
        self.shrink_windows = shrink_windows
        self.shared_negatives = shared_negatives
        self.callbacks = tuple(callbacks)
        self.compute_loss = compute_loss
        self.comment = comment
        self.null_word = null_word
        self.hashfxn = hashfxn
        self.batch_words = batch_words
        self._validate()
        self.wv = KeyedVectors(vector_size)
        self.syn1neg = np.zeros((0, vector_size), dtype=np.float32)
        self.syn1 = np.zeros((0, vector_size), dtype=np.float32)
        self.corpus_count = 0
        self.corpus_total_words = 0
        self.effective_min_count = min_count
        self.loss_history = []
        self.running_training_loss = 0.0
        self.epochs_trained = 0
        self.train_count = 0
        self.total_train_time = 0.0
        self.min_alpha_yet_reached = float(alpha)
        self.interrupted = False
        self.train_stats = []
        self.random = np.random.RandomState(seed)
        self._raw = None
        self._scanned = None
        self._tables = None
        self._weights_trained = False
        if self.hs and self.negative:
            logger.warning("Both hierarchical softmax and negative sampling are activated. This "
                           "is probably a mistake: set hs=0 or negative=0 unless you mean it.")
        self.add_lifecycle_event("created", params=str(self))
        if sentences is not None or corpus_file is not None:
            self.build_vocab(corpus_iterable=sentences, corpus_file=corpus_file,
                             trim_rule=trim_rule)
            self.train(corpus_iterable=sentences, corpus_file=corpus_file,
                       total_examples=self.corpus_count, total_words=self.corpus_total_words,
                       epochs=self.epochs)

    # ------------------------------------------------------------ validation
    def _validate(self):
        check(isinstance(self.vector_size, (int, np.integer)) and self.vector_size > 0,
               f"vector_size must be a positive integer, got {self.vector_size!r}")
        check(isinstance(self.window, (int, np.integer)) and self.window >= 1,
               f"window must be an integer >= 1, got {self.window!r}")
        check(self.min_count >= 0, f"min_count must be >= 0, got {self.min_count!r}")
        check(self.sample >= 0, f"sample must be >= 0, got {self.sample!r}")
        check(self.sg in (0, 1, True, False), f"sg must be 0 or 1, got {self.sg!r}")
        check(self.hs in (0, 1, True, False), f"hs must be 0 or 1, got {self.hs!r}")
        check(isinstance(self.negative, (int, np.integer)) and self.negative >= 0,
               f"negative must be an integer >= 0, got {self.negative!r}")
        check(self.hs or self.negative > 0,
               "no training objective: set hs=1 or negative > 0 (got hs=0, negative=0)")
        check(self.cbow_mean in (0, 1, True, False),
               f"cbow_mean must be 0 or 1, got {self.cbow_mean!r}")
        check(self.alpha > 0, f"alpha must be > 0, got {self.alpha!r}")
        check(0 <= self.min_alpha <= self.alpha,
               f"min_alpha must be in [0, alpha], got {self.min_alpha!r}")
        check(isinstance(self.epochs, (int, np.integer)) and self.epochs >= 1,
               f"epochs must be an integer >= 1, got {self.epochs!r}")
        check(isinstance(self.workers, (int, np.integer)) and self.workers >= 1,
               f"workers must be an integer >= 1, got {self.workers!r}")
        check(math.isfinite(self.ns_exponent),
               f"ns_exponent must be finite, got {self.ns_exponent!r}")
        check(self.max_vocab_size is None or self.max_vocab_size >= 1,
               f"max_vocab_size must be >= 1 or None, got {self.max_vocab_size!r}")
        check(self.max_memory is None or (isinstance(self.max_memory, (int, float))
                                           and 0 < self.max_memory < math.inf),
               f"max_memory must be a positive number of GiB or None, got {self.max_memory!r}")
        check(self.max_final_vocab is None or self.max_final_vocab >= 1,
               f"max_final_vocab must be >= 1 or None, got {self.max_final_vocab!r}")
        check(self.null_word in (0, 1, True, False),
               f"null_word must be 0 or 1, got {self.null_word!r}")

    # ------------------------------------------------------------ vocabulary
    def build_vocab(self, corpus_iterable=None, corpus_file=None, update=False, progress_per=10000,
                    keep_raw_vocab=False, trim_rule=None, **kwargs):
        """Scan the corpus once: count words, choose the vocabulary, encode the
        corpus as word ids and initialise the weights (gensim's
        :meth:`scan_vocab`, :meth:`prepare_vocab` and :meth:`prepare_weights`
        in turn).

        Parameters
        ----------
        corpus_iterable : iterable of list of str, optional
        corpus_file : str or os.PathLike, optional
            Exactly one of the two.
        update : bool
            Grow the existing vocabulary instead of replacing it (gensim's
            online training): known words add the new counts, new words that
            reach ``min_count`` (or that ``trim_rule`` keeps) are appended
            with fresh vectors, the output layers gain zero rows and the
            noise, Huffman and subsampling tables are rebuilt; then
            ``train()`` on the same corpus goes on from the trained weights.
        keep_raw_vocab : bool
            Keep the raw word counts (``raw_vocab``) afterwards.
        trim_rule : callable, optional
            ``(word, count, min_count) -> RULE_*`` (gensim's values).
        progress_per, **kwargs
            Accepted for gensim compatibility.

        Raises
        ------
        VocabularyError
            Empty corpus, or no word reaching ``min_count`` (also a
            ``RuntimeError``, as gensim raises).
        """
        corpus_iterable = corpus_keyword(corpus_iterable, kwargs, "build_vocab")
        self._validate()
        started = time.perf_counter()
        self.scan_vocab(corpus_iterable, corpus_file, progress_per, trim_rule=trim_rule)
        report = self.prepare_vocab(update=update, keep_raw_vocab=keep_raw_vocab,
                                    trim_rule=trim_rule)
        self.prepare_weights(update=update)
        seconds = round(time.perf_counter() - started, 3)
        self.add_lifecycle_event("build_vocab", update=update, trim_rule=str(trim_rule),
                                 words=len(self.wv), seconds=seconds, **report)

    def scan_vocab(self, corpus_iterable=None, corpus_file=None, progress_per=10000, workers=None,
                   trim_rule=None):
        """Read the corpus once, counting every word and keeping it encoded
        for :meth:`prepare_vocab` (``max_vocab_size`` prunes on the way).

        Parameters
        ----------
        corpus_iterable, corpus_file
            Exactly one, as for :meth:`build_vocab`.
        trim_rule : callable, optional
            Consulted when pruning.
        workers : int, optional
            Threads reading a corpus file (default: the model's ``workers``).
        progress_per
            Accepted for gensim compatibility.

        Returns
        -------
        (int, int)
            Raw words and sentences read.
        """
        corpus_iterable = corpus_keyword(corpus_iterable, {}, "scan_vocab")
        limit = counting_limit(self.max_vocab_size, self.max_memory)
        if self.encoded_cache is not None:
            check_cacheable(corpus_file, trim_rule)
            raw = cached_scan(corpus_file, self.encoded_cache, self.min_count, limit,
                              self.max_final_vocab, bool(self.sorted_vocab))
        else:
            raw = encode_source(self._sentences_of(corpus_iterable), corpus_file,
                                max_vocab_size=limit, trim_rule=trim_rule,
                                threads=int(workers or self.workers))
        # remember the caller's object, which train() will be given again
        self._raw = (raw, source_key(corpus_iterable, corpus_file), corpus_iterable)
        self.corpus_count = raw.n_sentences
        self.corpus_total_words = raw.raw_words
        logger.info("collected %d distinct words from %d raw words in %d sentences",
                    sum(w is not None for w in raw.words), raw.raw_words, raw.n_sentences)
        return raw.raw_words, raw.n_sentences

    @property
    def raw_vocab(self):
        """Word -> count of the corpus last scanned, before the vocabulary was
        chosen (empty once :meth:`prepare_vocab` has run, unless
        ``keep_raw_vocab``)."""
        if self._raw is None:
            return {}
        raw = self._raw[0]
        return {w: int(c) for w, c in zip(raw.words, raw.counts) if w is not None}

    def build_vocab_from_freq(self, word_freq, keep_raw_vocab=False, corpus_count=None,
                              trim_rule=None, update=False):
        """Build (or with ``update`` grow) the vocabulary from word counts
        instead of a corpus; ``train()`` then encodes the corpus it is given.

        Parameters
        ----------
        word_freq : dict of str to int
        corpus_count : int, optional
            Number of sentences the counts came from.
        keep_raw_vocab, trim_rule, update
            As for :meth:`build_vocab`.
        """
        words = list(word_freq)
        counts = np.array([word_freq[w] for w in words], dtype=np.int64)
        raw = EncodedCorpus([], np.zeros(0, dtype=np.int64), words, counts, int(counts.sum()))
        self._raw = (raw, None, None)
        self.corpus_count = int(corpus_count or 0)
        self.corpus_total_words = raw.raw_words
        report = self.prepare_vocab(update=update, keep_raw_vocab=keep_raw_vocab,
                                    trim_rule=trim_rule)
        self.prepare_weights(update=update)
        self.add_lifecycle_event("build_vocab_from_freq", update=update, words=len(self.wv),
                                 **report)

    def prepare_vocab(self, update=False, keep_raw_vocab=False, trim_rule=None, min_count=None,
                      sample=None, dry_run=False):
        """Choose the vocabulary from the counts :meth:`scan_vocab` gathered
        (``min_count``, ``max_final_vocab``, ``trim_rule``), give its words
        their first vectors and encode the scanned corpus over it.

        Parameters
        ----------
        update : bool
            Grow the existing vocabulary (see :meth:`build_vocab`).
        keep_raw_vocab : bool
            Keep the raw counts for another call.
        trim_rule : callable, optional
        min_count, sample : optional
            Replace the model's values.
        dry_run : bool
            Only report what would be kept; change nothing.

        Returns
        -------
        dict
            ``drop_unique`` (distinct words dropped), ``retain_total`` (their
            occurrences kept), ``num_retained_words``, ``downsample_unique``
            (words subsampling thins) and ``downsample_total`` (occurrences
            expected to remain after subsampling).

        Raises
        ------
        RuntimeError
            Nothing scanned, or ``update`` without a vocabulary to grow.
        VocabularyError
            No word reaches ``min_count``.
        """
        if self._raw is None:
            raise RuntimeError("nothing scanned: call scan_vocab() (or build_vocab()) first")
        min_count = self.min_count if min_count is None else min_count
        sample = self.sample if sample is None else sample
        if not dry_run:
            self.min_count, self.sample = min_count, sample
        raw, source, source_object = self._raw
        if update:
            if not len(self.wv):
                raise RuntimeError("build_vocab(update=True) grows a vocabulary: build one "
                                   "first (build_vocab() without update, or load a model)")
            report = self._grow_vocab(raw, source, source_object, min_count, sample, trim_rule,
                                      dry_run)
        else:
            mapping, keys, counts = select_vocabulary(
                raw.words, raw.counts, min_count, self.max_final_vocab, trim_rule,
                bool(self.sorted_vocab))
            distinct = sum(w is not None for w in raw.words)
            report = self._vocab_report(distinct - len(keys), counts, sample)
            if dry_run:
                return report
            self.effective_min_count = effective_min_count(
                raw.counts[[w is not None for w in raw.words]], min_count, self.max_final_vocab)
            self._keep_scan(raw, mapping, keys, counts, distinct, source, source_object)
            if self.null_word:
                # gensim's padding word, appended after the corpus's words
                keys, counts = keys + ["\0"], np.append(counts, 1)
            self.wv = self._new_vectors(keys, counts)
            self._weights_trained = False
            logger.info("vocabulary: %d words of %d distinct (min_count=%d)", len(keys),
                        distinct, self.effective_min_count)
        if not keep_raw_vocab:
            self._raw = None
        return report

    def _keep_scan(self, raw, mapping, keys, counts, distinct, source, source_object):
        """Re-encode the scanned corpus over the chosen vocabulary (``mapping``:
        provisional id -> word id) for ``train()`` to reuse. With counts
        alone (``build_vocab_from_freq``, or a second ``prepare_vocab``)
        there is nothing to keep, and ``train()`` encodes what it is given."""
        self._scanned = None
        if raw.chunks:
            tokens, ends = raw.compact(mapping)
            self._scanned = ScannedCorpus(tokens, ends, keys, counts, raw.n_sentences,
                                          raw.raw_words, distinct, source, source_object)
        elif raw.encoded is not None and raw.encoded.keys == keys:
            self._scanned = raw.encoded  # memory-mapped from the encoded cache
        self._corpus_chosen(raw.n_sentences, scanned=True)

    @staticmethod
    def _vocab_report(drop_unique, counts, sample):
        keep = keep_probabilities(counts, sample)
        return {"drop_unique": int(drop_unique), "retain_total": int(counts.sum()),
                "num_retained_words": int(len(counts)),
                "downsample_unique": int((keep < 1.0).sum()),
                "downsample_total": int(round(float((keep * counts).sum())))}

    def _grow_vocab(self, raw, source, source_object, min_count, sample, trim_rule, dry_run):
        """``prepare_vocab(update=True)``: see :meth:`build_vocab`."""
        known = self.wv.key_to_index
        old_size = len(self.wv)
        fresh = [w if w is not None and w not in known else None for w in raw.words]
        n_fresh = sum(w is not None for w in fresh)
        counts = self.wv.counts.copy()
        mapping = np.full(len(raw.words), -1, dtype=np.int32)
        for provisional, word in enumerate(raw.words):
            if word is not None and word in known:
                mapping[provisional] = known[word]
                counts[known[word]] += raw.counts[provisional]
        new_keys, new_counts = [], np.zeros(0, np.int64)
        if n_fresh:
            try:
                chosen, new_keys, new_counts = select_vocabulary(
                    fresh, raw.counts, min_count, None, trim_rule, False)
                mapping[chosen >= 0] = chosen[chosen >= 0] + old_size
            except VocabularyError:
                pass  # no new word reaches min_count: only the counts grow
        all_counts = np.concatenate([counts, new_counts])
        report = self._vocab_report(n_fresh - len(new_keys), all_counts, sample)
        if dry_run:
            return report
        self._keep_scan(raw, mapping, self.wv.index_to_key + new_keys, all_counts,
                        len(raw.words), source, source_object)
        self.wv.counts = counts
        self._add_words(new_keys, new_counts)
        logger.info("vocabulary grown by %d words to %d", len(new_keys), len(self.wv))
        return report

    def prepare_weights(self, update=False):
        """Allocate the output layers (zeros) and derive the training tables;
        with ``update``, grow them to a vocabulary :meth:`prepare_vocab` grew
        and keep every trained row."""
        if update:
            self.update_weights()
        else:
            self.init_weights()

    def init_weights(self):
        """Give every word its initial vector (from ``seed``) and zero the
        output layers: the state of an untrained model."""
        if self._weights_trained:
            self.wv = self._new_vectors(self.wv.index_to_key, self.wv.counts)
            self._weights_trained = False
        rows = len(self.wv)
        self.syn1neg = np.zeros((rows if self.negative else 0, self.vector_size), np.float32)
        self.syn1 = np.zeros((rows if self.hs else 0, self.vector_size), np.float32)
        self._tables = None
        self._training_tables()

    def update_weights(self):
        """Grow the output layers with zero rows for words added since they
        were allocated, and rebuild the training tables."""
        rows = len(self.wv)
        for name, used in (("syn1neg", self.negative), ("syn1", self.hs)):
            layer = getattr(self, name)
            if used and layer.shape[0] < rows:
                grow = np.zeros((rows - layer.shape[0], self.vector_size), dtype=np.float32)
                setattr(self, name, np.vstack([layer, grow]))
        if np.asarray(self.wv.vectors_lockf).size > 1:
            self.wv.expand_lockf()  # new words train freely
        self._tables = None
        self._training_tables()

    def _add_words(self, keys, counts):
        """Append new vocabulary words with fresh vectors (subclasses add
        their n-gram rows)."""
        if keys:
            # a stream of its own for each growth, so new rows do not repeat old ones
            self.wv.add_vectors(keys, self._initial_vectors(len(keys), stream=(2, len(self.wv))))
            self.wv.counts[-len(keys):] = counts

    def _new_vectors(self, keys, counts):
        """The untrained ``wv`` for a new vocabulary (subclasses add subwords)."""
        return KeyedVectors.from_arrays(keys, self._initial_vectors(len(keys)), counts)

    def _kernel_inputs(self):
        """``(syn0, options)``: the input rows and the trainer's keyword
        arguments describing them (FastText: each word's list of rows;
        Doc2Vec: the documents' tag rows). Word2Vec: word ``w`` is row ``w``."""
        return self.wv.vectors, {}

    def _sentences_of(self, corpus_iterable):
        """The token lists of a corpus iterable (Doc2Vec: its documents' words)."""
        return corpus_iterable

    def _corpus_chosen(self, n_sentences, scanned):
        """Called with the corpus about to be trained: the one ``build_vocab``
        scanned, or another just encoded. Nothing to do for words alone."""

    def _after_training(self):
        """Bring ``wv`` up to date with the trained input rows."""
        self.wv.resize_vectors()

    def _initial_vectors(self, n, stream=0):
        """Uniform in [-1, 1) / vector_size, gensim 4's scale (the C tool's is
        half of it; the larger one gave CBOW better analogies in our runs).
        Any other ``stream`` (an int or a tuple of ints) draws an independent
        set: Doc2Vec's tag vectors, rows added when the vocabulary grows."""
        if stream == 0:
            rng = np.random.default_rng(self.seed)
        else:
            rng = np.random.default_rng([self.seed, *np.atleast_1d(stream).tolist()])
        vectors = rng.random((n, self.vector_size), dtype=np.float32)
        vectors *= 2.0
        vectors -= 1.0
        vectors /= self.vector_size
        return vectors

    def _training_tables(self):
        """Subsampling, noise and Huffman tables derived from the counts."""
        if self._tables is None:
            counts = self.wv.counts
            accept, alias = (build_alias_table(counts.astype(np.float64) ** self.ns_exponent)
                             if self.negative else (np.zeros(0, np.uint32), np.zeros(0, np.int32)))
            empty = (np.zeros(0, np.uint8), np.zeros(0, np.int32), np.zeros(0, np.int64),
                     np.zeros(0, np.int32))
            self._tables = {
                "keep": keep_thresholds(counts, self.sample),
                "ns": (accept, alias),
                "hs": build_huffman(counts) if self.hs else empty,
            }
            self._expose_tables(self._tables)
        return self._tables

    def _expose_tables(self, tables):
        """Let ``wv.get_vecattr`` answer gensim's per-word ``'sample_int'``
        and, with hierarchical softmax, ``'code'`` and ``'point'``."""
        keep = tables["keep"]
        derived = {"sample_int": lambda i: int(keep[i])}
        if self.hs:
            codes, points, offsets, lengths = tables["hs"]

            def path(array):
                return lambda i: array[offsets[i]:offsets[i] + lengths[i]].copy()
            derived.update(code=path(codes), point=path(points))
        self.wv.derived_vecattrs = derived

    # -------------------------------------------------------------- training
    def _corpus_for(self, corpus_iterable, corpus_file):
        """``(tokens, sentence_ends)`` to train: the ones scanned by ``build_vocab`` when
        the same source is given again, else the new one encoded against the
        current vocabulary."""
        if (corpus_iterable is None) == (corpus_file is None):
            raise ValueError("give exactly one of corpus_iterable (sentences) or corpus_file")
        scanned = self._scanned
        if scanned is not None and source_key(corpus_iterable, corpus_file) == scanned.source:
            self._corpus_chosen(scanned.n_sentences, scanned=True)
            return scanned.tokens, scanned.sentence_ends
        encoded = encode_source(self._sentences_of(corpus_iterable), corpus_file,
                                vocab=self.wv.key_to_index, threads=int(self.workers))
        self.corpus_count = encoded.n_sentences
        self.corpus_total_words = encoded.raw_words
        self._corpus_chosen(encoded.n_sentences, scanned=False)
        return encoded.compact()

    @exclusive_training
    def train(self, corpus_iterable=None, corpus_file=None, total_examples=None, total_words=None,
              epochs=None, start_alpha=None, end_alpha=None, word_count=0, queue_factor=2,
              report_delay=1.0, compute_loss=False, callbacks=(), progress=None,
              checkpoint=None, checkpoint_every=None, **kwargs):
        """Train the vectors.

        Parameters
        ----------
        corpus_iterable : iterable of list of str, optional
        corpus_file : str or os.PathLike, optional
            Exactly one of the two. Passing the corpus given to
            :meth:`build_vocab` reuses its encoding (a one-shot generator
            already consumed there works); another corpus is encoded against
            the existing vocabulary.
        total_examples, total_words : int
            Sentences or raw words in the corpus: one of them is required,
            as in gensim (``model.corpus_count`` after ``build_vocab`` on
            the same corpus). fastemb knows the true size once it has read
            the corpus, so the learning rate follows the true size; a value
            that differs from it is reported with a warning.
        epochs : int
            Passes over the corpus; required, as in gensim (usually
            ``model.epochs``).
        start_alpha, end_alpha : float, optional
            Default ``alpha`` and ``min_alpha``. A start above the lowest
            rate an earlier call reached is warned about (it is rarely meant).
        word_count, queue_factor : optional
            Accepted for gensim compatibility.
        report_delay : float
            Seconds between progress log lines.
        callbacks : sequence of CallbackAny2Vec
            In addition to the model's own.
        progress : callable, optional
            ``progress(done, total)`` with raw words processed so far in this
            call and in all, every ``report_delay`` seconds and at the end.
        checkpoint : str or os.PathLike, optional
            Save a checkpoint there (atomically, replacing the last one)
            every ``checkpoint_every``, on Ctrl-C and at the end;
            :meth:`resume` continues from it.
        checkpoint_every : float or str, optional
            Seconds (``600``, ``"10min"``) or raw words (``"5M words"``);
            default 600 seconds (see :func:`fastemb.training.checkpoint.parse_every`).

        Returns
        -------
        (int, int)
            Words trained (after subsampling) and raw words processed.
        """
        corpus_iterable = corpus_keyword(corpus_iterable, kwargs, "train")
        if not len(self.wv):
            raise RuntimeError("build the vocabulary first: call build_vocab() before train()")
        if total_examples is None and total_words is None:
            raise ValueError("give total_examples or total_words, as gensim requires (after "
                             "build_vocab on the same corpus: total_examples=model.corpus_count)")
        if epochs is None:
            raise ValueError("give epochs explicitly, as gensim requires (usually "
                             "epochs=model.epochs)")
        check(isinstance(epochs, (int, np.integer)) and epochs >= 1,
               f"epochs must be an integer >= 1, got {epochs!r}")
        start_alpha = self.alpha if start_alpha is None else start_alpha
        end_alpha = self.min_alpha if end_alpha is None else end_alpha
        if start_alpha > self.min_alpha_yet_reached:
            logger.warning("Effective 'alpha' higher than previous training cycles: this call "
                           "starts at %g, an earlier one got down to %g", start_alpha,
                           self.min_alpha_yet_reached)
        tokens, sentence_ends = self._corpus_for(corpus_iterable, corpus_file)
        if len(tokens) == 0:
            raise CorpusError("the training corpus has no word of the vocabulary")
        self._check_supplied_counts(total_examples, total_words, len(sentence_ends))
        call = {"epochs": int(epochs), "start_alpha": float(start_alpha),
                "end_alpha": float(end_alpha), "trained": 0, "raw": 0, "seconds": 0.0,
                "loss": 0.0}
        return self._train_call(tokens, sentence_ends, call, report_delay, callbacks, progress,
                                checkpoint, checkpoint_every)

    def _train_call(self, tokens, sentence_ends, call, report_delay, callbacks, progress,
                    checkpoint, checkpoint_every, resume=None):
        """Train the epochs of one ``train()`` call (or the rest of them, from
        a checkpoint's ``resume`` state) on an encoded corpus.

        ``call`` holds the call's settings and running totals; it is what a
        checkpoint saves of the call.
        """
        self.wv.make_writable()
        for name in ("syn1neg", "syn1"):
            array = getattr(self, name)
            if not array.flags.writeable or not array.flags.c_contiguous:
                setattr(self, name, np.array(array, dtype=np.float32, order="C"))
        tables = self._training_tables()
        workers = self._threads_for(len(tokens))
        runner = ShardRunner(workers, report_delay)
        syn0, inputs = self._kernel_inputs()
        inputs["lockf"] = self._row_lock_factors(syn0.shape[0])
        epochs = call["epochs"]
        self.running_training_loss = call["loss"]
        trainer = Word2VecTrainer(
            syn0, self.syn1neg, self.syn1, tokens, sentence_ends,
            tables["keep"], *tables["ns"], *tables["hs"], int(self.sg), int(self.hs),
            int(self.negative), int(self.window), int(bool(self.shrink_windows)),
            int(self.cbow_mean), call["start_alpha"], call["end_alpha"], len(tokens) * epochs,
            runner.counters, runner.stop_flag, pause_at=runner.pause_at,
            shared_negatives=int(bool(self.shared_negatives)), **inputs)
        pieces = split_pieces(sentence_ends, len(tokens), workers)
        seed = int(self.seed)
        resume_point = None
        if resume is not None:
            resume_point = self._resume_point(resume, runner, trainer)
        checkpointer = None
        if checkpoint is not None:
            checkpointer = Checkpointer(checkpoint, checkpoint_every, self, call,
                                        corpus_fingerprint(**self._corpus_arrays(
                                            tokens, sentence_ends)), runner)

        def start_epoch(epoch_id):
            return Word2VecEpoch.start(trainer, pieces, seed, epoch_id)

        def finish_epoch(job, seconds, epoch):
            results = job.results()
            loss = float(sum(r[0] for r in results))
            raw = sum(r[1] for r in results)
            trained = sum(r[2] for r in results)
            predictions = sum(r[3] for r in results)
            call["trained"] += trained
            call["raw"] += raw
            call["seconds"] += seconds
            call["loss"] += loss
            self.running_training_loss = call["loss"]
            self.loss_history.append(loss)
            self.train_stats.append({"epoch": self.epochs_trained, "loss": loss,
                                     "raw_words": raw, "trained_words": trained,
                                     "predictions": predictions, "seconds": seconds})
            logger.info("EPOCH %d: loss %.4g (%.4f a prediction), %d raw words, %d trained, "
                        "%.2f s, %.0f words/s", epoch, loss, loss / max(predictions, 1),
                        raw, trained, seconds, raw / max(seconds, 1e-9))
            return loss

        self._weights_trained = True
        watched = [syn0, self.syn1neg, self.syn1] + (
            [inputs["docvecs"]] if inputs.get("docvecs") is not None else [])
        run_epochs(self, runner, epochs, start_epoch, finish_epoch,
                   self.callbacks + tuple(callbacks), progress, len(tokens), "words",
                   checkpointer, resume_point, weights=lambda: watched)
        self._after_training()
        self.train_count += 1
        self.total_train_time += call["seconds"]
        if not self.interrupted:
            self.min_alpha_yet_reached = call["end_alpha"]
        self.add_lifecycle_event("train", epochs=epochs, raw_words=call["raw"],
                                 trained_words=call["trained"],
                                 seconds=round(call["seconds"], 3), alpha=call["start_alpha"],
                                 min_alpha=call["end_alpha"])
        return call["trained"], call["raw"]

    def _threads_for(self, n_tokens):
        """Threads to train ``n_tokens`` words with: ``workers``, but no more
        than give each thread ``batch_words`` words (gensim's job size), so
        that a small corpus trains on one thread, deterministically, as it
        does in gensim."""
        batch = max(int(self.batch_words or 1), 1)
        return max(1, min(int(self.workers), n_tokens // batch))

    def _corpus_arrays(self, tokens, sentence_ends):
        """The encoded corpus as a checkpoint identifies it, by name (Doc2Vec
        adds the documents' tags)."""
        return {"tokens": tokens, "sentences": sentence_ends}

    @staticmethod
    def _resume_point(resume, runner, trainer):
        """``(epoch, job)`` to continue from a checkpoint's state, after
        restoring the threads' progress counters.

        Raises
        ------
        FormatError
            The saved state does not fit this corpus or number of threads.
        """
        restore_progress(resume, runner)
        job = None
        if resume["job"] is not None:
            try:
                job = Word2VecEpoch.restore(trainer, resume["job"], resume["arrays"])
            except (KeyError, TypeError, ValueError, OverflowError) as exc:
                raise FormatError(f"the checkpoint's position does not fit this corpus "
                                  f"({exc})") from None
        return int(resume["epoch"]), job

    def _resume_call(self, state, corpus_iterable, corpus_file, callbacks, progress,
                     report_delay, checkpoint, checkpoint_every):
        """Encode the corpus again, check it is the checkpoint's, and continue
        the call (see :meth:`EmbeddingModel.resume`)."""
        tokens, sentence_ends = self._corpus_for(corpus_iterable, corpus_file)
        check_fingerprint(state["corpus"], corpus_fingerprint(
            **self._corpus_arrays(tokens, sentence_ends)), checkpoint)
        self._train_call(tokens, sentence_ends, dict(state["call"]), report_delay, callbacks,
                         progress, checkpoint, checkpoint_every, resume=state)

    def _check_supplied_counts(self, total_examples, total_words, n_sentences):
        """Warn, as gensim does, when the caller's idea of the corpus size
        differs from the corpus read."""
        if total_examples is not None and total_examples != n_sentences:
            logger.warning("supplied example count (%d) did not equal expected count (%d): "
                           "the learning rate follows the %d sentences read",
                           total_examples, n_sentences, n_sentences)
        if total_words is not None and total_words != self.corpus_total_words:
            logger.warning("supplied raw word count (%d) did not equal expected count (%d): "
                           "the learning rate follows the %d words read",
                           total_words, self.corpus_total_words, self.corpus_total_words)

    def _row_lock_factors(self, n_rows):
        """Per-row lock factors for the kernel from ``wv.vectors_lockf``
        (rows beyond the words', such as n-gram rows, learn fully), or None
        when every row learns fully.

        Raises
        ------
        ValueError
            ``vectors_lockf`` has neither one entry nor one per word.
        """
        lockf = np.asarray(self.wv.vectors_lockf, dtype=np.float32).ravel()
        n_words = len(self.wv)
        if lockf.size == 1 and lockf[0] == 1.0:
            return None
        if lockf.size not in (1, n_words):
            raise ValueError(f"wv.vectors_lockf has {lockf.size} entries for {n_words} words: "
                             "give one value, or one per word")
        if not np.isfinite(lockf).all():
            raise ValueError("wv.vectors_lockf holds a value that is not finite")
        rows = np.ones(n_rows, dtype=np.float32)
        rows[:n_words] = lockf  # one value broadcasts to every word
        return rows

    def _extra_arrays(self):
        """Arrays a subclass saves besides the words' and the output layer's."""
        return {}

    def _restore_extra_arrays(self, arrays):
        """Take back what :meth:`_extra_arrays` saved."""

    @staticmethod
    def _vectors_class():
        """The class of ``wv``."""
        return KeyedVectors

    def get_latest_training_loss(self):
        """gensim's running loss: the losses (sums over all predictions) of
        the epochs the latest ``train()`` call has trained so far, 0 before
        any. As with gensim, a callback gets one epoch's loss as the
        difference of two calls; ``loss_history`` has each epoch's own."""
        return self.running_training_loss

    @property
    def layer1_size(self):
        """Width of the hidden layer: ``vector_size``."""
        return self.vector_size

    # ----------------------------------------------- using the output layer
    def predict_output_word(self, context_words_list, topn=10):
        """Words the context predicts, most probable first (negative-sampling
        models). See :func:`fastemb.models.scoring.predict_output_word`."""
        return predict_output_word(self, context_words_list, topn)

    def score(self, sentences, total_sentences=int(1e6), chunksize=100, queue_factor=2,
              report_delay=1):
        """Log-probability of each sentence (hierarchical-softmax models).
        See :func:`fastemb.models.scoring.score_sentences`; ``chunksize``,
        ``queue_factor`` and ``report_delay`` are accepted for gensim
        compatibility."""
        return score_sentences(self, sentences, total_sentences)

    # ------------------------------------------------- gensim's building blocks
    def reset_from(self, other_model):
        """Take another model's vocabulary (and the corpus it scanned) and
        start from untrained weights: for training several models on one
        vocabulary without scanning the corpus again."""
        other = other_model
        self.wv = self._new_vectors(list(other.wv.index_to_key), other.wv.counts.copy())
        self.corpus_count = other.corpus_count
        self.corpus_total_words = other.corpus_total_words
        self.effective_min_count = other.effective_min_count
        self._scanned = other._scanned
        self._weights_trained = False
        self.init_weights()

    def make_cum_table(self, domain=2 ** 31 - 1):
        """Set the scale of :attr:`cum_table` (gensim's noise table). fastemb
        samples noise words from an alias table, so this only changes what
        ``cum_table`` shows."""
        self._cum_domain = int(domain)

    @property
    def cum_table(self):
        """gensim's cumulative noise distribution: entry ``i`` is
        ``domain * sum(count[:i+1] ** ns_exponent) / total``, as uint32
        (None without negative sampling)."""
        if not self.negative or not len(self.wv):
            return None
        weights = np.asarray(self.wv.counts, dtype=np.float64) ** self.ns_exponent
        cumulative = np.cumsum(weights) / weights.sum()
        return np.round(cumulative * getattr(self, "_cum_domain", 2 ** 31 - 1)).astype(np.uint32)

    def create_binary_tree(self):
        """Rebuild the Huffman tree (and the other tables) from the counts."""
        self._tables = None
        self._training_tables()

    def add_null_word(self):
        """Add gensim's ``'\\0'`` padding word (count 1) to the vocabulary."""
        if "\0" not in self.wv.key_to_index:
            self._add_words(["\0"], np.ones(1, dtype=np.int64))
            self.update_weights()

    def seeded_vector(self, seed_string, vector_size):
        """A small random vector determined by ``seed_string``."""
        return pseudorandom_weak_vector(vector_size, seed_string)

    def estimate_memory(self, vocab_size=None, report=None):
        """Bytes training will need for ``vocab_size`` words (default: the
        current vocabulary) and the corpus last scanned.

        Returns
        -------
        dict of str to int
            ``'vocab'`` (keys, counts and tables), ``'vectors'``,
            ``'syn1neg'``, ``'syn1'``, ``'corpus'`` (the encoded corpus) and
            ``'total'``.
        """
        words = len(self.wv) if vocab_size is None else int(vocab_size)
        row = 4 * self.vector_size
        report = dict(report or {})
        # a dict entry and its key, the count, the subsampling threshold and
        # the noise alias table, and the Huffman path (about 2 log2(V) bytes)
        report["vocab"] = words * (120 + 8 + 4 + 8 + (16 if self.hs else 0))
        report["vectors"] = words * row
        report["syn1neg"] = words * row if self.negative else 0
        report["syn1"] = words * row if self.hs else 0
        report["corpus"] = 4 * int(self.corpus_total_words or 0)
        report["total"] = sum(v for k, v in report.items() if k != "total")
        logger.info("estimated memory for %d words and %d features: %d bytes", words,
                    self.vector_size, report["total"])
        return report

    def init_sims(self, replace=False):
        """gensim 3's preparation of unit vectors (deprecated; see
        :meth:`KeyedVectors.init_sims`)."""
        self.wv.init_sims(replace=replace)

    # ----------------------------------------------------------- persistence
    def _model_arrays(self):
        arrays = self.wv._arrays()
        arrays["syn1neg"] = self.syn1neg
        arrays["syn1"] = self.syn1
        arrays.update(self._extra_arrays())
        return arrays

    def _model_meta(self):
        return {"vectors": self.wv._meta(),
                "running_training_loss": self.running_training_loss,
                "min_alpha_yet_reached": self.min_alpha_yet_reached,
                "effective_min_count": self.effective_min_count}

    def _restore(self, arrays, meta, fname):
        """Take the arrays and state :meth:`_model_arrays` and
        :meth:`_model_meta` saved.

        Raises
        ------
        FormatError
            Array shapes do not fit the parameters.
        KeyError
            An array is missing (the base names the file).
        """
        self.wv = self._vectors_class()._from_native(arrays, meta)
        self.syn1neg = arrays["syn1neg"]
        self.syn1 = arrays["syn1"]
        self._restore_extra_arrays(arrays)
        if self.syn1neg.shape[1:] != (self.vector_size,) or \
                self.wv.vectors.shape[1] != self.vector_size:
            raise FormatError(f"{fname}: array shapes do not match vector_size "
                              f"{self.vector_size}")
        self.running_training_loss = float(meta.get("running_training_loss", 0.0))
        self.min_alpha_yet_reached = meta.get("min_alpha_yet_reached", self.alpha)
        self.effective_min_count = meta.get("effective_min_count", self.min_count)
        self._weights_trained = bool(meta.get("epochs_trained", 0))

    # ------------------------------------------------------- gensim 3 names
    iter = renamed_attribute("epochs", "iter")

    def __getattr__(self, name):
        # only called for names the model lacks: gensim 3 asked the model
        # what gensim 4 asks model.wv
        wv = self.__dict__.get("wv")
        if wv is not None and name in MODEL_TO_WV and hasattr(wv, name):
            warn_renamed(f"model.{name}", f"model.wv.{name}")
            return getattr(wv, name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __getitem__(self, words):
        warn_renamed("model[word]", "model.wv[word]")
        return self.wv[words]

    def __contains__(self, word):
        warn_renamed("word in model", "word in model.wv")
        return word in self.wv

    def __str__(self):
        return (f"{type(self).__name__}<vocab={len(self.wv)}, vector_size={self.vector_size}, "
                f"alpha={self.alpha}>")
