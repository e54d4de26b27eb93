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
