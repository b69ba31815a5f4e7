"""Word Mover's Distance (Kusner et al. 2015): the least total distance the
words of one document must travel, in embedding space, to become the words of
the other, each document being its normalised bag of words."""
import logging
from collections import Counter

import numpy as np

__all__ = ["wmdistance"]

logger = logging.getLogger(__name__)


def _transport_cost(supply, demand, cost):
    """Least cost of moving ``supply`` onto ``demand`` (both summing to 1)
    over the ``cost`` matrix: POT's network simplex when it is installed,
    else the same linear programme solved by SciPy's HiGHS."""
    try:
        from ot import emd2
        return float(emd2(supply, demand, cost))
    except ImportError:
        pass
    try:
        from scipy.optimize import linprog
    except ImportError:
        raise ImportError("wmdistance needs POT (pip install pot) or SciPy "
                          "(pip install scipy)") from None
    n, m = cost.shape
    # flow[i, j] >= 0 with row sums = supply and column sums = demand
    rows = np.kron(np.eye(n), np.ones(m))
    cols = np.kron(np.ones(n), np.eye(m))
    result = linprog(cost.ravel(), A_eq=np.vstack([rows, cols]),
                     b_eq=np.concatenate([supply, demand]), bounds=(0, None), method="highs")
    if not result.success:
        raise RuntimeError("Word Mover's Distance: the transport problem failed "
                           f"({result.message})")
    return float(result.fun)


def wmdistance(kv, document1, document2, norm=True):
    """Word Mover's Distance between two documents.

    Parameters
    ----------
    kv : KeyedVectors
    document1, document2 : list of str
        Tokens; unknown ones are dropped.
    norm : bool
        Use unit-length word vectors.

    Returns
    -------
    float
        0 for documents with the same words; ``inf`` when a document has no
        known word (as gensim).
    """
    first = [w for w in document1 if w in kv]
    second = [w for w in document2 if w in kv]
    if len(first) < len(document1) or len(second) < len(document2):
        logger.info("wmdistance dropped %d and %d unknown words",
                    len(document1) - len(first), len(document2) - len(second))
    if not first or not second:
        logger.warning("wmdistance: a document has no known word; the distance is infinite")
        return float("inf")
    bag1, bag2 = Counter(first), Counter(second)
    if bag1.keys() == bag2.keys() and all(bag1[w] * len(second) == bag2[w] * len(first)
                                          for w in bag1):
        return 0.0
    words1, words2 = list(bag1), list(bag2)
    supply = np.array([bag1[w] for w in words1], dtype=np.float64) / len(first)
    demand = np.array([bag2[w] for w in words2], dtype=np.float64) / len(second)
    vectors1 = np.array([kv.get_vector(w, norm=norm) for w in words1], dtype=np.float64)
    vectors2 = np.array([kv.get_vector(w, norm=norm) for w in words2], dtype=np.float64)
    cost = np.sqrt(np.maximum(
        (vectors1 ** 2).sum(1)[:, None] + (vectors2 ** 2).sum(1)[None, :]
        - 2.0 * vectors1 @ vectors2.T, 0.0))
    return _transport_cost(supply, demand, cost)
