"""Adan: Nesterov momentum estimated from gradient differences, so no extrapolated point is evaluated.

Three moving averages (of the gradient, of its change, and of the squared
Nesterov-corrected gradient) give an Adam-like step that looks ahead.
"""
from __future__ import annotations

import math

from ..._ops.creation import zeros_like
from .._functional import check_hyperparameters, check_nonneg, global_norm
from ..optimizer import _get_value
from ._base import PerParamOptimizer

__all__ = ["Adan"]


class Adan(PerParamOptimizer):
    """Adan (ADAptive Nesterov momentum).

    Xie et al., "Adan: Adaptive Nesterov Momentum Algorithm for Faster
    Optimizing Deep Models", arXiv:2208.06677 (Algorithm 1, with the authors'
    bias correction). With ``d = g - g_prev`` (0 at a param's first step):
    ``m = b1*m + (1-b1)*g``, ``v = b2*v + (1-b2)*d``,
    ``n = b3*n + (1-b3)*(g + b2*d)**2``,
    ``w -= lr * (m/bc1 + b2*v/bc2) / (sqrt(n/bc3) + eps)``. The betas are
    the decay factors (the paper's 1 - beta). Weight decay is the paper's
    proximal step ``w /= 1 + lr*weight_decay``, or with `no_prox=True` the
    AdamW-style ``w *= 1 - lr*weight_decay`` before the step. `max_grad_norm`
    > 0 first scales all gradients by min(1, max_grad_norm / (||g|| + eps)),
    ||g|| over every param; being global, it and that eps are the
    constructor's, not a group's.
    """

    _instance_attrs = ("_clip",)
    _zero_state = ("exp_avg", "exp_avg_diff", "exp_avg_sq")

    def __init__(self, params, lr=1e-3, betas=(0.98, 0.92, 0.99), eps=1e-8, weight_decay=0.0, *,
                 max_grad_norm=0.0, no_prox=False, maximize=False):
        check_hyperparameters(lr=lr, eps=eps, betas=betas, weight_decay=weight_decay, n_betas=3)
        check_nonneg(max_grad_norm, "max_grad_norm")
        super().__init__(params, {"lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay,
                                  "max_grad_norm": max_grad_norm, "no_prox": no_prox, "maximize": maximize})

    def _start_step(self):
        """The global clipping factor of this step's gradients (1 without `max_grad_norm`)."""
        max_norm = self.defaults["max_grad_norm"]
        self._clip = 1.0
        if max_norm > 0:
            grads = [p.grad for g in self.param_groups for p in g["params"] if p.grad is not None]
            self._clip = min(1.0, max_norm / (global_norm(grads) + self.defaults["eps"]))

    def _update(self, p, grad, state, group):
        beta1, beta2, beta3 = group["betas"]
        lr, weight_decay = group["lr"], group["weight_decay"]
        if self._clip != 1.0:
            grad = grad * self._clip
        prev = state.get("prev_grad")  # made from the first gradient: no difference at a param's first step
        diff = zeros_like(grad) if prev is None else grad - prev
        state["step"] += 1
        step = _get_value(state["step"])
        state["exp_avg"].lerp_(grad, 1 - beta1)
        state["exp_avg_diff"].lerp_(diff, 1 - beta2)
        nesterov = grad.add(diff, alpha=beta2)
        state["exp_avg_sq"].mul_(beta3).addcmul_(nesterov, nesterov, value=1 - beta3)
        denom = (state["exp_avg_sq"].sqrt() / math.sqrt(1 - beta3 ** step)).add_(group["eps"])
        update = (state["exp_avg"] / (1 - beta1 ** step)).add_(state["exp_avg_diff"],
                                                              alpha=beta2 / (1 - beta2 ** step)).div_(denom)
        if weight_decay != 0 and group["no_prox"]:
            p.mul_(1 - lr * weight_decay)
        p.add_(update, alpha=-lr)
        if weight_decay != 0 and not group["no_prox"]:
            p.div_(1 + lr * weight_decay)
        if prev is None:
            state["prev_grad"] = grad.clone()
        else:
            prev.copy_(grad)
