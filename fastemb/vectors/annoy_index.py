"""gensim's ``AnnoyIndexer`` for fastemb's vectors: approximate neighbours
from a forest of random-projection trees (Spotify's Annoy, an optional
dependency: ``pip install 'fastemb[ann]'`` or ``pip install annoy``).

It keeps gensim's API, so gensim's Annoy tutorial runs with the imports
changed::

    indexer = AnnoyIndexer(model, 100)
    model.wv.most_similar([vector], topn=10, indexer=indexer)
    indexer.save(path)
    loaded = AnnoyIndexer()
    loaded.load(path)
    loaded.model = model

The labels are saved beside the index as JSON (``path + '.dict'``) instead
of gensim's pickle; a ``.dict`` pickle written by gensim is read as data.
"""
import numpy as np

from fastemb.vectors.index_files import load_index_files, save_index_files

__all__ = ["AnnoyIndexer"]


def _annoy():
    try:
        import annoy
    except ImportError:
        raise ImportError("AnnoyIndexer needs annoy: pip install 'fastemb[ann]' (or pip "
                          "install annoy)") from None
    return annoy


def _vectors_of(model):
    """The vectors a model is searched by: a Doc2Vec's document vectors, a
    word model's word vectors, or the KeyedVectors given."""
    for name in ("dv", "wv"):
        if getattr(model, name, None) is not None:
            return getattr(model, name)
    if hasattr(model, "vectors") and hasattr(model, "index_to_key"):
        return model
    raise TypeError(f"AnnoyIndexer indexes Word2Vec, FastText, Doc2Vec or KeyedVectors, "
                    f"not {type(model).__name__}")


class AnnoyIndexer:
    """An Annoy index of a model's unit-length vectors, answering gensim's
    indexer protocol (``most_similar(vector, num_neighbors)``).

    Parameters
    ----------
    model : Word2Vec, FastText, Doc2Vec or KeyedVectors, optional
        None makes an empty indexer for :meth:`load`.
    num_trees : int, optional
        Trees in the forest: more is more accurate, larger and slower to
        build. Required with ``model``.
    seed : int
        Seed of the random projections (gensim's indexer has none: its
        trees differ run to run).

    Attributes
    ----------
    index : annoy.AnnoyIndex
    labels : list
        The key of every item of the index.
    num_trees : int
    model : object
        What :meth:`most_similar` answers for (set it after :meth:`load`).
    """

    def __init__(self, model=None, num_trees=None, seed=1):
        self.index = None
        self.labels = None
        self.model = model
        self.num_trees = num_trees
        if model is None:
            return
        if not isinstance(num_trees, (int, np.integer)) or num_trees < 1:
            raise ValueError(f"num_trees must be an integer >= 1, got {num_trees!r}")
        kv = _vectors_of(model)
        unit = kv.get_normed_vectors() if hasattr(kv, "get_normed_vectors") else \
            np.asarray(kv.vectors) / np.maximum(
                np.linalg.norm(kv.vectors, axis=1, keepdims=True), 1e-12)
        self.index = _annoy().AnnoyIndex(kv.vector_size, "angular")
        self.index.set_seed(int(seed))
        for item, vector in enumerate(np.asarray(unit, dtype=np.float32)):
            self.index.add_item(item, vector)
        self.index.build(int(num_trees))
        self.labels = list(kv.index_to_key)

    def most_similar(self, vector, num_neighbors):
        """The ``num_neighbors`` keys nearest ``vector``, with their cosine
        similarity (from Annoy's angular distance ``d``: ``1 - d**2 / 2``).

        Parameters
        ----------
        vector : ndarray of shape (vector_size,)
        num_neighbors : int

        Returns
        -------
        list of (key, float)
        """
        if self.index is None:
            raise RuntimeError("this AnnoyIndexer holds no index: build it from a model or "
                               "load one")
        ids, distances = self.index.get_nns_by_vector(
            np.asarray(vector, dtype=np.float32).ravel(), int(num_neighbors),
            include_distances=True)
        return [(self.labels[i], 1.0 - d * d / 2.0) for i, d in zip(ids, distances)]

    def save(self, fname):
        """Write the index to ``fname`` and its labels to ``fname + '.dict'``
        (JSON), each atomically. As in gensim, the model is not saved.

        Parameters
        ----------
        fname : str or os.PathLike
        """
        if self.index is None:
            raise RuntimeError("nothing to save: this AnnoyIndexer holds no index")
        save_index_files(self.index.save, fname, {"f": self.index.f, "num_trees": self.num_trees,
                                                  "labels": self.labels})

    def load(self, fname):
        """Read an index saved by :meth:`save` (or by gensim's indexer; see
        :func:`fastemb.vectors.index_files.load_index_files` for the errors).

        Parameters
        ----------
        fname : str or os.PathLike
        """
        def open_forest(path, meta):
            forest = _annoy().AnnoyIndex(meta["f"], "angular")
            forest.load(path)
            return forest
        self.index, meta = load_index_files(fname, "f", open_forest,
                                            lambda forest: forest.get_n_items(), "Annoy")
        self.labels, self.num_trees = list(meta["labels"]), meta.get("num_trees")
