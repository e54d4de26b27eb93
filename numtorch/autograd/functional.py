"""torch.autograd.functional: vjp, jvp, jacobian, hessian, hvp, vhp on top of autograd.grad.

Everything here is reverse mode. Forward-mode products (jvp, hvp) use the
double-backward trick: the gradient of a vjp with respect to its (dummy)
cotangent is the jvp. Jacobian rows come from one backward pass each, seeded
with a one-hot cotangent, so no indexing op is recorded. Signatures, return
structures and strict-mode errors follow torch.
"""
from __future__ import annotations

import numpy as np

from .._tensor import Tensor, wrap
from .grad_mode import _state, enable_grad, set_grad_enabled

__all__ = ["vjp", "jvp", "jacobian", "hessian", "hvp", "vhp"]

_FWD_STRATEGIES = ("forward-mode", "reverse-mode")


# -- argument handling ---------------------------------------------------------------------

def _tupled(x, arg_name: str, fn_name: str):
    """(whether x was a tuple, x as a tuple of Tensors), with torch's TypeError otherwise."""
    was_tuple = isinstance(x, tuple)
    items = x if was_tuple else (x,)
    for i, el in enumerate(items):
        if not isinstance(el, Tensor):
            where = f"value at index {i}" if was_tuple else f"given {arg_name}"
            raise TypeError(f"The {arg_name} given to {fn_name} must be either a Tensor or a tuple of Tensors "
                            f"but the {where} has type {type(el)}.")
    return was_tuple, items


def _fresh(tensors, create_graph: bool, need_graph: bool) -> tuple:
    """New Tensor objects for the inputs, so grads w.r.t. them are not confused with captured ones."""
    return tuple(t.view_as(t) if create_graph and t._requires_grad else
                 t.detach().requires_grad_(need_graph) for t in tensors)


def _detached(x, create_graph: bool):
    """Results without history unless the caller asked for a differentiable result."""
    if create_graph:
        return x
    if isinstance(x, tuple):
        return tuple(_detached(e, False) for e in x)
    return x.detach()


def _untupled(res, was_tuple):
    """Undo _tupled; `was_tuple` is a bool, or (outer, inner) for a nested result."""
    if isinstance(was_tuple, tuple):
        outer, inner = was_tuple
        if not inner:
            res = tuple(r[0] for r in res)
        return res if outer else res[0]
    return res if was_tuple else res[0]


def _validate_v(v, ref, ref_is_tuple) -> None:
    if len(v) != len(ref):
        if ref_is_tuple:
            raise RuntimeError(f"v is a tuple of invalid length: should be {len(ref)} but got {len(v)}.")
        raise RuntimeError("The given v should contain a single Tensor.")
    for i, (a, b) in enumerate(zip(v, ref)):
        if a.shape != b.shape:
            where = f"Entry {i} in " if ref_is_tuple else ""
            raise RuntimeError(f"{where}v has invalid size: should be {b.size()} but got {a.size()}.")


def _vector(v, ref, ref_is_tuple, create_graph, fn_name, none_msg):
    if v is None:
        if len(ref) != 1 or ref[0].numel() != 1:
            raise RuntimeError(none_msg)
        return None
    v = _fresh(_tupled(v, "v", fn_name)[1], create_graph, False)
    _validate_v(v, ref, ref_is_tuple)
    return v


_NOT_REQUIRING = {
    "hessian": ("The hessian of the user-provided function with respect to input {i} is independent of the "
                "input. This is not allowed in strict mode. You should ensure that your function is thrice "
                "differentiable and that the hessian depends on the inputs."),
    "jacobian": ("While computing the hessian, found that the jacobian of the user-provided function with "
                 "respect to input {i} is independent of the input. This is not allowed in strict mode. You "
                 "should ensure that your function is twice differentiable and that the jacobian depends on the "
                 "inputs (this would be violated by a linear function for example)."),
    "grad_inputs": ("The gradient with respect to input {i} is independent of the inputs of the user-provided "
                    "function. This is not allowed in strict mode."),
    "outputs": ("Output {i} of the user-provided function does not require gradients. The outputs must be "
                "computed in a differentiable manner from the input when running in strict mode."),
}


