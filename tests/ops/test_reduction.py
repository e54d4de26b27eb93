"""Reductions and scans against torch: forward, grad and grad-of-grad (op table), plus ties, zeros,
empty inputs, result dtypes, torch's errors and torch.return_types results."""
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given

import numtorch
from tests.optable import Row, check_row, fixed, shapes

# numtorch silences NumPy's IEEE warnings (inf - inf, log(0)) from its own code; pytest's capture
# bypasses that package filter, so the tests restate it.
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning:numtorch")


def nl(f):
    """f followed by sin on its float outputs, so grad-of-grad runs f's rule on recorded Tensors."""
    def g(m, *xs):
        out = f(m, *xs)
        if isinstance(out, (tuple, list)):
            return [o.sin() if o.is_floating_point() else o for o in out]
        return out.sin()
    return g


def put(value, count=1):
    """An `avoid` that writes `value` into the first `count` entries of each input (zeros, NaNs)."""
    def avoid(arrays):
        out = []
        for a in arrays:
            a = a.copy()
            a.reshape(-1)[:count] = value
            out.append(a)
        return out
    return avoid


def spread(arrays):
    """Distinct values far apart, so that max/median/mode pick the same entry as torch's, stably."""
    out = []
    for a in arrays:
        a = a.copy()
        flat = a.reshape(-1)
        flat[:] = np.random.default_rng(flat.size).permutation(flat.size) * 0.25 - flat.size * 0.1
        out.append(a)
    return out


D1 = shapes(1, min_dims=1)          # a dim 0 / -1 exists
NONEMPTY = shapes(1, min_side=1)
NONEMPTY_D1 = shapes(1, min_dims=1, min_side=1)
D2 = shapes(1, min_dims=2)
VAR_SHAPES = shapes(1, min_dims=1, min_side=2)   # at least 2 entries per reduced slice: dof > 0

