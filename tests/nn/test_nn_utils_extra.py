"""nn.utils.stateless.functional_call / torch.func.functional_call, the conv/linear + batch norm fusion
helpers and skip_init, against torch 2.13."""
import warnings

import numpy as np
import pytest
import torch

import numtorch
from tests.nn.util import assert_close, twin

rng = np.random.default_rng(0)
X = rng.standard_normal((2, 3))


def _net(nn):
    return nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))


def _replacements(mod, dtype=np.float64):
    return {"0.weight": mod.tensor(rng.standard_normal((4, 3)).astype(dtype), requires_grad=True),
            "1.running_mean": mod.tensor(rng.standard_normal(4).astype(dtype))}


def test_functional_call_matches_torch_and_restores():
    tm, nm = twin(_net, np.float64)
    tm.eval(), nm.eval()
    r = np.random.default_rng(3)
    arrays = {"0.weight": r.standard_normal((4, 3)), "1.running_mean": r.standard_normal(4)}
    outs = []
    for lib, m in ((numtorch, nm), (torch, tm)):
        values = {k: lib.tensor(v, requires_grad=k.endswith("weight")) for k, v in arrays.items()}
        before = m[0].weight
        out = lib.func.functional_call(m, values, (lib.tensor(X),))
        out.sum().backward()
        assert m[0].weight is before and m[0].weight.grad is None
        outs.append((out, values["0.weight"].grad))
        with pytest.warns(FutureWarning, match="torch.func.functional_call"):
            again = lib.nn.utils.stateless.functional_call(m, values, lib.tensor(X))
        assert_close(again, out.detach() if lib is torch else out, np.float64)
    assert_close(outs[0][0], outs[1][0], np.float64, "output")
    assert_close(outs[0][1], outs[1][1], np.float64, "grad of the replacement")


def test_functional_call_tied_strict_and_dict_sequences():
    def build(nn):
        m = nn.Sequential(nn.Linear(3, 3, bias=False), nn.Linear(3, 3, bias=False))
        m[1].weight = m[0].weight
        return m
    tm, nm = twin(build, np.float64)
    w = rng.standard_normal((3, 3))
    for lib, m in ((numtorch, nm), (torch, tm)):
        out = lib.func.functional_call(m, {"0.weight": lib.tensor(w)}, lib.tensor(X))
        np.testing.assert_allclose(out.detach().numpy(), X @ w.T @ w.T)       # both tied names replaced
        out = lib.func.functional_call(m, {"0.weight": lib.tensor(w)}, lib.tensor(X), tie_weights=False)
        np.testing.assert_allclose(out.detach().numpy(), X @ w.T @ m[1].weight.detach().numpy().T)
        with pytest.raises(ValueError, match="which are tied"):
            lib.func.functional_call(m, {"0.weight": lib.tensor(w), "1.weight": lib.tensor(w * 2)},
                                     lib.tensor(X))
        with pytest.raises(RuntimeError, match=r"Unexpected key\(s\): 'nope'"):
            lib.func.functional_call(m, {"nope": lib.tensor(w)}, lib.tensor(X), strict=True)
        with pytest.raises(ValueError, match="appeared in multiple dictionaries"):
            lib.func.functional_call(m, ({"0.weight": lib.tensor(w)}, {"0.weight": lib.tensor(w)}),
                                     lib.tensor(X))
        out = lib.func.functional_call(m, ({"0.weight": lib.tensor(w)}, {}), (lib.tensor(X),), {})
        np.testing.assert_allclose(out.detach().numpy(), X @ w.T @ w.T)


def _eval_pair(build):
    tm, nm = twin(build, np.float64)
    for m, lib in ((tm, torch), (nm, numtorch)):
        bn = m[1]
        with lib.no_grad():
            bn.running_mean.copy_(lib.tensor(np.linspace(-1, 1, bn.num_features)))
            bn.running_var.copy_(lib.tensor(np.linspace(0.5, 2, bn.num_features)))
            bn.weight.copy_(lib.tensor(np.linspace(0.2, 1.5, bn.num_features)))
        m.eval()
    return tm, nm


@pytest.mark.parametrize("kind", ["conv", "conv_transpose", "linear"])
def test_fusion(kind):
    if kind == "linear":
        build, x = (lambda nn: nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))), X
    elif kind == "conv":
        build, x = (lambda nn: nn.Sequential(nn.Conv2d(2, 3, 2), nn.BatchNorm2d(3))), rng.standard_normal((1, 2, 4, 4))
    else:
        build, x = (lambda nn: nn.Sequential(nn.ConvTranspose2d(2, 3, 2), nn.BatchNorm2d(3))), \
            rng.standard_normal((1, 2, 3, 3))
    tm, nm = _eval_pair(build)
    fused = []
    for lib, m in ((numtorch, nm), (torch, tm)):
        U = lib.nn.utils
        f = U.fuse_linear_bn_eval(m[0], m[1]) if kind == "linear" else \
            U.fuse_conv_bn_eval(m[0], m[1], transpose=kind == "conv_transpose")
        assert f is not m[0] and isinstance(f.weight, lib.nn.Parameter)
        fused.append(f)
        assert_close(f(lib.tensor(x)), m(lib.tensor(x)).detach() if lib is torch else m(lib.tensor(x)),
                     np.float64, "fused vs unfused", scale=100)
    assert_close(fused[0].weight, fused[1].weight, np.float64)
    assert_close(fused[0].bias, fused[1].bias, np.float64)
    nm.train()
    with pytest.raises(AssertionError, match="Fusion only for eval!"):
        numtorch.nn.utils.fuse_linear_bn_eval(nm[0], nm[1]) if kind == "linear" else \
            numtorch.nn.utils.fuse_conv_bn_eval(nm[0], nm[1])


