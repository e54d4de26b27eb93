"""Padding, interpolation, pixel shuffle and one_hot (functional and modules) against torch 2.13: values,
first and second derivatives, grad_fn names, reprs and errors."""
import warnings

import numpy as np
import pytest
import torch

import numtorch
from tests.nn.layer_checks import compare_double_backward, compare_fn, module_pair, same_error
from tests.nn.util import compare_forward_backward, np_of


def F(m):
    return m.nn.functional


rng = np.random.default_rng(0)


def arr(*shape):
    return rng.standard_normal(shape)


PADS = [
    ((1, 2), "constant", (2, 3, 4)),
    ((1, 0, 2, 1), "constant", (2, 3, 4, 5)),
    ((-1, 2, 0, -2), "constant", (2, 3, 4, 5)),
    ((1, 1, 1, 1, 1, 1), "constant", (2, 3, 2)),
    ((2, 1), "reflect", (2, 3, 4)),
    ((2, 1), "reflect", (3, 4)),
    ((1, 2, 3, 0), "reflect", (2, 3, 4, 5)),
    ((1, 1, 2, 0, 0, 1), "reflect", (1, 2, 3, 4, 3)),
    ((3, 1), "replicate", (2, 3, 4)),
    ((2, 0, 1, 4), "replicate", (3, 4, 5)),
    ((-1, 2, 1, 1), "replicate", (2, 3, 4, 5)),
    ((1, 2), "circular", (2, 3, 4)),
    ((4, 1, 2, 3), "circular", (2, 3, 4, 5)),
    ((1, 1, 1, 0, 0, 2), "circular", (1, 2, 3, 4, 3)),
]


@pytest.mark.parametrize("pad, mode, shape", PADS, ids=str)
def test_pad_matches_torch(pad, mode, shape):
    compare_fn(lambda m, x: F(m).pad(x, pad, mode=mode), arr(*shape))
    compare_double_backward(lambda m, x: F(m).pad(x, pad, mode=mode), arr(*shape))


def test_pad_constant_value_and_dtypes():
    compare_fn(lambda m, x: F(m).pad(x, (1, 1), value=2.5), arr(2, 3), dtype=np.float32)
    compare_fn(lambda m, x: F(m).pad(x, (0, 1, 1, 0), value=7), np.arange(6).reshape(2, 3), int_inputs=(0,),
               grad=False)


@pytest.mark.parametrize("call, shape, exc", [
    (lambda m, x: F(m).pad(x, (1, 2, 3)), (2, 3), RuntimeError),
    (lambda m, x: F(m).pad(x, (1,) * 6), (2, 3), RuntimeError),
    (lambda m, x: F(m).pad(x, (-3, -3)), (2, 3), RuntimeError),
    (lambda m, x: F(m).pad(x, (5, 1, 1, 1), mode="reflect"), (2, 3, 4, 5), RuntimeError),
    (lambda m, x: F(m).pad(x, (6, 1, 1, 1), mode="circular"), (2, 3, 4, 5), RuntimeError),
    (lambda m, x: F(m).pad(x, (1, 1), mode="reflect", value=1), (2, 3, 4), RuntimeError),
    (lambda m, x: F(m).pad(x, (1, 1), mode="wrap"), (2, 3, 4), NotImplementedError),
    (lambda m, x: F(m).pad(x, (1, 1, 1, 1), mode="reflect"), (3, 4), NotImplementedError),
    (lambda m, x: F(m).pad(x, (1, 1), mode="replicate"), (2, 3, 4, 5), NotImplementedError),
    (lambda m, x: F(m).pad(x, (1, 1, 1, 1), mode="reflect"), (2, 3, 0, 5), RuntimeError),
    (lambda m, x: F(m).pad(x, (1.5, 1)), (2, 3), TypeError),
])
def test_pad_errors_match_torch(call, shape, exc):
    same_error(call, arr(*shape), exc=exc)


