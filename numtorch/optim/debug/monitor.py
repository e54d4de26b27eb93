"""OptimizerMonitor: per-step, per-parameter statistics of any optimizer, and the first non-finite value.

It attaches through the optimizer's step pre- and post-hooks, so it works on
every Optimizer (built-in, contrib, from_transform, user-written) without
touching its code. Before a step it checks the gradients (so a NaN gradient
stops the run before it reaches the params) and copies the params; after the
step it measures the update and the state. The numbers are computed in NumPy
in float64, outside autograd.
"""
from __future__ import annotations

import math
import warnings

import numpy as np

from ._names import param_names, tensor_arrays

__all__ = ["OptimizerMonitor", "NonFiniteError"]

TRACKABLE = ("grad_norm", "update_norm", "ratio", "lr", "state_norm")


class NonFiniteError(FloatingPointError):
    """A gradient, update or state value became NaN or infinite.

    `kind` is "gradient", "update" or "state"; `param` the parameter's name;
    `step` the monitor's 1-based count of optimizer steps; `key` the state key
    (state only).
    """

    def __init__(self, kind: str, param: str, step: int, key: str | None = None):
        self.kind, self.param, self.step, self.key = kind, param, step, key
        where = f" (state key '{key}')" if key is not None else ""
        when = "before" if kind == "gradient" else "after"
        super().__init__(f"non-finite {kind} of parameter '{param}'{where} {when} optimizer step {step}")


def _norm(a: np.ndarray) -> float:
    if a.dtype.kind not in "fc":
        return float("nan")
    with np.errstate(over="ignore", invalid="ignore"):  # a non-finite norm is what the monitor looks for
        return float(np.sqrt(np.sum(np.square(a, dtype=np.float64))))


def _finite(a: np.ndarray, norm: float) -> bool:
    # a finite norm means finite entries; an infinite one may be an overflow of finite float64 entries
    return math.isfinite(norm) or a.dtype.kind not in "fc" or bool(np.isfinite(a).all())


