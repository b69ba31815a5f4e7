"""Every training mode with more threads than this machine has cores: gensim's
default of 3 workers, the tutorials' 4, and 8. The loss must fall, the weights
stay small and the words learn their categories, as with one or two threads
(a merge rule that was stable on two threads diverged on three)."""
import numpy as np
import pytest

from fastemb import Doc2Vec, FastText, GloVe, TaggedDocument, Word2Vec

from conftest import category_margin

SMALL = dict(vector_size=32, window=5, min_count=3, epochs=4, seed=1)
WORD_MODES = {
    "word2vec sg-ns": (Word2Vec, dict(sg=1, hs=0, negative=5)),
    "word2vec sg-ns per pair": (Word2Vec, dict(sg=1, hs=0, negative=5, shared_negatives=False)),
    "word2vec cbow-ns": (Word2Vec, dict(sg=0, hs=0, negative=5)),
    "word2vec sg-hs": (Word2Vec, dict(sg=1, hs=1, negative=0)),
    "word2vec cbow-hs": (Word2Vec, dict(sg=0, hs=1, negative=0)),
    "fasttext sg": (FastText, dict(sg=1, bucket=20000)),
    "fasttext cbow": (FastText, dict(sg=0, bucket=20000)),
    "fasttext floret sg": (FastText, dict(sg=1, bucket=20000, mode="floret", hash_count=2)),
    "fasttext floret cbow": (FastText, dict(sg=0, bucket=20000, mode="floret", hash_count=2)),
}
THREADS = [3, 4, 8]
#: Diverged runs grew their largest weight 6-100 times past one thread's.
#: Hogwild's stale reads let the n-gram rows every word of FastText CBOW
#: shares reach up to 1.75 times one thread's largest (23 against 13, once,
#: on a loaded machine), with the loss and the categories as good.
WEIGHT_GROWTH = 2.5
_ONE_THREAD = {}


def largest_weights(matrices):
    return [float(np.abs(matrix).max()) if matrix.size else 0.0 for matrix in matrices]


def one_thread_reference(key, train, matrices_of):
    """The same model trained on one thread (once per mode): the largest
    weight of each matrix, and the last epoch's loss."""
    if key not in _ONE_THREAD:
        model = train(1)
        _ONE_THREAD[key] = largest_weights(matrices_of(model)), model.loss_history[-1]
    return _ONE_THREAD[key]


def assert_trained_well(model, matrices, reference, name):
    """The loss falls from the first epoch, never grows past it, and ends
    near one thread's; every weight stays near one thread's largest. (The
    loss need not fall every epoch: FastText skip-gram's last epochs rise a
    little on one thread too, 2.51e6 -> 2.64e6 on the excerpt.)"""
    largest_one_thread, last_loss_one_thread = reference
    losses = model.loss_history
    assert all(np.isfinite(losses)), f"{name}: {losses}"
    assert min(losses[1:]) < losses[0], f"{name}: the loss never fell, {losses}"
    assert max(losses) <= losses[0] * 1.05, f"{name}: the loss grew mid-way, {losses}"
    assert losses[-1] <= 1.1 * last_loss_one_thread, \
        f"{name}: last loss {losses[-1]:.4g}, one thread {last_loss_one_thread:.4g}"
    for largest, bound in zip(largest_weights(matrices), largest_one_thread):
        assert largest <= WEIGHT_GROWTH * bound + 0.1, \
            f"{name}: a weight reached {largest:.2f}, one thread {bound:.2f}"


def word_matrices(model):
    inputs = model.wv.input_matrix if isinstance(model, FastText) else model.wv.vectors
    return [inputs, model.syn1neg, model.syn1]


@pytest.mark.parametrize("threads", THREADS)
@pytest.mark.parametrize("mode", sorted(WORD_MODES))
def test_word_models_train_on_more_threads_than_cores(kjv_sentences, mode, threads):
    model_class, options = WORD_MODES[mode]

    def train(workers):
        return model_class(kjv_sentences, workers=workers, **SMALL, **options)
    reference = one_thread_reference(mode, train, word_matrices)
    model = train(threads)
    assert_trained_well(model, word_matrices(model), reference, f"{mode}, {threads}")
    assert category_margin(model.wv) > 0.12, f"{mode}, {threads}"


DOC_MODES = {"dbow": dict(dm=0, dbow_words=1), "dm": dict(dm=1),
             "dm concat": dict(dm=1, dm_concat=1)}


@pytest.mark.parametrize("threads", THREADS)
@pytest.mark.parametrize("mode", sorted(DOC_MODES))
def test_doc2vec_trains_on_more_threads_than_cores(kjv_sentences, mode, threads):
    documents = [TaggedDocument(words, [i]) for i, words in enumerate(kjv_sentences)]

    def train(workers):
        return Doc2Vec(documents, workers=workers, **SMALL, **DOC_MODES[mode])

    def matrices(model):
        return [model.wv.vectors, model.dv.vectors, model.syn1neg]
    reference = one_thread_reference(f"doc2vec {mode}", train, matrices)
    model = train(threads)
    assert_trained_well(model, matrices(model), reference, f"doc2vec {mode}, {threads}")
    assert category_margin(model.wv) > 0.1, f"{mode}, {threads}"


@pytest.mark.parametrize("threads", THREADS)
def test_glove_trains_on_more_threads_than_cores(kjv_sentences, threads):
    model = GloVe(kjv_sentences, vector_size=32, window=5, min_count=3, epochs=6, seed=1,
                  workers=threads)
    costs = model.cost_history
    assert costs[-1] < costs[0] and max(costs) <= costs[0], costs
    assert np.isfinite(model.wv.vectors).all()
    largest, _ = one_thread_reference("glove", lambda workers: GloVe(
        kjv_sentences, vector_size=32, window=5, min_count=3, epochs=6, seed=1,
        workers=workers), lambda model: [model.wv.vectors])
    assert largest_weights([model.wv.vectors])[0] <= WEIGHT_GROWTH * largest[0] + 0.1
    assert category_margin(model.wv) > 0.1
