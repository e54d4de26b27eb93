"""Dtype conversion, clone/contiguous and copy_/zero_/fill_ against torch."""
import numpy as np
import pytest
import torch

import numtorch
from tests.optable import Row, fixed, row_tests, shapes


def nl(f):
    """f followed by sin, so grad-of-grad runs f's rule on recorded Tensors."""
    return lambda m, *xs: f(m, *xs).sin()


def copy_into(m, x, s):
    y = x * 1
    y.copy_(s)
    return y * x


def copy_cast(m, x, s):
    y = (x * 1).double()
    y.copy_(s.float())
    return y * x


def copy_into_view(m, x, s):
    y = x * 1
    y[:, 1].copy_(s)
    return y * x


def fill_tensor(m, x, v):
    y = x * 1
    y[0].fill_(v)
    return y * v


def zero_view(m, x):
    y = x * 1
    y[..., 0].zero_()
    return y * x


def fill_number(m, x):
    y = x.clone()
    y.t()[0].fill_(2.0)
    return y * x


ROWS = [
    Row("double", nl(lambda m, x: x.double()), shapes(1)),
    Row("float", nl(lambda m, x: x.float()), shapes(1), gradcheck=False, tol_scale=1e4),
    Row("half_roundtrip", nl(lambda m, x: x.half().to(x.dtype) * x), shapes(1), tol_scale=100.0, gradcheck=False),
    Row("to_dtype", nl(lambda m, x: x.to(m.float64) * x.to(dtype=m.float32)), shapes(1), gradcheck=False,
        tol_scale=1e4),
    Row("to_device_dtype", nl(lambda m, x: x.to("cpu", m.float64)), shapes(1)),
    Row("to_other", nl(lambda m, x, y: x.to(y.double()) * y), shapes(2)),
    Row("type_as", nl(lambda m, x, y: x.type_as(y.float()) * y.float()), shapes(2), gradcheck=False, tol_scale=1e4),
    Row("type_str", nl(lambda m, x: x.type("torch.DoubleTensor")), shapes(1)),
    Row("type_dtype", nl(lambda m, x: x.type(m.float32)), shapes(1), gradcheck=False, tol_scale=1e4),
    Row("clone", nl(lambda m, x: m.clone(x) * x.clone()), shapes(1)),
    Row("contiguous", nl(lambda m, x: x.transpose(0, -1).contiguous()), shapes(1)),
    Row("copy_", copy_into, fixed(((3, 4), (4,)), ((3, 4), (1, 4)), ((2,), ()), ((3, 4), (3, 4)), ((0, 2), (2,)))),
    Row("copy_cast", copy_cast, fixed(((3, 4), (4,)), ((2,), (2,))), gradcheck=False, tol_scale=1e4),
    Row("copy_into_view", copy_into_view, fixed(((3, 4), (3,)), ((2, 2), ()))),
    Row("fill_tensor", fill_tensor, fixed(((3, 4), ()), ((2,), ()))),
    Row("zero_view", zero_view, shapes(1, min_dims=1, min_side=1)),
    Row("fill_number_view", fill_number, shapes(1, min_dims=2, max_dims=2, min_side=1)),
]


test_row = row_tests(ROWS)


VALUES = np.array([[-2.7, -0.5, 0.0], [0.4, 1.5, 300.2]])
CASTS = ["float", "double", "half", "long", "int", "short", "char", "byte", "bool"]


@pytest.mark.parametrize("method", CASTS)
def test_cast_methods_match_torch(method):
    ours = getattr(numtorch.tensor(VALUES[:, :2]), method)()
    theirs = getattr(torch.tensor(VALUES[:, :2]), method)()
    assert str(ours.dtype) == str(theirs.dtype)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_cast_to_int_leaves_the_graph():
    for m in (numtorch, torch):
        x = m.tensor(VALUES, requires_grad=True)
        for dt in (m.int64, m.int32, m.bool, m.uint8):
            y = x.to(dt)
            assert not y.requires_grad and y.grad_fn is None
        assert x.float().grad_fn.name() == "ToCopyBackward0"
        assert x.double() is x


