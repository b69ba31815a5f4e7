"""Approximate nearest neighbours for :meth:`KeyedVectors.most_similar` on
millions of keys: an HNSW graph (Malkov & Yashunin 2018) built by hnswlib,
an optional dependency (``pip install 'fastemb[ann]'``).

The index answers gensim's indexer protocol, so it plugs into the usual
call, and saves and loads as gensim's indexers do::

    index = HnswIndex(kv)
    kv.most_similar("king", indexer=index)
    kv.most_similar_batch(words, indexer=index)
    index.save(path)
    loaded = HnswIndex()
    loaded.load(path)

:func:`recall_at` measures how many of the exact top-k it finds.
"""
import numpy as np

from fastemb.vectors.index_files import load_index_files, save_index_files

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
    kv : KeyedVectors, optional
        None makes an empty index for :meth:`load`.
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

    Attributes
    ----------
    index : hnswlib.Index
    labels : list
        The key of every item of the index.
    """

    def __init__(self, kv=None, m=16, ef_construction=200, ef=100, threads=-1, seed=0):
        self.ef = int(ef)
        self.threads = int(threads)
        self.index = None
        self.labels = None
        if kv is None:
            return
        self.index = _hnswlib().Index(space="cosine", dim=kv.vector_size)
        self.index.init_index(max_elements=max(len(kv), 1), M=int(m),
                              ef_construction=int(ef_construction), random_seed=int(seed))
        self.index.add_items(np.asarray(kv.vectors, dtype=np.float32),
                             np.arange(len(kv)), num_threads=self.threads)
        self.labels = list(kv.index_to_key)

    def save(self, fname):
        """Write the graph to ``fname`` and its labels to ``fname + '.dict'``
        (JSON), each atomically.

        Parameters
        ----------
        fname : str or os.PathLike
        """
        if self.index is None:
            raise RuntimeError("nothing to save: this HnswIndex holds no index")
        save_index_files(self.index.save_index, fname,
                         {"dim": self.index.dim, "ef": self.ef, "labels": self.labels})

    def load(self, fname):
        """Read a graph saved by :meth:`save` (see
        :func:`fastemb.vectors.index_files.load_index_files` for the errors).

        Parameters
        ----------
        fname : str or os.PathLike
        """
        def open_graph(path, meta):
            graph = _hnswlib().Index(space="cosine", dim=meta["dim"])
            graph.load_index(path, max_elements=max(len(meta["labels"]), 1))
            return graph
        self.index, meta = load_index_files(fname, "dim", open_graph,
                                            lambda graph: graph.get_current_count(), "HNSW")
        self.labels = list(meta["labels"])
        self.ef = int(meta.get("ef", self.ef))

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
        if self.index is None:
            raise RuntimeError("this HnswIndex holds no index: build it from vectors or "
                               "load one")
        vectors = np.atleast_2d(np.asarray(vectors, dtype=np.float32))
        exclude = exclude if exclude is not None else [None] * len(vectors)
        wanted = min(topn + 1, len(self.labels))
        self.index.set_ef(max(self.ef, wanted))
        labels, distances = self.index.knn_query(vectors, k=wanted, num_threads=self.threads)
        answers = []
        for row_labels, row_distances, skip in zip(labels, distances, exclude):
            answer = [(self.labels[label], float(1.0 - distance))
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
