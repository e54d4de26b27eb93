"""Same seed, same numbers: numtorch's random streams against torch 2.13's CPU generator.

Each test runs one seeded call sequence in torch and in numtorch and compares the results with
`==` on every bit (no tolerance), and the generator states after it. torch runs single-threaded
(tests/conftest.py), the setting numtorch reproduces. Inputs that are not random draws
(probabilities, means, weights) come from NumPy.
"""
import math

import numpy as np
import pytest
import torch

import numtorch as nt
from numtorch import _random as R
from numtorch._ops.creation import fma

from .test_random import bits_equal

SEEDS = (0, 1, 42, 2 ** 32 + 5, 2 ** 63 - 25)
SIZES = (0, 1, 15, 16, 17, 1000)
BIG = 10 ** 5
DTYPES = ("float32", "float64")
PROBS = np.random.default_rng(7).random(BIG + 1)


def as_tuple(x):
    return x if isinstance(x, tuple) else (x,)


def compare(fn, seed, use_generator=False):
    """fn(module, generator) after seeding: same outputs, and the same states of the generator used
    and of the default one (which an explicit generator leaves alone where torch does)."""
    outs, states = [], []
    for m in (nt, torch):
        m.manual_seed(seed)
        g = m.Generator().manual_seed(seed) if use_generator else None
        if use_generator:
            m.manual_seed(seed + 1)
        outs.append(as_tuple(fn(m, g)))
        states.append([m.get_rng_state()] + ([g.get_state()] if use_generator else []))
    assert len(outs[0]) == len(outs[1])
    for got, expected in zip(*outs):
        bits_equal(got, expected)
    for got, expected in zip(*states):
        bits_equal(got, expected)


def sweep(fn, sizes=SIZES, seeds=SEEDS):
    """fn(module, generator, n) over sizes and seeds, with the default and with an explicit generator."""
    for n in sizes:
        for s in seeds:
            for use_generator in (False, True):
                try:
                    compare(lambda m, g: fn(m, g, n), s, use_generator)
                except AssertionError as e:
                    raise AssertionError(f"n={n} seed={s} generator={use_generator}: {e}") from None


def probs(m, n, dtype="float64"):
    return m.tensor(PROBS[:n], dtype=getattr(m, dtype))


# -- every sampler, every size ------------------------------------------------------------------

CORE = {   # name -> fn(module, generator, n, dtype); also run at 10**5 elements
    "rand": lambda m, g, n, d: m.rand(n, dtype=getattr(m, d), generator=g),
    "randn": lambda m, g, n, d: m.randn(n, dtype=getattr(m, d), generator=g),
    "randint": lambda m, g, n, d: (m.randint(-7, 1000, (n,), generator=g),
                                   m.randint(2 ** 20, (n,), dtype=getattr(m, d), generator=g)),
    "randperm": lambda m, g, n, d: m.randperm(n, dtype=getattr(m, d), generator=g),
    "uniform_": lambda m, g, n, d: m.empty(n, dtype=getattr(m, d)).uniform_(-2.5, 1.25, generator=g),
    "normal_": lambda m, g, n, d: m.empty(n, dtype=getattr(m, d)).normal_(0.5, 0.3, generator=g),
    "bernoulli": lambda m, g, n, d: m.bernoulli(probs(m, n, d), generator=g),
    "random_": lambda m, g, n, d: m.empty(n, dtype=getattr(m, d)).random_(-50, 1000, generator=g),
}

