"""``deterministic=True``: the same bits from the same inputs with any number
of threads, run after run, and after a pause resumed on another number."""
import numpy as np
import pytest

from fastemb import Doc2Vec, FastText, GloVe, TaggedDocument, Word2Vec

from conftest import every_checkpoint

SMALL = dict(vector_size=16, window=4, min_count=3, epochs=3, seed=5)
MODES = {
    "sg-ns": (Word2Vec, dict(sg=1, negative=5)),
    "sg-ns per pair": (Word2Vec, dict(sg=1, negative=5, shared_negatives=False)),
    "cbow-ns": (Word2Vec, dict(sg=0, negative=5)),
    "sg-hs": (Word2Vec, dict(sg=1, hs=1, negative=0)),
    "cbow-hs": (Word2Vec, dict(sg=0, hs=1, negative=0)),
    "fasttext sg": (FastText, dict(sg=1, bucket=5000)),
    "fasttext cbow": (FastText, dict(sg=0, bucket=5000)),
    "pv-dm": (Doc2Vec, dict(dm=1)),
    "pv-dbow words": (Doc2Vec, dict(dm=0, dbow_words=1)),
    "pv-dm concat": (Doc2Vec, dict(dm=1, dm_concat=1, window=2)),
}


@pytest.fixture(scope="module")
def verses(kjv_sentences):
    return kjv_sentences[:3000]


def _corpus(cls, verses):
    if cls is Doc2Vec:
        return [TaggedDocument(words, [i]) for i, words in enumerate(verses)]
    return verses


def _train(cls, options, verses, workers):
    return cls(_corpus(cls, verses), workers=workers, deterministic=True, **{**SMALL, **options})


def _weights(model):
    arrays = [model.wv.vectors, model.syn1neg, model.syn1]
    if isinstance(model, FastText):
        arrays.append(model.wv.vectors_ngrams)
    if isinstance(model, Doc2Vec):
        arrays.append(model.dv.vectors)
    return arrays


def _largest(model):
    return max(float(np.abs(w).max()) if w.size else 0.0 for w in _weights(model))


@pytest.mark.parametrize("name", sorted(MODES))
def test_every_thread_count_gives_the_same_bits(name, verses):
    cls, options = MODES[name]
    first = _train(cls, options, verses, 1)
    for workers in (2, 3, 1):
        other = _train(cls, options, verses, workers)
        for mine, theirs in zip(_weights(first), _weights(other)):
            assert np.array_equal(mine, theirs), (name, workers)
        assert other.loss_history == first.loss_history, (name, workers)
    # it learns as the default does: the loss falls to near the default's,
    # and no weight grows far past the default's largest
    hogwild = cls(_corpus(cls, verses), workers=1, **{**SMALL, **options})
    losses = first.loss_history
    assert all(np.isfinite(losses)) and losses[-1] < losses[0], losses
    assert losses[-1] < 1.1 * hogwild.loss_history[-1], (losses, hogwild.loss_history)
    assert _largest(first) < 2.0 * _largest(hogwild)


@pytest.mark.parametrize("workers", [3, 4, 8])
def test_more_threads_than_cores_learn_as_one(workers, verses):
    model = _train(Word2Vec, dict(sg=1), verses, workers)
    assert model.loss_history[-1] < model.loss_history[0]
    assert model.wv.most_similar("moses", topn=30) == \
        _train(Word2Vec, dict(sg=1), verses, 1).wv.most_similar("moses", topn=30)


def test_the_default_is_not_deterministic_training(verses):
    """``deterministic=False`` keeps the Hogwild path: with one thread its
    result differs from the deterministic one (other pieces, other streams)."""
    default = Word2Vec(verses, workers=1, **SMALL)
    deterministic = Word2Vec(verses, workers=1, deterministic=True, **SMALL)
    assert not np.array_equal(default.wv.vectors, deterministic.wv.vectors)
    assert default.deterministic is False and deterministic.deterministic is True


@pytest.mark.parametrize("dm", [1, 0])
def test_a_deterministic_doc2vec_infers_as_usual(verses, dm):
    """Inference freezes the words and trains no piece: it runs as for any
    model, the same vectors every time, and finds the training documents as
    well as the default model's does (PV-DM 95 of 100, PV-DBOW 77 here)."""
    corpus = _corpus(Doc2Vec, verses)
    options = dict(dm=dm, vector_size=32, window=4, min_count=3, epochs=20, seed=5, workers=2)

    def found(model):
        vectors = model.infer_vectors(verses[:100])
        assert np.isfinite(vectors).all()
        assert np.array_equal(vectors, model.infer_vectors(verses[:100]))
        hits = [model.dv.most_similar([vector], topn=10) for vector in vectors]
        return sum(i in [tag for tag, _ in hit] for i, hit in enumerate(hits))
    assert found(Doc2Vec(corpus, deterministic=True, **options)) >= \
        found(Doc2Vec(corpus, **options)) - 10


