"""The parts of gensim 4.4's Word2Vec/KeyedVectors API that fastemb adds for
migrating users, checked against gensim itself on the same data where gensim
can answer, and on real text otherwise."""
import io
import logging

import numpy as np
import pytest

from fastemb import KeyedVectors, LineSentence, Word2Vec
from fastemb.corpus.vocab import RULE_DEFAULT, RULE_DISCARD, RULE_KEEP
from fastemb.errors import EmptyQueryError, ModelKindError, TruncatedFileError

gensim = pytest.importorskip("gensim")


@pytest.fixture(scope="module")
def model(kjv_sentences):
    return Word2Vec(kjv_sentences, vector_size=40, min_count=3, epochs=5, workers=2, seed=4)


@pytest.fixture(scope="module")
def twin(model):
    """gensim KeyedVectors holding exactly the model's vectors."""
    theirs = gensim.models.KeyedVectors(model.vector_size)
    theirs.add_vectors(model.wv.index_to_key, model.wv.vectors)
    for key, count in zip(model.wv.index_to_key, model.wv.counts):
        theirs.set_vecattr(key, "count", int(count))
    return theirs


# ------------------------------------------------------------------ vocabulary
def test_trim_rule_values_and_vocabulary_report_are_gensims(kjv_sentences):
    assert (RULE_DEFAULT, RULE_DISCARD, RULE_KEEP) == (
        gensim.utils.RULE_DEFAULT, gensim.utils.RULE_DISCARD, gensim.utils.RULE_KEEP)

    def rule(word, count, min_count):
        return gensim.utils.RULE_DISCARD if word == "lord" else \
            gensim.utils.RULE_KEEP if word == "zuzims" else gensim.utils.RULE_DEFAULT

    ours = Word2Vec(vector_size=10, min_count=3)
    theirs = gensim.models.Word2Vec(vector_size=10, min_count=3)
    assert ours.scan_vocab(kjv_sentences) == theirs.scan_vocab(kjv_sentences)
    # a dry run reports what gensim reports and changes nothing
    assert ours.prepare_vocab(dry_run=True, keep_raw_vocab=True) == \
        theirs.prepare_vocab(dry_run=True, keep_raw_vocab=True)
    assert len(ours.wv) == 0 and ours.raw_vocab == dict(theirs.raw_vocab)
    ours.build_vocab(kjv_sentences, trim_rule=rule)
    theirs.build_vocab(kjv_sentences, trim_rule=rule)
    assert "lord" not in ours.wv and "zuzims" in ours.wv
    assert set(ours.wv.index_to_key) == set(theirs.wv.index_to_key)


def test_max_vocab_size_prunes_exactly_like_gensim(kjv_sentences):
    for limit in (500, 3000):
        ours = Word2Vec(kjv_sentences[:3000], vector_size=10, min_count=1, max_vocab_size=limit,
                        epochs=1)
        theirs = gensim.models.Word2Vec(vector_size=10, min_count=1, max_vocab_size=limit)
        theirs.build_vocab(kjv_sentences[:3000])
        assert {k: int(ours.wv.get_vecattr(k, "count")) for k in ours.wv.index_to_key} == \
            {k: int(theirs.wv.get_vecattr(k, "count")) for k in theirs.wv.index_to_key}


def test_build_vocab_from_freq_then_train_on_a_corpus(kjv_sentences):
    from collections import Counter
    freq = Counter(w for s in kjv_sentences for w in s)
    model = Word2Vec(vector_size=20, min_count=5, workers=1, seed=2)
    model.build_vocab_from_freq(freq, corpus_count=len(kjv_sentences))
    assert model.wv.get_vecattr("lord", "count") == freq["lord"]
    assert len(model.wv) == sum(c >= 5 for c in freq.values())
    before = model.wv["lord"].copy()
    model.train(kjv_sentences, total_examples=len(kjv_sentences), epochs=1)
    assert not np.allclose(before, model.wv["lord"])
    model.build_vocab_from_freq({"selah": 9, "lord": 1}, update=True)
    assert model.wv.get_vecattr("lord", "count") == freq["lord"] + 1 and "selah" in model.wv


