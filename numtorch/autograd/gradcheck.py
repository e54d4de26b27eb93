"""gradcheck / gradgradcheck: analytical Jacobians from backward against finite differences.

The numerical Jacobian perturbs one input element at a time in place (central
differences, in the input's own dtype: use float64 inputs) and reads the
outputs; the analytical Jacobian takes one backward pass per output element,
seeded with a one-hot grad_output, twice, to catch a non-reentrant backward.
Both are laid out as torch's: (input numel, output numel), and failures raise
`GradcheckError` with torch's messages.

numtorch has neither forward-mode AD nor vmap, so `check_forward_ad`,
`check_batched_grad` and `check_batched_forward_grad` raise
NotImplementedError; `fast_mode` runs the full (slow) check; undefined output
gradients cannot be expressed in numtorch's engine, so `check_undefined_grad`
adds no check beyond the zero-grad_output one.
"""
from __future__ import annotations

import warnings

import numpy as np

from .._tensor import Tensor, wrap

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError"]


class GradcheckError(RuntimeError):
    """Raised by gradcheck and gradgradcheck when a check fails."""


def _as_tuple(x) -> tuple:
    if isinstance(x, tuple):
        return x
    if isinstance(x, list):
        return tuple(x)
    return (x,)


def _diff_inputs(inputs) -> list:
    return [t for t in inputs if isinstance(t, Tensor) and t._requires_grad]


def _differentiable_outputs(out) -> tuple:
    return tuple(o for o in _as_tuple(out) if isinstance(o, Tensor) and o._requires_grad)


def gradcheck(func, inputs, *, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              raise_exception: bool = True, nondet_tol: float = 0.0, check_undefined_grad: bool = True,
              check_grad_dtypes: bool = False, check_batched_grad: bool = False,
              check_batched_forward_grad: bool = False, check_forward_ad: bool = False,
              check_backward_ad: bool = True, fast_mode: bool = False, masked=None) -> bool:
    """True when the gradients of func at inputs match finite differences (else raise or return False)."""
    if not (check_forward_ad or check_backward_ad):
        raise AssertionError("Expected at least one of check_forward_ad or check_backward_ad to be True")
    if check_batched_grad and not check_backward_ad:
        raise AssertionError("Setting check_batched_grad=True requires check_backward_ad to be True")
    if check_batched_forward_grad and not check_forward_ad:
        raise AssertionError("Setting check_batched_forward_grad=True requires check_forward_ad to be True")
    for flag, name in ((check_forward_ad, "check_forward_ad"), (check_batched_grad, "check_batched_grad"),
                       (check_batched_forward_grad, "check_batched_forward_grad")):
        if flag:
            raise NotImplementedError(f"gradcheck({name}=True) is not supported: numtorch has no forward-mode AD "
                                      f"or vmap")
    try:
        _check(func, _as_tuple(inputs), eps, atol, rtol, nondet_tol, check_grad_dtypes)
    except GradcheckError:
        if raise_exception:
            raise
        return False
    return True


def _check(func, inputs, eps, atol, rtol, nondet_tol, check_grad_dtypes) -> None:
    _check_inputs(inputs)
    func_out = _as_tuple(func(*inputs))
    outputs = _differentiable_outputs(func_out)
    numerical = _numerical_jacobians(func, inputs, func_out, eps)   # [input][output]
    if not outputs:
        if any(np.any(j != 0) for per_input in numerical for j in per_input):
            raise GradcheckError("Numerical gradient for function expected to be zero")
        return
    float_outs = [o for o in func_out if isinstance(o, Tensor) and o._data.dtype.kind == "f"]
    keep = [k for k, o in enumerate(float_outs) if o._requires_grad]
    for i, o in enumerate(outputs):
        analytical = _analytical_jacobians(inputs, o, nondet_tol, check_grad_dtypes)
        for j, a in enumerate(analytical):
            n = numerical[j][keep[i]]
            if not _allclose(a, n, rtol, atol):
                raise GradcheckError(f"Jacobian mismatch for output {i:d} with respect to input {j:d},\n"
                                     f"numerical:{wrap(n)}\nanalytical:{wrap(a)}\n")
    _check_grad_output_is_used(outputs, inputs)


