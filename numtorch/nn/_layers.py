"""torch.nn.functional's convolution, pooling, normalization, dropout, embedding and resampling forms.

Argument handling and torch's checks live here; the kernels and their graph nodes live in _conv,
_pool, _norm, _resample and _embedding. numtorch.nn.functional re-exports everything in __all__.
"""
from __future__ import annotations

import math
import numbers
import warnings

import numpy as np

from .._dtype import finfo
from .._tensor import Tensor, wrap
from . import _conv, _embedding, _norm, _pool, _resample

__all__ = [
    "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "unfold", "fold",
    "max_pool1d", "max_pool2d", "max_pool3d", "max_pool1d_with_indices", "max_pool2d_with_indices",
    "max_pool3d_with_indices", "max_unpool1d", "max_unpool2d", "max_unpool3d", "avg_pool1d", "avg_pool2d",
    "avg_pool3d", "lp_pool1d", "lp_pool2d", "lp_pool3d",
    "adaptive_max_pool1d", "adaptive_max_pool2d", "adaptive_max_pool3d", "adaptive_max_pool1d_with_indices",
    "adaptive_max_pool2d_with_indices", "adaptive_max_pool3d_with_indices", "adaptive_avg_pool1d",
    "adaptive_avg_pool2d", "adaptive_avg_pool3d",
    "batch_norm", "instance_norm", "layer_norm", "group_norm", "rms_norm", "local_response_norm", "normalize",
    "dropout1d", "dropout2d", "dropout3d", "alpha_dropout", "feature_alpha_dropout",
    "embedding", "embedding_bag", "one_hot",
    "pad", "interpolate", "upsample", "upsample_nearest", "upsample_bilinear", "pixel_shuffle", "pixel_unshuffle",
    "channel_shuffle", "native_channel_shuffle",
]


def _float_only(input: Tensor, kernel: str) -> None:
    if input._data.dtype.kind != "f":
        from .._ops.pointwise import not_implemented_for
        raise not_implemented_for(kernel, input._data.dtype)


# ======================================================================================
# Convolution
# ======================================================================================

def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor:
    return _conv.conv(1, input, weight, bias, stride, padding, dilation, groups)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor:
    return _conv.conv(2, input, weight, bias, stride, padding, dilation, groups)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor:
    return _conv.conv(3, input, weight, bias, stride, padding, dilation, groups)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1) -> Tensor:
    return _conv.conv_transpose(1, input, weight, bias, stride, padding, output_padding, groups, dilation)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1) -> Tensor:
    return _conv.conv_transpose(2, input, weight, bias, stride, padding, output_padding, groups, dilation)


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1) -> Tensor:
    return _conv.conv_transpose(3, input, weight, bias, stride, padding, output_padding, groups, dilation)


unfold = _conv.unfold
fold = _conv.fold


# ======================================================================================
# Pooling
# ======================================================================================

def _one(value, name: str, what: str) -> int:
    if isinstance(value, (tuple, list)):
        if len(value) != 1:
            raise RuntimeError(f"{name}: {what} must be an int or a tuple of a single int")
        return int(value[0])
    return int(value)


def _as_2d_pool(input: Tensor, name: str, kernel_size, stride, padding, dilation):
    """1-d pooling args as 2-d ones on input.unsqueeze(-2), with torch's 1-d checks."""
    if input.dim() not in (2, 3):
        raise RuntimeError(f"{name}: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size for input, "
                           f"but got:{list(input.shape)}")
    k = _one(kernel_size, name, "kernel_size")
    s = k if stride is None or stride == [] or stride == () else _one(stride, name, "stride")
    p, d = _one(padding, name, "padding"), _one(dilation, name, "dilation")
    if s <= 0:
        raise RuntimeError(f"{name}() stride must be greater than zero, but got {s}")
    if p < 0:
        raise RuntimeError(f"{name}() padding must be non-negative, but got {p}")
    if p > k // 2:
        raise RuntimeError(f"{name}() padding should be at most half of kernel size, but got padding={p} and "
                           f"kernel_size={k}")
    if d <= 0:
        raise RuntimeError(f"{name}() dilation must be greater than zero, but got {d}")
    return input.unsqueeze(-2), (1, k), (1, s), (0, p), (1, d)


def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=False):
    x, k, s, p, d = _as_2d_pool(input, "max_pool1d", kernel_size, stride, padding, dilation)
    out, idx = _pool.max_pool(2, x, k, s, p, d, ceil_mode, True, "max_pool1d")
    return out.squeeze(-2), idx.squeeze(-2)


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    out, idx = max_pool1d_with_indices(input, kernel_size, stride, padding, dilation, ceil_mode)
    return (out, idx) if return_indices else out


def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=False):
    return _pool.max_pool(2, input, kernel_size, stride, padding, dilation, ceil_mode, True, "max_pool2d")


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    return _pool.max_pool(2, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, "max_pool2d")