def test_the_setting_is_saved_and_checked(tmp_path, verses):
    model = Word2Vec(verses, workers=2, deterministic=True, **SMALL)
    model.save(str(tmp_path / "m.model"))
    assert Word2Vec.load(str(tmp_path / "m.model")).deterministic is True
    with pytest.raises(ValueError, match="deterministic"):
        Word2Vec(deterministic="yes")


def _train_with_checkpoints(model, corpus, folder, monkeypatch, pauses=5):
    """Train with a checkpoint about ``pauses`` times; the copy of each."""
    copies = every_checkpoint(monkeypatch, folder)
    model.build_vocab(corpus)
    every = model.corpus_total_words * model.epochs // pauses
    model.train(corpus, total_examples=model.corpus_count, epochs=model.epochs,
                checkpoint=str(folder / "run.ckpt"), checkpoint_every=f"{every} words")
    monkeypatch.undo()
    return copies


@pytest.mark.parametrize("name", ["sg-ns", "cbow-hs", "fasttext sg", "pv-dm"])
def test_a_run_resumed_on_another_thread_count_is_bit_identical(name, verses, tmp_path,
                                                               monkeypatch):
    cls, options = MODES[name]
    corpus = _corpus(cls, verses)
    model = cls(workers=3, deterministic=True, **{**SMALL, **options})
    copies = _train_with_checkpoints(model, corpus, tmp_path, monkeypatch)
    # pauses wait for the end of a round: fewer of them than asked for,
    # then the final save
    assert len(copies) >= 3
    _resumes_match(model, copies, corpus, _weights)


def _resumes_match(model, copies, corpus, weights):
    """Resume every checkpoint but the final one, alternately on 1 and 2
    threads, and compare each result with the uninterrupted ``model``."""
    for number, copy in enumerate(copies[:-1]):
        resumed = type(model).resume(copy, corpus_iterable=corpus, workers=1 + number % 2)
        for mine, theirs in zip(weights(model), weights(resumed)):
            assert np.array_equal(mine, theirs), copy
        assert resumed.loss_history == model.loss_history


def test_a_hogwild_checkpoint_resumes_on_another_thread_count(verses, tmp_path, monkeypatch):
    """The default path deals a paused epoch's pieces to any number of
    threads as well (the same learning, not the same bits)."""
    model = Word2Vec(workers=3, **SMALL)
    copies = _train_with_checkpoints(model, verses, tmp_path, monkeypatch, pauses=3)
    resumed = Word2Vec.resume(copies[0], corpus_iterable=verses, workers=1)
    assert resumed.epochs_trained == model.epochs_trained
    assert resumed.loss_history[-1] < 1.1 * model.loss_history[-1]
    with pytest.raises(ValueError, match="workers"):
        Word2Vec.resume(copies[0], corpus_iterable=verses, workers=0)


def test_the_command_line_trains_deterministically(kjv_file, tmp_path, capsys):
    from fastemb.cli import main
    paths = []
    for workers in ("1", "3"):
        paths.append(str(tmp_path / f"w{workers}.model"))
        assert main(["train", kjv_file, "-o", paths[-1], "--deterministic", "--workers",
                     workers, "--epochs", "1", "--vector-size", "16", "--quiet"]) == 0
    first, second = (Word2Vec.load(path) for path in paths)
    assert first.deterministic and np.array_equal(first.wv.vectors, second.wv.vectors)
    for workers in ("1", "3"):
        paths.append(str(tmp_path / f"glove{workers}.model"))
        assert main(["train", kjv_file, "-o", paths[-1], "--model", "glove", "--deterministic",
                     "--workers", workers, "--epochs", "2", "--vector-size", "16",
                     "--quiet"]) == 0
    first, second = (GloVe.load(path) for path in paths[2:])
    assert first.deterministic and np.array_equal(first.wv.vectors, second.wv.vectors)


GLOVE = dict(vector_size=16, window=5, min_count=3, x_max=10, epochs=4, seed=5)


def _glove_weights(model):
    return [model._weights[name] for name in ("w", "c", "bw", "bc", "gw", "gc", "gbw", "gbc")]


