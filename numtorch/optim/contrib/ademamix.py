"""AdEMAMix: Adam plus a second, very slow momentum, so that old gradients keep counting.

A single EMA cannot both react to recent gradients and remember distant ones;
mixing a fast (beta1) and a slow (beta3) EMA does both. The slow EMA and its
weight alpha are warmed up, since early on the slow average is noise.
"""
from __future__ import annotations

import math

from .._functional import check_hyperparameters, check_nonneg, weight_decayed
from ..optimizer import _get_value
from ._base import PerParamOptimizer

__all__ = ["AdEMAMix", "alpha_schedule", "beta3_schedule"]


def alpha_schedule(step: int, alpha: float, warmup) -> float:
    """The paper's linear warmup of alpha: min(step * alpha / warmup, alpha); alpha without warmup."""
    return alpha if not warmup else min(step * alpha / warmup, alpha)


def beta3_schedule(step: int, beta1: float, beta3: float, warmup) -> float:
    """The paper's beta3 warmup from beta1 to beta3, linear in the EMA's half-life; beta3 without warmup."""
    if not warmup:
        return beta3
    frac = step / warmup
    log1, log3 = math.log(beta1), math.log(beta3)
    return min(math.exp(log1 * log3 / ((1 - frac) * log3 + frac * log1)), beta3)


class AdEMAMix(PerParamOptimizer):
    """AdEMAMix (Adaptive EMA Mixture).

    Pagliardini, Ablin & Grangier, "The AdEMAMix Optimizer: Better, Faster,
    Older", arXiv:2409.03030 (Algorithm 1): ``m1 = b1*m1 + (1-b1)*g``,
    ``m2 = b3(t)*m2 + (1-b3(t))*g``, ``v = b2*v + (1-b2)*g**2``,
    ``w -= lr*((m1/bc1 + alpha(t)*m2) / (sqrt(v/bc2) + eps) + weight_decay*w)``
    (decoupled weight decay; only m1 and v are bias-corrected). `alpha_warmup`
    and `beta3_warmup` are the paper's T_alpha and T_beta3 (None: no warmup);
    see `alpha_schedule` and `beta3_schedule`.
    """

    _zero_state = ("exp_avg_fast", "exp_avg_slow", "exp_avg_sq")

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999, 0.9999), alpha=5.0, eps=1e-8, weight_decay=0.0, *,
                 alpha_warmup=None, beta3_warmup=None, maximize=False):
        check_hyperparameters(lr=lr, eps=eps, betas=betas, n_betas=3)
        check_nonneg(alpha, "alpha")
        check_hyperparameters(weight_decay=weight_decay)
        for name, warmup in (("alpha_warmup", alpha_warmup), ("beta3_warmup", beta3_warmup)):
            if warmup is not None:
                check_nonneg(warmup, name)
        super().__init__(params, {"lr": lr, "betas": tuple(betas), "alpha": alpha, "eps": eps,
                                  "weight_decay": weight_decay, "alpha_warmup": alpha_warmup,
                                  "beta3_warmup": beta3_warmup, "maximize": maximize})

    def _update(self, p, grad, state, group):
        beta1, beta2, beta3 = group["betas"]
        state["step"] += 1
        step = _get_value(state["step"])
        alpha = alpha_schedule(step, group["alpha"], group["alpha_warmup"])
        beta3 = beta3_schedule(step, beta1, beta3, group["beta3_warmup"])
        fast, slow, exp_avg_sq = state["exp_avg_fast"], state["exp_avg_slow"], state["exp_avg_sq"]
        fast.lerp_(grad, 1 - beta1)
        slow.lerp_(grad, 1 - beta3)
        exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        denom = (exp_avg_sq.sqrt() / math.sqrt(1 - beta2 ** step)).add_(group["eps"])
        update = (fast / (1 - beta1 ** step)).add_(slow, alpha=alpha)
        weight_decayed(p, grad, group["weight_decay"], group["lr"], decoupled=True)
        p.addcdiv_(update, denom, value=-group["lr"])
