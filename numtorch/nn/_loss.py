"""Loss functions of torch.nn.functional.

Losses torch implements as one kernel (mse, smooth_l1, huber, soft_margin,
binary_cross_entropy(_with_logits), nll_loss, multi_margin) get one graph node
named as torch names its grad_fn; their rules use operators and `dual`
functions only, so second derivatives come from the same code. Losses torch
composes from other ops (l1, kl_div, poisson/gaussian nll, the margin and
embedding losses, label smoothing and probability targets of cross_entropy)
are composed the same way here, op for op, so values, grad_fn names and
derivatives follow.
"""
from __future__ import annotations

import math
import warnings

import numpy as np

from .._dtype import from_np
from .._ops import dual
from .._ops._core import grad_needed, record
from .._ops.creation import ones_like
from .._ops.linalg import vector_norm
from .._ops.pointwise import (_dtype_name, _no_derivative, broadcast_error, minimum, not_implemented_for,
                              result_np_dtype, where, xlogy)
from .._ops.shape import broadcast_tensors
from .._tensor import Tensor, wrap
from ..autograd.grad_mode import no_grad
from ..autograd.graph import Node

__all__ = [
    "l1_loss", "mse_loss", "smooth_l1_loss", "huber_loss", "soft_margin_loss", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "nll_loss", "cross_entropy", "kl_div", "poisson_nll_loss",
    "gaussian_nll_loss", "cosine_embedding_loss", "margin_ranking_loss", "hinge_embedding_loss",
    "triplet_margin_loss", "triplet_margin_with_distance_loss", "multilabel_soft_margin_loss",
    "multi_margin_loss", "multilabel_margin_loss", "ctc_loss", "cosine_similarity", "pairwise_distance", "pdist",
]

_REDUCTIONS = ("none", "mean", "sum")


# ======================================================================================
# reduction arguments
# ======================================================================================

def legacy_reduction(size_average, reduce, emit_warning: bool = True) -> str:
    """The reduction the deprecated size_average / reduce flags stand for."""
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    ret = ("mean" if size_average else "sum") if reduce else "none"
    if emit_warning:
        warnings.warn(f"size_average and reduce args will be deprecated, please use reduction='{ret}' instead.",
                      stacklevel=3)
    return ret


def _reduction(size_average, reduce, reduction: str) -> str:
    """The checked reduction: the legacy flags win over `reduction` when either is given."""
    if size_average is not None or reduce is not None:
        return legacy_reduction(size_average, reduce)
    if reduction == "elementwise_mean":
        warnings.warn("reduction='elementwise_mean' is deprecated. Please use reduction='mean' instead.",
                      stacklevel=3)
        return "mean"
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def _apply_reduction(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _reduce_array(loss: np.ndarray, reduction: str) -> np.ndarray:
    if reduction == "none":
        return loss
    total = loss.sum()
    if reduction == "mean":
        total = total / loss.size if loss.size else np.nan   # torch's mean of nothing is NaN
    return np.asarray(total, loss.dtype)


def _warn_size(input: Tensor, target: Tensor) -> None:
    if target._data.shape != input._data.shape:
        warnings.warn(f"Using a target size ({target.size()}) that is different to the input size ({input.size()}). "
                      "This will likely lead to incorrect results due to broadcasting. "
                      "Please ensure they have the same size.", stacklevel=3)


def _no_grad_arg(t, arg: str, fn: str) -> None:
    """torch refuses, at the forward, arguments its kernel has no derivative for."""
    if t is not None and t._requires_grad:
        raise RuntimeError(f"The function '{fn}' is not differentiable with respect to argument '{arg}'. "
                           "This input cannot have requires_grad True.")


def _pair(input: Tensor, target: Tensor):
    """The two operands' arrays in their common dtype (torch promotes loss operands)."""
    x, t = input._data, target._data
    if x.dtype != t.dtype:
        dt = np.result_type(x.dtype, t.dtype) if t.dtype.kind == "f" else x.dtype
        x, t = x.astype(dt, copy=False), t.astype(dt, copy=False)
    return x, t


# ======================================================================================
# elementwise kernels: mse, smooth_l1, huber, soft_margin, binary cross entropy
# ======================================================================================

class _ElementwiseLoss(Node):
    """A loss that is elementwise before its reduction: the gradient of element i is g (or g / n)
    times the elementwise derivative."""

    reduction = "mean"
    numel = 1

    def _scaled(self, g):
        return g / self.numel if self.reduction == "mean" and self.numel else g

    def _both(self, d):
        """(d, -d) for (input, target), each only where it needs a gradient."""
        nxt = self._next
        return (d if nxt[0] is not None else None), (-d if nxt[1] is not None else None)


def _elementwise(cls, kernel, input, target, reduction, attrs=None):
    x, t = _pair(input, target)
    try:
        loss = kernel(x, t)
    except ValueError as e:
        raise broadcast_error(e, x, t) from None
    node_attrs = {"reduction": reduction, "numel": loss.size}
    if attrs:
        node_attrs.update(attrs)
    return record(cls, _reduce_array(loss, reduction), (input, target), (input, target), node_attrs)


class MseLossBackward0(_ElementwiseLoss):
    def backward(self, g, x, t):
        return self._both((x - t) * 2 * self._scaled(g))


class SmoothL1LossBackward0(_ElementwiseLoss):
    """d/dx = (x - t) / beta inside |x - t| < beta, sign(x - t) outside."""

    def backward(self, g, x, t):
        d = x - t
        inside = np.abs(dual.data(d)) < self.beta
        return self._both(dual.where(inside, d / self.beta, dual.sign(d)) * self._scaled(g))


class HuberLossBackward0(_ElementwiseLoss):
    """d/dx = x - t inside |x - t| < delta, delta * sign(x - t) outside."""

    def backward(self, g, x, t):
        d = x - t
        inside = np.abs(dual.data(d)) < self.delta
        return self._both(dual.where(inside, d, dual.sign(d) * self.delta) * self._scaled(g))


class SoftMarginLossBackward0(_ElementwiseLoss):
    def backward(self, g, x, t):
        return -t * dual.sigmoid(-t * x) * self._scaled(g),


def _mse_kernel(x, t):
    d = x - t
    return d * d


def _weighted_mean(loss: Tensor, weight: Tensor, reduction: str) -> Tensor:
    """torch's Python path for mse/l1 with per-element weights (mean divides by the weights' sum)."""
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    if reduction == "mean":
        return loss.sum() / weight.sum()
    raise ValueError(f"Invalid reduction mode: {reduction}. Expected one of 'none', 'mean', 'sum'.")


def _check_weight_size(weight: Tensor, input: Tensor) -> None:
    if weight._data.shape != input._data.shape:
        raise ValueError("Weights and input must have the same size.")


def mse_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
             weight: Tensor | None = None) -> Tensor:
    _warn_size(input, target)
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce)
    if weight is not None:
        _check_weight_size(weight, input)
        return _weighted_mean((input - target) ** 2 * weight, weight, reduction)
    return _elementwise(MseLossBackward0, _mse_kernel, input, target, _reduction(None, None, reduction))