def test_glove_is_the_same_with_any_thread_count(verses):
    first = GloVe(verses, workers=1, deterministic=True, **GLOVE)
    for workers in (2, 3, 8):
        other = GloVe(verses, workers=workers, deterministic=True, **GLOVE)
        for mine, theirs in zip(_glove_weights(first), _glove_weights(other)):
            assert np.array_equal(mine, theirs), workers
        assert other.cost_history == first.cost_history, workers
    hogwild = GloVe(verses, workers=1, **GLOVE)
    costs = first.cost_history
    assert all(b < a for a, b in zip(costs, costs[1:])), costs
    assert costs[-1] < 1.05 * hogwild.cost_history[-1], (costs, hogwild.cost_history)
    largest = float(np.abs(first.wv.vectors).max())
    assert largest < 2.0 * float(np.abs(hogwild.wv.vectors).max())
    assert not np.array_equal(first.wv.vectors, hogwild.wv.vectors)


def test_a_glove_run_resumed_on_another_thread_count_is_bit_identical(verses, tmp_path,
                                                                     monkeypatch):
    copies = every_checkpoint(monkeypatch, tmp_path)
    model = GloVe(workers=3, deterministic=True, **GLOVE)
    model.build_vocab(verses)
    matrix = model.build_cooccurrence(verses)
    model.train(checkpoint=str(tmp_path / "run.ckpt"),
                checkpoint_every=f"{matrix.nnz * model.epochs // 6} entries")
    monkeypatch.undo()
    assert len(copies) >= 5
    _resumes_match(model, copies, verses, _glove_weights)
    # the default training's order depends on the threads: it says so
    copies = every_checkpoint(monkeypatch, tmp_path / "hogwild")
    (tmp_path / "hogwild").mkdir()
    hogwild = GloVe(workers=2, **GLOVE)
    hogwild.build_vocab(verses)
    hogwild.build_cooccurrence(verses)
    hogwild.train(checkpoint=str(tmp_path / "hogwild.ckpt"),
                  checkpoint_every=f"{matrix.nnz * 3 // 2} entries")
    monkeypatch.undo()
    with pytest.raises(ValueError, match="workers=2"):
        GloVe.resume(copies[0], corpus_iterable=verses, workers=1)


@pytest.mark.parametrize("loss", ["softmax", "ns", "hs", "ova"])
def test_the_classifier_is_the_same_with_any_thread_count(debian, loss):
    from fastemb import fasttext as fe
    train, test = debian
    options = dict(epoch=6, lr=0.5, dim=20, wordNgrams=2, bucket=50000, loss=loss, seed=3,
                   verbose=0, deterministic=True)
    models = [fe.train_supervised(train, thread=threads, **options) for threads in (1, 2, 3)]
    for model in models[1:]:
        assert np.array_equal(model.get_input_matrix(), models[0].get_input_matrix()), loss
        assert np.array_equal(model.get_output_matrix(), models[0].get_output_matrix()), loss
        assert model._sup.loss_history == models[0]._sup.loss_history
    # it learns as the default does on the held-out file
    hogwild = fe.train_supervised(train, thread=1, **{**options, "deterministic": False})
    assert models[0].test(test)[1] > hogwild.test(test)[1] - 0.04
    history, reference = models[0]._sup.loss_history, hogwild._sup.loss_history
    assert history[-1] < history[0] and history[-1] < 1.15 * reference[-1], (history, reference)


def test_the_scikit_learn_classifier_takes_it(toy_pairs):
    from fastemb import FastTextClassifier
    texts, labels = toy_pairs
    runs = [FastTextClassifier(epoch=10, lr=0.5, dim=10, thread=threads, seed=4,
                               deterministic=True).fit(texts, labels)
            for threads in (1, 3)]
    assert np.array_equal(runs[0].predict_proba(texts), runs[1].predict_proba(texts))
    assert runs[0].score(texts, labels) > 0.95
    assert runs[1].get_params()["deterministic"] is True


def test_fasttexts_word_vectors_train_deterministically(kjv_file):
    from fastemb import fasttext as fe
    runs = [fe.train_unsupervised(kjv_file, dim=16, epoch=1, minCount=3, bucket=5000,
                                  thread=threads, seed=2, deterministic=True, verbose=0)
            for threads in (1, 3)]
    assert np.array_equal(runs[0].get_input_matrix(), runs[1].get_input_matrix())
    with pytest.raises(ValueError, match="deterministic"):
        fe.train_supervised(kjv_file, deterministic="always")
