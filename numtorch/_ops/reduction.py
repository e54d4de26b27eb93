"""Reductions and scans: sum, mean, prod, var/std, max/min, median, logsumexp, cumsum, softmax, ...

Every rule expands the grad back over the reduced dims with `restore_dims` /
`expand_back`. Selection reductions (max, amax, median, mode) route the grad
through a constant 0/1 mask built from the saved input, so their rules stay
plain operators that work on arrays (backward) and Tensors (create_graph).
Scans (cumsum, cumprod) carry `reverse` / `exclusive` flags internally so
that a scan's derivative is again a scan of the same op, to any order.
"""
from __future__ import annotations

__all__ = ["all", "amax", "amin", "aminmax", "any", "argmax", "argmin", "count_nonzero", "cumprod", "cumsum",
           "log_softmax", "logcumsumexp", "logsumexp", "max", "mean", "median", "min", "mode", "nanmean",
           "nanmedian", "nansum", "prod",
           "softmax", "std", "std_mean", "sum", "sum_to_size", "var", "var_mean"]

import builtins
import collections
import functools
import math
import warnings

import numpy as np

from .. import _dtype
from .._tensor import Tensor, _wrap_dim, bind_methods, wrap
from ..autograd.graph import Node
from . import _cascade, dual
from ._cascade import sum_array
from ._core import OUT, record, record_multi
from ._operands import float_array
from .inplace import inplace

# -- dims and shapes -------------------------------------------------------------------


def reduced_dims(dim, ndim: int):
    """Normalize torch's dim argument (None, int, or sequence) to a sorted tuple of axes, or None."""
    if dim is None:
        return None
    dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
    if len(dims) == 0:
        return None
    n = builtins.max(ndim, 1)
    out = []
    for d in dims:
        if not -n <= d < n:
            raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {d})")
        out.append(d % n)
    if len(set(out)) != len(out):
        raise RuntimeError(f"dim {out[0]} appears multiple times in the list of dims")
    return tuple(sorted(out))


def _axes(x, dim):
    """NumPy's axis for torch's dim on array x: a sorted tuple, or None for 'all' (and for 0-d x)."""
    dims = reduced_dims(dim, x.ndim)
    return dims if x.ndim else None


def restore_dims(g, dims, keepdim):
    """Put back the reduced dims of g as size-1 dims, so it broadcasts against the input."""
    if dims is not None and not keepdim:
        return dual.unsqueeze(g, dims)
    return g


def expand_back(g, shape, dims, keepdim):
    """Broadcast a reduced gradient back to the input shape."""
    if not len(shape):
        return g
    return dual.expand(restore_dims(g, dims, keepdim), shape)


def _count(shape, axis) -> int:
    return math.prod(shape) if axis is None else math.prod(shape[d] for d in axis)


def _mask(cond, like):
    """A constant 0/1 array of like's dtype: rules multiply by it instead of branching."""
    return np.asarray(cond).astype(dual.data(like).dtype)


def _safe_div(num, den):
    """num / den where den != 0, else 0 (torch's masked_fill after a division); den is differentiable."""
    zero = dual.data(den) == 0
    if not zero.any():
        return num / den
    return num / (den + _mask(zero, den)) * _mask(~zero, den)


def _legacy(a) -> str:
    return _dtype._LEGACY_NAMES[a.dtype.name]


def _require_float(x, message: str):
    if x.dtype.kind != "f":
        raise RuntimeError(message.format(_legacy(x)))


def _no_empty_dims(x, axis, name: str, sep: str = "()"):
    """torch's errors for reductions without an identity (max, argmax, median...) over nothing."""
    if axis is None:
        if x.size == 0:
            raise RuntimeError(f"{name}{sep}: Expected reduction dim to be specified for input.numel() == 0. "
                               f"Specify the reduction dim with the 'dim' argument.")
        return
    for d in axis:
        if x.shape[d] == 0:
            raise IndexError(f"{name}{sep}: Expected reduction dim {d} to have non-zero size.")


# -- torch.return_types ------------------------------------------------------------------


def return_type(name: str, fields: str):
    """A namedtuple printed like torch.return_types.<name> (values=..., indices=...)."""
    base = collections.namedtuple(name, fields)

    def __repr__(self):
        body = ",\n".join(f"{f}={v!r}" for f, v in zip(self._fields, self))
        return f"torch.return_types.{name}(\n{body})"

    return type(name, (base,), {"__slots__": (), "__repr__": __repr__, "__module__": "torch.return_types"})


_max_t = return_type("max", "values indices")
_min_t = return_type("min", "values indices")
_median_t = return_type("median", "values indices")
_mode_t = return_type("mode", "values indices")
_aminmax_t = return_type("aminmax", "min max")


# -- sum, mean, nansum, nanmean -------------------------------------------------------------


class SumBackward0(Node):
    def backward(self, g):
        return dual.expand(g, self.shape),


