"""SOAP against the paper's Algorithm 3 (with the first release's details) in NumPy and against pytorch_optimizer.

The NumPy reference rotates each axis by Q^T with `np.tensordot` and moves it
back into place (the optimizer contracts and cycles the axes instead), and
uses NumPy's eigh and QR as the optimizer does. pytorch_optimizer uses torch's
eigh: eigenvectors of a repeated eigenvalue (a rank-deficient first factor) are
then a different, equally valid basis, so that comparison uses square
matrices, whose factors have full rank; and two LAPACKs' eigenvectors agree
only to about 1e-6 after amplification by close eigenvalues.
"""
import numpy as np
import pytest

import numtorch
from numtorch.optim.contrib.soap import merged_shape
from tests.optim.contrib.helpers import (check_round_trip, compare_with_numpy, compare_with_pytorch_optimizer,
                                         make_params)

HYPER = dict(lr=0.05, betas=(0.8, 0.9), eps=1e-8, precondition_frequency=4)
SHAPES = [(3, 4), (5,), (), (0, 3), (2, 2, 4)]
OPTIONS = [dict(), dict(weight_decay=0.1, shampoo_beta=0.7), dict(precondition_1d=True, correct_bias=False),
           dict(normalize_grads=True, maximize=True), dict(max_precond_dim=4),
           dict(merge_dims=True, max_precond_dim=4)]
MERGED = {(0, 3): (0,), (2, 2, 4): (4, 4)}  # with max_precond_dim=4


def soap_ref(p, g, state, lr=3e-3, betas=(0.95, 0.95), shampoo_beta=None, eps=1e-8, weight_decay=0.01,
             precondition_frequency=10, max_precond_dim=10000, merge_dims=False, precondition_1d=False,
             normalize_grads=False, correct_bias=True, maximize=False):
    """Algorithm 3 of arXiv:2409.11321: Adam on Q_L^T G Q_R, Q refreshed by one QR power step."""
    b1, b2 = betas
    s = b2 if shampoo_beta is None else shampoo_beta
    G = (-g if maximize else g).reshape(MERGED.get(p.shape, p.shape) if merge_dims else p.shape)

    def accumulate():
        for axis, L in enumerate(state["L"]):
            if L is not None:
                others = [a for a in range(G.ndim) if a != axis]
                state["L"][axis] = s * L + (1 - s) * np.tensordot(G, G, axes=(others, others))

    def rotate(X, back=False):
        for axis, Q in enumerate(state["Q"]):
            if Q is not None:
                X = np.moveaxis(np.tensordot(Q if back else Q.T, X, axes=([1], [axis])), 0, axis)
        return X

    if "L" not in state:
        state["L"] = [np.zeros((n, n), dtype=p.dtype) if (p.ndim != 1 or precondition_1d) and n <= max_precond_dim
                      else None for n in G.shape]
        accumulate()
        state["Q"] = [None if L is None else np.linalg.eigh(L)[1][:, ::-1] for L in state["L"]]
        state.update(t=0, m=np.zeros_like(G), v=np.zeros_like(G))
        return p
    t = state["t"] = state["t"] + 1
    state["m"] = b1 * state["m"] + (1 - b1) * G
    state["v"] = b2 * state["v"] + (1 - b2) * rotate(G) ** 2
    N = rotate(rotate(state["m"]) / (np.sqrt(state["v"]) + eps), back=True)
    if normalize_grads:
        N = N / (np.sqrt(np.mean(N ** 2)) + 1e-30)
    step = lr * np.sqrt(1 - b2 ** t) / (1 - b1 ** t) if correct_bias else lr
    p = (p - step * N.reshape(p.shape)) * (1 - lr * weight_decay)
    accumulate()
    if t % precondition_frequency == 0:
        for axis, (L, Q) in enumerate(zip(state["L"], state["Q"])):
            if L is not None:
                order = np.argsort(-np.diag(Q.T @ L @ Q), kind="stable")
                state["v"] = np.take(state["v"], order, axis=axis)
                state["Q"][axis] = np.linalg.qr((L @ Q)[:, order])[0]
    return p


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("kw", OPTIONS, ids=str)
def test_matches_paper(kw, dtype):
    kw = {**HYPER, **kw}
    compare_with_numpy(lambda m, ps: m.optim.contrib.SOAP(ps, **kw), soap_ref, dtype, shapes=SHAPES,
                       tol=dict(rtol=1e-4, atol=1e-5) if dtype == "float32" else dict(rtol=1e-9, atol=1e-11), **kw)


def test_defaults_match_paper():
    compare_with_numpy(lambda m, ps: m.optim.contrib.SOAP(ps), soap_ref, shapes=SHAPES)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("kw", [dict(), dict(weight_decay=0.1, shampoo_beta=0.7), dict(correct_bias=False),
                                dict(maximize=True)], ids=str)
def test_matches_pytorch_optimizer(kw, dtype):
    kw = {**HYPER, **kw}

    def ref(m, ps):
        from pytorch_optimizer import SOAP
        return SOAP(ps, **kw)
    compare_with_pytorch_optimizer(lambda m, ps: m.optim.contrib.SOAP(ps, **kw), ref, dtype,
                                   shapes=[(4, 4), (5,), (), (3, 3, 3)],
                                   tol=dict(rtol=1e-3, atol=1e-4) if dtype == "float32" else dict(rtol=1e-5, atol=1e-7))


def test_merged_shape():
    assert merged_shape((2, 3, 4), 12) == [6, 4]
    assert merged_shape((2, 2, 4), 4) == [4, 4]
    assert merged_shape((64, 32, 3, 3), 100) == [64, 96, 3]
    assert merged_shape((1, 5, 1), 3) == [5]
    assert merged_shape((1, 1), 10) == [1]
    assert merged_shape((0, 3), 10) == [0]


def test_state_dict_round_trip():
    check_round_trip(lambda m, ps: m.optim.contrib.SOAP(ps, **HYPER, precondition_1d=True), shapes=SHAPES)


@pytest.mark.parametrize("kw", [dict(lr=-1.0), dict(betas=(0.9, 1.0)), dict(shampoo_beta=1.0), dict(eps=-1.0),
                                dict(weight_decay=-1.0), dict(precondition_frequency=0), dict(max_precond_dim=0)],
                         ids=str)
def test_invalid_arguments(kw):
    with pytest.raises(ValueError, match="Invalid"):
        numtorch.optim.contrib.SOAP(make_params(numtorch, "float64"), **kw)
