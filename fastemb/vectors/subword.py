"""``FastTextKeyedVectors``: word vectors built from subword rows, with
vectors for words never seen in training (gensim's class of that name).

A word's vector is the mean of its own row and the rows of its character
n-grams' hash buckets (Bojanowski et al. 2017); an unseen word's is the mean
of its n-grams' rows alone, as in fastText's ``get_word_vector``.

Storage. A model at gensim's defaults has 2,000,000 buckets, an 800 MB
matrix at 100 dimensions, yet a vocabulary uses a fraction of them and the
rest keep their random initial values forever. Models trained by fastemb
therefore store only the buckets their vocabulary uses (``bucket_rows``
maps a bucket to its stored row) and draw every initial row from a
counter-based generator keyed by ``(seed, bucket)``: an unused bucket's row
is recomputed on demand, bit for bit what the full matrix would hold, so no
word's vector changes. Vectors read from a Facebook ``.bin`` keep fastText's
dense matrix (its random rows cannot be recomputed).

floret mode (``mode="floret"``, as in explosion's floret, which spaCy
uses): words have no rows of their own. ``<word>`` itself and each of its
n-grams are hashed ``hash_count`` times (MurmurHash3) into one small table
of ``bucket`` rows, all stored, and a word's vector is the mean of those
rows ("Bloom embeddings"): a 50,000-row table serves any vocabulary. As in
floret, the first vocabulary word keeps a row of its own (floret's files
hold one for it).
"""
import functools
import logging

import numpy as np

from fastemb import registry
from fastemb._subwords import average_rows, check_row_lists, hashed_uniform_rows
from fastemb.errors import FormatError
from fastemb.io.vector_files import write_floret_table
from fastemb.legacy import warn_renamed
from fastemb.parallel import run_parallel
from fastemb.vectors.keyedvectors import KeyedVectors
from fastemb.vectors.search import default_workers
from fastemb.vectors.subword_lookups import (  # re-exported with the class that uses them
    EOS,
    FLORET_SEED,
    SUBWORD_MODES,
    SubwordLookups,
    char_ngrams,
    ngram_buckets,
)
from fastemb.weights import as_weight_matrix, matrix_attribute

__all__ = ["FastTextKeyedVectors", "SubwordLookups", "ngram_buckets", "char_ngrams", "EOS",
           "FLORET_SEED", "SUBWORD_MODES"]

logger = logging.getLogger(__name__)

#: Streams of the counter-based initialiser, one per kind of row.
WORD_STREAM, NGRAM_STREAM = 0, 1


