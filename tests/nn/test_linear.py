"""Identity, Linear, Bilinear, Flatten, Unflatten against torch 2.13."""
import math

import numpy as np
import pytest
import torch

import numtorch
from tests.nn.util import assert_close, compare_forward_backward, np_of, twin


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(5, 4), (4,), (2, 3, 4), (0, 4)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_matches_torch(dtype, shape, bias):
    tm, nm = twin(lambda nn: nn.Linear(4, 3, bias=bias), dtype)
    x = np.random.default_rng(0).standard_normal(shape)
    t_out, n_out = compare_forward_backward(tm, nm, x, dtype=dtype)
    assert n_out.grad_fn.name() == t_out.grad_fn.name() or len(shape) == 1


def test_linear_second_derivative():
    tm, nm = twin(lambda nn: nn.Linear(3, 2), np.float64)
    x = np.random.default_rng(0).standard_normal((4, 3))
    grads = {}
    for lib, m in ((torch, tm), (numtorch, nm)):
        xi = lib.tensor(x, requires_grad=True)
        y = (m(xi) ** 2).sum()
        gx, = lib.autograd.grad(y, xi, create_graph=True)
        gx.pow(2).sum().backward()
        grads[lib] = (gx, xi.grad, m.weight.grad, m.bias.grad)
    for a, b in zip(grads[numtorch], grads[torch]):
        assert_close(a, b, np.float64)


def test_linear_functional_errors():
    F = numtorch.nn.functional
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied \(2x3 and 5x4\)"):
        F.linear(numtorch.ones(2, 3), numtorch.ones(4, 5))
    with pytest.raises(RuntimeError, match="expected m1 and m2 to have the same dtype, but got: double != float"):
        F.linear(numtorch.ones(2, 3, dtype=numtorch.float64), numtorch.ones(4, 3))


def test_linear_default_init_follows_torch_formula():
    m = numtorch.nn.Linear(400, 30)
    bound = 1 / math.sqrt(400)
    w, b = np_of(m.weight), np_of(m.bias)
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.05 * bound   # U(-b, b) has std b / sqrt(3)
    assert abs(w.mean()) < 0.05 * bound
    assert m.weight.shape == (30, 400) and m.bias.shape == (30,)
    assert m.weight.dtype == numtorch.float32
    d = numtorch.nn.Linear(3, 2, bias=False, dtype=numtorch.float64, device="cpu")
    assert d.bias is None and d.weight.dtype == numtorch.float64
    assert list(d.state_dict()) == ["weight"]
    assert repr(d) == repr(torch.nn.Linear(3, 2, bias=False)) == "Linear(in_features=3, out_features=2, bias=False)"


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bilinear_matches_torch(dtype):
    tm, nm = twin(lambda nn: nn.Bilinear(3, 4, 2), dtype)
    rng = np.random.default_rng(0)
    compare_forward_backward(tm, nm, rng.standard_normal((5, 3)), rng.standard_normal((5, 4)), dtype=dtype)
    assert repr(nm) == repr(tm)
    bound = 1 / math.sqrt(3)
    assert np.abs(np_of(numtorch.nn.Bilinear(3, 4, 50).weight)).max() <= bound
    tm, nm = twin(lambda nn: nn.Bilinear(2, 2, 3, bias=False))
    compare_forward_backward(tm, nm, rng.standard_normal((2, 2)), rng.standard_normal((2, 2)))


def test_identity_flatten_unflatten():
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    for build in (lambda nn: nn.Flatten(), lambda nn: nn.Flatten(0, 1), lambda nn: nn.Unflatten(2, (2, 2)),
                  lambda nn: nn.Unflatten(-1, [2, -1]), lambda nn: nn.Identity(3, foo=1)):
        tm, nm = twin(build)
        compare_forward_backward(tm, nm, x)
        assert repr(nm) == repr(tm)
    for bad in ((2.0, 2), "ab"):
        with pytest.raises(TypeError) as ours:
            numtorch.nn.Unflatten(1, bad)
        with pytest.raises(TypeError) as theirs:
            torch.nn.Unflatten(1, bad)
        assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize("rows,n_in,n_out", [(16, 64, 256), (128, 784, 512), (8, 300, 1024)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_transposed_product_is_exact_and_c_ordered(rows, n_in, n_out, bias):
    """Shapes where Linear computes (w @ x.T).T for speed: the same numbers as x @ w.T, laid out as torch's."""
    rng = np.random.default_rng(1)
    x, w, b = (rng.standard_normal(s).astype(np.float32) for s in ((rows, n_in), (n_out, n_in), (n_out,)))
    out = numtorch.nn.functional.linear(numtorch.tensor(x), numtorch.tensor(w), numtorch.tensor(b) if bias else None)
    expected = x @ w.T + b if bias else x @ w.T
    np.testing.assert_array_equal(out.numpy(), expected)
    assert out.is_contiguous() and out.numpy().flags.c_contiguous
    assert out.stride() == torch.empty(rows, n_out).stride()
