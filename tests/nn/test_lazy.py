"""Lazy modules against torch: materialization, seeded init, class change, state dicts, optimizers."""
import copy
import pickle

import numpy as np
import pytest
import torch

import numtorch
from tests.nn.util import assert_close, np_of

LIBS = (torch, numtorch)
RNG = np.random.default_rng(0)

CONVS = [("LazyConv1d", (2, 4, 9)), ("LazyConv2d", (2, 4, 6, 6)), ("LazyConv3d", (4, 5, 5, 5)),
         ("LazyConvTranspose1d", (2, 4, 6)), ("LazyConvTranspose2d", (2, 4, 5, 5)),
         ("LazyConvTranspose3d", (1, 4, 3, 3, 3))]
NORMS = [("LazyBatchNorm1d", (3, 4)), ("LazyBatchNorm2d", (2, 4, 3, 3)), ("LazyBatchNorm3d", (2, 4, 2, 2, 2)),
         ("LazyInstanceNorm1d", (2, 4, 5)), ("LazyInstanceNorm2d", (2, 4, 3, 3)),
         ("LazyInstanceNorm3d", (2, 4, 2, 2, 2))]


def both(name, *args, seed=None, **kwargs):
    """The same lazy module in torch and numtorch, built under the same seed."""
    out = []
    for lib in LIBS:
        if seed is not None:
            lib.manual_seed(seed)
        out.append(getattr(lib.nn, name)(*args, **kwargs))
    return out


def run_both(mods, x, seed=None):
    outs = []
    for lib, m in zip(LIBS, mods):
        if seed is not None:
            lib.manual_seed(seed)
        outs.append(m(lib.tensor(x)))
    return outs


def same_state(tm, nm):
    ts, ns = tm.state_dict(), nm.state_dict()
    assert list(ts) == list(ns)
    for k in ts:
        assert np.array_equal(np_of(ts[k]), np_of(ns[k])), k


@pytest.mark.parametrize("seed", [0, 7])
def test_lazy_linear_materializes_with_torch_init(seed):
    tm, nm = both("LazyLinear", 5)
    assert repr(nm) == repr(tm) == "LazyLinear(in_features=0, out_features=5, bias=True)"
    assert nm.has_uninitialized_params() and type(nm.weight) is numtorch.nn.UninitializedParameter
    x = RNG.standard_normal((2, 3, 7)).astype(np.float32)
    ty, ny = run_both((tm, nm), x, seed=seed)
    assert type(nm) is numtorch.nn.Linear and type(tm) is torch.nn.Linear
    assert type(nm.weight) is numtorch.nn.Parameter
    assert repr(nm) == repr(tm) and nm.in_features == 7
    assert not hasattr(nm, "_initialize_hook") and not hasattr(nm, "_load_hook")
    same_state(tm, nm)
    assert_close(ny, ty)


@pytest.mark.parametrize("name,shape", CONVS)
def test_lazy_conv(name, shape):
    tm, nm = both(name, 6, 3, groups=2, padding=1)
    assert repr(nm) == repr(tm)
    ty, ny = run_both((tm, nm), RNG.standard_normal(shape).astype(np.float32), seed=3)
    assert type(nm).__name__ == type(tm).__name__ == name[4:]
    assert repr(nm) == repr(tm)
    same_state(tm, nm)
    assert_close(ny, ty, scale=10)


def test_lazy_conv_checks():
    for lib in LIBS:
        with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
            lib.nn.LazyConv2d(4, 3, groups=2)(lib.ones(1, 3, 5, 5))
        with pytest.raises(RuntimeError, match="Expected 3D \\(unbatched\\) or 4D \\(batched\\) input"):
            lib.nn.LazyConv2d(4, 3)(lib.ones(5, 5))


@pytest.mark.filterwarnings("ignore:input.s size at dim")
@pytest.mark.parametrize("name,shape", NORMS)
@pytest.mark.parametrize("kwargs", [{}, dict(affine=False, track_running_stats=False), dict(bias=False)])
def test_lazy_norm(name, shape, kwargs):
    tm, nm = both(name, **kwargs)
    assert repr(nm) == repr(tm)
    assert {k: repr(v) for k, v in nm.state_dict().items()} == {k: repr(v) for k, v in tm.state_dict().items()}
    ty, ny = run_both((tm, nm), RNG.standard_normal(shape).astype(np.float32))
    assert type(nm).__name__ == type(tm).__name__ == name[4:]
    assert repr(nm) == repr(tm)
    assert_close(ny, ty, scale=10)
    for k, v in tm.state_dict().items():
        assert_close(nm.state_dict()[k], v, what=k)


