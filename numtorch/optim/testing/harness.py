"""What every property needs: building the optimizer under test, feeding it gradients, comparing runs.

Each step's gradients are a function of the problem, the step index and the
params' current values only, and numtorch's global generator is reseeded from
(seed, step) before every step; so two optimizers given the same params see
the same gradients and the same random numbers, and any difference between
their runs is the optimizer's doing.
"""
from __future__ import annotations

import copy
import inspect
import warnings

import numpy as np

import numtorch

from ...autograd.grad_mode import enable_grad, is_grad_enabled
from .problems import Problem

__all__ = ["Fail", "Skip", "Harness", "values", "flatten", "dense_array", "param_list", "state_snapshot",
           "first_difference", "state_difference"]


class Fail(Exception):
    """A property failed: `code` names the failure mode (its explanation is in properties.EXPLANATIONS).

    `explanation` overrides the table's, for failures whose likely bug is the error itself.
    """

    def __init__(self, code: str, detail: str = "", explanation: str | None = None):
        super().__init__(code, detail)
        self.code, self.detail, self.explanation = code, detail, explanation


class Skip(Exception):
    """A property does not apply to this optimizer; the message says why."""


def _accepted_keywords(factory):
    """The keyword names `factory` takes (None: any, through **kwargs)."""
    try:
        sig = inspect.signature(factory)
    except (TypeError, ValueError):
        return frozenset()
    if any(p.kind is p.VAR_KEYWORD for p in sig.parameters.values()):
        return None
    return frozenset(name for name, p in sig.parameters.items() if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY))


def make_builder(factory, options: dict):
    """build(params, **overrides) -> optimizer, for a class or a factory, with `options` always passed.

    Overrides (maximize=True, another lr, ...) go to the constructor when it
    takes them by name, otherwise into the param group dicts, which is how any
    torch-style optimizer is given per-group options.
    """
    takes = _accepted_keywords(factory)

    def build(params, **overrides):
        by_keyword = {k: v for k, v in overrides.items() if takes is None or k in takes}
        by_group = {k: v for k, v in overrides.items() if k not in by_keyword}
        if by_group:
            groups = params if params and isinstance(params[0], dict) else [{"params": list(params)}]
            params = [{**g, **by_group} for g in groups]
        return factory(params, **{**options, **by_keyword})

    return build


