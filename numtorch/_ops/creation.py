"""Tensor creation: tensor, zeros, ones, full, arange, linspace, ... their *_like / new_* forms,
and the tensor predicates (is_tensor, numel, ...).

Creation follows torch's value rules, not NumPy's, where they differ:
- `tensor` infers a dtype by promoting its leaves' dtypes (Python float -> the
  default dtype, int -> int64, NumPy scalars, arrays and 0-d tensors keep theirs)
  and refuses Python numbers that overflow an integer dtype;
- a value becomes float16 by way of float32, as torch's Half conversion does;
- arange/linspace/logspace reproduce torch's CPU kernels: element counts in
  double precision, values with the fused multiply-adds and the 32-byte vector
  chunks those kernels compile to (single-threaded, as the tests run torch), so
  that `arange(0, 1, 0.1)` and `linspace(-pi, pi, 2000)` hold the same bits.
"""
from __future__ import annotations

__all__ = ["arange", "as_tensor", "asarray", "empty", "empty_like", "empty_strided", "eye", "from_numpy",
           "full", "full_like", "is_floating_point", "is_complex", "is_nonzero", "is_tensor", "linspace",
           "logspace", "numel", "ones", "ones_like", "scalar_tensor", "tensor", "zeros", "zeros_like"]

import math
import warnings

import numpy as np

from .. import _dtype
from .._device import check_device
from .._tensor import Tensor, bind_methods, wrap
from ._fma import fma

_f16, _f32, _f64 = np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64)

# -- argument handling ------------------------------------------------------------------


def _np_dtype(dtype, default=None) -> np.dtype:
    if dtype is None:
        return (default or _dtype.get_default_dtype()).np
    return _dtype.from_any(dtype).np


def _finish(arr: np.ndarray, requires_grad=False, out=None) -> Tensor:
    if out is not None:
        return _write_out(out, arr)
    t = wrap(arr)
    if requires_grad:
        if arr.dtype.kind != "f":
            raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
        t._requires_grad = True
    return t


def _write_out(out: Tensor, arr: np.ndarray) -> Tensor:
    if out._data.shape != arr.shape:
        raise NotImplementedError(f"numtorch does not resize out= tensors: out has shape "
                                  f"{list(out._data.shape)} but the result has shape {list(arr.shape)}")
    np.copyto(out._data, arr, casting="unsafe")
    out._vc[0] += 1
    return out


def _dim(s, fn: str, pos: int) -> int:
    if type(s) is int:
        return s
    if isinstance(s, np.integer):
        return int(s)
    if isinstance(s, Tensor) and s._data.size == 1 and s._data.dtype.kind in "iu":
        return int(s._data.reshape(()))
    raise TypeError(f"{fn}(): argument 'size' failed to unpack the object at pos {pos} with error "
                    f"\"type must be tuple of ints,but got {type(s).__name__}\"")


def _sizes(size, fn: str = "empty") -> tuple:
    """A shape from sizes given as varargs, one sequence or a torch.Size."""
    if len(size) > 1 and any(isinstance(s, (tuple, list)) for s in size):
        raise TypeError(f"{fn}() takes 1 positional argument but {len(size)} were given")
    if len(size) == 1 and not isinstance(size[0], (int, np.integer, Tensor)):
        seq = size[0]
        if not isinstance(seq, (tuple, list)):
            raise TypeError(f"{fn}(): argument 'size' (position 1) must be tuple of ints, not "
                            f"{type(seq).__name__}")
        size = seq
    shape = tuple(_dim(s, fn, i + 1) for i, s in enumerate(size))
    for s in shape:
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {list(shape)}")
    return shape


def _shape_arg(fn: str, sizes, size) -> tuple:
    if size is not None:
        if sizes:
            raise TypeError(f"{fn}() got multiple values for argument 'size'")
        sizes = (size,)
    if not sizes:
        raise TypeError(f"{fn}() missing 1 required positional arguments: \"size\"")
    return _sizes(sizes, fn)


def _check_tensor(x, fn: str) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{fn}(): argument 'input' (position 1) must be Tensor, not {type(x).__name__}")


