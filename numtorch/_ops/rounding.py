"""Rounding: floor, ceil, round (with decimals), trunc, fix, frac.

Their derivative is zero almost everywhere and torch defines it as zero
everywhere (frac = x - trunc(x) passes the gradient through). Integer inputs
come back unchanged (as a copy) and bool inputs are refused, as in torch.
"""
from __future__ import annotations

__all__ = ["ceil", "ceil_", "fix", "fix_", "floor", "floor_", "frac", "frac_", "round", "round_", "trunc",
           "trunc_"]

import numpy as np

from .._tensor import bind_methods
from ..autograd.graph import Node
from . import dual
from ._core import record
from .pointwise import NONE, _refuse, _unary, _unary_inplace, _with_out, inplace_method, not_implemented_for


def _zero(g):
    return dual.zeros_like(g)


def _integers_unchanged(kernel_name):
    """Non-float forward of a rounding op: integers are already rounded; bool is refused."""
    def nonfloat(kernel):
        def run(x):
            if x.dtype.kind == "b":
                raise not_implemented_for(kernel_name, x.dtype)
            return x.copy()
        return run
    return nonfloat


floor = _unary("floor", np.floor, NONE, _zero, nonfloat=_integers_unchanged("floor_vml_cpu"))
ceil = _unary("ceil", np.ceil, NONE, _zero, nonfloat=_integers_unchanged("ceil_vml_cpu"))
trunc = _unary("trunc", np.trunc, NONE, _zero, nonfloat=_integers_unchanged("trunc_vml_cpu"))
_round_even = _unary("round", np.rint, NONE, _zero, nonfloat=_integers_unchanged("round_vml_cpu"))
frac = _unary("frac", lambda x: x - np.trunc(x), NONE, lambda g: g, nonfloat=_refuse("frac_cpu", "biu"))
fix = trunc


class RoundBackward1(Node):
    """round with decimals."""

    def backward(self, g):
        return dual.zeros_like(g),


def _round_decimals(x, decimals: int):
    """torch's kernel: scale by 10**|decimals| in the input's dtype, round half to even, scale back."""
    scale = np.asarray(10.0 ** abs(decimals), dtype=x.dtype)
    if decimals > 0:
        return np.rint(x * scale) / scale
    return np.rint(x / scale) * scale


def round(input, *, decimals=0, out=None):  # noqa: A001 - torch's name
    if decimals == 0:
        return _round_even(input, out=out)
    x = input._data
    if x.dtype.kind != "f":
        raise not_implemented_for("round_cpu", x.dtype)
    res = record(RoundBackward1, _round_decimals(x, decimals), (input,))
    return res if out is None else _with_out(res, out, "round")


floor_ = _unary_inplace(floor, "floor_")
ceil_ = _unary_inplace(ceil, "ceil_")
trunc_ = fix_ = _unary_inplace(trunc, "trunc_")
frac_ = _unary_inplace(frac, "frac_")
round_ = inplace_method(round, "round_")

bind_methods(floor=floor, ceil=ceil, round=round, trunc=trunc, fix=fix, frac=frac, floor_=floor_, ceil_=ceil_,
             round_=round_, trunc_=trunc_, fix_=fix_, frac_=frac_)
