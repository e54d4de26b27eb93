"""The recorded graph: Node (torch's grad_fn), saved tensors, and node hooks.

A Node is created by an op only when grad mode is on and an input requires
grad. It holds:

- `_next`: one edge per differentiable input, `(node, output_nr)` or
  `(leaf_tensor, 0)` or None. Leaves are referenced directly instead of via an
  AccumulateGrad object, which keeps the graph free of reference cycles; the
  `next_functions` property shows torch's AccumulateGrad view of them.
- `_metas`: `(shape, dtype)` of each forward output, so the engine can reduce
  a broadcast gradient and cast it in one place (`_reduce_to`).
- `_saved` / `_versions`: tensors the rule needs, each with the version it was
  saved at. `unpack` checks versions and yields NumPy arrays for a plain
  backward or Tensors when the backward itself is being recorded.

A subclass implements `backward(self, grad, *saved)` (or, with
`multi_output = True`, `backward(self, grads, *saved)`) returning one gradient
per input. The same rule code runs on arrays and on Tensors because it only
uses operators and the functions of `numtorch._ops.dual`.
"""
from __future__ import annotations

import itertools
import re
from typing import NamedTuple

from ..utils.hooks import add_hook

__all__ = ["Node", "AccumulateGrad", "GradientEdge", "get_gradient_edge", "increment_version", "saved_tensors_hooks",
           "save_on_cpu", "disable_saved_tensors_hooks", "register_multi_grad_hook", "allow_mutation_on_saved_tensors"]

_sequence = itertools.count()

SECOND_BACKWARD = (
    "Trying to backward through the graph a second time (or directly access saved tensors after "
    "they have already been freed). Saved intermediate values of the graph are freed when you call "
    ".backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the "
    "graph a second time or if you need to access saved tensors after calling backward.")


class Node:
    """A recorded operation; `name()` is torch's grad_fn name (e.g. MulBackward0)."""

    multi_output = False
    _next = ()
    _metas = ()
    _saved = ()
    _versions = ()
    _pre_hooks = None      # {id: fn(grad_outputs)}
    _post_hooks = None     # {id: fn(grad_inputs, grad_outputs)}
    _tensor_hooks = None   # {output_nr: {id: fn(grad)}} from Tensor.register_hook
    _retained = None       # {output_nr: weakref to a tensor that retains its grad}
    _trace = None          # forward stack, recorded under detect_anomaly
    _metadata = None
    _materialize = True    # give a multi-output rule zeros for outputs that got no grad

    def backward(self, grad, *saved):  # pragma: no cover - every op overrides
        raise NotImplementedError(f"{self.name()} has no derivative")

    # -- public surface (torch.autograd.graph.Node) --------------------------------
    def name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        return f"<{self.name()} object at {hex(id(self))}>"

    @property
    def next_functions(self):
        out = []
        for edge in self._next:
            if edge is None:
                out.append((None, 0))
            elif isinstance(edge[0], Node):
                out.append(edge)
            else:
                out.append((AccumulateGrad.of(edge[0]), 0))
        return tuple(out)

    @property
    def metadata(self) -> dict:
        if self._metadata is None:
            self._metadata = {}
        return self._metadata

    def _sequence_nr(self) -> int:
        return self._seq

    def register_hook(self, fn):
        """fn(grad_inputs, grad_outputs) -> new grad_inputs or None, after this node runs."""
        if self._post_hooks is None:
            self._post_hooks = {}
        return add_hook(self._post_hooks, fn)

    def register_prehook(self, fn):
        """fn(grad_outputs) -> new grad_outputs or None, before this node runs."""
        if self._pre_hooks is None:
            self._pre_hooks = {}
        return add_hook(self._pre_hooks, fn)

    def _register_tensor_hook(self, output_nr: int, fn):
        if self._tensor_hooks is None:
            self._tensor_hooks = {}
        return add_hook(self._tensor_hooks.setdefault(output_nr, {}), fn)

    @property
    def needs_input_grad(self) -> tuple:
        return tuple(e is not None for e in self._next)

    # -- saved tensors -------------------------------------------------------------
    def unpack(self, as_tensors: bool) -> tuple:
        """The saved values, version-checked: arrays, or Tensors (outputs re-attached to self).

        Non-tensor constants (Python numbers, index arrays) are saved with version None and
        pass through unchanged.
        """
        saved = self._saved
        if saved is None:
            raise RuntimeError(SECOND_BACKWARD)
        out = []
        for t, v in zip(saved, self._versions):
            if v is None:
                out.append(t)
                continue
            if t._vc[0] != v:
                raise RuntimeError(_version_error(t, v, self))
            if not as_tensors:
                out.append(t._data)
            else:
                out.append(t._reattach(self) if t._saved_output else t)
        return out

    def release(self) -> None:
        if self._saved:
            self._saved = None


