"""Pearson and Spearman correlation with two-sided p-values, in numpy alone
(scipy is not a dependency of fastemb)."""
import math
from collections import namedtuple

import numpy as np

__all__ = ["CorrelationResult", "pearson", "spearman", "rankdata"]


class CorrelationResult(namedtuple("CorrelationResult", ["statistic", "pvalue"])):
    """A correlation coefficient and its two-sided p-value; indexable like
    scipy's results (``[0]`` is the coefficient)."""

    __slots__ = ()

    @property
    def correlation(self):
        """Alias of ``statistic`` (scipy's older name)."""
        return self.statistic


def _betacf(a, b, x):
    """Continued fraction of the incomplete beta function (modified Lentz)."""
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 300):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        step = d * c
        h *= step
        if abs(step - 1.0) < 1e-15:
            break
    return h


def _betainc(a, b, x):
    """Regularised incomplete beta function I_x(a, b)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = (math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
                 + a * math.log(x) + b * math.log1p(-x))
    if x < (a + 1.0) / (a + b + 2.0):
        return math.exp(log_front) * _betacf(a, b, x) / a
    return 1.0 - math.exp(log_front) * _betacf(b, a, 1.0 - x) / b


def _pvalue(r, n):
    """Two-sided p-value of correlation ``r`` over ``n`` pairs (t-test)."""
    df = n - 2
    if df <= 0 or math.isnan(r):
        return float("nan")
    if abs(r) >= 1.0:
        return 0.0
    t2 = r * r * df / (1.0 - r * r)
    return _betainc(0.5 * df, 0.5, df / (df + t2))


def rankdata(values):
    """Ranks from 1, ties given their average rank.

    Returns
    -------
    ndarray of float64
    """
    values = np.asarray(values, dtype=np.float64)
    order = np.argsort(values, kind="mergesort")
    ranks = np.empty(len(values), dtype=np.float64)
    sorted_values = values[order]
    # boundaries of runs of equal values
    starts = np.flatnonzero(np.r_[True, sorted_values[1:] != sorted_values[:-1]])
    ends = np.r_[starts[1:], len(values)]
    for start, end in zip(starts, ends):
        ranks[order[start:end]] = 0.5 * (start + end - 1) + 1.0
    return ranks


def pearson(x, y):
    """Pearson correlation of ``x`` and ``y``.

    Returns
    -------
    CorrelationResult
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if len(x) != len(y) or len(x) < 2:
        raise ValueError("pearson needs two sequences of the same length >= 2")
    dx, dy = x - x.mean(), y - y.mean()
    denominator = math.sqrt(float(dx @ dx) * float(dy @ dy))
    r = float(dx @ dy) / denominator if denominator > 0 else float("nan")
    r = max(-1.0, min(1.0, r)) if not math.isnan(r) else r
    return CorrelationResult(r, _pvalue(r, len(x)))


def spearman(x, y):
    """Spearman rank correlation of ``x`` and ``y``.

    Returns
    -------
    CorrelationResult
    """
    return pearson(rankdata(x), rankdata(y))
