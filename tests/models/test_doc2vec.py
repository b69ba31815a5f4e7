"""Doc2Vec: both modes learn which documents belong together, inference is
deterministic and lands near the trained vector, tags of every kind, files,
and bad input."""
import numpy as np
import pytest

from fastemb import CorpusError, Doc2Vec, TaggedDocument, TaggedLineDocument, VocabularyError
from fastemb.errors import FormatError

from conftest import assert_gensim_signature

PARAMS = dict(vector_size=40, window=4, min_count=2, epochs=12, workers=2, seed=3)


def _book_documents(kjv_sentences):
    """Verses of Genesis and of Numbers as documents tagged by verse number,
    plus which book each came from (the excerpt runs Genesis to Judges)."""
    genesis = kjv_sentences[:1500]
    numbers = kjv_sentences[4000:5500]
    documents = [TaggedDocument(words, [i]) for i, words in enumerate(genesis + numbers)]
    books = np.array([0] * len(genesis) + [1] * len(numbers))
    return documents, books


def held_out_book_accuracy(vectors, books):
    """Nearest-centroid accuracy at telling the book of every 5th document
    from the others' centroids (after removing the mean vector, which all
    documents share): about 0.5 for random vectors."""
    unit = vectors - vectors.mean(axis=0)
    unit /= np.linalg.norm(unit, axis=1, keepdims=True)
    test = np.arange(len(unit)) % 5 == 4
    centroids = np.vstack([unit[~test & (books == b)].mean(axis=0) for b in (0, 1)])
    return float(((unit[test] @ centroids.T).argmax(axis=1) == books[test]).mean())


@pytest.fixture(scope="module")
def book_documents(kjv_sentences):
    return _book_documents(kjv_sentences)


@pytest.fixture(scope="module")
def dbow(book_documents):
    documents, _ = book_documents
    return Doc2Vec(documents, dm=0, **{**PARAMS, "workers": 1})


@pytest.mark.parametrize("mode", [dict(dm=0), dict(dm=0, dbow_words=1), dict(dm=1),
                                  dict(dm=1, dm_mean=0), dict(dm=0, hs=1, negative=0),
                                  dict(dm=1, dm_concat=1), dict(dm=1, dm_concat=1, hs=1,
                                                                negative=0)])
def test_documents_of_the_same_book_end_up_closer(book_documents, mode):
    documents, books = book_documents
    # one worker: the run is exactly reproducible, so the floors cannot flake
    model = Doc2Vec(documents, **{**PARAMS, "epochs": 20, "workers": 1, **mode})
    assert len(model.dv) == len(documents)
    vectors = np.vstack([model.dv[i] for i in range(len(documents))])
    # PV-DM with a sum shares each gradient out over ~10 summands (as gensim
    # does), so its tag vectors learn slowest: 0.57 here, 0.66-0.77 otherwise
    floor = 0.55 if mode.get("dm_mean") == 0 else 0.62
    if mode.get("dm_concat"):
        # by concatenation the trained tag vectors barely separate the books
        # in 20 epochs (0.51-0.53, gensim's 0.52); vectors inferred for the
        # same documents do (0.59-0.62, gensim's 0.53-0.63)
        vectors = model.infer_vectors([d.words for d in documents])
        floor = 0.57
    assert held_out_book_accuracy(vectors, books) > floor
    random = np.random.default_rng(0).standard_normal(vectors.shape)
    assert held_out_book_accuracy(random, books) < 0.56
    assert np.isfinite(model.loss_history).all() and model.loss_history[-1] > 0
    if mode.get("dbow_words") or mode["dm"]:
        # word vectors are trained too: similar words end up close
        assert model.wv.similarity("sons", "daughters") > model.wv.similarity("sons", "gold")