def _number(x):
    """A Python number from a number, NumPy scalar or one-element tensor."""
    if isinstance(x, Tensor):
        return x.item()
    if isinstance(x, np.generic):
        return x.item()
    return x


# -- torch's value conversions ----------------------------------------------------------------


def _cast(arr: np.ndarray, np_dt: np.dtype) -> np.ndarray:
    """A copy of arr as np_dt, converting to float16 through float32 as torch's Half does."""
    if np_dt == _f16 and arr.dtype.itemsize > 2 and arr.dtype.kind in "fiu":
        arr = arr.astype(_f32)
    return arr.astype(np_dt)


# torch's names for integer types in overflow messages: as torch.tensor writes them, as fill_ does.
_C_NAMES = {"int64": "int64_t", "int32": "int", "int16": "int16_t", "int8": "int8_t", "uint8": "uint8_t"}


def _check_range(arr: np.ndarray, np_dt: np.dtype, c_names: bool = False) -> None:
    """torch's overflow check when Python numbers become an integer dtype.

    Integers may wrap into an unsigned type from as low as -max; floats must lie within range.
    """
    if np_dt.kind not in "iu" or arr.size == 0 or arr.dtype.kind not in "iuf":
        return
    info = np.iinfo(np_dt)
    lo = -info.max if np_dt.kind == "u" and arr.dtype.kind in "iu" else info.min
    if arr.dtype.kind == "f":
        bad = bool(np.isnan(arr).any()) or arr.min() < lo or arr.max() > info.max
    else:
        bad = int(arr.min()) < lo or int(arr.max()) > info.max
    if bad:
        name = _C_NAMES[np_dt.name] if c_names else np_dt.name
        raise RuntimeError(f"value cannot be converted to type {name} without overflow")


_FLOAT_LIMITS = {_f32: ("float", float(np.finfo(_f32).max)), _f16: ("c10::Half", 65504.0)}


def _scalar_fill(value, np_dt: np.dtype, check_half: bool = True):
    """A Python number converted the way torch converts a Scalar argument (with overflow checks)."""
    arr = np.asarray(value)
    _check_range(arr, np_dt, c_names=True)
    if np_dt in _FLOAT_LIMITS and (check_half or np_dt != _f16) and arr.dtype.kind in "iuf":
        name, limit = _FLOAT_LIMITS[np_dt]
        if math.isfinite(float(arr)) and abs(float(arr)) > limit:
            raise RuntimeError(f"value cannot be converted to type {name} without overflow")
    return _cast(arr, np_dt)


# -- tensor(), as_tensor(), asarray(), from_numpy() ------------------------------------------

_PY_DTYPES = {bool: _dtype.bool, int: _dtype.int64}


def _infer(x, seen: list):
    """torch.tensor's dtype for data `x`; appends to `seen` when a Tensor is nested in a list."""
    t = type(x)
    if t is float:
        return _dtype.get_default_dtype()
    if t is int or t is bool:
        return _PY_DTYPES[t]
    if t is list or t is tuple:
        if not x:
            return _dtype.get_default_dtype()
        kinds = set(map(type, x))
        if kinds <= {float, int, bool}:
            ds = [_dtype.get_default_dtype() if k is float else _PY_DTYPES[k] for k in kinds]
        else:
            ds = [_infer(v, seen) for v in x]
        out = ds[0]
        for d in ds[1:]:
            out = _dtype.promote_types(out, d)
        return out
    if isinstance(x, Tensor):
        seen.append(True)
        return x.dtype
    if isinstance(x, (np.ndarray, np.generic)):
        return _dtype.from_np(x.dtype)
    if isinstance(x, complex):
        raise NotImplementedError("numtorch does not support complex tensors yet")
    if isinstance(x, str):
        raise TypeError(f"new(): invalid data type '{t.__name__}'")
    if isinstance(x, range):
        return _dtype.int64
    raise RuntimeError(f"Could not infer dtype of {t.__name__}")


