"""Shape and view ops. Views share storage and version counter with their base.

A view op records its node and then `make_view`, handing it a function that
re-creates the view from the base (on arrays and Tensors alike), so in-place
ops on views can rewrite the base's history. Views that pick elements
(select, slice, diagonal, unfold) share one backward: the grad is written into
zeros at the view's place (`dual.embed`). Non-view ops return fresh arrays.
"""
from __future__ import annotations

__all__ = ["atleast_1d", "atleast_2d", "atleast_3d", "broadcast_shapes", "broadcast_tensors", "broadcast_to",
           "cat", "chunk", "column_stack", "concat", "concatenate", "diag", "diag_embed", "diagonal", "dstack",
           "expand", "flatten", "flip", "fliplr", "flipud", "hstack", "meshgrid", "movedim", "moveaxis", "narrow",
           "permute", "ravel", "repeat_interleave", "reshape", "roll", "rot90", "row_stack", "select", "split",
           "squeeze", "stack", "swapaxes", "swapdims", "t", "tensor_split", "tile", "trace", "transpose", "tril",
           "triu", "unbind", "unflatten", "unsqueeze", "vstack"]

import math
import warnings

import numpy as np

from .. import _dtype
from .._tensor import Tensor, _wrap_dim, bind_methods, legacy_type_name
from ..autograd.graph import Node
from . import dual
from ._core import record, record_multi
from .inplace import inplace, make_view

_INT = (int, np.integer)
_FULL = slice(None)


def _sizes(size) -> tuple:
    """A shape from torch's size arguments: ints, or one sequence (or 0-d tensors among them)."""
    if len(size) == 1 and not isinstance(size[0], _INT) and \
            not (isinstance(size[0], Tensor) and size[0]._data.ndim == 0):
        size = size[0]
    for s in size:
        if type(s) is not int:
            return tuple(int(v) for v in size)
    return size if type(size) is tuple else tuple(size)


def _dims(dims, ndim: int, what: str = "dim") -> tuple:
    """Wrapped dims from an int or a sequence; duplicates are torch's RuntimeError."""
    if isinstance(dims, _INT):
        return (_wrap_dim(dims, ndim),)
    out = tuple(_wrap_dim(d, ndim) for d in dims)
    if len(set(out)) != len(out):
        dup = next(d for d in out if out.count(d) > 1)
        raise RuntimeError(f"{what} {dup} appears multiple times in the list of dims")
    return out


def _shape_str(shape) -> str:
    return "[" + ", ".join(map(str, shape)) + "]"


def _view(cls, data, input, view_fn, attrs=None) -> Tensor:
    return make_view(record(cls, data, (input,), attrs=attrs), input, view_fn)


# -- expand / broadcast ------------------------------------------------------------------

class ExpandBackward0(Node):
    def backward(self, g):
        return g,   # the engine sums a broadcast gradient back to the input's shape


def expand(input, *sizes):
    shape = _sizes(sizes)
    x = input._data
    xs, st = x.shape, x.strides
    lead = len(shape) - len(xs)
    if lead < 0:
        raise RuntimeError(f"expand({legacy_type_name(input)}{{{_shape_str(xs)}}}, size={_shape_str(shape)}): "
                           f"the number of sizes provided ({len(shape)}) must be greater or equal to the "
                           f"number of dimensions in the tensor ({x.ndim})")
    target, strides = list(shape), [0] * len(shape)
    for i in range(lead):
        if shape[i] < 0:
            raise RuntimeError(f"The expanded size of the tensor ({shape[i]}) isn't allowed in a leading, "
                               f"non-existing dimension {i}")
    for i, n in enumerate(xs):
        s = shape[lead + i]
        if s == n or s == -1:
            target[lead + i], strides[lead + i] = n, st[i]
        elif n != 1 or s < 0:
            raise RuntimeError(f"The expanded size of the tensor ({s}) must match the existing size ({n}) at "
                               f"non-singleton dimension {lead + i}.  Target sizes: {_shape_str(shape)}.  Tensor "
                               f"sizes: {_shape_str(xs)}")
    target = tuple(target)
    if target == xs:
        data = x.view()
    elif x.flags.c_contiguous and x.size:   # several times faster than np.broadcast_to
        data = np.ndarray(target, x.dtype, x, 0, tuple(strides))
        data.setflags(write=False)   # elements alias each other, as np.broadcast_to marks them
    else:
        data = np.broadcast_to(x, target)
    return _view(ExpandBackward0, data, input, lambda t: dual.expand(t, target))


def expand_as(input, other):
    return expand(input, other._data.shape)


def broadcast_to(input, size):
    return expand(input, size)


