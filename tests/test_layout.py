"""The package's public face and its 0.2 module paths: what users import keeps
importing after the move into subpackages, as the very same objects."""
import importlib
import subprocess
import sys

import pytest

import fastemb
from fastemb._moved import MOVED


@pytest.mark.parametrize("old", sorted(MOVED))
def test_every_module_path_of_0_2_gives_the_module_that_moved(old):
    module = importlib.import_module(old)
    assert module is importlib.import_module(MOVED[old])


def test_old_paths_give_the_same_classes():
    import fastemb.native
    from fastemb.keyedvectors import KeyedVectors
    from fastemb.word2vec import Word2Vec
    assert Word2Vec is fastemb.Word2Vec and KeyedVectors is fastemb.KeyedVectors
    assert fastemb.native.atomic_writer is fastemb.io.native.atomic_writer
    from fastemb.corpus import LineSentence, Text8Corpus, iter_file_pieces, simple_tokenize
    assert LineSentence is fastemb.LineSentence and callable(iter_file_pieces)
    assert Text8Corpus and simple_tokenize("In the Beginning") == ["in", "the", "beginning"]


def test_everything_the_package_exports_exists():
    for name in fastemb.__all__:
        assert getattr(fastemb, name) is not None, name
    assert fastemb.__version__.count(".") == 2


def test_an_unknown_module_is_still_an_import_error():
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("fastemb.no_such_module")


def test_old_paths_work_in_a_fresh_interpreter(tmp_path):
    code = ("from fastemb.fasttext_vectors import FastTextKeyedVectors; "
            "from fastemb.gensim_files import load_gensim; import fastemb.plotting; "
            "print(FastTextKeyedVectors.__module__, load_gensim.__module__)")
    # from an empty folder, so that the installed fastemb is imported, not the
    # sources beside the tests (which have no compiled kernels in CI)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=tmp_path).stdout.split()
    assert out == ["fastemb.vectors.subword", "fastemb.models.gensim_models"]


def test_fastemb_fasttext_is_fasttexts_api_and_keeps_the_fasttext_class():
    from fastemb import fasttext
    from fastemb.fasttext import FastText
    assert FastText is fastemb.FastText
    for name in ("train_supervised", "train_unsupervised", "load_model", "tokenize"):
        assert callable(getattr(fasttext, name))
    assert (fasttext.EOS, fasttext.BOW, fasttext.EOW) == ("</s>", "<", ">")
