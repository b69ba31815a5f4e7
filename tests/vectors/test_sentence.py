"""Sentence vectors (mean, SIF, TF-IDF) against direct numpy computations,
and the document-term matrix."""
import numpy as np
import pytest

from fastemb import FastText, KeyedVectors
from fastemb.corpus.encode import encode_documents
from fastemb.corpus.tfidf import document_term_matrix, idf_weights
from fastemb.vectors.sentence import SentenceVectors


@pytest.fixture(scope="module")
def toy():
    rng = np.random.default_rng(4)
    words = ["the", "cat", "sat", "on", "mat", "dog", "ran"]
    kv = KeyedVectors.from_arrays(words, rng.standard_normal((len(words), 6)).astype(np.float32))
    documents = [["the", "cat", "sat"], ["the", "dog", "ran", "the"], ["on", "the", "mat"],
                 ["unknown", "words"], [], ["cat", "dog"]]
    return kv, documents


def test_mean_skips_unknown_words_and_empty_documents_are_zero(toy):
    kv, documents = toy
    model = SentenceVectors(kv, method="mean")
    vectors = model.transform(documents)
    assert np.allclose(vectors[1], kv[["the", "dog", "ran", "the"]].mean(axis=0), atol=1e-6)
    assert np.array_equal(vectors[3], np.zeros(6)) and np.array_equal(vectors[4], np.zeros(6))
    assert model.n_empty_ == 2 and np.isfinite(vectors).all()


def test_sif_weights_and_component_removal_by_hand(toy):
    kv, documents = toy
    a = 0.05
    model = SentenceVectors(kv, method="sif", a=a).fit(documents)
    counts = {}
    for document in documents:
        for word in document:
            if word in kv:
                counts[word] = counts.get(word, 0) + 1
    total = sum(counts.values())
    by_hand = []
    for document in documents:
        known = [w for w in document if w in kv]
        if not known:
            by_hand.append(np.zeros(6))
            continue
        weights = np.array([a / (a + counts[w] / total) for w in known])
        by_hand.append((weights[:, None] * kv[known]).sum(axis=0) / len(known))
    by_hand = np.array(by_hand)
    nonzero = by_hand[np.any(by_hand != 0, axis=1)]
    u = np.linalg.svd(nonzero, full_matrices=False)[2][0]
    expected = by_hand - np.outer(by_hand @ u, u)
    assert np.allclose(model.transform(documents), expected, atol=1e-5)
    assert np.allclose(np.abs(model.components_[0]), np.abs(u), atol=1e-5)
    # the removed direction is gone from every vector
    assert np.allclose(model.transform(documents) @ u, 0, atol=1e-5)


def test_tfidf_weighted_mean_by_hand(toy):
    kv, documents = toy
    model = SentenceVectors(kv, method="tfidf").fit(documents)
    n = len(documents)
    df = {w: sum(w in d for d in documents) for w in kv.index_to_key}
    idf = {w: np.log((1 + n) / (1 + df[w])) + 1 for w in kv.index_to_key}
    document = documents[1]
    weights = np.array([idf[w] for w in document])
    expected = (weights[:, None] * kv[document]).sum(axis=0) / weights.sum()
    assert np.allclose(model.transform([document])[0], expected, atol=1e-5)


def test_document_term_matrix_matches_scikit_learn(toy):
    pytest.importorskip("scipy")
    sklearn_text = pytest.importorskip("sklearn.feature_extraction.text")
    kv, documents = toy
    counts = document_term_matrix(documents, kv)
    assert counts.shape == (len(documents), len(kv))
    assert counts[1, kv.key_to_index["the"]] == 2
    ours = document_term_matrix(documents, kv, weighting="tfidf").toarray()
    vectorizer = sklearn_text.TfidfVectorizer(vocabulary=kv.index_to_key, analyzer=lambda d: d)
    theirs = vectorizer.fit_transform(documents).toarray()
    assert np.allclose(ours, theirs, atol=1e-6)
    ids, offsets = encode_documents(documents, kv)
    assert np.allclose(idf_weights(ids, offsets, len(kv)), vectorizer.idf_)


def test_fasttext_vectors_cover_unseen_words(kjv_sentences):
    model = FastText(kjv_sentences[:2000], vector_size=20, min_count=3, epochs=1, bucket=5000,
                     workers=1)
    documents = [["brotherz"], ["brethren", "qqq"]]
    with_ngrams = SentenceVectors(model.wv, method="mean").transform(documents)
    assert np.allclose(with_ngrams[0], model.wv["brotherz"], atol=1e-6)
    skipping = SentenceVectors(model.wv, method="mean", unseen="skip").transform(documents)
    assert np.array_equal(skipping[0], np.zeros(20))


def test_bad_use_is_named(toy):
    kv, documents = toy
    with pytest.raises(ValueError, match="method"):
        SentenceVectors(kv, method="median")
    with pytest.raises(RuntimeError, match="fit"):
        SentenceVectors(kv, method="sif").transform(documents)
    with pytest.raises(ValueError, match="ngrams"):
        SentenceVectors(kv, unseen="ngrams")
    with pytest.raises(ValueError, match="no word"):
        SentenceVectors(kv, method="sif").fit([["nothing", "known"]])


def test_normalize_gives_unit_vectors_and_keeps_empty_ones_zero(toy):
    kv, documents = toy
    vectors = SentenceVectors(kv, method="sif", normalize=True).fit(documents).transform(documents)
    lengths = np.linalg.norm(vectors, axis=1)
    assert np.allclose(lengths[[0, 1, 2, 5]], 1.0, atol=1e-5)
    assert lengths[3] == 0 and lengths[4] == 0
