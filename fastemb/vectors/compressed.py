"""Compressed vectors that answer every query: ``kv.compress(...)`` gives
:class:`CompressedKeyedVectors`, which keep their rows as codes
(:class:`~fastemb.vectors.codes.CompressedMatrix`: product quantization, a
byte every ``dsub`` values, or int8, a byte a value) and answer ``[]``,
``most_similar``, ``similarity`` and the evaluations from them.

A 300-d row takes 150 bytes with product quantization at ``dsub=2`` instead
of 1,200; a search reads the codes only. The norms of the decoded rows are
kept exactly (4 bytes a row), so a cosine is the decoded rows' own.
Compressed vectors are read-only: ``decompress()`` gives ordinary vectors to
change or train on.
"""
import numpy as np

from fastemb import registry
from fastemb.errors import FormatError
from fastemb.io.fasttext_bin import KSUB
from fastemb.vectors import persistence
from fastemb.vectors.codes import METHODS, CompressedMatrix
from fastemb.vectors.keyedvectors import KeyedVectors
from fastemb.vectors.queries import batch_queries, row_norms

__all__ = ["CompressedKeyedVectors", "METHODS", "compressed_size", "settings_for_size"]


class _DecodedRows:
    """The compressed vectors seen as their matrix: rows are decoded as they
    are indexed (``vectors[i]``, a slice, a list of rows), the whole matrix
    only when something asks for all of it as an array."""

    def __init__(self, owner):
        self._owner = owner

    @property
    def shape(self):
        return len(self._owner.norms), self._owner.vector_size

    dtype = np.dtype(np.float32)
    ndim = 2

    def __len__(self):
        return len(self._owner.norms)

    def __getitem__(self, index):
        columns = None
        if isinstance(index, tuple):
            index, columns = index[0], index[1:]
        n = len(self)
        if isinstance(index, (int, np.integer)):
            if not -n <= index < n:
                raise IndexError(f"row {index} of {n}")
            decoded = self._owner.decode([index % n])[0]
        elif isinstance(index, slice):
            decoded = self._owner.decode(np.arange(*index.indices(n)))
        else:
            rows = np.asarray(index)
            if rows.dtype == bool:
                rows = np.flatnonzero(rows)
            decoded = self._owner.decode(np.where(rows < 0, rows + n, rows))
        return decoded if columns is None else decoded[(Ellipsis, *columns)]

    def __array__(self, dtype=None, copy=None):
        return self._owner.decode(np.arange(len(self))).astype(dtype or np.float32, copy=False)


