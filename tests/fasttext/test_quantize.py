"""Quantized classifiers (.ftz): quantize here, files both ways with
fastText, and bad requests."""
import os

import numpy as np
import pytest

from fastemb import fasttext as fe
from fastemb.vectors.quantized import QuantizedMatrix

SETTINGS = dict(epoch=15, lr=0.5, dim=10, wordNgrams=2, bucket=20000, thread=2, verbose=0)


def _lines(path, n=200):
    with open(path, encoding="utf-8") as handle:
        return [line.rstrip("\n") for line in handle][:n]


def test_quantized_matrices_decode_close_to_the_originals():
    matrix = np.random.default_rng(1).standard_normal((3000, 12)).astype(np.float32)
    for qnorm in (False, True):
        quantized = QuantizedMatrix.quantize(matrix, dsub=2, qnorm=qnorm, threads=2)
        assert quantized.codes.shape == (3000, 6) and quantized.shape == (3000, 12)
        error = np.linalg.norm(quantized.dense() - matrix) / np.linalg.norm(matrix)
        assert error < 0.35  # 256 centroids a 2-d sub-vector of Gaussian data
        again = QuantizedMatrix.from_record(quantized.record())
        np.testing.assert_array_equal(again.dense(), quantized.dense())
    odd = QuantizedMatrix.quantize(matrix[:, :11], dsub=4)  # 4 + 4 + a last sub-vector of 3
    assert odd.codes.shape == (3000, 3) and odd.dense().shape == (3000, 11)


def test_quantize_keeps_accuracy_and_fasttext_reads_the_ftz(debian, tmp_path):
    ft = pytest.importorskip("fasttext")
    train, test = debian
    model = fe.train_supervised(train, **SETTINGS)
    _, precision, _ = model.test(test)
    big = str(tmp_path / "m.bin")
    model.save_model(big)
    model.quantize(input=train, qnorm=True, cutoff=3000, retrain=True)
    assert model.is_quantized()
    _, quantized_precision, _ = model.test(test)
    assert quantized_precision > precision - 0.03
    small = str(tmp_path / "m.ftz")
    model.save_model(small)
    assert os.path.getsize(small) * 4 < os.path.getsize(big)
    theirs = ft.load_model(small)
    assert theirs.is_quantized()
    for line in _lines(test, 100):
        labels, probabilities = model.predict(line, k=2)
        pairs = theirs.f.predict(line + "\n", 2, 0.0, "strict")
        assert list(labels) == [p[1] for p in pairs]
        np.testing.assert_allclose(probabilities, [p[0] for p in pairs], atol=1e-5)
    again = fe.load_model(small)
    assert again.test(test) == model.test(test)
    with pytest.raises(ValueError, match="quantized"):
        model.get_input_matrix()


def test_an_ftz_fasttext_wrote_predicts_here_what_it_predicts_there(debian, tmp_path):
    ft = pytest.importorskip("fasttext")
    train, test = debian
    theirs = ft.train_supervised(train, **{**SETTINGS, "thread": 1})
    theirs.quantize(input=train, qnorm=True, cutoff=2500, retrain=False)
    path = str(tmp_path / "theirs.ftz")
    theirs.save_model(path)
    ours = fe.load_model(path)
    assert ours.is_quantized() and ours.get_words() == theirs.get_words()
    for line in _lines(test, 150):
        np.testing.assert_array_equal(ours.get_sentence_vector(line),
                                      np.array(theirs.get_sentence_vector(line)))
        labels, _ = ours.predict(line, k=1)
        assert list(labels) == [p[1] for p in theirs.f.predict(line + "\n", 1, 0.0, "strict")]
    assert ours.test(test) == pytest.approx(theirs.test(test))


def test_bad_quantize_requests_are_value_errors(debian, toy, tmp_path):
    train, _ = debian
    model = fe.train_supervised(train, **SETTINGS)
    with pytest.raises(ValueError, match="input file path"):
        model.quantize(retrain=True, cutoff=1000)
    with pytest.raises(ValueError, match="at least 256"):
        model.quantize(qout=True)  # the output matrix has one row a label: 57
    tiny = fe.train_supervised(toy, epoch=1, dim=4, thread=1, verbose=0)
    with pytest.raises(ValueError, match="at least 256"):
        tiny.quantize()
    model.quantize(cutoff=1000)
    with pytest.raises(ValueError, match="already"):
        model.quantize()
    path = tmp_path / "m.ftz"
    model.save_model(str(path))
    data = path.read_bytes()
    (tmp_path / "cut.ftz").write_bytes(data[:len(data) - 100])
    with pytest.raises(ValueError, match="truncated"):
        fe.load_model(str(tmp_path / "cut.ftz"))


def test_a_cutoff_above_the_stored_rows_keeps_them_all(debian, tmp_path):
    train, test = debian
    model = fe.train_supervised(train, **{**SETTINGS, "bucket": 200000})
    stored = model._sup.input_matrix.shape[0] - 1  # less the zero row of unused buckets
    model.quantize(cutoff=100000)  # below the 200,000 buckets, above what is stored
    assert model._sup.pruned and model._sup.input_matrix.shape[0] == stored
    path = str(tmp_path / "m.ftz")
    model.save_model(path)
    # the stored rows only: five bytes of codes a row at dim 10 and eight of
    # pruned-bucket entry, not codes for all 200,000 buckets
    assert os.path.getsize(path) < 13 * stored + 200000 < 5 * 200000
    assert fe.load_model(path).test(test) == model.test(test)
