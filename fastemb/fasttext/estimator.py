"""A scikit-learn classifier over fastText's model: ``fit(texts, y)``,
``predict``, ``predict_proba``, ``score``, ``classes_``, multi-label ``y``;
usable in ``Pipeline``, ``GridSearchCV`` and ``cross_val_score``.

scikit-learn is not needed to use it (the estimator protocol is plain
methods); with scikit-learn installed it also declares its tags, so that
scikit-learn treats it as a classifier of text.
"""
import inspect

import numpy as np

from fastemb.corpus.labelled import EOS, TokenTable
from fastemb.models.supervised import SUPERVISED_DEFAULTS, SupervisedModel

__all__ = ["FastTextClassifier", "NotFittedError"]

_EOS = EOS.encode()
#: the estimator's names of fastText's arguments
_FASTTEXT_NAMES = {"lr": "lr", "dim": "dim", "ws": "ws", "epoch": "epoch",
                   "min_count": "minCount", "min_count_label": "minCountLabel", "minn": "minn",
                   "maxn": "maxn", "neg": "neg", "word_ngrams": "wordNgrams", "loss": "loss",
                   "bucket": "bucket", "thread": "thread", "lr_update_rate": "lrUpdateRate",
                   "t": "t", "seed": "seed", "deterministic": "deterministic"}


class NotFittedError(ValueError, AttributeError):
    """The estimator is used before ``fit`` (scikit-learn's own exception
    of that name is raised instead where scikit-learn is installed)."""


def _not_fitted_error():
    try:
        from sklearn.exceptions import NotFittedError as sklearn_error
    except ImportError:
        return NotFittedError
    return sklearn_error


def _tokenizer(name):
    """A callable str -> list of str for the ``tokenizer`` parameter (None:
    fastText's own whitespace split, done in C over all the texts at once)."""
    if name is None:
        return None
    if callable(name):
        return name
    if name == "jieba":
        try:
            import jieba
        except ImportError:  # pragma: no cover - depends on the environment
            raise ImportError('tokenizer="jieba" needs jieba: pip install "fastemb[chinese]"') \
                from None
        return lambda text: [w for w in jieba.lcut(text) if w.strip()]
    raise ValueError(f"unknown tokenizer {name!r}: give None (whitespace), 'jieba' or a "
                     "callable")


