"""fastText's autotune: search the training arguments that score best on a
validation file within a time budget, and optionally a file size.

The search is fastText's: the first trial takes the given arguments, each
next one perturbs the best so far (``epoch``, ``lr``, ``dim``,
``wordNgrams``, ``minn``/``maxn``, ``bucket``, ``dsub``; those the caller
set are left alone) by a Gaussian whose spread shrinks as the budget runs
out, and the loss is softmax unless given. With ``autotuneModelSize`` each
trial is quantized to fit the size (``qnorm``, ``retrain``, a cutoff from
the size, ``qout`` with 256 labels or more).

Unlike fastText, the training file is read once for every trial, a trial
that runs past the budget finishes (and counts), and the best trial's model
is returned instead of training once more with its arguments.
"""
import logging
import math
import random
import time

from fastemb.corpus.labelled import read_documents
from fastemb.errors import CorpusError
from fastemb.fasttext.meter import Meter
from fastemb.models.supervised import SupervisedModel

__all__ = ["autotune", "parse_metric", "parse_model_size"]

logger = logging.getLogger(__name__)

_UNITS = {"k": 1000, "K": 1000, "m": 10 ** 6, "M": 10 ** 6, "g": 10 ** 9, "G": 10 ** 9}
_MINN_CHOICES = (0, 2, 3)
#: the fewest rows a quantized matrix may keep
_CUTOFF_LIMIT = 256


def parse_metric(metric):
    """``(name, value, label)`` of an autotune metric: ``f1``,
    ``f1:LABEL``, ``precisionAtRecall:30[:LABEL]``,
    ``recallAtPrecision:30[:LABEL]`` (values in percent).

    Raises
    ------
    ValueError
        Anything else.
    """
    if metric == "f1":
        return "f1", None, None
    if metric.startswith("f1:"):
        if not metric[3:]:
            raise ValueError(f"Empty metric label : {metric}")
        return "f1", None, metric[3:]
    for name in ("precisionAtRecall", "recallAtPrecision"):
        if metric.startswith(name + ":"):
            value, separator, label = metric[len(name) + 1:].partition(":")
            try:
                number = float(value) / 100.0
            except ValueError:
                raise ValueError(f"Unknown metric : {metric}") from None
            if separator and not label:
                raise ValueError(f"Empty metric label : {metric}")
            return name, number, label or None
    raise ValueError(f"Unknown metric : {metric} (use f1, f1:LABEL, "
                     "precisionAtRecall:PERCENT[:LABEL] or recallAtPrecision:PERCENT[:LABEL])")


def parse_model_size(size):
    """Bytes of ``autotuneModelSize`` (``"2M"``, ``"500k"``, ``"1G"``);
    None when empty.

    Raises
    ------
    ValueError
        Not a number with an optional k/M/G.
    """
    size = str(size)
    if not size:
        return None
    multiplier = _UNITS.get(size[-1], 1)
    digits = size[:-1] if size[-1] in _UNITS else size
    if not digits.isdigit():
        raise ValueError(f"Unable to parse model size {size}")
    return int(digits) * multiplier


def _gauss(value, low, high, start_sigma, end_sigma, t, linear, rng, integer):
    """fastText's perturbation of one argument."""
    sigma = start_sigma - ((start_sigma - end_sigma) / 0.5) * min(0.5, max(t - 0.25, 0.0))
    coefficient = rng.gauss(0.0, sigma)
    new = value + coefficient if linear else value * 2.0 ** coefficient
    new = int(new) if integer else new  # C++'s cast truncates toward zero
    return min(max(new, low), high)


class _Strategy:
    """The next trial's arguments from the best so far."""

    def __init__(self, args, manual, duration, seed):
        self.manual = manual
        self.duration = duration
        self.rng = random.Random(seed)
        self.trials = 0
        self.original_bucket = args["bucket"]
        self.update_best(args)

    def update_best(self, args):
        self.best = dict(args)
        self.best_minn = _MINN_CHOICES.index(args["minn"]) if args["minn"] in _MINN_CHOICES \
            else 0
        self.best_dsub = int(math.log2(args["dsub"]))
        if args["bucket"]:
            self.best_bucket = args["bucket"]
        elif not hasattr(self, "best_bucket"):
            self.best_bucket = 2000000

    def ask(self, elapsed):
        t = min(1.0, elapsed / self.duration)
        self.trials += 1
        if self.trials == 1:
            return dict(self.best)
        args, rng, free = dict(self.best), self.rng, lambda name: name not in self.manual
        if free("epoch"):
            args["epoch"] = _gauss(args["epoch"], 1, 100, 2.8, 2.5, t, False, rng, True)
        if free("lr"):
            args["lr"] = _gauss(args["lr"], 0.01, 5.0, 1.9, 1.0, t, False, rng, False)
        if free("dim"):
            args["dim"] = _gauss(args["dim"], 1, 1000, 1.4, 0.3, t, False, rng, True)
        if free("wordNgrams"):
            args["wordNgrams"] = _gauss(args["wordNgrams"], 1, 5, 4.3, 2.4, t, True, rng, True)
        if free("dsub"):
            args["dsub"] = 1 << _gauss(self.best_dsub, 1, 4, 2.0, 1.0, t, True, rng, True)
        if free("minn"):
            args["minn"] = _MINN_CHOICES[_gauss(self.best_minn, 0, len(_MINN_CHOICES) - 1,
                                                4.0, 1.4, t, True, rng, True)]
        if free("maxn"):
            args["maxn"] = 0 if args["minn"] == 0 else args["minn"] + 3
        args["bucket"] = _gauss(self.best_bucket, 10000, 10000000, 2.0, 1.5, t, False, rng,
                                True) if free("bucket") else self.original_bucket
        if args["wordNgrams"] <= 1 and args["maxn"] == 0:
            args["bucket"] = 0
        if free("loss"):
            args["loss"] = "softmax"
        return args


