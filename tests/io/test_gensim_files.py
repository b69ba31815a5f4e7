"""gensim's pickled models are read as data only: old and new files give
gensim's own vectors, and a pickle that names code is refused unrun."""
import glob
import os
import pickle
import subprocess
import sys

import numpy as np
import pytest

from fastemb import Doc2Vec, FastText, FormatError, KeyedVectors, Word2Vec
from fastemb.cli import main
from fastemb.io.gensim_pickle import attr, read_gensim
from fastemb.models.gensim_models import load_gensim

gensim = pytest.importorskip("gensim")
DATA = os.path.join(os.path.dirname(gensim.__file__), "test", "test_data")


class _RunsCode:
    """Pickles to a call of os.system, as a malicious model file would."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


@pytest.mark.parametrize("name", ["word2vec_old", "model-from-gensim-3.8.0.w2v",
                                  "old_keyedvectors_320.dat"]
                         + [os.path.join("old_w2v_models", f"w2v_{v}.mdl")
                            for v in ("0.13.4", "1.0.1", "2.3.0", "3.4.0")])
def test_old_gensim_files_give_gensim_vectors(name):
    path = os.path.join(DATA, name)
    ours = load_gensim(path)
    theirs = (gensim.models.KeyedVectors.load(path) if "keyedvectors" in name
              else gensim.models.Word2Vec.load(path).wv)
    wv = getattr(ours, "wv", ours)
    assert wv.index_to_key == list(theirs.index_to_key)
    assert np.array_equal(wv.vectors, theirs.vectors)
    assert [wv.get_vecattr(k, "count") for k in wv.index_to_key] == \
        [theirs.get_vecattr(k, "count") for k in theirs.index_to_key]


def test_files_gensim_4_no_longer_reads_still_load():
    for path in sorted(glob.glob(os.path.join(DATA, "old_w2v_models", "w2v_0.12.*.mdl"))):
        model = load_gensim(path)
        assert isinstance(model, Word2Vec) and len(model.wv) == 3
        assert np.isfinite(model.wv.vectors).all()


def test_gensim_4_model_with_sidecars_trains_on(tmp_path, kjv_sentences):
    theirs = gensim.models.Word2Vec(kjv_sentences[:2000], vector_size=16, min_count=3, sg=1,
                                    epochs=2, workers=1, seed=2)
    path = str(tmp_path / "g4.model")
    theirs.save(path, sep_limit=0)  # every array in a .npy beside the pickle
    assert glob.glob(path + ".*.npy")
    ours = load_gensim(path)
    assert (ours.sg, ours.vector_size, ours.window) == (1, 16, theirs.window)
    assert np.array_equal(ours.wv.vectors, theirs.wv.vectors)
    assert np.array_equal(ours.syn1neg, theirs.syn1neg)
    assert [w for w, _ in ours.wv.most_similar("god", topn=3)] == \
        [w for w, _ in theirs.wv.most_similar("god", topn=3)]
    ours.train(kjv_sentences[:500], total_examples=500, epochs=1)
    assert np.isfinite(ours.wv.vectors).all()
    mapped = load_gensim(path, mmap="r")
    assert np.array_equal(mapped.wv.vectors, theirs.wv.vectors)
    theirs.wv.save(str(tmp_path / "g4.kv"))
    kv = load_gensim(str(tmp_path / "g4.kv"))
    assert isinstance(kv, KeyedVectors) and kv.index_to_key == theirs.wv.index_to_key


def test_malicious_pickle_is_refused_and_runs_nothing(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.model"
    path.write_bytes(pickle.dumps({"wv": _RunsCode(str(marker))}, protocol=2))
    with pytest.raises(FormatError, match=r"refusing to load (posix|os)\.system"):
        load_gensim(str(path))
    assert not marker.exists()
    # the same file through the CLI: one clear line, nothing run
    assert main(["convert", str(path), str(tmp_path / "out.vec"), "--to", "word2vec"]) == 2
    assert not marker.exists()
    for payload in (b"\x80\x02cbuiltins\neval\nq\x00X\x04\x00\x00\x001+1q\x01\x85q\x02Rq\x03.",
                    b"\x80\x02csubprocess\nPopen\nq\x00."):
        path.write_bytes(payload)
        with pytest.raises(FormatError, match="refusing to load"):
            load_gensim(str(path))


def test_missing_sidecar_and_other_files_are_clear(tmp_path, kjv_sentences):
    theirs = gensim.models.Word2Vec(kjv_sentences[:300], vector_size=8, min_count=2, epochs=1)
    path = str(tmp_path / "g.model")
    theirs.save(path, sep_limit=0)
    os.remove(path + ".wv.vectors.npy")
    with pytest.raises(FormatError, match="missing"):
        load_gensim(path)
    text = tmp_path / "plain.txt"
    text.write_text("not a pickle")
    with pytest.raises(FormatError, match="not a gensim model file"):
        load_gensim(str(text))
    truncated = tmp_path / "cut.model"
    truncated.write_bytes(open(os.path.join(DATA, "word2vec_old"), "rb").read()[:500])
    with pytest.raises(FormatError):
        load_gensim(str(truncated))


def test_cli_converts_a_gensim_model_to_a_fastemb_model(tmp_path):
    import fastemb
    out = str(tmp_path / "converted.model")
    assert main(["convert", os.path.join(DATA, "model-from-gensim-3.8.0.w2v"), out,
                 "--to", "native"]) == 0
    model = Word2Vec.load(out)
    theirs = gensim.models.Word2Vec.load(os.path.join(DATA, "model-from-gensim-3.8.0.w2v"))
    assert np.array_equal(model.wv.vectors, theirs.wv.vectors)
    # no gensim import was needed to read it
    code = ("import sys; sys.modules['gensim'] = None; from fastemb.models.gensim_models import "
            f"load_gensim; print(len(load_gensim({os.path.join(DATA, 'word2vec_old')!r}).wv))")
    # the subprocess imports the fastemb these tests import (installed or in place)
    package_root = os.path.dirname(os.path.dirname(os.path.abspath(fastemb.__file__)))
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env={**os.environ, "PYTHONPATH": package_root}, cwd=str(tmp_path))
    assert result.returncode == 0 and result.stdout.strip() == "12"


def test_gensim_fasttext_model_answers_every_word_as_gensim_and_trains_on(tmp_path,
                                                                         kjv_sentences):
    theirs = gensim.models.FastText(kjv_sentences[:2000], vector_size=16, min_count=3, sg=1,
                                    epochs=2, workers=1, bucket=5000)
    path = str(tmp_path / "ft.model")
    theirs.save(path)
    ours = FastText.load(path)  # FastText.load reads gensim pickles too
    assert isinstance(ours, FastText) and (ours.sg, ours.wv.bucket) == (1, 5000)
    for word in ("lord", "moses", "lordship", "unseenish", "égypte"):
        assert np.allclose(ours.wv[word], theirs.wv[word], atol=1e-6), word
    assert np.array_equal(ours.syn1neg, theirs.syn1neg)
    ours.train(kjv_sentences[2000:3000], total_examples=1000, epochs=1)
    with pytest.raises(FormatError, match="before 3.6"):
        load_gensim(os.path.join(DATA, "fasttext_old"))
    with pytest.raises(FormatError, match="wrappers.fasttext"):
        load_gensim(os.path.join(DATA, "ft_model_2.3.0"))


def test_gensim_3_7_fasttext_with_only_its_used_buckets(kjv_sentences):
    path = os.path.join(DATA, "compatible-hash-true.model")
    record = read_gensim(path)
    wv = attr(record, "wv")
    ours = FastText.load(path)
    assert ours.wv.compatible_hash and ours.wv.vectors_ngrams.shape == (100, 5)
    # gensim 3.7 saved each word's vector: ours are built from the mapped rows
    saved = np.asarray(attr(wv, "vectors"))
    assert np.allclose(ours.wv.vectors, saved[:len(ours.wv)], atol=1e-6)
    # an unseen word: gensim 3's mean of the stored n-grams, in direction
    hash2index, rows = attr(wv, "hash2index"), np.asarray(attr(wv, "vectors_ngrams"))
    _, buckets = ours.wv.subword_buckets(["humanity"])
    known = [rows[hash2index[b]] for b in buckets if b in hash2index]
    assert known
    expected = np.mean(known, axis=0)
    got = ours.wv["humanity"]
    assert np.dot(got, expected) / np.linalg.norm(got) / np.linalg.norm(expected) > 0.9999
    ours.train(kjv_sentences[:200], total_examples=200, epochs=1)
    assert np.isfinite(ours.wv.vectors).all()


@pytest.mark.parametrize("dm", [0, 1])
def test_gensim_doc2vec_model_gives_gensim_vectors_and_infers(tmp_path, kjv_sentences, dm):
    documents = [gensim.models.doc2vec.TaggedDocument(words, [f"verse{i}"])
                 for i, words in enumerate(kjv_sentences[:1500])]
    documents[0] = gensim.models.doc2vec.TaggedDocument(kjv_sentences[0], ["verse0", 7])
    theirs = gensim.models.Doc2Vec(documents, vector_size=16, min_count=2, dm=dm, epochs=20,
                                   workers=1)
    path = str(tmp_path / "d2v.model")
    theirs.save(path)
    ours = Doc2Vec.load(path)
    assert ours.dm == dm and list(ours.dv.index_to_key) == list(theirs.dv.index_to_key)
    assert np.array_equal(ours.dv.vectors, theirs.dv.vectors)
    assert np.array_equal(ours.wv.vectors, theirs.wv.vectors)
    # a verse's inferred vector lands next to its trained one, as gensim's own does
    inferred = ours.infer_vector(kjv_sentences[10], epochs=50)
    assert "verse10" in [t for t, _ in ours.dv.most_similar([inferred], topn=10)]


def test_every_old_gensim_doc2vec_file_loads():
    paths = sorted(glob.glob(os.path.join(DATA, "old_d2v_models", "*.mdl")))
    assert len(paths) >= 20
    for path in paths + [os.path.join(DATA, "doc2vec_old")]:
        model = load_gensim(path)
        assert isinstance(model, Doc2Vec) and len(model.dv) >= 2, path
        try:
            theirs = gensim.models.Doc2Vec.load(path)
        except (AttributeError, ImportError):
            continue  # gensim 4 itself no longer reads this one
        assert model.dv.index_to_key == list(theirs.dv.index_to_key), path
        assert np.array_equal(model.dv.vectors, theirs.dv.vectors), path


def test_gensim_phrase_models_answer_as_gensim(tmp_path):
    from gensim.models.phrases import FrozenPhrases as GensimFrozen
    from gensim.models.phrases import Phrases as GensimPhrases

    from fastemb.corpus.phrases import FrozenPhrases, Phrases
    sentences = [["graph", "minors", "survey"], ["human", "interface", "graph", "minors"],
                 ["graph", "minors", "trees"], ["human", "interface"]] * 3
    for saved in ("phrases-3.6.0.model", "phrases-scoring-str.pkl"):
        ours, theirs = Phrases.load(os.path.join(DATA, saved)), \
            GensimPhrases.load(os.path.join(DATA, saved))
        assert ours.find_phrases(sentences) == pytest.approx(theirs.find_phrases(sentences))
        assert ours[["trees", "graph", "minors"]] == theirs[["trees", "graph", "minors"]]
    # gensim 4 files, both kinds, and the model fastemb saves back
    model = GensimPhrases(sentences, min_count=1, threshold=0.5)
    model.save(str(tmp_path / "p.pkl"))
    model.freeze().save(str(tmp_path / "f.pkl"))
    ours = load_gensim(tmp_path / "p.pkl")
    assert isinstance(ours, Phrases) and ours.vocab == dict(model.vocab)
    assert ours.export_phrases() == pytest.approx(model.export_phrases())
    frozen = FrozenPhrases.load(tmp_path / "f.pkl")
    assert frozen.phrasegrams == pytest.approx(GensimFrozen(model).phrasegrams)
    ours.save(tmp_path / "ours.fe")
    assert Phrases.load(tmp_path / "ours.fe").export_phrases() == ours.export_phrases()
    with pytest.raises(FormatError, match="not a Phrases"):
        Phrases.load(tmp_path / "f.pkl")
