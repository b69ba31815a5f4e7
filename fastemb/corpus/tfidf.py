"""TF-IDF weights and the
document-term matrix (``scipy.sparse``, an optional dependency)."""
import numpy as np

from fastemb.corpus.encode import encode_documents, vocabulary_index

__all__ = ["idf_weights", "document_term_matrix"]


def idf_weights(ids, offsets, n_words):
    """Smoothed inverse document frequency, ``ln((1 + n) / (1 + df)) + 1``
    (scikit-learn's ``smooth_idf``), of every vocabulary word.

    Parameters
    ----------
    ids, offsets : ndarray
        From :func:`encode_documents`.
    n_words : int
        Vocabulary size.

    Returns
    -------
    ndarray of float64, shape (n_words,)
    """
    n_documents = len(offsets) - 1
    doc_of = np.repeat(np.arange(n_documents), np.diff(offsets))
    # a word counts once per document it occurs in
    pairs = np.unique(doc_of.astype(np.int64) * n_words + ids)
    df = np.bincount(pairs % n_words, minlength=n_words)
    return np.log((1.0 + n_documents) / (1.0 + df)) + 1.0


def document_term_matrix(documents, vocabulary, weighting="count", idf=None):
    """Sparse document-term matrix over a vocabulary.

    Parameters
    ----------
    documents : iterable of list of str
    vocabulary : KeyedVectors, dict of str to int, or list of str
        Column ``j`` is word ``j`` of the vocabulary.
    weighting : {'count', 'tfidf'}
        Raw term counts, or counts times :func:`idf_weights` with each row
        scaled to unit length (scikit-learn's ``TfidfVectorizer`` default).
    idf : ndarray, optional
        IDF weights to use (e.g. fitted on other documents); default: from
        these documents.

    Returns
    -------
    scipy.sparse.csr_matrix of shape (n_documents, n_words)
    """
    try:
        from scipy import sparse
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError("document_term_matrix needs scipy: pip install 'fastemb[sparse]'") \
            from None
    if weighting not in ("count", "tfidf"):
        raise ValueError(f"weighting must be 'count' or 'tfidf', got {weighting!r}")
    n_words = len(vocabulary_index(vocabulary))
    ids, offsets = encode_documents(documents, vocabulary)
    n_documents = len(offsets) - 1
    rows = np.repeat(np.arange(n_documents), np.diff(offsets))
    matrix = sparse.csr_matrix((np.ones(len(ids)), (rows, ids)),
                               shape=(n_documents, n_words))
    matrix.sum_duplicates()
    if weighting == "tfidf":
        idf = idf_weights(ids, offsets, n_words) if idf is None else np.asarray(idf)
        if idf.shape != (n_words,):
            raise ValueError(f"idf has shape {idf.shape}, expected ({n_words},)")
        matrix = matrix @ sparse.diags(idf)
        norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        matrix = sparse.diags(1.0 / norms) @ matrix
    return matrix.tocsr()
