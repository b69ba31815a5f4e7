"""Weights assigned by hand (pretrained vectors, gensim 3 tutorials' ``wv.syn0
= ...``) are stored as the kernels need them and train on; arrays that could
never train are refused at the assignment, naming the attribute."""
import warnings

import numpy as np
import pytest

from fastemb import FastText, KeyedVectors, Word2Vec


@pytest.fixture()
def small_model(kjv_sentences):
    return Word2Vec(kjv_sentences[:3000], vector_size=20, min_count=3, epochs=1, workers=1,
                    seed=1, hs=1, negative=5)


def test_the_gensim3_tutorial_snippet_trains_on(small_model, kjv_sentences):
    model = small_model
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        model.wv.syn0 = np.random.uniform(-0.1, 0.1, size=model.wv.syn0.shape)
    assert model.wv.vectors.dtype == np.float32 and model.wv.vectors.flags.c_contiguous
    before = model.wv.vectors.copy()
    model.train(kjv_sentences[:3000], total_examples=3000, epochs=2)
    assert np.isfinite(model.wv.vectors).all()
    assert not np.allclose(model.wv.vectors, before)
    assert model.loss_history[-1] < model.loss_history[0]


@pytest.mark.parametrize("name", ["syn1neg", "syn1"])
def test_output_layers_take_any_real_array(small_model, kjv_sentences, name):
    shape = getattr(small_model, name).shape
    fortran = np.asfortranarray(np.zeros(shape, dtype=np.float64))
    setattr(small_model, name, fortran)
    stored = getattr(small_model, name)
    assert stored.dtype == np.float32 and stored.flags.c_contiguous
    small_model.train(kjv_sentences[:3000], total_examples=3000, epochs=1)
    assert np.abs(getattr(small_model, name)).max() > 0


def test_integer_vectors_become_float(small_model):
    small_model.wv.vectors = np.ones(small_model.wv.vectors.shape, dtype=np.int64)
    assert small_model.wv.vectors.dtype == np.float32
    assert small_model.wv.vectors[0, 0] == 1.0


@pytest.mark.parametrize("name", ["vectors", "syn1neg", "syn1"])
def test_a_wrong_shape_is_refused_at_assignment(small_model, name):
    owner = small_model.wv if name == "vectors" else small_model
    rows, dim = getattr(owner, name).shape
    with pytest.raises(ValueError, match=rf"{name} must have shape \({rows}, {dim}\).*"
                                         rf"got \({rows}, {dim + 1}\)"):
        setattr(owner, name, np.zeros((rows, dim + 1)))
    with pytest.raises(ValueError, match=rf"{name} must be a matrix"):
        setattr(owner, name, np.zeros(rows * dim))
    assert getattr(owner, name).shape == (rows, dim)


@pytest.mark.parametrize("value", [np.array([["a", "b"]]), [[None, 1.0]], np.zeros((2, 2), bool)])
def test_a_non_numeric_array_is_refused_naming_the_attribute(small_model, value):
    with pytest.raises(TypeError, match="vectors must be a real-valued matrix"):
        small_model.wv.vectors = value


def test_plain_keyed_vectors_keep_their_float_dtype():
    kv = KeyedVectors.from_arrays(["a", "b"], np.ones((2, 3), dtype=np.float64))
    assert kv.vectors.dtype == np.float64
    kv.vectors = np.zeros((2, 3), dtype=np.float32)
    assert kv.vectors.dtype == np.float64
    kv.make_writable()  # training needs float32: made so before the kernel sees it
    assert kv.vectors.dtype == np.float32


def test_fasttext_ngram_and_word_rows_can_be_replaced(kjv_sentences):
    model = FastText(kjv_sentences[:3000], vector_size=16, min_count=3, epochs=1, workers=1,
                     bucket=5000, seed=1)
    wv = model.wv
    assert wv.vectors_ngrams.shape == (5000, 16)
    ngrams = np.random.default_rng(0).uniform(-0.1, 0.1, wv.vectors_ngrams.shape)
    wv.vectors_ngrams = ngrams
    # every assigned row is kept, the unused buckets' too (the unseen words use them)
    assert wv.bucket_rows is None and wv.n_stored_ngrams == 5000
    assert np.allclose(wv.vectors_ngrams, ngrams.astype(np.float32))
    _, buckets = wv.subword_buckets(["zzyzx"])
    assert np.allclose(wv["zzyzx"], ngrams[buckets].mean(axis=0), atol=1e-6)
    wv.vectors_vocab = np.zeros(wv.vectors_vocab.shape, dtype=np.float16)
    assert not wv.vectors_vocab.any()
    # the word vectors follow the rows they are built from
    assert not np.allclose(wv.vectors, 0)
    with pytest.raises(ValueError, match=r"vectors_ngrams must have shape"):
        wv.vectors_ngrams = ngrams[:-1]
    with pytest.raises(ValueError, match="input_matrix must have shape"):
        wv.input_matrix = np.zeros((len(wv.input_matrix), 17))
    model.train(kjv_sentences[:3000], total_examples=3000, epochs=1)
    assert np.isfinite(wv.input_matrix).all() and wv.vectors_vocab.any()
