"""Text classification, fastemb against Facebook's fastText (fasttext-wheel),
side by side on every labelled set of the data folder's ``classify/``.

Each training runs in its own process (so its peak RSS is its own), the two
systems alternating, with the same arguments: ``wordNgrams=2 epoch=5 lr=0.5
dim=100 bucket=2000000`` and the thread count given (default 2), once with
``loss="softmax"`` and once with ``loss="hs"``, over several seeds. Reported
for each: training seconds (the whole ``train_supervised`` call, reading
included) and tokens/s, test P@1, the saved ``.bin`` size, peak RSS, and the
documents/s of predicting the whole test file (fastemb's list ``predict``
against fastText's ``test()``, its C++ loop; the best of five calls). With
``--quantize``, the first seed of each set also quantizes (``qnorm=True,
cutoff=100000, retrain=True``) and reports the ``.ftz``'s size and P@1 and
the seconds it took.

    python bench/comparisons/classify_vs_fasttext.py [--data DIR] [--threads 2]
        [--seeds 3] [--sets debian_sections,rt_snippets] [--losses softmax,hs] [--quantize]
"""
import argparse
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from harness import SHARED  # noqa: E402

SETS = ["debian_sections", "thucnews_title", "thucnews_title_char", "rt_snippets",
        "spamassassin"]

CHILD = r"""
import json, os, resource, sys, time
system, train, test, loss, seed, threads, out, quantize = sys.argv[1:9]
settings = dict(wordNgrams=2, epoch=5, lr=0.5, dim=100, bucket=2000000, loss=loss,
                thread=int(threads), seed=int(seed), verbose=0)
if system == "fastemb":
    from fastemb import fasttext
else:
    import fasttext
started = time.perf_counter()
model = fasttext.train_supervised(train, **settings)
seconds = time.perf_counter() - started
n, precision, _ = model.test(test)
with open(test, encoding="utf-8") as handle:
    lines = [line.rstrip("\n") for line in handle]
predict_seconds = float("inf")
for _ in range(5):  # the best of five: a small file takes tens of milliseconds
    started = time.perf_counter()
    if system == "fastemb":
        model.predict(lines)
    else:
        model.test(test)
    predict_seconds = min(predict_seconds, time.perf_counter() - started)
model.save_model(out)
result = {"seconds": seconds, "precision": precision, "n": n, "size": os.path.getsize(out),
          "predict_docs_s": len(lines) / predict_seconds,
          "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
if quantize == "1":
    started = time.perf_counter()
    model.quantize(input=train, qnorm=True, cutoff=100000, retrain=True, thread=int(threads))
    result["quantize_seconds"] = time.perf_counter() - started
    model.save_model(out[:-4] + ".ftz")
    result["ftz_size"] = os.path.getsize(out[:-4] + ".ftz")
    result["ftz_precision"] = model.test(test)[1]
print(json.dumps(result))
"""


def _tokens(path):
    """fastText's token count of a file: words, labels and one ``</s>`` a line."""
    with open(path, "rb") as handle:
        return sum(len(line.split()) + line.endswith(b"\n") for line in handle)


def run(system, train, test, loss, seed, threads, workdir, quantize=False):
    out = os.path.join(workdir, f"{system}.bin")
    proc = subprocess.run([sys.executable, "-c", CHILD, system, train, test, loss, str(seed),
                           str(threads), out, "1" if quantize else "0"], capture_output=True,
                          text=True, cwd=workdir)
    if proc.returncode != 0:
        raise RuntimeError(f"{system} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--sets", default=",".join(SETS))
    parser.add_argument("--losses", default="softmax,hs")
    parser.add_argument("--quantize", action="store_true")
    options = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="fastemb-classify-")
    rows = []
    try:
        for name in options.sets.split(","):
            paths = []
            for split in ("train", "test"):
                plain = os.path.join(workdir, f"{name}.{split}")
                with gzip.open(os.path.join(SHARED, "classify", f"{name}.{split}.gz")) as src, \
                        open(plain, "wb") as dst:
                    shutil.copyfileobj(src, dst)
                paths.append(plain)
            tokens = _tokens(paths[0]) * 5
            for loss in options.losses.split(","):
                results = {"fastemb": [], "fasttext": []}
                for seed in range(options.seeds):
                    order = ("fastemb", "fasttext") if seed % 2 == 0 else ("fasttext", "fastemb")
                    for system in order:
                        results[system].append(run(system, *paths, loss, seed, options.threads,
                                                   workdir, options.quantize and seed == 0))
                row = {"set": name, "loss": loss, "threads": options.threads}
                for system, runs in results.items():
                    mean = {key: sum(r[key] for r in runs) / len(runs) for key in runs[1 if
                            len(runs) > 1 else 0]}
                    for key in ("quantize_seconds", "ftz_size", "ftz_precision"):
                        if key in runs[0]:
                            mean[key] = runs[0][key]
                    mean["tokens_s"] = tokens / mean["seconds"]
                    row[system] = mean
                row["speedup"] = row["fasttext"]["seconds"] / row["fastemb"]["seconds"]
                row["p1_gap"] = row["fastemb"]["precision"] - row["fasttext"]["precision"]
                row["predict_ratio"] = (row["fastemb"]["predict_docs_s"] /
                                        row["fasttext"]["predict_docs_s"])
                rows.append(row)
                a, b = row["fastemb"], row["fasttext"]
                print(f"{name:20s} {loss:8s} train {a['seconds']:6.2f}s vs {b['seconds']:6.2f}s "
                      f"({row['speedup']:.2f}x)  P@1 {a['precision']:.4f} vs "
                      f"{b['precision']:.4f} ({row['p1_gap']:+.4f})  size "
                      f"{a['size'] / 1e6:.0f} vs {b['size'] / 1e6:.0f} MB  RSS "
                      f"{a['peak_rss_mb']:.0f} vs {b['peak_rss_mb']:.0f} MB  predict "
                      f"{row['predict_ratio']:.2f}x", flush=True)
                if "ftz_size" in a:
                    print(f"{'':20s} quantized  .ftz {a['ftz_size'] / 1e6:.1f} vs "
                          f"{b['ftz_size'] / 1e6:.1f} MB  P@1 {a['ftz_precision']:.4f} vs "
                          f"{b['ftz_precision']:.4f}  quantize {a['quantize_seconds']:.1f}s vs "
                          f"{b['quantize_seconds']:.1f}s", flush=True)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
