"""Bit-for-bit equality with torch's CPU kernels (one thread): sums and means in torch's order of
additions (also inside backward's broadcast reduction), fused multiply-adds (add/sub with alpha,
lerp, addcmul), scans, var/std, and a float32 training loop printing torch's numbers.

Every comparison is `==` on the bytes of the results. torch's order of additions and its use of FMA
depend on its CPU capability, so the exact tests are skipped where numtorch assumes another one.
"""
import os
import platform
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import numtorch
from numtorch._ops import _fma

TORCH_CAPABILITY = torch.backends.cpu.get_cpu_capability()
X86 = platform.machine().lower() in ("x86_64", "amd64")
exact = pytest.mark.skipif(
    not X86 or _fma.cpu_capability() != TORCH_CAPABILITY,
    reason=f"numtorch assumes CPU capability {_fma.cpu_capability()!r} on {platform.machine()}, torch reports "
           f"{TORCH_CAPABILITY!r}: the order of torch's additions and its use of FMA depend on it")
ROOT = Path(__file__).resolve().parents[2]
FLOATS = ["float32", "float64", "float16"]


@pytest.fixture(autouse=True)
def one_thread():
    """torch splits full reductions over 32768 elements between threads; the parity is single-threaded."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def same(ours, theirs, what=""):
    a, b = ours.detach().numpy(), theirs.detach().numpy()
    assert a.dtype == b.dtype and a.shape == b.shape, what
    assert a.tobytes() == b.tobytes(), f"{what}: {np.count_nonzero(a != b)} of {a.size} elements differ"


def pair(array):
    return numtorch.tensor(array), torch.tensor(array)


def arrays(rng, shape, dtype, n=1):
    out = [np.asarray(rng.standard_normal(shape) * 3, dtype=dtype) for _ in range(n)]
    return out[0] if n == 1 else out


# -- sums -----------------------------------------------------------------------------------------------


@exact
@pytest.mark.parametrize("dtype", FLOATS)
def test_full_sum_of_every_length(dtype, rng):
    """Lengths around the vector width (8 floats), the 4-way split, and the cascade's levels (16, 4096...)."""
    for n in [*range(0, 300), 1000, 1023, 1024, 1025, 4096 * 4 + 3, 65536 + 17, 300_001]:
        x = arrays(rng, n, dtype)
        ours, theirs = pair(x)
        same(ours.sum(), theirs.sum(), f"sum of {n}")
        if n:
            same(ours.mean(), theirs.mean(), f"mean of {n}")


def _layouts(rng, shape, dtype):
    """The same values as contiguous, transposed, sliced and expanded tensors of both libraries."""
    x = arrays(rng, shape, dtype)
    n, t = pair(x)
    yield "contiguous", n, t
    if len(shape) > 1:
        perm = list(rng.permutation(len(shape)))
        yield f"permuted {perm}", n.permute(*perm), t.permute(*perm)
    yield "sliced", n[..., ::2], t[..., ::2]
    size1 = tuple(slice(0, 1) if d == 0 else slice(None) for d in range(len(shape)))
    big = (5,) + tuple(shape[1:])
    yield "expanded", n[size1].expand(*big), t[size1].expand(*big)


SHAPES = [(37, 45), (4, 70), (70, 4), (3, 5, 40), (2, 33, 17, 3), (300, 9), (9, 300), (1, 16, 1, 8)]


@exact
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_sum_and_mean_along_dims(shape, dtype, rng):
    nd = len(shape)
    dims = [(d,) for d in range(nd)] + [(0, nd - 1), tuple(range(nd)), tuple(range(1, nd))]
    for layout, n, t in _layouts(rng, shape, dtype):
        same(n.sum(), t.sum(), layout)
        for dim in dims:
            for keepdim in (False, True):
                what = f"{layout} dim={dim} keepdim={keepdim}"
                same(n.sum(dim, keepdim=keepdim), t.sum(dim, keepdim=keepdim), "sum " + what)
                same(n.mean(dim, keepdim=keepdim), t.mean(dim, keepdim=keepdim), "mean " + what)


@exact
@pytest.mark.parametrize("dtype", FLOATS)
def test_nansum_nanmean_and_sum_with_dtype(dtype, rng):
    x = arrays(rng, (6, 7, 40), dtype)
    x[0, 0, :5] = np.nan
    n, t = pair(x)
    for dim in [None, 1, 2, (0, 2)]:
        args = () if dim is None else (dim,)
        same(numtorch.nansum(n, *args), torch.nansum(t, *args), f"nansum {dim}")
        same(numtorch.nanmean(n, *args), torch.nanmean(t, *args), f"nanmean {dim}")
    y = arrays(rng, (1000,), dtype)
    same(numtorch.tensor(y).sum(dtype=numtorch.float64), torch.tensor(y).sum(dtype=torch.float64))


