"""RAdam: Adam whose adaptive step is switched on, and rectified, once its variance estimate is tractable.

The update is torch's single-tensor algorithm, operation for operation: while
the length of the approximated simple moving average (rho_t) is at most 5 the
step is bias-corrected momentum SGD; beyond it the adaptive term is scaled by
the rectification factor. capturable only matters for CUDA graphs, so on
numtorch's CPU it is accepted and changes nothing; foreach takes the same path
for now.
"""
from __future__ import annotations

from .._ops.creation import zeros_like
from .._tensor import Tensor
from ._functional import (check_beta, check_foreach, check_lr, check_nonneg, closure_loss, fill_group_defaults,
                          grads_and_states, new_step, restore_step_tensors, state_lists, weight_decayed)
from .optimizer import Optimizer, _get_value, _to_scalar, _use_grad_for_differentiable

__all__ = ["RAdam", "radam"]

_RHO_THRESHOLD = 5.0  # torch's: the adaptive step starts once rho_t exceeds it


class RAdam(Optimizer):
    """RAdam (Liu et al.), optionally with decoupled weight decay; torch.optim.RAdam's contract."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, decoupled_weight_decay=False,
                 *, foreach=None, maximize=False, capturable=False, differentiable=False):
        check_lr(lr)
        check_nonneg(eps, "epsilon value")
        check_beta(betas, 0)
        check_beta(betas, 1)
        check_nonneg(weight_decay, "weight_decay value")
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay, "maximize": maximize,
                    "foreach": foreach, "capturable": capturable, "decoupled_weight_decay": decoupled_weight_decay,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        fill_group_defaults(self.param_groups, {"foreach": None, "maximize": False, "differentiable": False,
                                                "decoupled_weight_decay": False, "capturable": False})
        restore_step_tensors(self)

    @staticmethod
    def _init_state(state, p, group) -> None:
        state["step"] = new_step(group)
        state["exp_avg"] = zeros_like(p)
        state["exp_avg_sq"] = zeros_like(p)

    @_use_grad_for_differentiable
    def step(self, closure=None):
        """One RAdam step over every param with a grad; returns closure's loss (or None)."""
        loss = closure_loss(closure)
        for group in self.param_groups:
            params, grads, states = grads_and_states(self, group, self._init_state, "RAdam")
            beta1, beta2 = group["betas"]
            radam(params, grads, *state_lists(states, "exp_avg", "exp_avg_sq", "step"), beta1=beta1, beta2=beta2,
                  lr=group["lr"], weight_decay=group["weight_decay"], eps=group["eps"], maximize=group["maximize"],
                  foreach=group["foreach"], capturable=group["capturable"], differentiable=group["differentiable"],
                  decoupled_weight_decay=group["decoupled_weight_decay"])
        return loss


def radam(params, grads, exp_avgs, exp_avg_sqs, state_steps, decoupled_weight_decay=False, foreach=None,
          differentiable=False, capturable=False, has_complex=False, maximize=False, *, beta1, beta2, lr,
          weight_decay, eps):
    """Functional RAdam: updates params and their state tensors in place."""
    if not all(isinstance(t, Tensor) for t in state_steps):
        raise RuntimeError("API has changed, `state_steps` argument must contain a list of singleton tensors")
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
