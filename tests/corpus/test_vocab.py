"""Vocabulary selection, subsampling, Huffman codes and noise sampling."""
import heapq

import numpy as np
import pytest

from fastemb import _core
from fastemb.corpus.vocab import (
    RULE_DEFAULT,
    RULE_DISCARD,
    RULE_KEEP,
    build_alias_table,
    build_huffman,
    keep_probabilities,
    keep_thresholds,
    select_vocabulary,
)
from fastemb.errors import VocabularyError


def test_select_vocabulary_sorts_by_count_and_drops_rare_words():
    words = ["a", "b", "c", "d", None]
    counts = np.array([3, 10, 1, 3, 50])
    mapping, keys, kept = select_vocabulary(words, counts, min_count=2)
    assert keys == ["b", "a", "d"]  # ties keep first-appearance order; pruned id ignored
    assert kept.tolist() == [10, 3, 3]
    assert mapping.tolist() == [1, 0, -1, 2, -1]


def test_max_final_vocab_drops_whole_ties_like_gensim():
    words = list("abcde")
    counts = np.array([9, 7, 5, 5, 1])
    _, keys, _ = select_vocabulary(words, counts, min_count=1, max_final_vocab=3)
    assert keys == ["a", "b"]  # the 3rd and 4th tie at 5: both go


def test_trim_rule_overrides_min_count():
    def rule(word, count, min_count):
        return RULE_KEEP if word == "rare" else RULE_DISCARD if word == "the" else RULE_DEFAULT
    _, keys, _ = select_vocabulary(["the", "rare", "cat"], np.array([100, 1, 10]), 5, None, rule)
    assert keys == ["cat", "rare"]


def test_empty_and_too_rare_corpora_raise_clear_errors():
    with pytest.raises(VocabularyError, match="empty"):
        select_vocabulary([], np.zeros(0, np.int64))
    with pytest.raises(VocabularyError, match="min_count=5"):
        select_vocabulary(["a", "b"], np.array([2, 3]), min_count=5)


def test_keep_probabilities_follow_the_word2vec_formula():
    counts = np.array([1000, 100, 10, 1])
    prob = keep_probabilities(counts, 1e-2)
    t = 1e-2 * counts.sum()
    expected = np.minimum((np.sqrt(counts / t) + 1) * t / counts, 1.0)
    np.testing.assert_allclose(prob, expected)
    assert prob[0] < 0.5 and prob[-1] == 1.0
    assert (keep_probabilities(counts, 0) == 1).all()
    assert keep_thresholds(counts, 0).tolist() == [2**32 - 1] * 4


def test_subsampling_in_the_kernel_keeps_words_at_their_probability():
    counts = np.array([100000, 5000, 10])
    thresholds = keep_thresholds(counts, 1e-3)
    tokens = np.repeat(np.arange(3, dtype=np.int32), 40000)
    kept = _core.subsample(tokens, thresholds, 7)
    rates = np.bincount(kept, minlength=3) / 40000
    np.testing.assert_allclose(rates, keep_probabilities(counts, 1e-3), atol=0.01)


def _huffman_cost(counts):
    heap = list(counts)
    heapq.heapify(heap)
    cost = 0
    while len(heap) > 1:
        merged = heapq.heappop(heap) + heapq.heappop(heap)
        cost += merged
        heapq.heappush(heap, merged)
    return cost


def test_huffman_codes_are_optimal_prefix_free_and_well_formed():
    rng = np.random.default_rng(0)
    counts = np.sort(rng.integers(1, 1000, size=200))[::-1]
    codes, points, offsets, lengths = build_huffman(counts)
    words = [tuple(codes[o:o + n]) for o, n in zip(offsets, lengths)]
    assert len(set(words)) == len(words)
    for a in words:  # no code is a prefix of another
        for b in words:
            assert a == b or a != b[:len(a)]
    assert int((counts * lengths).sum()) == _huffman_cost(counts.tolist())
    # every path starts at the root (the last inner node) and stays in range
    assert all(points[o] == len(counts) - 2 for o in offsets)
    assert points.min() >= 0 and points.max() == len(counts) - 2
    # frequent words get codes no longer than rare ones
    assert lengths[0] <= lengths[-1]


def test_huffman_of_one_word_has_one_decision():
    codes, points, offsets, lengths = build_huffman(np.array([5]))
    assert lengths.tolist() == [1] and points.tolist() == [0]


def test_negative_sampling_matches_the_unigram_power_distribution():
    counts = np.array([500, 200, 100, 50, 10, 1], dtype=np.float64)
    weights = counts ** 0.75
    accept, alias = build_alias_table(weights)
    draws = _core.draw_negatives(accept, alias, 400000, 11)
    observed = np.bincount(draws, minlength=len(counts)) / len(draws)
    expected = weights / weights.sum()
    np.testing.assert_allclose(observed, expected, atol=0.004)
    chi2 = float((((observed - expected) * len(draws)) ** 2 / (expected * len(draws))).sum())
    assert chi2 < 25  # 5 degrees of freedom: p < 1e-4 would need ~25.7


def test_alias_table_rejects_bad_weights():
    with pytest.raises(ValueError):
        build_alias_table(np.array([0.0, 0.0]))
    with pytest.raises(ValueError):
        build_alias_table(np.array([1.0, -1.0]))
