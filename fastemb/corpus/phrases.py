"""Phrase detection (Mikolov et al. 2013, section 4): join word pairs that
occur together more often than chance, such as ``new_york``, as gensim's
``Phrases`` does, with the same names, scores and results.

Counting encodes the sentences into word ids (the corpus encoder's dict
pass) and finds every candidate in Cython (:mod:`fastemb._phrases`); the
candidates are counted by sorting their 64-bit hashes. A candidate is a
word, any connector words, and the next non-connector word: with
``connector_words=ENGLISH_CONNECTOR_WORDS``, ``bank_of_america`` is one.
"""
import numpy as np

from fastemb import registry
from fastemb._phrases import phrase_candidates, sequence_hash
from fastemb.corpus.encode import CorpusEncoder
from fastemb.corpus.phrase_scoring import (
    SCORERS,
    npmi_scorer,
    original_scorer,
    resolve_scoring,
    scoring_reference,
)
from fastemb.errors import CorpusError, FormatError
from fastemb.io import native
from fastemb.io.gensim_pickle import is_pickle

__all__ = ["Phrases", "FrozenPhrases", "Phraser", "ENGLISH_CONNECTOR_WORDS",
           "original_scorer", "npmi_scorer"]

#: English words that may sit inside a phrase but never start or end one
#: (gensim's list).
ENGLISH_CONNECTOR_WORDS = frozenset(
    "a an the for of with without at from to in on by and or".split())

#: Tokens of corpus encoded and searched at once (bounds memory).
CHUNK_TOKENS = 1 << 22


def _is_single_sentence(item):
    """A list of str is one sentence; anything else iterable is a corpus."""
    if isinstance(item, (str, bytes)):
        raise CorpusError("give a sentence as a list of tokens, not a string")
    if isinstance(item, (list, tuple)):
        return not item or isinstance(item[0], str)
    return False


class _PhraseDetector:
    """What both phrase models share: the delimiter, the threshold and
    gensim's left-to-right greedy pass over a sentence."""

    def analyze_sentence(self, sentence):
        """Yield ``(token, score)`` for each output token of ``sentence``:
        a joined phrase with its score, or a word with ``None``."""
        start, between = None, []
        for word in sentence:
            if word not in self.connector_words:
                if start is not None:
                    phrase, score = self.score_candidate(start, word, between)
                    if score is not None:
                        yield phrase, score
                        start, between = None, []
                        continue
                    yield start, None
                    for connector in between:
                        yield connector, None
                start, between = word, []
            elif start is not None:
                between.append(word)
            else:
                yield word, None
        if start is not None:
            yield start, None
            for connector in between:
                yield connector, None

    def __getitem__(self, sentence):
        """A sentence (list of str) with its phrases joined, or, for a corpus
        (iterable of sentences), an iterable of such sentences."""
        if _is_single_sentence(sentence):
            return [token for token, _ in self.analyze_sentence(sentence)]
        return _TransformedCorpus(self, sentence)

    def find_phrases(self, sentences):
        """Phrases found in ``sentences``, with their scores.

        Returns
        -------
        dict of str to float
        """
        found = {}
        for sentence in sentences:
            for token, score in self.analyze_sentence(sentence):
                if score is not None:
                    found[token] = score
        return found


class _TransformedCorpus:
    """A corpus seen through a phrase model (restartable if the corpus is)."""

    def __init__(self, model, corpus):
        self.model = model
        self.corpus = corpus

    def __iter__(self):
        # every item is a sentence, whatever iterable holds its tokens
        for sentence in self.corpus:
            if isinstance(sentence, (str, bytes)):
                raise CorpusError("give each sentence as a list of tokens, not a string")
            tokens = sentence if isinstance(sentence, list) else list(sentence)
            yield [token for token, _ in self.model.analyze_sentence(tokens)]


