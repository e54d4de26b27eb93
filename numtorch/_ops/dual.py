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
from ._cascade import sum_array

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
    out = sum_array(x, axes, True) if axes else x
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
    return sum_array(x, dims, keepdim)


def sum_unordered(x, dims, keepdim=False):
    """A sum for rules whose torch kernel does not add in at::sum's order either (softmax's
    backward reduces each row its own way): NumPy's order, without the cost of replaying torch's."""
    if isinstance(x, Tensor):
        return x.sum(dims, keepdim=keepdim)
    return np.add.reduce(x, axis=dims, keepdims=keepdim)


def transpose(x, d0, d1):
    return x.transpose(d0, d1) if isinstance(x, Tensor) else np.swapaxes(x, d0, d1)


def permute(x, dims):
    return x.permute(dims) if isinstance(x, Tensor) else np.transpose(x, dims)


def where(cond, a, b, link=None, name: str = "WhereBackward0"):
    """Elementwise choice; cond is always a constant (array) in rules.

    `link=x` says the mask was computed from x: under create_graph the result then depends on
    x with a zero derivative (a node called `name`), as torch's *BackwardBackward0 nodes do, so
    a grad-of-grad through a piecewise-linear function gives zeros instead of "does not require
    grad".
    """
    if link is not None and isinstance(link, Tensor):
        return _linked_where(cond, a, b, link, name)
    if isinstance(a, Tensor) or isinstance(b, Tensor):
        from .pointwise import where as where_t
        return where_t(cond if isinstance(cond, Tensor) else _const(cond), a, b)
    return np.where(cond, a, b)


_LINKED = {}


def _linked_where(cond, a, b, link, name):
    from ..autograd.graph import Node
    from ._core import record
    cls = _LINKED.get(name)
    if cls is None:
        def backward(self, gg):
            c, n = self.cond, self._next
            return (where(c, gg, 0.0) if n[0] is not None else None), \
                (where(c, 0.0, gg) if n[1] is not None else None), \
                (zeros_like(gg) if n[2] is not None else None)
        cls = _LINKED[name] = type(name, (Node,), {"backward": backward})
    cond = data(cond)
    return record(cls, np.where(cond, data(a), data(b)).astype(link._data.dtype, copy=False),
                  (a, b, link), (), {"cond": cond})


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


# -- shape and indexing rules (numtorch._ops.shape / indexing) -------------------------

def embed(g, shape, at, distinct=False):
    """zeros(shape) holding g at `at`: a view function (g fills that view of the zeros) or an
    index tuple (np.add.at semantics: repeated indices add up; `distinct` says there are none,
    and a plain assignment does). The backward of every view and index op; its own backward
    is `at` applied to the grad-of-grad."""
    if isinstance(g, Tensor):
        from .indexing import embed as embed_t
        return embed_t(g, shape, at)
    out = np.zeros(shape, g.dtype)
    if callable(at):
        at(out)[...] = g
    elif distinct:
        out[at] = g
    else:
        np.add.at(out, at, g)
    return out


def masked_fill(x, mask, value):
    """x with `value` where the (array) mask is True."""
    if isinstance(x, Tensor):
        return x.masked_fill(_const(mask), value)
    return np.where(mask, np.asarray(value, x.dtype), x)


def flip(x, dims):
    return x.flip(dims) if isinstance(x, Tensor) else np.flip(x, dims)


def roll(x, shifts, dims):
    return x.roll(shifts, dims) if isinstance(x, Tensor) else np.roll(x, shifts, dims)


def diagonal(x, offset, dim1, dim2):
    return x.diagonal(offset, dim1, dim2) if isinstance(x, Tensor) else np.diagonal(x, offset, dim1, dim2)


def cat(xs, dim):
    if any(isinstance(x, Tensor) for x in xs):
        from .shape import cat as cat_t
        return cat_t([x if isinstance(x, Tensor) else _const(x) for x in xs], dim)
    return np.concatenate(xs, dim)


def stack(xs, dim):
    if any(isinstance(x, Tensor) for x in xs):
        from .shape import stack as stack_t
        return stack_t([x if isinstance(x, Tensor) else _const(x) for x in xs], dim)
    return np.stack(xs, dim)


# -- activation rules (numtorch.nn.functional) -------------------------------------------

def sigmoid(x):
    """1 / (1 + exp(-x)), without overflow for large |x|."""
    if isinstance(x, Tensor):
        return x.sigmoid()
    from .pointwise import _sigmoid
    return _sigmoid(x)


def erf(x):
    if isinstance(x, Tensor):
        return x.erf()
    from ._erf import erf as erf_array
    return erf_array(x).astype(x.dtype, copy=False)


# -- elementwise rules (numtorch._ops.pointwise) -------------------------------------------

sinh = _unary(np.sinh, "sinh")
cosh = _unary(np.cosh, "cosh")


def sgn(x):
    """torch's sign: 0 at 0 and at NaN."""
    if isinstance(x, Tensor):
        return x.sgn()
    from .pointwise import sign_array
    return sign_array(x)


# -- loss rules (numtorch.nn._loss) ----------------------------------------------------------

def logsigmoid(x):
    """log(sigmoid(x)) = -softplus(-x), without overflow."""
    if isinstance(x, Tensor):
        from ..nn.functional import logsigmoid as logsigmoid_t
        return logsigmoid_t(x)
    return -np.logaddexp(0, -x)
