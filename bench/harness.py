"""Pieces every side-by-side benchmark shares: the shared data folder, an
uncompressed copy of the corpus, running one measured training in a child
process (so each run's peak RSS is its own), and means over repeats."""
import contextlib
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def _data_folder(argv):
    """The benchmark data folder: ``--data DIR`` on the command line (taken
    off ``argv`` here, before the script parses its own flags, so that every
    script accepts it), else ``FASTEMB_BENCH_DATA``, else ``../shared/data``
    beside the repository."""
    if "--data" in argv[:-1]:
        at = argv.index("--data")
        folder = argv[at + 1]
        del argv[at:at + 2]
        return folder
    return os.environ.get("FASTEMB_BENCH_DATA", os.path.join(HERE, "..", "..", "shared", "data"))


SHARED = _data_folder(sys.argv)


@contextlib.contextmanager
def plain_corpus(path):
    """Yield an uncompressed copy of ``path`` (or ``path`` itself), so that no
    system's timing includes decompression; removed afterwards."""
    if not path.endswith(".gz"):
        yield path
        return
    workdir = tempfile.mkdtemp(prefix="fastemb-bench-")
    try:
        plain = os.path.join(workdir, "corpus.txt")
        with gzip.open(path, "rb") as src, open(plain, "wb") as dst:
            shutil.copyfileobj(src, dst)
        yield plain
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def run_child(options):
    """Run ``bench/run_one.py`` with ``options`` (a dict of flag -> value) and
    return the JSON line it prints, echoing a one-line summary."""
    cmd = [sys.executable, os.path.join(HERE, "run_one.py")]
    for flag, value in options.items():
        cmd += [f"--{flag}", str(value)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{proc.stderr[-3000:]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    extra = f"  ws353-all {result['ws353_all']:.3f}" if "ws353_all" in result else ""
    print(f"  {result['system']:12s} {result['mode']:8s} workers={result['workers']} "
          f"{result['words_per_s']:>10,.0f} words/s {result['peak_rss_mb']:7.0f} MB  "
          f"ws353 {result['ws353']:.3f}  analogy {result['analogy']:.3f}{extra}", flush=True)
    return result


def mean(rows, key):
    """Mean of ``key`` over ``rows``."""
    return sum(r[key] for r in rows) / len(rows)


def write_json(path, rows):
    """Save all measurements when ``path`` is given."""
    if path:
        with open(path, "w") as handle:
            json.dump(rows, handle, indent=1)