class OptimizerMonitor:
    """Record statistics of every (every-th) optimizer step and catch the first non-finite value.

    Args:
        optimizer: any torch-style optimizer.
        names: parameter names (a module, (name, param) pairs or a dict); by
            default the optimizer's own ('param_names' when it was given named
            parameters), else "group{i}.{j}".
        every: record and check only every `every`-th step (steps 1, 1+every, ...);
            the others cost one counter increment.
        check_finite: "raise" (NonFiniteError, a FloatingPointError, at the
            first non-finite gradient, before the update; or state or update,
            after it), "warn" (a RuntimeWarning, once, and the event kept in
            `.first_nonfinite`), or None.
        track: which of "grad_norm", "update_norm", "ratio" (update norm /
            param norm before the step), "lr" (the param's group's), "state_norm"
            (one column per state key) to record.

    Setting `.enabled = False` pauses it (steps are still counted, nothing else is done).

    `.history` holds one dict per recorded (step, parameter with a gradient):
    'step', 'param', 'group' and the tracked values. `summary()` is a table.
    Use as a context manager, or call `detach()`, to remove the hooks.
    """

    def __init__(self, optimizer, names=None, every: int = 1, check_finite: str | None = "raise",
                 track=TRACKABLE):
        if check_finite not in ("raise", "warn", None):
            raise ValueError(f"check_finite must be 'raise', 'warn' or None, got {check_finite!r}")
        unknown = [t for t in track if t not in TRACKABLE]
        if unknown:
            raise ValueError(f"cannot track {unknown}; choose from {TRACKABLE}")
        if every < 1:
            raise ValueError(f"every must be >= 1, got {every}")
        self.optimizer, self.every, self.check_finite, self.track = optimizer, every, check_finite, tuple(track)
        self._given_names = names
        self._names = param_names(optimizer, names)
        self.history: list = []
        self.enabled = True
        self.steps = 0
        self.first_nonfinite: NonFiniteError | None = None
        self._before: dict = {}
        self._checked_grads: dict = {}
        self._handles = [optimizer.register_step_pre_hook(self._pre_step),
                         optimizer.register_step_post_hook(self._post_step)]

    # -- attaching ------------------------------------------------------------------------------
    def detach(self) -> None:
        """Remove the hooks; the history stays."""
        for handle in self._handles:
            handle.remove()
        self._handles = []

    def __enter__(self) -> "OptimizerMonitor":
        return self

    def __exit__(self, *exc) -> None:
        self.detach()

    def name(self, p) -> str:
        if id(p) not in self._names:  # a param group added after the monitor was attached
            self._names = param_names(self.optimizer, self._given_names)
        return self._names[id(p)]

    # -- the hooks ------------------------------------------------------------------------------------
    def _params(self):
        for i, group in enumerate(self.optimizer.param_groups):
            for p in group["params"]:
                yield i, group, p

    def _pre_step(self, optimizer, args, kwargs) -> None:
        self.steps += 1
        self._active = self.enabled and (self.steps - 1) % self.every == 0
        if not self._active:
            return
        measure_update = "update_norm" in self.track or "ratio" in self.track or self.check_finite
        self._before = {id(p): p._data.copy() for _, _, p in self._params()} if measure_update else {}
        self._checked_grads = {}
        if self.check_finite:
            for _, _, p in self._params():
                if p.grad is not None:
                    self._check_grad(p)

    def _check_grad(self, p) -> float:
        """The grad's norm, after checking it (once per grad object and step)."""
        grad = p.grad
        seen = self._checked_grads.get(id(p))
        if seen is not None and seen[0] is grad:
            return seen[1]
        a = grad._data
        norm = _norm(a)
        self._checked_grads[id(p)] = (grad, norm)
        if self.check_finite and not _finite(a, norm):
            self._nonfinite("gradient", self.name(p))
        return norm

    def _post_step(self, optimizer, args, kwargs) -> None:
        if not self._active:
            return
        problems = []
        for i, group, p in self._params():
            if p.grad is None:
                continue
            row = {"step": self.steps, "param": self.name(p), "group": i}
            grad_norm = self._check_grad(p)  # a closure may have given a new grad during the step
            if "grad_norm" in self.track:
                row["grad_norm"] = grad_norm
            self._state_norms(p, row, problems)
            self._update_norm(p, row, problems)
            if "lr" in self.track and "lr" in group:
                row["lr"] = float(group["lr"])
            self.history.append(row)
        self._before = {}
        if problems:
            self._nonfinite(*problems[0])

    def _state_norms(self, p, row: dict, problems: list) -> None:
        state = self.optimizer.state.get(p)
        if not state or not ("state_norm" in self.track or self.check_finite):
            return
        for key, t in tensor_arrays(state):
            a = t._data
            norm = _norm(a)
            if "state_norm" in self.track:
                row[f"state_norm.{key}"] = norm
            if self.check_finite and not _finite(a, norm):
                problems.append(("state", row["param"], key))

    def _update_norm(self, p, row: dict, problems: list) -> None:
        before = self._before.get(id(p))
        if before is None or before.shape != p._data.shape:
            return
        update = p._data.astype(np.float64) - before
        norm = _norm(update)
        if "update_norm" in self.track:
            row["update_norm"] = norm
        if "ratio" in self.track:
            param_norm = _norm(before)
            row["ratio"] = norm / param_norm if param_norm else (0.0 if norm == 0 else math.inf)
        if self.check_finite and not _finite(update, norm):
            problems.append(("update", row["param"], None))

    def _nonfinite(self, kind: str, param: str, key=None) -> None:
        error = NonFiniteError(kind, param, self.steps, key)
        if self.check_finite == "raise":
            self._before = {}
            raise error
        if self.first_nonfinite is None:
            self.first_nonfinite = error
            warnings.warn(str(error), RuntimeWarning, stacklevel=4)

    # -- reading ---------------------------------------------------------------------------------------
    def summary(self) -> str:
        """A table: per parameter, the last recorded values (and the largest gradient norm)."""
        last: dict = {}
        for row in self.history:
            entry = last.setdefault(row["param"], {"steps": 0, "max_grad": 0.0})
            entry.update(row)
            entry["steps"] += 1
            entry["max_grad"] = max(entry["max_grad"], row.get("grad_norm", 0.0))
        head = (f"OptimizerMonitor({type(self.optimizer).__name__}): {self.steps} steps, "
                f"{len({r['step'] for r in self.history})} recorded (every {self.every})")
        if not last:
            return head + "\n  (nothing recorded)"
        width = max(len("param"), *(len(n) for n in last))
        columns = [c for c in ("grad_norm", "max_grad", "update_norm", "ratio", "lr")
                   if any(c in e for e in last.values()) and (c != "max_grad" or "grad_norm" in self.track)]
        lines = [head, f"  {'param':<{width}}  {'steps':>5}  " + "  ".join(f"{c:>11}" for c in columns) + "  state"]
        for name, e in last.items():
            state = " ".join(f"{k[11:]}={e[k]:.3g}" for k in e if k.startswith("state_norm."))
            cells = "  ".join(f"{e[c]:>11.4g}" if c in e else f"{'':>11}" for c in columns)
            lines.append(f"  {name:<{width}}  {e['steps']:>5}  {cells}  {state}".rstrip())
        if self.first_nonfinite is not None:
            lines.append(f"  first non-finite: {self.first_nonfinite}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (f"<OptimizerMonitor {type(self.optimizer).__name__}: {self.steps} steps, {len(self.history)} rows"
                f"{'' if self._handles else ', detached'}>")