def _untensor(x):
    """Nested data with each nested tensor replaced by its single value (torch's rule)."""
    if type(x) is list or type(x) is tuple:
        return [_untensor(v) for v in x]
    if isinstance(x, Tensor):
        if x._data.size != 1:
            if x._data.dtype.kind in "iub":
                raise TypeError("only integer tensors of a single element can be converted to an index")
            raise ValueError("only one element tensors can be converted to Python scalars")
        return x._data.reshape(()).item()
    return x


def _ragged_error(data, dim: int = 0):
    """torch's error for nested sequences of unequal lengths (None when `data` is not ragged)."""
    if not isinstance(data, (list, tuple)) or not data:
        return None
    seqs = [isinstance(v, (list, tuple)) for v in data]
    if not seqs[0] and any(seqs):
        return TypeError(f"'{type(data[seqs.index(True)]).__name__}' object cannot be interpreted as an integer")
    if seqs[0] and not all(seqs):
        return TypeError("not a sequence")
    if not seqs[0]:
        return None
    n = len(data[0])
    for v in data:
        if len(v) != n:
            return ValueError(f"expected sequence of length {n} at dim {dim + 1} (got {len(v)})")
    for v in data:
        err = _ragged_error(v, dim + 1)
        if err is not None:
            return err
    return None


def _python_array(data, floating: bool) -> np.ndarray:
    """Nested Python numbers as an array of their natural dtype (bool, int64 or float64); ints too
    large for int64 are only accepted on their way to a floating dtype."""
    try:
        arr = np.array(data)
        if arr.dtype == object and floating:
            arr = np.array(data, dtype=_f64)
    except ValueError:
        raise (_ragged_error(data) or ValueError("could not build a tensor from ragged data")) from None
    except OverflowError:
        raise ValueError("Overflow when unpacking long long") from None
    if arr.dtype == object or arr.dtype == np.uint64:
        raise ValueError("Overflow when unpacking long long")
    return arr


def _data_to_array(data, np_dt) -> np.ndarray:
    """A fresh array of dtype np_dt (inferred as torch does when None) holding `data`."""
    if isinstance(data, Tensor):
        return _cast(data._data, np_dt or data._data.dtype)
    if isinstance(data, (np.ndarray, np.generic)):
        _dtype.from_np(data.dtype)
        return _cast(np.asarray(data), np_dt or data.dtype)
    seen = []
    inferred = _infer(data, seen)
    if isinstance(data, range):
        data = list(data)
    elif not isinstance(data, (list, tuple, bool, int, float)):
        raise RuntimeError(f"Could not infer dtype of {type(data).__name__}")
    if seen:
        data = _untensor(data)
    target = np_dt or inferred.np
    arr = _python_array(data, target.kind == "f")
    _check_range(arr, target)
    return _cast(arr, target)


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False) -> Tensor:
    """A new leaf tensor copying `data`, with torch's dtype inference."""
    check_device(device)
    if isinstance(data, Tensor):
        warnings.warn("To copy construct from a tensor, it is recommended to use sourceTensor.detach().clone() "
                      "or sourceTensor.detach().clone().requires_grad_(True), rather than "
                      "torch.tensor(sourceTensor).", UserWarning, stacklevel=2)
    np_dt = _dtype.from_any(dtype).np if dtype is not None else None
    return _finish(_data_to_array(data, np_dt), requires_grad)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """`data` as a tensor, sharing memory with a tensor or ndarray when no conversion is needed."""
    check_device(device)
    np_dt = _dtype.from_any(dtype).np if dtype is not None else None
    if isinstance(data, Tensor):
        if np_dt is None or np_dt == data._data.dtype:
            return data
        if data._requires_grad:
            return data.to(_dtype.from_np(np_dt))
        return wrap(_cast(data._data, np_dt))
    if isinstance(data, np.ndarray) and (np_dt is None or np_dt == data.dtype):
        return from_numpy(data)
    return _finish(_data_to_array(data, np_dt))


