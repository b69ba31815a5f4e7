"""One epoch's work for each training kernel, as :func:`fastemb.training.threads.run_epochs`
drives it: every thread advances its own part until the part ends or the
threads are asked to pause, and the whole can be written into a checkpoint
and rebuilt from it, so a paused or killed epoch continues exactly.
"""
import threading

import numpy as np

from fastemb.training.threads import SLOT_STRIDE

__all__ = ["Word2VecEpoch", "GloveEpoch", "glove_entry_order"]


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
