"""A matrix kept as codes, which decodes the rows asked for and scores
queries against all its rows without decoding them.

- ``"pq"``, product quantization (Jégou et al. 2011, as fastText's
  ``quantize``): each row is cut into sub-vectors of ``dsub`` columns and a
  sub-vector kept as the index of the nearest of 256 centroids, one byte.
  Queries are scored by asymmetric distance computation (:mod:`fastemb._adc`):
  a query's dot products with the centroids are computed once, and a row's
  score is then one table entry a sub-vector.
- ``"int8"``: each row scaled to -127..127 and rounded, with its scale.
"""
import functools

import numpy as np

from fastemb._adc import adc_dots, adc_sums_u16, int8_dots
from fastemb.errors import FormatError
from fastemb.io.fasttext_bin import KSUB
from fastemb.parallel import run_parallel
from fastemb.vectors.quantized import QuantizedMatrix, _Quantizer
from fastemb.vectors.search import default_workers

__all__ = ["CompressedMatrix", "METHODS", "BLOCK_ROWS"]

METHODS = ("pq", "int8")
#: rows decoded or scored at a time (bounds the memory of a full pass)
BLOCK_ROWS = 1 << 16
#: fewest rows of one query's ranking pass worth a thread of their own
SPLIT_ROWS = 1 << 14


