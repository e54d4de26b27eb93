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

__all__ = ["binary_operands", "float_array", "is_scalar"]

_ndarray = np.ndarray
_NUMBER = (int, float, bool)


def is_scalar(x) -> bool:
    return isinstance(x, _NUMBER) or isinstance(x, np.generic)


def _torch_dtype_of_arrays(x, y):
    dims, zeros = [], []
    for a in (x, y):
        (dims if a.ndim else zeros).append(_dtype.from_np(a.dtype))
    return _dtype.result_type_of(dims, zeros, []).np


def binary_operands(a, b, true_divide: bool = False):
    """(x, y, dtype): NumPy operands and torch's result dtype where NumPy's would differ."""
    x = a._data if isinstance(a, Tensor) else a
    y = b._data if isinstance(b, Tensor) else b
    if type(x) is _ndarray and type(y) is _ndarray:
        dt = None if x.dtype == y.dtype else _torch_dtype_of_arrays(x, y)
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
        elif type(s) is int and kind == "b":
            kind = "i"
    if true_divide and kind != "f":
        dt = _dtype.get_default_dtype().np
    return x, y, dt


def float_array(t: Tensor):
    """t's array, cast to the default float dtype when it is not floating (torch's int->float ops)."""
    x = t._data
    if x.dtype.kind != "f":
        return x.astype(_dtype.get_default_dtype().np)
    return x
