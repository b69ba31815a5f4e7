"""Corpus readers: text files (plain, gzip, bzip2, xz), directories of them,
and the gensim-style iterables ``LineSentence``, ``PathLineSentences`` and
``Text8Corpus``.

Files are read in bounded chunks cut at whitespace, so a line of any length
(text8 is one 100 MB line) streams through in constant memory and is never
truncated. Every reader reports sentence boundaries (line ends) separately
from the tokens, which is what the encoder needs.
"""
import contextlib
import logging
import os
import re

from fastemb.errors import CorpusEncodingError, CorpusError
from fastemb.io.compression import COMPRESSED_SUFFIXES, DECOMPRESSION_ERRORS  # noqa: F401
from fastemb.io.compression import open_by_suffix as open_binary

__all__ = ["LineSentence", "PathLineSentences", "Text8Corpus", "corpus_files",
           "iter_file_blocks", "iter_file_pieces", "open_binary", "simple_tokenize"]

#: Bytes read from a file at a time.
CHUNK_BYTES = 1 << 19

#: Bytes a block of text may end after: ASCII whitespace, which never
#: continues a token nor a multi-byte UTF-8 character.
CUT_BYTES = (b" ", b"\n", b"\t", b"\r")

_WHITESPACE = b" \t\n\r\f\v"
_WORD_RE = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*", re.UNICODE)


def simple_tokenize(text):
    """Lower-case ``text`` and return its words (runs of letters, with inner
    apostrophes), dropping digits and punctuation.

    Parameters
    ----------
    text : str

    Returns
    -------
    list of str
    """
    return _WORD_RE.findall(text.lower())


_HAS_WORD_CHARACTER = re.compile(r"\w", re.UNICODE)

#: Tokenizers known by name (``tokenizer="simple"``, CLI ``--tokenizer``).
TOKENIZERS = ("whitespace", "simple", "jieba")


def jieba_tokenize(text):
    """Chinese word segmentation with jieba (an optional dependency:
    ``pip install 'fastemb[chinese]'``), keeping tokens that hold a letter
    or digit (spaces and punctuation are dropped).

    Parameters
    ----------
    text : str

    Returns
    -------
    list of str
    """
    import jieba
    return [token for token in jieba.lcut(text) if _HAS_WORD_CHARACTER.search(token)]


def get_tokenizer(tokenizer):
    """The tokenizer function a name or callable stands for.

    Parameters
    ----------
    tokenizer : None, callable or {'whitespace', 'simple', 'jieba'}
        None and ``'whitespace'`` split on whitespace (returned as None, the
        readers' fast path); ``'simple'`` is :func:`simple_tokenize`
        (gensim's ``simple_preprocess`` style); ``'jieba'`` segments Chinese.

    Returns
    -------
    callable or None

    Raises
    ------
    ValueError
        An unknown name.
    ImportError
        ``'jieba'`` without jieba installed, with the command that installs it.
    """
    if tokenizer is None or tokenizer == "whitespace":
        return None
    if callable(tokenizer):
        return tokenizer
    if tokenizer == "simple":
        return simple_tokenize
    if tokenizer == "jieba":
        try:
            import jieba
        except ImportError:
            raise ImportError("the jieba tokenizer needs jieba: pip install 'fastemb[chinese]' "
                              "(or pip install jieba)") from None
        jieba.setLogLevel(logging.WARNING)  # it announces its dictionary on stderr
        return jieba_tokenize
    raise ValueError(f"unknown tokenizer {tokenizer!r}: give a function or one of "
                     f"{', '.join(TOKENIZERS)}")


def corpus_files(path):
    """List the files of a corpus: ``path`` itself, or the files of a
    directory (sorted by name, hidden files skipped, not recursive).

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    list of str

    Raises
    ------
    CorpusError
        If ``path`` does not exist or is a directory with no files.
    """
    path = os.fspath(path)
    if os.path.isdir(path):
        files = sorted(os.path.join(path, name) for name in os.listdir(path)
                       if not name.startswith(".") and os.path.isfile(os.path.join(path, name)))
        if not files:
            raise CorpusError(f"corpus directory {path!r} contains no files")
        return files
    if not os.path.exists(path):
        raise CorpusError(f"corpus file {path!r} does not exist")
    return [path]


