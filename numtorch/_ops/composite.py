"""Ops built from other differentiable ops (torch's CompositeImplicitAutograd kind and a few more).

Each is a short composition, so gradients of every order come from the parts. Where torch has a
dedicated backward node (cdist, dist, renorm, block_diag, cummax, ...), the grad_fn names differ
from torch's (the values do not).
"""
from __future__ import annotations

import itertools
import math

import numpy as np

from .. import _dtype
from .._tensor import Tensor, _wrap_dim, bind_methods, wrap
from .._tensor import wrap as wrap_array   # `wrap` is also fill_diagonal_'s argument name

__all__ = ["diff", "cov", "corrcoef", "trapezoid", "trapz", "cumulative_trapezoid", "cartesian_prod",
           "combinations", "hsplit", "vsplit", "dsplit", "diagflat", "ldexp", "frexp", "block_diag", "dist",
           "cdist", "renorm", "quantile", "nanquantile", "cummax", "cummin", "is_nonzero", "is_same_size",
           "detach", "diagonal_scatter", "select_scatter", "slice_scatter", "narrow_copy", "unsafe_split",
           "unsafe_chunk", "conj", "is_conj", "is_neg", "resolve_conj", "resolve_neg"]


def _ops():
    """The package namespace (numtorch.*) for composing; imported late, as the modules load in turn."""
    from .. import _ops as ops
    return ops


def _tensor_like(value, like: Tensor) -> Tensor:
    return value if isinstance(value, Tensor) else wrap(np.asarray(value, like._data.dtype))


# -- differences and integrals -----------------------------------------------------------------


def diff(input, n=1, dim=-1, prepend=None, append=None):
    ops = _ops()
    if input._data.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    parts = [p for p in (prepend, input, append) if p is not None]
    x = ops.cat([_tensor_like(p, input).expand(*_broadcast_except(p, input, dim)) if not isinstance(p, Tensor)
                 else p for p in parts], dim) if len(parts) > 1 else input
    for _ in range(n):
        hi, lo = _neighbours(x, dim)
        x = ops.logical_xor(hi, lo) if x._data.dtype.kind == "b" else hi - lo
    return x


def _neighbours(x, dim):
    """(x[1:], x[:-1]) along dim; both empty when x has no entries there."""
    k = max(x.shape[dim] - 1, 0)
    return x.narrow(dim, x.shape[dim] - k, k), x.narrow(dim, 0, k)


def _broadcast_except(p, input, dim):
    """The shape a Python-number prepend/append takes: input's, with size 1 along dim."""
    shape = list(input.shape)
    shape[_wrap_dim(dim, len(shape))] = 1
    return shape


def _spacing(y, x, dx, dim):
    """Interval widths along dim: diff(x) for sample points x, else the constant dx."""
    if x is None:
        return 1 if dx is None else dx
    if not isinstance(x, Tensor):
        return x
    if x._data.ndim == 1:
        d = x[1:] - x[:-1]
        shape = [1] * y._data.ndim
        shape[_wrap_dim(dim, y._data.ndim)] = d.shape[0]
        return d.reshape(shape)
    return diff(x, dim=dim)


def trapezoid(y, x=None, *, dx=None, dim=-1):
    n = y.shape[dim]
    if n == 0:
        return y.sum(dim)
    h = _spacing(y, x, dx, dim)
    hi, lo = _neighbours(y, dim)
    mid = hi + lo
    return (mid * h).sum(dim) / 2 if isinstance(h, Tensor) else mid.sum(dim) * (h / 2)


trapz = trapezoid


def cumulative_trapezoid(y, x=None, *, dx=None, dim=-1):
    hi, lo = _neighbours(y, dim)
    return ((hi + lo) * _spacing(y, x, dx, dim) / 2).cumsum(dim)


# -- statistics ------------------------------------------------------------------------------------


