"""Training classifiers: every loss learns, threads, seeds, the return types
of fastText's API, and bad input."""
import math

import numpy as np
import pytest

from fastemb import fasttext as fe
from fastemb.corpus.labelled import (
    build_vocabulary,
    encode_documents,
    split_documents,
    word_ngram_buckets,
)

LOSSES = ["softmax", "ns", "hs", "ova"]


@pytest.mark.parametrize("loss", LOSSES)
def test_every_loss_learns_a_separable_set(toy, loss):
    model = fe.train_supervised(toy, epoch=20, lr=0.5, dim=10, loss=loss, thread=1,
                                verbose=0, seed=1)
    n, precision, recall = model.test(toy)
    assert n == 240 and precision > 0.97 and recall == precision
    labels, probabilities = model.predict("apple fig of the")
    assert labels == ("__label__a",) and probabilities.dtype == np.float64
    assert 0.5 < probabilities[0] <= 1.0 + 1e-5
    history = model._sup.loss_history
    assert len(history) == 20 and history[-1] < 0.5 * history[0]


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("threads", [3, 4, 8])
def test_more_threads_than_cores_learn_and_stay_small(debian, loss, threads):
    train, test = debian
    model = fe.train_supervised(train, epoch=25, lr=0.5, dim=20, wordNgrams=2, bucket=50000,
                                loss=loss, thread=threads, verbose=0)
    history = model._sup.loss_history
    # the loss falls (negative sampling's a little noisily near the end)
    assert max(history[1:]) < history[0] and history[-1] < 0.6 * history[0], history
    assert np.abs(model._sup.output_matrix).max() < 50
    assert np.abs(model._sup.input_matrix).max() < 50
    _, precision, _ = model.test(test)
    assert precision > 0.38  # one thread: 0.44-0.54 by loss, as fastText's


def test_one_thread_and_a_seed_give_the_same_model_twice(debian):
    train, _ = debian
    runs = [fe.train_supervised(train, epoch=2, dim=12, wordNgrams=2, bucket=10000, thread=1,
                                seed=5, verbose=0) for _ in range(2)]
    np.testing.assert_array_equal(runs[0].get_input_matrix(), runs[1].get_input_matrix())
    np.testing.assert_array_equal(runs[0].get_output_matrix(), runs[1].get_output_matrix())
    other = fe.train_supervised(train, epoch=2, dim=12, wordNgrams=2, bucket=10000, thread=1,
                                seed=6, verbose=0)
    assert not np.array_equal(other.get_output_matrix(), runs[0].get_output_matrix())


@pytest.mark.parametrize("loss", ["softmax", "ova"])
def test_precision_is_fasttexts_on_the_same_data(debian, loss):
    ft = pytest.importorskip("fasttext")
    train, test = debian
    settings = dict(epoch=25, lr=0.5, wordNgrams=2, thread=2, verbose=0, loss=loss)
    n, precision, _ = fe.train_supervised(train, **settings).test(test)
    their_n, their_precision, _ = ft.train_supervised(train, **settings).test(test)
    assert n == their_n == 500 and precision > their_precision - 0.03
    model = fe.train_supervised(train, **settings)
    assert model.test(test, k=5)[1] < model.test(test)[1]  # five guesses: lower precision
    assert model.test(test, k=5)[2] > model.test(test)[2]  # and a higher recall


def test_predict_takes_lists_k_and_threshold(toy):
    model = fe.train_supervised(toy, epoch=10, lr=0.5, dim=8, thread=1, verbose=0)
    labels, probabilities = model.predict(["apple pear", "cat dog", ""], k=2)
    assert isinstance(labels, list) and len(labels) == 3 and len(labels[0]) == 2
    assert labels[0][0] == "__label__a" and labels[1][0] == "__label__d"
    assert all(p.dtype == np.float32 for p in probabilities)
    assert probabilities[0][0] >= probabilities[0][1]
    every, _ = model.predict("red blue", k=-1)
    assert sorted(every) == sorted(model.labels)
    sure, sure_probabilities = model.predict("red blue", k=-1, threshold=0.5)
    assert len(sure) == 1 and sure_probabilities[0] >= 0.5
    with pytest.raises(ValueError, match="one line at a time"):
        model.predict("two\nlines")
    with pytest.raises(ValueError, match="k must be"):
        model.predict("red", k=0)


