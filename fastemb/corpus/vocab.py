"""Vocabulary selection and the tables training derives from word counts:
subsampling thresholds, the negative-sampling alias table and the Huffman
tree of hierarchical softmax."""
import heapq
import math

import numpy as np

from fastemb.errors import VocabularyError
from fastemb.trim_rules import RULE_DEFAULT, RULE_DISCARD, RULE_KEEP, keep_word  # noqa: F401

__all__ = ["RULE_DEFAULT", "RULE_DISCARD", "RULE_KEEP", "effective_min_count", "keep_word",
           "select_vocabulary",
           "keep_thresholds", "keep_probabilities", "build_alias_table", "build_huffman"]


_UINT32_MAX = np.iinfo(np.uint32).max


def effective_min_count(counts, min_count, max_final_vocab=None):
    """``min_count`` raised until at most ``max_final_vocab`` words reach it
    (gensim's rule: words tied at the cut all go).

    Parameters
    ----------
    counts : ndarray of int64
        Counts of the candidate words.
    min_count : int
    max_final_vocab : int, optional

    Returns
    -------
    int
    """
    if max_final_vocab is None or max_final_vocab >= len(counts):
        return min_count
    cut = int(np.sort(counts)[::-1][max_final_vocab])
    return max(min_count, cut + 1)


def select_vocabulary(words, counts, min_count=5, max_final_vocab=None, trim_rule=None,
                      sorted_vocab=True):
    """Choose the vocabulary and give it ids, most frequent first.

    Parameters
    ----------
    words : list of str or None
        Word of each provisional id (None for pruned ids).
    counts : ndarray of int64
        Count of each provisional id.
    min_count : int
        Drop words seen fewer times.
    max_final_vocab : int, optional
        Raise the effective ``min_count`` until at most this many words stay
        (gensim's rule: ties at the cut are all dropped).
    trim_rule : callable, optional
        ``(word, count, min_count) -> RULE_DISCARD | RULE_KEEP | RULE_DEFAULT``.
    sorted_vocab : bool
        Order ids by descending count (ties by first appearance).

    Returns
    -------
    mapping : ndarray of int32
        Final id of each provisional id, -1 if dropped.
    index_to_key : list of str
    final_counts : ndarray of int64

    Raises
    ------
    VocabularyError
        If the corpus is empty or no word survives.
    """
    counts = np.asarray(counts, dtype=np.int64)
    live = np.array([w is not None for w in words], dtype=bool) if len(words) else np.zeros(0, bool)
    if not live.any() or counts[live].sum() == 0:
        raise VocabularyError("the corpus is empty: it contains no words")
    effective_min = effective_min_count(counts[live], min_count, max_final_vocab)
    keep = live & (counts >= effective_min)
    if trim_rule is not None:
        for idx in np.flatnonzero(live):
            keep[idx] = keep_word(words[idx], int(counts[idx]), effective_min, trim_rule)
    kept = np.flatnonzero(keep)
    if len(kept) == 0:
        raise VocabularyError(
            f"no word occurs at least min_count={effective_min} times "
            f"(the most frequent occurs {int(counts[live].max())} times); lower min_count")
    if sorted_vocab:
        kept = kept[np.argsort(-counts[kept], kind="stable")]
    mapping = np.full(len(words), -1, dtype=np.int32)
    mapping[kept] = np.arange(len(kept), dtype=np.int32)
    return mapping, [words[i] for i in kept], counts[kept].copy()


def keep_probabilities(counts, sample):
    """Probability of keeping each word under frequent-word subsampling.

    Uses the word2vec/gensim formula: with ``t = sample * total`` (or
    ``sample`` itself when it is >= 1, as an absolute count), a word seen
    ``c`` times is kept with probability ``(sqrt(c / t) + 1) * t / c``,
    capped at 1.

    Parameters
    ----------
    counts : ndarray of int64
    sample : float
        0 disables subsampling.

    Returns
    -------
    ndarray of float64
    """
    counts = np.asarray(counts, dtype=np.float64)
    if sample < 0:
        raise ValueError(f"sample must be >= 0, got {sample}")
    if sample == 0 or len(counts) == 0:
        return np.ones(len(counts))
    threshold = sample * counts.sum() if sample < 1.0 else sample * (3 + math.sqrt(5)) / 2
    with np.errstate(divide="ignore"):
        prob = (np.sqrt(counts / threshold) + 1) * threshold / counts
    return np.minimum(prob, 1.0)


def keep_thresholds(counts, sample):
    """Subsampling thresholds for the kernels: a word is kept when 32 random
    bits are ``<=`` its threshold (``2**32 - 1`` keeps it always).

    Returns
    -------
    ndarray of uint32
    """
    prob = keep_probabilities(counts, sample)
    return np.floor(prob * float(_UINT32_MAX)).astype(np.uint32)


