"""Compressed vectors (product quantization and int8) answer the queries of
the vectors they came from, from their codes, and go to files and back."""
import os

import numpy as np
import pytest

from fastemb import CompressedKeyedVectors, KeyedVectors
from fastemb.errors import FormatError
from fastemb.vectors.compressed import compressed_size, settings_for_size

from conftest import category_margin


@pytest.fixture(scope="module")
def wv(trained_sg):
    return trained_sg.wv


@pytest.fixture(scope="module")
def pq(wv):
    return wv.compress("pq", dsub=2)


def _recall_at_10(exact, compressed, words):
    found = [len({k for k, _ in exact.most_similar(w, topn=10)} &
                 {k for k, _ in compressed.most_similar(w, topn=10)}) for w in words]
    return np.mean(found) / 10


def test_product_quantization_keeps_the_neighbours(wv, pq):
    assert isinstance(pq, CompressedKeyedVectors) and pq.codes.dtype == np.uint8
    assert pq.codes.nbytes * 8 == wv.vectors.nbytes  # a byte for every two floats
    words = wv.index_to_key[:200:4]
    assert _recall_at_10(wv, pq, words) > 0.6
    # the scores are the decoded rows' cosines, computed from the codes
    decoded = pq.decode(np.arange(len(pq)))
    query = wv["king"] / np.linalg.norm(wv["king"])
    expected = decoded @ query / np.linalg.norm(decoded, axis=1)
    np.testing.assert_allclose(pq.cosine_scores(query), expected, atol=1e-5)
    assert category_margin(pq) > 0.8 * category_margin(wv)
    np.testing.assert_allclose(pq["king"], decoded[pq.key_to_index["king"]])
    assert pq["king"].shape == (wv.vector_size,) and pq[["king", "god"]].shape == (2, 50)


def test_ranking_from_rounded_tables_finds_the_exact_best(wv, pq):
    """most_similar ranks from 16-bit tables, then rescores the rows that
    can be among the best: its answer is the full search's."""
    query = pq.get_vector("king", norm=True)
    approx, error = pq.matrix.approximate_dots(query, 0, len(pq))
    exact = pq.cosine_scores(query) * pq.norms
    assert 0 < error < 1e-3 and np.abs(approx - exact).max() <= error
    for start, end in [(0, len(pq)), (17, 3001)]:
        np.testing.assert_allclose(pq.matrix.approximate_dots(query, start, end)[0],
                                   exact[start:end], atol=error)
    for positive, negative, restrict in [(["king"], [], None), (["gold", "silver"], ["king"],
                                                                 None), (["lord"], [], 2000)]:
        found = pq.most_similar(positive=positive, negative=negative, topn=15,
                                restrict_vocab=restrict)
        scores = pq.most_similar(positive=positive, negative=negative, topn=None,
                                 restrict_vocab=restrict)
        excluded = {pq.key_to_index[k] for k in positive + negative}
        best = [i for i in np.argsort(-scores, kind="stable") if i not in excluded][:15]
        np.testing.assert_allclose([score for _, score in found], scores[best], atol=1e-6)
        assert {k for k, _ in found} == {pq.index_to_key[i] for i in best}


def test_int8_is_nearly_exact(wv):
    small = wv.compress("int8")
    assert small.codes.dtype == np.int8 and small.codes.nbytes * 4 == wv.vectors.nbytes
    assert _recall_at_10(wv, small, wv.index_to_key[:100:5]) > 0.95
    pairs = [("king", "queen"), ("gold", "silver"), ("father", "son")]
    for a, b in pairs:
        assert small.similarity(a, b) == pytest.approx(wv.similarity(a, b), abs=0.01)
    np.testing.assert_allclose(small.vectors[5:9], wv.vectors[5:9], atol=0.01)


def test_evaluations_and_batches_answer_from_the_codes(tmp_path, wv, pq):
    pairs = [("king", "queen", 9.0), ("gold", "silver", 8.0), ("sheep", "oxen", 8.0),
             ("father", "gold", 1.0), ("king", "sheep", 1.0)]
    path = tmp_path / "pairs.tsv"
    path.write_text("".join(f"{a}\t{b}\t{s}\n" for a, b, s in pairs))
    assert pq.evaluate_word_pairs(str(path))[1][0] > 0.0
    batch = pq.most_similar_batch(["king", "gold"], topn=5)
    assert [k for k, _ in batch[0]] == [k for k, _ in pq.most_similar("king", topn=5)]
    assert "king" not in [k for k, _ in batch[0]]
    analogy = pq.most_similar(positive=["king", "woman"], negative=["man"], topn=3)
    assert len(analogy) == 3 and all(-1 <= s <= 1 for _, s in analogy)


