"""Labelled text in fastText's format, read and encoded as fastText reads it.

A line is one document: whitespace-separated tokens (space, tab, newline,
carriage return, vertical tab, form feed and NUL separate them), of which
those starting with the label prefix (``__label__``) are its labels. Each
newline also yields the end-of-sentence token ``</s>``, a word like any
other. fastText's dictionary keeps the words seen ``minCount`` times and
the labels seen ``minCountLabel`` times, words first, each kind by
falling count.

A document's input rows are, in fastText's order: each word's row (or,
with character n-grams, its row and its n-grams' buckets; an unknown word
has only its n-grams), then the hashed word n-grams up to ``wordNgrams``
words, unknown words included. Hashes are fastText's, so a file written
here loads there and the other way round.

Tokens are kept as bytes; words and labels are decoded from UTF-8 with
``surrogateescape``, so that any byte sequence goes back to the same bytes.
"""
import itertools
import operator
import os

import numpy as np

from fastemb._subwords import ngram_hash, vocab_ngram_buckets
from fastemb._tokens import scan_tokens
from fastemb.errors import CorpusError
from fastemb.io.compression import open_by_suffix

__all__ = ["EOS", "BOW", "EOW", "LabelledVocabulary", "EncodedDocuments", "TokenTable",
           "tokenize", "read_bytes", "read_documents", "split_documents", "word_ngram_buckets",
           "encode_documents", "build_vocabulary"]

EOS = "</s>"
BOW = "<"
EOW = ">"
_EOS = EOS.encode()
#: fastText's multiplier for chaining word hashes into n-gram hashes
NGRAM_MULTIPLIER = 116049371


def _decode(token):
    return token.decode("utf-8", "surrogateescape")


def _encode(text):
    return text.encode("utf-8", "surrogateescape")


def tokenize(text):
    """Split ``text`` into tokens as fastText does; each newline gives
    ``</s>``.

    Parameters
    ----------
    text : str

    Returns
    -------
    list of str
    """
    return [_decode(t) for line in split_documents(_encode(text)) for t in line]


def split_documents(data):
    """Token lists of the lines of ``data`` (bytes), each ending with
    ``</s>`` when a newline ends it (a last line without one has none).

    Returns
    -------
    list of list of bytes
    """
    table = TokenTable.from_bytes(data)  # the one tokenizer, fastText's, in C
    tokens = [table.distinct[i] for i in table.ids.tolist()]
    ends = np.cumsum(table.line_tokens).tolist()
    return [tokens[start:end] for start, end in zip([0] + ends[:-1], ends)]


def read_bytes(path):
    """The bytes of a labelled text file, decompressed (gzip, bzip2, xz).

    Raises
    ------
    CorpusError
        The file cannot be read.
    """
    try:
        with open_by_suffix(os.fspath(path)) as handle:
            return handle.read()
    except OSError as exc:
        raise CorpusError(f"cannot read {os.fspath(path)}: {exc}") from None


def read_documents(path):
    """The documents of a labelled text file (gzip, bzip2 and xz too), as a
    :class:`TokenTable`.

    Raises
    ------
    CorpusError
        The file cannot be read.
    """
    return TokenTable.from_bytes(read_bytes(path))


