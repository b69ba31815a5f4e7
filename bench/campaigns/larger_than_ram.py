"""Anonymous memory of training from an encoded cache, for a corpus and the
same corpus repeated: with the corpus memory-mapped from the cache, the
process's own (anonymous) memory should not grow with the corpus.

The repeated corpus is trained with ``min_count`` times the repeats, so
both sizes keep the same vocabulary (a word seen ``c`` times in the corpus
is seen ``c * repeats`` times in the repeated one): the weights are then the
same size, and any growth is the corpus's.

Each size runs in a child process: build the cache (streaming), then train
one epoch of skip-gram from the memory map, sampling ``RssAnon`` (and the
file-backed ``RssFile``) from ``/proc/self/status`` every 50 ms. A second run
on the unchanged file shows the reuse (no text read).

    python bench/campaigns/larger_than_ram.py --corpus ../shared/data/gcide8.txt.gz --repeat 20
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # harness
from harness import SHARED, plain_corpus, write_json  # noqa: E402

CHILD = r"""
import json, sys, threading, time
from fastemb import Word2Vec

def status(field):
    with open("/proc/self/status") as stream:
        for line in stream:
            if line.startswith(field + ":"):
                return int(line.split()[1]) // 1024  # MB
peak = {"RssAnon": 0, "RssFile": 0}
done = threading.Event()
def sample():
    while not done.is_set():
        for field in peak:
            peak[field] = max(peak[field], status(field))
        time.sleep(0.05)
threading.Thread(target=sample, daemon=True).start()
corpus, cache, workers, min_count = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
started = time.perf_counter()
model = Word2Vec(vector_size=100, window=5, min_count=min_count, sg=1, workers=workers, seed=1,
                 epochs=1, encoded_cache=cache)
model.build_vocab(corpus_file=corpus)
encoded = time.perf_counter() - started
anon_after_vocab = status("RssAnon")
started = time.perf_counter()
model.train(corpus_file=corpus, total_examples=model.corpus_count, epochs=1)
trained = time.perf_counter() - started
done.set()
print(json.dumps({"raw_words": model.corpus_total_words, "vocab": len(model.wv),
                  "encode_s": round(encoded, 2), "train_s": round(trained, 2),
                  "words_per_s": round(model.corpus_total_words / trained),
                  "anon_after_vocab_mb": anon_after_vocab,
                  "peak_anon_mb": peak["RssAnon"], "peak_file_mb": peak["RssFile"]}))
"""


def repeated(plain, times, folder):
    """``plain`` concatenated ``times`` times (each copy its own line)."""
    path = os.path.join(folder, f"corpus-x{times}.txt")
    with open(plain, "rb") as source:
        text = source.read().rstrip(b"\n") + b"\n"
    with open(path, "wb") as out:
        for _ in range(times):
            out.write(text)
    return path


def run(corpus, cache, workers, min_count):
    here = os.path.dirname(os.path.abspath(__file__))
    env = dict(os.environ, PYTHONPATH=os.path.dirname(here))
    proc = subprocess.run([sys.executable, "-c", CHILD, corpus, cache, str(workers),
                           str(min_count)],
                          capture_output=True, text=True, env=env)
    if proc.returncode:
        raise RuntimeError(proc.stderr[-3000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default=os.path.join(SHARED, "gcide8.txt.gz"))
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json")
    args = parser.parse_args()
    rows = []
    with plain_corpus(args.corpus) as plain, tempfile.TemporaryDirectory() as folder:
        cache = os.path.join(folder, "cache")
        for times in (1, args.repeat):
            path = plain if times == 1 else repeated(plain, times, folder)
            for attempt in ("built", "reused"):
                row = dict(run(path, cache, args.workers, 5 * times), copies=times,
                           cache=attempt)
                rows.append(row)
                print(f"x{times:<3d} {attempt:6s} {row['raw_words']:>11,} words  "
                      f"{row['vocab']:,} in the vocabulary  "
                      f"encode {row['encode_s']:6.2f} s  train {row['train_s']:6.1f} s "
                      f"({row['words_per_s']:,} words/s, {args.workers} threads)  "
                      f"peak RssAnon {row['peak_anon_mb']} MB  RssFile {row['peak_file_mb']} MB",
                      flush=True)
    small, large = rows[0], rows[2]
    print(f"RssAnon growth from x1 to x{args.repeat}: "
          f"{large['peak_anon_mb'] - small['peak_anon_mb']} MB")
    write_json(args.json, rows)


if __name__ == "__main__":
    main()
