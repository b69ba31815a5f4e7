"""Vocabulary + encoding of a corpus file: the C scanner (one thread, and
``--threads`` threads on pieces of the file) against the Python encoder it
replaces for whitespace-split files (the path a tokenizer still takes), in
one process, alternating, best of ``--repeats``. All must give the same
vocabulary and ids; the script checks it.

    python bench/micro/scan_speed.py --corpus ../shared/data/gcide8.txt.gz [--threads 2]
"""
import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # harness
from harness import SHARED, plain_corpus  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
from fastemb.corpus import iter_file_pieces  # noqa: E402
from fastemb.corpus.encode import CorpusEncoder, scan_files  # noqa: E402
from fastemb.corpus.vocab import select_vocabulary  # noqa: E402


def python_encoder(path):
    encoder = CorpusEncoder()
    for tokens, ends in iter_file_pieces(path):
        encoder.add(tokens, ends)
    return encoder.finish()


def c_scanner(path, threads=1):
    return scan_files([path], threads=threads)


def vocabulary_and_ids(encode, path):
    """What ``build_vocab`` does with a file: count, choose, remap."""
    raw = encode(path)
    mapping, keys, _ = select_vocabulary(raw.words, raw.counts, 5)
    tokens, ends = raw.compact(mapping)
    return keys, tokens, ends


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default=os.path.join(SHARED, "gcide8.txt.gz"))
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    encoders = {"python": python_encoder, "c": c_scanner,
                "threads": lambda path: c_scanner(path, args.threads)}
    with plain_corpus(args.corpus) as path:
        best = {name: float("inf") for name in encoders}
        results = {}
        for _ in range(args.repeats):
            for name, encode in encoders.items():
                started = time.perf_counter()
                results[name] = vocabulary_and_ids(encode, path)
                best[name] = min(best[name], time.perf_counter() - started)
        keys_p, tokens_p, ends_p = results["python"]
        same = all(keys == keys_p and np.array_equal(tokens, tokens_p)
                   and np.array_equal(ends, ends_p) for keys, tokens, ends in results.values())
        keys_c, tokens_c, _ = results["c"]
        size = os.path.getsize(path) / 1e6
    print(f"{os.path.basename(args.corpus)}: {len(tokens_c):,} tokens kept, {len(keys_c):,} words, "
          f"{size:.0f} MB; identical results: {same}")
    print("| vocabulary + encoding | seconds (best of %d) | MB/s |" % args.repeats)
    print("|---|---|---|")
    labels = {"python": "Python encoder (0.2)", "c": "C scanner, 1 thread",
              "threads": f"C scanner, {args.threads} threads"}
    for name, label in labels.items():
        print(f"| {label} | {best[name]:.3f} | {size / best[name]:.0f} |")
    print(f"speed-up: {best['python'] / best['c']:.2f}x (one thread), "
          f"{best['python'] / best['threads']:.2f}x ({args.threads} threads)")
    if not same:
        raise SystemExit("the encoders disagree")


if __name__ == "__main__":
    main()
