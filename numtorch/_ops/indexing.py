"""Indexing, scatter/gather, masking, sorting and searching.

`Tensor.__getitem__` turns torch's index into a NumPy index once (`_parse`):
a basic index (ints, slices, None, Ellipsis) becomes a view; anything with an
index array or mask is an advanced index, a copy whose backward adds the grad
into zeros with np.add.at semantics (`dual.embed`), so repeated indices
accumulate. Gather-like ops (gather, sort, topk, ...) are advanced indices
too: `_along` builds the NumPy index that reads x[..., index, ...] along a dim.
Ops that write (scatter, index_put, masked_fill, ...) are out-of-place ops;
their in-place forms go through `inplace`, with a direct NumPy update when no
graph is recorded.
"""
from __future__ import annotations

__all__ = ["argsort", "argwhere", "bucketize", "gather", "index_add", "index_copy", "index_fill", "index_put",
           "index_put_", "index_select", "kthvalue", "masked_fill", "masked_scatter", "masked_select", "msort",
           "nonzero", "put", "scatter", "scatter_add", "scatter_reduce", "searchsorted", "sort", "take",
           "take_along_dim", "topk", "unique", "unique_consecutive"]

import collections
import re
import warnings

import numpy as np

from .._tensor import Tensor, _wrap_dim, bind_methods, wrap
from ..autograd.graph import Node
from . import dual
from ._core import OUT, record
from ._operands import checked_int
from .inplace import grad_recording, inplace
from .shape import AliasBackward0, SelectBackward0, SliceBackward0, basic_view, expand, reshape

_INT = (int, np.integer)
_FULL = slice(None)


def _shape_str(shape) -> str:
    return "[" + ", ".join(map(str, shape)) + "]"


_CPP_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int",
              "int32": "int", "int16": "short int", "int8": "signed char", "uint8": "unsigned char", "bool": "bool"}
_SCALAR_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long", "int32": "Int",
                 "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}


# -- the backward of views and index ops -------------------------------------------------

class IndexBackwardBackward0(Node):
    """zeros with the grad placed at an index: differentiating it reads that index back."""

    def backward(self, g):
        at = self.at
        return (at(g) if callable(at) else g[at]),


def embed(g: Tensor, shape, at) -> Tensor:
    """The Tensor form of `dual.embed` (used when a backward records a graph)."""
    return record(IndexBackwardBackward0, dual.embed(g._data, shape, at), (g,), attrs={"at": at})


# -- parsing torch's index ----------------------------------------------------------------------

_SEQ_WARNING = ("Using a non-tuple sequence for multidimensional indexing is deprecated and will be changed in "
                "pytorch 2.9; use x[tuple(seq)] instead of x[seq]. In pytorch 2.9 this will be interpreted as "
                "tensor index, x[torch.tensor(seq)], which will result either in an error or a different result")


def _list_is_tuple(index: list) -> bool:
    """torch's legacy rule: a short list holding slices, sequences, tensors, None or ... is a tuple."""
    if len(index) >= 32:
        return False
    return any(e is None or e is Ellipsis or isinstance(e, (slice, list, tuple, Tensor)) for e in index)


def _array_index(arr: np.ndarray, from_tensor: bool):
    """(index, dims it consumes, advanced?) for an index array."""
    kind = arr.dtype.kind
    if kind == "b":
        return arr, arr.ndim, True
    if arr.dtype == np.uint8 and from_tensor:
        warnings.warn("indexing with dtype torch.uint8 is now deprecated, please use a dtype torch.bool instead.",
                      UserWarning, stacklevel=4)
        arr = arr.astype(bool)
        return arr, arr.ndim, True
    if kind in "iu":
        if arr.ndim == 0 and from_tensor:
            return int(arr), 1, False
        return arr, 1, True
    if arr.size == 0 and not from_tensor:
        return arr.astype(np.int64), 1, True
    raise IndexError("tensors used as indices must be long, int, byte or bool tensors")


def _item(e):
    """One index entry as (NumPy entry, dims consumed, advanced?)."""
    if isinstance(e, Tensor):
        return _array_index(e._data, True)
    if isinstance(e, (bool, np.bool_)):
        return np.array(bool(e)), 0, True
    if isinstance(e, np.integer):
        return int(e), 1, False
    if isinstance(e, np.ndarray):
        return _array_index(e, False)
    if isinstance(e, (list, tuple)):
        return _array_index(np.asarray([v._data if isinstance(v, Tensor) else v for v in e]), False)
    if isinstance(e, (float, np.floating)):
        raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are "
                         "valid indices (got float)")
    if hasattr(e, "__index__"):
        return int(e.__index__()), 1, False
    raise TypeError(f"new(): invalid data type '{type(e).__name__}'")


def _slice(s: slice) -> slice:
    start, stop, step = s.start, s.stop, s.step
    if step is not None:
        step = int(step)
        if step <= 0:
            raise ValueError("slice step cannot be zero" if step == 0 else "step must be greater than zero")
    if isinstance(start, Tensor) or isinstance(stop, Tensor):
        start = None if start is None else int(start)
        stop = None if stop is None else int(stop)
    return slice(start, stop, step)


def _parse(index, shape):
    """(NumPy index tuple, view node class) for torch's `index` on a tensor of `shape`.

    The class is None for an advanced index; for a basic one it is the node torch names after the
    last view it applies, and the index tuple ends with an Ellipsis, so NumPy returns a view.
    """
    single = False
    if type(index) is not tuple:
        if type(index) is list and _list_is_tuple(index):
            warnings.warn(_SEQ_WARNING, UserWarning, stacklevel=3)
            index = tuple(index)
        else:
            index, single = (index,), True
    items = []
    used = 0
    advanced = has_ellipsis = False
    for e in index:
        te = type(e)
        if te is int:
            used += 1
        elif te is slice:
            if e.step is not None or isinstance(e.start, Tensor) or isinstance(e.stop, Tensor):
                e = _slice(e)
            used += 1
        elif e is None:
            pass
        elif e is Ellipsis:
            if has_ellipsis:
                raise IndexError("an index can only have a single ellipsis ('...')")
            has_ellipsis = True
        else:
            e, n, adv = _item(e)
            used += n
            advanced |= adv
        items.append(e)
    ndim = len(shape)
    if used > ndim:
        if ndim == 0 and single:
            if type(items[0]) is int:
                raise IndexError("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or "
                                 "`tensor.item<T>()` in C++ to convert a 0-dim tensor to a number")
            if type(items[0]) is slice:
                raise IndexError("slice() cannot be applied to a 0-dim tensor.")
        raise IndexError(f"too many indices for tensor of dimension {ndim}")
    if advanced:
        if any(isinstance(e, np.ndarray) and e.dtype == bool and e.ndim for e in items):
            _check_masks(items, shape)
        return tuple(items), None
    cls = _view_class(items, shape, ndim - used, single)
    if not has_ellipsis:
        items.append(Ellipsis)
    return tuple(items), cls


