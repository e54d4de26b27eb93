"""Pieces every algorithm file shares: torch's argument checks, the closure, lazily made state, and the
step skeleton (GroupLoopOptimizer).

Kept here so that an algorithm file holds only its own math and options.
"""
from __future__ import annotations

from .._tensor import Tensor
from .._ops.creation import tensor, zeros_like
from ..autograd.grad_mode import enable_grad, set_grad_enabled
from .optimizer import Optimizer, _get_scalar_dtype

__all__ = []  # internal

# the flags torch's for-loop optimizers have gained since their first release, which a group of an older
# checkpoint lacks, in the order most of them add them (see GroupLoopOptimizer._old_group_defaults)
FLAG_DEFAULTS = {"foreach": None, "maximize": False, "differentiable": False, "capturable": False}

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
    check_hyperparameters(lr=lr, nan_ok=nan_ok)


def check_lr_size(lr) -> None:
    if isinstance(lr, Tensor) and lr.numel() != 1:
        raise ValueError("Tensor lr must be 1-element")


_VALUE_NAMES = {"lr": "learning rate", "eps": "epsilon value"}  # torch's words where not "<name> value"


def check_hyperparameters(*, nan_ok: bool = False, n_betas: int = 2, **values) -> None:
    """torch's constructor checks, in the order the options are given (which decides the error raised first).

    `betas`: its first `n_betas` lie in [0, 1); `lr`: 1-element and >= 0; any
    other: >= 0, else torch's "Invalid <name> value: <value>" ("epsilon value"
    for eps). `nan_ok`: SGD's test `value < 0.0`, which lets NaN through.
    """
    for name, value in values.items():
        if name == "betas":
            for index in range(n_betas):
                check_beta(value, index)
            continue
        if name == "lr":
            check_lr_size(value)
        check_nonneg(value, _VALUE_NAMES.get(name, name + " value"), nan_ok=nan_ok)


def check_singleton_tensors(values, name: str = "state_steps") -> None:
    """The functional forms' refusal of scalar state kept as Python numbers (torch's older API)."""
    if not all(isinstance(t, Tensor) for t in values):
        raise RuntimeError(f"API has changed, `{name}` argument must contain a list of singleton tensors")


def refuse_complex(group: dict, name: str) -> None:
    """torch's newer optimizers (Adafactor, Muon) check the whole group before any state is made."""
    for p in group["params"]:
        if p.grad is not None and p.is_complex():
            raise RuntimeError(f"{name} does not support complex parameters")


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


def group_options(group: dict, names, omit=()) -> dict:
    """The keyword arguments a functional form takes from `group`: each option in `names` (usually the
    optimizer's defaults: torch's functions take every option by its name) but those in `omit`, with `betas`
    unpacked into beta1 and beta2."""
    options = {key: group[key] for key in names}
    for key in omit:
        del options[key]
    if "betas" in options:
        options["beta1"], options["beta2"] = options.pop("betas")
    return options


def amp_state(optimizer) -> dict:
    """The gradient scaler's grad_scale and found_inf, which an AMP scaler would set on the optimizer."""
    return {"grad_scale": getattr(optimizer, "grad_scale", None), "found_inf": getattr(optimizer, "found_inf", None)}


def params_with_grads(optimizer, group: dict, params: list, grads: list) -> None:
    """Fill `params` and `grads` with the group's params that have a grad, and theirs.

    With fused=True the first of them is checked (once per optimizer, as torch)
    for a dtype the fused kernels take.
    """
    for p in group["params"]:
        grad = p.grad
        if grad is not None:
            params.append(p)
            grads.append(grad)
    if params and group["fused"] and getattr(optimizer, "_need_device_dtype_check_for_fused", True):
        check_fused_param(params[0])
        optimizer._need_device_dtype_check_for_fused = False


class GroupLoopOptimizer(Optimizer):
    """The skeleton the built-in algorithms share: a step is one update per param group, state is made lazily.

    A subclass gives:
    - `_step_group(group)`: update the group's params that have a grad, usually
      by its functional form (`_apply_functional`);
    - the state a param gets on its first grad: a `step` counter, then a zero
      tensor like the param for each key of `_zero_state` (or what an
      `_init_buffers` override makes; one without `step` overrides `_init_state`);
    - for checkpoints of older torch versions, `_old_group_defaults`.
    The update runs with grad mode on only when the optimizer is differentiable.
    """

    _zero_state: tuple = ()
    _old_group_defaults: dict = {}  # options torch added since, given to the groups of a checkpoint that lack them
    _scalar_state: tuple = ("step",)  # per-param scalars older checkpoints kept as numbers: made 0-d tensors again

    def __setstate__(self, state):
        super().__setstate__(state)
        fill_group_defaults(self.param_groups, self._old_group_defaults)
        restore_step_tensors(self, self._scalar_state)

    def _init_state(self, state: dict, p: Tensor, group: dict) -> None:
        state["step"] = new_step(group)
        self._init_buffers(state, p, group)

    def _init_buffers(self, state: dict, p: Tensor, group: dict) -> None:
        for key in self._zero_state:
            state[key] = zeros_like(p)

    def _grads_and_states(self, group: dict, params=None):
        """See grads_and_states: params with a grad, their grads and states (made here on a first grad)."""
        return grads_and_states(self, group, self._init_state, type(self).__name__, params)

    def _apply_functional(self, functional, group: dict, *state_keys) -> None:
        """The group's step by torch's functional form: on the params with a grad, their grads, the state lists
        of `state_keys`, with the group's options by name (see group_options)."""
        params, grads, states = self._grads_and_states(group)
        functional(params, grads, *state_lists(states, *state_keys), **group_options(group, self.defaults))

    def _start_step(self) -> None:
        """Work done once per step before any param moves (global gradient norms, shared scalars)."""

    def _step_group(self, group: dict) -> None:
        raise NotImplementedError

    def step(self, closure=None):
        """One step over every param with a grad; returns the closure's loss (or None)."""
        with set_grad_enabled(self.defaults.get("differentiable", False)):
            loss = closure_loss(closure)
            self._start_step()
            for group in self.param_groups:
                self._step_group(group)
        return loss
