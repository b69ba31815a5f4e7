"""Kernels of distributed synchronisation: the rows a replica changed in a
round, as half-precision changes, and such changes added to a copy of the
weights.

A round of distributed training ends with every replica sending the rows it
changed to the others, and every worker adding them to its copy. numpy does
each step in several passes over the whole matrix (subtract, compare, gather,
convert); these kernels do each in one pass without the GIL.

Half precision is IEEE binary16 rounded to nearest even, numpy's ``float16``
bit for bit. Compilers with the ``_Float16`` type convert with the CPU's
instructions (F16C on x86); others use the portable C conversions below,
which the tests check against numpy over every half value.
"""
import numpy as np

from libc.stdint cimport int32_t, uint16_t
from libc.string cimport memcmp

cdef extern from *:
    """
    #include <stdint.h>
    #include <string.h>

    /* float -> binary16, rounding to nearest even. */
    static inline uint16_t fe_to_half_portable(float value) {
        uint32_t bits, magnitude, sign, half, rest;
        memcpy(&bits, &value, sizeof bits);
        sign = (bits >> 16) & 0x8000u;
        magnitude = bits & 0x7fffffffu;
        if (magnitude >= 0x7f800000u)  /* infinity, or NaN kept quiet */
            return (uint16_t)(sign | 0x7c00u
                              | (magnitude > 0x7f800000u ? 0x200u | ((magnitude >> 13) & 0x3ffu)
                                                         : 0u));
        if (magnitude >= 0x477ff000u)  /* 65520 and above round to infinity */
            return (uint16_t)(sign | 0x7c00u);
        if (magnitude < 0x38800000u) {  /* below 2^-14: a subnormal half, or zero */
            uint32_t mantissa, shift, halfway;
            if (magnitude <= 0x33000000u)  /* up to 2^-25, the tie, which goes to zero */
                return (uint16_t)sign;
            mantissa = (magnitude & 0x7fffffu) | 0x800000u;
            shift = 126u - (magnitude >> 23);
            half = mantissa >> shift;
            rest = mantissa & ((1u << shift) - 1u);
            halfway = 1u << (shift - 1u);
            if (rest > halfway || (rest == halfway && (half & 1u)))
                half += 1u;  /* may carry into the smallest normal: still right */
            return (uint16_t)(sign | half);
        }
        half = (magnitude - 0x38000000u) >> 13;  /* exponent bias 127 -> 15 */
        rest = magnitude & 0x1fffu;
        if (rest > 0x1000u || (rest == 0x1000u && (half & 1u)))
            half += 1u;
        return (uint16_t)(sign | half);
    }

    /* binary16 -> float, exact. */
    static inline float fe_from_half_portable(uint16_t half) {
        uint32_t sign = (uint32_t)(half & 0x8000u) << 16;
        uint32_t exponent = (half >> 10) & 0x1fu, mantissa = half & 0x3ffu, bits;
        float value;
        if (exponent == 0x1fu) {
            bits = sign | 0x7f800000u | (mantissa << 13);
        } else if (exponent) {
            bits = sign | ((exponent + 112u) << 23) | (mantissa << 13);
        } else if (!mantissa) {
            bits = sign;
        } else {  /* subnormal: shift the mantissa up to its leading one */
            uint32_t e = 113u;
            while (!(mantissa & 0x400u)) {
                mantissa <<= 1;
                e -= 1u;
            }
            bits = sign | (e << 23) | ((mantissa & 0x3ffu) << 13);
        }
        memcpy(&value, &bits, sizeof value);
        return value;
    }

    #if defined(__FLT16_MANT_DIG__) && !defined(FASTEMB_PORTABLE_HALF)
    static inline uint16_t fe_to_half(float value) {
        _Float16 half = (_Float16)value;
        uint16_t bits;
        memcpy(&bits, &half, sizeof bits);
        return bits;
    }
    static inline float fe_from_half(uint16_t bits) {
        _Float16 half;
        memcpy(&half, &bits, sizeof half);
        return (float)half;
    }
    #define FE_NATIVE_HALF 1
    /* out = half(after - before) over a row: a loop the compiler turns into
       the CPU's vector conversions. */
    static inline void fe_difference_to_half(const float *after, const float *before,
                                             uint16_t *out, Py_ssize_t n) {
        _Float16 *halves = (_Float16 *)out;
        for (Py_ssize_t j = 0; j < n; j++)
            halves[j] = (_Float16)(after[j] - before[j]);
    }
    #else
    #define fe_to_half fe_to_half_portable
    #define fe_from_half fe_from_half_portable
    #define FE_NATIVE_HALF 0
    static inline void fe_difference_to_half(const float *after, const float *before,
                                             uint16_t *out, Py_ssize_t n) {
        for (Py_ssize_t j = 0; j < n; j++)
            out[j] = fe_to_half_portable(after[j] - before[j]);
    }
    #endif
    """
    uint16_t fe_to_half(float value) nogil
    void fe_difference_to_half(const float *after, const float *before, uint16_t *out,
                               Py_ssize_t n) nogil
    float fe_from_half(uint16_t bits) nogil
    uint16_t fe_to_half_portable(float value) nogil
    float fe_from_half_portable(uint16_t bits) nogil
    int FE_NATIVE_HALF

