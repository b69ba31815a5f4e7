"""floret mode: words and n-grams hashed into one shared table (Bloom
embeddings). The hashing, the vectors and both file formats are checked
against explosion's ``floret`` package, the reference implementation."""
import numpy as np
import pytest

from fastemb import (
    FastText,
    FastTextKeyedVectors,
    KeyedVectors,
    load_facebook_model,
    load_facebook_vectors,
    load_floret_vectors,
    save_facebook_model,
)
from fastemb._subwords import murmurhash3_128
from fastemb.errors import FormatError
from fastemb.fasttext import load_model
from fastemb.vectors.subword import char_ngrams, ngram_buckets

from conftest import category_margin

floret = pytest.importorskip("floret")

FLORET = dict(vector_size=32, min_count=3, epochs=4, seed=3, mode="floret", hash_count=2,
              bucket=20000)
EXTRA = "naïve café über straße 北京大学 日本語 ñandú"
UNSEEN = ["unseenword", "kingdoms", "Ägypten", "x", "北京"]


@pytest.fixture(scope="module")
def corpus_file(tmp_path_factory, kjv_sentences):
    path = tmp_path_factory.mktemp("floret") / "corpus.txt"
    path.write_text("\n".join(" ".join(s) for s in kjv_sentences[:2000]) + f"\n{EXTRA}\n",
                    encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def trained(kjv_sentences):
    return FastText(kjv_sentences, sg=1, workers=2, **FLORET)


@pytest.fixture(scope="module")
def floret_bin(tmp_path_factory, corpus_file):
    """A model floret itself trained, saved as its ``.bin``."""
    model = floret.train_unsupervised(str(corpus_file), mode="floret", hashCount=3, bucket=5003,
                                      dim=12, minCount=1, epoch=1, minn=2, maxn=5, thread=1,
                                      verbose=0)
    path = tmp_path_factory.mktemp("floret_bin") / "floret.bin"
    model.save_model(str(path))
    return path, model


def test_murmurhash_splits_into_floret_hashes():
    """floret's four 32-bit hashes are the low and high halves of the two
    64-bit words; ``hash_count`` takes the first ones."""
    low, high = murmurhash3_128(b"<where>", 2166136261)
    expected = [low & 0xFFFFFFFF, low >> 32, high & 0xFFFFFFFF, high >> 32]
    for count in range(1, 5):
        _, buckets = ngram_buckets(["where"], 3, 2, 1000003, hash_count=count)
        assert list(buckets) == [h % 1000003 for h in expected[:count]]
    # every byte matters, and blocks of 16 and the 1-15 byte tails are all read
    digests = {murmurhash3_128(bytes(range(n)), 7) for n in range(40)}
    assert len(digests) == 40
    assert murmurhash3_128(b"abc", 1) != murmurhash3_128(b"abc", 2)


@pytest.mark.parametrize("hash_count", [1, 2, 4])
def test_buckets_match_floret(corpus_file, hash_count):
    model = floret.train_unsupervised(str(corpus_file), mode="floret", hashCount=hash_count,
                                      bucket=1000003, dim=2, minCount=1, epoch=1, minn=2, maxn=5,
                                      thread=1, verbose=0)
    words = EXTRA.split() + ["lord", "unseenword", "é", "a"]
    offsets, buckets = ngram_buckets(words, 2, 5, 1000003, hash_count=hash_count)
    for i, word in enumerate(words):
        subwords, ids = model.get_subwords(word)
        assert list(subwords) == [f"<{word}>"] + char_ngrams(word, 2, 5)
        theirs = [int(x) - len(model.words) for x in ids]
        assert list(buckets[offsets[i]:offsets[i + 1]]) == theirs, word


def test_floret_model_learns_with_a_small_table(trained, kjv_sentences):
    assert trained.wv.input_matrix.shape == (1 + FLORET["bucket"], FLORET["vector_size"])
    assert trained.wv.bucket_rows is None
    assert category_margin(trained.wv) > 0.12
    # the loss is measured while training, before each update: it falls over
    # the first epochs, then rises again as the learning rate nears zero and
    # the rows stop following the text they read (every mode does this on
    # this excerpt, with one thread too); a constant rate keeps it falling
    per_prediction = [s["loss"] / s["predictions"] for s in trained.train_stats]
    assert per_prediction[1] < 0.99 * per_prediction[0]
    # a word's vector is the mean of its rows; only the first word has its own
    offsets, rows = trained.wv.input_lists()
    for index in (0, 1, 57):
        own = trained.wv.input_matrix[rows[offsets[index]:offsets[index + 1]]].mean(axis=0)
        np.testing.assert_allclose(trained.wv.vectors[index], own, rtol=1e-5, atol=1e-6)
    assert rows[0] == 0 and (rows[offsets[1]:] >= 1).all()


def test_unseen_words_and_reproducibility(trained, kjv_sentences):
    for word in UNSEEN:
        assert word in trained.wv
        assert np.isfinite(trained.wv[word]).all() and np.linalg.norm(trained.wv[word]) > 0
    # '</s>' is the one word without subwords
    assert "</s>" not in trained.wv
    again = FastText(kjv_sentences, sg=1, workers=1, **FLORET)
    once_more = FastText(kjv_sentences, sg=1, workers=1, **FLORET)
    assert np.array_equal(again.wv.input_matrix, once_more.wv.input_matrix)


def test_fastemb_model_loads_in_floret(tmp_path, trained):
    path = tmp_path / "ours.bin"
    save_facebook_model(trained, path)
    theirs = floret.load_model(str(path))
    assert theirs.words == trained.wv.index_to_key
    assert theirs.f.getArgs().hashCount == FLORET["hash_count"]
    for word in trained.wv.index_to_key[:300:7] + UNSEEN:
        np.testing.assert_allclose(theirs.get_word_vector(word), trained.wv[word], atol=2e-6)
    back = load_facebook_model(path)
    assert back.mode == "floret" and back.wv.hash_count == FLORET["hash_count"]
    assert np.array_equal(back.wv.vectors, trained.wv.vectors)
    assert np.array_equal(back.wv["unseenword"], trained.wv["unseenword"])


def test_floret_model_loads_in_fastemb(floret_bin):
    path, theirs = floret_bin
    for mmap in (None, "r"):
        kv = load_facebook_vectors(path, mmap=mmap)
        assert (kv.mode, kv.hash_count, kv.bucket) == ("floret", 3, 5003)
        for word in theirs.words[:400] + UNSEEN:
            np.testing.assert_allclose(kv[word], theirs.get_word_vector(word), atol=2e-6)
    # fastemb's fastText API answers as floret's does
    api = load_model(str(path))
    for word in theirs.words[:50] + UNSEEN:
        subwords, rows = api.get_subwords(word)
        their_subwords, their_rows = theirs.get_subwords(word)
        assert subwords == list(their_subwords) and list(rows) == list(their_rows), word
        np.testing.assert_allclose(api.get_word_vector(word), theirs.get_word_vector(word),
                                   atol=2e-6)
    assert api.get_subword_id("<lo") == -1
    np.testing.assert_allclose(api.get_input_matrix(), theirs.get_input_matrix(), atol=0)
    # a loaded model trains on
    model = load_facebook_model(path)
    before = model.wv["lord"].copy()
    model.build_vocab([["newword", "lord"]] * 4, update=True)
    model.train([["newword", "lord", "the"]] * 40, total_examples=40, epochs=2)
    assert not np.array_equal(model.wv["lord"], before)
    assert np.isfinite(model.wv["newword"]).all()


def test_floret_table_both_ways(tmp_path, trained, floret_bin):
    ours = tmp_path / "ours.floret"
    trained.wv.save_floret_vectors(ours)
    header = ours.read_text(encoding="utf-8").split("\n", 1)[0].split()
    assert header == ["20000", "32", "3", "6", "2", "2166136261", "<", ">"]
    table = load_floret_vectors(ours)
    assert len(table) == 0 and table.vectors_ngrams.shape == (20000, 32)
    for word in trained.wv.index_to_key[1:200:9] + UNSEEN:
        np.testing.assert_allclose(table[word], trained.wv[word], atol=1e-6)
    gz = tmp_path / "ours.floret.gz"
    trained.wv.save_floret_vectors(gz)
    assert np.array_equal(load_floret_vectors(gz).vectors_ngrams, table.vectors_ngrams)
    # floret's own table: 5 significant digits, as floret prints them
    path, theirs = floret_bin
    their_table = tmp_path / "theirs.floret"
    theirs.save_floret_vectors(str(their_table))
    kv = load_floret_vectors(their_table)
    for word in theirs.words[1:300] + UNSEEN:
        if word != "</s>":
            np.testing.assert_allclose(kv[word], theirs.get_word_vector(word), atol=1e-4)


def test_native_files_and_compression(tmp_path, trained):
    trained.save(tmp_path / "m.fe")
    for mmap in (None, "r"):
        back = FastText.load(tmp_path / "m.fe", mmap=mmap)
        assert back.mode == "floret" and back.hash_count == FLORET["hash_count"]
        assert np.array_equal(back.wv["unseenword"], trained.wv["unseenword"])
    trained.wv.save(tmp_path / "v.fe")
    assert KeyedVectors.load(tmp_path / "v.fe").mode == "floret"
    small = trained.wv.compress("int8")
    cosine = np.dot(small["unseenword"], trained.wv["unseenword"]) / (
        np.linalg.norm(small["unseenword"]) * np.linalg.norm(trained.wv["unseenword"]))
    assert cosine > 0.99
    small.save(tmp_path / "c.fe")
    assert np.array_equal(KeyedVectors.load(tmp_path / "c.fe")["unseenword"],
                          small["unseenword"])


@pytest.mark.parametrize("kwargs,message", [
    (dict(mode="floret", hash_count=5), "hash_count must be an integer from 1 to 4"),
    (dict(mode="floret", hash_count=0), "hash_count must be an integer from 1 to 4"),
    (dict(hash_count=2), "applies to mode='floret' only"),
    (dict(mode="bloom"), "mode must be one of"),
    (dict(mode="floret", bucket=0), "needs bucket > 0"),
])
def test_bad_settings_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        FastText([["a", "b"]] * 10, min_count=1, **kwargs)


def test_bad_floret_files(tmp_path, trained, floret_bin):
    path = tmp_path / "t.floret"
    trained.wv.save_floret_vectors(path)
    lines = path.read_text(encoding="utf-8").split("\n")
    bad = tmp_path / "bad.floret"
    bad.write_text("\n".join([lines[0], lines[2], lines[1]] + lines[3:]), encoding="utf-8")
    with pytest.raises(FormatError, match="line 2 is bucket '1', expected 0"):
        load_floret_vectors(bad)
    bad.write_text("\n".join(["20000 32 3 6 2 2166136261 [ ]"] + lines[1:]), encoding="utf-8")
    with pytest.raises(FormatError, match="marked"):
        load_floret_vectors(bad)
    bad.write_text("\n".join(["20000 32 3 6"] + lines[1:]), encoding="utf-8")
    with pytest.raises(FormatError, match="bad floret header"):
        load_floret_vectors(bad)
    bad.write_text("\n".join(lines[:5000]), encoding="utf-8")
    with pytest.raises(FormatError, match="truncated"):
        load_floret_vectors(bad)
    with pytest.raises(ValueError, match="floret-mode vectors only"):
        FastTextKeyedVectors(8).save_floret_vectors(tmp_path / "x.floret")
    # a floret .bin whose hash count is damaged
    data = bytearray(floret_bin[0].read_bytes())
    data[8 + 12 * 4:8 + 13 * 4] = (9).to_bytes(4, "little")
    damaged = tmp_path / "damaged.bin"
    damaged.write_bytes(bytes(data))
    with pytest.raises(FormatError, match="header is corrupt"):
        load_facebook_vectors(damaged)