def max_pool3d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=False):
    return _pool.max_pool(3, input, kernel_size, stride, padding, dilation, ceil_mode, True, "max_pool3d")


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    return _pool.max_pool(3, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, "max_pool3d")


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True) -> Tensor:
    if input.dim() not in (2, 3):
        raise RuntimeError(f"Expected 2 to 3 dimensions, but got {input.dim()}-dimensional tensor for argument #1 "
                           f"'self' (while checking arguments for avg_pool1d)")
    k = _one(kernel_size, "avg_pool1d", "kernel_size")
    s = k if stride is None or stride == [] or stride == () else _one(stride, "avg_pool1d", "stride")
    p = _one(padding, "avg_pool1d", "padding")
    out = _pool.avg_pool(2, input.unsqueeze(-2), (1, k), (1, s), (0, p), ceil_mode, count_include_pad, None,
                         "avg_pool1d")
    return out.squeeze(-2)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None) -> Tensor:
    return _pool.avg_pool(2, input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override,
                          "avg_pool2d")


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None) -> Tensor:
    return _pool.avg_pool(3, input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override,
                          "avg_pool3d")


def _lp_pool(pool, max_pool, nd, input, norm_type, kernel_size, stride, ceil_mode):
    if norm_type == math.inf:
        return max_pool(input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    if norm_type == -math.inf:
        return -max_pool(-input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    out = pool(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    k = _pool._pool_tuple(kernel_size, nd, "lp_pool", "kernel_size")
    return (out.sign() * out.abs().relu()).mul(math.prod(k)).pow(1.0 / norm_type)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False) -> Tensor:
    return _lp_pool(avg_pool1d, max_pool1d, 1, input, norm_type, kernel_size, stride, ceil_mode)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False) -> Tensor:
    return _lp_pool(avg_pool2d, max_pool2d, 2, input, norm_type, kernel_size, stride, ceil_mode)


def lp_pool3d(input, norm_type, kernel_size, stride=None, ceil_mode=False) -> Tensor:
    return _lp_pool(avg_pool3d, max_pool3d, 3, input, norm_type, kernel_size, stride, ceil_mode)


def _unpool_output_size(input, k, s, p, output_size) -> tuple:
    nd = len(k)
    default = [(input.size(-nd + d) - 1) * s[d] + k[d] - 2 * p[d] for d in range(nd)]
    if output_size is None:
        return tuple(default)
    if len(output_size) == nd + 2:
        output_size = output_size[2:]
    if len(output_size) != nd:
        raise ValueError(f"output_size should be a sequence containing {nd} or {nd + 2} elements, but it has a length "
                         f"of '{len(output_size)}'")
    for d in range(nd):
        lo, hi = default[d] - s[d], default[d] + s[d]
        if not lo < output_size[d] < hi:
            raise ValueError(f'invalid output_size "{output_size}" (dim {d} must be between {lo} and {hi})')
    return tuple(int(v) for v in output_size)


def _max_unpool(nd: int, input, indices, kernel_size, stride, padding, output_size) -> Tensor:
    k = _pool._pool_tuple(kernel_size, nd, f"max_unpool{nd}d", "kernel_size")
    s = k if stride is None else _pool._pool_tuple(stride, nd, f"max_unpool{nd}d", "stride")
    p = _pool._pool_tuple(padding, nd, f"max_unpool{nd}d", "padding")
    size = _unpool_output_size(input, k, s, p, output_size)
    if nd == 1:   # torch runs 1-d unpooling as 2-d on (..., 1, L)
        return _max_unpool(2, input.unsqueeze(-2), indices.unsqueeze(-2), (1, k[0]), (1, s[0]), (0, p[0]),
                           (1,) + size).squeeze(-2)
    return _pool.max_unpool(nd, input, indices, size)


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None) -> Tensor:
    return _max_unpool(1, input, indices, kernel_size, stride, padding, output_size)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None) -> Tensor:
    return _max_unpool(2, input, indices, kernel_size, stride, padding, output_size)


def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None) -> Tensor:
    return _max_unpool(3, input, indices, kernel_size, stride, padding, output_size)


def _adaptive_1d(input: Tensor, output_size, name: str):
    if input.dim() not in (2, 3):
        raise RuntimeError(f"Expected 2 to 3 dimensions, but got {input.dim()}-dimensional tensor for argument #1 "
                           f"'self' (while checking arguments for {name})")
    return input.unsqueeze(-2), (1, _one(output_size, name, "output_size"))


def adaptive_max_pool1d_with_indices(input, output_size, return_indices=False):
    x, size = _adaptive_1d(input, output_size, "adaptive_max_pool1d")
    out, idx = _pool.adaptive_max_pool(2, x, size, True, "adaptive_max_pool1d")
    return out.squeeze(-2), idx.squeeze(-2)


def adaptive_max_pool1d(input, output_size, return_indices=False):
    out, idx = adaptive_max_pool1d_with_indices(input, output_size)
    return (out, idx) if return_indices else out


