"""Benchmark fastemb's Word2Vec against gensim side by side, in one run.

For each mode (SG-NS, CBOW-NS, SG-HS, CBOW-HS) it trains gensim and fastemb
alternately on the same corpus with DESIGN.md's reference settings
(vector_size 100, window 5, min_count 5, sample 1e-3, negative 5, 5 epochs),
each in its own process, and prints raw words/s, the ratio to gensim, peak
RSS, WordSim-353 Spearman and analogy accuracy (restrict_vocab 30000). It
also trains fastemb with one worker to report the thread scaling.

Usage::

    python bench/comparisons/word2vec_vs_gensim.py [--corpus ../shared/data/gcide8.txt.gz]
        [--modes sg-ns,cbow-ns,sg-hs,cbow-hs] [--workers 2] [--repeats 1]
        [--gensim-input iterable|file] [--json results.json]
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # harness
from harness import SHARED, mean, plain_corpus, run_child, write_json  # noqa: E402


def _run(system, mode, corpus, workers, eval_dir, seed):
    return run_child({"model": "word2vec", "system": system, "mode": mode, "corpus": corpus,
                      "workers": workers, "eval-dir": eval_dir, "seed": seed})


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", default=os.path.join(SHARED, "gcide8.txt.gz"))
    parser.add_argument("--eval-dir", default=os.path.join(SHARED, "eval"))
    parser.add_argument("--modes", default="sg-ns,cbow-ns,sg-hs,cbow-hs")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=1,
                        help="runs per system and mode (seeds 1..N); figures are means")
    parser.add_argument("--gensim-input", choices=["iterable", "file"], default="iterable",
                        help="gensim from a LineSentence iterable or its corpus_file path")
    parser.add_argument("--no-scaling", action="store_true", help="skip the 1-worker runs")
    parser.add_argument("--json", help="also write all measurements to this file")
    args = parser.parse_args()

    gensim_system = "gensim-file" if args.gensim_input == "file" else "gensim"
    rows = []
    with plain_corpus(args.corpus) as corpus:
        for mode in args.modes.split(","):
            print(f"{mode}:", flush=True)
            for seed in range(1, args.repeats + 1):
                rows.append(_run(gensim_system, mode, corpus, args.workers, args.eval_dir, seed))
                rows.append(_run("fastemb", mode, corpus, args.workers, args.eval_dir, seed))
                if not args.no_scaling and seed == 1:
                    rows.append(_run("fastemb", mode, corpus, 1, args.eval_dir, seed))

    print()
    print("| mode | gensim words/s | fastemb words/s | speed ratio | 2w/1w scaling | "
          "peak RSS gensim / fastemb | WS-353 gensim / fastemb | analogy gensim / fastemb |")
    print("|---|---|---|---|---|---|---|---|")
    for mode in args.modes.split(","):
        peer = [r for r in rows if r["mode"] == mode and r["system"] == gensim_system]
        ours = [r for r in rows if r["mode"] == mode and r["system"] == "fastemb"
                and r["workers"] == args.workers]
        single = [r for r in rows if r["mode"] == mode and r["system"] == "fastemb"
                  and r["workers"] == 1]
        scaling = (f"{ours[0]['words_per_s'] / single[0]['words_per_s']:.2f}x"
                   if single else "n/a")
        print(f"| {mode} | {mean(peer, 'words_per_s'):,.0f} | {mean(ours, 'words_per_s'):,.0f} | "
              f"{mean(ours, 'words_per_s') / mean(peer, 'words_per_s'):.2f}x | {scaling} | "
              f"{mean(peer, 'peak_rss_mb'):.0f} / {mean(ours, 'peak_rss_mb'):.0f} MB | "
              f"{mean(peer, 'ws353'):.3f} / {mean(ours, 'ws353'):.3f} | "
              f"{mean(peer, 'analogy'):.3f} / {mean(ours, 'analogy'):.3f} |")
    print(f"\n{args.workers} worker threads; {args.repeats} run(s) per system and mode; "
          f"gensim input: {args.gensim_input}; corpus {os.path.basename(args.corpus)}")
    write_json(args.json, rows)


if __name__ == "__main__":
    main()