def _view_class(items, shape, spanned: int, single: bool):
    last, pos = AliasBackward0, 0
    for e in items:
        if e is Ellipsis:
            pos += spanned
        elif e is None:
            last = UnsqueezeIndexBackward0
        elif type(e) is slice:
            if single or not _is_noop(e, shape[pos]):
                last = SliceBackward0
            pos += 1
        else:
            last = SelectBackward0
            pos += 1
    return last


def _is_noop(s: slice, n: int) -> bool:
    """torch skips a slice written as the whole dim (0 or nothing, to n or beyond, step 1)."""
    return s.start in (None, 0) and s.step in (None, 1) and (s.stop is None or s.stop >= n)


class UnsqueezeIndexBackward0(AliasBackward0):
    """A basic index whose last step inserts a dim: torch names it UnsqueezeBackward0."""


UnsqueezeIndexBackward0.__name__ = UnsqueezeIndexBackward0.__qualname__ = "UnsqueezeBackward0"


def _positions(items, shape):
    """(entry, first dim it indexes) for the entries of a parsed index that consume dims."""
    used = sum(e.ndim if isinstance(e, np.ndarray) and e.dtype == bool else 1
               for e in items if e is not None and e is not Ellipsis)
    pos = 0
    for e in items:
        if e is Ellipsis:
            pos += len(shape) - used
        elif e is not None:
            yield e, pos
            pos += e.ndim if isinstance(e, np.ndarray) and e.dtype == bool else 1


def _check_masks(items, shape) -> None:
    """torch's error for a bool mask whose shape differs from the dims it indexes."""
    for e, pos in _positions(items, shape):
        if isinstance(e, np.ndarray) and e.dtype == bool and e.ndim and e.shape != tuple(shape[pos:pos + e.ndim]):
            k = next(i for i in range(e.ndim) if pos + i >= len(shape) or e.shape[i] != shape[pos + i])
            raise IndexError(f"The shape of the mask {_shape_str(e.shape)} at index {k} does not match the shape "
                             f"of the indexed tensor {_shape_str(shape)} at index {pos + k}")


def _index_error(err: IndexError, items, shape) -> IndexError:
    """NumPy's IndexError in torch's words."""
    msg = str(err)
    if "out of bounds for axis" in msg:
        return IndexError(msg.replace("for axis", "for dimension"))
    if "indexing arrays could not be broadcast" in msg:
        shapes = ", ".join("[" + ", ".join(p.strip() for p in grp.split(",") if p.strip()) + "]"
                           for grp in re.findall(r"\(([^)]*)\)", msg))
        return IndexError(f"shape mismatch: indexing tensors could not be broadcast together with shapes {shapes}")
    return err


# -- __getitem__ / __setitem__ ---------------------------------------------------------------------

class IndexBackward0(Node):
    def backward(self, g):
        return dual.embed(g, self.shape, self.index),


def _split_ints(items, shape):
    """(basic index, its view class, advanced rest) for an advanced index holding ints.

    torch applies ints as selects before the index arrays, where NumPy would broadcast them with the
    arrays (which moves the result's dims when the ints separate the arrays).
    """
    basic, adv = [], []
    for e in items:
        if type(e) is int:
            basic.append(e)
        elif e is None or type(e) is slice:
            basic.append(e)
            adv.append(_FULL)
        elif e is Ellipsis:
            basic.append(e)
            adv.append(e)
        else:
            basic.extend([_FULL] * (e.ndim if e.dtype == bool else 1))
            adv.append(e)
    used = sum(1 for e in basic if e is not None and e is not Ellipsis)
    cls = _view_class(basic, shape, len(shape) - used, False)
    if not any(e is Ellipsis for e in basic):
        basic.append(Ellipsis)
    return tuple(basic), cls, tuple(adv)


def _has_int(items) -> bool:
    return any(type(e) is int for e in items)


def _index(input, index):
    x = input._data
    ti = type(index)
    if x.ndim and (ti is int or (ti is slice and index.step is None and not isinstance(index.start, Tensor)
                                 and not isinstance(index.stop, Tensor))):
        try:   # the common x[i] and x[a:b]
            return basic_view(input, (index, Ellipsis), SelectBackward0 if ti is int else SliceBackward0)
        except IndexError:
            pass
    items, cls = _parse(index, x.shape)
    try:
        if cls is not None:
            return basic_view(input, items, cls)
        if _has_int(items):
            basic, bcls, adv = _split_ints(items, x.shape)
            return _index(basic_view(input, basic, bcls), adv)
        data = x[items]
    except IndexError as e:
        raise _index_error(e, items, x.shape) from None
    return record(IndexBackward0, data, (input,), attrs={"shape": x.shape, "index": items})


def _setitem(self, index, value):
    x = self._data
    items, cls = _parse(index, x.shape)
    if isinstance(value, Tensor):
        if cls is None and value._data.dtype != x.dtype:
            raise RuntimeError(f"Index put requires the source and destination dtypes match, got "
                               f"{_SCALAR_NAMES[x.dtype.name]} for the destination and "
                               f"{_SCALAR_NAMES[value._data.dtype.name]} for the source.")
    elif isinstance(value, np.ndarray):
        value = wrap(value)
    elif isinstance(value, (list, tuple)):
        from .._tensor import legacy_type_name
        raise TypeError(f"can't assign a {type(value).__name__} to a {legacy_type_name(self)}")
    else:
        value = checked_int(value, x.dtype)
    if cls is None and _has_int(items):
        basic, bcls, adv = _split_ints(items, x.shape)
        try:
            target = basic_view(self, basic, bcls)
        except IndexError as e:
            raise _index_error(e, items, x.shape) from None
        return _setitem(target, adv, value)
    if not grad_recording(self, (value,)):
        try:
            x[items] = value._data if isinstance(value, Tensor) else value
        except IndexError as e:
            raise _index_error(e, items, x.shape) from None
        except ValueError:
            v = value if isinstance(value, Tensor) else wrap(np.asarray(value))
            if cls is not None:
                _expanded(v, x[items].shape)
            raise RuntimeError(f"shape mismatch: value tensor of shape {_shape_str(v._data.shape)} cannot be "
                               f"broadcast to indexing result of shape {_shape_str(x[items].shape)}") from None
        self._vc[0] += 1
        return
    if not isinstance(value, Tensor):
        value = wrap(np.asarray(value, dtype=x.dtype))
    if cls is not None:
        from .conversion import copy_
        try:
            target = basic_view(self, items, cls)
        except IndexError as e:
            raise _index_error(e, items, x.shape) from None
        copy_(target, _expanded(value, target._data.shape))
    else:
        inplace(self, _index_put, (items, value, False))