@pytest.mark.parametrize("method", ["pq", "int8"])
def test_compressed_files_open_as_compressed(tmp_path, wv, method):
    compressed = wv.compress(method, dsub=5)
    path = str(tmp_path / "small.fe")
    compressed.save(path)
    for mmap in (None, "r"):
        again = KeyedVectors.load(path, mmap=mmap)
        assert isinstance(again, CompressedKeyedVectors) and again.method == method
        assert again.index_to_key == compressed.index_to_key
        assert again.most_similar("gold", topn=5) == compressed.most_similar("gold", topn=5)
        np.testing.assert_array_equal(again["gold"], compressed["gold"])
    assert os.path.getsize(path) < wv.vectors.nbytes  # the codes, not the floats


def test_keep_words_and_decompress(wv):
    top = wv.compress("int8", keep_words=300)
    assert len(top) == 300 and top.index_to_key == wv.index_to_key[:300]
    listed = wv.compress("int8", keep_words=["gold", "silver", "nowhere"])
    assert listed.index_to_key == sorted(["gold", "silver"], key=wv.key_to_index.get)
    plain = top.decompress()
    assert type(plain) is KeyedVectors
    np.testing.assert_array_equal(plain.vectors, top.vectors[:])
    plain.add_vectors(["new"], np.ones((1, 50), dtype=np.float32))  # ordinary again


def test_compressed_vectors_refuse_changes_and_bad_settings(wv, pq):
    with pytest.raises(TypeError, match="read-only: call decompress"):
        pq.add_vectors(["x"], np.zeros((1, 50)))
    with pytest.raises(TypeError, match="read-only"):
        pq.vectors = np.zeros((len(pq), 50))
    with pytest.raises(ValueError, match="bits=8"):
        wv.compress("pq", bits=4)
    with pytest.raises(ValueError, match="unknown compression"):
        wv.compress("zip")
    with pytest.raises(ValueError, match="dsub must be between"):
        wv.compress("pq", dsub=0)
    with pytest.raises(ValueError, match="at least 256 vectors"):
        wv.compress("pq", keep_words=100)
    with pytest.raises(ValueError, match="none of keep_words"):
        wv.compress("int8", keep_words=["nowhere"])


def test_a_damaged_compressed_file_is_a_format_error(tmp_path, wv):
    from fastemb.io import native
    compressed = wv.compress("int8")
    arrays = compressed._arrays()
    arrays["scales"] = arrays["scales"][:10]
    path = str(tmp_path / "bad.fe")
    native.save_arrays(path, arrays, {"kind": "CompressedKeyedVectors",
                                      "vectors": compressed._meta()})
    with pytest.raises(FormatError, match="scale is missing"):
        KeyedVectors.load(path)


@pytest.mark.parametrize("method, dsub", [("pq", 3), ("int8", 1)])
def test_the_size_is_reckoned_before_compressing(tmp_path, wv, method, dsub):
    path = str(tmp_path / "small.fe")
    wv.compress(method, dsub=dsub).save(path)
    reckoned = compressed_size(wv, method, dsub)
    assert os.path.getsize(path) <= reckoned <= os.path.getsize(path) + 65536


def test_a_size_budget_picks_the_most_faithful_setting_that_fits(wv):
    assert settings_for_size(wv, 10 ** 9) == ("int8", 1)
    middle = (compressed_size(wv, "pq", 4) + compressed_size(wv, "pq", 3)) // 2
    assert settings_for_size(wv, middle) == ("pq", 4)
    with pytest.raises(ValueError, match="no compression fits 1000 bytes: the smallest"):
        settings_for_size(wv, 1000)
    assert settings_for_size(wv, compressed_size(wv, "int8", keep_words=300),
                             keep_words=300) == ("int8", 1)


def test_the_compress_command_fits_a_budget(tmp_path, wv, capsys):
    from fastemb.cli import main
    source, out = str(tmp_path / "v.txt"), str(tmp_path / "small.fe")
    wv.save_word2vec_format(source)
    budget = compressed_size(wv, "pq", 5)
    assert main(["compress", source, out, "--size", f"{budget}"]) == 0
    assert os.path.getsize(out) <= budget and "pq, dsub 5" in capsys.readouterr().err
    assert isinstance(KeyedVectors.load(out), CompressedKeyedVectors)
    assert main(["compress", source, out, "--method", "int8", "--keep-words", "400"]) == 0
    assert len(KeyedVectors.load(out)) == 400
    assert main(["compress", source, out, "--size", "12zB"]) == 2
    assert "is not a size" in capsys.readouterr().err
    assert main(["compress", source, out, "--size", "1MB", "--dsub", "3"]) == 2
    assert main(["compress", source, out, "--size", "2kB"]) == 2
    assert "no compression fits 2000 bytes" in capsys.readouterr().err
