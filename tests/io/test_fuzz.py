"""Every file reader, fed damaged and random bytes, returns a result or
raises FormatError (CorpusError for corpora) naming the problem: never
another exception, a crash, a hang or a huge allocation from a lying header.

Inputs are real files (one of each kind) mutated by hypothesis: bytes
flipped, cut, inserted, and headers rewritten; inputs that once failed are
kept in ``tests/fuzz_corpus`` and replayed first. The budget is small here
(``FUZZ_EXAMPLES``, default 150 per reader); ``FUZZ_EXAMPLES=20000 pytest -m
fuzz`` runs a long campaign."""
import os
import resource

import numpy as np
import pytest

from fastemb import CorpusError, FormatError, KeyedVectors, load_facebook_vectors, load_gensim
from fastemb.corpus import iter_file_pieces
from fastemb.io.vector_reader import read_word2vec

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

pytestmark = pytest.mark.fuzz

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "150"))
TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS_DIR = os.path.join(TESTS, "fuzz_corpus")
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
                suppress_health_check=list(HealthCheck))


def _seed_files(tmp_path_factory):
    """One small valid file of each format."""
    folder = tmp_path_factory.mktemp("seeds")
    kv = KeyedVectors.from_arrays(["in", "the", "beginning", "gött"],
                                  np.arange(12, dtype=np.float32).reshape(4, 3) / 7)
    paths = {"text": folder / "v.txt", "binary": folder / "v.bin", "glove": folder / "g.txt",
             "native": folder / "v.fe"}
    kv.save_word2vec_format(str(paths["text"]))
    kv.save_word2vec_format(str(paths["binary"]), binary=True)
    kv.save_word2vec_format(str(paths["glove"]), write_header=False)
    kv.save(str(paths["native"]))
    paths["checkpoint"] = folder / "run.ckpt"
    _checkpoint_seed(str(paths["checkpoint"]))
    try:
        from fastemb import FastText, save_facebook_model
        model = FastText([["in", "the", "beginning"]] * 5, vector_size=3, min_count=1,
                         bucket=50, epochs=1, workers=1)
        paths["fasttext"] = folder / "m.bin"
        save_facebook_model(model, str(paths["fasttext"]))
    except ImportError:
        pass
    return {name: path.read_bytes() for name, path in paths.items()}


#: The corpus of the checkpoint seed (resuming it needs the same one): three
#: sentences longer than the kernel's buffer, so a pause can fall inside one.
CHECKPOINT_CORPUS = [["in", "the", "beginning", "god", "created", "the", "heaven"] * 1300] * 3


def _checkpoint_seed(path):
    """A checkpoint of a run paused mid-epoch (the first one written)."""
    import shutil

    from fastemb import Word2Vec
    from fastemb.training.checkpoint import Checkpointer
    model = Word2Vec(vector_size=4, min_count=1, workers=1, window=2, sample=0)
    model.build_vocab(CHECKPOINT_CORPUS)
    save = Checkpointer.save

    def keep_first(self, *args, **kwargs):
        save(self, *args, **kwargs)
        if not os.path.exists(path):
            shutil.copy(self.path, path)
    Checkpointer.save = keep_first
    try:
        model.train(CHECKPOINT_CORPUS, total_examples=3, epochs=2,
                    checkpoint=path + ".run", checkpoint_every="15k words")
    finally:
        Checkpointer.save = save
    os.unlink(path + ".run")


def _resume_checkpoint(path):
    from fastemb import Word2Vec
    return Word2Vec.resume(path, CHECKPOINT_CORPUS)


@pytest.fixture(scope="module")
def seeds(tmp_path_factory):
    return _seed_files(tmp_path_factory)


def _mutate(data, edits):
    data = bytearray(data)
    for kind, position, value in edits:
        if not data:
            data = bytearray(value)
            continue
        position %= len(data) + 1
        if kind == 0:
            data[position % len(data)] ^= value[0] if value else 0xFF
        elif kind == 1:
            del data[position:]
        elif kind == 2:
            data[position:position] = value
        else:  # rewrite the first line: a header that lies about sizes
            end = data.find(b"\n")
            data[:max(end, 0)] = value
    return bytes(data)


EDITS = st.lists(st.tuples(st.integers(0, 3), st.integers(0, 1 << 20),
                           st.binary(min_size=1, max_size=24)), min_size=1, max_size=4)


def _limited(call):
    """Run a reader under a 4 GiB address-space limit, so a lying header that
    made it allocate blindly would fail the test instead of the machine."""
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (1 << 32, hard))
    try:
        return call()
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def _check_reader(reader, data, path, allowed=(FormatError,)):
    path.write_bytes(data)
    try:
        _limited(lambda: reader(str(path)))
    except allowed:
        pass
    except MemoryError:
        pytest.fail("a reader tried a huge allocation")


