"""Facebook fastText's binary model format (``.bin``, format version 12;
version 11 is read too).

Layout, little-endian::

    int32 magic 793712314, int32 version
    args:  int32 dim, ws, epoch, minCount, neg, wordNgrams, loss, model,
           bucket, minn, maxn, lrUpdateRate; float64 t
           (floret's files: int32 mode 1=fasttext 2=floret and int32
           hashCount after maxn, with the same magic and version)
    dictionary: int32 size, nwords, nlabels; int64 ntokens, pruneidx_size;
           size x (UTF-8 word, NUL, int64 count, int8 type 0=word 1=label);
           pruneidx_size x (int32, int32)
    uint8 quantized input, then the input matrix: int64 rows, int64 cols,
           rows x cols float32 (nwords word rows, then bucket n-gram rows)
    uint8 quantized output, then the output matrix the same way

Unsupervised models (cbow, skipgram) and, when asked for, supervised ones
(classifiers: labels after the words in the dictionary, one output row a
label) are read. A classifier may be quantized (``.ftz``): its dictionary
pruned (``pruneidx_size`` pairs map a kept n-gram bucket to its row among
the kept ones) and its matrices product-quantized::

    uint8 qnorm, int64 rows, int64 cols, int32 codesize, codesize x uint8 codes,
    quantizer: int32 dim, nsub, dsub, lastdsub, dim x 256 float32 centroids,
    (qnorm) rows x uint8 norm codes, then the norms' quantizer the same way

which are returned as records (:class:`QuantizedRecord`). Sizes are checked
against the file's length before anything is allocated.

Files of fastText before 0.1 have neither the magic number nor the
version (the arguments start the file), no ``pruneidx_size`` in the
dictionary and no quantization flags before the matrices. A file that does
not start with the magic number is read this way when its arguments are
plausible, and accepted when its last matrix ends where the file ends.

A floret file is told from a fastText one by its arguments: read as
fastText's, a floret file's ``lrUpdateRate`` is its mode (1 or 2) and its
``t`` the bytes of two small integers, a subnormal float no training ever
used; the floret reading must then give a known mode and 1 to 4 hashes.
"""
import collections
import mmap as mmap_module
import os
import struct

import numpy as np

from fastemb._vector_text import scan_fasttext_entries
from fastemb.errors import FormatError, UnsupportedModelError
from fastemb.io import native
from fastemb.io.native import decode_keys

__all__ = ["FastTextFile", "QuantizedRecord", "read_fasttext_bin", "write_fasttext_bin",
           "quantized_bytes", "is_facebook_model", "is_facebook_head", "KSUB",
           "FASTTEXT_MAGIC", "FASTTEXT_VERSION", "LOSS_NAMES", "LOSS_HS", "LOSS_NS",
           "MODEL_CBOW", "MODEL_SG"]

FASTTEXT_MAGIC = 793712314
FASTTEXT_VERSION = 12
_HEAD = struct.Struct("<ii")
_ARGS = struct.Struct("<12id")
_FLORET_ARGS = struct.Struct("<14id")
_FLORET_MODES = {1: "fasttext", 2: "floret"}
#: the smallest positive normal float64
_NORMAL_MIN = 2.2250738585072014e-308
_DICT_HEAD = struct.Struct("<iiiqq")
_OLD_DICT_HEAD = struct.Struct("<iiiq")
_MATRIX_HEAD = struct.Struct("<qq")
_ENTRY = struct.Struct("<qb")
_FLAG = struct.Struct("<?")
# fastText's enums
LOSS_NAMES = {1: "hs", 2: "ns", 3: "softmax", 4: "one-vs-all"}
_MODEL = {1: "cbow", 2: "skipgram", 3: "supervised"}
LOSS_HS, LOSS_NS = 1, 2
MODEL_CBOW, MODEL_SG = 1, 2

