"""SophiaH against the paper's Algorithm 3 in NumPy and against pytorch_optimizer's SophiaH, on a real loss.

The loss has a known Hessian, so the NumPy reference computes Hutchinson's
``u * (H u)`` exactly, with the probes drawn from a numtorch generator seeded
like the optimizer's. pytorch_optimizer draws its probes from torch's global
RNG; the test hands it the same probes. Its update is
``lr' * clip(m / max(h, eps'), -p, p)``, the paper's with lr' = lr/rho,
p = rho, eps' = eps/rho (and weight_decay' = weight_decay*rho). Under maximize it negates the gradient but not the
curvature; numtorch negates both (the Hessian of -f is -H), so maximize is
checked against NumPy only.
"""
import copy

import numpy as np
import pytest
import torch

import numtorch
from tests.optim.contrib.helpers import SHAPES, TOL, make_params, pytorch_optimizer, to_np

HYPER = dict(lr=0.02, betas=(0.8, 0.9), rho=0.5, update_period=3)
SEED = 7


def coefficients(shape):
    return np.linspace(0.5, 2.0, int(np.prod(shape))).reshape(shape)


def loss_fn(m, params):
    """f(x) = sum(a x^2 / 2 + sin x) + (sum x)^2 / 4 per param: H u = (a - sin x) u + sum(u) / 2."""
    total = 0.0
    for p in params:
        a = m.tensor(coefficients(p.shape), dtype=p.dtype)
        total = total + (0.5 * a * p * p + m.sin(p)).sum() + 0.25 * p.sum() ** 2
    return total


def run(m, opt, params, steps=20, start=0):
    def closure():
        opt.zero_grad()
        loss = loss_fn(m, params)
        loss.backward(create_graph=True)
        return loss
    out = []
    for _ in range(start, start + steps):
        opt.step(closure)
        out.append([to_np(p) for p in params])
    return out


def numtorch_run(dtype="float64", steps=20, **kw):
    params = make_params(numtorch, dtype)
    gen = numtorch.Generator().manual_seed(SEED)
    return run(numtorch, numtorch.optim.contrib.SophiaH(params, generator=gen, **kw), params, steps)


def probes(dtype, distribution="gaussian"):
    """The probe stream the optimizer draws: one per param, from a generator seeded alike."""
    gen = numtorch.Generator().manual_seed(SEED)
    nt_dtype = getattr(numtorch, dtype)
    if distribution == "gaussian":
        return lambda shape: numtorch.randn(shape, dtype=nt_dtype, generator=gen).numpy()
    return lambda shape: np.asarray(numtorch.randint(0, 2, shape, dtype=nt_dtype, generator=gen).numpy() * 2 - 1)


def numpy_run(dtype="float64", steps=20, lr=6e-4, betas=(0.96, 0.99), rho=0.01, weight_decay=0.0, eps=1e-12,
              update_period=10, num_samples=1, hessian_distribution="gaussian", maximize=False):
    """Algorithm 3 of arXiv:2305.14342 with the Hutchinson estimator."""
    draw = probes(dtype, hessian_distribution)
    rng = np.random.default_rng(0)
    xs = [np.asarray(rng.standard_normal(s), dtype=dtype) for s in SHAPES]
    a = [coefficients(s).astype(dtype) for s in SHAPES]
    m = [np.zeros_like(x) for x in xs]
    h = [np.zeros_like(x) for x in xs]
    sign = -1 if maximize else 1
    out = []
    for t in range(steps):
        grads = [sign * (ai * x + np.cos(x) + 0.5 * x.sum()) for ai, x in zip(a, xs)]
        if t % update_period == 0:
            estimates = [np.zeros_like(x) for x in xs]
            for _ in range(num_samples):
                for i, u in enumerate([draw(x.shape) for x in xs]):
                    hu = (a[i] - np.sin(xs[i])) * u + 0.5 * u.sum()
                    estimates[i] += sign * u * hu / num_samples
            h = [betas[1] * hi + (1 - betas[1]) * e for hi, e in zip(h, estimates)]
        m = [betas[0] * mi + (1 - betas[0]) * g for mi, g in zip(m, grads)]
        xs = [x * (1 - lr * weight_decay) - lr * np.clip(mi / np.maximum(rho * hi, eps), -1, 1)
              for x, mi, hi in zip(xs, m, h)]
        out.append([x.copy() for x in xs])
    return out


