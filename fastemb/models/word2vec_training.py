"""How the Word2Vec family trains: ``train()`` encodes the corpus once, the
threads of :mod:`fastemb.training` run the epochs' pieces through the kernel
(:class:`fastemb._core.Word2VecTrainer`), and each epoch's loss and counts
come back to the model; checkpoints pause the threads where they can resume
exactly. ``Word2Vec`` takes these methods from :class:`Word2VecTraining`;
the model supplies its inputs and tables through the hooks
``_kernel_inputs``, ``_training_tables``, ``_corpus_arrays`` and
``_after_training``.
"""
import logging

import numpy as np

from fastemb._core import Word2VecTrainer
from fastemb.corpus.encode import encode_source, source_key
from fastemb.errors import CorpusError, FormatError
from fastemb.legacy import corpus_keyword
from fastemb.models.base import check
from fastemb.training.checkpoint import (
    Checkpointer,
    check_fingerprint,
    corpus_fingerprint,
    restore_progress,
)
from fastemb.training.epochs import Word2VecEpoch
from fastemb.training.threads import ShardRunner, exclusive_training, run_epochs, split_pieces

__all__ = ["Word2VecTraining"]

# the model's own log name, which users filter on, whichever module logs
logger = logging.getLogger("fastemb.models.word2vec")