ALL = dict(CORE, **{
    "rand_like": lambda m, g, n, d: m.rand_like(m.zeros(n, 1, dtype=getattr(m, d)), generator=g),
    "randn_like": lambda m, g, n, d: m.randn_like(m.zeros(1, n, dtype=getattr(m, d)), generator=g),
    "randint_like": lambda m, g, n, d: (m.randint_like(m.zeros(n, dtype=getattr(m, d)), 9, generator=g),
                                        m.randint_like(m.zeros(n, dtype=m.int32), -4, 4, generator=g)),
    "randn_2d": lambda m, g, n, d: m.randn(n, 3, dtype=getattr(m, d), generator=g),
    "normal_tensor_tensor": lambda m, g, n, d: m.normal(probs(m, n, d) - 0.5, probs(m, n, d) * 3, generator=g),
    "normal_tensor_float": lambda m, g, n, d: m.normal(probs(m, n, d), 2.5, generator=g),
    "normal_float_tensor": lambda m, g, n, d: m.normal(-1.0, probs(m, n, d), generator=g),
    "normal_float_float": lambda m, g, n, d: (m.normal(0.0, 1.0, (n,), dtype=getattr(m, d), generator=g),
                                              m.normal(3.0, 0.5, (n, 2), dtype=getattr(m, d), generator=g)),
    "uniform_forms": lambda m, g, n, d: (m.empty(n, dtype=getattr(m, d)).uniform_(generator=g),
                                         m.empty(n, dtype=getattr(m, d)).uniform_(1000.0, 1000.001, generator=g),
                                         m.empty(n, dtype=getattr(m, d)).uniform_(-1e-3, 1e-3, generator=g),
                                         m.empty(n, dtype=getattr(m, d)).uniform_(-3e4, 7.0, generator=g)),
    "normal_forms": lambda m, g, n, d: (m.empty(n, dtype=getattr(m, d)).normal_(generator=g),
                                        m.empty(n, dtype=getattr(m, d)).normal_(0.0, 0.02, generator=g),
                                        m.empty(n, dtype=getattr(m, d)).normal_(-3.0, 2.0, generator=g),
                                        m.empty(n, dtype=getattr(m, d)).normal_(4.0, 0.0, generator=g),
                                        m.empty(n, dtype=getattr(m, d)).normal_(1e6, 1e-3, generator=g)),
    "random_forms": lambda m, g, n, d: (m.empty(n, dtype=getattr(m, d)).random_(generator=g),
                                        m.empty(n, dtype=getattr(m, d)).random_(77, generator=g),
                                        m.empty(n, dtype=m.int64).random_(-2 ** 40, 2 ** 41, generator=g),
                                        m.empty(n, dtype=m.int64).random_(generator=g),
                                        m.empty(n, dtype=m.uint8).random_(generator=g)),
    "exponential_": lambda m, g, n, d: (m.empty(n, dtype=getattr(m, d)).exponential_(generator=g),
                                        m.empty(n, dtype=getattr(m, d)).exponential_(2.5, generator=g)),
    "geometric_": lambda m, g, n, d: m.empty(n, dtype=getattr(m, d)).geometric_(0.3, generator=g),
    "log_normal_": lambda m, g, n, d: (m.empty(n, dtype=getattr(m, d)).log_normal_(generator=g),
                                       m.empty(n, dtype=getattr(m, d)).log_normal_(0.5, 0.7, generator=g)),
    "cauchy_": lambda m, g, n, d: (m.empty(n, dtype=getattr(m, d)).cauchy_(generator=g),
                                   m.empty(n, dtype=getattr(m, d)).cauchy_(1.5, 2.5, generator=g)),
    "bernoulli_forms": lambda m, g, n, d: (m.bernoulli(probs(m, n, d), 0.3, generator=g),
                                           m.empty(n, dtype=getattr(m, d)).bernoulli_(0.7, generator=g),
                                           m.empty(n, dtype=getattr(m, d)).bernoulli_(probs(m, n, d), generator=g),
                                           probs(m, n, d).bernoulli(generator=g)),
    "multinomial_replacement": lambda m, g, n, d: (
        m.multinomial(probs(m, 7, d), n + 1, True, generator=g),
        m.multinomial(probs(m, 3 * (n + 1), d).reshape(3, n + 1), 5, True, generator=g)),
    # (with ~1000 float32 categories, two keys p/q can be equal: torch orders such ties by its partial
    # sort, numtorch by index; docs/random.md. Full permutations are drawn from few categories here.)
    "multinomial_no_replacement": lambda m, g, n, d: (
        m.multinomial(probs(m, n + 3, d) + 0.01, min(n + 1, 50), generator=g),
        m.multinomial(probs(m, 2 * (n + 3), d).reshape(2, n + 3) + 0.01, 1, generator=g),
        m.multinomial(probs(m, min(n, 40) + 3, d) + 0.01, min(n, 40) + 3, generator=g)),
    "poisson": lambda m, g, n, d: m.poisson(m.tensor(np.linspace(0, 40, min(n, 200)), dtype=getattr(m, d)),
                                            generator=g),
})


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(ALL))
def test_sampler_streams(name, dtype):
    sweep(lambda m, g, n: ALL[name](m, g, n, dtype))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(CORE))
