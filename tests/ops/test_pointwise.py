"""Elementwise ops against torch 2.13: the op table (forward, grad, grad-of-grad on hypothesis shapes),
torch's conventions at kinks and special points, dtype promotion, scalar operands and errors."""
import math

import numpy as np
import pytest
import torch

import numtorch
from tests.optable import Row, away_from, check_row, row_tests, same_shapes, shapes

# -- the op table ----------------------------------------------------------------------------------

POS = dict(low=0.2, high=2.5)
UNIT = dict(low=-0.9, high=0.9)
NONZERO = away_from(0.0, margin=0.2)
INTEGERS = away_from(-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, margin=0.05)


def _last_away_from_zero(arrays):
    return arrays[:-1] + NONZERO(arrays[-1:])


def _clamp_bounds(arrays):
    """x away from the bounds -0.5 and 0.7 (the kinks); bound tensors lo < hi by construction."""
    return away_from(-0.5, 0.7, margin=0.05)(arrays[:1]) + list(arrays[1:])


def _ordered_bounds(arrays):
    x, lo, hi = arrays
    lo, hi = np.minimum(lo, hi) - 0.3, np.maximum(lo, hi) + 0.3
    near = (np.abs(x - lo) < 0.05) | (np.abs(x - hi) < 0.05)
    return [np.where(near, x + 0.11, x), lo, hi]


def _distinct(arrays):
    """Two inputs that never tie (ties have their own test)."""
    x, y = arrays
    return [x, np.where(np.abs(x - y) < 0.05, y + 0.2, y)]


def _away_from_jumps(arrays):
    """fmod/remainder: divisor away from 0 and quotient away from integers (the jumps)."""
    x, y = arrays
    y = np.where(np.abs(y) < 0.4, np.copysign(0.4, y) + y, y)
    q = x / y
    x = np.where(np.abs(q - np.round(q)) < 0.05, x + 0.1 * np.abs(y), x)
    return [x, y]


