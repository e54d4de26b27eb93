"""numtorch.utils.checkpoint gives torch's values, gradients and warnings (it just does not save memory)."""
import warnings

import numpy as np
import pytest
import torch

import numtorch

RNG = np.random.default_rng(0)
W1, B1, W2 = (RNG.standard_normal(s).astype(np.float32) for s in ((4, 3), (4,), (1, 4)))
X = RNG.standard_normal((5, 3)).astype(np.float32)


def _run(lib, variant, x_requires_grad):
    net = lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.Tanh(), lib.nn.Linear(4, 1, bias=False))
    with lib.no_grad():
        for p, a in zip(net.parameters(), (W1, B1, W2)):
            p.copy_(lib.from_numpy(a))
    x = lib.from_numpy(X.copy()).requires_grad_(x_requires_grad)
    ckpt = lib.utils.checkpoint
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if variant == "sequential":
            out = ckpt.checkpoint_sequential(net, 2, x, use_reentrant=False)
        else:
            out = ckpt.checkpoint(net, x, **({} if variant == "default" else {"use_reentrant": variant}))
    messages = sorted(str(w.message)[:40] for w in caught)
    if out.requires_grad:
        out.pow(2).sum().backward()
    grads = [None if t.grad is None else t.grad.numpy() for t in (x, *net.parameters())]
    return out.detach().numpy(), out.requires_grad, grads, messages


@pytest.mark.parametrize("variant", ["default", True, False, "sequential"])
@pytest.mark.parametrize("x_requires_grad", [False, True])
def test_checkpoint_matches_torch(variant, x_requires_grad):
    ours, theirs = _run(numtorch, variant, x_requires_grad), _run(torch, variant, x_requires_grad)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-6)
    assert ours[1] == theirs[1] and ours[3] == theirs[3]
    for a, b in zip(ours[2], theirs[2]):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_reentrant_rejects_keyword_arguments():
    with pytest.raises(ValueError, match="Unexpected keyword arguments: scale"):
        numtorch.utils.checkpoint.checkpoint(lambda x, scale=1: x * scale, numtorch.ones(2), use_reentrant=True,
                                             scale=2)
