"""Exact nearest-neighbour search of many queries at once: the engine of
:meth:`fastemb.KeyedVectors.most_similar_batch`.

The scores of every query against every key would be a matrix of queries ×
keys floats (4 GB for 1,000 queries on a million keys), written to memory and
read back. Instead the keys are taken a tile at a time: one matrix product
(BLAS, on its own threads) scores a block of queries against the tile, the
result stays in cache, and the Cython kernel :func:`fastemb._search.fold_tile`
folds it into each query's running best ``k`` on ``workers`` threads. The
answer is the same as scoring everything and sorting.
"""
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from fastemb._search import fold_tile, start_top_k

# Keys scored a tile: with a block of QUERY_BLOCK queries, a tile's scores
# (4 MB) stay in the last-level cache between the product and the fold.
KEY_TILE = 1024
QUERY_BLOCK = 1024


def default_workers():
    """Threads available to this process (its CPU affinity where known)."""
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:  # not on Linux
        return max(os.cpu_count() or 1, 1)


def exact_top_k(queries, keys, key_scale, k, skip, workers=None):
    """The ``k`` keys of largest scaled dot product with each query.

    Parameters
    ----------
    queries : ndarray of float32, shape (m, d)
    keys : ndarray of float32, shape (n, d)
        C-contiguous.
    key_scale : ndarray of float32, shape (n,)
        Factor of each key's score (its inverse norm for cosine similarity).
    k : int
        At least 1.
    skip : ndarray of int64, shape (m,)
        A key each query must not return (its own row), or -1.
    workers : int, optional
        Threads folding scores into the lists (default: every core).

    Returns
    -------
    indices : ndarray of int64, shape (m, k)
        Best first; -1 where there are fewer than ``k`` keys.
    values : ndarray of float32, shape (m, k)
    """
    workers = default_workers() if workers is None else int(workers)
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    queries = np.ascontiguousarray(queries, dtype=np.float32)
    skip = np.ascontiguousarray(skip, dtype=np.int64)
    indices, values = start_top_k(len(queries), k)
    pool = ThreadPoolExecutor(workers) if workers > 1 else None
    try:
        for first in range(0, len(queries), QUERY_BLOCK):
            block = slice(first, first + QUERY_BLOCK)
            _search_block(queries[block], keys, key_scale, skip[block], values[block],
                          indices[block], pool, workers)
    finally:
        if pool is not None:
            pool.shutdown()
    return indices, values


def _search_block(queries, keys, key_scale, skip, values, indices, pool, workers):
    """Fold every key tile into the lists of one block of queries."""
    rows = len(queries)
    buffer = np.empty((rows, KEY_TILE), dtype=np.float32)
    # contiguous row ranges, one a thread
    bounds = np.linspace(0, rows, min(workers, rows) + 1).astype(int)
    for offset in range(0, len(keys), KEY_TILE):
        tile = keys[offset:offset + KEY_TILE]
        # the last tile may be narrower: a buffer of its own (fold_tile wants rows contiguous)
        scores = buffer if len(tile) == KEY_TILE else np.empty((rows, len(tile)), np.float32)
        np.matmul(queries, tile.T, out=scores)
        scale = key_scale[offset:offset + len(tile)]
        if pool is None or len(bounds) < 3:
            fold_tile(scores, scale, offset, skip, values, indices)
            continue
        jobs = [pool.submit(fold_tile, scores, scale, offset, skip, values, indices,
                            int(bounds[t]), int(bounds[t + 1]))
                for t in range(len(bounds) - 1)]
        for job in jobs:
            job.result()