def test_core_samplers_large(name, dtype):
    sweep(lambda m, g, n: CORE[name](m, g, n, dtype), sizes=(BIG, BIG + 7), seeds=SEEDS[::2])


IN_PLACE = {
    "uniform_": lambda t, g: t.uniform_(-1.0, 4.0, generator=g),
    "normal_": lambda t, g: t.normal_(2.0, 0.5, generator=g),
    "random_": lambda t, g: t.random_(0, 100, generator=g),
    "exponential_": lambda t, g: t.exponential_(1.5, generator=g),
    "geometric_": lambda t, g: t.geometric_(0.2, generator=g),
    "log_normal_": lambda t, g: t.log_normal_(generator=g),
    "cauchy_": lambda t, g: t.cauchy_(generator=g),
    "bernoulli_": lambda t, g: t.bernoulli_(0.4, generator=g),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(IN_PLACE))
def test_non_contiguous_outputs(name, dtype):
    """Strided targets are filled in memory order (normal_ takes its scalar path there)."""
    def run(m, g, n):
        d, fill = getattr(m, dtype), IN_PLACE[name]
        a, b, c = m.zeros(4, n, dtype=d), m.zeros(n, 6, dtype=d), m.zeros(3, 2 * n + 1, dtype=d)
        fill(a.t(), g)
        fill(b.t(), g)
        fill(c[:, ::2], g)
        fill(m.zeros(5, 7, 6, dtype=d).permute(2, 0, 1), g)
        return a, b, c, fill(m.empty(4, 6, dtype=d).t(), g)
    sweep(run, sizes=(1, 4, 17, 300), seeds=SEEDS[:3])


@pytest.mark.parametrize("name", sorted(IN_PLACE))
def test_in_place_under_autograd(name):
    """A refused in-place write (to a leaf that requires grad) draws nothing; one recorded in the graph
    draws what a plain one does, and passes a zero gradient."""
    def run(m, g):
        w = m.zeros(40, requires_grad=True)
        with pytest.raises(RuntimeError, match="leaf Variable"):
            IN_PLACE[name](w, g)
        y = w * 2
        IN_PLACE[name](y, g)
        y.sum().backward()
        return y.detach(), w.grad, m.rand(3, generator=g)
    for s in SEEDS[:2]:
        compare(run, s)
        compare(run, s, use_generator=True)


def test_interleaved_calls_and_generators():
    """One long mixed sequence on two generators: the normal cache and the stream positions carry over."""
    def run(m, g):
        h = m.Generator().manual_seed(99)
        out = [m.randn(3, generator=g), m.rand(5, generator=h), m.randn(1, generator=g),
               m.empty(7).normal_(generator=h), m.randn(17, generator=g), m.randint(0, 9, (4,), generator=h),
               m.randn(2, dtype=m.float64, generator=g), m.randperm(33, generator=g),
               m.empty(3).log_normal_(generator=g), m.randn(16, generator=h), m.rand(1, generator=g),
               m.multinomial(m.tensor([0.2, 0.3, 0.5]), 8, True, generator=g), m.randn(5, generator=g),
               m.empty(9, dtype=m.float64).cauchy_(generator=h), m.bernoulli(m.full((6,), 0.5), generator=g),
               m.randn(1, generator=h), h.get_state()]
        return tuple(out)
    for s in SEEDS:
        compare(run, s)
        compare(run, s, use_generator=True)


def test_float32_normal_minus_zero_becomes_plus_zero():
    """A radius of exactly 0 (uniform 0) and a negative cosine: torch's final fma gives +0, not -0."""
    words = [0, 1 << 24, 2, 3, 4, 5, 6, 7] + [0x800000] * 8      # k1 = 0; angle pi: cos < 0
    for m in (nt, torch):
        set_next_words(m, words)
    a, b = nt.randn(16), torch.randn(16)
    bits_equal(a, b)
    assert not np.signbit(a.numpy()[0]) and a.numpy()[0] == 0


def test_randperm_paths_agree():
    """randperm's loop (numba-compiled when installed) and its loop-free NumPy equivalent."""
    draws = np.random.default_rng(0).integers(0, 2 ** 32, 70000, dtype=np.uint32)
    for n in (2, 3, 17, 1000, 70001):
        perm = np.arange(n)
        (R._LOOPS.get("swaps") or R._swap_loop)(draws[:n - 1], perm)
        assert np.array_equal(R._swap_sequence(draws[:n - 1] % np.arange(n, 1, -1, dtype=np.uint32)), perm), n


