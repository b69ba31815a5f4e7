"""How the Word2Vec family builds its vocabulary: scanning a corpus (its
files on every thread, or an iterable), gensim's ``scan_vocab``,
``prepare_vocab`` and ``build_vocab_from_freq``, growing a vocabulary for
continued training, and the report gensim gives. ``Word2Vec`` takes these
methods from :class:`VocabularyBuilding`; the hooks it calls
(``_sentences_of``, ``_vocabulary_corpus``, ``_add_words``,
``_new_vectors``, ``prepare_weights``) are the model's.
"""
import logging
import time

import numpy as np

from fastemb.corpus.cache import cached_scan, check_cacheable
from fastemb.corpus.encode import EncodedCorpus, ScannedCorpus, encode_source, source_key
from fastemb.corpus.vocab import (
    counting_limit,
    effective_min_count,
    keep_probabilities,
    select_vocabulary,
)
from fastemb.errors import VocabularyError
from fastemb.legacy import corpus_keyword
from fastemb.memory import release_free_memory

__all__ = ["VocabularyBuilding"]

# the model's own log name, which users filter on, whichever module logs
logger = logging.getLogger("fastemb.models.word2vec")


class VocabularyBuilding:
    """Vocabulary methods of the Word2Vec family (gensim's names)."""

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
        release_free_memory()  # what building the tables freed, before training allocates
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
        notes = None
        if self.encoded_cache is not None:
            check_cacheable(corpus_file, trim_rule)
            raw = cached_scan(corpus_file, self.encoded_cache, self.min_count, limit,
                              self.max_final_vocab, bool(self.sorted_vocab))
        else:
            sentences, notes = self._sentences_of(corpus_iterable)
            raw = encode_source(sentences, corpus_file, max_vocab_size=limit,
                                trim_rule=trim_rule, threads=int(workers or self.workers))
        # remember the caller's object, which train() will be given again, and
        # what the model noted of each sentence while it was read
        self._raw = (raw, source_key(corpus_iterable, corpus_file), corpus_iterable, notes)
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
        self._raw = (raw, None, None, None)
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
        raw, source, source_object, notes = self._raw
        if update:
            if not len(self.wv):
                raise RuntimeError("build_vocab(update=True) grows a vocabulary: build one "
                                   "first (build_vocab() without update, or load a model)")
            report = self._grow_vocab(raw, source, source_object, notes, min_count, sample,
                                      trim_rule, dry_run)
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
            self._keep_scan(raw, mapping, keys, counts, distinct, source, source_object, notes)
            if not keep_raw_vocab:
                # the raw encoding and the scan's tables go back to the system
                # before the weights are allocated: the peak is then one of
                # them, not both
                self._raw = raw = None
                release_free_memory()
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

    def _keep_scan(self, raw, mapping, keys, counts, distinct, source, source_object, notes):
        """Re-encode the scanned corpus over the chosen vocabulary (``mapping``:
        provisional id -> word id) for ``train()`` to reuse, and let the model
        take what it needs of the corpus's ``notes`` (Doc2Vec: the tags).
        With counts alone (``build_vocab_from_freq``, or a second
        ``prepare_vocab``) there is no corpus to keep, and ``train()`` encodes
        what it is given."""
        self._scanned = None
        if raw.chunks:
            tokens, ends = raw.compact(mapping)
            self._scanned = ScannedCorpus(tokens, ends, keys, counts, raw.n_sentences,
                                          raw.raw_words, distinct, source, source_object)
        elif raw.encoded is not None and raw.encoded.keys == keys:
            self._scanned = raw.encoded  # memory-mapped from the encoded cache
        self._vocabulary_corpus(raw.n_sentences, notes)

    @staticmethod
    def _vocab_report(drop_unique, counts, sample):
        keep = keep_probabilities(counts, sample)
        return {"drop_unique": int(drop_unique), "retain_total": int(counts.sum()),
                "num_retained_words": int(len(counts)),
                "downsample_unique": int((keep < 1.0).sum()),
                "downsample_total": int(round(float((keep * counts).sum())))}

    def _grow_vocab(self, raw, source, source_object, notes, min_count, sample, trim_rule,
                    dry_run):
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
                        len(raw.words), source, source_object, notes)
        self.wv.counts = counts
        self._add_words(new_keys, new_counts)
        logger.info("vocabulary grown by %d words to %d", len(new_keys), len(self.wv))
        return report
