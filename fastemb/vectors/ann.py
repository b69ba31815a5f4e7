"""Approximate nearest neighbours for :meth:`KeyedVectors.most_similar` on
millions of keys: an HNSW graph (Malkov & Yashunin 2018) built by hnswlib,
an optional dependency (``pip install 'fastemb[ann]'``).

The index answers gensim's indexer protocol, so it plugs into the usual
call::

    index = HnswIndex(kv)
    kv.most_similar("king", indexer=index)
    kv.most_similar_batch(words, indexer=index)

:func:`recall_at` measures how many of the exact top-k it finds.
"""
import numpy as np

__all__ = ["HnswIndex", "recall_at"]


def _hnswlib():
    try:
        import hnswlib
    except ImportError:
        raise ImportError("HnswIndex needs hnswlib: pip install 'fastemb[ann]' (or pip "
                          "install hnswlib)") from None
    return hnswlib


class HnswIndex:
    """An HNSW index of the unit-length vectors of ``kv`` (cosine
    similarity).

    Parameters
    ----------
    kv : KeyedVectors
    m : int
        Links a node keeps (hnswlib's ``M``): more is more accurate, larger
        and slower to build.
    ef_construction : int
        Candidates kept while building.
    ef : int
        Candidates kept while searching (at least ``topn``): the
        recall/speed trade-off at query time.
    threads : int
        Threads that build and search (-1: all cores).
    seed : int
    """

    def __init__(self, kv, m=16, ef_construction=200, ef=100, threads=-1, seed=0):
        hnswlib = _hnswlib()
        self.kv = kv
        self.ef = int(ef)
        self.threads = int(threads)
        self.index = hnswlib.Index(space="cosine", dim=kv.vector_size)
        self.index.init_index(max_elements=max(len(kv), 1), M=int(m),
                              ef_construction=int(ef_construction), random_seed=int(seed))
        self.index.add_items(np.asarray(kv.vectors, dtype=np.float32),
                             np.arange(len(kv)), num_threads=self.threads)

    def most_similar_batch(self, vectors, topn=10, exclude=None):
        """The ``topn`` keys nearest each query vector.

        Parameters
        ----------
        vectors : ndarray of shape (n, vector_size)
        topn : int
        exclude : sequence of (int or None), optional
            A row to leave out of each answer (the query key itself).

        Returns
        -------
        list of list of (str, float)
        """
        vectors = np.atleast_2d(np.asarray(vectors, dtype=np.float32))
        exclude = exclude if exclude is not None else [None] * len(vectors)
        wanted = min(topn + 1, len(self.kv))
        self.index.set_ef(max(self.ef, wanted))
        labels, distances = self.index.knn_query(vectors, k=wanted, num_threads=self.threads)
        answers = []
        for row_labels, row_distances, skip in zip(labels, distances, exclude):
            answer = [(self.kv.index_to_key[label], float(1.0 - distance))
                      for label, distance in zip(row_labels, row_distances) if label != skip]
            answers.append(answer[:topn])
        return answers

    def most_similar(self, vector, topn=10):
        """gensim's indexer protocol: the ``topn`` keys nearest one vector."""
        return self.most_similar_batch(np.asarray(vector)[None, :], topn)[0]


def recall_at(approximate, exact):
    """Mean fraction of each exact answer's keys the approximate answer has.

    Parameters
    ----------
    approximate, exact : list of list of (str, float)
    """
    if len(approximate) != len(exact) or not exact:
        raise ValueError("give one approximate answer for each exact one")
    return float(np.mean([len({k for k, _ in a} & {k for k, _ in e}) / max(len(e), 1)
                          for a, e in zip(approximate, exact)]))
