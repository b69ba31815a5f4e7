"""Word2Vec and FastText trained on a Dask cluster by delta averaging in
rounds.

The corpus is cut into partitions (:mod:`~fastemb.distributed.partitions`),
scanned and encoded where they are read (:mod:`~fastemb.distributed.
vocabulary`), and dealt to the Dask workers. The workers of one machine
train one replica, its weights in shared memory
(:mod:`~fastemb.distributed.shared_weights`), each its own partitions, as
threads of one process would; with ``share_memory=False``, each worker
trains a replica of its own. Training runs in rounds of about
``sync_every`` words over the whole cluster
(:mod:`~fastemb.distributed.rounds`). In a round, every worker trains the
next stretch of its partitions with the ordinary nogil kernel on all of its
threads, and every replica returns the rows it changed in half precision;
before its next round (or, with ``overlap=True``, the one after), every
other replica merges that change (:mod:`~fastemb.distributed.sync`) where it
lives (:mod:`~fastemb.distributed.word2vec_replica`). The learning rate
falls linearly over the global word count, as on one machine.

Why rounds of averaging and not a parameter server: a round's traffic is
each replica's changed rows, sent to the others once, whatever the corpus,
while a parameter server moves rows on every update of every frequent word.
The README has the measurements and a model of how the throughput scales
with the number of machines.
"""
import logging
import time

import numpy as np

from fastemb.distributed.base import PartitionedTraining
from fastemb.distributed.cluster import rebuildable, scatter_one, worker_hosts
from fastemb.distributed.partitions import PARTITION_BYTES
from fastemb.distributed.rounds import RoundPlan, SyncedRounds, copy_into, submit_to
from fastemb.distributed.sync import RULES
from fastemb.distributed.word2vec_replica import (
    begin_shared_round,
    end_shared_round,
    model_class,
    run_spec,
    synchronised_weights,
    token_count,
    train_member,
    train_round,
    weight_arrays,
)
from fastemb.errors import CorpusError, TrainingDivergedError
from fastemb.models.base import check
from fastemb.training.loop import DivergenceWatch

__all__ = ["Word2Vec", "FastText", "DistributedTrainer"]

logger = logging.getLogger(__name__)

