"""FastText: subword n-grams and hashing, training in every mode, unseen
words, reproducibility, native files and bad input."""
import numpy as np
import pytest

from fastemb import (
    FastText,
    FastTextKeyedVectors,
    KeyedVectors,
    VocabularyError,
    Word2Vec,
    _subwords,
)
from fastemb.errors import FormatError, UnknownKeyError
from fastemb.vectors.subword import char_ngrams, ngram_buckets

from conftest import assert_gensim_signature, category_margin

SMALL = dict(vector_size=40, min_count=3, epochs=4, bucket=50000, seed=5)


def fnv1a_by_definition(data):
    """fastText's hash written out from its definition: FNV-1a 32-bit where
    each byte is first sign-extended to 32 bits (C++ ``char`` is signed)."""
    h = 2166136261
    for byte in data:
        signed = byte - 256 if byte >= 128 else byte
        h = ((h ^ (signed & 0xFFFFFFFF)) * 16777619) & 0xFFFFFFFF
    return h


@pytest.fixture(scope="module")
def trained_ft(kjv_sentences):
    return FastText(kjv_sentences, sg=1, workers=2, **SMALL)


def test_char_ngrams_follow_fasttext_rules():
    assert char_ngrams("where", 3, 3) == ["<wh", "whe", "her", "ere", "re>"]
    # characters, not bytes; single '<' or '>' never counts
    assert char_ngrams("né", 1, 2) == ["<n", "n", "né", "é", "é>"]
    assert char_ngrams("ab", 5, 6) == []


@pytest.mark.parametrize("word", ["where", "naïve", "straße", "北京大学", "ñandú", "a"])
def test_bucket_hashes_match_the_definition(word):
    grams = char_ngrams(word, 3, 6)
    expected = [fnv1a_by_definition(g.encode("utf-8")) % 2000000 for g in grams]
    offsets, buckets = ngram_buckets([word], 3, 6, 2000000)
    assert list(buckets) == expected
    assert list(offsets) == [0, len(expected)]
    assert _subwords.ngram_hash("né>".encode()) == fnv1a_by_definition("né>".encode())


def test_bucket_hashes_match_fasttext(tmp_path, kjv_sentences):
    fasttext = pytest.importorskip("fasttext")
    extra = "naïve café über straße 北京大学 日本語 ñandú"
    corpus = tmp_path / "c.txt"
    corpus.write_text("\n".join(" ".join(s) for s in kjv_sentences[:500]) + f"\n{extra}\n",
                      encoding="utf-8")
    ft = fasttext.train_unsupervised(str(corpus), dim=8, epoch=1, minCount=1, bucket=30011,
                                     minn=2, maxn=5, thread=1, verbose=0)
    words = extra.split() + ["lord", "unseenword", "é"]
    offsets, buckets = ngram_buckets(words, 2, 5, 30011)
    for i, word in enumerate(words):
        subwords, ids = ft.get_subwords(word)
        theirs = [int(x) - len(ft.words) for x in ids if x >= len(ft.words)]
        assert list(buckets[offsets[i]:offsets[i + 1]]) == theirs, word


@pytest.mark.parametrize("sg,hs,negative", [(1, 0, 5), (0, 0, 5), (1, 1, 0), (0, 1, 0)])
def test_every_mode_learns_structure(kjv_sentences, sg, hs, negative):
    model = FastText(kjv_sentences, sg=sg, hs=hs, negative=negative, workers=2, **SMALL)
    assert category_margin(model.wv) > 0.15
    assert len(model.loss_history) == SMALL["epochs"]
    assert all(np.isfinite(model.loss_history)) and model.loss_history[-1] > 0
    # per-prediction loss falls as training goes on
    per_prediction = [s["loss"] / s["predictions"] for s in model.train_stats]
    assert per_prediction[-1] < per_prediction[0]


