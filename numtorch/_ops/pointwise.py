"""Elementwise ops and their derivative rules.

Unary ops are one table row each: (name, NumPy kernel, what to save, rule).
A rule maps (grad, saved) to the input's grad using operators and `dual`
functions only, so it serves first and higher-order derivatives alike.
Binary arithmetic has hand-written forwards (scalars, alpha, dtype rules) but
rules of the same kind. Broadcasting needs no code here: the engine reduces
each gradient to its input's shape.
"""
from __future__ import annotations

__all__ = ["add", "cos", "div", "divide", "exp", "floor_divide", "log", "mul", "multiply", "neg", "negative", "pow", "rsub", "sigmoid", "sin", "sqrt", "sub", "subtract", "tanh", "true_divide"]

import math

import numpy as np

from .._tensor import Tensor, bind_methods
from ..autograd.graph import Node
from . import dual
from ._core import OUT, record
from ._operands import binary_operands, float_array
from .inplace import inplace

# -- binary arithmetic ------------------------------------------------------------


def _binary(cls, ufunc, a, b, saved=(), attrs=None, true_divide=False):
    x, y, dt = binary_operands(a, b, true_divide)
    data = ufunc(x, y) if dt is None else ufunc(x, y, dtype=dt)
    return record(cls, data, (a, b), saved, attrs)


class AddBackward0(Node):
    alpha = 1

    def backward(self, g):
        return g, (g if self.alpha == 1 else g * self.alpha)


class SubBackward0(Node):
    alpha = 1

    def backward(self, g):
        return g, (-g if self.alpha == 1 else g * -self.alpha)


class RsubBackward1(Node):
    alpha = 1

    def backward(self, g):
        return (-g if self.alpha == 1 else g * -self.alpha),


class MulBackward0(Node):
    def backward(self, g, a, b):
        return g * b, (g * a if self._next[1] is not None else None)


class DivBackward0(Node):
    def backward(self, g, a, b):
        ga = g / b
        return ga, (-ga * a / b if self._next[1] is not None else None)


class NegBackward0(Node):
    def backward(self, g):
        return -g,


def add(input, other, *, alpha=1, out=None):
    if alpha != 1:
        other = mul(other, alpha) if isinstance(other, Tensor) else other * alpha
        return _with_out(_binary(AddBackward0, np.add, input, other, attrs={"alpha": 1}), out)
    return _with_out(_binary(AddBackward0, np.add, input, other), out)


def sub(input, other, *, alpha=1, out=None):
    if isinstance(input, Tensor) and input._data.dtype.kind == "b" and \
            isinstance(other, Tensor) and other._data.dtype.kind == "b":
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. Use the "
                           "`^` or `logical_xor()` operator instead.")
    if alpha != 1:
        other = mul(other, alpha) if isinstance(other, Tensor) else other * alpha
    return _with_out(_binary(SubBackward0, np.subtract, input, other), out)


def rsub(input, other, *, alpha=1):
    """other - alpha * input, for a scalar `other` (torch.rsub)."""
    if isinstance(other, Tensor):
        return sub(other, input, alpha=alpha)
    scaled = input if alpha == 1 else mul(input, alpha)
    x, y, dt = binary_operands(other, scaled)
    data = np.subtract(x, y) if dt is None else np.subtract(x, y, dtype=dt)
    return record(RsubBackward1, data, (input,))


def mul(input, other, *, out=None):
    return _with_out(_binary(MulBackward0, np.multiply, input, other, (input, other)), out)


def div(input, other, *, rounding_mode=None, out=None):
    if rounding_mode is None:
        return _with_out(_binary(DivBackward0, np.true_divide, input, other, (input, other),
                                 true_divide=True), out)
    if rounding_mode == "trunc":
        res = _binary(DivBackward0, np.true_divide, input, other, (input, other), true_divide=True)
        from .rounding import trunc
        return _with_out(_keep_int_dtype(trunc(res), input, other), out)
    if rounding_mode == "floor":
        return _with_out(floor_divide(input, other), out)
    raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
                       f"'{rounding_mode}'")


