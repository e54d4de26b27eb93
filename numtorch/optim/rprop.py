"""Rprop: per-coordinate step sizes that grow while the gradient keeps its sign and shrink when it flips.

Only the gradient's sign moves a param. The update is torch's single-tensor
algorithm, operation for operation (a flip also zeroes the stored gradient, so
the next step neither grows nor shrinks that coordinate).
"""
from __future__ import annotations

from .._ops.creation import full_like, zeros_like
from ._functional import (FLAG_DEFAULTS, GroupLoopOptimizer, as_scalar, check_foreach, check_hyperparameters,
                          check_singleton_tensors, group_options, state_lists)
from .optimizer import _to_scalar

__all__ = ["Rprop", "rprop"]


class Rprop(GroupLoopOptimizer):
    """Resilient backpropagation (Riedmiller & Braun); torch.optim.Rprop's contract."""

    _old_group_defaults = FLAG_DEFAULTS

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *, capturable=False, foreach=None,
                 maximize=False, differentiable=False):
        check_hyperparameters(lr=lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        defaults = {"lr": lr, "etas": etas, "step_sizes": step_sizes, "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable, "capturable": capturable}
        super().__init__(params, defaults)

    @staticmethod
    def _init_buffers(state, p, group) -> None:
        state["prev"] = zeros_like(p)
        state["step_size"] = full_like(p.grad, as_scalar(_to_scalar(group["lr"]), "full_like",
                                                         "'fill_value' (position 2)"))

    def _step_group(self, group):
        params, grads, states = self._grads_and_states(group)
        (etaminus, etaplus), (step_size_min, step_size_max) = group["etas"], group["step_sizes"]
        rprop(params, grads, *state_lists(states, "prev", "step_size", "step"), step_size_min=step_size_min,
              step_size_max=step_size_max, etaminus=etaminus, etaplus=etaplus,
              **group_options(group, self.defaults, omit=("lr", "etas", "step_sizes")))


def rprop(params, grads, prevs, step_sizes, state_steps, foreach=None, capturable=False, maximize=False,
          differentiable=False, has_complex=False, *, step_size_min, step_size_max, etaminus, etaplus):
    """Functional Rprop: updates params and their state tensors in place."""
    check_singleton_tensors(state_steps)
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