def _check_inputs(inputs) -> None:
    found = False
    for idx, t in enumerate(inputs):
        if not (isinstance(t, Tensor) and t._requires_grad):
            continue
        if t._data.dtype != np.float64:
            warnings.warn(f"Input #{idx} requires gradient and is not a double precision floating point or "
                          f"complex. This check will likely fail if all the inputs are not of double precision "
                          f"floating point or complex. ", UserWarning, stacklevel=4)
        if t._data.size and not all(st > 0 or sz <= 1 for st, sz in zip(t._data.strides, t._data.shape)):
            raise RuntimeError(f"The {idx}th input has a dimension with stride 0. gradcheck only supports inputs "
                               f"that are non-overlapping to be able to compute the numerical gradients correctly. "
                               f"You should call .contiguous on the input before passing it to gradcheck.")
        found = True
    if not found:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, but none of them have "
                         "requires_grad=True.")


def _numerical_jacobians(func, inputs, func_out, eps) -> list:
    """For each input requiring grad, one (input numel, output numel) array per floating output."""
    float_outs = [o for o in func_out if isinstance(o, Tensor) and o._data.dtype.kind == "f"]
    result = []
    for t in _diff_inputs(inputs):
        arr = t._data   # perturbed in place, bypassing the version counter as torch does via .data
        jacs = [np.zeros((arr.size, o._data.size), o._data.dtype) for o in float_outs]
        for row, idx in enumerate(np.ndindex(arr.shape)):
            orig = arr[idx].item()
            arr[idx] = orig - eps
            before = _output_arrays(func, inputs)
            arr[idx] = orig + eps
            after = _output_arrays(func, inputs)
            arr[idx] = orig
            for jac, a, b in zip(jacs, before, after):
                jac[row] = _central_difference(a, b, eps, idx)
        result.append(jacs)
    return result


def _output_arrays(func, inputs) -> list:
    outs = _as_tuple(func(*inputs))
    return [np.array(o._data, copy=True) for o in outs if isinstance(o, Tensor) and o._data.dtype.kind == "f"]


def _central_difference(a, b, eps, idx):
    if a.shape != b.shape:
        raise AssertionError(f"Expected `func` to return outputs with the same shape when inputs are perturbed on "
                             f"index {idx} by {eps}, but got: shapes {a.shape} and {b.shape}.")
    if a.dtype != b.dtype:
        raise AssertionError(f"Expected `func` to return outputs with the same dtype when inputs are perturbed on "
                             f"index {idx} by {eps}, but got: dtypes {a.dtype} and {b.dtype}.")
    return ((b - a) / (2 * eps)).astype(a.dtype, copy=False).reshape(-1)


def _analytical_jacobians(inputs, output, nondet_tol, check_grad_dtypes) -> list:
    diff = _diff_inputs(inputs)
    first, sizes_ok, types_ok = _jacobian_by_rows(diff, output)
    second, _, _ = _jacobian_by_rows(diff, output)
    if not types_ok and check_grad_dtypes:
        raise GradcheckError("Gradient has dtype mismatch")
    if not sizes_ok:
        raise GradcheckError("Analytical gradient has incorrect size")
    if any(a.size and np.abs(a - b).max() > nondet_tol for a, b in zip(first, second)):
        raise GradcheckError("Backward is not reentrant, i.e., running backward with same input and grad_output "
                             "multiple times gives different values, although analytical gradient matches "
                             f"numerical gradient.The tolerance for nondeterminism was {nondet_tol}." + _NONDET)
    return first


def _jacobian_by_rows(diff, output):
    """Column j of each Jacobian: the grads of the inputs for a one-hot grad_output at element j."""
    from . import grad
    n_out = output._data.size
    jacs = [np.zeros((t._data.size, n_out), t._data.dtype) for t in diff]
    sizes_ok = types_ok = True
    seed = np.zeros(n_out, output._data.dtype)
    for j in range(n_out):
        seed[:] = 0
        seed[j] = 1
        grads = grad(output, diff, wrap(seed.reshape(output._data.shape)), retain_graph=True, allow_unused=True)
        for jac, g, t in zip(jacs, grads, diff):
            if g is None:
                continue
            if g._data.shape != t._data.shape:
                sizes_ok = False
                continue
            if g._data.dtype != t._data.dtype:
                types_ok = False
            jac[:, j] = g._data.reshape(-1)
    return jacs, sizes_ok, types_ok


