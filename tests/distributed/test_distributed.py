"""Distributed training on a real Dask cluster: LocalCluster with 2 worker
processes of 1 thread each, as the issue asks."""
import gzip
import os
import signal
import threading
import warnings

import numpy as np
import pytest

from conftest import category_margin

distributed = pytest.importorskip("distributed")

import fastemb  # noqa: E402
import fastemb.distributed as fd  # noqa: E402
from fastemb.corpus.encode import encode_documents  # noqa: E402
from fastemb.distributed.partitions import assign_partitions, open_partition, plan_partitions  # noqa: E402
from fastemb.distributed.rounds import StaleReplica, forget_run  # noqa: E402
from fastemb.distributed.shared_weights import SharedWeights  # noqa: E402
from fastemb.distributed.sync import apply_delta, combine_deltas, merge_others, sparse_delta  # noqa: E402
from fastemb.distributed.word2vec_replica import (  # noqa: E402
    _Replica,
    begin_shared_round,
    end_shared_round,
    replica_state,
    run_spec,
    stretch,
    synchronised_weights,
    train_member,
    train_round,
)
from fastemb.errors import CorpusError, TrainingDivergedError  # noqa: E402


@pytest.fixture(scope="module")
def client():
    from distributed import Client, LocalCluster
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                           dashboard_address=None)
    client = Client(cluster)
    yield client
    client.close()
    cluster.close()


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory, kjv_sentences):
    """The KJV excerpt as three plain files and one gzip file, in name order."""
    folder = tmp_path_factory.mktemp("parts")
    lines = [" ".join(s) for s in kjv_sentences]
    n = len(lines)
    for k in range(4):
        text = "\n".join(lines[n * k // 4:n * (k + 1) // 4]) + "\n"
        if k == 3:
            with gzip.open(folder / f"part-{k}.txt.gz", "wt", encoding="utf-8") as handle:
                handle.write(text)
        else:
            (folder / f"part-{k}.txt").write_text(text, encoding="utf-8")
    return str(folder)


# ------------------------------------------------------------ no cluster needed
def test_byte_ranges_hold_every_line_exactly_once(tmp_path):
    rng = np.random.default_rng(0)
    lines = [" ".join(["w%d" % rng.integers(50)] * int(rng.integers(0, 40)))
             for _ in range(300)]
    path = tmp_path / "lines.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    for size in (1, 7, 64, 1000, 10 ** 6):
        parts = plan_partitions(str(path), partition_bytes=size)
        read = b""
        for part in parts:
            with open_partition(part) as stream:
                read += b"".join(iter(lambda: stream.read(5), b""))
        assert read == path.read_bytes(), size
        assert len(parts) == max(1, -(-path.stat().st_size // size))


def test_partitions_are_dealt_by_size(tmp_path):
    parts = plan_partitions([str(p) for p in _sized_files(tmp_path, [50, 10, 30, 30, 20])],
                            partition_bytes=1000)
    chosen = assign_partitions(parts, 2)
    loads = [sum(parts[i].size for i in c) for c in chosen]
    assert sorted(loads) == [70, 70]
    assert all(c == sorted(c) for c in chosen)


def _sized_files(folder, sizes):
    for k, size in enumerate(sizes):
        path = folder / f"f{k}.txt"
        path.write_text("x" * (size - 1) + "\n")
        yield path


def test_bad_corpus_lists_are_refused(tmp_path):
    with pytest.raises(CorpusError, match="empty"):
        plan_partitions([])
    with pytest.raises(CorpusError, match="does not exist"):
        plan_partitions([str(tmp_path / "missing.txt")])
    with pytest.raises(ValueError, match="partition_bytes"):
        plan_partitions(str(tmp_path), partition_bytes=0)


def test_merge_rules():
    target = np.zeros((4, 2), np.float32)
    first = (np.array([0, 2]), np.ones((2, 2), np.float16))
    second = (np.array([2, 3]), np.full((2, 2), 3, np.float16))
    expected = {"sum": [1, 0, 4, 3], "mean": [0.5, 0, 2, 1.5], "row_mean": [1, 0, 2, 3]}
    for rule, column in expected.items():
        merged = target.copy()
        apply_delta(merged, combine_deltas([first, second], rule))
        np.testing.assert_allclose(merged[:, 1], column)
    with pytest.raises(ValueError, match="rule"):
        combine_deltas([first], "median")
    precise = (np.array([1]), np.array([0.1]))  # float64 changes (GloVe's AdaGrad sums)
    assert combine_deltas([precise], "sum")[1].dtype == np.float64
    rows, change = sparse_delta(np.zeros(5), np.array([0, 2.0, 0, 0, -1]))
    assert rows.tolist() == [1, 4] and change.tolist() == [2.0, -1.0]


def test_a_replica_holding_its_own_change_takes_the_merged_one():
    rng = np.random.default_rng(1)
    start = rng.standard_normal((6, 3)).astype(np.float32)
    changes = [(np.array([0, 2, 5], np.int32), rng.standard_normal((3, 3)).astype(np.float16)),
               (np.array([2, 3], np.int32), rng.standard_normal((2, 3)).astype(np.float16))]
    results = [{"deltas": {"w": delta}} for delta in changes]
    for rule in ("sum", "row_mean", "mean"):
        for own in (0, 1):
            mine = start.copy()
            apply_delta(mine, changes[own])  # what its own training left
            merge_others({"w": mine}, results, own, rule)
            expected = start.copy()
            apply_delta(expected, combine_deltas(changes, rule))
            np.testing.assert_allclose(mine, expected, rtol=1e-6, atol=1e-6)
            assert not np.allclose(mine, start)


def test_a_stretch_cuts_sentences_at_its_ends():
    parts = [(np.arange(5, dtype=np.int32), np.array([2, 5])),
             (np.arange(10, 14, dtype=np.int32), np.array([4]))]
    tokens, ends = stretch(parts, 1, 8)
    assert tokens.tolist() == [1, 2, 3, 4, 10, 11, 12]
    assert ends.tolist() == [1, 4, 7]


def test_replicas_take_each_others_changes_one_or_two_rounds_late(kjv_sentences):
    """Two replicas (here in one process) train different halves; each
    merges the other's change of round k - 2 (overlapping rounds) or k - 1
    (lock-step) before its round k, and the synchronised weights are the
    start plus every change."""
    model = fastemb.Word2Vec(vector_size=16, min_count=3, seed=3, sg=1)
    model.build_vocab(kjv_sentences)
    spec = run_spec(model, "sum", [[0], [1]])
    run = spec["run"]
    ids, offsets = encode_documents(kjv_sentences, model.wv)
    half = len(kjv_sentences) // 2
    parts = [[(ids[:offsets[half]].astype(np.int32), offsets[1:half + 1])],
             [(ids[offsets[half]:].astype(np.int32), offsets[half + 1:] - offsets[half])]]
    weights = {"input": model.wv.vectors.copy(), "syn1neg": model.syn1neg.copy()}

    def share(replica, step):
        return (parts[replica], 8_000 * step, 8_000 * (step + 1), 0.025, 0.024,
                11 + replica, 0, False)
    rounds = [[train_round(spec, r, 0, share(r, 0), weights) for r in (0, 1)]]
    rounds.append([train_round(spec, r, 1, share(r, 1), None) for r in (0, 1)])
    rounds.append([train_round(spec, r, 2, share(r, 2), None, *rounds[0]) for r in (0, 1)])
    for result in rounds[0]:
        assert result["trained"] > 0
        for rows, change in result["deltas"].values():
            assert rows.dtype == np.int32 and change.dtype == np.float16 and len(rows) > 0
    replica = _Replica.of(spec, 0)
    held = synchronised_weights(spec, 0, 3, 2, *rounds[1], *rounds[2])
    for name, start in weights.items():
        # replica 0 has merged replica 1's round 1, and the driver's copy
        # adds replica 1's round 2, bit for bit
        rows, change = rounds[2][1]["deltas"][name]
        exact = replica.arrays[name].copy()
        exact[rows] += change.astype(np.float32)
        np.testing.assert_array_equal(held[name], exact)
        # every change of every round: replica 0's own in single precision
        expected = start.copy()
        for result in [r for results in rounds for r in results]:
            rows, change = result["deltas"][name]
            expected[rows] += change.astype(np.float32)
        moved = np.abs(expected - start).max()
        assert moved > 0.01
        assert np.abs(held[name] - expected).max() < 0.005 * moved  # half precision's rounding
    with pytest.raises(StaleReplica, match="not round 2"):
        train_round(spec, 0, 2, share(0, 2), None, *rounds[0])  # trained already

    # a round that arrives before the one before it waits for it
    early = {}
    waiting = threading.Thread(target=lambda: early.update(
        train_round(spec, 0, 4, share(0, 4), None, *rounds[2])))
    waiting.start()
    waiting.join(0.5)
    assert waiting.is_alive() and not early
    train_round(spec, 0, 3, share(0, 3), None, *rounds[1])
    waiting.join(60)
    assert early["trained"] > 0 and replica.version == 5

    # a round still waiting when its run is dropped ends with StaleReplica
    failed = []

    def wait_in_vain():
        try:
            train_round(spec, 0, 9, share(0, 9), None, *rounds[2])
        except StaleReplica as error:
            failed.append(error)
    waiting = threading.Thread(target=wait_in_vain)
    waiting.start()
    forget_run(run)
    waiting.join(60)
    assert not waiting.is_alive() and len(failed) == 1
    with pytest.raises(StaleReplica):  # forgotten: a new replica holds no round
        synchronised_weights(spec, 0, 3, 2, *rounds[1], *rounds[2])
    forget_run(run)

    # lock-step: round 1 merges round 0, and the driver's weights are
    # replica 0's start of round 2 once it has merged round 1
    spec = run_spec(model, "sum", [[0], [1]])
    first = [train_round(spec, r, 0, share(r, 0), weights) for r in (0, 1)]
    second = [train_round(spec, r, 1, share(r, 1), None, *first) for r in (0, 1)]
    _assert_start_plus_every_change(spec, weights, first + second)
    forget_run(spec["run"])


def _assert_start_plus_every_change(spec, weights, results):
    """The driver's weights after two lock-step rounds are replica 0's
    start of round 2: the start plus every replica's change of both."""
    held = synchronised_weights(spec, 0, 2, 2, *results[-2:])
    for name, start in weights.items():
        expected = start.copy()
        for result in results:
            rows, change = result["deltas"][name]
            expected[rows] += change.astype(np.float32)
        moved = np.abs(expected - start).max()
        assert moved > 0.01
        np.testing.assert_array_equal(held[name], replica_state(spec, 0).arrays[name])
        assert np.abs(held[name] - expected).max() < 0.005 * moved


# ------------------------------------------------------------------ on a cluster
def test_vocabulary_is_the_single_machine_one(client, corpus_dir):
    single = fastemb.Word2Vec(min_count=3)
    single.build_vocab(corpus_file=corpus_dir)
    for partition_bytes in (256 << 20, 40_000):  # whole files, then byte ranges
        model = fastemb.Word2Vec(min_count=3)
        trainer = fd.word2vec.DistributedTrainer(client, model, corpus_dir,
                                                 partition_bytes=partition_bytes)
        trainer.build_vocab()
        assert len(trainer.partitions) == (4 if partition_bytes > 10 ** 6 else
                                           len(trainer.partitions))
        assert model.wv.index_to_key == single.wv.index_to_key
        np.testing.assert_array_equal(model.wv.counts, single.wv.counts)
        assert (model.corpus_count, model.corpus_total_words) == \
               (single.corpus_count, single.corpus_total_words)
    assert len(trainer.partitions) > 4


def test_word2vec_learns_structure_and_is_an_ordinary_model(client, corpus_dir, tmp_path):
    seen = []
    model = fd.Word2Vec(client, corpus_dir, sync_every=30_000, vector_size=40, min_count=3,
                        sg=1, epochs=4, seed=5, share_memory=False,
                        progress=lambda done, total: seen.append((done, total)))
    assert isinstance(model, fastemb.Word2Vec)
    assert category_margin(model.wv) > 0.1
    assert len(model.loss_history) == 4 and model.loss_history[-1] < model.loss_history[0]
    rounds = round(sum(model.wv.counts) / 30_000)
    assert rounds > 8 and model.train_stats[0]["rounds"] == rounds
    assert seen == sorted(seen) and seen[-1][0] == seen[-1][1] == sum(model.wv.counts) * 4
    model.save(str(tmp_path / "w2v.model"))
    again = fastemb.Word2Vec.load(str(tmp_path / "w2v.model"))
    np.testing.assert_array_equal(again.wv.vectors, model.wv.vectors)


def _shared_files():
    folder = os.path.dirname(SharedWeights.path_for("x", 0))
    return {name for name in os.listdir(folder) if name.startswith("fastemb-")}


def test_workers_of_one_machine_train_one_copy_of_the_weights(client, corpus_dir):
    before = _shared_files()
    model = fd.Word2Vec(client, corpus_dir, vector_size=40, min_count=3, sg=1, epochs=4,
                        seed=5)
    event = model.lifecycle_events[-1]
    assert event["share_memory"] and event["replicas"] == 1 and event["workers"] == 2
    assert model.train_stats[0]["rounds"] == 2 and model.train_stats[0]["bytes_exchanged"] == 0
    assert model.loss_history[-1] < model.loss_history[0]
    assert np.isfinite(model.wv.vectors).all() and np.abs(model.wv.vectors).max() < 10
    assert category_margin(model.wv) > 0.1
    assert _shared_files() == before  # the file went as soon as both workers mapped it


@pytest.mark.parametrize("kind", ["Word2Vec", "FastText"])
def test_shared_weights_train_with_more_threads_than_cores(corpus_dir, kind):
    """2 workers of 3 threads on this 2-core machine: 6 threads write one
    copy of the weights (none keeps rows private, as on one machine)."""
    from distributed import Client, LocalCluster
    with LocalCluster(n_workers=2, threads_per_worker=3, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as six_threads:
        extra = {"bucket": 20_000} if kind == "FastText" else {}
        model = getattr(fd, kind)(six_threads, corpus_dir, vector_size=32, min_count=3,
                                  sg=1, epochs=3, seed=4, **extra)
    assert model.lifecycle_events[-1]["replicas"] == 1
    # the second epoch's loss is below the first's (the last may rise again as
    # the rate nears zero, on one machine too: FastText 2.66M, 2.59M, 2.65M)
    assert model.loss_history[1] < model.loss_history[0]
    assert np.isfinite(model.wv.vectors).all() and np.abs(model.wv.vectors).max() < 10
    assert category_margin(model.wv) > 0.1  # 0.21-0.23 (FastText), 0.33 over 3 seeds


def test_machines_sharing_weights_exchange_their_changes(kjv_sentences):
    """Two machines of two workers each (here all in one process): each
    machine's workers train its shared copy, and before its next round each
    machine merges the other's change, so the synchronised weights are the
    start plus both machines' changes."""
    model = fastemb.Word2Vec(vector_size=16, min_count=3, seed=3, sg=1)
    model.build_vocab(kjv_sentences)
    spec = run_spec(model, "sum", [[0, 1], [2, 3]])
    ids, offsets = encode_documents(kjv_sentences, model.wv)
    quarters = [len(kjv_sentences) * k // 4 for k in range(5)]
    parts = [[(ids[offsets[a]:offsets[b]].astype(np.int32), offsets[a + 1:b + 1] - offsets[a])]
             for a, b in zip(quarters, quarters[1:])]
    weights = {"input": model.wv.vectors.copy(), "syn1neg": model.syn1neg.copy()}

    def run_round(replica, version, previous, starts=None):
        begin_shared_round(spec, replica, version, False, starts, None, *previous)
        figures = [train_member(spec, replica, member, version,
                                (parts[member], 6_000 * version, 6_000 * (version + 1), 0.025,
                                 0.024, 7 + member, 0, False), True)
                   for member in spec["members"][replica]]
        return end_shared_round(spec, replica, version, False, *figures)

    first = [run_round(r, 0, [], weights) for r in (0, 1)]
    second = [run_round(r, 1, first) for r in (0, 1)]
    assert all(result["trained"] > 0 and result["deltas"] for result in first + second)
    _assert_start_plus_every_change(spec, weights, first + second)
    with pytest.raises(StaleReplica, match="not round 1"):
        begin_shared_round(spec, 0, 1, False, None, None, *first)  # begun already
    forget_run(spec["run"])


def test_shared_weights_too_large_for_their_file_system_are_refused(tmp_path, monkeypatch):
    import errno

    def full(fd, offset, size):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(os, "posix_fallocate", full, raising=False)
    path = str(tmp_path / "weights")
    with pytest.raises(MemoryError, match="--shm-size.*share_memory=False"):
        SharedWeights.create(path, {"a": np.ones((1000, 100), np.float32)})
    assert not os.path.exists(path)


def test_shared_weights_live_in_one_file_until_unlinked(tmp_path):
    arrays = {"a": np.arange(12, dtype=np.float32).reshape(3, 4),
              "b": np.ones((5, 2), np.float32)}
    path = str(tmp_path / "weights")
    owner = SharedWeights.create(path, arrays)
    other = SharedWeights.attach(path, {name: a.shape for name, a in arrays.items()})
    other.arrays["a"][1, 2] = -1.0  # a write through one mapping shows in the other
    assert owner.arrays["a"][1, 2] == -1.0
    np.testing.assert_array_equal(owner.arrays["b"], arrays["b"])
    owner.unlink()
    assert not os.path.exists(path) and other.arrays["b"].sum() == 10  # the mappings stay
    with pytest.raises(RuntimeError, match="share_memory=False"):
        SharedWeights.attach(path, {"a": (3, 4)})
    owner.close()
    other.close()


def test_more_replicas_than_workers_share_a_worker(client, corpus_dir):
    # two replicas take turns on one worker's thread: a round that waits for
    # its replica's round before leaves the thread pool meanwhile
    model = fd.Word2Vec(client, corpus_dir, replicas=3, sync_every=10_000, vector_size=32,
                        min_count=3, sg=1, epochs=3, seed=2, overlap=True)
    assert model.train_stats[0]["rounds"] > 8
    assert model.loss_history[-1] < model.loss_history[0]
    assert category_margin(model.wv) > 0.1


@pytest.mark.parametrize("overlap", [False, True])
def test_a_seed_fixes_the_result_of_replicas_with_their_own_weights(client, corpus_dir,
                                                                     overlap):
    runs = [fd.Word2Vec(client, corpus_dir, sync_every=100_000, vector_size=16, min_count=5,
                        epochs=1, seed=9, overlap=overlap, share_memory=False)
            for _ in range(2)]
    np.testing.assert_array_equal(runs[0].wv.vectors, runs[1].wv.vectors)


def test_deterministic_rounds_do_not_depend_on_the_workers_threads(client, corpus_dir):
    """With ``deterministic=True`` each Word2Vec replica trains its share of
    a round in the fixed pieces of one machine's deterministic training, and
    each GloVe replica its range on one thread, so workers of two threads
    give the bits of workers of one."""
    from distributed import Client, LocalCluster
    options = dict(vector_size=16, min_count=5, epochs=2, seed=9, deterministic=True)

    def train(cluster_client):
        return (fd.Word2Vec(cluster_client, corpus_dir, sync_every=100_000, **options),
                fd.GloVe(cluster_client, corpus_dir, **options))
    single = train(client)
    with LocalCluster(n_workers=2, threads_per_worker=2, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as two_threads:
        double = train(two_threads)
    for one, two in zip(single, double):
        assert two.deterministic
        np.testing.assert_array_equal(one.wv.vectors, two.wv.vectors)
        assert one.loss_history == two.loss_history
        assert one.loss_history[-1] < one.loss_history[0]


def test_fasttext_trains_subwords(client, corpus_dir):
    model = fd.FastText(client, corpus_dir, sync_every=100_000, vector_size=32, min_count=3,
                        epochs=3, bucket=20_000, seed=2)
    assert isinstance(model, fastemb.FastText)
    # one replica on one machine: the least an epoch has without exchanges
    assert model.train_stats[0]["rounds"] == 2
    # the workers share one copy of the weights, as two threads of one
    # machine would (seeds 2-4: 0.10-0.24; one machine: 0.23-0.27; untrained: 0)
    assert category_margin(model.wv) > 0.05
    assert "goldsmithery" not in model.wv.key_to_index
    assert model.wv.similarity("goldsmithery", "gold") > 0.3


def test_glove_matrix_is_the_single_machine_one_and_learns(client, corpus_dir):
    params = dict(vector_size=40, window=8, min_count=3, epochs=12, seed=4, x_max=10.0)
    model = fd.GloVe(client, corpus_dir, keep_matrix=True, **params)
    single = fastemb.GloVe(**params, workers=2)
    single.build_vocab(corpus_file=corpus_dir)
    single.build_cooccurrence(corpus_file=corpus_dir)
    assert model.wv.index_to_key == single.wv.index_to_key
    mine, theirs = model.cooccurrence, single.cooccurrence
    assert mine.nnz == theirs.nnz > 0
    np.testing.assert_array_equal(mine.rows, theirs.rows)
    np.testing.assert_array_equal(mine.cols, theirs.cols)
    np.testing.assert_array_equal(mine.vals, theirs.vals)
    assert model.cost_history[-1] < model.cost_history[0]
    assert category_margin(model.wv) > 0.1


def test_bad_parameters_are_refused(client, corpus_dir):
    with pytest.raises(ValueError, match="max_vocab_size"):
        fd.Word2Vec(client, corpus_dir, max_vocab_size=1000)
    with pytest.raises(ValueError, match="sync_every"):
        fd.Word2Vec(client, corpus_dir, sync_every=0)
    with pytest.raises(ValueError, match="sync_rule"):
        fd.Word2Vec(client, corpus_dir, sync_rule="median")
    with pytest.raises(ValueError, match="overlap"):
        fd.Word2Vec(client, corpus_dir, overlap="yes")
    with pytest.raises(ValueError, match="syncs_per_epoch"):
        fd.GloVe(client, corpus_dir, syncs_per_epoch=0)
    with pytest.raises(fastemb.VocabularyError):
        fd.Word2Vec(client, corpus_dir, min_count=10 ** 9)


def test_a_diverging_run_ends_with_an_error_not_a_hang(client, corpus_dir):
    # a replica's failed round drops its weights: the rounds waiting on it
    # end too, and the driver names the cause
    with pytest.raises(TrainingDivergedError, match="alpha=50"):
        fd.Word2Vec(client, corpus_dir, vector_size=16, min_count=3, epochs=2, seed=1, sg=1,
                    alpha=50.0)
    model = fd.Word2Vec(client, corpus_dir, vector_size=16, min_count=3, epochs=1, seed=1)
    assert np.isfinite(model.wv.vectors).all()  # the cluster trains on afterwards
    # four replicas summing their changes of the frequent rows overshoot:
    # the error says what to change
    with pytest.raises(TrainingDivergedError, match="replicas=2.*row_mean"):
        fd.Word2Vec(client, corpus_dir, replicas=4, vector_size=32, min_count=3, epochs=3,
                    seed=2, sg=1)


def _killer(client):
    """A progress callback that kills one worker process while the next
    round runs, once."""
    pids = client.run(os.getpid)
    victim = pids[sorted(pids)[0]]
    killed = threading.Event()

    def kill_once(done, total):
        if not killed.is_set():
            killed.set()
            threading.Timer(0.3, os.kill, (victim, signal.SIGKILL)).start()
    return kill_once, killed


@pytest.mark.parametrize("kind", ["Word2Vec", "Word2Vec sharing weights", "GloVe"])
def test_a_worker_killed_mid_run_is_survived(client, corpus_dir, kind):
    kill_once, killed = _killer(client)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if kind == "Word2Vec":
            model = fd.Word2Vec(client, corpus_dir, sync_every=30_000, vector_size=40,
                                min_count=3, sg=1, epochs=3, seed=5, progress=kill_once,
                                share_memory=False)
        elif kind == "Word2Vec sharing weights":
            # the survivor trains both shares on one copy of the weights
            model = fd.Word2Vec(client, corpus_dir, vector_size=40, min_count=3, sg=1,
                                epochs=12, seed=5, progress=kill_once)
        else:
            model = fd.GloVe(client, corpus_dir, syncs_per_epoch=3, vector_size=40, window=8,
                             min_count=3, epochs=12, seed=4, x_max=10.0, progress=kill_once)
    assert killed.is_set()
    assert any("lost Dask worker" in str(w.message) for w in caught)
    assert category_margin(model.wv) > 0.1
    client.wait_for_workers(2, timeout=60)  # the nanny restarted it


def test_cli_trains_on_the_scheduler(client, corpus_dir, tmp_path, capsys):
    from fastemb.cli import main
    address = client.scheduler.address
    out = str(tmp_path / "vectors.txt")
    assert main(["train", corpus_dir, "-o", out, "--scheduler", address, "--min-count", "3",
                 "--epochs", "2", "--vector-size", "24", "--sync-every", "100000",
                 "--overlap", "--no-shared-memory"]) == 0
    assert "Dask workers" in capsys.readouterr().err
    vectors = fastemb.KeyedVectors.load_word2vec_format(out)
    assert vectors.most_similar("gold", topn=1)[0][0] in vectors.key_to_index
    glove_out = str(tmp_path / "glove.model")
    assert main(["train", corpus_dir, "-o", glove_out, "--model", "glove", "--scheduler",
                 address, "--min-count", "3", "--epochs", "3", "--vector-size", "24"]) == 0
    assert len(fastemb.GloVe.load(glove_out).wv) > 1000
    assert main(["train", corpus_dir, "-o", out, "--scheduler", address, "--checkpoint",
                 str(tmp_path / "ck")]) == 2
    assert "does not take --checkpoint" in capsys.readouterr().err
    for option in ("--overlap", "--no-shared-memory"):
        assert main(["train", corpus_dir, "-o", out, option]) == 2
        assert "give --scheduler too" in capsys.readouterr().err
        assert main(["train", corpus_dir, "-o", glove_out, "--model", "glove", "--scheduler",
                     address, option]) == 2
        assert "are for word2vec and fasttext" in capsys.readouterr().err
