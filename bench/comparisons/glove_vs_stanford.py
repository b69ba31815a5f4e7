"""Benchmark fastemb's GloVe, and Stanford GloVe when its binaries are given.

fastemb runs in its own process and reports, per phase, wall time and peak
RSS: vocabulary + co-occurrence counting, then training (seconds per epoch),
then WordSim-353 Spearman and analogy accuracy (restrict_vocab 30000).

Stanford GloVe is not on PyPI: pass the folder holding its built binaries
(``vocab_count``, ``cooccur``, ``shuffle``, ``glove``) with ``--stanford-dir``
or the environment variable ``STANFORD_GLOVE_DIR`` to run it side by side on
the same corpus and settings; each of its phases is timed, with the peak RSS
of each process. Without them, the figures measured for it on this corpus
(``../shared/ANCHORS.md``) are printed for reference, marked as such.

Reference settings: vector_size 100, window 10, min_count 5, x_max 10,
alpha 0.75, learning rate 0.05, 15 epochs, 2 threads.

Usage::

    python bench/comparisons/glove_vs_stanford.py [--corpus ../shared/data/gcide8.txt.gz]
        [--stanford-dir DIR] [--epochs 15] [--workers 2] [--x-max 10]
"""
import argparse
import gzip
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # harness
from harness import SHARED  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))

#: Stanford GloVe on gcide8 with these settings, from ../shared/ANCHORS.md
#: (2-core machine of this project's kind, 2 threads, -memory 4.0).
STANFORD_ANCHOR = {"count_s": 0.74 + 9.75 + 6.90, "count_rss_mb": 872, "epoch_s": 20.5,
                   "train_rss_mb": 150, "ws353": {10: 0.466, 100: 0.314},
                   "analogy": {10: 0.116, 100: 0.054}}


