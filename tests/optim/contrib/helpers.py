"""Drive a contrib optimizer and its independent reference through the same run, and compare every step.

A run: params of several shapes (a matrix, a vector, a 0-d and an empty
tensor) from NumPy's seeded generator; each step's gradient is a fixed NumPy
function of the param's current value plus seeded noise (tests/optim/parity.py),
so runs agree as long as the optimizers do. `sparse=True` also leaves some
grads None (the param must be skipped and its state made late); zero grads
occur either way.

References: `pytorch_optimizer` on torch (`m` = torch in `make_opt(m, params)`),
or a NumPy transcription of the paper's pseudo-code: `ref_step(p, g, state,
**options)` returns the new param, with `state` a dict it keeps; with
`whole=True`, `ref_step(params, grads, state, **options)` takes every param at
once (grads None where absent) and returns the new list, for algorithms with
optimizer-wide quantities.
"""
from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest
import torch

import numtorch
from tests.optim.parity import grad_array, to_np

SHAPES = [(3, 4), (5,), (), (0, 3)]
TOL = {"float64": dict(rtol=1e-10, atol=1e-12), "float32": dict(rtol=2e-5, atol=2e-6)}


def pytorch_optimizer():
    """The pytorch_optimizer package, or a skip: `pip install pytorch_optimizer` (it keeps the installed torch)."""
    return pytest.importorskip("pytorch_optimizer")


def make_params(m, dtype: str, shapes=SHAPES, seed: int = 0):
    rng = np.random.default_rng(seed)
    return [m.tensor(rng.standard_normal(s), dtype=getattr(m, dtype), requires_grad=True) for s in shapes]


def step_grad(x: np.ndarray, step: int, j: int, sparse: bool):
    """The gradient param j gets at `step` (never None unless `sparse`)."""
    g = grad_array(x, step, j)
    if g is None and not sparse:
        g = grad_array(x, step + 1001, j)  # (step + 1001 + j) % 5 != 3: never None
    return g


def trajectory(m, make_opt, dtype="float64", steps=20, shapes=SHAPES, sparse=True, params=None, opt=None, start=0):
    """Every param's value after each step of `make_opt(m, params)`: [[array per param] per step]."""
    params = make_params(m, dtype, shapes) if params is None else params
    opt = make_opt(m, params) if opt is None else opt
    out = []
    for k in range(start, start + steps):
        for j, p in enumerate(params):
            g = step_grad(to_np(p), k, j, sparse)
            p.grad = None if g is None else m.tensor(g)
        opt.step()
        out.append([to_np(p) for p in params])
    return out


def numpy_trajectory(ref_step, dtype="float64", steps=20, shapes=SHAPES, sparse=True, whole=False, **options):
    """The same run with the NumPy reference `ref_step` (float64 or float32 arithmetic throughout)."""
    rng = np.random.default_rng(0)
    params = [np.asarray(rng.standard_normal(s), dtype=dtype) for s in shapes]
    states = [{} for _ in params]
    out = []
    for k in range(steps):
        grads = [step_grad(p, k, j, sparse) for j, p in enumerate(params)]
        if whole:
            params = [np.asarray(p, dtype=dtype) for p in ref_step([p.copy() for p in params], grads, states[0],
                                                                   **options)]
        for j, (p, g) in enumerate(zip(params, grads)):
            if g is not None and not whole:
                params[j] = np.asarray(ref_step(p.copy(), g, states[j], **options), dtype=dtype)
        out.append([p.copy() for p in params])
    return out


def assert_trajectories_close(actual, expected, dtype="float64", tol=None) -> None:
    tol = tol or TOL[dtype]
    assert len(actual) == len(expected)
    for k, (a_step, e_step) in enumerate(zip(actual, expected)):
        for j, (a, e) in enumerate(zip(a_step, e_step)):
            np.testing.assert_allclose(a, e, err_msg=f"step {k + 1}, param {j}", **tol)


def compare_with_pytorch_optimizer(make_opt, make_ref, dtype="float64", steps=20, shapes=SHAPES[:3], tol=None):
    """numtorch's `make_opt(numtorch, ps)` against pytorch_optimizer's `make_ref(torch, ps)`, dense grads."""
    pytorch_optimizer()
    actual = trajectory(numtorch, make_opt, dtype, steps, shapes, sparse=False)
    expected = trajectory(torch, make_ref, dtype, steps, shapes, sparse=False)
    assert_trajectories_close(actual, expected, dtype, tol)


def compare_with_numpy(make_opt, ref_step, dtype="float64", steps=20, shapes=SHAPES, sparse=True, tol=None,
                       whole=False, **options):
    actual = trajectory(numtorch, make_opt, dtype, steps, shapes, sparse)
    expected = numpy_trajectory(ref_step, dtype, steps, shapes, sparse, whole, **options)
    assert_trajectories_close(actual, expected, dtype, tol)


def check_round_trip(make_opt, dtype="float64", shapes=SHAPES, sparse=True, via=copy.deepcopy) -> None:
    """10 steps; the state_dict (through `via`) loaded into a fresh optimizer on cloned params continues bit for bit."""
    params = make_params(numtorch, dtype, shapes)
    opt = make_opt(numtorch, params)
    trajectory(numtorch, None, dtype, 10, shapes, sparse, params=params, opt=opt)
    saved = via(opt.state_dict())
    fresh_params = [p.detach().clone().requires_grad_(True) for p in params]
    fresh = make_opt(numtorch, fresh_params)
    fresh.load_state_dict(saved)
    ahead = trajectory(numtorch, None, dtype, 10, shapes, sparse, params=params, opt=opt, start=10)
    again = trajectory(numtorch, None, dtype, 10, shapes, sparse, params=fresh_params, opt=fresh, start=10)
    for k, (a_step, b_step) in enumerate(zip(ahead, again)):
        for j, (a, b) in enumerate(zip(a_step, b_step)):
            np.testing.assert_array_equal(a, b, err_msg=f"step {k + 11}, param {j}")


def pickled(obj):
    return pickle.loads(pickle.dumps(obj))
