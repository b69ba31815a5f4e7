"""Shared fixtures: a real-text corpus (Genesis to Judges of the King James
Bible, public domain) and a planted-structure score on it; labelled text for
the classifiers (Debian package descriptions by section, and a separable
toy set)."""
import gzip
import itertools
import os
import random

import numpy as np
import pytest

from fastemb import simple_tokenize

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
KJV_EXCERPT = os.path.join(DATA, "kjv_excerpt.txt.gz")

#: Word groups whose members are used alike in the excerpt.
CATEGORIES = {
    "numbers": ["two", "three", "four", "five", "six", "seven", "ten", "twenty", "hundred",
                "thousand"],
    "kin": ["father", "mother", "son", "daughter", "brother", "sister", "wife", "husband",
            "sons", "daughters"],
    "livestock": ["sheep", "oxen", "camels", "asses", "goats", "cattle", "flocks"],
    "metals": ["gold", "silver", "brass", "iron"],
}


def category_margin(wv):
    """Mean cosine of same-category word pairs minus that of cross-category
    pairs: about 0 for random vectors, clearly positive once trained."""
    words = [(w, c) for c, ws in CATEGORIES.items() for w in ws]
    same, cross = [], []
    for (w1, c1), (w2, c2) in itertools.combinations(words, 2):
        (same if c1 == c2 else cross).append(wv.similarity(w1, w2))
    return float(np.mean(same) - np.mean(cross))


def assert_gensim_signature(ours, theirs, skip=()):
    """Every constructor parameter of gensim's class ``theirs`` exists in
    ``ours`` with the same default (a script written for gensim runs)."""
    import inspect
    mine = inspect.signature(ours.__init__).parameters
    for name, parameter in inspect.signature(theirs.__init__).parameters.items():
        if name in ("self", "kwargs") or name in skip:
            continue
        assert name in mine, name
        assert mine[name].default == parameter.default, name


def every_checkpoint(monkeypatch, folder):
    """Keep a copy of every checkpoint a training writes (each save replaces
    the last); the list of copies fills as it trains."""
    import shutil

    from fastemb.training import checkpoint as checkpoints
    copies = []
    save = checkpoints.Checkpointer.save

    def save_and_copy(self, *args, **kwargs):
        save(self, *args, **kwargs)
        copies.append(str(folder / f"copy{len(copies)}.ckpt"))
        shutil.copy(self.path, copies[-1])
    monkeypatch.setattr(checkpoints.Checkpointer, "save", save_and_copy)
    return copies


@pytest.fixture(scope="session")
def kjv_sentences():
    """The excerpt as a list of token lists (12,000 verses, 336k words)."""
    with gzip.open(KJV_EXCERPT, "rt", encoding="utf-8") as handle:
        return [simple_tokenize(line) for line in handle]


@pytest.fixture(scope="session")
def kjv_file(tmp_path_factory, kjv_sentences):
    """The tokenised excerpt written as a plain text file, a verse a line."""
    path = tmp_path_factory.mktemp("corpus") / "kjv.txt"
    path.write_text("\n".join(" ".join(s) for s in kjv_sentences) + "\n", encoding="utf-8")
    return str(path)


@pytest.fixture(scope="session")
def trained_sg(kjv_sentences):
    """A skip-gram model trained once for the read-only tests."""
    from fastemb import Word2Vec
    return Word2Vec(kjv_sentences, vector_size=50, min_count=3, sg=1, epochs=5, workers=2,
                    seed=3)


def make_word2vec_trainer(syn0, tokens, sentence_ends=None, **settings):
    """A :class:`fastemb._core.Word2VecTrainer` built by keyword, as the
    models build it, with empty tables and layers for whatever ``settings``
    leave out: skip-gram with negative sampling, window 5, no subsampling,
    one thread's counters."""
    from fastemb import _core
    dim = syn0.shape[1]
    vocab = syn0.shape[0]
    tokens = np.asarray(tokens, dtype=np.int32)
    empty_rows = np.zeros((0, dim), np.float32)
    kernel = dict(
        syn1neg=empty_rows, syn1=empty_rows,
        keep_threshold=np.full(vocab, np.iinfo(np.uint32).max, dtype=np.uint32),
        ns_accept=np.zeros(0, np.uint32), ns_alias=np.zeros(0, np.int32),
        hs_codes=np.zeros(0, np.uint8), hs_points=np.zeros(0, np.int32),
        hs_offsets=np.zeros(0, np.int64), hs_lengths=np.zeros(0, np.int32),
        sg=1, hs=0, negative=5, window=5, shrink_windows=0, cbow_mean=1,
        start_alpha=0.025, end_alpha=0.025, total_words=len(tokens),
        progress=np.zeros(_core.SLOT_STRIDE, np.int64),
        stop_flag=np.zeros(2, np.intc))
    kernel.update(settings)
    ends = np.array([len(tokens)], np.int64) if sentence_ends is None else sentence_ends
    return _core.Word2VecTrainer(syn0=syn0, tokens=tokens, sentence_ends=ends, **kernel)


