"""The small problems check_optimizer runs optimizers on, with gradients written out in NumPy.

Gradients come from closed forms, not from autograd, so that a failed property
points at the optimizer and never at a model, and so that two optimizers (or a
reference step function) can be fed exactly the same gradients step for step.
Each parameter has its own independent objective; a `Problem` restricted to
some of its parameters (`sub`) keeps their objectives, which is what lets a
two-group optimizer be compared with two separate ones.
"""
from __future__ import annotations

import numpy as np

__all__ = ["Problem"]

_LOG2 = float(np.log(2.0))


class Problem:
    """Independent per-parameter objectives over arrays of the given shapes.

    kind="quadratic": f(x) = 1/2 sum a (x - c)^2 with curvatures a in [0.5, 2]
    (convex; what "descends" means is unambiguous). kind="nonconvex":
    f(x) = sum 1/2 logcosh(2 (x - c)) - cos(3 x) / 6 + n_k x, whose gradient
    tanh(2 (x - c)) + sin(3 x) / 2 + n_k is bounded, changes sign, and carries
    seeded noise n_k that differs at every step k (so an optimizer's state
    matters). `sign=-1` negates the objective (for maximize).
    """

    def __init__(self, shapes, seed: int = 0, kind: str = "nonconvex", sign: float = 1.0):
        rng = np.random.default_rng(seed)
        self.shapes = [tuple(s) for s in shapes]
        self.start = [1.5 * rng.standard_normal(s) for s in self.shapes]
        self.center = [rng.standard_normal(s) for s in self.shapes]
        self.curvature = [rng.uniform(0.5, 2.0, s) for s in self.shapes]
        self.ids = list(range(len(self.shapes)))
        self.seed, self.kind, self.sign = seed, kind, sign

    def __len__(self) -> int:
        return len(self.shapes)

    def sub(self, indices) -> "Problem":
        """The same objectives, for the parameters at `indices` only."""
        out = object.__new__(Problem)
        out.__dict__.update(self.__dict__)
        for name in ("shapes", "start", "center", "curvature", "ids"):
            setattr(out, name, [getattr(self, name)[i] for i in indices])
        return out

    def _noise(self, i: int, step: int) -> np.ndarray:
        rng = np.random.default_rng((self.seed, step, self.ids[i]))
        return 0.3 * rng.standard_normal(self.shapes[i])

    def loss(self, i: int, x: np.ndarray, step: int) -> float:
        x = np.asarray(x, dtype=np.float64)
        u = x - self.center[i]
        if self.kind == "quadratic":
            value = 0.5 * np.sum(self.curvature[i] * u * u)
        else:
            y = 2.0 * u
            value = np.sum(0.5 * (np.logaddexp(y, -y) - _LOG2) - np.cos(3.0 * x) / 6.0 + self._noise(i, step) * x)
        return self.sign * float(value)

    def grad(self, i: int, x: np.ndarray, step: int) -> np.ndarray:
        """The gradient of parameter i's objective at x, in x's dtype."""
        x64 = np.asarray(x, dtype=np.float64)
        u = x64 - self.center[i]
        if self.kind == "quadratic":
            g = self.curvature[i] * u
        else:
            g = np.tanh(2.0 * u) + 0.5 * np.sin(3.0 * x64) + self._noise(i, step)
        return (self.sign * g).astype(np.asarray(x).dtype)

    def tensor_loss(self, i: int, p, step: int):
        """Parameter i's objective as a numtorch expression of `p`, for gradients (and Hessians) by autograd."""
        import numtorch
        as_t = lambda a: numtorch.tensor(np.asarray(a), dtype=p.dtype)  # noqa: E731
        u = p - as_t(self.center[i])
        if self.kind == "quadratic":
            value = (0.5 * as_t(self.curvature[i]) * u * u).sum()
        else:
            y = (2.0 * u).abs()  # logcosh(y) = |y| + log1p(exp(-2|y|)) - log 2, without overflow
            logcosh = y + (-2.0 * y).exp().log1p() - _LOG2
            value = (0.5 * logcosh - (3.0 * p).cos() / 6.0 + as_t(self._noise(i, step)) * p).sum()
        return self.sign * value

    def total_loss(self, arrays, step: int = 0) -> float:
        return sum(self.loss(i, x, step) for i, x in enumerate(arrays))