def l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
            weight: Tensor | None = None) -> Tensor:
    _warn_size(input, target)
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce)
    if weight is not None:
        _check_weight_size(weight, input)
        return _weighted_mean((input - target).abs() * weight, weight, reduction)
    return _apply_reduction((input - target).abs(), _reduction(None, None, reduction))


def smooth_l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
                   beta: float = 1.0) -> Tensor:
    _warn_size(input, target)
    reduction = _reduction(size_average, reduce, reduction)
    if beta == 0.0:
        return _apply_reduction((input - target).abs(), reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")

    def kernel(x, t):
        z = np.abs(x - t)
        return np.where(z < beta, 0.5 * z * z / beta, z - 0.5 * beta).astype(z.dtype, copy=False)
    return _elementwise(SmoothL1LossBackward0, kernel, input, target, reduction, {"beta": beta})


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,
               weight: Tensor | None = None) -> Tensor:
    _warn_size(input, target)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")

    def kernel(x, t):
        z = np.abs(x - t)
        return np.where(z < delta, 0.5 * z * z, delta * (z - 0.5 * delta)).astype(z.dtype, copy=False)
    if weight is not None:
        _check_weight_size(weight, input)
        loss = _elementwise(HuberLossBackward0, kernel, input, target, "none", {"delta": delta}) * weight
        if reduction not in _REDUCTIONS:
            raise ValueError(f"Invalid reduction mode: {reduction}. Expected one of 'none', 'mean', 'sum'.")
        return _apply_reduction(loss, reduction)
    return _elementwise(HuberLossBackward0, kernel, input, target, _reduction(None, None, reduction),
                        {"delta": delta})


def soft_margin_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                     reduction: str = "mean") -> Tensor:
    """log(1 + exp(-target * input)), computed without overflow for large margins."""
    reduction = _reduction(size_average, reduce, reduction)
    _no_grad_arg(target, "target", "soft_margin_loss")
    x, t = _pair(input, target)
    loss = np.logaddexp(0, -t * x).astype(x.dtype, copy=False)
    return record(SoftMarginLossBackward0, _reduce_array(loss, reduction), (input,), (input, target),
                  {"reduction": reduction, "numel": loss.size})


