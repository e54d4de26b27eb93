"""The fast path's NumPy executor: kernels.py's update functions replayed as plans of in-place NumPy operations.

Without numba, an update runs on NumPy arrays. Run plainly, each operator
makes a new temporary and the results are copied into the param and state
at the end. Instead, the update is traced once per constants (its operators
recorded on stand-in arrays, see _Plan) and replayed chunk by chunk with every
result written into a reused scratch buffer, or straight into the param or
state array it ends in once nothing reads that array's old values. The
operations are the same ufuncs in the same order, so the bits are the same
as the plain run (tests/optim/test_fused.py checks it). Measured on 10M
float32 (one thread, CPU ms): Adam 33.5 -> 20.3, SGD with momentum 15.2 -> 8.5.
"""
from __future__ import annotations

import threading

import numpy as np

__all__ = []  # internal

# per array in a chunk of a NumPy plan; its scratch buffers are reused, so no malloc limit applies. On 10M floats
# (one thread, CPU ms) 64 KiB / 256 KiB / 1 MiB / 4 MiB: Adam 23.1 / 19.8 / 19.6 / 23.2, SGD with momentum
# 11.2 / 9.0 / 8.7 / 10.7, plain SGD 5.9 / 4.9 / 3.4 / 3.5; the MLP step's weights, caches cold, alike from 256 KiB
CHUNK_BYTES = 1 << 20


