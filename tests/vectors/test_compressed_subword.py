"""Compressed FastText vectors: the vocabulary from word codes, unseen words
from the kept n-grams' codes, to files and back."""
import os

import numpy as np
import pytest

from fastemb import CompressedFastTextKeyedVectors, FastText, KeyedVectors
from fastemb.errors import UnknownKeyError
from fastemb.vectors.subword import ngram_buckets


@pytest.fixture(scope="module")
def ft(kjv_sentences):
    model = FastText(kjv_sentences, vector_size=24, min_count=3, epochs=3, workers=2, seed=1,
                     bucket=40000)
    return model.wv


def _cosine(a, b):
    return float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))


def test_unseen_words_are_built_from_the_kept_ngrams(ft):
    small = ft.compress("int8")
    assert isinstance(small, CompressedFastTextKeyedVectors)
    # a word whose every n-gram some vocabulary word uses: its rows are all
    # kept, so its vector is the full one, to int8's precision
    candidates = ["kingly", "kingdoms", "shepherds", "brethrens", "fathered", "lordly",
                  "goldsmiths", "sheeps", "silvered", "mothers", "daughtered", "hands"]
    covered = [word for word in candidates if word not in ft.key_to_index and np.isin(
        ngram_buckets([word], ft.min_n, ft.max_n, ft.bucket)[1], small.ngram_buckets).all()]
    assert len(covered) >= 3, covered
    for word in covered:
        assert word in small and _cosine(small[word], ft[word]) > 0.999
    assert small.most_similar("kingly", topn=3)[0][0] in small.key_to_index
    assert _cosine(small["king"], ft["king"]) > 0.999


def test_keep_ngrams_keeps_the_most_used_buckets(ft):
    every = ft.compress("pq", dsub=3)
    few = ft.compress("pq", dsub=3, keep_ngrams=2000)
    assert len(few.ngram_buckets) == 2000 < len(every.ngram_buckets)
    assert np.isin(few.ngram_buckets, every.ngram_buckets).all()
    # the buckets the vocabulary's words use most stay
    _, buckets = ngram_buckets(list(ft.index_to_key), ft.min_n, ft.max_n, ft.bucket)
    uses = np.bincount(buckets, minlength=ft.bucket)
    dropped = np.setdiff1d(every.ngram_buckets, few.ngram_buckets)
    assert uses[few.ngram_buckets].min() >= uses[dropped].max()
    assert "zqxj" not in few
    with pytest.raises(UnknownKeyError):
        few["zqxj"]
    with pytest.raises(ValueError, match="keep_ngrams must be at least 1"):
        ft.compress("int8", keep_ngrams=0)


def test_compressed_fasttext_files_round_trip(tmp_path, ft):
    small = ft.compress("pq", dsub=4, keep_ngrams=3000)
    path, full = str(tmp_path / "small.fe"), str(tmp_path / "full.fe")
    small.save(path)
    ft.save(full)
    assert os.path.getsize(path) * 5 < os.path.getsize(full)
    for mmap in (None, "r"):
        again = KeyedVectors.load(path, mmap=mmap)
        assert isinstance(again, CompressedFastTextKeyedVectors)
        assert (again.min_n, again.max_n, again.bucket) == (ft.min_n, ft.max_n, ft.bucket)
        np.testing.assert_array_equal(again["kingly"], small["kingly"])
        assert again.most_similar("kingly", topn=4) == small.most_similar("kingly", topn=4)
