"""Shape and view ops. Views share storage and version counter with their base."""
from __future__ import annotations

__all__ = ["expand", "reshape", "unsqueeze", "transpose", "permute"]

import numpy as np

from .._tensor import Tensor, _wrap_dim, bind_methods
from ..autograd.graph import Node
from . import dual
from ._core import record
from .inplace import make_view


def _sizes(size) -> tuple:
    if len(size) == 1 and not isinstance(size[0], (int, np.integer)):
        return tuple(int(s) for s in size[0])
    return tuple(int(s) for s in size)


class ExpandBackward0(Node):
    def backward(self, g):
        return g,   # the engine sums a broadcast gradient back to the input's shape


def expand(input, *sizes):
    shape = _sizes(sizes)
    x = input._data
    lead = len(shape) - x.ndim
    if lead < 0:
        raise RuntimeError(f"expand(torch.FloatTensor{{{list(x.shape)}}}, size=[{', '.join(map(str, shape))}]): "
                           f"the number of sizes provided ({len(shape)}) must be greater or equal to the "
                           f"number of dimensions in the tensor ({x.ndim})")
    target = tuple(x.shape[i - lead] if s == -1 and i >= lead else s for i, s in enumerate(shape))
    try:
        data = np.broadcast_to(x, target)
    except ValueError:
        raise RuntimeError(f"The expanded size of the tensor ({target[-1]}) must match the existing size "
                           f"({x.shape[-1]}) at non-singleton dimension {len(target) - 1}.  Target sizes: "
                           f"{list(shape)}.  Tensor sizes: {list(x.shape)}") from None
    out = record(ExpandBackward0, data, (input,))
    return make_view(out, input, lambda t: dual.expand(t, target))


class ViewBackward0(Node):
    def backward(self, g):
        return dual.reshape(g, self.shape),


def _infer_shape(shape, numel):
    if shape.count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    if -1 in shape:
        known = int(np.prod([s for s in shape if s != -1]))
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '[{', '.join(map(str, shape))}]' is invalid for input of size {numel}")
        shape = tuple(numel // known if s == -1 else s for s in shape)
    if int(np.prod(shape)) != numel:
        raise RuntimeError(f"shape '[{', '.join(map(str, shape))}]' is invalid for input of size {numel}")
    return shape


def view(input, *shape):
    if len(shape) == 1 and not isinstance(shape[0], (int, np.integer, tuple, list)):
        return input.to(shape[0]) if shape[0] is not None else input
    shape = _infer_shape(_sizes(shape), input._data.size)
    x = input._data
    data = x.view()
    try:
        data.shape = shape  # raises instead of copying when strides do not allow a view
    except AttributeError:
        raise RuntimeError("view size is not compatible with input tensor's size and stride (at least one "
                           "dimension spans across two contiguous subspaces). Use .reshape(...) instead.") from None
    out = record(ViewBackward0, data, (input,), attrs={"shape": x.shape})
    return make_view(out, input, lambda t: dual.reshape(t, shape))


def reshape(input, *shape):
    shape = _infer_shape(_sizes(shape), input._data.size)
    x = input._data
    data = x.reshape(shape)
    out = record(ViewBackward0, data, (input,), attrs={"shape": x.shape})
    if np.shares_memory(data, x) if data.size else False:
        return make_view(out, input, lambda t: dual.reshape(t, shape))
    return out


class UnsqueezeBackward0(Node):
    def backward(self, g):
        return dual.reshape(g, self.shape),


def unsqueeze(input, dim):
    x = input._data
    d = _wrap_dim(dim, x.ndim + 1)
    out = record(UnsqueezeBackward0, np.expand_dims(x, d), (input,), attrs={"shape": x.shape})
    return make_view(out, input, lambda t: dual.unsqueeze(t, d))


class TransposeBackward0(Node):
    def backward(self, g):
        return dual.transpose(g, self.d0, self.d1),


def transpose(input, dim0, dim1):
    x = input._data
    d0, d1 = _wrap_dim(dim0, x.ndim), _wrap_dim(dim1, x.ndim)
    out = record(TransposeBackward0, np.swapaxes(x, d0, d1), (input,), attrs={"d0": d0, "d1": d1})
    return make_view(out, input, lambda t: dual.transpose(t, d0, d1))


class PermuteBackward0(Node):
    def backward(self, g):
        return dual.permute(g, self.inverse),


def permute(input, *dims):
    x = input._data
    dims = tuple(_wrap_dim(d, x.ndim) for d in _sizes(dims))
    if sorted(dims) != list(range(x.ndim)):
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does not match the "
                           f"length of the desired ordering of dimensions i.e. input.dim() = {x.ndim} is not "
                           f"equal to len(dims) = {len(dims)}")
    inverse = tuple(np.argsort(dims))
    out = record(PermuteBackward0, np.transpose(x, dims), (input,), attrs={"inverse": inverse})
    return make_view(out, input, lambda t: dual.permute(t, dims))


bind_methods(expand=expand, view=view, reshape=reshape, unsqueeze=unsqueeze, transpose=transpose,
             permute=permute)
