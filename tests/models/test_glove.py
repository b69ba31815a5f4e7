"""GloVe: exact co-occurrence counts (in memory and spilled), training, the
GloVe text format, and bad input."""
import collections

import numpy as np
import pytest

from fastemb import GloVe, KeyedVectors
from fastemb.corpus.encode import scan_corpus
from fastemb.errors import VocabularyError
from fastemb.models.cooccurrence import count_cooccurrences

from conftest import category_margin


def reference_counts(sentences, window, symmetric, distance_weighting):
    """The definition, literally: for each word, its left context."""
    counts = collections.defaultdict(float)
    for sentence in sentences:
        for pos, centre in enumerate(sentence):
            for d in range(1, window + 1):
                if pos - d < 0:
                    break
                left = sentence[pos - d]
                weight = 1.0 / d if distance_weighting else 1.0
                counts[left, centre] += weight
                if symmetric:
                    counts[centre, left] += weight
    return counts


def as_dict(matrix):
    return {(int(r), int(c)): float(v) for r, c, v in zip(matrix.rows, matrix.cols, matrix.vals)}


@pytest.fixture(scope="module")
def small_corpus(kjv_sentences):
    scanned = scan_corpus(kjv_sentences[:1500], min_count=1)
    index = {w: i for i, w in enumerate(scanned.keys)}
    sentences = [[index[w] for w in s] for s in kjv_sentences[:1500]]
    return scanned, sentences


@pytest.mark.parametrize("symmetric", [True, False])
@pytest.mark.parametrize("distance_weighting", [True, False])
@pytest.mark.parametrize("workers, max_memory", [(1, 1.0), (2, 1.0), (2, 0.0005)])
def test_counts_match_the_definition(small_corpus, symmetric, distance_weighting, workers,
                                     max_memory):
    scanned, sentences = small_corpus
    matrix = count_cooccurrences(scanned.tokens, scanned.sentence_ends, len(scanned.keys),
                                 window=4, symmetric=symmetric,
                                 distance_weighting=distance_weighting, workers=workers,
                                 max_memory=max_memory)
    expected = reference_counts(sentences, 4, symmetric, distance_weighting)
    got = as_dict(matrix)
    assert got.keys() == expected.keys()
    for key, value in expected.items():
        assert got[key] == pytest.approx(value, rel=1e-6), key
    # sorted COO, no duplicates
    order = matrix.rows.astype(np.int64) * len(scanned.keys) + matrix.cols
    assert (np.diff(order) > 0).all()
    assert matrix.rows.dtype == np.int32 and matrix.vals.dtype == np.float32


def test_spilling_really_happens_and_gives_the_same_matrix(small_corpus, caplog):
    import logging
    scanned, _ = small_corpus
    args = (scanned.tokens, scanned.sentence_ends, len(scanned.keys))
    in_memory = count_cooccurrences(*args, window=10, workers=2, max_memory=1.0)
    with caplog.at_level(logging.INFO, logger="fastemb.models.cooccurrence"):
        spilled = count_cooccurrences(*args, window=10, workers=2, max_memory=0.0005)
    assert "spilled to disk" in caplog.text and "(0 spilled" not in caplog.text
    assert np.array_equal(in_memory.rows, spilled.rows)
    assert np.array_equal(in_memory.cols, spilled.cols)
    np.testing.assert_allclose(in_memory.vals, spilled.vals, rtol=1e-6)


def test_to_scipy_is_symmetric(small_corpus):
    pytest.importorskip("scipy")
    scanned, _ = small_corpus
    matrix = count_cooccurrences(scanned.tokens, scanned.sentence_ends, len(scanned.keys),
                                 window=5, workers=2)
    sparse = matrix.to_scipy()
    assert sparse.shape == (len(scanned.keys),) * 2 and sparse.nnz == matrix.nnz
    assert abs(sparse - sparse.T).max() < 1e-4


