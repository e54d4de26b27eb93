"""Pooling (max, average, power-average, adaptive; functional and modules) against torch 2.13: values,
indices, first and second derivatives, grad_fn names, reprs and errors."""
import numpy as np
import pytest
import torch

import numtorch
from tests.nn.layer_checks import compare_double_backward, compare_fn, module_pair, same_error
from tests.nn.util import assert_close, compare_forward_backward, np_of


def F(m):
    return m.nn.functional


rng = np.random.default_rng(0)


def arr(*shape):
    return rng.standard_normal(shape)


def ties(*shape):
    """Values with many exact ties (and zeros, as after a ReLU), where argmax conventions show."""
    return np.maximum(np.round(rng.standard_normal(shape) * 2) / 2, 0)


MAX2D = [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=(2, 3), stride=1, dilation=(2, 1)),
    dict(kernel_size=3, stride=2, ceil_mode=True),
    dict(kernel_size=(3, 2), stride=(2, 1), padding=(1, 1), ceil_mode=True),
    dict(kernel_size=2, stride=[]),
]


@pytest.mark.parametrize("kw", MAX2D, ids=str)
@pytest.mark.parametrize("make", [arr, ties], ids=["random", "ties"])
def test_max_pool2d_matches_torch(kw, make):
    x = make(2, 3, 7, 8)
    compare_fn(lambda m, x: F(m).max_pool2d(x, **kw), x)
    compare_fn(lambda m, x: F(m).max_pool2d(x, return_indices=True, **kw), x, dtype=np.float32)   # indices too
    compare_double_backward(lambda m, x: F(m).max_pool2d(x, **kw), x)


def test_max_pool_nan_and_unbatched_and_3d():
    x = arr(1, 2, 5, 5)
    x[0, 0, 0, 0] = x[0, 0, 1, 1] = np.nan      # two NaNs in one window: torch picks the last
    x[0, 1, 2, 2] = np.inf
    compare_fn(lambda m, x: F(m).max_pool2d(x, 2, return_indices=True), x)
    compare_fn(lambda m, x: F(m).max_pool2d(x, 3, 1, 1), x)
    compare_fn(lambda m, x: F(m).max_pool2d(x, 2, return_indices=True), arr(3, 6, 5))
    compare_fn(lambda m, x: F(m).max_pool3d(x, 2, return_indices=True), arr(1, 2, 4, 5, 4))
    compare_fn(lambda m, x: F(m).max_pool2d(x, 2), np.arange(32).reshape(1, 2, 4, 4), int_inputs=(0,), grad=False)


@pytest.mark.parametrize("kw", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
                                dict(kernel_size=2, dilation=2), dict(kernel_size=4, stride=1)], ids=str)
def test_max_pool1d_matches_torch(kw):
    compare_fn(lambda m, x: F(m).max_pool1d(x, **kw), arr(2, 3, 9))
    compare_fn(lambda m, x: F(m).max_pool1d(x, return_indices=True, **kw), ties(3, 9))


AVG2D = [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=3, stride=2, padding=1, count_include_pad=False),
    dict(kernel_size=(2, 3), stride=(2, 1), ceil_mode=True),
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
    dict(kernel_size=2, divisor_override=3),
]


@pytest.mark.parametrize("kw", AVG2D, ids=str)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_avg_pool2d_matches_torch(kw, dtype):
    compare_fn(lambda m, x: F(m).avg_pool2d(x, **kw), arr(2, 3, 7, 8), dtype=dtype)
    compare_double_backward(lambda m, x: F(m).avg_pool2d(x, **kw), arr(1, 2, 5, 6), dtype=dtype)


def test_avg_pool_1d_3d_unbatched():
    compare_fn(lambda m, x: F(m).avg_pool1d(x, 3, 2, 1, True, False), arr(2, 3, 8))
    compare_fn(lambda m, x: F(m).avg_pool1d(x, 2), arr(3, 8))
    compare_fn(lambda m, x: F(m).avg_pool2d(x, 2, padding=1), arr(3, 5, 5))
    compare_fn(lambda m, x: F(m).avg_pool3d(x, 2, stride=1, padding=1, ceil_mode=True), arr(1, 2, 3, 4, 3))


def test_lp_pool_matches_torch():
    x = np.abs(arr(2, 3, 6, 7)) + 0.1
    compare_fn(lambda m, x: F(m).lp_pool2d(x, 2, 2), x)
    compare_fn(lambda m, x: F(m).lp_pool2d(x, 3, (2, 3), stride=1, ceil_mode=True), x)
    compare_fn(lambda m, x: F(m).lp_pool2d(x, float("inf"), 2), x)
    compare_fn(lambda m, x: F(m).lp_pool1d(x, 1.5, 3, stride=2), x[0])


