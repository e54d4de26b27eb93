"""Helpers shared by the distributions (torch.distributions.utils)."""
from __future__ import annotations

from functools import update_wrapper

import numtorch as _t

__all__ = ["broadcast_all", "logits_to_probs", "clamp_probs", "probs_to_logits", "lazy_property"]

euler_constant = 0.57721566490153286060
_Number = (int, float, bool)


def broadcast_all(*values):
    """Broadcast tensors and numbers together; numbers take the first tensor's dtype (the
    default dtype if there is none), as torch's parameters do."""
    dtype = None
    for v in values:
        if isinstance(v, _t.Tensor):
            dtype = v.dtype if dtype is None else dtype
        elif not isinstance(v, _Number):
            raise ValueError("Input arguments must all be instances of Number, "
                             "torch.Tensor or objects implementing __torch_function__.")
    dtype = dtype or _t.get_default_dtype()
    return _t.broadcast_tensors(*[v if isinstance(v, _t.Tensor) else _t.tensor(v, dtype=dtype)
                                  for v in values])


def _standard_normal(shape, dtype, device=None):
    """N(0, 1) draws made as torch makes them (normal_ on a fresh tensor), so seeds agree."""
    return _t.empty(shape, dtype=dtype).normal_()


def _sum_rightmost(value, dim: int):
    if dim == 0:
        return value
    return value.reshape(value.shape[:-dim] + (-1,)).sum(-1)


def logits_to_probs(logits, is_binary: bool = False):
    return _t.sigmoid(logits) if is_binary else _t.softmax(logits, dim=-1)


def clamp_probs(probs):
    eps = _t.finfo(probs.dtype).eps
    return probs.clamp(min=eps, max=1 - eps)


def probs_to_logits(probs, is_binary: bool = False):
    p = clamp_probs(probs)
    return _t.log(p) - _t.log1p(-p) if is_binary else _t.log(p)


class lazy_property:
    """Computed on first access, then stored on the instance (so `'probs' in d.__dict__` tells
    which parameterization a distribution was built with). Computed under enable_grad, as
    torch does, so a value first read inside no_grad still carries its graph."""

    def __init__(self, wrapped):
        self.wrapped = wrapped
        update_wrapper(self, wrapped)

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        with _t.enable_grad():
            value = self.wrapped(instance)
        setattr(instance, self.wrapped.__name__, value)
        return value
