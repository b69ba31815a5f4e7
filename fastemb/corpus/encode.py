"""Encode a corpus once into a flat ``int32`` array of word ids plus sentence
end offsets, counting words on the way.

Training then never touches Python objects: the kernels read this array. Two
modes:

* *counting* (``vocab=None``): every new word gets the next provisional id;
  the vocabulary is chosen afterwards (:mod:`fastemb.corpus.vocab`) and the array is
  remapped in one vectorised pass. ``max_vocab_size`` prunes rare words while
  scanning, as gensim does, to bound memory.
* *fixed* (``vocab`` given): words outside it are dropped while scanning.
"""
import logging
import os
from array import array
from collections.abc import Iterable

import numpy as np

from fastemb._scan import TokenScanner
from fastemb.corpus.readers import (
    CHUNK_BYTES,
    LineSentence,
    PathLineSentences,
    corpus_files,
    iter_file_blocks,
    iter_file_pieces,
)
from fastemb.corpus.threaded_scan import scan_threaded
from fastemb.corpus.vocab import keep_word, select_vocabulary
from fastemb.errors import CorpusArgumentError, CorpusError
from fastemb.memory import release_free_memory

logger = logging.getLogger(__name__)

__all__ = ["EncodedCorpus", "CorpusEncoder", "ScannedCorpus", "encode_iterable", "encode_files",
           "scan_files", "remap_ids", "encode_documents", "vocabulary_index",
           "encode_source", "check_corpus_source", "scan_corpus", "source_key"]

#: Token ids buffered in a Python list before they are moved into numpy.
FLUSH_TOKENS = 1 << 18


class EncodedCorpus:
    """A corpus as word ids, kept in chunks until :meth:`compact` joins them.

    Attributes
    ----------
    chunks : list of ndarray of int32
        Word ids, all sentences back to back, in pieces.
    sentence_ends : ndarray of int64
        Exclusive end offset of each sentence in the joined ids.
    words : list of str or None
        Word of each id (None for ids pruned by ``max_vocab_size``).
    counts : ndarray of int64
        Occurrences of each id.
    raw_words : int
        All tokens read, including words that were dropped.
    encoded : ScannedCorpus or None
        The corpus already encoded over the vocabulary these counts give
        with the scan's settings (an encoded cache, :mod:`fastemb.corpus.cache`),
        used when that vocabulary is chosen.
    """

    def __init__(self, chunks, sentence_ends, words, counts, raw_words):
        self.encoded = None
        self.chunks = chunks
        self.sentence_ends = sentence_ends
        self.words = words
        self.counts = counts
        self.raw_words = raw_words

    @property
    def n_sentences(self):
        """Number of sentences (lines, documents)."""
        return len(self.sentence_ends)

    def compact(self, mapping=None):
        """Join the chunks into one array, replacing every id ``i`` by
        ``mapping[i]`` and dropping ids mapped to -1.

        The chunks are consumed one at a time, so the peak memory is the
        final array plus one chunk (not twice the corpus).

        Parameters
        ----------
        mapping : ndarray of int32, optional
            New id of each current id, or -1 to drop it.

        Returns
        -------
        tokens : ndarray of int32
        sentence_ends : ndarray of int64
            Sentence ends moved back by the tokens dropped before them.
        """
        if mapping is None:
            total = sum(len(c) for c in self.chunks)
        else:
            total = int(self.counts[mapping >= 0].sum())
        tokens = np.empty(total, dtype=np.int32)

        def drain():
            while self.chunks:
                yield self.chunks.pop(0)
        ends = remap_ids(drain(), self.sentence_ends, mapping, tokens)
        return tokens, ends


