"""Checkpoints and exact resume: a run killed with SIGKILL at random moments
(during training or while a checkpoint is being written) and resumed from
its last checkpoint ends bit-identical to an uninterrupted run, for every
model; a resumed run refuses another corpus; damaged or foreign files give
a clear error."""
import os
import random
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import fastemb
from fastemb import FastText, GloVe, Word2Vec
from fastemb.errors import CorpusError, FormatError
from fastemb.models.doc2vec import Doc2Vec, TaggedDocument
from fastemb.training import checkpoint as checkpoints
from fastemb.training.checkpoint import parse_every

from conftest import category_margin, every_checkpoint

#: Where the fastemb under test is imported from (the checkout when built in
#: place, site-packages when installed): subprocesses run there, so that
#: ``python -m fastemb`` imports the same one and not a source tree without
#: its compiled kernels.
PACKAGE_HOME = os.path.dirname(os.path.dirname(os.path.abspath(fastemb.__file__)))

#: (CLI options, checkpoint interval) of each model: about a second of
#: training on the excerpt with one thread, so random kills land all over it.
CLI_RUNS = {
    "word2vec-sg-ns": (["--model", "word2vec", "--sg", "--epochs", "3"], "20k words"),
    "word2vec-cbow-hs": (["--model", "word2vec", "--cbow", "--hs", "--negative", "0",
                          "--epochs", "5"], "30k words"),
    "fasttext": (["--model", "fasttext", "--epochs", "4"], "30k words"),
    "doc2vec": (["--model", "doc2vec", "--epochs", "12"], "50k words"),
    "glove": (["--model", "glove", "--epochs", "25"], "100k entries"),
}


def _cli(*args):
    return [sys.executable, "-m", "fastemb", "train", *args, "--workers", "1", "--seed", "7",
            "--vector-size", "24", "--quiet"]


def _environment():
    """Options of every subprocess: the tested fastemb first on the path."""
    env = dict(os.environ)
    env["PYTHONPATH"] = PACKAGE_HOME + os.pathsep + env.get("PYTHONPATH", "")
    return {"env": env, "cwd": PACKAGE_HOME}


def _vectors(path):
    from fastemb.cli.train import _resume_class
    model = _resume_class(path).load(path)
    arrays = [model.wv.vectors]
    if isinstance(model, Doc2Vec):
        arrays.append(model.dv.vectors)
    if isinstance(model, FastText):
        arrays.append(model.wv.vectors_ngrams)
    return arrays


def _kill_and_resume(start, resume, checkpoint, rng, kills, options, span=(0.3, 1.6)):
    """Run ``start``, SIGKILL it after a random delay (seconds drawn from
    ``span``), continue with ``resume`` once a checkpoint exists (else start
    over), ``kills`` times; then let the last run finish. Returns how many
    runs were resumes."""
    resumes = 0
    command = start
    for attempt in range(kills + 1):
        process = subprocess.Popen(command, **options, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE)
        try:
            _, err = process.communicate(timeout=rng.uniform(*span) if attempt < kills
                                         else 300)
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGKILL)
            process.communicate()
        else:
            assert process.returncode == 0, err.decode()
            return resumes
        if os.path.exists(checkpoint):
            command = resume
            resumes += 1
    raise AssertionError("the last run was killed too")


@pytest.mark.parametrize("name", sorted(CLI_RUNS))
def test_sigkill_at_random_moments_then_resume_is_bit_identical(name, kjv_file, tmp_path):
    options, every = CLI_RUNS[name]
    env = _environment()
    reference = str(tmp_path / "reference.model")
    started = time.perf_counter()
    subprocess.run(_cli(kjv_file, "-o", reference, *options), **env, check=True,
                   stderr=subprocess.PIPE)
    # kill within the span of a whole run, as long as it takes on this machine now
    seconds = time.perf_counter() - started
    span = (0.15 * seconds, 0.9 * seconds)
    output, checkpoint = str(tmp_path / "resumed.model"), str(tmp_path / "run.ckpt")
    start = _cli(kjv_file, "-o", output, *options, "--checkpoint", checkpoint,
                 "--checkpoint-every", every)
    resume = _cli(kjv_file, "-o", output, "--resume", checkpoint)
    rng = random.Random(name)
    resumes = 0
    for _ in range(3):  # a few tries: kills are timed at random, resumes must happen
        for stale in (output, checkpoint):
            if os.path.exists(stale):
                os.unlink(stale)
        resumes = _kill_and_resume(start, resume, checkpoint, rng, kills=4, options=env,
                                   span=span)
        if resumes:
            break
    assert resumes >= 1, "no kill landed after the first checkpoint"
    for ours, theirs in zip(_vectors(output), _vectors(reference)):
        assert np.array_equal(ours, theirs)
    leftovers = [f for f in os.listdir(tmp_path) if f.endswith(".tmp")]
    # a save killed midway leaves its temporary file until the next save of
    # the same file removes it; the final save of the output removed its own
    assert not [f for f in leftovers if f.startswith("resumed.model")]


