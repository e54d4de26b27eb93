"""Transformations that wrap others: skip non-finite steps, select parameters, expose hyperparameters, accumulate."""
from __future__ import annotations

import inspect
import numbers

from ..._ops.creation import zeros_like
from .base import (PER_PARAM, GradientTransformation, as_transform, as_tree, hide, merge_defaults, mutable_copy,
                   none_like, resolve, tree_keys, tree_map)

__all__ = ["apply_if_finite", "masked", "partition", "inject_hyperparams", "accumulate"]


def apply_if_finite(inner, max_consecutive_errors: int | None = None) -> GradientTransformation:
    """Skip a step whose updates hold a NaN or an infinity: no update, `inner`'s state untouched.

    The state counts them: 'notfinite_count' (consecutive), 'total_notfinite',
    'last_finite'. After more than max_consecutive_errors consecutive
    non-finite steps the update goes through anyway, so that a run that keeps
    diverging fails visibly instead of silently standing still (None: never).
    """
    inner = as_transform(inner)

    def init(params):
        return {"notfinite_count": 0, "last_finite": True, "total_notfinite": 0, "inner_state": inner.init(params)}

    def update(updates, state, params=None, *, groups=None):
        finite = all(updates[k].isfinite().all().item() for k in tree_keys(updates) if updates[k] is not None)
        count = 0 if finite else state["notfinite_count"] + 1
        inner_state = state["inner_state"]
        if finite or (max_consecutive_errors is not None and count > max_consecutive_errors):
            updates, inner_state = inner.update(updates, inner_state, params, groups=groups)
        else:
            updates = none_like(updates)
        return updates, {"notfinite_count": count, "last_finite": finite,
                         "total_notfinite": state["total_notfinite"] + (not finite), "inner_state": inner_state}
    return GradientTransformation(init, update, "apply_if_finite", inner.defaults)


def masked(inner, mask) -> GradientTransformation:
    """Apply `inner` to the selected parameters only; the others' updates pass unchanged.

    `mask`: a callable fn(name, param) or fn(param) -> bool (name: the dict key,
    or the list index), a list of booleans, or a dict name -> bool. `inner`
    sees the others as None, so it keeps no state for them.
    """
    inner = as_transform(inner)

    def init(params):
        params = as_tree(params)
        return {"inner_state": inner.init(hide(params, resolve(mask, params, params, "mask")))}

    def update(updates, state, params=None, *, groups=None):
        selected = resolve(mask, updates, params, "mask")
        inner_updates, inner_state = inner.update(hide(updates, selected), state["inner_state"],
                                                  hide(params, selected), groups=groups)
        out = mutable_copy(updates)
        for k in tree_keys(updates):
            if updates[k] is not None and selected[k]:
                out[k] = inner_updates[k]
        return out, {"inner_state": inner_state}
    return GradientTransformation(init, update, inner.name, inner.defaults)


def partition(transforms: dict, labels) -> GradientTransformation:
    """Different transformations for different parameters: transforms[label] for the parameters with that label.

    `labels`: a callable fn(name, param) or fn(param) -> label, a list of
    labels, or a dict name -> label. Every parameter must get a label that
    `transforms` has.
    """
    transforms = {label: as_transform(t) for label, t in transforms.items()}

    def selections(updates, params):
        assigned = resolve(labels, updates, params, "labels")
        unknown = {assigned[k] for k in tree_keys(updates) if updates[k] is not None} - transforms.keys()
        if unknown:
            raise ValueError(f"partition has no transformation for label(s) {sorted(map(str, unknown))}")
        return {label: tree_map(lambda u, a: a == label, updates, assigned) for label in transforms}

    def init(params):
        params = as_tree(params)
        selected = selections(params, params)
        return {"inner_states": {label: t.init(hide(params, selected[label])) for label, t in transforms.items()}}

    def update(updates, state, params=None, *, groups=None):
        selected = selections(updates, params)
        out = mutable_copy(updates)
        inner_states = {}
        for label, t in transforms.items():
            part, inner_states[label] = t.update(hide(updates, selected[label]), state["inner_states"][label],
                                                 hide(params, selected[label]), groups=groups)
            for k in tree_keys(updates):
                if selected[label][k]:
                    out[k] = part[k]
        return out, {"inner_states": inner_states}
    return GradientTransformation(init, update, "partition", merge_defaults(transforms.values()))


