"""Gamma-family and Bessel special functions: lgamma, digamma, polygamma, mvlgamma, i0, sinc.

numtorch depends on NumPy alone, so the kernels are written here in float64 (and cast back):
lgamma from math.lgamma, digamma by upward recurrence plus the asymptotic series (reflection
below 1/2), polygamma(n >= 1) from the Hurwitz zeta function by Euler-Maclaurin summation,
i0 is NumPy's, and i1 (i0's derivative) is a power series with an asymptotic tail.
Known deviations from torch: at the poles of polygamma (negative integers) the result is inf where
torch returns a huge finite number, and trigamma is more accurate than torch's (~1e-10 relative).
"""
from __future__ import annotations

import math

import numpy as np

from .._tensor import Tensor, bind_methods
from ..autograd.graph import Node
from . import dual
from ._core import record
from .pointwise import X, _float64_kernel, _not_tensor, _to_float, _unary, inplace_method

__all__ = ["lgamma", "digamma", "polygamma", "mvlgamma", "i0", "i0_", "sinc", "sinc_"]

_f64 = np.float64


# -- kernels on float64 arrays ---------------------------------------------------------------------


def _lgamma_scalar(v: float) -> float:
    try:
        return math.lgamma(v)
    except ValueError:          # a pole (0, -1, -2, ...): torch gives +inf
        return math.inf


_lgamma_ufunc = np.frompyfunc(_lgamma_scalar, 1, 1)


def _lgamma_f64(x):
    return np.asarray(_lgamma_ufunc(x), _f64)


# psi(x) ~ ln x - 1/(2x) - sum B_2k / (2k x^2k): the coefficients B_2k / (2k)
_PSI_SERIES = (1 / 12, -1 / 120, 1 / 252, -1 / 240, 1 / 132, -691 / 32760, 1 / 12)


def _digamma_f64(x):
    x = np.asarray(x, _f64)
    reflect = x < 0.5
    z = np.where(reflect, 1 - x, x)
    acc = np.zeros_like(z)
    while True:                                     # psi(z) = psi(z + 1) - 1/z, up to z >= 10
        small = z < 10
        if not small.any():
            break
        acc -= np.where(small, 1 / np.where(small, z, 1), 0)
        z = np.where(small, z + 1, z)
    inv2 = 1 / (z * z)
    tail, power = np.zeros_like(z), inv2
    for c in _PSI_SERIES:
        tail += c * power
        power = power * inv2
    psi = acc + np.log(z) - 0.5 / z - tail
    with np.errstate(divide="ignore", invalid="ignore"):
        psi = np.where(reflect, psi - np.pi / np.tan(np.pi * x), psi)
    psi = np.where((x <= 0) & (x == np.floor(x)), np.nan, psi)      # poles: nan, as torch
    psi = np.where(x == 0, -np.inf, psi)
    return np.where(x == np.inf, np.inf, psi)


# B_2j / (2j)! for the Euler-Maclaurin tail of the Hurwitz zeta function
_BERNOULLI = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510, 43867 / 798,
              -174611 / 330, 854513 / 138, -236364091 / 2730)
_EM = tuple(b / math.factorial(2 * j + 2) for j, b in enumerate(_BERNOULLI))


def _zeta_f64(s: int, q):
    """zeta(s, q) for integer s >= 2 and float64 q, elementwise."""
    q = np.asarray(q, _f64)
    finite_q = np.where(np.isfinite(q), q, 10.0)
    steps = np.maximum(np.ceil(10.0 - finite_q), 0).astype(np.int64)     # direct terms per element
    total = np.zeros_like(q)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for k in range(int(steps.max()) if steps.size else 0):
            total += np.where(k < steps, (finite_q + k) ** -float(s), 0)
        a = finite_q + steps
        total += a ** (1.0 - s) / (s - 1) + 0.5 * a ** -float(s)
        rising, power = float(s), a ** (-s - 1.0)
        for j, c in enumerate(_EM):
            total += c * rising * power
            rising *= (s + 2 * j + 1) * (s + 2 * j + 2)
            power = power / (a * a)
    total = np.where(q == np.inf, 0.0, total)
    return np.where(np.isnan(q) | (q == -np.inf), np.nan, total)


def _polygamma_f64(n: int, x):
    if n == 0:
        return _digamma_f64(x)
    res = (-1.0) ** (n + 1) * math.factorial(n) * _zeta_f64(n + 1, x)
    return res if n == 1 else np.where(np.asarray(x) == np.inf, np.nan, res)   # torch: nan at +inf for n >= 2