def test_unseen_words_get_vectors_from_their_ngrams(trained_ft):
    wv = trained_ft.wv
    assert "brotherz" not in wv.key_to_index and "brotherz" in wv
    neighbours = [w for w, _ in wv.most_similar("brotherz", topn=5)]
    assert "brother" in neighbours
    # the unseen vector is the mean of its n-gram rows
    _, buckets = ngram_buckets(["brotherz"], wv.min_n, wv.max_n, wv.bucket)
    assert np.allclose(wv["brotherz"], wv.ngram_rows(buckets).mean(axis=0), atol=1e-6)
    assert wv.similarity("brotherz", "brother") > wv.similarity("brotherz", "gold")
    assert wv["brotherz", "brother"].shape == (2, wv.vector_size)
    assert wv.n_similarity(["brotherz"], ["sisterz"]) > 0


def test_vocabulary_vector_is_mean_of_word_and_ngram_rows(trained_ft):
    wv = trained_ft.wv
    offsets, rows = wv.input_lists()
    index = wv.key_to_index["brethren"]
    listed = rows[offsets[index]:offsets[index + 1]]
    assert listed[0] == index and len(listed) == 1 + len(char_ngrams("brethren", 3, 6))
    assert np.allclose(wv["brethren"], wv.input_matrix[listed].mean(axis=0), atol=1e-6)


def test_only_used_buckets_are_stored_and_the_rest_recomputed(trained_ft):
    wv = trained_ft.wv
    used = np.flatnonzero(wv.bucket_rows >= 0)
    assert len(used) == wv.n_stored_ngrams < wv.bucket
    # gensim's view of them: the whole table, the unused rows recomputed
    table = wv.vectors_ngrams
    assert table.shape == (wv.bucket, wv.vector_size) and not table.flags.writeable
    assert np.array_equal(table[used], wv.ngram_rows(used))
    assert np.array_equal(table[used], wv.input_matrix[wv.ngram_offset + wv.bucket_rows[used]])
    assert wv.vectors_vocab.shape == (len(wv), wv.vector_size)
    unused = np.flatnonzero(wv.bucket_rows < 0)[:5]
    expected = _subwords.hashed_uniform_rows(unused.astype(np.int64), wv.vector_size, wv.seed,
                                             1, 1.0 / wv.vector_size)
    assert np.array_equal(wv.ngram_rows(unused), expected)
    assert np.abs(expected).max() <= 1.0 / wv.vector_size


def test_memory_estimate_names_what_training_holds(kjv_sentences):
    model = FastText(sg=1, hs=1, negative=5, vector_size=12, min_count=3, bucket=20000)
    model.build_vocab(kjv_sentences[:3000])
    report = model.estimate_memory()
    wv, row = model.wv, 12 * 4
    assert report["syn0_vocab"] == report["syn1"] == report["syn1neg"] == len(wv) * row
    assert report["syn0_ngrams"] == wv.n_stored_ngrams * row < wv.bucket * row
    offsets, rows = wv.input_lists()
    assert report["buckets_word"] == offsets.nbytes + rows.nbytes
    arrays = sum(a.nbytes for a in (wv.vectors, wv.input_matrix, model.syn1, model.syn1neg,
                                    offsets, rows))
    assert arrays <= report["total"] < 1.5 * arrays + report["vocab"] + report["corpus"]
    assert report["total"] == sum(v for k, v in report.items() if k != "total")