class BinaryCrossEntropyBackward0(_ElementwiseLoss):
    """d/dx = (x - t) / max(x (1 - x), 1e-12); d/dt = -logit(x)."""

    weight = None

    def backward(self, g, x, t):
        gs = self._scaled(g) if self.weight is None else self._scaled(g) * self.weight
        gx = gt = None
        if self._next[0] is not None:
            d = x * (1 - x)
            gx = (x - t) / dual.where(dual.data(d) < 1e-12, 1e-12, d) * gs
        if self._next[1] is not None:
            gt = -dual.log(x / (1 - x)) * gs
        return gx, gt


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
                         reduce=None, reduction: str = "mean") -> Tensor:
    """-w (t log x + (1 - t) log(1 - x)), each log clamped at -100 as torch does."""
    reduction = _reduction(size_average, reduce, reduction)
    if target._data.shape != input._data.shape:
        raise ValueError(f"Using a target size ({target.size()}) that is different to the input size "
                         f"({input.size()}) is deprecated. Please ensure they have the same size.")
    _no_grad_arg(weight, "weight", "binary_cross_entropy")
    x, t = _pair(input, target)
    if not np.all((x >= 0) & (x <= 1)):
        raise RuntimeError("all elements of input should be between 0 and 1")
    if not np.all((t >= 0) & (t <= 1)):
        raise RuntimeError("all elements of target should be between 0 and 1")
    with np.errstate(divide="ignore"):
        log_x = np.maximum(np.log(x), -100)
        log_1mx = np.maximum(np.log1p(-x), -100)
    loss = (t - 1) * log_1mx - t * log_x
    w = None
    if weight is not None:
        w = np.broadcast_to(weight._data.astype(x.dtype, copy=False), np.broadcast_shapes(t.shape,
                                                                                          weight._data.shape))
        loss = loss * w
    return record(BinaryCrossEntropyBackward0, _reduce_array(loss.astype(x.dtype, copy=False), reduction),
                  (input, target), (input, target), {"reduction": reduction, "numel": loss.size, "weight": w})


class BinaryCrossEntropyWithLogitsBackward0(_ElementwiseLoss):
    """d/dx = sigmoid(x) (1 + (p - 1) t) - p t;  d/dt = -x - (p - 1) log(sigmoid(x))  (p: pos_weight)."""

    weight = None
    pos_weight = None

    def backward(self, g, x, t):
        gs = self._scaled(g) if self.weight is None else self._scaled(g) * self.weight
        p = self.pos_weight
        gx = gt = None
        if self._next[0] is not None:
            if p is None:
                gx = (dual.sigmoid(x) - t) * gs
            else:
                gx = (dual.sigmoid(x) * (1 + (p - 1) * t) - p * t) * gs
        if self._next[1] is not None:
            gt = (-x if p is None else -x - (p - 1) * dual.logsigmoid(x)) * gs
        return gx, gt


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                     size_average=None, reduce=None, reduction: str = "mean",
                                     pos_weight: Tensor | None = None) -> Tensor:
    """(1 - t) x - (1 + (p - 1) t) log(sigmoid(x)), stable for logits of any size."""
    reduction = _reduction(size_average, reduce, reduction)
    if target._data.shape != input._data.shape:
        raise ValueError(f"Target size ({target.size()}) must be the same as input size ({input.size()})")
    _no_grad_arg(weight, "weight", "binary_cross_entropy_with_logits")
    _no_grad_arg(pos_weight, "pos_weight", "binary_cross_entropy_with_logits")
    x, t = _pair(input, target)
    log_sig = dual.logsigmoid(x)
    p = w = None
    if pos_weight is not None:
        p = pos_weight._data.astype(x.dtype, copy=False)
        log_sig = log_sig * ((p - 1) * t + 1)
    loss = (1 - t) * x - log_sig
    if weight is not None:
        w = weight._data.astype(x.dtype, copy=False)
        loss = loss * w
    return record(BinaryCrossEntropyWithLogitsBackward0, _reduce_array(loss.astype(x.dtype, copy=False), reduction),
                  (input, target), (input, target),
                  {"reduction": reduction, "numel": loss.size, "weight": w, "pos_weight": p})


# ======================================================================================
# nll_loss and cross_entropy
# ======================================================================================

class NllLossBackward0(Node):
    """-w[t] * g placed at each (sample, target class); linear in g, so its own derivative
    reads the grad-of-grad back at the same places."""

    distinct = False    # the places are known to be distinct (one per row)

    def backward(self, g):
        if self.reduction == "none":
            gv = (g if self.out_at is None else g[self.out_at]) * self.coef
        elif self.reduction == "mean":
            gv = g / self.total_weight * self.coef
        else:
            gv = g * self.coef
        return dual.embed(gv, self.shape, self.at, self.distinct),


class NllLoss2DBackward0(NllLossBackward0):
    pass


def _check_target_dtype(t: np.ndarray) -> None:
    if t.dtype != np.int64 and t.dtype != np.uint8:
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got {_dtype_name(t.dtype)}")