def broadcast_shapes(*shapes):
    """torch.broadcast_shapes, with torch's message for incompatible sizes."""
    from .._size import Size
    shapes = [(s,) if isinstance(s, _INT) else tuple(s) for s in shapes]
    ndim = max((len(s) for s in shapes), default=0)
    out = [1] * ndim
    for s in shapes:
        for i, n in enumerate(s, ndim - len(s)):
            if out[i] == 1:
                out[i] = n
            elif n not in (1, out[i]):
                raise RuntimeError(f"The size of tensor a ({out[i]}) must match the size of tensor b ({n}) at "
                                   f"non-singleton dimension {i}")
    return Size(out)


def broadcast_tensors(*tensors):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    shape = broadcast_shapes(*(t._data.shape for t in tensors))
    return tuple(expand(t, shape) for t in tensors)


# -- reshaping ----------------------------------------------------------------------------

class ViewBackward0(Node):
    def backward(self, g):
        return dual.reshape(g, self.shape),


def _infer_shape(shape, numel):
    for s in shape:
        if s < -1:
            raise RuntimeError(f"invalid shape dimension {s}")
    if -1 in shape:
        if shape.count(-1) > 1:
            raise RuntimeError("only one dimension can be inferred")
        known = math.prod(s for s in shape if s != -1)
        if known == 0:
            if numel == 0:
                raise RuntimeError(f"cannot reshape tensor of 0 elements into shape {_shape_str(shape)} because "
                                   f"the unspecified dimension size -1 can be any value and is ambiguous")
            raise RuntimeError(f"shape '{_shape_str(shape)}' is invalid for input of size {numel}")
        if numel % known:
            raise RuntimeError(f"shape '{_shape_str(shape)}' is invalid for input of size {numel}")
        return tuple(numel // known if s == -1 else s for s in shape)
    if math.prod(shape) != numel:
        raise RuntimeError(f"shape '{_shape_str(shape)}' is invalid for input of size {numel}")
    return shape


def _reshaped_view(x, shape):
    """x reshaped without copying, or None when its strides do not allow it."""
    if x.flags.c_contiguous:
        return x.reshape(shape)
    try:
        return np.reshape(x, shape, copy=False)
    except ValueError:
        return None


def _reshaped(x, shape):
    """x.reshape(shape) for a contiguous x, with torch's messages for a bad shape."""
    try:
        return x.reshape(shape)
    except (ValueError, TypeError):
        _infer_shape(shape, x.size)
        raise


def view(input, *shape):
    if len(shape) == 1 and isinstance(shape[0], _dtype.dtype):
        return _view_dtype(input, shape[0])
    shape = _sizes(shape)
    x = input._data
    if x.flags.c_contiguous:
        data = _reshaped(x, shape)
    else:
        data = _reshaped_view(x, _infer_shape(shape, x.size))
    if data is None:
        raise RuntimeError("view size is not compatible with input tensor's size and stride (at least one "
                           "dimension spans across two contiguous subspaces). Use .reshape(...) instead.")
    shape = data.shape
    return _view(ViewBackward0, data, input, lambda t: dual.reshape(t, shape), {"shape": x.shape})


def _view_dtype(input, dt):
    if dt.np == input._data.dtype:
        return view(input, input._data.shape)
    if dt.np.itemsize != input._data.dtype.itemsize:
        raise NotImplementedError("Tensor.view(dtype) between dtypes of different sizes is not supported")
    from .._tensor import wrap
    out = wrap(input._data.view(dt.np))
    np_dt = dt.np
    return make_view(out, input, lambda t: t.view(dt) if isinstance(t, Tensor) else t.view(np_dt))


def reshape(input, *shape):
    shape = _sizes(shape)
    x = input._data
    if x.flags.c_contiguous:
        data = _reshaped(x, shape)
    else:
        shape = _infer_shape(shape, x.size)
        data = _reshaped_view(x, shape)
    if data is not None:
        shape = data.shape
        return _view(ViewBackward0, data, input, lambda t: dual.reshape(t, shape), {"shape": x.shape})
    return record(ViewBackward0, x.reshape(shape), (input,), attrs={"shape": x.shape})


def view_as(input, other):
    return view(input, other._data.shape)


def reshape_as(input, other):
    return reshape(input, other._data.shape)


def flatten(input, start_dim=0, end_dim=-1):
    x = input._data
    if x.ndim == 0:
        return reshape(input, (1,))
    s, e = _wrap_dim(start_dim, x.ndim), _wrap_dim(end_dim, x.ndim)
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if s == e:
        return input
    return reshape(input, x.shape[:s] + (math.prod(x.shape[s:e + 1]),) + x.shape[e + 1:])


def unflatten(input, dim, sizes):
    x = input._data
    d = _wrap_dim(dim, x.ndim)
    sizes = tuple(int(s) for s in sizes)
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    try:
        inner = _infer_shape(sizes, x.shape[d])
    except RuntimeError:
        if sizes.count(-1) > 1:
            raise
        raise RuntimeError(f"unflatten: Provided sizes {_shape_str(sizes)} don't multiply up to the size of dim "
                           f"{dim} ({x.shape[d]}) in the input tensor") from None
    return view(input, x.shape[:d] + inner + x.shape[d + 1:])


def ravel(input):
    return reshape(input, (-1,))


class UnsqueezeBackward0(Node):
    def backward(self, g):
        return dual.reshape(g, self.shape),


def unsqueeze(input, dim):
    x = input._data
    d = _wrap_dim(dim, x.ndim + 1)
    return _view(UnsqueezeBackward0, x[(_FULL,) * d + (None,)], input, lambda t: dual.unsqueeze(t, d),
                 {"shape": x.shape})


class SqueezeBackward0(Node):
    def backward(self, g):
        return dual.reshape(g, self.shape),


class SqueezeBackward1(SqueezeBackward0):
    pass


class SqueezeBackward2(SqueezeBackward0):
    pass


def squeeze(input, dim=None):
    x = input._data
    if dim is None:
        cls, dims = SqueezeBackward0, range(x.ndim)
    elif isinstance(dim, _INT):
        cls, dims = SqueezeBackward1, (_wrap_dim(dim, x.ndim),)
    else:
        cls, dims = SqueezeBackward2, _dims(dim, x.ndim)
    shape = tuple(s for i, s in enumerate(x.shape) if s != 1 or i not in dims)
    return _view(cls, x.reshape(shape), input, lambda t: dual.reshape(t, shape), {"shape": x.shape})


def atleast_1d(*tensors):
    return _atleast(tensors, lambda t: reshape(t, (1,)) if t._data.ndim == 0 else t)


def atleast_2d(*tensors):
    def one(t):
        n = t._data.ndim
        return reshape(t, (1, 1)) if n == 0 else unsqueeze(t, 0) if n == 1 else t
    return _atleast(tensors, one)


def atleast_3d(*tensors):
    def one(t):
        n = t._data.ndim
        if n == 0:
            return reshape(t, (1, 1, 1))
        if n == 1:
            return unsqueeze(unsqueeze(t, 0), -1)
        return unsqueeze(t, -1) if n == 2 else t
    return _atleast(tensors, one)


def _atleast(tensors, one):
    if len(tensors) == 1 and isinstance(tensors[0], Tensor):
        return one(tensors[0])
    if len(tensors) == 1:
        tensors = tensors[0]
    return tuple(one(t) for t in tensors)


# -- transposing ---------------------------------------------------------------------------

class TransposeBackward0(Node):
    def backward(self, g):
        return (g if self.d0 == self.d1 else dual.transpose(g, self.d0, self.d1)),


def transpose(input, dim0, dim1):
    x = input._data
    d0, d1 = _wrap_dim(dim0, x.ndim), _wrap_dim(dim1, x.ndim)
    if d0 == d1:
        return _view(TransposeBackward0, x.view(), input, lambda t: t[...], {"d0": d0, "d1": d1})
    return _view(TransposeBackward0, np.swapaxes(x, d0, d1), input, lambda t: dual.transpose(t, d0, d1),
                 {"d0": d0, "d1": d1})


swapaxes = swapdims = transpose


class PermuteBackward0(Node):
    def backward(self, g):
        return dual.permute(g, self.inverse),


def permute(input, *dims):
    x = input._data
    dims = _sizes(dims)
    if len(dims) != x.ndim:
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does not match the "
                           f"length of the desired ordering of dimensions i.e. input.dim() = {x.ndim} is not "
                           f"equal to len(dims) = {len(dims)}")
    n = x.ndim
    dims = tuple(d if 0 <= d < n else _wrap_dim(d, n) for d in dims)
    inverse = [-1] * n
    for i, d in enumerate(dims):
        inverse[d] = i
    if -1 in inverse:
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return _view(PermuteBackward0, x.transpose(dims), input, lambda t: dual.permute(t, dims),
                 {"inverse": tuple(inverse)})


