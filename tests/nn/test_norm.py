"""Normalization (batch, layer, group, RMS, instance, local response; functional and modules) against torch
2.13: values, first and second derivatives, running statistics over several training steps, eval mode,
state_dict keys, reprs and errors."""
import numpy as np
import pytest
import torch
from hypothesis import given

import numtorch
from tests.nn.layer_checks import compare_fn, module_pair, same_error
from tests.nn.util import assert_close, compare_forward_backward, np_of
from tests.optable import Row, check_row, fixed


def F(m):
    return m.nn.functional


rng = np.random.default_rng(0)


def arr(*shape):
    return rng.standard_normal(shape)


def bn_train(m, x, w, b):
    return F(m).batch_norm(x, None, None, w, b, training=True, eps=1e-3)


ROWS = [
    Row("batch_norm_train", bn_train, fixed(((4, 3), (3,), (3,)), ((2, 2, 3), (2,), (2,)))),
    Row("batch_norm_train_plain", lambda m, x: F(m).batch_norm(x, None, None, training=True), fixed(((3, 2, 2, 2),))),
    Row("batch_norm_eval", lambda m, x, w, b: F(m).batch_norm(x, m.tensor([0.5, -1.0], dtype=x.dtype),
                                                              m.tensor([2.0, 0.5], dtype=x.dtype), w, b),
        fixed(((3, 2, 2), (2,), (2,)))),
    Row("layer_norm", lambda m, x, w, b: F(m).layer_norm(x, (3,), w, b),
        fixed(((2, 3), (3,), (3,)), ((4, 3), (3,), (3,)))),
    Row("layer_norm_2d", lambda m, x: F(m).layer_norm(x, (2, 3), eps=1e-2), fixed(((2, 2, 3),))),
    Row("group_norm", lambda m, x, w, b: F(m).group_norm(x, 2, w, b), fixed(((2, 4, 3), (4,), (4,)))),
    Row("group_norm_plain", lambda m, x: F(m).group_norm(x, 1), fixed(((3, 2, 2),))),
    Row("rms_norm", lambda m, x, w: F(m).rms_norm(x, (3,), w), fixed(((2, 3), (3,)))),
    Row("rms_norm_eps", lambda m, x: F(m).rms_norm(x, (2, 2), eps=1e-3), fixed(((3, 2, 2),))),
    Row("instance_norm", lambda m, x, w, b: F(m).instance_norm(x, weight=w, bias=b), fixed(((2, 2, 3), (2,), (2,)))),
    Row("normalize", lambda m, x: F(m).normalize(x, dim=-1), fixed(((3, 4),))),
    Row("local_response_norm", lambda m, x: F(m).local_response_norm(x, 3), fixed(((2, 4, 3),)), low=0.5, high=2),
]


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r.name)
def test_norm_rows(row):
    @given(row.shapes)
    def check(shape_tuple):
        check_row(row, shape_tuple)
    check()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_norm_functionals_larger_shapes(dtype):
    x = arr(8, 6, 5, 4)
    compare_fn(lambda m, x, w, b: F(m).batch_norm(x, None, None, w, b, True), x, arr(6), arr(6), dtype=dtype)
    compare_fn(lambda m, x, w, b: F(m).layer_norm(x, (5, 4), w, b), x, arr(5, 4), arr(5, 4), dtype=dtype)
    compare_fn(lambda m, x, w, b: F(m).group_norm(x, 3, w, b, 1e-3), x, arr(6), arr(6), dtype=dtype)
    compare_fn(lambda m, x, w: F(m).rms_norm(x, (4,), w), x, arr(4), dtype=dtype)
    compare_fn(lambda m, x: F(m).local_response_norm(x, 2), x, dtype=dtype)
    compare_fn(lambda m, x: F(m).local_response_norm(x, 3, k=2.0), x[:, :, 0], dtype=dtype)
    compare_fn(lambda m, x: F(m).normalize(x, p=1, dim=0), x, dtype=dtype)


