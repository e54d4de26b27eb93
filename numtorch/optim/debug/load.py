"""load_state_dict_by_name: load an optimizer checkpoint by parameter name, with a report of what did not fit.

torch's load_state_dict pairs saved state with params by position, so a model
whose parameters were reordered, added or removed since the checkpoint
silently gets another parameter's moments (or fails on a shape much later).
When the checkpoint and the optimizer both know their parameters' names
(an optimizer given named parameters stores them as 'param_names' in its
groups and state_dict, as torch 2.13 does), this pairs them by name instead,
and says what is missing, unexpected or of the wrong shape before loading
anything.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..._tensor import Tensor
from ._names import param_names

__all__ = ["load_state_dict_by_name", "LoadReport"]


@dataclass
class LoadReport:
    """What load_state_dict_by_name matched.

    missing: params of the optimizer the state_dict has no entry for (they
    keep their current state); unexpected: state_dict entries for params the
    optimizer does not have; mismatched: (name, state key, saved shape, param
    shape) of state that cannot belong to the param of that name; regrouped:
    names now in another group than they were saved in (the group options
    come from the saved group of the group's first matched param).
    by: "name", or "position" when either side has no names.
    """

    by: str
    matched: list = field(default_factory=list)
    missing: list = field(default_factory=list)
    unexpected: list = field(default_factory=list)
    mismatched: list = field(default_factory=list)
    regrouped: list = field(default_factory=list)
    loaded: bool = False

    @property
    def ok(self) -> bool:
        return not (self.missing or self.unexpected or self.mismatched)

    def __str__(self) -> str:
        total = len(self.matched) + len(self.missing) + len({m[0] for m in self.mismatched})
        lines = [f"optimizer state_dict matched by {self.by}: {len(self.matched)} of {total} params"
                 f"{'' if self.loaded else ' (nothing loaded)'}"]
        if self.missing:
            lines.append(f"  missing (in the optimizer, not in the state_dict): {', '.join(self.missing)}")
        if self.unexpected:
            lines.append(f"  unexpected (in the state_dict, not in the optimizer): {', '.join(self.unexpected)}")
        for name, key, saved, shape in self.mismatched:
            lines.append(f"  shape mismatch: {name}: state '{key}' {list(saved)} vs param {list(shape)}")
        if self.regrouped:
            lines.append(f"  moved to another param group: {', '.join(self.regrouped)}")
        return "\n".join(lines)


def load_state_dict_by_name(optimizer, state_dict: dict, strict: bool = True, names=None) -> LoadReport:
    """Load `state_dict` into `optimizer`, pairing params by name; returns the LoadReport.

    strict: any missing, unexpected or shape-mismatched entry raises a
    RuntimeError carrying the report, and nothing is loaded. Otherwise what
    matches is loaded and everything else keeps its current state. Either way
    a failure leaves the optimizer unchanged (the final load is one call to
    its own load_state_dict). `names`: names for an optimizer built without
    them (a module, (name, param) pairs or a dict); without names on both
    sides, params are paired by position, still with the shape checks.
    """
    current = _current(optimizer, names)
    saved = _saved(state_dict)
    by = "name" if current is not None and saved is not None else "position"
    if by == "position":
        current = _current(optimizer, None, positional=True)
        saved = _saved(state_dict, positional=True)
    report = LoadReport(by)
    state = state_dict["state"]
    take = {}  # name -> saved id, for what will be loaded
    for name, (p, group_index) in current.items():
        if name not in saved:
            report.missing.append(name)
            continue
        saved_id, saved_group = saved[name]
        bad = _shape_problems(p, state.get(saved_id), optimizer.state.get(p))
        report.mismatched += [(name, key, shape, tuple(p.shape)) for key, shape in bad]
        if not bad:
            report.matched.append(name)
            take[name] = saved_id
    report.unexpected = [n for n in saved if n not in current]
    if strict and not report.ok:
        raise RuntimeError(f"load_state_dict_by_name (strict): {report}")
    optimizer.load_state_dict(_reordered(optimizer, state_dict, current, saved, take, report))
    report.loaded = True
    return report


def _current(optimizer, names, positional: bool = False):
    """{name: (param, group index)} of the optimizer, or None when it has no names."""
    named = names is not None or all("param_names" in g for g in optimizer.param_groups)
    if not (named or positional):
        return None
    ids = param_names(optimizer, names) if named and not positional else {}
    out = {}
    for i, group in enumerate(optimizer.param_groups):
        for j, p in enumerate(group["params"]):
            name = ids.get(id(p)) or f"#{len(out)}"
            if name in out:
                raise ValueError(f"parameter name '{name}' appears twice in the optimizer")
            out[name] = (p, i)
    return out


def _saved(state_dict: dict, positional: bool = False):
    """{name: (saved id, group index)} of the state_dict, or None when it has no names."""
    groups = state_dict["param_groups"]
    if not positional and not all("param_names" in g for g in groups):
        return None
    out = {}
    for i, group in enumerate(groups):
        group_names = [f"#{len(out) + j}" for j in range(len(group["params"]))] if positional \
            else group["param_names"]
        for name, saved_id in zip(group_names, group["params"]):
            if name in out:
                raise ValueError(f"parameter name '{name}' appears twice in the state_dict")
            out[name] = (saved_id, i)
    return out


def _shape_problems(p, saved_state, current_state) -> list:
    """(key, saved shape) of saved state tensors that cannot be `p`'s.

    Against the optimizer's own state for p when it has some (same key, same
    shape); otherwise a saved tensor with dims must not have more dims than p
    nor, with as many, a shape that does not broadcast to p's (optimizers keep
    full-shape moments, factored ones like Adafactor's broadcast, and flat
    ones like LBFGS's have fewer dims).
    """
    out = []
    for key, value in (saved_state or {}).items():
        if not isinstance(value, Tensor) or value.dim() == 0:
            continue
        shape, target = tuple(value.shape), tuple(p.shape)
        mine = (current_state or {}).get(key)
        if isinstance(mine, Tensor):
            bad = tuple(mine.shape) != shape
        else:
            bad = len(shape) > len(target) or (len(shape) == len(target) and
                                               any(s not in (t, 1) for s, t in zip(shape, target)))
        if bad:
            out.append((key, shape))
    return out


def _reordered(optimizer, state_dict: dict, current: dict, saved: dict, take: dict, report: LoadReport) -> dict:
    """A state_dict in the optimizer's own order holding the matched entries and, for the rest, the current state."""
    saved_groups = state_dict["param_groups"]
    position = {id(p): n for n, p in enumerate(p for g in optimizer.param_groups for p in g["params"])}
    name_of = {id(p): name for name, (p, _) in current.items()}
    groups, state = [], {}
    for i, group in enumerate(optimizer.param_groups):
        sources = [saved[name_of[id(p)]][1] for p in group["params"] if name_of[id(p)] in take]
        report.regrouped += [name_of[id(p)] for p in group["params"]
                             if name_of[id(p)] in take and saved[name_of[id(p)]][1] != sources[0]]
        options = saved_groups[sources[0]] if sources else group
        packed = {k: v for k, v in options.items() if k not in ("params", "param_names")}
        packed["params"] = [position[id(p)] for p in group["params"]]
        if "param_names" in group:
            packed["param_names"] = list(group["param_names"])
        groups.append(packed)
        for p in group["params"]:
            name = name_of[id(p)]
            entry = state_dict["state"].get(take[name]) if name in take else optimizer.state.get(p)
            if entry:
                state[position[id(p)]] = entry
    extra = {k: v for k, v in state_dict.items() if k not in ("state", "param_groups")}  # e.g. a chain's own state
    return {**extra, "state": state, "param_groups": groups}
