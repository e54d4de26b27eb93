"""Random sampling, Generator and seeding, bit-identical to torch's CPU generator.

torch's CPU generator is an mt19937 seeded with the low 32 bits of a 64-bit
seed. A Generator here holds the same engine (NumPy's MT19937, given the same
`init_genrand` state), so the raw 32-bit draws are the same; every sampler is a
small function of those draws written to reproduce torch's CPU kernels:

- `random()` is one 32-bit draw, `random64()` two (the first is the high word);
- a uniform float takes the low 24 bits of `random()` times 2**-24, a double the
  low 53 bits of `random64()` times 2**-53; `[from, to)` is one fused
  multiply-add (torch's kernels are compiled with FMA contraction); float16
  samples are float32 samples rounded;
- normal tensors of at least 16 contiguous elements use Box-Muller over blocks
  of 16 (the last, partial block is redrawn), float32 through the Cephes-style
  vector log/sincos torch compiles, emulated operation for operation (each fused
  multiply-add a float64 sum rounded once, which tests/test_rng_parity.py proves
  exact for all 2**24 inputs); smaller or strided ones use the scalar
  Box-Muller that keeps its second value in the generator for the next call;
- values land in the tensor's memory order, as torch's serial kernels write them;
- transcendental functions of doubles go through the C library torch also
  calls (NumPy's scalar loops, checked once against `math`), never NumPy's own
  SIMD versions, which round differently.
All but poisson's rejection loop is vectorized over the raw draws (NumPy's MT19937
makes them in bulk); even randperm's sequential Fisher-Yates is resolved without a loop.
With numba installed (numtorch[fast]; NUMTORCH_NUMBA=0 turns it off), randperm's
loop and the float32 Box-Muller kernel run compiled instead, with the same numbers.
Outputs therefore equal torch's for the same seed (single-threaded torch, as the
tests run it). `get_state` is torch's 5056-byte layout, so states interchange.
docs/random.md lists what is reproduced and what is not.
"""
from __future__ import annotations

import contextlib
import math
import os

import numpy as np

from . import _dtype, _numba
from ._device import CPU, check_device
from ._ops.creation import _cpp_num, _finish, _like_dtype, _shape_arg, _sizes, _write_out, fma
from ._tensor import Tensor, bind_methods, wrap

__all__ = ["Generator", "default_generator", "manual_seed", "seed", "initial_seed", "get_rng_state",
           "set_rng_state", "rand", "rand_like", "randn", "randn_like", "randint", "randint_like", "randperm",
           "normal", "bernoulli", "multinomial", "poisson"]

_f16, _f32, _f64 = np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64)
_MASK24, _MASK53 = np.uint32((1 << 24) - 1), np.uint64((1 << 53) - 1)
_MT_N = 624
_STATE_SIZE = 5056          # torch's CPUGeneratorImplState
_DEFAULT_SEED = 67280421310721


def _seed_mt(mt: np.random.MT19937, seed32: int) -> None:
    """Put mt in the state init_genrand(seed32) gives (Matsumoto & Nishimura's seeding, which torch
    and NumPy's legacy seeding both use)."""
    if hasattr(mt, "_legacy_seeding"):
        mt._legacy_seeding(seed32)
    else:
        key = np.random.RandomState(seed32).get_state(legacy=True)[1]
        mt.state = {"bit_generator": "MT19937", "state": {"key": key, "pos": _MT_N}}


def _nondeterministic_seed() -> int:
    return int.from_bytes(os.urandom(8), "little")


_BULK = 4096   # above this many draws, Generator.integers (fast loop) beats random_raw (low call overhead)


def _high_word_first() -> bool:
    """Whether NumPy's 64-bit MT19937 output takes its high word from the first draw, as torch's
    random64() does (the C expression leaves the order to the compiler, so it is checked)."""
    a, b = np.random.MT19937(1), np.random.MT19937(1)
    r = b.random_raw(8)
    return np.array_equal(np.random.Generator(a).integers(0, 1 << 64, 4, dtype=np.uint64),
                          (r[0::2] << np.uint64(32)) | r[1::2])


_HIGH_WORD_FIRST = _high_word_first()


class Generator:
    """torch.Generator for the CPU: an mt19937 engine plus the cached second normal sample."""

    __slots__ = ("_mt", "_bulk", "_seed", "_normal64", "_normal32", "device", "__weakref__")

    def __init__(self, device="cpu"):
        check_device(device)
        self.device = CPU
        self._engine()
        self._set(_DEFAULT_SEED)

    def _engine(self) -> None:
        self._mt = np.random.MT19937(0)
        self._bulk = np.random.Generator(self._mt)   # same engine: bulk draws without per-call overhead

    def _set(self, seed: int) -> None:
        self._seed = seed
        _seed_mt(self._mt, seed & 0xFFFFFFFF)
        self._normal64 = None   # torch's next_double_normal_sample
        self._normal32 = None   # torch's next_float_normal_sample (kept for state round trips)

    def manual_seed(self, seed) -> "Generator":
        seed = int(seed)
        if not -(1 << 63) <= seed < (1 << 64):
            raise ValueError("Overflow when unpacking long long")
        self._set(seed & 0xFFFFFFFFFFFFFFFF)
        return self

    def seed(self) -> int:
        s = _nondeterministic_seed()
        self._set(s)
        return s

    def initial_seed(self) -> int:
        return self._seed

    # -- raw draws ----------------------------------------------------------------------
    def _u32(self, n: int) -> np.ndarray:
        """n outputs of random(), as uint32."""
        if n > _BULK:
            return self._bulk.integers(0, 1 << 32, n, dtype=np.uint32)
        return self._mt.random_raw(n).astype(np.uint32)

    def _u64(self, n: int) -> np.ndarray:
        """n outputs of random64(): two draws each, the first one the high word."""
        if n > _BULK and _HIGH_WORD_FIRST:
            return self._bulk.integers(0, 1 << 64, n, dtype=np.uint64)
        r = self._mt.random_raw(2 * n)
        return (r[0::2] << np.uint64(32)) | r[1::2]

    # -- state ----------------------------------------------------------------------
    def get_state(self) -> Tensor:
        """The state as torch's uint8 tensor (THGeneratorState plus the float normal cache)."""
        st = self._mt.state["state"]
        pos = int(st["pos"])
        buf = bytearray(_STATE_SIZE)
        head = np.array([self._seed], "<u8").tobytes() + np.array([625 - pos if pos < _MT_N else 1, 1], "<i4").tobytes()
        head += np.array([pos if pos < _MT_N else 0], "<u8").tobytes()
        buf[0:24] = head
        buf[24:24 + 8 * _MT_N] = np.asarray(st["key"], "<u8").tobytes()
        tail = 24 + 8 * _MT_N
        if self._normal64 is not None:
            buf[tail + 8:tail + 16] = np.array([self._normal64], "<f8").tobytes()
            buf[tail + 24:tail + 28] = np.array([1], "<i4").tobytes()
        if self._normal32 is not None:
            buf[tail + 32:tail + 36] = np.array([self._normal32], "<f4").tobytes()
            buf[tail + 36] = 1
        return wrap(np.frombuffer(bytes(buf), np.uint8).copy())

    def set_state(self, new_state) -> "Generator":
        if not isinstance(new_state, Tensor) or new_state._data.dtype != np.uint8:
            raise TypeError("RNG state must be a torch.ByteTensor")
        raw = np.ascontiguousarray(new_state._data).tobytes()
        if len(raw) != _STATE_SIZE:
            raise RuntimeError(f"Expected a CPUGeneratorImplState of size {_STATE_SIZE} but found the input RNG "
                               f"state size to be {len(raw)}")
        seed = int(np.frombuffer(raw, "<u8", 1, 0)[0])
        left, _seeded = (int(v) for v in np.frombuffer(raw, "<i4", 2, 8))
        nxt = int(np.frombuffer(raw, "<u8", 1, 16)[0])
        key = np.frombuffer(raw, "<u8", _MT_N, 24).astype(np.uint32)
        tail = 24 + 8 * _MT_N
        self._seed = seed
        self._mt.state = {"bit_generator": "MT19937",
                          "state": {"key": key, "pos": _MT_N if left == 1 else nxt}}
        valid64 = int(np.frombuffer(raw, "<i4", 1, tail + 24)[0])
        self._normal64 = float(np.frombuffer(raw, "<f8", 1, tail + 8)[0]) if valid64 else None
        self._normal32 = float(np.frombuffer(raw, "<f4", 1, tail + 32)[0]) if raw[tail + 36] else None
        return self

    def __getstate__(self):
        return {"state": self.get_state()._data.copy()}

    def __setstate__(self, d) -> None:
        self.device = CPU
        self._engine()
        self.set_state(wrap(d["state"]))


