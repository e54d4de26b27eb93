"""Helpers for nn tests: build the same architecture in torch and numtorch, share weights via NumPy."""
from __future__ import annotations

import numpy as np
import torch

import numtorch

TOL = {np.float64: dict(rtol=1e-10, atol=1e-12), np.float32: dict(rtol=2e-5, atol=2e-6)}


def np_of(t) -> np.ndarray:
    """The values of a torch or numtorch tensor as a NumPy array."""
    if isinstance(t, torch.Tensor):
        return t.detach().numpy()
    return np.asarray(t.detach().numpy())


def nt_state(torch_module) -> dict:
    """torch module's state_dict, as numtorch tensors."""
    return {k: numtorch.tensor(np_of(v).copy()) for k, v in torch_module.state_dict().items()}


def torch_state(nt_module) -> dict:
    return {k: torch.tensor(np_of(v).copy()) for k, v in nt_module.state_dict().items()}


def twin(build, dtype=np.float32):
    """(torch module, numtorch module) built by build(nn) with numtorch's weights copied from torch's."""
    tm = build(torch.nn)
    nm = build(numtorch.nn)
    if dtype == np.float64:
        tm, nm = tm.double(), nm.double()
    nm.load_state_dict(nt_state(tm))
    return tm, nm


def assert_close(ours, theirs, dtype=np.float32, what="", scale=1.0):
    a, b = np_of(ours), np_of(theirs)
    assert a.shape == b.shape, f"{what}: shape {a.shape} != torch's {b.shape}"
    assert a.dtype == b.dtype, f"{what}: dtype {a.dtype} != torch's {b.dtype}"
    tol = {k: v * scale for k, v in TOL[dtype].items()}
    np.testing.assert_allclose(a, b, equal_nan=True, err_msg=what, **tol)


def compare_forward_backward(tm, nm, *arrays, dtype=np.float32, scale=1.0):
    """Run both modules on the same inputs; compare outputs and the grads of inputs and parameters."""
    t_in = [torch.tensor(a.astype(dtype), requires_grad=True) for a in arrays]
    n_in = [numtorch.tensor(a.astype(dtype), requires_grad=True) for a in arrays]
    t_out, n_out = tm(*t_in), nm(*n_in)
    assert_close(n_out, t_out, dtype, "forward", scale)
    go = np.random.default_rng(1).standard_normal(np_of(t_out).shape).astype(dtype)
    t_out.backward(torch.tensor(go))
    n_out.backward(numtorch.tensor(go))
    for i, (a, b) in enumerate(zip(n_in, t_in)):
        assert_close(a.grad, b.grad, dtype, f"input grad {i}", scale)
    t_params = dict(tm.named_parameters())
    for name, p in nm.named_parameters():
        assert_close(p.grad, t_params[name].grad, dtype, f"grad of {name}", scale)
    return t_out, n_out
