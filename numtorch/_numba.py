"""numba, numtorch's one optional accelerator (`pip install numtorch[fast]`): when to use it.

A few loops run as one compiled pass where NumPy needs several passes and
temporaries (an optimizer step, relu's backward) or cannot express them at
all at speed (torch's random streams). Each module that has such loops keeps
them in a `CompiledLoops`, which imports numba on the first call that is
worth it: numba's import and cache load cost about a second once, so small
work never triggers them. NUMTORCH_NUMBA=0 in the environment keeps numba out
entirely. Every loop has a NumPy twin that gives the same numbers; the tests
run both.
"""
from __future__ import annotations

import os
import types

__all__ = []  # internal

MIN_NUMEL = 1 << 16  # elements below which one call is not worth numba's one-time import
OPTIONS = dict(fastmath=False, error_model="numpy")  # IEEE rounding as NumPy's; x/0 gives inf/nan as NumPy's
enabled = os.environ.get("NUMTORCH_NUMBA", "1") != "0"  # tests switch it to run the NumPy twins


class CompiledLoops:
    """Loops compiled by `build(numba)` (a dict name -> compiled function) on first worthwhile use.

    `bitwise_twins`: the NumPy twins give the same bits, so small work may take the compiled loops
    too once numba is loaded. Otherwise (the optimizer's NumPy twin rounds its multiply-adds twice,
    the loops once) the choice depends on the size alone, so that a program's numbers never depend
    on what ran before it.
    """

    def __init__(self, build, bitwise_twins: bool):
        self._build = build
        self._bitwise_twins = bitwise_twins
        self._loops = None  # the dict once built; {} when numba cannot be imported

    def get(self, name: str, numel: int = MIN_NUMEL):
        """The compiled loop `name` for work on `numel` elements, or None: then the NumPy twin runs."""
        if not enabled:
            return None
        if numel < MIN_NUMEL and not (self._bitwise_twins and self._loops):
            return None
        if self._loops is None:
            try:
                import numba
            except ImportError:
                self._loops = {}
            else:
                self._loops = self._build(numba)
        return self._loops.get(name)


def rebind(fn, namespace: dict):
    """`fn` with `namespace` as its globals: compiled before, it calls the compiled helpers found there."""
    return types.FunctionType(fn.__code__, namespace, fn.__name__)
