"""torch.autograd.Function: user-defined ops with a hand-written backward.

A Function goes through the same machinery as a built-in op. Its ctx *is* its
graph node (an instance of `<Name>Backward`, a Node subclass made for each
Function subclass); `apply` runs the user's forward under no_grad and hands
the outputs to `_ops._core.record_multi`, which attaches the node exactly as
it does for built-in multi-output ops. When the engine reaches the node, the
node's `backward` wraps the incoming gradients as Tensors (user code only
ever sees Tensors), calls the user's backward, checks what came back, and
returns arrays for a plain backward or Tensors when create_graph recorded it.

Saved tensors live in the node's `_saved` like a built-in op's, but they are
unpacked lazily by `ctx.saved_tensors`, so, as in torch, a backward that never
reads them does not fail on a second pass, and version checks happen on use.
"""
from __future__ import annotations

import functools
import inspect
import warnings

from .._tensor import Tensor, wrap
from .grad_mode import _state, no_grad
from .graph import Node

__all__ = ["Function", "FunctionCtx", "BackwardCFunction", "once_differentiable"]


class FunctionCtx:
    """What `forward`/`setup_context`/`backward` receive as ctx (torch.autograd.function.FunctionCtx)."""

    to_save = None
    dirty_tensors = None
    non_differentiable = None
    saved_for_forward = None

    def save_for_backward(self, *tensors) -> None:
        for i, t in enumerate(tensors):
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(f"save_for_backward can only save variables, but argument {i} is of type "
                                f"{type(t).__name__}")
        self.to_save = tensors

    def save_for_forward(self, *tensors) -> None:
        self.saved_for_forward = tensors

    def mark_dirty(self, *args) -> None:
        self.dirty_tensors = args

    def mark_non_differentiable(self, *args) -> None:
        self.non_differentiable = args

    def set_materialize_grads(self, value: bool) -> None:
        self._materialize = bool(value)

    @property
    def materialize_grads(self) -> bool:
        return self._materialize


class BackwardCFunction(FunctionCtx, Node):
    """The node of one Function call; its ctx. Subclassed per Function as `<Name>Backward`."""

    multi_output = True
    _forward_cls = None
    needs_input_grad = ()   # per forward argument (shadows Node's per-edge property)
    _tensor_args = ()       # positions of the Tensor arguments, one per graph edge
    _in_shapes = ()         # their shapes, to validate returned gradients
    _out_slots = None       # position of each Tensor output among all outputs, when some are not Tensors
    _n_outputs = 1

    def __repr__(self) -> str:
        return f"<numtorch.autograd.function.{self.name()} object at {hex(id(self))}>"

    # -- saved tensors ---------------------------------------------------------------
    def unpack(self, as_tensors: bool) -> tuple:
        return ()   # the user's backward unpacks through ctx.saved_tensors, on use

    @property
    def saved_tensors(self) -> tuple:
        if not self._saved and self._saved is not None:
            return ()
        return tuple(Node.unpack(self, True))

    @property
    def saved_variables(self) -> tuple:
        warnings.warn("'saved_variables' is deprecated; use 'saved_tensors'", DeprecationWarning, stacklevel=2)
        return self.saved_tensors

    # -- the engine's entry point ---------------------------------------------------
    def backward(self, grads, *saved):
        as_tensors = _state.enabled
        grads = [g if g is None or as_tensors else wrap(g) for g in grads]
        if self._out_slots is not None:
            full = [None] * self._n_outputs
            for slot, g in zip(self._out_slots, grads):
                full[slot] = g
            grads = full
        result = self.apply(*grads)
        return self._check_grads(result, as_tensors)

    def apply(self, *grads):
        """Run the user's backward (or vjp) on Tensor gradients, as torch's BackwardCFunction.apply."""
        cls = self._forward_cls
        user_bwd, user_vjp = cls.backward, cls.vjp
        if user_bwd is not Function.backward and user_vjp is not Function.vjp:
            raise RuntimeError("Implementing both 'backward' and 'vjp' for a custom Function is not allowed. "
                               "You should only implement one of them.")
        fn = user_vjp if user_vjp is not Function.vjp else user_bwd
        return fn(self, *grads)

    def _check_grads(self, result, as_tensors):
        if not isinstance(result, tuple):
            result = (result,)
        n_args = len(self.needs_input_grad)
        if len(result) > n_args and all(g is None for g in result[n_args:]):
            result = result[:n_args]
        if len(result) != n_args:
            raise RuntimeError(f"function {self.name()} returned an incorrect number of gradients (expected "
                               f"{n_args}, got {len(result)})")
        for g in result:
            if g is not None and not isinstance(g, Tensor):
                raise RuntimeError(f"expected Variable or None (got {type(g).__name__})")
        tensor_args = self._tensor_args
        for i, g in enumerate(result):
            if g is not None and i not in tensor_args:
                raise RuntimeError(f"function {self.name()} returned a gradient different than None at position "
                                   f"{i + 1}, but the corresponding forward input was not a Variable")
        out = []
        for k, (pos, edge) in enumerate(zip(tensor_args, self._next)):
            g = result[pos]
            if g is None or edge is None:
                out.append(None)
                continue
            shape = self._in_shapes[k]
            if g._data.shape != shape and not _expandable(shape, g._data.shape):
                raise RuntimeError(f"Function {self.name()} returned an invalid gradient at index {k} - got "
                                   f"{list(g._data.shape)} but expected shape compatible with {list(shape)}")
            out.append(g if as_tensors else g._data)
        return out


