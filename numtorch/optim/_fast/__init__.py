"""The optimizers' fast path: one pass over memory per parameter, the per-parameter path's math.

torch's for-loop algorithm (numtorch's per-parameter path) makes a pass over
memory per operation: Adam reads and writes its buffers about a dozen times.
Here each parameter is updated by one loop that reads param, grad and state
once and writes them once, compiled by numba when it is installed
(`pip install numtorch[fast]`), else run by NumPy over cache-sized chunks.
The math is kernels.py's, operation for operation the per-parameter path's;
the per-parameter path rounds torch's fused multiply-adds (add with alpha,
lerp, addcmul) once, as torch's CPU kernels do, while these loops round
twice, so the two agree to the dtype's rounding (tests/optim/test_fused.py).
numtorch takes this path by default for its speed; foreach=False gives the
per-parameter path, which follows torch's for-loop rounding. Only foreach=False (without
fused=True) asks for the per-parameter path, differentiable=True always
records the update in the graph, and NUMTORCH_NUMBA=0 in the environment
keeps numba out.

Measured with bench/optim_step.py (one 10M-element float32 param, one
thread, CPU ms per Adam step): per-parameter path 52-63, NumPy chunks 31,
numexpr (three expressions) 67, numba 5.3; torch 2.13's fused CPU step 5.9.
With many params, each param is one compiled call from Python (about 1 us of
dispatch): handing the whole list to compiled code measured slower (a numba
typed List costs ~100 us per array to build, a reflected list ~2 us per array
per call, a tuple compiles anew for every length).

Each algorithm's entry point updates everything in place and returns True,
or returns False, having touched nothing, when its inputs are outside what
the kernels cover (a Tensor hyperparameter, a sparse grad, a dtype other
than float32/float64, mismatched dtypes or shapes, a read-only param); the
caller then runs the per-parameter path.
"""
from __future__ import annotations

import os

import numpy as np

from ..._tensor import wrap
from ...autograd.grad_mode import is_grad_enabled
from . import kernels

__all__ = []  # internal

use_numba = os.environ.get("NUMTORCH_NUMBA", "1") != "0"  # False: the NumPy path only, as without numba
NUMBA_MIN_NUMEL = 1 << 16  # smaller steps are not worth numba's one-time import and cache load (~1 s)
CHUNK_BYTES = 1 << 16  # per array in a NumPy chunk: its temporaries stay in L2 cache and below malloc's mmap threshold

# the dtypes the kernels take, each with an empty array: an unused state buffer, as the compiled loops take it
_EMPTY = {np.dtype(t): np.empty(0, t) for t in (np.float32, np.float64)}
_loops = None  # numba's compiled loops once loaded; False when numba cannot be imported


def _wanted(foreach, fused, differentiable) -> bool:
    """By default, with foreach or fused; never when the update must be recorded in the graph.

    Grad mode is on exactly when the optimizer is differentiable (its step
    runs under no_grad otherwise), or when a user calls the functional form
    under grad mode, where the per-parameter path records or raises as torch does.
    """
    return (foreach is None or bool(foreach) or bool(fused)) and not differentiable and not is_grad_enabled()


def adam(params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, state_steps, foreach, fused, differentiable, *,
         amsgrad, beta1, beta2, lr, weight_decay, eps, maximize, decoupled_weight_decay) -> bool:
    """Adam and AdamW (decoupled weight decay), with amsgrad and maximize."""
    if not (_wanted(foreach, fused, differentiable) and _numbers(beta1, beta2, lr, weight_decay, eps)):
        return False
    w, small = _lerp_weight(1 - beta1)
    decay = weight_decay != 0
    flags = _flags(maximize, decay and not decoupled_weight_decay, decay and decoupled_weight_decay, amsgrad, small)

    def consts(step):
        return (1 - lr * weight_decay, weight_decay, w, beta2, 1 - beta2, (1 - beta2 ** step) ** 0.5, eps,
                -(lr / (1 - beta1 ** step)))
    return _update("adam", params, grads, (exp_avgs, exp_avg_sqs, max_exp_avg_sqs if amsgrad else None), flags,
                   _per_step(state_steps, consts))


