"""lgamma, digamma, polygamma, mvlgamma, i0, sinc against torch: forward, grad, grad-of-grad
(op table) and special points, in-place forms and errors."""
import numpy as np
import pytest
import torch

import numtorch
from tests.optable import Row, away_from, row_tests, shapes

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

POS = shapes(1)
# numtorch's trigamma and higher polygammas are accurate to ~1e-15; torch's trigamma to ~1e-10
LOOSE = 1e3

ROWS = [
    Row("lgamma", lambda m, x: m.lgamma(x), POS, low=-3, high=4, avoid=away_from(0, -1, -2, -3), tol_scale=LOOSE),
    Row("digamma", lambda m, x: x.digamma(), POS, low=0.2, high=5, tol_scale=LOOSE),
    Row("digamma_neg", lambda m, x: m.digamma(x), POS, low=-2.9, high=-0.1, avoid=away_from(-1, -2, margin=0.1),
        tol_scale=LOOSE),
    Row("polygamma1", lambda m, x: m.polygamma(1, x), POS, low=0.2, high=5, tol_scale=LOOSE),
    Row("polygamma2", lambda m, x: x.polygamma(2), POS, low=0.3, high=4, tol_scale=LOOSE),
    Row("mvlgamma", lambda m, x: m.mvlgamma(x, 3), POS, low=1.2, high=4, tol_scale=LOOSE),
    Row("i0", lambda m, x: m.i0(x), POS, low=-4, high=4),
    Row("sinc", lambda m, x: m.sinc(x), POS, low=-3, high=3),
]


test_row = row_tests(ROWS)


POINTS = [0.0, -1.0, -2.5, 1e-3, 3.0, 0.5, 7.3, 25.0, -0.3, float("inf"), float("nan"), 1e-8, 100.5, 40.0, -30.0]
FUNCS = {
    "lgamma": lambda m, x: m.lgamma(x), "digamma": lambda m, x: m.digamma(x), "i0": lambda m, x: m.i0(x),
    "sinc": lambda m, x: m.sinc(x), "polygamma0": lambda m, x: m.polygamma(0, x),
    "polygamma3": lambda m, x: m.polygamma(3, x.clamp(min=0.01)),
}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", list(FUNCS))
def test_special_points(name, dtype):
    ours = FUNCS[name](numtorch, numtorch.tensor(POINTS, dtype=getattr(numtorch, dtype)))
    theirs = FUNCS[name](torch, torch.tensor(POINTS, dtype=getattr(torch, dtype)))
    assert str(ours.dtype) == str(theirs.dtype)
    tol = 1e-9 if dtype == "float64" else 2e-5
    np.testing.assert_allclose(ours._data, theirs.numpy(), rtol=tol, atol=1e-30, equal_nan=True)


def test_integer_inputs_become_float():
    for name in ("lgamma", "digamma", "i0", "sinc"):
        assert getattr(numtorch, name)(numtorch.tensor([1, 2])).dtype == numtorch.float32
    assert numtorch.polygamma(1, numtorch.tensor([1, 2])).dtype == numtorch.float32


def test_inplace_forms():
    for name, args in (("lgamma_", ()), ("digamma_", ()), ("polygamma_", (1,)), ("mvlgamma_", (2,)),
                       ("i0_", ()), ("sinc_", ())):
        ours = getattr(numtorch.tensor([1.5, 2.5]), name)(*args)
        theirs = getattr(torch.tensor([1.5, 2.5]), name)(*args)
        np.testing.assert_allclose(ours._data, theirs.numpy(), rtol=1e-5)
    np.testing.assert_allclose(numtorch.i0_(numtorch.tensor([1.0]))._data, torch.i0_(torch.tensor([1.0])).numpy())


def test_grad_fn_names():
    x = numtorch.tensor([1.5], requires_grad=True)
    names = [type(f(x).grad_fn).__name__ for f in (numtorch.lgamma, numtorch.digamma, numtorch.i0, numtorch.sinc,
                                                   lambda t: numtorch.polygamma(2, t))]
    assert names == ["LgammaBackward0", "DigammaBackward0", "I0Backward0", "SincBackward0", "PolygammaBackward0"]


def test_errors():
    with pytest.raises(RuntimeError, match="does not support negative n"):
        numtorch.polygamma(-1, numtorch.tensor([0.2]))
    with pytest.raises(RuntimeError, match="greater than or equal to 1"):
        numtorch.mvlgamma(numtorch.tensor([2.0]), 0)
