"""Normalization kernels: batch_norm, layer_norm and group_norm as one node each.

All three normalize x over some axes of a view of it (BatchNorm: all but the channel; LayerNorm:
the trailing normalized_shape; GroupNorm: each group of channels of each sample), then apply an
elementwise affine map. The rule is written once with `dual` functions. A plain backward reuses the
forward's mean and 1/std; a backward that records a graph recomputes them from x, so second
derivatives see how the statistics depend on x.
"""
from __future__ import annotations

import numpy as np

from .._ops import dual
from .._ops._core import record
from .._tensor import Tensor
from ..autograd.graph import Node

__all__ = []  # internal


class Layout:
    """How a norm sees x: `view` (shape the stats are taken in), `axes` (reduced in the view),
    `pshape` (weight/bias broadcast against x) and `paxes` (x's axes summed for their grads)."""

    __slots__ = ("shape", "view", "axes", "count", "pshape", "paxes", "eps")

    def __init__(self, shape, view, axes, pshape, paxes, eps):
        self.shape, self.view, self.axes, self.pshape, self.paxes, self.eps = shape, view, axes, pshape, paxes, eps
        self.count = max(int(np.prod([view[a] for a in axes])), 1)


def stats(x, lay: Layout):
    """(mean, 1/sqrt(var + eps)) over lay.axes of x's view (biased variance); arrays or Tensors."""
    xv = dual.reshape(x, lay.view)
    mean = dual.sum(xv, lay.axes, keepdim=True) * (1.0 / lay.count)
    xc = xv - mean
    var = dual.sum(xc * xc, lay.axes, keepdim=True) * (1.0 / lay.count)
    return mean, dual.reciprocal(dual.sqrt(var + lay.eps))


class _NormBackward(Node):
    """y = xhat * w + b with xhat = (x - mean) * rstd; `batch_stats` False means mean / rstd are
    constants (BatchNorm in eval mode)."""

    batch_stats = True

    def backward(self, g, x, w):
        lay = self.lay
        nxt = self._next
        if self.batch_stats and dual.is_tensor(x):
            mean, rstd = stats(x, lay)
        else:
            mean, rstd = self.mean, self.rstd
        xhat_v = (dual.reshape(x, lay.view) - mean) * rstd
        xhat = dual.reshape(xhat_v, lay.shape)
        gw = gb = None
        if len(nxt) > 1 and nxt[1] is not None:
            gw = dual.reshape(dual.sum(g * xhat, lay.paxes), dual.data(w).shape)
        if len(nxt) > 2 and nxt[2] is not None:
            gb = dual.reshape(dual.sum(g, lay.paxes), self.bias_shape)
        gx = None
        if nxt[0] is not None:
            gxhat = g * dual.reshape(w, lay.pshape) if w is not None else g
            gv = dual.reshape(gxhat, lay.view)
            if self.batch_stats:
                inv = 1.0 / lay.count
                gv = gv - dual.sum(gv, lay.axes, keepdim=True) * inv \
                    - xhat_v * (dual.sum(gv * xhat_v, lay.axes, keepdim=True) * inv)
            gx = dual.reshape(gv * rstd, lay.shape)
        return gx, gw, gb


class NativeBatchNormBackward0(_NormBackward):
    pass


class NativeLayerNormBackward0(_NormBackward):
    pass


class NativeGroupNormBackward0(_NormBackward):
    pass


def normalize_affine(cls, input: Tensor, weight, bias, lay: Layout, mean=None, rstd=None) -> Tensor:
    """Run the forward (from batch stats unless mean / rstd are given) and record `cls`."""
    x = input._data
    batch_stats = mean is None
    if batch_stats:
        mean, rstd = stats(x, lay)
    y = ((x.reshape(lay.view) - mean) * rstd).reshape(lay.shape)
    if weight is not None:
        y = y * weight._data.reshape(lay.pshape)
    if bias is not None:
        y = y + bias._data.reshape(lay.pshape)
    y = y.astype(x.dtype, copy=False)
    attrs = {"lay": lay, "mean": mean, "rstd": rstd, "batch_stats": batch_stats,
             "bias_shape": None if bias is None else bias._data.shape}
    return record(cls, y, (input, weight, bias), (input, weight), attrs)


def batch_layout(shape, eps) -> Layout:
    nd = len(shape)
    axes = (0,) + tuple(range(2, nd))
    pshape = (1, shape[1]) + (1,) * (nd - 2)
    return Layout(tuple(shape), tuple(shape), axes, pshape, axes, eps)


def layer_layout(shape, k: int, eps) -> Layout:
    nd = len(shape)
    axes = tuple(range(nd - k, nd))
    return Layout(tuple(shape), tuple(shape), axes, tuple(shape[nd - k:]), tuple(range(nd - k)), eps)


def group_layout(shape, groups: int, eps) -> Layout:
    n, c = shape[0], shape[1]
    nd = len(shape)
    pshape = (1, c) + (1,) * (nd - 2)
    per_group = (c // groups) * int(np.prod(shape[2:]))
    return Layout(tuple(shape), (n, groups, per_group), (2,), pshape, (0,) + tuple(range(2, nd)), eps)