def _is_hyperparameter(value) -> bool:
    """Numbers, tuples of numbers and schedules are injected; anything else stays a static argument."""
    if isinstance(value, bool):
        return False
    if isinstance(value, numbers.Real) or callable(value):
        return True
    return isinstance(value, tuple) and len(value) > 0 and all(_is_hyperparameter(v) and not callable(v)
                                                               for v in value)


def inject_hyperparams(factory, static_args=()):
    """Make a transformation's hyperparameters live in its state, to be changed or logged at run time.

    ``inject_hyperparams(scale_by_adam)(b1=0.9)`` returns a transformation
    whose state holds 'hyperparams' (every numeric argument of the factory,
    given or defaulted), 'count' and the wrapped 'inner_state'. Setting
    ``state['hyperparams']['b1'] = 0.8`` takes effect at the next update. An
    argument given as a callable is a schedule of the update count: its value
    is recomputed every step (and written into 'hyperparams', for logging).
    Name in `static_args` any callable argument that is not a schedule (a
    mask). Inside from_transform the injected values, not the param groups,
    drive the wrapped transformation.
    """
    signature = inspect.signature(factory)
    name = getattr(factory, "__name__", "inject_hyperparams")

    def bind(*args, **kwargs) -> GradientTransformation:
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        injected = {k: v for k, v in bound.arguments.items() if k not in static_args and _is_hyperparameter(v)}
        schedules = {k: v for k, v in injected.items() if callable(v)}

        def build(hyperparams) -> GradientTransformation:
            bound.arguments.update(hyperparams)
            return as_transform(factory(*bound.args, **bound.kwargs))

        def values_at(hyperparams, count) -> dict:
            return {**hyperparams, **{k: fn(count) for k, fn in schedules.items()}}

        def init(params):
            hyperparams = values_at(injected, 0)
            return {"count": 0, "hyperparams": hyperparams, "inner_state": build(hyperparams).init(params)}

        def update(updates, state, params=None, *, groups=None):
            count = state["count"]
            hyperparams = values_at(state["hyperparams"], count)
            updates, inner_state = build(hyperparams).update(updates, state["inner_state"], params, groups=None)
            return updates, {"count": count + 1, "hyperparams": hyperparams, "inner_state": inner_state}
        return GradientTransformation(init, update, name)
    return bind


def accumulate(inner, every_k: int) -> GradientTransformation:
    """Gradient accumulation: `inner` steps once every `every_k` calls, on the mean of the updates received.

    The mean is the sum of a parameter's updates over the k micro-steps
    divided by k (a micro-step where it had none counts as zero), the same as
    summing the gradients of loss / k in torch. The calls in between give no
    update (None), so parameters stay as they are; so does a parameter that
    got no update in the whole cycle. State: 'count' (micro-steps so far in
    this cycle), per parameter 'acc' (the running sum) and 'n', and
    'inner_state'.
    """
    inner = as_transform(inner)
    if not (isinstance(every_k, int) and every_k >= 1):
        raise ValueError(f"every_k must be a positive integer, but got {every_k!r}")

    def new_acc(like):
        return {"acc": zeros_like(like), "n": 0}

    def init(params):
        params = as_tree(params)
        return {"count": 0, PER_PARAM: tree_map(new_acc, params), "inner_state": inner.init(params)}

    def update(updates, state, params=None, *, groups=None):
        accs = state[PER_PARAM]
        for k in tree_keys(updates):
            u = updates[k]
            if u is not None:
                if accs[k] is None:
                    accs[k] = new_acc(u if params is None else params[k])
                accs[k]["acc"].add_(u)
                accs[k]["n"] += 1
        count = state["count"] + 1
        inner_state = state["inner_state"]
        if count < every_k:
            return none_like(updates), {"count": count, PER_PARAM: accs, "inner_state": inner_state}
        means = none_like(updates)
        for k in tree_keys(updates):
            acc = accs[k]
            if acc is not None and acc["n"]:
                means[k] = acc["acc"].div(every_k)
                acc["acc"].zero_()
                acc["n"] = 0
        updates, inner_state = inner.update(means, inner_state, params, groups=groups)
        return updates, {"count": 0, PER_PARAM: accs, "inner_state": inner_state}
    return GradientTransformation(init, update, "accumulate", inner.defaults)
