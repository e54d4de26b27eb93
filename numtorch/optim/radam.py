"""RAdam: Adam whose adaptive step is switched on, and rectified, once its variance estimate is tractable.

The update is torch's single-tensor algorithm, operation for operation: while
the length of the approximated simple moving average (rho_t) is at most 5 the
step is bias-corrected momentum SGD; beyond it the adaptive term is scaled by
the rectification factor.
"""
from __future__ import annotations

from ._functional import (GroupLoopOptimizer, check_foreach, check_hyperparameters, check_singleton_tensors,
                          weight_decayed)
from .optimizer import _get_value, _to_scalar

__all__ = ["RAdam", "radam"]

_RHO_THRESHOLD = 5.0  # torch's: the adaptive step starts once rho_t exceeds it


class RAdam(GroupLoopOptimizer):
    """RAdam (Liu et al.), optionally with decoupled weight decay; torch.optim.RAdam's contract."""

    _zero_state = ("exp_avg", "exp_avg_sq")
    _old_group_defaults = {"foreach": None, "maximize": False, "differentiable": False,
                           "decoupled_weight_decay": False, "capturable": False}

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, decoupled_weight_decay=False,
                 *, foreach=None, maximize=False, capturable=False, differentiable=False):
        check_hyperparameters(lr=lr, eps=eps, betas=betas, weight_decay=weight_decay)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay, "maximize": maximize,
                    "foreach": foreach, "capturable": capturable, "decoupled_weight_decay": decoupled_weight_decay,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    def _step_group(self, group):
        self._apply_functional(radam, group, "exp_avg", "exp_avg_sq", "step")


def radam(params, grads, exp_avgs, exp_avg_sqs, state_steps, decoupled_weight_decay=False, foreach=None,
          differentiable=False, capturable=False, has_complex=False, maximize=False, *, beta1, beta2, lr,
          weight_decay, eps):
    """Functional RAdam: updates params and their state tensors in place."""
    check_singleton_tensors(state_steps)
    check_foreach(foreach, differentiable)
    lr = _to_scalar(lr)
    for param, grad, exp_avg, exp_avg_sq, step_t in zip(params, grads, exp_avgs, exp_avg_sqs, state_steps,
                                                        strict=True):
        grad = grad if not maximize else -grad
        step_t += 1
        step = _get_value(step_t)
        grad = weight_decayed(param, grad, weight_decay, lr, decoupled_weight_decay)
        exp_avg.lerp_(grad, 1 - beta1)
        exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        bias_correction1 = 1 - beta1 ** step
        bias_correction2 = 1 - beta2 ** step
        # a clone when differentiable: numtorch's div keeps its tensor operand for backward (torch's does not
        # for a number divisor), and the next step changes exp_avg in place
        update = (exp_avg.clone() if differentiable else exp_avg) / bias_correction1 * lr
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * step * (beta2 ** step) / bias_correction2
        if rho_t > _RHO_THRESHOLD:
            rect = ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
            exp_avg_sq_sqrt = exp_avg_sq.sqrt()
            exp_avg_sq_sqrt = exp_avg_sq_sqrt.add(eps) if differentiable else exp_avg_sq_sqrt.add_(eps)
            update = update * ((bias_correction2 ** 0.5) / exp_avg_sq_sqrt) * rect
        param.add_(update, alpha=-1.0)