def asarray(obj, *, dtype=None, device=None, copy=None, requires_grad=False) -> Tensor:
    """torch.asarray: shares memory with a tensor or ndarray unless `copy=True` or a dtype change
    needs a copy (`copy=False` then raises)."""
    check_device(device)
    np_dt = _dtype.from_any(dtype).np if dtype is not None else None
    if not isinstance(obj, (Tensor, np.ndarray)):
        return _finish(_data_to_array(obj, np_dt), requires_grad)
    src = obj._data if isinstance(obj, Tensor) else obj
    _dtype.from_np(src.dtype)
    converts = np_dt is not None and np_dt != src.dtype
    if converts and copy is False:
        raise ValueError(f"can't alias tensor with dtype '{_dtype._LEGACY_NAMES[src.dtype.name]}' into dtype "
                         f"'{_dtype._LEGACY_NAMES[np_dt.name]}'.")
    if copy or converts:
        return _finish(_cast(src, np_dt or src.dtype), requires_grad)
    if isinstance(obj, Tensor):
        return obj.detach().requires_grad_(True) if requires_grad else obj
    return _finish(src, requires_grad)


def from_numpy(ndarray) -> Tensor:
    """A tensor sharing memory with `ndarray` (writes to either show in both)."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__module__}.{type(ndarray).__name__})")
    _dtype.from_np(ndarray.dtype)
    if not ndarray.flags.writeable:
        warnings.warn("The given NumPy array is not writable, and PyTorch does not support non-writable "
                      "tensors. This means writing to this tensor will result in undefined behavior. You may "
                      "want to copy the array to protect its data or make it writable before converting it to "
                      "a tensor. This type of warning will be suppressed for the rest of this program.",
                      UserWarning, stacklevel=2)
    return wrap(ndarray)


def legacy_data(args, dtype=None) -> np.ndarray:
    """The array `torch.Tensor(*args)` holds: sizes (ints or a torch.Size) give a zero-filled tensor
    of the default dtype, a sequence or array its values, a tensor its own storage."""
    from .._size import Size
    np_dt = _np_dtype(dtype)
    if not args:
        return np.zeros(0, np_dt)
    if len(args) == 1:
        src = args[0]
        if isinstance(src, Tensor):
            return src._data
        if isinstance(src, (bool, float, complex, np.bool_, np.floating)):
            raise TypeError(f"new(): data must be a sequence (got {type(src).__name__})")
        if not isinstance(src, (Size, int, np.integer)):
            return _data_to_array(src, np_dt)
    return np.zeros(_sizes(args, "new"), np_dt)


# -- filled tensors ----------------------------------------------------------------------------


def zeros(*sizes, size=None, dtype=None, device=None, requires_grad=False, out=None, layout=None,
          pin_memory=False) -> Tensor:
    check_device(device)
    return _finish(np.zeros(_shape_arg("zeros", sizes, size), _np_dtype(dtype)), requires_grad, out)


def ones(*sizes, size=None, dtype=None, device=None, requires_grad=False, out=None, layout=None,
         pin_memory=False) -> Tensor:
    check_device(device)
    return _finish(np.ones(_shape_arg("ones", sizes, size), _np_dtype(dtype)), requires_grad, out)


def empty(*sizes, size=None, dtype=None, device=None, requires_grad=False, out=None, layout=None,
          pin_memory=False, memory_format=None) -> Tensor:
    """Zero-filled rather than uninitialized: as cheap, and reproducible."""
    check_device(device)
    return _finish(np.zeros(_shape_arg("empty", sizes, size), _np_dtype(dtype)), requires_grad, out)


def empty_strided(size, stride, *, dtype=None, device=None, requires_grad=False, layout=None,
                  pin_memory=False) -> Tensor:
    """A contiguous tensor: numtorch does not let storage layout differ from the shape's."""
    return empty(size, dtype=dtype, device=device, requires_grad=requires_grad)


def _fill_dtype(fill_value):
    # a NumPy scalar keeps its own type here: torch reads np.bool_ as a float number
    return _dtype.scalar_dtype(fill_value.item() if isinstance(fill_value, Tensor) else fill_value)


