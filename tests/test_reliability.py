"""Training and saving fail loudly and safely: divergence is reported with
its epoch, a second concurrent train() is refused, and a failed save (disk
full) leaves the previous file intact with an error that says so."""
import errno
import os
import threading
from unittest import mock

import numpy as np
import pytest

import fastemb.native
from fastemb import CallbackAny2Vec, KeyedVectors, Word2Vec
from fastemb.errors import TrainingDivergedError


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
    real_mkstemp = fastemb.native.tempfile.mkstemp

    def temp_file_on_a_full_disk(*args, **kwargs):
        fd, name = real_mkstemp(*args, **kwargs)
        os.close(fd)
        return os.open("/dev/full", os.O_WRONLY), name  # every write: ENOSPC

    bigger = KeyedVectors.from_arrays(["a", "b", "c"], np.zeros((3, 3)))
    with mock.patch.object(fastemb.native.tempfile, "mkstemp", temp_file_on_a_full_disk):
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
