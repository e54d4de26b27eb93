"""An in-place op whose rule saved its own output: a later in-place write to that tensor must make
backward fail with torch's version error, while untouched results still differentiate."""
import numpy as np
import pytest
import torch

import numtorch

OPS = ["exp_", "sigmoid_", "tanh_", "sqrt_", "relu_"]
X = np.array([0.3, 1.2, 2.5])


def _run(mod, op, second, view):
    x = mod.tensor(X, requires_grad=True)
    y = x.clone()
    target = y[:2] if view else y
    getattr(target, op)()
    if second:
        y.mul_(2)
    y.sum().backward()
    return x.grad


@pytest.mark.parametrize("view", [False, True])
@pytest.mark.parametrize("op", OPS)
def test_write_after_saved_output_raises(op, view):
    with pytest.raises(RuntimeError) as theirs:
        _run(torch, op, True, view)
    with pytest.raises(RuntimeError) as ours:
        _run(numtorch, op, True, view)
    assert "modified by an inplace operation" in str(theirs.value)
    assert "modified by an inplace operation" in str(ours.value)
    assert "is at version 2; expected version 1 instead" in str(ours.value)


@pytest.mark.parametrize("view", [False, True])
@pytest.mark.parametrize("op", OPS)
def test_saved_output_untouched_still_differentiates(op, view):
    np.testing.assert_allclose(_run(numtorch, op, False, view)._data, _run(torch, op, False, view).numpy())


def test_message_names_the_op():
    x = numtorch.tensor(X, requires_grad=True)
    y = x.clone()
    y.exp_()
    y.exp_()
    with pytest.raises(RuntimeError, match="output 0 of Exp, is at version 2; expected version 1"):
        y.sum().backward()


def test_write_under_no_grad_also_invalidates():
    for mod in (torch, numtorch):
        x = mod.tensor(X, requires_grad=True)
        y = x.clone()
        y.sigmoid_()
        with mod.no_grad():
            y.add_(1)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.sum().backward()
