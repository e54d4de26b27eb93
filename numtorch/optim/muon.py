"""Muon: momentum SGD for matrices whose update is orthogonalized by a Newton–Schulz iteration.

torch runs the iteration in bfloat16, which NumPy (and so numtorch) has no dtype for. numtorch
runs it in float32 and rounds every intermediate torch stores in bfloat16 to the nearest
bfloat16 value (round half to even, as torch converts), so the update holds exactly the values
torch's bfloat16 tensor holds, except where float32 matmuls summing in a different order than
torch's land on the other side of a bfloat16 rounding boundary (about one element in a
thousand for 30 x 30 matrices, then up to a few bfloat16 ulps after the remaining iterations).
`_zeropower_via_newtonschulz` returns float32 where torch's returns bfloat16.
"""
from __future__ import annotations

import math

import numpy as np

from .._ops.creation import zeros_like
from .._ops.linalg import addmm
from .._tensor import Tensor, wrap
from ._functional import GroupLoopOptimizer, check_at_least, check_lr_size, refuse_complex
from .optimizer import _get_value, _to_scalar

__all__ = ["Muon"]

EPS = 1e-7
DEFAULT_A, DEFAULT_B, DEFAULT_C = 3.4445, -4.7750, 2.0315  # Keller Jordan's quintic, as torch's defaults
DEFAULT_NS_STEPS = 5


class Muon(GroupLoopOptimizer):
    """Muon (Keller Jordan) for 2-D params, with decoupled weight decay; torch.optim.Muon's contract.

    Other params (biases, embeddings) belong in another optimizer, e.g. AdamW.
    """

    def __init__(self, params, lr=1e-3, weight_decay=0.1, momentum=0.95, nesterov=True,
                 ns_coefficients=(DEFAULT_A, DEFAULT_B, DEFAULT_C), eps=EPS, ns_steps=DEFAULT_NS_STEPS,
                 adjust_lr_fn=None):
        check_lr_size(lr)
        check_at_least(lr, "Learning rate")
        check_at_least(momentum, "momentum")
        check_at_least(weight_decay, "weight decay")
        if adjust_lr_fn is not None and adjust_lr_fn not in ("original", "match_rms_adamw"):
            raise ValueError(f"Adjust learning rate function {adjust_lr_fn} is not supported")
        defaults = {"lr": lr, "weight_decay": weight_decay, "momentum": momentum, "nesterov": nesterov,
                    "ns_coefficients": ns_coefficients, "eps": eps, "ns_steps": ns_steps,
                    "adjust_lr_fn": adjust_lr_fn}
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                if p.ndim != 2:
                    raise ValueError(f"Muon only supports 2D parameters whereas we found a parameter with size: "
                                     f"{p.size()}")

    @staticmethod
    def _init_state(state, p, group) -> None:
        state["momentum_buffer"] = zeros_like(p.grad)

    def _step_group(self, group):
        refuse_complex(group, "Muon")
        params, grads, states = self._grads_and_states(group)
        muon(params, grads, [state["momentum_buffer"] for state in states], lr=group["lr"],
             weight_decay=group["weight_decay"], momentum=group["momentum"], nesterov=group["nesterov"],
             ns_coefficients=group["ns_coefficients"], eps=group["eps"], ns_steps=group["ns_steps"],
             adjust_lr_fn=group["adjust_lr_fn"], has_complex=False)


def muon(params, grads, muon_momentum_bufs, *, foreach=None, lr, weight_decay, momentum, nesterov,
         ns_coefficients, ns_steps, eps, adjust_lr_fn, has_complex):
    """Functional Muon: updates params and momentum buffers in place."""
    if foreach:
        raise RuntimeError("Foreach is not supported for Muon yet")
    lr = _to_scalar(lr)
    if has_complex:
        raise ValueError("Complex parameters are not supported")
    for param, grad, buf in zip(params, grads, muon_momentum_bufs):
        if grad.ndim != 2:
            raise ValueError("Param gradient must be a 2D matrix")
        buf.lerp_(grad, 1 - momentum)
        update = grad.lerp(buf, momentum) if nesterov else buf
        update = _zeropower_via_newtonschulz(update, ns_coefficients, ns_steps, eps)
        adjusted_lr = _adjust_lr(lr, adjust_lr_fn, param.shape)
        param.mul_(1 - lr * weight_decay)
        param.add_(update, alpha=-_get_value(adjusted_lr))


def _adjust_lr(lr, adjust_lr_fn, param_shape):
    """lr scaled so that the orthogonalized update's RMS suits the matrix's shape (A x B).

    "original" (Keller Jordan's, the default): sqrt(max(1, A/B)); "match_rms_adamw"
    (Moonshot's): 0.2 sqrt(max(A, B)), the RMS of an AdamW update.
    """
    rows, cols = param_shape[:2]
    if adjust_lr_fn is None or adjust_lr_fn == "original":
        ratio = math.sqrt(max(1, rows / cols))
    elif adjust_lr_fn == "match_rms_adamw":
        ratio = 0.2 * math.sqrt(max(rows, cols))
    else:
        ratio = 1.0
    return lr * ratio


def _zeropower_via_newtonschulz(grad: Tensor, ns_coefficients, ns_steps: int, eps: float) -> Tensor:
    """An approximate orthogonalization U S' V^T of grad = U S V^T, S' roughly in [0.5, 1.5].

    A quintic Newton–Schulz iteration X <- aX + (bA + cA^2)X, A = XX^T, on grad
    scaled to spectral norm <= 1 and laid wide (so A is the smaller Gram matrix).
    Every value torch keeps in bfloat16 is rounded to bfloat16 here (see the module's note).
    """
    if ns_steps >= 100:
        raise ValueError("Number of steps must be less than 100 for computational efficiency")
    if len(grad.shape) != 2:
        raise ValueError("Input tensor gradient must be a 2D matrix")
    if len(ns_coefficients) != 3:
        raise ValueError("Coefficients must be a tuple of exactly 3 values")
    a, b, c = ns_coefficients
    tall = grad.size(0) > grad.size(1)
    x = _bfloat16_rounded(grad.float())
    if tall:
        x = x.T
    x = _bfloat16_rounded(x / _bfloat16_rounded(_bfloat16_rounded(x.norm()).clamp(min=eps)))
    for _ in range(ns_steps):
        gram = _bfloat16_rounded(x @ x.T)
        gram_update = _bfloat16_rounded(addmm(gram, gram, gram, beta=b, alpha=c))
        x = _bfloat16_rounded(addmm(x, gram_update, x, beta=a))
    return x.T if tall else x


def _bfloat16_rounded(t: Tensor) -> Tensor:
    """A float32 tensor of t's values rounded to the nearest bfloat16 (ties to even; NaN stays NaN).

    bfloat16 is float32's upper 16 bits: adding 0x7FFF plus the kept part's lowest
    bit to the bit pattern, then clearing the low 16 bits, rounds half to even.
    """
    data = np.ascontiguousarray(t._data, dtype=np.float32)
    bits = data.view(np.uint32)
    # only NaN bit patterns can wrap around (silently, in uint32); they are put back below
    rounded = ((bits + np.uint32(0x7FFF) + ((bits >> 16) & 1)) & np.uint32(0xFFFF0000)).view(np.float32)
    return wrap(np.where(np.isnan(data), data, rounded))
