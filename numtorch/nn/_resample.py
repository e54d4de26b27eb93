"""Separable resampling: interpolate, adaptive average pooling and the index-based pads.

Each of these maps every spatial axis on its own: output position j along an axis is
sum_t w[t][j] * x[idx[t][j]] for a few taps t (1 for nearest and the pads, 2 for linear, 4 for cubic,
the window length for adaptive average pooling). The op applies one `AxisMap` per axis, last axis
first (the association torch's kernels use); its gradient applies the transposed maps, and the
gradient of that applies the maps again: one pair of nodes carries every order of derivative.
Constant padding is its own adjoint (pad by -pads), so it is one node.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .._ops import dual
from .._ops._core import record
from .._tensor import Tensor
from ..autograd.graph import Node
from ._pool import adaptive_windows

__all__ = []  # internal


class AxisMap(NamedTuple):
    """out[j] = sum_t weights[t][j] * x[idx[t][j]] along one axis (weights None: all ones)."""
    n_in: int
    idx: tuple
    weights: tuple | None = None
    valid: tuple | None = None   # per tap, where the tap exists (None: everywhere); others give 0


def _at(axis: int, ndim: int, index) -> tuple:
    return (slice(None),) * (ndim + axis) + (index,)


def _apply_axis(x: np.ndarray, m: AxisMap, axis: int) -> np.ndarray:
    shape = [1] * x.ndim
    out = None
    for t, idx in enumerate(m.idx):
        v = np.take(x, idx, axis=axis)
        if m.weights is not None:
            shape[axis] = -1
            v = v * m.weights[t].astype(x.dtype, copy=False).reshape(shape)
        if m.valid is not None and m.valid[t] is not None:
            shape[axis] = -1
            v = np.where(m.valid[t].reshape(shape), v, np.zeros((), x.dtype))
        out = v if out is None else out + v
    return out


def _scatter_axis(g: np.ndarray, idx: np.ndarray, n: int, axis: int, out: np.ndarray) -> None:
    """out (n along axis) += g placed at positions idx along axis; repeated positions add up."""
    order = np.argsort(idx, kind="stable")
    sorted_idx = idx[order]
    pos = np.arange(len(idx))
    first = np.ones(len(idx), bool)
    first[1:] = sorted_idx[1:] != sorted_idx[:-1]
    rank = pos - np.maximum.accumulate(np.where(first, pos, 0))
    for r in range(int(rank.max()) + 1 if len(idx) else 0):
        sel = order[rank == r]
        out[_at(axis, g.ndim, idx[sel])] += np.take(g, sel, axis=axis)


def _adjoint_axis(g: np.ndarray, m: AxisMap, axis: int) -> np.ndarray:
    shape = list(g.shape)
    shape[axis] = m.n_in
    out = np.zeros(shape, g.dtype)
    bshape = [1] * g.ndim
    bshape[axis] = -1
    for t, idx in enumerate(m.idx):
        v = g
        if m.weights is not None:
            v = v * m.weights[t].astype(g.dtype, copy=False).reshape(bshape)
        if m.valid is not None and m.valid[t] is not None:
            v = np.where(m.valid[t].reshape(bshape), v, np.zeros((), g.dtype))
        _scatter_axis(v, idx, m.n_in, axis, out)
    return out


def _forward_array(x, maps):
    nd = len(maps)
    for i in range(nd - 1, -1, -1):
        x = _apply_axis(x, maps[i], i - nd)
    return x


def _adjoint_array(g, maps):
    nd = len(maps)
    for i in range(nd):
        g = _adjoint_axis(g, maps[i], i - nd)
    return g


class _Resample(Node):
    def backward(self, g):
        return resample_adjoint(g, self.maps, self.pair),


class _ResampleAdjoint(Node):
    def backward(self, g):
        return resample(g, self.maps, self.pair),


def node_pair(name: str, display: str | None = None) -> tuple:
    """(forward node, its gradient's node) named as torch names them."""
    fwd = type(f"{name}Backward0", (_Resample,), {})
    if display is not None:
        fwd.name = lambda self: display
    return fwd, type(f"{name}BackwardBackward0", (_ResampleAdjoint,), {})


def resample(x, maps, pair):
    if isinstance(x, Tensor):
        return record(pair[0], _forward_array(x._data, maps), (x,), attrs={"maps": maps, "pair": pair})
    return _forward_array(x, maps)


def resample_adjoint(g, maps, pair):
    if isinstance(g, Tensor):
        return record(pair[1], _adjoint_array(g._data, maps), (g,), attrs={"maps": maps, "pair": pair})
    return _adjoint_array(g, maps)


# -- the maps -----------------------------------------------------------------------------------

def adaptive_avg_map(n_in: int, n_out: int) -> AxisMap:
    start, end, taps = adaptive_windows(n_in, n_out)
    count = end - start
    steps = np.arange(taps.shape[1])
    valid = tuple(None if (start + t < end).all() else (start + t < end) for t in steps)
    w = 1.0 / count
    return AxisMap(n_in, tuple(taps[:, t] for t in steps), tuple(w for _ in steps), valid)


def _scale(n_in, n_out, scale, dt):
    """torch's compute_scales_value, in the kernel's arithmetic type."""
    if scale is not None and scale > 0:
        return dt.type(1.0 / scale)
    return dt.type(n_in) / dt.type(n_out)


def nearest_map(n_in, n_out, scale, exact: bool) -> AxisMap:
    dst = np.arange(n_out)
    if n_out == n_in and not exact:
        src = dst
    elif n_out == 2 * n_in and not exact:
        src = dst >> 1
    else:
        s = _scale(n_in, n_out, scale, np.dtype(np.float32))
        pos = (dst.astype(np.float32) + np.float32(0.5)) * s if exact else dst.astype(np.float32) * s
        src = np.minimum(np.floor(pos).astype(np.int64), n_in - 1)
    return AxisMap(n_in, (src,))


def _source_index(n_in, n_out, scale, align_corners, cubic, dt):
    """torch's area_pixel_compute_scale + area_pixel_compute_source_index, in dtype dt."""
    dst = np.arange(n_out).astype(dt)
    if align_corners:
        s = dt.type(n_in - 1) / dt.type(n_out - 1) if n_out > 1 else dt.type(0)
        return s * dst
    s = _scale(n_in, n_out, scale, dt)
    src = s * (dst + dt.type(0.5)) - dt.type(0.5)
    return src if cubic else np.maximum(src, dt.type(0))


def _guard(src, n_in):
    i0 = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    lam = np.clip(src - i0.astype(src.dtype), 0, 1).astype(src.dtype)
    return i0, lam


def linear_map(n_in, n_out, scale, align_corners, dt) -> AxisMap:
    i0, l1 = _guard(_source_index(n_in, n_out, scale, align_corners, False, dt), n_in)
    i1 = i0 + (i0 < n_in - 1)
    return AxisMap(n_in, (i0, i1), (1 - l1, l1))


_CUBIC_A = -0.75


def cubic_map(n_in, n_out, scale, align_corners, dt) -> AxisMap:
    i0, t = _guard(_source_index(n_in, n_out, scale, align_corners, True, dt), n_in)
    a = dt.type(_CUBIC_A)

    def near(x):   # |x| <= 1
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):    # 1 < |x| < 2
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    weights = (far(t + 1), near(t), near(1 - t), far(2 - t))
    idx = tuple(np.clip(i0 - 1 + j, 0, n_in - 1) for j in range(4))
    return AxisMap(n_in, idx, weights)


