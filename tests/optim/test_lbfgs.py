"""LBFGS trajectories, state, checkpoints and errors equal torch 2.13's.

Most closures compute loss and gradient in NumPy and hand both libraries the same numbers, so
that a difference can only come from the optimizer. 1-ulp differences remain, from numtorch's
core ops rather than from LBFGS: torch's CPU dot products and `add(other, alpha=)` use fused
multiply-adds where NumPy rounds twice, its float64 sqrt is not always correctly rounded, and
sums run in another order. L-BFGS on Rosenbrock's curved valley amplifies them by orders of
magnitude within a few dozen iterations, and the curvature pairs it stores (gradient
differences y, ro = 1 / y.s) lose further digits to cancellation. So the float64 Rosenbrock
runs compare params and losses to 1e-9 relative over their first steps (10 to 40
iterations), the control flow (every evaluation and iteration count, every state entry's
type) exactly, and the stored state to 1e-6; float32 runs are compared loosely. On a
well-conditioned least-squares problem, with autograd closures, float64 runs agree to 1e-10
in everything.
"""
from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest
import torch
from torch.optim.lbfgs import _cubic_interpolate as torch_cubic_interpolate

import numtorch
from numtorch.optim.lbfgs import _cubic_interpolate
from tests.optim.parity import assert_identical, assert_value_equal, to_np, torch_state_dict_to_numtorch
from tests.optim.properties import assert_same_outcome
from tests.optim.test_optimizer import _leaf

LIBS = (numtorch, torch)
X2 = [-1.5, 2.0]
X10 = list(np.random.default_rng(0).uniform(-2, 2, 10))
SPLIT = [(4,), (2, 3)]  # the 10-D problem's params: LBFGS flattens them into one vector and back


def rosenbrock(x: np.ndarray):
    """Rosenbrock's function of x (any length >= 2) and its gradient."""
    a, b = x[:-1], x[1:]
    g = np.zeros_like(x)
    g[:-1] = -400 * a * (b - a * a) - 2 * (1 - a)
    g[1:] += 200 * (b - a * a)
    return np.sum(100 * (b - a * a) ** 2 + (1 - a) ** 2), g


def make_params(m, x0, dtype):
    """x0 as one param, or (10 values) as params shaped SPLIT plus one that never gets a grad."""
    x0 = np.asarray(x0, dtype=dtype)
    if len(x0) == 2:
        return [m.tensor(x0, requires_grad=True)]
    parts = np.split(x0, np.cumsum([int(np.prod(s)) for s in SPLIT])[:-1])
    return [m.tensor(v.reshape(s), requires_grad=True) for v, s in zip(parts, SPLIT)] + \
        [m.tensor(np.ones(2, dtype), requires_grad=True)]


def numpy_closure(m, params, objective=rosenbrock):
    """Loss and grads from NumPy on the gradded params' concatenated values (the last of several has none)."""
    live = params if len(params) == 1 else params[:-1]

    def closure():
        f, g = objective(np.concatenate([to_np(p).ravel() for p in live]))
        for p, part in zip(live, np.split(g, np.cumsum([p.numel() for p in live])[:-1])):
            p.grad = m.tensor(part.reshape(tuple(p.shape)))
        return m.tensor(f)
    return closure


def run(m, x0, dtype, steps, params=None, opt=None, **kw):
    """`steps` LBFGS steps on Rosenbrock; returns (params, optimizer, [(loss, values, counts) per step])."""
    params = make_params(m, x0, dtype) if params is None else params
    opt = m.optim.LBFGS(params, **kw) if opt is None else opt
    closure = numpy_closure(m, params)
    record = []
    for _ in range(steps):
        loss = opt.step(closure)
        state = opt.state[params[0]]
        record.append((float(loss), np.concatenate([to_np(p).ravel() for p in params]),
                       (state["func_evals"], state["n_iter"])))
    return params, opt, record