def _keep_int_dtype(res, a, b):
    x, y, dt = binary_operands(a, b)
    natural = np.result_type(x, y) if dt is None else dt
    return res if np.dtype(natural).kind == "f" else res.to(_np_to_dtype(natural))


def _np_to_dtype(d):
    from .._dtype import from_np
    return from_np(np.dtype(d))


class FloorDivideBackward0(Node):
    def backward(self, g):
        return dual.zeros_like(g), None


def floor_divide(input, other, *, out=None):
    x, y, dt = binary_operands(input, other)
    data = np.floor_divide(x, y) if dt is None else np.floor_divide(x, y, dtype=dt)
    return _with_out(record(FloorDivideBackward0, data, (input, other)), out)


def true_divide(input, other, *, out=None):
    return div(input, other, out=out)


def neg(input, *, out=None):
    if input._data.dtype.kind == "b":
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If you are trying "
                           "to invert a mask, use the `~` or `logical_not()` operator instead.")
    return _with_out(record(NegBackward0, np.negative(input._data), (input,)), out)


negative = neg


class PowBackward0(Node):
    """tensor ** number."""

    def backward(self, g, x):
        p = self.exponent
        if p == 0:
            return dual.zeros_like(g),
        return g * p * x ** (p - 1),


class PowBackward1(Node):
    """tensor ** tensor."""

    def backward(self, g, x, p, out):
        gx = gp = None
        if self._next[0] is not None:
            gx = dual.where(dual.data(p) == 0, 0.0, g * p * x ** (p - 1))
        if self._next[1] is not None:
            zero_base = (dual.data(x) == 0) & (dual.data(p) >= 0)
            gp = dual.where(zero_base, 0.0, g * out * dual.log(x))
        return gx, gp


class PowBackward2(Node):
    """number ** tensor."""

    def backward(self, g, out):
        base = self.base
        if base == 0:
            return dual.where(dual.data(out) == 0, 0.0, g * 0.0),
        return g * out * math.log(base),


def pow(input, exponent, *, out=None):  # noqa: A001 - torch's name
    if not isinstance(input, Tensor):
        x, y, dt = binary_operands(input, exponent)
        data = np.power(x, y) if dt is None else np.power(x, y, dtype=dt)
        return _with_out(record(PowBackward2, data, (exponent,), (OUT,), {"base": input}), out)
    if isinstance(exponent, Tensor):
        x, y, dt = binary_operands(input, exponent)
        data = _int_power(x, y, dt)
        return _with_out(record(PowBackward1, data, (input, exponent), (input, exponent, OUT)), out)
    if isinstance(exponent, np.generic):
        exponent = exponent.item()
    x, y, dt = binary_operands(input, exponent)
    if exponent == 2 and dt is None:
        data = np.square(x)
    elif exponent == 0.5 and dt is None:
        data = np.sqrt(x)
    else:
        data = _int_power(x, y, dt)
    return _with_out(record(PowBackward0, data, (input,), (input,), {"exponent": exponent}), out)


def _int_power(x, y, dt):
    if (dt or np.result_type(x, y)).kind in "iu" and np.any(np.asarray(y) < 0):
        raise RuntimeError("Integers to negative integer powers are not allowed.")
    return np.power(x, y) if dt is None else np.power(x, y, dtype=dt)


def _with_out(result, out):
    if out is None:
        return result
    from .inplace import check_inplace
    check_inplace(out)
    if out._data.shape != result._data.shape:
        out._data = np.empty(result._data.shape, out._data.dtype)
    np.copyto(out._data, result._data, casting="unsafe")
    out._vc[0] += 1
    return out


# -- unary ops from a table ---------------------------------------------------------

X, Y = "x", "y"   # a rule reads the input (X) or the output (Y)