def full(size, fill_value, *, dtype=None, device=None, requires_grad=False, out=None, layout=None,
         pin_memory=False) -> Tensor:
    """A tensor of `fill_value`; its dtype follows the value (bool, int64 or the default float)."""
    check_device(device)
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"full(): argument 'size' (position 1) must be tuple of ints, not {type(size).__name__}")
    shape = _sizes((size,), "full")
    np_dt = _dtype.from_any(dtype).np if dtype is not None else _fill_dtype(fill_value).np
    # torch's full does not range-check a value bound for float16 (it becomes inf)
    return _finish(np.full(shape, _scalar_fill(_number(fill_value), np_dt, check_half=False), np_dt),
                   requires_grad, out)


def scalar_tensor(s, *, dtype=None, device=None, requires_grad=False, layout=None, pin_memory=False) -> Tensor:
    check_device(device)
    np_dt = _np_dtype(dtype)
    return _finish(_scalar_fill(_number(s), np_dt).reshape(()), requires_grad)


def _like_dtype(input, dtype, fn: str) -> np.dtype:
    _check_tensor(input, fn)
    return _dtype.from_any(dtype).np if dtype is not None else input._data.dtype


def _filled_like(fill, input, dtype, device, requires_grad, fn: str) -> Tensor:
    dt = _like_dtype(input, dtype, fn)
    if device is not None:
        check_device(device)
    return _finish(fill(input._data.shape, dt), requires_grad)


def zeros_like(input, *, dtype=None, device=None, requires_grad=False, layout=None,
               memory_format=None) -> Tensor:
    return _filled_like(np.zeros, input, dtype, device, requires_grad, "zeros_like")


def ones_like(input, *, dtype=None, device=None, requires_grad=False, layout=None,
              memory_format=None) -> Tensor:
    return _filled_like(np.ones, input, dtype, device, requires_grad, "ones_like")


def empty_like(input, *, dtype=None, device=None, requires_grad=False, layout=None,
               memory_format=None) -> Tensor:
    dt = _like_dtype(input, dtype, "empty_like")
    if device is not None:
        check_device(device)
    # torch's default preserve_format keeps a (dense) input's memory order; a random fill of the
    # result (dropout's empty_like(x).bernoulli_()) draws in memory order, so this keeps torch's masks.
    order = "K" if memory_format is None or memory_format.name == "preserve_format" else "C"
    return _finish(np.zeros_like(input._data, dt, order=order), requires_grad)


def full_like(input, fill_value, *, dtype=None, device=None, requires_grad=False, layout=None,
              memory_format=None) -> Tensor:
    dt = _like_dtype(input, dtype, "full_like")
    check_device(device)
    return _finish(np.full(input._data.shape, _scalar_fill(_number(fill_value), dt), dt), requires_grad)


def eye(n, m=None, *, dtype=None, device=None, requires_grad=False, out=None, layout=None,
        pin_memory=False) -> Tensor:
    check_device(device)
    n = _dim(n, "eye", 1)
    if n < 0:
        raise RuntimeError(f"n must be greater or equal to 0, got {n}")
    m = n if m is None else _dim(m, "eye", 2)
    if m < 0:
        raise RuntimeError(f"m must be greater or equal to 0, got {m}")
    return _finish(np.eye(n, m, dtype=_np_dtype(dtype)), requires_grad, out)


# -- ranges -------------------------------------------------------------------------------

def _vector_lanes(np_dt: np.dtype) -> int:
    """Elements per vector register in torch's CPU range kernels (32-byte vectors)."""
    return 32 // np_dt.itemsize


def _cpp_num(x) -> str:
    """A number as C++'s default stream prints it (torch's error messages)."""
    return f"{x:g}" if isinstance(x, float) else str(x)


def _float_range(start: float, step: float, n: int, np_dt: np.dtype) -> np.ndarray:
    """torch's arange values: start + step*i with one rounding, in float64 (float32 for half),
    where full pairs of vector registers start from a rounded base and add step*lane."""
    acc = _f32 if np_dt == _f16 else _f64
    s, st = acc.type(start), acc.type(step)
    idx = np.arange(n, dtype=np.int64)
    out = fma(st, idx.astype(acc), s, acc).astype(np_dt)
    lanes = _vector_lanes(np_dt)
    nvec = n - n % (2 * lanes)
    if nvec:
        base = out[:nvec:lanes].astype(acc)
        lane = np.tile(np.arange(lanes, dtype=acc), base.size)
        out[:nvec] = fma(st, lane, np.repeat(base, lanes), acc).astype(np_dt)
    return out


