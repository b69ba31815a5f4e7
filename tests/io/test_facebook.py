"""Facebook fastText .bin files: read what fastText writes, write what
fastText reads, and refuse damaged or unsupported files clearly."""
import os
import struct

import numpy as np
import pytest

from fastemb import FastText
from fastemb.errors import FormatError
from fastemb.io.fasttext_bin import is_facebook_model
from fastemb.models.facebook import load_facebook_model, load_facebook_vectors, save_facebook_model

fasttext = pytest.importorskip("fasttext")

PROBES = ["unseenword", "brotherz", "naïveté", "北京", "x"]


@pytest.fixture(scope="module")
def corpus_file(tmp_path_factory, kjv_sentences):
    path = tmp_path_factory.mktemp("ft") / "corpus.txt"
    path.write_text("\n".join(" ".join(s) for s in kjv_sentences[:4000]) + "\n",
                    encoding="utf-8")
    return str(path)


@pytest.fixture(scope="module", params=["skipgram", "cbow"])
def facebook_bin(request, corpus_file, tmp_path_factory):
    """A model trained and saved by fastText itself."""
    ft = fasttext.train_unsupervised(corpus_file, model=request.param, dim=16, epoch=1,
                                     minCount=3, bucket=20000, minn=3, maxn=5, thread=1,
                                     verbose=0)
    path = tmp_path_factory.mktemp("fb") / "model.bin"
    ft.save_model(str(path))
    return str(path), ft, request.param


def test_vectors_reproduce_fasttext(facebook_bin):
    path, ft, _ = facebook_bin
    kv = load_facebook_vectors(path)
    assert kv.index_to_key == ft.words
    for word in ft.words[:300] + PROBES:
        assert np.allclose(kv[word], ft.get_word_vector(word), atol=1e-5), word


def test_model_loads_and_trains_on(facebook_bin, kjv_sentences):
    path, ft, mode = facebook_bin
    model = load_facebook_model(path)
    assert model.sg == int(mode == "skipgram")
    assert (model.min_n, model.max_n, model.bucket, model.vector_size) == (3, 5, 20000, 16)
    assert model.syn1neg.shape == (len(ft.words), 16)
    before = model.wv["lord"].copy()
    model.train(kjv_sentences[:1000], total_examples=1000, epochs=1)
    assert not np.array_equal(model.wv["lord"], before)
    assert np.isfinite(model.wv.vectors).all()
    mapped = load_facebook_vectors(path, mmap="r")
    assert np.array_equal(mapped["brotherz"], load_facebook_vectors(path)["brotherz"])


@pytest.mark.parametrize("sg,hs,negative", [(1, 0, 5), (0, 1, 0)])
def test_fastemb_bin_loads_in_fasttext(tmp_path, kjv_sentences, sg, hs, negative):
    model = FastText(kjv_sentences[:3000], sg=sg, hs=hs, negative=negative, vector_size=20,
                     min_count=2, epochs=2, bucket=8000, workers=1)
    path = str(tmp_path / "ours.bin")
    save_facebook_model(model, path)
    assert is_facebook_model(path)
    ft = fasttext.load_model(path)
    assert ft.words == model.wv.index_to_key
    assert ft.get_dimension() == 20
    for word in model.wv.index_to_key[:200] + PROBES:
        assert np.allclose(ft.get_word_vector(word), model.wv[word], atol=1e-5), word
    again = load_facebook_model(path)
    assert np.array_equal(again.wv["brotherz"], model.wv["brotherz"])


def test_both_losses_round_trip_as_in_gensim(tmp_path, kjv_sentences):
    model = FastText(kjv_sentences[:2000], hs=1, negative=5, vector_size=12, min_count=2,
                     epochs=1, bucket=5000, workers=1, seed=3)
    path = str(tmp_path / "both.bin")
    save_facebook_model(model, path)
    assert fasttext.load_model(path).f.getArgs().loss == fasttext.FastText.loss_name.hs
    again = load_facebook_model(path)
    assert (again.hs, again.negative) == (1, 5)
    assert np.array_equal(again.syn1neg, model.syn1neg)
    # each loss trains its own copy of the one layer the file holds
    assert np.array_equal(again.syn1, model.syn1neg) and again.syn1 is not again.syn1neg
    assert np.array_equal(again.wv.vectors, model.wv.vectors)
    again.train(kjv_sentences[:2000], total_examples=2000, epochs=1)
    assert not np.array_equal(again.syn1, again.syn1neg)
    assert np.isfinite(again.wv.vectors).all()


