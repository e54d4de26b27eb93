"""numtorch.optim.transforms: optimizers composed from small gradient transformations (optax's design).

    from numtorch.optim import transforms as T
    tx = T.chain(T.clip_by_global_norm(1.0), T.scale_by_adam(), T.add_decayed_weights(0.01),
                 T.scale_by_learning_rate(T.schedules.warmup_cosine(0.0, 1e-3, 100, 1000)))
    opt = numtorch.optim.from_transform(model.parameters(), tx)      # a torch Optimizer
    # or by hand: state = tx.init(params); updates, state = tx.update(grads, state, params)
    #             T.apply_updates(params, updates)

See base.py for the conventions (trees, None updates, 'per_param' state, groups).
"""
from . import schedules
from .aliases import adam, adamw, rmsprop, sgd
from .base import GradientTransformation, apply_updates, chain, identity, per_param, stateless
from .clipping import clip, clip_by_global_norm, clip_by_value
from .moments import ema, scale_by_adam, scale_by_rms, scale_by_stddev, trace
from .optimizer import TransformOptimizer, from_transform
from .scale import (centralize, normalize_by_update_norm, scale, scale_by_learning_rate, scale_by_sign,
                    scale_by_trust_ratio)
from .weight_decay import add_decayed_weights, add_weight_decay
from .wrappers import accumulate, apply_if_finite, inject_hyperparams, masked, partition

__all__ = [
    "GradientTransformation", "chain", "identity", "per_param", "stateless", "apply_updates",
    "scale", "scale_by_learning_rate", "scale_by_sign", "scale_by_trust_ratio", "normalize_by_update_norm",
    "centralize", "trace", "ema", "scale_by_adam", "scale_by_rms", "scale_by_stddev", "clip", "clip_by_value",
    "clip_by_global_norm", "add_decayed_weights", "add_weight_decay", "apply_if_finite", "masked", "partition",
    "inject_hyperparams", "accumulate", "adam", "adamw", "sgd", "rmsprop", "schedules", "from_transform",
    "TransformOptimizer",
]