def _check_requires_grad(tensors, kind: str, strict: bool) -> None:
    if not strict:
        return
    for i, t in enumerate(tensors):
        if t is None:
            raise RuntimeError(f"The output of the user-provided function is independent of input {i}. This is "
                               f"not allowed in strict mode.")
        if not t._requires_grad:
            raise RuntimeError(_NOT_REQUIRING[kind].format(i=i))


def _grad(outputs, inputs, grad_outputs=None, create_graph=False, retain_graph=None) -> tuple:
    """autograd.grad over the outputs that require grad; None for every input when none does."""
    from . import grad
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    pairs = [(o, g) for o, g in zip(outputs, grad_outputs) if o is not None and o._requires_grad]
    if not pairs:
        return (None,) * len(inputs)
    return grad([o for o, _ in pairs], inputs, [g for _, g in pairs], create_graph=create_graph,
                retain_graph=retain_graph, allow_unused=True)


_INDEPENDENT = {
    "back": "The output of the user-provided function is independent of input {i}. This is not allowed in "
            "strict mode.",
    "back_trick": "The gradient with respect to the input is independent of entry {i} in the grad_outputs when "
                  "using the double backward trick to compute forward mode gradients. This is not allowed in "
                  "strict mode.",
    "double_back": "The jacobian of the user-provided function is independent of input {i}. This is not "
                   "allowed in strict mode.",
    "double_back_trick": "The hessian of the user-provided function is independent of entry {i} in the "
                         "grad_jacobian. This is not allowed in strict mode as it prevents from using the double "
                         "backward trick to replace forward mode AD.",
}


def _fill_in_zeros(grads, refs, strict, create_graph, stage) -> tuple:
    """Missing gradients are zeros (their true value), or an error in strict mode."""
    out = []
    for i, g in enumerate(grads):
        if g is None:
            if strict:
                raise RuntimeError(_INDEPENDENT[stage].format(i=i))
            g = _zeros_like(refs[i])
        elif strict and create_graph and not g._requires_grad:
            what = "hessian" if "double" in stage else "jacobian"
            raise RuntimeError(f"The {what} of the user-provided function is independent of input {i}. This is "
                               f"not allowed in strict mode when create_graph=True.")
        out.append(g)
    return tuple(out)


def _zeros_like(t: Tensor, requires_grad: bool = False) -> Tensor:
    z = wrap(np.zeros(t._data.shape, t._data.dtype))
    return z.requires_grad_() if requires_grad else z


def _run(func, inputs, fn_name):
    outputs = func(*inputs)
    return _tupled(outputs, "outputs of the user-provided function", fn_name)


def _single_output(outputs, is_tuple, fn_name) -> None:
    if is_tuple or not isinstance(outputs[0], Tensor):
        raise RuntimeError(f"The function given to {fn_name} should return a single Tensor")
    if outputs[0].numel() != 1:
        raise RuntimeError(f"The Tensor returned by the function given to {fn_name} should contain a single element")


def _last_grad(roots, wrt, v, like, create_graph, strict, stage):
    """The product's final backward: recorded when create_graph asks for it or grad mode is on anyway."""
    with set_grad_enabled(create_graph or _state.enabled):
        res = _grad(roots, wrt, v, create_graph=create_graph)
        return _fill_in_zeros(res, like, strict, create_graph, stage)


def _with_outputs(outputs, outputs_tuple, res, res_tuple, create_graph):
    """(func's outputs, the product), each detached unless create_graph and shaped as the user passed them."""
    return (_untupled(_detached(outputs, create_graph), outputs_tuple),
            _untupled(_detached(res, create_graph), res_tuple))


