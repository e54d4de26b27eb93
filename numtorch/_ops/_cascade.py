"""Floating-point sums in the order torch's CPU sum kernel adds, so that results match it bit for bit.

torch adds neither left to right nor pairwise (NumPy's way). Its CPU kernel
walks the reduction as TensorIterator lays it out:

* the dims are ordered reduced first, each group by increasing stride (kept
  dims by the output's strides), then dims contiguous with each other merge
  (size-1 dims vanish);
* one kernel call covers the two fastest dims and the rest are looped over,
  each call adding (`out += result`) into a zero-filled output;
* inside a call, each column is summed with a cascade: runs of `2**p` rows
  (p >= 4, growing with the length) are summed in sequence, runs of those
  sums again, over four levels, and the levels are added at the end;
* when the reduced dim is contiguous, rows of SIMD vectors are summed: the
  vectors split into 4 interleaved cascades, which are then added; a scalar
  sum of the tail elements continues with the vector's lanes, in order;
* when a kept dim is contiguous, 4 vectors of columns are summed at a time
  (a plain cascade), leftover columns by the 4-way split.

torch registers its sum kernel for AVX2 only, so an AVX512 CPU runs it with
32-byte vectors too (8 floats, 4 doubles, 16 halves; half is added in float).
Here every addition is a NumPy operation over all the columns that perform
it, in the same sequence, so every rounding is torch's. That is exact for
torch running single-threaded; with several threads torch splits full
reductions of more than 32768 elements between threads (docs/numerics.md).
"""
from __future__ import annotations

import numpy as np

from . import _loops

__all__ = []  # internal

_ACC = {np.dtype(np.float16): np.dtype(np.float32)}   # torch adds half in float
_VECTOR_BYTES = 32
_ZERO = {np.dtype(t): np.zeros((), t) for t in (np.float16, np.float32, np.float64)}
_plans: dict = {}


# -- the orders of addition (each reduces axis 0; the other axes are independent columns) --------


def _seq(terms):
    """terms[0] + terms[1] + ..., strictly left to right."""
    n = terms.shape[0]
    if n > 2 and terms.size <= 64 * n:           # few columns: accumulate runs along axis 0 per column
        return np.add.accumulate(terms, axis=0)[-1]
    if n == 0:
        return np.zeros(terms.shape[1:], terms.dtype)
    if n > 2:
        total = _reduce_rows(terms, 0)
        if total is not None:
            return total
    acc = terms[0]
    for i in range(1, n):
        acc = acc + terms[i]
    return acc


def _reduce_rows(x, axis):
    """np.add.reduce along `axis` when NumPy is sure to add row after row, else None.

    NumPy's reduce is pairwise only along its inner loop; when the input's fastest axis is a column
    (another axis than `axis`) the inner loop runs along it, and each column is added in sequence.
    That column axis is moved last so that the output agrees on the order of the loops."""
    if x.flags.c_contiguous and axis != x.ndim - 1 and x.shape[-1] > 1:  # the commonest case, decided at once
        return np.add.reduce(x, axis=axis)
    fastest, smallest = None, x.strides[axis]
    for a in range(x.ndim):
        if a != axis and x.shape[a] > 1 and 0 < x.strides[a] < smallest:
            fastest, smallest = a, x.strides[a]
    if fastest is None or not all(st > smallest for a, (st, n) in enumerate(zip(x.strides, x.shape))
                                  if a != fastest and n > 1 and st):
        return None
    if fastest == x.ndim - 1:
        return np.add.reduce(x, axis=axis)
    order = tuple(a for a in range(x.ndim) if a != fastest) + (fastest,)
    back = np.argsort([a for a in order if a != axis])
    return np.add.reduce(x.transpose(order), axis=order.index(axis)).transpose(back)


