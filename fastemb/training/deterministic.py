"""Deterministic training of the Word2Vec family: the same bits from the
same inputs, whatever the number of threads.

Hogwild training (the default) lets the threads read and write the shared
weights as they go, so the result depends on how the threads happened to
interleave. Here the epoch is cut into a fixed number of pieces,
:data:`PIECES`, which never depends on ``workers``, and trained in rounds:

1. every piece trains its next stretch of the corpus (:data:`ROUND_TOKENS`
   tokens) against the weights as they were when the round began, through
   its own copies of the rows it touches (any thread may train any piece;
   each has its own random stream and its own learning-rate schedule);
2. the threads then add the pieces' changes to the shared weights, each
   thread a disjoint set of rows, every row summing its changes in piece
   order (:meth:`fastemb._core.Word2VecTrainer.merge`).

Every float operation is then the same in every run, with one thread or
sixty-four. Pauses (checkpoints, Ctrl-C) wait for the end of a round, where
the weights hold everything learned and the pieces' positions are the whole
state, so a run resumed with another number of threads continues the same
bits.

Why two pieces, summed, and rounds of 8,192 tokens (gcide8's first 2M words,
3 epochs, dimension 100; the design notes in the documentation have the
table): the most frequent words' rows take thousands of updates a round and
reach their local optimum within it in every piece, so adding the changes of
N pieces moves them N times too far. Two pieces oscillate about the optimum
and keep the default's quality; four and sixteen diverged. Taking the mean
of the changes instead stays stable but slows every row that several pieces
touch, and collapsed CBOW (WordSim-353 .03 with sixteen pieces). Longer
rounds copy fewer rows but let CBOW drift (.363 against .391 at 262,144
tokens).
"""
import threading

from fastemb.training.threads import split_shards

__all__ = ["PIECES", "ROUND_TOKENS", "CLASSIFIER_ROUND_TOKENS", "DeterministicEpoch",
           "pause_check"]

#: Pieces an epoch is cut into: at most this many threads work at once.
PIECES = 2
#: Tokens each piece trains in a round (so a round is PIECES times this).
ROUND_TOKENS = 8192
#: The classifier's rounds are shorter: every document updates the whole
#: output layer and the rows of the frequent words, and with rounds of
#: 8,192 tokens their summed changes diverged on Rotten Tomatoes snippets
#: (two labels, lr 0.1 and 0.5); with 1,024 and 256 its precision was the
#: default's on it and on Debian's sections.
CLASSIFIER_ROUND_TOKENS = 1024


def pause_check(runner):
    """What a deterministic epoch asks between rounds of ``runner``'s
    threads: Ctrl-C, or a checkpoint due by time or by units."""
    def pause_requested():
        return bool(runner.stop_flag[0] or runner.stop_flag[1]) or \
            runner.done() >= runner.pause_at[0]
    return pause_requested


