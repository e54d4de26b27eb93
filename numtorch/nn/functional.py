"""torch.nn.functional.

Organised in sections (linear, activations, softmax family, dropout, ...);
other sections are appended by the layers that need them. An op that torch
implements as one kernel gets one graph node here, named as torch names its
grad_fn, with a NumPy forward and a derivative rule written with operators
and `numtorch._ops.dual` functions only, so the same rule gives first and
higher derivatives. Ops torch composes from other ops (softsign, tanhshrink,
softmin, ...) are composed the same way here.
"""
from __future__ import annotations

import math
import warnings

import numpy as np

from .._ops import dual
from .._ops._core import record
from .._ops.inplace import inplace as _inplace
from .._tensor import Tensor
from ..autograd.graph import Node

__all__ = [
    "linear", "bilinear",
    "threshold", "threshold_", "relu", "relu_", "relu6", "hardtanh", "hardtanh_", "elu", "elu_", "selu", "selu_",
    "celu", "celu_", "leaky_relu", "leaky_relu_", "prelu", "rrelu", "rrelu_", "glu", "gelu", "logsigmoid",
    "hardshrink", "tanhshrink", "softsign", "softplus", "softshrink", "sigmoid", "tanh", "hardsigmoid", "silu",
    "mish", "hardswish",
    "softmin", "softmax", "log_softmax",
    "dropout",
]


def _float_input(input: Tensor, kernel: str):
    """The input's array; integer and bool tensors raise torch's 'not implemented' error."""
    x = input._data
    if x.dtype.kind != "f":
        from .._dtype import from_np
        raise NotImplementedError(f'"{kernel}" not implemented for \'{_DTYPE_NAMES[from_np(x.dtype).name]}\'')
    return x


_DTYPE_NAMES = {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool",
                "float16": "Half", "float32": "Float", "float64": "Double"}


def _maybe_inplace(fn, input, inplace_flag, *args):
    return _inplace(input, fn, args) if inplace_flag else fn(input, *args)


# ======================================================================================
# Linear
# ======================================================================================

class _LinearBackward(Node):
    """out = x @ w.T (+ b): one node, whatever torch calls its top node for this input rank."""

    def backward(self, g, x, w):
        nxt = self._next
        gx = g @ w if nxt[0] is not None else None
        gw = None
        if nxt[1] is not None:
            if dual.data(x).ndim == 2:
                gw = dual.transpose(g, 0, 1) @ x
            else:
                g2 = dual.reshape(g, (-1, dual.data(g).shape[-1]))
                gw = dual.transpose(g2, 0, 1) @ dual.reshape(x, (-1, dual.data(x).shape[-1]))
        return (gx, gw, g) if len(nxt) == 3 else (gx, gw)   # the engine sums g down to the bias' shape


