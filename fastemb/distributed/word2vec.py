"""Word2Vec and FastText trained on a Dask cluster by synchronous delta
averaging.

The corpus is cut into partitions (:mod:`~fastemb.distributed.partitions`),
scanned and encoded where they are read (:mod:`~fastemb.distributed.
vocabulary`), and dealt to R replicas, one a Dask worker. Training runs in
rounds of about ``sync_every`` words over the whole cluster. In a round,
every replica starts from the driver's weights, trains the next stretch of
its partitions with the ordinary nogil kernel on all of its worker's
threads, and returns the rows it changed (:mod:`~fastemb.distributed.sync`);
the driver merges them and the next round starts from the result. The
learning rate falls linearly over the global word count, as on one machine.

Why rounds of averaging and not a parameter server: a round's traffic is
the merged change out and the changed rows back per replica, whatever the
corpus, while a parameter server moves rows on every update of every
frequent word. The README has the measurements and a model of how the
throughput scales with the number of machines.
"""
import logging
import threading
import time
import uuid

import numpy as np

from fastemb.distributed.base import PartitionedTraining
from fastemb.distributed.cluster import (LostData, WorkerWatch, cluster_workers, gather_round,
                                         scatter_one)
from fastemb.distributed.partitions import PARTITION_BYTES
from fastemb.distributed.sync import RULES, apply_delta, combine_deltas, sparse_delta
from fastemb.word2vec import _check

__all__ = ["Word2Vec", "FastText", "DistributedTrainer"]

logger = logging.getLogger(__name__)

#: Words trained by the whole cluster between two synchronisations.
SYNC_EVERY = 750_000


def _model_classes():
    from fastemb.fasttext import FastText as LocalFastText
    from fastemb.word2vec import Word2Vec as LocalWord2Vec
    return {"Word2Vec": LocalWord2Vec, "FastText": LocalFastText}


# ----------------------------------------------------------------- worker side
_replicas = {}
_replicas_lock = threading.Lock()
#: run -> (version, weights): the start of the last round this worker trained
_starts = {}
_starts_lock = threading.Lock()


def _weight_arrays(model):
    """The arrays training changes, by name: the input rows (words, and
    FastText's n-gram buckets) and the output layers in use."""
    arrays = {"input": model._kernel_inputs()[0]}
    if model.negative:
        arrays["syn1neg"] = model.syn1neg
    if model.hs:
        arrays["syn1"] = model.syn1
    return arrays


def _build_replica(spec):
    model = _model_classes()[spec["kind"]](**spec["params"])
    model.wv = model._new_vectors(spec["keys"], spec["counts"])
    model.init_weights()
    return model


class _borrowed_replica:
    """A worker-local model of the run ``spec`` describes, lent to one task
    at a time (two tasks on one worker get two models)."""

    def __init__(self, spec):
        self.spec = spec

    def __enter__(self):
        with _replicas_lock:
            free = _replicas.setdefault(self.spec["run"], [])
            for run in [r for r in _replicas if r != self.spec["run"]]:
                del _replicas[run]  # a finished run's models
            self.model = free.pop() if free else None
        if self.model is None:
            self.model = _build_replica(self.spec)
        return self.model

    def __exit__(self, *exc):
        with _replicas_lock:
            _replicas.setdefault(self.spec["run"], []).append(self.model)


def round_start(run, update):
    """The weights a round starts from, on a worker.

    ``update`` is ``("full", version, weights)``, or ``("delta", version,
    merged)``: the previous round's merged change, which brings the worker's
    copy of that round's start (version - 1) to this one exactly as the
    driver's copy was brought. Sending the change, in half precision, instead
    of the weights halves what a round sends out.

    Returns
    -------
    dict of ndarray or None
        None when this worker does not hold the previous start (it joined
        late, or replaced a lost one): the driver then sends the weights.
    """
    kind, version, payload = update
    with _starts_lock:
        if kind == "full":
            _starts.clear()  # also forgets finished runs
            weights = {name: np.array(array) for name, array in payload.items()}
            _starts[run] = (version, weights)
            return weights
        held = _starts.get(run)
        if held is None or held[0] not in (version, version - 1):
            return None
        weights = held[1]
        if held[0] == version - 1:  # the first task of this round on this worker
            for name, delta in payload.items():
                apply_delta(weights[name], delta)
            _starts[run] = (version, weights)
        return weights


