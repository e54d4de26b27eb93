"""torch.optim's classic optimizers as chains of transformations, with torch's arguments and defaults.

from_transform(params, adam(...)) follows torch.optim.Adam's trajectory, and
its per-parameter state has Adam's keys (step, exp_avg, exp_avg_sq), so
checkpoints of the two load into each other; likewise sgd's momentum_buffer.
Every chain keeps its weight decay member even at 0, so that the param groups
carry 'weight_decay' as torch's do.
"""
from __future__ import annotations

from .base import GradientTransformation, chain
from .moments import scale_by_adam, scale_by_rms, trace
from .scale import scale_by_learning_rate
from .weight_decay import add_decayed_weights, add_weight_decay

__all__ = ["adam", "adamw", "sgd", "rmsprop"]


def adam(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False) -> GradientTransformation:
    """torch.optim.Adam: L2 weight decay added to the gradient, then Adam's direction, then -lr."""
    return chain(add_weight_decay(weight_decay), scale_by_adam(*betas, eps=eps, amsgrad=amsgrad),
                 scale_by_learning_rate(lr))


def adamw(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False,
          mask=None) -> GradientTransformation:
    """torch.optim.AdamW: Adam's direction plus decoupled weight decay (only where `mask` says), then -lr."""
    return chain(scale_by_adam(*betas, eps=eps, amsgrad=amsgrad), add_decayed_weights(weight_decay, mask),
                 scale_by_learning_rate(lr))


def sgd(lr=1e-3, momentum=0.0, dampening=0.0, nesterov=False, weight_decay=0.0) -> GradientTransformation:
    """torch.optim.SGD: L2 weight decay, then (Nesterov) momentum, then -lr."""
    return chain(add_weight_decay(weight_decay), trace(momentum, nesterov=nesterov, dampening=dampening),
                 scale_by_learning_rate(lr))


def rmsprop(lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False) -> GradientTransformation:
    """torch.optim.RMSprop: L2 weight decay, RMS scaling (centered or not), momentum, then -lr."""
    return chain(add_weight_decay(weight_decay), scale_by_rms(alpha, eps, centered), trace(momentum),
                 scale_by_learning_rate(lr))
