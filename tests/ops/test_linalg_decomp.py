"""Decompositions and solvers (numtorch._ops.decomp) against torch: forward values, first derivatives and
grad-of-grad on well-conditioned NumPy inputs, compared through gauge-invariant quantities where a factor's
signs are arbitrary (reconstructions, projectors, squared singular/eigen vectors); float64 gradgradcheck."""
import math
import warnings

import numpy as np
import pytest
import torch

import numtorch
from tests.optable import assert_close

pytestmark = [pytest.mark.filterwarnings("ignore::UserWarning"),
              pytest.mark.filterwarnings("ignore::RuntimeWarning:numtorch")]

TOL = {np.float64: dict(rtol=1e-8, atol=1e-10), np.float32: dict(rtol=2e-3, atol=2e-4)}


def general(*shape, seed=0):
    """Gaussian matrices: distinct singular values, well away from rank deficiency."""
    return np.random.default_rng(seed).standard_normal(shape)


def spd(*shape, seed=0):
    a = general(*shape, seed=seed)
    return a @ np.swapaxes(a, -1, -2) + shape[-1] * np.eye(shape[-1])


def symmetric(*shape, seed=0):
    """Symmetric with well-separated eigenvalues (1, 2, ..., n up to an orthogonal change of basis)."""
    q, _ = np.linalg.qr(general(*shape, seed=seed))
    lam = np.arange(1, shape[-1] + 1) * 1.5 - shape[-1] + 0.25
    return (q * lam) @ np.swapaxes(q, -1, -2)


def upper(*shape, seed=0):
    return np.triu(general(*shape, seed=seed)) + 3 * np.eye(shape[-1])


def _outs(r):
    return list(r) if isinstance(r, (tuple, list)) else [r]


def compare(fn, *arrays, dtypes=(np.float64, np.float32), grad=True, gradgrad=True, check=True):
    """fn(mod, *tensors) on numtorch and torch: same outputs, same grads for a random cotangent, and
    (float64) the same grad-of-grad along a random direction, then numtorch's own gradgradcheck."""
    for dt in dtypes:
        tol = TOL[dt]
        ours_in = [numtorch.tensor(a.astype(dt), requires_grad=grad) for a in arrays]
        theirs_in = [torch.tensor(a.astype(dt), requires_grad=grad) for a in arrays]
        ours, theirs = _outs(fn(numtorch, *ours_in)), _outs(fn(torch, *theirs_in))
        assert len(ours) == len(theirs)
        for i, (o, t) in enumerate(zip(ours, theirs)):
            assert_close(o, t, tol, f"forward[{i}] {dt.__name__}")
        if not grad:
            continue
        pairs = [(o, t) for o, t in zip(ours, theirs) if t.requires_grad and t.numel()]
        rng = np.random.default_rng(1)
        cots = [rng.standard_normal(tuple(t.shape)).astype(dt) for _, t in pairs]
        create = gradgrad and dt == np.float64
        g_ours = numtorch.autograd.grad([o for o, _ in pairs], ours_in, [numtorch.tensor(c) for c in cots],
                                        create_graph=create, allow_unused=True)
        g_theirs = torch.autograd.grad([t for _, t in pairs], theirs_in, [torch.tensor(c) for c in cots],
                                       create_graph=create, allow_unused=True)
        for i, (a, b) in enumerate(zip(g_ours, g_theirs)):
            if b is not None:
                assert_close(a, b, tol, f"grad[{i}] {dt.__name__}")
        if not create:
            continue
        vs = [rng.standard_normal(a.shape) for a in arrays]
        keep = [i for i, b in enumerate(g_theirs) if b is not None and b.requires_grad]
        s_ours = sum((g_ours[i] * numtorch.tensor(vs[i])).sum() for i in keep)
        s_theirs = sum((g_theirs[i] * torch.tensor(vs[i])).sum() for i in keep)
        gg_ours = numtorch.autograd.grad(s_ours, ours_in, allow_unused=True)
        gg_theirs = torch.autograd.grad(s_theirs, theirs_in, allow_unused=True)
        for i, (a, b) in enumerate(zip(gg_ours, gg_theirs)):
            if b is not None:
                assert_close(a, b, TOL[dt], f"grad-of-grad[{i}]")
    if grad and check:
        ins = tuple(numtorch.tensor(a, requires_grad=True) for a in arrays)
        f = lambda *xs: fn(numtorch, *xs)  # noqa: E731
        assert numtorch.autograd.gradcheck(f, ins, eps=1e-6, atol=1e-5, rtol=1e-3)
        if gradgrad:
            assert numtorch.autograd.gradgradcheck(f, ins, eps=1e-6, atol=1e-4, rtol=1e-3)


