"""Rprop: per-coordinate step sizes that grow while the gradient keeps its sign and shrink when it flips.

Only the gradient's sign moves a param. The update is torch's single-tensor
algorithm, operation for operation (a flip also zeroes the stored gradient, so
the next step neither grows nor shrinks that coordinate). capturable only
matters for CUDA graphs, so on numtorch's CPU it is accepted and changes
nothing; foreach takes the same path for now.
"""
from __future__ import annotations

from .._ops.creation import full_like, zeros_like
from .._tensor import Tensor
from ._functional import (as_scalar, check_foreach, check_lr, closure_loss, fill_group_defaults, grads_and_states,
                          new_step, restore_step_tensors, state_lists)
from .optimizer import Optimizer, _to_scalar, _use_grad_for_differentiable

__all__ = ["Rprop", "rprop"]


class Rprop(Optimizer):
    """Resilient backpropagation (Riedmiller & Braun); torch.optim.Rprop's contract."""

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *, capturable=False, foreach=None,
                 maximize=False, differentiable=False):
        check_lr(lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        defaults = {"lr": lr, "etas": etas, "step_sizes": step_sizes, "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable, "capturable": capturable}
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        fill_group_defaults(self.param_groups, {"foreach": None, "maximize": False, "differentiable": False,
                                                "capturable": False})
        restore_step_tensors(self)

    @staticmethod
    def _init_state(state, p, group) -> None:
        state["step"] = new_step(group)
        state["prev"] = zeros_like(p)
        state["step_size"] = full_like(p.grad, as_scalar(_to_scalar(group["lr"]), "full_like",
                                                         "'fill_value' (position 2)"))

    @_use_grad_for_differentiable
    def step(self, closure=None):
        """One Rprop step over every param with a grad; returns closure's loss (or None)."""
        loss = closure_loss(closure)
        for group in self.param_groups:
            params, grads, states = grads_and_states(self, group, self._init_state, "Rprop")
            etaminus, etaplus = group["etas"]
            step_size_min, step_size_max = group["step_sizes"]
            rprop(params, grads, *state_lists(states, "prev", "step_size", "step"), step_size_min=step_size_min,
                  step_size_max=step_size_max, etaminus=etaminus, etaplus=etaplus, foreach=group["foreach"],
                  maximize=group["maximize"], differentiable=group["differentiable"],
                  capturable=group["capturable"])
        return loss


def rprop(params, grads, prevs, step_sizes, state_steps, foreach=None, capturable=False, maximize=False,
          differentiable=False, has_complex=False, *, step_size_min, step_size_max, etaminus, etaplus):
    """Functional Rprop: updates params and their state tensors in place."""
    if not all(isinstance(t, Tensor) for t in state_steps):
        raise RuntimeError("API has changed, `state_steps` argument must contain a list of singleton tensors")
    check_foreach(foreach, differentiable)
    for param, grad, prev, step_size, step in zip(params, grads, prevs, step_sizes, state_steps, strict=True):
        grad = grad if not maximize else -grad
        step += 1
        # the sign of grad * prev becomes the step-size factor: grown, shrunk, or kept
        sign = grad.mul(prev.clone() if differentiable else prev).sign()
        sign[sign.gt(0)] = etaplus
        sign[sign.lt(0)] = etaminus
        sign[sign.eq(0)] = 1
        step_size.mul_(sign).clamp_(step_size_min, step_size_max)
        grad = grad.clone()
        grad[sign.eq(etaminus)] = 0  # after a flip: no move now, and no sign to compare with next step
        param.addcmul_(grad.sign(), step_size, value=-1)
        prev.copy_(grad)
