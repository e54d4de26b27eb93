"""Binomial draws as torch's CPU `binomial` kernel makes them, on NumPy arrays.

One element after another in the broadcast (C) order of the output, each from the default
generator's 53-bit uniform doubles: inversion by summed geometric waiting times when
count * min(p, 1 - p) < 10, Hormann's BTRS rejection otherwise (the kernel's variant, with its
Stirling tail table). The kernel's scalar type is the tensor's, so for float32 the few steps it
does in float (products, 1 - p, p / (1 - p), sqrt, log1p) are rounded to float32 here too; every
other step is double. Same seed, same values as torch, bit for bit, at a Python loop per draw.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import math

import numpy as np

from .. import _random as _rnd
from ._gamma_sampler import _uniform

_TAIL = (0.0810614667953272, 0.0413406959554092, 0.0276779256849983, 0.02079067210376509,
         0.0166446911898211, 0.0138761288230707, 0.0118967099458917, 0.0104112652619720,
         0.00925546218271273, 0.00833056343336287)
_LIBM = ctypes.CDLL(ctypes.util.find_library("m"))
_LIBM.log1pf.restype = ctypes.c_float
_LIBM.log1pf.argtypes = (ctypes.c_float,)


def _f32(x: float) -> float:
    return float(np.float32(x))


def _same(x: float) -> float:
    return x


def _stirling_tail(k: float) -> float:
    """log k! minus its Stirling approximation."""
    if k <= 9:
        return _TAIL[int(k)]
    kp1sq = (k + 1) * (k + 1)
    return (1.0 / 12 - (1.0 / 360 - 1.0 / 1260 / kp1sq) / kp1sq) / (k + 1)


def _inversion(n: float, p: float, rnd, gen) -> float:
    logq = _LIBM.log1pf(-p) if rnd is _f32 else math.log1p(-p)
    total, k = 0.0, 0.0
    while True:
        total += math.ceil(math.log(_uniform(gen)) / logq)
        if total > n:
            return k
        k += 1


def _btrs(n: float, p: float, rnd, gen) -> float:
    q = rnd(1 - p)
    stddev = rnd(math.sqrt(rnd(rnd(n * p) * q)))
    b = 1.15 + 2.53 * stddev
    a = -0.0873 + 0.0248 * b + 0.01 * p
    c = rnd(n * p) + 0.5
    v_r = 0.92 - 4.2 / b
    r = rnd(p / q)
    alpha = (2.83 + 5.1 / b) * stddev
    m = math.floor(rnd(rnd(n + 1) * p))
    while True:
        u = _uniform(gen) - 0.5
        v = _uniform(gen)
        us = 0.5 - abs(u)
        k = rnd(math.floor((2 * a / us + b) * u + c))
        if k < 0 or k > n:
            continue
        if us >= 0.07 and v <= v_r:
            return k
        v = math.log(v * alpha / (a / (us * us) + b))
        left = rnd(rnd(n - k) + 1)                    # float arithmetic where the kernel's is
        bound = ((m + 0.5) * math.log((m + 1) / (r * (n - m + 1)))
                 + rnd(n + 1) * math.log((n - m + 1) / left)
                 + (k + 0.5) * math.log(r * left / rnd(k + 1))
                 + _stirling_tail(m) + _stirling_tail(n - m) - _stirling_tail(k) - _stirling_tail(rnd(n - k)))
        if v <= bound:
            return k


def _one(n: float, p: float, rnd, gen) -> float:
    if n <= 0 or p <= 0:
        return 0.0
    if p >= 1:
        return n
    if p <= 0.5:
        return (_btrs if rnd(n * p) >= 10 else _inversion)(n, p, rnd, gen)
    if p > 0.5:
        q = rnd(1.0 - p)
        return rnd(n - (_btrs if rnd(n * q) >= 10 else _inversion)(n, q, rnd, gen))
    return math.nan


def binomial(count: np.ndarray, prob: np.ndarray, generator=None) -> np.ndarray:
    """Counts of successes in `count` trials of probability `prob` (broadcast), in prob's dtype."""
    dt = prob.dtype
    if dt not in (np.float32, np.float64):
        raise NotImplementedError(f"binomial sampling for {dt} is not implemented in numtorch")
    gen = _rnd._gen(generator)
    rnd = _f32 if dt == np.float32 else _same
    n, p = np.broadcast_arrays(count.astype(dt), prob)
    pairs = zip(n.astype(np.float64).ravel().tolist(), p.astype(np.float64).ravel().tolist())
    return np.array([_one(a, b, rnd, gen) for a, b in pairs], np.float64).astype(dt).reshape(n.shape)
