"""The epoch loop every model trains with: it owns a ``train()`` call from
the encoded corpus on. The model hands over a plan of its epochs (the
kernel's trainer over the encoded corpus, see :mod:`fastemb.training.epochs`)
and gets back one record an epoch; the loop runs the threads, calls the
callbacks, writes checkpoints, stops a diverging run and turns Ctrl-C into
a clean stop.
"""
import contextlib
import logging
import math
import signal
import threading
import time

from fastemb.errors import TrainingDivergedError
from fastemb.training.checkpoint import Checkpointer

__all__ = ["run_epochs", "DivergenceWatch"]

logger = logging.getLogger(__name__)


def run_epochs(model, plan, callbacks=(), progress=None, checkpoint=None, checkpoint_every=None,
               fingerprint=None, resume=None, weights=None):
    """Train the epochs of ``plan`` (one ``train()`` call, or what is left of
    it) on its threads.

    Calls the callbacks' hooks, logs progress, counts ``model.epochs_trained``,
    hands every epoch's record to ``model._epoch_trained(loss, stats)``,
    writes checkpoints when they are due and stops after the epoch in which
    Ctrl-C came, setting ``model.interrupted``.

    Parameters
    ----------
    model : EmbeddingModel
        Has ``epochs_trained``, ``interrupted`` and ``_epoch_trained``; passed
        to the callbacks and saved by checkpoints.
    plan : Word2VecEpochs or GloveEpochs
        ``plan.runner`` (the threads), ``plan.call`` (the call's settings and
        running totals, which a checkpoint saves), ``plan.units_per_epoch``
        and ``plan.unit`` (what the progress counters count),
        ``plan.start(epoch_id, epoch) -> job``, ``plan.finish(job, seconds, epoch)
        -> (loss, stats)`` and ``plan.restore(state) -> (epoch, job)``. A
        ``job`` is one epoch's work: ``job.run(thread_id)`` advances a thread
        until its part ends or a pause is requested, ``job.finished`` says
        whether every part ended and ``job.state()`` is what a checkpoint
        keeps of it. ``epoch_id`` counts every epoch the model ever trained,
        so each gets its own random streams.
    callbacks : sequence of CallbackAny2Vec
    progress : callable, optional
        ``progress(done, total)`` in the plan's units.
    checkpoint : str or os.PathLike, optional
        Where to save checkpoints (see
        :class:`fastemb.training.checkpoint.Checkpointer`): when the threads
        paused for one, after an interruption, at the end of an epoch when
        due, and once more when training ends.
    checkpoint_every : float or str, optional
    fingerprint : dict, optional
        What identifies the encoded corpus in a checkpoint
        (:func:`fastemb.training.checkpoint.corpus_fingerprint`).
    resume : dict, optional
        A checkpoint's state to continue from.
    weights : callable, optional
        ``weights()`` gives the matrices training writes; a weight that
        grows far past where it started stops training (see
        :class:`DivergenceWatch`).

    Raises
    ------
    TrainingDivergedError
        An epoch's loss is not finite or grew past twice the lowest so far,
        or a weight exploded.
    """
    runner = plan.runner
    epochs = plan.call["epochs"]
    units_per_epoch, unit = plan.units_per_epoch, plan.unit
    # the counters come back from the checkpoint before the checkpointer
    # starts counting its interval from them
    resume = plan.restore(resume) if resume is not None else None
    if checkpoint is not None:
        checkpoint = Checkpointer(checkpoint, checkpoint_every, model, plan.call, fingerprint,
                                  runner)
    total = units_per_epoch * epochs
    watch = DivergenceWatch(model, weights)
    model.interrupted = False
    first_epoch, job = resume if resume is not None else (1, None)
    pause_when = checkpoint.time_due if checkpoint is not None else None
    interrupted = False
    for callback in callbacks:
        callback.on_train_begin(model)
    with _ctrl_c_stops(runner):
        for epoch in range(first_epoch, epochs + 1):
            if runner.stop_flag[0]:  # Ctrl-C came between two epochs
                interrupted = True
                if checkpoint is not None:
                    checkpoint.save(epoch, job)
                break
            for callback in callbacks:
                callback.on_epoch_begin(model)
            if job is None:
                job = plan.start(model.epochs_trained, epoch)
            started = time.perf_counter()
            done_before = runner.done()

            def report(done):
                elapsed = max(time.perf_counter() - started, 1e-9)
                logger.info("epoch %d: %.1f%% of %s, %.0f %s/s", epoch,
                            100.0 * (done - done_before) / max(units_per_epoch, 1), unit,
                            (done - done_before) / elapsed, unit)
                if progress is not None:
                    progress(done, total)

            while True:  # rounds of the epoch, between pauses
                _, interrupted = runner.run(job.run, report, pause_when)
                runner.stop_flag[1] = 0
                if job.finished:
                    break
                if checkpoint is not None:  # the threads paused for it, or for Ctrl-C
                    checkpoint.save(epoch, job)
                if interrupted:
                    break
            completed = job.finished
            model.epochs_trained += 1
            loss, stats = plan.finish(job, time.perf_counter() - started, epoch)
            model._epoch_trained(loss, {"epoch": model.epochs_trained, **stats})
            job = None
            watch.check(loss, epoch, stats.get("predictions"))
            if progress is not None:
                progress(runner.done(), total)
            for callback in callbacks:
                callback.on_epoch_end(model)
            if interrupted and completed and epoch == epochs:
                interrupted = False  # Ctrl-C came as the last epoch ended: nothing was cut
            if checkpoint is not None and completed and (
                    interrupted or epoch == epochs or checkpoint.due(runner.done())):
                # Ctrl-C may come just as an epoch ends: its checkpoint is this one
                checkpoint.save(epoch + 1, None, finished=epoch == epochs)
            if interrupted:
                break
    if interrupted:
        model.interrupted = True
        logger.warning("training interrupted in epoch %d; the model keeps what it learned so "
                       "far%s", epoch, f", and {checkpoint.path} can resume it" if checkpoint
                       else "")
    for callback in callbacks:
        callback.on_train_end(model)


