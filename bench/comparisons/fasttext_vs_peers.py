"""Benchmark fastemb's FastText against Facebook's fastText (C++, through
``fasttext-wheel``) and gensim's FastText, side by side in one run.

Settings (the FastText issue's): vector_size 100, window 5, min_count 5,
negative 5, min_n 3, max_n 6, bucket 2,000,000, 5 epochs, learning rate
0.05, sample 1e-4, on skip-gram and CBOW with negative sampling. Systems run
alternately, each in its own process. Every system is timed end to end
(vocabulary + training), because fastText's C++ cannot be timed in parts.
Reported: raw words/s (corpus words x epochs / seconds), ratios to the
faster peer, peak RSS, WordSim-353 Spearman over in-vocabulary pairs and
over every pair (unseen words through their n-grams), and analogy accuracy
(restrict_vocab 30000).

Usage::

    python bench/comparisons/fasttext_vs_peers.py [--corpus ../shared/data/gcide8.txt.gz]
        [--modes sg-ns,cbow-ns] [--workers 2] [--repeats 1] [--json out.json]
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # harness
from harness import SHARED, mean, plain_corpus, run_child, write_json  # noqa: E402

SYSTEMS = ("fasttext", "gensim", "fastemb")
LABELS = {"fasttext": "fastText C++", "gensim": "gensim", "fastemb": "fastemb"}


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", default=os.path.join(SHARED, "gcide8.txt.gz"))
    parser.add_argument("--eval-dir", default=os.path.join(SHARED, "eval"))
    parser.add_argument("--modes", default="sg-ns,cbow-ns")
    parser.add_argument("--systems", default=",".join(SYSTEMS))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=1,
                        help="runs per system and mode (seeds 1..N); figures are means")
    parser.add_argument("--json", help="also write all measurements to this file")
    args = parser.parse_args()
    systems = args.systems.split(",")

    rows = []
    with plain_corpus(args.corpus) as corpus:
        for mode in args.modes.split(","):
            print(f"{mode}:", flush=True)
            for seed in range(1, args.repeats + 1):
                for system in systems:
                    rows.append(run_child({
                        "model": "fasttext", "system": system, "mode": mode, "corpus": corpus,
                        "workers": args.workers, "epochs": args.epochs, "seed": seed,
                        "eval-dir": args.eval_dir}))

    print()
    print("| mode | system | words/s | vs faster peer | peak RSS | WS-353 | WS-353 all pairs "
          "| analogy |")
    print("|---|---|---|---|---|---|---|---|")
    for mode in args.modes.split(","):
        by_system = {s: [r for r in rows if r["mode"] == mode and r["system"] == s]
                     for s in systems}
        peers = [s for s in systems if s != "fastemb"]
        fastest = max((mean(by_system[s], "words_per_s") for s in peers), default=None)
        for system in systems:
            rs = by_system[system]
            ratio = f"{mean(rs, 'words_per_s') / fastest:.2f}x" if fastest else "n/a"
            print(f"| {mode} | {LABELS[system]} | {mean(rs, 'words_per_s'):,.0f} | {ratio} | "
                  f"{mean(rs, 'peak_rss_mb'):.0f} MB | {mean(rs, 'ws353'):.3f} | "
                  f"{mean(rs, 'ws353_all'):.3f} | {mean(rs, 'analogy'):.3f} |")
    print(f"\n{args.workers} worker threads; {args.repeats} run(s) per system and mode; "
          f"{args.epochs} epochs; corpus {os.path.basename(args.corpus)}")
    write_json(args.json, rows)


if __name__ == "__main__":
    main()
