"""Weight matrices as checked attributes.

Users assign weights directly (``model.wv.vectors = pretrained``,
gensim 3's ``model.wv.syn0 = np.random.uniform(...)``) and expect training
to go on from them. The kernels need C-ordered float32 rows, so an attribute
made with :func:`matrix_attribute` stores what it is given in that form at
assignment, and refuses at once what could never train: a value that is not
a real-valued matrix, or one whose shape does not fit the owner.
"""
import numpy as np

__all__ = ["matrix_attribute", "as_weight_matrix"]


def as_weight_matrix(value, name, dtype=np.float32):
    """``value`` as a C-ordered 2-d array of ``dtype``; a float32 C-ordered
    array (a ``np.memmap`` included) is kept as it is.

    Parameters
    ----------
    value : array_like
    name : str
        The attribute's name, for errors.
    dtype : numpy dtype
        A floating dtype.

    Raises
    ------
    TypeError
        ``value`` is not a numeric array (strings, objects, booleans, complex).
    ValueError
        ``value`` is not two-dimensional.
    """
    if isinstance(value, np.ndarray) and value.dtype == dtype and value.ndim == 2 \
            and value.flags.c_contiguous:
        return value
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as error:
        raise TypeError(f"{name} must be a real-valued matrix, got {type(value).__name__}: "
                        f"{error}") from None
    if array.dtype.kind not in "iuf":
        raise TypeError(f"{name} must be a real-valued matrix, got an array of dtype "
                        f"{array.dtype}")
    if array.ndim != 2:
        raise ValueError(f"{name} must be a matrix (rows, dimension), got shape {array.shape}")
    return np.ascontiguousarray(array, dtype=dtype)


def matrix_attribute(name, rows, doc, width=lambda owner: owner.vector_size):
    """A data descriptor for the weight matrix ``name`` of an owner, as wide
    as ``width(owner)`` (the owner's ``vector_size`` by default).

    Parameters
    ----------
    name : str
        The public name; the array is kept in the instance under ``_name``.
    rows : callable
        ``rows(owner)`` gives the row counts the owner accepts now: a tuple of
        them, or an int ``n`` for "at least ``n``". Not asked while the owner
        is being built (it has no matrix yet).
    doc : str
    width : callable, optional
        ``width(owner)`` gives the matrix's width.

    Returns
    -------
    property
    """
    slot = "_" + name

    def get(self):
        return getattr(self, slot)

    def put(self, value):
        current = self.__dict__.get(slot)
        dtype = current.dtype if current is not None and current.dtype.kind == "f" \
            else np.float32
        array = as_weight_matrix(value, name, dtype)
        if current is not None:
            _check_shape(name, array.shape, rows(self), width(self))
        setattr(self, slot, array)

    return property(get, put, doc=doc)


def _check_shape(name, shape, rows, width):
    if isinstance(rows, int):
        if shape[0] < rows or shape[1] != width:
            raise ValueError(f"{name} must have shape (at least {rows}, {width}), got {shape}")
    elif shape[1] != width or shape[0] not in rows:
        expected = " or ".join(str((count, width)) for count in rows)
        raise ValueError(f"{name} must have shape {expected}, got {shape}")
