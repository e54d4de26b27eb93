"""Adamax: Adam with the second moment replaced by an exponentially weighted infinity norm.

The update is torch's single-tensor algorithm, operation for operation.
capturable only matters for CUDA graphs, so on numtorch's CPU it is accepted
and changes nothing; foreach takes the same path for now.
"""
from __future__ import annotations

from .._ops.creation import zeros_like
from .._ops.pointwise import maximum
from .._ops.reduction import amax
from .._ops.shape import cat
from .._tensor import Tensor
from ._functional import (as_scalar, check_beta, check_foreach, check_lr, check_nonneg, closure_loss,
                          fill_group_defaults, grads_and_states, new_step, restore_step_tensors, state_lists,
                          weight_decayed)
from .optimizer import Optimizer, _get_value, _to_scalar, _use_grad_for_differentiable

__all__ = ["Adamax", "adamax"]


class Adamax(Optimizer):
    """Adamax (Kingma & Ba, section 7); torch.optim.Adamax's contract."""

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, foreach=None, *,
                 maximize=False, differentiable=False, capturable=False):
        check_lr(lr)
        check_nonneg(eps, "epsilon value")
        check_beta(betas, 0)
        check_beta(betas, 1)
        check_nonneg(weight_decay, "weight_decay value")
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable, "capturable": capturable}
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        fill_group_defaults(self.param_groups, {"foreach": None, "maximize": False, "differentiable": False,
                                                "capturable": False})
        restore_step_tensors(self)

    @staticmethod
    def _init_state(state, p, group) -> None:
        state["step"] = new_step(group)
        state["exp_avg"] = zeros_like(p)
        state["exp_inf"] = zeros_like(p)

    @_use_grad_for_differentiable
    def step(self, closure=None):
        """One Adamax step over every param with a grad; returns closure's loss (or None)."""
        loss = closure_loss(closure)
        for group in self.param_groups:
            params, grads, states = grads_and_states(self, group, self._init_state, "Adamax")
            beta1, beta2 = group["betas"]
            adamax(params, grads, *state_lists(states, "exp_avg", "exp_inf", "step"), eps=group["eps"],
                   beta1=beta1, beta2=beta2, lr=group["lr"], weight_decay=group["weight_decay"],
                   foreach=group["foreach"], maximize=group["maximize"], differentiable=group["differentiable"],
                   capturable=group["capturable"])
        return loss


def adamax(params, grads, exp_avgs, exp_infs, state_steps, foreach=None, maximize=False, differentiable=False,
           capturable=False, has_complex=False, *, eps, beta1, beta2, lr, weight_decay):
    """Functional Adamax: updates params and their state tensors in place."""
    if not all(isinstance(t, Tensor) for t in state_steps):
        raise RuntimeError("API has changed, `state_steps` argument must contain a list of singleton tensors")
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