def movedim(input, source, destination):
    n = input._data.ndim
    src = (source,) if isinstance(source, _INT) else tuple(source)
    dst = (destination,) if isinstance(destination, _INT) else tuple(destination)
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({list(src)} dims) should "
                           f"contain the same number of dims as destination ({list(dst)} dims)")
    src = tuple(_wrap_dim(d, n) for d in src)
    dst = tuple(_wrap_dim(d, n) for d in dst)
    for name, ds in (("source", src), ("destination", dst)):
        if len(set(ds)) != len(ds):
            raise RuntimeError(f"movedim: repeated dim in `{name}` ({list(ds)})")
    order = [None] * n
    for s, d in zip(src, dst):
        order[d] = s
    rest = iter(d for d in range(n) if d not in src)
    return permute(input, tuple(o if o is not None else next(rest) for o in order))


moveaxis = movedim


class TBackward0(Node):
    def backward(self, g):
        return (dual.transpose(g, 0, 1) if self.ndim == 2 else g),


def t(input):
    x = input._data
    if x.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {x.ndim}D")
    fn = (lambda a: dual.transpose(a, 0, 1)) if x.ndim == 2 else (lambda a: a[...])
    return _view(TBackward0, x.T, input, fn, {"ndim": x.ndim})


def _T(self):
    n = self._data.ndim
    if n == 2:
        return permute(self, (1, 0))
    if n == 0:
        warnings.warn("Tensor.T is deprecated on 0-D tensors. This function is the identity in these cases.",
                      UserWarning, stacklevel=2)
    elif n > 2:
        warnings.warn("The use of `x.T` on tensors of dimension other than 2 to reverse their shape is "
                      "deprecated and it will throw an error in a future release. Consider `x.mT` to transpose "
                      "batches of matrices or `x.permute(*torch.arange(x.ndim - 1, -1, -1))` to reverse the "
                      "dimensions of a tensor.", UserWarning, stacklevel=2)
    return permute(self, tuple(range(n - 1, -1, -1)))


