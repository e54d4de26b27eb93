"""Adamax: Adam with the second moment replaced by an exponentially weighted infinity norm.

The update is torch's single-tensor algorithm, operation for operation.
"""
from __future__ import annotations

from .._ops.pointwise import maximum
from .._ops.reduction import amax
from .._ops.shape import cat
from ._functional import (FLAG_DEFAULTS, GroupLoopOptimizer, as_scalar, check_foreach, check_hyperparameters,
                          check_singleton_tensors, weight_decayed)
from .optimizer import _get_value, _to_scalar

__all__ = ["Adamax", "adamax"]


class Adamax(GroupLoopOptimizer):
    """Adamax (Kingma & Ba, section 7); torch.optim.Adamax's contract."""

    _zero_state = ("exp_avg", "exp_inf")
    _old_group_defaults = FLAG_DEFAULTS

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, foreach=None, *,
                 maximize=False, differentiable=False, capturable=False):
        check_hyperparameters(lr=lr, eps=eps, betas=betas, weight_decay=weight_decay)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable, "capturable": capturable}
        super().__init__(params, defaults)

    def _step_group(self, group):
        self._apply_functional(adamax, group, "exp_avg", "exp_inf", "step")


def adamax(params, grads, exp_avgs, exp_infs, state_steps, foreach=None, maximize=False, differentiable=False,
           capturable=False, has_complex=False, *, eps, beta1, beta2, lr, weight_decay):
    """Functional Adamax: updates params and their state tensors in place."""
    check_singleton_tensors(state_steps)
    check_foreach(foreach, differentiable)
    lr = _to_scalar(lr)
    for param, grad, exp_avg, exp_inf, step_t in zip(params, grads, exp_avgs, exp_infs, state_steps,
                                                     strict=True):
        grad = grad if not maximize else -grad
        step_t += 1
        grad = weight_decayed(param, grad, weight_decay)
        exp_avg.lerp_(grad, 1 - beta1)
        if differentiable:  # amax over a stack: maximum(out=) cannot be recorded
            both = cat([exp_inf.mul_(beta2).unsqueeze(0), grad.abs().add_(eps).unsqueeze(0)], 0)
            exp_inf.copy_(amax(both, 0, keepdim=False))
        else:
            maximum(exp_inf.mul_(beta2), grad.abs().add_(eps), out=exp_inf)
        clr = lr / (1 - beta1 ** _get_value(step_t))
        param.addcdiv_(exp_avg, exp_inf, value=as_scalar(-clr, "addcdiv_", "'value'"))

