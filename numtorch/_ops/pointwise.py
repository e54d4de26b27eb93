"""Elementwise ops and their derivative rules.

Unary ops are one table row each: (name, NumPy kernel, what to save, rule).
A rule maps (grad, saved) to the input's grad using operators and `dual`
functions only, so it serves first and higher-order derivatives alike.
Binary arithmetic has hand-written forwards (scalars, alpha, dtype rules) but
rules of the same kind. Broadcasting needs no code here: the engine reduces
each gradient to its input's shape.

Where torch's derivative is a convention rather than a limit (ties of
maximum, the kink of abs, clamp at its bounds, ...), a rule picks the
gradient with a mask computed from the saved data: the mask is a constant, so
the second derivative sees the same convention torch's does. Rules keep the
shape of torch's formulas (masking with where vs multiplying by a mask, which
factor the grad multiplies), because that decides where a NaN or an infinity
at a special point survives, in the first and in the second derivative.

In-place forms (`add_`, `exp_`, ...) run the op out of place and write the
result back (`inplace`); when no graph is recorded (optimizer steps, no_grad
code) a fast path updates the array directly.
"""
from __future__ import annotations

import math

import numpy as np

from .. import _dtype
from .._tensor import Tensor, bind_methods, wrap
from ..autograd.grad_mode import _state
from ..autograd.graph import Node
from . import _erf, _loops, dual
from ._core import OUT, record
from ._fma import muladd
from ._operands import binary_operands, checked_int
from .inplace import _check_cast, inplace

_ndarray = np.ndarray
_LN2 = math.log(2.0)
_LN10 = math.log(10.0)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_HALF_SQRT_PI = 0.5 * math.sqrt(math.pi)

# -- shared helpers ---------------------------------------------------------------------------


def _not_tensor(fn: str, arg: str, pos: int, value) -> TypeError:
    return TypeError(f"{fn}(): argument '{arg}' (position {pos}) must be Tensor, not {type(value).__name__}")


def _need_tensor(fn: str, arg: str, pos: int, value) -> None:
    if not isinstance(value, Tensor):
        raise _not_tensor(fn, arg, pos, value)


def _shape(x) -> tuple:
    return x.shape if isinstance(x, (_ndarray, np.generic)) else ()


def broadcast_error(err, *operands):
    """torch's RuntimeError for operands whose shapes do not broadcast; `err` when they do."""
    shapes = [_shape(o._data if isinstance(o, Tensor) else o) for o in operands]
    a = shapes[0]
    for b in shapes[1:]:
        n = max(len(a), len(b))
        pa, pb = (1,) * (n - len(a)) + tuple(a), (1,) * (n - len(b)) + tuple(b)
        for i in range(n - 1, -1, -1):
            if pa[i] != pb[i] and pa[i] != 1 and pb[i] != 1:
                return RuntimeError(f"The size of tensor a ({pa[i]}) must match the size of tensor b ({pb[i]}) "
                                    f"at non-singleton dimension {i}")
        a = tuple(q if p == 1 else p for p, q in zip(pa, pb))
    return err