ROWS = [
    Row("sum", nl(lambda m, x: x.sum()), shapes(1)),
    Row("sum_dim", nl(lambda m, x: m.sum(x, 0)), D1),
    Row("sum_neg_keepdim", nl(lambda m, x: x.sum(-1, keepdim=True)), D1),
    Row("sum_tuple", nl(lambda m, x: x.sum((0, -1))), D2),
    Row("sum_list", nl(lambda m, x: m.sum(x, [-1, 0], True)), D2),
    Row("sum_0d_dim", nl(lambda m, x: x.sum(0)), fixed(((),))),
    Row("sum_dtype", nl(lambda m, x: x.sum(-1, dtype=m.float64)), D1, dtypes=(np.float32,)),
    Row("sum_none_keepdim", nl(lambda m, x: m.sum(x, None, True)), shapes(1)),
    Row("mean", nl(lambda m, x: x.mean()), NONEMPTY),
    Row("mean_dim", nl(lambda m, x: m.mean(x, -1)), NONEMPTY_D1),
    Row("mean_tuple_keepdim", nl(lambda m, x: x.mean((0, 1), keepdim=True)), shapes(1, min_dims=2, min_side=1)),
    Row("mean_dtype", nl(lambda m, x: x.mean(0, dtype=m.float64)), NONEMPTY_D1, dtypes=(np.float32,)),
    Row("nansum", nl(lambda m, x: x.nansum()), shapes(1), avoid=put(np.nan, 2), gradcheck=False),
    Row("nansum_dim", nl(lambda m, x: m.nansum(x, -1, keepdim=True)), D1, avoid=put(np.nan), gradcheck=False),
    Row("nanmean", nl(lambda m, x: x.nanmean(0)), NONEMPTY_D1, avoid=put(np.nan), gradcheck=False),
    Row("prod", lambda m, x: x.prod(), shapes(1)),
    Row("prod_dim", lambda m, x: m.prod(x, -1), D1),
    Row("prod_keepdim", lambda m, x: x.prod(0, keepdim=True), D1),
    Row("prod_one_zero", lambda m, x: x.prod(), shapes(1), avoid=put(0.0), gradcheck=False),
    Row("prod_two_zeros", lambda m, x: x.prod(), shapes(1), avoid=put(0.0, 2), gradcheck=False),
    Row("prod_dim_zeros", lambda m, x: x.prod(0), D1, avoid=put(0.0, 3), gradcheck=False),
    Row("var", lambda m, x: x.var(), VAR_SHAPES),
    Row("var_dim", lambda m, x: m.var(x, -1), VAR_SHAPES),
    Row("var_correction0_keepdim", lambda m, x: x.var(0, correction=0, keepdim=True), VAR_SHAPES),
    Row("var_unbiased_false", lambda m, x: m.var(x, 0, False), VAR_SHAPES),
    Row("var_unbiased_positional", lambda m, x: m.var(x, False), VAR_SHAPES),
    Row("var_tuple", lambda m, x: x.var((0, -1), correction=2), shapes(1, min_dims=2, min_side=2)),
    Row("std", lambda m, x: x.std(), VAR_SHAPES),
    Row("std_dim", lambda m, x: m.std(x, -1, keepdim=True), VAR_SHAPES),
    Row("std_correction", lambda m, x: x.std(0, correction=0.5), VAR_SHAPES),
    Row("var_mean", lambda m, x: m.var_mean(x, -1), VAR_SHAPES),
    Row("std_mean", lambda m, x: m.std_mean(x, 0, keepdim=True, correction=0), VAR_SHAPES),
    Row("max", nl(lambda m, x: x.max()), NONEMPTY, avoid=spread),
    Row("min", nl(lambda m, x: m.min(x)), NONEMPTY, avoid=spread),
    Row("max_dim", nl(lambda m, x: x.max(-1)), NONEMPTY_D1, avoid=spread),
    Row("min_dim_keepdim", nl(lambda m, x: m.min(x, 0, keepdim=True)), NONEMPTY_D1, avoid=spread),
    Row("max_0d_dim", nl(lambda m, x: x.max(0)), fixed(((),))),
    Row("amax", nl(lambda m, x: x.amax()), NONEMPTY, avoid=spread),
    Row("amax_dims", nl(lambda m, x: m.amax(x, (0, -1))), shapes(1, min_dims=2, min_side=1), avoid=spread),
    Row("amin_keepdim", nl(lambda m, x: x.amin(-1, keepdim=True)), NONEMPTY_D1, avoid=spread),
    Row("aminmax", nl(lambda m, x: m.aminmax(x)), NONEMPTY, avoid=spread),
    Row("aminmax_dim", nl(lambda m, x: m.aminmax(x, dim=-1, keepdim=True)), NONEMPTY_D1, avoid=spread),
    Row("argmax", lambda m, x: x.argmax(), NONEMPTY, grad=False),
    Row("argmax_dim", lambda m, x: m.argmax(x, -1, keepdim=True), NONEMPTY_D1, grad=False),
    Row("argmin_dim", lambda m, x: m.argmin(x, 0), NONEMPTY_D1, grad=False),
    Row("median", nl(lambda m, x: x.median()), NONEMPTY, avoid=spread),
    Row("median_dim", nl(lambda m, x: m.median(x, -1)), NONEMPTY_D1, avoid=spread),
    Row("median_dim_keepdim", nl(lambda m, x: x.median(0, True)), NONEMPTY_D1, avoid=spread),
    Row("mode", nl(lambda m, x: m.mode(x, 0)), NONEMPTY_D1, avoid=spread),
    Row("logsumexp", lambda m, x: x.logsumexp(-1), D1),
    Row("logsumexp_dims", lambda m, x: m.logsumexp(x, (0, 1), keepdim=True), D2),
    Row("logsumexp_0d", lambda m, x: m.logsumexp(x, 0), fixed(((),))),
    Row("softmax", lambda m, x: x.softmax(-1), D1),
    Row("softmax_fn", lambda m, x: m.softmax(x, 0), shapes(1)),
    Row("softmax_dtype", lambda m, x: m.softmax(x, -1, dtype=m.float64), D1, dtypes=(np.float32,)),
    Row("log_softmax", lambda m, x: x.log_softmax(0), D1),
    Row("log_softmax_fn", lambda m, x: m.log_softmax(x, -1), shapes(1)),
    Row("cumsum", nl(lambda m, x: x.cumsum(0)), D1),
    Row("cumsum_fn", nl(lambda m, x: m.cumsum(x, -1)), shapes(1)),
    Row("cumprod", lambda m, x: x.cumprod(-1), D1),
    Row("cumprod_fn", lambda m, x: m.cumprod(x, 0), shapes(1)),
    Row("cumprod_zeros", lambda m, x: x.cumprod(-1), D1, avoid=put(0.0, 2), gradcheck=False),
    Row("all", lambda m, x: x.all(), shapes(1), grad=False, avoid=put(0.0)),
    Row("any_dim", lambda m, x: m.any(x, -1, keepdim=True), D1, grad=False),
    Row("all_dims", lambda m, x: m.all(x > 0, dim=(0, -1)), D2, grad=False),
    Row("count_nonzero", lambda m, x: m.count_nonzero(x > 0), shapes(1), grad=False),
    Row("count_nonzero_dims", lambda m, x: x.count_nonzero((0, -1)), D2, grad=False),
]


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r.name)
def test_row(row):
    @given(row.shapes)
    def check(shape_tuple):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            check_row(row, shape_tuple)
    check()


