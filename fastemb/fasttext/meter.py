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
        self.false_negatives = false_negatives
        self.scores = [[] for _ in range(n_labels)]  # (score, gold) of each label
        self.examples = 0
        self.gold = 0
        self.predicted = 0
        self.predicted_gold = 0
        self.label_gold = np.zeros(n_labels, dtype=np.int64)
        self.label_predicted = np.zeros(n_labels, dtype=np.int64)
        self.label_predicted_gold = np.zeros(n_labels, dtype=np.int64)

    @classmethod
    def of(cls, model, documents, k, threshold, false_negatives=False):
        """The meter of a SupervisedModel's predictions on labelled
        documents, as fastText's ``test`` fills it: only the lines with a
        known label and an input row count.

        Parameters
        ----------
        model : SupervisedModel
        documents : TokenTable
        k : int
            Predictions a line (-1: every label).
        threshold : float
        false_negatives : bool
        """
        encoded = model.encode(documents)
        ids, probabilities, counts = model.predict_encoded(encoded, k, threshold,
                                                           threads=int(model.args["thread"]))
        meter = cls(model.vocabulary.n_labels, false_negatives)
        keep = (np.diff(encoded.label_offsets) > 0) & (np.diff(encoded.row_offsets) > 0)
        for d in np.flatnonzero(keep):
            meter.log(encoded.document_labels(d), ids[d, :counts[d]],
                      probabilities[d, :counts[d]])
        return meter

    def log(self, gold, predicted, probabilities=None):
        """Count one document: its gold label ids and predicted label ids."""
        gold = np.asarray(gold)
        predicted = np.asarray(predicted)
        hits = np.isin(predicted, gold)
        self.examples += 1
        self.gold += len(gold)
        self.predicted += len(predicted)
        self.predicted_gold += int(hits.sum())
        np.add.at(self.label_predicted, predicted, 1)
        np.add.at(self.label_predicted_gold, predicted[hits], 1)
        np.add.at(self.label_gold, gold, 1)
        if probabilities is not None:
            for label, probability, hit in zip(predicted.tolist(),
                                               np.asarray(probabilities).tolist(), hits.tolist()):
                self.scores[label].append((min(probability, 1.0), 1.0 if hit else 0.0))
            if self.false_negatives:
                for label in set(gold.tolist()) - set(predicted.tolist()):
                    self.scores[label].append((-1.0, 1.0))

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
        pairs = sorted(self.scores[label] if label is not None else
                       [pair for scores in self.scores for pair in scores])
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