def _matrix_transpose(name):
    def prop(self):
        if self._data.ndim < 2:
            raise RuntimeError(f"tensor.{name} is only supported on matrices or batches of matrices. Got "
                               f"{self._data.ndim}-D tensor.")
        return transpose(self, -2, -1)
    return prop


# -- selecting parts (views) ------------------------------------------------------------

class _Embed(Node):
    """Backward of a view that picks elements: the grad goes into zeros at the view's place."""

    def backward(self, g):
        return dual.embed(g, self.shape, self.fn),


class SelectBackward0(_Embed):
    pass


class SliceBackward0(_Embed):
    pass


class AliasBackward0(_Embed):
    pass


class DiagonalBackward0(_Embed):
    pass


def basic_view(input, index: tuple, cls) -> Tensor:
    """input[index] for a basic (int/slice/None/Ellipsis) index tuple that holds an Ellipsis."""
    x = input._data
    fn = lambda t: t[index]  # noqa: E731 - works on arrays and Tensors
    return _view(cls, x[index], input, fn, {"shape": x.shape, "fn": fn})


def select(input, dim, index):
    x = input._data
    if x.ndim == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    d = _wrap_dim(dim, x.ndim)
    n = x.shape[d]
    i = int(index)
    if not -n <= i < n:
        raise IndexError(f"select(): index {i} out of range for tensor of size {_shape_str(x.shape)} at "
                         f"dimension {d}")
    return basic_view(input, (slice(None),) * d + (i % n, Ellipsis), SelectBackward0)


def narrow(input, dim, start, length):
    x = input._data
    d = _wrap_dim(dim, x.ndim)
    n = x.shape[d]
    start, length = int(start), int(length)
    if not -n <= start <= n:
        raise IndexError(f"start out of range (expected to be in range of [{-n}, {n}], but got {start})")
    if start < 0:
        start += n
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    if start + length > n:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({n}).")
    return basic_view(input, (slice(None),) * d + (slice(start, start + length), Ellipsis), SliceBackward0)


def _multi_view_fn(fn, node_name: str, i: int):
    """A view function for output i of a multi-view op: torch forbids in-place on those with grad."""
    def view_fn(t):
        if isinstance(t, Tensor):
            raise RuntimeError(f"Output {i} of {node_name} is a view and is being modified inplace. This view is "
                               f"the output of a function that returns multiple views. Such functions do not "
                               f"allow the output views to be modified inplace. You should replace the inplace "
                               f"operation by an out-of-place one.")
        return fn(t)
    return view_fn


def _multi_view(cls, input, indices, attrs) -> tuple:
    x = input._data
    outs = record_multi(cls, [x[ix] for ix in indices], (input,), attrs=attrs)
    name = cls.__name__
    for i, (out, ix) in enumerate(zip(outs, indices)):
        make_view(out, input, _multi_view_fn(lambda a, ix=ix: a[ix], name, i))
    return outs


class UnbindBackward0(Node):
    multi_output = True

    def backward(self, grads):
        return dual.stack(grads, self.dim),


def unbind(input, dim=0):
    x = input._data
    if x.ndim == 0:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    d = _wrap_dim(dim, x.ndim)
    lead = (slice(None),) * d
    return _multi_view(UnbindBackward0, input, [lead + (i, Ellipsis) for i in range(x.shape[d])], {"dim": d})


class SplitBackward0(Node):
    multi_output = True

    def backward(self, grads):
        return dual.cat(grads, self.dim),


class SplitWithSizesBackward0(SplitBackward0):
    pass


