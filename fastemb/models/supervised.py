"""fastText's supervised model: a linear text classifier over the mean of a
document's word, word n-gram and character n-gram rows (Joulin et al.
2017), trained by the nogil kernel ``fastemb._supervised``.

:class:`SupervisedModel` holds the dictionary, the two matrices and
fastText's training arguments (by fastText's names); it trains, predicts
label ids for encoded documents and reads and writes fastText's ``.bin``.
The fastText-style API (:mod:`fastemb.fasttext`) and the scikit-learn
estimator are built on it.
"""
import functools
import logging
import math
import os

import numpy as np

from fastemb._subwords import hashed_uniform_rows
from fastemb._supervised import (
    LOSS_HS,
    LOSS_NS,
    LOSS_OVA,
    LOSS_SOFTMAX,
    SupervisedTrainer,
    predict_range,
)
from fastemb.corpus.labelled import (
    EncodedDocuments,
    LabelledVocabulary,
    TokenTable,
    build_vocabulary,
    encode_documents,
    read_documents,
)
from fastemb.corpus.vocab import build_alias_table
from fastemb.errors import FormatError
from fastemb.io import fasttext_bin
from fastemb.io.vector_reader import read_word2vec
from fastemb.models.ftz import from_quantized, quantize, quantized_parts
from fastemb.models.label_tree import LabelTree
from fastemb.models.row_map import drop_unstored, line_encoder, map_rows
from fastemb.parallel import run_parallel
from fastemb.training.deterministic import PIECES
from fastemb.training.epochs import SupervisedEpochs
from fastemb.training.loop import run_epochs
from fastemb.training.threads import SLOT_STRIDE, ShardRunner

__all__ = ["SupervisedModel", "SUPERVISED_DEFAULTS", "LOSSES"]

logger = logging.getLogger(__name__)

#: fastText 0.9.2's ``train_supervised`` defaults, by its names.
SUPERVISED_DEFAULTS = {
    "lr": 0.1, "dim": 100, "ws": 5, "epoch": 5, "minCount": 1, "minCountLabel": 0,
    "minn": 0, "maxn": 0, "neg": 5, "wordNgrams": 1, "loss": "softmax", "bucket": 2000000,
    "thread": max(1, (os.cpu_count() or 2) - 1), "lrUpdateRate": 100, "t": 1e-4,
    "label": "__label__", "verbose": 2, "pretrainedVectors": "", "seed": 0,
    # beyond fastText: the same model bit for bit whatever ``thread`` is
    "deterministic": False,
}

#: Loss names and the kernel's codes.
LOSSES = {"softmax": LOSS_SOFTMAX, "ns": LOSS_NS, "hs": LOSS_HS, "ova": LOSS_OVA}
#: fastText's codes of the losses in a ``.bin`` file (its file names the
#: one-vs-all loss in full)
_LOSS_OF_FILE = {code: "ova" if name == "one-vs-all" else name
                 for code, name in fasttext_bin.LOSS_NAMES.items()}
_FILE_LOSS = {name: code for code, name in _LOSS_OF_FILE.items()}
#: the random stream of the initial input rows
_INPUT_STREAM = 0x5A1


def check_arguments(args):
    """Refuse training arguments fastText would crash or loop on.

    Raises
    ------
    ValueError
    """
    def positive(name, smallest=1):
        value = args[name]
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or \
                value < smallest:
            raise ValueError(f"{name} must be an integer >= {smallest}, got {value!r}")

    if args["loss"] not in LOSSES:
        raise ValueError(f"unknown loss {args['loss']!r}: choose one of "
                         f"{', '.join(LOSSES)}")
    for name in ("dim", "epoch", "wordNgrams", "thread", "lrUpdateRate"):
        positive(name)
    for name in ("minCount", "minCountLabel", "minn", "maxn", "bucket", "neg", "ws"):
        positive(name, 0)
    lr = args["lr"]
    if not isinstance(lr, (int, float)) or not math.isfinite(lr) or lr <= 0:
        raise ValueError(f"lr must be a positive number, got {lr!r}")
    if args["maxn"] and args["minn"] > args["maxn"]:
        raise ValueError(f"minn ({args['minn']}) must not exceed maxn ({args['maxn']})")
    if (args["wordNgrams"] > 1 or args["maxn"] > 0) and args["bucket"] == 0:
        raise ValueError("word and character n-grams need hash buckets: bucket must be "
                         "positive when wordNgrams > 1 or maxn > 0")
    if args["deterministic"] not in (0, 1, True, False):
        raise ValueError(f"deterministic must be True or False, got {args['deterministic']!r}")
    if not isinstance(args["label"], str) or not args["label"]:
        raise ValueError("label (the label prefix) must be a non-empty string")


