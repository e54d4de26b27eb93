"""state_memory: how many bytes an optimizer's state takes, per parameter, per state key and per dtype."""
from __future__ import annotations

from dataclasses import dataclass, field

from ._names import param_names, tensor_arrays

__all__ = ["state_memory", "StateMemory", "ParamStateMemory"]


@dataclass
class ParamStateMemory:
    """One parameter's state: bytes per state key, and the parameter's own bytes for scale."""

    name: str
    shape: tuple
    dtype: str
    param_bytes: int
    by_key: dict = field(default_factory=dict)

    @property
    def state_bytes(self) -> int:
        return sum(self.by_key.values())


@dataclass
class StateMemory:
    """state_memory's result; `print()` it for a table."""

    params: list
    by_dtype: dict
    untracked: list  # (param name, key) of state that is not a tensor (Python numbers): not counted

    @property
    def total(self) -> int:
        return sum(self.by_dtype.values())

    @property
    def param_total(self) -> int:
        return sum(p.param_bytes for p in self.params)

    def __getitem__(self, name: str) -> ParamStateMemory:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)

    def __str__(self) -> str:
        width = max([len("param")] + [len(p.name) for p in self.params])
        ratio = f" ({self.total / self.param_total:.2f}x the params' {_human(self.param_total)})" \
            if self.param_total else ""
        lines = [f"optimizer state: {_human(self.total)}{ratio}",
                 f"  {'param':<{width}}  {'shape':<14}  {'dtype':<15}  {'state':>10}  per key"]
        for p in self.params:
            keys = ", ".join(f"{k}={_human(b)}" for k, b in p.by_key.items())
            lines.append(f"  {p.name:<{width}}  {str(list(p.shape)):<14}  {p.dtype:<15}  "
                         f"{_human(p.state_bytes):>10}  {keys}".rstrip())
        lines.append("  by dtype: " + (", ".join(f"{d}={_human(b)}" for d, b in self.by_dtype.items()) or "none"))
        if self.untracked:
            lines.append(f"  not counted (not tensors): {', '.join(f'{n}:{k}' for n, k in self.untracked[:6])}"
                         f"{' ...' if len(self.untracked) > 6 else ''}")
        return "\n".join(lines)


def _human(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n} B" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"


def _nbytes(t) -> int:
    if t.is_sparse:
        return t._indices().nbytes + t._values().nbytes
    return t.numel() * t.element_size()


def state_memory(optimizer, names=None) -> StateMemory:
    """The bytes of every tensor in `optimizer.state`, by parameter (by name), state key and dtype.

    A tensor held under two keys is counted once. `names`: as for
    OptimizerMonitor (default: the optimizer's param_names, else positions).
    """
    ids = param_names(optimizer, names)
    params = {id(p): p for g in optimizer.param_groups for p in g["params"]}
    seen: set = set()
    rows, by_dtype, untracked = [], {}, []
    for key, state in optimizer.state.items():
        p = params.get(id(key))
        name = ids[id(key)] if p is not None else f"state[{key!r}]"
        row = ParamStateMemory(name, tuple(p.shape) if p is not None else (), str(p.dtype) if p is not None else "",
                               _nbytes(p) if p is not None else 0)
        for path, t in tensor_arrays(state):
            if id(t) in seen:
                continue
            seen.add(id(t))
            n = _nbytes(t)
            row.by_key[path] = row.by_key.get(path, 0) + n
            by_dtype[str(t.dtype)] = by_dtype.get(str(t.dtype), 0) + n
        untracked += [(name, k) for k, v in (state.items() if isinstance(state, dict) else ())
                      if not any(True for _ in tensor_arrays(v))]
        rows.append(row)
    return StateMemory(rows, by_dtype, untracked)
