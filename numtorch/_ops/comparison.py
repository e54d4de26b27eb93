"""Comparisons, logical and bitwise ops, and floating-point classification.

None of these is differentiable: results are bool (or integer) tensors
outside the graph, as in torch. The in-place comparisons (`eq_`, ...) write
0/1 in the tensor's own dtype and, like torch's, record a node whose
derivative is zero, so a float tensor in a graph stays in it.
"""
from __future__ import annotations

__all__ = ["allclose", "bitwise_and", "bitwise_left_shift", "bitwise_not", "bitwise_or", "bitwise_right_shift",
           "bitwise_xor", "eq", "equal", "ge", "greater", "greater_equal", "gt", "isclose", "isfinite", "isinf",
           "isnan", "isneginf", "isposinf", "isreal", "le", "less", "less_equal", "logical_and", "logical_not",
           "logical_or", "logical_xor", "lt", "ne", "not_equal", "signbit"]

import numpy as np

from .._tensor import Tensor, bind_methods, wrap
from ..autograd.grad_mode import _state
from ._core import record
from ._operands import binary_operands
from .inplace import check_inplace
from .pointwise import (_check_out_shape, _dtype_name, _guard, _need_tensor, _not_tensor, _with_out, _zero_node,
                        broadcast_error, inplace_method, not_implemented_for)

_ndarray = np.ndarray


def _input(fn: str, input) -> np.ndarray:
    try:
        return input._data
    except AttributeError:
        raise _not_tensor(fn, "input", 1, input) from None


_INT_RANGES = {np.dtype(t): (np.iinfo(t).min, np.iinfo(t).max) for t in (np.uint8, np.int8, np.int16, np.int32)}


def _promoted(input, other, name: str):
    """Both operands in torch's common dtype (NumPy would compare int64 with float32 in float64).

    A Python int outside a small integer dtype's range wraps into it, as torch casts it (u8 == -1
    compares with 255)."""
    _input(name, input)
    x, y, dt = binary_operands(input, other)
    if type(y) is int and type(x) is _ndarray and x.dtype in _INT_RANGES:
        lo, hi = _INT_RANGES[x.dtype]
        if not lo <= y <= hi:
            y = np.array(y).astype(x.dtype)[()]
    if dt is not None:
        if type(x) is _ndarray and x.dtype != dt:
            x = x.astype(dt)
        if type(y) is _ndarray and y.dtype != dt:
            y = y.astype(dt)
    return x, y


def _apply(ufunc, x, y):
    try:
        return wrap(ufunc(x, y))
    except ValueError as e:
        raise broadcast_error(e, x, y) from None


# -- comparisons ------------------------------------------------------------------------------


def _comparison(ufunc, name: str):
    def op(input, other, *, out=None):
        x, y = _promoted(input, other, name)
        res = _apply(ufunc, x, y)
        return res if out is None else _with_out(res, out, name)
    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"torch.{name}: elementwise comparison, a bool tensor."
    return op


def _comparison_inplace(op, name: str):
    """Tensor.<name>_: 0/1 written in the tensor's dtype, with torch's zero-derivative node."""
    by_number = _zero_node(name.capitalize() + "Backward0")
    by_tensor = _zero_node(name.capitalize() + "Backward1", 2)

    def fn(t, other):
        data = op(t, other)._data.astype(t._data.dtype)
        if isinstance(other, Tensor):
            return record(by_tensor, data, (t, other))
        return record(by_number, data, (t,))
    fn.__name__ = name + "_"
    return inplace_method(fn, name + "_")


eq = _comparison(np.equal, "eq")
ne = _comparison(np.not_equal, "ne")
lt = _comparison(np.less, "lt")
le = _comparison(np.less_equal, "le")
gt = _comparison(np.greater, "gt")
ge = _comparison(np.greater_equal, "ge")
greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne

_COMPARISONS = {"eq": eq, "ne": ne, "lt": lt, "le": le, "gt": gt, "ge": ge}
_COMPARISON_ALIASES = {"greater": "gt", "greater_equal": "ge", "less": "lt", "less_equal": "le", "not_equal": "ne"}
_comparison_methods = {n + "_": _comparison_inplace(op, n) for n, op in _COMPARISONS.items()}
_comparison_methods.update({a + "_": _comparison_methods[n + "_"] for a, n in _COMPARISON_ALIASES.items()})


