"""Process-wide switches of torch.* that numtorch records but that change nothing in its results.

numtorch runs NumPy on one thread, its ops are deterministic, float32 matmuls are always full
precision and denormals are never flushed. Programs set these switches as boilerplate (seeding
helpers, training scripts), so they are accepted, validated as torch validates them, and read
back; `set_flush_denormal` reports False because NumPy cannot flush denormals.
"""
from __future__ import annotations

import math
import os
import warnings

__all__ = ["pi", "e", "inf", "nan", "newaxis", "set_num_threads", "get_num_threads", "set_num_interop_threads",
           "get_num_interop_threads", "use_deterministic_algorithms", "are_deterministic_algorithms_enabled",
           "is_deterministic_algorithms_warn_only_enabled", "set_deterministic_debug_mode",
           "get_deterministic_debug_mode", "set_float32_matmul_precision", "get_float32_matmul_precision",
           "set_warn_always", "is_warn_always_enabled", "set_flush_denormal", "typename", "compile"]

pi = math.pi
e = math.e
inf = math.inf
nan = math.nan
newaxis = None

_state = {"threads": os.cpu_count() or 1, "interop": os.cpu_count() or 1, "interop_set": False,
          "deterministic": False, "warn_only": False, "matmul": "highest", "warn_always": False}


def _positive_int(n, name: str) -> int:
    if type(n) is not int:
        raise RuntimeError(f"{name} expects an int, but got {type(n).__name__}")
    if n <= 0:
        raise RuntimeError(f"{name} expects a positive integer")
    return n


def set_num_threads(int) -> None:  # noqa: A002 - torch's parameter name
    """Recorded only: numtorch computes on NumPy's calling thread."""
    _state["threads"] = _positive_int(int, "set_num_threads")


def get_num_threads() -> int:
    return _state["threads"]


def set_num_interop_threads(int) -> None:  # noqa: A002
    """Recorded only; like torch, it may be set once per process."""
    n = _positive_int(int, "set_num_interop_threads")
    if _state["interop_set"]:
        raise RuntimeError("Error: cannot set number of interop threads after parallel work has started or "
                           "set_num_interop_threads called")
    _state["interop"], _state["interop_set"] = n, True


def get_num_interop_threads() -> int:
    return _state["interop"]


def use_deterministic_algorithms(mode, *, warn_only=False) -> None:
    """Recorded only: every numtorch op is already deterministic."""
    for name, v in (("mode", mode), ("warn_only", warn_only)):
        if type(v) is not bool:
            raise TypeError(f"_set_deterministic_algorithms(): argument '{name}' must be bool, not "
                            f"{type(v).__name__}")
    _state["deterministic"], _state["warn_only"] = mode, warn_only


def are_deterministic_algorithms_enabled() -> bool:
    return _state["deterministic"]


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    return _state["warn_only"]


_DEBUG_MODES = ("default", "warn", "error")


def set_deterministic_debug_mode(debug_mode) -> None:
    if isinstance(debug_mode, str):
        if debug_mode not in _DEBUG_MODES:
            raise RuntimeError(f"invalid value of debug_mode, expected one of `default`, `warn`, `error`, but got "
                               f"{debug_mode}")
        debug_mode = _DEBUG_MODES.index(debug_mode)
    elif type(debug_mode) is int:
        if debug_mode not in (0, 1, 2):
            raise RuntimeError(f"invalid value of debug_mode, expected 0, 1, or 2, but got {debug_mode}")
    else:
        raise TypeError(f"debug_mode must be str or int, but got {type(debug_mode)}")
    use_deterministic_algorithms(debug_mode != 0, warn_only=debug_mode == 1)


def get_deterministic_debug_mode() -> int:
    if not _state["deterministic"]:
        return 0
    return 1 if _state["warn_only"] else 2


def set_float32_matmul_precision(precision: str) -> None:
    """Recorded only: float32 matmuls always run in full float32 precision."""
    if precision not in ("highest", "high", "medium"):
        warnings.warn(f"{precision} is not one of 'highest', 'high', or 'medium'; the current"
                      f"setFloat32MatmulPrecision call has no effect.", UserWarning, stacklevel=2)
        return
    _state["matmul"] = precision


def get_float32_matmul_precision() -> str:
    return _state["matmul"]


def set_warn_always(b: bool) -> None:
    _state["warn_always"] = bool(b)


def is_warn_always_enabled() -> bool:
    return _state["warn_always"]


def set_flush_denormal(mode: bool) -> bool:
    """False: NumPy offers no way to flush denormals to zero, so the request is not honoured."""
    return False


def typename(obj) -> str:
    """torch's type name: 'torch.FloatTensor' for tensors, module-qualified class names otherwise."""
    from ._tensor import Tensor, legacy_type_name
    if isinstance(obj, Tensor):
        return legacy_type_name(obj)
    named = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None)
    owner = obj if named else type(obj)
    module = (getattr(obj, "__module__", "") if named else owner.__module__) or ""
    qualname = named or owner.__qualname__
    return qualname if module in ("", "builtins") else f"{module}.{qualname}"


def compile(model=None, *, fullgraph=False, dynamic=None, backend=None, mode=None, options=None,  # noqa: A001
            name=None, disable=False, recompile_limit=None, isolate_recompiles=False, shapes_spec=None):
    """The model or function itself, unchanged: numtorch has no compiler, and an eager run gives
    the same numbers a compiled one would. Works as `compile(f)`, `@compile` and `@compile(...)`.
    Silent on purpose, so scripts written for torch 2 run without noise."""
    if model is None:
        return lambda m: m
    if not callable(model):
        raise RuntimeError("torch.compile: the model must be callable")
    return model