# -- helpers ---------------------------------------------------------------------------------


def pair(data, requires_grad=False, dtype=np.float64):
    a = np.asarray(data, dtype)
    return (numtorch.tensor(a, requires_grad=requires_grad),
            torch.tensor(a, requires_grad=requires_grad))


def grads(fn, data, create_graph=False):
    """fn(mod, x) backpropagated with ones, for numtorch and torch: their x.grad."""
    out = []
    for mod, x in zip((numtorch, torch), pair(data, True)):
        y = fn(mod, x)
        out.append(mod.autograd.grad(y, x, mod.ones_like(y), create_graph=create_graph)[0])
    return out


def same(a, b):
    a = a.detach()._data if isinstance(a, numtorch.Tensor) else np.asarray(a)
    b = b.detach().numpy() if isinstance(b, torch.Tensor) else np.asarray(b)
    assert a.shape == b.shape and a.dtype == b.dtype, (a, b)
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12, equal_nan=True)


# -- ties, zeros, NaN ---------------------------------------------------------------------------

TIES = [[1.0, 3.0, 3.0, 0.0], [2.0, 2.0, -1.0, 2.0]]


@pytest.mark.parametrize("fn", [
    lambda m, x: x.max(), lambda m, x: x.min(), lambda m, x: x.amax(), lambda m, x: x.amin(1),
    lambda m, x: x.amax(0, keepdim=True), lambda m, x: x.median(), lambda m, x: x.max(1).values,
    lambda m, x: x.min(0)[0], lambda m, x: m.aminmax(x, dim=1).max, lambda m, x: x.median(1).values,
    lambda m, x: m.linalg.vector_norm(x, float("inf")), lambda m, x: x.mode(1).values,
], ids=["max", "min", "amax", "amin_dim", "amax_keepdim", "median", "max_dim", "min_dim", "aminmax", "median_dim",
        "inf_norm", "mode"])
def test_ties_share_grad_like_torch(fn):
    ours, theirs = grads(fn, TIES)
    same(ours, theirs)


def test_max_dim_ties_pick_first_index():
    x, t = pair(TIES)
    same(x.max(1).indices, t.max(1).indices)
    same(x.argmin(1), t.argmin(1))


def test_median_indices_match_torch_with_ties_and_nan():
    rng = np.random.default_rng(0)
    a = rng.integers(0, 3, size=(40, 7)).astype(np.float64)
    a[::7, 3] = np.nan
    x, t = pair(a)
    for dim in (0, 1):
        ours, theirs = x.median(dim), t.median(dim)
        same(ours.values, theirs.values)
        same(ours.indices, theirs.indices)
    same(x.median(), t.median())


