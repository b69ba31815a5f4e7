"""The skeleton every model shares: its parameter table, checks, the
per-epoch loss, native files, gensim files, checkpoints and resume.

A model class names its saved hyper-parameters in ``PARAMS`` (the rest of
its constructor's keywords, and their defaults, come from its signature:
:meth:`EmbeddingModel.defaults`, which the CLI reads) and fills in a few
hooks:

- ``_model_arrays()`` / ``_model_meta()``: what its native file holds
  besides the shared state, and ``_restore(arrays, meta, fname)`` to read
  them back;
- ``_after_training()``: bring ``wv`` up to date with the trained weights
  (a checkpoint must load as a complete model);
- ``_epoch_trained(loss, stats)``: take the record of an epoch from the
  training loop (:mod:`fastemb.training.loop`), which calls it;
- ``_resume_call(state, corpus_iterable, corpus_file, callbacks, progress,
  report_delay, checkpoint, checkpoint_every)``: rebuild a checkpointed
  ``train()`` call's inputs and continue it; ``CALL_KEYS`` lists what that
  call records.
"""
import inspect

import numpy as np

from fastemb import registry
from fastemb.errors import FormatError, ModelKindError
from fastemb.io import native
from fastemb.io.gensim_pickle import is_pickle
from fastemb.legacy import class_only_method
from fastemb.lifecycle import LifecycleEvents
from fastemb.training.checkpoint import open_for_resume

__all__ = ["EmbeddingModel", "check"]


def check(condition, message):
    """Raise ``ValueError(message)`` unless ``condition``: the one parameter
    check every model's validation is written with."""
    if not condition:
        raise ValueError(message)