#: A parsed ``.bin`` file: the training arguments (fastText's names), the
#: dictionary's words, the corpus size, the two matrices (output None when
#: not read) and the dictionary's labels (empty unless supervised).
FastTextFile = collections.namedtuple(
    "FastTextFile",
    "args words counts ntokens input_matrix output labels label_counts pruneidx")
#: A product-quantized matrix as stored: ``quantizer`` and ``norm_quantizer``
#: are ``(dim, nsub, dsub, lastdsub, centroids)``; no norms: None.
QuantizedRecord = collections.namedtuple(
    "QuantizedRecord", "rows cols codes quantizer norm_codes norm_quantizer")
_PQ_HEAD = struct.Struct("<iiii")
_CODESIZE = struct.Struct("<i")
#: centroids a sub-quantizer has (codes are one byte)
KSUB = 256
MODEL_SUPERVISED = 3


def is_facebook_model(path):
    """True if ``path`` starts with fastText's magic number, or with the
    plausible arguments of a file from before fastText 0.1."""
    try:
        with open(path, "rb") as handle:
            return is_facebook_head(handle.read(_ARGS.size))
    except OSError:
        return False


def is_facebook_head(head):
    """:func:`is_facebook_model` of a file's first bytes (at least 56)."""
    if len(head) >= _HEAD.size and _HEAD.unpack_from(head)[0] == FASTTEXT_MAGIC:
        return True
    return len(head) >= _ARGS.size and _plausible_old_args(_ARGS.unpack_from(head))


def _plausible_old_args(fields):
    """Whether the 13 fields at the start of a file read as the arguments of
    a model from before fastText 0.1 (no magic number)."""
    dim, ws, epoch, min_count, neg, word_ngrams, loss, model, bucket, minn, maxn, _, t = fields
    return (0 < dim <= 100000 and 0 < ws <= 10000 and 0 < epoch <= 100000 and min_count >= 0
            and neg >= 0 and 0 < word_ngrams <= 100 and loss in LOSS_NAMES and model in _MODEL
            and bucket >= 0 and 0 <= minn <= 100 and 0 <= maxn <= 100 and 0 <= t <= 1)


class _Reader:
    """Bounds-checked reads from a memory buffer, naming the file on error."""

    def __init__(self, data, path):
        self.data = data
        self.path = path
        self.pos = 0
        self.old = False  # a file from before fastText 0.1

    def need(self, nbytes, what):
        if self.pos + nbytes > len(self.data):
            raise FormatError(f"{self.path} is truncated: {what} needs {nbytes} bytes at offset "
                              f"{self.pos}, the file has {len(self.data)}")

    def unpack(self, layout, what):
        self.need(layout.size, what)
        values = layout.unpack_from(self.data, self.pos)
        self.pos += layout.size
        return values


def _read_args(reader, supervised):
    magic, version = reader.unpack(_HEAD, "the header")
    reader.old = magic != FASTTEXT_MAGIC
    if reader.old:
        reader.pos = 0
        if len(reader.data) < _ARGS.size or not _plausible_old_args(
                _ARGS.unpack_from(reader.data, 0)):
            raise FormatError(f"{reader.path} is not a fastText .bin model (bad magic number, "
                              "and its start does not read as the arguments of a model from "
                              "before fastText 0.1 either)")
    elif version not in (11, 12):
        raise FormatError(f"{reader.path} has fastText format version {version}; "
                          "versions 11 and 12 are supported")
    start = reader.pos
    fields = reader.unpack(_ARGS, "the training arguments")
    names = ("dim", "ws", "epoch", "min_count", "neg", "word_ngrams", "loss", "model", "bucket",
             "minn", "maxn", "lr_update_rate")
    args = dict(zip(names, fields[:12]), mode="fasttext", hash_count=1)
    args["t"] = fields[12]
    if fields[11] in _FLORET_MODES and 0 < abs(fields[12]) < _NORMAL_MIN:
        reader.pos = start
        fields = reader.unpack(_FLORET_ARGS, "floret's training arguments")
        floret_names = names[:11] + ("mode", "hash_count", "lr_update_rate")
        args = dict(zip(floret_names, fields[:14]))
        args["t"] = fields[14]
        if args["mode"] not in _FLORET_MODES or not 1 <= args["hash_count"] <= 4:
            raise FormatError(f"{reader.path} reads as a floret model with mode "
                              f"{args['mode']} and {args['hash_count']} hashes, neither of "
                              "which floret writes: the header is corrupt")
        args["mode"] = _FLORET_MODES[args["mode"]]
    if args["model"] == MODEL_SUPERVISED and not supervised:
        raise UnsupportedModelError(f"{reader.path} is a supervised fastText model (a "
                                    "classifier): load it with fastemb.fasttext.load_model; "
                                    "load_facebook_model reads cbow/skipgram models")
    if args["model"] not in _MODEL or args["loss"] not in LOSS_NAMES:
        raise FormatError(f"{reader.path} has an unknown model ({args['model']}) or loss "
                          f"({args['loss']}) code")
    if args["dim"] <= 0 or args["bucket"] < 0:
        raise FormatError(f"{reader.path} has a corrupt header (dim {args['dim']}, "
                          f"bucket {args['bucket']})")
    return args


