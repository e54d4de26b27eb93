"""Every optimizer by name, and `create_optimizer`: the usual decay / no-decay split in one call.

Names are case-insensitive and ignore '_' and '-' ('AdamW', 'adamw',
'schedule_free_adamw' all work). A name 'lookahead_<name>' wraps <name> in
Lookahead; 'sam' and 'lookahead' take the optimizer they wrap as
`base_optimizer=` (a name or a class).
"""
from __future__ import annotations

import inspect
from collections.abc import Mapping

from ..._tensor import Tensor
from .. import (ASGD, LBFGS, SGD, Adadelta, Adafactor, Adagrad, Adam, Adamax, AdamW, Muon, NAdam, RAdam, RMSprop,
                Rprop, SparseAdam)
from ..optimizer import Optimizer
from .adabelief import AdaBelief
from .adan import Adan
from .ademamix import AdEMAMix
from .adopt import ADOPT
from .lamb import Lamb
from .lars import LARS
from .lion import Lion
from .lookahead import Lookahead
from .prodigy import Prodigy
from .sam import SAM
from .schedulefree import ScheduleFreeAdamW, ScheduleFreeSGD
from .soap import SOAP
from .sophia import SophiaH

__all__ = ["create_optimizer", "get_optimizer", "list_optimizers", "register_optimizer"]

_REGISTRY: dict = {}


def _key(name: str) -> str:
    return name.lower().replace("_", "").replace("-", "")


def register_optimizer(cls: type, name: str | None = None) -> type:
    """Make `cls` available to `get_optimizer` / `create_optimizer` under `name` (default: its class name)."""
    if not (isinstance(cls, type) and issubclass(cls, Optimizer)):
        raise TypeError(f"register_optimizer expects an Optimizer subclass, but got {cls!r}")
    _REGISTRY[_key(name or cls.__name__)] = cls
    return cls


for _cls in (ASGD, Adadelta, Adafactor, Adagrad, Adam, Adamax, AdamW, LBFGS, Muon, NAdam, RAdam, RMSprop, Rprop, SGD,
             SparseAdam, AdaBelief, Adan, AdEMAMix, ADOPT, Lamb, LARS, Lion, Lookahead, Prodigy, SAM,
             ScheduleFreeAdamW, ScheduleFreeSGD, SOAP, SophiaH):
    register_optimizer(_cls)


def list_optimizers() -> list:
    """The registered names, sorted."""
    return sorted(_REGISTRY)


def get_optimizer(name) -> type:
    """The optimizer class registered under `name` (an Optimizer class is returned as is)."""
    if isinstance(name, type) and issubclass(name, Optimizer):
        return name
    try:
        return _REGISTRY[_key(name)]
    except KeyError:
        raise KeyError(f"unknown optimizer {name!r}; available: {', '.join(list_optimizers())}") from None


def create_optimizer(model_or_named_params, name, lr, weight_decay=0.0, no_decay=("bias", "norm"), *,
                     exclude_1d=True, **kwargs) -> Optimizer:
    """Build optimizer `name` with weight decay on the weights that should decay and not on the rest.

    `model_or_named_params`: a Module (its trainable parameters), a dict
    name -> Tensor, or (name, Tensor) pairs; the names reach the optimizer's
    groups (`param_names`). With `weight_decay` != 0 there are two groups: one
    with `weight_decay`, and one with 0 for the params whose name contains one
    of the `no_decay` substrings (case-insensitive) or, with `exclude_1d`
    (the default, as in timm and most training recipes), that have at most
    one dimension: biases and normalization scales, however they are named.
    With `weight_decay` == 0 there is one group. Other keyword arguments go to
    the optimizer. An optimizer without a weight_decay option refuses a
    nonzero one rather than ignoring it.
    """
    named = _named_params(model_or_named_params)
    key = _key(name) if isinstance(name, str) else None
    if key and key.startswith("lookahead") and key != "lookahead":
        kwargs["base_optimizer"], name = key[len("lookahead"):], "lookahead"
    cls = get_optimizer(name)
    if cls is Lookahead:
        wrapper_options = {k: kwargs.pop(k) for k in ("k", "alpha") if k in kwargs}
        base = create_optimizer(named, _base(kwargs, "lookahead"), lr, weight_decay, no_decay, exclude_1d=exclude_1d,
                                **kwargs)
        return Lookahead(base, **wrapper_options)
    args, decays = (), cls
    if cls is SAM:
        decays = get_optimizer(_base(kwargs, "sam"))
        args = (decays,)
    if "weight_decay" in inspect.signature(decays).parameters:
        kwargs["weight_decay"] = weight_decay
    elif weight_decay != 0:
        raise ValueError(f"{decays.__name__} has no weight_decay option; create it with weight_decay=0.0")
    return cls(_decay_groups(named, weight_decay, no_decay, exclude_1d), *args, lr=lr, **kwargs)


def _base(kwargs: dict, wrapper: str):
    if "base_optimizer" not in kwargs:
        raise TypeError(f"create_optimizer(..., '{wrapper}', ...) needs base_optimizer= (a name or an Optimizer "
                        f"class): the optimizer it wraps")
    return kwargs.pop("base_optimizer")


def _named_params(source) -> list:
    if hasattr(source, "named_parameters"):
        return [(n, p) for n, p in source.named_parameters() if p.requires_grad]
    pairs = list(source.items() if isinstance(source, Mapping) else source)
    if not all(isinstance(pair, tuple) and len(pair) == 2 and isinstance(pair[0], str)
               and isinstance(pair[1], Tensor) for pair in pairs):
        raise TypeError("create_optimizer needs named parameters: a Module, a dict name -> Tensor, or (name, Tensor) "
                        "pairs")
    if not pairs:
        raise ValueError("optimizer got an empty parameter list")
    return pairs


def _decay_groups(named: list, weight_decay, no_decay, exclude_1d: bool) -> list:
    if weight_decay == 0:
        return [{"params": named}]
    skip = tuple(s.lower() for s in no_decay)
    decayed, plain = [], []
    for n, p in named:
        (plain if (exclude_1d and p.dim() <= 1) or any(s in n.lower() for s in skip) else decayed).append((n, p))
    groups = [{"params": decayed, "weight_decay": weight_decay}, {"params": plain, "weight_decay": 0.0}]
    return [group for group in groups if group["params"]]
