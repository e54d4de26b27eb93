"""ASGD: SGD with a decaying step size and a running (Polyak) average `ax` of the iterates.

The update is torch's single-tensor algorithm, operation for operation; the
per-param scalars eta and mu are 0-d tensors as in torch, read back with
.item() each step, so their rounding to the scalar dtype is part of the
trajectory.
"""
from __future__ import annotations

from .._ops.creation import as_tensor, ones, zeros_like
from ._functional import FLAG_DEFAULTS, GroupLoopOptimizer, check_foreach, check_hyperparameters, weight_decayed
from .optimizer import _get_scalar_dtype, _get_value, _to_scalar

__all__ = ["ASGD", "asgd"]


class ASGD(GroupLoopOptimizer):
    """Averaged SGD (Polyak & Juditsky); torch.optim.ASGD's contract."""

    _old_group_defaults = FLAG_DEFAULTS
    _scalar_state = ("step", "eta", "mu")

    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0, foreach=None,
                 maximize=False, differentiable=False, capturable=False):
        check_hyperparameters(lr=lr, weight_decay=weight_decay)
        defaults = {"lr": lr, "lambd": lambd, "alpha": alpha, "t0": t0, "weight_decay": weight_decay,
                    "foreach": foreach, "maximize": maximize, "differentiable": differentiable,
                    "capturable": capturable}
        super().__init__(params, defaults)

    @staticmethod
    def _init_buffers(state, p, group) -> None:
        state["eta"] = as_tensor(_to_scalar(group["lr"]), dtype=_get_scalar_dtype()).clone().detach()
        state["mu"] = ones((), dtype=_get_scalar_dtype())
        state["ax"] = zeros_like(p)

    def _step_group(self, group):
        self._apply_functional(asgd, group, "ax", "mu", "eta", "step")


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

