"""Exact fused multiply-add on NumPy arrays: a*b + c rounded once, as torch's CPU kernels compute it.

torch's kernels are compiled with FMA contraction and its SIMD code calls
`fmadd`, so `add(x, y, alpha=a)`, `lerp`, `addcmul`, `arange`, `normal_` and
others round `a*b + c` once where NumPy rounds the product and then the sum.
NumPy has no fused multiply-add, so it is emulated:

* float32: the product of two floats is exact in float64; the float64 sum
  then rounds once more, which changes the float32 result only when that
  sum lands on a float32 midpoint (or is a float32 subnormal), so only those
  elements are redone exactly.
* float64: Dekker's exact product and Boldo & Melquiond's round-to-odd sum.

In float64, products below about 1e-290 in magnitude (next to subnormals) may be off in the last bit.

torch fuses only in the kernels it builds for AVX2 and AVX512 (and on ARM);
its baseline x86 kernels (ATEN_CPU_CAPABILITY=default) round twice, so
`muladd` follows the CPU capability torch would pick here.
"""
from __future__ import annotations

import math
import os
import platform

import numpy as np

__all__ = []  # internal

_f32 = np.dtype(np.float32)
_f64 = np.dtype(np.float64)
_SPLITTER = 134217729.0        # 2**27 + 1: Veltkamp's splitting constant for doubles
_MID32 = 1 << 28               # the 29 bits below float32 precision in a double, at a float32 midpoint
_LOW29 = (1 << 29) - 1
_TINY32 = float(np.finfo(np.float32).tiny)
_CHUNK = 1 << 16
_DOWN, _UP = 2.0 ** -64, 2.0 ** 64


def _detect_capability() -> str:
    """torch's CPU kernel flavour here ('AVX512', 'AVX2' or 'DEFAULT'), found as torch finds it
    (AVX512 needs F/BW/DQ/VL, AVX2 needs FMA too) without importing torch.

    NUMTORCH_CPU_CAPABILITY, then torch's own ATEN_CPU_CAPABILITY, override it."""
    forced = (os.environ.get("NUMTORCH_CPU_CAPABILITY") or os.environ.get("ATEN_CPU_CAPABILITY") or "").upper()
    if forced:
        return forced if forced in ("AVX512", "AVX2") else "DEFAULT"
    features = getattr(np._core._multiarray_umath, "__cpu_features__", {})
    if features.get("AVX512_SKX"):
        return "AVX512"
    if features.get("AVX2") and features.get("FMA3"):
        return "AVX2"
    return "DEFAULT"


CAPABILITY = _detect_capability()
FUSED = CAPABILITY in ("AVX2", "AVX512") or platform.machine().lower() in ("arm64", "aarch64")


def cpu_capability() -> str:
    """What torch.backends.cpu.get_cpu_capability() reports on this machine (x86), as numtorch assumes it."""
    return CAPABILITY


def muladd(a, b, c, np_dt):
    """a*b + c in np_dt (float32 or float64; operands of that dtype or numbers) as torch's CPU
    kernels compute it here: rounded once where they fuse (FUSED), else rounded twice."""
    if FUSED:
        return fma(a, b, c, np_dt)
    return np.asarray(a * b + c, np_dt)


def _two_sum(a, b):
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def _split(a):
    """Veltkamp's split of doubles: a = hi + lo, each half fitting 26 bits."""
    ca = _SPLITTER * a
    hi = ca - (ca - a)
    return hi, a - hi


def _two_prod(a, b):
    p = a * b
    ah, al = _split(a)
    bh, bl = _split(b)
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


def _add_round_odd(a, b):
    """a + b rounded to odd: a sticky last bit that makes a later rounding exact."""
    s, e = _two_sum(a, b)
    s = np.array(s, _f64)
    bits = s.view(np.int64)
    fix = (e != 0) & ((bits & 1) == 0)      # inexact and even: step to the odd neighbour towards a + b
    if np.count_nonzero(fix):
        away = np.signbit(e) == np.signbit(s)
        bits += fix * np.where(away, 1, -1)
    return s


def _fma32(p, c) -> np.ndarray:
    """float32(p + c) rounded once, p being exact products of floats (so doubles)."""
    c = np.asarray(c, _f64)
    s = np.asarray(p + c)
    r = s.astype(_f32)
    mid = (s.view(np.uint64) & _LOW29) == _MID32
    if not np.count_nonzero(mid) and not np.min(np.abs(r), initial=np.inf) < _TINY32:
        return r                           # the common case: rounding the double again changed nothing
    redo = mid & (_two_sum(p, c)[1] != 0)  # an exact double sum (often a midpoint) rounds only once
    redo |= (np.abs(s) < _TINY32) & (s != 0)   # float32 subnormals have fewer bits
    if np.count_nonzero(redo):
        p, c = np.broadcast_to(p, s.shape), np.broadcast_to(c, s.shape)
        s[redo] = _add_round_odd(p[redo], c[redo])
        r = s.astype(_f32)
    return r


def _fma64(a, b, c, rescaled=False):
    """Boldo & Melquiond: the exact product's two parts and c added, the small part rounded to odd.

    Where that is not finite: with finite operands (a split overflowing above ~1e300) it is redone on
    the larger factor and c scaled down by 2**-64 (exact) and scaled back; otherwise (infinities or NaNs given) the
    plain a*b + c, or c where a and b are finite (an FMA's product does not overflow)."""
    uh, ul = _two_prod(a, b)
    th, tl = _two_sum(c, uh)
    out = np.asarray(th + _add_round_odd(tl, ul))
    finite = np.isfinite(out)
    if finite.all():
        return out
    operands = np.isfinite(a) & np.isfinite(b) & np.isfinite(c)
    plain = np.where(np.isfinite(a) & np.isfinite(b) & ~np.isfinite(c), c, a * b + c)
    if not rescaled and np.any(operands & ~finite):
        a_bigger = np.abs(a) >= np.abs(b)            # scale the larger factor (and c) down
        scaled = _fma64(np.where(a_bigger, a * _DOWN, a), np.where(a_bigger, b, b * _DOWN), c * _DOWN, True)
        plain = np.where(operands, scaled * _UP, plain)
    return np.where(finite, out, plain)


def _kernel(a, b, c, np_dt):
    if np_dt == _f32:
        return _fma32(np.multiply(np.asarray(a, _f64), np.asarray(b, _f64)), c)
    return np.asarray(_fma64(*(np.asarray(x, _f64) for x in (a, b, c))))


def fma(a, b, c, np_dt=_f64) -> np.ndarray:
    """Correctly rounded a*b + c as an array of np_dt (float32 or float64); operands broadcast.

    Large operands are done in cache-sized chunks: the emulation's many temporaries then stay in
    cache (and out of the page-fault path of fresh large allocations)."""
    np_dt = np.dtype(np_dt)
    ops = (a, b, c)
    if not any(type(x) is np.ndarray and x.size > _CHUNK for x in ops):
        return _kernel(a, b, c, np_dt)
    shape = np.broadcast_shapes(*(np.shape(x) for x in ops))
    size = math.prod(shape)
    if any(np.ndim(x) and (np.shape(x) != shape or not np.asarray(x).flags.c_contiguous) for x in ops):
        return _kernel(a, b, c, np_dt)
    flat = [np.asarray(x).reshape(-1) if np.ndim(x) else x for x in ops]
    out = np.empty(shape, np_dt)
    dest = out.reshape(-1)
    for i in range(0, size, _CHUNK):
        dest[i:i + _CHUNK] = _kernel(*(x[i:i + _CHUNK] if np.ndim(x) else x for x in flat), np_dt)
    return out
