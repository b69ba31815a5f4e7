"""fastText's own package (fasttext-wheel) against fastemb on the same data:
the dictionary and hashing, predictions from the same file both ways, and
the test figures."""
import numpy as np
import pytest

from fastemb import fasttext as fe
from fastemb.corpus.labelled import build_vocabulary, read_documents

ft = pytest.importorskip("fasttext")

LOSSES = ["softmax", "ns", "hs", "ova"]


def _fasttext_predict(model, line, k):
    """fastText's predictions through its C++ call (its Python wrapper
    breaks under NumPy 2)."""
    pairs = model.f.predict(line + "\n", k, 0.0, "strict")
    return [p[1] for p in pairs], np.array([p[0] for p in pairs])


def _lines(path, n=200):
    with open(path, encoding="utf-8") as handle:
        return [line.rstrip("\n") for line in handle][:n]


def test_dictionary_is_fastexts_words_labels_counts_and_eos(debian):
    train, _ = debian
    theirs = ft.train_supervised(train, epoch=1, dim=5, thread=1, verbose=0, minCount=2)
    ours = build_vocabulary(read_documents(train), min_count=2)
    their_words, their_counts = theirs.f.getVocab("strict")
    assert dict(zip(ours.words, ours.word_counts.tolist())) == \
        dict(zip(their_words, their_counts))
    their_labels, their_label_counts = theirs.f.getLabels("strict")
    assert dict(zip(ours.labels, ours.label_counts.tolist())) == \
        dict(zip(their_labels, their_label_counts))
    assert "</s>" in ours.words
    # words by falling count, then labels by falling count
    assert list(ours.word_counts) == sorted(ours.word_counts, reverse=True)
    assert list(ours.label_counts) == sorted(ours.label_counts, reverse=True)


@pytest.mark.parametrize("loss", LOSSES)
def test_a_fasttext_file_predicts_here_what_it_predicts_there(debian, tmp_path, loss):
    train, test = debian
    subwords = {"minn": 2, "maxn": 4} if loss == "ns" else {}
    theirs = ft.train_supervised(train, epoch=3, lr=0.5, dim=16, wordNgrams=3, bucket=20000,
                                 thread=1, verbose=0, loss=loss, **subwords)
    path = str(tmp_path / "theirs.bin")
    theirs.save_model(path)
    ours = fe.load_model(path)
    assert ours.get_labels() == theirs.get_labels()
    same = 0
    lines = _lines(test)
    for line in lines:
        # the same input rows: word and character n-grams hash alike
        np.testing.assert_array_equal(ours.get_sentence_vector(line),
                                      np.array(theirs.get_sentence_vector(line)))
        labels, probabilities = ours.predict(line, k=3)
        their_labels, their_probabilities = _fasttext_predict(theirs, line, 3)
        np.testing.assert_allclose(np.sort(probabilities), np.sort(their_probabilities),
                                   atol=1e-5)
        same += list(labels) == their_labels
    # ties between labels of equal probability may order apart
    assert same >= len(lines) - 2
    n, p, r = ours.test(test)
    their_n, their_p, their_r = theirs.test(test)
    assert n == their_n and abs(p - their_p) <= 2 / n and abs(r - their_r) <= 2 / n


@pytest.mark.parametrize("loss", ["softmax", "hs"])
def test_a_fastemb_file_predicts_in_fasttext_what_it_predicts_here(debian, tmp_path, loss):
    train, test = debian
    ours = fe.train_supervised(train, epoch=3, lr=0.5, dim=16, wordNgrams=2, bucket=20000,
                               thread=2, verbose=0, loss=loss, seed=3)
    path = str(tmp_path / "ours.bin")
    ours.save_model(path)
    theirs = ft.load_model(path)
    assert theirs.get_labels() == ours.get_labels()
    assert theirs.get_words() == ours.get_words()
    for line in _lines(test, 100):
        labels, probabilities = ours.predict(line, k=2)
        their_labels, their_probabilities = _fasttext_predict(theirs, line, 2)
        assert list(labels) == their_labels
        np.testing.assert_allclose(probabilities, their_probabilities, atol=1e-5)
    assert theirs.test(test) == pytest.approx(ours.test(test))


