"""``fastemb align``: map one vector space onto another (Procrustes, CSLS,
refinement) and test it on a dictionary."""
import sys

from fastemb.cli.vectors_files import (
    FORMATS,
    decoding_option,
    format_for,
    load_vectors,
    save_vectors,
)
from fastemb.vectors.align import Alignment, read_dictionary


def run(args):
    """Carry out ``fastemb align`` as ``args`` ask; returns the exit status."""
    source = load_vectors(args.source, args.source_format, args.unicode_errors)
    target = load_vectors(args.target, args.target_format, args.unicode_errors)
    if not args.dict and not args.identical:
        raise ValueError("give a seed dictionary (--dict) or --identical to seed with the "
                         "words both vocabularies share")
    pairs = read_dictionary(args.dict) if args.dict else None
    alignment = Alignment.fit(source, target, pairs, identical=args.identical,
                              refine=args.refine, max_rank=args.max_rank)
    print(f"fitted on {len(alignment.dictionary)} pairs"
          f"{f' after {args.refine} refinement round(s)' if args.refine else ''}",
          file=sys.stderr)
    if args.test:
        result = alignment.evaluate_translation(read_dictionary(args.test))
        print(f"test: {result['words']} words ({result['skipped']} skipped); "
              + "; ".join(f"{m.upper()} P@1 {result[m]['p@1']:.3f} P@5 {result[m]['p@5']:.3f}"
                          for m in ("nn", "csls")), file=sys.stderr)
    save_vectors(alignment.mapped_source(), args.output, format_for(args.output, args.format))
    if args.save_map:
        alignment.save(args.save_map)
    print(f"saved the mapped source vectors to {args.output}", file=sys.stderr)
    return 0


def add_parser(subparsers):
    """Add the ``align`` command to ``subparsers``."""
    align = subparsers.add_parser("align", help="map source vectors into a target space (another "
                                         "language or corpus): Procrustes, CSLS, refinement")
    align.add_argument("source", help="vectors to map (any supported format)")
    align.add_argument("target", help="vectors of the target space")
    align.add_argument("-o", "--output", required=True,
                       help="where to save the mapped source vectors")
    align.add_argument("--dict", help="seed dictionary: source and target word a line")
    align.add_argument("--identical", action="store_true",
                       help="also seed with words spelled the same in both vocabularies")
    align.add_argument("--refine", type=int, default=5,
                       help="refinement rounds from mutual nearest neighbours (default 5)")
    align.add_argument("--max-rank", type=int, default=5000,
                       help="most frequent words refinement uses (default 5000)")
    align.add_argument("--test", help="test dictionary: print P@1 and P@5, NN and CSLS")
    align.add_argument("--save-map", help="also save the map (fastemb native file)")
    align.add_argument("--format", choices=FORMATS)
    align.add_argument("--source-format", choices=("auto",) + FORMATS, default="auto")
    align.add_argument("--target-format", choices=("auto",) + FORMATS, default="auto")
    decoding_option(align, "--unicode-errors", "a word in a word2vec/GloVe file")
    align.set_defaults(handler=run)
