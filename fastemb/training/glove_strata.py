"""Deterministic GloVe: the co-occurrence matrix trained in strata, the same
bits from the same inputs whatever the number of threads.

Every word belongs to one of :data:`STRATA` strata (word ``w`` to
``w % STRATA``), which cuts the matrix into ``STRATA ** 2`` blocks by the
strata of an entry's row and column. An epoch is ``STRATA`` sub-epochs: the
sub-epoch with shift ``k`` trains the blocks ``(a, (a + k) % STRATA)``, one
for every row stratum ``a``. No two of them share a row of the word or
context vectors, of their biases or of their AdaGrad sums, so the threads
train them at the same time, each block from start to end by one thread in
its own shuffled order, and nothing a block computes depends on which
thread trains it or when the others finish. The shifts are a permutation
drawn for every epoch, so each block is trained once an epoch. This is
stratified SGD for matrix factorisation (Gemulla et al., KDD 2011).

Unlike the Word2Vec family's deterministic rounds nothing is copied or
merged: the only cost is the wait at the end of each sub-epoch for the
thread still finishing its last block, kept small by having many more
blocks in a sub-epoch than threads. And a block's rows stay in the cores'
caches while it trains, where the default's order, random over the whole
matrix, misses them on nearly every entry: on gcide8 an epoch took 3.4 s
against the default's 4.6 s.
"""
import threading

import numpy as np

from fastemb.training.threads import SLOT_STRIDE

__all__ = ["STRATA", "BlockedGloveEpoch", "replay_block_shuffles"]

#: Strata of the words: a sub-epoch has this many blocks, so at most this
#: many threads train at once. On gcide8 (2 threads) 64 was the fastest of
#: 16 to 256: a block's rows then fit in a core's L2 cache, and smaller
#: blocks cost more in handing out and waiting than the cache saves.
STRATA = 64


def epoch_shifts(seed, epoch_id):
    """The order of an epoch's sub-epochs: a permutation of the shifts."""
    sequence = np.random.SeedSequence([int(seed) % 2 ** 64, int(epoch_id)])
    return [int(k) for k in np.random.default_rng(sequence).permutation(STRATA)]


def replay_block_shuffles(trainer, starts, seed, first_epoch_id, last_epoch_id):
    """Redo every block's shuffles of epochs ``first_epoch_id..last_epoch_id``
    on the trainer's entry order, which must be the grouped order the
    ``train()`` call started from: a checkpoint then needs no copy of it."""
    for epoch_id in range(first_epoch_id, last_epoch_id + 1):
        for block in range(len(starts) - 1):
            trainer.shuffle_range(int(starts[block]), int(starts[block + 1]), seed, block,
                                  epoch_id)