def _decode(data, path, offset, errors):
    try:
        return data.decode("utf-8", errors)
    except UnicodeDecodeError as exc:
        raise CorpusEncodingError(
            f"{path}: invalid UTF-8 at byte {offset + exc.start} "
            f"({data[exc.start:exc.start + 4]!r})") from None


def iter_file_blocks(path, encoding_errors="strict", chunk_bytes=CHUNK_BYTES, first_offset=0):
    """Stream one text file as blocks of valid UTF-8 that end at whitespace
    (or at the end of the file), so no token is cut between two blocks.

    Parameters
    ----------
    path : str or file object
        A plain, ``.gz``, ``.bz2`` or ``.xz`` text file in UTF-8, or a file
        already open (binary, or text mode; read from where it stands and
        left open).
    encoding_errors : {'strict', 'replace', 'ignore'}
        What to do with bytes that are not UTF-8; 'strict' raises
        :class:`CorpusError` naming the file and byte offset.
    chunk_bytes : int
        Bytes read at a time.
    first_offset : int
        Position in its file of the first byte read (for a stream over part
        of a file), so that errors name the right byte offset.

    Yields
    ------
    block : bytes
        UTF-8 (re-encoded after replacing or ignoring bad bytes).
    text : str
        The same block decoded.
    """
    carry = b""
    offset = first_offset  # file offset of carry[0]
    if hasattr(path, "read"):
        handle, path = contextlib.nullcontext(path), getattr(path, "name", "<file object>")
    else:
        try:
            handle = open_binary(path)
        except OSError as exc:
            raise CorpusError(f"cannot open corpus file {path!r}: {exc}") from None
    with handle as stream:
        while True:
            try:
                data = stream.read(chunk_bytes)
            except DECOMPRESSION_ERRORS as exc:
                raise CorpusError(f"{path}: corrupt or truncated compressed file ({exc})") from None
            if isinstance(data, str):
                data = data.encode("utf-8")  # a file opened in text mode
            at_eof = not data
            block = carry + data
            if at_eof:
                cut = len(block)
            else:
                # cut after the last whitespace byte: never inside a token nor
                # inside a multi-byte UTF-8 character
                cut = max(block.rfind(c) for c in CUT_BYTES) + 1
                if cut == 0:
                    carry = block  # one token longer than a chunk: read on
                    continue
            piece = block[:cut]
            text = _decode(piece, path, offset, encoding_errors)
            if encoding_errors != "strict":
                piece = text.encode("utf-8")  # any bad bytes were replaced or dropped
            offset += cut
            carry = block[cut:]
            if piece:
                yield piece, text
            if at_eof:
                return


def iter_file_pieces(path, tokenizer=None, encoding_errors="strict", chunk_bytes=CHUNK_BYTES):
    """Stream one text file as ``(tokens, ends_sentence)`` pieces.

    A piece is the tokens of one line, or of part of a line that is longer
    than a chunk; ``ends_sentence`` is True on the piece that ends a line.

    Parameters
    ----------
    path : str or file object
        As for :func:`iter_file_blocks`.
    tokenizer : callable, optional
        ``str -> list of str``, applied to each line or whitespace-delimited
        part of a line; default ``str.split``.
    encoding_errors : {'strict', 'replace', 'ignore'}
    chunk_bytes : int
        Bytes read at a time.

    Yields
    ------
    tuple of (list of str, bool)
    """
    split = tokenizer or str.split
    line_open = False
    for _, text in iter_file_blocks(path, encoding_errors, chunk_bytes):
        lines = text.split("\n")
        for line in lines[:-1]:
            yield split(line), True
            line_open = False
        tail = lines[-1]
        if tail:
            yield split(tail), False
            line_open = True
    if line_open:
        yield [], True


