"""nn.utils against torch 2.13: gradient clipping and parameter/vector conversion."""
import numpy as np
import pytest
import torch

import numtorch
from tests.nn.util import assert_close, np_of

NT_UTILS = numtorch.nn.utils
T_UTILS = torch.nn.utils


def _params(lib, grads, dtypes=None):
    """Parameters with the given grads (None leaves .grad unset)."""
    out = []
    for i, g in enumerate(grads):
        dt = getattr(lib, (dtypes or ["float32"] * len(grads))[i])
        p = lib.nn.Parameter(lib.zeros(g.shape if g is not None else (2,), dtype=dt))
        if g is not None:
            p.grad = lib.tensor(g, dtype=dt)
        out.append(p)
    return out


def _grads():
    rng = np.random.default_rng(0)
    return [rng.standard_normal((3, 4)) * 3, None, rng.standard_normal(5), rng.standard_normal((2, 2, 2)) * 10]


@pytest.mark.parametrize("norm_type", [2.0, 1, 3.5, float("inf"), "inf", 0.5])
@pytest.mark.parametrize("max_norm", [0.1, 1e6])
def test_clip_grad_norm_matches_torch(norm_type, max_norm):
    grads = _grads()
    ours, theirs = _params(numtorch, grads), _params(torch, grads)
    n_total = NT_UTILS.clip_grad_norm_(ours, max_norm, norm_type)
    t_total = T_UTILS.clip_grad_norm_(theirs, max_norm, norm_type)
    assert_close(n_total, t_total)
    for a, b in zip(ours, theirs):
        if b.grad is None:
            assert a.grad is None
        else:
            assert_close(a.grad, b.grad)


def test_clip_grad_norm_mixed_dtypes_and_single_tensor():
    grads = _grads()
    dtypes = ["float32", "float32", "float64", "float64"]
    ours, theirs = _params(numtorch, grads, dtypes), _params(torch, grads, dtypes)
    assert_close(NT_UTILS.clip_grad_norm_(ours, 1.0), T_UTILS.clip_grad_norm_(theirs, 1.0), np.float64)
    for a, b in zip(ours, theirs):
        if b.grad is not None:
            assert_close(a.grad, b.grad, np.float32)
    p_ours, p_theirs = _params(numtorch, grads[:1])[0], _params(torch, grads[:1])[0]
    assert_close(NT_UTILS.clip_grad_norm_(p_ours, 0.5), T_UTILS.clip_grad_norm_(p_theirs, 0.5))
    assert_close(p_ours.grad, p_theirs.grad)


def test_clip_grad_norm_empty_and_nonfinite():
    total = NT_UTILS.clip_grad_norm_([], 1.0)
    assert total.item() == 0.0 and total.dtype == numtorch.float32
    with pytest.warns(UserWarning, match="`parameters` is an empty generator, no gradient clipping will occur."):
        NT_UTILS.clip_grad_norm_((p for p in []), 1.0)
    bad = _params(numtorch, [np.array([1.0, np.inf])])
    with pytest.raises(RuntimeError, match="The total norm of order 2.0 for gradients from `parameters` is non-finite"):
        NT_UTILS.clip_grad_norm_(bad, 1.0, error_if_nonfinite=True)
    assert np.isinf(NT_UTILS.clip_grad_norm_(bad, 1.0, foreach=True).item())


def test_get_total_norm_and_clip_grads_with_norm():
    grads = _grads()[:1] + _grads()[2:]
    ours = NT_UTILS.get_total_norm([numtorch.tensor(g) for g in grads], 3.0)
    theirs = T_UTILS.get_total_norm([torch.tensor(g) for g in grads], 3.0)
    assert_close(ours, theirs, np.float64)
    p_ours, p_theirs = _params(numtorch, grads), _params(torch, grads)
    NT_UTILS.clip_grads_with_norm_(p_ours, 2.0, numtorch.tensor(10.0))
    T_UTILS.clip_grads_with_norm_(p_theirs, 2.0, torch.tensor(10.0))
    for a, b in zip(p_ours, p_theirs):
        assert_close(a.grad, b.grad)


def test_clip_grad_value():
    grads = _grads()
    ours, theirs = _params(numtorch, grads), _params(torch, grads)
    assert NT_UTILS.clip_grad_value_(ours, 0.7) is None
    T_UTILS.clip_grad_value_(theirs, 0.7)
    for a, b in zip(ours, theirs):
        if b.grad is not None:
            assert_close(a.grad, b.grad)


def test_parameters_to_vector_roundtrip():
    lin = numtorch.nn.Linear(3, 2)
    vec = NT_UTILS.parameters_to_vector(lin.parameters())
    np.testing.assert_array_equal(np_of(vec), np.concatenate([np_of(lin.weight).ravel(), np_of(lin.bias)]))
    new = numtorch.arange(8, dtype=numtorch.float32)
    w = lin.weight
    NT_UTILS.vector_to_parameters(new, lin.parameters())
    assert lin.weight is w
    np.testing.assert_array_equal(np_of(lin.weight), np.arange(6).reshape(2, 3))
    np.testing.assert_array_equal(np_of(lin.bias), [6, 7])
    with pytest.raises(TypeError, match="expected torch.Tensor, but got: list"):
        NT_UTILS.vector_to_parameters([1.0], lin.parameters())
    v = NT_UTILS.parameters_to_vector(lin.parameters())
    (v * v).sum().backward()
    np.testing.assert_array_equal(np_of(lin.weight.grad), 2 * np.arange(6).reshape(2, 3))