def assert_close(actual, expected, dtype):
    for k, (a_step, e_step) in enumerate(zip(actual, expected)):
        for j, (a, e) in enumerate(zip(a_step, e_step)):
            np.testing.assert_allclose(a, e, err_msg=f"step {k + 1}, param {j}", **TOL[dtype])


OPTIONS = [dict(), dict(weight_decay=0.1), dict(num_samples=2), dict(hessian_distribution="rademacher"),
           dict(maximize=True)]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("kw", OPTIONS, ids=str)
def test_matches_paper(kw, dtype):
    assert_close(numtorch_run(dtype, **HYPER, **kw), numpy_run(dtype, **HYPER, **kw), dtype)


def test_defaults_match_paper():
    assert_close(numtorch_run(), numpy_run(), "float64")


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("kw", OPTIONS[:4], ids=str)
def test_matches_pytorch_optimizer(kw, dtype, monkeypatch):
    pytorch_optimizer()
    from pytorch_optimizer import SophiaH
    kw = {**HYPER, **kw}
    draw = probes(dtype, kw.get("hessian_distribution", "gaussian"))
    monkeypatch.setattr(torch, "randn_like", lambda p: torch.from_numpy(draw(tuple(p.shape))))
    monkeypatch.setattr(torch, "randint_like",  # its Rademacher probes are randint_like(p, 0, 2) * 2 - 1
                        lambda p, low, high: torch.from_numpy(np.asarray((draw(tuple(p.shape)) + 1) / 2)))
    params = make_params(torch, dtype)
    ref = SophiaH(params, lr=kw["lr"] / kw["rho"], betas=kw["betas"], p=kw["rho"], eps=1e-12 / kw["rho"],
                  weight_decay=kw.get("weight_decay", 0.0) * kw["rho"], update_period=kw["update_period"],
                  num_samples=kw.get("num_samples", 1), hessian_distribution=kw.get("hessian_distribution", "gaussian"))
    assert_close(numtorch_run(dtype, **kw), run(torch, ref, params), dtype)


def test_needs_the_gradients_graph():
    params = make_params(numtorch, "float64")
    opt = numtorch.optim.contrib.SophiaH(params)
    loss_fn(numtorch, params).backward()
    with pytest.raises(RuntimeError, match="create_graph=True"):
        opt.step()


def test_probes_come_from_the_generator():
    assert_close(numtorch_run(**HYPER), numtorch_run(**HYPER), "float64")
    params = make_params(numtorch, "float64")
    other = run(numtorch, numtorch.optim.contrib.SophiaH(params, generator=numtorch.Generator().manual_seed(8),
                                                         **HYPER), params)
    assert not np.allclose(other[-1][0], numtorch_run(**HYPER)[-1][0])


def test_state_dict_round_trip():
    params = make_params(numtorch, "float64")
    gen = numtorch.Generator().manual_seed(SEED)
    opt = numtorch.optim.contrib.SophiaH(params, generator=gen, **HYPER)
    run(numtorch, opt, params, steps=10)
    saved = copy.deepcopy(opt.state_dict())
    fresh_params = [p.detach().clone().requires_grad_(True) for p in params]
    fresh = numtorch.optim.contrib.SophiaH(fresh_params, generator=copy.deepcopy(gen), **HYPER)
    fresh.load_state_dict(saved)
    for a_step, b_step in zip(run(numtorch, opt, params, 10, 10), run(numtorch, fresh, fresh_params, 10, 10)):
        for a, b in zip(a_step, b_step):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("kw", [dict(lr=-1.0), dict(betas=(0.9, 1.0)), dict(rho=-1.0), dict(eps=-1.0),
                                dict(update_period=0), dict(num_samples=0), dict(hessian_distribution="uniform")],
                         ids=str)
def test_invalid_arguments(kw):
    with pytest.raises(ValueError, match="Invalid"):
        numtorch.optim.contrib.SophiaH(make_params(numtorch, "float64"), **kw)
