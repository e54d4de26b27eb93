"""torch.device: numtorch runs on the CPU; naming another device raises a clear error."""
from __future__ import annotations

__all__ = ["device", "check_device"]


class device:
    __slots__ = ("type", "index")

    def __init__(self, type_or_str="cpu", index: int | None = None):
        if isinstance(type_or_str, device):
            self.type, self.index = type_or_str.type, type_or_str.index
            return
        if isinstance(type_or_str, int) and not isinstance(type_or_str, bool):
            type_or_str, index = "cuda", type_or_str
        kind, _, idx = str(type_or_str).partition(":")
        self.type = kind
        self.index = int(idx) if idx else index

    def __repr__(self) -> str:
        return f"device(type='{self.type}')" if self.index is None else \
            f"device(type='{self.type}', index={self.index})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other) -> bool:
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

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
        raise NotImplementedError(
            f"numtorch runs on the CPU only; device '{dev}' is not supported")
