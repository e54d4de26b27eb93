"""torch's dtypes and type-promotion rules, mapped onto NumPy dtypes.

NumPy 2 already treats Python scalars as "weak" like torch does, but it
differs in two places that change printed numbers: an integer meeting a float
of lower precision (torch keeps the float dtype, NumPy widens), and a 0-d
array meeting a dimensioned one (torch lets the dimensioned tensor win within a
category). `result_type` implements torch's rule; ops call it only when their
operands' dtypes differ, so the common same-dtype path costs nothing.
"""
from __future__ import annotations

import builtins as _b
import threading

import numpy as np

__all__ = [
    "dtype", "float16", "float32", "float64", "half", "float", "double",
    "int8", "int16", "int32", "int64", "short", "int", "long", "uint8", "bool",
    "bfloat16", "complex32", "chalf", "complex64", "complex128", "cfloat", "cdouble",
    "get_default_dtype", "set_default_dtype", "promote_types", "result_type", "can_cast",
    "finfo", "iinfo", "set_default_tensor_type",
]

_BOOL, _INT, _FLOAT, _COMPLEX = 0, 1, 2, 3


class dtype:
    """A torch dtype: a name, its NumPy dtype and its promotion category."""

    __slots__ = ("name", "np", "category", "itemsize", "is_signed")

    def __init__(self, name: str, np_dtype, category: int, is_signed: bool, itemsize: int = 0):
        self.name = name
        self.np = np.dtype(np_dtype) if np_dtype is not None else None
        self.category = category
        self.itemsize = self.np.itemsize if self.np is not None else itemsize
        self.is_signed = is_signed

    @property
    def is_floating_point(self) -> bool:
        return self.category == _FLOAT

    @property
    def is_complex(self) -> bool:
        return self.category == _COMPLEX

    def to_real(self) -> "dtype":
        return {"complex32": float16, "complex64": float32, "complex128": float64}.get(self.name, self)

    def to_complex(self) -> "dtype":
        if self.category == _COMPLEX:
            return self
        if self.category == _FLOAT:
            return {"float16": complex32, "float64": complex128}.get(self.name, complex64)
        raise RuntimeError(f"Unknown Complex ScalarType for {_LEGACY_NAMES.get(self.name, self.name)}")

    def __repr__(self) -> str:
        return f"torch.{self.name}"

    def __reduce__(self):
        return (_by_name, (self.name,))


def _by_name(name: str) -> dtype:
    return globals()[name]


bool = dtype("bool", np.bool_, _BOOL, False)  # noqa: A001 - torch's name
uint8 = dtype("uint8", np.uint8, _INT, False)
int8 = dtype("int8", np.int8, _INT, True)
int16 = short = dtype("int16", np.int16, _INT, True)
int32 = int = dtype("int32", np.int32, _INT, True)  # noqa: A001
int64 = long = dtype("int64", np.int64, _INT, True)
float16 = half = dtype("float16", np.float16, _FLOAT, True)
float32 = float = dtype("float32", np.float32, _FLOAT, True)  # noqa: A001
float64 = double = dtype("float64", np.float64, _FLOAT, True)
# Named so that code mentioning them imports; using them raises (see from_any).
bfloat16 = dtype("bfloat16", None, _FLOAT, True, itemsize=2)
complex32 = chalf = dtype("complex32", None, _COMPLEX, True, itemsize=4)
complex64 = cfloat = dtype("complex64", np.complex64, _COMPLEX, True)
complex128 = cdouble = dtype("complex128", np.complex128, _COMPLEX, True)

_LEGACY_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long", "int32": "Int",
                 "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool", "bfloat16": "BFloat16"}

_SUPPORTED = (bool, uint8, int8, int16, int32, int64, float16, float32, float64)
_FROM_NP = {d.np: d for d in _SUPPORTED}


def from_np(np_dtype) -> dtype:
    """The torch dtype of a NumPy dtype; unsupported ones raise TypeError naming it."""
    try:
        return _FROM_NP[np_dtype]
    except KeyError:
        pass
    d = np.dtype(np_dtype)
    if d in _FROM_NP:
        return _FROM_NP[d]
    if d.kind == "c" or d.name in ("uint16", "uint32", "uint64"):
        raise NotImplementedError(f"numtorch does not support {d.name} tensors yet (got numpy dtype {d})")
    raise TypeError(
        f"can't convert np.ndarray of type numpy.{d.type.__name__}. The only supported types are: float64, "
        "float32, float16, complex64, complex128, int64, int32, int16, int8, uint64, uint32, uint16, uint8, "
        "and bool.")


def from_any(d) -> dtype:
    """Accept a numtorch dtype, a NumPy dtype/type, or a Python type (float, int, bool)."""
    if type(d) is dtype:
        if d.np is None or d.category == _COMPLEX:
            raise NotImplementedError(f"numtorch does not support {d} tensors")
        return d
    if d is _b.float:
        return float64
    if d is _b.int:
        return int64
    if d is _b.bool:
        return bool
    return from_np(d)


_local = threading.local()
_default = [float32]  # process-wide, as in torch


def get_default_dtype() -> dtype:
    return _default[0]


def set_default_dtype(d) -> None:
    if type(d) is not dtype:
        raise TypeError("invalid dtype object: only floating-point types are supported as the default type")
    if not d.is_floating_point:
        raise TypeError("only floating-point types are supported as the default type")
    _default[0] = from_any(d)


