"""The streaming reader of word2vec text and binary files: numbers as
numpy reads them, every cut of the blocks, any thread count, compressed
files, limits and the errors of bad files."""
import gzip

import numpy as np
import pytest

from fastemb import KeyedVectors
from fastemb._vector_text import BAD_NUMBER, WRONG_COUNT, parse_text
from fastemb.errors import FileEncodingError, FormatError, TruncatedFileError
from fastemb.io.vector_reader import read_word2vec

FORMATS = ["%.9g", "%.4f", "%e", "%.17g", "%.3E", "%g", "%.20f", "%.25e"]
SPECIAL = ["nan", "-inf", "+inf", "Infinity", "NaN", "1e400", "-1e-400", "0", "-0", "+1.5",
           ".5", "5.", "123456789012345678901234567890",
           "0.000000000000000000000000000001234", "1e-45", "7e-46", "3.4028235e38", "1E+2"]


@pytest.mark.parametrize("form", FORMATS)
def test_numbers_are_read_to_the_bit_as_numpy_reads_them(form):
    rng = np.random.default_rng(1)
    values = np.concatenate([rng.standard_normal(3000), rng.standard_normal(500) * 1e30,
                             rng.standard_normal(500) * 1e-30]).astype(np.float32)
    strings = [form % v for v in values.tolist()] + SPECIAL
    expected = np.array(strings, dtype=np.float32)
    data = np.frombuffer(("key\t" + " ".join(strings) + " \r\n").encode(), dtype=np.uint8)
    out = np.zeros((1, len(strings)), dtype=np.float32)
    rows, status, _ = parse_text(data, 0, len(data), out, 0, np.zeros(1, np.int64),
                                 np.zeros(1, np.int32))
    assert (rows, status) == (1, 0)
    same = (out[0].view(np.uint32) == expected.view(np.uint32)) | \
        (np.isnan(out[0]) & np.isnan(expected))
    assert same.all(), [strings[i] for i in np.flatnonzero(~same)[:5]]


@pytest.mark.parametrize("token", ["1.0x", "--1", "1e", "e5", "1..2", "0x10", "in", "nanx",
                                   "1e+", "+", "."])
def test_a_token_that_is_not_a_number_is_named(token):
    data = np.frombuffer(f"w 1 {token} 3\n".encode(), dtype=np.uint8)
    out = np.zeros((1, 3), dtype=np.float32)
    rows, status, _ = parse_text(data, 0, len(data), out, 0, np.zeros(1, np.int64),
                                 np.zeros(1, np.int32))
    assert (rows, status) == (0, BAD_NUMBER)
    with pytest.raises(ValueError):  # numpy refuses it too
        float(np.array([token]).astype(np.float32)[0])


def test_a_line_with_another_count_of_values_says_how_many():
    data = np.frombuffer(b"a 1 2 3\nb 1 2\n", dtype=np.uint8)
    out = np.zeros((2, 3), dtype=np.float32)
    rows, status, values = parse_text(data, 0, len(data), out, 0, np.zeros(2, np.int64),
                                      np.zeros(2, np.int32))
    assert (rows, status, values) == (1, WRONG_COUNT, 2)


@pytest.fixture(scope="module")
def vectors():
    """Keys of every kind (ASCII, accents, CJK, emoji, punctuation) and
    values across magnitudes."""
    rng = np.random.default_rng(7)
    keys = [f"w{i}" for i in range(150)] + ["naïve", "日本語", "🙂", "a'b", "x-y", "</s>"]
    matrix = (rng.standard_normal((len(keys), 13)) *
              10.0 ** rng.integers(-8, 8, size=(len(keys), 1))).astype(np.float32)
    return keys, matrix


def _save(tmp_path, vectors, name, binary=False, header=True):
    keys, matrix = vectors
    path = str(tmp_path / name)
    KeyedVectors.from_arrays(keys, matrix).save_word2vec_format(path, binary=binary,
                                                               write_header=header)
    return path