def test_to_forms():
    x = numtorch.tensor([1.0, 2.0])
    assert x.to("cpu") is x and x.to(numtorch.float32) is x and x.to(x) is x
    assert x.to(numtorch.device("cpu"), dtype=numtorch.float64).dtype is numtorch.float64
    assert x.to(dtype=numtorch.int64).dtype is numtorch.int64
    assert x.to(numtorch.tensor([1], dtype=numtorch.int32)).dtype is numtorch.int32
    y = x.to(numtorch.float32, copy=True)
    assert y is not x and not np.shares_memory(y._data, x._data)
    assert x.to(float).dtype is numtorch.float64
    assert x.to("cpu", numtorch.float16, False, True).dtype is numtorch.float16
    with pytest.raises(NotImplementedError):
        x.to("cuda")


def test_type_names():
    for m in (numtorch, torch):
        x = m.tensor([1.5, -2.0])
        assert x.type() == "torch.FloatTensor"
        assert x.type("torch.IntTensor").type() == "torch.IntTensor"
        assert x.type(m.float64).type() == "torch.DoubleTensor"
        assert x.long().type() == "torch.LongTensor" and x.bool().type() == "torch.BoolTensor"
        assert x.type("torch.IntTensor").tolist() == [1, -2]


def test_clone_preserves_layout_and_contiguous():
    x = numtorch.tensor(np.arange(6.0).reshape(2, 3)).t()
    t = torch.tensor(np.arange(6.0).reshape(2, 3)).t()
    assert x.clone().stride() == t.clone().stride()
    assert x.clone(memory_format=numtorch.contiguous_format).stride() == \
        t.clone(memory_format=torch.contiguous_format).stride()
    assert x.contiguous().is_contiguous() and x.contiguous().stride() == t.contiguous().stride()
    c = numtorch.zeros(2, 3)
    assert c.contiguous() is c
    with pytest.raises(NotImplementedError):
        c.clone(memory_format=numtorch.channels_last)


def test_inplace_writes_bump_version():
    for m in (numtorch, torch):
        x = m.zeros(2, 3)
        x.copy_(m.ones(3))
        x.fill_(2.0)
        x.zero_()
        x.fill_(m.tensor(3.0))
        x.copy_(m.tensor(4, dtype=m.int64))
        assert x._version == 5
        assert x.tolist() == [[4.0] * 3] * 2


def test_copy_casts_and_broadcasts():
    for m in (numtorch, torch):
        x = m.zeros(2, 3, dtype=m.int32)
        x.copy_(m.tensor([1.7, -2.2, 3.9]))
        assert x.tolist() == [[1, -2, 3]] * 2
        x.copy_(5)
        assert x.tolist() == [[5] * 3] * 2


ERRORS = [
    "m.zeros(3).copy_(m.ones(4))", "m.zeros(3).copy_(m.ones(1, 3))", "m.zeros(3).fill_(m.ones(2))",
    "m.zeros(3, requires_grad=True).copy_(m.ones(3))", "m.zeros(3, requires_grad=True).zero_()",
    "m.zeros(3, requires_grad=True).fill_(1.0)", "m.zeros(3, requires_grad=True)[0].fill_(1.0)",
    "m.zeros(3).type('torch.NoSuchTensor')",
]


@pytest.mark.parametrize("expr", ERRORS)
def test_errors_match_torch(expr):
    caught = []
    for m in (torch, numtorch):
        with pytest.raises(Exception) as info:
            eval(expr)
        caught.append(info.value)
    theirs, ours = caught
    assert type(ours) is type(theirs), (expr, ours, theirs)
    assert str(ours) == str(theirs), (expr, str(ours), str(theirs))


def test_grad_fn_names():
    for m in (numtorch, torch):
        x = m.ones(3, requires_grad=True) * 1
        assert x.clone().copy_(m.ones(3)).grad_fn.name() == "torch::autograd::CopyBackwards"
        assert x.clone().zero_().grad_fn.name() == "ZeroBackward0"
        assert x.clone().fill_(1.0).grad_fn.name() == "FillBackward2"
        assert x.clone().fill_(m.tensor(1.0, requires_grad=True)).grad_fn.name() == "FillBackward3"
        assert x.half().grad_fn.name() == "ToCopyBackward0"
        y = x.clone()
        y[1:].fill_(0.0)
        assert y.grad_fn.name().endswith("CopySlices")


def test_writes_under_no_grad_into_leaf():
    for m in (numtorch, torch):
        w = m.zeros(2, 2, requires_grad=True)
        with m.no_grad():
            w.copy_(m.ones(2, 2))
            w[0].fill_(3.0)
            w[1, 1] = 5.0
        assert w.is_leaf and w.requires_grad and w.tolist() == [[3.0, 3.0], [1.0, 5.0]]