def worker_line_starts(path, workers):
    """Where each of ``workers`` readers of a plain text file starts: the
    file is cut at ``workers`` evenly spaced byte positions, each moved back
    to the start of its line (the rule gensim uses to share a
    ``corpus_file`` among its workers).

    Parameters
    ----------
    path : str or os.PathLike
        An uncompressed file (byte offsets into a compressed one mean
        nothing to a reader).
    workers : int

    Returns
    -------
    (list of int, list of int)
        Each reader's byte offset and the number (0-based) of the line it
        starts on; shorter than ``workers`` only for an empty file.
    """
    if int(workers) < 1:
        raise ValueError(f"workers must be at least 1, got {workers!r}")
    size = os.path.getsize(path)
    cuts = [size // int(workers) * part for part in range(int(workers))]
    offsets, line_numbers = [], []
    line_start, cut = 0, 0
    with open(path, "rb") as stream:
        for number, line in enumerate(stream):
            line_end = line_start + len(line)
            while cut < len(cuts) and cuts[cut] < line_end:  # the cut falls in this line
                offsets.append(line_start)
                line_numbers.append(number)
                cut += 1
            if cut == len(cuts):
                break
            line_start = line_end
    return offsets, line_numbers


class LineSentence:
    """Iterate a text file (or a directory of them), one line a sentence.

    A restartable iterable, as gensim's ``LineSentence``: each line is split on
    whitespace (or by ``tokenizer``) and yielded as a list of str. Lines are
    yielded whole; pass ``max_sentence_length`` to cut them into pieces.

    Parameters
    ----------
    source : str or os.PathLike or file object
        A plain, ``.gz``, ``.bz2`` or ``.xz`` file, or a directory of them,
        or an open file (rewound before every pass when it can seek).
    max_sentence_length : int, optional
        Cut longer lines into pieces of at most this many tokens.
    limit : int, optional
        Read at most this many lines.
    tokenizer : callable or str, optional
        ``str -> list of str``, or a name of :func:`get_tokenizer`
        (``'whitespace'``, ``'simple'``, ``'jieba'``); default ``str.split``.
    encoding_errors : {'strict', 'replace', 'ignore'}
        Handling of bytes that are not UTF-8.
    """

    def __init__(self, source, max_sentence_length=None, limit=None, tokenizer=None,
                 encoding_errors="strict"):
        if hasattr(source, "read"):
            self.files, self.source = [source], source
        else:
            self.files = corpus_files(source)
            self.source = os.fspath(source)
        self.max_sentence_length = max_sentence_length
        self.limit = limit
        self.tokenizer = get_tokenizer(tokenizer)
        self.encoding_errors = encoding_errors

    def __iter__(self):
        lines = 0
        for path in self.files:
            if hasattr(path, "seek") and getattr(path, "seekable", lambda: False)():
                path.seek(0)
            pending = []
            for tokens, ends in iter_file_pieces(path, self.tokenizer, self.encoding_errors):
                pending.extend(tokens)
                if not ends:
                    continue
                if self.limit is not None and lines >= self.limit:
                    return
                lines += 1
                step = self.max_sentence_length or max(len(pending), 1)
                for start in range(0, max(len(pending), 1), step):
                    yield pending[start:start + step]
                pending = []


class PathLineSentences(LineSentence):
    """Like :class:`LineSentence` for every file of a directory, in name order."""


class Text8Corpus:
    """Iterate a text8-style file (one long line) in sentences of
    ``max_sentence_length`` words, as gensim's ``Text8Corpus``.

    Parameters
    ----------
    fname : str or os.PathLike
    max_sentence_length : int
        Words per yielded sentence (gensim's default 10000).
    """

    def __init__(self, fname, max_sentence_length=10000):
        self.fname = os.fspath(fname)
        self.max_sentence_length = max_sentence_length

    def __iter__(self):
        sentence = []
        for tokens, _ in iter_file_pieces(self.fname):
            sentence.extend(tokens)
            while len(sentence) >= self.max_sentence_length:
                yield sentence[:self.max_sentence_length]
                sentence = sentence[self.max_sentence_length:]
        if sentence:
            yield sentence