def test_inference_is_deterministic_and_near_the_trained_vector(dbow, book_documents):
    documents, _ = book_documents
    first = dbow.infer_vector(documents[10].words)
    assert np.array_equal(first, dbow.infer_vector(documents[10].words))
    batch = dbow.infer_vectors([d.words for d in documents[:40]], workers=2)
    assert np.array_equal(batch[10], first)
    assert np.array_equal(dbow.infer_vectors([d.words for d in documents[5:15]], workers=1)[5],
                          first)
    # PV-DBOW vectors share one large direction (raw cosines are all ~0.99):
    # compare what is left once the mean trained vector is taken away
    mean = dbow.dv.vectors.mean(axis=0)
    inferred = batch - mean
    trained = dbow.dv.vectors[:40] - mean
    inferred /= np.linalg.norm(inferred, axis=1, keepdims=True)
    trained /= np.linalg.norm(trained, axis=1, keepdims=True)
    similarities = inferred @ trained.T
    own = np.diag(similarities)
    others = (similarities.sum(axis=1) - own) / (len(own) - 1)
    assert own.mean() > 0.3 and others.mean() < 0.1
    # inferred vectors are nearer their own document than the average other
    # one (about half of them would be for random vectors; a few verses are
    # only three or four words long)
    assert (own > others).mean() > 0.75


def test_similarity_unseen_docs(dbow, book_documents):
    documents, _ = book_documents
    same = dbow.similarity_unseen_docs(documents[3].words, documents[3].words)
    assert same == pytest.approx(1.0, abs=1e-6)
    assert -1.0 <= dbow.similarity_unseen_docs(documents[3].words, documents[2000].words) < same


def test_string_int_and_several_tags(kjv_sentences):
    documents = [TaggedDocument(words, [f"verse{i}", "genesis" if i < 300 else "exodus", i])
                 for i, words in enumerate(kjv_sentences[:600])]
    model = Doc2Vec(documents, dm=1, **PARAMS)
    assert len(model.dv) == 600 + 2 + 600
    assert model.dv.get_vecattr("genesis", "count") == 300
    assert model.dv["verse7"].shape == (40,)
    assert model.dv[599].shape == (40,)
    assert model.dv.similarity("genesis", "exodus") < 0.999


def test_concatenation_keeps_each_position_and_trains_like_gensim(book_documents, tmp_path):
    documents, books = book_documents
    model = Doc2Vec(documents[:600], dm=1, dm_concat=1, **{**PARAMS, "workers": 1})
    # the paper's layout: tag then 2 x window word vectors side by side,
    # the null word padding past a document's ends
    assert model.layer1_size == (1 + 2 * 4) * 40
    assert model.syn1neg.shape == (len(model.wv), 360) and "\0" in model.wv.key_to_index
    assert str(model).startswith("Doc2Vec<dm/c")
    assert model.loss_history[-1] < model.loss_history[0]
    assert np.isfinite(model.wv.vectors).all() and np.abs(model.dv.vectors).max() < 10
    again = Doc2Vec(documents[:600], dm=1, dm_concat=1, **{**PARAMS, "workers": 1})
    assert np.array_equal(model.dv.vectors, again.dv.vectors)
    # inference: deterministic, and near the trained vector
    inferred = model.infer_vector(documents[7].words, epochs=60)
    assert np.array_equal(inferred, model.infer_vector(documents[7].words, epochs=60))
    assert 7 in [tag for tag, _ in model.dv.most_similar([inferred], topn=10)]
    path = str(tmp_path / "concat.model")
    model.save(path)
    loaded = Doc2Vec.load(path)
    assert (loaded.dm_concat, loaded.layer1_size) == (1, 360)
    assert np.array_equal(loaded.infer_vector(documents[7].words, epochs=60), inferred)
    loaded.train(documents[:100], total_examples=100, epochs=1)
    # order matters: the same words shuffled no longer fit the trained layer as well
    words = documents[7].words
    shuffled = list(np.random.default_rng(0).permutation(words))
    assert model.dv.cosine_similarities(model.dv[7], [inferred])[0] > \
        model.dv.cosine_similarities(model.dv[7], [model.infer_vector(shuffled, epochs=60)])[0]