def test_mode_matches_torch_with_ties():
    a = np.random.default_rng(1).integers(0, 4, size=(30, 9)).astype(np.float64)
    x, t = pair(a)
    ours, theirs = x.mode(1), t.mode(1)
    same(ours.values, theirs.values)
    same(ours.indices, theirs.indices)


def test_max_with_nan_propagates_and_routes_grad_to_nans():
    data = [3.0, np.nan, 2.0, np.nan]
    same(*grads(lambda m, x: x.max(), data))
    same(*grads(lambda m, x: x.amax(), data))
    x, t = pair([data])
    same(x.max(1).indices, t.max(1).indices)


@pytest.mark.parametrize("data", [[2.0, 0.0, 3.0, 4.0], [2.0, 0.0, 0.0, 4.0], [0.0, 0.0, 0.0, 1.0], [0.0]],
                         ids=["one_zero", "two_zeros", "three_zeros", "single_zero"])
@pytest.mark.parametrize("fn", [lambda m, x: x.prod(), lambda m, x: x.reshape(2, -1).prod(1) if x.numel() > 1
                                else x.prod(0), lambda m, x: x.cumprod(0)], ids=["prod", "prod_dim", "cumprod"])
def test_zeros_first_and_second_derivatives(data, fn):
    ours, theirs = grads(fn, data, create_graph=True)
    same(ours, theirs)
    assert ours.requires_grad == theirs.requires_grad
    if theirs.requires_grad:   # a grad that depends on x: its own derivative must match too
        v = np.linspace(-1.0, 1.0, len(data))
        x, t = pair(data, True)
        for mod, inp in ((numtorch, x), (torch, t)):
            (g,) = mod.autograd.grad(fn(mod, inp).sum(), inp, create_graph=True)
            (g * mod.tensor(v)).sum().backward()
        same(x.grad, t.grad)


def test_nansum_nanmean_ignore_nan():
    data = [[1.0, np.nan, 2.0], [np.nan, np.nan, np.nan]]
    same(*grads(lambda m, x: x.nansum(1), data))
    same(*grads(lambda m, x: x.nanmean(1), data))
    x, t = pair(data)
    same(x.nanmean(), t.nanmean())
    same(x.nanmean(1), t.nanmean(1))


def test_logsumexp_and_softmax_are_stable():
    data = [[1000.0, 1000.0, -1000.0], [-np.inf, -np.inf, -np.inf], [np.inf, 1.0, 0.0]]
    x, t = pair(data)
    same(x.logsumexp(1), t.logsumexp(1))
    same(x.softmax(1), t.softmax(1))
    same(x.log_softmax(1), t.log_softmax(1))
    same(*grads(lambda m, x: x[:1].logsumexp(1), data))


# -- empty inputs ---------------------------------------------------------------------------


def test_empty_reductions():
    x, t = pair(np.zeros((0, 3)))
    for fn in (lambda v: v.sum(), lambda v: v.sum(0), lambda v: v.prod(), lambda v: v.prod(0), lambda v: v.mean(),
               lambda v: v.mean(0), lambda v: v.logsumexp(0), lambda v: v.cumsum(0), lambda v: v.softmax(0),
               lambda v: v.max(1).values, lambda v: v.amax(1), lambda v: v.argmax(1), lambda v: v.median(),
               lambda v: v.all(), lambda v: v.any(0), lambda v: v.count_nonzero(0), lambda v: v.nansum(0)):
        same(fn(x), fn(t))
    assert x.sum().item() == 0.0


