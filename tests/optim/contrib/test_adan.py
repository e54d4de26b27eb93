"""Adan against the paper's Algorithm 1 (with the authors' bias correction) in NumPy and against pytorch_optimizer.

pytorch_optimizer's Adan deviates in two corners: under maximize its first
gradient difference is -2g instead of 0 (its previous gradient is stored before
negation), and its global clipping factor is computed in float32 (and fails on
0-d params). maximize is checked against NumPy only, clipping on 1-D and 2-D
params to float32 precision.
"""
import math

import numpy as np
import pytest

import numtorch
from tests.optim.contrib.helpers import (check_round_trip, compare_with_numpy, compare_with_pytorch_optimizer,
                                         make_params)

HYPER = dict(lr=0.05, betas=(0.8, 0.7, 0.9), eps=1e-6)
OPTIONS = [dict(), dict(weight_decay=0.1), dict(weight_decay=0.1, no_prox=True), dict(maximize=True)]


def adan_ref(p, g, state, lr=1e-3, betas=(0.98, 0.92, 0.99), eps=1e-8, weight_decay=0.0, no_prox=False,
             maximize=False):
    """Algorithm 1 of arXiv:2208.06677 with decay factors b = 1 - beta and bias-corrected EMAs."""
    b1, b2, b3 = betas
    g = -g if maximize else g
    diff = g - state.get("prev", g)
    state["prev"] = g
    t = state["t"] = state.get("t", 0) + 1
    m = state["m"] = b1 * state.get("m", 0.0) + (1 - b1) * g
    v = state["v"] = b2 * state.get("v", 0.0) + (1 - b2) * diff
    n = state["n"] = b3 * state.get("n", 0.0) + (1 - b3) * (g + b2 * diff) ** 2
    step = (m / (1 - b1 ** t) + b2 * v / (1 - b2 ** t)) / (np.sqrt(n / (1 - b3 ** t)) + eps)
    if no_prox:
        return p * (1 - lr * weight_decay) - lr * step
    return (p - lr * step) / (1 + lr * weight_decay)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("kw", OPTIONS, ids=str)
def test_matches_paper(kw, dtype):
    compare_with_numpy(lambda m, ps: m.optim.contrib.Adan(ps, **HYPER, **kw), adan_ref, dtype, **HYPER, **kw)


def test_defaults_match_paper():
    compare_with_numpy(lambda m, ps: m.optim.contrib.Adan(ps), adan_ref)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("kw", [dict(), dict(weight_decay=0.1), dict(weight_decay=0.1, no_prox=True)], ids=str)
def test_matches_pytorch_optimizer(kw, dtype):
    kw = dict(kw)
    no_prox = kw.pop("no_prox", False)

    def ref(m, ps):
        from pytorch_optimizer import Adan
        return Adan(ps, **HYPER, weight_decouple=no_prox, **kw)
    compare_with_pytorch_optimizer(lambda m, ps: m.optim.contrib.Adan(ps, **HYPER, no_prox=no_prox, **kw), ref,
                                   dtype)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_clipping_matches_pytorch_optimizer(dtype):
    def ref(m, ps):
        from pytorch_optimizer import Adan
        return Adan(ps, **HYPER, max_grad_norm=1.0)
    compare_with_pytorch_optimizer(lambda m, ps: m.optim.contrib.Adan(ps, **HYPER, max_grad_norm=1.0), ref, dtype,
                                   shapes=[(3, 4), (5,)], tol=dict(rtol=1e-4, atol=1e-6))


def test_gradient_clipping_scales_the_first_step():
    """With max_grad_norm the first step is that of the gradients scaled to that global norm."""
    ps = make_params(numtorch, "float64", [(3,), (2,)])
    grads = [np.array([3.0, 0.0, 4.0]), np.array([0.0, 0.0])]
    for p, g in zip(ps, grads):
        p.grad = numtorch.tensor(g)
    before = [p.detach().numpy().copy() for p in ps]
    numtorch.optim.contrib.Adan(ps, lr=0.1, max_grad_norm=0.5, eps=1e-300).step()
    scale = 0.5 / math.hypot(3.0, 4.0)
    for p, b, g in zip(ps, before, grads):  # first step: m/bc1 = g', n/bc3 = g'^2, so the step is sign(g') lr
        np.testing.assert_allclose(p.detach().numpy(), b - 0.1 * g * scale / (np.abs(g * scale) + 1e-300))


def test_state_dict_round_trip():
    check_round_trip(lambda m, ps: m.optim.contrib.Adan(ps, **HYPER, weight_decay=0.1))


@pytest.mark.parametrize("kw", [dict(lr=-1.0), dict(eps=-1.0), dict(betas=(0.9, 0.9, 1.0)), dict(weight_decay=-1.0),
                                dict(max_grad_norm=-1.0)], ids=str)
def test_invalid_arguments(kw):
    with pytest.raises(ValueError, match="Invalid"):
        numtorch.optim.contrib.Adan(make_params(numtorch, "float64"), **kw)
