"""Encoded caches: the corpus encoded once to disk and trained from memory
maps gives the same models as in-memory training; it is reused while the
corpus is unchanged, rebuilt when it changes or is damaged, and refused
where it cannot apply."""
import gzip
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from fastemb import Doc2Vec, FastText, GloVe, Word2Vec
from fastemb.corpus import encode
from fastemb.corpus.cache import cached_scan

from conftest import KJV_EXCERPT


@pytest.fixture()
def corpus(tmp_path):
    path = tmp_path / "kjv.txt"
    with gzip.open(KJV_EXCERPT, "rb") as source:
        path.write_bytes(source.read())
    return str(path)


def only_folder(cache_dir):
    folders = [name for name in os.listdir(cache_dir) if name.startswith("fastemb-")]
    assert len(folders) == 1, folders
    return os.path.join(cache_dir, folders[0])


@pytest.mark.parametrize("cls, options", [
    (Word2Vec, dict(sg=1)), (Word2Vec, dict(hs=1, negative=0)),
    (FastText, dict(bucket=20000)), (GloVe, dict(max_memory=0.5)),
])
def test_same_model_as_without_cache(corpus, tmp_path, cls, options):
    settings = dict(vector_size=20, epochs=2, workers=1, seed=5, min_count=3, **options)
    plain = cls(corpus_file=corpus, **settings)
    cached = cls(corpus_file=corpus, encoded_cache=str(tmp_path / "cache"), **settings)
    assert cached.wv.index_to_key == plain.wv.index_to_key
    np.testing.assert_array_equal(cached.wv.vectors, plain.wv.vectors)
    assert cached.corpus_total_words == plain.corpus_total_words
    assert cached.corpus_count == plain.corpus_count


def test_training_reads_memory_maps(corpus, tmp_path):
    model = Word2Vec(vector_size=10, min_count=2, encoded_cache=str(tmp_path / "c"))
    model.build_vocab(corpus_file=corpus)
    assert isinstance(model._scanned.tokens, np.memmap)
    assert isinstance(model._scanned.sentence_ends, np.memmap)
    model.train(corpus_file=corpus, total_examples=model.corpus_count, epochs=1)
    assert model.wv.most_similar("father", topn=1)


def test_reused_without_reading_the_text(corpus, tmp_path, monkeypatch):
    cache_dir = str(tmp_path / "cache")
    first = cached_scan(corpus, cache_dir, min_count=2).encoded
    # a second run must not scan the text again
    monkeypatch.setattr("fastemb.corpus.cache.scan_files", lambda *a, **k: pytest.fail("re-read"))
    again = cached_scan(corpus, cache_dir, min_count=2).encoded
    np.testing.assert_array_equal(again.tokens, first.tokens)
    assert again.keys == first.keys
    # a newer time with the same content (a copy, a touch) keeps the cache
    stat = os.stat(corpus)
    os.utime(corpus, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    cached_scan(corpus, cache_dir, min_count=2)
    with open(os.path.join(only_folder(cache_dir), "manifest.json")) as stream:
        assert json.load(stream)["sources"][0]["mtime_ns"] == stat.st_mtime_ns + 10**9


def test_changed_corpus_or_settings_rebuild(corpus, tmp_path):
    cache_dir = str(tmp_path / "cache")
    before = cached_scan(corpus, cache_dir, min_count=2).encoded
    with open(corpus, "a", encoding="utf-8") as stream:
        stream.write("zebra zebra zebra\n")
    after = cached_scan(corpus, cache_dir, min_count=2).encoded
    assert "zebra" in after.keys and "zebra" not in before.keys
    assert len(after.tokens) == len(before.tokens) + 3
    only_folder(cache_dir)  # replaced, not added
    other = cached_scan(corpus, cache_dir, min_count=50).encoded
    assert len(other.keys) < len(after.keys)
    assert len(os.listdir(cache_dir)) == 2  # another setting is another folder


def test_damaged_cache_is_rebuilt_with_a_warning(corpus, tmp_path):
    cache_dir = str(tmp_path / "cache")
    good = np.array(cached_scan(corpus, cache_dir, min_count=2).encoded.tokens)
    tokens_file = os.path.join(only_folder(cache_dir), "tokens.i32")
    with open(tokens_file, "r+b") as stream:
        stream.seek(4000)
        stream.write(b"\xff\xff\xff\x7f")
    with pytest.warns(RuntimeWarning, match="tokens.i32 is damaged"):
        again = cached_scan(corpus, cache_dir, min_count=2).encoded
    np.testing.assert_array_equal(again.tokens, good)
    os.truncate(os.path.join(only_folder(cache_dir), "sentence_ends.i64"), 8)
    with pytest.warns(RuntimeWarning, match="sentence_ends.i64"):
        cached_scan(corpus, cache_dir, min_count=2)


def test_a_killed_build_leaves_nothing_behind(corpus, tmp_path):
    cache_dir = tmp_path / "cache"
    cache_dir.mkdir()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    stale = cache_dir / f".fastemb-building-{dead}-abc"
    stale.mkdir()
    (stale / "provisional.i32").write_bytes(b"\0" * 64)
    cached_scan(corpus, str(cache_dir), min_count=2)
    assert not stale.exists()


def test_refused_where_it_cannot_apply(corpus, tmp_path):
    cache_dir = str(tmp_path / "cache")
    with pytest.raises(ValueError, match="corpus_file"):
        Word2Vec([["a", "b"]], min_count=1, encoded_cache=cache_dir)
    with pytest.raises(ValueError, match="trim_rule"):
        Word2Vec(corpus_file=corpus, trim_rule=lambda w, c, m: 0, encoded_cache=cache_dir)
    with pytest.raises(ValueError, match="Doc2Vec"):
        Doc2Vec(corpus_file=corpus, encoded_cache=cache_dir)


def test_pruned_counting_round_trips(corpus, tmp_path):
    """Pruned ids (stored as empty lines) come back as None, and the raw
    vocabulary equals the in-memory one."""
    raw = cached_scan(corpus, str(tmp_path / "c"), min_count=2, max_vocab_size=500)
    expected = encode.encode_files(corpus, max_vocab_size=500)
    assert raw.words == expected.words and None in raw.words
    np.testing.assert_array_equal(raw.counts, expected.counts)


def test_cli_cache_dir(corpus, tmp_path):
    from fastemb.cli import main
    out = str(tmp_path / "vectors.txt")
    cache_dir = str(tmp_path / "cache")
    for _ in range(2):  # built, then reused
        assert main(["train", corpus, "-o", out, "--min-count", "3", "--epochs", "1",
                     "--workers", "1", "--cache-dir", cache_dir]) == 0
    assert os.path.exists(os.path.join(only_folder(cache_dir), "tokens.i32"))
    assert main(["train", corpus, "-o", out, "--model", "doc2vec", "--cache-dir",
                 cache_dir]) != 0