def sym(x):
    return (x + x.mT) * 0.5


def svd_recon(m, a, full=False):
    u, s, vh = m.linalg.svd(a, full_matrices=full)
    k = s.shape[-1]
    return (u[..., :k] * s.unsqueeze(-2)) @ vh[..., :k, :], s, u[..., :k] @ vh[..., :k, :], u ** 2, vh ** 2


SVD_SHAPES = [(3, 3), (4, 2), (2, 4), (2, 3, 2)]


@pytest.mark.parametrize("shape", SVD_SHAPES)
def test_svd(shape):
    compare(svd_recon, general(*shape), gradgrad=shape == (3, 3))


@pytest.mark.parametrize("shape", [(4, 2), (2, 3)])
def test_svd_full_matrices(shape):
    compare(lambda m, a: svd_recon(m, a, full=True)[:3], general(*shape), check=False)


def test_svd_legacy_and_svdvals():
    a = general(2, 4, 3)
    compare(lambda m, x: (lambda r: (r.U * r.S.unsqueeze(-2)) @ r.V.mT)(m.svd(x)), a, gradgrad=False)
    compare(lambda m, x: m.linalg.svdvals(x), a, gradgrad=False)
    compare(lambda m, x: m.linalg.svdvals(x), general(3, 3))
    compare(lambda m, x: m.linalg.matrix_norm(x, "nuc") + m.linalg.matrix_norm(x, 2) - m.linalg.matrix_norm(x, -2),
            general(3, 3))
    u, s, v = numtorch.svd(numtorch.tensor(a), compute_uv=False)
    assert u.shape == (2, 4, 4) and v.shape == (2, 3, 3) and not u._data.any()
    assert_close(s, torch.svd(torch.tensor(a), compute_uv=False).S, TOL[np.float64], "svd S")


def test_svd_return_types_and_grad_fn():
    x = numtorch.tensor(general(3, 2), requires_grad=True)
    r = numtorch.linalg.svd(x)
    assert type(r).__name__ == "linalg_svd" and r._fields == ("U", "S", "Vh")
    assert r.U.grad_fn.name() == "LinalgSvdBackward0" and r.U.shape == (3, 3) and r.Vh.shape == (2, 2)
    assert numtorch.svd(x)._fields == ("U", "S", "V")
    assert numtorch.linalg.svdvals(x).grad_fn.name() == "LinalgSvdBackward0"


@pytest.mark.parametrize("uplo", ["L", "U"])
def test_eigh(uplo):
    def fn(m, a):
        lam, v = m.linalg.eigh(sym(a), UPLO=uplo)
        return lam, (v * lam.unsqueeze(-2).exp()) @ v.mT, v ** 2
    compare(fn, symmetric(3, 3))
    compare(fn, symmetric(2, 3, 3, seed=1), gradgrad=False)
    compare(lambda m, a: m.linalg.eigvalsh(sym(a), UPLO=uplo), symmetric(4, 4))


@pytest.mark.parametrize("shape,mode", [((3, 3), "reduced"), ((4, 2), "reduced"), ((2, 4), "reduced"),
                                        ((2, 3, 2), "complete"), ((2, 4), "complete")])
def test_qr(shape, mode):
    tall_complete = mode == "complete" and shape[-2] > shape[-1]   # not differentiable (tested below)
    compare(lambda m, a: tuple(m.linalg.qr(a, mode)), general(*shape), grad=not tall_complete,
            gradgrad=shape == (3, 3))


