"""The C corpus scanner gives exactly what the Python encoder gives: the same
words in the same id order, counts, sentence ends, raw word count, kept ids,
and the same pruning, on real text and on adversarial whitespace."""
import gzip

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fastemb._scan import TokenScanner
from fastemb.corpus import iter_file_pieces
from fastemb.encode import CorpusEncoder, scan_files
from fastemb.vocab import RULE_KEEP

from conftest import KJV_EXCERPT


def python_encode(files, vocab=None, max_vocab_size=None, trim_rule=None, chunk_bytes=1 << 19,
                  encoding_errors="strict"):
    encoder = CorpusEncoder(vocab, max_vocab_size, trim_rule=trim_rule)
    for file in files:
        for tokens, ends in iter_file_pieces(file, None, encoding_errors, chunk_bytes):
            encoder.add(tokens, ends)
    return encoder.finish()


def assert_same(ours, theirs):
    assert ours.words == theirs.words
    np.testing.assert_array_equal(ours.counts, theirs.counts)
    np.testing.assert_array_equal(ours.sentence_ends, theirs.sentence_ends)
    assert ours.raw_words == theirs.raw_words
    ours_ids, ours_ends = ours.compact()
    theirs_ids, theirs_ends = theirs.compact()
    np.testing.assert_array_equal(ours_ids, theirs_ids)
    np.testing.assert_array_equal(ours_ends, theirs_ends)
    return ours_ids


@pytest.fixture(scope="module")
def kjv_plain(tmp_path_factory):
    path = tmp_path_factory.mktemp("scan") / "kjv.txt"
    with gzip.open(KJV_EXCERPT, "rb") as source:
        path.write_bytes(source.read())
    return str(path)


def test_kjv_counting_matches_python_encoder(kjv_plain):
    ours = scan_files([kjv_plain])
    assert len([w for w in ours.words if w]) > 5000
    assert_same(ours, python_encode([kjv_plain]))


def test_gzip_file_and_several_files(kjv_plain, tmp_path):
    second = tmp_path / "second.txt"
    second.write_text("in the beginning\nno newline at the end  ", encoding="utf-8")
    files = [KJV_EXCERPT, str(second)]
    assert_same(scan_files(files), python_encode(files))


def test_fixed_vocabulary_drops_other_words(kjv_plain):
    vocab = {"the": 0, "and": 1, "lord": 2, "LORD": 3, "zzz-never": 4}
    ours = scan_files([kjv_plain], vocab=vocab)
    assert ours.words == list(vocab)
    assert ours.counts[4] == 0
    ids = assert_same(ours, python_encode([kjv_plain], vocab=vocab))
    assert set(np.unique(ids)) == {0, 1, 2, 3}
    assert len(ids) == ours.counts.sum() < ours.raw_words


@pytest.mark.parametrize("chunk_bytes", [1 << 19, 4096])
def test_pruning_follows_the_same_schedule(kjv_plain, chunk_bytes):
    ours = scan_files([kjv_plain], max_vocab_size=800, chunk_bytes=chunk_bytes)
    theirs = python_encode([kjv_plain], max_vocab_size=800, chunk_bytes=chunk_bytes)
    assert None in ours.words  # pruning happened
    assert_same(ours, theirs)


def test_pruning_consults_the_trim_rule(kjv_plain):
    def rule(word, count, min_count):
        return RULE_KEEP if word.startswith("q") else 0
    ours = scan_files([kjv_plain], max_vocab_size=500, trim_rule=rule)
    theirs = python_encode([kjv_plain], max_vocab_size=500, trim_rule=rule)
    assert_same(ours, theirs)
    assert any(w and w.startswith("q") and c == 1 for w, c in zip(ours.words, ours.counts))


def test_unicode_whitespace_and_line_ends(tmp_path):
    text = ("a\u00a0b\u3000c\u2028d\u200ae\x1cf\x0bg\r\nh\u0085i\n\n"
            "  \n\u00e9t\u00e9 \u4e2d\u6587\u2003x\u202fy\u205fz\u1680w\t"
            "\u00c2\u00a1 \u2100")  # lead bytes of spaces inside ordinary letters
    path = tmp_path / "spaces.txt"
    path.write_text(text, encoding="utf-8")
    ours = scan_files([str(path)])
    assert ours.words[:9] == list("abcdefghi")
    assert "\u00c2\u00a1" in ours.words and "\u2100" in ours.words
    assert_same(ours, python_encode([str(path)]))


def test_replaced_bad_bytes(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_bytes(b"good \xff\xfe words\nmore \xc3 here\n")
    for errors in ("replace", "ignore"):
        ours = scan_files([str(path)], encoding_errors=errors)
        assert_same(ours, python_encode([str(path)], encoding_errors=errors))


def test_fixed_vocabulary_must_be_numbered():
    with pytest.raises(ValueError, match="0..n-1"):
        TokenScanner({"a": 1})
    with pytest.raises(ValueError, match="max_vocab_size"):
        TokenScanner({"a": 0}, max_vocab_size=3)


def test_many_distinct_words_grow_every_table(tmp_path):
    path = tmp_path / "distinct.txt"
    words = [f"w{i:06d}" for i in range(70000)]
    path.write_text("\n".join(" ".join(words[i:i + 7]) for i in range(0, len(words), 7)))
    ours = scan_files([str(path)])
    assert ours.words == words
    assert_same(ours, python_encode([str(path)]))


PIECES = st.sampled_from(["a", "bb", "ab", "\u00e9", "\u4e2d", " ", "\t", "\n", "\r\n",
                          "\u00a0", "\u3000", "\u2029", "\x1f", "\u00c2", "\u20ac", "\n\n"])


@settings(max_examples=150, deadline=None)
@given(st.lists(PIECES, max_size=60), st.integers(4, 40), st.none() | st.integers(1, 4))
def test_any_text_any_chunking(tmp_path_factory, pieces, chunk_bytes, max_vocab_size):
    path = tmp_path_factory.mktemp("any") / "text.txt"
    path.write_text("".join(pieces), encoding="utf-8")
    ours = scan_files([str(path)], max_vocab_size=max_vocab_size, chunk_bytes=chunk_bytes)
    theirs = python_encode([str(path)], max_vocab_size=max_vocab_size, chunk_bytes=chunk_bytes)
    assert_same(ours, theirs)


def test_line_sentence_is_read_by_the_scanner(kjv_plain, monkeypatch):
    from fastemb import encode
    from fastemb.corpus import LineSentence
    expected = encode.encode_iterable(list(LineSentence(kjv_plain)))
    used = []
    monkeypatch.setattr(encode, "scan_files",
                        lambda *args, **kwargs: used.append(1) or scan_files(*args, **kwargs))
    assert_same(encode.encode_iterable(LineSentence(kjv_plain)), expected)
    assert used
    used.clear()
    encode.encode_iterable(LineSentence(kjv_plain, max_sentence_length=5))
    assert not used  # cut lines take the Python path
