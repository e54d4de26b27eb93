"""The optimizers' fast path (foreach / fused / default) agrees with the per-parameter path, and torch's.

Every option combination runs 20 steps twice in numtorch, once on the
per-parameter path (foreach=False) and once on the fast path, and the params
and the whole state_dict must be the same: bit for bit on numba's compiled
loops (which fuse multiply-adds where the per-parameter path does, as torch's
kernels do), to the dtype's rounding on the NumPy fallback (which rounds them
twice); the fast path must also match torch 2.13's for-loop implementation to
the dtype's tolerance.
Each runs on both executors: numba's compiled loops (forced on for small
params) and the pure-NumPy chunked loop (numba switched off, or unimportable),
and on two layouts: several params of mixed shapes (0-d, empty, a matrix, and
grads that are None or zero on some steps), and one large param split into
many NumPy chunks.
"""
import itertools
import sys

import numpy as np
import pytest
import torch

import numtorch
from numtorch import _numba
from numtorch.optim import _fast
from numtorch.optim._fast import _plans
from tests.optim.parity import TOL, assert_value_equal, run

MANY = [(3, 4), (5,), (), (0, 3), (2, 1, 3), (7,), (0,), (1,), (2, 2), (9,)]  # a batch of 8 and two more
EXACT = dict(rtol=0, atol=0)
ONE = [(1000,)]


def _options(**choices):
    return [dict(zip(choices, values)) for values in itertools.product(*choices.values())]


CASES = [
    *[("Adam", dict(lr=0.05, betas=betas, eps=1e-6, **kw))
      for betas in ((0.8, 0.95), (0.3, 0.95))  # beta1 < 0.5: lerp from the far end
      for kw in _options(amsgrad=(False, True), weight_decay=(0, 0.1), decoupled_weight_decay=(False, True),
                         maximize=(False, True))
      if kw["weight_decay"] or not kw["decoupled_weight_decay"]],
    *[("AdamW", dict(lr=0.05, **kw)) for kw in _options(amsgrad=(False, True), weight_decay=(0, 0.1))],
    *[("SGD", dict(lr=0.05, **kw))
      for kw in _options(momentum=(0, 0.9), dampening=(0, 0.3), nesterov=(False, True), weight_decay=(0, 0.1),
                         maximize=(False, True))
      if not kw["nesterov"] or (kw["momentum"] and not kw["dampening"])],
    *[("Adagrad", dict(lr=0.1, eps=1e-6, **kw))
      for kw in _options(lr_decay=(0, 0.1), weight_decay=(0, 0.1), initial_accumulator_value=(0, 0.5),
                         maximize=(False, True))],
    *[("RMSprop", dict(lr=0.01, alpha=alpha, eps=1e-6, **kw))
      for alpha in (0.9, 0.3)  # 1 - alpha >= 0.5: lerp from the far end
      for kw in _options(centered=(False, True), momentum=(0, 0.9), weight_decay=(0, 0.1), maximize=(False, True))],
]
FAST_FLAGS = {"Adam": dict(fused=True), "AdamW": dict(foreach=True), "SGD": dict(fused=True),
              "Adagrad": dict(), "RMSprop": dict(foreach=True)}  # default (foreach=None) takes the fast path too


def _case_id(case):
    name, kw = case
    return name + "-" + "-".join(f"{k}={v}" for k, v in kw.items() if k not in ("lr", "eps"))


@pytest.fixture(params=["numba", "numpy"])
def executor(request, monkeypatch):
    """Which fast-path executor runs: numba even for tiny params, or NumPy in small chunks (to cross boundaries)."""
    if request.param == "numba":
        pytest.importorskip("numba")
    monkeypatch.setattr(_numba, "MIN_NUMEL", 0)
    monkeypatch.setattr(_numba, "enabled", request.param == "numba")
    monkeypatch.setattr(_plans, "CHUNK_BYTES", 256)
    monkeypatch.setattr(_plans, "SMALL", 32)  # larger params (bytes) run the NumPy executor's plans, smaller the kernel
    return request.param


def make_params(m, dtype, shapes, seed=0):
    rng = np.random.default_rng(seed)
    return [m.tensor(rng.standard_normal(s), dtype=getattr(m, dtype), requires_grad=True) for s in shapes]


