"""Adagrad: per-coordinate steps scaled by the root of the summed squared gradients.

The update is torch's single-tensor algorithm, operation for operation. As in
torch, the constructor creates every param's state at once (the `sum` filled
with the constructor's initial_accumulator_value), so even params that never
get a grad appear in the state_dict.
"""
from __future__ import annotations

from .._ops.creation import full_like
from . import _fast
from ._fast import zeros_like_all
from ._functional import (GroupLoopOptimizer, amp_state, as_scalar, check_foreach, check_fused, check_fused_param,
                          check_hyperparameters, check_no_grad_scaling, check_singleton_tensors, group_options,
                          new_step, params_with_grads, weight_decayed)
from .optimizer import _get_value, _to_scalar

__all__ = ["Adagrad", "adagrad"]


class Adagrad(GroupLoopOptimizer):
    """Adagrad (Duchi et al.), with lr decay and weight decay; torch.optim.Adagrad's contract."""

    _old_group_defaults = {"foreach": None, "maximize": False, "differentiable": False, "fused": None}

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10,
                 foreach=None, *, maximize=False, differentiable=False, fused=None):
        check_hyperparameters(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                              initial_accumulator_value=initial_accumulator_value, eps=eps)
        defaults = {"lr": lr, "lr_decay": lr_decay, "eps": eps, "weight_decay": weight_decay,
                    "initial_accumulator_value": initial_accumulator_value, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable, "fused": fused}
        super().__init__(params, defaults)
        if fused:
            check_fused(fused, foreach, differentiable)
            self._need_device_dtype_check_for_fused = True
            self._step_supports_amp_scaling = True
        for group in self.param_groups:  # the sums side by side in memory (see zeros_like_all)
            for p, total in zip(group["params"], zeros_like_all(group["params"])):
                self._init_state(self.state[p], p, group, total)

    def _init_state(self, state, p, group, total=None) -> None:
        """`total`: a zero tensor like p to fill (one made by zeros_like_all), else a new one is made."""
        initial_accumulator_value = self.defaults["initial_accumulator_value"]
        state["step"] = new_step(group)
        if total is None:
            total = full_like(p, initial_accumulator_value)
        elif initial_accumulator_value != 0:
            total._data[...] = full_like(p, initial_accumulator_value)._data
        state["sum"] = total

    def share_memory(self) -> None:
        raise NotImplementedError("Adagrad.share_memory: numtorch tensors cannot be moved to shared memory")

    def _init_group(self, group, params, grads, state_sums, state_steps) -> tuple[bool, bool]:
        params_with_grads(self, group, params, grads)
        for p in params:
            state = self.state[p]
            if len(state) == 0:  # a param added by add_param_group after construction
                if group["fused"]:
                    check_fused_param(p)
                self._init_state(state, p, group)
            state_sums.append(state["sum"])
            state_steps.append(state["step"])
        return False, False  # has_sparse_grad, has_complex: numtorch has neither

    def _step_group(self, group):
        params, grads, state_sums, state_steps = _fast.params_list(self, group), [], [], []
        has_sparse_grad, has_complex = self._init_group(group, params, grads, state_sums, state_steps)
        adagrad(params, grads, state_sums, state_steps, has_sparse_grad=has_sparse_grad, has_complex=has_complex,
                **group_options(group, self.defaults, omit=("initial_accumulator_value",)), **amp_state(self))


def adagrad(params, grads, state_sums, state_steps, fused=None, grad_scale=None, found_inf=None,
            has_sparse_grad=False, foreach=None, differentiable=False, has_complex=False, *, lr, weight_decay,
            lr_decay, eps, maximize):
    """Functional Adagrad: updates params and their state tensors in place."""
    check_singleton_tensors(state_steps)
    check_no_grad_scaling(grad_scale, found_inf)
    check_foreach(foreach, differentiable)
    if fused and differentiable:
        raise RuntimeError("adagrad with fused=True does not support differentiable=True")
    lr = _to_scalar(lr)
    if _fast.adagrad(params, grads, state_sums, state_steps, foreach, fused, differentiable, lr=lr,
                     weight_decay=weight_decay, lr_decay=lr_decay, eps=eps, maximize=maximize):
        return
    for param, grad, state_sum, step_t in zip(params, grads, state_sums, state_steps, strict=True):
        step_t += 1
        step = _get_value(step_t)
        grad = grad if not maximize else -grad
        grad = weight_decayed(param, grad, weight_decay)
        clr = lr / (1 + (step - 1) * lr_decay)
        state_sum.addcmul_(grad, grad, value=1)
        std = state_sum.sqrt() + eps if differentiable else state_sum.sqrt().add_(eps)
        param.addcdiv_(grad, std, value=as_scalar(-clr, "addcdiv_", "'value'"))
