"""The fast path's update math, written once for two executors.

Each `<algo>` function is one optimizer update written with operators,
`np.sqrt` and `np.maximum` only, so that it runs unchanged on NumPy chunks
(the pure-NumPy path) and, compiled by numba, on single elements inside the
`<algo>_loop` functions (one pass over memory: every element of param, grad
and state is read once and written once).

Every operation is the one the per-parameter path performs, in the same
order and the same dtype: all constants arrive already cast to the param's
dtype (a Python float meeting a float32 array is rounded to float32 first,
NumPy's rule), and no literal numbers appear here (numba would compute
`1 - x` on a float32 `x` in float64). Without fast-math, every operation is
one IEEE rounding, so both executors are bit-for-bit the per-parameter path.
(torch's own CPU kernels round some steps once, with an FMA: lerp, add with
alpha, addcmul. Reproducing that here would make the fast path closer to
torch than the per-parameter path, and no longer interchangeable with it;
both stay within float32 tolerance of torch, which the tests check.)

Signature convention: (param, grad, *state, *flags, *constants) -> (param,
*state). A state buffer the options do not use is None (NumPy) or an empty
array (numba) and is never read. Flags are bools (NumPy's or Python's),
constants scalars of the param's dtype.

The `_loop` functions are plain Python here and only ever run compiled:
`_jit.py` compiles them against compiled copies of the update functions, and
numba's on-disk cache follows this file's changes.
"""
from __future__ import annotations

import numpy as np

__all__ = []  # internal


def lerp(start, end, small, weight):
    """torch's lerp as numtorch's lerp_ computes it: from the nearer end, so both ends are exact.

    `weight` is the weight itself when `small`, else one minus it.
    """
    diff = end - start
    return start + diff * weight if small else end - diff * weight


def adam(p, g, m, v, vmax, maximize, l2, decoupled, amsgrad, small, decay, wd, w1, beta2, c2, bc2_sqrt, eps,
         neg_step_size):
    if maximize:
        g = -g
    if decoupled:
        p = p * decay
    elif l2:
        g = g + p * wd
    m = lerp(m, g, small, w1)
    v = v * beta2 + g * c2 * g
    if amsgrad:
        vmax = np.maximum(vmax, v)
    p = p + m * neg_step_size / (np.sqrt(vmax if amsgrad else v) / bc2_sqrt + eps)
    return p, m, v, vmax


def sgd(p, g, buf, maximize, l2, momentum, first, nesterov, wd, mom, damp1, neg_lr):
    if maximize:
        g = -g
    if l2:
        g = g + p * wd
    if momentum:
        buf = g if first else buf * mom + g * damp1
        g = g + buf * mom if nesterov else buf
    return p + g * neg_lr, buf


def adagrad(p, g, total, maximize, l2, wd, eps, neg_clr):
    if maximize:
        g = -g
    if l2:
        g = g + p * wd
    total = total + g * g
    return p + g * neg_clr / (np.sqrt(total) + eps), total


def rmsprop(p, g, sq, gavg, buf, maximize, l2, centered, momentum, small, wd, alpha, c, w, eps, mom, neg_lr):
    if maximize:
        g = -g
    if l2:
        g = g + p * wd
    sq = sq * alpha + g * c * g
    if centered:
        gavg = lerp(gavg, g, small, w)
    avg = np.sqrt(sq + -gavg * gavg if centered else sq) + eps
    if momentum:
        buf = buf * mom + g / avg
        p = p + buf * neg_lr
    else:
        p = p + g * neg_lr / avg
    return p, sq, gavg, buf


# -- single-pass loops (compiled by _jit.py; never run as plain Python) ------------------------
# Flags and constants arrive as two small arrays (passing a dozen scalars into numba costs more than the
# loop over a small param). The options that decide which buffers exist get a loop each: LLVM vectorizes a
# loop whose loads and stores are unconditional, and turns the remaining (arithmetic-only) branches into
# selects.

def adam_loop(P, G, M, V, VMAX, flags, c):
    maximize, l2, decoupled, amsgrad, small = flags
    k = c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]
    if amsgrad:
        for i in range(P.size):
            P[i], M[i], V[i], VMAX[i] = adam(P[i], G[i], M[i], V[i], VMAX[i], maximize, l2, decoupled, True, small,
                                             *k)
    else:
        for i in range(P.size):
            P[i], M[i], V[i], _ = adam(P[i], G[i], M[i], V[i], V[i], maximize, l2, decoupled, False, small, *k)


def sgd_loop(P, G, B, flags, c):
    maximize, l2, momentum, first, nesterov = flags
    k = c[0], c[1], c[2], c[3]
    if momentum:  # on a first step B is uninitialized and read but unused
        for i in range(P.size):
            P[i], B[i] = sgd(P[i], G[i], B[i], maximize, l2, True, first, nesterov, *k)
    else:
        for i in range(P.size):
            P[i], _ = sgd(P[i], G[i], G[i], maximize, l2, False, first, nesterov, *k)


def adagrad_loop(P, G, S, flags, c):
    maximize, l2 = flags
    k = c[0], c[1], c[2]
    for i in range(P.size):
        P[i], S[i] = adagrad(P[i], G[i], S[i], maximize, l2, *k)


def rmsprop_loop(P, G, SQ, GAVG, B, flags, c):
    maximize, l2, centered, momentum, small = flags
    k = c[0], c[1], c[2], c[3], c[4], c[5], c[6]
    n = P.size
    if centered and momentum:
        for i in range(n):
            P[i], SQ[i], GAVG[i], B[i] = rmsprop(P[i], G[i], SQ[i], GAVG[i], B[i], maximize, l2, True, True, small,
                                                 *k)
    elif centered:
        for i in range(n):
            P[i], SQ[i], GAVG[i], _ = rmsprop(P[i], G[i], SQ[i], GAVG[i], G[i], maximize, l2, True, False, small,
                                              *k)
    elif momentum:
        for i in range(n):
            P[i], SQ[i], _, B[i] = rmsprop(P[i], G[i], SQ[i], G[i], B[i], maximize, l2, False, True, small, *k)
    else:
        for i in range(n):
            P[i], SQ[i], _, _ = rmsprop(P[i], G[i], SQ[i], G[i], G[i], maximize, l2, False, False, small, *k)
