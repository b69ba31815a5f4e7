"""The queries of :class:`~fastemb.vectors.keyedvectors.KeyedVectors`, as
functions of the vectors they ask (``KeyedVectors`` takes them as its
methods): nearest neighbours of one query or of thousands at once, the
multiplicative analogy objective, the odd one out, ranks and centrality.

Each query term is turned into a vector by ``kv._term_vector``, which
``FastTextKeyedVectors`` overrides to answer for words unseen in training.
"""
import logging

import numpy as np

from fastemb import registry
from fastemb.errors import EmptyQueryError
from fastemb.legacy import warn_renamed
from fastemb.vectors.search import exact_top_k

__all__ = ["unit_rows", "as_list", "weighted_query", "top_keys", "most_similar",
           "most_similar_batch", "most_similar_cosmul", "doesnt_match", "closer_than", "rank",
           "rank_by_centrality", "n_similarity", "distances", "relative_cosine_similarity",
           "most_similar_to_given", "similar_by_key", "similar_by_vector", "words_closer_than",
           "get_mean_vector", "vectors_for_all", "batch_queries", "row_norms"]

# the log name of KeyedVectors, whose methods these are
logger = logging.getLogger("fastemb.vectors.keyedvectors")


def unit_rows(matrix):
    """Rows scaled to unit length (zero rows stay zero), as float32."""
    norms = np.linalg.norm(matrix, axis=-1, keepdims=True)
    norms[norms == 0] = 1.0
    return (matrix / norms).astype(np.float32, copy=False)


def as_list(items):
    """Query terms as a list: one key or vector alone becomes a list of one;
    a matrix is a list of its rows (gensim's reading of both)."""
    if items is None:
        return []
    if isinstance(items, np.ndarray) and items.ndim == 2:
        return list(items)
    if isinstance(items, (str, np.ndarray)) or np.isscalar(items):
        return [items]
    return list(items)


def weighted_query(kv, positive, negative):
    """Unit mean of the (weighted) unit vectors of the query terms, and the
    rows of keys among them, which are excluded from results."""
    terms = [(item, 1.0) for item in as_list(positive)]
    terms += [(item, -1.0) for item in as_list(negative)]
    if not terms:
        raise ValueError("cannot compute similarity with no input: give positive or negative")
    parts, exclude = [], set()
    for item, weight in terms:
        if isinstance(item, tuple) and len(item) == 2 and not isinstance(item[0], np.ndarray):
            item, weight = item[0], weight * item[1]
        if isinstance(item, np.ndarray):
            if item.shape != (kv.vector_size,):
                raise ValueError(f"query vector has shape {item.shape}, "
                                 f"expected ({kv.vector_size},)")
            parts.append(weight * item.astype(np.float32))
        else:
            vector, index = kv._term_vector(item)
            if index is not None:
                exclude.add(index)
            parts.append(weight * vector)
    return unit_rows(np.mean(parts, axis=0)), exclude


def top_keys(kv, scores, topn, exclude, offset=0):
    count = min(topn + len(exclude), len(scores))
    if count <= 0:
        return []
    best = np.argpartition(-scores, count - 1)[:count]
    best = best[np.argsort(-scores[best], kind="stable")]
    result = [(kv.index_to_key[i + offset], float(scores[i])) for i in best
              if i + offset not in exclude]
    return result[:topn]


def relative_cosine_similarity(kv, wa, wb, topn=10):
    """Similarity of ``wa`` and ``wb`` over the summed similarities of
    ``wa``'s ``topn`` nearest keys (Leeuwenberg et al. 2016; above
    ``1/topn`` suggests synonyms).

    Raises
    ------
    ValueError
        ``wa`` has no neighbours.
    """
    neighbours = kv.similar_by_key(wa, topn)
    if not neighbours:
        raise ValueError(f"{wa!r} has no neighbours to compare with")
    return kv.similarity(wa, wb) / sum(score for _, score in neighbours)


def most_similar_to_given(kv, key1, keys_list):
    """The key of ``keys_list`` most similar to ``key1``."""
    return keys_list[int(np.argmax([kv.similarity(key1, key) for key in keys_list]))]