def remap_ids(chunks, sentence_ends, mapping, out):
    """Write the ids of ``chunks`` into ``out`` through ``mapping`` (ids
    mapped to -1 are dropped) and move the sentence ends to match.

    Parameters
    ----------
    chunks : iterable of ndarray of int32
        The corpus's provisional ids in order, in pieces of any size (read
        lazily: ``out`` may be a memory-mapped file larger than RAM).
    sentence_ends : ndarray of int64
        Exclusive end of each sentence in the provisional ids.
    mapping : ndarray of int32 or None
        New id of each provisional id, -1 to drop it; None keeps them all.
    out : ndarray of int32
        Receives exactly the ids kept.

    Returns
    -------
    ndarray of int64
        The sentence ends in ``out``.
    """
    ends = np.array(sentence_ends, dtype=np.int64)
    written = 0   # ids written to ``out``
    consumed = 0  # ids of the chunks done
    first = 0     # first sentence end not yet moved
    for chunk in chunks:
        # sentence ends inside this chunk (one at its very start belongs to the last)
        last = int(np.searchsorted(sentence_ends, consumed + len(chunk), side="right"))
        if mapping is None:
            kept_ids = chunk
        else:
            mapped = mapping[chunk]
            kept = mapped >= 0
            kept_ids = mapped[kept]
            kept_before = np.zeros(len(chunk) + 1, dtype=np.int64)
            np.cumsum(kept, out=kept_before[1:])
            ends[first:last] = written + kept_before[sentence_ends[first:last] - consumed]
        out[written:written + len(kept_ids)] = kept_ids
        written += len(kept_ids)
        consumed += len(chunk)
        first = last
    if written != len(out):
        raise ValueError(f"the chunks hold {written} ids kept, not the {len(out)} expected")
    ends[first:] = written
    return ends


class CorpusEncoder:
    """Accumulate tokens into an :class:`EncodedCorpus`.

    Parameters
    ----------
    vocab : dict of str to int, optional
        Fixed vocabulary; words outside it are dropped. Without it, ids are
        assigned in order of first appearance.
    max_vocab_size : int, optional
        Counting mode only: when more distinct words than this are held, the
        rarest are forgotten (gensim's pruning rule), bounding memory.
    known_ids : dict of str to int, optional
        Counting mode only: ids ``0..n-1`` an earlier pass gave its words,
        which keep them (new words get ``n``, ``n + 1``, ...); their counts
        start at zero.
    trim_rule : callable, optional
        ``(word, count, min_count) -> RULE_*``: consulted when pruning, as
        gensim does (a word it keeps survives pruning).
    """

    def __init__(self, vocab=None, max_vocab_size=None, known_ids=None, trim_rule=None):
        if known_ids is not None and (vocab is not None or max_vocab_size is not None):
            raise ValueError("known_ids is for counting without pruning")
        self._fixed = vocab is not None
        # counting hands out ids in insertion order: insert known words by id
        self._ids = dict(vocab) if vocab is not None else dict(
            sorted((known_ids or {}).items(), key=lambda item: item[1]))
        self._max_vocab_size = max_vocab_size
        self._trim_rule = trim_rule
        self._pending = []
        self._chunks = []
        self._ends = array("q")
        self._length = 0  # tokens flushed so far
        self._raw_words = 0
        self._counts = np.zeros(len(self._ids), dtype=np.int64)
        if known_ids is not None and sorted(self._ids.values()) != list(range(len(self._ids))):
            raise ValueError("known_ids must number the words 0..n-1")
        self._words = list(vocab) if vocab is not None else []
        self._min_reduce = 1
        self._sentence_open = False

    @property
    def n_tokens(self):
        """Tokens kept so far."""
        return self._length + len(self._pending)

    def add(self, tokens, ends_sentence=True):
        """Append ``tokens`` to the current sentence.

        Parameters
        ----------
        tokens : list of str
        ends_sentence : bool
            Close the current sentence after these tokens.
        """
        self._raw_words += len(tokens)
        ids = self._ids
        if self._fixed:
            get = ids.get
            self._pending.extend([i for i in map(get, tokens) if i is not None])
        elif self._max_vocab_size is None:
            # ids are dense and never deleted, so the next id is len(ids)
            remember = ids.setdefault
            self._pending.extend([remember(word, len(ids)) for word in tokens])
        else:
            # pruning deletes words: ids come from a counter instead
            get = ids.get
            for word in tokens:
                idx = get(word)
                if idx is None:
                    idx = ids[word] = len(self._words)
                    self._words.append(word)
                self._pending.append(idx)
        if ends_sentence:
            self._ends.append(self._length + len(self._pending))
        self._sentence_open = not ends_sentence
        if len(self._pending) >= FLUSH_TOKENS:
            self._flush()
        if self._max_vocab_size is not None and len(ids) > self._max_vocab_size:
            # gensim's rule, checked after every sentence: one pruning pass,
            # each one stricter than the last
            self._flush()
            self._prune()

    def _flush(self):
        if not self._pending:
            return
        chunk = np.array(self._pending, dtype=np.int32)
        self._pending = []
        self._chunks.append(chunk)
        self._length += len(chunk)
        if self._fixed:
            return
        counts = np.bincount(chunk, minlength=self._n_ids())
        counts[:len(self._counts)] += self._counts
        self._counts = counts

    def _n_ids(self):
        return len(self._ids) if self._max_vocab_size is None else len(self._words)

    def _prune(self):
        """Forget every word seen fewer than ``min_reduce`` times so far
        (unless the trim rule keeps it), then raise ``min_reduce``."""
        # without a rule only rare words can go; a rule may drop any word
        candidates = (np.flatnonzero(self._counts < self._min_reduce) if self._trim_rule is None
                      else np.arange(len(self._counts)))
        held = len(self._ids)
        for idx in candidates:
            word = self._words[idx]
            if word is not None and not keep_word(word, int(self._counts[idx]),
                                                  self._min_reduce, self._trim_rule):
                del self._ids[word]
                self._words[idx] = None
                self._counts[idx] = 0
        logger.info("vocabulary counting held %d distinct words, over the limit of %d: "
                    "forgot %d seen fewer than %d times so far", held, self._max_vocab_size,
                    held - len(self._ids), self._min_reduce)
        self._min_reduce += 1

    def finish(self):
        """Close any open sentence and return the :class:`EncodedCorpus`.

        Returns
        -------
        EncodedCorpus
        """
        if self._sentence_open:
            self._ends.append(self._length + len(self._pending))
            self._sentence_open = False
        self._flush()
        chunks, self._chunks = self._chunks, []
        if self._fixed:
            counts = np.zeros(len(self._words), dtype=np.int64)
            for chunk in chunks:
                counts += np.bincount(chunk, minlength=len(self._words))
        else:
            if self._max_vocab_size is None:
                self._words = list(self._ids)  # insertion order is id order
            counts = np.zeros(len(self._words), dtype=np.int64)
            counts[:len(self._counts)] = self._counts
            for word in self._words:
                if word is not None and not isinstance(word, str):
                    raise CorpusError(
                        f"tokens must be str, got {type(word).__name__} ({word!r}); "
                        "a sentence must be a list of str tokens")
        ends = np.frombuffer(self._ends, dtype=np.int64).copy()
        return EncodedCorpus(chunks, ends, self._words, counts, self._raw_words)