INTERP = [
    dict(scale_factor=2),
    dict(scale_factor=1.7),
    dict(size=(3, 7)),
    dict(size=(9, 4), mode="nearest-exact"),
    dict(scale_factor=(0.6, 2.5), mode="nearest-exact"),
    dict(scale_factor=2, mode="bilinear"),
    dict(size=(7, 3), mode="bilinear", align_corners=True),
    dict(scale_factor=(1.5, 0.7), mode="bilinear"),
    dict(scale_factor=1.3, mode="bilinear", recompute_scale_factor=True),
    dict(size=(6, 9), mode="bicubic"),
    dict(scale_factor=2, mode="bicubic", align_corners=True),
    dict(size=(3, 2), mode="area"),
    dict(scale_factor=0.5, mode="area"),
]


@pytest.mark.parametrize("kw", INTERP, ids=str)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_interpolate_2d_matches_torch(kw, dtype):
    compare_fn(lambda m, x: F(m).interpolate(x, **kw), arr(2, 3, 5, 6), dtype=dtype)
    compare_double_backward(lambda m, x: F(m).interpolate(x, **kw), arr(1, 2, 5, 6), dtype=dtype)


@pytest.mark.parametrize("kw, shape", [
    (dict(scale_factor=3), (2, 3, 4)),
    (dict(size=7, mode="linear"), (2, 3, 4)),
    (dict(scale_factor=0.8, mode="linear", align_corners=True), (2, 3, 9)),
    (dict(size=5, mode="nearest-exact"), (2, 3, 3)),
    (dict(size=2, mode="area"), (2, 3, 5)),
    (dict(scale_factor=2, mode="trilinear"), (1, 2, 3, 2, 4)),
    (dict(size=(3, 4, 2), mode="trilinear", align_corners=True), (1, 2, 3, 2, 4)),
    (dict(scale_factor=(1, 2, 1.5)), (1, 2, 3, 2, 4)),
], ids=str)
def test_interpolate_1d_3d_matches_torch(kw, shape):
    compare_fn(lambda m, x: F(m).interpolate(x, **kw), arr(*shape))


@pytest.mark.parametrize("kw, shape, exc", [
    (dict(scale_factor=2, size=3), (1, 1, 4), ValueError),
    (dict(), (1, 1, 4), ValueError),
    (dict(scale_factor=2, align_corners=True), (1, 1, 4), ValueError),
    (dict(size=(2, 2)), (1, 1, 4), ValueError),
    (dict(scale_factor=2, mode="bilinear"), (1, 1, 4), NotImplementedError),
    (dict(scale_factor=2, mode="linear"), (1, 1, 4, 4), NotImplementedError),
    (dict(scale_factor=2), (4, 4), NotImplementedError),
    (dict(size=(0, 2)), (1, 1, 4, 4), RuntimeError),
    (dict(scale_factor=2, mode="bilinear", antialias=True), (1, 1, 4), ValueError),
    (dict(size=3, recompute_scale_factor=True), (1, 1, 4), ValueError),
])
def test_interpolate_errors_match_torch(kw, shape, exc):
    same_error(lambda m, x: F(m).interpolate(x, **kw), arr(*shape), exc=exc)


def test_interpolate_antialias_is_refused():
    with pytest.raises(NotImplementedError, match="antialias"):
        F(numtorch).interpolate(numtorch.ones(1, 1, 4, 4), scale_factor=0.5, mode="bilinear", antialias=True)


def test_pixel_shuffle_and_unshuffle():
    compare_fn(lambda m, x: F(m).pixel_shuffle(x, 2), arr(2, 8, 3, 4))
    compare_fn(lambda m, x: F(m).pixel_shuffle(x, 3), arr(9, 2, 2))
    compare_fn(lambda m, x: F(m).pixel_unshuffle(x, 2), arr(2, 2, 4, 6))
    compare_fn(lambda m, x: F(m).pixel_unshuffle(x, 2), arr(3, 2, 2, 4, 2))
    compare_double_backward(lambda m, x: F(m).pixel_shuffle(x, 2), arr(1, 4, 2, 3))
    same_error(lambda m, x: F(m).pixel_shuffle(x, 2), arr(2, 3, 4, 4))
    same_error(lambda m, x: F(m).pixel_unshuffle(x, 2), arr(2, 3, 5, 4))
    same_error(lambda m, x: F(m).pixel_shuffle(x, 2), arr(4, 4))


