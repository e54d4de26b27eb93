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
  vector log/sincos torch compiles, emulated operation for operation; smaller or
  strided ones use the scalar Box-Muller that keeps its second value in the
  generator for the next call;
- values land in the tensor's memory order, as torch's serial kernels write them;
- transcendental functions of doubles go through Python's `math` (the C
  library torch also calls), never NumPy's own SIMD versions, which round
  differently.
Outputs therefore equal torch's for the same seed (single-threaded torch, as the
tests run it). `get_state` is torch's 5056-byte layout, so states interchange.
"""
from __future__ import annotations

import contextlib
import math
import os

import numpy as np

from . import _dtype
from ._device import CPU, check_device
from ._ops.creation import _cpp_num, _finish, _like_dtype, _shape_arg, _sizes, _write_out, fma
from ._tensor import Tensor, bind_methods, wrap

__all__ = ["Generator", "default_generator", "manual_seed", "seed", "initial_seed", "get_rng_state",
           "set_rng_state", "rand", "rand_like", "randn", "randn_like", "randint", "randint_like", "randperm",
           "normal", "bernoulli", "multinomial", "poisson"]

_f16, _f32, _f64 = np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64)
_MASK24, _MASK53 = np.uint64((1 << 24) - 1), np.uint64((1 << 53) - 1)
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


class Generator:
    """torch.Generator for the CPU: an mt19937 engine plus the cached second normal sample."""

    __slots__ = ("_mt", "_seed", "_normal64", "_normal32", "device", "__weakref__")

    def __init__(self, device="cpu"):
        check_device(device)
        self.device = CPU
        self._mt = np.random.MT19937(0)
        self._set(_DEFAULT_SEED)

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
        """n outputs of random(), as uint64."""
        return self._mt.random_raw(n) if n else np.zeros(0, np.uint64)

    def _u64(self, n: int) -> np.ndarray:
        """n outputs of random64(): two draws each, the first one the high word."""
        r = self._u32(2 * n)
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
        self._mt = np.random.MT19937(0)
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
def fork_rng(devices=None, enabled=True, _caller="fork_rng", _devices_kw="devices", device_type="cuda"):
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


def _uniform01(gen: Generator, n: int, opmath: np.dtype) -> np.ndarray:
    """torch's uniform_real_distribution(0, 1) in float64 or float32."""
    if opmath == _f64:
        return (gen._u64(n) & _MASK53).astype(_f64) * 2.0 ** -53
    return (gen._u32(n) & _MASK24).astype(_f32) * _f32.type(2.0 ** -24)


def _uniform(gen: Generator, n: int, np_dt: np.dtype, low: float, high: float) -> np.ndarray:
    opmath = _f64 if np_dt == _f64 else _f32
    u = _uniform01(gen, n, opmath)
    if low == 0 and high == 1:
        if np_dt == opmath:      # [0, 1) is exact; only float16 rounding can reach 1
            return u
        vals = u.astype(np_dt)
    else:
        lo, hi = opmath.type(low), opmath.type(high)
        vals = fma(u, hi - lo, lo, opmath).astype(np_dt)
    # a value that rounded up to `to` in the tensor's dtype becomes `from` (torch's clamp)
    return np.where(vals == np_dt.type(high), np_dt.type(low), vals)


def _math_map(fn, x: np.ndarray) -> np.ndarray:
    """fn (a `math` function) over a float64 array: the C library's rounding, as in torch."""
    return np.fromiter(map(fn, x.tolist()), dtype=_f64, count=x.size)


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
        radius = np.sqrt(-2.0 * _math_map(math.log1p, -u[1::2]))
        theta = 2.0 * math.pi * u[0::2]
        cos, sin = radius * _math_map(math.cos, theta), radius * _math_map(math.sin, theta)
        both = np.empty(2 * pairs, _f64)
        both[0::2], both[1::2] = cos, sin
        out[i:] = both[:k]
        if k % 2:
            gen._normal64 = float(sin[-1])
    return out if (mean, std) == (0, 1) else fma(out, std, mean)


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


def _fma32(a, b, c):
    return fma(a, b, c, _f32)