def test_uninitialized_tensor_api():
    for lib in LIBS:
        p = lib.nn.UninitializedParameter()
        assert repr(p) == "<UninitializedParameter>" and p.requires_grad and p.size() == (0,)
        with pytest.raises(RuntimeError, match="Can't access the shape of an uninitialized"):
            _ = p.shape
        with pytest.raises(ValueError, match="Attempted to use an uninitialized parameter"):
            p.exp()
        b = lib.nn.UninitializedBuffer().double()
        assert type(b) is lib.nn.UninitializedBuffer and b.dtype == lib.float64
        assert repr(b) == "<UninitializedBuffer>" and not b.requires_grad
        assert isinstance(lib.nn.UninitializedBuffer(), lib.nn.Buffer)
        b.materialize((2, 3))
        assert type(b) is lib.Tensor and b.shape == (2, 3) and b.dtype == lib.float64
        p.materialize(4, dtype=lib.float64)
        assert type(p) is lib.nn.Parameter and p.shape == (4,) and p.dtype == lib.float64
        assert lib.nn.parameter.is_lazy(lib.nn.UninitializedBuffer()) and not lib.nn.parameter.is_lazy(p)
        c = copy.deepcopy(lib.nn.UninitializedParameter(dtype=lib.float64))
        assert type(c) is lib.nn.UninitializedParameter and c.dtype == lib.float64
        assert type(pickle.loads(pickle.dumps(lib.nn.UninitializedParameter()))) is lib.nn.UninitializedParameter


def test_state_dict_round_trips():
    for lib in LIBS:
        a, b = lib.nn.LazyLinear(3), lib.nn.LazyLinear(3)
        b.load_state_dict(a.state_dict())  # uninitialized into uninitialized
        assert b.has_uninitialized_params()
        lib.manual_seed(0)
        a(lib.ones(2, 4))
        b.load_state_dict(a.state_dict())  # loading materializes, the class stays lazy until a forward
        assert type(b).__name__ == "LazyLinear" and not b.has_uninitialized_params() and b.in_features == 0
        assert np.array_equal(np_of(b.weight), np_of(a.weight))
        b(lib.ones(1, 4))
        assert type(b).__name__ == "Linear" and b.in_features == 4
        with pytest.raises(RuntimeError, match="Can't access the shape"):
            lib.nn.Linear(4, 3).load_state_dict(lib.nn.LazyLinear(3).state_dict())
        c = lib.nn.LazyConv2d(2, 3)
        c.load_state_dict(lib.nn.Conv2d(4, 2, 3).state_dict())
        assert tuple(c.weight.shape) == (2, 4, 3, 3) and repr(c).startswith("LazyConv2d(0, 2")


def test_conversions_and_initialize_parameters():
    for lib in LIBS:
        m = lib.nn.LazyBatchNorm1d().double()
        assert type(m.running_mean) is lib.nn.UninitializedBuffer and m.running_mean.dtype == lib.float64
        m(lib.ones(3, 2, dtype=lib.float64))
        assert m.running_mean.dtype == lib.float64 and type(m.running_mean) is lib.Tensor
        m = lib.nn.LazyLinear(3)
        m.initialize_parameters(lib.ones(2, 5))
        assert type(m).__name__ == "LazyLinear" and tuple(m.weight.shape) == (3, 5)
        m(lib.ones(2, 5))
        assert type(m).__name__ == "Linear"
        m = copy.deepcopy(lib.nn.LazyLinear(3))
        m(lib.ones(1, 2))
        assert type(m).__name__ == "Linear" and tuple(m.weight.shape) == (3, 2)


def test_optimizer_built_before_first_forward():
    x = np.arange(6.0).reshape(2, 3).astype(np.float32)
    weights = []
    for lib in LIBS:
        lib.manual_seed(0)
        m = lib.nn.Sequential(lib.nn.LazyLinear(4), lib.nn.Tanh(), lib.nn.LazyLinear(2))
        opt = lib.optim.SGD(m.parameters(), lr=0.1, momentum=0.9)
        for _ in range(3):
            opt.zero_grad()
            m(lib.tensor(x)).pow(2).sum().backward()
            opt.step()
        weights.append([np_of(p) for p in m.parameters()])
    for t, n in zip(*weights):
        np.testing.assert_allclose(n, t, rtol=1e-5, atol=1e-6)
