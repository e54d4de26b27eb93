"""LARS against the paper's Algorithm 1 in NumPy and against pytorch_optimizer's LARS.

pytorch_optimizer keeps the learning rate outside the momentum buffer and
always exempts 1-D params; with a constant lr and `exclude_1d=True` the two
agree.
"""
import numpy as np
import pytest

import numtorch
from tests.optim.contrib.helpers import (check_round_trip, compare_with_numpy, compare_with_pytorch_optimizer,
                                         make_params)

HYPER = dict(lr=0.5, momentum=0.8, trust_coefficient=0.02)
OPTIONS = [dict(), dict(weight_decay=0.1), dict(weight_decay=0.1, exclude_1d=True),
           dict(momentum=0.0, weight_decay=0.05, maximize=True)]


def lars_ref(p, g, state, lr=1e-3, momentum=0.9, weight_decay=0.0, trust_coefficient=1e-3, exclude_1d=False,
             maximize=False):
    """Algorithm 1 of arXiv:1708.03888 (local lr 1 where it is undefined)."""
    g = -g if maximize else g
    if exclude_1d and p.ndim <= 1:
        local, step = 1.0, g
    else:
        w_norm, g_norm = np.linalg.norm(p), np.linalg.norm(g)
        denominator = g_norm + weight_decay * w_norm
        local = trust_coefficient * w_norm / denominator if w_norm > 0 and denominator > 0 else 1.0
        step = g + weight_decay * p
    v = state["v"] = momentum * state.get("v", 0.0) + lr * local * step
    return p - v


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("kw", OPTIONS, ids=str)
def test_matches_paper(kw, dtype):
    kw = {**HYPER, **kw}
    compare_with_numpy(lambda m, ps: m.optim.contrib.LARS(ps, **kw), lars_ref, dtype, **kw)


def test_defaults_match_paper():
    compare_with_numpy(lambda m, ps: m.optim.contrib.LARS(ps), lars_ref)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("weight_decay", [0.0, 0.1])
def test_matches_pytorch_optimizer(weight_decay, dtype):
    def ref(m, ps):
        from pytorch_optimizer import LARS
        return LARS(ps, **HYPER, weight_decay=weight_decay)
    compare_with_pytorch_optimizer(
        lambda m, ps: m.optim.contrib.LARS(ps, **HYPER, weight_decay=weight_decay, exclude_1d=True), ref, dtype)


def test_state_dict_round_trip():
    check_round_trip(lambda m, ps: m.optim.contrib.LARS(ps, **HYPER, weight_decay=0.1))


@pytest.mark.parametrize("kw", [dict(lr=-1.0), dict(momentum=-0.5), dict(weight_decay=-1.0),
                                dict(trust_coefficient=-1.0)], ids=str)
def test_invalid_arguments(kw):
    with pytest.raises(ValueError, match="Invalid"):
        numtorch.optim.contrib.LARS(make_params(numtorch, "float64"), **kw)