class Harness:
    """The optimizer under test and the way properties drive it (see the module docstring)."""

    def __init__(self, factory, options: dict, *, shapes, zero_shape, dtype, seed: int, steps: int,
                 sparse_grads: bool = False, create_graph: bool = False, group_options=None, reference=None,
                 rtol: float = 1e-7, atol: float = 1e-9):
        self.build = make_builder(factory, options)
        self.options = options
        self.shapes = [tuple(s) for s in shapes]
        self.zero_shape = tuple(zero_shape)
        self.dtype = dtype
        self.seed, self.steps = seed, steps
        self.sparse_grads, self.create_graph = sparse_grads, create_graph
        self._group_options = group_options
        self.reference, self.rtol, self.atol = reference, rtol, atol
        # consistency comparisons (round trip, deepcopy, groups) tolerate reordered float sums only
        self.tol = (1e-9, 1e-12) if dtype is numtorch.float64 else (1e-5, 1e-7)
        self.np_dtype = numtorch.zeros((), dtype=dtype).numpy().dtype
        self.closure_mode = False
        self.defaults: dict = {}
        self.results: dict = {}  # name -> PropertyResult of the properties run so far
        if sparse_grads and any(len(s) == 0 for s in self.shapes):
            raise ValueError("sparse_grads=True needs params with at least one dimension (shapes=...)")
        if sparse_grads and create_graph:
            raise ValueError("sparse_grads and create_graph cannot be combined")

    def failed(self, name: str) -> bool:
        result = self.results.get(name)
        return result is not None and result.failed

    # -- problems and params ------------------------------------------------------------------
    def problem(self, kind: str = "nonconvex", shapes=None, sign: float = 1.0) -> Problem:
        return Problem(self.shapes if shapes is None else shapes, self.seed, kind, sign)

    def params(self, problem: Problem) -> list:
        return [numtorch.tensor(x.astype(self.np_dtype), requires_grad=True) for x in problem.start]

    def group_options(self) -> dict:
        """Options for a second param group that differ from the defaults: half the lr, other weight decay."""
        if self._group_options is not None:
            return dict(self._group_options)
        out = {}
        lr = self.defaults.get("lr")
        if isinstance(lr, (int, float, numtorch.Tensor)) and not isinstance(lr, bool):
            out["lr"] = lr * 0.5
        wd = self.defaults.get("weight_decay")
        if isinstance(wd, (int, float)) and not isinstance(wd, bool):
            out["weight_decay"] = 0.1 if wd == 0 else wd * 0.5
        return out

    def variants(self) -> list:
        """Option sets that take different code paths (weight decay and maximize are where grads get written)."""
        out = [{}]
        wd = self.defaults.get("weight_decay")
        if isinstance(wd, (int, float)) and not isinstance(wd, bool) and wd == 0:
            out.append({"weight_decay": 0.1})
        if "maximize" in self.defaults:
            out.append({"maximize": True})
        return out

    # -- gradients and steps --------------------------------------------------------------------
    def grad_arrays(self, problem: Problem, arrays, k: int, none=()) -> list:
        """Each param's gradient at step k, given its values (None for indices in `none`).

        With sparse grads, some rows get no gradient at each step, as with an embedding.
        """
        out = []
        for i, x in enumerate(arrays):
            if i in none:
                out.append(None)
                continue
            g = problem.grad(i, x, k)
            if self.sparse_grads and g.ndim:
                g[(np.arange(g.shape[0]) + k) % 3 == 0] = 0  # only some rows get a gradient, as with embeddings
            out.append(g)
        return out

    def _grad_tensor(self, g: np.ndarray):
        if not self.sparse_grads or g.ndim == 0:
            return numtorch.tensor(g)
        rows = np.flatnonzero(np.any(g.reshape(g.shape[0], -1) != 0, axis=1)) if g.size else np.zeros(0, np.int64)
        return numtorch.sparse_coo_tensor(rows[None, :], g[rows], g.shape, dtype=self.dtype)

    def set_grads(self, problem: Problem, params, k: int, none=(), log=None) -> None:
        """Give every param its step-k gradient; `log` collects (grad tensor, values, version) of each one given.

        With create_graph, the gradients come from loss.backward(create_graph=True) instead (optimizers that
        differentiate through them, like SophiaH's Hessian estimates).
        """
        if self.create_graph:
            for p in params:
                p.grad = None
            with enable_grad(), warnings.catch_warnings():
                warnings.filterwarnings("ignore", "Using backward\\(\\) with create_graph=True")  # the cycle is ours
                terms = [problem.tensor_loss(i, p, k) for i, p in enumerate(params) if i not in none]
                sum(terms[1:], terms[0]).backward(create_graph=True)
        else:
            for p, g in zip(params, self.grad_arrays(problem, [p.detach().numpy() for p in params], k, none)):
                p.grad = None if g is None else self._grad_tensor(g)
        for p in params:
            if log is not None and p.grad is not None:
                log.append((p, p.grad, dense_array(p.grad).copy(), p.grad._version))

    def loss(self, problem: Problem, params, k: int, none=()):
        value = sum(problem.loss(i, p.detach().numpy(), k) for i, p in enumerate(params) if i not in none)
        return numtorch.tensor(value, dtype=self.dtype)

    def step(self, opt, problem: Problem, params, k: int, none=(), log=None, via_closure=None, calls=None):
        """Step k: reseed, then set the gradients and call step(), or pass a closure that sets them.

        via_closure: force (or forbid) the closure, which alone then sets the gradients; by default only
        optimizers that need a closure get one (after the gradients are set).
        calls: collects (grad mode, returned loss) of every closure call.
        """
        numtorch.manual_seed(hash((self.seed, k)) & 0xFFFFFFFF)
        if self.closure_mode if via_closure is None else via_closure:
            if via_closure is None:  # as a user would: gradients first (SAM's first pass reads them), then the closure
                self.set_grads(problem, params, k, none, log)

            def closure():
                mode = is_grad_enabled()
                self.set_grads(problem, params, k, none, log)
                loss = self.loss(problem, params, k, none)
                if calls is not None:
                    calls.append((mode, loss))
                return loss
            return opt.step(closure)
        self.set_grads(problem, params, k, none, log)
        return opt.step()

    def run(self, opt, problem: Problem, params, start: int = 0, n: int | None = None, none_at=None) -> list:
        """Steps start .. start+n-1; returns the params' values after each step.

        `none_at(k)` gives the indices whose grad is None at step k.
        """
        out = []
        for k in range(start, start + (self.steps if n is None else n)):
            self.step(opt, problem, params, k, none_at(k) if none_at else ())
            out.append(values(params))
        return out

    def clones(self, params) -> list:
        return [p.detach().clone().requires_grad_(True) for p in params]


