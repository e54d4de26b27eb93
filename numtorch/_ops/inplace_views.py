"""In-place view ops (t_, transpose_, squeeze_, unsqueeze_, swapaxes_, swapdims_).

They change a tensor's shape, not its values: the tensor takes over the metadata and history of
the matching out-of-place view, under torch's in-place node name (TransposeBackward0 becomes
TransposeBackward1), and its version is bumped as torch bumps it.
"""
from __future__ import annotations

from .._tensor import Tensor, bind_methods
from ..autograd.grad_mode import _state
from .inplace import check_inplace
from .shape import squeeze, t, transpose, unsqueeze

__all__ = []   # Tensor methods only (torch has no torch.t_ etc.)

# out-of-place node name -> torch's name for the in-place form
_INPLACE_NAMES = {"TBackward0": "TBackward1", "TransposeBackward0": "TransposeBackward1",
                  "UnsqueezeBackward0": "UnsqueezeBackward1", "SqueezeBackward0": "SqueezeBackward3",
                  "SqueezeBackward1": "SqueezeBackward4", "SqueezeBackward2": "SqueezeBackward5"}
_renamed_classes: dict = {}


def _renamed(node):
    cls = type(node)
    name = _INPLACE_NAMES.get(cls.__name__)
    if name is None:
        return node
    sub = _renamed_classes.get(cls)
    if sub is None:
        sub = _renamed_classes[cls] = type(name, (cls,), {})
    node.__class__ = sub
    return node


def _inplace_view(op):
    def method(self, *args, **kwargs):
        if _state.enabled and self._requires_grad:
            check_inplace(self)
        res = op(self, *args, **kwargs)
        self._data = res._data
        if res.grad_fn is not None:
            self.grad_fn, self._output_nr = _renamed(res.grad_fn), res._output_nr
        if self._base is not None:       # still a view of the same base, reached one step further
            self._view_fn = res._view_fn
        self._vc[0] += 1
        if self._base is not None:
            self._view_version = self._vc[0]
        return self
    method.__name__ = op.__name__ + "_"
    return method


bind_methods(t_=_inplace_view(t), transpose_=_inplace_view(transpose), swapaxes_=_inplace_view(transpose),
             swapdims_=_inplace_view(transpose), squeeze_=_inplace_view(squeeze),
             unsqueeze_=_inplace_view(unsqueeze))
