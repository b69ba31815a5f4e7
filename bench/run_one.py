"""Train one model with one system and print a JSON line of measurements.

Run as a subprocess by the side-by-side benchmarks so that each run's peak
RSS is its own. Systems:

- ``--model word2vec``: ``fastemb``, ``gensim`` (streaming iterable) or
  ``gensim-file`` (its ``corpus_file`` mode);
- ``fastemb-det`` (any model): fastemb with ``deterministic=True``; the
  line then carries a SHA-256 of the vectors, to compare runs bit for bit;
- ``--model glove``: ``fastemb`` or ``fastemb-det`` only (Stanford's
  binaries run in ``comparisons/glove_vs_stanford.py``), with the GloVe
  reference settings (window 10, x_max 10, 15 epochs unless ``--epochs``);
- ``--model fasttext``: ``fastemb``, ``gensim`` (``gensim.models.FastText``
  on a streaming iterable) or ``fasttext`` (Facebook's C++ through the
  ``fasttext`` module of ``fasttext-wheel``, whose 0.9.2 build takes no seed:
  its repeats differ only by thread timing), or ``floret`` (explosion's
  fork of that C++, the ``floret`` package). ``--floret BUCKET,HASHES``
  trains fastemb or floret in floret mode; ``--size`` also saves the
  ``.bin`` and reports its size.

Speed is raw words/s: corpus words x epochs / seconds. For Word2Vec and
GloVe the seconds are ``train()``'s (GloVe's counting comes before).
fastText's C++ reads the vocabulary and trains in one call that cannot be
split, so for FastText every system is timed end to end (vocabulary +
training), the same way.
"""
import argparse
import hashlib
import json
import os
import resource
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

MODES = {
    "sg-ns": dict(sg=1, hs=0, negative=5),
    "cbow-ns": dict(sg=0, hs=0, negative=5),
    "sg-hs": dict(sg=1, hs=1, negative=0),
    "cbow-hs": dict(sg=0, hs=1, negative=0),
}

#: The FastText issue's settings, which are fastText's defaults (lr 0.05,
#: sample 1e-4); fastText also draws noise words from counts ** 0.5, which
#: gensim and fastemb are given too (their default exponent is 0.75).
FASTTEXT_SETTINGS = dict(vector_size=100, window=5, min_count=5, min_n=3, max_n=6,
                         bucket=2000000, alpha=0.05, sample=1e-4, ns_exponent=0.5)


def _gensim_sentences(corpus):
    # Text8Corpus streams the file in small blocks; LineSentence would hold
    # a one-line corpus (text8, gcide8) in memory as one list of strings
    from gensim.models.word2vec import LineSentence, Text8Corpus
    with open(corpus, "rb") as handle:
        one_line = handle.read(1 << 20).count(b"\n") <= 1
    return Text8Corpus(corpus) if one_line else LineSentence(corpus)


def _train_glove(system, corpus, workers, epochs, seed):
    from fastemb import GloVe
    model = GloVe(vector_size=100, window=10, min_count=5, x_max=10, alpha=0.75,
                  learning_rate=0.05, epochs=epochs, workers=workers, seed=seed,
                  deterministic=system == "fastemb-det")
    model.build_vocab(corpus_file=corpus)
    model.build_cooccurrence(corpus_file=corpus)
    started = time.perf_counter()
    model.train()
    return model.wv, time.perf_counter() - started, model.corpus_total_words


def _train_word2vec(system, corpus, mode, workers, epochs, seed):
    params = dict(vector_size=100, window=5, min_count=5, sample=1e-3, epochs=epochs,
                  workers=workers, seed=seed, **MODES[mode])
    if system in ("fastemb", "fastemb-det"):
        from fastemb import Word2Vec
        model = Word2Vec(**params, deterministic=system == "fastemb-det")
        model.build_vocab(corpus_file=corpus)
        started = time.perf_counter()
        model.train(corpus_file=corpus, total_words=model.corpus_total_words, epochs=epochs)
        return model.wv, time.perf_counter() - started, model.corpus_total_words
    from gensim.models import Word2Vec
    model = Word2Vec(**params)
    if system == "gensim-file":
        model.build_vocab(corpus_file=corpus)
        started = time.perf_counter()
        model.train(corpus_file=corpus, total_words=model.corpus_total_words, epochs=epochs)
    else:
        sentences = _gensim_sentences(corpus)
        model.build_vocab(sentences)
        started = time.perf_counter()
        model.train(sentences, total_examples=model.corpus_count, epochs=epochs)
    return model.wv, time.perf_counter() - started, model.corpus_total_words


class _FacebookVectors:
    """fastText C++ vectors behind the two calls the evaluation makes."""

    def __init__(self, ft):
        from fastemb import KeyedVectors
        self.ft = ft
        words = ft.words
        self.kv = KeyedVectors.from_arrays(words, np.vstack([ft.get_word_vector(w)
                                                             for w in words]))

    def similarity(self, a, b):
        va, vb = self.ft.get_word_vector(a), self.ft.get_word_vector(b)
        return float(va @ vb / max(np.linalg.norm(va) * np.linalg.norm(vb), 1e-30))