def _dtype_name(np_dt) -> str:
    """torch's short type name (Float, Long, ...) as its kernel-dispatch errors print it."""
    return {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long", "int32": "Int",
            "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}[np.dtype(np_dt).name]


def not_implemented_for(kernel: str, np_dt) -> NotImplementedError:
    return NotImplementedError(f'"{kernel}" not implemented for \'{_dtype_name(np_dt)}\'')


def result_np_dtype(*operands):
    """torch's result dtype (as a NumPy dtype) over tensors, Python numbers and None (ignored).

    Fast when the tensors share a dtype that the numbers cannot change (a float dtype, or an
    integer one with integer numbers): the common case of clamp(x, 0, 1) or where(c, x, 0.0)."""
    first, numbers = None, 0
    for o in operands:
        if isinstance(o, Tensor):
            d = o._data.dtype
            if first is None:
                first = d
            elif d != first:
                return _dtype.result_type(*(o for o in operands if o is not None)).np
        elif o is not None:
            t = type(o)
            if t is float:
                numbers |= 2
            elif t is int:
                numbers |= 1
            elif t is not bool:
                return _dtype.result_type(*(o for o in operands if o is not None)).np
    if first is not None and (first.kind == "f" or (first.kind in "iu" and numbers < 2) or not numbers):
        return first
    return _dtype.result_type(*(o for o in operands if o is not None)).np


def _as(x, np_dt):
    """An operand's array (or Python number) in dtype np_dt."""
    if isinstance(x, Tensor):
        x = x._data
        return x if x.dtype == np_dt else x.astype(np_dt)
    return checked_int(x, np_dt)


def _with_out(result, out, name=None):
    """Write `result` into a user-given out= tensor, with torch's checks."""
    if out is None:
        return result
    if result.grad_fn is not None:
        raise RuntimeError(f"{name or 'op'}(): functions with out=... arguments don't support automatic "
                           "differentiation, but one of the arguments requires grad.")
    from .inplace import check_inplace
    check_inplace(out)
    _check_cast(result._data, out, name or "op")
    if out._data.shape != result._data.shape:
        out._data = np.empty(result._data.shape, out._data.dtype)
    np.copyto(out._data, result._data, casting="unsafe")
    out._vc[0] += 1
    return out


def _zeros_rule(n: int):
    """backward of an op whose derivative torch defines as zero for each of its n inputs."""
    def backward(self, g, *saved):
        z = dual.zeros_like(g)
        return tuple(z if e is not None else None for e in self._next) if n > 1 else (z,)
    return backward


def _zero_node(name: str, n: int = 1):
    return type(name, (Node,), {"backward": _zeros_rule(n), "__doc__": "torch defines this derivative as 0."})


class _NotImplementedNode(Node):
    """torch's grad_fn for ops without a derivative: recorded, but backward through it raises."""

    op = "op"

    def name(self) -> str:
        return "torch::autograd::NotImplemented"

    def backward(self, g):
        raise RuntimeError(f"derivative for aten::{self.op} is not implemented")


_NotImplementedNode.__name__ = _NotImplementedNode.__qualname__ = "NotImplemented"


def _no_derivative(op: str, data, *inputs):
    """Record `data` with torch's NotImplemented node (its edges: the inputs that require grad)."""
    edges = tuple(t for t in inputs if isinstance(t, Tensor) and t._requires_grad)
    return record(_NotImplementedNode, data, edges, attrs={"op": op})


def _masked(g, mask):
    """g where the (constant) mask holds, 0 elsewhere."""
    return dual.where(mask, g, 0.0)


def _int_zero_division(x, y, dt):
    """torch raises for integer division by zero (NumPy would warn and return 0)."""
    kind = dt.kind if dt is not None else np.result_type(x, y).kind
    if kind in "iub" and np.any(np.asarray(y) == 0):
        raise RuntimeError("ZeroDivisionError")


# -- binary arithmetic ------------------------------------------------------------


def _apply(ufunc, x, y, dt):
    """ufunc(x, y) in torch's result dtype (None: NumPy's is right), with torch's broadcasting error.

    `ufunc` is a NumPy ufunc or a function with the same (x, y, dtype=None) signature."""
    try:
        return ufunc(x, y) if dt is None else ufunc(x, y, dtype=dt)
    except ValueError as e:
        raise broadcast_error(e, x, y) from None


def _binary(cls, ufunc, a, b, saved=(), attrs=None, to_float=False):
    x, y, dt = binary_operands(a, b, to_float)
    return record(cls, _apply(ufunc, x, y, dt), (a, b), saved, attrs)


class AddBackward0(Node):
    alpha = 1

    def backward(self, g):
        return g, (g if self.alpha == 1 else g * self.alpha)


class SubBackward0(Node):
    alpha = 1

    def backward(self, g):
        return g, (-g if self.alpha == 1 else g * -self.alpha)


class RsubBackward0(Node):
    """other - alpha * input, both tensors."""
    alpha = 1

    def backward(self, g):
        return (-g if self.alpha == 1 else g * -self.alpha), g


class RsubBackward1(Node):
    """number - alpha * input."""
    alpha = 1

    def backward(self, g):
        return (-g if self.alpha == 1 else g * -self.alpha),


class MulBackward0(Node):
    def backward(self, g, a, b):
        n = self._next
        return (g * b if n[0] is not None else None), (g * a if n[1] is not None else None)


class DivBackward0(Node):
    def backward(self, g, a, b):
        n = self._next
        return (g / b if n[0] is not None else None), (-g * a / (b * b) if n[1] is not None else None)


DivBackward2 = _zero_node("DivBackward2", 2)   # div with a rounding mode


class NegBackward0(Node):
    def backward(self, g):
        return -g,


_TWO_BOOLS = ("Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or "
              "`logical_xor()` operator instead.")
_ONE_BOOL = ("Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying to invert a "
             "mask, use the `~` or `logical_not()` operator instead.")


def _boolish(v) -> bool:
    return type(v) is bool or (type(v) is _ndarray and v.dtype.kind == "b")


def _check_sub(x, y) -> None:
    bx, by = _boolish(x), _boolish(y)
    if bx or by:
        raise RuntimeError(_TWO_BOOLS if bx and by else _ONE_BOOL)


def _scaled(x, y, dt, alpha):
    """alpha * y with torch's checks on alpha (an integral result takes no float alpha)."""
    alpha = checked_int(alpha, dt or np.result_type(x, y))
    if type(alpha) is bool:
        if (dt or np.result_type(x, y)).kind != "b":
            raise RuntimeError("Boolean alpha only supported for Boolean results.")
    elif isinstance(alpha, float) and (dt or (x if type(x) is _ndarray else y).dtype).kind in "iub":
        raise RuntimeError("For integral input tensors, argument alpha must not be a floating point number.")
    if isinstance(y, _ndarray):
        return np.multiply(y, alpha, dtype=dt) if dt is not None else np.multiply(y, alpha)
    return y * alpha


_FUSED = (np.dtype(np.float32), np.dtype(np.float64))   # the dtypes whose kernels fuse a*b + c (muladd)


def _scaled_sum(ufunc, x, y, dt, alpha):
    """x + alpha*y (ufunc np.add) or x - alpha*y: in float32/float64 rounded once, as torch's
    add/sub kernels compute it (one fused multiply-add, alpha cast to the result dtype)."""
    rt = dt or np.result_type(x, y)
    if rt not in _FUSED or type(alpha) is bool or isinstance(alpha, complex):
        return _apply(ufunc, x, _scaled(x, y, dt, alpha), dt)
    a = rt.type(alpha if ufunc is np.add else -alpha)
    try:
        return muladd(_as_array(y, rt), a, _as_array(x, rt), rt)
    except ValueError as e:
        raise broadcast_error(e, x, y) from None


def _as_array(x, np_dt):
    """x (an array or a number) in np_dt, as TensorIterator casts an operand to the common dtype."""
    if type(x) is _ndarray:
        return x if x.dtype == np_dt else x.astype(np_dt)
    return np_dt.type(x)


def _arith(cls, ufunc, input, other, alpha):
    """input (ufunc) alpha * other, as add and sub compute it."""
    x, y, dt = binary_operands(input, other)
    if ufunc is np.subtract:
        _check_sub(x, y)
    if alpha.__class__ is int and alpha == 1:
        return record(cls, _apply(ufunc, x, y, dt), (input, other))
    return record(cls, _scaled_sum(ufunc, x, y, dt, alpha), (input, other), (), {"alpha": alpha})


def add(input, other, *, alpha=1, out=None):
    res = _arith(AddBackward0, np.add, input, other, alpha)
    return res if out is None else _with_out(res, out, "add")


def sub(input, other, *, alpha=1, out=None):
    res = _arith(SubBackward0, np.subtract, input, other, alpha)
    return res if out is None else _with_out(res, out, "sub")


def rsub(input, other, *, alpha=1):
    """other - alpha * input (torch.rsub)."""
    x, y, dt = binary_operands(input, other)
    _check_sub(x, y)
    attrs = None
    if alpha.__class__ is not int or alpha != 1:
        data = _scaled_sum(np.subtract, y, x, dt, alpha)
        attrs = {"alpha": alpha}
    else:
        data = _apply(np.subtract, y, x, dt)
    if isinstance(other, Tensor):
        return record(RsubBackward0, data, (input, other), (), attrs)
    return record(RsubBackward1, data, (input,), (), attrs)


def _kept_for(x, other):
    """x, when the gradient of `other` needs it (torch saves no more than backward uses, so an
    in-place write to an operand nobody differentiates through raises no version error)."""
    return x if isinstance(other, Tensor) and other._requires_grad else None


def mul(input, other, *, out=None):
    res = _binary(MulBackward0, np.multiply, input, other, (_kept_for(input, other), _kept_for(other, input)))
    return res if out is None else _with_out(res, out, "mul")


def div(input, other, *, rounding_mode=None, out=None):
    if rounding_mode is None:
        res = _binary(DivBackward0, np.true_divide, input, other, (_kept_for(input, other), other), to_float=True)
    elif rounding_mode == "trunc" or rounding_mode == "floor":
        x, y, dt = binary_operands(input, other)
        _int_zero_division(x, y, dt)
        data = _apply(_trunc_divide if rounding_mode == "trunc" else np.floor_divide, x, y, dt)
        res = record(DivBackward2, data, (input, other))
    else:
        raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
                           f"'{rounding_mode}'")
    return res if out is None else _with_out(res, out, "div")


def _trunc_divide(x, y, dtype=None):
    """Division rounded toward zero; exact for integers (no detour through floats)."""
    if (dtype or np.result_type(x, y)).kind == "f":
        return np.trunc(np.true_divide(x, y, dtype=dtype))
    fq = np.floor_divide(x, y, dtype=dtype)
    inexact = (np.remainder(x, y) != 0) & ((np.asarray(x) < 0) != (np.asarray(y) < 0))
    return fq + inexact.astype(fq.dtype)


def true_divide(input, other, *, out=None):
    return div(input, other, out=out)


def floor_divide(input, other, *, out=None):
    x, y, dt = binary_operands(input, other)
    _int_zero_division(x, y, dt)
    res = _no_derivative("floor_divide", _apply(np.floor_divide, x, y, dt), input, other)
    return res if out is None else _with_out(res, out, "floor_divide")


class _ModuloScalarBackward(Node):
    """x mod c has slope 1 in x."""

    def backward(self, g):
        return g,


class _ModuloTensorBackward(Node):
    """x - y * q(x, y) with q a piecewise-constant rounded quotient: slopes 1 and -q."""

    _rounding = "floor"

    def backward(self, g, x, y):
        return g, (-g * _rounded_quotient(x, y, self._rounding) if self._next[1] is not None else None)


class RemainderBackward0(_ModuloScalarBackward):
    pass


class RemainderBackward1(_ModuloTensorBackward):
    _rounding = "floor"


class FmodBackward0(_ModuloScalarBackward):
    pass


class FmodBackward1(_ModuloTensorBackward):
    _rounding = "trunc"


def _rounded_quotient(x, y, mode):
    """x / y rounded (a constant for a plain backward; torch's zero-derivative div op under create_graph)."""
    if isinstance(x, Tensor) or isinstance(y, Tensor):
        return div(x, y, rounding_mode=mode)
    return np.floor_divide(x, y) if mode == "floor" else _trunc_divide(x, y)


def _modulo(ufunc, name, input, other, scalar_cls, tensor_cls):
    x, y, dt = binary_operands(input, other)
    _int_zero_division(x, y, dt)
    data = _apply(ufunc, x, y, dt)
    if not isinstance(input, Tensor):
        return _no_derivative(name, data, input, other)
    if isinstance(other, Tensor):
        return record(tensor_cls, data, (input, other), (input, other))
    return record(scalar_cls, data, (input,))


