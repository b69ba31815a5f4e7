"""GloVe (Pennington, Socher & Manning 2014): word vectors fitted to the
logarithm of word-word co-occurrence counts by weighted least squares.

``model.wv`` is the same :class:`KeyedVectors` as Word2Vec's. Counting is
done by :mod:`fastemb.models.cooccurrence`; training runs AdaGrad in the ``nogil``
kernel of :mod:`fastemb._glove`, one thread per range of a shuffled order of
the matrix entries.
"""
import logging
import math
import time

import numpy as np

from fastemb import registry
from fastemb._glove import GloveTrainer, group_by_block
from fastemb.corpus.cache import cached_scan, check_cacheable
from fastemb.corpus.encode import encode_source, scan_corpus, source_key
from fastemb.corpus.vocab import counting_limit
from fastemb.errors import FormatError
from fastemb.models.base import EmbeddingModel, check
from fastemb.models.cooccurrence import count_cooccurrences
from fastemb.training.checkpoint import check_fingerprint, corpus_fingerprint
from fastemb.training.epochs import GloveEpochs, glove_entry_order
from fastemb.training.glove_strata import STRATA
from fastemb.training.loop import run_epochs
from fastemb.training.threads import exclusive_training
from fastemb.vectors.keyedvectors import KeyedVectors

__all__ = ["GloVe"]

logger = logging.getLogger(__name__)

PARAMS = ("vector_size", "window", "min_count", "max_vocab_size", "max_final_vocab", "x_max",
          "alpha", "learning_rate", "epochs", "symmetric", "distance_weighting", "workers",
          "seed", "max_memory", "vectors", "deterministic")