def split(tensor, split_size_or_sections, dim=0):
    x = tensor._data
    d = _wrap_dim(dim, x.ndim)
    n = x.shape[d]
    if isinstance(split_size_or_sections, _INT) or \
            (isinstance(split_size_or_sections, Tensor) and split_size_or_sections._data.ndim == 0):
        size = int(split_size_or_sections)
        if size < 0 or (size == 0 and n != 0):
            raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got dimension size of {n}"
                               if size == 0 else f"split expects split_size be non-negative, but got "
                                                 f"split_size={size}")
        sizes = [size] * (n // size) + ([n % size] if n % size else []) if size else [0]
        cls = SplitBackward0
    else:
        sizes = [int(s) for s in split_size_or_sections]
        if sum(sizes) != n or any(s < 0 for s in sizes):
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's size "
                               f"at dimension {d}), but got split_sizes={_shape_str(sizes)}")
        cls = SplitWithSizesBackward0
    return _multi_view(cls, tensor, _pieces(d, sizes), {"dim": d})


def _pieces(d, sizes):
    lead, start, out = (slice(None),) * d, 0, []
    for s in sizes:
        out.append(lead + (slice(start, start + s), Ellipsis))
        start += s
    return out


def split_with_sizes(input, split_sizes, dim=0):
    return split(input, list(split_sizes), dim)