class Phrases(_PhraseDetector):
    """Detect phrases from word and candidate counts (gensim's ``Phrases``).

    Parameters
    ----------
    sentences : iterable of list of str, optional
        Counted at once (see :meth:`add_vocab`).
    min_count : int
        Ignore words and phrases seen fewer times.
    threshold : float
        A candidate is a phrase when its score is above this (``default``
        scoring: about 10; ``npmi``: in (-1, 1]).
    max_vocab_size : int
        When more distinct phrases than this are held, the rarest are
        forgotten (gensim's pruning rule), bounding memory.
    delimiter : str
        Joins a phrase's words.
    progress_per : int
        Accepted for gensim compatibility.
    scoring : {'default', 'npmi'} or callable
        ``scoring(worda_count, wordb_count, bigram_count, len_vocab,
        min_count, corpus_word_count) -> float``.
    connector_words : set of str
        Words that may sit inside a phrase but never start or end one.
    """

    def __init__(self, sentences=None, min_count=5, threshold=10.0, max_vocab_size=40000000,
                 delimiter="_", progress_per=10000, scoring="default",
                 connector_words=frozenset()):
        if min_count <= 0:
            raise ValueError(f"min_count must be > 0, got {min_count!r}")
        if scoring == "default" and threshold <= 0:
            raise ValueError(f"threshold must be > 0 with the default scoring (its scores are "
                             f"positive), got {threshold!r}")
        if isinstance(scoring, str):
            if scoring not in SCORERS:
                raise ValueError(f"scoring must be 'default', 'npmi' or a callable, "
                                 f"got {scoring!r}")
            if scoring == "npmi" and not -1 <= threshold <= 1:
                raise ValueError(f"npmi scores lie in [-1, 1]; threshold {threshold!r} "
                                 "can never be reached")
        elif not callable(scoring):
            raise ValueError("scoring must be 'default', 'npmi' or a callable")
        if not isinstance(delimiter, str) or not delimiter:
            raise ValueError("delimiter must be a non-empty str")
        if max_vocab_size < 1:
            raise ValueError(f"max_vocab_size must be >= 1, got {max_vocab_size!r}")
        self.min_count = min_count
        self.threshold = threshold
        self.max_vocab_size = max_vocab_size
        self.delimiter = delimiter
        self.progress_per = progress_per
        # gensim keeps the function, whether named or given
        self.scoring = SCORERS.get(scoring, scoring) if isinstance(scoring, str) else scoring
        self.connector_words = frozenset(connector_words)
        self.corpus_word_count = 0
        self.min_reduce = 1
        self._word_ids = {}                      # word -> id
        self._words = []                         # id -> word
        self._word_counts = np.zeros(0, np.int64)
        # candidates, sorted by the hash of their word ids: hash, count, ids
        self._hashes = np.zeros(0, np.uint64)
        self._counts = np.zeros(0, np.int64)
        self._sequences = (np.zeros(1, np.int64), np.zeros(0, np.int32))
        self._lookup = None                      # hash -> count, built when scoring
        self._len_vocab = None                   # built when scoring
        if sentences is not None:
            self.add_vocab(sentences)

    @classmethod
    def from_counts(cls, counts, corpus_word_count=0, min_reduce=1, **params):
        """A model from counts kept as gensim keeps them (its ``vocab``):
        each word and each candidate, a candidate's words joined by the
        delimiter. A key holding the delimiter is a candidate when every
        part is a counted word or a connector word, else a word.

        Parameters
        ----------
        counts : dict of str to int
        corpus_word_count, min_reduce : int
        **params
            The constructor's parameters.

        Returns
        -------
        Phrases
        """
        model = cls(**params)
        delimiter, connectors = model.delimiter, model.connector_words
        words = {key: int(count) for key, count in counts.items() if delimiter not in key}
        candidates = []
        for key, count in counts.items():
            parts = key.split(delimiter)
            if len(parts) < 2:
                continue
            if all(part in words or part in connectors for part in parts):
                candidates.append((parts, int(count)))
            else:
                words[key] = int(count)
        for parts, _ in candidates:  # connectors inside phrases need ids, not counts
            for part in parts:
                words.setdefault(part, 0)
        model._words = list(words)
        model._word_ids = {word: i for i, word in enumerate(model._words)}
        model._word_counts = np.fromiter(words.values(), dtype=np.int64, count=len(words))
        sequences = [[model._word_ids[part] for part in parts] for parts, _ in candidates]
        hashes = np.array([sequence_hash(ids) for ids in sequences], dtype=np.uint64)
        offsets = np.zeros(len(sequences) + 1, dtype=np.int64)
        np.cumsum([len(ids) for ids in sequences], out=offsets[1:])
        flat = np.array([i for ids in sequences for i in ids], dtype=np.int32)
        order = np.argsort(hashes, kind="stable")  # the tables are kept by hash
        model._hashes = hashes[order]
        model._counts = np.array([count for _, count in candidates], dtype=np.int64)[order]
        model._sequences = _gather(offsets, flat, order)
        model.corpus_word_count = int(corpus_word_count)
        model.min_reduce = int(min_reduce)
        model._tables_changed()
        return model

    # --------------------------------------------------------------- counting
    def add_vocab(self, sentences):
        """Count the words and phrase candidates of more sentences.

        Parameters
        ----------
        sentences : iterable of list of str
        """
        if isinstance(sentences, (str, bytes)):
            raise CorpusError("sentences must be an iterable of token lists")
        encoder = CorpusEncoder(known_ids=self._word_ids)
        for sentence in sentences:
            if isinstance(sentence, (str, bytes)):
                raise CorpusError("each sentence must be a list of str tokens, got "
                                  f"{type(sentence).__name__}")
            encoder.add(sentence if isinstance(sentence, list) else list(sentence))
            if encoder.n_tokens >= CHUNK_TOKENS:
                self._count_chunk(encoder)
                encoder = CorpusEncoder(known_ids=self._word_ids)
        self._count_chunk(encoder)

    def _count_chunk(self, encoder):
        encoded = encoder.finish()
        for word in encoded.words[len(self._words):]:
            self._word_ids[word] = len(self._words)
            self._words.append(word)
        tokens, ends = encoded.compact()
        self.corpus_word_count += encoded.raw_words
        counts = np.zeros(len(self._words), dtype=np.int64)
        counts[:len(self._word_counts)] = self._word_counts
        counts[:len(encoded.counts)] += encoded.counts
        self._word_counts = counts
        connector = np.array([w in self.connector_words for w in self._words], dtype=np.uint8)
        hashes, offsets, ids = phrase_candidates(tokens, ends, connector)
        # merge with what earlier chunks counted; each hash keeps the word
        # ids of its first occurrence (earlier chunks come first)
        all_hashes = np.concatenate([self._hashes, hashes])
        merged, first, inverse = np.unique(all_hashes, return_index=True, return_inverse=True)
        weights = np.concatenate([self._counts, np.ones(len(hashes), np.int64)])
        self._counts = np.bincount(inverse, weights=weights, minlength=len(merged)).astype(np.int64)
        old_offsets, old_ids = self._sequences
        joined_offsets = np.concatenate([old_offsets, old_offsets[-1] + offsets[1:]])
        joined_ids = np.concatenate([old_ids, ids])
        self._sequences = _gather(joined_offsets, joined_ids, first)
        self._hashes = merged
        self._tables_changed()
        while self.len_vocab > self.max_vocab_size:
            self._prune()

    def _prune(self):
        """Forget every word and phrase seen fewer than ``min_reduce`` times
        so far (gensim's rule: a forgotten one counts again from zero). A
        phrase is never more frequent than its words, so no kept phrase
        loses a word."""
        keep = self._counts >= self.min_reduce
        self._hashes, self._counts = self._hashes[keep], self._counts[keep]
        self._sequences = _gather(*self._sequences, np.flatnonzero(keep))
        self._word_counts[self._word_counts < self.min_reduce] = 0
        self._tables_changed()
        self.min_reduce += 1

    def _tables_changed(self):
        """Drop what scoring derives from the counts, after they changed."""
        self._lookup = None
        self._len_vocab = None

    def _phrase_count(self, ids):
        if self._lookup is None:
            self._lookup = dict(zip(self._hashes.tolist(), self._counts.tolist()))
        return self._lookup.get(sequence_hash(ids), 0)

    # ---------------------------------------------------------------- scoring
    def _word_count(self, word):
        index = self._word_ids.get(word)
        if index is None or word in self.connector_words:
            return 0
        return int(self._word_counts[index])

    def _counted_words(self):
        """Ids of the words in the vocabulary: counted, not forgotten by
        pruning, and not connector words."""
        counted = self._word_counts > 0
        for word in self.connector_words:
            if word in self._word_ids:
                counted[self._word_ids[word]] = False
        return np.flatnonzero(counted)

    @property
    def len_vocab(self):
        """Distinct words (connectors excluded) plus distinct phrases: the
        ``len_vocab`` of the default score, as gensim counts it (kept
        between count changes: every candidate's score asks for it)."""
        if self._len_vocab is None:
            self._len_vocab = len(self._counted_words()) + len(self._hashes)
        return self._len_vocab

    @property
    def vocab(self):
        """Counts of the words (connectors excluded) and of the phrase
        candidates (their words joined by the delimiter), as gensim's
        ``Phrases.vocab``; built on each access.

        Returns
        -------
        dict of str to int
        """
        counts = {self._words[i]: int(self._word_counts[i]) for i in self._counted_words()}
        offsets, ids = self._sequences
        for k, count in enumerate(self._counts.tolist()):
            counts[self.delimiter.join(self._words[i] for i in
                                       ids[offsets[k]:offsets[k + 1]])] = count
        return counts

    def _score(self, first, last, phrase_count, len_vocab=None):
        scorer = self.scoring
        return scorer(self._word_count(first), self._word_count(last), phrase_count,
                      self.len_vocab if len_vocab is None else len_vocab, self.min_count,
                      self.corpus_word_count)

    def score_candidate(self, word_a, word_b, in_between):
        """``(phrase, score)`` if ``word_a in_between… word_b`` is a phrase,
        else ``(None, None)``."""
        if self._word_count(word_a) <= 0 or self._word_count(word_b) <= 0:
            return None, None
        tokens = [word_a, *in_between, word_b]
        ids = [self._word_ids.get(w) for w in tokens]
        if None in ids:
            return None, None
        count = self._phrase_count(ids)
        if count <= 0:
            return None, None
        score = self._score(word_a, word_b, count)
        if score <= self.threshold:
            return None, None
        return self.delimiter.join(tokens), score

    def export_phrases(self):
        """Every counted phrase that scores above the threshold.

        Returns
        -------
        dict of str to float
        """
        len_vocab = self.len_vocab
        offsets, ids = self._sequences
        words = self._words
        exported = {}
        for k, count in enumerate(self._counts.tolist()):
            first, last = words[ids[offsets[k]]], words[ids[offsets[k + 1] - 1]]
            score = self._score(first, last, count, len_vocab)
            if score > self.threshold:
                exported[self.delimiter.join(words[i] for i in
                                             ids[offsets[k]:offsets[k + 1]])] = score
        return exported

    def freeze(self):
        """A :class:`FrozenPhrases` with only the phrases that pass: smaller
        and faster to apply."""
        return FrozenPhrases(self)

    # ----------------------------------------------------------- persistence
    def save(self, fname):
        """Save counts and settings in fastemb's native format (no pickle).

        A custom scoring function is saved by its module and name, and found
        again by them when the file is loaded.

        Raises
        ------
        TypeError
            The scoring function is not defined at the top level of a module.
        """
        scoring = scoring_reference(self.scoring)
        words_blob, words_ends = native.encode_strings(self._words)
        offsets, ids = self._sequences
        arrays = {"words_blob": words_blob, "words_ends": words_ends,
                  "word_counts": self._word_counts, "phrase_hashes": self._hashes,
                  "phrase_counts": self._counts, "phrase_offsets": offsets, "phrase_ids": ids}
        meta = {"kind": "Phrases", "params": {**self._params(), "scoring": scoring},
                "corpus_word_count": self.corpus_word_count, "min_reduce": self.min_reduce}
        native.save_arrays(fname, arrays, meta)

    def _params(self):
        return {"min_count": self.min_count, "threshold": self.threshold,
                "max_vocab_size": self.max_vocab_size, "delimiter": self.delimiter,
                "scoring": self.scoring, "connector_words": sorted(self.connector_words)}

    @classmethod
    def load(cls, fname):
        """Load a model saved by :meth:`save`, or by gensim (its pickle is
        read as data, without running code: see :func:`fastemb.load_gensim`).

        Raises
        ------
        FormatError
            Not a Phrases file, truncated or corrupt.
        """
        if is_pickle(fname):
            return _gensim_model(fname, cls)
        arrays, meta = native.load_model_arrays(fname, "Phrases")
        try:
            params = dict(meta["params"])
            params["scoring"] = resolve_scoring(params.get("scoring", "default"), fname)
            model = cls(**params)
            model._words = native.decode_strings(arrays["words_blob"], arrays["words_ends"])
            model._word_ids = {w: i for i, w in enumerate(model._words)}
            model._word_counts = arrays["word_counts"]
            model._hashes, model._counts = arrays["phrase_hashes"], arrays["phrase_counts"]
            offsets, ids = arrays["phrase_offsets"], arrays["phrase_ids"]
            model._sequences = (offsets, ids)
            if len(model._word_counts) != len(model._words) or \
                    len(model._counts) != len(model._hashes) or \
                    offsets.shape != (len(model._hashes) + 1,) or offsets[0] != 0 or \
                    offsets[-1] != len(ids) or np.any(np.diff(offsets) < 2):
                raise FormatError(f"{fname} has inconsistent phrase tables")
            if len(ids) and (ids.min() < 0 or ids.max() >= len(model._words)):
                raise FormatError(f"{fname} has a phrase with an unknown word id")
            model.corpus_word_count = int(meta["corpus_word_count"])
            model.min_reduce = int(meta["min_reduce"])
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, FormatError):
                raise
            raise FormatError(f"{fname} is missing phrase data ({exc})") from None
        return model

    def __str__(self):
        return (f"Phrases<{len(self._words)} words, {len(self._hashes)} candidates, "
                f"min_count={self.min_count}, threshold={self.threshold}>")