def _version_error(t, expected: int, node) -> str:
    from .._tensor import legacy_type_name
    from . import anomaly_mode
    owner_node = node if t._saved_output else t.grad_fn
    owner = f", which is output {t._output_nr} of {_short_name(owner_node.name())}," if owner_node else ""
    hint = _ANOMALY_HINT if anomaly_mode._enabled else _HINT
    return (f"one of the variables needed for gradient computation has been modified by an inplace "
            f"operation: [{legacy_type_name(t)} [{', '.join(map(str, t.shape))}]]{owner} is at version "
            f"{t._vc[0]}; expected version {expected} instead. {hint}")


_HINT = ("Hint: enable anomaly detection to find the operation that failed to compute its gradient, with "
         "torch.autograd.set_detect_anomaly(True, check_nan=False).")
_ANOMALY_HINT = ("Hint: the backtrace further above shows the operation that failed to compute its gradient. "
                 "The variable in question was changed in there or anywhere later. Good luck!")


def _short_name(name: str) -> str:
    """torch's name for an op in messages: MulBackward0 -> Mul, MaxBackward1 -> Max1, FnBackward -> Fn."""
    m = re.fullmatch(r"(.*)Backward(\d*)", name)
    if m is None:
        return name
    return m.group(1) + ("" if m.group(2) in ("", "0") else m.group(2))


class AccumulateGrad(Node):
    """torch's node for a leaf. numtorch edges point at leaves directly; this is the view of one."""

    def __init__(self, variable):
        self.variable = variable
        self._seq = -1

    @staticmethod
    def of(tensor) -> "AccumulateGrad":
        acc = tensor.__dict__.get("_accumulator")
        if acc is None:
            acc = tensor._accumulator = AccumulateGrad(tensor)
        return acc

    @property
    def next_functions(self):
        return ()

    def name(self) -> str:
        return "torch::autograd::AccumulateGrad"

    def register_prehook(self, fn):
        """fn((grad,)) -> new (grad,) or None; runs with the leaf's tensor hooks, before accumulation."""
        def hook(grad):
            out = fn((grad,))
            return None if out is None else out[0]
        return self.variable.register_hook(hook)

    def register_hook(self, fn):
        """fn((), (grad,)) after accumulation (grad_outputs shows the accumulated .grad)."""
        return self.variable.register_post_accumulate_grad_hook(lambda t: fn((), (t.grad,)))


def new_sequence_nr() -> int:
    return next(_sequence)


# -- torch.autograd.graph's public helpers -------------------------------------------------

class GradientEdge(NamedTuple):
    """Where the gradient of a tensor enters the graph."""

    node: Node
    output_nr: int


def get_gradient_edge(tensor) -> GradientEdge:
    if tensor.grad_fn is not None:
        return GradientEdge(tensor.grad_fn, tensor._output_nr)
    if tensor._requires_grad:
        return GradientEdge(AccumulateGrad.of(tensor), 0)
    raise RuntimeError("It is not possible to get the gradient edge for a Tensor that does not require gradients")


def increment_version(tensor) -> None:
    """Bump the version counter(s), as an in-place op would (so saved-tensor checks notice)."""
    for t in (tensor,) if not isinstance(tensor, (list, tuple)) else tensor:
        t._vc[0] += 1


_hooks_disabled_message = None


class saved_tensors_hooks:
    """Not supported: numtorch saves tensors directly (packing hooks are not implemented)."""

    def __init__(self, pack_hook, unpack_hook):
        if _hooks_disabled_message is not None:
            raise RuntimeError(_hooks_disabled_message)
        raise NotImplementedError("torch.autograd.graph.saved_tensors_hooks is not supported by numtorch")


class save_on_cpu:
    """Saved tensors already live on the CPU in numtorch, so this changes nothing."""

    def __init__(self, pin_memory: bool = False, device_type: str = "cuda"):
        self.pin_memory = pin_memory

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


class disable_saved_tensors_hooks:
    """Inside, saved_tensors_hooks raises RuntimeError(error_message)."""

    def __init__(self, error_message: str):
        self.error_message = error_message

    def __enter__(self):
        global _hooks_disabled_message
        self._prev = _hooks_disabled_message
        _hooks_disabled_message = self.error_message

    def __exit__(self, *exc):
        global _hooks_disabled_message
        _hooks_disabled_message = self._prev


def register_multi_grad_hook(tensors, fn, *, mode: str = "all"):
    raise NotImplementedError("torch.autograd.graph.register_multi_grad_hook is not supported by numtorch")


class allow_mutation_on_saved_tensors:
    def __init__(self):
        raise NotImplementedError("torch.autograd.graph.allow_mutation_on_saved_tensors is not supported by numtorch")
