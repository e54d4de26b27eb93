"""Sampling speed: numtorch vs torch 2.13 (single-threaded) for 10**6 elements.

Run: python bench/rng.py [--n N] [--repeat R]
(NUMTORCH_NUMBA=0 measures the pure-NumPy path where numba is installed.)

Each case runs in both libraries in turn, `repeat` rounds of 3 back-to-back calls after a
warm-up, and the best time of each library is kept (the steady state of a loop that
samples repeatedly and uses each result). Times are the process's
CPU time (time.process_time), so that other load on the machine does not count. The
ratio is numtorch / torch; the issue's target is at most 2.
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import torch  # noqa: E402

import numtorch  # noqa: E402

TARGET = 2.0


def cases(n: int):
    """(name, fn(module)) pairs; fn draws about n elements."""
    side = int(round(n ** 0.5))
    return [
        ("rand float32", lambda m: m.rand(n)),
        ("rand float64", lambda m: m.rand(n, dtype=m.float64)),
        ("randn float32", lambda m: m.randn(n)),
        ("randn float64", lambda m: m.randn(n, dtype=m.float64)),
        ("randint(0, 1000)", lambda m: m.randint(0, 1000, (n,))),
        ("randperm", lambda m: m.randperm(n)),
        ("normal_() float32", lambda m: m.empty(n).normal_()),
        ("normal_(1, 2) float32", lambda m: m.empty(n).normal_(1.0, 2.0)),
        ("normal_() strided", lambda m: m.empty(side, side).t().normal_()),
        ("uniform_(-1, 2) float32", lambda m: m.empty(n).uniform_(-1.0, 2.0)),
        ("bernoulli(p tensor)", lambda m: m.bernoulli(m.full((n,), 0.3))),
        ("bernoulli_(0.3)", lambda m: m.empty(n).bernoulli_(0.3)),
        ("multinomial(1000 cats, n, repl.)", lambda m: m.multinomial(m.ones(1000), n, True)),
        ("multinomial(n cats, 1000)", lambda m: m.multinomial(m.ones(n), 1000)),
        ("exponential_", lambda m: m.empty(n).exponential_()),
        ("geometric_(0.3)", lambda m: m.empty(n).geometric_(0.3)),
        ("log_normal_", lambda m: m.empty(n).log_normal_()),
        ("cauchy_", lambda m: m.empty(n).cauchy_()),
        ("random_(0, 1000)", lambda m: m.empty(n).random_(0, 1000)),
    ]


def best_of(fn, module, repeat: int) -> float:
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.process_time()
        result = fn(module)      # the previous result lives until now, as in a loop that uses its samples
        best = min(best, time.process_time() - start)
    del result
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10 ** 6)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    numtorch.manual_seed(0)
    from numtorch._random import _LOOPS
    print(f"numtorch's compiled loops (numba): {'on' if _LOOPS.get('swaps') else 'off'}")
    print(f"{'case (n = %d)' % args.n:36s} {'torch ms':>9s} {'numtorch ms':>12s} {'ratio':>7s}")
    over = []
    for name, fn in cases(args.n):
        fn(torch), fn(numtorch)                      # warm-up (numtorch checks its libm paths once)
        t_ref = t_nt = float("inf")
        for _ in range(args.repeat):                 # take turns, so both see the same machine load
            t_ref = min(t_ref, best_of(fn, torch, 3))
            t_nt = min(t_nt, best_of(fn, numtorch, 3))
        ratio = t_nt / t_ref
        flag = "" if ratio <= TARGET else "  > 2x"
        print(f"{name:36s} {t_ref * 1e3:9.2f} {t_nt * 1e3:12.2f} {ratio:7.2f}{flag}", flush=True)
        if ratio > TARGET:
            over.append(name)
    print(f"\n{len(over)} case(s) above {TARGET}x torch" + (f": {', '.join(over)}" if over else ""))


if __name__ == "__main__":
    main()