def _nll_kernel(cls, input: Tensor, target: Tensor, weight, reduction: str, ignore_index: int) -> Tensor:
    """nll over input (C,) or (N, C, *S) with target () / (1,) or (N, *S)."""
    x, t = input._data, target._data
    _check_target_dtype(t)
    single = x.ndim == 1
    n_classes = x.shape[0] if single else x.shape[1]
    if weight is not None and (weight.dim() != 1 or weight.numel() != n_classes):
        raise RuntimeError(f"weight tensor should be defined either for all {n_classes} classes or no classes but "
                           f"got weight tensor of shape: {list(weight.shape)}")
    if x.ndim == 2 and weight is None and t.dtype == np.int64 and not 0 <= ignore_index < n_classes and \
            not (t.view(np.uint64) >= n_classes).any():   # negative targets wrap around to huge values
        return _nll_every_row(cls, input, t, reduction)
    if single:
        scores, tt = x[None], t.reshape(1)
    else:
        scores, tt = (x if x.ndim == 2 else np.moveaxis(x, 1, -1)), t
    tt = tt.astype(np.int64, copy=False)
    valid = tt != ignore_index
    everything = bool(valid.all())
    bad = tt.view(np.uint64) >= n_classes     # negative targets wrap around to huge values
    if not everything:
        bad &= valid
    if bad.any():
        raise IndexError(f"Target {tt[bad].flat[0]} is out of bounds.")
    safe = tt if everything else np.where(valid, tt, 0)
    if scores.ndim == 2:
        picked = scores[np.arange(safe.shape[0]), safe]
    else:
        picked = np.take_along_axis(scores, safe[..., None], -1)[..., 0]
    if weight is None:
        w = np.ones(tt.shape, x.dtype) if everything else valid.astype(x.dtype)
    else:
        w = weight._data.astype(x.dtype, copy=False)[safe]
        if not everything:
            w = np.where(valid, w, np.zeros((), x.dtype))
    loss = -picked * w if everything else np.where(valid, -picked * w, np.zeros((), x.dtype))
    total_weight = w.sum()
    out = _nll_reduce(loss.reshape(()) if single else loss, total_weight, reduction)
    if not grad_needed(input):
        return record(cls, out, (input,))
    if scores.ndim == 2 and everything:   # the common (N, C) batch: every row has a target
        rows = np.arange(tt.shape[0])
        at, out_at, coef = ((tt,) if single else (rows, tt)), None, -w
    else:
        at_valid = np.nonzero(valid)
        at = (tt[at_valid],) if single else (at_valid[0], tt[at_valid], *at_valid[1:])
        out_at, coef = (None if single else at_valid), -w[at_valid]
    return record(cls, out, (input,), attrs={"reduction": reduction, "coef": coef, "at": at, "out_at": out_at,
                                             "shape": x.shape, "total_weight": total_weight})


def _nll_reduce(loss: np.ndarray, total_weight, reduction: str) -> np.ndarray:
    """nll's reduction: the weighted mean divides by the targets' total weight (0 / 0 is NaN, as in torch)."""
    if reduction == "none":
        return loss
    total = loss.sum()
    if reduction == "sum":
        return np.asarray(total, loss.dtype)
    return np.asarray(total / total_weight, loss.dtype)   # numtorch's warning filter keeps 0 / 0 quiet


def _nll_every_row(cls, input: Tensor, t: np.ndarray, reduction: str) -> Tensor:
    """_nll_kernel's commonest case, in fewer NumPy calls: (N, C) scores, no class weights, every target a
    class; the same arithmetic (each weight is 1)."""
    x = input._data
    n = t.shape[0]
    rows = np.arange(n)
    loss = -x[rows, t]
    total_weight = x.dtype.type(n)
    out = _nll_reduce(loss, total_weight, reduction)
    if not grad_needed(input):
        return record(cls, out, (input,))
    return record(cls, out, (input,), attrs={"reduction": reduction, "coef": np.full(t.shape, -1, x.dtype),
                                             "at": (rows, t), "out_at": None, "shape": x.shape,
                                             "total_weight": total_weight, "distinct": True})


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
             ignore_index: int = -100, reduce=None, reduction: str = "mean") -> Tensor:
    reduction = _reduction(size_average, reduce, reduction)
    _no_grad_arg(weight, "weight", "nll_loss_forward")
    shape = input._data.shape
    ndim = len(shape)
    if ndim < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {ndim})")
    tshape = target._data.shape
    if ndim != 1 and shape[0] != (tshape[0] if tshape else 0):
        raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target batch_size "
                         f"({tshape[0] if tshape else 0}).")
    if ndim <= 2:
        if len(tshape) > 1:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        if ndim == 1 and len(tshape) == 1 and tshape[0] != 1:
            raise ValueError(f"For 1D input, 1D target must have size 1, but got target size: {tshape[0]}")
        return _nll_kernel(NllLossBackward0, input, target, weight, reduction, ignore_index)
    if ndim == 4:
        if len(tshape) != 3:
            raise RuntimeError(f"only batches of spatial targets supported (3D tensors) but got targets of "
                               f"dimension: {len(tshape)}")
        if tuple(input.shape[2:]) != tshape[1:]:
            raise RuntimeError(f"size mismatch (got input: {list(input.shape)} , target: {list(tshape)}")
        return _nll_kernel(NllLoss2DBackward0, input, target, weight, reduction, ignore_index)
    n, c = input.shape[0], input.shape[1]
    out_size = [n, *input.shape[2:]]
    if list(tshape[1:]) != out_size[1:]:
        raise RuntimeError(f"Expected target size {out_size}, got {list(tshape)}")
    flat_input = input.reshape(n, c, 1, -1) if input.numel() else input.reshape(n, c, 0, 0)
    flat_target = target.reshape(n, 1, -1) if target.numel() else target.reshape(n, 0, 0)
    out = _nll_kernel(NllLoss2DBackward0, flat_input, flat_target, weight, reduction, ignore_index)
    return out.view(out_size) if reduction == "none" else out


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
                  ignore_index: int = -100, reduce=None, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """nll_loss of log_softmax over the class dim (dim 1, or 0 for unbatched input); class
    probabilities when target has input's shape."""
    reduction = _reduction(size_average, reduce, reduction)
    class_dim = 0 if input.dim() == 1 else 1
    if input._data.shape == target._data.shape:
        if target._data.dtype.kind != "f":
            raise RuntimeError(f"Expected floating point type for target with class probabilities, got "
                               f"{_dtype_name(target._data.dtype)}")
        if ignore_index >= 0:
            raise RuntimeError("ignore_index is not supported for floating point target")
        _check_smoothing(label_smoothing)
        return _cross_entropy_probs(input, target, weight, reduction, label_smoothing, class_dim)
    logp = input.log_softmax(class_dim)
    if label_smoothing > 0.0:
        _check_smoothing(label_smoothing)
        return _cross_entropy_smoothed(logp, target, weight, reduction, ignore_index, label_smoothing, class_dim)
    return nll_loss(logp, target, weight, None, ignore_index, None, reduction)


