"""Compressed FastText vectors: :class:`CompressedFastTextKeyedVectors` keep
the vocabulary's word vectors as codes, as
:class:`~fastemb.vectors.compressed.CompressedKeyedVectors` do, and the
character n-gram rows as codes too, so that a word outside the vocabulary
still gets a vector: the mean of its n-grams' decoded rows.

A FastText model's n-gram table (2M buckets at gensim's defaults) is most of
its size. Only the buckets that the vocabulary's words use are kept, and
with ``keep_ngrams`` only the ones used by the most vocabulary words (as
compress-fasttext prunes); an unseen word's vector is the mean of its kept
n-grams, and a word none of whose n-grams is kept has no vector.
"""
import numpy as np

from fastemb import registry
from fastemb.errors import FormatError
from fastemb.io.fasttext_bin import KSUB
from fastemb.vectors.codes import CompressedMatrix
from fastemb.vectors.compressed import CompressedKeyedVectors
from fastemb.vectors.subword_lookups import SubwordLookups

__all__ = ["CompressedFastTextKeyedVectors"]


@registry.register
class CompressedFastTextKeyedVectors(SubwordLookups, CompressedKeyedVectors):
    """Compressed word vectors with compressed n-gram rows (see the module
    notes); made by :meth:`FastTextKeyedVectors.compress` or loaded from a
    native file.

    Attributes
    ----------
    min_n, max_n, bucket : int
        The n-grams' settings, as the vectors they came from.
    ngram_matrix : CompressedMatrix
        The kept buckets' rows.
    ngram_buckets : ndarray of int64
        The kept buckets, ascending (row ``i`` of ``ngram_matrix`` is bucket
        ``ngram_buckets[i]``).
    """

    def __init__(self, vector_size, method="pq", min_n=3, max_n=6, bucket=2000000):
        super().__init__(vector_size, method)
        self.min_n, self.max_n, self.bucket = int(min_n), int(max_n), int(bucket)
        self.ngram_matrix = CompressedMatrix(method, vector_size, np.zeros((0, 0), np.uint8))
        self.ngram_buckets = np.zeros(0, dtype=np.int64)

    @classmethod
    def from_vectors(cls, kv, method="pq", dsub=2, bits=8, keep_words=None, threads=None,
                     keep_ngrams=None):
        """Compress FastText vectors ``kv`` (see
        :meth:`FastTextKeyedVectors.compress`)."""
        out = super().from_vectors(kv, method, dsub, bits, keep_words, threads)
        kept = _used_buckets(kv, keep_ngrams)
        # product quantization needs 256 rows: fewer n-grams are kept as int8
        ngram_method = method if len(kept) >= KSUB else "int8"
        out.ngram_matrix = CompressedMatrix.compress(kv.ngram_rows(kept), ngram_method, dsub,
                                                     threads)
        out.ngram_buckets = kept
        return out

    @classmethod
    def _new_for(cls, kv, method):
        out = cls(kv.vector_size, method, kv.min_n, kv.max_n, kv.bucket)
        out._take_subword_settings(kv._subword_settings())
        return out

    @classmethod
    def _new_from_file(cls, matrix, params):
        try:
            out = cls(matrix.dim, matrix.method, params["min_n"], params["max_n"],
                      params["bucket"])
        except KeyError as exc:
            raise FormatError(f"compressed FastText vectors without {exc}") from None
        out._take_subword_settings(params)
        return out

    def _kept_positions(self, buckets):
        """Rows of ``ngram_matrix`` of the kept ones among ``buckets``."""
        buckets = np.asarray(buckets, dtype=np.int64)
        if not len(self.ngram_buckets):
            return np.zeros(0, dtype=np.int64)
        at = np.minimum(np.searchsorted(self.ngram_buckets, buckets),
                        len(self.ngram_buckets) - 1)
        return at[self.ngram_buckets[at] == buckets]

    def ngram_rows(self, buckets):
        """The decoded rows of the kept ones among ``buckets``."""
        return self.ngram_matrix.decode(self._kept_positions(buckets))

    def _word_positions(self, word):
        return self._kept_positions(self.subword_buckets([word])[1])

    def _unseen_vector(self, word):
        """Mean of the word's kept n-gram rows, or None when none is kept."""
        positions = self._word_positions(word)
        if not len(positions):
            return None
        rows = self.ngram_matrix.decode(positions)
        return rows.mean(axis=0, dtype=np.float64).astype(np.float32)

    def __contains__(self, key):
        return key in self.key_to_index or (
            isinstance(key, str) and len(self._word_positions(key)) > 0)

    # ---------------------------------------------------------------- files
    def _arrays(self):
        return {**super()._arrays(), **self.ngram_matrix.arrays("ngram_"),
                "ngram_buckets": self.ngram_buckets}

    def _meta(self):
        return {**super()._meta(), "min_n": self.min_n, "max_n": self.max_n,
                "bucket": self.bucket, "ngrams": self.ngram_matrix.meta(),
                **self._subword_settings()}

    @classmethod
    def _from_native(cls, arrays, meta, mapped=False):
        out = super()._from_native(arrays, meta, mapped)
        try:
            ngram_matrix = CompressedMatrix.from_arrays(arrays, meta["vectors"]["ngrams"],
                                                        "ngram_")
            kept = np.asarray(arrays["ngram_buckets"], dtype=np.int64)
        except KeyError as exc:
            raise FormatError(f"compressed FastText vectors without {exc}") from None
        if len(kept) != len(ngram_matrix) or np.any(np.diff(kept) <= 0) or \
                (len(kept) and (kept[0] < 0 or kept[-1] >= out.bucket)):
            raise FormatError("compressed FastText vectors: the kept buckets do not fit the "
                              "n-gram codes")
        out.ngram_matrix, out.ngram_buckets = ngram_matrix, kept
        return out


def _used_buckets(kv, keep_ngrams):
    """The buckets the vocabulary's words use, ascending: all of them, or
    the ``keep_ngrams`` that the words use most often."""
    _, buckets = kv.subword_buckets(list(kv.index_to_key))
    counts = np.bincount(buckets, minlength=kv.bucket) if len(buckets) else \
        np.zeros(kv.bucket, dtype=np.int64)
    used = np.flatnonzero(counts)
    if keep_ngrams is not None:
        if int(keep_ngrams) < 1:
            raise ValueError(f"keep_ngrams must be at least 1, got {keep_ngrams}")
        if len(used) > keep_ngrams:
            order = np.argsort(-counts[used], kind="stable")[:int(keep_ngrams)]
            used = np.sort(used[order])
    return used.astype(np.int64)