def _i1_f64(x):
    """Modified Bessel function I1: power series for |x| <= 20, asymptotic expansion beyond."""
    x = np.asarray(x, _f64)
    ax = np.abs(x)
    half = np.minimum(ax, 20) / 2
    term = half.copy()
    series = term.copy()
    for k in range(80):
        term = term * half * half / ((k + 1) * (k + 2))
        series += term
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        big = np.maximum(ax, 20)
        corr, t = np.ones_like(big), np.ones_like(big)
        for k in range(1, 16):
            t = t * -(4 - (2 * k - 1) ** 2) / (k * 8 * big)
            corr += t
        asym = np.exp(big) / np.sqrt(2 * np.pi * big) * corr
    return np.sign(x) * np.where(ax <= 20, series, asym)


# -- differentiable ops ----------------------------------------------------------------------------


def _rule_fn(op, kernel):
    """A function for derivative rules: the recorded op on Tensors, the float64 kernel on arrays."""
    def fn(x):
        return op(x) if isinstance(x, Tensor) else kernel(x).astype(x.dtype, copy=False)
    return fn


lgamma = _unary("lgamma", _float64_kernel(_lgamma_f64), X, lambda g, x: g * _digamma_d(x))
digamma = _unary("digamma", _float64_kernel(_digamma_f64), X, lambda g, x: g * _polygamma_d(1, x))


class PolygammaBackward0(Node):
    def backward(self, g, x):
        return g * _polygamma_d(self.n + 1, x),


def polygamma(n, input, *, out=None):
    if not isinstance(input, Tensor):
        raise _not_tensor("polygamma", "input", 2, input)
    if n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")
    x = input._data
    kernel = _float64_kernel(lambda a: _polygamma_f64(n, a))
    data = kernel(x) if x.dtype.kind == "f" else _to_float(kernel)(x)
    res = record(PolygammaBackward0, data, (input,), (input,), {"n": n})
    if out is not None:
        out.copy_(res)
        return out
    return res


def _polygamma_d(n, x):
    if isinstance(x, Tensor):
        return polygamma(n, x)
    return _polygamma_f64(n, x).astype(x.dtype, copy=False)


def mvlgamma(input, p):
    """log of the multivariate gamma function: sum_i lgamma(x - i/2) + p(p-1)/4 log(pi)."""
    if p < 1:
        raise RuntimeError("p has to be greater than or equal to 1")
    x = input if input.is_floating_point() else input.float()
    offsets = x.new_tensor(np.arange(p) / 2)
    return lgamma(x.unsqueeze(-1) - offsets).sum(-1) + p * (p - 1) / 4 * math.log(math.pi)


class SpecialI1Backward0(Node):
    """i1' = i0 - i1/x, 1/2 at 0 (needed for i0's second derivative)."""

    def backward(self, g, x):
        xd = dual.data(x)
        zero = xd == 0
        safe = dual.where(zero, 1.0, x)
        return g * dual.where(zero, 0.5, _i0_d(x) - _i1_d(x) / safe),


def _i1(input):
    x = input._data
    return record(SpecialI1Backward0, _float64_kernel(_i1_f64)(x), (input,), (input,))


i0 = _unary("i0", _float64_kernel(np.i0), X, lambda g, x: g * _i1_d(x))
_i0_d = _rule_fn(i0, np.i0)
_i1_d = _rule_fn(_i1, _i1_f64)
_digamma_d = _rule_fn(digamma, _digamma_f64)


def _sinc_kernel(x):
    """sin(pi x) / (pi x) in x's own dtype, as torch rounds it (float32 sinc(1) is -2.8e-8, not 0)."""
    y = x.dtype.type(np.pi) * np.where(x == 0, 1, x)
    return np.where(x == 0, 1, np.sin(y) / y).astype(x.dtype, copy=False)


def _sinc_rule(g, x):
    """(pi x cos(pi x) - sin(pi x)) / (pi x^2), and 0 at x = 0."""
    zero = dual.data(x) == 0
    px = x * math.pi
    return g * dual.where(zero, 0.0, (px * dual.cos(px) - dual.sin(px)) / (px * x))


sinc = _unary("sinc", _sinc_kernel, X, _sinc_rule)

i0_ = inplace_method(i0, "i0_")
sinc_ = inplace_method(sinc, "sinc_")

bind_methods(lgamma=lgamma, lgamma_=inplace_method(lgamma, "lgamma_"), digamma=digamma,
             digamma_=inplace_method(digamma, "digamma_"),
             polygamma=lambda self, n: polygamma(n, self),
             polygamma_=inplace_method(lambda self, n: polygamma(n, self), "polygamma_"),
             mvlgamma=mvlgamma, mvlgamma_=inplace_method(mvlgamma, "mvlgamma_"), i0=i0, i0_=i0_, sinc=sinc,
             sinc_=sinc_)
