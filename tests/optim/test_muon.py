"""Muon trajectories, state, checkpoints and errors equal torch 2.13's, to bfloat16 rounding.

torch runs the Newton–Schulz iteration in bfloat16; numtorch emulates it in float32 with every
intermediate rounded to bfloat16 (see numtorch/optim/muon.py). Given the same input, the
emulation holds exactly torch's bfloat16 values on small matrices (tested bit for bit), and on
larger ones differs in a few entries by a bfloat16 ulp or two, where a float32 sum taken in
another order than torch's rounds to the neighbouring bfloat16 value. Inside a run the input
itself (the momentum lerp) can differ from torch's by a float ulp, which can also flip a
bfloat16 rounding. So trajectories are held to one bfloat16 ulp (2**-7 of an O(1) entry) of
the update per step: |param - torch's| <= steps * adjusted lr * 2**-7, and the momentum
buffers, averages of 3.5-Lipschitz functions of the params, to 3.5 times that. A wrong formula
moves a param by a sizeable fraction of the update, 100 times more. The state_dict's structure
(keys, ids, dtypes, shapes) is compared exactly.
"""
import itertools
import math

import numpy as np
import pytest
import torch
from torch.optim._muon import _zeropower_via_newtonschulz as torch_newton_schulz

import numtorch
from numtorch.optim.muon import _adjust_lr, _zeropower_via_newtonschulz, muon
from numtorch.optim.optimizer import _get_value
from tests.optim import parity
from tests.optim.parity import assert_value_equal, run, to_np
from tests.optim.properties import DTYPES, OptimizerProperties, _signature, assert_same_outcome
from tests.optim.test_optimizer import _leaf

COEFFS = (3.4445, -4.7750, 2.0315)
COMBOS = [dict(nesterov=ne, weight_decay=wd, adjust_lr_fn=fn)
          for ne, wd, fn in itertools.product((True, False), (0.0, 0.1), (None, "original", "match_rms_adamw"))]
SMALL = [(3, 4), (5, 2), (4, 4), (1, 6)]
LARGE = [(24, 40), (64, 32), (33, 33)]
STEPS = 20
LIPSCHITZ = 3.5  # of parity.grad_array's gradient in the param: |d/dx (tanh 2x + sin(3x) / 2)| <= 2 + 1.5
STRUCTURE = dict(rtol=0, atol=1e30)  # assert_value_equal then checks keys, ids, dtypes and shapes only


def groups(m, ps):
    return m.optim.Muon([{"params": ps[:1]}, {"params": ps[1:3], "lr": 0.05, "nesterov": False, "momentum": 0.8},
                         {"params": ps[3:], "weight_decay": 0.2, "adjust_lr_fn": "match_rms_adamw"}],
                        lr=0.02, weight_decay=0.01)


# the largest per-step lr in groups() on SMALL is 0.05 * sqrt(5 / 2), for (5, 2): the property checks'
# runs (20 steps at most) are compared to torch's within that bound on params and buffers alike
_PROPERTY_BOUND = LIPSCHITZ * STEPS * 0.05 * math.sqrt(5 / 2) * 2 ** -7


@pytest.fixture(autouse=True)
def _matrices(monkeypatch):
    monkeypatch.setattr(parity, "SHAPES", SMALL)
    for dtype, tol in list(parity.TOL.items()):
        monkeypatch.setitem(parity.TOL, dtype, dict(rtol=tol["rtol"], atol=_PROPERTY_BOUND))


def compare_bf16(make_opt, dtype, steps=STEPS):
    """The same run in both libraries: params and momentum buffers within the module's bfloat16 bound."""
    (n_ps, n_opt), (t_ps, t_opt) = run(numtorch, make_opt, dtype, steps), run(torch, make_opt, dtype, steps)
    assert_value_equal(n_opt.state_dict(), t_opt.state_dict(), STRUCTURE, "state_dict")
    rtol = parity.TOL[dtype]["rtol"]
    for n_group, t_group in zip(n_opt.param_groups, t_opt.param_groups):
        for n_p, t_p in zip(n_group["params"], t_group["params"]):
            bound = steps * _adjust_lr(_get_value(n_group["lr"]), n_group["adjust_lr_fn"], n_p.shape) * 2 ** -7
            np.testing.assert_allclose(to_np(n_p), to_np(t_p), rtol=rtol, atol=bound)
            if t_p in t_opt.state:
                np.testing.assert_allclose(to_np(n_opt.state[n_p]["momentum_buffer"]),
                                           to_np(t_opt.state[t_p]["momentum_buffer"]), rtol=rtol,
                                           atol=LIPSCHITZ * bound)


@DTYPES
@pytest.mark.parametrize("kw", COMBOS, ids=lambda kw: "-".join(f"{k}={v}" for k, v in kw.items()))
def test_trajectory(kw, dtype):
    compare_bf16(lambda m, ps: m.optim.Muon(ps, lr=0.02, momentum=0.9, **kw), dtype)


@DTYPES
def test_defaults(dtype):
    compare_bf16(lambda m, ps: m.optim.Muon(ps), dtype)