def assert_same(nt, tt, tol, state_tol=None):
    """Every step's counts equal, its params and loss to `tol`; the final state_dict to `state_tol`."""
    (n_ps, n_opt, n_rec), (t_ps, t_opt, t_rec) = nt, tt
    for k, ((nl, nx, nc), (tl, tx, tc)) in enumerate(zip(n_rec, t_rec)):
        assert nc == tc, f"step {k}: (func_evals, n_iter) {nc} != {tc}"
        np.testing.assert_allclose(nx, tx, err_msg=f"params after step {k}", **tol)
        np.testing.assert_allclose(nl, tl, err_msg=f"loss of step {k}", **tol)
    assert_state_close(n_opt.state_dict(), t_opt.state_dict(), state_tol or tol)


def assert_state_close(a, b, tol, path="state_dict") -> None:
    """parity.assert_value_equal, with the Python floats LBFGS keeps (prev_loss, often t) compared to `tol`."""
    if isinstance(b, float):
        assert type(a) is float, f"{path}: {a!r} is not a float"
        np.testing.assert_allclose(a, b, err_msg=path, **tol)
    elif isinstance(b, dict):
        assert list(a) == list(b), f"{path}: keys {list(a)} != {list(b)}"
        for k in b:
            assert_state_close(a[k], b[k], tol, f"{path}[{k!r}]")
    elif isinstance(b, list):
        assert type(a) is list and len(a) == len(b), f"{path}: {a!r} != {b!r}"
        for i, (x, y) in enumerate(zip(a, b)):
            assert_state_close(x, y, tol, f"{path}[{i}]")
    else:
        assert_value_equal(a, b, tol, path)


TIGHT = dict(rtol=1e-9, atol=1e-12)
STATE = dict(rtol=1e-6, atol=1e-9)  # the curvature pairs' cancellation, see the module's note


CASES = {  # name: (x0, steps, options); steps chosen within the float64 agreement described above
    "2-D": (X2, 4, dict(lr=0.2, max_iter=10, history_size=5)),
    "2-D strong_wolfe": (X2, 2, dict(line_search_fn="strong_wolfe")),
    "2-D strong_wolfe short history": (X2, 2, dict(line_search_fn="strong_wolfe", max_iter=8, history_size=3)),
    "10-D": (X10, 3, dict(lr=0.2, max_iter=10, history_size=5)),
    "10-D strong_wolfe": (X10, 3, dict(line_search_fn="strong_wolfe", max_iter=10, history_size=4)),
    "10-D max_eval": (X10, 4, dict(lr=0.1, max_iter=12, max_eval=7)),
}


@pytest.mark.parametrize("name", list(CASES))
def test_rosenbrock_float64(name):
    x0, steps, kw = CASES[name]
    assert_same(run(numtorch, x0, "float64", steps, **kw), run(torch, x0, "float64", steps, **kw), TIGHT, STATE)


FLOAT32_STEPS = {"2-D": 3, "2-D strong_wolfe": 1, "10-D": 2, "10-D strong_wolfe": 1, "10-D max_eval": 4}