def _read_dictionary(reader, supervised, encoding="utf-8"):
    if reader.old:  # no pruned entries before fastText 0.1
        size, nwords, nlabels, ntokens = reader.unpack(_OLD_DICT_HEAD, "the dictionary")
        prune_size = -1
    else:
        size, nwords, nlabels, ntokens, prune_size = reader.unpack(_DICT_HEAD, "the dictionary")
    if size < 0 or nwords < 0 or nlabels < 0 or nwords + nlabels != size:
        raise FormatError(f"{reader.path} has a corrupt dictionary header "
                          f"(size {size}, words {nwords}, labels {nlabels})")
    if nlabels and not supervised:
        raise UnsupportedModelError(f"{reader.path} holds {nlabels} labels: a supervised "
                                    "model (load it with fastemb.fasttext.load_model)")
    # each entry takes at least 10 bytes: refuse a lying size before allocating
    reader.need(size * 10, f"a dictionary of {size} words")
    starts = np.empty(size, dtype=np.int64)
    lengths = np.empty(size, dtype=np.int32)
    counts = np.empty(size, dtype=np.int64)
    kinds = np.empty(size, dtype=np.int8)
    found, reader.pos = scan_fasttext_entries(np.frombuffer(reader.data, dtype=np.uint8),
                                              reader.pos, starts, lengths, counts, kinds)
    if found < size:
        raise FormatError(f"{reader.path} is truncated: its dictionary announces {size} "
                          f"entries, the file holds {found}")
    expected = np.arange(size) >= nwords  # words first, then labels
    wrong = np.flatnonzero(kinds != expected)
    if len(wrong):
        i = int(wrong[0])
        raise FormatError(f"{reader.path}: dictionary entry {i} is a "
                          f"{'label' if kinds[i] else 'word'} among the "
                          f"{'words' if i < nwords else 'labels'}")
    # the views of the mapped file are temporaries, and the error is raised
    # after its traceback is gone: the map can only close once no view is left
    undecodable = None
    try:
        # a classifier's words are whatever bytes its training text held
        words = decode_keys(np.frombuffer(reader.data, dtype=np.uint8), starts, lengths, size,
                            "surrogateescape" if supervised else "strict", encoding)
    except UnicodeDecodeError as exc:
        undecodable = exc.key
    if undecodable is not None:
        raise FormatError(f"{reader.path}: dictionary word {undecodable} is not valid "
                          f"{encoding} (pass encoding= the text's)")
    pruneidx = None
    if prune_size >= 0:
        if not supervised:
            raise FormatError(f"{reader.path} is a pruned (quantized) model, which is not "
                              "supported")
        reader.need(prune_size * 8, f"{prune_size} pruned n-gram entries")
        pairs = np.frombuffer(reader.data, dtype="<i4", count=2 * prune_size,
                              offset=reader.pos).reshape(-1, 2).astype(np.int64)
        reader.pos += prune_size * 8
        pruneidx = pairs
    if len(set(words)) != len(words):
        raise FormatError(f"{reader.path} has duplicate words in its dictionary")
    return words[:nwords], counts[:nwords], words[nwords:], counts[nwords:], ntokens, pruneidx


