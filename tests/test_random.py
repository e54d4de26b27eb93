"""Random sampling and seeding: the streams are bit-identical to torch's CPU generator.

These tests are about the RNG, so they compare against torch's RNG directly
(single-threaded, as conftest sets it): same seed, same call, `==` on every bit.
"""
import pickle

import numpy as np
import pytest
import torch

import numtorch as nt


def bits_equal(a, b):
    """numtorch tensor a vs torch tensor b: same dtype, shape and bits (nan-aware)."""
    x, y = a.detach().numpy(), b.detach().numpy()
    assert str(a.dtype) == str(b.dtype) and x.shape == y.shape, (a.dtype, b.dtype, x.shape, y.shape)
    if x.dtype.kind == "f":
        assert np.array_equal(x.view(f"u{x.itemsize}"), y.view(f"u{y.itemsize}")), (x.ravel()[:5], y.ravel()[:5])
    else:
        assert np.array_equal(x, y), (x.ravel()[:5], y.ravel()[:5])


def same_stream(fn, seeds=(0, 7, 2 ** 40 + 3)):
    """fn(module) draws the same values after the same manual_seed, and leaves the same state."""
    for s in seeds:
        torch.manual_seed(s)
        nt.manual_seed(s)
        got, expected = fn(nt), fn(torch)
        for g, e in zip(got if isinstance(got, tuple) else (got,), expected if isinstance(expected, tuple)
                        else (expected,)):
            bits_equal(g, e)
        bits_equal(nt.get_rng_state(), torch.get_rng_state())


FLOATS = ["float32", "float64", "float16"]
SIZES = [((),), (1,), (5,), (15,), (16,), (17,), (31,), (3, 33), (1000,), (2, 0)]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("size", SIZES, ids=str)
def test_rand_randn(dtype, size):
    same_stream(lambda m: (m.rand(*size, dtype=getattr(m, dtype)), m.randn(*size, dtype=getattr(m, dtype))))


def test_large_streams():
    same_stream(lambda m: m.randn(100003), seeds=(11,))
    same_stream(lambda m: m.rand(70001), seeds=(11,))
    same_stream(lambda m: m.randn(4097, dtype=m.float64), seeds=(11,))
    same_stream(lambda m: m.randperm(60000), seeds=(11,))


def test_normal_cache_carries_between_calls():
    # the scalar Box-Muller keeps its second value in the generator
    same_stream(lambda m: (m.randn(3), m.randn(1), m.randn(20), m.randn(5), m.empty(3).normal_(2., 3.)))


@pytest.mark.parametrize("dtype", FLOATS)
def test_in_place_samplers(dtype):
    def run(m):
        d = getattr(m, dtype)
        return (m.empty(40, dtype=d).uniform_(-2.5, 3.3), m.empty(40, dtype=d).normal_(1.5, 0.7),
                m.empty(7, dtype=d).normal_(-1., 2.), m.empty(40, dtype=d).exponential_(3.),
                m.empty(40, dtype=d).geometric_(0.3), m.empty(40, dtype=d).log_normal_(0.5, 0.7),
                m.empty(40, dtype=d).cauchy_(1.5, 2.5), m.empty(40, dtype=d).bernoulli_(0.3),
                m.empty(40, dtype=d).random_(), m.empty(40, dtype=d).random_(3, 9), m.empty(40, dtype=d).random_(5),
                m.empty(40, dtype=d).uniform_())
    same_stream(run)


@pytest.mark.parametrize("dtype", ["int64", "int32", "int16", "int8", "uint8", "bool"])
def test_integer_in_place_samplers(dtype):
    def run(m):
        d = getattr(m, dtype)
        out = (m.empty(50, dtype=d).random_(), m.empty(50, dtype=d).random_(0, None),
               m.empty(50, dtype=d).bernoulli_(0.4), m.empty(50, dtype=d).bernoulli_(m.rand(50)))
        if dtype != "bool":
            out += (m.empty(50, dtype=d).random_(1, 7), m.empty(50, dtype=d).geometric_(0.2))
        return out
    same_stream(run)


@pytest.mark.parametrize("args", [(5, (30,)), (3, 17, (4, 5)), (-2 ** 40, 2 ** 40, (20,)), (0, 2 ** 28, (9,)),
                                  (0, 2 ** 28 - 1, (9,)), (-3, 3, ())], ids=str)
@pytest.mark.parametrize("dtype", [None, "int32", "float32", "float64"])
def test_randint(args, dtype):
    span = args[1] - args[0] if len(args) == 3 else args[0]
    if dtype == "int32" and span > 2 ** 31 or dtype == "float32" and span > 2 ** 24:
        return   # out of int32's range; beyond float32's integers torch warns and draws differently
    same_stream(lambda m: m.randint(*args, **({} if dtype is None else {"dtype": getattr(m, dtype)})))


def test_randint_forms_and_like():
    same_stream(lambda m: (m.randint(3, size=(2,)), m.randint(low=1, high=3, size=(2,)),
                           m.randint(0, 256, (50,), dtype=m.uint8), m.randint_like(m.zeros(2, 3), 5),
                           m.randint_like(m.zeros(4, dtype=m.int16), 3, 5)))


