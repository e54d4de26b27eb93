"""F.affine_grid and F.grid_sample (torch's grid_sampler kernels), for 2 and 3 spatial dims.

grid_sample reads each output point as a weighted sum of input taps: per
spatial dim a list of (index, weight, d weight / d position) taps (2 for
bilinear, 1 for nearest, 4 for bicubic), multiplied out over the dims. The
forward gathers the taps, the backward scatters g into the input with the same
weights and sums value * d weight for the grid. Padding follows torch: for
bilinear and nearest the continuous source position is clipped or reflected
(with its derivative), for bicubic each tap's index is.

The first derivative matches torch's; grid_sample's double backward is not
implemented (torch has one).
"""
from __future__ import annotations

import itertools
import warnings

import numpy as np

from .._ops import dual
from .._ops._core import record, record_multi
from .._ops.pointwise import _dtype_name, not_implemented_for
from .._tensor import Tensor, wrap
from ..autograd.graph import Node

__all__ = ["affine_grid", "grid_sample"]

_MODES = {"bilinear": 0, "nearest": 1, "bicubic": 2}
_PADDINGS = {"zeros": 0, "border": 1, "reflection": 2}
_CUBIC_A = -0.75


def _warn_align_corners() -> bool:
    warnings.warn("Default grid_sample and affine_grid behavior has changed to align_corners=False since 1.3.0. "
                  "Please specify align_corners=True if the old behavior is desired. See the documentation of "
                  "grid_sample for details.", stacklevel=3)
    return False


# ======================================================================================
# affine_grid
# ======================================================================================

def _base_grid(spatial, align_corners: bool, dtype) -> np.ndarray:
    """(prod(spatial), D + 1): each output point's normalized coordinates (x first) and a 1."""
    axes = []
    for n in spatial:
        ax = np.linspace(-1, 1, n, dtype=np.float64) if n > 1 else np.zeros(1)
        axes.append(ax if align_corners else ax * (n - 1) / n)
    mesh = np.meshgrid(*axes, indexing="ij")                 # spatial order (z, y, x)
    cols = [m.reshape(-1) for m in reversed(mesh)] + [np.ones(mesh[0].size)]
    return np.stack(cols, 1).astype(dtype)


class AffineGridGeneratorBackward0(Node):
    def backward(self, g):
        n, d1 = self.theta_shape[0], self.base.shape[1]
        g2 = dual.reshape(g, (n, -1, d1 - 1))
        return dual.transpose(g2, 1, 2) @ (wrap(self.base) if dual.is_tensor(g) else self.base),


def affine_grid(theta: Tensor, size, align_corners=None) -> Tensor:
    """The sampling grid (N, *spatial, D) of the affine maps theta (N, D, D + 1) over an output of `size`."""
    if align_corners is None:
        align_corners = _warn_align_corners()
    if theta._data.dtype.kind != "f":
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    if len(size) == 4:
        want, what = (2, 3), "2D affine matrices of shape Nx2x3"
    elif len(size) == 5:
        want, what = (3, 4), "3D affine matrices of shape Nx3x4"
    else:
        raise NotImplementedError(f"affine_grid only supports 4D and 5D sizes, for 2D and 3D affine transforms, "
                                  f"respectively. Got size {size}.")
    if theta.dim() != 3 or tuple(theta.shape[-2:]) != want:
        raise ValueError(f"Expected a batch of {what} for size {size}. Got {theta.shape}.")
    if align_corners and min(list(size)[2:]) == 1:
        warnings.warn("Since version 1.3.0, affine_grid behavior has changed for unit-size grids when "
                      "align_corners=True. This is not an intended use case of affine_grid. See the documentation "
                      "of affine_grid for details.", stacklevel=2)
    elif min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {size}")
    base = _base_grid(list(size)[2:], align_corners, theta._data.dtype)
    out = np.matmul(base, np.swapaxes(theta._data, 1, 2)).reshape(size[0], *list(size)[2:], len(size) - 2)
    return record(AffineGridGeneratorBackward0, out, (theta,), (),
                  {"base": base, "theta_shape": theta._data.shape})


# ======================================================================================
# grid_sample: source positions and padding
# ======================================================================================

def _unnormalize(g, size: int, align_corners: bool):
    """(position in input pixels, d position / d g)."""
    if align_corners:
        return (g + 1) / 2 * (size - 1), (size - 1) / 2
    return ((g + 1) * size - 1) / 2, size / 2


def _clip(pos, size: int):
    """pos clipped to [0, size - 1]; derivative 0 at and beyond the ends (as torch)."""
    inside = (pos > 0) & (pos < size - 1)
    return np.clip(pos, 0, size - 1), inside.astype(pos.dtype)


