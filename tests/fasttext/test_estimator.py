"""The scikit-learn estimator and training from memory."""
import numpy as np
import pytest

from fastemb import FastTextClassifier
from fastemb import fasttext as fe


def test_fit_predict_proba_score_and_classes(toy_pairs):
    texts, labels = toy_pairs
    model = FastTextClassifier(epoch=20, lr=0.5, dim=10, thread=1).fit(texts, labels)
    assert list(model.classes_) == ["a", "b", "c", "d"]
    probabilities = model.predict_proba(["apple fig", "cat hen the"])
    assert probabilities.shape == (2, 4)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)
    assert list(model.predict(["apple fig", "cat hen the"])) == ["a", "d"]
    assert model.score(texts, labels) > 0.97


def test_multi_label_targets_give_an_indicator_matrix():
    loss = "ova"  # one sigmoid a label: what fastText recommends for several labels
    texts = ["red apple", "green pear", "red car", "blue car", "green apple", "blue pear"] * 30
    y = [["red", "fruit"], ["green", "fruit"], ["red", "vehicle"], ["blue", "vehicle"],
         ["green", "fruit"], ["blue", "fruit"]] * 30
    model = FastTextClassifier(epoch=30, lr=0.5, dim=10, loss=loss, thread=1).fit(texts, y)
    assert list(model.classes_) == ["blue", "fruit", "green", "red", "vehicle"]
    predicted = model.predict(["red apple", "blue car"])
    assert predicted.tolist() == [[0, 1, 0, 1, 0], [1, 0, 0, 0, 1]]
    assert model.score(texts[:6], y[:6]) == 1.0


def test_pipeline_grid_search_and_cross_validation(toy_pairs):
    sklearn = pytest.importorskip("sklearn")
    from sklearn.model_selection import GridSearchCV, cross_val_score
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer
    texts, labels = toy_pairs
    assert sklearn.base.is_classifier(FastTextClassifier())
    pipeline = Pipeline([("lower", FunctionTransformer(lambda xs: [x.lower() for x in xs])),
                         ("clf", FastTextClassifier(dim=8, thread=1))])
    search = GridSearchCV(pipeline, {"clf__epoch": [1, 25], "clf__lr": [0.5]}, cv=3)
    search.fit(texts, labels)
    assert search.best_params_["clf__epoch"] == 25 and search.best_score_ > 0.95
    scores = cross_val_score(FastTextClassifier(epoch=20, lr=0.5, dim=8, thread=1), texts,
                             labels, cv=3)
    assert len(scores) == 3 and scores.min() > 0.95
    clone = sklearn.base.clone(FastTextClassifier(word_ngrams=2, loss="hs"))
    assert clone.get_params()["word_ngrams"] == 2 and clone.loss == "hs"


#: scikit-learn's checks that need no numeric data; its others feed 2-D
#: number arrays, which a text estimator does not take (scikit-learn skips
#: every check for an estimator whose input tags say so)
DATA_FREE_CHECKS = ["check_estimator_cloneable", "check_parameters_default_constructible",
                    "check_get_params_invariance", "check_set_params",
                    "check_no_attributes_set_in_init", "check_estimator_repr",
                    "check_estimator_tags_renamed", "check_valid_tag_types",
                    "check_do_not_raise_errors_in_init_or_set_params", "check_mixin_order"]


@pytest.mark.parametrize("check", DATA_FREE_CHECKS)
def test_scikit_learns_checks_that_need_no_numbers(check):
    checks = pytest.importorskip("sklearn.utils.estimator_checks")
    getattr(checks, check)("FastTextClassifier", FastTextClassifier(thread=1))


def test_scikit_learns_fitted_checks_on_text(toy_pairs):
    """scikit-learn's checks of a fitted estimator, each with texts for its
    numbers: fitted state, idempotent fit, predictions independent of the
    batch's order and size, predict changes nothing, and a pickle round trip."""
    sklearn = pytest.importorskip("sklearn")
    import pickle

    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted
    texts, labels = toy_pairs
    model = FastTextClassifier(epoch=5, dim=8, thread=1, seed=3)
    with pytest.raises(NotFittedError):
        check_is_fitted(model)
    with pytest.raises(NotFittedError):
        model.predict_proba(texts)
    first = model.fit(texts, labels).predict_proba(texts)
    check_is_fitted(model)
    state = {key: value for key, value in model.__dict__.items()}
    params = model.get_params()
    np.testing.assert_array_equal(model.fit(texts, labels).predict_proba(texts), first)
    assert model.get_params() == params and set(model.__dict__) == set(state)
    model.predict(texts)
    assert set(model.__dict__) == set(state)
    order = np.random.default_rng(0).permutation(len(texts))
    np.testing.assert_allclose(model.predict_proba([texts[i] for i in order]), first[order],
                               rtol=1e-6)
    np.testing.assert_allclose(model.predict_proba(texts[:7]), first[:7], rtol=1e-6)
    again = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(again.predict_proba(texts), first)
    assert sklearn.base.clone(model).get_params() == params


def test_params_and_errors():
    model = FastTextClassifier()
    assert model.set_params(epoch=7) is model and model.get_params()["epoch"] == 7
    with pytest.raises(ValueError, match="invalid parameter"):
        model.set_params(epochs=3)
    with pytest.raises(AttributeError, match="not fitted"):
        model.predict(["a"])
    with pytest.raises(TypeError, match="not one string"):
        model.fit("one text", ["a"])
    with pytest.raises(ValueError, match="unknown tokenizer"):
        FastTextClassifier(tokenizer="spaces").fit(["a b"], ["x"])
    assert "epoch=7" in repr(model)


def test_jieba_tokenizer_segments_chinese():
    pytest.importorskip("jieba")
    texts = ["我爱北京天安门", "今天天气很好", "北京的天安门很大", "今天的天气不错"] * 20
    labels = ["place", "weather", "place", "weather"] * 20
    model = FastTextClassifier(epoch=20, lr=0.5, dim=8, thread=1, tokenizer="jieba")
    model.fit(texts, labels)
    assert list(model.predict(["天安门", "天气"])) == ["place", "weather"]


def test_train_supervised_from_memory(toy_pairs, tmp_path):
    texts, labels = toy_pairs
    model = fe.train_supervised(data=list(zip(texts, labels)), epoch=20, lr=0.5, dim=8,
                                thread=1, verbose=0)
    assert sorted(model.labels) == ["__label__a", "__label__b", "__label__c", "__label__d"]
    assert model.predict("tram ferry")[0] == ("__label__b",)
    with pytest.raises(TypeError, match="not both"):
        fe.train_supervised(str(tmp_path / "x"), data=[("a", "b")])
    with pytest.raises(ValueError, match="one line"):
        fe.train_supervised(data=[("two\nlines", "x")])
    with pytest.raises(TypeError, match="pair"):
        fe.train_supervised(data=["just text"])
