"""nn.init against torch 2.13: deterministic initializers exactly, random ones by their distribution."""
import math
import warnings

import numpy as np
import pytest
import torch

import numtorch
from tests.nn.util import np_of

INIT = numtorch.nn.init
TINIT = torch.nn.init


@pytest.mark.parametrize("nonlinearity,param", [
    ("linear", None), ("conv2d", None), ("conv_transpose3d", None), ("sigmoid", None), ("tanh", None),
    ("relu", None), ("leaky_relu", None), ("leaky_relu", 0.2), ("leaky_relu", 3), ("selu", None),
])
def test_calculate_gain(nonlinearity, param):
    assert INIT.calculate_gain(nonlinearity, param) == TINIT.calculate_gain(nonlinearity, param)


def test_calculate_gain_errors():
    for args in (("leaky_relu", True), ("leaky_relu", "x"), ("swish", None)):
        with pytest.raises(ValueError) as ours:
            INIT.calculate_gain(*args)
        with pytest.raises(ValueError) as theirs:
            TINIT.calculate_gain(*args)
        assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize("shape", [(3, 4), (5, 2, 3), (4, 3, 2, 2), (2, 3, 1, 2, 2), (0, 3)])
def test_fan_in_and_fan_out(shape):
    ours = INIT._calculate_fan_in_and_fan_out(numtorch.empty(shape))
    theirs = TINIT._calculate_fan_in_and_fan_out(torch.empty(shape))
    assert ours == theirs
    for mode in ("fan_in", "fan_out", "FAN_IN"):
        assert INIT._calculate_correct_fan(numtorch.empty(shape), mode) == \
            TINIT._calculate_correct_fan(torch.empty(shape), mode)


def test_fan_errors():
    with pytest.raises(ValueError, match="Fan in and fan out can not be computed for tensor with fewer than 2"):
        INIT._calculate_fan_in_and_fan_out(numtorch.empty(3))
    with pytest.raises(ValueError, match=r"Mode fan_avg not supported, please use one of \['fan_in', 'fan_out'\]"):
        INIT.kaiming_uniform_(numtorch.empty(3, 3), mode="fan_avg")


@pytest.mark.parametrize("fn", [
    lambda init, t: init.constant_(t, 0.3), lambda init, t: init.ones_(t), lambda init, t: init.zeros_(t),
])
def test_fills_match_torch(fn):
    for shape in [(3, 4), (2, 3, 4), ()]:
        p_ours = numtorch.nn.Parameter(numtorch.empty(shape))
        p_theirs = torch.nn.Parameter(torch.empty(shape))
        out = fn(INIT, p_ours)
        assert out is p_ours and p_ours.requires_grad and p_ours.is_leaf
        np.testing.assert_array_equal(np_of(p_ours), np_of(fn(TINIT, p_theirs)))


@pytest.mark.parametrize("shape", [(3, 3), (2, 5), (5, 2)])
def test_eye(shape):
    p = numtorch.nn.Parameter(numtorch.empty(shape))
    assert INIT.eye_(p) is p
    np.testing.assert_array_equal(np_of(p), np_of(TINIT.eye_(torch.empty(shape))))
    with pytest.raises(ValueError, match="Only tensors with 2 dimensions are supported"):
        INIT.eye_(numtorch.empty(2, 2, 2))


@pytest.mark.parametrize("shape,groups", [((4, 3, 3), 1), ((6, 2, 3, 3), 2), ((2, 4, 3, 2, 5), 1), ((4, 4, 5), 4)])
def test_dirac(shape, groups):
    p = numtorch.nn.Parameter(numtorch.empty(shape))
    INIT.dirac_(p, groups)
    np.testing.assert_array_equal(np_of(p), np_of(TINIT.dirac_(torch.empty(shape), groups)))
    with pytest.raises(ValueError, match="Only tensors with 3, 4, or 5 dimensions are supported"):
        INIT.dirac_(numtorch.empty(2, 2))
    with pytest.raises(ValueError, match="dim 0 must be divisible by groups"):
        INIT.dirac_(numtorch.empty(3, 2, 2), 2)


def _sample(fn, shape=(400, 500)):
    p = numtorch.nn.Parameter(numtorch.empty(shape))
    out = fn(p)
    assert out is p and p.requires_grad and p.grad_fn is None
    return np_of(p).astype(np.float64)


def test_uniform_normal_and_generator():
    v = _sample(lambda t: INIT.uniform_(t, -0.5, 1.5))
    assert v.min() >= -0.5 and v.max() < 1.5 and abs(v.mean() - 0.5) < 0.01
    v = _sample(lambda t: INIT.normal_(t, 2.0, 0.5))
    assert abs(v.mean() - 2.0) < 0.01 and abs(v.std() - 0.5) < 0.01
    draws = []
    for _ in range(2):
        g = numtorch.Generator().manual_seed(7)
        draws.append(np_of(INIT.normal_(numtorch.empty(5), generator=g)).copy())
    np.testing.assert_array_equal(draws[0], draws[1])


