"""Tensor.__repr__ in torch's format (placeholder; a full port of torch's layout rules follows)."""
from __future__ import annotations

import numpy as np


def tensor_repr(t) -> str:
    body = np.array2string(t._data, separator=", ", prefix="tensor(")
    suffix = []
    if t._data.dtype.kind == "i" and t._data.dtype != np.int64 or t._data.dtype.kind in "ub":
        pass
    if t.grad_fn is not None:
        suffix.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t._requires_grad:
        suffix.append("requires_grad=True")
    return "tensor(" + body + "".join(", " + s for s in suffix) + ")"
