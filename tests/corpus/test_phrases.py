"""Phrases: counts and scores by hand, gensim's results, connector words,
frozen models, files and bad input."""
import math

import pytest

from fastemb import FormatError
from fastemb.corpus.phrases import ENGLISH_CONNECTOR_WORDS, FrozenPhrases, Phraser, Phrases

SENTENCES = [
    ["new", "york", "is", "big"], ["i", "love", "new", "york"], ["new", "york", "new", "york"],
    ["york", "is", "old"], ["new", "ideas"], ["bank", "of", "america", "is", "a", "bank"],
    ["bank", "of", "america"], ["the", "bank", "of", "america", "rose"],
]


def test_counts_and_default_score_by_hand():
    model = Phrases(SENTENCES, min_count=1, threshold=0.1)
    words = [w for s in SENTENCES for w in s]
    pairs = [(a, b) for s in SENTENCES for a, b in zip(s, s[1:])]
    assert (words.count("new"), words.count("york"), pairs.count(("new", "york"))) == (5, 5, 4)
    assert model.len_vocab == len(set(words)) + len(set(pairs))
    expected = (4 - 1) / (5 * 5) * model.len_vocab
    assert model.export_phrases()["new_york"] == pytest.approx(expected)
    assert model[["i", "love", "new", "york", "today"]] == ["i", "love", "new_york", "today"]
    assert model.corpus_word_count == sum(len(s) for s in SENTENCES)


def test_npmi_score_by_hand():
    model = Phrases(SENTENCES, min_count=2, threshold=0.0, scoring="npmi")
    total = sum(len(s) for s in SENTENCES)
    pa, pb, pab = 5 / total, 5 / total, 4 / total
    expected = math.log(pab / (pa * pb)) / -math.log(pab)
    assert model.export_phrases()["new_york"] == pytest.approx(expected)


def test_connector_words_join_across():
    model = Phrases(SENTENCES, min_count=2, threshold=0.5,
                    connector_words=ENGLISH_CONNECTOR_WORDS)
    assert "bank_of_america" in model.export_phrases()
    assert model[["the", "bank", "of", "america", "is", "here"]] == \
        ["the", "bank_of_america", "is", "here"]
    # a connector never starts or ends a phrase
    assert all(not p.startswith(("of_", "the_")) for p in model.export_phrases())


def test_same_results_as_gensim(kjv_sentences):
    gensim_phrases = pytest.importorskip("gensim.models.phrases")
    for kwargs in (dict(min_count=5, threshold=10.0), dict(min_count=3, threshold=0.4,
                                                          scoring="npmi"),
                   dict(min_count=5, threshold=8.0, connector_words=ENGLISH_CONNECTOR_WORDS)):
        ours = Phrases(kjv_sentences, **kwargs)
        theirs = gensim_phrases.Phrases(kjv_sentences, **kwargs)
        exported, expected = ours.export_phrases(), theirs.export_phrases()
        assert exported.keys() == expected.keys() and len(exported) > 20
        assert all(exported[k] == pytest.approx(expected[k]) for k in exported)
        for sentence in kjv_sentences[:300]:
            assert ours[sentence] == theirs[sentence]


def test_add_vocab_in_parts_equals_one_pass(kjv_sentences):
    whole = Phrases(kjv_sentences[:3000], min_count=3, threshold=5.0)
    parts = Phrases(kjv_sentences[:1000], min_count=3, threshold=5.0)
    parts.add_vocab(kjv_sentences[1000:3000])
    assert parts.export_phrases() == whole.export_phrases()


def test_freeze_corpus_and_files(tmp_path, kjv_sentences):
    model = Phrases(kjv_sentences, min_count=5, threshold=10.0)
    frozen = model.freeze()
    assert Phraser is FrozenPhrases and frozen.phrasegrams == model.export_phrases()
    corpus = list(model[kjv_sentences[:200]])
    assert corpus == [frozen[s] for s in kjv_sentences[:200]]
    assert any("_" in w for s in corpus for w in s)
    model.save(tmp_path / "p.model")
    loaded = Phrases.load(tmp_path / "p.model")
    assert loaded.export_phrases() == model.export_phrases()
    frozen.save(tmp_path / "f.model")
    assert FrozenPhrases.load(tmp_path / "f.model").phrasegrams == frozen.phrasegrams
    with pytest.raises(FormatError, match="not a Phrases model"):
        Phrases.load(tmp_path / "f.model")


