"""gensim's AnnoyIndexer API over fastemb models: approximate neighbours that
agree with the exact ones, files that round-trip (and gensim's own), and
clear errors."""
import json
import os

import numpy as np
import pytest

from fastemb import AnnoyIndexer, Doc2Vec, FormatError, TaggedDocument

pytest.importorskip("annoy")


def _recall(approximate, exact):
    return len({k for k, _ in approximate} & {k for k, _ in exact}) / len(exact)


def test_most_similar_through_the_indexer_finds_the_exact_neighbours(trained_sg):
    wv = trained_sg.wv
    indexer = AnnoyIndexer(trained_sg, 100)
    assert len(indexer.labels) == len(wv) and indexer.num_trees == 100
    recalls = []
    for word in ("god", "king", "gold", "sons", "land", "water"):
        approximate = wv.most_similar([wv[word]], topn=11, indexer=indexer)
        exact = wv.most_similar([wv[word]], topn=11)
        # the query word answers itself first, as in gensim's tutorial
        assert approximate[0][0] == word and approximate[0][1] == pytest.approx(1.0, abs=1e-4)
        scores = dict(exact)
        for key, score in approximate:
            if key in scores:
                assert score == pytest.approx(scores[key], abs=1e-4)
        recalls.append(_recall(approximate, exact))
    assert np.mean(recalls) >= 0.8, recalls
    # the same seed builds the same forest
    again = AnnoyIndexer(trained_sg.wv, 100)
    assert again.most_similar(wv["god"], 5) == indexer.most_similar(wv["god"], 5)


def test_saved_index_loads_back_with_its_labels(tmp_path, kjv_sentences):
    documents = [TaggedDocument(words, [f"verse{i}"]) for i, words in
                 enumerate(kjv_sentences[:800])]
    model = Doc2Vec(documents, vector_size=24, min_count=2, epochs=3, workers=1)
    indexer = AnnoyIndexer(model, 20)  # a Doc2Vec model is searched by its documents
    assert indexer.labels == model.dv.index_to_key
    path = str(tmp_path / "index.ann")
    indexer.save(path)
    meta = json.loads((tmp_path / "index.ann.dict").read_text(encoding="utf-8"))
    assert meta["f"] == 24 and meta["labels"][:2] == ["verse0", "verse1"]
    loaded = AnnoyIndexer()
    loaded.load(path)
    loaded.model = model
    query = model.dv["verse3"]
    assert loaded.most_similar(query, 5) == indexer.most_similar(query, 5)
    assert model.dv.most_similar([query], topn=5, indexer=loaded)[0][0] == "verse3"
    assert sorted(os.listdir(tmp_path)) == ["index.ann", "index.ann.dict"]


def test_an_index_gensim_saved_is_read_as_data(tmp_path, kjv_sentences):
    gensim = pytest.importorskip("gensim")
    from gensim.similarities.annoy import AnnoyIndexer as GensimAnnoyIndexer
    theirs = gensim.models.Word2Vec(kjv_sentences[:2000], vector_size=16, min_count=3,
                                    epochs=1, workers=1)
    path = str(tmp_path / "gensim.ann")
    their_indexer = GensimAnnoyIndexer(theirs, 10)
    their_indexer.save(path)
    ours = AnnoyIndexer()
    ours.load(path)
    assert ours.labels == theirs.wv.index_to_key and ours.num_trees == 10
    for word in ("god", "land"):
        assert ours.most_similar(theirs.wv[word], 5) == \
            their_indexer.most_similar(theirs.wv[word], 5)


def test_bad_use_is_named(tmp_path, trained_sg):
    with pytest.raises(ValueError, match="num_trees must be an integer >= 1"):
        AnnoyIndexer(trained_sg, 0)
    with pytest.raises(TypeError, match="not list"):
        AnnoyIndexer([1, 2], 10)
    with pytest.raises(RuntimeError, match="holds no index"):
        AnnoyIndexer().most_similar(trained_sg.wv["god"], 3)
    with pytest.raises(FormatError, match="missing"):
        AnnoyIndexer().load(str(tmp_path / "absent.ann"))
    path = tmp_path / "broken.ann"
    AnnoyIndexer(trained_sg, 2).save(str(path))
    dim = trained_sg.wv.vector_size
    (tmp_path / "broken.ann.dict").write_text(f'{{"f": {dim}, "labels": ["a"]}}',
                                              encoding="utf-8")
    with pytest.raises(FormatError, match="items for 1 labels"):
        AnnoyIndexer().load(str(path))
    (tmp_path / "broken.ann.dict").write_text("not json", encoding="utf-8")
    with pytest.raises(FormatError, match="not an index labels file"):
        AnnoyIndexer().load(str(path))
