"""``fastemb export-projector``: vectors for TensorFlow's Embedding Projector."""
import os
import sys

from fastemb.cli.vectors_files import FORMATS, decoding_option, load_vectors
from fastemb.viz.projector import METADATA_COLUMNS, export_projector


def run(args):
    """Carry out ``fastemb export-projector`` as ``args`` ask; returns the exit status."""
    kv = load_vectors(args.vectors, args.format, args.unicode_errors)
    paths = export_projector(kv, args.folder, limit=args.limit, metadata=args.metadata)
    n = len(kv) if args.limit is None else min(args.limit, len(kv))
    print(f"wrote {n} vectors for the Embedding Projector to {args.folder}: "
          f"{', '.join(os.path.basename(p) for p in paths.values())} (TensorBoard: "
          f"tensorboard --logdir {args.folder}; or load the two .tsv files at "
          "projector.tensorflow.org)", file=sys.stderr)
    return 0


def add_parser(subparsers):
    """Add the ``projector`` command to ``subparsers``."""
    projector = subparsers.add_parser("export-projector",
                               help="write vectors for TensorFlow's Embedding Projector")
    projector.add_argument("vectors", help="vectors (any supported format)")
    projector.add_argument("folder", help="where to write tensors.tsv, metadata.tsv and "
                                          "projector_config.pbtxt")
    projector.add_argument("--limit", type=int, help="only the first N (most frequent) keys")
    projector.add_argument("--metadata", nargs="*", default=[], choices=METADATA_COLUMNS,
                           help="extra metadata columns")
    projector.add_argument("--format", choices=("auto",) + FORMATS, default="auto")
    decoding_option(projector, "--unicode-errors", "a word in a word2vec/GloVe file")
    projector.set_defaults(handler=run)