def remainder(input, other, *, out=None):
    res = _modulo(np.remainder, "remainder", input, other, RemainderBackward0, RemainderBackward1)
    return res if out is None else _with_out(res, out, "remainder")


def fmod(input, other, *, out=None):
    if not isinstance(input, Tensor):
        raise TypeError(f"fmod() received an invalid combination of arguments - got ({type(input).__name__}, "
                        f"{type(other).__name__}), but expected (Tensor input, Tensor other) or "
                        f"(Tensor input, Number other)")
    res = _modulo(np.fmod, "fmod", input, other, FmodBackward0, FmodBackward1)
    return res if out is None else _with_out(res, out, "fmod")


def neg(input, *, out=None):
    try:
        x = input._data
    except AttributeError:
        raise _not_tensor("neg", "input", 1, input) from None
    if x.dtype.kind == "b":
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If you are trying "
                           "to invert a mask, use the `~` or `logical_not()` operator instead.")
    res = record(NegBackward0, np.negative(x), (input,))
    return res if out is None else _with_out(res, out, "neg")


negative = neg


def positive(input):
    if input._data.dtype.kind == "b":
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return input


# -- pow ----------------------------------------------------------------------------------------


class PowBackward0(Node):
    """tensor ** number."""

    def backward(self, g, x):
        p = self.exponent
        if p == 0:
            return dual.zeros_like(g),
        return g * (p * x ** (p - 1)),


class PowBackward1(Node):
    """tensor ** tensor."""

    def backward(self, g, x, p, out):
        gx = gp = None
        if self._next[0] is not None:
            gx = dual.where(dual.data(p) == 0, 0.0, g * (p * x ** (p - 1)))
        if self._next[1] is not None:
            zero_base = (dual.data(x) == 0) & (dual.data(p) >= 0)
            gp = g * dual.where(zero_base, 0.0, out * dual.log(x))
        return gx, gp


class PowBackward2(Node):
    """number ** tensor."""

    def backward(self, g, out):
        if self.zero_base is not None:     # 0 ** p: torch defines the derivative as 0 where p >= 0
            return g * dual.where(self.zero_base, 0.0, out * self.log_base),
        return g * (out * self.log_base),


def _log_number(v) -> float:
    v = float(v)
    return math.log(v) if v > 0 else (-math.inf if v == 0 else math.nan)


def _power(x, y, dtype=None):
    """x ** y with torch's integer rules: a negative exponent gives 0 unless the base is +-1."""
    dt = dtype
    kind = (dt or np.result_type(x, y)).kind
    if kind == "b":
        return np.logical_or(x, np.logical_not(y))   # bool ** bool: 0 ** 0 = 1
    if kind in "iu" and np.any(np.asarray(y) < 0):
        neg = np.asarray(y) < 0
        safe = np.power(x, np.where(neg, 0, y), dtype=dt)
        odd = np.remainder(y, 2) != 0
        special = np.where(np.asarray(x) == 1, 1, np.where(np.asarray(x) == -1, np.where(odd, -1, 1), 0))
        return np.where(neg, special, safe).astype(safe.dtype)
    return np.power(x, y) if dt is None else np.power(x, y, dtype=dt)


def _pow_tensor_number(input, exponent):
    x = input._data
    if isinstance(exponent, np.generic):
        exponent = exponent.item()
    if x.dtype.kind == "f" and type(exponent) is not bool:
        if exponent == 2:
            data = np.square(x)
        elif exponent == 0.5:
            data = np.sqrt(x)
        elif exponent == 3:
            data = x * x * x
        elif exponent == -1:
            data = np.reciprocal(x)
        elif exponent == -2:      # torch: 1 / (x*x), and 1 / sqrt(x), each rounded twice
            data = np.reciprocal(x * x)
        elif exponent == -0.5:
            data = np.reciprocal(np.sqrt(x))
        else:
            data = np.power(x, exponent)
    else:
        x, y, dt = binary_operands(input, checked_int(exponent, x.dtype))
        if (dt or np.result_type(x, y)).kind in "iu" and exponent < 0:
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        data = _power(x, y, dt)
    return record(PowBackward0, data, (input,), (input,), {"exponent": exponent})


def _pow_node_number_base(base, exponent, data):
    zero_base = None
    if base == 0:
        zero_base = exponent._data >= 0
    return record(PowBackward2, data, (exponent,), (OUT,), {"log_base": _log_number(base), "zero_base": zero_base})


def pow(input, exponent, *, out=None):  # noqa: A001 - torch's name
    if not isinstance(input, Tensor):
        _need_tensor("pow", "exponent", 2, exponent)
        x, y, dt = binary_operands(input, exponent)
        res = _pow_node_number_base(input, exponent, _power(x, y, dt))
    elif isinstance(exponent, Tensor):
        x, y, dt = binary_operands(input, exponent)
        res = record(PowBackward1, _apply(_power, x, y, dt), (input, exponent), (input, exponent, OUT))
    else:
        res = _pow_tensor_number(input, exponent)
    return res if out is None else _with_out(res, out, "pow")


def float_power(input, exponent, *, out=None):
    """pow computed in float64 (torch casts both operands to double first)."""
    f64 = np.float64
    if not isinstance(input, Tensor):
        _need_tensor("float_power", "exponent", 2, exponent)
        res = _pow_node_number_base(input, exponent, np.power(float(input), exponent._data.astype(f64)))
    elif isinstance(exponent, Tensor):
        x, y = input._data.astype(f64, copy=False), exponent._data.astype(f64, copy=False)
        res = record(PowBackward1, _apply(np.power, x, y, None), (input, exponent), (input, exponent, OUT))
    else:
        data = np.power(input._data.astype(f64, copy=False), float(exponent))
        res = record(PowBackward0, data, (input,), (input,), {"exponent": exponent})
    return res if out is None else _with_out(res, out, "float_power")


def _float_power_(self, exponent):
    if self._data.dtype != np.float64:
        raise RuntimeError(f"the base given to float_power_ has dtype {_dtype_name(self._data.dtype)} but the "
                           f"operation's result requires dtype Double")
    return _inplace_call(self, float_power, (exponent,), {})


# -- binary functions ---------------------------------------------------------------------------


class Atan2Backward0(Node):
    def backward(self, g, x, y):
        r = x * x + y * y
        recip = dual.where(dual.data(r) == 0, 0.0, 1 / r)   # 0 at the origin instead of 0 * inf
        n = self._next
        return (g * y * recip if n[0] is not None else None), (g * -x * recip if n[1] is not None else None)


class HypotBackward0(Node):
    def backward(self, g, x, y, out):
        n = self._next
        return (g * x / out if n[0] is not None else None), (g * y / out if n[1] is not None else None)


def _copysign_self_grad(g, x, out):
    return g * dual.where(dual.data(x) == 0, 0.0, out / x)


class CopysignBackward0(Node):
    def backward(self, g, x, out):
        gy = dual.zeros_like(g) if self._next[1] is not None else None
        return (_copysign_self_grad(g, x, out) if self._next[0] is not None else None), gy


class CopysignBackward1(Node):
    def backward(self, g, x, out):
        return _copysign_self_grad(g, x, out),


def _xlogy_self_grad(g, x, y):
    """d/dx x*log(y) = log(y); torch makes it 0 where x == 0 and y <= 0."""
    xd, yd = dual.data(x), dual.data(y)
    logy = dual.log(y) if isinstance(y, (Tensor, _ndarray)) else _log_number(y)
    return g * dual.where((xd == 0) & (yd <= 0), 0.0, logy)


class XlogyBackward0(Node):
    def backward(self, g, x, y):
        n = self._next
        return (_xlogy_self_grad(g, x, y) if n[0] is not None else None), (g * x / y if n[1] is not None else None)


class XlogyBackward1(Node):
    """number self."""

    def backward(self, g, y):
        return g * self.x / y,


class XlogyBackward2(Node):
    """number other."""

    def backward(self, g, x):
        return _xlogy_self_grad(g, x, self.y),