class LabelledVocabulary:
    """fastText's dictionary of a supervised model: its words, labels and
    their counts, and the hashing settings of the input rows.

    Parameters
    ----------
    words, labels : list of str
    word_counts, label_counts : array of int64
    ntokens : int
        Tokens read to build it (words, labels and ``</s>``).
    label_prefix : str
    word_ngrams, minn, maxn, bucket : int
        The input rows' settings (see the module notes).
    """

    def __init__(self, words, word_counts, labels, label_counts, ntokens, label_prefix,
                 word_ngrams, minn, maxn, bucket):
        self.words = list(words)
        self.word_counts = np.asarray(word_counts, dtype=np.int64)
        self.labels = list(labels)
        self.label_counts = np.asarray(label_counts, dtype=np.int64)
        self.ntokens = int(ntokens)
        self.label_prefix = label_prefix
        self.word_ngrams = int(word_ngrams)
        self.minn, self.maxn, self.bucket = int(minn), int(maxn), int(bucket)
        self.word_index = {_encode(w): i for i, w in enumerate(self.words)}
        self.label_index = {_encode(label): i for i, label in enumerate(self.labels)}
        self.prefix_bytes = _encode(label_prefix)
        self._subwords = None

    @property
    def n_words(self):
        return len(self.words)

    @property
    def n_labels(self):
        return len(self.labels)

    @property
    def n_rows(self):
        """Rows of the input matrix: words, then buckets."""
        return self.n_words + self.bucket

    def has_subwords(self):
        return self.maxn > 0 and self.bucket > 0

    def is_label(self, token):
        """True if the token (bytes) starts with the label prefix."""
        return token.startswith(self.prefix_bytes)

    def ngram_rows(self, tokens):
        """Input rows of the character n-grams of each token (bytes, without
        ``<``/``>``): ``(offsets, rows)``."""
        if not self.has_subwords() or not tokens:
            return np.zeros(len(tokens) + 1, np.int64), np.zeros(0, np.int32)
        blob = np.frombuffer(b"".join(tokens), dtype=np.uint8)
        ends = np.cumsum([len(t) for t in tokens], dtype=np.int64)
        offsets, buckets = vocab_ngram_buckets(blob, ends, self.minn, self.maxn, self.bucket)
        return offsets, (buckets + self.n_words).astype(np.int32)

    def word_subwords(self):
        """``(offsets, rows)``: each word's input rows, its own row and then
        its character n-grams' (``</s>`` has none)."""
        if self._subwords is None:
            n = self.n_words
            words = [_encode(w) for w in self.words]
            with_grams = np.array([i for i, w in enumerate(words) if w != _EOS]
                                  if self.has_subwords() else [], dtype=np.int64)
            gram_offsets, grams = self.ngram_rows([words[i] for i in with_grams])
            lengths = np.diff(gram_offsets)
            counts = np.ones(n, dtype=np.int64)
            counts[with_grams] += lengths
            offsets = _offsets(counts)
            rows = np.empty(int(offsets[-1]), dtype=np.int32)
            rows[offsets[:-1]] = np.arange(n, dtype=np.int32)
            # each word's n-grams right after its own row
            within = np.arange(len(grams), dtype=np.int64) - np.repeat(gram_offsets[:-1], lengths)
            rows[np.repeat(offsets[with_grams] + 1, lengths) + within] = grams
            self._subwords = (offsets, rows)
        return self._subwords


class TokenTable:
    """Documents as ids into their distinct tokens, the form both counting
    and encoding start from (so a training set is hashed into it once).

    Parameters
    ----------
    documents : list of list of bytes
        From :func:`read_documents` or :func:`split_documents`.

    Attributes
    ----------
    distinct : list of bytes
        Each distinct token, in order of first appearance.
    ids : ndarray of int64
        The tokens of every document, one after another, as indices into
        ``distinct``.
    line_tokens : ndarray of int32
        Tokens of each document.
    hashes : ndarray of uint32 or None
        fastText's hash of each distinct token, when the scanner computed it.
    """

    def __init__(self, documents):
        self.line_tokens = np.fromiter((len(d) for d in documents), dtype=np.int32,
                                       count=len(documents))
        flat = list(itertools.chain.from_iterable(documents))
        index = {token: i for i, token in enumerate(dict.fromkeys(flat))}
        self.ids = np.fromiter(map(index.__getitem__, flat), dtype=np.int64, count=len(flat))
        self.distinct = list(index)
        self.hashes = None

    @classmethod
    def from_bytes(cls, data):
        """The documents of fastText-format text (bytes), tokenized in C."""
        table = cls.__new__(cls)
        view = np.frombuffer(data, dtype=np.uint8)
        table.ids, table.line_tokens, starts, lengths, table.hashes = scan_tokens(view)
        table.distinct = [_EOS if start < 0 else data[start:start + length]
                          for start, length in zip(starts.tolist(), lengths.tolist())]
        return table

    def __len__(self):
        return len(self.line_tokens)


def _table(documents):
    return documents if isinstance(documents, TokenTable) else TokenTable(documents)