#: Words trained by the whole cluster between two synchronisations.
SYNC_EVERY = 750_000
#: Rounds an epoch has at least, whatever ``sync_every``: a replica sees
#: the others' changes up to a round late (two when rounds overlap), which
#: on a small corpus would otherwise be whole epochs.
MIN_ROUNDS_PER_EPOCH = 8
#: Words an epoch's rounds have at least, and the rounds it has at least,
#: when one replica trains alone (the workers of one machine sharing its
#: weights): a round then costs Dask's tasks and a training call on every
#: worker and buys only progress reports (on gcide8, 8 rounds an epoch
#: instead of 2 made training 7-10 % slower).
UNSYNCED_ROUND_WORDS = 5_000_000
MIN_UNSYNCED_ROUNDS = 2


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
        Words the whole cluster trains between two synchronisations (at
        most: an epoch has at least ``MIN_ROUNDS_PER_EPOCH`` rounds).
    partition_bytes : int
        Plain files larger than this are read as several byte ranges.
    replicas : int, optional
        Model copies trained side by side; default one a machine (or a
        worker, without ``share_memory``; more than two diverged under
        ``"sum"``: see :func:`Word2Vec`).
    sync_rule : {'sum', 'row_mean', 'mean'}
        How the replicas' changes are merged (:mod:`fastemb.distributed.sync`).
    overlap : bool
        Whether rounds overlap (:mod:`~fastemb.distributed.word2vec_replica`):
        a replica then takes the others' changes one round later and never
        waits at a round's end.
    share_memory : bool
        With ``replicas=None``: the workers of one machine train one copy of
        the weights in shared memory, each its own partitions, and only
        machines exchange changes.
    """

    def __init__(self, client, model, corpus_files, sync_every=SYNC_EVERY,
                 partition_bytes=PARTITION_BYTES, replicas=None, sync_rule="sum",
                 overlap=False, share_memory=True):
        check(isinstance(sync_every, (int, np.integer)) and sync_every >= 1,
               f"sync_every must be a positive number of words, got {sync_every!r}")
        check(sync_rule in RULES, f"sync_rule must be one of {RULES}, got {sync_rule!r}")
        check(isinstance(overlap, (bool, np.bool_)), f"overlap must be True or False, got "
              f"{overlap!r}")
        check(isinstance(share_memory, (bool, np.bool_)), f"share_memory must be True or "
              f"False, got {share_memory!r}")
        super().__init__(client, model, corpus_files, partition_bytes, replicas)
        self.sync_every = int(sync_every)
        self.sync_rule = sync_rule
        self.overlap = bool(overlap)
        # an explicit number of replicas means that many copies of the weights;
        # workers sharing weights would make the bits depend on their timing
        self.share_memory = bool(share_memory) and replicas is None and not model.deterministic
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
        model._raw = (totals, ("distributed", tuple(p.path for p in self.partitions)), None,
                      None)
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
        sizes = client.gather([client.submit(token_count, e, pure=False) for e in encoded])
        self.replica_tokens = [sum(sizes[i] for i in indices) for indices in self.assignment]

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
        model = self.model
        epochs = self._epochs(epochs)
        if sum(self.replica_tokens) == 0:
            raise CorpusError("the training corpus has no word of the vocabulary")
        callbacks = model.callbacks + tuple(callbacks)
        self._notify(callbacks, "on_train_begin")
        run = _Word2VecRounds(self, epochs, callbacks, progress)
        try:
            run.go()
        except TrainingDivergedError as error:
            raise self._diverged(error, len(run.members)) from error
        finally:
            run.close()
        self._notify(callbacks, "on_train_end")
        model.train_count += 1
        model.total_train_time += run.totals["seconds"]
        model.min_alpha_yet_reached = model.min_alpha
        model.add_lifecycle_event("train", distributed=True, epochs=epochs,
                                  raw_words=run.totals["raw"],
                                  trained_words=run.totals["trained"],
                                  seconds=round(run.totals["seconds"], 3),
                                  replicas=len(run.members), workers=self.n_replicas,
                                  rounds_per_epoch=run.plan.rounds, sync_rule=self.sync_rule,
                                  overlap=self.overlap, share_memory=self.share_memory)
        return run.totals["trained"], run.totals["raw"]

    def _diverged(self, error, replicas):
        """``error`` with the advice that fits distributed training: beyond
        two replicas, summing every replica's change of the same frequent
        rows overshoots (each replica moves them most of the way to where
        its own data pulls them)."""
        if replicas <= 2 or self.sync_rule != "sum":
            return error
        return TrainingDivergedError(
            f"{error}. With {replicas} replicas, sync_rule='sum' adds "
            f"{replicas} changes of each frequent row; it diverged with 3 and 4 "
            "replicas on a 5M-word corpus. Train with 2 replicas (replicas=2, each "
            "on all its worker's threads), or with sync_rule='row_mean' (stable, "
            "but frequent words learn more slowly)")

    def _replica_members(self):
        """The replicas' workers: ``[[worker's share, …], …]`` (a share is an
        index of ``assignment``); the shares of one machine form one replica
        when memory is shared."""
        if not self.share_memory:
            return [[share] for share in range(self.n_replicas)]
        hosts = worker_hosts(self.client)
        machines = {}
        for share in range(self.n_replicas):
            machines.setdefault(hosts.get(self._home(share)), []).append(share)
        return list(machines.values())

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


class _Word2VecRounds(SyncedRounds):
    """A training call of Word2Vec or FastText: in each round, every
    replica (a worker, or the workers of one machine sharing its weights)
    trains the next stretch of its partitions from its own weights, into
    which it has merged the others' changes of the round ``lag`` rounds
    before (:mod:`~fastemb.distributed.word2vec_replica`)."""

    def __init__(self, trainer, epochs, callbacks, progress):
        model = trainer.model
        self.members = trainer._replica_members()
        words = sum(trainer.replica_tokens)
        if len(self.members) > 1:
            rounds = max(MIN_ROUNDS_PER_EPOCH, round(words / trainer.sync_every))
        else:  # nothing to exchange: rounds only pace progress, snapshots and recovery
            rounds = max(MIN_UNSYNCED_ROUNDS, round(words / max(trainer.sync_every,
                                                                UNSYNCED_ROUND_WORDS)))
        super().__init__(trainer, RoundPlan(rounds, epochs), callbacks, progress)
        self.lag = 2 if trainer.overlap else 1
        self.arrays = weight_arrays(model)
        # the replicas watch their rounds' loss; the driver, the weights
        self.divergence = DivergenceWatch(model, lambda: list(self.arrays.values()))
        self.first_epoch = model.epochs_trained
        self.schedule = _AlphaSchedule(model.alpha, model.min_alpha, self.plan.total)
        self.totals = {"trained": 0, "raw": 0, "seconds": 0.0}
        self.epochs_done = 0
        self.spec = None

    def send_start(self, run):
        client, trainer = self.client, self.trainer
        if self.spec is not None:  # after a loss: the workers left may be elsewhere
            self.members = trainer._replica_members()
        self.spec = scatter_one(client, run_spec(trainer.model, trainer.sync_rule, self.members,
                                                 run), broadcast=True)
        # sent to one worker: the others fetch it from there, not from the driver
        return scatter_one(client, dict(self.arrays))

    def home_of(self, replica):
        return self.trainer._home(self.members[replica][0])

    def shares(self, position):
        """Each worker's share of a round, by share (an empty stretch when a
        share has no words left this epoch: its replica still merges the
        others' changes)."""
        trainer, rounds = self.trainer, self.plan.rounds
        epoch, step = self.plan.epoch_step(position)
        out = []
        for share, parts in enumerate(trainer.encoded):
            n = trainer.replica_tokens[share]
            start, end = n * step // rounds, n * (step + 1) // rounds
            seed = int(np.random.SeedSequence(
                [int(trainer.model.seed), epoch, step, share]).generate_state(1)[0] >> 1)
            out.append((parts, start, end, self.schedule(position), self.schedule(position + 1),
                        seed, self.first_epoch + epoch,
                        share == 0 and self.plan.snapshot_before(position)))
        return out

    def submit_round(self, position, starts):
        # a replica's round k takes the others' changes of round k - lag
        merged = self.results_of(position - self.lag)
        shares = self.shares(position)
        results = []
        for replica, members in enumerate(self.members):
            if len(members) == 1:
                results.append(submit_to(self.client, self.home_of(replica), train_round,
                                         self.spec, replica, position, shares[members[0]],
                                         starts, *merged, priority=-position))
            else:
                results.append(self._submit_shared(replica, position, shares, starts, merged))
        return results

    def _submit_shared(self, replica, position, shares, starts, merged):
        """The tasks of a shared replica's round: a start (the run's first
        round, or a merge of the other machines' changes), every worker's
        share, an end that measures the change; the end's future."""
        client, home, members = self.client, self.home_of(replica), self.members[replica]
        exchange = len(self.members) > 1
        begun = []
        if starts is not None or exchange:
            # the round before must have ended (with lag 1, among the merged)
            after = self.results_of(position - 1)[replica] \
                if self.lag == 2 and position - 1 >= self.run_start else None
            keep = replica == 0 and self.plan.snapshot_before(position)
            begun = [submit_to(client, home, begin_shared_round, self.spec, replica, position,
                               keep, starts, after, *merged, priority=-position)]
        trained = [submit_to(client, self.trainer._home(member), train_member, self.spec,
                             replica, member, position, shares[member], *begun,
                             priority=-position) for member in members]
        keep_next = replica == 0 and self.plan.snapshot_after(position)
        return submit_to(client, home, end_shared_round, self.spec, replica, position,
                         keep_next, *trained, priority=-position)

    def submit_snapshot(self, position, results):
        # the weights round position + 1 starts from: replica 0's, merged
        # with round position + 1 - lag, plus the others' changes of the
        # rounds after that one (first on that worker: the next round does
        # not need it)
        if self.lag == 1:
            merged, after = list(results), []
        else:
            merged, after = self.results_of(position - 1), list(results)
        return [submit_to(self.client, self.home_of(0), synchronised_weights, self.spec,
                          0, position + 1, len(merged), *merged, *after, priority=1)]

    def keep_snapshot(self, values):
        copy_into(self.arrays, values[0])

    def rebuild_data(self):
        # Dask rebuilds lost partitions, unless it cancelled them
        if not rebuildable([future for parts in self.trainer.encoded for future in parts]):
            self.trainer._encode()

    def progress_units(self):
        return self.done("raw"), sum(self.trainer.replica_tokens) * self.plan.epochs

    def finish_epoch(self, rounds, seconds):
        loss, raw = self.summed(rounds, "loss"), self.summed(rounds, "raw")
        trained = self.summed(rounds, "trained")
        others = len(self.members) - 1
        traffic = {
            # what the README's scaling model is built from
            "compute_seconds": sum(max(s["seconds"] for s in r) for r in rounds),
            "bytes_exchanged": self.summed(rounds, "delta_bytes") * others,
            "bytes_to_driver": sum(a.nbytes for a in self.arrays.values()) * sum(
                map(self.plan.snapshot_after, range(self.epochs_done * self.plan.rounds,
                                                    (self.epochs_done + 1) * self.plan.rounds)))}
        self.epochs_done += 1
        self.trainer._finish_epoch(loss, raw, trained, seconds, self.plan.rounds, traffic)
        self.divergence.check(loss, self.trainer.model.epochs_trained)
        self.totals["raw"] += raw
        self.totals["trained"] += trained
        self.totals["seconds"] += seconds


