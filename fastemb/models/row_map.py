"""Where a classifier's input rows are stored: fastText's row ids (words,
then every bucket) mapped to the rows a model keeps.

A model trained here keeps only the buckets its training lines used; the
others read one zero row. A pruned model (``quantize(cutoff=...)``, or a
``.ftz`` fastText wrote) keeps the buckets its dictionary lists, and the
others are left out of a line altogether, as fastText leaves them out.
"""
import numpy as np

__all__ = ["map_rows", "drop_unstored", "bucket_map"]


def bucket_map(pairs, bucket):
    """``bucket_rows`` from a pruned dictionary's (bucket, row) pairs."""
    rows = np.full(bucket, -1, dtype=np.int32)
    if len(pairs):
        pairs = np.asarray(pairs, dtype=np.int64)
        if pairs[:, 0].min() < 0 or pairs[:, 0].max() >= bucket:
            raise ValueError(f"a pruned bucket lies outside 0..{bucket - 1}")
        rows[pairs[:, 0]] = pairs[:, 1]
    return rows


def map_rows(bucket_rows, ids, n_words, missing):
    """Row ids as stored rows; an unstored bucket becomes ``missing``."""
    ids = np.asarray(ids)
    out = ids.astype(np.int32, copy=True)
    grams = ids >= n_words
    stored = bucket_rows[ids[grams] - n_words]
    out[grams] = np.where(stored >= 0, stored + n_words, missing)
    return out


def drop_unstored(encoded):
    """Leave the rows marked -1 out of their documents (in place)."""
    keep = encoded.rows >= 0
    if keep.all():
        return encoded
    document = np.repeat(np.arange(len(encoded)), np.diff(encoded.row_offsets))
    counts = np.bincount(document[keep], minlength=len(encoded))
    encoded.rows = encoded.rows[keep]
    encoded.row_offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum(counts, out=encoded.row_offsets[1:])
    return encoded