def test_lock_factors_freeze_ngram_or_word_rows(tmp_path, kjv_sentences):
    corpus = kjv_sentences[:2000]
    model = FastText(vector_size=12, min_count=2, epochs=1, bucket=3000, workers=1, seed=2)
    model.build_vocab(corpus)
    wv = model.wv
    assert wv.vectors_ngrams_lockf.shape == (1,) and wv.vectors_vocab_lockf is wv.vectors_lockf
    ngrams, own = wv.vectors_ngrams.copy(), wv.vectors_vocab.copy()
    wv.vectors_ngrams_lockf = np.zeros(1, np.float32)  # gensim's way to train words only
    model.train(corpus, total_examples=len(corpus), epochs=1)
    assert np.array_equal(wv.vectors_ngrams, ngrams)
    assert not np.array_equal(wv.vectors_vocab, own)
    # one factor a bucket: only the buckets left at 1.0 move
    lockf = np.zeros(wv.bucket, np.float32)
    _, lord = wv.subword_buckets(["lord"])
    lockf[lord] = 1.0
    wv.vectors_ngrams_lockf = lockf
    wv.vectors_vocab_lockf = np.zeros(1, np.float32)
    own = wv.vectors_vocab.copy()
    model.train(corpus, total_examples=len(corpus), epochs=1)
    moved = np.flatnonzero((wv.vectors_ngrams != ngrams).any(axis=1))
    assert len(moved) and np.isin(moved, lord).all()
    assert np.array_equal(wv.vectors_vocab, own)
    path = str(tmp_path / "locked.fe")
    model.save(path)
    assert np.array_equal(FastText.load(path).wv.vectors_ngrams_lockf, lockf)
    wv.vectors_ngrams_lockf = np.ones(7, np.float32)
    with pytest.raises(ValueError, match="vectors_ngrams_lockf has 7 entries for 3000 buckets"):
        model.train(corpus, total_examples=len(corpus), epochs=1)


def test_word_without_ngrams_is_zeros_and_no_query(kjv_sentences, caplog):
    model = FastText(kjv_sentences[:2000], min_n=5, max_n=6, vector_size=20, min_count=2,
                     epochs=1, bucket=1000, workers=1)
    assert "ab" not in model.wv
    # fastText and gensim answer zeros for a word too short for any n-gram
    with caplog.at_level("WARNING"):
        assert np.array_equal(model.wv["ab"], np.zeros(20, np.float32))
    assert "no character n-gram of length 5-6" in caplog.text
    with pytest.raises(KeyError, match="no character n-gram of length 5-6"):
        model.wv.most_similar("ab")
    plain = FastText(kjv_sentences[:2000], max_n=0, vector_size=20, min_count=2, epochs=1,
                     bucket=1000, workers=1)
    with pytest.raises(UnknownKeyError, match="no character n-grams"):
        plain.wv["ab"]


def test_disabled_ngrams_behave_like_word2vec(kjv_sentences):
    model = FastText(kjv_sentences[:3000], max_n=0, vector_size=20, min_count=2, epochs=2,
                     workers=1)
    assert not model.uses_subwords
    assert model.wv.input_matrix.shape == (len(model.wv), 20)
    assert np.array_equal(model.wv.vectors, model.wv.input_matrix)
    assert "qqqq" not in model.wv
    with pytest.raises(KeyError):
        model.wv["qqqq"]


def test_seed_and_one_worker_reproduce(kjv_sentences):
    part = kjv_sentences[:3000]
    params = dict(vector_size=20, min_count=2, epochs=2, bucket=20000, workers=1, sg=1)
    a = FastText(part, seed=7, **params)
    b = FastText(part, seed=7, **params)
    c = FastText(part, seed=8, **params)
    assert np.array_equal(a.wv.input_matrix, b.wv.input_matrix)
    assert np.array_equal(a.wv["unseenish"], b.wv["unseenish"])
    assert not np.array_equal(a.wv.input_matrix, c.wv.input_matrix)


def test_native_save_load_and_continue(tmp_path, trained_ft, kjv_sentences):
    path = tmp_path / "ft.model"
    trained_ft.save(path)
    loaded = FastText.load(path)
    assert isinstance(loaded.wv, FastTextKeyedVectors)
    for word in ("brethren", "brotherz", "unknownish"):
        assert np.array_equal(loaded.wv[word], trained_ft.wv[word])
    assert (loaded.min_n, loaded.max_n, loaded.bucket) == (3, 6, SMALL["bucket"])
    mapped = FastText.load(path, mmap="r")
    assert np.array_equal(mapped.wv["brotherz"], trained_ft.wv["brotherz"])
    before = mapped.wv["brethren"].copy()
    mapped.train(kjv_sentences[:2000], total_examples=2000, epochs=1)
    assert mapped.epochs_trained == trained_ft.epochs_trained + 1
    assert not np.array_equal(mapped.wv["brethren"], before)
    # the vectors alone keep unseen-word lookups
    kv = KeyedVectors.load(path)
    assert isinstance(kv, FastTextKeyedVectors)
    assert np.array_equal(kv["brotherz"], trained_ft.wv["brotherz"])
    trained_ft.wv.save(tmp_path / "wv.kv")
    assert np.array_equal(KeyedVectors.load(tmp_path / "wv.kv")["brotherz"],
                          trained_ft.wv["brotherz"])


