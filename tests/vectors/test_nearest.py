"""Nearest neighbours at scale: batched most_similar gives exactly the
answers of one-by-one most_similar; the HNSW index finds nearly all of the
exact top 10."""
import numpy as np
import pytest

from fastemb import KeyedVectors, Word2Vec
from fastemb.errors import FormatError, UnknownKeyError


@pytest.fixture(scope="module")
def kjv_vectors(kjv_sentences):
    return Word2Vec(kjv_sentences, vector_size=32, min_count=3, epochs=2, workers=1,
                    seed=5).wv


def test_batched_most_similar_equals_one_query_at_a_time(kjv_vectors):
    words = kjv_vectors.index_to_key[:300:7]
    batched = kjv_vectors.most_similar_batch(words, topn=10)
    for word, answer in zip(words, batched):
        single = kjv_vectors.most_similar(word, topn=10)
        assert [k for k, _ in answer] == [k for k, _ in single]
        np.testing.assert_allclose([s for _, s in answer], [s for _, s in single], rtol=1e-5)
        assert word not in [k for k, _ in answer]
    vectors = kjv_vectors[words[:5]]
    by_vector = kjv_vectors.most_similar_batch(vectors, topn=3, restrict_vocab=1000)
    assert [a[0][0] for a in by_vector] == words[:5]  # a vector query keeps its own key
    with pytest.raises(UnknownKeyError):
        kjv_vectors.most_similar_batch(["lord", "xyzzy"])


def test_hnsw_recall_at_10_against_exact_search(tmp_path):
    pytest.importorskip("hnswlib")
    from fastemb.vectors.ann import HnswIndex, recall_at
    rng = np.random.default_rng(0)
    # clustered random vectors: a realistic neighbourhood structure
    centres = rng.normal(size=(200, 48))
    vectors = (centres[rng.integers(0, 200, 20000)] + 0.6 * rng.normal(size=(20000, 48)))
    kv = KeyedVectors.from_arrays([f"w{i}" for i in range(20000)], vectors.astype(np.float32))
    index = HnswIndex(kv, m=16, ef_construction=100, ef=64, threads=1, seed=1)
    words = kv.index_to_key[:500]
    exact = kv.most_similar_batch(words, topn=10)
    approximate = kv.most_similar_batch(words, topn=10, indexer=index)
    assert all(word not in [k for k, _ in a] for word, a in zip(words, approximate))
    assert recall_at(approximate, exact) > 0.95
    one = kv.most_similar(kv["w3"], topn=5, indexer=index)
    assert one[0][0] == "w3" and one[0][1] == pytest.approx(1.0, abs=1e-5)
    # gensim's indexer files: the graph, and its labels beside it
    path = str(tmp_path / "kv.hnsw")
    index.save(path)
    loaded = HnswIndex(threads=1)
    loaded.load(path)
    assert loaded.labels == kv.index_to_key and loaded.ef == 64
    assert kv.most_similar_batch(words[:50], topn=10, indexer=loaded) == approximate[:50]
    with pytest.raises(FormatError, match="missing"):
        HnswIndex().load(str(tmp_path / "absent.hnsw"))
    with pytest.raises(RuntimeError, match="holds no index"):
        HnswIndex().most_similar(kv["w3"], 3)


def test_batched_search_over_many_keys_keeps_the_exact_answers():
    # many tiles of 1,024 keys: the run-maxima shortcut is taken
    rng = np.random.default_rng(4)
    kv = KeyedVectors.from_arrays([f"k{i}" for i in range(30000)],
                                  rng.normal(size=(30000, 16)).astype(np.float32))
    words = kv.index_to_key[::600]
    for word, answer in zip(words, kv.most_similar_batch(words, topn=25)):
        single = kv.most_similar(word, topn=25)
        assert [k for k, _ in answer] == [k for k, _ in single]
        np.testing.assert_allclose([s for _, s in answer], [s for _, s in single], rtol=1e-5)
    restricted = kv.most_similar_batch(words[:3], topn=5, restrict_vocab=20000)
    assert all(int(k[1:]) < 20000 for answer in restricted for k, _ in answer)


@pytest.mark.parametrize("workers", [1, 3])
def test_exact_search_across_tiles_and_query_blocks_equals_a_full_sort(workers):
    from fastemb.vectors.search import KEY_TILE, QUERY_BLOCK, exact_top_k
    rng = np.random.default_rng(11)
    n = 2 * KEY_TILE + 37                    # a narrow last tile, not a multiple of 16
    keys = rng.normal(size=(n, 8)).astype(np.float32)
    keys[5] = keys[KEY_TILE + 3]             # a tie across tiles: the lower index first
    queries = rng.normal(size=(QUERY_BLOCK + 50, 8)).astype(np.float32)
    scale = rng.uniform(0.5, 2.0, n).astype(np.float32)
    skip = rng.integers(-1, n, len(queries))
    indices, values = exact_top_k(queries, keys, scale, 12, skip, workers=workers)
    scores = (queries @ keys.T) * scale
    skipping = skip >= 0                     # -1 skips nothing
    scores[np.flatnonzero(skipping), skip[skipping]] = -np.inf
    expected = np.argsort(-scores, axis=1, kind="stable")[:, :12]
    np.testing.assert_array_equal(indices, expected)
    np.testing.assert_allclose(values, np.take_along_axis(scores, expected, 1), rtol=1e-5)


def _top_k_rows(scores, scale, k, skip):
    from fastemb._search import fold_tile, start_top_k
    indices, values = start_top_k(len(scores), k)
    fold_tile(scores, scale, 0, skip, values, indices)
    return indices, values


def test_top_k_rows_orders_ties_by_index_and_pads_short_rows():
    scores = np.array([[1.0, 3.0, 3.0, 2.0], [5.0, 4.0, 4.0, 4.0]], dtype=np.float32)
    indices, values = _top_k_rows(scores, np.ones(4, np.float32), 3, np.array([-1, 0]))
    assert indices.tolist() == [[1, 2, 3], [1, 2, 3]]
    assert values.tolist() == [[3.0, 3.0, 2.0], [4.0, 4.0, 4.0]]
    narrow = np.ascontiguousarray(scores[:, :2])
    indices, _ = _top_k_rows(narrow, np.ones(2, np.float32), 3, np.array([-1, 1]))
    assert indices.tolist() == [[1, 0, -1], [0, -1, -1]]


def test_exact_search_refuses_bad_parameters():
    from fastemb.vectors.search import exact_top_k
    keys = np.eye(4, dtype=np.float32)
    with pytest.raises(ValueError, match="workers"):
        exact_top_k(keys, keys, np.ones(4, np.float32), 2, np.full(4, -1), workers=0)
    with pytest.raises(ValueError, match="k must be"):
        exact_top_k(keys, keys, np.ones(4, np.float32), 0, np.full(4, -1))
    with pytest.raises(ValueError, match="one entry a column"):
        _top_k_rows(keys, np.ones(3, np.float32), 2, np.full(4, -1))
