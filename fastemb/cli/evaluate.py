"""``fastemb evaluate``: WordSim-353 and Google analogy scores of vectors."""
import os

from fastemb.cli.vectors_files import FORMATS, decoding_option, load_vectors
from fastemb.data import datapath


def run(args):
    """Carry out ``fastemb evaluate`` as ``args`` ask; returns the exit status."""
    kv = load_vectors(args.vectors, args.format, args.unicode_errors)
    pairs = args.pairs or datapath("wordsim353.tsv")
    analogies = args.analogies or datapath("questions-words.txt.gz")
    pearson, spearman, oov = kv.evaluate_word_pairs(pairs, restrict_vocab=args.restrict_vocab)
    print(f"word pairs ({os.path.basename(pairs)}): Spearman {spearman.statistic:.4f} "
          f"(p={spearman.pvalue:.2g}), Pearson {pearson.statistic:.4f}, {oov:.1f}% pairs unknown")
    score, sections = kv.evaluate_word_analogies(analogies, restrict_vocab=args.restrict_vocab)
    answered = len(sections[-1]["correct"]) + len(sections[-1]["incorrect"])
    print(f"analogies ({os.path.basename(analogies)}): accuracy {score:.4f} over {answered} "
          f"questions (restrict_vocab={args.restrict_vocab})")
    return 0


def add_parser(subparsers):
    """Add the ``evaluate`` command to ``subparsers``."""
    evaluate = subparsers.add_parser("evaluate", help="WordSim-353 and Google analogy scores")
    evaluate.add_argument("vectors")
    evaluate.add_argument("--pairs", help="word-pair file (default: bundled WordSim-353)")
    evaluate.add_argument("--analogies", help="analogy file (default: bundled Google set)")
    evaluate.add_argument("--restrict-vocab", type=int, default=30000)
    evaluate.add_argument("--format", choices=("auto",) + FORMATS, default="auto")
    decoding_option(evaluate, "--unicode-errors", "a word in a word2vec/GloVe file")
    evaluate.set_defaults(handler=run)
