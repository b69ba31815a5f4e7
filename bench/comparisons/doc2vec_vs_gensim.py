"""Benchmark fastemb's document vectors against gensim's Doc2Vec, side by side.

1. Classification: every verse of ``kjv.txt.gz`` labelled with its book
   (``eval/kjv-books.tsv``); every 5th verse held out. Vectors are trained on
   all verses (unsupervised), scikit-learn's ``LogisticRegression`` is fitted
   on the training verses' vectors (scaled to unit length, every system's
   alike) and scored on the held-out ones. Systems:
   fastemb PV-DBOW and PV-DM, mean / SIF / TF-IDF-weighted fastemb
   skip-gram word vectors, gensim PV-DBOW and PV-DM, and TF-IDF + logistic
   regression. Settings: vector_size 100, window 5, min_count 2, sample
   1e-4, 20 epochs, 2 workers; mean over ``--seeds``.
2. Similarity: the Lee corpus of gensim's test data (train on
   ``lee_background.cor``, infer ``lee.cor``), Pearson correlation of the
   inferred vectors' cosines with the human ratings of every pair (PV-DBOW,
   PV-DM and PV-DM by concatenation); vector size 50, min_count 2, 40
   epochs; mean over ``--lee-seeds``.
3. PV-DM by concatenation (``dm_concat=1``): the classification task of
   part 1 with each system's concatenated PV-DM, ``--concat-epochs``
   epochs, other settings as there; training words/s and accuracy of
   every seed side by side.
4. Speed: training raw words/s (corpus words x epochs / train seconds) on
   gcide8 cut into documents of 1,000 words, 5 epochs, 2 workers, each run
   in its own process for its peak RSS; then inference documents/s on
   2,000 documents of 100 words (gensim: ``infer_vector`` one at a time, as
   its API offers; fastemb: ``infer_vectors`` on 2 threads, and
   ``infer_vector`` one at a time for reference).

Usage::

    python bench/comparisons/doc2vec_vs_gensim.py [--parts classify,lee,concat,speed] [--seeds 3]
"""
import argparse
import gzip
import json
import os
import resource
import subprocess
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # harness
from harness import SHARED, write_json  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))

CLASSIFY = dict(vector_size=100, window=5, min_count=2, sample=1e-4, epochs=20, workers=2)
LEE = dict(vector_size=50, min_count=2, epochs=40, workers=2)
SPEED = dict(vector_size=100, window=5, min_count=5, sample=1e-4, epochs=5, workers=2)


def _doc2vec_class(system):
    if system == "gensim":
        from gensim.models.doc2vec import Doc2Vec, TaggedDocument
    else:
        from fastemb import Doc2Vec, TaggedDocument
    return Doc2Vec, TaggedDocument


def _accuracy(vectors, labels, test):
    """Held-out accuracy of a logistic regression on unit-length vectors
    (every system's alike: a regularised classifier is sensitive to scale,
    and SIF's weights shorten vectors by design)."""
    from sklearn.linear_model import LogisticRegression
    lengths = np.linalg.norm(vectors, axis=1, keepdims=True)
    vectors = np.divide(vectors, lengths, out=np.zeros_like(vectors), where=lengths > 0)
    classifier = LogisticRegression(max_iter=2000)
    classifier.fit(vectors[~test], labels[~test])
    return float(classifier.score(vectors[test], labels[test]))


def _verses_and_books():
    """The KJV's verses (tokenised), their books, and the held-out mask."""
    from fastemb import simple_tokenize
    with gzip.open(os.path.join(SHARED, "kjv.txt.gz"), "rt", encoding="utf-8") as handle:
        verses = [simple_tokenize(line) for line in handle]
    with open(os.path.join(SHARED, "eval", "kjv-books.tsv"), encoding="utf-8") as handle:
        rows = [line.rstrip("\n").split("\t") for line in handle]
    labels = np.array([row[1] for row in rows[1:]])
    assert len(labels) == len(verses), "labels and verses out of step"
    return verses, labels, np.arange(len(verses)) % 5 == 4


def concat(seeds, epochs):
    """PV-DM by concatenation, both systems, every seed: words/s and accuracy."""
    verses, labels, test = _verses_and_books()
    rows = []
    for seed in range(1, seeds + 1):
        for system in ("gensim", "fastemb"):
            Doc2Vec, TaggedDocument = _doc2vec_class(system)
            documents = [TaggedDocument(words, [i]) for i, words in enumerate(verses)]
            model = Doc2Vec(dm=1, dm_concat=1, seed=seed, **{**CLASSIFY, "epochs": epochs})
            model.build_vocab(documents)
            started = time.perf_counter()
            model.train(documents, total_examples=model.corpus_count, epochs=model.epochs)
            seconds = time.perf_counter() - started
            vectors = np.vstack([model.dv[i] for i in range(len(verses))])
            rows.append({"system": system, "seed": seed, "seconds": seconds,
                         "words_per_s": model.corpus_total_words * epochs / seconds,
                         "accuracy": _accuracy(vectors, labels, test)})
            print(f"  seed {seed} {system:8s} {rows[-1]['words_per_s']:>10,.0f} words/s "
                  f"({seconds:.1f} s)  accuracy {rows[-1]['accuracy']:.3f}", flush=True)
    return rows