def sgd(params, grads, momentum_buffer_list, foreach, fused, *, weight_decay, momentum, lr, dampening, nesterov,
        maximize) -> bool:
    """SGD with (Nesterov) momentum, dampening, weight decay and maximize; fills in new momentum buffers."""
    if not (_wanted(foreach, fused, False) and _numbers(weight_decay, momentum, lr, dampening)):
        return False
    bufs = momentum_buffer_list if momentum != 0 else None
    firsts = [False] * len(params) if bufs is None else [b is None for b in bufs]
    flags = [_flags(maximize, weight_decay != 0, momentum != 0, first, nesterov) for first in (False, True)]

    def new_buffers(rows):  # a first step with momentum: the buffer starts as the grad (the kernel copies it)
        for i, (arrays, _, flat) in enumerate(rows):
            if firsts[i]:
                bufs[i] = wrap(np.empty(params[i]._data.shape, arrays[0].dtype))
                arrays[2] = bufs[i]._data.reshape(-1) if flat else bufs[i]._data
    return _update("sgd", params, grads, (bufs,), [flags[first] for first in firsts],
                   _fixed((weight_decay, momentum, 1 - dampening, -lr)), new_buffers)


def adagrad(params, grads, state_sums, state_steps, foreach, fused, differentiable, *, lr, weight_decay, lr_decay,
            eps, maximize) -> bool:
    """Adagrad with lr decay, weight decay and maximize."""
    if not (_wanted(foreach, fused, differentiable) and _numbers(lr, weight_decay, lr_decay, eps)):
        return False
    flags = _flags(maximize, weight_decay != 0)
    return _update("adagrad", params, grads, (state_sums,), flags,
                   _per_step(state_steps, lambda step: (weight_decay, eps, -(lr / (1 + (step - 1) * lr_decay)))))


def rmsprop(params, grads, square_avgs, grad_avgs, momentum_buffer_list, state_steps, foreach, differentiable, *,
            lr, alpha, eps, weight_decay, momentum, centered, maximize) -> bool:
    """RMSprop, centered and with momentum, with weight decay and maximize (torch has no fused RMSprop)."""
    if not (_wanted(foreach, None, differentiable) and _numbers(lr, alpha, eps, weight_decay, momentum)):
        return False
    w, small = _lerp_weight(1 - alpha)
    flags = _flags(maximize, weight_decay != 0, centered, momentum > 0, small)
    return _update("rmsprop", params, grads, (square_avgs, grad_avgs if centered else None,
                                              momentum_buffer_list if momentum > 0 else None), flags,
                   _per_step(state_steps, lambda step: (weight_decay, alpha, 1 - alpha, w, eps, momentum, -lr)))


# -- shared machinery -------------------------------------------------------------------------------

def _numbers(*values) -> bool:
    """Hyperparameters the kernels take: Python numbers (a Tensor one takes the per-parameter path)."""
    return all(isinstance(v, (int, float)) for v in values)


def _flags(*options) -> np.ndarray:
    """The options as the kernels take them (one array: cheaper to pass into numba than separate bools)."""
    return np.array(options, dtype=bool)


def _lerp_weight(weight) -> tuple:
    """(constant, small) for kernels.lerp: numtorch's lerp_ starts from the nearer end."""
    small = -0.5 < weight < 0.5
    return (weight if small else 1 - weight), small


