"""most_similar at scale: queries per second on many keys, gensim's
one-query loop against fastemb's batched exact search and its HNSW index
(with recall@10 against exact), on the same vectors, in one run.

The vectors are random but clustered (as word vectors are), float32.

Usage::

    python bench/comparisons/nearest_speed.py [--keys 1000000] [--dim 100] [--queries 1000]
        [--threads 2] [--skip-gensim]
"""
import argparse
import os
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)

from fastemb import KeyedVectors  # noqa: E402
from fastemb.vectors.ann import HnswIndex, recall_at  # noqa: E402


def _vectors(n, dim, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(max(n // 200, 1), dim)).astype(np.float32)
    vectors = centres[rng.integers(0, len(centres), n)]
    vectors += 0.6 * rng.normal(size=(n, dim)).astype(np.float32)
    return vectors


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keys", type=int, default=1_000_000)
    parser.add_argument("--dim", type=int, default=100)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--skip-gensim", action="store_true")
    args = parser.parse_args(argv)
    keys = [f"w{i}" for i in range(args.keys)]
    vectors = _vectors(args.keys, args.dim)
    ours = KeyedVectors.from_arrays(keys, vectors)
    queries = keys[::max(args.keys // args.queries, 1)][:args.queries]
    print(f"{args.keys} keys, {args.dim} dimensions, {len(queries)} queries, top 10, "
          f"{args.threads} threads (BLAS and hnswlib)")
    rows = []
    ours.fill_norms()
    started = time.perf_counter()
    exact = ours.most_similar_batch(queries, topn=10)
    batched = time.perf_counter() - started
    rows.append(("fastemb most_similar_batch (exact)", len(queries) / batched, 1.0, 0.0))
    if not args.skip_gensim:
        from gensim.models import KeyedVectors as GensimKeyedVectors
        theirs = GensimKeyedVectors(args.dim)
        theirs.add_vectors(keys, vectors)
        assert len(theirs.vectors) == args.keys
        theirs.fill_norms()
        started = time.perf_counter()
        answers = [theirs.most_similar(q, topn=10) for q in queries]
        gensim_seconds = time.perf_counter() - started
        agreement = recall_at(answers, exact)
        rows.insert(0, ("gensim most_similar, one query at a time",
                        len(queries) / gensim_seconds, agreement, 0.0))
    started = time.perf_counter()
    index = HnswIndex(ours, m=16, ef_construction=100, ef=64, threads=args.threads)
    build = time.perf_counter() - started
    started = time.perf_counter()
    approximate = ours.most_similar_batch(queries, topn=10, indexer=index)
    ann_seconds = time.perf_counter() - started
    rows.append(("fastemb HNSW index (M 16, ef 64)", len(queries) / ann_seconds,
                 recall_at(approximate, exact), build))
    base = rows[0][1]
    print("| search | queries/s | × gensim | recall@10 vs exact | build s |")
    print("|---|---|---|---|---|")
    for name, qps, recall, build_seconds in rows:
        print(f"| {name} | {qps:,.0f} | {qps / base:.1f} | {recall:.3f} | "
              f"{build_seconds:.1f} |")


if __name__ == "__main__":
    main()
