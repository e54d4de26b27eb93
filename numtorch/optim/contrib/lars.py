"""LARS: momentum SGD whose step for each tensor is scaled by a local, layer-wise learning rate.

The local rate eta * ||w|| / (||g|| + weight_decay * ||w||) keeps every
layer's step a fixed fraction of its weights, which is what lets very large
batches (and learning rates) train stably.
"""
from __future__ import annotations

from ..._ops.creation import zeros_like
from .._functional import check_hyperparameters, check_nonneg
from ._base import PerParamOptimizer

__all__ = ["LARS"]


class LARS(PerParamOptimizer):
    """LARS (Layer-wise Adaptive Rate Scaling).

    You, Gitman & Ginsburg, "Large Batch Training of Convolutional Networks",
    arXiv:1708.03888 (Algorithm 1): ``local_lr = trust_coefficient * ||w|| /
    (||g|| + weight_decay * ||w||)`` (1 where ||w|| or that denominator is 0),
    ``v = momentum * v + lr * local_lr * (g + weight_decay * w)``, ``w -= v``.
    As in the paper the learning rate sits inside the momentum buffer, so a
    schedule changes only the new contributions. With `exclude_1d=True`,
    vectors and scalars (biases, norm weights) take a plain momentum-SGD step
    with neither weight decay nor the local rate, as in SimCLR's recipe.
    """

    def __init__(self, params, lr=1e-3, momentum=0.9, weight_decay=0.0, trust_coefficient=1e-3, *,
                 exclude_1d=False, maximize=False):
        check_hyperparameters(lr=lr, momentum=momentum, weight_decay=weight_decay)
        check_nonneg(trust_coefficient, "trust_coefficient")
        super().__init__(params, {"lr": lr, "momentum": momentum, "weight_decay": weight_decay,
                                  "trust_coefficient": trust_coefficient, "exclude_1d": exclude_1d,
                                  "maximize": maximize})

    def _init_state(self, state, p, group):
        state["momentum_buffer"] = zeros_like(p)

    def _update(self, p, grad, state, group):
        lr, weight_decay = group["lr"], group["weight_decay"]
        if group["exclude_1d"] and p.dim() <= 1:
            local_lr = 1.0
        else:
            weight_norm, grad_norm = p.norm().item(), grad.norm().item()
            denominator = grad_norm + weight_decay * weight_norm
            local_lr = group["trust_coefficient"] * weight_norm / denominator if weight_norm > 0 and denominator > 0 \
                else 1.0
            if weight_decay != 0:
                grad = grad.add(p, alpha=weight_decay)
        buf = state["momentum_buffer"]
        buf.mul_(group["momentum"]).add_(grad, alpha=lr * local_lr)
        p.sub_(buf)
