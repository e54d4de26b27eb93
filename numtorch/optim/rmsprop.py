"""RMSprop: steps scaled by a running RMS of the gradients, optionally centered and with momentum.

The update is torch's single-tensor algorithm, operation for operation.
capturable only matters for CUDA graphs, so on numtorch's CPU it is accepted
and changes nothing. Unless foreach=False, a step without autograd runs numtorch's single-pass fast path
(optim/_fast: one fused loop per parameter, numba-compiled when installed), which gives
the per-parameter code's bits below (to rounding on its NumPy fallback, without numba).
"""
from __future__ import annotations

from .._ops.creation import zeros_like
from .._tensor import Tensor
from . import _fast
from ._functional import (as_scalar, check_foreach, check_lr, check_nonneg, closure_loss, fill_group_defaults,
                          grads_and_states, new_step, restore_step_tensors, weight_decayed)
from .optimizer import Optimizer, _to_scalar, _use_grad_for_differentiable

__all__ = ["RMSprop", "rmsprop"]


class RMSprop(Optimizer):
    """RMSprop (Hinton), centered as in Graves; torch.optim.RMSprop's contract."""

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        check_lr(lr)
        check_nonneg(eps, "epsilon value")
        check_nonneg(momentum, "momentum value")
        check_nonneg(weight_decay, "weight_decay value")
        check_nonneg(alpha, "alpha value")
        defaults = {"lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps, "centered": centered,
                    "weight_decay": weight_decay, "capturable": capturable, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable}
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        fill_group_defaults(self.param_groups, {"momentum": 0, "centered": False, "foreach": None,
                                                "maximize": False, "differentiable": False, "capturable": False})
        restore_step_tensors(self)

    @staticmethod
    def _init_state(state, p, group) -> None:
        state["step"] = new_step(group)
        state["square_avg"] = zeros_like(p)
        if group["momentum"] > 0:
            state["momentum_buffer"] = zeros_like(p)
        if group["centered"]:
            state["grad_avg"] = zeros_like(p)

    @_use_grad_for_differentiable
    def step(self, closure=None):
        """One RMSprop step over every param with a grad; returns closure's loss (or None)."""
        loss = closure_loss(closure)
        for group in self.param_groups:
            params, grads, states = grads_and_states(self, group, self._init_state, "RMSprop",
                                                     _fast.params_list(self, group))
            rmsprop(params, grads, [s["square_avg"] for s in states],
                    [s["grad_avg"] for s in states] if group["centered"] else [],
                    [s["momentum_buffer"] for s in states] if group["momentum"] > 0 else [],
                    [s["step"] for s in states], lr=group["lr"], alpha=group["alpha"], eps=group["eps"],
                    weight_decay=group["weight_decay"], momentum=group["momentum"], centered=group["centered"],
                    foreach=group["foreach"], maximize=group["maximize"], differentiable=group["differentiable"],
                    capturable=group["capturable"])
        return loss


def rmsprop(params, grads, square_avgs, grad_avgs, momentum_buffer_list, state_steps, foreach=None,
            maximize=False, differentiable=False, capturable=False, has_complex=False, *, lr, alpha, eps,
            weight_decay, momentum, centered):
    """Functional RMSprop: updates params and their state tensors in place."""
    if not all(isinstance(t, Tensor) for t in state_steps):
        raise RuntimeError("API has changed, `state_steps` argument must contain a list of singleton tensors")
    check_foreach(foreach, differentiable)
    lr = _to_scalar(lr)
    if _fast.rmsprop(params, grads, square_avgs, grad_avgs, momentum_buffer_list, state_steps, foreach, differentiable,
                     lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum, centered=centered,
                     maximize=maximize):
        return
    for i, param in enumerate(params):
        state_steps[i] += 1
        grad = grads[i] if not maximize else -grads[i]
        grad = weight_decayed(param, grad, weight_decay)
        square_avg = square_avgs[i]
        square_avg.mul_(alpha).addcmul_(grad, grad, value=1 - alpha)
        if centered:
            grad_avg = grad_avgs[i]
            grad_avg.lerp_(grad, 1 - alpha)
            avg = square_avg.addcmul(grad_avg, grad_avg, value=-1).sqrt_()
        else:
            avg = square_avg.sqrt()
        avg = avg.add(eps) if differentiable else avg.add_(eps)
        if momentum > 0:
            buf = momentum_buffer_list[i]
            buf.mul_(momentum).addcdiv_(grad, avg)
            param.add_(buf, alpha=as_scalar(-lr, "add_", "'alpha'"))
        else:
            param.addcdiv_(grad, avg, value=as_scalar(-lr, "addcdiv_", "'value'"))
