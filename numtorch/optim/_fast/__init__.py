"""The optimizers' fast path: one pass over memory per parameter, the per-parameter path's math.

torch's for-loop algorithm (numtorch's per-parameter path) makes a pass over
memory per operation: Adam reads and writes its buffers about a dozen times.
Here each parameter is updated by one loop that reads param, grad and state
once and writes them once, compiled by numba when it is installed
(`pip install numtorch[fast]`), else replayed by NumPy (_numpy_update).
The math is kernels.py's, operation for operation the per-parameter path's:
the compiled loops give the same bits (they fuse the multiply-adds the
per-parameter path fuses, as torch's CPU kernels do), the NumPy chunks agree
to the dtype's rounding (tests/optim/test_fused.py). numtorch takes this path
by default for its speed. Only foreach=False (without fused=True) asks for
the per-parameter path, differentiable=True always records the update in
the graph, and NUMTORCH_NUMBA=0 in the environment keeps numba out.

Measured with bench/optim_step.py (one 10M-element float32 param, one
thread, CPU ms per Adam step): per-parameter path 52-63, NumPy chunks 31
(replayed plans: 20), numexpr (three expressions) 67, numba 5.3; torch
2.13's fused CPU step 5.9.
With many params, each param is one compiled call from Python: handing the
whole list to compiled code measured slower (a numba typed List costs ~100
us per array to build, a reflected list ~2 us per array per call, a tuple
compiles anew for every length, and reading an array's address from Python
~1.4 us). So what Python does per param per step is kept small (200 params
of 50K floats, where the previous loop has left the caches cold): the loop
is called at its compiled entry point (_jit.py), flags and constants travel
in one array, what concerns a param and its state is checked once and kept
between steps (the memo of _rows), and a group of flat params of one dtype
runs as one plain Python loop of compiled calls (_lane). Per param of 16
floats, warm / with the caches flushed: Adam 1.5 / 3.7 us, SGD 1.05 / 3.2
(was 3.4 / 5.9 and 2.7 / 5.1); torch's fused step 3.5 / 6.2 and 1.2 / 3.1.

Each algorithm's entry point updates everything in place and returns True,
or returns False, having touched nothing, when its inputs are outside what
the kernels cover (a Tensor hyperparameter, a sparse grad, a dtype other
than float32/float64, mismatched dtypes or shapes, a read-only param); the
caller then runs the per-parameter path.
"""
from __future__ import annotations

import operator
import weakref

import numpy as np

from ... import _numba
from ..._tensor import wrap
from ...autograd.grad_mode import is_grad_enabled
from . import kernels
from ._plans import numpy_update as _numpy_update

__all__ = []  # internal


# the dtypes the kernels take, each with an empty array: an unused state buffer, as the compiled loops take it
_EMPTY = {np.dtype(t): np.empty(0, t) for t in (np.float32, np.float64)}


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
    decay = weight_decay != 0
    flags = (maximize, decay and not decoupled_weight_decay, decay and decoupled_weight_decay, amsgrad)

    def consts(step):
        return (1 - lr * weight_decay, weight_decay, 1 - beta1, 1, 0.5, beta2, 1 - beta2, (1 - beta2 ** step) ** 0.5,
                eps, -(lr / (1 - beta1 ** step)))
    return _update("adam", params, grads, (exp_avgs, exp_avg_sqs, max_exp_avg_sqs if amsgrad else None), flags,
                   consts, state_steps)