class FrozenPhrases(_PhraseDetector):
    """The phrases of a :class:`Phrases` model that pass its threshold, and
    nothing else (gensim's ``FrozenPhrases``, formerly ``Phraser``).

    Parameters
    ----------
    phrases_model : Phrases
    """

    def __init__(self, phrases_model):
        self.threshold = phrases_model.threshold
        self.min_count = phrases_model.min_count
        self.delimiter = phrases_model.delimiter
        self.scoring = phrases_model.scoring
        self.connector_words = phrases_model.connector_words
        self.phrasegrams = phrases_model.export_phrases()

    def score_candidate(self, word_a, word_b, in_between):
        """``(phrase, score)`` if the candidate is a known phrase, else
        ``(None, None)``."""
        phrase = self.delimiter.join([word_a, *in_between, word_b])
        score = self.phrasegrams.get(phrase)
        if score is None or score <= self.threshold:
            return None, None
        return phrase, score

    def save(self, fname):
        """Save the phrases and their scores in fastemb's native format (the
        scoring by name, as :meth:`Phrases.save` does)."""
        blob, ends = native.encode_strings(list(self.phrasegrams))
        scoring = None if self.scoring is None else scoring_reference(self.scoring)
        meta = {"kind": "FrozenPhrases", "params": {
            "scoring": scoring, "threshold": self.threshold, "min_count": self.min_count,
            "delimiter": self.delimiter, "connector_words": sorted(self.connector_words)}}
        native.save_arrays(fname, {"phrases_blob": blob, "phrases_ends": ends,
                                   "scores": np.fromiter(self.phrasegrams.values(),
                                                         dtype=np.float64,
                                                         count=len(self.phrasegrams))}, meta)

    @classmethod
    def from_phrasegrams(cls, phrasegrams, threshold, min_count=1, delimiter="_", scoring=None,
                         connector_words=frozenset()):
        """Frozen phrases from their scores (a phrase's words joined by the
        delimiter), as gensim's ``FrozenPhrases.phrasegrams`` holds them.

        Returns
        -------
        FrozenPhrases
        """
        model = cls.__new__(cls)
        model.threshold, model.min_count, model.delimiter = threshold, min_count, delimiter
        model.scoring = SCORERS.get(scoring, scoring) if isinstance(scoring, str) else scoring
        model.connector_words = frozenset(connector_words)
        model.phrasegrams = {str(phrase): float(score) for phrase, score in phrasegrams.items()}
        return model

    @classmethod
    def load(cls, fname):
        """Load phrases saved by :meth:`save`, or by gensim (``Phraser`` and
        ``FrozenPhrases`` pickles, read as data).

        Raises
        ------
        FormatError
        """
        if is_pickle(fname):
            return _gensim_model(fname, cls)
        arrays, meta = native.load_model_arrays(fname, "FrozenPhrases")
        model = cls.__new__(cls)
        try:
            params = meta["params"]
            model.threshold = params["threshold"]
            model.min_count = params["min_count"]
            model.delimiter = params["delimiter"]
            scoring = params.get("scoring")
            model.scoring = None if scoring is None else resolve_scoring(scoring, fname)
            model.connector_words = frozenset(params["connector_words"])
            phrases = native.decode_strings(arrays["phrases_blob"], arrays["phrases_ends"])
            scores = arrays["scores"].tolist()
        except (KeyError, TypeError) as exc:
            raise FormatError(f"{fname} is missing phrase data ({exc})") from None
        if len(scores) != len(phrases):
            raise FormatError(f"{fname} has {len(scores)} scores for {len(phrases)} phrases")
        model.phrasegrams = dict(zip(phrases, scores))
        return model

    def __str__(self):
        return f"FrozenPhrases<{len(self.phrasegrams)} phrases, threshold={self.threshold}>"


def _gensim_model(fname, cls):
    """A gensim pickle of a phrase model, as ``cls``."""
    model = registry.reader_named("gensim")(fname)
    if not isinstance(model, cls):
        raise FormatError(f"{fname} holds a gensim {type(model).__name__}, not a "
                          f"{cls.__name__}")
    return model


def _gather(offsets, ids, picks):
    """The variable-length rows ``picks`` of a flat table (``offsets``,
    ``ids``), as a new flat table, without a Python loop."""
    lengths = offsets[picks + 1] - offsets[picks]
    new_offsets = np.zeros(len(picks) + 1, dtype=np.int64)
    np.cumsum(lengths, out=new_offsets[1:])
    shift = np.repeat(offsets[picks] - new_offsets[:-1], lengths)
    return new_offsets, ids[np.arange(new_offsets[-1]) + shift]


#: gensim 3's name for :class:`FrozenPhrases`.
Phraser = FrozenPhrases