def _expanded(value: Tensor, shape) -> Tensor:
    """value broadcast to a basic index's result, as torch's setitem does (with expand's errors)."""
    v = _strip_leading_ones(value, len(shape))
    return v if v._data.shape == shape else expand(v, shape)


def _strip_leading_ones(value: Tensor, ndim: int) -> Tensor:
    """value without the leading size-1 dims beyond `ndim` (torch and NumPy assignment drop them)."""
    shape = value._data.shape
    extra = len(shape) - ndim
    if extra > 0 and all(s == 1 for s in shape[:extra]):
        return reshape(value, shape[extra:])
    return value


# -- index_put ----------------------------------------------------------------------------------------

class IndexPutBackward0(Node):
    def backward(self, g):
        index, gx = self.index, g
        if not self.accumulate and self._next[0] is not None:
            gx = dual.masked_fill(g, _written(self.shape, index), 0)
        return gx, (g[index] if self._next[1] is not None else None)


def _written(shape, index):
    mask = np.zeros(shape, bool)
    mask[index] = True
    return mask


def _index_put(input, items, values, accumulate):
    x = input._data
    values = _strip_leading_ones(values, x[items].ndim if values._data.ndim else 0)
    out = x.copy()
    try:
        if accumulate:
            np.add.at(out, items, values._data)
        else:
            out[items] = values._data
    except IndexError as e:
        raise _index_error(e, items, x.shape) from None
    except ValueError:
        raise RuntimeError(f"shape mismatch: value tensor of shape {_shape_str(values._data.shape)} cannot be "
                           f"broadcast to indexing result of shape {_shape_str(x[items].shape)}") from None
    return record(IndexPutBackward0, out, (input, values),
                  attrs={"shape": x.shape, "index": items, "accumulate": accumulate})


def _put_items(indices):
    if not isinstance(indices, (tuple, list)):
        raise TypeError(f"index_put(): argument 'indices' must be tuple of Tensors, not {type(indices).__name__}")
    items = tuple(_FULL if i is None else _item(i)[0] for i in indices)
    return tuple(np.asarray(i) if isinstance(i, int) else i for i in items)


def _check_same_dtype(x, v):
    if v.dtype != x.dtype:
        raise RuntimeError(f"Index put requires the source and destination dtypes match, got "
                           f"{_SCALAR_NAMES[x.dtype.name]} for the destination and {_SCALAR_NAMES[v.dtype.name]} "
                           f"for the source.")


def index_put(input, indices, values, accumulate=False):
    _check_same_dtype(input._data, values._data)
    return _index_put(input, _put_items(indices), values, accumulate)


def index_put_(input, indices, values, accumulate=False):
    x = input._data
    _check_same_dtype(x, values._data)
    items = _put_items(indices)

    def fast(a):
        v = _strip_leading_ones(values, a[items].ndim if values._data.ndim else 0)._data
        if accumulate:
            np.add.at(a, items, v)
        else:
            a[items] = v
    return inplace(input, _index_put, (items, values, accumulate), fast=fast)


# -- gather / scatter ----------------------------------------------------------------------------------

def _along(index: np.ndarray, dim: int) -> tuple:
    """The NumPy index reading x[i_0, ..., index[i], ..., i_n] for every position i of `index`."""
    n = index.ndim
    return tuple(index if k == dim else np.arange(index.shape[k]).reshape([-1 if j == k else 1 for j in range(n)])
                 for k in range(n))


def _dim_size(a, d: int) -> int:
    """a's size along dim d; a 0-d array counts as one element there."""
    return a.shape[d] if a.ndim else 1


def _slices_differ(x, s, d: int) -> bool:
    """Whether source s and self x (both with dims) differ in shape outside dim d."""
    if not (x.ndim and s.ndim):
        return False
    return s.ndim != x.ndim or s.shape[:d] + s.shape[d + 1:] != x.shape[:d] + x.shape[d + 1:]


