"""Compile the fast path's single-pass loops with numba (imported only when numba is installed and wanted).

Each `kernels.<algo>_loop` is compiled with its module's globals swapped for
compiled copies of the update functions, so the math exists once, in
kernels.py, and numba's cache (keyed on that file) is invalidated whenever it
changes. fastmath stays off so that every operation is IEEE-rounded exactly as
NumPy rounds it; error_model="numpy" makes x/0 give inf/nan as NumPy does
(Python's ZeroDivisionError check would also stop LLVM from vectorizing).
"""
from __future__ import annotations

import types

import numba

from . import kernels

__all__ = []  # internal

_ALGOS = ("adam", "sgd", "adagrad", "rmsprop")
_OPTS = dict(fastmath=False, error_model="numpy")

_namespace = dict(vars(kernels))


def _rebind(fn):
    """`fn` with this module's namespace as its globals, so that it calls the compiled update functions."""
    return types.FunctionType(fn.__code__, _namespace, fn.__name__)


for _name in ("lerp",) + _ALGOS:
    _namespace[_name] = numba.njit(**_OPTS)(_rebind(getattr(kernels, _name)))

LOOPS = {name: numba.njit(cache=True, **_OPTS)(_rebind(getattr(kernels, name + "_loop"))) for name in _ALGOS}
