"""word2vec text/binary, GloVe text and the native format: round trips,
interoperability with gensim, atomic saves and clear errors on bad files."""
import os

import numpy as np
import pytest

from fastemb import KeyedVectors, Word2Vec
from fastemb.errors import FormatError
from fastemb.io.sniff import sniff_vectors_format


@pytest.fixture()
def kv():
    rng = np.random.default_rng(0)
    keys = ["the", "king", "queen", "naïve", "日本"]
    return KeyedVectors.from_arrays(keys, rng.normal(size=(5, 8)).astype(np.float32),
                                    np.array([50, 10, 9, 3, 2]))


@pytest.mark.parametrize("binary", [False, True])
def test_word2vec_format_round_trips_exactly(tmp_path, kv, binary):
    path = str(tmp_path / "v.bin")
    kv.save_word2vec_format(path, binary=binary)
    back = KeyedVectors.load_word2vec_format(path, binary=binary)
    assert back.index_to_key == kv.index_to_key
    assert np.array_equal(back.vectors, kv.vectors)
    assert sniff_vectors_format(path) == ("word2vec-binary" if binary else "word2vec-text")
    limited = KeyedVectors.load_word2vec_format(path, binary=binary, limit=2)
    assert limited.index_to_key == ["the", "king"]


def test_glove_format_has_no_header_and_round_trips(tmp_path, kv):
    path = str(tmp_path / "glove.txt")
    kv.save_word2vec_format(path, write_header=False)
    assert open(path, encoding="utf-8").readline().startswith("the ")
    back = KeyedVectors.load_word2vec_format(path, no_header=True)
    assert np.array_equal(back.vectors, kv.vectors)
    assert sniff_vectors_format(path) == "glove"


@pytest.mark.parametrize("binary", [False, True])
def test_gensim_reads_ours_and_we_read_gensims(tmp_path, kv, binary):
    gensim = pytest.importorskip("gensim")
    ours = str(tmp_path / "ours")
    kv.save_word2vec_format(ours, binary=binary)
    loaded = gensim.models.KeyedVectors.load_word2vec_format(ours, binary=binary)
    assert list(loaded.index_to_key) == kv.index_to_key
    assert np.allclose(loaded.vectors, kv.vectors)
    theirs = str(tmp_path / "theirs")
    loaded.save_word2vec_format(theirs, binary=binary)
    back = KeyedVectors.load_word2vec_format(theirs, binary=binary)
    assert back.index_to_key == kv.index_to_key and np.allclose(back.vectors, kv.vectors)


def test_gensim_reads_our_glove_file(tmp_path, kv):
    gensim = pytest.importorskip("gensim")
    path = str(tmp_path / "glove.txt")
    kv.save_word2vec_format(path, write_header=False)
    loaded = gensim.models.KeyedVectors.load_word2vec_format(path, no_header=True)
    assert np.allclose(loaded["queen"], kv["queen"])


def test_truncated_and_corrupt_vector_files_raise(tmp_path, kv):
    binary = tmp_path / "v.bin"
    kv.save_word2vec_format(str(binary), binary=True)
    data = binary.read_bytes()
    binary.write_bytes(data[:-20])
    with pytest.raises(FormatError, match="truncated"):
        KeyedVectors.load_word2vec_format(str(binary), binary=True)
    text = tmp_path / "v.txt"
    kv.save_word2vec_format(str(text))
    lines = text.read_text(encoding="utf-8").splitlines()
    text.write_text("\n".join(lines[:3]) + "\n", encoding="utf-8")
    with pytest.raises(FormatError, match="announces 5 vectors"):
        KeyedVectors.load_word2vec_format(str(text))
    text.write_text("\n".join([lines[0], lines[1], "king 1 2 3"] + lines[3:]), encoding="utf-8")
    with pytest.raises(FormatError, match="3 values, expected 8"):
        KeyedVectors.load_word2vec_format(str(text))
    text.write_text("\n".join([lines[0], lines[1], "king " + " ".join(["x"] * 8)] + lines[3:]),
                    encoding="utf-8")
    with pytest.raises(FormatError, match="not a number"):
        KeyedVectors.load_word2vec_format(str(text))
    text.write_text("hello world\n", encoding="utf-8")
    with pytest.raises(FormatError, match="bad header"):
        KeyedVectors.load_word2vec_format(str(text))


def test_native_save_load_and_mmap(tmp_path, kv):
    path = str(tmp_path / "kv.fe")
    kv.save(path)
    back = KeyedVectors.load(path)
    assert back.index_to_key == kv.index_to_key and np.array_equal(back.vectors, kv.vectors)
    assert back.get_vecattr("naïve", "count") == 3
    mapped = KeyedVectors.load(path, mmap="r")
    assert isinstance(mapped.vectors, np.memmap) and not mapped.vectors.flags.writeable
    assert mapped.most_similar("king", topn=2) == kv.most_similar("king", topn=2)


def test_native_files_never_unpickle_and_report_damage(tmp_path, kv):
    path = tmp_path / "kv.fe"
    kv.save(str(path))
    data = bytearray(path.read_bytes())
    assert b"pickle" not in data and not data.startswith(b"\x80")
    path.write_bytes(bytes(data[:-30]))
    with pytest.raises(FormatError, match="truncated"):
        KeyedVectors.load(str(path))
    data[-40] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(FormatError, match="checksum"):
        KeyedVectors.load(str(path))
    path.write_bytes(b"\x80\x04K\x01.")  # a pickle that is no gensim model: refused
    with pytest.raises(FormatError, match="not a gensim model"):
        KeyedVectors.load(str(path))


