"""torch.Size: a tuple of ints that prints as torch.Size([...]) and stays a Size under + * and slicing."""
from __future__ import annotations

import operator


class Size(tuple):
    __slots__ = ()

    def __new__(cls, sizes=()):
        if type(sizes) is tuple and all(type(s) is int for s in sizes):
            return tuple.__new__(cls, sizes)
        return tuple.__new__(cls, (_as_int(s, i) for i, s in enumerate(sizes)))

    def __repr__(self) -> str:
        return f"torch.Size([{', '.join(map(str, self))}])"

    __str__ = __repr__

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n

    def __getitem__(self, item):
        out = tuple.__getitem__(self, item)
        return Size(out) if isinstance(item, slice) else out

    def __add__(self, other):
        if not isinstance(other, tuple):
            raise TypeError(f"can only concatenate tuple (not {type(other).__name__}) to torch.Size")
        return Size(tuple.__add__(self, other))

    def __radd__(self, other):
        if not isinstance(other, tuple):
            return NotImplemented
        return Size(tuple.__add__(other, self))

    def __mul__(self, n):
        return Size(tuple.__mul__(self, n))

    __rmul__ = __mul__

    def __reduce__(self):
        return (Size, (tuple(self),))


def _as_int(s, i: int) -> int:
    if hasattr(s, "_data") and getattr(s._data, "size", 0) == 1 and s._data.dtype.kind in "iub":
        return int(s._data.reshape(()))
    try:
        return operator.index(s)
    except TypeError:
        raise TypeError(f"torch.Size() takes an iterable of 'int' (item {i} is '{type(s).__name__}')") from None
