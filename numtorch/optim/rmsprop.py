"""RMSprop: steps scaled by a running RMS of the gradients, optionally centered and with momentum.

The update is torch's single-tensor algorithm, operation for operation.
"""
from __future__ import annotations

from .._ops.creation import zeros_like
from . import _fast
from ._functional import (FLAG_DEFAULTS, GroupLoopOptimizer, as_scalar, check_foreach, check_hyperparameters,
                          check_singleton_tensors, group_options, weight_decayed)
from .optimizer import _to_scalar

__all__ = ["RMSprop", "rmsprop"]


class RMSprop(GroupLoopOptimizer):
    """RMSprop (Hinton), centered as in Graves; torch.optim.RMSprop's contract."""

    _old_group_defaults = {"momentum": 0, "centered": False, **FLAG_DEFAULTS}

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        check_hyperparameters(lr=lr, eps=eps, momentum=momentum, weight_decay=weight_decay, alpha=alpha)
        defaults = {"lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps, "centered": centered,
                    "weight_decay": weight_decay, "capturable": capturable, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable}
        super().__init__(params, defaults)

    @staticmethod
    def _init_buffers(state, p, group) -> None:
        state["square_avg"] = zeros_like(p)
        if group["momentum"] > 0:
            state["momentum_buffer"] = zeros_like(p)
        if group["centered"]:
            state["grad_avg"] = zeros_like(p)

    def _step_group(self, group):
        params, grads, states = self._grads_and_states(group, _fast.params_list(self, group))
        rmsprop(params, grads, [s["square_avg"] for s in states],
                [s["grad_avg"] for s in states] if group["centered"] else [],
                [s["momentum_buffer"] for s in states] if group["momentum"] > 0 else [],
                [s["step"] for s in states], **group_options(group, self.defaults))


def rmsprop(params, grads, square_avgs, grad_avgs, momentum_buffer_list, state_steps, foreach=None,
            maximize=False, differentiable=False, capturable=False, has_complex=False, *, lr, alpha, eps,
            weight_decay, momentum, centered):
    """Functional RMSprop: updates params and their state tensors in place."""
    check_singleton_tensors(state_steps)
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