class LogaddexpBackward0(Node):
    def backward(self, g, a, b):
        n = self._next
        return (g / (1 + dual.exp(b - a)) if n[0] is not None else None), \
            (g / (1 + dual.exp(a - b)) if n[1] is not None else None)


class Logaddexp2Backward0(Node):
    def backward(self, g, a, b):
        n = self._next
        return (g / (1 + dual.exp((b - a) * _LN2)) if n[0] is not None else None), \
            (g / (1 + dual.exp((a - b) * _LN2)) if n[1] is not None else None)


def atan2(input, other, *, out=None):
    _need_tensor("atan2", "other", 2, other)
    res = _binary(Atan2Backward0, np.arctan2, input, other, (input, other), to_float=True)
    return res if out is None else _with_out(res, out, "atan2")


arctan2 = atan2


def _float_only(kernel_name, ufunc, cls, name, input, other, saved):
    """A binary op torch implements for floating dtypes only."""
    _need_tensor(name, "other", 2, other)
    x, y, dt = binary_operands(input, other)
    kind_dt = dt or np.result_type(x, y)
    if kind_dt.kind != "f":
        raise not_implemented_for(kernel_name, kind_dt)
    return record(cls, _apply(ufunc, x, y, dt), (input, other), saved)


def hypot(input, other, *, out=None):
    res = _float_only("hypot_cpu", np.hypot, HypotBackward0, "hypot", input, other, (input, other, OUT))
    return res if out is None else _with_out(res, out, "hypot")


def logaddexp(input, other, *, out=None):
    res = _float_only("logaddexp_cpu", np.logaddexp, LogaddexpBackward0, "logaddexp", input, other,
                      (input, other))
    return res if out is None else _with_out(res, out, "logaddexp")


def logaddexp2(input, other, *, out=None):
    res = _float_only("logaddexp2_cpu", np.logaddexp2, Logaddexp2Backward0, "logaddexp2", input, other,
                      (input, other))
    return res if out is None else _with_out(res, out, "logaddexp2")


def copysign(input, other, *, out=None):
    if isinstance(other, Tensor):
        res = _binary(CopysignBackward0, np.copysign, input, other, (input, OUT), to_float=True)
    else:
        x, y, dt = binary_operands(input, other, True)
        res = record(CopysignBackward1, _apply(np.copysign, x, y, dt), (input,), (input, OUT))
    return res if out is None else _with_out(res, out, "copysign")


def _xlogy(x, y, dtype=None):
    """x * log(y), and 0 where x == 0 (unless y is NaN)."""
    dtype = dtype or np.result_type(x, y)
    x, y = np.asarray(x, dtype), np.asarray(y, dtype)
    return np.where((x == 0) & ~np.isnan(y), np.zeros((), dtype), x * np.log(y))


def xlogy(input, other, *, out=None):
    x, y, dt = binary_operands(input, other, True)
    data = _apply(_xlogy, x, y, dt)
    if not isinstance(input, Tensor):
        res = record(XlogyBackward1, data, (other,), (other,), {"x": input})
    elif not isinstance(other, Tensor):
        res = record(XlogyBackward2, data, (input,), (input,), {"y": other})
    else:
        res = record(XlogyBackward0, data, (input, other), (input, other))
    return res if out is None else _with_out(res, out, "xlogy")


def _heaviside(x, v, dtype=None):
    """0 below zero, 1 above, `v` at zero (NumPy's heaviside covers floats only)."""
    if x.dtype.kind == "f":
        return np.heaviside(x, v)
    return np.where(x == 0, v, (x > 0).astype(x.dtype)).astype(x.dtype, copy=False)


def heaviside(input, values, *, out=None):
    _need_tensor("heaviside", "values", 2, values)
    x, v = input._data, values._data
    if x.dtype != v.dtype:
        raise RuntimeError("heaviside is not yet implemented for tensors with different dtypes.")
    res = _no_derivative("heaviside", _apply(_heaviside, x, v, None), input, values)
    return res if out is None else _with_out(res, out, "heaviside")


# -- maximum, minimum, where, clamp: gradients chosen by masks ----------------------------------


class MaximumBackward0(Node):
    """Ties give each side half; a NaN on either side passes the whole gradient to both."""

    def backward(self, g, x, y):
        return _tie_split(self, g, x, y, np.less, np.greater)


class MinimumBackward0(Node):
    def backward(self, g, x, y):
        return _tie_split(self, g, x, y, np.greater, np.less)


def _tie_split(node, g, x, y, x_loses, y_loses):
    xd, yd = dual.data(x), dual.data(y)
    half = g / 2
    tie = xd == yd
    gx = gy = None
    if node._next[0] is not None:
        gx = dual.where(tie, half, _masked(g, ~x_loses(xd, yd)))
    if node._next[1] is not None:
        gy = dual.where(tie, half, _masked(g, ~y_loses(xd, yd)))
    return gx, gy


class FmaxBackward0(Node):
    """The side fmax picks gets the gradient (self on ties, other where self is NaN)."""

    def backward(self, g, x, y):
        xd, yd = dual.data(x), dual.data(y)
        return _pick(self, g, (xd >= yd) | np.isnan(yd))


class FminBackward0(Node):
    def backward(self, g, x, y):
        xd, yd = dual.data(x), dual.data(y)
        return _pick(self, g, (xd <= yd) | np.isnan(yd))


def _pick(node, g, first):
    n = node._next
    return (_masked(g, first) if n[0] is not None else None), (_masked(g, ~first) if n[1] is not None else None)


def _extremum(cls, ufunc, name, input, other, out):
    _need_tensor(name, "other", 2, other)
    res = _binary(cls, ufunc, input, other, (input, other))
    return res if out is None else _with_out(res, out, name)


def maximum(input, other, *, out=None):
    return _extremum(MaximumBackward0, np.maximum, "maximum", input, other, out)


def minimum(input, other, *, out=None):
    return _extremum(MinimumBackward0, np.minimum, "minimum", input, other, out)


def fmax(input, other, *, out=None):
    return _extremum(FmaxBackward0, np.fmax, "fmax", input, other, out)


def fmin(input, other, *, out=None):
    return _extremum(FminBackward0, np.fmin, "fmin", input, other, out)


class WhereBackward0(Node):
    def backward(self, g):
        c = self.condition
        n = self._next
        return (_masked(g, c) if n[0] is not None else None), (_masked(g, ~c) if n[1] is not None else None)


def where(condition, input=None, other=None, *, out=None):
    """torch.where(condition, input, other); input/other may be Python numbers."""
    if input is None and other is None:
        from .indexing import nonzero
        return nonzero(condition, as_tuple=True)
    if not isinstance(condition, Tensor):
        raise TypeError(f"where() received an invalid combination of arguments - got "
                        f"({type(condition).__name__}, {type(input).__name__}, {type(other).__name__})")
    c = condition._data
    if c.dtype.kind != "b":
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor with dtype "
                           f"{_dtype_name(c.dtype)}")
    np_dt = result_np_dtype(input, other)
    try:
        data = np.where(c, _as(input, np_dt), _as(other, np_dt))
    except ValueError as e:
        raise broadcast_error(e, c, _as(input, np_dt), _as(other, np_dt)) from None
    if data.dtype != np_dt:
        data = data.astype(np_dt)
    res = record(WhereBackward0, data, (input, other), (), {"condition": c})
    return res if out is None else _with_out(res, out, "where")


class ClampBackward1(Node):
    """clamp with number bounds: the gradient passes where min <= x <= max (bounds included)."""

    def backward(self, g, x):
        xd = dual.data(x)
        lo, hi = self.lo, self.hi
        if lo is None:
            keep = xd <= hi
        elif hi is None:
            keep = xd >= lo
        else:
            keep = (xd >= lo) & (xd <= hi)
        return _masked(g, keep),