class SumBackward1(Node):
    def backward(self, g):
        return expand_back(g, self.shape, self.dims, self.keepdim),


def _acc_dtype(x, dtype):
    if dtype is not None:
        return _dtype.from_any(dtype).np
    return np.int64 if x.dtype.kind in "biu" else None


def sum(input, dim=None, keepdim=False, *, dtype=None):  # noqa: A001
    x = input._data
    acc = _acc_dtype(x, dtype)
    if dim is None and not keepdim:
        return record(SumBackward0, sum_array(x, None, False, acc), (input,), attrs={"shape": x.shape})
    axis = _axes(x, dim)
    data = sum_array(x, axis, keepdim, acc)
    return record(SumBackward1, data, (input,), attrs={"shape": x.shape, "dims": axis, "keepdim": keepdim})


class MeanBackward0(Node):
    def backward(self, g):
        return dual.expand(g / self.count, self.shape),


class MeanBackward1(Node):
    def backward(self, g):
        return expand_back(g / self.count, self.shape, self.dims, self.keepdim),


def mean(input, dim=None, keepdim=False, *, dtype=None):
    x = input._data
    if dtype is not None:
        acc = _dtype.from_any(dtype).np
        if np.dtype(acc).kind != "f":
            raise RuntimeError(f"mean(): could not infer output dtype. Optional dtype must be either a floating "
                               f"point or complex dtype. Got: {_legacy(np.empty(0, acc))}")
    else:
        acc = None
        if x.dtype.kind != "f":
            raise RuntimeError(f"mean(): could not infer output dtype. Input dtype must be either a floating "
                               f"point or complex dtype. Got: {_legacy(x)}")
    if dim is None and not keepdim:
        data = _mean_array(x, None, False, acc, x.size) if x.size else np.array(np.nan, acc or x.dtype)
        return record(MeanBackward0, data, (input,), attrs={"shape": x.shape, "count": x.size})
    axis = _axes(x, dim)
    count = _count(x.shape, axis)
    if count:
        data = _mean_array(x, axis, keepdim, acc, count)
    else:   # NaN, without NumPy's empty-slice warning
        data = np.sum(x, axis=axis, keepdims=keepdim, dtype=acc) * np.nan
    return record(MeanBackward1, data, (input,),
                  attrs={"shape": x.shape, "dims": axis, "keepdim": keepdim, "count": count})


def _mean_array(x, axis, keepdim, acc, count):
    """torch's CPU mean: the sum (half summed and divided in float) divided by the count."""
    out_dtype = np.dtype(acc or x.dtype)
    if out_dtype == np.float16:
        return (sum_array(x, axis, keepdim, np.float32) / count).astype(out_dtype)
    return sum_array(x, axis, keepdim, out_dtype) / count


class NansumBackward0(Node):
    def backward(self, g, x):
        return expand_back(g, self.shape, self.dims, self.keepdim) * _mask(~np.isnan(dual.data(x)), g),


def nansum(input, dim=None, keepdim=False, *, dtype=None):
    x = input._data
    if x.dtype.kind != "f":
        return sum(input, dim, keepdim, dtype=dtype)
    axis = _axes(x, dim)
    nan = np.isnan(x)
    data = sum_array(np.where(nan, 0, x) if nan.any() else x, axis, keepdim, _acc_dtype(x, dtype), half_copy=False)
    return record(NansumBackward0, data, (input,), (input,),
                  attrs={"shape": x.shape, "dims": axis, "keepdim": keepdim})


def nanmean(input, dim=None, keepdim=False, *, dtype=None):
    """nansum / (number of non-NaN entries), as torch composes it (grad_fn DivBackward0)."""
    x = input._data
    _require_float(x, "nanmean(): expected input to have floating point or complex dtype but got {}")
    from .pointwise import div
    count = np.sum(~np.isnan(x), axis=_axes(x, dim), keepdims=keepdim)
    return div(nansum(input, dim, keepdim, dtype=dtype), wrap(np.asarray(count)))


class SumToSizeBackward0(Node):
    def backward(self, g):
        return dual.expand(g, self.shape),


def sum_to_size(input, *size):
    shape = tuple(size[0]) if len(size) == 1 and not isinstance(size[0], int) else tuple(size)
    x = input._data
    if x.shape == shape:
        return input
    if len(shape) > x.ndim or builtins.any(s not in (1, xs) for s, xs in zip(shape[::-1], x.shape[::-1])):
        raise RuntimeError(f"size {{{list(shape)}}} is not expandable to size {{{list(x.shape)}}}.")
    return record(SumToSizeBackward0, dual.sum_to_array(x, shape), (input,), attrs={"shape": x.shape})


# -- scans: cumsum, cumprod ---------------------------------------------------------------------


_SCAN_ACC = {np.dtype(np.float32): np.dtype(np.float64), np.dtype(np.float16): np.dtype(np.float32)}