def _worker_threads():
    from distributed import get_worker
    try:
        return max(1, int(get_worker().state.nthreads))
    except (ValueError, AttributeError):  # not on a worker (tests call it directly)
        return 1


def stretch(parts, start, end):
    """Tokens ``[start, end)`` of a replica's partitions laid end to end.

    Parameters
    ----------
    parts : list of (tokens, sentence_ends)
    start, end : int

    Returns
    -------
    tokens : ndarray of int32
    sentence_ends : ndarray of int64
        A sentence cut by ``start`` or ``end`` is cut there (as the threads
        of one machine cut their shards).
    """
    pieces, ends = [], []
    offset = out = 0
    for tokens, sentence_ends in parts:
        lo, hi = max(start - offset, 0), min(end - offset, len(tokens))
        offset += len(tokens)
        if lo >= hi:
            continue
        first = np.searchsorted(sentence_ends, lo, side="right")
        last = np.searchsorted(sentence_ends, hi, side="right")
        piece_ends = sentence_ends[first:last] - lo
        if not len(piece_ends) or piece_ends[-1] != hi - lo:
            piece_ends = np.append(piece_ends, hi - lo)
        pieces.append(tokens[lo:hi])
        ends.append(piece_ends + out)
        out += hi - lo
    if not pieces:
        return np.zeros(0, np.int32), np.zeros(0, np.int64)
    return np.concatenate(pieces), np.concatenate(ends).astype(np.int64, copy=False)


def train_round(spec, update, parts, start, end, alpha_start, alpha_end, seed, epoch_id):
    """One replica's share of a round (run on a worker).

    Parameters
    ----------
    spec : dict
        The run: model kind, parameters, vocabulary.
    update : tuple
        The weights at the start of the round, or the change that brings
        this worker's last start to them (:func:`round_start`).
    parts : list of (tokens, sentence_ends)
        The replica's encoded partitions.
    start, end : int
        The stretch of them to train.
    alpha_start, alpha_end : float
        The learning rate at the stretch's ends (of the global schedule).
    seed, epoch_id : int
        Fix the round's random draws.

    Returns
    -------
    dict
        ``deltas`` (name -> sparse delta), ``loss``, ``raw``, ``trained``,
        ``seconds``; or ``{"stale": True}`` when the worker needs the
        weights themselves.
    """
    state = round_start(spec["run"], update)
    if state is None:
        return {"stale": True}
    tokens, ends = stretch(parts, start, end)
    with _borrowed_replica(spec) as model:
        arrays = _weight_arrays(model)
        for name, array in arrays.items():
            np.copyto(array, state[name])
        model.seed = int(seed)
        model.workers = _worker_threads()
        model.epochs_trained = int(epoch_id)
        call = {"epochs": 1, "start_alpha": float(alpha_start), "end_alpha": float(alpha_end),
                "trained": 0, "raw": 0, "seconds": 0.0, "loss": 0.0}
        trained, raw = model._train_call(tokens, ends, call, 3600.0, (), None, None, None)
        deltas = {name: _half(sparse_delta(state[name], array)) for name, array in arrays.items()}
    return {"deltas": deltas, "loss": call["loss"], "raw": raw, "trained": trained,
            "seconds": call["seconds"]}


def _half(delta):
    """A delta to send in half precision: its rounding (a relative 5e-4 of
    a round's change, not of the weight) is far below SGD's own noise, and it
    halves what each round sends back."""
    rows, change = delta
    return rows.astype(np.int32), change.astype(np.float16)


def _token_count(encoded):
    return len(encoded[0])