default_generator = Generator()
default_generator.seed()   # torch seeds its default CPU generator nondeterministically at start-up


def _gen(generator) -> Generator:
    if generator is None:
        return default_generator
    if not isinstance(generator, Generator):
        raise TypeError(f"expected a torch.Generator as generator, got {type(generator).__name__}")
    return generator


def manual_seed(seed) -> Generator:
    """Seeds the default generator; returns it (torch.manual_seed)."""
    return default_generator.manual_seed(seed)


def seed() -> int:
    return default_generator.seed()


def initial_seed() -> int:
    return default_generator.initial_seed()


def get_rng_state() -> Tensor:
    return default_generator.get_state()


def set_rng_state(new_state) -> None:
    default_generator.set_state(new_state)


@contextlib.contextmanager
def fork_rng(devices=None, enabled=True, _caller="fork_rng", _devices_kw="devices", device_type=None):
    """Restores the default generator's state on exit (torch.random.fork_rng)."""
    if not enabled:
        yield
        return
    state = get_rng_state()
    try:
        yield
    finally:
        set_rng_state(state)


# -- elementary samples (arrays of raw-draw transforms) -------------------------------------


def _bits24(gen: Generator, n: int) -> np.ndarray:
    """The low 24 bits of n draws (a float's uniform sample is these times 2**-24), as int32."""
    w = gen._u32(n)
    w &= _MASK24
    return w.view(np.int32)


def _uniform01(gen: Generator, n: int, opmath: np.dtype) -> np.ndarray:
    """torch's uniform_real_distribution(0, 1) in float64 or float32."""
    if opmath == _f64:
        w = gen._u64(n)
        w &= _MASK53
        u = w.view(np.int64).astype(_f64)
        u *= 2.0 ** -53
        return u
    u = _bits24(gen, n).astype(_f32)
    u *= _f32.type(2.0 ** -24)
    return u


def _sum_exact(span, lo) -> bool:
    """Whether u*span + lo is exact in float64 for every float uniform u = k * 2**-24 (float32 span, lo):
    then one rounding to float32 gives the fused multiply-add."""
    if not (math.isfinite(span) and math.isfinite(lo)):
        return False
    grains = []                                       # exponents of the terms' last bits
    if span != 0:
        grains.append(math.frexp(span)[1] - 48)       # u*span: a multiple of 2**-24 * ulp(span)
    if lo != 0:
        grains.append(math.frexp(lo)[1] - 24)         # a multiple of ulp(lo)
    return not grains or math.frexp(abs(span) + abs(lo))[1] + 1 - min(grains) <= 53


def _uniform(gen: Generator, n: int, np_dt: np.dtype, low: float, high: float) -> np.ndarray:
    opmath = _f64 if np_dt == _f64 else _f32
    u = _uniform01(gen, n, opmath)
    if low == 0 and high == 1:
        if np_dt == opmath:      # [0, 1) is exact; only float16 rounding can reach 1
            return u
        vals = u.astype(np_dt)
    else:
        lo, hi = opmath.type(low), opmath.type(high)
        if opmath == _f32 and _sum_exact(hi - lo, lo):
            t = u.astype(_f64)          # the fused multiply-add without emulation: one rounding
            t *= float(hi - lo)
            t += float(lo)
            vals = t.astype(_f32).astype(np_dt, copy=False)
        else:
            vals = _scale_shift(u, hi - lo, lo).astype(np_dt, copy=False)
    # a value that rounded up to `to` in the tensor's dtype becomes `from` (torch's clamp)
    top = vals == np_dt.type(high)
    if top.any():
        vals[top] = np_dt.type(low)
    return vals


_LIBM = {}
_PROBE_RANGES = {"log": (0.0, 2.0), "log1p": (-1.0, 1.0), "exp": (-700.0, 700.0), "cos": (-10.0, 10.0),
                 "sin": (-10.0, 10.0), "tan": (-1.6, 1.6)}


def _libm(name: str):
    """math.<name> over a 1-d float64 array, rounded exactly as the C library rounds.

    torch's CPU samplers call the C library's double functions, as `math` does. NumPy's contiguous
    loops may run NumPy's own SIMD code instead, which rounds differently, while its loops over
    reversed arrays call the C library. Each way is checked once against `math` on probe values;
    the element-wise `math` map is the fallback.
    """
    fn = _LIBM.get(name)
    if fn is None:
        fn = _LIBM[name] = _pick_libm(name)
    return fn


def _pick_libm(name: str):
    ref, ufunc = getattr(math, name), getattr(np, name)
    lo, hi = _PROBE_RANGES[name]
    probe = np.random.default_rng(12345).uniform(lo, hi, 1 << 14)
    expected = np.fromiter(map(ref, probe.tolist()), _f64, probe.size)

    def reversed_loop(x):      # a reversed input (with a contiguous output) takes NumPy's scalar loop
        out = np.empty(x.shape, _f64)
        ufunc(x[::-1], out=out)
        return out[::-1]
    for candidate in (reversed_loop, ufunc):
        if np.array_equal(candidate(probe), expected):
            return candidate
    return lambda x: np.fromiter(map(ref, x.tolist()), _f64, x.size)


def _scale_shift(x: np.ndarray, a, b) -> np.ndarray:
    """fma(x, a, b): x*a + b rounded once in x's dtype, for scalars a and b (torch's samplers end this
    way, N(0, 1) included, where it turns -0 into +0). Where x*a is exact no emulation is needed.
    x may be overwritten."""
    dt = x.dtype
    a, b = dt.type(a), dt.type(b)
    if abs(math.frexp(a)[0]) == 0.5 and abs(a) >= (2.0 ** -900 if dt == _f64 else 2.0 ** -64):
        if a != 1:
            x *= a                      # a power of two scales the samples exactly (none is that tiny)
        x += b
        return x
    if b == 0 and a != 0 and not np.signbit(b):
        zero = x == 0
        x *= a                          # rounded once already; only an exact zero must become +0
        x[zero] = 0
        return x
    return fma(x, a, b, dt)


