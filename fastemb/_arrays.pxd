# cython: language_level=3
"""The kernels' boundary check: a numpy array handed to a kernel must have
the dtype it expects and be C-contiguous (the kernel then keeps a pointer to
its data); the error names the argument."""
cimport numpy as cnp


cdef inline void* data_pointer(object array, object dtype, str name,
                               bint allow_empty=False) except? NULL:
    """Pointer to a C-contiguous array's data after checking its dtype
    (NULL for an empty array when ``allow_empty``)."""
    if not isinstance(array, cnp.ndarray) or array.dtype != dtype or \
            not array.flags.c_contiguous:
        raise TypeError(f"{name} must be a C-contiguous {cnp.dtype(dtype).name} array")
    if array.size == 0:
        if allow_empty:
            return NULL
        raise ValueError(f"{name} must not be empty")
    return cnp.PyArray_DATA(array)