def adaptive_max_pool2d_with_indices(input, output_size, return_indices=False):
    return _pool.adaptive_max_pool(2, input, output_size, True, "adaptive_max_pool2d")


def adaptive_max_pool2d(input, output_size, return_indices=False):
    return _pool.adaptive_max_pool(2, input, output_size, return_indices, "adaptive_max_pool2d")


def adaptive_max_pool3d_with_indices(input, output_size, return_indices=False):
    return _pool.adaptive_max_pool(3, input, output_size, True, "adaptive_max_pool3d")


def adaptive_max_pool3d(input, output_size, return_indices=False):
    return _pool.adaptive_max_pool(3, input, output_size, return_indices, "adaptive_max_pool3d")


_ADAPTIVE_AVG = {2: _resample.node_pair("AdaptiveAvgPool2D"), 3: _resample.node_pair("AdaptiveAvgPool3D")}


def _adaptive_avg(nd: int, input: Tensor, output_size, name: str) -> Tensor:
    x = input._data
    if x.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(f"{name}(): Expected {nd + 1}D or {nd + 2}D tensor, but got {list(x.shape)}")
    _float_only(input, name)
    out = _pool.adaptive_out_size(output_size, x.shape[-nd:], nd, name)
    if any(z == 0 for z in x.shape[-nd - 1:]):
        empty = x.ndim - nd - 1 + list(x.shape[-nd - 1:]).index(0)
        raise RuntimeError(f"{name}(): Expected input to have non-zero size for non-batch dimensions, but input has "
                           f"sizes {list(x.shape)} with dimension {empty} being empty")
    if all(o == 1 for o in out):   # torch takes the mean here (grad_fn MeanBackward1)
        return input.mean(tuple(range(-nd, 0)), keepdim=True)
    maps = tuple(_resample.adaptive_avg_map(z, o) for z, o in zip(x.shape[-nd:], out))
    return _resample.resample(input, maps, _ADAPTIVE_AVG[nd])


def adaptive_avg_pool1d(input, output_size) -> Tensor:
    x, size = _adaptive_1d(input, output_size, "adaptive_avg_pool1d")
    return _adaptive_avg(2, x, size, "adaptive_avg_pool1d").squeeze(-2)


def adaptive_avg_pool2d(input, output_size) -> Tensor:
    return _adaptive_avg(2, input, output_size, "adaptive_avg_pool2d")


def adaptive_avg_pool3d(input, output_size) -> Tensor:
    return _adaptive_avg(3, input, output_size, "adaptive_avg_pool3d")


# ======================================================================================
# Normalization
# ======================================================================================

def _check_param(t, name: str, c: int) -> None:
    if t is not None and t.numel() != c:
        raise RuntimeError(f"{name} should contain {c} elements not {t.numel()}")


def _check_dtypes(input: Tensor, *params) -> None:
    dt = input._data.dtype
    for p in params:
        if p is not None and p._data.dtype != dt:
            from .._ops.pointwise import _dtype_name
            raise RuntimeError(f"mixed dtype (CPU): expect parameter to have scalar type of {_dtype_name(dt)}")


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1,
               eps=1e-5) -> Tensor:
    """Normalize over all dims but the channel (dim 1); in training, update the running stats in place."""
    shape = tuple(input.shape)
    if training:
        n = math.prod(shape) // shape[1] if len(shape) > 1 and shape[1] else 0
        if n == 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input size {input.shape}")
    if input.dim() < 2:
        raise IndexError(f"Dimension out of range (expected to be in range of [-1, 0], but got 1)")
    c = shape[1]
    if not training and (running_mean is None or running_var is None):
        raise RuntimeError(f"running_{'mean' if running_mean is None else 'var'} must be defined in evaluation mode")
    for t, name in ((running_mean, "running_mean"), (running_var, "running_var"), (weight, "weight"),
                    (bias, "bias")):
        _check_param(t, name, c)
    _check_dtypes(input, weight, bias, running_mean, running_var)
    lay = _norm.batch_layout(shape, eps)
    if not training:
        mean = running_mean._data.reshape(lay.pshape)
        rstd = (1.0 / np.sqrt(running_var._data + eps)).astype(mean.dtype).reshape(lay.pshape)
        return _norm.normalize_affine(_norm.NativeBatchNormBackward0, input, weight, bias, lay, mean, rstd)
    out = _norm.normalize_affine(_norm.NativeBatchNormBackward0, input, weight, bias, lay)
    if running_mean is not None or running_var is not None:
        _update_running(input._data, lay, running_mean, running_var, momentum)
    return out