def make_opt(name, kw, flags):
    return lambda m, ps: getattr(m.optim, name)(ps, **kw, **flags)


def numtorch_run(name, kw, flags, dtype, shapes, steps=20):
    return run(numtorch, make_opt(name, kw, flags), dtype, steps, params=make_params(numtorch, dtype, shapes))




def assert_close(a, b, tol, path="") -> None:
    """Two numtorch values (nested dicts, lists, tensors) are equal to `tol`, in type, dtype and shape exactly."""
    if isinstance(b, numtorch.Tensor):
        assert isinstance(a, numtorch.Tensor), path
        assert (a.dtype, a.shape) == (b.dtype, b.shape), f"{path}: {a.dtype}{tuple(a.shape)}, {b.dtype}{tuple(b.shape)}"
        np.testing.assert_allclose(a._data, b._data, equal_nan=True, err_msg=path, **tol)
    elif isinstance(b, dict):
        assert isinstance(a, dict) and list(a) == list(b), path
        for k in b:
            assert_close(a[k], b[k], tol, f"{path}[{k!r}]")
    elif isinstance(b, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            assert_close(x, y, tol, f"{path}[{i}]")
    else:
        assert type(a) is type(b) and a == b, f"{path}: {a!r} != {b!r}"


def tolerance(kw, dtype) -> dict:
    """float64's usual tolerance; in float32 the two paths round torch's multiply-adds differently (once vs
    twice) and 20 steps of momentum, or centered RMSprop's sq - gavg**2, magnify that to ~1e-4 relative on a
    few elements. A wrong formula is off by orders of magnitude more."""
    return dict(rtol=1e-4, atol=1e-5) if dtype == "float32" else TOL[dtype]


def assert_same_as_per_param(fast, slow, tol=None) -> None:
    (fast_params, fast_opt), (slow_params, slow_opt) = fast, slow
    tol = tol or TOL[str(slow_params[0].dtype).split(".")[1]]
    for i, (a, b) in enumerate(zip(fast_params, slow_params)):
        assert_close(a.detach(), b.detach(), tol, f"param {i}")
    fast_sd, slow_sd = fast_opt.state_dict(), slow_opt.state_dict()
    for group in fast_sd["param_groups"] + slow_sd["param_groups"]:  # the flags themselves differ, of course
        group.pop("foreach", None), group.pop("fused", None)
    assert_close(fast_sd, slow_sd, tol, "state_dict")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_same_as_per_param_path(case, dtype, executor):
    name, kw = case
    for shapes in (MANY, ONE):
        slow = numtorch_run(name, kw, dict(foreach=False), dtype, shapes)
        fast = numtorch_run(name, kw, FAST_FLAGS[name], dtype, shapes)
        assert_same_as_per_param(fast, slow, EXACT if executor == "numba" else tolerance(kw, dtype))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", CASES[::3], ids=_case_id)
def test_matches_torch(case, dtype, executor):
    """Against torch's for-loop implementation (the reference math), to the dtype's tolerance.

    torch rounds lerp and addcmul once (an FMA) where NumPy rounds twice; centered RMSprop with a small
    alpha subtracts nearly equal numbers (sq - gavg**2), which magnifies that float32 difference a little
    past the usual tolerance (the per-parameter path has the same bits, see above).
    """
    name, kw = case
    tol = tolerance(kw, dtype)
    params, opt = numtorch_run(name, kw, FAST_FLAGS[name], dtype, MANY)
    t_params, t_opt = run(torch, make_opt(name, kw, dict(foreach=False)), dtype, 20,
                          params=make_params(torch, dtype, MANY))
    for i, (a, b) in enumerate(zip(params, t_params)):
        assert_value_equal(a.detach(), b.detach(), tol, f"param {i}")
    sd, t_sd = opt.state_dict(), t_opt.state_dict()
    for group in sd["param_groups"] + t_sd["param_groups"]:
        group.pop("foreach", None), group.pop("fused", None)
    assert_value_equal(sd, t_sd, tol, "state_dict")


@pytest.mark.parametrize("name", ["Adam", "SGD", "Adagrad", "RMSprop"])
def test_default_takes_the_fast_path_and_foreach_false_does_not(name, monkeypatch):
    calls = []
    update = _fast._update
    monkeypatch.setattr(_fast, "_update", lambda *a, **k: calls.append(a[0]) or update(*a, **k))
    kw = dict(lr=0.1, momentum=0.9) if name == "SGD" else {}
    for flags, expected in ((dict(), 1), (dict(foreach=True), 1), (dict(foreach=False), 0)):
        calls.clear()
        numtorch_run(name, kw, flags, "float32", MANY, steps=1)
        assert len(calls) == expected, flags


@pytest.mark.parametrize("name", ["Adam", "SGD", "Adagrad", "RMSprop"])
def test_differentiable_takes_the_graph_path(name, monkeypatch):
    monkeypatch.setattr(_fast, "_update", lambda *a, **k: pytest.fail("the fast path ran"))
    p = numtorch.tensor([1.0, 2.0], requires_grad=True)
    lr = numtorch.tensor(0.1, requires_grad=True)
    x = p * 1.0  # a non-leaf: the meta-gradient flows into p's history
    kw = dict(momentum=0.9) if name == "SGD" else {}
    opt = getattr(numtorch.optim, name)([x], lr=lr if name in ("Adam", "SGD") else 0.1, differentiable=True,
                                         **kw)
    x.grad = numtorch.tensor([0.5, -1.0])
    opt.step()
    assert x.grad_fn is not None  # the update was recorded


def test_without_numba_installed(monkeypatch):
    """numba not importable: the NumPy path runs, silently, with the same bits."""
    monkeypatch.setitem(sys.modules, "numba", None)
    monkeypatch.delitem(sys.modules, "numtorch.optim._fast._jit", raising=False)
    monkeypatch.setattr(_fast._LOOPS, "_loops", None)
    monkeypatch.setattr(_numba, "MIN_NUMEL", 0)
    kw = dict(lr=0.05, amsgrad=True, weight_decay=0.1)
    fast = numtorch_run("Adam", kw, dict(fused=True), "float32", MANY)
    assert _fast._LOOPS._loops == {}
    assert_same_as_per_param(fast, numtorch_run("Adam", kw, dict(foreach=False), "float32", MANY))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NumPy's, from the per-parameter path's inf - inf
@pytest.mark.parametrize("name", ["Adam", "SGD", "Adagrad", "RMSprop"])
def test_non_contiguous_and_special_values(name, executor):
    """A transposed (non-contiguous) param, and grads with inf, nan and signed zeros: the same as per-param."""
    def make(flags):
        base = numtorch.tensor(np.arange(12.0).reshape(3, 4) - 5.5, dtype=numtorch.float32)
        p = base.t().detach().requires_grad_()  # a non-contiguous leaf
        q = numtorch.tensor([0.0, -0.0, 1.0, -2.0, 3.0], requires_grad=True)
        kw = dict(momentum=0.9, nesterov=True) if name == "SGD" else {}
        opt = getattr(numtorch.optim, name)([p, q], lr=0.1, weight_decay=0.1, maximize=True, **kw, **flags)
        for k in range(3):
            p.grad = numtorch.tensor(np.full((4, 3), 0.5 * k - 0.5, dtype=np.float32))
            q.grad = numtorch.tensor([np.inf, -0.0, np.nan, 0.0, -np.inf][k:] + [1.0] * k, dtype=numtorch.float32)
            opt.step()
        return [p, q], opt
    fast, slow = make({}), make(dict(foreach=False))
    assert not fast[0][0]._data.flags.c_contiguous
    assert_same_as_per_param(fast, slow)


def test_updates_bump_versions_and_new_buffers_are_fresh():
    """In-place updates are visible to autograd's version checks; SGD's first buffer is a copy, not the grad."""
    p = numtorch.tensor([1.0, 2.0], requires_grad=True)
    opt = numtorch.optim.SGD([p], lr=0.1, momentum=0.9, fused=True)
    p.grad = numtorch.tensor([0.5, -1.0])
    before = p._version
    opt.step()
    buf = opt.state[p]["momentum_buffer"]
    assert p._version > before and buf is not p.grad and not np.shares_memory(buf._data, p.grad._data)
    np.testing.assert_array_equal(buf.numpy(), [0.5, -1.0])


def test_unsupported_inputs_fall_back():
    """A float16 param or a Tensor lr is outside the kernels: the per-parameter path runs instead."""
    for p, lr in ((numtorch.tensor([1.0, 2.0], dtype=numtorch.float16, requires_grad=True), 0.1),
                  (numtorch.tensor([1.0, 2.0], requires_grad=True), numtorch.tensor(0.1))):
        p.grad = numtorch.ones_like(p)
        with numtorch.no_grad():
            assert not _fast.adam([p], [p.grad], [numtorch.zeros_like(p)], [numtorch.zeros_like(p)], [],
                                  [numtorch.tensor(0.0)], None, True, False, amsgrad=False, beta1=0.9, beta2=0.999,
                                  lr=lr, weight_decay=0, eps=1e-8, maximize=False, decoupled_weight_decay=False)


@pytest.mark.parametrize("name", ["Adam", "SGD"])
def test_kept_checks_follow_replaced_arrays(name, executor):
    """What the fast path keeps between steps (its checked rows) follows a param's data replaced, a state
    buffer replaced, a state_dict loaded and a non-contiguous grad: every step is the per-parameter path's."""
    def make(flags):
        params = make_params(numtorch, "float64", [(3, 4), (5,)])
        kw = dict(momentum=0.9) if name == "SGD" else {}
        opt = getattr(numtorch.optim, name)(params, lr=0.1, **kw, **flags)
        rng = np.random.default_rng(1)
        for k in range(6):
            for p in params:
                p.grad = numtorch.tensor(rng.standard_normal(tuple(p.shape)))
            if k == 2:
                params[0].data = params[0].detach() * 2
            if k == 3:
                state = opt.state[params[1]]
                key = "momentum_buffer" if name == "SGD" else "exp_avg"
                state[key] = state[key] + 1
            if k == 4:
                opt.load_state_dict(opt.state_dict())
            if k == 5:
                params[0].grad = numtorch.tensor(rng.standard_normal((4, 3))).t()
            opt.step()
        return params, opt
    assert_same_as_per_param(make({}), make(dict(foreach=False)))


def test_zeros_like_all_lays_buffers_side_by_side():
    """Fresh zero tensors shaped and typed like the given ones, in one allocation per dtype, without overlap,
    each at its tensor's offset within a cache line (4 KiB page when large)."""
    shapes = [(3,), (50000,), (), (0, 3), (20000, 2), (7,)]
    tensors = [numtorch.zeros(s) for s in shapes] + [numtorch.zeros(5, dtype=numtorch.float64)]
    out = _fast.zeros_like_all(tensors)
    for t, z in zip(tensors, out):
        assert (z.dtype, z.shape, z.requires_grad) == (t.dtype, t.shape, False)
        assert z._data.flags.c_contiguous and not z._data.any()
        line = 4096 if t._data.nbytes >= 1 << 16 else 64
        assert not t.numel() or z._data.ctypes.data % line == t._data.ctypes.data % line
    assert not any(np.shares_memory(a._data, b._data) for i, a in enumerate(out) for b in out[i + 1:])
    assert out[0]._data.base is out[1]._data.base is not out[-1]._data.base


# -- the NumPy executor's plans against the plain chunked loop they replaced ---------------------------------

def _chunked_update(update, arrays, args, chunk) -> None:
    """The NumPy executor as it was before plans: the kernel run on each chunk of `chunk` elements, its
    results copied into the arrays. Kept here as the reference for the bits the plans must give."""
    n = arrays[0].size
    flat = [None if a is None else a.reshape(-1) for a in arrays]
    targets = [flat[0], *flat[2:]]
    for start in range(0, n, chunk):
        part = slice(start, start + chunk)
        for target, value in zip(targets, update(*[None if a is None else a[part] for a in flat], *args)):
            if target is not None:
                target[part] = value


UPDATES = {  # kernel -> (state buffers, flags, constant sets: lerp's weight on either side of 1/2)
    "adam": (3, 4, [(0.99, 0.1, 0.2, 1, 0.5, 0.999, 0.001, 0.3, 1e-8, -0.01),
                    (0.99, 0.1, 0.7, 1, 0.5, 0.999, 0.001, 0.3, 1e-8, -0.01)]),
    "sgd": (1, 5, [(0.1, 0.9, 0.7, -0.01)]),
    "adagrad": (1, 2, [(0.1, 1e-6, -0.01)]),
    "rmsprop": (3, 4, [(0.1, 0.9, 0.1, 0.1, 1, 0.5, 1e-6, 0.9, -0.01),
                       (0.1, 0.3, 0.7, 0.7, 1, 0.5, 1e-6, 0.9, -0.01)]),
}


def _special_arrays(rng, n, states, dtype):
    p, g, *state = [rng.standard_normal(n).astype(dtype) for _ in range(2 + states)]
    g[::97], g[5::101], g[7::89], p[3::83] = np.inf, np.nan, -0.0, -np.inf
    return [p, g, *[np.abs(s) for s in state]]


def _assert_same_bits(ours, theirs, what) -> None:
    for i, (a, b) in enumerate(zip(ours, theirs)):
        assert a.dtype == b.dtype and a.shape == b.shape, what
        assert np.array_equal(*[np.ascontiguousarray(x).view(np.uint8) for x in (a, b)]), f"{what}: array {i}"


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", list(UPDATES))
def test_numpy_plans_give_the_chunked_loops_bits(name, dtype, monkeypatch):
    """Every option of every update, on special values, over many chunks of the plan and on a small param
    (the kernel run directly): bit for bit what the chunked loop gave."""
    monkeypatch.setattr(_plans, "CHUNK_BYTES", 1024)
    monkeypatch.setattr(_plans, "SMALL", 4096)
    update = getattr(_fast.kernels, name)
    states, flags, constant_sets = UPDATES[name]
    rng = np.random.default_rng(0)
    for n in (5000, 300):
        arrays = _special_arrays(rng, n, states, dtype)
        for options in itertools.product((0, 1), repeat=flags):
            for constants in constant_sets:
                args = tuple(np.array((*options, *constants), dtype))
                ours, theirs = [a.copy() for a in arrays], [a.copy() for a in arrays]
                with np.errstate(all="ignore"):
                    _fast._numpy_update(update, ours, args)
                    _chunked_update(update, theirs, args, 64)
                _assert_same_bits(ours, theirs, f"n={n} {options} {constants}")


def test_numpy_plans_with_unused_and_overlapping_arrays():
    """A result that must wait for its array's old values to be read, an unused buffer given as an empty
    array (the flat rows do that), and arrays sharing memory (a plan would write one before reading the
    other: they take the kernel's path): the same bits."""
    sgd = _fast.kernels.sgd, tuple(np.array((0, 1, 0, 0, 0, 0.1, 0.9, 0.7, -0.01), np.float32))
    adam = _fast.kernels.adam, tuple(np.array((0, 0, 0, 0, *UPDATES["adam"][2][0]), np.float32))
    p, g, m, v = _special_arrays(np.random.default_rng(1), 20000, 2, np.float32)
    empty = np.empty(0, np.float32)

    def early(p, g, s, c):  # the state's new value is ready before its old one is read: not computed in place
        new = g * c
        return p + s, new
    for (update, args), make in (
            ((early, (np.float32(3),)), lambda p, g, m, v: [p, g, m]),
            (sgd, lambda p, g, m, v: [p, g, empty]),
            (adam, lambda p, g, m, v: [p, g, p, v, None]),     # the first moment is the param itself
            (sgd, lambda p, g, m, v: [p, p[::-1], None])):    # the grad is the param reversed
        ours, theirs = make(p.copy(), g.copy(), m.copy(), v.copy()), make(p.copy(), g.copy(), m.copy(), v.copy())
        with np.errstate(all="ignore"):
            _fast._numpy_update(update, ours, args)
            _chunked_update(update, theirs, args, 20000)  # in one piece, as the kernel's path runs it
        _assert_same_bits([a for a in ours if a is not None], [a for a in theirs if a is not None], "update")


def test_numpy_plans_tell_signed_zeros_apart():
    """lr=0 and lr=-0 (equal numbers) step a -0.0 param to -0.0 and +0.0, as the kernel does."""
    p, g = np.full(20000, -0.0, np.float32), np.ones(20000, np.float32)
    for neg_lr in (-0.0, 0.0, -0.0):
        args = tuple(np.array((0, 0, 0, 0, 0, 0, 0, 1, neg_lr), np.float32))
        ours, theirs = [p.copy(), g, None], [p.copy(), g, None]
        _fast._numpy_update(_fast.kernels.sgd, ours, args)
        _chunked_update(_fast.kernels.sgd, theirs, args, 20000)
        _assert_same_bits(ours[:1], theirs[:1], f"neg_lr={neg_lr}")
