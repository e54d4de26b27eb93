"""Activations (functional and modules) against torch 2.13: values, first and second derivatives,
grad_fn names, in-place forms, reprs, dropout."""
import numpy as np
import pytest
import torch

import numtorch
from tests.nn.util import assert_close, np_of
from tests.optable import Row, away_from, fixed, row_tests, shapes


def F(m):
    return m.nn.functional


# Piecewise-linear activations: grad-of-grad is zero but linked to the input, as in torch.
PL = True

ROWS = [
    Row("relu", lambda m, x: F(m).relu(x), shapes(1), avoid=away_from(0), gradgrad=PL),
    Row("relu6", lambda m, x: F(m).relu6(x), shapes(1), low=-3, high=8, avoid=away_from(0, 6), gradgrad=PL),
    Row("leaky_relu", lambda m, x: F(m).leaky_relu(x, 0.2), shapes(1), avoid=away_from(0), gradgrad=PL),
    Row("elu", lambda m, x: F(m).elu(x), shapes(1), avoid=away_from(0)),
    Row("elu_alpha", lambda m, x: F(m).elu(x, alpha=0.5), shapes(1), avoid=away_from(0)),
    Row("selu", lambda m, x: F(m).selu(x), shapes(1), avoid=away_from(0)),
    Row("celu", lambda m, x: F(m).celu(x, alpha=1.5), shapes(1), avoid=away_from(0)),
    Row("gelu", lambda m, x: F(m).gelu(x), shapes(1), low=-4, high=4),
    Row("gelu_tanh", lambda m, x: F(m).gelu(x, approximate="tanh"), shapes(1), low=-4, high=4),
    Row("silu", lambda m, x: F(m).silu(x), shapes(1), low=-5, high=5),
    Row("mish", lambda m, x: F(m).mish(x), shapes(1), low=-5, high=5),
    Row("hardtanh", lambda m, x: F(m).hardtanh(x), shapes(1), avoid=away_from(-1, 1), gradgrad=PL),
    Row("hardtanh_range", lambda m, x: F(m).hardtanh(x, -0.5, 1.5), shapes(1), avoid=away_from(-0.5, 1.5), gradgrad=PL),
    Row("hardsigmoid", lambda m, x: F(m).hardsigmoid(x), shapes(1), low=-5, high=5, avoid=away_from(-3, 3), gradgrad=False),   # torch: "derivative for aten::hardsigmoid_backward is not implemented"
    Row("hardswish", lambda m, x: F(m).hardswish(x), shapes(1), low=-5, high=5, avoid=away_from(-3, 3)),
    Row("softplus", lambda m, x: F(m).softplus(x), shapes(1), low=-30, high=30, avoid=away_from(20)),
    Row("softplus_beta", lambda m, x: F(m).softplus(x, beta=2.0, threshold=1.0), shapes(1),
        avoid=away_from(0.5)),
    Row("softsign", lambda m, x: F(m).softsign(x), shapes(1), avoid=away_from(0)),
    Row("tanhshrink", lambda m, x: F(m).tanhshrink(x), shapes(1)),
    Row("threshold", lambda m, x: F(m).threshold(x, 0.1, 20.0), shapes(1), avoid=away_from(0.1), gradgrad=PL),
    Row("logsigmoid", lambda m, x: F(m).logsigmoid(x), shapes(1), low=-30, high=30),
    Row("hardshrink", lambda m, x: F(m).hardshrink(x), shapes(1), avoid=away_from(-0.5, 0.5), gradgrad=PL),
    Row("softshrink", lambda m, x: F(m).softshrink(x, 0.3), shapes(1), avoid=away_from(-0.3, 0.3), gradgrad=PL),
    Row("sigmoid", lambda m, x: F(m).sigmoid(x), shapes(1)),
    Row("tanh", lambda m, x: F(m).tanh(x), shapes(1)),
    Row("rrelu_eval", lambda m, x: F(m).rrelu(x, training=False), shapes(1), avoid=away_from(0), gradgrad=PL),
    Row("softmax", lambda m, x: F(m).softmax(x, dim=-1), shapes(1, min_dims=1)),
    Row("log_softmax", lambda m, x: F(m).log_softmax(x, dim=0), shapes(1, min_dims=1)),
    Row("softmin", lambda m, x: F(m).softmin(x, dim=-1), shapes(1, min_dims=1)),
    Row("glu", lambda m, x: F(m).glu(x), fixed(((4,),), ((3, 2),), ((2, 3, 6),))),
    Row("glu_dim0", lambda m, x: F(m).glu(x, 0), fixed(((4, 3),), ((2, 1, 2),))),
    Row("prelu", lambda m, x, w: F(m).prelu(x, w),
        fixed(((2, 3, 4), (3,)), ((2, 3), (1,)), ((5,), (1,)), ((2, 3, 2, 2), (3,)), ((3, 2), ())),
        avoid=away_from(0)),
]


