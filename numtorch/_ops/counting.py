"""Counting, membership, histogram and integer pointwise ops: integer or boolean results, no gradient.

bincount, histc, isin, tril_indices, triu_indices, gcd, lcm, and nextafter (float bit stepping,
which torch does not differentiate either).
"""
from __future__ import annotations

import numpy as np

from .._tensor import Tensor, bind_methods, wrap
from .. import _dtype
from ._operands import binary_operands
from .pointwise import _need_tensor, _with_out, not_implemented_for
from .inplace import inplace

__all__ = ["bincount", "histc", "isin", "tril_indices", "triu_indices", "gcd", "gcd_", "lcm", "lcm_", "nextafter"]


def bincount(input, weights=None, minlength=0):
    x = input._data
    if x.dtype.kind not in "iub":
        raise not_implemented_for("bincount_cpu", x.dtype)
    if x.ndim != 1 or (x.size and x.min() < 0):
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    if weights is None:
        return wrap(np.bincount(x, minlength=minlength).astype(np.int64))
    w = weights._data
    if w.ndim != 1 or w.shape[0] != x.shape[0]:
        raise RuntimeError("weights should be 1-d and have the same length as input")
    out_dt = w.dtype if w.dtype.kind == "f" else np.dtype(np.float64)
    return wrap(np.bincount(x, weights=w.astype(np.float64), minlength=minlength).astype(out_dt))


def histc(input, bins=100, min=0, max=0, *, out=None):  # noqa: A002 - torch's names
    x = input._data
    if x.dtype.kind != "f":
        raise not_implemented_for("histogram_cpu", x.dtype)
    if bins <= 0:
        raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for dimension 0")
    lo, hi = x.dtype.type(min), x.dtype.type(max)
    if lo == hi and x.size:
        lo, hi = x.min(), x.max()
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if lo > hi:
        raise RuntimeError("torch.histc: max must be larger than min")
    flat = x.reshape(-1)
    flat = flat[(flat >= lo) & (flat <= hi)]
    # torch's bin: (x - lo) * bins / (hi - lo), truncated, in x's dtype; x == hi joins the last bin
    pos = ((flat - lo) * x.dtype.type(bins) / (hi - lo)).astype(np.int64)
    pos[pos == bins] = bins - 1
    res = wrap(np.bincount(pos, minlength=bins).astype(x.dtype))
    return res if out is None else _with_out(res, out, "histc")


def isin(elements, test_elements, *, assume_unique=False, invert=False):
    if not isinstance(elements, Tensor) and not isinstance(test_elements, Tensor):
        raise TypeError("isin() received an invalid combination of arguments - got (Number, Number)")
    a = elements._data if isinstance(elements, Tensor) else np.asarray(elements)
    b = test_elements._data if isinstance(test_elements, Tensor) else np.asarray(test_elements)
    return wrap(np.isin(a, b, invert=invert))


def _tri_indices(kind, pick):
    def op(row, col, offset=0, *, dtype=None, device=None, layout=None, requires_grad=False, pin_memory=False):
        np_dt = (dtype or _dtype.int64).np
        if np_dt.kind not in "iu":
            raise not_implemented_for(kind, np_dt)
        if row < 0 or col < 0:
            raise RuntimeError(f"row must be non-negative, got{row}" if row < 0 else f"col must be non-negative, got{col}")
        r, c = pick(row, offset, col)
        return wrap(np.stack([r, c]).astype(np_dt).reshape(2, -1))
    op.__name__ = kind
    return op


tril_indices = _tri_indices("tril_indices", np.tril_indices)
triu_indices = _tri_indices("triu_indices", np.triu_indices)


def _integer_binary(name, ufunc, kinds="iub"):
    kernel = f"{name}_cpu"

    def op(input, other, *, out=None):
        _need_tensor(name, "input", 1, input)
        _need_tensor(name, "other", 2, other)
        x, y, dt = binary_operands(input, other)
        rt = dt or np.result_type(x, y)
        if rt.kind not in kinds:
            raise not_implemented_for(kernel, rt)
        res = wrap(np.asarray(ufunc(x, y, dtype=rt) if dt is not None else ufunc(x, y)))
        return res if out is None else _with_out(res, out, name)
    op.__name__ = name
    return op


gcd = _integer_binary("gcd", np.gcd, "iu")
lcm = _integer_binary("lcm", np.lcm, "iu")
nextafter = _integer_binary("nextafter", np.nextafter, "f")


def _inplace_of(fn):
    def method(self, other):
        return inplace(self, fn, (other,))
    method.__name__ = fn.__name__ + "_"
    return method


gcd_, lcm_ = _inplace_of(gcd), _inplace_of(lcm)

bind_methods(bincount=bincount, histc=histc, gcd=gcd, gcd_=gcd_, lcm=lcm, lcm_=lcm_, nextafter=nextafter,
             nextafter_=_inplace_of(nextafter))
