"""Prodigy against the paper's Algorithm 4 (Adam form, the authors' release's options) in NumPy and pytorch_optimizer.

pytorch_optimizer applies coupled (decouple=False) weight decay after the
moments are updated, where it has no effect; coupled decay is checked against
NumPy only. It also accumulates the d statistics in float32 tensors, so it
agrees with float64 runs to about 1e-7 only.
"""
import math

import numpy as np
import pytest

import numtorch
from tests.optim.contrib.helpers import (check_round_trip, compare_with_numpy, compare_with_pytorch_optimizer,
                                         make_params)

HYPER = dict(lr=0.5, betas=(0.8, 0.95), d0=1e-3)
OPTIONS = [dict(), dict(weight_decay=0.1), dict(weight_decay=0.1, decouple=False), dict(use_bias_correction=True),
           dict(safeguard_warmup=True, beta3=0.9), dict(growth_rate=1.5, d_coef=2.0, maximize=True),
           dict(betas=(0.0, 0.95))]


def prodigy_ref(params, grads, st, lr=1.0, betas=(0.9, 0.999), beta3=None, eps=1e-8, weight_decay=0.0,
                decouple=True, use_bias_correction=False, safeguard_warmup=False, d0=1e-6, d_coef=1.0,
                growth_rate=math.inf, maximize=False):
    """Algorithm 4 of arXiv:2306.06101 for all params at once (d is shared)."""
    b1, b2 = betas
    b3 = math.sqrt(b2) if beta3 is None else beta3
    d, d_max, k = st.get("d", d0), st.get("d_max", d0), st.get("k", 0)
    dlr = d * lr * (math.sqrt(1 - b2 ** (k + 1)) / (1 - b1 ** (k + 1)) if use_bias_correction else 1.0)
    numerator, denominator, moved = st.get("r", 0.0) * b3, 0.0, []
    for i, (p, g) in enumerate(zip(params, grads)):
        if g is None:
            continue
        g = -g if maximize else g
        if not decouple:
            g = g + weight_decay * p
        ps = st.setdefault(i, {"p0": p.copy(), "m": np.zeros_like(p), "v": np.zeros_like(p), "s": np.zeros_like(p)})
        numerator += d / d0 * dlr * float(np.dot(g.ravel(), (ps["p0"] - p).ravel()))
        ps["m"] = b1 * ps["m"] + d * (1 - b1) * g
        ps["v"] = b2 * ps["v"] + d * d * (1 - b2) * g * g
        ps["s"] = b3 * ps["s"] + d / d0 * (d if safeguard_warmup else dlr) * g
        denominator += np.abs(ps["s"]).sum()
        moved.append((i, g))
    if denominator == 0:
        return params
    d_hat = d_coef * numerator / denominator
    if d == d0:
        d = max(d, d_hat)
    d_max = max(d_max, d_hat)
    d = min(d_max, d * growth_rate)
    st.update(d=d, d_max=d_max, k=k + 1, r=numerator)
    for i, g in moved:
        ps, p = st[i], params[i]
        if decouple:
            p = p * (1 - weight_decay * dlr)
        step = ps["m"] if b1 > 0 else d * g
        params[i] = p - dlr * step / (np.sqrt(ps["v"]) + d * eps)
    return params


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("kw", OPTIONS, ids=str)
def test_matches_paper(kw, dtype):
    kw = {**HYPER, **kw}
    compare_with_numpy(lambda m, ps: m.optim.contrib.Prodigy(ps, **kw), prodigy_ref, dtype, whole=True,
                       tol=dict(rtol=2e-4, atol=2e-5) if dtype == "float32" else None, **kw)


def test_defaults_match_paper():
    compare_with_numpy(lambda m, ps: m.optim.contrib.Prodigy(ps), prodigy_ref, whole=True)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("kw", [dict(), dict(weight_decay=0.1), dict(use_bias_correction=True),
                                dict(safeguard_warmup=True, beta3=0.9), dict(growth_rate=1.5, maximize=True)],
                         ids=str)
def test_matches_pytorch_optimizer(kw, dtype):
    kw = {**HYPER, **kw}
    renamed = {"use_bias_correction": "bias_correction"}

    def ref(m, ps):
        from pytorch_optimizer import Prodigy
        return Prodigy(ps, **{renamed.get(k, k): v for k, v in kw.items()})
    compare_with_pytorch_optimizer(lambda m, ps: m.optim.contrib.Prodigy(ps, **kw), ref, dtype,
                                   tol=dict(rtol=2e-4, atol=2e-5) if dtype == "float32" else dict(rtol=1e-6, atol=1e-9))


def test_d_is_shared_and_lr_may_differ_only_by_zero():
    ps = make_params(numtorch, "float64")
    opt = numtorch.optim.contrib.Prodigy([{"params": ps[:2]}, {"params": ps[2:], "lr": 0.0}], lr=1.0)
    for p in ps:
        p.grad = numtorch.ones_like(p)
    frozen = ps[2].detach().clone()
    opt.step()
    opt.step()
    assert opt.param_groups[0]["d"] == opt.param_groups[1]["d"] > 1e-6
    assert numtorch.equal(ps[2], frozen)
    opt.param_groups[1]["lr"] = 0.5
    with pytest.raises(RuntimeError, match="different lr"):
        opt.step()


def test_state_dict_round_trip():
    check_round_trip(lambda m, ps: m.optim.contrib.Prodigy(ps, **HYPER, weight_decay=0.1))


@pytest.mark.parametrize("kw", [dict(lr=-1.0), dict(eps=-1.0), dict(betas=(0.9, 1.0)), dict(beta3=1.5),
                                dict(weight_decay=-1.0), dict(d0=0.0), dict(d_coef=-1.0), dict(growth_rate=0.5)],
                         ids=str)
def test_invalid_arguments(kw):
    with pytest.raises(ValueError, match="Invalid"):
        numtorch.optim.contrib.Prodigy(make_params(numtorch, "float64"), **kw)