def test_batch_norm_functional_updates_running_stats_like_torch():
    x = arr(5, 3, 4)
    stats = {}
    for lib in (torch, numtorch):
        rm, rv = lib.zeros(3, dtype=lib.float64), lib.ones(3, dtype=lib.float64)
        out = F(lib).batch_norm(lib.tensor(x), rm, rv, training=True, momentum=0.3)
        stats[lib] = (out, rm, rv, rm._version)
    for a, b in zip(stats[numtorch][:3], stats[torch][:3]):
        assert_close(a, b, np.float64)
    assert stats[numtorch][3] == stats[torch][3]   # the kernel writes the buffers without a version bump


@pytest.mark.parametrize("build, shape", [
    (lambda nn: nn.BatchNorm1d(3), (6, 3)),
    (lambda nn: nn.BatchNorm1d(3, momentum=None), (4, 3, 5)),
    (lambda nn: nn.BatchNorm2d(3, eps=1e-3, momentum=0.3), (4, 3, 5, 2)),
    (lambda nn: nn.BatchNorm2d(3, affine=False), (4, 3, 2, 2)),
    (lambda nn: nn.BatchNorm2d(3, track_running_stats=False), (4, 3, 2, 2)),
    (lambda nn: nn.BatchNorm1d(3, bias=False), (4, 3)),
    (lambda nn: nn.BatchNorm3d(2), (2, 2, 3, 2, 2)),
])
def test_batch_norm_modules_train_then_eval(build, shape):
    tm, nm = module_pair(build, np.float64)
    for step in range(4):       # several training steps: running stats and num_batches_tracked
        x = arr(*shape) * (step + 1) + step
        compare_forward_backward(tm, nm, x, dtype=np.float64)
        for (k, a), b in zip(nm.state_dict().items(), tm.state_dict().values()):
            assert_close(a, b, np.float64, k)
    tm.eval(), nm.eval()
    compare_forward_backward(tm, nm, arr(*shape), dtype=np.float64)
    assert list(nm.state_dict()) == list(tm.state_dict())


def test_batch_norm_eval_node_and_state_loading():
    tm, nm = module_pair(lambda nn: nn.BatchNorm2d(2))
    tm.eval(), nm.eval()
    t_out, n_out = compare_forward_backward(tm, nm, arr(3, 2, 2, 2))
    assert n_out.grad_fn.name() == t_out.grad_fn.name() == "NativeBatchNormBackward0"
    # a checkpoint from before num_batches_tracked existed (version 1, or no version) still loads;
    # one that says version 2 must have it
    from collections import OrderedDict
    for m in (tm, nm):
        sd = OrderedDict((k, v) for k, v in m.state_dict().items() if k != "num_batches_tracked")
        m.load_state_dict(sd)
        sd._metadata = {"": {"version": 1}}
        m.load_state_dict(sd)
        sd._metadata = {"": {"version": 2}}
        with pytest.raises(RuntimeError, match='Missing key.*"num_batches_tracked"'):
            m.load_state_dict(sd)


def test_batch_norm_module_errors_and_repr():
    for lib in (torch, numtorch):
        with pytest.raises(ValueError, match=r"expected 4D input \(got 3D input\)"):
            lib.nn.BatchNorm2d(3)(lib.zeros(2, 3, 4))
        with pytest.raises(ValueError, match=r"expected 2D or 3D input \(got 4D input\)"):
            lib.nn.BatchNorm1d(3)(lib.zeros(2, 3, 4, 1))
        with pytest.raises(ValueError, match="Expected more than 1 value per channel when training"):
            lib.nn.BatchNorm1d(3)(lib.zeros(1, 3))
    for build in (lambda nn: nn.BatchNorm1d(3, momentum=None, affine=False), lambda nn: nn.BatchNorm2d(4, eps=1e-3),
                  lambda nn: nn.BatchNorm2d(4, bias=False, track_running_stats=False)):
        tm, nm = build(torch.nn), build(numtorch.nn)
        assert repr(nm) == repr(tm)
        assert list(nm.state_dict()) == list(tm.state_dict())
        assert [n for n, _ in nm.named_buffers()] == [n for n, _ in tm.named_buffers()]
    bn = numtorch.nn.BatchNorm1d(3)
    assert bn.num_batches_tracked.dtype == numtorch.int64 and bn.num_batches_tracked.item() == 0
    assert np_of(bn.weight).tolist() == [1, 1, 1] and np_of(bn.running_var).tolist() == [1, 1, 1]