def _update_running(x, lay, running_mean, running_var, momentum) -> None:
    """running = (1 - momentum) * running + momentum * batch stat (unbiased variance), in place (like torch's
    kernel, without a version bump)."""
    mean = x.mean(axis=lay.axes, dtype=np.float64 if x.dtype == np.float64 else None)
    n = lay.count
    if running_mean is not None:
        rm = running_mean._data
        rm *= (1 - momentum)
        rm += (momentum * mean).astype(rm.dtype, copy=False)
    if running_var is not None:
        xc = x - mean.reshape(lay.pshape)
        var = (xc * xc).sum(axis=lay.axes) / max(n - 1, 1) if n > 1 else np.full(mean.shape, np.nan)
        rv = running_var._data
        rv *= (1 - momentum)
        rv += (momentum * var).astype(rv.dtype, copy=False)


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None, use_input_stats=True,
                  momentum=0.1, eps=1e-5) -> Tensor:
    """batch_norm of input viewed as (1, N*C, ...), as torch computes it."""
    shape = tuple(input.shape)
    if use_input_stats:
        if math.prod(shape[2:]) <= 1:
            raise ValueError(f"Expected more than 1 spatial element when training, got input size {input.shape}")
    n, c = shape[0], shape[1]
    x = input.reshape((1, n * c) + shape[2:])
    w = weight.repeat(n) if weight is not None else None
    b = bias.repeat(n) if bias is not None else None
    rm = running_mean.repeat(n) if running_mean is not None else None
    rv = running_var.repeat(n) if running_var is not None else None
    out = batch_norm(x, rm, rv, w, b, use_input_stats, momentum, eps)
    if use_input_stats:
        for run, rep in ((running_mean, rm), (running_var, rv)):
            if run is not None:
                run._data[...] = rep._data.reshape(n, c).mean(0)
                run._vc[0] += 1
    return out.view(shape)


def _normalized_shape(normalized_shape, fn: str) -> tuple:
    if isinstance(normalized_shape, numbers.Integral):
        raise TypeError(f"{fn}(): argument 'normalized_shape' (position 2) must be tuple of ints, not int")
    return tuple(int(s) for s in normalized_shape)


def _check_normalized(input: Tensor, ns: tuple, weight, bias, sep: str) -> None:
    shape = tuple(input.shape)
    k = len(ns)
    if k == 0 or len(shape) < k or shape[len(shape) - k:] != ns:
        raise RuntimeError(f"Given normalized_shape={list(ns)}, expected input with shape [*{sep}"
                           f"{', '.join(map(str, ns))}], but got input of size{list(shape)}")
    for t, name in ((weight, "weight"), (bias, "bias")):
        if t is not None and tuple(t.shape) != ns:
            raise RuntimeError(f"Expected {name} to be of same shape as normalized_shape, but got {name} of shape "
                               f"{list(t.shape)} and normalized_shape = {list(ns)}")


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5) -> Tensor:
    ns = _normalized_shape(normalized_shape, "layer_norm")
    _check_normalized(input, ns, weight, bias, ", ")
    _check_dtypes(input, weight, bias)
    lay = _norm.layer_layout(tuple(input.shape), len(ns), eps)
    return _norm.normalize_affine(_norm.NativeLayerNormBackward0, input, weight, bias, lay)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5) -> Tensor:
    if input.dim() < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received {input.dim()}")
    shape = tuple(input.shape)
    c = shape[1]
    if num_groups <= 0 or c % num_groups:
        raise RuntimeError(f"Expected number of channels in input to be divisible by num_groups, but got input of "
                           f"shape {list(shape)} and num_groups={num_groups}")
    for t, name in ((weight, "weight"), (bias, "bias")):
        if t is not None and (t.dim() != 1 or t.numel() != c):
            raise RuntimeError(f"Expected {name} to be a vector of size equal to the number of channels in input, "
                               f"but got {name} of shape {list(t.shape)} and input of shape {list(shape)}")
    _check_dtypes(input, weight, bias)
    lay = _norm.group_layout(shape, num_groups, eps)
    return _norm.normalize_affine(_norm.NativeGroupNormBackward0, input, weight, bias, lay)


