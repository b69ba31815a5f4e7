"""Checkpoints: everything a ``train()`` call needs to continue as if it had
never stopped, in one native file written atomically.

A checkpoint is a model file (``Word2Vec.load`` and friends read it as the
model at that moment) whose metadata also holds, under ``"checkpoint"``:

- ``call``: the ``train()`` call's settings and running totals (epochs,
  learning rates, words or entries so far);
- ``epoch``: the 1-based epoch of the call to continue, and ``job``: where
  each thread stands in it (its position, random generator, learning rate
  and tallies; None when the epoch has not begun);
- ``corpus``: the size and a hash of the encoded corpus, checked on resume;
- ``train_stats``, ``every`` (the schedule) and ``finished``.

Arrays named ``ckpt_*`` beside the model's hold the threads' progress
counters and any words a thread had buffered from a long sentence.
"""
import hashlib
import logging
import math
import os
import re
import time

import numpy as np

from fastemb._core import SLOT_STRIDE
from fastemb.errors import CorpusError, FormatError
from fastemb.io import native

__all__ = ["Checkpointer", "parse_every", "read_checkpoint", "open_for_resume",
           "restore_progress", "corpus_fingerprint", "check_fingerprint", "DEFAULT_EVERY"]

logger = logging.getLogger(__name__)

#: Format of the ``"checkpoint"`` metadata.
CHECKPOINT_VERSION = 1

#: Seconds between checkpoints when only a path is given.
DEFAULT_EVERY = 600.0

# "m" alone is neither minutes nor millions: too easy to mean the other one
_SECONDS = {"": 1.0, "s": 1.0, "sec": 1.0, "seconds": 1.0, "min": 60.0, "minutes": 60.0,
            "h": 3600.0, "hours": 3600.0}
_MULTIPLIERS = {"": 1, "k": 10 ** 3, "m": 10 ** 6, "g": 10 ** 9}
_EVERY_PATTERN = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*([a-z ]*?)\s*$", re.IGNORECASE)
_UNITS_PATTERN = re.compile(r"^([kmg]?)\s*(words?|w|entries|entry)$")


def parse_every(every):
    """Read a checkpoint interval.

    Parameters
    ----------
    every : float, int or str
        A number is seconds. A string is a number with a unit: ``"90s"``,
        ``"10min"``, ``"1h"`` for time, or ``"500000 words"``, ``"2M words"``
        (``k``, ``M``, ``G`` multiply) for the kernel's units: raw words, or
        matrix entries for GloVe (``"entries"`` is accepted too).

    Returns
    -------
    (str, float)
        ``("seconds", amount)`` or ``("units", amount)``.

    Raises
    ------
    ValueError
        Not a positive interval of a known unit.
    """
    if isinstance(every, (int, float, np.integer, np.floating)) and not isinstance(every, bool):
        kind, amount = "seconds", float(every)
    elif isinstance(every, str) and _EVERY_PATTERN.match(every):
        number, suffix = _EVERY_PATTERN.match(every).groups()
        units = _UNITS_PATTERN.match(suffix.lower())
        if suffix.lower() in _SECONDS:
            kind, amount = "seconds", float(number) * _SECONDS[suffix.lower()]
        elif units:
            kind, amount = "units", float(number) * _MULTIPLIERS[units.group(1)]
        else:
            raise ValueError(f"checkpoint_every={every!r}: unknown unit; use seconds (90, "
                             "'90s', '10min', '1h') or words ('500000 words', '2M words')")
    else:
        raise ValueError(f"checkpoint_every must be seconds or a string such as '10min' or "
                         f"'2M words', got {every!r}")
    if not (amount > 0 and math.isfinite(amount)):
        raise ValueError(f"checkpoint_every must be positive, got {every!r}")
    return kind, amount


def corpus_fingerprint(**arrays):
    """Sizes and a BLAKE2b hash of what a run trains on: the encoded corpus
    (token ids, sentence ends, and for Doc2Vec the documents' tags) or
    GloVe's co-occurrence matrix. A resumed run must be given the same.

    Parameters
    ----------
    **arrays : ndarray
        Named arrays; the names appear in error messages.
    """
    digest = hashlib.blake2b(digest_size=16)
    for name, array in arrays.items():
        array = np.ascontiguousarray(array)
        digest.update(f"{name}{array.dtype.str}{array.shape}".encode())
        digest.update(array.data)
    return {"sizes": {name: int(np.size(a)) for name, a in arrays.items()},
            "blake2b": digest.hexdigest()}


