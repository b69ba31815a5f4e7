"""Training and saving fail loudly and safely: divergence is reported with
its epoch, a second concurrent train() is refused, and a failed save (disk
full) leaves the previous file intact with an error that says so."""
import errno
import os
import threading
from unittest import mock

import numpy as np
import pytest

import fastemb.io.native
from fastemb import CallbackAny2Vec, KeyedVectors, Word2Vec
from fastemb.errors import TrainingDivergedError
from fastemb.training.loop import DivergenceWatch


def test_a_learning_rate_that_explodes_stops_with_the_epoch_named(kjv_sentences):
    for mode in (dict(sg=1), dict(sg=0), dict(hs=1, negative=0)):
        with pytest.raises(TrainingDivergedError, match=r"epoch 1: .*lower alpha \(this run: "
                                                        r"alpha=10000.0\)"):
            Word2Vec(kjv_sentences[:3000], min_count=2, epochs=3, workers=2, alpha=1e4, **mode)


def test_non_finite_pretrained_vectors_are_reported_not_trained_silently(kjv_sentences):
    model = Word2Vec(vector_size=20, min_count=3, workers=1)
    model.build_vocab(kjv_sentences[:3000])
    model.wv.vectors[model.wv.key_to_index["lord"]] = np.nan
    with pytest.raises(TrainingDivergedError, match="pretrained vectors are finite"):
        model.train(kjv_sentences[:3000], total_examples=3000, epochs=2)


class _Blowup(CallbackAny2Vec):
    """Scales the first output rows far up once, as a diverging merge did."""

    def on_epoch_end(self, model):
        if model.epochs_trained == 1:
            model.syn1neg[:50] *= 1e4


def test_weights_that_explode_stop_training_naming_the_epoch(kjv_sentences):
    with pytest.raises(TrainingDivergedError, match=r"diverged in epoch 2: .*lower alpha"):
        Word2Vec(kjv_sentences[:3000], vector_size=20, min_count=2, epochs=4, workers=1,
                 callbacks=[_Blowup()])


class _FakeModel:
    alpha = 0.025


def test_a_loss_that_grows_stops_training_before_it_ends_in_noise():
    watch = DivergenceWatch(_FakeModel())
    watch.check(7.2e6, 1)
    watch.check(6.5e6, 2)
    watch.check(9.0e6, 3)  # a rise within noise goes on
    with pytest.raises(TrainingDivergedError, match=r"epoch 4: its loss 1.4e\+07 is 2.2 times "
                                                    r"the lowest .*alpha=0.025"):
        watch.check(1.4e7, 4)


def test_loss_is_compared_a_prediction_and_only_over_enough_of_them():
    watch = DivergenceWatch(_FakeModel())
    watch.check(26.0, 1, predictions=60)
    watch.check(74.0, 2, predictions=170)  # a toy corpus: chance, not divergence
    watch.check(3.0e6, 3, predictions=1_000_000)
    watch.check(5.5e6, 4, predictions=2_000_000)  # more predictions, same loss each
    with pytest.raises(TrainingDivergedError, match=r"epoch 5: its loss a prediction 7 is 2.5 "
                                                    r"times the lowest epoch loss a prediction"):
        watch.check(7.0e6, 5, predictions=1_000_000)


def test_weights_are_judged_against_where_they_started():
    big = np.full((3, 4), 40.0, dtype=np.float32)   # pretrained with large values
    watch = DivergenceWatch(_FakeModel(), lambda: [big])
    big *= 9
    watch.check(1.0, 1)   # 360: under ten times the start
    big *= 2
    with pytest.raises(TrainingDivergedError, match="a weight reached 720"):
        watch.check(1.0, 2)


class _Signal(CallbackAny2Vec):
    def __init__(self):
        self.started = threading.Event()

    def on_epoch_begin(self, model):
        self.started.set()


