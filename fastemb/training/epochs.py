"""The epochs of a ``train()`` call for each training kernel, as
:func:`fastemb.training.loop.run_epochs` drives them.

A plan (:class:`Word2VecEpochs`, :class:`GloveEpochs`) holds one call: the
threads, the kernel's trainer over the encoded corpus and the call's running
totals; it starts each epoch, sums its results into a record and rebuilds a
paused epoch from a checkpoint. An epoch (:class:`Word2VecEpoch`,
:class:`GloveEpoch`) is the work of the threads: each advances its own part
until the part ends or the threads are asked to pause, and the whole can be
written into a checkpoint and rebuilt from it, so a paused or killed epoch
continues exactly.
"""
import logging
import threading

import numpy as np

from fastemb._core import Word2VecTrainer
from fastemb.errors import FormatError
from fastemb.training.checkpoint import restore_progress
from fastemb.training.deterministic import PIECES, DeterministicEpoch, pause_check
from fastemb.training.glove_strata import BlockedGloveEpoch, replay_block_shuffles
from fastemb.training.threads import SLOT_STRIDE, ShardRunner, split_pieces

__all__ = ["Word2VecEpochs", "GloveEpochs", "SupervisedEpochs", "Word2VecEpoch", "GloveEpoch",
           "SupervisedEpoch", "glove_entry_order", "document_bounds"]

# the models' own log names, which users filter on, whichever module logs
word2vec_logger = logging.getLogger("fastemb.models.word2vec")
glove_logger = logging.getLogger("fastemb.models.glove")
supervised_logger = logging.getLogger("fastemb.models.supervised")


class Word2VecEpochs:
    """The epochs of one ``train()`` call of the Word2Vec family (Word2Vec,
    FastText, Doc2Vec) over an encoded corpus.

    Parameters
    ----------
    settings : dict
        The kernel's keyword arguments that come from the model: its modes,
        weights, tables and input lists (see
        :class:`fastemb._core.Word2VecTrainer`). With ``deterministic`` true
        the epochs are :class:`~fastemb.training.deterministic.DeterministicEpoch`.
    tokens, sentence_ends : ndarray
        The encoded corpus.
    call : dict
        ``epochs``, ``start_alpha``, ``end_alpha`` and the running totals
        ``trained``, ``raw``, ``seconds``, ``loss``, which each epoch adds to.
    n_threads : int
    report_delay : float
        Seconds between progress reports.
    seed : int
    """

    unit = "words"

    def __init__(self, settings, tokens, sentence_ends, call, n_threads, report_delay, seed):
        self.call = call
        self.seed = seed
        self.runner = ShardRunner(n_threads, report_delay)
        self.units_per_epoch = len(tokens)
        self.trainer = Word2VecTrainer(
            **settings, tokens=tokens, sentence_ends=sentence_ends,
            start_alpha=call["start_alpha"], end_alpha=call["end_alpha"],
            total_words=len(tokens) * call["epochs"], progress=self.runner.counters,
            stop_flag=self.runner.stop_flag, pause_at=self.runner.pause_at)
        self.pieces = split_pieces(sentence_ends, len(tokens), n_threads)
        self.deterministic = bool(settings.get("deterministic"))
        self.sentence_ends = sentence_ends

    def start(self, epoch_id, epoch=1):
        """The model's epoch ``epoch_id``, the call's ``epoch`` (1-based),
        from the start of every piece."""
        if self.deterministic:
            return DeterministicEpoch.start(
                self.trainer, self.sentence_ends, self.units_per_epoch, self.seed, epoch_id,
                epoch, self.call["epochs"], self.runner.n_threads, pause_check(self.runner))
        return Word2VecEpoch.start(self.trainer, self.pieces, self.seed, epoch_id)

    def finish(self, job, seconds, epoch):
        """Add a trained epoch to the call's totals and log it.

        Returns
        -------
        (float, dict)
            The epoch's loss and its record for ``train_stats``.
        """
        results = job.results()
        loss = float(sum(r[0] for r in results))
        raw = sum(r[1] for r in results)
        trained = sum(r[2] for r in results)
        predictions = sum(r[3] for r in results)
        call = self.call
        call["trained"] += trained
        call["raw"] += raw
        call["seconds"] += seconds
        call["loss"] += loss
        word2vec_logger.info("EPOCH %d: loss %.4g (%.4f a prediction), %d raw words, %d "
                             "trained, %.2f s, %.0f words/s", epoch, loss,
                             loss / max(predictions, 1), raw, trained, seconds,
                             raw / max(seconds, 1e-9))
        return loss, {"loss": loss, "raw_words": raw, "trained_words": trained,
                      "predictions": predictions, "seconds": seconds}

    def restore(self, state):
        """``(epoch, job)`` to continue from a checkpoint's state, after
        restoring the threads' progress counters.

        Raises
        ------
        FormatError
            The saved state does not fit this corpus or number of threads.
        """
        restore_progress(state, self.runner, any_threads=True)
        job = None
        if state["job"] is not None:
            try:
                if self.deterministic != isinstance(state["job"], dict):
                    raise ValueError("the checkpoint was written with deterministic="
                                     f"{not self.deterministic}")
                if self.deterministic:
                    job = DeterministicEpoch.restore(self.trainer, state["job"],
                                                     state["arrays"], self.runner.n_threads,
                                                     pause_check(self.runner))
                else:
                    job = Word2VecEpoch.restore(self.trainer, state["job"], state["arrays"])
            except (KeyError, TypeError, ValueError, OverflowError) as exc:
                raise FormatError(f"the checkpoint's position does not fit this corpus "
                                  f"({exc})") from None
        return int(state["epoch"]), job