def _scan_array(ufunc, x, axis, reverse, exclusive, dtype=None):
    """ufunc.accumulate along axis; reverse runs from the end, exclusive leaves out the element itself.

    float32 (half) runs in float64 (float32) and each partial result is rounded, as torch's CPU
    scans accumulate in the wider type."""
    if reverse:
        x = np.flip(x, axis)
    if exclusive and x.shape[axis]:
        x = _shifted(x, axis, ufunc.identity, dtype)
    if dtype is not None and x.dtype != dtype:
        x = x.astype(dtype)
    acc = _SCAN_ACC.get(x.dtype)
    out = ufunc.accumulate(x, axis=axis, dtype=acc)
    if acc is not None:
        out = out.astype(x.dtype)
    return np.flip(out, axis) if reverse else out


class CumsumBackward0(Node):
    def backward(self, g):
        if self.axis is None:
            return g,
        return _cumsum(g, self.axis, not self.reverse, self.exclusive),


class CumprodBackward0(Node):
    def backward(self, g, x, out):
        if self.axis is None or x.shape[self.axis] == 1 and not self.exclusive:
            return g,
        return _cumprod_grad(g, x, out, self.axis, self.reverse, self.exclusive),


def _record_scan(cls, ufunc, input, x, axis, reverse, exclusive, dtype=None):
    if x.ndim == 0:
        data = x.astype(dtype) if dtype is not None else x.copy()
        axis = None
    else:
        data = _scan_array(ufunc, x, axis, reverse, exclusive, dtype)
    saved = (input, OUT) if cls is CumprodBackward0 else ()
    return record(cls, data, (input,), saved, {"axis": axis, "reverse": reverse, "exclusive": exclusive})


def _cumsum(x, axis, reverse=False, exclusive=False):
    """Cumulative sum of an array or a Tensor (the scan used by rules)."""
    if isinstance(x, Tensor):
        return _record_scan(CumsumBackward0, np.add, x, x._data, axis, reverse, exclusive)
    return _scan_array(np.add, x, axis, reverse, exclusive)


def _cumprod(x, axis, reverse=False, exclusive=False):
    """Cumulative product of an array or a Tensor (the scan used by rules)."""
    if isinstance(x, Tensor):
        return _record_scan(CumprodBackward0, np.multiply, x, x._data, axis, reverse, exclusive)
    return _scan_array(np.multiply, x, axis, reverse, exclusive)


def _cumprod_grad(g, x, out, axis, reverse, exclusive):
    """d/dx_j of sum_i g_i * prod_{k in S(i)} x_k, S(i) the scan's window; exact with zeros."""
    xd = dual.data(x)
    zeros = xd == 0
    if not zeros.any():
        return _cumsum(g * out, axis, not reverse, exclusive) / x
    if isinstance(x, Tensor):
        return _cumprod_grad_quadratic(g, x, axis, reverse, exclusive)
    return _cumprod_grad_zeros(g, xd, axis, reverse, exclusive)


def _cumprod_grad_zeros(g, x, axis, reverse, exclusive):
    """First-order cumprod grad with zeros, O(n): only entries up to the first zero get a grad."""
    if reverse:
        g, x = np.flip(g, axis), np.flip(x, axis)
    if exclusive:   # an exclusive scan is the inclusive scan of x shifted by one
        x = _shifted(x, axis, 1)
        g_in = _cumprod_grad_zeros(g, x, axis, False, False)
        n = x.shape[axis]
        out = np.concatenate([np.take(g_in, np.arange(1, n), axis), np.zeros_like(np.take(g_in, [0], axis))], axis)
    else:
        seen = np.cumsum(x == 0, axis=axis)
        before = seen == 0
        first = (x == 0) & (seen == 1)
        y = np.cumprod(x, axis=axis)
        out = np.where(before, _scan_array(np.add, g * y, axis, True, False) / np.where(before, x, 1), 0)
        y_skip = np.cumprod(np.where(first, 1, x), axis=axis)
        out = np.where(first, _scan_array(np.add, g * y_skip, axis, True, False), out).astype(g.dtype, copy=False)
    return np.flip(out, axis) if reverse else out


def _shifted(x, axis, fill, dtype=None):
    """x moved one step along a non-empty axis, `fill` entering first: what an exclusive scan scans."""
    head = [slice(None)] * x.ndim
    head[axis] = slice(None, -1)
    pad = list(x.shape)
    pad[axis] = 1
    return np.concatenate([np.full(pad, fill, dtype or x.dtype), x[tuple(head)]], axis)


