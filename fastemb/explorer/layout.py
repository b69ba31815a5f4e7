"""Maps of a vocabulary for the explorer: 2-D or 3-D coordinates of its most
frequent words by PCA (at once), t-SNE (scikit-learn) or UMAP (umap-learn),
the slow two computed on a background thread whose state the page polls,
and colours by k-means cluster or by a metadata column."""
import importlib.util
import threading
import time

import numpy as np

__all__ = ["MAP_METHODS", "available_methods", "pca_coordinates", "cluster_labels", "MapJobs"]

#: Every method the explorer knows; :func:`available_methods` says which are
#: installed.
MAP_METHODS = ("pca", "tsne", "umap")


def available_methods():
    """The map methods whose library is installed (PCA needs numpy only)."""
    # found, not imported: importing umap compiles numba code for seconds
    return ["pca"] + [method for method, module in (("tsne", "sklearn"), ("umap", "umap"))
                      if importlib.util.find_spec(module) is not None]


def _unit(vectors):
    vectors = np.asarray(vectors, dtype=np.float32)
    lengths = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(lengths, 1e-12)


def pca_coordinates(vectors, dims):
    """The unit vectors projected on their ``dims`` principal directions.

    Parameters
    ----------
    vectors : ndarray of shape (n, d)
    dims : {2, 3}

    Returns
    -------
    ndarray of float32, shape (n, dims)
    """
    unit = _unit(vectors)
    centred = unit - unit.mean(axis=0)
    # the principal axes are the covariance's top eigenvectors: a d x d
    # problem (an SVD of the n x d rows took 3 s for 100,000 words)
    values, axes = np.linalg.eigh(centred.T.astype(np.float64) @ centred)
    top = axes[:, np.argsort(values)[::-1][:dims]]
    coordinates = centred @ top.astype(np.float32)
    if coordinates.shape[1] < dims:  # fewer dimensions than asked (tiny vectors)
        coordinates = np.hstack([coordinates, np.zeros((len(coordinates),
                                                        dims - coordinates.shape[1]))])
    return coordinates.astype(np.float32)


def _embedded(vectors, method, dims, seed):
    """t-SNE or UMAP coordinates (slow: run on a background thread)."""
    unit = _unit(vectors)
    if method == "tsne":
        from sklearn.manifold import TSNE
        perplexity = float(min(30, max(2, (len(unit) - 1) // 3)))
        return TSNE(n_components=dims, perplexity=perplexity, init="pca", random_state=seed,
                    metric="cosine").fit_transform(unit).astype(np.float32)
    import umap
    return umap.UMAP(n_components=dims, metric="cosine", random_state=seed,
                     n_neighbors=min(15, max(2, len(unit) - 1))).fit_transform(unit).astype(
                         np.float32)


def cluster_labels(vectors, clusters, seed=0, iterations=20):
    """k-means (cosine, k-means++ start) cluster of every vector.

    Parameters
    ----------
    vectors : ndarray of shape (n, d)
    clusters : int
    seed : int
    iterations : int

    Returns
    -------
    ndarray of int32, shape (n,)
    """
    unit = _unit(vectors)
    n = len(unit)
    clusters = max(1, min(int(clusters), n))
    rng = np.random.default_rng(seed)
    centres = [unit[rng.integers(n)]]
    closest = 1.0 - unit @ centres[0]
    for _ in range(1, clusters):
        weights = np.maximum(closest, 0) ** 2
        total = weights.sum()
        pick = rng.choice(n, p=weights / total) if total > 0 else rng.integers(n)
        centres.append(unit[pick])
        closest = np.minimum(closest, 1.0 - unit @ unit[pick])
    centres = np.vstack(centres)
    labels = np.zeros(n, dtype=np.int32)
    for _ in range(iterations):
        labels = (unit @ centres.T).argmax(axis=1).astype(np.int32)
        for k in range(clusters):
            members = unit[labels == k]
            if len(members):
                centre = members.mean(axis=0)
                centres[k] = centre / max(np.linalg.norm(centre), 1e-12)
    return labels


class MapJobs:
    """The slow maps of one vocabulary sample, each computed once on a
    background thread; :meth:`state` reports it (running, with the seconds
    so far, or ready, or failed with the reason).

    Parameters
    ----------
    vectors : ndarray of shape (n, d)
        The sample to map.
    seed : int
    """

    def __init__(self, vectors, seed=0):
        self.vectors = vectors
        self.seed = seed
        self._jobs = {}
        self._lock = threading.Lock()

    def state(self, method, dims):
        """``{'status': 'running'|'ready'|'failed', 'seconds': float,
        'coordinates': ndarray or None, 'error': str or None}``, starting
        the computation on the first call."""
        key = (method, dims)
        with self._lock:
            job = self._jobs.get(key)
            if job is None:
                job = {"status": "running", "started": time.perf_counter(), "seconds": 0.0,
                       "coordinates": None, "error": None}
                self._jobs[key] = job
                threading.Thread(target=self._run, args=(job, method, dims), daemon=True,
                                 name=f"fastemb-map-{method}-{dims}d").start()
            if job["status"] == "running":
                job["seconds"] = time.perf_counter() - job["started"]
            return dict(job)

    def _run(self, job, method, dims):
        try:
            coordinates = _embedded(self.vectors, method, dims, self.seed)
        except Exception as exc:  # noqa: BLE001 - the page shows why the map failed
            with self._lock:
                job.update(status="failed", error=f"{type(exc).__name__}: {exc}")
            return
        with self._lock:
            job.update(status="ready", coordinates=coordinates,
                       seconds=time.perf_counter() - job["started"])