@DTYPES
def test_newton_schulz_options(dtype):
    compare_bf16(lambda m, ps: m.optim.Muon(ps, lr=0.05, ns_steps=3, ns_coefficients=(2.0, -1.5, 0.5), eps=1e-3),
                 dtype)


@DTYPES
def test_groups_with_different_options(dtype):
    compare_bf16(groups, dtype)


@DTYPES
def test_tensor_lr(dtype):
    compare_bf16(lambda m, ps: m.optim.Muon(ps, lr=m.tensor([0.02]), weight_decay=0.1), dtype)


@DTYPES
@pytest.mark.parametrize("fn", [None, "match_rms_adamw"])
def test_large_matrices(fn, dtype, monkeypatch):
    monkeypatch.setattr(parity, "SHAPES", LARGE)
    compare_bf16(lambda m, ps: m.optim.Muon(ps, lr=0.02, adjust_lr_fn=fn), dtype)


def _newton_schulz_pair(shape, dtype, scale, seed, steps=5, coeffs=COEFFS, eps=1e-7):
    g = np.random.default_rng(seed).standard_normal(shape).astype(dtype) * scale
    ours = _zeropower_via_newtonschulz(numtorch.tensor(g), coeffs, steps, eps)
    theirs = torch_newton_schulz(torch.tensor(g), coeffs, steps, eps)
    assert ours.dtype == numtorch.float32 and theirs.dtype == torch.bfloat16
    return to_np(ours), theirs.float().numpy()


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", [(3, 4), (4, 3), (5, 2), (1, 6), (6, 1), (4, 4)])
def test_newton_schulz_holds_torchs_bfloat16_values(shape, dtype):
    """Small matrices: exactly torch's values, wide or tall, at any scale (a tiny one is floored by eps)."""
    for seed, scale in enumerate((1.0, 1e-4, 1e4, 1e-9)):
        ours, theirs = _newton_schulz_pair(shape, dtype, scale, seed)
        np.testing.assert_array_equal(ours, theirs)
    np.testing.assert_array_equal(*_newton_schulz_pair(shape, dtype, 1.0, 9, steps=2, coeffs=(2.0, -1.5, 0.5),
                                                       eps=1e-2))


@pytest.mark.parametrize("shape", [(24, 40), (64, 32), (33, 33), (50, 7)])
def test_newton_schulz_large_matrices_within_bfloat16_ulps(shape):
    """Mostly torch's values; a different float32 summation order moves a few by a bfloat16 ulp or two."""
    for seed in range(3):
        ours, theirs = _newton_schulz_pair(shape, np.float32, 1.0, seed)
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=2 ** -6)
        assert (ours == theirs).mean() > 0.2


class TestProperties(OptimizerProperties):
    make_opt = staticmethod(groups)
    new_options = ()  # torch's Muon fills no defaults for old checkpoints
    number_state = ()  # and keeps no step

    def test_signatures_match_torch(self):
        """torch's functional form lives in torch.optim._muon."""
        assert _signature(numtorch.optim.Muon.__init__) == _signature(torch.optim.Muon.__init__)
        assert _signature(muon) == _signature(torch.optim._muon.muon)


def _step_on(m, grad, **kw):
    p = _leaf(m, 3, 4)
    p.grad = grad
    m.optim.Muon([p], **kw).step()


ERRORS = {
    "1-d param": lambda m: m.optim.Muon([_leaf(m, 3, 4), _leaf(m, 3)]),
    "3-d param": lambda m: m.optim.Muon([_leaf(m, 2, 3, 4)]),
    "negative lr": lambda m: m.optim.Muon([_leaf(m, 2, 2)], lr=-0.1),
    "2-element lr": lambda m: m.optim.Muon([_leaf(m, 2, 2)], lr=m.tensor([0.1, 0.2])),
    "negative momentum": lambda m: m.optim.Muon([_leaf(m, 2, 2)], momentum=-0.1),
    "negative weight decay": lambda m: m.optim.Muon([_leaf(m, 2, 2)], weight_decay=-0.1),
    "unknown adjust_lr_fn": lambda m: m.optim.Muon([_leaf(m, 2, 2)], adjust_lr_fn="sqrt"),
    "100 ns_steps": lambda m: _step_on(m, m.ones(3, 4), ns_steps=100),
    "two coefficients": lambda m: _step_on(m, m.ones(3, 4), ns_coefficients=(1.0, 2.0)),
    "sparse grad": lambda m: _step_on(m, m.ones(3, 4).to_sparse()),
}


@pytest.mark.parametrize("name", list(ERRORS))
def test_errors_match_torch(name):
    assert_same_outcome(ERRORS[name])


def test_functional_refuses_foreach():
    for m, fn in ((numtorch, muon), (torch, torch.optim._muon.muon)):
        with pytest.raises(RuntimeError, match="Foreach is not supported for Muon yet"):
            fn([], [], [], foreach=True, lr=0.1, weight_decay=0.0, momentum=0.9, nesterov=True,
               ns_coefficients=COEFFS, ns_steps=5, eps=1e-7, adjust_lr_fn=None, has_complex=False)