test_row = row_tests(ROWS)


GRAD_FN_CASES = [
    lambda F, x: F.relu6(x), lambda F, x: F.leaky_relu(x), lambda F, x: F.elu(x), lambda F, x: F.selu(x),
    lambda F, x: F.celu(x), lambda F, x: F.gelu(x), lambda F, x: F.silu(x), lambda F, x: F.mish(x),
    lambda F, x: F.hardtanh(x), lambda F, x: F.hardsigmoid(x), lambda F, x: F.hardswish(x),
    lambda F, x: F.softplus(x), lambda F, x: F.softsign(x), lambda F, x: F.tanhshrink(x),
    lambda F, x: F.threshold(x, 0.1, 2.0), lambda F, x: F.logsigmoid(x), lambda F, x: F.hardshrink(x),
    lambda F, x: F.softshrink(x), lambda F, x: F.glu(x), lambda F, x: F.rrelu(x),
    lambda F, x: F.prelu(x, x.new_ones(1) * 0.25),
]


def test_grad_fn_names_match_torch():
    x_np = np.linspace(-2, 2, 8).reshape(2, 4)
    for i, case in enumerate(GRAD_FN_CASES):
        ours = case(numtorch.nn.functional, numtorch.tensor(x_np, requires_grad=True))
        theirs = case(torch.nn.functional, torch.tensor(x_np, requires_grad=True))
        assert ours.grad_fn.name() == theirs.grad_fn.name(), f"case {i}"


INPLACE_CASES = [
    ("relu", lambda F, x: F.relu(x, inplace=True)),
    ("relu6", lambda F, x: F.relu6(x, inplace=True)),
    ("elu", lambda F, x: F.elu(x, 0.7, inplace=True)),
    ("elu_", lambda F, x: F.elu_(x)),
    ("selu", lambda F, x: F.selu(x, inplace=True)),
    ("celu", lambda F, x: F.celu(x, 2.0, inplace=True)),
    ("leaky_relu_", lambda F, x: F.leaky_relu_(x, 0.3)),
    ("hardtanh_", lambda F, x: F.hardtanh_(x, -0.5, 0.5)),
    ("threshold_", lambda F, x: F.threshold_(x, 0.2, -1.0)),
    ("hardsigmoid", lambda F, x: F.hardsigmoid(x, inplace=True)),
    ("hardswish", lambda F, x: F.hardswish(x, inplace=True)),
    ("silu", lambda F, x: F.silu(x, inplace=True)),
    ("mish", lambda F, x: F.mish(x, inplace=True)),
]


