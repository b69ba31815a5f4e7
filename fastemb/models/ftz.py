"""Quantized classifiers (``.ftz``): fastText's ``quantize`` — keep the
``cutoff`` input rows of largest norm (the dictionary pruned to them),
optionally retrain on them, then product-quantize the input matrix (and,
with ``qout``, the output matrix) — and the file parts of a quantized
model, both ways with fastText."""
import copy

import numpy as np

from fastemb.corpus.labelled import EOS, LabelledVocabulary, read_documents
from fastemb.io.fasttext_bin import KSUB
from fastemb.models.row_map import bucket_map, map_rows
from fastemb.vectors.quantized import QuantizedMatrix

__all__ = ["quantize", "quantized_parts", "from_quantized"]


def _stored_row_ids(model):
    """fastText's row id of each stored row (words, then stored buckets;
    a compact model's zero row is left out)."""
    n_words = model.vocabulary.n_words
    if model.bucket_rows is None:
        return np.arange(model.input_matrix.shape[0], dtype=np.int64)
    stored = np.flatnonzero(model.bucket_rows >= 0)
    order = np.argsort(model.bucket_rows[stored], kind="stable")
    return np.concatenate([np.arange(n_words, dtype=np.int64), stored[order] + n_words])


def _prune(model, cutoff):
    """Keep the ``cutoff`` stored rows of largest norm (``</s>`` first), as
    fastText's ``selectEmbeddings``; the dictionary keeps the words among
    them, in their order, and lists the kept buckets in the order chosen."""
    vocabulary = model.vocabulary
    n_words = vocabulary.n_words
    ids = _stored_row_ids(model)
    norms = np.linalg.norm(model.input_matrix[:len(ids)], axis=1)
    eos = vocabulary.words.index(EOS) if EOS in vocabulary.words else -1
    key = np.where(np.arange(len(ids)) == eos, np.inf, norms)
    chosen = np.argsort(-key, kind="stable")[:cutoff]
    words = np.sort(chosen[chosen < n_words])
    grams = chosen[chosen >= n_words]
    rows = np.concatenate([words, grams])
    matrix = np.ascontiguousarray(model.input_matrix[rows])
    buckets = ids[grams] - n_words
    pairs = np.stack([buckets, np.arange(len(grams))], axis=1)
    pruned = LabelledVocabulary(
        [vocabulary.words[i] for i in words], vocabulary.word_counts[words], vocabulary.labels,
        vocabulary.label_counts, vocabulary.ntokens, vocabulary.label_prefix,
        vocabulary.word_ngrams, vocabulary.minn, vocabulary.maxn, vocabulary.bucket)
    return pruned, matrix, pairs


def quantize(model, input=None, qout=False, cutoff=0, retrain=False, epoch=None, lr=None,
             thread=None, dsub=2, qnorm=False, documents=None):
    """Quantize ``model`` (a SupervisedModel) in place, as fastText's
    ``quantize`` does.

    Parameters
    ----------
    input : str, optional
        The training file, read again to retrain after pruning.
    qout : bool
        Quantize the output matrix too (it needs 256 labels or more).
    cutoff : int
        Keep this many input rows (0: all).
    retrain : bool
        Train the kept rows again (needs ``input`` or ``documents``).
    epoch, lr, thread : optional
        Retraining's settings (default: the model's).
    dsub : int
        Columns a sub-vector.
    qnorm : bool
        Quantize the rows' norms apart from their directions.
    documents : TokenTable, optional
        The training documents, instead of ``input``.

    Raises
    ------
    ValueError
        A model already quantized, retraining without data, or a matrix of
        fewer than 256 rows.
    """
    if model.quantized_input is not None:
        raise ValueError("the model is quantized already")
    if retrain and input is None and documents is None:
        raise ValueError("Need input file path if retraining")
    sizes = [min(cutoff or model.input_matrix.shape[0], model.input_matrix.shape[0])]
    if qout:
        sizes.append(model.output_matrix.shape[0])
    for rows in sizes:
        if rows < KSUB:
            raise ValueError(f"Matrix too small for quantization, must have at least {KSUB} "
                             f"rows (it has {rows})")
    threads = int(thread or model.args["thread"])
    # the work is done on a copy, so that a failure leaves the model as it was
    work = copy.copy(model)
    work.output_matrix = model.output_matrix.copy()
    # fastText prunes when the cutoff is below the full matrix (words and every
    # bucket): the rows kept are then at most the stored ones
    if cutoff and 0 < cutoff < model.vocabulary.n_rows:
        vocabulary, matrix, pairs = _prune(model, int(cutoff))
        work.vocabulary = vocabulary
        work.input_matrix = matrix
        work.bucket_rows = bucket_map(pairs, vocabulary.bucket)
        work.pruneidx = pairs
        work._tree = None
        if retrain:
            table = documents if documents is not None else read_documents(input)
            work.fit(work.encode(table), epochs=epoch, lr=lr, threads=threads)
    quantized_input = QuantizedMatrix.quantize(work.input_matrix, dsub, qnorm, threads)
    quantized_output = None
    if qout:
        quantized_output = QuantizedMatrix.quantize(work.output_matrix, 2, qnorm, threads)
    work.quantized_input = quantized_input
    work.input_matrix = quantized_input.dense()
    if quantized_output is not None:
        work.quantized_output = quantized_output
        work.output_matrix = quantized_output.dense()
    model.__dict__.update(work.__dict__)


def quantized_parts(model):
    """What a ``.ftz`` holds of a quantized model: ``(pruneidx,
    input record, output record or matrix)``. A model that was not pruned
    writes a code for every bucket (an unstored one: the zero row's)."""
    codes_model = model.quantized_input
    record = codes_model.record()
    pairs = model.pruneidx
    if not model.pruned and model.bucket_rows is not None:
        vocabulary = model.vocabulary
        full = map_rows(model.bucket_rows, np.arange(vocabulary.n_rows), vocabulary.n_words,
                        model.input_matrix.shape[0] - 1)
        record = record._replace(rows=len(full), codes=codes_model.codes[full],
                                 norm_codes=None if codes_model.norm_codes is None
                                 else codes_model.norm_codes[full])
    output = model.output_matrix if model.quantized_output is None else \
        model.quantized_output.record()
    return pairs, record, output


def from_quantized(model, parsed):
    """Give ``model`` (built from a parsed ``.ftz``'s dictionary) its
    quantized matrices and pruned buckets."""
    model.quantized_input = QuantizedMatrix.from_record(parsed.input_matrix)
    model.input_matrix = model.quantized_input.dense()
    if parsed.pruneidx is not None:
        model.pruneidx = parsed.pruneidx
        model.bucket_rows = bucket_map(parsed.pruneidx, model.vocabulary.bucket)
    if isinstance(parsed.output, np.ndarray):
        model.output_matrix = np.ascontiguousarray(parsed.output, dtype=np.float32)
    else:
        model.quantized_output = QuantizedMatrix.from_record(parsed.output)
        model.output_matrix = model.quantized_output.dense()