# torch's name for the top node of linear, by (input is 2-D, has bias)
_LINEAR_NODES = {(True, True): type("AddmmBackward0", (_LinearBackward,), {}),
                 (True, False): type("MmBackward0", (_LinearBackward,), {}),
                 (False, True): type("ViewBackward0", (_LinearBackward,), {}),
                 (False, False): type("UnsafeViewBackward0", (_LinearBackward,), {})}


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = input @ weight.T + bias."""
    x, w = input._data, weight._data
    if x.dtype != w.dtype or (bias is not None and bias._data.dtype != x.dtype):
        other = w.dtype if x.dtype != w.dtype else bias._data.dtype
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {_np_name(x.dtype)} != "
                           f"{_np_name(other)}")
    if w.ndim != 2 or x.ndim == 0 or x.shape[-1] != w.shape[1]:
        rows = int(np.prod(x.shape[:-1])) if x.ndim else 1
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{x.shape[-1] if x.ndim else 1} and "
                           f"{'x'.join(map(str, w.shape[::-1]))})")
    if bias is None:
        return record(_LINEAR_NODES[(x.ndim == 2, False)], _x_wt(x, w), (input, weight), (input, weight))
    b = bias._data
    if b.shape not in ((), (1,), (w.shape[0],)):
        raise RuntimeError(f"The expanded size of the tensor ({w.shape[0]}) must match the existing size "
                           f"({b.shape[-1]}) at non-singleton dimension {max(x.ndim - 1, 0)}.  Target sizes: "
                           f"{[*x.shape[:-1], w.shape[0]]}.  Tensor sizes: {list(b.shape)}")
    return record(_LINEAR_NODES[(x.ndim == 2, True)], _x_wt(x, w, b), (input, weight, bias), (input, weight))


def _x_wt(x, w, b=None):
    """x @ w.T (+ b), C-contiguous as torch's.

    OpenBLAS computes the product of a short, wide batch (8 to 128 rows, four
    times as many outputs) up to twice as fast transposed, as w @ x.T; the
    bias add then writes the transpose back in C order, and costs less than
    it gains there (measured on float32, bench/train_step.py's MLP among the
    shapes; the values are bit-identical either way).
    """
    rows, n_out = x.shape[0], w.shape[0]
    if x.ndim == 2 and 8 <= rows <= 128 and n_out >= max(256, 4 * rows) and (rows <= 32 or x.shape[1] >= 256):
        out_t = np.matmul(w, x.T).T
        return np.ascontiguousarray(out_t) if b is None else np.add(out_t, b, order="C")
    out = np.matmul(x, w.T)
    if b is not None:
        out += b
    return out


def _np_name(np_dtype) -> str:
    return {"float64": "double", "float32": "float", "float16": "c10::Half"}.get(np.dtype(np_dtype).name,
                                                                              np.dtype(np_dtype).name)


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y[..., o] = sum_ij input1[..., i] weight[o, i, j] input2[..., j] + bias[o]."""
    from .. import einsum
    if input1.dim() != input2.dim():
        raise RuntimeError(f"bilinear(): input dimensions do not match: got {input1.dim()} and {input2.dim()}")
    if input1.shape[:-1] != input2.shape[:-1]:
        raise RuntimeError(f"bilinear(): input batch dimensions do not match: got {list(input1.shape[:-1])} and "
                           f"{list(input2.shape[:-1])}")
    if weight.dim() != 3 or input1.shape[-1] != weight.shape[1] or input2.shape[-1] != weight.shape[2]:
        raise RuntimeError(f"bilinear(): input sizes do not match the weight: got {list(input1.shape)}, "
                           f"{list(input2.shape)} and weight {list(weight.shape)}")
    out = einsum("...i,oij,...j->...o", input1, weight, input2)
    return out if bias is None else out + bias


# ======================================================================================
# Activations
# ======================================================================================
# Each node saves the input x (the rules need it for masks and for second derivatives).

def _activation(cls, kernel_name: str, fn, input: Tensor, attrs=None) -> Tensor:
    """Run `fn(array)` on input's data and record node `cls` saving the input."""
    return record(cls, fn(_float_input(input, kernel_name)), (input,), (input,), attrs)


class ThresholdBackward0(Node):
    def backward(self, g, x):
        return dual.where(dual.data(x) > self.threshold, g, 0.0, link=x, name="ThresholdBackwardBackward0"),


def _threshold(input, threshold, value):
    return _activation(ThresholdBackward0, "threshold_cpu",
                       lambda x: np.where(x > threshold, x, np.asarray(value, x.dtype)), input,
                       {"threshold": threshold})


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    return _maybe_inplace(_threshold, input, inplace, threshold, value)


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    return _inplace(input, _threshold, (threshold, value))


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    return input.relu_() if inplace else input.relu()


def relu_(input: Tensor) -> Tensor:
    return input.relu_()


class HardtanhBackward0(Node):
    def backward(self, g, x):
        xd = dual.data(x)
        return dual.where((xd > self.min_val) & (xd < self.max_val), g, 0.0, link=x,
                          name="HardtanhBackwardBackward0"),