# ----------------------------------------------------------------- driver side
class DistributedTrainer(PartitionedTraining):
    """Builds the vocabulary of a partitioned corpus on a Dask cluster and
    trains an ordinary fastemb model on it.

    Parameters
    ----------
    client : dask.distributed.Client
    model : fastemb.Word2Vec or fastemb.FastText
        Untrained, holding the parameters; it receives the vocabulary and
        the trained weights.
    corpus_files : str, os.PathLike or sequence of them
        Files, directories or fsspec URLs every worker can read.
    sync_every : int
        Words the whole cluster trains between two synchronisations.
    partition_bytes : int
        Plain files larger than this are read as several byte ranges.
    replicas : int, optional
        Model copies trained side by side; default one a worker.
    sync_rule : {'sum', 'row_mean', 'mean'}
        How the replicas' changes are merged (:mod:`fastemb.distributed.sync`).
    """

    def __init__(self, client, model, corpus_files, sync_every=SYNC_EVERY,
                 partition_bytes=PARTITION_BYTES, replicas=None, sync_rule="sum"):
        _check(isinstance(sync_every, (int, np.integer)) and sync_every >= 1,
               f"sync_every must be a positive number of words, got {sync_every!r}")
        _check(sync_rule in RULES, f"sync_rule must be one of {RULES}, got {sync_rule!r}")
        super().__init__(client, model, corpus_files, partition_bytes, replicas)
        self.sync_every = int(sync_every)
        self.sync_rule = sync_rule
        self.encoded = None
        self.replica_tokens = None

    def build_vocab(self, trim_rule=None):
        """Count the partitions on the workers, reduce the counts, choose the
        vocabulary on the driver and encode every partition over it where it
        was read.

        Raises
        ------
        VocabularyError
            Empty corpus, or no word reaching ``min_count``.
        """
        model = self.model
        started = time.perf_counter()
        totals = self._count_words()
        model._raw = (totals, ("distributed", tuple(p.path for p in self.partitions)), None)
        model.corpus_count = totals.n_sentences
        model.corpus_total_words = totals.raw_words
        report = model.prepare_vocab(trim_rule=trim_rule)
        model.prepare_weights()
        self._encode()
        seconds = round(time.perf_counter() - started, 3)
        model.add_lifecycle_event("build_vocab", distributed=True, words=len(model.wv),
                                  partitions=len(self.partitions), replicas=self.n_replicas,
                                  seconds=seconds, **report)
        logger.info("distributed vocabulary: %d words from %d raw words in %d partitions, "
                    "%.2f s", len(model.wv), totals.raw_words, len(self.partitions), seconds)

    def _encode(self):
        """Encode every partition on its replica's worker (again, after a
        loss Dask could not repair)."""
        client = self.client
        encoded = self._encode_partitions()
        self.encoded = [[encoded[i] for i in indices] for indices in self.assignment]
        sizes = client.gather([client.submit(_token_count, e, pure=False) for e in encoded])
        self.replica_tokens = [sum(sizes[i] for i in indices) for indices in self.assignment]

    def _spec(self):
        model = self.model
        return {"kind": type(model).__name__, "run": uuid.uuid4().hex,
                "params": {name: getattr(model, name) for name in model.PARAMS},
                "keys": list(model.wv.index_to_key), "counts": np.asarray(model.wv.counts)}

    def train(self, epochs=None, callbacks=(), progress=None):
        """Train ``epochs`` passes over the corpus on the cluster.

        Parameters
        ----------
        epochs : int, optional
            Default ``model.epochs``.
        callbacks : sequence of CallbackAny2Vec
            Their epoch hooks see the driver's model, synchronised.
        progress : callable, optional
            ``progress(done, total)`` in words of the vocabulary, after
            every round.

        Returns
        -------
        (int, int)
            Words trained (after subsampling) and raw words processed.
        """
        if self.encoded is None:
            raise RuntimeError("build the vocabulary first: call build_vocab()")
        model, client = self.model, self.client
        epochs = self._epochs(epochs)
        total_tokens = sum(self.replica_tokens)
        if total_tokens == 0:
            from fastemb.errors import CorpusError
            raise CorpusError("the training corpus has no word of the vocabulary")
        rounds = max(1, round(total_tokens / self.sync_every))
        spec = scatter_one(client, self._spec(), broadcast=True)
        arrays = _weight_arrays(model)
        watch = WorkerWatch(client)
        callbacks = model.callbacks + tuple(callbacks)
        schedule = _AlphaSchedule(model.alpha, model.min_alpha, epochs * rounds)
        self._version, self._merged = 0, None
        totals = {"trained": 0, "raw": 0, "seconds": 0.0}
        self._notify(callbacks, "on_train_begin")
        for epoch in range(epochs):
            self._notify(callbacks, "on_epoch_begin")
            started = time.perf_counter()
            epoch_loss, epoch_raw, epoch_trained = 0.0, 0, 0
            traffic = {"compute_seconds": 0.0, "bytes_out": 0, "bytes_back": 0}
            for step in range(rounds):
                try:
                    results = self._round(spec, arrays, epoch, step, rounds, schedule)
                except LostData as lost:
                    # the weights are the driver's: rebuild the data, redo the round
                    logger.warning("%s; encoding the partitions again", lost)
                    self._merged = None  # and send the weights whole
                    self.workers = cluster_workers(client)
                    spec = scatter_one(client, self._spec(), broadcast=True)
                    self._encode()
                    results = self._round(spec, arrays, epoch, step, rounds, schedule)
                watch.check(f"epoch {epoch + 1}, round {step + 1}")
                # the change travels in half precision, so the driver applies that too
                self._merged = {name: _half(combine_deltas([r["deltas"][name] for r in results],
                                                           self.sync_rule))
                                for name in arrays}
                for name, target in arrays.items():
                    apply_delta(target, self._merged[name])
                self._version += 1
                epoch_loss += sum(r["loss"] for r in results)
                epoch_raw += sum(r["raw"] for r in results)
                epoch_trained += sum(r["trained"] for r in results)
                # what the scaling model of the README is built from
                traffic["compute_seconds"] += max(r["seconds"] for r in results)
                traffic["bytes_out"] += len(results) * sum(
                    rows.nbytes + change.nbytes for rows, change in self._merged.values())
                traffic["bytes_back"] += sum(rows.nbytes + change.nbytes for r in results
                                             for rows, change in r["deltas"].values())
                if progress is not None:
                    progress(totals["raw"] + epoch_raw, total_tokens * epochs)
            seconds = time.perf_counter() - started
            self._finish_epoch(epoch_loss, epoch_raw, epoch_trained, seconds, rounds, traffic)
            totals["raw"] += epoch_raw
            totals["trained"] += epoch_trained
            totals["seconds"] += seconds
            self._notify(callbacks, "on_epoch_end")
        self._notify(callbacks, "on_train_end")
        model.train_count += 1
        model.total_train_time += totals["seconds"]
        model.min_alpha_yet_reached = model.min_alpha
        model.add_lifecycle_event("train", distributed=True, epochs=epochs,
                                  raw_words=totals["raw"], trained_words=totals["trained"],
                                  seconds=round(totals["seconds"], 3), replicas=self.n_replicas,
                                  rounds_per_epoch=rounds, sync_rule=self.sync_rule)
        return totals["trained"], totals["raw"]

    def _round(self, spec, arrays, epoch, step, rounds, schedule):
        """Submit every replica's share of one round and wait for them."""
        client = self.client
        # sent to one worker: the others fetch it from there, not from the driver
        if self._merged is None:
            update = scatter_one(client, ("full", self._version, dict(arrays)))
        else:
            update = scatter_one(client, ("delta", self._version, self._merged))
        position = epoch * rounds + step
        shares = []
        for replica, parts in enumerate(self.encoded):
            n = self.replica_tokens[replica]
            start, end = n * step // rounds, n * (step + 1) // rounds
            if start >= end:
                continue
            seed = int(np.random.SeedSequence(
                [int(self.model.seed), epoch, step, replica]).generate_state(1)[0] >> 1)
            shares.append((replica, (parts, start, end, schedule(position),
                                     schedule(position + 1), seed, self.model.epochs_trained)))

        def submit(replica, share, update):
            return client.submit(train_round, spec, update, *share,
                                 workers=[self._home(replica)], allow_other_workers=True,
                                 pure=False)
        what = f"epoch {epoch + 1}, round {step + 1}"
        results = gather_round(client, [submit(r, share, update) for r, share in shares], what)
        stale = [i for i, result in enumerate(results) if result.get("stale")]
        if stale:  # a worker without the last start (a new one): send it the weights
            whole = scatter_one(client, ("full", self._version, dict(arrays)))
            again = gather_round(client, [submit(*shares[i], whole) for i in stale], what)
            for i, result in zip(stale, again):
                results[i] = result
        return results

    def _finish_epoch(self, loss, raw, trained, seconds, rounds, traffic):
        model = self.model
        model._weights_trained = True
        model._after_training()
        model.epochs_trained += 1
        model.running_training_loss += loss
        model.loss_history.append(loss)
        model.train_stats.append({"epoch": model.epochs_trained, "loss": loss, "raw_words": raw,
                                  "trained_words": trained, "seconds": seconds,
                                  "rounds": rounds, **traffic})
        logger.info("distributed epoch %d: loss %.4g, %d raw words, %.2f s, %.0f words/s "
                    "(%d replicas, %d rounds)", model.epochs_trained, loss, raw, seconds,
                    raw / max(seconds, 1e-9), self.n_replicas, rounds)


