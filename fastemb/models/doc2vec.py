"""Doc2Vec: paragraph vectors (Le & Mikolov 2014), a drop-in for
``gensim.models.Doc2Vec``.

A document is a sentence of the encoded corpus with a list of tag rows. The
Word2Vec kernel trains them as one more kind of input row: PV-DM adds the
tag rows to CBOW's context mean, PV-DBOW makes each tag row predict every
word of its document (with ``dbow_words=1``, skip-gram word training runs
alongside). Inference fits new tag rows with everything else frozen, many
documents at once on ``workers`` nogil threads, and is deterministic: a
document's vector depends only on the model, its words and its settings.
"""
import logging
import os
from collections import namedtuple

import numpy as np

from fastemb import registry
from fastemb._core import Word2VecTrainer
from fastemb.corpus.encode import encode_documents
from fastemb.corpus.readers import LineSentence, worker_line_starts
from fastemb.errors import CorpusError, FormatError
from fastemb.io import native
from fastemb.legacy import corpus_keyword, renamed_attribute
from fastemb.models.base import check
from fastemb.models.word2vec import PARAMS as WORD2VEC_PARAMS
from fastemb.models.word2vec import Word2Vec
from fastemb.training.threads import ShardRunner
from fastemb.vectors.keyedvectors import KeyedVectors

__all__ = ["Doc2Vec", "TaggedDocument", "TaggedLineDocument"]

logger = logging.getLogger(__name__)


class TaggedDocument(namedtuple("TaggedDocument", "words tags")):
    """A document: ``words`` (list of str) and ``tags`` (list of str or int),
    as gensim's class of that name."""

    __slots__ = ()

    def __str__(self):
        return f"{type(self).__name__}<{self.words}, {self.tags}>"


class TaggedLineDocument:
    """Documents from a text file, one a line, tagged with the line number
    (as gensim's class of that name).

    Parameters
    ----------
    source : str or os.PathLike
        Plain, .gz, .bz2 or .xz file; tokens separated by whitespace.
    """

    def __init__(self, source):
        self.source = source

    def __iter__(self):
        for number, words in enumerate(LineSentence(self.source)):
            yield TaggedDocument(words, [number])


def _document_tags(document, number):
    """Check one document's shape and return its tag list."""
    tags = getattr(document, "tags", None)
    words = getattr(document, "words", None)
    if tags is None or words is None:
        raise CorpusError(
            f"document {number} is a {type(document).__name__}, not a TaggedDocument: "
            "give documents as TaggedDocument(words=[...], tags=[...])")
    if isinstance(tags, (str, bytes, int, np.integer)):
        raise CorpusError(f"document {number} has tags={tags!r}: tags must be a list, "
                          f"e.g. tags=[{tags!r}]")
    tags = list(tags)
    for tag in tags:
        if not isinstance(tag, (str, int, np.integer)) or isinstance(tag, bool):
            raise CorpusError(f"document {number} has a tag of type {type(tag).__name__} "
                              f"({tag!r}); tags must be str or int")
    return [int(t) if isinstance(t, np.integer) else t for t in tags]


def _warn_skipped_documents(doc_offsets, dm_tag_count):
    """PV-DM by concatenation has a slot a tag: say how many documents have
    another number of tags and train nothing (as in gensim)."""
    skipped = int(np.count_nonzero(np.diff(doc_offsets) != dm_tag_count))
    if skipped:
        logger.warning("%d of %d documents have other than dm_tag_count=%d tags: "
                       "dm_concat skips them", skipped, len(doc_offsets) - 1, dm_tag_count)


