"""RMSprop trajectories, state, checkpoints and errors equal torch 2.13's for every option combination."""
import itertools

import pytest

from tests.optim.parity import compare
from tests.optim.properties import (DTYPES, OptimizerProperties, assert_same_outcome, check_meta_gradient,
                                    step_once)
from tests.optim.test_adam import _as_capturable
from tests.optim.test_optimizer import _leaf

COMBOS = [dict(centered=ce, momentum=mo, weight_decay=wd, maximize=mx)
          for ce, mo, wd, mx in itertools.product((False, True), (0, 0.9), (0, 0.1), (False, True))]


@DTYPES
@pytest.mark.parametrize("kw", COMBOS, ids=lambda kw: "-".join(f"{k}={v}" for k, v in kw.items()))
def test_trajectory(kw, dtype):
    compare(lambda m, ps: m.optim.RMSprop(ps, lr=0.01, alpha=0.9, eps=1e-6, **kw), dtype)


@DTYPES
def test_defaults(dtype):
    compare(lambda m, ps: m.optim.RMSprop(ps), dtype)


def groups(m, ps):
    return m.optim.RMSprop([{"params": ps[:1]}, {"params": ps[1:3], "lr": 0.02, "centered": True, "alpha": 0.5},
                            {"params": ps[3:], "weight_decay": 0.2, "maximize": True, "momentum": 0}],
                           lr=0.01, momentum=0.5, weight_decay=0.01)


@DTYPES
def test_groups_with_different_options(dtype):
    compare(groups, dtype)


@DTYPES
def test_tensor_lr(dtype):
    compare(lambda m, ps: m.optim.RMSprop(ps, lr=m.tensor([0.01]), centered=True), dtype)
    compare(lambda m, ps: m.optim.RMSprop(ps, lr=m.tensor(0.01), momentum=0.9), dtype)


@DTYPES
def test_foreach_flag(dtype):
    """numtorch with foreach=True equals torch's foreach implementation."""
    compare(lambda m, ps: m.optim.RMSprop(ps, lr=0.01, centered=True, momentum=0.9, weight_decay=0.1,
                                          maximize=True, foreach=True), dtype)


def test_capturable_changes_nothing_on_cpu():
    compare(lambda m, ps: m.optim.RMSprop(ps, centered=True, capturable=True),
            torch_make_opt=lambda m, ps: _as_capturable(m.optim.RMSprop(ps, centered=True)))


class TestProperties(OptimizerProperties):
    make_opt = staticmethod(groups)
    new_options = ("momentum", "centered", "foreach", "maximize", "differentiable", "capturable")


ERRORS = {
    "negative lr": lambda m: m.optim.RMSprop([_leaf(m, 2)], lr=-0.1),
    "2-element lr": lambda m: m.optim.RMSprop([_leaf(m, 2)], lr=m.tensor([0.1, 0.2])),
    "negative eps": lambda m: m.optim.RMSprop([_leaf(m, 2)], eps=-1.0),
    "negative momentum": lambda m: m.optim.RMSprop([_leaf(m, 2)], momentum=-0.1),
    "negative weight_decay": lambda m: m.optim.RMSprop([_leaf(m, 2)], weight_decay=-0.1),
    "negative alpha": lambda m: m.optim.RMSprop([_leaf(m, 2)], alpha=-0.1),
    "foreach differentiable": lambda m: step_once(m.optim.RMSprop([_leaf(m, 2)], foreach=True, differentiable=True)),
}


@pytest.mark.parametrize("name", list(ERRORS))
def test_errors_match_torch(name):
    assert_same_outcome(ERRORS[name])


@pytest.mark.parametrize("kw", [dict(), dict(centered=True, weight_decay=0.1), dict(momentum=0.9, maximize=True),
                                dict(centered=True, momentum=0.5, alpha=0.5)])
@pytest.mark.parametrize("tensor_lr", [False, True])
@pytest.mark.parametrize("steps", [1, 3])
def test_meta_gradient_matches_torch(kw, tensor_lr, steps):
    """From the second step on torch's own graph can break (with centered=True, grad_avg is updated in place):
    numtorch must refuse alike."""
    check_meta_gradient("RMSprop", kw, tensor_lr, steps)
