"""SGD with momentum, dampening, Nesterov momentum, weight decay and maximize.

The update is torch's single-tensor algorithm, operation for operation, so
trajectories agree with torch's to the dtype's rounding. Unless foreach=False, a step without autograd runs numtorch's single-pass fast path
(optim/_fast: one fused loop per parameter, numba-compiled when installed), which gives
the per-parameter code's bits below (to rounding on its NumPy fallback, without numba).
"""
from __future__ import annotations

from .._tensor import Tensor
from . import _fast
from ._functional import (check_fused, check_fused_param, check_lr, check_no_grad_scaling, check_nonneg,
                          closure_loss, fill_group_defaults)
from .optimizer import Optimizer, _get_value, _to_scalar, _use_grad_for_differentiable

__all__ = ["SGD", "sgd"]


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with (Nesterov) momentum; torch.optim.SGD's contract."""

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *,
                 maximize=False, foreach=None, differentiable=False, fused=None):
        check_lr(lr, nan_ok=True)
        check_nonneg(momentum, "momentum value", nan_ok=True)
        check_nonneg(weight_decay, "weight_decay value", nan_ok=True)
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

    def __setstate__(self, state):
        super().__setstate__(state)
        fill_group_defaults(self.param_groups, {"nesterov": False, "maximize": False, "foreach": None,
                                                "differentiable": False, "fused": False})

    def _init_group(self, group, params, grads, momentum_buffer_list) -> bool:
        has_sparse_grad, momentum, states = False, group["momentum"] != 0, self.state
        check = group["fused"] and getattr(self, "_need_device_dtype_check_for_fused", True)
        for p in group["params"]:
            grad = p.grad
            if grad is None:
                continue
            if check:  # the first param only, as torch
                check_fused_param(p)
                self._need_device_dtype_check_for_fused = check = False
            params.append(p)
            grads.append(grad)
            has_sparse_grad |= grad.is_sparse
            if momentum:
                momentum_buffer_list.append(states[p].get("momentum_buffer"))
        return has_sparse_grad

    @_use_grad_for_differentiable
    def step(self, closure=None):
        """One SGD step over every param with a grad; returns closure's loss (or None)."""
        loss = closure_loss(closure)
        for group in self.param_groups:
            params, grads, momentum_buffer_list = _fast.params_list(self, group), [], []
            has_sparse_grad = self._init_group(group, params, grads, momentum_buffer_list)
            new = [i for i, buf in enumerate(momentum_buffer_list) if buf is None]
            sgd(params, grads, momentum_buffer_list, weight_decay=group["weight_decay"],
                momentum=group["momentum"], lr=group["lr"], dampening=group["dampening"],
                nesterov=group["nesterov"], maximize=group["maximize"], has_sparse_grad=has_sparse_grad,
                foreach=group["foreach"], fused=group["fused"], grad_scale=getattr(self, "grad_scale", None),
                found_inf=getattr(self, "found_inf", None))
            for i in new:  # the buffers sgd() created
                self.state[params[i]]["momentum_buffer"] = momentum_buffer_list[i]
        return loss


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