def test_training_arguments_are_attributes_and_files_round_trip(toy, tmp_path):
    model = fe.train_supervised(toy, epoch=3, lr=0.3, dim=7, wordNgrams=2, bucket=1000,
                                thread=1, verbose=0)
    assert (model.lr, model.dim, model.epoch, model.wordNgrams, model.bucket) == \
        (0.3, 7, 3, 2, 1000)
    assert model.loss == "softmax" and model.minCount == 1 and model.label == "__label__"
    path = str(tmp_path / "m.bin")
    model.save_model(path)
    again = fe.load_model(path)
    assert again.labels == model.labels and again.words == model.words
    line = "green pink of"
    assert again.predict(line, k=4)[0] == model.predict(line, k=4)[0]
    np.testing.assert_allclose(again.predict(line, k=4)[1], model.predict(line, k=4)[1])
    np.testing.assert_array_equal(again.get_input_matrix(), model.get_input_matrix())
    assert "apple" in model and model["apple"].shape == (7,)


def test_word_ngrams_chain_hashes_within_a_line_only():
    hashes = np.array([1, 2, 3, 4], dtype=np.uint32)
    line_of = np.array([0, 0, 0, 1])
    grams = word_ngram_buckets(hashes, line_of, 3, 1000)
    assert grams[0, 0] == (1 * 116049371 + 2) % 1000
    assert grams[0, 1] == ((1 * 116049371 + 2) * 116049371 + 3) % 1000
    assert grams[1, 0] == (2 * 116049371 + 3) % 1000
    assert grams[1, 1] == -1 and grams[2, 0] == -1  # the next line is not joined
    assert grams[3, 0] == -1 and grams[3, 1] == -1
    # hashes above 2**31 are sign-extended, as fastText stores them in int32
    big = np.array([2 ** 31 + 5, 7], dtype=np.uint32)
    wide = 2 ** 64 - 2 ** 31 + 5  # the int32 -2**31 + 5 widened to 64 bits
    expected = ((wide * 116049371 + 7) % 2 ** 64) % 97
    assert word_ngram_buckets(big, np.zeros(2, np.int64), 2, 97)[0, 0] == expected


def test_encoding_puts_words_before_ngrams_and_counts_tokens():
    documents = split_documents(b"__label__x a b a\n__label__y b\n")
    vocabulary = build_vocabulary(documents, word_ngrams=2, bucket=100)
    encoded = encode_documents(documents, vocabulary)
    assert list(encoded.line_tokens) == [5, 3]  # words, labels and </s>
    first = encoded.document_rows(0)
    a, b, eos = (vocabulary.words.index(w) for w in ("a", "b", "</s>"))
    assert list(first[:4]) == [a, b, a, eos]
    assert len(first) == 4 + 3 and all(r >= vocabulary.n_words for r in first[4:])
    assert list(encoded.document_labels(1)) == [vocabulary.labels.index("__label__y")]


ENCODED_PARTS = ("rows", "row_offsets", "labels", "label_offsets", "line_tokens")
#: lines the dictionary does not know: an unknown label, a literal </s>,
#: non-ASCII words, blank lines, tabs and a last line without its newline
STRANGE_LINES = ("foo __label__unseen Ünïcödé </s> wörd\t\x0b \n\n   \n"
                 "__label__debian zzz only unknown words\nlast line").encode()


@pytest.mark.parametrize("settings", [
    dict(wordNgrams=1),
    dict(wordNgrams=3),
    dict(wordNgrams=2, minn=2, maxn=4),
    dict(wordNgrams=1, minn=1, maxn=3),
])
def test_lines_encoded_in_c_equal_the_token_encoding(debian, settings):
    train, test = debian
    model = fe.train_supervised(train, epoch=1, dim=8, bucket=20000, thread=1, verbose=0,
                                **settings)._sup
    with open(test, "rb") as handle:
        data = handle.read() + STRANGE_LINES
    by_tokens, in_c = model.encode(split_documents(data)), model.encode(data)
    assert len(in_c) == len(by_tokens) == data.count(b"\n") + 1
    for name in ENCODED_PARTS:
        mine, theirs = getattr(in_c, name), getattr(by_tokens, name)
        assert mine.dtype == theirs.dtype and np.array_equal(mine, theirs), name
    # quantizing prunes the dictionary: the encoder follows the new rows
    unpruned_rows = len(in_c.rows)
    model.quantize(cutoff=1000, dsub=2)
    by_tokens, in_c = model.encode(split_documents(data)), model.encode(data)
    assert model.pruned and len(in_c.rows) < unpruned_rows
    for name in ENCODED_PARTS:
        assert np.array_equal(getattr(in_c, name), getattr(by_tokens, name)), name
    assert len(model.encode(b"")) == 0 and len(model.encode(b"\n")) == 1


