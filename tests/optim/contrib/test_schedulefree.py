"""Schedule-Free SGD and AdamW against the paper's x/y/z form in NumPy, and SGD against pytorch_optimizer.

The reference keeps x, y and z explicitly (as the authors' reference
implementation does); the optimizer keeps only y and z. pytorch_optimizer's
ScheduleFreeAdamW follows an older release (bias correction in the
denominator rather than in the learning rate, so different averaging
weights), so AdamW is checked against NumPy only.
"""
import copy
import math

import numpy as np
import pytest

import numtorch
from tests.optim.contrib.helpers import (SHAPES, check_round_trip, compare_with_numpy, compare_with_pytorch_optimizer,
                                         make_params, step_grad, trajectory)

SGD_OPTIONS = [dict(), dict(weight_decay=0.1), dict(warmup_steps=5, r=1.0), dict(weight_lr_power=0.0, maximize=True)]
ADAMW_OPTIONS = [dict(), dict(weight_decay=0.1), dict(warmup_steps=6, r=0.5, weight_lr_power=1.0),
                 dict(maximize=True, betas=(0.5, 0.9))]


def schedule_free_ref(params, grads, st, adam=False, lr=1.0, momentum=0.9, betas=(0.9, 0.999), eps=1e-8,
                      weight_decay=0.0, warmup_steps=0, r=0.0, weight_lr_power=2.0, maximize=False):
    """arXiv:2405.15682 with the release's schedule: z takes the base step at y, x averages z, y mixes them."""
    beta = betas[0] if adam else momentum
    k = st.get("k", 0)
    lr_k = lr * min(1.0, (k + 1) / warmup_steps) if warmup_steps else lr
    if adam:
        lr_k *= math.sqrt(1 - betas[1] ** (k + 1))
    lr_max = st["lr_max"] = max(st.get("lr_max", -1.0), lr_k)
    weight = (k + 1) ** r * lr_max ** weight_lr_power
    total = st["total"] = st.get("total", 0.0) + weight
    c = weight / total
    for i, (y, g) in enumerate(zip(params, grads)):
        if g is None:
            continue
        g = -g if maximize else g
        ps = st.setdefault(i, {"x": y.copy(), "z": y.copy(), "v": np.zeros_like(y)})
        if adam:
            ps["v"] = betas[1] * ps["v"] + (1 - betas[1]) * g * g
            g = g / (np.sqrt(ps["v"]) + eps)
        ps["z"] = ps["z"] - lr_k * (g + weight_decay * y)
        ps["x"] = (1 - c) * ps["x"] + c * ps["z"]
        params[i] = beta * ps["x"] + (1 - beta) * ps["z"]
    st["k"] = k + 1
    return params


def adamw_ref(params, grads, st, lr=0.0025, **kw):
    return schedule_free_ref(params, grads, st, adam=True, lr=lr, **kw)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("kw", SGD_OPTIONS, ids=str)
def test_sgd_matches_paper(kw, dtype):
    kw = dict(lr=0.3, momentum=0.8, **kw)
    compare_with_numpy(lambda m, ps: m.optim.contrib.ScheduleFreeSGD(ps, **kw), schedule_free_ref, dtype, whole=True,
                       **kw)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("kw", ADAMW_OPTIONS, ids=str)
def test_adamw_matches_paper(kw, dtype):
    kw = dict(lr=0.05, eps=1e-6, **kw)
    compare_with_numpy(lambda m, ps: m.optim.contrib.ScheduleFreeAdamW(ps, **kw), adamw_ref, dtype, whole=True, **kw)


def test_defaults_match_paper():
    compare_with_numpy(lambda m, ps: m.optim.contrib.ScheduleFreeSGD(ps), schedule_free_ref, whole=True)
    compare_with_numpy(lambda m, ps: m.optim.contrib.ScheduleFreeAdamW(ps), adamw_ref, whole=True)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("kw", SGD_OPTIONS, ids=str)
def test_sgd_matches_pytorch_optimizer(kw, dtype):
    kw = dict(lr=0.3, momentum=0.8, **kw)

    def ref(m, ps):
        from pytorch_optimizer import ScheduleFreeSGD
        return ScheduleFreeSGD(ps, **kw)
    compare_with_pytorch_optimizer(lambda m, ps: m.optim.contrib.ScheduleFreeSGD(ps, **kw), ref, dtype)


@pytest.mark.parametrize("name", ["ScheduleFreeSGD", "ScheduleFreeAdamW"])
def test_eval_gives_the_average_and_train_restores(name):
    kw = dict(lr=0.05, weight_decay=0.1, warmup_steps=3)
    params = make_params(numtorch, "float64")
    opt = getattr(numtorch.optim.contrib, name)(params, **kw)
    trajectory(numtorch, None, steps=12, params=params, opt=opt)
    st = {}
    ref = adamw_ref if name.endswith("AdamW") else schedule_free_ref
    ref_params = _run_ref(ref, st, **kw)
    y = [p.detach().numpy().copy() for p in params]
    opt.eval()
    for i, p in enumerate(params):
        np.testing.assert_allclose(p.detach().numpy(), st[i]["x"] if i in st else ref_params[i], rtol=1e-10,
                                   atol=1e-12)
    with pytest.raises(RuntimeError, match="not in train mode"):
        opt.step()
    opt.eval()  # a second eval changes nothing
    opt.train()
    for p, before in zip(params, y):
        np.testing.assert_allclose(p.detach().numpy(), before, rtol=1e-10, atol=1e-12)


def _run_ref(ref, st, steps=12, **kw):
    """The reference run of `trajectory` (sparse grads), keeping its state (x, z per param) in `st`."""
    rng = np.random.default_rng(0)
    params = [rng.standard_normal(s) for s in SHAPES]
    for k in range(steps):
        params = ref(params, [step_grad(p, k, j, True) for j, p in enumerate(params)], st, **kw)
    return params


@pytest.mark.parametrize("name", ["ScheduleFreeSGD", "ScheduleFreeAdamW"])
def test_state_dict_round_trip(name):
    check_round_trip(lambda m, ps: getattr(m.optim.contrib, name)(ps, lr=0.05, weight_decay=0.1, warmup_steps=4))


def test_eval_mode_survives_copies():
    opt = numtorch.optim.contrib.ScheduleFreeSGD(make_params(numtorch, "float64"))
    opt.eval()
    assert not copy.deepcopy(opt).param_groups[0]["train_mode"]


@pytest.mark.parametrize("kw", [dict(lr=-1.0), dict(momentum=0.0), dict(momentum=1.0), dict(weight_decay=-1.0),
                                dict(warmup_steps=-1)], ids=str)
def test_sgd_invalid_arguments(kw):
    with pytest.raises(ValueError, match="Invalid|Momentum"):
        numtorch.optim.contrib.ScheduleFreeSGD(make_params(numtorch, "float64"), **kw)


@pytest.mark.parametrize("kw", [dict(lr=-1.0), dict(betas=(0.0, 0.9)), dict(betas=(0.9, 1.0)), dict(eps=-1.0)],
                         ids=str)
def test_adamw_invalid_arguments(kw):
    with pytest.raises(ValueError, match="Invalid"):
        numtorch.optim.contrib.ScheduleFreeAdamW(make_params(numtorch, "float64"), **kw)
