"""Transformations that rescale updates: by constants, by the learning rate, by norms."""
from __future__ import annotations

from ...nn.utils.clip_grad import get_total_norm
from .._functional import check_lr
from ..optimizer import _get_value
from .base import GradientTransformation, group_value, map_updates, stateless, tree_keys

__all__ = ["scale", "scale_by_learning_rate", "scale_by_sign", "scale_by_trust_ratio", "normalize_by_update_norm",
           "centralize"]


def scale(step_size: float) -> GradientTransformation:
    """Multiply every update by a constant."""
    return stateless(lambda u, p, g: u.mul(step_size), name="scale")


def scale_by_learning_rate(learning_rate, *, flip_sign: bool = True) -> GradientTransformation:
    """Multiply by -learning_rate (descent), or by +learning_rate with flip_sign=False.

    `learning_rate` is a number or a schedule (a function of the update count).
    Inside `from_transform` a number is only the default of the param group's
    'lr', which is what is read at every step, so that lr schedulers and
    per-group lrs work. A schedule owns the lr instead: each step writes the
    value the next step will use into the groups' 'lr' (readable, as torch's
    schedulers leave it), and a step finding that someone else changed it
    raises rather than silently ignoring the change.
    """
    sign = -1.0 if flip_sign else 1.0
    if callable(learning_rate):
        return _scheduled(learning_rate, sign)
    check_lr(learning_rate)

    def scaled(u, p, group):
        return u.mul(sign * _get_value(group_value(group, "lr", learning_rate)))
    return stateless(scaled, name="scale_by_learning_rate", defaults={"lr": learning_rate})


def _scheduled(schedule, sign: float) -> GradientTransformation:
    def init(params):
        return {"count": 0}

    def update(updates, state, params=None, *, groups=None):
        count = state["count"]
        lr = schedule(count)
        if groups is not None:
            _advance_group_lrs(groups, lr, schedule(count + 1))
        return map_updates(lambda k, u, p, g: u.mul(sign * lr), updates, params, None), {"count": count + 1}
    # the schedule itself is the default (from_transform starts the groups at its first value): two
    # members with different schedules then conflict and neither reads the groups, whatever their values
    return GradientTransformation(init, update, "scale_by_learning_rate", {"lr": schedule})


def _advance_group_lrs(groups, lr, next_lr) -> None:
    """Check that nobody else set the groups' lr since the last step, then set the next step's."""
    unique = {id(g): g for g in (groups[k] for k in tree_keys(groups)) if g is not None and "lr" in g}
    for g in unique.values():
        if _get_value(g["lr"]) not in (lr, next_lr):  # next_lr: another member with this schedule went first
            raise RuntimeError(f"param group 'lr' was set to {g['lr']}, but this chain's learning rate is a schedule "
                               f"(whose value at this step is {lr}), which would silently override it. Drive the lr "
                               "either with the schedule or with a constant learning rate and an lr_scheduler.")
    for g in unique.values():
        g["lr"] = next_lr


def scale_by_sign() -> GradientTransformation:
    """Keep only the sign of each update entry (signSGD, Lion's last step)."""
    return stateless(lambda u, p, g: u.sign(), name="scale_by_sign")


def scale_by_trust_ratio(min_norm: float = 0.0, trust_coefficient: float = 1.0,
                         eps: float = 0.0) -> GradientTransformation:
    """Scale each update by trust_coefficient * ||param|| / (||update|| + eps) (LARS / LAMB).

    Norms below `min_norm` count as min_norm; when either norm is zero the
    update is left as it is.
    """
    def trusted(u, p, group):
        if p is None:
            raise ValueError("scale_by_trust_ratio needs the params: pass them to update()")
        param_norm = max(p.norm().item(), min_norm)
        update_norm = max(u.norm().item(), min_norm)
        if param_norm == 0 or update_norm == 0:
            return u
        return u.mul(trust_coefficient * param_norm / (update_norm + eps))
    return stateless(trusted, name="scale_by_trust_ratio")


def normalize_by_update_norm(scale_factor: float = 1.0, eps: float = 1e-6) -> GradientTransformation:
    """Scale all updates together by scale_factor / (their global 2-norm + eps)."""
    def init(params):
        return {}

    def update(updates, state, params=None, *, groups=None):
        present = [updates[k] for k in tree_keys(updates) if updates[k] is not None]
        factor = scale_factor / (get_total_norm(present).item() + eps)
        return map_updates(lambda k, u, p, g: u.mul(factor), updates, None, None), state
    return GradientTransformation(init, update, "normalize_by_update_norm")


def centralize() -> GradientTransformation:
    """Gradient centralization: subtract from each update of 2 or more dims its mean over all dims but the first."""
    def centered(u, p, group):
        if u.dim() < 2 or u.numel() == 0:
            return u
        return u - u.mean(dim=tuple(range(1, u.dim())), keepdim=True)
    return stateless(centered, name="centralize")