UNIT_RADIUS = 6601320      # the uniform k whose Box-Muller radius is exactly 1


def test_exhaustive_float32_box_muller_kernel():
    """The float32 kernel's fused multiply-adds are float64 sums rounded once to float32, which skips
    the double-rounding correction; so every one of the 2**24 inputs of its log and of its sincos is
    checked here against an exactly rounded emulation of torch's AVX code, for the NumPy executor and
    (when numba is installed) the compiled one."""
    executors = [R._box_muller32_rows] + [loop for loop in [R._LOOPS.get("box_muller32")] if loop]
    step = 1 << 21
    for start in range(0, 1 << 24, step):
        k = np.arange(start, start + step, dtype=np.int32)
        u = k.astype(np.float32) * np.float32(2.0 ** -24)
        ref_log = reference_log(np.float32(1) - u)
        ref_sin, ref_cos = reference_sincos(np.float32(2.0 * math.pi) * u)
        same_bits(R._cephes_log1m(k), ref_log, start)
        for got, expected in zip(R._cephes_sincos2pi(k), (ref_cos, ref_sin)):
            same_bits(got, expected, start)
        radius = np.sqrt(np.float32(-2) * ref_log)
        for run in executors:
            first, second = np.empty_like(u), np.empty_like(u)
            run(k, np.zeros_like(k), first, second)             # angle 0: first is the radius
            same_bits(first, radius, start)
            run(np.full_like(k, UNIT_RADIUS), k, first, second)  # radius 1: the cosine and the sine
            same_bits(first, ref_cos, start)
            same_bits(second, ref_sin, start)
    assert np.sqrt(np.float32(-2) * reference_log(np.float32(1) - np.float32(UNIT_RADIUS * 2.0 ** -24))) == 1


def same_bits(got, expected, where):
    assert np.array_equal(np.asarray(got).view(np.int32), np.asarray(expected).view(np.int32)), where


# -- seeding and state ---------------------------------------------------------------------------

def test_manual_seed_initial_seed_and_seed():
    for s in SEEDS + (-1, -2 ** 63, 2 ** 64 - 1, 7.9, np.int64(12)):
        assert nt.manual_seed(s) is nt.default_generator
        torch.manual_seed(s)
        assert nt.initial_seed() == torch.initial_seed()
        assert nt.random.initial_seed() == torch.random.initial_seed()
        bits_equal(nt.get_rng_state(), torch.get_rng_state())
    assert nt.Generator().initial_seed() == torch.Generator().initial_seed()
    s = nt.seed()
    assert s == nt.initial_seed() and 0 <= s < 2 ** 64
    torch.manual_seed(s)        # seed() is manual_seed with a fresh seed
    bits_equal(nt.randn(20), torch.randn(20))
    g = nt.Generator()
    s = g.seed()
    assert g.initial_seed() == s
    bits_equal(nt.rand(5, generator=g), torch.rand(5, generator=torch.Generator().manual_seed(s)))
    assert nt.random.seed() != nt.random.seed()


@pytest.mark.parametrize("seed", SEEDS[:3])
def test_state_round_trips_both_ways(seed):
    def advance(m, g=None):   # leaves a cached normal (odd scalar Box-Muller count)
        return m.randn(5, generator=g), m.rand(3, generator=g)

    def tail(m, g=None):
        return (m.randn(1, generator=g), m.randn(40, generator=g), m.randint(0, 5, (9,), generator=g),
                m.empty(3, dtype=m.float64).normal_(generator=g))
    for m in (nt, torch):
        m.manual_seed(seed)
        advance(m)
    bits_equal(nt.get_rng_state(), torch.get_rng_state())
    saved_nt, saved_torch = nt.get_rng_state(), torch.get_rng_state()
    expected = tail(torch)
    nt.set_rng_state(nt.tensor(saved_torch.numpy()))            # torch's state drives numtorch
    for got, want in zip(tail(nt), expected):
        bits_equal(got, want)
    torch.set_rng_state(torch.from_numpy(saved_nt.numpy()))      # and numtorch's drives torch
    nt.set_rng_state(saved_nt)
    for got, want in zip(tail(nt), tail(torch)):
        bits_equal(got, want)
    # explicit generators: get_state / set_state, across the libraries
    g, tg = nt.Generator().manual_seed(seed), torch.Generator().manual_seed(seed)
    advance(nt, g)
    advance(torch, tg)
    state = g.get_state()
    bits_equal(state, tg.get_state())
    expected = tail(torch, tg)
    g2 = nt.Generator().set_state(nt.tensor(tg.get_state().numpy()))
    tg.set_state(torch.from_numpy(state.numpy()))
    for a, b, c in zip(tail(nt, g), expected, tail(torch, tg)):
        bits_equal(a, b)
        bits_equal(a, c)
    assert g2.initial_seed() == seed % 2 ** 64


