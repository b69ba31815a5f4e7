"""Tokenizers by name, Chinese segmentation with jieba, and the clear
message when jieba is missing."""
import sys

import pytest

from fastemb import LineSentence, Word2Vec
from fastemb.cli import main
from fastemb.corpus import get_tokenizer, simple_tokenize

# short Chinese sentences written for this test: who lives where, who likes what
CHINESE = [
    "我住在北京，我喜欢北京的秋天。", "他住在上海，他喜欢上海的夏天。",
    "她住在广州，她喜欢广州的春天。", "我们住在北京，我们喜欢北京的冬天。",
    "他们住在上海，他们喜欢上海的秋天。", "你住在广州，你喜欢广州的夏天。",
]


def test_named_tokenizers():
    assert get_tokenizer(None) is None and get_tokenizer("whitespace") is None
    assert get_tokenizer("simple") is simple_tokenize
    assert get_tokenizer(str.split) is str.split
    with pytest.raises(ValueError, match="unknown tokenizer 'spacy'"):
        get_tokenizer("spacy")


def test_missing_jieba_names_the_fix(monkeypatch):
    monkeypatch.setitem(sys.modules, "jieba", None)
    with pytest.raises(ImportError, match=r"pip install 'fastemb\[chinese\]'"):
        get_tokenizer("jieba")


def test_jieba_segments_chinese_for_training(tmp_path, capsys):
    pytest.importorskip("jieba")
    path = tmp_path / "zh.txt"
    path.write_text("\n".join(CHINESE * 30) + "\n", encoding="utf-8")
    sentences = list(LineSentence(str(path), tokenizer="jieba"))
    assert "北京" in sentences[0] and "秋天" in sentences[0]
    assert all("，" not in s and "。" not in s for s in sentences)  # punctuation dropped
    model = Word2Vec(sentences, vector_size=20, min_count=1, window=3, epochs=20, workers=1)
    assert {"北京", "上海", "广州"} <= set(model.wv.index_to_key)
    out = str(tmp_path / "zh.vec")
    assert main(["train", str(path), "-o", out, "--tokenizer", "jieba", "--min-count", "1",
                 "--vector-size", "20", "--epochs", "5", "--quiet"]) == 0
    assert main(["similar", out, "北京", "--topn", "3"]) == 0
    assert len(capsys.readouterr().out.strip().splitlines()) == 3