def sgd(params, grads, momentum_buffer_list, foreach, fused, *, weight_decay, momentum, lr, dampening, nesterov,
        maximize) -> bool:
    """SGD with (Nesterov) momentum, dampening, weight decay and maximize; fills in new momentum buffers."""
    if not (_wanted(foreach, fused, False) and _numbers(weight_decay, momentum, lr, dampening)):
        return False
    bufs = momentum_buffer_list if momentum != 0 else None
    flags = [(maximize, weight_decay != 0, momentum != 0, first, nesterov) for first in (False, True)]
    firsts = [] if bufs is None else [b is None for b in bufs]
    options = [flags[first] for first in firsts] if True in firsts else flags[0]

    def new_buffers(parts):  # a first step with momentum: the buffer starts as the grad (the kernel copies it)
        fresh = [i for i, first in enumerate(firsts) if first]
        for i, buf in zip(fresh, zeros_like_all([params[i] for i in fresh])):
            bufs[i] = buf
            _, flat, arrays, originals, _ = parts[i]  # this step's own (see _rows)
            originals[1] = buf._data
            if flat:
                arrays[1] = buf._data.reshape(-1)
    return _update("sgd", params, grads, (bufs,), options, (weight_decay, momentum, 1 - dampening, -lr),
                   prepare=new_buffers if True in firsts else None)


def adagrad(params, grads, state_sums, state_steps, foreach, fused, differentiable, *, lr, weight_decay, lr_decay,
            eps, maximize) -> bool:
    """Adagrad with lr decay, weight decay and maximize."""
    if not (_wanted(foreach, fused, differentiable) and _numbers(lr, weight_decay, lr_decay, eps)):
        return False
    return _update("adagrad", params, grads, (state_sums,), (maximize, weight_decay != 0),
                   lambda step: (weight_decay, eps, -(lr / (1 + (step - 1) * lr_decay))), state_steps)


def rmsprop(params, grads, square_avgs, grad_avgs, momentum_buffer_list, state_steps, foreach, differentiable, *,
            lr, alpha, eps, weight_decay, momentum, centered, maximize) -> bool:
    """RMSprop, centered and with momentum, with weight decay and maximize (torch has no fused RMSprop)."""
    if not (_wanted(foreach, None, differentiable) and _numbers(lr, alpha, eps, weight_decay, momentum)):
        return False
    return _update("rmsprop", params, grads, (square_avgs, grad_avgs if centered else None,
                                              momentum_buffer_list if momentum > 0 else None),
                   (maximize, weight_decay != 0, centered, momentum > 0),
                   lambda step: (weight_decay, alpha, 1 - alpha, 1 - alpha, 1, 0.5, eps, momentum, -lr), state_steps)


