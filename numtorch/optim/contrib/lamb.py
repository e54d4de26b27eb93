"""LAMB: Adam's direction, rescaled per tensor so that its length follows the weights' length.

The trust ratio ||w|| / ||update|| lets one learning rate serve every layer of a
very large-batch run, whatever the layers' scales.
"""
from __future__ import annotations

from .._functional import check_hyperparameters, check_nonneg
from ..optimizer import _get_value
from ._base import PerParamOptimizer

__all__ = ["Lamb"]


class Lamb(PerParamOptimizer):
    """LAMB (Layer-wise Adaptive Moments for Batch training).

    You et al., "Large Batch Optimization for Deep Learning: Training BERT in 76
    minutes", arXiv:1904.00962 (Algorithm 2): with Adam's bias-corrected moments,
    ``r = m_hat / (sqrt(v_hat) + eps)`` and ``u = r + weight_decay * w``,
    ``w -= lr * phi(||w||) / ||u|| * u``. Weight decay enters the update, not the
    moments (decoupled). ``phi`` is the identity, or ``min(., clamp_value)``
    when `clamp_value` is given; the ratio is 1 where either norm is zero.
    `bias_correction=False` gives the paper's first version (no debiasing).
    """

    _zero_state = ("exp_avg", "exp_avg_sq")

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-6, weight_decay=0.0, *, clamp_value=None,
                 bias_correction=True, maximize=False):
        check_hyperparameters(lr=lr, eps=eps, betas=betas, weight_decay=weight_decay)
        if clamp_value is not None:
            check_nonneg(clamp_value, "clamp_value")
        super().__init__(params, {"lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay,
                                  "clamp_value": clamp_value, "bias_correction": bias_correction,
                                  "maximize": maximize})

    def _update(self, p, grad, state, group):
        beta1, beta2 = group["betas"]
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        state["step"] += 1
        exp_avg.lerp_(grad, 1 - beta1)
        exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        if group["bias_correction"]:
            step = _get_value(state["step"])
            m_hat, v_hat = exp_avg / (1 - beta1 ** step), exp_avg_sq / (1 - beta2 ** step)
        else:
            m_hat, v_hat = exp_avg, exp_avg_sq
        update = m_hat / v_hat.sqrt().add_(group["eps"])
        if group["weight_decay"] != 0:
            update.add_(p, alpha=group["weight_decay"])
        weight_norm, update_norm = p.norm().item(), update.norm().item()
        if group["clamp_value"] is not None:
            weight_norm = min(weight_norm, group["clamp_value"])
        trust_ratio = weight_norm / update_norm if weight_norm > 0 and update_norm > 0 else 1.0
        p.add_(update, alpha=-group["lr"] * trust_ratio)