def arange(start, end=None, step=1, *, dtype=None, device=None, requires_grad=False, out=None, layout=None,
           pin_memory=False) -> Tensor:
    """torch.arange with torch's element count (ceil((end-start)/step) in double) and values."""
    check_device(device)
    if end is None:
        start, end = 0, start
    start, end, step = _number(start), _number(end), _number(step)
    for v in (start, end, step):
        if isinstance(v, complex):
            raise NotImplementedError("numtorch does not support complex tensors yet")
    if dtype is None:
        is_float = any(isinstance(v, float) for v in (start, end, step))
        dt = _dtype.get_default_dtype() if is_float else _dtype.int64
    else:
        dt = _dtype.from_any(dtype)
    np_dt = dt.np
    if dt is _dtype.bool:
        raise NotImplementedError("\"arange_cpu\" not implemented for 'Bool'")
    dstart, dend, dstep = float(start), float(end), float(step)
    if dstep == 0:
        raise RuntimeError("step must be nonzero")
    if not (math.isfinite(dstart) and math.isfinite(dend)):
        raise RuntimeError(f"unsupported range: {_cpp_num(dstart)} -> {_cpp_num(dend)}")
    if not ((dstep > 0 and dend >= dstart) or (dstep < 0 and dend <= dstart)):
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    if np_dt.kind == "f":
        n = math.ceil((dend - dstart) / dstep)
        return _finish(_float_range(dstart, dstep, n, np_dt), requires_grad, out)
    istart, iend, istep = int(start), int(end), int(step)   # integer kernels truncate their arguments
    if np_dt == np.int64:
        if istep == 0:
            raise ValueError("step must be nonzero")
        sgn = (istep > 0) - (istep < 0)
        n = _trunc_div(iend - istart + istep - sgn, istep)
    else:
        n = math.ceil((dend - dstart) / dstep)
    if n < 0:
        raise RuntimeError("invalid size, possible overflow?")
    vals = istart + istep * np.arange(n, dtype=np.int64)
    return _finish(vals.astype(np_dt), requires_grad, out)


