"""What the explorer costs on a 100,000-word model: opening it, a query, and
each map.

A Word2Vec model is trained on gcide8, the KJV and the Spanish Bible (one
epoch, vector_size 100, the 100,000 most frequent words:
``max_final_vocab``) and saved natively. Then, in a fresh process (so its
memory is the explorer's alone), with the times side by side:

- open: load the file, build the explorer and start the server, until it
  answers ``/api/info``; the process's resident memory after;
- a neighbours query over HTTP (median of 20 words, top 10);
- the PCA map with k-means colours of the default 20,000 words and of all
  100,000, first request to answer (the page then draws it with WebGL);
- t-SNE and UMAP of the 20,000 words on their background thread, from the
  request to ready (``--slow-maps``; minutes on 2 cores).

No peer runs here: TensorFlow's projector is a web page fed by files
(``fastemb projector`` writes them), not a server to time.

Usage::

    python bench/comparisons/explorer_cost.py [--words 100000] [--slow-maps]
"""
import argparse
import gzip
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # harness
from harness import SHARED, write_json  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))


def _rss_mb():
    with open("/proc/self/status", encoding="ascii") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _wait_ready(client, params, limit):
    started = time.perf_counter()
    while True:
        answer = client.get("/api/map", params=params).json()
        if answer["status"] != "running" or time.perf_counter() - started > limit:
            return answer, time.perf_counter() - started
        time.sleep(0.5)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", nargs="+",
                        default=[os.path.join(SHARED, name) for name in
                                 ("gcide8.txt.gz", "kjv.txt.gz", "rv1909-es.txt.gz")])
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--words", type=int, default=100000)
    parser.add_argument("--slow-maps", action="store_true", help="also time t-SNE and UMAP")
    parser.add_argument("--json", help="also write the measurements to this file")
    args = parser.parse_args()

    if args.child:
        results = measure(args.child, args.slow_maps)
        print(json.dumps(results))
        return
    from fastemb import Word2Vec
    sentences = []
    for corpus in args.corpus:
        with gzip.open(corpus, "rt", encoding="utf-8") as handle:
            sentences.extend(line.split() for line in handle)
    model = Word2Vec(sentences, vector_size=100, min_count=1, max_final_vocab=args.words,
                     epochs=1, workers=2)
    path = os.path.join(tempfile.mkdtemp(), "model.kv")
    model.wv.save(path)
    del model, sentences
    command = [sys.executable, __file__, "--child", path] + \
        (["--slow-maps"] if args.slow_maps else [])
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    results = json.loads(output.strip().splitlines()[-1])
    print(f"\n{results['words']:,}-word model (vector_size 100), 2 threads:\n")
    print("| step | measured |\n|---|---|")
    for name, value in results.items():
        print(f"| {name} | {value:,.2f} |" if isinstance(value, float) else
              f"| {name} | {value} |")
    write_json(args.json, results)


def measure(path, slow_maps):
    """Open the saved vectors in the explorer and time it (in the child)."""
    import httpx

    import fastemb
    from fastemb import KeyedVectors
    results = {"rss_before_open_mb": _rss_mb()}

    started = time.perf_counter()
    kv = KeyedVectors.load(path)
    words = results["words"] = len(kv)
    server = fastemb.explore(kv, port=0)
    client = httpx.Client(base_url=server.url, timeout=3600)
    client.get("/api/info").raise_for_status()
    results["open_seconds"] = time.perf_counter() - started
    results["rss_open_mb"] = _rss_mb()

    latencies = []
    for word in kv.index_to_key[100:2100:100]:
        started = time.perf_counter()
        client.get("/api/neighbours", params={"word": word, "topn": 10}).raise_for_status()
        latencies.append(time.perf_counter() - started)
    results["neighbours_query_ms"] = 1000 * statistics.median(latencies)

    started = time.perf_counter()
    client.get("/api/map", params={"method": "pca", "dims": 2}).raise_for_status()
    results["pca_map_20000_seconds"] = time.perf_counter() - started
    server.stop()

    everything = fastemb.explore(kv, port=0, map_words=words)
    whole = httpx.Client(base_url=everything.url, timeout=3600)
    started = time.perf_counter()
    answer = whole.get("/api/map", params={"method": "pca", "dims": 2}).json()
    results[f"pca_map_{words}_seconds"] = time.perf_counter() - started
    results[f"pca_map_{words}_response_mb"] = len(whole.get(
        "/api/map", params={"method": "pca", "dims": 2}).content) / 1e6
    assert len(answer["words"]) == words
    results["rss_after_maps_mb"] = _rss_mb()
    everything.stop()

    if slow_maps:
        server = fastemb.explore(kv, port=0)
        client = httpx.Client(base_url=server.url, timeout=3600)
        for method in ("umap", "tsne"):
            answer, seconds = _wait_ready(client, {"method": method, "dims": 2}, 3600)
            results[f"{method}_map_20000_seconds"] = seconds
            results[f"{method}_status"] = answer["status"]
        server.stop()
    return results


if __name__ == "__main__":
    main()