def check_fingerprint(saved, given, path):
    """Refuse a corpus other than the checkpoint's.

    Raises
    ------
    CorpusError
        Sizes or hash differ; the message gives both sizes.
    """
    if saved != given:
        def sizes(fingerprint):
            return ", ".join(f"{n} {name}" for name, n in fingerprint.get("sizes", {}).items())
        differs = "the content differs" if saved.get("sizes") == given.get("sizes") else \
            f"it has {sizes(given)} where the checkpoint's had {sizes(saved)}"
        raise CorpusError(f"the corpus given to resume {path} is not the one it was trained "
                          f"on: {differs}; give the same corpus, read the same way")


class Checkpointer:
    """Decides when a checkpoint is due and writes it.

    Parameters
    ----------
    path : str or os.PathLike
        The checkpoint file; each save replaces it atomically.
    every : float or str, optional
        See :func:`parse_every`; default :data:`DEFAULT_EVERY` seconds.
    model : object
        Has ``_checkpoint_payload() -> (arrays, meta)`` (its native file's
        content, brought up to date) and ``train_stats``.
    call : dict
        The ``train()`` call's settings and running totals (kept by
        reference: it is saved as it stands at each checkpoint).
    corpus : dict
        :func:`corpus_fingerprint` of the corpus being trained.
    runner : fastemb.training.threads.ShardRunner
        Whose threads train; its counters already hold what was done before
        (on resume). An interval in words or entries is set as its
        ``pause_at``, so the kernels pause at exactly that count.
    """

    def __init__(self, path, every, model, call, corpus, runner):
        self.path = os.fspath(path)
        self.every = DEFAULT_EVERY if every is None else every
        self.kind, self.amount = parse_every(self.every)
        self.model = model
        self.call = call
        self.corpus = corpus
        self.runner = runner
        self._restart_interval()
        folder = os.path.dirname(os.path.abspath(self.path))
        if not os.path.isdir(folder):
            raise FileNotFoundError(f"cannot write checkpoints to {self.path}: the directory "
                                    f"{folder} does not exist")

    def _restart_interval(self):
        self._last_time = time.monotonic()
        self._last_units = self.runner.done()
        if self.kind == "units":
            self.runner.pause_at[0] = self._last_units + int(self.amount)

    def time_due(self, units_done=None):
        """True when a checkpoint by time is due (the threads are then asked
        to pause; checkpoints by words make the kernels pause by themselves)."""
        return self.kind == "seconds" and time.monotonic() - self._last_time >= self.amount

    def due(self, units_done):
        """True when the interval has passed since the last checkpoint."""
        return self.time_due() or (self.kind == "units" and
                                   units_done - self._last_units >= self.amount)

    def save(self, epoch, job, finished=False):
        """Write the checkpoint (with the runner's progress counters).

        Parameters
        ----------
        epoch : int
            1-based epoch of the call to continue from.
        job : object or None
            The paused epoch (``job.state() -> (values, arrays)``), or None
            at an epoch boundary.
        finished : bool
            The call has trained all its epochs.
        """
        started = time.perf_counter()
        arrays, meta = self.model._checkpoint_payload()
        job_values, job_arrays = job.state() if job is not None else (None, {})
        arrays["ckpt_progress"] = self.runner.counters.copy()
        arrays.update({f"ckpt_{name}": array for name, array in job_arrays.items()})
        meta["checkpoint"] = {
            "version": CHECKPOINT_VERSION, "call": self.call, "epoch": epoch, "job": job_values,
            "corpus": self.corpus, "train_stats": list(self.model.train_stats),
            "every": self.every, "finished": bool(finished),
            "workers": self.runner.n_threads,
        }
        native.save_arrays(self.path, arrays, meta)
        self._restart_interval()
        logger.info("checkpoint %s: epoch %d of %d%s, %.2f s to write", self.path,
                    min(epoch, self.call["epochs"]), self.call["epochs"],
                    " (finished)" if finished else "", time.perf_counter() - started)


