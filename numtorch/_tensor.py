"""class Tensor: an ndarray plus the autograd fields torch gives every tensor.

Hot fields (`_data`, `_vc`, `grad_fn`, `_requires_grad`) are set per
instance; rarely used ones have class-level defaults, so making a Tensor costs
three attribute stores. Tensor keeps a `__dict__` because torch tensors accept
arbitrary attributes and libraries rely on tagging parameters.

Methods for ops live with the ops (`numtorch._ops.*`) and are bound onto this
class by `bind_methods`; this file holds what is about the tensor itself.
"""
from __future__ import annotations

import numpy as np

from . import _dtype
from ._device import CPU, check_device
from ._size import Size

__all__ = ["Tensor", "wrap", "bind_methods", "legacy_type_name"]

_ndarray = np.ndarray


class Tensor:
    """A multi-dimensional array that can record the operations applied to it."""

    __array_priority__ = 1000  # ndarray (op) Tensor defers to Tensor's reflected operator

    # Per-instance: _data (ndarray), _vc ([version], shared by views).
    grad_fn = None
    _requires_grad = False
    _grad = None
    _output_nr = 0
    _base = None             # the tensor this one is a view of
    _view_fn = None          # recreates this view from its base (for in-place ops on views)
    _view_version = 0        # the shared version counter's value when this view's history was made
    _saved_output = False    # an alias saved by its own grad_fn (see graph.Node.unpack)
    _hooks = None            # leaf hooks {id: fn(grad)}
    _post_acc_hooks = None   # {id: fn(tensor)}
    _retains_grad = False
    _is_param = False

    def __new__(cls, *args, **kwargs):
        return object.__new__(cls)

    def __init__(self, *args, device=None, dtype=None):
        # torch.Tensor(...) legacy constructor: data, or sizes for an uninitialized tensor.
        check_device(device)
        from ._ops.creation import legacy_data
        self._data = legacy_data(args, dtype)
        self._vc = [0]

    # -- core attributes -----------------------------------------------------------
    @property
    def shape(self):
        return Size(self._data.shape)

    def size(self, dim=None):
        if dim is None:
            return self.shape
        return self._data.shape[_wrap_dim(dim, self._data.ndim)]

    @property
    def dtype(self):
        return _dtype.from_np(self._data.dtype)

    @property
    def device(self):
        return CPU

    @property
    def is_cuda(self) -> bool:
        return False

    is_sparse = False
    is_quantized = False
    is_meta = False
    layout = "torch.strided"

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def dim(self) -> int:
        return self._data.ndim

    ndimension = dim

    def numel(self) -> int:
        return self._data.size

    nelement = numel

    def element_size(self) -> int:
        return self._data.itemsize

    @property
    def itemsize(self) -> int:
        return self._data.itemsize

    @property
    def nbytes(self) -> int:
        return self._data.nbytes

    def stride(self, dim=None):
        st = tuple(s // self._data.itemsize for s in self._data.strides)
        return st if dim is None else st[_wrap_dim(dim, self._data.ndim)]

    def is_contiguous(self, memory_format=None) -> bool:
        return self._data.flags.c_contiguous

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f"

    def is_complex(self) -> bool:
        return False

    def is_signed(self) -> bool:
        return self.dtype.is_signed

    def get_device(self) -> int:
        return -1

    def data_ptr(self) -> int:
        return self._data.__array_interface__["data"][0]

    def storage_offset(self) -> int:
        """Elements between the start of the base tensor's data and this view's first element."""
        root = self._base._data if self._base is not None else self._data
        return (self.data_ptr() - root.__array_interface__["data"][0]) // self._data.itemsize

    is_cpu = True

    def is_inference(self) -> bool:
        """False: inference_mode in numtorch is no_grad and makes ordinary tensors."""
        return False

    def new_empty_strided(self, size, stride, *, dtype=None, device=None, requires_grad=False, layout=None,
                          pin_memory=False) -> "Tensor":
        """Contiguous, like numtorch's empty_strided: storage layout always follows the shape."""
        return self.new_empty(size, dtype=dtype, device=device, requires_grad=requires_grad)

    @property
    def _version(self) -> int:
        return self._vc[0]

    # -- autograd attributes ------------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag) -> None:
        self.requires_grad_(flag)

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        if self.grad_fn is not None:
            if not requires_grad:
                raise RuntimeError(
                    "you can only change requires_grad flags of leaf variables. If you want to use a "
                    "computed variable in a subgraph that doesn't require differentiation use "
                    "var_no_grad = var.detach().")
            return self
        if requires_grad and self._data.dtype.kind != "f":
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        self._requires_grad = bool(requires_grad)
        return self

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def grad(self):
        if self.grad_fn is not None and not self._retains_grad and self._grad is None:
            import warnings
            warnings.warn(
                "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad "
                "attribute won't be populated during autograd.backward(). If you indeed want the .grad "
                "field to be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. If you "
                "access the non-leaf Tensor by mistake, make sure you access the leaf Tensor instead. See "
                "github.com/pytorch/pytorch/pull/30531 for more information.",
                UserWarning, stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, value) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of type "
                                f"{type(value).__name__}")
            if value._data.dtype != self._data.dtype:
                raise RuntimeError(f"assigned grad has data of a different type")
            if value._data.shape != self._data.shape:
                raise RuntimeError("assigned grad has data of a different size")
        self._grad = value

    @grad.deleter
    def grad(self) -> None:
        self._grad = None

    @property
    def retains_grad(self) -> bool:
        return self._retains_grad

    @property
    def data(self) -> "Tensor":
        t = wrap(self._data)
        return t

    @data.setter
    def data(self, value: "Tensor") -> None:
        if not isinstance(value, Tensor):
            raise TypeError(f"data must be a Tensor, got {type(value).__name__}")
        self._data = value._data

    def detach(self) -> "Tensor":
        """A tensor sharing storage and version counter, outside the graph."""
        t = Tensor.__new__(Tensor)
        t._data = self._data
        t._vc = self._vc
        return t

    def detach_(self) -> "Tensor":
        if self._base is not None and self._base.requires_grad:
            raise RuntimeError("Can't detach views in-place. Use detach() instead.")
        self.grad_fn = None
        self._requires_grad = False
        return self

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None) -> None:
        from .autograd import backward
        backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    def register_hook(self, hook):
        """hook(grad) -> new grad or None, called when the gradient for this tensor is computed."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is not None:
            return self.grad_fn._register_tensor_hook(self._output_nr, hook)
        from .utils.hooks import add_hook
        if self._hooks is None:
            self._hooks = {}
        return add_hook(self._hooks, hook)

    def register_post_accumulate_grad_hook(self, hook):
        """hook(tensor), called after the gradient has been accumulated into this leaf's .grad."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
        from .utils.hooks import add_hook
        if self._post_acc_hooks is None:
            self._post_acc_hooks = {}
        return add_hook(self._post_acc_hooks, hook)

    def retain_grad(self) -> None:
        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self.grad_fn is None or self._retains_grad:
            return
        import weakref
        node = self.grad_fn
        if node._retained is None:
            node._retained = {}
        node._retained[self._output_nr] = weakref.ref(self)
        self._retains_grad = True

    def _reattach(self, node) -> "Tensor":
        """A Tensor for a saved output, with `node` as its grad_fn (for double backward)."""
        t = Tensor.__new__(Tensor)
        t._data = self._data
        t._vc = self._vc
        t.grad_fn = node
        t._requires_grad = True
        t._output_nr = self._output_nr
        return t

    # -- conversion -------------------------------------------------------------
    def item(self):
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted to Scalar")
        return self._data.reshape(()).item()

    def tolist(self):
        return self._data.tolist()

    def numpy(self, *, force: bool = False) -> np.ndarray:
        if self._requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() "
                               "instead.")
        return self._data

    def __array__(self, dtype=None, copy=None):
        if dtype is None:
            return self._data
        return self._data.astype(dtype, copy=False)

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise RuntimeError(f"Boolean value of Tensor with more than one value is ambiguous")
        return bool(self._data)

    def __float__(self) -> float:
        if self._requires_grad:
            import warnings
            warnings.warn("Converting a tensor with requires_grad=True to a scalar may lead to unexpected "
                          "behavior.\nConsider using tensor.detach() first.", UserWarning, stacklevel=2)
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self._data.reshape(()))

    def __complex__(self) -> complex:
        return complex(self.item())

    __hash__ = object.__hash__  # identity, as torch's; object's C slot keeps dict lookups in the engine fast

    def __format__(self, spec: str) -> str:
        if self._data.ndim == 0:
            return self.item().__format__(spec)
        return object.__format__(self, spec)

    def __repr__(self, *, tensor_contents=None) -> str:
        from ._tensor_str import tensor_repr
        return tensor_repr(self)

    __str__ = __repr__

    def __reduce_ex__(self, protocol):
        return (_rebuild, (self._data, self._requires_grad, type(self) is not Tensor and type(self) or None))

    def __deepcopy__(self, memo):
        if not self.is_leaf:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) support the "
                               "deepcopy protocol at the moment.  If you were attempting to deepcopy a "
                               "module, this may be because of a torch.nn.utils.weight_norm usage, see "
                               "https://github.com/pytorch/pytorch/pull/103001")
        if id(self) in memo:
            return memo[id(self)]
        import copy
        new = type(self).__new__(type(self))
        new._data = self._data.copy()
        new._vc = [0]
        new._requires_grad = self._requires_grad
        if self._grad is not None:
            new._grad = copy.deepcopy(self._grad, memo)
        for k, v in self.__dict__.items():
            if k not in ("_data", "_vc", "_requires_grad", "_grad", "_accumulator"):
                new.__dict__[k] = copy.deepcopy(v, memo)
        memo[id(self)] = new
        return new

    @property
    def H(self):
        return self.mT if self._data.ndim else self

    def cpu(self) -> "Tensor":
        return self

    def cuda(self, *args, **kwargs):
        raise NotImplementedError("numtorch runs on the CPU only; Tensor.cuda() is not supported")


def _rebuild(data, requires_grad, cls):
    t = (cls or Tensor).__new__(cls or Tensor)
    t._data = data
    t._vc = [0]
    t._requires_grad = requires_grad
    return t


def wrap(data) -> Tensor:
    """A new Tensor around an array (a NumPy scalar becomes a 0-d array)."""
    if type(data) is not _ndarray:
        data = np.asarray(data)
    t = Tensor.__new__(Tensor)
    t._data = data
    t._vc = [0]
    return t


def _wrap_dim(dim: int, ndim: int) -> int:
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")
    return dim % n


_LEGACY = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long", "int32": "Int",
           "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}


def legacy_type_name(t: Tensor) -> str:
    """torch's old-style type name, e.g. torch.FloatTensor (used in messages and Tensor.type())."""
    return f"torch.{_LEGACY[t._data.dtype.name]}Tensor"


def bind_methods(**methods) -> None:
    """Install op functions as Tensor methods (called by each op module for its own ops)."""
    for name, fn in methods.items():
        setattr(Tensor, name, fn)