def zeros_like_all(tensors) -> list:
    """zeros_like of each of `tensors`, made side by side in one allocation per dtype.

    The state of many small params is then one run of memory, which the
    loops stream through faster than through scattered allocations
    (measured on 200 params of 50K floats: SGD's loops 4-6% faster with the
    momentum buffers together). Each buffer sits where its tensor sits
    within a 4 KiB page (a 64-byte line for small ones): with the state one
    vector ahead of the param modulo 4 KiB, a loop's loads waited on its
    stores (4K aliasing) and Adam ran 25% slower on 10M floats.
    """
    out = [None] * len(tensors)
    by_dtype = {}
    for i, t in enumerate(tensors):
        by_dtype.setdefault(t._data.dtype, []).append(i)
    for dt, indices in by_dtype.items():
        starts, end = [], 0  # each tensor's line-aligned place, relative to a page-aligned origin
        for i in indices:
            data = tensors[i]._data
            line = max(1, (4096 if data.nbytes >= 1 << 16 else 64) // dt.itemsize)
            start = -(-end // line) * line
            starts.append(start + _phase(data, line, 1))
            end = start + data.size + line
        page = max(1, 4096 // dt.itemsize)
        buf = np.zeros(end + page, dt)
        origin = _phase(buf, page, -1)
        for i, start in zip(indices, starts):
            data = tensors[i]._data
            out[i] = wrap(buf[origin + start:origin + start + data.size].reshape(data.shape))
    return out


def _phase(a, line: int, sign: int) -> int:
    """The offset, in elements, of array `a` within a line of `line` elements (times `sign`, mod line)."""
    address = a.ctypes.data
    return (sign * (address // a.itemsize)) % line if address % a.itemsize == 0 else 0


# -- shared machinery -------------------------------------------------------------------------------

def _numbers(*values) -> bool:
    """Hyperparameters the kernels take: Python numbers (a Tensor one takes the per-parameter path)."""
    return all(isinstance(v, (int, float)) for v in values)


class Params(list):
    """The list of params an optimizer's step() fills for the functional form, carrying `memo`: the checked
    rows of the group's last step (see _rows). A plain list, from a user calling the functional form, has none."""

    __slots__ = ("memo",)


_memos = weakref.WeakKeyDictionary()  # optimizer -> (its param_groups, {id(group): memo}), kept off the optimizer


def params_list(optimizer, group) -> list:
    """An empty Params for `group` of `optimizer`, with the group's memo (forgotten with the param groups:
    load_state_dict replaces them)."""
    memos = _memos.get(optimizer)
    if memos is None or memos[0] is not optimizer.param_groups:
        memos = _memos[optimizer] = (optimizer.param_groups, {})
    out = Params()
    out.memo = memos[1].setdefault(id(group), {})
    return out


def _rows(params, grads, state_lists):
    """Per param, its part (see _checked) and its grad's array; the version counters to bump; the total size.

    The result is None when any param is outside what the kernels cover:
    then nothing has been touched. What concerns the params and their state
    is checked once and kept in `params.memo` (when given), for as long as
    later steps find the same arrays in the same places; a grad is new at
    every step. (Written for speed: this runs for every param at every step,
    usually with the caches cold from the previous loop's streaming, so it
    touches as few objects as it can; comprehensions cost less than
    statements.)
    """
    used = [i for i, s in enumerate(state_lists) if s is not None]
    columns = [state_lists[i] for i in used]
    if len(params) != len(grads) or any(len(c) != len(params) for c in columns):
        raise ValueError("the lists of params, grads and state must have the same length")
    datas = [[p._data for p in params], *[[None if t is None else t._data for t in c] for c in columns]]
    memo = getattr(params, "memo", None)
    if memo is not None and _same(memo.get("datas"), datas):
        parts, lane = memo["parts"].copy(), memo["lane"]
    else:
        parts = [_checked(p, [c[i] for c in columns], used, len(state_lists)) for i, p in enumerate(params)]
        if None in parts:
            return None
        lane = _lane(parts)
        if memo is not None and not [1 for column in datas for a in column if a is None]:  # no buffer to make
            memo.update(datas=datas, parts=parts.copy(), lane=lane)
    if True in [g.is_sparse for g in grads]:
        return None
    arrays = [g._data for g in grads]
    if [1 for a, d in zip(arrays, datas[0]) if a.shape != d.shape or a.dtype is not d.dtype and a.dtype != d.dtype]:
        return None
    for i, (a, part) in enumerate(zip(arrays, parts)):
        if part[1] and (a.ndim != 1 or not a.flags.carray):  # a flat part
            if a.flags.carray:
                arrays[i] = a.reshape(-1)
            else:  # this grad only: NumPy's loop
                parts[i], lane = (part[0], False, *part[2:]), None
    versions = lane[2] if lane is not None else [v for part in parts for v in part[4]]
    return parts, arrays, versions, sum([d.size for d in datas[0]]), lane


def _lane(parts):
    """(dtype, the 1-D arrays by kernel position, every version counter) when every part is flat and of one
    dtype: the update then runs one compiled loop after another, reading nothing else per param."""
    if not parts or not all(part[1] for part in parts) or len({part[0] for part in parts}) != 1:
        return None
    return parts[0][0], [list(column) for column in zip(*[part[2] for part in parts])], \
        [v for part in parts for v in part[4]]


def _same(before, now) -> bool:
    """Whether two lists of lists hold the same objects (compared by identity: nothing is read from them)."""
    return before is not None and len(before) == len(now) and all(
        len(x) == len(y) and False not in list(map(operator.is_, x, y)) for x, y in zip(before, now))


def _checked(p, states, used, count):
    """(dtype, flat, 1-D arrays, arrays, version counters) of a param and its state, or None.

    The arrays (param, then state), are at the kernel's positions (`used` of
    `count` state lists); an unused state or a buffer still to be created is
    None, or an empty array among the 1-D ones. `flat`: every array is
    C-contiguous, aligned and writeable, so that the compiled loops can take
    the 1-D ones (they are None otherwise). The arrays, and the views made
    of them, keep the arrays whose identities key the memo alive.
    """
    data = p._data
    dt, shape = data.dtype, data.shape
    empty = _EMPTY.get(dt)
    if empty is None or not data.flags.writeable:
        return None
    originals, vcs, flat = [data] + [None] * count, [p._vc], data.flags.carray
    for i, t in zip(used, states):
        if t is not None:
            a = originals[1 + i] = t._data
            if a.shape != shape or a.dtype is not dt and a.dtype != dt:
                return None
            vcs.append(t._vc)
            flat = flat and a.flags.carray
    arrays = [empty if a is None else a if a.ndim == 1 else a.reshape(-1) for a in originals] if flat else None
    return dt, flat, arrays, originals, vcs


def _update(name: str, params, grads, state_lists, options, consts, steps=None, prepare=None) -> bool:
    """Update every param with kernels.<name>; False (nothing touched) when a param is outside the kernels.

    `options`: the flags (see kernels), one tuple for every param or a list
    of one per param; `consts`: the constants, or with `steps` (the params'
    `step` counters) a function of the step; prepare(parts), when given,
    completes the parts (see _checked) before any update.
    """
    found = _rows(params, grads, state_lists)
    if found is None:
        return False
    parts, grads, versions, numel, lane = found
    if prepare is not None:
        prepare(parts)
    loops = _compiled(name, numel)
    per_param = type(options) is list
    if steps is not None:  # `step_t += 1`, as torch does before the update (an exact sum, rounded once)
        counts = [t._data for t in steps]
        for count in counts:
            count[()] = count.item() + 1
        versions = versions + [t._vc for t in steps]
        values = [count.item() for count in counts]
    typed = {}  # (options, step, dtype) -> the kernel's constants array

    def constants(opts, step, dt):
        c = typed.get((opts, step, dt))
        if c is None:
            c = typed[opts, step, dt] = np.array((*opts, *(consts if steps is None else consts(step))), dt)
        return c
    with np.errstate(all="ignore"):  # torch does not warn on inf/nan; neither does a compiled loop
        if lane is not None and loops is not None and not per_param and (
                steps is None or values.count(values[0]) == len(values)):  # one loop, one set of constants
            loop, c = loops[lane[0]], constants(options, values[0] if steps is not None else None, lane[0])
            columns, size = [grads, *lane[1]], kernels.BATCH
            full = len(grads) - len(grads) % size
            if full:
                batch = _compiled(name + "_batch", numel)[lane[0]]
                for s in range(0, full, size):
                    batch(*[tuple(column[s:s + size]) for column in columns], c)
            for arrays in zip(*[column[full:] for column in columns]):
                loop(*arrays, c)
        else:
            for i, ((dt, flat, arrays, originals, _), grad) in enumerate(zip(parts, grads)):
                c = constants(options[i] if per_param else options, values[i] if steps is not None else None, dt)
                if not flat:
                    _numpy_update(getattr(kernels, name), [originals[0], grad, *originals[1:]], tuple(c))
                elif loops is not None:
                    loops[dt](grad, *arrays, c)
                else:
                    _numpy_update(getattr(kernels, name), [arrays[0], grad, *arrays[1:]], tuple(c))
        for v in versions:
            v[0] += 1
    return True


def _build_loops(numba):
    from ._jit import BATCHES, LOOPS
    return {**LOOPS, **{name + "_batch": batch for name, batch in BATCHES.items()}}


_LOOPS = _numba.CompiledLoops(_build_loops, bitwise_twins=False)


def _compiled(name: str, numel: int):
    """{dtype: numba's loop for `name`}, or None: see numtorch/_numba.py for when numba is used."""
    return _LOOPS.get(name, numel)
