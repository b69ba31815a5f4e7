"""The gensim script of the issue runs after changing only its import."""
import numpy as np
import pytest


def test_gensim_script_runs_with_fastemb(tmp_path, monkeypatch, kjv_sentences):
    monkeypatch.chdir(tmp_path)
    from fastemb import KeyedVectors, Word2Vec
    sentences = kjv_sentences[:6000] + [["sentence", "good", "taste"]] * 5
    model = Word2Vec(sentences=sentences, vector_size=100, window=5, min_count=1, workers=4)
    model.train(sentences, total_examples=model.corpus_count, epochs=model.epochs)
    v = model.wv["sentence"]
    similarity = model.wv.similarity("good", "taste")
    result = model.wv.most_similar(positive=["king", "woman"], negative=["man"], topn=5)
    model.save("w2v.model")
    model = Word2Vec.load("w2v.model")
    model.wv.save_word2vec_format("v.bin", binary=True)
    kv = KeyedVectors.load_word2vec_format("v.bin", binary=True)
    assert v.shape == (100,) and -1 <= similarity <= 1 and len(result) == 5
    assert np.array_equal(kv["king"], model.wv["king"])
    assert model.epochs_trained == 10  # 5 in the constructor, 5 in train()


def test_gensim_names_and_defaults():
    gensim = pytest.importorskip("gensim")
    import inspect

    from fastemb import Word2Vec
    ours = inspect.signature(Word2Vec.__init__).parameters
    theirs = inspect.signature(gensim.models.Word2Vec.__init__).parameters
    for name in ("vector_size", "window", "min_count", "max_vocab_size", "max_final_vocab",
                 "sample", "seed", "workers", "sg", "hs", "negative", "ns_exponent", "cbow_mean",
                 "alpha", "min_alpha", "epochs", "shrink_windows", "sentences", "corpus_file",
                 "callbacks"):
        assert name in ours, name
        assert ours[name].default == theirs[name].default, name