# -- snapshots and comparisons ---------------------------------------------------------------------

def values(params) -> list:
    return [p.detach().numpy().copy() for p in params]


def flatten(value, path: tuple = (), out: dict | None = None) -> dict:
    """A nested structure of dicts, lists and tensors as {path: copy of leaf}; tensors as (dtype, shape, array)."""
    out = {} if out is None else out
    if isinstance(value, numtorch.Tensor):
        out[path] = (str(value.dtype), tuple(value.shape), np.array(dense_array(value)))
    elif isinstance(value, dict):
        for k, v in value.items():
            flatten(v, path + (k,), out)
    elif isinstance(value, (list, tuple)):
        out[path + ("<len>",)] = len(value)
        for i, v in enumerate(value):
            flatten(v, path + (i,), out)
    else:
        out[path] = copy.deepcopy(value)
    return out


def dense_array(t) -> np.ndarray:
    """A tensor's values as an ndarray (a sparse tensor's dense equivalent); shares memory where it can."""
    return t._data if t.is_sparse else t.detach().numpy()


def param_list(opt) -> list:
    return [p for g in opt.param_groups for p in g["params"]]


def state_snapshot(opt, params=None) -> dict:
    """The optimizer's state flattened to {(param position, key, ...): value copy}, non-empty entries only."""
    params = param_list(opt) if params is None else params
    position = {id(p): i for i, p in enumerate(params)}
    out: dict = {}
    for n, (key, value) in enumerate(opt.state.items()):
        if isinstance(value, dict) and not value:
            continue
        # a key that is not one of the params (an id, a name) is identified by its place in the state
        flatten(value, (position.get(id(key), ("key", type(key).__name__, n)),), out)
    return out


def _arrays_differ(a: np.ndarray, b: np.ndarray, tol) -> bool:
    if a.shape != b.shape or a.dtype != b.dtype:
        return True
    if tol is None or a.dtype.kind not in "fc":
        return not np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")
    return not np.allclose(a, b, rtol=tol[0], atol=tol[1], equal_nan=True)


def _max_diff(a: np.ndarray, b: np.ndarray) -> str:
    if a.shape != b.shape or a.dtype != b.dtype or a.size == 0:
        return f"{a.dtype}{list(a.shape)} vs {b.dtype}{list(b.shape)}"
    return f"max |diff| {float(np.max(np.abs(a.astype(np.float64) - b.astype(np.float64)))):.3g}"


def first_difference(a: list, b: list, tol=None, what: str = "param") -> str | None:
    """Where two runs' values first differ ('step k, param j: ...'), or None; exact unless `tol` (rtol, atol)."""
    for k, (xs, ys) in enumerate(zip(a, b)):
        for j, (x, y) in enumerate(zip(xs, ys)):
            if _arrays_differ(x, y, tol):
                return f"step {k + 1}, {what} {j}: {_max_diff(x, y)}"
    return None


def state_difference(a: dict, b: dict, tol=None) -> str | None:
    """The first entry in which two state snapshots differ, or None."""
    if a.keys() != b.keys():
        only_a, only_b = sorted(map(str, a.keys() - b.keys())), sorted(map(str, b.keys() - a.keys()))
        return f"entries only in the first: {only_a[:4]}, only in the second: {only_b[:4]}"
    for key in a:
        x, y = a[key], b[key]
        if isinstance(x, tuple) and len(x) == 3 and isinstance(x[2], np.ndarray):
            if not (isinstance(y, tuple) and len(y) == 3) or x[:2] != y[:2] or _arrays_differ(x[2], y[2], tol):
                return f"state {key}: {x[:2]} vs {y[:2] if isinstance(y, tuple) else type(y).__name__}" + \
                    (f", {_max_diff(x[2], y[2])}" if isinstance(y, tuple) and len(y) == 3 else "")
        elif not _same_plain(x, y):
            return f"state {key}: {x!r} vs {y!r}"
    return None


def _same_plain(x, y) -> bool:
    try:
        return bool(x == y) or (x != x and y != y)
    except Exception:  # values that do not compare (arrays in odd places): compare their reprs
        return repr(x) == repr(y)