_TENSOR_TYPES = {"torch.FloatTensor": float32, "torch.DoubleTensor": float64, "torch.HalfTensor": float16}


def set_default_tensor_type(t) -> None:
    """Deprecated torch API: sets the default dtype from a legacy CPU tensor-type name."""
    import warnings
    warnings.warn("torch.set_default_tensor_type() is deprecated as of PyTorch 2.1, please use "
                  "torch.set_default_dtype() and torch.set_default_device() as alternatives.",
                  UserWarning, stacklevel=2)
    name = t if isinstance(t, str) else getattr(t, "__module__", "") + "." + getattr(t, "__name__", "")
    if name not in _TENSOR_TYPES:
        raise NotImplementedError(f"numtorch supports only CPU floating tensor types as the default, got {name}")
    _default[0] = _TENSOR_TYPES[name]


def promote_types(a: dtype, b: dtype) -> dtype:
    """torch.promote_types: the higher category wins outright; within one, NumPy's rule."""
    if a is b:
        return a
    if type(a) is not dtype or type(b) is not dtype:
        return promote_types(from_any(a), from_any(b))
    if a.category != b.category:
        return a if a.category > b.category else b
    return _FROM_NP[np.promote_types(a.np, b.np)]


def scalar_dtype(x) -> dtype:
    """The dtype torch gives a Python number taking part in an op."""
    t = type(x)
    if t is _b.bool:
        return bool
    if t is np.bool_:   # torch reads a NumPy bool as a float number
        return get_default_dtype()
    if t is _b.int or isinstance(x, np.integer):
        return int64
    if isinstance(x, np.floating):
        return get_default_dtype()
    if t is _b.float:
        return get_default_dtype()
    if isinstance(x, complex):
        raise NotImplementedError("numtorch does not support complex numbers yet")
    raise TypeError(f"expected a number, got {t.__name__}")


def _combine(higher: dtype | None, lower: dtype | None) -> dtype | None:
    if higher is None:
        return lower
    if lower is None or higher.category == _FLOAT:
        return higher
    if higher is bool or lower.category == _FLOAT:
        return promote_types(higher, lower)
    return higher


def result_type_of(dims, zero_dims, scalars) -> dtype:
    """torch's three-tier promotion over dimensioned, 0-d and Python-scalar operands."""
    def fold(ds):
        out = None
        for d in ds:
            out = d if out is None else promote_types(out, d)
        return out
    return _combine(fold(dims), _combine(fold(zero_dims), fold(scalars)))


def result_type(*operands) -> dtype:
    """torch.result_type for any mix of tensors and Python numbers."""
    from ._tensor import Tensor
    dims, zeros, scalars = [], [], []
    for x in operands:
        if isinstance(x, Tensor):
            (dims if x._data.ndim else zeros).append(x.dtype)
        else:
            scalars.append(scalar_dtype(x))
    return result_type_of(dims, zeros, scalars)


def can_cast(from_: dtype, to: dtype) -> bool:
    """torch.can_cast: casting down a category (float->int, int->bool) is not allowed."""
    return from_any(from_).category <= from_any(to).category


def _info_dtype(d):
    if d is None:
        return get_default_dtype()
    return d if type(d) is dtype else from_any(d)


def _g(x) -> str:
    """A number as C++'s default ostream writes it (6 significant digits), as torch's info reprs do."""
    return f"{x:g}"


class finfo:
    """Machine limits of a floating dtype (torch.finfo); values are Python floats."""

    __slots__ = ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype")

    # bfloat16 has no NumPy dtype: its limits are written out (8 exponent bits, 8 significand bits).
    _BF16 = (16, 2.0 ** -7, 3.3895313892515355e+38, 2.0 ** -126, 0.01)

    def __init__(self, type=None):
        d = _info_dtype(type)
        if d.category != _FLOAT:
            raise TypeError("torch.finfo() requires a floating point input type. Use torch.iinfo to handle "
                            "'torch.finfo'")
        if d is bfloat16:
            self.bits, self.eps, self.max, self.tiny, self.resolution = self._BF16
        else:
            f = np.finfo(d.np)
            self.bits, self.eps, self.max = f.bits, _b.float(f.eps), _b.float(f.max)
            self.tiny, self.resolution = _b.float(f.smallest_normal), 10.0 ** -f.precision
        self.min = -self.max
        self.smallest_normal = self.tiny
        self.dtype = d.name

    def __repr__(self) -> str:
        return (f"finfo(resolution={_g(self.resolution)}, min={_g(self.min)}, max={_g(self.max)}, "
                f"eps={_g(self.eps)}, smallest_normal={_g(self.smallest_normal)}, tiny={_g(self.tiny)}, "
                f"dtype={self.dtype})")


class iinfo:
    """Limits of an integer dtype (torch.iinfo); values are Python ints."""

    __slots__ = ("bits", "max", "min", "dtype")

    def __init__(self, type):
        d = _info_dtype(type)
        if d is bool:
            raise TypeError("torch.bool is not supported by torch.iinfo")
        if d.category != _INT:
            raise TypeError("torch.iinfo() requires an integer input type. Use torch.finfo to handle "
                            "'torch.iinfo'")
        i = np.iinfo(d.np)
        self.bits, self.max, self.min, self.dtype = i.bits, _b.int(i.max), _b.int(i.min), d.name

    def __repr__(self) -> str:
        return f"iinfo(min={_g(_b.float(self.min))}, max={_g(_b.float(self.max))}, dtype={self.dtype})"