def _gather_checks(name, x, d, idx):
    if idx.dtype not in (np.int64, np.int32):
        raise RuntimeError(f"{name}(): Expected dtype int32/int64 for index")
    if idx.ndim != x.ndim and not (max(idx.ndim, x.ndim) <= 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    for k in range(idx.ndim):
        if k != d and idx.shape[k] > (x.shape[k] if x.ndim else 1):
            raise RuntimeError(f"Size does not match at dimension {k} expected index {_shape_str(idx.shape)} to be "
                               f"no larger than self {_shape_str(x.shape)} apart from dimension {d}")
    n = _dim_size(x, d)
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        bad = idx.min() if idx.min() < 0 else idx.max()
        raise RuntimeError(f"index {bad} is out of bounds for dimension {d} with size {n}")


class GatherBackward0(Node):
    def backward(self, g):
        return dual.embed(g, self.shape, _along(self.index, self.dim)), None


def gather(input, dim, index, *, sparse_grad=False, out=None):
    x, idx = input._data, index._data
    d = _wrap_dim(dim, x.ndim)
    _gather_checks("gather", x, d, idx)
    if x.ndim == 0 or idx.ndim == 0:   # torch lets 0-d and 1-d mix here: gather on flat views
        res = reshape(gather(reshape(input, (-1,)), 0, reshape(index, (-1,))), idx.shape)
    else:
        res = record(GatherBackward0, x[_along(idx, d)], (input, index), attrs={"shape": x.shape, "index": idx,
                                                                              "dim": d})
    return res if out is None else _with_out(res, out)


def _with_out(result, out):
    from .pointwise import _with_out as with_out
    return with_out(result, out)


class ScatterBackward0(Node):
    def backward(self, g):
        pos = _along(self.index, self.dim)
        gx = dual.masked_fill(g, _written(self.shape, pos), 0) if self._next[0] is not None else None
        gsrc = _to_src(g[pos], self.src_shape) if len(self._next) > 2 and self._next[2] is not None else None
        return (gx, None, gsrc) if len(self._next) > 2 else (gx, None)


class ScatterBackward1(ScatterBackward0):
    pass


class ScatterAddBackward0(Node):
    def backward(self, g):
        gsrc = _to_src(g[_along(self.index, self.dim)], self.src_shape) if self._next[2] is not None else None
        return g, None, gsrc


class NotImplementedScatter(Node):
    def name(self) -> str:
        return "torch::autograd::NotImplemented"

    def backward(self, g):
        raise RuntimeError("derivative for aten::scatter is not implemented")


def _to_src(g, src_shape):
    """A grad for the index-shaped front of src, as a grad for all of src."""
    if tuple(dual.data(g).shape) == tuple(src_shape):
        return g
    front = tuple(slice(0, s) for s in dual.data(g).shape) + (Ellipsis,)
    return dual.embed(g, src_shape, lambda a: a[front])


def _scatter_parts(input, dim, index, src, name):
    x, idx = input._data, index._data
    d = _wrap_dim(dim, x.ndim)
    _gather_checks(name, x, d, idx)
    if isinstance(src, Tensor):
        s = src._data
        for k in range(idx.ndim):
            if idx.shape[k] > (s.shape[k] if s.ndim else 1):
                raise RuntimeError(f"Expected index {_shape_str(idx.shape)} to be no larger than src "
                                   f"{_shape_str(s.shape)} apart from dimension {d}" if k != d else
                                   f"Expected index {_shape_str(idx.shape)} to be no larger than src "
                                   f"{_shape_str(s.shape)}")
        s = s.reshape(s.shape or (1,) * idx.ndim)[tuple(slice(0, n) for n in idx.shape)]
    else:
        s = src
    return x, idx.reshape(x.shape and idx.shape) if x.ndim else idx, d, s


def scatter(input, dim, index, src=None, value=None, *, reduce=None):
    if src is None:
        src = value
    x, idx, d, s = _scatter_parts(input, dim, index, src, "scatter")
    if x.ndim == 0:
        return _scatter_0d(input, index, src, reduce)
    out = x.copy()
    pos = _along(idx, d)
    if reduce is None:
        out[pos] = s
    elif reduce in ("add", "multiply"):
        (np.add if reduce == "add" else np.multiply).at(out, pos, s)
        return record(NotImplementedScatter, out, (input, index, src))
    else:
        raise RuntimeError(f"reduce argument must be either add or multiply. Got {reduce}")
    if isinstance(src, Tensor):
        return record(ScatterBackward0, out, (input, index, src),
                      attrs={"shape": x.shape, "index": idx, "dim": d, "src_shape": src._data.shape})
    return record(ScatterBackward1, out, (input, index), attrs={"shape": x.shape, "index": idx, "dim": d})


def _scatter_0d(input, index, src, reduce):
    flat = reshape(input, (1,))
    res = scatter(flat, 0, reshape(index, (1,)), reshape(src, (1,)) if isinstance(src, Tensor) else src,
                  reduce=reduce)
    return reshape(res, ())


def scatter_add(input, dim, index, src):
    x, idx, d, s = _scatter_parts(input, dim, index, src, "scatter_add")
    if x.ndim == 0:
        return reshape(scatter_add(reshape(input, (1,)), 0, reshape(index, (1,)), reshape(src, (1,))), ())
    out = x.copy()
    np.add.at(out, _along(idx, d), s)
    return record(ScatterAddBackward0, out, (input, index, src),
                  attrs={"index": idx, "dim": d, "src_shape": src._data.shape})


_REDUCE_UFUNC = {"sum": np.add, "prod": np.multiply, "amax": np.maximum, "amin": np.minimum, "mean": np.add}


class ScatterReduceBackward0(Node):
    def backward(self, g, x, src, out):
        pos, how = _along(self.index, self.dim), self.reduce
        src = src[self.front]
        written = None if self.include_self else _written(dual.data(x).shape, pos)
        if how in ("sum", "mean"):
            gx = g / self.count if how == "mean" else g
            gsrc = gx[pos]
        elif how in ("amax", "amin"):   # torch's rule: ties share the gradient evenly
            xa, sa, oa = dual.data(x), dual.data(src), dual.data(out)
            hit_x, hit_s = xa == oa, sa == oa[pos]
            ties = hit_x.astype(oa.dtype)
            np.add.at(ties, pos, hit_s)
            share = g / ties
            gx = dual.masked_fill(share, ~hit_x, 0)
            gsrc = dual.masked_fill(share[pos], ~hit_s, 0)
        else:
            if (dual.data(x) == 0).any() or (dual.data(src) == 0).any():
                raise NotImplementedError("scatter_reduce(reduce='prod') backward with zeros among the reduced "
                                          "values is not supported")
            gx = g * out / x
            gsrc = (g * out)[pos] / src
        if written is not None:
            gx = dual.masked_fill(gx, written, 0)
        return gx, None, _to_src(gsrc, self.src_shape)


def scatter_reduce(input, dim, index, src, reduce, *, include_self=True):
    if reduce not in _REDUCE_UFUNC:
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got {reduce}")
    x, idx, d, s = _scatter_parts(input, dim, index, src, "scatter_reduce")
    if x.ndim == 0:
        res = scatter_reduce(reshape(input, (1,)), 0, reshape(index, (1,)), reshape(src, (1,)), reduce,
                             include_self=include_self)
        return reshape(res, ())
    pos = _along(idx, d)
    out = x.copy()
    if not include_self:
        ident = {"sum": 0, "mean": 0, "prod": 1}.get(reduce)
        out[pos] = _extreme(x.dtype, reduce == "amax") if ident is None else ident
    _REDUCE_UFUNC[reduce].at(out, pos, s)
    count = None
    if reduce == "mean":
        count = np.full(x.shape, 1 if include_self else 0, x.dtype)
        np.add.at(count, pos, 1)
        count = np.maximum(count, 1)
        out = (out // count if x.dtype.kind in "iu" else out / count).astype(x.dtype)
    front = tuple(slice(0, n) for n in idx.shape) + (Ellipsis,)
    return record(ScatterReduceBackward0, out, (input, index, src), (input, src, OUT),
                  attrs={"index": idx, "dim": d, "reduce": reduce, "include_self": include_self, "count": count,
                         "front": front, "src_shape": src._data.shape})


def _extreme(dt, lowest: bool):
    if dt.kind == "f":
        return -np.inf if lowest else np.inf
    if dt.kind == "b":
        return not lowest
    info = np.iinfo(dt)
    return info.min if lowest else info.max


# -- along one dim: index_select, index_add, index_copy, index_fill -------------------------------

def _oob(idx, n, low):
    """The first index outside [low, n), or None."""
    if idx.size:
        lo, hi = idx.min(), idx.max()
        if lo < low:
            return int(lo)
        if hi >= n:
            return int(hi)
    return None


def _dim_index(d, idx):
    return (_FULL,) * d + (idx, Ellipsis)


def _slice_shape(shape, d):
    return _shape_str(shape[:d] + shape[d + 1:])


class IndexSelectBackward0(Node):
    def backward(self, g):
        return dual.embed(g, self.shape, _dim_index(self.dim, self.index)), None


def index_select(input, dim, index, *, out=None):
    x, idx = input._data, index._data
    d = _wrap_dim(dim, x.ndim)
    if idx.dtype not in (np.int64, np.int32):
        raise RuntimeError("index_select(): Expected dtype int32 or int64 for index")
    if idx.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    idx = idx.reshape(-1)
    if _oob(idx, _dim_size(x, d), 0) is not None:
        raise IndexError("index out of range in self")
    if x.ndim == 0:
        return reshape(index_select(reshape(input, (1,)), 0, index), index._data.shape)
    res = record(IndexSelectBackward0, np.take(x, idx, axis=d), (input, index),
                 attrs={"shape": x.shape, "dim": d, "index": idx})
    return res if out is None else _with_out(res, out)


class IndexAddBackward0(Node):
    def backward(self, g):
        gs = None
        if self._next[2] is not None:
            gs = g[_dim_index(self.dim, self.index)]
            if self.alpha != 1:
                gs = gs * self.alpha
        return g, None, gs


def index_add(input, dim, index, source, *, alpha=1, out=None):
    x, idx, s = input._data, index._data, source._data
    d = _wrap_dim(dim, x.ndim)
    if idx.dtype not in (np.int64, np.int32):
        raise RuntimeError(f"index_add_(): Expected dtype int32/int64 for index but got: "
                           f"{_SCALAR_NAMES[idx.dtype.name]}")
    if idx.ndim > 1:
        raise IndexError(f"index_add_(): Index is supposed to be a vector, but got dim: {idx.ndim} with type: "
                         f"{_SCALAR_NAMES[idx.dtype.name]} and size: {_shape_str(idx.shape)}")
    idx = idx.reshape(-1)
    if s.dtype != x.dtype:
        raise RuntimeError(f"index_add_(): self ({_SCALAR_NAMES[x.dtype.name]}) and source "
                           f"({_SCALAR_NAMES[s.dtype.name]}) must have the same scalar type")
    if _slices_differ(x, s, d):
        raise RuntimeError(f"source tensor shape must match self tensor shape, excluding the specified dimension. "
                           f"Got self.shape = {_shape_str(x.shape)} source.shape = {_shape_str(s.shape)}")
    if _dim_size(s, d) != idx.size:
        raise RuntimeError(f"index_add_(): Number of indices ({idx.size}) should be equal to source.size(dim): "
                           f"({_dim_size(s, d)}), for dim: {d}")
    n = _dim_size(x, d)
    bad = _oob(idx, n, 0)
    if bad is not None:
        raise RuntimeError(f"index {bad} is out of bounds for dimension {d} with size {n}")
    data = x.copy()
    s = s if alpha == 1 else (s * alpha).astype(x.dtype)
    np.add.at(data.reshape(data.shape or (1,)), _dim_index(d, idx), s.reshape(s.shape or (1,) * max(x.ndim, 1)))
    res = record(IndexAddBackward0, data, (input, index, source), attrs={"dim": d, "index": idx, "alpha": alpha})
    return res if out is None else _with_out(res, out)


def _row_mask(shape, d, idx):
    m = np.zeros(shape[d] if shape else 1, bool)
    m[idx] = True
    return m.reshape([-1 if k == d else 1 for k in range(len(shape))])


class IndexCopyBackward0(Node):
    def backward(self, g):
        gx = dual.masked_fill(g, _row_mask(self.shape, self.dim, self.index), 0) if self._next[0] is not None \
            else None
        gs = g[_dim_index(self.dim, self.index)] if self._next[2] is not None else None
        return gx, None, gs


def index_copy(input, dim, index, source):
    x, idx, s = input._data, index._data, source._data
    d = _wrap_dim(dim, x.ndim)
    if idx.dtype != np.int64:
        raise RuntimeError(f"index_copy_(): Expected a long tensor for index, but got {_SCALAR_NAMES[idx.dtype.name]}")
    if idx.ndim > 1:
        raise IndexError(f"index_copy_(): Index should have dimension 1 or 0 (got {idx.ndim})")
    idx = idx.reshape(-1)
    if s.dtype != x.dtype:
        raise RuntimeError(f"index_copy_(): self and source expected to have the same dtype, but got (self) "
                           f"{_SCALAR_NAMES[x.dtype.name]} and (source) {_SCALAR_NAMES[s.dtype.name]}")
    if _slices_differ(x, s, d):
        raise RuntimeError(f"index_copy_(): Source/destination tensor must have same slice shapes. Destination "
                           f"slice shape: {_slice_shape(x.shape, d)[1:-1]} at dimension {d} and source slice shape: "
                           f"{_slice_shape(s.shape, d)[1:-1]} at dimension {d}.")
    if _dim_size(s, d) != idx.size:
        raise IndexError(f"index_copy_(): Number of indices ({idx.size}) should be equal to source.size(dim) "
                         f"({_dim_size(s, d)})")
    n = _dim_size(x, d)
    bad = _oob(idx, n, 0)
    if bad is not None:
        raise IndexError(f"index_copy_(): index {bad} is out of bounds for dimension {d} with size {n}")
    data = x.copy()
    data.reshape(data.shape or (1,))[_dim_index(d, idx)] = s.reshape(s.shape or (1,))
    return record(IndexCopyBackward0, data, (input, index, source), attrs={"shape": x.shape, "dim": d, "index": idx})


class IndexFillBackward0(Node):
    def backward(self, g):
        mask = _row_mask(self.shape, self.dim, self.index)
        gx = dual.masked_fill(g, mask, 0) if self._next[0] is not None else None
        if len(self._next) < 3:
            return gx, None
        gv = dual.sum(g[np.broadcast_to(mask, self.shape)]) if self._next[2] is not None else None
        return gx, None, gv


class IndexFillBackward1(IndexFillBackward0):
    pass


def index_fill(input, dim, index, value):
    x, idx = input._data, index._data
    d = _wrap_dim(dim, x.ndim)
    if idx.dtype != np.int64:
        raise IndexError("index_fill_(): Expected dtype int64 for index.")
    if idx.ndim > 1:
        raise RuntimeError("Index has to be a vector/scalar")
    idx = idx.reshape(-1)
    n = _dim_size(x, d)
    bad = _oob(idx, n, -n)
    if bad is not None:
        raise IndexError(f"index {bad} is out of bounds for dimension {d} with size {n}")
    idx = idx % max(n, 1)
    data = x.copy()
    attrs = {"shape": x.shape, "dim": d, "index": idx}
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise RuntimeError(f"index_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                               f"{value._data.ndim} dimension(s).")
        data.reshape(data.shape or (1,))[_dim_index(d, idx)] = value._data
        return record(IndexFillBackward1, data, (input, index, value), attrs=attrs)
    data.reshape(data.shape or (1,))[_dim_index(d, idx)] = value
    return record(IndexFillBackward0, data, (input, index), attrs=attrs)


# -- masks ---------------------------------------------------------------------------------------------

def _bool_mask(mask, name: str) -> np.ndarray:
    m = mask._data if isinstance(mask, Tensor) else mask
    if m.dtype != bool:
        raise RuntimeError(f"{name} only supports boolean masks, but got mask with dtype {_CPP_NAMES[m.dtype.name]}")
    return m


class MaskedFillBackward0(Node):
    def backward(self, g):
        mask = self.mask
        gx = dual.masked_fill(g, mask, 0) if self._next[0] is not None else None
        if len(self._next) < 3:
            return gx, None
        gv = dual.sum(g[np.broadcast_to(mask, dual.data(g).shape)]) if self._next[2] is not None else None
        return gx, None, gv


class MaskedFillBackward1(MaskedFillBackward0):
    pass


def masked_fill(input, mask, value):
    x = input._data
    m = _bool_mask(mask, "masked_fill_")
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise RuntimeError(f"masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                               f"{value._data.ndim} dimension(s).")
        data = np.where(m, value._data.astype(x.dtype), x)
        return record(MaskedFillBackward1, data, (input, mask, value), attrs={"mask": m})
    data = np.where(m, np.asarray(checked_int(value, x.dtype)).astype(x.dtype), x)
    return record(MaskedFillBackward0, data, (input, mask), attrs={"mask": m})


def _check_inplace_broadcast(x, other_shape):
    b = np.broadcast_shapes(x.shape, other_shape)
    if b != x.shape:
        raise RuntimeError(f"output with shape {_shape_str(x.shape)} doesn't match the broadcast shape "
                           f"{_shape_str(b)}")


def masked_fill_(self, mask, value):
    m = _bool_mask(mask, "masked_fill_")
    _check_inplace_broadcast(self._data, m.shape)
    if isinstance(value, Tensor) and value._data.ndim:
        raise RuntimeError(f"masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                           f"{value._data.ndim} dimension(s).")
    v = value._data if isinstance(value, Tensor) else checked_int(value, self._data.dtype)
    return inplace(self, masked_fill, (mask, value), fast=lambda a: np.copyto(a, v, casting="unsafe", where=m))


class MaskedScatterBackward0(Node):
    def backward(self, g):
        mask = np.broadcast_to(self.mask, dual.data(g).shape)
        gx = dual.masked_fill(g, mask, 0) if self._next[0] is not None else None
        gs = None
        if self._next[2] is not None:
            k, shape = self.count, self.src_shape
            gs = dual.reshape(dual.embed(g[mask], (int(np.prod(shape)),), lambda a: a[:k]), shape)
        return gx, None, gs


def masked_scatter(input, mask, source):
    x = input._data
    m = mask._data
    if m.dtype != bool:
        raise RuntimeError(f"masked_scatter_ only supports boolean masks, but got mask with dtype "
                           f"{_CPP_NAMES[m.dtype.name]}")
    s = source._data
    if s.dtype != x.dtype:
        raise RuntimeError(f"masked_scatter_: expected self and source to have same dtypes but got"
                           f"{_SCALAR_NAMES[x.dtype.name]} and {_SCALAR_NAMES[s.dtype.name]}")
    shape = np.broadcast_shapes(x.shape, m.shape)
    data = np.array(np.broadcast_to(x, shape))
    mb = np.broadcast_to(m, shape)
    k = int(mb.sum())
    if k > s.size:
        raise RuntimeError("Number of elements of source < number of ones in mask")
    data[mb] = s.reshape(-1)[:k]
    return record(MaskedScatterBackward0, data, (input, mask, source),
                  attrs={"mask": m, "count": k, "src_shape": s.shape})


class MaskedSelectBackward0(Node):
    def backward(self, g):
        return dual.embed(g, self.shape, (self.mask,)), None


def masked_select(input, mask, *, out=None):
    x = input._data
    m = mask._data
    if m.dtype != bool:
        raise RuntimeError("masked_select: expected BoolTensor for mask")
    shape = np.broadcast_shapes(x.shape, m.shape)
    mb = np.broadcast_to(m, shape)
    res = record(MaskedSelectBackward0, np.broadcast_to(x, shape)[mb], (input, mask),
                 attrs={"shape": shape, "mask": mb})
    return res if out is None else _with_out(res, out)


# -- flat positions: take, put ------------------------------------------------------------------------

def _flat_index(index: Tensor, numel: int, name: str) -> np.ndarray:
    idx = index._data
    if idx.dtype != np.int64:
        raise RuntimeError(f"{name}(): Expected a long tensor for index, but got {_SCALAR_NAMES[idx.dtype.name]}")
    if idx.size:
        bad = idx.min() if idx.min() < -numel else idx.max() if idx.max() >= numel else None
        if bad is not None:
            raise IndexError(f"out of range: tried to access index {bad} on a tensor of {numel} elements.")
    return idx % max(numel, 1)


class TakeBackward0(Node):
    def backward(self, g):
        flat = dual.embed(g, (int(np.prod(self.shape)),), (self.index,))
        return dual.reshape(flat, self.shape), None


def take(input, index):
    x = input._data
    idx = _flat_index(index, x.size, "take")
    return record(TakeBackward0, x.reshape(-1)[idx], (input, index), attrs={"shape": x.shape, "index": idx})


class PutBackward0(Node):
    def backward(self, g):
        gx = None
        if self._next[0] is not None:
            gx = g if self.accumulate else \
                dual.masked_fill(g, _written((int(np.prod(self.shape)),), self.index).reshape(self.shape), 0)
        gs = None
        if self._next[2] is not None:
            gs = dual.reshape(dual.reshape(g, (-1,))[self.index], self.src_shape)
        return gx, None, gs


def put(input, index, source, accumulate=False):
    x = input._data
    idx = _flat_index(index, x.size, "put")
    s = source._data
    if s.dtype != x.dtype:
        raise RuntimeError(f"put_(): self and source expected to have the same dtype, but got self.dtype = "
                           f"{_SCALAR_NAMES[x.dtype.name]} and source.dtype = {_SCALAR_NAMES[s.dtype.name]}")
    if s.size != idx.size:
        raise RuntimeError(f"put_(): Expected source and index to have the same number of elements, but got "
                           f"source.numel() = {s.size}, index.numel() = {idx.size}")
    data = x.copy()
    flat = data.reshape(-1)
    if accumulate:
        np.add.at(flat, idx.reshape(-1), s.reshape(-1))
    else:
        flat[idx.reshape(-1)] = s.reshape(-1)
    return record(PutBackward0, data, (input, index, source),
                  attrs={"shape": x.shape, "index": idx, "accumulate": accumulate, "src_shape": s.shape})


def take_along_dim(input, indices, dim=None, *, out=None):
    if dim is None:
        res = gather(reshape(input, (-1,)), 0, reshape(indices, (-1,)))
        return res if out is None else _with_out(res, out)
    x, idx = input._data, indices._data
    if x.ndim != idx.ndim:
        raise RuntimeError(f"torch.take_along_dim(): input and indices should have the same number of dimensions, "
                           f"but got {x.ndim} dimensions for input, and {idx.ndim} dimensions for indices")
    d = _wrap_dim(dim, x.ndim)
    shape = list(np.broadcast_shapes(tuple(1 if k == d else s for k, s in enumerate(x.shape)),
                                     tuple(1 if k == d else s for k, s in enumerate(idx.shape))))
    xs = shape[:d] + [x.shape[d]] + shape[d + 1:]
    ids = shape[:d] + [idx.shape[d]] + shape[d + 1:]
    ind = idx if list(idx.shape) == ids else np.broadcast_to(idx, ids)
    ind = wrap(np.where(ind < 0, ind + x.shape[d], ind))   # negative indices count from the end here
    res = gather(input if list(x.shape) == xs else expand(input, xs), d, ind)
    return res if out is None else _with_out(res, out)


# -- finding: nonzero, argwhere (torch.where(cond) is nonzero(as_tuple=True)) ---------------------

def nonzero(input, *, out=None, as_tuple=False):
    x = input._data
    if as_tuple:
        return tuple(wrap(i.astype(np.int64)) for i in np.nonzero(np.atleast_1d(x)))
    res = wrap(np.argwhere(x).astype(np.int64))
    return res if out is None else _with_out(res, out)


def argwhere(input):
    return nonzero(input)


# -- sorting ---------------------------------------------------------------------------------------------

def _return_type(name: str, fields: tuple):
    """A torch.return_types.<name>: a named tuple printing like torch's."""
    cls = collections.namedtuple(name, fields)

    def __repr__(self):
        body = ",\n".join(f"{f}={v!r}" for f, v in zip(fields, self))
        return f"torch.return_types.{name}(\n{body})"
    cls.__repr__ = __repr__
    cls.__module__ = "torch.return_types"
    return cls


sort_result = _return_type("sort", ("values", "indices"))
topk_result = _return_type("topk", ("values", "indices"))
kthvalue_result = _return_type("kthvalue", ("values", "indices"))


def _order(x: np.ndarray, d: int, descending: bool) -> np.ndarray:
    """Stable sorting indices along d; descending keeps equal elements in their original order."""
    if not descending:
        return np.argsort(x, axis=d, kind="stable")
    n = x.shape[d]
    return (n - 1) - np.flip(np.argsort(np.flip(x, d), axis=d, kind="stable"), d)


class SortBackward0(Node):
    def backward(self, g):
        return dual.embed(g, self.shape, _along(self.index, self.dim)),


class TopkBackward0(SortBackward0):
    pass


def _picked(cls, input, idx, d, result):
    """(values, indices) of x at `idx` along d, the values differentiable."""
    x = input._data
    if x.ndim == 0:
        idx, values = np.zeros((), np.int64), x.copy()
    else:
        values = np.take_along_axis(x, idx, d)
    values = record(cls, values, (input,), attrs={"shape": x.shape, "index": idx, "dim": d})
    return result(values, wrap(idx.astype(np.int64)))


def sort(input, dim=-1, descending=False, *, stable=False, out=None):
    x = input._data
    d = _wrap_dim(dim, x.ndim)
    idx = _order(x, d, descending) if x.ndim else None
    return _picked(SortBackward0, input, idx, d, sort_result)


def argsort(input, dim=-1, descending=False, *, stable=False):
    x = input._data
    if x.ndim == 0:
        return wrap(np.zeros((), np.int64))
    return wrap(_order(x, _wrap_dim(dim, x.ndim), descending).astype(np.int64))


def msort(input):
    return sort(input, 0).values


def topk(input, k, dim=-1, largest=True, sorted=True, *, out=None):  # noqa: A002 - torch's name
    x = input._data
    d = _wrap_dim(dim, x.ndim)
    n = _dim_size(x, d)
    if not 0 <= k <= n:
        raise RuntimeError("selected index k out of range")
    if x.ndim == 0:
        if k:
            return _picked(TopkBackward0, input, None, d, topk_result)
        return topk_result(wrap(np.zeros((0,), x.dtype)), wrap(np.zeros((0,), np.int64)))
    idx = _order(x, d, largest)[(_FULL,) * d + (slice(0, k), Ellipsis)]
    return _picked(TopkBackward0, input, idx, d, topk_result)


class KthvalueBackward0(Node):
    def backward(self, g):
        if not self.keepdim:
            g = dual.unsqueeze(g, self.dim)
        return dual.embed(g, self.shape, _along(self.index, self.dim)),


def kthvalue(input, k, dim=-1, keepdim=False, *, out=None):
    x = input._data
    d = _wrap_dim(dim, x.ndim)
    n = _dim_size(x, d)
    if not 1 <= k <= n:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d}")
    if x.ndim == 0:
        v = record(KthvalueBackward0, x.copy(), (input,),
                   attrs={"shape": (), "index": np.zeros((), np.int64), "dim": 0, "keepdim": True})
        return kthvalue_result(v, wrap(np.zeros((), np.int64)))
    idx = _order(x, d, False)[(_FULL,) * d + (slice(k - 1, k), Ellipsis)]
    values = np.take_along_axis(x, idx, d)
    ind = idx
    if not keepdim:
        values, ind = np.squeeze(values, d), np.squeeze(idx, d)
    v = record(KthvalueBackward0, values, (input,), attrs={"shape": x.shape, "index": idx, "dim": d,
                                                             "keepdim": keepdim})
    return kthvalue_result(v, wrap(ind.astype(np.int64)))


# -- unique ------------------------------------------------------------------------------------------

class Unique2Backward0(Node):
    def backward(self, g):
        raise NotImplementedError(f"the derivative for '{self.op}' is not implemented.")


class UniqueDimBackward0(Unique2Backward0):
    pass


class UniqueConsecutiveBackward0(Unique2Backward0):
    pass


def _unique_outputs(cls, op, input, values, inverse, counts, return_inverse, return_counts):
    out = [record(cls, values, (input,), attrs={"op": op})]
    if return_inverse:
        out.append(wrap(inverse.astype(np.int64)))
    if return_counts:
        out.append(wrap(counts.astype(np.int64)))
    return out[0] if len(out) == 1 else tuple(out)


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):  # noqa: A002
    x = input._data
    if dim is None:
        values, inverse, counts = np.unique(x.reshape(-1), return_inverse=True, return_counts=True)
        return _unique_outputs(Unique2Backward0, "_unique2", input, values, inverse.reshape(x.shape), counts,
                               return_inverse, return_counts)
    d = _wrap_dim(dim, x.ndim)
    values, inverse, counts = np.unique(x, return_inverse=True, return_counts=True, axis=d)
    return _unique_outputs(UniqueDimBackward0, "unique_dim", input, values, inverse.reshape(-1), counts,
                           return_inverse, return_counts)


def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    x = input._data
    if dim is None:
        rows = x.reshape(-1, 1)
    else:
        d = _wrap_dim(dim, x.ndim)
        rows = np.moveaxis(x, d, 0).reshape(x.shape[d], -1)
    n = rows.shape[0]
    new = np.ones(n, bool)
    if n > 1:
        new[1:] = (rows[1:] != rows[:-1]).any(axis=1)
    starts = np.flatnonzero(new)
    counts = np.diff(np.append(starts, n))
    inverse = np.cumsum(new) - 1
    if dim is None:
        values, inverse = x.reshape(-1)[starts], inverse.reshape(x.shape)
    else:
        values = np.take(x, starts, axis=d)
    return _unique_outputs(UniqueConsecutiveBackward0, "unique_consecutive", input, values, inverse, counts,
                           return_inverse, return_counts)


# -- searching -----------------------------------------------------------------------------------------

def _values(v, like: np.ndarray) -> np.ndarray:
    if isinstance(v, Tensor):
        return v._data
    return np.asarray(v, dtype=like.dtype if like.dtype.kind == "f" or isinstance(v, int) else None)


def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None, out=None, sorter=None):
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"torch.searchsorted(): side can only be 'left' or 'right' but got {side}")
        if right and side == "left":
            raise RuntimeError("torch.searchsorted(): side and right can't be set to opposites, got side of left "
                               "while right was True")
        right = side == "right"
    seq = sorted_sequence._data
    vals = _values(input, seq)
    srt = sorter._data if sorter is not None else None
    how = "right" if right else "left"
    if seq.ndim <= 1:
        res = np.searchsorted(seq.reshape(-1), vals, how, srt)
    else:
        if not isinstance(input, Tensor) or vals.shape[:-1] != seq.shape[:-1]:
            raise RuntimeError(f"torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 "
                               f"dimensions of boundaries tensor and input value tensor must match, but we got "
                               f"boundaries tensor {_shape_str(seq.shape)} and input value tensor "
                               f"{_shape_str(vals.shape)}")
        s2, v2 = seq.reshape(-1, seq.shape[-1]), vals.reshape(-1, vals.shape[-1])
        o2 = None if srt is None else srt.reshape(-1, srt.shape[-1])
        res = np.stack([np.searchsorted(s2[i], v2[i], how, None if o2 is None else o2[i]) for i in range(len(s2))])
        res = res.reshape(vals.shape)
    res = wrap(np.asarray(res, np.int32 if out_int32 else np.int64))
    return res if out is None else _with_out(res, out)


def bucketize(input, boundaries, *, out_int32=False, right=False, out=None):
    b = boundaries._data
    if b.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({b.ndim})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right, out=out)