def chunk(input, chunks, dim=0):
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    n = input._data.shape[_wrap_dim(dim, input._data.ndim)]
    return split(input, -(-n // chunks) if n else 0, dim)


def tensor_split(input, indices_or_sections, dim=0):
    x = input._data
    d = _wrap_dim(dim, x.ndim)
    n = x.shape[d]
    ios = indices_or_sections
    if isinstance(ios, Tensor):
        ios = int(ios) if ios._data.ndim == 0 else ios._data.tolist()
    if isinstance(ios, _INT):
        if ios <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {ios}")
        q, r = divmod(n, int(ios))
        bounds = np.cumsum([0] + [q + 1] * r + [q] * (int(ios) - r)).tolist()
    else:
        bounds = [0] + [min(max(int(i) + n if int(i) < 0 else int(i), 0), n) for i in ios] + [n]
    lead = (slice(None),) * d
    return tuple(basic_view(input, lead + (slice(a, max(a, b)), Ellipsis), SliceBackward0)
                 for a, b in zip(bounds[:-1], bounds[1:]))


def _diag_any(t, offset, d1, d2):
    """The diagonal as a writable view of an array, or the diagonal op on a Tensor."""
    if isinstance(t, Tensor):
        return diagonal(t, offset, d1, d2)
    out = np.diagonal(t, offset, d1, d2)
    if t.flags.writeable:
        out.flags.writeable = True
    return out


def diagonal(input, offset=0, dim1=0, dim2=1):
    x = input._data
    d1, d2 = _wrap_dim(dim1, x.ndim), _wrap_dim(dim2, x.ndim)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    fn = lambda a: _diag_any(a, offset, d1, d2)  # noqa: E731
    return _view(DiagonalBackward0, fn(x), input, fn, {"shape": x.shape, "fn": fn})


class UnfoldBackward0(Node):
    def backward(self, g):
        return dual.embed(g, self.shape, _unfold_index(self.shape, self.dim, self.size, self.step)),


def _unfold_index(shape, d, size, step):
    n = len(shape)
    nwin = (shape[d] - size) // step + 1

    def ar(length, pos):
        return np.arange(length).reshape([-1 if k == pos else 1 for k in range(n + 1)])
    return tuple(ar(nwin, d) * step + ar(size, n) if k == d else ar(s, k) for k, s in enumerate(shape))


def _unfold_any(t, d, size, step):
    if isinstance(t, Tensor):
        return unfold(t, d, size, step)
    nwin = (t.shape[d] - size) // step + 1
    st = t.strides
    shape = t.shape[:d] + (nwin,) + t.shape[d + 1:] + (size,)
    strides = st[:d] + (st[d] * step,) + st[d + 1:] + (st[d],)
    return np.lib.stride_tricks.as_strided(t, shape, strides, writeable=t.flags.writeable)


def unfold(input, dimension, size, step):
    x = input._data
    if x.ndim == 0:
        raise NotImplementedError("Tensor.unfold on a 0-d tensor is not supported")
    d = _wrap_dim(dimension, x.ndim)
    if size > x.shape[d]:
        raise RuntimeError(f"maximum size for tensor at dimension {d} is {x.shape[d]} but size is {size}")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    fn = lambda a: _unfold_any(a, d, size, step)  # noqa: E731
    return _view(UnfoldBackward0, fn(x), input, fn, {"shape": x.shape, "dim": d, "size": size, "step": step})


# -- joining ---------------------------------------------------------------------------------

def _joined_dtype(tensors):
    first = tensors[0]._data.dtype
    for t in tensors:
        if t._data.dtype != first:
            return _dtype.result_type_of([_dtype.from_np(u._data.dtype) for u in tensors], [], []).np
    return first


class CatBackward0(Node):
    def backward(self, g):
        lead, d, out = (slice(None),) * self.dim, self.dim, []
        for need, (a, b) in zip(self._next, self.bounds):
            if need is None:
                out.append(None)
            elif a is None:   # a legacy empty 1-D input
                out.append(dual.reshape(g, (-1,))[:0])
            else:
                out.append(g[lead + (slice(a, b), Ellipsis)])
        return tuple(out)


def _check_tensor_sequence(tensors, fn_name) -> None:
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{fn_name}(): argument 'tensors' (position 1) must be tuple of Tensors, not "
                        f"{type(tensors).__name__}")


def cat(tensors, dim=0, *, out=None):
    _check_tensor_sequence(tensors, "cat")
    if not tensors:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    arrays = [t._data for t in tensors]
    dt = _joined_dtype(tensors)
    ref, bounds, kept, start = None, [], [], 0
    for i, a in enumerate(arrays):
        if a.ndim == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be concatenated")
        if a.ndim == 1 and a.shape[0] == 0:
            bounds.append((None, None))
            continue
        if ref is None:
            ref, d = a, _wrap_dim(dim, a.ndim)
        elif a.ndim != ref.ndim:
            raise RuntimeError(f"Tensors must have same number of dimensions: got {ref.ndim} and {a.ndim}")
        elif a.shape[:d] != ref.shape[:d] or a.shape[d + 1:] != ref.shape[d + 1:]:
            k = next(k for k in range(a.ndim) if k != d and a.shape[k] != ref.shape[k])
            raise RuntimeError(f"Sizes of tensors must match except in dimension {d}. Expected size "
                               f"{ref.shape[k]} but got size {a.shape[k]} for tensor number {i} in the list.")
        kept.append(a)
        bounds.append((start, start + a.shape[d]))
        start += a.shape[d]
    if ref is None:
        _wrap_dim(dim, 1)
        d, data = 0, np.zeros((0,), dt)
    elif all(a.dtype == dt for a in kept):
        data = np.concatenate(kept, axis=d)
    else:
        data = np.concatenate(kept, axis=d, dtype=dt, casting="unsafe")
    res = record(CatBackward0, data, tensors, attrs={"dim": d, "bounds": bounds})
    return res if out is None else _with_out(res, out)


concat = concatenate = cat


def _with_out(result, out):
    from .pointwise import _with_out as with_out
    return with_out(result, out)


class StackBackward0(Node):
    def backward(self, g):
        lead = (slice(None),) * self.dim
        return tuple(None if need is None else g[lead + (i, Ellipsis)] for i, need in enumerate(self._next))


def stack(tensors, dim=0, *, out=None):
    _check_tensor_sequence(tensors, "stack")
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    arrays = [t._data for t in tensors]
    shape = arrays[0].shape
    for i, a in enumerate(arrays):
        if a.shape != shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {_shape_str(shape)} at entry 0 "
                               f"and {_shape_str(a.shape)} at entry {i}")
    d = _wrap_dim(dim, len(shape) + 1)
    grow = (_FULL,) * d + (None,)
    dt = _joined_dtype(tensors)
    data = np.concatenate([a[grow] for a in arrays], axis=d, dtype=dt, casting="unsafe")
    res = record(StackBackward0, data, tensors, attrs={"dim": d})
    return res if out is None else _with_out(res, out)


def _seq(tensors):
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise TypeError(f"expected a tuple or list of Tensors, got {type(tensors).__name__}")
    return tensors


def hstack(tensors, *, out=None):
    ts = atleast_1d(*_seq(tensors))
    return cat(ts, 0 if ts[0]._data.ndim == 1 else 1, out=out)


def vstack(tensors, *, out=None):
    return cat(atleast_2d(*_seq(tensors)), 0, out=out)


row_stack = vstack


def dstack(tensors, *, out=None):
    return cat(atleast_3d(*_seq(tensors)), 2, out=out)


def column_stack(tensors, *, out=None):
    ts = [reshape(t, (t._data.size, 1)) if t._data.ndim <= 1 else t for t in _seq(tensors)]
    return cat(ts, 1, out=out)


