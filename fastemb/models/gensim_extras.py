"""gensim's Word2Vec methods beyond training (output-word prediction,
sentence scores, the cumulative table, memory estimates, ``reset_from``)
and gensim 3's names, which ``Word2Vec`` takes from :class:`GensimExtras`.
"""
import logging

import numpy as np

from fastemb.legacy import MODEL_TO_WV, renamed_attribute, warn_renamed
from fastemb.models.scoring import predict_output_word, score_sentences
from fastemb.vectors.keyedvectors import pseudorandom_weak_vector

__all__ = ["GensimExtras"]

# the model's own log name, which users filter on, whichever module logs
logger = logging.getLogger("fastemb.models.word2vec")


class GensimExtras:
    """gensim's building blocks and gensim 3's names, for the Word2Vec family."""

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
        hidden = 4 * self.layer1_size  # wider than a vector in PV-DM by concatenation
        report["syn1neg"] = words * hidden if self.negative else 0
        report["syn1"] = words * hidden if self.hs else 0
        report["corpus"] = 4 * int(self.corpus_total_words or 0)
        report["total"] = sum(v for k, v in report.items() if k != "total")
        logger.info("estimated memory for %d words and %d features: %d bytes", words,
                    self.vector_size, report["total"])
        return report

    def init_sims(self, replace=False):
        """gensim 3's preparation of unit vectors (deprecated; see
        :meth:`KeyedVectors.init_sims`)."""
        self.wv.init_sims(replace=replace)

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