def classify(seeds):
    """Verse -> book accuracy of every system, mean over seeds."""
    from fastemb import SentenceVectors, Word2Vec
    verses, labels, test = _verses_and_books()
    scores = {}

    def record(name, value):
        scores.setdefault(name, []).append(value)
        print(f"  {name:28s} {value:.3f}", flush=True)

    for seed in range(1, seeds + 1):
        print(f"seed {seed}:", flush=True)
        for system in ("fastemb", "gensim"):
            Doc2Vec, TaggedDocument = _doc2vec_class(system)
            documents = [TaggedDocument(words, [i]) for i, words in enumerate(verses)]
            for dm, mode in ((0, "PV-DBOW"), (1, "PV-DM")):
                started = time.perf_counter()
                model = Doc2Vec(documents, dm=dm, seed=seed, **CLASSIFY)
                seconds = time.perf_counter() - started
                vectors = np.vstack([model.dv[i] for i in range(len(verses))])
                record(f"{system} {mode}", _accuracy(vectors, labels, test))
                print(f"    ({seconds:.1f} s to train)")
        words = Word2Vec(verses, sg=1, seed=seed, **CLASSIFY)
        for method in ("mean", "sif", "tfidf"):
            embedder = SentenceVectors(words.wv, method=method)
            # statistics from the training verses only
            embedder.fit([v for v, t in zip(verses, test) if not t])
            record(f"fastemb {method} (skip-gram)", _accuracy(embedder.transform(verses),
                                                              labels, test))
    from sklearn.feature_extraction.text import TfidfVectorizer
    matrix = TfidfVectorizer(analyzer=lambda d: d).fit_transform(verses)
    from sklearn.linear_model import LogisticRegression
    baseline = LogisticRegression(max_iter=2000).fit(matrix[~test], labels[~test])
    scores["TF-IDF + logistic regression"] = [float(baseline.score(matrix[test], labels[test]))]
    print(f"  TF-IDF + logistic regression {scores['TF-IDF + logistic regression'][0]:.3f}")
    return {name: float(np.mean(values)) for name, values in scores.items()}


def lee(seeds):
    """Pearson of inferred-vector cosines with Lee's human ratings."""
    from gensim.test.utils import datapath

    from fastemb import simple_tokenize
    from fastemb.vectors.stats import pearson

    def read(name):
        with open(datapath(name), encoding="latin-1") as handle:
            return [simple_tokenize(line) for line in handle if line.strip()]
    background, test_docs = read("lee_background.cor"), read("lee.cor")
    ratings = np.loadtxt(datapath("similarities0-1.txt"))
    upper = np.triu_indices(len(test_docs), k=1)
    human = ratings[upper]
    results = {}
    for system in ("fastemb", "gensim"):
        Doc2Vec, TaggedDocument = _doc2vec_class(system)
        for options, mode in ((dict(dm=0), "PV-DBOW"), (dict(dm=1), "PV-DM"),
                              (dict(dm=1, dm_concat=1), "PV-DM concat")):
            values = []
            for seed in range(1, seeds + 1):
                documents = [TaggedDocument(w, [i]) for i, w in enumerate(background)]
                model = Doc2Vec(documents, seed=seed, **options, **LEE)
                if system == "gensim":
                    inferred = np.vstack([model.infer_vector(d) for d in test_docs])
                else:
                    inferred = model.infer_vectors(test_docs)
                unit = inferred / np.linalg.norm(inferred, axis=1, keepdims=True)
                values.append(pearson((unit @ unit.T)[upper], human).statistic)
            results[f"{system} {mode}"] = float(np.mean(values))
            print(f"  {system:8s} {mode:12s} Pearson {results[f'{system} {mode}']:.3f} "
                  f"({', '.join(f'{v:.3f}' for v in values)})", flush=True)
    return results


def _gcide_documents(corpus, size):
    with gzip.open(corpus, "rt", encoding="utf-8") as handle:
        words = handle.read().split()
    return [words[i:i + size] for i in range(0, len(words), size)]