@pytest.mark.parametrize("size", [(3, 2), 4, (1, 1), (5, 7), (None, 3), (8, 9)], ids=str)
def test_adaptive_pool2d_matches_torch(size):
    x = arr(2, 3, 5, 7)
    compare_fn(lambda m, x: F(m).adaptive_avg_pool2d(x, size), x)
    compare_fn(lambda m, x: F(m).adaptive_max_pool2d(x, size, return_indices=True), x)
    compare_fn(lambda m, x: F(m).adaptive_max_pool2d(x, size), ties(2, 5, 7))
    compare_double_backward(lambda m, x: F(m).adaptive_avg_pool2d(x, size), x[:1])
    compare_double_backward(lambda m, x: F(m).adaptive_max_pool2d(x, size), x[:1])


def test_adaptive_pool_1d_3d():
    compare_fn(lambda m, x: F(m).adaptive_avg_pool1d(x, 4), arr(2, 3, 9))
    compare_fn(lambda m, x: F(m).adaptive_max_pool1d(x, 4, return_indices=True), arr(3, 9))
    compare_fn(lambda m, x: F(m).adaptive_avg_pool3d(x, (2, 3, 1)), arr(1, 2, 3, 5, 4))
    compare_fn(lambda m, x: F(m).adaptive_max_pool3d(x, 2), arr(1, 2, 3, 5, 4))


@pytest.mark.parametrize("call, shape, exc", [
    (lambda m, x: F(m).max_pool2d(x, 0), (1, 1, 4, 4), RuntimeError),
    (lambda m, x: F(m).max_pool2d(x, 2, 0), (1, 1, 4, 4), RuntimeError),
    (lambda m, x: F(m).max_pool2d(x, 3, padding=2), (1, 1, 4, 4), RuntimeError),
    (lambda m, x: F(m).max_pool2d(x, 3), (1, 2, 2, 2), RuntimeError),
    (lambda m, x: F(m).max_pool2d(x, 2), (4, 4), RuntimeError),
    (lambda m, x: F(m).max_pool2d(x, (2, 2, 2)), (1, 1, 4, 4), RuntimeError),
    (lambda m, x: F(m).max_pool1d(x, 2), (4,), RuntimeError),
    (lambda m, x: F(m).max_pool1d(x, 3, padding=2), (1, 4), RuntimeError),
    (lambda m, x: F(m).avg_pool2d(x, 3, padding=2), (1, 1, 4, 4), RuntimeError),
    (lambda m, x: F(m).avg_pool2d(x, 2, divisor_override=0), (1, 1, 4, 4), RuntimeError),
    (lambda m, x: F(m).avg_pool2d(x, 2), (1, 1, 1, 4), RuntimeError),
    (lambda m, x: F(m).avg_pool1d(x, 2), (1, 1, 4, 4), RuntimeError),
    (lambda m, x: F(m).adaptive_avg_pool2d(x, (2, 2, 2)), (1, 1, 4, 4), RuntimeError),
    (lambda m, x: F(m).adaptive_avg_pool2d(x, 2), (4, 4), RuntimeError),
    (lambda m, x: F(m).adaptive_max_pool2d(x, 2), (4, 4), RuntimeError),
    (lambda m, x: F(m).adaptive_avg_pool1d(x, 2), (1, 1, 4, 4), RuntimeError),
])
def test_pool_errors_match_torch(call, shape, exc):
    same_error(call, arr(*shape), exc=exc)


def test_adaptive_avg_pool_refuses_integers():
    for lib in (torch, numtorch):
        with pytest.raises(NotImplementedError, match="adaptive_avg_pool2d"):
            F(lib).adaptive_avg_pool2d(lib.ones(1, 1, 4, 4, dtype=lib.int64), 2)


MODULES = [
    lambda nn: nn.MaxPool2d(2),
    lambda nn: nn.MaxPool2d(3, stride=2, padding=1, dilation=1, ceil_mode=True),
    lambda nn: nn.AvgPool2d((2, 3), stride=1, padding=1, count_include_pad=False),
    lambda nn: nn.AvgPool2d(2, divisor_override=2),
    lambda nn: nn.LPPool2d(2, 2),
    lambda nn: nn.AdaptiveAvgPool2d((3, None)),
    lambda nn: nn.AdaptiveMaxPool2d(3),
    lambda nn: nn.Sequential(nn.MaxPool1d(2, stride=1)),
    lambda nn: nn.AvgPool1d(3, stride=2, padding=1),
    lambda nn: nn.AdaptiveAvgPool1d(2),
    lambda nn: nn.AdaptiveMaxPool1d(3),
    lambda nn: nn.LPPool1d(1, 2),
]