class FastTextClassifier:
    """fastText's text classifier as a scikit-learn estimator.

    Parameters
    ----------
    lr, dim, ws, epoch, min_count, min_count_label, minn, maxn, neg, word_ngrams, loss,
    bucket, thread, lr_update_rate, t, seed
        fastText's training arguments (``train_supervised``'s, in snake
        case), with its defaults; ``thread=None`` uses all cores but one.
    tokenizer : None, "jieba" or callable
        How a text becomes tokens: whitespace (None), jieba for Chinese, or
        a function from a string to a list of strings.
    threshold : float
        Multi-label ``predict``: the probability a label needs.
    deterministic : bool
        True: the same model bit for bit whatever ``thread`` is
        (``train_supervised``'s ``deterministic``; slower).

    Attributes
    ----------
    classes_ : ndarray
        The labels, sorted (multi-label: each column of ``predict``'s output).
    model_ : SupervisedModel
    """

    _estimator_type = "classifier"

    def __init__(self, lr=0.1, dim=100, ws=5, epoch=5, min_count=1, min_count_label=0, minn=0,
                 maxn=0, neg=5, word_ngrams=1, loss="softmax", bucket=2000000, thread=None,
                 lr_update_rate=100, t=1e-4, seed=0, tokenizer=None, threshold=0.5,
                 deterministic=False):
        self.lr = lr
        self.dim = dim
        self.ws = ws
        self.epoch = epoch
        self.min_count = min_count
        self.min_count_label = min_count_label
        self.minn = minn
        self.maxn = maxn
        self.neg = neg
        self.word_ngrams = word_ngrams
        self.loss = loss
        self.bucket = bucket
        self.thread = thread
        self.lr_update_rate = lr_update_rate
        self.t = t
        self.seed = seed
        self.tokenizer = tokenizer
        self.threshold = threshold
        self.deterministic = deterministic

    # ------------------------------------------------- the estimator protocol
    @classmethod
    def _param_names(cls):
        return [name for name in inspect.signature(cls.__init__).parameters if name != "self"]

    def get_params(self, deep=True):
        """The constructor's parameters by name."""
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params):
        """Set constructor parameters; returns the estimator.

        Raises
        ------
        ValueError
            An unknown parameter.
        """
        names = self._param_names()
        for name, value in params.items():
            if name not in names:
                raise ValueError(f"invalid parameter {name!r} for FastTextClassifier; "
                                 f"valid ones: {', '.join(names)}")
            setattr(self, name, value)
        return self

    def __repr__(self):
        changed = {name: value for name, value in self.get_params().items()
                   if value != inspect.signature(type(self).__init__).parameters[name].default}
        return f"FastTextClassifier({', '.join(f'{k}={v!r}' for k, v in changed.items())})"

    def __sklearn_tags__(self):
        from sklearn.utils import ClassifierTags, InputTags, Tags, TargetTags

        return Tags(estimator_type="classifier", target_tags=TargetTags(required=True),
                    classifier_tags=ClassifierTags(multi_label=True),
                    input_tags=InputTags(one_d_array=True, two_d_array=False, string=True),
                    non_deterministic=self.thread not in (None, 1) and not self.deterministic)

    # ----------------------------------------------------------------- data
    def _documents(self, texts, label_lists=None):
        """The documents of ``texts``, each with its labels' tokens and
        ``</s>``, as fastText reads a line: fastText-format bytes with the
        default tokenizer, else a TokenTable."""
        if isinstance(texts, (str, bytes)):
            raise TypeError("X must be a list (or array or column) of texts, not one string")
        for i, text in enumerate(texts):
            if not isinstance(text, str):
                raise TypeError(f"text {i} is a {type(text).__name__}, not a str")
        split = _tokenizer(self.tokenizer)
        labels = [""] * len(texts) if label_lists is None else \
            ["".join(f"__label__{j} " for j in lists) for lists in label_lists]
        if split is None:  # one line a text: its newlines are only spaces here
            lines = "".join(f"{tags}{text.replace(chr(10), ' ')}\n"
                            for tags, text in zip(labels, texts))
            return lines.encode("utf-8", "surrogateescape")
        return TokenTable([tags.encode().split() +
                           [w.encode("utf-8", "surrogateescape") for w in split(text)] + [_EOS]
                           for tags, text in zip(labels, texts)])

    def _targets(self, y):
        """Each text's label indices, and whether ``y`` is multi-label."""
        if hasattr(y, "ndim") and getattr(y, "ndim") == 2:
            indicator = np.asarray(y)
            self.classes_ = np.arange(indicator.shape[1])
            return [list(np.flatnonzero(row)) for row in indicator], True
        y = list(y)
        if y and all(isinstance(v, (list, tuple, set, frozenset)) for v in y):
            classes = sorted({label for labels in y for label in labels})
            self.classes_ = np.array(classes, dtype=object)
            index = {label: i for i, label in enumerate(classes)}
            return [[index[label] for label in labels] for labels in y], True
        self.classes_ = np.unique(np.asarray(y))
        positions = np.searchsorted(self.classes_, np.asarray(y))
        return [[int(p)] for p in positions], False

    # ------------------------------------------------------------ training
    def fit(self, X, y):
        """Train on texts ``X`` with labels ``y`` (a label each, a list of
        labels each, or an indicator matrix).

        Returns
        -------
        self
        """
        if isinstance(X, (str, bytes)):
            raise TypeError("X must be a list (or array or column) of texts, not one string")
        label_lists, self.multilabel_ = self._targets(y)
        if len(label_lists) != len(X):
            raise ValueError(f"X has {len(X)} texts and y {len(label_lists)} labels")
        args = {_FASTTEXT_NAMES[name]: getattr(self, name) for name in _FASTTEXT_NAMES}
        if args["thread"] is None:
            args["thread"] = SUPERVISED_DEFAULTS["thread"]
        args["verbose"] = 0
        documents = self._documents(X, label_lists)
        if isinstance(documents, bytes):
            documents = TokenTable.from_bytes(documents)
        self.model_ = SupervisedModel.train(documents, args)
        # the model's label ids, as column order of classes_
        names = self.model_.vocabulary.labels
        self._columns = np.array([int(name[len("__label__"):]) for name in names])
        return self

    def _check_fitted(self):
        if not hasattr(self, "model_"):
            raise _not_fitted_error()("this FastTextClassifier is not fitted yet: call fit "
                                      "first")

    def predict_proba(self, X):
        """Each text's probability of each class, columns as ``classes_``
        (softmax and hs rows sum to 1; ova and ns give each label its own
        probability).

        Returns
        -------
        ndarray of float64, shape (n_texts, n_classes)
        """
        self._check_fitted()
        model = self.model_
        encoded = model.encode(self._documents(X))
        ids, probabilities, counts = model.predict_encoded(
            encoded, -1, 0.0, threads=int(model.args["thread"]))
        out = np.zeros((len(encoded), len(self.classes_)), dtype=np.float64)
        rows = np.repeat(np.arange(len(encoded)), counts)
        take = np.arange(ids.shape[1]) < counts[:, None]
        # fastText reports p + 1e-5 (the offset of its log): take it off
        out[rows, self._columns[ids[take]]] = np.maximum(probabilities[take] - 1e-5, 0.0)
        if model.args["loss"] in ("softmax", "hs"):
            totals = out.sum(axis=1, keepdims=True)
            np.divide(out, totals, out=out, where=totals > 0)
        return out

    def predict(self, X):
        """The most probable class of each text (multi-label: an indicator
        matrix of the classes at least ``threshold`` probable)."""
        probabilities = self.predict_proba(X)
        if getattr(self, "multilabel_", False):
            return (probabilities >= self.threshold).astype(int)
        return self.classes_[np.argmax(probabilities, axis=1)]

    def score(self, X, y):
        """Accuracy (multi-label: the share of texts whose label set is
        predicted exactly)."""
        predicted = self.predict(X)
        if getattr(self, "multilabel_", False):
            expected = np.zeros_like(predicted)
            index = {label: i for i, label in enumerate(self.classes_)}
            if hasattr(y, "ndim") and y.ndim == 2:
                expected = np.asarray(y).astype(int)
            else:
                for row, labels in enumerate(y):
                    for label in labels:
                        expected[row, index[label]] = 1
            return float(np.mean(np.all(predicted == expected, axis=1)))
        return float(np.mean(predicted == np.asarray(y)))