def test_wrong_model_class_is_refused(tmp_path, trained_ft, kjv_sentences):
    trained_ft.save(tmp_path / "ft.model")
    with pytest.raises(FormatError, match="holds a FastText file, not a Word2Vec model"):
        Word2Vec.load(tmp_path / "ft.model")
    Word2Vec(kjv_sentences[:500], min_count=2, epochs=1, vector_size=10).save(tmp_path / "w.m")
    with pytest.raises(FormatError, match="not a FastText model"):
        FastText.load(tmp_path / "w.m")


def test_gensim_reads_the_vec_output(tmp_path, trained_ft):
    gensim = pytest.importorskip("gensim")
    trained_ft.wv.save_word2vec_format(str(tmp_path / "v.vec"))
    theirs = gensim.models.KeyedVectors.load_word2vec_format(str(tmp_path / "v.vec"))
    assert len(theirs) == len(trained_ft.wv)
    assert np.allclose(theirs["brethren"], trained_ft.wv["brethren"], atol=1e-5)


def test_gensim_names_and_defaults():
    gensim = pytest.importorskip("gensim")
    assert_gensim_signature(FastText, gensim.models.FastText, skip=("hashfxn",))


@pytest.mark.parametrize("kwargs,message", [
    ({"min_n": 0}, "min_n"), ({"bucket": -1}, "bucket"), ({"word_ngrams": 2}, "word_ngrams"),
    ({"max_n": 2.5}, "max_n"), ({"vector_size": 0}, "vector_size"),
])
def test_bad_parameters_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        FastText(**kwargs)


def test_empty_corpus_is_a_clear_error():
    with pytest.raises(VocabularyError, match="empty"):
        FastText([[], []], min_count=1)
    with pytest.raises(VocabularyError, match="min_count"):
        FastText([["a", "b"]], min_count=5)


def test_queries_answer_for_words_unseen_in_training():
    """gensim's Lee corpus has none of these four words; gensim's FastText
    still tells which one does not fit, from the n-grams, and so must we."""
    gensim = pytest.importorskip("gensim")
    from gensim.test.utils import datapath
    from gensim.utils import simple_preprocess
    with open(datapath("lee_background.cor"), encoding="utf-8") as handle:
        sentences = [simple_preprocess(line) for line in handle]
    words = ["breakfast", "cereal", "dinner", "lunch"]
    ours = FastText(sentences, workers=1, seed=1)
    peer = gensim.models.FastText(sentences, workers=1, seed=1)
    assert not any(w in ours.wv.key_to_index for w in words)
    assert ours.wv.doesnt_match(words) == peer.wv.doesnt_match(words) == "lunch"
    # rank and closer_than: unseen on either side, counted over the vocabulary
    closer = ours.wv.closer_than("dinner", "lunch")
    assert ours.wv.rank("dinner", "lunch") == len(closer) + 1
    scores = [ours.wv.similarity("dinner", w) for w in closer[:20]]
    assert min(scores) > ours.wv.similarity("dinner", "lunch")
    assert ours.wv.rank(ours.wv.index_to_key[0], "lunch") >= 1
    batch = ours.wv.most_similar_batch(["dinner", ours.wv.index_to_key[5]], topn=3)
    assert [w for w, _ in batch[0]] == [w for w, _ in ours.wv.most_similar("dinner", topn=3)]
    assert ours.wv.index_to_key[5] not in [w for w, _ in batch[1]]