def test_predicting_a_list_equals_predicting_each_line(debian):
    train, test = debian
    model = fe.train_supervised(train, epoch=2, dim=10, wordNgrams=2, bucket=20000, thread=2,
                                verbose=0)
    with open(test, encoding="utf-8") as handle:
        lines = [line.rstrip("\n") for line in handle][:200] + ["", "Ünïcödé unknown"]
    labels, probabilities = model.predict(lines, k=3, threshold=0.05)
    for line, line_labels, line_probabilities in zip(lines, labels, probabilities):
        one_labels, one_probabilities = model.predict(line, k=3, threshold=0.05)
        assert list(one_labels) == line_labels
        np.testing.assert_allclose(line_probabilities, one_probabilities, rtol=1e-6)
        assert line_probabilities.dtype == np.float32 and len(line_labels) <= 3
    assert any(len(row) < 3 for row in labels)  # the threshold cut some lines short
    assert model.predict([]) == ([], [])
    with pytest.raises(ValueError, match="one line at a time"):
        model.predict(["fine", "two\nlines"])
    with pytest.raises(TypeError, match="list of str, got int"):
        model.predict(["fine", 3])


@pytest.mark.parametrize("text, message", [
    ("", "empty"),
    ("no labels here\nnor here\n", "label"),
    ("__label__a\n__label__b\n", "no word"),
])
def test_bad_training_data_is_a_clear_value_error(tmp_path, text, message):
    path = tmp_path / "bad.txt"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        fe.train_supervised(str(path), verbose=0)


@pytest.mark.parametrize("arguments, message", [
    ({"loss": "hinge"}, "unknown loss"),
    ({"wordNgrams": 0}, "wordNgrams"),
    ({"dim": -3}, "dim"),
    ({"lr": float("nan")}, "lr"),
    ({"wordNgrams": 2, "bucket": 0}, "bucket"),
    ({"minn": 5, "maxn": 3}, "minn"),
])
def test_bad_arguments_are_a_clear_value_error(toy, arguments, message):
    with pytest.raises(ValueError, match=message):
        fe.train_supervised(toy, verbose=0, **arguments)


def test_unknown_and_repeated_arguments_are_type_errors(toy):
    with pytest.raises(TypeError, match="unexpected keyword argument 'epochs'"):
        fe.train_supervised(toy, epochs=3)
    with pytest.raises(TypeError, match="multiple values"):
        fe.train_supervised(toy, minCount=1, min_count=2)
    with pytest.raises(ValueError, match="cannot be opened"):
        fe.train_supervised(str(toy) + ".missing")


def test_damaged_files_are_value_errors(toy, tmp_path):
    model = fe.train_supervised(toy, epoch=1, dim=4, thread=1, verbose=0)
    path = tmp_path / "m.bin"
    model.save_model(str(path))
    data = path.read_bytes()
    for cut in (3, 40, len(data) // 2, len(data) - 1):
        (tmp_path / "cut.bin").write_bytes(data[:cut])
        with pytest.raises(ValueError):
            fe.load_model(str(tmp_path / "cut.bin"))
    (tmp_path / "text.bin").write_text("not a model")
    with pytest.raises(ValueError, match="wrong file format"):
        fe.load_model(str(tmp_path / "text.bin"))
    with pytest.raises(ValueError, match="cannot be opened"):
        fe.load_model(str(tmp_path / "missing.bin"))


def test_metrics_are_nan_without_predictions(toy, tmp_path):
    model = fe.train_supervised(toy, epoch=2, dim=4, thread=1, verbose=0)
    path = tmp_path / "unlabelled.txt"
    path.write_text("apple pear\n", encoding="utf-8")
    n, precision, recall = model.test(str(path))
    assert n == 0 and math.isnan(precision) and math.isnan(recall)
