"""torch.utils.checkpoint: activation checkpointing, for programs that use it.

numtorch keeps a checkpointed segment's activations instead of recomputing
them in backward: torch recomputes with the RNG state restored, so both give
the same values and gradients, and numtorch merely does not save the memory.
What does differ between torch's two variants is kept: the reentrant one
(torch's default when `use_reentrant` is not given) gives no gradients at all
when no tensor input requires grad.
"""
from __future__ import annotations

import warnings

from .._tensor import Tensor
from ..autograd.grad_mode import is_grad_enabled, no_grad

__all__ = ["checkpoint", "checkpoint_sequential", "noop_context_fn"]


def noop_context_fn():
    """The default context_fn: no contexts around forward or recomputation."""
    import contextlib
    return contextlib.nullcontext(), contextlib.nullcontext()


def _reentrant_default(use_reentrant, name: str) -> bool:
    if use_reentrant is None:
        warnings.warn(
            f"torch.utils.checkpoint{name}: the use_reentrant parameter should be passed explicitly. "
            "Starting in PyTorch 2.9, calling checkpoint without use_reentrant will raise an exception. "
            "use_reentrant=False is recommended, but if you need to preserve the current default behavior, "
            "you can pass use_reentrant=True. Refer to docs for more details on the differences between the "
            "two variants.", stacklevel=3)
        return True
    return use_reentrant


def checkpoint(function, *args, use_reentrant: bool | None = None, context_fn=noop_context_fn,
               determinism_check: str = "default", debug: bool = False, early_stop: bool = True, **kwargs):
    """function(*args, **kwargs), with the gradients torch's checkpoint gives."""
    use_reentrant = _reentrant_default(use_reentrant, "")
    kwargs.pop("preserve_rng_state", True)
    if not use_reentrant:
        forward_ctx, _ = context_fn()
        with forward_ctx:
            return function(*args, **kwargs)
    if kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
    if context_fn is not noop_context_fn or debug is not False:
        raise ValueError("Passing `context_fn` or `debug` is only supported when use_reentrant=False.")
    if is_grad_enabled() and not any(isinstance(a, Tensor) and a.requires_grad for a in args):
        warnings.warn("None of the inputs have requires_grad=True. Gradients will be None", stacklevel=2)
        with no_grad():
            return function(*args)
    return function(*args)


def checkpoint_sequential(functions, segments: int, input, use_reentrant: bool | None = None, **kwargs):
    """Run `functions` (a Sequential or a list of modules) in order, checkpointed in `segments` chunks."""
    use_reentrant = _reentrant_default(use_reentrant, ".checkpoint_sequential")
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
    functions = list(functions.children()) if hasattr(functions, "children") else list(functions)
    size = len(functions) // segments

    def run(chunk):
        def forward(x):
            for f in chunk:
                x = f(x)
            return x
        return forward

    last = size * (segments - 1)
    for start in range(0, last, size):
        input = checkpoint(run(functions[start:start + size]), input, use_reentrant=use_reentrant,
                           preserve_rng_state=preserve)
    return run(functions[last:])(input)
