"""pytest-benchmark microbenchmarks of the training kernels.

Run with ``pytest bench/micro/test_kernels.py`` (not part of the unit tests). Each
benchmark trains one epoch of a fixed synthetic Zipf corpus (200k tokens,
10k words) on one thread, so kernel changes can be compared in isolation
from corpus reading and thread scheduling.
"""
import numpy as np
import pytest

from fastemb import _core
from fastemb.corpus.vocab import build_alias_table, build_huffman, keep_thresholds

N_TOKENS = 200_000
VOCAB = 10_000
DIM = 100


@pytest.fixture(scope="module")
def corpus():
    rng = np.random.default_rng(0)
    ranks = np.arange(1, VOCAB + 1)
    probs = 1.0 / ranks
    tokens = rng.choice(VOCAB, size=N_TOKENS, p=probs / probs.sum()).astype(np.int32)
    ends = np.arange(1000, N_TOKENS + 1, 1000, dtype=np.int64)
    counts = np.bincount(tokens, minlength=VOCAB).astype(np.int64) + 1
    return tokens, ends, counts


def _trainer(corpus, sg, hs, negative):
    tokens, ends, counts = corpus
    rng = np.random.default_rng(1)
    syn0 = ((rng.random((VOCAB, DIM), dtype=np.float32) - 0.5) / DIM)
    syn1neg = np.zeros((VOCAB if negative else 0, DIM), np.float32)
    syn1 = np.zeros((VOCAB if hs else 0, DIM), np.float32)
    accept, alias = build_alias_table(counts ** 0.75)
    huffman = build_huffman(counts) if hs else (np.zeros(0, np.uint8), np.zeros(0, np.int32),
                                                np.zeros(0, np.int64), np.zeros(0, np.int32))
    codes, points, offsets, lengths = huffman
    return _core.Word2VecTrainer(
        syn0=syn0, syn1neg=syn1neg, syn1=syn1, tokens=tokens, sentence_ends=ends,
        keep_threshold=keep_thresholds(counts, 1e-3), ns_accept=accept, ns_alias=alias,
        hs_codes=codes, hs_points=points, hs_offsets=offsets, hs_lengths=lengths, sg=sg, hs=hs,
        negative=negative, window=5, shrink_windows=1, cbow_mean=1, start_alpha=0.025,
        end_alpha=0.0001, total_words=N_TOKENS * 1000,
        progress=np.zeros(_core.SLOT_STRIDE, np.int64), stop_flag=np.zeros(2, np.intc))


@pytest.mark.parametrize("mode", ["sg-ns", "cbow-ns", "sg-hs", "cbow-hs"])
def test_kernel_epoch(benchmark, corpus, mode):
    sg = int(mode.startswith("sg"))
    hs = int(mode.endswith("hs"))
    trainer = _trainer(corpus, sg, hs, 0 if hs else 5)
    loss, raw, trained, predictions = benchmark(trainer.run_shard, 0, 0, N_TOKENS, 0, 1, 0)
    assert raw == N_TOKENS and 0 < trained <= raw and loss > 0
    benchmark.extra_info["words_per_s"] = N_TOKENS / benchmark.stats.stats.mean
