"""torch.<name> spellings of nn.functional ops (torch.conv2d, torch.dropout, torch.batch_norm, ...).

Where torch's top-level signature equals nn.functional's, the function is re-exported as is.
Where it differs (positional `train`, weight-first `embedding`, integer `reduction`, batch_norm's
weight/bias before the running stats), a thin adapter maps torch's arguments onto the one
implementation in nn.functional.
"""
from __future__ import annotations

from .nn import functional as F
from .nn.functional import (adaptive_avg_pool1d, avg_pool1d, bilinear, celu, celu_, channel_shuffle, conv1d,  # noqa: F401
                            conv2d, conv3d, conv_tbc, conv_transpose1d, conv_transpose2d, conv_transpose3d, cosine_similarity,
                            hardshrink, layer_norm, group_norm, native_channel_shuffle, pairwise_distance,
                            pixel_shuffle, pixel_unshuffle, prelu, rms_norm, selu, selu_, threshold_)

__all__ = ["adaptive_avg_pool1d", "adaptive_max_pool1d", "alpha_dropout", "alpha_dropout_", "avg_pool1d", "batch_norm",
           "bilinear", "binary_cross_entropy_with_logits", "celu", "celu_", "channel_shuffle", "conv1d", "conv2d",
           "conv3d", "conv_tbc", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "cosine_embedding_loss",
           "cosine_similarity", "dropout", "dropout_", "embedding", "feature_alpha_dropout",
           "feature_alpha_dropout_", "group_norm", "hardshrink", "hinge_embedding_loss", "instance_norm", "kl_div",
           "layer_norm", "margin_ranking_loss", "max_pool1d", "max_pool1d_with_indices", "max_pool2d", "max_pool3d",
           "native_channel_shuffle", "pairwise_distance", "pixel_shuffle", "pixel_unshuffle", "poisson_nll_loss",
           "prelu", "rms_norm", "rrelu", "rrelu_", "selu", "selu_", "threshold", "threshold_",
           "triplet_margin_loss"]

_REDUCTIONS = ("none", "mean", "sum")


def _reduction(reduction) -> str:
    """torch's top-level losses take the Reduction enum as an int: 0 none, 1 mean, 2 sum.

    Their default in torch 2.13 is 0 (no reduction), unlike nn.functional's 'mean'."""
    if type(reduction) is not int or not 0 <= reduction <= 2:
        raise TypeError(f"argument 'reduction' must be int (0, 1 or 2), not {reduction!r}")
    return _REDUCTIONS[reduction]


def _dropout(fn, inplace):
    def op(input, p, train):
        return fn(input, p, train, inplace)
    return op


dropout = _dropout(F.dropout, False)
dropout_ = _dropout(F.dropout, True)
alpha_dropout = _dropout(F.alpha_dropout, False)
alpha_dropout_ = _dropout(F.alpha_dropout, True)
feature_alpha_dropout = _dropout(F.feature_alpha_dropout, False)
feature_alpha_dropout_ = _dropout(F.feature_alpha_dropout, True)


def batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps, cudnn_enabled):
    return F.batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)


def instance_norm(input, weight, bias, running_mean, running_var, use_input_stats, momentum, eps, cudnn_enabled):
    return F.instance_norm(input, running_mean, running_var, weight, bias, use_input_stats, momentum, eps)


def embedding(weight, indices, padding_idx=-1, scale_grad_by_freq=False, sparse=False):
    """torch.embedding: weight first; padding_idx -1 means none (a row's gradient is never masked)."""
    return F.embedding(indices, weight, None if padding_idx == -1 else padding_idx,
                       scale_grad_by_freq=scale_grad_by_freq, sparse=sparse)


def threshold(input, threshold, value):  # noqa: A002 - torch's names
    return F.threshold(input, threshold, value)


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, generator=None):
    if generator is not None:
        raise NotImplementedError("torch.rrelu(generator=...): numtorch's rrelu draws from the global generator")
    return F.rrelu(input, lower, upper, training)


def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False, generator=None):
    if generator is not None:
        raise NotImplementedError("torch.rrelu_(generator=...): numtorch's rrelu draws from the global generator")
    return F.rrelu(input, lower, upper, training, True)


def _pool(fn, with_indices=False):
    def op(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
        return fn(input, kernel_size, stride if stride not in ((), []) else None, padding, dilation, ceil_mode,
                  return_indices=with_indices)
    return op


max_pool1d = _pool(F.max_pool1d)
max_pool2d = _pool(F.max_pool2d)
max_pool3d = _pool(F.max_pool3d)
max_pool1d_with_indices = _pool(F.max_pool1d, True)


def adaptive_max_pool1d(input, output_size):
    """torch.adaptive_max_pool1d returns (values, indices), like F's return_indices=True."""
    return F.adaptive_max_pool1d(input, output_size, return_indices=True)


def kl_div(input, target, reduction=0, *, log_target=False):
    return F.kl_div(input, target, reduction=_reduction(reduction), log_target=log_target)


def binary_cross_entropy_with_logits(input, target, weight=None, pos_weight=None, reduction=0):
    return F.binary_cross_entropy_with_logits(input, target, weight, reduction=_reduction(reduction),
                                              pos_weight=pos_weight)


def cosine_embedding_loss(input1, input2, target, margin=0.0, reduction=0):
    return F.cosine_embedding_loss(input1, input2, target, margin, reduction=_reduction(reduction))


def hinge_embedding_loss(input, target, margin=1.0, reduction=0):
    return F.hinge_embedding_loss(input, target, margin, reduction=_reduction(reduction))


def margin_ranking_loss(input1, input2, target, margin=0.0, reduction=0):
    return F.margin_ranking_loss(input1, input2, target, margin, reduction=_reduction(reduction))


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-06, swap=False, reduction=0):
    return F.triplet_margin_loss(anchor, positive, negative, margin, p, eps, swap, reduction=_reduction(reduction))


def poisson_nll_loss(input, target, log_input, full, eps, reduction):
    return F.poisson_nll_loss(input, target, log_input, full, eps=eps, reduction=_reduction(reduction))