def test_qr_modes_and_errors():
    a = general(4, 2)
    q, r = numtorch.linalg.qr(numtorch.tensor(a), mode="r")
    assert q.shape == (0,)
    assert_close(r, torch.linalg.qr(torch.tensor(a), mode="r").R, TOL[np.float64], "qr r")
    compare(lambda m, x: tuple(m.qr(x, some=False)), general(3, 3), gradgrad=False, check=False)
    for mode, msg in (("r", "mode='r'"), ("complete", "nrows > ncols")):
        x = numtorch.tensor(a, requires_grad=True)
        with pytest.raises(RuntimeError, match=msg):
            numtorch.linalg.qr(x, mode=mode)[1].sum().backward()
    with pytest.raises(RuntimeError, match="unrecognized mode 'foo'"):
        numtorch.linalg.qr(numtorch.tensor(a), mode="foo")


def test_cholesky_family():
    a = spd(2, 3, 3)
    b = general(2, 3, 2, seed=3)
    chol = lambda m, x: m.linalg.cholesky(sym(x))  # noqa: E731
    compare(lambda m, x, y: m.cholesky_solve(y, chol(m, x)), a, b)
    compare(lambda m, x, y: m.cholesky_solve(y, chol(m, x).mT, upper=True), a, b, gradgrad=False)
    compare(lambda m, x: m.cholesky_inverse(chol(m, x)), a)
    compare(lambda m, x: m.cholesky_inverse(chol(m, x).mT, upper=True), a, gradgrad=False)
    compare(lambda m, x: m.linalg.cholesky_ex(sym(x), upper=True), a, gradgrad=False)
    compare(lambda m, x: m.linalg.inv_ex(x), a, gradgrad=False)


def test_ex_variants_report_failures():
    bad = np.array([[[1.0, 2], [2, 1]], [[2.0, 0], [0, 3]]])
    ours, theirs = numtorch.linalg.cholesky_ex(numtorch.tensor(bad)), torch.linalg.cholesky_ex(torch.tensor(bad))
    assert ours.info.tolist() == theirs.info.tolist() and ours.info.dtype == numtorch.int32
    assert_close(ours.L, theirs.L, TOL[np.float64], "cholesky_ex L")
    with pytest.raises(numtorch.linalg.LinAlgError, match="linalg.cholesky_ex: .*leading minor of order 2"):
        numtorch.linalg.cholesky_ex(numtorch.tensor(bad), check_errors=True)
    sing = np.array([[1.0, 2], [2, 4]])
    assert numtorch.linalg.inv_ex(numtorch.tensor(sing)).info.item() == 2
    lu_, piv, info = numtorch.linalg.lu_factor_ex(numtorch.tensor(sing))
    t = torch.linalg.lu_factor_ex(torch.tensor(sing))
    assert_close(lu_, t.LU, TOL[np.float64], "LU")
    assert piv.tolist() == t.pivots.tolist() and info.item() == t.info.item()
    for m in (numtorch, torch):
        with pytest.raises(RuntimeError, match=r"lu_factor: \(Batch element 1\): U\[2,2\] is zero"):
            m.linalg.lu_factor(m.tensor(np.stack([np.eye(2), sing])))


def test_lu_family():
    a = general(2, 3, 3) + 2 * np.eye(3)
    b = general(2, 3, 2, seed=4)
    compare(lambda m, x: tuple(m.linalg.lu_factor(x)), a, grad=False)
    compare(lambda m, x: m.linalg.lu_factor(x).LU, a)
    compare(lambda m, x: tuple(m.linalg.lu(x)), a)
    compare(lambda m, x: tuple(m.linalg.lu(x)), general(4, 2), grad=False)
    compare(lambda m, x: tuple(m.lu_unpack(*m.linalg.lu_factor(x))), a)
    for left in (True, False):
        for adjoint in (False, True):
            rhs = b if left else np.swapaxes(b, -1, -2)
            compare(lambda m, x, y: m.linalg.lu_solve(*m.linalg.lu_factor(x), y, left=left, adjoint=adjoint), a,
                    rhs, gradgrad=left and not adjoint)
    compare(lambda m, x, y: m.lu_solve(y, *m.lu(x)), a, b, gradgrad=False, check=False)


