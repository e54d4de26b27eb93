"""ADOPT against the paper's Algorithm 2 (clipped) in NumPy and against pytorch_optimizer's ADOPT."""
import copy

import numpy as np
import pytest

import numtorch
from numtorch.optim.contrib.adopt import quarter_power
from tests.optim.contrib.helpers import (check_round_trip, compare_with_numpy, compare_with_pytorch_optimizer,
                                         make_params, pickled)

HYPER = dict(lr=0.05, betas=(0.8, 0.95), eps=1e-6)
def half(step):
    return 0.5


OPTIONS = [dict(), dict(weight_decay=0.1), dict(weight_decay=0.1, decouple=True), dict(clip_lambda=None),
           dict(clip_lambda=half, maximize=True)]


def option_id(kw):
    """A test id that is the same in every process (no function addresses: pytest-xdist compares them)."""
    return ",".join(f"{k}={getattr(v, '__name__', v)}" for k, v in kw.items()) or "defaults"


def adopt_ref(p, g, state, lr=1e-3, betas=(0.9, 0.9999), eps=1e-6, weight_decay=0.0, decouple=False,
              clip_lambda=quarter_power, maximize=False):
    """Algorithm 2 of arXiv:2411.02853: v from the first gradient, then normalize by the previous v, clip, EMA."""
    b1, b2 = betas
    g = -g if maximize else g
    if decouple:
        p = p * (1 - lr * weight_decay)
    else:
        g = g + weight_decay * p
    t = state["t"] = state.get("t", 0) + 1
    if t == 1:
        state["v"] = g * g
        return p
    normed = g / np.maximum(np.sqrt(state["v"]), eps)
    if clip_lambda is not None:
        normed = np.clip(normed, -clip_lambda(t), clip_lambda(t))
    m = state["m"] = b1 * state.get("m", 0.0) + (1 - b1) * normed
    state["v"] = b2 * state["v"] + (1 - b2) * g * g
    return p - lr * m


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("kw", OPTIONS, ids=option_id)
def test_matches_paper(kw, dtype):
    compare_with_numpy(lambda m, ps: m.optim.contrib.ADOPT(ps, **HYPER, **kw), adopt_ref, dtype, **HYPER, **kw)


def test_defaults_match_paper():
    compare_with_numpy(lambda m, ps: m.optim.contrib.ADOPT(ps), adopt_ref)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("kw", OPTIONS, ids=option_id)
def test_matches_pytorch_optimizer(kw, dtype):
    kw = dict(kw)
    decouple = kw.pop("decouple", False)

    def ref(m, ps):
        from pytorch_optimizer import ADOPT
        return ADOPT(ps, **HYPER, weight_decouple=decouple, **kw)
    compare_with_pytorch_optimizer(lambda m, ps: m.optim.contrib.ADOPT(ps, **HYPER, decouple=decouple, **kw), ref,
                                   dtype)


def test_state_dict_round_trip():
    check_round_trip(lambda m, ps: m.optim.contrib.ADOPT(ps, **HYPER, weight_decay=0.1))


def test_clip_lambda_survives_copies():
    opt = numtorch.optim.contrib.ADOPT(make_params(numtorch, "float64"), clip_lambda=None)
    assert copy.deepcopy(opt).clip_lambda is None
    assert pickled(numtorch.optim.contrib.ADOPT(make_params(numtorch, "float64"))).clip_lambda is quarter_power


@pytest.mark.parametrize("kw", [dict(lr=-1.0), dict(eps=-1.0), dict(betas=(0.9, 1.0)), dict(weight_decay=-1.0)],
                         ids=str)
def test_invalid_arguments(kw):
    with pytest.raises(ValueError, match="Invalid"):
        numtorch.optim.contrib.ADOPT(make_params(numtorch, "float64"), **kw)
