"""Lion against pytorch_optimizer's Lion and against the paper's Program 1 in NumPy."""
import numpy as np
import pytest

import numtorch
from tests.optim.contrib.helpers import (check_round_trip, compare_with_numpy, compare_with_pytorch_optimizer,
                                         make_params)

OPTIONS = [dict(), dict(weight_decay=0.5), dict(weight_decay=0.1, maximize=True)]


def lion_ref(p, g, state, lr=1e-4, betas=(0.9, 0.99), weight_decay=0.0, maximize=False):
    """Program 1 of arXiv:2302.06675."""
    g = -g if maximize else g
    m = state.get("m", np.zeros_like(p))
    update = np.sign(betas[0] * m + (1 - betas[0]) * g) + weight_decay * p
    state["m"] = betas[1] * m + (1 - betas[1]) * g
    return p - lr * update


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("kw", OPTIONS, ids=str)
def test_matches_pytorch_optimizer(kw, dtype):
    def ref(m, ps):
        from pytorch_optimizer import Lion
        return Lion(ps, lr=0.03, betas=(0.8, 0.95), **kw)
    compare_with_pytorch_optimizer(lambda m, ps: m.optim.contrib.Lion(ps, lr=0.03, betas=(0.8, 0.95), **kw), ref,
                                   dtype)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("kw", OPTIONS, ids=str)
def test_matches_paper(kw, dtype):
    compare_with_numpy(lambda m, ps: m.optim.contrib.Lion(ps, lr=0.03, betas=(0.8, 0.95), **kw), lion_ref, dtype,
                       lr=0.03, betas=(0.8, 0.95), **kw)


def test_defaults_match_paper():
    compare_with_numpy(lambda m, ps: m.optim.contrib.Lion(ps), lion_ref)


def test_state_dict_round_trip():
    check_round_trip(lambda m, ps: m.optim.contrib.Lion(ps, lr=0.03, weight_decay=0.1))


@pytest.mark.parametrize("kw", [dict(lr=-1.0), dict(betas=(1.0, 0.99)), dict(betas=(0.9, -0.1)),
                                dict(weight_decay=-1e-2)], ids=str)
def test_invalid_arguments(kw):
    with pytest.raises(ValueError, match="Invalid"):
        numtorch.optim.contrib.Lion(make_params(numtorch, "float64"), **kw)
