"""Where does a GloVe quality gap come from: counting or training?

Runs Stanford GloVe's ``vocab_count`` and ``cooccur`` and fastemb's counting
on the same corpus and compares the two co-occurrence matrices entry by entry
(same words, same pairs, relative value differences). Then trains, for
several seeds each:

* Stanford ``shuffle`` + ``glove`` on Stanford's matrix,
* fastemb on its own matrix,
* fastemb on Stanford's matrix (read from ``cooccurrence.bin``),

and reports WordSim-353 and analogy accuracy (restrict_vocab 30000) per run
with the mean and spread of each arm. If fastemb on Stanford's matrix scores
like fastemb on its own, counting is not the cause; if both fastemb arms
match Stanford's, there is no gap beyond seed noise.

    python bench/comparisons/glove_parity.py --stanford-dir /tmp/GloVe/build --seeds 1 2 3
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # harness
from harness import SHARED, plain_corpus, write_json  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
from fastemb import GloVe, KeyedVectors  # noqa: E402
from fastemb.models.cooccurrence import CooccurrenceMatrix  # noqa: E402

#: The training runs compared, each for every seed.
ARMS = ("stanford", "fastemb", "fastemb on stanford counts")

#: Stanford's cooccurrence.bin record: two 1-based word ids and a double.
STANFORD_RECORD = np.dtype([("row", "<i4"), ("col", "<i4"), ("val", "<f8")])


def stanford_counts(tools, corpus, folder, window):
    vocab = os.path.join(folder, "vocab.txt")
    matrix = os.path.join(folder, "cooccurrence.bin")
    with open(corpus, "rb") as source, open(vocab, "wb") as out:
        subprocess.run([os.path.join(tools, "vocab_count"), "-min-count", "5", "-verbose", "0"],
                       stdin=source, stdout=out, check=True)
    with open(corpus, "rb") as source, open(matrix, "wb") as out:
        subprocess.run([os.path.join(tools, "cooccur"), "-memory", "4.0", "-vocab-file", vocab,
                        "-verbose", "0", "-window-size", str(window)],
                       stdin=source, stdout=out, check=True)
    with open(vocab, encoding="utf-8") as stream:
        words = [line.split(" ")[0] for line in stream]
    return vocab, matrix, words


def stanford_matrix_as_ours(matrix_file, stanford_words, our_index):
    """Stanford's entries renumbered to fastemb's vocabulary, sorted."""
    records = np.fromfile(matrix_file, dtype=STANFORD_RECORD)
    renumber = np.array([our_index[w] for w in stanford_words], dtype=np.int64)
    rows = renumber[records["row"] - 1]
    cols = renumber[records["col"] - 1]
    order = np.lexsort((cols, rows))
    return rows[order], cols[order], records["val"][order]


def compare(ours, theirs):
    """Entry-by-entry comparison of two sorted COO matrices."""
    n = ours.n_words
    key_ours = ours.rows.astype(np.int64) * n + ours.cols
    key_theirs = theirs[0] * n + theirs[1]
    common, at_ours, at_theirs = np.intersect1d(key_ours, key_theirs, assume_unique=True,
                                                return_indices=True)
    relative = np.abs(ours.vals[at_ours].astype(np.float64) - theirs[2][at_theirs]) \
        / theirs[2][at_theirs]
    return {"nnz_fastemb": int(len(key_ours)), "nnz_stanford": int(len(key_theirs)),
            "common": int(len(common)),
            "max_relative_difference": float(relative.max()),
            "mean_relative_difference": float(relative.mean()),
            "sum_fastemb": float(ours.vals.astype(np.float64).sum()),
            "sum_stanford": float(theirs[2].sum())}


def quality(kv, eval_dir):
    pairs = kv.evaluate_word_pairs(os.path.join(eval_dir, "wordsim353.tsv"))
    analogy, _ = kv.evaluate_word_analogies(os.path.join(eval_dir, "questions-words.txt"),
                                            restrict_vocab=30000)
    return float(pairs[1][0]), float(analogy)


def train_stanford(tools, vocab, matrix, folder, seed, args):
    shuffled = os.path.join(folder, f"shuf-{seed}.bin")
    with open(matrix, "rb") as source, open(shuffled, "wb") as out:
        subprocess.run([os.path.join(tools, "shuffle"), "-memory", "4.0", "-verbose", "0",
                        "-seed", str(seed)], stdin=source, stdout=out, check=True)
    save = os.path.join(folder, f"vectors-{seed}")
    subprocess.run([os.path.join(tools, "glove"), "-save-file", save, "-threads",
                    str(args.workers), "-input-file", shuffled, "-x-max", str(args.x_max),
                    "-iter", str(args.epochs), "-vector-size", "100", "-binary", "0",
                    "-vocab-file", vocab, "-verbose", "0", "-eta", "0.05", "-alpha", "0.75",
                    "-seed", str(seed)], check=True)
    os.unlink(shuffled)
    return KeyedVectors.load_word2vec_format(save + ".txt", no_header=True)


def new_model(seed, args):
    return GloVe(vector_size=100, window=args.window, min_count=5, x_max=args.x_max,
                 alpha=0.75, learning_rate=0.05, epochs=args.epochs, workers=args.workers,
                 seed=seed)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default=os.path.join(SHARED, "gcide8.txt.gz"))
    parser.add_argument("--eval-dir", default=os.path.join(SHARED, "eval"))
    parser.add_argument("--stanford-dir", required=True,
                        help="folder of Stanford GloVe's built binaries")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--window", type=int, default=10)
    parser.add_argument("--x-max", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--arms", nargs="+", default=list(ARMS), choices=list(ARMS))
    parser.add_argument("--json")
    args = parser.parse_args()
    rows = []
    with plain_corpus(args.corpus) as corpus, tempfile.TemporaryDirectory() as folder:
        model = new_model(args.seeds[0], args)
        model.build_vocab(corpus_file=corpus)
        ours = model.build_cooccurrence(corpus_file=corpus)
        keys = list(model.wv.index_to_key)
        vocab, matrix_file, stanford_words = stanford_counts(args.stanford_dir, corpus, folder,
                                                             args.window)
        same_words = sorted(keys) == sorted(stanford_words)
        print(f"vocabularies: fastemb {len(keys)} words, Stanford {len(stanford_words)}, "
              f"same set: {same_words}")
        index = {w: i for i, w in enumerate(keys)}
        theirs = stanford_matrix_as_ours(matrix_file, stanford_words, index)
        report = compare(ours, theirs)
        print("matrices:", json.dumps(report))
        rows.append({"matrices": report, "same_vocabulary": same_words})
        stanford_as_ours = CooccurrenceMatrix(theirs[0].astype(np.int32),
                                              theirs[1].astype(np.int32),
                                              theirs[2].astype(np.float32), len(keys))
        for seed in args.seeds:
            arms = {"stanford": lambda: train_stanford(args.stanford_dir, vocab, matrix_file,
                                                       folder, seed, args)}
            for name, matrix in (("fastemb", ours), ("fastemb on stanford counts",
                                                     stanford_as_ours)):
                def run(matrix=matrix):
                    trained = new_model(seed, args)
                    trained.build_vocab(corpus_file=corpus)
                    trained.cooccurrence = matrix
                    trained.train()
                    return trained.wv
                arms[name] = run
            for name, train in arms.items():
                if name not in args.arms:
                    continue
                ws353, analogy = quality(train(), args.eval_dir)
                rows.append({"arm": name, "seed": seed, "ws353": ws353, "analogy": analogy})
                print(f"seed {seed}  {name:28s} WS-353 {ws353:.3f}  analogy {analogy:.3f}",
                      flush=True)
    print(f"\n{args.workers} threads, {args.epochs} epochs, window {args.window}, "
          f"x_max {args.x_max:g}")
    print("| arm | WS-353 mean (min-max) | analogy mean (min-max) |\n|---|---|---|")
    for name in args.arms:
        runs = [r for r in rows if r.get("arm") == name]
        ws = [r["ws353"] for r in runs]
        an = [r["analogy"] for r in runs]
        print(f"| {name} | {np.mean(ws):.3f} ({min(ws):.3f}-{max(ws):.3f}) | "
              f"{np.mean(an):.3f} ({min(an):.3f}-{max(an):.3f}) |")
    write_json(args.json, rows)


if __name__ == "__main__":
    main()
