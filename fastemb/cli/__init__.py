"""The ``fastemb`` command (also ``python -m fastemb``): one module a
subcommand, each with ``add_parser(subparsers)`` and ``run(args)``.

Errors are reported as one line naming the problem, with exit status 2;
Ctrl-C during training saves what was trained and exits with status 130.
"""
import argparse
import logging
import sys

from fastemb.cli import (
    align,
    compress,
    convert,
    demo,
    embed,
    evaluate,
    explore,
    fasttext_cli,
    phrases,
    plot,
    projector,
    similar,
    train,
)
from fastemb.cli.progress import ProgressBar
from fastemb.cli.vectors_files import DECODING_FLAGS, load_vectors, save_vectors
from fastemb.errors import CorpusEncodingError, FileEncodingError

__all__ = ["main", "build_parser", "load_vectors", "save_vectors", "ProgressBar"]

#: The subcommands in the order ``fastemb --help`` lists them.
COMMANDS = (train, embed, phrases, similar, evaluate, convert, compress, align, projector, plot,
            explore, demo, fasttext_cli)


def build_parser():
    """The argument parser of the ``fastemb`` command."""
    parser = argparse.ArgumentParser(prog="fastemb", description="Fast static word embeddings.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    sub = parser.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        command.add_parser(sub)
    return parser


def main(argv=None):
    """Run the ``fastemb`` command; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(asctime)s %(name)s %(levelname)s: %(message)s")
    try:
        return args.handler(args)
    except KeyboardInterrupt:
        print("\nfastemb: interrupted", file=sys.stderr)
        return 130
    except (ValueError, KeyError, OSError, NotImplementedError, ImportError) as exc:
        # a plain KeyError's str() is just the quoted key; ours say what it is
        message = str(exc) if type(exc) is not KeyError else f"unknown key {exc.args[0]!r}"
        if isinstance(exc, (FileEncodingError, CorpusEncodingError)) and \
                exc.option in DECODING_FLAGS:
            message = f"{exc.detail}; add {DECODING_FLAGS[exc.option]} replace to read it anyway"
        print(f"fastemb: error: {message}", file=sys.stderr)
        return 2