def test_concatenation_with_two_tags_a_document(book_documents, caplog):
    documents, books = book_documents
    tagged = [TaggedDocument(d.words, [d.tags[0], f"book{books[d.tags[0]]}"])
              for d in documents]
    tagged[3] = TaggedDocument(tagged[3].words, [3])  # one tag short: skipped, as in gensim
    with caplog.at_level("WARNING"):
        model = Doc2Vec(tagged, dm=1, dm_concat=1, dm_tag_count=2, **PARAMS)
    assert "1 of 3000 documents have other than dm_tag_count=2 tags" in caplog.text
    assert model.layer1_size == (2 + 8) * 40
    assert model.dv.similarity("book0", "book1") < 0.99
    assert np.isfinite(model.infer_vector(documents[0].words)).all()


def test_gensim_concatenated_model_loads_and_infers(tmp_path, book_documents):
    gensim = pytest.importorskip("gensim")
    documents, _ = book_documents
    theirs = gensim.models.Doc2Vec(
        [gensim.models.doc2vec.TaggedDocument(d.words, d.tags) for d in documents[:300]],
        dm=1, dm_concat=1, vector_size=16, window=3, min_count=2, epochs=2, workers=1)
    path = str(tmp_path / "gensim_concat.model")
    theirs.save(path)
    ours = Doc2Vec.load(path)
    assert (ours.dm_concat, ours.layer1_size, ours.window) == (1, 112, 3)
    assert np.array_equal(ours.syn1neg, theirs.syn1neg)
    assert np.array_equal(ours.dv[5], theirs.dv[5])
    assert np.isfinite(ours.infer_vector(documents[0].words)).all()
    ours.train(documents[:300], total_examples=300, epochs=1)


def test_corpus_file_tags_are_line_numbers(tmp_path, kjv_sentences):
    path = tmp_path / "docs.txt"
    lines = [" ".join(s) for s in kjv_sentences[:400]]
    lines[5] = ""  # an empty line is still a document
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    model = Doc2Vec(corpus_file=str(path), dm=0, **PARAMS)
    assert model.dv.index_to_key == list(range(400))
    from_lines = Doc2Vec(TaggedLineDocument(str(path)), dm=0, **PARAMS)
    assert from_lines.dv.index_to_key == list(range(400))


def test_seed_and_one_worker_reproduce(book_documents):
    documents, _ = book_documents
    params = {**PARAMS, "workers": 1, "epochs": 2}
    a = Doc2Vec(documents[:500], **params)
    b = Doc2Vec(documents[:500], **params)
    assert np.array_equal(a.dv.vectors, b.dv.vectors)
    assert np.array_equal(a.wv.vectors, b.wv.vectors)


def test_save_load_mmap_and_continue(tmp_path, dbow, book_documents):
    documents, _ = book_documents
    path = tmp_path / "d2v.model"
    dbow.save(path)
    loaded = Doc2Vec.load(path)
    assert loaded.dv.index_to_key == dbow.dv.index_to_key
    assert np.array_equal(loaded.dv.vectors, dbow.dv.vectors)
    assert np.array_equal(loaded.infer_vector(documents[1].words),
                          dbow.infer_vector(documents[1].words))
    mapped = Doc2Vec.load(path, mmap="r")
    before = np.array(mapped.dv[7])
    mapped.train(documents[:200], total_examples=200, epochs=1)
    assert not np.array_equal(mapped.dv[7], before)
    assert mapped.epochs_trained == dbow.epochs_trained + 1


def test_gensim_loads_exported_vectors(tmp_path, dbow):
    gensim = pytest.importorskip("gensim")
    dbow.wv.save_word2vec_format(str(tmp_path / "w.vec"))
    theirs = gensim.models.KeyedVectors.load_word2vec_format(str(tmp_path / "w.vec"))
    assert np.allclose(theirs["god"], dbow.wv["god"], atol=1e-5)


