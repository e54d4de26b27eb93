"""AdaBelief against the paper's Algorithm 2 in NumPy and against pytorch_optimizer's AdaBelief (rectify off)."""
import numpy as np
import pytest

import numtorch
from tests.optim.contrib.helpers import (check_round_trip, compare_with_numpy, compare_with_pytorch_optimizer,
                                         make_params)

HYPER = dict(lr=0.05, betas=(0.8, 0.95), eps=1e-8)
OPTIONS = [dict(), dict(weight_decay=0.1), dict(weight_decay=0.1, weight_decouple=False), dict(amsgrad=True),
           dict(maximize=True, weight_decay=0.1)]


def adabelief_ref(p, g, state, lr=1e-3, betas=(0.9, 0.999), eps=1e-16, weight_decay=0.0, amsgrad=False,
                  weight_decouple=True, maximize=False):
    """Algorithm 2 of arXiv:2010.07468 (decoupled decay as in AdamW, or L2 added to the gradient)."""
    b1, b2 = betas
    g = -g if maximize else g
    if weight_decouple:
        p = p * (1 - lr * weight_decay)
    else:
        g = g + weight_decay * p
    t = state["t"] = state.get("t", 0) + 1
    m = state["m"] = b1 * state.get("m", 0.0) + (1 - b1) * g
    s = state["s"] = b2 * state.get("s", 0.0) + (1 - b2) * (g - m) ** 2 + eps
    if amsgrad:
        s = state["s_max"] = np.maximum(state.get("s_max", 0.0), s)
    return p - lr * (m / (1 - b1 ** t)) / (np.sqrt(s / (1 - b2 ** t)) + eps)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("kw", OPTIONS, ids=str)
def test_matches_paper(kw, dtype):
    compare_with_numpy(lambda m, ps: m.optim.contrib.AdaBelief(ps, **HYPER, **kw), adabelief_ref, dtype, **HYPER,
                       **kw)


def test_defaults_match_paper():
    compare_with_numpy(lambda m, ps: m.optim.contrib.AdaBelief(ps), adabelief_ref)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("kw", OPTIONS, ids=str)
def test_matches_pytorch_optimizer(kw, dtype):
    kw = dict(kw)
    ams = kw.pop("amsgrad", False)

    def ref(m, ps):
        from pytorch_optimizer import AdaBelief
        return AdaBelief(ps, **HYPER, ams_bound=ams, **kw)
    compare_with_pytorch_optimizer(lambda m, ps: m.optim.contrib.AdaBelief(ps, **HYPER, amsgrad=ams, **kw), ref,
                                   dtype)


def test_state_dict_round_trip():
    check_round_trip(lambda m, ps: m.optim.contrib.AdaBelief(ps, **HYPER, amsgrad=True, weight_decay=0.1))


@pytest.mark.parametrize("kw", [dict(lr=-1.0), dict(eps=-1.0), dict(betas=(1.0, 0.9)), dict(weight_decay=-1.0)],
                         ids=str)
def test_invalid_arguments(kw):
    with pytest.raises(ValueError, match="Invalid"):
        numtorch.optim.contrib.AdaBelief(make_params(numtorch, "float64"), **kw)
