"""Convolution kernels: strided window views (im2col) and one matmul, for any number of spatial dims.

A convolution is a trilinear form T(x, w, g) = sum x[n, c, s*i + d*k - pad] w[o, c, k] g[n, o, i] over
input x, weight w and output-gradient g. Its three partial derivatives are the three kernels here:

- slot "g" from (x, w): the convolution itself;
- slot "x" from (g, w): the input gradient, which is also the transposed convolution;
- slot "w" from (x, g): the weight gradient.

The derivative of any one of them with respect to either argument is again one of the three, so a
single rule (`ConvolutionBackward0.backward`) serves conv, conv_transpose and every higher derivative.
Pooling and unfold/fold reuse `windows` and `col2im`.
"""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numpy.lib.stride_tricks import as_strided

from .._ops import _loops, dual
from .._ops._core import record
from .._tensor import Tensor, wrap
from ..autograd.graph import Node

__all__ = []  # internal


class Geometry(NamedTuple):
    """Where the windows of a convolution sit (all per spatial dim, as tuples)."""
    stride: tuple
    dilation: tuple
    pad_lo: tuple
    pad_hi: tuple
    groups: int
    x_size: tuple      # spatial size of the input (slot x)
    g_size: tuple      # spatial size of the output (slot g)
    k_size: tuple      # kernel size


# -- window helpers (shared with pooling and unfold/fold) -----------------------------------

def padded(x: np.ndarray, lo, hi, fill=0) -> np.ndarray:
    """x with its trailing len(lo) dims padded by lo / hi elements of `fill`."""
    if not any(lo) and not any(hi):
        return x
    nd = len(lo)
    size = x.shape[-nd:]
    out = np.full(x.shape[:-nd] + tuple(s + a + b for s, a, b in zip(size, lo, hi)), fill, x.dtype)
    out[(Ellipsis, *(slice(a, a + s) for a, s in zip(lo, size)))] = x
    return out


def written_zeros(shape: tuple, dtype) -> np.ndarray:
    """Zeros for a loop to add into. np.zeros can hand out fresh untouched pages (calloc), and a loop that
    reads each element before writing it then faults twice per page (the shared zero page, then a copy)."""
    out = np.empty(shape, dtype)
    out.fill(0)
    return out


def cropped(xp: np.ndarray, lo, size) -> np.ndarray:
    """The inverse of `padded`: the region of xp that held the unpadded array."""
    if not any(lo) and xp.shape[-len(size):] == tuple(size):
        return xp
    return xp[(Ellipsis, *(slice(a, a + s) for a, s in zip(lo, size)))]


def windows(xp: np.ndarray, k, stride, dilation, out, writeable: bool = False) -> np.ndarray:
    """View (*lead, *k, *out) of the windows of xp's trailing len(k) dims: no copy. Read-only unless asked
    (writing through overlapping windows is only safe one kernel offset at a time)."""
    nd = len(k)
    st = xp.strides
    sp = st[-nd:]
    shape = xp.shape[:-nd] + tuple(k) + tuple(out)
    strides = st[:-nd] + tuple(s * d for s, d in zip(sp, dilation)) + tuple(s * t for s, t in zip(sp, stride))
    return as_strided(xp, shape, strides, writeable=writeable)


def col2im(cols: np.ndarray, padded_size, k, stride, dilation, out) -> np.ndarray:
    """The adjoint of `windows`: add each window's values back where they came from (one pass per
    kernel offset, each a strided add over all windows at once)."""
    nd = len(k)
    lead = cols.shape[:cols.ndim - 2 * nd]
    xp = np.zeros(lead + tuple(padded_size), cols.dtype)
    rest = (slice(None),) * nd
    for offs in np.ndindex(*k):
        at = tuple(slice(o * d, o * d + (n - 1) * s + 1, s) for o, d, n, s in zip(offs, dilation, out, stride))
        xp[(Ellipsis, *at)] += cols[(Ellipsis, *offs, *rest)]
    return xp


def _padded_x_size(geo: Geometry) -> tuple:
    return tuple(s + a + b for s, a, b in zip(geo.x_size, geo.pad_lo, geo.pad_hi))


