"""Standard-gamma draws and their reparameterized derivative, on NumPy arrays.

The draws follow torch's CPU `_standard_gamma` kernel, one element after another in memory
order: Marsaglia and Tsang's rejection method on the default generator's scalar double streams
(53-bit uniforms and the cached Box-Muller normal), with alpha < 1 boosted by U^(1/alpha). The
same seed then gives torch's values bit for bit, at the price of a Python loop per element.

The derivative d x / d alpha is exact implicit differentiation of the gamma CDF at the drawn
x (-dP(alpha, x)/dalpha over the density), summed from P's power series. torch uses fitted
approximations instead, so gradients through the draws agree with torch's to about 1e-3 only.
"""
from __future__ import annotations

import math

import numpy as np

from .. import _random as _rnd

_F64 = np.dtype(np.float64)
_THIRD32 = float(np.float32(1.0) / np.float32(3.0))
_C0331 = float(np.float32(0.0331))


def _uniform(gen) -> float:
    return float(_rnd._uniform01(gen, 1, _F64)[0])


def _normal(gen) -> float:
    return float(_rnd._serial_normals(gen, 1, 0.0, 1.0)[0])


def _one(alpha, single: bool, gen) -> float:
    """One draw; `single` says the kernel's scalar type is float32 (its few float-typed steps)."""
    scale = 1.0
    if alpha < 1.0:
        if alpha == 0.0:
            return 0.0
        inv = float(np.float32(1.0) / np.float32(alpha)) if single else 1.0 / alpha
        scale *= math.pow(1.0 - _uniform(gen), inv)
        alpha = float(np.float32(alpha) + np.float32(1.0)) if single else alpha + 1.0
    d = float(np.float32(alpha) - np.float32(_THIRD32)) if single else alpha - _THIRD32
    c = 1.0 / math.sqrt(9.0 * d)
    while True:
        y = 0.0
        while y <= 0:
            x = _normal(gen)
            y = 1.0 + c * x
        v = y * y * y
        u = 1.0 - _uniform(gen)
        xx = x * x
        if u < 1.0 - _C0331 * xx * xx or math.log(u) < 0.5 * xx + d * (1.0 - v + math.log(v)):
            return scale * d * v


def standard_gamma(alpha: np.ndarray, generator=None) -> np.ndarray:
    """Gamma(alpha, 1) draws with alpha's shape and dtype (float32 or float64), never below tiny."""
    gen = _rnd._gen(generator)
    dt = alpha.dtype
    if dt not in (np.float32, np.float64):
        raise NotImplementedError(f"standard gamma sampling for {dt} is not implemented in numtorch")
    single = dt == np.float32
    flat = np.ascontiguousarray(alpha).reshape(-1).astype(np.float64)
    out = np.array([_one(a, single, gen) for a in flat.tolist()], np.float64).astype(dt)
    return np.maximum(out, np.finfo(dt).tiny).reshape(alpha.shape)


def standard_gamma_grad(x: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """d x / d alpha for x ~ Gamma(alpha, 1) held at a fixed CDF level, in float64."""
    x64, a = (np.asarray(v, np.float64) for v in np.broadcast_arrays(x, alpha))
    logx = np.log(x64)
    from .._ops.special import _digamma_f64, _lgamma_f64
    lg = _lgamma_f64(a + 1.0)          # lgamma(a + n + 1), built up term by term
    psi = _digamma_f64(a + 1.0)        # digamma(a + n + 1), likewise
    log_term = a * logx - x64 - lg     # log of x^(a+n) e^-x / Gamma(a+n+1)
    cdf_da = np.zeros_like(x64)
    top = float(np.max(x64)) if x64.size else 0.0
    for n in range(int(top + 12.0 * math.sqrt(top) + 40)):
        term = np.exp(log_term)
        cdf_da += term * (logx - psi)
        k = a + n + 1.0
        log_term = log_term + logx - np.log(k)
        psi = psi + 1.0 / k
    log_pdf = (a - 1.0) * logx - x64 - _lgamma_f64(a)
    return -cdf_da / np.exp(log_pdf)
