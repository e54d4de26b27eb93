"""The backward engine: dependency counts, then a ready queue. No recursion.

One pass over the graph counts, for every node and leaf, how many edges
feed it. Nodes run in torch's order (highest sequence number first among the
ready ones); a leaf accumulates as soon as all its gradients have arrived.
With `inputs` (autograd.grad, or backward(inputs=...)), only nodes on a path
to an input run.

A plain backward passes NumPy arrays to the rules; with create_graph it
passes Tensors and runs with grad mode on, so the same rules record a graph.
Broadcast reduction and dtype casting happen in `_conform`, and nowhere else.
"""
from __future__ import annotations

import heapq
import sys

import numpy as np

from .._tensor import Tensor, wrap
from . import anomaly_mode
from .grad_mode import _state
from .graph import AccumulateGrad, GradientEdge, Node

__all__ = ["run_backward"]


class _GraphRoot(Node):
    """Feeds the root gradients into the graph."""

    def __init__(self, edges, grads):
        self._next = tuple(edges)
        self._grads = grads
        self._seq = float("inf")

    def backward(self, grad):
        return self._grads


def run_backward(roots, grad_roots, retain_graph, create_graph, inputs=None, allow_unused=False,
                 accumulate=True):
    """Backpropagate from `roots`. With accumulate=False return the grads of `inputs` instead."""
    as_tensors = bool(create_graph)
    if as_tensors and accumulate:
        _warn_grad_cycle()
    edges = []
    for i, r in enumerate(roots):
        if r.grad_fn is None and not r._requires_grad:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have a grad_fn")
        edges.append((r.grad_fn, r._output_nr) if r.grad_fn is not None else (r, 0))
    root = _GraphRoot(edges, [g if as_tensors else g._data for g in grad_roots])

    targets = {}   # edge -> position of its first occurrence in inputs
    first = []     # for each input, the position of its first occurrence (an input may repeat)
    if inputs is not None:
        for i, t in enumerate(inputs):
            if isinstance(t, GradientEdge):
                node = t.node
                edge = (node.variable, 0) if isinstance(node, AccumulateGrad) else (node, t.output_nr)
            elif not isinstance(t, Tensor):
                raise TypeError(f"grad(): inputs must be Tensors, got {type(t).__name__}")
            elif t.grad_fn is not None:
                edge = (t.grad_fn, t._output_nr)
            elif t._requires_grad:
                edge = (t, 0)
            else:
                raise RuntimeError("One of the differentiated Tensors does not require grad")
            first.append(targets.setdefault(edge, i))

    deps = _count_dependencies(root)
    runs = _nodes_to_run(root, targets) if inputs is not None else None
    captured = [None] * (len(inputs) if inputs is not None else 0)
    target_leaves = {k[0] for k in targets if not isinstance(k[0], Node)}

    prev_mode = _state.enabled
    _state.enabled = as_tensors
    try:
        with np.errstate(all="ignore"):   # like torch: inf/nan in gradients are values, not warnings
            _execute(root, deps, runs, targets, captured, target_leaves, as_tensors,
                     retain_graph, accumulate, inputs is not None)
            captured = [captured[j] for j in first]
            if accumulate:
                for t, g in zip(inputs or (), captured):
                    if isinstance(t, Tensor) and t.grad_fn is not None and g is not None:   # non-leaf: a .grad too
                        _accumulate(t, g, as_tensors, leaf=False)
    finally:
        _state.enabled = prev_mode

    if accumulate:
        return None
    out = []
    for i, g in enumerate(captured):
        if g is None:
            if not allow_unused:
                raise RuntimeError(f"The differentiated Tensor at index {i} appears to not have been used in the "
                                   f"graph. Set allow_unused=True if this is the desired behavior.")
        elif not isinstance(g, Tensor):
            g = wrap(g)
        out.append(g)
    return tuple(out)


_warned_cycle = False


def _warn_grad_cycle() -> None:
    """torch's one-time warning: a .grad with history refers back to its own parameter."""
    global _warned_cycle
    if not _warned_cycle:
        _warned_cycle = True
        import warnings
        warnings.warn("Using backward() with create_graph=True will create a reference cycle between the parameter "
                      "and its gradient which can cause a memory leak. We recommend using autograd.grad when "
                      "creating the graph to avoid this. If you have to use this function, make sure to reset the "
                      ".grad fields of your parameters to None after use to break the cycle and avoid the leak.",
                      UserWarning, stacklevel=5)