def cov(input, *, correction=1, fweights=None, aweights=None):
    ops = _ops()
    if input._data.ndim > 2:
        raise ValueError(f"cov(): expected input to have two or fewer dimensions but got an input with "
                         f"{input._data.ndim} dimensions")
    x = input.reshape(1, -1) if input._data.ndim < 2 else input
    if x._data.dtype.kind != "f":
        x = x.to(_dtype.get_default_dtype())
    w = None
    for wt in (fweights, aweights):
        if wt is not None:
            w = wt if w is None else w * wt
    n = x.shape[1]
    w_sum = w.sum() if w is not None else n
    avg = ((x * w).sum(1) / w_sum) if w is not None else x.mean(1)
    if aweights is None:
        norm = w_sum - correction
    else:
        norm = w_sum - correction * (w * aweights).sum() / w_sum
    norm = ops.clamp(norm, min=0) if isinstance(norm, Tensor) else max(norm, 0)
    xc = x - avg.unsqueeze(1)
    xw = xc * w if w is not None else xc
    c = ops.mm(xw, xc.t()) / norm
    return c.squeeze()


def corrcoef(input):
    ops = _ops()
    c = cov(input)
    if c._data.ndim == 0:
        return c / c
    d = ops.diagonal(c)
    std = d.sqrt()
    c = c / std.unsqueeze(1) / std.unsqueeze(0)
    return ops.clamp(c, -1, 1)


def _check_quantile(input, q, name):
    x = input._data
    if x.size == 0:
        raise RuntimeError(f"{name}() input tensor must be non-empty")
    if x.dtype not in (np.float32, np.float64):
        raise RuntimeError(f"{name}() input tensor must be either float or double dtype")
    if isinstance(q, Tensor):
        if q._data.ndim > 1:
            raise RuntimeError(f"{name}() q must be a scalar or 1D tensor")
        if q._data.dtype != x.dtype:
            raise RuntimeError(f"{name}() q tensor must be same dtype as the input tensor")
        qs = q._data
    else:
        qs = np.asarray(q, x.dtype)
    if ((qs < 0) | (qs > 1)).any():
        raise RuntimeError(f"{name}() q values must be in the range [0, 1]")
    return qs


_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile(input, q, dim, keepdim, interpolation, ignore_nan, name):
    """Sort (NaNs last), find each q's fractional rank among the valid entries, then interpolate
    between the neighbouring order statistics (gathered, so gradients flow to the picked entries)."""
    ops = _ops()
    qs = _check_quantile(input, q, name)
    if interpolation not in _INTERPOLATIONS:
        raise RuntimeError(f"{name}() interpolation must be one of linear, lower, higher, midpoint or nearest. "
                           f"Got {interpolation}")
    if dim is None:
        x, axis = input.reshape(-1), 0
    else:
        x, axis = input, _wrap_dim(dim, max(input._data.ndim, 1))
        if input._data.ndim == 0:
            x = input.reshape(1)
    s = ops.sort(x, axis)[0].movedim(axis, -1)           # (..., n)
    sd = s._data
    n = sd.shape[-1]
    nan = np.isnan(sd)
    if ignore_nan:
        valid = n - nan.sum(-1, keepdims=True)
        last = np.maximum(valid - 1, 0)
    else:
        last = np.where(nan.any(-1, keepdims=True), n - 1, n - 1)
    flat_q = qs.reshape(-1)
    ranks = flat_q.reshape(-1, *([1] * sd.ndim)) * last.astype(sd.dtype)   # (Q, ..., 1), in x's dtype
    if not ignore_nan:
        ranks = np.where(nan.any(-1, keepdims=True), n - 1, ranks)
    else:
        ranks = np.where(valid == 0, n - 1, ranks)
    if interpolation == "nearest":
        ranks = np.round(ranks)
    lo = np.floor(ranks).astype(np.int64) if interpolation != "higher" else np.ceil(ranks).astype(np.int64)
    hi = np.ceil(ranks).astype(np.int64) if interpolation not in ("lower", "nearest") else lo
    expand = (len(flat_q),) + sd.shape
    sq = s.unsqueeze(0).expand(*expand)
    v_lo = ops.gather(sq, -1, wrap(np.broadcast_to(lo, expand[:-1] + (1,)).copy()))
    if interpolation in ("linear", "midpoint"):
        v_hi = ops.gather(sq, -1, wrap(np.broadcast_to(hi, expand[:-1] + (1,)).copy()))
        w = (ranks - lo).astype(sd.dtype) if interpolation == "linear" else np.full_like(ranks, 0.5, sd.dtype)
        out = ops.lerp(v_lo, v_hi, wrap(np.broadcast_to(w, v_lo.shape).copy()))
    else:
        out = v_lo
    out = out.squeeze(-1)                                    # (Q, ...)
    if keepdim:
        if dim is None:
            out = out.reshape(len(flat_q), *([1] * input._data.ndim))
        else:
            out = out.unsqueeze(axis + 1)
            if input._data.ndim == 0:
                out = out.reshape(len(flat_q))
    return out.squeeze(0) if qs.ndim == 0 else out


