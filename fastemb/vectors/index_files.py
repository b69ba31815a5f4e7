"""Files of the approximate-neighbour indexes (:mod:`fastemb.vectors.ann`,
:mod:`fastemb.vectors.annoy_index`): the index a library writes, and beside
it (``path + '.dict'``) its labels and settings as JSON. gensim pickles
that file; such a pickle is read as data, never run."""
import json
import os

from fastemb.errors import FormatError
from fastemb.io.gensim_pickle import _unpickle, is_pickle
from fastemb.io.native import atomic_writer

__all__ = ["save_index_files", "load_index_files", "read_index_labels"]


def save_index_files(save_index, fname, meta):
    """Write an index with the library's ``save_index(path)`` and its
    ``meta`` (a dict with ``'labels'``) beside it, each file atomically: the
    library writes a scratch file in the same folder, renamed over
    ``fname`` once complete.

    Parameters
    ----------
    save_index : callable
    fname : str or os.PathLike
    meta : dict
    """
    fname = os.fspath(fname)
    with atomic_writer(fname + ".dict") as out:
        out.write(json.dumps(meta, ensure_ascii=False).encode("utf-8"))
    scratch = f"{fname}.{os.getpid()}.index.tmp"
    try:
        save_index(scratch)
        os.replace(scratch, fname)
    finally:
        if os.path.exists(scratch):
            os.remove(scratch)


def read_index_labels(fname, dimension_key):
    """The meta saved beside the index ``fname``: fastemb's JSON or
    gensim's pickle (read as data).

    Parameters
    ----------
    fname : str or os.PathLike
        The index's path (the labels are ``fname + '.dict'``).
    dimension_key : str
        The entry that holds the vectors' dimension.

    Returns
    -------
    dict
        With a list ``'labels'`` and a positive int under ``dimension_key``.

    Raises
    ------
    FormatError
        The file is missing or is not such a file.
    """
    path = os.fspath(fname) + ".dict"
    if not os.path.exists(path):
        raise FormatError(f"{path} is missing: an index is saved with its labels beside it")
    if is_pickle(path):
        meta = _unpickle(path)
    else:
        try:
            with open(path, encoding="utf-8") as handle:
                meta = json.load(handle)
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise FormatError(f"{path} is not an index labels file ({exc})") from None
    if not isinstance(meta, dict) or not isinstance(meta.get("labels"), list) or \
            not isinstance(meta.get(dimension_key), int) or meta[dimension_key] < 1:
        raise FormatError(f"{path} is not an index labels file (no dimension and labels)")
    return meta


def load_index_files(fname, dimension_key, open_index, count_items, kind):
    """Open an index saved by :func:`save_index_files` and check that it
    holds an item for each of its labels.

    Parameters
    ----------
    fname : str or os.PathLike
    dimension_key : str
        As for :func:`read_index_labels`.
    open_index : callable
        ``open_index(fname, meta)`` reads the index with its library.
    count_items : callable
        ``count_items(index)``: how many items it holds.
    kind : str
        The library's name, for errors.

    Returns
    -------
    (index, dict)
        The index and its meta.

    Raises
    ------
    FormatError
        The labels file is missing or damaged, the library cannot read the
        index, or the two do not match.
    """
    fname = os.fspath(fname)
    meta = read_index_labels(fname, dimension_key)
    try:
        index = open_index(fname, meta)
    except (OSError, RuntimeError) as exc:
        raise FormatError(f"cannot read the {kind} index {fname}: {exc}") from None
    if count_items(index) != len(meta["labels"]):
        raise FormatError(f"{fname} holds {count_items(index)} items for "
                          f"{len(meta['labels'])} labels")
    return index, meta