@pytest.mark.parametrize("fn, exc", [
    (lambda v: v.max(), RuntimeError), (lambda v: v.min(), RuntimeError), (lambda v: v.amax(), RuntimeError),
    (lambda v: v.max(0), IndexError), (lambda v: v.amin(0), IndexError), (lambda v: v.argmax(), IndexError),
    (lambda v: v.argmin(0), IndexError), (lambda v: v.median(0), IndexError),
    (lambda v: v.mode(0), IndexError),
])
def test_empty_reductions_without_identity_raise_like_torch(fn, exc):
    x, t = pair(np.zeros((0, 3)))
    with pytest.raises(exc) as theirs:
        fn(t)
    with pytest.raises(exc) as ours:
        fn(x)
    assert str(ours.value) == str(theirs.value)


def test_aminmax_of_empty_raises():
    x, t = pair(np.zeros(0))
    with pytest.raises(RuntimeError, match="aminmax"):
        numtorch.aminmax(x)
    with pytest.raises(RuntimeError, match="aminmax"):
        torch.aminmax(t)


# -- dtypes ------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.uint8, np.bool_, np.int8])
def test_integer_and_bool_results(dtype):
    a = np.array([[1, 0, 1], [1, 1, 0]]).astype(dtype)
    x, t = numtorch.tensor(a), torch.tensor(a)
    for fn in (lambda v: v.sum(), lambda v: v.sum(0), lambda v: v.prod(), lambda v: v.prod(1),
               lambda v: v.cumsum(1), lambda v: v.cumprod(0), lambda v: v.nansum(), lambda v: v.all(),
               lambda v: v.any(1), lambda v: v.count_nonzero(), lambda v: v.amax(1), lambda v: v.max(),
               lambda v: v.sum(dtype=torch.float32 if isinstance(v, torch.Tensor) else numtorch.float32)):
        same(fn(x), fn(t))


def test_dtype_argument_casts_before_reducing():
    a = np.array([[1, 2], [3, 4]])
    x, t = numtorch.tensor(a), torch.tensor(a)
    same(x.mean(dtype=numtorch.float64), t.mean(dtype=torch.float64))
    same(x.cumsum(0, dtype=numtorch.float32), t.cumsum(0, dtype=torch.float32))
    same(x.prod(1, dtype=numtorch.float64), t.prod(1, dtype=torch.float64))
    same(x.softmax(0, dtype=numtorch.float64), t.softmax(0, dtype=torch.float64))
    same(x.logsumexp(0), t.logsumexp(0))


@pytest.mark.parametrize("fn, exc", [
    (lambda m, v: v.mean(), RuntimeError), (lambda m, v: v.mean(dtype=m.int64), RuntimeError),
    (lambda m, v: v.var(), RuntimeError), (lambda m, v: v.std(0), RuntimeError),
    (lambda m, v: v.nanmean(), RuntimeError), (lambda m, v: v.softmax(0), NotImplementedError),
    (lambda m, v: v.log_softmax(0), NotImplementedError), (lambda m, v: (v > 0).argmax(), RuntimeError),
])
def test_dtype_errors_like_torch(fn, exc):
    a = np.array([[1, 2], [3, 4]])
    with pytest.raises(exc) as theirs:
        fn(torch, torch.tensor(a))
    with pytest.raises(exc) as ours:
        fn(numtorch, numtorch.tensor(a))
    assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize("fn, exc", [
    (lambda v: v.sum(2), IndexError), (lambda v: v.sum((0, 0)), RuntimeError), (lambda v: v.sum((1, -1)), RuntimeError),
    (lambda v: v.max(3), IndexError), (lambda v: v.cumsum(-3), IndexError), (lambda v: v.amax(5), IndexError),
    (lambda v: v.softmax(2), IndexError), (lambda v: v.var(4), IndexError),
])
def test_dim_errors_like_torch(fn, exc):
    x, t = pair(np.ones((2, 3)))
    with pytest.raises(exc) as theirs:
        fn(t)
    with pytest.raises(exc) as ours:
        fn(x)
    assert str(ours.value) == str(theirs.value)