class ClampBackward0(Node):
    """clamp with tensor bounds: each element's gradient goes to whichever of x, min, max it came from."""

    def backward(self, g, x, lo, hi):
        xd, ld, hd = dual.data(x), dual.data(lo), dual.data(hi)
        if lo is None:
            masks = (xd <= hd, None, xd > hd)
        elif hi is None:
            masks = (xd >= ld, xd < ld, None)
        else:
            masks = ((xd >= ld) & (xd <= hd), (xd < ld) & (ld < hd), (xd > hd) | (ld > hd))
        return tuple(None if e is None else _masked(g, m) for e, m in zip(self._next, masks))


class ClampMinBackward0(Node):
    def backward(self, g, x):
        return _masked(g, dual.data(x) >= self.lo),


class ClampMaxBackward0(Node):
    def backward(self, g, x):
        return _masked(g, dual.data(x) <= self.hi),


class ClampMinBackward1(Node):
    def backward(self, g, x, lo):
        xd, ld = dual.data(x), dual.data(lo)
        n = self._next
        return (_masked(g, xd >= ld) if n[0] is not None else None), \
            (_masked(g, xd < ld) if n[1] is not None else None)


class ClampMaxBackward1(Node):
    def backward(self, g, x, hi):
        xd, hd = dual.data(x), dual.data(hi)
        n = self._next
        return (_masked(g, xd <= hd) if n[0] is not None else None), \
            (_masked(g, xd > hd) if n[1] is not None else None)


def _clamp_data(input, lo, hi):
    np_dt = result_np_dtype(input, lo, hi)
    data = _as(input, np_dt)
    try:
        if lo is not None:
            data = np.maximum(data, _as(lo, np_dt))
        if hi is not None:
            data = np.minimum(data, _as(hi, np_dt))
    except ValueError as e:
        raise broadcast_error(e, input, lo, hi) from None
    return data


def clamp(input, min=None, max=None, *, out=None):  # noqa: A002 - torch's names
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    lo_t, hi_t = isinstance(min, Tensor), isinstance(max, Tensor)
    if lo_t or hi_t:
        if (min is not None and not lo_t) or (max is not None and not hi_t):
            raise TypeError(f"clamp() received an invalid combination of arguments - got (Tensor, "
                            f"{type(min).__name__}, {type(max).__name__})")
        res = record(ClampBackward0, _clamp_data(input, min, max), (input, min, max), (input, min, max))
    else:
        res = record(ClampBackward1, _clamp_data(input, min, max), (input,), (input,), {"lo": min, "hi": max})
    return res if out is None else _with_out(res, out, "clamp")


clip = clamp


def clamp_min(input, min, *, out=None):  # noqa: A002
    if isinstance(min, Tensor):
        res = record(ClampMinBackward1, _clamp_data(input, min, None), (input, min), (input, min))
    else:
        res = record(ClampMinBackward0, _clamp_data(input, min, None), (input,), (input,), {"lo": min})
    return res if out is None else _with_out(res, out, "clamp_min")


def clamp_max(input, max, *, out=None):  # noqa: A002
    if isinstance(max, Tensor):
        res = record(ClampMaxBackward1, _clamp_data(input, None, max), (input, max), (input, max))
    else:
        res = record(ClampMaxBackward0, _clamp_data(input, None, max), (input,), (input,), {"hi": max})
    return res if out is None else _with_out(res, out, "clamp_max")


def _clamp_fast(t, min=None, max=None):  # noqa: A002
    """clamp_ on t's array when nothing is recorded and no dtype change is involved."""
    a = t._data
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    if result_np_dtype(t, min, max) != a.dtype:
        _assign(t, clamp(t, min, max)._data, "clamp")
        return
    if min is not None:
        np.maximum(a, min._data if isinstance(min, Tensor) else min, out=a)
    if max is not None:
        np.minimum(a, max._data if isinstance(max, Tensor) else max, out=a)


# -- lerp, addcmul, addcdiv ---------------------------------------------------------------------


class LerpBackward0(Node):
    """Number weight."""

    def backward(self, g):
        w = self.weight
        n = self._next
        return (g * (1 - w) if n[0] is not None else None), (g * w if n[1] is not None else None)


class LerpBackward1(Node):
    """Tensor weight."""

    def backward(self, g, x, end, w):
        n = self._next
        return (g * (1 - w) if n[0] is not None else None), (g * w if n[1] is not None else None), \
            (g * (end - x) if n[2] is not None else None)


_CPP_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int",
              "int32": "int", "int16": "short int", "int8": "signed char", "uint8": "unsigned char", "bool": "bool"}


def _lerp_data(x, e, w):
    """torch's two-sided formula, exact at both ends (weight 0 gives start, weight 1 gives end):
    start + w*(end - start) for |w| < 0.5, else end + (w - 1)*(end - start), each one fused
    multiply-add; half is computed in float32 (torch's opmath type) and rounded at the end."""
    dt = x.dtype
    if dt not in _FUSED:
        x32, e32 = x.astype(np.float32), e.astype(np.float32)
        return _lerp_data(x32, e32, w.astype(np.float32) if isinstance(w, _ndarray) else w).astype(dt)
    diff = e - x
    if isinstance(w, _ndarray):
        small = np.abs(w) < 0.5
        return muladd(np.where(small, w, w - dt.type(1)), diff, np.where(small, x, e), dt)
    w = dt.type(w)
    if -0.5 < w < 0.5:
        return muladd(diff, w, x, dt)
    return muladd(diff, w - dt.type(1), e, dt)


def lerp(input, end, weight, *, out=None):
    _need_tensor("lerp", "end", 2, end)
    x, e = input._data, end._data
    if e.dtype != x.dtype:
        raise RuntimeError(f"expected dtype {_CPP_NAMES[x.dtype.name]} for `end` but got dtype "
                           f"{_CPP_NAMES[e.dtype.name]}")
    w_t = isinstance(weight, Tensor)
    if w_t and weight._data.ndim and weight._data.dtype != x.dtype:
        raise RuntimeError(f"expected dtype {_CPP_NAMES[x.dtype.name]} for `weight` but got dtype "
                           f"{_CPP_NAMES[weight._data.dtype.name]}")
    if x.dtype.kind != "f":
        raise not_implemented_for("lerp_kernel_tensor" if w_t else "lerp_kernel_scalar", x.dtype)
    if isinstance(weight, np.generic):
        weight = weight.item()
    try:
        data = _lerp_data(x, e, weight._data.astype(x.dtype, copy=False) if w_t else weight)
    except ValueError as err:
        raise broadcast_error(err, x, e, weight) from None
    if w_t:
        res = record(LerpBackward1, data, (input, end, weight), (input, end, weight))
    else:
        res = record(LerpBackward0, data, (input, end), (), {"weight": weight})
    return res if out is None else _with_out(res, out, "lerp")


class AddcmulBackward0(Node):
    def backward(self, g, t1, t2):
        v = self.value
        n = self._next
        return (g if n[0] is not None else None), (g * (t2 * v) if n[1] is not None else None), \
            (g * (t1 * v) if n[2] is not None else None)


class AddcdivBackward0(Node):
    def backward(self, g, t1, t2):
        v = self.value
        n = self._next
        return (g if n[0] is not None else None), (g * (v / t2) if n[1] is not None else None), \
            (-g * (v * t1 / (t2 * t2)) if n[2] is not None else None)


_ADDCDIV_INT = ("Integer division with addcdiv is no longer supported, and in a future  release addcdiv will "
                "perform a true division of tensor1 and tensor2. The historic addcdiv behavior can be implemented "
                "as (input + value * torch.trunc(tensor1 / tensor2)).to(input.dtype) for integer inputs and as "
                "(input + value * tensor1 / tensor2) for float inputs. The future addcdiv behavior is just the "
                "latter implementation: (input + value * tensor1 / tensor2), for all dtypes.")


