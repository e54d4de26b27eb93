"""torch.cuda on a CPU-only library: nothing is available, seeding is a no-op.

Enough for the idiom `device = "cuda" if torch.cuda.is_available() else "cpu"`
and for code that seeds every device.
"""
from __future__ import annotations

__all__ = ["is_available", "device_count", "manual_seed", "manual_seed_all", "seed", "seed_all",
           "is_initialized", "synchronize"]


def is_available() -> bool:
    return False


def device_count() -> int:
    return 0


def is_initialized() -> bool:
    return False


def manual_seed(seed) -> None:
    """Seeds nothing: there is no CUDA generator (torch does the same without CUDA)."""


def manual_seed_all(seed) -> None:
    """Seeds nothing: there is no CUDA generator."""


def seed() -> None:
    """Seeds nothing: there is no CUDA generator."""


def seed_all() -> None:
    """Seeds nothing: there is no CUDA generator."""


def synchronize(device=None) -> None:
    raise AssertionError("Torch not compiled with CUDA enabled")
