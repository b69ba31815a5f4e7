"""Product quantization of a matrix (FastText.zip, Joulin et al. 2016), in
fastText's layout so that a classifier's ``.ftz`` files go both ways; the
compressed vectors (:mod:`fastemb.vectors.compressed`) use it too.

A matrix of ``dim`` columns is cut into sub-vectors of ``dsub`` columns (the
last may be shorter); each sub-vector is replaced by the index of its
nearest of 256 centroids, k-means of that sub-vector over the rows (at most
65,536 of them, drawn at random, 25 iterations, as fastText). With ``qnorm``
the rows are first divided by their norms, and the norms quantized the same
way (one 1-d sub-vector). A row is decoded as its centroids times its norm.
"""
import functools

import numpy as np

from fastemb._quantize import assign_codes, kmeans
from fastemb.io.fasttext_bin import KSUB, QuantizedRecord
from fastemb.parallel import run_parallel

__all__ = ["QuantizedMatrix", "MAX_POINTS", "ITERATIONS"]

#: rows k-means sees for each sub-vector (fastText: 256 a centroid)
MAX_POINTS = 256 * KSUB
ITERATIONS = 25
_SEED = 1234


class _Quantizer:
    """The centroids of every sub-vector of ``dim`` columns."""

    def __init__(self, dim, dsub, centroids):
        self.dim = int(dim)
        self.dsub = int(dsub)
        self.nsub = (self.dim + self.dsub - 1) // self.dsub
        self.lastdsub = self.dim - (self.nsub - 1) * self.dsub
        self.centroids = np.ascontiguousarray(centroids, dtype=np.float32)
        self._padded = None

    def padded(self):
        """Every sub-vector's centroids padded to ``dsub`` columns, shape
        (nsub, 256, dsub): decoding and query tables become single numpy
        operations. Made on first use, after training has set the centroids."""
        if self._padded is None:
            padded = np.zeros((self.nsub, KSUB, self.dsub), dtype=np.float32)
            for m in range(self.nsub):
                padded[m, :, :self.width(m)] = self.block(m)
            self._padded = padded
        return self._padded

    def width(self, m):
        return self.lastdsub if m == self.nsub - 1 else self.dsub

    def block(self, m):
        """Sub-vector ``m``'s centroids, shape (256, width) (fastText lays
        them out one sub-vector after another)."""
        start = m * KSUB * self.dsub
        return self.centroids[start:start + KSUB * self.width(m)].reshape(KSUB, self.width(m))

    def record(self):
        return self.dim, self.nsub, self.dsub, self.lastdsub, self.centroids

    @classmethod
    def from_record(cls, record):
        dim, nsub, dsub, lastdsub, centroids = record
        return cls(dim, dsub, centroids)

    @classmethod
    def train(cls, matrix, dsub, threads=1):
        """Centroids and codes of ``matrix``: ``(quantizer, codes)``.

        Raises
        ------
        ValueError
            Fewer than 256 rows.
        """
        n, dim = matrix.shape
        if n < KSUB:
            raise ValueError(f"Matrix too small for quantization, must have at least {KSUB} "
                             f"rows (it has {n})")
        quantizer = cls(dim, dsub, np.zeros(dim * KSUB, dtype=np.float32))
        codes = np.zeros((n, quantizer.nsub), dtype=np.uint8)
        rng = np.random.default_rng(_SEED)
        samples = [rng.permutation(n)[:MAX_POINTS] if n > MAX_POINTS else None
                   for _ in range(quantizer.nsub)]

        def fit(m):
            lo = m * dsub
            part = np.ascontiguousarray(matrix[:, lo:lo + quantizer.width(m)], dtype=np.float32)
            points = part if samples[m] is None else part[samples[m]]
            centroids = kmeans(points, KSUB, ITERATIONS, _SEED + m)
            quantizer.block(m)[:] = centroids
            codes[:, m] = assign_codes(part, centroids)

        run_parallel([functools.partial(fit, m) for m in range(quantizer.nsub)], threads)
        return quantizer, codes

    def decode(self, codes):
        codes = np.asarray(codes)
        rows = self.padded()[np.arange(self.nsub), codes]  # (n, nsub, dsub)
        return np.ascontiguousarray(rows.reshape(len(codes), -1)[:, :self.dim])


class QuantizedMatrix:
    """A product-quantized matrix.

    Attributes
    ----------
    codes : ndarray of uint8, shape (rows, sub-vectors)
    quantizer : the sub-vectors' centroids
    norm_codes : ndarray of uint8 or None
    norm_quantizer : the norms' centroids, or None
    """

    def __init__(self, codes, quantizer, norm_codes=None, norm_quantizer=None):
        self.codes = codes
        self.quantizer = quantizer
        self.norm_codes = norm_codes
        self.norm_quantizer = norm_quantizer

    @property
    def shape(self):
        return len(self.codes), self.quantizer.dim

    @classmethod
    def quantize(cls, matrix, dsub=2, qnorm=False, threads=1):
        """Quantize a dense matrix.

        Raises
        ------
        ValueError
            Fewer than 256 rows, or ``dsub`` below 1.
        """
        if int(dsub) < 1:
            raise ValueError(f"dsub must be at least 1, got {dsub!r}")
        matrix = np.asarray(matrix, dtype=np.float32)
        norm_codes = norm_quantizer = None
        if qnorm:
            norms = np.linalg.norm(matrix, axis=1).astype(np.float32)
            safe = np.where(norms > 0, norms, 1.0).astype(np.float32)
            matrix = matrix / safe[:, None]
            norm_quantizer, norm_codes = _Quantizer.train(norms[:, None], 1)
            norm_codes = norm_codes[:, 0].copy()
        quantizer, codes = _Quantizer.train(matrix, int(dsub), threads)
        return cls(codes, quantizer, norm_codes, norm_quantizer)

    def dense(self):
        """The decoded rows (centroids times norms), float32."""
        rows = self.quantizer.decode(self.codes)
        if self.norm_codes is not None:
            rows *= self.norm_quantizer.centroids[self.norm_codes][:, None]
        return rows

    def record(self):
        """The file record (:class:`fastemb.io.fasttext_bin.QuantizedRecord`)."""
        return QuantizedRecord(len(self.codes), self.quantizer.dim, self.codes,
                               self.quantizer.record(), self.norm_codes,
                               None if self.norm_quantizer is None
                               else self.norm_quantizer.record())

    @classmethod
    def from_record(cls, record):
        return cls(record.codes, _Quantizer.from_record(record.quantizer), record.norm_codes,
                   None if record.norm_quantizer is None
                   else _Quantizer.from_record(record.norm_quantizer))

    def nbytes(self):
        """Bytes the codes and centroids take."""
        total = self.codes.nbytes + self.quantizer.centroids.nbytes
        if self.norm_codes is not None:
            total += self.norm_codes.nbytes + self.norm_quantizer.centroids.nbytes
        return total