def _count_dependencies(root) -> dict:
    deps = {}
    stack = [root]
    while stack:
        node = stack.pop()
        for edge in node._next:
            if edge is None:
                continue
            target = edge[0]
            n = deps.get(target)
            if n is None:
                deps[target] = 1
                if isinstance(target, Node):
                    stack.append(target)
            else:
                deps[target] = n + 1
    return deps


def _nodes_to_run(root, targets) -> set:
    """Nodes whose backward leads to an input (post-order, iterative)."""
    target_objs = {k[0] for k in targets}
    runs, done = set(), set()
    stack = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            for edge in node._next:
                if edge is not None and (edge[0] in target_objs or edge[0] in runs):
                    runs.add(node)
                    break
            continue
        if node in done:
            continue
        done.add(node)
        stack.append((node, True))
        for edge in node._next:
            if edge is not None and isinstance(edge[0], Node) and edge[0] not in done:
                stack.append((edge[0], False))
    return runs


def _execute(root, deps, runs, targets, captured, target_leaves, as_tensors, retain_graph,
             accumulate, restricted):
    buffers = {root: [None]}
    ready = [(0, 0, root)]
    tie = 1
    anomaly = anomaly_mode._enabled
    while ready:
        node = heapq.heappop(ready)[2]
        grads = buffers.pop(node)
        if node._tensor_hooks or node._retained:
            _run_tensor_hooks(node, grads, as_tensors)
        if targets:
            for nr in range(len(grads)):
                pos = targets.get((node, nr))
                if pos is not None:
                    captured[pos] = grads[nr]
            if node not in runs and node is not root:
                continue
        if node._pre_hooks:
            grads = _call_pre_hooks(node, grads, as_tensors)
        if node.multi_output:
            for i, g in enumerate(grads):
                if g is None and node._materialize:
                    shape, dtype = node._metas[i]
                    grads[i] = np.zeros(shape, dtype) if not as_tensors else wrap(np.zeros(shape, dtype))
            arg = grads
        else:
            arg = grads[0]
        try:
            saved = node.unpack(as_tensors) if node._saved or node._saved is None else ()
            gins = node.backward(arg, *saved)
            if not retain_graph:
                node.release()
            if node._post_hooks:
                gins = _call_post_hooks(node, gins, grads, as_tensors)
            if anomaly:
                anomaly_mode.check_outputs(node, gins)
        except Exception:
            if anomaly:
                anomaly_mode.warn_forward_trace(node)
            raise
        for edge, g in zip(node._next, gins):
            if edge is None or g is None:
                continue
            target, nr = edge
            is_node = isinstance(target, Node)
            g = _conform(g, target._metas[nr] if is_node else (target._data.shape, target._data.dtype),
                         as_tensors)
            buf = buffers.get(target)
            if buf is None:
                buffers[target] = buf = [None] * (len(target._metas) if is_node else 1)
            prev = buf[nr]
            buf[nr] = g if prev is None else prev + g
            if isinstance(buf[nr], np.generic):  # two 0-d arrays add up to a NumPy scalar, not an array
                buf[nr] = np.asarray(buf[nr])
            left = deps[target] - 1
            deps[target] = left
            if left:
                continue
            if is_node:
                if runs is None or target in runs or any((target, i) in targets for i in range(len(buf))):
                    heapq.heappush(ready, (-target._seq, tie, target))
                    tie += 1
                else:
                    del buffers[target]
            else:
                _finish_leaf(target, buffers.pop(target)[0], targets, captured, target_leaves,
                             as_tensors, accumulate, restricted)


def _conform(g, meta, as_tensors):
    """Reduce a broadcast gradient to its input's shape and cast it to the input's dtype."""
    shape, dtype = meta
    if as_tensors:
        if not isinstance(g, Tensor):
            g = wrap(np.asarray(g))
        if g._data.shape != shape:
            g = dual.sum_to(g, shape)
        if g._data.dtype != dtype:
            g = g.to(_dtype_of(dtype))
        return g
    if type(g) is not np.ndarray:
        if isinstance(g, Tensor):   # a sparse gradient (Embedding(sparse=True)) reaches its leaf as it is
            return g
        g = np.asarray(g)
    if g.shape != shape:
        g = dual.sum_to(g, shape)
    if g.dtype != dtype:
        g = g.astype(dtype)
    return g


