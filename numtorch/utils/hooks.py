"""RemovableHandle: what every register_*_hook returns."""
from __future__ import annotations

import itertools
import weakref

__all__ = ["RemovableHandle"]


class RemovableHandle:
    """Removes one hook from the dict(s) it was registered in; usable as a context manager."""

    _ids = itertools.count()

    def __init__(self, hooks_dict, *, extra_dict=None):
        self.id = next(RemovableHandle._ids)
        self.hooks_dict_ref = _ref(hooks_dict)
        extras = extra_dict if isinstance(extra_dict, (list, tuple)) else [extra_dict] if extra_dict is not None else []
        self.extra_dict_ref = tuple(_ref(d) for d in extras)

    def remove(self) -> None:
        for ref in (self.hooks_dict_ref, *self.extra_dict_ref):
            d = ref()
            if d is not None:
                d.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def _ref(d):
    """A weak reference where the dict type allows one (plain dicts do not: hold those strongly)."""
    try:
        return weakref.ref(d)
    except TypeError:
        return lambda: d


def add_hook(hooks: dict, fn, *, prepend: bool = False, extra_dict=None) -> RemovableHandle:
    """Insert fn into an id-keyed dict of hooks (at the front with prepend) and return its handle."""
    handle = RemovableHandle(hooks, extra_dict=extra_dict)
    hooks[handle.id] = fn
    if prepend:
        for k in [k for k in hooks if k != handle.id]:
            hooks[k] = hooks.pop(k)
    return handle
