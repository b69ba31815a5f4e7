"""``fastemb explore``: open vectors or a model in the local explorer page."""
import csv
import os
import sys

from fastemb.cli.vectors_files import FORMATS, decoding_option, load_vectors
from fastemb.io.fasttext_bin import is_facebook_model


def _load(path, fmt, unicode_errors):
    """A fastText ``.bin`` through fastText's API (a classifier keeps its
    labels for the prediction panel); anything else as vectors."""
    if not os.path.exists(path):
        raise FileNotFoundError(f"no such model or vectors file: {path}")
    if fmt in ("auto", "fasttext") and is_facebook_model(path):
        from fastemb.fasttext import load_model
        return load_model(path)
    return load_vectors(path, fmt, unicode_errors)


def read_metadata(path):
    """Columns to colour the map by, from a TSV file whose first row names
    them (the first column holds the words): ``{column: {word: value}}``."""
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle, delimiter="\t"))
    if not rows or len(rows[0]) < 2:
        raise ValueError(f"{path}: a metadata file is a TSV whose first row names its "
                         "columns, the first column holding the words")
    header = rows[0]
    columns = {name: {} for name in header[1:]}
    for number, row in enumerate(rows[1:], start=2):
        if not row:
            continue
        if len(row) != len(header):
            raise ValueError(f"{path}, line {number}: {len(row)} fields for "
                             f"{len(header)} columns")
        for name, value in zip(header[1:], row[1:]):
            columns[name][row[0]] = value
    return columns


def run(args):
    """Carry out ``fastemb explore`` as ``args`` ask; returns the exit status."""
    from fastemb.explorer import explorer_for, serve
    model = _load(args.model, args.format, args.unicode_errors)
    other = None if args.model2 is None else _load(args.model2, args.format,
                                                    args.unicode_errors)
    metadata = read_metadata(args.metadata) if args.metadata else None
    explorer = explorer_for(model, other, os.path.basename(args.model),
                            None if args.model2 is None else os.path.basename(args.model2),
                            metadata, args.map_words)
    server = serve(explorer, args.host, args.port)
    print(f"fastemb explorer: {server.url} (Ctrl-C to stop)", file=sys.stderr, flush=True)
    server.serve_forever()
    return 0


def add_parser(subparsers):
    """Add the ``explore`` command to ``subparsers``."""
    explore = subparsers.add_parser(
        "explore", help="look at vectors in the browser: neighbours, analogies, a map")
    explore.add_argument("model", help="vectors or a model in any format fastemb reads")
    explore.add_argument("model2", nargs="?", help="a second model to compare with")
    explore.add_argument("--port", type=int, default=8000, help="0 picks a free port")
    explore.add_argument("--host", default="127.0.0.1",
                         help="address to serve on (default: this machine only)")
    explore.add_argument("--metadata", help="TSV of columns to colour the map by (a header "
                                            "row, then a word and its values a line)")
    explore.add_argument("--map-words", type=int, default=20000,
                         help="the map shows this many of the most frequent words")
    explore.add_argument("--format", choices=("auto",) + FORMATS, default="auto")
    decoding_option(explore, "--unicode-errors", "a word in a word2vec/GloVe file")
    explore.set_defaults(handler=run)