_V_NONE_INPUT = ("The vector v can only be None if the input to the user-provided function is a single Tensor "
                 "with a single element.")


# -- public API -----------------------------------------------------------------------------

def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), v^T J): the vector-Jacobian product at `inputs`."""
    with enable_grad():
        inputs_tuple, inputs = _tupled(inputs, "inputs", "vjp")
        inputs = _fresh(inputs, create_graph, True)
        outputs_tuple, outputs = _run(func, inputs, "vjp")
        _check_requires_grad(outputs, "outputs", strict)
        v = _vector(v, outputs, outputs_tuple, create_graph, "vjp",
                    "The vector v can only be None if the user-provided function returns a single Tensor with a "
                    "single element.")
    res = _last_grad(outputs, inputs, v, inputs, create_graph, strict, "back")
    return _with_outputs(outputs, outputs_tuple, res, inputs_tuple, create_graph)


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), J v): the Jacobian-vector product, by the double-backward trick."""
    with enable_grad():
        inputs_tuple, inputs = _tupled(inputs, "inputs", "jvp")
        inputs = _fresh(inputs, create_graph, True)
        v = _vector(v, inputs, inputs_tuple, create_graph, "jvp", _V_NONE_INPUT)
        outputs_tuple, outputs = _run(func, inputs, "jvp")
        _check_requires_grad(outputs, "outputs", strict)
        # The vjp is linear in its cotangent, so any finite value works for the dummy.
        dummies = tuple(_zeros_like(o, requires_grad=True) for o in outputs)
        grad_inputs = _grad(outputs, inputs, dummies, create_graph=True)
        _check_requires_grad(grad_inputs, "grad_inputs", strict)
    res = _last_grad(grad_inputs, dummies, v, outputs, create_graph, strict, "back_trick")
    return _with_outputs(outputs, outputs_tuple, res, outputs_tuple, create_graph)


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False, strategy="reverse-mode"):
    """The Jacobian of func at inputs: one backward pass per output element.

    `vectorize=True` computes the same rows one by one (numtorch has no vmap).
    """
    if strategy not in _FWD_STRATEGIES:
        raise AssertionError('Expected strategy to be either "forward-mode" or "reverse-mode". Hint: If your '
                             'function has more outputs than inputs, "forward-mode" tends to be more performant. '
                             'Otherwise, prefer to use "reverse-mode".')
    if strategy == "forward-mode":
        if create_graph:
            raise NotImplementedError('torch.autograd.functional.jacobian: `create_graph=True` and '
                                      '`strategy="forward-mode"` are not supported together (yet). Please either '
                                      'set `create_graph=False` or `strategy="reverse-mode"`.')
        if not vectorize:
            raise NotImplementedError("Computing Jacobian using forward-AD or forward-over-reverse Hessian is"
                                      "only implemented for `vectorize=True`.")
    with enable_grad():
        inputs_tuple, inputs = _tupled(inputs, "inputs", "jacobian")
        inputs = _fresh(inputs, create_graph, True)
        outputs_tuple, outputs = _run(func, inputs, "jacobian")
        _check_requires_grad(outputs, "outputs", strict)
        if vectorize and strict:
            raise RuntimeError("torch.autograd.functional.jacobian: `strict=True` and `vectorized=True` are not "
                               "supported together. Please either set `strict=False` or `vectorize=False`.")
        jac = tuple(_jacobian_of_output(i, out, inputs, create_graph, strict) for i, out in enumerate(outputs))
    return _untupled(_detached(jac, create_graph), (outputs_tuple, inputs_tuple))