# -- logical ----------------------------------------------------------------------------------


def _logical(ufunc, name: str):
    def op(input, other, *, out=None):
        _need_tensor(name, "other", 2, other)
        res = _apply(ufunc, _input(name, input), other._data)
        return res if out is None else _with_out(res, out, name)
    op.__name__ = op.__qualname__ = name
    return op


logical_and = _logical(np.logical_and, "logical_and")
logical_or = _logical(np.logical_or, "logical_or")
logical_xor = _logical(np.logical_xor, "logical_xor")


def logical_not(input, *, out=None):
    res = wrap(np.logical_not(_input("logical_not", input)))
    return res if out is None else _with_out(res, out, "logical_not")


def _logical_inplace(op, name: str):
    """Tensor.<name>: the truth values written in the tensor's dtype; the graph is left as it is."""
    def method(self, *args):
        if args:
            _check_out_shape(self, args, {})
        res = op(self, *args)._data
        if _state.enabled and self._requires_grad:
            check_inplace(self)
        np.copyto(self._data, res, casting="unsafe")
        self._vc[0] += 1
        return self
    method.__name__ = method.__qualname__ = name
    return method


# -- bitwise ----------------------------------------------------------------------------------


def _bitwise(ufunc, name: str, kernel: str):
    def op(input, other, *, out=None):
        x, y, dt = binary_operands(input, other)
        np_dt = dt or np.result_type(x, y)
        if np_dt.kind == "f":
            raise not_implemented_for(kernel, np_dt)
        try:
            data = ufunc(x, y) if dt is None else ufunc(x, y, dtype=dt)
        except ValueError as e:
            raise broadcast_error(e, x, y) from None
        res = wrap(data)
        return res if out is None else _with_out(res, out, name)
    op.__name__ = op.__qualname__ = name
    return op


bitwise_and = _bitwise(np.bitwise_and, "bitwise_and", "bitwise_and_cpu")
bitwise_or = _bitwise(np.bitwise_or, "bitwise_or", "bitwise_or_cpu")
bitwise_xor = _bitwise(np.bitwise_xor, "bitwise_xor", "bitwise_xor_cpu")
bitwise_left_shift = _bitwise(np.left_shift, "bitwise_left_shift", "lshift_cpu")
bitwise_right_shift = _bitwise(np.right_shift, "bitwise_right_shift", "rshift_cpu")


def bitwise_not(input, *, out=None):
    x = _input("bitwise_not", input)
    if x.dtype.kind == "f":
        raise not_implemented_for("bitwise_not_cpu", x.dtype)
    res = wrap(np.invert(x))
    return res if out is None else _with_out(res, out, "bitwise_not")


def _invert(self):
    if self._data.dtype.kind == "f":
        raise TypeError("~ (operator.invert) is only implemented on integer and Boolean-type tensors")
    return bitwise_not(self)


# -- classification ---------------------------------------------------------------------------


def _classify(float_fn, name: str, nonfloat_value: bool):
    def op(input):
        x = _input(name, input)
        if x.dtype.kind == "f":
            return wrap(float_fn(x))
        return wrap(np.full(x.shape, nonfloat_value))
    op.__name__ = op.__qualname__ = name
    return op


isnan = _classify(np.isnan, "isnan", False)
isinf = _classify(np.isinf, "isinf", False)
isposinf = _classify(np.isposinf, "isposinf", False)
isneginf = _classify(np.isneginf, "isneginf", False)
isfinite = _classify(np.isfinite, "isfinite", True)
isreal = _classify(lambda x: np.ones(x.shape, bool), "isreal", True)   # numtorch has no complex tensors


def signbit(input, *, out=None):
    res = wrap(np.signbit(_input("signbit", input)))
    return res if out is None else _with_out(res, out, "signbit")


