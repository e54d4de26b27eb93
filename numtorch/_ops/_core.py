"""How an op records itself: the single path from a forward result to a graph node.

Every differentiable op, built-in or `autograd.Function`, ends in `record` (or
`record_multi`): it wraps the NumPy result in a Tensor and, only when grad mode
is on and some input requires grad, attaches a Node carrying the edges, the
output metadata and the saved tensors. Ops pass `OUT` in `saved` to save their
own output (stored as an alias, so no reference cycle is formed).
"""
from __future__ import annotations

import itertools

import numpy as np

from .._tensor import Tensor, wrap
from ..autograd import anomaly_mode
from ..autograd.grad_mode import _state

__all__ = ["record", "record_multi", "OUT", "edge_of", "grad_needed"]

OUT = object()
_seq = itertools.count()
_new_tensor = Tensor.__new__


def edge_of(x):
    """The graph edge a gradient for `x` travels along, or None."""
    if isinstance(x, Tensor):
        fn = x.grad_fn
        if fn is not None:
            return (fn, x._output_nr)
        if x._requires_grad:
            return (x, 0)
    return None


def grad_needed(*inputs) -> bool:
    """True when an op on these inputs would be recorded."""
    if not _state.enabled:
        return False
    for x in inputs:
        if isinstance(x, Tensor):
            if x._base is not None and x._vc[0] != x._view_version:
                _refresh_view(x)
            if x._requires_grad:
                return True
    return False


def _refresh_view(x: Tensor) -> None:
    """Rebuild a view's history from its base after the base (or a sibling view) was written in place.

    Views share their base's version counter; a view remembers the version it was made at.
    When they differ, the view's grad_fn may predate the write, so it is re-derived by replaying
    the view on the base, as torch does. Checked lazily, when the view is next used in a recorded op.
    """
    derived = x._view_fn(x._base)
    x.grad_fn = derived.grad_fn
    x._output_nr = derived._output_nr
    x._requires_grad = derived._requires_grad
    x._view_version = x._vc[0]


def _alias(out: Tensor, output_nr: int = 0) -> Tensor:
    a = _new_tensor(Tensor)
    a._data = out._data
    a._vc = out._vc
    a._saved_output = True
    a._output_nr = output_nr
    return a


def _attach(node, inputs, metas, outs, saved, attrs):
    node._seq = next(_seq)
    edges = []
    for x in inputs:   # edge_of, inlined: this loop runs for every recorded op
        if isinstance(x, Tensor):
            if x._base is not None and x._vc[0] != x._view_version:
                _refresh_view(x)
            fn = x.grad_fn
            if fn is not None:
                edges.append((fn, x._output_nr))
                continue
            if x._requires_grad:
                edges.append((x, 0))
                continue
        edges.append(None)
    node._next = tuple(edges)
    node._metas = metas
    if saved:
        saved = tuple(_alias(outs[0]) if s is OUT else s for s in saved)
        node._saved = saved
        node._versions = tuple(s._vc[0] if isinstance(s, Tensor) else None for s in saved)
    if attrs:
        node.__dict__.update(attrs)
    if anomaly_mode._enabled:
        anomaly_mode.remember_forward(node)
    if len(outs) == 1:
        out = outs[0]
        out.grad_fn = node
        out._requires_grad = True
        return
    for i, t in enumerate(outs):
        if t is not None:
            t.grad_fn = node
            t._requires_grad = True
            t._output_nr = i


def record(cls, data, inputs, saved=(), attrs=None) -> Tensor:
    """Wrap `data` as the output of op `cls` applied to `inputs`."""
    if type(data) is not np.ndarray:
        data = np.asarray(data)
    out = _new_tensor(Tensor)
    out._data = data
    out._vc = [0]
    if _state.enabled:
        for x in inputs:
            if isinstance(x, Tensor):
                if x._base is not None and x._vc[0] != x._view_version:
                    _refresh_view(x)
                if x._requires_grad:
                    _attach(cls(), inputs, ((data.shape, data.dtype),), (out,), saved, attrs)
                    break
    return out


def record_multi(cls, datas, inputs, saved=(), attrs=None, differentiable=None) -> tuple:
    """Like `record` for an op with several outputs; `differentiable[i]` False leaves output i out."""
    outs = tuple(wrap(d) for d in datas)
    if grad_needed(*inputs):
        node = cls()
        node.multi_output = True
        graph_outs = outs if differentiable is None else \
            tuple(o if d else None for o, d in zip(outs, differentiable))
        metas = tuple((o._data.shape, o._data.dtype) for o in outs)
        _attach(node, inputs, metas, graph_outs, saved, attrs)
    return outs
