"""Skip-gram a window at a time: negatives shared by the window (Ji et al.
2016) and the centre's Huffman path batched over blocks of its context words. The kernel applies
exactly the batched rules (checked against numpy on cases whose noise words
and paths are known), word2vec's per-pair rules stay available, and both
learn the same structure from real text."""
import numpy as np
import pytest

from fastemb import Word2Vec
from fastemb.corpus.vocab import build_alias_table

from conftest import make_word2vec_trainer

TABLE_SIZE = 1024
MAX_EXP = 6.0


def _table_sigmoid(f):
    """The kernel's sigmoid: the centre of the table bin ``f`` falls in."""
    if not -MAX_EXP < f < MAX_EXP:
        return 1.0 if f > 0 else 0.0
    scale = TABLE_SIZE / (2 * MAX_EXP)
    x = (int((f + MAX_EXP) * scale) + 0.5) / scale - MAX_EXP
    return 1.0 / (1.0 + np.exp(-x))


def _reference(syn0, syn1, sentence, window, noise_word, negative, alpha, shared):
    """Skip-gram NS in numpy with every noise draw equal to ``noise_word``.

    ``shared``: each window's output rows are read as they were at its
    start and their summed gradients added at its end; otherwise every
    (context, centre) pair reads them as they were at the pair's start and
    updates them at once (word2vec's rule, a noise word drawn twice in one
    pair getting both updates from its old row).
    """
    syn0, syn1 = syn0.astype(np.float64), syn1.astype(np.float64)
    for i, centre in enumerate(sentence):
        outputs = [centre] + ([noise_word] * negative if noise_word != centre else [])
        before = syn1[outputs].copy()
        gradients = np.zeros_like(before)
        for j in range(max(0, i - window), min(len(sentence), i + window + 1)):
            if j == i:
                continue
            l1 = syn0[sentence[j]].copy()
            rows = before if shared else syn1[outputs].copy()
            hidden_gradient = np.zeros_like(l1)
            for o, word in enumerate(outputs):
                row = rows[o]
                g = ((o == 0) - _table_sigmoid(l1 @ row)) * alpha
                hidden_gradient += g * row
                if shared:
                    gradients[o] += g * l1
                else:
                    syn1[word] += g * l1
            syn0[sentence[j]] += hidden_gradient
        if shared:
            for o, word in enumerate(outputs):
                syn1[word] += gradients[o]
    return syn0, syn1


def _run_kernel(syn0, syn1, sentence, window, noise_word, negative, alpha, shared):
    vocab = syn0.shape[0]
    weights = np.zeros(vocab)
    weights[noise_word] = 1.0
    accept, alias = build_alias_table(weights)
    keep = np.full(vocab, np.iinfo(np.uint32).max, dtype=np.uint32)
    trainer = make_word2vec_trainer(
        syn0, sentence, syn1neg=syn1, keep_threshold=keep, ns_accept=accept, ns_alias=alias,
        negative=negative, window=window, start_alpha=alpha, end_alpha=alpha,
        shared_negatives=int(shared))
    trainer.run_shard(0, 0, len(sentence), 0, 1, 0)


def _check_kernel_rule(run_kernel, reference, syn0, syn1, args, batched):
    """The kernel changes ``syn0`` and ``syn1`` as ``reference`` does with
    the same rule, and the other rule would have given something else."""
    expected0, expected1 = reference(syn0, syn1, *args, batched)
    other0, other1 = reference(syn0, syn1, *args, not batched)
    run_kernel(syn0, syn1, *args, batched)
    np.testing.assert_allclose(syn0, expected0, atol=2e-5)
    np.testing.assert_allclose(syn1, expected1, atol=2e-5)
    # the two rules differ by more than that on this case
    assert max(np.abs(other0 - expected0).max(), np.abs(other1 - expected1).max()) > 1e-3


@pytest.mark.parametrize("shared", [True, False])
def test_the_kernel_applies_its_update_rule_exactly(shared):
    rng = np.random.default_rng(3)
    syn0 = rng.uniform(-0.5, 0.5, (4, 16)).astype(np.float32)
    syn1 = rng.uniform(-0.5, 0.5, (4, 16)).astype(np.float32)
    # word 1 twice around 0, the noise word 3 as a centre too (it gets no negatives)
    sentence = [1, 0, 1, 3, 0, 2, 1]
    _check_kernel_rule(_run_kernel, _reference, syn0, syn1, (sentence, 2, 3, 3, 0.2), shared)


#: A four-word Huffman tree: words 0 and 1 under inner node 0, words 2 and 3
#: under node 1, both under the root (node 2).
PATHS = {0: ([2, 0], [0, 0]), 1: ([2, 0], [0, 1]), 2: ([2, 1], [1, 0]), 3: ([2, 1], [1, 1])}