@pytest.mark.parametrize("binary", [False, True])
def test_every_block_size_reads_the_same_vectors(tmp_path, vectors, binary):
    """Blocks from one byte to past the file cut every line and record at
    every position."""
    path = _save(tmp_path, vectors, "v.bin" if binary else "v.txt", binary=binary)
    size = len(open(path, "rb").read())
    keys, matrix = vectors
    for chunk in sorted({1, 2, 3, 7, 16, 61, 100, 257, 1000, 4096, size - 1, size, size + 1}):
        read_keys, read_matrix = read_word2vec(path, binary=binary, chunk_bytes=chunk, workers=2)
        assert read_keys == keys, chunk
        np.testing.assert_array_equal(read_matrix, matrix)


def test_threads_give_the_same_matrix(tmp_path):
    """A block of many lines, cut into a piece a thread."""
    rng = np.random.default_rng(3)
    keys = [f"k{i}" for i in range(40000)]
    matrix = rng.standard_normal((len(keys), 20)).astype(np.float32)
    path = str(tmp_path / "big.txt")
    KeyedVectors.from_arrays(keys, matrix).save_word2vec_format(path)
    results = [read_word2vec(path, workers=w, chunk_bytes=3 << 20) for w in (1, 3, 8)]
    for read_keys, read_matrix in results:
        assert read_keys == keys
        np.testing.assert_array_equal(read_matrix, matrix)


@pytest.mark.parametrize("suffix", [".gz", ".bz2", ".xz"])
@pytest.mark.parametrize("binary", [False, True])
def test_compressed_files_stream(tmp_path, vectors, suffix, binary):
    path = _save(tmp_path, vectors, "v" + suffix, binary=binary)
    read_keys, read_matrix = read_word2vec(path, binary=binary, chunk_bytes=333)
    assert read_keys == vectors[0]
    np.testing.assert_array_equal(read_matrix, vectors[1])


def test_glove_files_are_counted_then_read(tmp_path, vectors):
    path = _save(tmp_path, vectors, "glove.txt", header=False)
    with open(path, "ab") as handle:
        handle.write(b"\n   \n")  # blank lines at the end are not vectors
    keys, matrix = read_word2vec(path, no_header=True, chunk_bytes=50)
    assert keys == vectors[0]
    np.testing.assert_array_equal(matrix, vectors[1])


@pytest.mark.parametrize("binary", [False, True])
def test_limit_and_datatype(tmp_path, vectors, binary):
    path = _save(tmp_path, vectors, "v", binary=binary)
    keys, matrix = read_word2vec(path, binary=binary, limit=10, datatype=np.float16,
                                 chunk_bytes=64)
    assert keys == vectors[0][:10] and matrix.dtype == np.float16
    np.testing.assert_array_equal(matrix, vectors[1][:10].astype(np.float16))
    assert read_word2vec(path, binary=binary, limit=0)[1].shape == (0, 13)
    with pytest.raises(ValueError, match="limit"):
        read_word2vec(path, binary=binary, limit=-1)


def test_the_c_tools_binary_layout_and_gensims_both_read(tmp_path):
    """The C tool writes a newline after each vector, gensim none."""
    matrix = np.arange(6, dtype="<f4").reshape(3, 2)
    for newline in (b"\n", b""):
        path = tmp_path / f"v{len(newline)}.bin"
        path.write_bytes(b"3 2\n" + b"".join(key + b" " + row.tobytes() + newline for key, row
                                             in zip([b"a", b"b", b"c"], matrix)))
        keys, read = read_word2vec(path, binary=True, chunk_bytes=5)
        assert keys == ["a", "b", "c"]
        np.testing.assert_array_equal(read, matrix)


