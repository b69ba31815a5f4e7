"""Reading corpora and encoding them into word ids."""
import bz2
import gzip
import lzma

import numpy as np
import pytest

from fastemb.corpus import LineSentence, Text8Corpus, iter_file_pieces, simple_tokenize
from fastemb.corpus.encode import CorpusEncoder, encode_files, encode_iterable
from fastemb.errors import CorpusError

TEXT = "the cat sat on the mat\nthe dog ate the cat\n\nend of story\n"


def _write(path, text, opener=open):
    with opener(path, "wb") as handle:
        handle.write(text.encode("utf-8"))
    return str(path)


@pytest.mark.parametrize("suffix, opener", [("", open), (".gz", gzip.open), (".bz2", bz2.open),
                                            (".xz", lzma.open)])
def test_line_sentence_reads_plain_and_compressed_files(tmp_path, suffix, opener):
    path = _write(tmp_path / f"c.txt{suffix}", TEXT, opener)
    sentences = list(LineSentence(path))
    assert sentences == [line.split() for line in TEXT.splitlines()]
    assert list(LineSentence(path)) == sentences  # restartable


def test_directory_is_read_in_name_order(tmp_path):
    _write(tmp_path / "b.txt", "second file\n")
    _write(tmp_path / "a.txt", "first file\n")
    assert list(LineSentence(str(tmp_path))) == [["first", "file"], ["second", "file"]]


def test_a_line_longer_than_a_chunk_is_kept_whole(tmp_path):
    words = [f"w{i % 97}é" for i in range(20000)]  # multi-byte characters too
    path = _write(tmp_path / "long.txt", " ".join(words) + "\nshort line")
    pieces = list(iter_file_pieces(path, chunk_bytes=1000))
    assert len(pieces) > 50  # really read in many chunks
    tokens = [t for piece, _ in pieces for t in piece]
    assert tokens == words + ["short", "line"]
    assert [ends for _, ends in pieces].count(True) == 2
    assert list(LineSentence(path)) == [words, ["short", "line"]]


def test_invalid_utf8_names_file_and_offset(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_bytes(b"good words\nbad \xff\xfe bytes\n")
    with pytest.raises(CorpusError, match=r"bad\.txt: invalid UTF-8 at byte 15"):
        list(LineSentence(str(path)))
    assert list(LineSentence(str(path), encoding_errors="ignore"))[1] == ["bad", "bytes"]


def test_missing_and_empty_sources_raise(tmp_path):
    with pytest.raises(CorpusError, match="does not exist"):
        LineSentence(str(tmp_path / "nope.txt"))
    with pytest.raises(CorpusError, match="no files"):
        LineSentence(str(tmp_path))


def test_text8corpus_cuts_fixed_length_sentences(tmp_path):
    path = _write(tmp_path / "t8", " ".join(str(i) for i in range(25)))
    assert [len(s) for s in Text8Corpus(path, max_sentence_length=10)] == [10, 10, 5]


def test_simple_tokenize_keeps_words_only():
    assert simple_tokenize("In the Beginning, God's 7 days—rest!") == \
        ["in", "the", "beginning", "god's", "days", "rest"]


def _reference(sentences, min_count):
    counts = {}
    for sentence in sentences:
        for w in sentence:
            counts[w] = counts.get(w, 0) + 1
    order = sorted((w for w in counts if counts[w] >= min_count),
                   key=lambda w: -counts[w])  # stable: first appearance breaks ties
    index = {w: i for i, w in enumerate(order)}
    return [[index[w] for w in s if w in index] for s in sentences], order


def test_encoding_and_compaction_match_a_python_reference(kjv_sentences):
    from fastemb.corpus.vocab import select_vocabulary
    sentences = kjv_sentences[:3000] + [[]] + kjv_sentences[3000:3100]
    encoded = encode_iterable(sentences)
    mapping, keys, _ = select_vocabulary(encoded.words, encoded.counts, min_count=3)
    tokens, ends = encoded.compact(mapping)
    expected, order = _reference(sentences, 3)
    assert keys == order
    assert tokens.tolist() == [i for s in expected for i in s]
    assert ends.tolist() == np.cumsum([len(s) for s in expected]).tolist()
    assert encoded.raw_words == sum(len(s) for s in sentences)


def test_file_and_iterable_encodings_agree(kjv_file, kjv_sentences):
    a = encode_files(kjv_file)
    b = encode_iterable(kjv_sentences)
    assert a.words == b.words and (a.counts == b.counts).all()
    ta, ea = a.compact()
    tb, eb = b.compact()
    assert (ta == tb).all() and (ea == eb).all()


def test_fixed_vocabulary_drops_unknown_words():
    encoder = CorpusEncoder(vocab={"a": 0, "b": 1})
    encoder.add(["a", "x", "b", "a"])
    encoder.add(["y"])
    encoded = encoder.finish()
    tokens, ends = encoded.compact()
    assert tokens.tolist() == [0, 1, 0] and ends.tolist() == [3, 3]
    assert encoded.raw_words == 5


def test_max_vocab_size_prunes_rare_words_while_counting():
    sentences = [["common"] * 5 + [f"rare{i}"] for i in range(3000)]
    encoded = encode_iterable(sentences, max_vocab_size=100)
    live = [w for w in encoded.words if w is not None]
    assert len(live) <= 100 + 10000  # bounded by the flush interval, not the corpus
    assert "common" in live
    idx = encoded.words.index("common")
    assert encoded.counts[idx] == 15000


def test_sentences_must_be_token_lists():
    with pytest.raises(CorpusError, match="list of str tokens"):
        encode_iterable(["a plain string"])
    with pytest.raises(CorpusError, match="tokens must be str"):
        encode_iterable([[1, 2, 3]])
    with pytest.raises(CorpusError, match="corpus_file"):
        encode_iterable("path/to/file.txt")


def test_worker_line_starts_cut_a_file_at_line_starts(tmp_path, kjv_file):
    from fastemb import Doc2Vec
    from fastemb.corpus.readers import worker_line_starts
    five = tmp_path / "five.txt"
    five.write_bytes(b"".join(b"line%d\n" % i for i in range(1, 6)))
    # gensim's rule: evenly spaced byte positions, each moved back to its line's start
    assert worker_line_starts(five, 3) == ([0, 6, 18], [0, 1, 3])
    assert worker_line_starts(five, 6) == ([0, 0, 6, 12, 18, 24], [0, 0, 1, 2, 3, 4])
    assert Doc2Vec._get_offsets_and_start_doctags_for_corpusfile(str(five), 2) == \
        ([0, 12], [0, 2])
    offsets, lines = worker_line_starts(kjv_file, 7)
    with open(kjv_file, "rb") as handle:
        data = handle.read()
    starts = [0] + [i + 1 for i, byte in enumerate(data) if byte == 10][:-1]
    assert all(starts[line] == offset for offset, line in zip(offsets, lines))
    assert lines == sorted(lines) and len(offsets) == 7
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    assert worker_line_starts(empty, 4) == ([], [])
    with pytest.raises(ValueError, match="workers must be at least 1"):
        worker_line_starts(five, 0)