def test_var_without_degrees_of_freedom_warns_and_gives_nan():
    x, t = pair([1.0], requires_grad=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ours = x.var()
    assert any(w.category is UserWarning and "degrees of freedom is <= 0" in str(w.message) for w in caught)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = t.var()
    same(ours, theirs)
    ours.backward()
    theirs.backward()
    same(x.grad, t.grad)


def test_std_of_constant_has_zero_grad():
    same(*grads(lambda m, x: x.std(1), [[2.0, 2.0, 2.0], [1.0, 2.0, 4.0]]))


# -- results: return types, grad_fn names, in-place scans, binary max ------------------------------


@pytest.mark.parametrize("name, call", [
    ("max", lambda v: v.max(1)), ("min", lambda v: v.min(0, keepdim=True)), ("median", lambda v: v.median(1)),
    ("mode", lambda v: v.mode(1)), ("aminmax", lambda v: v.aminmax(dim=1)),
])
def test_namedtuple_results(name, call):
    x, t = pair([[1.0, 5.0, 2.0], [4.0, 3.0, 6.0]])
    ours, theirs = call(x), call(t)
    assert isinstance(ours, tuple) and len(ours) == 2
    assert ours._fields == tuple(theirs._fields if hasattr(theirs, "_fields") else
                                 (("min", "max") if name == "aminmax" else ("values", "indices")))
    for field in ours._fields:
        same(getattr(ours, field), getattr(theirs, field))
    first, second = ours
    same(first, theirs[0])
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("call", [
    lambda m, x: x.sum(), lambda m, x: x.sum(1), lambda m, x: x.mean(), lambda m, x: x.mean(0),
    lambda m, x: x.nansum(), lambda m, x: x.nanmean(), lambda m, x: x.prod(), lambda m, x: x.prod(1),
    lambda m, x: x.var(), lambda m, x: x.std(1), lambda m, x: m.var_mean(x)[0], lambda m, x: m.std_mean(x)[1],
    lambda m, x: x.max(), lambda m, x: x.max(1)[0], lambda m, x: x.min(), lambda m, x: x.min(1)[0],
    lambda m, x: x.amax(), lambda m, x: x.amin(1), lambda m, x: m.aminmax(x)[0], lambda m, x: x.median(),
    lambda m, x: x.median(0)[0], lambda m, x: x.mode(1)[0], lambda m, x: x.logsumexp(1),
    lambda m, x: x.softmax(0), lambda m, x: x.log_softmax(1), lambda m, x: x.cumsum(0), lambda m, x: x.cumprod(1),
])
def test_grad_fn_names(call):
    x, t = pair(np.arange(6.0).reshape(2, 3) + 1, True)
    assert call(numtorch, x).grad_fn.name() == call(torch, t).grad_fn.name()


def test_non_differentiable_results():
    x, t = pair([[1.0, 2.0], [3.0, 0.0]], True)
    for fn in (lambda v: v.argmax(), lambda v: v.argmin(1), lambda v: v.all(), lambda v: v.any(0),
               lambda v: v.count_nonzero(), lambda v: v.max(1).indices):
        ours, theirs = fn(x), fn(t)
        assert ours.requires_grad == theirs.requires_grad is False
        same(ours, theirs)


def test_inplace_scans():
    for name in ("cumsum_", "cumprod_"):
        x, t = pair([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
        assert getattr(x, name)(1) is x
        getattr(t, name)(1)
        same(x, t)
        assert x._version == 1


def test_binary_max_min_delegate_to_maximum_minimum():
    (a, ta), (b, tb) = pair([1.0, 5.0, 3.0]), pair([2.0, 4.0, 3.0])
    same(numtorch.max(a, b), torch.max(ta, tb))
    same(a.min(b), ta.min(tb))


def test_numpy_argument_names():
    x, t = pair([[1.0, 5.0, 2.0], [4.0, 3.0, 6.0]])
    for fn in (lambda v: v.sum(axis=1, keepdims=True), lambda v: v.mean(axis=0), lambda v: v.max(axis=1).values,
               lambda v: v.var(axis=1, keepdims=True), lambda v: v.cumsum(axis=0), lambda v: v.amax(axis=0)):
        same(fn(x), fn(t))
