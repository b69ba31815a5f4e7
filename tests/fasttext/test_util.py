"""fastText's ``fasttext.util``."""
import numpy as np
import pytest

from fastemb import fasttext as fe
from fastemb.fasttext import util


def test_test_counts_as_fasttexts_util():
    predictions = [["a"], ["b"], ["a"]]
    labels = [["a"], ["a", "c"], ["b"]]
    assert util.test(predictions, labels) == (1 / 3, 1 / 4)
    with pytest.raises(ValueError, match="gold label"):
        util.test([], [])


def test_find_nearest_neighbor_skips_banned_rows():
    vectors = np.eye(4, dtype=np.float32)
    query = np.array([0.9, 0.1, 0, 0], dtype=np.float32)
    assert util.find_nearest_neighbor(query, vectors, set()) == 0
    assert util.find_nearest_neighbor(query, vectors, {0}) == 1
    buffer = np.zeros(4, dtype=np.float32)
    assert util.find_nearest_neighbor(query, vectors, {0, 1}, buffer) in (2, 3)
    with pytest.raises(ValueError, match="ban_set"):
        util.find_nearest_neighbor(query, vectors, {0, 1, 2, 3})


def test_reduce_model_keeps_a_classifier_working(toy):
    model = fe.train_supervised(toy, epoch=20, lr=0.5, dim=16, thread=1, verbose=0)
    _, before, _ = model.test(toy)
    util.reduce_model(model, 8)
    assert model.get_dimension() == 8 and model.get_input_matrix().shape[1] == 8
    assert model.get_sentence_vector("apple pear").shape == (8,)
    assert model.test(toy)[1] > before - 0.1
    with pytest.raises(ValueError, match="target_dim"):
        util.reduce_model(model, 9)


def test_reduce_model_of_word_vectors(kjv_file):
    # three epochs: after one, the neighbourhood of "king" is still loose (4-13
    # of 20 neighbours kept by the reduction over 8 runs; 16-19 after three)
    model = fe.train_unsupervised(kjv_file, model="skipgram", dim=20, epoch=3, minCount=5,
                                  bucket=5000, thread=2)
    king = model.get_nearest_neighbors("king", k=20)
    util.reduce_model(model, 10)
    assert model.get_dimension() == 10 and model.get_word_vector("king").shape == (10,)
    reduced = {w for _, w in model.get_nearest_neighbors("king", k=20)}
    assert len(reduced & {w for _, w in king}) >= 10  # the neighbourhood survives the PCA
