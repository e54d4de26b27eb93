"""The optional extras (matplotlib, tqdm, graphviz), imported only when used, with one way to say they are missing."""
from __future__ import annotations

import importlib

__all__ = ["MissingExtra", "require", "available"]

_HINTS = {
    "matplotlib": "pip install matplotlib  (or: pip install 'numtorch[viz]')",
    "tqdm": "pip install tqdm  (or: pip install 'numtorch[viz]')",
    "graphviz": "pip install graphviz, and Graphviz's `dot` program (apt-get install graphviz)",
}


class MissingExtra(ImportError):
    """An optional dependency is not installed; the message says how to install it."""


def require(name: str, what: str):
    """The module `name`, or MissingExtra saying that `what` needs it and how to get it."""
    try:
        return importlib.import_module(name)
    except ImportError:
        top = name.split(".")[0]
        raise MissingExtra(f"{what} needs {top}, which is not installed: {_HINTS.get(top, 'pip install ' + top)}"
                           ) from None


def available(name: str) -> bool:
    try:
        importlib.import_module(name)
    except ImportError:
        return False
    return True