def numpy_update(update, arrays, args) -> None:
    """kernels.<algo> on NumPy arrays `arrays` (param, grad, *state): small ones whole, large ones by a plan.

    A large contiguous param replays the update's NumPy operations (traced
    once: see _Plan) with every result written into a given array, chunk by
    chunk; elementwise operations give the same bits whatever the split.
    """
    p = arrays[0]
    n = p.size
    if p.nbytes > SMALL and False not in [a.flags.c_contiguous for a in arrays if a is not None]:
        present = tuple([a is not None and a.size == n for a in arrays])  # an empty array is an unused buffer
        flat = [a.reshape(-1) if there else None for a, there in zip(arrays, present)]
        if not _overlapping(flat):
            plan = _plan(update, args, p.dtype, present)
            if plan is not None:
                plan.run(flat, n, max(1, CHUNK_BYTES // p.itemsize))
                return
    for target, value in zip([p, *arrays[2:]], update(*arrays, *args)):
        if target is not None:
            target[...] = value


# bytes of a param up to which the kernel runs on it whole: a plan's setup costs ~3.5 us more, which its
# in-place results win back from about here on (float32, one thread; Adam and SGD alike)
SMALL = 1 << 16
_plans: dict = {}


def _plan(update, args, dtype, present):
    """The _Plan of update(*arrays, *args) for arrays of `dtype` (present ones only), or None: untraceable.

    Plans are found by the constants' bits: equal numbers may differ in the sign of a zero."""
    key = (update, np.array(args).tobytes(), dtype, present)
    plan = _plans.get(key)
    if plan is None and key not in _plans:
        if len(_plans) > 256:  # Adam's constants change at every step
            _plans.clear()
        plan = _plans[key] = _Plan.traced(update, args, dtype, present)
    return plan


def _overlapping(arrays) -> bool:
    """Whether two of `arrays` (None: absent) may share memory: a plan writes some before it has read all
    the others."""
    arrays = [a for a in arrays if a is not None]
    return True in [np.may_share_memory(a, b) for i, a in enumerate(arrays) for b in arrays[i + 1:]]


class _Untraceable(Exception):
    """The update did something a plan cannot replay (a branch on array data, a foreign operand)."""


class _Traced:
    """A stand-in for an array while an update is traced: operators and ufuncs on it are recorded."""

    __slots__ = ("tape", "index")

    def __init__(self, tape, index):
        self.tape, self.index = tape, index

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if method != "__call__" or kwargs or ufunc.nout != 1:
            raise _Untraceable(ufunc.__name__)
        return self.tape.record(ufunc, inputs)

    def __neg__(self):
        return self.tape.record(np.negative, (self,))

    def __bool__(self):
        raise _Untraceable("a branch on array values")


for _name, _ufunc in (("add", np.add), ("sub", np.subtract), ("mul", np.multiply), ("truediv", np.divide)):
    setattr(_Traced, f"__{_name}__", lambda self, other, f=_ufunc: self.tape.record(f, (self, other)))
    setattr(_Traced, f"__r{_name}__", lambda self, other, f=_ufunc: self.tape.record(f, (other, self)))


class _Tape:
    """The operations of a traced update: op k makes value `inputs + k`; constants are kept as given."""

    def __init__(self, dtype, inputs):
        self.dtype, self.inputs, self.ops = dtype, inputs, []

    def record(self, ufunc, operands):
        for x in operands:
            if type(x) is _Traced and x.tape is self:
                continue
            if not (isinstance(x, np.generic) and x.dtype == self.dtype):  # a cast would round differently
                raise _Untraceable(repr(x))
        self.ops.append((ufunc, operands))
        return _Traced(self, self.inputs + len(self.ops) - 1)


class _Plan:
    """An update's NumPy operations, each computing into a place: a scratch buffer, or straight into the
    param or state array it ends in (once nothing reads that array's old values any more).

    The places of a chunk are one list: the arrays (param, grad, *state), the constants, the scratch
    buffers. `ops`: (ufunc, operand place, second operand place or -1, result place); `copies`: (from, to)
    for results that end in an array without being computed there (SGD's first momentum buffer: the grad)."""

    __slots__ = ("dtype", "ops", "copies", "scratch", "consts")

    @classmethod
    def traced(cls, update, args, dtype, present):
        tape = _Tape(dtype, len(present))
        try:
            results = update(*[_Traced(tape, i) if there else None for i, there in enumerate(present)], *args)
            ends = {}  # value -> the array positions it ends in
            for pos, value in zip([0, *range(2, len(present))], results):
                if value is not None and present[pos]:
                    if type(value) is not _Traced:
                        raise _Untraceable(repr(value))
                    ends.setdefault(value.index, []).append(pos)
            return cls(dtype, tape.ops, len(present), ends)
        except _Untraceable:
            return None

    def __init__(self, dtype, ops, inputs, ends):
        self.dtype = dtype
        self.consts = [x for _, operands in ops for x in operands if type(x) is not _Traced]
        last = {}  # value -> the last op reading it (len(ops) for a result)
        for k, (_, operands) in enumerate(ops):
            last.update((x.index, k) for x in operands if type(x) is _Traced)
        last.update((value, len(ops)) for value in ends)
        place = {i: i for i in range(inputs)}  # value -> its place
        consts = iter(range(inputs, inputs + len(self.consts)))
        first_scratch = inputs + len(self.consts)
        free, self.scratch, written, self.ops = [], 0, set(), []
        for k, (ufunc, operands) in enumerate(ops):
            args = [place[x.index] if type(x) is _Traced else next(consts) for x in operands]
            free += {place[x.index] for x in operands  # buffers read for the last time: free for the result
                     if type(x) is _Traced and last[x.index] == k and place[x.index] >= first_scratch}
            into = [pos for pos in ends.get(inputs + k, ()) if pos not in written and last.get(pos, -1) <= k]
            if into:
                written.add(into[0])
            elif inputs + k not in last:  # never read: a dead operation
                continue
            elif not free:
                free.append(first_scratch + self.scratch)
                self.scratch += 1
            out = place[inputs + k] = into[0] if into else free.pop()
            self.ops.append((ufunc, *args, out) if len(args) == 2 else (ufunc, args[0], -1, out))
        self.copies = [(place[v], pos) for v, positions in ends.items() for pos in positions if place[v] != pos]
        if {src for src, _ in self.copies} & {dst for _, dst in self.copies}:
            raise _Untraceable("results that swap arrays")  # never in kernels.py: a copy would read a written array

    def run(self, arrays, n, chunk) -> None:
        """The update of `arrays` (1-D, n elements; None for unused ones), `chunk` elements at a time."""
        scratch = _scratch(self.dtype, min(n, chunk), self.scratch)
        ops, copies, consts = self.ops, self.copies, self.consts
        for lo in range(0, n, chunk):
            if n <= chunk:
                places = [*arrays, *consts, *scratch]
            else:
                size = min(chunk, n - lo)
                places = [None if a is None else a[lo:lo + size] for a in arrays]
                places += consts
                places += scratch if size == chunk else [s[:size] for s in scratch]
            for ufunc, a, b, out in ops:
                if b < 0:
                    ufunc(places[a], out=places[out])
                else:
                    ufunc(places[a], places[b], out=places[out])
            for src, dst in copies:
                places[dst][...] = places[src]


_kept = threading.local()  # per thread: {dtype: [scratch buffers]}


def _scratch(dtype, size: int, count: int) -> list:
    """`count` buffers of `size` elements, kept between calls in this thread: fresh ones cost page faults
    at every step (a large free goes back to the system) and come to the cache cold."""
    pool = _kept.__dict__.setdefault("pool", {})
    kept = pool.get(dtype, [])
    if len(kept) < count or (kept and kept[0].size < size):
        longest = max(size, kept[0].size if kept else 0)
        kept = pool[dtype] = [np.empty(longest, dtype) for _ in range(max(count, len(kept)))]
    return [k[:size] for k in kept[:count]]