def _cutoff_for_size(model, qout, qnorm, dsub, size):
    """fastText's estimate of the rows a ``.ftz`` of ``size`` bytes keeps."""
    out_rows, out_cols = model.output_matrix.shape
    if qout:
        out_size = 21 + out_rows * ((out_cols + 1) // 2) + 16 + 4 * out_cols * 256 + \
            (out_rows if qnorm else 0)
    else:
        out_size = 16 + 4 * out_rows * out_cols
    dim = model.input_matrix.shape[1]
    target = size - 107 - 4 * 256 * dim - out_size
    return max(int(target / ((dim + dsub - 1) // dsub + (1 if qnorm else 0) + 10)),
               _CUTOFF_LIMIT)


def _score(model, validation, metric, predictions):
    name, value, label = metric
    vocabulary = model.vocabulary
    label_id = None
    if label is not None:
        label_id = vocabulary.label_index.get(label.encode("utf-8", "surrogateescape"))
        if label_id is None:
            raise ValueError(f"Unknown autotune metric label {label!r}")
    meter = Meter.of(model, validation, predictions, 0.0, false_negatives=label is not None)
    if name == "f1":
        return meter.f1_score(label_id)
    if name == "precisionAtRecall":
        return meter.precision_at_recall(value, label_id)
    return meter.recall_at_precision(value, label_id)


def autotune(documents, validation_file, args, manual, metric="f1", predictions=1,
             duration=300, model_size="", callbacks=()):
    """The best model the search finds (see the module notes).

    Parameters
    ----------
    documents : TokenTable
        The training documents.
    validation_file : str
    args : dict
        fastText's arguments (``dsub`` included); the search starts there.
    manual : set of str
        The arguments the caller set, which the search leaves alone.
    metric, predictions, duration, model_size
        ``autotuneMetric``, ``autotunePredictions``, ``autotuneDuration``
        (seconds) and ``autotuneModelSize``.

    Returns
    -------
    SupervisedModel

    Raises
    ------
    ValueError
        A bad metric or size, an unreadable validation file, or a budget or
        size no trial could meet.
    """
    metric = parse_metric(metric)
    size = parse_model_size(model_size)
    if int(predictions) < 1 or float(duration) <= 0:
        raise ValueError("autotunePredictions and autotuneDuration must be positive")
    try:
        validation = read_documents(validation_file)
    except CorpusError:
        raise ValueError("Validation file cannot be opened!") from None
    strategy = _Strategy(args, manual, float(duration), int(args["seed"]))
    started = time.monotonic()
    best, best_score, too_big = None, -math.inf, 0
    while time.monotonic() - started < float(duration):
        trial = strategy.ask(time.monotonic() - started)
        try:
            model = SupervisedModel.train(documents, trial, callbacks)
        except (ValueError, MemoryError) as exc:  # a sample asking too much: go on
            logger.info("autotune trial %d skipped: %s", strategy.trials, exc)
            continue
        if size is not None:
            qout = model.output_matrix.shape[0] >= _CUTOFF_LIMIT
            cutoff = _cutoff_for_size(model, qout, True, trial["dsub"], size)
            if cutoff == _CUTOFF_LIMIT:
                too_big += 1
                continue
            model.quantize(qout=qout, qnorm=True, cutoff=cutoff, retrain=True,
                           documents=documents, dsub=trial["dsub"])
        score = _score(model, validation, metric, int(predictions))
        logger.info("autotune trial %d: score %.6f with %s", strategy.trials, score, trial)
        if best is None or score > best_score:
            best, best_score = model, score
            strategy.update_best(trial)
    if best is None:
        if too_big:
            raise ValueError("Couldn't fulfil model size constraint: please increase "
                             "autotuneModelSize")
        raise ValueError("Didn't have enough time to train once: please increase "
                         "autotuneDuration")
    best.autotune_score = best_score
    best.autotune_trials = strategy.trials
    return best