@pytest.mark.parametrize("name", list(FLOAT32_STEPS))
def test_rosenbrock_float32(name):
    """Loose, and fewer steps: float32's rounding differences grow as float64's, from a larger start
    (within a few steps they change a line search's evaluation count)."""
    x0, _, kw = CASES[name]
    nt, tt = (run(m, x0, "float32", FLOAT32_STEPS[name], **kw) for m in LIBS)
    assert_same(nt, tt, dict(rtol=2e-4, atol=1e-5), dict(rtol=1e-2, atol=1e-3))


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_rosenbrock_converges_like_torch(line_search_fn):
    """Over many steps the two runs part at the rounding level but reach the same minimum alike."""
    kw = dict(line_search_fn=line_search_fn, lr=1 if line_search_fn else 0.2)
    for x0 in (X2, X10):
        (_, _, n_rec), (_, _, t_rec) = (run(m, x0, "float64", 6, **kw) for m in LIBS)
        np.testing.assert_allclose(n_rec[-1][1], t_rec[-1][1], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_cubic_interpolation_is_torchs(dtype):
    """numtorch's interpolation (written once for both orders of the points) does torch's operations:
    torch's own function, run on numtorch's 0-d tensors, gives the same bits and types.

    (Against torch's tensors a few results differ in the last bit: torch's CPU sqrt is not
    correctly rounded for about 1% of float64 inputs, NumPy's is.)
    """
    rng = np.random.default_rng(4)
    for _ in range(200):
        x1, x2, f1, f2 = (float(v) for v in rng.uniform(-3, 3, 4))
        g1, g2 = (numtorch.tensor(v) for v in rng.standard_normal(2).astype(dtype))
        bounds = None if rng.random() < 0.5 else tuple(sorted(float(v) for v in rng.uniform(-4, 4, 2)))
        ours, theirs = (interpolate(x1, f1, g1, x2, f2, g2, bounds=bounds)
                        for interpolate in (_cubic_interpolate, torch_cubic_interpolate))
        assert type(ours) is type(theirs) and float(ours) == float(theirs)


# -- a least-squares fit, with autograd closures -------------------------------------------------------------

def least_squares(m, dtype, steps, **kw):
    rng = np.random.default_rng(3)
    a = m.tensor(rng.standard_normal((20, 5)), dtype=getattr(m, dtype))
    y = m.tensor(rng.standard_normal(20), dtype=getattr(m, dtype))
    w = m.zeros(5, dtype=getattr(m, dtype), requires_grad=True)
    b = m.zeros((), dtype=getattr(m, dtype), requires_grad=True)
    opt = m.optim.LBFGS([w, b], **kw)

    def closure():
        opt.zero_grad()
        loss = ((a @ w + b - y) ** 2).mean()
        loss.backward()
        return loss

    losses = [opt.step(closure).item() for _ in range(steps)]
    return np.concatenate([to_np(w), to_np(b)[None]]), losses, opt


@pytest.mark.parametrize("kw", [dict(), dict(line_search_fn="strong_wolfe"), dict(lr=0.3, max_iter=3, history_size=2)],
                         ids=["default", "strong_wolfe", "short"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_least_squares(kw, dtype):
    """float64: everything to 1e-10. float32: the fit and the losses; the state is not compared, as the
    runs end at float32's noise floor, where the stopping tests fire after different evaluation counts."""
    (nx, nl, n_opt), (tx, tl, t_opt) = (least_squares(m, dtype, 4, **kw) for m in LIBS)
    tol = dict(rtol=1e-10, atol=1e-12) if dtype == "float64" else dict(rtol=1e-3, atol=1e-4)
    np.testing.assert_allclose(nx, tx, **tol)
    np.testing.assert_allclose(nl, tl, **tol)
    if dtype == "float64":
        assert_state_close(n_opt.state_dict(), t_opt.state_dict(), tol)


def test_tensor_lr():
    kw = dict(max_iter=6, history_size=3)
    nt = run(numtorch, X10, "float64", 2, lr=numtorch.tensor([0.2], dtype=numtorch.float64), **kw)
    tt = run(torch, X10, "float64", 2, lr=torch.tensor([0.2], dtype=torch.float64), **kw)
    assert_same(nt, tt, TIGHT, STATE)


def test_gradient_already_small_returns_at_once():
    """Below tolerance_grad the step only counts the evaluation: state holds the two counters."""
    for m in LIBS:
        params = make_params(m, [1.0, 1.0], "float64")
        opt = m.optim.LBFGS(params)
        loss = opt.step(numpy_closure(m, params))
        assert float(loss) == 0.0 and to_np(params[0]).tolist() == [1.0, 1.0]
        assert opt.state_dict()["state"] == {0: {"func_evals": 1, "n_iter": 0}}


# -- checkpoints and copies ----------------------------------------------------------------------------------

KW = dict(line_search_fn="strong_wolfe", max_iter=5, history_size=3)


def fresh_copy(m, params, saved):
    fresh = [p.detach().clone().requires_grad_(True) for p in params]
    opt = m.optim.LBFGS(fresh, **KW)
    opt.load_state_dict(saved)
    return fresh, opt


def test_state_dict_round_trip_continues_identically():
    params, opt, _ = run(numtorch, X10, "float64", 2, **KW)
    fresh, fresh_opt = fresh_copy(numtorch, params, copy.deepcopy(opt.state_dict()))
    _, _, a = run(numtorch, None, "float64", 2, params=params, opt=opt)
    _, _, b = run(numtorch, None, "float64", 2, params=fresh, opt=fresh_opt)
    assert [(l, x.tolist(), c) for l, x, c in a] == [(l, x.tolist(), c) for l, x, c in b]
    assert_identical(fresh_opt.state_dict(), opt.state_dict())


def test_loading_torchs_state_dict_continues_torchs_trajectory():
    t_params, t_opt, _ = run(torch, X10, "float64", 2, **KW)
    n_params, n_opt = fresh_copy(numtorch, [numtorch.tensor(to_np(p)) for p in t_params],
                                 torch_state_dict_to_numtorch(t_opt.state_dict()))
    nt = run(numtorch, None, "float64", 2, params=n_params, opt=n_opt)
    tt = run(torch, None, "float64", 2, params=t_params, opt=t_opt)
    assert_same(nt, tt, TIGHT, STATE)


def test_loading_casts_state_to_the_params_dtype():
    params, opt, _ = run(numtorch, X10, "float64", 1, **KW)
    _, fresh = fresh_copy(numtorch, [p.float() for p in params], opt.state_dict())
    state = fresh.state_dict()["state"][0]
    assert state["d"].dtype == numtorch.float32 and all(s.dtype == numtorch.float32 for s in state["old_dirs"])
    assert state["d"] is not opt.state_dict()["state"][0]["d"]


@pytest.mark.parametrize("how", ["deepcopy", "pickle"])
def test_copies_keep_everything_and_can_step(how):
    """torch's own copies lose `_params` and cannot step; numtorch's continue identically."""
    params, opt, _ = run(numtorch, X10, "float64", 2, **KW)
    twin = copy.deepcopy(opt) if how == "deepcopy" else pickle.loads(pickle.dumps(opt))
    twin_params = twin.param_groups[0]["params"]
    assert all(a is not b for a, b in zip(params, twin_params)) and repr(twin) == repr(opt)
    _, _, a = run(numtorch, None, "float64", 2, params=params, opt=opt)
    _, _, b = run(numtorch, None, "float64", 2, params=twin_params, opt=twin)
    assert [(l, x.tolist(), c) for l, x, c in a] == [(l, x.tolist(), c) for l, x, c in b]


def test_repr_matches_torch():
    reprs = [repr(m.optim.LBFGS([_leaf(m, 2)], lr=0.5, line_search_fn="strong_wolfe")) for m in LIBS]
    assert reprs[0] == reprs[1]


def test_grads_are_never_modified():
    params = make_params(numtorch, X10, "float64")
    opt = numtorch.optim.LBFGS(params, **KW)
    inner = numpy_closure(numtorch, params)
    seen = []

    def closure():
        check(seen)
        loss = inner()
        seen[:] = [(p.grad, to_np(p.grad), p.grad._version) for p in params[:-1]]
        return loss

    def check(entries):
        for g, values, version in entries:
            assert g._version == version
            np.testing.assert_array_equal(to_np(g), values)

    opt.step(closure)
    check(seen)


def _two_groups_then_step(m):
    opt = m.optim.LBFGS([_leaf(m, 2)])
    opt.add_param_group({"params": [_leaf(m, 3)]})
    opt.step(lambda: m.zeros(()))


ERRORS = {
    "negative lr": lambda m: m.optim.LBFGS([_leaf(m, 2)], lr=-0.1),
    "2-element lr": lambda m: m.optim.LBFGS([_leaf(m, 2)], lr=m.tensor([0.1, 0.2])),
    "param groups": lambda m: m.optim.LBFGS([{"params": [_leaf(m, 2)]}, {"params": [_leaf(m, 2)], "lr": 0.1}]),
    "no closure": lambda m: m.optim.LBFGS([_leaf(m, 2)]).step(),
    "group added later": _two_groups_then_step,
    "unknown line search": lambda m: (lambda ps: m.optim.LBFGS(ps, line_search_fn="backtracking").step(
        numpy_closure(m, ps)))(make_params(m, X2, "float64")),
}


@pytest.mark.parametrize("name", list(ERRORS))
def test_errors_match_torch(name):
    assert_same_outcome(ERRORS[name])
