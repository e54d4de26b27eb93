"""Compile the fast path's single-pass loops with numba (imported only when numba is installed and wanted).

Each `kernels.<algo>_loop` is compiled with its module's globals swapped for
compiled copies of the update functions, so the math exists once, in
kernels.py, and numba's cache (keyed on that file) is invalidated whenever it
changes. fastmath stays off so that every operation is IEEE-rounded exactly as
NumPy rounds it, and kernels.fma becomes LLVM's fused multiply-add wherever
torch's kernels fuse (numtorch/_ops/_fma.py's FUSED): the compiled loops are
then bit-for-bit the per-parameter path. error_model="numpy" makes x/0 give
inf/nan as NumPy does (Python's ZeroDivisionError check would also stop LLVM
from vectorizing).
"""
from __future__ import annotations

import types

import numba
from llvmlite import ir
from numba.extending import intrinsic

from ..._ops._fma import FUSED
from . import kernels

__all__ = []  # internal

_ALGOS = ("adam", "sgd", "adagrad", "rmsprop")
_OPTS = dict(fastmath=False, error_model="numpy")

_namespace = dict(vars(kernels))


def _rebind(fn):
    """`fn` with this module's namespace as its globals, so that it calls the compiled update functions."""
    return types.FunctionType(fn.__code__, _namespace, fn.__name__)


@intrinsic
def _fused_multiply_add(typingctx, a, b, c):
    """a*b + c rounded once: LLVM's llvm.fma, which vectorizes (vfmadd)."""
    if not (isinstance(a, numba.types.Float) and a == b == c):
        return None

    def codegen(context, builder, signature, args):
        t = args[0].type
        return builder.call(builder.module.declare_intrinsic("llvm.fma", [t], ir.FunctionType(t, [t, t, t])), args)
    return a(a, b, c), codegen


@numba.njit(**_OPTS)
def _fma(a, b, c):
    return _fused_multiply_add(a, b, c)


# rounded once where torch's kernels round a*b + c once, and so does the per-parameter path; else twice
_namespace["fma"] = _fma if FUSED else numba.njit(**_OPTS)(_rebind(kernels.fma))
for _name in ("lerp", "head") + _ALGOS + tuple(name + "_span" for name in _ALGOS) + \
        tuple(name + "_loop" for name in _ALGOS):
    _namespace[_name] = numba.njit(**_OPTS)(_rebind(getattr(kernels, _name)))


class _Loop(dict):
    """dtype -> the compiled `<name>_loop` for 1-D C-contiguous arrays of that dtype (or `<name>_batch` for
    tuples of kernels.BATCH such arrays, with `batch`), compiled (or loaded from numba's cache) on first use.

    It is the compiled function's entry point, which skips numba's dispatch (typing every argument: ~40% of a
    call's cost); the caller must pass exactly such arrays (aligned, writeable).
    """

    def __init__(self, name, batch=False):
        super().__init__()
        # numba's cache would not notice FUSED change (with NUMTORCH_CPU_CAPABILITY): it keeps the usual case only
        self.dispatcher = numba.njit(cache=FUSED, **_OPTS)(
            _rebind(getattr(kernels, name + ("_batch" if batch else "_loop"))))
        self.nargs = self.dispatcher.py_func.__code__.co_argcount
        self.batch = batch

    def __missing__(self, dtype):
        array = numba.types.Array(numba.from_dtype(dtype), 1, "C")
        each = numba.types.UniTuple(array, kernels.BATCH) if self.batch else array
        args = (each,) * (self.nargs - 1) + (array,)   # the constants `c` last, an array
        self.dispatcher.compile(args)
        try:
            loop = self.dispatcher.overloads[args].entry_point
        except (AttributeError, KeyError):  # numba's internals changed: its dispatch still works
            loop = self.dispatcher
        self[dtype] = loop
        return loop


LOOPS = {name: _Loop(name) for name in _ALGOS}
BATCHES = {name: _Loop(name, batch=True) for name in _ALGOS}
