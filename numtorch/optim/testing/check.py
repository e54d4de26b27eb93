"""check_optimizer: every conformance property, run on one optimizer, in one call."""
from __future__ import annotations

import numtorch

from ...autograd.grad_mode import is_grad_enabled, set_grad_enabled
from .harness import Fail, Harness, Skip
from .properties import EXPLANATIONS, PROPERTIES, error_text
from .report import FAIL, PASS, SKIP, CheckReport, PropertyResult

__all__ = ["check_optimizer"]

DEFAULT_SHAPES = ((3, 4), (5,), ())


def check_optimizer(factory, reference=None, *, steps: int = 10, seed: int = 0, properties=None, skip=None,
                    shapes=DEFAULT_SHAPES, zero_shape=(0, 3), dtype=None, sparse_grads: bool = False,
                    create_graph: bool = False, group_options=None, rtol: float = 1e-7, atol: float = 1e-9,
                    **options) -> CheckReport:
    """Run the conformance properties on an optimizer and report which fail, and why.

    Args:
        factory: an Optimizer subclass (called as ``factory(params, **options)``)
            or any callable ``factory(params) -> optimizer`` (e.g. a lambda
            around ``optim.from_transform``). ``params`` is a list of tensors
            or of param-group dicts; options a property varies (``maximize``,
            a group's ``lr``) go to the constructor when it takes them by name,
            else into the group dicts.
        reference: optional; another optimizer class or factory built the same
            way, or a step function ``reference(params, grads, state) -> new
            params`` on NumPy arrays (``grads[i]`` is None when param i has no
            grad; ``state`` is a dict it may keep anything in). The trajectory
            must match it to ``rtol``/``atol``.
        steps: steps per run (each property runs a few short runs).
        seed: seeds the problems and numtorch's generator (reseeded before
            every step, so optimizers that draw random numbers stay comparable);
            the caller's generator state is restored afterwards.
        properties: names of the properties to run (default: all, see
            ``PROPERTIES``); ``runs`` always runs.
        skip: ``{name: reason}`` for properties that do not hold by design
            (torch's Rprop reads lr only as its initial step size, so
            ``skip={"lr_used": ...}``); they are reported as skipped.
        shapes: the param shapes (Muon needs 2-D ones); ``zero_shape`` is the
            extra zero-size param of the ``zero_size`` property.
        dtype: the params' dtype (float64 by default).
        sparse_grads: feed sparse COO gradients (SparseAdam), rows thinned out.
        create_graph: compute the gradients by ``loss.backward(create_graph=True)``
            (for optimizers that differentiate through them, like SophiaH).
        group_options: the options of the second param group in
            ``param_groups`` (default: half the lr and another weight_decay).
        **options: passed to ``factory`` (``check_optimizer(MyOpt, lr=0.1)``).

    Returns a CheckReport: print it for a table of every property with a
    one-line explanation of the likely bug for each failure;
    ``report.raise_if_failed()`` turns failures into an AssertionError.
    """
    if steps < 2:
        raise ValueError(f"check_optimizer needs steps >= 2 (runs are interrupted half way), got {steps}")
    names = _selected(properties, skip)
    skip = dict(skip or {})
    h = Harness(factory, options, shapes=shapes, zero_shape=zero_shape,
                dtype=numtorch.float64 if dtype is None else dtype, seed=seed, steps=steps,
                sparse_grads=sparse_grads, create_graph=create_graph, group_options=group_options,
                reference=reference, rtol=rtol, atol=atol)
    results = h.results
    rng_state, grad_mode = numtorch.get_rng_state(), is_grad_enabled()
    try:
        for name in names:
            results[name] = _run_one(name, h, results, skip)
            set_grad_enabled(grad_mode)  # an optimizer that leaks a grad mode must not skew the next property
    finally:
        numtorch.set_rng_state(rng_state)
        set_grad_enabled(grad_mode)
    notes = ("steps use a closure (the optimizer needs one)",) if h.closure_mode else ()
    return CheckReport(_subject(factory, options), list(results.values()), notes)


def _selected(properties, skip) -> list:
    wanted = list(PROPERTIES) if properties is None else list(properties)
    unknown = [n for n in list(wanted) + list(skip or ()) if n not in PROPERTIES]
    if unknown:
        raise ValueError(f"unknown properties {unknown}; known: {list(PROPERTIES)}")
    return [n for n in PROPERTIES if n in wanted or n == "runs"]


def _run_one(name: str, h: Harness, results: dict, skip: dict) -> PropertyResult:
    prop = PROPERTIES[name]
    if name in skip:
        return PropertyResult(name, SKIP, str(skip[name]))
    broken = next((n for n in prop.needs if _failed(results, n)), None)
    if broken:
        return PropertyResult(name, SKIP, f"depends on '{broken.split('.')[0]}', which failed")
    try:
        note = prop.fn(h)
    except Skip as s:
        return PropertyResult(name, SKIP, str(s))
    except Fail as f:
        return PropertyResult(name, FAIL, f.explanation or EXPLANATIONS[f.code], f.detail, f.code)
    except Exception as e:  # the optimizer raised where the property expected it to work
        return PropertyResult(name, FAIL, f"raised {error_text(e)}", "", f"{name}.raised")
    return PropertyResult(name, PASS, "", note or "")


def _failed(results: dict, need: str) -> bool:
    """Whether a needed property failed; `need` is a property name or one of its failure codes."""
    result = results.get(need.split(".")[0])
    return result is not None and result.failed and (need == result.name or need == result.code)


def _subject(factory, options: dict) -> str:
    name = getattr(factory, "__qualname__", None) or type(factory).__name__
    return name + "".join(f", {k}={v!r}" for k, v in options.items())