@pytest.mark.parametrize("name,case", INPLACE_CASES, ids=[c[0] for c in INPLACE_CASES])
def test_inplace_forms_match_torch(name, case):
    x_np = np.array([-3.5, -1.3, -0.4, 0.3, 0.7, 2.2, 4.1], dtype=np.float64)
    res = {}
    for lib in (torch, numtorch):
        leaf = lib.tensor(x_np, requires_grad=True)
        h = leaf * 1.5
        out = case(lib.nn.functional, h)
        assert out is h
        (out * lib.tensor(np.arange(7.0))).sum().backward()
        res[lib] = (out, leaf.grad, h._version)
    assert_close(res[numtorch][0], res[torch][0], np.float64)
    assert_close(res[numtorch][1], res[torch][1], np.float64)
    with numtorch.no_grad():
        plain = numtorch.tensor(x_np)
        assert case(numtorch.nn.functional, plain) is plain


def test_module_reprs_match_torch():
    builds = [
        lambda nn: nn.ReLU(), lambda nn: nn.ReLU(inplace=True), lambda nn: nn.ReLU6(), lambda nn: nn.ReLU6(True),
        lambda nn: nn.LeakyReLU(), lambda nn: nn.LeakyReLU(0.2, inplace=True), lambda nn: nn.PReLU(),
        lambda nn: nn.PReLU(3, init=0.1), lambda nn: nn.ELU(), lambda nn: nn.ELU(0.5, True), lambda nn: nn.SELU(),
        lambda nn: nn.SELU(True), lambda nn: nn.CELU(2.0), lambda nn: nn.GELU(), lambda nn: nn.GELU("tanh"),
        lambda nn: nn.SiLU(), lambda nn: nn.SiLU(True), lambda nn: nn.Mish(), lambda nn: nn.Hardtanh(),
        lambda nn: nn.Hardtanh(-2, 3.5, True), lambda nn: nn.Hardsigmoid(True), lambda nn: nn.Hardswish(),
        lambda nn: nn.Sigmoid(), lambda nn: nn.Tanh(), lambda nn: nn.Softplus(), lambda nn: nn.Softplus(2, 10),
        lambda nn: nn.Softsign(), lambda nn: nn.Tanhshrink(), lambda nn: nn.Threshold(0.1, 20),
        lambda nn: nn.Threshold(0.1, 20, True), lambda nn: nn.Softmax(dim=1), lambda nn: nn.Softmax(),
        lambda nn: nn.LogSoftmax(-1), lambda nn: nn.Softmin(0), lambda nn: nn.GLU(), lambda nn: nn.GLU(1),
        lambda nn: nn.LogSigmoid(), lambda nn: nn.Hardshrink(), lambda nn: nn.Softshrink(0.3),
        lambda nn: nn.RReLU(), lambda nn: nn.RReLU(0.1, 0.2, True), lambda nn: nn.Softmax2d(),
    ]
    for build in builds:
        ours, theirs = build(numtorch.nn), build(torch.nn)
        assert repr(ours) == repr(theirs)


def test_prelu_module_parameters():
    nm, tm = numtorch.nn.PReLU(3, init=0.1), torch.nn.PReLU(3, init=0.1)
    assert list(nm.state_dict()) == list(tm.state_dict()) == ["weight"]
    np.testing.assert_array_equal(np_of(nm.weight), np_of(tm.weight))
    x = np.random.default_rng(0).standard_normal((2, 3, 4)).astype(np.float32)
    outs = []
    for lib, m in ((numtorch, nm), (torch, tm)):
        xi = lib.tensor(x, requires_grad=True)
        m(xi).pow(2).sum().backward()
        outs.append((xi.grad, m.weight.grad))
    assert_close(outs[0][0], outs[1][0])
    assert_close(outs[0][1], outs[1][1])


