"""The compiled loops (numtorch/_ops/_loops.py) and their NumPy twins give torch's numbers, edge values included."""
import numpy as np
import pytest
import torch

import numtorch
from numtorch import _numba

SHAPE = (300, 256)  # above _numba.MIN_NUMEL, so that the compiled loops run when numba is on


@pytest.fixture(params=["numba", "numpy"])
def path(request, monkeypatch):
    if request.param == "numba":
        pytest.importorskip("numba")
    monkeypatch.setattr(_numba, "enabled", request.param == "numba")
    return request.param


def _edgy(seed, dtype):
    x = np.random.default_rng(seed).standard_normal(SHAPE).astype(dtype)
    x[0, :6] = [np.nan, -0.0, 0.0, np.inf, -np.inf, -np.nan]
    return x


@pytest.mark.parametrize("finite", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_relu_forward_and_backward(path, dtype, finite):
    x, g = _edgy(0, dtype), _edgy(1, dtype)
    if finite:  # negative gradients where the output is zero must give +0.0, as torch's
        g[0, :6] = [-1.0, -0.0, 0.0, 2.0, -3.0, -0.5]
    else:
        g[1, :] = np.inf  # an infinite gradient where the output is zero must give 0, not NaN
    ours, theirs = numtorch.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y_ours, y_theirs = ours.relu(), theirs.relu()
    y_ours.backward(numtorch.tensor(g))
    y_theirs.backward(torch.tensor(g))
    for a, b in ((y_ours.detach(), y_theirs.detach()), (ours.grad, theirs.grad)):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
        np.testing.assert_array_equal(np.signbit(a.numpy()), np.signbit(b.numpy()))


@pytest.mark.parametrize("shape", [(), (6,), (2, 3), (3, 2, 1000)])
def test_relu_small_and_odd_shapes(path, shape):
    """0-d to 3-d, below and above the size where the NumPy forward changes method: torch's bits."""
    edges = np.resize(np.array([np.nan, -0.0, 0.0, np.inf, -np.inf, -1.5, 2.5], np.float32), shape)
    x, g = edges, np.resize(np.array([-1.0, -0.0, np.inf, -2.0, np.nan, -3.0], np.float32), shape)
    ours, theirs = numtorch.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y_ours, y_theirs = ours.relu(), theirs.relu()
    y_ours.backward(numtorch.tensor(g))
    y_theirs.backward(torch.tensor(g))
    for a, b in ((y_ours.detach(), y_theirs.detach()), (ours.grad, theirs.grad)):
        assert a.shape == b.shape
        np.testing.assert_array_equal(np.ravel(a.numpy()).view(np.uint32), np.ravel(b.numpy()).view(np.uint32))


def test_relu_noncontiguous_input_takes_the_numpy_path(path):
    x = _edgy(2, np.float32)
    np.testing.assert_array_equal(numtorch.tensor(x)[:, ::2].relu().numpy(), torch.tensor(x)[:, ::2].relu().numpy())


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sum_orders_match_their_numpy_twins(dtype):
    """The compiled summation orders against _cascade.py's NumPy originals (which the op table checks against
    torch), on row counts around every cascade boundary, contiguous and strided."""
    loops = pytest.importorskip("numba") and __import__("numtorch._ops._loops", fromlist=["LOOPS"]).LOOPS
    from numtorch._ops import _cascade
    rng = np.random.default_rng(3)
    for n in [*range(1, 40), 63, 64, 65, 255, 256, 257, 4095, 4096, 4097, 70000]:
        for m in (1, 5, 40):
            x = (rng.standard_normal((n, m)) * 10.0 ** rng.uniform(-4, 4, (n, m))).astype(dtype)
            for view in (x, x[::3], x[:, ::2]):
                for name, twin in (("cascade", _cascade._cascade), ("row_sum", _cascade._row_sum)):
                    out = np.empty(view.shape[1], dtype)
                    loops.get(name)(view, out)
                    np.testing.assert_array_equal(out, twin(view), err_msg=f"{name} {view.shape}")


@pytest.mark.parametrize("shape,dims", [((128, 512), 0), ((300, 10), 0), ((70000,), 0), ((257, 300), 1)])
def test_large_sums_match_torch_bitwise(path, shape, dims):
    x = np.random.default_rng(4).standard_normal(shape).astype(np.float32) * 1e3
    np.testing.assert_array_equal(numtorch.tensor(x).sum(dims).numpy(), torch.tensor(x).sum(dims).numpy())