@registry.register
class CompressedKeyedVectors(KeyedVectors):
    """Keys and their compressed vectors (see the module notes); made by
    :meth:`KeyedVectors.compress` or loaded from a native file.

    Attributes
    ----------
    matrix : CompressedMatrix
        The rows' codes.
    method : {'pq', 'int8'}
    codes : ndarray
        ``matrix.codes``.
    norms : ndarray of float32, shape (rows,)
        The decoded rows' lengths (a zero row counts as 1).
    """

    def __init__(self, vector_size, method="pq"):
        super().__init__(vector_size)
        if method not in METHODS:
            raise ValueError(f"unknown compression {method!r}: choose one of {METHODS}")
        self.matrix = CompressedMatrix(method, vector_size, np.zeros((0, 0), dtype=np.uint8))

    @property
    def method(self):
        return self.matrix.method

    @property
    def codes(self):
        return self.matrix.codes

    # -------------------------------------------------------------- building
    @classmethod
    def from_vectors(cls, kv, method="pq", dsub=2, bits=8, keep_words=None, threads=None):
        """Compress the vectors ``kv`` (see :meth:`KeyedVectors.compress`)."""
        if bits != 8:
            raise ValueError(f"bits={bits!r}: codes are one byte (256 centroids), bits=8")
        keys, rows = _kept(kv, keep_words)
        out = cls._new_for(kv, method)
        out.matrix = CompressedMatrix.compress(np.asarray(kv.vectors, dtype=np.float32)[rows],
                                               method, dsub, threads)
        out._keys_from(kv, keys, rows)
        return out

    @classmethod
    def _new_for(cls, kv, method):
        """An empty instance for compressing ``kv``."""
        return cls(kv.vector_size, method)

    def _keys_from(self, kv, keys, rows):
        self.index_to_key = keys
        self.key_to_index = {key: i for i, key in enumerate(keys)}
        self.next_index = len(keys)
        self.counts = np.asarray(kv.counts)[rows].astype(np.int64)
        self.expandos = {attr: np.asarray(values)[rows] for attr, values in kv.expandos.items()}
        self._vectors = _DecodedRows(self)
        # the decoded rows' own norms, a block at a time
        self.norms = self.matrix.decode_blocks(row_norms)

    # ------------------------------------------------------------- decoding
    def decode(self, rows):
        """The decoded vectors of ``rows`` (an array of row numbers).

        Returns
        -------
        ndarray of float32, shape (len(rows), vector_size)
        """
        return self.matrix.decode(rows)

    def decompress(self):
        """Ordinary vectors (the decoded matrix), to change or train.

        Returns
        -------
        KeyedVectors
        """
        kv = KeyedVectors.from_arrays(list(self.index_to_key), np.asarray(self.vectors),
                                      self.counts)
        kv.expandos = {attr: values.copy() for attr, values in self.expandos.items()}
        return kv

    # -------------------------------------------------------------- queries
    def fill_norms(self, force=False):
        """The norms are kept with the codes: nothing to compute."""

    def cosine_scores(self, queries, start=0, end=None):
        """Cosine similarity of unit-length ``queries`` with rows ``[start,
        end)``, scored from the codes."""
        end = len(self) if end is None else min(end, len(self))
        single = np.ndim(queries) == 1
        queries = np.atleast_2d(np.asarray(queries, dtype=np.float32))
        dots = self.matrix.dots(queries, start, end)
        scores = dots / self.norms[start:end]
        return scores[0] if single else scores

    def ranking_scores(self, query, start, end, count):
        """Cosines for finding the best ``count`` rows of ``[start, end)``:
        product-quantized rows are ranked from 16-bit tables
        (:meth:`CompressedMatrix.approximate_dots`), and only the rows whose
        bounds reach the ``count``-th best lower bound are rescored exactly;
        the others get -inf. The best ``count`` and their cosines are those
        of :meth:`cosine_scores` (to float rounding: the rescored rows are
        decoded and multiplied, not summed from the table)."""
        end = min(end, len(self))
        if self.matrix.method != "pq" or end - start <= 4 * count:
            return self.cosine_scores(query, start, end)
        query = np.asarray(query, dtype=np.float32)
        dots, error = self.matrix.approximate_dots(query, start, end)
        norms = self.norms[start:end].astype(np.float64)
        cosines, slack = dots / norms, error / norms
        lower = cosines - slack
        threshold = np.partition(lower, len(lower) - count)[len(lower) - count]
        candidates = np.flatnonzero(cosines + slack >= threshold)
        scores = np.full(end - start, -np.inf, dtype=np.float32)
        scores[candidates] = self.matrix.decode(candidates + start) @ query / \
            self.norms[start + candidates]
        return scores

    def most_similar_batch(self, queries, topn=10, restrict_vocab=None, indexer=None,
                           workers=None):
        """:meth:`KeyedVectors.most_similar_batch`, scored from the codes."""
        if indexer is not None:
            return super().most_similar_batch(queries, topn, restrict_vocab, indexer, workers)
        vectors, rows = batch_queries(self, queries)
        end = len(self) if restrict_vocab is None else min(restrict_vocab, len(self))
        answers = []
        for first in range(0, len(vectors), 256):
            scores = self.cosine_scores(vectors[first:first + 256], 0, end)
            for offset, row_scores in enumerate(np.atleast_2d(scores)):
                row = rows[first + offset]
                if row is not None and row < end:
                    row_scores[row] = -np.inf
                take = min(topn, end)
                best = np.argpartition(-row_scores, take - 1)[:take] if take else []
                best = sorted(best, key=lambda i: -row_scores[i])
                answers.append([(self.index_to_key[i], float(row_scores[i])) for i in best
                                if np.isfinite(row_scores[i])][:topn])
        return answers

    # --------------------------------------------------------- not allowed
    def _read_only(self, *args, **kwargs):
        raise TypeError("compressed vectors are read-only: call decompress() for vectors "
                        "that can change")

    add_vector = add_vectors = unit_normalize_all = resize_vectors = _read_only
    make_writable = init_sims = _read_only

    @property
    def vectors(self):
        return self._vectors

    @vectors.setter
    def vectors(self, value):
        if "matrix" in self.__dict__:  # built: the codes are the vectors
            self._read_only()
        # KeyedVectors' constructor gives an empty matrix first: the codes
        # replace it

    # ---------------------------------------------------------------- files
    def _arrays(self):
        return {"norms": np.asarray(self.norms, dtype=np.float32), **self.matrix.arrays(),
                **persistence.key_arrays(self)}

    def _meta(self):
        return self.matrix.meta()

    @classmethod
    def _new_from_file(cls, matrix, params):
        """An empty instance for the codes ``matrix`` of a file whose
        vectors' settings are ``params``."""
        return cls(matrix.dim, matrix.method)

    @classmethod
    def _from_native(cls, arrays, meta, mapped=False):
        matrix = CompressedMatrix.from_arrays(arrays, meta.get("vectors", {}))
        keys, index = persistence.native_keys(arrays, mapped)
        norms = arrays["norms"]
        if len(matrix) != len(keys) or len(norms) != len(keys):
            raise FormatError(f"compressed vectors: {len(matrix)} codes and {len(norms)} norms "
                              f"for {len(keys)} keys")
        out = cls._new_from_file(matrix, meta.get("vectors", {}))
        out.matrix, out.norms = matrix, norms
        out.index_to_key = keys
        out.key_to_index = index if index is not None else \
            {key: i for i, key in enumerate(keys)}
        out.next_index = len(keys)
        out.counts = arrays["counts"]
        out._vectors = _DecodedRows(out)
        return persistence.with_key_arrays(out, arrays)


