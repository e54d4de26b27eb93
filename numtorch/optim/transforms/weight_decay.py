"""Weight decay, coupled (added to the gradient, torch's Adam/SGD) or decoupled (added to the update, AdamW).

Both add weight_decay * param to what reaches them; which kind it is depends
only on where it sits in the chain: before the moments (coupled, the decay
enters momentum and adaptive scaling) or after them, before the learning rate
(decoupled). `weight_decay` is the param group's 'weight_decay' (its default),
so torch's usual no-decay param group works; `mask` leaves parameters out
(a callable fn(name, param) or fn(param), or one boolean per parameter).
"""
from __future__ import annotations

from .._functional import check_nonneg
from .base import GradientTransformation, group_value, stateless
from .wrappers import masked

__all__ = ["add_decayed_weights", "add_weight_decay"]


def add_decayed_weights(weight_decay: float = 0.0, mask=None) -> GradientTransformation:
    """Decoupled weight decay: put it after the moments and before scale_by_learning_rate."""
    return _decay(weight_decay, mask, "add_decayed_weights")


def add_weight_decay(weight_decay: float = 0.0, mask=None) -> GradientTransformation:
    """Coupled (L2) weight decay: put it first in the chain, where the updates are the gradients."""
    return _decay(weight_decay, mask, "add_weight_decay")


def _decay(weight_decay, mask, name: str) -> GradientTransformation:
    check_nonneg(weight_decay, "weight_decay value")

    def decayed(u, p, group):
        wd = group_value(group, "weight_decay", weight_decay)
        if wd == 0:
            return u
        if p is None:
            raise ValueError(f"{name} needs the params: pass them to update()")
        return u.add(p, alpha=wd)
    tx = stateless(decayed, name=name, defaults={"weight_decay": weight_decay})
    return tx if mask is None else masked(tx, mask)
