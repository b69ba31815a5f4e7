"""``fastemb plot``: a picture of words in two dimensions (PCA, t-SNE, UMAP)."""
import os
import sys

from fastemb.cli.vectors_files import FORMATS, decoding_option, known_words, load_vectors
from fastemb.errors import UnknownKeyError
from fastemb.io.native import atomic_writer
from fastemb.viz.plotting import plot


def _plotted_analogies(kv, arrows):
    """``FROM:TO`` arrows as pairs; one with an unknown word is skipped."""
    analogies = []
    for arrow in arrows:
        start, separator, end = arrow.partition(":")
        if not separator or not start or not end:
            raise ValueError(f"--analogy takes FROM:TO (king:queen), got {arrow!r}")
        if len(known_words(kv, [start, end])) == 2:
            analogies.append((start, end))
    return analogies

def run(args):
    """Carry out ``fastemb plot`` as ``args`` ask; returns the exit status."""
    import matplotlib
    matplotlib.use("Agg")  # files only: no display needed
    kv = load_vectors(args.vectors, args.format, args.unicode_errors)
    analogies = _plotted_analogies(kv, args.analogy)
    words = known_words(kv, args.words)
    if not words and not analogies:
        raise UnknownKeyError(args.words[0], f"none of {', '.join(map(repr, args.words))} is "
                                             "in the vocabulary: nothing to plot")
    figure = plot(kv, words, method=args.method, neighbours=args.neighbours,
                  analogies=analogies, seed=args.seed, title=args.title)
    extension = os.path.splitext(args.output)[1].lstrip(".").lower() or "png"
    with atomic_writer(args.output) as out:
        figure.savefig(out, format=extension, dpi=args.dpi)
    print(f"plotted {len(figure.plotted_words)} words to {args.output}", file=sys.stderr)
    return 0


def add_parser(subparsers):
    """Add the ``plot`` command to ``subparsers``."""
    plotter = subparsers.add_parser("plot", help="picture of words in two dimensions "
                                                 "(PCA, t-SNE, UMAP)")
    plotter.add_argument("vectors", help="vectors (any supported format)")
    plotter.add_argument("words", nargs="+")
    plotter.add_argument("-o", "--output", required=True, help="image file: .png, .svg, .pdf")
    plotter.add_argument("--method", choices=("pca", "tsne", "umap"), default="pca")
    plotter.add_argument("--neighbours", type=int, default=0,
                         help="also plot each word's N nearest neighbours, in its colour")
    plotter.add_argument("--analogy", action="append", default=[], metavar="FROM:TO",
                         help="an arrow between two words (repeatable): king:queen")
    plotter.add_argument("--title")
    plotter.add_argument("--seed", type=int, default=0)
    plotter.add_argument("--dpi", type=int, default=120)
    plotter.add_argument("--format", choices=("auto",) + FORMATS, default="auto")
    decoding_option(plotter, "--unicode-errors", "a word in a word2vec/GloVe file")
    plotter.set_defaults(handler=run)