def vocabulary_index(vocabulary):
    """``key_to_index`` of a KeyedVectors, or a dict / list of words."""
    index = getattr(vocabulary, "key_to_index", vocabulary)
    if isinstance(index, dict):
        return index
    return {word: i for i, word in enumerate(index)}


def encode_documents(documents, vocabulary):
    """Word ids of each document, words outside the vocabulary dropped.

    The light path for many small documents against a fixed vocabulary
    (inference, sentence vectors): one dictionary lookup a token, no copy of
    the vocabulary, no counting, unlike :class:`CorpusEncoder`.

    Parameters
    ----------
    documents : iterable of list of str (or TaggedDocument)
    vocabulary : KeyedVectors, dict of str to int, or list of str

    Returns
    -------
    ids : ndarray of int64
        All documents' ids back to back.
    offsets : ndarray of int64, shape (n_documents + 1,)
        Document ``d`` is ``ids[offsets[d]:offsets[d + 1]]``.
    """
    index = vocabulary_index(vocabulary)
    get = index.get
    ids, lengths = [], []
    for number, document in enumerate(documents):
        document = getattr(document, "words", document)
        if isinstance(document, (str, bytes)):
            raise CorpusError(f"document {number} is a string: give a list of words "
                              "(e.g. text.split())")
        known = [i for i in map(get, document) if i is not None]
        ids.extend(known)
        lengths.append(len(known))
    offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    return np.asarray(ids, dtype=np.int64), offsets


def encode_iterable(sentences, vocab=None, max_vocab_size=None, trim_rule=None, threads=1):
    """Encode an iterable of token lists (restartable or one-shot).

    Parameters
    ----------
    sentences : iterable of list of str
    vocab : dict of str to int, optional
        Fixed vocabulary (see :class:`CorpusEncoder`).
    max_vocab_size, trim_rule : optional
        See :class:`CorpusEncoder`.
    threads : int
        Threads for a whitespace-split :class:`LineSentence` read in C
        (see :func:`scan_files`).

    Returns
    -------
    EncodedCorpus
    """
    if isinstance(sentences, (str, bytes, os.PathLike)):
        raise CorpusError("sentences must be an iterable of token lists; "
                          "pass a file path as corpus_file=")
    if _plain_line_files(sentences):
        # gensim's usual LineSentence(path): the same sentences, read in C
        return scan_files(sentences.files, vocab, max_vocab_size, sentences.encoding_errors,
                          trim_rule, threads=threads)
    encoder = CorpusEncoder(vocab, max_vocab_size, trim_rule=trim_rule)
    for sentence in sentences:
        if isinstance(sentence, (str, bytes)):
            raise CorpusError(
                f"each sentence must be a list of str tokens, got {type(sentence).__name__} "
                f"({sentence[:40]!r}); split your text into tokens first")
        encoder.add(sentence if isinstance(sentence, list) else list(sentence))
    return encoder.finish()


