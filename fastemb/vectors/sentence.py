"""Sentence and document vectors from any word vectors: plain mean, SIF
(Arora, Liang & Ma 2017) and TF-IDF-weighted mean, with scikit-learn's
``fit``/``transform`` so the statistics come from training texts only."""
import numpy as np

from fastemb.corpus.encode import encode_documents, vocabulary_index
from fastemb.corpus.tfidf import idf_weights

__all__ = ["SentenceVectors"]

#: Token rows averaged at once (bounds the temporary weighted copy).
CHUNK_TOKENS = 1 << 16


class SentenceVectors:
    """Embed documents as weighted means of their word vectors.

    Parameters
    ----------
    wv : KeyedVectors
        Any word vectors (Word2Vec, FastText, GloVe, loaded files).
    method : {'sif', 'mean', 'tfidf'}
        ``'sif'``: each word weighted ``a / (a + p(w))``, then the first
        ``n_components`` principal directions of the training texts' vectors
        removed. ``'mean'``: plain mean. ``'tfidf'``: mean weighted by the
        word's TF-IDF (smoothed IDF of the training texts).
    a : float
        SIF's smoothing constant (the paper's 1e-3).
    n_components : int
        SIF: principal directions to remove (0: none).
    word_counts : {'fit', 'model'} or dict of str to int
        SIF's word frequencies ``p(w)``: counted in the texts given to
        :meth:`fit`, the counts stored with ``wv`` (a trained model's), or
        given directly.
    unseen : {'auto', 'skip', 'ngrams'}
        Words outside ``wv``'s vocabulary: skipped, or built from character
        n-grams (FastText vectors only); ``'auto'`` uses n-grams when ``wv``
        has them.
    normalize : bool
        Scale every non-empty vector to unit length (as scikit-learn's
        ``TfidfVectorizer`` does by default). SIF's weights shorten vectors
        full of frequent words, so without it a length-sensitive model
        downstream (a regularised linear classifier) sees SIF vectors at a
        smaller scale than plain means.

    Attributes
    ----------
    components_ : ndarray of shape (n_components, vector_size)
        SIF's removed directions (after :meth:`fit`).
    idf_ : ndarray
        TF-IDF's weights (after :meth:`fit`).
    n_empty_ : int
        Documents of the last :meth:`transform` without a single usable
        word; their vectors are zero.
    """

    def __init__(self, wv, method="sif", a=1e-3, n_components=1, word_counts="fit",
                 unseen="auto", normalize=False):
        if method not in ("sif", "mean", "tfidf"):
            raise ValueError(f"method must be 'sif', 'mean' or 'tfidf', got {method!r}")
        if unseen not in ("auto", "skip", "ngrams"):
            raise ValueError(f"unseen must be 'auto', 'skip' or 'ngrams', got {unseen!r}")
        if a <= 0:
            raise ValueError(f"a must be > 0, got {a!r}")
        if n_components < 0:
            raise ValueError(f"n_components must be >= 0, got {n_components!r}")
        has_ngrams = hasattr(wv, "ngram_rows")
        if unseen == "ngrams" and not has_ngrams:
            raise ValueError("unseen='ngrams' needs FastText vectors")
        self.wv = wv
        self.method = method
        self.a = a
        self.n_components = n_components
        self.word_counts = word_counts
        self.normalize = normalize
        self.use_ngrams = unseen == "ngrams" or (unseen == "auto" and has_ngrams)
        self.components_ = np.zeros((0, wv.vector_size), dtype=np.float32)
        self.idf_ = None
        self._probability = None
        self.n_empty_ = 0
        self._fitted = method == "mean"

    # ------------------------------------------------------------- encoding
    def _rows(self, documents):
        """Each document's word rows and a matrix holding them: ``wv``'s
        vectors, plus n-gram vectors of unseen words when asked for."""
        if not self.use_ngrams:
            ids, offsets = encode_documents(documents, self.wv)
            return ids, offsets, self.wv.vectors, len(self.wv)
        index = dict(vocabulary_index(self.wv))
        extra = []
        size = len(self.wv)
        documents = [getattr(d, "words", d) for d in documents]
        for words in documents:
            for word in words:
                if word not in index and word in self.wv:
                    index[word] = size + len(extra)
                    extra.append(self.wv.get_vector(word))
        ids, offsets = encode_documents(documents, index)
        matrix = self.wv.vectors
        if extra:
            matrix = np.vstack([matrix, np.asarray(extra, dtype=np.float32)])
        return ids, offsets, matrix, size

    def _weights(self, ids, n_known):
        """Per-token weights for the method (unseen words: SIF weight 1,
        i.e. probability 0; TF-IDF the largest IDF, as a word in no text)."""
        if self.method == "mean":
            return np.ones(len(ids), dtype=np.float64)
        known = ids < n_known
        out = np.empty(len(ids), dtype=np.float64)
        if self.method == "sif":
            probability = self._probability
            out[known] = self.a / (self.a + probability[ids[known]])
            out[~known] = 1.0
        else:
            out[known] = self.idf_[ids[known]]
            out[~known] = self.idf_.max(initial=1.0)
        return out

    def _weighted_means(self, ids, offsets, matrix, weights, normalise_by_weight):
        n_documents = len(offsets) - 1
        out = np.zeros((n_documents, matrix.shape[1]), dtype=np.float64)
        lengths = np.diff(offsets)
        nonempty = np.flatnonzero(lengths)
        # sum the weighted rows of whole documents, a chunk of tokens at a time
        start = 0
        while start < len(nonempty):
            stop = start + 1
            tokens = lengths[nonempty[start]]
            while stop < len(nonempty) and tokens + lengths[nonempty[stop]] <= CHUNK_TOKENS:
                tokens += lengths[nonempty[stop]]
                stop += 1
            docs = nonempty[start:stop]
            lo, hi = offsets[docs[0]], offsets[docs[-1] + 1]
            weighted = matrix[ids[lo:hi]].astype(np.float64) * weights[lo:hi, None]
            out[docs] = np.add.reduceat(weighted, offsets[docs] - lo, axis=0)
            start = stop
        if normalise_by_weight:
            totals = np.add.reduceat(weights, offsets[nonempty], axis=0) if len(nonempty) \
                else np.zeros(0)
            divisor = totals
        else:
            divisor = lengths[nonempty].astype(np.float64)
        out[nonempty] /= divisor[:, None]
        return out

    def _embed(self, documents):
        """Weighted means of the documents, and how many had no usable word."""
        ids, offsets, matrix, n_known = self._rows(documents)
        weights = self._weights(ids, n_known)
        # SIF averages over the words (the paper's 1/|s|); TF-IDF over the weights
        vectors = self._weighted_means(ids, offsets, matrix, weights, self.method == "tfidf")
        return vectors, int(np.count_nonzero(np.diff(offsets) == 0))

    # ------------------------------------------------------------------- API
    def fit(self, documents):
        """Learn the method's statistics from training texts.

        Parameters
        ----------
        documents : iterable of list of str

        Returns
        -------
        SentenceVectors
            ``self``.
        """
        documents = list(documents)
        n_words = len(self.wv)
        if self.method == "sif":
            self._probability = self._word_probability(documents, n_words)
            if self.n_components:
                vectors, _ = self._embed(documents)
                used = vectors[np.any(vectors != 0, axis=1)]
                if len(used) < self.n_components:
                    raise ValueError(f"SIF needs at least {self.n_components} non-empty "
                                     "documents to fit its principal components")
                # the paper's uncentred SVD of the texts' weighted averages
                _, _, vt = np.linalg.svd(used, full_matrices=False)
                self.components_ = vt[:self.n_components].astype(np.float32)
        elif self.method == "tfidf":
            ids, offsets = encode_documents(documents, self.wv)
            self.idf_ = idf_weights(ids, offsets, n_words)
        self._fitted = True
        return self

    def _word_probability(self, documents, n_words):
        if isinstance(self.word_counts, dict):
            index = vocabulary_index(self.wv)
            counts = np.zeros(n_words, dtype=np.float64)
            for word, count in self.word_counts.items():
                if word in index:
                    counts[index[word]] = count
        elif self.word_counts == "model":
            counts = np.asarray(self.wv.counts, dtype=np.float64)
            if counts.shape != (n_words,) or counts.sum() <= 0:
                raise ValueError("these vectors carry no word counts: use word_counts='fit'")
        elif self.word_counts == "fit":
            ids, _ = encode_documents(documents, self.wv)
            counts = np.bincount(ids, minlength=n_words).astype(np.float64)
        else:
            raise ValueError("word_counts must be 'fit', 'model' or a dict")
        total = counts.sum()
        if total <= 0:
            raise ValueError("no word of the texts is in the vocabulary: SIF cannot "
                             "estimate word frequencies")
        return counts / total

    def transform(self, documents):
        """Embed documents.

        Parameters
        ----------
        documents : iterable of list of str

        Returns
        -------
        ndarray of float32, shape (n_documents, vector_size)
            Documents with no usable word are zero vectors (counted in
            ``n_empty_``), never NaN.
        """
        if not self._fitted:
            raise RuntimeError(f"call fit() before transform() for method={self.method!r}")
        vectors, self.n_empty_ = self._embed(documents)
        if self.method == "sif" and len(self.components_):
            components = self.components_.astype(np.float64)
            vectors -= (vectors @ components.T) @ components
        if self.normalize:
            lengths = np.linalg.norm(vectors, axis=1, keepdims=True)
            np.divide(vectors, lengths, out=vectors, where=lengths > 0)
        return vectors.astype(np.float32)

    def fit_transform(self, documents):
        """:meth:`fit` then :meth:`transform` on the same texts."""
        documents = list(documents)
        return self.fit(documents).transform(documents)
