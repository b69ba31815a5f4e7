"""The model object of fastText's Python API: what ``fasttext.load_model``
and ``fasttext.train_supervised`` return, with the same methods, arguments
and return types, over a fastemb classifier
(:class:`fastemb.models.supervised.SupervisedModel`) or word-vector model
(:class:`fastemb.models.fasttext.FastText`).
"""
import os

import numpy as np

from fastemb._subwords import ngram_hash
from fastemb.corpus.labelled import EOS, read_bytes, split_documents
from fastemb.fasttext.meter import Meter
from fastemb.models.facebook import save_facebook_model
from fastemb.vectors.subword import FastTextKeyedVectors

__all__ = ["FastTextModel", "LabelMeter", "TRAINING_ARGUMENTS"]

#: The training arguments a model answers as attributes, as fastText's does.
TRAINING_ARGUMENTS = ("lr", "dim", "ws", "epoch", "minCount", "minCountLabel", "minn", "maxn",
                      "neg", "wordNgrams", "loss", "bucket", "thread", "lrUpdateRate", "t",
                      "label", "verbose", "pretrainedVectors")


def _one_line(text, what="predict"):
    """``text`` as fastText reads one line: bytes ending with a newline.

    Raises
    ------
    ValueError
        The text holds a newline (fastText's message).
    """
    if not isinstance(text, str):
        raise TypeError(f"{what} takes a str or a list of str, got {type(text).__name__}")
    if "\n" in text:
        raise ValueError(f"{what} processes one line at a time (remove '\\n')")
    return (text + "\n").encode("utf-8", "surrogateescape")


def _lines(texts, what="predict"):
    """A list of lines as fastText reads a file: bytes, each line ending
    with its newline (the checks of :func:`_one_line`, at the cost of one
    join)."""
    try:
        joined = "\n".join(texts)
    except TypeError:
        joined = None
    if joined is None or joined.count("\n") != len(texts) - 1:
        for text in texts:
            _one_line(text, what)  # raises, naming the line's fault
    return (joined + "\n").encode("utf-8", "surrogateescape") if texts else b""


def _decode(token, on_unicode_error):
    return token.decode("utf-8", on_unicode_error)


def _word_ngrams(word, minn, maxn):
    """The character n-grams of ``<word>`` in fastText's order (bytes)."""
    data = ("<" + word + ">").encode("utf-8", "surrogateescape")
    starts = [i for i in range(len(data)) if (data[i] & 0xC0) != 0x80]
    grams = []
    for a, i in enumerate(starts):
        for n in range(1, maxn + 1):
            if a + n > len(starts):
                break
            j = starts[a + n] if a + n < len(starts) else len(data)
            if n >= minn and not (n == 1 and (i == 0 or j == len(data))):
                grams.append(data[i:j])
    return grams


