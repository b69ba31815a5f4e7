"""Vectors opened with ``mmap``: ``key_to_index`` answered from the file's key
table, the norms saved with the vectors, and what changes them."""
import copy
import pickle

import numpy as np
import pytest

from fastemb import KeyedVectors
from fastemb._key_table import KeyTable, build_table
from fastemb.io import native
from fastemb.vectors.key_index import KeyIndex

KEYS = ["the", "king", "queen", "naïve", "日本", "", "🙂", "a b", "x" * 300] + \
    [f"w{i}" for i in range(500)]


@pytest.fixture()
def kv():
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(len(KEYS), 16)).astype(np.float32)
    vectors[3] = 0.0  # a zero vector's norm counts as 1
    return KeyedVectors.from_arrays(KEYS, vectors, np.arange(len(KEYS), 0, -1))


def test_the_table_finds_every_key_and_no_other():
    blob, ends = native.encode_strings(KEYS)
    slots, duplicate = build_table(blob, ends)
    assert duplicate == -1 and len(slots) >= 2 * len(KEYS) and len(slots) & (len(slots) - 1) == 0
    table = KeyTable(blob, ends, slots)
    assert [table.find(k.encode()) for k in KEYS] == list(range(len(KEYS)))
    assert table.find(b"kin") == -1 and table.find(b"w500") == -1
    twice = native.encode_strings(["a", "b", "a"])
    assert build_table(*twice)[1] == 2


def test_a_damaged_table_answers_wrong_keys_never_and_stops():
    """A table read from a file is checked as it is used: a full table of
    wrong rows finds nothing and does not loop for ever."""
    blob, ends = native.encode_strings(KEYS)
    full = np.full(2048, 7, dtype=np.int32)  # every slot says row 6
    table = KeyTable(blob, ends, full)
    assert table.find(KEYS[6].encode()) == 6 and table.find(b"king") == -1
    beyond = np.full(2048, 10 ** 6, dtype=np.int32)
    assert KeyTable(blob, ends, beyond).find(b"king") == -1
    with pytest.raises(ValueError, match="power of two"):
        KeyTable(blob, ends, np.zeros(1000, dtype=np.int32))
    with pytest.raises(ValueError, match="must not decrease"):
        KeyTable(blob, np.array([3, 2, len(blob)], dtype=np.int64), full)


def test_mapped_vectors_answer_like_the_saved_ones(tmp_path, kv):
    path = str(tmp_path / "v.fe")
    kv.save(path)
    mapped = KeyedVectors.load(path, mmap="r")
    assert isinstance(mapped.key_to_index, KeyIndex)
    assert mapped.key_to_index == kv.key_to_index and dict(mapped.key_to_index) == kv.key_to_index
    assert list(mapped.key_to_index.items()) == list(kv.key_to_index.items())
    assert list(mapped.key_to_index.values()) == list(range(len(KEYS)))
    assert all(mapped.key_to_index[k] == i for i, k in enumerate(KEYS))
    assert "nope" not in mapped.key_to_index and mapped.key_to_index.get("nope", -1) == -1
    assert 3 not in mapped.key_to_index and "\ud800" not in mapped.key_to_index
    with pytest.raises(KeyError):
        mapped.key_to_index["nope"]
    # the saved norms are the ones a pass over the vectors gives
    kv.fill_norms()
    np.testing.assert_array_equal(mapped.norms, kv.norms)
    assert mapped.most_similar("king", topn=5) == kv.most_similar("king", topn=5)
    assert mapped.similarity("naïve", "日本") == kv.similarity("naïve", "日本")
    assert type(copy.copy(mapped.key_to_index)) is dict
    assert pickle.loads(pickle.dumps(mapped.key_to_index)) == kv.key_to_index
    # read in full, a file gives a dict and computes its norms when asked
    loaded = KeyedVectors.load(path)
    assert type(loaded.key_to_index) is dict and loaded.norms is None


def test_adding_keys_to_mapped_vectors_makes_the_index_a_dict(tmp_path, kv):
    path = str(tmp_path / "v.fe")
    kv.save(path)
    mapped = KeyedVectors.load(path, mmap="c")
    mapped.add_vectors(["new", "king"], np.ones((2, 16), dtype=np.float32))
    assert type(mapped.key_to_index) is dict
    assert mapped.key_to_index["new"] == len(KEYS) and mapped.key_to_index["king"] == 1
    assert mapped.norms is None  # the norms are computed again for the new key
    assert np.linalg.norm(mapped.get_vector("new", norm=True)) == pytest.approx(1.0)


def test_files_without_a_table_still_open_mapped(tmp_path, kv):
    """Files saved before the table and the norms were stored."""
    arrays = kv._arrays()
    del arrays["keys_table"], arrays["norms"]
    path = str(tmp_path / "old.fe")
    native.save_arrays(path, arrays, {"kind": "KeyedVectors", "vectors": {}})
    mapped = KeyedVectors.load(path, mmap="r")
    assert type(mapped.key_to_index) is dict and mapped.norms is None
    assert mapped.most_similar("king", topn=3) == kv.most_similar("king", topn=3)
