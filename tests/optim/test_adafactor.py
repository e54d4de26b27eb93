"""Adafactor trajectories, state, checkpoints and errors equal torch 2.13's for every option combination.

The parity params here are a matrix, a vector, a 0-d and a 3-d tensor (factored over its last
two dims): an empty param has no RMS, and torch's step raises ZeroDivisionError on it (tested
on its own).
"""
import itertools

import pytest
import torch

import numtorch
from numtorch.optim.adafactor import adafactor
from tests.optim import parity
from tests.optim.parity import compare
from tests.optim.properties import DTYPES, OptimizerProperties, _signature, assert_same_outcome
from tests.optim.test_optimizer import _leaf

COMBOS = [dict(weight_decay=wd, maximize=mx, d=d, beta2_decay=b2)
          for wd, mx, d, b2 in itertools.product((0.0, 0.1), (False, True), (1.0, 1.5), (-0.8, -0.3))]


@pytest.fixture(autouse=True)
def _shapes(monkeypatch):
    monkeypatch.setattr(parity, "SHAPES", [(3, 4), (5,), (), (2, 3, 4)])


@DTYPES
@pytest.mark.parametrize("kw", COMBOS, ids=lambda kw: "-".join(f"{k}={v}" for k, v in kw.items()))
def test_trajectory(kw, dtype):
    compare(lambda m, ps: m.optim.Adafactor(ps, lr=0.05, **kw), dtype)


@DTYPES
def test_defaults(dtype):
    compare(lambda m, ps: m.optim.Adafactor(ps), dtype)


@DTYPES
@pytest.mark.parametrize("eps", [(1e-30, 1e-3), (1e-2, 0.5), (None, 0.0)])
def test_epsilons(eps, dtype):
    """A large eps1 floors the variance estimate; a large eps2 the relative step."""
    compare(lambda m, ps: m.optim.Adafactor(ps, lr=0.05, eps=eps), dtype)


def groups(m, ps):
    return m.optim.Adafactor([{"params": ps[:1]}, {"params": ps[1:3], "lr": 0.02, "beta2_decay": -0.5, "d": 2.0},
                              {"params": ps[3:], "weight_decay": 0.2, "maximize": True, "eps": (1e-3, 1e-2)}],
                             lr=0.1, weight_decay=0.01)


@DTYPES
def test_groups_with_different_options(dtype):
    compare(groups, dtype)


@DTYPES
def test_tensor_lr(dtype):
    """rho_t is then min(lr, 1/sqrt(t)) taken as a float32 tensor, as in torch."""
    compare(lambda m, ps: m.optim.Adafactor(ps, lr=m.tensor([0.05]), weight_decay=0.1), dtype)


@DTYPES
def test_foreach_flag(dtype):
    """numtorch with foreach=True equals torch's foreach implementation."""
    compare(lambda m, ps: m.optim.Adafactor(ps, lr=0.05, weight_decay=0.1, maximize=True, foreach=True), dtype)


def test_state_layout():
    """row_var / col_var keep the grad's shape with the last / second-to-last dim 1; variance for 0-d and 1-d."""
    ps = parity.make_params(numtorch, "float64")
    opt = numtorch.optim.Adafactor(ps)
    for p in ps:
        p.grad = p.detach().clone()
    opt.step()
    shapes = [{k: tuple(v.shape) for k, v in opt.state[p].items()} for p in ps]
    assert shapes == [{"step": (), "row_var": (3, 1), "col_var": (1, 4)}, {"step": (), "variance": (5,)},
                      {"step": (), "variance": ()}, {"step": (), "row_var": (2, 3, 1), "col_var": (2, 1, 4)}]


class TestProperties(OptimizerProperties):
    make_opt = staticmethod(groups)
    new_options = ("foreach",)  # torch's Adafactor.__setstate__ fills only foreach

    def test_signatures_match_torch(self):
        """torch's functional form lives in torch.optim._adafactor."""
        assert _signature(numtorch.optim.Adafactor.__init__) == _signature(torch.optim.Adafactor.__init__)
        assert _signature(adafactor) == _signature(torch.optim._adafactor.adafactor)


def _step_on(m, p, grad, **kw):
    p.grad = grad
    m.optim.Adafactor([p], **kw).step()


ERRORS = {
    "negative lr": lambda m: m.optim.Adafactor([_leaf(m, 2)], lr=-0.1),
    "2-element lr": lambda m: m.optim.Adafactor([_leaf(m, 2)], lr=m.tensor([0.1, 0.2])),
    "positive beta2_decay": lambda m: m.optim.Adafactor([_leaf(m, 2)], beta2_decay=0.1),
    "negative eps1": lambda m: m.optim.Adafactor([_leaf(m, 2)], eps=(-1e-3, 1e-3)),
    "negative eps2": lambda m: m.optim.Adafactor([_leaf(m, 2)], eps=(None, -1e-3)),
    "d below 1": lambda m: m.optim.Adafactor([_leaf(m, 2)], d=0.5),
    "negative weight_decay": lambda m: m.optim.Adafactor([_leaf(m, 2)], weight_decay=-0.1),
    "nan lr": lambda m: m.optim.Adafactor([_leaf(m, 2)], lr=float("nan")),
    "sparse grad": lambda m: _step_on(m, _leaf(m, 3), m.ones(3).to_sparse()),
    "empty param": lambda m: _step_on(m, _leaf(m, 0, 3), m.zeros(0, 3)),
}


@pytest.mark.parametrize("name", list(ERRORS))
def test_errors_match_torch(name):
    assert_same_outcome(ERRORS[name])