@pytest.mark.parametrize("upper", [True, False])
@pytest.mark.parametrize("left", [True, False])
@pytest.mark.parametrize("unit", [False, True])
def test_solve_triangular(upper, left, unit):
    a = upper_ = np.triu(general(3, 3)) + 3 * np.eye(3)
    a = upper_ if upper else upper_.T.copy()
    b = general(2, 3, 2, seed=5) if left else general(2, 2, 3, seed=5)
    compare(lambda m, x, y: m.linalg.solve_triangular(x, y, upper=upper, left=left, unitriangular=unit), a, b,
            gradgrad=upper and left)


def test_triangular_solve_and_singular():
    a, b = upper(3, 3), general(3, 2, seed=6)
    for transpose in (False, True):
        compare(lambda m, y, x: tuple(m.triangular_solve(y, x, transpose=transpose)), b, a, gradgrad=False)
    z = np.zeros((2, 2))
    assert_close(numtorch.linalg.solve_triangular(numtorch.tensor(z), numtorch.ones(2, 2, dtype=numtorch.float64),
                                                  upper=True),
                 torch.linalg.solve_triangular(torch.tensor(z), torch.ones(2, 2, dtype=torch.float64), upper=True),
                 TOL[np.float64], "singular triangular")


@pytest.mark.parametrize("driver", [None, "gels", "gelsd"])
def test_lstsq(driver):
    a, b = general(2, 5, 3), general(2, 5, 2, seed=7)
    compare(lambda m, x, y: m.linalg.lstsq(x, y, driver=driver)[:2], a, b, gradgrad=False,
            dtypes=(np.float64,))
    r, t = numtorch.linalg.lstsq(numtorch.tensor(a), numtorch.tensor(b), driver=driver), \
        torch.linalg.lstsq(torch.tensor(a), torch.tensor(b), driver=driver)
    assert r._fields == ("solution", "residuals", "rank", "singular_values")
    for o, e in zip(r, t):
        assert_close(o, e, TOL[np.float64], "lstsq")
    compare(lambda m, x, y: m.linalg.lstsq(x, y).solution, general(3, 4), general(3, seed=8))


def test_pinv_and_rank():
    compare(lambda m, x: m.linalg.pinv(x), general(2, 4, 3))
    compare(lambda m, x: m.pinverse(x), general(3, 2), gradgrad=False)
    compare(lambda m, x: m.linalg.pinv(sym(x), hermitian=True), symmetric(3, 3), gradgrad=False)
    low_rank = general(4, 2) @ general(2, 5, seed=1)
    compare(lambda m, x: m.linalg.pinv(x), low_rank, grad=False)
    compare(lambda m, x: m.linalg.pinv(x, atol=1.0, rtol=0.1), general(3, 4), grad=False)
    for kw in ({}, {"atol": 1.0}, {"rtol": 0.5}, {"hermitian": True}):
        x = symmetric(2, 4, 4) if kw.get("hermitian") else np.stack([low_rank[:, :4], general(4, 4)])
        ours, theirs = numtorch.linalg.matrix_rank(numtorch.tensor(x), **kw), \
            torch.linalg.matrix_rank(torch.tensor(x), **kw)
        assert ours.tolist() == theirs.tolist() and ours.dtype == numtorch.int64


def test_matrix_exp():
    a = general(2, 3, 3)
    compare(lambda m, x: m.linalg.matrix_exp(x), a)
    compare(lambda m, x: m.matrix_exp(x * 4), general(3, 3, seed=2), gradgrad=False)