def speed_child(system, dm, corpus):
    """One training + inference run (in a child process): a JSON line."""
    Doc2Vec, TaggedDocument = _doc2vec_class(system)
    pieces = _gcide_documents(corpus, 1000)
    documents = [TaggedDocument(words, [i]) for i, words in enumerate(pieces)]
    model = Doc2Vec(dm=dm, seed=1, **SPEED)
    model.build_vocab(documents)
    started = time.perf_counter()
    model.train(documents, total_examples=model.corpus_count, epochs=model.epochs)
    train_seconds = time.perf_counter() - started
    queries = [words[:100] for words in _gcide_documents(corpus, 100)[:2000]]
    started = time.perf_counter()
    if system == "gensim":
        for words in queries:
            model.infer_vector(words)
        batch_seconds = single_seconds = time.perf_counter() - started
    else:
        model.infer_vectors(queries)
        batch_seconds = time.perf_counter() - started
        started = time.perf_counter()
        for words in queries[:500]:
            model.infer_vector(words)
        single_seconds = (time.perf_counter() - started) * len(queries) / 500
    return {"system": system, "dm": dm,
            "words_per_s": model.corpus_total_words * SPEED["epochs"] / train_seconds,
            "infer_docs_per_s": len(queries) / batch_seconds,
            "infer_one_at_a_time_docs_per_s": len(queries) / single_seconds,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0}


def speed(corpus):
    rows = []
    for dm in (0, 1):
        for system in ("gensim", "fastemb"):
            cmd = [sys.executable, __file__, "--child", system, str(dm), "--corpus", corpus]
            out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
            row = json.loads(out.strip().splitlines()[-1])
            rows.append(row)
            print(f"  {system:8s} {'PV-DM' if dm else 'PV-DBOW':8s} "
                  f"{row['words_per_s']:>10,.0f} words/s  infer {row['infer_docs_per_s']:>8,.0f} "
                  f"docs/s (one at a time {row['infer_one_at_a_time_docs_per_s']:,.0f})  "
                  f"{row['peak_rss_mb']:.0f} MB", flush=True)
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parts", default="classify,lee,concat,speed")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--lee-seeds", type=int, default=5)
    parser.add_argument("--concat-epochs", type=int, default=10)
    parser.add_argument("--corpus", default=os.path.join(SHARED, "gcide8.txt.gz"))
    parser.add_argument("--child", nargs=2, metavar=("SYSTEM", "DM"), help=argparse.SUPPRESS)
    parser.add_argument("--json", help="also write all measurements to this file")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(speed_child(args.child[0], int(args.child[1]), args.corpus)))
        return
    results = {}
    parts = args.parts.split(",")
    if "classify" in parts:
        print("classification (verse -> book, accuracy):")
        results["classify"] = classify(args.seeds)
    if "lee" in parts:
        print("Lee similarity (Pearson with human ratings):")
        results["lee"] = lee(args.lee_seeds)
    if "concat" in parts:
        print(f"PV-DM by concatenation (verse -> book, {args.concat_epochs} epochs, "
              f"{CLASSIFY['workers']} workers):")
        results["concat"] = concat(args.seeds, args.concat_epochs)
    if "speed" in parts:
        print("speed (2 workers):")
        results["speed"] = speed(args.corpus)
    print()
    if "classify" in results:
        print("| vectors | accuracy |\n|---|---|")
        for name, value in results["classify"].items():
            print(f"| {name} | {value:.3f} |")
    if "lee" in results:
        print("\n| model | Lee Pearson |\n|---|---|")
        for name, value in results["lee"].items():
            print(f"| {name} | {value:.3f} |")
    if "concat" in results:
        print("\n| seed | gensim words/s | fastemb words/s | ratio | gensim accuracy | "
              "fastemb accuracy |\n|---|---|---|---|---|---|")
        for seed in range(1, args.seeds + 1):
            g, f = [next(r for r in results["concat"] if r["system"] == s and r["seed"] == seed)
                    for s in ("gensim", "fastemb")]
            print(f"| {seed} | {g['words_per_s']:,.0f} | {f['words_per_s']:,.0f} | "
                  f"{f['words_per_s'] / g['words_per_s']:.2f}x | {g['accuracy']:.3f} | "
                  f"{f['accuracy']:.3f} |")
    if "speed" in results:
        print("\n| mode | gensim words/s | fastemb words/s | ratio | gensim infer docs/s | "
              "fastemb infer docs/s | ratio | peak RSS gensim / fastemb |")
        print("|---|---|---|---|---|---|---|---|")
        for dm in (0, 1):
            g, f = [next(r for r in results["speed"] if r["system"] == s and r["dm"] == dm)
                    for s in ("gensim", "fastemb")]
            print(f"| {'PV-DM' if dm else 'PV-DBOW'} | {g['words_per_s']:,.0f} | "
                  f"{f['words_per_s']:,.0f} | {f['words_per_s'] / g['words_per_s']:.2f}x | "
                  f"{g['infer_docs_per_s']:,.0f} | {f['infer_docs_per_s']:,.0f} | "
                  f"{f['infer_docs_per_s'] / g['infer_docs_per_s']:.1f}x | "
                  f"{g['peak_rss_mb']:.0f} / {f['peak_rss_mb']:.0f} MB |")
    write_json(args.json, results)


if __name__ == "__main__":
    main()
