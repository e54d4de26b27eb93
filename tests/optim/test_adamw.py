"""AdamW trajectories, state, checkpoints and errors equal torch 2.13's for every option combination."""
import itertools

import pytest
import torch

import numtorch
from tests.optim.parity import compare
from tests.optim.properties import DTYPES, OptimizerProperties, assert_same_outcome, check_meta_gradient
from tests.optim.test_adam import _as_capturable
from tests.optim.test_optimizer import _leaf

COMBOS = [dict(amsgrad=am, weight_decay=wd, maximize=mx)
          for am, wd, mx in itertools.product((False, True), (0, 0.1), (False, True))]


@DTYPES
@pytest.mark.parametrize("kw", COMBOS, ids=lambda kw: "-".join(f"{k}={v}" for k, v in kw.items()))
def test_trajectory(kw, dtype):
    compare(lambda m, ps: m.optim.AdamW(ps, lr=0.05, betas=(0.8, 0.95), eps=1e-6, **kw), dtype)


@DTYPES
def test_defaults(dtype):
    compare(lambda m, ps: m.optim.AdamW(ps), dtype)


def groups(m, ps):
    return m.optim.AdamW([{"params": ps[:1]}, {"params": ps[1:3], "lr": 0.02, "amsgrad": True, "betas": (0.5, 0.9)},
                          {"params": ps[3:], "weight_decay": 0.2, "maximize": True}], lr=0.1)


@DTYPES
def test_groups_with_different_options(dtype):
    compare(groups, dtype)


def test_a_group_may_turn_decoupling_off():
    """As in torch, `decoupled_weight_decay` is a default like any other: a group may override it."""
    compare(lambda m, ps: m.optim.AdamW([{"params": ps[:2]}, {"params": ps[2:], "decoupled_weight_decay": False}],
                                        lr=0.05, weight_decay=0.1))


def test_is_an_adam_like_torchs():
    assert issubclass(numtorch.optim.AdamW, numtorch.optim.Adam) and issubclass(torch.optim.AdamW, torch.optim.Adam)


@DTYPES
def test_tensor_hyperparameters(dtype):
    compare(lambda m, ps: m.optim.AdamW(ps, lr=m.tensor([0.05]), amsgrad=True), dtype)


@DTYPES
@pytest.mark.parametrize("flags", [dict(foreach=True), dict(fused=True), dict(foreach=False, fused=False)])
def test_foreach_and_fused_flags(flags, dtype):
    """numtorch with the flags equals torch's own implementation for the same flags."""
    compare(lambda m, ps: m.optim.AdamW(ps, lr=0.05, amsgrad=True, weight_decay=0.1, **flags), dtype)


def test_capturable_changes_nothing_on_cpu():
    compare(lambda m, ps: m.optim.AdamW(ps, lr=0.05, capturable=True),
            torch_make_opt=lambda m, ps: _as_capturable(m.optim.AdamW(ps, lr=0.05)))


class TestProperties(OptimizerProperties):
    make_opt = staticmethod(groups)
    new_options = ("amsgrad", "maximize", "foreach", "capturable", "differentiable", "fused",
                   "decoupled_weight_decay")


ERRORS = {
    "negative lr": lambda m: m.optim.AdamW([_leaf(m, 2)], lr=-0.1),
    "2-element lr": lambda m: m.optim.AdamW([_leaf(m, 2)], lr=m.tensor([0.1, 0.2])),
    "negative eps": lambda m: m.optim.AdamW([_leaf(m, 2)], eps=-1.0),
    "beta0 = 1": lambda m: m.optim.AdamW([_leaf(m, 2)], betas=(1.0, 0.9)),
    "negative weight_decay": lambda m: m.optim.AdamW([_leaf(m, 2)], weight_decay=-0.1),
    "fused differentiable": lambda m: m.optim.AdamW([_leaf(m, 2)], fused=True, differentiable=True),
    "tensor lr foreach": lambda m: m.optim.AdamW([_leaf(m, 2)], lr=m.tensor(0.1), foreach=True),
}


@pytest.mark.parametrize("name", list(ERRORS))
def test_errors_match_torch(name):
    assert_same_outcome(ERRORS[name])


@pytest.mark.parametrize("kw", [dict(), dict(weight_decay=0.3, maximize=True)])
@pytest.mark.parametrize("tensor_lr", [False, True])
def test_meta_gradient_matches_torch(kw, tensor_lr):
    check_meta_gradient("AdamW", kw, tensor_lr)