def test_fork_rng():
    for m in (nt, torch):
        m.manual_seed(3)
        with m.random.fork_rng():
            m.randn(11)
            with m.random.fork_rng(devices=[]):
                m.rand(4)
        with pytest.raises(ValueError):
            with m.random.fork_rng():
                m.rand(2)
                raise ValueError
        with m.random.fork_rng(enabled=False):
            m.rand(2)
    bits_equal(nt.randn(7), torch.randn(7))
    assert set(torch.random.__all__) <= set(dir(nt.random))


# -- built on the samplers: init, modules, dropout, data ------------------------------------------

def init_calls(init):
    return [
        lambda t, g: init.uniform_(t, -0.3, 0.7, generator=g),
        lambda t, g: init.normal_(t, 0.1, 0.2, generator=g),
        lambda t, g: init.trunc_normal_(t, 0.0, 1.0, -2.0, 2.0, generator=g),
        lambda t, g: init.trunc_normal_(t, 0.0, 1.0, 1.5, 3.0, generator=g),
        lambda t, g: init.xavier_uniform_(t, gain=1.3, generator=g),
        lambda t, g: init.xavier_normal_(t, generator=g),
        lambda t, g: init.kaiming_uniform_(t, a=math.sqrt(5), generator=g),
        lambda t, g: init.kaiming_uniform_(t, mode="fan_out", nonlinearity="relu", generator=g),
        lambda t, g: init.kaiming_normal_(t, generator=g),
        lambda t, g: init.kaiming_normal_(t, a=0.1, mode="fan_out", generator=g),
        lambda t, g: init.sparse_(t.view(t.shape[0], -1), 0.3, generator=g),
        lambda t, g: (init.constant_(t, 0.25), init.ones_(t), init.zeros_(t))[-1],
        lambda t, g: init.eye_(t.view(t.shape[0], -1)),
        lambda t, g: init.dirac_(t) if t.dim() >= 3 else t,
    ]


@pytest.mark.parametrize("shape", [(30, 20), (8, 3, 5, 5), (6, 4, 7)], ids=str)
@pytest.mark.parametrize("index", range(len(init_calls(torch.nn.init))))
def test_nn_init(shape, index):
    def run(m, g):
        t = m.zeros(shape)
        return init_calls(m.nn.init)[index](t, g), t
    for s in SEEDS[:3]:
        compare(run, s)
        compare(run, s, use_generator=True)


def test_orthogonal_init():
    """orthogonal_ draws its normal matrix bit for bit; its QR runs on NumPy's LAPACK, not torch's, so the
    result matches to rounding only."""
    for shape in [(10, 10), (6, 15), (15, 6), (4, 3, 3)]:
        results = []
        for m in (nt, torch):
            m.manual_seed(5)
            results.append(m.nn.init.orthogonal_(m.empty(shape), gain=2.0).numpy())
            m.nn.init.normal_(m.empty(3))      # the stream goes on from the same place
        np.testing.assert_allclose(results[0], results[1], rtol=1e-5, atol=1e-5)
        bits_equal(nt.get_rng_state(), torch.get_rng_state())
        q = results[0].reshape(shape[0], -1)
        small = q @ q.T if q.shape[0] <= q.shape[1] else q.T @ q
        np.testing.assert_allclose(small, 4.0 * np.eye(len(small)), atol=1e-5)   # gain**2 * I