def _cumprod_grad_quadratic(g, x, axis, reverse, exclusive):
    """The cumprod grad as a differentiable function of x even at zeros (create_graph): for each j,
    the scan of x with x_j replaced by 1, summed against g over the windows containing j. O(n^2)."""
    n = x._data.shape[axis]
    ndim = x._data.ndim
    k = np.arange(n).reshape(-1, 1)
    j = np.arange(n).reshape(1, -1)
    eye_shape = [1] * (ndim + 1)
    eye_shape[axis] = eye_shape[axis + 1] = n
    eye = _mask(k == j, g).reshape(eye_shape)
    in_window = ((j <= k) if not reverse else (j >= k)) & ((k != j) if exclusive else True)
    xs = dual.unsqueeze(x, axis + 1) * (1 - eye) + eye      # [.., k, j, ..] = x_k, or 1 where k == j
    scans = _cumprod(xs, axis, reverse, exclusive)
    return dual.sum(dual.unsqueeze(g, axis + 1) * scans * _mask(in_window, g).reshape(eye_shape), (axis,))


def _scan_op(cls, ufunc, name):
    def op(input, dim, *, dtype=None, out=None):
        x = input._data
        axis = _wrap_dim(dim, x.ndim)
        res = _record_scan(cls, ufunc, input, x, axis, False, False, _acc_dtype(x, dtype))
        return res if out is None else _copy_out(res, out)
    op.__name__ = op.__qualname__ = name
    return op


cumsum = _scan_op(CumsumBackward0, np.add, "cumsum")
cumprod = _scan_op(CumprodBackward0, np.multiply, "cumprod")


class LogcumsumexpBackward0(Node):
    """d out_j / d x_i = exp(x_i - out_j) for i <= j, summed over j against the incoming grad.

    Written over an (n, n) grid of exponents that are all <= 0 (entries j < i masked to -inf), so
    nothing overflows whatever the range of x; memory grows as n**2 per slice."""

    def backward(self, g, x, out):
        axis = self.axis
        if dual.data(x).ndim == 0:
            return g,
        xt, ot, gt = (dual.transpose(t, axis, -1) for t in (x, out, g))
        n = dual.data(xt).shape[-1]
        upper = np.triu(np.ones((n, n), bool))
        w = dual.exp(dual.where(upper, dual.unsqueeze(xt, -1) - dual.unsqueeze(ot, -2), -np.inf))
        return dual.transpose(dual.sum(w * dual.unsqueeze(gt, -2), -1), axis, -1),


def logcumsumexp(input, dim, *, out=None):
    x = input._data
    if x.dtype.kind != "f":
        from .pointwise import not_implemented_for
        raise not_implemented_for("logcumsumexp_out_cpu", x.dtype)
    axis = _wrap_dim(dim, x.ndim)
    data = np.logaddexp.accumulate(x, axis=axis) if x.ndim else x.copy()
    res = record(LogcumsumexpBackward0, data, (input,), (input, OUT), {"axis": axis})
    return res if out is None else _copy_out(res, out)


def _copy_out(res, out):
    from .pointwise import _with_out
    return _with_out(res, out)


# -- prod ---------------------------------------------------------------------------------------


class ProdBackward0(Node):
    def backward(self, g, x, out):
        return _prod_grad(g, x, out, None, False),


class ProdBackward1(Node):
    def backward(self, g, x, out):
        return _prod_grad(g, x, out, self.dims, self.keepdim),


def _prod_grad(g, x, out, dims, keepdim):
    xd = dual.data(x)
    if xd.ndim == 0:
        return g
    g = restore_dims(g, dims, keepdim)
    if not (xd == 0).any():
        return g * (restore_dims(out, dims, keepdim) / x)
    if (xd.size if dims is None else xd.shape[dims[0]]) == 1:   # nothing else in the product
        return dual.expand(g, xd.shape)
    if dims is None:   # product of all the others, from the two exclusive scans (exact with zeros)
        flat = dual.reshape(x, (-1,))
        return g * dual.reshape(_cumprod(flat, 0, False, True) * _cumprod(flat, 0, True, True), xd.shape)
    return g * (_cumprod(x, dims[0], False, True) * _cumprod(x, dims[0], True, True))


def prod(input, dim=None, keepdim=False, *, dtype=None):
    x = input._data
    acc = _acc_dtype(x, dtype)
    if dim is None:
        return record(ProdBackward0, np.prod(x, dtype=acc), (input,), (input, OUT))
    if not isinstance(dim, (int, np.integer)):
        raise TypeError(f"prod(): argument 'dim' must be int, not {type(dim).__name__}")
    axis = _axes(x, dim)
    data = np.prod(x, axis=axis, keepdims=keepdim, dtype=acc)
    return record(ProdBackward1, data, (input,), (input, OUT), {"dims": axis, "keepdim": keepdim})


# -- var, std ------------------------------------------------------------------------------------


def _correction(dim, unbiased, correction):
    """torch's three spellings: var(x, unbiased), var(x, dim, unbiased, keepdim), var(x, dim, correction=)."""
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    if unbiased is not None and correction is not None:
        raise TypeError("var() received an invalid combination of arguments - got both unbiased and correction")
    if correction is None:
        correction = 1 if unbiased is None or unbiased else 0
    return dim, correction