@pytest.mark.parametrize("shape", [(200, 300), (64, 32, 3, 3)])
def test_xavier_and_kaiming_scales(shape):
    fan_in, fan_out = TINIT._calculate_fan_in_and_fan_out(torch.empty(shape))
    xavier_std = 1.7 * math.sqrt(2.0 / (fan_in + fan_out))
    v = _sample(lambda t: INIT.xavier_uniform_(t, gain=1.7), shape)
    assert np.abs(v).max() <= math.sqrt(3) * xavier_std and abs(v.std() - xavier_std) < 0.03 * xavier_std
    v = _sample(lambda t: INIT.xavier_normal_(t, gain=1.7), shape)
    assert abs(v.std() - xavier_std) < 0.03 * xavier_std
    for mode, fan in (("fan_in", fan_in), ("fan_out", fan_out)):
        std = math.sqrt(2.0) / math.sqrt(fan)
        v = _sample(lambda t: INIT.kaiming_normal_(t, mode=mode, nonlinearity="relu"), shape)
        assert abs(v.std() - std) < 0.03 * std and abs(v.mean()) < 0.03 * std
        std = TINIT.calculate_gain("leaky_relu", 0.1) / math.sqrt(fan)
        v = _sample(lambda t: INIT.kaiming_uniform_(t, a=0.1, mode=mode), shape)
        assert np.abs(v).max() <= math.sqrt(3) * std and abs(v.std() - std) < 0.03 * std


def test_kaiming_on_empty_tensor_warns():
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        t = numtorch.empty(0, 3)
        assert INIT.kaiming_uniform_(t) is t


@pytest.mark.parametrize("mean,std,a,b", [(0.0, 1.0, -2.0, 2.0), (0.5, 2.0, -0.5, 0.7), (0.0, 1.0, 2.0, 4.0)])
def test_trunc_normal(mean, std, a, b):
    v = _sample(lambda t: INIT.trunc_normal_(t, mean, std, a, b), (200, 100))
    assert v.min() >= a and v.max() <= b
    ref = torch.nn.init.trunc_normal_(torch.empty(200, 100, dtype=torch.float64), mean, std, a, b).numpy()
    assert abs(v.mean() - ref.mean()) < 0.05 * (b - a) and abs(v.std() - ref.std()) < 0.05 * (b - a)


def test_trunc_normal_warns_far_mean():
    with pytest.warns(UserWarning, match="mean is more than 2 std from"):
        INIT.trunc_normal_(numtorch.empty(10), mean=10.0, std=1.0, a=-1.0, b=1.0)


@pytest.mark.parametrize("shape", [(5, 3), (3, 5), (4, 2, 3)])
def test_orthogonal(shape):
    t = numtorch.empty(shape)
    INIT.orthogonal_(t, gain=2.0)
    m = np_of(t).reshape(shape[0], -1).astype(np.float64)
    small = min(m.shape)
    gram = m @ m.T if m.shape[0] == small else m.T @ m
    np.testing.assert_allclose(gram, 4.0 * np.eye(small), atol=1e-5)
    with pytest.raises(ValueError, match="Only tensors with 2 or more dimensions are supported"):
        INIT.orthogonal_(numtorch.empty(3))


def test_sparse():
    t = numtorch.empty(10, 6)
    INIT.sparse_(t, 0.3, std=0.5)
    zeros_per_col = (np_of(t) == 0).sum(axis=0)
    assert (zeros_per_col == math.ceil(0.3 * 10)).all()
    with pytest.raises(ValueError, match="Only tensors with 2 dimensions are supported"):
        INIT.sparse_(numtorch.empty(3), 0.1)


def test_deprecated_aliases_warn():
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        INIT.constant(numtorch.empty(2), 1.0)
    assert any("`nn.init.constant` is now deprecated in favor of `nn.init.constant_`." in str(x.message) for x in w)


def test_initializers_do_not_record_graph():
    p = numtorch.nn.Parameter(numtorch.empty(3, 3))
    for fn in (INIT.xavier_uniform_, INIT.kaiming_normal_, INIT.eye_, INIT.zeros_, INIT.orthogonal_):
        fn(p)
        assert p.grad_fn is None and p.is_leaf


@pytest.mark.parametrize("make", [
    lambda lib: lib.nn.Linear(5, 3).weight, lambda lib: lib.nn.Linear(5, 3).bias,
    lambda lib: lib.nn.Bilinear(2, 3, 4).weight,
    lambda lib: lib.nn.functional.dropout(lib.ones(4, 6), 0.3),
    lambda lib: lib.nn.init.kaiming_normal_(lib.empty(4, 6), mode="fan_out"),
    lambda lib: lib.nn.init.xavier_uniform_(lib.empty(4, 6)),
    lambda lib: lib.nn.init.trunc_normal_(lib.empty(4, 6)),
    lambda lib: lib.nn.init.trunc_normal_(lib.empty(4, 6), a=2.0, b=4.0),
    lambda lib: lib.nn.init.sparse_(lib.empty(4, 6), 0.5),
])
def test_same_seed_gives_torch_values(make):
    """An RNG test: with numtorch's stream equal to torch's, initializers consume it in torch's order."""
    values = []
    for lib in (numtorch, torch):
        lib.manual_seed(1234)
        values.append(np_of(make(lib)))
    np.testing.assert_array_equal(values[0], values[1])