def test_multinomial_tied_keys():
    """Without replacement, zero-probability categories all get key 0: torch orders such ties by its
    partial sort, numtorch by index. Everything before the ties matches torch bit for bit, and the
    draws follow the distribution."""
    w = np.array([0.0, 1.0, 2.0, 0.0, 3.0, 0.0])
    for s in SEEDS:
        for m in (nt, torch):
            m.manual_seed(s)
        got = nt.multinomial(nt.tensor(w).expand(50, 6), 6).numpy()
        expected = torch.multinomial(torch.tensor(w).expand(50, 6), 6).numpy()
        assert np.array_equal(got[:, :3], expected[:, :3])
        assert (np.sort(got[:, 3:], axis=1) == [0, 3, 5]).all()
        bits_equal(nt.get_rng_state(), torch.get_rng_state())
    first = nt.multinomial(nt.tensor(w).expand(4000, 6), 6, generator=nt.Generator().manual_seed(1))[:, 0]
    freq = np.bincount(first.numpy(), minlength=6) / 4000
    np.testing.assert_allclose(freq, w / w.sum(), atol=0.03)


MODULES = [
    ("Linear", (4, 8), {}), ("Linear", (3, 2), {"bias": False}), ("Bilinear", (3, 4, 5), {}),
    ("Conv1d", (3, 4, 5), {}), ("Conv2d", (3, 6, 3), {"groups": 3}), ("Conv3d", (2, 2, 2), {}),
    ("ConvTranspose1d", (4, 2, 3), {}), ("ConvTranspose2d", (4, 6, 3), {"groups": 2}),
    ("ConvTranspose3d", (2, 3, 2), {}),
    ("Embedding", (10, 4), {}), ("Embedding", (10, 4), {"padding_idx": 2}), ("EmbeddingBag", (10, 3), {}),
    ("RNN", (3, 5), {"num_layers": 2}), ("LSTM", (3, 5), {"bidirectional": True}),
    ("LSTM", (3, 6), {"proj_size": 2}), ("GRU", (4, 3), {"num_layers": 2, "bias": False}),
    ("RNNCell", (3, 4), {}), ("LSTMCell", (3, 4), {}), ("GRUCell", (3, 4), {}),
    ("MultiheadAttention", (8, 2), {}), ("MultiheadAttention", (8, 2), {"kdim": 3, "vdim": 5, "bias": False}),
    ("MultiheadAttention", (6, 3), {"add_bias_kv": True}),
    ("TransformerEncoderLayer", (8, 2), {"dim_feedforward": 16}),
    ("TransformerDecoderLayer", (8, 2), {"dim_feedforward": 16}),
    ("BatchNorm1d", (5,), {}), ("BatchNorm2d", (3,), {}), ("LayerNorm", (6,), {}), ("GroupNorm", (2, 4), {}),
    ("InstanceNorm2d", (3,), {"affine": True}), ("PReLU", (3,), {}), ("RMSNorm", (4,), {}),
]


@pytest.mark.parametrize("name,args,kwargs", MODULES, ids=[f"{n}{a}{k or ''}" for n, a, k in MODULES])
def test_module_default_init(name, args, kwargs):
    if not hasattr(nt.nn, name):
        pytest.skip(f"numtorch.nn.{name} does not exist yet")
    for s in SEEDS[:2]:
        mods = []
        for m in (nt, torch):
            m.manual_seed(s)
            mods.append(getattr(m.nn, name)(*args, **kwargs))
        got, expected = dict(mods[0].named_parameters()), dict(mods[1].named_parameters())
        assert list(got) == list(expected)
        for key in expected:
            bits_equal(got[key], expected[key])
        bits_equal(nt.get_rng_state(), torch.get_rng_state())