def _var_forward(input, dim, unbiased, keepdim, correction, name):
    x = input._data
    if x.dtype.kind != "f":
        raise RuntimeError("std and var only support floating point and complex dtypes")
    dim, correction = _correction(dim, unbiased, correction)
    axis = _axes(x, dim)
    n = _count(x.shape, axis)
    dof = builtins.max(n - correction, 0)
    if dof <= 0:
        warnings.warn(f"{name}(): degrees of freedom is <= 0. Correction should be strictly less than the "
                      f"reduction factor (input numel divided by output numel).", UserWarning, stacklevel=3)
    full = name in ("var", "std") and n and x.dtype != np.float16 and (axis is None or len(axis) == x.ndim)
    with np.errstate(divide="ignore", invalid="ignore"):
        var, m = (_var_all(x, n, dof, keepdim), None) if full else _welford_like(x, axis, n, dof, keepdim)
        if name.startswith("std"):
            var = np.sqrt(var)   # in float64, then rounded once, as torch does
    attrs = {"dims": axis, "keepdim": keepdim, "dof": dof, "count": n, "shape": x.shape}
    return np.asarray(var).astype(x.dtype, copy=False), m, attrs


def _var_all(x, n, dof, keepdim):
    """torch's var over all dims (float32/float64): the mean by its sum, then the squared deviations added
    in float64 in torch's order; the same operations here, so the result is torch's."""
    total = _cascade.serial_sum_sq(x, float(_mean_array(x, None, False, None, n)))
    var = np.float64(total) / np.float64(dof)
    return var.reshape((1,) * x.ndim) if keepdim else var


def _welford_like(x, axis, n, dof, keepdim):
    """(var, mean) as float64 two-pass results: torch's float64 Welford, rounded to float32, agrees with
    them (float64 results differ in the last bits, see docs/numerics.md)."""
    x64 = x.astype(np.float64, copy=False)
    m = x64.mean(axis=axis, keepdims=True) if n else np.full([1] * x.ndim, np.nan)
    dev = x64 - m
    var = (dev * dev).sum(axis=axis, keepdims=keepdim) / np.float64(dof)
    if not keepdim:
        m = m.reshape(()) if axis is None else np.squeeze(m, axis)
    return var, m.astype(x.dtype, copy=False)


def _var_grad(g, x, dims, keepdim, dof, n):
    all_axes = dims if dims is not None else tuple(range(dual.data(x).ndim))
    centered = x - dual.sum(x, all_axes, keepdim=True) / n
    scale = 2.0 / dof if dof > 0 else math.inf
    return scale * restore_dims(g, dims, keepdim) * centered


def _std_to_var_grad(g, std):
    return _safe_div(g, std * 2)


class VarBackward0(Node):
    def backward(self, g, x):
        return _var_grad(g, x, self.dims, self.keepdim, self.dof, self.count),


class StdBackward0(Node):
    def backward(self, g, x, out):
        return _var_grad(_std_to_var_grad(g, out), x, self.dims, self.keepdim, self.dof, self.count),


class VarMeanBackward0(Node):
    def backward(self, grads, x):
        gv, gm = grads
        return (_var_grad(gv, x, self.dims, self.keepdim, self.dof, self.count)
                + expand_back(gm / self.count, self.shape, self.dims, self.keepdim)),


class StdMeanBackward0(Node):
    def backward(self, grads, x, out):
        gs, gm = grads
        return (_var_grad(_std_to_var_grad(gs, out), x, self.dims, self.keepdim, self.dof, self.count)
                + expand_back(gm / self.count, self.shape, self.dims, self.keepdim)),


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    data, _, attrs = _var_forward(input, dim, unbiased, keepdim, correction, "var")
    return record(VarBackward0, data, (input,), (input,), attrs)


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    data, _, attrs = _var_forward(input, dim, unbiased, keepdim, correction, "std")
    return record(StdBackward0, data, (input,), (input, OUT), attrs)


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    data, m, attrs = _var_forward(input, dim, unbiased, keepdim, correction, "var_mean")
    return record_multi(VarMeanBackward0, (data, m), (input,), (input,), attrs)


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    data, m, attrs = _var_forward(input, dim, unbiased, keepdim, correction, "std_mean")
    return record_multi(StdMeanBackward0, (data, m), (input,), (input, OUT), attrs)


# -- max, min, amax, amin, aminmax, argmax, argmin ---------------------------------------------------


def _evenly(g, x, out):
    """Full reductions that pick a value (max(), median()): ties share the grad; NaN picks the NaNs."""
    od = dual.data(out)
    xd = dual.data(x)
    hit = np.isnan(xd) if np.isnan(od) else xd == od
    return _mask(hit, g) * (g / dual.data(g).dtype.type(np.count_nonzero(hit)))


def _ties(g, x, out, dims, keepdim):
    """amax/amin: the grad of each slice is shared by the entries equal to its extreme."""
    hit = _mask(dual.data(x) == restore_dims(dual.data(out), dims, keepdim), g)
    count = np.sum(hit, axis=dims, keepdims=True)
    return restore_dims(g, dims, keepdim) / count * hit


