"""``fastemb compress``: vectors of any format to compressed native vectors
(:class:`~fastemb.vectors.compressed.CompressedKeyedVectors`), with the
settings given or the best ones that fit a size budget."""
import os
import re
import sys

from fastemb.cli.vectors_files import decoding_option, load_vectors
from fastemb.vectors.compressed import METHODS, settings_for_size

_UNITS = {"": 1, "b": 1, "kb": 10 ** 3, "mb": 10 ** 6, "gb": 10 ** 9,
          "kib": 2 ** 10, "mib": 2 ** 20, "gib": 2 ** 30}


def parse_size(text):
    """Bytes of a size such as ``50MB``, ``1.5GiB`` or ``200000``.

    Raises
    ------
    ValueError
        Not a size.
    """
    match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*([a-zA-Z]*)\s*", text)
    if not match or match.group(2).lower() not in _UNITS:
        raise ValueError(f"--size {text!r} is not a size: write it as 50MB, 1.5GiB or a "
                         "number of bytes")
    return int(float(match.group(1)) * _UNITS[match.group(2).lower()])


def run(args):
    """Carry out ``fastemb compress`` as ``args`` ask; returns the exit status."""
    if args.size is not None and (args.method is not None or args.dsub is not None):
        raise ValueError("--size chooses --method and --dsub itself: give one or the other")
    budget = None if args.size is None else parse_size(args.size)
    kv = load_vectors(args.input, unicode_errors=args.unicode_errors)
    method, dsub = args.method or "pq", args.dsub or 2
    if budget is not None:
        method, dsub = settings_for_size(kv, budget, args.keep_words)
    small = kv.compress(method, dsub=dsub, keep_words=args.keep_words, threads=args.threads)
    small.save(args.output)
    setting = f"pq, dsub {dsub}" if method == "pq" else method
    print(f"wrote {len(small)} compressed vectors ({setting}) to {args.output}: "
          f"{os.path.getsize(args.output) / 2 ** 20:.1f} MB", file=sys.stderr)
    return 0


def add_parser(subparsers):
    """Add the ``compress`` command to ``subparsers``."""
    compress = subparsers.add_parser(
        "compress", help="compress vectors (product quantization or int8) into a native "
                         "file that answers every query")
    compress.add_argument("input")
    compress.add_argument("output")
    compress.add_argument("--method", choices=METHODS, default=None, help="default pq")
    compress.add_argument("--dsub", type=int, default=None,
                          help="pq: values a one-byte code (larger: smaller, coarser; "
                               "default 2)")
    compress.add_argument("--keep-words", type=int, default=None,
                          help="keep only the first (most frequent) N words")
    compress.add_argument("--size", default=None,
                          help="a size budget such as 50MB: the best settings that fit")
    compress.add_argument("--threads", type=int, default=None)
    decoding_option(compress, "--unicode-errors", "a word in a word2vec/GloVe file")
    compress.set_defaults(handler=run)
