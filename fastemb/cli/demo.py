"""``fastemb demo``: train on the bundled King James Bible and show neighbours."""
import os
import sys
import time

from fastemb.corpus.readers import LineSentence, simple_tokenize
from fastemb.data import datapath
from fastemb.models.word2vec import Word2Vec


def run(args):
    """Carry out ``fastemb demo`` as ``args`` ask; returns the exit status."""
    corpus = LineSentence(datapath("kjv.txt.gz"), tokenizer=simple_tokenize)
    print("training skip-gram on the King James Bible (bundled, public domain)...",
          file=sys.stderr)
    started = time.monotonic()
    model = Word2Vec(corpus, vector_size=100, window=5, min_count=5, sg=1, epochs=args.epochs,
                     workers=args.workers, seed=args.seed)
    print(f"{len(model.wv)} words, {model.corpus_total_words} raw words, trained in "
          f"{time.monotonic() - started:.1f} s\n")
    for word in ("god", "king", "water", "sword", "jerusalem", "love"):
        neighbours = ", ".join(f"{w} ({s:.2f})" for w, s in model.wv.most_similar(word, topn=6))
        print(f"{word:>10}: {neighbours}")
    analogy = model.wv.most_similar(positive=["king", "woman"], negative=["man"], topn=3)
    print(f"\nking - man + woman = {', '.join(w for w, _ in analogy)}")
    return 0


def add_parser(subparsers):
    """Add the ``demo`` command to ``subparsers``."""
    demo = subparsers.add_parser("demo", help="train on the bundled King James Bible and "
                                              "show neighbours")
    demo.add_argument("--epochs", type=int, default=5)
    demo.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    demo.add_argument("--seed", type=int, default=1)
    demo.set_defaults(handler=run)
