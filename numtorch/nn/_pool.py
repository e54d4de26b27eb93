"""Pooling kernels: max and average pooling over strided window views, adaptive max pooling.

Max pooling picks, per window, a flat index into its input plane; its gradient scatters into those
indices and the scatter's gradient gathers from them, so one pair of nodes (gather / scatter by flat
index) carries max_pool and adaptive_max_pool to any order. Average pooling is a window sum and its
adjoint (`col2im`), also a closed pair. 1-d pooling runs as 2-d pooling on an unsqueezed input, as in
torch (so its grad_fn is SqueezeBackward1).
"""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from .._ops import _loops
from .._ops._core import grad_needed, record
from .._tensor import Tensor, wrap
from ..autograd.graph import Node
from ._conv import Geometry, col2im, cropped, padded, windows, written_zeros

__all__ = []  # internal


# -- gather / scatter by flat index within each plane ----------------------------------------------

class Selection(NamedTuple):
    """Which element of each plane every output takes: flat in-plane indices `idx` over the trailing `nd` dims
    (`unique`: no element taken twice; `valid`: False where an output takes nothing and is 0)."""
    idx: np.ndarray
    nd: int
    unique: bool
    pair: tuple
    valid: np.ndarray | None = None


def _scatter_array(g: np.ndarray, sel: Selection, shape: tuple) -> np.ndarray:
    """zeros(shape) with g added at the selected positions (repeats add up)."""
    plane = math.prod(shape[-sel.nd:])
    lead = math.prod(shape[:-sel.nd])
    glob = (sel.idx.reshape(lead, -1) + (np.arange(lead) * plane)[:, None]).ravel()
    g = g.ravel() if sel.valid is None else np.where(sel.valid, g, 0).ravel()
    if sel.unique:
        out = np.zeros(lead * plane, g.dtype)
        out[glob] = g
    else:
        out = np.bincount(glob, weights=g, minlength=lead * plane).astype(g.dtype, copy=False)
    return out.reshape(shape)


def _gather_array(x: np.ndarray, sel: Selection) -> np.ndarray:
    flat = x.reshape(math.prod(x.shape[:-sel.nd]), -1)
    out = np.take_along_axis(flat, sel.idx.reshape(flat.shape[0], -1), 1).reshape(sel.idx.shape)
    return out if sel.valid is None else np.where(sel.valid, out, np.zeros((), x.dtype))


class _Gather(Node):
    """out = x at the selected positions; its gradient scatters back."""

    def backward(self, g):
        return scatter(g, self.sel, self.shape),


class _Scatter(Node):
    def backward(self, g):
        return gather(g, self.sel),


def _pair(name: str) -> tuple:
    """torch's (forward node, its backward's node) classes for a gather-based pooling op."""
    return (type(f"{name}Backward0", (_Gather,), {}), type(f"{name}BackwardBackward0", (_Scatter,), {}))


def gather(x, sel: Selection):
    if isinstance(x, Tensor):
        return record(sel.pair[0], _gather_array(x._data, sel), (x,), attrs={"sel": sel, "shape": x._data.shape})
    return _gather_array(x, sel)


def scatter(g, sel: Selection, shape):
    if isinstance(g, Tensor):
        return record(sel.pair[1], _scatter_array(g._data, sel, shape), (g,), attrs={"sel": sel})
    return _scatter_array(g, sel, shape)


_ADAPTIVE_MAX = {2: _pair("AdaptiveMaxPool2D"), 3: _pair("AdaptiveMaxPool3D")}


def _lowest(dt):
    return -np.inf if dt.kind == "f" else (np.iinfo(dt).min if dt.kind in "iu" else False)


def _argmax_last(flat: np.ndarray) -> np.ndarray:
    """argmax over the last axis; NaN wins, and like torch's kernel the last NaN of a window does."""
    am = flat.argmax(-1)
    if flat.dtype.kind == "f":
        nan = np.isnan(flat)
        rows = nan.any(-1)
        if rows.any():
            k = flat.shape[-1]
            am = np.where(rows, k - 1 - nan[..., ::-1].argmax(-1), am)
    return am


