"""Padding modules: constant / zero, reflection, replication and circular padding of 1 to 3 dims."""
from __future__ import annotations

from .. import functional as F
from .module import Module

__all__ = ["ConstantPad1d", "ConstantPad2d", "ConstantPad3d", "ZeroPad1d", "ZeroPad2d", "ZeroPad3d",
           "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d", "ReplicationPad1d", "ReplicationPad2d",
           "ReplicationPad3d", "CircularPad1d", "CircularPad2d", "CircularPad3d"]


def _expand(padding, nd: int) -> tuple:
    """An int pads every side; a sequence gives (left, right, top, bottom, ...) itself."""
    if isinstance(padding, (list, tuple)):
        return tuple(padding)
    return (padding,) * (2 * nd)


class _PadNd(Module):
    __constants__ = ["padding"]
    _mode = "constant"
    _nd = 1

    def __init__(self, padding) -> None:
        super().__init__()
        self.padding = _expand(padding, self._nd)

    def forward(self, input):
        return F.pad(input, self.padding, self._mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    __constants__ = ["padding", "value"]

    def __init__(self, padding, value: float) -> None:
        super().__init__(padding)
        self.value = value

    def forward(self, input):
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class _ZeroPadNd(_ConstantPadNd):
    def __init__(self, padding) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


def _family(base, mode: str, prefix: str) -> list:
    return [type(f"{prefix}{nd}d", (base,), {"_nd": nd, "_mode": mode, "__module__": __name__})
            for nd in (1, 2, 3)]


ConstantPad1d, ConstantPad2d, ConstantPad3d = _family(_ConstantPadNd, "constant", "ConstantPad")
ZeroPad1d, ZeroPad2d, ZeroPad3d = _family(_ZeroPadNd, "constant", "ZeroPad")
ReflectionPad1d, ReflectionPad2d, ReflectionPad3d = _family(_PadNd, "reflect", "ReflectionPad")
ReplicationPad1d, ReplicationPad2d, ReplicationPad3d = _family(_PadNd, "replicate", "ReplicationPad")
CircularPad1d, CircularPad2d, CircularPad3d = _family(_PadNd, "circular", "CircularPad")