@pytest.mark.parametrize("n", [0, 1, 2, 10, 1000])
@pytest.mark.parametrize("dtype", [None, "int32", "float32", "uint8"])
def test_randperm(n, dtype):
    if dtype == "uint8" and n > 256:
        return
    same_stream(lambda m: m.randperm(n, **({} if dtype is None else {"dtype": getattr(m, dtype)})))


def test_like_functions():
    same_stream(lambda m: (m.rand_like(m.zeros(3, 4)), m.randn_like(m.zeros(20, dtype=m.float64)),
                           m.randn_like(m.zeros(2), dtype=m.float16)))


def test_normal_overloads():
    def run(m):
        mean, std = m.tensor([1., 2., 3.]), m.tensor([0.5, 1., 2.])
        return (m.normal(mean, std), m.normal(m.zeros(4, 1, dtype=m.float64), std), m.normal(m.arange(20.), 2.),
                m.normal(1.5, m.arange(20.)), m.normal(1.5, 2., (20,)), m.normal(0., 1., size=(3,)),
                m.normal(0., 1., (17,), dtype=m.float64), m.normal(mean, 1.))
    same_stream(run)


def test_bernoulli_and_multinomial():
    probs = np.linspace(0, 1, 37)

    def run(m):
        p32, p64 = m.tensor(probs, dtype=m.float32), m.tensor(probs)
        w = m.tensor([[0.1, 0.5, 0.2, 0.2], [1., 0, 0, 3]])
        # Drawing zero-probability categories without replacement ties them; torch orders ties by its
        # partial sort, numtorch by index, so such draws are left out.
        return (m.bernoulli(p32), m.bernoulli(p64), m.bernoulli(p32, p=0.3), p32.bernoulli(),
                m.multinomial(w[0], 50, True), m.multinomial(w, 50, True), m.multinomial(w[0], 3),
                m.multinomial(w, 2), m.multinomial(w, 1, True), m.tensor([[0.1, 0.5, 0.2, 0.2]]).multinomial(4),
                m.multinomial(p64, 10, True))
    same_stream(run)


def test_poisson():
    rates = np.array([0., 0.5, 3., 9.9, 10., 25., 1000.] * 3)
    same_stream(lambda m: m.poisson(m.tensor(rates)))


def test_explicit_generators_are_independent():
    g1, g2 = nt.Generator().manual_seed(1), nt.Generator().manual_seed(1)
    tg = torch.Generator().manual_seed(1)
    nt.manual_seed(5)
    a = nt.rand(5, generator=g1)
    nt.rand(100)                                   # the default generator does not disturb g2
    b = nt.rand(5, generator=g2)
    bits_equal(a, torch.rand(5, generator=tg))
    bits_equal(b, a)
    bits_equal(nt.randn(30, generator=g1), torch.randn(30, generator=tg))
    assert nt.Generator().initial_seed() == torch.Generator().initial_seed() == 67280421310721


def test_generator_api():
    g = nt.Generator()
    assert g.manual_seed(3) is g and g.initial_seed() == 3
    assert g.device == nt.device("cpu")
    assert nt.manual_seed(4) is nt.default_generator and nt.initial_seed() == 4
    for s, expected in ((-1, 2 ** 64 - 1), (2 ** 64 - 1, 2 ** 64 - 1), (1.5, 1), ("7", 7)):
        nt.manual_seed(s)
        torch.manual_seed(s)
        assert nt.initial_seed() == torch.initial_seed() == expected
        bits_equal(nt.rand(3), torch.rand(3))
    for bad in (2 ** 64, -2 ** 63 - 1):
        with pytest.raises(ValueError, match="Overflow"):
            nt.manual_seed(bad)
    s = nt.seed()
    assert s == nt.initial_seed() and 0 <= s < 2 ** 64
    assert g.seed() == g.initial_seed()
    with pytest.raises(NotImplementedError, match="CPU only"):
        nt.Generator(device="cuda")


def test_state_round_trip_and_torch_layout():
    for m in (nt, torch):
        m.manual_seed(9)
        m.randn(3)
    state = nt.get_rng_state()
    bits_equal(state, torch.get_rng_state())
    assert state.dtype == nt.uint8 and tuple(state.shape) == (5056,)
    after = nt.rand(10), nt.randn(1)
    nt.set_rng_state(state)
    bits_equal(nt.rand(10), after[0])
    bits_equal(nt.randn(1), after[1])
    # a torch state drives numtorch to torch's next values, and back
    nt.set_rng_state(nt.tensor(torch.get_rng_state().numpy()))
    bits_equal(nt.randn(5), torch.randn(5))
    g = nt.Generator().manual_seed(2)
    g.set_state(nt.get_rng_state())
    bits_equal(nt.rand(4, generator=g), torch.rand(4))
    with pytest.raises(RuntimeError, match="size 5056 but found the input RNG state size to be 10"):
        g.set_state(nt.zeros(10, dtype=nt.uint8))
    with pytest.raises(TypeError, match="ByteTensor"):
        g.set_state(nt.zeros(5056))


