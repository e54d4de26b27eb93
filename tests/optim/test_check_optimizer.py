"""check_optimizer: every built-in optimizer passes, each broken one is caught by the right property.

The broken optimizers (tests/optim/broken_optimizers.py) are one per pitfall;
each must fail exactly the properties listed for it, with the failure code
whose explanation names its bug, and nothing else.
"""
from __future__ import annotations

import numpy as np
import pytest

import numtorch
from numtorch import optim
from numtorch.optim.testing import (EXPLANATIONS, PROPERTIES, CheckReport, OptimizerCheckError, Problem,
                                    check_optimizer)
from tests.optim.broken_optimizers import EXPECTED, Momentum

MATRICES = [(3, 4), (4, 2), (2, 5)]  # Muon and SparseAdam take matrices only

# (class, options, {property: why it does not hold for torch's algorithm})
BUILTINS = [
    (optim.Adam, dict(lr=0.1), {}),
    (optim.Adam, dict(lr=0.1, amsgrad=True, weight_decay=0.1, foreach=False), {}),
    (optim.AdamW, dict(lr=0.1), {}),
    (optim.SGD, dict(lr=0.1, momentum=0.9, nesterov=True), {}),
    (optim.SGD, dict(lr=0.1, momentum=0.5, dampening=0.1, foreach=False), {}),
    (optim.Adagrad, dict(lr=0.1), {"lazy_state": "torch's Adagrad creates its state in __init__"}),
    (optim.Adadelta, dict(), {}),
    (optim.Adamax, dict(lr=0.1), {}),
    # loading casts ASGD's eta/mu and NAdam's mu_product (float32 scalars) to a float64 param's dtype, in torch
    # too; with float32 params the round trip is exact
    (optim.ASGD, dict(lr=0.1, dtype=numtorch.float32), {}),
    (optim.NAdam, dict(lr=0.1, dtype=numtorch.float32), {}),
    (optim.RAdam, dict(lr=0.1), {}),
    (optim.RMSprop, dict(lr=0.01, momentum=0.5, centered=True), {}),
    (optim.Rprop, dict(lr=0.01), {"lr_used": "torch's Rprop reads lr only as its initial step size"}),
    (optim.Adafactor, dict(lr=0.1), {"zero_size": "torch's Adafactor divides by numel (ZeroDivisionError)"}),
    (optim.LBFGS, dict(max_iter=4, steps=6),
     {"none_grad": "LBFGS steps all params as one vector, a None grad counting as zeros (as torch's does)"}),
    (optim.Muon, dict(lr=0.02, shapes=MATRICES), {}),
    (optim.SparseAdam, dict(lr=0.1, sparse_grads=True, shapes=MATRICES), {}),
]


def _id(case) -> str:
    cls, options, _ = case
    return cls.__name__ + "".join(f"-{k}" for k in options if k not in ("lr", "shapes", "dtype", "sparse_grads"))


def test_every_builtin_is_covered():
    covered = {cls for cls, _, _ in BUILTINS}
    assert covered == {getattr(optim, n) for n in optim.__all__} - {optim.Optimizer}


@pytest.mark.parametrize("case", BUILTINS, ids=_id)
def test_builtin_optimizer_passes(case):
    cls, options, skip = case
    report = check_optimizer(cls, skip=skip, **options)
    report.raise_if_failed()
    not_applicable = {"reference"} | set(skip)
    if cls is optim.LBFGS:
        not_applicable |= {"maximize", "param_groups", "add_param_group"}
    if cls is optim.Muon:
        not_applicable |= {"maximize"}
    assert {r.name for r in report.skipped} == not_applicable, str(report)
    assert report.notes == (("steps use a closure (the optimizer needs one)",) if cls is optim.LBFGS else ())


@pytest.mark.parametrize("broken", list(EXPECTED), ids=lambda c: c.__name__)
def test_broken_optimizer_is_caught(broken):
    report = check_optimizer(broken)
    assert {r.name: r.code for r in report.failed} == EXPECTED[broken], str(report)
    text = str(report)
    for r in report.failed:
        assert r.explanation == EXPLANATIONS[r.code] and r.explanation in text and r.detail


def test_correct_subclass_passes_with_and_without_options():
    assert check_optimizer(Momentum).ok
    assert check_optimizer(Momentum, lr=0.05, momentum=0.5, weight_decay=0.01).ok


def test_factory_form_puts_options_into_groups():
    """A factory that takes only params still gets maximize and per-group options, through group dicts."""
    report = check_optimizer(lambda params: optim.Adam(params, lr=0.1))
    assert report.ok and report["maximize"].passed and report["param_groups"].passed