def _runs(x, step):
    """The sequential sum of each full run of `step` rows of x, and the rows left over."""
    full = x.shape[0] // step * step
    runs = x[:full].reshape((full // step, step) + x.shape[1:])
    total = _reduce_rows(runs, 1)
    if total is None:
        total = runs[:, 0] + runs[:, 1]
        for k in range(2, step):
            total += runs[:, k]
    return total, x[full:]


def _compiled(name: str, x):
    """The compiled twin (_loops.py) of `name` on a 2-D float32/float64 x, or None."""
    if x.ndim != 2 or x.dtype not in _loops.DTYPES:
        return None
    loop = _loops.LOOPS.get(name, x.size)
    if loop is None:
        return None
    out = np.empty(x.shape[1], x.dtype)
    loop(x, out)
    return out


def _cascade(x):
    """torch's multi_row_sum: runs of 2**p rows summed in sequence, over four levels."""
    out = _compiled("cascade", x)
    if out is not None:
        return out
    n = x.shape[0]
    step = 1 << max(4, (n - 1).bit_length() // 4)
    if n < step:
        return _seq(x)
    zero = x.dtype.type(0)
    level, rest = _runs(x, step)
    total = _seq(rest) if len(rest) else zero       # rows after the last full run
    for _ in range(2):                  # levels 1 and 2: full runs of `step` sums move up a level
        if level.shape[0] < step:
            break
        level, rest = _runs(level, step)
        total = total + (_seq(rest) if len(rest) else zero)
    return total + _seq(level)          # what stayed at the level reached (level 3 keeps all)


def _row_sum(x):
    """torch's row_sum: 4 interleaved cascades, the leftover rows added to the first, then the 4 in order."""
    out = _compiled("row_sum", x)
    if out is not None:
        return out
    n = x.shape[0]
    n4 = n // 4
    if not n4:
        return _seq(x)
    quads = x[:n4 * 4].reshape((n4, 4) + x.shape[1:])
    if x.ndim > 1:                  # the 4 streams next to the fastest axis: longer runs for NumPy
        last = x.ndim
        quads = quads.transpose((0,) + tuple(range(2, last)) + (1, last))
    parts = _cascade(quads)
    first = parts[..., 0, :] if x.ndim > 1 else parts[0]
    for i in range(n4 * 4, n):
        first = first + x[i]
    if x.ndim > 1:
        return ((first + parts[..., 1, :]) + parts[..., 2, :]) + parts[..., 3, :]
    return ((first + parts[1]) + parts[2]) + parts[3]


# -- TensorIterator's layout of a reduction ------------------------------------------------------------


def _plan(shape, strides, itemsize, reduced):
    """How to view the input for `_kernel`: (transpose axes, view shape, [in-stride of torch's first two
    dims], number of reduced dims), torch's dims being merged and ordered as TensorIterator does."""
    out_strides = {}
    acc = itemsize
    for d in range(len(shape) - 1, -1, -1):      # the output: contiguous, in keepdim shape
        if d not in reduced:
            out_strides[d] = acc
            acc *= shape[d]
    dims = [(shape[d], strides[d], out_strides.get(d, 0), d) for d in range(len(shape) - 1, -1, -1)
            if shape[d] != 1]
    for i in range(1, len(dims)):                 # TensorIterator's insertion sort, undecided pairs skipped
        moving = i
        for j in range(i - 1, -1, -1):
            c = _compare(dims[j], dims[moving])
            if c > 0:
                dims[j], dims[moving] = dims[moving], dims[j]
                moving = j
            elif c < 0:
                break
    groups = []                                   # merged dims, fastest first: [size, in, out, axes slow->fast]
    for size, ins, outs, axis in dims:
        if groups and groups[-1][0] * groups[-1][1] == ins and groups[-1][0] * groups[-1][2] == outs:
            groups[-1][0] *= size
            groups[-1][3].insert(0, axis)
        else:
            groups.append([size, ins, outs, [axis]])
    view_groups = groups[:1] + groups[:0:-1]      # the reduced dim first, then the others slowest first
    order = [a for g in view_groups for a in g[3]] + [d for d in range(len(shape)) if shape[d] == 1]
    sizes = [g[0] for g in view_groups] + ([1] if len(groups) == 1 else [])
    return order, sizes, [g[1] for g in groups[:2]], sum(1 for g in groups if g[2] == 0)


def _compare(a, b):
    """1 when dim a should run slower than dim b, -1 when faster, 0 when undecided."""
    if (a[2] == 0) != (b[2] == 0):                # the output: reduced dims first
        return 1 if b[2] == 0 else -1
    for k in (2, 1):                               # the output's strides, then the input's
        sa, sb = a[k], b[k]
        if sa == 0 or sb == 0:
            continue
        if sa != sb:
            return -1 if sa < sb else 1
        if a[0] > b[0]:
            return 1
    return 0


# -- the sum ---------------------------------------------------------------------------------------------


def cascade_sum(x, axes=None, keepdims=False, half_copy=True):
    """x (float16/32/64) summed over `axes` (a tuple, or None: all) with torch's roundings.

    half_copy: a half sum whose reduced dims do not merge into one is done on a float copy
    (torch's sum does, for accuracy: its issue 83149); nansum adds into the half output instead."""
    if x.ndim <= 1 or (axes is None and not keepdims and x.flags.c_contiguous):
        if x.ndim == 1 and x.strides[0] < 0:
            x = np.ascontiguousarray(x)
        out = np.asarray(_sum_1d(x.reshape(-1)) + _ZERO[x.dtype], x.dtype)
        return out.reshape((1,) * x.ndim) if keepdims else out
    reduced = range(x.ndim) if axes is None else axes
    shape = tuple(1 if d in reduced else s for d, s in enumerate(x.shape)) if keepdims else \
        tuple(s for d, s in enumerate(x.shape) if d not in reduced)
    if x.size == 0:
        return np.zeros(shape, x.dtype)
    if min(x.strides) < 0:
        x = _positive_strides(x)
    key = (x.shape, x.strides, x.itemsize, tuple(reduced))
    plan = _plans.get(key)
    if plan is None:
        if len(_plans) > 4096:
            _plans.clear()
        plan = _plans[key] = _plan(x.shape, x.strides, x.itemsize, frozenset(reduced))
    axes_order, sizes, strides, r = plan
    if r == 0:                                     # only size-1 dims reduced: torch computes 0 + x
        return (x + _ZERO[x.dtype]).reshape(shape)
    if r > 1 and half_copy and x.dtype in _ACC:
        return cascade_sum(x.astype(_ACC[x.dtype], order="K"), axes, keepdims).astype(x.dtype)
    sums = _kernel(x.transpose(axes_order).reshape(sizes), strides)
    if r > 1:                                      # each further reduced dim adds into the output in turn
        flat = sums.reshape(sums.shape[:1 - r] + (-1,))
        terms = flat.transpose((flat.ndim - 1,) + tuple(range(flat.ndim - 1)))
        sums = _seq(terms.astype(x.dtype, copy=False))    # a half output adds each float sum as a half
    return (sums + _ZERO[x.dtype]).astype(x.dtype, copy=False).reshape(shape)


def _sum_1d(x):
    """A one-dim reduction, the commonest case: the kernel without the layout work."""
    size = x.itemsize
    lanes = _VECTOR_BYTES // size
    if x.strides[0] == size and x.shape[0] >= lanes:
        return _inner(x, lanes)
    return _row_sum(x.astype(_ACC[x.dtype]) if x.dtype in _ACC else x)


def _kernel(view, strides):
    """torch's kernel on every column of view, whose axis 0 (reduced) it sums; the last axis is
    torch's second dim (in-stride strides[1]), the axes between are the slower dims."""
    size = view.itemsize
    lanes = _VECTOR_BYTES // size
    n0, n1, s0 = view.shape[0], view.shape[-1], strides[0]
    s1 = strides[1] if len(strides) > 1 else 0
    if s0 == size and n0 >= lanes:                 # contiguous reduced dim: rows of SIMD vectors
        return _inner(view, lanes)
    acc = _ACC.get(view.dtype)
    if acc is not None:
        view = view.astype(acc)
    if s1 == size and n1 >= lanes:                 # contiguous kept dim: 4 vectors of columns at a time
        block = 4 * _VECTOR_BYTES // view.itemsize
        split = n1 // block * block
    elif s0 < s1:
        split = 0
    else:
        split = n1 // 4 * 4
    if split == 0:
        return _row_sum(view)
    if split == n1:
        return _cascade(view)
    return np.concatenate([_cascade(view[..., :split]), _row_sum(view[..., split:])], axis=-1)


def _inner(view, lanes):
    """Vectors along the contiguous axis 0: their 4-way cascade, then tail and lanes added in order.

    Half vectors are loaded as floats by adding neighbours (16 halves to 8 floats)."""
    nvec = view.shape[0] // lanes
    nd = view.ndim
    vectors = view[:nvec * lanes].reshape((nvec, lanes) + view.shape[1:])
    if nd > 1:                                     # lanes last: NumPy's fastest axis stays the fastest
        vectors = vectors.transpose((0,) + tuple(range(2, nd + 1)) + (1,))
    tail = view[nvec * lanes:]
    acc = _ACC.get(view.dtype)
    if acc is not None:
        vectors = vectors[..., 0::2].astype(acc) + vectors[..., 1::2]
        tail = tail.astype(acc)
    lane_sums = _row_sum(vectors)
    if nd > 1:
        lane_sums = lane_sums.transpose((nd - 1,) + tuple(range(nd - 1)))
    return _seq(np.concatenate((tail, lane_sums)) if len(tail) else lane_sums)


def _positive_strides(x):
    """A copy of x laid out as torch would hold it: torch has no negative strides (its flip copies)."""
    order = sorted(range(x.ndim), key=lambda d: -abs(x.strides[d]))
    return np.ascontiguousarray(x.transpose(order)).transpose(np.argsort(order))


def sum_array(x, axes=None, keepdims=False, dtype=None, half_copy=True):
    """np.sum with torch's CPU results: floating sums (in `dtype` when given, the input cast to it
    first as torch does) in torch's order; integer and complex sums by NumPy."""
    if dtype is not None and x.dtype != dtype and np.dtype(dtype).kind == "f":
        x = x.astype(dtype)
    if x.dtype.kind == "f":
        if axes is not None:
            axes = (axes,) if isinstance(axes, (int, np.integer)) else axes
            if not len(axes):                   # NumPy's axis=(): nothing reduced
                return x + _ZERO[x.dtype]
            axes = tuple(sorted(int(a) % x.ndim for a in axes)) if x.ndim else None
        return cascade_sum(x, axes, keepdims, half_copy)
    return np.sum(x, axis=axes, keepdims=keepdims, dtype=dtype)


def serial_sum_sq(x, center: float) -> float:
    """sum((x - center)**2) in float64 as torch's full var/std (std_var_all_cpu) adds it: left to right
    within each inner 2-D loop of TensorIterator's layout, then the loops' totals in turn."""
    if not x.size:
        return 0.0
    if x.ndim > 1 and not x.flags.c_contiguous:
        if min(x.strides) < 0:
            x = _positive_strides(x)
        axes_order, sizes, _, _ = _plan(x.shape, x.strides, x.itemsize, frozenset(range(x.ndim)))
        view = x.transpose(axes_order).reshape(sizes)     # axes: dim0, then the slowest dims .. dim1
        x = view.transpose(tuple(range(1, len(sizes))) + (0,)).reshape(-1, sizes[0] * sizes[-1])
    else:
        x = x.reshape(1, -1)
    dev = x.astype(np.float64) - center
    loop_totals = np.add.accumulate(dev * dev, axis=1)[:, -1]
    return float(np.add.accumulate(loop_totals)[-1])
