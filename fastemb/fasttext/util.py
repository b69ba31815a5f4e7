"""fastText's ``fasttext.util``: precision and recall of given predictions,
the nearest vector to a query, and reducing a model's dimension by PCA."""
import numpy as np

__all__ = ["test", "find_nearest_neighbor", "reduce_model"]

#: rows of the input matrix the PCA is fitted on (fastText's choice)
_MAPPING_ROWS = 100000


def test(predictions, labels, k=1):
    """``(precision, recall)`` of predicted label lists against gold ones,
    as fastText's ``util.test`` counts them (precision over ``k`` a line).

    Raises
    ------
    ValueError
        No example, or no gold label.
    """
    hits = examples = gold = 0
    for predicted, expected in zip(predictions, labels):
        hits += sum(1 for p in predicted if p in expected)
        examples += 1
        gold += len(expected)
    if examples == 0 or gold == 0:
        raise ValueError("test needs at least one example with a gold label")
    return hits / (k * examples), hits / gold


def find_nearest_neighbor(query, vectors, ban_set, cossims=None):
    """The index of the row of ``vectors`` with the largest dot product
    with ``query``, skipping the indices in ``ban_set`` (the rows are taken
    as unit vectors, as fastText's caller normalises them).

    Raises
    ------
    ValueError
        Every row is banned.
    """
    vectors = np.asarray(vectors)
    if cossims is None:
        cossims = vectors @ np.asarray(query)
    else:
        np.matmul(vectors, query, out=cossims)
    order = np.argsort(-cossims, kind="stable")
    for index in order:
        if int(index) not in ban_set:
            return int(index)
    raise ValueError("every vector is in ban_set: there is no neighbour to return")


def _principal_axes(matrix, dim):
    rows = matrix[:_MAPPING_ROWS].astype(np.float32)
    rows = rows - rows.mean(axis=0, dtype=np.float32)
    covariance = (rows.T @ rows) / max(len(rows) - 1, 1)
    values, vectors = np.linalg.eigh(covariance)
    return vectors[:, np.argsort(values)[::-1][:dim]].astype(np.float32)


def reduce_model(ft_model, target_dim):
    """Project the model's input and output matrices on the ``target_dim``
    principal axes of its input matrix (fitted on its first 100,000 rows),
    in place, as fastText's ``util.reduce_model``.

    Returns
    -------
    FastTextModel
        ``ft_model``.

    Raises
    ------
    ValueError
        ``target_dim`` not between 1 and the model's dimension, or a
        quantized model.
    """
    dim = ft_model.get_dimension()
    if not 1 <= int(target_dim) <= dim:
        raise ValueError(f"target_dim must be between 1 and {dim}, got {target_dim!r}")
    inputs = ft_model.get_input_matrix()
    axes = _principal_axes(inputs, int(target_dim))
    ft_model.set_matrices(inputs @ axes, ft_model.get_output_matrix() @ axes)
    return ft_model
