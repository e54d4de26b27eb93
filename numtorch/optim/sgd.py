"""SGD with momentum, dampening, Nesterov momentum, weight decay and maximize.

The update is torch's single-tensor algorithm, operation for operation, so
trajectories agree with torch's to the dtype's rounding.
"""
from __future__ import annotations

from .._tensor import Tensor
from . import _fast
from ._functional import (GroupLoopOptimizer, amp_state, check_fused, check_hyperparameters, check_no_grad_scaling,
                          group_options, params_with_grads)
from .optimizer import _get_value, _to_scalar

__all__ = ["SGD", "sgd"]


class SGD(GroupLoopOptimizer):
    """Stochastic gradient descent, optionally with (Nesterov) momentum; torch.optim.SGD's contract."""

    _old_group_defaults = {"nesterov": False, "maximize": False, "foreach": None, "differentiable": False,
                           "fused": False}
    _scalar_state = ()  # SGD keeps no step

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *,
                 maximize=False, foreach=None, differentiable=False, fused=None):
        check_hyperparameters(lr=lr, momentum=momentum, weight_decay=weight_decay, nan_ok=True)
        defaults = {"lr": lr, "momentum": momentum, "dampening": dampening, "weight_decay": weight_decay,
                    "nesterov": nesterov, "maximize": maximize, "foreach": foreach,
                    "differentiable": differentiable, "fused": fused}
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)
        if fused:
            self._step_supports_amp_scaling = True
            self._need_device_dtype_check_for_fused = True
            check_fused(fused, foreach, differentiable)

    def _init_group(self, group, params, grads, momentum_buffer_list) -> bool:
        params_with_grads(self, group, params, grads)
        if group["momentum"] != 0:
            states = self.state
            momentum_buffer_list += [states[p].get("momentum_buffer") for p in params]
        return True in [grad.is_sparse for grad in grads]

    def _step_group(self, group):
        params, grads, momentum_buffer_list = _fast.params_list(self, group), [], []
        has_sparse_grad = self._init_group(group, params, grads, momentum_buffer_list)
        new = [i for i, buf in enumerate(momentum_buffer_list) if buf is None]
        sgd(params, grads, momentum_buffer_list, has_sparse_grad=has_sparse_grad,
            **group_options(group, self.defaults, omit=("differentiable",)), **amp_state(self))
        for i in new:  # the buffers sgd() created
            self.state[params[i]]["momentum_buffer"] = momentum_buffer_list[i]


def sgd(params, d_p_list, momentum_buffer_list, has_sparse_grad=False, foreach=None, fused=None,
        grad_scale=None, found_inf=None, *, weight_decay, momentum, lr, dampening, nesterov, maximize):
    """Functional SGD: updates `params` in place and fills new momentum buffers into the list."""
    check_no_grad_scaling(grad_scale, found_inf)
    lr = _to_scalar(lr)
    if _fast.sgd(params, d_p_list, momentum_buffer_list, foreach, fused, weight_decay=weight_decay, momentum=momentum,
                 lr=lr, dampening=dampening, nesterov=nesterov, maximize=maximize):
        return
    for i, param in enumerate(params):
        grad = d_p_list[i] if not maximize else -d_p_list[i]
        if weight_decay != 0:
            if isinstance(weight_decay, Tensor) and weight_decay.requires_grad:
                grad = grad.addcmul(param.clone(), weight_decay)  # differentiable in weight_decay
            else:
                grad = grad.add(param, alpha=weight_decay)
        if momentum != 0:
            buf = momentum_buffer_list[i]
            if buf is None:
                buf = grad.detach().clone()
                momentum_buffer_list[i] = buf
            else:
                buf.mul_(momentum).add_(grad, alpha=1 - dampening)
            grad = grad.add(buf, alpha=momentum) if nesterov else buf
        if isinstance(lr, Tensor) and lr.requires_grad:
            param.addcmul_(grad, lr, value=-1)  # differentiable in lr
        else:
            param.add_(grad, alpha=-_get_value(lr))  # a Tensor passed as a Scalar is read with .item()
