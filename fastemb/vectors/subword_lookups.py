"""Which rows a word's subwords use: fastText's character n-grams hashed
into buckets (Bojanowski et al. 2017) or floret's (every subword, and the
word itself, hashed several times into one table), and the lookups of
words outside the vocabulary that FastText's full and compressed vectors
share (:class:`SubwordLookups`).
"""
import logging

import numpy as np

from fastemb._subwords import vocab_ngram_buckets
from fastemb.errors import FormatError, UnknownKeyError

logger = logging.getLogger(__name__)

__all__ = ["SubwordLookups", "ngram_buckets", "char_ngrams", "EOS", "FLORET_SEED",
           "SUBWORD_MODES"]

#: fastText's end-of-line token, which has no n-grams.
EOS = "</s>"

#: floret's MurmurHash3 seed (fastText's FNV offset basis).
FLORET_SEED = 2166136261
#: How words map to rows: fastText's (own row + n-gram buckets) or floret's.
SUBWORD_MODES = ("fasttext", "floret")


def char_ngrams(word, min_n, max_n):
    """The character n-grams of ``<word>`` that fastText hashes, in its order.

    Parameters
    ----------
    word : str
    min_n, max_n : int

    Returns
    -------
    list of str
    """
    wrapped = f"<{word}>"
    grams = []
    for start in range(len(wrapped)):
        for n in range(min_n, max_n + 1):
            end = start + n
            if end > len(wrapped):
                break
            if n == 1 and (start == 0 or end == len(wrapped)):
                continue
            grams.append(wrapped[start:end])
    return grams


def ngram_buckets(words, min_n, max_n, bucket, hash_count=0, hash_seed=FLORET_SEED):
    """Hash buckets of every word's character n-grams (fastText-compatible).

    Parameters
    ----------
    words : list of str
    min_n, max_n : int
    bucket : int
    hash_count : int
        0 for fastText's hashing; 1 to 4 for floret's (``<word>`` itself
        and each n-gram, ``hash_count`` buckets each).
    hash_seed : int
        floret's MurmurHash3 seed.

    Returns
    -------
    offsets : ndarray of int64, shape (len(words) + 1,)
    buckets : ndarray of int32
        Word ``i``'s buckets are ``buckets[offsets[i]:offsets[i + 1]]``;
        fastText's end-of-line token ``</s>`` has none.
    """
    encoded = [w.encode("utf-8") for w in words]
    ends = np.cumsum([len(b) for b in encoded], dtype=np.int64) if encoded \
        else np.zeros(0, np.int64)
    blob = np.frombuffer(b"".join(encoded), dtype=np.uint8)
    offsets, buckets = vocab_ngram_buckets(blob, ends, int(min_n), int(max_n), int(bucket),
                                           int(hash_count), int(hash_seed))
    if EOS in words:
        # fastText's end-of-line token is a word without n-grams
        eos = words.index(EOS)
        span = offsets[eos + 1] - offsets[eos]
        buckets = np.delete(buckets, np.s_[offsets[eos]:offsets[eos + 1]])
        offsets[eos + 1:] -= span
    return offsets, buckets


