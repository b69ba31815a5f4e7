"""Compressed vectors against the full ones, in one run: Word2Vec
(skip-gram, negative sampling, 100 dimensions, 2 threads) or, with
``--model fasttext``, FastText (skip-gram, 100 dimensions, 2M buckets)
trained on the data folder's gcide8, then compressed with product
quantization at several ``dsub`` (FastText: also keeping only the
``--keep-ngrams`` most used n-gram buckets) and with int8. Reported for
each: the native file's size (and its ratio to the full file), seconds to
compress, WordSim-353 Spearman, Google analogy accuracy
(``restrict_vocab=30000``), recall@10 of ``most_similar`` against the full
vectors, and exact ``most_similar`` queries/s (one query at a time, as
users ask them); for FastText also the mean cosine, full against compressed,
of 200 words outside the vocabulary (each word of the vocabulary with its
last letter doubled). With ``--speed-only`` and a big ``--vectors`` file
(such as the GoogleNews-shaped one ``load_vs_gensim.py --native`` saves:
random vectors, so no quality), only sizes, recall@10 and queries/s.

    python bench/comparisons/compress_vectors.py [--data DIR] [--threads 2]
        [--model word2vec] [--dsubs 2,4,10] [--keep-ngrams 100000]
        [--queries 200] [--vectors saved.fe] [--speed-only]
"""
import argparse
import os
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from fastemb import FastText, KeyedVectors, Word2Vec, datapath  # noqa: E402

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


def unseen_agreement(full, small, words):
    """Mean cosine of full and compressed vectors of words outside the
    vocabulary."""
    unseen = [w + w[-1] for w in words if w + w[-1] not in full.key_to_index]
    cosines = []
    for word in unseen:
        a, b = full[word], small[word] if word in small else np.zeros(full.vector_size)
        denominator = np.linalg.norm(a) * np.linalg.norm(b)
        cosines.append(float(a @ b / denominator) if denominator else 0.0)
    return float(np.mean(cosines))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--dsubs", default="2,4,10")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--vectors", help="a native vectors file to use instead of training")
    parser.add_argument("--model", choices=("word2vec", "fasttext"), default="word2vec")
    parser.add_argument("--keep-ngrams", default="100000,300000")
    parser.add_argument("--speed-only", action="store_true",
                        help="skip the quality sets (for vectors with random keys)")
    options = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="fastemb-compress-")
    if options.vectors and os.path.exists(options.vectors):
        full = KeyedVectors.load(options.vectors)
    else:
        with plain_corpus(os.path.join(SHARED, "gcide8.txt.gz")) as corpus:
            if options.model == "fasttext":
                model = FastText(corpus_file=corpus, vector_size=100, sg=1, negative=5,
                                 min_count=5, workers=options.threads, seed=1, bucket=2000000)
            else:
                model = Word2Vec(corpus_file=corpus, vector_size=100, sg=1, negative=5,
                                 min_count=5, workers=options.threads, seed=1)
        full = model.wv
        if options.vectors:
            full.save(options.vectors)
    words = full.index_to_key[:options.queries * 50:50]
    full_path = os.path.join(workdir, "full.fe")
    full.save(full_path)
    full_size = os.path.getsize(full_path)
    measure = (lambda kv: (float("nan"), float("nan"))) if options.speed_only else quality
    ws, analogy = measure(full)
    print(f"{'full':10s} {full_size / 2 ** 20:7.1f} MB  1.00x  WS-353 {ws:.3f}  analogy "
          f"{analogy:.3f}  {speed(full, words):7.0f} queries/s  ({len(full)} words)",
          flush=True)
    fasttext = hasattr(full, "min_n")
    keep = [None] + ([int(k) for k in options.keep_ngrams.split(",")] if fasttext else [])
    settings = [("pq", int(d), k) for d in options.dsubs.split(",") for k in keep] + \
        [("int8", 1, k) for k in keep]
    for method, dsub, keep_ngrams in settings:
        started = time.perf_counter()
        extra = {"keep_ngrams": keep_ngrams} if fasttext else {}
        small = full.compress(method, dsub=dsub, threads=options.threads, **extra)
        seconds = time.perf_counter() - started
        path = os.path.join(workdir, f"{method}{dsub}.fe")
        small.save(path)
        size = os.path.getsize(path)
        ws, analogy = measure(small)
        name = f"{method} {dsub}" if method == "pq" else method
        if keep_ngrams:
            name += f" {keep_ngrams // 1000}k"
        unseen = f"  unseen cos {unseen_agreement(full, small, words):.3f}" if fasttext else ""
        print(f"{name:14s} {size / 2 ** 20:7.1f} MB  {full_size / size:6.2f}x smaller  WS-353 "
              f"{ws:.3f}  analogy {analogy:.3f}  recall@10 {recall(full, small, words):.3f}  "
              f"{speed(small, words):7.0f} queries/s  compressed in {seconds:.1f} s{unseen}",
              flush=True)


if __name__ == "__main__":
    main()
