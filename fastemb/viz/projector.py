"""Export vectors for the TensorFlow Embedding Projector (TensorBoard's
projector plugin, or the standalone one at projector.tensorflow.org).

Three files go into a folder: ``tensors.tsv`` (a vector a line, values
separated by tabs), ``metadata.tsv`` (a key a line; with extra columns, a
header line first, as the projector requires) and ``projector_config.pbtxt``
pointing TensorBoard at both. Keys are written as UTF-8 with tabs, newlines
and backslashes escaped (``\\t``, ``\\n``, ``\\\\``), so a line is always
one key.
"""
import os

import numpy as np

from fastemb.io.native import atomic_writer

__all__ = ["export_projector", "escape_key"]

#: Columns of metadata.tsv besides the key, and where their values come from.
METADATA_COLUMNS = ("count", "rank")


def escape_key(key):
    """A key made safe for one TSV cell: backslash, tab, newline and
    carriage return become ``\\\\``, ``\\t``, ``\\n`` and ``\\r``."""
    return (str(key).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
            .replace("\r", "\\r"))


def export_projector(kv, folder, limit=None, metadata=(), tensor_name="fastemb"):
    """Write ``kv``'s vectors where the Embedding Projector can load them.

    Parameters
    ----------
    kv : KeyedVectors
    folder : str or os.PathLike
        Created if missing; the three files in it are replaced atomically.
    limit : int, optional
        Only the first ``limit`` keys (the most frequent, in a trained
        model's order).
    metadata : sequence of {'count', 'rank'}
        Extra columns of ``metadata.tsv``: the key's corpus count, its rank.
    tensor_name : str
        The name TensorBoard shows.

    Returns
    -------
    dict
        The paths written: ``{"tensors", "metadata", "config"}``.

    Raises
    ------
    ValueError
        An unknown metadata column, a bad ``limit`` or no vectors.
    """
    unknown = [column for column in metadata if column not in METADATA_COLUMNS]
    if unknown:
        raise ValueError(f"unknown metadata column {unknown[0]!r}; choose among "
                         f"{', '.join(METADATA_COLUMNS)}")
    if limit is not None and limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    n = len(kv) if limit is None else min(int(limit), len(kv))
    if n == 0:
        raise ValueError("there are no vectors to export")
    os.makedirs(folder, exist_ok=True)
    paths = {name: os.path.join(folder, file) for name, file in
             (("tensors", "tensors.tsv"), ("metadata", "metadata.tsv"),
              ("config", "projector_config.pbtxt"))}
    vectors = np.asarray(kv.vectors[:n], dtype=np.float32)
    with atomic_writer(paths["tensors"]) as out:
        np.savetxt(out, vectors, fmt="%.6g", delimiter="\t")
    columns = {"count": lambda i: int(kv.counts[i]) if kv.counts is not None else 0,
               "rank": lambda i: i + 1}
    with atomic_writer(paths["metadata"]) as out:
        lines = []
        if metadata:  # the projector reads a header only when there are several columns
            lines.append("\t".join(("word",) + tuple(metadata)))
        for i, key in enumerate(kv.index_to_key[:n]):
            lines.append("\t".join([escape_key(key)] + [str(columns[c](i)) for c in metadata]))
        out.write(("\n".join(lines) + "\n").encode("utf-8"))
    with atomic_writer(paths["config"]) as out:
        out.write((f'embeddings {{\n  tensor_name: "{escape_key(tensor_name)}"\n'
                   f'  tensor_shape: {n}\n  tensor_shape: {vectors.shape[1]}\n'
                   f'  tensor_path: "tensors.tsv"\n  metadata_path: "metadata.tsv"\n}}\n')
                  .encode())
    return paths
