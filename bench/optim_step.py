"""One optimizer step on 10M float32 parameters: numtorch vs torch 2.13's CPU implementations, against memory bandwidth.

Layouts: (a) one parameter of 10M elements, (b) 200 parameters of 50K elements.
Optimizers: Adam, AdamW, SGD with momentum, Adagrad, RMSprop.
Implementations, all in this process, alternating within each repetition so that they see the same load
(and taking turns at allocating their arrays first):

- numtorch per-param: foreach=False, the per-parameter path (torch's for-loop algorithm, op by op)
- numtorch default:   foreach=None (numtorch's default takes the fast path, being bit-for-bit the same)
- numtorch fused:     fused=True (the fast path: numba's single-pass loop when installed; foreach=True for
                      RMSprop, which has no fused implementation in torch)
- numtorch numpy:     the same with numba switched off (the fast path's pure-NumPy chunked loop)
- torch default / foreach / fused: torch 2.13's for-loop, multi-tensor and fused CPU kernels

The machine's memory bandwidth is measured first (a large copy, and a single-pass triad when numba is
installed); each step's GB/s counts the bytes the update must move at least (Adam reads param, grad,
exp_avg, exp_avg_sq and writes three of them: 28 bytes per float32 parameter; the others 20). Everything
is single-threaded. Times are the calling thread's CPU time (every implementation here computes in the
calling thread once torch has one thread), which leaves out the time a shared machine gives to other
processes; the median wall-clock time is printed beside it. Prints the median milliseconds per step (min in
brackets), GB/s and the ratio to torch's fused step (< 1: faster than torch fused; for RMSprop, which
torch has no fused step for, to its foreach step).

    python bench/optim_step.py [--repeat N] [--numel N] [--only adam,sgd,...] [--layouts a,b]
"""
from __future__ import annotations

import argparse
import os

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS",
             "NUMEXPR_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ[_var] = "1"

import gc  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

import numtorch  # noqa: E402
from numtorch import _numba  # noqa: E402

torch.set_num_threads(1)

# name -> (constructor kwargs, bytes moved per parameter element in float32)
OPTIMIZERS = {
    "adam": ("Adam", dict(lr=1e-3), 28),
    "adamw": ("AdamW", dict(lr=1e-3), 28),
    "sgd": ("SGD", dict(lr=1e-3, momentum=0.9), 20),
    "adagrad": ("Adagrad", dict(lr=1e-2), 20),
    "rmsprop": ("RMSprop", dict(lr=1e-2), 20),
}
IMPLS = {  # name -> (library, flags, numba on)
    "numtorch per-param": ("numtorch", dict(foreach=False), True),
    "numtorch default": ("numtorch", dict(), True),
    "numtorch fused": ("numtorch", dict(fused=True), True),
    "numtorch numpy": ("numtorch", dict(fused=True), False),
    "torch default": ("torch", dict(foreach=False), None),
    "torch foreach": ("torch", dict(foreach=True), None),
    "torch fused": ("torch", dict(fused=True), None),
}


def timed(fn, repeat: int, clock=time.thread_time) -> list:
    times = []
    for _ in range(repeat):
        t = clock()
        fn()
        times.append(clock() - t)
    return times


def bandwidth(numel: int, repeat: int) -> dict:
    """GB/s of a copy (read + write) and, with numba, of a single-pass triad a = b + s*c (two reads, one write)."""
    src = np.random.default_rng(0).random(numel, dtype=np.float32)
    dst, other = np.empty_like(src), src[::-1].copy()
    result = {"copy": 2 * src.nbytes / min(timed(lambda: np.copyto(dst, src), repeat)) / 1e9}
    try:
        import numba
    except ImportError:
        return result

    @numba.njit(fastmath=False)
    def triad(a, b, c, s):
        for i in range(a.size):
            a[i] = b[i] + s * c[i]
    triad(dst, src, other, np.float32(0.5))
    result["triad"] = 3 * src.nbytes / min(timed(lambda: triad(dst, src, other, np.float32(0.5)), repeat)) / 1e9
    return result