def reflect_map(n_in, lo, hi) -> AxisMap:
    src = np.arange(-lo, n_in + hi)
    src = np.abs(src)
    src = np.where(src >= n_in, 2 * (n_in - 1) - src, src)
    return AxisMap(n_in, (src,))


def replicate_map(n_in, lo, hi) -> AxisMap:
    return AxisMap(n_in, (np.clip(np.arange(-lo, n_in + hi), 0, n_in - 1),))


def circular_map(n_in, lo, hi) -> AxisMap:
    return AxisMap(n_in, (np.arange(-lo, n_in + hi) % n_in,))


# -- constant padding ---------------------------------------------------------------------------------

def _constant_pad_array(x: np.ndarray, pads, value) -> np.ndarray:
    """pads: ((lo, hi) per trailing dim, first dim first); negative entries crop."""
    nd = len(pads)
    size = x.shape[x.ndim - nd:]
    out = np.full(x.shape[:x.ndim - nd] + tuple(z + lo + hi for z, (lo, hi) in zip(size, pads)), value, x.dtype)
    src, dst = [], []
    for z, (lo, hi) in zip(size, pads):
        a, b = max(-lo, 0), z - max(-hi, 0)
        src.append(slice(a, max(a, b)))
        dst.append(slice(max(lo, 0), max(lo, 0) + max(b - a, 0)))
    out[(Ellipsis, *dst)] = x[(Ellipsis, *src)]
    return out


