"""Dtype conversion, copies and whole-tensor writes: to, type, float(), clone, copy_, zero_, fill_.

A cast between floating dtypes is differentiable (its backward is the
identity: the engine casts the gradient back to the input's dtype); a cast to
an integer or bool dtype leaves the graph. copy_/zero_/fill_ are in-place ops
built on out-of-place forms, so writing into a view rewrites its base's
history like any other in-place op.
"""
from __future__ import annotations

__all__ = ["channels_last", "channels_last_3d", "clone", "contiguous_format", "memory_format", "preserve_format"]

import numpy as np

from .. import _dtype
from .._device import check_device, device as _device_cls
from .._tensor import Tensor, _LEGACY, bind_methods, legacy_type_name, wrap
from ..autograd.graph import Node
from . import dual
from ._core import record
from ._operands import checked_int
from .inplace import inplace


class memory_format:
    """torch.memory_format: how a copy lays out its elements."""

    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return f"torch.{self.name}"

    def __reduce__(self):
        return self.name


preserve_format = memory_format("preserve_format")
contiguous_format = memory_format("contiguous_format")
channels_last = memory_format("channels_last")
channels_last_3d = memory_format("channels_last_3d")


def _order(fmt) -> str:
    """NumPy's copy order for a memory format."""
    if fmt is None or fmt is preserve_format:
        return "K"
    if fmt is contiguous_format:
        return "C"
    raise NotImplementedError(f"numtorch does not support memory_format={fmt}")


# -- casts ---------------------------------------------------------------------------------------------

class ToCopyBackward0(Node):
    def backward(self, g):
        return g,   # the engine casts the gradient to the input's dtype


def _cast(input, np_dt, copy: bool = False, fmt=None) -> Tensor:
    x = input._data
    if np_dt == x.dtype:
        return clone(input, memory_format=fmt) if copy else input
    data = x.astype(np_dt, order=_order(fmt))
    if np_dt.kind == "f" and x.dtype.kind == "f":
        return record(ToCopyBackward0, data, (input,))
    return wrap(data)


def _is_device(a) -> bool:
    return isinstance(a, (str, _device_cls)) or (isinstance(a, int) and not isinstance(a, bool))


def to(self, *args, dtype=None, device=None, non_blocking=False, copy=False, memory_format=None):
    """Tensor.to(dtype | device | other, non_blocking=False, copy=False, memory_format=...)."""
    rest = list(args)
    if rest and isinstance(rest[0], Tensor):
        other = rest.pop(0)
        dtype = other.dtype
    elif rest and _is_device(rest[0]):
        device = rest.pop(0)
        if rest and not isinstance(rest[0], bool):
            dtype = rest.pop(0)
    elif rest and rest[0] is not None and not isinstance(rest[0], bool):
        dtype = rest.pop(0)
    elif rest and rest[0] is None:
        rest.pop(0)
    if rest:
        non_blocking = rest.pop(0)
    if rest:
        copy = rest.pop(0)
    if rest:
        raise TypeError(f"to() received an invalid combination of arguments: {args}")
    check_device(device)
    np_dt = _dtype.from_any(dtype).np if dtype is not None else self._data.dtype
    return _cast(self, np_dt, copy, memory_format)


_FROM_LEGACY = {f"torch.{v}Tensor": k for k, v in _LEGACY.items()}


def type_(self, dtype=None, non_blocking=False, **kwargs):
    """Tensor.type(): the legacy type name, or a cast to a dtype or legacy type name."""
    if dtype is None:
        return legacy_type_name(self)
    if isinstance(dtype, str):
        if dtype.startswith("torch.cuda."):
            raise NotImplementedError(f"numtorch runs on the CPU only; type '{dtype}' is not supported")
        if dtype not in _FROM_LEGACY:
            raise ValueError(f"invalid type: '{dtype}'")
        return _cast(self, np.dtype(_FROM_LEGACY[dtype]))
    return _cast(self, _dtype.from_any(dtype).np)


def type_as(self, other):
    return _cast(self, other._data.dtype)


def _caster(dt):
    def method(self, memory_format=None):
        return _cast(self, dt.np, fmt=memory_format)
    method.__name__ = dt.name
    return method


