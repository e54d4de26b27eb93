"""AdaBelief: Adam whose step size follows the belief in the gradient, not its raw magnitude.

The second moment tracks (g - m)^2, how far the gradient strays from its
prediction: a gradient close to the momentum earns a large step, a surprising
one a small step.
"""
from __future__ import annotations

import math

from ..._ops.creation import zeros_like
from .._functional import check_hyperparameters, weight_decayed
from ..optimizer import _get_value
from ._base import PerParamOptimizer

__all__ = ["AdaBelief"]


class AdaBelief(PerParamOptimizer):
    """AdaBelief.

    Zhuang et al., "AdaBelief Optimizer: Adapting Stepsizes by the Belief in
    Observed Gradients", arXiv:2010.07468 (Algorithm 2): ``m = b1*m + (1-b1)*g``,
    ``s = b2*s + (1-b2)*(g-m)**2 + eps``,
    ``w -= lr/bc1 * m / (sqrt(s/bc2) + eps)``; with `amsgrad`, ``s`` is replaced
    by its running maximum. Weight decay is decoupled (``w *= 1 - lr*wd``) by
    default, as in the authors' release; `weight_decouple=False` adds it to
    the gradient instead. The paper's eps is 1e-16 (it also enters ``s``).
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-16, weight_decay=0.0, amsgrad=False, *,
                 weight_decouple=True, maximize=False):
        check_hyperparameters(lr=lr, eps=eps, betas=betas, weight_decay=weight_decay)
        super().__init__(params, {"lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay,
                                  "amsgrad": amsgrad, "weight_decouple": weight_decouple, "maximize": maximize})

    _zero_state = ("exp_avg", "exp_avg_var")

    def _init_buffers(self, state, p, group):
        super()._init_buffers(state, p, group)
        if group["amsgrad"]:
            state["max_exp_avg_var"] = zeros_like(p)

    def _update(self, p, grad, state, group):
        beta1, beta2 = group["betas"]
        lr, eps = group["lr"], group["eps"]
        grad = weight_decayed(p, grad, group["weight_decay"], lr, decoupled=group["weight_decouple"])
        exp_avg, exp_avg_var = state["exp_avg"], state["exp_avg_var"]
        state["step"] += 1
        step = _get_value(state["step"])
        exp_avg.lerp_(grad, 1 - beta1)
        surprise = grad - exp_avg
        exp_avg_var.mul_(beta2).addcmul_(surprise, surprise, value=1 - beta2).add_(eps)
        if group["amsgrad"]:
            exp_avg_var = state["max_exp_avg_var"].copy_(state["max_exp_avg_var"].maximum(exp_avg_var))
        denom = (exp_avg_var.sqrt() / math.sqrt(1 - beta2 ** step)).add_(eps)
        p.addcdiv_(exp_avg, denom, value=-lr / (1 - beta1 ** step))