class CompressedMatrix:
    """Rows kept as codes (see the module notes).

    Attributes
    ----------
    method : {'pq', 'int8'}
    dim : int
    codes : ndarray of uint8 (pq: rows x sub-vectors) or int8 (rows x dim)
    quantizer : pq: the sub-vectors' centroids
    scales : ndarray of float32, shape (rows,)
        int8: each row's scale.
    """

    def __init__(self, method, dim, codes, quantizer=None, scales=None):
        self.method = method
        self.dim = int(dim)
        self.codes = codes
        self.quantizer = quantizer
        self.scales = scales

    def __len__(self):
        return len(self.codes)

    @classmethod
    def compress(cls, matrix, method="pq", dsub=2, threads=None):
        """Codes of ``matrix`` (rows x dim, float).

        Raises
        ------
        ValueError
            An unknown method, ``dsub`` outside 1..dim, or fewer than 256
            rows for product quantization.
        """
        matrix = np.asarray(matrix, dtype=np.float32)
        dim = matrix.shape[1]
        if method not in METHODS:
            raise ValueError(f"unknown compression {method!r}: choose one of {METHODS}")
        if method == "int8":
            peaks = np.abs(matrix).max(axis=1) if len(matrix) else np.zeros(0, np.float32)
            scales = np.where(peaks > 0, peaks / 127.0, 1.0).astype(np.float32)
            return cls(method, dim, np.rint(matrix / scales[:, None]).astype(np.int8),
                       scales=scales)
        if len(matrix) < KSUB:
            raise ValueError(f"product quantization needs at least {KSUB} vectors "
                             f"({len(matrix)} given): use method='int8'")
        if not 1 <= int(dsub) <= dim:
            raise ValueError(f"dsub must be between 1 and the dimension {dim}, got {dsub!r}")
        quantized = QuantizedMatrix.quantize(matrix, int(dsub), False,
                                             threads or default_workers())
        return cls(method, dim, quantized.codes, quantizer=quantized.quantizer)

    def decode(self, rows):
        """The decoded rows ``rows`` (an array of row numbers), float32."""
        rows = np.asarray(rows, dtype=np.int64)
        if self.method == "pq":
            return self.quantizer.decode(self.codes[rows])
        return self.codes[rows].astype(np.float32) * self.scales[rows, None]

    def decode_blocks(self, function):
        """``function`` of each block of decoded rows, concatenated (a full
        pass in bounded memory)."""
        parts = [function(self.decode(np.arange(start, min(start + BLOCK_ROWS, len(self)))))
                 for start in range(0, len(self), BLOCK_ROWS)]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)

    def dots(self, queries, start, end):
        """Dot products of ``queries`` (n x dim, float32, C-ordered) with
        rows ``[start, end)``, from the codes: shape (n, end - start)."""
        out = np.zeros((len(queries), max(end - start, 0)), dtype=np.float32)
        if end <= start:
            return out
        bounds = list(range(start, end, BLOCK_ROWS)) + [end]
        if self.method == "pq":
            kernel = functools.partial(adc_dots, self.codes, self._tables(queries), out)
        else:
            kernel = functools.partial(int8_dots, self.codes, self.scales, queries, out)
        tasks = [functools.partial(kernel, a, b, start) for a, b in zip(bounds[:-1], bounds[1:])]
        # threads pay off past a few blocks of rows (starting them costs about
        # what a block takes)
        run_parallel(tasks, default_workers() if len(tasks) > 2 else 1)
        return out

    def approximate_dots(self, query, start, end):
        """One query's dot products with rows ``[start, end)`` from its
        table rounded to 16-bit integers (product quantization only; see
        :mod:`fastemb._adc`), and a bound on their error: fast enough to rank
        every row, exact enough to know which rows to rescore.

        Parameters
        ----------
        query : ndarray of float32, shape (dim,)
        start, end : int

        Returns
        -------
        dots : ndarray of float64, shape (end - start,)
        error : float
            No dot product is off by more.
        """
        table = self._tables(query[None, :])[0].astype(np.float64)
        by_sub = table.reshape(-1, KSUB)
        lows = by_sub.min(axis=1)
        span = float((by_sub.max(axis=1) - lows).max()) if len(by_sub) else 0.0
        step = span / 65535 if span > 0 else 1.0
        rounded = np.rint((by_sub - lows[:, None]) / step).astype(np.uint16).ravel()
        sums = np.zeros(max(end - start, 0), dtype=np.uint32)
        # one query is a short pass: split it over the cores once it is long
        # enough to pay for starting a thread (some 50 us)
        workers = default_workers()
        rows_each = max(SPLIT_ROWS, -(-(end - start) // workers))
        bounds = list(range(start, end, rows_each)) + [end]
        tasks = [functools.partial(adc_sums_u16, self.codes, rounded, sums, a, b, start)
                 for a, b in zip(bounds[:-1], bounds[1:])]
        run_parallel(tasks, workers)
        # each entry is off by at most half a step; the float32 table itself
        # by a few units in the last place of its entries
        error = len(by_sub) * (step / 2 + 1e-6 * float(np.abs(by_sub).max(initial=0.0)))
        return sums * step + lows.sum(), error

    def _tables(self, queries):
        """Each query's dot products with every centroid, shape (queries,
        sub-vectors * 256)."""
        quantizer = self.quantizer
        parts = np.zeros((len(queries), quantizer.nsub * quantizer.dsub), dtype=np.float32)
        parts[:, :quantizer.dim] = queries
        parts = parts.reshape(len(queries), quantizer.nsub, quantizer.dsub)
        # (nsub, 256, dsub) @ (nsub, dsub, queries) -> (nsub, 256, queries)
        tables = np.matmul(quantizer.padded(), parts.transpose(1, 2, 0)).transpose(2, 0, 1)
        return np.ascontiguousarray(tables.reshape(len(queries), -1), dtype=np.float32)

    # ---------------------------------------------------------------- files
    def arrays(self, prefix=""):
        """The arrays of a native file, names after ``prefix``."""
        arrays = {prefix + "codes": self.codes}
        if self.method == "pq":
            arrays[prefix + "centroids"] = self.quantizer.centroids
        else:
            arrays[prefix + "scales"] = self.scales
        return arrays

    def meta(self):
        """What a native file needs besides the arrays."""
        meta = {"method": self.method, "dim": self.dim}
        if self.method == "pq":
            meta["dsub"] = self.quantizer.dsub
        return meta

    @classmethod
    def from_arrays(cls, arrays, meta, prefix=""):
        """The matrix a native file's arrays and ``meta`` hold.

        Raises
        ------
        FormatError
            Unknown method, or codes, centroids and scales that do not fit.
        """
        method = meta.get("method")
        if method not in METHODS:
            raise FormatError(f"compressed vectors of an unknown method {method!r}")
        dim, codes = int(meta["dim"]), arrays[prefix + "codes"]
        if method == "int8":
            scales = arrays[prefix + "scales"]
            if codes.ndim != 2 or codes.shape[1] != dim or len(scales) != len(codes):
                raise FormatError("compressed vectors: a scale is missing, or the codes "
                                  "are not of the dimension")
            return cls(method, dim, codes, scales=scales)
        quantizer = _Quantizer(dim, int(meta["dsub"]), arrays[prefix + "centroids"])
        if codes.ndim != 2 or quantizer.nsub != codes.shape[1] or \
                len(quantizer.centroids) != dim * KSUB:
            raise FormatError("compressed vectors: the codes do not fit the centroids")
        return cls(method, dim, codes, quantizer=quantizer)
