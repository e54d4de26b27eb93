"""NAdam trajectories, state, checkpoints and errors equal torch 2.13's for every option combination."""
import itertools

import pytest

from tests.optim.parity import compare
from tests.optim.properties import (DTYPES, OptimizerProperties, assert_same_outcome, check_meta_gradient,
                                    step_once)
from tests.optim.test_adam import _as_capturable
from tests.optim.test_optimizer import _leaf

COMBOS = [dict(weight_decay=wd, decoupled_weight_decay=dw, momentum_decay=md, maximize=mx)
          for wd, dw, md, mx in itertools.product((0, 0.1), (False, True), (4e-3, 0.3), (False, True))
          if wd or not dw]


@DTYPES
@pytest.mark.parametrize("kw", COMBOS, ids=lambda kw: "-".join(f"{k}={v}" for k, v in kw.items()))
def test_trajectory(kw, dtype):
    compare(lambda m, ps: m.optim.NAdam(ps, lr=0.05, betas=(0.8, 0.95), eps=1e-6, **kw), dtype)


@DTYPES
def test_defaults(dtype):
    compare(lambda m, ps: m.optim.NAdam(ps), dtype)


def groups(m, ps):
    return m.optim.NAdam([{"params": ps[:1]}, {"params": ps[1:3], "lr": 0.02, "betas": (0.5, 0.9),
                                               "decoupled_weight_decay": False},
                          {"params": ps[3:], "weight_decay": 0.2, "maximize": True, "momentum_decay": 0.1}],
                         lr=0.1, weight_decay=0.01, decoupled_weight_decay=True)


@DTYPES
def test_groups_with_different_options(dtype):
    compare(groups, dtype)


@DTYPES
def test_tensor_lr(dtype):
    compare(lambda m, ps: m.optim.NAdam(ps, lr=m.tensor([0.05]), weight_decay=0.1, decoupled_weight_decay=True),
            dtype)


@DTYPES
def test_foreach_flag(dtype):
    """numtorch with foreach=True equals torch's foreach implementation."""
    compare(lambda m, ps: m.optim.NAdam(ps, lr=0.05, weight_decay=0.1, maximize=True, foreach=True), dtype)


def test_capturable_changes_nothing_on_cpu():
    compare(lambda m, ps: m.optim.NAdam(ps, lr=0.05, capturable=True),
            torch_make_opt=lambda m, ps: _as_capturable(m.optim.NAdam(ps, lr=0.05)))


class TestProperties(OptimizerProperties):
    make_opt = staticmethod(groups)
    new_options = ("maximize", "foreach", "capturable", "differentiable", "decoupled_weight_decay")
    number_state = ("step", "mu_product")
    load_casts_float32_state = True


ERRORS = {
    "negative lr": lambda m: m.optim.NAdam([_leaf(m, 2)], lr=-0.1),
    "2-element lr": lambda m: m.optim.NAdam([_leaf(m, 2)], lr=m.tensor([0.1, 0.2])),
    "negative eps": lambda m: m.optim.NAdam([_leaf(m, 2)], eps=-1.0),
    "beta0 = 1": lambda m: m.optim.NAdam([_leaf(m, 2)], betas=(1.0, 0.9)),
    "beta1 < 0": lambda m: m.optim.NAdam([_leaf(m, 2)], betas=(0.9, -0.1)),
    "negative weight_decay": lambda m: m.optim.NAdam([_leaf(m, 2)], weight_decay=-0.1),
    "negative momentum_decay": lambda m: m.optim.NAdam([_leaf(m, 2)], momentum_decay=-0.1),
    "foreach differentiable": lambda m: step_once(m.optim.NAdam([_leaf(m, 2)], foreach=True, differentiable=True)),
}


@pytest.mark.parametrize("name", list(ERRORS))
def test_errors_match_torch(name):
    assert_same_outcome(ERRORS[name])


META = [dict(), dict(weight_decay=0.1, decoupled_weight_decay=True, maximize=True),
        dict(weight_decay=0.1, momentum_decay=0.2, betas=(0.5, 0.8))]


@pytest.mark.parametrize("kw", META)
def test_meta_gradient_matches_torch(kw):
    check_meta_gradient("NAdam", kw)


@pytest.mark.parametrize("kw", META)
def test_meta_gradient_in_lr_beyond_torch(kw):
    """With a Tensor lr requiring grad, torch's graph keeps exp_avg itself, which the next step changes in place
    (torch raises); numtorch's update multiplies a copy, so the meta-gradient exists (checked by gradcheck)."""
    check_meta_gradient("NAdam", kw, tensor_lr=True, beyond_torch=True)
