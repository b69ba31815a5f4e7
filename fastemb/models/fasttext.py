"""FastText: word2vec over subwords (Bojanowski et al. 2017), a drop-in for
``gensim.models.FastText``.

It is :class:`~fastemb.models.word2vec.Word2Vec` with one change on the input side:
a word trains through a list of rows, its own and one per character n-gram
bucket, all averaged into the hidden vector and all updated with its
gradient. The lists are computed once per vocabulary word
(:class:`~fastemb.vectors.subword.FastTextKeyedVectors`) and handed to the
same nogil kernel Word2Vec uses; nothing is hashed while training.
"""
import numpy as np

from fastemb import registry
from fastemb.models.base import check
from fastemb.models.word2vec import PARAMS as WORD2VEC_PARAMS
from fastemb.models.word2vec import Word2Vec
from fastemb.models.word2vec_training import lock_values
from fastemb.vectors.subword import SUBWORD_MODES, FastTextKeyedVectors

__all__ = ["FastText"]


@registry.register
class FastText(Word2Vec):
    """Train subword-aware word vectors; unseen words get vectors too.

    Parameters are gensim 4's, with its defaults; those shared with
    :class:`~fastemb.models.word2vec.Word2Vec` mean the same.

    Parameters
    ----------
    sentences, corpus_file, sg, hs, vector_size, alpha, window, min_count,
    max_vocab_size, sample, seed, workers, min_alpha, negative, ns_exponent,
    cbow_mean, epochs, sorted_vocab, trim_rule, callbacks, max_final_vocab,
    shrink_windows
        As for :class:`~fastemb.models.word2vec.Word2Vec`.
    min_n, max_n : int
        Lengths, in characters, of the n-grams of ``<word>`` that are hashed
        into buckets; ``max_n < min_n`` disables them (plain word2vec).
    bucket : int
        Number of hash buckets shared by all n-grams. Only the buckets the
        vocabulary uses are stored (see :mod:`fastemb.vectors.subword`).
    mode : {'fasttext', 'floret'}
        ``'floret'``: words and their n-grams share one table of ``bucket``
        rows, each hashed to ``hash_count`` rows (Bloom embeddings, as
        explosion's floret trains them for spaCy). A table of some 50,000
        rows serves any vocabulary, so the model is many times smaller;
        ``save_facebook_model`` writes floret's ``.bin`` and
        ``wv.save_floret_vectors`` spaCy's ``.floret`` table.
    hash_count : int
        Rows each word and n-gram is hashed to in floret mode, 1 to 4.
    word_ngrams : {1}
        Word n-grams apply to fastText's supervised models only; 1 (unigram
        words) is the only value, as in gensim.
    hashfxn, null_word, batch_words
        Accepted for gensim compatibility (see Word2Vec).

    Attributes
    ----------
    wv : FastTextKeyedVectors
    syn1neg, syn1 : ndarray
    loss_history : list of float

    Notes
    -----
    Skip-gram predicts each context word from the centre word's rows, as
    fastText does, and updates those rows once per centre with the summed
    gradient of its predictions; each row receives the whole gradient
    (fastText's rule for unsupervised models).
    """

    PARAMS = WORD2VEC_PARAMS + ("min_n", "max_n", "bucket", "word_ngrams", "mode",
                                "hash_count")

    def __init__(self, sentences=None, corpus_file=None, sg=0, hs=0, vector_size=100, alpha=0.025,
                 window=5, min_count=5, max_vocab_size=None, word_ngrams=1, sample=1e-3, seed=1,
                 workers=3, min_alpha=0.0001, negative=5, ns_exponent=0.75, cbow_mean=1,
                 hashfxn=hash, epochs=5, null_word=0, min_n=3, max_n=6, sorted_vocab=1,
                 bucket=2000000, trim_rule=None, batch_words=10000, callbacks=(),
                 max_final_vocab=None, shrink_windows=True, max_memory=None,
                 encoded_cache=None, mode="fasttext", hash_count=1, deterministic=False,
                 **legacy_names):
        self.min_n = min_n
        self.max_n = max_n
        self.bucket = bucket
        self.word_ngrams = word_ngrams
        self.mode = mode
        self.hash_count = hash_count
        super().__init__(sentences=sentences, corpus_file=corpus_file, vector_size=vector_size,
                         alpha=alpha, window=window, min_count=min_count,
                         max_vocab_size=max_vocab_size, sample=sample, seed=seed,
                         workers=workers, min_alpha=min_alpha, sg=sg, hs=hs, negative=negative,
                         ns_exponent=ns_exponent, cbow_mean=cbow_mean, epochs=epochs,
                         null_word=null_word, trim_rule=trim_rule, sorted_vocab=sorted_vocab,
                         batch_words=batch_words, callbacks=callbacks,
                         max_final_vocab=max_final_vocab, shrink_windows=shrink_windows,
                         max_memory=max_memory, encoded_cache=encoded_cache,
                         deterministic=deterministic, **legacy_names)

    def _validate(self):
        super()._validate()
        for name in ("min_n", "max_n", "bucket"):
            value = getattr(self, name)
            check(isinstance(value, (int, np.integer)) and value >= 0,
                   f"{name} must be an integer >= 0, got {value!r}")
        check(self.min_n >= 1 or self.max_n < self.min_n,
               f"min_n must be >= 1 when n-grams are on, got {self.min_n!r}")
        check(self.bucket < 2 ** 31, f"bucket must be below 2**31, got {self.bucket!r}")
        check(self.word_ngrams == 1,
               f"word_ngrams must be 1 (word n-grams are for supervised fastText models), "
               f"got {self.word_ngrams!r}")
        check(self.mode in SUBWORD_MODES,
              f"mode must be one of {SUBWORD_MODES}, got {self.mode!r}")
        check(isinstance(self.hash_count, (int, np.integer)) and 1 <= self.hash_count <= 4,
              f"hash_count must be an integer from 1 to 4, got {self.hash_count!r}")
        check(self.mode == "floret" or self.hash_count == 1,
              f"hash_count={self.hash_count!r} applies to mode='floret' only")
        check(self.mode != "floret" or self.bucket > 0,
              "mode='floret' needs bucket > 0: its table is the only place words have rows")

    @property
    def uses_subwords(self):
        """True when words have n-gram rows (``max_n >= min_n`` and buckets)."""
        return (self.max_n >= self.min_n or self.mode == "floret") and self.bucket > 0

    def _new_vectors(self, keys, counts):
        return FastTextKeyedVectors.for_vocabulary(keys, counts, self.vector_size, self.min_n,
                                                   self.max_n, self.bucket, self.seed,
                                                   self.mode, self.hash_count)

    def _kernel_inputs(self, corpus_inputs):
        offsets, rows = self.wv.input_lists()
        return self.wv.input_matrix, {"input_offsets": offsets, "input_rows": rows,
                                      **corpus_inputs}

    def estimate_memory(self, vocab_size=None, report=None):
        """Bytes training will need for the current vocabulary, under
        gensim's FastText names.

        Returns
        -------
        dict of str to int
            Word2Vec's entries (``'vocab'``, ``'vectors'``, ``'syn1neg'``,
            ``'syn1'``, ``'corpus'``), and ``'syn0_vocab'`` (the words' own
            rows), ``'syn0_ngrams'`` (the n-gram rows stored: the buckets the
            vocabulary uses, not all ``bucket`` of them as gensim holds),
            ``'buckets_word'`` (each word's list of rows) and ``'total'``.
        """
        report = super().estimate_memory(vocab_size, report)
        row, wv = 4 * self.vector_size, self.wv
        if isinstance(wv, FastTextKeyedVectors) and len(wv):
            offsets, rows = wv.input_lists()
            report["syn0_vocab"] = wv.n_own_rows * row
            report["syn0_ngrams"] = wv.n_stored_ngrams * row
            report["buckets_word"] = offsets.nbytes + rows.nbytes
        else:
            report["syn0_vocab"] = report["syn0_ngrams"] = report["buckets_word"] = 0
        report["total"] = sum(v for k, v in report.items() if k != "total")
        return report

    def _row_lock_factors(self, n_rows):
        """Lock factors of every input row: the words' own rows from
        ``wv.vectors_vocab_lockf``, the n-gram rows from
        ``wv.vectors_ngrams_lockf`` (one value, or one a bucket), as gensim
        applies them; None when every row learns fully."""
        wv = self.wv
        vocab = lock_values(wv.vectors_vocab_lockf, wv.n_words, "wv.vectors_vocab_lockf",
                            "word")
        ngrams = lock_values(wv.vectors_ngrams_lockf, wv.bucket, "wv.vectors_ngrams_lockf",
                             "bucket")
        if vocab is None and ngrams is None:
            return None
        rows = np.ones(n_rows, dtype=np.float32)
        if vocab is not None:
            rows[:wv.n_own_rows] = vocab[:wv.n_own_rows] if vocab.size > 1 else vocab[0]
        if ngrams is not None:
            if ngrams.size == 1 or wv.bucket_rows is None:
                rows[wv.ngram_offset:] = ngrams
            else:
                used = np.flatnonzero(wv.bucket_rows >= 0)
                rows[wv.ngram_offset + wv.bucket_rows[used]] = ngrams[used]
        return rows

    def _add_words(self, keys, counts):
        self.wv.add_words(keys, counts)

    def _after_training(self):
        self.wv.adjust_vectors()

    @staticmethod
    def _vectors_class():
        return FastTextKeyedVectors

    def __str__(self):
        return (f"FastText<vocab={len(self.wv)}, vector_size={self.vector_size}, "
                f"alpha={self.alpha}, sg={self.sg}, hs={self.hs}, negative={self.negative}, "
                f"min_n={self.min_n}, max_n={self.max_n}, bucket={self.bucket}"
                + (f", mode=floret, hash_count={self.hash_count}>" if self.mode == "floret"
                   else ">"))
