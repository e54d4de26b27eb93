"""The conformance properties check_optimizer runs, one small function each.

A property returns (optionally a note on how it ran), raises Skip(reason) when
it does not apply, or raises Fail(code, observed) where `code` picks the
one-line explanation of the likely bug from EXPLANATIONS. Properties run in
the order they are defined here; `needs` names properties whose failure makes
this one meaningless (its result would only repeat the same bug under a
misleading explanation), so it is skipped instead.
"""
from __future__ import annotations

import copy
import inspect
import io
import os
import traceback
from dataclasses import dataclass

import numpy as np

import numtorch

from ...autograd.grad_mode import enable_grad, is_grad_enabled
from ..debug._names import tensor_arrays
from ..lr_scheduler import StepLR
from .harness import (Fail, Skip, dense_array, first_difference, flatten, make_builder, param_list, state_difference,
                      state_snapshot, values)

__all__ = ["PROPERTIES", "EXPLANATIONS", "Property"]


@dataclass(frozen=True)
class Property:
    name: str
    fn: object
    needs: tuple
    doc: str


PROPERTIES: dict = {}

EXPLANATIONS = {
    "runs.build": "the factory could not build an optimizer on plain float params",
    "runs.not_optimizer": "the factory did not return an optimizer (param_groups, state, step, state_dict)",
    "runs.step": "step() raises on a plain problem, with or without a closure; every other property needs it",
    "runs.grad_mode": "step() updates the params with grad mode on, which autograd refuses for leaves that require "
                      "grad: decorate step() with @torch.no_grad()",
    "runs.nonfinite": "params became NaN or inf within a few steps on a bounded problem: the update divides by "
                      "something that can be 0 (missing eps) or the defaults are unstable",
    "lazy_state.eager": "state is created eagerly in __init__: create it in step() on a param's first gradient, so "
                        "params never given a grad, frozen or added later get none",
    "lazy_state.keys": "self.state is keyed by something other than the param tensors (id(p), names, indices): "
                       "state_dict, load_state_dict and deepcopy only map param keys",
    "none_grad.moved": "a param whose .grad is None was changed: skip it (`if p.grad is None: continue`) before "
                       "weight decay or momentum touch it",
    "none_grad.state": "a param whose .grad is None got new or changed state: check `p.grad is None` before "
                       "touching self.state[p]",
    "no_grad.inplace_leaf": "the update runs with grad mode on and fails on the leaf params: decorate step() with "
                            "@torch.no_grad() (or _use_grad_for_differentiable)",
    "no_grad.mode_leak": "step() left grad mode disabled for its caller: use `with torch.no_grad():` or the "
                         "decorator instead of set_grad_enabled(False) without restoring it",
    "no_grad.param_graph": "a param was left with a grad_fn after step(): the update was recorded by autograd; run it "
                           "under torch.no_grad()",
    "no_grad.state_graph": "optimizer state records an autograd graph (a state tensor has a grad_fn or requires "
                           "grad): step() computes it with grad enabled, so the graph and memory grow every step; "
                           "run the update under torch.no_grad()",
    "grad_untouched.modified": "step() changes p.grad in place (e.g. grad.add_(p, alpha=wd) or grad.neg_() for "
                               "maximize): compute into a new tensor, the caller and gradient accumulation own .grad",
    "grad_not_stored.aliased": "a state tensor shares memory with p.grad (e.g. state['momentum_buffer'] = grad "
                               "without .clone()): it changes whenever gradients accumulate into .grad "
                               "(zero_grad(set_to_none=False), several backward calls); store a copy",
    "grad_untouched.replaced": "step() replaced p.grad with another tensor: leave .grad as the caller set it",
    "in_place.new_objects": "param_groups hold other tensors than the ones given after step(): the model still "
                            "holds the originals, which stop training; update params in place (p.add_(...))",
    "in_place.storage": "p.data = ... replaced the param's storage instead of updating it: views, tied weights and "
                        "flat buffers sharing it are left behind; update in place (p.add_, p.copy_)",
    "in_place.dtype": "step() changed a param's dtype: compute the update in the param's dtype (or cast back with "
                      "copy_)",
    "in_place.shape": "step() changed a param's shape: the update must have the param's shape",
    "in_place.requires_grad": "step() turned off requires_grad on a param: it will get no gradients any more",
    "descends.no_descent": "the loss of a convex quadratic did not decrease: the update has the wrong sign, ignores "
                           "lr, or never reaches the params",
    "maximize.ignored": "with maximize=True the objective did not increase: the update ignores group['maximize'] "
                        "(negate the gradient when it is set)",
    "deterministic.differs": "two runs from the same start (same params, grads and seed) differ: the update uses an "
                             "unseeded random source, id()/set ordering, or state shared between instances",
    "closure.not_called": "step(closure) never called the closure: call it first (under torch.enable_grad()) and "
                          "return its loss",
    "closure.no_grad": "the closure was called with grad mode off: wrap the call in torch.enable_grad() so that "
                       "loss.backward() inside it works",
    "closure.return": "step(closure) did not return the closure's loss: `loss = closure()` ... `return loss`",
    "closure.grads_ignored": "stepping through a closure differs from stepping with the same grads set "
                             "beforehand: call the closure before reading p.grad",
    "lr_used.ignored": "changing group['lr'] between steps did not change the update: lr is read once (e.g. self.lr "
                       "in __init__) instead of from the group in every step, so lr schedulers have no effect",
    "lr_used.scheduler": "an lr_scheduler (StepLR) had no effect on the trajectory: step() must read group['lr'] at "
                         "every step",
    "param_groups.mixed": "a param group with its own options does not behave like a separate optimizer with those "
                          "options: step() reads options from self.defaults or shares state across groups (an update "
                          "that couples all params, like global-norm clipping, cannot pass: skip this property)",
    "add_param_group.raised": "add_param_group raised on a new group of plain params",
    "add_param_group.defaults": "add_param_group did not fill the defaults into the new group: keep the base "
                                "class's add_param_group (or call super())",
    "add_param_group.not_updated": "params added with add_param_group are never updated: step() iterates over a "
                                   "param list captured in __init__ instead of self.param_groups",
    "add_param_group.differs": "params added with add_param_group do not follow a fresh optimizer's trajectory: a "
                               "step counter or other state is kept per optimizer instead of per param (or the "
                               "update couples all params, like global-norm clipping: skip this property)",
    "add_param_group.disturbed": "adding a param group changed the trajectory of the existing params",
    "state_dict_round_trip.state_dict": "state_dict() or deep-copying its result raised",
    "state_dict_round_trip.load": "load_state_dict raised on the optimizer's own state_dict",
    "state_dict_round_trip.state_differs": "after load_state_dict the fresh optimizer's state differs from the "
                                           "saved one: load_state_dict or __setstate__ drops or changes entries",
    "state_dict_round_trip.diverged": "a fresh optimizer loaded from the state_dict diverges from the original: "
                                      "some state lives outside self.state (an attribute on self, a closure "
                                      "variable), so state_dict does not save it",
    "state_dict_save.save": "numtorch.save failed on state_dict(): the state holds objects that cannot be pickled",
    "state_dict_save.load": "numtorch.load (weights_only=True) refused the saved state_dict: keep state to tensors, "
                            "numbers, strings, bools, None, lists, tuples and dicts",
    "state_dict_save.changed": "the state_dict read back from numtorch.save/load differs from the one saved",
    "state_dict_save.groups_alias": "state_dict()['param_groups'] shares dicts with the live param_groups: editing "
                                    "a saved state_dict changes the optimizer; build new dicts in state_dict()",
    "state_dict_save.load_alias": "an optimizer loaded from this state_dict shares state tensors with the source: "
                                  "stepping one changes the other; load_state_dict must copy what it loads",
    "deepcopy.raised": "copy.deepcopy(optimizer) raised: the optimizer holds something that cannot be copied "
                       "(a lock, a generator, an open file); keep it out of the instance or define __deepcopy__",
    "deepcopy.lost_attributes": "the deep copy lacks attributes set in __init__: Optimizer.__getstate__ keeps only "
                                "defaults, state and param_groups; keep per-param data in self.state, options in "
                                "the groups",
    "deepcopy.shared_params": "the deep copy optimizes the original's params, not copies of them",
    "deepcopy.state_keys": "the deep copy's state is not keyed by its own params (state keyed by id(p) or params "
                           "kept outside param_groups)",
    "deepcopy.state_differs": "the deep copy's state differs from the original's",
    "deepcopy.not_independent": "stepping the deep copy changed the original: they share tensors (a custom "
                                "__deepcopy__ or __getstate__ that does not copy)",
    "deepcopy.diverged": "the deep copy does not continue like the original: some state is not copied with it",
    "zero_size.raised": "a step with a zero-size param raised: reductions over an empty tensor (max, mean, division "
                        "by its norm or numel) need a guard for numel() == 0",
    "zero_size.shape": "step() changed the shape of a zero-size param",
    "zero_size.nonfinite": "a zero-size param made params or state NaN/inf (a mean or norm over no elements)",
    "zero_size.affects_others": "adding a zero-size param changed the other params' trajectories",
    "reference.differs": "the trajectory differs from the reference implementation",
}


