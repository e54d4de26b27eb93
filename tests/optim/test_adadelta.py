"""Adadelta trajectories, state, checkpoints and errors equal torch 2.13's for every option combination."""
import itertools

import pytest

from tests.optim.parity import compare
from tests.optim.properties import (DTYPES, OptimizerProperties, assert_same_outcome, check_meta_gradient,
                                    step_once)
from tests.optim.test_adam import _as_capturable
from tests.optim.test_optimizer import _leaf

COMBOS = [dict(rho=rho, weight_decay=wd, maximize=mx)
          for rho, wd, mx in itertools.product((0.9, 0.5), (0, 0.1), (False, True))]


@DTYPES
@pytest.mark.parametrize("kw", COMBOS, ids=lambda kw: "-".join(f"{k}={v}" for k, v in kw.items()))
def test_trajectory(kw, dtype):
    compare(lambda m, ps: m.optim.Adadelta(ps, lr=0.5, eps=1e-3, **kw), dtype)


@DTYPES
def test_defaults(dtype):
    compare(lambda m, ps: m.optim.Adadelta(ps), dtype)


def groups(m, ps):
    return m.optim.Adadelta([{"params": ps[:1]}, {"params": ps[1:3], "lr": 0.2, "rho": 0.6},
                             {"params": ps[3:], "weight_decay": 0.2, "maximize": True}], lr=0.9, eps=1e-4,
                            weight_decay=0.01)


@DTYPES
def test_groups_with_different_options(dtype):
    compare(groups, dtype)


@DTYPES
def test_tensor_lr(dtype):
    compare(lambda m, ps: m.optim.Adadelta(ps, lr=m.tensor([0.7]), eps=1e-3), dtype)


@DTYPES
def test_foreach_flag(dtype):
    """numtorch with foreach=True equals torch's foreach implementation."""
    compare(lambda m, ps: m.optim.Adadelta(ps, lr=0.5, eps=1e-3, weight_decay=0.1, maximize=True, foreach=True),
            dtype)


def test_capturable_changes_nothing_on_cpu():
    compare(lambda m, ps: m.optim.Adadelta(ps, eps=1e-3, capturable=True),
            torch_make_opt=lambda m, ps: _as_capturable(m.optim.Adadelta(ps, eps=1e-3)))


class TestProperties(OptimizerProperties):
    make_opt = staticmethod(groups)


ERRORS = {
    "negative lr": lambda m: m.optim.Adadelta([_leaf(m, 2)], lr=-0.1),
    "2-element lr": lambda m: m.optim.Adadelta([_leaf(m, 2)], lr=m.tensor([0.1, 0.2])),
    "rho > 1": lambda m: m.optim.Adadelta([_leaf(m, 2)], rho=1.5),
    "rho = 1 accepted": lambda m: m.optim.Adadelta([_leaf(m, 2)], rho=1.0),
    "negative eps": lambda m: m.optim.Adadelta([_leaf(m, 2)], eps=-1.0),
    "negative weight_decay": lambda m: m.optim.Adadelta([_leaf(m, 2)], weight_decay=-0.1),
    "foreach differentiable": lambda m: step_once(m.optim.Adadelta([_leaf(m, 2)], foreach=True, differentiable=True)),
}


@pytest.mark.parametrize("name", list(ERRORS))
def test_errors_match_torch(name):
    assert_same_outcome(ERRORS[name])


@pytest.mark.parametrize("kw", [dict(), dict(rho=0.5, weight_decay=0.1, maximize=True, eps=1e-2)])
@pytest.mark.parametrize("tensor_lr", [False, True])
def test_meta_gradient_matches_torch(kw, tensor_lr):
    check_meta_gradient("Adadelta", kw, tensor_lr)