def _hardtanh(input, min_val, max_val):
    return _activation(HardtanhBackward0, "hardtanh_cpu", lambda x: np.clip(x, min_val, max_val), input,
                       {"min_val": min_val, "max_val": max_val})


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> Tensor:
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return _maybe_inplace(_hardtanh, input, inplace, min_val, max_val)


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    return hardtanh(input, min_val, max_val, inplace=True)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    return hardtanh(input, 0.0, 6.0, inplace)


class EluBackward0(Node):
    """elu/selu: scale * (x > 0 ? x : alpha * (exp(x * input_scale) - 1))."""

    def backward(self, g, x):
        a, s, i = self.alpha, self.scale, self.input_scale
        pos = dual.data(x) > 0
        neg = g * (s * a * i) * dual.exp(dual.where(pos, 0.0, x) * i)   # exp of x <= 0 only: no overflow
        return dual.where(pos, g * s, neg),


class CeluBackward0(EluBackward0):
    pass


def _elu_kernel(alpha, scale, input_scale):
    def kernel(x):
        neg = np.expm1(np.minimum(x, 0) * input_scale) * (alpha * scale)
        return np.where(x > 0, x * scale, neg).astype(x.dtype, copy=False)
    return kernel


def _elu(input, alpha, scale=1.0, input_scale=1.0, cls=EluBackward0, name="elu_cpu"):
    return _activation(cls, name, _elu_kernel(alpha, scale, input_scale), input,
                       {"alpha": alpha, "scale": scale, "input_scale": input_scale})


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    return _maybe_inplace(_elu, input, inplace, alpha)


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    return elu(input, alpha, inplace=True)


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _selu(input):
    return _elu(input, _SELU_ALPHA, _SELU_SCALE)


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    return _maybe_inplace(_selu, input, inplace)


def selu_(input: Tensor) -> Tensor:
    return selu(input, inplace=True)


def _celu(input, alpha):
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError")
    return _elu(input, alpha, 1.0, 1.0 / alpha, CeluBackward0, "celu_cpu")


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    return _maybe_inplace(_celu, input, inplace, alpha)


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    return celu(input, alpha, inplace=True)


class LeakyReluBackward0(Node):
    def backward(self, g, x):
        return dual.where(dual.data(x) > 0, g, g * self.negative_slope, link=x, name="LeakyReluBackwardBackward0"),


def _leaky_relu(input, negative_slope):
    return _activation(LeakyReluBackward0, "leaky_relu_cpu", lambda x: np.where(x > 0, x, x * negative_slope),
                       input, {"negative_slope": negative_slope})


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    return _maybe_inplace(_leaky_relu, input, inplace, negative_slope)


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    return leaky_relu(input, negative_slope, inplace=True)


