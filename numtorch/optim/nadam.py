"""NAdam: Adam with Nesterov momentum and a momentum schedule (`mu_product` keeps its running product).

The update is torch's single-tensor algorithm, operation for operation. Two
branches as in torch: the usual one reads `mu_product` as a Python number and
folds the step sizes into addcdiv's value; with differentiable=True they stay
tensors so that autograd can see them. capturable only matters for CUDA
graphs, so on numtorch's CPU it is accepted and changes nothing; foreach
takes the same path for now.
"""
from __future__ import annotations

from .._ops.creation import tensor, zeros_like
from .._tensor import Tensor
from ._functional import (as_scalar, check_beta, check_foreach, check_lr, check_nonneg, closure_loss,
                          fill_group_defaults, grads_and_states, new_step, restore_step_tensors, state_lists,
                          weight_decayed)
from .optimizer import Optimizer, _get_scalar_dtype, _get_value, _to_scalar, _use_grad_for_differentiable

__all__ = ["NAdam", "nadam"]


class NAdam(Optimizer):
    """NAdam (Dozat), optionally with decoupled weight decay (NAdamW); torch.optim.NAdam's contract."""

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False):
        check_lr(lr)
        check_nonneg(eps, "epsilon value")
        check_beta(betas, 0)
        check_beta(betas, 1)
        check_nonneg(weight_decay, "weight_decay value")
        check_nonneg(momentum_decay, "momentum_decay value")
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "momentum_decay": momentum_decay, "decoupled_weight_decay": decoupled_weight_decay,
                    "maximize": maximize, "foreach": foreach, "capturable": capturable,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        fill_group_defaults(self.param_groups, {"maximize": False, "foreach": None, "capturable": False,
                                                "differentiable": False, "decoupled_weight_decay": False})
        restore_step_tensors(self, ("step", "mu_product"))

    @staticmethod
    def _init_state(state, p, group) -> None:
        state["step"] = new_step(group)
        state["mu_product"] = tensor(1.0, dtype=_get_scalar_dtype())
        state["exp_avg"] = zeros_like(p)
        state["exp_avg_sq"] = zeros_like(p)

    @_use_grad_for_differentiable
    def step(self, closure=None):
        """One NAdam step over every param with a grad; returns closure's loss (or None)."""
        loss = closure_loss(closure)
        for group in self.param_groups:
            params, grads, states = grads_and_states(self, group, self._init_state, "NAdam")
            beta1, beta2 = group["betas"]
            nadam(params, grads, *state_lists(states, "exp_avg", "exp_avg_sq", "mu_product", "step"),
                  beta1=beta1, beta2=beta2, lr=group["lr"], weight_decay=group["weight_decay"],
                  momentum_decay=group["momentum_decay"], eps=group["eps"], maximize=group["maximize"],
                  decoupled_weight_decay=group["decoupled_weight_decay"], foreach=group["foreach"],
                  capturable=group["capturable"], differentiable=group["differentiable"])
        return loss


def nadam(params, grads, exp_avgs, exp_avg_sqs, mu_products, state_steps, decoupled_weight_decay=False,
          foreach=None, capturable=False, differentiable=False, has_complex=False, maximize=False, *, beta1, beta2,
          lr, weight_decay, momentum_decay, eps):
    """Functional NAdam: updates params and their state tensors in place."""
    if not all(isinstance(t, Tensor) for t in state_steps):
        raise RuntimeError("API has changed, `state_steps` argument must contain a list of singleton tensors")
    if not all(isinstance(t, Tensor) for t in mu_products):
        raise RuntimeError("API has changed, `mu_products` argument must contain a list of singleton tensors")
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
