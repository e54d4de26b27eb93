"""Clipping: element-wise, and by the global norm of all updates together (torch's clip_grad_norm_)."""
from __future__ import annotations

from ...nn.utils.clip_grad import get_total_norm
from .base import GradientTransformation, map_updates, stateless, tree_keys

__all__ = ["clip", "clip_by_value", "clip_by_global_norm"]


def clip_by_value(min_value: float | None = None, max_value: float | None = None) -> GradientTransformation:
    """Clamp every update entry into [min_value, max_value] (either bound may be None)."""
    if min_value is None and max_value is None:
        raise ValueError("clip_by_value needs at least one of min_value and max_value")
    return _clamped(min_value, max_value, "clip_by_value")


def clip(max_delta: float) -> GradientTransformation:
    """Clamp every update entry into [-max_delta, max_delta] (torch's clip_grad_value_)."""
    return _clamped(-max_delta, max_delta, "clip")


def _clamped(low, high, name: str) -> GradientTransformation:
    return stateless(lambda u, p, g: u.clamp(min=low, max=high), name=name)


def clip_by_global_norm(max_norm: float, norm_type: float = 2.0) -> GradientTransformation:
    """Scale all updates by min(1, max_norm / (total_norm + 1e-6)), with torch.nn.utils.clip_grad_norm_'s numbers.

    The total norm is over every non-None update together, as
    clip_grad_norm_(model.parameters()) takes it over the whole model.
    """
    def init(params):
        return {}

    def update(updates, state, params=None, *, groups=None):
        present = [updates[k] for k in tree_keys(updates) if updates[k] is not None]
        if not present:
            return updates, state
        coef = (float(max_norm) / (get_total_norm(present, norm_type) + 1e-6)).clamp(max=1.0)
        return map_updates(lambda k, u, p, g: u.mul(coef), updates, None, None), state
    return GradientTransformation(init, update, "clip_by_global_norm")
