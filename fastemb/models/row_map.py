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
    keep = encoded.rows >= 0
    if keep.all():
        return encoded
    document = np.repeat(np.arange(len(encoded)), np.diff(encoded.row_offsets))
    counts = np.bincount(document[keep], minlength=len(encoded))
    encoded.rows = encoded.rows[keep]
    encoded.row_offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum(counts, out=encoded.row_offsets[1:])
    return encoded


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
        rows = map_rows(bucket_rows, rows, vocabulary.n_words, missing)
        keep = rows >= 0
        if not keep.all():
            word = np.repeat(np.arange(vocabulary.n_words), np.diff(offsets))
            offsets = np.zeros(vocabulary.n_words + 1, dtype=np.int64)
            np.cumsum(np.bincount(word[keep], minlength=vocabulary.n_words), out=offsets[1:])
            rows = rows[keep]
    encode = [word.encode("utf-8", "surrogateescape") for word in vocabulary.words]
    labels = [label.encode("utf-8", "surrogateescape") for label in vocabulary.labels]
    return LineEncoder(encode, labels, vocabulary.prefix_bytes, offsets, rows,
                       vocabulary.n_words, vocabulary.minn, vocabulary.maxn,
                       vocabulary.word_ngrams, vocabulary.bucket, bucket_rows, missing)
