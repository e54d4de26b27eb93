"""The fast path's update math, written once for two executors.

Each `<algo>` function is one optimizer update written with operators,
`np.sqrt`, `np.maximum` and `fma` only, so that it runs unchanged on NumPy
chunks (the pure-NumPy path) and, compiled by numba, on single elements
inside the `<algo>_loop` functions (one pass over memory: every element of
param, grad and state is read once and written once).

Every operation is the one the per-parameter path performs, in the same
order and the same dtype: all constants arrive already cast to the param's
dtype (a Python float meeting a float32 array is rounded to float32 first,
NumPy's rule), and no literal numbers appear here (numba would compute
`1 - x` on a float32 `x` in float64). Where the per-parameter path rounds a
multiply-add once as torch's CPU kernels do (add with alpha, lerp, addcmul:
numtorch/_ops/_fma.py), these functions call `fma(a, b, c)`. Compiled,
`fma` is LLVM's fused multiply-add wherever torch fuses (_jit.py), and
without fast-math every other operation is one IEEE rounding, so the
compiled loops are bit-for-bit the per-parameter path. On NumPy, `fma`
rounds twice (emulating it exactly would cost more than the update), so
that executor agrees with the others to rounding.

Signature convention: (param, grad, *state, *flags, *constants) -> (param,
*state). A state buffer the options do not use is None or an empty array and
is never read. Flags are anything true or false (0 or 1 in the param's dtype
when they travel with the constants), constants scalars of the param's dtype.

The `_loop` functions are plain Python here and only ever run compiled:
`_jit.py` compiles them against compiled copies of the update functions, and
numba's on-disk cache follows this file's changes.
"""
from __future__ import annotations

import numpy as np

__all__ = []  # internal


def fma(a, b, c):
    """a*b + c; on NumPy rounded twice (see above)."""
    return a * b + c


def lerp(start, end, weight, one, half):
    """torch's lerp as numtorch's lerp_ computes it: from the nearer end, so both ends are exact."""
    diff = end - start
    if -half < weight < half:
        return fma(diff, weight, start)
    return fma(diff, weight - one, end)


def adam(p, g, m, v, vmax, maximize, l2, decoupled, amsgrad, decay, wd, w1, one, half, beta2, c2, bc2_sqrt, eps,
         neg_step_size):
    if maximize:
        g = -g
    if decoupled:
        p = p * decay
    elif l2:
        g = fma(p, wd, g)
    m = lerp(m, g, w1, one, half)
    v = fma(g * c2, g, v * beta2)
    if amsgrad:
        vmax = np.maximum(vmax, v)
    p = p + m * neg_step_size / (np.sqrt(vmax if amsgrad else v) / bc2_sqrt + eps)
    return p, m, v, vmax


def sgd(p, g, buf, maximize, l2, momentum, first, nesterov, wd, mom, damp1, neg_lr):
    if maximize:
        g = -g
    if l2:
        g = fma(p, wd, g)
    if momentum:
        buf = g if first else fma(g, damp1, buf * mom)
        g = fma(buf, mom, g) if nesterov else buf
    return fma(g, neg_lr, p), buf


def adagrad(p, g, total, maximize, l2, wd, eps, neg_clr):
    if maximize:
        g = -g
    if l2:
        g = fma(p, wd, g)
    total = fma(g, g, total)
    return p + g * neg_clr / (np.sqrt(total) + eps), total


def rmsprop(p, g, sq, gavg, buf, maximize, l2, centered, momentum, wd, alpha, c, w, one, half, eps, mom, neg_lr):
    if maximize:
        g = -g
    if l2:
        g = fma(p, wd, g)
    sq = fma(g * c, g, sq * alpha)
    if centered:
        gavg = lerp(gavg, g, w, one, half)
    avg = np.sqrt(fma(-gavg, gavg, sq) if centered else sq) + eps
    if momentum:
        buf = buf * mom + g / avg
        p = fma(buf, neg_lr, p)
    else:
        p = p + g * neg_lr / avg
    return p, sq, gavg, buf


# -- single-pass loops (compiled by _jit.py; never run as plain Python) ------------------------
# The grad comes first (the rest of the arguments are kept from step to step), flags and constants arrive as
# one small array `c`, the flags first as 0 or 1 (each argument costs ~0.1 us to pass into numba, more than
# the loop over a small param). Each loop runs in two spans: up to the param's first 64-byte boundary, then
# the rest, so that the vectorized body's loads and stores do not straddle cache lines (the state buffers
# share the param's offset, see zeros_like_all; measured 3% to 20% on 10M floats). The options that decide
# which buffers exist get a span loop each: LLVM vectorizes a loop whose loads and stores are unconditional,
# and turns the remaining (arithmetic-only) branches into selects.