def sizes(layout: str, numel: int) -> list:
    return [numel] if layout == "a" else [numel // 200] * 200


def make_step(impl: str, opt_name: str, layout: str, numel: int):
    """A function taking one step of `opt_name` with `impl` on freshly made params and grads."""
    lib_name, flags, numba_on = IMPLS[impl]
    cls_name, kwargs, _ = OPTIMIZERS[opt_name]
    lib = numtorch if lib_name == "numtorch" else torch
    rng = np.random.default_rng(0)
    params = []
    for n in sizes(layout, numel):
        p = lib.tensor(rng.standard_normal(n, dtype=np.float32), requires_grad=True)
        p.grad = lib.tensor(rng.standard_normal(n, dtype=np.float32))
        params.append(p)
    if cls_name == "RMSprop" and "fused" in flags:
        if lib is torch:
            return None  # torch has no fused RMSprop
        flags = dict(foreach=True)
    opt = getattr(lib.optim, cls_name)(params, **kwargs, **flags)

    def step():
        if numba_on is not None:
            _numba.enabled = numba_on
        opt.step()
    for _ in range(2):  # state creation, numba's compile or cache load
        step()
    return step


def bench(opt_name: str, layout: str, numel: int, repeat: int, impls) -> dict:
    """Times per implementation. The arrays of a step are made anew in every round, each round in
    another order: which implementation's arrays are allocated first (fresh pages or recycled heap)
    moved a memory-bound step by 10-20%, so every implementation takes every place in turn."""
    times = {}
    for turn in range(len(impls)):
        order = impls[turn:] + impls[:turn]
        steps = {impl: make_step(impl, opt_name, layout, numel) for impl in order}
        steps = {k: v for k, v in steps.items() if v is not None}
        for _ in range(-(-repeat // len(impls))):  # alternate, so that every implementation sees the same load
            for impl, step in steps.items():
                t_wall, t_cpu = time.perf_counter(), time.thread_time()
                step()
                cpu, wall = times.setdefault(impl, ([], []))
                cpu.append(time.thread_time() - t_cpu)
                wall.append(time.perf_counter() - t_wall)
        del steps
        gc.collect()
    _numba.enabled = True
    return {impl: times[impl] for impl in impls if impl in times}


def report(opt_name: str, layout: str, numel: int, times: dict) -> None:
    bytes_moved = OPTIMIZERS[opt_name][2] * numel
    ref_name = next((k for k in ("torch fused", "torch foreach") if k in times), None)  # RMSprop: no fused
    ref = statistics.median(times[ref_name][0]) if ref_name else None
    print(f"\n{OPTIMIZERS[opt_name][0]}, layout ({layout}): {len(sizes(layout, numel))} param(s), {numel:,} elements")
    print(f"  {'implementation':20s} {'cpu ms':>8s} {'(min)':>9s} {'GB/s':>6s} {'vs ' + (ref_name or '-'):>16s} "
          f"{'wall ms':>9s}")
    for impl, (cpu, wall) in times.items():
        med = statistics.median(cpu)
        ratio = f"{med / ref:16.2f}" if ref else f"{'n/a':>16s}"
        print(f"  {impl:20s} {med * 1e3:8.2f} {f'({min(cpu) * 1e3:.2f})':>9s} {bytes_moved / med / 1e9:6.1f} {ratio} "
              f"{statistics.median(wall) * 1e3:9.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--numel", type=int, default=10_000_000)
    parser.add_argument("--only", default=",".join(OPTIMIZERS), help="comma-separated: " + ",".join(OPTIMIZERS))
    parser.add_argument("--layouts", default="a,b")
    parser.add_argument("--impls", default=",".join(IMPLS), help="comma-separated, from: " + ",".join(IMPLS))
    args = parser.parse_args()
    impls = args.impls.split(",")
    bw = bandwidth(args.numel, args.repeat)
    print(f"torch {torch.__version__}, numpy {np.__version__}, numba: {'triad' in bw}; single thread")
    print("memory bandwidth: " + ", ".join(f"{k} {v:.1f} GB/s" for k, v in bw.items()))
    for opt_name in args.only.split(","):
        for layout in args.layouts.split(","):
            report(opt_name, layout, args.numel, bench(opt_name, layout, args.numel, args.repeat, impls))
            gc.collect()


if __name__ == "__main__":
    main()