def rms_norm(input, normalized_shape, weight=None, eps=None) -> Tensor:
    """x * rsqrt(mean(x^2) + eps) (* weight), composed as torch composes it; eps None: the dtype's eps."""
    ns = _normalized_shape(normalized_shape, "rms_norm")
    _check_normalized(input, ns, weight, None, "")
    if eps is None:
        eps = finfo(input.dtype).eps
    dims = tuple(range(input.dim() - len(ns), input.dim()))
    out = input * input.pow(2).mean(dims, keepdim=True).add(eps).rsqrt()
    return out * weight if weight is not None else out


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0) -> Tensor:
    dim = input.dim()
    if dim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality                          input (got {dim} "
                         f"dimensions)")
    if input.numel() == 0:
        return input
    div = input.mul(input)
    if dim == 3:
        div = pad(div.unsqueeze(1), (0, 0, size // 2, (size - 1) // 2))
        div = avg_pool2d(div, (size, 1), stride=1).squeeze(1)
    else:
        sizes = tuple(input.shape)
        div = div.view(sizes[0], 1, sizes[1], sizes[2], -1)
        div = pad(div, (0, 0, 0, 0, size // 2, (size - 1) // 2))
        div = avg_pool3d(div, (size, 1, 1), stride=1).squeeze(1).view(sizes)
    return input / div.mul(alpha).add(k).pow(beta)


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None) -> Tensor:
    denom = input.norm(p, dim, keepdim=True).clamp_min(eps).expand_as(input)
    if out is None:
        return input / denom
    from .. import div
    return div(input, denom, out=out)


# ======================================================================================
# Dropout variants (F.dropout itself is in functional.py)
# ======================================================================================

def _check_p(p) -> None:
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


_ALPHA = 1.7580993408473766


def _dropout_impl(input: Tensor, p: float, training: bool, inplace: bool, feature: bool, alpha: bool,
                  unbatched: bool = False) -> Tensor:
    """torch's _dropout_impl: noise ~ Bernoulli(1 - p) (per channel when `feature`, `unbatched` meaning the channel
    is dim 0), drawn in torch's order."""
    if p == 0 or not training or input.numel() == 0:
        return input
    if p == 1:
        zero = input.new_zeros(())
        out = input.mul_(zero) if inplace else input * zero
        return out
    if feature:
        lead = 1 if unbatched else 2
        if input.dim() < lead:
            raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
        noise = input.new_empty(tuple(input.shape[:lead]) + (1,) * (input.dim() - lead))
    else:
        from .._ops.creation import empty_like
        noise = empty_like(input)
    noise.bernoulli_(1 - p)
    if not alpha:
        noise.div_(1 - p)
        return input.mul_(noise) if inplace else input * noise
    a = 1.0 / math.sqrt((_ALPHA * _ALPHA * p + 1) * (1 - p))
    b = noise.add(-1).mul_(_ALPHA * a).add_(_ALPHA * a * p)
    noise.mul_(a)
    out = input.mul_(noise) if inplace else input * noise
    return out.add_(b) if inplace else out + b


def dropout1d(input, p=0.5, training=True, inplace=False) -> Tensor:
    _check_p(p)
    d = input.dim()
    if d not in (2, 3):
        raise RuntimeError(f"dropout1d: Expected 2D or 3D input, but received a {d}D input. Note that dropout1d "
                           f"exists to provide channel-wise dropout on inputs with 1 spatial dimension, a channel "
                           f"dimension, and an optional batch dimension (i.e. 2D or 3D inputs).")
    return _feature_unbatched(input, d == 3, p, training, inplace)


def _feature_unbatched(input, batched: bool, p, training, inplace) -> Tensor:
    if batched or inplace:   # in place, torch unsqueezes and squeezes the input itself: the same draws
        return _dropout_impl(input, p, training, inplace, True, False, unbatched=not batched)
    return _dropout_impl(input.unsqueeze(0), p, training, inplace, True, False).squeeze(0)


def _warn_feature_rank(d: int, n: int) -> None:
    """torch's deprecation warning for a dropout{n}d input that is neither unbatched nor batched."""
    if d not in (n + 1, n + 2):
        warnings.warn(f"dropout{n}d: Received a {d}-D input to dropout{n}d, which is deprecated and will result in an "
                      f"error in a future release. To retain the behavior and silence this warning, please use dropout "
                      f"instead. Note that dropout{n}d exists to provide channel-wise dropout on inputs with {n} "
                      f"spatial dimensions, a channel dimension, and an optional batch dimension (i.e. {n + 1}D or "
                      f"{n + 2}D inputs).", stacklevel=3)


def dropout2d(input, p=0.5, training=True, inplace=False) -> Tensor:
    _check_p(p)
    d = input.dim()
    _warn_feature_rank(d, 2)
    if d == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout behavior "
                      "is desired - input is interpreted as shape (N, C, L), where C is the channel dim. This behavior "
                      "will change in a future release to interpret the input as one without a batch dimension, i.e. "
                      "shape (C, H, W). To maintain the 1D channel-wise dropout behavior, please switch to using "
                      "dropout1d instead.", stacklevel=2)
    return _dropout_impl(input, p, training, inplace, True, False)


def dropout3d(input, p=0.5, training=True, inplace=False) -> Tensor:
    _check_p(p)
    d = input.dim()
    _warn_feature_rank(d, 3)
    return _feature_unbatched(input, d == 5, p, training, inplace)


def alpha_dropout(input, p=0.5, training=False, inplace=False) -> Tensor:
    _check_p(p)
    return _dropout_impl(input, p, training, inplace, False, True)


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False) -> Tensor:
    _check_p(p)
    return _dropout_impl(input, p, training, inplace, True, True)


# ======================================================================================
# Embedding
# ======================================================================================

def _padding_index(padding_idx, n: int) -> int:
    if padding_idx is None:
        return -1
    if padding_idx > 0 and padding_idx >= n or padding_idx < 0 and padding_idx < -n:
        raise AssertionError("Padding_idx must be within num_embeddings")
    return padding_idx + n if padding_idx < 0 else padding_idx


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
              sparse=False) -> Tensor:
    padding_idx = _padding_index(padding_idx, weight.shape[0])
    if max_norm is not None:
        _embedding.renorm_(weight, input, max_norm, norm_type)
    return _embedding.embedding(input, weight, padding_idx, scale_grad_by_freq, sparse)


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2, scale_grad_by_freq=False, mode="mean",
                  sparse=False, per_sample_weights=None, include_last_offset=False, padding_idx=None) -> Tensor:
    if weight.dtype.name == "int64" and input.is_floating_point():
        warnings.warn("Argument order of nn.functional.embedding_bag was changed. Usage `embedding_bag(weight, "
                      "input, ...)` is deprecated, and should now be `embedding_bag(input, weight, ...)`.",
                      stacklevel=2)
        weight, input = input, weight
    if per_sample_weights is not None and tuple(input.shape) != tuple(per_sample_weights.shape):
        raise ValueError(f"embedding_bag: If per_sample_weights ({per_sample_weights.shape}) is not None, then it "
                         f"must have the same shape as the input ({input.shape})")
    if weight.dim() != 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension {weight.dim()}")
    idx = _embedding.check_indices(input, "embedding_bag")
    if input.dim() == 2:
        if offsets is not None:
            raise ValueError(f"if input is 2D, then offsets has to be None, as input is treated is a mini-batch of "
                             f"fixed length sequences. However, found offsets of type {type(offsets)}")
        off = np.arange(0, idx.size, idx.shape[1]) if idx.shape[1] else np.zeros(idx.shape[0], np.int64)
        include_last_offset = False
        if per_sample_weights is not None:
            per_sample_weights = per_sample_weights.reshape(-1)
    elif input.dim() == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        if offsets.dim() != 1:
            raise ValueError("offsets has to be a 1D Tensor")
        off = offsets._data.astype(np.int64)
    else:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension {input.dim()}")
    if mode == "max":
        if scale_grad_by_freq:
            raise ValueError("max mode does not support scaling the gradient by the frequency")
        if sparse:
            raise ValueError("max mode does not support sparse weights")
    elif mode not in ("sum", "mean"):
        raise ValueError("mode has to be one of sum, mean or max")
    if max_norm is not None:
        _embedding.renorm_(weight, input, max_norm, norm_type)
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError(f"embedding_bag: per_sample_weights was not None. per_sample_weights is only "
                                  f"supported for mode='sum' (got mode='{mode}'). Please open a feature request on "
                                  f"GitHub.")
    pad_idx = _padding_index(padding_idx, weight.shape[0])
    return _embedding.embedding_bag(weight, idx.reshape(-1).astype(np.int64), off, scale_grad_by_freq, mode, sparse,
                                    per_sample_weights, include_last_offset, pad_idx)


