"""Comparisons, logical and bitwise ops, classification and closeness against torch 2.13:
values and dtypes (with promotion, broadcasting and scalars on either side), no gradient, errors."""
import math

import numpy as np
import pytest
import torch

import numtorch

NAN, INF = math.nan, math.inf


def _np(t):
    return t.detach().numpy(force=True) if isinstance(t, torch.Tensor) else np.asarray(t.detach()._data)


def _env(m):
    return dict(
        torch=m,
        f=m.tensor([1.5, -2.5, 0.0, NAN, INF, -INF]), g=m.tensor([1.5, 2.0, -0.0, NAN, INF, 1.0]),
        d=m.tensor([1.5, -2.5, 1e-9, 0.0, 3.0, -INF], dtype=m.float64),
        i=m.tensor([3, -2, 0, 7, 1, -1]), j=m.tensor([3, 2, 0, -7, 1, 1]),
        i32=m.tensor([1, 2, 3, 4, 5, 6], dtype=m.int32), u8=m.tensor([0, 1, 2, 200, 255, 7], dtype=m.uint8),
        b=m.tensor([True, False, True, False, True, True]), c=m.tensor([True, True, False, False, True, False]),
        col=m.tensor([[1.0], [0.0]]), row=m.tensor([0.0, 1.0, 2.0]),
        big=m.tensor([16777217, 3]), f0=m.tensor(1.5), d0=m.tensor(2.0, dtype=m.float64), i0=m.tensor(3),
    )


def _both(expr):
    out = []
    for m in (numtorch, torch):
        out.append(eval(expr, {}, _env(m)))  # noqa: S307 - the expressions below, on both libraries
    return out


def _same(expr):
    ours, theirs = _both(expr)
    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, numtorch.Tensor), expr
        assert repr(ours.dtype) == repr(theirs.dtype), expr
        assert tuple(ours.shape) == tuple(theirs.shape), expr
        assert not ours.requires_grad
        np.testing.assert_array_equal(_np(ours), _np(theirs), err_msg=expr)
    else:
        assert ours == theirs and type(ours) is type(theirs), expr


COMPARISONS = [f"{lhs} {op} {rhs}" for op in ("==", "!=", "<", "<=", ">", ">=")
               for lhs, rhs in (("f", "g"), ("f", "d"), ("i", "f"), ("i", "j"), ("u8", "i"), ("b", "c"), ("b", "i"),
                                ("f", "1.5"), ("1.5", "f"), ("i", "2.5"), ("i", "0"), ("u8", "-1"), ("b", "True"),
                                ("col", "row"), ("f", "f0"), ("i", "d0"), ("big", "16777216.0"), ("i32", "i0"))]
FUNCTIONS = [
    "torch.eq(f, g)", "torch.ne(f, 1.5)", "torch.lt(i, f)", "torch.le(f, d)", "torch.gt(i, 2)", "torch.ge(col, row)",
    "torch.greater(f, g)", "torch.greater_equal(f, g)", "torch.less(f, g)", "torch.less_equal(f, g)",
    "torch.not_equal(f, g)", "f.eq(g)", "f.lt(0)", "f.greater_equal(g)",
    "torch.logical_and(f, i)", "torch.logical_or(b, f)", "torch.logical_xor(f, g)", "torch.logical_not(f)",
    "torch.logical_not(i)", "f.logical_and(col[0])", "torch.logical_or(col, row)",
    "i & j", "i | j", "i ^ j", "~i", "~b", "b & c", "b | c", "b ^ c", "i & b", "b ^ True", "b ^ 1", "i | 5", "5 | i",
    "1 & i", "u8 & 7", "i32 ^ i", "i << 2", "i >> 1", "2 << i32", "u8 >> 1", "torch.bitwise_and(i, j)",
    "torch.bitwise_or(1, i)", "torch.bitwise_xor(b, c)", "torch.bitwise_not(u8)", "torch.bitwise_left_shift(i, 3)",
    "torch.bitwise_right_shift(i, j.abs())", "i.bitwise_and(j)",
    "torch.isnan(f)", "torch.isinf(f)", "torch.isposinf(f)", "torch.isneginf(f)", "torch.isfinite(f)",
    "torch.isnan(i)", "torch.isinf(b)", "torch.isfinite(u8)", "torch.isposinf(i)", "torch.isreal(f)",
    "f.isnan()", "d.isfinite()", "torch.signbit(f)", "torch.signbit(g)", "torch.signbit(i)", "torch.signbit(b)",
    "torch.isclose(f, g)", "torch.isclose(f, g, equal_nan=True)", "torch.isclose(d, d + 1e-9)",
    "torch.isclose(d, d * (1 + 1e-6), rtol=1e-7, atol=0)", "torch.isclose(i, j)", "torch.isclose(b, c)",
    "torch.isclose(torch.tensor([100, 101]), torch.tensor([100, 100]), rtol=0.01, atol=0)",
    "torch.isclose(col, row)", "torch.isclose(f, g, rtol=0, atol=0)",
    "torch.allclose(f, g)", "torch.allclose(f[:3], f[:3] + 1e-9)", "torch.allclose(f, f, equal_nan=True)",
    "f.allclose(f)", "torch.equal(f, g)", "torch.equal(i, i.clone())", "torch.equal(i, i.double())",
    "torch.equal(f, f[:2])", "torch.equal(f[:3], f[:3])", "f.equal(f)", "torch.equal(col, col)",
]


