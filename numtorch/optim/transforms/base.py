"""The gradient-transformation protocol: init(params) -> state, update(updates, state, params) -> (updates, state).

Why this shape (optax's, on numtorch tensors): an optimizer written as a chain
of small transformations with its state out in the open can be inspected,
saved, and recombined; the same pieces then run standalone or inside
`optim.from_transform`, which turns any chain into a torch `Optimizer`.

Conventions every transformation here follows, and a custom one should too:

- params and updates are *trees*: a list (or tuple) of Tensors, or a dict of
  them keyed by name. An update entry may be None: "leave this parameter
  alone", exactly like a None `.grad` in torch. None passes through every
  transformation untouched, creates no state, and is also how `masked` and
  `partition` hide the parameters a sub-transformation must not see.
- state is plain data: dicts, lists, Tensors, Python numbers. It goes
  through `numtorch.save` / `load` as is, and it is the object to read or
  change at run time (``state['hyperparams']['b1'] = 0.8``).
- per-parameter state lives under the key ``'per_param'`` of a
  transformation's state dict, as a tree aligned with the params whose entries
  are dicts (that parameter's state) or None (none yet: it is created the
  first time the parameter gets an update, as torch creates state lazily).
  That key is how `from_transform` finds the state it files per parameter in
  `optimizer.state[p]`; everything else is global state. from_transform calls
  init with every parameter None, so init must accept None entries (and
  global state must not depend on the params).
- an update function never modifies its incoming updates in place (they may be
  the params' `.grad`); it may update its own state tensors in place.
- `groups`: from_transform passes, aligned with the params, each parameter's
  param-group dict. A transformation that reads a hyperparameter from there
  (``'lr'``, ``'betas'``, ``'momentum'``, ``'weight_decay'``) declares it, with
  its own value, in `defaults`; that is how torch's lr schedulers and
  per-group options drive a chain.
"""
from __future__ import annotations

import inspect

from ..._tensor import Tensor
from ...autograd.grad_mode import no_grad

__all__ = ["GradientTransformation", "chain", "identity", "per_param", "stateless", "apply_updates",
           "tree_map", "PER_PARAM"]

PER_PARAM = "per_param"


class _Conflict:
    """The default of a group key that two transformations of one chain declare with different values."""

    def __repr__(self) -> str:
        return "<conflicting defaults>"


CONFLICT = _Conflict()


class GradientTransformation:
    """A named (init, update) pair, plus the param-group hyperparameters its update reads.

    Args:
        init: init(params) -> state.
        update: update(updates, state, params=None, *, groups=None) -> (updates, state).
            An optax-style update(updates, state, params) without `groups` is accepted too.
        name: names this transformation's state inside a chain.
        defaults: {group key: value} the update reads from `groups` when given.
    """

    __slots__ = ("init", "update", "name", "defaults")

    def __init__(self, init, update, name: str = "transform", defaults: dict | None = None) -> None:
        self.init = init
        self.update = _accepting_groups(update)
        self.name = name
        self.defaults = dict(defaults or {})

    def __iter__(self):
        """Unpacks as ``init, update = transformation`` (optax's tuple)."""
        return iter((self.init, self.update))

    def __repr__(self) -> str:
        return f"GradientTransformation({self.name})"

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self  # immutable: closures over constants


def as_transform(obj) -> GradientTransformation:
    """A GradientTransformation from one, or from an optax-style (init, update) pair."""
    if isinstance(obj, GradientTransformation):
        return obj
    if isinstance(obj, tuple) and len(obj) == 2 and all(map(callable, obj)):
        return GradientTransformation(*obj)
    raise TypeError(f"expected a GradientTransformation or an (init, update) pair, but got {type(obj).__name__}")


def _accepting_groups(update):
    """`update` if it takes `groups` (or **kwargs); else a wrapper that drops it."""
    try:
        params = inspect.signature(update).parameters.values()
    except (TypeError, ValueError):
        return update
    if any(p.kind is p.VAR_KEYWORD or p.name == "groups" for p in params):
        return update

    def update_without_groups(updates, state, params=None, *, groups=None):
        return update(updates, state, params)
    return update_without_groups


def merge_defaults(transforms) -> dict:
    """The group keys a set of transformations read; a key declared with two different values maps to CONFLICT."""
    merged: dict = {}
    for t in transforms:
        for key, value in t.defaults.items():
            if key in merged and not _same(merged[key], value):
                merged[key] = CONFLICT
            else:
                merged.setdefault(key, value)
    return merged


def _same(a, b) -> bool:
    if a is b:
        return True
    try:
        return bool(a == b)
    except (TypeError, RuntimeError):
        return False


# -- trees ----------------------------------------------------------------------------------

def tree_keys(tree):
    """The positions of a tree: its names (dict) or indices (list, tuple)."""
    return tree.keys() if isinstance(tree, dict) else range(len(tree))


def as_tree(params):
    """A list or dict of params; any other iterable (e.g. model.parameters()) becomes a list."""
    if isinstance(params, Tensor):
        raise TypeError("expected a list or dict of Tensors, but got a single Tensor")
    return params if isinstance(params, (list, tuple, dict)) else list(params)


def tree_map(fn, tree, *rest):
    """fn(x, *matching entries of rest) on every non-None entry of `tree`; None stays None.

    A `rest` tree given as None passes None for each of its entries.
    """
    def entry(t, k):
        return None if t is None else t[k]
    if isinstance(tree, dict):
        return {k: None if x is None else fn(x, *(entry(r, k) for r in rest)) for k, x in tree.items()}
    return [None if x is None else fn(x, *(entry(r, i) for r in rest)) for i, x in enumerate(tree)]


