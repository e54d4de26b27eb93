"""The compiled conv / max-pool backward loops (numtorch/_ops/_loops.py) against their NumPy twins and torch."""
import numpy as np
import pytest
import torch

import numtorch
from numtorch import _numba


@pytest.fixture(params=["numba", "numpy"])
def path(request, monkeypatch):
    if request.param == "numba":
        pytest.importorskip("numba")
        monkeypatch.setattr(_numba, "MIN_NUMEL", 0)   # small inputs take the compiled loops too
    monkeypatch.setattr(_numba, "enabled", request.param == "numba")
    return request.param


@pytest.mark.parametrize("stride, padding, dilation, groups", [(1, 0, 1, 1), ((2, 3), (1, 2), (1, 2), 2),
                                                              (1, 2, (2, 1), 1)])
def test_conv2d_input_and_weight_grads(path, stride, padding, dilation, groups):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 4, 11, 12)).astype(np.float32)
    w = rng.standard_normal((6, 4 // groups, 3, 3)).astype(np.float32)
    grads = []
    for lib in (numtorch, torch):
        xt, wt = lib.tensor(x, requires_grad=True), lib.tensor(w, requires_grad=True)
        out = lib.nn.functional.conv2d(xt, wt, None, stride, padding, dilation, groups)
        out.backward(lib.tensor(np.cos(np.arange(out.numel(), dtype=np.float32)).reshape(tuple(out.shape))))
        grads.append((xt.grad.numpy(), wt.grad.numpy()))
    for ours, theirs in zip(*grads):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("kernel, stride, padding, dilation, ceil", [(2, 2, 0, 1, False), (3, 2, 1, 1, True),
                                                                    ((3, 2), 1, (1, 0), (1, 2), False)])
def test_max_pool2d_grad(path, kernel, stride, padding, dilation, ceil):
    x = np.random.default_rng(1).standard_normal((2, 3, 9, 10)).astype(np.float32)
    x[0, 0, 0, :2] = 5.0   # a tie: the first maximum takes the gradient
    grads = []
    for lib in (numtorch, torch):
        xt = lib.tensor(x, requires_grad=True)
        out = lib.nn.functional.max_pool2d(xt, kernel, stride, padding, dilation, ceil)
        out.backward(lib.tensor(np.sin(np.arange(out.numel(), dtype=np.float32)).reshape(tuple(out.shape))))
        grads.append(xt.grad.numpy())
    if path == "numba":   # adds overlapping windows' gradients in torch's order: the same bits
        np.testing.assert_array_equal(*grads)
    else:
        np.testing.assert_allclose(*grads, rtol=1e-6, atol=1e-6)