@pytest.mark.parametrize("build", MODULES)
def test_pool_modules_match_torch(build):
    tm, nm = module_pair(build)
    one_d = "1d" in repr(tm)
    x = np.abs(arr(2, 3, 8)) if one_d else np.abs(arr(2, 3, 6, 7))
    compare_forward_backward(tm, nm, x)


def test_pool_modules_return_indices():
    for build in (lambda nn: nn.MaxPool2d(2, return_indices=True),
                  lambda nn: nn.AdaptiveMaxPool2d((2, 3), return_indices=True),
                  lambda nn: nn.MaxPool1d(3, return_indices=True)):
        tm, nm = module_pair(build)
        x = arr(2, 3, 7) if "1d" in repr(tm) else arr(2, 3, 6, 7)
        (tv, ti), (nv, ni) = tm(torch.tensor(x)), nm(numtorch.tensor(x))
        assert_close(nv, tv, np.float64)
        assert np.array_equal(np_of(ni), np_of(ti)) and ni.dtype == numtorch.int64


def test_cnn_pipeline_matches_torch():
    """The benchmark's CNN: conv-relu-pool twice and a linear layer, one step of gradients."""
    def build(nn):
        return nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(4, 6, 3), nn.ReLU(),
                             nn.MaxPool2d(2), nn.Flatten(), nn.Linear(6 * 5 * 5, 10))
    tm, nm = module_pair(build)
    compare_forward_backward(tm, nm, rng.random((3, 1, 28, 28)), scale=5)


@pytest.mark.parametrize("nd, kw", [(2, dict(kernel_size=2)), (2, dict(kernel_size=3, stride=2, padding=1)),
                                    (1, dict(kernel_size=2)), (3, dict(kernel_size=2))], ids=str)
def test_max_unpool_matches_torch(nd, kw):
    shape = {1: (2, 3, 8), 2: (2, 3, 6, 7), 3: (1, 2, 4, 4, 4)}[nd]
    x = arr(*shape)
    _, idx = getattr(F(torch), f"max_pool{nd}d")(torch.tensor(x), return_indices=True, **kw)
    size = x.shape[-nd:]
    pooled = np_of(getattr(F(torch), f"max_pool{nd}d")(torch.tensor(x), **kw))

    def unpool(m, y, i):
        return getattr(F(m), f"max_unpool{nd}d")(y, i, output_size=size, **kw)
    compare_fn(unpool, pooled, np_of(idx), int_inputs=(1,))
    compare_double_backward(unpool, pooled, np_of(idx), int_inputs=(1,))
    tm, nm = module_pair(lambda nn: getattr(nn, f"MaxUnpool{nd}d")(**kw))
    assert_close(nm(numtorch.tensor(pooled), numtorch.tensor(np_of(idx)), output_size=size),
                 tm(torch.tensor(pooled), torch.tensor(np_of(idx)), output_size=size), np.float64)


def test_max_unpool_errors_match_torch():
    y, i = np.ones((1, 2, 2, 2)), np.array([0, 1, 4, 5] * 2).reshape(1, 2, 2, 2)
    same_error(lambda m, y, i: F(m).max_unpool2d(y, i.float(), 2), y, i, int_inputs=(1,))
    same_error(lambda m, y, i: F(m).max_unpool2d(y, i[:, :1], 2), y, i, int_inputs=(1,))
    same_error(lambda m, y, i: F(m).max_unpool2d(y, i * 10, 2), y, i, int_inputs=(1,))
    same_error(lambda m, y, i: F(m).max_unpool2d(y, i, 2, output_size=(9, 9)), y, i, int_inputs=(1,), exc=ValueError)
    same_error(lambda m, y, i: F(m).max_unpool2d(y[0, 0], i[0, 0], 2), y, i, int_inputs=(1,))


def test_lp_pool3d_matches_torch():
    compare_fn(lambda m, x: F(m).lp_pool3d(x, 2, 2), np.abs(arr(1, 2, 4, 4, 4)) + 0.1)


def test_max_pool_gradient_keeps_infinities_where_torch_does():
    x = arr(1, 1, 4, 4)
    g = np.ones((1, 1, 2, 2))
    g[0, 0, 0, 0] = np.inf
    grads = []
    for lib in (torch, numtorch):
        t = lib.tensor(x, requires_grad=True)
        F(lib).max_pool2d(t, 2).backward(lib.tensor(g))
        grads.append(np_of(t.grad))
    np.testing.assert_array_equal(grads[1], grads[0])   # zeros, not NaN, beside the infinite gradient