class Word2VecTraining:
    """``train()`` and checkpointed resume of the Word2Vec family."""

    # -------------------------------------------------------------- training
    def _corpus_for(self, corpus_iterable, corpus_file):
        """``(tokens, sentence_ends)`` to train: the ones scanned by ``build_vocab`` when
        the same source is given again, else the new one encoded against the
        current vocabulary."""
        if (corpus_iterable is None) == (corpus_file is None):
            raise ValueError("give exactly one of corpus_iterable (sentences) or corpus_file")
        scanned = self._scanned
        if scanned is not None and source_key(corpus_iterable, corpus_file) == scanned.source:
            self._corpus_chosen(scanned.n_sentences, scanned=True)
            return scanned.tokens, scanned.sentence_ends
        encoded = encode_source(self._sentences_of(corpus_iterable), corpus_file,
                                vocab=self.wv.key_to_index, threads=int(self.workers))
        self.corpus_count = encoded.n_sentences
        self.corpus_total_words = encoded.raw_words
        self._corpus_chosen(encoded.n_sentences, scanned=False)
        return encoded.compact()

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
        tokens, sentence_ends = self._corpus_for(corpus_iterable, corpus_file)
        if len(tokens) == 0:
            raise CorpusError("the training corpus has no word of the vocabulary")
        self._check_supplied_counts(total_examples, total_words, len(sentence_ends))
        call = {"epochs": int(epochs), "start_alpha": float(start_alpha),
                "end_alpha": float(end_alpha), "trained": 0, "raw": 0, "seconds": 0.0,
                "loss": 0.0}
        return self._train_call(tokens, sentence_ends, call, report_delay, callbacks, progress,
                                checkpoint, checkpoint_every)

    def _train_call(self, tokens, sentence_ends, call, report_delay, callbacks, progress,
                    checkpoint, checkpoint_every, resume=None):
        """Train the epochs of one ``train()`` call (or the rest of them, from
        a checkpoint's ``resume`` state) on an encoded corpus.

        ``call`` holds the call's settings and running totals; it is what a
        checkpoint saves of the call.
        """
        self.wv.make_writable()
        for name in ("syn1neg", "syn1"):
            array = getattr(self, name)
            if not array.flags.writeable or not array.flags.c_contiguous:
                setattr(self, name, np.array(array, dtype=np.float32, order="C"))
        workers = self._threads_for(len(tokens))
        runner = ShardRunner(workers, report_delay)
        syn0, inputs = self._kernel_inputs()
        inputs["lockf"] = self._row_lock_factors(syn0.shape[0])
        epochs = call["epochs"]
        self.running_training_loss = call["loss"]
        trainer = Word2VecTrainer(
            **self._kernel_settings(), syn0=syn0, tokens=tokens, sentence_ends=sentence_ends,
            start_alpha=call["start_alpha"], end_alpha=call["end_alpha"],
            total_words=len(tokens) * epochs, progress=runner.counters,
            stop_flag=runner.stop_flag, pause_at=runner.pause_at, **inputs)
        pieces = split_pieces(sentence_ends, len(tokens), workers)
        seed = int(self.seed)
        resume_point = None
        if resume is not None:
            resume_point = self._resume_point(resume, runner, trainer)
        checkpointer = None
        if checkpoint is not None:
            checkpointer = Checkpointer(checkpoint, checkpoint_every, self, call,
                                        corpus_fingerprint(**self._corpus_arrays(
                                            tokens, sentence_ends)), runner)

        def start_epoch(epoch_id):
            return Word2VecEpoch.start(trainer, pieces, seed, epoch_id)

        def finish_epoch(job, seconds, epoch):
            results = job.results()
            loss = float(sum(r[0] for r in results))
            raw = sum(r[1] for r in results)
            trained = sum(r[2] for r in results)
            predictions = sum(r[3] for r in results)
            call["trained"] += trained
            call["raw"] += raw
            call["seconds"] += seconds
            call["loss"] += loss
            self.running_training_loss = call["loss"]
            self.loss_history.append(loss)
            self.train_stats.append({"epoch": self.epochs_trained, "loss": loss,
                                     "raw_words": raw, "trained_words": trained,
                                     "predictions": predictions, "seconds": seconds})
            logger.info("EPOCH %d: loss %.4g (%.4f a prediction), %d raw words, %d trained, "
                        "%.2f s, %.0f words/s", epoch, loss, loss / max(predictions, 1),
                        raw, trained, seconds, raw / max(seconds, 1e-9))
            return loss

        self._weights_trained = True
        watched = [syn0, self.syn1neg, self.syn1] + (
            [inputs["docvecs"]] if inputs.get("docvecs") is not None else [])
        run_epochs(self, runner, epochs, start_epoch, finish_epoch,
                   self.callbacks + tuple(callbacks), progress, len(tokens), "words",
                   checkpointer, resume_point, weights=lambda: watched)
        self._after_training()
        self.train_count += 1
        self.total_train_time += call["seconds"]
        if not self.interrupted:
            self.min_alpha_yet_reached = call["end_alpha"]
        self.add_lifecycle_event("train", epochs=epochs, raw_words=call["raw"],
                                 trained_words=call["trained"],
                                 seconds=round(call["seconds"], 3), alpha=call["start_alpha"],
                                 min_alpha=call["end_alpha"])
        return call["trained"], call["raw"]

    def _threads_for(self, n_tokens):
        """Threads to train ``n_tokens`` words with: ``workers``, but no more
        than give each thread ``batch_words`` words (gensim's job size), so
        that a small corpus trains on one thread, deterministically, as it
        does in gensim."""
        batch = max(int(self.batch_words or 1), 1)
        return max(1, min(int(self.workers), n_tokens // batch))

    def _corpus_arrays(self, tokens, sentence_ends):
        """The encoded corpus as a checkpoint identifies it, by name (Doc2Vec
        adds the documents' tags)."""
        return {"tokens": tokens, "sentences": sentence_ends}

    @staticmethod
    def _resume_point(resume, runner, trainer):
        """``(epoch, job)`` to continue from a checkpoint's state, after
        restoring the threads' progress counters.

        Raises
        ------
        FormatError
            The saved state does not fit this corpus or number of threads.
        """
        restore_progress(resume, runner)
        job = None
        if resume["job"] is not None:
            try:
                job = Word2VecEpoch.restore(trainer, resume["job"], resume["arrays"])
            except (KeyError, TypeError, ValueError, OverflowError) as exc:
                raise FormatError(f"the checkpoint's position does not fit this corpus "
                                  f"({exc})") from None
        return int(resume["epoch"]), job

    def _resume_call(self, state, corpus_iterable, corpus_file, callbacks, progress,
                     report_delay, checkpoint, checkpoint_every):
        """Encode the corpus again, check it is the checkpoint's, and continue
        the call (see :meth:`EmbeddingModel.resume`)."""
        tokens, sentence_ends = self._corpus_for(corpus_iterable, corpus_file)
        check_fingerprint(state["corpus"], corpus_fingerprint(
            **self._corpus_arrays(tokens, sentence_ends)), checkpoint)
        self._train_call(tokens, sentence_ends, dict(state["call"]), report_delay, callbacks,
                         progress, checkpoint, checkpoint_every, resume=state)

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
        when every row learns fully.

        Raises
        ------
        ValueError
            ``vectors_lockf`` has neither one entry nor one per word.
        """
        lockf = np.asarray(self.wv.vectors_lockf, dtype=np.float32).ravel()
        n_words = len(self.wv)
        if lockf.size == 1 and lockf[0] == 1.0:
            return None
        if lockf.size not in (1, n_words):
            raise ValueError(f"wv.vectors_lockf has {lockf.size} entries for {n_words} words: "
                             "give one value, or one per word")
        if not np.isfinite(lockf).all():
            raise ValueError("wv.vectors_lockf holds a value that is not finite")
        rows = np.ones(n_rows, dtype=np.float32)
        rows[:n_words] = lockf  # one value broadcasts to every word
        return rows
