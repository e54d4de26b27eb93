"""ASGD trajectories, state, checkpoints and errors equal torch 2.13's for every option combination.

A small t0 makes the averaging (mu < 1) start inside the 20 steps.
"""
import itertools

import pytest

from tests.optim.parity import compare
from tests.optim.properties import (DTYPES, OptimizerProperties, assert_same_outcome, check_meta_gradient,
                                    step_once)
from tests.optim.test_adam import _as_capturable
from tests.optim.test_optimizer import _leaf

COMBOS = [dict(t0=t0, lambd=la, weight_decay=wd, maximize=mx)
          for t0, la, wd, mx in itertools.product((1e6, 5.0), (1e-4, 0.5), (0, 0.1), (False, True))]


@DTYPES
@pytest.mark.parametrize("kw", COMBOS, ids=lambda kw: "-".join(f"{k}={v}" for k, v in kw.items()))
def test_trajectory(kw, dtype):
    compare(lambda m, ps: m.optim.ASGD(ps, lr=0.05, alpha=0.6, **kw), dtype)


@DTYPES
def test_defaults(dtype):
    compare(lambda m, ps: m.optim.ASGD(ps), dtype)


def groups(m, ps):
    return m.optim.ASGD([{"params": ps[:1]}, {"params": ps[1:3], "lr": 0.02, "t0": 3, "alpha": 0.9},
                         {"params": ps[3:], "weight_decay": 0.2, "maximize": True}], lr=0.1, lambd=0.1, t0=8)


@DTYPES
def test_groups_with_different_options(dtype):
    compare(groups, dtype)


@DTYPES
def test_tensor_lr(dtype):
    """eta then follows the Tensor lr's own dtype arithmetic, as in torch.

    (The lr has the params' dtype: with a float32 lr, eta takes a float32 pow,
    where NumPy's result can be 1 ulp from torch's, beyond float64 tolerance.)
    """
    compare(lambda m, ps: m.optim.ASGD(ps, lr=m.tensor([0.05], dtype=getattr(m, dtype)), lambd=0.3, t0=4), dtype)


def test_foreach_flag():
    """numtorch with foreach=True equals torch's foreach implementation, to float32 rounding: torch's
    foreach ASGD computes eta from the float32 `step` tensor, its for-loop from a Python number."""
    compare(lambda m, ps: m.optim.ASGD(ps, lr=0.05, lambd=0.2, t0=5, weight_decay=0.1, maximize=True,
                                       foreach=True), "float32")


def test_capturable_changes_nothing_on_cpu():
    compare(lambda m, ps: m.optim.ASGD(ps, lr=0.05, t0=5, capturable=True),
            torch_make_opt=lambda m, ps: _as_capturable(m.optim.ASGD(ps, lr=0.05, t0=5)))


class TestProperties(OptimizerProperties):
    make_opt = staticmethod(groups)
    number_state = ("step", "eta", "mu")
    load_casts_float32_state = True


ERRORS = {
    "negative lr": lambda m: m.optim.ASGD([_leaf(m, 2)], lr=-0.1),
    "2-element lr": lambda m: m.optim.ASGD([_leaf(m, 2)], lr=m.tensor([0.1, 0.2])),
    "negative weight_decay": lambda m: m.optim.ASGD([_leaf(m, 2)], weight_decay=-0.1),
    "negative lambd accepted": lambda m: m.optim.ASGD([_leaf(m, 2)], lambd=-0.1, t0=-1),
    "foreach differentiable": lambda m: step_once(m.optim.ASGD([_leaf(m, 2)], foreach=True, differentiable=True)),
}


@pytest.mark.parametrize("name", list(ERRORS))
def test_errors_match_torch(name):
    assert_same_outcome(ERRORS[name])


@pytest.mark.parametrize("kw", [dict(), dict(t0=1, lambd=0.2, weight_decay=0.1, maximize=True)])
@pytest.mark.parametrize("tensor_lr", [False, True])
def test_meta_gradient_matches_torch(kw, tensor_lr):
    check_meta_gradient("ASGD", kw, tensor_lr)