# -- Tensor methods ----------------------------------------------------------------------------------

def _inplace_of(fn):
    def method(self, *args, **kwargs):
        return inplace(self, fn, args, kwargs)
    method.__name__ = fn.__name__ + "_"
    return method


def _scatter_(self, dim, index, src=None, value=None, *, reduce=None):
    return inplace(self, scatter, (dim, index, src if src is not None else value), {"reduce": reduce})


def _index_add_(self, dim, index, source, *, alpha=1):
    return inplace(self, index_add, (dim, index, source), {"alpha": alpha})


bind_methods(
    __getitem__=_index, __setitem__=_setitem,
    index_put=index_put, index_put_=index_put_, gather=gather, scatter=scatter, scatter_=_scatter_,
    scatter_add=scatter_add, scatter_add_=_inplace_of(scatter_add), scatter_reduce=scatter_reduce,
    scatter_reduce_=_inplace_of(scatter_reduce), index_select=index_select, index_add=index_add,
    index_add_=_index_add_, index_copy=index_copy, index_copy_=_inplace_of(index_copy), index_fill=index_fill,
    index_fill_=_inplace_of(index_fill), masked_fill=masked_fill, masked_fill_=masked_fill_,
    masked_scatter=masked_scatter, masked_scatter_=_inplace_of(masked_scatter), masked_select=masked_select,
    take=take, put=put, put_=_inplace_of(put), take_along_dim=take_along_dim, nonzero=nonzero,
    argwhere=argwhere, sort=sort, argsort=argsort, msort=msort, topk=topk, kthvalue=kthvalue, unique=unique,
    unique_consecutive=unique_consecutive,
)