# -- copies --------------------------------------------------------------------------------------------

class CloneBackward0(Node):
    def backward(self, g):
        return g,


def clone(input, *, memory_format=None):
    return record(CloneBackward0, np.array(input._data, order=_order(memory_format), copy=True), (input,))


def contiguous(self, memory_format=None):
    if memory_format is not None and memory_format is not contiguous_format:
        _order(memory_format)
    if self._data.flags.c_contiguous:
        return self
    return record(CloneBackward0, np.ascontiguousarray(self._data), (self,))


# -- whole-tensor writes ----------------------------------------------------------------------------------

class CopyBackwards(Node):
    def name(self) -> str:
        return "torch::autograd::CopyBackwards"

    def backward(self, g):
        return (dual.zeros_like(g) if self._next[0] is not None else None), g


def _check_copy_shapes(dst, src):
    """src must broadcast to dst without growing it (torch's expand rule for copy_)."""
    if src.ndim > dst.ndim:
        raise RuntimeError(f"output with shape {list(dst.shape)} doesn't match the broadcast shape "
                           f"{list(np.broadcast_shapes(dst.shape, src.shape))}")
    for i in range(1, src.ndim + 1):
        if src.shape[-i] not in (1, dst.shape[-i]):
            raise RuntimeError(f"The size of tensor a ({dst.shape[-i]}) must match the size of tensor b "
                               f"({src.shape[-i]}) at non-singleton dimension {dst.ndim - i}")


def _copied(input, src):
    """The out-of-place form of copy_: src broadcast to input's shape, in input's dtype."""
    x = input._data
    s = src._data if isinstance(src, Tensor) else np.asarray(src)
    _check_copy_shapes(x, s)
    data = np.broadcast_to(s, x.shape).astype(x.dtype)
    if x.dtype.kind != "f" or not isinstance(src, Tensor) or s.dtype.kind != "f":
        return record(CopyBackwards, data, (input,))
    return record(CopyBackwards, data, (input, src))


def copy_(self, src, non_blocking=False):
    s = src._data if isinstance(src, Tensor) else np.asarray(src)
    _check_copy_shapes(self._data, s)
    return inplace(self, _copied, (src,), fast=lambda a: np.copyto(a, s, casting="unsafe"))


class ZeroBackward0(Node):
    def backward(self, g):
        return dual.zeros_like(g),


def _zeroed(input):
    return record(ZeroBackward0, np.zeros_like(input._data), (input,))


def zero_(self):
    return inplace(self, _zeroed, fast=lambda a: a.fill(0))


class FillBackward2(Node):
    def backward(self, g):
        return dual.zeros_like(g),


class FillBackward3(Node):
    def backward(self, g):
        return (dual.zeros_like(g) if self._next[0] is not None else None), dual.sum(g)


def _filled(input, value):
    x = input._data
    if isinstance(value, Tensor):
        data = np.full(x.shape, value._data, x.dtype)
        if value._data.dtype.kind == "f" and x.dtype.kind == "f":
            return record(FillBackward3, data, (input, value))
        return record(FillBackward2, data, (input,))
    return record(FillBackward2, np.full(x.shape, value, x.dtype), (input,))


def fill_(self, value):
    if isinstance(value, Tensor) and value._data.ndim:
        raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with "
                           f"{value._data.ndim} dimensions.")
    v = value._data if isinstance(value, Tensor) else checked_int(value, self._data.dtype)
    value = v if type(v) is int else value
    return inplace(self, _filled, (value,), fast=lambda a: a.fill(v))


bind_methods(
    to=to, type=type_, type_as=type_as, clone=clone, contiguous=contiguous, copy_=copy_, zero_=zero_,
    fill_=fill_,
    float=_caster(_dtype.float32), double=_caster(_dtype.float64), half=_caster(_dtype.float16),
    long=_caster(_dtype.int64), int=_caster(_dtype.int32), short=_caster(_dtype.int16),
    char=_caster(_dtype.int8), byte=_caster(_dtype.uint8), bool=_caster(_dtype.bool),
)