def rank_by_centrality(kv, words, use_norm=True):
    """Known ``words`` ordered by similarity to their centroid.

    Returns
    -------
    list of (float, str)
        Most central first.

    Raises
    ------
    ValueError
        No known word.
    """
    known = [w for w in words if w in kv]
    if len(known) != len(words):
        logger.warning("rank_by_centrality ignores unknown words: %s",
                       sorted(set(words) - set(known), key=str))
    if not known:
        raise ValueError("rank_by_centrality: none of the given words is known")
    vectors = np.vstack([kv.get_vector(w, norm=use_norm) for w in known])
    centre = unit_rows(vectors.mean(axis=0))
    return sorted(zip((vectors @ centre).tolist(), known), reverse=True)


def n_similarity(kv, ws1, ws2):
    """Cosine similarity of the means of two lists of keys.

    Raises
    ------
    ValueError
        If a list is empty.
    """
    if not len(ws1) or not len(ws2):
        raise EmptyQueryError("n_similarity needs two non-empty lists of keys")
    mean1 = kv[list(ws1)].mean(axis=0)
    mean2 = kv[list(ws2)].mean(axis=0)
    return float(np.dot(unit_rows(mean1), unit_rows(mean2)))


def distances(kv, word_or_vector, other_words=()):
    """Cosine distances from a key or vector to ``other_words`` (default: all)."""
    vector = (kv.get_vector(word_or_vector) if isinstance(word_or_vector, str)
              else np.asarray(word_or_vector))
    others = kv[list(other_words)] if len(other_words) else kv.vectors
    return 1.0 - kv.cosine_similarities(vector, others)


def most_similar(kv, positive=None, negative=None, topn=10, clip_start=0, clip_end=None,
                 restrict_vocab=None, indexer=None):
    """Keys most similar to the mean of ``positive`` minus ``negative``.

    Parameters
    ----------
    positive, negative : key, vector, (key, weight), or a list of them
    topn : int or None
        Number of results; None returns the similarity to every key.
    clip_start, clip_end : int
        Search rows ``[clip_start, clip_end)`` only.
    restrict_vocab : int, optional
        Search the first (most frequent) ``restrict_vocab`` keys only.
    indexer : object, optional
        Approximate-neighbour index with ``most_similar(vector, topn)``.

    Returns
    -------
    list of (str, float), or ndarray when ``topn`` is None
    """
    if isinstance(topn, int) and topn < 1:
        return []
    query, exclude = weighted_query(kv, positive, negative)
    if indexer is not None and isinstance(topn, int):
        return indexer.most_similar(query, topn)
    clip_end = clip_end if clip_end is not None else len(kv)
    if restrict_vocab is not None:
        clip_end = min(clip_end, restrict_vocab)
    if topn is None:
        return kv.cosine_scores(query, clip_start, clip_end)
    scores = kv.ranking_scores(query, clip_start, clip_end, topn + len(exclude))
    return top_keys(kv, scores, topn, exclude, clip_start)


def similar_by_key(kv, key, topn=10, restrict_vocab=None):
    """Keys most similar to ``key``."""
    return kv.most_similar(positive=[key], topn=topn, restrict_vocab=restrict_vocab)


def similar_by_vector(kv, vector, topn=10, restrict_vocab=None):
    """Keys most similar to ``vector``."""
    return kv.most_similar(positive=[np.asarray(vector)], topn=topn,
                             restrict_vocab=restrict_vocab)