def _cephes_log(x: np.ndarray) -> np.ndarray:
    """Natural log of positive float32 values (x <= 0 gives nan)."""
    invalid = x <= 0
    x = np.maximum(x, np.float32(np.finfo(np.float32).tiny))
    bits = x.view(np.int32)
    e = ((bits >> 23) - 0x7F).astype(_f32) + _ONE
    x = ((bits & ~0x7F800000) | np.int32(0x3F000000)).view(_f32)   # mantissa scaled into [0.5, 1)
    small = x < _SQRTHF
    e = e - np.where(small, _ONE, _f32.type(0))
    x = (x - _ONE) + np.where(small, x, _f32.type(0))
    z = x * x
    y = np.full_like(x, _LOG_P[0])
    for p in _LOG_P[1:]:
        y = _fma32(y, x, p)
    y = y * x
    y = _fma32(y, z, e * _LOG_Q1)
    # the products below are exact (short constants), so their fused forms are plain float32 sums
    y = y - z * _HALF
    x = (x + y) + e * _LOG_Q2
    return np.where(invalid, np.float32(np.nan), x)


def _cephes_sincos(x: np.ndarray):
    """(sin, cos) of float32 values by octant reduction and two polynomials."""
    neg = np.signbit(x)
    x = np.abs(x)
    j = (x * _FOPI).astype(np.int32)
    j = (j + 1) & ~1
    y = j.astype(_f32)
    x = (x + y * _DP[0]) + y * _DP[1]   # exact products: the fused multiply-adds round only the sums
    x = _fma32(y, _DP[2], x)
    sin_neg = neg ^ ((j & 4) != 0)
    cos_neg = (~(j - 2) & 4) != 0
    use_sin_poly = (j & 2) == 0
    z = x * x
    yc = np.full_like(x, _COS_P[0])
    for p in _COS_P[1:]:
        yc = _fma32(yc, z, p)
    yc = _fma32(yc * z, z, -(z * _HALF)) + _ONE
    ys = np.full_like(x, _SIN_P[0])
    for p in _SIN_P[1:]:
        ys = _fma32(ys, z, p)
    ys = _fma32(ys * z, x, x)
    sin = np.where(use_sin_poly, ys, yc)
    cos = np.where(use_sin_poly, yc, ys)
    return np.where(sin_neg, -sin, sin), np.where(cos_neg, -cos, cos)


def _box_muller16(u: np.ndarray, mean: float, std: float) -> np.ndarray:
    """torch's 16-wide Box-Muller on rows of 16 uniforms (first 8 give radii, last 8 angles)."""
    u1, u2 = 1 - u[:, :8], u[:, 8:]
    if u.dtype == _f32:
        with np.errstate(invalid="ignore", over="ignore"):
            radius = np.sqrt(_f32.type(-2.0) * _cephes_log(u1))
            sin, cos = _cephes_sincos(_f32.type(2.0 * math.pi) * u2)
        n1, n2 = radius * cos, radius * sin
        if mean != 0 or std != 1:
            m, s = _f32.type(mean), _f32.type(std)
            n1, n2 = _fma32(n1, s, m), _fma32(n2, s, m)
        return np.concatenate((n1, n2), axis=1)
    radius = np.sqrt(-2.0 * _math_map(math.log, u1.ravel()).reshape(u1.shape))
    theta = (2.0 * math.pi * u2).ravel()
    cos = (radius.ravel() * _math_map(math.cos, theta)).reshape(u2.shape)
    sin = (radius.ravel() * _math_map(math.sin, theta)).reshape(u2.shape)
    return np.concatenate((fma(cos, std, mean), fma(sin, std, mean)), axis=1)


def _normals(gen: Generator, n: int, np_dt: np.dtype, mean: float, std: float, contiguous: bool = True):
    """n normal samples of dtype np_dt the way torch's normal_ kernel draws them."""
    if n < 16 or not contiguous:
        vals = _serial_normals(gen, n, mean, std)
        return vals.astype(_f32).astype(np_dt) if np_dt == _f16 else vals.astype(np_dt)
    opmath = _f64 if np_dt == _f64 else _f32
    full = n - n % 16
    # float and double draw every element before redrawing the last 16; half draws only whole blocks
    data = _uniform01(gen, n if np_dt != _f16 else full, opmath)[:full]
    if n % 16:
        data = np.concatenate((data, _uniform01(gen, 16, opmath)))
    blocks = _box_muller16(data.reshape(-1, 16), mean, std).ravel()
    out = np.empty(n, opmath)
    out[:full] = blocks[:full]
    if n % 16:
        out[n - 16:] = blocks[full:]
    return out.astype(np_dt)


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


def _fill(t: Tensor, vals: np.ndarray, node: str) -> Tensor:
    """Write vals (in t's memory order) into t in place, as torch's in-place samplers do."""
    from ._ops._core import record
    from ._ops.inplace import inplace
    placed = _place(t._data, vals)

    def fast(a):
        np.copyto(a, placed, casting="unsafe")

    def as_op(s):
        return record(_node_cls(node), placed.astype(s._data.dtype, copy=True), (s,))
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
    vals = _uniform(_gen(generator), self._data.size, self._data.dtype, float(from_), float(to))
    return _fill(self, vals, "UniformBackward0")


