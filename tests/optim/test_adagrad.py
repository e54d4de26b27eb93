"""Adagrad trajectories, state, checkpoints and errors equal torch 2.13's for every option combination."""
import itertools

import pytest

from tests.optim.parity import compare
from tests.optim.properties import (DTYPES, OptimizerProperties, assert_same_outcome, check_meta_gradient,
                                    step_once)
from tests.optim.test_optimizer import _leaf

COMBOS = [dict(lr_decay=ld, weight_decay=wd, initial_accumulator_value=iv, maximize=mx)
          for ld, wd, iv, mx in itertools.product((0, 0.1), (0, 0.1), (0, 0.5), (False, True))]


@DTYPES
@pytest.mark.parametrize("kw", COMBOS, ids=lambda kw: "-".join(f"{k}={v}" for k, v in kw.items()))
def test_trajectory(kw, dtype):
    compare(lambda m, ps: m.optim.Adagrad(ps, lr=0.1, eps=1e-6, **kw), dtype)


@DTYPES
def test_defaults(dtype):
    compare(lambda m, ps: m.optim.Adagrad(ps), dtype)


def groups(m, ps):
    """The second group's initial_accumulator_value is ignored, as in torch: state is made in __init__."""
    return m.optim.Adagrad([{"params": ps[:1]}, {"params": ps[1:3], "lr": 0.02, "initial_accumulator_value": 0.7},
                            {"params": ps[3:], "weight_decay": 0.2, "maximize": True, "lr_decay": 0.3}],
                           lr=0.1, weight_decay=0.01, initial_accumulator_value=0.1)


@DTYPES
def test_groups_with_different_options(dtype):
    compare(groups, dtype)


@DTYPES
def test_group_added_later_gets_state_lazily(dtype):
    def make(m, ps):
        opt = m.optim.Adagrad(ps[:2], lr=0.1, initial_accumulator_value=0.3)
        opt.add_param_group({"params": ps[2:], "initial_accumulator_value": 0.9, "lr_decay": 0.1})
        return opt
    compare(make, dtype)


@DTYPES
def test_tensor_lr(dtype):
    compare(lambda m, ps: m.optim.Adagrad(ps, lr=m.tensor([0.05]), lr_decay=0.1), dtype)


@DTYPES
@pytest.mark.parametrize("flags", [dict(foreach=True), dict(fused=True), dict(foreach=False, fused=False)])
def test_foreach_and_fused_flags(flags, dtype):
    """numtorch with the flags equals torch's own implementation for the same flags."""
    compare(lambda m, ps: m.optim.Adagrad(ps, lr=0.1, lr_decay=0.05, weight_decay=0.1, maximize=True, **flags),
            dtype)


class TestProperties(OptimizerProperties):
    make_opt = staticmethod(groups)
    new_options = ("foreach", "maximize", "differentiable", "fused")


ERRORS = {
    "negative lr": lambda m: m.optim.Adagrad([_leaf(m, 2)], lr=-0.1),
    "2-element lr": lambda m: m.optim.Adagrad([_leaf(m, 2)], lr=m.tensor([0.1, 0.2])),
    "negative lr_decay": lambda m: m.optim.Adagrad([_leaf(m, 2)], lr_decay=-0.1),
    "negative weight_decay": lambda m: m.optim.Adagrad([_leaf(m, 2)], weight_decay=-0.1),
    "negative initial_accumulator_value": lambda m: m.optim.Adagrad([_leaf(m, 2)], initial_accumulator_value=-1),
    "nan eps": lambda m: m.optim.Adagrad([_leaf(m, 2)], eps=float("nan")),
    "fused differentiable": lambda m: m.optim.Adagrad([_leaf(m, 2)], fused=True, differentiable=True),
    "fused foreach": lambda m: m.optim.Adagrad([_leaf(m, 2)], fused=True, foreach=True),
    "foreach differentiable": lambda m: step_once(m.optim.Adagrad([_leaf(m, 2)], foreach=True, differentiable=True)),
}


@pytest.mark.parametrize("name", list(ERRORS))
def test_errors_match_torch(name):
    assert_same_outcome(ERRORS[name])


@pytest.mark.parametrize("kw", [dict(), dict(lr_decay=0.1, weight_decay=0.1, maximize=True,
                                             initial_accumulator_value=0.5)])
@pytest.mark.parametrize("tensor_lr", [False, True])
def test_meta_gradient_matches_torch(kw, tensor_lr):
    check_meta_gradient("Adagrad", kw, tensor_lr)
