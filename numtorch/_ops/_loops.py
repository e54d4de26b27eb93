"""Loops for kernels a training step runs most, compiled by numba when it is there.

NumPy's float32 `maximum` against a scalar misses its SIMD loop, and relu's
backward takes NumPy a compare, a multiply and a finiteness check (a masked
multiply alone turns an inf gradient into NaN where torch gives 0); replaying
torch's summation order (_cascade.py: a bias gradient is a column sum) takes
NumPy dozens of small adds. Compiled, each is one pass, as torch's kernels
are. The callers keep a NumPy path with the same bits for arrays that are
small, non-contiguous, of other dtypes, or when numba is absent (see
numtorch/_numba.py); tests/ops/test_compiled_loops.py checks both.

The functions are plain Python over 1-D arrays and only ever run compiled.
"""
from __future__ import annotations

import numpy as np

from .. import _numba

__all__ = []  # internal

DTYPES = (np.dtype(np.float32), np.dtype(np.float64))  # what the loops take


def relu_loop(x, out):
    for i in range(x.size):
        v = x[i]
        out[i] = 0 if v < 0 else v      # NaN and -0.0 pass through, as in torch


def relu_backward_loop(g, y, out):
    for i in range(g.size):
        out[i] = 0 if y[i] <= 0 else g[i]   # torch's threshold_backward: a NaN output passes the gradient


# -- torch's summation orders (the NumPy originals, and what they follow: _cascade.py) ---------------
# Each reduces axis 0 of a 2-D array (rows, columns) into out (columns,), the columns side by side.

def seq_rows(x, start, stop, out):
    """out = x[start] + x[start + 1] + ... + x[stop - 1], left to right; zeros when empty."""
    if start == stop:
        out[:] = 0
        return
    out[:] = x[start]
    for i in range(start + 1, stop):
        for j in range(out.size):
            out[j] += x[i, j]