@registry.register
class FastTextKeyedVectors(SubwordLookups, KeyedVectors):
    """Word vectors with subword information.

    Parameters
    ----------
    vector_size : int
    min_n, max_n : int
        Character n-gram lengths (``max_n < min_n`` disables n-grams).
    bucket : int
        Number of hash buckets for n-grams.
    count : int
    dtype : numpy dtype
    mode : {'fasttext', 'floret'}
        fastText's rows (a row a word plus n-gram buckets) or floret's
        (hashed rows only; see the module notes).
    hash_count : int
        floret mode: rows a subword is hashed to, 1 to 4.

    Attributes
    ----------
    vectors : ndarray of shape (n_words, vector_size)
        Each vocabulary word's full vector (mean of its own and its n-gram
        rows); what queries search.
    input_matrix : ndarray of shape (n_own_rows + n_ngram_rows, vector_size)
        The trained rows: the words' own rows (every word's; floret mode:
        the first word's, if any), then the stored n-gram rows.
    bucket_rows : ndarray of int32, shape (bucket,), or None
        Stored row (counted from the first n-gram row) of each bucket, -1 for
        a bucket no vocabulary word uses; None when every bucket is stored
        (row ``b`` is bucket ``b``).
    seed : int
        Seed of the initial rows (recomputes unused buckets).
    vectors_ngrams_lockf : ndarray of float32
        Lock factors of the n-gram rows in training (gensim's): one value,
        or one a bucket; 0.0 freezes a row. ``vectors_vocab_lockf`` is the
        words' own rows'.
    """

    input_matrix = matrix_attribute(
        "input_matrix", lambda kv: kv.bucket if kv.mode == "floret" else kv.n_words,
        "Every input row: the words' own rows, then the stored n-gram rows "
        "(C-ordered float32; an assigned array is stored as such).")

    def __init__(self, vector_size, min_n=3, max_n=6, bucket=2000000, count=0,
                 dtype=np.float32, mode="fasttext", hash_count=1):
        super().__init__(vector_size, count, dtype)
        self.min_n = int(min_n)
        self.max_n = int(max_n)
        self.bucket = int(bucket)
        self._take_subword_settings({"mode": mode, "hash_count": hash_count})
        self.seed = 0
        self.input_matrix = np.zeros((count, vector_size), dtype=np.float32)
        self.bucket_rows = None
        self._lists = None
        self.vectors_ngrams_lockf = np.ones(1, dtype=np.float32)

    # ----------------------------------------------------------- construction
    @classmethod
    def for_vocabulary(cls, keys, counts, vector_size, min_n, max_n, bucket, seed,
                       mode="fasttext", hash_count=1):
        """Untrained vectors for a vocabulary: fastText's initialisation
        (uniform in ``±1/vector_size``), storing only the buckets the
        vocabulary's n-grams use, most used first (floret mode: every
        bucket, and one own row for the first word).

        Parameters
        ----------
        keys : list of str
        counts : ndarray of int64
            Corpus count of each key (orders the n-gram rows by use).
        vector_size, min_n, max_n, bucket, seed : int
        mode : {'fasttext', 'floret'}
        hash_count : int

        Returns
        -------
        FastTextKeyedVectors
        """
        kv = cls(vector_size, min_n, max_n, bucket, mode=mode, hash_count=hash_count)
        kv.seed = int(seed)
        n_words = len(keys)
        offsets, buckets = kv.subword_buckets(keys)
        if kv.mode == "floret":
            # every bucket, and the first word's own row as floret keeps it
            own, stored = np.arange(min(n_words, 1)), np.arange(bucket)
        else:
            per_word = np.diff(offsets)
            uses = np.bincount(buckets, minlength=max(bucket, 1),
                               weights=np.repeat(np.asarray(counts, np.float64), per_word))
            stored = np.flatnonzero(uses)
            stored = stored[np.argsort(-uses[stored], kind="stable")]
            kv.bucket_rows = np.full(bucket, -1, dtype=np.int32)
            kv.bucket_rows[stored] = np.arange(len(stored), dtype=np.int32)
            own = np.arange(n_words)
        scale = 1.0 / vector_size
        kv.input_matrix = np.vstack([
            hashed_uniform_rows(own.astype(np.int64), vector_size, kv.seed, WORD_STREAM, scale),
            hashed_uniform_rows(stored.astype(np.int64), vector_size, kv.seed, NGRAM_STREAM,
                                scale)])
        kv._adopt_keys(KeyedVectors.from_arrays(
            keys, np.zeros((n_words, vector_size), dtype=np.float32), counts))
        kv._lists = kv._build_input_lists(offsets, buckets)
        kv.adjust_vectors()
        return kv

    @classmethod
    def from_dense(cls, keys, counts, input_matrix, min_n, max_n, bucket, mode="fasttext",
                   hash_count=1):
        """Vectors over a full ``(n_words + bucket) x dim`` input matrix, as a
        Facebook (or floret) ``.bin`` file holds it.

        Parameters
        ----------
        keys : list of str
        counts : ndarray of int64
        input_matrix : ndarray of float32
        min_n, max_n, bucket : int
        mode : {'fasttext', 'floret'}
        hash_count : int

        Returns
        -------
        FastTextKeyedVectors
        """
        if input_matrix.ndim != 2 or input_matrix.shape[0] != len(keys) + bucket:
            raise FormatError(f"input matrix of shape {input_matrix.shape} does not hold "
                              f"{len(keys)} words + {bucket} buckets")
        kv = cls(input_matrix.shape[1], min_n, max_n, bucket, mode=mode, hash_count=hash_count)
        kv._adopt_keys(KeyedVectors.from_arrays(
            keys, np.zeros((len(keys), input_matrix.shape[1]), np.float32), counts))
        kv.input_matrix = input_matrix
        kv.adjust_vectors()
        return kv

    def add_words(self, keys, counts):
        """Grow the vocabulary (``build_vocab(update=True)``): new words get
        fresh rows, and their n-grams' buckets that were not stored yet get
        rows with the values they always had (the generator's), so no other
        word's vector changes.

        Parameters
        ----------
        keys : list of str
        counts : ndarray of int64
        """
        if not keys:
            return
        n_old, scale = self.n_words, 1.0 / self.vector_size
        if self.mode == "floret":
            # the shared table already holds every row a new word can use
            self._adopt_keys(KeyedVectors.from_arrays(
                self.index_to_key + list(keys),
                np.zeros((n_old + len(keys), self.vector_size), dtype=np.float32),
                np.concatenate([self.counts, np.asarray(counts, dtype=np.int64)])))
            self._lists = None
            self.adjust_vectors()
            return
        word_rows = hashed_uniform_rows(
            np.arange(n_old, n_old + len(keys), dtype=np.int64), self.vector_size, self.seed,
            WORD_STREAM, scale)
        ngram_rows = np.zeros((0, self.vector_size), dtype=np.float32)
        if self.bucket_rows is not None:
            _, buckets = self.subword_buckets(keys)
            missing = np.unique(buckets[self.bucket_rows[buckets] < 0]).astype(np.int64)
            stored = self.input_matrix.shape[0] - n_old
            self.bucket_rows[missing] = np.arange(stored, stored + len(missing), dtype=np.int32)
            ngram_rows = hashed_uniform_rows(missing, self.vector_size, self.seed,
                                                       NGRAM_STREAM, scale)
        self.input_matrix = np.vstack([self.input_matrix[:n_old], word_rows,
                                       self.input_matrix[n_old:], ngram_rows])
        grown = KeyedVectors.from_arrays(
            self.index_to_key + list(keys),
            np.zeros((n_old + len(keys), self.vector_size), dtype=np.float32),
            np.concatenate([self.counts, np.asarray(counts, dtype=np.int64)]))
        self._adopt_keys(grown)
        self._lists = None
        self.adjust_vectors()

    def _adopt_keys(self, base):
        """Take the keys, counts and vectors of a checked ``KeyedVectors``."""
        self.index_to_key, self.key_to_index = base.index_to_key, base.key_to_index
        self.counts, self.vectors = base.counts, base.vectors

    def _build_input_lists(self, offsets=None, buckets=None):
        """Each word's input rows: its own row (if it has one), then its
        n-grams' rows."""
        n_words, n_own = len(self.index_to_key), self.n_own_rows
        if offsets is None:
            offsets, buckets = self.subword_buckets(self.index_to_key)
        ngram_rows = buckets if self.bucket_rows is None else self.bucket_rows[buckets]
        if len(ngram_rows) and ngram_rows.min() < 0:
            raise FormatError("a vocabulary word uses an n-gram bucket that is not stored")
        has_own = np.arange(n_words + 1) <= min(n_own, n_words)
        list_offsets = offsets + np.cumsum(has_own) - 1
        rows = np.empty(list_offsets[-1], dtype=np.int32)
        own = list_offsets[:min(n_own, n_words)]
        rows[own] = np.arange(len(own), dtype=np.int32)
        is_ngram = np.ones(len(rows), dtype=bool)
        is_ngram[own] = False
        rows[is_ngram] = ngram_rows.astype(np.int32) + self.ngram_offset
        return list_offsets, rows

    def input_lists(self):
        """``(offsets, rows)``: word ``w`` trains and averages the input rows
        ``rows[offsets[w]:offsets[w + 1]]`` (its own row first)."""
        if self._lists is None:
            self._lists = self._build_input_lists()
        return self._lists

    def adjust_vectors(self):
        """Recompute every vocabulary word's vector from the input rows (after
        training or loading), as gensim's method of that name."""
        offsets, rows = self.input_lists()
        matrix = np.ascontiguousarray(self.input_matrix, dtype=np.float32)
        check_row_lists(offsets, rows, len(matrix))
        vectors = np.empty((len(offsets) - 1, self.vector_size), dtype=np.float32)
        # a million words of a pretrained model average some ten million
        # rows: a share a core, each of at least 20,000 words (below that a
        # thread costs more than it saves)
        shares = max(1, min(default_workers(), len(vectors) // 20000))
        bounds = np.linspace(0, len(vectors), shares + 1).astype(np.int64)
        run_parallel([functools.partial(average_rows, matrix, offsets, rows, vectors, a, b)
                      for a, b in zip(bounds[:-1], bounds[1:])], shares)
        self.vectors = vectors
        self.norms = None

    def make_writable(self):
        """Copy the input rows into a writable array if they are mapped
        read-only from a file (training writes them in place)."""
        if not self.input_matrix.flags.writeable or not self.input_matrix.flags.c_contiguous \
                or self.input_matrix.dtype != np.float32:
            self._input_matrix = np.array(self.input_matrix, dtype=np.float32, order="C")

    # ----------------------------------------------------------------- access
    @property
    def n_words(self):
        """Number of vocabulary words."""
        return len(self.index_to_key)

    @property
    def ngram_offset(self):
        """Input row of the first n-gram row: after every word's own row, or
        in floret mode after the rows before the table (one for the first
        word; a floret ``.bin`` file holds one a word)."""
        if self.mode == "floret":
            return self.input_matrix.shape[0] - self.bucket
        return self.n_words

    @property
    def n_own_rows(self):
        """How many words (the first ones) train a row of their own: all of
        them, or in floret mode the first word only."""
        if self.mode == "floret":
            return min(1, self.ngram_offset)
        return self.n_words

    @property
    def vectors_vocab(self):
        """The words' own rows (without their n-grams), a view; assigning a
        matrix of the same shape replaces them. In floret mode only the first
        word has one."""
        return self.input_matrix[:self.n_own_rows]

    @vectors_vocab.setter
    def vectors_vocab(self, value):
        self._replace_input_rows("vectors_vocab", 0, self.n_own_rows, value)

    @property
    def vectors_ngrams(self):
        """The n-gram table, one row a bucket: shape ``(bucket, vector_size)``
        as in gensim.

        When every bucket is stored (vectors from a Facebook ``.bin``, floret
        mode) this is a view of the trained rows. When only the used buckets
        are stored it is built on each access, the unused rows recomputed
        from the generator, and read-only (at gensim's 2,000,000 buckets and
        100 dimensions that is 800 MB: read :meth:`ngram_rows` of the
        buckets you need instead). Assigning a ``(bucket, vector_size)``
        matrix replaces the table and stores every bucket from then on.
        """
        if self.bucket_rows is None:
            return self.input_matrix[self.ngram_offset:]
        table = self.ngram_rows(np.arange(self.bucket, dtype=np.int64))
        table.flags.writeable = False
        return table

    @vectors_ngrams.setter
    def vectors_ngrams(self, value):
        if self.bucket_rows is None:
            self._replace_input_rows("vectors_ngrams", self.ngram_offset,
                                     len(self.input_matrix), value)
            return
        table = as_weight_matrix(value, "vectors_ngrams")
        if table.shape != (self.bucket, self.vector_size):
            raise ValueError(f"vectors_ngrams must have shape {(self.bucket, self.vector_size)}"
                             f", got {table.shape}")
        # the assigned rows of unused buckets must survive: store them all
        self.input_matrix = np.vstack([np.asarray(self.input_matrix[:self.ngram_offset],
                                                  dtype=np.float32),
                                       table.astype(np.float32, copy=False)])
        self.bucket_rows = None
        self._lists = None
        self.adjust_vectors()

    @property
    def vectors_vocab_lockf(self):
        """Lock factors of the words' own rows (gensim's FastText name for
        ``vectors_lockf``): one value, or one a word; 0.0 freezes a row."""
        return self.vectors_lockf

    @vectors_vocab_lockf.setter
    def vectors_vocab_lockf(self, value):
        self.vectors_lockf = value

    @property
    def n_stored_ngrams(self):
        """How many n-gram rows are stored (the used buckets, or all)."""
        return self.input_matrix.shape[0] - self.ngram_offset

    def _replace_input_rows(self, name, start, stop, value):
        """Write ``value`` over input rows ``[start, stop)`` after checking it,
        and recompute the word vectors from them."""
        array = as_weight_matrix(value, name)
        if array.shape != (stop - start, self.vector_size):
            raise ValueError(f"{name} must have shape {(stop - start, self.vector_size)}, "
                             f"got {array.shape}")
        self.make_writable()
        self.input_matrix[start:stop] = array
        self.adjust_vectors()

    @property
    def syn0_vocab(self):
        """gensim 3's name for :attr:`vectors_vocab` (deprecated)."""
        warn_renamed(".syn0_vocab", ".vectors_vocab")
        return self.vectors_vocab

    @property
    def syn0_ngrams(self):
        """gensim 3's name for :attr:`vectors_ngrams` (deprecated)."""
        warn_renamed(".syn0_ngrams", ".vectors_ngrams")
        return self.vectors_ngrams

    def ngram_rows(self, buckets):
        """Rows of the given buckets, unstored ones recomputed.

        Parameters
        ----------
        buckets : ndarray of int

        Returns
        -------
        ndarray of float32, shape (len(buckets), vector_size)
        """
        buckets = np.asarray(buckets, dtype=np.int64)
        if self.bucket_rows is None:
            return np.asarray(self.input_matrix[self.ngram_offset + buckets], dtype=np.float32)
        stored = self.bucket_rows[buckets]
        out = np.empty((len(buckets), self.vector_size), dtype=np.float32)
        have = stored >= 0
        out[have] = self.input_matrix[self.ngram_offset + stored[have]]
        if not have.all():
            out[~have] = hashed_uniform_rows(buckets[~have], self.vector_size,
                                                       self.seed, NGRAM_STREAM,
                                                       1.0 / self.vector_size)
        return out

    def compress(self, method="pq", dsub=2, bits=8, keep_words=None, threads=None,
                 keep_ngrams=None):
        """Compressed vectors that answer every query, unseen words too
        (:class:`~fastemb.vectors.compressed_subword.CompressedFastTextKeyedVectors`).

        Parameters
        ----------
        method, dsub, bits, keep_words, threads
            As for :meth:`KeyedVectors.compress`.
        keep_ngrams : int, optional
            Keep the rows of only this many n-gram buckets, those the
            vocabulary's words use most (default: every bucket they use).

        Returns
        -------
        CompressedFastTextKeyedVectors
        """
        return registry.class_named("CompressedFastTextKeyedVectors").from_vectors(
            self, method, dsub, bits, keep_words, threads, keep_ngrams)

    # ------------------------------------------------------------------ files
    def save_floret_vectors(self, path):
        """Write the hashed table of floret-mode vectors as floret's
        ``.floret`` file, which spaCy's ``init vectors --mode floret`` reads
        (:func:`fastemb.load_floret_vectors` reads it back).

        Parameters
        ----------
        path : str or os.PathLike
            Written atomically; compressed when the name ends in ``.gz``,
            ``.bz2`` or ``.xz``.

        Raises
        ------
        ValueError
            The vectors are not in floret mode (fastText's own rows have no
            ``.floret`` form: save them with ``save_word2vec_format``).
        """
        if self.mode != "floret":
            raise ValueError("a .floret table holds floret-mode vectors only (train with "
                             "FastText(mode='floret') or load a floret .bin)")
        write_floret_table(path, self.ngram_rows(np.arange(self.bucket, dtype=np.int64)),
                           self.min_n, self.max_n, self.hash_count, self.hash_seed)

    def _arrays(self):
        arrays = super()._arrays()
        arrays["input_matrix"] = np.asarray(self.input_matrix, dtype=np.float32)
        if self.bucket_rows is not None:
            arrays["bucket_rows"] = self.bucket_rows
        if np.asarray(self.vectors_ngrams_lockf).size > 1:
            arrays["vectors_ngrams_lockf"] = np.asarray(self.vectors_ngrams_lockf,
                                                        dtype=np.float32)
        return arrays

    def _meta(self):
        return {"min_n": self.min_n, "max_n": self.max_n, "bucket": self.bucket,
                "seed": self.seed, **self._subword_settings()}

    @classmethod
    def _from_native(cls, arrays, meta, mapped=False):
        # the subword vectors keep a dict of their keys, whatever mapped
        base = KeyedVectors._from_native(arrays, meta)
        try:
            params = meta["vectors"]
            kv = cls(base.vector_size, params["min_n"], params["max_n"], params["bucket"])
            kv._take_subword_settings(params)
            kv.seed = int(params["seed"])
            kv.input_matrix = arrays["input_matrix"]
            kv.bucket_rows = arrays.get("bucket_rows")
        except (KeyError, TypeError, ValueError) as exc:
            raise FormatError(f"subword vectors file is missing data ({exc})") from None
        kv._adopt_keys(base)
        kv.expandos, kv.vectors_lockf = base.expandos, base.vectors_lockf
        if "vectors_ngrams_lockf" in arrays:
            kv.vectors_ngrams_lockf = arrays["vectors_ngrams_lockf"]
        n_ngram_rows = kv.input_matrix.shape[0] - kv.ngram_offset
        expected = kv.bucket if kv.bucket_rows is None else None
        if kv.input_matrix.ndim != 2 or kv.input_matrix.shape[1] != kv.vector_size or \
                n_ngram_rows < 0 or kv.ngram_offset < 0 or \
                (kv.mode == "floret" and kv.bucket_rows is not None) or \
                (expected is not None and n_ngram_rows != expected):
            raise FormatError(f"subword input matrix of shape {kv.input_matrix.shape} does not "
                              f"match {kv.n_words} words, {kv.bucket} buckets, dimension "
                              f"{kv.vector_size}")
        if kv.bucket_rows is not None and (kv.bucket_rows.shape != (kv.bucket,) or (
                kv.bucket and int(kv.bucket_rows.max(initial=-1)) >= n_ngram_rows)):
            raise FormatError("corrupt bucket table in subword vectors file")
        return kv
