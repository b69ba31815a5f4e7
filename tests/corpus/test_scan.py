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
from fastemb.corpus.encode import CorpusEncoder, EncodedCorpus, scan_files
from fastemb.corpus.threaded_scan import plan_pieces, scan_threaded
from fastemb.corpus.vocab import RULE_KEEP
from fastemb.errors import CorpusError

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
    from fastemb.corpus import LineSentence, encode
    expected = encode.encode_iterable(list(LineSentence(kjv_plain)))
    used = []
    monkeypatch.setattr(encode, "scan_files",
                        lambda *args, **kwargs: used.append(1) or scan_files(*args, **kwargs))
    assert_same(encode.encode_iterable(LineSentence(kjv_plain)), expected)
    assert used
    used.clear()
    encode.encode_iterable(LineSentence(kjv_plain, max_sentence_length=5))
    assert not used  # cut lines take the Python path


# --------------------------------------------------------- threaded scanning
def threaded(files, threads, vocab=None, min_piece_bytes=1, chunk_bytes=1 << 19,
             encoding_errors="strict"):
    """scan_threaded's result as the corpus scan_files returns."""
    chunks, ends, scanner = scan_threaded(files, vocab, encoding_errors, threads, chunk_bytes,
                                          min_piece_bytes)
    words = list(vocab) if vocab is not None else scanner.words()
    return EncodedCorpus(chunks, ends, words, scanner.counts(), scanner.raw_word_count)


def test_pieces_cover_every_file_once_and_cut_after_whitespace(kjv_plain, tmp_path):
    small = tmp_path / "small.txt"
    small.write_text("one line\n")
    files = [kjv_plain, KJV_EXCERPT, str(small), kjv_plain]
    runs = plan_pieces(files, 5, min_piece_bytes=20000)
    assert len(runs) == 5
    pieces = [piece for run in runs for piece in run]
    text = open(kjv_plain, "rb").read()
    by_file = [[]]
    for piece in pieces:
        by_file[-1].append(piece)
        if piece.last:
            by_file.append([])
    assert by_file.pop() == [] and len(by_file) == len(files)
    for file, file_pieces in zip(files, by_file):
        assert all(piece.file == file for piece in file_pieces)
        assert [piece.last for piece in file_pieces] == [False] * (len(file_pieces) - 1) + [True]
        starts = [piece.start for piece in file_pieces]
        assert starts == [0] + [piece.end for piece in file_pieces[:-1]]
        if file == kjv_plain:
            assert len(file_pieces) > 1
            assert all(text[piece.end - 1:piece.end] in (b" ", b"\n", b"\t", b"\r")
                       for piece in file_pieces[:-1])
        else:
            assert len(file_pieces) == 1  # compressed or small: read whole


@pytest.mark.parametrize("threads", [2, 3, 7])
def test_threads_give_the_single_scanner_result(kjv_plain, threads):
    files = [kjv_plain, KJV_EXCERPT, kjv_plain]
    ours = threaded(files, threads, min_piece_bytes=30000)
    assert len(plan_pieces(files, threads, 30000)) == threads
    assert_same(ours, scan_files(files))


def test_threads_with_a_fixed_vocabulary(kjv_plain):
    vocab = {"the": 0, "and": 1, "lord": 2, "LORD": 3, "zzz-never": 4}
    ours = threaded([kjv_plain], 3, vocab=vocab, min_piece_bytes=30000)
    assert_same(ours, scan_files([kjv_plain], vocab=vocab))


def test_scan_files_uses_threads_unless_pruning(kjv_plain, monkeypatch):
    from fastemb.corpus import encode
    calls = []
    real = encode.scan_threaded
    monkeypatch.setattr(encode, "scan_threaded", lambda *a, **k: calls.append(1) or real(*a, **k))
    assert_same(scan_files([kjv_plain], threads=2), scan_files([kjv_plain]))
    assert calls == [1]
    scan_files([kjv_plain], max_vocab_size=800, threads=2)
    assert calls == [1]  # pruning needs the whole text in order: one thread


def test_bad_bytes_in_a_later_piece_are_named_at_their_offset(tmp_path):
    path = tmp_path / "bad.txt"
    good = b"plain words here\n" * 4000
    path.write_bytes(good + b"broken \xff byte\n" + good)
    with pytest.raises(CorpusError, match=f"invalid UTF-8 at byte {len(good) + 7}"):
        threaded([str(path)], 4, min_piece_bytes=1000)
    for errors in ("replace", "ignore"):
        assert_same(threaded([str(path)], 4, min_piece_bytes=1000, encoding_errors=errors),
                    scan_files([str(path)], encoding_errors=errors))


def test_merging_refuses_scanners_that_prune_or_fix_the_vocabulary():
    with pytest.raises(ValueError, match="counting"):
        TokenScanner().absorb(TokenScanner({"a": 0}))
    with pytest.raises(ValueError, match="max_vocab_size"):
        TokenScanner(max_vocab_size=5).absorb(TokenScanner())


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(PIECES, max_size=40), min_size=1, max_size=3), st.integers(1, 5),
       st.integers(1, 30), st.integers(4, 40))
def test_any_text_any_cuts(tmp_path_factory, texts, threads, min_piece_bytes, chunk_bytes):
    folder = tmp_path_factory.mktemp("cuts")
    files = []
    for number, pieces in enumerate(texts):
        path = folder / f"text{number}.txt"
        path.write_text("".join(pieces), encoding="utf-8")
        files.append(str(path))
    ours = threaded(files, threads, min_piece_bytes=min_piece_bytes, chunk_bytes=chunk_bytes)
    assert_same(ours, python_encode(files, chunk_bytes=chunk_bytes))
