"""Questions a trained Word2Vec model answers with its output layer: the
log-probability of sentences under hierarchical softmax (Taddy 2015, "Document
Classification by Inversion of Distributed Language Representations"), and
the words a context predicts under negative sampling."""
import logging

import numpy as np

__all__ = ["score_sentences", "predict_output_word"]

logger = logging.getLogger(__name__)


def _log_sigmoid(x):
    """log(1 / (1 + exp(-x))), without overflow for large |x|."""
    return -np.logaddexp(0.0, -x)


def _path_log_prob(model, tables, word, hidden):
    """log P(word | hidden) under hierarchical softmax: the sum over the
    word's Huffman path of log sigmoid(+-hidden . node), the sign given by
    the branch taken (code 0: +, code 1: -), as in training."""
    codes, points, offsets, lengths = tables
    start, length = offsets[word], lengths[word]
    nodes = points[start:start + length]
    signs = 1.0 - 2.0 * codes[start:start + length].astype(np.float64)
    scores = model.syn1[nodes].astype(np.float64) @ hidden.astype(np.float64)
    return float(_log_sigmoid(signs * scores).sum())


def score_sentences(model, sentences, total_sentences=1000000):
    """Log-probability of each sentence under a model trained with
    hierarchical softmax: skip-gram sums log P(word | context word) over every
    pair within the window, CBOW log P(word | mean of its context). Words
    outside the vocabulary are skipped; no subsampling, full windows.

    Parameters
    ----------
    model : Word2Vec
    sentences : iterable of list of str
    total_sentences : int
        Score at most this many sentences.

    Returns
    -------
    ndarray of float32
        One log-probability per sentence scored.

    Raises
    ------
    RuntimeError
        The model has no hierarchical softmax layer.
    """
    if not model.hs or model.syn1.shape[0] != len(model.wv):
        raise RuntimeError("scoring needs a model trained with hierarchical softmax (hs=1): "
                           "fastemb, like gensim, scores with that layer only")
    tables = model._training_tables()["hs"]
    index = model.wv.key_to_index
    syn0 = model.wv.vectors
    window = int(model.window)
    scores = []
    for number, sentence in enumerate(sentences):
        if number >= total_sentences:
            break
        ids = [index[w] for w in sentence if w in index]
        total = 0.0
        for pos, word in enumerate(ids):
            lo, hi = max(0, pos - window), min(len(ids), pos + window + 1)
            context = ids[lo:pos] + ids[pos + 1:hi]
            if not context:
                continue
            if model.sg:
                total += sum(_path_log_prob(model, tables, word, syn0[c]) for c in context)
            else:
                hidden = syn0[context].sum(axis=0)
                if model.cbow_mean:
                    hidden = hidden / len(context)
                total += _path_log_prob(model, tables, word, hidden)
        scores.append(total)
    logger.info("scored %d sentences", len(scores))
    return np.array(scores, dtype=np.float32)


def predict_output_word(model, context_words_list, topn=10):
    """The words a context predicts, with their probabilities: the softmax
    of the output layer of negative sampling applied to the context's mean
    (or sum) input vector.

    Parameters
    ----------
    model : Word2Vec
    context_words_list : list of (str or int)
        Context words or their rows; unknown words are ignored.
    topn : int

    Returns
    -------
    list of (str, float) or None
        Most probable first; None (with a warning) if no context word is known.

    Raises
    ------
    RuntimeError
        The model has no negative-sampling output layer.
    """
    if not model.negative:
        raise RuntimeError("predict_output_word needs negative sampling (negative > 0): "
                           "fastemb, like gensim, predicts with that output layer only")
    if model.syn1neg.shape != model.wv.vectors.shape:
        raise RuntimeError("this model has no trained output layer (syn1neg), e.g. it was "
                           "loaded from a vectors-only file; load a full model")
    rows = [model.wv.get_index(w) for w in context_words_list
            if isinstance(w, (int, np.integer)) or w in model.wv.key_to_index]
    if not rows:
        logger.warning("no word of the context %r is in the vocabulary", context_words_list)
        return None
    hidden = model.wv.vectors[rows].astype(np.float64).sum(axis=0)
    if model.cbow_mean:
        hidden /= len(rows)
    logits = model.syn1neg.astype(np.float64) @ hidden
    probabilities = np.exp(logits - logits.max())
    probabilities /= probabilities.sum()
    best = np.argsort(-probabilities, kind="stable")[:topn]
    return [(model.wv.index_to_key[i], float(probabilities[i])) for i in best]
