"""Embedding Projector export: files TensorBoard's projector parses, with
line counts that match, keys escaped and UTF-8 intact."""
import numpy as np
import pytest

from fastemb import KeyedVectors
from fastemb.cli import main
from fastemb.viz.projector import escape_key, export_projector


def _vectors():
    keys = ["king", "reina", "国王", "tab\there", "new\nline", "back\\slash"]
    vectors = np.arange(len(keys) * 3, dtype=np.float32).reshape(-1, 3) / 7
    return KeyedVectors.from_arrays(keys, vectors, np.arange(len(keys), 0, -1))


def test_projector_files_parse_and_line_counts_match(tmp_path):
    kv = _vectors()
    paths = export_projector(kv, str(tmp_path / "proj"), metadata=("count", "rank"))
    tensors = np.loadtxt(paths["tensors"], delimiter="\t", ndmin=2)
    np.testing.assert_allclose(tensors, kv.vectors, rtol=1e-5)
    lines = open(paths["metadata"], encoding="utf-8").read().split("\n")
    assert lines[-1] == "" and len(lines) - 2 == len(kv)  # header, one line a key
    rows = [line.split("\t") for line in lines[1:-1]]
    assert lines[0] == "word\tcount\trank" and all(len(r) == 3 for r in rows)
    assert [r[0] for r in rows] == ["king", "reina", "国王", "tab\\there", "new\\nline",
                                    "back\\\\slash"]
    assert [int(r[1]) for r in rows] == list(kv.counts) and rows[2][2] == "3"
    config = open(paths["config"], encoding="utf-8").read()
    assert 'tensor_path: "tensors.tsv"' in config and 'metadata_path: "metadata.tsv"' in config
    assert "tensor_shape: 6\n  tensor_shape: 3" in config
    assert config.count("{") == config.count("}") == 1


def test_single_column_metadata_has_no_header_and_limit_cuts(tmp_path):
    kv = _vectors()
    paths = export_projector(kv, str(tmp_path), limit=2)
    assert open(paths["metadata"], encoding="utf-8").read() == "king\nreina\n"
    assert np.loadtxt(paths["tensors"], delimiter="\t", ndmin=2).shape == (2, 3)
    with pytest.raises(ValueError, match="unknown metadata column 'colour'"):
        export_projector(kv, str(tmp_path), metadata=("colour",))
    with pytest.raises(ValueError, match="limit"):
        export_projector(kv, str(tmp_path), limit=0)


def test_escaping_round_trips_to_one_line_a_key():
    for key in ["a\tb", "a\nb", "a\\nb", "a\rb", "plain"]:
        escaped = escape_key(key)
        assert "\t" not in escaped and "\n" not in escaped and "\r" not in escaped
    assert escape_key("a\\nb") != escape_key("a\nb")


def test_the_export_projector_command(tmp_path, capsys):
    kv = _vectors()
    kv.save(str(tmp_path / "v.fe"))  # native: keys with tabs and newlines survive
    assert main(["export-projector", str(tmp_path / "v.fe"), str(tmp_path / "out"),
                 "--limit", "3"]) == 0
    assert "wrote 3 vectors" in capsys.readouterr().err
    assert len(open(tmp_path / "out" / "tensors.tsv").read().splitlines()) == 3