def test_null_word_is_added_as_gensim_adds_it(kjv_sentences):
    ours = Word2Vec(kjv_sentences[:500], min_count=3, null_word=1, epochs=1)
    theirs = gensim.models.Word2Vec(kjv_sentences[:500], min_count=3, null_word=1, epochs=1)
    assert ours.wv.index_to_key[-1] == theirs.wv.index_to_key[-1] == "\0"
    assert len(ours.wv) == len(theirs.wv) and ours.syn1neg.shape == theirs.syn1neg.shape
    plain = Word2Vec(kjv_sentences[:500], min_count=3, epochs=1)
    plain.add_null_word()
    assert plain.wv.index_to_key[-1] == "\0" and plain.syn1neg.shape[0] == len(plain.wv)


def test_reset_from_shares_the_vocabulary_and_starts_afresh(model, kjv_sentences):
    other = Word2Vec(vector_size=40, min_count=3, seed=4, workers=1)
    other.reset_from(model)
    assert other.wv.index_to_key == model.wv.index_to_key
    assert not np.allclose(other.wv.vectors, model.wv.vectors)
    other.train(kjv_sentences, total_examples=model.corpus_count, epochs=1)


# -------------------------------------------------------------------- training
def test_train_requires_and_checks_counts_like_gensim(kjv_sentences, caplog):
    model = Word2Vec(vector_size=10, min_count=3, workers=1)
    model.build_vocab(kjv_sentences[:2000])
    with pytest.raises(ValueError, match="total_examples or total_words"):
        model.train(kjv_sentences[:2000], epochs=1)
    with pytest.raises(ValueError, match="epochs"):
        model.train(kjv_sentences[:2000], total_examples=2000)
    with caplog.at_level(logging.WARNING, logger="fastemb.models.word2vec"):
        model.train(kjv_sentences[:2000], total_examples=1234, epochs=1)
    assert "supplied example count (1234) did not equal expected count (2000)" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="fastemb.models.word2vec"):
        model.train(kjv_sentences[:2000], total_examples=2000, epochs=1, start_alpha=0.05)
    assert "Effective 'alpha' higher than previous training cycles" in caplog.text


@pytest.mark.parametrize("sg, workers", [(1, 1), (0, 2), (1, 2)])
def test_locked_rows_stay_bit_identical_and_damped_rows_move_less(kjv_sentences, sg, workers):
    def train(damped_lockf):
        model = Word2Vec(vector_size=20, min_count=3, sg=sg, workers=workers, seed=5, epochs=2)
        model.build_vocab(kjv_sentences)
        start = model.wv.vectors.copy()
        model.wv.vectors_lockf = np.ones(len(model.wv), dtype=np.float32)
        model.wv.vectors_lockf[frozen] = 0.0
        model.wv.vectors_lockf[damped] = damped_lockf
        model.train(kjv_sentences, total_examples=model.corpus_count, epochs=model.epochs)
        return model, np.linalg.norm(model.wv.vectors - start, axis=1)

    frozen = [0, 1, 20, 300]
    damped = np.arange(3000, 3100)  # rare words: few updates, so damping shows
    model, moved = train(0.1)
    assert np.array_equal(model.wv.vectors[frozen], model._initial_vectors(len(model.wv))[frozen])
    assert (np.delete(moved, frozen) > 0).all()
    _, moved_freely = train(1.0)
    assert moved[damped].mean() < 0.5 * moved_freely[damped].mean()


def test_pretrained_vectors_via_intersect_word2vec_format(model, kjv_sentences, tmp_path):
    path = str(tmp_path / "pretrained.txt")
    model.wv.save_word2vec_format(path)
    fresh = Word2Vec(vector_size=40, min_count=10, workers=2, seed=9)
    fresh.build_vocab(kjv_sentences)
    assert fresh.wv.intersect_word2vec_format(path, lockf=0.0) == len(fresh.wv)
    fresh.wv.vectors_lockf[fresh.wv.key_to_index["moses"]] = 1.0  # this one may learn
    fresh.train(kjv_sentences, total_examples=fresh.corpus_count, epochs=1)
    for word in ("lord", "gold", "egypt"):
        assert np.allclose(fresh.wv[word], model.wv[word], atol=1e-7)
    assert not np.allclose(fresh.wv["moses"], model.wv["moses"])
    with pytest.raises(ValueError, match="dimension 40"):
        KeyedVectors(30).intersect_word2vec_format(path)