def _train_fasttext(system, corpus, mode, workers, epochs, seed, floret=None):
    settings = dict(FASTTEXT_SETTINGS, epochs=epochs, workers=workers, seed=seed, **MODES[mode])
    if floret:
        settings.update(bucket=floret[0], mode="floret", hash_count=floret[1])
    started = time.perf_counter()
    if system in ("fasttext", "floret"):
        library = __import__(system)
        extra = dict(mode="floret", hashCount=floret[1]) if floret else {}
        ft = library.train_unsupervised(
            corpus, model="skipgram" if settings["sg"] else "cbow", dim=settings["vector_size"],
            ws=settings["window"], minCount=settings["min_count"], minn=settings["min_n"],
            maxn=settings["max_n"], bucket=settings["bucket"], epoch=epochs,
            lr=settings["alpha"], t=settings["sample"], thread=workers,
            loss="hs" if settings["hs"] else "ns", neg=settings["negative"] or 5, verbose=0,
            **extra)
        seconds = time.perf_counter() - started
        return _FacebookVectors(ft), seconds, None
    if system in ("fastemb", "fastemb-det"):
        from fastemb import FastText
        model = FastText(**settings, deterministic=system == "fastemb-det")
        model.build_vocab(corpus_file=corpus)
        model.train(corpus_file=corpus, total_words=model.corpus_total_words, epochs=epochs)
        model.wv.model = model  # for --size
    else:
        from gensim.models import FastText
        model = FastText(**settings)
        sentences = _gensim_sentences(corpus)
        model.build_vocab(sentences)
        model.train(sentences, total_examples=model.corpus_count, epochs=epochs)
    return model.wv, time.perf_counter() - started, model.corpus_total_words


def _bin_size_mb(vectors):
    """Size of the ``.bin`` file the system writes for its model."""
    import tempfile
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "model.bin")
        if isinstance(vectors, _FacebookVectors):
            vectors.ft.save_model(path)
        else:
            from fastemb import save_facebook_model
            save_facebook_model(vectors.model, path)
        return os.path.getsize(path) / 1e6


def _count_words(corpus):
    words = 0
    with open(corpus, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 24), b""):
            words += len(block.split())
    return words


def _spearman_all_pairs(vectors, path):
    """WordSim-353 Spearman with every pair scored (unseen words through
    their n-grams)."""
    from fastemb.vectors.stats import spearman
    model, human = [], []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("#") or not line.strip():
                continue
            a, b, score = line.rstrip("\n").split("\t")[:3]
            model.append(vectors.similarity(a.lower(), b.lower()))
            human.append(float(score))
    return float(spearman(np.array(model), np.array(human))[0])


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", choices=["word2vec", "fasttext", "glove"],
                        default="word2vec")
    parser.add_argument("--system", choices=["fastemb", "fastemb-det", "gensim", "gensim-file",
                                             "fasttext", "floret"], required=True)
    parser.add_argument("--floret", help="BUCKET,HASHES: FastText in floret mode")
    parser.add_argument("--size", type=int, default=0, help="1: report the .bin file's size")
    parser.add_argument("--mode", choices=sorted(MODES) + ["glove"], required=True)
    parser.add_argument("--corpus", required=True, help="uncompressed text file")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--epochs", type=int, help="default 5 (GloVe 15)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--eval-dir", required=True)
    args = parser.parse_args()
    if args.epochs is None:
        args.epochs = 15 if args.model == "glove" else 5
    if (args.model == "glove") != (args.mode == "glove") or \
            args.model == "glove" and args.system not in ("fastemb", "fastemb-det"):
        parser.error("--model glove goes with --mode glove and a fastemb system")
    wall = time.perf_counter()
    if args.model == "glove":
        vectors, train_seconds, corpus_words = _train_glove(
            args.system, args.corpus, args.workers, args.epochs, args.seed)
    elif args.model == "fasttext":
        floret = tuple(int(x) for x in args.floret.split(",")) if args.floret else None
        vectors, train_seconds, corpus_words = _train_fasttext(
            args.system, args.corpus, args.mode, args.workers, args.epochs, args.seed, floret)
    else:
        vectors, train_seconds, corpus_words = _train_word2vec(
            args.system, args.corpus, args.mode, args.workers, args.epochs, args.seed)
    wall = time.perf_counter() - wall
    if not corpus_words:
        corpus_words = _count_words(args.corpus)
    kv = getattr(vectors, "kv", vectors)
    ws_path = os.path.join(args.eval_dir, "wordsim353.tsv")
    pairs = kv.evaluate_word_pairs(ws_path)
    analogy, _ = kv.evaluate_word_analogies(os.path.join(args.eval_dir, "questions-words.txt"),
                                            restrict_vocab=30000)
    result = {"model": args.model, "system": args.system, "mode": args.mode,
              "workers": args.workers, "seed": args.seed, "wall_s": wall,
              "train_s": train_seconds, "words_per_s": corpus_words * args.epochs / train_seconds,
              "ws353": float(pairs[1][0]), "analogy": float(analogy)}
    if args.model == "fasttext":
        result["ws353_all"] = _spearman_all_pairs(vectors, ws_path)
    if args.size:
        result["bin_mb"] = _bin_size_mb(vectors)
    if args.system == "fastemb-det":
        result["sha256"] = hashlib.sha256(np.ascontiguousarray(kv.vectors).tobytes()).hexdigest()
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    json.dump(result, sys.stdout)
    print()


if __name__ == "__main__":
    main()