def mutable_copy(tree):
    """A shallow copy of a tree that can be assigned into (a tuple becomes a list)."""
    return dict(tree) if isinstance(tree, dict) else list(tree)


def none_like(tree):
    """A tree of Nones: no update for any parameter."""
    return dict.fromkeys(tree, None) if isinstance(tree, dict) else [None] * len(tree)


def hide(tree, selected):
    """`tree` with the entries not selected (selected[k] falsy or None) replaced by None."""
    if tree is None:
        return None
    out = mutable_copy(tree)
    for k in tree_keys(tree):
        if not selected[k]:
            out[k] = None
    return out


def map_updates(fn, updates, params, groups):
    """fn(key, update, param, group) for each non-None update; the results form the new updates."""
    out = mutable_copy(updates)
    for k in tree_keys(updates):
        u = updates[k]
        if u is not None:
            out[k] = fn(k, u, None if params is None else params[k], None if groups is None else groups[k])
    return out


def group_value(group, key: str, own):
    """The hyperparameter `key` from a param group when the group has it, else the transformation's own."""
    if group is None:
        return own
    return group.get(key, own)


# -- masks and labels ---------------------------------------------------------------------------

def by_position(fn):
    """Call a user predicate as fn(name, param) or, when it takes one argument, as fn(param)."""
    try:
        required = [p for p in inspect.signature(fn).parameters.values()
                    if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        return fn
    if len(required) == 1:
        return lambda name, param: fn(param)
    return fn


def resolve(spec, updates, params, what: str):
    """Per-entry values (mask booleans, partition labels) for the non-None entries of `updates`.

    `spec` is a callable fn(name, param) (or fn(param)) called on each entry
    (name: the dict key, or the list index; param: the param, or the update
    when no params are given), a list with one value per entry, or a dict by
    name.
    """
    if callable(spec):
        fn = by_position(spec)
        source = updates if params is None else params
        return tree_map(lambda u, k: fn(k, source[k]), updates, _keys_tree(updates))
    if isinstance(spec, dict):
        missing = [k for k in tree_keys(updates) if updates[k] is not None and k not in spec]
        if missing:
            raise ValueError(f"{what} has no entry for parameter(s) {missing}")
        return spec
    if isinstance(updates, dict):
        raise TypeError(f"{what} must be a dict or a callable when the parameters are a dict")
    if len(spec) != len(updates):
        raise ValueError(f"{what} has {len(spec)} entries but there are {len(updates)} parameters")
    return spec


def _keys_tree(tree):
    return {k: k for k in tree} if isinstance(tree, dict) else list(range(len(tree)))


# -- building blocks of building blocks -----------------------------------------------------------

def stateless(fn, *, name: str, defaults: dict | None = None) -> GradientTransformation:
    """A transformation without state: fn(update, param, group) -> new update, for each parameter."""
    def init(params):
        return {}

    def update(updates, state, params=None, *, groups=None):
        return map_updates(lambda k, u, p, g: fn(u, p, g), updates, params, groups), state
    return GradientTransformation(init, update, name, defaults)


def per_param(init_param, update_param, *, name: str, defaults: dict | None = None) -> GradientTransformation:
    """A transformation whose state is one dict per parameter.

    init_param(like) -> that parameter's state dict (`like`: the param, or its
    update when no params are given). update_param(update, state, param, group)
    -> new update; it may change `state` in place. State is created at init for
    every param given, and lazily for a param whose first update arrives later.
    """
    def init(params):
        return {PER_PARAM: tree_map(init_param, as_tree(params))}

    def update(updates, state, params=None, *, groups=None):
        states = state[PER_PARAM]

        def one(k, u, p, g):
            s = states[k]
            if s is None:
                s = states[k] = init_param(u if p is None else p)
            return update_param(u, s, p, g)
        return map_updates(one, updates, params, groups), state
    return GradientTransformation(init, update, name, defaults)


def identity() -> GradientTransformation:
    """Leaves the updates as they are."""
    return stateless(lambda u, p, g: u, name="identity")


def chain(*transforms) -> GradientTransformation:
    """Apply transformations one after another; the state is a dict of their states, keyed by name.

    Two members with the same name are told apart by a suffix (trace, trace_1).
    """
    transforms = [as_transform(t) for t in transforms]
    names = _unique_names([t.name for t in transforms])
    members = list(zip(names, transforms))

    def init(params):
        params = as_tree(params)
        return {n: t.init(params) for n, t in members}

    def update(updates, state, params=None, *, groups=None):
        new_state = {}
        for n, t in members:
            updates, new_state[n] = t.update(updates, state[n], params, groups=groups)
        return updates, new_state
    return GradientTransformation(init, update, "chain", merge_defaults(transforms))


def _unique_names(names) -> list:
    out: list = []
    for n in names:
        candidate, i = n, 0
        while candidate in out:
            i += 1
            candidate = f"{n}_{i}"
        out.append(candidate)
    return out


def apply_updates(params, updates) -> None:
    """p += update, in place and without recording a graph, for each param whose update is not None."""
    with no_grad():
        for k in tree_keys(updates):
            u = updates[k]
            if u is not None:
                params[k].add_(u)
