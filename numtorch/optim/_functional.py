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
    if isinstance(lr, Tensor) and lr.numel() != 1:
        raise ValueError("Tensor lr must be 1-element")
    check_nonneg(lr, "learning rate", nan_ok=nan_ok)


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


def restore_step_tensors(optimizer) -> None:
    """Old checkpoints kept `step` as a Python number; make it the 0-d tensor torch keeps today."""
    for group in optimizer.param_groups:
        for p in group["params"]:
            state = optimizer.state.get(p)
            if state and "step" in state and not isinstance(state["step"], Tensor):
                state["step"] = tensor(float(state["step"]), dtype=_get_scalar_dtype(is_fused=group.get("fused")))