def test_glove_lowers_the_cost_and_learns_structure(kjv_sentences):
    model = GloVe(kjv_sentences, vector_size=50, window=10, min_count=3, x_max=10, epochs=25,
                  workers=2, seed=1)
    history = model.cost_history
    assert len(history) == 25 and history[-1] < 0.5 * history[0]
    assert all(b <= a * 1.01 for a, b in zip(history, history[1:]))
    assert category_margin(model.wv) > 0.1
    assert model.wv.vectors.shape == (len(model.wv), 50)
    word_only = GloVe(kjv_sentences[:2000], min_count=3, epochs=2, workers=1, vectors="word")
    np.testing.assert_array_equal(word_only.wv.vectors, word_only._weights["w"])


def test_seed_with_one_worker_reproduces(kjv_sentences):
    a = GloVe(kjv_sentences[:2000], min_count=2, epochs=3, workers=1, seed=7)
    b = GloVe(kjv_sentences[:2000], min_count=2, epochs=3, workers=1, seed=7)
    assert np.array_equal(a.wv.vectors, b.wv.vectors) and a.cost_history == b.cost_history


def test_save_load_and_glove_text_format(tmp_path, kjv_sentences):
    model = GloVe(kjv_sentences[:2000], min_count=2, epochs=2, workers=2, vector_size=20)
    path = str(tmp_path / "glove.model")
    model.save(path)
    back = GloVe.load(path)
    assert np.array_equal(back.wv.vectors, model.wv.vectors)
    assert back.cost_history == model.cost_history and back.x_max == model.x_max
    text = str(tmp_path / "vectors.txt")
    model.wv.save_word2vec_format(text, write_header=False)
    assert np.array_equal(KeyedVectors.load_word2vec_format(text, no_header=True).vectors,
                          model.wv.vectors)
    gensim = pytest.importorskip("gensim")
    theirs = gensim.models.KeyedVectors.load_word2vec_format(text, no_header=True)
    assert list(theirs.index_to_key) == model.wv.index_to_key


@pytest.mark.parametrize("kwargs, message", [
    (dict(x_max=0), "x_max"), (dict(window=0), "window"), (dict(learning_rate=0), "learning_rate"),
    (dict(epochs=0), "epochs"), (dict(vectors="both"), "vectors"),
    (dict(max_memory=0), "max_memory"),
    (dict(workers=0), "workers"), (dict(vector_size=-3), "vector_size"),
])
def test_bad_parameters_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        GloVe(**kwargs)


def test_bad_corpora_and_tiny_memory(kjv_sentences):
    with pytest.raises(VocabularyError, match="empty"):
        GloVe([])
    with pytest.raises(VocabularyError, match="min_count"):
        GloVe([["once", "only"]], min_count=2)
    with pytest.raises(ValueError, match="max_memory=1e-07 GB is too small"):
        GloVe(kjv_sentences[:100], min_count=1, max_memory=1e-7)
    with pytest.raises(ValueError, match="co-occurrence matrix is empty"):
        GloVe([["lonely"], ["lonely"]], min_count=1)


def test_entries_grouped_by_block_for_training_in_strata(kjv_sentences):
    """Deterministic GloVe trains blocks that share no rows: each block holds
    exactly the entries of its row and column strata, every entry once."""
    from fastemb._glove import group_by_block
    scanned = scan_corpus(kjv_sentences[:2000], None, 2, None, None, None)
    matrix = count_cooccurrences(scanned.tokens, scanned.sentence_ends, len(scanned.keys),
                                 window=5, workers=1)
    strata = 7
    order, starts = group_by_block(matrix.rows, matrix.cols, strata)
    assert np.array_equal(np.sort(order), np.arange(matrix.nnz))
    assert starts[0] == 0 and starts[-1] == matrix.nnz and np.all(np.diff(starts) >= 0)
    for block in range(strata * strata):
        entries = order[starts[block]:starts[block + 1]]
        assert np.all(matrix.rows[entries] % strata == block // strata)
        assert np.all(matrix.cols[entries] % strata == block % strata)
        assert np.all(np.diff(entries) > 0)
    with pytest.raises(ValueError, match="strata"):
        group_by_block(matrix.rows, matrix.cols, 0)