def read_checkpoint(path, kind):
    """Read a checkpoint written for a model class.

    Parameters
    ----------
    path : str or os.PathLike
    kind : str
        The model class's name (``"Word2Vec"``, ``"GloVe"``...).

    Returns
    -------
    arrays : dict of str to ndarray
        The model's arrays; the checkpoint's own are moved to ``state``.
    meta : dict
        The model's metadata.
    state : dict
        The ``"checkpoint"`` metadata, plus ``"arrays"``: the ``ckpt_*``
        arrays without their prefix.

    Raises
    ------
    FormatError
        Not a checkpoint (a plain model file, another format), another
        model class, truncated or corrupt.
    """
    arrays, meta = native.load_model_arrays(path, kind)
    state = meta.pop("checkpoint", None)
    if not isinstance(state, dict):
        raise FormatError(f"{path} is a saved {kind} model, not a checkpoint: load it with "
                          f"{kind}.load() and call train() to continue")
    if state.get("version") != CHECKPOINT_VERSION:
        raise FormatError(f"{path} is a checkpoint of version {state.get('version')!r}; this "
                          f"fastemb reads version {CHECKPOINT_VERSION}")
    required = ("call", "epoch", "job", "corpus", "train_stats", "every", "finished", "workers")
    missing = [key for key in required if key not in state]
    if missing or "progress" not in {name[5:] for name in arrays if name.startswith("ckpt_")}:
        raise FormatError(f"{path} is a damaged checkpoint (missing {missing or 'progress'})")
    state["arrays"] = {name[5:]: arrays.pop(name) for name in list(arrays)
                       if name.startswith("ckpt_")}
    _check_state(state, path)
    return arrays, meta, state


def _check_state(state, path):
    """Refuse checkpoint metadata whose values could not come from a run (a
    damaged file whose checksums still pass only the arrays, not the JSON).

    Raises
    ------
    FormatError
    """
    call = state["call"]

    def whole(value, low):
        return isinstance(value, int) and not isinstance(value, bool) and value >= low

    problems = []
    if not isinstance(call, dict) or not whole(call.get("epochs"), 1) or not all(
            isinstance(v, (int, float, list)) and not isinstance(v, bool)
            for v in call.values()):
        problems.append("the call's settings")
    elif not whole(state["epoch"], 1) or state["epoch"] > call["epochs"] + 1:
        problems.append("the epoch to continue")
    if not whole(state["workers"], 1):
        problems.append("the number of threads")
    if not (state["job"] is None or isinstance(state["job"], (list, dict))):
        problems.append("the threads' positions")
    if not isinstance(state["corpus"], dict) or not isinstance(state["train_stats"], list):
        problems.append("the corpus fingerprint or statistics")
    if problems:
        raise FormatError(f"{path} is a damaged checkpoint: {', '.join(problems)} cannot be "
                          "right")


def open_for_resume(model_class, path, call_keys):
    """Read a checkpoint and rebuild the model it holds.

    Parameters
    ----------
    model_class : type
        Has ``_from_native(arrays, meta, path)``.
    path : str or os.PathLike
    call_keys : sequence of str
        What the model's ``train()`` call records; all must be saved.

    Returns
    -------
    model : object
    state : dict or None
        The checkpoint's state (see :func:`read_checkpoint`); None when the
        run had finished, so there is nothing left to train.

    Raises
    ------
    FormatError
    """
    arrays, meta, state = read_checkpoint(path, model_class.__name__)
    missing = [key for key in call_keys if key not in state["call"]]
    if missing:
        raise FormatError(f"{path} is a damaged checkpoint (missing from the train() call: "
                          f"{', '.join(missing)})")
    model = model_class._from_native(arrays, meta, path)
    model.train_stats = list(state["train_stats"])
    if state["finished"]:
        logger.info("%s holds a finished training run: nothing to resume", path)
        return model, None
    logger.info("resuming %s at epoch %d of %d", path, state["epoch"], state["call"]["epochs"])
    return model, state


def restore_progress(state, runner, any_threads=False):
    """Put a checkpoint's progress counters back into ``runner`` (the
    learning rate decays with them).

    Parameters
    ----------
    any_threads : bool
        The paused epoch does not depend on the threads (its pieces are
        dealt to any thread): with another number of threads, the first
        thread's counter takes the saved total, which is all the learning
        rate reads.

    Raises
    ------
    FormatError
        The checkpoint was written by another number of threads, and the
        epoch cannot be dealt to another number.
    """
    progress = state["arrays"]["progress"]
    if progress.shape == runner.counters.shape and state["workers"] == runner.n_threads:
        runner.counters[:] = progress
        return
    if not any_threads or progress.ndim != 1 or len(progress) % SLOT_STRIDE:
        raise FormatError(f"the checkpoint was written by {state['workers']} threads and "
                          f"must be resumed with as many (workers={state['workers']})")
    runner.counters[:] = 0
    runner.counters[0] = int(progress[::SLOT_STRIDE].sum())

