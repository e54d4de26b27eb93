"""Adadelta: steps scaled by the ratio of running RMS of past updates to running RMS of gradients.

The update is torch's single-tensor algorithm, operation for operation.
"""
from __future__ import annotations

from ._functional import (FLAG_DEFAULTS, GroupLoopOptimizer, as_scalar, check_foreach, check_hyperparameters,
                          check_singleton_tensors, weight_decayed)
from .optimizer import _to_scalar

__all__ = ["Adadelta", "adadelta"]


class Adadelta(GroupLoopOptimizer):
    """Adadelta (Zeiler); torch.optim.Adadelta's contract."""

    _zero_state = ("square_avg", "acc_delta")
    _old_group_defaults = FLAG_DEFAULTS

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *, capturable=False,
                 maximize=False, differentiable=False):
        check_hyperparameters(lr=lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        check_hyperparameters(eps=eps, weight_decay=weight_decay)
        defaults = {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay, "maximize": maximize,
                    "capturable": capturable, "foreach": foreach, "differentiable": differentiable}
        super().__init__(params, defaults)

    def _step_group(self, group):
        self._apply_functional(adadelta, group, "square_avg", "acc_delta", "step")


def adadelta(params, grads, square_avgs, acc_deltas, state_steps, capturable=False, foreach=None,
             differentiable=False, has_complex=False, *, lr, rho, eps, weight_decay, maximize):
    """Functional Adadelta: updates params and their state tensors in place."""
    check_singleton_tensors(state_steps)
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
