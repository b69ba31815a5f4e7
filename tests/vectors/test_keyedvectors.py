"""KeyedVectors queries and evaluations, checked against brute force and
against gensim's answers on the very same vectors."""
import numpy as np
import pytest

from fastemb import KeyedVectors, datapath
from fastemb.errors import UnknownKeyError
from fastemb.vectors.stats import pearson, spearman


@pytest.fixture(scope="module")
def both(trained_sg):
    """Our trained vectors and the same vectors inside gensim."""
    gensim = pytest.importorskip("gensim")
    peer = gensim.models.KeyedVectors(trained_sg.vector_size)
    peer.add_vectors(trained_sg.wv.index_to_key, trained_sg.wv.vectors)
    return trained_sg.wv, peer


def test_lookup_contains_and_lists(trained_sg):
    wv = trained_sg.wv
    assert "god" in wv and "qwerty" not in wv
    assert wv["god"].shape == (50,)
    assert wv[["god", "lord"]].shape == (2, 50)
    np.testing.assert_allclose(np.linalg.norm(wv.get_vector("god", norm=True)), 1.0, rtol=1e-5)
    assert wv.get_vecattr("the", "count") > wv.get_vecattr("god", "count")
    with pytest.raises(KeyError, match="'qwerty' not present"):
        wv["qwerty"]
    with pytest.raises(UnknownKeyError):
        wv.most_similar("qwerty")


def test_most_similar_matches_brute_force_and_gensim(both):
    ours, peer = both
    query = ["king", "woman"], ["man"]
    got = ours.most_similar(positive=query[0], negative=query[1], topn=5)
    want = peer.most_similar(positive=query[0], negative=query[1], topn=5)
    assert [w for w, _ in got] == [w for w, _ in want]
    np.testing.assert_allclose([s for _, s in got], [s for _, s in want], rtol=1e-4)
    normed = ours.vectors / np.linalg.norm(ours.vectors, axis=1, keepdims=True)
    scores = normed @ normed[ours.get_index("god")]
    order = [ours.index_to_key[i] for i in np.argsort(-scores) if ours.index_to_key[i] != "god"]
    assert [w for w, _ in ours.most_similar("god", topn=10)] == order[:10]
    restricted = ours.most_similar("god", topn=5, restrict_vocab=200)
    assert all(ours.get_index(w) < 200 for w, _ in restricted)
    assert len(ours.most_similar("god", topn=None)) == len(ours)


def test_cosmul_doesnt_match_and_similarities_match_gensim(both):
    ours, peer = both
    got = ours.most_similar_cosmul(positive=["king", "woman"], negative=["man"], topn=5)
    want = peer.most_similar_cosmul(positive=["king", "woman"], negative=["man"], topn=5)
    assert [w for w, _ in got] == [w for w, _ in want]
    words = ["father", "mother", "son", "gold"]
    assert ours.doesnt_match(words) == peer.doesnt_match(words)
    assert ours.similarity("god", "lord") == pytest.approx(peer.similarity("god", "lord"), rel=1e-5)
    assert ours.n_similarity(["god", "lord"], ["king"]) == pytest.approx(
        peer.n_similarity(["god", "lord"], ["king"]), rel=1e-5)
    assert ours.rank("god", "lord") == peer.rank("god", "lord")


def test_evaluate_word_pairs_matches_gensim(both):
    ours, peer = both
    got = ours.evaluate_word_pairs(datapath("wordsim353.tsv"))
    want = peer.evaluate_word_pairs(datapath("wordsim353.tsv"))
    assert got[0][0] == pytest.approx(want[0][0], abs=1e-6)
    assert got[1][0] == pytest.approx(want[1][0], abs=1e-6)
    assert got[1].pvalue == pytest.approx(want[1][1], rel=1e-4)
    assert got[2] == pytest.approx(want[2])


def test_evaluate_word_analogies_matches_gensim(both, tmp_path):
    ours, peer = both
    import gzip
    path = tmp_path / "questions-words.txt"
    path.write_bytes(gzip.open(datapath("questions-words.txt.gz")).read())
    score, sections = ours.evaluate_word_analogies(str(path), restrict_vocab=3000)
    want_score, want_sections = peer.evaluate_word_analogies(str(path), restrict_vocab=3000)
    assert score == pytest.approx(want_score)
    assert [s["section"] for s in sections] == [s["section"] for s in want_sections]
    for a, b in zip(sections, want_sections):
        assert len(a["correct"]) == len(b["correct"]), a["section"]
        assert len(a["incorrect"]) == len(b["incorrect"]), a["section"]


def test_correlations_and_p_values_match_scipy():
    stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(1)
    x = rng.normal(size=60)
    y = 0.3 * x + rng.normal(size=60)
    y[:10] = np.round(y[:10])  # some ties
    for ours, theirs in ((pearson(x, y), stats.pearsonr(x, y)),
                         (spearman(x, y), stats.spearmanr(x, y))):
        assert ours.statistic == pytest.approx(theirs[0], abs=1e-12)
        assert ours.pvalue == pytest.approx(theirs[1], rel=1e-6)


def test_add_vectors_and_dimension_checks():
    kv = KeyedVectors(3)
    kv.add_vectors(["a", "b"], np.eye(3, dtype=np.float32)[:2])
    assert kv.similarity("a", "b") == pytest.approx(0.0)
    with pytest.raises(ValueError, match="dimension 4"):
        kv.add_vectors(["c"], np.ones((1, 4)))
    with pytest.raises(ValueError, match="shape"):
        kv.most_similar(positive=[np.ones(5)])
    with pytest.raises(ValueError, match="no input"):
        kv.most_similar()


def test_unknown_key_error_suggests_case_variants_and_close_spellings():
    kv = KeyedVectors.from_arrays(["Moses", "Jerusalem", "law"], np.eye(3, dtype=np.float32))
    with pytest.raises(UnknownKeyError, match=r"'moses' not present in vocabulary; did you mean "
                                              r"'Moses'\?"):
        kv["moses"]
    assert kv.suggest_keys("Jerusalm") == ["Jerusalem"]
    assert kv.suggest_keys("qqqqq") == []
    with pytest.raises(KeyError, match=r"'qqqqq' not present in vocabulary$"):
        kv.get_index("qqqqq")