def test_max_vocab_size_prunes_rare_candidates(kjv_sentences):
    pruned = Phrases(kjv_sentences[:2000], min_count=5, max_vocab_size=5000)
    assert len(pruned._hashes) <= 5000 and pruned.min_reduce > 1
    full = Phrases(kjv_sentences[:2000], min_count=5)
    # frequent phrases survive pruning
    top = sorted(full.export_phrases(), key=lambda p: -full.export_phrases()[p])[:5]
    assert all(p in pruned.export_phrases() for p in top)


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="scoring"):
        Phrases(scoring="bogus")
    with pytest.raises(ValueError, match="npmi"):
        Phrases(scoring="npmi", threshold=5)
    with pytest.raises(ValueError, match="min_count"):
        Phrases(min_count=0)
    from fastemb import CorpusError
    with pytest.raises(CorpusError, match="list of str tokens"):
        Phrases(["a plain string", "another"])
    with pytest.raises(CorpusError, match="not a string"):
        Phrases(SENTENCES, min_count=1)["new york"]
    with pytest.raises(CorpusError, match="not a string"):
        list(Phrases(SENTENCES, min_count=1)[iter(["new york", "old york"])])


def test_vocab_and_pruning_count_words_and_phrases():
    model = Phrases(SENTENCES, min_count=1, threshold=0.1)
    vocab = model.vocab
    assert vocab["new"] == 5 and vocab["new_york"] == 4 and len(vocab) == model.len_vocab
    small = Phrases(SENTENCES, min_count=1, max_vocab_size=5)
    assert len(small.vocab) <= 5
    # what pruning kept still scores: every phrase's words are kept with it
    assert all(small.vocab.get(word, 0) > 0 for phrase in small.vocab
               for word in phrase.split("_") if "_" in phrase)


def test_corpora_of_any_iterables_and_bad_thresholds():
    model = Phrases(SENTENCES, min_count=1, threshold=0.1)
    generated = model[((w for w in s) for s in SENTENCES[:3])]
    assert list(generated)[2] == ["new_york", "new_york"]
    assert list(model[[[], []]]) == [[], []]
    assert list(model[(iter(()) for _ in range(2))]) == [[], []]
    with pytest.raises(ValueError, match="threshold must be > 0"):
        Phrases(SENTENCES, threshold=-1)


def constant_scorer(worda_count, wordb_count, bigram_count, len_vocab, min_count,
                    corpus_word_count):
    return 1.0


def test_a_custom_scoring_function_is_saved_by_name(tmp_path):
    import importlib
    import sys
    model = Phrases(SENTENCES, min_count=1, threshold=0.5, scoring=constant_scorer)
    model.save(tmp_path / "p.fe")
    loaded = Phrases.load(tmp_path / "p.fe")
    assert loaded.scoring is constant_scorer and loaded.export_phrases() == \
        model.export_phrases()
    frozen = model.freeze()
    frozen.save(tmp_path / "f.fe")
    assert FrozenPhrases.load(tmp_path / "f.fe").scoring is constant_scorer
    with pytest.raises(TypeError, match="top level of a module"):
        Phrases(SENTENCES, min_count=1, scoring=lambda *counts: 1.0).save(tmp_path / "x.fe")
    # a module that is not imported is never imported by loading
    (tmp_path / "my_scorers.py").write_text(
        "def score(worda_count, wordb_count, bigram_count, len_vocab, min_count,\n"
        "          corpus_word_count):\n    return 2.0\n")
    sys.path.insert(0, str(tmp_path))
    try:
        scorers = importlib.import_module("my_scorers")
        Phrases(SENTENCES, min_count=1, scoring=scorers.score).save(tmp_path / "m.fe")
        del sys.modules["my_scorers"]
        with pytest.raises(FormatError, match="import my_scorers before loading"):
            Phrases.load(tmp_path / "m.fe")
        assert "my_scorers" not in sys.modules
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("my_scorers", None)
