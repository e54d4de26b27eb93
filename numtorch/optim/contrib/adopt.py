"""ADOPT: Adam that normalizes the gradient by the second moment of the *previous* steps.

Leaving the current gradient out of its own normalizer (and normalizing before
the momentum rather than after) removes the correlation that makes Adam
diverge for some beta2; it then converges for any beta2.
"""
from __future__ import annotations

from .._functional import check_hyperparameters, weight_decayed
from ..optimizer import _get_value
from ._base import PerParamOptimizer

__all__ = ["ADOPT"]


def quarter_power(step: int) -> float:
    """The paper's clipping bound step**0.25 (a named function, so the optimizer stays picklable)."""
    return step ** 0.25


class ADOPT(PerParamOptimizer):
    """ADOPT (ADaptive gradient method with the OPTimal convergence rate).

    Taniguchi et al., "ADOPT: Modified Adam Can Converge with Any beta2 with the
    Optimal Rate", arXiv:2411.02853 (Algorithm 2, clipped). A param's first step
    only sets ``v = g**2``; after that ``m = b1*m + (1-b1)*clip(g / max(sqrt(v),
    eps), clip_lambda(t))``, ``w -= lr*m``, ``v = b2*v + (1-b2)*g**2``.
    `clip_lambda(step)` bounds the normalized gradient (None: no clipping); it
    is kept on the optimizer, not in the param groups, since a function cannot
    go into a checkpoint. Weight decay is L2 by default, decoupled with
    `decouple=True`, as in the authors' release.
    """

    _instance_attrs = ("clip_lambda",)
    _zero_state = ("exp_avg", "exp_avg_sq")

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.9999), eps=1e-6, weight_decay=0.0, *,
                 clip_lambda=quarter_power, decouple=False, maximize=False):
        check_hyperparameters(lr=lr, eps=eps, betas=betas, weight_decay=weight_decay)
        super().__init__(params, {"lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay,
                                  "decouple": decouple, "maximize": maximize})
        self.clip_lambda = clip_lambda

    def _update(self, p, grad, state, group):
        beta1, beta2 = group["betas"]
        lr = group["lr"]
        grad = weight_decayed(p, grad, group["weight_decay"], lr, decoupled=group["decouple"])
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        state["step"] += 1
        step = _get_value(state["step"])
        if step == 1:
            exp_avg_sq.addcmul_(grad, grad)
            return
        normed = grad / exp_avg_sq.sqrt().clamp_(min=group["eps"])
        if self.clip_lambda is not None:
            bound = self.clip_lambda(step)
            normed.clamp_(-bound, bound)
        exp_avg.lerp_(normed, 1 - beta1)
        p.add_(exp_avg, alpha=-lr)
        exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
