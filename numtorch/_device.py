"""torch.device: numtorch runs on the CPU; naming another device raises a clear error.

Devices of every torch type can be *named* (code builds `torch.device("cuda")`
before asking whether CUDA is there); only placing a tensor on one is refused.
"""
from __future__ import annotations

__all__ = ["device", "check_device", "get_default_device", "set_default_device"]

_TYPES = ("cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip", "ve", "fpga", "maia",
          "xla", "lazy", "vulkan", "mps", "meta", "hpu", "mtia", "privateuseone")


class device:
    __slots__ = ("type", "index")

    def __init__(self, type=None, index: int | None = None):
        if isinstance(type, device):
            self.type, self.index = type.type, type.index
            return
        if isinstance(type, int) and not isinstance(type, bool):
            raise RuntimeError("Cannot access accelerator device when none is available.")
        if not isinstance(type, str):
            raise TypeError(f"device() received an invalid combination of arguments - got "
                            f"({type.__class__.__name__}), but expected one of:\n * (torch.device device)\n"
                            " * (str type, int index = -1)\n")
        kind, colon, idx = type.partition(":")
        if kind not in _TYPES:
            raise RuntimeError(f"Expected one of {', '.join(_TYPES)} device type at start of device string: "
                               f"{type}")
        if colon:
            if index is not None:
                raise RuntimeError(f"type (string) must not include an index because index was passed "
                                   f"explicitly: {type}")
            if not idx.isdigit():
                raise RuntimeError(f"Invalid device string: '{type}'")
            index = int(idx)
        if index is not None and index < 0:
            raise RuntimeError("Device index must not be negative")
        self.type = kind
        self.index = index

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other) -> bool:
        return isinstance(other, device) and self.type == other.type and self.index == other.index

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __reduce__(self):
        return (device, (self.type, self.index))


CPU = device("cpu")


def check_device(d) -> None:
    """Accept None, 'cpu', 'cpu:N' or device('cpu'); anything else is NotImplementedError."""
    if d is None or d is CPU or d == "cpu":
        return
    dev = device(d)
    if dev.type != "cpu":
        raise NotImplementedError(f"numtorch runs on the CPU only; device '{dev}' is not supported")


def get_default_device() -> device:
    return CPU


def set_default_device(d) -> None:
    """Only the CPU (or None, meaning the CPU) can be the default device."""
    if d is not None:
        check_device(d)