def _read_quantizer(reader, what):
    dim, nsub, dsub, lastdsub = reader.unpack(_PQ_HEAD, f"the {what} quantizer")
    if dim <= 0 or dsub <= 0 or not 0 < lastdsub <= dsub or \
            nsub != (dim + dsub - 1) // dsub or (nsub - 1) * dsub + lastdsub != dim:
        raise FormatError(f"{reader.path}: corrupt {what} quantizer (dim {dim}, {nsub} "
                          f"sub-quantizers of {dsub}, the last of {lastdsub})")
    reader.need(dim * KSUB * 4, f"the {what} centroids")
    centroids = np.frombuffer(reader.data, dtype="<f4", count=dim * KSUB,
                              offset=reader.pos).astype(np.float32)
    reader.pos += dim * KSUB * 4
    return dim, nsub, dsub, lastdsub, centroids


def _read_quantized(reader, what):
    qnorm = reader.unpack(_FLAG, f"the {what} norm flag")[0]
    rows, cols = reader.unpack(_MATRIX_HEAD, f"the {what} matrix header")
    codesize = reader.unpack(_CODESIZE, f"the {what} code size")[0]
    if rows < 0 or cols <= 0 or codesize < 0:
        raise FormatError(f"{reader.path}: corrupt quantized {what} matrix ({rows} x {cols})")
    reader.need(codesize, f"the {what} codes")
    codes = np.frombuffer(reader.data, dtype=np.uint8, count=codesize,
                          offset=reader.pos).copy()
    reader.pos += codesize
    quantizer = _read_quantizer(reader, what)
    if quantizer[0] != cols or codesize != rows * quantizer[1]:
        raise FormatError(f"{reader.path}: the {what} codes do not fit {rows} x {cols}")
    norm_codes = norm_quantizer = None
    if qnorm:
        reader.need(rows, f"the {what} norm codes")
        norm_codes = np.frombuffer(reader.data, dtype=np.uint8, count=rows,
                                   offset=reader.pos).copy()
        reader.pos += rows
        norm_quantizer = _read_quantizer(reader, f"{what} norm")
        if norm_quantizer[0] != 1:
            raise FormatError(f"{reader.path}: the {what} norms' quantizer is not 1-d")
    return QuantizedRecord(rows, cols, codes.reshape(rows, quantizer[1]), quantizer,
                           norm_codes, norm_quantizer)


def _read_matrix(reader, handle, what, mmap, quantized_allowed=False):
    quantized = False if reader.old else reader.unpack(_FLAG, f"the {what} flag")[0]
    if quantized and not quantized_allowed:
        raise FormatError(f"{reader.path} has a quantized {what} matrix (.ftz), "
                          "which is not supported")
    if quantized:
        return _read_quantized(reader, what)
    rows, cols = reader.unpack(_MATRIX_HEAD, f"the {what} matrix header")
    if rows < 0 or cols <= 0:
        raise FormatError(f"{reader.path}: corrupt {what} matrix shape ({rows}, {cols})")
    nbytes = rows * cols * 4
    reader.need(nbytes, f"the {what} matrix ({rows} x {cols})")
    if mmap is not None and nbytes:
        matrix = np.memmap(reader.path, dtype="<f4", mode=mmap, offset=reader.pos,
                           shape=(rows, cols))
    else:
        handle.seek(reader.pos)
        matrix = np.fromfile(handle, dtype="<f4", count=rows * cols).reshape(rows, cols)
        matrix = matrix.astype(np.float32, copy=False)
    reader.pos += nbytes
    return matrix