def _train_distributed(kind, client, corpus_files, sync_every, partition_bytes, replicas,
                       sync_rule, overlap, share_memory, trim_rule, callbacks, progress, params):
    model = model_class(kind)(**params)
    trainer = DistributedTrainer(client, model, corpus_files, sync_every, partition_bytes,
                                 replicas, sync_rule, overlap, share_memory)
    trainer.build_vocab(trim_rule=trim_rule)
    trainer.train(callbacks=callbacks, progress=progress)
    return model


def Word2Vec(client, corpus_files, sync_every=SYNC_EVERY, partition_bytes=PARTITION_BYTES,
             replicas=None, sync_rule="sum", overlap=False, share_memory=True, trim_rule=None,
             callbacks=(), progress=None, **params):
    """Train a :class:`fastemb.Word2Vec` on a Dask cluster.

    Parameters
    ----------
    client : dask.distributed.Client
    corpus_files : str, os.PathLike or sequence of them
        Text files (one sentence a line; ``.gz``, ``.bz2``, ``.xz``),
        directories of them or fsspec URLs, readable by every worker. Files
        are read where the tasks run; only counts and weights travel.
    sync_every : int
        Words the whole cluster trains between two synchronisations (at
        most: an epoch has at least ``MIN_ROUNDS_PER_EPOCH``, 8, rounds).
    partition_bytes : int
        Plain files larger than this are read as byte ranges of whole lines.
    replicas : int, optional
        Model copies trained side by side, each on its own worker with all
        its threads; by default one a machine, trained by all of its
        workers (see ``share_memory``). Under ``"sum"``, more than two
        diverged on a 5M-word corpus (the distributed page of the docs):
        give a cluster of more machines ``replicas=2``.
    sync_rule : {'sum', 'row_mean', 'mean'}
        How replicas' changes are merged (:mod:`fastemb.distributed.sync`).
    overlap : bool
        Overlapping rounds: each replica merges the others' changes of the
        round before last, so it never waits at a round's end and the
        changes travel while it trains. Faster (gcide8, 2 one-thread
        workers with their own weights: 0.76x one machine end to end
        against 0.72x lock-step), but every replica sees the others'
        changes one round later: on gcide8 skip-gram with negative sampling
        kept its quality, CBOW lost about 0.01 and hierarchical softmax
        about 0.02 of analogy accuracy. Default off; nothing to overlap
        when one machine's workers share one replica.
    share_memory : bool
        With ``replicas=None``, the workers of one machine train one copy of
        the weights in shared memory, each its own partitions, as threads of
        one process would, and only machines exchange changes (gcide8, 2
        one-thread workers: 0.82-0.84x one machine end to end). False: a replica
        a worker, each with its own weights, so a seed fixes the result.
        ``deterministic=True`` implies False.
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
                              replicas, sync_rule, overlap, share_memory, trim_rule, callbacks,
                              progress, params)


def FastText(client, corpus_files, sync_every=SYNC_EVERY, partition_bytes=PARTITION_BYTES,
             replicas=None, sync_rule="sum", overlap=False, share_memory=True, trim_rule=None,
             callbacks=(), progress=None, **params):
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
                              replicas, sync_rule, overlap, share_memory, trim_rule, callbacks,
                              progress, params)
