"""Lion: the sign of an interpolated momentum, found by program search.

Every coordinate moves by exactly lr per step (plus decay), so Lion wants a
learning rate 3-10x smaller than AdamW's and a weight decay as much larger.
"""
from __future__ import annotations

from ..._ops.creation import zeros_like
from .._functional import check_hyperparameters, weight_decayed
from ._base import PerParamOptimizer

__all__ = ["Lion"]


class Lion(PerParamOptimizer):
    """Lion (EvoLved Sign Momentum).

    Chen et al., "Symbolic Discovery of Optimization Algorithms", arXiv:2302.06675
    (Program 1): ``c = beta1*m + (1-beta1)*g``, ``p -= lr*(sign(c) + weight_decay*p)``,
    then ``m = beta2*m + (1-beta2)*g``. Weight decay is decoupled, as in the paper.
    """

    def __init__(self, params, lr=1e-4, betas=(0.9, 0.99), weight_decay=0.0, *, maximize=False):
        check_hyperparameters(lr=lr, betas=betas, weight_decay=weight_decay)
        super().__init__(params, {"lr": lr, "betas": tuple(betas), "weight_decay": weight_decay,
                                  "maximize": maximize})

    def _init_state(self, state, p, group):
        state["exp_avg"] = zeros_like(p)

    def _update(self, p, grad, state, group):
        beta1, beta2 = group["betas"]
        exp_avg = state["exp_avg"]
        direction = exp_avg.lerp(grad, 1 - beta1).sign_()
        weight_decayed(p, grad, group["weight_decay"], group["lr"], decoupled=True)
        p.add_(direction, alpha=-group["lr"])
        exp_avg.lerp_(grad, 1 - beta2)
