"""Facebook fastText's ``.bin`` models as fastemb objects: a ``FastText``
that trains on, its vectors alone, and a model written back for fastText
(the byte format is :mod:`fastemb.io.fasttext_bin`)."""
import numpy as np

from fastemb.errors import FormatError
from fastemb.io.fasttext_bin import (
    LOSS_HS,
    LOSS_NAMES,
    LOSS_NS,
    MODEL_CBOW,
    MODEL_SG,
    read_fasttext_bin,
    write_fasttext_bin,
)
from fastemb.models.fasttext import FastText
from fastemb.vectors.subword import FastTextKeyedVectors

__all__ = ["load_facebook_model", "load_facebook_vectors", "save_facebook_model"]


def load_facebook_vectors(path, mmap=None, encoding="utf-8"):
    """Load the word vectors of a fastText (or floret) ``.bin`` model, unseen
    words included.

    Parameters
    ----------
    path : str or os.PathLike
    mmap : {None, 'r', 'c'}
        Map the input matrix from the file instead of reading it.
    encoding : str
        Of the words (fastText keeps its training text's bytes).

    Returns
    -------
    FastTextKeyedVectors
        ``get_vector`` gives what fastText's ``get_word_vector`` gives.

    Raises
    ------
    FormatError
        Not a fastText model, truncated, corrupt or quantized; a classifier
        raises ``UnsupportedModelError``, also a ``NotImplementedError`` as
        in gensim.
    """
    parsed = read_fasttext_bin(path, mmap, with_output=False, encoding=encoding)
    return _vectors_of(parsed)


def _vectors_of(parsed):
    """The subword vectors of a parsed ``.bin`` file, fastText's or floret's."""
    args = parsed.args
    return FastTextKeyedVectors.from_dense(parsed.words, parsed.counts, parsed.input_matrix,
                                           args["minn"], args["maxn"], args["bucket"],
                                           args["mode"], args["hash_count"])


def load_facebook_model(path, mmap=None, encoding="utf-8"):
    """Load a fastText (or floret) ``.bin`` model as a :class:`~fastemb.FastText`
    that can be queried and trained further.

    Parameters
    ----------
    path : str or os.PathLike
    mmap : {None, 'r', 'c'}
        Map the matrices from the file (copied if training resumes).
    encoding : str
        Of the words (fastText keeps its training text's bytes).

    Returns
    -------
    FastText

    Raises
    ------
    FormatError
        Not a fastText model, truncated, corrupt, supervised, quantized, or
        trained with the softmax/one-vs-all loss.

    Notes
    -----
    The losses are read as gensim reads them: ``hs`` when the file's loss is
    hierarchical softmax, and ``negative`` is the file's ``neg`` whatever the
    loss. fastText writes ``neg 5`` into its ``hs`` models too, so such a
    model trains both losses further unless ``model.negative = 0`` is set
    first.
    """
    parsed = read_fasttext_bin(path, mmap, encoding=encoding)
    args, words, ntokens = parsed.args, parsed.words, parsed.ntokens
    output = parsed.output
    loss = LOSS_NAMES[args["loss"]]
    if loss not in ("hs", "ns"):
        raise FormatError(f"{path} was trained with the {loss} loss; only negative sampling "
                          "and hierarchical softmax models can be trained further "
                          "(load_facebook_vectors reads its vectors)")
    if output.shape[0] != len(words):
        raise FormatError(f"{path}: output matrix has {output.shape[0]} rows for "
                          f"{len(words)} words")
    # gensim's reading: the loss field says hs or not, neg is kept either way
    # (a model trained with both losses is saved as hs with its neg)
    model = FastText(vector_size=args["dim"], window=args["ws"], epochs=args["epoch"],
                     min_count=args["min_count"], negative=args["neg"],
                     hs=int(loss == "hs"), sg=int(args["model"] == MODEL_SG),
                     bucket=args["bucket"], min_n=args["minn"], max_n=args["maxn"],
                     sample=args["t"], mode=args["mode"], hash_count=args["hash_count"])
    model.wv = _vectors_of(parsed)
    empty = np.zeros((0, args["dim"]), dtype=np.float32)
    model.syn1 = output if loss == "hs" else empty
    # both layers start from the one in the file; each trains on its own copy
    model.syn1neg = empty if not model.negative else output if loss == "ns" else \
        np.array(output, dtype=np.float32)
    model.corpus_total_words = int(ntokens)
    return model


def save_facebook_model(model, path):
    """Write ``model`` as a fastText ``.bin`` file that fastText 0.9 loads
    (``fasttext.load_model``), atomically; a floret-mode model as floret's
    ``.bin`` (``floret.load_model``).

    The input matrix is written with every bucket: stored rows as trained,
    the others recomputed, so fastText sees exactly the vectors fastemb
    answers with. Written block by block, without building the whole
    ``bucket x dim`` matrix in memory.

    Parameters
    ----------
    model : FastText
    path : str or os.PathLike

    Notes
    -----
    fastText keeps one output layer. A model trained with both negative
    sampling and hierarchical softmax is saved as gensim saves it: the loss
    field says ``hs``, ``neg`` keeps its ``negative`` and the layer written
    is the negative-sampling one (loaded back, both layers start from it).
    fastText rebuilds its own Huffman tree on load, which may
    order inner nodes differently from fastemb's, so an ``hs`` model's output
    layer is only meaningful to fastemb; word vectors are unaffected.
    """
    wv = model.wv
    if not isinstance(wv, FastTextKeyedVectors):
        raise TypeError("save_facebook_model needs a FastText model")
    if any("\0" in key or any(c.isspace() for c in key) for key in wv.index_to_key):
        raise ValueError("fastText's format cannot hold words with whitespace or NUL "
                         "characters")
    output = model.syn1neg if model.negative else model.syn1
    if output.shape[0] != len(wv):
        output = np.zeros((len(wv), wv.vector_size), dtype=np.float32)
    args = {"dim": model.vector_size, "ws": model.window, "epoch": model.epochs,
            "min_count": model.min_count, "neg": model.negative, "word_ngrams": 1,
            "loss": LOSS_HS if model.hs else LOSS_NS,
            "model": MODEL_SG if model.sg else MODEL_CBOW, "bucket": wv.bucket,
            "minn": wv.min_n, "maxn": wv.max_n, "lr_update_rate": 100, "t": model.sample,
            "mode": wv.mode, "hash_count": wv.hash_count}
    # floret's file holds a row a word, of which only the first word's is used
    word_rows = wv.vectors_vocab if wv.n_own_rows == len(wv) else np.vstack([
        wv.vectors_vocab, np.zeros((len(wv) - wv.n_own_rows, wv.vector_size), np.float32)])
    block = 1 << 16
    ngram_blocks = (wv.ngram_rows(np.arange(start, min(start + block, wv.bucket),
                                            dtype=np.int64))
                    for start in range(0, wv.bucket, block))
    write_fasttext_bin(path, args, wv.index_to_key, wv.counts, model.corpus_total_words,
                       word_rows, ngram_blocks, output)
