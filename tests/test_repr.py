"""repr/str of tensors, torch.Size and torch.device: character for character torch 2.13's."""
import math

import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st
from hypothesis.extra import numpy as hnp

import numtorch as nt


@pytest.fixture(autouse=True)
def default_print_options():
    yield
    nt.set_printoptions(profile="default")
    torch.set_printoptions(profile="default")
    nt.set_default_dtype(nt.float32)
    torch.set_default_dtype(torch.float32)


def check(arr: np.ndarray, requires_grad=False):
    arr = np.asarray(arr)
    expected = torch.from_numpy(arr.copy())
    got = nt.from_numpy(arr.copy())
    if requires_grad:
        expected.requires_grad_()
        got.requires_grad_()
    assert repr(got) == repr(expected), f"\n{got!r}\n!=\n{expected!r}"
    assert str(got) == str(expected)


def options(**kw):
    nt.set_printoptions(**kw)
    torch.set_printoptions(**kw)


F = [np.float32, np.float64, np.float16]
I = [np.int64, np.int32, np.int16, np.int8, np.uint8]

rng = np.random.default_rng(0)
CASES = [
    np.array(3.5), np.array(-0.0), np.array(np.nan), np.array(-np.inf), np.array(7.0), np.array(1e-7), np.array(1e9),
    np.array([]), np.zeros((0, 3)), np.zeros((2, 0, 1)), np.array([1., 2.]), np.array([0., 0.]), np.array([-0., 1.]),
    np.array([1., np.nan, np.inf, -np.inf]), np.array([np.nan, np.inf]), np.array([1e-5, 1.]), np.array([1e9, 1.]),
    np.array([1., 1000.]), np.array([1., 1001.]), np.array([1.5, 1e8]), np.array([1.5, 1.00001e8]),
    np.array([1.5, 1e-4]), np.array([1.5, 0.99e-4]), np.array([123456789., 2.]), np.array([0.1, 0.25, -3.]),
    np.array([1e300, -1e-300]), np.array([5e-324, 1.]), np.array([2.5, -1e5, 33]), np.array([0.5, 100.25]),
    np.array([[1., 2.], [3., 4.]]), np.arange(24.).reshape(2, 3, 4) / 3, np.arange(120.).reshape(2, 3, 4, 5) - 60,
    rng.normal(size=(3, 30)), rng.normal(size=(5, 5)) * 1e-6, rng.normal(size=(100,)) * 1e4, rng.normal(size=(7, 13)),
    np.arange(2000.), np.arange(1001.).reshape(1001) / 7, np.arange(2000.).reshape(40, 50),
    np.arange(3600.).reshape(3, 400, 3),
    rng.normal(size=(10, 10, 11)), np.full(1500, 3.), np.full((1, 1001), np.nan), rng.normal(size=(2, 600)) * 1e6,
]


@pytest.mark.parametrize("dtype", F)
@pytest.mark.parametrize("case", range(len(CASES)))
def test_float_cases(case, dtype):
    with np.errstate(over="ignore", under="ignore"):
        check(CASES[case].astype(dtype))


INT_CASES = [np.array(5), np.array(-3), np.array([], np.int64), np.zeros((0, 2)), np.array([1, 2, 3]),
             np.array([-100, 5, 0]), np.arange(60).reshape(3, 4, 5), np.arange(100), np.arange(3000),
             np.arange(2000).reshape(2, 1000), np.array([[127, -128]]), np.arange(100).reshape(10, 10) * 12345]


@pytest.mark.parametrize("dtype", I)
@pytest.mark.parametrize("case", range(len(INT_CASES)))
def test_int_cases(case, dtype):
    a = INT_CASES[case]
    if dtype == np.uint8:
        a = np.abs(a)
    with np.errstate(over="ignore"):
        check(a.astype(dtype))


@pytest.mark.parametrize("arr", [np.array(True), np.array([True, False]), np.zeros((2, 3), bool),
                                 np.ones((0,), bool), rng.random((40, 50)) > 0.5, rng.random(3000) > 0.5],
                         ids=lambda a: str(a.shape))
