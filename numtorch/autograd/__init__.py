"""torch.autograd: backward, grad, grad modes, Function, functional, gradcheck, anomaly mode."""
from __future__ import annotations

import warnings
from collections.abc import Mapping

import numpy as np

from .._tensor import Tensor, wrap
from . import anomaly_mode, function, functional, grad_mode, graph
from .anomaly_mode import detect_anomaly, set_detect_anomaly
from .function import Function
from .grad_mode import (enable_grad, enforce_grad_layout_policy, inference_mode, is_multithreading_enabled, no_grad,
                        set_grad_enabled, set_multithreading_enabled)
from .gradcheck import gradcheck, gradgradcheck
from .graph import Node

__all__ = ["Variable", "Function", "backward", "grad", "grad_mode", "no_grad", "enable_grad", "set_grad_enabled",
           "inference_mode", "detect_anomaly", "set_detect_anomaly", "gradcheck", "gradgradcheck",
           "set_multithreading_enabled", "enforce_grad_layout_policy", "variable", "Node"]


class _VariableMeta(type):
    def __instancecheck__(cls, other) -> bool:
        return isinstance(other, Tensor)


class Variable(metaclass=_VariableMeta):
    """The pre-0.4 wrapper, kept as torch keeps it: Variable(t) is t detached, every Tensor is a Variable."""

    def __new__(cls, data=None, requires_grad=False, volatile=False):
        if data is None:
            from .._dtype import get_default_dtype
            return wrap(np.zeros(0, get_default_dtype().np))
        return data.detach().requires_grad_(requires_grad)


def variable(*args, **kwargs):
    raise RuntimeError("torch.autograd.variable(...) is deprecated, use torch.tensor(...) instead")


def _tensors(x) -> tuple:
    return (x,) if isinstance(x, Tensor) else tuple(x)


def _inputs_tuple(inputs, fn_name: str) -> tuple:
    """inputs= as a tuple: a Tensor or GradientEdge, a sequence, or a dict (its values), as torch accepts."""
    if isinstance(inputs, (Tensor, graph.GradientEdge)):
        return (inputs,)
    if type(inputs) is dict:
        return tuple(inputs.values())
    if isinstance(inputs, Mapping):
        raise TypeError(f"`inputs` argument to `{fn_name}()` must be a dict, not {type(inputs).__name__}. Other "
                        f"Mapping types are not supported.")
    return tuple(inputs)


def _root_grads(outputs, grad_outputs) -> list:
    """One gradient per output: the given one (shape-checked), or ones for a scalar output."""
    from .._size import Size
    grads = (None,) * len(outputs) if grad_outputs is None else _tensors(grad_outputs)
    out = []
    for o, g in zip(outputs, grads):
        if isinstance(g, Tensor):
            if g._data.shape != o._data.shape:
                raise RuntimeError(f"Mismatch in shape: grad_output[{_index(grads, g)}] has a shape of "
                                   f"{Size(g._data.shape)} and output[{_index(outputs, o)}] has a shape of "
                                   f"{Size(o._data.shape)}.")
        elif g is not None:
            raise TypeError(f"gradients can be either Tensors or None, but got {type(g).__name__}")
        elif o._requires_grad:
            if o._data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            if o._data.dtype.kind != "f":
                raise RuntimeError(f"grad can be implicitly created only for real scalar outputs but got "
                                   f"{o.dtype}")
            g = wrap(np.ones(o._data.shape, o._data.dtype))
        out.append(g)
    if len(out) != len(outputs) or len(grads) != len(outputs):
        raise RuntimeError(f"got {len(outputs)} tensors and {len(grads)} gradients")
    return out


def _index(seq, item) -> int:
    return next(i for i, e in enumerate(seq) if e is item)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, grad_variables=None,
             inputs=None):
    """Accumulate d(tensors)/d(leaf) into every leaf's .grad (or only into `inputs`)."""
    from .engine import run_backward
    if grad_variables is not None:
        warnings.warn("`grad_variables` is deprecated. Use `grad_tensors` instead.", FutureWarning, stacklevel=2)
        if grad_tensors is not None:
            raise RuntimeError("`grad_tensors` and `grad_variables` (deprecated) arguments both passed to "
                               "`backward()`. Please only use `grad_tensors`.")
        grad_tensors = grad_variables
    if inputs is not None:
        inputs = _inputs_tuple(inputs, "backward")
        if len(inputs) == 0:
            raise RuntimeError("`inputs` argument to `backward()` cannot be empty.")
    tensors = _tensors(tensors)
    grads = _root_grads(tensors, grad_tensors)
    if retain_graph is None:
        retain_graph = create_graph
    run_backward(tensors, grads, retain_graph, create_graph, inputs=inputs, accumulate=True)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, only_inputs=True,
         allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """The gradients of `outputs` with respect to `inputs`, without touching any .grad."""
    from .engine import run_backward
    if materialize_grads and allow_unused is False:
        raise ValueError("Expected allow_unused to be True or not passed when materialize_grads=True, but "
                         "got: allow_unused=False.")
    if allow_unused is None:
        allow_unused = materialize_grads
    outputs = _tensors(outputs)
    inputs_tuple = _inputs_tuple(inputs, "grad")
    if len(inputs_tuple) == 0:
        raise RuntimeError("`inputs` argument to `grad()` cannot be empty.")
    if not only_inputs:
        warnings.warn("only_inputs argument is deprecated and is ignored now (defaults to True). To accumulate "
                      "gradient for other parts of the graph, please use torch.autograd.backward.",
                      FutureWarning, stacklevel=2)
    if is_grads_batched:
        raise NotImplementedError("autograd.grad(is_grads_batched=True) is not supported: numtorch has no vmap")
    grads = _root_grads(outputs, grad_outputs)
    if retain_graph is None:
        retain_graph = create_graph
    result = run_backward(outputs, grads, retain_graph, create_graph, inputs=inputs_tuple,
                          allow_unused=allow_unused, accumulate=False)
    if materialize_grads:
        if any(g is None and not isinstance(t, Tensor) for g, t in zip(result, inputs_tuple)):
            raise RuntimeError("materialize_grads cannot be used when the given input is a GradientEdge")
        result = tuple(g if g is not None else
                       wrap(np.zeros(t._data.shape, t._data.dtype)).requires_grad_(bool(create_graph))
                       for g, t in zip(result, inputs_tuple))
    if type(inputs) is dict:
        return dict(zip(inputs.keys(), result))
    return result
