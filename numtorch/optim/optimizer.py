"""torch.optim.Optimizer: the contract every optimizer, built-in or user-written, relies on.

Custom optimizers written the way PyTorch's tutorials teach (a defaults dict, a
loop over `self.param_groups`, lazily created `self.state[p]`, a `step` under
no_grad) subclass this class unchanged, and checkpoints in torch's
`state_dict` format move between numtorch and torch.

Step hooks are installed once per class by `__init_subclass__` rather than by
patching the class from each instance's constructor (torch's way): a class's
`step` is wrapped as soon as it is defined, and a `super().step()` call from an
overriding subclass does not fire the hooks a second time.
"""
from __future__ import annotations

import functools
import warnings
from collections import defaultdict
from collections.abc import Iterable
from copy import deepcopy
from itertools import chain

from .. import _dtype
from .._tensor import Tensor, legacy_type_name
from ..autograd.grad_mode import is_grad_enabled, set_grad_enabled
from ..utils.hooks import RemovableHandle, add_hook

__all__ = ["Optimizer", "register_optimizer_step_pre_hook", "register_optimizer_step_post_hook"]

_global_optimizer_pre_hooks: dict = {}
_global_optimizer_post_hooks: dict = {}


class _RequiredParameter:
    """Marks a hyperparameter without a default: every param group must then give it."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()


def register_optimizer_step_pre_hook(hook) -> RemovableHandle:
    """hook(optimizer, args, kwargs) -> None or (new_args, new_kwargs), before every optimizer's step.

    Global pre-hooks fire before each instance's own pre-hooks.
    """
    return add_hook(_global_optimizer_pre_hooks, hook)


def register_optimizer_step_post_hook(hook) -> RemovableHandle:
    """hook(optimizer, args, kwargs), after every optimizer's step (after each instance's own post-hooks)."""
    return add_hook(_global_optimizer_post_hooks, hook)


# -- helpers the algorithm files share (torch's names) ----------------------------------

def _use_grad_for_differentiable(step):
    """Run `step` with grad mode set to the optimizer's `differentiable` default.

    Without `differentiable=True` the update is invisible to autograd (no_grad);
    with it, the update is recorded so that a meta-gradient can flow through it.
    """
    @functools.wraps(step)
    def with_grad_mode(self, *args, **kwargs):
        prev = is_grad_enabled()
        set_grad_enabled(self.defaults["differentiable"])
        try:
            return step(self, *args, **kwargs)
        finally:
            set_grad_enabled(prev)
    return with_grad_mode


def _get_value(x):
    """A Python number for a 0-d tensor (how torch's for-loop algorithms read `step`)."""
    return x.item() if isinstance(x, Tensor) else x


def _to_scalar(x):
    """A 1-element tensor hyperparameter as a 0-d tensor; anything else unchanged."""
    if isinstance(x, Tensor) and x.dim() != 0:
        return x.reshape(())
    return x


def _get_scalar_dtype(is_fused=None):
    """The dtype torch gives scalar state such as `step`: float32, or float64 under a float64 default."""
    if is_fused:
        return _dtype.float32
    return _dtype.float64 if _dtype.get_default_dtype() is _dtype.float64 else _dtype.float32


def _typename(obj) -> str:
    """torch.typename: torch.FloatTensor for a tensor, else the qualified type name."""
    if isinstance(obj, Tensor):
        return legacy_type_name(obj)
    cls = obj if isinstance(obj, type) else type(obj)
    module = getattr(cls, "__module__", "") or ""
    return cls.__qualname__ if module in ("", "builtins") else f"{module}.{cls.__qualname__}"


def _with_step_hooks(step):
    """Wrap a class's `step` so that the global and per-instance step hooks fire around it."""
    @functools.wraps(step)
    def hooked_step(*args, **kwargs):
        self = args[0]
        if self._in_step:  # super().step() from an overriding subclass: hooks already fired
            return step(*args, **kwargs)
        for hook in chain(_global_optimizer_pre_hooks.values(), self._optimizer_step_pre_hooks.values()):
            result = hook(self, args, kwargs)
            if result is not None:
                if not (isinstance(result, tuple) and len(result) == 2):
                    raise RuntimeError(f"{step} must return None or a tuple of (new_args, new_kwargs), but "
                                       f"got {result}.")
                args, kwargs = result
        self._in_step = True
        try:
            out = step(*args, **kwargs)
        finally:
            self._in_step = False
        for hook in chain(self._optimizer_step_post_hooks.values(), _global_optimizer_post_hooks.values()):
            hook(self, args, kwargs)
        return out

    hooked_step.hooked = True
    return hooked_step


_HOOK_DICTS = ("_optimizer_step_pre_hooks", "_optimizer_step_post_hooks", "_optimizer_state_dict_pre_hooks",
               "_optimizer_state_dict_post_hooks", "_optimizer_load_state_dict_pre_hooks",
               "_optimizer_load_state_dict_post_hooks")


class Optimizer:
    """Base class for all optimizers.

    Args:
        params: an iterable of Tensors, of (name, Tensor) pairs, or of dicts
            defining parameter groups. Its order must be the same between runs
            (so not a set), since `state_dict` identifies parameters by position.
        defaults: the hyperparameters a group gets when it does not give them.
    """

    _in_step = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        step = cls.__dict__.get("step")
        if step is not None and not getattr(step, "hooked", False):
            cls.step = _with_step_hooks(step)

    def __init__(self, params, defaults: dict) -> None:
        self.defaults = defaults
        for name in _HOOK_DICTS:
            setattr(self, name, {})
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of Tensors or "
                            "dicts, but got " + _typename(params))
        self.state: defaultdict = defaultdict(dict)
        self.param_groups: list[dict] = []
        groups = list(params)
        if len(groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    # -- pickling, copying, printing ------------------------------------------------------
    def __getstate__(self) -> dict:
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state: dict) -> None:
        """Restore from pickle or load_state_dict; subclasses add defaults that older checkpoints lack."""
        self.__dict__.update(state)
        for name in _HOOK_DICTS:
            if name not in self.__dict__:
                setattr(self, name, {})
        self.defaults.setdefault("differentiable", False)

    def __repr__(self) -> str:
        text = type(self).__name__ + " ("
        for i, group in enumerate(self.param_groups):
            text += f"\nParameter Group {i}\n"
            text += "".join(f"    {key}: {group[key]}\n" for key in sorted(group) if key != "params")
        return text + ")"

    # -- parameter groups ------------------------------------------------------------------
    def add_param_group(self, param_group: dict) -> None:
        """Add a group of parameters (with its own hyperparameters) to optimize from now on."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, but the "
                            "ordering of tensors in sets will change between runs. Please use a list instead.")
        entries = list(params)
        names = [p[0] for p in entries if isinstance(p, tuple)]
        param_group["params"] = [p[1] if isinstance(p, tuple) else p for p in entries]
        if names:
            if len(names) != len(entries):
                raise ValueError("all optimizer params should be with/without names. Some param names are missing")
            param_group["param_names"] = names
        self._check_params(param_group["params"])

        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(f"parameter group didn't specify a value of required optimization parameter "
                                 f"{name}")
            param_group.setdefault(name, default)

        params = param_group["params"]
        if len(params) != len(set(params)):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; in future, this will "
                          "cause an error; see github.com/pytorch/pytorch/issues/40967 for more information",
                          stacklevel=3)
        seen = set()
        for group in self.param_groups:
            seen.update(group["params"])
            if ("param_names" in param_group) != ("param_names" in group):
                which = "with names" if "param_names" in param_group else "without names"
                raise ValueError(f"all optimizer param groups should be with/without names. cannot add param group "
                                 f"{which} to the optimizer")
        if not seen.isdisjoint(params):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    def _check_params(self, params) -> None:
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is " + _typename(p))
            if not self.defaults.get("differentiable", None) and not (p.is_leaf or p.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")

    # -- stepping ----------------------------------------------------------------------------
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients: set them to None (the default) or, with set_to_none=False, to zeros.

        The two differ for the next step: a None grad skips its parameter
        entirely, a zero grad still decays and moves it.
        """
        for group in self.param_groups:
            for p in group["params"]:
                grad = p.grad
                if grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                    continue
                if grad.grad_fn is not None:
                    grad.detach_()
                else:
                    grad.requires_grad_(False)
                grad.zero_()

    def step(self, closure=None):
        """Perform one optimization step; `closure` re-evaluates the model and returns the loss."""
        raise NotImplementedError

    # -- hooks -----------------------------------------------------------------------------------
    def register_step_pre_hook(self, hook) -> RemovableHandle:
        """hook(optimizer, args, kwargs) -> None or (new_args, new_kwargs), before each step()."""
        return add_hook(self._optimizer_step_pre_hooks, hook)

    def register_step_post_hook(self, hook) -> RemovableHandle:
        """hook(optimizer, args, kwargs), after each step()."""
        return add_hook(self._optimizer_step_post_hooks, hook)

    def register_state_dict_pre_hook(self, hook, prepend: bool = False) -> RemovableHandle:
        """hook(optimizer), before state_dict() builds its result."""
        return add_hook(self._optimizer_state_dict_pre_hooks, hook, prepend=prepend)

    def register_state_dict_post_hook(self, hook, prepend: bool = False) -> RemovableHandle:
        """hook(optimizer, state_dict) -> state_dict or None, on state_dict()'s result."""
        return add_hook(self._optimizer_state_dict_post_hooks, hook, prepend=prepend)

    def register_load_state_dict_pre_hook(self, hook, prepend: bool = False) -> RemovableHandle:
        """hook(optimizer, state_dict) -> state_dict or None, on a shallow copy of what is being loaded."""
        return add_hook(self._optimizer_load_state_dict_pre_hooks, hook, prepend=prepend)

    def register_load_state_dict_post_hook(self, hook, prepend: bool = False) -> RemovableHandle:
        """hook(optimizer), after load_state_dict() has loaded."""
        return add_hook(self._optimizer_load_state_dict_post_hooks, hook, prepend=prepend)

    # -- checkpoints -------------------------------------------------------------------------------
    def state_dict(self) -> dict:
        """{'state': {id: per-param state}, 'param_groups': [group with 'params': [ids]]}.

        Parameters are replaced by integer ids, numbered in order of first
        appearance across the groups. The per-parameter state dicts are the
        optimizer's own (not copies), as in torch.
        """
        for hook in self._optimizer_state_dict_pre_hooks.values():
            hook(self)
        ids: dict = {}
        groups = []
        start = 0
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            # torch's numbering, duplicates included: a param repeated in its group takes its last position
            ids.update({id(p): i for i, p in enumerate(group["params"], start) if id(p) not in ids})
            packed["params"] = [ids[id(p)] for p in group["params"]]
            start += len(packed["params"])
            groups.append(packed)
        state = {(ids[id(k)] if isinstance(k, Tensor) else k): v for k, v in self.state.items()}
        state_dict = {"state": state, "param_groups": groups}
        for hook in self._optimizer_state_dict_post_hooks.values():
            result = hook(self, state_dict)
            if result is not None:
                state_dict = result
        return state_dict

    def load_state_dict(self, state_dict: dict) -> None:
        """Load a state_dict (numtorch's or torch's, tensors converted) into this optimizer.

        The groups must match this optimizer's in number and size, else a
        ValueError leaves the optimizer unchanged. Floating state is cast to
        its parameter's dtype (`step` is kept as saved unless the group is
        fused or capturable); loaded tensors are copies, never the source's.
        """
        state_dict = state_dict.copy()
        for hook in self._optimizer_load_state_dict_pre_hooks.values():
            result = hook(self, state_dict)
            if result is not None:
                state_dict = result
        groups = self.param_groups
        saved_groups = deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match the size of "
                             "optimizer's group")
        id_map = dict(zip(chain.from_iterable(s["params"] for s in saved_groups),
                          chain.from_iterable(g["params"] for g in groups)))
        state: defaultdict = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                param = id_map[k]
                state[param] = _cast_state(param, v, k, state_dict["param_groups"])
            else:
                state[k] = v
        for group, saved in zip(groups, saved_groups):
            saved["params"] = group["params"]
            if "param_names" in group and "param_names" not in saved:
                saved["param_names"] = group["param_names"]
        self.__setstate__({"state": state, "param_groups": saved_groups})
        for hook in self._optimizer_load_state_dict_post_hooks.values():
            hook(self)

    @staticmethod
    def _process_value_according_to_param_policy(param, value, param_id, param_groups, key=None):
        """A copy of one loaded state tensor, in the dtype torch's checkpoint policy gives it."""
        group = next((g for g in param_groups if param_id in g["params"]), {})
        if key == "step":
            dtype = _dtype.float32 if group.get("capturable", False) or group.get("fused", False) else value.dtype
        else:
            dtype = param.dtype if param.is_floating_point() else value.dtype
        out = value.to(dtype)
        return out.clone() if out is value else out


Optimizer.step = _with_step_hooks(Optimizer.step)


def _cast_state(param, value, param_id, param_groups, key=None):
    """Deep-copy loaded per-parameter state, casting its tensors by the parameter's policy."""
    if isinstance(value, Tensor):
        return Optimizer._process_value_according_to_param_policy(param, value, param_id, param_groups, key)
    if isinstance(value, dict):
        return {k: _cast_state(param, v, param_id, param_groups, k) for k, v in value.items()}
    if isinstance(value, Iterable) and not isinstance(value, (str, bytes)):
        return type(value)(_cast_state(param, v, param_id, param_groups) for v in value)
    return value