def _addc(name, cls, combine, input, tensor1, tensor2, value):
    """input + value * combine(tensor1, tensor2) in torch's result dtype."""
    _need_tensor(name, "tensor1", 2, tensor1)
    _need_tensor(name, "tensor2", 3, tensor2)
    np_dt = result_np_dtype(input, tensor1, tensor2)
    if np_dt.kind == "b":
        raise not_implemented_for(f"{name}_cpu_out", np_dt)
    if np_dt.kind != "f" and isinstance(value, float):
        value = int(value)   # torch casts the scalar to the integral result type
    x, a, b = _as(input, np_dt), _as(tensor1, np_dt), _as(tensor2, np_dt)
    try:
        data = _addc_data(combine, x, a, b, value)
    except ValueError as e:
        raise broadcast_error(e, x, a, b) from None
    first = _kept_for(tensor1, tensor2)
    second = tensor2 if cls is AddcdivBackward0 else _kept_for(tensor2, tensor1)
    return record(cls, data, (input, tensor1, tensor2), (first, second), {"value": value})


def _addc_data(combine, x, a, b, value):
    """x + value*a*b (one fused multiply-add after value*a in float32/float64, as torch computes
    addcmul) or x + value*a/b; half is computed in float32 and rounded once, as torch does."""
    if x.dtype == np.float16:
        x32, a32, b32 = (np.asarray(v, np.float32) for v in (x, a, b))
        return _addc_data(combine, x32, a32, b32, value).astype(np.float16)
    scaled = a * value if value != 1 else a
    if combine is np.multiply and x.dtype in _FUSED:
        return muladd(scaled, b, x, x.dtype)
    return x + combine(scaled, b)


def addcmul(input, tensor1, tensor2, *, value=1, out=None):
    res = _addc("addcmul", AddcmulBackward0, np.multiply, input, tensor1, tensor2, value)
    return res if out is None else _with_out(res, out, "addcmul")


def addcdiv(input, tensor1, tensor2, *, value=1, out=None):
    if isinstance(tensor1, Tensor) and isinstance(tensor2, Tensor) and \
            tensor1._data.dtype.kind in "biu" and tensor2._data.dtype.kind in "biu":
        raise RuntimeError(_ADDCDIV_INT)
    res = _addc("addcdiv", AddcdivBackward0, np.true_divide, input, tensor1, tensor2, value)
    return res if out is None else _with_out(res, out, "addcdiv")


# -- unary ops from a table ---------------------------------------------------------

X, Y, NONE = "x", "y", None   # a rule reads the input (X), the output (Y), or nothing


def _to_float(kernel):
    """Non-float inputs: torch computes in the default float dtype."""
    def run(x):
        return kernel(x.astype(_dtype.get_default_dtype().np))
    return run


def _refuse(kernel_name, kinds="b"):
    """Non-float inputs of the given kinds raise torch's not-implemented error; others use the kernel."""
    def wrap_kernel(kernel):
        def run(x):
            if x.dtype.kind in kinds:
                raise not_implemented_for(kernel_name, x.dtype)
            return kernel(x)
        return run
    return wrap_kernel


def _unary(name: str, kernel, saves, rule, node_name: str | None = None, nonfloat=_to_float):
    """Build op `name`: forward `kernel` on arrays, derivative `rule(grad, *saved)`.

    `nonfloat(kernel)` gives the forward for integer and bool inputs (default: compute in the
    default float dtype, as torch does for sqrt, exp, ...).
    """
    cls_name = node_name or "".join(p.capitalize() for p in name.split("_")) + "Backward0"
    node_cls = type(cls_name, (Node,), {"backward": lambda self, g, *s: (rule(g, *s),),
                                        "__doc__": f"Derivative of {name}."})
    other = nonfloat(kernel)

    def op(input, *, out=None):
        try:
            x = input._data
        except AttributeError:
            raise _not_tensor(name, "input", 1, input) from None
        data = kernel(x) if x.dtype.kind == "f" else other(x)
        if saves is None:
            res = record(node_cls, data, (input,))
        else:
            res = record(node_cls, data, (input,), (OUT,) if saves == Y else (input,))
        return res if out is None else _with_out(res, out, name)

    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"torch.{name}: elementwise."
    op.kernel = kernel
    return op


def _sigmoid(x):
    """1 / (1 + exp(-x)), as torch computes it (exp overflowing to inf gives exactly 0)."""
    return 1 / (1 + np.exp(-x))


def _float64_kernel(fn):
    """A float64 array function, applied to any float dtype (result cast back)."""
    def run(x):
        return fn(x).astype(x.dtype, copy=False)
    return run


def sign_array(x):
    """torch's sign: -1, 0 or 1, and 0 for NaN (NumPy gives NaN); bool stays bool."""
    if x.dtype.kind == "b":
        return x.copy()
    return np.subtract(x > 0, x < 0, dtype=x.dtype)


def _keep(kernel):
    return kernel


exp = _unary("exp", np.exp, Y, lambda g, y: g * y)
exp2 = _unary("exp2", np.exp2, Y, lambda g, y: g * (y * _LN2))
expm1 = _unary("expm1", np.expm1, Y, lambda g, y: g * (y + 1))
log = _unary("log", np.log, X, lambda g, x: g / x)
log2 = _unary("log2", np.log2, X, lambda g, x: g / (x * _LN2))
log10 = _unary("log10", np.log10, X, lambda g, x: g / (x * _LN10))
log1p = _unary("log1p", np.log1p, X, lambda g, x: g / (x + 1), "Log1PBackward0")
sqrt = _unary("sqrt", np.sqrt, Y, lambda g, y: g / (2 * y))
rsqrt = _unary("rsqrt", lambda x: 1 / np.sqrt(x), Y, lambda g, y: -0.5 * g * (y * y * y))
reciprocal = _unary("reciprocal", np.reciprocal, Y, lambda g, y: -g * (y * y))
sin = _unary("sin", np.sin, X, lambda g, x: g * dual.cos(x))
cos = _unary("cos", np.cos, X, lambda g, x: g * -dual.sin(x))
tan = _unary("tan", np.tan, Y, lambda g, y: g * (1 + y * y))
asin = _unary("asin", np.arcsin, X, lambda g, x: g / dual.sqrt(1 - x * x))
acos = _unary("acos", np.arccos, X, lambda g, x: g * -(1 / dual.sqrt(1 - x * x)))
atan = _unary("atan", np.arctan, X, lambda g, x: g / (x * x + 1))
sinh = _unary("sinh", np.sinh, X, lambda g, x: g * dual.cosh(x))
cosh = _unary("cosh", np.cosh, X, lambda g, x: g * dual.sinh(x))
tanh = _unary("tanh", np.tanh, Y, lambda g, y: g * (1 - y * y))
asinh = _unary("asinh", np.arcsinh, X, lambda g, x: g / dual.sqrt(x * x + 1))
acosh = _unary("acosh", np.arccosh, X, lambda g, x: g / dual.sqrt(x * x - 1))
atanh = _unary("atanh", np.arctanh, X, lambda g, x: g / (1 - x * x))
sigmoid = _unary("sigmoid", _sigmoid, Y, lambda g, y: g * (1 - y) * y)
erf = _unary("erf", _float64_kernel(_erf.erf), X, lambda g, x: g * (_TWO_OVER_SQRT_PI * dual.exp(-(x * x))))
erfc = _unary("erfc", _float64_kernel(_erf.erfc), X, lambda g, x: g * (-_TWO_OVER_SQRT_PI * dual.exp(-(x * x))))
erfinv = _unary("erfinv", _float64_kernel(_erf.erfinv), Y, lambda g, y: g * (_HALF_SQRT_PI * dual.exp(y * y)))
deg2rad = _unary("deg2rad", np.deg2rad, NONE, lambda g: g * (math.pi / 180), "Deg2RadBackward0")
rad2deg = _unary("rad2deg", np.rad2deg, NONE, lambda g: g * (180 / math.pi), "Rad2DegBackward0")
abs = _unary("abs", np.abs, X, lambda g, x: g * dual.sgn(x),  # noqa: A001
             nonfloat=_refuse("abs_cpu"))