def _at_index(g, shape, axis, keepdim, idx):
    """The grad of a (values, indices) reduction: g lands where the index points."""
    if not len(shape):
        return g
    one_hot = np.arange(shape[axis]).reshape([-1 if d == axis else 1 for d in range(len(shape))]) == idx
    return expand_back(g, shape, (axis,), keepdim) * _mask(one_hot, g)


class _ValueAll(Node):
    def backward(self, g, x, out):
        return _evenly(g, x, out),


class _ValueDim(Node):
    multi_output = True

    def backward(self, grads):
        return _at_index(grads[0], self.shape, self.axis, self.keepdim, self.idx),


class _Extreme(Node):
    def backward(self, g, x, out):
        return _ties(g, x, out, self.dims, self.keepdim),


MaxBackward1 = type("MaxBackward1", (_ValueAll,), {})
MinBackward1 = type("MinBackward1", (_ValueAll,), {})
MedianBackward0 = type("MedianBackward0", (_ValueAll,), {})
MaxBackward0 = type("MaxBackward0", (_ValueDim,), {})
MinBackward0 = type("MinBackward0", (_ValueDim,), {})
MedianBackward1 = type("MedianBackward1", (_ValueDim,), {})
ModeBackward0 = type("ModeBackward0", (_ValueDim,), {})
AmaxBackward0 = type("AmaxBackward0", (_Extreme,), {})
AminBackward0 = type("AminBackward0", (_Extreme,), {})


class AminmaxBackward0(Node):
    multi_output = True

    def backward(self, grads, x):
        return (_ties(grads[0], x, self.lo, self.dims, self.keepdim)
                + _ties(grads[1], x, self.hi, self.dims, self.keepdim)),


def _select_dim(input, dim, keepdim, name, pick, cls, result_type, reduce=None):
    """A (values, indices) reduction along one dim; pick(x, axis) gives keepdim indices, and
    reduce(x, axis, keepdims), when given, the values (faster than gathering them)."""
    x = input._data
    axis = _wrap_dim(dim, x.ndim)
    if x.ndim == 0:
        values, idx = x.copy(), np.zeros((), np.int64)
    else:
        _no_empty_dims(x, (axis,), name)
        idx = pick(x, axis)
        values = np.take_along_axis(x, idx, axis) if reduce is None else reduce(x, axis, keepdim)
        if not keepdim:
            idx = np.squeeze(idx, axis)
            if reduce is None:
                values = np.squeeze(values, axis)
    keep_idx = idx if keepdim or x.ndim == 0 else np.expand_dims(idx, axis)
    outs = record_multi(cls, (values, idx), (input,),
                        attrs={"shape": x.shape, "axis": axis, "keepdim": keepdim, "idx": keep_idx},
                        differentiable=(True, False))
    return result_type(*outs)


def _argpick(fn):
    return lambda x, axis: fn(x, axis=axis, keepdims=True)


def _reducer(fn):
    return lambda x, axis, keepdim: fn(x, axis=axis, keepdims=keepdim)


def _extreme(name, full_fn, arg_fn, all_cls, dim_cls, result_type, binary):
    def op(input, dim=None, keepdim=False, *, out=None):
        if isinstance(dim, Tensor):
            return _binary(binary, input, dim)
        if dim is None:
            x = input._data
            _no_empty_dims(x, None, name)
            return record(all_cls, full_fn(x), (input,), (input, OUT))
        return _select_dim(input, dim, keepdim, name, _argpick(arg_fn), dim_cls, result_type, _reducer(full_fn))
    op.__name__ = op.__qualname__ = name
    return op


def _binary(name, input, other):
    from . import pointwise
    fn = getattr(pointwise, name, None)
    if fn is None:
        raise NotImplementedError(f"torch.{name}(input, other) is not available yet in numtorch")
    return fn(input, other)


max = _extreme("max", np.max, np.argmax, MaxBackward1, MaxBackward0, _max_t, "maximum")  # noqa: A001
min = _extreme("min", np.min, np.argmin, MinBackward1, MinBackward0, _min_t, "minimum")  # noqa: A001


def _amax_op(name, fn, cls):
    def op(input, dim=(), keepdim=False, *, out=None):
        x = input._data
        axis = _axes(x, dim)
        _no_empty_dims(x, axis if x.ndim else None, name)
        data = fn(x, axis=axis, keepdims=keepdim)
        return record(cls, data, (input,), (input, OUT), {"dims": axis, "keepdim": keepdim})
    op.__name__ = op.__qualname__ = name
    return op


amax = _amax_op("amax", np.amax, AmaxBackward0)
amin = _amax_op("amin", np.amin, AminBackward0)


