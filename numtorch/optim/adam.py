"""Adam, with AMSGrad, L2 or decoupled (AdamW-style) weight decay, and maximize.

The update is torch's single-tensor algorithm, operation for operation. Two
branches as in torch: the usual one reads `step` as a Python number; with
differentiable=True everything stays a tensor so that autograd can see it.
"""
from __future__ import annotations

from .._tensor import Tensor
from . import _fast
from ._fast import zeros_like_all
from ._functional import (GroupLoopOptimizer, amp_state, check_fused, check_fused_param, check_hyperparameters,
                          check_no_grad_scaling, check_singleton_tensors, group_options, new_step)
from .optimizer import _get_value, _to_scalar

__all__ = ["Adam", "adam"]

_TENSOR_HYPER_MSG = "{} as a Tensor is not supported for capturable=False and foreach=True"


class Adam(GroupLoopOptimizer):
    """Adam (Kingma & Ba), optionally AMSGrad or with decoupled weight decay; torch.optim.Adam's contract."""

    _old_group_defaults = {"amsgrad": False, "maximize": False, "foreach": None, "capturable": False,
                           "differentiable": False, "decoupled_weight_decay": False, "fused": None}

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *,
                 foreach=None, maximize=False, capturable=False, differentiable=False, fused=None,
                 decoupled_weight_decay=False):
        if isinstance(lr, Tensor) and foreach and not capturable:
            raise ValueError(_TENSOR_HYPER_MSG.format("lr"))
        check_hyperparameters(lr=lr, eps=eps, betas=betas, weight_decay=weight_decay)
        if not (all(isinstance(b, float) for b in betas[:2]) or all(isinstance(b, Tensor) for b in betas[:2])):
            raise ValueError("betas must be either both floats or both Tensors")
        for i, beta in enumerate(betas[:2]):
            if isinstance(beta, Tensor):
                if foreach and not capturable:
                    raise ValueError(_TENSOR_HYPER_MSG.format(f"betas[{i}]"))
                if beta.numel() != 1:
                    raise ValueError(f"Tensor betas[{i}] must be 1-element")
        defaults = {"lr": lr, "betas": tuple(map(_to_scalar, betas)), "eps": eps, "weight_decay": weight_decay,
                    "amsgrad": amsgrad, "maximize": maximize, "foreach": foreach, "capturable": capturable,
                    "differentiable": differentiable, "fused": fused,
                    "decoupled_weight_decay": decoupled_weight_decay}
        super().__init__(params, defaults)
        if fused:
            self._step_supports_amp_scaling = True
            check_fused(fused, foreach, differentiable)

    def _init_group(self, group, params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, state_steps) -> bool:
        amsgrad, differentiable, states = group["amsgrad"], group["differentiable"], self.state
        tensor_lr = group["foreach"] and isinstance(group["lr"], Tensor) and not group["capturable"]
        fresh = []  # params seen for the first time: their buffers are made together, after the loop
        for p in group["params"]:
            grad = p.grad
            if grad is None:
                continue
            if grad.is_sparse:
                raise RuntimeError("Adam does not support sparse gradients, please consider SparseAdam instead")
            params.append(p)
            grads.append(grad)
            state = states[p]
            if len(state) == 0:
                if group["fused"]:
                    check_fused_param(p)
                state["step"] = new_step(group)
                fresh.append(p)
            exp_avgs.append(state.get("exp_avg"))
            exp_avg_sqs.append(state.get("exp_avg_sq"))
            if amsgrad:
                max_exp_avg_sqs.append(state.get("max_exp_avg_sq"))
            if differentiable and state["step"].requires_grad:
                raise RuntimeError("`requires_grad` is not supported for `step` in differentiable mode")
            if tensor_lr:
                self._new_buffers(fresh, params, [exp_avgs, exp_avg_sqs, max_exp_avg_sqs], amsgrad)
                raise RuntimeError(_TENSOR_HYPER_MSG.format("lr"))
            state_steps.append(state["step"])
        if fresh:
            self._new_buffers(fresh, params, [exp_avgs, exp_avg_sqs, max_exp_avg_sqs], amsgrad)
        return False  # has_complex: numtorch has no complex tensors

    def _new_buffers(self, fresh, params, lists, amsgrad) -> None:
        """The zero moments of the `fresh` params, side by side in memory (see zeros_like_all), into their
        state and into `lists`, where they are None."""
        keys = ("exp_avg", "exp_avg_sq", "max_exp_avg_sq")[:3 if amsgrad else 2]
        for key, column in zip(keys, lists):
            for p, buf in zip(fresh, zeros_like_all(fresh)):
                self.state[p][key] = buf
            column[:] = [self.state[p][key] if t is None else t for p, t in zip(params, column)]

    def _step_group(self, group):
        params = _fast.params_list(self, group)  # carries what the fast path checked last step
        grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, state_steps = [], [], [], [], []
        has_complex = self._init_group(group, params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, state_steps)
        adam(params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, state_steps, has_complex=has_complex,
             **group_options(group, self.defaults), **amp_state(self))