sign = _unary("sign", sign_array, NONE, lambda g: dual.zeros_like(g), nonfloat=_keep)
sgn = _unary("sgn", sign_array, NONE, lambda g: dual.zeros_like(g), nonfloat=_keep)




def _relu_kernel(x):
    if x.dtype.kind == "b":
        raise RuntimeError("Boolean inputs not supported for relu")
    out = _loops.run("relu", x)
    if out is not None:
        return out
    # zeros first, as torch keeps -0.0; a row of zeros rather than a scalar runs NumPy's SIMD loop
    return np.maximum(np.zeros(x.shape[-1:], x.dtype), x)


class ThresholdBackwardBackward0(Node):
    """The derivative of relu's backward: the same mask for the grad, zero for the output."""

    def backward(self, gg):
        n = self._next
        return (_masked(gg, self.keep) if n[0] is not None else None), \
            (dual.zeros_like(gg) if n[1] is not None else None)


# relu's backward on NumPy, bit for bit the compiled loop's: the grad where the output is neither +-0 (NaN
# passes), +0.0 elsewhere, by an integer mask (a masked multiply would make NaN of an infinite grad, -0.0 of a
# negative one); per dtype: the same-size integer, all bits but the sign, the shift that spreads the sign bit
_MASKS = {np.dtype(np.float32): (np.int32, 0x7FFFFFFF, 31), np.dtype(np.float64): (np.int64, (1 << 63) - 1, 63)}


def _relu_grad(g, y):
    if not isinstance(y, Tensor):
        out = _loops.run("relu_backward", g, y)
        if out is not None:
            return out
        bits = _MASKS.get(y.dtype)
        if bits is not None and g.dtype == y.dtype and g.shape == y.shape:
            ints, magnitude, shift = bits
            mask = np.bitwise_and(y.view(ints), magnitude, out=np.empty(y.shape, ints))  # 0 where y is +-0
            np.negative(mask, out=mask)
            np.right_shift(mask, shift, out=mask)           # 0 where y is +-0, all ones elsewhere
            return np.bitwise_and(mask, g.view(ints), out=mask).view(y.dtype)
    keep = dual.data(y) != 0   # y >= 0 or NaN: a NaN output passes the gradient, as torch's threshold_backward does
    if isinstance(y, Tensor):
        data = np.where(keep, dual.data(g), np.zeros((), y._data.dtype))
        return record(ThresholdBackwardBackward0, data, (g, y), (), {"keep": keep})
    # g * keep is ~15x faster than np.where; it differs (NaN instead of 0) only for a non-finite g
    return g * keep if np.isfinite(g).all() else np.where(keep, g, np.zeros((), g.dtype))


relu = _unary("relu", _relu_kernel, Y, _relu_grad, nonfloat=_keep)
relu.inplace_kernel = lambda a, out: np.maximum(np.zeros(a.shape[-1:], a.dtype), a, out=out)
neg.kernel = np.negative
absolute = abs
arcsin, arccos, arctan = asin, acos, atan
arcsinh, arccosh, arctanh = asinh, acosh, atanh


def square(input, *, out=None):
    """input ** 2 (torch records it as pow; bool becomes int64)."""
    return pow(input, 2, out=out)


class LogitBackward0(Node):
    def backward(self, g, x):
        xd = dual.data(x)
        eps = self.eps
        d = g / (x * (1 - x))
        if eps is None:
            return dual.where((xd < 0) | (xd > 1), math.nan, d),
        return dual.where((xd < eps) | (xd > 1 - eps), 0.0, d),


def logit(input, eps=None, *, out=None):
    x = input._data
    if x.dtype.kind != "f":
        x = x.astype(_dtype.get_default_dtype().np)
    if eps is not None:
        x = np.clip(x, eps, 1 - eps)
    res = record(LogitBackward0, np.log(x / (1 - x)), (input,), (input,), {"eps": eps})
    return res if out is None else _with_out(res, out, "logit")


class NanToNumBackward0(Node):
    def backward(self, g, x):
        return g * np.isfinite(dual.data(x)).astype(dual.data(g).dtype),


def nan_to_num(input, nan=0.0, posinf=None, neginf=None, *, out=None):
    """NaN and infinities replaced (by default: 0 and the dtype's extremes); integers are copied."""
    x = input._data
    if x.dtype.kind != "f":
        res = wrap(x.copy())
    else:
        data = np.nan_to_num(x, copy=True, nan=nan, posinf=posinf, neginf=neginf)
        res = record(NanToNumBackward0, data, (input,), (input,))
    return res if out is None else _with_out(res, out, "nan_to_num")


# -- in-place forms ---------------------------------------------------------------------------


def _assign(t, res, name):
    """Write an op's result array into t (torch's cast check; shapes already checked)."""
    _check_cast(res, t, name)
    np.copyto(t._data, res, casting="unsafe")


def _check_out_shape(t, args, kwargs) -> None:
    """An in-place op cannot grow its tensor by broadcasting."""
    shape = t._data.shape
    for a in (*args, *kwargs.values()) if kwargs else args:
        if isinstance(a, Tensor) and a._data.shape != shape:
            break
    else:
        return
    others = [a for a in (*args, *kwargs.values()) if isinstance(a, Tensor) and a._data.shape != shape]
    try:
        full = np.broadcast_shapes(shape, *(a._data.shape for a in others))
    except ValueError as e:
        raise broadcast_error(e, t, *others) from None
    if full != shape:
        raise RuntimeError(f"output with shape {list(shape)} doesn't match the broadcast shape {list(full)}")


def _recording(t, args, kwargs) -> bool:
    """Whether an in-place op on t with these operands is recorded in the graph."""
    if not _state.enabled:
        return False
    if t._requires_grad:
        return True
    for a in (*args, *kwargs.values()) if kwargs else args:
        if isinstance(a, Tensor) and a._requires_grad:
            return True
    return False


def _inplace_call(t, fn, args, kwargs):
    if args or kwargs:
        _check_out_shape(t, args, kwargs)
    return inplace(t, fn, args, kwargs)


def inplace_method(fn, name, fast=None):
    """Tensor.<name>: fn applied in place. `fast(t, *args, **kwargs)`, when given, updates t's array
    directly whenever no graph is recorded (optimizer steps, no_grad code); otherwise the op runs out
    of place on a snapshot and its result and history are written back (`inplace`)."""
    if fast is None:
        def method(self, *args, **kwargs):
            return _inplace_call(self, fn, args, kwargs)
    else:
        def method(self, *args, **kwargs):
            if _recording(self, args, kwargs):
                return _inplace_call(self, fn, args, kwargs)
            if args or kwargs:
                _check_out_shape(self, args, kwargs)
            fast(self, *args, **kwargs)
            self._vc[0] += 1
            return self
    method.__name__ = method.__qualname__ = name
    return method


def _unary_inplace(op, name):
    """In-place form of a table op: a float tensor is updated by the ufunc itself."""
    kernel = getattr(op, "inplace_kernel", None) or (op.kernel if isinstance(op.kernel, np.ufunc) else None)

    def method(self):
        if kernel is not None and self._data.dtype.kind == "f" and not (_state.enabled and self._requires_grad):
            kernel(self._data, out=self._data)
            self._vc[0] += 1
            return self
        return inplace(self, op)
    method.__name__ = method.__qualname__ = name
    return method


def _binary_fast(ufunc, to_float=False):
    """Fast in-place update t (ufunc)= other, falling back to compute-then-cast when dtypes differ."""
    def fast(t, other, alpha=1):
        a = t._data
        x, y, dt = binary_operands(t, other, to_float)
        if ufunc is np.subtract:
            _check_sub(x, y)
        if alpha.__class__ is not int or alpha != 1:
            _assign(t, np.asarray(_scaled_sum(ufunc, x, y, dt, alpha)), ufunc.__name__)
            return
        if dt is None and (y.dtype == a.dtype if type(y) is _ndarray else (a.dtype.kind != "b" or
                                                                         type(y) is bool)):
            ufunc(a, y, out=a)
            return
        res = ufunc(x, y) if dt is None else ufunc(x, y, dtype=dt)
        _assign(t, np.asarray(res), ufunc.__name__)
    return fast