def _reference_hs(syn0, syn1, sentence, window, alpha, batched):
    """Skip-gram hierarchical softmax in numpy over the tree of ``PATHS``.

    ``batched``: the context words of a window go in blocks of four, in
    order; a block's context rows and the centre's path nodes are read as
    they were at the block's start, the nodes take the block's summed change
    at its end, and every context row its own change at the window's end.
    Otherwise word2vec's rule: each (context, centre) pair reads the rows as
    they are and updates the nodes, then the context row, at once.
    """
    syn0, syn1 = syn0.astype(np.float64), syn1.astype(np.float64)
    for i, centre in enumerate(sentence):
        points, codes = PATHS[centre]
        contexts = [j for j in range(max(0, i - window), min(len(sentence), i + window + 1))
                    if j != i]
        blocks = ([contexts[b:b + 4] for b in range(0, len(contexts), 4)] if batched
                  else [[j] for j in contexts])
        context_changes = []
        for block in blocks:
            nodes = syn1[points].copy()
            node_change = np.zeros_like(nodes)
            for j in block:
                l1 = syn0[sentence[j]].copy()
                hidden_gradient = np.zeros_like(l1)
                for k, code in enumerate(codes):
                    g = (1 - code - _table_sigmoid(l1 @ nodes[k])) * alpha
                    hidden_gradient += g * nodes[k]
                    node_change[k] += g * l1
                context_changes.append((sentence[j], hidden_gradient))
                if not batched:
                    syn0[sentence[j]] += hidden_gradient
            syn1[points] += node_change
        if batched:
            for word, change in context_changes:
                syn0[word] += change
    return syn0, syn1


def _run_hs_kernel(syn0, syn1, sentence, window, alpha, batched):
    vocab, dim = syn0.shape
    codes = np.concatenate([PATHS[w][1] for w in range(vocab)]).astype(np.uint8)
    points = np.concatenate([PATHS[w][0] for w in range(vocab)]).astype(np.int32)
    lengths = np.array([len(PATHS[w][0]) for w in range(vocab)], np.int32)
    offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
    keep = np.full(vocab, np.iinfo(np.uint32).max, dtype=np.uint32)
    trainer = make_word2vec_trainer(
        syn0, sentence, syn1=syn1, keep_threshold=keep, hs_codes=codes, hs_points=points,
        hs_offsets=offsets, hs_lengths=lengths, hs=1, negative=0, window=window,
        start_alpha=alpha, end_alpha=alpha, shared_negatives=int(batched))
    trainer.run_shard(0, 0, len(sentence), 0, 1, 0)


@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("dim", [16, 37])
def test_the_kernel_applies_its_huffman_path_rule_exactly(batched, dim):
    rng = np.random.default_rng(5)
    syn0 = rng.uniform(-0.5, 0.5, (4, dim)).astype(np.float32)
    syn1 = rng.uniform(-0.5, 0.5, (4, dim)).astype(np.float32)
    # windows of 2 to 6 context words (one block of four or fewer, or two),
    # word 1 twice in some of them, every word a centre
    sentence = [1, 0, 1, 3, 0, 2, 1, 2, 3]
    _check_kernel_rule(_run_hs_kernel, _reference_hs, syn0, syn1, (sentence, 3, 0.3), batched)


@pytest.mark.parametrize("loss", ["negative", "hs"])
def test_window_batched_and_per_pair_learn_the_same_structure(kjv_sentences, loss):
    scores = {}
    outputs = dict(negative=5, hs=0) if loss == "negative" else dict(negative=0, hs=1)
    for shared in (True, False):
        model = Word2Vec(kjv_sentences, vector_size=48, min_count=3, sg=1, epochs=3,
                         workers=1, seed=7, shared_negatives=shared, **outputs)
        wv = model.wv
        scores[shared] = (wv.similarity("gold", "silver"), wv.similarity("father", "mother"),
                          wv.similarity("gold", "mother"))
    for shared, (metals, parents, unrelated) in scores.items():
        assert metals > unrelated + 0.2 and parents > unrelated + 0.2, (shared, scores)
    assert scores[True] != scores[False]  # the flag reaches the kernel


def test_shared_negatives_is_the_default_and_is_saved(tmp_path, kjv_sentences):
    model = Word2Vec(kjv_sentences[:2000], vector_size=16, min_count=2, sg=1, epochs=1,
                     workers=1, seed=2)
    assert model.shared_negatives is True
    again = Word2Vec(kjv_sentences[:2000], vector_size=16, min_count=2, sg=1, epochs=1,
                     workers=1, seed=2)
    np.testing.assert_array_equal(model.wv.vectors, again.wv.vectors)  # seeded, one worker
    per_pair = Word2Vec(vector_size=16, min_count=2, sg=1, epochs=1, workers=1, seed=2,
                        shared_negatives=False)
    per_pair.build_vocab(kjv_sentences[:2000])
    per_pair.train(kjv_sentences[:2000], total_examples=per_pair.corpus_count, epochs=1)
    per_pair.save(str(tmp_path / "pairs.model"))
    assert Word2Vec.load(str(tmp_path / "pairs.model")).shared_negatives is False