class PreluKernelBackward0(Node):
    def backward(self, g, x, w):
        pos = dual.data(x) > 0
        gx = dual.where(pos, g, g * w) if self._next[0] is not None else None
        gw = dual.where(pos, 0.0, g * x) if self._next[1] is not None else None
        return gx, gw   # the engine sums gw down to the broadcast weight's shape


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """max(0, x) + weight * min(0, x), weight per channel (dim 1) or a single value."""
    if weight.dim() > 1:
        raise RuntimeError(f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: ndim = {weight.dim()}")
    channels = input.shape[1] if input.dim() >= 2 else 1
    if weight.numel() != 1 and weight.numel() != channels:
        raise RuntimeError(f"Mismatch of parameter numbers and input channel size. Found parameter numbers = "
                           f"{weight.numel()} and channel size = {channels}.")
    shape = [1] * input.dim()
    if weight.numel() != 1:
        shape[1] = channels
    w = weight.reshape(shape) if tuple(weight.shape) != tuple(shape) else weight
    x = _float_input(input, "prelu_cpu")
    out = np.where(x > 0, x, w._data * x)
    return record(PreluKernelBackward0, out, (input, w), (input, w))


class RreluWithNoiseBackward0(Node):
    def backward(self, g, x):
        factor = self.factor
        return dual.where(factor == 1, g, g * factor, link=x, name="RreluWithNoiseBackwardBackward0"),


def _rrelu(input, lower, upper, training):
    x = _float_input(input, "rrelu_with_noise_cpu")
    if training:
        from .._random import _rrelu_slopes
        factor = _rrelu_slopes(x, lower, upper)
    else:
        factor = np.where(x > 0, np.ones((), x.dtype), np.asarray((lower + upper) / 2, x.dtype))
    return record(RreluWithNoiseBackward0, x * factor, (input,), (input,), attrs={"factor": factor})


def rrelu(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False,
          inplace: bool = False) -> Tensor:
    return _maybe_inplace(_rrelu, input, inplace, lower, upper, training)


def rrelu_(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False) -> Tensor:
    return rrelu(input, lower, upper, training, inplace=True)


class GluBackward0(Node):
    def backward(self, g, x):
        a, b = x[self.first], x[self.second]
        s = dual.sigmoid(b)
        return dual.cat([g * s, g * a * s * (1 - s)], self.dim),


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """a * sigmoid(b), with a and b the two halves of input along `dim`."""
    if input.dim() == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    x = _float_input(input, "glu_cpu")
    d = dim % x.ndim if -x.ndim <= dim < x.ndim else _dim_error(dim, x.ndim)
    n = x.shape[d]
    if n % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {d} is size {n}")
    lead = (slice(None),) * d
    first, second = lead + (slice(0, n // 2),), lead + (slice(n // 2, n),)
    out = x[first] * dual.sigmoid(x[second])
    return record(GluBackward0, out, (input,), (input,), {"first": first, "second": second, "dim": d})


def _dim_error(dim, ndim):
    raise IndexError(f"Dimension out of range (expected to be in range of [{-max(ndim, 1)}, {max(ndim, 1) - 1}], but "
                     f"got {dim})")


_SQRT1_2 = math.sqrt(0.5)
_INV_SQRT_2PI = 1.0 / math.sqrt(2 * math.pi)
_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)
_GELU_C = 0.044715


class GeluBackward0(Node):
    def backward(self, g, x):
        if self.approximate == "tanh":
            t = dual.tanh((x + _GELU_C * x * x * x) * _SQRT_2_OVER_PI)
            inner = (1 + 3 * _GELU_C * x * x) * _SQRT_2_OVER_PI
            return g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * inner),
        cdf = 0.5 * (1 + dual.erf(x * _SQRT1_2))
        pdf = dual.exp(-0.5 * x * x) * _INV_SQRT_2PI
        return g * (cdf + x * pdf),


def _gelu_kernel(approximate):
    if approximate == "tanh":
        return lambda x: 0.5 * x * (1 + np.tanh((x + _GELU_C * x * x * x) * _SQRT_2_OVER_PI))
    return lambda x: x * 0.5 * (1 + dual.erf(x * _SQRT1_2))


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    return _activation(GeluBackward0, "GeluKernelImpl", _gelu_kernel(approximate), input,
                       {"approximate": approximate})


class LogSigmoidBackward0(Node):
    def backward(self, g, x):
        return g * dual.sigmoid(-x),


def logsigmoid(input: Tensor) -> Tensor:
    """log(sigmoid(x)) = -softplus(-x), computed without overflow."""
    return _activation(LogSigmoidBackward0, "log_sigmoid_cpu", lambda x: -np.logaddexp(0, -x), input)


class HardshrinkBackward0(Node):
    def backward(self, g, x):
        xd = dual.data(x)
        return dual.where((xd >= -self.lambd) & (xd <= self.lambd), 0.0, g, link=x,
                          name=self.name()[:-1] + "Backward0"),


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    return _activation(HardshrinkBackward0, "hardshrink_cpu",
                       lambda x: np.where((x >= -lambd) & (x <= lambd), np.zeros((), x.dtype), x), input,
                       {"lambd": lambd})


class SoftshrinkBackward0(HardshrinkBackward0):
    pass


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    if lambd < 0:
        raise RuntimeError(f"lambda must be greater or equal to 0, but found to be {lambd}.")

    def kernel(x):
        shrunk = np.where(x > lambd, x - lambd, x + lambd)
        return np.where((x >= -lambd) & (x <= lambd), np.zeros((), x.dtype), shrunk)
    return _activation(SoftshrinkBackward0, "softshrink_cpu", kernel, input, {"lambd": lambd})


def tanhshrink(input: Tensor) -> Tensor:
    return input - input.tanh()


def softsign(input: Tensor) -> Tensor:
    return input / (input.abs() + 1)


class SoftplusBackward0(Node):
    def backward(self, g, x):
        z = x * self.beta
        return dual.where(dual.data(z) > self.threshold, g, g * dual.sigmoid(z)),


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta * x)) / beta, and x itself where beta * x > threshold."""
    def kernel(x):
        z = x * beta
        return np.where(z > threshold, x, np.logaddexp(0, z) / beta).astype(x.dtype, copy=False)
    return _activation(SoftplusBackward0, "softplus_cpu", kernel, input, {"beta": beta, "threshold": threshold})


def _softplus_any(x):
    """softplus on an array or a Tensor (for rules built on it)."""
    return softplus(x) if isinstance(x, Tensor) else np.logaddexp(0, x)


def sigmoid(input: Tensor) -> Tensor:
    return input.sigmoid()


def tanh(input: Tensor) -> Tensor:
    return input.tanh()


_ONE_SIXTH = float(np.float32(1 / 6))   # torch's kernel multiplies by the float constant 1.0f / 6


class HardsigmoidBackward0(Node):
    def backward(self, g, x):
        xd = dual.data(x)
        return dual.where((xd > -3) & (xd < 3), g * _ONE_SIXTH, 0.0),


def _hardsigmoid(input):
    return _activation(HardsigmoidBackward0, "hardsigmoid_cpu", lambda x: np.clip(x + 3, 0, 6) / 6, input)


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    return _maybe_inplace(_hardsigmoid, input, inplace)


class SiluBackward0(Node):
    def backward(self, g, x):
        s = dual.sigmoid(x)
        return g * s * (1 + x * (1 - s)),


def _silu(input):
    return _activation(SiluBackward0, "silu_cpu", lambda x: x * dual.sigmoid(x), input)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    return _maybe_inplace(_silu, input, inplace)


class MishBackward0(Node):
    def backward(self, g, x):
        t = dual.tanh(_softplus_any(x))
        return g * (t + x * dual.sigmoid(x) * (1 - t * t)),


def _mish(input):
    return _activation(MishBackward0, "mish_cpu", lambda x: x * np.tanh(np.logaddexp(0, x)), input)


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    return _maybe_inplace(_mish, input, inplace)


class HardswishBackward0(Node):
    def backward(self, g, x):
        xd = dual.data(x)
        middle = dual.where(xd <= 3, g * (x / 3 + 0.5), g)
        return dual.where(xd < -3, 0.0, middle),


def _hardswish(input):
    return _activation(HardswishBackward0, "hardswish_cpu", lambda x: x * np.clip(x + 3, 0, 6) / 6, input)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    return _maybe_inplace(_hardswish, input, inplace)


# ======================================================================================
# Softmax family (the kernels are torch.softmax / torch.log_softmax)
# ======================================================================================

def _get_softmax_dim(name: str, ndim: int, stacklevel: int) -> int:
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to include dim=X as an "
                  f"argument.", stacklevel=stacklevel)
    return 0 if ndim in (0, 1, 3) else 1


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    if dim is None:
        dim = _get_softmax_dim("softmin", input.dim(), _stacklevel)
    return (-input).softmax(dim) if dtype is None else (-input).softmax(dim, dtype=dtype)


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    if dim is None:
        dim = _get_softmax_dim("softmax", input.dim(), _stacklevel)
    return input.softmax(dim) if dtype is None else input.softmax(dim, dtype=dtype)


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    if dim is None:
        dim = _get_softmax_dim("log_softmax", input.dim(), _stacklevel)
    return input.log_softmax(dim) if dtype is None else input.log_softmax(dim, dtype=dtype)


# ======================================================================================
# Dropout
# ======================================================================================

def _check_p(p) -> None:
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each element with probability p and scale the rest by 1/(1-p) (torch's mask sampling order)."""
    _check_p(p)
    if not training or p == 0 or input.numel() == 0:
        return input
    if p == 1:
        mask = input.new_zeros(())
    else:
        from .._ops.creation import empty_like
        mask = empty_like(input).bernoulli_(1 - p).div_(1 - p)
    return input.mul_(mask) if inplace else input * mask