def test_gensim_test_data_bin(tmp_path):
    gensim_utils = pytest.importorskip("gensim.test.utils")
    path = gensim_utils.datapath("lee_fasttext_new.bin")
    kv = load_facebook_vectors(path)
    ft = fasttext.load_model(path)
    for word in kv.index_to_key[:100] + ["</s>"] + PROBES:
        assert np.allclose(kv[word], ft.get_word_vector(word), atol=1e-5), word
    with pytest.raises(FormatError, match="supervised"):
        load_facebook_vectors(gensim_utils.datapath("pang_lee_polarity_fasttext.bin"))


def _truncations(data):
    return [0, 4, 8, 30, 60, 61, 70, 100, len(data) // 2, len(data) - 1]


def test_truncated_files_are_refused(tmp_path, facebook_bin):
    path, _, _ = facebook_bin
    with open(path, "rb") as handle:
        data = handle.read()
    for cut in _truncations(data):
        broken = tmp_path / f"cut{cut}.bin"
        broken.write_bytes(data[:cut])
        with pytest.raises(FormatError, match="truncated|not a fastText"):
            load_facebook_model(str(broken))


def test_corrupt_headers_are_refused(tmp_path, facebook_bin):
    path, _, _ = facebook_bin
    with open(path, "rb") as handle:
        data = bytearray(handle.read())
    cases = {
        "magic": (0, struct.pack("<i", 12345), "bad magic"),
        "version": (4, struct.pack("<i", 99), "version 99"),
        "model": (36, struct.pack("<i", 3), "supervised"),
        "dim": (8, struct.pack("<i", 17), "does not match"),
        "words": (64, struct.pack("<i", 10 ** 9), "corrupt dictionary|truncated"),
    }
    for name, (offset, value, message) in cases.items():
        broken = bytearray(data)
        broken[offset:offset + len(value)] = value
        target = tmp_path / f"{name}.bin"
        target.write_bytes(bytes(broken))
        with pytest.raises(FormatError, match=message):
            load_facebook_model(str(target))


def test_damaged_dictionaries_are_named(tmp_path, facebook_bin):
    path, _, _ = facebook_bin
    with open(path, "rb") as handle:
        data = bytes(handle.read())
    first_word = 64 + 28  # after the arguments and the dictionary's header
    nul = data.index(b"\0", first_word)
    for name, (offset, value, message) in {
            "utf8": (first_word, b"\xff", "dictionary word 0 is not valid utf-8"),
            "kind": (nul + 9, b"\x01", "entry 0 is a label among the words")}.items():
        target = tmp_path / f"{name}.bin"
        target.write_bytes(data[:offset] + value + data[offset + 1:])
        for mmap in (None, "r"):
            with pytest.raises(FormatError, match=message):
                load_facebook_vectors(str(target), mmap=mmap)


def test_quantized_and_missing_files(tmp_path, facebook_bin):
    path, _, _ = facebook_bin
    with pytest.raises(FormatError, match="cannot read"):
        load_facebook_vectors(str(tmp_path / "missing.bin"))
    assert not is_facebook_model(str(tmp_path / "missing.bin"))
    kv = load_facebook_vectors(path)
    # flip the input matrix's "quantized" flag, right after the dictionary
    with open(path, "rb") as handle:
        data = bytearray(handle.read())
    flag_at = len(data) - 2 * 8 - 1 - 2 * 8 - 1 - 4 * kv.vector_size * (
        len(kv) + kv.bucket + len(kv))
    assert data[flag_at] == 0
    data[flag_at] = 1
    target = tmp_path / "quantized.bin"
    target.write_bytes(bytes(data))
    with pytest.raises(FormatError, match="quantized"):
        load_facebook_vectors(str(target))


def test_save_refuses_what_fasttext_cannot_hold(tmp_path, kjv_sentences):
    from fastemb import Word2Vec
    w2v = Word2Vec(kjv_sentences[:500], vector_size=10, min_count=2, epochs=1)
    with pytest.raises(TypeError, match="FastText"):
        save_facebook_model(w2v, str(tmp_path / "x.bin"))
    assert not os.path.exists(tmp_path / "x.bin")


def old_layout(data):
    """A fastText 0.1+ file rewritten in the layout of the versions before:
    no magic number and version, no ``pruneidx_size``, no quantization flags."""
    args, head = data[8:64], data[64:92]
    size = struct.unpack_from("<i", head)[0]
    pos = 92
    for _ in range(size):  # word, NUL, int64 count, int8 kind
        pos = data.index(b"\0", pos) + 10
    entries = data[92:pos]
    rows, cols = struct.unpack_from("<qq", data, pos + 1)
    input_end = pos + 1 + 16 + rows * cols * 4
    return args + head[:20] + entries + data[pos + 1:input_end] + data[input_end + 1:]


def test_files_from_before_fasttext_0_1_load(tmp_path, facebook_bin):
    path, ft, _ = facebook_bin
    with open(path, "rb") as handle:
        data = handle.read()
    old = tmp_path / "old.bin"
    old.write_bytes(old_layout(data))
    assert is_facebook_model(str(old))
    new = load_facebook_model(path)
    for mmap in (None, "r"):
        model = load_facebook_model(str(old), mmap=mmap)
        assert model.wv.index_to_key == new.wv.index_to_key
        assert np.array_equal(model.wv.vectors, new.wv.vectors)
        assert np.array_equal(model.syn1neg, new.syn1neg)
        for word in PROBES:
            assert np.array_equal(model.wv[word], new.wv[word])
    assert np.array_equal(load_facebook_vectors(str(old))["brotherz"], new.wv["brotherz"])
    # one byte more or less, and the file is not taken for an old model
    for damaged in (old_layout(data) + b"\0", old_layout(data)[:-1]):
        old.write_bytes(damaged)
        with pytest.raises(FormatError, match="truncated|matrices end at byte"):
            load_facebook_vectors(str(old))
    old.write_bytes(b"\x07" * 200)
    assert not is_facebook_model(str(old))
    with pytest.raises(FormatError, match="before fastText 0.1 either"):
        load_facebook_vectors(str(old))


@pytest.mark.parametrize("name", ["lee_fasttext.bin", "non_ascii_fasttext.bin"])
def test_gensims_old_files_answer_as_gensim(name):
    """gensim's test data holds models of fastText before 0.1."""
    gensim_fasttext = pytest.importorskip("gensim.models.fasttext")
    from gensim.test.utils import datapath
    theirs = gensim_fasttext.load_facebook_vectors(datapath(name))
    ours = load_facebook_vectors(datapath(name))
    assert ours.index_to_key == theirs.index_to_key
    # fastText's end-of-line token has no n-grams; gensim gives it some
    # (a deliberate difference: fastemb answers as fastText does)
    words = [i for i, word in enumerate(ours.index_to_key) if word != "</s>"]
    np.testing.assert_allclose(ours.vectors[words], theirs.vectors[words], atol=1e-6)
    if "</s>" in ours.key_to_index:
        eos = ours.key_to_index["</s>"]
        np.testing.assert_array_equal(ours.vectors[eos], ours.vectors_vocab[eos])
    for word in ["unseenword", "nights", "x", "ñandú", "Ελλάδα"]:
        np.testing.assert_allclose(ours[word], theirs[word], atol=1e-6)


def test_words_in_another_encoding_and_classifiers_as_gensim():
    pytest.importorskip("gensim")
    from gensim.test.utils import datapath
    kv = load_facebook_vectors(datapath("cp852_fasttext.bin"), encoding="cp852")
    assert "který" in kv.key_to_index
    with pytest.raises(FormatError, match="not valid utf-8 .pass encoding="):
        load_facebook_vectors(datapath("cp852_fasttext.bin"))
    # gensim raises NotImplementedError for a classifier; so does fastemb
    with pytest.raises(NotImplementedError, match="fastemb.fasttext.load_model"):
        load_facebook_model(datapath("pang_lee_polarity_fasttext.bin"))
