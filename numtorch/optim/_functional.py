"""Pieces every algorithm file shares: torch's argument checks, the closure, lazily made state.

Kept here so that an algorithm file holds only its own math and options.
"""
from __future__ import annotations

from .._tensor import Tensor
from .._ops.creation import tensor
from ..autograd.grad_mode import enable_grad
from .optimizer import _get_scalar_dtype

__all__ = []  # internal

_FUSED_DEVICES = ["mps", "cuda", "xpu", "hpu", "cpu", "mtia", "privateuseone"]


def closure_loss(closure):
    """The loss from `closure`, evaluated with grad enabled (the step itself may run under no_grad)."""
    if closure is None:
        return None
    with enable_grad():
        return closure()


def check_nonneg(value, what: str, *, nan_ok: bool = False) -> None:
    """torch's "Invalid <what>: <value>" for a negative hyperparameter.

    Most optimizers test `not 0.0 <= value`, which also rejects NaN; a few
    (SGD) test `value < 0.0`, which lets NaN through: `nan_ok` picks the latter.
    """
    if (value < 0.0) if nan_ok else not 0.0 <= value:
        raise ValueError(f"Invalid {what}: {value}")


def check_lr(lr, *, nan_ok: bool = False) -> None:
    check_lr_size(lr)
    check_nonneg(lr, "learning rate", nan_ok=nan_ok)


def check_lr_size(lr) -> None:
    if isinstance(lr, Tensor) and lr.numel() != 1:
        raise ValueError("Tensor lr must be 1-element")


def check_positive(value, what: str) -> None:
    """torch's "Invalid <what>: <value>" where zero is refused too (SparseAdam's lr and eps)."""
    if not 0.0 < value:
        raise ValueError(f"Invalid {what}: {value}")


def check_at_least(value, what: str, bound=0) -> None:
    """The wording of torch's newer optimizers (Adafactor, Muon): "<what> should be >= <bound> but is: <value>"."""
    if not bound <= value:
        raise ValueError(f"{what} should be >= {bound} but is: {value}")


def check_beta(betas, index: int) -> None:
    if not 0.0 <= betas[index] < 1.0:
        raise ValueError(f"Invalid beta parameter at index {index}: {betas[index]}")


def check_fused(fused, foreach, differentiable) -> None:
    """The flag combinations torch refuses once an optimizer asks for its fused implementation."""
    if fused:
        if differentiable:
            raise RuntimeError("`fused` does not support `differentiable`")
        if foreach:
            raise RuntimeError("`fused` and `foreach` cannot be `True` together.")


def check_fused_param(p: Tensor) -> None:
    if not p.is_floating_point():
        raise RuntimeError(f"`fused=True` requires all the params to be floating point Tensors of supported "
                           f"devices: {_FUSED_DEVICES} but {p.dtype} and cpu")


def check_no_grad_scaling(grad_scale, found_inf) -> None:
    if grad_scale is not None or found_inf is not None:
        raise NotImplementedError("numtorch has no gradient scaler (AMP): grad_scale and found_inf are not "
                                  "supported")


def new_step(group: dict) -> Tensor:
    """A fresh `step` counter as torch keeps it: a 0-d float tensor (float32 when fused)."""
    return tensor(0.0, dtype=_get_scalar_dtype(is_fused=group.get("fused")))


def fill_group_defaults(param_groups, defaults: dict) -> None:
    """Give groups from older checkpoints the options added to torch since (`__setstate__`)."""
    for group in param_groups:
        for key, value in defaults.items():
            group.setdefault(key, value)


def restore_step_tensors(optimizer, keys=("step",)) -> None:
    """Make the scalar state old checkpoints kept as Python numbers the 0-d tensors torch keeps today.

    `keys`: `step`, and for ASGD also eta and mu, for NAdam mu_product.
    """
    for group in optimizer.param_groups:
        for p in group["params"]:
            state = optimizer.state.get(p)
            for key in keys if state else ():
                if key in state and not isinstance(state[key], Tensor):
                    state[key] = tensor(float(state[key]), dtype=_get_scalar_dtype(is_fused=group.get("fused")))


def check_foreach(foreach, differentiable) -> None:
    """torch's foreach kernels cannot record a graph: it refuses foreach=True with differentiable=True."""
    if foreach and differentiable:
        raise AssertionError("_foreach ops don't support autograd")


def grads_and_states(optimizer, group: dict, init_state, name: str, params=None):
    """The params of `group` that have a grad, their grads, and their state dicts.

    A param seen for the first time gets its state from `init_state(state, p, group)`;
    a param whose grad is None is skipped and gets no state (torch's rule).
    `name` is the optimizer's, for torch's error on sparse gradients; `params`, an empty list to fill.
    """
    params, grads, states = [] if params is None else params, [], []
    for p in group["params"]:
        grad = p.grad
        if grad is None:
            continue
        if grad.is_sparse:
            raise RuntimeError(f"{name} does not support sparse gradients")
        params.append(p)
        grads.append(grad)
        state = optimizer.state[p]
        if len(state) == 0:
            init_state(state, p, group)
        states.append(state)
    return params, grads, states


def weight_decayed(param: Tensor, grad: Tensor, weight_decay, lr=None, decoupled: bool = False) -> Tensor:
    """The gradient with L2 weight decay added, or (decoupled) the param shrunk in place and grad as is."""
    if weight_decay == 0:
        return grad
    if decoupled:
        param.mul_(1 - lr * weight_decay)
        return grad
    return grad.add(param, alpha=as_scalar(weight_decay, "add", "'alpha'"))


def as_scalar(value, op: str, arg: str):
    """A Python number for a Scalar argument of `op`, read from a Tensor the way torch's argument parser does.

    torch refuses a Tensor that requires grad there (the graph would be lost
    silently), so with differentiable=True a Tensor lr reaching such an
    argument raises torch's TypeError rather than dropping its gradient.
    """
    if isinstance(value, Tensor):
        if value.requires_grad:
            raise TypeError(f"{op}(): argument {arg} must be Number, not Tensor")
        return value.item()
    return value


def state_lists(states, *keys) -> list:
    """One list per key, of that state entry for every param (the per-buffer lists torch's functions take)."""
    return [[state[key] for state in states] for key in keys]


def global_norm(tensors) -> float:
    """The 2-norm of all `tensors` taken together, as a Python float (global gradient clipping, SAM's radius)."""
    return sum(t.square().sum().item() for t in tensors) ** 0.5
