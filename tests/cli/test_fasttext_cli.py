"""``fastemb fasttext``: fastText's command line."""
import io

import pytest

from fastemb.cli import main


def test_supervised_test_predict_round(toy, tmp_path, capsys, monkeypatch):
    out = str(tmp_path / "model")
    assert main(["fasttext", "supervised", "-input", toy, "-output", out, "-epoch", "20",
                 "-lr", "0.5", "-dim", "8", "-wordNgrams", "2", "-bucket", "1000",
                 "-thread", "1"]) == 0
    capsys.readouterr()
    assert main(["fasttext", "test", out + ".bin", toy]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "N\t240" and lines[1].startswith("P@1\t") and float(lines[1][4:]) > 0.97
    with open(toy, encoding="utf-8") as handle:
        monkeypatch.setattr("sys.stdin", handle)
        assert main(["fasttext", "test", out + ".bin", "-"]) == 0  # the test file on stdin
    assert capsys.readouterr().out.splitlines()[0] == "N\t240"
    assert main(["fasttext", "test-label", out + ".bin", toy, "1"]) == 0
    report = capsys.readouterr().out.splitlines()
    assert len(report) == 4 + 3 and report[0].startswith("F1-Score : ")
    monkeypatch.setattr("sys.stdin", io.StringIO("apple fig\ncat dog\n"))
    assert main(["fasttext", "predict-prob", out + ".bin", "-", "2"]) == 0
    predictions = capsys.readouterr().out.splitlines()
    assert predictions[0].startswith("__label__a ") and predictions[1].startswith("__label__d ")
    assert len(predictions[0].split()) == 4
    with open(out + ".vec", encoding="utf-8") as vec:
        header = vec.readline().split()
    assert int(header[1]) == 8 and int(header[0]) > 10


def test_unknown_flags_and_missing_files_are_one_line_errors(toy, tmp_path, capsys):
    assert main(["fasttext", "supervised", "-input", toy, "-output", str(tmp_path / "m"),
                 "-epochs", "3"]) == 2
    assert "unknown argument '-epochs'" in capsys.readouterr().err
    assert main(["fasttext", "supervised", "-input", toy]) == 2
    assert "-output is required" in capsys.readouterr().err
    assert main(["fasttext", "test", str(tmp_path / "none.bin"), toy]) == 2
    assert "cannot be opened" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["fasttext", "quantise"])


def test_quantize_writes_an_ftz_that_tests_as_the_model(debian, tmp_path, capsys):
    train, test = debian
    out = str(tmp_path / "model")
    assert main(["fasttext", "supervised", "-input", train, "-output", out, "-epoch", "10",
                 "-lr", "0.5", "-dim", "10", "-wordNgrams", "2", "-bucket", "20000"]) == 0
    assert main(["fasttext", "quantize", "-output", out, "-input", train, "-qnorm",
                 "-retrain", "-cutoff", "3000", "-epoch", "2"]) == 0
    capsys.readouterr()
    assert main(["fasttext", "test", out + ".bin", test]) == 0
    full = float(capsys.readouterr().out.splitlines()[1].split()[1])
    assert main(["fasttext", "test", out + ".ftz", test]) == 0
    small = float(capsys.readouterr().out.splitlines()[1].split()[1])
    assert small > full - 0.05
    assert main(["fasttext", "quantize", "-output", out, "-cutof", "3"]) == 2
    assert "unknown argument '-cutof'" in capsys.readouterr().err


def test_autotune_flags(debian, tmp_path, capsys):
    train, test = debian
    out = str(tmp_path / "tuned")
    assert main(["fasttext", "supervised", "-input", train, "-output", out,
                 "-autotune-validation", test, "-autotune-duration", "3", "-thread", "1",
                 "-bucket", "20000", "-dim", "10"]) == 0  # a small file to save
    assert main(["fasttext", "test", out + ".bin", test]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "N\t500"
