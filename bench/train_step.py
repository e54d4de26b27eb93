"""One SGD training step: an MLP and a small CNN, numtorch vs torch (and HIPS autograd / MyGrad for the MLP).

- MLP 784-512-512-10 with ReLU, batch 128, cross-entropy loss;
- CNN conv(1->16, 3x3) - relu - maxpool 2 - conv(16->32, 3x3) - relu - maxpool 2 - linear(800->10), batch 64 of
  1x28x28 images, cross-entropy loss.

Everything runs single-threaded (thread variables are set before NumPy or torch is imported) and every library
runs in the same process, taking turns in blocks of steps, so they see the same machine load. Prints, per library, the
median CPU milliseconds per step (process time: on a shared machine it does not count the time other processes
hold the core), the median and min wall-clock milliseconds, and the ratios to torch.

    python bench/train_step.py [--repeat N] [--only mlp|cnn]
"""
from __future__ import annotations

import argparse
import os

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS",
             "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = "1"

import statistics  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

LR = 0.01


def data(batch: int, shape, seed: int = 0):
    rng = np.random.default_rng(seed)
    return rng.random((batch,) + shape, dtype=np.float32), rng.integers(0, 10, batch)


# -- numtorch and torch share the model code (one import changes) ------------------------------------

def mlp(nn):
    return nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10))


def cnn(nn):
    return nn.Sequential(nn.Conv2d(1, 16, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(16, 32, 3), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Linear(800, 10))


def torchlike_step(lib, build, x, y):
    model = build(lib.nn)
    opt = lib.optim.SGD(model.parameters(), lr=LR)
    xt, yt = lib.tensor(x), lib.tensor(y)
    loss_fn = lib.nn.functional.cross_entropy

    def step():
        opt.zero_grad()
        loss = loss_fn(model(xt), yt)
        loss.backward()
        opt.step()
        return loss
    return step


def numtorch_step(build, x, y):
    import numtorch
    return torchlike_step(numtorch, build, x, y)


def torch_step(build, x, y):
    import torch
    torch.set_num_threads(1)
    return torchlike_step(torch, build, x, y)


# -- the MLP in HIPS autograd and MyGrad ----------------------------------------------------------------

def _mlp_params(seed: int = 1):
    rng = np.random.default_rng(seed)
    sizes = [(784, 512), (512, 512), (512, 10)]
    return [a for i, o in sizes for a in (rng.uniform(-1, 1, (i, o)).astype(np.float32) / np.sqrt(i),
                                         np.zeros(o, np.float32))]


def autograd_step(x, y):
    import autograd.numpy as anp
    from autograd import grad

    params = _mlp_params()
    onehot = np.eye(10, dtype=np.float32)[y]

    def loss(ps):
        h = x
        for i in range(0, 6, 2):
            h = anp.dot(h, ps[i]) + ps[i + 1]
            if i < 4:
                h = anp.maximum(h, 0)
        z = h - anp.max(h, axis=1, keepdims=True)
        logp = z - anp.log(anp.sum(anp.exp(z), axis=1, keepdims=True))
        return -anp.sum(logp * onehot) / x.shape[0]
    g = grad(loss)

    def step():
        grads = g(params)
        for p, gp in zip(params, grads):
            p -= LR * gp
    return step


def mygrad_step(x, y):
    import mygrad as mg

    params = [mg.tensor(p) for p in _mlp_params()]
    onehot = np.eye(10, dtype=np.float32)[y]

    def step():
        h = x
        for i in range(0, 6, 2):
            h = mg.matmul(h, params[i]) + params[i + 1]
            if i < 4:
                h = mg.maximum(h, 0)
        z = h - mg.max(h, axis=1, keepdims=True)
        logp = z - mg.log(mg.sum(mg.exp(z), axis=1, keepdims=True))
        loss = -mg.sum(logp * onehot) / x.shape[0]
        loss.backward()
        for p in params:
            p.data -= LR * p.grad
            p.null_grad()
    return step


# -- timing ------------------------------------------------------------------------------------------

def measure(steps: dict, repeat: int, block: int = 10, warmup: int = 5) -> dict:
    """(cpu, wall) seconds per step for each library. Libraries take turns in blocks of `block` consecutive
    steps (training runs one library's steps back to back, with its caches and allocator warm), so every
    library still sees the same machine load over the run."""
    times = {name: ([], []) for name in steps}
    for _ in range(max(1, repeat // block)):
        for name, fn in steps.items():
            for _ in range(warmup):
                fn()
            for _ in range(block):
                c0, w0 = time.process_time(), time.perf_counter()
                fn()
                times[name][0].append(time.process_time() - c0)
                times[name][1].append(time.perf_counter() - w0)
    return times


def report(title: str, times: dict) -> None:
    cpu0, wall0 = (statistics.median(t) for t in times["torch"])
    print(f"\n{title}")
    print(f"  {'library':<10} {'cpu ms':>8} {'vs torch':>9} {'wall ms':>9} {'(min)':>8} {'vs torch':>9}")
    for name, (cpu, wall) in times.items():
        c, w = statistics.median(cpu), statistics.median(wall)
        print(f"  {name:<10} {c * 1e3:8.2f} {c / cpu0:8.2f}x {w * 1e3:9.2f} {min(wall) * 1e3:8.2f} {w / wall0:8.2f}x")


def _available(module: str) -> bool:
    try:
        __import__(module)
        return True
    except ImportError:
        return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=60, help="timed steps per library")
    parser.add_argument("--only", choices=("mlp", "cnn"))
    args = parser.parse_args()
    if args.only != "cnn":
        x, y = data(128, (784,))
        steps = {"torch": torch_step(mlp, x, y), "numtorch": numtorch_step(mlp, x, y)}
        if _available("autograd"):
            steps["autograd"] = autograd_step(x, y)
        if _available("mygrad"):
            steps["mygrad"] = mygrad_step(x, y)
        report("MLP 784-512-512-10, batch 128, one SGD step", measure(steps, args.repeat))
    if args.only != "mlp":
        x, y = data(64, (1, 28, 28))
        steps = {"torch": torch_step(cnn, x, y), "numtorch": numtorch_step(cnn, x, y)}
        report("CNN conv16-pool-conv32-pool-linear, batch 64 of 28x28, one SGD step", measure(steps, args.repeat))


if __name__ == "__main__":
    main()
