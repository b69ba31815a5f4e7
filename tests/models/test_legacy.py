"""gensim 3 names from the tutorials people still copy: they work, and each
warns with the gensim 4 spelling."""
import numpy as np
import pytest

from fastemb import Doc2Vec, FastText, TaggedDocument, Word2Vec


def test_seed_000_script_runs_with_only_the_import_changed(kjv_sentences):
    sentences = kjv_sentences[:2000]
    with pytest.warns(DeprecationWarning, match="'size=' is the gensim 3 name; use 'vector_size='"):
        model = Word2Vec(sentences, min_count=1, size=10, window=2)
    assert model.vector_size == 10 and model.wv.vectors.shape[1] == 10
    before = model.wv.vectors.copy()
    with pytest.warns(DeprecationWarning, match=r"\.syn0 is the gensim 3 name; use \.vectors"):
        model.wv.syn0 = model.wv.syn0 * 0.5
    assert np.array_equal(model.wv.vectors, before * 0.5)
    with pytest.warns(DeprecationWarning, match="iter"):
        epochs = model.iter
    with pytest.warns(DeprecationWarning, match="'sentences=' is the gensim 3 name"):
        model.train(sentences=sentences, total_examples=model.corpus_count, epochs=epochs)
    assert model.epochs_trained == 2 * epochs


def test_model_level_queries_and_old_keyed_vector_names(trained_sg):
    wv = trained_sg.wv
    with pytest.warns(DeprecationWarning, match=r"model\.most_similar .* model\.wv\.most_similar"):
        assert trained_sg.most_similar("god", topn=3) == wv.most_similar("god", topn=3)
    with pytest.warns(DeprecationWarning, match=r"model\[word\]"):
        assert np.array_equal(trained_sg["god"], wv["god"])
    with pytest.warns(DeprecationWarning):
        assert "god" in trained_sg
    with pytest.warns(DeprecationWarning, match="index2word"):
        assert wv.index2word is wv.index_to_key
    with pytest.warns(DeprecationWarning, match="vocab"):
        entry = wv.vocab["god"]
    assert entry.index == wv.key_to_index["god"] and entry.count == wv.get_vecattr("god", "count")
    with pytest.warns(DeprecationWarning):
        assert len(wv.vocab) == len(wv) and "god" in wv.vocab
    with pytest.warns(DeprecationWarning, match="syn0norm"):
        norms = np.linalg.norm(wv.syn0norm, axis=1)
    assert np.allclose(norms[norms > 0], 1.0, atol=1e-5)
    with pytest.raises(AttributeError, match="no attribute 'not_a_thing'"):
        trained_sg.not_a_thing


def test_init_sims_replace_normalises_in_place(kjv_sentences):
    model = Word2Vec(kjv_sentences[:1000], vector_size=10, min_count=2, epochs=1)
    with pytest.warns(DeprecationWarning, match="init_sims"):
        model.wv.init_sims(replace=True)
    assert np.allclose(np.linalg.norm(model.wv.vectors, axis=1), 1.0, atol=1e-5)


def test_old_names_for_fasttext_and_doc2vec(kjv_sentences):
    with pytest.warns(DeprecationWarning):
        ft = FastText(kjv_sentences[:1000], size=12, iter=1, min_count=2, bucket=2000)
    assert (ft.vector_size, ft.epochs) == (12, 1)
    with pytest.warns(DeprecationWarning, match="syn0_ngrams"):
        assert ft.wv.syn0_ngrams.shape[1] == 12
    docs = [TaggedDocument(words, [i]) for i, words in enumerate(kjv_sentences[:500])]
    with pytest.warns(DeprecationWarning):
        d2v = Doc2Vec(size=8, iter=2, min_count=2)
    with pytest.warns(DeprecationWarning, match="'documents='"):
        d2v.build_vocab(documents=docs)
    d2v.train(docs, total_examples=len(docs), epochs=2)
    with pytest.warns(DeprecationWarning, match=r"\.docvecs .* \.dv"):
        assert d2v.docvecs[3].shape == (8,)


def test_unknown_keywords_still_fail_like_python():
    with pytest.raises(TypeError, match="unexpected keyword argument 'sizee'"):
        Word2Vec(sizee=10)
    with pytest.raises(TypeError, match="both 'sentences' and 'corpus_iterable'"):
        Word2Vec().train([["a"]], sentences=[["a"]])
