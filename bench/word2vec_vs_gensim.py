"""Benchmark fastemb's Word2Vec against gensim side by side, in one run.

For each mode (SG-NS, CBOW-NS, SG-HS, CBOW-HS) it trains gensim and fastemb
alternately on the same corpus with DESIGN.md's reference settings
(vector_size 100, window 5, min_count 5, sample 1e-3, negative 5, 5 epochs),
each in its own process, and prints raw words/s, the ratio to gensim, peak
RSS, WordSim-353 Spearman and analogy accuracy (restrict_vocab 30000). It
also trains fastemb with one worker to report the thread scaling.

Usage::

    python bench/word2vec_vs_gensim.py [--corpus ../shared/data/gcide8.txt.gz]
        [--modes sg-ns,cbow-ns,sg-hs,cbow-hs] [--workers 2] [--repeats 1]
        [--gensim-input iterable|file] [--json results.json]
"""
import argparse
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.path.join(HERE, "..", "..", "shared", "data")


def _run(system, mode, corpus, workers, eval_dir, seed):
    cmd = [sys.executable, os.path.join(HERE, "run_one.py"), "--system", system, "--mode", mode,
           "--corpus", corpus, "--workers", str(workers), "--eval-dir", eval_dir,
           "--seed", str(seed)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    result = json.loads(out.strip().splitlines()[-1])
    print(f"  {system:12s} {mode:8s} workers={workers} {result['words_per_s']:>10,.0f} words/s "
          f"{result['peak_rss_mb']:7.0f} MB  ws353 {result['ws353']:.3f}  "
          f"analogy {result['analogy']:.3f}", flush=True)
    return result


def _mean(rows, key):
    return sum(r[key] for r in rows) / len(rows)


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

    workdir = tempfile.mkdtemp(prefix="fastemb-bench-")
    corpus = args.corpus
    if corpus.endswith(".gz"):
        # both systems read the same uncompressed file, so decompression is not timed
        corpus = os.path.join(workdir, "corpus.txt")
        with gzip.open(args.corpus, "rb") as src, open(corpus, "wb") as dst:
            shutil.copyfileobj(src, dst)
    gensim_system = "gensim-file" if args.gensim_input == "file" else "gensim"
    rows = []
    try:
        for mode in args.modes.split(","):
            print(f"{mode}:", flush=True)
            for seed in range(1, args.repeats + 1):
                rows.append(_run(gensim_system, mode, corpus, args.workers, args.eval_dir, seed))
                rows.append(_run("fastemb", mode, corpus, args.workers, args.eval_dir, seed))
                if not args.no_scaling and seed == 1:
                    rows.append(_run("fastemb", mode, corpus, 1, args.eval_dir, seed))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

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
        print(f"| {mode} | {_mean(peer, 'words_per_s'):,.0f} | {_mean(ours, 'words_per_s'):,.0f} | "
              f"{_mean(ours, 'words_per_s') / _mean(peer, 'words_per_s'):.2f}x | {scaling} | "
              f"{_mean(peer, 'peak_rss_mb'):.0f} / {_mean(ours, 'peak_rss_mb'):.0f} MB | "
              f"{_mean(peer, 'ws353'):.3f} / {_mean(ours, 'ws353'):.3f} | "
              f"{_mean(peer, 'analogy'):.3f} / {_mean(ours, 'analogy'):.3f} |")
    print(f"\n{args.workers} worker threads; {args.repeats} run(s) per system and mode; "
          f"gensim input: {args.gensim_input}; corpus {os.path.basename(args.corpus)}")
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(rows, handle, indent=1)


if __name__ == "__main__":
    main()