# ======================================================================================
# Losses and distances, attention (kernels and nodes in _loss.py, _attention.py)
# ======================================================================================

from ._loss import (binary_cross_entropy, binary_cross_entropy_with_logits, cosine_embedding_loss,  # noqa: E402
                    cosine_similarity, cross_entropy, ctc_loss, gaussian_nll_loss, hinge_embedding_loss, huber_loss,
                    kl_div, l1_loss, margin_ranking_loss, mse_loss, multi_margin_loss, multilabel_margin_loss,
                    multilabel_soft_margin_loss, nll_loss, pairwise_distance, poisson_nll_loss, smooth_l1_loss,
                    soft_margin_loss, triplet_margin_loss, triplet_margin_with_distance_loss)
from . import _loss as _loss_module  # noqa: E402
from ._attention import (_canonical_mask, _in_projection, _in_projection_packed, _mha_shape_check,  # noqa: E402
                         _none_or_dtype, multi_head_attention_forward, scaled_dot_product_attention)

__all__ += [*_loss_module.__all__, "scaled_dot_product_attention", "multi_head_attention_forward"]


# ======================================================================================
# Convolution, pooling, normalization, dropout variants, embedding, padding, interpolation
# (public forms in _layers.py; kernels and nodes in _conv.py, _pool.py, _norm.py, _resample.py, _embedding.py)
# ======================================================================================