def build_vocabulary(documents, label_prefix="__label__", min_count=1, min_count_label=0,
                     word_ngrams=1, minn=0, maxn=0, bucket=2000000):
    """Count the tokens of ``documents`` into fastText's dictionary.

    Parameters
    ----------
    documents : TokenTable or list of list of bytes

    Returns
    -------
    LabelledVocabulary

    Raises
    ------
    CorpusError
        No token at all, no word reaches ``min_count`` or no label reaches
        ``min_count_label``.
    """
    table = _table(documents)
    if not len(table.ids):
        raise CorpusError("the training data is empty: no token was read")
    distinct = table.distinct
    counts = np.bincount(table.ids, minlength=len(distinct))
    prefix = _encode(label_prefix)
    is_label = np.fromiter((t.startswith(prefix) for t in distinct), dtype=bool,
                           count=len(distinct))
    # words first, then labels, each by falling count; ties keep the order of
    # first appearance
    order = np.argsort(-counts, kind="stable")
    words = [i for i in order if not is_label[i] and counts[i] >= min_count]
    labels = [i for i in order if is_label[i] and counts[i] >= min_count_label]
    if not words:
        raise CorpusError(f"no word occurs at least minCount={min_count} times: the "
                          "vocabulary is empty (try a smaller minCount)")
    if all(distinct[i] == _EOS for i in words):
        raise CorpusError("the lines hold labels only: there is no word to learn from")
    if not labels:
        raise CorpusError(f"no label (a token starting with {label_prefix!r}) occurs at least "
                          f"minCountLabel={min_count_label} times: the training data must "
                          "have a label on its lines")
    return LabelledVocabulary([_decode(distinct[i]) for i in words], counts[words],
                              [_decode(distinct[i]) for i in labels], counts[labels],
                              len(table.ids), label_prefix, word_ngrams, minn, maxn, bucket)


def word_ngram_buckets(hashes, line_of, n, bucket):
    """Buckets of the word n-grams (2 to ``n`` words) of each word token.

    Parameters
    ----------
    hashes : array of uint32
        fastText's hash of each word token, documents one after another.
    line_of : array of int64
        The document of each token.
    n : int
        Longest n-gram (``wordNgrams``).
    bucket : int

    Returns
    -------
    ndarray of int64, shape (len(hashes), n - 1)
        Entry ``[i, m - 2]``: the bucket of the ``m``-gram starting at token
        ``i``, or -1 where it would cross the end of its document.
    """
    count = len(hashes)
    out = np.full((count, max(n - 1, 0)), -1, dtype=np.int64)
    if n < 2 or count == 0:
        return out
    if bucket <= 0:
        raise ValueError("word n-grams need buckets: bucket must be positive when "
                         "wordNgrams > 1")
    # fastText keeps word hashes as int32 and widens them to uint64: the
    # sign is extended
    wide = hashes.astype(np.uint32).view(np.int32).astype(np.int64).view(np.uint64)
    chained = wide.copy()
    valid = np.ones(count, dtype=bool)
    multiplier = np.uint64(NGRAM_MULTIPLIER)
    for m in range(2, n + 1):
        shift = m - 1
        if shift >= count:
            break
        valid[count - shift:] = False
        valid[:count - shift] &= line_of[shift:] == line_of[:count - shift]
        chained[:count - shift] = chained[:count - shift] * multiplier + wide[shift:]
        out[valid, m - 2] = (chained[valid] % np.uint64(bucket)).astype(np.int64)
    return out


class EncodedDocuments:
    """Documents as input rows and label ids, flat with offsets.

    Attributes
    ----------
    rows, row_offsets : array of int32, int64
        Document ``d``'s input rows: ``rows[row_offsets[d]:row_offsets[d + 1]]``.
    labels, label_offsets : array of int32, int64
        Its label ids, the same way.
    line_tokens : array of int32
        Tokens each document holds (words, labels, ``</s>``).
    """

    def __init__(self, rows, row_offsets, labels, label_offsets, line_tokens):
        self.rows = rows
        self.row_offsets = row_offsets
        self.labels = labels
        self.label_offsets = label_offsets
        self.line_tokens = line_tokens

    def __len__(self):
        return len(self.line_tokens)

    def document_rows(self, d):
        return self.rows[self.row_offsets[d]:self.row_offsets[d + 1]]

    def document_labels(self, d):
        return self.labels[self.label_offsets[d]:self.label_offsets[d + 1]]


def _offsets(counts):
    offsets = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    return offsets


def _gather(table_offsets, table_rows, keys):
    """The concatenated lists ``table_rows[table_offsets[k]:table_offsets[k + 1]]``
    of ``keys``, and each one's length."""
    starts = table_offsets[keys]
    lengths = table_offsets[keys + 1] - starts
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, np.int32), lengths
    # position of each output entry inside its list, added to its list's start
    within = np.arange(total, dtype=np.int64) - np.repeat(_offsets(lengths)[:-1], lengths)
    return table_rows[np.repeat(starts, lengths) + within], lengths


