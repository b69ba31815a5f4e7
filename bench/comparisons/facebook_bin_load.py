"""Loading a multi-GB Facebook fastText ``.bin``, fastemb against gensim,
each load in its own process (so its peak RSS is its own).

The file is made once in ``--workdir``: shaped like fastText's pretrained
``cc.*.300.bin`` models (random rows, realistic words, ``--words`` words,
2,000,000 buckets, dimension 300, skip-gram with negative sampling, so
an output matrix of a row a word follows the input matrix).

Measured for each way of loading: seconds, peak RSS (``VmHWM``; for a
mapped file it counts the file's pages the process touched, which the
system can drop, and ``anon`` the memory that is the process's own), the
first ``most_similar`` and an unseen word's vector (checked equal across
systems):

- gensim ``load_facebook_vectors``;
- fastemb ``load_facebook_vectors`` (read) and with ``mmap="r"``;
- fastemb ``load_facebook_model(mmap="r")`` (the whole model, trainable).

    python bench/comparisons/facebook_bin_load.py [--workdir DIR] [--words 1000000]
        [--systems gensim,fastemb,fastemb-mmap,fastemb-model-mmap]
"""
import argparse
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from load_vs_gensim import PEAK, _keys, run  # noqa: E402

DIM = 300
BUCKET = 2000000

CHILD = PEAK + r"""
def anon_mb():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) / 1024

import json, sys, time
import numpy as np
system, path = sys.argv[1], sys.argv[2]
started = time.perf_counter()
if system == "gensim":
    from gensim.models.fasttext import load_facebook_vectors
    kv = load_facebook_vectors(path)
elif system == "fastemb":
    from fastemb import load_facebook_vectors
    kv = load_facebook_vectors(path)
elif system == "fastemb-mmap":
    from fastemb import load_facebook_vectors
    kv = load_facebook_vectors(path, mmap="r")
else:
    from fastemb import load_facebook_model
    kv = load_facebook_model(path, mmap="r").wv
seconds = time.perf_counter() - started
anon_after_load = anon_mb()
started = time.perf_counter()
kv.most_similar(kv.index_to_key[12345], topn=10)
first = time.perf_counter() - started
unseen = kv["zzqxjunseenword"]
print(json.dumps({"seconds": seconds, "first_query_seconds": first,
                  "unseen_checksum": float(np.asarray(unseen, np.float64).sum()),
                  "vocab_checksum": float(np.asarray(kv.vectors[::997], np.float64).sum()),
                  "anon_after_load_mb": anon_after_load, "anon_mb": anon_mb(),
                  "peak_rss_mb": peak_rss_mb()}))
"""


def make_bin(path, words):
    """A fastText-shaped ``.bin``, written block by block."""
    from fastemb.io.fasttext_bin import LOSS_NS, MODEL_SG, write_fasttext_bin
    rng = np.random.default_rng(2)
    keys = _keys(words, rng)
    args = {"dim": DIM, "ws": 5, "epoch": 5, "min_count": 5, "neg": 10, "word_ngrams": 1,
            "loss": LOSS_NS, "model": MODEL_SG, "bucket": BUCKET, "minn": 5, "maxn": 5,
            "lr_update_rate": 100, "t": 1e-4}

    def rows(n):
        for start in range(0, n, 100000):
            yield (rng.standard_normal((min(100000, n - start), DIM)) * 0.05).astype(np.float32)

    word_rows = np.concatenate(list(rows(words)))
    output = np.concatenate(list(rows(words)))
    counts = np.arange(words, 0, -1, dtype=np.int64) + 5
    write_fasttext_bin(path, args, keys, counts, int(counts.sum()), word_rows, rows(BUCKET),
                       output)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", default="/tmp/fastemb-big-vectors")
    parser.add_argument("--words", type=int, default=1000000)
    parser.add_argument("--systems", default="gensim,fastemb,fastemb-mmap,fastemb-model-mmap")
    options = parser.parse_args()
    os.makedirs(options.workdir, exist_ok=True)
    path = os.path.join(options.workdir, f"cc-shaped-{options.words}.bin")
    if not os.path.exists(path):
        started = time.perf_counter()
        make_bin(path, options.words)
        print(f"made {path} ({os.path.getsize(path) / 1e9:.2f} GB) in "
              f"{time.perf_counter() - started:.0f} s", flush=True)
    input_mb = (options.words + BUCKET) * DIM * 4 / 2 ** 20
    results = {}
    for system in options.systems.split(","):
        result = run(CHILD, system, path)
        results[system] = result
        print(f"{system:20s} {result['seconds']:7.1f} s  first most_similar "
              f"{result['first_query_seconds']:5.2f} s  peak RSS {result['peak_rss_mb']:7.0f} MB "
              f"({result['peak_rss_mb'] / input_mb:.2f}x the input matrix), own memory "
              f"{result['anon_mb']:6.0f} MB  unseen {result['unseen_checksum']:.5f}  vocab "
              f"{result['vocab_checksum']:.4f}", flush=True)
    if "gensim" in results:
        theirs = results["gensim"]
        for system, result in results.items():
            if system != "gensim":
                print(f"{system}: {theirs['seconds'] / result['seconds']:.2f}x gensim's speed, "
                      f"{result['peak_rss_mb'] / theirs['peak_rss_mb']:.2f}x its peak RSS",
                      flush=True)
    print(json.dumps({"words": options.words, "bucket": BUCKET, "dim": DIM,
                      "input_matrix_mb": input_mb, "runs": results}))


if __name__ == "__main__":
    main()
