"""AdEMAMix against the paper's Algorithm 1 in NumPy and against pytorch_optimizer's AdEMAMix.

pytorch_optimizer couples weight decay to the gradient by default; the paper
decouples it (its `weight_decouple=True` matches). It warms alpha and beta3
up over one shared horizon, the paper's T_alpha_beta3.
"""
import math

import numpy as np
import pytest

import numtorch
from numtorch.optim.contrib.ademamix import alpha_schedule, beta3_schedule
from tests.optim.contrib.helpers import (check_round_trip, compare_with_numpy, compare_with_pytorch_optimizer,
                                         make_params)

HYPER = dict(lr=0.05, betas=(0.8, 0.9, 0.99), alpha=3.0, eps=1e-8)
OPTIONS = [dict(), dict(weight_decay=0.1), dict(alpha_warmup=8, beta3_warmup=8), dict(alpha_warmup=30),
           dict(beta3_warmup=6, maximize=True)]


def ademamix_ref(p, g, state, lr=1e-3, betas=(0.9, 0.999, 0.9999), alpha=5.0, eps=1e-8, weight_decay=0.0,
                 alpha_warmup=None, beta3_warmup=None, maximize=False):
    """Algorithm 1 of arXiv:2409.03030, its schedulers written out."""
    b1, b2, b3 = betas
    g = -g if maximize else g
    t = state["t"] = state.get("t", 0) + 1
    if alpha_warmup:
        alpha = min(t * alpha / alpha_warmup, alpha)
    if beta3_warmup:
        a = t / beta3_warmup
        b3 = min(math.exp(math.log(b1) * math.log(b3) / ((1 - a) * math.log(b3) + a * math.log(b1))), b3)
    m1 = state["m1"] = b1 * state.get("m1", 0.0) + (1 - b1) * g
    m2 = state["m2"] = b3 * state.get("m2", 0.0) + (1 - b3) * g
    nu = state["nu"] = b2 * state.get("nu", 0.0) + (1 - b2) * g * g
    return p - lr * ((m1 / (1 - b1 ** t) + alpha * m2) / (np.sqrt(nu / (1 - b2 ** t)) + eps) + weight_decay * p)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("kw", OPTIONS, ids=str)
def test_matches_paper(kw, dtype):
    compare_with_numpy(lambda m, ps: m.optim.contrib.AdEMAMix(ps, **HYPER, **kw), ademamix_ref, dtype, **HYPER,
                       **kw)


def test_defaults_match_paper():
    compare_with_numpy(lambda m, ps: m.optim.contrib.AdEMAMix(ps), ademamix_ref)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("kw", [dict(), dict(weight_decay=0.1), dict(warmup=8, maximize=True)], ids=str)
def test_matches_pytorch_optimizer(kw, dtype):
    kw = dict(kw)
    warmup = kw.pop("warmup", None)

    def ref(m, ps):
        from pytorch_optimizer import AdEMAMix
        return AdEMAMix(ps, **HYPER, t_alpha_beta3=warmup, weight_decouple=True, **kw)
    compare_with_pytorch_optimizer(
        lambda m, ps: m.optim.contrib.AdEMAMix(ps, **HYPER, alpha_warmup=warmup, beta3_warmup=warmup, **kw), ref,
        dtype)


def test_schedules_reach_their_targets():
    assert alpha_schedule(5, 4.0, 10) == 2.0 and alpha_schedule(10, 4.0, 10) == 4.0 == alpha_schedule(11, 4.0, 10)
    assert alpha_schedule(1, 4.0, None) == 4.0
    assert beta3_schedule(0, 0.9, 0.999, 10) == pytest.approx(0.9)
    assert beta3_schedule(10, 0.9, 0.999, 10) == pytest.approx(0.999) and beta3_schedule(50, 0.9, 0.999, 10) == 0.999
    half_lives = [math.log(0.5) / math.log(beta3_schedule(t, 0.9, 0.999, 10)) for t in range(11)]
    assert np.allclose(np.diff(half_lives), np.diff(half_lives)[0])  # linear in the half-life


def test_state_dict_round_trip():
    check_round_trip(lambda m, ps: m.optim.contrib.AdEMAMix(ps, **HYPER, alpha_warmup=5, beta3_warmup=5))


@pytest.mark.parametrize("kw", [dict(lr=-1.0), dict(eps=-1.0), dict(betas=(0.9, 0.99, 1.0)), dict(alpha=-1.0),
                                dict(weight_decay=-1.0), dict(alpha_warmup=-3)], ids=str)
def test_invalid_arguments(kw):
    with pytest.raises(ValueError, match="Invalid"):
        numtorch.optim.contrib.AdEMAMix(make_params(numtorch, "float64"), **kw)
