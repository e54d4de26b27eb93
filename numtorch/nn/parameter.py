"""torch.nn.Parameter and torch.nn.Buffer: tensors a Module registers on assignment.

A Parameter is a Tensor subclass that aliases the storage (and the version
counter) of the tensor it is made from, as torch's `_make_subclass` does, and
is always a leaf. Buffer is only a marker: `Buffer(t)` returns a plain Tensor
flagged so that `isinstance(x, Buffer)` holds and Module.__setattr__ registers
it as a buffer.
"""
from __future__ import annotations

import numpy as np

from .._tensor import Tensor

__all__ = ["Parameter", "Buffer", "UninitializedParameter", "UninitializedBuffer", "is_lazy"]

# Per-instance fields that describe autograd state, not user state: never pickled or deep-copied.
_AUTOGRAD_FIELDS = frozenset(("_data", "_vc", "_requires_grad", "_grad", "grad_fn", "_accumulator", "_hooks",
                              "_post_acc_hooks", "_base", "_view_fn", "_output_nr", "_retains_grad"))


def _empty():
    from .._ops.creation import empty
    return empty(0)


class _FlaggedMeta(type):
    """`isinstance(t, Parameter)` also holds for a tensor flagged `_is_param`, and likewise for Buffer and
    `_is_buffer` (torch's rule); the class names its flag in `_instance_flag`, its subclasses get the plain check."""

    def __instancecheck__(cls, instance) -> bool:
        flag = cls.__dict__.get("_instance_flag")
        if flag is not None and isinstance(instance, Tensor) and getattr(instance, flag, False):
            return True
        return super().__instancecheck__(instance)


class Parameter(Tensor, metaclass=_FlaggedMeta):
    """A Tensor that a Module lists among its parameters when assigned as an attribute."""

    _instance_flag = "_is_param"
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


class Buffer(Tensor, metaclass=_FlaggedMeta):
    """Marks a tensor as a module buffer; `Buffer(t)` returns a plain Tensor, as in torch."""

    _instance_flag = "_is_buffer"

    def __new__(cls, data=None, *, persistent=True):
        if data is None:
            data = _empty()
        t = data.detach()
        if data.requires_grad:
            t.requires_grad_(True)
        t.persistent = persistent
        t._is_buffer = True
        return t


_UNINIT_MESSAGE = ("Attempted to use an uninitialized parameter in {}. This error happens when you are using a "
                   "`LazyModule` or explicitly manipulating `torch.nn.parameter.{}` objects. When using LazyModules "
                   "Call `forward` with a dummy batch to initialize the parameters before calling torch functions")


class _UninitializedArray(np.ndarray):
    """The storage of an uninitialized tensor: NumPy arithmetic on it raises torch's ValueError.

    numtorch has no __torch_function__, so the ops cannot refuse an uninitialized
    operand themselves; they all reach NumPy, which asks this array first.
    Casts (astype) keep the subclass, so `.double()` stays uninitialized.
    """

    owner = "UninitializedParameter"

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        raise ValueError(_UNINIT_MESSAGE.format(repr(ufunc), self.owner))

    def __array_function__(self, func, types, args, kwargs):
        raise ValueError(_UNINIT_MESSAGE.format(f"<function {func.__name__}>", self.owner))


def _uninitialized(cls, requires_grad, device, dtype):
    """An instance of cls holding an empty _UninitializedArray of dtype (the default dtype if None)."""
    from .._device import check_device
    from .._dtype import from_any, get_default_dtype
    check_device(device)
    np_dt = (from_any(dtype) if dtype is not None else get_default_dtype()).np
    t = object.__new__(cls)
    t._data = np.empty(0, np_dt).view(_UninitializedArray)
    t._data.owner = cls.__name__
    t._vc = [0]
    if requires_grad:
        t.requires_grad_(True)
    return t


class UninitializedTensorMixin:
    """A tensor whose shape is not known yet: it holds no data until `materialize(shape)`."""

    cls_to_become = Tensor

    def materialize(self, shape, device=None, dtype=None) -> None:
        """Give the tensor storage of `shape` and turn it into `cls_to_become` (same object)."""
        from .._device import check_device
        from .._dtype import from_any
        check_device(device)
        np_dt = from_any(dtype).np if dtype is not None else self._data.dtype
        if isinstance(shape, int):
            shape = (shape,)
        self._data = np.empty(tuple(shape), np_dt)
        self.__class__ = self.cls_to_become

    @property
    def shape(self):
        raise RuntimeError("Can't access the shape of an uninitialized parameter or buffer. This error usually "
                           "happens in `load_state_dict` when trying to load an uninitialized parameter into an "
                           "initialized one. Call `forward` to initialize the parameters before accessing their "
                           "attributes.")

    def size(self, dim=None):
        from .._size import Size
        return Size(self._data.shape) if dim is None else self._data.shape[dim]

    def share_memory_(self):
        raise RuntimeError("Can't share memory on an uninitialized parameter or buffer. Call `forward` to initialize "
                           "the parameters before calling `module.share_memory()`.")

    def __repr__(self, *, tensor_contents=None) -> str:
        return f"<{self.__class__.__name__}>"

    __str__ = __repr__

    def __reduce_ex__(self, proto):
        return (self.__class__, (self.requires_grad,))

    def __deepcopy__(self, memo):
        if id(self) not in memo:
            memo[id(self)] = type(self)(self.requires_grad, None, self.dtype)
        return memo[id(self)]

    def copy_(self, src, non_blocking=False):
        # what torch allows: copying between empty (e.g. uninitialized) tensors in load_state_dict
        if self._data.size == 0 and getattr(src, "_data", src).size == 0:
            return self
        raise ValueError(_UNINIT_MESSAGE.format("copy_", type(self).__name__))

class UninitializedParameter(UninitializedTensorMixin, Parameter):
    """A Parameter whose shape a lazy module infers from its first input."""

    cls_to_become = Parameter

    def __new__(cls, requires_grad=True, device=None, dtype=None):
        return _uninitialized(cls, requires_grad, device, dtype)

    def __init__(self, *args, **kwargs):
        pass


class UninitializedBuffer(UninitializedTensorMixin, Tensor):
    """A buffer whose shape a lazy module infers from its first input."""

    cls_to_become = Tensor

    def __new__(cls, requires_grad=False, device=None, dtype=None, persistent=True):
        t = _uninitialized(cls, requires_grad, device, dtype)
        t.persistent = persistent
        t._is_buffer = True
        return t

    def __init__(self, *args, **kwargs):
        pass

    def _recast(self, method, *args, **kwargs):
        """A dtype conversion that stays uninitialized (torch keeps a buffer's subclass through them; a parameter's
        casts are plain tensors)."""
        out = getattr(Tensor, method)(self.detach(), *args, **kwargs)
        if out._data is self._data:
            return self
        return type(self)(self.requires_grad, None, out.dtype)


def _recaster(name):
    def method(self, *args, **kwargs):
        return self._recast(name, *args, **kwargs)
    method.__name__ = name
    return method


for _name in ("to", "float", "double", "half", "bfloat16", "char", "short", "int", "long", "cpu"):
    setattr(UninitializedBuffer, _name, _recaster(_name))


def is_lazy(param) -> bool:
    return isinstance(param, UninitializedTensorMixin)