def aminmax(input, *, dim=None, keepdim=False):
    x = input._data
    axis = _axes(x, dim) if dim is not None else None
    if axis is None and x.size == 0:
        raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the operation has no "
                           "identity.")
    _no_empty_dims(x, axis, "aminmax", "")
    lo, hi = np.amin(x, axis=axis, keepdims=keepdim), np.amax(x, axis=axis, keepdims=keepdim)
    if dim is None and keepdim:
        lo, hi = lo.reshape([1] * x.ndim), hi.reshape([1] * x.ndim)
    outs = record_multi(AminmaxBackward0, (lo, hi), (input,), (input,),
                        {"dims": axis, "keepdim": keepdim, "lo": lo, "hi": hi})
    return _aminmax_t(*outs)


def _arg_op(name, fn):
    def op(input, dim=None, keepdim=False):
        x = input._data
        if x.dtype.kind == "b":
            raise RuntimeError(f"{name}(): does not support bool input")
        if dim is None:
            if x.size == 0:
                raise IndexError(f"{name}(): Expected reduction dim to be specified for input.numel() == 0.")
            idx = np.asarray(fn(x.reshape(-1)), np.int64)
            return wrap(idx.reshape([1] * x.ndim) if keepdim else idx)
        axis = _wrap_dim(dim, x.ndim)
        if x.ndim == 0:
            return wrap(np.zeros((), np.int64))
        _no_empty_dims(x, (axis,), name)
        return wrap(np.asarray(fn(x, axis=axis, keepdims=keepdim), np.int64))
    op.__name__ = op.__qualname__ = name
    return op


argmax = _arg_op("argmax", np.argmax)
argmin = _arg_op("argmin", np.argmin)


# -- median, mode ------------------------------------------------------------------------------------


