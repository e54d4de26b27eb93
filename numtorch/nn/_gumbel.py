"""F.gumbel_softmax: a softmax over logits plus Gumbel(0, 1) noise, optionally made one-hot with the
straight-through gradient. The noise is -log(Exponential(1)) drawn with exponential_, as torch draws
it, so under the same manual_seed the samples are bit-identical to torch's."""
from __future__ import annotations

import warnings

from .._ops.creation import empty_like, zeros_like
from .._tensor import Tensor

__all__ = ["gumbel_softmax"]


def gumbel_softmax(logits: Tensor, tau: float = 1, hard: bool = False, eps: float = 1e-10, dim: int = -1) -> Tensor:
    if eps != 1e-10:
        warnings.warn("`eps` parameter is deprecated and has no effect.", stacklevel=2)
    gumbels = -empty_like(logits).exponential_().log()
    y_soft = ((logits + gumbels) / tau).softmax(dim)
    if not hard:
        return y_soft
    index = y_soft.max(dim, keepdim=True)[1]
    y_hard = zeros_like(logits).scatter_(dim, index, 1.0)
    return y_hard - y_soft.detach() + y_soft