def rounds_for(longest, round_tokens=ROUND_TOKENS):
    """Rounds an epoch whose longest piece has ``longest`` tokens takes."""
    return max(1, -(-int(longest) // round_tokens))


class DeterministicEpoch:
    """One epoch trained deterministically, in rounds.

    Parameters
    ----------
    trainer : fastemb._core.Word2VecTrainer or fastemb._supervised.SupervisedTrainer
        The kernel: ``run(piece, thread_id, stop_at)``, ``merge(pieces,
        part, n_parts)`` and ``end_round(pieces)``.
    cursors : list
        One a piece, in corpus order (the Word2Vec kernel's ``ShardCursor``
        made with ``deterministic=1``, the classifier's ``SupervisedPiece``):
        ``bounds``, ``finished``, ``result``; ``state()`` for checkpoints.
    n_rounds : int
    round_index : int
        The next round to train (0 for a fresh epoch).
    n_threads : int
        How many threads call :meth:`run` at once.
    pause_requested : callable
        ``pause_requested()`` is asked after every round; True pauses the
        epoch there (the caller saves a checkpoint, or stops for Ctrl-C).
    """

    def __init__(self, trainer, cursors, n_rounds, round_index, n_threads, pause_requested):
        self.trainer = trainer
        self.cursors = cursors
        self.n_rounds = n_rounds
        self.round = round_index
        self.n_threads = n_threads
        self._pause_requested = pause_requested
        self._lock = threading.Lock()
        self._next = 0           # the next piece to hand out this round
        self._entered = 0        # threads that called run(), over every call
        self._paused = False
        self._barrier = threading.Barrier(n_threads, action=self._end_round)
        self._merge_barrier = threading.Barrier(n_threads)

    @classmethod
    def start(cls, trainer, sentence_ends, n_tokens, seed, epoch_id, epoch, epochs, n_threads,
              pause_requested):
        """A fresh epoch: ``epoch`` (1-based) of a call of ``epochs``, the
        model's epoch ``epoch_id`` (which, with the seed and the piece, fixes
        each piece's random stream)."""
        pieces = split_shards(sentence_ends, n_tokens, PIECES)
        span = 1.0 / epochs
        cursors = [trainer.cursor(p, start, end, sentence, seed, epoch_id,
                                  (epoch - 1) * span, span)
                   for p, (start, end, sentence) in enumerate(pieces)]
        n_rounds = rounds_for(max(end - start for start, end, _ in pieces))
        return cls(trainer, cursors, n_rounds, 0, n_threads, pause_requested)

    @classmethod
    def of_documents(cls, trainer, bounds, line_tokens, seed, epoch_id, epoch, epochs,
                     n_threads, pause_requested):
        """A fresh epoch of the classifier: ``bounds`` cut the documents into
        :data:`PIECES` pieces (``bounds[k]..bounds[k + 1]``); a round is an
        equal share of each piece's documents."""
        span = 1.0 / epochs
        cursors = [trainer.piece(p, first, end, seed, epoch_id, (epoch - 1) * span, span)
                   for p, (first, end) in enumerate(zip(bounds[:-1], bounds[1:]))]
        n_rounds = rounds_for(max(int(line_tokens[first:end].sum())
                                  for first, end in zip(bounds[:-1], bounds[1:])),
                              CLASSIFIER_ROUND_TOKENS)
        return cls(trainer, cursors, n_rounds, 0, n_threads, pause_requested)

    def _limit(self, cursor):
        """Where the cursor's piece ends this round: an equal share of it."""
        first, end = cursor.bounds
        return first + (end - first) * (self.round + 1) // self.n_rounds

    def _next_piece(self):
        with self._lock:
            index = self._next
            self._next += 1
        return index if index < len(self.cursors) else None

    def _end_round(self):
        """Run by one thread once every part is merged."""
        self.trainer.end_round(self.cursors)
        self.round += 1
        self._next = 0
        self._paused = self.round < self.n_rounds and self._pause_requested()

    def run(self, thread_id):
        """Train rounds on thread ``thread_id``, with the other threads, until
        the epoch ends or a pause is requested."""
        with self._lock:
            if self._entered % self.n_threads == 0:
                self._paused = False  # a new call continues after a pause
            self._entered += 1
        try:
            while self.round < self.n_rounds and not self._paused:
                while (index := self._next_piece()) is not None:
                    cursor = self.cursors[index]
                    self.trainer.run(cursor, thread_id, self._limit(cursor))
                self._merge_barrier.wait()
                self.trainer.merge(self.cursors, thread_id, self.n_threads)
                self._barrier.wait()
        except threading.BrokenBarrierError:
            return  # another thread failed; its error is the one reported
        except BaseException:
            self._barrier.abort()
            self._merge_barrier.abort()
            raise

    @property
    def finished(self):
        """True once every round is trained."""
        return self.round >= self.n_rounds

    def results(self):
        """(loss, raw words, trained words, predictions) of each piece."""
        return [cursor.result for cursor in self.cursors]

    def state(self):
        """``(values, arrays)``: the round and the cursors as JSON values,
        their buffered words as arrays named ``buffer<piece>``."""
        values, arrays = [], {}
        for cursor in self.cursors:
            state = cursor.state()
            arrays[f"buffer{cursor.piece}"] = state.pop("buffer")
            values.append(state)
        return {"round": self.round, "rounds": self.n_rounds, "pieces": values}, arrays

    @classmethod
    def restore(cls, trainer, values, arrays, n_threads, pause_requested):
        """Rebuild an epoch from :meth:`state`'s output, for any number of
        threads.

        Raises
        ------
        ValueError
            The saved state does not fit ``trainer``.
        """
        cursors = []
        for index, state in enumerate(values["pieces"]):
            if state.get("piece") != index:
                raise ValueError("the saved cursors are not one a piece in order")
            cursors.append(trainer.restore_cursor({**state, "buffer": arrays[f"buffer{index}"]}))
        if len(cursors) != PIECES:
            raise ValueError(f"a deterministic epoch has {PIECES} pieces, the checkpoint "
                             f"{len(cursors)}")
        n_rounds, round_index = int(values["rounds"]), int(values["round"])
        if not 0 <= round_index <= n_rounds:
            raise ValueError("the saved round is outside the epoch")
        return cls(trainer, cursors, n_rounds, round_index, n_threads, pause_requested)
