"""from_transform: any chain of gradient transformations as a torch.optim.Optimizer.

The optimizer feeds the chain every parameter's gradient at each step (None
for a parameter without one, which is then skipped and gets no state, as in
torch), with the parameters and their param groups, and adds the resulting
updates to the parameters in place. It keeps the chain's state where torch
users look for it:

- per-parameter state (what a transformation keeps under 'per_param') in
  ``optimizer.state[p]``, created lazily. Its keys are the transformation's own
  (``step``, ``exp_avg``, ...) when the chain has a single stateful member (so
  ``adam()``'s state_dict is torch.optim.Adam's), else prefixed with the
  member's path in the chain (``scale_by_rms.square_avg``, ``trace.momentum_buffer``).
- global state (counts, injected hyperparameters) under the state_dict's extra
  key 'transform_state'.
- hyperparameters the chain reads from param groups ('lr', 'betas',
  'momentum', 'weight_decay': each transformation's `defaults`) in
  ``param_groups``, where lr schedulers and per-group options change them.
  A keyword argument sets one for every transformation that reads it, and
  ``maximize`` (negate the gradients) is a group option as in torch.
"""
from __future__ import annotations

from copy import deepcopy

from ...autograd.grad_mode import no_grad
from .._functional import check_lr, closure_loss, fill_group_defaults
from ..optimizer import Optimizer
from .base import CONFLICT, PER_PARAM, as_transform, tree_keys

__all__ = ["TransformOptimizer", "from_transform"]

STATE_KEY = "transform_state"


def from_transform(params, transform, **hyperparams) -> TransformOptimizer:
    """An Optimizer that steps `params` with `transform`, e.g. from_transform(model.parameters(), adam(lr=1e-3)).

    hyperparams: defaults of the param groups, overriding the chain's own
    (lr=..., weight_decay=..., maximize=True).
    """
    return TransformOptimizer(params, transform, **hyperparams)