def test_bool_cases(arr):
    check(arr)


def test_requires_grad_and_grad_fn():
    for a in (np.array([1., 2.]), np.array(2.5), np.zeros((0, 2)), np.arange(12.).reshape(3, 4), np.arange(5000.),
              np.arange(9.).reshape(1, 9) * 1e7):
        check(a.astype(np.float32), requires_grad=True)
        check(a, requires_grad=True)
        for m in (nt, torch):
            x = m.tensor(a, requires_grad=True)
            y = x * 2
            if m is nt:
                got = repr(y)
            else:
                expected = repr(y)
        assert got == expected


def test_long_suffixes_wrap():
    for a in (np.arange(13.).reshape(1, 13) * 1.5, np.arange(11.) + 0.5, np.array([123456.789] * 7)):
        for m in (nt, torch):
            y = m.tensor(a, dtype=m.float64, requires_grad=True) * 3
            if m is nt:
                got = repr(y)
            else:
                expected = repr(y)
        assert got == expected


PRINT_OPTIONS = [dict(precision=2), dict(precision=0), dict(precision=8), dict(threshold=5), dict(threshold=0),
                 dict(edgeitems=1, threshold=10), dict(edgeitems=0, threshold=10), dict(edgeitems=5, threshold=10),
                 dict(linewidth=40), dict(linewidth=200), dict(linewidth=1), dict(profile="short"),
                 dict(profile="full"), dict(sci_mode=True), dict(sci_mode=False), dict(precision=3, sci_mode=True)]


@pytest.mark.parametrize("opts", PRINT_OPTIONS, ids=str)
@pytest.mark.parametrize("arr", [np.arange(30.) / 7, np.arange(2000.).reshape(40, 50) * 1e-5, np.arange(25),
                                 np.array([1e-8, 1.]), np.array(3.14159), np.arange(60.).reshape(3, 4, 5),
                                 np.array([[True, False, True]] * 4), np.arange(1200.), np.zeros((0, 2))],
                         ids=lambda a: f"{a.dtype}{a.shape}")
def test_print_options(opts, arr):
    options(**opts)
    check(arr.astype(np.float32) if arr.dtype == np.float64 else arr)


def test_sci_mode_reset_and_get_printoptions():
    options(sci_mode=True)
    options(precision=3)           # torch resets sci_mode when it is not passed
    check(np.array([1e-8, 1.]))
    from numtorch._tensor_str import get_printoptions, printoptions
    assert get_printoptions() == {"precision": 3, "threshold": 1000, "edgeitems": 3, "linewidth": 80,
                                  "sci_mode": None}
    with printoptions(precision=1):
        assert repr(nt.tensor([1.25])) == "tensor([1.2])"
    assert get_printoptions()["precision"] == 3


def test_default_dtype_suffixes():
    for name in ("float64", "float16"):
        nt.set_default_dtype(getattr(nt, name))
        torch.set_default_dtype(getattr(torch, name))
        for a in (np.array([1.5]), np.array([1.5], np.float32), np.array([], np.float32), np.array([]),
                  np.array([1, 2]), np.array([], np.int64), np.array([True]), np.array([1.5], np.float16)):
            check(a)


@given(hnp.arrays(dtype=st.sampled_from([np.float32, np.float64, np.float16]),
                  shape=hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=6),
                  elements=st.floats(allow_nan=True, allow_infinity=True, width=16)),
       st.integers(-8, 8))
def test_hypothesis_floats(arr, exponent):
    with np.errstate(over="ignore"):
        check((arr.astype(np.float64) * 10.0 ** exponent).astype(arr.dtype))


@given(hnp.arrays(dtype=st.sampled_from([np.int64, np.int32, np.int8, np.uint8, np.bool_]),
                  shape=hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=6)))
def test_hypothesis_ints(arr):
    check(arr)


@given(st.lists(st.floats(-1e4, 1e4, allow_nan=False, width=32), min_size=1, max_size=120),
       st.integers(40, 120), st.integers(0, 6))
