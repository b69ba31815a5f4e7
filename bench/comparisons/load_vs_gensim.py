"""Loading big pretrained vectors, fastemb against gensim, each load in its
own process (so its peak RSS is its own), the two alternating.

The files are made once in ``--workdir`` (kept between runs), shaped like
the ones users download: random vectors with realistic keys.

- ``binary``: GoogleNews-shaped word2vec binary, 3,000,000 x 300 (3.6 GB;
  keys with phrases joined by ``_`` and mixed case, as in GoogleNews).
- ``text``: crawl-shaped ``.vec`` text, ``--text-rows`` x 300 with four
  decimals and a space after the last value, as fastText's
  ``crawl-300d-2M.vec`` (2,000,000 rows there).

Reported for each: load seconds, peak RSS and its ratio to the float32
matrix, and a checksum of the loaded matrix (both systems must agree). With
``--native``, fastemb also saves the binary's vectors natively once and
times reopening them with ``mmap="r"`` and a first ``most_similar``.

    python bench/comparisons/load_vs_gensim.py [--workdir DIR] [--threads 2]
        [--repeats 1] [--text-rows 2000000] [--files binary,text] [--native]
        [--systems fastemb,gensim]

The speed-up printed is the best run against the best run.
"""
import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

DIM = 300

#: the process's own peak RSS in MB (ru_maxrss would carry the parent's
#: peak across exec, and this parent builds the files)
PEAK = r"""
def peak_rss_mb():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
"""

CHILD = PEAK + r"""
import json, sys, time
import numpy as np
system, path, binary, threads = sys.argv[1], sys.argv[2], sys.argv[3] == "1", int(sys.argv[4])
started = time.perf_counter()
if system == "gensim":
    from gensim.models import KeyedVectors
    kv = KeyedVectors.load_word2vec_format(path, binary=binary)
else:
    from fastemb import KeyedVectors
    kv = KeyedVectors.load_word2vec_format(path, binary=binary, workers=threads)
seconds = time.perf_counter() - started
vectors = kv.vectors
print(json.dumps({"seconds": seconds, "rows": len(kv.index_to_key),
                  "checksum": float(np.asarray(vectors[::997], dtype=np.float64).sum()),
                  "last_key": kv.index_to_key[-1],
                  "peak_rss_mb": peak_rss_mb()}))
"""

NATIVE = PEAK + r"""
import json, sys, time
from fastemb import KeyedVectors
path, native = sys.argv[1], sys.argv[2]
started = time.perf_counter()
kv = KeyedVectors.load(native, mmap="r")
opened = time.perf_counter() - started
started = time.perf_counter()
kv.most_similar(kv.index_to_key[12345], topn=10)
first = time.perf_counter() - started
started = time.perf_counter()
kv.most_similar(kv.index_to_key[54321], topn=10)
second = time.perf_counter() - started
print(json.dumps({"open_seconds": opened, "first_query_seconds": first,
                  "second_query_seconds": second,
                  "peak_rss_mb": peak_rss_mb()}))
"""


def _keys(n, rng):
    """Distinct keys shaped like GoogleNews's: words, capitalised words and
    phrases joined by ``_``."""
    letters = np.frombuffer(b"abcdefghijklmnopqrstuvwxyz", dtype=np.uint8)
    keys = []
    for i in range(n):
        length = 3 + i % 9
        word = bytes(letters[rng.integers(0, 26, length)]).decode()
        if i % 5 == 1:
            word = word.capitalize()
        if i % 7 == 3:
            word += "_" + word[::-1]
        keys.append(f"{word}{i}")
    return keys


def make_binary(path, rows):
    rng = np.random.default_rng(0)
    keys = _keys(rows, rng)
    with open(path, "wb") as out:
        out.write(f"{rows} {DIM}\n".encode())
        for start in range(0, rows, 100000):
            block = rng.standard_normal((min(100000, rows - start), DIM)).astype("<f4") * 0.1
            out.write(b"".join(key.encode() + b" " + row.tobytes()
                               for key, row in zip(keys[start:start + len(block)], block)))