ROWS = [
    # arithmetic and its scalar forms
    Row("add", lambda m, x, y: x + y, shapes(2)),
    Row("add_alpha", lambda m, x, y: m.add(x, y, alpha=-0.5), shapes(2)),
    Row("sub", lambda m, x, y: x - y, shapes(2)),
    Row("sub_alpha", lambda m, x, y: m.sub(x, y, alpha=2), shapes(2)),
    Row("rsub", lambda m, x, y: m.rsub(x, y, alpha=1.5), shapes(2)),
    Row("rsub_scalar", lambda m, x: m.rsub(x, 2.5), shapes(1)),
    Row("scalar_minus_tensor", lambda m, x: 2 - x, shapes(1)),
    Row("mul", lambda m, x, y: x * y, shapes(2)),
    Row("scalar_times_tensor", lambda m, x: 3 * x * 0.5, shapes(1)),
    Row("div", lambda m, x, y: x / y, shapes(2), avoid=_last_away_from_zero),
    Row("scalar_over_tensor", lambda m, x: 2.5 / x, shapes(1), avoid=NONZERO),
    Row("tensor_over_scalar", lambda m, x: x / 4, shapes(1)),
    Row("div_trunc", lambda m, x, y: m.div(x, y, rounding_mode="trunc"), shapes(2), avoid=_away_from_jumps,
        gradcheck=False),
    Row("div_floor", lambda m, x, y: m.div(x, y, rounding_mode="floor"), shapes(2), avoid=_away_from_jumps,
        gradcheck=False),
    Row("floor_divide", lambda m, x, y: x // y, shapes(2), avoid=_away_from_jumps, grad=False),
    Row("remainder", lambda m, x, y: x % y, shapes(2), avoid=_away_from_jumps),
    Row("remainder_scalar", lambda m, x: m.remainder(x, -1.5), shapes(1), low=-3, high=3),
    Row("fmod", lambda m, x, y: m.fmod(x, y), shapes(2), avoid=_away_from_jumps),
    Row("fmod_scalar", lambda m, x: m.fmod(x, 1.5), shapes(1), low=-3, high=3),
    Row("neg", lambda m, x: -x, shapes(1)),
    Row("positive", lambda m, x: +x * 1, shapes(1)),
    # pow and friends
    Row("pow_tensor_tensor", lambda m, x, y: x ** y, shapes(2), **POS),
    Row("pow_negative_base_int_exponent", lambda m, x: m.pow(x, 3), shapes(1)),
    Row("pow_fractional", lambda m, x: x ** 2.5, shapes(1), **POS),
    Row("pow_negative", lambda m, x: x ** -1.5, shapes(1), **POS),
    Row("pow_two", lambda m, x: x ** 2, shapes(1)),
    Row("pow_half", lambda m, x: x ** 0.5, shapes(1), **POS),
    Row("pow_zero", lambda m, x: x ** 0, shapes(1)),
    Row("scalar_pow_tensor", lambda m, x: 2.5 ** x, shapes(1)),
    Row("square", lambda m, x: m.square(x), shapes(1)),
    Row("float_power", lambda m, x, y: m.float_power(x, y), shapes(2), **POS),
    Row("float_power_scalar", lambda m, x: m.float_power(x, 3), shapes(1)),
    Row("float_power_scalar_base", lambda m, x: m.float_power(1.5, x), shapes(1)),
    # unary table
    Row("exp", lambda m, x: m.exp(x), shapes(1)),
    Row("exp2", lambda m, x: m.exp2(x), shapes(1)),
    Row("expm1", lambda m, x: m.expm1(x), shapes(1)),
    Row("log", lambda m, x: m.log(x), shapes(1), **POS),
    Row("log2", lambda m, x: m.log2(x), shapes(1), **POS),
    Row("log10", lambda m, x: m.log10(x), shapes(1), **POS),
    Row("log1p", lambda m, x: m.log1p(x), shapes(1), low=-0.8, high=2),
    Row("sqrt", lambda m, x: m.sqrt(x), shapes(1), **POS),
    Row("rsqrt", lambda m, x: m.rsqrt(x), shapes(1), **POS),
    Row("reciprocal", lambda m, x: m.reciprocal(x), shapes(1), avoid=NONZERO),
    Row("sin", lambda m, x: m.sin(x), shapes(1)),
    Row("cos", lambda m, x: m.cos(x), shapes(1)),
    Row("tan", lambda m, x: m.tan(x), shapes(1), low=-1.2, high=1.2),
    Row("asin", lambda m, x: m.asin(x), shapes(1), **UNIT),
    Row("acos", lambda m, x: m.arccos(x), shapes(1), **UNIT),
    Row("atan", lambda m, x: m.atan(x), shapes(1)),
    Row("sinh", lambda m, x: m.sinh(x), shapes(1)),
    Row("cosh", lambda m, x: m.cosh(x), shapes(1)),
    Row("tanh", lambda m, x: m.tanh(x), shapes(1)),
    Row("asinh", lambda m, x: m.asinh(x), shapes(1)),
    Row("acosh", lambda m, x: m.acosh(x), shapes(1), low=1.2, high=3),
    Row("atanh", lambda m, x: m.atanh(x), shapes(1), **UNIT),
    Row("sigmoid", lambda m, x: m.sigmoid(x), shapes(1), low=-6, high=6),
    Row("logit", lambda m, x: m.logit(x), shapes(1), low=0.05, high=0.95),
    Row("logit_eps", lambda m, x: m.logit(x, eps=0.2), shapes(1), low=-0.3, high=1.3,
        avoid=away_from(0.2, 0.8, margin=0.05)),
    Row("erf", lambda m, x: m.erf(x), shapes(1), low=-3, high=3),
    Row("erfc", lambda m, x: m.erfc(x), shapes(1), low=-3, high=5),
    Row("erfinv", lambda m, x: m.erfinv(x), shapes(1), low=-0.97, high=0.97),
    Row("deg2rad", lambda m, x: m.deg2rad(x), shapes(1)),
    Row("rad2deg", lambda m, x: m.rad2deg(x), shapes(1)),
    Row("abs", lambda m, x: m.abs(x), shapes(1), avoid=NONZERO),
    Row("sign", lambda m, x: m.sign(x) * x, shapes(1), avoid=NONZERO),
    Row("sgn", lambda m, x: m.sgn(x) + x, shapes(1), avoid=NONZERO),
    Row("relu", lambda m, x: m.relu(x), shapes(1), avoid=NONZERO),
    Row("nan_to_num", lambda m, x: m.nan_to_num(m.log(x), posinf=3.0), shapes(1), **POS),
    # rounding: zero derivative (frac passes it through)
    Row("floor", lambda m, x: m.floor(x) * x, shapes(1), low=-3, high=3, avoid=INTEGERS),
    Row("ceil", lambda m, x: m.ceil(x) * x, shapes(1), low=-3, high=3, avoid=INTEGERS),
    Row("round", lambda m, x: m.round(x) + x, shapes(1), low=-3, high=3, avoid=away_from(-2.5, -1.5, -0.5, 0.5,
                                                                                             1.5, 2.5)),
    Row("round_decimals", lambda m, x: m.round(x * 7, decimals=1), shapes(1), gradcheck=False),
    Row("round_negative_decimals", lambda m, x: m.round(x * 300, decimals=-2), shapes(1), gradcheck=False),
    Row("trunc", lambda m, x: m.trunc(x) * x, shapes(1), low=-3, high=3, avoid=INTEGERS),
    Row("fix", lambda m, x: m.fix(x) - x, shapes(1), low=-3, high=3, avoid=INTEGERS),
    Row("frac", lambda m, x: m.frac(x), shapes(1), low=-3, high=3, avoid=INTEGERS),
    # binary functions
    Row("atan2", lambda m, x, y: m.atan2(x, y), shapes(2), avoid=_last_away_from_zero),
    Row("hypot", lambda m, x, y: m.hypot(x, y), shapes(2), avoid=_last_away_from_zero),
    Row("copysign", lambda m, x, y: m.copysign(x, y), shapes(2), avoid=NONZERO),
    Row("copysign_scalar", lambda m, x: m.copysign(x, -2.0), shapes(1), avoid=NONZERO),
    Row("xlogy", lambda m, x, y: m.xlogy(x, y), shapes(2), low=0.1, high=2),
    Row("xlogy_scalar_self", lambda m, y: m.xlogy(1.5, y), shapes(1), **POS),
    Row("xlogy_scalar_other", lambda m, x: m.xlogy(x, 3.0), shapes(1)),
    Row("logaddexp", lambda m, x, y: m.logaddexp(x, y), shapes(2), low=-5, high=5),
    Row("logaddexp2", lambda m, x, y: m.logaddexp2(x, y), shapes(2), low=-5, high=5),
    Row("maximum", lambda m, x, y: m.maximum(x, y), shapes(2), avoid=_distinct),
    Row("minimum", lambda m, x, y: m.minimum(x, y), shapes(2), avoid=_distinct),
    Row("fmax", lambda m, x, y: m.fmax(x, y), shapes(2), avoid=_distinct),
    Row("fmin", lambda m, x, y: m.fmin(x, y), shapes(2), avoid=_distinct),
    Row("heaviside", lambda m, x, y: m.heaviside(x, y), shapes(2), grad=False),
    # selection and clamping
    Row("where", lambda m, c, x, y: m.where(c > 0, x, y), shapes(3)),
    Row("where_scalar", lambda m, c, x: m.where(c > 0, x, 0.5) + m.where(c < 0.5, -1, x), shapes(2)),
    Row("clamp_numbers", lambda m, x: m.clamp(x, -0.5, 0.7), shapes(1), avoid=_clamp_bounds),
    Row("clamp_min_number", lambda m, x: m.clamp(x, min=-0.5), shapes(1), avoid=_clamp_bounds),
    Row("clip_max_number", lambda m, x: m.clip(x, max=0.7), shapes(1), avoid=_clamp_bounds),
    Row("clamp_tensors", lambda m, x, lo, hi: m.clamp(x, lo, hi), shapes(3), avoid=_ordered_bounds),
    Row("clamp_min_tensor", lambda m, x, lo: m.clamp(x, min=lo), shapes(2), avoid=_distinct),
    Row("clamp_max_tensor", lambda m, x, hi: x.clamp(max=hi), shapes(2), avoid=_distinct),
    Row("clamp_min_fn", lambda m, x, lo: m.clamp_min(x, lo) + m.clamp_min(x, 0.3), shapes(2),
        avoid=lambda a: away_from(0.3)(_distinct(a))),
    Row("clamp_max_fn", lambda m, x, hi: m.clamp_max(x, hi) + m.clamp_max(x, 0.3), shapes(2),
        avoid=lambda a: away_from(0.3)(_distinct(a))),
    Row("lerp_scalar_weight", lambda m, x, y: m.lerp(x, y, 0.3) + m.lerp(x, y, 0.8), shapes(2)),
    Row("lerp_tensor_weight", lambda m, x, y, w: m.lerp(x, y, w), shapes(3)),
    Row("addcmul", lambda m, x, a, b: m.addcmul(x, a, b, value=-0.5), shapes(3)),
    Row("addcdiv", lambda m, x, a, b: m.addcdiv(x, a, b, value=2), shapes(3), avoid=_last_away_from_zero),
]


test_row = row_tests(ROWS)


def test_broadcast_shapes_with_empty_and_zero_dim():
    row = Row("mul", lambda m, x, y: x * y - y, shapes(2))
    for shape_tuple in [((), (3,)), ((0,), (1,)), ((2, 0, 3), (3,)), ((1, 4), (3, 1)), ((), ())]:
        check_row(row, shape_tuple)


def test_unary_rows_on_same_shapes():
    """A chain of table ops, so their rules meet each other in double backward."""
    row = Row("chain", lambda m, x, y: m.tanh(m.sin(x) * m.exp(y)) + m.sigmoid(x * y), same_shapes(2))
    for shape_tuple in [((3,), (3,)), ((2, 2), (2, 2))]:
        check_row(row, shape_tuple)


# -- helpers for special points --------------------------------------------------------------------

NAN, INF = math.nan, math.inf


def _grads(mod, fn, values, dtype, create_graph):
    ts = [mod.tensor(v, dtype=getattr(mod, dtype), requires_grad=True) for v in values]
    out = fn(mod, *ts)
    g = mod.autograd.grad(out.sum(), ts, create_graph=create_graph, allow_unused=True)
    return ts, out, g


def _np(t):
    if t is None:
        return None
    return t.detach().numpy(force=True) if isinstance(t, torch.Tensor) else np.asarray(t.detach()._data)


def assert_same_grads(fn, *values, dtype="float64", gradgrad=True):
    """Values, first and second derivatives of fn at exact points equal torch's (NaN where torch's are)."""
    ours_in, ours, g_ours = _grads(numtorch, fn, values, dtype, gradgrad)
    theirs_in, theirs, g_theirs = _grads(torch, fn, values, dtype, gradgrad)
    np.testing.assert_allclose(_np(ours), _np(theirs), rtol=1e-12, equal_nan=True, err_msg="forward")
    assert _np(ours).dtype == _np(theirs).dtype
    for i, (a, b) in enumerate(zip(g_ours, g_theirs)):
        if b is None:
            assert a is None or not np.any(_np(a)), f"grad[{i}]: torch has none"
            continue
        np.testing.assert_allclose(_np(a), _np(b), rtol=1e-12, equal_nan=True, err_msg=f"grad[{i}]")
    if not gradgrad:
        return
    keep = [i for i, b in enumerate(g_theirs) if b is not None and b.requires_grad]
    if not keep:
        return
    gg_ours = numtorch.autograd.grad(sum(g_ours[i].sum() for i in keep), ours_in, allow_unused=True)
    gg_theirs = torch.autograd.grad(sum(g_theirs[i].sum() for i in keep), theirs_in, allow_unused=True)
    for i, (a, b) in enumerate(zip(gg_ours, gg_theirs)):
        if b is None:
            assert a is None or not np.any(_np(a)), f"grad-of-grad[{i}]: torch has none"
            continue
        a = np.zeros_like(_np(b)) if a is None else _np(a)
        np.testing.assert_allclose(a, _np(b), rtol=1e-12, atol=1e-14, equal_nan=True,
                                   err_msg=f"grad-of-grad[{i}]")


# -- torch's conventions at kinks and special points -----------------------------------------------

TIES = ([1., 2., 3., NAN, 1., NAN, -0.], [1., 1., 4., 1., NAN, NAN, 0.])


@pytest.mark.parametrize("op", ["maximum", "minimum", "fmax", "fmin"])
def test_extrema_at_ties_and_nans(op):
    """maximum/minimum split a tie's gradient in half; fmax/fmin give it to the first input."""
    assert_same_grads(lambda m, x, y: getattr(m, op)(x, y) * (x + y), *TIES)


@pytest.mark.parametrize("fn", [
    lambda m, x: m.abs(x), lambda m, x: m.relu(x), lambda m, x: m.sign(x), lambda m, x: m.sgn(x),
    lambda m, x: m.abs(x) ** 2, lambda m, x: m.relu(x) * x,
], ids=["abs", "relu", "sign", "sgn", "abs_squared", "relu_times_x"])
def test_kinks_at_zero(fn):
    assert_same_grads(fn, [0., -0., 1.5, -2., NAN])


def test_clamp_at_and_beyond_its_bounds():
    x = [-1., 0., 0.5, 1., 2., NAN]
    assert_same_grads(lambda m, x: m.clamp(x, 0., 1.) * x, x)
    assert_same_grads(lambda m, x: m.clamp(x, min=0.) * x, x)
    assert_same_grads(lambda m, x: m.clamp(x, max=1.) * x, x)
    assert_same_grads(lambda m, x: m.clamp(x, 1., 0.) * x, x)          # min > max: all max
    assert_same_grads(lambda m, x: m.clamp_min(x, 0.) + m.clamp_max(x, 1.), x)


def test_clamp_with_tensor_bounds_at_ties_crossings_and_nans():
    x = [0., 1., 0.5, -1., 2., 0.5, NAN, 1., 0., 2.]
    lo = [0., 0., 0., 0., 0., 1., 0., NAN, 1., 1.]
    hi = [1., 1., 1., 1., 1., 0., 1., 2., 1., 1.]
    assert_same_grads(lambda m, x, lo, hi: m.clamp(x, lo, hi) * 2, x, lo, hi)
    assert_same_grads(lambda m, x, lo: m.clamp(x, min=lo) * 2, x, lo)
    assert_same_grads(lambda m, x, hi: m.clamp(x, max=hi) * 2, x, hi)
    assert_same_grads(lambda m, x, lo: m.clamp_min(x, lo) * 2, x, lo)
    assert_same_grads(lambda m, x, hi: m.clamp_max(x, hi) * 2, x, hi)


@pytest.mark.parametrize("fn, values", [
    (lambda m, x, p: x ** p, ([0., 0., 0., -1., 2., 0., -2.], [0., 2., -1., 2., 0., 0.5, 0.5])),
    (lambda m, p: 0. ** p, ([0., 2., -1.],)),
    (lambda m, p: (-2.) ** p, ([0., 2., -1.],)),
    (lambda m, p: 2. ** p, ([0., 2., -1.],)),
    (lambda m, x: x ** 0, ([0., 1.],)),
    (lambda m, x: x ** 0.5, ([0., 1.],)),
    (lambda m, x: x ** -1, ([0., 1.],)),
    (lambda m, x: m.float_power(x, 2.), ([0., -3.],)),
    (lambda m, x, p: m.float_power(x, p), ([0., 0., 2.], [0., -1., 0.])),
], ids=["tensor_tensor", "zero_base", "negative_base", "two_base", "exponent_0", "exponent_half",
        "exponent_minus_1", "float_power_scalar", "float_power_tensor"])
def test_pow_special_points(fn, values):
    assert_same_grads(fn, *values)


XLOGY_X = [0., 0., 0., 0., 1., 1., 1., 1., -1., -1.]
XLOGY_Y = [0., 2., -1., NAN, 0., 2., -1., NAN, 0., 2.]


def test_xlogy_special_points():
    assert_same_grads(lambda m, x, y: m.xlogy(x, y), XLOGY_X, XLOGY_Y)
    assert_same_grads(lambda m, y: m.xlogy(0., y) + m.xlogy(2., y), [0., 2., -1.])
    for y0 in (0., 2., -1.):
        assert_same_grads(lambda m, x: m.xlogy(x, y0), [0., 1., -1.])


@pytest.mark.parametrize("fn, values", [
    (lambda m, x: m.logit(x), ([0., 1., 0.5, 2., -1.],)),
    (lambda m, x: m.logit(x, 0.1), ([0., 1., 0.5, 0.1, 0.9, 2.],)),
    (lambda m, x, y: m.copysign(x, y), ([0., -0., 1., -1., 2.], [1., -1., -1., 1., 0.])),
    (lambda m, x: m.copysign(x, -1.), ([0., -0., 1., -1.],)),
    (lambda m, x, y: m.hypot(x, y), ([0., 3.], [0., 4.])),
    (lambda m, x, y: m.atan2(x, y), ([0., 3., -1.], [0., 4., 0.])),
    (lambda m, x: m.nan_to_num(x) * x, ([NAN, INF, -INF, 1.],)),
    (lambda m, x: m.sqrt(x), ([0., 1.],)),
    (lambda m, x: m.rsqrt(x), ([0., 1.],)),
    (lambda m, x: m.reciprocal(x), ([0., -0., 2.],)),
    (lambda m, x: m.log(x), ([0., -1.],)),
    (lambda m, x: m.erfinv(x), ([0., 0.5, 1., -1., 2.],)),
    (lambda m, x: m.acosh(x), ([1., 2., 0.5],)),
    (lambda m, x: m.atanh(x), ([1., 0.5, -1.],)),
    (lambda m, x: m.asin(x) + m.acos(x), ([1., 0.5, -1.],)),
    (lambda m, x, y: m.logaddexp(x, y), ([-INF, INF, 0.], [-INF, INF, 1.])),
    (lambda m, x, y: m.logaddexp2(x, y), ([-INF, INF, 0.], [-INF, INF, 1.])),
    (lambda m, x: m.sigmoid(x) + m.tanh(x), ([-INF, INF, 0.],)),
    (lambda m, x: m.exp2(x) + m.expm1(x), ([0., INF, -INF],)),
    (lambda m, a, b, c: m.addcdiv(a, b, c, value=2.), ([1.], [2.], [0.])),
    (lambda m, x, y: m.remainder(x, y) + m.fmod(x, y), ([5., -5., 5.], [3., 3., 0.])),
    (lambda m, x, y, w: m.lerp(x, y, w), ([1., 2., 0.], [3., 5., 1.], [0.3, 0.7, 1.])),
    (lambda m, c, x, y: m.where(c > 0, x, y), ([1., -1., NAN], [1., 2., 3.], [3., 4., 5.])),
    (lambda m, x: m.frac(x) + m.floor(x) + m.round(x, decimals=1), ([1.5, -2.25, 2.],)),
], ids=["logit", "logit_eps", "copysign", "copysign_scalar", "hypot_origin", "atan2_origin", "nan_to_num",
        "sqrt_zero", "rsqrt_zero", "reciprocal_zero", "log_nonpositive", "erfinv_edges", "acosh_edges",
        "atanh_edges", "asin_acos_edges", "logaddexp_infinities", "logaddexp2_infinities",
        "saturated_activations", "exp_infinities", "addcdiv_zero", "modulo_by_zero", "lerp", "where_nan_cond",
        "rounding"])
def test_special_points(fn, values):
    assert_same_grads(fn, *values)


def test_special_points_float32():
    assert_same_grads(lambda m, x, y: m.maximum(x, y) + m.clamp(x, 0., 1.), *TIES, dtype="float32")
    assert_same_grads(lambda m, x: m.abs(x) + m.relu(x), [0., -0., 1., NAN], dtype="float32")


@pytest.mark.parametrize("size", ["small", "large"])
def test_erf_family_accuracy_across_the_line(size):
    """erf/erfc/erfinv are implemented without SciPy (small arrays call the C library per element, large
    ones take a vectorized path): float64 values match torch to a few ulps either way."""
    n = 40 if size == "small" else 6000
    x = np.concatenate([np.linspace(-30, 30, 2 * n), np.linspace(-1.01, 1.01, n), np.linspace(2.9, 3.1, n),
                        [0., -0., INF, -INF, NAN]])
    for name in ("erf", "erfc"):
        ours = getattr(numtorch, name)(numtorch.tensor(x))._data
        theirs = getattr(torch, name)(torch.tensor(x)).numpy()
        np.testing.assert_allclose(ours, theirs, rtol=4e-15, atol=1e-320, equal_nan=True, err_msg=name)
    y = np.concatenate([np.linspace(-1, 1, 2 * n), 1 - np.logspace(-16, -1, n), -1 + np.logspace(-16, -1, n),
                        np.logspace(-300, -1, n), [1.5, -1.5, NAN, -0.]])
    np.testing.assert_allclose(numtorch.erfinv(numtorch.tensor(y))._data, torch.erfinv(torch.tensor(y)).numpy(),
                               rtol=4e-15, atol=0, equal_nan=True)
    for name in ("erf", "erfc", "erfinv"):
        v = (y if name == "erfinv" else x).astype(np.float32)
        ours = getattr(numtorch, name)(numtorch.tensor(v))._data
        assert ours.dtype == np.float32
        np.testing.assert_allclose(ours, getattr(torch, name)(torch.tensor(v)).numpy(), rtol=3e-7, atol=1e-37,
                                   equal_nan=True, err_msg=name)


def test_nan_to_num_replacements():
    v = [NAN, INF, -INF, 1.5]
    for dtype in ("float64", "float32", "float16"):
        for kw in ({}, {"nan": 2.0, "posinf": 5.0}, {"neginf": -7.0}):
            ours = numtorch.nan_to_num(numtorch.tensor(v, dtype=getattr(numtorch, dtype)), **kw)
            theirs = torch.nan_to_num(torch.tensor(v, dtype=getattr(torch, dtype)), **kw)
            np.testing.assert_array_equal(_np(ours), _np(theirs))


def test_sign_of_nan_is_zero_like_torch():
    v = [NAN, -0., 0., -3., 2.]
    for fn in ("sign", "sgn"):
        np.testing.assert_array_equal(_np(getattr(numtorch, fn)(numtorch.tensor(v))),
                                      _np(getattr(torch, fn)(torch.tensor(v))))


@pytest.mark.parametrize("decimals", [-2, -1, 0, 1, 2, 3])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_round_decimals_matches_torch_bit_for_bit(decimals, dtype):
    v = np.random.default_rng(decimals + 7).uniform(-500, 500, 200)
    v = np.concatenate([v, [0.5, 1.5, 2.5, -0.5, 0.125, 0.375, 1.005, 2.675, 15., 25., 1234.5678]])
    ours = numtorch.round(numtorch.tensor(v, dtype=getattr(numtorch, dtype)), decimals=decimals)
    theirs = torch.round(torch.tensor(v, dtype=getattr(torch, dtype)), decimals=decimals)
    np.testing.assert_array_equal(_np(ours), _np(theirs))


# -- grad_fn names ---------------------------------------------------------------------------------

NAMED = {
    "x+y": lambda m, x, y: x + y, "x+2": lambda m, x, y: x + 2, "2+x": lambda m, x, y: 2 + x,
    "x-2": lambda m, x, y: x - 2, "2-x": lambda m, x, y: 2 - x, "rsub": lambda m, x, y: m.rsub(x, y),
    "2*x": lambda m, x, y: 2 * x, "x/y": lambda m, x, y: x / y, "2/x": lambda m, x, y: 2 / x,
    "x//y": lambda m, x, y: x // y, "x%y": lambda m, x, y: x % y, "x%2": lambda m, x, y: x % 2,
    "2%x": lambda m, x, y: 2 % x, "x**2": lambda m, x, y: x ** 2, "x**y": lambda m, x, y: x ** y,
    "2**x": lambda m, x, y: 2 ** x, "square": lambda m, x, y: m.square(x),
    "div_trunc": lambda m, x, y: m.div(x, y, rounding_mode="trunc"),
    "float_power": lambda m, x, y: m.float_power(x, 2), "clamp_n": lambda m, x, y: m.clamp(x, 0.1, 0.5),
    "clamp_t": lambda m, x, y: m.clamp(x, min=y), "clamp_min": lambda m, x, y: m.clamp_min(x, 0.2),
    "clamp_max_t": lambda m, x, y: m.clamp_max(x, y), "where": lambda m, x, y: m.where(x > 0.5, x, y),
    "lerp_s": lambda m, x, y: m.lerp(x, y, 0.3), "lerp_t": lambda m, x, y: m.lerp(x, y, y),
    "fmod_s": lambda m, x, y: m.fmod(x, 2), "copysign_s": lambda m, x, y: m.copysign(x, -1),
    "xlogy_self": lambda m, x, y: m.xlogy(2., y), "xlogy_other": lambda m, x, y: m.xlogy(x, 2.),
    "round_d": lambda m, x, y: m.round(x, decimals=2), "fix": lambda m, x, y: m.fix(x),
    "log1p": lambda m, x, y: m.log1p(x), "heaviside": lambda m, x, y: m.heaviside(x, y),
    "nan_to_num": lambda m, x, y: m.nan_to_num(x), "abs": lambda m, x, y: abs(x),
    "addcdiv": lambda m, x, y: m.addcdiv(x, x, y), "relu": lambda m, x, y: m.relu(x),
    "erfinv": lambda m, x, y: m.erfinv(x), "deg2rad": lambda m, x, y: m.deg2rad(x),
    "logaddexp2": lambda m, x, y: m.logaddexp2(x, y), "fmax": lambda m, x, y: m.fmax(x, y),
}


@pytest.mark.parametrize("expr", list(NAMED), ids=list(NAMED))
def test_grad_fn_names(expr):
    fn = NAMED[expr]
    x, y = (np.array([0.3, 0.7]), np.array([0.6, 0.2]))
    ours = fn(numtorch, numtorch.tensor(x, requires_grad=True), numtorch.tensor(y, requires_grad=True))
    theirs = fn(torch, torch.tensor(x, requires_grad=True), torch.tensor(y, requires_grad=True))
    assert ours.grad_fn.name() == theirs.grad_fn.name()
    assert [f is None for f, _ in ours.grad_fn.next_functions] == \
        [f is None for f, _ in theirs.grad_fn.next_functions]


def test_not_implemented_derivatives_raise_torchs_error():
    for expr in ("x//y", "2%x", "heaviside"):
        for m in (numtorch, torch):
            x = m.tensor([0.3, 0.7], requires_grad=True)
            out = NAMED[expr](m, x, m.tensor([0.6, 0.2]))
            assert out.requires_grad
            with pytest.raises(RuntimeError, match="derivative for aten::.* is not implemented"):
                out.sum().backward()


# -- dtype promotion and scalar operands ------------------------------------------------------------

def _operands(m):
    return dict(f=m.tensor([1.5, -2.5, 0.0]), d=m.tensor([0.5, 2.0, -1.0], dtype=m.float64),
                h=m.tensor([1.0, 2.0, 3.0], dtype=m.float16), i=m.tensor([3, -2, 5]),
                i32=m.tensor([1, 2, 3], dtype=m.int32), u8=m.tensor([1, 2, 200], dtype=m.uint8),
                b=m.tensor([True, False, True]), d0=m.tensor(1.25, dtype=m.float64), i0=m.tensor(7),
                f0=m.tensor(0.5))


PROMOTION = [
    "f + d", "f + h", "f + i", "i + f", "f + d0", "i + d0", "i + f0", "i32 + i0", "u8 + i32", "b + b", "b + i",
    "f + 2", "2 + f", "f + 2.5", "i + 2.5", "2.5 + i", "i + 2", "i32 + 2", "u8 + 3", "b + 1", "b + 1.5",
    "b + True", "h * 3.5", "d * f0", "i * b", "f * True", "i / i", "i / 2", "2 / i", "b / b", "i32 / i0",
    "u8 / 2", "i // 2", "f // 2", "i % 3", "-7 % i", "f % -1.5", "i ** 2", "i ** 0.5", "b ** 2", "b ** True",
    "2 ** b", "2 ** i", "2.5 ** i", "f ** i", "i ** f", "h ** 2", "2 - f", "2 - i", "1.5 - i",
    "torch.sqrt(i)", "torch.sqrt(b)", "torch.exp(i32)", "torch.sigmoid(u8)", "torch.erf(i)", "torch.abs(i)",
    "torch.neg(i32)", "torch.sign(b)", "torch.sign(i)", "torch.square(b)", "torch.square(i)",
    "torch.relu(i)", "torch.reciprocal(i)", "torch.floor(i)", "torch.round(i)", "torch.logit(i)",
    "torch.nan_to_num(i)", "torch.atan2(i, i)", "torch.atan2(i, d0)", "torch.copysign(i, -1)",
    "torch.copysign(b, f)", "torch.xlogy(i, i)", "torch.xlogy(2, f)", "torch.float_power(i, 2)",
    "torch.float_power(f, f)", "torch.float_power(2, i)", "torch.maximum(i, f)", "torch.maximum(b, b)",
    "torch.minimum(i, b)", "torch.fmax(i, i)", "torch.clamp(i, 0.5)", "torch.clamp(i, 0)",
    "torch.clamp(b, 0, 1)", "torch.clamp(f, d)", "torch.clamp(i, f)", "torch.clamp_min(i, 0.5)",
    "torch.where(b, f, i)", "torch.where(b, f, d0)", "torch.where(b, f, 2.5)", "torch.where(b, i, 2.5)",
    "torch.where(b, 1, 0)", "torch.where(b, 1., 0)", "torch.where(b, f, d)", "torch.addcmul(f, d, f)",
    "torch.addcmul(f, i, i, value=0.5)", "torch.addcmul(i, i, i, value=2)", "torch.addcmul(i, i, i, value=2.5)",
    "torch.addcdiv(i, f, f)", "torch.lerp(f, f, f0)", "torch.heaviside(i, i)", "torch.hypot(f, d)",
    "torch.div(i, 2, rounding_mode='trunc')", "torch.div(i, 2.0, rounding_mode='floor')",
    "torch.div(-i, i32, rounding_mode='trunc')", "torch.remainder(-7, i)", "torch.fmod(-i, 3)",
    "torch.pow(i, f0)", "torch.rsub(i, 2)", "torch.rsub(f, i)", "torch.add(i, i, alpha=3)",
    "torch.sub(f, f, alpha=0.5)", "torch.frac(f)", "torch.trunc(d)", "torch.logaddexp(f, d0)",
]


@pytest.mark.parametrize("expr", PROMOTION)
def test_result_dtype_and_values(expr):
    results = []
    for m in (numtorch, torch):
        env = dict(_operands(m), torch=m)
        results.append(eval(expr, {}, env))  # noqa: S307 - the expressions above, on both libraries
    ours, theirs = results
    assert ours.dtype.__repr__() == repr(theirs.dtype), expr
    np.testing.assert_allclose(_np(ours).astype(np.float64), _np(theirs).astype(np.float64), rtol=1e-6,
                               equal_nan=True, err_msg=expr)


def test_python_scalars_do_not_upcast_float32():
    x = numtorch.tensor([1.5, 2.5])
    for out in (x + 1e-30, 2.0 * x, x / 3.0, 1.0 - x, x ** 2.0, 3.0 ** x, numtorch.where(x > 2, x, 1e40),
                numtorch.clamp(x, 0.1, 2.2), numtorch.lerp(x, x, 0.3), numtorch.addcdiv(x, x, x, value=0.1)):
        assert out.dtype is numtorch.float32


def test_integer_powers_like_torch():
    base = [1, -1, 2, -2, 0, 3]
    exps = [-1, -1, -1, -2, 1, 2]
    np.testing.assert_array_equal(_np(numtorch.tensor(base) ** numtorch.tensor(exps)),
                                  _np(torch.tensor(base) ** torch.tensor(exps)))
    np.testing.assert_array_equal(_np((-1) ** numtorch.tensor([-1, -2, -3])), _np((-1) ** torch.tensor([-1, -2, -3])))
    np.testing.assert_array_equal(_np(0 ** numtorch.tensor([-1, 2, 0])), _np(0 ** torch.tensor([-1, 2, 0])))


def test_integer_division_and_modulo_match_torch():
    a = np.array([-7, 7, -7, 7, 0, 5, -5])
    b = np.array([2, -2, -2, 2, 3, 3, -3])
    for fn in (lambda m, x, y: m.div(x, y, rounding_mode="trunc"), lambda m, x, y: m.div(x, y, rounding_mode="floor"),
               lambda m, x, y: x // y, lambda m, x, y: x % y, lambda m, x, y: m.fmod(x, y),
               lambda m, x, y: m.remainder(x, y), lambda m, x, y: x / y):
        ours, theirs = fn(numtorch, numtorch.tensor(a), numtorch.tensor(b)), fn(torch, torch.tensor(a), torch.tensor(b))
        assert repr(ours.dtype) == repr(theirs.dtype)
        np.testing.assert_array_equal(_np(ours), _np(theirs))


def test_float_division_edge_cases_match_torch():
    a = np.array([-7., 7., 0., 5., -5., 7.5, -0.])
    b = np.array([0., 0., 0., -0., 3., -2., 2.])
    for fn in (lambda m, x, y: x // y, lambda m, x, y: x % y, lambda m, x, y: m.fmod(x, y),
               lambda m, x, y: m.div(x, y, rounding_mode="trunc"), lambda m, x, y: x / y):
        ours, theirs = fn(numtorch, numtorch.tensor(a), numtorch.tensor(b)), fn(torch, torch.tensor(a), torch.tensor(b))
        np.testing.assert_array_equal(_np(ours), _np(theirs))


def test_lerp_is_exact_at_both_ends():
    x, y = np.array([1e8, -3.3, 0.1]), np.array([1.0, 7.7, -2e-8])
    for w in (0.0, 1.0, 0.49, 0.51):
        ours = numtorch.lerp(numtorch.tensor(x), numtorch.tensor(y), w)
        theirs = torch.lerp(torch.tensor(x), torch.tensor(y), w)
        if w in (0.0, 1.0):
            np.testing.assert_array_equal(_np(ours), _np(theirs))
        np.testing.assert_allclose(_np(ours), _np(theirs), rtol=1e-15)   # torch may fuse the multiply-add


# -- errors ----------------------------------------------------------------------------------------

ERRORS = [
    "-b", "b - b", "b - 1", "f - b", "1 - b", "True - f", "torch.rsub(b, b)", "torch.sub(i, i, alpha=1.5)",
    "torch.add(f, f, alpha=True)", "i ** -1", "i // 0", "i % 0", "torch.fmod(i, 0)",
    "torch.div(i, 0, rounding_mode='trunc')", "torch.div(f, f, rounding_mode='round')",
    "torch.ones(3) + torch.ones(4)", "torch.ones(2, 3) * torch.ones(4, 1, 2)", "torch.where(f, f, f)",
    "torch.clamp(f)", "torch.clamp(f, torch.ones(1), 0.5)", "torch.maximum(f, 1.)", "torch.atan2(f, 1.0)",
    "torch.hypot(f, 1.)", "torch.hypot(i, i)", "torch.logaddexp(i, i)", "torch.heaviside(f, 0.5)",
    "torch.heaviside(f, d)", "torch.lerp(f, i, 0.5)", "torch.lerp(f, d, 0.5)", "torch.lerp(i, i, 0.5)",
    "torch.lerp(f, f, d)", "torch.addcdiv(i, i, i)", "torch.addcmul(b, b, b)", "torch.abs(b)",
    "torch.relu(b)", "torch.floor(b)", "torch.frac(i)", "torch.round(i, decimals=1)", "+b", "torch.exp(2.0)",
    "torch.fmod(2, f)", "torch.add(f, [1.0, 2.0, 3.0])", "f + 'a'",
    "torch.add(f, f, out=torch.empty(3, dtype=torch.long))",
]


@pytest.mark.parametrize("expr", ERRORS)
def test_errors_match_torch(expr):
    caught = []
    for m in (numtorch, torch):
        env = dict(_operands(m), torch=m)
        with pytest.raises(Exception) as info:
            eval(expr, {}, env)  # noqa: S307
        caught.append(info.value)
    ours, theirs = caught
    assert type(ours).__name__ == type(theirs).__name__, (expr, ours, theirs)
    if isinstance(theirs, RuntimeError) or isinstance(theirs, NotImplementedError):
        assert str(ours).split("\n")[0] == str(theirs).split("\n")[0], expr


def test_out_argument():
    for m in (numtorch, torch):
        x = m.tensor([1.0, 2.0], requires_grad=True)
        with pytest.raises(RuntimeError, match="out=... arguments don't support automatic differentiation"):
            m.add(x, x, out=m.empty(2))
    out = numtorch.empty(2, dtype=numtorch.float64)
    res = numtorch.mul(numtorch.tensor([1.0, 2.0]), 3, out=out)
    assert res is out and out.tolist() == [3.0, 6.0] and out.dtype is numtorch.float64 and out._version == 1


def test_comparisons_with_other_types_fall_back_like_torch():
    for m in (numtorch, torch):
        f = m.tensor([1.0, 2.0])
        assert (f == None) is False  # noqa: E711 - what torch does
        assert (f != "a") is True
        with pytest.raises(TypeError):
            f < "a"  # noqa: B015


def test_integer_inputs_follow_the_default_dtype():
    for m in (numtorch, torch):
        m.set_default_dtype(m.float64)
        try:
            i = m.tensor([1, 4, 9])
            outs = [m.sqrt(i), i / i, m.sigmoid(i), m.atan2(i, i), i * 0.5, m.where(i > 2, i, 0.5), m.clamp(i, 0.5)]
            assert [repr(o.dtype) for o in outs] == ["torch.float64"] * len(outs)
        finally:
            m.set_default_dtype(m.float32)