def _check_smoothing(label_smoothing: float) -> None:
    """torch checks the upper bound only: a negative label_smoothing means none."""
    if label_smoothing > 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")


def _class_view(weight: Tensor, ndim: int) -> Tensor:
    """weight (C,) shaped to broadcast along dim 1 of an ndim-D input."""
    return weight if ndim <= 1 else weight.view([1, weight.shape[0]] + [1] * (ndim - 2))


def _cross_entropy_probs(input, target, weight, reduction, label_smoothing, class_dim):
    n_classes = input.shape[class_dim]
    logp = input.log_softmax(class_dim)
    if label_smoothing > 0.0:
        target = target * (1 - label_smoothing) + label_smoothing / n_classes
    prod = logp * target if weight is None else logp * target * _class_view(weight, input.dim())
    if reduction == "mean":
        if input.numel() == 0:
            return -prod.sum() * float("nan")
        return -prod.sum() / (input.numel() // n_classes)
    if reduction == "sum":
        return -prod.sum()
    return -prod.sum(class_dim)


def _cross_entropy_smoothed(logp, target, weight, reduction, ignore_index, label_smoothing, class_dim):
    """(1 - s) * nll + s / C * (the loss against the uniform distribution), ignored targets left out."""
    n_classes = logp.shape[class_dim]
    nll = nll_loss(logp, target, weight, None, ignore_index, None, reduction)
    ignore = target == ignore_index
    smooth = -(logp if weight is None else logp * _class_view(weight, logp.dim())).sum(class_dim)
    smooth = smooth.masked_fill(ignore, 0.0)
    if reduction == "mean":
        if weight is None:
            smooth = smooth.sum() / (~ignore).sum()
        else:
            smooth = smooth.sum() / weight.gather(0, target.masked_select(~ignore).flatten()).sum()
    elif reduction == "sum":
        smooth = smooth.sum()
    return (1 - label_smoothing) * nll + smooth * (label_smoothing / n_classes)


# ======================================================================================
# multi_margin_loss
# ======================================================================================

class MultiMarginLossBackward0(Node):
    """For each class i != y with z_i = margin - x_y + x_i > 0: d/dx_i = w_y/C * p z_i^(p-1),
    and x_y gets minus their sum."""

    def backward(self, g, x):
        rows, t = self.rows, self.target
        z = self.margin - dual.unsqueeze(x[(rows, t)], 1) + x
        active = self.active
        dz = dual.where(active, 2 * z, 0.0) if self.p == 2 else active.astype(dual.data(x).dtype)
        if self.reduction == "none":
            gs = dual.unsqueeze(g, 1) if not self.single else g
        else:
            gs = g / self.n if self.reduction == "mean" else g
        gi = dz * self.scale * gs
        return gi - dual.embed(dual.sum(gi, 1), dual.data(x).shape, (rows, t)),


def multi_margin_loss(input: Tensor, target: Tensor, p: int = 1, margin: float = 1.0,
                      weight: Tensor | None = None, size_average=None, reduce=None,
                      reduction: str = "mean") -> Tensor:
    """sum over classes i != y of max(0, margin - x_y + x_i)^p, times weight[y], over C."""
    reduction = _reduction(size_average, reduce, reduction)
    if p != 1 and p != 2:
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight.dim() != 1:
        raise ValueError("weight must be one-dimensional")
    _no_grad_arg(weight, "weight", "multi_margin_loss")
    x0 = input._data
    if x0.ndim > 2 or (x0.size == 0 and x0.ndim != 2):
        raise RuntimeError(f"Expected non-empty vector or matrix with optional 0-dim batch size, but got: "
                           f"{list(x0.shape)}")
    single = x0.ndim <= 1
    if not single and target._data.shape != (x0.shape[0],):
        raise RuntimeError(f"multi_margin_loss: target tensor should be 1-D with size equal to the number of input "
                           f"samples (batch size). Expected target size [{x0.shape[0]}], but got "
                           f"{list(target._data.shape)}. Input has shape {list(x0.shape)}.")
    view = input.reshape(1, -1) if single else input   # one rule serves the unbatched case
    x, t = view._data, target._data.reshape(-1)
    n, c = x.shape
    if np.any((t < 0) | (t >= c)):
        raise RuntimeError("target out of range")
    rows = np.arange(n)
    z = margin - x[rows, t][:, None] + x
    active = z > 0
    active[rows, t] = False
    w_y = np.ones(n, x.dtype) if weight is None else weight._data.astype(x.dtype)[t]
    scale = (w_y / c).astype(x.dtype)[:, None]
    loss = (np.where(active, z if p == 1 else z * z, 0) * scale).sum(1).astype(x.dtype, copy=False)
    out = _reduce_array(loss, reduction)
    if single and reduction == "none":
        out = out.reshape(())
    return record(MultiMarginLossBackward0, out, (view,), (view,),
                  {"rows": rows, "target": t, "active": active, "margin": margin, "p": p, "scale": scale,
                   "reduction": reduction, "n": n, "single": single})


# ======================================================================================
# multilabel_margin_loss
# ======================================================================================

class MultilabelMarginLossBackward0(Node):
    """d/dx is a constant pattern (the active hinge terms) times g; torch has no second derivative."""

    def backward(self, g, x):
        gd = dual.data(g)
        if self.reduction == "none":
            gs = gd.reshape(-1, 1)
        else:
            gs = gd / self.n if self.reduction == "mean" and self.n else gd
        out = (self.slope * gs).astype(dual.data(x).dtype, copy=False)
        if dual.is_tensor(g):
            return _no_derivative("multilabel_margin_loss_backward", out, g, x),
        return out,


def multilabel_margin_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                           reduction: str = "mean") -> Tensor:
    """sum over targets j (the row up to its first -1) and non-targets i of max(0, 1 - x_j + x_i), over C."""
    reduction = _reduction(size_average, reduce, reduction)
    x0 = input._data
    if x0.dtype.kind != "f":
        raise not_implemented_for("multilabel_margin_loss_forward_out_frame", x0.dtype)
    if x0.ndim > 2 or (x0.size == 0 and not (x0.ndim == 2 and x0.shape[1])):
        raise RuntimeError(f"Expected non-empty vector or matrix with optional 0-dim batch size, but got: "
                           f"{list(x0.shape)}")
    if target._data.dtype != np.int64:
        raise RuntimeError(f"expected scalar type Long but found {_dtype_name(target._data.dtype)}")
    if target._data.shape != x0.shape:
        raise RuntimeError(f"inconsistent target size: {list(target._data.shape)} for input of size: "
                           f"{list(x0.shape)}")
    single = x0.ndim <= 1
    view = input.reshape(1, -1) if single else input
    x, t = view._data, target._data.reshape(x0.shape if not single else (1, -1))
    n, c = x.shape
    if np.any((t < -1) | (t >= c)):
        raise RuntimeError("argument #2 'target' is out of range")
    listed = np.cumprod(t != -1, axis=1).astype(bool)        # positions before the first -1
    rows = np.arange(n)[:, None]
    is_target = np.zeros((n, c), bool)
    is_target[np.broadcast_to(rows, t.shape)[listed], t[listed]] = True
    tj = np.where(listed, t, 0)
    z = 1 - x[rows, tj][:, :, None] + x[:, None, :]          # (n, j, i)
    active = listed[:, :, None] & ~is_target[:, None, :] & (z > 0)
    loss = (np.where(active, z, 0).sum((1, 2)) / c).astype(x.dtype, copy=False)
    slope = active.sum(1).astype(x.dtype)
    np.add.at(slope, (np.broadcast_to(rows, t.shape), tj), -active.sum(2))
    if reduction == "mean":
        out = np.asarray(loss.sum() / n if n else 0, x.dtype)
    else:
        out = _reduce_array(loss, reduction)
    if single and reduction == "none":
        out = out.reshape(())
    return record(MultilabelMarginLossBackward0, out, (view,), (view,),
                  {"slope": slope / c, "reduction": reduction, "n": n})