#: Whether the conversions use the compiler's ``_Float16`` (else portable C).
NATIVE_HALF = bool(FE_NATIVE_HALF)


def changed_rows_half(const float[:, ::1] before, const float[:, ::1] after):
    """The rows of ``after`` whose bits differ from ``before``'s, and by how much.

    Parameters
    ----------
    before, after : ndarray of float32, shape (n, dim), C-contiguous

    Returns
    -------
    rows : ndarray of int32
        Increasing.
    change : ndarray of float16, shape (len(rows), dim)
        ``after[rows] - before[rows]``, rounded to half precision.

    Raises
    ------
    ValueError
        The two arrays differ in shape.
    """
    if before.shape[0] != after.shape[0] or before.shape[1] != after.shape[1]:
        raise ValueError(f"before and after differ in shape: ({before.shape[0]}, "
                         f"{before.shape[1]}) and ({after.shape[0]}, {after.shape[1]})")
    cdef Py_ssize_t n = before.shape[0], dim = before.shape[1], i, count = 0
    # one pass, each row compared as bytes (libc's vector compare) and, when
    # it moved, converted at once while it is in cache; the outputs are
    # sized for every row and cut to those that moved
    rows = np.empty(n, dtype=np.int32)
    change = np.empty((n, dim), dtype=np.float16)
    cdef int32_t[::1] rows_view = rows
    cdef uint16_t[:, ::1] bits = change.view(np.uint16)
    cdef size_t row_bytes = dim * sizeof(float)
    if dim:
        with nogil:
            for i in range(n):
                if memcmp(&after[i, 0], &before[i, 0], row_bytes) != 0:
                    rows_view[count] = <int32_t>i
                    fe_difference_to_half(&after[i, 0], &before[i, 0], &bits[count, 0], dim)
                    count += 1
    rows, change = rows[:count], change[:count]
    return rows, change


def add_half_rows(float[:, ::1] target, const int32_t[::1] rows, change):
    """``target[rows] += change`` for a half-precision ``change``, in place.

    Parameters
    ----------
    target : ndarray of float32, shape (n, dim), C-contiguous
    rows : ndarray of int32
        Rows of ``target`` (a row given twice is added twice).
    change : ndarray of float16, shape (len(rows), dim), C-contiguous

    Raises
    ------
    ValueError
        ``change`` does not have one row of ``dim`` values for each of
        ``rows``, or a row is outside ``target``.
    """
    if change.dtype != np.float16 or change.ndim != 2:
        raise ValueError(f"change must be a 2-D float16 array, got {change.ndim}-D "
                         f"{change.dtype}")
    cdef const uint16_t[:, ::1] bits = np.ascontiguousarray(change).view(np.uint16)
    cdef Py_ssize_t n = target.shape[0], dim = target.shape[1], count = rows.shape[0], k, j
    cdef int32_t row, bad = -1
    if bits.shape[0] != count or bits.shape[1] != dim:
        raise ValueError(f"change has shape ({bits.shape[0]}, {bits.shape[1]}); "
                         f"expected ({count}, {dim})")
    with nogil:
        for k in range(count):  # all checked first: a bad delta leaves the weights as they were
            if rows[k] < 0 or rows[k] >= n:
                bad = rows[k]
                break
    if bad != -1:
        raise ValueError(f"row {bad} is outside the {n} rows of the weights")
    with nogil:
        for k in range(count):
            row = rows[k]
            for j in range(dim):
                target[row, j] += fe_from_half(bits[k, j])


def half_bits_portable(const float[::1] values):
    """``values`` rounded to half precision by the portable C conversion,
    as the bits of each half (for tests: the fast path may not use it)."""
    out = np.empty(values.shape[0], dtype=np.uint16)
    cdef uint16_t[::1] view = out
    cdef Py_ssize_t i
    with nogil:
        for i in range(values.shape[0]):
            view[i] = fe_to_half_portable(values[i])
    return out


def floats_from_half_bits_portable(const uint16_t[::1] bits):
    """The floats of half-precision ``bits`` by the portable C conversion
    (for tests)."""
    out = np.empty(bits.shape[0], dtype=np.float32)
    cdef float[::1] view = out
    cdef Py_ssize_t i
    with nogil:
        for i in range(bits.shape[0]):
            view[i] = fe_from_half_portable(bits[i])
    return out