class _AlphaSchedule:
    """The learning rate after ``position`` of ``n_rounds`` rounds: linear
    from ``alpha`` to ``min_alpha`` over the whole training."""

    def __init__(self, alpha, min_alpha, n_rounds):
        self.alpha, self.min_alpha, self.n_rounds = float(alpha), float(min_alpha), n_rounds

    def __call__(self, position):
        return self.alpha + (self.min_alpha - self.alpha) * position / self.n_rounds


def _train_distributed(kind, client, corpus_files, sync_every, partition_bytes, replicas,
                       sync_rule, trim_rule, callbacks, progress, params):
    model = _model_classes()[kind](**params)
    trainer = DistributedTrainer(client, model, corpus_files, sync_every, partition_bytes,
                                 replicas, sync_rule)
    trainer.build_vocab(trim_rule=trim_rule)
    trainer.train(callbacks=callbacks, progress=progress)
    return model


def Word2Vec(client, corpus_files, sync_every=SYNC_EVERY, partition_bytes=PARTITION_BYTES,
             replicas=None, sync_rule="sum", trim_rule=None, callbacks=(), progress=None,
             **params):
    """Train a :class:`fastemb.Word2Vec` on a Dask cluster.

    Parameters
    ----------
    client : dask.distributed.Client
    corpus_files : str, os.PathLike or sequence of them
        Text files (one sentence a line; ``.gz``, ``.bz2``, ``.xz``),
        directories of them or fsspec URLs, readable by every worker. Files
        are read where the tasks run; only counts and weights travel.
    sync_every : int
        Words the whole cluster trains between two synchronisations.
    partition_bytes : int
        Plain files larger than this are read as byte ranges of whole lines.
    replicas : int, optional
        Model copies trained side by side (default: one a worker); each
        trains on all threads of its worker.
    sync_rule : {'sum', 'row_mean', 'mean'}
        How replicas' changes are merged (:mod:`fastemb.distributed.sync`).
    trim_rule : callable, optional
        As in :meth:`fastemb.Word2Vec.build_vocab`, run on the driver.
    callbacks : sequence of CallbackAny2Vec
    progress : callable, optional
        ``progress(done, total)`` in words of the vocabulary, after every
        round.
    **params
        Any parameter of :class:`fastemb.Word2Vec` (``max_vocab_size`` and
        ``encoded_cache`` excepted); ``workers`` is kept for later training
        on one machine, the cluster uses its workers' threads.

    Returns
    -------
    fastemb.Word2Vec
        The ordinary model: same ``wv``, ``save``/``load`` and evaluation.
        Its vocabulary is the one a single machine reading the same files
        in the same order chooses.
    """
    return _train_distributed("Word2Vec", client, corpus_files, sync_every, partition_bytes,
                              replicas, sync_rule, trim_rule, callbacks, progress, params)


def FastText(client, corpus_files, sync_every=SYNC_EVERY, partition_bytes=PARTITION_BYTES,
             replicas=None, sync_rule="sum", trim_rule=None, callbacks=(), progress=None,
             **params):
    """Train a :class:`fastemb.FastText` on a Dask cluster (see
    :func:`Word2Vec` for the parameters; ``**params`` are FastText's).

    The n-gram bucket rows travel like word rows: only those a round
    changed go back and forth, but the first round (and a worker that
    joins) receives the whole input matrix, so a smaller ``bucket`` makes
    that cheaper.

    Returns
    -------
    fastemb.FastText
    """
    return _train_distributed("FastText", client, corpus_files, sync_every, partition_bytes,
                              replicas, sync_rule, trim_rule, callbacks, progress, params)