READERS = {
    "text": lambda p: read_word2vec(p),
    "binary": lambda p: read_word2vec(p, binary=True),
    "glove": lambda p: read_word2vec(p, no_header=True),
    "native": lambda p: KeyedVectors.load(p),
    "fasttext": lambda p: load_facebook_vectors(p),
    "checkpoint": _resume_checkpoint,
}

#: What each reader may raise besides FormatError: a checkpoint whose
#: corpus fingerprint was damaged refuses the corpus instead.
ALSO_ALLOWED = {"checkpoint": (CorpusError,)}


@pytest.mark.parametrize("kind", sorted(READERS))
def test_readers_survive_mutated_files(kind, seeds, tmp_path):
    if kind not in seeds:
        pytest.skip(f"no {kind} seed file")
    path = tmp_path / f"fuzz.{kind}"
    allowed = (FormatError, *ALSO_ALLOWED.get(kind, ()))
    for name in sorted(os.listdir(CORPUS_DIR)):
        if name.startswith(kind + "-"):
            with open(os.path.join(CORPUS_DIR, name), "rb") as handle:
                _check_reader(READERS[kind], handle.read(), path, allowed)

    @FUZZ
    @given(edits=EDITS)
    def run(edits):
        _check_reader(READERS[kind], _mutate(seeds[kind], edits), path, allowed)
    run()


@FUZZ
@given(data=st.binary(max_size=400))
def test_random_bytes_are_refused_by_every_reader(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("random") / "blob"
    for kind, reader in READERS.items():
        _check_reader(reader, data, path, (FormatError, *ALSO_ALLOWED.get(kind, ())))
    _check_reader(load_gensim, data, path)


@FUZZ
@given(data=st.binary(max_size=600), chunk=st.integers(1, 64))
def test_corpus_reader_yields_tokens_or_a_corpus_error(tmp_path_factory, data, chunk):
    path = tmp_path_factory.mktemp("corpus") / "c.txt"
    path.write_bytes(data)
    pieces = list(iter_file_pieces(str(path), encoding_errors="replace", chunk_bytes=chunk))
    assert all(isinstance(t, str) for tokens, _ in pieces for t in tokens)
    # the tokens are exactly what splitting the decoded text gives, whatever the chunking
    assert [t for tokens, _ in pieces for t in tokens] == \
        data.decode("utf-8", "replace").split()
    try:
        list(iter_file_pieces(str(path), chunk_bytes=chunk))
    except CorpusError:
        pass


@pytest.mark.parametrize("kind", ["text", "binary", "fasttext", "native"])
def test_headers_that_promise_huge_sizes_are_refused_before_allocating(kind, seeds, tmp_path):
    data = seeds[kind]
    if kind in ("text", "binary"):
        lying = b"4000000000 1000000" + data[data.find(b"\n"):]
    elif kind == "fasttext":
        # the dimension is the first int32 of the arguments after magic and version
        lying = data[:8] + (10 ** 9).to_bytes(4, "little") + data[12:]
    else:
        lying = data.replace(b'"shape": [4, 3]', b'"shape": [4000000000, 3000000]')
        assert lying != data
    path = tmp_path / "lying"
    path.write_bytes(lying)
    with pytest.raises(FormatError):
        _limited(lambda: READERS[kind](str(path)))


def _numbers(value, path=()):
    """Every number in a JSON value, as (path, value)."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _numbers(item, path + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _numbers(item, path + (index,))
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        yield path, value


@FUZZ
@given(choice=st.integers(0, 1 << 16),
       value=st.one_of(st.integers(-(1 << 70), 1 << 70), st.floats(allow_nan=True),
                       st.none(), st.text(max_size=3), st.booleans()))
def test_checkpoints_with_any_position_value_resume_or_are_refused(tmp_path_factory, seeds,
                                                                   choice, value):
    """Rewrite one number of the checkpoint's state (position, generator,
    rate, tallies, epoch...) with any value, keeping the file's checksums
    valid (as a deliberate edit would): resuming either works or gives a
    FormatError, never a crash. A learning rate a user could also have
    given (alpha=1e38) may make training diverge: that error says so; and a
    number of epochs a user could also have given is trained (so huge ones
    are left out)."""
    from fastemb.errors import TrainingDivergedError
    from fastemb.io import native
    folder = tmp_path_factory.mktemp("state")
    original = folder / "seed.ckpt"
    original.write_bytes(seeds["checkpoint"])
    arrays, meta = native.load_arrays(str(original))
    numbers = list(_numbers(meta["checkpoint"]))
    where, _ = numbers[choice % len(numbers)]
    if where == ("call", "epochs") and isinstance(value, int) and value > 10:
        return
    target = meta["checkpoint"]
    for key in where[:-1]:
        target = target[key]
    target[where[-1]] = value
    damaged = folder / "damaged.ckpt"
    try:
        native.save_arrays(str(damaged), arrays, meta)
    except ValueError:
        return  # not representable in JSON (a NaN stays writable; this is an int too big)
    _check_reader(_resume_checkpoint, damaged.read_bytes(), folder / "run.ckpt",
                  (FormatError, CorpusError, TrainingDivergedError))