class GloveEpochs:
    """The epochs of one GloVe ``train()`` call over a co-occurrence matrix.

    Parameters
    ----------
    trainer : fastemb._glove.GloveTrainer
        Over the matrix, from the order :func:`glove_entry_order` gives.
    call : dict
        ``epochs``, ``first_epoch_id`` (the model's epochs before the call)
        and ``costs``, which each epoch appends to.
    n_threads : int
    report_delay : float
    seed : int
    block_starts : ndarray of int64, optional
        Train deterministically, in strata
        (:class:`~fastemb.training.glove_strata.BlockedGloveEpoch`): the
        trainer's order is then :func:`fastemb._glove.group_by_block`'s and
        these are its block starts.
    """

    unit = "entries"

    def __init__(self, trainer, call, n_threads, report_delay, seed, block_starts=None):
        self.trainer = trainer
        self.call = call
        self.seed = seed
        self.runner = ShardRunner(n_threads, report_delay)
        self.units_per_epoch = trainer.n_entries
        self.block_starts = block_starts

    def start(self, epoch_id, epoch=None):
        """The epoch ``epoch_id`` from the start of every range."""
        if self.block_starts is not None:
            return BlockedGloveEpoch.start(self.trainer, self.runner, self.block_starts,
                                           self.seed, epoch_id, pause_check(self.runner))
        return GloveEpoch.start(self.trainer, self.runner, self.trainer.n_entries, self.seed,
                                epoch_id)

    def finish(self, job, seconds, epoch):
        """Record a trained epoch's mean cost an entry and log it.

        Returns
        -------
        (float, dict)
            The cost and the epoch's record for ``train_stats``.
        """
        results = job.results()
        done = sum(r[1] for r in results)
        cost = sum(r[0] for r in results) / max(done, 1)
        self.call["costs"].append(cost)
        glove_logger.info("GloVe epoch %d: cost %.6f, %.2f s", epoch, cost, seconds)
        return cost, {"cost": cost, "entries": done, "seconds": seconds}

    def restore(self, state):
        """``(epoch, job)`` to continue from a checkpoint's state, after
        restoring the progress counters and replaying the entry order's
        shuffles up to the paused epoch.

        Raises
        ------
        FormatError
            The saved state does not fit this matrix or number of threads.
        """
        blocked = self.block_starts is not None
        restore_progress(state, self.runner, any_threads=blocked)
        first = self.call["first_epoch_id"]
        n_threads = self.runner.n_threads

        def replay(last):
            if blocked:
                replay_block_shuffles(self.trainer, self.block_starts, self.seed, first, last)
            else:
                GloveEpoch.replay_order(self.trainer, n_threads, self.seed, first, last)

        if state["job"] is None:
            # the next epoch starts afresh, from the order the last one left;
            # the checkpoint's epochs are on the model already
            replay(first + int(state["epoch"]) - 2)
            return int(state["epoch"]), None
        try:
            if blocked != ("sub" in state["job"]):
                raise ValueError(f"the checkpoint was written with deterministic={not blocked}")
            replay(state["job"]["epoch_id"])
            if blocked:
                job = BlockedGloveEpoch.restore(self.trainer, self.runner, self.block_starts,
                                                self.seed, state["job"],
                                                pause_check(self.runner))
            else:
                job = GloveEpoch.restore(self.trainer, self.runner, self.seed, state["job"])
        except (KeyError, TypeError, ValueError, OverflowError) as exc:
            raise FormatError(f"the checkpoint's position does not fit this co-occurrence "
                              f"matrix ({exc})") from None
        return int(state["epoch"]), job


