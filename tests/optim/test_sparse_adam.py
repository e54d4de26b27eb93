"""SparseAdam trajectories, state, checkpoints and errors equal torch 2.13's, with sparse gradients.

The shared parity harness runs here with sparse COO gradients in place of dense ones: each
param's gradient holds a few entries (with repeated indices, so that coalescing matters) at
rows drawn from a seeded generator, whose values are the harness's usual function of the
param there plus noise; on some steps the gradient is None or has no entries at all. Params:
an embedding-like matrix (sparse over rows, dense over columns), a matrix sparse over both
dims, a vector, and a matrix with no rows.
"""
import numpy as np
import pytest
import torch

import numtorch
from numtorch.optim.sparse_adam import sparse_adam
from tests.optim import parity, properties
from tests.optim.parity import compare, to_np
from tests.optim.properties import DTYPES, OptimizerProperties, _signature, assert_same_outcome
from tests.optim.test_optimizer import _leaf

SHAPES = [(10, 3), (6, 5), (7,), (0, 3)]
SPARSE_DIMS = [1, 2, 1, 1]


def sparse_grad(m, x: np.ndarray, step: int, j: int):
    """The gradient of param j (values x) at `step`: None, empty, or six entries at seeded positions."""
    if (step + j) % 5 == 3:
        return None
    rng = np.random.default_rng(1000 * step + j)
    nnz = 0 if (step + 2 * j) % 7 == 5 or x.size == 0 else 6
    sparse_dim = SPARSE_DIMS[j]
    idx = np.stack([rng.integers(0, x.shape[d], nnz) for d in range(sparse_dim)]).reshape(sparse_dim, nnz)
    at = x[tuple(idx)]
    values = np.tanh(2.0 * at) + 0.5 * np.sin(3.0 * at) + rng.standard_normal(at.shape)
    return m.sparse_coo_tensor(m.tensor(idx), m.tensor(values.astype(x.dtype)), x.shape, check_invariants=True)


def set_sparse_grads(m, params, step: int) -> None:
    for j, p in enumerate(params):
        p.grad = sparse_grad(m, to_np(p), step, j)


@pytest.fixture(autouse=True)
def _sparse_gradients(monkeypatch):
    monkeypatch.setattr(parity, "SHAPES", SHAPES)
    monkeypatch.setattr(parity, "set_grads", set_sparse_grads)
    monkeypatch.setattr(properties, "set_grads", set_sparse_grads)


@DTYPES
@pytest.mark.parametrize("kw", [dict(), dict(maximize=True), dict(lr=0.05, betas=(0.5, 0.9), eps=1e-3),
                                dict(lr=0.05, betas=(0.0, 0.0), maximize=True)],
                         ids=lambda kw: "-".join(f"{k}={v}" for k, v in kw.items()) or "defaults")
def test_trajectory(kw, dtype):
    compare(lambda m, ps: m.optim.SparseAdam(ps, **kw), dtype)


def groups(m, ps):
    return m.optim.SparseAdam([{"params": ps[:1]}, {"params": ps[1:3], "lr": 0.02, "betas": (0.5, 0.9)},
                               {"params": ps[3:], "eps": 1e-3, "maximize": True}], lr=0.1)


@DTYPES
def test_groups_with_different_options(dtype):
    compare(groups, dtype)


@DTYPES
def test_tensor_lr(dtype):
    compare(lambda m, ps: m.optim.SparseAdam(ps, lr=m.tensor([0.05])), dtype)


def test_only_the_gradients_entries_move():
    """Rows without a gradient entry keep their param and moments; `step` is a Python int."""
    p = numtorch.tensor(np.arange(12.0).reshape(4, 3), requires_grad=True)
    opt = numtorch.optim.SparseAdam([p], lr=0.1)
    p.grad = numtorch.sparse_coo_tensor(numtorch.tensor([[2, 0, 2]]), numtorch.ones(3, 3, dtype=p.dtype), (4, 3))
    opt.step()
    moved = (to_np(p) != np.arange(12.0).reshape(4, 3)).any(1)
    assert moved.tolist() == [True, False, True, False] and opt.state[p]["step"] == 1
    assert (to_np(opt.state[p]["exp_avg"])[[1, 3]] == 0).all()


@DTYPES
def test_embedding_training_matches_torch(dtype):
    """nn.Embedding(sparse=True) gives the sparse gradient; 20 steps of a small regression on it."""
    rng = np.random.default_rng(5)
    weights, target = rng.standard_normal((12, 4)).astype(dtype), rng.standard_normal((6, 4)).astype(dtype)
    batches = [rng.integers(0, 12, 6) for _ in range(20)]
    results = []
    for m in (numtorch, torch):
        emb = m.nn.Embedding.from_pretrained(m.tensor(weights), freeze=False, sparse=True)
        opt = m.optim.SparseAdam(emb.parameters(), lr=0.05)
        for batch in batches:
            opt.zero_grad()
            ((emb(m.tensor(batch)) - m.tensor(target)) ** 2).mean().backward()
            assert emb.weight.grad.is_sparse
            opt.step()
        results.append((emb.weight, opt))
    parity.assert_same_run(([results[0][0]], results[0][1]), ([results[1][0]], results[1][1]), dtype)


class TestProperties(OptimizerProperties):
    make_opt = staticmethod(groups)
    new_options = ("maximize",)  # torch reads it with group.get("maximize", False)
    number_state = ("step",)

    def test_signatures_match_torch(self):
        """torch's functional form lives in torch.optim._functional."""
        assert _signature(numtorch.optim.SparseAdam.__init__) == _signature(torch.optim.SparseAdam.__init__)
        assert _signature(sparse_adam) == _signature(torch.optim._functional.sparse_adam)


def _step_with_dense_grad(m):
    p = _leaf(m, 3)
    p.grad = m.ones(3)
    m.optim.SparseAdam([p]).step()


def _sparse_param(m):
    return m.sparse_coo_tensor(m.tensor([[0, 2]]), m.tensor([1.0, 2.0]), (3,))


ERRORS = {
    "zero lr": lambda m: m.optim.SparseAdam([_leaf(m, 2)], lr=0.0),
    "negative lr": lambda m: m.optim.SparseAdam([_leaf(m, 2)], lr=-0.1),
    "nan lr": lambda m: m.optim.SparseAdam([_leaf(m, 2)], lr=float("nan")),
    "2-element lr": lambda m: m.optim.SparseAdam([_leaf(m, 2)], lr=m.tensor([0.1, 0.2])),
    "zero eps": lambda m: m.optim.SparseAdam([_leaf(m, 2)], eps=0.0),
    "beta1 of 1": lambda m: m.optim.SparseAdam([_leaf(m, 2)], betas=(1.0, 0.999)),
    "negative beta2": lambda m: m.optim.SparseAdam([_leaf(m, 2)], betas=(0.9, -0.1)),
    "dense grad": _step_with_dense_grad,
    "sparse param": lambda m: m.optim.SparseAdam([{"params": [_leaf(m, 2)]},
                                                  {"params": [_leaf(m, 2), _sparse_param(m)]}]),
}


@pytest.mark.parametrize("name", list(ERRORS))
def test_errors_match_torch(name):
    assert_same_outcome(ERRORS[name])
