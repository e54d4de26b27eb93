"""The dtype surface against torch 2.13: names, properties, limits, default dtype and promotion."""
import itertools

import numpy as np
import pytest
import torch

import numtorch as nt

NAMES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]
ALIASES = ["half", "float", "double", "short", "int", "long", "bfloat16", "complex64", "complex128", "cfloat",
           "cdouble"]


@pytest.mark.parametrize("name", NAMES + ALIASES)
def test_dtype_properties(name):
    d, t = getattr(nt, name), getattr(torch, name)
    assert repr(d) == repr(t) and str(d) == str(t)
    assert d.is_floating_point == t.is_floating_point
    assert d.is_complex == t.is_complex
    assert d.is_signed == t.is_signed
    assert d.itemsize == t.itemsize
    assert repr(d.to_real()) == repr(t.to_real())
    try:
        expected = repr(t.to_complex())
    except RuntimeError as e:
        with pytest.raises(RuntimeError, match=str(e)):
            d.to_complex()
    else:
        assert repr(d.to_complex()) == expected


def test_aliases_are_the_same_objects():
    assert nt.float is nt.float32 and nt.double is nt.float64 and nt.half is nt.float16
    assert nt.long is nt.int64 and nt.int is nt.int32 and nt.short is nt.int16
    assert nt.float32 == nt.float and nt.float32 != nt.float64
    assert len({nt.float32, nt.float, nt.float64}) == 2


@pytest.mark.parametrize("name", ["float16", "float32", "float64", "bfloat16"])
def test_finfo(name):
    f, t = nt.finfo(getattr(nt, name)), torch.finfo(getattr(torch, name))
    for attr in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype"):
        assert getattr(f, attr) == getattr(t, attr), attr
        assert type(getattr(f, attr)) is type(getattr(t, attr)), attr
    assert repr(f) == repr(t)


@pytest.mark.parametrize("name", ["uint8", "int8", "int16", "int32", "int64"])
def test_iinfo(name):
    i, t = nt.iinfo(getattr(nt, name)), torch.iinfo(getattr(torch, name))
    for attr in ("bits", "max", "min", "dtype"):
        assert getattr(i, attr) == getattr(t, attr) and type(getattr(i, attr)) is type(getattr(t, attr))
    assert repr(i) == repr(t)


def test_info_defaults_and_errors():
    assert repr(nt.finfo()) == repr(torch.finfo())
    assert nt.finfo(float).eps == torch.finfo(float).eps
    for fn in (lambda m: m.iinfo(m.float32), lambda m: m.finfo(m.int32), lambda m: m.iinfo(m.bool)):
        with pytest.raises(TypeError) as expected:
            fn(torch)
        with pytest.raises(TypeError, match=str(expected.value).replace("(", r"\(").replace(")", r"\)")):
            fn(nt)


@pytest.fixture
def restore_default_dtype():
    yield
    nt.set_default_dtype(nt.float32)
    torch.set_default_dtype(torch.float32)


@pytest.mark.parametrize("name", ["float64", "float16", "float32"])
def test_default_dtype(name, restore_default_dtype):
    nt.set_default_dtype(getattr(nt, name))
    torch.set_default_dtype(getattr(torch, name))
    assert repr(nt.get_default_dtype()) == repr(torch.get_default_dtype())
    for fn in (lambda m: m.tensor([1.5, 2]), lambda m: m.zeros(2), lambda m: m.arange(3.), lambda m: m.full((1,), 2.),
               lambda m: m.tensor([1, 2]), lambda m: m.linspace(0, 1, 3), lambda m: m.tensor([]),
               lambda m: m.tensor([1.], dtype=m.float32), lambda m: m.rand(2)):
        assert repr(fn(nt).dtype) == repr(fn(torch).dtype)
        assert repr(fn(nt).dtype) == repr(fn(torch).dtype)
    assert repr(nt.result_type(nt.tensor([1]), 1.5)) == repr(torch.result_type(torch.tensor([1]), 1.5))


def test_set_default_dtype_errors(restore_default_dtype):
    for bad in ("int32", "int64", "bool"):
        with pytest.raises(TypeError, match="^only floating-point types are supported as the default type$"):
            nt.set_default_dtype(getattr(nt, bad))
    with pytest.raises(TypeError, match="invalid dtype object"):
        nt.set_default_dtype(float)
    with pytest.warns(UserWarning, match="deprecated"):
        nt.set_default_tensor_type("torch.DoubleTensor")
    assert nt.get_default_dtype() is nt.float64


PAIRS = list(itertools.product(NAMES, NAMES))


def test_promote_types_and_can_cast_all_pairs():
    for a, b in PAIRS:
        da, db, ta, tb = getattr(nt, a), getattr(nt, b), getattr(torch, a), getattr(torch, b)
        assert repr(nt.promote_types(da, db)) == repr(torch.promote_types(ta, tb)), (a, b)
        assert nt.can_cast(da, db) == torch.can_cast(ta, tb), (a, b)
    for py in (float, int, bool):
        for a in NAMES:
            assert repr(nt.promote_types(getattr(nt, a), py)) == repr(torch.promote_types(getattr(torch, a), py))
            assert nt.can_cast(getattr(nt, a), py) == torch.can_cast(getattr(torch, a), py)


def _make(m, name, zero_dim):
    return m.ones((), dtype=getattr(m, name)) if zero_dim else m.ones(2, dtype=getattr(m, name))


def test_result_type_tensor_pairs():
    for (a, b), za, zb in itertools.product(PAIRS, (False, True), (False, True)):
        got = nt.result_type(_make(nt, a, za), _make(nt, b, zb))
        expected = torch.result_type(_make(torch, a, za), _make(torch, b, zb))
        assert repr(got) == repr(expected), (a, za, b, zb)


SCALARS = [True, 1, -1, 1000, 1.5, np.float64(2.5), np.float32(2.5), np.int64(3), np.int32(3), np.bool_(True)]


@pytest.mark.parametrize("scalar", SCALARS, ids=repr)
def test_result_type_with_scalars(scalar):
    for name, zero_dim in itertools.product(NAMES, (False, True)):
        got = nt.result_type(_make(nt, name, zero_dim), scalar)
        expected = torch.result_type(_make(torch, name, zero_dim), scalar)
        assert repr(got) == repr(expected), (name, zero_dim)
        got = nt.result_type(scalar, _make(nt, name, zero_dim))
        expected = torch.result_type(scalar, _make(torch, name, zero_dim))
        assert repr(got) == repr(expected), (name, zero_dim)
    for other in (True, 2, 2.5):
        assert repr(nt.result_type(scalar, other)) == repr(torch.result_type(scalar, other))


def test_complex_is_a_clear_error():
    with pytest.raises(NotImplementedError, match="complex"):
        nt.result_type(nt.ones(2), 1 + 2j)
    with pytest.raises(NotImplementedError, match="complex"):
        nt.ones(2, dtype=nt.promote_types(nt.float32, nt.complex64))