@pytest.mark.parametrize("expr", COMPARISONS + FUNCTIONS)
def test_values_and_dtypes(expr):
    _same(expr)


def test_comparisons_of_tensors_that_require_grad_are_outside_the_graph():
    x = numtorch.tensor([1.0, 2.0], requires_grad=True)
    for out in (x > 1, x == x, numtorch.isnan(x), numtorch.isclose(x, x), x.logical_not(), numtorch.signbit(x)):
        assert out.dtype is numtorch.bool and not out.requires_grad and out.grad_fn is None


def test_python_comparison_fallbacks_like_torch():
    for m in (numtorch, torch):
        f = m.tensor([1.0, 2.0])
        assert (f == None) is False  # noqa: E711 - torch's behaviour
        assert (f != None) is True  # noqa: E711
        assert (f == [1.0, 2.0]) is False
        with pytest.raises(TypeError):
            f < "a"  # noqa: B015
        assert (2 < f).tolist() == [False, False] and (1.5 >= f).tolist() == [True, False]
        assert f in [f]                                   # identity first, as Python does


ERRORS = [
    "torch.ones(3) == torch.ones(4)", "f & g", "torch.bitwise_not(f)", "~f", "f << 2", "torch.bitwise_or(f, 1)",
    "torch.logical_and(f, 1)", "torch.eq(2, f)", "torch.isclose(f, d)", "torch.isclose(f, i)",
    "torch.isclose(f, f, rtol=-1)", "torch.isclose(f, f, atol=-0.5)", "torch.isclose(f, 1.5)",
    "torch.allclose(f, d)", "torch.isnan(1.0)", "torch.lt(f, torch.ones(2, 2))",
]


@pytest.mark.parametrize("expr", ERRORS)
def test_errors_match_torch(expr):
    caught = []
    for m in (numtorch, torch):
        with pytest.raises(Exception) as info:
            eval(expr, {}, _env(m))  # noqa: S307
        caught.append(info.value)
    ours, theirs = caught
    assert type(ours).__name__ == type(theirs).__name__, (expr, ours, theirs)
    if not isinstance(theirs, TypeError):
        assert str(ours).split("\n")[0] == str(theirs).split("\n")[0], expr


INPLACE = [
    ("f", "eq_", "g"), ("f", "lt_", "1.0"), ("i", "ge_", "j"), ("i", "le_", "0.5"), ("f", "ne_", "col[0]"),
    ("b", "eq_", "c"), ("d", "greater_", "f0"), ("f", "less_equal_", "g"), ("f", "not_equal_", "g"),
    ("f", "logical_and_", "g"), ("i", "logical_or_", "b"), ("f", "logical_xor_", "i"), ("f", "logical_not_", None),
    ("i", "logical_not_", None), ("i", "bitwise_and_", "j"), ("i", "bitwise_or_", "b"), ("b", "bitwise_xor_", "c"),
    ("u8", "bitwise_not_", None), ("i", "bitwise_left_shift_", "2"), ("i", "__iand__", "3"), ("b", "__ior__", "c"),
    ("i", "__ixor__", "j"), ("i", "__ilshift__", "1"), ("i", "__irshift__", "1"),
]


@pytest.mark.parametrize("target, method, arg", INPLACE, ids=[f"{t}.{m}" for t, m, _ in INPLACE])
def test_inplace_forms(target, method, arg):
    results = []
    for m in (numtorch, torch):
        env = _env(m)
        t = env[target].clone()
        version = t._version
        args = () if arg is None else (eval(arg, {}, env),)  # noqa: S307
        out = getattr(t, method)(*args)
        assert out is t and t._version > version
        results.append(t)
    ours, theirs = results
    assert repr(ours.dtype) == repr(theirs.dtype)
    np.testing.assert_array_equal(_np(ours), _np(theirs))


def test_inplace_errors_match_torch():
    for expr in ("b.clone().bitwise_and_(i)", "b.clone().__ior__(5)", "f.clone().eq_(torch.ones(2, 6))"):
        caught = []
        for m in (numtorch, torch):
            with pytest.raises(RuntimeError) as info:
                eval(expr, {}, _env(m))  # noqa: S307
            caught.append(str(info.value))
        assert caught[0] == caught[1], expr


def test_inplace_comparison_in_a_graph_has_a_zero_derivative():
    grads = []
    for m in (numtorch, torch):
        x = m.tensor([0.5, 2.0, 3.0], requires_grad=True)
        y = x * 2
        y.gt_(m.tensor([1.0, 5.0, 5.0]))
        z = x * 3
        z.eq_(6.0)
        assert y.grad_fn.name() == "GtBackward1" and z.grad_fn.name() == "EqBackward0"
        (y.sum() + z.sum() + x.sum()).backward()
        grads.append(_np(x.grad))
    np.testing.assert_array_equal(*grads)
