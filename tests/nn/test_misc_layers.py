"""CrossMapLRN2d, SyncBatchNorm (no process group) and F.conv_tbc against torch."""
import numpy as np
import pytest
import torch

import numtorch
from tests.nn.util import assert_close, np_of, twin

RNG = np.random.default_rng(0)


@pytest.mark.parametrize("size,shape", [(3, (2, 5, 3, 4)), (4, (1, 3, 2, 2)), (2, (2, 6, 2, 3)), (6, (1, 9, 2, 2))])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_map_lrn2d(size, shape, dtype):
    x = (RNG.standard_normal(shape) * 3).astype(dtype)
    g = RNG.standard_normal(shape).astype(dtype)
    outs = []
    for lib in (torch, numtorch):
        m = lib.nn.CrossMapLRN2d(size, alpha=0.3, beta=0.6, k=2)
        xt = lib.tensor(x, requires_grad=True)
        y = m(xt)
        y.backward(lib.tensor(g))
        outs.append((y, xt.grad, y.grad_fn.name(), repr(m)))
    (ty, tg, tn, tr), (ny, ng, nn_, nr) = outs
    assert (nn_, nr) == (tn, tr)
    assert_close(ny, ty, dtype)
    assert_close(ng, tg, dtype)


def test_cross_map_lrn2d_needs_4d():
    for lib in (torch, numtorch):
        with pytest.raises(ValueError, match="CrossMapLRN2d: Expected input to be 4D, got 3D instead."):
            lib.nn.CrossMapLRN2d(3)(lib.zeros(5, 3, 3))


@pytest.mark.parametrize("shape", [(6, 4), (3, 4, 5), (2, 4, 3, 3, 2)])
@pytest.mark.parametrize("momentum", [0.1, None])
def test_sync_batch_norm_is_local_batch_norm(shape, momentum):
    tm, nm = twin(lambda nn: nn.SyncBatchNorm(4, momentum=momentum), np.float64)
    assert repr(nm) == repr(tm)
    for training in (True, True, False):
        tm.train(training)
        nm.train(training)
        x = RNG.standard_normal(shape)
        tx, nx = torch.tensor(x, requires_grad=True), numtorch.tensor(x, requires_grad=True)
        ty, ny = tm(tx), nm(nx)
        assert_close(ny, ty, np.float64)
        ty.pow(3).sum().backward()
        ny.pow(3).sum().backward()
        assert_close(nx.grad, tx.grad, np.float64)
        for k, v in tm.state_dict().items():
            assert_close(nm.state_dict()[k], v, np.float64, what=k)


def test_sync_batch_norm_checks_and_convert():
    for lib in (torch, numtorch):
        m = lib.nn.SyncBatchNorm(4)
        with pytest.raises(ValueError, match=r"expected at least 2D input \(got 1D input\)"):
            m(lib.zeros(4))
        with pytest.raises(ValueError, match="SyncBatchNorm number of input channels should be non-zero"):
            m(lib.zeros(3, 0))
    tseq = torch.nn.Sequential(torch.nn.BatchNorm2d(3, affine=False), torch.nn.Sequential(torch.nn.BatchNorm1d(2)))
    nseq = numtorch.nn.Sequential(numtorch.nn.BatchNorm2d(3, affine=False),
                                  numtorch.nn.Sequential(numtorch.nn.BatchNorm1d(2)))
    nseq[1][0].eval()
    tseq[1][0].eval()
    bn = nseq[1][0]
    tc, nc = (lib.nn.SyncBatchNorm.convert_sync_batchnorm(s) for lib, s in ((torch, tseq), (numtorch, nseq)))
    assert repr(nc) == repr(tc)
    assert nc[1][0].weight is bn.weight and nc[1][0].running_mean is bn.running_mean and not nc[1][0].training


@pytest.mark.parametrize("pad", [0, 1, 3])
def test_conv_tbc(pad):
    arrays = RNG.standard_normal((7, 2, 3)), RNG.standard_normal((3, 3, 4)), RNG.standard_normal(4)
    res = []
    for lib in (torch, numtorch):
        ts = [lib.tensor(a, requires_grad=True) for a in arrays]
        y = lib.nn.functional.conv_tbc(*ts, pad)
        y.pow(2).sum().backward()
        res.append([y] + [t.grad for t in ts])
    for t, n in zip(*res):
        np.testing.assert_allclose(np_of(n), np_of(t), rtol=1e-10, atol=1e-12)


def test_conv_tbc_errors():
    x, w, b = np.zeros((7, 2, 3)), np.zeros((3, 3, 4)), np.zeros(4)
    for args in [(np.zeros((7, 3)), w, b), (x, np.zeros((3, 3)), b), (x, w, np.zeros((4, 1))),
                 (x, np.zeros((3, 2, 4)), b), (x, w, np.zeros(5))]:
        msgs = []
        for lib in (torch, numtorch):
            with pytest.raises(RuntimeError) as e:
                lib.nn.functional.conv_tbc(*(lib.tensor(a) for a in args))
            msgs.append(str(e.value))
        assert msgs[0] == msgs[1]