class DivergenceWatch:
    """Stops a training that diverges instead of letting it end in a
    model of noise.

    After every epoch: a loss that is not finite, a loss over
    ``LOSS_GROWTH`` times the lowest epoch loss of the call (with a falling
    learning rate the loss falls, and diverged runs grew 4-20 times in an
    epoch or two), or a weight over ``WEIGHT_LIMIT`` and ``WEIGHT_GROWTH``
    times the largest at the start (trained vectors stay within a few units;
    diverged ones passed a hundred) raises :class:`TrainingDivergedError`.
    When the epochs' prediction counts are known, the loss a prediction is
    compared, and only over epochs of at least ``MIN_PREDICTIONS``: on a toy
    corpus, subsampling makes one epoch three times another by chance.

    Parameters
    ----------
    model : object
        Has ``learning_rate``, ``alpha`` or ``lr`` (named in the message).
    weights : callable or None
        ``weights()`` returns the matrices to watch; None watches the loss only.
    """

    LOSS_GROWTH = 2.0
    MIN_PREDICTIONS = 10000
    WEIGHT_LIMIT = 100.0
    WEIGHT_GROWTH = 10.0

    def __init__(self, model, weights=None):
        self.model = model
        self.weights = weights
        self.lowest_loss = math.inf
        self.weight_bound = None
        if weights is not None:
            self.weight_bound = max(self.WEIGHT_LIMIT,
                                    self.WEIGHT_GROWTH * self._largest_weight())

    def _largest_weight(self):
        # max and min read the matrix in place: np.abs would copy it whole, a
        # model's size in memory every epoch. A matrix with NaN reports NaN
        # here, and the finite loss check names it.
        return max((max(float(matrix.max()), -float(matrix.min()))
                    for matrix in self.weights() if matrix.size), default=0.0)

    def _rate(self):
        for name in ("learning_rate", "alpha", "lr"):
            if hasattr(self.model, name):
                return name, getattr(self.model, name)
        return "learning rate", "?"

    def check(self, loss, epoch, predictions=None):
        """Raise if the epoch just trained diverged.

        Parameters
        ----------
        loss : float or None
        epoch : int
        predictions : int, optional
            Predictions the epoch's loss is summed over.

        Raises
        ------
        TrainingDivergedError
        """
        name, rate = self._rate()
        advice = f"train again with a lower {name} (this run: {name}={rate})"
        if loss is not None and not math.isfinite(loss):
            raise TrainingDivergedError(
                f"training diverged in epoch {epoch}: the loss is {loss} and the weights are "
                f"no longer finite; {advice} and check that any pretrained vectors are finite")
        level, what = loss, "loss"
        if loss is not None and predictions is not None:
            level = loss / predictions if predictions >= self.MIN_PREDICTIONS else None
            what = "loss a prediction"
        if level is not None and 0 < self.lowest_loss < math.inf and \
                level > self.LOSS_GROWTH * self.lowest_loss:
            raise TrainingDivergedError(
                f"training diverged in epoch {epoch}: its {what} {level:.4g} is "
                f"{level / self.lowest_loss:.1f} times the lowest epoch {what} so far "
                f"({self.lowest_loss:.4g}), although the learning rate falls; {advice}")
        if level is not None:
            self.lowest_loss = min(self.lowest_loss, level)
        if self.weights is not None:
            largest = self._largest_weight()
            if largest > self.weight_bound:
                raise TrainingDivergedError(
                    f"training diverged in epoch {epoch}: a weight reached {largest:.4g} "
                    f"(trained vectors stay within a few units; this one started below "
                    f"{self.weight_bound / self.WEIGHT_GROWTH:.3g}); {advice}")


@contextlib.contextmanager
def _ctrl_c_stops(runner):
    """While the main thread trains, Ctrl-C asks the kernels to pause and
    stop, instead of raising ``KeyboardInterrupt`` wherever the main thread
    happens to be (saving a checkpoint, say): the epoch then ends cleanly and
    its checkpoint is written. A second Ctrl-C raises ``KeyboardInterrupt``
    as usual. From another thread, Ctrl-C is left alone."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def request_stop(signum, frame):
        if runner.stop_flag[0]:
            raise KeyboardInterrupt
        runner.stop_flag[0] = 1

    previous = signal.signal(signal.SIGINT, request_stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