class Word2VecEpoch:
    """An epoch of the Word2Vec family (Word2Vec, FastText, Doc2Vec), cut
    into pieces that the threads take in order as they become free.

    With one piece a thread, the thread that happened to run slower (the
    core it shared, the text it drew) left the other idle at the end of
    every epoch: on gcide8 the two shards of an epoch ended up to 15 % apart.
    Many pieces dealt as threads free up end together. Each piece has its
    own random stream, so what a piece learns does not depend on the thread
    that trains it.

    Parameters
    ----------
    trainer : fastemb._core.Word2VecTrainer
    cursors : list of ShardCursor
        One a piece, in corpus order.
    """

    def __init__(self, trainer, cursors):
        self.trainer = trainer
        self.cursors = cursors
        self._lock = threading.Lock()
        self._taken = set()  # pieces a thread is training now

    @classmethod
    def start(cls, trainer, pieces, seed, epoch_id):
        """The epoch ``epoch_id`` from the start of every piece.

        Parameters
        ----------
        pieces : list of (start, end, sentence)
            See :func:`fastemb.training.threads.split_pieces`.
        seed : int
        epoch_id : int
            Fixes, with the seed and the piece, each piece's random stream.
        """
        return cls(trainer, [trainer.cursor(p, start, end, sentence, seed, epoch_id)
                             for p, (start, end, sentence) in enumerate(pieces)])

    def _next_piece(self):
        """The first piece neither finished nor being trained, claimed; None
        when there is none."""
        with self._lock:
            for index, cursor in enumerate(self.cursors):
                if not cursor.finished and index not in self._taken:
                    self._taken.add(index)
                    return index
        return None

    def run(self, thread_id):
        """Train pieces on thread ``thread_id`` until none is left or a pause
        stops the current one (which stays where it paused)."""
        while True:
            index = self._next_piece()
            if index is None:
                return
            cursor = self.cursors[index]
            try:
                self.trainer.run(cursor, thread_id)
            finally:
                with self._lock:
                    self._taken.discard(index)
            if not cursor.finished:
                return

    @property
    def finished(self):
        """True once every piece is trained."""
        return all(cursor.finished for cursor in self.cursors)

    def results(self):
        """(loss, raw words, trained words, predictions) of each piece."""
        return [cursor.result for cursor in self.cursors]

    def state(self):
        """``(values, arrays)``: the cursors as JSON values and their
        buffered words as arrays named ``buffer<piece>``."""
        values, arrays = [], {}
        for cursor in self.cursors:
            state = cursor.state()
            arrays[f"buffer{cursor.piece}"] = state.pop("buffer")
            values.append(state)
        return values, arrays

    @classmethod
    def restore(cls, trainer, values, arrays):
        """Rebuild an epoch from :meth:`state`'s output.

        Raises
        ------
        ValueError
            The saved cursors do not fit ``trainer`` (another corpus or
            window).
        """
        cursors = []
        for index, state in enumerate(values):
            piece = state.get("piece", state.get("thread_id"))
            if piece != index:
                raise ValueError("the saved cursors are not one a piece in order")
            cursors.append(trainer.restore_cursor({**state, "buffer": arrays[f"buffer{piece}"]}))
        return cls(trainer, cursors)