@exact
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_broadcast_gradients_are_torch_sums(dtype, rng):
    """The engine's sum_to (every broadcasting backward) adds as torch's sum does."""
    cases = [((), (1000,)), ((33,), (64, 33)), ((5, 1, 7), (1, 6, 7)), ((1, 40), (300, 1)), ((3, 1, 1), (3, 17, 9))]
    for small, big in cases:
        a, b = arrays(rng, small, dtype), arrays(rng, big, dtype)
        na, nb = (numtorch.tensor(v, requires_grad=True) for v in (a, b))
        ta, tb = (torch.tensor(v, requires_grad=True) for v in (a, b))
        ((na * nb + na) ** 2).mean().backward()     # no transcendental functions: see docs/numerics.md
        ((ta * tb + ta) ** 2).mean().backward()
        same(na.grad, ta.grad, f"grad of {small} against {big}")
        same(nb.grad, tb.grad, f"grad of {big} against {small}")


# -- fused multiply-add -----------------------------------------------------------------------------------


@exact
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", [(1000,), (7,), (33, 17), ()], ids=str)
def test_fused_multiply_adds(shape, dtype, rng):
    """torch's add/sub with alpha, lerp and addcmul round a*b + c once (vec::fmadd and FMA contraction)."""
    (x, y, z), w = arrays(rng, shape, dtype, 3), np.asarray(rng.uniform(-0.3, 1.3, shape), dtype=dtype)
    (nx, tx), (ny, ty), (nz, tz), (nw, tw) = pair(x), pair(y), pair(z), pair(w)
    for alpha in (0.3, -1.7, 2):
        for op in ("add", "sub", "rsub"):
            same(getattr(numtorch, op)(nx, ny, alpha=alpha), getattr(torch, op)(tx, ty, alpha=alpha), f"{op} {alpha}")
        for op in ("add_", "sub_"):
            a, b = nx.clone(), tx.clone()
            getattr(a, op)(ny, alpha=alpha)
            getattr(b, op)(ty, alpha=alpha)
            same(a, b, f"{op} {alpha}")
    for weight in (0.1, 0.3, 0.49999997, 0.5, 0.7, 1.3, -0.2):
        same(numtorch.lerp(nx, ny, weight), torch.lerp(tx, ty, weight), f"lerp {weight}")
        a, b = nx.clone(), tx.clone()
        a.lerp_(ny, weight)
        b.lerp_(ty, weight)
        same(a, b, f"lerp_ {weight}")
    same(numtorch.lerp(nx, ny, nw), torch.lerp(tx, ty, tw), "lerp with a tensor weight")
    for value in (1, 0.3, -2.5):
        same(numtorch.addcmul(nx, ny, nz, value=value), torch.addcmul(tx, ty, tz, value=value), f"addcmul {value}")
        same(numtorch.addcdiv(nx, ny, nz, value=value), torch.addcdiv(tx, ty, tz, value=value), f"addcdiv {value}")
        for op in ("addcmul_", "addcdiv_"):
            a, b = nx.clone(), tx.clone()
            getattr(a, op)(ny, nz, value=value)
            getattr(b, op)(ty, tz, value=value)
            same(a, b, f"{op} {value}")


@exact
def test_fused_multiply_adds_broadcast_and_mixed_dtypes(rng):
    a, b, c = arrays(rng, (40, 30), "float32"), arrays(rng, (30,), "float32"), arrays(rng, (40, 1), "float32")
    (na, ta), (nb, tb), (nc, tc) = pair(a), pair(b), pair(c)
    same(numtorch.add(na, nb, alpha=0.3), torch.add(ta, tb, alpha=0.3))
    same(numtorch.add(na.T, na.T, alpha=0.3), torch.add(ta.T, ta.T, alpha=0.3))
    same(numtorch.addcmul(na, nb, nc, value=0.3), torch.addcmul(ta, tb, tc, value=0.3))
    same(numtorch.lerp(na, nb.expand(40, 30), 0.3), torch.lerp(ta, tb.expand(40, 30), 0.3))
    ints = np.asarray(a * 10, dtype=np.int64)
    same(numtorch.add(na, numtorch.tensor(ints), alpha=0.3), torch.add(ta, torch.tensor(ints), alpha=0.3))
    same(numtorch.add(numtorch.tensor(ints), na, alpha=0.3), torch.add(torch.tensor(ints), ta, alpha=0.3))


@exact
def test_exact_float32_fma_at_a_double_rounding_midpoint():
    """1 + 2**-23 + 2**-24 - 2**-70: rounding the float64 sum to float32 would round twice, up."""
    f = np.float32
    a, b, c = np.array([1 + 2 ** -23], f), np.array([2 ** -24 * (1 - 2 ** -23)], f), np.array([1 + 2 ** -23], f)
    ours = numtorch.addcmul(numtorch.tensor(c), numtorch.tensor(a), numtorch.tensor(b))
    same(ours, torch.addcmul(torch.tensor(c), torch.tensor(a), torch.tensor(b)))
    assert ours.item() == 1 + 2 ** -23