def _allclose(a, n, rtol, atol) -> bool:
    dt = np.promote_types(a.dtype, n.dtype)
    return a.shape == n.shape and bool(np.allclose(a.astype(dt), n.astype(dt), rtol=rtol, atol=atol))


def _check_grad_output_is_used(outputs, inputs) -> None:
    """A zero grad_output must give zero grads of the inputs' dtype and size."""
    from . import grad
    diff = _diff_inputs(inputs)
    zeros = [wrap(np.zeros(o._data.shape, o._data.dtype)) for o in outputs]
    for g, t in zip(grad(outputs, diff, zeros, allow_unused=True), diff):
        if g is None:
            continue
        if np.any(g._data != 0):
            raise GradcheckError("backward not multiplied by grad_output")
        if g._data.dtype != t._data.dtype:
            raise GradcheckError("grad is incorrect type")
        if g._data.shape != t._data.shape:
            raise GradcheckError("grad is incorrect size")


_NONDET = """\n
NOTE: If your op relies on non-deterministic operations i.e., it is listed here:
https://pytorch.org/docs/stable/generated/torch.use_deterministic_algorithms.html
this failure might be expected.

If you are adding a new operator, please file an issue and then use one of the
workarounds. The workaround depends on how your test invokes gradcheck/gradgradcheck.
If the test
- manually invokes gradcheck/gradgradcheck, then call gradcheck/gradgradcheck
  with `nondet_tol=<tol>` as a keyword argument.
- is OpInfo-based (e.g., in test_ops_gradients.py), then modify the OpInfo for the test
  to have `gradcheck_nondet_tol=<tol>`.
- is a Module test (e.g., in common_nn.py), then modify the corresponding
  module_test entry to have `gradcheck_nondet_tol=<tol>`
"""


def gradgradcheck(func, inputs, grad_outputs=None, *, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
                  gen_non_contig_grad_outputs: bool = False, raise_exception: bool = True, nondet_tol: float = 0.0,
                  check_undefined_grad: bool = True, check_grad_dtypes: bool = False,
                  check_batched_grad: bool = False, check_fwd_over_rev: bool = False,
                  check_rev_over_rev: bool = True, fast_mode: bool = False, masked: bool = False) -> bool:
    """gradcheck of the function inputs, grad_outputs -> grads of func (built with create_graph=True).

    Without grad_outputs, random ones in [-1, 1) are drawn from a fixed-seed NumPy generator (torch
    draws them from its global RNG; numtorch leaves the global RNG alone).
    """
    if not (check_fwd_over_rev or check_rev_over_rev):
        raise AssertionError("Expected at least one of check_fwd_over_rev or check_rev_over_rev to be True")
    if check_undefined_grad and not check_rev_over_rev:
        raise AssertionError("Setting check_undefined_grad=True requires check_rev_over_rev to be True")
    if check_batched_grad and not check_rev_over_rev:
        raise AssertionError("Setting check_batched_grad=True requires check_rev_over_rev to be True")
    inputs = _as_tuple(inputs)
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = tuple(_random_like(o, rng) for o in _differentiable_outputs(func(*inputs)))
    else:
        grad_outputs = _as_tuple(grad_outputs)
    n_out = len(grad_outputs)
    diff_in = {i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x._requires_grad}
    diff_go = {i for i, x in enumerate(grad_outputs) if x._requires_grad}

    def grads_of_func(*args):
        from . import grad
        ins = tuple(x.requires_grad_() if i in diff_in else x for i, x in enumerate(args[:-n_out]))
        gos = tuple(x.requires_grad_() if i in diff_go else x for i, x in enumerate(args[-n_out:]))
        outs = _differentiable_outputs(func(*ins))
        res = grad(outs, [ins[i] for i in sorted(diff_in)], gos, create_graph=True, allow_unused=True)
        return tuple(g for g in res if g is not None)

    return gradcheck(grads_of_func, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception, nondet_tol=nondet_tol,
                     check_undefined_grad=check_undefined_grad, check_grad_dtypes=check_grad_dtypes,
                     check_batched_grad=check_batched_grad, fast_mode=fast_mode,
                     check_forward_ad=check_fwd_over_rev, check_backward_ad=check_rev_over_rev, masked=masked)


def _random_like(t: Tensor, rng) -> Tensor:
    dt = t._data.dtype if t._data.dtype.kind == "f" else np.float64
    return wrap(rng.uniform(-1, 1, size=t._data.shape).astype(dt)).requires_grad_()