def _unary(name: str, kernel, saves: str, rule, node_name: str | None = None, int_to_float: bool = True):
    """Build op `name`: forward `kernel` on arrays, derivative `rule(grad, saved)`."""
    cls_name = node_name or "".join(p.capitalize() for p in name.split("_")) + "Backward0"
    node_cls = type(cls_name, (Node,), {"backward": lambda self, g, s: (rule(g, s),),
                                        "__doc__": f"Derivative of {name}."})
    saved = (OUT,) if saves == Y else None

    def op(input, *, out=None):
        x = float_array(input) if int_to_float else input._data
        res = record(node_cls, kernel(x), (input,), saved or (input,))
        return res if out is None else _with_out(res, out)

    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"torch.{name}: elementwise, differentiable."
    return op


def _sigmoid(x):
    out = np.empty_like(x)
    pos = x >= 0
    z = np.exp(-np.abs(x))
    np.divide(1, 1 + z, out=out, where=pos)
    np.divide(z, 1 + z, out=out, where=~pos)
    return out


exp = _unary("exp", np.exp, Y, lambda g, y: g * y)
log = _unary("log", np.log, X, lambda g, x: g / x)
sin = _unary("sin", np.sin, X, lambda g, x: g * dual.cos(x))
cos = _unary("cos", np.cos, X, lambda g, x: -g * dual.sin(x))
tanh = _unary("tanh", np.tanh, Y, lambda g, y: g * (1 - y * y))
sigmoid = _unary("sigmoid", _sigmoid, Y, lambda g, y: g * y * (1 - y))
sqrt = _unary("sqrt", np.sqrt, Y, lambda g, y: g / (2 * y))


# -- Tensor methods and operators -----------------------------------------------------

def _reflect(fn):
    def reflected(self, other):
        return fn(other, self)
    return reflected


def _guard(fn):
    """Operator form: NotImplemented for operand types torch does not accept."""
    def op(self, other):
        if not isinstance(other, (Tensor, int, float, bool, np.generic, np.ndarray)):
            return NotImplemented
        return fn(self, other)
    return op


def _inplace_binary(name, ufunc, fn):
    def method(self, other, **kwargs):
        def fast(arr):
            x, y, dt = binary_operands(self, other, name == "div")
            if dt is not None or (isinstance(y, np.ndarray) and y.dtype != arr.dtype):
                res = ufunc(x, y) if dt is None else ufunc(x, y, dtype=dt)
                from .inplace import _check_cast
                _check_cast(res, self, name)
                np.copyto(arr, res, casting="unsafe")
            else:
                ufunc(arr, y, out=arr)
        if kwargs:
            return inplace(self, fn, (other,), kwargs)
        return inplace(self, fn, (other,), fast=fast)
    method.__name__ = name + "_"
    return method


bind_methods(
    add=add, sub=sub, subtract=sub, mul=mul, multiply=mul, div=div, divide=div, true_divide=true_divide,
    floor_divide=floor_divide, neg=neg, negative=neg, pow=pow,
    __add__=_guard(add), __radd__=_guard(_reflect(add)), __sub__=_guard(sub),
    __rsub__=_guard(lambda self, other: rsub(self, other)),
    __mul__=_guard(mul), __rmul__=_guard(_reflect(mul)), __truediv__=_guard(div),
    __rtruediv__=_guard(_reflect(div)), __floordiv__=_guard(floor_divide),
    __rfloordiv__=_guard(_reflect(floor_divide)), __pow__=_guard(pow), __rpow__=_guard(_reflect(pow)),
    __neg__=neg, __pos__=lambda self: self,
    __iadd__=_inplace_binary("add", np.add, add), __isub__=_inplace_binary("sub", np.subtract, sub),
    __imul__=_inplace_binary("mul", np.multiply, mul), __itruediv__=_inplace_binary("div", np.true_divide, div),
    add_=_inplace_binary("add", np.add, add), sub_=_inplace_binary("sub", np.subtract, sub),
    mul_=_inplace_binary("mul", np.multiply, mul), div_=_inplace_binary("div", np.true_divide, div),
    pow_=lambda self, exponent: inplace(self, pow, (exponent,)),
    neg_=lambda self: inplace(self, neg, fast=lambda a: np.negative(a, out=a)),
    exp=exp, log=log, sin=sin, cos=cos, tanh=tanh, sigmoid=sigmoid, sqrt=sqrt,
)

divide, multiply, subtract = div, mul, sub