def test_bad_files_name_their_fault(tmp_path, vectors):
    text = _save(tmp_path, vectors, "v.txt")
    data = open(text, "rb").read()
    lines = data.split(b"\n")
    wrong = tmp_path / "wrong.txt"
    wrong.write_bytes(b"\n".join(lines[:50] + [b"bad 1 2"] + lines[51:]))
    with pytest.raises(FormatError, match="vector 50 .'bad'. has 2 values, expected 13"):
        read_word2vec(wrong, chunk_bytes=100)
    number = tmp_path / "number.txt"
    number.write_bytes(b"\n".join(lines[:3] + [b"odd " + b"1 " * 12 + b"x1"] + lines[4:]))
    with pytest.raises(FormatError, match="a value of vector 3 .'odd'. is not a number"):
        read_word2vec(number, workers=3)
    cut_line = tmp_path / "cut_line.txt"
    cut_line.write_bytes(data[:len(data) // 2])  # ends inside a line
    with pytest.raises(TruncatedFileError, match="announces 156 vectors, the file ends in"):
        read_word2vec(cut_line, chunk_bytes=500, workers=2)
    short = tmp_path / "short.txt"
    short.write_bytes(b"\n".join(lines[:40]) + b"\n")
    with pytest.raises(TruncatedFileError, match="announces 156 vectors, the file has 39"):
        read_word2vec(short)
    binary = open(_save(tmp_path, vectors, "v.bin", binary=True), "rb").read()
    cut = tmp_path / "cut.bin"
    cut.write_bytes(binary[:len(binary) - 30])
    with pytest.raises(TruncatedFileError, match="ends in vector 156"):
        read_word2vec(cut, binary=True, chunk_bytes=1000)
    gz = tmp_path / "cut.bin.gz"
    gz.write_bytes(gzip.compress(binary[:len(binary) - 30]))
    with pytest.raises(TruncatedFileError, match="ends in vector 156"):
        read_word2vec(gz, binary=True)
    invalid = tmp_path / "invalid.txt"
    invalid.write_bytes(b"\n".join(lines[:5] + [b"\xff\xfe " + b"1 " * 13] + lines[6:]))
    with pytest.raises(FileEncodingError, match="word 5 is not valid UTF-8"):
        read_word2vec(invalid)
    assert read_word2vec(invalid, unicode_errors="replace")[0][4] == "\ufffd\ufffd"
    twice = tmp_path / "twice.txt"
    twice.write_bytes(b"\n".join(lines[:5] + [lines[1]] + lines[6:]))
    with pytest.raises(FormatError, match="more than once"):
        read_word2vec(twice)
    with pytest.raises(FormatError, match="more than once"):
        KeyedVectors.load_word2vec_format(twice)


def test_a_binary_file_without_spaces_is_not_word2vec(tmp_path):
    path = tmp_path / "noise.bin"
    path.write_bytes(b"2 3\n" + b"x" * 300000)
    with pytest.raises(FormatError, match="vector 1 has no space after its word"):
        read_word2vec(path, binary=True, chunk_bytes=4096)


def test_a_header_promising_more_than_a_compressed_file_holds(tmp_path):
    path = tmp_path / "lying.txt.gz"
    path.write_bytes(gzip.compress(b"999999999999 300\nw 1\n"))
    with pytest.raises(FormatError, match="more than memory can hold"):
        read_word2vec(path)
    path.write_bytes(gzip.compress(b"1000 3\na 1 2 3\n"))
    with pytest.raises(TruncatedFileError, match="announces 1000 vectors, the file has 1"):
        read_word2vec(path)


@pytest.mark.parametrize("name, binary", [("v.txt", False), ("v.bin", True), ("v.txt.gz", False),
                                          ("v.bin.xz", True)])
def test_progress_is_reported_in_bytes_of_the_file(tmp_path, vectors, name, binary):
    path = _save(tmp_path, vectors, name, binary=binary)
    reports = []
    read_word2vec(path, binary=binary, chunk_bytes=512,
                  progress=lambda done, total: reports.append((done, total)))
    size = len(open(path, "rb").read())
    assert len(reports) > 3 and all(total == size for _, total in reports)
    done = [d for d, _ in reports]
    assert done == sorted(done) and done[-1] == size and done[0] < size


def test_the_commands_draw_a_progress_bar_while_reading(tmp_path, vectors, capsys):
    import fastemb.cli.vectors_files as files
    from fastemb.cli.progress import ProgressBar
    path = _save(tmp_path, vectors, "v.txt")
    drawn = []

    class Visible(ProgressBar):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, force=True, **kwargs)
            drawn.append(self)

    original, files.ProgressBar = files.ProgressBar, Visible
    try:
        files.load_vectors(path)
    finally:
        files.ProgressBar = original
    err = capsys.readouterr().err
    assert drawn and "reading v.txt" in err and "100.0%" in err and "MB/s" in err