class FastTextModel:
    """A trained or loaded fastText model (a classifier or word vectors).

    Not built directly: :func:`fastemb.fasttext.train_supervised`,
    :func:`~fastemb.fasttext.train_unsupervised` and
    :func:`~fastemb.fasttext.load_model` return one.
    """

    def __init__(self, supervised=None, unsupervised=None, args=None):
        self._sup = supervised
        self._unsup = unsupervised
        self._words = None
        self._labels = None
        self._word_matrix = None
        for name, value in (args or {}).items():
            if name in TRAINING_ARGUMENTS:
                setattr(self, name, value)

    # ------------------------------------------------------------------ kind
    def _classifier(self, what):
        if self._sup is None:
            raise ValueError(f"Model needs to be supervised for {what}!")
        return self._sup

    def is_quantized(self):
        """True for a quantized (``.ftz``) model."""
        return self._sup is not None and self._sup.quantized_input is not None

    def quantize(self, input=None, qout=False, cutoff=0, retrain=False, epoch=None, lr=None,
                 thread=None, verbose=None, dsub=2, qnorm=False):
        """Shrink the model (FastText.zip): keep the ``cutoff`` input rows of
        largest norm, retrain them on ``input`` if ``retrain``, and
        product-quantize the input matrix (``dsub`` columns a sub-vector,
        norms apart with ``qnorm``) and, with ``qout``, the output matrix.
        ``save_model`` then writes a ``.ftz``.

        Raises
        ------
        ValueError
            A word-vector model, retraining without ``input``, or a matrix
            of fewer than 256 rows.
        """
        if self._sup is None:
            raise ValueError("For now we only support quantization of supervised models")
        self._sup.quantize(input=input, qout=qout, cutoff=cutoff, retrain=retrain, epoch=epoch,
                           lr=lr, thread=thread, dsub=dsub, qnorm=qnorm)
        self._words = self._word_matrix = None

    def get_dimension(self):
        """The dimension of the vectors (the hidden layer)."""
        if self._sup is not None:
            return int(self._sup.args["dim"])
        return int(self._unsup.wv.vector_size)

    # ------------------------------------------------------------ dictionary
    def get_words(self, include_freq=False, on_unicode_error="strict"):
        """The dictionary's words (and their counts)."""
        if self._sup is not None:
            words, counts = self._sup.vocabulary.words, self._sup.vocabulary.word_counts
        else:
            words, counts = self._unsup.wv.index_to_key, self._unsup.wv.counts
        words = [w if on_unicode_error == "surrogateescape" else
                 _decode(w.encode("utf-8", "surrogateescape"), on_unicode_error) for w in words]
        if include_freq:
            return words, np.array(counts, dtype=np.int64)
        return words

    def get_labels(self, include_freq=False, on_unicode_error="strict"):
        """The labels (and their counts); a word-vector model's words."""
        if self._sup is None:
            return self.get_words(include_freq, on_unicode_error)
        vocabulary = self._sup.vocabulary
        labels = [_decode(label.encode("utf-8", "surrogateescape"), on_unicode_error)
                  for label in vocabulary.labels]
        if include_freq:
            return labels, np.array(vocabulary.label_counts, dtype=np.int64)
        return labels

    @property
    def words(self):
        if self._words is None:
            self._words = self.get_words()
        return self._words

    @property
    def labels(self):
        if self._labels is None:
            self._labels = self.get_labels()
        return self._labels

    def __contains__(self, word):
        return word in self.words

    def __getitem__(self, word):
        return self.get_word_vector(word)

    def get_word_id(self, word):
        """The word's id in the dictionary, -1 if it has none."""
        if self._sup is not None:
            return self._sup.vocabulary.word_index.get(word.encode("utf-8", "surrogateescape"),
                                                       -1)
        return self._unsup.wv.key_to_index.get(word, -1)

    def get_label_id(self, label):
        """The label's id, -1 if it has none."""
        if self._sup is None:
            return self.get_word_id(label)
        return self._sup.vocabulary.label_index.get(label.encode("utf-8", "surrogateescape"), -1)

    def _hashing(self):
        """``(n_words, minn, maxn, bucket)`` of the input rows."""
        if self._sup is not None:
            v = self._sup.vocabulary
            return v.n_words, v.minn, v.maxn, v.bucket
        wv = self._unsup.wv
        return len(wv), wv.min_n, wv.max_n, wv.bucket

    def _floret(self):
        """The word vectors, when they are floret's hashed ones; else None."""
        if self._sup is None and self._unsup.wv.mode == "floret":
            return self._unsup.wv
        return None

    def get_subword_id(self, subword):
        """The input row a character n-gram hashes to (-1 for a floret model,
        whose subwords have several rows, as floret answers)."""
        if self._floret() is not None:
            return -1
        n_words, _, _, bucket = self._hashing()
        if bucket <= 0:
            raise ValueError("this model has no hash buckets (bucket=0): no subword has a row")
        return n_words + ngram_hash(subword.encode("utf-8", "surrogateescape")) % bucket

    def get_subwords(self, word, on_unicode_error="strict"):
        """The word (if known) and its character n-grams, with their input
        rows: ``(list of str, ndarray of int32)``. A floret model gives
        ``<word>`` and the n-grams, each with its ``hash_count`` rows."""
        n_words, minn, maxn, bucket = self._hashing()
        floret = self._floret()
        if floret is not None:
            if word == EOS:
                return [], np.zeros(0, dtype=np.int32)
            _, buckets = floret.subword_buckets([word])
            strings = [f"<{word}>"] + [_decode(gram, on_unicode_error)
                                       for gram in _word_ngrams(word, minn, maxn)]
            return strings, (buckets + n_words).astype(np.int32)
        strings, rows = [], []
        word_id = self.get_word_id(word)
        if word_id >= 0:
            strings.append(word)
            rows.append(word_id)
        pruned = self._sup is not None and self._sup.pruned
        if word != EOS and maxn > 0 and bucket > 0:
            for gram in _word_ngrams(word, minn, maxn):
                strings.append(_decode(gram, on_unicode_error))
                row = ngram_hash(gram) % bucket
                if pruned:  # a pruned dictionary lists the buckets it kept
                    row = self._sup.bucket_rows[row]
                    if row < 0:
                        continue
                rows.append(n_words + row)
        return strings, np.array(rows, dtype=np.int32)

    # --------------------------------------------------------------- vectors
    def _input_rows(self, rows):
        """Rows of the input matrix (a word-vector model stores only the
        buckets its words use and recomputes the others)."""
        rows = np.asarray(rows, dtype=np.int64)
        if self._sup is not None:
            return self._sup.input_rows(rows)
        wv = self._unsup.wv
        out = np.empty((len(rows), wv.vector_size), dtype=np.float32)
        words = rows < wv.n_words
        # floret-mode vectors may hold no rows for words (a floret .bin holds
        # one a word, unused but the first's; a model fastemb trained, the
        # first word's only, and zeros are what save_facebook_model writes)
        held = rows < min(wv.ngram_offset, wv.n_words)
        out[held] = wv.input_matrix[rows[held]]
        out[words & ~held] = 0.0
        if (~words).any():
            out[~words] = wv.ngram_rows(rows[~words] - wv.n_words)
        return out

    def _n_input_rows(self):
        if self._sup is not None and self._sup.pruned:
            return self._sup.input_matrix.shape[0]
        n_words, _, _, bucket = self._hashing()
        return n_words + bucket

    def get_input_matrix(self):
        """A copy of the input matrix (words, then every bucket).

        Raises
        ------
        ValueError
            The model is quantized.
        """
        if self.is_quantized():
            raise ValueError("Can't get quantized Matrix")
        if self._sup is not None:
            return np.concatenate(list(self._sup.full_input_blocks()))
        return self._input_rows(np.arange(self._n_input_rows()))

    def get_output_matrix(self):
        """A copy of the output matrix.

        Raises
        ------
        ValueError
            The model is quantized.
        """
        if self.is_quantized():
            raise ValueError("Can't get quantized Matrix")
        if self._sup is not None:
            return np.array(self._sup.output_matrix, dtype=np.float32)
        output = self._unsup.syn1neg if self._unsup.negative else self._unsup.syn1
        return np.array(output, dtype=np.float32)

    def get_input_vector(self, ind):
        """Row ``ind`` of the input matrix."""
        n = self._n_input_rows()
        if not 0 <= ind < n:
            raise IndexError(f"input row {ind} outside 0..{n - 1}")
        return self._input_rows([ind])[0]

    def get_word_vector(self, word):
        """The mean of the word's rows (its own and its n-grams'); zeros
        for an unknown word without n-grams."""
        floret = self._floret()
        if floret is not None:
            # a vocabulary word's rows are its own list (the first word's
            # includes its own row), which get_subwords does not give
            return floret[word] if word in floret else \
                np.zeros(self.get_dimension(), dtype=np.float32)
        _, rows = self.get_subwords(word, "surrogateescape")
        if not len(rows):
            return np.zeros(self.get_dimension(), dtype=np.float32)
        return self._input_rows(rows).mean(axis=0, dtype=np.float32)

    def get_sentence_vector(self, text):
        """A classifier's hidden vector of one line (the mean of its input
        rows); a word-vector model's mean of its words' unit vectors."""
        line = _one_line(text, "predict")
        if self._sup is not None:
            encoded = self._sup.encode(line)
            return self._sup.hidden_vectors(encoded)[0]
        total = np.zeros(self.get_dimension(), dtype=np.float32)
        count = 0
        for token in line.split():
            vector = self.get_word_vector(_decode(token, "surrogateescape"))
            norm = np.linalg.norm(vector)
            if norm > 0:
                total += vector / norm
                count += 1
        return total / count if count else total

    def _unit_word_vectors(self):
        if self._word_matrix is None:
            matrix = np.stack([self.get_word_vector(w) for w in self.get_words()]) \
                if self.words else np.zeros((0, self.get_dimension()), np.float32)
            norms = np.linalg.norm(matrix, axis=1, keepdims=True)
            self._word_matrix = np.divide(matrix, norms, out=np.zeros_like(matrix),
                                          where=norms > 0)
        return self._word_matrix

    def _nearest(self, query, k, banned):
        norm = float(np.linalg.norm(query))
        if abs(norm) < 1e-8:
            norm = 1.0
        scores = self._unit_word_vectors() @ query / norm
        words = self.words
        order = np.argsort(-scores, kind="stable")
        found = []
        for i in order:
            if words[i] in banned:
                continue
            found.append((float(scores[i]), words[i]))
            if len(found) == k:
                break
        return found

    def get_nearest_neighbors(self, word, k=10, on_unicode_error="strict"):
        """The ``k`` words closest to ``word`` by cosine: [(score, word)]."""
        return self._nearest(self.get_word_vector(word), k, {word})

    def get_analogies(self, wordA, wordB, wordC, k=10, on_unicode_error="strict"):
        """Words closest to ``A - B + C`` (unit vectors): [(score, word)]."""
        query = np.zeros(self.get_dimension(), dtype=np.float32)
        for word, sign in ((wordA, 1.0), (wordB, -1.0), (wordC, 1.0)):
            vector = self.get_word_vector(word)
            query += sign * vector / (np.linalg.norm(vector) + 1e-8)
        return self._nearest(query, k, {wordA, wordB, wordC})

    # ------------------------------------------------------------ prediction
    def get_line(self, text, on_unicode_error="strict"):
        """``(words, labels)`` of one line (or lists of them for a list of
        lines); labels the model does not know are left out."""
        if isinstance(text, list):
            pairs = [self.get_line(entry, on_unicode_error) for entry in text]
            return [p[0] for p in pairs], [p[1] for p in pairs]
        line = _one_line(text, "get_line")
        words, labels = [], []
        for token in split_documents(line)[0]:
            if self._sup is not None and self._sup.vocabulary.is_label(token):
                if token in self._sup.vocabulary.label_index:
                    labels.append(_decode(token, on_unicode_error))
            else:
                words.append(_decode(token, on_unicode_error))
        return words, labels

    def predict(self, text, k=1, threshold=0.0, on_unicode_error="strict"):
        """The ``k`` most probable labels of a line (``k=-1``: all) with
        probability at least ``threshold``.

        Parameters
        ----------
        text : str or list of str
            One line (a newline in it is an error), or a list of lines,
            predicted on the model's threads.

        Returns
        -------
        For a str: (tuple of labels, ndarray of probabilities); for a list:
        (list of lists of labels, list of float32 arrays).
        """
        model = self._classifier("prediction")
        many = isinstance(text, list)
        # the lines go to the model's encoder as one block of bytes
        encoded = model.encode(_lines(text) if many else _one_line(text))
        ids, probabilities, counts = model.predict_encoded(encoded, k, threshold,
                                                           threads=int(model.args["thread"]))
        names = np.array(self.get_labels(on_unicode_error=on_unicode_error), dtype=object)
        if many:
            label_rows, probability_rows = names[ids].tolist(), list(probabilities)
            for d in np.flatnonzero(counts < ids.shape[1]).tolist():  # under the threshold
                label_rows[d] = label_rows[d][:counts[d]]
                probability_rows[d] = probability_rows[d][:counts[d]]
            return label_rows, probability_rows
        n = counts[0]
        return tuple(names[ids[0, :n]].tolist()), probabilities[0, :n].astype(np.float64)

    def _meter(self, path, k, threshold, false_negatives=False):
        model = self._classifier("testing")
        if not os.path.isfile(os.fspath(path)):
            raise ValueError(f"{os.fspath(path)} cannot be opened for testing!")
        return Meter.of(model, read_bytes(path), k, threshold, false_negatives)

    def get_meter(self, path, k=-1):
        """fastText's meter over a labelled file: scores against gold for
        each label, precision-recall curves, precision at a recall and
        recall at a precision (see :class:`LabelMeter`)."""
        return LabelMeter(self, self._meter(path, k, 0.0, false_negatives=True))

    def test(self, path, k=1, threshold=0.0):
        """``(N, precision at k, recall at k)`` on a labelled file."""
        meter = self._meter(path, k, threshold)
        return meter.examples, meter.precision(), meter.recall()

    def test_label(self, path, k=1, threshold=0.0):
        """Per label: ``{"precision", "recall", "f1score"}``."""
        meter = self._meter(path, k, threshold)
        return {label: {"precision": meter.precision(i), "recall": meter.recall(i),
                        "f1score": meter.f1_score(i)}
                for i, label in enumerate(self.get_labels())}

    # ----------------------------------------------------------------- files
    def save_model(self, path):
        """Write fastText's ``.bin``, which ``fasttext.load_model`` reads."""
        if self._sup is not None:
            self._sup.save_bin(path)
        else:
            save_facebook_model(self._unsup, path)

    def set_matrices(self, input_matrix, output_matrix):
        """Replace both matrices (rows as the model's: words and every
        bucket, and the output rows); their width becomes the dimension.

        Raises
        ------
        ValueError
            Shapes that do not fit, or a quantized model.
        """
        input_matrix = np.ascontiguousarray(input_matrix, dtype=np.float32)
        output_matrix = np.ascontiguousarray(output_matrix, dtype=np.float32)
        if input_matrix.ndim != 2 or output_matrix.ndim != 2 or \
                input_matrix.shape[1] != output_matrix.shape[1]:
            raise ValueError("the matrices must be 2-d and of the same width")
        if self.is_quantized():
            raise ValueError("a quantized model's matrices cannot be replaced")
        n_rows = self._n_input_rows()
        n_out = self.get_output_matrix().shape[0]
        if input_matrix.shape[0] != n_rows or output_matrix.shape[0] != n_out:
            raise ValueError(f"the matrices must have {n_rows} and {n_out} rows")
        if self._sup is not None:
            model = self._sup
            model.input_matrix, model.output_matrix = input_matrix, output_matrix
            model.bucket_rows = None  # every bucket is stored now
            model.args["dim"] = input_matrix.shape[1]
        else:
            model = self._unsup
            wv = model.wv
            model.wv = FastTextKeyedVectors.from_dense(
                wv.index_to_key, wv.counts, input_matrix, wv.min_n, wv.max_n, wv.bucket)
            model.vector_size = input_matrix.shape[1]
            if model.negative:
                model.syn1neg = output_matrix
            else:
                model.syn1 = output_matrix
        self.dim = input_matrix.shape[1]
        self._word_matrix = None