def test_chain_through_from_transform():
    transforms = pytest.importorskip("numtorch.optim.transforms")
    adam = lambda params: optim.from_transform(params, transforms.adam(lr=0.1))  # noqa: E731
    check_optimizer(adam, reference=lambda params: optim.Adam(params, lr=0.1)).raise_if_failed()


def _numpy_momentum(lr=0.1, momentum=0.9):
    """The reference as a step function on arrays, written from the algorithm's definition."""
    def step(params, grads, state):
        out = []
        for i, (x, g) in enumerate(zip(params, grads)):
            if g is None:
                out.append(x)
                continue
            buf = state[i] = g.copy() if i not in state else momentum * state[i] + g
            out.append(x - lr * buf)
        return out
    return step


def test_reference_step_function():
    assert check_optimizer(Momentum, _numpy_momentum())["reference"].passed
    report = check_optimizer(Momentum, _numpy_momentum(momentum=0.8))
    assert [r.code for r in report.failed] == ["reference.differs"]
    assert report["reference"].detail.startswith("step 2, param 0")  # step 1 has no momentum yet


def test_reference_optimizer_class_gets_the_same_options():
    assert check_optimizer(Momentum, optim.SGD, lr=0.1, momentum=0.9)["reference"].passed
    report = check_optimizer(Momentum, optim.SGD, lr=0.1, momentum=0.9, properties=["reference"])
    assert [r.name for r in report] == ["runs", "reference"] and report.ok
    report = check_optimizer(Momentum, lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, dampening=0.5),
                             properties=["reference"])
    assert [r.code for r in report.failed] == ["reference.differs"]


def test_report_interface():
    report = check_optimizer(EXPECTED and next(iter(EXPECTED)))  # ModifiesGrad
    assert isinstance(report, CheckReport) and not report.ok
    assert [r.name for r in report] == list(PROPERTIES)
    assert report["grad_untouched"].failed and "grad_untouched" in report
    assert len(report.passed) + len(report.failed) + len(report.skipped) == len(report)
    with pytest.raises(OptimizerCheckError, match="grad_untouched +FAIL") as info:
        report.raise_if_failed()
    assert info.value.report is report and isinstance(info.value, AssertionError)
    assert "failed (grad_untouched)" in repr(report)


def test_selection_and_skips():
    report = check_optimizer(optim.SGD, properties=["deepcopy"], skip={"deepcopy": "not today"}, lr=0.1)
    assert [(r.name, r.status, r.explanation) for r in report] == [("runs", "pass", ""),
                                                                  ("deepcopy", "skip", "not today")]
    with pytest.raises(ValueError, match="unknown properties"):
        check_optimizer(optim.SGD, properties=["no_such_property"])


def test_dependent_properties_are_skipped_not_misreported():
    report = check_optimizer(lambda params: (_ for _ in ()).throw(RuntimeError("no optimizer today")))
    assert [r.code for r in report.failed] == ["runs.build"]
    assert "no optimizer today" in report["runs"].detail
    assert all(r.explanation == "depends on 'runs', which failed" for r in report.skipped)


def test_callers_rng_and_grad_mode_are_restored():
    numtorch.manual_seed(123)
    expected = numtorch.rand(3)
    numtorch.manual_seed(123)
    with numtorch.no_grad():
        check_optimizer(optim.Adam, lr=0.1, properties=["deterministic"])
        assert not numtorch.is_grad_enabled()
    np.testing.assert_array_equal(numtorch.rand(3).numpy(), expected.numpy())


def test_problem_gradients_are_the_objectives_derivatives():
    for kind in ("quadratic", "nonconvex"):
        problem = Problem([(2, 3)], seed=1, kind=kind)
        x = np.random.default_rng(0).standard_normal((2, 3))
        e = np.zeros_like(x)
        e[1, 2] = 1e-6
        numeric = (problem.loss(0, x + e, 4) - problem.loss(0, x - e, 4)) / 2e-6
        assert abs(numeric - problem.grad(0, x, 4)[1, 2]) < 1e-6


def test_group_options_choose_what_the_second_group_changes():
    from tests.optim.broken_optimizers import IgnoresGroupOptions
    assert check_optimizer(Momentum, group_options={"momentum": 0.5}, properties=["param_groups"]).ok
    # reading weight_decay from self.defaults goes unnoticed when the groups differ in lr only
    assert check_optimizer(IgnoresGroupOptions, group_options={"lr": 0.05}, properties=["param_groups"]).ok


def test_gradients_by_autograd_with_create_graph():
    """create_graph=True: grads from loss.backward(create_graph=True), equal to the closed-form ones."""
    report = check_optimizer(Momentum, _numpy_momentum(), create_graph=True)
    assert report.ok and report["reference"].passed, str(report)
