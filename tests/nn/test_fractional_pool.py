"""Fractional max pooling against torch: given samples, drawn samples under manual_seed, modules, errors."""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import numtorch
import numtorch.nn.functional as NF
from tests.nn.util import np_of

RNG = np.random.default_rng(0)
CASES = [(2, (2, 3, 11, 9), (2, 3), (5, 4)), (2, (3, 10, 10), 3, 4), (2, (1, 2, 6, 6), 2, (5, 1)),
         (3, (2, 2, 7, 8, 9), (2, 3, 2), (4, 3, 5)), (3, (2, 5, 6, 4), 2, (3, 3, 2))]


def fn(lib, nd, indices=False):
    mod = TF if lib is torch else NF
    return getattr(mod, f"fractional_max_pool{nd}d" + ("_with_indices" if indices else ""))


@pytest.mark.parametrize("nd,shape,ks,out", CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_given_samples_forward_backward(nd, shape, ks, out, dtype):
    x = RNG.standard_normal(shape).astype(dtype)
    x[..., 0] = x[..., 1]  # ties: the first maximum of a window wins
    n = shape[0] if len(shape) == nd + 2 else 1
    u = RNG.random((n, shape[-nd - 1], nd)).astype(dtype)
    results = []
    for lib in (torch, numtorch):
        xt = lib.tensor(x, requires_grad=True)
        y, idx = fn(lib, nd, True)(xt, ks, output_size=out, _random_samples=lib.tensor(u))
        g = lib.tensor(np.linspace(-1, 1, y.numel()).reshape(tuple(y.shape)).astype(dtype), requires_grad=True)
        (gx,) = lib.autograd.grad(y, xt, g, create_graph=True)
        (gg,) = lib.autograd.grad((gx * gx).sum(), g)
        results.append((y, idx, gx, gg, y.grad_fn.name(), gx.grad_fn.name()))
    (ty, ti, tgx, tgg, tn, tbn), (ny, ni, ngx, ngg, nn_, nbn) = results
    assert np.array_equal(np_of(ny), np_of(ty)) and np.array_equal(np_of(ni), np_of(ti))
    assert ni.dtype == numtorch.int64 and (tn, tbn) == (nn_, nbn)
    np.testing.assert_allclose(np_of(ngx), np_of(tgx), rtol=1e-6)
    np.testing.assert_allclose(np_of(ngg), np_of(tgg), rtol=1e-6)


@pytest.mark.parametrize("nd,shape,ks,out", CASES[:2] + CASES[3:4])
@pytest.mark.parametrize("seed", [0, 3])
def test_drawn_samples_match_torch_under_seed(nd, shape, ks, out, seed):
    x = RNG.standard_normal(shape).astype(np.float32)
    got = []
    for lib in (torch, numtorch):
        lib.manual_seed(seed)
        a = fn(lib, nd)(lib.tensor(x), ks, output_ratio=(0.5,) * nd)
        b, i = fn(lib, nd)(lib.tensor(x.astype(np.float64)), ks, output_size=out, return_indices=True)
        got.append((a, b, i, lib.rand(3)))
    for t, n in zip(*got):
        assert np.array_equal(np_of(n), np_of(t))


def test_modules():
    x = RNG.standard_normal((2, 3, 9, 10)).astype(np.float32)
    x3 = RNG.standard_normal((1, 2, 6, 7, 8)).astype(np.float32)
    for kwargs in (dict(output_size=4), dict(output_ratio=0.5), dict(output_ratio=(0.5, 0.7, 0.6), return_indices=True)):
        outs = []
        for lib in (torch, numtorch):
            lib.manual_seed(1)
            m = lib.nn.FractionalMaxPool2d(3, **{k: v[:2] if isinstance(v, tuple) else v for k, v in kwargs.items()})
            m3 = lib.nn.FractionalMaxPool3d((2, 2, 3), **kwargs)
            outs.append((m(lib.tensor(x)), m3(lib.tensor(x3)), repr(m), list(m.state_dict()), m._random_samples))
        (t2, t3, tr, ts, tb), (n2, n3, nr, ns, nb) = outs
        assert (nr, ns, nb) == (tr, ts, tb) == ("FractionalMaxPool2d()", [], None)
        for t, n in ((t2, n2), (t3, n3)):
            t, n = (t, n) if isinstance(t, tuple) else ((t,), (n,))
            for a, b in zip(t, n):
                assert np.array_equal(np_of(b), np_of(a))
    u = RNG.random((2, 3, 2)).astype(np.float32)
    t = torch.nn.FractionalMaxPool2d(2, output_size=(4, 5), _random_samples=torch.tensor(u))(torch.tensor(x))
    n = numtorch.nn.FractionalMaxPool2d(2, output_size=(4, 5), _random_samples=numtorch.tensor(u))(numtorch.tensor(x))
    assert np.array_equal(np_of(n), np_of(t))


def test_errors_match_torch():
    x = np.zeros((2, 3, 9, 9), np.float32)
    cases = [dict(kernel_size=2, output_size=9), dict(kernel_size=(2, 5), output_size=(4, 6)),
             dict(kernel_size=2, output_size=4, _random_samples=np.zeros((2, 3, 3), np.float32)),
             dict(kernel_size=2, output_size=4, _random_samples=np.zeros((1, 3, 2), np.float32)),
             dict(kernel_size=2, output_size=4, _random_samples=np.zeros((2, 3, 2)))]
    for kwargs in cases:
        msgs = []
        for lib in (torch, numtorch):
            kw = {k: (lib.tensor(v) if isinstance(v, np.ndarray) else v) for k, v in kwargs.items()}
            with pytest.raises(RuntimeError) as e:
                fn(lib, 2)(lib.tensor(x), **kw)
            msgs.append(str(e.value))
        assert msgs[0] == msgs[1]
    for lib in (torch, numtorch):
        with pytest.raises(ValueError, match="requires specifying either an output_size or an output_ratio"):
            fn(lib, 2)(lib.tensor(x), 2)
        with pytest.raises(RuntimeError, match="pool time 2 too large relative to input time 5"):
            fn(lib, 3)(lib.zeros(1, 5, 6, 7), 2, output_size=5)
        for kwargs in (dict(), dict(output_size=3, output_ratio=0.5), dict(output_ratio=1.5), dict(output_size=2)):
            if kwargs.get("output_size") != 2:
                with pytest.raises(ValueError):
                    lib.nn.FractionalMaxPool2d(2, **kwargs)
            with pytest.raises(ValueError):
                lib.nn.FractionalMaxPool3d(0 if kwargs.get("output_size") == 2 else 2, **kwargs)
