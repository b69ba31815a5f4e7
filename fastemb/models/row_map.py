"""Where a classifier's input rows are stored: fastText's row ids (words,
then every bucket) mapped to the rows a model keeps.

A model trained here keeps only the buckets its training lines used; the
others read one zero row. A pruned model (``quantize(cutoff=...)``, or a
``.ftz`` fastText wrote) keeps the buckets its dictionary lists, and the
others are left out of a line altogether, as fastText leaves them out.
"""
import numpy as np

from fastemb._tokens import LineEncoder

__all__ = ["map_rows", "drop_unstored", "bucket_map", "line_encoder"]


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
    encoded.rows, encoded.row_offsets = _without_missing(encoded.rows, encoded.row_offsets)
    return encoded


def _without_missing(rows, offsets):
    """``(rows, offsets)`` of lists of rows with the rows marked -1 left
    out."""
    keep = rows >= 0
    if keep.all():
        return rows, offsets
    n = len(offsets) - 1
    owner = np.repeat(np.arange(n), np.diff(offsets))
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(owner[keep], minlength=n), out=offsets[1:])
    return rows[keep], offsets


def line_encoder(vocabulary, bucket_rows, missing):
    """A :class:`~fastemb._tokens.LineEncoder` of ``vocabulary`` whose rows
    are the stored ones: each word's list mapped once here, the buckets of
    unknown words and word n-grams mapped as lines are read.

    Parameters
    ----------
    vocabulary : LabelledVocabulary
    bucket_rows : ndarray of int32 or None
        As :class:`~fastemb.models.supervised.SupervisedModel` keeps it.
    missing : int
        The row an unstored bucket reads, -1 to leave it out (pruned).
    """
    offsets, rows = vocabulary.word_subwords()
    if bucket_rows is not None:
        rows, offsets = _without_missing(
            map_rows(bucket_rows, rows, vocabulary.n_words, missing), offsets)
    encode = [word.encode("utf-8", "surrogateescape") for word in vocabulary.words]
    labels = [label.encode("utf-8", "surrogateescape") for label in vocabulary.labels]
    return LineEncoder(encode, labels, vocabulary.prefix_bytes, offsets, rows,
                       vocabulary.n_words, vocabulary.minn, vocabulary.maxn,
                       vocabulary.word_ngrams, vocabulary.bucket, bucket_rows, missing)