def test_cond_multi_dot_householder():
    a = general(2, 3, 3) + 2 * np.eye(3)
    for p in (None, 2, -2, "fro", "nuc", 1, -1, math.inf, -math.inf):   # torch 2.13 fails to differentiate
        compare(lambda m, x: m.linalg.cond(x, p), a, grad=p in (None, 2, -2, "nuc"), gradgrad=p is None)  # the rest
    singular = np.array([[1.0, 2], [2, 4]])
    for p in ("fro", 1):
        assert_close(numtorch.linalg.cond(numtorch.tensor(singular), p), torch.linalg.cond(torch.tensor(singular), p),
                     dict(rtol=1e-3, atol=0), f"cond({p}) singular")
    mats = [general(2, 3), general(3, 4, seed=1), general(4, 2, seed=2), general(2, seed=3)]
    compare(lambda m, *xs: m.linalg.multi_dot(xs), *mats, gradgrad=False)
    compare(lambda m, *xs: m.linalg.multi_dot(xs), general(3), general(3, 3), general(3), gradgrad=False)
    q = np.linalg.qr(general(4, 3))
    compare(lambda m, x, t: m.linalg.householder_product(x, t), general(4, 3), general(2, seed=1) * 0.5,
            gradgrad=False)
    del q


def test_errors_match_torch():
    calls = [
        lambda m: m.linalg.svd(m.ones(2, 2, dtype=m.int64)),
        lambda m: m.linalg.svd(m.ones(2)),
        lambda m: m.linalg.eigh(m.ones(2, 3)),
        lambda m: m.linalg.eigh(m.ones(2, 2), UPLO="X"),
        lambda m: m.cholesky_solve(m.ones(3, 2), m.eye(2)),
        lambda m: m.cholesky_solve(m.ones(2), m.eye(2)),
        lambda m: m.linalg.lstsq(m.ones(3, 2), m.ones(2, 2)),
        lambda m: m.linalg.lstsq(m.ones(3, 2), m.ones(3, 2), driver="foo"),
        lambda m: m.linalg.matrix_exp(m.ones(2, 3)),
        lambda m: m.linalg.solve_triangular(m.eye(2), m.ones(3, 2), upper=True),
        lambda m: m.linalg.solve_triangular(m.eye(2), m.ones(2), upper=True),
        lambda m: m.linalg.multi_dot([m.ones(2, 2)]),
        lambda m: m.linalg.multi_dot([m.ones(2, 2), m.ones(2, 2, 2)]),
        lambda m: m.linalg.lu_solve(m.eye(2), m.tensor([1, 2], dtype=m.int32), m.ones(3, 1)),
        lambda m: m.linalg.cond(m.ones(2, 3), 1),
        lambda m: m.linalg.svd(m.eye(2), driver="gesvd"),
    ]
    for call in calls:
        with pytest.raises(RuntimeError) as theirs:
            call(torch)
        with pytest.raises(RuntimeError) as ours:
            call(numtorch)
        assert str(ours.value) == str(theirs.value)
    with pytest.raises(NotImplementedError, match="complex"):
        numtorch.linalg.eig(numtorch.eye(2))


def test_names_exported():
    for name in ("svd", "qr", "cholesky_solve", "cholesky_inverse", "pinverse", "matrix_exp", "lu_unpack",
                 "triangular_solve", "lu", "lu_solve"):
        assert callable(getattr(numtorch, name)) and callable(getattr(numtorch.Tensor, name, None) or len)
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        assert numtorch.tensor(general(3, 3)).svd().S.shape == (3,)


def test_linalg_spellings_of_existing_ops():
    a = general(2, 3, 3)
    compare(lambda m, x: tuple(m.linalg.slogdet(x)), a, grad=False)
    compare(lambda m, x: m.linalg.slogdet(x).logabsdet, a, gradgrad=False, check=False)
    compare(lambda m, x: m.linalg.matrix_power(x, 3), a, gradgrad=False, check=False)
    compare(lambda m, x, y: m.linalg.vecdot(x, y, dim=-2), a, general(3, 3, seed=1), gradgrad=False, check=False)
    compare(lambda m, x: m.linalg.diagonal(x, offset=1), a, gradgrad=False, check=False)
    compare(lambda m, x, y: m.linalg.solve_ex(x, y).result, a, general(2, 3, 1, seed=2), gradgrad=False,
            check=False)
    assert numtorch.linalg.solve_ex(numtorch.tensor(a), numtorch.tensor(a)).info.dtype == numtorch.int32
