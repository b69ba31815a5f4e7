"""Benchmark fastemb's GloVe, and Stanford GloVe when its binaries are given.

fastemb runs in its own process, by default and with ``deterministic=True``
(training in strata), and reports, per phase, wall time and peak RSS:
vocabulary + co-occurrence counting, then training (seconds per epoch), then
WordSim-353 Spearman and analogy accuracy (restrict_vocab 30000). With
``--seeds`` every system trains once a seed (Stanford counts once) and the
table gives the means.

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
        [--stanford-dir DIR] [--epochs 15] [--workers 2] [--x-max 10] [--seeds 1,2,3]
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
                  max_memory=args.max_memory, deterministic=args.deterministic)
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


def run_stanford(folder, corpus, workdir, args, seeds):
    """Run Stanford's four binaries, counting once and training once a seed;
    return one measurement a seed, as :func:`run_fastemb`'s."""
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
    sys.path.insert(0, os.path.join(HERE, "..", ".."))
    from fastemb import KeyedVectors
    runs = []
    for seed in seeds:
        save = os.path.join(workdir, "vectors")
        t_glove, rss_glove, _ = _measure([
            tool("glove"), "-save-file", save, "-threads", str(args.workers), "-input-file",
            shuf, "-x-max", str(args.x_max), "-iter", str(args.epochs), "-vector-size", "100",
            "-binary", "0", "-vocab-file", vocab, "-verbose", "0", "-eta", "0.05",
            "-alpha", "0.75", "-seed", str(seed)])
        kv = KeyedVectors.load_word2vec_format(save + ".txt", no_header=True)
        runs.append({"count_s": t_vocab + t_cooc + t_shuf, "train_s": t_glove,
                     "count_rss_mb": max(rss_vocab, rss_cooc, rss_shuf),
                     "epoch_s": t_glove / args.epochs, "peak_rss_mb": rss_glove,
                     **_quality(kv, args.eval_dir)})
    return runs


def _mean(runs, key):
    return sum(run[key] for run in runs) / len(runs)


def _print_table(systems, workers, seeds):
    """One column a system (name -> its runs), figures averaged over seeds."""
    names = list(systems)
    print("| | " + " | ".join(names) + " |")
    print("|---" * (len(names) + 1) + "|")
    rows = [("vocabulary + co-occurrence (+ Stanford's shuffle), s", "count_s", "{:.1f}"),
            ("training, s a epoch", "epoch_s", "{:.2f}"),
            ("end to end, s", "total_s", "{:.1f}"),
            ("peak RSS counting, MB", "count_rss_mb", "{:.0f}"),
            ("peak RSS, MB", "peak_rss_mb", "{:.0f}"),
            ("WS-353 Spearman", "ws353", "{:.3f}"),
            ("analogy accuracy", "analogy", "{:.3f}")]
    for runs in systems.values():
        for run in runs:
            run["total_s"] = run["count_s"] + run["train_s"]
    for label, key, form in rows:
        print(f"| {label} | " + " | ".join(form.format(_mean(systems[n], key)) for n in names)
              + " |")
    reference = systems[names[0]]
    for name in names[1:]:
        end_to_end = _mean(reference, "total_s") / _mean(systems[name], "total_s")
        training = _mean(reference, "epoch_s") / _mean(systems[name], "epoch_s")
        print(f"\n{name}: {end_to_end:.2f}x {names[0]}'s speed end to end, {training:.2f}x "
              "in training")
    print(f"\n{workers} threads; seeds {', '.join(map(str, seeds))} (means); WS-353 a seed:")
    for name in names:
        print(f"  {name}: " + ", ".join(f"{run['ws353']:.3f}" for run in systems[name]))


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
    parser.add_argument("--seeds", default="1", help="comma-separated; figures are the means")
    parser.add_argument("--seed", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--deterministic", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:  # measured in its own process
        json.dump(run_fastemb(args.corpus, args), sys.stdout)
        return

    seeds = [int(seed) for seed in args.seeds.split(",")]
    workdir = tempfile.mkdtemp(prefix="fastemb-glove-bench-")
    systems = {}
    try:
        corpus = args.corpus
        if corpus.endswith(".gz"):
            corpus = os.path.join(workdir, "corpus.txt")
            with gzip.open(args.corpus, "rb") as src, open(corpus, "wb") as dst:
                shutil.copyfileobj(src, dst)
        if args.stanford_dir:
            systems["Stanford"] = run_stanford(args.stanford_dir, corpus, workdir, args, seeds)
            source = "measured in this run"
        else:
            x_max = int(args.x_max)
            anchor = dict(STANFORD_ANCHOR, train_s=STANFORD_ANCHOR["epoch_s"] * args.epochs,
                          peak_rss_mb=STANFORD_ANCHOR["train_rss_mb"],
                          ws353=STANFORD_ANCHOR["ws353"].get(x_max, float("nan")),
                          analogy=STANFORD_ANCHOR["analogy"].get(x_max, float("nan")))
            systems["Stanford"] = [anchor]
            source = "from ../shared/ANCHORS.md (not run here: pass --stanford-dir)"
        for name, flags in (("fastemb", []), ("fastemb deterministic", ["--deterministic"])):
            systems[name] = []
            for seed in seeds:
                child = [sys.executable, os.path.abspath(__file__), "--child", "--corpus",
                         corpus, "--eval-dir", args.eval_dir, "--epochs", str(args.epochs),
                         "--workers", str(args.workers), "--x-max", str(args.x_max),
                         "--max-memory", str(args.max_memory), "--seed", str(seed), *flags]
                systems[name].append(json.loads(subprocess.run(
                    child, check=True, capture_output=True, text=True).stdout))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    print(f"fastemb: {systems['fastemb'][0]['nnz']:,} non-zero co-occurrences")
    print(f"Stanford GloVe figures: {source}\n")
    _print_table(systems, args.workers, seeds)
    print(f"{args.epochs} epochs, x_max {args.x_max:g}, corpus {os.path.basename(args.corpus)}")


if __name__ == "__main__":
    main()
