"""Compressed vectors against the full ones, in one run: Word2Vec
(skip-gram, negative sampling, 100 dimensions, 2 threads) trained on the
data folder's gcide8, then compressed with product quantization at several
``dsub`` and with int8. Reported for each: the native file's size (and its
ratio to the full file), seconds to compress, WordSim-353 Spearman, Google
analogy accuracy (``restrict_vocab=30000``), recall@10 of ``most_similar``
against the full vectors, and exact ``most_similar`` queries/s (one query at
a time, as users ask them).

    python bench/comparisons/compress_vectors.py [--data DIR] [--threads 2]
        [--dsubs 2,4,10] [--queries 200] [--vectors saved.fe]
"""
import argparse
import os
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from fastemb import KeyedVectors, Word2Vec, datapath  # noqa: E402

from harness import SHARED, plain_corpus  # noqa: E402


def quality(kv):
    pairs = kv.evaluate_word_pairs(datapath("wordsim353.tsv"))[1][0]
    analogy = kv.evaluate_word_analogies(datapath("questions-words.txt.gz"),
                                         restrict_vocab=30000)[0]
    return pairs, analogy


def speed(kv, words):
    started = time.perf_counter()
    for word in words:
        kv.most_similar(word, topn=10)
    return len(words) / (time.perf_counter() - started)


def recall(full, small, words):
    hits = [len({k for k, _ in full.most_similar(w, topn=10)} &
                {k for k, _ in small.most_similar(w, topn=10)}) for w in words]
    return float(np.mean(hits)) / 10


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--dsubs", default="2,4,10")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--vectors", help="a native vectors file to use instead of training")
    options = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="fastemb-compress-")
    if options.vectors and os.path.exists(options.vectors):
        full = KeyedVectors.load(options.vectors)
    else:
        with plain_corpus(os.path.join(SHARED, "gcide8.txt.gz")) as corpus:
            model = Word2Vec(corpus_file=corpus, vector_size=100, sg=1, negative=5,
                             min_count=5, workers=options.threads, seed=1)
        full = model.wv
        if options.vectors:
            full.save(options.vectors)
    words = full.index_to_key[:options.queries * 50:50]
    full_path = os.path.join(workdir, "full.fe")
    full.save(full_path)
    full_size = os.path.getsize(full_path)
    ws, analogy = quality(full)
    print(f"{'full':10s} {full_size / 2 ** 20:7.1f} MB  1.00x  WS-353 {ws:.3f}  analogy "
          f"{analogy:.3f}  {speed(full, words):7.0f} queries/s  ({len(full)} words)",
          flush=True)
    settings = [("pq", int(d)) for d in options.dsubs.split(",")] + [("int8", 1)]
    for method, dsub in settings:
        started = time.perf_counter()
        small = full.compress(method, dsub=dsub, threads=options.threads)
        seconds = time.perf_counter() - started
        path = os.path.join(workdir, f"{method}{dsub}.fe")
        small.save(path)
        size = os.path.getsize(path)
        ws, analogy = quality(small)
        name = f"{method} {dsub}" if method == "pq" else method
        print(f"{name:10s} {size / 2 ** 20:7.1f} MB  {full_size / size:5.2f}x smaller  WS-353 "
              f"{ws:.3f}  analogy {analogy:.3f}  recall@10 {recall(full, small, words):.3f}  "
              f"{speed(small, words):7.0f} queries/s  compressed in {seconds:.1f} s", flush=True)


if __name__ == "__main__":
    main()
