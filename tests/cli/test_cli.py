"""The command line, in-process and as ``python -m fastemb``."""
import os
import subprocess
import sys

import pytest

import fastemb
from fastemb import KeyedVectors
from fastemb.cli import ProgressBar, main

# subprocesses import the same fastemb as these tests, from an empty folder
SUBPROCESS_ENV = {**os.environ,
                  "PYTHONPATH": os.path.dirname(os.path.dirname(os.path.abspath(fastemb.__file__)))}


def test_train_similar_evaluate_convert(tmp_path, kjv_file, capsys):
    out = str(tmp_path / "vectors.bin")
    assert main(["train", kjv_file, "-o", out, "--min-count", "3", "--epochs", "2",
                 "--vector-size", "40", "--workers", "2"]) == 0
    err = capsys.readouterr().err
    assert "vocabulary:" in err and "saved word2vec-binary" in err
    kv = KeyedVectors.load_word2vec_format(out, binary=True)
    assert kv.vector_size == 40 and "god" in kv

    assert main(["similar", out, "king", "--topn", "3"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 3 and all(len(line.split("\t")) == 2 for line in lines)

    assert main(["evaluate", out]) == 0
    report = capsys.readouterr().out
    assert "Spearman" in report and "accuracy" in report

    glove = str(tmp_path / "glove.txt")
    assert main(["convert", out, glove, "--to", "glove"]) == 0
    assert KeyedVectors.load_word2vec_format(glove, no_header=True).index_to_key == kv.index_to_key


def test_train_native_model_with_cbow_hs(tmp_path, kjv_file):
    from fastemb import Word2Vec
    out = str(tmp_path / "model.fe")
    assert main(["train", kjv_file, "-o", out, "--cbow", "--hs", "--negative", "0",
                 "--epochs", "1", "--min-count", "3", "--quiet"]) == 0
    model = Word2Vec.load(out)
    assert (model.sg, model.hs, model.negative) == (0, 1, 0)
    assert model.shared_negatives is True
    assert main(["train", kjv_file, "-o", out, "--per-pair-negatives", "--epochs", "1",
                 "--min-count", "3", "--quiet"]) == 0
    assert Word2Vec.load(out).shared_negatives is False


def test_errors_are_one_clear_line(tmp_path, kjv_file, capsys):
    assert main(["train", str(tmp_path / "missing.txt"), "-o", str(tmp_path / "o")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["train", kjv_file, "-o", str(tmp_path / "o"), "--window", "-1"]) == 2
    assert "window must be" in capsys.readouterr().err
    vectors = str(tmp_path / "v.txt")
    KeyedVectors.from_arrays(["a", "b"], [[1.0, 0.0], [0.0, 1.0]]).save_word2vec_format(vectors)
    assert main(["similar", vectors, "zzz"]) == 2
    assert "none of 'zzz' is in the vocabulary" in capsys.readouterr().err
    broken = tmp_path / "broken.bin"
    broken.write_bytes(b"3 100\nabc \x00\x01")
    assert main(["similar", str(broken), "abc"]) == 2
    assert "truncated" in capsys.readouterr().err


def test_progress_bar_draws_and_ends_its_line():
    import io
    stream = io.StringIO()
    bar = ProgressBar("training", stream=stream, force=True)
    bar(50, 100)
    bar(100, 100)
    bar.close()
    text = stream.getvalue()
    assert "50.0%" in text and "100.0%" in text and text.endswith("\n")


def test_progress_bar_draws_on_a_terminal_only(monkeypatch):
    import io

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    terminal, pipe = Terminal(), io.StringIO()
    monkeypatch.setattr(sys, "stderr", terminal)  # the bar takes stderr as it is then
    ProgressBar("reading", unit="MB", per_unit=1e6)(10, 20)
    ProgressBar("reading", stream=pipe)(10, 20)
    assert "50.0%" in terminal.getvalue() and "MB/s" in terminal.getvalue()
    assert pipe.getvalue() == ""


def test_python_dash_m_runs_the_demo(tmp_path):
    result = subprocess.run([sys.executable, "-m", "fastemb", "demo", "--epochs", "1"],
                            capture_output=True, text=True, timeout=300, cwd=tmp_path,
                            env=SUBPROCESS_ENV)
    assert result.returncode == 0, result.stderr
    assert "god:" in result.stdout.replace(" ", "") and "king - man + woman" in result.stdout


def test_cli_interrupt_saves_the_partial_model(tmp_path, kjv_file):
    import signal
    import time
    out = tmp_path / "partial.bin"
    proc = subprocess.Popen([sys.executable, "-m", "fastemb", "train", kjv_file, "-o", str(out),
                             "--epochs", "10000", "--min-count", "3", "--quiet"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=tmp_path, env=SUBPROCESS_ENV)
    deadline = time.time() + 60
    time.sleep(4)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=max(1, deadline - time.time()))
    assert proc.returncode == 130, err
    assert "interrupted" in err
    assert "god" in KeyedVectors.load_word2vec_format(str(out), binary=True)


def test_train_glove_from_the_cli(tmp_path, kjv_file, capsys):
    from fastemb import GloVe
    out = str(tmp_path / "glove.model")
    assert main(["train", kjv_file, "-o", out, "--model", "glove", "--epochs", "3",
                 "--min-count", "3", "--x-max", "10", "--vector-size", "30"]) == 0
    err = capsys.readouterr().err
    assert "co-occurrence matrix" in err and "cost per epoch" in err
    model = GloVe.load(out)
    assert model.x_max == 10 and len(model.cost_history) == 3
    text = str(tmp_path / "glove.txt")
    assert main(["train", kjv_file, "-o", text, "--model", "glove", "--format", "glove",
                 "--epochs", "1", "--min-count", "3", "--quiet"]) == 0
    assert KeyedVectors.load_word2vec_format(text, no_header=True).vector_size == 100


def test_fasttext_train_similar_evaluate(tmp_path, kjv_file, capsys):
    from fastemb import load_facebook_model
    out = str(tmp_path / "ft.bin")
    assert main(["train", kjv_file, "-o", out, "--model", "fasttext", "--minn", "3",
                 "--maxn", "5", "--bucket", "20000", "--min-count", "3", "--epochs", "2",
                 "--vector-size", "30", "--quiet"]) == 0
    assert "saved fasttext" in capsys.readouterr().err
    model = load_facebook_model(out)
    assert (model.min_n, model.max_n, model.bucket) == (3, 5, 20000)
    # an unseen word is answered through its n-grams, from Facebook's .bin
    assert main(["similar", out, "brotherz", "--topn", "5"]) == 0
    assert "brother" in capsys.readouterr().out
    assert main(["evaluate", out]) == 0
    assert "Spearman" in capsys.readouterr().out
    vec = str(tmp_path / "ft.vec")
    assert main(["convert", out, vec, "--to", "word2vec"]) == 0
    assert KeyedVectors.load_word2vec_format(vec).index_to_key == model.wv.index_to_key
    assert main(["convert", vec, str(tmp_path / "x.bin"), "--to", "fasttext"]) == 2
    assert "whole model" in capsys.readouterr().err
    native = str(tmp_path / "ft.model")
    assert main(["train", kjv_file, "-o", native, "--model", "fasttext", "--bucket", "5000",
                 "--epochs", "1", "--min-count", "3", "--quiet"]) == 0
    assert main(["similar", native, "brotherz", "--topn", "3"]) == 0


def test_floret_train_convert_similar(tmp_path, kjv_file, capsys):
    import numpy as np

    from fastemb import load_facebook_model, load_floret_vectors
    from fastemb.cli.vectors_files import load_vectors
    out = str(tmp_path / "fl.bin")
    assert main(["train", kjv_file, "-o", out, "--model", "fasttext", "--mode", "floret",
                 "--hash-count", "2", "--bucket", "5000", "--min-count", "3", "--epochs", "2",
                 "--vector-size", "30", "--quiet"]) == 0
    model = load_facebook_model(out)
    assert (model.mode, model.hash_count, model.wv.input_matrix.shape) == \
        ("floret", 2, (len(model.wv) + 5000, 30))
    table = str(tmp_path / "fl.floret")
    assert main(["convert", out, table, "--to", "floret"]) == 0
    assert load_floret_vectors(table).vectors_ngrams.shape == (5000, 30)
    # the table is told by its header whatever its name, and answers any word
    renamed = tmp_path / "table.txt"
    renamed.write_bytes(open(table, "rb").read())
    np.testing.assert_allclose(load_vectors(str(renamed))["brotherz"], model.wv["brotherz"],
                               atol=1e-6)
    assert main(["train", kjv_file, "-o", str(tmp_path / "x.floret"), "--model", "fasttext",
                 "--epochs", "1", "--min-count", "3", "--quiet"]) == 2
    assert "--mode floret" in capsys.readouterr().err
    assert main(["train", kjv_file, "-o", str(tmp_path / "y.bin"), "--model", "fasttext",
                 "--hash-count", "3", "--quiet"]) == 2
    assert "applies to mode='floret' only" in capsys.readouterr().err


def test_doc2vec_train_and_embed(tmp_path, kjv_file, capsys):
    import numpy as np

    from fastemb import Doc2Vec
    model_path = str(tmp_path / "d2v.model")
    assert main(["train", kjv_file, "-o", model_path, "--model", "doc2vec", "--dm", "0",
                 "--min-count", "3", "--epochs", "3", "--vector-size", "20", "--quiet"]) == 0
    model = Doc2Vec.load(model_path)
    assert model.dm == 0 and len(model.dv) == model.corpus_count
    docs = tmp_path / "docs.txt"
    docs.write_text("in the beginning god created\n\nand the earth was without form\n",
                    encoding="utf-8")
    out = str(tmp_path / "docs.npy")
    assert main(["embed", model_path, str(docs), "-o", out]) == 0
    vectors = np.load(out)
    assert vectors.shape == (3, 20)
    assert np.array_equal(vectors[0], model.infer_vector("in the beginning god created".split()))
    capsys.readouterr()
    vec = str(tmp_path / "w.vec")
    assert main(["train", kjv_file, "-o", vec, "--min-count", "3", "--epochs", "1",
                 "--vector-size", "20", "--quiet"]) == 0
    tsv = str(tmp_path / "docs.tsv")
    assert main(["embed", vec, str(docs), "-o", tsv, "--method", "sif"]) == 0
    assert "1 without a known word" in capsys.readouterr().err
    rows = [line.split("\t") for line in open(tsv, encoding="utf-8").read().splitlines()]
    assert len(rows) == 3 and all(len(r) == 20 for r in rows)
    assert all(float(x) == 0 for x in rows[1])
    assert main(["embed", vec, str(docs), "-o", out, "--method", "doc2vec"]) == 2
    assert "needs a Doc2Vec model" in capsys.readouterr().err
    concat_path = str(tmp_path / "concat.model")
    assert main(["train", kjv_file, "-o", concat_path, "--model", "doc2vec", "--dm-concat",
                 "--min-count", "3", "--epochs", "1", "--vector-size", "10", "--window", "2",
                 "--quiet"]) == 0
    concat = Doc2Vec.load(concat_path)
    assert concat.dm_concat == 1 and concat.syn1neg.shape[1] == (1 + 4) * 10
    assert main(["embed", concat_path, str(docs), "-o", out]) == 0
    assert np.load(out).shape == (3, 10)


def test_phrases_then_train(tmp_path, kjv_file, capsys):
    from fastemb.corpus.phrases import FrozenPhrases
    joined = str(tmp_path / "joined.txt")
    saved = str(tmp_path / "phrases.model")
    assert main(["phrases", kjv_file, "-o", joined, "--min-count", "5", "--threshold", "10",
                 "--save-model", saved]) == 0
    assert "phrases; wrote" in capsys.readouterr().err
    text = open(joined, encoding="utf-8").read()
    assert "_" in text and len(text.splitlines()) == len(open(kjv_file).read().splitlines())
    assert FrozenPhrases.load(saved).phrasegrams
    out = str(tmp_path / "v.vec")
    assert main(["train", joined, "-o", out, "--min-count", "3", "--epochs", "1",
                 "--vector-size", "20", "--quiet"]) == 0
    assert any("_" in key for key in KeyedVectors.load_word2vec_format(out).index_to_key)


def test_similar_answers_the_words_it_knows_and_suggests(tmp_path, capsys):
    vectors = str(tmp_path / "v.txt")
    KeyedVectors.from_arrays(["Moses", "Aaron", "law"], [[1.0, 0.0], [0.9, 0.1], [0.0, 1.0]]
                             ).save_word2vec_format(vectors)
    assert main(["similar", vectors, "Moses", "zzz", "--topn", "1"]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("Aaron\t")
    assert "skipping unknown word 'zzz'" in captured.err
    assert main(["similar", vectors, "moses"]) == 2
    assert "did you mean Moses?" in capsys.readouterr().err


def test_compressed_outputs_by_suffix_and_any_input(tmp_path, kjv_file, capsys):
    gensim = pytest.importorskip("gensim")
    out = str(tmp_path / "v.bin.gz")
    assert main(["train", kjv_file, "-o", out, "--min-count", "3", "--epochs", "1",
                 "--vector-size", "20", "--workers", "2", "--quiet"]) == 0
    assert open(out, "rb").read(2) == b"\x1f\x8b"
    assert "saved word2vec-binary" in capsys.readouterr().err
    theirs = gensim.models.KeyedVectors.load_word2vec_format(out, binary=True)
    for target, fmt in (("v.txt.bz2", "word2vec"), ("g.txt.xz", "glove"),
                        ("w.bin.gz", "word2vec-binary")):
        assert main(["convert", out, str(tmp_path / target), "--to", fmt]) == 0
        back = gensim.models.KeyedVectors.load_word2vec_format(
            str(tmp_path / target), binary=fmt == "word2vec-binary", no_header=fmt == "glove")
        assert list(back.index_to_key) == list(theirs.index_to_key)
        assert main(["similar", str(tmp_path / target), "god", "--topn", "2"]) == 0
    capsys.readouterr()
    assert main(["convert", out, str(tmp_path / "v.fe.gz"), "--to", "native"]) == 2
    assert "cannot be compressed" in capsys.readouterr().err
    assert main(["train", kjv_file, "-o", str(tmp_path / "m.gz"), "--quiet"]) == 2
    assert "name it .bin.gz" in capsys.readouterr().err


def test_a_gensim_model_file_is_read_by_every_command(tmp_path, kjv_sentences, capsys):
    gensim = pytest.importorskip("gensim")
    path = str(tmp_path / "gensim.model")
    gensim.models.Word2Vec(kjv_sentences[:3000], vector_size=16, min_count=3, epochs=1,
                           workers=1).save(path)
    assert main(["similar", path, "god", "--topn", "2"]) == 0
    assert len(capsys.readouterr().out.strip().splitlines()) == 2
    assert main(["evaluate", path]) == 0
    assert "Spearman" in capsys.readouterr().out


def test_undecodable_files_name_the_flag_that_reads_them(tmp_path, kjv_file, capsys):
    vectors = tmp_path / "v.txt"
    vectors.write_bytes(b"2 2\nk\xe9nig 1 0\nqueen 0.9 0.1\n")
    assert main(["similar", str(vectors), "queen"]) == 2
    err = capsys.readouterr().err
    assert "word 1 is not valid UTF-8 (b'k\\xe9nig')" in err
    assert "add --unicode-errors replace" in err
    assert "unicode_errors=" not in err
    assert main(["similar", str(vectors), "queen", "--unicode-errors", "replace"]) == 0
    assert capsys.readouterr().out.startswith("k\ufffdnig\t")
    corpus = tmp_path / "corpus.txt"
    corpus.write_bytes(open(kjv_file, "rb").read() + b"caf\xe9 au lait\n")
    out = str(tmp_path / "v.vec")
    assert main(["train", str(corpus), "-o", out, "--epochs", "1", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "add --encoding-errors replace" in err and "encoding_errors=" not in err
    assert main(["train", str(corpus), "-o", out, "--epochs", "1", "--quiet",
                 "--encoding-errors", "replace", "--min-count", "1"]) == 0
    assert "caf\ufffd" in KeyedVectors.load_word2vec_format(out)


def test_an_output_that_cannot_be_written_is_refused_before_training(tmp_path, kjv_file,
                                                                      capsys):
    assert main(["train", kjv_file, "-o", str(tmp_path / "missing" / "x.vec")]) == 2
    err = capsys.readouterr().err
    assert "the directory" in err and "does not exist" in err and "vocabulary:" not in err
    assert main(["train", kjv_file, "-o", str(tmp_path)]) == 2
    assert "is a directory" in capsys.readouterr().err