def _trunc_div(a: int, b: int) -> int:
    """C++ integer division (rounds toward zero)."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def _steps_arg(steps, fn: str) -> int:
    steps = _dim(steps, fn, 3)
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    return steps


def _endpoint(x, fn: str, which: str):
    if isinstance(x, Tensor) and x._data.ndim:
        raise RuntimeError(f"{fn} only supports 0-dimensional start and end tensors, but got {which} with "
                           f"{x._data.ndim} dimension(s).")
    x = _number(x)
    if isinstance(x, complex):
        raise NotImplementedError("numtorch does not support complex tensors yet")
    return x


def _halves(steps: int):
    """torch's range kernels fill the first half counting up from start and the second counting
    down from end: (is-in-first-half mask, steps taken from that half's end)."""
    i = np.arange(steps, dtype=np.int64)
    lower = i < steps // 2
    return lower, np.where(lower, i, steps - 1 - i)


def _spaced_args(start, end, steps, dtype, device, fn: str):
    """linspace / logspace's checked (start, end, steps, NumPy dtype)."""
    check_device(device)
    start, end = _endpoint(start, fn, "start"), _endpoint(end, fn, "end")
    steps = _steps_arg(steps, fn)
    np_dt = _np_dtype(dtype)
    if np_dt == np.bool_ and steps > 1:
        raise NotImplementedError(f"\"{fn}_cpu\" not implemented for 'Bool'")
    return start, end, steps, np_dt


def linspace(start, end, steps, *, dtype=None, device=None, requires_grad=False, out=None, layout=None,
             pin_memory=False) -> Tensor:
    """torch.linspace: the first half counts up from start, the second down from end."""
    start, end, steps, np_dt = _spaced_args(start, end, steps, dtype, device, "linspace")
    if steps <= 1:
        return _finish(np.full(steps, _scalar_fill(start, np_dt), np_dt), requires_grad, out)
    s, e = _scalar_fill(start, np_dt), _scalar_fill(end, np_dt)
    lower, k = _halves(steps)
    if np_dt == _f16:   # half arithmetic rounds after every operation; nothing is fused
        step = (e - s) / _f16.type(steps - 1)
        vals = np.where(lower, s + step * k.astype(_f16), e - step * k.astype(_f16))
    elif np_dt.kind == "f":
        step = (e - s) / np_dt.type(steps - 1)
        vals = fma(np.where(lower, step, -step), k, np.where(lower, s, e), np_dt).astype(np_dt)
    else:   # integer results are computed in double and truncated
        step = (float(e) - float(s)) / (steps - 1)
        vals = fma(np.where(lower, step, -step), k, np.where(lower, float(s), float(e)))
        vals = np.trunc(vals).astype(np.int64).astype(np_dt)
    return _finish(vals, requires_grad, out)


def logspace(start, end, steps, base=10.0, *, dtype=None, device=None, requires_grad=False, out=None,
             layout=None, pin_memory=False) -> Tensor:
    """torch.logspace: base ** (linearly spaced exponents), computed in double with C's pow."""
    start, end, steps, np_dt = _spaced_args(start, end, steps, dtype, device, "logspace")
    base = float(base)
    if steps <= 1:
        vals = np.full(steps, math.pow(base, float(start)))
    else:
        s, e = _scalar_fill(start, np_dt), _scalar_fill(end, np_dt)
        # the difference is taken in the tensor's dtype for floats, exactly for integers
        step = float(e - s if np_dt.kind == "f" else int(e) - int(s)) / (steps - 1)
        lower, k = _halves(steps)
        exps = np.where(lower, float(s) + step * k, float(e) - step * k)
        vals = np.array([math.pow(base, x) for x in exps.tolist()], dtype=_f64)
    if np_dt.kind in "iu":
        vals = np.trunc(vals).astype(np.int64)
    return _finish(_cast(vals, np_dt), requires_grad, out)


# -- new_* methods ---------------------------------------------------------------------------------


def _new(fn):
    def method(self, *size, dtype=None, device=None, requires_grad=False, layout=None, pin_memory=False):
        return fn(*size, dtype=dtype if dtype is not None else self.dtype, device=device,
                  requires_grad=requires_grad)
    method.__name__ = "new_" + fn.__name__
    return method


def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False, layout=None,
             pin_memory=False):
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"new_full(): argument 'size' (position 1) must be tuple of ints, not "
                        f"{type(size).__name__}")
    return full(size, fill_value, dtype=dtype if dtype is not None else self.dtype, device=device,
                requires_grad=requires_grad)


def new_tensor(self, data, *, dtype=None, device=None, requires_grad=False, layout=None, pin_memory=False):
    if isinstance(data, Tensor):
        warnings.warn("To copy construct from a tensor, it is recommended to use sourceTensor.detach().clone() "
                      "or sourceTensor.detach().clone().requires_grad_(True), rather than "
                      "tensor.new_tensor(sourceTensor).", UserWarning, stacklevel=2)
    check_device(device)
    np_dt = _dtype.from_any(dtype).np if dtype is not None else self._data.dtype
    return _finish(_data_to_array(data, np_dt), requires_grad)


bind_methods(new_zeros=_new(zeros), new_ones=_new(ones), new_empty=_new(empty), new_full=new_full,
             new_tensor=new_tensor)


# -- predicates ----------------------------------------------------------------------------------


def is_tensor(obj) -> bool:
    return isinstance(obj, Tensor)


def is_floating_point(input) -> bool:
    _check_tensor(input, "is_floating_point")
    return input._data.dtype.kind == "f"


def is_complex(input) -> bool:
    _check_tensor(input, "is_complex")
    return False


def numel(input) -> int:
    _check_tensor(input, "numel")
    return input._data.size


def is_nonzero(input) -> bool:
    _check_tensor(input, "is_nonzero")
    n = input._data.size
    if n == 0:
        raise RuntimeError("Boolean value of Tensor with no values is ambiguous")
    if n > 1:
        raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
    return bool(input._data.reshape(()))
