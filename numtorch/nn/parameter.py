"""torch.nn.Parameter and torch.nn.Buffer: tensors a Module registers on assignment.

A Parameter is a Tensor subclass that aliases the storage (and the version
counter) of the tensor it is made from, as torch's `_make_subclass` does, and
is always a leaf. Buffer is only a marker: `Buffer(t)` returns a plain Tensor
flagged so that `isinstance(x, Buffer)` holds and Module.__setattr__ registers
it as a buffer.
"""
from __future__ import annotations

from .._tensor import Tensor

__all__ = ["Parameter", "Buffer", "UninitializedParameter", "UninitializedBuffer", "is_lazy"]

# Per-instance fields that describe autograd state, not user state: never pickled or deep-copied.
_AUTOGRAD_FIELDS = frozenset(("_data", "_vc", "_requires_grad", "_grad", "grad_fn", "_accumulator", "_hooks",
                              "_post_acc_hooks", "_base", "_view_fn", "_output_nr", "_retains_grad"))


def _empty():
    from .._ops.creation import empty
    return empty(0)


class _ParameterMeta(type):
    """`isinstance(t, Parameter)` also holds for a tensor flagged `_is_param` (torch's rule)."""

    def __instancecheck__(cls, instance) -> bool:
        if cls is Parameter and isinstance(instance, Tensor) and getattr(instance, "_is_param", False):
            return True
        return super().__instancecheck__(instance)


class Parameter(Tensor, metaclass=_ParameterMeta):
    """A Tensor that a Module lists among its parameters when assigned as an attribute."""

    _is_param = True

    def __new__(cls, data=None, requires_grad=True):
        if data is None:
            data = _empty()
        if not isinstance(data, Tensor):
            raise TypeError(f"Parameter(): expected a Tensor as data, got {type(data).__name__}")
        p = object.__new__(cls)
        p._data = data._data
        p._vc = data._vc
        if requires_grad:
            p.requires_grad_(True)
        return p

    def __init__(self, data=None, requires_grad=True):
        pass  # everything happens in __new__; Tensor.__init__ would re-create the storage

    def __repr__(self, *, tensor_contents=None) -> str:
        return "Parameter containing:\n" + Tensor.__repr__(self)

    __str__ = __repr__

    def __deepcopy__(self, memo):
        # torch copies the values and requires_grad only: neither .grad nor extra attributes.
        if id(self) in memo:
            return memo[id(self)]
        result = type(self)(self.detach().clone(), self._requires_grad)
        memo[id(self)] = result
        return result

    def __reduce_ex__(self, protocol):
        state = {k: v for k, v in self.__dict__.items() if k not in _AUTOGRAD_FIELDS}
        return (_rebuild_parameter, (type(self), self._data, self._requires_grad, state))


def _rebuild_parameter(cls, data, requires_grad, state):
    from .._tensor import wrap
    p = cls(wrap(data), requires_grad)
    p.__dict__.update(state)
    return p


class _BufferMeta(type):
    def __instancecheck__(cls, instance) -> bool:
        if cls is Buffer and isinstance(instance, Tensor) and getattr(instance, "_is_buffer", False):
            return True
        return super().__instancecheck__(instance)


class Buffer(Tensor, metaclass=_BufferMeta):
    """Marks a tensor as a module buffer; `Buffer(t)` returns a plain Tensor, as in torch."""

    def __new__(cls, data=None, *, persistent=True):
        if data is None:
            data = _empty()
        t = data.detach()
        if data.requires_grad:
            t.requires_grad_(True)
        t.persistent = persistent
        t._is_buffer = True
        return t


class UninitializedParameter(Parameter):
    """Lazy modules are not supported; the name exists so that code mentioning it imports."""

    def __new__(cls, requires_grad=True, device=None, dtype=None):
        raise NotImplementedError("numtorch does not support lazy modules (UninitializedParameter)")


class UninitializedBuffer(Tensor):
    def __new__(cls, requires_grad=False, device=None, dtype=None, persistent=True):
        raise NotImplementedError("numtorch does not support lazy modules (UninitializedBuffer)")


def is_lazy(param) -> bool:
    return isinstance(param, (UninitializedParameter, UninitializedBuffer))