def _kept(kv, keep_words):
    """``(keys, rows)`` the compressed vectors keep: all, the first
    ``keep_words`` (an int: the most frequent, as files are ordered), or
    the keys listed."""
    if keep_words is None:
        return list(kv.index_to_key), np.arange(len(kv))
    if isinstance(keep_words, (int, np.integer)):
        if keep_words < 1:
            raise ValueError(f"keep_words must be at least 1, got {keep_words}")
        n = min(int(keep_words), len(kv))
        return list(kv.index_to_key[:n]), np.arange(n)
    rows = sorted({kv.key_to_index[key] for key in keep_words if key in kv.key_to_index})
    if not rows:
        raise ValueError("none of keep_words has a vector")
    return [kv.index_to_key[i] for i in rows], np.asarray(rows, dtype=np.int64)


#: what a native file adds to its arrays: the header, and the alignment of
#: each array (64 bytes), generously
_FILE_OVERHEAD = 16384
_PER_ARRAY = 64


def compressed_size(kv, method, dsub=2, keep_words=None):
    """Bytes of the native file that ``kv.compress(method, dsub,
    keep_words=keep_words)`` saves, reckoned from the vectors without
    compressing them (an upper bound: header and alignment generously).

    Returns
    -------
    int
    """
    keys, _ = _kept(kv, keep_words)
    n, dim = len(keys), kv.vector_size
    table = 2
    while table < 2 * n:
        table *= 2
    sizes = [sum(len(key.encode("utf-8")) for key in keys), 8 * n, 8 * n, 4 * table, 4 * n]
    sizes += [n * np.asarray(values).itemsize for values in kv.expandos.values()]
    if method == "pq":
        sizes += [n * -(-dim // int(dsub)), dim * KSUB * 4]
    else:
        sizes += [n * dim, 4 * n]
    return _FILE_OVERHEAD + sum(size + _PER_ARRAY for size in sizes)


def settings_for_size(kv, budget, keep_words=None):
    """The most faithful ``(method, dsub)`` whose file fits ``budget``
    bytes: int8, else product quantization with the smallest ``dsub`` that
    fits.

    Raises
    ------
    ValueError
        No setting fits (the message gives the smallest size there is).
    """
    if compressed_size(kv, "int8", keep_words=keep_words) <= budget:
        return "int8", 1
    for dsub in range(2, kv.vector_size + 1):
        if compressed_size(kv, "pq", dsub, keep_words) <= budget:
            return "pq", dsub
    smallest = compressed_size(kv, "pq", kv.vector_size, keep_words)
    raise ValueError(f"no compression fits {budget} bytes: the smallest (pq with dsub "
                     f"{kv.vector_size}, a byte a vector) takes {smallest} bytes, most of it the "
                     "keys; keep fewer words (keep_words, --keep-words)")
