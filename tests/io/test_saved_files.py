"""Native files that fastemb 0.2 saved (``tests/data/saved_by_0.2``, written
before the package moved into subpackages) load into the same classes with
the same arrays, and a loaded model trains on."""
import hashlib
import json
import os

import numpy as np
import pytest

from fastemb import Doc2Vec, FastText, GloVe, KeyedVectors, Phrases, Word2Vec
from fastemb.corpus.phrases import FrozenPhrases

FOLDER = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data",
                      "saved_by_0.2")
with open(os.path.join(FOLDER, "manifest.json"), encoding="utf-8") as _handle:
    MANIFEST = json.load(_handle)


def digest(array):
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()[:16]


def path(name):
    return os.path.join(FOLDER, name)


@pytest.mark.parametrize("name, load, vectors", [
    ("word2vec.fe", Word2Vec.load, lambda m: m.wv.vectors),
    ("vectors.fe", KeyedVectors.load, lambda kv: kv.vectors),
    ("fasttext.fe", FastText.load, lambda m: m.wv.input_matrix),
    ("doc2vec.fe", Doc2Vec.load, lambda m: m.dv.vectors),
    ("glove.fe", GloVe.load, lambda m: m.wv.vectors),
])
def test_saved_models_and_vectors_load_with_the_same_arrays(name, load, vectors):
    loaded = load(path(name))
    expected = MANIFEST[name]
    assert len(getattr(loaded, "wv", loaded)) == expected["keys"]
    assert digest(vectors(loaded)) == expected["vectors"]


def test_a_saved_word2vec_model_keeps_its_output_layer_and_trains_on(kjv_sentences):
    model = Word2Vec.load(path("word2vec.fe"))
    assert digest(model.syn1neg) == MANIFEST["word2vec.fe"]["syn1neg"]
    before = model.wv.vectors.copy()
    model.train(kjv_sentences[:600], total_examples=600, epochs=1)
    assert not np.array_equal(before, model.wv.vectors)
    assert model.wv.most_similar("lord", topn=1)


def test_saved_phrases_load_with_the_same_phrases():
    assert sorted(Phrases.load(path("phrases.fe")).export_phrases()) == \
        MANIFEST["phrases.fe"]["phrases"]
    assert sorted(FrozenPhrases.load(path("frozen_phrases.fe")).phrasegrams) == \
        MANIFEST["frozen_phrases.fe"]["phrases"]