# ======================================================================================
# ctc_loss (kernel in _ctc.py)
# ======================================================================================

def ctc_loss(log_probs: Tensor, targets: Tensor, input_lengths, target_lengths, blank: int = 0,
             reduction: str = "mean", zero_infinity: bool = False) -> Tensor:
    """'mean' divides each sample's loss by its target length (at least 1), then averages over the batch."""
    from ._ctc import ctc_nll, target_lengths_array
    reduction = _reduction(None, None, reduction)
    loss = ctc_nll(log_probs, targets, input_lengths, target_lengths, blank, zero_infinity)
    if zero_infinity:
        loss = where(loss == math.inf, loss.new_zeros(()), loss)
    if reduction == "mean":
        return (loss / wrap(np.maximum(target_lengths_array(target_lengths), 1))).mean()
    return loss.sum() if reduction == "sum" else loss


# ======================================================================================
# composite losses (torch builds these from other ops; so does numtorch)
# ======================================================================================

def kl_div(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
           log_target: bool = False) -> Tensor:
    """Pointwise target * (log target - input), summed as `reduction` says ('batchmean': per sample)."""
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce)
        batchmean = False
    else:
        if reduction == "mean":
            warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the support size."
                          "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
                          "'mean' will be changed to behave the same as 'batchmean' in the next major release.",
                          stacklevel=2)
        batchmean = reduction == "batchmean"
        reduction = "sum" if batchmean else _reduction(None, None, reduction)
    out = target.exp() * (target - input) if log_target else xlogy(target, target) - target * input
    out = _apply_reduction(out, reduction)
    if batchmean and input.dim() != 0:
        out = out / input.shape[0]
    return out


