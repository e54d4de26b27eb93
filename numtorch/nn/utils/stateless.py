"""torch.nn.utils.stateless.functional_call (and torch.func.functional_call): run a module with some
of its parameters and buffers replaced for the duration of one call."""
from __future__ import annotations

import contextlib
import warnings

__all__ = ["functional_call"]


def _untie(module, values: dict) -> dict:
    """values extended to every name of a tied tensor that is given under one of its names."""
    names_of = {}
    for name, t in [*module.named_parameters(remove_duplicate=False), *module.named_buffers(remove_duplicate=False)]:
        names_of.setdefault(id(t), set()).add(name)
    out = dict(values)
    for tied in (s for s in names_of.values() if len(s) > 1):
        given = tied & values.keys()
        if len({id(values[n]) for n in given}) > 1:
            raise ValueError(f"functional_call got multiple values for keys {sorted(tied)}, which are tied. Consider "
                             f"using tie_weights=False")
        if given:
            out.update(dict.fromkeys(tied, values[next(iter(given))]))
    return out


_MISSING = object()


def _owner(module, name: str):
    *path, leaf = name.split(".")
    for p in path:
        module = getattr(module, p)
    return module, leaf


def _swap(module, name: str, value):
    """Put `value` at dotted `name`; return what was there (None when nothing was)."""
    owner, leaf = _owner(module, name)
    for store in (owner._parameters, owner._buffers):
        if leaf in store:
            old, store[leaf] = store[leaf], value
            return old
    old = owner.__dict__.get(leaf, _MISSING)
    if value is _MISSING:
        owner.__dict__.pop(leaf, None)
    else:
        object.__setattr__(owner, leaf, value)
    return old



def _check_strict(module, values: dict) -> None:
    known = {n for n, _ in (*module.named_parameters(remove_duplicate=False),
                            *module.named_buffers(remove_duplicate=False))}
    msgs = []
    unexpected = sorted(values.keys() - known)
    missing = sorted(known - values.keys())
    if unexpected:
        msgs.append(f"Unexpected key(s): {', '.join(map(repr, unexpected))}.")
    if missing:
        msgs.append(f"Missing key(s): {', '.join(map(repr, missing))}.")
    if msgs:
        raise RuntimeError("Error(s) in reparametrizing for {}:\n\t{}".format(module._get_name(), "\n\t".join(msgs)))


@contextlib.contextmanager
def _reparametrize_module(module, values: dict, tie_weights: bool = False, strict: bool = False):
    values = _untie(module, values) if tie_weights else values
    if strict:
        _check_strict(module, values)
    saved = {}
    try:
        for name, value in values.items():
            saved[name] = _swap(module, name, value)
        yield
    finally:
        for name, old in reversed(list(saved.items())):
            _swap(module, name, old)


def _functional_call(module, parameters_and_buffers: dict, args=None, kwargs=None, *, tie_weights: bool = True,
                     strict: bool = False):
    kwargs = {} if kwargs is None else kwargs
    args = () if args is None else args if isinstance(args, tuple) else (args,)
    with _reparametrize_module(module, parameters_and_buffers, tie_weights=tie_weights, strict=strict):
        return module(*args, **kwargs)


def functional_call(module, parameters_and_buffers: dict, args=None, kwargs=None, *, tie_weights: bool = True,
                    strict: bool = False):
    warnings.warn("`torch.nn.utils.stateless.functional_call` is deprecated as of PyTorch 2.0 and will be removed "
                  "in a future version of PyTorch. Please use `torch.func.functional_call` instead which is a "
                  "drop-in replacement.", FutureWarning, stacklevel=2)
    return _functional_call(module, parameters_and_buffers, args, kwargs, tie_weights=tie_weights, strict=strict)


def func_functional_call(module, parameter_and_buffer_dicts, args=None, kwargs=None, *, tie_weights: bool = True,
                         strict: bool = False):
    """torch.func.functional_call: also accepts a sequence of dicts with disjoint keys."""
    if isinstance(parameter_and_buffer_dicts, dict):
        merged = parameter_and_buffer_dicts
    elif isinstance(parameter_and_buffer_dicts, (list, tuple)):
        seen, repeated = set(), set()
        for d in parameter_and_buffer_dicts:
            repeated |= seen & d.keys()
            seen |= d.keys()
        if repeated:
            raise ValueError(f"{repeated} appeared in multiple dictionaries; behavior of functional call is "
                             f"ambiguous")
        merged = {k: v for d in parameter_and_buffer_dicts for k, v in d.items()}
    else:
        raise ValueError(f"Expected parameter_and_buffer_dicts to be a dict, or a list/tuple of dicts, but got "
                         f"{type(parameter_and_buffer_dicts)}")
    return _functional_call(module, merged, args, kwargs, tie_weights=tie_weights, strict=strict)