def one_hot(tensor, num_classes=-1) -> Tensor:
    x = tensor._data
    if x.dtype != np.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if num_classes == -1:
        if x.size == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(x.max()) + 1
    if x.size and x.min() < 0:
        raise RuntimeError("Class values must be non-negative.")
    if x.size and x.max() >= num_classes:
        raise RuntimeError("Class values must be smaller than num_classes.")
    return wrap((x[..., None] == np.arange(num_classes)).astype(np.int64))


# ======================================================================================
# Padding, interpolation, pixel shuffle
# ======================================================================================

_PAD_NODES = {(kind, nd): _resample.node_pair(f"{name}{nd}D")
              for kind, name in (("reflect", "ReflectionPad"), ("replicate", "ReplicationPad")) for nd in (1, 2, 3)}
_CIRCULAR = _resample.node_pair("CircularPad", display="torch::autograd::CopySlices")
_PAD_MAPS = {"reflect": _resample.reflect_map, "replicate": _resample.replicate_map,
             "circular": _resample.circular_map}


def pad(input, pad, mode="constant", value=None) -> Tensor:
    """Pad the trailing len(pad) // 2 dims; pad lists (left, right) pairs starting from the last dim."""
    pads = tuple(pad)
    for i, v in enumerate(pads):
        if not isinstance(v, (int, np.integer)) or isinstance(v, bool):
            raise TypeError(f"pad(): argument 'pad' (position 2) must be tuple of ints, but found element of type "
                            f"{type(v).__name__} at pos {i}")
    if len(pads) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    nd = len(pads) // 2
    if nd > input.dim():
        raise RuntimeError(f"Padding length should be less than or equal to two times the input dimension but got "
                           f"padding length {len(pads)} and input of dimension {input.dim()}")
    pairs = tuple((int(pads[2 * i]), int(pads[2 * i + 1])) for i in range(nd))[::-1]   # first padded dim first
    if mode == "constant":
        return _constant_pad(input, pairs, 0 if value is None else value)
    if mode not in _PAD_MAPS:
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if value is not None and value != 0:
        raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
    if not (nd in (1, 2, 3) and input.dim() in (nd + 1, nd + 2)):
        raise NotImplementedError(f"Padding size {len(pads)} is not supported for {input.dim()}D input tensor.\n"
                                  f"Supported combinations for non-constant padding:\n"
                                  f"  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
                                  f"  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
                                  f"  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")
    size = tuple(input.shape)[-nd:]
    _check_index_pad(input, mode, pairs, size, nd)
    maps = tuple(_PAD_MAPS[mode](z, lo, hi) for z, (lo, hi) in zip(size, pairs))
    nodes = _CIRCULAR if mode == "circular" else _PAD_NODES[(mode, nd)]
    return _resample.resample(input, maps, nodes)


