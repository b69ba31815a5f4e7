"""fastText's test metrics: precision and recall at k over every
prediction, and per label, counted as fastText's meter counts them (a
document's every prediction against its every gold label); and, from the
predictions' probabilities, its precision-recall curves, for autotune's
``precisionAtRecall`` and ``recallAtPrecision`` metrics."""
import math

import numpy as np

__all__ = ["Meter"]


def _ratio(numerator, denominator):
    return numerator / denominator if denominator else math.nan


class Meter:
    """Counts of predictions against gold labels.

    Parameters
    ----------
    n_labels : int
    false_negatives : bool
        Also count a gold label no prediction named, at score -1, in its
        label's curve (fastText does so when a metric names a label).
    """

    def __init__(self, n_labels, false_negatives=False):
        self.n_labels = n_labels
        self.false_negatives = false_negatives
        self.examples = 0
        self.gold = 0
        self.predicted = 0
        self.predicted_gold = 0
        self.label_gold = np.zeros(n_labels, dtype=np.int64)
        self.label_predicted = np.zeros(n_labels, dtype=np.int64)
        self.label_predicted_gold = np.zeros(n_labels, dtype=np.int64)
        # (label, score, gold) of every scored prediction, in batches
        self._scored = []

    @classmethod
    def of(cls, model, documents, k, threshold, false_negatives=False):
        """The meter of a SupervisedModel's predictions on labelled
        documents, as fastText's ``test`` fills it: only the lines with a
        known label and an input row count.

        Parameters
        ----------
        model : SupervisedModel
        documents : bytes or TokenTable
            The labelled lines, as ``SupervisedModel.encode`` takes them.
        k : int
            Predictions a line (-1: every label).
        threshold : float
        false_negatives : bool
        """
        encoded = model.encode(documents)
        ids, probabilities, counts = model.predict_encoded(encoded, k, threshold,
                                                           threads=int(model.args["thread"]))
        gold_counts = np.diff(encoded.label_offsets)
        keep = (gold_counts > 0) & (np.diff(encoded.row_offsets) > 0)
        counts = np.where(keep, counts, 0)
        taken = np.arange(ids.shape[1]) < counts[:, None]
        meter = cls(model.vocabulary.n_labels, false_negatives)
        meter.add(np.repeat(np.arange(len(encoded)), np.where(keep, gold_counts, 0)),
                  encoded.labels[np.repeat(keep, gold_counts)],
                  np.repeat(np.arange(len(encoded)), counts), ids[taken], probabilities[taken],
                  int(keep.sum()))
        return meter

    def add(self, gold_documents, gold, predicted_documents, predicted, probabilities=None,
            examples=None):
        """Count documents at once: gold label ids and predicted label ids,
        each with the document it belongs to (a prediction is a hit when its
        document has that gold label).

        Parameters
        ----------
        gold_documents, gold : array of int
        predicted_documents, predicted : array of int
        probabilities : array of float, optional
            The predictions' probabilities, for the curves.
        examples : int, optional
            Documents counted (default: those with a gold label).
        """
        gold, predicted = np.asarray(gold, np.int64), np.asarray(predicted, np.int64)
        gold_keys = np.asarray(gold_documents, np.int64) * self.n_labels + gold
        predicted_keys = np.asarray(predicted_documents, np.int64) * self.n_labels + predicted
        hits = np.isin(predicted_keys, gold_keys)
        self.examples += len(np.unique(gold_documents)) if examples is None else examples
        self.gold += len(gold)
        self.predicted += len(predicted)
        self.predicted_gold += int(hits.sum())
        self.label_predicted += np.bincount(predicted, minlength=self.n_labels)
        self.label_predicted_gold += np.bincount(predicted[hits], minlength=self.n_labels)
        self.label_gold += np.bincount(gold, minlength=self.n_labels)
        if probabilities is not None:
            self._scored.append((predicted, np.minimum(np.asarray(probabilities, np.float64), 1.0),
                                 hits.astype(np.float64)))
            if self.false_negatives:  # a gold label not predicted: recall never reached
                missed = ~np.isin(gold_keys, predicted_keys)
                self._scored.append((gold[missed], np.full(missed.sum(), -1.0),
                                     np.ones(missed.sum())))

    def log(self, gold, predicted, probabilities=None):
        """Count one document: its gold label ids and predicted label ids."""
        self.add(np.zeros(len(gold), np.int64), gold, np.zeros(len(predicted), np.int64),
                 predicted, probabilities, examples=1)

    def scores(self, label=None):
        """``(score, gold)`` pairs of the label's predictions (None: every
        label's), sorted."""
        if not self._scored:
            return []
        labels, values, golds = (np.concatenate(part) for part in zip(*self._scored))
        chosen = slice(None) if label is None else labels == label
        order = np.lexsort((golds[chosen], values[chosen]))
        return list(zip(values[chosen][order].tolist(), golds[chosen][order].tolist()))

    def precision(self, label=None):
        """Correct predictions over predictions (NaN without any)."""
        if label is None:
            return _ratio(self.predicted_gold, self.predicted)
        return _ratio(int(self.label_predicted_gold[label]), int(self.label_predicted[label]))

    def recall(self, label=None):
        """Correct predictions over gold labels (NaN without any)."""
        if label is None:
            return _ratio(self.predicted_gold, self.gold)
        return _ratio(int(self.label_predicted_gold[label]), int(self.label_gold[label]))

    def f1_score(self, label=None):
        """Harmonic mean of precision and recall (NaN when both are empty)."""
        if label is None:
            p, r = self.precision(), self.recall()
            return 2 * p * r / (p + r) if p + r else math.nan
        predicted, gold = int(self.label_predicted[label]), int(self.label_gold[label])
        return _ratio(2 * int(self.label_predicted_gold[label]), predicted + gold)

    def _positive_counts(self, label):
        """(true, false) positives at each score threshold, from the highest
        score down; tied scores share one point."""
        pairs = self.scores(label)
        counts, true, false, last = [], 0, 0, None
        for score, gold in reversed(pairs):
            if score < 0:  # a gold label never predicted: recall it cannot reach
                break
            if gold == 1.0:
                true += 1
            else:
                false += 1
            if score == last and counts:
                counts[-1] = (true, false)
            else:
                counts.append((true, false))
            last = score
        return counts

    def precision_recall_curve(self, label=None):
        """``[(precision, recall), ...]`` from the highest score down to the
        first point of full recall, then ``(1, 0)``; empty without scores."""
        counts = self._positive_counts(label)
        if not counts:
            return []
        golds = self.gold if label is None else int(self.label_gold[label])
        end = next((i + 1 for i, (true, _) in enumerate(counts) if true >= golds), len(counts))
        curve = [(true / (true + false) if true + false else 0.0,
                  true / golds if golds else math.nan) for true, false in counts[:end]]
        return curve + [(1.0, 0.0)]

    def precision_at_recall(self, recall, label=None):
        """The best precision at a recall of at least ``recall``."""
        return max((p for p, r in self.precision_recall_curve(label) if r >= recall),
                   default=0.0)

    def recall_at_precision(self, precision, label=None):
        """The best recall at a precision of at least ``precision``."""
        return max((r for p, r in self.precision_recall_curve(label) if p >= precision),
                   default=0.0)
