"""A thread's private rows: the copies it trains and merges into the shared
matrices, all of them every ``merge_every`` centres and the hottest (the
most frequent words, the Huffman nodes nearest the root) more often. With
one thread a merge changes nothing, so any schedule of merges must train
the same weights as no private rows at all, up to float rounding: a merge
that missed a row, wrote the wrong one or lost a change would not."""
import numpy as np
import pytest

from fastemb import _core
from fastemb.corpus.vocab import build_alias_table, build_huffman, keep_thresholds
from fastemb.training.threads import ShardRunner

from conftest import make_word2vec_trainer

VOCAB, DIM = 300, 12


def _corpus():
    rng = np.random.default_rng(21)
    # Zipf-like ids: the low ids (the private rows) are the frequent ones
    tokens = np.minimum(rng.zipf(1.3, 20_000) - 1, VOCAB - 1).astype(np.int32)
    counts = np.bincount(tokens, minlength=VOCAB).astype(np.int64) + 1
    return tokens, np.arange(40, 20_001, 40, dtype=np.int64), counts


def _train(sg, private):
    tokens, sentence_ends, counts = _corpus()
    rng = np.random.default_rng(3)
    syn0 = rng.uniform(-0.5, 0.5, (VOCAB, DIM)).astype(np.float32) / DIM
    syn1neg = np.zeros((VOCAB, DIM), np.float32)
    syn1 = np.zeros((VOCAB, DIM), np.float32)
    accept, alias = build_alias_table(counts.astype(np.float64) ** 0.75)
    runner = ShardRunner(1)
    codes, points, offsets, lengths = build_huffman(counts)
    trainer = make_word2vec_trainer(
        syn0, tokens, sentence_ends, syn1neg=syn1neg, syn1=syn1,
        keep_threshold=keep_thresholds(counts, 1e-3), ns_accept=accept, ns_alias=alias,
        hs_codes=codes, hs_points=points, hs_offsets=offsets, hs_lengths=lengths, sg=sg, hs=1,
        negative=3, window=3, shrink_windows=1, cbow_mean=1, start_alpha=0.05,
        end_alpha=0.001, progress=runner.counters, stop_flag=runner.stop_flag, **private)
    trainer.run_shard(0, 0, len(tokens), 0, 7, 0)
    return syn0, syn1neg, syn1


@pytest.mark.parametrize("sg", [0, 1])
def test_merges_on_one_thread_train_what_shared_rows_train(sg):
    shared = _train(sg, dict(hot_rows=0))
    schedules = [dict(hot_rows=64, merge_every=50, hottest_rows=16, merge_hottest_every=7),
                 dict(hot_rows=VOCAB, merge_every=10 ** 9, hottest_rows=VOCAB,
                      merge_hottest_every=3),
                 dict(hot_rows=40, merge_every=11, hottest_rows=0, merge_hottest_every=0)]
    for private in schedules:
        for got, want in zip(_train(sg, private), shared):
            scale = np.abs(want).max()
            assert scale > 0.1  # every matrix learned
            # a merge rounds (shared + (local - base) need not be local), and
            # training carries the rounding on; a wrong merge is off by the scale
            np.testing.assert_allclose(got, want, rtol=0, atol=1e-3 * scale)


def test_private_row_settings_must_not_be_negative():
    for bad in (dict(hot_rows=-1), dict(hottest_rows=-2), dict(merge_hottest_every=-1),
                dict(merge_every=-5)):
        with pytest.raises(ValueError, match="must be >= 0"):
            _train(1, bad)


@pytest.mark.parametrize("first, last", [(0, 100), (5, 9), (12, 18), (0, 7), (16, 40), (2, 2)])
def test_a_merge_adds_the_private_change_to_the_rows_it_covers(first, last):
    rng = np.random.default_rng(first * 100 + last)
    shared = rng.normal(size=(20, 5)).astype(np.float32)
    lo = 6  # private rows 6..15
    base = rng.normal(size=(10, 5)).astype(np.float32)
    local = base + rng.normal(size=(10, 5)).astype(np.float32)
    before = shared.copy(), local.copy(), base.copy()
    _core.merge_private_rows(shared, local, base, lo, first, last)
    merged = np.zeros(20, bool)
    merged[max(first, lo):min(last, lo + 10)] = True
    rows = np.flatnonzero(merged)
    want = before[0][rows] + (before[1][rows - lo] - before[2][rows - lo])
    np.testing.assert_allclose(shared[rows], want, rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(local[rows - lo], shared[rows])
    np.testing.assert_array_equal(base[rows - lo], shared[rows])
    np.testing.assert_array_equal(shared[~merged], before[0][~merged])
    untouched = ~merged[lo:lo + 10]
    np.testing.assert_array_equal(local[untouched], before[1][untouched])
    np.testing.assert_array_equal(base[untouched], before[2][untouched])


@pytest.mark.parametrize("sg", [0, 1])
def test_threads_of_other_processes_count_towards_the_private_rows(sg):
    """One thread keeps no private rows, unless ``weight_writers`` says that
    threads of other processes train the same memory (Dask workers of one
    machine): then it keeps those of a thread of two, whose merges round
    differently but train the same weights."""
    alone = _train(sg, {})
    for got, want in zip(_train(sg, dict(weight_writers=3)), alone):
        np.testing.assert_array_equal(got, want)  # more than two writers keep none
    two = _train(sg, dict(weight_writers=2))
    assert any(not np.array_equal(got, want) for got, want in zip(two, alone))
    for got, want in zip(two, alone):
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-3 * np.abs(want).max())
