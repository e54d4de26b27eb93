"""Reductions: sum, mean, ... The backward of a reduction expands the grad back."""
from __future__ import annotations

__all__ = ["mean", "sum", "sum_to_size"]

import numpy as np

from .. import _dtype
from .._tensor import Tensor, bind_methods
from ..autograd.graph import Node
from . import dual
from ._core import record


def reduced_dims(dim, ndim: int):
    """Normalize torch's dim argument (None, int, or sequence) to a sorted tuple of axes, or None."""
    if dim is None:
        return None
    dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
    if len(dims) == 0:
        return None
    n = max(ndim, 1)
    out = []
    for d in dims:
        if not -n <= d < n:
            raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {d})")
        out.append(d % n)
    if len(set(out)) != len(out):
        raise RuntimeError(f"dim {out[0]} appears multiple times in the list of dims")
    return tuple(sorted(out))


def expand_back(g, shape, dims, keepdim):
    """Broadcast a reduced gradient back to the input shape."""
    if dims is not None and not keepdim and len(shape):
        g = dual.unsqueeze(g, dims)
    return dual.expand(g, shape)


class SumBackward0(Node):
    def backward(self, g):
        return dual.expand(g, self.shape),


class SumBackward1(Node):
    def backward(self, g):
        return expand_back(g, self.shape, self.dims, self.keepdim),


def _acc_dtype(x, dtype):
    if dtype is not None:
        return _dtype.from_any(dtype).np
    return np.int64 if x.dtype.kind in "biu" else None


def sum(input, dim=None, keepdim=False, *, dtype=None):  # noqa: A001
    x = input._data
    dims = reduced_dims(dim, x.ndim)
    acc = _acc_dtype(x, dtype)
    if dims is None and dim is None:
        return record(SumBackward0, np.sum(x, dtype=acc), (input,), attrs={"shape": x.shape})
    axis = dims if x.ndim else None
    data = np.sum(x, axis=axis, keepdims=keepdim, dtype=acc)
    return record(SumBackward1, data, (input,), attrs={"shape": x.shape, "dims": axis, "keepdim": keepdim})


class MeanBackward0(Node):
    def backward(self, g):
        return dual.expand(g / self.count, self.shape),


class MeanBackward1(Node):
    def backward(self, g):
        return expand_back(g / self.count, self.shape, self.dims, self.keepdim),


def mean(input, dim=None, keepdim=False, *, dtype=None):
    x = input._data
    if dtype is None and x.dtype.kind != "f":
        raise RuntimeError(f"mean(): could not infer output dtype. Input dtype must be either a floating "
                           f"point or complex dtype. Got: {_dtype.from_np(x.dtype).name.capitalize()}")
    acc = _dtype.from_any(dtype).np if dtype is not None else None
    dims = reduced_dims(dim, x.ndim)
    if dims is None and dim is None:
        return record(MeanBackward0, np.mean(x, dtype=acc), (input,), attrs={"shape": x.shape, "count": x.size})
    axis = dims if x.ndim else None
    count = int(np.prod([x.shape[d] for d in axis])) if axis else 1
    data = np.mean(x, axis=axis, keepdims=keepdim, dtype=acc)
    return record(MeanBackward1, data, (input,),
                  attrs={"shape": x.shape, "dims": axis, "keepdim": keepdim, "count": count})


class SumToSizeBackward0(Node):
    def backward(self, g):
        return dual.expand(g, self.shape),


def sum_to_size(input, *size):
    shape = tuple(size[0]) if len(size) == 1 and not isinstance(size[0], int) else tuple(size)
    x = input._data
    if x.shape == shape:
        return input
    if len(shape) > x.ndim or any(s not in (1, xs) for s, xs in zip(shape[::-1], x.shape[::-1])):
        raise RuntimeError(f"size {{{list(shape)}}} is not expandable to size {{{list(x.shape)}}}.")
    return record(SumToSizeBackward0, dual.sum_to_array(x, shape), (input,), attrs={"shape": x.shape})


bind_methods(sum=sum, mean=mean, sum_to_size=sum_to_size)