class EmbeddingModel(LifecycleEvents):
    """Base of Word2Vec, FastText, Doc2Vec and GloVe (see the module notes
    for the hooks a model fills in).

    Attributes
    ----------
    loss_history : list of float
        The loss of every epoch trained (GloVe: the mean weighted squared
        error per matrix entry, also ``cost_history``).
    epochs_trained : int
    train_stats : list of dict
        Per epoch: the loss and what was processed, in what time.
    """

    #: Hyper-parameters a native file stores, rebuilt with ``cls(**params)``.
    PARAMS = ()
    #: What the model's ``train()`` call records in a checkpoint.
    CALL_KEYS = ()
    #: Hint added when a file of another kind is given to ``load``.
    LOAD_HINT = ""

    @classmethod
    def defaults(cls):
        """Every constructor keyword with its default, from the signature:
        the table the CLI takes its defaults from.

        Returns
        -------
        dict
        """
        return {name: parameter.default
                for name, parameter in inspect.signature(cls.__init__).parameters.items()
                if parameter.default is not inspect.Parameter.empty}

    def _params(self):
        """The saved hyper-parameters by name."""
        return {name: getattr(self, name) for name in self.PARAMS}

    def get_latest_training_loss(self):
        """Loss of the last epoch trained (Word2Vec family: gensim's running
        loss of the latest ``train()`` call), 0 if none."""
        return self.loss_history[-1] if self.loss_history else 0.0

    def _epoch_trained(self, loss, stats):
        """Record an epoch the training loop has just trained (before the
        callbacks' ``on_epoch_end``): its loss and its ``train_stats`` entry."""
        self.loss_history.append(loss)
        self.train_stats.append(stats)

    # ----------------------------------------------------------- persistence
    def save(self, fname, *args, **kwargs):
        """Save the model in fastemb's native format: one file, written
        atomically, no pickle.

        Parameters
        ----------
        fname : str or os.PathLike
        *args, **kwargs
            gensim's pickling options (``separately``, ``sep_limit``,
            ``ignore``, ``pickle_protocol``): accepted and ignored, as the
            native file is one file whose arrays can always be mapped.
        """
        native.save_arrays(fname, *self._native_payload())

    def _checkpoint_payload(self):
        """:meth:`_native_payload` of the model as it stands in the middle of
        training, with ``wv`` brought up to date, so that a checkpoint loads
        as a complete model."""
        self._after_training()
        return self._native_payload()

    def _native_payload(self):
        """``(arrays, meta)`` of the native file (a checkpoint adds to them)."""
        meta = {"kind": type(self).__name__, "params": self._params(),
                "corpus_count": self.corpus_count, "corpus_total_words": self.corpus_total_words,
                "epochs_trained": self.epochs_trained, "loss_history": self.loss_history,
                "lifecycle_events": self.lifecycle_events}
        meta.update(self._model_meta())
        return self._model_arrays(), meta

    def _model_meta(self):
        """What the model's native file holds in its metadata besides the
        shared state (none by default)."""
        return {}

    @class_only_method
    def load(cls, fname, mmap=None):
        """Load a model saved by :meth:`save` (or a checkpoint of one).

        Parameters
        ----------
        fname : str or os.PathLike
        mmap : {None, 'r', 'c'}
            Map the arrays from the file (they are copied if training resumes).

        Returns
        -------
        EmbeddingModel
            Of the class ``load`` is called on.

        Raises
        ------
        FormatError
            Not a fastemb file of this model class, truncated or corrupt.
        ModelKindError
            The file holds vectors or another model class (a
            ``FormatError`` and an ``AttributeError``, as gensim raises).

        Notes
        -----
        A model saved by gensim (a pickle, with ``.npy`` files beside it) is
        read too, through :func:`fastemb.load_gensim`, which never runs code
        from it.
        """
        if is_pickle(fname):
            model = registry.reader_named("gensim")(fname, mmap=mmap)
            if not isinstance(model, cls):
                raise ModelKindError(f"{fname} holds a gensim {type(model).__name__}, "
                                     f"not a {cls.__name__} model")
            return model
        arrays, meta = native.load_model_arrays(fname, cls.__name__, mmap, cls.LOAD_HINT)
        return cls._from_native(arrays, meta, fname)

    @classmethod
    def _from_native(cls, arrays, meta, fname):
        """The model :meth:`_native_payload` described.

        Raises
        ------
        FormatError
            Arrays or metadata are missing or do not fit together.
        """
        try:
            model = cls(**meta["params"])
            model._restore(arrays, meta, fname)
        except (KeyError, TypeError) as exc:
            raise FormatError(f"{fname} is missing model data ({exc})") from None
        model.corpus_count = meta.get("corpus_count", 0)
        model.corpus_total_words = meta.get("corpus_total_words", 0)
        model.epochs_trained = meta.get("epochs_trained", 0)
        # GloVe files of 0.2 named it cost_history
        model.loss_history = list(meta.get("loss_history", meta.get("cost_history", [])))
        model.lifecycle_events = meta.get("lifecycle_events", [])
        return model

    # ----------------------------------------------------------------- resume
    @classmethod
    def resume(cls, checkpoint, corpus_iterable=None, corpus_file=None, callbacks=(),
               progress=None, report_delay=1.0, checkpoint_every=None, workers=None):
        """Continue a ``train()`` call from its checkpoint, as if it had
        never stopped: with a seed and ``workers=1`` (or ``deterministic=True``
        and any ``workers``), the vectors end bit-identical to an
        uninterrupted run.

        Parameters
        ----------
        checkpoint : str or os.PathLike
            Written by ``train(..., checkpoint=...)``; training goes on
            writing to it.
        corpus_iterable, corpus_file
            The corpus that call trained on (exactly one of them).
        callbacks, progress, report_delay
            As for ``train``.
        checkpoint_every : float or str, optional
            Default: the interval the checkpoint was written with.
        workers : int, optional
            Threads to continue with (default: the checkpoint's). The
            Word2Vec family deals the paused epoch's pieces to any number of
            threads; GloVe and the classifier resume only on the number that
            wrote the checkpoint.

        Returns
        -------
        EmbeddingModel
            Of the class ``resume`` is called on, trained to the end of the
            call; a checkpoint of a finished call gives its model at once.

        Raises
        ------
        FormatError
            Not a checkpoint of this model class, or damaged.
        CorpusError
            The corpus is not the one the checkpoint was trained on (its
            size and hash are checked).
        """
        check(workers is None or isinstance(workers, (int, np.integer)) and workers >= 1,
              f"workers must be an integer >= 1, got {workers!r}")
        model, state = open_for_resume(cls, checkpoint, cls.CALL_KEYS)
        if workers is not None:
            model.workers = int(workers)
        if state is None:
            return model
        model._resume_call(state, corpus_iterable, corpus_file, callbacks, progress,
                           report_delay, checkpoint,
                           state["every"] if checkpoint_every is None else checkpoint_every)
        return model