@pytest.fixture(scope="module")
def small_corpus(tmp_path_factory, kjv_sentences):
    path = tmp_path_factory.mktemp("small") / "small.txt"
    path.write_text("\n".join(" ".join(s) for s in kjv_sentences[:6000]) + "\n",
                    encoding="utf-8")
    return str(path)


def _word_model(cls, corpus, **options):
    model = cls(vector_size=16, min_count=3, workers=1, seed=11, epochs=3, **options)
    if cls is Doc2Vec:
        documents = [TaggedDocument(line.split(), [i]) for i, line in
                     enumerate(open(corpus, encoding="utf-8"))]
        model.build_vocab(documents)
        return model, dict(corpus_iterable=documents)
    model.build_vocab(corpus_file=corpus)
    return model, dict(corpus_file=corpus)


@pytest.mark.parametrize("cls, options", [
    (Word2Vec, dict(sg=1, hs=1, negative=0)), (Word2Vec, dict(sg=0, negative=5)),
    (FastText, dict(sg=1)), (Doc2Vec, dict(dm=1)), (Doc2Vec, dict(dm=0, dbow_words=1))])
def test_resume_from_every_checkpoint_is_bit_identical(cls, options, small_corpus, tmp_path,
                                                       monkeypatch):
    copies = every_checkpoint(monkeypatch, tmp_path)
    model, source = _word_model(cls, small_corpus, **options)
    every = model.corpus_total_words * model.epochs // 7
    model.train(**source, total_examples=model.corpus_count, epochs=model.epochs,
                checkpoint=str(tmp_path / "run.ckpt"), checkpoint_every=f"{every} words")
    monkeypatch.undo()
    # the kernel pauses at each multiple of the word count: 6 pauses (some
    # mid-sentence), then the final save
    assert len(copies) == 7
    for copy in copies:
        resumed = cls.resume(copy, **source)
        assert np.array_equal(resumed.wv.vectors, model.wv.vectors), copy
        assert resumed.loss_history == model.loss_history
        assert resumed.epochs_trained == model.epochs_trained
        if cls is Doc2Vec:
            assert np.array_equal(resumed.dv.vectors, model.dv.vectors)


def test_glove_resume_from_every_checkpoint_is_bit_identical(small_corpus, tmp_path,
                                                            monkeypatch):
    copies = every_checkpoint(monkeypatch, tmp_path)
    model = GloVe(vector_size=16, min_count=3, workers=1, seed=5, epochs=6)
    model.build_vocab(corpus_file=small_corpus)
    matrix = model.build_cooccurrence(corpus_file=small_corpus)
    model.train(checkpoint=str(tmp_path / "run.ckpt"),
                checkpoint_every=f"{matrix.nnz * model.epochs // 7} entries")
    monkeypatch.undo()
    assert len(copies) >= 7
    for copy in copies:
        resumed = GloVe.resume(copy, corpus_file=small_corpus)
        assert np.array_equal(resumed.wv.vectors, model.wv.vectors), copy
        assert resumed.cost_history == model.cost_history


def test_a_checkpoint_loads_as_a_model(small_corpus, tmp_path):
    model, source = _word_model(FastText, small_corpus)
    model.train(**source, total_examples=model.corpus_count, epochs=2,
                checkpoint=str(tmp_path / "run.ckpt"))
    loaded = FastText.load(str(tmp_path / "run.ckpt"))
    assert np.array_equal(loaded.wv.vectors, model.wv.vectors)
    assert loaded.wv.most_similar("lord", topn=1)


def test_resume_refuses_another_corpus(small_corpus, tmp_path, kjv_sentences):
    model, source = _word_model(Word2Vec, small_corpus)
    checkpoint = str(tmp_path / "run.ckpt")
    model.train(**source, total_examples=model.corpus_count, epochs=1, checkpoint=checkpoint,
                checkpoint_every="10k words")
    # a checkpoint of a finished run needs no corpus; make it unfinished
    arrays, meta, state = checkpoints.read_checkpoint(checkpoint, "Word2Vec")
    other = tmp_path / "other.txt"
    other.write_text("\n".join(" ".join(s) for s in kjv_sentences[4000:8000]) + "\n",
                     encoding="utf-8")
    shifted = tmp_path / "shifted.txt"
    lines = open(small_corpus, encoding="utf-8").read().splitlines()
    shifted.write_text("\n".join(lines[1:] + lines[:1]) + "\n", encoding="utf-8")
    unfinished = _unfinished_copy(checkpoint, tmp_path)
    with pytest.raises(CorpusError, match="not the one it was trained on: it has"):
        Word2Vec.resume(unfinished, corpus_file=str(other))
    with pytest.raises(CorpusError, match="the content differs"):
        Word2Vec.resume(unfinished, corpus_file=str(shifted))
    assert Word2Vec.resume(unfinished, corpus_file=small_corpus).epochs_trained == 1