def test_generator_pickles():
    g = nt.Generator().manual_seed(12)
    nt.rand(3, generator=g)
    g2 = pickle.loads(pickle.dumps(g))
    assert g2.initial_seed() == 12
    bits_equal(nt.randn(20, generator=g2), nt.randn(20, generator=g))


def test_fork_rng():
    nt.manual_seed(1)
    with nt.random.fork_rng():
        nt.rand(10)
    torch.manual_seed(1)
    bits_equal(nt.rand(3), torch.rand(3))


def test_in_place_bumps_version_and_autograd_rules():
    w = nt.zeros(4, 3, requires_grad=True)
    with nt.no_grad():
        v = w._version
        w.uniform_(-1, 1)
        w.normal_()
        assert w._version == v + 2
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        w.normal_()
    y = w * 2
    y.uniform_()
    assert y.grad_fn.name() == "UniformBackward0"
    y.sum().backward()
    assert np.array_equal(w.grad.numpy(), np.zeros((4, 3), np.float32))
    n = nt.normal(w, 1.)
    assert n.grad_fn.name() == "NormalBackward1"
    assert nt.normal(w, nt.ones(4, 3)).grad_fn.name() == "NormalBackward3"
    assert not nt.rand(2, requires_grad=True).grad_fn and nt.rand(2, requires_grad=True).requires_grad


def test_strided_targets_fill_in_memory_order():
    def run(m):
        a = m.zeros(6, 5)
        a.t().uniform_()
        b = m.zeros(20, 3)
        b.t().normal_()               # not contiguous: the scalar Box-Muller path
        return a, b
    same_stream(run)


def test_errors_match_torch():
    cases = [
        lambda m: m.empty(3).normal_(0, -1), lambda m: m.empty(3, dtype=m.int64).normal_(),
        lambda m: m.empty(3, dtype=m.int64).uniform_(), lambda m: m.empty(3).uniform_(2, 1),
        lambda m: m.empty(3).exponential_(-1), lambda m: m.empty(3, dtype=m.int32).exponential_(),
        lambda m: m.empty(3).geometric_(0), lambda m: m.empty(3).geometric_(1.5),
        lambda m: m.empty(3).bernoulli_(1.5), lambda m: m.empty(2).log_normal_(1, 0),
        lambda m: m.empty(2).cauchy_(1, -1), lambda m: m.empty(2, dtype=m.int32).log_normal_(),
        lambda m: m.bernoulli(m.tensor([0.5, 1.5])), lambda m: m.bernoulli(m.tensor([1, 0])),
        lambda m: m.rand(2, 3, dtype=m.int64), lambda m: m.randn(2, dtype=m.int64),
        lambda m: m.randint(5, 2, (3,)), lambda m: m.randint(3, 5), lambda m: m.randint(3., (2,)),
        lambda m: m.randint(0, 300, (2,), dtype=m.uint8), lambda m: m.randint(-1, 3, (2,), dtype=m.uint8),
        lambda m: m.randperm(-1), lambda m: m.randperm(3, dtype=m.bool), lambda m: m.randperm(300, dtype=m.uint8),
        lambda m: m.multinomial(m.tensor([0., 0.]), 1), lambda m: m.multinomial(m.tensor([1., 2.]), 3),
        lambda m: m.multinomial(m.tensor([-1., 2.]), 1), lambda m: m.multinomial(m.tensor([1, 2]), 1),
        lambda m: m.multinomial(m.ones(2, 2, 2), 1), lambda m: m.multinomial(m.ones(2), 0),
        lambda m: m.multinomial(m.tensor([1., float("inf")]), 2, True),
        lambda m: m.multinomial(m.tensor([1., -1.]), 2, True), lambda m: m.multinomial(m.zeros(2), 2, True),
        lambda m: m.normal(m.zeros(2), m.ones(3)), lambda m: m.normal(m.zeros(2), -1.),
        lambda m: m.normal(m.zeros(2), m.tensor([-1., 1.])), lambda m: m.normal(m.tensor([1, 2]), 1.),
        lambda m: m.poisson(m.tensor([1., -1.])), lambda m: m.poisson(m.tensor([1, 2])),
        lambda m: m.empty(2, dtype=m.int32).random_(-2 ** 40, 5),
        lambda m: m.empty(2, dtype=m.float16).random_(-2 ** 40, 5),
    ]
    for fn in cases:
        with pytest.raises(Exception) as expected:
            fn(torch)
        with pytest.raises(type(expected.value)) as got:
            fn(nt)
        assert str(got.value) == str(expected.value)


def test_distribution_moments():
    g = nt.Generator().manual_seed(0)
    x = nt.randn(200000, generator=g).numpy()
    assert abs(x.mean()) < 0.01 and abs(x.var() - 1) < 0.01
    u = nt.rand(200000, generator=g).numpy()
    assert u.min() >= 0 and u.max() < 1 and abs(u.mean() - 0.5) < 0.005
    e = nt.empty(100000, dtype=nt.float64).exponential_(2., generator=g).numpy()
    assert abs(e.mean() - 0.5) < 0.01