def build_alias_table(weights):
    """Vose's alias table for drawing index ``i`` with probability
    proportional to ``weights[i]`` in O(1).

    Parameters
    ----------
    weights : ndarray of float
        Non-negative, not all zero.

    Returns
    -------
    accept : ndarray of uint32
        Probability (scaled to ``2**32 - 1``) of keeping a bucket.
    alias : ndarray of int32
        The index a bucket jumps to otherwise.
    """
    weights = np.asarray(weights, dtype=np.float64)
    n = len(weights)
    if n == 0 or weights.sum() <= 0 or (weights < 0).any():
        raise ValueError("alias table needs non-negative weights with a positive sum")
    scaled = weights * (n / weights.sum())
    accept = np.ones(n, dtype=np.float64)
    alias = np.arange(n, dtype=np.int32)
    small = [i for i in range(n) if scaled[i] < 1.0]
    large = [i for i in range(n) if scaled[i] >= 1.0]
    while small and large:
        s = small.pop()
        g = large[-1]
        accept[s] = scaled[s]
        alias[s] = g
        scaled[g] -= 1.0 - scaled[s]
        if scaled[g] < 1.0:
            large.pop()
            small.append(g)
    # whatever remains is 1 up to rounding
    return np.floor(accept * float(_UINT32_MAX)).astype(np.uint32), alias


def build_huffman(counts):
    """Huffman tree over the words, for hierarchical softmax.

    Inner nodes are numbered ``0 .. n-2`` (the root is ``n-2``); they index
    the rows of ``syn1``. A word's code and points run from the root down.

    Parameters
    ----------
    counts : ndarray of int64

    Returns
    -------
    codes : ndarray of uint8
        All words' codes back to back (0 = first child, 1 = second).
    points : ndarray of int32
        All words' inner-node indices back to back.
    offsets : ndarray of int64
        Start of each word's code in ``codes``/``points``.
    lengths : ndarray of int32
        Code length of each word.
    """
    n = len(counts)
    if n == 0:
        raise ValueError("Huffman tree needs at least one word")
    if n == 1:
        # a single word still needs one decision to learn from
        return (np.zeros(1, np.uint8), np.zeros(1, np.int32),
                np.zeros(1, np.int64), np.ones(1, np.int32))
    heap = [(int(c), i) for i, c in enumerate(counts)]
    heapq.heapify(heap)
    parent = np.zeros(2 * n - 1, dtype=np.int64)
    branch = np.zeros(2 * n - 1, dtype=np.uint8)
    for inner in range(n, 2 * n - 1):
        count1, node1 = heapq.heappop(heap)
        count2, node2 = heapq.heappop(heap)
        parent[node1] = inner
        parent[node2] = inner
        branch[node2] = 1
        heapq.heappush(heap, (count1 + count2, inner))
    root = 2 * n - 2
    # walk all leaves up to the root at once, one level per step
    up_codes, up_points = [], []
    node = np.arange(n)
    lengths = np.zeros(n, dtype=np.int32)
    while True:
        active = node != root
        if not active.any():
            break
        up_codes.append(np.where(active, branch[node], 0))
        up_points.append(np.where(active, parent[node] - n, 0))
        lengths += active
        node = np.where(active, parent[node], root)
    depth = len(up_codes)
    code_matrix = np.stack(up_codes, axis=1).astype(np.uint8)   # leaf first
    point_matrix = np.stack(up_points, axis=1).astype(np.int32)
    # reverse each row's used prefix so that codes run root first
    column = lengths[:, None] - 1 - np.arange(depth)[None, :]
    valid = column >= 0
    rows = np.broadcast_to(np.arange(n)[:, None], column.shape)
    codes = code_matrix[rows[valid], column[valid]]
    points = point_matrix[rows[valid], column[valid]]
    offsets = np.zeros(n, dtype=np.int64)
    np.cumsum(lengths[:-1], out=offsets[1:])
    return codes, points, offsets, lengths


#: Bytes a distinct word costs while the vocabulary is counted: its dict
#: entry and string, its slot in the word list and its count (measured about
#: 130 for English words; the rest is headroom for longer words).
BYTES_PER_COUNTED_WORD = 200


def counting_limit(max_vocab_size, max_memory):
    """How many distinct words vocabulary counting may hold before it prunes
    the rarest (gensim's ``max_vocab_size`` rule).

    Parameters
    ----------
    max_vocab_size : int or None
    max_memory : float or None
        GiB the counting may use.

    Returns
    -------
    int or None
        The smaller of the two limits; None when neither is set.
    """
    limits = [max_vocab_size] if max_vocab_size is not None else []
    if max_memory is not None:
        limits.append(max(1, int(float(max_memory) * (1 << 30) / BYTES_PER_COUNTED_WORD)))
    return min(limits) if limits else None

