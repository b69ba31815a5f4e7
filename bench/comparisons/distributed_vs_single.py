"""Distributed training on a Dask LocalCluster against one machine, same cores.

gcide8 is split into 8 files at word boundaries. Each configuration runs in
its own process:

- ``single``: fastemb on one machine with 2 threads, reading the 8 files;
- ``dask``: ``fastemb.distributed`` on ``LocalCluster(n_workers=2,
  threads_per_worker=1, processes=True)``: 2 worker processes, 1 thread each,
  training one copy of the weights in shared memory (with
  ``--no-shared-memory``, a replica each, exchanging their changes).

For Word2Vec (DESIGN.md's reference settings, skip-gram NS by default) it
prints training words/s, vocabulary seconds, the time from the call to the
trained model (vocabulary + training, as a user waits; the cluster already
up), peak RSS of the driver and of each worker, WordSim-353 and analogy,
and the ratios dask / single; and,
from the distributed model's ``train_stats``, the compute seconds, bytes
sent and received per synchronisation: the inputs of the README's scaling
model. With ``--glove`` it does the same for GloVe (the GloVe issue's
settings: window 10, x_max 10, 15 epochs).

Usage::

    python bench/comparisons/distributed_vs_single.py [--corpus ../shared/data/gcide8.txt.gz]
        [--mode sg-ns] [--sync-every 750000,1000000] [--sync-rule sum] [--overlap]
        [--no-shared-memory]
        [--repeats 1] [--glove] [--json out.json]
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # harness
from harness import SHARED, plain_corpus, write_json  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))

MODES = {"sg-ns": dict(sg=1, hs=0, negative=5), "cbow-ns": dict(sg=0, hs=0, negative=5),
         "sg-hs": dict(sg=1, hs=1, negative=0), "cbow-hs": dict(sg=0, hs=1, negative=0)}
N_FILES = 8


def split_corpus(corpus, folder, n_files=N_FILES):
    """Write ``corpus`` as ``n_files`` files of nearly equal words (each
    file one line per line of the corpus piece)."""
    with open(corpus, encoding="utf-8") as handle:
        words = handle.read().split()
    for k in range(n_files):
        piece = words[len(words) * k // n_files:len(words) * (k + 1) // n_files]
        with open(os.path.join(folder, f"part-{k}.txt"), "w", encoding="utf-8") as out:
            out.write(" ".join(piece) + "\n")
    return len(words)


def _quality(kv, eval_dir):
    pairs = kv.evaluate_word_pairs(os.path.join(eval_dir, "wordsim353.tsv"))
    analogy, _ = kv.evaluate_word_analogies(os.path.join(eval_dir, "questions-words.txt"),
                                            restrict_vocab=30000)
    return {"ws353": float(pairs[1][0]), "analogy": float(analogy)}


def _peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _cluster():
    from dask.distributed import Client, LocalCluster
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                           dashboard_address=None)
    return cluster, Client(cluster)


def _worker_peaks(client):
    return sorted(client.run(_peak_mb).values())


def child_word2vec(args):
    """One Word2Vec run (in a child process); returns its measurements."""
    import fastemb
    from fastemb.distributed.word2vec import DistributedTrainer
    params = dict(vector_size=100, window=5, min_count=5, sample=1e-3, epochs=args.epochs,
                  seed=args.seed, workers=2, **MODES[args.mode])
    model = fastemb.Word2Vec(**params)
    result = {"model": "word2vec", "system": args.system, "mode": args.mode, "seed": args.seed}
    if args.system == "single":
        started = time.perf_counter()
        model.build_vocab(corpus_file=args.folder)
        result["vocab_s"] = time.perf_counter() - started
        started = time.perf_counter()
        model.train(corpus_file=args.folder, total_words=model.corpus_total_words,
                    epochs=args.epochs)
        result["train_s"] = time.perf_counter() - started
    else:
        cluster, client = _cluster()
        trainer = DistributedTrainer(client, model, args.folder, sync_every=args.sync_every,
                                     sync_rule=args.sync_rule, overlap=args.overlap,
                                     share_memory=not args.no_shared_memory)
        started = time.perf_counter()
        trainer.build_vocab()
        result["vocab_s"] = time.perf_counter() - started
        started = time.perf_counter()
        trainer.train()
        result["train_s"] = time.perf_counter() - started
        result["worker_peak_mb"] = _worker_peaks(client)
        stats = model.train_stats
        rounds = sum(s["rounds"] for s in stats)
        result.update(sync_every=args.sync_every, sync_rule=args.sync_rule,
                      overlap=args.overlap, rounds=rounds,
                      replicas=model.lifecycle_events[-1]["replicas"],
                      compute_s_per_round=sum(s["compute_seconds"] for s in stats) / rounds,
                      wall_s_per_round=sum(s["seconds"] for s in stats) / rounds,
                      mb_exchanged_per_round=sum(s["bytes_exchanged"] for s in stats)
                      / rounds / 2 ** 20,
                      mb_to_driver_per_round=sum(s["bytes_to_driver"] for s in stats)
                      / rounds / 2 ** 20)
        client.close()
        cluster.close()
    result["words_per_s"] = model.corpus_total_words * args.epochs / result["train_s"]
    # as a user waits for it: from the call to the trained model (a cluster
    # is assumed to be up already)
    result["end_to_end_s"] = result["vocab_s"] + result["train_s"]
    result["driver_peak_mb"] = _peak_mb()
    result.update(_quality(model.wv, args.eval_dir))
    return result


def child_glove(args):
    """One GloVe run (in a child process); returns its measurements."""
    import fastemb
    from fastemb.distributed.glove import DistributedGloVe
    params = dict(vector_size=100, window=10, min_count=5, x_max=10.0, alpha=0.75,
                  learning_rate=0.05, epochs=args.epochs, workers=2, seed=args.seed)
    model = fastemb.GloVe(**params)
    result = {"model": "glove", "system": args.system, "seed": args.seed}
    started = time.perf_counter()
    if args.system == "single":
        model.build_vocab(corpus_file=args.folder)
        model.build_cooccurrence(corpus_file=args.folder)
        result["count_s"] = time.perf_counter() - started
        started = time.perf_counter()
        model.train()
    else:
        cluster, client = _cluster()
        trainer = DistributedGloVe(client, model, args.folder)
        trainer.build_vocab()
        trainer.build_cooccurrence()
        result["count_s"] = time.perf_counter() - started
        started = time.perf_counter()
        trainer.train()
        result["worker_peak_mb"] = _worker_peaks(client)
        client.close()
        cluster.close()
    result["train_s"] = time.perf_counter() - started
    result["driver_peak_mb"] = _peak_mb()
    result.update(_quality(model.wv, args.eval_dir))
    return result


def run_child(options):
    cmd = [sys.executable, os.path.abspath(__file__), "--child"]
    for flag, value in options.items():
        cmd += [f"--{flag}"] if value is True else [f"--{flag}", str(value)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{proc.stderr[-3000:]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    print("  " + json.dumps({k: (round(v, 3) if isinstance(v, float) else v)
                             for k, v in result.items()}), flush=True)
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", default=os.path.join(SHARED, "gcide8.txt.gz"))
    parser.add_argument("--eval-dir", default=os.path.join(SHARED, "eval"))
    parser.add_argument("--mode", choices=sorted(MODES), default="sg-ns")
    parser.add_argument("--epochs", type=int, default=None,
                        help="default 5 (Word2Vec), 15 (GloVe)")
    parser.add_argument("--sync-every", default="750000",
                        help="comma-separated words between syncs, one dask run each")
    parser.add_argument("--sync-rule", default="sum")
    parser.add_argument("--overlap", action="store_true",
                        help="Word2Vec: overlapping rounds (a replica takes the others' changes "
                             "one round later)")
    parser.add_argument("--no-shared-memory", action="store_true",
                        help="Word2Vec: a replica a worker, each with its own weights, instead "
                             "of one copy the workers of the machine share")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--glove", action="store_true", help="GloVe instead of Word2Vec")
    parser.add_argument("--json")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--system", help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.epochs is None:
        args.epochs = 15 if args.glove else 5
    if args.child:
        if args.system == "dask":
            args.sync_every = int(args.sync_every)
        result = (child_glove if args.glove else child_word2vec)(args)
        print(json.dumps(result))
        return

    rows = []
    print("2 cores; single: 1 process x 2 threads; dask: LocalCluster 2 workers x 1 thread",
          flush=True)
    with plain_corpus(args.corpus) as corpus, tempfile.TemporaryDirectory() as folder:
        n_words = split_corpus(corpus, folder)
        print(f"corpus: {n_words:,} words in {N_FILES} files", flush=True)
        common = {"folder": folder, "eval-dir": args.eval_dir, "epochs": args.epochs,
                  "mode": args.mode}
        if args.glove:
            common["glove"] = True
        for seed in range(1, args.repeats + 1):
            single = run_child({**common, "system": "single", "seed": seed})
            rows.append(single)
            for sync_every in args.sync_every.split(","):
                options = {**common, "system": "dask", "seed": seed, "sync-every": sync_every,
                           "sync-rule": args.sync_rule}
                for flag in ("overlap", "no_shared_memory"):
                    if getattr(args, flag):
                        options[flag.replace("_", "-")] = True
                dask = run_child(options)
                rows.append(dask)
                speed = "words_per_s" if not args.glove else "train_s"
                ratio = (dask[speed] / single[speed] if not args.glove
                         else single[speed] / dask[speed])
                whole = ("" if args.glove else ", end to end "
                         f"{single['end_to_end_s'] / dask['end_to_end_s']:.2f}x")
                print(f"  seed {seed} sync_every {sync_every}: throughput dask/single "
                      f"{ratio:.2f}x{whole}, ws353 {dask['ws353'] - single['ws353']:+.3f}, "
                      f"analogy {dask['analogy'] - single['analogy']:+.3f}", flush=True)
    write_json(args.json, rows)


if __name__ == "__main__":
    main()
