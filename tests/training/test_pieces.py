"""An epoch of the Word2Vec family is cut into pieces the threads take as
they become free: the pieces tile the corpus, shrink towards the end, and
what a piece learns does not depend on the thread that trains it."""
import numpy as np
import pytest

from fastemb.corpus.vocab import build_alias_table
from fastemb.training.epochs import Word2VecEpoch
from fastemb.training.threads import SLOT_STRIDE, ShardRunner, split_pieces

from conftest import make_word2vec_trainer


@pytest.mark.parametrize("n_tokens, n_threads", [(5_400_000, 2), (1_000_003, 3), (50_000, 2)])
def test_pieces_tile_the_corpus_and_shrink(n_tokens, n_threads):
    sentence_ends = np.arange(997, n_tokens, 997, dtype=np.int64)
    sentence_ends = np.append(sentence_ends, n_tokens)
    pieces = split_pieces(sentence_ends, n_tokens, n_threads, smallest=1000)
    starts = [start for start, _, _ in pieces]
    ends = [end for _, end, _ in pieces]
    assert starts[0] == 0 and ends[-1] == n_tokens and starts[1:] == ends[:-1]
    sizes = [end - start for start, end in zip(starts, ends)]
    assert all(a >= b for a, b in zip(sizes[:-2], sizes[1:-1]))  # the last is what is left
    assert sizes[0] == max(n_tokens // (2 * n_threads), 1000)
    assert min(sizes[:-1]) >= 1000
    for start, _, sentence in pieces:  # the sentence that holds each start
        assert (sentence_ends[sentence - 1] if sentence else 0) <= start < sentence_ends[sentence]


def test_one_thread_gets_one_piece():
    assert split_pieces(np.array([10, 20], np.int64), 20, 1) == [(0, 20, 0)]


def _trainer(syn0, syn1neg, tokens, sentence_ends, n_threads):
    vocab = syn0.shape[0]
    accept, alias = build_alias_table(np.ones(vocab))
    keep = np.full(vocab, np.iinfo(np.uint32).max, dtype=np.uint32)
    runner = ShardRunner(n_threads)
    trainer = make_word2vec_trainer(
        syn0, tokens, sentence_ends, syn1neg=syn1neg, keep_threshold=keep, ns_accept=accept,
        ns_alias=alias, negative=3, window=3, shrink_windows=1, start_alpha=0.05,
        end_alpha=0.001, progress=runner.counters, stop_flag=runner.stop_flag,
        shared_negatives=1)
    return trainer, runner


def test_a_piece_learns_the_same_on_any_thread():
    rng = np.random.default_rng(11)
    tokens = rng.integers(0, 40, 30_000).astype(np.int32)
    sentence_ends = np.arange(50, 30_001, 50, dtype=np.int64)
    start0 = rng.uniform(-0.5, 0.5, (40, 12)).astype(np.float32)
    pieces = split_pieces(sentence_ends, len(tokens), 2, smallest=2000)
    assert len(pieces) > 3
    weights = []
    for thread_id in (0, 1):
        syn0, syn1neg = start0.copy(), np.zeros_like(start0)
        trainer, runner = _trainer(syn0, syn1neg, tokens, sentence_ends, 2)
        job = Word2VecEpoch.start(trainer, pieces, seed=5, epoch_id=0)
        job.run(thread_id)  # one thread takes every piece in turn
        assert job.finished
        assert runner.counters[thread_id * SLOT_STRIDE] == len(tokens)
        assert sum(r[1] for r in job.results()) == len(tokens)
        weights.append((syn0, syn1neg))
    np.testing.assert_array_equal(weights[0][0], weights[1][0])
    np.testing.assert_array_equal(weights[0][1], weights[1][1])
    assert not np.array_equal(weights[0][0], start0)


def test_two_threads_share_the_pieces_out():
    rng = np.random.default_rng(12)
    tokens = rng.integers(0, 40, 60_000).astype(np.int32)
    sentence_ends = np.arange(50, 60_001, 50, dtype=np.int64)
    syn0 = rng.uniform(-0.5, 0.5, (40, 12)).astype(np.float32)
    trainer, runner = _trainer(syn0, np.zeros_like(syn0), tokens, sentence_ends, 2)
    job = Word2VecEpoch.start(trainer, split_pieces(sentence_ends, len(tokens), 2, 2000),
                              seed=5, epoch_id=0)
    runner.run(job.run)
    assert job.finished
    assert runner.done() == len(tokens)
    assert np.isfinite(syn0).all()