def test_lock_factors_and_extra_attributes_survive_save_and_load(model, tmp_path):
    kv = model.wv.vectors_for_all(model.wv.index_to_key[:50], copy_vecattrs=True)
    kv.set_vecattr("lord", "weight", 0.5)
    kv.expand_lockf()
    kv.vectors_lockf[3] = 0.0
    kv.save(str(tmp_path / "kv.fe"))
    loaded = KeyedVectors.load(str(tmp_path / "kv.fe"))
    assert loaded.get_vecattr("lord", "weight") == 0.5
    assert loaded.get_vecattr("lord", "count") == model.wv.get_vecattr("lord", "count")
    assert loaded.vectors_lockf[3] == 0.0 and loaded.vectors_lockf[4] == 1.0


# ------------------------------------------------------- using the output layer
def test_score_prefers_real_verses_to_shuffled_ones(kjv_sentences):
    rng = np.random.default_rng(0)
    held_out = [s for s in kjv_sentences[-300:] if len(s) > 5]
    shuffled = [list(rng.permutation(s)) for s in held_out]
    for sg in (0, 1):
        model = Word2Vec(kjv_sentences[:-300], vector_size=30, min_count=2, hs=1, negative=0,
                         sg=sg, epochs=5, workers=2, seed=1)
        real, fake = model.score(held_out), model.score(shuffled)
        assert real.shape == (len(held_out),) and np.isfinite(real).all() and (real < 0).all()
        assert (real > fake).mean() > 0.7
    with pytest.raises(RuntimeError, match="hierarchical softmax"):
        Word2Vec(kjv_sentences[:100], min_count=1, epochs=1).score(held_out)


def test_predict_output_word_knows_the_phrases_of_the_text(model):
    predicted = [w for w, _ in model.predict_output_word(["children", "of"], topn=5)]
    assert "israel" in predicted
    probabilities = [p for _, p in model.predict_output_word(["the", "lord"], topn=len(model.wv))]
    assert abs(sum(probabilities) - 1.0) < 1e-6
    assert model.predict_output_word(["zzz", "qqq"]) is None


# ------------------------------------------------------------------- queries
def test_queries_match_gensim_on_the_same_vectors(model, twin):
    ours = model.wv
    keys = ["lord", "moses", "gold", "nonexistent_word"]
    assert np.allclose(ours.get_mean_vector(keys, weights=[1, 2, 3, 4]),
                       twin.get_mean_vector(keys, weights=[1, 2, 3, 4]), atol=1e-6)
    assert np.allclose(ours.get_mean_vector(keys[:3], pre_normalize=False, post_normalize=True),
                       twin.get_mean_vector(keys[:3], pre_normalize=False, post_normalize=True),
                       atol=1e-6)
    assert ours.most_similar_to_given("gold", ["silver", "sheep", "moses"]) == \
        twin.most_similar_to_given("gold", ["silver", "sheep", "moses"])
    assert ours.relative_cosine_similarity("gold", "silver") == pytest.approx(
        twin.relative_cosine_similarity("gold", "silver"), abs=1e-5)
    ranked, expected = ours.rank_by_centrality(["gold", "silver", "brass", "sheep"]), \
        twin.rank_by_centrality(["gold", "silver", "brass", "sheep"])
    assert [w for _, w in ranked] == [w for _, w in expected]
    mine, expected = ours.most_similar(ours.vectors[:3], topn=5), \
        twin.most_similar(twin.vectors[:3], topn=5)
    assert [w for w, _ in mine] == [w for w, _ in expected]
    assert [s for _, s in mine] == pytest.approx([s for _, s in expected], abs=1e-5)
    assert ours.distance("lord", "lord") == 0.0
    with pytest.raises(EmptyQueryError):
        ours.n_similarity([], ["lord"])
    with pytest.raises(ZeroDivisionError):  # gensim's exception type
        ours.n_similarity(["lord"], [])