def cascade_rows(x, out):
    """_cascade.py's _cascade: runs of 2**p rows summed in sequence, over four levels."""
    n, m = x.shape
    p = 0
    while (1 << p) < n:     # ceil(log2(n)), as (n - 1).bit_length()
        p += 1
    step = 1 << max(4, p // 4)
    if n < step:
        seq_rows(x, 0, n, out)
        return
    level = np.empty((n // step, m), x.dtype)
    for r in range(level.shape[0]):
        seq_rows(x, r * step, (r + 1) * step, level[r])
    total = np.empty(m, x.dtype)
    seq_rows(x, level.shape[0] * step, n, total)
    rest = np.empty(m, x.dtype)
    for _ in range(2):
        if level.shape[0] < step:
            break
        upper = np.empty((level.shape[0] // step, m), x.dtype)
        for r in range(upper.shape[0]):
            seq_rows(level, r * step, (r + 1) * step, upper[r])
        seq_rows(level, upper.shape[0] * step, level.shape[0], rest)
        total += rest
        level = upper
    seq_rows(level, 0, level.shape[0], rest)
    out[:] = total + rest


def row_sum_rows(x, out):
    """_cascade.py's _row_sum: 4 interleaved cascades, leftover rows added to the first, then the 4 in order."""
    n, m = x.shape
    n4 = n // 4
    if n4 == 0:
        seq_rows(x, 0, n, out)
        return
    parts = np.empty((4, m), x.dtype)
    for s in range(4):
        cascade_rows(x[s:n4 * 4:4], parts[s])
    for i in range(n4 * 4, n):
        parts[0] += x[i]
    out[:] = ((parts[0] + parts[1]) + parts[2]) + parts[3]


def _build(numba):
    jit = numba.njit(cache=True, **_numba.OPTIONS)
    space = dict(globals())
    for name in ("seq_rows", "cascade_rows"):       # the helpers first: the loops call the compiled ones
        space[name] = jit(_numba.rebind(globals()[name], space))
    return {"relu": jit(relu_loop), "relu_backward": jit(relu_backward_loop),
            "cascade": jit(_numba.rebind(cascade_rows, space)), "row_sum": jit(_numba.rebind(row_sum_rows, space))}


LOOPS = _numba.CompiledLoops(_build, bitwise_twins=True)


def run(name: str, *arrays):
    """The loop `name` over C-contiguous float arrays of one shape and dtype, into a new array; None when
    it does not apply (then the caller computes with NumPy)."""
    first = arrays[0]
    if first.dtype not in DTYPES or not all(a.flags.c_contiguous and a.dtype == first.dtype and
                                             a.shape == first.shape for a in arrays):
        return None
    loop = LOOPS.get(name, first.size)
    if loop is None:
        return None
    out = np.empty_like(first)
    loop(*[a.reshape(-1) for a in arrays], out.reshape(-1))
    return out


# -- 2-d convolution and max pooling (numtorch/nn/_conv.py, _pool.py) --------------------------------
# NumPy runs these as one strided pass per kernel offset, each over a fresh or padded temporary; one
# compiled pass over the windows reads and writes each element once. Arrays are (planes, H, W) and
# (planes, kh, kw, OH, OW), geometry as (sh, sw, dh, dw, ph, pw) with ph, pw the low padding.

def _tap_range(lo_pad, tap, dil, stride, out_len, size):
    """The output positions o whose input position o * stride + tap * dil - lo_pad lies in [0, size)."""
    first = lo_pad - tap * dil
    lo = 0 if first <= 0 else (first + stride - 1) // stride
    hi = (size - 1 + first) // stride + 1 if size - 1 + first >= 0 else 0
    return lo, min(hi, out_len)


def col2im2d_loop(cols, sh, sw, dh, dw, ph, pw, out):
    """out (zeros) += each window's values where they came from, offsets in row-major order (as col2im).

    Flat unsigned indices: numba checks a signed index for wraparound, and the check keeps LLVM from
    vectorizing the adds (four times slower)."""
    planes, kh, kw, oh, ow = cols.shape
    h, w = out.shape[1], out.shape[2]
    src = cols.reshape(-1)
    dst = out.reshape(-1)
    step = np.uint64(sw)
    for p in range(planes):
        for i in range(kh):
            r_lo, r_hi = _tap_range(ph, i, dh, sh, oh, h)
            for j in range(kw):
                c_lo, c_hi = _tap_range(pw, j, dw, sw, ow, w)
                for r in range(r_lo, r_hi):
                    to = np.uint64((p * h + r * sh + i * dh - ph) * w + c_lo * sw + j * dw - pw)
                    at = np.uint64((((p * kh + i) * kw + j) * oh + r) * ow + c_lo)
                    for t in range(np.uint64(max(c_hi - c_lo, 0))):
                        dst[to + t * step] += src[at + t]


def max_spread2d_loop(g, arg, kh, kw, sh, sw, dh, dw, ph, pw, out):
    """out (zeros) += each g at its window's argmax (an argmax outside the input adds nothing)."""
    planes, h, w = out.shape
    oh, ow = g.shape[1], g.shape[2]
    src = g.reshape(-1)
    taken = arg.reshape(-1)
    dst = out.reshape(-1)
    tap_y = np.empty(kh * kw, np.int64)    # integer divisions per element would cost more than the scatter
    tap_z = np.empty(kh * kw, np.int64)
    for k in range(kh * kw):
        tap_y[k] = (k // kw) * dh - ph
        tap_z[k] = (k % kw) * dw - pw
    o = np.uint64(0)
    for p in range(planes):
        for r in range(oh):
            for c in range(ow):
                k = np.uint64(taken[o])
                y = r * sh + tap_y[k]
                z = c * sw + tap_z[k]
                if 0 <= y < h and 0 <= z < w:
                    dst[np.uint64((p * h + y) * w + z)] += src[o]
                o += np.uint64(1)


def _build_nn(numba):
    jit = numba.njit(cache=True, **_numba.OPTIONS)
    space = dict(globals())
    space["_tap_range"] = jit(_tap_range)
    return {"col2im2d": jit(_numba.rebind(col2im2d_loop, space)), "max_spread2d": jit(max_spread2d_loop)}


# max_spread2d's NumPy twin writes a masked product (-0.0 where a negative gradient is not taken) and adds
# overlapping windows offset by offset, so which one runs depends on the size alone.
NN_LOOPS = _numba.CompiledLoops(_build_nn, bitwise_twins=False)