def poisson_nll_loss(input: Tensor, target: Tensor, log_input: bool = True, full: bool = False,
                     size_average=None, eps: float = 1e-8, reduce=None, reduction: str = "mean") -> Tensor:
    reduction = _reduction(size_average, reduce, reduction)
    loss = input.exp() - target * input if log_input else input - target * (input + eps).log()
    if full:
        stirling = target * target.log() - target + 0.5 * (2 * math.pi * target).log()
        loss = loss + stirling.masked_fill(target <= 1, 0)
    return _apply_reduction(loss, reduction)


def gaussian_nll_loss(input: Tensor, target: Tensor, var, full: bool = False, eps: float = 1e-6,
                      reduction: str = "mean") -> Tensor:
    """0.5 (log var + (input - target)^2 / var); var is clamped at eps outside the graph."""
    if isinstance(var, float):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = var * ones_like(input)
    elif bool((var._data < 0).any()):
        raise ValueError("var has negative entry/entries")
    vshape, ishape = tuple(var.shape), tuple(input.shape)
    if vshape != ishape:
        if ishape[:-1] == vshape:
            var = var.unsqueeze(-1)
        elif not (len(ishape) == len(vshape) and sum(b for a, b in zip(ishape, vshape) if a != b) == 1):
            raise ValueError("var is of incorrect size")
    if reduction not in _REDUCTIONS:
        raise ValueError(reduction + " is not valid")
    var = var.clone()
    with no_grad():
        var.clamp_(min=eps)
    loss = 0.5 * (var.log() + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _apply_reduction(loss, reduction)


def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0,
                          size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """1 - cos(x1, x2) where target is 1, max(0, cos - margin) where it is -1."""
    reduction = _reduction(size_average, reduce, reduction)
    tdim = target.dim()
    if tdim > 1:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    want = 2 if tdim == 1 else 1
    if input1.dim() != want or input2.dim() != want:
        raise RuntimeError(f"{tdim}D target tensor expects {want}D input tensors, but found inputs with sizes "
                           f"{list(input1.shape)} and {list(input2.shape)}.")
    eps = 1e-12
    prod_sum = (input1 * input2).sum(tdim)
    mag1 = (input1 * input1).sum(tdim) + eps
    mag2 = (input2 * input2).sum(tdim) + eps
    cos = prod_sum / (mag1 * mag2).sqrt()
    zeros = cos.new_zeros(cos.shape)
    pos = where(target == 1, 1 - cos, zeros)
    neg = where(target == -1, (cos - margin).clamp_min(0), zeros)
    return _apply_reduction(pos + neg, reduction)


def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0,
                        size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    reduction = _reduction(size_average, reduce, reduction)
    if input1.dim() != input2.dim() or input1.dim() != target.dim():
        raise RuntimeError(f"margin_ranking_loss : All input tensors should have same dimension but got sizes: "
                           f"input1: {input1.size()}, input2: {input2.size()}, target: {target.size()} ")
    return _apply_reduction((-target * (input1 - input2) + margin).clamp_min(0), reduction)


def hinge_embedding_loss(input: Tensor, target: Tensor, margin: float = 1.0, size_average=None, reduce=None,
                         reduction: str = "mean") -> Tensor:
    """input where target is 1, max(0, margin - input) where it is -1."""
    reduction = _reduction(size_average, reduce, reduction)
    zeros = input.new_zeros(input.shape)
    below = where(target != 1, (margin - input).clamp_min(0), zeros)
    above = where(target != -1, input, zeros)
    return _apply_reduction(below + above, reduction)


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> Tensor:
    """The p-norm of x1 - x2 + eps over the last dim."""
    last = max(x1.dim(), x2.dim()) - 1
    return (x1 - x2 + eps).norm(p, last, keepdim)


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """sum(x1/|x1| * x2/|x2|); each norm is clamped at eps outside the graph, as torch does."""
    dt = result_np_dtype(x1, x2)
    if dt.kind != "f":
        raise RuntimeError(f"expected common dtype to be floating point, yet common dtype is {_dtype_name(dt)}")
    x1, x2 = (x if x._data.dtype == dt else x.to(from_np(dt)) for x in (x1, x2))
    x1, x2 = broadcast_tensors(x1, x2)
    n1 = vector_norm(x1, 2, dim, keepdim=True).clone()
    n2 = vector_norm(x2, 2, dim, keepdim=True).clone()
    with no_grad():
        n1.clamp_min_(eps)
        n2.clamp_min_(eps)
    return ((x1 / n1) * (x2 / n2)).sum(dim)


def _triplet(distance, anchor, positive, negative, margin, swap, reduction) -> Tensor:
    """max(0, margin + d(a, p) - d(a, n)); `swap` uses min(d(a, n), d(p, n)) as the negative distance."""
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    da, dp, dn = anchor.dim(), positive.dim(), negative.dim()
    if not da == dp == dn:
        raise RuntimeError(f"The anchor, positive, and negative tensors are expected to have the same number of "
                           f"dimensions, but got: anchor {da}D, positive {dp}D, and negative {dn}D inputs")
    d_pos = distance(anchor, positive)
    d_neg = distance(anchor, negative)
    if swap:
        d_neg = minimum(d_neg, distance(positive, negative))
    return _apply_reduction((margin + d_pos - d_neg).clamp_min(0), reduction)


def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor, margin: float = 1.0, p: float = 2,
                        eps: float = 1e-6, swap: bool = False, size_average=None, reduce=None,
                        reduction: str = "mean") -> Tensor:
    reduction = _reduction(size_average, reduce, reduction)
    return _triplet(lambda a, b: pairwise_distance(a, b, p, eps), anchor, positive, negative, margin, swap,
                    reduction)


