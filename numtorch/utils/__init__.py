"""numtorch.utils: hooks and (later) data."""
from . import hooks  # noqa: F401