def _expandable(shape, target) -> bool:
    """Whether `shape` broadcasts to `target` (so the engine can sum a gradient back down)."""
    if len(shape) > len(target):
        return False
    return all(s == 1 or s == t for s, t in zip(reversed(shape), reversed(target)))


class Function:
    """Base class for user-defined differentiable operations; call them with `.apply`."""

    _backward_cls = BackwardCFunction
    generate_vmap_rule = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls._backward_cls = type(cls.__name__ + "Backward", (BackwardCFunction,),
                                 {"_forward_cls": cls, "__module__": __name__})

    def __init__(self, *args, **kwargs):
        warnings.warn(f"{type(self)} should not be instantiated. Methods on autograd functions are all static, "
                      f"so you should invoke them on the class itself. Instantiating an autograd function will "
                      f"raise an error in a future version of PyTorch.", DeprecationWarning, stacklevel=2)

    def __call__(self, *args, **kwargs):
        raise RuntimeError("Legacy autograd function with non-static forward method is deprecated. Please use "
                           "new-style autograd function with static forward method. (Example: "
                           "https://pytorch.org/docs/stable/autograd.html#torch.autograd.Function)")

    @staticmethod
    def forward(*args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def setup_context(ctx, inputs, output):
        raise NotImplementedError("setup_context is not implemented.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for your custom "
                                  "autograd.Function to use it with backward mode AD.")

    vjp = backward

    @staticmethod
    def jvp(ctx, *grad_inputs):
        raise NotImplementedError("You must implement the jvp function for custom autograd.Function to use it "
                                  "with forward mode AD.")

    @staticmethod
    def vmap(info, in_dims, *args):
        raise NotImplementedError("numtorch has no vmap; autograd.Function.vmap is not supported")

    @classmethod
    def apply(cls, *args, **kwargs):
        new_style = cls.setup_context is not Function.setup_context
        if new_style or kwargs:
            args, kwargs = _bind(cls.forward, args, kwargs, skip_ctx=not new_style, defaults=new_style)
        ctx = cls._backward_cls()
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a._requires_grad for a in args)
        with no_grad():
            if new_style:
                output = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args, output)
            else:
                output = cls.forward(ctx, *args, **kwargs)
        return _wrap_outputs(ctx, args, output)


def _bind(fn, args, kwargs, skip_ctx: bool, defaults: bool):
    """Fold keyword arguments into positional ones, by forward's signature, as torch does."""
    bound = _signature(fn, skip_ctx).bind(*args, **kwargs)
    if defaults:
        bound.apply_defaults()
    return bound.args, bound.kwargs


@functools.lru_cache(maxsize=None)
def _signature(fn, skip_ctx: bool) -> inspect.Signature:
    sig = inspect.signature(fn)
    if skip_ctx:
        sig = sig.replace(parameters=list(sig.parameters.values())[1:])
    return sig


def _wrap_outputs(ctx, args, output):
    """Give the forward's Tensor outputs their history (or none), per mark_dirty/mark_non_differentiable."""
    is_tuple = isinstance(output, tuple)
    outputs = output if is_tuple else (output,)
    inputs = [a for a in args if isinstance(a, Tensor)]
    input_ids = {id(t) for t in inputs}
    dirty = {id(t) for t in ctx.dirty_tensors or ()}
    if dirty - {id(o) for o in outputs}:
        raise RuntimeError("Some elements marked as dirty during the forward method were not returned as output. "
                           "The inputs that are modified inplace must all be outputs of the Function.")
    recording = _state.enabled and any(t._requires_grad for t in inputs)
    if recording:
        for t in ctx.dirty_tensors or ():
            _check_dirty(t)
    non_diff = {id(t) for t in ctx.non_differentiable or ()}
    results = list(outputs)
    slots = [i for i, o in enumerate(outputs) if isinstance(o, Tensor)]
    for i in slots:
        o = outputs[i]
        if id(o) in dirty:
            o._vc[0] += 1
        elif id(o) in input_ids:
            results[i] = _alias_of_input(o)
    diff = [outputs[i]._data.dtype.kind == "f" and id(outputs[i]) not in non_diff for i in slots]
    if recording and any(diff):
        _record(ctx, args, inputs, outputs, results, slots, diff, dirty)
    return tuple(results) if is_tuple else results[0]