class ConstantPadNdBackward0(Node):
    """Padding by pads; its gradient is padding by -pads (a crop), and so on."""

    def backward(self, g):
        return constant_pad(g, tuple((-lo, -hi) for lo, hi in self.pads), ConstantPadNdBackward0),


def constant_pad(x, pads, cls=ConstantPadNdBackward0, value=0):
    if isinstance(x, Tensor):
        return record(cls, _constant_pad_array(x._data, pads, value), (x,), attrs={"pads": pads})
    return _constant_pad_array(x, pads, value)


# -- pixel shuffle -------------------------------------------------------------------------------------

def _shuffle_array(x: np.ndarray, r: int, up: bool) -> np.ndarray:
    """(*, C r^2, H, W) <-> (*, C, H r, W r)."""
    *lead, c, h, w = x.shape
    n = len(lead)
    if up:
        y = x.reshape(*lead, c // (r * r), r, r, h, w).transpose(*range(n), n, n + 3, n + 1, n + 4, n + 2)
        return y.reshape(*lead, c // (r * r), h * r, w * r)
    y = x.reshape(*lead, c, h // r, r, w // r, r).transpose(*range(n), n, n + 2, n + 4, n + 1, n + 3)
    return y.reshape(*lead, c * r * r, h // r, w // r)


class PixelShuffleBackward0(Node):
    """A permutation of elements; its gradient is the inverse permutation."""

    def backward(self, g):
        return shuffle(g, self.r, not self.up),


class PixelUnshuffleBackward0(PixelShuffleBackward0):
    pass


def shuffle(x, r: int, up: bool):
    if isinstance(x, Tensor):
        cls = PixelShuffleBackward0 if up else PixelUnshuffleBackward0
        return record(cls, _shuffle_array(x._data, r, up), (x,), attrs={"r": r, "up": up})
    return _shuffle_array(x, r, up)


def _channel_shuffle_array(x: np.ndarray, groups: int) -> np.ndarray:
    n, c = x.shape[:2]
    rest = x.shape[2:]
    return x.reshape((n, groups, c // groups) + rest).swapaxes(1, 2).reshape(x.shape)


class ChannelShuffleBackward0(Node):
    """A permutation of channels; its gradient is the inverse shuffle (C / groups groups)."""

    def backward(self, g):
        return channel_shuffle(g, dual.data(g).shape[1] // self.groups),


def channel_shuffle(x, groups: int):
    if isinstance(x, Tensor):
        return record(ChannelShuffleBackward0, _channel_shuffle_array(x._data, groups), (x,), attrs={"groups": groups})
    return _channel_shuffle_array(x, groups)