def _serial_normals(gen: Generator, n: int, mean: float, std: float) -> np.ndarray:
    """torch's scalar Box-Muller (normal_distribution<double>): pairs of doubles, the sine kept."""
    out = np.empty(n, _f64)
    i = 0
    if n and gen._normal64 is not None:
        out[0] = gen._normal64
        gen._normal64 = None
        i = 1
    k = n - i
    if k:
        pairs = (k + 1) // 2
        u = _uniform01(gen, 2 * pairs, _f64)
        radius = np.sqrt(-2.0 * _libm("log1p")(-u[1::2]))
        theta = 2.0 * math.pi * u[0::2]
        cos, sin = radius * _libm("cos")(theta), radius * _libm("sin")(theta)
        both = np.empty(2 * pairs, _f64)
        both[0::2], both[1::2] = cos, sin
        out[i:] = both[:k]
        if k % 2:
            gen._normal64 = float(sin[-1])
    return out if (mean, std) == (0, 1) else _scale_shift(out, std, mean)


# Cephes single-precision log and sincos as torch's AVX code computes them: float32 operations
# in the same order, with the multiply-adds the compiler fuses.
_LOG_P = tuple(_f32.type(c) for c in (7.0376836292E-2, -1.1514610310E-1, 1.1676998740E-1, -1.2420140846E-1,
                                      1.4249322787E-1, -1.6668057665E-1, 2.0000714765E-1, -2.4999993993E-1,
                                      3.3333331174E-1))
_SQRTHF, _LOG_Q1, _LOG_Q2 = _f32.type(0.707106781186547524), _f32.type(-2.12194440e-4), _f32.type(0.693359375)
_DP = tuple(_f32.type(c) for c in (-0.78515625, -2.4187564849853515625e-4, -3.77489497744594108e-8))
_COS_P = tuple(_f32.type(c) for c in (2.443315711809948E-005, -1.388731625493765E-003, 4.166664568298827E-002))
_SIN_P = tuple(_f32.type(c) for c in (-1.9515295891E-4, 8.3321608736E-3, -1.6666654611E-1))
_FOPI, _HALF, _ONE = _f32.type(1.27323954473516), _f32.type(0.5), _f32.type(1.0)
_TWO_PI32, _UNIT32, _MINUS_TWO = _f32.type(2.0 * math.pi), _f32.type(2.0 ** -24), _f32.type(-2.0)
# the kernel's integer constants as int32 (NumPy keeps int32 arithmetic int32 with them)
_I1, _I2, _I4, _EVEN = np.int32(1), np.int32(2), np.int32(4), np.int32(~1)
_ONE_24, _MANTISSA, _HALF_BITS = np.int32(1 << 24), np.int32(0x7FFFFF), np.int32(0x3F000000)
_SQRTHF_MANTISSA = np.int32(int(_SQRTHF.view(np.int32)) & 0x7FFFFF)
_BIAS = _f32.type(150)               # 127, plus 24 for the 2**24 scaling, minus Cephes' 1
# coefficients that enter fused multiply-adds, as the float64 addends of the emulation
_LOG_P64, _COS_P64, _SIN_P64 = (tuple(float(c) for c in p) for p in (_LOG_P, _COS_P, _SIN_P))
_DP64 = float(_DP[2])
_CHUNK_ROWS = 1 << 12                # rows of 8 per pass of the NumPy kernels: their temporaries stay in cache

# The float32 kernel is written once, with operators and NumPy's scalar types only, so that it runs on
# NumPy arrays (a chunk at a time) and, compiled by numba when it is installed, on single elements in
# one vectorized loop. _as_bits, _from_bits and _chunks are its only executor-specific pieces.
#
# A fused multiply-add a*b + c of float32 values is a float64 product (exact) plus c, rounded to float32.
# When the float64 sum is inexact this rounds twice, which can differ from one rounding; for the inputs
# this kernel receives (the 2**24 values of a uniform draw) it never does: every one is checked against
# an exactly rounded emulation in tests/test_rng_parity.py.


def _as_bits(x):
    return x.view(np.int32)


def _from_bits(i):
    return np.asarray(i, np.int32).view(np.float32)


def _cephes_log1m(k):
    """Cephes' log256_ps of 1 - k * 2**-24 (int32 k in [0, 2**24)), step for step."""
    bits = _as_bits(np.float32(_ONE_24 - k))            # (1 - u) * 2**24, exact
    mantissa = bits & _MANTISSA
    small = np.int32(mantissa < _SQRTHF_MANTISSA)       # below sqrt(1/2): double x, lower e
    x = _from_bits((mantissa | _HALF_BITS) + (small << 23)) - _ONE
    e = np.float32((bits >> 23) - small) - _BIAS
    z = x * x
    x64 = np.float64(x)
    y = np.float32(x64 * _LOG_P64[0] + _LOG_P64[1])
    y = np.float32(np.float64(y) * x64 + _LOG_P64[2])
    y = np.float32(np.float64(y) * x64 + _LOG_P64[3])
    y = np.float32(np.float64(y) * x64 + _LOG_P64[4])
    y = np.float32(np.float64(y) * x64 + _LOG_P64[5])
    y = np.float32(np.float64(y) * x64 + _LOG_P64[6])
    y = np.float32(np.float64(y) * x64 + _LOG_P64[7])
    y = np.float32(np.float64(y) * x64 + _LOG_P64[8])
    y = np.float32(np.float64(y * x) * np.float64(z) + np.float64(e * _LOG_Q1))
    y = y - z * _HALF
    return (x + y) + e * _LOG_Q2


def _cephes_sincos2pi(k):
    """Cephes' sincos256_ps of 2*pi * k * 2**-24 (int32 k in [0, 2**24)), step for step: (cos, sin)."""
    x = (np.float32(k) * _UNIT32) * _TWO_PI32
    j = (np.int32(x * _FOPI) + _I1) & _EVEN            # the octant, rounded up to even
    y = np.float32(j)
    x = (x + y * _DP[0]) + y * _DP[1]                   # exact products: only the sums round
    x = np.float32(np.float64(y) * _DP64 + np.float64(x))
    z = x * x
    z64 = np.float64(z)
    c = np.float32(z64 * _COS_P64[0] + _COS_P64[1])
    c = np.float32(np.float64(c) * z64 + _COS_P64[2])
    c = np.float32(np.float64(c * z) * z64 - np.float64(z * _HALF)) + _ONE
    s = np.float32(z64 * _SIN_P64[0] + _SIN_P64[1])
    s = np.float32(np.float64(s) * z64 + _SIN_P64[2])
    x64 = np.float64(x)
    s = np.float32(np.float64(s * z) * x64 + x64)
    # the octant picks the polynomial and the signs, by bit operations (branch-free)
    sine_first = ((j & _I2) - _I1) >> 31               # all ones where the sine polynomial is the sine
    swap = (_as_bits(s) ^ _as_bits(c)) & sine_first
    cos = (_as_bits(s) ^ swap) ^ ((~(j - _I2) & _I4) << 29)
    sin = (_as_bits(c) ^ swap) ^ ((j & _I4) << 29)
    return _from_bits(cos), _from_bits(sin)