class TransformOptimizer(Optimizer):
    """The Optimizer that from_transform builds (see the module's notes)."""

    def __init__(self, params, transform, **hyperparams) -> None:
        self._transform = as_transform(transform)
        self._transform_state = None  # global state, per-param parts out; None until the first step
        self._locations = None  # [(path to a 'per_param' holder, its key prefix)], from the first state seen
        super().__init__(params, _group_defaults(self._transform, hyperparams))

    def __getstate__(self) -> dict:
        return {**super().__getstate__(), "_transform": self._transform, "_transform_state": self._transform_state,
                "_locations": self._locations}

    def __setstate__(self, state: dict) -> None:
        super().__setstate__(state)
        fill_group_defaults(self.param_groups, {"maximize": False})

    def __repr__(self) -> str:
        return super().__repr__().replace(type(self).__name__, f"{type(self).__name__}[{self._transform.name}]", 1)

    # -- stepping ------------------------------------------------------------------------------
    def step(self, closure=None):
        """One step of the chain over every param with a grad; returns closure's loss (or None)."""
        loss = closure_loss(closure)
        with no_grad():
            params, grads, groups = self._trees()
            state = self._assemble(params)
            updates, state = self._transform.update(grads, state, params, groups=groups)
            self._file(params, state)
            for k in tree_keys(updates):
                u = updates[k]
                if u is not None:
                    params[k].add_(u)
        return loss

    def _trees(self):
        """params, gradients (negated where maximize) and groups, as lists, or dicts when params are named."""
        params, grads, groups = [], [], []
        for group in self.param_groups:
            for p in group["params"]:
                grad = p.grad
                if grad is not None:
                    if grad.is_sparse:
                        raise RuntimeError("from_transform does not support sparse gradients")
                    if group["maximize"]:
                        grad = -grad
                params.append(p)
                grads.append(grad)
                groups.append(group)
        if "param_names" not in self.param_groups[0]:
            return params, grads, groups
        names = [n for group in self.param_groups for n in group["param_names"]]
        if len(set(names)) != len(names):
            raise ValueError("from_transform needs distinct parameter names, since its transformations select "
                             "parameters by name")
        return dict(zip(names, params)), dict(zip(names, grads)), dict(zip(names, groups))

    def _none_tree(self):
        """A params tree (list, or dict by name) with every entry None."""
        if "param_names" in self.param_groups[0]:
            return dict.fromkeys(n for group in self.param_groups for n in group["param_names"])
        return [None] * sum(len(group["params"]) for group in self.param_groups)

    # -- where the chain's state lives -------------------------------------------------------------
    def _assemble(self, params):
        """The chain's state: global part kept here, per-parameter parts gathered from self.state.

        The first step initializes the chain with every param None: per-parameter
        state is then created by the transformations' update, only for the params
        an update reaches (torch's lazy state).
        """
        if self._transform_state is None:
            self._transform_state = self._transform.init(self._none_tree())
        state = self._transform_state
        if self._locations is None:
            self._locations = _locations(state)
        for path, prefix in self._locations:
            _at(state, path)[PER_PARAM] = _like(params, {k: self._stored(params[k], prefix) for k in tree_keys(params)})
        return state

    def _stored(self, p, prefix: str):
        state = self.state.get(p)
        if not state:
            return None
        if len(self._locations) == 1:
            return state
        n = len(prefix)
        own = {k[n:]: v for k, v in state.items() if k.startswith(prefix) and "." not in k[n:]}
        return own or None

    def _file(self, params, state) -> None:
        """Move the per-parameter parts of `state` into self.state; keep the rest."""
        single = len(self._locations) == 1
        for path, prefix in self._locations:
            holder = _at(state, path)
            per_param, holder[PER_PARAM] = holder[PER_PARAM], None
            for k in tree_keys(per_param):
                entry = per_param[k]
                if not entry:
                    continue
                current = self.state.get(params[k])
                if single and current is None:
                    self.state[params[k]] = entry
                elif current is not entry:
                    self.state[params[k]].update(entry if single else {prefix + key: v for key, v in entry.items()})
        self._transform_state = state

    # -- checkpoints -----------------------------------------------------------------------------------
    def state_dict(self) -> dict:
        """torch's state_dict, plus the chain's global state under 'transform_state' (a copy)."""
        state_dict = super().state_dict()
        state_dict[STATE_KEY] = deepcopy(self._transform_state)
        return state_dict

    def load_state_dict(self, state_dict: dict) -> None:
        """Load torch's format; without 'transform_state' (e.g. torch.optim.Adam's) the global state restarts."""
        loaded = state_dict.get(STATE_KEY)
        if loaded is not None:
            own = self._transform_state
            expected = _structure(self._transform.init(self._none_tree()) if own is None else own)
            if _structure(loaded) != expected:
                raise ValueError(f"the loaded transform_state does not have the structure of this optimizer's "
                                 f"{self._transform.name} state: {_structure(loaded)} != {expected}")
        super().load_state_dict(state_dict)
        self._transform_state = deepcopy(loaded)


def _group_defaults(transform, hyperparams: dict) -> dict:
    declared = transform.defaults
    unknown = sorted(set(hyperparams) - set(declared) - {"maximize"})
    if unknown:
        raise TypeError(f"from_transform() got {', '.join(unknown)}, which no transformation of "
                        f"{transform.name!r} reads from the param groups (it reads: "
                        f"{', '.join(sorted(declared)) or 'nothing'})")
    if "lr" in hyperparams:
        check_lr(hyperparams["lr"])
    defaults = {k: v(0) if callable(v) else v for k, v in declared.items() if v is not CONFLICT}  # a schedule
    defaults.update(hyperparams)
    defaults.setdefault("maximize", False)
    return defaults


def _locations(state) -> list:
    """(path, key prefix) of every dict in `state` holding per-parameter state."""
    paths = list(_paths(state, ()))
    return [(p, "" if len(paths) == 1 or not p else ".".join(p) + ".") for p in paths]


def _paths(state, path):
    if PER_PARAM in state:
        yield path
    for key, value in state.items():
        if key != PER_PARAM and isinstance(value, dict):
            yield from _paths(value, (*path, key))


def _at(state, path):
    for key in path:
        state = state[key]
    return state


def _like(tree, values: dict):
    return values if isinstance(tree, dict) else [values[i] for i in range(len(tree))]


def _structure(state):
    """The nesting of a state's dicts (keys only), to tell states of different chains apart.

    A 'per_param' entry counts as a leaf whatever it holds: between steps its
    contents live in optimizer.state (the saved entry is None), while a fresh
    chain's init holds a tree there, a dict keyed by name when the params are
    named, which must not make a checkpoint of the same chain look foreign.
    """
    if not isinstance(state, dict):
        return None
    return {k: None if k == PER_PARAM else _structure(v) for k, v in state.items()}
