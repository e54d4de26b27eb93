"""Turning op arguments into arrays, with torch's dtype rules.

Ops call `binary_operands` for two-operand arithmetic: it returns the arrays
(or weak Python scalars) to hand NumPy and, only when torch's result dtype
differs from what NumPy would produce, that dtype. The same-dtype case, by far
the most common, returns without computing anything.
"""
from __future__ import annotations

import numpy as np

from .. import _dtype
from .._tensor import Tensor

__all__ = ["binary_operands", "float_array", "is_scalar", "wrap_int", "checked_int"]

_ndarray = np.ndarray
_NUMBER = (int, float, bool)


def is_scalar(x) -> bool:
    return isinstance(x, _NUMBER) or isinstance(x, np.generic)


def _torch_dtype_of_arrays(x, y):
    dims, zeros = [], []
    for a in (x, y):
        (dims if a.ndim else zeros).append(_dtype.from_np(a.dtype))
    return _dtype.result_type_of(dims, zeros, []).np


def _narrowed(a, dt):
    """A 0-d operand cast to the (narrower) result dtype it lost promotion to, wrapping as torch
    does (uint8 tensor + tensor(300) adds 44); NumPy refuses such casts inside a ufunc."""
    if a.ndim == 0 and a.dtype != dt and not np.can_cast(a.dtype, dt, "same_kind"):
        return a.astype(dt)
    return a


def binary_operands(a, b, true_divide: bool = False):
    """(x, y, dtype): NumPy operands and torch's result dtype where NumPy's would differ."""
    x = a._data if isinstance(a, Tensor) else a
    y = b._data if isinstance(b, Tensor) else b
    if type(x) is _ndarray and type(y) is _ndarray:
        if x.dtype == y.dtype:
            dt = None
        else:
            dt = _torch_dtype_of_arrays(x, y)
            if not true_divide:
                x, y = _narrowed(x, dt), _narrowed(y, dt)
        kind = (dt or x.dtype).kind
    else:
        if type(x) is _ndarray:
            arr, s = x, y
        elif type(y) is _ndarray:
            arr, s = y, x
        else:
            raise TypeError(f"expected a Tensor operand, got {type(a).__name__} and {type(b).__name__}")
        if isinstance(s, np.generic):
            s = s.item()
            x, y = (arr, s) if arr is x else (s, arr)
        elif not isinstance(s, _NUMBER):
            raise TypeError(f"unsupported operand type: {type(s).__name__}")
        kind = arr.dtype.kind
        dt = None
        if type(s) is float and kind != "f":
            dt = _dtype.get_default_dtype().np
            kind = "f"
        elif type(s) is int and kind != "f":
            if kind == "b":
                kind = "i"
            elif not (true_divide or 0 <= s <= 127):   # 0..127 fits every integer dtype
                lo, hi, span = _INT_RANGE[arr.dtype]
                if not lo <= s <= hi:
                    s = wrap_int(s, lo, span)
                    x, y = (arr, s) if arr is x else (s, arr)
    if true_divide and kind != "f":
        dt = _dtype.get_default_dtype().np
    return x, y, dt


_INT_RANGE = {np.dtype(t): (int(np.iinfo(t).min), int(np.iinfo(t).max), 1 << (8 * np.dtype(t).itemsize))
              for t in (np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64)}


def wrap_int(s: int, lo: int, span: int) -> int:
    """An out-of-range Python int operand of integer arithmetic or comparison, as torch sees it.

    torch turns the int into a 64-bit Scalar (OverflowError outside [-2**63, 2**64)) and then
    casts it to the tensor's dtype with two's-complement wrap-around: uint8 250 + 300 is 38.
    """
    if s >= 1 << 64:
        raise OverflowError("int too big to convert")
    if s < -(1 << 63):
        raise OverflowError("can't convert negative int to unsigned")
    return (s - lo) % span + lo


def checked_int(value, np_dt: np.dtype):
    """A Python int given as a Scalar argument (fill_, clamp, alpha, where, masked_fill, pow, setitem)
    to an integer dtype, checked as torch checks it: no wrap-around, except that unsigned types take
    negatives down to -max (uint8: -1 becomes 255). Other values pass through unchanged."""
    if type(value) is int and np_dt.kind in "iu":
        lo, hi, span = _INT_RANGE[np_dt]
        if not (-hi if np_dt.kind == "u" else lo) <= value <= hi:
            raise RuntimeError(f"value cannot be converted to type {np_dt.name}_t without overflow")
        if value < lo:
            value += span
    return value


def float_array(t: Tensor):
    """t's array, cast to the default float dtype when it is not floating (torch's int->float ops)."""
    x = t._data
    if x.dtype.kind != "f":
        return x.astype(_dtype.get_default_dtype().np)
    return x
