"""torch.nn.utils.skip_init: build a module without running its parameter initialization."""
from __future__ import annotations

import inspect

from ... import _random
from ..modules.module import Module

__all__ = ["skip_init"]


def skip_init(module_cls, *args, **kwargs):
    """torch builds the module on the meta device and allocates empty storage; numtorch has no meta
    device, so it builds the module normally and restores the random generator, leaving the global
    RNG stream exactly where torch's would be. The values are unspecified, as in torch."""
    if not issubclass(module_cls, Module):
        raise RuntimeError(f"Expected a Module; got {module_cls}")
    if "device" not in inspect.signature(module_cls).parameters:
        raise RuntimeError("Module must support a 'device' arg to skip initialization")
    device = kwargs.pop("device", "cpu")
    state = _random.get_rng_state()
    try:
        module = module_cls(*args, **kwargs)
    finally:
        _random.set_rng_state(state)
    return module.to_empty(device=device)
