"""Alignment: Procrustes recovers a known rotation, CSLS ranks as defined,
two models of one corpus trained with different seeds align almost
perfectly on held-out words, and a fitted map saves, loads and translates."""
import numpy as np
import pytest

from fastemb import KeyedVectors, Word2Vec
from fastemb.errors import FormatError, UnknownKeyError
from fastemb.vectors.align import (
    Alignment,
    csls_scores,
    mean_neighbour_similarity,
    procrustes,
    read_dictionary,
    write_dictionary,
)


def _rotation(dim, seed):
    q, r = np.linalg.qr(np.random.default_rng(seed).normal(size=(dim, dim)))
    return (q * np.sign(np.diag(r))).astype(np.float32)


def test_procrustes_recovers_a_random_rotation_exactly():
    rng = np.random.default_rng(0)
    source = rng.normal(size=(200, 16)).astype(np.float32)
    rotation = _rotation(16, 1)
    found = procrustes(source, source @ rotation)
    np.testing.assert_allclose(found, rotation, atol=1e-5)
    np.testing.assert_allclose(found @ found.T, np.eye(16), atol=1e-5)
    with pytest.raises(ValueError, match="pair up"):
        procrustes(source, source[:10])


def test_csls_ranks_as_defined_on_a_hand_made_case():
    # key 0 is a hub: close to every query; key 1 is close to query 0 only
    queries = np.array([[1.0, 0.0], [0.0, 1.0]], np.float32)
    keys = np.array([[0.8, 0.6], [0.9, -0.436], [0.0, 1.0]], np.float32)
    keys /= np.linalg.norm(keys, axis=1, keepdims=True)
    cosine = queries @ keys.T
    assert cosine[0].argmax() == 1 or cosine[0, 0] > 0.79  # plain cosine favours the hub
    query_hub = mean_neighbour_similarity(queries, keys, k=2)
    key_hub = mean_neighbour_similarity(keys, queries, k=2)
    np.testing.assert_allclose(query_hub, np.sort(cosine, axis=1)[:, -2:].mean(axis=1),
                               rtol=1e-6)
    scores = csls_scores(queries, keys, query_hub, key_hub)
    np.testing.assert_allclose(scores, 2 * cosine - query_hub[:, None] - key_hub[None, :],
                               rtol=1e-6)
    # the hub is discounted below the specific match for both queries
    assert scores[0].argmax() == 1 and scores[1].argmax() == 2


def test_two_models_of_one_corpus_align_almost_perfectly(kjv_sentences):
    options = dict(vector_size=40, min_count=10, epochs=5, sg=1, workers=1)
    first = Word2Vec(kjv_sentences, seed=1, **options).wv
    second = Word2Vec(kjv_sentences, seed=2, **options).wv
    words = [w for w in first.index_to_key[:1200] if w in second.key_to_index]
    train = [(w, w) for w in words[::2]]
    test = [(w, w) for w in words[1::2]]
    alignment = Alignment.fit(first, second, train)
    # before fitting, the two spaces are unrelated
    assert Alignment(first, second).evaluate_translation(test)["csls"]["p@1"] < 0.05
    result = alignment.evaluate_translation(test)
    assert result["words"] == len(test) and result["skipped"] == 0
    assert result["csls"]["p@1"] > 0.9 and result["nn"]["p@1"] > 0.85
    assert alignment.translate("lord", topn=1)[0][0] == "lord"
    # refinement from mutual neighbours keeps it there; identical strings alone find it too
    refined = Alignment.fit(first, second, train[:50], refine=2, max_rank=2000)
    assert refined.evaluate_translation(test)["csls"]["p@1"] > 0.9
    unsupervised = Alignment.fit(first, second, identical=True)
    assert unsupervised.evaluate_translation(test)["csls"]["p@1"] > 0.9


def test_alignment_saves_loads_and_maps_vectors(tmp_path, kjv_sentences):
    options = dict(vector_size=24, min_count=10, epochs=3, workers=1)
    first = Word2Vec(kjv_sentences[:6000], seed=1, **options).wv
    second = Word2Vec(kjv_sentences[:6000], seed=3, **options).wv
    pairs = [(w, w) for w in first.index_to_key[:300] if w in second.key_to_index]
    alignment = Alignment.fit(first, second, pairs)
    path = str(tmp_path / "map.fe")
    alignment.save(path)
    loaded = Alignment.load(path, first, second)
    np.testing.assert_array_equal(loaded.matrix, alignment.matrix)
    assert loaded.dictionary == alignment.dictionary
    assert loaded.translate("god", 3) == alignment.translate("god", 3)
    mapped = alignment.mapped_source()
    assert isinstance(mapped, KeyedVectors) and mapped.index_to_key == first.index_to_key
    np.testing.assert_allclose(alignment.transform(first["god"])[0], mapped["god"], atol=1e-5)
    with pytest.raises(UnknownKeyError, match="source vocabulary"):
        alignment.translate("xyzzy")
    with pytest.raises(FormatError):
        Alignment.load(path, first, Word2Vec(kjv_sentences[:2000], vector_size=8,
                                             min_count=5, workers=1).wv)
    with pytest.raises(ValueError, match="no seed pair"):
        Alignment.fit(first, second, [("xyzzy", "plugh")])


def test_dictionaries_round_trip_and_bad_lines_are_named(tmp_path):
    path = str(tmp_path / "dict.tsv")
    write_dictionary([("perro", "dog"), ("año", "year")], path)
    assert read_dictionary(path) == [("perro", "dog"), ("año", "year")]
    (tmp_path / "bad.tsv").write_text("perro dog\nthree words here\n", encoding="utf-8")
    with pytest.raises(FormatError, match="line 2: expected two words"):
        read_dictionary(str(tmp_path / "bad.tsv"))


def test_the_align_command_maps_and_reports(tmp_path, kjv_sentences, capsys):
    from fastemb.cli import main
    options = dict(vector_size=24, min_count=10, epochs=5, sg=1, workers=1)
    first = Word2Vec(kjv_sentences, seed=1, **options).wv
    second = Word2Vec(kjv_sentences, seed=3, **options).wv
    first.save_word2vec_format(str(tmp_path / "src.vec"))
    second.save_word2vec_format(str(tmp_path / "tgt.bin"), binary=True)
    words = [w for w in first.index_to_key[:400] if w in second.key_to_index]
    write_dictionary([(w, w) for w in words[::2]], str(tmp_path / "train.tsv"))
    write_dictionary([(w, w) for w in words[1::2]], str(tmp_path / "test.tsv"))
    code = main(["align", str(tmp_path / "src.vec"), str(tmp_path / "tgt.bin"),
                 "--dict", str(tmp_path / "train.tsv"), "--test", str(tmp_path / "test.tsv"),
                 "--refine", "1", "-o", str(tmp_path / "mapped.vec"),
                 "--save-map", str(tmp_path / "map.fe")])
    assert code == 0
    err = capsys.readouterr().err
    assert "CSLS P@1" in err
    p_at_1 = float(err.split("CSLS P@1 ")[1].split()[0])
    assert p_at_1 > 0.6
    mapped = KeyedVectors.load_word2vec_format(str(tmp_path / "mapped.vec"))
    assert mapped.index_to_key == first.index_to_key
    assert Alignment.load(str(tmp_path / "map.fe"), first, second).matrix.shape == (24, 24)
    assert main(["align", str(tmp_path / "src.vec"), str(tmp_path / "tgt.bin"),
                 "-o", str(tmp_path / "x.vec")]) == 2
    assert "--dict" in capsys.readouterr().err
