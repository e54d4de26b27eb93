"""detect_anomaly: remember where each op was created; find the backward that made a NaN."""
from __future__ import annotations

import traceback
import warnings

__all__ = ["detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled", "is_anomaly_check_nan_enabled"]

_enabled = False
_check_nan = True


def is_anomaly_enabled() -> bool:
    return _enabled


def is_anomaly_check_nan_enabled() -> bool:
    return _check_nan


def remember_forward(node) -> None:
    node._trace = "".join(traceback.format_stack()[:-3])


def check_outputs(node, grads, as_tensors: bool) -> None:
    """Raise torch's error when a backward produced NaN; warn with the forward traceback."""
    if not _check_nan:
        return
    import numpy as np
    for i, g in enumerate(grads):
        if g is None:
            continue
        arr = g._data if as_tensors else g
        if np.isnan(arr).any():
            if node._trace:
                warnings.warn(f"Error detected in {node.name()}. Traceback of forward call that caused the "
                              f"error:\n{node._trace}", RuntimeWarning, stacklevel=2)
            raise RuntimeError(f"Function '{node.name()}' returned nan values in its {i}th output.")


class _Anomaly:
    def __init__(self, mode: bool, check_nan: bool):
        global _enabled, _check_nan
        self._prev = (_enabled, _check_nan)
        self._mode = (mode, check_nan)

    def _set(self, mode):
        global _enabled, _check_nan
        _enabled, _check_nan = mode

    def __exit__(self, *exc):
        self._set(self._prev)
        return False


class detect_anomaly(_Anomaly):
    """Context manager / decorator enabling anomaly detection for the autograd engine."""

    def __init__(self, check_nan: bool = True):
        warnings.warn("Anomaly Detection has been enabled. This mode will increase the runtime and should "
                      "only be enabled for debugging.", UserWarning, stacklevel=2)
        super().__init__(True, check_nan)

    def __enter__(self):
        self._prev = (_enabled, _check_nan)
        self._set(self._mode)
        return self

    def __call__(self, fn):
        import functools

        @functools.wraps(fn)
        def wrapper(*a, **k):
            with detect_anomaly(self._mode[1]):
                return fn(*a, **k)
        return wrapper


class set_detect_anomaly(_Anomaly):
    """Set anomaly detection on or off; takes effect immediately, also a context manager."""

    def __init__(self, mode: bool, check_nan: bool = True):
        super().__init__(mode, check_nan)
        self._set(self._mode)

    def __enter__(self):
        return self