def _property(name: str, needs=()):
    def register(fn):
        PROPERTIES[name] = Property(name, fn, tuple(needs), (fn.__doc__ or "").strip().splitlines()[0])
        return fn
    return register


_HERE = os.path.dirname(os.path.abspath(__file__))


def error_text(e: BaseException) -> str:
    """'Type: message (at file:line)', the place being the innermost frame outside this package."""
    frames = [f for f in traceback.extract_tb(e.__traceback__) if not f.filename.startswith(_HERE)]
    where = f" (at {os.path.basename(frames[-1].filename)}:{frames[-1].lineno})" if frames else ""
    message = str(e).splitlines()[0] if str(e) else ""
    return f"{type(e).__name__}: {message[:200]}{where}"


def _updates_leaf_with_grad(e: BaseException) -> bool:
    """autograd's refusal of an in-place update of a param outside no_grad."""
    return isinstance(e, RuntimeError) and "requires grad is being used in an in-place operation" in str(e)


def _setup(h, steps: int = 0, **overrides):
    """A fresh problem, params and optimizer, after `steps` steps."""
    problem = h.problem()
    params = h.params(problem)
    opt = h.build(params, **overrides)
    h.run(opt, problem, params, 0, steps)
    return problem, params, opt


def _split(h) -> int:
    """The step at which properties that interrupt a run do so."""
    return max(1, h.steps // 2)


def _state_tensors(opt):
    """(param position, key path, tensor) for every tensor in the optimizer's state."""
    position = {id(p): i for i, p in enumerate(param_list(opt))}
    for key, value in opt.state.items():
        for path, t in tensor_arrays(value):
            yield position.get(id(key), repr(key)), path, t


def _param_state(opt, p) -> dict:
    """p's state, flattened; found by identity (a state keyed by ints must not compare them with a tensor)."""
    return next((flatten(v) for k, v in opt.state.items() if k is p), {})


def _groups_supported(h) -> None:
    """Skip unless the optimizer accepts several param groups (LBFGS does not)."""
    if not hasattr(h, "groups_refused"):
        problem = h.problem()
        params = h.params(problem)
        try:
            h.build([{"params": params[:1]}, {"params": params[1:]}])
            h.groups_refused = None
        except Exception as e:  # noqa: BLE001 - any refusal means: no groups
            h.groups_refused = error_text(e)
    if h.groups_refused:
        raise Skip(f"the optimizer refuses several param groups ({h.groups_refused})")
    if len(h.shapes) < 2:
        raise Skip("needs at least two params (shapes=...)")


def _options_text(opts: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in opts.items()) or "default options"


# -- the properties, in the order they run ----------------------------------------------------------
# `needs` entries are a property name (any failure of it) or one failure code (only that failure): replaced
# param objects make every observation of the original params meaningless, a nondeterministic optimizer
# makes every comparison of two runs meaningless, and so on.
BASE = ("runs", "in_place.new_objects")
COMPARES = BASE + ("deterministic",)
COPIES_STATE = COMPARES + ("no_grad.state_graph", "lazy_state.keys")

@_property("runs")
def runs(h):
    """The factory builds an optimizer that takes steps (with a closure if it needs one)."""
    problem = h.problem()
    params = h.params(problem)
    try:
        opt = h.build(params)
    except Exception as e:
        raise Fail("runs.build", error_text(e))
    missing = [a for a in ("param_groups", "state", "step", "state_dict", "load_state_dict") if not hasattr(opt, a)]
    if missing:
        raise Fail("runs.not_optimizer", f"{type(opt).__name__} has no {', '.join(missing)}")
    h.defaults = dict(getattr(opt, "defaults", None) or {})
    note = None
    try:
        h.step(opt, problem, params, 0)
    except Exception as plain:
        h.closure_mode = True
        problem = h.problem()
        params = h.params(problem)
        opt = h.build(params)
        try:
            h.step(opt, problem, params, 0)
        except Exception:
            h.closure_mode = False
            raise Fail("runs.grad_mode" if _updates_leaf_with_grad(plain) else "runs.step", error_text(plain))
        note = f"steps are given a closure (step() without one raised {error_text(plain)})"
    h.run(opt, problem, params, 1, h.steps - 1)
    bad = [i for i, x in enumerate(values(params)) if not np.all(np.isfinite(x))]
    if bad:
        raise Fail("runs.nonfinite", f"params {bad} after {h.steps} steps")
    return note


@_property("in_place", needs=("runs",))
def in_place(h):
    """Params are updated in place: same objects, same storage, dtype, shape and requires_grad."""
    for opts in h.variants():
        problem, params, opt = _setup(h, **opts)
        storage = [p._data for p in params]
        meta = [(p.dtype, tuple(p.shape)) for p in params]
        for k in range(h.steps):
            h.step(opt, problem, params, k)
            held = param_list(opt)
            if len(held) != len(params) or any(a is not b for a, b in zip(held, params)):
                raise Fail("in_place.new_objects", f"{_options_text(opts)}, step {k + 1}")
            for i, p in enumerate(params):
                where = f"{_options_text(opts)}, step {k + 1}, param {i}"
                if p._data is not storage[i]:
                    raise Fail("in_place.storage", where)
                if p.dtype != meta[i][0]:
                    raise Fail("in_place.dtype", f"{where}: {meta[i][0]} -> {p.dtype}")
                if tuple(p.shape) != meta[i][1]:
                    raise Fail("in_place.shape", f"{where}: {list(meta[i][1])} -> {list(p.shape)}")
                if not p.requires_grad:
                    raise Fail("in_place.requires_grad", where)


@_property("lazy_state", needs=BASE)
def lazy_state(h):
    """No state before the first step; then state keyed by the params themselves."""
    problem = h.problem()
    params = h.params(problem)
    opt = h.build(params)
    early = state_snapshot(opt)
    if early:
        raise Fail("lazy_state.eager", f"entries before any step: {sorted(map(str, early))[:3]}")
    h.step(opt, problem, params, 0)
    ids = {id(p) for p in param_list(opt)}
    bad = [k for k, v in opt.state.items() if v and not (isinstance(k, numtorch.Tensor) and id(k) in ids)]
    if bad:
        raise Fail("lazy_state.keys", f"state keys {[repr(k)[:40] for k in bad[:3]]}")


@_property("none_grad", needs=BASE)
def none_grad(h):
    """Params whose .grad is None are not changed and get no new or changed state."""
    if len(h.shapes) < 2:
        raise Skip("needs at least two params (shapes=...)")
    for opts in h.variants():
        _frozen_params_untouched(h, opts)


def _frozen_params_untouched(h, opts: dict) -> None:
    problem, params, opt = _setup(h, **opts)
    n = len(params)
    # the last param has no grad for the first half, then the one before it (which by then has state) is frozen
    late = n - 2 if n > 2 else n - 1
    for k in range(h.steps):
        frozen = n - 1 if k < _split(h) else late
        before, state = values(params)[frozen], _param_state(opt, params[frozen])
        h.step(opt, problem, params, k, {frozen})
        where = f"{_options_text(opts)}, step {k + 1}: param {frozen} (grad None)"
        diff = first_difference([[before]], [[values(params)[frozen]]])
        if diff:
            raise Fail("none_grad.moved", f"{where}: {diff.split(': ', 1)[1]}")
        change = state_difference(state, _param_state(opt, params[frozen]))
        if change:
            raise Fail("none_grad.state", f"{where}: {'state created' if not state else change}")


@_property("no_grad", needs=BASE)
def no_grad(h):
    """With grad mode on, step() leaves params as leaves and state without autograd history."""
    if h.defaults.get("differentiable"):
        raise Skip("differentiable=True records the update on purpose")
    for opts in h.variants():
        problem, params, opt = _setup(h, **opts)
        with enable_grad():
            for k in range(min(3, h.steps)):
                try:
                    h.step(opt, problem, params, k)
                except RuntimeError as e:
                    if _updates_leaf_with_grad(e):
                        raise Fail("no_grad.inplace_leaf", f"{_options_text(opts)}: {error_text(e)}")
                    raise
                if not is_grad_enabled():
                    raise Fail("no_grad.mode_leak", f"{_options_text(opts)}: grad mode off after step {k + 1}")
                for i, p in enumerate(params):
                    if p.grad_fn is not None:
                        raise Fail("no_grad.param_graph", f"{_options_text(opts)}, step {k + 1}: param {i} has "
                                                          f"grad_fn {type(p.grad_fn).__name__}")
                for i, path, t in _state_tensors(opt):
                    if t.grad_fn is not None or t.requires_grad:
                        what = type(t.grad_fn).__name__ if t.grad_fn is not None else "requires_grad=True"
                        raise Fail("no_grad.state_graph", f"{_options_text(opts)}, step {k + 1}: param {i} state "
                                                          f"{path}: {what}")


@_property("grad_untouched", needs=BASE)
def grad_untouched(h):
    """step() never modifies or replaces p.grad (also with weight decay and maximize)."""
    for opts in h.variants():
        problem, params, opt = _setup(h, **opts)
        position = {id(p): i for i, p in enumerate(params)}
        for k in range(h.steps):
            log: list = []
            h.step(opt, problem, params, k, log=log)
            for p, g, given, version in log:
                if g._version != version or first_difference([[given]], [[dense_array(g)]]):
                    raise Fail("grad_untouched.modified", f"{_options_text(opts)}, step {k + 1}: the grad of param "
                                                          f"{position[id(p)]} changed")
            last = {id(p): g for p, g, _, _ in log}
            for p in params:
                if id(p) in last and p.grad is not last[id(p)]:
                    raise Fail("grad_untouched.replaced", f"{_options_text(opts)}, step {k + 1}: param "
                                                          f"{position[id(p)]}")


@_property("grad_not_stored", needs=BASE)
def grad_not_stored(h):
    """No optimizer state shares memory with a param's .grad after a step."""
    for opts in h.variants():
        problem, params, opt = _setup(h, **opts)
        for k in range(h.steps):
            h.step(opt, problem, params, k)
            for i, p in enumerate(params):
                g = p.grad
                if g is None or getattr(g, "is_sparse", False):
                    continue
                live = next((v for key, v in opt.state.items() if key is p), {})
                for path, t in tensor_arrays(live):
                    if t._data.size and np.shares_memory(t._data, g._data):
                        raise Fail("grad_not_stored.aliased", f"{_options_text(opts)}, step {k + 1}: state "
                                                              f"{path!r} of param {i} is its .grad")


@_property("descends", needs=BASE)
def descends(h):
    """The loss of a convex quadratic decreases."""
    problem = h.problem("quadratic")
    params = h.params(problem)
    opt = h.build(params)
    start = problem.total_loss(values(params))
    end = problem.total_loss(h.run(opt, problem, params)[-1])
    if not end < start - 1e-9 * abs(start):
        raise Fail("descends.no_descent", f"loss {start:.6g} -> {end:.6g} in {h.steps} steps")
    return f"loss {start:.4g} -> {end:.4g} in {h.steps} steps"


@_property("maximize", needs=BASE)
def maximize(h):
    """With maximize=True, a concave objective increases."""
    if "maximize" not in h.defaults:
        raise Skip("no 'maximize' option")
    problem = h.problem("quadratic", sign=-1.0)
    params = h.params(problem)
    opt = h.build(params, maximize=True)
    start = problem.total_loss(values(params))
    end = problem.total_loss(h.run(opt, problem, params)[-1])
    if not end > start + 1e-9 * abs(start):
        raise Fail("maximize.ignored", f"objective {start:.6g} -> {end:.6g} in {h.steps} steps")


@_property("deterministic", needs=BASE)
def deterministic(h):
    """Two runs from the same start give bit-identical params and state."""
    first, second = [], []
    for out in (first, second):
        problem, params, opt = _setup(h)
        out.append(h.run(opt, problem, params))
        out.append(state_snapshot(opt))
    diff = first_difference(first[0], second[0]) or state_difference(first[1], second[1])
    if diff:
        raise Fail("deterministic.differs", diff)


@_property("closure", needs=BASE)
def closure(h):
    """step(closure) calls the closure with grad enabled, steps with its grads and returns its loss."""
    problem, params, opt = _setup(h)
    # an optimizer that needs a closure gets its grads beforehand too (SAM reads them); the others only from it
    only_closure = not h.closure_mode
    plain = h.run(opt, problem, params) if only_closure and not h.failed("deterministic") else None
    problem, params, opt = _setup(h)
    run = []
    for k in range(h.steps):
        calls: list = []
        for p in params:
            p.grad = None
        out = h.step(opt, problem, params, k, via_closure=True if only_closure else None, calls=calls)
        if not calls:
            raise Fail("closure.not_called", f"step {k + 1}")
        if not calls[0][0]:
            raise Fail("closure.no_grad", f"step {k + 1}")
        loss = calls[0][1]
        if out is not loss and not (isinstance(out, (numtorch.Tensor, float)) and float(out) == float(loss)):
            raise Fail("closure.return", f"step {k + 1} returned {repr(out)[:60]}")
        run.append(values(params))
    diff = None if plain is None else first_difference(plain, run)
    if diff:
        raise Fail("closure.grads_ignored", f"steps through the closure vs with grads set beforehand: {diff}")


@_property("lr_used", needs=COMPARES)
def lr_used(h):
    """Changing group['lr'] between steps changes the update; a StepLR scheduler takes effect."""
    problem, params, opt = _setup(h)
    if any("lr" not in g for g in opt.param_groups):
        raise Skip("the param groups have no 'lr'")
    base = h.run(opt, problem, params)
    split = _split(h)
    problem, params, opt = _setup(h, split)
    for group in opt.param_groups:
        group["lr"] = group["lr"] * 0.1
    changed = h.run(opt, problem, params, split, h.steps - split)
    if first_difference(base[split:], changed) is None:
        raise Fail("lr_used.ignored", f"lr x0.1 after step {split}: steps {split + 1}..{h.steps} unchanged")
    problem, params, opt = _setup(h)
    scheduler = StepLR(opt, step_size=1, gamma=0.5)
    scheduled = []
    for k in range(h.steps):
        h.step(opt, problem, params, k)
        scheduler.step()
        scheduled.append(values(params))
    if first_difference(base, scheduled) is None:
        raise Fail("lr_used.scheduler", f"StepLR(step_size=1, gamma=0.5): {h.steps} steps unchanged")


@_property("param_groups", needs=COMPARES + ("lr_used",))
def param_groups(h):
    """Two param groups with different options behave like two separate optimizers."""
    _groups_supported(h)
    opts = h.group_options()
    if not opts:
        raise Skip("no lr or weight_decay option to vary between the groups")
    problem = h.problem()
    n = len(problem)
    params = h.params(problem)
    opt = h.build([{"params": params[:-1]}, {"params": params[-1:], **opts}])
    together = h.run(opt, problem, params)
    for label, indices, group_opts in (("first group (default options)", range(n - 1), {}),
                                       (f"second group ({_options_text(opts)})", [n - 1], opts)):
        sub = problem.sub(indices)
        alone_params = h.params(sub)
        alone = h.run(h.build(alone_params, **group_opts), sub, alone_params)
        diff = first_difference([[x[i] for i in indices] for x in together], alone, h.tol)
        if diff:
            raise Fail("param_groups.mixed", f"{label} vs a separate optimizer: {diff}")


@_property("add_param_group", needs=COMPARES)
def add_param_group(h):
    """A group added mid-run gets the defaults and is updated like a fresh optimizer's; the others carry on."""
    _groups_supported(h)
    problem = h.problem()
    n, split = len(problem), _split(h)
    first = problem.sub(range(n - 1))
    params = h.params(problem)
    opt = h.build(params[:-1])
    h.run(opt, first, params[:-1], 0, split)
    try:
        opt.add_param_group({"params": params[-1:]})
    except Exception as e:
        raise Fail("add_param_group.raised", error_text(e))
    missing = [k for k in h.defaults if k not in opt.param_groups[-1]]
    if missing:
        raise Fail("add_param_group.defaults", f"the new group lacks {missing}")
    start = values(params)[-1]
    together = h.run(opt, problem, params, split, h.steps - split)
    if first_difference([[start]], [[together[-1][-1]]]) is None and start.size:
        raise Fail("add_param_group.not_updated", f"the added param did not move in {h.steps - split} steps")
    last = problem.sub([n - 1])
    fresh_params = h.params(last)
    fresh = h.run(h.build(fresh_params), last, fresh_params, split, h.steps - split)
    diff = first_difference([x[-1:] for x in together], fresh, h.tol)
    if diff:
        raise Fail("add_param_group.differs", f"added param vs a fresh optimizer from step {split + 1}: {diff}")
    alone_params = h.params(first)
    alone = h.run(h.build(alone_params), first, alone_params)
    diff = first_difference([x[:-1] for x in together], alone[split:], h.tol)
    if diff:
        raise Fail("add_param_group.disturbed", diff)


@_property("state_dict_round_trip", needs=COPIES_STATE)
def state_dict_round_trip(h):
    """Loading the state_dict into a fresh optimizer on cloned params continues the same trajectory."""
    split = _split(h)
    problem, params, opt = _setup(h, split)
    try:
        saved = copy.deepcopy(opt.state_dict())
    except Exception as e:
        raise Fail("state_dict_round_trip.state_dict", error_text(e))
    clones = h.clones(params)
    fresh = h.build(clones)
    try:
        fresh.load_state_dict(saved)
    except Exception as e:
        raise Fail("state_dict_round_trip.load", error_text(e))
    diff = state_difference(state_snapshot(opt), state_snapshot(fresh)) or \
        state_difference(_group_options(opt), _group_options(fresh))
    if diff:
        raise Fail("state_dict_round_trip.state_differs", diff)
    original = h.run(opt, problem, params, split, h.steps - split)
    loaded = h.run(fresh, problem, clones, split, h.steps - split)
    diff = first_difference(original, loaded, h.tol)
    if diff:
        raise Fail("state_dict_round_trip.diverged", f"after loading at step {split}: {diff}")


def _group_options(opt) -> dict:
    return flatten([{k: v for k, v in g.items() if k != "params"} for g in opt.param_groups])


@_property("state_dict_save", needs=BASE)
def state_dict_save(h):
    """numtorch.save/load keeps the state_dict, which shares no groups or loaded state with the optimizer."""
    split = _split(h)
    problem, params, opt = _setup(h, split)
    state_dict = opt.state_dict()
    buffer = io.BytesIO()
    try:
        numtorch.save(state_dict, buffer)
    except Exception as e:
        raise Fail("state_dict_save.save", error_text(e))
    buffer.seek(0)
    try:
        loaded = numtorch.load(buffer)
    except Exception as e:
        raise Fail("state_dict_save.load", error_text(e))
    diff = state_difference(flatten(state_dict), flatten(loaded))
    if diff:
        raise Fail("state_dict_save.changed", diff)

    groups = _group_options(opt)
    for group in opt.state_dict()["param_groups"]:
        group["__check_optimizer__"] = True
        if "lr" in group:
            group["lr"] = 1234.5
    diff = state_difference(groups, _group_options(opt))
    if diff:
        raise Fail("state_dict_save.groups_alias", diff)

    clones = h.clones(params)
    other = h.build(clones)
    other.load_state_dict(opt.state_dict())
    source = state_snapshot(opt)
    h.run(other, problem, clones, split, 2)
    diff = state_difference(source, state_snapshot(opt))
    if diff:
        raise Fail("state_dict_save.load_alias", f"stepping the loaded optimizer changed the source: {diff}")


@_property("deepcopy", needs=COPIES_STATE)
def deepcopy(h):
    """copy.deepcopy gives an independent optimizer with equal state that continues identically."""
    split = _split(h)
    problem, params, opt = _setup(h, split)
    for p in params:  # the next steps set new grads; a grad with a graph (create_graph) cannot be deep-copied
        p.grad = None
    try:
        twin = copy.deepcopy(opt)
    except Exception as e:
        raise Fail("deepcopy.raised", error_text(e))
    lost = sorted(n for n, v in vars(opt).items() if n not in vars(twin) and getattr(type(opt), n, object()) is not v)
    if lost:
        raise Fail("deepcopy.lost_attributes", f"the copy has no {', '.join(lost)}")
    twin_params = param_list(twin)
    if len(twin_params) != len(params) or any(a is b for a, b in zip(twin_params, params)):
        raise Fail("deepcopy.shared_params")
    ids = {id(p) for p in twin_params}
    stray = [k for k, v in twin.state.items() if v and id(k) not in ids]
    if stray:
        raise Fail("deepcopy.state_keys", f"{len(stray)} state entries keyed by other objects")
    diff = state_difference(state_snapshot(opt), state_snapshot(twin))
    if diff:
        raise Fail("deepcopy.state_differs", diff)
    before, state = values(params), state_snapshot(opt)
    copied = h.run(twin, problem, twin_params, split, h.steps - split)
    diff = first_difference([before], [values(params)]) or state_difference(state, state_snapshot(opt))
    if diff:
        raise Fail("deepcopy.not_independent", diff)
    original = h.run(opt, problem, params, split, h.steps - split)
    diff = first_difference(original, copied, h.tol)
    if diff:
        raise Fail("deepcopy.diverged", diff)


@_property("zero_size", needs=BASE)
def zero_size(h):
    """A zero-size param among the others: no error, no NaN, no effect on the others."""
    problem = h.problem(shapes=h.shapes + [h.zero_shape])
    params = h.params(problem)
    try:
        opt = h.build(params)
        with_empty = h.run(opt, problem, params)
    except Exception as e:
        raise Fail("zero_size.raised", error_text(e))
    if tuple(params[-1].shape) != h.zero_shape:
        raise Fail("zero_size.shape", f"{list(h.zero_shape)} -> {list(params[-1].shape)}")
    bad = [f"param {i}" for i, x in enumerate(with_empty[-1]) if not np.all(np.isfinite(x))]
    bad += [f"param {i} state {path}" for i, path, t in _state_tensors(opt)
            if t.is_floating_point() and not np.all(np.isfinite(dense_array(t)))]
    if bad:
        raise Fail("zero_size.nonfinite", ", ".join(bad[:3]))
    if h.failed("deterministic"):
        return "the other params' trajectories were not compared (the optimizer is not deterministic)"
    _, plain_params, plain = _setup(h)
    without = h.run(plain, h.problem(), plain_params)
    diff = first_difference([x[:-1] for x in with_empty], without, h.tol)
    if diff:
        raise Fail("zero_size.affects_others", diff)


def is_step_function(reference) -> bool:
    """A reference given as step(params, grads, state) -> new params, rather than as an optimizer factory."""
    if isinstance(reference, type):
        return False
    try:
        parameters = inspect.signature(reference).parameters.values()
    except (TypeError, ValueError):
        return False
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) >= 3


@_property("reference", needs=COMPARES)
def reference(h):
    """The trajectory equals the reference implementation's, to rtol/atol."""
    if h.reference is None:
        raise Skip("no reference given (reference=)")
    problem, params, opt = _setup(h)
    ours = h.run(opt, problem, params)
    if is_step_function(h.reference):
        if h.closure_mode:
            raise Skip("a step-function reference cannot follow an optimizer that needs a closure; pass a reference "
                       "optimizer instead")
        arrays, state, theirs = [x.copy() for x in values(h.params(problem))], {}, []
        for k in range(h.steps):
            grads = h.grad_arrays(problem, arrays, k)
            arrays = [np.array(x, dtype=a.dtype) for x, a in zip(h.reference(arrays, grads, state), arrays)]
            theirs.append([x.copy() for x in arrays])
    else:
        ref_params = h.params(problem)
        theirs = h.run(make_builder(h.reference, h.options)(ref_params), problem, ref_params)
    diff = first_difference(ours, theirs, (h.rtol, h.atol))
    if diff:
        raise Fail("reference.differs", diff)
