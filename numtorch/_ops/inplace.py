"""In-place ops and views under autograd.

An in-place op is its out-of-place op applied to a snapshot of the tensor,
with the result written back into the tensor's storage and the tensor's
history replaced by the result's. Views share storage and the version
counter with their base, and remember how to re-create themselves from it
(`_view_fn`, which works on arrays and Tensors), so an in-place op on a view
rewrites the base's history as torch's CopySlices does.
"""
from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from ..autograd.grad_mode import _state
from ..autograd.graph import Node
from ._core import record

__all__ = ["make_view", "inplace", "check_inplace", "grad_recording"]


def make_view(out: Tensor, base: Tensor, view_fn) -> Tensor:
    """Mark `out` as a view of `base`: same storage, same version counter."""
    root = base._base
    if root is not None:
        inner = base._view_fn
        out._view_fn = lambda t: view_fn(inner(t))
        base = root
    else:
        out._view_fn = view_fn
    out._base = base
    out._vc = base._vc
    out._view_version = base._vc[0]
    return out


def grad_recording(t: Tensor, args) -> bool:
    if not _state.enabled:
        return False
    if t._requires_grad:
        return True
    return any(isinstance(a, Tensor) and a._requires_grad for a in args)


def check_inplace(t: Tensor) -> None:
    """torch's errors for writing into a leaf (or a view of one) that requires grad."""
    if not _state.enabled:
        return
    if t.grad_fn is None and t._requires_grad:
        if t._base is not None:
            raise RuntimeError("a view of a leaf Variable that requires grad is being used in an in-place "
                               "operation.")
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
    base = t._base
    if base is not None and base.grad_fn is None and base._requires_grad:
        raise RuntimeError("a view of a leaf Variable that requires grad is being used in an in-place "
                           "operation.")


def _snapshot(t: Tensor) -> Tensor:
    s = Tensor.__new__(Tensor)
    s._data = t._data.copy(order="K")   # same layout, so every view of t is a view of it too
    s._vc = [0]
    s.grad_fn = t.grad_fn
    s._requires_grad = t._requires_grad
    s._output_nr = t._output_nr
    return s


def _check_cast(result, t: Tensor, op_name: str) -> None:
    rd, td = result.dtype, t._data.dtype
    if rd != td and _category(rd) > _category(td):
        from .._dtype import from_np
        raise RuntimeError(f"result type {_cap(from_np(rd))} can't be cast to the desired output type "
                           f"{_cap(from_np(td))}")


def _category(d) -> int:
    return {"b": 0, "u": 1, "i": 1, "f": 2}.get(d.kind, 3)


def _cap(d) -> str:
    names = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long", "int32": "Int",
             "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}
    return names[d.name]


def inplace(t: Tensor, fn, args=(), kwargs=None, fast=None) -> Tensor:
    """Apply out-of-place op `fn(t, *args)` to t in place.

    `fast(array)`, when given, performs the update on t's array directly; it is used whenever no
    graph needs recording (the common case: optimizers, init, no_grad code).
    """
    kwargs = kwargs or {}
    if not grad_recording(t, args):
        if fast is not None:
            fast(t._data)
        else:
            res = fn(t, *args, **kwargs)
            _check_cast(res._data, t, getattr(fn, "__name__", "op"))
            np.copyto(t._data, res._data, casting="unsafe")
        t._vc[0] += 1
        return t
    check_inplace(t)
    base = t._base
    if base is None:
        res = fn(_snapshot(t), *args, **kwargs)
        _check_cast(res._data, t, fn.__name__)
        np.copyto(t._data, res._data, casting="unsafe")
        t.grad_fn, t._output_nr, t._requires_grad = res.grad_fn, 0, res._requires_grad
    else:
        old_base = _snapshot(base)
        view_fn = t._view_fn
        res = fn(view_fn(old_base), *args, **kwargs)
        _check_cast(res._data, t, fn.__name__)
        new_base = copy_slices(old_base, res, view_fn)
        np.copyto(t._data, res._data, casting="unsafe")
        base.grad_fn, base._output_nr, base._requires_grad = new_base.grad_fn, 0, True
        derived = view_fn(base)
        t.grad_fn, t._output_nr, t._requires_grad = derived.grad_fn, derived._output_nr, True
    t._vc[0] += 1
    if t._base is not None:
        t._view_version = t._vc[0]   # its history was just rebuilt
    if res.grad_fn is not None and res.grad_fn._saved:
        _track_saved_output(res, t)
    return t


def _track_saved_output(res: Tensor, t: Tensor) -> None:
    """Make an output the op saved for backward follow `t`'s version counter.

    The op ran on a snapshot, so its saved output has a private counter that no later write bumps;
    the result now lives in `t`, so a later in-place op on `t` (or a view of it) must invalidate
    the saved value, as in torch (`y.exp_(); y.mul_(2)` then fails in backward).
    """
    node = res.grad_fn
    versions = list(node._versions)
    for i, s in enumerate(node._saved):
        if isinstance(s, Tensor) and s._saved_output and s._vc is res._vc:
            s._vc = t._vc
            versions[i] = t._vc[0]
    node._versions = tuple(versions)


class CopySlices(Node):
    """The base's history after an in-place op on one of its views."""

    def backward(self, g):
        mask = self.mask
        return g * mask, self.view_fn(g)


def copy_slices(old_base: Tensor, value: Tensor, view_fn) -> Tensor:
    data = old_base._data.copy(order="K")
    view_fn(data)[...] = value._data
    mask = np.ones_like(data)
    view_fn(mask)[...] = 0
    return record(CopySlices, data, (old_base, value), attrs={"mask": mask, "view_fn": view_fn})
