"""Word2Vec: skip-gram and CBOW with negative sampling and/or hierarchical
softmax, a drop-in for ``gensim.models.Word2Vec``.

The corpus is encoded once into word ids (:mod:`fastemb.corpus.encode`); each epoch
every worker thread trains one contiguous shard of it inside the ``nogil``
kernel of :mod:`fastemb._core`.
"""
import logging
import math

import numpy as np

from fastemb import registry

# gensim's word2vec module also offers its corpus readers: scripts import them from here
from fastemb.corpus.readers import LineSentence, PathLineSentences, Text8Corpus  # noqa: F401
from fastemb.corpus.vocab import (
    build_alias_table,
    build_huffman,
    keep_thresholds,
)
from fastemb.errors import FormatError
from fastemb.legacy import (
    MODEL_KEYWORDS,
    translate_keywords,
)
from fastemb.models.base import EmbeddingModel, check
from fastemb.models.gensim_extras import GensimExtras
from fastemb.models.vocabulary import VocabularyBuilding
from fastemb.models.word2vec_training import Word2VecTraining
from fastemb.vectors.keyedvectors import KeyedVectors
from fastemb.weights import matrix_attribute

__all__ = ["Word2Vec", "LineSentence", "PathLineSentences", "Text8Corpus"]

logger = logging.getLogger(__name__)

#: Hyper-parameters stored in saved models (and compared by equality tests).
PARAMS = ("vector_size", "alpha", "window", "min_count", "max_vocab_size", "max_memory",
          "sample", "seed", "workers", "min_alpha", "sg", "hs", "negative", "ns_exponent",
          "cbow_mean", "epochs",
          "sorted_vocab", "max_final_vocab", "shrink_windows", "shared_negatives", "deterministic")



@registry.register
class Word2Vec(VocabularyBuilding, Word2VecTraining, GensimExtras, EmbeddingModel):
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
    deterministic : bool
        True: with the same corpus, parameters and ``seed``, training gives
        the same vectors bit for bit in every run and for every ``workers``
        (the epoch is cut into two fixed pieces trained in rounds, so at
        most two threads work, and more slowly than the default). False (the
        default, as gensim): the fastest, lock-free training, reproducible
        only with ``workers=1``. See the documentation's reproducibility
        page.
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
        "syn1neg", lambda model: (len(model.wv), 0),
        "Output rows of negative sampling, a row per word (none without it).",
        width=lambda model: model.layer1_size)
    syn1 = matrix_attribute(
        "syn1", lambda model: (len(model.wv), 0),
        "Output rows of hierarchical softmax, a row per Huffman node (none without it).",
        width=lambda model: model.layer1_size)


    #: Threads training the weights in all when other processes train the
    #: same memory (distributed workers of one machine); 0: the call's own.
    #: It picks how many rows each thread keeps private.
    _weight_writers = 0
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
                 encoded_cache=None, shared_negatives=True, deterministic=False, **legacy_names):
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
        self.deterministic = deterministic
        self.callbacks = tuple(callbacks)
        self.compute_loss = compute_loss
        self.comment = comment
        self.null_word = null_word
        self.hashfxn = hashfxn
        self.batch_words = batch_words
        self._validate()
        self.wv = KeyedVectors(vector_size)
        self.syn1neg = np.zeros((0, self.layer1_size), dtype=np.float32)
        self.syn1 = np.zeros((0, self.layer1_size), dtype=np.float32)
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
        check(self.deterministic in (0, 1, True, False),
              f"deterministic must be True or False, got {self.deterministic!r}")
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
        self.syn1neg = np.zeros((rows if self.negative else 0, self.layer1_size), np.float32)
        self.syn1 = np.zeros((rows if self.hs else 0, self.layer1_size), np.float32)
        self._tables = None
        self._training_tables()

    def update_weights(self):
        """Grow the output layers with zero rows for words added since they
        were allocated, and rebuild the training tables."""
        rows = len(self.wv)
        for name, used in (("syn1neg", self.negative), ("syn1", self.hs)):
            layer = getattr(self, name)
            if used and layer.shape[0] < rows:
                grow = np.zeros((rows - layer.shape[0], self.layer1_size), dtype=np.float32)
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

    def _kernel_inputs(self, corpus_inputs):
        """``(syn0, options)``: the input rows and the trainer's keyword
        arguments describing them (FastText: each word's list of rows;
        Doc2Vec: the document vectors), with ``corpus_inputs`` (what
        :meth:`_corpus_inputs` gave for the corpus trained). Word2Vec: word
        ``w`` is row ``w``."""
        return self.wv.vectors, dict(corpus_inputs)

    def _sentences_of(self, corpus_iterable):
        """``(sentences, notes)``: the token lists of a corpus iterable
        (Doc2Vec: its documents' words) and a list the model fills with what
        it notes of each sentence as the list is read (Doc2Vec: its tags);
        None when it notes nothing, as for words alone."""
        return corpus_iterable, None

    def _vocabulary_corpus(self, n_sentences, notes):
        """Take from the corpus ``build_vocab`` scanned what the model keeps
        besides the words (Doc2Vec: a row for each tag). Nothing for words
        alone."""

    def _corpus_inputs(self, n_sentences, notes, scanned):
        """The kernel's inputs that belong to the corpus about to be trained
        (``scanned``: the one ``build_vocab`` scanned; else one just encoded
        with these ``notes``): Doc2Vec's tag rows of each document. Empty for
        words alone."""
        return {}

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

    def _kernel_settings(self):
        """The kernel keywords the model itself decides: output layers,
        tables and training mode (:class:`fastemb._core.Word2VecTrainer`
        takes the corpus, rates and threads' counters besides)."""
        tables = self._training_tables()
        codes, points, offsets, lengths = tables["hs"]
        accept, alias = tables["ns"]
        return dict(syn1neg=self.syn1neg, syn1=self.syn1, keep_threshold=tables["keep"],
                    ns_accept=accept, ns_alias=alias, hs_codes=codes, hs_points=points,
                    hs_offsets=offsets, hs_lengths=lengths, sg=int(self.sg), hs=int(self.hs),
                    negative=int(self.negative), window=int(self.window),
                    shrink_windows=int(bool(self.shrink_windows)), cbow_mean=int(self.cbow_mean),
                    shared_negatives=int(bool(self.shared_negatives)),
                    deterministic=int(bool(self.deterministic)),
                    weight_writers=int(self._weight_writers))

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
        if self.syn1neg.shape[1:] != (self.layer1_size,) or \
                self.syn1.shape[1:] != (self.layer1_size,) or \
                self.wv.vectors.shape[1] != self.vector_size:
            raise FormatError(f"{fname}: array shapes do not match vector_size "
                              f"{self.vector_size}")
        self.running_training_loss = float(meta.get("running_training_loss", 0.0))
        self.min_alpha_yet_reached = meta.get("min_alpha_yet_reached", self.alpha)
        self.effective_min_count = meta.get("effective_min_count", self.min_count)
        self._weights_trained = bool(meta.get("epochs_trained", 0))

    def __str__(self):
        return (f"{type(self).__name__}<vocab={len(self.wv)}, vector_size={self.vector_size}, "
                f"alpha={self.alpha}>")
