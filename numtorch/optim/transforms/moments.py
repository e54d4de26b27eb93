"""Transformations with running statistics of the updates: momentum, EMAs, Adam's and RMSprop's moments.

Each keeps its state per parameter under torch's names (`step`, `exp_avg`,
`momentum_buffer`, ...) and follows torch's single-tensor algorithm operation
for operation, so that a chain of these reproduces torch's optimizers. `step`
is a 0-d float tensor, as torch keeps it, counted per parameter: a parameter
whose update is None does not advance (torch's rule for a None grad).
"""
from __future__ import annotations

from ..._ops.creation import full_like, zeros_like
from .._functional import check_beta, check_nonneg, new_step
from ..optimizer import _get_value
from .base import GradientTransformation, group_value, per_param

__all__ = ["trace", "ema", "scale_by_adam", "scale_by_rms", "scale_by_stddev"]


def _step(state) -> float:
    """Count this update in state['step'] (in place, as torch does) and return the new count."""
    state["step"] += 1
    return _get_value(state["step"])


def trace(decay: float = 0.9, nesterov: bool = False, dampening: float = 0.0) -> GradientTransformation:
    """Momentum with torch.optim.SGD's semantics: buf = decay * buf + (1 - dampening) * update.

    The first update is copied into the buffer undamped, as torch does; with
    nesterov the result is update + decay * buf. `decay` is the param group's
    'momentum' (its default), so schedulers that cycle momentum drive it. With
    momentum 0 nothing is kept and updates pass unchanged.
    """
    check_nonneg(decay, "momentum value", nan_ok=True)
    if nesterov and (decay <= 0 or dampening != 0):
        raise ValueError("Nesterov momentum requires a momentum and zero dampening")

    def update(u, state, p, group):
        momentum = group_value(group, "momentum", decay)
        if momentum == 0:
            return u
        buf = state.get("momentum_buffer")
        if buf is None:
            buf = state["momentum_buffer"] = u.detach().clone()
        else:
            buf.mul_(momentum).add_(u, alpha=1 - dampening)
        return u.add(buf, alpha=momentum) if nesterov else buf
    return per_param(lambda like: {}, update, name="trace", defaults={"momentum": decay})


def ema(decay: float, debias: bool = True) -> GradientTransformation:
    """Exponential moving average of the updates, divided by 1 - decay ** step when debias."""
    def init(like):
        return {"step": new_step({}), "ema": zeros_like(like)}

    def update(u, state, p, group):
        step = _step(state)
        avg = state["ema"].mul_(decay).add_(u, alpha=1 - decay)
        return avg.div(1 - decay ** step) if debias else avg
    return per_param(init, update, name="ema")


def scale_by_adam(b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8, eps_root: float = 0.0,
                  amsgrad: bool = False) -> GradientTransformation:
    """Adam's direction, bias-corrected as torch.optim.Adam: m_hat / (sqrt(v_hat) + eps).

    eps_root (optax's) is added to v_hat inside the square root; with the
    default 0 the operations are torch's. amsgrad divides by the running
    maximum of v instead. (b1, b2) is the param group's 'betas' (its default),
    so schedulers that cycle momentum (OneCycleLR) drive b1 as on torch's Adam.
    """
    check_nonneg(eps, "epsilon value")
    check_beta((b1, b2), 0)
    check_beta((b1, b2), 1)

    def init(like):
        state = {"step": new_step({}), "exp_avg": zeros_like(like), "exp_avg_sq": zeros_like(like)}
        if amsgrad:
            state["max_exp_avg_sq"] = zeros_like(like)
        return state

    def update(u, state, p, group):
        beta1, beta2 = (_get_value(b) for b in group_value(group, "betas", (b1, b2)))
        step = _step(state)
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        exp_avg.lerp_(u, 1 - beta1)
        exp_avg_sq.mul_(beta2).addcmul_(u, u, value=1 - beta2)
        second = exp_avg_sq
        if amsgrad:
            second = state["max_exp_avg_sq"]
            second.copy_(second.maximum(exp_avg_sq))
        if eps_root:
            denom = (second / (1 - beta2 ** step) + eps_root).sqrt().add_(eps)
        else:
            denom = (second.sqrt() / (1 - beta2 ** step) ** 0.5).add_(eps)
        return exp_avg.div(denom).div_(1 - beta1 ** step)
    return per_param(init, update, name="scale_by_adam", defaults={"betas": (b1, b2)})


def scale_by_rms(alpha: float = 0.99, eps: float = 1e-8, centered: bool = False) -> GradientTransformation:
    """RMSprop's direction as torch.optim.RMSprop: update / (sqrt(square_avg) + eps).

    centered subtracts the squared running mean first (Graves). Follow it
    with `trace(momentum)` for RMSprop's momentum.
    """
    check_nonneg(eps, "epsilon value")
    check_nonneg(alpha, "alpha value")

    def init(like):
        state = {"step": new_step({}), "square_avg": zeros_like(like)}
        if centered:
            state["grad_avg"] = zeros_like(like)
        return state

    def update(u, state, p, group):
        _step(state)
        square_avg = state["square_avg"].mul_(alpha).addcmul_(u, u, value=1 - alpha)
        if centered:
            grad_avg = state["grad_avg"].lerp_(u, 1 - alpha)
            avg = square_avg.addcmul(grad_avg, grad_avg, value=-1).sqrt_()
        else:
            avg = square_avg.sqrt()
        return u.div(avg.add_(eps))
    return per_param(init, update, name="scale_by_rms")


def scale_by_stddev(decay: float = 0.9, eps: float = 1e-8, initial_scale: float = 0.0) -> GradientTransformation:
    """optax's centered RMS: update / sqrt(E[u^2] - E[u]^2 + eps), the averages started at (0, initial_scale)."""
    def init(like):
        return {"grad_avg": zeros_like(like), "square_avg": full_like(like, initial_scale)}

    def update(u, state, p, group):
        grad_avg = state["grad_avg"].mul_(decay).add_(u, alpha=1 - decay)
        square_avg = state["square_avg"].mul_(decay).addcmul_(u, u, value=1 - decay)
        return u.div(square_avg.addcmul(grad_avg, grad_avg, value=-1).add_(eps).sqrt_())
    return per_param(init, update, name="scale_by_stddev")