def _reflect(pos, twice_low: int, twice_high: int):
    """pos reflected into [low, high] off its ends, and d/d pos (+1 or -1)."""
    if twice_low == twice_high:
        return np.zeros_like(pos), np.zeros_like(pos)
    low, span = twice_low / 2, (twice_high - twice_low) / 2
    shifted = pos - low
    sign = np.where(shifted < 0, -1.0, 1.0)
    shifted = np.abs(shifted)
    extra = np.fmod(shifted, span)
    odd = np.floor(shifted / span) % 2 == 1
    return np.where(odd, span - extra + low, extra + low), np.where(odd, -sign, sign)


def _pad(pos, size: int, padding: int, align_corners: bool):
    """torch's compute_source_index: (position after padding, its derivative)."""
    if padding == 0:
        return pos, np.ones_like(pos)
    d = np.ones_like(pos)
    if padding == 2:
        pos, d = _reflect(pos, 0, 2 * (size - 1)) if align_corners else _reflect(pos, -1, 2 * size - 1)
    pos, dclip = _clip(pos, size)
    return pos, d * dclip


def _cubic_taps(t):
    """The 4 bicubic coefficients at fraction t, and their derivatives."""
    a = _CUBIC_A

    def near(x):
        return ((a + 2) * x - (a + 3)) * x * x + 1, (3 * (a + 2) * x - 2 * (a + 3)) * x

    def far(x):
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a, (3 * a * x - 10 * a) * x + 8 * a
    (w0, d0), (w1, d1), (w2, d2), (w3, d3) = far(t + 1), near(t), near(1 - t), far(2 - t)
    return (w0, w1, w2, w3), (d0, d1, -d2, -d3)


def _axis_taps(g, size: int, mode: int, padding: int, align_corners: bool):
    """[(int index, weight, d weight / d g)] for one spatial axis."""
    pos, scale = _unnormalize(g, size, align_corners)
    if mode == 2:
        base = np.floor(pos)
        weights, dweights = _cubic_taps(pos - base)
        taps = []
        for k in range(4):
            idx = base - 1 + k
            if padding:
                idx = _pad(idx, size, padding, align_corners)[0]
            taps.append((idx, weights[k], dweights[k] * scale))
        return taps
    pos, dpos = _pad(pos, size, padding, align_corners)
    if mode == 1:
        return [(np.rint(pos), np.ones_like(pos), np.zeros_like(pos))]
    base = np.floor(pos)
    t = pos - base
    return [(base, 1 - t, -dpos * scale), (base + 1, t, dpos * scale)]


def _taps(grid: np.ndarray, spatial, mode, padding, align_corners):
    """Every tap of every output point: (flat input index, in-bounds mask, weight, [d weight / d g_k])."""
    ndim = len(spatial)
    per_axis = [_axis_taps(grid[..., ndim - 1 - d], spatial[d], mode, padding, align_corners)
                for d in range(ndim)]
    out = []
    for combo in itertools.product(*per_axis):
        flat = np.zeros(combo[0][0].shape, np.int64)
        ok = np.ones(flat.shape, bool)
        weight = np.ones(flat.shape)
        for d, (idx, w, _) in enumerate(combo):
            # an out-of-range or NaN position is masked (its index is replaced before the cast)
            inside = (idx >= 0) & (idx <= spatial[d] - 1)
            ok &= inside
            flat = flat * spatial[d] + np.where(inside, idx, 0).astype(np.int64)
            weight = weight * w
        dweights = []
        for d in range(ndim):
            dw = combo[d][2]
            for e, (_, w, _) in enumerate(combo):
                if e != d:
                    dw = dw * w
            dweights.append(dw)
        out.append((flat, ok, weight, dweights))
    return out


# ======================================================================================
# grid_sample: kernel and node
# ======================================================================================

def _gather(x, flat, ok):
    """x (N, C, L) at flat (N, P) -> (N, C, P), zero where not ok."""
    n = x.shape[0]
    vals = x[np.arange(n)[:, None, None], np.arange(x.shape[1])[None, :, None], flat[:, None, :]]
    return vals * ok[:, None, :]


def length_out(grid: np.ndarray) -> int:
    return int(np.prod(grid.shape[1:-1]))


