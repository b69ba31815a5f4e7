"""build_vocab(update=True): new words get vectors, old words keep theirs
and move only a little, and training goes on, for every model with a
vocabulary, also after save/load and from corpus files."""
import numpy as np
import pytest

from fastemb import Doc2Vec, FastText, TaggedDocument, Word2Vec

from conftest import category_margin

OLD_PART = slice(0, 6000)      # Genesis to Numbers
NEW_PART = slice(6000, 12000)  # Deuteronomy to Judges: new names and words


def _grow_and_check(model, kjv_sentences, **train):
    old_keys = list(model.wv.index_to_key)
    old_vectors = model.wv[old_keys].copy()
    margin_before = category_margin(model.wv)
    new = kjv_sentences[NEW_PART]
    model.build_vocab(new, update=True)
    added = model.wv.index_to_key[len(old_keys):]
    assert model.wv.index_to_key[:len(old_keys)] == old_keys and len(added) > 50
    assert np.array_equal(model.wv[old_keys], old_vectors)  # untouched until trained
    model.train(new, total_examples=model.corpus_count, epochs=model.epochs, **train)
    # new words were learned; old ones moved only a little and kept their structure
    assert all(np.isfinite(model.wv[w]).all() for w in added[:20])
    moved = np.linalg.norm(model.wv[old_keys] - old_vectors, axis=1)
    assert np.median(moved / np.linalg.norm(old_vectors, axis=1)) < 0.6
    assert category_margin(model.wv) > 0.5 * margin_before
    return added


def test_word2vec_grows_and_goes_on(kjv_sentences):
    model = Word2Vec(kjv_sentences[OLD_PART], vector_size=30, min_count=3, epochs=4, workers=1,
                     sg=1, seed=4)
    counts_before = {w: model.wv.get_vecattr(w, "count") for w in ("god", "lord")}
    added = _grow_and_check(model, kjv_sentences)
    assert model.wv.get_vecattr("god", "count") > counts_before["god"]
    assert model.syn1neg.shape == model.wv.vectors.shape
    # a new word found neighbours among the old ones
    assert len(model.wv.most_similar(added[0], topn=3)) == 3


def test_fasttext_grows_and_keeps_unseen_words_exact(kjv_sentences):
    model = FastText(kjv_sentences[OLD_PART], vector_size=24, min_count=3, epochs=3, workers=1,
                     bucket=30000, seed=2)
    probe_before = model.wv["zqxjk"].copy()  # only unstored buckets: initial rows
    model.build_vocab(kjv_sentences[NEW_PART], update=True)
    # growing stores more buckets with their initial values: nothing changes yet
    assert np.array_equal(model.wv["zqxjk"], probe_before)
    offsets, rows = model.wv.input_lists()
    assert rows.max() < model.wv.input_matrix.shape[0]
    model.train(kjv_sentences[NEW_PART], total_examples=model.corpus_count, epochs=2)
    assert np.isfinite(model.wv.vectors).all()
    assert model.wv.similarity("gideon", "gideonz") > 0.5


def test_doc2vec_grows_words_and_tags(kjv_sentences):
    docs = [TaggedDocument(w, [f"v{i}"]) for i, w in enumerate(kjv_sentences[:3000])]
    model = Doc2Vec(docs, dm=1, vector_size=20, min_count=2, epochs=3, workers=1)
    kept = model.dv["v7"].copy()
    more = [TaggedDocument(w, [f"v{i}"]) for i, w in enumerate(kjv_sentences[3000:4000], 3000)]
    model.build_vocab(more, update=True)
    assert len(model.dv) == 4000 and np.array_equal(model.dv["v7"], kept)
    model.train(more, total_examples=model.corpus_count, epochs=2)
    assert np.isfinite(model.dv.vectors).all() and not np.array_equal(
        model.dv["v3001"], model.dv["v3002"])


def test_grow_after_save_load_and_from_a_file(tmp_path, kjv_sentences):
    model = Word2Vec(kjv_sentences[OLD_PART], vector_size=16, min_count=3, epochs=2, workers=1)
    model.save(tmp_path / "m.model")
    loaded = Word2Vec.load(tmp_path / "m.model", mmap="r")
    path = tmp_path / "new.txt"
    path.write_text("\n".join(" ".join(s) for s in kjv_sentences[NEW_PART]) + "\n")
    size = len(loaded.wv)
    loaded.build_vocab(corpus_file=str(path), update=True)
    assert len(loaded.wv) > size
    loaded.train(corpus_file=str(path), total_words=loaded.corpus_total_words, epochs=1)
    assert np.isfinite(loaded.wv.vectors).all()


def test_update_needs_a_vocabulary():
    with pytest.raises(RuntimeError, match="build one first"):
        Word2Vec(min_count=1).build_vocab([["a", "b"]], update=True)