def _measure(cmd, stdin=None, stdout=None):
    """Run ``cmd``; return (seconds, peak RSS in MB, stderr text)."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdin=stdin, stdout=stdout, stderr=subprocess.PIPE)
    err = proc.stderr.read().decode("utf-8", "replace")
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd[0]} failed ({proc.returncode}): {err[-2000:]}")
    return time.perf_counter() - started, usage.ru_maxrss / 1024.0, err


def run_fastemb(corpus, args):
    """Train in this process (called in a child) and return the measurements."""
    sys.path.insert(0, os.path.join(HERE, "..", ".."))
    from fastemb import GloVe
    model = GloVe(vector_size=100, window=10, min_count=5, x_max=args.x_max, alpha=0.75,
                  learning_rate=0.05, epochs=args.epochs, workers=args.workers, seed=args.seed,
                  max_memory=args.max_memory)
    started = time.perf_counter()
    model.build_vocab(corpus_file=corpus)
    matrix = model.build_cooccurrence(corpus_file=corpus)
    count_s = time.perf_counter() - started
    count_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    started = time.perf_counter()
    model.train()
    train_s = time.perf_counter() - started
    epoch_s = sum(s["seconds"] for s in model.train_stats) / len(model.train_stats)
    return {"count_s": count_s, "count_rss_mb": count_rss, "train_s": train_s,
            "epoch_s": epoch_s, "nnz": matrix.nnz,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
            **_quality(model.wv, args.eval_dir)}


def _quality(kv, eval_dir):
    pairs = kv.evaluate_word_pairs(os.path.join(eval_dir, "wordsim353.tsv"))
    analogy, _ = kv.evaluate_word_analogies(os.path.join(eval_dir, "questions-words.txt"),
                                            restrict_vocab=30000)
    return {"ws353": float(pairs[1][0]), "analogy": float(analogy)}


def run_stanford(folder, corpus, workdir, args):
    """Run Stanford's four binaries; return the same measurements."""
    def tool(name):
        path = os.path.join(folder, name)
        if not os.access(path, os.X_OK):
            raise FileNotFoundError(f"no executable {name} in {folder}")
        return path

    vocab = os.path.join(workdir, "vocab.txt")
    cooc = os.path.join(workdir, "cooccurrence.bin")
    shuf = os.path.join(workdir, "cooccurrence.shuf.bin")
    with open(corpus, "rb") as src, open(vocab, "wb") as dst:
        t_vocab, rss_vocab, _ = _measure([tool("vocab_count"), "-min-count", "5",
                                          "-verbose", "0"], src, dst)
    with open(corpus, "rb") as src, open(cooc, "wb") as dst:
        t_cooc, rss_cooc, _ = _measure([tool("cooccur"), "-memory", "4.0", "-vocab-file", vocab,
                                        "-verbose", "0", "-window-size", "10"], src, dst)
    with open(cooc, "rb") as src, open(shuf, "wb") as dst:
        t_shuf, rss_shuf, _ = _measure([tool("shuffle"), "-memory", "4.0", "-verbose", "0"],
                                       src, dst)
    save = os.path.join(workdir, "vectors")
    t_glove, rss_glove, _ = _measure([
        tool("glove"), "-save-file", save, "-threads", str(args.workers), "-input-file", shuf,
        "-x-max", str(args.x_max), "-iter", str(args.epochs), "-vector-size", "100",
        "-binary", "0", "-vocab-file", vocab, "-verbose", "0", "-eta", "0.05",
        "-alpha", "0.75"])
    sys.path.insert(0, os.path.join(HERE, "..", ".."))
    from fastemb import KeyedVectors
    kv = KeyedVectors.load_word2vec_format(save + ".txt", no_header=True)
    return {"count_s": t_vocab + t_cooc + t_shuf,
            "count_rss_mb": max(rss_vocab, rss_cooc, rss_shuf),
            "epoch_s": t_glove / args.epochs, "train_rss_mb": rss_glove,
            **_quality(kv, args.eval_dir)}


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", default=os.path.join(SHARED, "gcide8.txt.gz"))
    parser.add_argument("--eval-dir", default=os.path.join(SHARED, "eval"))
    parser.add_argument("--stanford-dir", default=os.environ.get("STANFORD_GLOVE_DIR"))
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--x-max", type=float, default=10.0)
    parser.add_argument("--max-memory", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:  # measured in its own process
        json.dump(run_fastemb(args.corpus, args), sys.stdout)
        return

    workdir = tempfile.mkdtemp(prefix="fastemb-glove-bench-")
    try:
        corpus = args.corpus
        if corpus.endswith(".gz"):
            corpus = os.path.join(workdir, "corpus.txt")
            with gzip.open(args.corpus, "rb") as src, open(corpus, "wb") as dst:
                shutil.copyfileobj(src, dst)
        child = [sys.executable, os.path.abspath(__file__), "--child", "--corpus", corpus,
                 "--eval-dir", args.eval_dir, "--epochs", str(args.epochs), "--workers",
                 str(args.workers), "--x-max", str(args.x_max), "--max-memory",
                 str(args.max_memory), "--seed", str(args.seed)]
        ours = json.loads(subprocess.run(child, check=True, capture_output=True,
                                         text=True).stdout)
        if args.stanford_dir:
            peer = run_stanford(args.stanford_dir, corpus, workdir, args)
            source = "measured in this run"
        else:
            x_max = int(args.x_max)
            peer = dict(STANFORD_ANCHOR, ws353=STANFORD_ANCHOR["ws353"].get(x_max, float("nan")),
                        analogy=STANFORD_ANCHOR["analogy"].get(x_max, float("nan")))
            source = "from ../shared/ANCHORS.md (not run here: pass --stanford-dir)"
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    print(f"fastemb: {ours['nnz']:,} non-zero co-occurrences; counting peak RSS "
          f"{ours['count_rss_mb']:.0f} MB, overall {ours['peak_rss_mb']:.0f} MB")
    print(f"Stanford GloVe figures: {source}\n")
    print("| phase | Stanford | fastemb | speed-up |")
    print("|---|---|---|---|")
    print(f"| vocabulary + co-occurrence (+ Stanford's shuffle) | {peer['count_s']:.2f} s | "
          f"{ours['count_s']:.2f} s | {peer['count_s'] / ours['count_s']:.2f}x |")
    print(f"| one training epoch | {peer['epoch_s']:.2f} s | {ours['epoch_s']:.2f} s | "
          f"{peer['epoch_s'] / ours['epoch_s']:.2f}x |")
    print(f"| peak RSS while counting | {peer['count_rss_mb']:.0f} MB | "
          f"{ours['count_rss_mb']:.0f} MB | |")
    print(f"| WS-353 Spearman | {peer['ws353']:.3f} | {ours['ws353']:.3f} | |")
    print(f"| analogy accuracy | {peer['analogy']:.3f} | {ours['analogy']:.3f} | |")
    print(f"\n{args.workers} threads, {args.epochs} epochs, x_max {args.x_max:g}, "
          f"corpus {os.path.basename(args.corpus)}")


if __name__ == "__main__":
    main()
