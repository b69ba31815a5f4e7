"""``fastemb phrases``: join frequent word pairs (``new_york``) in a corpus."""
import sys

from fastemb.cli.embed import read_documents
from fastemb.cli.vectors_files import decoding_option
from fastemb.corpus.phrases import ENGLISH_CONNECTOR_WORDS, Phrases
from fastemb.corpus.readers import TOKENIZERS
from fastemb.io.native import atomic_writer


def run(args):
    """Carry out ``fastemb phrases`` as ``args`` ask; returns the exit status."""
    if args.passes < 1:
        raise ValueError(f"--passes must be at least 1, got {args.passes}")
    corpus = read_documents(args.corpus, args)
    connectors = ENGLISH_CONNECTOR_WORDS if args.connector_words == "english" else frozenset()
    found = {}
    for _ in range(args.passes):
        # each pass can join a phrase found before with another word
        model = Phrases(corpus, min_count=args.min_count, threshold=args.threshold,
                        scoring=args.scoring, connector_words=connectors).freeze()
        corpus = [model[sentence] for sentence in corpus]
        found.update(model.phrasegrams)
    with atomic_writer(args.output) as out:
        out.write("".join(" ".join(sentence) + "\n" for sentence in corpus).encode("utf-8"))
    if args.save_model:
        model.save(args.save_model)
    best = sorted(found.items(), key=lambda item: -item[1])[:args.show]
    print(f"{len(found)} phrases; wrote {len(corpus)} sentences to {args.output}"
          + (f"; strongest: {', '.join(p for p, _ in best)}" if best else ""), file=sys.stderr)
    return 0


def add_parser(subparsers):
    """Add the ``phrases`` command to ``subparsers``."""
    phrases = subparsers.add_parser("phrases",
                                    help="join frequent word pairs (new_york) in a corpus")
    phrases.add_argument("corpus", help="text file, a sentence a line")
    phrases.add_argument("-o", "--output", required=True,
                         help="the corpus with phrases joined, for `fastemb train`")
    phrases.add_argument("--min-count", type=int, default=5)
    phrases.add_argument("--threshold", type=float, default=10.0,
                         help="score a pair needs (default scoring ~10; npmi in (-1, 1])")
    phrases.add_argument("--scoring", choices=["default", "npmi"], default="default")
    phrases.add_argument("--connector-words", choices=["none", "english"], default="none",
                         help="english: 'of', 'the', ... may sit inside a phrase")
    phrases.add_argument("--passes", type=int, default=1,
                         help="2 finds phrases of up to four words")
    phrases.add_argument("--tokenizer", choices=TOKENIZERS, default="whitespace")
    decoding_option(phrases, "--encoding-errors", "corpus text")
    phrases.add_argument("--save-model", help="also save the (last pass's) frozen phrases")
    phrases.add_argument("--show", type=int, default=10, help="strongest phrases to name")
    phrases.set_defaults(handler=run)
