"""``fastemb similar``: nearest neighbours of words, and analogies."""
from fastemb.cli.vectors_files import FORMATS, decoding_option, known_words, load_vectors
from fastemb.errors import UnknownKeyError


def run(args):
    """Carry out ``fastemb similar`` as ``args`` ask; returns the exit status."""
    kv = load_vectors(args.vectors, args.format, args.unicode_errors)
    positive, negative = known_words(kv, args.words), known_words(kv, args.minus or [])
    if not positive and not negative:
        asked = args.words + (args.minus or [])
        raise UnknownKeyError(asked[0], f"none of {', '.join(map(repr, asked))} is in the "
                                        "vocabulary")
    results = kv.most_similar(positive=positive, negative=negative or None, topn=args.topn)
    for word, score in results:
        print(f"{word}\t{score:.4f}")
    return 0


def add_parser(subparsers):
    """Add the ``similar`` command to ``subparsers``."""
    similar = subparsers.add_parser("similar", help="nearest neighbours of words")
    similar.add_argument("vectors")
    similar.add_argument("words", nargs="+", help="words to add up")
    similar.add_argument("--minus", nargs="*", help="words to subtract (analogies)")
    similar.add_argument("--topn", type=int, default=10)
    similar.add_argument("--format", choices=("auto",) + FORMATS, default="auto")
    decoding_option(similar, "--unicode-errors", "a word in a word2vec/GloVe file")
    similar.set_defaults(handler=run)