def make_text(path, rows):
    rng = np.random.default_rng(1)
    keys = _keys(rows, rng)
    table = np.array([f"{k / 10000:.4f}" for k in range(-9999, 10000)])
    with open(path, "wb") as out:
        out.write(f"{rows} {DIM}\n".encode())
        for start in range(0, rows, 20000):
            count = min(20000, rows - start)
            picks = table[rng.integers(0, len(table), (count, DIM))]
            lines = [key + " " + " ".join(row) + " \n"
                     for key, row in zip(keys[start:start + count], picks.tolist())]
            out.write("".join(lines).encode())


def run(code, *args):
    proc = subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True,
                          text=True)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-3000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", default="/tmp/fastemb-big-vectors")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--binary-rows", type=int, default=3000000)
    parser.add_argument("--text-rows", type=int, default=2000000)
    parser.add_argument("--files", default="binary,text")
    parser.add_argument("--native", action="store_true")
    parser.add_argument("--systems", default="fastemb,gensim",
                        help="fastemb alone measures memory on a file gensim takes long to read")
    options = parser.parse_args()
    os.makedirs(options.workdir, exist_ok=True)
    files = {"binary": (os.path.join(options.workdir, f"news-{options.binary_rows}.bin"),
                        options.binary_rows, make_binary, True),
             "text": (os.path.join(options.workdir, f"crawl-{options.text_rows}.vec"),
                      options.text_rows, make_text, False)}
    results = {}
    for name in filter(None, options.files.split(",")):
        path, rows, make, binary = files[name]
        if not os.path.exists(path):
            started = time.perf_counter()
            make(path + ".part", rows)
            os.replace(path + ".part", path)
            print(f"made {path} in {time.perf_counter() - started:.0f} s", flush=True)
        matrix_mb = rows * DIM * 4 / 2 ** 20
        systems = options.systems.split(",")
        runs = {system: [] for system in systems}
        for repeat in range(options.repeats):
            order = systems if repeat % 2 == 0 else systems[::-1]
            for system in order:
                result = run(CHILD, system, path, int(binary), options.threads)
                runs[system].append(result)
                print(f"{name:7s} {system:8s} {result['seconds']:7.1f} s  peak RSS "
                      f"{result['peak_rss_mb']:7.0f} MB ({result['peak_rss_mb'] / matrix_mb:.2f}x "
                      f"the matrix)  checksum {result['checksum']:.4f}", flush=True)
        if len(systems) < 2:
            results[name] = {"runs": runs, "matrix_mb": matrix_mb}
            continue
        ours, theirs = runs["fastemb"], runs["gensim"]
        speed = min(r["seconds"] for r in theirs) / min(r["seconds"] for r in ours)
        agree = all(abs(a["checksum"] - b["checksum"]) < 1e-3 and a["last_key"] == b["last_key"]
                    for a, b in zip(ours, theirs))
        print(f"{name:7s} fastemb {speed:.2f}x gensim's speed; matrix {matrix_mb:.0f} MB; "
              f"same vectors: {agree}", flush=True)
        results[name] = {"runs": runs, "speedup": speed, "matrix_mb": matrix_mb, "same": agree,
                         "threads": options.threads}
    if options.native:
        path = files["binary"][0]
        native = path + ".fe"
        if not os.path.exists(native):
            from fastemb import KeyedVectors
            KeyedVectors.load_word2vec_format(path, binary=True).save(native)
        result = run(NATIVE, path, native)
        print(f"native  mmap open {result['open_seconds']:.2f} s, first most_similar "
              f"{result['first_query_seconds']:.2f} s, second "
              f"{result['second_query_seconds']:.2f} s, peak RSS {result['peak_rss_mb']:.0f} MB",
              flush=True)
        results["native"] = result
    print(json.dumps(results))


if __name__ == "__main__":
    main()