@pytest.mark.parametrize("build, shape", [
    (lambda nn: nn.LayerNorm(4), (3, 4)),
    (lambda nn: nn.LayerNorm((3, 4), eps=1e-3, elementwise_affine=False), (2, 3, 4)),
    (lambda nn: nn.LayerNorm([4], bias=False), (2, 5, 4)),
    (lambda nn: nn.GroupNorm(2, 4), (3, 4, 5)),
    (lambda nn: nn.GroupNorm(1, 4, affine=False), (3, 4, 2, 2)),
    (lambda nn: nn.GroupNorm(4, 4, bias=False), (3, 4)),
    (lambda nn: nn.RMSNorm(4), (3, 4)),
    (lambda nn: nn.RMSNorm([2, 4], eps=1e-2, elementwise_affine=False), (3, 2, 4)),
    (lambda nn: nn.InstanceNorm1d(3), (2, 3, 5)),
    (lambda nn: nn.InstanceNorm2d(3, affine=True, track_running_stats=True), (2, 3, 4, 4)),
    (lambda nn: nn.InstanceNorm1d(3, affine=True), (3, 5)),
    (lambda nn: nn.LocalResponseNorm(3), (2, 4, 5)),
])
def test_norm_modules_match_torch(build, shape):
    tm, nm = module_pair(build, np.float64)
    for _ in range(2):
        compare_forward_backward(tm, nm, arr(*shape), dtype=np.float64)
    for (k, a), b in zip(nm.state_dict().items(), tm.state_dict().values()):
        assert_close(a, b, np.float64, k)
    tm.eval(), nm.eval()
    compare_forward_backward(tm, nm, arr(*shape), dtype=np.float64)


def test_rms_norm_default_eps_is_the_dtype_epsilon():
    x = np.full((2, 3), 1e-4)
    for dtype in (np.float32, np.float64):
        compare_fn(lambda m, x: F(m).rms_norm(x, (3,)), x, dtype=dtype)


@pytest.mark.parametrize("call, shapes, exc", [
    (lambda m, x: F(m).layer_norm(x, (4,)), ((2, 3),), RuntimeError),
    (lambda m, x, w: F(m).layer_norm(x, (3,), w), ((2, 3), (4,)), RuntimeError),
    (lambda m, x: F(m).layer_norm(x, 3), ((2, 3),), TypeError),
    (lambda m, x: F(m).group_norm(x, 2), ((2, 3, 4),), RuntimeError),
    (lambda m, x, w: F(m).group_norm(x, 3, w), ((2, 3, 4), (4,)), RuntimeError),
    (lambda m, x: F(m).group_norm(x, 1), ((3,),), RuntimeError),
    (lambda m, x: F(m).batch_norm(x, None, None), ((2, 3),), RuntimeError),
    (lambda m, x, r: F(m).batch_norm(x, r, r), ((2, 3), (4,)), RuntimeError),
    (lambda m, x, w: F(m).batch_norm(x, None, None, w, training=True), ((2, 3), (4,)), RuntimeError),
    (lambda m, x: F(m).batch_norm(x, None, None, training=True), ((1, 3),), ValueError),
    (lambda m, x, w: F(m).rms_norm(x, (3,), w), ((2, 3), (4,)), RuntimeError),
    (lambda m, x: F(m).instance_norm(x), ((3, 1),), ValueError),
    (lambda m, x: F(m).local_response_norm(x, 2), ((3, 4),), ValueError),
])
def test_norm_errors_match_torch(call, shapes, exc):
    same_error(call, *[arr(*s) for s in shapes], exc=exc)


def test_norm_module_errors():
    for lib in (torch, numtorch):
        with pytest.raises(ValueError, match=r"num_channels \(5\) must be divisible by num_groups \(2\)"):
            lib.nn.GroupNorm(2, 5)
        with pytest.raises(ValueError, match=r"expected 3D or 4D input \(got 2D input\)"):
            lib.nn.InstanceNorm2d(3)(lib.zeros(2, 3))
        with pytest.raises(ValueError, match="to match num_features"):
            lib.nn.InstanceNorm1d(3, affine=True)(lib.zeros(2, 4, 5))