def read_fasttext_bin(path, mmap=None, with_output=True, supervised=False, encoding="utf-8"):
    """Parse a ``.bin`` file: header and dictionary through a read-only map
    of the file (nothing is copied), matrices read or mapped directly.

    Parameters
    ----------
    path : str or os.PathLike
    mmap : {None, 'r', 'c'}
        Map the matrices from the file instead of reading them.
    with_output : bool
        Also read the output matrix.
    supervised : bool
        Accept supervised models (classifiers) too.
    encoding : str
        Of the dictionary's words (fastText keeps the bytes of its training
        text; gensim's test data has a ``cp852`` model).

    Returns
    -------
    FastTextFile

    Raises
    ------
    FormatError
        Not a fastText model, truncated, corrupt, quantized, or supervised
        when not asked for.
    """
    path = os.fspath(path)
    if mmap not in (None, "r", "c"):
        raise ValueError("mmap must be None, 'r' or 'c'")
    try:
        handle = open(path, "rb")
    except OSError as exc:
        raise FormatError(f"cannot read {path}: {exc}") from None
    with handle:
        size = os.fstat(handle.fileno()).st_size
        if size < _HEAD.size:
            raise FormatError(f"{path} is not a fastText .bin model (only {size} bytes)")
        with mmap_module.mmap(handle.fileno(), 0, access=mmap_module.ACCESS_READ) as data:
            reader = _Reader(data, path)
            args = _read_args(reader, supervised)
            words, counts, labels, label_counts, ntokens, pruneidx = _read_dictionary(
                reader, supervised, encoding)
            input_matrix = _read_matrix(reader, handle, "input", mmap, supervised)
            quantized = isinstance(input_matrix, QuantizedRecord)
            if pruneidx is not None and not quantized:
                raise FormatError(f"{path} has a pruned dictionary but a plain input matrix "
                                  "(fastText refuses such files too)")
            if quantized:
                expected_rows = len(words) + (args["bucket"] if pruneidx is None
                                              else len(pruneidx))
                shape = (input_matrix.rows, input_matrix.cols)
            else:
                expected_rows, shape = len(words) + args["bucket"], input_matrix.shape
            if shape != (expected_rows, args["dim"]):
                raise FormatError(f"{path}: input matrix {shape} does not match "
                                  f"{len(words)} words + {expected_rows - len(words)} n-gram "
                                  f"rows of dimension {args['dim']}")
            output = _read_matrix(reader, handle, "output", mmap, quantized) \
                if with_output else None
            if reader.old:
                _check_old_end(reader, with_output)
    width = None if output is None else \
        output.cols if isinstance(output, QuantizedRecord) else output.shape[1]
    if width is not None and width != args["dim"]:
        raise FormatError(f"{path}: output matrix dimension {width} does not match "
                          f"{args['dim']}")
    return FastTextFile(args, words, counts, ntokens, input_matrix, output, labels,
                        label_counts, pruneidx)


def _check_old_end(reader, output_read):
    """A file without the magic number is only taken for an old model if
    its output matrix ends exactly where the file does."""
    end = reader.pos
    if not output_read:
        rows, cols = reader.unpack(_MATRIX_HEAD, "the output matrix header")
        end = reader.pos + rows * cols * 4
    if end != len(reader.data):
        raise FormatError(f"{reader.path} is not a fastText .bin model: read as one from before "
                          f"fastText 0.1 (no magic number), its matrices end at byte {end}, "
                          f"the file at {len(reader.data)}")


def _quantizer_bytes(quantizer):
    dim, nsub, dsub, lastdsub, centroids = quantizer
    return _PQ_HEAD.pack(dim, nsub, dsub, lastdsub) + \
        np.ascontiguousarray(centroids, dtype="<f4").tobytes()


def quantized_bytes(record):
    """A :class:`QuantizedRecord` in fastText's layout (after its flag)."""
    out = _FLAG.pack(record.norm_codes is not None)
    out += _MATRIX_HEAD.pack(record.rows, record.cols)
    codes = np.ascontiguousarray(record.codes, dtype=np.uint8)
    out += _CODESIZE.pack(codes.size) + codes.tobytes() + _quantizer_bytes(record.quantizer)
    if record.norm_codes is not None:
        out += np.ascontiguousarray(record.norm_codes, dtype=np.uint8).tobytes()
        out += _quantizer_bytes(record.norm_quantizer)
    return out