def _check_index_pad(input, mode, pairs, size, nd) -> None:
    shape = list(input.shape)
    if any(z == 0 for z in shape[-nd - 1:]):
        raise RuntimeError(f"Expected {nd + 1}D or {nd + 2}D (batch mode) tensor with possibly 0 batch size and other "
                           f"non-zero dimensions for input, but got: {shape}")
    for i, (z, (lo, hi)) in enumerate(zip(size, pairs)):
        dim = len(shape) - nd + i
        if mode == "reflect" and (lo >= z or hi >= z):
            raise RuntimeError(f"Argument #4: Padding size should be less than the corresponding input dimension, but "
                               f"got: padding ({lo}, {hi}) at dimension {dim} of input {shape}")
        if mode == "circular" and (lo > z or hi > z):
            raise RuntimeError("Padding value causes wrapping around more than once.")
        if z + lo + hi < 0 or (mode == "circular" and z + lo + hi <= 0):
            raise RuntimeError("Negative padding value is resulting in an empty dimension.")


def _constant_pad(input: Tensor, pairs, value) -> Tensor:
    shape = tuple(input.shape)
    offset = len(shape) - len(pairs)
    for i, (z, (lo, hi)) in enumerate(zip(shape[offset:], pairs)):
        if z + min(lo, 0) + min(hi, 0) < 0:
            raise RuntimeError("narrow(): length must be non-negative.")
        if z + lo + hi < 0:
            raise RuntimeError(f"The input size {z}, plus negative padding {lo} and {hi} resulted in a negative output "
                               f"size, which is invalid. Check dimension {offset + i} of your input.")
    return _resample.constant_pad(input, pairs, value=value)


_INTERP_NAMES = {"nearest": "UpsampleNearest", "nearest-exact": "UpsampleNearestExact", "linear": "UpsampleLinear",
                 "bilinear": "UpsampleBilinear", "bicubic": "UpsampleBicubic", "trilinear": "UpsampleTrilinear"}
_INTERP_NODES = {(mode, nd): _resample.node_pair(f"{name}{nd}D")
                 for mode, name in _INTERP_NAMES.items() for nd in (1, 2, 3)}
_MODE_DIMS = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False) -> Tensor:
    """Resample the spatial dims (all dims after the first two) to `size` or by `scale_factor`."""
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating modes: linear | bilinear "
                             "| bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    dim = input.dim() - 2
    out_size, scales = _interp_sizes(input, dim, size, scale_factor, recompute_scale_factor, mode)
    if antialias:
        if not (mode in ("bilinear", "bicubic", "lanczos") and input.dim() == 4):
            raise ValueError("Anti-alias option is restricted to bilinear, bicubic, and lanczos modes and requires a "
                             "4-D tensor as input")
        raise NotImplementedError("interpolate(antialias=True) is not supported by numtorch")
    if mode not in ("nearest", "nearest-exact", "area", "linear", "bilinear", "bicubic", "trilinear") or \
            dim not in (1, 2, 3):
        _interp_mode_error(input, mode)
    if mode in _MODE_DIMS and _MODE_DIMS[mode] != dim:
        need = _MODE_DIMS[mode] + 2
        raise NotImplementedError(f"Got {input.dim()}D input, but {mode} mode needs {need}D input")
    if mode == "bicubic" and dim != 2:
        _interp_mode_error(input, mode)
    if mode == "area":
        return (adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d)[dim - 1](input, out_size)
    in_size = tuple(input.shape)[2:]
    if any(o <= 0 for o in out_size) or any(z <= 0 for z in in_size):
        names = ("D", "H", "W")[3 - dim:]
        raise RuntimeError("Input and output sizes should be greater than 0, but got input ("
                           + ", ".join(f"{n}: {z}" for n, z in zip(names, in_size)) + ") output ("
                           + ", ".join(f"{n}: {z}" for n, z in zip(names, out_size)) + ")")
    kernel = f"upsample_{mode.replace('-', '_')}{dim}d"
    _float_only(input, kernel)
    dt = input._data.dtype
    maps = []
    for z, o, s in zip(in_size, out_size, scales):
        if mode in ("nearest", "nearest-exact"):
            maps.append(_resample.nearest_map(z, o, s, mode == "nearest-exact"))
        elif mode == "bicubic":
            maps.append(_resample.cubic_map(z, o, s, align_corners, dt))
        else:
            maps.append(_resample.linear_map(z, o, s, align_corners, dt))
    return _resample.resample(input, tuple(maps), _INTERP_NODES[(mode, dim)])


