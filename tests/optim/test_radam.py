"""RAdam trajectories, state, checkpoints and errors equal torch 2.13's for every option combination.

Every run crosses the rectification threshold (rho_t > 5) after a few steps, so
both branches of the update are compared.
"""
import itertools

import pytest

from tests.optim.parity import compare
from tests.optim.properties import (DTYPES, OptimizerProperties, assert_same_outcome, check_meta_gradient,
                                    step_once)
from tests.optim.test_adam import _as_capturable
from tests.optim.test_optimizer import _leaf

COMBOS = [dict(weight_decay=wd, decoupled_weight_decay=dw, maximize=mx)
          for wd, dw, mx in itertools.product((0, 0.1), (False, True), (False, True)) if wd or not dw]


@DTYPES
@pytest.mark.parametrize("betas", [(0.8, 0.95), (0.9, 0.5)], ids=["threshold-crossed", "never-rectified"])
@pytest.mark.parametrize("kw", COMBOS, ids=lambda kw: "-".join(f"{k}={v}" for k, v in kw.items()))
def test_trajectory(kw, betas, dtype):
    compare(lambda m, ps: m.optim.RAdam(ps, lr=0.05, betas=betas, eps=1e-6, **kw), dtype)


@DTYPES
def test_defaults(dtype):
    compare(lambda m, ps: m.optim.RAdam(ps), dtype)


def groups(m, ps):
    return m.optim.RAdam([{"params": ps[:1]}, {"params": ps[1:3], "lr": 0.02, "betas": (0.5, 0.9),
                                               "decoupled_weight_decay": False},
                          {"params": ps[3:], "weight_decay": 0.2, "maximize": True}],
                         lr=0.1, betas=(0.8, 0.95), weight_decay=0.01, decoupled_weight_decay=True)


@DTYPES
def test_groups_with_different_options(dtype):
    compare(groups, dtype)


@DTYPES
def test_tensor_lr(dtype):
    compare(lambda m, ps: m.optim.RAdam(ps, lr=m.tensor([0.05]), betas=(0.8, 0.95), weight_decay=0.1,
                                        decoupled_weight_decay=True), dtype)


@DTYPES
def test_foreach_flag(dtype):
    """numtorch with foreach=True equals torch's foreach implementation."""
    compare(lambda m, ps: m.optim.RAdam(ps, lr=0.05, betas=(0.8, 0.95), weight_decay=0.1, maximize=True,
                                        foreach=True), dtype)


def test_capturable_changes_nothing_on_cpu():
    compare(lambda m, ps: m.optim.RAdam(ps, lr=0.05, betas=(0.8, 0.95), capturable=True),
            torch_make_opt=lambda m, ps: _as_capturable(m.optim.RAdam(ps, lr=0.05, betas=(0.8, 0.95))))


class TestProperties(OptimizerProperties):
    make_opt = staticmethod(groups)
    new_options = ("foreach", "maximize", "differentiable", "decoupled_weight_decay", "capturable")


ERRORS = {
    "negative lr": lambda m: m.optim.RAdam([_leaf(m, 2)], lr=-0.1),
    "2-element lr": lambda m: m.optim.RAdam([_leaf(m, 2)], lr=m.tensor([0.1, 0.2])),
    "negative eps": lambda m: m.optim.RAdam([_leaf(m, 2)], eps=-1.0),
    "beta0 = 1": lambda m: m.optim.RAdam([_leaf(m, 2)], betas=(1.0, 0.9)),
    "beta1 < 0": lambda m: m.optim.RAdam([_leaf(m, 2)], betas=(0.9, -0.1)),
    "negative weight_decay": lambda m: m.optim.RAdam([_leaf(m, 2)], weight_decay=-0.1),
    "foreach differentiable": lambda m: step_once(m.optim.RAdam([_leaf(m, 2)], foreach=True, differentiable=True)),
}


@pytest.mark.parametrize("name", list(ERRORS))
def test_errors_match_torch(name):
    assert_same_outcome(ERRORS[name])


@pytest.mark.parametrize("kw", [dict(betas=(0.5, 0.9)), dict(betas=(0.5, 0.9), weight_decay=0.1, maximize=True),
                                dict(betas=(0.5, 0.9), weight_decay=0.1, decoupled_weight_decay=True)])
@pytest.mark.parametrize("tensor_lr", [False, True])
def test_meta_gradient_matches_torch(kw, tensor_lr):
    """Seven steps: rho_t first exceeds 5 at the sixth, so both branches are in the graph."""
    check_meta_gradient("RAdam", kw, tensor_lr, steps=7)
