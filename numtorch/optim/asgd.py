"""ASGD: SGD with a decaying step size and a running (Polyak) average `ax` of the iterates.

The update is torch's single-tensor algorithm, operation for operation; the
per-param scalars eta and mu are 0-d tensors as in torch, read back with
.item() each step, so their rounding to the scalar dtype is part of the
trajectory. capturable only matters for CUDA graphs, so on numtorch's CPU it
is accepted and changes nothing; foreach takes the same path for now.
"""
from __future__ import annotations

from .._ops.creation import as_tensor, ones, zeros_like
from ._functional import (check_foreach, check_lr, check_nonneg, closure_loss, fill_group_defaults,
                          grads_and_states, new_step, restore_step_tensors, state_lists, weight_decayed)
from .optimizer import Optimizer, _get_scalar_dtype, _get_value, _to_scalar, _use_grad_for_differentiable

__all__ = ["ASGD", "asgd"]


class ASGD(Optimizer):
    """Averaged SGD (Polyak & Juditsky); torch.optim.ASGD's contract."""

    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0, foreach=None,
                 maximize=False, differentiable=False, capturable=False):
        check_lr(lr)
        check_nonneg(weight_decay, "weight_decay value")
        defaults = {"lr": lr, "lambd": lambd, "alpha": alpha, "t0": t0, "weight_decay": weight_decay,
                    "foreach": foreach, "maximize": maximize, "differentiable": differentiable,
                    "capturable": capturable}
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        fill_group_defaults(self.param_groups, {"foreach": None, "maximize": False, "differentiable": False,
                                                "capturable": False})
        restore_step_tensors(self, ("step", "eta", "mu"))

    @staticmethod
    def _init_state(state, p, group) -> None:
        state["step"] = new_step(group)
        state["eta"] = as_tensor(_to_scalar(group["lr"]), dtype=_get_scalar_dtype()).clone().detach()
        state["mu"] = ones((), dtype=_get_scalar_dtype())
        state["ax"] = zeros_like(p)

    @_use_grad_for_differentiable
    def step(self, closure=None):
        """One ASGD step over every param with a grad; returns closure's loss (or None)."""
        loss = closure_loss(closure)
        for group in self.param_groups:
            params, grads, states = grads_and_states(self, group, self._init_state, "ASGD")
            asgd(params, grads, *state_lists(states, "ax", "mu", "eta", "step"), lambd=group["lambd"],
                 lr=group["lr"], t0=group["t0"], alpha=group["alpha"], weight_decay=group["weight_decay"],
                 foreach=group["foreach"], maximize=group["maximize"], differentiable=group["differentiable"],
                 capturable=group["capturable"])
        return loss


def asgd(params, grads, axs, mus, etas, state_steps, foreach=None, maximize=False, differentiable=False,
         capturable=False, has_complex=False, *, lambd, lr, t0, alpha, weight_decay):
    """Functional ASGD: updates params, their averages and their eta/mu in place."""
    check_foreach(foreach, differentiable)
    lr = _to_scalar(lr)
    for param, grad, ax, mu, eta, step_t in zip(params, grads, axs, mus, etas, state_steps, strict=True):
        grad = grad if not maximize else -grad
        step_t += 1
        grad = weight_decayed(param, grad, weight_decay)
        eta_value = _get_value(eta)
        param.mul_(1 - lambd * eta_value)
        param.add_(grad, alpha=-eta_value)
        if mu.item() != 1:
            ax.add_(param.sub(ax).mul_(mu))
        else:
            ax.copy_(param)
        step = _get_value(step_t)
        eta.copy_(as_tensor(lr / ((1 + lambd * lr * step) ** alpha)))
        mu.copy_(as_tensor(1 / max(1, step - t0)))