def _dtype_of(np_dtype):
    from .._dtype import from_np
    return from_np(np_dtype)


def _finish_leaf(leaf, g, targets, captured, target_leaves, as_tensors, accumulate, restricted):
    stealable = True
    if leaf._hooks:
        g = _apply_tensor_hooks(leaf._hooks.values(), g, as_tensors)
        stealable = False
    pos = targets.get((leaf, 0))
    if pos is not None:
        captured[pos] = g
        stealable = False
    if not accumulate or (restricted and leaf not in target_leaves):
        return
    _accumulate(leaf, g, as_tensors, stealable=stealable)
    if leaf._post_acc_hooks:
        for hook in list(leaf._post_acc_hooks.values()):
            hook(leaf)


class CopyBackwards(Node):
    """History of a .grad first set by a create_graph backward: a copy of the incoming gradient."""

    def name(self) -> str:
        return "torch::autograd::CopyBackwards"

    def backward(self, g):
        return g,


# sys.getrefcount of a gradient array that a rule has just created, as seen in _accumulate: the
# engine's own references on the way (rule result tuple, loop variables, call arguments). One more
# means someone else holds the array (the same array routed to two inputs, a saved value, a
# Function's stored tensor), and it must be copied. tests/autograd/test_grad_stealing.py guards it.
_FRESH_REFS = 7


def _accumulate(t, g, as_tensors, leaf=True, stealable=False) -> None:
    """Add g into t.grad: a fresh copy first, then in place for a leaf (out of place while recording).

    As in torch, a recorded first .grad is a CopyBackwards of g for a leaf, a clone for a non-leaf.
    """
    old = t._grad
    if as_tensors:
        if old is not None:
            t._grad = old + g
        elif leaf:
            from .._ops._core import record
            t._grad = record(CopyBackwards, g._data.copy(), (g,))
        else:
            t._grad = g.clone()
    elif isinstance(g, Tensor):   # sparse: sparse + sparse stays sparse, dense + sparse is dense
        t._grad = g.clone() if old is None else old + g
    elif old is None:
        # Like torch, take the gradient buffer itself when nothing else can see it; copy otherwise.
        if stealable and g.base is None and g.flags.writeable and sys.getrefcount(g) <= _FRESH_REFS:
            t._grad = wrap(g)
        else:
            t._grad = wrap(np.array(g, copy=True))
    elif not leaf or old.grad_fn is not None or old._data.shape != g.shape:
        t._grad = old + wrap(g)
    else:
        np.add(old._data, g, out=old._data)
        old._vc[0] += 1


def _apply_tensor_hooks(hooks, g, as_tensors):
    for hook in list(hooks):
        t = g if as_tensors else wrap(g)
        out = hook(t)
        if out is not None:
            if not isinstance(out, Tensor):
                raise TypeError(f"expected Variable, but hook returned '{type(out).__name__}'")
            g = out if as_tensors else out._data
    return g


def _run_tensor_hooks(node, grads, as_tensors):
    hooks = node._tensor_hooks or {}
    for nr, fns in hooks.items():
        if grads[nr] is not None and fns:
            grads[nr] = _apply_tensor_hooks(fns.values(), grads[nr], as_tensors)
    for nr, ref in (node._retained or {}).items():
        t = ref()
        if t is not None and grads[nr] is not None:
            _accumulate(t, grads[nr], as_tensors, leaf=False)


def _call_pre_hooks(node, grads, as_tensors):
    as_t = [None if g is None else (g if as_tensors else wrap(g)) for g in grads]
    for hook in list(node._pre_hooks.values()):
        out = hook(tuple(as_t))
        if out is not None:
            as_t = list(out)
    return [None if g is None else (g if as_tensors else g._data) for g in as_t]


def _call_post_hooks(node, gins, grads, as_tensors):
    def tensors(seq):
        return tuple(None if g is None else (g if as_tensors or isinstance(g, Tensor) else wrap(g)) for g in seq)
    gin_t, gout_t = tensors(gins), tensors(grads)
    for hook in list(node._post_hooks.values()):
        out = hook(gin_t, gout_t)
        if out is not None:
            gin_t = tensors(out)
    return tuple(None if g is None else (g if as_tensors else g._data) for g in gin_t)


from .._ops import dual  # noqa: E402  (numtorch._ops needs this module first)
