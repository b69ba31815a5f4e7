"""Vocabulary + encoding of a corpus file: the C scanner against the Python
encoder it replaces for whitespace-split files (the path a tokenizer still
takes), in one process, alternating, best of ``--repeats``. Both must give
the same vocabulary and ids; the script checks it.

    python bench/scan_speed.py --corpus ../shared/data/gcide8.txt.gz
"""
import argparse
import os
import sys
import time

import numpy as np

from harness import SHARED, plain_corpus

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from fastemb.corpus import iter_file_pieces  # noqa: E402
from fastemb.encode import CorpusEncoder, scan_files  # noqa: E402
from fastemb.vocab import select_vocabulary  # noqa: E402


def python_encoder(path):
    encoder = CorpusEncoder()
    for tokens, ends in iter_file_pieces(path):
        encoder.add(tokens, ends)
    return encoder.finish()


def c_scanner(path):
    return scan_files([path])


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
    args = parser.parse_args()
    with plain_corpus(args.corpus) as path:
        best = {"python": float("inf"), "c": float("inf")}
        results = {}
        for _ in range(args.repeats):
            for name, encode in (("python", python_encoder), ("c", c_scanner)):
                started = time.perf_counter()
                results[name] = vocabulary_and_ids(encode, path)
                best[name] = min(best[name], time.perf_counter() - started)
        (keys_p, tokens_p, ends_p), (keys_c, tokens_c, ends_c) = results["python"], results["c"]
        same = keys_p == keys_c and np.array_equal(tokens_p, tokens_c) and \
            np.array_equal(ends_p, ends_c)
        size = os.path.getsize(path) / 1e6
    print(f"{os.path.basename(args.corpus)}: {len(tokens_c):,} tokens kept, {len(keys_c):,} words, "
          f"{size:.0f} MB; identical results: {same}")
    print("| vocabulary + encoding | seconds (best of %d) | MB/s |" % args.repeats)
    print("|---|---|---|")
    for name, label in (("python", "Python encoder (0.2)"), ("c", "C scanner")):
        print(f"| {label} | {best[name]:.3f} | {size / best[name]:.0f} |")
    print(f"speed-up: {best['python'] / best['c']:.2f}x (one thread)")
    if not same:
        raise SystemExit("the two encoders disagree")


if __name__ == "__main__":
    main()
