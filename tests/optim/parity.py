"""Run one optimizer trajectory in numtorch and in torch 2.13 and compare everything.

A trajectory: params of several shapes (a matrix, a vector, a 0-d and an
empty tensor) drawn from NumPy's seeded generator; at every step each param's
gradient is a fixed NumPy function of its current value plus seeded noise, so
the two libraries see the same gradients as long as they agree. Some steps
leave a param's grad None (it must be skipped, and its state created late) or
give it a zero grad (it must still decay and move).

The same construction code runs on both libraries: it receives the module
(`numtorch` or `torch`) as `m`, the way `import numtorch as torch` is used.
"""
from __future__ import annotations

import numpy as np
import torch

import numtorch

SHAPES = [(3, 4), (5,), (), (0, 3)]
TOL = {"float64": dict(rtol=1e-10, atol=1e-12), "float32": dict(rtol=2e-5, atol=2e-6)}


def make_params(m, dtype: str, seed: int = 0):
    rng = np.random.default_rng(seed)
    return [m.tensor(rng.standard_normal(s), dtype=getattr(m, dtype), requires_grad=True) for s in SHAPES]


def grad_array(x: np.ndarray, step: int, j: int):
    """The gradient for param j at `step`: None, zeros, or a bounded nonlinear function of x plus noise."""
    if (step + j) % 5 == 3:
        return None
    if (step + 2 * j) % 7 == 5:
        return np.zeros_like(x)
    noise = np.random.default_rng(1000 * step + j).standard_normal(x.shape)
    return (np.tanh(2.0 * x) + 0.5 * np.sin(3.0 * x) + noise).astype(x.dtype)  # bounded: maximize stays finite


def to_np(t) -> np.ndarray:
    return t.detach().numpy().copy()


def set_grads(m, params, step: int) -> None:
    for j, p in enumerate(params):
        g = grad_array(to_np(p), step, j)
        p.grad = None if g is None else m.tensor(g)


def run(m, make_opt, dtype: str = "float64", steps: int = 20, seed: int = 0, params=None, opt=None, start=0):
    """Build params and `make_opt(m, params)`, take `steps` steps; returns (params, optimizer)."""
    if params is None:
        params = make_params(m, dtype, seed)
    if opt is None:
        opt = make_opt(m, params)
    for k in range(start, start + steps):
        set_grads(m, params, k)
        opt.step()
    return params, opt


def assert_value_equal(a, b, tol, path="") -> None:
    """numtorch value `a` equals torch value `b`: tensors by dtype, shape and values; the rest by ==."""
    if isinstance(b, torch.Tensor):
        assert isinstance(a, numtorch.Tensor), f"{path}: {type(a)} is not a Tensor"
        assert str(a.dtype) == str(b.dtype), f"{path}: dtype {a.dtype} != {b.dtype}"
        assert tuple(a.shape) == tuple(b.shape), f"{path}: shape {tuple(a.shape)} != {tuple(b.shape)}"
        np.testing.assert_allclose(to_np(a), to_np(b), err_msg=path, **tol)
    elif isinstance(b, dict):
        assert isinstance(a, dict) and list(a) == list(b), f"{path}: keys {list(a)} != {list(b)}"
        for k in b:
            assert_value_equal(a[k], b[k], tol, f"{path}[{k!r}]")
    elif isinstance(b, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b), f"{path}: {a!r} != {b!r}"
        for i, (x, y) in enumerate(zip(a, b)):
            assert_value_equal(x, y, tol, f"{path}[{i}]")
    else:
        assert type(a) is type(b) and a == b, f"{path}: {a!r} != {b!r}"


def assert_identical(a, b) -> None:
    """Two numtorch values (nested dicts, lists, tensors) are bit-for-bit equal."""
    if isinstance(b, numtorch.Tensor):
        assert isinstance(a, numtorch.Tensor) and a.dtype == b.dtype
        np.testing.assert_array_equal(to_np(a), to_np(b))
    elif isinstance(b, dict):
        assert isinstance(a, dict) and list(a) == list(b)
        for k in b:
            assert_identical(a[k], b[k])
    elif isinstance(b, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b)
        for x, y in zip(a, b):
            assert_identical(x, y)
    else:
        assert type(a) is type(b) and a == b


def assert_same_run(nt, tt, dtype: str) -> None:
    """Params and the whole state_dict (structure, ids, dtypes, values) equal torch's."""
    (nt_params, nt_opt), (t_params, t_opt) = nt, tt
    tol = TOL[dtype]
    for i, (a, b) in enumerate(zip(nt_params, t_params)):
        assert_value_equal(a.detach(), b.detach(), tol, f"param {i}")
    assert_value_equal(nt_opt.state_dict(), t_opt.state_dict(), tol, "state_dict")


def compare(make_opt, dtype: str = "float64", steps: int = 20, torch_make_opt=None) -> None:
    """The whole check: the same run in both libraries ends in the same place with the same state."""
    nt = run(numtorch, make_opt, dtype, steps)
    tt = run(torch, torch_make_opt or make_opt, dtype, steps)
    assert_same_run(nt, tt, dtype)


def torch_state_dict_to_numtorch(sd):
    """A torch state_dict with every tensor converted through NumPy (as a user converting a checkpoint)."""
    if isinstance(sd, torch.Tensor):
        return numtorch.tensor(sd.detach().numpy().copy(), dtype=getattr(numtorch, str(sd.dtype)[6:]))
    if isinstance(sd, dict):
        return {k: torch_state_dict_to_numtorch(v) for k, v in sd.items()}
    if isinstance(sd, (list, tuple)):
        return type(sd)(torch_state_dict_to_numtorch(v) for v in sd)
    return sd
