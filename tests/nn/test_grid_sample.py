"""F.affine_grid and F.grid_sample against torch 2.13: every mode x padding x align_corners on 4-D
(and bilinear / nearest on 5-D) inputs, points inside and outside the input, values and gradients
for input and grid, float32 and float64, gradcheck, and torch's errors and warnings."""
import itertools
import warnings

import numpy as np
import pytest
import torch

import numtorch

TOL = {np.float64: dict(rtol=1e-10, atol=1e-12), np.float32: dict(rtol=1e-4, atol=1e-5)}
rng = np.random.default_rng(0)


def _np(t):
    return t.detach().numpy()


def compare(fn, arrays, dtype=np.float64):
    """fn(F, *tensors) on both libraries: output, grad_fn name and the inputs' gradients agree."""
    res = []
    for lib in (numtorch, torch):
        ts = [lib.tensor(a.astype(dtype), requires_grad=True) for a in arrays]
        y = fn(lib.nn.functional, *ts)
        go = lib.tensor(np.random.default_rng(1).standard_normal(tuple(y.shape)).astype(dtype))
        res.append((y, y.grad_fn.name(), lib.autograd.grad(y, ts, go)))
    (y1, n1, g1), (y2, n2, g2) = res
    assert n1 == n2
    np.testing.assert_allclose(_np(y1), _np(y2), **TOL[dtype])
    assert _np(y1).dtype == _np(y2).dtype
    for i, (a, b) in enumerate(zip(g1, g2)):
        np.testing.assert_allclose(_np(a), _np(b), err_msg=f"grad {i}", **TOL[dtype])


X4 = rng.standard_normal((2, 3, 4, 5))
G4 = rng.uniform(-1.3, 1.3, (2, 3, 6, 2))        # points inside and outside [-1, 1]
X5 = rng.standard_normal((1, 2, 3, 4, 5))
G5 = rng.uniform(-1.3, 1.3, (1, 2, 3, 2, 3))
CASES = list(itertools.product(["bilinear", "nearest", "bicubic"], ["zeros", "border", "reflection"], [False, True]))


@pytest.mark.parametrize("mode,padding_mode,align_corners", CASES)
def test_grid_sample_4d(mode, padding_mode, align_corners):
    def fn(F, x, g):
        return F.grid_sample(x, g, mode=mode, padding_mode=padding_mode, align_corners=align_corners)
    compare(fn, [X4, G4])
    compare(fn, [X4[:1, :, :3, :1], G4[:1]], np.float32)     # a width-1 input


@pytest.mark.parametrize("mode,padding_mode,align_corners", [c for c in CASES if c[0] != "bicubic"])
def test_grid_sample_5d(mode, padding_mode, align_corners):
    compare(lambda F, x, g: F.grid_sample(x, g, mode=mode, padding_mode=padding_mode, align_corners=align_corners),
            [X5, G5])


def test_grid_sample_exact_corners_and_gradcheck():
    # grid points exactly on pixel centres and on the borders (the clip/reflection kinks)
    ys, xs = np.meshgrid(np.linspace(-1, 1, 4), np.linspace(-1, 1, 5), indexing="ij")
    g = np.stack([xs, ys], -1)[None].repeat(2, 0)
    for padding_mode, ac in itertools.product(["zeros", "border", "reflection"], [False, True]):
        compare(lambda F, x, gr: F.grid_sample(x, gr, padding_mode=padding_mode, align_corners=ac), [X4, g])
    x = numtorch.tensor(X4[:1, :1], requires_grad=True)
    gr = numtorch.tensor(rng.uniform(-0.9, 0.9, (1, 2, 3, 2)), requires_grad=True)
    for mode in ("bilinear", "bicubic"):
        assert numtorch.autograd.gradcheck(
            lambda a, b: numtorch.nn.functional.grid_sample(a, b, mode=mode, align_corners=False), (x, gr))


def test_grid_sample_double_backward_unsupported():
    x = numtorch.tensor(X4, requires_grad=True)
    g = numtorch.tensor(G4, requires_grad=True)
    y = numtorch.nn.functional.grid_sample(x, g, align_corners=False)
    gx, gg = numtorch.autograd.grad(y.sum(), [x, g], create_graph=True)
    with pytest.raises(NotImplementedError, match="double backward of grid_sample"):
        numtorch.autograd.grad((gx.sum() + gg.sum()), [x, g])


@pytest.mark.parametrize("size", [(2, 1, 3, 4), (2, 1, 1, 5), (2, 3, 2, 3, 4)])
@pytest.mark.parametrize("align_corners", [False, True])
def test_affine_grid(size, align_corners):
    theta = rng.standard_normal((2, 2, 3) if len(size) == 4 else (2, 3, 4))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        compare(lambda F, t: F.affine_grid(t, size, align_corners=align_corners), [theta])
    t = numtorch.tensor(theta, requires_grad=True)
    assert numtorch.autograd.gradgradcheck(lambda t: numtorch.nn.functional.affine_grid(t, size, False), (t,))


def _error(fn):
    try:
        fn()
    except Exception as e:   # noqa: BLE001 - compared with torch's
        return type(e), str(e)
    return None


@pytest.mark.parametrize("case", [
    lambda F, lib: F.grid_sample(lib.tensor(X4), lib.tensor(G4), mode="linear", align_corners=False),
    lambda F, lib: F.grid_sample(lib.tensor(X4), lib.tensor(G4), padding_mode="wrap", align_corners=False),
    lambda F, lib: F.grid_sample(lib.tensor(X4), lib.tensor(G4).float(), align_corners=False),
    lambda F, lib: F.grid_sample(lib.tensor(X4), lib.tensor(G5), align_corners=False),
    lambda F, lib: F.grid_sample(lib.tensor(X4[:1]), lib.tensor(G4), align_corners=False),
    lambda F, lib: F.grid_sample(lib.tensor(X4), lib.tensor(G4[..., :1]), align_corners=False),
    lambda F, lib: F.grid_sample(lib.tensor(X5), lib.tensor(G5), mode="bicubic", align_corners=False),
    lambda F, lib: F.grid_sample(lib.tensor(X4).long(), lib.tensor(G4).long(), align_corners=False),
    lambda F, lib: F.affine_grid(lib.tensor(X4[0, 0, :2, :3]), (1, 1, 2, 2), align_corners=False),
    lambda F, lib: F.affine_grid(lib.zeros(1, 2, 3), (1, 1, 2, 2, 2), align_corners=False),
    lambda F, lib: F.affine_grid(lib.zeros(1, 2, 3), (1, 1, 2), align_corners=False),
    lambda F, lib: F.affine_grid(lib.zeros(1, 2, 3).long(), (1, 1, 2, 2), align_corners=False),
    lambda F, lib: F.affine_grid(lib.zeros(1, 2, 3), (1, 1, 0, 2), align_corners=False),
])
def test_errors(case):
    a = _error(lambda: case(numtorch.nn.functional, numtorch))
    b = _error(lambda: case(torch.nn.functional, torch))
    assert a is not None and b is not None and a[0] is b[0], (a, b)
    assert a[1].replace("numtorch", "torch") == b[1], (a, b)


def test_align_corners_warnings():
    for lib in (numtorch, torch):
        with pytest.warns(UserWarning, match="align_corners=False since 1.3.0"):
            lib.nn.functional.grid_sample(lib.tensor(X4), lib.tensor(G4))
        with pytest.warns(UserWarning, match="unit-size grids"):
            lib.nn.functional.affine_grid(lib.zeros(1, 2, 3), (1, 1, 1, 2), align_corners=True)
