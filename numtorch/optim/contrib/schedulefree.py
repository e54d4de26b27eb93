"""Schedule-Free SGD and AdamW: no learning-rate schedule, yet the last iterate is as good as a scheduled one.

The method keeps three sequences: z (plain SGD/Adam steps), x (a weighted
running average of z, the weights to evaluate) and y (an interpolation of the
two, where gradients are taken). The params hold y while training and x while
evaluating: call `optimizer.train()` before training steps and
`optimizer.eval()` before evaluating or saving the weights. Only y and z are
stored (x is recovered from them), as in the authors' release.
"""
from __future__ import annotations

import math

from ..._ops.creation import zeros_like
from ...autograd.grad_mode import no_grad
from .._functional import GroupLoopOptimizer, check_hyperparameters, check_nonneg

__all__ = ["ScheduleFreeAdamW", "ScheduleFreeSGD"]

class _ScheduleFree(GroupLoopOptimizer):
    """The averaging, the y/z updates and the train/eval switch; a subclass gives the step direction u.

    Defazio et al., "The Road Less Scheduled", arXiv:2405.15682, as in the
    authors' release (facebookresearch/schedule_free). At step k (from 0):
    ``lr_k = lr * min(1, (k+1)/warmup_steps)``, the averaging weight
    ``c = w_k / (w_0 + ... + w_k)`` with
    ``w_k = (k+1)**r * max(lr_0, ..., lr_k)**weight_lr_power``, then
    ``y = (1-c)*y + c*z + lr_k*(beta*(1-c) - 1)*u`` and ``z -= lr_k*u``.
    Weight decay is an L2 term of u taken at y. `train()` / `eval()` move the
    params between y and ``x = (y - (1-beta)*z) / beta``; a step in eval mode
    raises. The optimizer starts in train mode, as the release's reference
    implementations do.
    """

    _scalar_state = ()  # no checkpoints from older versions to convert

    def _beta(self, group: dict) -> float:
        raise NotImplementedError

    def _lr(self, group: dict, k: int) -> float:
        """The learning rate of step k before the warmup factor."""
        return group["lr"]

    def _direction(self, p, grad, state: dict, group: dict):
        raise NotImplementedError

    @no_grad()
    def eval(self) -> None:
        """Put the averaged weights x into the params (for evaluation and checkpoints)."""
        self._switch(False, lambda beta: 1 - 1 / beta)

    @no_grad()
    def train(self) -> None:
        """Put the gradient point y back into the params (before training steps)."""
        self._switch(True, lambda beta: 1 - beta)

    def _switch(self, to_train: bool, weight) -> None:
        for group in self.param_groups:
            if group["train_mode"] == to_train:
                continue
            for p in group["params"]:
                z = self.state[p]["z"] if "z" in self.state.get(p, ()) else None
                if z is not None:
                    p.lerp_(z, weight(self._beta(group)))
            group["train_mode"] = to_train

    def step(self, closure=None):
        """One step of every group; the params must hold y (train mode)."""
        if not all(group["train_mode"] for group in self.param_groups):
            raise RuntimeError(f"{type(self).__name__} was not in train mode when step was called: call "
                               f"optimizer.train() before training steps and optimizer.eval() before evaluating")
        return super().step(closure)

    def _step_group(self, group):
        k, warmup = group["k"], group["warmup_steps"]
        lr = self._lr(group, k) * ((k + 1) / warmup if k < warmup else 1.0)
        group["scheduled_lr"] = lr
        lr_max = group["lr_max"] = max(lr, group["lr_max"])
        weight = (k + 1) ** group["r"] * lr_max ** group["weight_lr_power"]
        weight_sum = group["weight_sum"] = group["weight_sum"] + weight
        ckp1 = weight / weight_sum if weight_sum != 0 else 0.0
        beta = self._beta(group)
        for p, grad, state in zip(*self._grads_and_states(group)):
            direction = self._direction(p, -grad if group["maximize"] else grad, state, group)
            p.lerp_(state["z"], ckp1)
            p.add_(direction, alpha=lr * (beta * (1 - ckp1) - 1))
            state["z"].sub_(direction, alpha=lr)
        group["k"] = k + 1

    @staticmethod
    def _group_defaults(lr, weight_decay, warmup_steps, r, weight_lr_power, maximize) -> dict:
        check_hyperparameters(lr=lr, weight_decay=weight_decay)
        check_nonneg(warmup_steps, "warmup_steps")
        return {"lr": lr, "weight_decay": weight_decay, "warmup_steps": warmup_steps, "r": r,
                "weight_lr_power": weight_lr_power, "k": 0, "train_mode": True, "weight_sum": 0.0, "lr_max": -1.0,
                "maximize": maximize}


class ScheduleFreeSGD(_ScheduleFree):
    """Schedule-Free SGD: ``u = g + weight_decay*y`` and beta = `momentum`.

    Defazio et al., "The Road Less Scheduled", arXiv:2405.15682 (see
    `_ScheduleFree` for the averaging and the train/eval modes).
    """

    def __init__(self, params, lr=1.0, momentum=0.9, weight_decay=0.0, warmup_steps=0, r=0.0, weight_lr_power=2.0,
                 *, maximize=False):
        if not 0 < momentum < 1:
            raise ValueError(f"Momentum must be between 0 and 1 exclusive: {momentum}")
        defaults = self._group_defaults(lr, weight_decay, warmup_steps, r, weight_lr_power, maximize)
        super().__init__(params, {**defaults, "momentum": momentum})

    def _beta(self, group):
        return group["momentum"]

    @staticmethod
    def _init_state(state, p, group):
        state["z"] = p.detach().clone()

    def _direction(self, p, grad, state, group):
        return grad.add(p, alpha=group["weight_decay"]) if group["weight_decay"] != 0 else grad


class ScheduleFreeAdamW(_ScheduleFree):
    """Schedule-Free AdamW: ``v = b2*v + (1-b2)*g**2``, ``u = g / (sqrt(v) + eps) + weight_decay*y``, beta = b1.

    Defazio et al., "The Road Less Scheduled", arXiv:2405.15682. Adam's bias
    correction is folded into the learning rate,
    ``lr_k *= sqrt(1 - b2**(k+1))``, so that it also shapes the averaging
    weights, as in the release (see `_ScheduleFree` for the rest).
    """

    def __init__(self, params, lr=0.0025, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, warmup_steps=0, r=0.0,
                 weight_lr_power=2.0, *, maximize=False):
        check_hyperparameters(eps=eps, betas=betas)
        if betas[0] == 0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]} (the averaged weights divide by it)")
        defaults = self._group_defaults(lr, weight_decay, warmup_steps, r, weight_lr_power, maximize)
        super().__init__(params, {**defaults, "betas": tuple(betas), "eps": eps})

    def _beta(self, group):
        return group["betas"][0]

    def _lr(self, group, k):
        return group["lr"] * math.sqrt(1 - group["betas"][1] ** (k + 1))

    @staticmethod
    def _init_state(state, p, group):
        state["z"] = p.detach().clone()
        state["exp_avg_sq"] = zeros_like(p)

    def _direction(self, p, grad, state, group):
        beta2 = group["betas"][1]
        exp_avg_sq = state["exp_avg_sq"]
        exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        direction = grad / exp_avg_sq.sqrt().add_(group["eps"])
        return direction.add_(p, alpha=group["weight_decay"]) if group["weight_decay"] != 0 else direction
