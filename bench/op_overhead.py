"""Per-op overhead of define-by-run autograd: numtorch vs torch, HIPS autograd, MyGrad.

A chain of 200 small elementwise ops (16-element float32 tensors) forward and
backward, single thread, all libraries measured side by side in one run. Each
library runs the same chain (mul by a constant, add a constant, sin, subtract
the input, repeated), so the numbers compare dispatch + graph + backward cost.

    python bench/op_overhead.py [--repeat N]
"""
from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

N_OPS = 200
SIZE = 16


def chain(x, sin):
    y = x
    for _ in range(N_OPS // 4):
        y = y * 1.01
        y = y + 0.1
        y = sin(y)
        y = y - x
    return y


def numtorch_step():
    import numtorch
    x = numtorch.ones(SIZE, requires_grad=True)

    def step():
        x.grad = None
        chain(x, numtorch.sin).sum().backward()
        return x.grad
    return step


def torch_step():
    import torch
    torch.set_num_threads(1)
    x = torch.ones(SIZE, requires_grad=True)

    def step():
        x.grad = None
        chain(x, torch.sin).sum().backward()
        return x.grad
    return step


def autograd_step():
    import autograd
    import autograd.numpy as anp
    g = autograd.grad(lambda x: anp.sum(chain(x, anp.sin)))
    x = np.ones(SIZE, dtype=np.float32)
    return lambda: g(x)


def mygrad_step():
    import mygrad
    x = mygrad.tensor(np.ones(SIZE, dtype=np.float32))

    def step():
        mygrad.sum(chain(x, mygrad.sin)).backward()
        return x.grad
    return step


LIBRARIES = {"torch": torch_step, "numtorch": numtorch_step, "HIPS autograd": autograd_step,
             "MyGrad": mygrad_step}


def measure(make, repeat: int, inner: int = 50) -> float:
    """Median microseconds per op over `repeat` timings of `inner` forward+backward passes."""
    step = make()
    for _ in range(10):
        step()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(inner):
            step()
        times.append((time.perf_counter() - t0) / inner / N_OPS * 1e6)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=15)
    args = ap.parse_args()
    results = {}
    for name, make in LIBRARIES.items():
        try:
            results[name] = measure(make, args.repeat)
        except ImportError as e:
            print(f"{name:14s} skipped ({e.name} not installed: pip install numtorch[bench])")
    base = results.get("torch")
    print(f"{N_OPS}-op chain of {SIZE}-element float32 ops, forward + backward, single thread")
    print(f"{'library':14s} {'us/op':>8s} {'vs torch':>9s}")
    for name, us in results.items():
        ratio = f"{us / base:8.2f}x" if base else "      n/a"
        print(f"{name:14s} {us:8.2f} {ratio}")


if __name__ == "__main__":
    main()