class GloveEpoch:
    """An epoch of GloVe: each thread reshuffles its range of the entry order
    and trains those entries once.

    A thread's part is ``{"start", "end", "pos", "cost", "shuffled"}``: its
    range, the next entry, the cost so far and whether this epoch's shuffle
    is done.

    Parameters
    ----------
    trainer : fastemb._glove.GloveTrainer
    runner : fastemb.training.threads.ShardRunner
        Its counters and stop flags are the kernel's.
    seed, epoch_id : int
        Fix the shuffles.
    parts : list of dict
        One a thread.
    """

    def __init__(self, trainer, runner, seed, epoch_id, parts):
        self.trainer = trainer
        self.runner = runner
        self.seed = seed
        self.epoch_id = epoch_id
        self.parts = parts

    @staticmethod
    def bounds(n_entries, n_threads):
        """Each thread's contiguous range of the entry order."""
        return [n_entries * k // n_threads for k in range(n_threads + 1)]

    @classmethod
    def start(cls, trainer, runner, n_entries, seed, epoch_id):
        """The epoch ``epoch_id`` from the start of every range."""
        bounds = cls.bounds(n_entries, runner.n_threads)
        parts = [{"start": lo, "end": hi, "pos": lo, "cost": 0.0, "shuffled": False}
                 for lo, hi in zip(bounds[:-1], bounds[1:])]
        return cls(trainer, runner, seed, epoch_id, parts)

    def run(self, thread_id):
        """Advance thread ``thread_id``'s range until it ends or a pause."""
        part = self.parts[thread_id]
        if not part["shuffled"]:
            self.trainer.shuffle_range(part["start"], part["end"], self.seed, thread_id,
                                       self.epoch_id)
            part["shuffled"] = True
        part["cost"], part["pos"] = self.trainer.train_range(
            part["start"], part["pos"], part["end"], part["cost"], self.runner.counters,
            thread_id * SLOT_STRIDE, self.runner.stop_flag, int(self.runner.pause_at[0]))

    @property
    def finished(self):
        """True once every range is trained."""
        return all(part["pos"] >= part["end"] for part in self.parts)

    def results(self):
        """(summed cost, entries trained) of each range."""
        return [(part["cost"], part["pos"] - part["start"]) for part in self.parts]

    def state(self):
        """``(values, arrays)`` for a checkpoint; the entry order itself is
        not saved but replayed (see :meth:`replay_order`)."""
        return {"epoch_id": self.epoch_id, "parts": [dict(p) for p in self.parts]}, {}

    @classmethod
    def restore(cls, trainer, runner, seed, values):
        """Rebuild an epoch from :meth:`state`'s output (after
        :meth:`replay_order` has brought the entry order to where it was).

        Raises
        ------
        ValueError
            The saved ranges do not fit this matrix or number of threads.
        """
        # the replay redid this epoch's shuffles: no part shuffles again
        parts = [dict(p, shuffled=True) for p in values["parts"]]
        if len(parts) != runner.n_threads:
            raise ValueError(f"the checkpoint was written by {len(parts)} threads; resume with "
                             f"workers={len(parts)}")
        n_entries = trainer.n_entries
        for part in parts:
            if not 0 <= part["start"] <= part["pos"] <= part["end"] <= n_entries or \
                    not 0.0 <= part["cost"] < float("inf"):
                raise ValueError("a saved range does not fit this co-occurrence matrix")
        return cls(trainer, runner, seed, values["epoch_id"], parts)

    @classmethod
    def replay_order(cls, trainer, n_threads, seed, first_epoch_id, last_epoch_id):
        """Redo the shuffles of epochs ``first_epoch_id..last_epoch_id`` on
        the trainer's entry order, which must be the order the ``train()``
        call started from: a checkpoint then needs no copy of it."""
        bounds = cls.bounds(trainer.n_entries, n_threads)
        for epoch_id in range(first_epoch_id, last_epoch_id + 1):
            for thread_id in range(n_threads):
                trainer.shuffle_range(bounds[thread_id], bounds[thread_id + 1], seed,
                                      thread_id, epoch_id)


def glove_entry_order(n, seed):
    """The entry order a GloVe ``train()`` call starts from."""
    return np.random.default_rng(seed).permutation(n).astype(np.int64, copy=False)


class SupervisedEpochs:
    """The epochs of one supervised (fastText classifier) training.

    Parameters
    ----------
    trainer : fastemb._supervised.SupervisedTrainer
        Over the encoded documents; its progress counters and stop flags
        are ``runner``'s.
    runner : ShardRunner
    call : dict
        ``epochs`` and the running totals ``loss``, ``examples``,
        ``seconds``, which each epoch adds to.
    line_tokens : ndarray of int32
        Tokens of each document, to give the threads equal shares.
    seed : int
    deterministic : bool
        Train :data:`~fastemb.training.deterministic.PIECES` fixed pieces in
        rounds (:class:`~fastemb.training.deterministic.DeterministicEpoch`)
        instead of one range a thread.
    """

    unit = "tokens"

    def __init__(self, trainer, runner, call, line_tokens, seed, deterministic=False):
        self.trainer = trainer
        self.runner = runner
        self.call = call
        self.seed = seed
        self.line_tokens = line_tokens
        self.units_per_epoch = int(line_tokens.sum())
        self.deterministic = deterministic
        self.bounds = document_bounds(line_tokens, PIECES if deterministic else runner.n_threads)

    def start(self, epoch_id, epoch=1):
        """The epoch ``epoch_id`` (the call's ``epoch``, 1-based) from the
        start of every range."""
        if self.deterministic:
            return DeterministicEpoch.of_documents(
                self.trainer, self.bounds, self.line_tokens, self.seed, epoch_id, epoch,
                self.call["epochs"], self.runner.n_threads, pause_check(self.runner))
        return SupervisedEpoch(self.trainer, self.bounds, self.seed, epoch_id)

    def finish(self, job, seconds, epoch):
        """Add a trained epoch to the call's totals.

        Returns
        -------
        (float, dict)
            The mean loss an example and the epoch's record.
        """
        results = job.results()
        loss = sum(result[0] for result in results)
        examples = sum(result[1] for result in results)
        self.call["loss"] += loss
        self.call["examples"] += examples
        self.call["seconds"] += seconds
        mean = loss / max(examples, 1)
        supervised_logger.info("epoch %d: loss %.4f an example, %d examples, %.2f s", epoch,
                               mean, examples, seconds)
        return mean, {"loss": mean, "examples": examples, "seconds": seconds}


class SupervisedEpoch:
    """One epoch of supervised training: each thread trains its range of
    documents in order (the part ``{"start", "pos", "end", "loss",
    "examples", "rng"}``), pausing where it stands when asked."""

    def __init__(self, trainer, bounds, seed, epoch_id):
        self.trainer = trainer
        self.seed = seed
        self.epoch_id = epoch_id
        self.parts = [{"start": lo, "pos": lo, "end": hi, "loss": 0.0, "examples": 0, "rng": 0}
                      for lo, hi in zip(bounds[:-1], bounds[1:])]

    def run(self, thread_id):
        """Advance thread ``thread_id``'s range until it ends or a pause."""
        part = self.parts[thread_id]
        if part["pos"] >= part["end"]:
            return
        stopped, loss, examples, rng = self.trainer.train_range(
            part["pos"], part["end"], thread_id, self.seed, self.epoch_id, part["rng"])
        part["pos"] = stopped
        part["loss"] += loss
        part["examples"] += examples
        part["rng"] = rng

    @property
    def finished(self):
        """True once every range is trained."""
        return all(part["pos"] >= part["end"] for part in self.parts)

    def results(self):
        """(loss, examples) of each range."""
        return [(part["loss"], part["examples"]) for part in self.parts]


def document_bounds(line_tokens, n_parts):
    """Cut documents into ``n_parts`` contiguous ranges of nearly equal
    token counts; ``bounds[k]..bounds[k + 1]`` is part ``k``."""
    cumulative = np.cumsum(line_tokens, dtype=np.int64)
    total = int(cumulative[-1]) if len(cumulative) else 0
    cuts = [int(np.searchsorted(cumulative, total * k // n_parts, side="right"))
            for k in range(1, n_parts)]
    return [0] + cuts + [len(line_tokens)]
