"""``fastemb embed``: a vector for each document of a file, from a Doc2Vec model
or from word vectors (SIF, mean, TF-IDF)."""
import os
import sys

import numpy as np

from fastemb.cli.vectors_files import FORMATS, decoding_option, load_vectors
from fastemb.corpus.readers import TOKENIZERS, LineSentence
from fastemb.io.native import atomic_writer, read_header
from fastemb.io.sniff import sniff_vectors_format
from fastemb.models.doc2vec import Doc2Vec
from fastemb.vectors.sentence import SentenceVectors


def read_documents(path, args):
    return list(LineSentence(path, tokenizer=args.tokenizer,
                             encoding_errors=args.encoding_errors))

def run(args):
    """Carry out ``fastemb embed`` as ``args`` ask; returns the exit status."""
    documents = read_documents(args.documents, args)
    model = None
    if sniff_vectors_format(args.model) == "native" and args.format in ("auto", "native"):
        if read_header(args.model)[0]["meta"].get("kind") == "Doc2Vec":
            model = Doc2Vec.load(args.model)
    method = args.method or ("doc2vec" if model is not None else "sif")
    if method == "doc2vec":
        if model is None:
            raise ValueError("--method doc2vec needs a Doc2Vec model saved by fastemb")
        vectors = model.infer_vectors(documents, workers=args.workers)
        empty = 0
    else:
        wv = model.wv if model is not None else \
            load_vectors(args.model, args.format, args.unicode_errors)
        embedder = SentenceVectors(wv, method=method)
        fit_on = read_documents(args.fit, args) if args.fit else documents
        vectors = embedder.fit(fit_on).transform(documents)
        empty = embedder.n_empty_
    with atomic_writer(args.output) as out:
        if args.output.endswith(".tsv"):
            out.write("".join("\t".join(f"{x:.6g}" for x in row) + "\n"
                              for row in vectors).encode("utf-8"))
        else:
            np.save(out, vectors)
    print(f"embedded {len(vectors)} documents ({method}, dimension {vectors.shape[1]}"
          f"{f', {empty} without a known word: zero vectors' if empty else ''}) "
          f"to {args.output}", file=sys.stderr)
    return 0


def add_parser(subparsers):
    """Add the ``embed`` command to ``subparsers``."""
    embed = subparsers.add_parser("embed", help="embed documents (one a line) as vectors")
    embed.add_argument("model", help="word vectors (any format) or a native Doc2Vec model")
    embed.add_argument("documents", help="text file, one document a line")
    embed.add_argument("-o", "--output", required=True,
                       help="output: .npy (float32 matrix) or .tsv (one row a line)")
    embed.add_argument("--method", choices=["doc2vec", "sif", "mean", "tfidf"],
                       help="default: doc2vec for a Doc2Vec model, else sif")
    embed.add_argument("--fit", help="texts to fit SIF/TF-IDF on (default: the documents)")
    embed.add_argument("--tokenizer", choices=TOKENIZERS, default="whitespace")
    embed.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    embed.add_argument("--format", choices=("auto",) + FORMATS, default="auto")
    decoding_option(embed, "--encoding-errors", "document text")
    decoding_option(embed, "--unicode-errors", "a word in a word2vec/GloVe file")
    embed.set_defaults(handler=run)