@exact
def test_baseline_capability_rounds_twice():
    """With ATEN_CPU_CAPABILITY=default torch's kernels do not fuse; numtorch follows the same variable."""
    script = (
        "import numpy as np, torch, numtorch\n"
        "rng = np.random.default_rng(0)\n"
        "x, y, z = (rng.standard_normal(1000).astype(np.float32) for _ in range(3))\n"
        "n, t = [numtorch.tensor(v) for v in (x, y, z)], [torch.tensor(v) for v in (x, y, z)]\n"
        "assert torch.backends.cpu.get_cpu_capability() == 'DEFAULT'\n"
        "pairs = [(numtorch.add(n[0], n[1], alpha=0.3), torch.add(t[0], t[1], alpha=0.3)),\n"
        "         (numtorch.lerp(n[0], n[1], 0.3), torch.lerp(t[0], t[1], 0.3)),\n"
        "         (numtorch.addcmul(n[0], n[1], n[2], value=0.3), torch.addcmul(t[0], t[1], t[2], value=0.3))]\n"
        "assert all(a.numpy().tobytes() == b.numpy().tobytes() for a, b in pairs)\n"
        "print(numtorch._ops._fma.cpu_capability())\n")
    env = dict(os.environ, ATEN_CPU_CAPABILITY="default", NUMTORCH_CPU_CAPABILITY="")
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "DEFAULT"


# -- scans, var/std, pow ------------------------------------------------------------------------------------


@exact
@pytest.mark.parametrize("dtype", FLOATS)
def test_cumsum_and_cumprod_accumulate_wider(dtype, rng):
    x = arrays(rng, (50, 300), dtype)
    n, t = pair(x)
    for dim in (0, 1):
        same(n.cumsum(dim), t.cumsum(dim), f"cumsum {dim}")
        same((n / 10 + 1).cumprod(dim), (t / 10 + 1).cumprod(dim), f"cumprod {dim}")
        a, b = n.clone(), t.clone()
        a.cumsum_(dim)
        b.cumsum_(dim)
        same(a, b, f"cumsum_ {dim}")


@exact
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_var_and_std(dtype, rng):
    """float64: torch's full var/std (two passes, the second a plain loop in float64); float32: all
    forms, torch's float64 results rounded once. (float64 var along dims is Welford's: not matched.)"""
    x = arrays(rng, (30, 40), dtype) + 1
    for layout, n, t in [("contiguous", *pair(x)), ("transposed", *(v.T for v in pair(x)))]:
        for correction in (0, 1, 2.5):
            for op in ("var", "std"):
                same(getattr(n, op)(correction=correction), getattr(t, op)(correction=correction), f"{op} {layout}")
                if dtype == "float32":
                    for dim in (0, 1):
                        same(getattr(n, op)(dim, correction=correction), getattr(t, op)(dim, correction=correction))
                        for a, b in zip(getattr(numtorch, op + "_mean")(n, dim), getattr(torch, op + "_mean")(t, dim)):
                            same(a, b, f"{op}_mean {dim}")


@exact
def test_pow_by_minus_two_and_minus_half(rng):
    x = np.abs(arrays(rng, (1000,), "float32")) + np.float32(1e-3)
    n, t = pair(x)
    for exponent in (-2, -0.5, -1, 2, 3):
        same(n ** exponent, t ** exponent, f"pow {exponent}")


# -- training loops ----------------------------------------------------------------------------------------


@exact
def test_sgd_trajectory_is_torchs(rng):
    """An elementwise model trained by SGD with momentum and weight decay (per-parameter path: add_ with
    alpha, mul_), with broadcast gradients and a mean loss: every step's parameters equal torch's."""
    xs, ys = arrays(rng, (200,), "float32"), arrays(rng, (200,), "float32")
    params = {}
    for lib in (numtorch, torch):
        w, b = lib.tensor([0.5], requires_grad=True), lib.tensor(0.1, requires_grad=True)
        opt = lib.optim.SGD([w, b], lr=0.01, momentum=0.9, weight_decay=0.01, foreach=False)
        x, y = lib.tensor(xs), lib.tensor(ys)
        trace = []
        for _ in range(30):
            opt.zero_grad()
            loss = ((w * x + b - y) ** 2).mean()
            loss.backward()
            opt.step()
            trace.append(np.concatenate([w.detach().numpy(), b.detach().numpy()[None], [loss.item()]]))
        params[lib.__name__] = np.array(trace)
    assert params["numtorch"].tobytes() == params["torch"].tobytes()


def _run(source: str) -> str:
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-W", "ignore", "-c", source], env=env, capture_output=True, text=True,
                         cwd=ROOT)
    assert out.returncode == 0, out.stderr
    return out.stdout


@exact
def test_linear_regression_example_prints_torchs_numbers():
    source = (ROOT / "examples" / "linear_regression.py").read_text()
    assert "import numtorch as torch" in source
    ours = _run(source)
    theirs = _run(source.replace("import numtorch as torch", "import torch"))
    assert "Epoch 1000, Loss 9.775997" in theirs
    assert ours == theirs


def test_capability_is_torchs():
    """numtorch finds the capability torch reports (without importing torch)."""
    if not X86:
        pytest.skip("capability detection is for x86 CPUs")
    assert _fma.cpu_capability() == TORCH_CAPABILITY