def _interp_mode_error(input, mode):
    raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.dim()}D) for the "
                              f"modes: nearest | linear | bilinear | bicubic | trilinear | lanczos | area | "
                              f"nearest-exact (got {mode})")


def _interp_sizes(input, dim, size, scale_factor, recompute_scale_factor, mode):
    """(output size, per-dim scale factors or Nones), as F.interpolate computes them."""
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        if isinstance(size, (list, tuple)):
            if len(size) != dim:
                raise ValueError(f"Input and output must have the same number of spatial dimensions, but got input "
                                 f"with spatial dimensions of {list(input.shape[2:])} and output size of {size}. "
                                 f"Please provide input tensor in (N, C, d1, d2, ...,dK) format and output size in "
                                 f"(o1, o2, ...,oK) format.")
            if not all(isinstance(v, (int, np.integer)) for v in size):
                raise TypeError(f"expected size to be one of int or Tuple[int] or Tuple[int, int] or Tuple[int, int, "
                                f"int], but got size with types {[type(v) for v in size]}")
            out = tuple(int(v) for v in size)
        else:
            out = (int(size),) * dim
        if recompute_scale_factor:
            raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
        return out, (None,) * dim
    if scale_factor is None:
        raise ValueError("either size or scale_factor should be defined")
    if isinstance(scale_factor, (list, tuple)):
        if len(scale_factor) != dim:
            raise ValueError(f"Input and scale_factor must have the same number of spatial dimensions, but got input "
                             f"with spatial dimensions of {list(input.shape[2:])} and scale_factor of shape "
                             f"{scale_factor}. Please provide input tensor in (N, C, d1, d2, ...,dK) format and "
                             f"scale_factor in (s1, s2, ...,sK) format.")
        scales = tuple(float(s) for s in scale_factor)
    else:
        scales = (float(scale_factor),) * dim
    in_size = tuple(input.shape)[2:]
    out = tuple(math.floor(z * s) for z, s in zip(in_size, scales))
    if mode == "area" or recompute_scale_factor:
        return out, (None,) * dim
    return out, scales


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None) -> Tensor:
    warnings.warn("`nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None) -> Tensor:
    warnings.warn("`nn.functional.upsample_nearest` is deprecated. Use `nn.functional.interpolate` instead.",
                  stacklevel=2)
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None) -> Tensor:
    warnings.warn("`nn.functional.upsample_bilinear` is deprecated. Use `nn.functional.interpolate` instead.",
                  stacklevel=2)
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


def _shuffle_factor(input, factor, fn: str, arg: str) -> int:
    """The checked scale factor r of pixel_shuffle / pixel_unshuffle."""
    if input.dim() < 3:
        raise RuntimeError(f"{fn} expects input to have at least 3 dimensions, but got input with "
                           f"{input.dim()} dimension(s)")
    r = int(factor)
    if r <= 0:
        raise RuntimeError(f"{fn} expects a positive {arg}, but got {r}")
    return r


def pixel_shuffle(input, upscale_factor) -> Tensor:
    """(*, C r^2, H, W) -> (*, C, H r, W r)."""
    r = _shuffle_factor(input, upscale_factor, "pixel_shuffle", "upscale_factor")
    *lead, c, h, w = input.shape
    if c % (r * r):
        raise RuntimeError(f"pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of "
                           f"upscale_factor, but input.size(-3)={c} is not divisible by {r * r}")
    return _resample.shuffle(input, r, True)


def pixel_unshuffle(input, downscale_factor) -> Tensor:
    """(*, C, H r, W r) -> (*, C r^2, H, W)."""
    r = _shuffle_factor(input, downscale_factor, "pixel_unshuffle", "downscale_factor")
    *lead, c, h, w = input.shape
    if h % r or w % r:
        which, val = ("height", h) if h % r else ("width", w)
        raise RuntimeError(f"pixel_unshuffle expects {which} to be divisible by downscale_factor, but input.size("
                           f"{-2 if which == 'height' else -1})={val} is not divisible by {r}")
    return _resample.shuffle(input, r, False)


def channel_shuffle(input, groups) -> Tensor:
    """(N, g * k, *) -> (N, k * g, *): the channels of each group interleaved."""
    if input.dim() <= 2:
        raise RuntimeError(f"channel_shuffle expects input to have at least 3 dimensions, but got input with "
                           f"{input.dim()} dims")
    if groups <= 0:
        raise RuntimeError(f"Number of groups to divide channels in must be positive. Value of groups:{groups}")
    if input.shape[1] % groups:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {input.shape[1]} channels and "
                           f"{groups} groups.")
    return _resample.channel_shuffle(input, int(groups))


native_channel_shuffle = channel_shuffle
