"""Train one model with one system and print a JSON line of measurements.

Run as a subprocess by ``bench/word2vec_vs_gensim.py`` so that each run's peak
RSS is its own. Systems: ``fastemb``, ``gensim`` (iterable or corpus_file).
"""
import argparse
import json
import os
import resource
import sys
import time

MODES = {
    "sg-ns": dict(sg=1, hs=0, negative=5),
    "cbow-ns": dict(sg=0, hs=0, negative=5),
    "sg-hs": dict(sg=1, hs=1, negative=0),
    "cbow-hs": dict(sg=0, hs=1, negative=0),
}


def _train(system, corpus, mode, workers, epochs, seed):
    params = dict(vector_size=100, window=5, min_count=5, sample=1e-3, epochs=epochs,
                  workers=workers, seed=seed, **MODES[mode])
    if system == "fastemb":
        from fastemb import Word2Vec
        model = Word2Vec(**params)
        model.build_vocab(corpus_file=corpus)
        started = time.perf_counter()
        model.train(corpus_file=corpus, epochs=epochs)
        return model, time.perf_counter() - started, model.corpus_total_words
    from gensim.models import Word2Vec
    model = Word2Vec(**params)
    if system == "gensim-file":
        model.build_vocab(corpus_file=corpus)
        started = time.perf_counter()
        model.train(corpus_file=corpus, total_words=model.corpus_total_words, epochs=epochs)
    else:
        # Text8Corpus streams the file in small blocks; LineSentence would hold
        # a one-line corpus (text8, gcide8) in memory as one list of strings
        from gensim.models.word2vec import LineSentence, Text8Corpus
        with open(corpus, "rb") as handle:
            one_line = handle.read(1 << 20).count(b"\n") <= 1
        sentences = Text8Corpus(corpus) if one_line else LineSentence(corpus)
        model.build_vocab(sentences)
        started = time.perf_counter()
        model.train(sentences, total_examples=model.corpus_count, epochs=epochs)
    return model, time.perf_counter() - started, model.corpus_total_words


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--system", choices=["fastemb", "gensim", "gensim-file"], required=True)
    parser.add_argument("--mode", choices=sorted(MODES), required=True)
    parser.add_argument("--corpus", required=True, help="uncompressed text file")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--eval-dir", required=True)
    args = parser.parse_args()
    wall = time.perf_counter()
    model, train_seconds, corpus_words = _train(args.system, args.corpus, args.mode,
                                                args.workers, args.epochs, args.seed)
    wall = time.perf_counter() - wall
    wv = model.wv
    pairs = wv.evaluate_word_pairs(os.path.join(args.eval_dir, "wordsim353.tsv"))
    analogy, _ = wv.evaluate_word_analogies(os.path.join(args.eval_dir, "questions-words.txt"),
                                            restrict_vocab=30000)
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    json.dump({"system": args.system, "mode": args.mode, "workers": args.workers,
               "seed": args.seed, "wall_s": wall, "train_s": train_seconds,
               "words_per_s": corpus_words * args.epochs / train_seconds,
               "peak_rss_mb": peak_kb / 1024.0, "ws353": float(pairs[1][0]),
               "analogy": float(analogy)}, sys.stdout)
    print()


if __name__ == "__main__":
    main()