def quantile(input, q, dim=None, keepdim=False, *, interpolation="linear", out=None):
    return _quantile(input, q, dim, keepdim, interpolation, False, "quantile")


def nanquantile(input, q, dim=None, keepdim=False, *, interpolation="linear", out=None):
    return _quantile(input, q, dim, keepdim, interpolation, True, "nanquantile")


# -- distances and norms ------------------------------------------------------------------------------


def dist(input, other, p=2):
    return _vector_norm(input - other, p)


def _vector_norm(x, p, dim=None, keepdim=False):
    from .. import linalg
    return linalg.vector_norm(x, p, dim, keepdim)


def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary"):
    a, b = x1._data, x2._data
    if a.ndim < 2 or b.ndim < 2:
        raise RuntimeError(f"cdist only supports at least 2D tensors, X1 got: {a.ndim}D")
    if a.shape[-1] != b.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: {a.shape[-1]} X2: {b.shape[-1]}")
    if a.dtype.kind != "f":
        raise RuntimeError(f"cdist only supports floating-point dtypes, X1 got: {_dtype.from_np(a.dtype)}")
    if p < 0:
        raise RuntimeError(f"cdist only supports non-negative p values, got {p}")
    return _vector_norm(x1.unsqueeze(-2) - x2.unsqueeze(-3), p, -1)


def renorm(input, p, dim, maxnorm):
    x = input._data
    if p <= 0:
        raise RuntimeError("renorm: non-positive-norm not supported")
    if maxnorm < 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm}")
    axis = _wrap_dim(dim, x.ndim)
    norm = _vector_norm(input, p, tuple(d for d in range(x.ndim) if d != axis), True)
    return input * _ops().where(norm > maxnorm, maxnorm / (norm + 1e-7), 1.0)


# -- building tensors ------------------------------------------------------------------------------


def cartesian_prod(*tensors):
    ops = _ops()
    for t in tensors:
        if t._data.ndim != 1:
            raise RuntimeError(f"Expect a 1D vector, but got shape {list(t.shape)}")
    if len(tensors) == 1:
        return tensors[0]
    grids = ops.meshgrid(*tensors, indexing="ij")
    return ops.stack([g.reshape(-1) for g in grids], 1)


def combinations(input, r=2, with_replacement=False):
    ops = _ops()
    if input._data.ndim != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(input.shape)}")
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    if r == 0:
        return input.new_empty(0)
    pick = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    idx = np.array(list(pick(range(input.shape[0]), r)), np.int64).reshape(-1, r)
    cols = [ops.index_select(input, 0, wrap(idx[:, k].copy())) for k in range(r)]
    return ops.stack(cols, 1)


def _split_along(name, input, sections, dim, min_dims):
    nd = input._data.ndim
    if nd < min_dims:
        raise RuntimeError(f"torch.{name} requires a tensor with at least {min_dims} dimension, but got a tensor "
                           f"with {nd} dimensions!")
    if isinstance(sections, int):
        size = input.shape[dim]
        if sections == 0 or size % sections:
            raise RuntimeError(f"torch.{name} attempted to split along dimension {dim}, but the size of the "
                               f"dimension {size} is not divisible by the split_size {sections}!")
    return _ops().tensor_split(input, sections, dim)