def test_fuse_weights_without_bias_or_affine():
    w, rm, rv = rng.standard_normal((4, 3)), rng.standard_normal(4), rng.uniform(0.5, 2, 4)
    outs = [lib.nn.utils.fuse_conv_bn_weights(lib.tensor(w), None, lib.tensor(rm), lib.tensor(rv), 1e-5, None, None)
            for lib in (numtorch, torch)]
    for a, b in zip(*outs):
        assert_close(a, b, np.float64)


def test_skip_init():
    numtorch.manual_seed(0)
    m = numtorch.nn.utils.skip_init(numtorch.nn.Linear, 3, 4, dtype=numtorch.float64)
    assert m.weight.shape == (4, 3) and m.weight.dtype == numtorch.float64 and isinstance(m.weight,
                                                                                        numtorch.nn.Parameter)
    after = numtorch.rand(2)
    numtorch.manual_seed(0)
    np.testing.assert_array_equal(after.numpy(), numtorch.rand(2).numpy())   # the RNG stream was not consumed
    for lib in (numtorch, torch):
        class NoDevice(lib.nn.Module):
            pass
        with pytest.raises(RuntimeError, match="Module must support a 'device' arg"):
            lib.nn.utils.skip_init(NoDevice)
        with pytest.raises(RuntimeError, match="Expected a Module"):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                lib.nn.utils.skip_init(int)


# ======================================================================================
# pdist and gumbel_softmax
# ======================================================================================

def _both(fn, x, dtype=np.float64, tol=None):
    res = []
    for lib in (numtorch, torch):
        t = lib.tensor(x.astype(dtype), requires_grad=True)
        y = fn(lib, t)
        go = lib.tensor(np.random.default_rng(2).standard_normal(tuple(y.shape)).astype(dtype))
        res.append((y, y.grad_fn.name(), lib.autograd.grad(y, t, go)[0]))
    (a, na, ga), (b, nb, gb) = res
    assert na == nb
    assert_close(a, b, dtype, "forward", scale=tol or 1.0)
    assert_close(ga, gb, dtype, "grad", scale=tol or 1.0)


@pytest.mark.parametrize("p", [0, 0.5, 1, 1.5, 2, 3, float("inf")])
def test_pdist(p):
    x = rng.standard_normal((5, 3))
    x[3] = x[1]                     # a zero distance
    _both(lambda lib, t: lib.nn.functional.pdist(t, p), x)
    _both(lambda lib, t: lib.nn.functional.pdist(t, p), x, np.float32, tol=10)
    _both(lambda lib, t: lib.nn.functional.pdist(t, p), x[:1])


def test_pdist_gradcheck_no_double_backward_and_errors():
    x = numtorch.tensor(rng.standard_normal((4, 3)), requires_grad=True)
    assert numtorch.autograd.gradcheck(lambda t: numtorch.nn.functional.pdist(t, 1.5), (x,))
    g, = numtorch.autograd.grad(numtorch.nn.functional.pdist(x).sum(), x, create_graph=True)
    with pytest.raises(RuntimeError, match="derivative for aten::_pdist_backward is not implemented"):
        numtorch.autograd.grad(g.sum(), x)
    for lib in (numtorch, torch):
        for bad, msg in ((lambda: lib.nn.functional.pdist(lib.ones(3)), "only supports 2D tensors, got: 1D"),
                         (lambda: lib.nn.functional.pdist(lib.ones(3, 2), -1), "non-negative p values"),
                         (lambda: lib.nn.functional.pdist(lib.ones(3, 2, dtype=lib.int64)), "floating-point")):
            with pytest.raises(RuntimeError, match=msg):
                bad()


@pytest.mark.parametrize("hard", [False, True])
def test_gumbel_softmax_same_samples_as_torch(hard):
    logits = rng.standard_normal((4, 6))
    res = []
    for lib in (numtorch, torch):
        lib.manual_seed(7)
        t = lib.tensor(logits, requires_grad=True)
        y = lib.nn.functional.gumbel_softmax(t, tau=0.5, hard=hard, dim=0)
        go = lib.tensor(np.random.default_rng(3).standard_normal((4, 6)))
        res.append((y, lib.autograd.grad(y, t, go)[0]))
    assert_close(res[0][0], res[1][0], np.float64, "samples", scale=100)
    assert_close(res[0][1], res[1][1], np.float64, "grad", scale=100)
    if hard:
        assert set(np.unique(res[0][0].detach().numpy())) <= {0.0, 1.0}
    with pytest.warns(UserWarning, match="`eps` parameter is deprecated"):
        numtorch.nn.functional.gumbel_softmax(numtorch.tensor(logits), eps=1e-5)