def _tolerance(name: str, value) -> None:
    if value < 0:
        raise RuntimeError(f"{name} must be greater than or equal to zero, but got {float(value):g}")


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """|input - other| <= atol + rtol * |other|, elementwise (infinities equal only to themselves)."""
    _need_tensor("isclose", "other", 2, other)
    x, y = _input("isclose", input), other._data
    if x.dtype != y.dtype:
        raise RuntimeError(f"{_dtype_name(x.dtype)} did not match {_dtype_name(y.dtype)}")
    _tolerance("rtol", rtol)
    _tolerance("atol", atol)
    try:
        close = x == y
    except ValueError as e:
        raise broadcast_error(e, x, y) from None
    if x.dtype.kind == "b":
        return wrap(close)
    if equal_nan and x.dtype.kind == "f":
        close = close | (np.isnan(x) & np.isnan(y))
    if rtol or atol:
        if x.dtype.kind != "f":
            from .._dtype import get_default_dtype
            x, y = x.astype(get_default_dtype().np), y.astype(get_default_dtype().np)
        with np.errstate(invalid="ignore", over="ignore"):
            err = np.abs(x - y)
            close = close | (np.isfinite(err) & (err <= atol + np.abs(rtol * y)))
    return wrap(close)


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
    return bool(isclose(input, other, rtol, atol, equal_nan)._data.all())


def equal(input, other) -> bool:
    """Same shape and the same values (dtypes may differ; NaN is unequal to itself)."""
    _need_tensor("equal", "other", 2, other)
    x, y = _input("equal", input), other._data
    return x.shape == y.shape and bool(np.array_equal(x, y))


_logical_methods = {
    "logical_and_": _logical_inplace(logical_and, "logical_and_"),
    "logical_or_": _logical_inplace(logical_or, "logical_or_"),
    "logical_xor_": _logical_inplace(logical_xor, "logical_xor_"),
    "logical_not_": _logical_inplace(logical_not, "logical_not_"),
}
_bitwise_methods = {n + "_": inplace_method(f, n + "_") for n, f in (
    ("bitwise_and", bitwise_and), ("bitwise_or", bitwise_or), ("bitwise_xor", bitwise_xor),
    ("bitwise_left_shift", bitwise_left_shift), ("bitwise_right_shift", bitwise_right_shift))}
_bitwise_methods["bitwise_not_"] = inplace_method(bitwise_not, "bitwise_not_")


def _reflect(fn):
    def reflected(self, other):
        return fn(other, self)
    return reflected


bind_methods(
    eq=eq, ne=ne, lt=lt, le=le, gt=gt, ge=ge, greater=gt, greater_equal=ge, less=lt, less_equal=le,
    not_equal=ne, logical_and=logical_and, logical_or=logical_or, logical_xor=logical_xor,
    logical_not=logical_not, bitwise_and=bitwise_and, bitwise_or=bitwise_or, bitwise_xor=bitwise_xor,
    bitwise_not=bitwise_not, bitwise_left_shift=bitwise_left_shift, bitwise_right_shift=bitwise_right_shift,
    isnan=isnan, isinf=isinf, isposinf=isposinf, isneginf=isneginf, isfinite=isfinite, isreal=isreal,
    signbit=signbit, isclose=isclose, allclose=allclose, equal=equal,
    __eq__=_guard(eq), __ne__=_guard(ne), __lt__=_guard(lt), __le__=_guard(le), __gt__=_guard(gt),
    __ge__=_guard(ge),
    __and__=_guard(bitwise_and), __or__=_guard(bitwise_or), __xor__=_guard(bitwise_xor),
    __rand__=_guard(_reflect(bitwise_and)), __ror__=_guard(_reflect(bitwise_or)),
    __rxor__=_guard(_reflect(bitwise_xor)), __invert__=_invert,
    __lshift__=_guard(bitwise_left_shift), __rshift__=_guard(bitwise_right_shift),
    __rlshift__=_guard(_reflect(bitwise_left_shift)), __rrshift__=_guard(_reflect(bitwise_right_shift)),
    __iand__=_bitwise_methods["bitwise_and_"], __ior__=_bitwise_methods["bitwise_or_"],
    __ixor__=_bitwise_methods["bitwise_xor_"], __ilshift__=_bitwise_methods["bitwise_left_shift_"],
    __irshift__=_bitwise_methods["bitwise_right_shift_"],
    **_comparison_methods, **_logical_methods, **_bitwise_methods,
)
