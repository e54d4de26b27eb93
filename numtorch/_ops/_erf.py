"""erf, erfc and erfinv on float64 arrays, in NumPy alone (SciPy is not a dependency).

erf and erfc are accurate to a few ulps over the whole line:

- |x| < 1: the Maclaurin series of erf (alternating, but |x| < 1 keeps the
  cancellation harmless), summed with Horner in x**2.
- 1 <= x < 3: erfc(x) = exp(-x**2) * P(x), P a Chebyshev interpolant of
  erfc(x) exp(x**2).
- x >= 3: erfc(x) = exp(-x**2) / x * Q(1/x**2), Q a Chebyshev interpolant of
  x erfc(x) exp(x**2), which tends to 1/sqrt(pi) as x grows (no cut-off needed).

The interpolants were computed for numtorch with 50-digit arithmetic (degree
chosen so the last coefficient is below 1e-17 relative). exp(-x**2) is formed
from an exact split of x**2, so the factor adds no error of its own for large x.

Below a few thousand elements the ~150 NumPy calls of that path cost more
than calling the C library's erf (Python's math.erf) per element, so small
arrays take that route; both are accurate to a few ulps.

erfinv starts from a closed-form estimate good to ~2e-3 and polishes it with
Halley steps on erf(x) - y (or erfc(x) - (1 - |y|) in the tails, where
erf(x) is too close to 1 to resolve); two steps reach full precision.
"""
from __future__ import annotations

import math

import numpy as np

__all__ = ["erf", "erfc", "erfinv"]

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)

# erf(x) = x * sum_k c_k x**(2k), c_k = 2/sqrt(pi) * (-1)**k / (k! (2k+1)); 22 terms reach 1e-22 at |x| = 1.
_MACLAURIN = [_TWO_OVER_SQRT_PI * (-1) ** k / (math.factorial(k) * (2 * k + 1)) for k in range(22)]

# erfc(x) exp(x**2) on [1, 3], Chebyshev coefficients in t = x - 2.
_NEAR = [0.2785389365977923, -0.11964641832736307, 0.02392588774648554, -0.004503974067265867,
         0.0008045451692536015, -0.00013720361484011932, 2.244458275373349e-05, -3.535572865202117e-06,
         5.380083091307861e-07, -7.92969488788695e-08, 1.1346142347924916e-08, -1.579118251021591e-09,
         2.1413966089607892e-10, -2.8336608279151752e-11, 3.663915449263601e-12, -4.634539763842976e-13,
         5.741110562810474e-14, -6.971613079108963e-15, 8.306159263442624e-16, -9.7172719436628e-17,
         1.1169214862990471e-17, -1.2473786561520602e-18]

# x erfc(x) exp(x**2) for x >= 3, Chebyshev coefficients in t = 18 / x**2 - 1 (u = 1/x**2 in [0, 1/9]).
_FAR = [0.5501319107464505, -0.013568417501041386, 0.00046289060810315435, -2.4502363267825265e-05,
        1.7029763750931283e-06, -1.4357119601213566e-07, 1.4024823838325175e-08, -1.5412080438577576e-09,
        1.8666055976384595e-10, -2.4545344734638256e-11, 3.4648092885382377e-12, -5.203911396476175e-13,
        8.257289536255734e-14, -1.3762148077177842e-14, 2.3976628520924704e-15, -4.348715646424723e-16,
        8.170566931973837e-17, -1.5272139724705654e-17]


def _chebval(t, coefs):
    """Clenshaw's recurrence for sum_k coefs[k] T_k(t)."""
    b1 = np.zeros_like(t)
    b2 = np.zeros_like(t)
    t2 = 2.0 * t
    for c in coefs[:0:-1]:
        b1, b2 = t2 * b1 - b2 + c, b1
    return t * b1 - b2 + coefs[0]


def _exp_neg_square(x):
    """exp(-x*x) without the rounding error of x*x (Dekker's split: x*x = hi + lo exactly)."""
    big = x * 134217729.0  # 2**27 + 1
    xh = big - (big - x)
    xl = x - xh
    hi = x * x
    lo = ((xh * xh - hi) + 2.0 * xh * xl) + xl * xl
    return np.exp(-hi) * (1.0 - lo)


def _erf_small(x):
    z = x * x
    acc = np.full_like(x, _MACLAURIN[-1])
    for c in _MACLAURIN[-2::-1]:
        acc = acc * z + c
    return x * acc


def _erfc_pos(x):
    """erfc for x >= 1 (large x and inf give 0; nan stays nan)."""
    out = np.empty_like(x)
    near = x < 3.0
    xn = x[near]
    if xn.size:
        out[near] = _exp_neg_square(xn) * _chebval(xn - 2.0, _NEAR)
    xf = np.minimum(x[~near], 30.0)  # erfc(30) underflows to 0 already; keeps the split finite
    if xf.size:
        out[~near] = _exp_neg_square(xf) / xf * _chebval(18.0 / (xf * xf) - 1.0, _FAR)
    return out


_PER_ELEMENT = 8192   # below this many elements, math.erf per element is faster


def _per_element(fn, x):
    return np.fromiter(map(fn, x.ravel().tolist()), np.float64, x.size).reshape(x.shape)


def erf(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if x.size < _PER_ELEMENT:
        return _per_element(math.erf, x)
    return _erf_vectorized(x)


def erfc(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if x.size < _PER_ELEMENT:
        return _per_element(math.erfc, x)
    return _erfc_vectorized(x)


def _erf_vectorized(x):
    out = np.empty_like(x)
    ax = np.abs(x)
    small = ax < 1.0
    out[small] = _erf_small(x[small])
    big = ~small
    out[big] = np.copysign(1.0 - _erfc_pos(ax[big]), x[big])
    return out


def _erfc_vectorized(x):
    out = np.empty_like(x)
    ax = np.abs(x)
    small = ax < 1.0
    out[small] = 1.0 - _erf_small(x[small])
    big = ~small
    tail = _erfc_pos(ax[big])
    out[big] = np.where(x[big] < 0, 2.0 - tail, tail)
    return out


def _erfinv_guess(a):
    """A closed-form inverse of erf on [0, 1) (relative error about 2e-3)."""
    k = 0.147
    ln = np.log((1.0 - a) * (1.0 + a))   # log(1 - a*a), without a*a rounding to 1 near a = 1
    first = 2.0 / (math.pi * k) + 0.5 * ln
    return np.sqrt(np.sqrt(first * first - ln / k) - first)


def erfinv(y: np.ndarray) -> np.ndarray:
    y = np.asarray(y, dtype=np.float64)
    a = np.abs(y)
    x = np.where(a == 1.0, np.inf, np.nan)        # |y| > 1 and nan give nan
    inside = a < 1.0
    central = inside & (a <= 0.5)
    tail = inside & ~central
    x[central] = _polish(a[central], erf, 1.0)
    x[tail] = _polish(1.0 - a[tail], erfc, -1.0)   # 1 - a is exact for a in [0.5, 1]
    return np.copysign(x, y)


def _polish(target, fn, sign):
    """Solve fn(x) = target by Halley's method (fn'' / fn' = -2x for erf and erfc alike)."""
    x = _erfinv_guess(target if sign > 0 else 1.0 - target)
    for _ in range(2):
        step = (fn(x) - target) / (sign * _TWO_OVER_SQRT_PI * _exp_neg_square(x))
        x = x - step / (1.0 + x * step)
    return x