def _check_dirty(t: Tensor) -> None:
    """torch's errors for a Function that modified a leaf (or a view of one) requiring grad."""
    if t.grad_fn is None and t._requires_grad and t._base is None:
        raise RuntimeError("a leaf Variable that requires grad has been used in an in-place operation.")
    from .._ops.inplace import check_inplace
    check_inplace(t)


def _alias_of_input(t: Tensor) -> Tensor:
    """An input returned unchanged comes back as a view of it, as torch does."""
    from .._ops.inplace import make_view
    return make_view(t.detach(), t, lambda v: v)


def _record(ctx, args, inputs, outputs, results, slots, diff, dirty) -> None:
    from .._ops._core import record_multi
    tensor_outs = [results[i] for i in slots]
    recorded = record_multi(lambda: ctx, [t._data for t in tensor_outs], inputs, differentiable=diff)
    ctx._tensor_args = tuple(i for i, a in enumerate(args) if isinstance(a, Tensor))
    ctx._in_shapes = tuple(t._data.shape for t in inputs)
    if len(slots) != len(outputs):
        ctx._out_slots, ctx._n_outputs = tuple(slots), len(outputs)
    for k, (i, rec) in enumerate(zip(slots, recorded)):
        if rec.grad_fn is None:
            continue
        target = results[i]
        if id(target) in dirty and target._base is not None:
            _rebase_view(target, rec)
        else:
            target.grad_fn, target._requires_grad, target._output_nr = ctx, True, k
    _save(ctx, outputs, results, slots)


def _rebase_view(view: Tensor, rec: Tensor) -> None:
    """A view modified in place by the Function: its base's history goes through CopySlices."""
    from .._ops.inplace import _snapshot, copy_slices
    base = view._base
    new_base = copy_slices(_snapshot(base), rec, view._view_fn)
    base.grad_fn, base._output_nr, base._requires_grad = new_base.grad_fn, 0, True
    derived = view._view_fn(base)
    view.grad_fn, view._output_nr, view._requires_grad = derived.grad_fn, derived._output_nr, True


def _save(ctx, outputs, results, slots) -> None:
    """Turn ctx.to_save into the node's saved tensors; outputs are saved as aliases (no cycle)."""
    to_save = ctx.to_save
    if not to_save:
        return
    out_nr = {id(outputs[i]): k for k, i in enumerate(slots) if results[i] is outputs[i]}   # inputs stay inputs
    saved, versions = [], []
    for t in to_save:
        k = None if t is None else out_nr.get(id(t))
        if k is not None and results[slots[k]].grad_fn is ctx:
            t = results[slots[k]].detach()
            t._saved_output, t._output_nr = True, k
        saved.append(t)
        versions.append(None if t is None else t._vc[0])
    ctx._saved, ctx._versions = tuple(saved), tuple(versions)
    ctx.to_save = None


# -- once_differentiable -------------------------------------------------------------------

class Error(Node):
    """Stands behind the grads of a once_differentiable backward; differentiating it again fails."""

    multi_output = True

    def name(self) -> str:
        return "torch::autograd::Error"

    def backward(self, grads):
        raise RuntimeError("trying to differentiate twice a function that was marked with @once_differentiable")


def once_differentiable(fn):
    """Run a backward under no_grad; its results refuse to be differentiated again."""
    @functools.wraps(fn)
    def wrapper(ctx, *args):
        with no_grad():
            outputs = fn(ctx, *args)
        if not _state.enabled or not any(isinstance(a, Tensor) and a._requires_grad for a in args):
            return outputs
        from .._ops._core import record_multi
        seq = outputs if isinstance(outputs, tuple) else (outputs,)
        present = [o for o in seq if isinstance(o, Tensor)]
        leaves = [o.detach().requires_grad_(o._data.dtype.kind == "f") for o in present]
        guarded = iter(record_multi(Error, [o._data for o in present], leaves))
        result = tuple(next(guarded) if isinstance(o, Tensor) else o for o in seq)
        return result if isinstance(outputs, tuple) else result[0]
    return wrapper
