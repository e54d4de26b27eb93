"""Names for an optimizer's parameters: what the debug tools report them by."""
from __future__ import annotations

__all__ = ["param_names", "tensor_arrays"]


def param_names(optimizer, names=None) -> dict:
    """{id(param): name} for every param of `optimizer`.

    Names come from `names` when given (a module, whose named_parameters are
    used, an iterable of (name, param) pairs, or a dict name -> param or
    param -> name), then from the groups' 'param_names' (an optimizer given
    named parameters keeps them there, as torch 2.13 does), else
    "group{i}.{j}" by position.
    """
    given = {id(p): n for n, p in _pairs(names)} if names is not None else {}
    out = {}
    for i, group in enumerate(optimizer.param_groups):
        group_names = group.get("param_names")
        for j, p in enumerate(group["params"]):
            out[id(p)] = given.get(id(p)) or (group_names[j] if group_names else f"group{i}.{j}")
    return out


def _pairs(names):
    if hasattr(names, "named_parameters"):
        return list(names.named_parameters())
    if isinstance(names, dict):
        return [(k, v) if isinstance(k, str) else (v, k) for k, v in names.items()]
    return list(names)


def tensor_arrays(value, path: str = ""):
    """(path, tensor) for every tensor in a state value: a tensor, or lists/tuples/dicts of them."""
    from ..._tensor import Tensor
    if isinstance(value, Tensor):
        yield path, value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from tensor_arrays(v, f"{path}.{k}" if path else str(k))
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            yield from tensor_arrays(v, f"{path}[{i}]")