def write_fasttext_bin(path, args, words, counts, ntokens, word_rows, ngram_blocks, output,
                       labels=(), label_counts=(), pruneidx=None, quantized_input=None):
    """Write a ``.bin`` file that fastText 0.9 loads, atomically.

    Parameters
    ----------
    path : str or os.PathLike
    args : dict
        fastText's training arguments by the names :func:`read_fasttext_bin`
        gives (``dim``, ``ws``, ``epoch``, ``min_count``, ``neg``,
        ``word_ngrams``, ``loss``, ``model``, ``bucket``, ``minn``, ``maxn``,
        ``lr_update_rate``, ``t``); with ``mode="floret"`` and
        ``hash_count``, floret's layout is written.
    words : list of str
    counts : sequence of int
    ntokens : int
        Words in the training corpus.
    word_rows : ndarray, shape (len(words), dim)
    ngram_blocks : iterable of ndarray
        The ``bucket`` n-gram rows in order, in blocks (so that the full
        matrix never has to be in memory).
    output : ndarray, shape (len(words), dim) or (len(labels), dim)
    labels, label_counts : sequences, optional
        A supervised model's labels, after the words in the dictionary.
    pruneidx : ndarray of int64, shape (k, 2), optional
        A pruned dictionary's (bucket, row) pairs.
    quantized_input : QuantizedRecord, optional
        Written instead of ``word_rows`` and ``ngram_blocks`` (a ``.ftz``);
        ``output`` may then be a QuantizedRecord too.
    """
    names = ("dim", "ws", "epoch", "min_count", "neg", "word_ngrams", "loss", "model",
             "bucket", "minn", "maxn", "lr_update_rate")
    header = _HEAD.pack(FASTTEXT_MAGIC, FASTTEXT_VERSION)
    if args.get("mode", "fasttext") == "floret":
        header += _FLORET_ARGS.pack(*(int(args[name]) for name in names[:11]), 2,
                                    int(args["hash_count"]), int(args["lr_update_rate"]),
                                    float(args["t"]))
    else:
        header += _ARGS.pack(*(int(args[name]) for name in names), float(args["t"]))
    n_words, n_labels, dim = len(words), len(labels), int(args["dim"])
    header += _DICT_HEAD.pack(n_words + n_labels, n_words, n_labels, int(ntokens),
                              -1 if pruneidx is None else len(pruneidx))
    entries = [word.encode("utf-8", "surrogateescape") + b"\0" + _ENTRY.pack(int(count), 0)
               for word, count in zip(words, counts)]
    entries += [label.encode("utf-8", "surrogateescape") + b"\0" + _ENTRY.pack(int(count), 1)
                for label, count in zip(labels, label_counts)]
    with native.atomic_writer(path) as out:
        out.write(header)
        out.write(b"".join(entries))
        if pruneidx is not None:
            out.write(np.ascontiguousarray(pruneidx, dtype="<i4").tobytes())
        if quantized_input is not None:
            out.write(_FLAG.pack(True))
            out.write(quantized_bytes(quantized_input))
        else:
            out.write(_FLAG.pack(False))
            out.write(_MATRIX_HEAD.pack(n_words + int(args["bucket"]), dim))
            out.write(np.ascontiguousarray(word_rows, dtype="<f4").data)
            for block in ngram_blocks:
                out.write(np.ascontiguousarray(block, dtype="<f4").data)
        if isinstance(output, QuantizedRecord):
            out.write(_FLAG.pack(True))  # fastText's qout
            out.write(quantized_bytes(output))
        else:
            out.write(_FLAG.pack(False))
            out.write(_MATRIX_HEAD.pack(output.shape[0], dim))
            out.write(np.ascontiguousarray(output, dtype="<f4").data)
