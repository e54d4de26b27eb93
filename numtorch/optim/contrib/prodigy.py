"""Prodigy: Adam that estimates its own learning rate, from how far the weights have travelled.

It keeps a lower bound d on the distance from the initial weights to the
solution, raised as the run shows progress; the step is Adam's with lr * d, so
`lr` stays at 1 and only scales the estimate.
"""
from __future__ import annotations

import math

from ..._ops.creation import zeros_like
from ...autograd.grad_mode import no_grad
from .._functional import check_beta, check_hyperparameters, check_nonneg, closure_loss, grads_and_states
from ..optimizer import Optimizer

__all__ = ["Prodigy"]


class Prodigy(Optimizer):
    """Prodigy.

    Mishchenko & Defazio, "Prodigy: An Expeditiously Adaptive Parameter-Free
    Learner", arXiv:2306.06101 (Algorithm 4, Adam form, with the authors'
    release's options). Per step, with ``dlr = d * lr`` (times
    ``sqrt(1-b2^t)/(1-b1^t)`` with `use_bias_correction`):
    ``r = b3*r + (d/d0)*dlr*<g, w0 - w>``, ``m = b1*m + (1-b1)*d*g``,
    ``v = b2*v + (1-b2)*d^2*g^2``, ``s = b3*s + (d/d0)*dlr*g`` (``d`` instead
    of ``dlr`` with `safeguard_warmup`); then
    ``d = min(max(d, d_coef*r/||s||_1) [first raise, then running max], d*growth_rate)``
    and ``w -= dlr * m / (sqrt(v) + d*eps)``. `beta3` None means sqrt(beta2).

    d is one estimate for the whole optimizer: it (and r, the step count `k`)
    is kept in every param group, read from the first. Groups may differ in
    `lr` only by being 0 (frozen), as in the release. Weight decay is
    decoupled (``w *= 1 - weight_decay*dlr``) by default, or L2 with
    `decouple=False`.
    """

    def __init__(self, params, lr=1.0, betas=(0.9, 0.999), beta3=None, eps=1e-8, weight_decay=0.0, decouple=True,
                 use_bias_correction=False, safeguard_warmup=False, d0=1e-6, d_coef=1.0, growth_rate=float("inf"),
                 *, maximize=False):
        check_hyperparameters(lr=lr, eps=eps, betas=betas)
        if beta3 is not None:
            check_beta((beta3,), 0)
        check_hyperparameters(weight_decay=weight_decay)
        if not d0 > 0:
            raise ValueError(f"Invalid d0: {d0}")
        check_nonneg(d_coef, "d_coef")
        if not growth_rate >= 1:
            raise ValueError(f"Invalid growth_rate: {growth_rate}")
        defaults = {"lr": lr, "betas": tuple(betas), "beta3": beta3, "eps": eps, "weight_decay": weight_decay,
                    "decouple": decouple, "use_bias_correction": use_bias_correction,
                    "safeguard_warmup": safeguard_warmup, "d": d0, "d0": d0, "d_max": d0, "d_numerator": 0.0,
                    "d_coef": d_coef, "growth_rate": growth_rate, "k": 0, "maximize": maximize}
        super().__init__(params, defaults)

    @staticmethod
    def _init_state(state, p, group):
        state["s"] = zeros_like(p)
        state["p0"] = p.detach().clone()
        if group["betas"][0] > 0:
            state["exp_avg"] = zeros_like(p)
        state["exp_avg_sq"] = zeros_like(p)

    @no_grad()
    def step(self, closure=None):
        """One Prodigy step: refresh the distance estimate d, then take Adam's step with lr * d."""
        loss = closure_loss(closure)
        first = self.param_groups[0]
        beta1, beta2 = first["betas"]
        beta3 = first["beta3"] if first["beta3"] is not None else math.sqrt(beta2)
        d, d_max, k = first["d"], first["d_max"], first["k"]
        lr = max(group["lr"] for group in self.param_groups)
        dlr = d * lr
        if first["use_bias_correction"]:
            dlr *= math.sqrt(1 - beta2 ** (k + 1)) / (1 - beta1 ** (k + 1))
        d_numerator, d_denom = first["d_numerator"] * beta3, 0.0
        active = []
        for group in self.param_groups:
            if group["lr"] not in (lr, 0.0):
                raise RuntimeError("Prodigy: setting different lr values in different parameter groups is only "
                                   "supported for values of 0")
            for p, grad, state in zip(*grads_and_states(self, group, self._init_state, "Prodigy")):
                grad = -grad if group["maximize"] else grad
                if group["weight_decay"] != 0 and not group["decouple"]:
                    grad = grad.add(p, alpha=group["weight_decay"])
                if group["lr"] > 0:
                    scale = d / group["d0"]
                    d_numerator += scale * dlr * grad.flatten().dot((state["p0"] - p).flatten()).item()
                    if beta1 > 0:
                        state["exp_avg"].mul_(beta1).add_(grad, alpha=d * (1 - beta1))
                    state["exp_avg_sq"].mul_(beta2).addcmul_(grad, grad, value=d * d * (1 - beta2))
                    state["s"].mul_(beta3).add_(grad, alpha=scale * (d if group["safeguard_warmup"] else dlr))
                    d_denom += state["s"].abs().sum().item()
                active.append((p, grad, state, group))
        if d_denom == 0:  # no progress to measure (every gradient zero so far): nothing moves
            return loss
        d_hat = d
        if lr > 0:
            d_hat = first["d_coef"] * d_numerator / d_denom
            if d == first["d0"]:
                d = max(d, d_hat)
            d_max = max(d_max, d_hat)
            d = min(d_max, d * first["growth_rate"])
        for group in self.param_groups:
            group.update(d_numerator=d_numerator, d_denom=d_denom, d=d, d_max=d_max, d_hat=d_hat, k=group["k"] + 1)
        for p, grad, state, group in active:
            denom = state["exp_avg_sq"].sqrt().add_(d * group["eps"])
            if group["weight_decay"] != 0 and group["decouple"]:
                p.mul_(1 - group["weight_decay"] * dlr)
            if beta1 > 0:
                p.addcdiv_(state["exp_avg"], denom, value=-dlr)
            else:
                p.addcdiv_(grad, denom, value=-dlr * d)
        return loss