class SupervisedModel:
    """A fastText classifier: dictionary, input and output matrices.

    Parameters
    ----------
    vocabulary : LabelledVocabulary
    input_matrix : ndarray of float32, shape (words + bucket, dim)
    output_matrix : ndarray of float32, shape (labels, dim)
    args : dict
        fastText's training arguments by its names (see
        :data:`SUPERVISED_DEFAULTS`).
    bucket_rows : ndarray of int32, shape (bucket,), optional
        The stored row (counted from the first bucket row) of each bucket,
        -1 for a bucket no training document used; ``input_matrix`` then
        holds the words' rows, the stored buckets' and, last, one zero row
        that every other bucket reads. None: every bucket is stored (row
        ``words + b`` is bucket ``b``), as in a file fastText wrote.
    pruneidx : ndarray of int64, shape (k, 2), optional
        A pruned dictionary's (bucket, row) pairs (fastText's ``pruneidx``):
        ``bucket_rows`` then lists the kept buckets, and the others are left
        out of a line.

    Attributes
    ----------
    loss_history : list of float
        The mean loss an example of each epoch.
    """

    def __init__(self, vocabulary, input_matrix, output_matrix, args, bucket_rows=None,
                 pruneidx=None):
        self.vocabulary = vocabulary
        self.input_matrix = input_matrix
        self.output_matrix = output_matrix
        self.bucket_rows = bucket_rows
        self.pruneidx = pruneidx
        # product-quantized matrices (QuantizedMatrix), when quantized; the
        # dense matrices above are then their decoded rows
        self.quantized_input = None
        self.quantized_output = None
        self.args = dict(args)
        self.loss_history = []
        self.train_stats = []
        self.epochs_trained = 0
        self.interrupted = False
        self._tree = None

    def __getstate__(self):
        # the C dictionary is a cache, made again on the first encode
        state = dict(self.__dict__)
        state.pop("_encoder_of", None)
        return state

    # ------------------------------------------------------------- training
    @classmethod
    def train(cls, documents, args, callbacks=(), progress=None):
        """Build the dictionary of ``documents`` and train a model on them.

        Parameters
        ----------
        documents : str, os.PathLike, TokenTable or list of list of bytes
            A labelled text file, or its documents
            (:func:`fastemb.corpus.labelled.read_documents`).
        args : dict
            fastText's arguments; missing ones take the defaults.
        callbacks : sequence of CallbackAny2Vec
        progress : callable, optional
            ``progress(done, total)`` in tokens.

        Returns
        -------
        SupervisedModel

        Raises
        ------
        ValueError
            A bad argument, or pretrained vectors that do not fit.
        CorpusError
            The data is empty or has no label.
        """
        args = {**SUPERVISED_DEFAULTS, **args}
        if args["wordNgrams"] <= 1 and args["maxn"] == 0:
            args["bucket"] = 0  # no n-gram row is ever used (fastText does the same)
        check_arguments(args)
        if isinstance(documents, (str, bytes, os.PathLike)):
            documents = read_documents(documents)
        table = documents if isinstance(documents, TokenTable) else TokenTable(documents)
        vocabulary = build_vocabulary(
            table, args["label"], args["minCount"], args["minCountLabel"],
            args["wordNgrams"], args["minn"], args["maxn"], args["bucket"])
        logger.info("read %d tokens: %d words, %d labels", vocabulary.ntokens,
                    vocabulary.n_words, vocabulary.n_labels)
        dim = args["dim"]
        pretrained = None
        if args["pretrainedVectors"]:
            vocabulary, *pretrained = _with_pretrained(vocabulary, args["pretrainedVectors"], dim)
        encoded = encode_documents(table, vocabulary)
        bucket_rows, stored = _stored_buckets(encoded.rows, vocabulary)
        encoded.rows = map_rows(bucket_rows, encoded.rows, vocabulary.n_words, -1)
        input_matrix = _initial_rows(vocabulary, stored, dim, args["seed"])
        if pretrained is not None:
            index = {word: i for i, word in enumerate(vocabulary.words)}
            for key, vector in zip(*pretrained):
                if key in index:
                    input_matrix[index[key]] = vector
        output_matrix = np.zeros((vocabulary.n_labels, dim), dtype=np.float32)
        model = cls(vocabulary, input_matrix, output_matrix, args, bucket_rows)
        model.fit(encoded, callbacks, progress)
        return model

    def fit(self, encoded, callbacks=(), progress=None, epochs=None, lr=None, threads=None):
        """Train the matrices on encoded documents for ``epochs`` (default
        ``args["epoch"]``), the learning rate falling from ``lr`` to 0.

        Returns
        -------
        self

        Raises
        ------
        ValueError
            The model is quantized (its matrices are codes now).
        """
        if self.quantized_input is not None:
            raise ValueError("a quantized model cannot be trained further")
        epochs = int(self.args["epoch"] if epochs is None else epochs)
        lr = float(self.args["lr"] if lr is None else lr)
        threads = int(self.args["thread"] if threads is None else threads)
        deterministic = bool(self.args.get("deterministic"))
        n_threads = max(1, min(threads, PIECES if deterministic else len(encoded)))
        runner = ShardRunner(n_threads, report_delay=1.0)
        vocabulary = self.vocabulary
        loss = self.args["loss"]
        empty = (np.zeros(0, np.uint32), np.zeros(0, np.int32))
        ns_accept, ns_alias = (build_alias_table(vocabulary.label_counts.astype(np.float64) ** 0.5)
                               if loss == "ns" else empty)
        tree = self.tree if loss == "hs" else None
        trainer = SupervisedTrainer(
            input_matrix=self.input_matrix, output_matrix=self.output_matrix,
            rows=encoded.rows, row_offsets=encoded.row_offsets, labels=encoded.labels,
            label_offsets=encoded.label_offsets, line_tokens=encoded.line_tokens,
            loss=LOSSES[loss], neg=int(self.args["neg"]), ns_accept=ns_accept,
            ns_alias=ns_alias,
            hs_points=tree.points if tree else np.zeros(0, np.int32),
            hs_codes=tree.codes if tree else np.zeros(0, np.uint8),
            hs_offsets=tree.offsets if tree else np.zeros(0, np.int64),
            lr=lr, total_tokens=int(encoded.line_tokens.sum()) * epochs,
            lr_update_rate=int(self.args["lrUpdateRate"]), progress=runner.counters,
            progress_stride=SLOT_STRIDE, stop_flag=runner.stop_flag,
            n_labels=vocabulary.n_labels)
        call = {"epochs": epochs, "loss": 0.0, "examples": 0, "seconds": 0.0}
        plan = SupervisedEpochs(trainer, runner, call, encoded.line_tokens,
                                int(self.args["seed"]), deterministic)
        # the output layer is watched, not the input matrix: reading two
        # million bucket rows every epoch took longer than training a small
        # set, and a diverging model blows up both
        run_epochs(self, plan, tuple(callbacks), progress,
                   weights=lambda: [self.output_matrix])
        return self

    @property
    def pruned(self):
        """True when the dictionary is pruned (``quantize(cutoff=...)``)."""
        return self.pruneidx is not None

    @property
    def lr(self):
        """The learning rate (named in divergence messages)."""
        return self.args["lr"]

    def _epoch_trained(self, loss, stats):
        self.loss_history.append(loss)
        self.train_stats.append(stats)

    # ----------------------------------------------------------- prediction
    @property
    def tree(self):
        """The label tree of the hierarchical softmax (built on first use)."""
        if self._tree is None:
            self._tree = LabelTree(self.vocabulary.label_counts)
        return self._tree

    def encode(self, documents):
        """Encode documents over this model's dictionary, as rows of its
        stored input matrix.

        Parameters
        ----------
        documents : bytes, TokenTable or list of list of bytes
            Lines of fastText-format text (encoded in C, with no Python
            object a token), or their tokens.

        Returns
        -------
        EncodedDocuments
        """
        if isinstance(documents, (bytes, bytearray, memoryview)):
            return EncodedDocuments(*self._line_encoder().encode(documents))
        encoded = encode_documents(documents, self.vocabulary)
        if self.pruned:
            encoded.rows = map_rows(self.bucket_rows, encoded.rows, self.vocabulary.n_words, -1)
            drop_unstored(encoded)
        elif self.bucket_rows is not None:
            encoded.rows = map_rows(self.bucket_rows, encoded.rows, self.vocabulary.n_words,
                                    self.input_matrix.shape[0] - 1)
        return encoded

    def _line_encoder(self):
        """The dictionary in C (:func:`~fastemb.models.row_map.line_encoder`),
        made again when quantizing changed the dictionary or the rows."""
        missing = -1 if self.pruned else self.input_matrix.shape[0] - 1
        cached = self.__dict__.get("_encoder_of")
        if cached is None or cached[0] is not self.vocabulary or \
                cached[1] is not self.bucket_rows or cached[2] != missing:
            cached = (self.vocabulary, self.bucket_rows, missing,
                      line_encoder(self.vocabulary, self.bucket_rows, missing))
            self._encoder_of = cached
        return cached[3]

    def input_rows(self, ids):
        """Rows of the full input matrix (fastText's row ids: words, then
        buckets)."""
        ids = np.asarray(ids, dtype=np.int64)
        n_rows = self.input_matrix.shape[0] if self.pruned else self.vocabulary.n_rows
        if len(ids) and (ids.min() < 0 or ids.max() >= n_rows):
            raise IndexError(f"input rows are 0..{n_rows - 1}")
        if self.bucket_rows is None or self.pruned:  # a pruned model's ids are its rows
            return self.input_matrix[ids]
        return self.input_matrix[map_rows(self.bucket_rows, ids, self.vocabulary.n_words,
                                          self.input_matrix.shape[0] - 1)]

    def full_input_blocks(self, block=1 << 16):
        """The full input matrix (every bucket), block by block."""
        n = self.vocabulary.n_rows
        for start in range(0, n, block):
            yield self.input_rows(np.arange(start, min(start + block, n)))

    def predict_encoded(self, encoded, k=1, threshold=0.0, threads=1):
        """The ``k`` most probable labels of each document, best first.

        Parameters
        ----------
        encoded : EncodedDocuments
        k : int
            -1: every label.
        threshold : float
            Only labels at least this probable.
        threads : int
            Documents are predicted on this many threads at once.

        Returns
        -------
        labels : ndarray of int32, shape (n, k)
        probabilities : ndarray of float32, shape (n, k)
        counts : ndarray of int32, shape (n,)
            How many of each row's entries hold predictions.
        """
        n_labels = self.vocabulary.n_labels
        if k == -1:
            k = n_labels
        if not isinstance(k, (int, np.integer)) or k < 1:
            raise ValueError(f"k must be a positive integer or -1 (every label), got {k!r}")
        k = min(int(k), n_labels)
        n = len(encoded)
        labels = np.zeros((n, k), dtype=np.int32)
        probabilities = np.zeros((n, k), dtype=np.float32)
        counts = np.zeros(n, dtype=np.int32)
        self._predict(encoded, k, float(threshold), labels, probabilities, counts, None,
                      threads)
        return labels, probabilities, counts

    def hidden_vectors(self, encoded):
        """The mean of each document's input rows (its sentence vector)."""
        n = len(encoded)
        hidden = np.zeros((n, self.args["dim"]), dtype=np.float32)
        self._predict(encoded, 0, 0.0, np.zeros((n, 0), np.int32), np.zeros((n, 0), np.float32),
                      np.zeros(n, np.int32), hidden, 1)
        return hidden

    def _predict(self, encoded, k, threshold, labels, probabilities, counts, hidden, threads):
        loss = self.args["loss"]
        tree = self.tree if loss == "hs" else None
        none = np.zeros(0, np.int32)
        input_matrix = np.ascontiguousarray(self.input_matrix, dtype=np.float32)
        output_matrix = np.ascontiguousarray(self.output_matrix, dtype=np.float32)
        if len(encoded.rows) and (encoded.rows.min() < 0 or
                                  encoded.rows.max() >= input_matrix.shape[0]):
            raise ValueError("the documents were encoded for another model")

        def work(start, end):
            predict_range(
                input_matrix, output_matrix, encoded.rows, encoded.row_offsets, start, end,
                LOSSES[loss], self.vocabulary.n_labels, k, threshold,
                tree.left if tree else none, tree.right if tree else none, labels,
                probabilities, counts, hidden)

        n = len(encoded)
        threads = max(1, min(int(threads), n // 256 or 1))  # small batches: one thread
        bounds = [n * t // threads for t in range(threads + 1)]
        run_parallel([functools.partial(work, lo, hi) for lo, hi in zip(bounds[:-1], bounds[1:])],
                     threads)

    # ---------------------------------------------------------------- files
    def save_bin(self, path):
        """Write fastText's supervised ``.bin`` (atomically)."""
        vocabulary = self.vocabulary
        args = self.args
        header = {"dim": args["dim"], "ws": args["ws"], "epoch": args["epoch"],
                  "min_count": args["minCount"], "neg": args["neg"],
                  "word_ngrams": args["wordNgrams"], "loss": _FILE_LOSS[args["loss"]],
                  "model": fasttext_bin.MODEL_SUPERVISED, "bucket": args["bucket"],
                  "minn": args["minn"], "maxn": args["maxn"],
                  "lr_update_rate": args["lrUpdateRate"], "t": args["t"]}
        n_words = vocabulary.n_words
        if self.quantized_input is not None:
            pairs, quantized_input, output = quantized_parts(self)
            fasttext_bin.write_fasttext_bin(
                path, header, vocabulary.words, vocabulary.word_counts, vocabulary.ntokens,
                None, (), output, labels=vocabulary.labels,
                label_counts=vocabulary.label_counts, pruneidx=pairs,
                quantized_input=quantized_input)
            return
        buckets = (self.input_rows(np.arange(n_words + start,
                                             n_words + min(start + (1 << 16), vocabulary.bucket)))
                   for start in range(0, vocabulary.bucket, 1 << 16))
        fasttext_bin.write_fasttext_bin(
            path, header, vocabulary.words, vocabulary.word_counts, vocabulary.ntokens,
            self.input_matrix[:n_words], buckets, self.output_matrix, labels=vocabulary.labels,
            label_counts=vocabulary.label_counts)

    @classmethod
    def load_bin(cls, path, parsed=None):
        """Read a supervised ``.bin`` written by fastText or by :meth:`save_bin`.

        Raises
        ------
        FormatError
            Not a supervised fastText model, or a damaged one.
        """
        parsed = parsed if parsed is not None else \
            fasttext_bin.read_fasttext_bin(path, supervised=True)
        head = parsed.args
        if head["model"] != fasttext_bin.MODEL_SUPERVISED:
            raise FormatError(f"{os.fspath(path)} is an unsupervised fastText model, not a "
                              "classifier")
        if head["loss"] not in _LOSS_OF_FILE:
            raise FormatError(f"{os.fspath(path)} has an unknown loss code {head['loss']}")
        if not parsed.labels:
            raise FormatError(f"{os.fspath(path)} is a classifier without labels")
        if head["mode"] == "floret":
            raise FormatError(f"{os.fspath(path)} is a floret classifier: its words and "
                              "n-grams are hashed floret's way, which fastemb's classifier "
                              "does not do (floret's unsupervised models load)")
        args = dict(SUPERVISED_DEFAULTS)
        args.update({"dim": head["dim"], "ws": head["ws"], "epoch": head["epoch"],
                     "minCount": head["min_count"], "neg": head["neg"],
                     "wordNgrams": head["word_ngrams"], "loss": _LOSS_OF_FILE[head["loss"]],
                     "bucket": head["bucket"], "minn": head["minn"], "maxn": head["maxn"],
                     "lrUpdateRate": head["lr_update_rate"], "t": head["t"]})
        output_rows = parsed.output.shape[0] if isinstance(parsed.output, np.ndarray) \
            else parsed.output.rows
        if output_rows != len(parsed.labels):
            raise FormatError(f"{os.fspath(path)}: the output matrix has {output_rows} rows "
                              f"for {len(parsed.labels)} labels")
        vocabulary = LabelledVocabulary(
            parsed.words, parsed.counts, parsed.labels, parsed.label_counts, parsed.ntokens,
            args["label"], args["wordNgrams"], args["minn"], args["maxn"], args["bucket"])
        if not isinstance(parsed.input_matrix, np.ndarray):  # a .ftz
            model = cls(vocabulary, None, None, args)
            try:
                from_quantized(model, parsed)
            except (ValueError, IndexError) as exc:
                raise FormatError(f"{os.fspath(path)}: damaged quantized matrices ({exc})") \
                    from None
            if model.pruned and len(parsed.pruneidx) and \
                    parsed.pruneidx[:, 1].max() >= model.input_matrix.shape[0] - vocabulary.n_words:
                raise FormatError(f"{os.fspath(path)}: a pruned bucket points past the matrix")
            return model
        return cls(vocabulary, np.ascontiguousarray(parsed.input_matrix, dtype=np.float32),
                   np.ascontiguousarray(parsed.output, dtype=np.float32), args)

    def quantize(self, **options):
        """Quantize in place (see :func:`fastemb.models.ftz.quantize`)."""
        quantize(self, **options)


def _stored_buckets(rows, vocabulary):
    """Which buckets the training documents use: ``(bucket_rows, stored)``,
    each bucket's stored row (-1: none) and the stored buckets in order."""
    n_words = vocabulary.n_words
    used = np.zeros(vocabulary.bucket, dtype=bool)
    used[rows[rows >= n_words] - n_words] = True
    stored = np.flatnonzero(used)
    bucket_rows = np.full(vocabulary.bucket, -1, dtype=np.int32)
    bucket_rows[stored] = np.arange(len(stored), dtype=np.int32)
    return bucket_rows, stored


def _initial_rows(vocabulary, stored, dim, seed):
    """The stored input matrix before training: the words' rows and the
    used buckets', uniform in [-1/dim, 1/dim] as in fastText (drawn by row
    id, so they do not depend on which buckets are stored), then the zero
    row of the buckets no training document used.

    fastText fills those with noise too, but training never moves them: at
    prediction time they would only add that noise to a document's mean,
    and drawing two million of them took longer than training a small set.
    """
    ids = np.concatenate([np.arange(vocabulary.n_words, dtype=np.int64),
                          stored + vocabulary.n_words])
    matrix = np.zeros((len(ids) + 1, dim), dtype=np.float32)

    def fill(start, end):  # the generator releases the GIL: halves run side by side
        matrix[start:end] = hashed_uniform_rows(ids[start:end], dim, int(seed), _INPUT_STREAM,
                                                1.0 / dim)

    half = len(ids) // 2
    run_parallel([functools.partial(fill, 0, half), functools.partial(fill, half, len(ids))], 2)
    return matrix


def _with_pretrained(vocabulary, path, dim):
    """fastText's ``pretrainedVectors``: the words of a ``.vec`` file join the
    dictionary (each counted once more, the words sorted again by count) and
    bring their vectors.

    Returns
    -------
    (LabelledVocabulary, list of str, ndarray)
        The grown dictionary, and the file's words and vectors.

    Raises
    ------
    ValueError
        The file's dimension is not the model's.
    """
    keys, vectors = read_word2vec(path)
    if vectors.shape[1] != dim:
        raise ValueError(f"dimension of pretrained vectors ({vectors.shape[1]}) does not match "
                         f"dimension ({dim})")
    counts = dict(zip(vocabulary.words, vocabulary.word_counts.tolist()))
    prefix = vocabulary.label_prefix
    for key in keys:
        if not key.startswith(prefix):
            counts[key] = counts.get(key, 0) + 1
    words = sorted(counts, key=lambda w: -counts[w])  # stable: ties keep their order
    grown = LabelledVocabulary(words, [counts[w] for w in words], vocabulary.labels,
                               vocabulary.label_counts, vocabulary.ntokens + len(keys), prefix,
                               vocabulary.word_ngrams, vocabulary.minn, vocabulary.maxn,
                               vocabulary.bucket)
    return grown, keys, vectors
