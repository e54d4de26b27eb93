"""differentiable=True: the update stays in the autograd graph, so meta-gradients flow through steps.

The meta-gradient of a loss after three steps, with respect to the initial
params, a Tensor lr and the gradients fed in, equals torch's.
"""
import numpy as np
import pytest
import torch

import numtorch
from tests.optim.parity import to_np

CASES = [  # (class, options, lr as a Tensor requiring grad?, steps)
    ("SGD", dict(), True, 3),
    ("SGD", dict(momentum=0.9, weight_decay=0.1), False, 3),
    ("SGD", dict(momentum=0.9, nesterov=True, maximize=True), False, 3),
    ("SGD", dict(momentum=0.5, dampening=0.2), False, 3),
    ("SGD", dict(momentum=0.9), True, 3),   # torch itself raises: buf is saved, then updated in place
    ("Adam", dict(), True, 3),
    ("Adam", dict(amsgrad=True, weight_decay=0.1), True, 1),
    ("Adam", dict(amsgrad=True), True, 3),   # torch itself raises: exp_avg_sq saved by maximum
    ("Adam", dict(weight_decay=0.1, decoupled_weight_decay=True, maximize=True), True, 3),
    ("Adam", dict(betas=(0.8, 0.9), eps=1e-3), False, 3),
]


def meta_grads(m, cls, kw, tensor_lr, steps):
    rng = np.random.default_rng(5)
    init = [rng.standard_normal(s) for s in [(3,), (2, 2)]]
    leaves = [m.tensor(a, requires_grad=True) for a in init]
    grads = [m.tensor(rng.standard_normal(a.shape), requires_grad=True) for a in init]
    lr = m.tensor(0.1, dtype=m.float64, requires_grad=True) if tensor_lr else 0.1
    params = [leaf.clone() for leaf in leaves]  # non-leaf: an in-place update of a leaf cannot be recorded
    opt = getattr(m.optim, cls)(params, lr=lr, differentiable=True, **kw)
    for k in range(steps):
        for p, g in zip(params, grads):
            p.grad = g * (k + 1.0)
        opt.step()
    loss = sum((p * p * p).sum() for p in params)
    return [to_np(x) for x in m.autograd.grad(loss, leaves + grads + ([lr] if tensor_lr else []))]


@pytest.mark.filterwarnings("ignore:The .grad attribute of a Tensor that is not a leaf")
@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}-{c[1]}-tensor_lr={c[2]}-steps={c[3]}")
def test_meta_gradient_matches_torch(case):
    """Equal meta-gradients, or the same error where torch cannot take them either."""
    results = []
    for m in (numtorch, torch):
        try:
            results.append(meta_grads(m, *case))
        except RuntimeError as e:
            results.append(str(e).split(",")[0])
    if isinstance(results[1], str):
        assert results[0] == results[1]
        return
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


def test_update_is_recorded_only_when_differentiable():
    p = numtorch.tensor([1.0, 2.0], requires_grad=True).clone()
    p.grad = numtorch.ones(2)
    numtorch.optim.SGD([p], lr=0.1, differentiable=True).step()
    assert p.grad_fn is not None
    q = numtorch.tensor([1.0, 2.0], requires_grad=True)
    q.grad = numtorch.ones(2)
    numtorch.optim.SGD([q], lr=0.1).step()
    assert q.grad_fn is None and q.is_leaf
