"""What the arena races on: classic 2-D test functions and two small neural-network tasks on generated data.

A task builds a fresh `Problem` (params and a loss to recompute) from
numtorch's generator, so seeding right before `build` makes every run of a
task start from the same weights and data.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numtorch
from numtorch import nn
from numtorch.nn import functional as F

__all__ = ["Problem", "Surface", "NetTask", "SURFACES", "NET_TASKS", "TASKS", "task_key"]


@dataclass
class Problem:
    """One run's params and loss. `point()` is where a 2-D run is (None for a network)."""

    params: list                      # (name, Tensor) pairs
    loss: Callable[[], numtorch.Tensor]
    point: Callable[[], tuple] | None = None


@dataclass(frozen=True)
class Surface:
    """A 2-D test function f(x, y), written with numtorch ops so it runs on scalars and on plotting grids alike."""

    key: str
    title: str
    formula: str
    fn: Callable
    start: tuple
    bounds: tuple                     # ((xmin, xmax), (ymin, ymax)) of the picture
    minima: tuple                     # global minimizers, starred in the picture
    f_min: float
    target: float                     # "reached" once the loss is at most this
    kind: str = "2-D function"

    @property
    def plot_offset(self) -> float:
        """Subtracted before log-scale loss plots: the minimum value."""
        return self.f_min

    def describe(self) -> str:
        return f"{self.formula}, from ({self.start[0]:g}, {self.start[1]:g})"

    def build(self, quick: bool) -> Problem:
        xy = numtorch.tensor(self.start, dtype=numtorch.float64, requires_grad=True)
        return Problem([("xy", xy)], lambda: self.fn(xy[0], xy[1]), lambda: tuple(xy.detach().tolist()))


@dataclass(frozen=True)
class NetTask:
    """A small training task; `make(quick)` returns (model or params, loss function of nothing)."""

    key: str
    title: str
    formula: str
    make: Callable
    target: float
    kind: str = "neural network"
    plot_offset: float = 0.0
    minima: tuple = ()

    def describe(self) -> str:
        return self.formula

    def build(self, quick: bool) -> Problem:
        params, loss = self.make(quick)
        return Problem(params, loss)


def _rosenbrock(x, y):
    return (1 - x) ** 2 + 100 * (y - x ** 2) ** 2


def _beale(x, y):
    return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y ** 2) ** 2 + (2.625 - x + x * y ** 3) ** 2


def _himmelblau(x, y):
    return (x ** 2 + y - 11) ** 2 + (x + y ** 2 - 7) ** 2


def _rastrigin(x, y):
    return 20 + x ** 2 - 10 * numtorch.cos(2 * math.pi * x) + y ** 2 - 10 * numtorch.cos(2 * math.pi * y)


def _saddle(x, y):
    return x ** 2 - y ** 2 + y ** 4 / 2


SURFACES = (
    Surface("rosenbrock", "Rosenbrock", "(1-x)² + 100(y-x²)²", _rosenbrock, (-1.2, 1.0),
            ((-2.0, 2.0), (-1.0, 3.0)), ((1.0, 1.0),), 0.0, 1e-2),
    Surface("beale", "Beale", "(1.5-x+xy)² + (2.25-x+xy²)² + (2.625-x+xy³)²", _beale, (1.0, 1.0),
            ((-1.0, 4.5), (-1.5, 2.0)), ((3.0, 0.5),), 0.0, 1e-2),
    Surface("himmelblau", "Himmelblau", "(x²+y-11)² + (x+y²-7)²", _himmelblau, (-0.5, -0.5),
            ((-5.0, 5.0), (-5.0, 5.0)),
            ((3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848126)), 0.0, 1e-2),
    Surface("rastrigin", "Rastrigin", "20 + x² - 10cos(2πx) + y² - 10cos(2πy)", _rastrigin, (2.3, -1.7),
            ((-3.0, 3.0), (-3.0, 3.0)), ((0.0, 0.0),), 0.0, 1.0),
    Surface("saddle", "Saddle", "x² - y² + y⁴/2 (a saddle at 0, minima at y = ±1)", _saddle, (1.5, 1e-3),
            ((-2.0, 2.0), (-1.6, 1.6)), ((0.0, 1.0), (0.0, -1.0)), -0.5, -0.49),
)


def _spirals(quick: bool):
    """Two interleaved spirals, one per class, and an MLP (tanh) to separate them with cross-entropy."""
    n, hidden = (200, 24) if quick else (400, 32)
    half = n // 2
    t = 0.5 + 3 * math.pi * numtorch.rand(half, dtype=numtorch.float32) ** 0.5
    arm = numtorch.stack([t * numtorch.cos(t), t * numtorch.sin(t)], 1) / (3.5 * math.pi)
    x = numtorch.cat([arm, -arm]) + 0.03 * numtorch.randn(n, 2)
    y = numtorch.cat([numtorch.zeros(half, dtype=numtorch.int64), numtorch.ones(half, dtype=numtorch.int64)])
    model = nn.Sequential(nn.Linear(2, hidden), nn.Tanh(), nn.Linear(hidden, hidden), nn.Tanh(), nn.Linear(hidden, 2))
    return list(model.named_parameters()), lambda: F.cross_entropy(model(x), y)


# The thermometer readings of examples/linear_regression.py: Celsius t_c and unknown units t_u.
T_C = (0.5, 14.0, 15.0, 28.0, 11.0, 8.0, 3.0, -4.0, 6.0, 13.0, 21.0)
T_U = (35.7, 55.9, 58.2, 81.9, 56.3, 48.9, 33.9, 21.8, 48.4, 60.4, 68.4)


def _linreg(quick: bool):
    """t_c ≈ w · (0.1 t_u) + b by mean squared error, from w = 1, b = 0 (the best fit has loss ≈ 2.93)."""
    t_c, t_un = numtorch.tensor(T_C), 0.1 * numtorch.tensor(T_U)
    w, b = numtorch.tensor(1.0, requires_grad=True), numtorch.tensor(0.0, requires_grad=True)
    return [("w", w), ("b", b)], lambda: ((w * t_un + b - t_c) ** 2).mean()


NET_TASKS = (
    NetTask("spirals", "Two spirals", "MLP 2-h-h-2 (tanh), cross-entropy on two interleaved spirals", _spirals, 0.1),
    NetTask("linreg", "Linear regression", "t_c ≈ w·(0.1 t_u) + b, mean squared error (examples/linear_regression.py)",
            _linreg, 3.0, kind="linear model"),
)

TASKS = SURFACES + NET_TASKS


def task_key(name: str) -> str:
    """Names are matched ignoring case, spaces, '_', '-' and '+'."""
    return "".join(c for c in name.lower() if c not in " _-+")