def hsplit(input, indices_or_sections):
    dim = 1 if input._data.ndim > 1 else 0
    return _split_along("hsplit", input, indices_or_sections, dim, 1)


def vsplit(input, indices_or_sections):
    return _split_along("vsplit", input, indices_or_sections, 0, 2)


def dsplit(input, indices_or_sections):
    return _split_along("dsplit", input, indices_or_sections, 2, 3)


def diagflat(input, offset=0):
    return _ops().diag_embed(input.reshape(-1), offset)


def block_diag(*tensors):
    ops = _ops()
    mats = [t.reshape(1, 1) if t._data.ndim == 0 else t.reshape(1, -1) if t._data.ndim == 1 else t
            for t in tensors]
    for i, m in enumerate(mats):
        if m._data.ndim != 2:
            raise RuntimeError(f"torch.block_diag: Input tensors must have 2 or fewer dimensions. Input {i} has "
                               f"{m._data.ndim} dimensions")
    if not mats:
        return wrap(np.zeros((1, 0), _dtype.get_default_dtype().np))
    dt = _dtype.result_type_of([_dtype.from_np(m._data.dtype) for m in mats], [], []).np
    mats = [m if m._data.dtype == dt else m.to(_dtype.from_np(dt)) for m in mats]
    width = sum(m.shape[1] for m in mats)
    rows, left = [], 0
    for m in mats:
        r, c = m.shape
        pieces = [wrap(np.zeros((r, left), dt)), m, wrap(np.zeros((r, width - left - c), dt))]
        rows.append(ops.cat(pieces, 1))
        left += c
    return ops.cat(rows, 0)


# -- scans with indices ------------------------------------------------------------------------------


def _cumulative_extreme(name, ufunc):
    from .reduction import return_type
    result = return_type(name, "values indices")

    def op(input, dim):
        x = input._data
        axis = _wrap_dim(dim, max(x.ndim, 1))
        if x.ndim == 0:
            return result(input.clone(), wrap(np.zeros((), np.int64)))
        if x.shape[axis] == 0:
            return result(input.clone(), wrap(np.zeros(x.shape, np.int64)))
        # torch's scan: the running extreme moves to every entry at least as extreme (so ties take
        # the later index) until the first NaN, which then stays.
        pos = np.arange(x.shape[axis]).reshape([-1 if d == axis else 1 for d in range(x.ndim)])
        hit = x == ufunc.accumulate(x, axis=axis)
        if x.dtype.kind == "f":
            nan = np.isnan(x)
            first_nan = np.where(nan.any(axis, keepdims=True), np.argmax(nan, axis, keepdims=True), x.shape[axis])
            hit = (hit & (pos < first_nan)) | (pos == first_nan)
        idx = np.maximum.accumulate(np.where(hit, pos, 0), axis=axis)
        return result(_ops().gather(input, axis, wrap(idx)), wrap(idx))
    op.__name__ = name
    return op


cummax = _cumulative_extreme("cummax", np.maximum)
cummin = _cumulative_extreme("cummin", np.minimum)


# -- scatters into a fresh copy ------------------------------------------------------------------


def _scatter_into(input, src, view):
    """A copy of input with view(copy) overwritten by src (the gradient reaches both via CopySlices)."""
    out = input.clone()
    target = view(out)
    if tuple(target.shape) != tuple(src.shape):
        raise RuntimeError(f"expected src to have a size equal to the slice of self. src size = {list(src.shape)}, "
                           f"slice size = {list(target.shape)}")
    target.copy_(src)
    return out


def diagonal_scatter(input, src, offset=0, dim1=0, dim2=1):
    return _scatter_into(input, src, lambda t: t.diagonal(offset, dim1, dim2))


def select_scatter(input, src, dim, index):
    return _scatter_into(input, src, lambda t: t.select(dim, index))


def slice_scatter(input, src, dim=0, start=None, end=None, step=1):
    def view(t):
        index = [slice(None)] * t._data.ndim
        index[_wrap_dim(dim, t._data.ndim)] = slice(start, end, step)
        return t[tuple(index)]
    return _scatter_into(input, src, view)