def _jacobian_of_output(i, out, inputs, create_graph, strict) -> tuple:
    rows = [[] for _ in inputs]
    seed = np.zeros(out._data.size, out._data.dtype)
    for j in range(out.numel()):
        seed[:] = 0
        seed[j] = 1
        grads = _grad((out,), inputs, (wrap(seed.reshape(out._data.shape).copy()),), create_graph=create_graph,
                      retain_graph=True)
        for k, (g, inp) in enumerate(zip(grads, inputs)):
            if g is None:
                if strict:
                    raise RuntimeError(f"Output {i} of the user-provided function is independent of input {k}. "
                                       f"This is not allowed in strict mode.")
                g = _zeros_like(inp)
            elif strict and create_graph and not g._requires_grad:
                raise RuntimeError(f"The jacobian of the user-provided function is independent of input {i}. "
                                   f"This is not allowed in strict mode when create_graph=True.")
            rows[k].append(g)
    return tuple(_stack_rows(r, tuple(out.shape) + tuple(inp.shape)) for r, inp in zip(rows, inputs))


def _stack_rows(rows, shape) -> Tensor:
    from .._ops import stack
    return stack(rows, 0).view(shape)


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False, outer_jacobian_strategy="reverse-mode"):
    """The Hessian of a scalar function: the Jacobian of its gradient."""
    inputs_tuple, inputs = _tupled(inputs, "inputs", "hessian")
    if outer_jacobian_strategy not in _FWD_STRATEGIES:
        raise AssertionError('Expected strategy to be either "forward-mode" or "reverse-mode".')

    def scalar_func(*inp):
        out = func(*inp)
        out_tuple, outs = _tupled(out, "outputs of the user-provided function", "hessian")
        _check_requires_grad(outs, "outputs", strict)
        _single_output(outs, out_tuple, "hessian")
        return out.squeeze()

    def jac_func(*inp):
        if outer_jacobian_strategy == "forward-mode":
            inp = tuple(t.requires_grad_(True) for t in inp)
        jac = jacobian(scalar_func, inp, create_graph=True)
        _check_requires_grad(jac, "jacobian", strict)
        return jac

    res = jacobian(jac_func, inputs, create_graph=create_graph, strict=strict, vectorize=vectorize,
                   strategy=outer_jacobian_strategy)
    return _untupled(res, (inputs_tuple, inputs_tuple))


def _hessian_setup(func, inputs, v, create_graph, strict, fn_name):
    """Shared start of vhp/hvp: fresh inputs, the validated v, the output and its gradient (with graph)."""
    inputs_tuple, inputs = _tupled(inputs, "inputs", fn_name)
    inputs = _fresh(inputs, create_graph, True)
    v = _vector(v, inputs, inputs_tuple, create_graph, fn_name, _V_NONE_INPUT)
    outputs_tuple, outputs = _run(func, inputs, fn_name)
    _check_requires_grad(outputs, "outputs", strict)
    _single_output(outputs, outputs_tuple, fn_name)
    jac = _grad(outputs, inputs, create_graph=True)
    _check_requires_grad(jac, "jacobian", strict)
    return inputs_tuple, inputs, v, outputs_tuple, outputs, jac


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), v^T H) for a scalar function."""
    with enable_grad():
        inputs_tuple, inputs, v, outputs_tuple, outputs, jac = _hessian_setup(func, inputs, v, create_graph,
                                                                               strict, "vhp")
    res = _last_grad(jac, inputs, v, inputs, create_graph, strict, "double_back")
    return _with_outputs(outputs, outputs_tuple, res, inputs_tuple, create_graph)


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), H v) for a scalar function, by the double-backward trick."""
    with enable_grad():
        inputs_tuple, inputs, v, outputs_tuple, outputs, jac = _hessian_setup(func, inputs, v, create_graph,
                                                                               strict, "hvp")
        dummies = tuple(_zeros_like(t, requires_grad=True) for t in inputs)
        double_back = _grad(jac, inputs, dummies, create_graph=True)
        _check_requires_grad(jac, "hessian", strict)
    res = _last_grad(double_back, dummies, v, inputs, create_graph, strict, "double_back_trick")
    return _with_outputs(outputs, outputs_tuple, res, inputs_tuple, create_graph)