@registry.register
class GloVe(EmbeddingModel):
    """Train GloVe word vectors.

    Parameters
    ----------
    sentences : iterable of list of str, optional
    corpus_file : str or os.PathLike, optional
        As for :class:`fastemb.Word2Vec`; when either is given the model is
        built and trained at once.
    vector_size : int
    window : int
        Context words counted on each side of a word.
    min_count, max_vocab_size, max_final_vocab : int
        Vocabulary limits, as for Word2Vec.
    x_max : float
        Counts at or above this get full weight in the objective.
    alpha : float
        Exponent of the weighting function below ``x_max``.
    learning_rate : float
        Initial AdaGrad learning rate.
    epochs : int
        Passes over the co-occurrence matrix.
    symmetric : bool
        Count context on both sides (else the left side only).
    distance_weighting : bool
        Weight a pair ``d`` words apart by ``1/d``.
    workers : int
        Threads for counting and training.
    seed : int
        With ``workers=1`` (or ``deterministic=True``) training is
        reproducible.
    max_memory : float
        Memory budget in GiB of co-occurrence counting (beyond it, sorted
        runs are spilled to disk and merged) and of vocabulary counting
        (beyond it, the rarest words are pruned as with ``max_vocab_size``).
    vectors : {'sum', 'word'}
        Output ``W + W~`` (word plus context vectors, Stanford's default) or
        ``W`` alone.
    callbacks : sequence of CallbackAny2Vec
        Called around every epoch.
    tmp_dir : str, optional
        Where counting spills (default: the system's temporary folder).
    encoded_cache : str or os.PathLike, optional
        A directory where a ``corpus_file`` is encoded once and kept
        memory-mapped (see :class:`fastemb.Word2Vec`).
    deterministic : bool
        Train the matrix in strata of words
        (:mod:`fastemb.training.glove_strata`): the same vectors and costs,
        bit for bit, with any ``workers``, and a checkpoint resumes with any
        number of threads. At most 64 threads train at once.

    Attributes
    ----------
    wv : KeyedVectors
    cooccurrence : CooccurrenceMatrix or None
    loss_history : list of float
        Mean weighted squared error per matrix entry, each epoch (also
        ``cost_history``, GloVe's name for it).
    """

    PARAMS = PARAMS
    CALL_KEYS = ("epochs", "first_epoch_id", "costs")

    def __init__(self, sentences=None, corpus_file=None, vector_size=100, window=10, min_count=5,
                 max_vocab_size=None, max_final_vocab=None, x_max=100.0, alpha=0.75,
                 learning_rate=0.05, epochs=15, symmetric=True, distance_weighting=True,
                 workers=3, seed=1, max_memory=1.0, vectors="sum", callbacks=(), tmp_dir=None,
                 encoded_cache=None, deterministic=False):
        self.vector_size = vector_size
        self.window = window
        self.min_count = min_count
        self.max_vocab_size = max_vocab_size
        self.max_final_vocab = max_final_vocab
        self.x_max = x_max
        self.alpha = alpha
        self.learning_rate = learning_rate
        self.epochs = epochs
        self.symmetric = bool(symmetric)
        self.distance_weighting = bool(distance_weighting)
        self.workers = workers
        self.seed = seed
        self.max_memory = max_memory
        self.vectors = vectors
        self.callbacks = tuple(callbacks)
        self.tmp_dir = tmp_dir
        self.encoded_cache = encoded_cache
        self.deterministic = deterministic
        self._validate()
        self.wv = KeyedVectors(vector_size)
        self.cooccurrence = None
        self.loss_history = []
        self.epochs_trained = 0
        self.interrupted = False
        self.corpus_count = 0
        self.corpus_total_words = 0
        self.train_stats = []
        self._weights = None
        self._encoded = None
        if sentences is not None or corpus_file is not None:
            self.build_vocab(corpus_iterable=sentences, corpus_file=corpus_file)
            self.build_cooccurrence(corpus_iterable=sentences, corpus_file=corpus_file)
            self.train()

    def _validate(self):
        check(isinstance(self.vector_size, (int, np.integer)) and self.vector_size > 0,
               f"vector_size must be a positive integer, got {self.vector_size!r}")
        check(isinstance(self.window, (int, np.integer)) and self.window >= 1,
               f"window must be an integer >= 1, got {self.window!r}")
        check(self.min_count >= 0, f"min_count must be >= 0, got {self.min_count!r}")
        check(self.x_max > 0, f"x_max must be > 0, got {self.x_max!r}")
        check(math.isfinite(self.alpha) and self.alpha >= 0,
               f"alpha must be >= 0, got {self.alpha!r}")
        check(self.learning_rate > 0, f"learning_rate must be > 0, got {self.learning_rate!r}")
        check(isinstance(self.epochs, (int, np.integer)) and self.epochs >= 1,
               f"epochs must be an integer >= 1, got {self.epochs!r}")
        check(isinstance(self.workers, (int, np.integer)) and self.workers >= 1,
               f"workers must be an integer >= 1, got {self.workers!r}")
        check(self.max_memory > 0, f"max_memory must be > 0 (GiB), got {self.max_memory!r}")
        check(self.vectors in ("sum", "word"),
               f"vectors must be 'sum' or 'word', got {self.vectors!r}")
        check(self.deterministic in (0, 1, True, False),
              f"deterministic must be True or False, got {self.deterministic!r}")

    # ------------------------------------------------------------ vocabulary
    def build_vocab(self, corpus_iterable=None, corpus_file=None, trim_rule=None):
        """Scan the corpus once: choose the vocabulary and encode the corpus.

        Raises
        ------
        VocabularyError
            Empty corpus, or no word reaching ``min_count``.
        """
        started = time.perf_counter()
        limit = counting_limit(self.max_vocab_size, self.max_memory)
        if self.encoded_cache is not None:
            check_cacheable(corpus_file, trim_rule)
            scanned = cached_scan(corpus_file, self.encoded_cache, self.min_count, limit,
                                  self.max_final_vocab).encoded
        else:
            scanned = scan_corpus(corpus_iterable, corpus_file, self.min_count, limit,
                                  self.max_final_vocab, trim_rule, threads=int(self.workers))
        self._encoded = scanned
        self.corpus_count = scanned.n_sentences
        self.corpus_total_words = scanned.raw_words
        self.wv = KeyedVectors.from_arrays(
            scanned.keys, np.zeros((len(scanned.keys), self.vector_size), np.float32),
            scanned.counts)
        self._weights = None
        self.cooccurrence = None
        logger.info("vocabulary: %d words of %d distinct; %d raw words; %.2f s",
                    len(scanned.keys), scanned.distinct_words, scanned.raw_words,
                    time.perf_counter() - started)

    def build_cooccurrence(self, corpus_iterable=None, corpus_file=None):
        """Count the co-occurrence matrix of a corpus over the vocabulary.

        Passing the corpus given to :meth:`build_vocab` (or nothing) reuses
        its encoding; another corpus is encoded against the vocabulary.

        Returns
        -------
        CooccurrenceMatrix
            Also kept as ``self.cooccurrence``; ``.to_scipy()`` converts it.
        """
        if not len(self.wv):
            raise RuntimeError("build the vocabulary first: call build_vocab()")
        scanned = self._encoded
        if corpus_iterable is None and corpus_file is None:
            if scanned is None:
                raise ValueError("give the corpus: the encoded one is not kept after loading")
            tokens, ends = scanned.tokens, scanned.sentence_ends
        elif scanned is not None and source_key(corpus_iterable, corpus_file) == scanned.source:
            tokens, ends = scanned.tokens, scanned.sentence_ends
        else:
            tokens, ends = encode_source(corpus_iterable, corpus_file, vocab=self.wv.key_to_index,
                                         threads=int(self.workers)).compact()
        started = time.perf_counter()
        self.cooccurrence = count_cooccurrences(
            tokens, ends, len(self.wv), self.window, self.symmetric, self.distance_weighting,
            int(self.workers), self.max_memory, self.tmp_dir)
        self._encoded = None  # training needs only the matrix
        logger.info("co-occurrence matrix: %d non-zero entries in %.2f s",
                    self.cooccurrence.nnz, time.perf_counter() - started)
        return self.cooccurrence

    # -------------------------------------------------------------- training
    def _init_weights(self):
        n, dim = len(self.wv), self.vector_size
        rng = np.random.default_rng(self.seed)

        def uniform(*shape):
            return ((rng.random(shape, dtype=np.float32) - 0.5) / dim).astype(np.float32)

        self._weights = {
            "w": uniform(n, dim), "c": uniform(n, dim), "bw": uniform(n), "bc": uniform(n),
            "gw": np.ones((n, dim), np.float64), "gc": np.ones((n, dim), np.float64),
            "gbw": np.ones(n, np.float64), "gbc": np.ones(n, np.float64),
        }

    def _refresh_vectors(self):
        w = self._weights["w"]
        self.wv.vectors = w + self._weights["c"] if self.vectors == "sum" else w.copy()
        self.wv.resize_vectors()

    @exclusive_training
    def train(self, epochs=None, callbacks=(), report_delay=1.0, progress=None, checkpoint=None,
              checkpoint_every=None):
        """Fit the vectors to the co-occurrence matrix with AdaGrad.

        Parameters
        ----------
        epochs : int, optional
            Default ``self.epochs``. Training resumes from the current
            weights and AdaGrad state.
        callbacks : sequence of CallbackAny2Vec
        report_delay : float
            Seconds between progress log lines.
        progress : callable, optional
            ``progress(done, total)`` in matrix entries.
        checkpoint : str or os.PathLike, optional
            Save a checkpoint there (atomically, replacing the last one)
            every ``checkpoint_every``, on Ctrl-C and at the end;
            :meth:`resume` continues from it.
        checkpoint_every : float or str, optional
            Seconds (``600``, ``"10min"``) or matrix entries (``"50M
            entries"``); default 600 seconds.

        Returns
        -------
        list of float
            The cost of each epoch trained by this call.
        """
        if self.cooccurrence is None:
            raise RuntimeError("count co-occurrences first: call build_cooccurrence()")
        epochs = self.epochs if epochs is None else epochs
        check(isinstance(epochs, (int, np.integer)) and epochs >= 1,
               f"epochs must be an integer >= 1, got {epochs!r}")
        if self.cooccurrence.nnz == 0:
            raise ValueError("the co-occurrence matrix is empty: the corpus has no two "
                             "vocabulary words within a window of each other")
        if self._weights is None:
            self._init_weights()
        call = {"epochs": int(epochs), "first_epoch_id": self.epochs_trained, "costs": []}
        self._train_call(call, callbacks, report_delay, progress, checkpoint, checkpoint_every)
        return call["costs"]

    def _train_call(self, call, callbacks, report_delay, progress, checkpoint, checkpoint_every,
                    resume=None):
        """Train the epochs of one ``train()`` call (or the rest of them, from
        a checkpoint's ``resume`` state); ``call`` is what a checkpoint saves
        of the call."""
        matrix = self.cooccurrence
        weights = self._weights
        seed = int(self.seed)
        block_starts = None
        if self.deterministic:
            order, block_starts = group_by_block(matrix.rows, matrix.cols, STRATA)
        else:
            order = glove_entry_order(matrix.nnz, seed)
        trainer = GloveTrainer(
            weights["w"], weights["c"], weights["bw"], weights["bc"], weights["gw"],
            weights["gc"], weights["gbw"], weights["gbc"], matrix.rows, matrix.cols,
            matrix.vals, order, float(self.x_max), float(self.alpha),
            float(self.learning_rate))
        plan = GloveEpochs(trainer, call, int(self.workers), report_delay, seed, block_starts)
        fingerprint = self._matrix_fingerprint() if checkpoint is not None else None
        run_epochs(self, plan, self.callbacks + tuple(callbacks), progress, checkpoint,
                   checkpoint_every, fingerprint, resume,
                   weights=lambda: [weights["w"], weights["c"]])

    def _epoch_trained(self, loss, stats):
        super()._epoch_trained(loss, stats)
        self._refresh_vectors()

    def _matrix_fingerprint(self):
        matrix = self.cooccurrence
        return corpus_fingerprint(rows=matrix.rows, cols=matrix.cols, values=matrix.vals)

    def _resume_call(self, state, corpus_iterable, corpus_file, callbacks, progress,
                     report_delay, checkpoint, checkpoint_every):
        """Count the co-occurrences again, check they are the checkpoint's,
        and continue the call (see :meth:`EmbeddingModel.resume`)."""
        if (corpus_iterable is None) == (corpus_file is None):
            raise ValueError("give exactly one of corpus_iterable (sentences) or corpus_file")
        self.build_cooccurrence(corpus_iterable, corpus_file)
        check_fingerprint(state["corpus"], self._matrix_fingerprint(), checkpoint)
        self._train_call(dict(state["call"]), callbacks, report_delay, progress, checkpoint,
                         checkpoint_every, resume=state)

    @property
    def cost_history(self):
        """The per-epoch cost, GloVe's name of :attr:`loss_history`."""
        return self.loss_history

    @cost_history.setter
    def cost_history(self, costs):
        self.loss_history = costs

    # ----------------------------------------------------------- persistence
    def _after_training(self):
        self._refresh_vectors()

    def _model_arrays(self):
        if self._weights is None:
            raise RuntimeError("nothing to save: the model is not trained")
        arrays = self.wv._arrays()
        arrays.update({f"glove_{name}": value for name, value in self._weights.items()})
        return arrays

    def _restore(self, arrays, meta, fname):
        """Take the vectors, biases and AdaGrad state :meth:`_model_arrays`
        saved.

        Raises
        ------
        FormatError
            Array shapes do not fit the parameters.
        KeyError
            An array is missing (the base names the file).
        """
        self.wv = KeyedVectors._from_native(arrays, meta)
        self._weights = {name: np.array(arrays[f"glove_{name}"],
                                        dtype=np.float64 if name[0] == "g" else np.float32)
                         for name in ("w", "c", "bw", "bc", "gw", "gc", "gbw", "gbc")}
        if self._weights["w"].shape != (len(self.wv), self.vector_size):
            raise FormatError(f"{fname}: weight shapes do not match the vocabulary")