def _rows(params, grads, state_lists, flat: bool):
    """Per param, ([param, grad, *state] arrays, version counters of the tensors written, flattened).

    An unused state list, or a buffer still to be created, gives None. With
    `flat`, the arrays of a param whose arrays are all C-contiguous are its
    1-D views (None becoming an empty array), as the compiled loops take
    them. The result is None when any param is outside what the kernels
    cover: then nothing has been touched. (Written for speed: this runs for
    every param at every step.)
    """
    rows = []
    unused = [None] * len(params)
    for tensors in zip(params, grads, *[unused if s is None else s for s in state_lists], strict=True):
        data = tensors[0]._data
        dt, shape = data.dtype, data.shape
        if dt not in _EMPTY or tensors[1].is_sparse or not data.flags.writeable:
            return None
        arrays, contiguous = [], flat
        for t in tensors:
            if t is None:
                arrays.append(None)
                continue
            a = t._data
            if a.shape != shape or a.dtype is not dt and a.dtype != dt:
                return None
            if contiguous:
                contiguous = a.flags.c_contiguous
                a = a.reshape(-1) if a.ndim != 1 else a
            arrays.append(a)
        if contiguous:
            arrays = [_EMPTY[dt] if a is None else a for a in arrays]
        elif flat:
            arrays = [None if t is None else t._data for t in tensors]
        rows.append((arrays, [t._vc for i, t in enumerate(tensors) if i != 1 and t is not None], contiguous))
    return rows


def _update(name: str, params, grads, state_lists, flags, consts_of, prepare=None) -> bool:
    """Update every param with kernels.<name>; False (nothing touched) when a param is outside the kernels.

    `flags`: the options (see _flags), for every param or a list of one per
    param; consts_of(i, dtype) gives param i's constants (see _typed);
    prepare(rows), when given, completes the rows before any update.
    """
    per_param = isinstance(flags, list)
    loop = _compiled(name, params)
    rows = _rows(params, grads, state_lists, loop is not None)
    if rows is None:
        return False
    if prepare is not None:
        prepare(rows)
    with np.errstate(all="ignore"):  # torch does not warn on inf/nan; neither does a compiled loop
        for i, (arrays, versions, flat) in enumerate(rows):
            options, consts = (flags[i] if per_param else flags), consts_of(i, arrays[0].dtype)
            if flat:
                loop(*arrays, options, consts)
            else:
                _numpy_update(getattr(kernels, name), arrays, (*options, *consts))
            for v in versions:
                v[0] += 1
    return True


def _compiled(name: str, params):
    """numba's loop for `name` when numba is wanted, importable, and the step is large enough to pay off."""
    global _loops
    if not use_numba or sum(p._data.size for p in params) < NUMBA_MIN_NUMEL:
        return None
    if _loops is None:
        try:
            from ._jit import LOOPS
        except ImportError:
            LOOPS = False
        _loops = LOOPS
    return _loops[name] if _loops else None


def _numpy_update(update, arrays, args) -> None:
    """kernels.<algo> on NumPy arrays: whole small arrays, large contiguous ones chunk by chunk."""
    targets = [arrays[0], *arrays[2:]]
    n, chunk = arrays[0].size, CHUNK_BYTES // arrays[0].itemsize
    if n <= chunk or not all(a is None or a.flags.c_contiguous for a in arrays):
        for target, value in zip(targets, update(*arrays, *args)):
            if target is not None:
                target[...] = value
        return
    flat = [None if a is None else a.reshape(-1) for a in arrays]
    targets = [flat[0], *flat[2:]]
    for start in range(0, n, chunk):
        part = slice(start, start + chunk)
        values = update(*[None if a is None else a[part] for a in flat], *args)
        for target, value in zip(targets, values):
            if target is not None:
                target[part] = value


def _typed(dtype, values) -> np.ndarray:
    """The constants in the param's dtype, each rounded as NumPy rounds a Python float meeting that array."""
    return np.array(values, dtype=dtype)


def _fixed(values):
    """constants(i, dtype) for constants that are the same for every param."""
    cache = {}

    def for_param(i, dtype):
        if dtype not in cache:
            cache[dtype] = _typed(dtype, values)
        return cache[dtype]
    return for_param


def _per_step(state_steps, consts):
    """constants(i, dtype) for param i: bumps its `step` (as torch does, first) and caches `consts(step)`."""
    cache = {}

    def for_param(i, dtype):
        step_t = state_steps[i]
        count = step_t._data
        count[()] = count.item() + 1  # `step_t += 1`'s rounding (an exact sum, rounded once), 10x faster
        step_t._vc[0] += 1
        key = (count.item(), dtype)
        if key not in cache:
            cache[key] = _typed(dtype, consts(key[0]))
        return cache[key]
    return for_param