def most_similar_batch(kv, queries, topn=10, restrict_vocab=None, indexer=None,
                       workers=None):
    """:meth:`most_similar` of many queries at once, as blocks of matrix
    products: one answer list a query, far faster than a loop.

    Parameters
    ----------
    queries : sequence of keys, or ndarray of shape (n, vector_size)
        A key is excluded from its own answer, as in :meth:`most_similar`.
    topn : int
    restrict_vocab : int, optional
        Search the first (most frequent) ``restrict_vocab`` keys only.
    indexer : object, optional
        An approximate index with ``most_similar_batch(vectors, topn)``
        (such as :class:`fastemb.vectors.ann.HnswIndex`).
    workers : int, optional
        Threads of exact search's selection step (default: every core;
        the matrix products use BLAS's own threads).

    Returns
    -------
    list of list of (str, float)

    Raises
    ------
    UnknownKeyError
        A query key has no vector (FastText: not even from its n-grams).
    """
    vectors, rows = batch_queries(kv, queries)
    if indexer is not None:
        return indexer.most_similar_batch(vectors, topn, exclude=rows)
    end = len(kv) if restrict_vocab is None else min(restrict_vocab, len(kv))
    kv.fill_norms()
    inverse_norms = (1.0 / np.maximum(kv.norms[:end], 1e-30)).astype(np.float32)
    skip = np.array([-1 if row is None else row for row in rows], dtype=np.int64)
    keys = np.ascontiguousarray(kv.vectors[:end], dtype=np.float32)
    best, values = exact_top_k(vectors, keys, inverse_norms, max(min(topn, end), 1), skip,
                               workers=workers)
    return [[(kv.index_to_key[i], float(v)) for i, v in zip(ids, vals) if i >= 0][:topn]
            for ids, vals in zip(best, values)]


def batch_queries(kv, queries):
    """The unit vectors of a batch of queries (keys or vectors) and each
    one's own row (None for a vector), which its answer leaves out.

    Returns
    -------
    vectors : ndarray of float32, shape (n, vector_size)
    rows : list of int or None
    """
    if isinstance(queries, np.ndarray):
        vectors = np.atleast_2d(queries).astype(np.float32)
        if vectors.shape[1] != kv.vector_size:
            raise ValueError(f"query vectors have {vectors.shape[1]} dimensions, expected "
                             f"{kv.vector_size}")
        rows = [None] * len(vectors)
    else:
        # through _term_vector, so FastText answers for unseen words too
        terms = [kv._term_vector(key) for key in queries]
        rows = [row for _, row in terms]
        vectors = np.vstack([vector for vector, _ in terms]) if terms else \
            np.zeros((0, kv.vector_size), dtype=np.float32)
    return unit_rows(vectors), rows


def most_similar_cosmul(kv, positive=None, negative=None, topn=10, restrict_vocab=None):
    """Analogy search with the multiplicative objective of Levy & Goldberg
    (2014): maximise the product of shifted cosines to ``positive`` over
    the product to ``negative``.

    Returns
    -------
    list of (str, float), or ndarray when ``topn`` is None
    """
    positive, negative = as_list(positive), as_list(negative)
    if not positive and not negative:
        raise ValueError("cannot compute similarity with no input: give positive or negative")
    exclude = set()

    def shifted(term):
        if isinstance(term, np.ndarray):
            vector = unit_rows(term.astype(np.float32))
        else:
            vector, index = kv._term_vector(term)
            if index is not None:
                exclude.add(index)
        return (1.0 + kv.cosine_scores(vector, 0, restrict_vocab)) / 2.0

    numerator = np.prod([shifted(t) for t in positive], axis=0) if positive else 1.0
    denominator = np.prod([shifted(t) for t in negative], axis=0) if negative else 1.0
    scores = numerator / (denominator + 1e-6)
    if topn is None:
        return scores
    return top_keys(kv, scores, topn, exclude)


def doesnt_match(kv, words):
    """The key furthest from the mean of ``words`` (keys without a vector
    ignored; FastText builds one for unseen words from their n-grams).

    Raises
    ------
    ValueError
        If no key of ``words`` has a vector.
    """
    known = [w for w in words if w in kv]
    if len(known) != len(words):
        logger.warning("doesnt_match ignores unknown keys: %s",
                       [w for w in words if w not in kv])
    if not known:
        raise ValueError("doesnt_match: none of the given keys is in the vocabulary")
    vectors = np.vstack([kv.get_vector(w, norm=True) for w in known])
    mean = unit_rows(vectors.mean(axis=0))
    return known[int(np.argmin(vectors @ mean))]


def rank(kv, key1, key2):
    """Rank of ``key2`` among the neighbours of ``key1`` (1 is nearest)."""
    return len(kv.closer_than(key1, key2)) + 1


def words_closer_than(kv, word1, word2):
    """gensim 3's name of :meth:`closer_than` (deprecated)."""
    warn_renamed(".words_closer_than()", ".closer_than()")
    return kv.closer_than(word1, word2)