def test_words_and_documents_in_one_word2vec_file(tmp_path, dbow):
    from fastemb import KeyedVectors
    path = tmp_path / "both.vec"
    dbow.save_word2vec_format(str(path), doctag_vec=True, word_vec=True)
    both = KeyedVectors.load_word2vec_format(path)
    assert len(both) == len(dbow.wv) + len(dbow.dv)
    first_tag = dbow.dv.index_to_key[0]
    np.testing.assert_allclose(both[f"*dt_{first_tag}"], dbow.dv[first_tag], atol=1e-6)
    np.testing.assert_allclose(both["god"], dbow.wv["god"], atol=1e-6)
    dbow.save_word2vec_format(str(tmp_path / "docs.bin"), doctag_vec=True, word_vec=False,
                              binary=True, prefix="doc:")
    docs = KeyedVectors.load_word2vec_format(tmp_path / "docs.bin", binary=True)
    assert docs.index_to_key[0] == f"doc:{first_tag}" and len(docs) == len(dbow.dv)
    with pytest.raises(ValueError, match="nothing to write"):
        dbow.save_word2vec_format(str(path), doctag_vec=False, word_vec=False)


def test_inference_before_training_starts_from_the_initial_weights(book_documents, caplog):
    documents, _ = book_documents
    model = Doc2Vec(**PARAMS)
    model.build_vocab(documents[:200])
    with caplog.at_level("WARNING"):
        vector = model.infer_vector(documents[0].words)
    assert "never trained" in caplog.text and np.isfinite(vector).all()
    same = model.similarity_unseen_docs(documents[0].words, documents[0].words)
    assert same == pytest.approx(1.0, abs=1e-5)
    # a row of the vectors is a read-only view, as in gensim
    row = model.wv[model.wv.index_to_key[0]]
    with pytest.raises(ValueError):
        row *= 0


def test_gensim_names_and_defaults():
    gensim = pytest.importorskip("gensim")
    assert_gensim_signature(Doc2Vec, gensim.models.Doc2Vec)


def test_bad_input_is_named(book_documents, dbow, tmp_path):
    documents, _ = book_documents
    with pytest.raises(CorpusError, match="not a TaggedDocument"):
        Doc2Vec([["plain", "words"]] * 5, min_count=1)
    with pytest.raises(CorpusError, match="tags must be a list"):
        Doc2Vec([TaggedDocument(["a", "b"], "doc1")], min_count=1)
    with pytest.raises(CorpusError, match="tags must be str or int"):
        Doc2Vec([TaggedDocument(["a", "b"], [1.5])], min_count=1)
    with pytest.raises(CorpusError, match="no document has a tag"):
        Doc2Vec([TaggedDocument(["a", "b"], [])], min_count=1)
    with pytest.raises(VocabularyError, match="empty"):
        Doc2Vec([TaggedDocument([], [0])], min_count=1)
    with pytest.raises(KeyError, match="unknown document tag 'new'"):
        dbow.train([TaggedDocument(["god"], ["new"])], total_examples=1, epochs=1)
    with pytest.raises(CorpusError, match="list of words"):
        dbow.infer_vector("a plain string")
    with pytest.raises(RuntimeError, match="no vocabulary"):
        Doc2Vec(**PARAMS).infer_vector(["god"])
    with pytest.raises(ValueError, match="dm_concat must be 0 or 1"):
        Doc2Vec(dm_concat=2)
    with pytest.raises(ValueError, match="dm_tag_count must be an integer >= 1"):
        Doc2Vec(dm_concat=1, dm_tag_count=0)
    # gensim trains a str's characters; fastemb names the mistake
    with pytest.raises(CorpusError, match="split your text into tokens"):
        Doc2Vec([TaggedDocument("human", [0]), TaggedDocument("machine", [1])], min_count=1)
    with pytest.raises(VocabularyError, match="min_count"):
        Doc2Vec([TaggedDocument(["a", "b"], [0]), TaggedDocument(["c"], [1])])
    # an empty document infers to its (deterministic) starting point, not NaN
    empty = dbow.infer_vector([])
    assert np.isfinite(empty).all() and np.array_equal(empty, dbow.infer_vector(["zzzunknown"]))
    from fastemb import Word2Vec
    dbow.save(tmp_path / "d.model")
    with pytest.raises(FormatError, match="not a Word2Vec model"):
        Word2Vec.load(tmp_path / "d.model")