def head(P):
    """How many elements of P come before its first 64-byte boundary (all of them when P is that short)."""
    line = 64 // P.itemsize
    return min(P.size, (line - (P.ctypes.data // P.itemsize) % line) % line)


def adam_loop(G, P, M, V, VMAX, c):
    h = head(P)
    adam_span(G[:h], P[:h], M[:h], V[:h], VMAX[:h], c)
    adam_span(G[h:], P[h:], M[h:], V[h:], VMAX[h:], c)


def sgd_loop(G, P, B, c):
    h = head(P)
    sgd_span(G[:h], P[:h], B[:h], c)
    sgd_span(G[h:], P[h:], B[h:], c)


def adagrad_loop(G, P, S, c):
    h = head(P)
    adagrad_span(G[:h], P[:h], S[:h], c)
    adagrad_span(G[h:], P[h:], S[h:], c)


def rmsprop_loop(G, P, SQ, GAVG, B, c):
    h = head(P)
    rmsprop_span(G[:h], P[:h], SQ[:h], GAVG[:h], B[:h], c)
    rmsprop_span(G[h:], P[h:], SQ[h:], GAVG[h:], B[h:], c)


# Batches: BATCH params per call, each argument a tuple of BATCH arrays. A call from Python costs about a
# microsecond, in which no memory streams; on 200 params of 50K floats, batches of 8 made SGD's step 4% faster.
BATCH = 8


def adam_batch(G, P, M, V, VMAX, c):
    for k in range(len(P)):
        adam_loop(G[k], P[k], M[k], V[k], VMAX[k], c)


def sgd_batch(G, P, B, c):
    for k in range(len(P)):
        sgd_loop(G[k], P[k], B[k], c)


def adagrad_batch(G, P, S, c):
    for k in range(len(P)):
        adagrad_loop(G[k], P[k], S[k], c)


def rmsprop_batch(G, P, SQ, GAVG, B, c):
    for k in range(len(P)):
        rmsprop_loop(G[k], P[k], SQ[k], GAVG[k], B[k], c)


def adam_span(G, P, M, V, VMAX, c):
    maximize, l2, decoupled, amsgrad = c[0] != 0, c[1] != 0, c[2] != 0, c[3] != 0
    k = c[4], c[5], c[6], c[7], c[8], c[9], c[10], c[11], c[12], c[13]
    if amsgrad:
        for i in range(P.size):
            P[i], M[i], V[i], VMAX[i] = adam(P[i], G[i], M[i], V[i], VMAX[i], maximize, l2, decoupled, True, *k)
    else:
        for i in range(P.size):
            P[i], M[i], V[i], _ = adam(P[i], G[i], M[i], V[i], V[i], maximize, l2, decoupled, False, *k)


def sgd_span(G, P, B, c):
    maximize, l2, momentum, first, nesterov = c[0] != 0, c[1] != 0, c[2] != 0, c[3] != 0, c[4] != 0
    k = c[5], c[6], c[7], c[8]
    if momentum:  # on a first step B is uninitialized and read but unused
        for i in range(P.size):
            P[i], B[i] = sgd(P[i], G[i], B[i], maximize, l2, True, first, nesterov, *k)
    else:
        for i in range(P.size):
            P[i], _ = sgd(P[i], G[i], G[i], maximize, l2, False, first, nesterov, *k)


def adagrad_span(G, P, S, c):
    maximize, l2 = c[0] != 0, c[1] != 0
    k = c[2], c[3], c[4]
    for i in range(P.size):
        P[i], S[i] = adagrad(P[i], G[i], S[i], maximize, l2, *k)


def rmsprop_span(G, P, SQ, GAVG, B, c):
    maximize, l2, centered, momentum = c[0] != 0, c[1] != 0, c[2] != 0, c[3] != 0
    k = c[4], c[5], c[6], c[7], c[8], c[9], c[10], c[11], c[12]
    n = P.size
    if centered and momentum:
        for i in range(n):
            P[i], SQ[i], GAVG[i], B[i] = rmsprop(P[i], G[i], SQ[i], GAVG[i], B[i], maximize, l2, True, True, *k)
    elif centered:
        for i in range(n):
            P[i], SQ[i], GAVG[i], _ = rmsprop(P[i], G[i], SQ[i], GAVG[i], G[i], maximize, l2, True, False, *k)
    elif momentum:
        for i in range(n):
            P[i], SQ[i], _, B[i] = rmsprop(P[i], G[i], SQ[i], G[i], B[i], maximize, l2, False, True, *k)
    else:
        for i in range(n):
            P[i], SQ[i], _, _ = rmsprop(P[i], G[i], SQ[i], G[i], G[i], maximize, l2, False, False, *k)