def _plain_line_files(sentences):
    """Whether ``sentences`` is a :class:`LineSentence` over files that
    splits on whitespace and neither cuts nor limits its lines."""
    return (type(sentences) in (LineSentence, PathLineSentences)
            and sentences.tokenizer is None and sentences.limit is None
            and sentences.max_sentence_length is None
            and all(isinstance(file, str) for file in sentences.files))


def encode_files(path, vocab=None, max_vocab_size=None, tokenizer=None,
                 encoding_errors="strict", trim_rule=None, threads=1):
    """Encode a text file or a directory of them, one line a sentence.

    Whitespace-split files (no ``tokenizer``) go through the C scanner
    (:class:`fastemb._scan.TokenScanner`); a tokenizer runs in Python. Both
    give the same ids, counts and sentences.

    Parameters
    ----------
    path : str or os.PathLike
        Plain, ``.gz``, ``.bz2`` or ``.xz`` files; lines of any length.
    vocab, max_vocab_size, trim_rule
        See :class:`CorpusEncoder`.
    tokenizer : callable, optional
        ``str -> list of str``; default whitespace splitting.
    encoding_errors : {'strict', 'replace', 'ignore'}
    threads : int
        Threads of the C scanner (see :func:`scan_files`).

    Returns
    -------
    EncodedCorpus
    """
    if tokenizer is None and (vocab is None or all(isinstance(word, str) for word in vocab)):
        return scan_files(corpus_files(path), vocab, max_vocab_size, encoding_errors, trim_rule,
                          threads=threads)
    encoder = CorpusEncoder(vocab, max_vocab_size, trim_rule=trim_rule)
    for file in corpus_files(path):
        for tokens, ends in iter_file_pieces(file, tokenizer, encoding_errors):
            encoder.add(tokens, ends)
    return encoder.finish()


def scan_files(files, vocab=None, max_vocab_size=None, encoding_errors="strict",
               trim_rule=None, sink=None, chunk_bytes=CHUNK_BYTES, threads=1):
    """Encode whitespace-split text files with the C scanner.

    Parameters
    ----------
    files : list of (str or file object)
    vocab, max_vocab_size, trim_rule
        See :class:`CorpusEncoder`.
    encoding_errors : {'strict', 'replace', 'ignore'}
    sink : callable, optional
        Given each block's ids (int32 array) as they are read, instead of
        keeping them: the returned corpus then has no chunks (streaming to
        a file, :mod:`fastemb.corpus.cache`).
    chunk_bytes : int
        Bytes read at a time (pruning is checked, as in the Python reader,
        after every line and every chunk's unfinished line).
    threads : int
        Scan pieces of the text in parallel (:mod:`fastemb.corpus.threaded_scan`),
        with the same result; one thread when pruning (``max_vocab_size``)
        or streaming to a ``sink``, which both need the text in order.

    Returns
    -------
    EncodedCorpus
    """
    if threads > 1 and max_vocab_size is None and sink is None:
        chunks, ends, scanner = scan_threaded(files, vocab, encoding_errors, threads,
                                              chunk_bytes)
    else:
        scanner = TokenScanner(vocab, max_vocab_size, trim_rule)
        chunks = []
        keep = sink or chunks.append
        for file in files:
            for block, _ in iter_file_blocks(file, encoding_errors, chunk_bytes):
                scanner.feed(block)
                keep(scanner.take())
            # every file ends its last line, as the Python reader does
            scanner.finish_input()
        ends = scanner.ends()
    if vocab is not None:
        words = list(vocabulary_index(vocab))
    else:
        words = scanner.words()
    return EncodedCorpus(chunks, ends, words, scanner.counts(), scanner.raw_word_count)


