"""Benchmark floret mode: fastemb's FastText with ``mode="floret"`` against
the same model in standard mode, and against explosion's floret (C++) in
both modes, side by side in one run.

Settings: the FastText benchmark's (vector_size 100, window 5, min_count 5,
min_n 3, max_n 6, lr 0.05, sample 1e-4, noise exponent 0.5, 5 epochs,
skip-gram with negative sampling); standard mode with 2,000,000 buckets,
floret mode with ``--floret`` buckets and hashes (default 50,000 and 2).
Every system is timed end to end (vocabulary + training) in its own
process. Reported: words/s and its ratio to floret's C++ in the same mode,
peak RSS, WordSim-353 (in-vocabulary pairs and every pair), analogy
accuracy, and the size of the ``.bin`` each writes.

Usage::

    python bench/comparisons/floret_vs_fasttext.py [--corpus ../shared/data/gcide8.txt.gz]
        [--floret 50000,2] [--workers 2] [--repeats 1] [--json out.json]
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # harness
from harness import SHARED, mean, plain_corpus, run_child, write_json  # noqa: E402

#: (label, system, floret mode?) in the order they run
RUNS = (("fastemb standard", "fastemb", False), ("floret C++ standard", "floret", False),
        ("fastemb floret", "fastemb", True), ("floret C++ floret", "floret", True))


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", default=os.path.join(SHARED, "gcide8.txt.gz"))
    parser.add_argument("--eval-dir", default=os.path.join(SHARED, "eval"))
    parser.add_argument("--floret", default="50000,2", help="BUCKET,HASHES of floret mode")
    parser.add_argument("--mode", default="sg-ns")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--runs", default=",".join(label for label, _, _ in RUNS),
                        help="which of the four runs (by label)")
    parser.add_argument("--json", help="also write all measurements to this file")
    args = parser.parse_args()
    wanted = args.runs.split(",")

    rows = []
    with plain_corpus(args.corpus) as corpus:
        for seed in range(1, args.repeats + 1):
            for label, system, floret in RUNS:
                if label not in wanted:
                    continue
                options = {"model": "fasttext", "system": system, "mode": args.mode,
                           "corpus": corpus, "workers": args.workers, "epochs": args.epochs,
                           "seed": seed, "eval-dir": args.eval_dir, "size": 1}
                if floret:
                    options["floret"] = args.floret
                row = run_child(options)
                row["label"] = label
                rows.append(row)

    print()
    print("| run | words/s | vs floret C++ same mode | peak RSS | .bin | WS-353 | "
          "WS-353 all pairs | analogy |")
    print("|---|---|---|---|---|---|---|---|")
    by_label = {label: [r for r in rows if r["label"] == label] for label in wanted}
    for label in wanted:
        rs = by_label[label]
        if not rs:
            continue
        peer = by_label.get(label.replace("fastemb", "floret C++"))
        ratio = f"{mean(rs, 'words_per_s') / mean(peer, 'words_per_s'):.2f}x" \
            if peer and label.startswith("fastemb") else "-"
        print(f"| {label} | {mean(rs, 'words_per_s'):,.0f} | {ratio} | "
              f"{mean(rs, 'peak_rss_mb'):.0f} MB | {mean(rs, 'bin_mb'):.1f} MB | "
              f"{mean(rs, 'ws353'):.3f} | {mean(rs, 'ws353_all'):.3f} | "
              f"{mean(rs, 'analogy'):.3f} |")
    standard, hashed = by_label.get("fastemb standard"), by_label.get("fastemb floret")
    if standard and hashed:
        def gain(key):
            return mean(hashed, key) - mean(standard, key)
        smaller = mean(standard, "bin_mb") / mean(hashed, "bin_mb")
        print(f"\nfastemb floret vs standard: .bin {smaller:.1f}x smaller, WS-353 "
              f"{gain('ws353'):+.3f}, all pairs {gain('ws353_all'):+.3f}, analogy "
              f"{gain('analogy'):+.3f}")
    print(f"\n{args.workers} worker threads; {args.repeats} run(s) each; {args.epochs} epochs; "
          f"floret mode {args.floret} (buckets, hashes); corpus {os.path.basename(args.corpus)}")
    write_json(args.json, rows)


if __name__ == "__main__":
    main()