def test_errors_match_torch():
    cases = [
        lambda lib: lib.nn.functional.glu(lib.ones(2, 3), 1),
        lambda lib: lib.nn.functional.glu(lib.tensor(1.0)),
        lambda lib: lib.nn.functional.gelu(lib.ones(2), approximate="foo"),
        lambda lib: lib.nn.functional.prelu(lib.ones(2, 3), lib.ones(2)),
        lambda lib: lib.nn.functional.prelu(lib.ones(2, 3), lib.ones(1, 3)),
        lambda lib: lib.nn.functional.hardtanh(lib.ones(2), 2.0, 1.0),
        lambda lib: lib.nn.functional.dropout(lib.ones(2), 1.5),
        lambda lib: lib.nn.Hardtanh(1.0, 1.0),
        lambda lib: lib.nn.Softmax2d()(lib.ones(2)),
    ]
    for i, case in enumerate(cases):
        errs = []
        for lib in (numtorch, torch):
            with pytest.raises(Exception) as e:  # noqa: B017 - comparing type and message with torch
                case(lib)
            errs.append((type(e.value).__name__, str(e.value)))
        assert errs[0] == errs[1], f"case {i}"
    with pytest.raises(NotImplementedError, match="not implemented for 'Long'"):
        numtorch.nn.functional.elu(numtorch.tensor([1, 2]))


def test_softmax_implicit_dim_warns_and_picks_torch_dim():
    x = np.random.default_rng(0).standard_normal((2, 3, 4)).astype(np.float32)
    for shape in [(3,), (2, 3), (2, 3, 4), (2, 3, 4, 1)]:
        xs = x.reshape(-1)[:int(np.prod(shape))].reshape(shape)
        with pytest.warns(UserWarning, match="Implicit dimension choice for softmax has been deprecated"):
            ours = numtorch.nn.functional.softmax(numtorch.tensor(xs))
        with pytest.warns(UserWarning):
            theirs = torch.nn.functional.softmax(torch.tensor(xs))
        assert_close(ours, theirs)


def test_activation_modules_forward_like_functional():
    x_np = np.linspace(-3, 3, 12).reshape(3, 4)
    pairs = [("ReLU", "relu"), ("Tanh", "tanh"), ("GELU", "gelu"), ("Mish", "mish"), ("Softsign", "softsign")]
    for cls, fn in pairs:
        x = numtorch.tensor(x_np)
        np.testing.assert_array_equal(np_of(getattr(numtorch.nn, cls)()(x)),
                                      np_of(getattr(numtorch.nn.functional, fn)(x)))
    for mod in (numtorch.nn.Softmax(1), numtorch.nn.LogSoftmax(1), numtorch.nn.Softmin(1), numtorch.nn.GLU()):
        tmod = getattr(torch.nn, type(mod).__name__)(mod.dim)
        assert_close(mod(numtorch.tensor(x_np)), tmod(torch.tensor(x_np)), np.float64)
    x4 = np.random.default_rng(1).standard_normal((2, 3, 2, 2))
    assert_close(numtorch.nn.Softmax2d()(numtorch.tensor(x4)), torch.nn.Softmax2d()(torch.tensor(x4)), np.float64)


def test_rrelu_training_draws_slopes_in_range():
    x = numtorch.tensor(-np.ones(1000), requires_grad=True)
    out = numtorch.nn.functional.rrelu(x, 0.1, 0.3, training=True)
    slopes = -np_of(out)
    assert slopes.min() >= 0.1 and slopes.max() <= 0.3 and slopes.std() > 0.03
    out.sum().backward()
    np.testing.assert_allclose(np_of(x.grad), slopes)


def test_dropout():
    F_ = numtorch.nn.functional
    x = numtorch.ones(20000, requires_grad=True)
    assert F_.dropout(x, 0.0) is x and F_.dropout(x, 0.5, training=False) is x
    out = F_.dropout(x, 0.25)
    vals = np_of(out)
    assert set(np.unique(vals)) <= {0.0, np.float32(1 / 0.75)}
    assert abs((vals == 0).mean() - 0.25) < 0.02
    assert out.grad_fn.name() == "MulBackward0"
    out.sum().backward()
    np.testing.assert_array_equal(np_of(x.grad), vals)
    zero = F_.dropout(x, 1.0)
    assert not np_of(zero).any() and zero.grad_fn.name() == "MulBackward0"
    y = numtorch.ones(100)
    assert F_.dropout(y, 0.5, inplace=True) is y
