"""How the Word2Vec family trains. The corpus goes one way: ``train()``
encodes it once (:mod:`fastemb.corpus.encode`) and hands it, with the
model's weights and tables, to the training loop
(:func:`fastemb.training.loop.run_epochs` over a
:class:`fastemb.training.epochs.Word2VecEpochs` plan), which runs the
epochs' pieces through the kernel (:class:`fastemb._core.Word2VecTrainer`),
writes checkpoints and gives each epoch's record back to the model.
``Word2Vec`` takes these methods from :class:`Word2VecTraining`; the model
supplies its inputs and tables through the hooks ``_kernel_inputs``,
``_kernel_settings``, ``_corpus_arrays``, ``_epoch_trained`` and
``_after_training``.
"""
import logging

import numpy as np

from fastemb.corpus.encode import check_corpus_source, encode_source, source_key
from fastemb.errors import CorpusError
from fastemb.legacy import corpus_keyword
from fastemb.models.base import check
from fastemb.training.checkpoint import check_fingerprint, corpus_fingerprint
from fastemb.training.deterministic import PIECES
from fastemb.training.epochs import Word2VecEpochs
from fastemb.training.loop import run_epochs
from fastemb.training.threads import exclusive_training

__all__ = ["Word2VecTraining"]

# the model's own log name, which users filter on, whichever module logs
logger = logging.getLogger("fastemb.models.word2vec")


