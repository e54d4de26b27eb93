"""SAM / ASAM against the paper's Algorithm 1 in NumPy (around SGD) and against pytorch_optimizer's SAM.

The loss has a closed-form gradient, so the reference evaluates it at w and at
the perturbed w + e. pytorch_optimizer computes the gradient norm in float32,
so it agrees with float64 runs to about 1e-7.
"""
import copy

import numpy as np
import pytest
import torch

import numtorch
from tests.optim.contrib.helpers import SHAPES, TOL, make_params, pickled, to_np
from tests.optim.contrib.test_sophia import coefficients, loss_fn


def gradient(x, a):
    return a * x + np.cos(x) + 0.5 * x.sum()


def sam_sgd_ref(dtype="float64", steps=20, lr=0.1, rho=0.05, adaptive=False, maximize=False):
    """Algorithm 1 of arXiv:2010.01412 (ASAM's e = rho T^2 g / ||T g||, T = |w|, of arXiv:2102.11600) with SGD."""
    rng = np.random.default_rng(0)
    xs = [np.asarray(rng.standard_normal(s), dtype=dtype) for s in SHAPES]
    a = [coefficients(s).astype(dtype) for s in SHAPES]
    out = []
    for _ in range(steps):
        gs = [gradient(x, ai) for x, ai in zip(xs, a)]
        scaled = [np.abs(x) * g if adaptive else g for x, g in zip(xs, gs)]
        norm = np.sqrt(sum(float(np.sum(s * s)) for s in scaled))
        sign = -1 if maximize else 1
        perturbed = [x + sign * rho * (x * x if adaptive else 1) * g / (norm + 1e-12) for x, g in zip(xs, gs)]
        xs = [x - sign * lr * gradient(w, ai) for x, w, ai in zip(xs, perturbed, a)]
        out.append([x.copy() for x in xs])
    return out


def run(m, opt, params, steps=20):
    def closure():
        opt.zero_grad()
        loss = loss_fn(m, params)
        loss.backward()
        return loss
    out = []
    for _ in range(steps):
        closure()
        opt.step(closure)
        out.append([to_np(p) for p in params])
    return out


def sam_run(m, dtype, base, adaptive=False, maximize=False, **base_options):
    params = make_params(m, dtype)
    extra = {"maximize": True} if maximize else {}
    return run(m, m.optim.contrib.SAM(params, getattr(m.optim, base), rho=0.05, adaptive=adaptive, **base_options,
                                      **extra), params)


def assert_close(actual, expected, tol):
    for k, (a_step, e_step) in enumerate(zip(actual, expected)):
        for j, (a, e) in enumerate(zip(a_step, e_step)):
            np.testing.assert_allclose(a, e, err_msg=f"step {k + 1}, param {j}", **tol)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("kw", [dict(), dict(adaptive=True), dict(maximize=True)], ids=str)
def test_matches_paper(kw, dtype):
    assert_close(sam_run(numtorch, dtype, "SGD", lr=0.1, **kw), sam_sgd_ref(dtype, **kw), TOL[dtype])


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("adaptive", [False, True])
@pytest.mark.parametrize("base, options", [("SGD", dict(lr=0.1, momentum=0.9)), ("Adam", dict(lr=0.05))])
def test_matches_pytorch_optimizer(base, options, adaptive, dtype):
    pytest.importorskip("pytorch_optimizer")
    from pytorch_optimizer import SAM
    params = make_params(torch, dtype)
    expected = run(torch, SAM(params, getattr(torch.optim, base), rho=0.05, adaptive=adaptive, **options), params)
    tol = TOL["float32"] if dtype == "float32" else dict(rtol=1e-6, atol=1e-8)
    assert_close(sam_run(numtorch, dtype, base, adaptive, **options), expected, tol)


def test_first_and_second_step_restore_the_weights():
    params = make_params(numtorch, "float64")
    opt = numtorch.optim.contrib.SAM(params, numtorch.optim.SGD, lr=0.0)
    loss_fn(numtorch, params).backward()
    before = [p.detach().clone() for p in params]
    opt.first_step(zero_grad=True)
    assert all(p.grad is None for p in params)
    assert not numtorch.equal(params[0], before[0])
    loss_fn(numtorch, params).backward()
    opt.second_step()
    assert all(numtorch.equal(p, b) for p, b in zip(params, before))  # lr 0: back exactly where it started


def test_state_and_groups_are_shared_with_the_base():
    params = make_params(numtorch, "float64")
    opt = numtorch.optim.contrib.SAM(params[:2], numtorch.optim.Adam, rho=0.1, lr=0.01)
    opt.add_param_group({"params": params[2:], "rho": 0.2})
    assert opt.param_groups is opt.base_optimizer.param_groups and opt.state is opt.base_optimizer.state
    assert opt.param_groups[1]["betas"] == (0.9, 0.999) and opt.param_groups[1]["rho"] == 0.2
    run(numtorch, opt, params, steps=3)
    assert set(opt.state_dict()["state"][0]) == {"step", "exp_avg", "exp_avg_sq"}


@pytest.mark.parametrize("via", [copy.deepcopy, pickled])
def test_state_dict_round_trip(via):
    params = make_params(numtorch, "float64")
    opt = numtorch.optim.contrib.SAM(params, numtorch.optim.Adam, lr=0.05, adaptive=True)
    run(numtorch, opt, params, steps=5)
    fresh_params = [p.detach().clone().requires_grad_(True) for p in params]
    fresh = numtorch.optim.contrib.SAM(fresh_params, numtorch.optim.Adam, lr=0.05, adaptive=True)
    fresh.load_state_dict(via(opt.state_dict()))
    assert fresh.base_optimizer.state is fresh.state
    for a_step, b_step in zip(run(numtorch, opt, params, 5), run(numtorch, fresh, fresh_params, 5)):
        for a, b in zip(a_step, b_step):
            np.testing.assert_array_equal(a, b)


def test_needs_a_closure_and_a_valid_rho():
    opt = numtorch.optim.contrib.SAM(make_params(numtorch, "float64"), numtorch.optim.SGD, lr=0.1)
    with pytest.raises(RuntimeError, match="closure"):
        opt.step()
    with pytest.raises(ValueError, match="Invalid rho"):
        numtorch.optim.contrib.SAM(make_params(numtorch, "float64"), numtorch.optim.SGD, rho=-0.1)