def test_one_hot():
    idx = np.array([[0, 3], [2, 1]])
    compare_fn(lambda m, t: F(m).one_hot(t), idx, int_inputs=(0,), grad=False)
    compare_fn(lambda m, t: F(m).one_hot(t, 6), idx, int_inputs=(0,), grad=False)
    for bad in (np.array([0, 5]), np.array([-1, 0])):
        same_error(lambda m, t: F(m).one_hot(t, 4), bad, int_inputs=(0,))


MODULES = [
    (lambda nn: nn.ZeroPad2d((1, 2, 0, 1)), (2, 3, 4, 4)),
    (lambda nn: nn.ZeroPad1d(2), (2, 3, 4)),
    (lambda nn: nn.ConstantPad1d((1, 2), 3.5), (2, 3, 4)),
    (lambda nn: nn.ConstantPad2d(1, -1.0), (2, 3, 4, 4)),
    (lambda nn: nn.ConstantPad3d((1, 0, 0, 1, 1, 1), 2.0), (1, 2, 3, 3, 3)),
    (lambda nn: nn.ReflectionPad1d(2), (2, 3, 4)),
    (lambda nn: nn.ReflectionPad2d((1, 2, 2, 1)), (2, 3, 4, 4)),
    (lambda nn: nn.ReflectionPad3d(1), (1, 2, 3, 3, 3)),
    (lambda nn: nn.ReplicationPad1d((3, 1)), (2, 3, 4)),
    (lambda nn: nn.ReplicationPad2d(2), (2, 3, 4, 4)),
    (lambda nn: nn.ReplicationPad3d(1), (1, 2, 3, 3, 3)),
    (lambda nn: nn.CircularPad1d(2), (2, 3, 4)),
    (lambda nn: nn.CircularPad2d((1, 0, 2, 1)), (2, 3, 4, 4)),
    (lambda nn: nn.CircularPad3d(1), (1, 2, 3, 3, 3)),
    (lambda nn: nn.Upsample(scale_factor=2), (2, 3, 4, 4)),
    (lambda nn: nn.Upsample(size=(5, 3), mode="bilinear"), (2, 3, 4, 4)),
    (lambda nn: nn.Upsample(scale_factor=(2.0, 1.5), mode="bicubic", align_corners=True), (2, 3, 4, 4)),
    (lambda nn: nn.UpsamplingNearest2d(scale_factor=3), (2, 3, 4, 4)),
    (lambda nn: nn.UpsamplingBilinear2d(size=6), (2, 3, 4, 4)),
    (lambda nn: nn.PixelShuffle(2), (2, 8, 3, 3)),
    (lambda nn: nn.PixelUnshuffle(2), (2, 2, 4, 4)),
    (lambda nn: nn.Unfold((2, 3), stride=2, padding=1), (2, 3, 5, 5)),
    (lambda nn: nn.Fold(4, 2, stride=2), (2, 12, 4)),
]


@pytest.mark.parametrize("build, shape", MODULES)
def test_resample_modules_match_torch(build, shape):
    tm, nm = module_pair(build)
    compare_forward_backward(tm, nm, arr(*shape))


def test_deprecated_upsample_functions_warn():
    x = arr(1, 1, 2, 2)
    for lib in (torch, numtorch):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            out = F(lib).upsample_bilinear(lib.tensor(x), scale_factor=2)
        assert any("deprecated" in str(w.message) for w in caught)
    np.testing.assert_allclose(np_of(F(numtorch).upsample_nearest(numtorch.tensor(x), scale_factor=2)),
                               np_of(F(torch).interpolate(torch.tensor(x), scale_factor=2)))


def test_channel_shuffle_matches_torch():
    compare_fn(lambda m, x: F(m).channel_shuffle(x, 3), arr(2, 6, 2, 2))
    compare_fn(lambda m, x: F(m).channel_shuffle(x, 2), arr(2, 4, 3))
    compare_double_backward(lambda m, x: F(m).channel_shuffle(x, 2), arr(1, 4, 3))
    tm, nm = module_pair(lambda nn: nn.ChannelShuffle(2))
    compare_forward_backward(tm, nm, arr(2, 4, 3, 3))
    same_error(lambda m, x: F(m).channel_shuffle(x, 4), arr(2, 6, 2))