def test_a_second_concurrent_train_is_refused_and_reading_is_safe(kjv_sentences):
    model = Word2Vec(vector_size=30, min_count=3, workers=2, sg=1, epochs=40)
    model.build_vocab(kjv_sentences)
    signal = _Signal()
    failures = []

    def background():
        try:
            model.train(kjv_sentences, total_examples=model.corpus_count, epochs=model.epochs,
                        callbacks=[signal])
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    worker = threading.Thread(target=background)
    worker.start()
    assert signal.started.wait(30)
    try:
        with pytest.raises(RuntimeError, match="already running"):
            model.train(kjv_sentences, total_examples=model.corpus_count, epochs=1)
        for _ in range(20):  # queries while the weights change under them
            assert len(model.wv.most_similar("lord", topn=5)) == 5
    finally:
        worker.join()
    assert not failures and model.epochs_trained == 40
    model.train(kjv_sentences, total_examples=model.corpus_count, epochs=1)  # free again


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full to fill the disk")
def test_disk_full_during_save_keeps_the_previous_file(tmp_path):
    path = tmp_path / "kv.fe"
    KeyedVectors.from_arrays(["a", "b"], np.ones((2, 3))).save(str(path))
    before = path.read_bytes()
    real_mkstemp = fastemb.io.native.tempfile.mkstemp

    def temp_file_on_a_full_disk(*args, **kwargs):
        fd, name = real_mkstemp(*args, **kwargs)
        os.close(fd)
        return os.open("/dev/full", os.O_WRONLY), name  # every write: ENOSPC

    bigger = KeyedVectors.from_arrays(["a", "b", "c"], np.zeros((3, 3)))
    with mock.patch.object(fastemb.io.native.tempfile, "mkstemp", temp_file_on_a_full_disk):
        with pytest.raises(OSError, match="previous file.*untouched") as caught:
            bigger.save(str(path))
        with pytest.raises(OSError):
            bigger.save_word2vec_format(str(path))
    assert caught.value.errno == errno.ENOSPC
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["kv.fe"]  # no temporary file left behind


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into read-only directories")
def test_read_only_directory_gives_a_clear_error(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(OSError, match="cannot save"):
            KeyedVectors.from_arrays(["a"], np.ones((1, 3))).save(str(folder / "kv.fe"))
    finally:
        folder.chmod(0o700)


def _encoded(kjv_sentences):
    from fastemb.corpus.encode import scan_corpus
    scanned = scan_corpus(kjv_sentences[:3000], None, 2, None, None, None)
    return scanned.tokens, scanned.sentence_ends, len(scanned.keys)


def test_spill_folders_are_removed_on_every_exit_path(kjv_sentences, tmp_path):
    from fastemb.models import cooccurrence
    args = _encoded(kjv_sentences)
    spill = dict(window=10, workers=2, max_memory=0.0005, tmp_dir=str(tmp_path))
    cooccurrence.count_cooccurrences(*args, **spill)  # spills, merges, cleans up
    assert os.listdir(tmp_path) == []
    # a full disk while spilling: a clear error, and nothing left behind
    full = OSError(errno.ENOSPC, "No space left on device")
    with mock.patch.object(cooccurrence.np, "save", side_effect=full):
        with pytest.raises(OSError, match="cannot spill co-occurrence counts to .*No space "
                                          "left.*tmp_dir=.*max_memory") as caught:
            cooccurrence.count_cooccurrences(*args, **spill)
    assert caught.value.errno == errno.ENOSPC
    assert os.listdir(tmp_path) == []
    # Ctrl-C in the middle of counting
    with mock.patch.object(cooccurrence.ShardRunner, "run",
                           side_effect=KeyboardInterrupt):
        with pytest.raises(KeyboardInterrupt):
            cooccurrence.count_cooccurrences(*args, **spill)
    assert os.listdir(tmp_path) == []


def test_the_spill_folder_of_a_killed_process_is_removed_by_the_next_count(kjv_sentences,
                                                                          tmp_path):
    import subprocess
    import sys

    from fastemb.models import cooccurrence
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        for pid in (dead, alive.pid):
            folder = tmp_path / f"{cooccurrence.SPILL_PREFIX}{pid}-x1y2"
            folder.mkdir()
            (folder / "run-0-0.keys.npy").write_bytes(b"\0" * 4096)
        cooccurrence.count_cooccurrences(*_encoded(kjv_sentences), window=5,
                                         tmp_dir=str(tmp_path))
        assert os.listdir(tmp_path) == [f"{cooccurrence.SPILL_PREFIX}{alive.pid}-x1y2"]
    finally:
        alive.kill()
        alive.wait()


def test_max_memory_bounds_vocabulary_counting_by_pruning(kjv_sentences, caplog):
    import logging

    from fastemb.corpus.vocab import BYTES_PER_COUNTED_WORD
    from fastemb.models.fasttext import FastText
    budget_words = 1500
    max_memory = budget_words * BYTES_PER_COUNTED_WORD / (1 << 30)
    unbounded = Word2Vec(vector_size=10, min_count=1, workers=1)
    unbounded.build_vocab(kjv_sentences)
    assert len(unbounded.wv) > 2 * budget_words
    for cls in (Word2Vec, FastText):
        with caplog.at_level(logging.INFO, logger="fastemb.corpus.encode"):
            bounded = cls(vector_size=10, min_count=1, workers=1, max_memory=max_memory,
                          bucket=1000) if cls is FastText else \
                cls(vector_size=10, min_count=1, workers=1, max_memory=max_memory)
            bounded.build_vocab(kjv_sentences)
        assert "over the limit of 1500: forgot" in caplog.text
        # the same pruning as gensim's max_vocab_size
        reference = Word2Vec(vector_size=10, min_count=1, workers=1, max_vocab_size=budget_words)
        reference.build_vocab(kjv_sentences)
        assert bounded.wv.index_to_key == reference.wv.index_to_key
        assert len(bounded.wv) < len(unbounded.wv)
        caplog.clear()
    with pytest.raises(ValueError, match="max_memory must be a positive number of GiB"):
        Word2Vec(max_memory=-1)


def test_saved_files_get_the_usual_permissions_not_private_ones(tmp_path):
    path = tmp_path / "v.fe"
    kv = KeyedVectors.from_arrays(["a", "b"], np.eye(2, dtype=np.float32))
    old_umask = os.umask(0o022)
    try:
        kv.save(str(path))
        assert path.stat().st_mode & 0o777 == 0o644
        os.chmod(path, 0o640)  # a mode the user chose is kept by the next save
        kv.save(str(path))
        assert path.stat().st_mode & 0o777 == 0o640
    finally:
        os.umask(old_umask)
