"""Convolutions (functional and modules), unfold / fold, against torch 2.13: values, first and second
derivatives, grad_fn names, default initialization, reprs, state_dict keys and errors."""
import math

import numpy as np
import pytest
import torch
from hypothesis import given

import numtorch
from tests.nn.layer_checks import compare_double_backward, compare_fn, module_pair, same_error
from tests.nn.util import assert_close, compare_forward_backward, np_of
from tests.optable import Row, check_row, fixed


def F(m):
    return m.nn.functional


rng = np.random.default_rng(0)


def arr(*shape):
    return rng.standard_normal(shape)


# -- functional forms --------------------------------------------------------------------------------

CONV2D_CASES = [
    dict(),
    dict(stride=2),
    dict(stride=(2, 1), padding=(1, 2)),
    dict(padding=1, dilation=2),
    dict(padding="same"),
    dict(padding="same", dilation=(2, 1)),
    dict(padding="valid", stride=(1, 3)),
    dict(groups=2, padding=1),
    dict(groups=4, stride=2, dilation=(1, 2)),
]


@pytest.mark.parametrize("kw", CONV2D_CASES, ids=str)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_conv2d_matches_torch(kw, dtype):
    groups = kw.get("groups", 1)
    x, w, b = arr(2, 4, 7, 8), arr(4, 4 // groups, 3, 2), arr(4)
    compare_fn(lambda m, x, w, b: F(m).conv2d(x, w, b, **kw), x, w, b, dtype=dtype, scale=3)
    compare_fn(lambda m, x, w: F(m).conv2d(x, w, **kw), x, w, dtype=dtype, scale=3)


@pytest.mark.parametrize("kw", [dict(), dict(stride=2, padding=1), dict(padding="same", dilation=2), dict(groups=3),
                                dict(padding="same")], ids=str)
def test_conv1d_and_conv3d_match_torch(kw):
    compare_fn(lambda m, x, w, b: F(m).conv1d(x, w, b, **kw), arr(2, 3, 9), arr(6, 3 // kw.get("groups", 1), 3), arr(6))
    compare_fn(lambda m, x, w, b: F(m).conv3d(x, w, b, **kw), arr(1, 3, 4, 5, 4),
               arr(3, 3 // kw.get("groups", 1), 2, 3, 2), arr(3))


def test_conv_unbatched_and_empty():
    compare_fn(lambda m, x, w: F(m).conv2d(x, w, padding=1), arr(3, 5, 5), arr(2, 3, 3, 3))   # SqueezeBackward1
    compare_fn(lambda m, x, w: F(m).conv1d(x, w), arr(3, 5), arr(2, 3, 3))
    compare_fn(lambda m, x, w: F(m).conv2d(x, w), arr(0, 3, 5, 5), arr(2, 3, 3, 3))
    compare_fn(lambda m, x, w: F(m).conv2d(x, w), np.ones((1, 2, 3, 3), np.int64), np.ones((1, 2, 2, 2), np.int64),
               int_inputs=(0, 1), grad=False)


CONVT_CASES = [
    dict(),
    dict(stride=2),
    dict(stride=2, output_padding=1),
    dict(stride=(2, 3), padding=(1, 0), output_padding=(1, 2)),
    dict(dilation=2, padding=1),
    dict(groups=2, stride=2, padding=1, output_padding=1, dilation=2),
]


@pytest.mark.parametrize("kw", CONVT_CASES, ids=str)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_conv_transpose2d_matches_torch(kw, dtype):
    g = kw.get("groups", 1)
    compare_fn(lambda m, x, w, b: F(m).conv_transpose2d(x, w, b, **kw), arr(2, 4, 4, 5), arr(4, 6 // g, 3, 3), arr(6),
               dtype=dtype, scale=3)


def test_conv_transpose1d_and_3d_match_torch():
    compare_fn(lambda m, x, w, b: F(m).conv_transpose1d(x, w, b, stride=3, padding=1, output_padding=2),
               arr(2, 3, 5), arr(3, 2, 4), arr(2))
    compare_fn(lambda m, x, w: F(m).conv_transpose3d(x, w, stride=2), arr(1, 2, 3, 2, 3), arr(2, 2, 2, 2, 2))
    compare_fn(lambda m, x, w: F(m).conv_transpose2d(x, w), arr(3, 4, 4), arr(3, 2, 2, 2))   # unbatched


# Second derivatives: conv is bilinear in (input, weight), so grad-of-grad exercises every kernel.
ROWS = [
    Row("conv1d", lambda m, x, w, b: F(m).conv1d(x, w, b, stride=2, padding=1), fixed(((2, 2, 5), (3, 2, 2), (3,)))),
    Row("conv2d", lambda m, x, w, b: F(m).conv2d(x, w, b, padding=(1, 0), dilation=(1, 2)),
        fixed(((1, 2, 4, 5), (2, 2, 2, 2), (2,)))),
    Row("conv2d_groups", lambda m, x, w: F(m).conv2d(x, w, stride=2, groups=2), fixed(((2, 4, 4, 3), (2, 2, 2, 1)))),
    Row("conv2d_same", lambda m, x, w: F(m).conv2d(x, w, padding="same"), fixed(((1, 1, 3, 4), (2, 1, 2, 3)))),
    Row("conv_transpose2d", lambda m, x, w, b: F(m).conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1),
        fixed(((1, 2, 3, 2), (2, 2, 2, 2), (2,)))),
    Row("conv_transpose1d_groups", lambda m, x, w: F(m).conv_transpose1d(x, w, groups=2, dilation=2),
        fixed(((2, 2, 3), (2, 1, 2)))),
]


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r.name)
def test_conv_rows(row):
    @given(row.shapes)
    def check(shape_tuple):
        check_row(row, shape_tuple)
    check()


def test_conv_grad_fn_names_of_higher_derivatives():
    x = numtorch.tensor(arr(1, 2, 4, 4), requires_grad=True)
    w = numtorch.tensor(arr(3, 2, 2, 2), requires_grad=True)
    y = F(numtorch).conv2d(x, w)
    gx, gw = numtorch.autograd.grad(y.sum(), (x, w), create_graph=True)
    assert y.grad_fn.name() == "ConvolutionBackward0"
    assert gx.grad_fn.name() == gw.grad_fn.name() == "ConvolutionBackwardBackward0"


def test_unfold_fold_match_torch():
    kw = dict(kernel_size=(2, 3), dilation=(1, 2), padding=1, stride=(2, 1))
    compare_fn(lambda m, x: F(m).unfold(x, **kw), arr(2, 3, 5, 6))
    compare_fn(lambda m, x: F(m).unfold(x, 2), arr(3, 4, 4))
    cols = np_of(F(torch).unfold(torch.tensor(arr(2, 3, 5, 6)), **kw))
    compare_fn(lambda m, c: F(m).fold(c, (5, 6), **kw), cols)
    compare_fn(lambda m, c: F(m).fold(c, 4, 2, stride=2), arr(12, 4))
    compare_double_backward(lambda m, x: F(m).unfold(x, **kw), arr(1, 2, 5, 6))
    compare_double_backward(lambda m, c: F(m).fold(c, (5, 6), **kw), cols[:1])


def test_unfold_fold_errors():
    same_error(lambda m, x: F(m).unfold(x, 2), arr(3, 4), exc=IndexError)
    same_error(lambda m, x: F(m).unfold(x, 2), arr(1, 1, 3, 4, 4))
    same_error(lambda m, x: F(m).unfold(x, 5), arr(1, 1, 3, 3))
    same_error(lambda m, c: F(m).fold(c, 4, 2), arr(1, 5, 9))
    same_error(lambda m, c: F(m).fold(c, 4, 2), arr(1, 4, 8))


# -- errors ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("call, shapes", [
    (lambda m, x, w: F(m).conv2d(x, w), ((5, 5), (2, 1, 3, 3))),
    (lambda m, x, w: F(m).conv2d(x, w), ((1, 3, 5, 5), (2, 2, 3, 3))),
    (lambda m, x, w: F(m).conv2d(x, w, groups=2), ((1, 3, 5, 5), (2, 3, 3, 3))),
    (lambda m, x, w: F(m).conv2d(x, w, groups=2), ((1, 4, 5, 5), (3, 2, 3, 3))),
    (lambda m, x, w: F(m).conv2d(x, w), ((1, 1, 2, 2), (2, 1, 3, 3))),
    (lambda m, x, w: F(m).conv2d(x, w, stride=2, padding="same"), ((1, 1, 5, 5), (1, 1, 3, 3))),
    (lambda m, x, w: F(m).conv2d(x, w, padding="full"), ((1, 1, 5, 5), (1, 1, 3, 3))),
    (lambda m, x, w: F(m).conv2d(x, w, stride=0), ((1, 1, 5, 5), (1, 1, 3, 3))),
    (lambda m, x, w: F(m).conv2d(x, w, padding=-1), ((1, 1, 5, 5), (1, 1, 3, 3))),
    (lambda m, x, w: F(m).conv2d(x, w, groups=0), ((1, 1, 5, 5), (1, 1, 3, 3))),
    (lambda m, x, w: F(m).conv2d(x, w, stride=(1, 2, 3)), ((1, 1, 5, 5), (1, 1, 3, 3))),
    (lambda m, x, w: F(m).conv1d(x, w), ((1, 1, 5, 5), (1, 1, 3))),
    (lambda m, x, w, b: F(m).conv2d(x, w, b), ((1, 1, 5, 5), (2, 1, 3, 3), (3,))),
    (lambda m, x, w: F(m).conv_transpose2d(x, w, stride=2, output_padding=2), ((1, 2, 3, 3), (2, 1, 3, 3))),
    (lambda m, x, w: F(m).conv_transpose2d(x, w), ((1, 3, 3, 3), (2, 1, 3, 3))),
    (lambda m, x, w: F(m).conv_transpose2d(x, w, padding=4), ((1, 2, 3, 3), (2, 1, 3, 3))),
])
def test_conv_errors_match_torch(call, shapes):
    same_error(call, *[arr(*s) for s in shapes])


def test_conv_dtype_and_argument_errors():
    x, w = arr(1, 1, 4, 4), arr(1, 1, 2, 2)
    for lib in (torch, numtorch):
        with pytest.raises(RuntimeError, match="should be the same|expected scalar type Float but found Double"):
            F(lib).conv2d(lib.tensor(x, dtype=lib.float32), lib.tensor(w))
        with pytest.raises(RuntimeError, match=r"Input type \(float\) and bias type \(double\) should be the same"):
            F(lib).conv2d(lib.tensor(x, dtype=lib.float32), lib.tensor(w, dtype=lib.float32), lib.ones(1).double())
        with pytest.raises(TypeError):
            F(lib).conv_transpose2d(lib.tensor(x), lib.tensor(w), padding="same")
        with pytest.raises(RuntimeError, match="dilation"):   # torch's message depends on its dispatch path
            F(lib).conv2d(lib.tensor(x), lib.tensor(w), dilation=0)


# -- modules -----------------------------------------------------------------------------------------

MODULES = [
    lambda nn: nn.Conv2d(3, 4, 3),
    lambda nn: nn.Conv2d(4, 6, (3, 2), stride=2, padding=1, dilation=(2, 1), groups=2, bias=False),
    lambda nn: nn.Conv2d(3, 2, 3, padding="same", padding_mode="reflect"),
    lambda nn: nn.Conv2d(3, 2, (2, 3), padding=(1, 2), padding_mode="replicate"),
    lambda nn: nn.Conv2d(3, 2, 3, padding=1, padding_mode="circular", stride=2),
    lambda nn: nn.Conv2d(3, 2, 4, padding="same", dilation=1),
    lambda nn: nn.Conv2d(3, 3, 1, padding="valid", groups=3),
    lambda nn: nn.ConvTranspose2d(3, 4, 3, stride=2, padding=1, output_padding=1),
    lambda nn: nn.ConvTranspose2d(4, 2, (2, 3), groups=2, dilation=2, bias=False),
]


@pytest.mark.parametrize("build", MODULES)
def test_conv2d_modules_match_torch(build):
    tm, nm = module_pair(build)
    cin = tm.in_channels
    compare_forward_backward(tm, nm, arr(2, cin, 7, 6), scale=3)


@pytest.mark.parametrize("build", [lambda nn: nn.Conv1d(2, 4, 3, stride=2, padding=1),
                                   lambda nn: nn.Conv1d(2, 2, 3, padding="same", padding_mode="circular"),
                                   lambda nn: nn.ConvTranspose1d(2, 3, 3, stride=2),
                                   lambda nn: nn.Conv3d(2, 2, 2, padding=1),
                                   lambda nn: nn.ConvTranspose3d(2, 1, 2)])
def test_conv_1d_3d_modules_match_torch(build):
    tm, nm = module_pair(build)
    shape = (2, 2, 7) if "1d" in type(tm).__name__ else (1, 2, 3, 4, 3)
    compare_forward_backward(tm, nm, arr(*shape), scale=3)


def test_conv_transpose_output_size():
    tm, nm = module_pair(lambda nn: nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1))
    x = arr(1, 2, 4, 4)
    for size in ([8, 8], [7, 8], (1, 3, 8, 7)):
        t_out = tm(torch.tensor(x, dtype=torch.float32), output_size=size)
        n_out = nm(numtorch.tensor(x, dtype=numtorch.float32), output_size=size)
        assert_close(n_out, t_out)
    for lib, m in ((torch, tm), (numtorch, nm)):
        with pytest.raises(ValueError, match="requested an output size of"):
            m(lib.tensor(x, dtype=lib.float32), output_size=[10, 10])


def test_conv_default_initialization_follows_torch_formula():
    m = numtorch.nn.Conv2d(8, 16, 3)
    fan_in = 8 * 9
    bound = 1 / math.sqrt(fan_in)
    w, b = np_of(m.weight), np_of(m.bias)
    assert w.shape == (16, 8, 3, 3) and b.shape == (16,)
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.1 * bound
    t = numtorch.nn.ConvTranspose2d(4, 6, 3, groups=2)
    assert t.weight.shape == (4, 3, 3, 3)
    assert np.abs(np_of(t.weight)).max() <= 1 / math.sqrt(3 * 9)
    d = numtorch.nn.Conv1d(2, 2, 3, dtype=numtorch.float64)
    assert d.weight.dtype == numtorch.float64


def test_conv_module_reprs_and_state_dict_keys():
    for build in MODULES + [lambda nn: nn.Conv1d(3, 4, 3, padding="same"),
                            lambda nn: nn.ConvTranspose1d(3, 4, 3, output_padding=1, stride=2)]:
        tm, nm = build(torch.nn), build(numtorch.nn)
        assert repr(nm) == repr(tm)
        assert list(nm.state_dict()) == list(tm.state_dict())
        assert nm._reversed_padding_repeated_twice == list(tm._reversed_padding_repeated_twice)


@pytest.mark.parametrize("kw, exc", [
    (dict(groups=0), ValueError), (dict(groups=2), ValueError), (dict(padding="foo"), ValueError),
    (dict(padding="same", stride=2), ValueError), (dict(padding_mode="wrap"), ValueError)])
def test_conv_module_errors(kw, exc):
    for nn in (torch.nn, numtorch.nn):
        with pytest.raises(exc):
            nn.Conv2d(3, 4, 3, **kw)
    for nn in (torch.nn, numtorch.nn):
        with pytest.raises(ValueError, match='Only "zeros" padding mode is supported for ConvTranspose2d'):
            nn.ConvTranspose2d(3, 4, 3, padding_mode="reflect")


def test_large_batches_are_processed_in_chunks(monkeypatch):
    """Window matrices above the memory budget are built a few samples at a time: same numbers."""
    from numtorch.nn import _conv
    monkeypatch.setattr(_conv, "WINDOW_BYTES", 3000)
    compare_fn(lambda m, x, w, b: F(m).conv2d(x, w, b, padding=1, stride=(1, 2)), arr(5, 3, 6, 6), arr(4, 3, 3, 3),
               arr(4))
    compare_fn(lambda m, x, w: F(m).conv_transpose2d(x, w, stride=2), arr(5, 3, 4, 4), arr(3, 2, 3, 3))
    compare_double_backward(lambda m, x, w: F(m).conv2d(x, w, groups=3), arr(4, 3, 5, 5), arr(3, 1, 2, 2))