def normal_(self, mean=0.0, std=1.0, *, generator=None) -> Tensor:
    _require_float(self, "normal_kernel_cpu")
    _check_std(std)
    a = self._data
    vals = _normals(_gen(generator), a.size, a.dtype, float(mean), float(std), a.flags.c_contiguous)
    return _fill(self, vals, "NormalBackward0")


def _check_std(std) -> None:
    if not std >= 0.0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {_cpp_num(float(std))}")


def _serial_double(self, generator, node: str, transform) -> Tensor:
    """Fill with transform(u) of one uniform double per element (torch's scalar samplers)."""
    u = _uniform01(_gen(generator), self._data.size, _f64)
    return _fill(self, _cast_from_double(transform(u), self._data.dtype), node)


def _cast_from_double(vals: np.ndarray, np_dt: np.dtype) -> np.ndarray:
    return vals.astype(_f32).astype(np_dt) if np_dt == _f16 else vals.astype(np_dt)


def exponential_(self, lambd=1.0, *, generator=None) -> Tensor:
    if self._data.dtype.kind != "f":
        raise RuntimeError(f"Exponential distribution is a continuous probability distribution. dtype must be a "
                           f"floating point but you specified {_LEGACY[self._data.dtype.name]}")
    if not lambd > 0.0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={_cpp_num(float(lambd))}")
    scale = -1.0 / float(lambd)
    return _serial_double(self, generator, "ExponentialBackward0", lambda u: scale * _math_map(math.log1p, -u))


def geometric_(self, p, *, generator=None) -> Tensor:
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={_cpp_num(float(p))}")
    denom = math.log1p(-float(p))
    return _serial_double(self, generator, "GeometricBackward0",
                          lambda u: np.ceil(_math_map(math.log, u) / denom))


def cauchy_(self, median=0.0, sigma=1.0, *, generator=None) -> Tensor:
    if self._data.dtype.kind != "f":
        raise RuntimeError(f"Cauchy distribution is a continuous probability distribution. dtype must be a "
                           f"floating point but you specified {_CXX_NAMES[self._data.dtype.name]}")
    if not sigma > 0.0:
        raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={_cpp_num(float(sigma))}")
    return _serial_double(self, generator, "CauchyBackward0",
                          lambda u: fma(float(sigma), _math_map(math.tan, math.pi * (u - 0.5)), float(median)))


def log_normal_(self, mean=1.0, std=2.0, *, generator=None) -> Tensor:
    _require_float(self, "log_normal_cpu")
    if not std > 0.0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={_cpp_num(float(std))}")
    vals = _math_map(math.exp, _serial_normals(_gen(generator), self._data.size, float(mean), float(std)))
    return _fill(self, _cast_from_double(vals, self._data.dtype), "LogNormalBackward0")


def bernoulli_(self, p=0.5, *, generator=None) -> Tensor:
    gen = _gen(generator)
    a = self._data
    if isinstance(p, Tensor):
        pa = np.broadcast_to(p._data, a.shape)
        pa = pa if _memory_order(a) is None else pa.transpose(_memory_order(a))
        pv = pa.ravel()
        opmath = _f64 if p._data.dtype == _f64 else _f32
        vals = _uniform01(gen, a.size, opmath) < pv.astype(opmath)
        return _fill(self, vals, "BernoulliBackward1")
    if not 0 <= p <= 1:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={_cpp_num(float(p))}")
    return _fill(self, _uniform01(gen, a.size, _f64) < float(p), "BernoulliBackward2")


def random_(self, *args, generator=None, **kwargs) -> Tensor:
    """random_(), random_(to) or random_(from, to): integers drawn as torch's uniform_int kernels."""
    low, high = _random_bounds(args, kwargs)
    gen = _gen(generator)
    a = self._data
    n = a.size
    if low is None:
        return _fill(self, _random_default(gen, n, a.dtype), "RandomBackward2")
    name = "RandomBackward0" if high is not None else "RandomBackward1"
    if high is not None and not low < high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    if high is None:
        if low == -(1 << 63):
            return _fill(self, _cast_int64(gen._u64(n).view(np.int64), a.dtype), name)
        top = (1 << _DIGITS[a.dtype]) if a.dtype.kind == "f" else (1 if a.dtype == np.bool_ else
                                                                      int(np.iinfo(a.dtype).max))
        _check_bounds(low, top, a.dtype)
        return _fill(self, _from_to(gen, n, a.dtype, top + 1 - low, low), name)
    _check_bounds(low, high - 1, a.dtype)
    return _fill(self, _from_to(gen, n, a.dtype, high - low, low), name)


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