def _unfinished_copy(checkpoint, folder):
    """The checkpoint rewritten as if the run had stopped at the start of its
    last epoch (a real state: the weights just come from a later moment)."""
    from fastemb.io import native
    arrays, meta = native.load_arrays(checkpoint)
    meta["checkpoint"].update(finished=False, epoch=meta["checkpoint"]["call"]["epochs"])
    meta["epochs_trained"] -= 1
    path = str(folder / "unfinished.ckpt")
    native.save_arrays(path, arrays, meta)
    return path


def test_resume_rejects_files_that_are_not_its_checkpoints(small_corpus, tmp_path):
    model, source = _word_model(Word2Vec, small_corpus)
    model.train(**source, total_examples=model.corpus_count, epochs=1,
                checkpoint=str(tmp_path / "run.ckpt"))
    model.save(str(tmp_path / "plain.model"))
    with pytest.raises(FormatError, match="not a checkpoint"):
        Word2Vec.resume(str(tmp_path / "plain.model"), **source)
    with pytest.raises(FormatError, match="Word2Vec"):
        GloVe.resume(str(tmp_path / "run.ckpt"), **source)
    raw = bytearray(open(tmp_path / "run.ckpt", "rb").read())
    raw[-100] ^= 0xFF
    (tmp_path / "damaged.ckpt").write_bytes(bytes(raw))
    with pytest.raises(FormatError, match="checksum"):
        Word2Vec.resume(str(tmp_path / "damaged.ckpt"), **source)
    (tmp_path / "cut.ckpt").write_bytes(bytes(raw[:len(raw) // 2]))
    with pytest.raises(FormatError, match="truncated"):
        Word2Vec.resume(str(tmp_path / "cut.ckpt"), **source)


@pytest.mark.parametrize("every, expected", [
    (90, ("seconds", 90.0)), ("90s", ("seconds", 90.0)), ("10min", ("seconds", 600.0)),
    ("1h", ("seconds", 3600.0)), ("2.5 hours", ("seconds", 9000.0)),
    ("500000 words", ("units", 5e5)), ("2M words", ("units", 2e6)),
    ("50k entries", ("units", 5e4))])
def test_checkpoint_intervals(every, expected):
    assert parse_every(every) == expected


@pytest.mark.parametrize("every", [0, -5, "soon", "10 parsecs", "5M", "10m", float("nan"),
                                   True, None])
def test_bad_checkpoint_intervals_are_refused(every):
    with pytest.raises(ValueError, match="checkpoint_every"):
        parse_every(every)


def test_bad_checkpoint_settings_fail_before_training(small_corpus, tmp_path):
    model, source = _word_model(Word2Vec, small_corpus)
    with pytest.raises(ValueError, match="checkpoint_every"):
        model.train(**source, total_examples=model.corpus_count, epochs=1,
                    checkpoint=str(tmp_path / "run.ckpt"), checkpoint_every="often")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        model.train(**source, total_examples=model.corpus_count, epochs=1,
                    checkpoint=str(tmp_path / "missing" / "run.ckpt"))
    assert model.epochs_trained == 0


def test_ctrl_c_writes_a_checkpoint_the_run_resumes_from(kjv_file, tmp_path):
    options = CLI_RUNS["word2vec-cbow-hs"][0] + ["--epochs", "20"]  # about 2 s of training
    env = _environment()
    reference = str(tmp_path / "reference.model")
    subprocess.run(_cli(kjv_file, "-o", reference, *options), **env, check=True,
                   stderr=subprocess.PIPE)
    output, checkpoint = str(tmp_path / "out.model"), str(tmp_path / "run.ckpt")
    process = subprocess.Popen(_cli(kjv_file, "-o", output, *options, "--checkpoint",
                                    checkpoint, "--checkpoint-every", "1h"),
                               **env, stderr=subprocess.PIPE)
    first_line = process.stderr.readline()  # "vocabulary: ...": training starts now
    time.sleep(0.6)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=120)
    err = first_line + err
    if process.returncode == 0 or b"interrupted" not in err:
        pytest.skip("training ended before Ctrl-C arrived")
    if not os.path.exists(checkpoint):
        assert b"fastemb: interrupted" in err
        pytest.skip("Ctrl-C came before training began (a loaded machine): nothing to resume")
    assert process.returncode == 130, err.decode()
    assert b"--resume" in err
    resumed = subprocess.run(_cli(kjv_file, "-o", output, "--resume", checkpoint), **env,
                             stderr=subprocess.PIPE)
    assert resumed.returncode == 0, resumed.stderr.decode()
    assert np.array_equal(_vectors(output)[0], _vectors(reference)[0])


_SAVE_LOOP = """
import sys
import numpy as np
from fastemb.io import native
path, n = sys.argv[1], 0
while True:
    n += 1
    native.save_arrays(path, {"values": np.full(2_000_000, n, dtype=np.int64)}, {"n": n})
    print(n, flush=True)
"""


def test_sigkill_during_saves_never_leaves_a_torn_file(tmp_path):
    from fastemb.io import native
    path = str(tmp_path / "model.bin")
    env = _environment()
    rng = random.Random(3)
    for _ in range(8):
        process = subprocess.Popen([sys.executable, "-c", _SAVE_LOOP, path], **env,
                                   stdout=subprocess.PIPE)
        process.stdout.readline()  # at least one save finished
        time.sleep(rng.uniform(0.0, 0.2))
        process.send_signal(signal.SIGKILL)
        process.communicate()
        arrays, meta = native.load_arrays(path)  # checks every byte's CRC
        assert (arrays["values"] == meta["n"]).all()
    native.save_arrays(path, {"values": np.zeros(3, np.int64)}, {"n": 0})
    assert os.listdir(tmp_path) == ["model.bin"]  # the killed saves' temp files are gone


def test_with_two_threads_a_resumed_run_is_as_good(kjv_file, tmp_path, monkeypatch):
    copies = every_checkpoint(monkeypatch, tmp_path)
    model = Word2Vec(vector_size=32, min_count=3, workers=2, seed=2, epochs=4, sg=1)
    model.build_vocab(corpus_file=kjv_file)
    every = model.corpus_total_words * model.epochs // 4
    model.train(corpus_file=kjv_file, total_examples=model.corpus_count, epochs=model.epochs,
                checkpoint=str(tmp_path / "run.ckpt"), checkpoint_every=f"{every} words")
    monkeypatch.undo()
    middle = copies[len(copies) // 2 - 1]
    # resuming goes on writing to the checkpoint: keep one with 2 threads' state
    one_thread = str(tmp_path / "one-thread.ckpt")
    from fastemb.io import native
    arrays, meta = native.load_arrays(middle)
    assert not meta["checkpoint"]["finished"]
    meta["params"]["workers"] = 1
    native.save_arrays(one_thread, arrays, meta)
    resumed = Word2Vec.resume(middle, corpus_file=kjv_file)
    assert resumed.epochs_trained == model.epochs_trained == 4
    assert len(resumed.loss_history) == 4
    # Hogwild threads are never bit-identical; the resumed run learns as well
    assert category_margin(resumed.wv) > 0.8 * category_margin(model.wv) > 0.1
    # a checkpoint of two threads whose model now says one: the paused
    # epoch's pieces go to the one thread, and it learns as well
    on_one = Word2Vec.resume(one_thread, corpus_file=kjv_file)
    assert on_one.workers == 1 and on_one.epochs_trained == 4
    assert category_margin(on_one.wv) > 0.8 * category_margin(model.wv)


def test_ctrl_c_between_epochs_leaves_a_checkpoint_to_resume(small_corpus, tmp_path):
    """Ctrl-C after an epoch ended (here from a callback): training stops
    before the next one, the checkpoint is the one at the boundary, and
    resuming trains the rest bit-identically."""
    from fastemb.training.callbacks import CallbackAny2Vec

    class StopAfterFirstEpoch(CallbackAny2Vec):
        def on_epoch_end(self, model):
            if model.epochs_trained == 1:
                import signal as _signal
                _signal.raise_signal(_signal.SIGINT)  # handled: asks the kernels to stop

    model, source = _word_model(Word2Vec, small_corpus)
    reference, _ = _word_model(Word2Vec, small_corpus)
    reference.train(**source, total_examples=reference.corpus_count, epochs=3)
    checkpoint = str(tmp_path / "run.ckpt")
    model.train(**source, total_examples=model.corpus_count, epochs=3, checkpoint=checkpoint,
                checkpoint_every="1h", callbacks=[StopAfterFirstEpoch()])
    assert model.interrupted and model.epochs_trained == 1
    resumed = Word2Vec.resume(checkpoint, **source)
    assert resumed.epochs_trained == 3
    assert np.array_equal(resumed.wv.vectors, reference.wv.vectors)
