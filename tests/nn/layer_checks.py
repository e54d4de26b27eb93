"""Checks shared by the layer tests (conv, pool, norm, resampling, embedding): run a functional in numtorch and
torch on the same NumPy inputs and compare values, gradients and gradients of gradients."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import numtorch
from tests.nn.util import assert_close, np_of


def lib_tensors(lib, arrays, dtype, grad=True, int_inputs=()):
    out = []
    for i, a in enumerate(arrays):
        if i in int_inputs:
            out.append(lib.tensor(a))
        else:
            out.append(lib.tensor(np.asarray(a).astype(dtype), requires_grad=grad))
    return out


def compare_fn(fn, *arrays, dtype=np.float64, scale=1.0, int_inputs=(), seed=1, grad=True):
    """fn(lib, *tensors) in both libraries: outputs, grad_fn names and input gradients agree."""
    results = {}
    for lib in (torch, numtorch):
        ins = lib_tensors(lib, arrays, dtype, grad, int_inputs)
        out = fn(lib, *ins)
        outs = list(out) if isinstance(out, tuple) else [out]
        results[lib] = ins, outs
    (t_in, t_out), (n_in, n_out) = results[torch], results[numtorch]
    for i, (a, b) in enumerate(zip(n_out, t_out)):
        assert_close(a, b, dtype, f"forward[{i}]", scale)
    if not grad:
        return n_out, t_out
    first_n, first_t = n_out[0], t_out[0]
    assert (first_n.grad_fn is None) == (first_t.grad_fn is None)
    if first_t.grad_fn is None:
        return n_out, t_out
    assert first_n.grad_fn.name() == first_t.grad_fn.name()
    go = np.random.default_rng(seed).standard_normal(np_of(first_t).shape).astype(dtype)
    diff = [i for i in range(len(arrays)) if i not in int_inputs]
    gt = torch.autograd.grad(first_t, [t_in[i] for i in diff], torch.tensor(go), allow_unused=True)
    gn = numtorch.autograd.grad(first_n, [n_in[i] for i in diff], numtorch.tensor(go), allow_unused=True)
    for i, (a, b) in zip(diff, zip(gn, gt)):
        if b is None:
            assert a is None or not np.any(np_of(a)), f"grad[{i}]: torch has none"
            continue
        assert_close(a, b, dtype, f"grad[{i}]", scale)
    return n_out, t_out


def compare_double_backward(fn, *arrays, dtype=np.float64, scale=1.0, int_inputs=(), seed=2):
    """For an op linear in its (first) input: the gradient, taken with create_graph, differentiated again with
    respect to the incoming gradient and to the other inputs, against torch."""
    rng = np.random.default_rng(seed)
    res = {}
    v = None
    for lib in (torch, numtorch):
        ins = lib_tensors(lib, arrays, dtype, True, int_inputs)
        out = fn(lib, *ins)
        if v is None:
            go_arr = rng.standard_normal(np_of(out).shape).astype(dtype)
            v = [rng.standard_normal(np.shape(arrays[i])).astype(dtype) for i in range(len(arrays))
                 if i not in int_inputs]
        diff = [ins[i] for i in range(len(arrays)) if i not in int_inputs]
        go = lib.tensor(go_arr, requires_grad=True)
        grads = lib.autograd.grad(out, diff, go, create_graph=True, allow_unused=True)
        total = sum((g * lib.tensor(vv)).sum() for g, vv in zip(grads, v) if g is not None)
        res[lib] = grads, lib.autograd.grad(total, [go] + diff, allow_unused=True)
    for what, (a_all, b_all) in (("grad", (res[numtorch][0], res[torch][0])),
                                 ("grad-of-grad", (res[numtorch][1], res[torch][1]))):
        for i, (a, b) in enumerate(zip(a_all, b_all)):
            if b is None or (a is None and not np.any(np_of(b))):
                continue
            assert a is not None, f"{what}[{i}] missing"
            assert_close(a, b, dtype, f"{what}[{i}]", scale)


def same_error(fn, *arrays, exc=RuntimeError, dtype=np.float32, int_inputs=(), match=True):
    """fn raises the same exception type in both libraries (and, with match, the same message)."""
    messages = []
    for lib in (torch, numtorch):
        ins = lib_tensors(lib, arrays, dtype, False, int_inputs)
        with pytest.raises(exc) as info:
            fn(lib, *ins)
        messages.append(str(info.value))
    if match:
        assert messages[1] == messages[0]
    return messages


def module_pair(build, dtype=np.float32):
    """(torch module, numtorch module) with numtorch's state copied from torch's."""
    tm = build(torch.nn)
    nm = build(numtorch.nn)
    if dtype == np.float64:
        tm, nm = tm.double(), nm.double()
    nm.load_state_dict({k: numtorch.tensor(np_of(v).copy()) for k, v in tm.state_dict().items()})
    assert list(nm.state_dict()) == list(tm.state_dict())
    assert repr(nm) == repr(tm)
    return tm, nm