@registry.register
class Doc2Vec(Word2Vec):
    """Train document vectors together with word vectors.

    Parameters take gensim 4's names and defaults; keyword arguments not
    listed are Word2Vec's (``alpha``, ``min_count``, ``sample``, ``seed``,
    ``workers``, ``hs``, ``negative``, …).

    Parameters
    ----------
    documents : iterable of TaggedDocument, optional
        Restartable iterable or one-shot generator. Tags are str or int;
        a document may have several, and a tag may be shared.
    corpus_file : str or os.PathLike, optional
        One document a line, tagged with its line number (0-based).
    vector_size : int
    dm : {1, 0}
        1: PV-DM (distributed memory), 0: PV-DBOW (distributed bag of words).
    dm_mean : {None, 0, 1}
        PV-DM: mean (1) or sum (0) of the context and tag vectors; None
        follows ``cbow_mean`` (default 1).
    dbow_words : {0, 1}
        PV-DBOW: also train word vectors with skip-gram, interleaved.
    window, epochs, shrink_windows, trim_rule, callbacks, comment
        As for Word2Vec (``epochs`` defaults to 10 here, as in gensim).
    dm_concat : {0, 1}
        PV-DM only: 1 concatenates the document's tag vectors and the
        ``window`` words' vectors on each side of the predicted word (padded
        with the null word ``'\\0'``, which the vocabulary gains), instead of
        averaging them: the paper's first variant, with an output layer
        ``(dm_tag_count + 2 * window)`` times wider, and slower. The window
        is never shrunk.
    dm_tag_count : int
        With ``dm_concat=1``: tags each document has (documents with another
        number are skipped, with a warning).
    dv, dv_mapfile
        gensim options that are not supported: they must be None.

    Attributes
    ----------
    dv : KeyedVectors
        One vector a tag; keys are the tags (int tags stay ints, and only the
        tags used get rows).
    wv : KeyedVectors
    loss_history : list of float
    """

    PARAMS = WORD2VEC_PARAMS + ("dm", "dm_mean", "dbow_words", "dm_concat", "dm_tag_count")

    def __init__(self, documents=None, corpus_file=None, vector_size=100, dm_mean=None, dm=1,
                 dbow_words=0, dm_concat=0, dm_tag_count=1, dv=None, dv_mapfile=None,
                 comment=None, trim_rule=None, callbacks=(), window=5, epochs=10,
                 shrink_windows=True, **kwargs):
        check(dm_concat in (0, 1, True, False), f"dm_concat must be 0 or 1, got {dm_concat!r}")
        check(isinstance(dm_tag_count, (int, np.integer)) and dm_tag_count >= 1,
              f"dm_tag_count must be an integer >= 1, got {dm_tag_count!r}")
        check(dv is None and dv_mapfile is None, "dv and dv_mapfile are not supported")
        check(kwargs.get("encoded_cache") is None,
               "encoded_cache is for Word2Vec, FastText and GloVe: Doc2Vec's documents carry "
               "tags the cache does not hold")
        check(dm in (0, 1, True, False), f"dm must be 0 or 1, got {dm!r}")
        check(dbow_words in (0, 1, True, False),
               f"dbow_words must be 0 or 1, got {dbow_words!r}")
        check(dm_mean in (None, 0, 1, True, False),
               f"dm_mean must be None, 0 or 1, got {dm_mean!r}")
        self.dm = int(dm)
        self.dm_mean = dm_mean
        self.dbow_words = int(dbow_words)
        self.dm_concat = int(dm_concat)
        self.dm_tag_count = int(dm_tag_count)
        if self.dm_concat and not self.dm:
            logger.warning("dm_concat applies to PV-DM (dm=1) only: ignored with dm=0")
        if self.concatenates:
            kwargs["null_word"] = 1  # the padding past a document's ends
        kwargs.pop("sg", None)  # decided by dm
        if dm_mean is not None:
            kwargs["cbow_mean"] = int(dm_mean)
        self.dv = KeyedVectors(vector_size)
        # the tag rows of the documents build_vocab scanned
        self._vocab_tags = (np.zeros(1, np.int64), np.zeros(0, np.int32))
        super().__init__(sentences=None, corpus_file=None, vector_size=vector_size,
                         window=window, epochs=epochs, shrink_windows=shrink_windows,
                         trim_rule=trim_rule, callbacks=callbacks, comment=comment,
                         sg=0 if self.dm else 1, **kwargs)
        if documents is not None or corpus_file is not None:
            self.build_vocab(corpus_iterable=documents, corpus_file=corpus_file,
                             trim_rule=trim_rule)
            self.train(corpus_iterable=documents, corpus_file=corpus_file,
                       total_examples=self.corpus_count, total_words=self.corpus_total_words,
                       epochs=self.epochs)

    # -------------------------------------------------------------- documents
    def _sentences_of(self, corpus_iterable):
        """The documents' words, and the list of their tags, filled as the
        words are read."""
        if corpus_iterable is None:
            return None, None
        if isinstance(corpus_iterable, (str, bytes, os.PathLike)):
            raise CorpusError("documents must be an iterable of TaggedDocument; "
                              "pass a file path as corpus_file=")
        tag_lists = []

        def words():
            for number, document in enumerate(corpus_iterable):
                tag_lists.append(_document_tags(document, number))
                yield document.words
        return words(), tag_lists

    @staticmethod
    def _tag_lists(n_sentences, notes):
        """Each document's tags: those read from the documents, or for a
        corpus file (nothing noted) the line numbers."""
        tag_lists = notes or [[d] for d in range(n_sentences)]
        if len(tag_lists) != n_sentences:
            raise CorpusError(f"{len(tag_lists)} documents' tags for {n_sentences} documents")
        return tag_lists

    def _tag_rows(self, tag_lists):
        """``(offsets, rows)``: document ``d``'s tag rows are
        ``rows[offsets[d]:offsets[d + 1]]``."""
        offsets = np.zeros(len(tag_lists) + 1, dtype=np.int64)
        offsets[1:] = np.cumsum([len(tags) for tags in tag_lists])
        index = self.dv.key_to_index
        try:
            rows = np.array([index[t] for tags in tag_lists for t in tags], dtype=np.int32)
        except KeyError as exc:
            raise KeyError(f"unknown document tag {exc.args[0]!r}: tags must have been seen by "
                           "build_vocab (infer_vector gives vectors for new documents)") from None
        return offsets, rows

    def _vocabulary_corpus(self, n_sentences, notes):
        """Give every tag of the scanned documents a row, in order of first
        appearance (``build_vocab(update=True)``: new tags get rows, known
        ones keep theirs), and keep the documents' tag rows for ``train()``
        on the same documents."""
        tag_lists = self._tag_lists(n_sentences, notes)
        keys = list(dict.fromkeys(t for tags in tag_lists for t in tags))
        if not keys:
            raise CorpusError("no document has a tag: give each TaggedDocument a tag list")
        if not len(self.dv):
            self.dv = KeyedVectors.from_arrays(keys, self._initial_vectors(len(keys), stream=1))
        else:
            new = [k for k in keys if k not in self.dv.key_to_index]
            if new:
                self.dv.add_vectors(new, self._initial_vectors(len(new),
                                                               stream=(3, len(self.dv))))
        self._vocab_tags = self._tag_rows(tag_lists)
        np.add.at(self.dv.counts, self._vocab_tags[1], 1)

    def _corpus_inputs(self, n_sentences, notes, scanned):
        offsets, rows = self._vocab_tags if scanned else \
            self._tag_rows(self._tag_lists(n_sentences, notes))
        return {"doc_offsets": offsets, "doc_rows": rows}

    def build_vocab(self, corpus_iterable=None, corpus_file=None, update=False, progress_per=10000,
                    keep_raw_vocab=False, trim_rule=None, **kwargs):
        """Scan the documents: words as for Word2Vec, plus one row per tag.

        Parameters
        ----------
        corpus_iterable : iterable of TaggedDocument, optional
        corpus_file : str or os.PathLike, optional
            Exactly one of the two (a file's documents are tagged by line).
        update, progress_per, keep_raw_vocab, trim_rule, **kwargs
            As for :meth:`Word2Vec.build_vocab`.

        Raises
        ------
        CorpusError
            A document that is not a TaggedDocument, or tags of the wrong
            type, or no tag at all.
        VocabularyError
            Empty corpus, or no word reaching ``min_count``.
        """
        corpus_iterable = corpus_keyword(corpus_iterable, kwargs, "build_vocab")
        if not update:
            self.dv = KeyedVectors(self.vector_size)
        super().build_vocab(corpus_iterable=corpus_iterable, corpus_file=corpus_file,
                            update=update, progress_per=progress_per,
                            keep_raw_vocab=keep_raw_vocab, trim_rule=trim_rule, **kwargs)
        logger.info("document tags: %d over %d documents", len(self.dv), self.corpus_count)

    @property
    def concatenates(self):
        """True for PV-DM by concatenation (``dm=1, dm_concat=1``)."""
        return bool(self.dm and self.dm_concat)

    @property
    def layer1_size(self):
        """Width of the hidden layer: ``vector_size``, or with concatenation
        ``(dm_tag_count + 2 * window) * vector_size``."""
        if self.concatenates:
            return (self.dm_tag_count + 2 * self.window) * self.vector_size
        return self.vector_size

    def _kernel_settings(self):
        settings = super()._kernel_settings()
        if self.concatenates:
            settings.update(dm_concat=1, dm_tag_count=self.dm_tag_count,
                            null_word=self.wv.key_to_index["\0"], shrink_windows=0)
        return settings

    def _kernel_inputs(self, corpus_inputs):
        self.dv.make_writable()
        if self.concatenates:
            _warn_skipped_documents(corpus_inputs["doc_offsets"], self.dm_tag_count)
        return self.wv.vectors, {"docvecs": self.dv.vectors, "dm": self.dm,
                                 "learn_words": 1 if self.dm else self.dbow_words,
                                 **corpus_inputs}

    def _corpus_arrays(self, tokens, sentence_ends, corpus_inputs):
        return {**super()._corpus_arrays(tokens, sentence_ends, corpus_inputs),
                "tags": corpus_inputs["doc_rows"], "tag_offsets": corpus_inputs["doc_offsets"]}

    def _after_training(self):
        self.wv.resize_vectors()
        self.dv.resize_vectors()

    # -------------------------------------------------------------- inference
    def infer_vectors(self, documents, alpha=None, min_alpha=None, epochs=None, workers=None):
        """Vectors for new documents, fitted on ``workers`` threads at once.

        Each document's vector starts from a point and a random stream
        derived from the model's ``seed`` and the document's words, so the
        result is the same on every call, in any batch and on any number of
        threads.

        Parameters
        ----------
        documents : iterable of list of str (or of TaggedDocument)
        alpha, min_alpha : float, optional
            Learning rate at the first and last epoch (default: the model's).
        epochs : int, optional
            Default: the model's.
        workers : int, optional
            Default: the model's.

        Returns
        -------
        ndarray of float32, shape (n_documents, vector_size)
            Documents without a known word keep their starting point.
        """
        if not len(self.wv):
            raise RuntimeError("the model has no vocabulary: build_vocab and train it (or "
                               "load one) before inferring vectors")
        if not self.epochs_trained:
            # gensim infers from the initial weights too; say what that means
            logger.warning("inferring with a model that was never trained: the vectors come "
                           "from its random initial weights")
        alpha = self.alpha if alpha is None else alpha
        min_alpha = self.min_alpha if min_alpha is None else min_alpha
        epochs = self.epochs if epochs is None else epochs
        workers = int(self.workers if workers is None else workers)
        check(isinstance(epochs, (int, np.integer)) and epochs >= 1,
               f"epochs must be an integer >= 1, got {epochs!r}")
        check(alpha > 0 and 0 <= min_alpha, "alpha must be > 0 and min_alpha >= 0")
        ids, offsets = encode_documents(documents, self.wv)
        n = len(offsets) - 1
        if not n:
            return np.zeros((0, self.vector_size), dtype=np.float32)
        tokens, ends = ids.astype(np.int32), offsets[1:]
        vectors = np.zeros((n, self.vector_size), dtype=np.float32)
        workers = max(1, min(workers, n))
        runner = ShardRunner(workers)
        settings = dict(self._kernel_settings(), shared_negatives=0)
        trainer = Word2VecTrainer(
            **settings, syn0=self.wv.vectors, tokens=tokens, sentence_ends=ends,
            start_alpha=float(alpha), end_alpha=float(min_alpha), total_words=1,
            progress=runner.counters, stop_flag=runner.stop_flag, docvecs=vectors,
            doc_offsets=np.arange(n + 1, dtype=np.int64),
            doc_rows=np.arange(n, dtype=np.int32), dm=self.dm, learn_words=0,
            learn_hidden=0, hot_rows=0)
        bounds = [n * t // workers for t in range(workers + 1)]

        def infer(thread_id):
            return trainer.run_inference(bounds[thread_id], bounds[thread_id + 1], int(epochs),
                                         float(alpha), float(min_alpha), int(self.seed))
        if workers == 1:
            # one document (infer_vector in a loop): no thread to start
            infer(0)
            return vectors
        _, interrupted = runner.run(infer)
        if interrupted:
            raise KeyboardInterrupt
        return vectors

    def infer_vector(self, doc_words, alpha=None, min_alpha=None, epochs=None):
        """Vector for one new document (gensim's method; deterministic here).

        Parameters
        ----------
        doc_words : list of str
        alpha, min_alpha : float, optional
        epochs : int, optional

        Returns
        -------
        ndarray of float32, shape (vector_size,)
        """
        if isinstance(doc_words, (str, bytes)):
            raise CorpusError("infer_vector needs a list of words, not a string "
                              "(e.g. text.split())")
        return self.infer_vectors([doc_words], alpha, min_alpha, epochs, workers=1)[0]

    def similarity_unseen_docs(self, doc_words1, doc_words2, alpha=None, min_alpha=None,
                               epochs=None):
        """Cosine similarity of two new documents' inferred vectors.

        Returns
        -------
        float
        """
        first, second = self.infer_vectors([doc_words1, doc_words2], alpha, min_alpha, epochs)
        norms = np.linalg.norm(first) * np.linalg.norm(second)
        return float(first @ second / norms) if norms > 0 else 0.0

    # ----------------------------------------------------------- persistence
    def save_word2vec_format(self, fname, doctag_vec=False, word_vec=True, prefix="*dt_",
                             fvocab=None, binary=False):
        """Write word and/or document vectors in word2vec format, as
        gensim's ``Doc2Vec.save_word2vec_format``: words first, then the
        documents' tags behind ``prefix`` (which tells them from words), one
        header counting both.

        Parameters
        ----------
        fname : str
        doctag_vec, word_vec : bool
            Which vectors to write.
        prefix : str
            Before every document tag.
        fvocab : str, optional
            Also write the words' counts to this file.
        binary : bool
        """
        check(doctag_vec or word_vec, "give doctag_vec=True or word_vec=True: nothing to write")
        total = (len(self.wv) if word_vec else 0) + (len(self.dv) if doctag_vec else 0)
        if word_vec:
            self.wv.save_word2vec_format(fname, fvocab=fvocab, binary=binary, total_vec=total)
        if doctag_vec:
            self.dv.save_word2vec_format(fname, prefix=prefix, binary=binary, total_vec=total,
                                         write_header=not word_vec, append=word_vec)

    def _extra_arrays(self):
        keys = self.dv.index_to_key
        blob, ends = native.encode_strings([str(k) for k in keys])
        return {"dv_vectors": np.asarray(self.dv.vectors, dtype=np.float32),
                "dv_keys_blob": blob, "dv_keys_ends": ends, "dv_counts": self.dv.counts,
                "dv_int_keys": np.array([isinstance(k, int) for k in keys], dtype=np.uint8)}

    def _restore_extra_arrays(self, arrays):
        keys = native.decode_strings(arrays["dv_keys_blob"], arrays["dv_keys_ends"])
        is_int = arrays["dv_int_keys"]
        if len(is_int) != len(keys):
            raise FormatError("corrupt document tag table")
        try:
            keys = [int(k) if flag else k for k, flag in zip(keys, is_int)]
        except ValueError:
            raise FormatError("corrupt document tag table (bad int tag)") from None
        vectors = arrays["dv_vectors"]
        if vectors.ndim != 2 or vectors.shape != (len(keys), self.vector_size):
            raise FormatError(f"document vectors of shape {vectors.shape} do not match "
                              f"{len(keys)} tags of dimension {self.vector_size}")
        self.dv = KeyedVectors.from_arrays(keys, vectors, arrays["dv_counts"])

    @classmethod
    def _get_offsets_and_start_doctags_for_corpusfile(cls, corpus_file, workers):
        """gensim's helper that shares a ``corpus_file`` among ``workers``:
        each one's byte offset and first document tag (its line number).
        fastemb encodes the file once instead; see
        :func:`fastemb.corpus.readers.worker_line_starts`."""
        return worker_line_starts(corpus_file, workers)

    #: gensim 3's name for ``dv``.
    docvecs = renamed_attribute("dv", "docvecs")

    def __str__(self):
        mode = "dm/c" if self.concatenates else \
            f"dm/{'m' if self.cbow_mean else 's'}" if self.dm else "dbow"
        mode += "+w" if not self.dm and self.dbow_words else ""
        return (f"Doc2Vec<{mode}, vocab={len(self.wv)}, tags={len(self.dv)}, "
                f"vector_size={self.vector_size}, window={self.window}>")
