"""Functions derivative rules are written in: each takes NumPy arrays or Tensors.

A plain backward hands rules NumPy arrays, so a rule costs a few NumPy calls;
with create_graph=True it hands them Tensors, and the very same rule records a
differentiable graph. Operators (+ - * / ** @, comparisons) already work on
both; everything else a rule needs is here. Add a function here when a rule
needs it; never write a second, array-only copy of a rule.
"""
from __future__ import annotations

import numpy as np

from .._tensor import Tensor

__all__ = []  # internal


def is_tensor(x) -> bool:
    return isinstance(x, Tensor)


def data(x):
    """The array behind x (for reading constants such as shapes or masks)."""
    return x._data if isinstance(x, Tensor) else x


def sum_to(x, shape):
    """Sum x down to `shape` (the inverse of broadcasting); the one broadcast reduction."""
    if isinstance(x, Tensor):
        return x.sum_to_size(shape)
    return sum_to_array(x, shape)


def sum_to_array(x, shape):
    shape = tuple(shape)
    if x.shape == shape:
        return x
    lead = x.ndim - len(shape)
    if lead < 0:
        return np.broadcast_to(x, shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, s in enumerate(shape) if s == 1 and x.shape[lead + i] != 1)
    out = x.sum(axis=axes, keepdims=True) if axes else x
    return out.reshape(shape) if lead else out


def expand(x, shape):
    return x.expand(shape) if isinstance(x, Tensor) else np.broadcast_to(x, shape)


def reshape(x, shape):
    return x.reshape(shape) if isinstance(x, Tensor) else np.reshape(x, shape)


def unsqueeze(x, dims):
    """Insert size-1 axes at `dims` (an int or a tuple of output positions)."""
    if isinstance(x, Tensor):
        for d in sorted(dims) if isinstance(dims, tuple) else (dims,):
            x = x.unsqueeze(d)
        return x
    return np.expand_dims(x, dims)


def sum(x, dims=None, keepdim=False):  # noqa: A001 - mirrors torch.sum
    if isinstance(x, Tensor):
        return x.sum(dims, keepdim=keepdim) if dims is not None else x.sum()
    return np.sum(x, axis=dims, keepdims=keepdim)


def transpose(x, d0, d1):
    return x.transpose(d0, d1) if isinstance(x, Tensor) else np.swapaxes(x, d0, d1)


def permute(x, dims):
    return x.permute(dims) if isinstance(x, Tensor) else np.transpose(x, dims)


def where(cond, a, b):
    """Elementwise choice; cond is always a constant (array) in rules."""
    if isinstance(a, Tensor) or isinstance(b, Tensor):
        from .pointwise import where as where_t
        return where_t(cond if isinstance(cond, Tensor) else _const(cond), a, b)
    return np.where(cond, a, b)


def _const(a) -> Tensor:
    from .._tensor import wrap
    return wrap(np.asarray(a))


def _unary(np_fn, method: str):
    def fn(x):
        return getattr(x, method)() if isinstance(x, Tensor) else np_fn(x)
    fn.__name__ = method
    return fn


exp = _unary(np.exp, "exp")
log = _unary(np.log, "log")
sin = _unary(np.sin, "sin")
cos = _unary(np.cos, "cos")
sqrt = _unary(np.sqrt, "sqrt")
sign = _unary(np.sign, "sign")
abs = _unary(np.abs, "abs")  # noqa: A001
tanh = _unary(np.tanh, "tanh")
reciprocal = _unary(np.reciprocal, "reciprocal")


def zeros_like(x):
    return x.new_zeros(x.shape) if isinstance(x, Tensor) else np.zeros_like(x)


def ones_like(x):
    return x.new_ones(x.shape) if isinstance(x, Tensor) else np.ones_like(x)
