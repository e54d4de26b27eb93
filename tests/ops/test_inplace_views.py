"""t_, transpose_, swapaxes_, swapdims_, squeeze_, unsqueeze_: shapes, grad_fn names, versions,
gradients and torch's leaf error."""
import numpy as np
import pytest
import torch

import numtorch

OPS = [("t_", ()), ("transpose_", (0, 1)), ("swapaxes_", (1, 0)), ("swapdims_", (0, 1)), ("squeeze_", ()),
       ("squeeze_", (1,)), ("squeeze_", ((0, 1),)), ("unsqueeze_", (0,)), ("unsqueeze_", (-1,))]


def _run(mod, name, args):
    shape = (3, 1) if name in ("t_",) else (1, 1, 3) if name == "squeeze_" and args else (3, 1, 2)
    if name == "squeeze_" and args == ((0, 1),):
        shape = (1, 1, 3)
    x = mod.tensor(np.arange(np.prod(shape), dtype=np.float64).reshape(shape) / 7, requires_grad=True)
    y = x * 2
    out = getattr(y, name)(*args)
    w = mod.tensor(np.linspace(-1, 1, y.numel()).reshape(tuple(y.shape)))
    (y * w).sin().sum().backward()
    return out is y, tuple(y.shape), type(y.grad_fn).__name__, y._version, x.grad.numpy() if mod is torch \
        else x.grad._data


@pytest.mark.parametrize("name,args", OPS)
def test_matches_torch(name, args):
    ours, theirs = _run(numtorch, name, args), _run(torch, name, args)
    assert ours[:4] == theirs[:4]
    np.testing.assert_allclose(ours[4], theirs[4])


def test_leaf_requiring_grad_raises():
    for mod in (torch, numtorch):
        x = mod.ones(2, 3, requires_grad=True)
        with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"):
            x.t_()


def test_view_of_base_stays_a_view():
    for mod in (torch, numtorch):
        base = mod.zeros(2, 3)
        v = base[0]
        v.unsqueeze_(0)
        v.mul_(0).add_(5)
        assert base[0].tolist() == [5.0, 5.0, 5.0] and tuple(v.shape) == (1, 3)


def test_no_grad_tensor():
    x = numtorch.arange(6.0).reshape(2, 3)
    assert x.t_().shape == (3, 2) and x._version == 1 and x.grad_fn is None