def triplet_margin_with_distance_loss(anchor: Tensor, positive: Tensor, negative: Tensor, *,
                                      distance_function=None, margin: float = 1.0, swap: bool = False,
                                      reduction: str = "mean") -> Tensor:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return _triplet(distance_function if distance_function is not None else pairwise_distance, anchor, positive,
                    negative, margin, swap, reduction)


def multilabel_soft_margin_loss(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
                                reduce=None, reduction: str = "mean") -> Tensor:
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce)
    loss = -(target * dual.logsigmoid(input) + (1 - target) * dual.logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    class_dim = input.dim() - 1
    loss = loss.sum(class_dim) / input.size(class_dim)
    if reduction not in _REDUCTIONS:
        raise ValueError(reduction + " is not valid")
    return _apply_reduction(loss, reduction)


# ======================================================================================
# pdist
# ======================================================================================

class PdistBackward0(Node):
    """Each pair's distance moves x_i by +g d r / d (x_i - x_j) and x_j by minus that; torch has no
    second derivative here."""

    def backward(self, g, x):
        xd, gd = dual.data(x), dual.data(g)
        i, j, p = self.i, self.j, self.p
        d = xd[i] - xd[j]
        r = self.dist[:, None]
        with np.errstate(divide="ignore", invalid="ignore"):
            if p == 0:
                slope = np.zeros_like(d)
            elif p == 1:
                slope = np.sign(d)
            elif p == math.inf:
                slope = np.sign(d) * (np.abs(d) == r)
            elif p == 2:
                slope = d / r
            else:
                slope = np.sign(d) * np.abs(d) ** (p - 1) / r ** (p - 1)
        pair = np.where(r == 0, 0.0, slope) * gd[:, None]
        out = np.zeros_like(xd)
        np.add.at(out, i, pair)
        np.add.at(out, j, -pair)
        if dual.is_tensor(g):
            return _no_derivative("_pdist_backward", out, g, x),
        return out,


def pdist(input: Tensor, p: float = 2) -> Tensor:
    """The p-norm distance of every pair of rows i < j, in row-major order."""
    x = input._data
    if x.ndim != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {x.ndim}D")
    if x.dtype.kind != "f":
        raise RuntimeError(f"pdist only supports floating-point dtypes")
    if p < 0:
        raise RuntimeError("pdist only supports non-negative p values")
    i, j = np.triu_indices(x.shape[0], 1)
    d = np.abs(x[i] - x[j])
    if p == 0:
        dist = (d != 0).sum(1).astype(x.dtype)
    elif p == math.inf:
        dist = d.max(1, initial=0)
    elif p == 1:
        dist = d.sum(1)
    elif p == 2:
        dist = np.sqrt((d * d).sum(1))
    else:
        dist = (d ** p).sum(1) ** (1 / p)
    dist = dist.astype(x.dtype, copy=False)
    return record(PdistBackward0, dist, (input,), (input,), {"i": i, "j": j, "p": p, "dist": dist})