class BlockedGloveEpoch:
    """One GloVe epoch trained in strata by any number of threads.

    Parameters
    ----------
    trainer : fastemb._glove.GloveTrainer
        Over the entry order :func:`fastemb._glove.group_by_block` gives.
    runner : fastemb.training.threads.ShardRunner
        Its counters and stop flags are the kernel's.
    starts : ndarray of int64
        Block ``b`` is ``order[starts[b]:starts[b + 1]]``.
    seed, epoch_id : int
        Fix the shifts and every block's shuffle.
    shifts : list of int
        The sub-epochs' order (:func:`epoch_shifts`).
    sub : int
        The sub-epoch to train next (0 for a fresh epoch).
    positions, costs : list
        Each block's next entry (an index into the order) and summed cost.
    shuffled : bool
        Whether the blocks' shuffles of this epoch are done (after a
        checkpoint's replay they all are).
    pause_requested : callable
        Asked before a thread takes a block; True pauses the epoch.
    """

    def __init__(self, trainer, runner, starts, seed, epoch_id, shifts, sub, positions, costs,
                 shuffled, pause_requested):
        self.trainer = trainer
        self.runner = runner
        self.starts = starts
        self.seed = seed
        self.epoch_id = epoch_id
        self.shifts = shifts
        self.sub = sub
        self.positions = positions
        self.costs = costs
        self._shuffled = [shuffled] * (STRATA * STRATA)
        self._pause_requested = pause_requested
        self._lock = threading.Lock()
        self._next = 0         # the next row stratum to hand out this sub-epoch
        self._entered = 0      # threads that called run(), over every call
        self._paused = False
        self._barrier = threading.Barrier(runner.n_threads, action=self._end_sub_epoch)

    @classmethod
    def start(cls, trainer, runner, starts, seed, epoch_id, pause_requested):
        """The epoch ``epoch_id`` from the start of every block."""
        return cls(trainer, runner, starts, seed, epoch_id, epoch_shifts(seed, epoch_id), 0,
                   [int(s) for s in starts[:-1]], [0.0] * (STRATA * STRATA), False,
                   pause_requested)

    def _block(self, row_stratum):
        return row_stratum * STRATA + (row_stratum + self.shifts[self.sub]) % STRATA

    def _block_done(self, block):
        return self.positions[block] >= self.starts[block + 1]

    def _next_block(self):
        """A block of this sub-epoch that is neither finished nor taken,
        claimed; None when there is none or a pause is requested."""
        with self._lock:
            while self._next < STRATA:
                block = self._block(self._next)
                self._next += 1
                if not self._block_done(block):
                    return None if self._pause_requested() else block
        return None

    def _end_sub_epoch(self):
        """Run by one thread once every thread has stopped taking blocks."""
        if all(self._block_done(self._block(a)) for a in range(STRATA)):
            self.sub += 1
        self._next = 0
        self._paused = self.sub < STRATA and self._pause_requested()

    def _train(self, block, thread_id):
        start, end = int(self.starts[block]), int(self.starts[block + 1])
        if not self._shuffled[block]:
            self.trainer.shuffle_range(start, end, self.seed, block, self.epoch_id)
            self._shuffled[block] = True
        runner = self.runner
        self.costs[block], self.positions[block] = self.trainer.train_range(
            start, self.positions[block], end, self.costs[block], runner.counters,
            thread_id * SLOT_STRIDE, runner.stop_flag, int(runner.pause_at[0]))

    def run(self, thread_id):
        """Train sub-epochs on thread ``thread_id``, with the other threads,
        until the epoch ends or a pause is requested."""
        with self._lock:
            if self._entered % self.runner.n_threads == 0:
                self._paused = False  # a new call continues after a pause
            self._entered += 1
        try:
            while self.sub < STRATA and not self._paused:
                while (block := self._next_block()) is not None:
                    self._train(block, thread_id)
                self._barrier.wait()
        except threading.BrokenBarrierError:
            return  # another thread failed; its error is the one reported
        except BaseException:
            self._barrier.abort()
            raise

    @property
    def finished(self):
        """True once every sub-epoch is trained."""
        return self.sub >= STRATA

    def results(self):
        """(summed cost, entries trained) of each block, in block order."""
        return [(self.costs[b], self.positions[b] - int(self.starts[b]))
                for b in range(STRATA * STRATA)]

    def state(self):
        """``(values, arrays)`` for a checkpoint; the entry order is replayed
        (:func:`replay_block_shuffles`), not saved."""
        return {"epoch_id": self.epoch_id, "sub": self.sub, "shifts": list(self.shifts),
                "positions": list(self.positions), "costs": list(self.costs)}, {}

    @classmethod
    def restore(cls, trainer, runner, starts, seed, values, pause_requested):
        """Rebuild an epoch from :meth:`state`'s output, for any number of
        threads, after :func:`replay_block_shuffles` has brought the entry
        order to where it was.

        Raises
        ------
        ValueError
            The saved state does not fit this matrix.
        """
        n_blocks = STRATA * STRATA
        shifts = [int(k) for k in values["shifts"]]
        positions = [int(p) for p in values["positions"]]
        costs = [float(c) for c in values["costs"]]
        sub = int(values["sub"])
        if sorted(shifts) != list(range(STRATA)) or len(positions) != n_blocks or \
                len(costs) != n_blocks or not 0 <= sub <= STRATA:
            raise ValueError(f"a deterministic GloVe epoch has {STRATA} sub-epochs of "
                             f"{STRATA} blocks")
        for block in range(n_blocks):
            if not starts[block] <= positions[block] <= starts[block + 1] or \
                    not 0.0 <= costs[block] < float("inf"):
                raise ValueError("a saved block position does not fit this co-occurrence matrix")
        return cls(trainer, runner, starts, seed, int(values["epoch_id"]), shifts, sub,
                   positions, costs, True, pause_requested)
