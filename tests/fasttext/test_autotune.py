"""fastText's autotune: the search, its metrics and model size."""
import math
import os

import pytest

from fastemb import fasttext as fe
from fastemb.fasttext.autotune import parse_metric, parse_model_size
from fastemb.fasttext.meter import Meter


def test_metric_and_size_parsing():
    assert parse_metric("f1") == ("f1", None, None)
    assert parse_metric("f1:__label__x") == ("f1", None, "__label__x")
    assert parse_metric("precisionAtRecall:30") == ("precisionAtRecall", 0.3, None)
    assert parse_metric("recallAtPrecision:90:__label__y") == \
        ("recallAtPrecision", 0.9, "__label__y")
    for bad in ("accuracy", "f1:", "precisionAtRecall:x", "recallAtPrecision:50:"):
        with pytest.raises(ValueError):
            parse_metric(bad)
    assert parse_model_size("2M") == 2000000 and parse_model_size("300k") == 300000
    assert parse_model_size("") is None and parse_model_size("123") == 123
    with pytest.raises(ValueError, match="model size"):
        parse_model_size("2MB")


def test_precision_recall_curve_as_fasttexts_meter():
    meter = Meter(2, false_negatives=True)
    meter.log([0], [0], [0.9])
    meter.log([1], [0], [0.6])
    meter.log([0], [1], [0.4])
    meter.log([0], [0], [0.3])
    curve = meter.precision_recall_curve(0)
    assert curve[0] == (1.0, 1 / 3) and curve[-1] == (1.0, 0.0)
    assert meter.precision_at_recall(0.6, 0) == pytest.approx(2 / 3)
    assert meter.recall_at_precision(0.9, 0) == pytest.approx(1 / 3)
    assert math.isclose(meter.f1_score(), 2 * 0.5 * 0.5 / 1.0)


def test_autotune_finds_a_model_in_its_budget(debian):
    train, test = debian
    model = fe.train_supervised(train, autotuneValidationFile=test, autotuneDuration=6,
                                thread=1, verbose=0)
    # its first trial is the defaults' model, so it does at least as well
    defaults = fe.train_supervised(train, thread=1, verbose=0)
    n, precision, _ = model.test(test)
    assert n == 500 and precision >= defaults.test(test)[1]
    assert model._sup.autotune_trials > 1
    assert model._sup.autotune_score == pytest.approx(precision)  # f1 = P@1 with one label


def test_autotune_to_a_model_size_quantizes(debian, tmp_path):
    train, test = debian
    model = fe.train_supervised(train, autotuneValidationFile=test, autotuneDuration=8,
                                autotuneModelSize="300k", dim=10, thread=2, verbose=0)
    assert model.is_quantized() and model.dim == 10  # a given argument is left alone
    path = str(tmp_path / "m.ftz")
    model.save_model(path)
    assert os.path.getsize(path) < 400000


def test_autotune_errors(debian, tmp_path):
    train, test = debian
    with pytest.raises(ValueError, match="Unknown metric"):
        fe.train_supervised(train, autotuneValidationFile=test, autotuneMetric="accuracy")
    with pytest.raises(ValueError, match="Validation file cannot be opened"):
        fe.train_supervised(train, autotuneValidationFile=str(tmp_path / "none"))
    with pytest.raises(ValueError, match="Unknown autotune metric label"):
        fe.train_supervised(train, autotuneValidationFile=test, autotuneDuration=2,
                            autotuneMetric="f1:__label__nosuch")