class _GridSamplerBackward(Node):
    def backward(self, g, x, grid):
        gd = dual.data(g)
        xd, gridd = dual.data(x), dual.data(grid)
        n, c = xd.shape[:2]
        length = int(np.prod(xd.shape[2:]))
        go = gd.reshape(n, c, -1).astype(np.float64)
        xf = xd.reshape(n, c, length).astype(np.float64)
        gx = np.zeros((n, c, length))
        ndim = gridd.shape[-1]
        ggrid = np.zeros((n, length_out(gridd), ndim))
        need_x, need_grid = self._next[0] is not None, self._next[1] is not None
        for flat, ok, weight, dweights in self.taps:
            if need_x:
                w = (weight * ok)[:, None, :] * go
                pos = (np.arange(n)[:, None, None] * c + np.arange(c)[None, :, None]) * length + flat[:, None, :]
                gx += np.bincount(pos.ravel(), w.ravel(), n * c * length).reshape(n, c, length)
            if need_grid and self.mode != 1:
                vg = (_gather(xf, flat, ok) * go).sum(1)
                for d in range(ndim):
                    ggrid[..., ndim - 1 - d] += vg * dweights[d]
        gx = gx.reshape(xd.shape).astype(xd.dtype) if need_x else None
        ggrid = ggrid.reshape(gridd.shape).astype(gridd.dtype) if need_grid else None
        if dual.is_tensor(g):
            return _no_double(gx, ggrid, g, x, grid)
        return gx, ggrid


GridSampler2DBackward0 = type("GridSampler2DBackward0", (_GridSamplerBackward,), {})
GridSampler3DBackward0 = type("GridSampler3DBackward0", (_GridSamplerBackward,), {})


class GridSampler2DBackwardBackward0(Node):
    multi_output = True

    def backward(self, grads):
        raise NotImplementedError("numtorch does not implement the double backward of grid_sample")


def _no_double(gx, ggrid, *inputs):
    """The gradients, recorded so that differentiating them again raises."""
    present = [a for a in (gx, ggrid) if a is not None]
    outs = iter(record_multi(GridSampler2DBackwardBackward0, present,
                             tuple(t for t in inputs if isinstance(t, Tensor) and t._requires_grad)))
    return tuple(next(outs) if a is not None else None for a in (gx, ggrid))


def grid_sample(input: Tensor, grid: Tensor, mode: str = "bilinear", padding_mode: str = "zeros",
                align_corners=None) -> Tensor:
    """Sample input (N, C, *spatial) at the normalized positions grid (N, *out, D), x first."""
    if mode not in _MODES:
        raise ValueError(f"nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' or 'bicubic', "
                         f"but got: '{mode}'")
    if padding_mode not in _PADDINGS:
        raise ValueError(f"nn.functional.grid_sample(): expected padding_mode to be 'zeros', 'border', or "
                         f"'reflection', but got: '{padding_mode}'")
    if align_corners is None:
        align_corners = _warn_align_corners()
    x, gr = input._data, grid._data
    _check(x, gr, mode)
    spatial = x.shape[2:]
    n, c = x.shape[:2]
    out_spatial = gr.shape[1:-1]
    taps = _taps(gr.reshape(n, -1, gr.shape[-1]).astype(np.float64), spatial, _MODES[mode],
                 _PADDINGS[padding_mode], align_corners)
    xf = x.reshape(n, c, -1).astype(np.float64)
    out = np.zeros((n, c, int(np.prod(out_spatial))))
    for flat, ok, weight, _ in taps:
        out += _gather(xf, flat, ok) * weight[:, None, :]
    node = GridSampler2DBackward0 if x.ndim == 4 else GridSampler3DBackward0
    return record(node, out.reshape(n, c, *out_spatial).astype(x.dtype), (input, grid), (input, grid),
                  {"taps": taps, "mode": _MODES[mode]})


def _check(x, gr, mode: str) -> None:
    """torch's checks, in its order."""
    if x.dtype != gr.dtype:
        raise RuntimeError(f"expected scalar type {_dtype_name(x.dtype)} but found {_dtype_name(gr.dtype)}")
    sizes = f"input with sizes {list(x.shape)} and grid with sizes {list(gr.shape)}"
    if x.shape[0] != gr.shape[0]:
        raise RuntimeError(f"grid_sampler(): expected grid and input to have same batch size, but got {sizes}")
    if gr.shape[-1] != x.ndim - 2:
        raise RuntimeError(f"grid_sampler(): expected grid to have size {x.ndim - 2} in last dimension, but got grid "
                           f"with sizes {list(gr.shape)}")
    for i in range(2, x.ndim):
        if x.shape[i] <= 0:
            raise RuntimeError(f"grid_sampler(): expected input to have non-empty spatial dimensions, but input has "
                               f"sizes {list(x.shape)} with dimension {i} being empty")
    if x.ndim not in (4, 5) or gr.ndim != x.ndim:
        raise RuntimeError(f"grid_sampler(): expected 4D or 5D input and grid with same number of dimensions, but "
                           f"got {sizes}")
    if mode == "bicubic" and x.ndim != 4:
        raise RuntimeError("grid_sampler(): bicubic interpolation only supports 4D input")
    if x.dtype.kind != "f" or x.dtype == np.float16:
        raise not_implemented_for("grid_sampler_2d_cpu_kernel_impl" if x.ndim == 4 else "grid_sampler3d_cpu",
                                  x.dtype)