class Spares:
    """Large scratch arrays kept from one training step for the next (im2col's windows, the input gradient's
    columns): once the allocator has handed freed memory back to the system, a fresh large array costs a
    page fault per 4 KiB page on first touch, as much time as filling it. An array given back must have no
    other user. At most `per_key` arrays of one shape and dtype, and `budget` bytes in all, are kept (the
    shapes given back longest ago go first)."""

    MIN_BYTES = 1 << 18   # smaller arrays come from the allocator's pools without page faults

    def __init__(self, budget: int = 1 << 26, per_key: int = 2):
        self._free: dict = {}     # (shape, dtype) -> arrays
        self._budget = budget
        self._per_key = per_key

    def take(self, shape: tuple, dtype) -> np.ndarray:
        """An uninitialized C-contiguous array of this shape and dtype."""
        found = self._free.get((shape, np.dtype(dtype)))
        if found:
            try:
                return found.pop()
            except IndexError:   # another thread took the last one
                pass
        return np.empty(shape, dtype)

    def give(self, a: np.ndarray) -> None:
        if a.nbytes < self.MIN_BYTES or a.nbytes > self._budget or a.base is not None or not a.flags.c_contiguous:
            return
        key = (a.shape, a.dtype)
        found = self._free.pop(key, [])     # re-inserted last: the most recently used shape
        if len(found) < self._per_key:
            found.append(a)
        self._free[key] = found
        while sum(b.nbytes for arrays in self._free.values() for b in arrays) > self._budget:
            self._free.pop(next(iter(self._free)))


SPARES = Spares()


