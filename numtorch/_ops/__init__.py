"""Every op, grouped by kind; importing this package binds the Tensor methods."""
from . import creation, pointwise, reduction, shape  # noqa: F401
from .creation import (arange, as_tensor, empty, empty_like, from_numpy, full, full_like, ones, ones_like,
                       tensor, zeros, zeros_like)
from .pointwise import (add, cos, div, divide, exp, floor_divide, log, mul, multiply, neg, negative, pow, rsub,
                        sigmoid, sin, sqrt, sub, subtract, tanh, true_divide)
from .reduction import mean, sum, sum_to_size

__all__ = [n for n in dir() if not n.startswith("_") and n not in ("creation", "pointwise", "reduction", "shape")]
