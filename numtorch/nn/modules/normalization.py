"""LayerNorm, GroupNorm, RMSNorm and LocalResponseNorm (torch's arguments, parameters and repr)."""
from __future__ import annotations

import numbers

import numpy as np

from ..._ops.creation import empty
from ..._tensor import wrap
from ...autograd.function import Function
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .module import Module

__all__ = ["LayerNorm", "GroupNorm", "RMSNorm", "LocalResponseNorm"]


def _shape_tuple(normalized_shape) -> tuple:
    if isinstance(normalized_shape, numbers.Integral):
        return (normalized_shape,)
    return tuple(normalized_shape)



def _affine_parameters(module, enabled: bool, shape, bias: bool, factory: dict) -> None:
    """The learnable scale and shift of a normalization layer (None when disabled), in torch's order."""
    module.register_parameter("weight", Parameter(empty(shape, **factory)) if enabled else None)
    module.register_parameter("bias", Parameter(empty(shape, **factory)) if enabled and bias else None)


def _reset_affine(module) -> None:
    """Scale 1, shift 0: the identity transform torch starts from."""
    if module.weight is not None:
        init.ones_(module.weight)
    if module.bias is not None:
        init.zeros_(module.bias)

class LayerNorm(Module):
    __constants__ = ["normalized_shape", "eps", "elementwise_affine"]

    def __init__(self, normalized_shape, eps: float = 1e-5, elementwise_affine: bool = True, bias: bool = True,
                 device=None, dtype=None) -> None:
        factory = {"device": device, "dtype": dtype}
        super().__init__()
        self.normalized_shape = _shape_tuple(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        _affine_parameters(self, elementwise_affine, self.normalized_shape, bias, factory)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        _reset_affine(self)

    def forward(self, input):
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}, "
                f"bias={self.bias is not None}")


class GroupNorm(Module):
    __constants__ = ["num_groups", "num_channels", "eps", "affine"]

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5, affine: bool = True, device=None,
                 dtype=None, *, bias: bool = True) -> None:
        factory = {"device": device, "dtype": dtype}
        super().__init__()
        if num_channels % num_groups != 0:
            raise ValueError(f"num_channels ({num_channels}) must be divisible by num_groups ({num_groups})")
        self.num_groups = num_groups
        self.num_channels = num_channels
        self.eps = eps
        self.affine = affine
        _affine_parameters(self, affine, (num_channels,), bias, factory)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        _reset_affine(self)

    def forward(self, input):
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
                f"bias={self.bias is not None}")


class RMSNorm(Module):
    __constants__ = ["normalized_shape", "eps", "elementwise_affine"]

    def __init__(self, normalized_shape, eps: float | None = None, elementwise_affine: bool = True, device=None,
                 dtype=None) -> None:
        factory = {"device": device, "dtype": dtype}
        super().__init__()
        self.normalized_shape = _shape_tuple(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(empty(self.normalized_shape, **factory))
        else:
            self.register_parameter("weight", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        if self.elementwise_affine:
            init.ones_(self.weight)

    def forward(self, x):
        return F.rms_norm(x, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self) -> str:
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"


class _LRNBase(Module):
    """The hyperparameters and repr shared by LocalResponseNorm and CrossMapLRN2d."""

    __constants__ = ["size", "alpha", "beta", "k"]

    def __init__(self, size: int, alpha: float, beta: float, k: float) -> None:
        super().__init__()
        self.size = size
        self.alpha = alpha
        self.beta = beta
        self.k = k

    def extra_repr(self) -> str:
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"


class LocalResponseNorm(_LRNBase):
    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0) -> None:
        super().__init__(size, alpha, beta, k)

    def forward(self, input):
        return F.local_response_norm(input, self.size, self.alpha, self.beta, self.k)


class _CrossMapLRN2dFunction:
    """torch's legacy cross-channel LRN, with its running-sum forward and its own backward formula.

    The forward's running window never drops channel 0 (torch's loop removes
    channels 1.. only), and the backward is torch's closed form over a centered
    window rather than the derivative of that forward; both are reproduced, sums
    in torch's order, so values and gradients are torch's.
    """

    @staticmethod
    def scale(sq: np.ndarray, size: int, alpha: float, k: float) -> np.ndarray:
        channels = sq.shape[1]
        pre_pad = int((size - 1) / 2 + 1)
        scale = np.empty_like(sq)
        scale[:, 0] = 0
        for c in range(min(pre_pad, channels)):
            scale[:, 0] += sq[:, c]
        for c in range(1, channels):
            scale[:, c] = scale[:, c - 1]
            if c < channels - pre_pad + 1:
                scale[:, c] += sq[:, c + pre_pad - 1]
            if c > pre_pad:
                scale[:, c] -= sq[:, c - pre_pad]
        scale *= sq.dtype.type(alpha / size)
        scale += sq.dtype.type(k)
        return scale

    @staticmethod
    def grad(g, x, out, scale, size: int, beta: float, alpha: float) -> np.ndarray:
        n, channels = x.shape[:2]
        dt = x.dtype.type
        grad = scale ** dt(-beta) * g
        offset = int(size - (size - 1) / 2)
        ratio = np.zeros((n, channels + size - 1) + x.shape[2:], x.dtype)
        ratio[:, offset:offset + channels] = g * out / scale
        accum = ratio[:, :size - 1].sum(1)
        cache = dt(2 * alpha * beta / size)
        for c in range(channels):
            accum += ratio[:, c + size - 1]
            grad[:, c] += -cache * x[:, c] * accum
            accum -= ratio[:, c]
        return grad


class CrossMapLRN2d(Function):  # the Module below takes the public name
    @staticmethod
    def forward(ctx, x, size, alpha, beta, k):
        if x.dim() != 4:
            raise ValueError(f"CrossMapLRN2d: Expected input to be 4D, got {x.dim()}D instead.")
        data = x._data
        ctx.scale = _CrossMapLRN2dFunction.scale(data * data, size, alpha, k)
        ctx.args = (size, beta, alpha)
        out = wrap(ctx.scale ** data.dtype.type(-beta) * data)
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        return wrap(_CrossMapLRN2dFunction.grad(g._data, x._data, out._data, ctx.scale, *ctx.args)), None, None, \
            None, None


_CrossMapLRN2d = CrossMapLRN2d  # named so that its grad_fn is torch's CrossMapLRN2dBackward


class CrossMapLRN2d(_LRNBase):
    """Local response normalization across channels of a 4-D input (torch's legacy Lua-era layer)."""

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1) -> None:
        super().__init__(size, alpha, beta, k)

    def forward(self, input):
        return _CrossMapLRN2d.apply(input, self.size, self.alpha, self.beta, self.k)


__all__ += ["CrossMapLRN2d"]