def im2col(x: np.ndarray, geo: Geometry) -> np.ndarray:
    """x's windows as a (N, groups, C/groups * K, P) matrix stack (a copy, laid out for matmul, in a spare
    array: give it back to SPARES when done with it)."""
    win = windows(padded(x, geo.pad_lo, geo.pad_hi), geo.k_size, geo.stride, geo.dilation, geo.g_size)
    n, c = x.shape[:2]
    cols = SPARES.take((n, geo.groups, (c // geo.groups) * math.prod(geo.k_size), math.prod(geo.g_size)), x.dtype)
    np.copyto(cols.reshape(win.shape), win)
    return cols




# -- the three kernels ------------------------------------------------------------------------

def _conv(x, w, geo: Geometry, cols=None):
    """slot g: the convolution of x with w."""
    own = cols is None
    if own:
        cols = im2col(x, geo)
    o = w.shape[0]
    out = np.matmul(w.reshape(geo.groups, o // geo.groups, cols.shape[2]), cols)     # (N, G, O/G, P)
    if own:
        SPARES.give(cols)
    return out.reshape((x.shape[0], o) + geo.g_size)


def _weight_grad(x, g, geo: Geometry, cols=None):
    """slot w: sum over batch and positions of g times x's windows."""
    own = cols is None
    if own:
        cols = im2col(x, geo)
    n, o = g.shape[:2]
    g4 = g.reshape(n, geo.groups, o // geo.groups, cols.shape[3])
    if cols.shape[2] >= _WIDE_WINDOWS:
        gt = SPARES.take(g4.shape[:2] + g4.shape[:1:-1], g.dtype)           # (N, G, P, O/G)
        np.copyto(gt, g4.swapaxes(-1, -2))
        per_sample = SPARES.take(cols.shape[:3] + gt.shape[3:], g.dtype)   # (N, G, Cg*K, O/G)
        gw = np.matmul(cols, gt, out=per_sample).sum(0).swapaxes(-1, -2)  # (G, O/G, Cg*K)
        SPARES.give(gt)
        SPARES.give(per_sample)
    else:
        gw = np.matmul(g4, cols.swapaxes(-1, -2)).sum(0)
    if own:
        SPARES.give(cols)
    return gw.reshape((o, x.shape[1] // geo.groups) + geo.k_size)


# Window rows (Cg*K) from which the weight gradient is computed as windows @ g.T over a transposed copy of g:
# OpenBLAS multiplies those shapes (e.g. 144 x 121 by 121 x 32) about twice as fast as g @ windows.T, and the
# copy of g is small next to the product; for few rows (a 1-channel 3x3 conv) the copy costs more than it gains.
_WIDE_WINDOWS = 64


def _input_grad(g, w, geo: Geometry, cols=None):
    """slot x: spread g through w back onto the input positions (the transposed convolution)."""
    n, o = g.shape[:2]
    cg = w.shape[1]
    c = cg * geo.groups
    loop = _compiled_col2im(g.dtype, n * c * math.prod(geo.x_size), geo)
    if loop is None and all(s == 1 for s in geo.stride):
        return _input_grad_stride1(g, w, geo)
    wt = w.reshape(geo.groups, o // geo.groups, cg * math.prod(geo.k_size)).swapaxes(-1, -2)   # (G, Cg*K, O/G)
    g4 = g.reshape(n, geo.groups, o // geo.groups, math.prod(geo.g_size))
    dcols = SPARES.take((n, geo.groups) + wt.shape[1:2] + g4.shape[3:], g.dtype)             # (N, G, Cg*K, P)
    np.matmul(wt, g4, out=dcols)
    cols6 = dcols.reshape((n, c) + geo.k_size + geo.g_size)
    if loop is not None:
        out = written_zeros((n, c) + geo.x_size, g.dtype)
        loop(cols6.reshape((n * c,) + cols6.shape[2:]), *geo.stride, *geo.dilation, *geo.pad_lo,
             out.reshape((n * c,) + geo.x_size))
    else:
        out = cropped(col2im(cols6, _padded_x_size(geo), geo.k_size, geo.stride, geo.dilation, geo.g_size),
                      geo.pad_lo, geo.x_size)
    SPARES.give(dcols)
    return out


def _compiled_col2im(dtype, numel: int, geo: Geometry):
    """The compiled col2im + crop for a 2-d input gradient of `numel` elements, or None (then NumPy's passes,
    which give the same bits: both add the kernel offsets in order)."""
    if len(geo.k_size) != 2 or dtype not in _loops.DTYPES:
        return None
    return _loops.NN_LOOPS.get("col2im2d", numel)


def _input_grad_stride1(g, w, geo: Geometry):
    """_input_grad for unit strides, laid out so that every add is one long contiguous run.

    g is zero-padded to the padded input's extent in all but its first spatial dim, so an output position and
    the input position it reads at kernel offset 0 have the same flat index; kernel offset k then adds the
    whole block at a constant shift. The padding columns are zero and add nothing."""
    n, o = g.shape[:2]
    cg = w.shape[1]
    c = cg * geo.groups
    xp_size = _padded_x_size(geo)
    wide = (geo.g_size[0],) + xp_size[1:]
    if wide != geo.g_size:
        gw = np.zeros((n, o) + wide, g.dtype)
        gw[(Ellipsis, *(slice(0, s) for s in geo.g_size))] = g
        g = gw
    length = math.prod(wide)
    wt = w.reshape(geo.groups, o // geo.groups, cg * math.prod(geo.k_size)).swapaxes(-1, -2)
    dcols = np.matmul(wt, g.reshape(n, geo.groups, o // geo.groups, length))   # (N, G, Cg*K, L)
    dcols = dcols.reshape(n, c, math.prod(geo.k_size), length)
    flat_stride = [math.prod(xp_size[i + 1:]) for i in range(len(xp_size))]
    shifts = [sum(k * d * f for k, d, f in zip(offs, geo.dilation, flat_stride)) for offs in np.ndindex(*geo.k_size)]
    plane = math.prod(xp_size)
    xp = np.zeros((n, c, max(plane, max(shifts) + length)), g.dtype)
    for j, shift in enumerate(shifts):
        xp[:, :, shift:shift + length] += dcols[:, :, j]
    xp = xp[:, :, :plane].reshape((n, c) + xp_size)
    return np.ascontiguousarray(cropped(xp, geo.pad_lo, geo.x_size))


# slot -> (its two operands in call order, kernel)
_SLOTS = {"g": ("x", "w", _conv), "x": ("g", "w", _input_grad), "w": ("x", "g", _weight_grad)}

WINDOW_BYTES = 1 << 27   # window matrices are built for at most this many bytes of the batch at a time


def window_bytes(channels: int, geo: Geometry, itemsize: int) -> int:
    """Bytes of one sample's window matrix (C * K * P elements)."""
    return channels * math.prod(geo.k_size) * math.prod(geo.g_size) * itemsize


def _run(slot: str, a, b, geo: Geometry, cols=None):
    """The slot's kernel on arrays, over batch chunks when the whole batch's windows would be too big."""
    kernel = _SLOTS[slot][2]
    n = a.shape[0]
    channels = b.shape[1] * geo.groups if slot == "x" else a.shape[1]
    per = window_bytes(channels, geo, a.itemsize)
    if cols is not None or n * per <= WINDOW_BYTES or n == 1:
        return kernel(a, b, geo, cols)
    step = max(1, WINDOW_BYTES // per)
    parts = range(0, n, step)
    if slot == "w":   # both operands carry the batch: the weight gradient sums over it
        return sum(kernel(a[i:i + step], b[i:i + step], geo) for i in parts)
    return np.concatenate([kernel(a[i:i + step], b, geo) for i in parts])


def tri(slot: str, geo: Geometry, a, b, cols=None):
    """Slot `slot` of the convolution form from its two operands (arrays, or Tensors: then recorded)."""
    if isinstance(a, Tensor) or isinstance(b, Tensor):
        a = a if isinstance(a, Tensor) else wrap(a)
        b = b if isinstance(b, Tensor) else wrap(b)
        return record(ConvolutionBackwardBackward0, _run(slot, a._data, b._data, geo, cols), (a, b), (a, b),
                      {"slot": slot, "geo": geo})
    return _run(slot, a, b, geo, cols)


class ConvolutionBackward0(Node):
    """Gradients of slot `slot` = K(a, b) (+ bias): each is the slot it stands in for, computed from
    the incoming gradient and the other operand."""

    cols = None   # the windows of x, kept from the forward for the weight gradient

    def backward(self, grad, a, b):
        slot, geo = self.slot, self.geo
        name_a, name_b, _ = _SLOTS[slot]
        nxt = self._next
        ga = gb = gbias = None
        if nxt[0] is not None:
            ga = tri(name_a, geo, *_operands(name_a, slot, grad, name_b, b))
        if nxt[1] is not None:
            gb = tri(name_b, geo, *_operands(name_b, slot, grad, name_a, a), cols=self.cols)
        if len(nxt) == 3 and nxt[2] is not None:
            gbias = dual.sum(grad, (0,) + tuple(range(2, dual.data(grad).ndim)))
        return ga, gb, gbias

    def release(self) -> None:
        super().release()
        if self.cols is not None:
            SPARES.give(self.cols)
        self.cols = None


class ConvolutionBackwardBackward0(ConvolutionBackward0):
    pass


def _operands(target: str, n1: str, v1, n2: str, v2) -> tuple:
    """The values of named slots (n1, v1), (n2, v2) in the call order of `target`'s kernel."""
    first = _SLOTS[target][0]
    return (v1, v2) if first == n1 else (v2, v1)


# -- argument handling (torch's checks and messages) ----------------------------------------------

def expand_param(value, nd: int, name: str) -> tuple:
    """An int or a sequence of nd ints (a 1-sequence repeats) as an nd-tuple."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return (int(value),) * nd
    if isinstance(value, Tensor):
        value = value.tolist()
    if not isinstance(value, (tuple, list)) or not all(isinstance(v, (int, np.integer)) for v in value):
        raise TypeError(f"{name} must be an int or a tuple of ints, but got {value!r}")
    value = tuple(int(v) for v in value)
    if len(value) == 1:
        return value * nd
    if len(value) != nd:
        raise RuntimeError(f"expected {name} to be a single integer value or a list of {nd} values to match the "
                           f"convolution dimensions, but got {name}={list(value)}")
    return value


def _dtype_word(np_dt) -> str:
    return {"float32": "float", "float64": "double", "float16": "c10::Half"}.get(np.dtype(np_dt).name,
                                                                               np.dtype(np_dt).name)


def _legacy(np_dt) -> str:
    from .._tensor import legacy_type_name
    return legacy_type_name(wrap(np.empty(0, np_dt)))


def _check_common(x: np.ndarray, w: np.ndarray, bias, stride, padding, dilation, groups) -> None:
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(p < 0 for p in padding):
        raise RuntimeError("negative padding is not supported")
    if any(d <= 0 for d in dilation):
        raise RuntimeError("non-positive dilation is not supported")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    if x.dtype != w.dtype:
        raise RuntimeError(f"Input type ({_legacy(x.dtype)}) and weight type ({_legacy(w.dtype)}) should be the same "
                           f"or input should be a MKLDNN tensor and weight is a dense tensor")
    if bias is not None and bias._data.dtype != x.dtype:
        raise RuntimeError(f"Input type ({_dtype_word(x.dtype)}) and bias type ({_dtype_word(bias._data.dtype)}) "
                           f"should be the same")


def _check_bias(bias, w: np.ndarray, out_channels: int) -> None:
    if bias is not None and (bias._data.ndim != 1 or bias._data.shape[0] != out_channels):
        raise RuntimeError(f"Given weight of size {list(w.shape)}, expected bias to be 1-dimensional with "
                           f"{out_channels} elements, but got bias of size {list(bias._data.shape)} instead")


def _size_str(size) -> str:
    return " x ".join(map(str, size))


def _batched(input: Tensor, nd: int, name: str):
    """(input with a batch dim, whether one was added); torch's message for a wrong rank."""
    d = input.dim()
    if d == nd + 2:
        return input, False
    if d == nd + 1:
        return input.unsqueeze(0), True
    raise RuntimeError(f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to {name}, but got input of "
                       f"size: {list(input.shape)}")


def _same_padding(k, dilation, stride) -> tuple:
    if any(s != 1 for s in stride):
        raise RuntimeError("padding='same' is not supported for strided convolutions")
    total = tuple(d * (kk - 1) for kk, d in zip(k, dilation))
    if any(t % 2 for t in total):
        import warnings
        warnings.warn("Using padding='same' with even kernel lengths and odd dilation may require a zero-padded copy "
                      "of the input be created", UserWarning, stacklevel=4)
    lo = tuple(t // 2 for t in total)
    return lo, tuple(t - l for t, l in zip(total, lo))


def _record_conv(slot, geo, a: Tensor, b: Tensor, bias, data, cols=None) -> Tensor:
    if bias is not None:
        data += bias._data.reshape((-1,) + (1,) * len(geo.k_size))
        inputs = (a, b, bias)
    else:
        inputs = (a, b)
    return record(ConvolutionBackward0, data, inputs, (a, b), {"slot": slot, "geo": geo, "cols": cols})


def _conv_operands(nd: int, name: str, input: Tensor, weight: Tensor, stride):
    """The batched input (and whether it was not), both arrays and the stride, after the weight's rank check."""
    x4, unbatched = _batched(input, nd, name)
    w = weight._data
    if w.ndim != nd + 2:
        raise RuntimeError(f"expected stride to be a single integer value or a list of {w.ndim - 2} values to match "
                           f"the convolution dimensions, but got stride={list(expand_param(stride, nd, 'stride'))}")
    return x4, unbatched, x4._data, w, expand_param(stride, nd, "stride")


def conv(nd: int, input: Tensor, weight: Tensor, bias, stride, padding, dilation, groups) -> Tensor:
    """F.conv{nd}d."""
    name = f"conv{nd}d"
    x4, unbatched, x, w, stride = _conv_operands(nd, name, input, weight, stride)
    dilation = expand_param(dilation, nd, "dilation")
    k = w.shape[2:]
    if isinstance(padding, str):
        if padding == "valid":
            lo = hi = (0,) * nd
        elif padding == "same":
            lo, hi = _same_padding(k, dilation, stride)
        else:
            raise RuntimeError(f"Invalid padding string: '{padding}'")
    else:
        lo = hi = expand_param(padding, nd, "padding")
    _check_common(x, w, bias, stride, lo, dilation, groups)
    o = w.shape[0]
    if o < groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be at least {groups} at dimension 0, but got "
                           f"weight of size {list(w.shape)} instead")
    if o % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, but "
                           f"got weight of size [{list(w.shape)}] instead")
    if x.shape[1] != w.shape[1] * groups:
        raise RuntimeError(f"Given groups={groups}, weight of size {list(w.shape)}, expected input{list(x.shape)} to "
                           f"have {w.shape[1] * groups} channels, but got {x.shape[1]} channels instead")
    _check_bias(bias, w, o)
    size = x.shape[2:]
    padded_size = tuple(s + a + b for s, a, b in zip(size, lo, hi))
    span = tuple(d * (kk - 1) + 1 for kk, d in zip(k, dilation))
    if any(p < s for p, s in zip(padded_size, span)):
        raise RuntimeError(f"Calculated padded input size per channel: ({_size_str(padded_size)}). Kernel size: "
                           f"({_size_str(span)}). Kernel size can't be greater than actual input size")
    out = tuple((p - s) // st + 1 for p, s, st in zip(padded_size, span, stride))
    geo = Geometry(stride, dilation, lo, hi, groups, tuple(size), out, tuple(k))
    small = x.shape[0] * window_bytes(x.shape[1], geo, x.itemsize) <= WINDOW_BYTES
    cols = im2col(x, geo) if small else None
    keep = cols if weight._requires_grad else None    # the weight gradient reuses x's windows
    result = _record_conv("g", geo, x4, weight, bias, _run("g", x, w, geo, cols), keep)
    if cols is not None and (keep is None or result.grad_fn is None):   # not kept by a node: spare now
        SPARES.give(cols)
    return result.squeeze(0) if unbatched else result


def conv_transpose(nd: int, input: Tensor, weight: Tensor, bias, stride, padding, output_padding, groups,
                   dilation) -> Tensor:
    """F.conv_transpose{nd}d: the input gradient of the convolution with weight, as a forward op."""
    name = f"conv_transpose{nd}d"
    if isinstance(padding, str):
        raise TypeError(f"{name}(): argument 'padding' must be tuple of ints, not str")
    x4, unbatched, x, w, stride = _conv_operands(nd, name, input, weight, stride)
    padding = expand_param(padding, nd, "padding")
    dilation = expand_param(dilation, nd, "dilation")
    output_padding = expand_param(output_padding, nd, "output_padding")
    _check_common(x, w, bias, stride, padding, dilation, groups)
    if any(op >= s and op >= d for op, s, d in zip(output_padding, stride, dilation)):
        dims = "height width".split() if nd == 2 else [f"{i}" for i in range(nd)]
        parts = [f"output_padding_{dn}: {v}" for dn, v in zip(dims, output_padding)]
        parts += [f"stride_{dn}: {v}" for dn, v in zip(dims, stride)]
        parts += [f"dilation_{dn}: {v}" for dn, v in zip(dims, dilation)]
        raise RuntimeError("output padding must be smaller than either stride or dilation, but got " + " ".join(parts))
    cin = w.shape[0]
    if cin % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, but "
                           f"got weight of size [{list(w.shape)}] instead")
    if x.shape[1] != cin:
        raise RuntimeError(f"Given transposed=1, weight of size {list(w.shape)}, expected input{list(x.shape)} to have "
                           f"{cin} channels, but got {x.shape[1]} channels instead")
    cout = w.shape[1] * groups
    _check_bias(bias, w, cout)
    k = w.shape[2:]
    size = x.shape[2:]
    out = tuple((i - 1) * s - 2 * p + d * (kk - 1) + op + 1
                for i, s, p, d, kk, op in zip(size, stride, padding, dilation, k, output_padding))
    if any(o <= 0 for o in out):
        raise RuntimeError(f"Given input size per channel: ({_size_str(size)}). Calculated output size per channel: "
                           f"({_size_str(out)}). Output size is too small")
    geo = Geometry(stride, dilation, padding, padding, groups, out, tuple(size), tuple(k))
    result = _record_conv("x", geo, x4, weight, bias, _run("x", x, w, geo))
    return result.squeeze(0) if unbatched else result


# -- unfold / fold (torch's im2col / col2im) ------------------------------------------------------

class Im2ColBackward0(Node):
    def backward(self, g):
        return fold_any(g, self.geo),


class Col2ImBackward0(Node):
    def backward(self, g):
        return unfold_any(g, self.geo),


def _unfold_array(x: np.ndarray, geo: Geometry) -> np.ndarray:
    if x.ndim == 3:   # unbatched
        return _unfold_array(x[None], geo)[0]
    win = windows(padded(x, geo.pad_lo, geo.pad_hi), geo.k_size, geo.stride, geo.dilation, geo.g_size)
    return win.reshape(x.shape[0], -1, math.prod(geo.g_size))


def _fold_array(cols: np.ndarray, geo: Geometry) -> np.ndarray:
    if cols.ndim == 2:   # unbatched
        return _fold_array(cols[None], geo)[0]
    n = cols.shape[0]
    cols = cols.reshape((n, -1) + geo.k_size + geo.g_size)
    xp = col2im(cols, _padded_x_size(geo), geo.k_size, geo.stride, geo.dilation, geo.g_size)
    return np.ascontiguousarray(cropped(xp, geo.pad_lo, geo.x_size))


def unfold_any(x, geo: Geometry):
    if isinstance(x, Tensor):
        return record(Im2ColBackward0, _unfold_array(x._data, geo), (x,), attrs={"geo": geo})
    return _unfold_array(x, geo)


def fold_any(cols, geo: Geometry):
    if isinstance(cols, Tensor):
        return record(Col2ImBackward0, _fold_array(cols._data, geo), (cols,), attrs={"geo": geo})
    return _fold_array(cols, geo)


def _pairs(kernel_size, dilation, padding, stride):
    return (expand_param(kernel_size, 2, "kernel_size"), expand_param(dilation, 2, "dilation"),
            expand_param(padding, 2, "padding"), expand_param(stride, 2, "stride"))


def _check_fold_args(k, d, p, s) -> None:
    if any(v <= 0 for v in k):
        raise RuntimeError(f"kernel size should be greater than zero, but got kernel_height: {k[0]} kernel_width: "
                           f"{k[1]}")
    if any(v <= 0 for v in d):
        raise RuntimeError(f"dilation should be greater than zero, but got dilation_height: {d[0]} dilation_width: "
                           f"{d[1]}")
    if any(v < 0 for v in p):
        raise RuntimeError(f"padding should be non-negative, but got pad_height: {p[0]} pad_width: {p[1]}")
    if any(v <= 0 for v in s):
        raise RuntimeError(f"stride should be greater than zero, but got stride_height: {s[0]} stride_width: {s[1]}")


def unfold(input: Tensor, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """F.unfold: (N, C, H, W) -> (N, C * kh * kw, L) sliding blocks."""
    k, d, p, s = _pairs(kernel_size, dilation, padding, stride)
    _check_fold_args(k, d, p, s)
    d_in = input.dim()
    if d_in < 3:   # torch reads dim d_in - 1 + 1 before checking the rank
        raise IndexError(f"Dimension out of range (expected to be in range of [{-max(d_in, 1)}, {max(d_in, 1) - 1}], "
                         f"but got {d_in})")
    if d_in > 4:
        raise RuntimeError(f"Expected 3D or 4D (batch mode) tensor with possibly 0 batch size and other non-zero "
                           f"dimensions for input, but got: {list(input.shape)}")
    size = tuple(input.shape[-2:])
    out = tuple((n + 2 * pp - dd * (kk - 1) - 1) // ss + 1 for n, pp, dd, kk, ss in zip(size, p, d, k, s))
    if any(o < 1 for o in out):
        raise RuntimeError(f"Given input with spatial size ({size[0]}, {size[1]}), kernel_size=({k[0]}, {k[1]}), "
                           f"dilation=({d[0]}, {d[1]}), padding=({p[0]}, {p[1]}), calculated shape of the array of "
                           f"sliding blocks as ({out[0]}, {out[1]}), but its components must be at least one.")
    return unfold_any(input, Geometry(s, d, p, p, 1, size, out, k))


def fold(input: Tensor, output_size, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """F.fold: the adjoint of unfold, (N, C * kh * kw, L) -> (N, C, *output_size), overlaps summed."""
    size = expand_param(output_size, 2, "output_size")
    k, d, p, s = _pairs(kernel_size, dilation, padding, stride)
    _check_fold_args(k, d, p, s)
    if input.dim() not in (2, 3):
        raise RuntimeError(f"Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch size and non-zero "
                           f"dimensions for input, but got: {list(input.shape)}")
    kk = k[0] * k[1]
    c_k, blocks = tuple(input.shape[-2:])
    if c_k % kk:
        raise RuntimeError(f"Expected size of input's dimension 1 to be divisible by the product of kernel_size, but "
                           f"got input.size(1)={c_k} and kernel_size=({k[0]}, {k[1]}).")
    out = tuple((n + 2 * pp - dd * (kq - 1) - 1) // ss + 1 for n, pp, dd, kq, ss in zip(size, p, d, k, s))
    if blocks != out[0] * out[1]:
        raise RuntimeError(f"Given output_size=({size[0]}, {size[1]}), kernel_size=({k[0]}, {k[1]}), dilation=({d[0]},"
                           f" {d[1]}), padding=({p[0]}, {p[1]}), stride=({s[0]}, {s[1]}), expected size of input's "
                           f"dimension 2 to match the calculated number of sliding blocks {out[0]} * {out[1]} = "
                           f"{out[0] * out[1]}, but got input.size(2)={blocks}.")
    return fold_any(input, Geometry(s, d, p, p, 1, size, out, k))
