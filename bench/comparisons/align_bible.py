"""Spanish→English word translation by aligning vectors trained separately
on the two Bibles (Reina-Valera 1909 and King James): P@1 and P@5 on the
held-out FreeDict pairs, with plain nearest neighbours (NN) and CSLS, for a
plain Procrustes fit and after refinement.

Both models are skip-gram Word2Vec with the same settings (default: 200
dimensions, window 10, min_count 5, 10 epochs, seed 1); ``--model fasttext``
trains FastText instead for both languages.

Usage::

    python bench/comparisons/align_bible.py [--data ../shared/data] [--dim 200] [--window 10]
        [--epochs 10] [--workers 2] [--refine 5] [--max-rank 5000]
"""
import argparse
import gzip
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)

from fastemb import FastText, Word2Vec, simple_tokenize  # noqa: E402
from fastemb.vectors.align import Alignment, read_dictionary  # noqa: E402


def _verses(path):
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return [simple_tokenize(line) for line in handle]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=os.path.join(ROOT, "..", "shared", "data"))
    parser.add_argument("--model", choices=("word2vec", "fasttext"), default="word2vec")
    parser.add_argument("--dim", type=int, default=200)
    parser.add_argument("--window", type=int, default=10)
    parser.add_argument("--min-count", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--refine", type=int, default=5)
    parser.add_argument("--max-rank", type=int, default=5000)
    args = parser.parse_args(argv)
    model_class = FastText if args.model == "fasttext" else Word2Vec
    options = dict(vector_size=args.dim, window=args.window, min_count=args.min_count,
                   epochs=args.epochs, workers=args.workers, seed=args.seed, sg=1)
    started = time.perf_counter()
    spanish = model_class(_verses(os.path.join(args.data, "rv1909-es.txt.gz")), **options).wv
    english = model_class(_verses(os.path.join(args.data, "kjv.txt.gz")), **options).wv
    trained = time.perf_counter() - started
    train = read_dictionary(os.path.join(args.data, "eval", "es-en.train.tsv"))
    test = read_dictionary(os.path.join(args.data, "eval", "es-en.test.tsv"))
    print(f"{args.model} skip-gram, dim {args.dim}, window {args.window}, min_count "
          f"{args.min_count}, {args.epochs} epochs, {args.workers} threads: vocabularies "
          f"{len(spanish)} (es) and {len(english)} (en), trained in {trained:.0f} s")
    print("| fit | seed pairs used | NN P@1 | NN P@5 | CSLS P@1 | CSLS P@5 | seconds |")
    print("|---|---|---|---|---|---|---|")
    for label, fit in (
            ("Procrustes", dict(pairs=train)),
            (f"Procrustes + {args.refine} refinements", dict(pairs=train, refine=args.refine)),
            (f"identical strings + dictionary + {args.refine} refinements",
             dict(pairs=train, identical=True, refine=args.refine)),
            (f"identical strings only (no dictionary) + {args.refine} refinements",
             dict(identical=True, refine=args.refine))):
        started = time.perf_counter()
        alignment = Alignment.fit(spanish, english, max_rank=args.max_rank, **fit)
        result = alignment.evaluate_translation(test)
        seconds = time.perf_counter() - started
        seeds = len(Alignment.fit(spanish, english, **{**fit, "refine": 0}).dictionary)
        print(f"| {label} | {seeds} | {result['nn']['p@1']:.3f} | {result['nn']['p@5']:.3f} | "
              f"{result['csls']['p@1']:.3f} | {result['csls']['p@5']:.3f} | {seconds:.1f} |")
    print(f"test: {result['words']} Spanish words ({result['skipped']} left out: a word "
          "missing from a vocabulary)")


if __name__ == "__main__":
    main()