def _chunks(n: int):
    """The NumPy executor's indices: cache-sized slices (compiled, the indices are range(n))."""
    step = 8 * _CHUNK_ROWS
    return (slice(s, s + step) for s in range(0, n, step))


def _box_muller32_rows(k1, k2, first, second):
    """torch's AVX Box-Muller for float: radii from uniforms k1 * 2**-24, angles from k2 * 2**-24; the
    samples go to first (cosines) and second (sines). Compiled, this is one vectorized loop."""
    for i in _chunks(k1.size):
        radius = np.sqrt(_MINUS_TWO * _cephes_log1m(k1[i]))
        cos, sin = _cephes_sincos2pi(k2[i])
        first[i] = radius * cos
        second[i] = radius * sin


def _box_muller32(k: np.ndarray, mean: float, std: float, dest: np.ndarray) -> None:
    """The Box-Muller on rows of 16 uniforms k * 2**-24 (int32): per row, 8 radii from the first 8,
    angles from the last 8. Writes the N(mean, std) samples to the float32 array dest (which may be k's
    memory). Works chunk by chunk through small buffers, which stay in cache."""
    rows = k.view(np.dtype((np.void, 32)))              # 8 values per item: even items radii, odd ones angles
    out = dest.view(rows.dtype)
    run = _LOOPS.get("box_muller32", k.size) or _box_muller32_rows
    size = min(rows.size // 2, _CHUNK_ROWS) * 8
    k1, k2 = np.empty(size, np.int32), np.empty(size, np.int32)
    first, second = np.empty(size, _f32), np.empty(size, _f32)
    for s in range(0, rows.size, 2 * _CHUNK_ROWS):
        block = rows[s:s + 2 * _CHUNK_ROWS]
        n = block.size * 4
        np.copyto(k1[:n].view(rows.dtype), block[0::2])
        np.copyto(k2[:n].view(rows.dtype), block[1::2])
        run(k1[:n], k2[:n], first[:n], second[:n])
        out[s:s + 2 * _CHUNK_ROWS:2] = _scale_shift(first[:n], std, mean).view(rows.dtype)
        out[s + 1:s + 2 * _CHUNK_ROWS:2] = _scale_shift(second[:n], std, mean).view(rows.dtype)


# -- numba (optional: numtorch[fast]) -------------------------------------------------------------

def _build_loops(numba):
    """numba's builds of the loops, with this module's helpers swapped for compiled ones."""
    space = dict(globals())
    jit = numba.njit(**_numba.OPTIONS)
    space["_as_bits"] = jit(lambda x: np.float32(x).view(np.int32))
    space["_from_bits"] = jit(lambda i: np.int32(i).view(np.float32))
    space["_chunks"] = range
    for name in ("_cephes_log1m", "_cephes_sincos2pi"):
        space[name] = jit(_numba.rebind(globals()[name], space))
    cached = numba.njit(cache=True, **_numba.OPTIONS)
    return {"box_muller32": cached(_numba.rebind(_box_muller32_rows, space)), "swaps": cached(_swap_loop)}


_LOOPS = _numba.CompiledLoops(_build_loops, bitwise_twins=True)   # each loop has its NumPy twin: same numbers, tested


def _box_muller64(u: np.ndarray, mean: float, std: float, dest: np.ndarray) -> None:
    """torch's scalar Box-Muller for double on rows of 16 uniforms (per row, radii from the first 8,
    angles from the last 8), with the C library's log, cos and sin: N(mean, std) samples to dest
    (which may be u), in chunks."""
    rows = u.view(np.dtype((np.void, 64)))
    out = dest.view(rows.dtype)
    step = 2 * _CHUNK_ROWS
    scratch = np.empty(min(rows.size // 2, _CHUNK_ROWS) * 8, _f64)
    for s in range(0, rows.size, step):
        block = rows[s:s + step]
        u1, u2 = block[0::2].copy().view(_f64), block[1::2].copy().view(_f64)
        radius = _libm("log")(np.subtract(1.0, u1, out=u1))
        radius *= -2.0
        np.sqrt(radius, out=radius)
        u2 *= 2.0 * math.pi
        first = scratch[:u1.size]
        np.multiply(radius, _libm("cos")(u2), out=first)
        out[s:s + step:2] = _scale_shift(first, std, mean).view(rows.dtype)
        np.multiply(radius, _libm("sin")(u2), out=first)
        out[s + 1:s + step:2] = _scale_shift(first, std, mean).view(rows.dtype)


def _box_muller(gen: Generator, drawn: int, used: int, opmath: np.dtype, mean: float, std: float, into=None):
    """Draws `drawn` uniforms and turns the first `used` (whole blocks of 16) into N(mean, std) samples
    of opmath, in the draws' buffer or in `into`; returns that array."""
    if opmath == _f32:
        data = _bits24(gen, drawn)
        out = data.view(_f32) if into is None else into
        _box_muller32(data[:used], mean, std, out[:used])
    else:
        data = _uniform01(gen, drawn, _f64)
        out = data if into is None else into
        _box_muller64(data[:used], mean, std, out[:used])
    return out


def _normals(gen: Generator, n: int, np_dt: np.dtype, mean: float, std: float, contiguous: bool = True,
             dest=None):
    """n normal samples of dtype np_dt the way torch's normal_ kernel draws them. Given a contiguous
    1-d dest of np_dt, they may be written there directly (then None is returned)."""
    if n < 16 or not contiguous:
        return _cast_from_double(_serial_normals(gen, n, mean, std), np_dt)
    opmath = _f64 if np_dt == _f64 else _f32
    into = dest if dest is not None and dest.dtype == np_dt == opmath else None
    full = n - n % 16
    # float and double draw every element, transform the whole blocks, then redraw the last 16;
    # half draws whole blocks only
    out = _box_muller(gen, full if np_dt == _f16 else n, full, opmath, mean, std, into)
    if n % 16:
        tail = _box_muller(gen, 16, 16, opmath, mean, std)
        if out.size < n:
            out = np.concatenate((out[:n - 16], tail))
        else:
            out[n - 16:] = tail
    return None if into is not None else out.astype(np_dt, copy=False)


# -- filling tensors -----------------------------------------------------------------------


def _memory_order(a: np.ndarray):
    """Axes from the largest stride to the smallest: the order torch's kernels visit memory."""
    if a.flags.c_contiguous:
        return None
    return sorted(range(a.ndim), key=lambda d: -abs(a.strides[d]))


def _place(a: np.ndarray, vals: np.ndarray) -> np.ndarray:
    """vals (in a's memory order) arranged in a's shape."""
    order = _memory_order(a)
    if order is None:
        return vals.reshape(a.shape)
    return vals.reshape([a.shape[d] for d in order]).transpose(np.argsort(order))


def _node(name: str):
    """A Node class for a random op: torch gives its inputs zero gradient."""
    from .autograd.graph import Node
    from ._ops import dual

    def backward(self, g):
        return tuple(dual.zeros_like(g) for _ in self._next)
    return type(name, (Node,), {"backward": backward, "__doc__": "Zero gradient for a sampled tensor."})


_NODES = {}


def _node_cls(name: str):
    cls = _NODES.get(name)
    if cls is None:
        cls = _NODES[name] = _node(name)
    return cls


def _fill(t: Tensor, vals, node: str) -> Tensor:
    """Write vals (in t's memory order) into t in place, as torch's in-place samplers do. vals may be a
    function draw(dest) that draws them only once the write is allowed, straight into the flat
    contiguous array dest when it can (then it returns None)."""
    from ._ops._core import record
    from ._ops.inplace import inplace
    draw = vals if callable(vals) else lambda dest: vals

    def fast(a):
        got = draw(a.reshape(-1) if a.flags.c_contiguous else None)
        if got is not None:
            np.copyto(a, _place(a, got), casting="unsafe")

    def as_op(s):
        return record(_node_cls(node), _place(s._data, draw(None)).astype(s._data.dtype, copy=True), (s,))
    return inplace(t, as_op, (), fast=fast)


_LEGACY = _dtype._LEGACY_NAMES
_CXX_NAMES = {"int64": "long int", "int32": "int", "int16": "short int", "int8": "signed char",
              "uint8": "unsigned char", "bool": "bool", "float32": "float", "float64": "double",
              "float16": "c10::Half"}


def _require_float(t: Tensor, kernel: str) -> None:
    if t._data.dtype.kind != "f":
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{_LEGACY[t._data.dtype.name]}'")


def uniform_(self, from_=0.0, to=1.0, *, generator=None, **kwargs) -> Tensor:
    """Uniform samples in [from, to); `from` may be given by keyword as in torch."""
    from_ = kwargs.pop("from", from_)
    if kwargs:
        raise TypeError(f"uniform_() got an unexpected keyword argument '{next(iter(kwargs))}'")
    _require_float(self, "check_uniform_bounds")
    if from_ > to:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found from={_cpp_num(float(from_))}"
                           f" > to={_cpp_num(float(to))}")
    a, gen = self._data, _gen(generator)
    return _fill(self, lambda dest: _uniform(gen, a.size, a.dtype, float(from_), float(to)), "UniformBackward0")


def normal_(self, mean=0.0, std=1.0, *, generator=None) -> Tensor:
    _require_float(self, "normal_kernel_cpu")
    _check_std(std)
    a, gen = self._data, _gen(generator)
    return _fill(self, lambda dest: _normals(gen, a.size, a.dtype, float(mean), float(std), a.flags.c_contiguous,
                                             dest), "NormalBackward0")


def _check_std(std) -> None:
    if not std >= 0.0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {_cpp_num(float(std))}")


def _serial_double(self, generator, node: str, transform) -> Tensor:
    """Fill with transform(u) of one uniform double per element (torch's scalar samplers)."""
    a, gen = self._data, _gen(generator)
    return _fill(self, lambda dest: _cast_from_double(transform(_uniform01(gen, a.size, _f64)), a.dtype), node)


def _cast_from_double(vals: np.ndarray, np_dt: np.dtype) -> np.ndarray:
    return vals.astype(_f32).astype(np_dt) if np_dt == _f16 else vals.astype(np_dt)


def exponential_(self, lambd=1.0, *, generator=None) -> Tensor:
    if self._data.dtype.kind != "f":
        raise RuntimeError(f"Exponential distribution is a continuous probability distribution. dtype must be a "
                           f"floating point but you specified {_LEGACY[self._data.dtype.name]}")
    if not lambd > 0.0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={_cpp_num(float(lambd))}")
    scale = -1.0 / float(lambd)
    return _serial_double(self, generator, "ExponentialBackward0", lambda u: scale * _libm("log1p")(-u))


def geometric_(self, p, *, generator=None) -> Tensor:
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={_cpp_num(float(p))}")
    denom = math.log1p(-float(p))
    return _serial_double(self, generator, "GeometricBackward0",
                          lambda u: np.ceil(_libm("log")(u) / denom))


def cauchy_(self, median=0.0, sigma=1.0, *, generator=None) -> Tensor:
    if self._data.dtype.kind != "f":
        raise RuntimeError(f"Cauchy distribution is a continuous probability distribution. dtype must be a "
                           f"floating point but you specified {_CXX_NAMES[self._data.dtype.name]}")
    if not sigma > 0.0:
        raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={_cpp_num(float(sigma))}")
    return _serial_double(self, generator, "CauchyBackward0",
                          lambda u: _scale_shift(_libm("tan")(math.pi * (u - 0.5)), sigma, median))


def log_normal_(self, mean=1.0, std=2.0, *, generator=None) -> Tensor:
    _require_float(self, "log_normal_cpu")
    if not std > 0.0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={_cpp_num(float(std))}")
    a, gen = self._data, _gen(generator)
    return _fill(self, lambda dest: _cast_from_double(_libm("exp")(_serial_normals(gen, a.size, float(mean),
                                                                                   float(std))), a.dtype),
                 "LogNormalBackward0")


def bernoulli_(self, p=0.5, *, generator=None) -> Tensor:
    gen = _gen(generator)
    a = self._data
    if isinstance(p, Tensor):
        pa = np.broadcast_to(p._data, a.shape)
        pa = pa if _memory_order(a) is None else pa.transpose(_memory_order(a))
        pv = pa.ravel()
        opmath = _f64 if p._data.dtype == _f64 else _f32
        return _fill(self, lambda dest: _uniform01(gen, a.size, opmath) < pv.astype(opmath), "BernoulliBackward1")
    if not 0 <= p <= 1:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={_cpp_num(float(p))}")
    return _fill(self, lambda dest: _uniform01(gen, a.size, _f64) < float(p), "BernoulliBackward2")


def random_(self, *args, generator=None, **kwargs) -> Tensor:
    """random_(), random_(to) or random_(from, to): integers drawn as torch's uniform_int kernels."""
    low, high = _random_bounds(args, kwargs)
    draw, name = _random_values(self._data.dtype, low, high)
    a, gen = self._data, _gen(generator)
    return _fill(self, lambda dest: draw(gen, a.size), name)


def _random_values(np_dt: np.dtype, low, high):
    """(draw(gen, n), node name) for random_(low, high) on dtype np_dt (None for a bound left out); the
    bounds are checked here, before anything is drawn."""
    if low is None:
        return (lambda gen, n: _random_default(gen, n, np_dt)), "RandomBackward2"
    name = "RandomBackward0" if high is not None else "RandomBackward1"
    if high is not None and not low < high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    if high is None and low == -(1 << 63):
        return (lambda gen, n: _cast_int64(gen._u64(n).view(np.int64), np_dt)), name
    if high is None:
        high = 1 + ((1 << _DIGITS[np_dt]) if np_dt.kind == "f" else (1 if np_dt == np.bool_ else
                                                                     int(np.iinfo(np_dt).max)))
    _check_bounds(low, high - 1, np_dt)
    return (lambda gen, n: _from_to(gen, n, np_dt, high - low, low)), name


_DIGITS = {_f16: 11, _f32: 24, _f64: 53}


def _random_bounds(args, kwargs):
    if len(args) > 2:
        raise TypeError(f"random_() takes at most 2 positional arguments ({len(args)} given)")
    low, high = kwargs.pop("from", None), kwargs.pop("to", None)
    if kwargs:
        raise TypeError(f"random_() got an unexpected keyword argument '{next(iter(kwargs))}'")
    if len(args) == 2:
        low, high = args
    elif len(args) == 1:
        if low is None and high is None:
            low, high = 0, args[0]
        else:
            low = args[0]
    elif high is not None and low is None:
        low = 0
    for v in (low, high):
        if v is not None and not isinstance(v, (int, np.integer)):
            raise TypeError(f"random_(): argument must be int, not {type(v).__name__}")
    return (None if low is None else int(low)), (None if high is None else int(high))


def _check_bounds(low: int, top: int, np_dt: np.dtype) -> None:
    if np_dt.kind == "f":
        hi = float(np.finfo(np_dt).max)
        lo = -hi
    elif np_dt == np.bool_:
        lo, hi = 0, 1
    else:
        lo, hi = int(np.iinfo(np_dt).min), int(np.iinfo(np_dt).max)
    name = _CXX_NAMES[np_dt.name]
    if not lo <= low <= hi:
        raise RuntimeError(f"from is out of bounds for {name}")
    if not lo <= top <= hi:
        raise RuntimeError(f"to - 1 is out of bounds for {name}")


def _mod(raw: np.ndarray, span: int, scratch=None) -> np.ndarray:
    """raw % span for a scalar span, in place: NumPy divides by a scalar fast, but its % is slow."""
    d = raw.dtype.type(span)
    q = np.floor_divide(raw, d, out=scratch)
    q *= d
    raw -= q
    return raw


def _from_to(gen: Generator, n: int, np_dt: np.dtype, span: int, low: int) -> np.ndarray:
    """(draw % span) + low, with 64-bit draws for spans of 2**28 or more (torch's rule)."""
    if span >= (1 << 28):
        vals = _mod(gen._u64(n), span).view(np.int64)   # wraps around as torch's unsigned sum does
        vals += np.int64(low)
    else:
        vals = np.empty(n, np.int64)
        rest = _mod(gen._u32(n), span, vals.view(np.uint32)[:n])   # the output's bytes as scratch
        np.add(rest, np.int64(low), out=vals, dtype=np.int64)
    return _cast_int64(vals, np_dt)


def _cast_int64(vals: np.ndarray, np_dt: np.dtype) -> np.ndarray:
    if np_dt == _f16:
        return vals.astype(_f32).astype(_f16)
    return vals.astype(np_dt, copy=False)


def _random_default(gen: Generator, n: int, np_dt: np.dtype) -> np.ndarray:
    if np_dt == np.bool_:
        return (gen._u32(n) & np.uint32(1)).astype(np.bool_)
    if np_dt.kind == "f":
        raw = gen._u64(n) if np_dt == _f64 else gen._u32(n)
        return _cast_int64(_mod(raw, (1 << _DIGITS[np_dt]) + 1).astype(np.int64, copy=False), np_dt)
    raw = gen._u64(n) if np_dt == np.int64 else gen._u32(n)
    return (raw & raw.dtype.type(int(np.iinfo(np_dt).max))).astype(np_dt)


# -- torch-level sampling functions ----------------------------------------------------------


def _spec(size, dtype, kind: str, size_kw=None):
    """(shape, NumPy dtype) of a new floating tensor of random values."""
    np_dt = _dtype.from_any(dtype).np if dtype is not None else _dtype.get_default_dtype().np
    shape = _shape_arg(kind, size, size_kw)
    if np_dt.kind != "f":
        kernel = "check_uniform_bounds" if kind == "rand" else "normal_kernel_cpu"
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{_LEGACY[np_dt.name]}'")
    return shape, np_dt


def _new(size, dtype, kind: str, size_kw=None) -> np.ndarray:
    return np.empty(*_spec(size, dtype, kind, size_kw))


def rand(*sizes, size=None, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False,
         pin_memory=False) -> Tensor:
    check_device(device)
    shape, np_dt = _spec(sizes, dtype, "rand", size)
    a = _uniform(_gen(generator), math.prod(shape), np_dt, 0.0, 1.0).reshape(shape)
    return _finish(a, requires_grad, out)


def randn(*sizes, size=None, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False,
          pin_memory=False) -> Tensor:
    check_device(device)
    shape, np_dt = _spec(sizes, dtype, "randn", size)
    a = _normals(_gen(generator), math.prod(shape), np_dt, 0.0, 1.0).reshape(shape)
    return _finish(a, requires_grad, out)


def rand_like(input, *, generator=None, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None) -> Tensor:
    dt = _like_dtype(input, dtype, "rand_like")
    return rand(input._data.shape, generator=generator, dtype=_dtype.from_np(dt), device=device,
                requires_grad=requires_grad)


def randn_like(input, *, generator=None, dtype=None, layout=None, device=None, requires_grad=False,
               memory_format=None) -> Tensor:
    dt = _like_dtype(input, dtype, "randn_like")
    return randn(input._data.shape, generator=generator, dtype=_dtype.from_np(dt), device=device,
                 requires_grad=requires_grad)


def _int_arg(v, name: str, pos: int) -> int:
    if isinstance(v, Tensor) and v._data.size == 1 and v._data.dtype.kind in "iu":
        return int(v._data.reshape(()))
    if not isinstance(v, (int, np.integer)) or isinstance(v, bool):
        raise TypeError(f"randint(): argument '{name}' (position {pos}) must be int, not {type(v).__name__}")
    return int(v)


def randint(*args, size=None, generator=None, out=None, dtype=None, layout=None, device=None,
            requires_grad=False, pin_memory=False, low=None, high=None) -> Tensor:
    """randint(high, size) or randint(low, high, size): integers in [low, high)."""
    check_device(device)
    args = list(args)
    if size is None and args:
        size = args.pop()
        if not isinstance(size, (tuple, list)):
            raise TypeError(f"randint(): argument 'size' (position {len(args) + 1}) must be tuple of ints, not "
                            f"{type(size).__name__}")
    if len(args) == 2:
        low, high = args
    elif len(args) == 1:
        (low, high) = (args[0], high) if high is not None else (low, args[0])
    elif len(args) > 2:
        raise TypeError(f"randint() takes at most 3 positional arguments ({len(args) + 1} given)")
    if high is None or size is None:
        raise TypeError("randint() missing required arguments: \"high\" and \"size\"")
    high_pos = 2 if len(args) == 2 else 1
    low, high = _int_arg(0 if low is None else low, "low", 1), _int_arg(high, "high", high_pos)
    np_dt = _dtype.from_any(dtype).np if dtype is not None else np.dtype(np.int64)
    shape = _sizes((size,), "randint")
    draw = _random_values(np_dt, low, high)[0]
    return _finish(draw(_gen(generator), math.prod(shape)).reshape(shape), requires_grad, out)


def randint_like(input, *args, generator=None, dtype=None, layout=None, device=None, requires_grad=False,
                 memory_format=None, low=None, high=None) -> Tensor:
    dt = _like_dtype(input, dtype, "randint_like")
    if len(args) == 2:
        low, high = args
    elif len(args) == 1:
        high = args[0]
    return randint(0 if low is None else low, high, tuple(input._data.shape), generator=generator,
                   dtype=_dtype.from_np(dt), device=device, requires_grad=requires_grad)


def randperm(n, *, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False,
             pin_memory=False) -> Tensor:
    """A random permutation of 0..n-1: torch's Fisher-Yates with swaps chosen by random() % (n - i)."""
    check_device(device)
    n = _sizes((n,), "randperm")[0]
    np_dt = _dtype.from_any(dtype).np if dtype is not None else np.dtype(np.int64)
    if np_dt == np.bool_:
        raise NotImplementedError("\"randperm\" not implemented for 'Bool'")
    if np_dt.kind in "iu" and n > int(np.iinfo(np_dt).max) + 1:
        raise RuntimeError(f"value cannot be converted to type {np_dt.name}_t without overflow")
    if n >= _RANDPERM_64:
        raise NotImplementedError(f"randperm of {_RANDPERM_64} or more elements (torch switches to 64-bit draws "
                                  f"and another shuffle there)")
    perm = np.arange(n, dtype=np.int64)
    if n > 1:
        draws = _gen(generator)._u32(n - 1)
        loop = _LOOPS.get("swaps", n)
        if loop:
            loop(draws, perm)
        else:
            perm = _swap_sequence(draws % np.arange(n, 1, -1, dtype=np.uint32))
    return _finish(_cast_int64(perm, np_dt), requires_grad, out)


_RANDPERM_64 = (2 ** 32 - 1) // 20


def _swap_loop(draws: np.ndarray, perm: np.ndarray) -> None:
    """torch's randperm loop itself (draws: n - 1 raw 32-bit words), run compiled by numba when it is
    installed (numtorch[fast])."""
    n = perm.size
    for i in range(n - 1):
        j = i + draws[i] % (n - i)
        perm[i], perm[j] = perm[j], perm[i]


def _swap_sequence(offsets: np.ndarray) -> np.ndarray:
    """The array torch's loop `for i: swap(p[i], p[i + offsets[i]])` leaves in p = arange(n), without
    the loop (_swap_loop is the loop; this is the path without numba).

    Step i fixes p[i] for good (later steps touch only higher positions): it takes the value then at
    its target t = i + offsets[i], and leaves there the value then at i. Position q holds q until a step
    targets it, and afterwards what the latest such step left. So with steps grouped by target (in step
    order), p[i] is t or what the previous step with the same target left; and the value at i when step
    i runs is i or what the latest earlier step targeting i left - a chain back through earlier steps,
    followed by pointer doubling.
    """
    n = offsets.size + 1                        # below 2**31 (torch switches algorithms far earlier)
    target = np.arange(n - 1, dtype=np.int32)
    target += offsets.astype(np.int32)
    order = _stable_argsort(target, n)          # steps grouped by target, in step order
    grouped = target[order]
    same = grouped[1:] == grouped[:-1]
    # the previous step with the same target, or -1
    prev_sorted = np.empty(n - 1, np.int32)
    prev_sorted[0] = -1
    np.multiply(order[:-1] + 1, same, out=prev_sorted[1:])
    prev_sorted[1:] -= 1
    prev = np.empty(n - 1, np.int32)
    prev[order] = prev_sorted
    # the latest step before i that targeted i: the last of i's group, or the one before a step that
    # targets its own position (steps targeting q come no later than q)
    link = np.full(n, -1, np.int32)
    ends = np.flatnonzero(np.append(~same, True))
    link[grouped[ends]] = order[ends]
    stay = np.flatnonzero(offsets == 0)
    link[stay] = prev[stay]
    held = _chain_roots(link)                   # the value at i when step i runs
    perm = np.empty(n, np.int64)
    perm[:-1] = target
    moved = np.flatnonzero(prev >= 0)
    perm[moved] = held[prev[moved]]
    perm[-1] = held[-1]
    return perm


def _stable_argsort(keys: np.ndarray, bound: int) -> np.ndarray:
    """np.argsort(keys, kind="stable") for integers in [0, min(bound, 2**32)), by 16-bit radix passes
    (NumPy sorts 16-bit keys by radix, wider ones by a much slower merge sort)."""
    order = np.argsort((keys & 0xFFFF).astype(np.uint16), kind="stable").astype(np.int32)
    if bound > 1 << 16:
        order = order[np.argsort((keys >> 16).astype(np.uint16)[order], kind="stable")]
    return order


def _chain_roots(link: np.ndarray) -> np.ndarray:
    """root[i] = i where link[i] < 0, else root[link[i]] (links point to lower indices)."""
    root = np.arange(link.size, dtype=link.dtype)
    active = np.flatnonzero(link >= 0).astype(link.dtype)
    root[active] = link[active]
    while active.size:
        up = root[active]
        jumped = root[up]
        root[active] = jumped
        active = active[jumped != up]
    return root


def normal(mean, std=1.0, size=None, *, generator=None, out=None, dtype=None, layout=None, device=None,
           pin_memory=False, requires_grad=False) -> Tensor:
    """torch.normal: tensor mean and/or std (a standard normal scaled and shifted), or floats and a size."""
    from ._ops._core import record
    check_device(device)
    gen = _gen(generator)
    m_t, s_t = isinstance(mean, Tensor), isinstance(std, Tensor)
    if not m_t and not s_t:
        if size is None:
            raise TypeError("normal() received an invalid combination of arguments - got (float, float), but "
                            "expected one of:\n * (Tensor mean, Tensor std, *, torch.Generator generator = None, "
                            "Tensor out = None)\n * (Tensor mean, float std = 1, *, torch.Generator generator = "
                            "None, Tensor out = None)\n * (float mean, Tensor std, *, torch.Generator generator = "
                            "None, Tensor out = None)\n * (float mean, float std, tuple of ints size, *, "
                            "torch.Generator generator = None, Tensor out = None, torch.dtype dtype = None, "
                            "torch.layout layout = None, torch.device device = None, bool pin_memory = False, "
                            "bool requires_grad = False)\n")
        _check_std(std)
        t = randn(size, generator=gen, dtype=dtype) if (mean, std) == (0, 1) else \
            normal_(wrap(_new((size,), dtype, "randn")), mean, std, generator=gen)
        return _finish(t._data, requires_grad, out)
    if s_t and (std._data < 0).any():
        raise RuntimeError("normal expects all elements of std >= 0.0")
    if not s_t:
        _check_std(std)
    base = mean if m_t else std
    _require_float(base, "normal_kernel_cpu")
    shape = _broadcast_shape(mean._data.shape if m_t else (), std._data.shape if s_t else ())
    a = np.empty(shape, base._data.dtype)
    if m_t and not s_t:
        a[...] = _normals(gen, a.size, a.dtype, 0.0, float(std)).reshape(shape)
        a = (a + mean._data).astype(a.dtype)
        node = "NormalBackward1"
    else:
        a[...] = _normals(gen, a.size, a.dtype, 0.0, 1.0).reshape(shape)
        a = (a * std._data).astype(a.dtype)
        a = (a + (mean._data if m_t else a.dtype.type(mean))).astype(a.dtype)
        node = "NormalBackward3" if m_t else "NormalBackward2"
    if out is not None:
        return _write_out(out, a)
    return record(_node_cls(node), a, (mean, std))


def _broadcast_shape(a: tuple, b: tuple) -> tuple:
    try:
        return np.broadcast_shapes(a, b)
    except ValueError:
        n = max(len(a), len(b))
        pa, pb = (1,) * (n - len(a)) + tuple(a), (1,) * (n - len(b)) + tuple(b)
        for i in range(n - 1, -1, -1):
            if pa[i] != pb[i] and 1 not in (pa[i], pb[i]):
                raise RuntimeError(f"The size of tensor a ({pa[i]}) must match the size of tensor b ({pb[i]}) at "
                                   f"non-singleton dimension {i}") from None
        raise


def bernoulli(input, p=None, *, generator=None, out=None) -> Tensor:
    """Samples 0/1 with probabilities `input` (or the scalar p), in input's dtype."""
    from ._ops._core import record
    t = wrap(np.empty(input._data.shape, input._data.dtype))
    if p is None:
        if input._data.dtype.kind != "f":
            raise NotImplementedError(f"\"bernoulli_tensor_cpu_p_\" not implemented for "
                                      f"'{_LEGACY[input._data.dtype.name]}'")
        if ((input._data < 0) | (input._data > 1)).any():
            raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.  (Could this error "
                               "message be improved?  If so, please report an enhancement request to PyTorch.)")
        bernoulli_(t, input.detach(), generator=generator)
    else:
        bernoulli_(t, p, generator=generator)
    if out is not None:
        return _write_out(out, t._data)
    return record(_node_cls("BernoulliBackward0"), t._data, (input,))


def multinomial(input, num_samples, replacement=False, *, generator=None, out=None) -> Tensor:
    """Category indices drawn from rows of (unnormalized) probabilities, as torch's CPU kernel draws them."""
    a = input._data
    n = int(num_samples)
    if not 1 <= a.ndim <= 2:
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if a.dtype.kind != "f":
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: "
                           f"{_LEGACY[a.dtype.name]}")
    if n <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    cats = a.shape[-1]
    if not replacement and n > cats:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    if cats > (1 << 24):
        raise RuntimeError("number of categories cannot exceed 2^24")
    rows = a.reshape(-1, cats)
    gen = _gen(generator)
    if not replacement or n == 1:
        result = _multinomial_exponential(rows, n, gen)
    else:
        result = _multinomial_inverse_cdf(rows, n, gen)
    result = result.reshape(a.shape[:-1] + (n,))
    return _write_out(out, result) if out is not None else wrap(result)


def _multinomial_exponential(rows: np.ndarray, n: int, gen: Generator) -> np.ndarray:
    """Without replacement: the n largest p / q with q ~ Exp(1) (the Gumbel-top-k trick torch uses)."""
    if not (np.all(rows < np.inf) and np.all(rows >= 0)):
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    if (rows.sum(axis=1) == 0).any():
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    u = _uniform01(gen, rows.size, _f64)
    q = _cast_from_double(-1.0 * _libm("log1p")(-u), rows.dtype).reshape(rows.shape)
    with np.errstate(divide="ignore", invalid="ignore"):
        keys = (rows / q).astype(rows.dtype)
    if n == 1:
        return np.argmax(keys, axis=1)[:, None].astype(np.int64)
    cats = keys.shape[1]
    top = np.argpartition(keys, cats - n, axis=1)[:, cats - n:] if n < cats else np.arange(cats)[None, :]
    top = np.sort(np.broadcast_to(top, (keys.shape[0], n)), axis=1)     # by index: ties keep it
    order = np.argsort(-np.take_along_axis(keys, top, axis=1), axis=1, kind="stable")
    return np.take_along_axis(top, order, axis=1).astype(np.int64)


def _multinomial_inverse_cdf(rows: np.ndarray, n: int, gen: Generator) -> np.ndarray:
    """With replacement: binary search of a uniform double in each row's normalized running sum."""
    out = np.empty((rows.shape[0], n), np.int64)
    for i, row in enumerate(rows):
        if not np.isfinite(row).all():
            raise RuntimeError("invalid multinomial distribution (encountering probability entry = infinity or "
                               "NaN)")
        if (row < 0).any():
            raise RuntimeError("invalid multinomial distribution (encountering probability entry < 0)")
        cum = np.cumsum(row, dtype=row.dtype)
        total = cum[-1]
        if not total > 0:
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        cum = (cum / total).astype(row.dtype)
        cum[-1] = 1
        out[i] = np.searchsorted(cum.astype(_f64), _uniform01(gen, n, _f64), side="left")
    return out


def poisson(input, generator=None) -> Tensor:
    """Poisson counts with rates `input`: multiplication of uniforms below 10, Hörmann's PTRS above."""
    a = input._data
    _require_float(input, "poisson_cpu")
    if (a < 0).any():
        raise RuntimeError("invalid Poisson rate, expected rate to be non-negative")
    gen = _gen(generator)
    # torch's result is contiguous, drawn in its C order whatever the rates' layout (a transposed or expanded input)
    vals = np.array([_poisson_one(lam, gen) for lam in a.ravel().tolist()], dtype=_f64)
    return wrap(vals.astype(a.dtype).reshape(a.shape))


def _poisson_one(lam: float, gen: Generator) -> int:
    def uniform():
        return float(_uniform01(gen, 1, _f64)[0])
    if lam >= 10:
        slam, loglam = math.sqrt(lam), math.log(lam)
        b = 0.931 + 2.53 * slam
        a = -0.059 + 0.02483 * b
        inv_alpha = 1.1239 + 1.1328 / (b - 3.4)
        vr = 0.9277 - 3.6224 / (b - 2)
        while True:
            u = uniform() - 0.5
            v = uniform()
            us = 0.5 - abs(u)
            k = math.floor((2 * a / us + b) * u + lam + 0.43)
            if us >= 0.07 and v <= vr:
                return k
            if k < 0 or (us < 0.013 and v > us):
                continue
            if math.log(v) + math.log(inv_alpha) - math.log(a / (us * us) + b) <= \
                    -lam + k * loglam - math.lgamma(k + 1):
                return k
    if lam == 0:
        return 0
    limit, count, prod = math.exp(-lam), 0, 1.0
    while True:
        prod *= uniform()
        if prod > limit:
            count += 1
        else:
            return count


def _rrelu_slopes(x: np.ndarray, lower: float, upper: float, generator=None) -> np.ndarray:
    """torch's training-mode rrelu factors: 1 where x > 0; elsewhere, in order, a uniform double in
    [lower, upper) (bounds in x's compute precision) rounded to that precision."""
    opmath = _f64 if x.dtype == _f64 else _f32
    lo, hi = float(opmath.type(lower)), float(opmath.type(upper))
    slope = x <= 0
    factor = np.ones(x.shape, x.dtype)
    u = _uniform01(_gen(generator), int(np.count_nonzero(slope)), _f64)
    u *= hi - lo           # two roundings: this kernel is compiled without fused multiply-adds
    u += lo
    factor[slope] = u.astype(opmath)
    return factor


def _bernoulli_method(self, p=None, *, generator=None):
    return bernoulli(self, p, generator=generator)


def _multinomial_method(self, num_samples, replacement=False, *, generator=None):
    return multinomial(self, num_samples, replacement, generator=generator)


bind_methods(uniform_=uniform_, normal_=normal_, random_=random_, exponential_=exponential_,
             geometric_=geometric_, log_normal_=log_normal_, cauchy_=cauchy_, bernoulli_=bernoulli_,
             bernoulli=_bernoulli_method, multinomial=_multinomial_method)
