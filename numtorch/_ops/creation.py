"""Tensor creation: tensor, zeros, ones, full, arange, ... and their *_like / new_* forms."""
from __future__ import annotations

__all__ = ["arange", "as_tensor", "empty", "empty_like", "from_numpy", "full", "full_like", "ones", "ones_like", "tensor", "zeros", "zeros_like"]

import numpy as np

from .. import _dtype
from .._device import check_device
from .._tensor import Tensor, bind_methods, wrap


def _np_dtype(dtype, default=None):
    if dtype is None:
        return (default or _dtype.get_default_dtype()).np
    return _dtype.from_any(dtype).np


def _finish(arr, requires_grad=False, device=None) -> Tensor:
    check_device(device)
    t = wrap(arr)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _sizes(size):
    if len(size) == 1 and not isinstance(size[0], (int, np.integer)):
        size = tuple(size[0])
    for s in size:
        if not isinstance(s, (int, np.integer)) and not (isinstance(s, Tensor) and s.dim() == 0):
            raise TypeError(f"expected a sequence of integers as size, got {type(s).__name__}")
        if int(s) < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {int(s)}: {list(map(int, size))}")
    return tuple(int(s) for s in size)


def _infer_np_dtype(data):
    """torch.tensor's dtype inference: floats -> default dtype, ints -> int64, bools -> bool."""
    if isinstance(data, np.ndarray):
        return _dtype.from_np(data.dtype).np
    if isinstance(data, np.generic):
        return _dtype.from_np(data.dtype).np
    flat = _flatten(data)
    kinds = set()
    for v in flat:
        if isinstance(v, (bool, np.bool_)):
            kinds.add("b")
        elif isinstance(v, (int, np.integer)):
            kinds.add("i")
        elif isinstance(v, (float, np.floating)):
            kinds.add("f")
        elif isinstance(v, complex):
            raise NotImplementedError("numtorch does not support complex tensors yet")
        elif isinstance(v, Tensor):
            kinds.add({"f": "f", "b": "b"}.get(v._data.dtype.kind, "i"))
        else:
            raise TypeError(f"new(): invalid data type '{type(v).__name__}'")
    if "f" in kinds or not kinds:
        return _dtype.get_default_dtype().np
    return np.int64 if "i" in kinds else np.bool_


def _flatten(data):
    stack, out = [data], []
    while stack:
        v = stack.pop()
        if isinstance(v, (list, tuple)):
            stack.extend(v)
        elif isinstance(v, Tensor) and v._data.ndim:
            stack.extend(v._data.ravel().tolist() and [wrap(e) for e in v._data.ravel()])
        else:
            out.append(v)
    return out


def _to_array(data, np_dt):
    if isinstance(data, Tensor):
        return np.array(data._data, dtype=np_dt, copy=True)
    if isinstance(data, (list, tuple)):
        data = _plain(data)
    return np.array(data, dtype=np_dt, copy=True)


def _plain(data):
    if isinstance(data, (list, tuple)):
        return [_plain(v) for v in data]
    if isinstance(data, Tensor):
        return data._data.tolist()
    return data


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False) -> Tensor:
    """A new leaf tensor copying `data`, with torch's dtype inference."""
    np_dt = _dtype.from_any(dtype).np if dtype is not None else _infer_np_dtype(data)
    return _finish(_to_array(data, np_dt), requires_grad, device)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    if isinstance(data, Tensor):
        return data if dtype is None or data.dtype is _dtype.from_any(dtype) else data.to(dtype)
    if isinstance(data, np.ndarray) and (dtype is None or _dtype.from_any(dtype).np == data.dtype):
        _dtype.from_np(data.dtype)
        check_device(device)
        return wrap(data)
    return tensor(data, dtype=dtype, device=device)


def from_numpy(ndarray) -> Tensor:
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    _dtype.from_np(ndarray.dtype)
    return wrap(ndarray)


def _filled(fill, size, dtype, requires_grad, device, default=None):
    return _finish(np.full(_sizes(size), fill, dtype=_np_dtype(dtype, default)), requires_grad, device)


def zeros(*size, dtype=None, device=None, requires_grad=False, out=None, layout=None, pin_memory=False):
    return _finish(np.zeros(_sizes(size), dtype=_np_dtype(dtype)), requires_grad, device)


def ones(*size, dtype=None, device=None, requires_grad=False, out=None, layout=None, pin_memory=False):
    return _finish(np.ones(_sizes(size), dtype=_np_dtype(dtype)), requires_grad, device)


def empty(*size, dtype=None, device=None, requires_grad=False, out=None, layout=None, pin_memory=False,
          memory_format=None):
    return _finish(np.zeros(_sizes(size), dtype=_np_dtype(dtype)), requires_grad, device)


def full(size, fill_value, *, dtype=None, device=None, requires_grad=False, out=None, layout=None):
    if dtype is None:
        dtype = _dtype.scalar_dtype(fill_value.item() if isinstance(fill_value, Tensor) else fill_value)
    return _filled(fill_value, (size,), dtype, requires_grad, device)


def _like(fill):
    def like(input, *, dtype=None, device=None, requires_grad=False, layout=None, memory_format=None):
        dt = _dtype.from_any(dtype).np if dtype is not None else input._data.dtype
        arr = np.zeros(input._data.shape, dt) if fill == 0 else np.full(input._data.shape, fill, dt)
        return _finish(arr, requires_grad, device)
    return like


zeros_like = _like(0)
ones_like = _like(1)
empty_like = _like(0)


def full_like(input, fill_value, *, dtype=None, device=None, requires_grad=False, layout=None,
              memory_format=None):
    dt = _dtype.from_any(dtype).np if dtype is not None else input._data.dtype
    return _finish(np.full(input._data.shape, fill_value, dt), requires_grad, device)


def arange(start, end=None, step=1, *, dtype=None, device=None, requires_grad=False, out=None, layout=None):
    if end is None:
        start, end = 0, start
    vals = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if dtype is None:
        dtype = _dtype.get_default_dtype() if any(isinstance(v, float) for v in vals) else _dtype.int64
    start, end, step = vals
    n = max(int(np.ceil((end - start) / step)), 0)
    dt = _dtype.from_any(dtype).np
    arr = (start + step * np.arange(n, dtype=np.float64)) if dt.kind == "f" else \
        np.arange(start, end, step, dtype=np.float64)[:n]
    return _finish(arr.astype(dt), requires_grad, device)


def _new(fn):
    def method(self, *size, dtype=None, device=None, requires_grad=False, **kw):
        return fn(*size, dtype=dtype if dtype is not None else self.dtype, device=device,
                  requires_grad=requires_grad)
    return method


def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False):
    return full(size, fill_value, dtype=dtype if dtype is not None else self.dtype, requires_grad=requires_grad)


def new_tensor(self, data, *, dtype=None, device=None, requires_grad=False):
    return tensor(data, dtype=dtype if dtype is not None else self.dtype, requires_grad=requires_grad)


bind_methods(new_zeros=_new(zeros), new_ones=_new(ones), new_empty=_new(empty), new_full=new_full,
             new_tensor=new_tensor)