from ._layers import *  # noqa: E402,F401,F403
from ._layers import __all__ as _layers_all  # noqa: E402

__all__ += _layers_all


# ======================================================================================
# Sampling grids (kernels and nodes in _grid.py)
# ======================================================================================

from ._grid import affine_grid, grid_sample  # noqa: E402

__all__ += ["affine_grid", "grid_sample"]

from ._gumbel import gumbel_softmax  # noqa: E402
from ._loss import pdist  # noqa: E402  (listed in __all__ with the other _loss exports)

__all__ += ["gumbel_softmax"]

from ._pool import (fractional_max_pool2d, fractional_max_pool2d_with_indices, fractional_max_pool3d,  # noqa: E402
                    fractional_max_pool3d_with_indices)

__all__ += ["fractional_max_pool2d", "fractional_max_pool2d_with_indices", "fractional_max_pool3d",
            "fractional_max_pool3d_with_indices"]


def conv_tbc(input, weight, bias, pad: int = 0):
    """1-d convolution on (time, batch, channels) input with a (kernel, in, out) weight, as conv1d sees it."""
    if input.dim() != 3:
        raise RuntimeError("Input must have 3 dims: time, batch, in_channel")
    if weight.dim() != 3:
        raise RuntimeError("Weight tensor must have 3 dims: kernel_width, in_channels, out_channels.")
    if bias.dim() != 1:
        raise RuntimeError("Bias must be 1-D")
    if input.size(2) != weight.size(1):
        raise RuntimeError("Input dim 2 (input channels) is not == dim 1 in the weight tensor")
    if weight.size(2) != bias.size(0):
        raise RuntimeError("Bias size must equal dim 2 in the weight tensor (output channels).")
    out = conv1d(input.permute(1, 2, 0), weight.permute(2, 1, 0), bias, padding=pad)
    return out.permute(2, 0, 1)


__all__ += ["conv_tbc"]
