"""``fastemb convert``: vectors from one format to another, or a gensim model to
fastemb's."""
import sys

from fastemb.cli.vectors_files import FORMATS, decoding_option, load_vectors, save_vectors
from fastemb.io.gensim_pickle import is_pickle
from fastemb.models.gensim_models import load_gensim


def run(args):
    """Carry out ``fastemb convert`` as ``args`` ask; returns the exit status."""
    if args.input_format in ("auto", "gensim") and is_pickle(args.input):
        # a gensim .model file: read as data only, keep the whole model when asked
        loaded = load_gensim(args.input)
        kv = getattr(loaded, "wv", loaded)
        if args.to == "native" and loaded is not kv:
            loaded.save(args.output)
            print(f"converted a gensim {type(loaded).__name__} model ({len(kv)} words, dimension "
                  f"{kv.vector_size}) to a fastemb model: {args.output}", file=sys.stderr)
            return 0
    else:
        kv = load_vectors(args.input, args.input_format, args.unicode_errors)
    save_vectors(kv, args.output, args.to)
    print(f"wrote {len(kv)} vectors of dimension {kv.vector_size} as {args.to} to {args.output}",
          file=sys.stderr)
    return 0


def add_parser(subparsers):
    """Add the ``convert`` command to ``subparsers``."""
    convert = subparsers.add_parser("convert", help="convert vectors between formats, or a gensim "
                                             "model to fastemb's")
    convert.add_argument("input")
    convert.add_argument("output")
    convert.add_argument("--to", choices=FORMATS, required=True)
    convert.add_argument("--input-format", choices=("auto", "gensim") + FORMATS, default="auto",
                         help="'gensim': a model/KeyedVectors file gensim saved (read "
                              "without running code from it)")
    decoding_option(convert, "--unicode-errors", "a word in a word2vec/GloVe file")
    convert.set_defaults(handler=run)