def test_hypothesis_wrapping(values, linewidth, precision):
    options(linewidth=linewidth, precision=precision)
    check(np.array(values, np.float32))
    check(np.round(np.array(values)).reshape(1, -1))


def test_parameter_and_subclass_prefix():
    if not hasattr(nt, "nn") or not hasattr(nt.nn, "Parameter"):
        pytest.skip("numtorch.nn.Parameter not available")
    for a in (np.array([1., 2.]), np.zeros((2, 2), np.float32)):
        assert repr(nt.nn.Parameter(nt.tensor(a))) == repr(torch.nn.Parameter(torch.tensor(a)))

    class MyTensor(nt.Tensor):
        pass
    t = MyTensor.__new__(MyTensor)
    t._data, t._vc = np.array([1., 2.], np.float32), [0]
    assert repr(t) == "MyTensor([1., 2.])"


def test_format_of_zero_dim_tensors():
    for v in (2.5, 3, True):
        assert f"{nt.tensor(v):>8}" == f"{torch.tensor(v):>8}"
    assert f"{nt.tensor(1.23456):.2f}" == f"{torch.tensor(1.23456):.2f}"


def test_size_repr_and_behaviour():
    for dims in ([], [3], [2, 3], [0, 1, 4]):
        assert repr(nt.Size(dims)) == repr(torch.Size(dims)) and str(nt.Size(dims)) == str(torch.Size(dims))
    assert str(nt.zeros(2, 3).shape) == str(torch.zeros(2, 3).shape) == "torch.Size([2, 3])"
    s = nt.Size([2, 3])
    for expr in ("s[1:]", "s + (4,)", "(1,) + s", "s * 2", "2 * s"):
        got, expected = eval(expr, {"s": s}), eval(expr, {"s": torch.Size([2, 3])})
        assert type(got) is nt.Size and repr(got) == repr(expected), expr
    assert s == (2, 3) and s.numel() == 6 and nt.Size([]).numel() == 1 and isinstance(s[0], int)
    assert nt.Size([np.int64(3), nt.tensor(4)]) == (3, 4)
    with pytest.raises(TypeError, match="can only concatenate tuple"):
        s + [1]
    with pytest.raises(TypeError, match=r"torch.Size\(\) takes an iterable of 'int' \(item 0 is 'float'\)"):
        nt.Size([2.5])


def test_device_repr_and_equality():
    for args in (("cpu",), ("cpu", 0), ("cuda",), ("cuda:1",), ("cuda", 1), ("mps",), ("meta",)):
        d, t = nt.device(*args), torch.device(*args)
        assert repr(d) == repr(t) and str(d) == str(t) and d.type == t.type and d.index == t.index
    assert nt.device("cpu") == nt.device("cpu") and nt.device("cpu") != nt.device("cpu", 0)
    assert (nt.device("cpu") == "cpu") == (torch.device("cpu") == "cpu")
    assert nt.device(nt.device("cuda:2")) == nt.device("cuda", 2)
    assert len({nt.device("cpu"), nt.device("cpu")}) == 1
    assert nt.device(type="cpu", index=0) == nt.device("cpu:0")
    assert nt.zeros(1).device == nt.device("cpu") and repr(nt.zeros(1).device) == "device(type='cpu')"
    for fn in (lambda m: m.device("foo"), lambda m: m.device("cpu:x"), lambda m: m.device("cuda:0", 1),
               lambda m: m.device("cuda", -1), lambda m: m.device("CPU")):
        with pytest.raises(RuntimeError) as expected:
            fn(torch)
        with pytest.raises(RuntimeError) as got:
            fn(nt)
        assert str(got.value) == str(expected.value)


def test_cuda_stub():
    assert nt.cuda.is_available() is False and nt.cuda.device_count() == 0
    nt.cuda.manual_seed(1)
    nt.cuda.manual_seed_all(1)
    device = "cuda" if nt.cuda.is_available() else "cpu"
    assert repr(nt.zeros(2, device=device)) == "tensor([0., 0.])"
    assert not math.isnan(nt.get_default_device().index or 0)