# ------------------------------------------------------- labelled text
@pytest.fixture(scope="session")
def debian(tmp_path_factory):
    """``(train, test)`` paths of the Debian fixture, decompressed (fastText
    reads plain files only)."""
    folder = tmp_path_factory.mktemp("debian")
    paths = []
    for split in ("train", "test"):
        path = folder / f"debian.{split}"
        with gzip.open(os.path.join(DATA, "classify", f"debian.{split}.gz"), "rb") as source:
            path.write_bytes(source.read())
        paths.append(str(path))
    return tuple(paths)


def toy_lines(n_per_label=60, seed=0):
    """A separable set: each of four labels has its own words, and every
    line also holds shared noise words."""
    rng = random.Random(seed)
    topics = {"a": "apple pear plum fig", "b": "train bus tram ferry",
              "c": "red blue green pink", "d": "cat dog cow hen"}
    noise = "the of and to in".split()
    lines = []
    for _ in range(n_per_label):
        for label, words in topics.items():
            tokens = rng.sample(words.split(), 3) + rng.sample(noise, 3)
            rng.shuffle(tokens)
            lines.append(f"__label__{label} " + " ".join(tokens))
    rng.shuffle(lines)
    return lines


@pytest.fixture
def toy(tmp_path):
    path = tmp_path / "toy.train"
    path.write_text("\n".join(toy_lines()) + "\n", encoding="utf-8")
    return str(path)


@pytest.fixture
def toy_pairs():
    """The toy set as texts and their labels (without the prefix)."""
    texts, labels = [], []
    for line in toy_lines():
        label, text = line.split(" ", 1)
        texts.append(text)
        labels.append(label[len("__label__"):])
    return texts, labels


# ------------------------------------------------------- the explorer's models
# FastText and Word2Vec on the excerpt (neighbours, analogies, the map, two
# models compared) and a small Chinese classifier made here (labels, and a
# script other than Latin).

#: Chinese topics, a word list each: the classifier's training lines draw
#: from them.
CHINESE_TOPICS = {"体育": "足球 比赛 球队 冠军 球员 联赛 进球 教练",
                  "财经": "股票 市场 银行 投资 基金 利率 经济 公司",
                  "科技": "手机 芯片 网络 软件 电脑 数据 互联网 系统"}


def chinese_lines(per_topic=80, seed=0):
    rng = random.Random(seed)
    lines = []
    for _ in range(per_topic):
        for label, words in CHINESE_TOPICS.items():
            lines.append(f"__label__{label} " + " ".join(rng.sample(words.split(), 4)))
    rng.shuffle(lines)
    return lines


@pytest.fixture(scope="session")
def kjv_fasttext(kjv_sentences):
    from fastemb import FastText
    return FastText(kjv_sentences[:6000], vector_size=32, min_count=3, epochs=3, bucket=20000,
                    workers=2, seed=1)


@pytest.fixture(scope="session")
def kjv_word2vec(kjv_sentences):
    from fastemb import Word2Vec
    return Word2Vec(kjv_sentences[:6000], vector_size=32, min_count=3, epochs=3, workers=2,
                    seed=2)


@pytest.fixture(scope="session")
def chinese_classifier(tmp_path_factory):
    from fastemb import fasttext
    path = tmp_path_factory.mktemp("zh") / "zh.train"
    path.write_text("\n".join(chinese_lines()) + "\n", encoding="utf-8")
    return fasttext.train_supervised(input=str(path), epoch=20, lr=0.5, dim=16, seed=1,
                                     thread=1)