def _lerp_fast(t, end, weight):
    _assign(t, lerp(t, end, weight)._data, "lerp")


def _addc_fast(combine, fn):
    def fast(t, tensor1, tensor2, *, value=1):
        a = t._data
        if result_np_dtype(t, tensor1, tensor2) != a.dtype or a.dtype.kind != "f":
            _assign(t, fn(t, tensor1, tensor2, value=value)._data, fn.__name__)
            return
        np.copyto(a, _addc_data(combine, a, tensor1._data, tensor2._data, value))
    return fast


_div_fast_plain = _binary_fast(np.true_divide, True)


def _div_fast(t, other, *, rounding_mode=None):
    if rounding_mode is None:
        _div_fast_plain(t, other)
    else:
        _assign(t, div(t, other, rounding_mode=rounding_mode)._data, "div")


def _reflect(fn):
    def reflected(self, other):
        return fn(other, self)
    return reflected


_OPERANDS = (Tensor, int, float, bool, np.generic, np.ndarray)


def _guard(fn):
    """Operator form: NotImplemented for operand types torch does not accept."""
    def op(self, other):
        if not isinstance(other, _OPERANDS):
            return NotImplemented
        return fn(self, other)
    op.__name__ = fn.__name__
    return op


def _rtruediv(self, other):
    """number / tensor: torch computes reciprocal(tensor) * number."""
    return mul(reciprocal(self), other)


def _binary_inplace(fn, name, ufunc, to_float=False):
    return inplace_method(fn, name, _binary_fast(ufunc, to_float))


add_ = _binary_inplace(add, "add_", np.add)
sub_ = _binary_inplace(sub, "sub_", np.subtract)
mul_ = _binary_inplace(mul, "mul_", np.multiply)
div_ = inplace_method(div, "div_", _div_fast)
true_divide_ = inplace_method(true_divide, "true_divide_", _div_fast)
pow_ = inplace_method(pow, "pow_")
clamp_ = inplace_method(clamp, "clamp_", _clamp_fast)
lerp_ = inplace_method(lerp, "lerp_", _lerp_fast)
addcmul_ = inplace_method(addcmul, "addcmul_", _addc_fast(np.multiply, addcmul))
addcdiv_ = inplace_method(addcdiv, "addcdiv_", _addc_fast(np.true_divide, addcdiv))

_INPLACE_UNARY = ["exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sqrt", "rsqrt", "reciprocal", "sin",
                  "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "asinh", "acosh", "atanh",
                  "sigmoid", "erf", "erfc", "erfinv", "deg2rad", "rad2deg", "abs", "sign", "sgn", "relu", "neg"]
_ALIASES = {"arcsin": "asin", "arccos": "acos", "arctan": "atan", "arcsinh": "asinh", "arccosh": "acosh",
            "arctanh": "atanh", "absolute": "abs", "negative": "neg", "clip": "clamp", "multiply": "mul",
            "divide": "div", "subtract": "sub", "arctan2": "atan2"}

_methods = {n + "_": _unary_inplace(globals()[n], n + "_") for n in _INPLACE_UNARY}
_methods.update(
    add_=add_, sub_=sub_, mul_=mul_, div_=div_, true_divide_=true_divide_, pow_=pow_, clamp_=clamp_, lerp_=lerp_,
    addcmul_=addcmul_, addcdiv_=addcdiv_, float_power_=_float_power_,
)
_methods.update({n + "_": inplace_method(globals()[n], n + "_")
                 for n in ("square", "floor_divide", "remainder", "fmod", "atan2", "hypot", "copysign", "xlogy",
                           "heaviside", "clamp_min", "clamp_max", "logit", "nan_to_num")})
_methods.update({alias + "_": _methods[target + "_"] for alias, target in _ALIASES.items()
                 if target + "_" in _methods})

# torch.<op>_ functions: torch has them for most unary ops, clamp and xlogy.
_TORCH_INPLACE = [n + "_" for n in _INPLACE_UNARY + list(_ALIASES) + ["square", "clamp", "clamp_min", "clamp_max",
                                                                       "xlogy", "logit", "nan_to_num"]
                  if n + "_" in _methods and n not in ("sign", "sgn", "erfinv", "absolute", "arctan2", "multiply",
                                                       "divide", "subtract")]
globals().update({n: _methods[n] for n in _TORCH_INPLACE})

bind_methods(
    add=add, sub=sub, subtract=sub, mul=mul, multiply=mul, div=div, divide=div, true_divide=true_divide,
    floor_divide=floor_divide, remainder=remainder, fmod=fmod, neg=neg, negative=neg, positive=positive,
    pow=pow, float_power=float_power, square=square, atan2=atan2, arctan2=atan2, hypot=hypot,
    copysign=copysign, xlogy=xlogy, logaddexp=logaddexp, logaddexp2=logaddexp2, heaviside=heaviside,
    maximum=maximum, minimum=minimum, fmax=fmax, fmin=fmin, clamp=clamp, clip=clamp, clamp_min=clamp_min,
    clamp_max=clamp_max, lerp=lerp, addcmul=addcmul, addcdiv=addcdiv, logit=logit, nan_to_num=nan_to_num,
    where=lambda self, condition, other: where(condition, self, other),
    exp=exp, exp2=exp2, expm1=expm1, log=log, log2=log2, log10=log10, log1p=log1p, sqrt=sqrt, rsqrt=rsqrt,
    reciprocal=reciprocal, sin=sin, cos=cos, tan=tan, asin=asin, acos=acos, atan=atan, arcsin=asin,
    arccos=acos, arctan=atan, sinh=sinh, cosh=cosh, tanh=tanh, asinh=asinh, acosh=acosh, atanh=atanh,
    arcsinh=asinh, arccosh=acosh, arctanh=atanh, sigmoid=sigmoid, erf=erf, erfc=erfc, erfinv=erfinv,
    deg2rad=deg2rad, rad2deg=rad2deg, abs=abs, absolute=abs, sign=sign, sgn=sgn, relu=relu,
    __add__=_guard(add), __radd__=_guard(add), __sub__=_guard(sub),
    __rsub__=_guard(lambda self, other: rsub(self, other)),
    __mul__=_guard(mul), __rmul__=_guard(mul), __truediv__=_guard(div), __rtruediv__=_guard(_rtruediv),
    __floordiv__=_guard(floor_divide), __rfloordiv__=_guard(_reflect(floor_divide)),
    __mod__=_guard(remainder), __rmod__=_guard(_reflect(remainder)),
    __pow__=_guard(pow), __rpow__=_guard(_reflect(pow)),
    __neg__=neg, __pos__=positive, __abs__=abs,
    __iadd__=add_, __isub__=sub_, __imul__=mul_, __itruediv__=div_,
    __ifloordiv__=_methods["floor_divide_"], __imod__=_methods["remainder_"], __ipow__=pow_,
    **_methods,
)

divide, multiply, subtract = div, mul, sub

__all__ = [
    "add", "sub", "subtract", "rsub", "mul", "multiply", "div", "divide", "true_divide", "floor_divide",
    "remainder", "fmod", "neg", "negative", "positive", "pow", "float_power", "square", "atan2", "arctan2",
    "hypot", "copysign", "xlogy", "logaddexp", "logaddexp2", "heaviside", "maximum", "minimum", "fmax", "fmin",
    "where", "clamp", "clip", "clamp_min", "clamp_max", "lerp", "addcmul", "addcdiv", "logit", "nan_to_num",
    "exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sqrt", "rsqrt", "reciprocal", "sin", "cos", "tan",
    "asin", "acos", "atan", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh", "asinh", "acosh", "atanh",
    "arcsinh", "arccosh", "arctanh", "sigmoid", "erf", "erfc", "erfinv", "deg2rad", "rad2deg", "abs",
    "absolute", "sign", "sgn", "relu",
] + _TORCH_INPLACE