def test_adding_and_replacing_vectors_follows_gensim(model):
    kv = model.wv.vectors_for_all(["lord", "moses", "gold", "not_a_word"])
    assert kv.index_to_key == ["lord", "moses", "gold"]
    old = kv["lord"].copy()
    kv.add_vectors(["lord", "new"], np.ones((2, 40)))
    assert np.array_equal(kv["lord"], old) and np.array_equal(kv["new"], np.ones(40))
    kv.add_vectors(["lord"], np.zeros((1, 40)), replace=True)
    assert not kv["lord"].any()
    kv["gold"] = np.full(40, 2.0)
    kv[["x", "y"]] = np.eye(2, 40)
    assert kv["gold"][0] == 2.0 and kv["y"][1] == 1.0 and len(kv) == 6
    assert kv.vectors.dtype == np.float32
    kv.set_vecattr("x", "count", 1000)
    kv.sort_by_descending_frequency()
    assert kv.index_to_key[0] == "x" and np.array_equal(kv["x"], np.eye(2, 40)[0])
    slots = KeyedVectors(40, count=2)
    assert slots.add_vector("a", np.ones(40)) == 0 and slots.add_vector("b", np.ones(40)) == 1
    with pytest.warns(UserWarning, match="batches"):
        assert slots.add_vector("c", np.ones(40)) == 2


def test_wmdistance_without_pot_agrees_with_pot(model, monkeypatch):
    pytest.importorskip("ot")
    import builtins
    first, second = ["moses", "spake", "unto", "israel"], ["aaron", "said", "to", "the", "people"]
    with_pot = model.wv.wmdistance(first, second)
    real_import = builtins.__import__

    def no_pot(name, *args, **kwargs):
        if name == "ot":
            raise ImportError("no POT")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pot)
    assert model.wv.wmdistance(first, second) == pytest.approx(with_pot, rel=1e-6)
    assert model.wv.wmdistance(first, first) == 0.0
    assert model.wv.wmdistance(first, ["zzz"]) == float("inf")


# ----------------------------------------------------------- files and errors
def test_gensims_exception_types_are_raised(model, tmp_path, kjv_sentences):
    path = tmp_path / "short.txt"
    model.wv.save_word2vec_format(str(path))
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])
    with pytest.raises(EOFError):
        KeyedVectors.load_word2vec_format(str(path))
    with pytest.raises(TruncatedFileError, match="truncated"):
        KeyedVectors.load_word2vec_format(str(path))
    with pytest.raises(RuntimeError, match="min_count"):  # gensim raises RuntimeError here
        Word2Vec(kjv_sentences[:10], min_count=10 ** 6)
    model.wv.save(str(tmp_path / "kv.fe"))
    with pytest.raises(AttributeError):  # gensim: AttributeError for the wrong kind
        Word2Vec.load(str(tmp_path / "kv.fe"))
    with pytest.raises(ModelKindError, match="KeyedVectors"):
        Word2Vec.load(str(tmp_path / "kv.fe"))
    with pytest.raises(AttributeError, match="on the class"):
        Word2Vec().load(str(tmp_path / "kv.fe"))


def test_save_word2vec_format_options(model, tmp_path):
    kv = model.wv.vectors_for_all(["lord", "moses", "gold"], copy_vecattrs=True)
    path, vocab = str(tmp_path / "v.txt"), str(tmp_path / "vocab.txt")
    kv.save_word2vec_format(path, fvocab=vocab, prefix="w_", total_vec=6)
    kv.save_word2vec_format(path, prefix="d_", write_header=False, append=True)
    lines = open(path, encoding="utf-8").read().splitlines()
    assert lines[0] == "6 40" and len(lines) == 7 and lines[4].startswith("d_lord ")
    counts = dict(line.split() for line in open(vocab, encoding="utf-8"))
    assert counts["w_lord"] == str(model.wv.get_vecattr("lord", "count"))
    loaded = KeyedVectors.load_word2vec_format(path)
    assert np.allclose(loaded["d_gold"], kv["gold"])


def test_line_sentence_reads_open_files(kjv_file):
    expected = list(LineSentence(kjv_file))[:50]
    with open(kjv_file, "rb") as handle:
        corpus = LineSentence(handle)
        assert list(corpus)[:50] == expected
        assert list(corpus)[:50] == expected  # rewound for a second pass
    with open(kjv_file, encoding="utf-8") as handle:
        assert list(LineSentence(handle))[:50] == expected
    assert list(LineSentence(io.BytesIO(b"a b\nc\n"))) == [["a", "b"], ["c"]]