class SubwordLookups:
    """Vectors for words outside the vocabulary from their character
    n-grams: what FastText's full and compressed vectors share. The class it
    is mixed into has ``min_n``, ``max_n``, ``bucket`` and
    ``ngram_rows(buckets)``, and for floret mode ``mode``, ``hash_count``
    and ``hash_seed``."""

    mode = "fasttext"
    hash_count = 1
    hash_seed = FLORET_SEED

    @property
    def compatible_hash(self):
        """True: n-grams are hashed exactly as Facebook's fastText hashes them
        (gensim's attribute; gensim before 3.8 could hash non-ASCII n-grams
        differently)."""
        return True

    def subword_buckets(self, words):
        """``(offsets, buckets)`` of :func:`ngram_buckets` for ``words`` under
        these vectors' hashing (fastText's or floret's)."""
        return ngram_buckets(words, self.min_n, self.max_n, self.bucket,
                             self.hash_count if self.mode == "floret" else 0, self.hash_seed)

    def _subword_settings(self):
        """The hashing settings a file keeps beside ``min_n``/``max_n``/``bucket``."""
        return {"mode": self.mode, "hash_count": self.hash_count, "hash_seed": self.hash_seed}

    def _take_subword_settings(self, params):
        """Read back :meth:`_subword_settings` (files from before floret mode
        have none: fastText's hashing)."""
        mode = params.get("mode", "fasttext")
        hash_count, hash_seed = int(params.get("hash_count", 1)), \
            int(params.get("hash_seed", FLORET_SEED))
        if mode not in SUBWORD_MODES or not 1 <= hash_count <= 4 or \
                not 0 <= hash_seed < 2 ** 32:
            raise FormatError(f"unknown subword hashing (mode {mode!r}, hash_count "
                              f"{hash_count}, hash_seed {hash_seed})")
        self.mode, self.hash_count, self.hash_seed = mode, hash_count, hash_seed

    def _unseen_vector(self, word):
        """Mean of an unseen word's n-gram rows, or None when it has none."""
        _, buckets = self.subword_buckets([word])
        if len(buckets) == 0:
            return None
        return self.ngram_rows(buckets).mean(axis=0, dtype=np.float64).astype(np.float32)

    def __contains__(self, key):
        """True for vocabulary words and for any word with at least one
        character n-gram (its vector is built from them)."""
        if key in self.key_to_index:
            return True
        return isinstance(key, str) and self.bucket > 0 and \
            len(self.subword_buckets([key])[1]) > 0

    def get_vector(self, key, norm=False):
        """Vector of ``key``; words outside the vocabulary get the mean of
        their n-gram rows, and zeros (with a warning) when they are too
        short to have any, as in fastText and gensim.

        Parameters
        ----------
        key : str or int
        norm : bool
            Scale to unit length.

        Returns
        -------
        ndarray of shape (vector_size,)

        Raises
        ------
        UnknownKeyError
            The word is outside the vocabulary and n-grams are disabled.
        """
        if key in self.key_to_index or isinstance(key, (int, np.integer)):
            return super().get_vector(key, norm)
        if not self.has_ngrams or not isinstance(key, str):
            raise UnknownKeyError(key, f"{key!r} is not in the vocabulary, and these vectors "
                                       "have no character n-grams to build a vector from")
        if self._has_no_ngrams(key):
            logger.warning("%r has no character n-gram of length %d-%d: its vector is zeros",
                           key, self.min_n, self.max_n)
            return np.zeros(self.vector_size, dtype=np.float32)
        vector = self._unseen_vector(key)
        if vector is None:  # compressed vectors that dropped all of its n-grams
            raise UnknownKeyError(key, f"{key!r} is not in the vocabulary and none of its "
                                       "n-gram rows was kept")
        if norm:
            length = np.linalg.norm(vector)
            return vector / length if length > 0 else vector
        return vector

    def _has_no_ngrams(self, word):
        return len(self.subword_buckets([word])[1]) == 0

    @property
    def has_ngrams(self):
        """True when words outside the vocabulary get vectors: there are
        buckets and n-gram lengths (floret mode hashes the whole word too)."""
        return self.bucket > 0 and (self.max_n >= self.min_n or self.mode == "floret")

    word_vec = get_vector

    def _term_vector(self, key):
        if key in self.key_to_index:
            return super()._term_vector(key)
        if isinstance(key, str) and self.has_ngrams and self._has_no_ngrams(key):
            # a zero vector has no direction to rank neighbours by
            raise UnknownKeyError(key, f"{key!r} is not in the vocabulary and has no "
                                       f"character n-gram of length {self.min_n}-"
                                       f"{self.max_n}: it has no direction to compare")
        return self.get_vector(key, norm=True), None