def adam(params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, state_steps, foreach=None, capturable=False,
         differentiable=False, fused=None, grad_scale=None, found_inf=None, has_complex=False,
         decoupled_weight_decay=False, *, amsgrad, beta1, beta2, lr, weight_decay, eps, maximize):
    """Functional Adam: updates params and their state tensors in place."""
    check_singleton_tensors(state_steps)
    check_no_grad_scaling(grad_scale, found_inf)
    lr, beta1, beta2 = _to_scalar(lr), _to_scalar(beta1), _to_scalar(beta2)
    if _fast.adam(params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, state_steps, foreach, fused, differentiable,
                  amsgrad=amsgrad, beta1=beta1, beta2=beta2, lr=lr, weight_decay=weight_decay, eps=eps,
                  maximize=maximize, decoupled_weight_decay=decoupled_weight_decay):
        return
    for i, param in enumerate(params):
        grad = grads[i] if not maximize else -grads[i]
        exp_avg, exp_avg_sq, step_t = exp_avgs[i], exp_avg_sqs[i], state_steps[i]
        step_t += 1
        if weight_decay != 0:
            if decoupled_weight_decay:
                param.mul_(1 - lr * weight_decay)
            elif differentiable and isinstance(weight_decay, Tensor) and weight_decay.requires_grad:
                grad = grad.addcmul(param.clone(), weight_decay)
            else:
                grad = grad.add(param, alpha=_get_value(weight_decay))

        exp_avg.lerp_(grad, 1 - (beta1.to(param.dtype) if isinstance(beta1, Tensor) else beta1))
        if differentiable and isinstance(beta2, Tensor) and beta2.requires_grad:
            exp_avg_sq.lerp_(grad.square(), 1 - beta2)  # lerp, as addcmul's value cannot carry a graph
        else:
            exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=_get_value(1 - beta2))

        second_moment = exp_avg_sq
        if amsgrad:
            second_moment = max_exp_avg_sqs[i]
            seen = second_moment.clone() if differentiable else second_moment
            second_moment.copy_(seen.maximum(exp_avg_sq))

        if differentiable:
            step = step_t.clone()  # a copy: step_t is bumped in place on the next call
            step_size_neg = (lr / (1 - beta1 ** step)).neg()
            bias_correction2_sqrt = (1 - beta2 ** step).sqrt()
            denom = (second_moment.sqrt() / (bias_correction2_sqrt * step_size_neg)).add_(eps / step_size_neg)
            param.addcdiv_(exp_avg.clone(), denom)
        else:
            step = _get_value(step_t)
            step_size = lr / (1 - beta1 ** step)
            bias_correction2_sqrt = (1 - beta2 ** step) ** 0.5
            denom = (second_moment.sqrt() / bias_correction2_sqrt).add_(eps)
            param.addcdiv_(exp_avg, denom, value=-_get_value(step_size))