def _median_index(x, axis):
    """torch's pick: the lower median in a stable sort; in a slice with NaN, its first NaN."""
    n = x.shape[axis]
    order = np.argsort(x, axis=axis, kind="stable")
    idx = np.take(order, [(n - 1) // 2], axis)
    if x.dtype.kind == "f":
        nan = np.isnan(x)
        has_nan = nan.any(axis=axis, keepdims=True)
        if has_nan.any():
            idx = np.where(has_nan, np.argmax(nan, axis=axis, keepdims=True), idx)
    return idx


def _median_like(input, dim, keepdim, name, pick, all_cls, dim_cls, result_type):
    """median and nanmedian: the picked entry of the flattened input, or (values, indices) along dim."""
    if dim is None:
        x = input._data
        if x.size == 0:
            return record(all_cls, np.array(np.nan, x.dtype), (input,), (input, OUT))
        flat = x.reshape(-1)
        return record(all_cls, flat[pick(flat, 0)[0]], (input,), (input, OUT))
    return _select_dim(input, dim, keepdim, name, pick, dim_cls, result_type)


def median(input, dim=None, keepdim=False):
    return _median_like(input, dim, keepdim, "median", _median_index, MedianBackward0, MedianBackward1, _median_t)


def _mode_index(x, axis):
    """torch's mode: the most frequent value (smallest on ties), at its last occurrence."""
    moved = np.moveaxis(x, axis, -1)
    flat = moved.reshape(-1, moved.shape[-1])
    out = np.empty(flat.shape[0], np.int64)
    for r, row in enumerate(flat):
        values, inverse, counts = np.unique(row, return_inverse=True, return_counts=True)
        best = int(np.argmax(counts))
        out[r] = len(row) - 1 - int(np.argmax((inverse == best)[::-1]))
    return np.expand_dims(out.reshape(moved.shape[:-1]), axis)


def _nanmedian_index(x, axis):
    """torch's nanmedian pick: the lower median of the non-NaN entries (NaN only if all are)."""
    order = np.argsort(x, axis=axis, kind="stable")             # NaNs sort last
    valid = x.shape[axis] - np.isnan(x).sum(axis=axis, keepdims=True) if x.dtype.kind == "f" else x.shape[axis]
    k = np.where(np.asarray(valid) > 0, (np.asarray(valid) - 1) // 2, 0)
    return np.take_along_axis(order, np.broadcast_to(k, order.shape[:axis] + (1,) + order.shape[axis + 1:]), axis)


NanmedianBackward0 = type("NanmedianBackward0", (_ValueAll,), {})
NanmedianBackward1 = type("NanmedianBackward1", (_ValueDim,), {})
_nanmedian_t = return_type("nanmedian", "values indices")


def nanmedian(input, dim=None, keepdim=False):
    return _median_like(input, dim, keepdim, "nanmedian", _nanmedian_index, NanmedianBackward0, NanmedianBackward1,
                        _nanmedian_t)


def mode(input, dim=-1, keepdim=False):
    return _select_dim(input, dim, keepdim, "mode", _mode_index, ModeBackward0, _mode_t)


# -- logsumexp, softmax, log_softmax ------------------------------------------------------------------


class LogsumexpBackward0(Node):
    def backward(self, g, x, out):
        dims, keepdim = self.dims, self.keepdim
        return restore_dims(g, dims, keepdim) * dual.exp(x - restore_dims(out, dims, keepdim)),


def _shift(x, axis):
    """The max along axis as a stabilizing shift, 0 where it is infinite or the slice is empty."""
    if x.size == 0:
        return np.zeros([1 if axis is None or d in axis else s for d, s in enumerate(x.shape)], x.dtype)
    m = x.max(axis=axis, keepdims=True)
    return np.where(np.isinf(m), 0, m)


def logsumexp(input, dim, keepdim=False):
    x = float_array(input)
    axis = _axes(x, dim)
    m = _shift(x, axis)
    data = np.log(sum_array(np.exp(x - m), axis, True)) + m
    if not keepdim:
        data = data.reshape(()) if axis is None else np.squeeze(data, axis)
    return record(LogsumexpBackward0, data, (input,), (input, OUT), {"dims": axis, "keepdim": keepdim})


class SoftmaxBackward0(Node):
    def backward(self, g, y):
        return (g - dual.sum_unordered(g * y, self.axis, keepdim=True)) * y,


class LogSoftmaxBackward0(Node):
    def backward(self, g, y):
        return g - dual.exp(y) * dual.sum_unordered(g, self.axis, keepdim=True),


def _softmax_input(input, dim, dtype, kernel):
    x = input._data
    if dtype is not None:
        x = x.astype(_dtype.from_any(dtype).np, copy=False)
    elif x.dtype.kind != "f":
        raise NotImplementedError(f'"{kernel}_kernel_impl" not implemented for \'{_legacy(x)}\'')
    axis = _wrap_dim(dim, x.ndim) if x.ndim else None
    if not x.size:
        return x, axis
    return x - x.max(axis=axis, keepdims=True), axis


def softmax(input, dim, dtype=None):
    shifted, axis = _softmax_input(input, dim, dtype, "softmax")
    e = np.exp(shifted)
    data = e / e.sum(axis=axis, keepdims=True)
    return record(SoftmaxBackward0, data, (input,), (OUT,), {"axis": axis})


def log_softmax(input, dim, dtype=None):
    shifted, axis = _softmax_input(input, dim, dtype, "log_softmax")
    data = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
    return record(LogSoftmaxBackward0, data, (input,), (OUT,), {"axis": axis})


# -- all, any, count_nonzero ------------------------------------------------------------------------


def _logical(name, fn):
    def op(input, dim=None, keepdim=False, *, out=None):
        x = input._data
        res = fn(x, axis=_axes(x, dim), keepdims=keepdim)
        if dim is None and keepdim:
            res = np.asarray(res).reshape([1] * x.ndim)
        return wrap(np.asarray(res, np.uint8 if x.dtype == np.uint8 else np.bool_))
    op.__name__ = op.__qualname__ = name
    return op


all = _logical("all", np.all)  # noqa: A001
any = _logical("any", np.any)  # noqa: A001


def count_nonzero(input, dim=None):
    x = input._data
    return wrap(np.asarray(np.count_nonzero(x, axis=_axes(x, dim)), np.int64))


# -- Tensor methods ------------------------------------------------------------------------------------


def numpy_names(fn):
    """torch's argument parser also takes NumPy's spellings: axis for dim, keepdims for keepdim."""
    @functools.wraps(fn)
    def op(*args, **kwargs):
        if "axis" in kwargs:
            kwargs["dim"] = kwargs.pop("axis")
        if "keepdims" in kwargs:
            kwargs["keepdim"] = kwargs.pop("keepdims")
        return fn(*args, **kwargs)
    return op


for _name in ("all", "amax", "amin", "aminmax", "any", "argmax", "argmin", "count_nonzero", "cumprod", "cumsum",
              "log_softmax", "logsumexp", "max", "mean", "median", "min", "mode", "nanmean", "nansum", "prod",
              "softmax", "std", "std_mean", "sum", "var", "var_mean"):
    globals()[_name] = numpy_names(globals()[_name])


def _inplace_scan(fn, ufunc):
    def method(self, dim, *, dtype=None):
        def fast(arr):
            if arr.ndim:
                arr[...] = _scan_array(ufunc, arr, _wrap_dim(dim, arr.ndim), False, False)
        return inplace(self, fn, (dim,), {"dtype": dtype} if dtype is not None else None,
                       fast=fast if dtype is None else None)
    return method


bind_methods(
    sum=sum, mean=mean, nansum=nansum, nanmean=nanmean, sum_to_size=sum_to_size, prod=prod,
    var=var, std=std, max=max, min=min, amax=amax, amin=amin, aminmax=aminmax, argmax=argmax, argmin=argmin,
    median=median, nanmedian=nanmedian, logcumsumexp=logcumsumexp, mode=mode, logsumexp=logsumexp, softmax=softmax, log_softmax=log_softmax,
    cumsum=cumsum, cumprod=cumprod, cumsum_=_inplace_scan(cumsum, np.add),
    cumprod_=_inplace_scan(cumprod, np.multiply), all=all, any=any, count_nonzero=count_nonzero,
)
