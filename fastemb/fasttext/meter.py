"""fastText's test metrics: precision and recall at k over every
prediction, and per label, counted as fastText's meter counts them (a
document's every prediction against its every gold label)."""
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
    """

    def __init__(self, n_labels):
        self.examples = 0
        self.gold = 0
        self.predicted = 0
        self.predicted_gold = 0
        self.label_gold = np.zeros(n_labels, dtype=np.int64)
        self.label_predicted = np.zeros(n_labels, dtype=np.int64)
        self.label_predicted_gold = np.zeros(n_labels, dtype=np.int64)

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