def meshgrid(*tensors, indexing=None):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing is None:
        warnings.warn("torch.meshgrid: in an upcoming release, it will be required to pass the indexing argument.",
                      UserWarning, stacklevel=2)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f"torch.meshgrid: indexing must be one of \"xy\" or \"ij\", but received: {indexing}")
    for t in tensors:
        if t._data.ndim > 1:
            raise RuntimeError(f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got: {t}")
        if t._data.dtype != tensors[0]._data.dtype:
            raise RuntimeError("torch.meshgrid: Expected all tensors in the tensor list to have the same dtype.")
    n = len(tensors)
    pos = list(range(n))
    if indexing == "xy" and n >= 2:
        pos[0], pos[1] = 1, 0
    shape = [0] * n
    for p, t in zip(pos, tensors):
        shape[p] = t._data.size
    return tuple(expand(reshape(t, [-1 if k == p else 1 for k in range(n)]), shape) for p, t in zip(pos, tensors))


# -- rearranging (copies) -------------------------------------------------------------------------

class RepeatBackward0(Node):
    def backward(self, g):
        inner = self.padded
        split = [n for r, s in zip(self.reps, inner) for n in (r, s)]
        g = dual.reshape(g, split)
        if inner:
            g = dual.sum(g, tuple(range(0, 2 * len(inner), 2)))
        return dual.reshape(g, self.shape),


def repeat(input, *sizes):
    reps = _sizes(sizes)
    x = input._data
    if len(reps) < x.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of dimensions of "
                           "tensor")
    if any(r < 0 for r in reps):
        raise RuntimeError(f"Trying to create tensor with negative dimension "
                           f"{min(reps)}: {_shape_str(reps)}")
    padded = (1,) * (len(reps) - x.ndim) + x.shape
    data = np.tile(x.reshape(padded), reps)
    return record(RepeatBackward0, data, (input,), attrs={"reps": reps, "padded": padded, "shape": x.shape})


def tile(input, dims):
    dims = (dims,) if isinstance(dims, _INT) else tuple(dims)
    return repeat(input, (1,) * (input._data.ndim - len(dims)) + dims)


def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    if repeats is None:   # torch.repeat_interleave(repeats): indices repeated
        reps = input._data
        from .._tensor import wrap
        return wrap(np.repeat(np.arange(reps.size), reps.reshape(-1)))
    if dim is None:
        input, d = reshape(input, (-1,)), 0
    else:
        d = _wrap_dim(dim, input._data.ndim)
    n = input._data.shape[d] if input._data.ndim else 1
    if isinstance(repeats, Tensor) and repeats._data.size != 1:
        reps = repeats._data.reshape(-1)
        if reps.size != n:
            raise RuntimeError(f"repeats must have the same size as input along dim, but got repeats.size(0) = "
                               f"{reps.size} and input.size({d}) = {n}")
        if reps.size and reps.min() < 0:
            raise RuntimeError("repeats can not be negative")
        from .indexing import index_select
        from .._tensor import wrap
        return index_select(input, d, wrap(np.repeat(np.arange(n), reps)))
    r = int(repeats)
    if r < 0:
        raise RuntimeError("repeats can not be negative")
    if input._data.ndim == 0:
        input = reshape(input, (1,))
    shape = input._data.shape
    wide = expand(unsqueeze(input, d + 1), shape[:d + 1] + (r,) + shape[d + 1:])
    return reshape(wide, shape[:d] + (shape[d] * r,) + shape[d + 1:])


class FlipBackward0(Node):
    def backward(self, g):
        return dual.flip(g, self.dims),


def flip(input, *dims):
    x = input._data
    if len(dims) == 1 and not isinstance(dims[0], _INT):
        dims = dims[0]
    dims = _dims(dims, x.ndim)
    return record(FlipBackward0, np.flip(x, dims).copy(), (input,), attrs={"dims": dims})


def fliplr(input):
    if input._data.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return flip(input, (1,))


def flipud(input):
    if input._data.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return flip(input, (0,))


class RollBackward0(Node):
    def backward(self, g):
        return dual.roll(g, tuple(-s for s in self.shifts) if self.dims is not None else -self.shifts[0],
                         self.dims),


def roll(input, shifts, dims=None):
    x = input._data
    shifts = (int(shifts),) if isinstance(shifts, _INT) else tuple(int(s) for s in shifts)
    if dims is None:
        if len(shifts) != 1:
            raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:0")
        data = np.roll(x, shifts[0])
    else:
        dims = (dims,) if isinstance(dims, _INT) else tuple(dims)
        if len(shifts) != len(dims):
            raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:{len(dims)}")
        dims = tuple(_wrap_dim(d, x.ndim) for d in dims)
        data = np.roll(x, shifts, dims)
    return record(RollBackward0, data, (input,), attrs={"shifts": shifts, "dims": dims})


def _rot90(a, k, d0, d1):
    """Rotation by k quarter turns, from flips and transposes (arrays or Tensors)."""
    k %= 4
    if k == 1:
        return dual.transpose(dual.flip(a, (d1,)), d0, d1)
    if k == 2:
        return dual.flip(a, (d0, d1))
    if k == 3:
        return dual.flip(dual.transpose(a, d0, d1), (d1,))
    return a


