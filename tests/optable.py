"""The op table harness: one row per op, checked against torch 2.13.

A row names how to call the op (the same lambda is given `numtorch` or `torch`
as its first argument), the input shapes to draw (hypothesis strategies,
broadcasting, 0-d and empty shapes included), and the input domain. `check_row`
then asserts, for float64 and float32:

- forward values equal torch's;
- first derivatives (a random grad_output) equal torch's;
- second derivatives (grad of <grads, v> for a random v) equal torch's;
- for float64, numtorch's own gradcheck and gradgradcheck pass.

Inputs come from NumPy's seeded generator, never from torch's RNG.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import numtorch

TOL = {np.float64: dict(rtol=1e-10, atol=1e-12), np.float32: dict(rtol=2e-5, atol=2e-6)}
DERIV_TOL = {np.float64: dict(rtol=1e-8, atol=1e-10), np.float32: dict(rtol=1e-4, atol=1e-5)}


@dataclass
class Row:
    """One op under test."""
    name: str
    fn: Callable                      # fn(mod, *tensors) -> Tensor (mod is numtorch or torch)
    shapes: st.SearchStrategy         # draws a tuple of input shapes
    low: float = -2.0
    high: float = 2.0
    grad: bool = True                 # differentiable? (False: forward only)
    gradgrad: bool = True
    gradcheck: bool = True
    dtypes: Sequence = (np.float64, np.float32)
    avoid: Callable | None = None     # avoid(arrays) -> arrays: move inputs off kinks/poles
    int_inputs: Sequence[int] = field(default_factory=tuple)   # positions drawn as int64 (no grad)
    tol_scale: float = 1.0


def shapes(n: int = 1, min_dims: int = 0, max_dims: int = 3, min_side: int = 0, max_side: int = 4):
    """n mutually broadcastable shapes (each may be 0-d or empty)."""
    if n == 1:
        return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side,
                                max_side=max_side).map(lambda s: (s,))
    return hnp.mutually_broadcastable_shapes(num_shapes=n, min_dims=min_dims, max_dims=max_dims,
                                             min_side=min_side, max_side=max_side).map(lambda r: r.input_shapes)


def same_shapes(n: int, **kw):
    return hnp.array_shapes(min_dims=kw.get("min_dims", 0), max_dims=kw.get("max_dims", 3),
                            min_side=kw.get("min_side", 0), max_side=kw.get("max_side", 4)).map(lambda s: (s,) * n)


def fixed(*shape_tuples):
    return st.sampled_from(list(shape_tuples))


def make_inputs(row: Row, shape_tuple, seed: int = 0):
    rng = np.random.default_rng(seed)
    arrays = []
    for i, s in enumerate(shape_tuple):
        if i in row.int_inputs:
            arrays.append(rng.integers(0, 3, size=s).astype(np.int64))
        else:
            arrays.append(rng.uniform(row.low, row.high, size=s))
    if row.avoid is not None:
        arrays = list(row.avoid(arrays))
    return arrays


def _to(mod, arrays, dtype, row, requires_grad=True):
    out = []
    for i, a in enumerate(arrays):
        if i in row.int_inputs:
            out.append(mod.tensor(a))
        else:
            t = mod.tensor(a.astype(dtype))
            out.append(t.requires_grad_(requires_grad and row.grad))
    return out


def _np(t):
    if isinstance(t, torch.Tensor):
        return t.detach().numpy(force=True)  # force: a ZeroTensor grad (e.g. of sgn) converts too
    return np.asarray(t.detach()._data) if isinstance(t, numtorch.Tensor) else np.asarray(t)


def assert_close(ours, theirs, tol, what):
    a, b = _np(ours), _np(theirs)
    assert a.shape == b.shape, f"{what}: shape {a.shape} != torch's {b.shape}"
    assert a.dtype == b.dtype, f"{what}: dtype {a.dtype} != torch's {b.dtype}"
    np.testing.assert_allclose(a, b, equal_nan=True, err_msg=what, **tol)


def _outputs(out):
    return list(out) if isinstance(out, (tuple, list)) else [out]


def check_row(row: Row, shape_tuple, seed: int = 0) -> None:
    arrays = make_inputs(row, shape_tuple, seed)
    for dtype in row.dtypes:
        tol = {k: v * row.tol_scale for k, v in TOL[dtype].items()}
        dtol = {k: v * row.tol_scale for k, v in DERIV_TOL[dtype].items()}
        ours_in, theirs_in = _to(numtorch, arrays, dtype, row), _to(torch, arrays, dtype, row)
        ours = _outputs(row.fn(numtorch, *ours_in))
        theirs = _outputs(row.fn(torch, *theirs_in))
        for i, (o, t) in enumerate(zip(ours, theirs)):
            assert_close(o, t, tol, f"{row.name} forward[{i}] {dtype.__name__} {shape_tuple}")
        if not row.grad:
            continue
        diff = [i for i, a in enumerate(arrays) if i not in row.int_inputs]
        pairs = [(o, t) for o, t in zip(ours, theirs) if t.requires_grad]
        if not pairs:
            continue
        rng = np.random.default_rng(seed + 1)
        gos = [rng.standard_normal(_np(t).shape).astype(dtype) for _, t in pairs]
        g_ours = numtorch.autograd.grad([o for o, _ in pairs], [ours_in[i] for i in diff],
                                        [numtorch.tensor(g) for g in gos], create_graph=row.gradgrad,
                                        allow_unused=True)
        g_theirs = torch.autograd.grad([t for _, t in pairs], [theirs_in[i] for i in diff],
                                       [torch.tensor(g) for g in gos], create_graph=row.gradgrad,
                                       allow_unused=True)
        for i, (a, b) in zip(diff, zip(g_ours, g_theirs)):
            if b is None:
                continue
            assert a is not None, f"{row.name}: no gradient for input {i}"
            assert_close(a, b, dtol, f"{row.name} grad[{i}] {dtype.__name__} {shape_tuple}")
        if not row.gradgrad:
            continue
        vs = [rng.standard_normal(arrays[i].shape).astype(dtype) for i in diff]
        keep = [k for k, b in enumerate(g_theirs) if b is not None and b.requires_grad]
        if not keep:
            continue
        s_ours = sum((g_ours[k] * numtorch.tensor(vs[k])).sum() for k in keep)
        s_theirs = sum((g_theirs[k] * torch.tensor(vs[k])).sum() for k in keep)
        gg_ours = numtorch.autograd.grad(s_ours, [ours_in[i] for i in diff], allow_unused=True)
        gg_theirs = torch.autograd.grad(s_theirs, [theirs_in[i] for i in diff], allow_unused=True)
        for i, (a, b) in zip(diff, zip(gg_ours, gg_theirs)):
            if b is None:
                continue
            if a is None:
                a = numtorch.zeros(*b.shape, dtype=getattr(numtorch, str(b.dtype).split(".")[1]))
            assert_close(a, b, dtol, f"{row.name} grad-of-grad[{i}] {dtype.__name__} {shape_tuple}")
    if row.grad and row.gradcheck and np.float64 in row.dtypes:
        ins = _to(numtorch, arrays, np.float64, row)
        gc = getattr(numtorch.autograd, "gradcheck", None)
        if gc is not None and all(a.size for a in arrays):
            fn = lambda *xs: row.fn(numtorch, *xs)  # noqa: E731
            assert gc(fn, tuple(ins), eps=1e-6, atol=1e-5, rtol=1e-3), f"{row.name}: gradcheck"
            if row.gradgrad:
                assert numtorch.autograd.gradgradcheck(fn, tuple(ins), eps=1e-6, atol=1e-4, rtol=1e-3), \
                    f"{row.name}: gradgradcheck"


def away_from(*points, margin=0.05):
    """An `avoid` function moving inputs at least `margin` away from kinks such as 0 or integers."""
    def avoid(arrays):
        out = []
        for a in arrays:
            a = a.copy()
            for p in points:
                near = np.abs(a - p) < margin
                a[near] = p + np.where(a[near] >= p, margin, -margin) * 2
            out.append(a)
        return out
    return avoid


def row_tests(rows):
    """A test module's `test_row = row_tests(ROWS)`: every row checked on hypothesis-drawn shapes."""
    @pytest.mark.parametrize("row", rows, ids=lambda r: r.name)
    def test_row(row):
        @given(row.shapes)
        def check(shape_tuple):
            check_row(row, shape_tuple)
        check()
    return test_row