class LabelMeter:
    """What ``FastTextModel.get_meter`` returns: fastText's ``_Meter``, with
    labels by name (None: every label)."""

    def __init__(self, model, meter):
        self._model = model
        self._meter = meter

    def _label(self, label):
        if not label:
            return None
        label_id = self._model.get_label_id(label)
        if label_id < 0:
            raise ValueError(f"unknown label {label!r}")
        return label_id

    def score_vs_true(self, label):
        """``(scores, golds)`` of the label's predictions (score -1: a gold
        line it was not predicted for), sorted."""
        pairs = self._meter.scores(self._label(label))
        scores, golds = zip(*pairs) if pairs else ((), ())
        return np.array(scores, dtype=np.float64), np.array(golds, dtype=np.float64)

    def precision_recall_curve(self, label=None):
        """``(precisions, recalls)``."""
        curve = self._meter.precision_recall_curve(self._label(label))
        precisions, recalls = zip(*curve) if curve else ((), ())
        return np.array(precisions, dtype=np.float64), np.array(recalls, dtype=np.float64)

    def precision_at_recall(self, recall, label=None):
        return self._meter.precision_at_recall(recall, self._label(label))

    def recall_at_precision(self, precision, label=None):
        return self._meter.recall_at_precision(precision, self._label(label))