class Rot90Backward0(Node):
    def backward(self, g):
        return _rot90(g, -self.k, *self.dims),


def rot90(input, k=1, dims=(0, 1)):
    x = input._data
    dims = tuple(dims)
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if x.ndim < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {x.ndim}")
    d0, d1 = _wrap_dim(dims[0], x.ndim), _wrap_dim(dims[1], x.ndim)
    if d0 == d1:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {d0} and dim1 = {d1}")
    return record(Rot90Backward0, np.array(_rot90(x, k, d0, d1)), (input,), attrs={"k": k, "dims": (d0, d1)})


# -- diagonals and triangles ---------------------------------------------------------------------

class DiagEmbedBackward0(Node):
    def backward(self, g):
        return dual.diagonal(g, self.offset, self.d1, self.d2),


def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    x = input._data
    n = x.ndim + 1
    d1, d2 = _wrap_dim(dim1, n), _wrap_dim(dim2, n)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    side = (x.shape[-1] if x.ndim else 1) + abs(offset)
    shape = list(x.shape[:-1])
    for d in sorted((d1, d2)):
        shape.insert(d, side)
    data = np.zeros(shape, x.dtype)
    _diag_any(data, offset, d1, d2)[...] = x
    return record(DiagEmbedBackward0, data, (input,), attrs={"offset": offset, "d1": d1, "d2": d2})


DiagonalBackward0_copy = type("DiagonalBackward0_copy", (_Embed,), {"__doc__": "torch.diag of a matrix."})


def diag(input, diagonal=0):
    x = input._data
    if x.ndim == 1:
        return diag_embed(input, diagonal, 0, 1)
    if x.ndim != 2:
        raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {x.ndim}D")
    fn = lambda a: _diag_any(a, diagonal, 0, 1)  # noqa: E731
    return record(DiagonalBackward0_copy, np.diagonal(x, diagonal).copy(), (input,),
                  attrs={"shape": x.shape, "fn": fn})


class TraceBackward0(Node):
    def backward(self, g):
        n = min(self.shape)
        return dual.embed(dual.expand(g, (n,)), self.shape, lambda a: _diag_any(a, 0, 0, 1)),


def trace(input):
    x = input._data
    if x.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {x.ndim}")
    data = np.trace(x, dtype=np.int64 if x.dtype.kind in "biu" else None)
    return record(TraceBackward0, data, (input,), attrs={"shape": x.shape})


class TrilBackward0(Node):
    def backward(self, g):
        return dual.masked_fill(g, self.zero, 0),


class TriuBackward0(TrilBackward0):
    pass


def _triangle(cls, name, input, diagonal, lower):
    x = input._data
    if x.ndim < 2:
        raise RuntimeError(f"{name}: input tensor must have at least 2 dimensions")
    n, m = x.shape[-2:]
    keep = np.tri(n, m, diagonal, dtype=bool) if lower else ~np.tri(n, m, diagonal - 1, dtype=bool)
    data = np.where(keep, x, np.zeros((), x.dtype))
    return record(cls, data, (input,), attrs={"zero": ~keep})


def tril(input, diagonal=0, *, out=None):
    res = _triangle(TrilBackward0, "tril", input, diagonal, True)
    return res if out is None else _with_out(res, out)


def triu(input, diagonal=0, *, out=None):
    res = _triangle(TriuBackward0, "triu", input, diagonal, False)
    return res if out is None else _with_out(res, out)


def _inplace_of(fn):
    def method(self, *args, **kwargs):
        return inplace(self, fn, args, kwargs)
    method.__name__ = fn.__name__ + "_"
    return method


bind_methods(
    expand=expand, expand_as=expand_as, broadcast_to=broadcast_to, view=view, view_as=view_as, reshape=reshape,
    reshape_as=reshape_as, flatten=flatten, unflatten=unflatten, ravel=ravel, unsqueeze=unsqueeze,
    squeeze=squeeze, transpose=transpose, swapaxes=swapaxes, swapdims=swapdims, permute=permute,
    movedim=movedim, moveaxis=moveaxis, t=t, T=property(_T), mT=property(_matrix_transpose("mT")),
    mH=property(_matrix_transpose("mH")), adjoint=lambda self: _matrix_transpose("mH")(self),
    select=select, narrow=narrow, unbind=unbind, split=split, split_with_sizes=split_with_sizes, chunk=chunk,
    tensor_split=tensor_split, diagonal=diagonal, unfold=unfold, repeat=repeat, tile=tile,
    repeat_interleave=repeat_interleave, flip=flip, fliplr=fliplr, flipud=flipud, roll=roll, rot90=rot90,
    diag_embed=diag_embed, diag=diag, trace=trace, tril=tril, triu=triu,
    tril_=_inplace_of(tril), triu_=_inplace_of(triu),
)
