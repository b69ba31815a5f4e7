"""Kill training runs with SIGKILL at random moments, resume each from its
last checkpoint, and check that the vectors end bit-identical to an
uninterrupted run: the figures of the README's reliability table.

Each model trains on the corpus with one thread and a fixed seed through the
command line (``fastemb train --checkpoint``), is killed after a random
delay, continued with ``fastemb train --resume`` (or started again when no
checkpoint exists yet), killed again, and so on ``--kills`` times before the
last run may finish. Checkpoints are written often (``--every``), so many
kills land while one is being written.

Usage::

    python bench/campaigns/kill_campaign.py [--corpus ../shared/data/kjv.txt.gz]
        [--kills 25] [--seed 1]
"""
import argparse
import gzip
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)
import fastemb  # noqa: E402 - after the path: the checkout's, when built in place

#: Where that fastemb lives: the runs start there, so they import the same one.
PACKAGE_HOME = os.path.dirname(os.path.dirname(os.path.abspath(fastemb.__file__)))

#: Model options and checkpoint interval of each run (about 100 checkpoints).
RUNS = {
    "word2vec skip-gram, negative sampling": (["--model", "word2vec", "--sg"], "60k words"),
    "word2vec CBOW, hierarchical softmax": (["--model", "word2vec", "--cbow", "--hs",
                                             "--negative", "0"], "60k words"),
    # 200,000 buckets, not 2 million: each checkpoint writes every n-gram row
    "fasttext CBOW": (["--model", "fasttext", "--cbow", "--bucket", "200000"], "60k words"),
    "doc2vec PV-DM": (["--model", "doc2vec"], "120k words"),
    "glove": (["--model", "glove", "--epochs", "15"], "1M entries"),
}


def _command(corpus, output, *options):
    return [sys.executable, "-m", "fastemb", "train", corpus, "-o", output, *options,
            "--workers", "1", "--seed", "5", "--vector-size", "50", "--quiet"]


def _vectors(path):
    from fastemb.cli import _resume_class
    model = _resume_class(path).load(path)
    return model.wv.vectors


def _one_run(start, resume, checkpoint, duration, rng, env):
    """Train to the end through random SIGKILLs; returns (kills, resumes,
    restarts). A resumed run has less left to do, so the kills come sooner
    and sooner until a run finishes."""
    command, kills, resumes, restarts = start, 0, 0, 0
    while True:
        process = subprocess.Popen(command, env=env, cwd=PACKAGE_HOME,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            _, err = process.communicate(timeout=rng.uniform(0.2, duration))
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGKILL)
            process.communicate()
            kills += 1
        else:
            if process.returncode != 0:
                raise SystemExit(f"a run failed:\n{err.decode()}")
            return kills, resumes, restarts
        if os.path.exists(checkpoint):
            command, resumes = resume, resumes + 1
        else:
            restarts += 1


def campaign(name, corpus, folder, kills, rng):
    """Run one model's campaign: runs killed and resumed until ``kills``
    kills in all; returns its row of the table."""
    options, every = RUNS[name]
    env = dict(os.environ, PYTHONPATH=PACKAGE_HOME)
    reference, output = os.path.join(folder, "ref.model"), os.path.join(folder, "out.model")
    checkpoint = os.path.join(folder, "run.ckpt")
    started = time.perf_counter()
    subprocess.run(_command(corpus, reference, *options), env=env, cwd=PACKAGE_HOME,
                   check=True, stderr=subprocess.DEVNULL)
    duration = time.perf_counter() - started
    start = _command(corpus, output, *options, "--checkpoint", checkpoint,
                     "--checkpoint-every", every)
    resume = _command(corpus, output, "--resume", checkpoint)
    row = {"model": name, "runs": 0, "kills": 0, "resumes": 0, "restarts": 0,
           "identical": 0, "seconds": round(duration, 2)}
    expected = _vectors(reference)
    while row["kills"] < kills:
        for stale in (output, checkpoint):
            if os.path.exists(stale):
                os.unlink(stale)
        run_kills, run_resumes, run_restarts = _one_run(start, resume, checkpoint, duration,
                                                        rng, env)
        row["runs"] += 1
        row["kills"] += run_kills
        row["resumes"] += run_resumes
        row["restarts"] += run_restarts
        row["identical"] += bool(np.array_equal(_vectors(output), expected))
    return row


def _select(names):
    """The runs named (all when none are)."""
    unknown = [n for n in names if n not in RUNS]
    if unknown:
        raise SystemExit(f"unknown run {unknown[0]!r}; choose among {sorted(RUNS)}")
    return names or list(RUNS)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", default=os.path.join(ROOT, "..", "shared", "data",
                                                         "kjv.txt.gz"))
    parser.add_argument("--kills", type=int, default=25, help="kills per model")
    parser.add_argument("--seed", type=int, default=1, help="seed of the kill delays")
    parser.add_argument("--only", action="append", default=[], metavar="RUN",
                        help="run only this model (repeatable)")
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as folder:
        corpus = args.corpus
        if corpus.endswith(".gz"):
            corpus = os.path.join(folder, "corpus.txt")
            with gzip.open(args.corpus, "rb") as source, open(corpus, "wb") as target:
                shutil.copyfileobj(source, target)
        print(f"kill campaign on {args.corpus}, 1 thread, {args.kills} kills per model")
        print("| model | runs | SIGKILLs | resumes | restarts (no checkpoint yet) | "
              "bit-identical to the uninterrupted run | uninterrupted run |")
        print("|---|---|---|---|---|---|---|")
        failed = False
        for name in _select(args.only):
            run_folder = tempfile.mkdtemp(dir=folder)
            row = campaign(name, corpus, run_folder, args.kills, rng)
            failed |= row["identical"] != row["runs"]
            print(f"| {name} | {row['runs']} | {row['kills']} | {row['resumes']} | "
                  f"{row['restarts']} | {row['identical']} of {row['runs']} | "
                  f"{row['seconds']} s |", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