def closer_than(kv, key1, key2):
    """Keys of the vocabulary closer to ``key1`` than ``key2`` is (either
    may be a FastText word unseen in training)."""
    vector, row = kv._term_vector(key1)
    scores = kv.cosine_scores(vector)
    # a key of the vocabulary is scored in the same product, so it is not
    # closer than itself by rounding
    threshold = scores[kv.key_to_index[key2]] if key2 in kv.key_to_index else \
        kv.similarity(key1, key2)
    closer = np.flatnonzero(scores > threshold)
    return [kv.index_to_key[i] for i in closer if i != row]


def get_mean_vector(kv, keys, weights=None, pre_normalize=True, post_normalize=False,
                    ignore_missing=True):
    """Weighted mean of the vectors of ``keys``.

    Parameters
    ----------
    keys : list of (key or ndarray)
        Keys, row numbers or vectors (vectors are used as they are).
    weights : list or ndarray of float, optional
        One per key; the mean divides by the sum of their absolute values.
    pre_normalize : bool
        Average the keys' unit vectors instead of their raw vectors.
    post_normalize : bool
        Scale the mean to unit length.
    ignore_missing : bool
        Skip unknown keys instead of raising.

    Returns
    -------
    ndarray of shape (vector_size,)

    Raises
    ------
    ValueError
        No keys, or weights of another length.
    KeyError
        Unknown key with ``ignore_missing=False``.
    """
    if len(keys) == 0:
        raise ValueError("cannot compute a mean vector of no keys")
    weights = (np.ones(len(keys), dtype=np.float32) if weights is None
               else np.asarray(weights, dtype=np.float32))
    if weights.shape != (len(keys),):
        raise ValueError(f"{len(keys)} keys but {weights.shape[0]} weights")
    mean = np.zeros(kv.vector_size, dtype=np.float32)
    total = 0.0
    for key, weight in zip(keys, weights):
        if isinstance(key, np.ndarray):
            vector = key
        elif key in kv:
            vector = kv.get_vector(key, norm=pre_normalize)
        elif not ignore_missing:
            kv.get_index(key)  # raises with suggestions
        else:
            continue
        mean += weight * vector
        total += abs(weight)
    if total > 0:
        mean /= total
    if post_normalize:
        mean = unit_rows(mean)
    return mean


def vectors_for_all(kv, keys, allow_inference=True, copy_vecattrs=False):
    """New ``KeyedVectors`` holding the vectors of ``keys`` (deduplicated,
    in the given order; unknown keys are left out).

    Parameters
    ----------
    keys : iterable of keys
    allow_inference : bool
        Subword models: include unseen words, answered from their
        n-grams. Plain vectors have nothing to infer.
    copy_vecattrs : bool
        Copy the keys' attributes; otherwise counts are made up in
        descending order, as for a file without counts.

    Returns
    -------
    KeyedVectors
    """
    chosen, seen = [], set()
    known = kv if allow_inference else kv.key_to_index
    for key in keys:
        if key not in seen:
            seen.add(key)
            if key in known:
                chosen.append(key)
    vectors = (np.vstack([kv[key] for key in chosen]) if chosen
               else np.zeros((0, kv.vector_size), dtype=kv.vectors.dtype))
    result = registry.class_named("KeyedVectors").from_arrays(chosen, vectors,
                                      np.arange(len(chosen), 0, -1, dtype=np.int64))
    if copy_vecattrs:
        # keys answered by inference (subword models) have no attributes to copy
        present = [i for i, key in enumerate(chosen) if key in kv.key_to_index]
        rows = [kv.key_to_index[chosen[i]] for i in present]
        for attr, values in kv.expandos.items():
            column = result.expandos.get(attr)
            column = (np.zeros(len(chosen), dtype=values.dtype) if column is None
                      else column.astype(values.dtype))
            column[present] = values[rows]
            result.expandos[attr] = column
    return result


def row_norms(vectors):
    """Each row's length, as float32; a zero row counts as length 1.

    Parameters
    ----------
    vectors : ndarray of shape (n, dim)

    Returns
    -------
    ndarray of float32, shape (n,)
    """
    # einsum avoids a squared copy of the whole matrix
    norms = np.sqrt(np.einsum("ij,ij->i", vectors, vectors)).astype(np.float32)
    norms[norms == 0] = 1.0
    return norms