class Word2VecTraining:
    """``train()`` and checkpointed resume of the Word2Vec family."""

    # -------------------------------------------------------------- training
    def _corpus_for(self, corpus_iterable, corpus_file):
        """``(tokens, sentence_ends, corpus_inputs)`` to train: the corpus
        scanned by ``build_vocab`` when the same source is given again, else
        the new one encoded against the current vocabulary, and the kernel's
        inputs that belong to it (see ``_corpus_inputs``)."""
        scanned = self._scanned
        if scanned is not None and source_key(corpus_iterable, corpus_file) == scanned.source:
            return (scanned.tokens, scanned.sentence_ends,
                    self._corpus_inputs(scanned.n_sentences, None, scanned=True))
        sentences, notes = self._sentences_of(corpus_iterable)
        encoded = encode_source(sentences, corpus_file, vocab=self.wv.key_to_index,
                                threads=int(self.workers))
        self.corpus_count = encoded.n_sentences
        self.corpus_total_words = encoded.raw_words
        inputs = self._corpus_inputs(encoded.n_sentences, notes, scanned=False)
        return (*encoded.compact(), inputs)

    @exclusive_training
    def train(self, corpus_iterable=None, corpus_file=None, total_examples=None, total_words=None,
              epochs=None, start_alpha=None, end_alpha=None, word_count=0, queue_factor=2,
              report_delay=1.0, compute_loss=False, callbacks=(), progress=None,
              checkpoint=None, checkpoint_every=None, **kwargs):
        """Train the vectors.

        Parameters
        ----------
        corpus_iterable : iterable of list of str, optional
        corpus_file : str or os.PathLike, optional
            Exactly one of the two. Passing the corpus given to
            :meth:`build_vocab` reuses its encoding (a one-shot generator
            already consumed there works); another corpus is encoded against
            the existing vocabulary.
        total_examples, total_words : int
            Sentences or raw words in the corpus: one of them is required,
            as in gensim (``model.corpus_count`` after ``build_vocab`` on
            the same corpus). fastemb knows the true size once it has read
            the corpus, so the learning rate follows the true size; a value
            that differs from it is reported with a warning.
        epochs : int
            Passes over the corpus; required, as in gensim (usually
            ``model.epochs``).
        start_alpha, end_alpha : float, optional
            Default ``alpha`` and ``min_alpha``. A start above the lowest
            rate an earlier call reached is warned about (it is rarely meant).
        word_count, queue_factor : optional
            Accepted for gensim compatibility.
        report_delay : float
            Seconds between progress log lines.
        callbacks : sequence of CallbackAny2Vec
            In addition to the model's own.
        progress : callable, optional
            ``progress(done, total)`` with raw words processed so far in this
            call and in all, every ``report_delay`` seconds and at the end.
        checkpoint : str or os.PathLike, optional
            Save a checkpoint there (atomically, replacing the last one)
            every ``checkpoint_every``, on Ctrl-C and at the end;
            :meth:`resume` continues from it.
        checkpoint_every : float or str, optional
            Seconds (``600``, ``"10min"``) or raw words (``"5M words"``);
            default 600 seconds (see :func:`fastemb.training.checkpoint.parse_every`).

        Returns
        -------
        (int, int)
            Words trained (after subsampling) and raw words processed.
        """
        corpus_iterable = corpus_keyword(corpus_iterable, kwargs, "train")
        check_corpus_source(corpus_iterable, corpus_file)
        if not len(self.wv):
            raise RuntimeError("build the vocabulary first: call build_vocab() before train()")
        if total_examples is None and total_words is None:
            raise ValueError("give total_examples or total_words, as gensim requires (after "
                             "build_vocab on the same corpus: total_examples=model.corpus_count)")
        if epochs is None:
            raise ValueError("give epochs explicitly, as gensim requires (usually "
                             "epochs=model.epochs)")
        check(isinstance(epochs, (int, np.integer)) and epochs >= 1,
               f"epochs must be an integer >= 1, got {epochs!r}")
        start_alpha = self.alpha if start_alpha is None else start_alpha
        end_alpha = self.min_alpha if end_alpha is None else end_alpha
        if start_alpha > self.min_alpha_yet_reached:
            logger.warning("Effective 'alpha' higher than previous training cycles: this call "
                           "starts at %g, an earlier one got down to %g", start_alpha,
                           self.min_alpha_yet_reached)
        tokens, sentence_ends, corpus_inputs = self._corpus_for(corpus_iterable, corpus_file)
        if len(tokens) == 0:
            raise CorpusError("the training corpus has no word of the vocabulary")
        self._check_supplied_counts(total_examples, total_words, len(sentence_ends))
        call = {"epochs": int(epochs), "start_alpha": float(start_alpha),
                "end_alpha": float(end_alpha), "trained": 0, "raw": 0, "seconds": 0.0,
                "loss": 0.0}
        return self._train_call(tokens, sentence_ends, corpus_inputs, call, report_delay,
                                callbacks, progress, checkpoint, checkpoint_every)

    def _epoch_trained(self, loss, stats):
        super()._epoch_trained(loss, stats)
        self.running_training_loss += loss

    def _train_call(self, tokens, sentence_ends, corpus_inputs, call, report_delay, callbacks,
                    progress, checkpoint, checkpoint_every, resume=None, watch_weights=True):
        """Train the epochs of one ``train()`` call (or the rest of them, from
        a checkpoint's ``resume`` state) on an encoded corpus and the kernel
        inputs that belong to it.

        ``call`` holds the call's settings and running totals; it is what a
        checkpoint saves of the call. ``watch_weights=False`` leaves out the
        scan of the weights for divergence after each epoch (a distributed
        replica's call is one short round; the driver watches the
        synchronised weights instead).
        """
        self.wv.make_writable()
        for name in ("syn1neg", "syn1"):
            array = getattr(self, name)
            if not array.flags.writeable or not array.flags.c_contiguous:
                setattr(self, name, np.array(array, dtype=np.float32, order="C"))
        syn0, inputs = self._kernel_inputs(corpus_inputs)
        inputs["lockf"] = self._row_lock_factors(syn0.shape[0])
        self.running_training_loss = call["loss"]
        plan = Word2VecEpochs({**self._kernel_settings(), "syn0": syn0, **inputs}, tokens,
                              sentence_ends, call, self._threads_for(len(tokens)), report_delay,
                              int(self.seed))
        fingerprint = None
        if checkpoint is not None:
            fingerprint = corpus_fingerprint(**self._corpus_arrays(tokens, sentence_ends,
                                                                   corpus_inputs))
        self._weights_trained = True
        watched = [syn0, self.syn1neg, self.syn1] + (
            [inputs["docvecs"]] if inputs.get("docvecs") is not None else [])
        run_epochs(self, plan, self.callbacks + tuple(callbacks), progress, checkpoint,
                   checkpoint_every, fingerprint, resume,
                   weights=(lambda: watched) if watch_weights else None)
        self._after_training()
        self.train_count += 1
        self.total_train_time += call["seconds"]
        if not self.interrupted:
            self.min_alpha_yet_reached = call["end_alpha"]
        self.add_lifecycle_event("train", epochs=call["epochs"], raw_words=call["raw"],
                                 trained_words=call["trained"],
                                 seconds=round(call["seconds"], 3), alpha=call["start_alpha"],
                                 min_alpha=call["end_alpha"])
        return call["trained"], call["raw"]

    def _threads_for(self, n_tokens):
        """Threads to train ``n_tokens`` words with: ``workers``, but no more
        than give each thread ``batch_words`` words (gensim's job size), so
        that a small corpus trains on one thread, deterministically, as it
        does in gensim."""
        if self.deterministic:  # the pieces are fixed: more threads would idle
            return max(1, min(int(self.workers), PIECES))
        batch = max(int(self.batch_words or 1), 1)
        return max(1, min(int(self.workers), n_tokens // batch))

    def _corpus_arrays(self, tokens, sentence_ends, corpus_inputs):
        """The encoded corpus as a checkpoint identifies it, by name (Doc2Vec
        adds the documents' tags)."""
        return {"tokens": tokens, "sentences": sentence_ends}

    def _resume_call(self, state, corpus_iterable, corpus_file, callbacks, progress,
                     report_delay, checkpoint, checkpoint_every):
        """Encode the corpus again, check it is the checkpoint's, and continue
        the call (see :meth:`EmbeddingModel.resume`)."""
        tokens, sentence_ends, corpus_inputs = self._corpus_for(corpus_iterable, corpus_file)
        check_fingerprint(state["corpus"], corpus_fingerprint(
            **self._corpus_arrays(tokens, sentence_ends, corpus_inputs)), checkpoint)
        self._train_call(tokens, sentence_ends, corpus_inputs, dict(state["call"]),
                         report_delay, callbacks, progress, checkpoint, checkpoint_every,
                         resume=state)

    def _check_supplied_counts(self, total_examples, total_words, n_sentences):
        """Warn, as gensim does, when the caller's idea of the corpus size
        differs from the corpus read."""
        if total_examples is not None and total_examples != n_sentences:
            logger.warning("supplied example count (%d) did not equal expected count (%d): "
                           "the learning rate follows the %d sentences read",
                           total_examples, n_sentences, n_sentences)
        if total_words is not None and total_words != self.corpus_total_words:
            logger.warning("supplied raw word count (%d) did not equal expected count (%d): "
                           "the learning rate follows the %d words read",
                           total_words, self.corpus_total_words, self.corpus_total_words)

    def _row_lock_factors(self, n_rows):
        """Per-row lock factors for the kernel from ``wv.vectors_lockf``
        (rows beyond the words', such as n-gram rows, learn fully), or None
        when every row learns fully."""
        lockf = lock_values(self.wv.vectors_lockf, len(self.wv), "wv.vectors_lockf", "word")
        if lockf is None:
            return None
        rows = np.ones(n_rows, dtype=np.float32)
        rows[:len(self.wv)] = lockf  # one value broadcasts to every word
        return rows


def lock_values(lockf, n_rows, name, row_name):
    """gensim's lock factors (0.0 freezes a row, 1.0 lets it learn) checked:
    a float32 array of one value or of one a row, or None when it is the
    single default 1.0.

    Parameters
    ----------
    lockf : array_like
    n_rows : int
        Rows it may give one value each.
    name, row_name : str
        The attribute's and a row's names, for the error.

    Raises
    ------
    ValueError
        Neither one value nor one a row, or a value that is not finite.
    """
    lockf = np.asarray(lockf, dtype=np.float32).ravel()
    if lockf.size == 1 and lockf[0] == 1.0:
        return None
    if lockf.size not in (1, n_rows):
        raise ValueError(f"{name} has {lockf.size} entries for {n_rows} {row_name}s: "
                         f"give one value, or one per {row_name}")
    if not np.isfinite(lockf).all():
        raise ValueError(f"{name} holds a value that is not finite")
    return lockf
