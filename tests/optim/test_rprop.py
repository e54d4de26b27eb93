"""Rprop trajectories, state, checkpoints and errors equal torch 2.13's for every option combination.

Narrow step_sizes make both clamps bite within the 20 steps; etas that are not
binary fractions check the float32 comparison with etaminus.
"""
import itertools

import pytest

from tests.optim.parity import compare
from tests.optim.properties import (DTYPES, OptimizerProperties, assert_same_outcome, check_meta_gradient,
                                    step_once)
from tests.optim.test_adam import _as_capturable
from tests.optim.test_optimizer import _leaf

COMBOS = [dict(etas=et, step_sizes=ss, maximize=mx)
          for et, ss, mx in itertools.product(((0.5, 1.2), (0.3, 1.7)), ((1e-6, 50), (0.01, 0.08)), (False, True))]


@DTYPES
@pytest.mark.parametrize("kw", COMBOS, ids=lambda kw: "-".join(f"{k}={v}" for k, v in kw.items()))
def test_trajectory(kw, dtype):
    compare(lambda m, ps: m.optim.Rprop(ps, lr=0.05, **kw), dtype)


@DTYPES
def test_defaults(dtype):
    compare(lambda m, ps: m.optim.Rprop(ps), dtype)


def groups(m, ps):
    return m.optim.Rprop([{"params": ps[:1]}, {"params": ps[1:3], "lr": 0.02, "etas": (0.3, 1.7)},
                          {"params": ps[3:], "step_sizes": (0.01, 0.03), "maximize": True}], lr=0.1)


@DTYPES
def test_groups_with_different_options(dtype):
    compare(groups, dtype)


@DTYPES
def test_tensor_lr(dtype):
    compare(lambda m, ps: m.optim.Rprop(ps, lr=m.tensor([0.05])), dtype)


@DTYPES
def test_foreach_flag(dtype):
    """numtorch with foreach=True equals torch's foreach implementation."""
    compare(lambda m, ps: m.optim.Rprop(ps, lr=0.05, etas=(0.3, 1.7), maximize=True, foreach=True), dtype)


def test_capturable_changes_nothing_on_cpu():
    compare(lambda m, ps: m.optim.Rprop(ps, capturable=True),
            torch_make_opt=lambda m, ps: _as_capturable(m.optim.Rprop(ps)))


class TestProperties(OptimizerProperties):
    make_opt = staticmethod(groups)


ERRORS = {
    "negative lr": lambda m: m.optim.Rprop([_leaf(m, 2)], lr=-0.1),
    "2-element lr": lambda m: m.optim.Rprop([_leaf(m, 2)], lr=m.tensor([0.1, 0.2])),
    "etaminus = 0": lambda m: m.optim.Rprop([_leaf(m, 2)], etas=(0.0, 1.2)),
    "etaminus = 1": lambda m: m.optim.Rprop([_leaf(m, 2)], etas=(1.0, 1.2)),
    "etaplus < 1": lambda m: m.optim.Rprop([_leaf(m, 2)], etas=(0.5, 0.9)),
    "tensor lr requiring grad": lambda m: step_once(m.optim.Rprop([_leaf(m, 2)], lr=m.tensor(0.1, requires_grad=True))),
    "foreach differentiable": lambda m: step_once(m.optim.Rprop([_leaf(m, 2)], foreach=True, differentiable=True)),
}


@pytest.mark.parametrize("name", list(ERRORS))
def test_errors_match_torch(name):
    assert_same_outcome(ERRORS[name])


@pytest.mark.parametrize("kw", [dict(), dict(etas=(0.3, 1.7), step_sizes=(0.05, 0.2), maximize=True)])
@pytest.mark.parametrize("tensor_lr", [False, True])
@pytest.mark.parametrize("steps", [1, 3])
def test_meta_gradient_matches_torch(kw, tensor_lr, steps):
    """From the second step on torch's own graph can break (step_size is updated in place):
    numtorch must refuse alike."""
    check_meta_gradient("Rprop", kw, tensor_lr, steps)
