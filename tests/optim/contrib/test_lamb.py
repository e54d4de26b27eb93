"""LAMB against the paper's Algorithm 2 in NumPy, and against pytorch_optimizer's Lamb where they agree.

pytorch_optimizer's Lamb deviates from the paper: it never debiases v, divides
the step (outside the trust ratio) by 1 - beta1^t, caps ||w|| at 10 and adds
eps to ||update||. With beta1 = 0, clamp_value=10 and a negligible eps the two
coincide, which cross-checks the trust-ratio machinery.
"""
import numpy as np
import pytest

import numtorch
from tests.optim.contrib.helpers import (check_round_trip, compare_with_numpy, compare_with_pytorch_optimizer,
                                         make_params)

HYPER = dict(lr=0.05, betas=(0.8, 0.95), eps=1e-6)
OPTIONS = [dict(), dict(weight_decay=0.1), dict(weight_decay=0.1, clamp_value=1.5, maximize=True),
           dict(bias_correction=False, weight_decay=0.01)]


def lamb_ref(p, g, state, lr=1e-3, betas=(0.9, 0.999), eps=1e-6, weight_decay=0.0, clamp_value=None,
             bias_correction=True, maximize=False):
    """Algorithm 2 of arXiv:1904.00962, phi(z) = min(z, clamp_value)."""
    g = -g if maximize else g
    t = state["t"] = state.get("t", 0) + 1
    m = state["m"] = betas[0] * state.get("m", 0.0) + (1 - betas[0]) * g
    v = state["v"] = betas[1] * state.get("v", 0.0) + (1 - betas[1]) * g * g
    if bias_correction:
        m, v = m / (1 - betas[0] ** t), v / (1 - betas[1] ** t)
    r = m / (np.sqrt(v) + eps) + weight_decay * p
    w_norm, r_norm = np.linalg.norm(p), np.linalg.norm(r)
    if clamp_value is not None:
        w_norm = min(w_norm, clamp_value)
    ratio = w_norm / r_norm if w_norm > 0 and r_norm > 0 else 1.0
    return p - lr * ratio * r


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("kw", OPTIONS, ids=str)
def test_matches_paper(kw, dtype):
    compare_with_numpy(lambda m, ps: m.optim.contrib.Lamb(ps, **HYPER, **kw), lamb_ref, dtype, **HYPER, **kw)


def test_defaults_match_paper():
    compare_with_numpy(lambda m, ps: m.optim.contrib.Lamb(ps), lamb_ref)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("weight_decay", [0.0, 0.1])
def test_matches_pytorch_optimizer_where_they_agree(weight_decay, dtype):
    hyper = dict(lr=0.05, betas=(0.0, 0.95), eps=1e-14, weight_decay=weight_decay)

    def ref(m, ps):
        from pytorch_optimizer import Lamb
        return Lamb(ps, weight_decouple=False, **hyper)
    compare_with_pytorch_optimizer(
        lambda m, ps: m.optim.contrib.Lamb(ps, bias_correction=False, clamp_value=10.0, **hyper), ref, dtype)


def test_state_dict_round_trip():
    check_round_trip(lambda m, ps: m.optim.contrib.Lamb(ps, **HYPER, weight_decay=0.1))


@pytest.mark.parametrize("kw", [dict(lr=-1.0), dict(eps=-1.0), dict(betas=(0.9, 1.0)), dict(weight_decay=-1.0),
                                dict(clamp_value=-1.0)], ids=str)
def test_invalid_arguments(kw):
    with pytest.raises(ValueError, match="Invalid"):
        numtorch.optim.contrib.Lamb(make_params(numtorch, "float64"), **kw)