DROPOUTS = [
    ("dropout", lambda F, x: F.dropout(x, 0.3, training=True)),
    ("dropout_inplace", lambda F, x: F.dropout(x.clone(), 0.6, training=True, inplace=True)),
    ("dropout1d", lambda F, x: F.dropout1d(x.reshape(4, 6, -1), 0.5, training=True)),
    ("dropout2d", lambda F, x: F.dropout2d(x.reshape(4, 6, 5, -1), 0.5, training=True)),
    ("dropout3d", lambda F, x: F.dropout3d(x.reshape(2, 6, 2, 5, -1), 0.4, training=True)),
    ("alpha_dropout", lambda F, x: F.alpha_dropout(x, 0.2, training=True)),
    ("feature_alpha_dropout", lambda F, x: F.feature_alpha_dropout(x.reshape(4, 6, 5, -1), 0.2, training=True)),
    ("rrelu", lambda F, x: F.rrelu(x - 0.5, training=True)),
    ("rrelu_bounds", lambda F, x: F.rrelu(x - 0.7, 0.01, 0.9, training=True)),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,fn", DROPOUTS, ids=[d[0] for d in DROPOUTS])
def test_dropout_masks(name, fn, dtype):
    if not hasattr(nt.nn.functional, name.split("_inplace")[0].split("_bounds")[0]):
        pytest.skip(f"numtorch.nn.functional.{name} does not exist yet")
    x = np.random.default_rng(3).random((4, 6, 5, 20))

    def run(m, g):
        return fn(m.nn.functional, m.tensor(x, dtype=getattr(m, dtype)))
    for s in SEEDS[:3]:
        compare(run, s)


def test_dropout_modules():
    x = np.random.default_rng(4).random((8, 6, 5, 4)).astype(np.float32)
    for s in SEEDS[:3]:
        compare(lambda m, g: tuple(mod.train()(m.tensor(x)) for mod in
                                   (m.nn.Dropout(0.25), m.nn.Dropout2d(0.5), m.nn.AlphaDropout(0.3),
                                    m.nn.RReLU())), s)


def data_orders(m, g):
    data = m.utils.data
    ds = list(range(23))
    out = [list(data.RandomSampler(ds, generator=g)),
           list(data.RandomSampler(ds, replacement=True, num_samples=70, generator=g)),
           list(data.RandomSampler(ds, num_samples=50, generator=g)),
           list(data.SubsetRandomSampler([3, 9, 12, 5, 7, 1], generator=g)),
           list(data.WeightedRandomSampler([0.1, 2.0, 0.5, 1.0, 3.0], 40, generator=g)),
           list(data.WeightedRandomSampler([0.1, 2.0, 0.5, 1.0, 3.0], 4, replacement=False, generator=g))]
    loader = data.DataLoader(ds, batch_size=5, shuffle=True, generator=g)
    out += [[b.tolist() for b in loader] for _ in range(2)]
    parts = data.random_split(ds, [8, 15], generator=g) if g is not None else data.random_split(ds, [8, 15])
    out += [list(p.indices) for p in parts]
    parts = data.random_split(ds, [0.3, 0.5, 0.2], generator=g) if g is not None else \
        data.random_split(ds, [0.3, 0.5, 0.2])
    out += [list(p.indices) for p in parts]
    return m.tensor(sum(([len(o)] + [x for xs in o for x in (xs if isinstance(xs, list) else [xs])]
                         for o in out), []))


def test_sampler_and_loader_orders():
    for s in SEEDS:
        compare(data_orders, s)
        compare(data_orders, s, use_generator=True)


@pytest.mark.parametrize("optimizer", ["SGD", "Adam"])
def test_seeded_tutorial_training(optimizer):
    """torch.manual_seed(0); a small MLP on seeded randn data: same initial weights and data bit for bit,
    and the same 100 losses (to float32 rounding)."""
    runs = []
    for m in (nt, torch):
        m.manual_seed(0)
        model = m.nn.Sequential(m.nn.Linear(4, 8), m.nn.ReLU(), m.nn.Linear(8, 1))
        x, y = m.randn(64, 4), m.randn(64, 1)
        initial = [p.detach().clone() for p in model.parameters()]
        opt = m.optim.SGD(model.parameters(), lr=0.05) if optimizer == "SGD" else \
            m.optim.Adam(model.parameters(), lr=0.01)
        losses = []
        for _ in range(100):
            opt.zero_grad()
            loss = m.nn.functional.mse_loss(model(x), y)
            loss.backward()
            opt.step()
            losses.append(loss.item())
        runs.append((initial, x, y, losses))
    (p_nt, x_nt, y_nt, l_nt), (p_t, x_t, y_t, l_t) = runs
    for a, b in zip(p_nt + [x_nt, y_nt], p_t + [x_t, y_t]):
        bits_equal(a, b)
    np.testing.assert_allclose(l_nt, l_t, rtol=2e-6, atol=1e-7)
    assert l_t[-1] < l_t[0]


# -- helpers: an mt19937 state whose next outputs are chosen; the exact float32 reference ----------

def _undo_right(y, shift):
    x = y
    for _ in range(32 // shift + 1):
        x = y ^ (x >> shift)
    return x


def _undo_left(y, shift, mask):
    x = y
    for _ in range(32 // shift + 1):
        x = y ^ ((x << shift) & mask & 0xFFFFFFFF)
    return x


def untemper(word: int) -> int:
    y = _undo_right(word, 18)
    y = _undo_left(y, 15, 0xEFC60000)
    y = _undo_left(y, 7, 0x9D2C5680)
    return _undo_right(y, 11)


def set_next_words(m, words):
    """Put m's default generator in a state (torch's layout) whose next raw draws are `words`."""
    m.manual_seed(0)
    state = m.get_rng_state().numpy().copy()
    head = np.frombuffer(state[:24].tobytes(), "<i4").copy()
    head[2], head[4], head[5] = 624, 1, 0      # left = 624, next = 1: the next draw reads key[1]
    state[:24] = np.frombuffer(head.tobytes(), np.uint8)
    key = np.frombuffer(state[24:24 + 8 * 624].tobytes(), "<u8").copy()
    key[1:1 + len(words)] = [untemper(w) for w in words]
    state[24:24 + 8 * 624] = np.frombuffer(key.tobytes(), np.uint8)
    m.set_rng_state(m.tensor(state) if m is nt else torch.from_numpy(state))


def test_untemper_inverts_tempering():
    mt = np.random.MT19937(3)
    before = mt.state["state"]["key"][0]
    y = int(before)
    y ^= y >> 11
    y ^= (y << 7) & 0x9D2C5680
    y ^= (y << 15) & 0xEFC60000
    y ^= y >> 18
    assert untemper(y & 0xFFFFFFFF) == before


F32 = np.float32


def _fma32(a, b, c):
    return fma(a, b, c, np.dtype(np.float32))


def reference_log(x):
    """Cephes' log256_ps for positive float32 x, each fused multiply-add rounded exactly once."""
    bits = x.view(np.int32)
    e = ((bits >> 23) - 0x7F).astype(F32) + F32(1)
    x = ((bits & ~0x7F800000) | np.int32(0x3F000000)).view(F32)
    small = x < R._SQRTHF
    e = e - np.where(small, F32(1), F32(0))
    x = (x - F32(1)) + np.where(small, x, F32(0))
    z = x * x
    y = np.full_like(x, R._LOG_P[0])
    for p in R._LOG_P[1:]:
        y = _fma32(y, x, p)
    y = _fma32(y * x, z, e * R._LOG_Q1)
    y = y - z * F32(0.5)
    return (x + y) + e * R._LOG_Q2


def reference_sincos(x):
    """Cephes' sincos256_ps for non-negative float32 x, each fused multiply-add rounded exactly once."""
    j = ((x * R._FOPI).astype(np.int32) + 1) & ~1
    y = j.astype(F32)
    x = _fma32(y, R._DP[2], (x + y * R._DP[0]) + y * R._DP[1])
    z = x * x
    yc = np.full_like(x, R._COS_P[0])
    for p in R._COS_P[1:]:
        yc = _fma32(yc, z, p)
    yc = _fma32(yc * z, z, -(z * F32(0.5))) + F32(1)
    ys = np.full_like(x, R._SIN_P[0])
    for p in R._SIN_P[1:]:
        ys = _fma32(ys, z, p)
    ys = _fma32(ys * z, x, x)
    sine_poly = (j & 2) == 0
    sin, cos = np.where(sine_poly, ys, yc), np.where(sine_poly, yc, ys)
    return np.where((j & 4) != 0, -sin, sin), np.where((~(j - 2) & 4) != 0, -cos, cos)


def test_poisson_of_strided_rates_is_drawn_in_c_order():
    """torch's poisson returns a contiguous tensor drawn in its C order, whatever the rates' layout."""
    rates = np.arange(1, 7, dtype=np.float64).reshape(2, 3) * 3
    for make in (lambda lib: lib.tensor(rates).t(), lambda lib: lib.tensor(rates[0]).expand(4, 3)):
        torch.manual_seed(0)
        nt.manual_seed(0)
        theirs, ours = torch.poisson(make(torch)), nt.poisson(make(nt))
        bits_equal(ours, theirs)
        assert ours.stride() == theirs.stride()