def test_test_label_matches_fasttext_and_counts_recall(debian, tmp_path):
    train, test = debian
    theirs = ft.train_supervised(train, epoch=2, dim=10, thread=1, verbose=0)
    path = str(tmp_path / "m.bin")
    theirs.save_model(path)
    ours = fe.load_model(path)
    mine, their = ours.test_label(test, k=2), theirs.test_label(test, k=2)
    assert mine.keys() == their.keys()
    gold = {}
    for line in _lines(test, 10 ** 6):
        for label in ours.get_line(line)[1]:
            gold[label] = gold.get(label, 0) + 1
    for label in mine:
        a, b = mine[label]["precision"], their[label]["precision"]
        assert (np.isnan(a) and np.isnan(b)) or a == pytest.approx(b, abs=0.02), label
        # fastText 0.9.2 never counts a label's gold lines here (its recall is
        # always NaN); fastemb does
        recall = mine[label]["recall"]
        if label in gold:
            hits = mine[label]["precision"] * (a == a) and recall * gold[label]
            assert 0.0 <= recall <= 1.0 and hits == pytest.approx(round(hits))
        else:
            assert np.isnan(recall)


def test_get_line_words_and_subwords_answer_as_fasttext(debian, tmp_path):
    train, _ = debian
    theirs = ft.train_supervised(train, epoch=1, dim=8, thread=1, verbose=0, minn=3, maxn=5,
                                 bucket=10000)
    path = str(tmp_path / "m.bin")
    theirs.save_model(path)
    ours = fe.load_model(path)
    line = "__label__libs a library for unknownword handling __label__nosuch"
    assert ours.get_line(line) == tuple(theirs.get_line(line))
    for word in ("library", "unknownword", "</s>", "é"):
        mine, ids = ours.get_subwords(word)
        their, their_ids = theirs.f.getSubwords(word, "strict")
        assert mine == their and list(ids) == list(their_ids)
        np.testing.assert_allclose(ours.get_word_vector(word),
                                   np.array(theirs.get_word_vector(word)), atol=1e-7)
    assert ours.get_word_id("library") == theirs.get_word_id("library")
    assert ours.get_label_id("__label__libs") == theirs.get_label_id("__label__libs")
    assert ours.get_subword_id("lib") == theirs.get_subword_id("lib")
    assert ours.get_dimension() == 8 and not ours.is_quantized()
    np.testing.assert_array_equal(ours.get_input_matrix(), theirs.get_input_matrix())
    np.testing.assert_array_equal(ours.get_output_matrix(), theirs.get_output_matrix())
    assert [w for _, w in ours.get_nearest_neighbors("library", k=5)] == \
        [w for _, w in theirs.get_nearest_neighbors("library", k=5)]
    assert fe.tokenize("a b\tc\nd") == ft.tokenize("a b\tc\nd")


def test_get_meter_curves_match_fasttexts(debian, tmp_path):
    train, test = debian
    theirs = ft.train_supervised(train, epoch=5, lr=0.5, dim=10, thread=1, verbose=0)
    path = str(tmp_path / "m.bin")
    theirs.save_model(path)
    ours = fe.load_model(path)
    mine, their = ours.get_meter(test), theirs.get_meter(test)
    for label in (None, "__label__libs"):
        assert mine.precision_at_recall(0.5, label) == pytest.approx(
            their.precision_at_recall(0.5, label), abs=1e-3)
        assert mine.recall_at_precision(0.5, label) == pytest.approx(
            their.recall_at_precision(0.5, label), abs=1e-3)
    scores, golds = mine.score_vs_true("__label__libs")
    assert len(scores) == len(golds) > 0 and set(golds) <= {0.0, 1.0}