def _flat_index(offsets, starts, size) -> np.ndarray:
    """Flat in-plane index from per-dim kernel offsets (arrays) plus per-dim window starts."""
    nd = len(size)
    idx = 0
    for i in range(nd):
        shape = [1] * nd
        shape[i] = -1
        idx = idx * size[i] + (starts[i].reshape(shape) + offsets[i])
    return idx.astype(np.int64, copy=False)


# -- max pooling -----------------------------------------------------------------------------------

def pool_out_size(size, k, s, p, d, ceil_mode) -> int:
    out = (size + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


def _offset_views(xp: np.ndarray, geo: Geometry, writeable: bool = False) -> list:
    """One strided view (*lead, *out) per kernel offset, in row-major kernel order."""
    win = windows(xp, geo.k_size, geo.stride, geo.dilation, geo.g_size, writeable)
    rest = (slice(None),) * len(geo.k_size)
    return [win[(Ellipsis, *offs, *rest)] for offs in np.ndindex(*geo.k_size)]


def _max_pool_arrays(x: np.ndarray, geo: Geometry, need_arg: bool):
    """(max of each window, offset of its first maximum within the window or None).

    Like torch's kernel, NaN propagates and the last NaN of a window is its argmax."""
    views = _offset_views(padded(x, geo.pad_lo, geo.pad_hi, _lowest(x.dtype)), geo)
    best = views[0].copy()
    for v in views[1:]:
        np.maximum(best, v, out=best)
    if not need_arg:
        return best, None
    missing = np.ones(best.shape, bool)   # no maximum found yet at offsets <= k
    arg = np.zeros(best.shape, np.int16 if len(views) > 127 else np.int8)
    for v in views[:-1]:
        missing &= v != best
        arg += missing
    if best.dtype.kind == "f":
        nan = np.isnan(best)
        if nan.any():
            for k, v in enumerate(views):
                arg[nan & np.isnan(v)] = k
    return best, arg


def _spread_array(g: np.ndarray, arg: np.ndarray, geo: Geometry) -> np.ndarray:
    """zeros(x) with each g added at its window's argmax."""
    lead = g.shape[:g.ndim - len(geo.x_size)]
    loop = None if len(geo.k_size) != 2 or g.dtype not in _loops.DTYPES else \
        _loops.NN_LOOPS.get("max_spread2d", math.prod(lead + geo.x_size))
    if loop is not None:   # one scatter pass, where NumPy makes one masked pass per kernel offset
        planes = math.prod(lead)
        out = written_zeros(lead + geo.x_size, g.dtype)
        loop(np.ascontiguousarray(g).reshape((planes,) + geo.g_size), arg.reshape((planes,) + geo.g_size),
             *geo.k_size, *geo.stride, *geo.dilation, *geo.pad_lo, out.reshape((planes,) + geo.x_size))
        return out
    size = tuple(z + a + b for z, a, b in zip(geo.x_size, geo.pad_lo, geo.pad_hi))
    xp = np.zeros(g.shape[:g.ndim - len(size)] + size, g.dtype)
    overlap = any(s < d * (k - 1) + 1 for s, d, k in zip(geo.stride, geo.dilation, geo.k_size))
    pick = _picker(g)
    for k, v in enumerate(_offset_views(xp, geo, writeable=True)):
        if overlap:
            v += pick(g, arg == k)
        else:
            v[...] = pick(g, arg == k)
    return np.ascontiguousarray(cropped(xp, geo.pad_lo, geo.x_size))


def _select_array(x: np.ndarray, arg: np.ndarray, geo: Geometry) -> np.ndarray:
    """Each window's element at its argmax (the adjoint of _spread_array)."""
    views = _offset_views(padded(x, geo.pad_lo, geo.pad_hi), geo)
    pick = _picker(x)
    out = np.zeros(arg.shape, x.dtype)
    for k, v in enumerate(views):
        out += pick(v, arg == k)
    return out


def _picker(a: np.ndarray):
    """fn(values, mask) -> values where mask, else 0. A product is many times faster than np.where, and equal to
    it unless a value is infinite or NaN (then 0 * value would be NaN)."""
    if a.dtype.kind != "f" or np.isfinite(a).all():
        return np.multiply
    return lambda v, m: np.where(m, v, np.zeros((), v.dtype))


class _MaxPool(Node):
    def backward(self, g):
        return max_spread(g, self.arg, self.geo, self.pair),


class _MaxSpread(Node):
    def backward(self, g):
        return max_select(g, self.arg, self.geo, self.pair),


def max_spread(g, arg, geo, pair):
    if isinstance(g, Tensor):
        return record(pair[1], _spread_array(g._data, arg, geo), (g,), attrs={"arg": arg, "geo": geo, "pair": pair})
    return _spread_array(g, arg, geo)


def max_select(x, arg, geo, pair):
    if isinstance(x, Tensor):
        return record(pair[0], _select_array(x._data, arg, geo), (x,), attrs={"arg": arg, "geo": geo, "pair": pair})
    return _select_array(x, arg, geo)


_MAX_POOL = {nd: (type(f"MaxPool{nd}DWithIndicesBackward0", (_MaxPool,), {}),
                  type(f"MaxPool{nd}DWithIndicesBackwardBackward0", (_MaxSpread,), {})) for nd in (2, 3)}


def _pool_args(nd, kernel_size, stride, padding, dilation, name):
    k = _pool_tuple(kernel_size, nd, name, "kernel_size")
    s = k if stride is None or (isinstance(stride, (list, tuple)) and len(stride) == 0) else \
        _pool_tuple(stride, nd, name, "stride")
    p = _pool_tuple(padding, nd, name, "padding")
    d = _pool_tuple(dilation, nd, name, "dilation")
    return k, s, p, d


def _pool_tuple(value, nd, name, what):
    if isinstance(value, (int, np.integer)):
        return (int(value),) * nd
    value = tuple(int(v) for v in value)
    if len(value) == 1:
        return value * nd
    if len(value) != nd:
        article = "a tuple of two ints" if nd == 2 else f"a tuple of {nd} ints"
        raise RuntimeError(f"{name}: {what} must either be a single int, or {article}")
    return value


def _check_pool_args(nd, k, s, p, d, max_pool=True) -> None:
    if any(v == 0 for v in s):
        raise RuntimeError("stride should not be zero")
    if any(v <= 0 for v in k):
        raise RuntimeError(f"kernel size should be greater than zero, but got "
                           + " ".join(f"k{a}: {v}" for a, v in zip("DHW"[-nd:], k)))
    if any(v <= 0 for v in d):
        raise RuntimeError("dilation should be greater than zero, but got "
                           + " ".join(f"dilation{a}: {v}" for a, v in zip("THW"[-nd:], d)))
    for kk, pp, dd in zip(k, p, d):
        if pp > ((dd * (kk - 1) + 1) // 2 if max_pool else kk // 2):
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got pad={pp}, "
                               f"kernel_size={kk} and dilation={dd}")


def _check_pool_shape(x: np.ndarray, nd, out, max_pool=True) -> None:
    if x.ndim not in (nd + 1, nd + 2) or any(v == 0 for v in x.shape[-nd - 1:]):
        if max_pool and nd == 2 and x.ndim not in (3, 4):
            raise RuntimeError("non-empty 3D or 4D (batch mode) tensor expected for input")
        raise RuntimeError(f"Expected {nd + 1}D or {nd + 2}D (batch mode) tensor with optional 0 dim batch size for "
                           f"input, but got:{list(x.shape)}")
    if any(o < 1 for o in out):
        c = x.shape[-nd - 1]
        raise RuntimeError(f"Given input size: ({'x'.join(map(str, (c,) + x.shape[-nd:]))}). Calculated output size: "
                           f"({'x'.join(map(str, (c,) + tuple(out)))}). Output size is too small")


def max_pool(nd: int, input: Tensor, kernel_size, stride, padding, dilation, ceil_mode, return_indices, name):
    """max_pool{nd}d for nd in (2, 3): values (and flat in-plane indices)."""
    x = input._data
    k, s, p, d = _pool_args(nd, kernel_size, stride, padding, dilation, name)
    _check_pool_args(nd, k, s, p, d)
    size = x.shape[-nd:] if x.ndim >= nd else (1,) * nd
    out = tuple(pool_out_size(z, kk, ss, pp, dd, ceil_mode) for z, kk, ss, pp, dd in zip(size, k, s, p, d))
    _check_pool_shape(x, nd, out)
    need = tuple((o - 1) * ss + dd * (kk - 1) + 1 for o, ss, dd, kk in zip(out, s, d, k))
    hi = tuple(max(0, n - z - pp) for n, z, pp in zip(need, size, p))
    geo = Geometry(s, d, p, hi, 1, tuple(size), out, k)
    recording = grad_needed(input)
    values, arg = _max_pool_arrays(x, geo, recording or return_indices)
    pair = _MAX_POOL[nd]
    result = record(pair[0], values, (input,), attrs={"arg": arg, "geo": geo, "pair": pair}) if recording \
        else wrap(values)
    if not return_indices:
        return result
    offsets = np.unravel_index(arg, k)
    starts = [np.arange(o) * ss - pp for o, ss, pp in zip(out, s, p)]
    return result, wrap(_flat_index([off * dd for off, dd in zip(offsets, d)], starts, size))


# -- adaptive max pooling ---------------------------------------------------------------------------

def adaptive_windows(size: int, out: int):
    """torch's adaptive windows along one dim: starts (out,), and the clamped taps (out, kmax)."""
    o = np.arange(out)
    start = (o * size) // out
    end = -((-(o + 1) * size) // out)
    kmax = int((end - start).max()) if out else 0
    taps = np.minimum(start[:, None] + np.arange(kmax), end[:, None] - 1)
    return start, end, taps


def adaptive_max_pool(nd: int, input: Tensor, output_size, return_indices: bool, name: str):
    x = input._data
    if x.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(f"{name}(): Expected {nd + 1}D or {nd + 2}D tensor, but got: {list(x.shape)}")
    out = adaptive_out_size(output_size, x.shape[-nd:], nd, name)
    size = x.shape[-nd:]
    lead = x.ndim - nd
    if any(o == 0 for o in out) or x.size == 0:
        values = np.zeros(x.shape[:lead] + out, x.dtype)
        idx = np.zeros(values.shape, np.int64)
        unique = True
    else:
        taps = [adaptive_windows(z, o)[2] for z, o in zip(size, out)]
        index = []
        for i, t in enumerate(taps):          # taps[i] placed on axes (2i, 2i+1) of a 2nd-dim grid
            shape = [1] * (2 * nd)
            shape[2 * i], shape[2 * i + 1] = t.shape
            index.append(t.reshape(shape))
        grid = x[(Ellipsis, *index)]          # (*lead, o1, k1, o2, k2, ...)
        order = tuple(range(lead)) + tuple(lead + 2 * i for i in range(nd)) + tuple(lead + 2 * i + 1
                                                                                    for i in range(nd))
        flat = grid.transpose(order).reshape(x.shape[:lead] + out + (-1,))
        am = _argmax_last(flat)
        values = np.take_along_axis(flat, am[..., None], -1)[..., 0]
        offsets = np.unravel_index(am, tuple(t.shape[1] for t in taps))
        idx = 0
        for i, t in enumerate(taps):
            shape = [1] * nd
            shape[i] = -1
            pos = t[np.arange(out[i]).reshape(shape), offsets[i]]
            idx = idx * size[i] + pos
        idx = np.asarray(idx, np.int64)
        unique = all(z % o == 0 for z, o in zip(size, out))
    sel = Selection(idx, nd, unique, _ADAPTIVE_MAX[nd])
    result = record(sel.pair[0], values, (input,), attrs={"sel": sel, "shape": x.shape})
    return (result, wrap(idx)) if return_indices else result


def adaptive_out_size(output_size, size, nd: int, name: str) -> tuple:
    if isinstance(output_size, (int, np.integer)):
        return (int(output_size),) * nd
    output_size = tuple(output_size)
    if len(output_size) != nd:
        raise RuntimeError(f"{name}: output_size must be {nd}")
    return tuple(int(z) if o is None else int(o) for o, z in zip(output_size, size))


# -- average pooling --------------------------------------------------------------------------------

def _divisor(size, k, s, p, out, count_include_pad, divisor_override, dtype):
    if divisor_override is not None:
        return np.asarray(divisor_override, dtype)
    div = np.ones((), np.int64)
    for i, (z, kk, ss, pp, o) in enumerate(zip(size, k, s, p, out)):
        start = np.arange(o) * ss - pp
        end = np.minimum(start + kk, z + pp)
        n = end - start if count_include_pad else np.minimum(end, z) - np.maximum(start, 0)
        shape = [1] * len(size)
        shape[i] = -1
        div = div * n.reshape(shape)
    return div.astype(dtype)


class _AvgPool(Node):
    """out = window sums / divisor; its gradient spreads g / divisor back over each window."""

    def backward(self, g):
        return avg_spread(g, self.geo, self.div, self.pair),


class _AvgSpread(Node):
    def backward(self, g):
        return avg_sum(g, self.geo, self.div, self.pair),


_AVG = {2: (type("AvgPool2DBackward0", (_AvgPool,), {}), type("AvgPool2DBackwardBackward0", (_AvgSpread,), {})),
        3: (type("AvgPool3DBackward0", (_AvgPool,), {}), type("AvgPool3DBackwardBackward0", (_AvgSpread,), {}))}


def _avg_sum_array(x, geo: Geometry, div):
    nd = len(geo.k_size)
    win = windows(padded(x, geo.pad_lo, geo.pad_hi), geo.k_size, geo.stride, geo.dilation, geo.g_size)
    total = win.sum(axis=tuple(range(x.ndim - nd, x.ndim)))
    if x.dtype.kind != "f":
        return np.trunc(total / div).astype(x.dtype)
    return total / div


def _avg_spread_array(g, geo: Geometry, div):
    nd = len(geo.k_size)
    lead = g.shape[:-nd]
    q = (g / div).astype(g.dtype, copy=False)
    cols = np.broadcast_to(q.reshape(lead + (1,) * nd + geo.g_size), lead + geo.k_size + geo.g_size)
    size = tuple(z + a + b for z, a, b in zip(geo.x_size, geo.pad_lo, geo.pad_hi))
    xp = col2im(cols, size, geo.k_size, geo.stride, geo.dilation, geo.g_size)
    return np.ascontiguousarray(cropped(xp, geo.pad_lo, geo.x_size))


def avg_sum(x, geo, div, pair):
    if isinstance(x, Tensor):
        return record(pair[0], _avg_sum_array(x._data, geo, div), (x,), attrs={"geo": geo, "div": div, "pair": pair})
    return _avg_sum_array(x, geo, div)


def avg_spread(g, geo, div, pair):
    if isinstance(g, Tensor):
        return record(pair[1], _avg_spread_array(g._data, geo, div), (g,),
                      attrs={"geo": geo, "div": div, "pair": pair})
    return _avg_spread_array(g, geo, div)


def avg_pool(nd: int, input: Tensor, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override,
             name: str) -> Tensor:
    x = input._data
    k, s, p, _ = _pool_args(nd, kernel_size, stride, padding, 1, name)
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    _check_pool_args(nd, k, s, p, (1,) * nd, max_pool=False)
    size = x.shape[-nd:] if x.ndim >= nd else (1,) * nd
    out = tuple(pool_out_size(z, kk, ss, pp, 1, ceil_mode) for z, kk, ss, pp in zip(size, k, s, p))
    _check_pool_shape(x, nd, out, max_pool=False)
    need = tuple((o - 1) * ss + kk for o, ss, kk in zip(out, s, k))
    hi = tuple(max(0, n - z - pp) for n, z, pp in zip(need, size, p))
    geo = Geometry(s, (1,) * nd, p, hi, 1, tuple(size), out, k)
    div = _divisor(size, k, s, p, out, count_include_pad, divisor_override,
                   x.dtype if x.dtype.kind == "f" else np.float64)
    return avg_sum(input, geo, div, _AVG[nd])


# -- max unpooling: the scatter by flat index as a forward op ---------------------------------------------

_UNPOOL = {nd: (type(f"MaxUnpool{nd}DBackwardBackward0", (_Gather,), {}),
                type(f"MaxUnpool{nd}DBackward0", (_Scatter,), {})) for nd in (2, 3)}


def max_unpool(nd: int, input: Tensor, indices: Tensor, size: tuple) -> Tensor:
    """zeros(lead + size) with input's values at the flat in-plane positions `indices`."""
    x, idx = input._data, indices._data
    if idx.dtype != np.int64:
        from .._ops.pointwise import _dtype_name
        raise RuntimeError(f"elements in indices should be type int64 but got: {_dtype_name(idx.dtype)}")
    if idx.shape != x.shape:
        raise RuntimeError(f"Expected shape of indices to be same as that of the input tensor ({list(x.shape)}) but "
                           f"got indices tensor with shape: {list(idx.shape)}")
    if x.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(f"Input to max_unpooling{nd}d should be a {nd + 1}d or {nd + 2}d Tensor, but got a tensor "
                           f"with {x.ndim} dimensions.")
    plane = math.prod(size)
    if idx.size and (idx.min() < 0 or idx.max() >= plane):
        bad = int(idx.max()) if idx.max() >= plane else int(idx.min())
        raise RuntimeError(f"Found an invalid max index: {bad} (output volumes are of size {'x'.join(map(str, size))})")
    shape = x.shape[:x.ndim - nd] + tuple(size)
    lead = math.prod(shape[:-nd])
    glob = (idx.reshape(lead, -1) + (np.arange(lead) * plane)[:, None]).ravel()
    out = np.zeros(lead * plane, x.dtype)
    out[glob] = x.ravel()          # a repeated index keeps the last value, as torch's loop does
    sel = Selection(idx, nd, len(np.unique(glob)) == glob.size, _UNPOOL[nd])
    return record(sel.pair[1], out.reshape(shape), (input,), attrs={"sel": sel})


# -- fractional max pooling (Graham, 2014): pseudo-random window starts from one sample per plane and dim ---------

_FRACTIONAL = {nd: _pair(f"FractionalMaxPool{nd}D") for nd in (2, 3)}
_FRACTIONAL_DIMS = {2: ("height", "width"), 3: ("time", "height", "width")}
_FRACTIONAL_NAME = {2: "fractional_max_pool2d()", 3: "fractional_max_pool3d_out()"}


def _fractional_starts(u: np.ndarray, size: int, out: int, k: int) -> np.ndarray:
    """Window starts along one dim for samples u (...,), in u's dtype's arithmetic as torch's kernel does."""
    seq = np.empty(u.shape + (out,), np.int64)
    if out > 1:
        alpha = u.dtype.type(size - k) / u.dtype.type(out - 1)
        i = np.arange(out - 1).astype(u.dtype)
        seq[..., :-1] = ((i + u[..., None]) * alpha).astype(np.int64) - (u * alpha).astype(np.int64)[..., None]
    if out > 0:
        seq[..., -1] = size - k
    return seq


def _fractional_output_size(nd, size, output_size, output_ratio) -> tuple:
    if output_size is None and output_ratio is None:
        raise ValueError(f"fractional_max_pool{nd}d requires specifying either an output_size or an output_ratio")
    if output_size is None:
        if nd == 2 and len(output_ratio) > 2:  # torch's len() also refuses a bare float here
            raise ValueError("fractional_max_pool2d requires output_ratio to either be a single Int or tuple of "
                             "Ints.")
        ratio = tuple(output_ratio) if isinstance(output_ratio, (tuple, list)) else (output_ratio,) * nd
        return tuple(int(z * r) for z, r in zip(size, ratio))
    return _pool_tuple(output_size, nd, f"fractional_max_pool{nd}d", "output_size")


def fractional_max_pool(nd: int, input: Tensor, kernel_size, output_size, output_ratio, return_indices,
                        _random_samples):
    """Max over windows of `kernel_size` whose starts advance by pseudo-random steps of alpha = (in-k)/(out-1)."""
    x = input._data
    if x.ndim < nd + 1:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-x.ndim}, {x.ndim - 1}], but got "
                         f"{-nd - 1})")
    size = x.shape[-nd:]
    out = _fractional_output_size(nd, size, output_size, output_ratio)
    k = _pool_tuple(kernel_size, nd, f"fractional_max_pool{nd}d", "kernel_size")
    batched = x.ndim == nd + 2
    xb = x if batched else x[None]
    n, c = xb.shape[:2]
    if _random_samples is None:
        from .._random import rand
        _random_samples = rand(1 if not batched else n, c, nd, dtype=input.dtype)
    u = _random_samples._data
    if u.dtype != x.dtype:
        raise RuntimeError("Expect _random_samples to have the same dtype as input")
    if u.ndim != 3:
        raise RuntimeError(f"Expect _random samples to have 3 dimensions, but got {u.ndim}")
    if u.shape[2] != nd:
        raise RuntimeError(f"Expect _random_samples.size(2) equals to {nd}; got {u.shape[2]}.")
    if u.shape[0] < n:
        raise RuntimeError("Expect _random_samples.size(0) no less then input batch size.")
    if u.shape[1] != c:
        raise RuntimeError("Expect _random_samples.size(1) equals to input channel size.")
    for name, o, kk, z in zip(_FRACTIONAL_DIMS[nd], out, k, size):
        if o + kk - 1 > z:
            raise RuntimeError(f"{_FRACTIONAL_NAME[nd]}: pool {name} {kk} too large relative to input {name} {z}")
    shape = (n, c) + out
    if xb.size == 0 or math.prod(out) == 0:
        values, idx = np.zeros(shape, x.dtype), np.zeros(shape, np.int64)
    else:
        # torch's sample j drives dim j in 3d, but in 2d sample 0 drives the width and sample 1 the height
        order = (1, 0) if nd == 2 else (0, 1, 2)
        idx = 0
        for d in range(nd):
            starts = _fractional_starts(u[:n, :, order[d]], size[d], out[d], k[d])
            grid = [1] * (2 * nd)
            grid[d], grid[nd + d] = out[d], k[d]
            pos = (starts[..., None] + np.arange(k[d])).reshape((n, c) + tuple(grid))
            idx = idx * size[d] + pos
        windows = idx.reshape(n * c, -1)
        flat = np.take_along_axis(xb.reshape(n * c, -1), windows, 1).reshape(n * c, math.prod(out), -1)
        am = _argmax_last(flat)
        values = np.take_along_axis(flat, am[..., None], -1).reshape(shape)
        idx = np.take_along_axis(windows.reshape(flat.shape), am[..., None], -1).reshape(shape)
    if not batched:
        values, idx = values[0], idx[0]
    sel = Selection(idx, nd, False, _FRACTIONAL[nd])
    result = record(sel.pair[0], values, (input,), attrs={"sel": sel, "shape": x.shape})
    return (result, wrap(idx)) if return_indices else result


def _fractional_public(nd: int, with_indices: bool):
    def pool(input, kernel_size, output_size=None, output_ratio=None, return_indices=False, _random_samples=None):
        return fractional_max_pool(nd, input, kernel_size, output_size, output_ratio, with_indices or return_indices,
                                   _random_samples)
    pool.__name__ = f"fractional_max_pool{nd}d" + ("_with_indices" if with_indices else "")
    pool.__qualname__ = pool.__name__
    return pool


fractional_max_pool2d = _fractional_public(2, False)
fractional_max_pool2d_with_indices = _fractional_public(2, True)
fractional_max_pool3d = _fractional_public(3, False)
fractional_max_pool3d_with_indices = _fractional_public(3, True)