# -- pointwise helpers with exact powers of two --------------------------------------------------------


def ldexp(input, other, *, out=None):
    """input * 2**other, as torch composes it (exact: scaling by a power of two)."""
    res = input * _ops().pow(2.0, other) if isinstance(other, Tensor) else input * (2.0 ** other)
    if out is not None:
        out.copy_(res)
        return out
    return res


def frexp(input, *, out=None):
    from .reduction import return_type
    x = input._data
    if x.dtype.kind != "f":
        raise RuntimeError("torch.frexp() only supports floating-point dtypes")
    exponent = np.frexp(x)[1]
    # mantissa = x * 2**-exponent, in two exact steps: for denormals 2**-exponent itself overflows
    half = -exponent // 2
    one = np.ones((), x.dtype)
    mantissa = input * wrap(np.ldexp(one, half)) * wrap(np.ldexp(one, -exponent - half))
    return _frexp_t(mantissa, wrap(exponent.astype(np.int32)))


def _inplace_of(fn):
    """Tensor.<fn>_: the out-of-place composite written back in place."""
    def method(self, *args):
        from .inplace import inplace
        return inplace(self, fn, args)
    method.__name__ = fn.__name__ + "_"
    return method


from .reduction import return_type as _return_type  # noqa: E402 - reduction is loaded before this module

_frexp_t = _return_type("frexp", "mantissa exponent")


# -- predicates -----------------------------------------------------------------------------------


def is_nonzero(input):
    x = input._data
    if x.size == 0:
        raise RuntimeError("Boolean value of Tensor with no values is ambiguous")
    if x.size > 1:
        raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
    return bool(x.reshape(()) != 0)


def is_same_size(input, other):
    return tuple(input.shape) == tuple(other.shape)


def fill_diagonal_(self, fill_value, wrap=False):  # noqa: A002 - torch's name
    """Fill the main diagonal in place; with wrap, a tall matrix restarts it every columns+1 rows."""
    x = self._data
    if x.ndim < 2:
        raise RuntimeError("dimensions must larger than 1")
    if x.ndim > 2 and len(set(x.shape)) != 1:
        raise RuntimeError("all dimensions of input must be of equal length")
    rows, cols = x.shape[0], x.shape[-1]
    if x.ndim == 2:
        step, end = cols + 1, (rows * cols if wrap else min(rows, cols) * cols)
    else:
        step, end = sum(cols ** k for k in range(x.ndim)), x.size
    mask = np.zeros(x.size, bool)
    mask[0:end:step] = True
    return self.masked_fill_(wrap_array(mask.reshape(x.shape)), fill_value)


def narrow_copy(input, dim, start, length):
    return input.narrow(dim, start, length).clone()


def unsafe_split(input, split_size, dim=0):
    return input.split(split_size, dim)


def unsafe_chunk(input, chunks, dim=0):
    return input.chunk(chunks, dim)


# numtorch tensors are real: conjugation and negation bits never get set
def conj(input):
    return input


def is_conj(input):
    return False


is_neg = is_conj
resolve_conj = resolve_neg = conj


def detach(input):
    return input.detach()


bind_methods(diff=diff, cov=cov, corrcoef=corrcoef, hsplit=hsplit, vsplit=vsplit, dsplit=dsplit, diagflat=diagflat,
             ldexp=ldexp, frexp=frexp, dist=dist, renorm=renorm, quantile=quantile, nanquantile=nanquantile,
             cummax=cummax, cummin=cummin, is_nonzero=is_nonzero, is_same_size=is_same_size,
             fill_diagonal_=fill_diagonal_, diagonal_scatter=diagonal_scatter, narrow_copy=narrow_copy,
             unsafe_split=unsafe_split, unsafe_chunk=unsafe_chunk, conj=conj, is_conj=is_conj, is_neg=is_neg,
             resolve_conj=resolve_conj, resolve_neg=resolve_neg,
             ldexp_=_inplace_of(ldexp), renorm_=_inplace_of(renorm), select_scatter=select_scatter, slice_scatter=slice_scatter)
