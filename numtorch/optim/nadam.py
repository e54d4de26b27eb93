"""NAdam: Adam with Nesterov momentum and a momentum schedule (`mu_product` keeps its running product).

The update is torch's single-tensor algorithm, operation for operation. Two
branches as in torch: the usual one reads `mu_product` as a Python number and
folds the step sizes into addcdiv's value; with differentiable=True they stay
tensors so that autograd can see them.
"""
from __future__ import annotations

from .._ops.creation import tensor, zeros_like
from ._functional import (GroupLoopOptimizer, as_scalar, check_foreach, check_hyperparameters, check_singleton_tensors,
                          weight_decayed)
from .optimizer import _get_scalar_dtype, _get_value, _to_scalar

__all__ = ["NAdam", "nadam"]


class NAdam(GroupLoopOptimizer):
    """NAdam (Dozat), optionally with decoupled weight decay (NAdamW); torch.optim.NAdam's contract."""

    _old_group_defaults = {"maximize": False, "foreach": None, "capturable": False, "differentiable": False,
                           "decoupled_weight_decay": False}
    _scalar_state = ("step", "mu_product")

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False):
        check_hyperparameters(lr=lr, eps=eps, betas=betas, weight_decay=weight_decay, momentum_decay=momentum_decay)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "momentum_decay": momentum_decay, "decoupled_weight_decay": decoupled_weight_decay,
                    "maximize": maximize, "foreach": foreach, "capturable": capturable,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    @staticmethod
    def _init_buffers(state, p, group) -> None:
        state["mu_product"] = tensor(1.0, dtype=_get_scalar_dtype())
        state["exp_avg"] = zeros_like(p)
        state["exp_avg_sq"] = zeros_like(p)

    def _step_group(self, group):
        self._apply_functional(nadam, group, "exp_avg", "exp_avg_sq", "mu_product", "step")


def nadam(params, grads, exp_avgs, exp_avg_sqs, mu_products, state_steps, decoupled_weight_decay=False,
          foreach=None, capturable=False, differentiable=False, has_complex=False, maximize=False, *, beta1, beta2,
          lr, weight_decay, momentum_decay, eps):
    """Functional NAdam: updates params and their state tensors in place."""
    check_singleton_tensors(state_steps)
    check_singleton_tensors(mu_products, "mu_products")
    check_foreach(foreach, differentiable)
    lr = _to_scalar(lr)
    for i, param in enumerate(params):
        grad = grads[i] if not maximize else -grads[i]
        exp_avg, exp_avg_sq, mu_product, step_t = exp_avgs[i], exp_avg_sqs[i], mu_products[i], state_steps[i]
        step_t += 1
        step = _get_value(step_t)
        bias_correction2 = 1 - beta2 ** step
        grad = weight_decayed(param, grad, weight_decay, lr, decoupled_weight_decay)
        # the momentum schedule: mu for this step and the next
        mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * momentum_decay)))
        mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * momentum_decay)))
        mu_product *= mu
        exp_avg.lerp_(grad, 1 - beta1)
        exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        if differentiable:
            # clones: numtorch's div and mul keep their tensor operand for backward even when no gradient
            # needs it (torch keeps it only then), and the next step changes exp_avg_sq and exp_avg in place
            denom = exp_avg_sq.clone().div(bias_correction2).sqrt().add(eps)
            mu_product_next = mu_product * mu_next
            param.addcdiv_(grad * (-lr * (1.0 - mu) / (1.0 - mu_product)), denom)
            param.addcdiv_(exp_avg.clone() * (-lr * mu_next / (1.0 - mu_product_next)), denom)
        else:
            mu_product_next = _get_value(mu_product) * mu_next
            denom = exp_avg_sq.div(bias_correction2).sqrt().add_(eps)
            param.addcdiv_(grad, denom, value=as_scalar(-lr * (1.0 - mu) / (1.0 - _get_value(mu_product)),
                                                        "addcdiv_", "'value'"))
            param.addcdiv_(exp_avg, denom, value=as_scalar((-lr * mu_next) / (1.0 - mu_product_next),
                                                           "addcdiv_", "'value'"))