def _from_to(gen: Generator, n: int, np_dt: np.dtype, span: int, low: int) -> np.ndarray:
    """(draw % span) + low, with 64-bit draws for spans of 2**28 or more (torch's rule)."""
    raw = gen._u64(n) if span >= (1 << 28) else gen._u32(n)
    vals = (raw % np.uint64(span)).view(np.int64) + np.int64(low)
    return _cast_int64(vals, np_dt)


def _cast_int64(vals: np.ndarray, np_dt: np.dtype) -> np.ndarray:
    if np_dt == _f16:
        return vals.astype(_f32).astype(_f16)
    return vals.astype(np_dt)


def _random_default(gen: Generator, n: int, np_dt: np.dtype) -> np.ndarray:
    if np_dt == np.bool_:
        return (gen._u32(n) & np.uint64(1)).astype(np.bool_)
    if np_dt.kind == "f":
        raw = gen._u64(n) if np_dt == _f64 else gen._u32(n)
        return _cast_int64((raw % np.uint64((1 << _DIGITS[np_dt]) + 1)).view(np.int64), np_dt)
    raw = gen._u64(n) if np_dt == np.int64 else gen._u32(n)
    return (raw % np.uint64(int(np.iinfo(np_dt).max) + 1)).astype(np_dt)


# -- torch-level sampling functions ----------------------------------------------------------


def _new(size, dtype, kind: str, size_kw=None) -> np.ndarray:
    np_dt = _dtype.from_any(dtype).np if dtype is not None else _dtype.get_default_dtype().np
    shape = _shape_arg(kind, size, size_kw)
    if np_dt.kind != "f":
        kernel = "check_uniform_bounds" if kind == "rand" else "normal_kernel_cpu"
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{_LEGACY[np_dt.name]}'")
    return np.empty(shape, np_dt)


def rand(*sizes, size=None, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False,
         pin_memory=False) -> Tensor:
    check_device(device)
    a = _new(sizes, dtype, "rand", size)
    a[...] = _uniform(_gen(generator), a.size, a.dtype, 0.0, 1.0).reshape(a.shape)
    return _finish(a, requires_grad, out)


def randn(*sizes, size=None, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False,
          pin_memory=False) -> Tensor:
    check_device(device)
    a = _new(sizes, dtype, "randn", size)
    a[...] = _normals(_gen(generator), a.size, a.dtype, 0.0, 1.0).reshape(a.shape)
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
    t = wrap(np.empty(_sizes((size,), "randint"), np_dt))
    random_(t, low, high, generator=generator)
    return _finish(t._data, requires_grad, out)


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
    perm = np.arange(n, dtype=np.int64)
    if n > 1:
        offsets = (_gen(generator)._u32(n - 1) % np.arange(n, 1, -1, dtype=np.uint64)).astype(np.int64)
        p = perm.tolist()
        for i, z in enumerate(offsets.tolist()):
            j = i + z
            p[i], p[j] = p[j], p[i]
        perm = np.array(p, dtype=np.int64)
    return _finish(_cast_int64(perm, np_dt), requires_grad, out)


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
    q = _cast_from_double(-1.0 * _math_map(math.log1p, -u), rows.dtype).reshape(rows.shape)
    with np.errstate(divide="ignore", invalid="ignore"):
        keys = (rows / q).astype(rows.dtype)
    if n == 1:
        return np.argmax(keys, axis=1)[:, None].astype(np.int64)
    return np.argsort(-keys, axis=1, kind="stable")[:, :n].astype(np.int64)


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
    order = _memory_order(a)
    flat = (a if order is None else a.transpose(order)).ravel().tolist()
    vals = np.array([_poisson_one(lam, gen) for lam in flat], dtype=_f64)
    return wrap(_place(a, vals.astype(a.dtype)))


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


def _bernoulli_method(self, p=None, *, generator=None):
    return bernoulli(self, p, generator=generator)


def _multinomial_method(self, num_samples, replacement=False, *, generator=None):
    return multinomial(self, num_samples, replacement, generator=generator)


bind_methods(uniform_=uniform_, normal_=normal_, random_=random_, exponential_=exponential_,
             geometric_=geometric_, log_normal_=log_normal_, cauchy_=cauchy_, bernoulli_=bernoulli_,
             bernoulli=_bernoulli_method, multinomial=_multinomial_method)
