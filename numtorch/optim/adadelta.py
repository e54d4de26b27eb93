"""Adadelta: steps scaled by the ratio of running RMS of past updates to running RMS of gradients.

The update is torch's single-tensor algorithm, operation for operation.
capturable only matters for CUDA graphs, so on numtorch's CPU it is accepted
and changes nothing; foreach takes the same path for now.
"""
from __future__ import annotations

from .._ops.creation import zeros_like
from .._tensor import Tensor
from ._functional import (as_scalar, check_foreach, check_lr, check_nonneg, closure_loss, fill_group_defaults,
                          grads_and_states, new_step, restore_step_tensors, state_lists, weight_decayed)
from .optimizer import Optimizer, _to_scalar, _use_grad_for_differentiable

__all__ = ["Adadelta", "adadelta"]


class Adadelta(Optimizer):
    """Adadelta (Zeiler); torch.optim.Adadelta's contract."""

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *, capturable=False,
                 maximize=False, differentiable=False):
        check_lr(lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        check_nonneg(eps, "epsilon value")
        check_nonneg(weight_decay, "weight_decay value")
        defaults = {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay, "maximize": maximize,
                    "capturable": capturable, "foreach": foreach, "differentiable": differentiable}
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        fill_group_defaults(self.param_groups, {"foreach": None, "maximize": False, "differentiable": False,
                                                "capturable": False})
        restore_step_tensors(self)

    @staticmethod
    def _init_state(state, p, group) -> None:
        state["step"] = new_step(group)
        state["square_avg"] = zeros_like(p)
        state["acc_delta"] = zeros_like(p)

    @_use_grad_for_differentiable
    def step(self, closure=None):
        """One Adadelta step over every param with a grad; returns closure's loss (or None)."""
        loss = closure_loss(closure)
        for group in self.param_groups:
            params, grads, states = grads_and_states(self, group, self._init_state, "Adadelta")
            adadelta(params, grads, *state_lists(states, "square_avg", "acc_delta", "step"), lr=group["lr"],
                     rho=group["rho"], eps=group["eps"], weight_decay=group["weight_decay"],
                     foreach=group["foreach"], maximize=group["maximize"], differentiable=group["differentiable"],
                     capturable=group["capturable"])
        return loss


def adadelta(params, grads, square_avgs, acc_deltas, state_steps, capturable=False, foreach=None,
             differentiable=False, has_complex=False, *, lr, rho, eps, weight_decay, maximize):
    """Functional Adadelta: updates params and their state tensors in place."""
    if not all(isinstance(t, Tensor) for t in state_steps):
        raise RuntimeError("API has changed, `state_steps` argument must contain a list of singleton tensors")
    check_foreach(foreach, differentiable)
    lr = _to_scalar(lr)
    for param, grad, square_avg, acc_delta, step in zip(params, grads, square_avgs, acc_deltas, state_steps,
                                                        strict=True):
        step += 1
        grad = grad if not maximize else -grad
        grad = weight_decayed(param, grad, weight_decay)
        square_avg.mul_(rho).addcmul_(grad, grad, value=1 - rho)
        std = square_avg.add(eps).sqrt_()
        delta = acc_delta.add(eps).sqrt_()
        if differentiable:
            delta = delta.clone()  # sqrt_ saved its result for backward; the next lines change delta
        delta.div_(std).mul_(grad)
        acc_delta.mul_(rho).addcmul_(delta, delta, value=1 - rho)
        param.add_(delta, alpha=as_scalar(-lr, "add_", "'alpha'"))