def test_an_interrupted_save_keeps_the_previous_file(tmp_path, kv, monkeypatch):
    import fastemb.io.native as native
    path = tmp_path / "kv.fe"
    kv.save(str(path))
    before = path.read_bytes()

    def failing_write(*args, **kwargs):
        raise KeyboardInterrupt

    other = KeyedVectors.from_arrays(["x", "y"], np.ones((2, 8), np.float32))
    monkeypatch.setattr(native.zlib, "crc32", failing_write)
    with pytest.raises(KeyboardInterrupt):
        other.save(str(path))
    monkeypatch.undo()
    assert path.read_bytes() == before
    # the same holds when the failure comes while writing the data itself
    original = native.atomic_writer.__enter__

    def enter(self):
        handle = original(self)
        handle.write = failing_write
        return handle

    monkeypatch.setattr(native.atomic_writer, "__enter__", enter)
    with pytest.raises(KeyboardInterrupt):
        other.save_word2vec_format(str(path), binary=True)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["kv.fe"]  # no temporary left behind


def test_full_model_round_trip_and_resume(tmp_path, kjv_sentences):
    model = Word2Vec(kjv_sentences[:3000], min_count=2, sg=1, hs=1, negative=3, epochs=2,
                     workers=1, seed=9)
    path = str(tmp_path / "w2v.model")
    model.save(path)
    back = Word2Vec.load(path)
    assert np.array_equal(back.wv.vectors, model.wv.vectors)
    assert np.array_equal(back.syn1, model.syn1) and np.array_equal(back.syn1neg, model.syn1neg)
    assert (back.sg, back.hs, back.negative, back.seed) == (1, 1, 3, 9)
    assert back.loss_history == model.loss_history
    mapped = Word2Vec.load(path, mmap="r")
    mapped.train(kjv_sentences[:3000], total_examples=3000, epochs=1)  # copies, then trains
    assert not np.array_equal(mapped.wv.vectors, back.wv.vectors)
    assert KeyedVectors.load(path).index_to_key == model.wv.index_to_key
    kv_path = str(tmp_path / "kv")
    model.wv.save(kv_path)
    with pytest.raises(FormatError, match="not a Word2Vec model"):
        Word2Vec.load(kv_path)
    assert os.path.getsize(path) > 0


@pytest.mark.parametrize("suffix", [".gz", ".bz2", ".xz"])
@pytest.mark.parametrize("kind", ["binary", "text", "glove"])
def test_compressed_files_are_written_and_read_by_suffix(tmp_path, kv, suffix, kind):
    from fastemb.io.compression import compression_of_bytes
    name = {"binary": "v.bin", "text": "v.txt", "glove": "g.txt"}[kind] + suffix
    path = str(tmp_path / name)
    options = {"binary": kind == "binary"}
    kv.save_word2vec_format(path, write_header=kind != "glove", **options)
    with open(path, "rb") as handle:
        assert compression_of_bytes(handle.read(6)) == {".gz": "gzip", ".bz2": "bzip2",
                                                        ".xz": "xz"}[suffix]
    back = KeyedVectors.load_word2vec_format(path, no_header=kind == "glove", **options)
    assert back.index_to_key == kv.index_to_key and np.array_equal(back.vectors, kv.vectors)
    assert sniff_vectors_format(path) == {"binary": "word2vec-binary", "text": "word2vec-text",
                                          "glove": "glove"}[kind]
    gensim = pytest.importorskip("gensim")
    theirs = gensim.models.KeyedVectors.load_word2vec_format(path, no_header=kind == "glove",
                                                             **options)
    assert list(theirs.index_to_key) == kv.index_to_key


@pytest.mark.parametrize("binary", [False, True])
def test_gensims_compressed_files_and_misnamed_ones_are_read(tmp_path, kv, binary):
    gensim = pytest.importorskip("gensim")
    theirs = gensim.models.KeyedVectors(8)
    theirs.add_vectors(kv.index_to_key, kv.vectors)
    path = str(tmp_path / "GoogleNews-like.bin.gz")
    theirs.save_word2vec_format(path, binary=binary)
    back = KeyedVectors.load_word2vec_format(path, binary=binary)
    assert back.index_to_key == kv.index_to_key and np.array_equal(back.vectors, kv.vectors)
    # compression is recognised by its bytes, not the name
    misnamed = str(tmp_path / "vectors.bin")
    os.rename(path, misnamed)
    assert KeyedVectors.load_word2vec_format(misnamed, binary=binary).index_to_key == \
        kv.index_to_key


def test_a_damaged_compressed_file_is_a_format_error(tmp_path, kv):
    path = str(tmp_path / "v.txt.gz")
    kv.save_word2vec_format(path)
    data = open(path, "rb").read()
    open(path, "wb").write(data[:len(data) // 2])
    with pytest.raises(FormatError, match="gzip stream is damaged or cut short"):
        KeyedVectors.load_word2vec_format(path)


def test_a_text_header_announcing_a_huge_dimension_is_refused(tmp_path):
    path = tmp_path / "lying.txt"
    path.write_text("6 2147483648\n" + "".join(f"w{i} 0.1 0.2\n" for i in range(6)))
    with pytest.raises(FormatError, match="dimension 2147483648, more values than"):
        KeyedVectors.load_word2vec_format(str(path))
