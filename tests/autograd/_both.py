"""Run one scenario under numtorch and under torch, and require the same observable results.

A scenario is a function of the module (`numtorch` or `torch`) that returns
anything built from tensors, numbers, strings, None, tuples/lists and
`raised(...)` records. Tensors are compared by dtype, shape, values (close),
requires_grad and grad_fn name; errors by type and full message.
"""
from __future__ import annotations

import importlib
import warnings

import numpy as np
import torch

import numtorch


def raised(fn):
    """("raised", type name, message) for the exception fn raises, or None."""
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - the exception itself is the observable
        return ("raised", type(e).__name__, str(e))
    return None


def warned(fn):
    """(result or raised record, [(category, message), ...]) of calling fn with every warning recorded."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            out = fn()
        except Exception as e:  # noqa: BLE001
            out = ("raised", type(e).__name__, str(e))
    return out, [(w.category.__name__, str(w.message)) for w in caught]


def submodule(m, name: str):
    """m.<name> as a module (e.g. "autograd.gradcheck", which torch shadows with a function)."""
    return importlib.import_module(f"{m.__name__}.{name}")


def _summary(v):
    if isinstance(v, (torch.Tensor, numtorch.Tensor)):
        arr = v.detach().numpy() if isinstance(v, torch.Tensor) else np.asarray(v.detach()._data)
        fn = v.grad_fn.name() if v.grad_fn is not None else None
        return ("tensor", str(v.dtype).split(".")[-1], tuple(v.shape), v.requires_grad, fn, np.array(arr))
    if isinstance(v, (list, tuple)):
        return tuple(_summary(e) for e in v)
    if isinstance(v, dict):
        return {k: _summary(e) for k, e in v.items()}
    return v


def _compare(a, b, path="result"):
    if isinstance(a, tuple) and a and a[0] == "tensor" and isinstance(b, tuple) and b and b[0] == "tensor":
        assert a[:5] == b[:5], f"{path}: {a[:5]} != torch's {b[:5]}"
        np.testing.assert_allclose(a[5], b[5], rtol=1e-6, atol=1e-7, equal_nan=True, err_msg=path)
        return
    if isinstance(a, tuple) and isinstance(b, tuple):
        assert len(a) == len(b), f"{path}: {a} != torch's {b}"
        for i, (x, y) in enumerate(zip(a, b)):
            _compare(x, y, f"{path}[{i}]")
        return
    if isinstance(a, dict) and isinstance(b, dict):
        assert a.keys() == b.keys(), f"{path}: keys {a.keys()} != torch's {b.keys()}"
        for k in a:
            _compare(a[k], b[k], f"{path}[{k!r}]")
        return
    if isinstance(a, float) and isinstance(b, float) and np.isnan(a) and np.isnan(b):
        return
    assert a == b, f"{path}: {a!r} != torch's {b!r}"


def assert_same(scenario) -> None:
    """scenario(numtorch) observably equals scenario(torch)."""
    _compare(_summary(scenario(numtorch)), _summary(scenario(torch)))


def registry():
    """(decorator, list): collect scenarios of a test module for one parametrized test."""
    found = []

    def add(fn):
        found.append(fn)
        return fn
    return add, found
