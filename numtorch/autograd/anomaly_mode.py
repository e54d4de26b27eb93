"""Anomaly detection: remember where each op was created; find the backward that made a NaN.

While enabled, every recorded node keeps the stack of its forward call (user
frames only). When a node's backward fails, the engine warns with that stack;
with check_nan, a backward producing NaN fails with torch's message. The mode
is process-wide, as in torch.
"""
from __future__ import annotations

import os
import traceback
import warnings

import numpy as np

__all__ = ["detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled", "is_anomaly_check_nan_enabled",
           "set_anomaly_enabled"]

_enabled = False
_check_nan = True
_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def is_anomaly_enabled() -> bool:
    return _enabled


def is_anomaly_check_nan_enabled() -> bool:
    return _check_nan


def set_anomaly_enabled(enabled: bool, check_nan: bool = True) -> None:
    global _enabled, _check_nan
    _enabled, _check_nan = bool(enabled), bool(check_nan)


def remember_forward(node) -> None:
    """Keep the user-code stack that created `node` (numtorch's own frames left out)."""
    frames = [f for f in traceback.extract_stack()[:-1] if not f.filename.startswith(_PACKAGE_DIR)]
    node._trace = "".join(traceback.format_list(frames))


def warn_forward_trace(node) -> None:
    """torch's warning naming the node whose backward failed and where it was created."""
    if node._trace:
        warnings.warn(f"Error detected in {node.name()}. Traceback of forward call that caused the error:\n"
                      f"{node._trace}", UserWarning, stacklevel=4)


def check_outputs(node, grads) -> None:
    """Raise torch's error when a backward produced NaN."""
    if not _check_nan:
        return
    for i, g in enumerate(grads):
        if g is None:
            continue
        arr = getattr(g, "_data", g)
        if arr.dtype.kind in "fc" and np.isnan(arr).any():
            raise RuntimeError(f"Function '{node.name()}' returned nan values in its {i}th output.")


class detect_anomaly:
    """Context manager enabling anomaly detection for the autograd engine (not a decorator, as in torch)."""

    def __init__(self, check_nan: bool = True) -> None:
        self.prev = _enabled
        self.check_nan = check_nan
        self.prev_check_nan = _check_nan
        warnings.warn("Anomaly Detection has been enabled. This mode will increase the runtime and should only "
                      "be enabled for debugging.", UserWarning, stacklevel=2)

    def __enter__(self) -> None:
        set_anomaly_enabled(True, self.check_nan)

    def __exit__(self, *exc) -> None:
        set_anomaly_enabled(self.prev, self.prev_check_nan)


class set_detect_anomaly:
    """Set anomaly detection on or off; takes effect immediately, also a context manager."""

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        self.prev = _enabled
        self.prev_check_nan = _check_nan
        set_anomaly_enabled(mode, check_nan)

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc) -> None:
        set_anomaly_enabled(self.prev, self.prev_check_nan)