def check_corpus_source(corpus_iterable, corpus_file):
    """Refuse corpus arguments that do not name exactly one corpus of the
    right kind, before anything is read (gensim's checks, and its
    ``TypeError``).

    Raises
    ------
    CorpusArgumentError
    """
    if (corpus_iterable is None) == (corpus_file is None):
        raise CorpusArgumentError("give exactly one of corpus_iterable (sentences) or "
                                  "corpus_file")
    if corpus_file is not None and not isinstance(corpus_file, (str, bytes, os.PathLike)):
        raise CorpusArgumentError(f"corpus_file must be the path of a file or folder, got "
                                  f"{type(corpus_file).__name__}")
    if corpus_iterable is not None and not isinstance(corpus_iterable, Iterable):
        raise CorpusArgumentError(f"corpus_iterable must be an iterable of token lists, got "
                                  f"{type(corpus_iterable).__name__}")


def encode_source(corpus_iterable=None, corpus_file=None, vocab=None, max_vocab_size=None,
                  trim_rule=None, threads=1):
    """Encode exactly one of an iterable or a file path (see
    :class:`CorpusEncoder` for the options, :func:`scan_files` for
    ``threads``).

    Raises
    ------
    ValueError
        If both or neither source is given.
    """
    check_corpus_source(corpus_iterable, corpus_file)
    if corpus_file is not None:
        return encode_files(corpus_file, vocab, max_vocab_size, trim_rule=trim_rule,
                            threads=threads)
    return encode_iterable(corpus_iterable, vocab, max_vocab_size, trim_rule, threads)


class ScannedCorpus:
    """A corpus encoded over its chosen vocabulary.

    Attributes
    ----------
    tokens : ndarray of int32
    sentence_ends : ndarray of int64
    keys : list of str
        The vocabulary, most frequent first (with ``sorted_vocab``).
    counts : ndarray of int64
    n_sentences, raw_words, distinct_words : int
    source : tuple
        :func:`source_key` of the corpus, to recognise it when given again.
    source_object : object
        The iterable itself (None for files): holding it keeps its ``id``,
        part of ``source``, from being reused by another object.
    """

    def __init__(self, tokens, sentence_ends, keys, counts, n_sentences, raw_words,
                 distinct_words, source, source_object=None):
        self.tokens = tokens
        self.sentence_ends = sentence_ends
        self.keys = keys
        self.counts = counts
        self.n_sentences = n_sentences
        self.raw_words = raw_words
        self.distinct_words = distinct_words
        self.source = source
        self.source_object = source_object


def source_key(corpus_iterable, corpus_file):
    """A value that is equal for the same corpus object or unchanged file
    (for an iterable, only while a reference to it is held)."""
    if corpus_file is not None:
        path = os.fspath(corpus_file)
        stamp = os.stat(path).st_mtime_ns if os.path.exists(path) else None
        return ("file", os.path.abspath(path), stamp)
    return ("iterable", id(corpus_iterable))


def scan_corpus(corpus_iterable=None, corpus_file=None, min_count=5, max_vocab_size=None,
                max_final_vocab=None, trim_rule=None, sorted_vocab=True, threads=1):
    """Read a corpus once, choose its vocabulary and encode it over it.

    Parameters
    ----------
    corpus_iterable : iterable of list of str, optional
    corpus_file : str or os.PathLike, optional
        Exactly one of the two.
    min_count, max_vocab_size, max_final_vocab, trim_rule, sorted_vocab
        See :func:`fastemb.corpus.vocab.select_vocabulary` and :class:`CorpusEncoder`.
    threads : int
        Threads of the C scanner (see :func:`scan_files`).

    Returns
    -------
    ScannedCorpus

    Raises
    ------
    VocabularyError
        Empty corpus, or no word reaching ``min_count``.
    """
    raw = encode_source(corpus_iterable, corpus_file, max_vocab_size=max_vocab_size,
                        trim_rule=trim_rule, threads=threads)
    mapping, keys, counts = select_vocabulary(raw.words, raw.counts, min_count, max_final_vocab,
                                              trim_rule, sorted_vocab)
    distinct = sum(w is not None for w in raw.words)
    tokens, ends = raw.compact(mapping)
    scanned = ScannedCorpus(tokens, ends, keys, counts, raw.n_sentences, raw.raw_words,
                            distinct, source_key(corpus_iterable, corpus_file), corpus_iterable)
    del raw
    release_free_memory()  # the scan's tables, before the model allocates its own
    return scanned