def encode_documents(documents, vocabulary):
    """Encode token lists over ``vocabulary`` (see the module notes).

    Parameters
    ----------
    documents : TokenTable or list of list of bytes
    vocabulary : LabelledVocabulary

    Returns
    -------
    EncodedDocuments
    """
    table = _table(documents)
    n_docs, line_tokens, ids, distinct = len(table), table.line_tokens, table.ids, table.distinct
    line_of = np.repeat(np.arange(n_docs, dtype=np.int64), line_tokens)
    # one entry a distinct token: kind, word or label id, hash, subword rows
    # map() keeps these lookups in C; the dictionary's words are never labels
    count = len(distinct)
    is_label = np.fromiter(map(operator.methodcaller("startswith", vocabulary.prefix_bytes),
                               distinct), dtype=bool, count=count)
    label_id = np.fromiter(map(vocabulary.label_index.get, distinct, itertools.repeat(-1)),
                           dtype=np.int64, count=count)
    word_id = np.fromiter(map(vocabulary.word_index.get, distinct, itertools.repeat(-1)),
                          dtype=np.int64, count=count)
    hashes = table.hashes
    if hashes is None:
        hashes = np.fromiter((ngram_hash(t) for t in distinct), dtype=np.uint32,
                             count=len(distinct))
    table_offsets, table_rows = _token_rows(distinct, is_label, word_id, vocabulary)

    # labels of each document
    token_label = label_id[ids]
    has_label = token_label >= 0
    labels = token_label[has_label].astype(np.int32)
    label_offsets = _offsets(np.bincount(line_of[has_label], minlength=n_docs))

    # input rows: each word token's list, then its document's word n-grams
    word_tokens = ~is_label[ids]
    word_keys = ids[word_tokens]
    word_line = line_of[word_tokens]
    own_rows, own_lengths = _gather(table_offsets, table_rows, word_keys)
    own_counts = np.bincount(word_line, weights=own_lengths, minlength=n_docs).astype(np.int64)
    grams = word_ngram_buckets(hashes[word_keys], word_line, vocabulary.word_ngrams,
                               vocabulary.bucket)
    gram_valid = grams >= 0
    gram_rows = (grams[gram_valid] + vocabulary.n_words).astype(np.int32)
    gram_line = np.repeat(word_line, grams.shape[1])[gram_valid.ravel()]
    gram_counts = np.bincount(gram_line, minlength=n_docs).astype(np.int64)

    row_offsets = _offsets(own_counts + gram_counts)
    rows = np.empty(int(row_offsets[-1]), dtype=np.int32)
    own_line = np.repeat(word_line, own_lengths)
    own_start = _offsets(own_counts)
    rows[row_offsets[own_line] + np.arange(len(own_rows)) - own_start[own_line]] = own_rows
    gram_start = _offsets(gram_counts)
    rows[row_offsets[gram_line] + own_counts[gram_line] + np.arange(len(gram_rows))
         - gram_start[gram_line]] = gram_rows
    return EncodedDocuments(rows, row_offsets, labels, label_offsets, line_tokens)


def _token_rows(distinct, is_label, word_id, vocabulary):
    """``(offsets, rows)``: each distinct token's own input rows (a known
    word's row and n-grams, an unknown word's n-grams, none for labels)."""
    n = len(distinct)
    known = np.flatnonzero(word_id >= 0)
    known_offsets, known_rows = vocabulary.word_subwords()
    known_lists, known_lengths = _gather(known_offsets, known_rows, word_id[known])
    unknown = np.zeros(0, dtype=np.int64)
    unknown_offsets, unknown_lists = np.zeros(1, np.int64), np.zeros(0, np.int32)
    if vocabulary.has_subwords():
        unknown = np.array([i for i in np.flatnonzero((word_id < 0) & ~is_label)
                            if distinct[i] != _EOS], dtype=np.int64)
        unknown_offsets, unknown_lists = vocabulary.ngram_rows([distinct[i] for i in unknown])
    unknown_lengths = np.diff(unknown_offsets)
    counts = np.zeros(n, dtype=np.int64)
    counts[known] = known_lengths
    counts[unknown] = unknown_lengths
    offsets = _offsets(counts)
    rows = np.empty(int(offsets[-1]), dtype=np.int32)
    for members, lists, lengths in ((known, known_lists, known_lengths),
                                    (unknown, unknown_lists, unknown_lengths)):
        within = np.arange(len(lists), dtype=np.int64) - np.repeat(_offsets(lengths)[:-1],
                                                                    lengths)
        rows[np.repeat(offsets[members], lengths) + within] = lists
    return offsets, rows
