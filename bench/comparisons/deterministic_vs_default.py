"""Benchmark ``deterministic=True`` against the default (Hogwild) training
and gensim, side by side in one run.

For each Word2Vec mode (SG-NS, CBOW-NS, SG-HS, CBOW-HS) and FastText
skip-gram it trains, each in its own process with ``--workers`` threads:
gensim (streaming an iterable: its ``corpus_file`` mode learned nothing from
gcide8, a single line of 5.4M words: WordSim-353 -.06), fastemb's default and
fastemb with ``deterministic=True``, then the deterministic run again with
1 and 3 threads, and prints raw words/s, the ratios, WordSim-353 and analogy
accuracy, and whether the three deterministic runs gave the same bits (a
SHA-256 of the vectors). Settings are DESIGN.md's reference settings
(vector_size 100, window 5, min_count 5, 5 epochs; FastText: fastText's
defaults, as ``fasttext_vs_peers.py``). GloVe (window 10, x_max 10, 15
epochs) has no peer column here: Stanford's binaries run in
``glove_vs_stanford.py``.

Usage::

    python bench/comparisons/deterministic_vs_default.py [--corpus ../shared/data/gcide8.txt.gz]
        [--modes sg-ns,cbow-ns,sg-hs,cbow-hs,fasttext-sg,glove] [--workers 2]
        [--json results.json]
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # harness
from harness import SHARED, plain_corpus, run_child, write_json  # noqa: E402


def _run(system, mode, corpus, workers, eval_dir):
    model = {"fasttext-sg": "fasttext", "glove": "glove"}.get(mode, "word2vec")
    return run_child({"model": model, "system": system, "corpus": corpus, "workers": workers,
                      "mode": "sg-ns" if mode == "fasttext-sg" else mode,
                      "eval-dir": eval_dir, "seed": 1})


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", default=os.path.join(SHARED, "gcide8.txt.gz"))
    parser.add_argument("--eval-dir", default=os.path.join(SHARED, "eval"))
    parser.add_argument("--modes", default="sg-ns,cbow-ns,sg-hs,cbow-hs,fasttext-sg,glove")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", help="also write all measurements to this file")
    args = parser.parse_args()

    rows, table = [], []
    with plain_corpus(args.corpus) as corpus:
        for mode in args.modes.split(","):
            print(f"{mode}:", flush=True)
            peer = None if mode == "glove" else _run("gensim", mode, corpus, args.workers,
                                                      args.eval_dir)
            default = _run("fastemb", mode, corpus, args.workers, args.eval_dir)
            deterministic = [_run("fastemb-det", mode, corpus, workers, args.eval_dir)
                             for workers in (args.workers, 1, 3)]
            rows += [run for run in (peer, default, *deterministic) if run]
            same = len({run["sha256"] for run in deterministic}) == 1
            det = deterministic[0]
            peer_speed, det_over_peer = ("-", "-") if peer is None else (
                f"{peer['words_per_s']:,.0f}", f"{det['words_per_s'] / peer['words_per_s']:.2f}x")
            table.append(
                f"| {mode} | {peer_speed} | {default['words_per_s']:,.0f} | "
                f"{det['words_per_s']:,.0f} | {det['words_per_s'] / default['words_per_s']:.2f}x"
                f" | {det_over_peer} | "
                f"{default['ws353']:.3f} / {det['ws353']:.3f} | "
                f"{default['analogy']:.3f} / {det['analogy']:.3f} | "
                f"{'yes' if same else 'NO'} |")

    print(f"\n{args.workers} threads; bit-identical: the deterministic runs with "
          f"{args.workers}, 1 and 3 threads")
    print("| mode | gensim words/s | default words/s | deterministic words/s | det / default | "
          "det / gensim | WS-353 default / det | analogy default / det | bit-identical |")
    print("|---|---|---|---|---|---|---|---|---|")
    print("\n".join(table))
    write_json(args.json, rows)


if __name__ == "__main__":
    main()
