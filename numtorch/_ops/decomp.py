"""Matrix decompositions and the solvers built on them (svd, qr, eigh, lu, cholesky_solve, lstsq, pinv,
matrix_exp, solve_triangular, ...) with their derivatives.

Forwards run LAPACK through NumPy (or a batched NumPy loop where NumPy has no routine: LU with
partial pivoting, triangular substitution). Every rule is written with operators, `dual` functions
and this module's own ops called through `_either`, so the same rule gives plain gradients on arrays
and, under create_graph, records a graph of Tensors: second derivatives come for free. Several outputs
(U, S, Vh) are saved as aliases of the outputs, so a double backward differentiates through them.
"""
from __future__ import annotations

# the torch.* spellings; torch.linalg's names are imported by numtorch.linalg
__all__ = ["svd", "qr", "cholesky_solve", "cholesky_inverse", "pinverse", "matrix_exp", "lu_unpack",
           "triangular_solve", "lu", "lu_solve", "chain_matmul"]

import math
import warnings

import numpy as np

from .._tensor import Tensor, bind_methods, wrap
from ..autograd.graph import Node
from . import dual
from ._core import OUT, _alias, grad_needed, record, record_multi
from .linalg import LinAlgError, _legacy, _out, _square, linalg_cholesky, linalg_inv, matmul, matrix_norm
from .reduction import return_type

# -- helpers shared by the forwards and the rules ---------------------------------------------------


def _t(x):
    return dual.transpose(x, -1, -2)


def _eye(n, like):
    return np.eye(n, dtype=dual.data(like).dtype)


def _tri(x, upper, k=0):
    """The upper (k >= 0 diagonals up) or lower triangle of x, as a constant-mask product."""
    shape = dual.data(x).shape[-2:]
    mask = np.triu(np.ones(shape), k) if upper else np.tril(np.ones(shape), k)
    return x * mask.astype(dual.data(x).dtype)


def _const_like(a, like):
    """A constant array as an operand next to `like` (a Tensor under create_graph)."""
    return wrap(a) if isinstance(like, Tensor) else a


def _either(array_fn, op):
    """One function for rules: `op` (which records) when an argument is a Tensor, else `array_fn`."""
    def fn(*args, **kw):
        if any(isinstance(a, Tensor) for a in args):
            return op(*[wrap(a) if isinstance(a, np.ndarray) else a for a in args], **kw)
        return array_fn(*args, **kw)
    return fn


def _matrices(x, name):
    if x.dtype.kind != "f":
        raise RuntimeError(f"{name}: Expected a floating point or complex tensor as input. Got {_legacy(x)}")
    if x.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor A must have at least 2 dimensions.")


def _record(cls, datas, inputs, saved=(), attrs=None, differentiable=None):
    """record_multi, saving `saved` inputs followed by every differentiable output (as aliases)."""
    outs = record_multi(cls, datas, inputs, (), attrs, differentiable)
    node = next((o.grad_fn for o in outs if o.grad_fn is not None), None)
    if node is not None:
        keep = [_alias(o, i) for i, o in enumerate(outs) if differentiable is None or differentiable[i]]
        node._saved = tuple(saved) + tuple(keep)
        node._versions = tuple(s._vc[0] for s in node._saved)
    return outs


def _batch_prefix(x, k):
    return f"(Batch element {k}): " if x.ndim > 2 else ""


def _ret(res, out):
    if out is None:
        return res
    for r, o in zip(res, out):
        _out(r, o)
    return type(res)(*out)


# -- svd ---------------------------------------------------------------------------------------------

_svd_t = return_type("linalg_svd", "U S Vh")
_svd_old_t = return_type("svd", "U S V")


class LinalgSvdBackward0(Node):
    multi_output = True
    _materialize = False

    def backward(self, grads, u, s, vh):
        gu, gs, gvh = grads
        if self.full:
            k = dual.data(s).shape[-1]
            u, vh = u[..., :k], vh[..., :k, :]
            gu = None if gu is None else gu[..., :k]
            gvh = None if gvh is None else gvh[..., :k, :]
        return _svd_grad(gu, gs, gvh, u, s, vh),


def _svd_grad(gu, gs, gvh, u, s, vh):
    """Real SVD: U [skew(U^T gU)/E S + S skew(V^T gV)/E + diag(gS)] V^T plus the parts outside span(U), span(V)."""
    if gu is None and gvh is None:
        return (u * dual.unsqueeze(gs, -2)) @ vh
    m, k, n = dual.data(u).shape[-2], dual.data(s).shape[-1], dual.data(vh).shape[-1]
    eye = _eye(k, s)
    s2 = s * s
    f = (1 - eye) / (dual.unsqueeze(s2, -2) - dual.unsqueeze(s2, -1) + eye)   # 1 / (s_j^2 - s_i^2) off the diagonal
    col, row = dual.unsqueeze(s, -2), dual.unsqueeze(s, -1)
    inner = 0
    if gu is not None:
        j = _t(u) @ gu
        inner = (f * (j - _t(j))) * col
    if gvh is not None:
        j = vh @ _t(gvh)
        inner = inner + row * (f * (j - _t(j)))
    if gs is not None:
        inner = inner + eye * dual.unsqueeze(gs, -1)
    ga = u @ inner @ vh
    if gu is not None and m > k:
        ga = ga + ((gu - u @ (_t(u) @ gu)) / col) @ vh
    if gvh is not None and n > k:
        ga = ga + u @ ((gvh - (gvh @ _t(vh)) @ vh) / row)
    return ga


def _svd_arrays(A, full_matrices, name="linalg.svd"):
    x = A._data
    _matrices(x, name)
    u, s, vh = np.linalg.svd(x, full_matrices=full_matrices)
    return u, s.astype(x.dtype, copy=False), vh


def _no_driver(driver):
    if driver is not None:
        raise RuntimeError("torch.linalg.svd: keyword argument `driver=` is only supported on CUDA inputs with "
                           "cuSOLVER backend.")


def linalg_svd(A, full_matrices=True, *, driver=None, out=None):
    _no_driver(driver)
    outs = _record(LinalgSvdBackward0, _svd_arrays(A, full_matrices), (A,), attrs={"full": full_matrices})
    return _ret(_svd_t(*outs), out)


def svdvals(A, *, driver=None, out=None):
    _no_driver(driver)
    if not grad_needed(A):
        x = A._data
        _matrices(x, "linalg.svd")
        res = wrap(np.linalg.svd(x, compute_uv=False).astype(x.dtype, copy=False))
    else:
        res = _record(LinalgSvdBackward0, _svd_arrays(A, False), (A,), attrs={"full": False})[1]
    return res if out is None else _out(res, out)


def svd(input, some=True, compute_uv=True, *, out=None):
    if not compute_uv:
        x = input._data
        s = svdvals(input)
        u = wrap(np.zeros(x.shape[:-2] + (x.shape[-2],) * 2, x.dtype))
        v = wrap(np.zeros(x.shape[:-2] + (x.shape[-1],) * 2, x.dtype))
        return _ret(_svd_old_t(u, s, v), out)
    u, s, vh = linalg_svd(input, full_matrices=not some)
    return _ret(_svd_old_t(u, s, vh.mT), out)


# -- eigh ----------------------------------------------------------------------------------------------

_eigh_t = return_type("linalg_eigh", "eigenvalues eigenvectors")


class LinalgEighBackward0(Node):
    multi_output = True
    _materialize = False

    def backward(self, grads, lam, v):
        gl, gv = grads
        if gv is None:
            return (v * dual.unsqueeze(gl, -2)) @ _t(v),
        eye = _eye(dual.data(lam).shape[-1], lam)
        j = _t(v) @ gv
        inner = (1 - eye) / (dual.unsqueeze(lam, -2) - dual.unsqueeze(lam, -1) + eye) * ((j - _t(j)) * 0.5)
        if gl is not None:
            inner = inner + eye * dual.unsqueeze(gl, -1)
        return v @ inner @ _t(v),


def _eigh_check(x, UPLO):
    _square(x, "linalg.eigh")
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")


def eigh(A, UPLO="L", *, out=None):
    x = A._data
    _eigh_check(x, UPLO)
    lam, v = np.linalg.eigh(x, UPLO)
    return _ret(_eigh_t(*_record(LinalgEighBackward0, (lam, v), (A,))), out)


def eigvalsh(A, UPLO="L", *, out=None):
    if grad_needed(A):
        res = eigh(A, UPLO).eigenvalues
    else:
        x = A._data
        _eigh_check(x, UPLO)
        res = wrap(np.linalg.eigvalsh(x, UPLO))
    return res if out is None else _out(res, out)


def _complex_results(name):
    def op(*args, **kwargs):
        raise NotImplementedError(f"torch.linalg.{name} returns complex tensors, and numtorch has no complex "
                                  f"dtypes; for a symmetric matrix use torch.linalg.eigh / eigvalsh")
    op.__name__ = name
    return op


eig = _complex_results("eig")
eigvals = _complex_results("eigvals")


# -- qr --------------------------------------------------------------------------------------------------

_qr_t = return_type("linalg_qr", "Q R")
_qr_old_t = return_type("qr", "Q R")


class LinalgQrBackward0(Node):
    multi_output = True

    def backward(self, grads, q, r):
        if self.mode == "r":
            raise RuntimeError("The derivative of linalg.qr depends on Q, which is not computed when mode='r'. "
                               "Please use linalg.qr(A, mode='reduced') if you are going to differentiate through "
                               "linalg.qr.")
        m, n = dual.data(q).shape[-2], dual.data(r).shape[-1]
        if self.mode == "complete" and m > n:
            raise RuntimeError("The QR decomposition is not differentiable when mode='complete' and nrows > ncols.")
        gq, gr = grads
        if m >= n:
            return _qr_grad(gq, gr, q, r),
        # wide A = [X | Y]: Q R_X = X and R_Y = Q^T Y, so Y's grad is Q gR_Y and gR_Y feeds back into gQ
        gry = gr[..., m:]
        y = q @ r[..., m:]
        gx = _qr_grad(gq + y @ _t(gry), gr[..., :m], q, r[..., :m])
        return dual.cat([gx, q @ gry], -1),


def _qr_grad(gq, gr, q, r):
    """A = QR with R square: (gQ + Q copyltu(M)) R^-T, M = R gR^T - gQ^T Q."""
    m_ = r @ _t(gr) - _t(gq) @ q
    low = _tri(m_, False, -1)
    sym = low + _t(low) + _tri(_tri(m_, True), False)
    b = gq + q @ sym
    return _t(_solve_tri(r, _t(b), upper=True))


def linalg_qr(A, mode="reduced", *, out=None):
    x = A._data
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of 'reduced' (default), 'r', "
                           f"or 'complete'")
    if x.dtype.kind != "f":
        raise RuntimeError(f"linalg.qr: Expected a floating point or complex tensor as input. Got {_legacy(x)}")
    if x.ndim < 2:
        raise RuntimeError("linalg.qr: The input tensor A must have at least 2 dimensions.")
    q, r = np.linalg.qr(x, "complete" if mode == "complete" else "reduced")
    if mode == "r":
        q = np.empty(0, x.dtype)
    outs = _record(LinalgQrBackward0, (q, r), (A,), attrs={"mode": mode})
    return _ret(_qr_t(*outs), out)


def qr(input, some=True, *, out=None):
    warnings.warn("torch.qr is deprecated in favor of torch.linalg.qr and will be removed in a future PyTorch "
                  "release.", UserWarning, stacklevel=2)
    return _ret(_qr_old_t(*linalg_qr(input, "reduced" if some else "complete")), out)


# -- triangular solves -------------------------------------------------------------------------------------


def _subst(a, b, upper):
    """Triangular substitution row by row: IEEE inf/nan for a zero diagonal, as LAPACK's trsm."""
    n = a.shape[-1]
    shape = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    x = np.array(np.broadcast_to(b, shape + b.shape[-2:]), dtype=np.result_type(a, b))
    rows = range(n - 1, -1, -1) if upper else range(n)
    with np.errstate(all="ignore"):
        for i in rows:
            rest = slice(i + 1, n) if upper else slice(0, i)
            acc = x[..., i, :] - np.einsum("...j,...jk->...k", a[..., i, rest], x[..., rest, :])
            x[..., i, :] = acc / a[..., i, i, None]
    return x


def _solve_tri_array(a, b, upper, left=True, unitriangular=False):
    if not left:
        return np.swapaxes(_solve_tri_array(np.swapaxes(a, -1, -2), np.swapaxes(b, -1, -2), not upper, True,
                                            unitriangular), -1, -2)
    a = np.triu(a) if upper else np.tril(a)
    if unitriangular:
        a = a.copy()
        idx = np.arange(a.shape[-1])
        a[..., idx, idx] = 1
    try:
        if a.shape[:-2] != b.shape[:-2]:
            shape = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
            a, b = np.broadcast_to(a, shape + a.shape[-2:]), np.broadcast_to(b, shape + b.shape[-2:])
        return np.linalg.solve(a, b)
    except np.linalg.LinAlgError:
        return _subst(a, b, upper)


class LinalgSolveTriangularBackward0(Node):
    def backward(self, g, a, x):
        upper, left, unit = self.upper, self.left, self.unitriangular
        gb = _solve_tri(_t(a), g, upper=not upper, left=left, unitriangular=unit)
        ga = None
        if self._next[0] is not None:
            ga = _tri(-(gb @ _t(x)) if left else -(_t(x) @ gb), upper, (1 if upper else -1) * unit)
        return ga, (gb if self._next[1] is not None else None)


def solve_triangular(A, B, *, upper, left=True, unitriangular=False, out=None):
    x, y = A._data, B._data
    name = "linalg.solve_triangular"
    _matrices(x, name)
    if y.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor B must have at least 2 dimensions.")
    _square(x, name)
    if x.dtype != y.dtype:
        raise RuntimeError(f"{name}: Expected A and B to have the same dtype, but found A of type "
                           f"{_legacy(x)} and B of type {_legacy(y)} instead")
    rows, cols = (y.shape[-2], y.shape[-1]) if left else (y.shape[-1], y.shape[-2])
    if rows != x.shape[-1]:
        eq = "AX = B" if left else "XA = B"
        shape_b = f"{y.shape[-2]}x{y.shape[-1]}"
        raise RuntimeError(f"{name}: Incompatible shapes of A and B for the equation {eq} ({x.shape[-2]}x"
                           f"{x.shape[-1]} and {shape_b})")
    data = _solve_tri_array(x, y, upper, left, unitriangular)
    res = record(LinalgSolveTriangularBackward0, data, (A, B), (A, OUT),
                 {"upper": upper, "left": left, "unitriangular": unitriangular})
    return res if out is None else _out(res, out)


_solve_tri = _either(_solve_tri_array, solve_triangular)

_tri_solve_t = return_type("triangular_solve", "solution cloned_coefficient")


class TriangularSolveBackward0(Node):
    multi_output = True

    def backward(self, grads, a, x, clone):
        gx, gc = grads
        upper = self.upper != self.transpose
        op_a = _t(a) if self.transpose else a
        gb = _solve_tri(_t(op_a), gx, upper=not upper, unitriangular=self.unitriangular)
        g_op = _tri(-(gb @ _t(x)), upper, (1 if upper else -1) * self.unitriangular)
        return gb, (_t(g_op) if self.transpose else g_op) + gc


def triangular_solve(b, A, upper=True, transpose=False, unitriangular=False, *, out=None):
    warnings.warn("torch.triangular_solve is deprecated in favor of torch.linalg.solve_triangularand will be "
                  "removed in a future PyTorch release.", UserWarning, stacklevel=2)
    x, y = A._data, b._data
    _square(x, "triangular_solve")
    op_a = np.swapaxes(x, -1, -2) if transpose else x
    data = _solve_tri_array(op_a, y, upper != transpose, True, unitriangular)
    clone = np.broadcast_to(x, data.shape[:-2] + x.shape[-2:]).copy()
    outs = _record(TriangularSolveBackward0, (data, clone), (b, A), (A,),
                   {"upper": upper, "transpose": transpose, "unitriangular": unitriangular})
    return _ret(_tri_solve_t(*outs), out)


# -- cholesky_solve, cholesky_inverse, cholesky_ex, inv_ex -----------------------------------------------


def _cholesky_solve_array(b, l, upper):
    low = np.swapaxes(l, -1, -2) if upper else l
    return _solve_tri_array(np.swapaxes(low, -1, -2), _solve_tri_array(low, b, False), True)


class CholeskySolveBackward0(Node):
    def backward(self, g, b, l, x):
        gb = _cholesky_solve(g, l, self.upper)
        gl = None
        if self._next[1] is not None:
            c = gb @ _t(x)
            c = c + _t(c)
            gl = -(l @ c) if self.upper else -(c @ l)
        return (gb if self._next[0] is not None else None), gl


def cholesky_solve(input, input2, upper=False, *, out=None):
    y, x = input._data, input2._data
    if y.ndim < 2:
        raise RuntimeError(f"b should have at least 2 dimensions, but has {y.ndim} dimensions instead")
    if x.ndim < 2:
        raise RuntimeError(f"u should have at least 2 dimensions, but has {x.ndim} dimensions instead")
    _square(x, "cholesky_solve")
    if y.shape[-2] != x.shape[-1]:
        raise RuntimeError(f"Incompatible matrix sizes for cholesky_solve: each A matrix is {x.shape[-2]} by "
                           f"{x.shape[-1]} but each b matrix is {y.shape[-2]} by {y.shape[-1]}")
    if x.dtype != y.dtype:
        raise RuntimeError(f"Expected b and A to have the same dtype, but found b of type {_legacy(y)} and A of "
                           f"type {_legacy(x)} instead.")
    data = _cholesky_solve_array(y, x, upper)
    res = record(CholeskySolveBackward0, data, (input, input2), (input, input2, OUT), {"upper": upper})
    return res if out is None else _out(res, out)


_cholesky_solve = _either(_cholesky_solve_array, cholesky_solve)


class CholeskyInverseBackward0(Node):
    def backward(self, g, l, inv):
        c = inv @ g @ inv
        c = c + _t(c)
        return (-(l @ c) if self.upper else -(c @ l)),


def cholesky_inverse(input, upper=False, *, out=None):
    x = input._data
    _matrices(x, "cholesky_inverse")
    _square(x, "cholesky_inverse")
    eye = np.broadcast_to(np.eye(x.shape[-1], dtype=x.dtype), x.shape)
    data = _cholesky_solve_array(eye, x, upper)
    res = record(CholeskyInverseBackward0, data, (input,), (input, OUT), {"upper": upper})
    return res if out is None else _out(res, out)


_cholesky_ex_t = return_type("linalg_cholesky_ex", "L info")
_inv_ex_t = return_type("linalg_inv_ex", "inverse info")


def _partial_cholesky(m):
    """Cholesky of one matrix up to its first non-positive pivot, LAPACK style: (L, info)."""
    n = m.shape[-1]
    low = np.tril(m).astype(m.dtype)
    for k in range(n):
        d = low[k, k] - low[k, :k] @ low[k, :k]
        if not d > 0:
            low[k, k] = d
            return low, k + 1
        low[k, k] = math.sqrt(d)
        low[k + 1:, k] = (low[k + 1:, k] - low[k + 1:, :k] @ low[k, :k]) / low[k, k]
    return low, 0


def cholesky_ex(A, *, upper=False, check_errors=False, out=None):
    x = A._data
    try:
        res = _cholesky_ex_t(linalg_cholesky(A, upper=upper), wrap(np.zeros(x.shape[:-2], np.int32)))
    except LinAlgError as e:
        if check_errors:
            raise LinAlgError(str(e).replace("linalg.cholesky:", "linalg.cholesky_ex:")) from None
        mats = x.reshape(-1, *x.shape[-2:])
        parts = [_partial_cholesky(m) for m in mats]
        low = np.stack([p[0] for p in parts]).reshape(x.shape)
        info = np.array([p[1] for p in parts], np.int32).reshape(x.shape[:-2])
        res = _cholesky_ex_t(wrap(np.swapaxes(low, -1, -2).copy() if upper else low), wrap(info))
    return _ret(res, out)


def inv_ex(A, *, check_errors=False, out=None):
    x = A._data
    try:
        res = _inv_ex_t(linalg_inv(A), wrap(np.zeros(x.shape[:-2], np.int32)))
    except LinAlgError:
        if check_errors:
            raise
        lu_, piv, info = _lu_array(x)
        eye = np.broadcast_to(np.eye(x.shape[-1], dtype=x.dtype), x.shape)
        with np.errstate(all="ignore"):
            inv = _lu_solve_array(lu_, piv, eye, True, False)
        res = _inv_ex_t(wrap(inv), wrap(info))
    return _ret(res, out)


# -- LU --------------------------------------------------------------------------------------------------

_lu_factor_t = return_type("linalg_lu_factor", "LU pivots")
_lu_factor_ex_t = return_type("linalg_lu_factor_ex", "LU pivots info")
_lu_t = return_type("linalg_lu", "P L U")
_lu_unpack_t = return_type("lu_unpack", "P L U")


def _lu_array(x):
    """Batched LU with partial pivoting (LAPACK getrf): packed LU, 1-based int32 pivots, info."""
    m, n = x.shape[-2:]
    k = min(m, n)
    a = np.array(x.reshape((math.prod(x.shape[:-2]), m, n)), copy=True)
    b = np.arange(a.shape[0])
    piv = np.empty((a.shape[0], k), np.int32)
    info = np.zeros(a.shape[0], np.int32)
    with np.errstate(all="ignore"):
        for j in range(k):
            p = j + np.argmax(np.abs(a[:, j:, j]), axis=1)
            piv[:, j] = p + 1
            row = a[b, j].copy()
            a[b, j] = a[b, p]
            a[b, p] = row
            pivot = a[:, j, j]
            zero = pivot == 0
            info[zero & (info == 0)] = j + 1
            col = np.where(zero[:, None], a[:, j + 1:, j], a[:, j + 1:, j] / np.where(zero, 1, pivot)[:, None])
            a[:, j + 1:, j] = col
            a[:, j + 1:, j + 1:] -= col[:, :, None] * a[:, j, None, j + 1:]
    batch = x.shape[:-2]
    return a.reshape(x.shape), piv.reshape(batch + (k,)), info.reshape(batch)


def _perm(piv, m):
    """Row order of P^T A (0-based) from LAPACK's sequence of swaps."""
    perm = np.broadcast_to(np.arange(m), piv.shape[:-1] + (m,)).copy()
    rows = math.prod(piv.shape[:-1])
    flat, swaps = perm.reshape(rows, m), (piv.reshape(rows, piv.shape[-1]) - 1)
    b = np.arange(flat.shape[0])
    for i in range(swaps.shape[-1]):
        p = swaps[:, i]
        tmp = flat[b, i].copy()
        flat[b, i] = flat[b, p]
        flat[b, p] = tmp
    return perm


def _perm_matrix(piv, m, dtype):
    """P with A = P L U."""
    perm = _perm(piv, m)
    p = np.zeros(perm.shape + (m,), dtype)
    np.put_along_axis(p, perm[..., None], 1, -1)
    return np.swapaxes(p, -1, -2)


def _unpack(lu_):
    """(L unit lower m x k, U upper k x n) of a packed LU (arrays or Tensors)."""
    m, n = dual.data(lu_).shape[-2:]
    k = min(m, n)
    low = _tri(lu_[..., :, :k], False, -1) + np.eye(m, k, dtype=dual.data(lu_).dtype)
    return low, _tri(lu_[..., :k, :], True)


def _lu_grad(gl, gu, p, low, up):
    """Square A = P L U: P L^-T [tril(L^T gL, -1) + triu(gU U^T)] U^-T."""
    if dual.data(low).shape[-2] != dual.data(up).shape[-1]:
        raise NotImplementedError("the derivative of the LU decomposition of a non-square matrix is not "
                                  "supported by numtorch")
    inner = 0
    if gl is not None:
        inner = _tri(_t(low) @ gl, False, -1)
    if gu is not None:
        inner = inner + _tri(gu @ _t(up), True)
    x = _solve_tri(_t(low), inner, upper=True, unitriangular=True)
    return _const_like(p, x) @ _t(_solve_tri(up, _t(x), upper=True))


class LinalgLuFactorExBackward0(Node):
    multi_output = True
    _materialize = False

    def backward(self, grads, lu_):
        g = grads[0]
        low, up = _unpack(lu_)
        return _lu_grad(_tri(g, False, -1), _tri(g, True), self.p, low, up),


def _lu_input(A, name, pivot):
    x = A._data
    _matrices(x, name)
    if not pivot:
        raise RuntimeError("linalg.lu_factor: LU without pivoting is not implemented on the CPU")
    return x


def lu_factor_ex(A, *, pivot=True, check_errors=False, out=None):
    x = _lu_input(A, "torch.linalg.lu_factor_ex", pivot)
    lu_, piv, info = _lu_array(x)
    attrs = {"p": _perm_matrix(piv, x.shape[-2], x.dtype)} if grad_needed(A) else None
    outs = _record(LinalgLuFactorExBackward0, (lu_, piv, info), (A,), attrs=attrs,
                   differentiable=(True, False, False))
    if check_errors and info.any():
        _lu_singular("torch.linalg.lu_factor_ex", x, info)
    return _ret(_lu_factor_ex_t(*outs), out)


def _lu_singular(name, x, info):
    k = int(np.argmax(info.reshape(-1) != 0))
    i = int(info.reshape(-1)[k])   # torch prints LAPACK's 1-based info as the index
    raise RuntimeError(f"{name}: {_batch_prefix(x, k)}U[{i},{i}] is zero and using it on lu_solve would result in "
                       f"a division by zero. If you still want to perform the factorization, consider calling "
                       f"linalg.lu(A, pivot) or linalg.lu_factor_ex(A, pivot)")


def lu_factor(A, *, pivot=True, out=None):
    lu_, piv, info = lu_factor_ex(A, pivot=pivot)
    if info._data.any():
        _lu_singular("torch.linalg.lu_factor", A._data, info._data)
    return _ret(_lu_factor_t(lu_, piv), out)


class LinalgLuBackward0(Node):
    multi_output = True
    _materialize = False

    def backward(self, grads, low, up):
        return _lu_grad(grads[1], grads[2], self.p, low, up),


def linalg_lu(A, *, pivot=True, out=None):
    x = _lu_input(A, "linalg.lu", pivot)
    lu_, piv, _ = _lu_array(x)
    p = _perm_matrix(piv, x.shape[-2], x.dtype)
    low, up = _unpack(lu_)
    outs = _record(LinalgLuBackward0, (p, low, up), (A,), attrs={"p": p}, differentiable=(False, True, True))
    return _ret(_lu_t(*outs), out)


def _lu_solve_array(lu_, piv, b, left, adjoint):
    if not left:
        return np.swapaxes(_lu_solve_array(lu_, piv, np.swapaxes(b, -1, -2), True, not adjoint), -1, -2)
    low, up = _unpack(lu_)
    p = _perm_matrix(piv, lu_.shape[-1], lu_.dtype)
    if adjoint:   # A^T = U^T L^T P^T
        return p @ _solve_tri_array(np.swapaxes(low, -1, -2), _solve_tri_array(np.swapaxes(up, -1, -2), b, False),
                                    True, True, True)
    return _solve_tri_array(up, _solve_tri_array(low, np.swapaxes(p, -1, -2) @ b, False, True, True), True)


class LinalgLuSolveBackward0(Node):
    def backward(self, g, lu_, b, x):
        left, adjoint, piv = self.left, self.adjoint, self.pivots
        gb = _lu_solve(lu_, piv, g, left=left, adjoint=not adjoint)
        glu = None
        if self._next[0] is not None:
            g_op = -(gb @ _t(x)) if left else -(_t(x) @ gb)
            ga = _t(g_op) if adjoint else g_op
            low, up = _unpack(lu_)
            pt_ga = _const_like(np.swapaxes(self.p, -1, -2), ga) @ ga
            glu = _tri(pt_ga @ _t(up), False, -1) + _tri(_t(low) @ pt_ga, True)
        return glu, (gb if self._next[1] is not None else None)


def linalg_lu_solve(LU, pivots, B, *, left=True, adjoint=False, out=None):
    x, y = LU._data, B._data
    name = "linalg.lu_solve"
    _square(x, name)
    if y.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor B must have at least 2 dimensions.")
    rows = y.shape[-2] if left else y.shape[-1]
    if rows != x.shape[-1]:
        raise RuntimeError(f"{name}: Incompatible shapes of A and B for the equation {'AX = B' if left else 'XA = B'}"
                           f" ({x.shape[-2]}x{x.shape[-1]} and {y.shape[-2]}x{y.shape[-1]})")
    piv = pivots._data if isinstance(pivots, Tensor) else np.asarray(pivots)
    data = _lu_solve_array(x, piv, y, left, adjoint)
    attrs = {"left": left, "adjoint": adjoint, "pivots": piv, "p": _perm_matrix(piv, x.shape[-1], x.dtype)}
    res = record(LinalgLuSolveBackward0, data, (LU, B), (LU, B, OUT), attrs)
    return res if out is None else _out(res, out)


def _lu_solve(lu_, piv, b, left=True, adjoint=False):
    """lu_solve for rules: arrays, or the recording op under create_graph."""
    if isinstance(lu_, Tensor) or isinstance(b, Tensor):
        lu_ = lu_ if isinstance(lu_, Tensor) else wrap(lu_)
        b = b if isinstance(b, Tensor) else wrap(b)
        return linalg_lu_solve(lu_, wrap(piv), b, left=left, adjoint=adjoint)
    return _lu_solve_array(lu_, piv, b, left, adjoint)



class LuUnpackBackward0(Node):
    multi_output = True
    _materialize = False

    def backward(self, grads, low, up):
        gl, gu = grads[1], grads[2]
        m, n = self.shape
        k = min(m, n)
        parts = []
        if gl is not None:
            parts.append(_pad(_tri(gl, False, -1), (m, n)))
        if gu is not None:
            parts.append(_pad(_tri(gu, True), (m, n)))
        return sum(parts[1:], parts[0]),


def _pad(x, shape):
    """x (m x k or k x n) placed in the top-left of zeros(shape)."""
    r, c = dual.data(x).shape[-2:]
    if (r, c) == tuple(shape):
        return x
    return dual.embed(x, dual.data(x).shape[:-2] + tuple(shape), lambda z: z[..., :r, :c])


def lu_unpack(LU_data, LU_pivots, unpack_data=True, unpack_pivots=True, *, out=None):
    x = LU_data._data
    m, n = x.shape[-2:]
    p = _perm_matrix(LU_pivots._data, m, x.dtype) if unpack_pivots else np.empty(0, x.dtype)
    if unpack_data:
        low, up = _unpack(x)
    else:
        low, up = np.empty(0, x.dtype), np.empty(0, x.dtype)
    outs = _record(LuUnpackBackward0, (p, low, up), (LU_data,), attrs={"shape": (m, n)},
                   differentiable=(False, unpack_data, unpack_data))
    return _ret(_lu_unpack_t(*outs), out)


def lu(A, pivot=True, get_infos=False, out=None):
    """torch.lu (deprecated): the factors of linalg.lu_factor_ex, with the infos on request."""
    warnings.warn("torch.lu is deprecated in favor of torch.linalg.lu_factor / torch.linalg.lu_factor_ex and will "
                  "be removed in a future PyTorch release.", UserWarning, stacklevel=2)
    lu_, piv, info = lu_factor_ex(A, pivot=pivot)
    return (lu_, piv, info) if get_infos else (lu_, piv)


def _legacy_lu_solve(b, LU_data, LU_pivots, *, out=None):
    warnings.warn("torch.lu_solve is deprecated in favor of torch.linalg.lu_solveand will be removed in a future "
                  "PyTorch release.", UserWarning, stacklevel=2)
    res = linalg_lu_solve(LU_data, LU_pivots, b)
    return res if out is None else _out(res, out)


# -- pinv, lstsq, matrix_rank ---------------------------------------------------------------------------------


def _cutoffs(s_max, shape, dtype, atol, rtol):
    """torch's tolerance max(atol, rtol * s_max); rtol defaults to eps * max(m, n) unless atol is given."""
    def value(t):
        return t._data if isinstance(t, Tensor) else t
    atol, rtol = value(atol), value(rtol)
    if rtol is None:
        rtol = np.finfo(dtype).eps * max(shape[-2:]) if atol is None or np.all(np.asarray(atol) <= 0) else 0.0
    return np.maximum(0.0 if atol is None else atol, np.asarray(rtol) * s_max)


def _spectrum(x, hermitian):
    """(left, values, right) with x = left diag(values) right; |values| decreasing for the cutoff."""
    if hermitian:
        lam, v = np.linalg.eigh(x)
        return v, lam, np.swapaxes(v, -1, -2)
    return np.linalg.svd(x, full_matrices=False)


def _pinv_array(x, atol=None, rtol=None, hermitian=False):
    left, s, right = _spectrum(x, hermitian)
    size = np.abs(s)
    s_max = size.max(-1, initial=0.0)
    cut = _cutoffs(s_max, x.shape, x.dtype, atol, rtol)[..., None]
    with np.errstate(divide="ignore"):
        inv_s = np.where(size > cut, 1 / np.where(s == 0, 1, s), 0).astype(x.dtype)
    return (np.swapaxes(right, -1, -2) * inv_s[..., None, :]) @ np.swapaxes(left, -1, -2)


def _pinv_grad(gp, a, p):
    """d pinv: -P dA P + P P^T dA^T (I - A P) + (I - P A) dA^T P^T P, transposed onto gA."""
    m, n = dual.data(a).shape[-2:]
    pt = _t(p)
    ga = -(pt @ gp @ pt)
    ga = ga + (_eye(m, a) - a @ p) @ (_t(gp) @ (p @ pt))
    return ga + (pt @ p) @ (_t(gp) @ (_eye(n, a) - p @ a))


class LinalgPinvBackward0(Node):
    def backward(self, g, a, p):
        return _pinv_grad(g, a, p),


def pinv(A, *, atol=None, rtol=None, hermitian=False, out=None):
    x = A._data
    if x.dtype.kind != "f" or x.ndim < 2:
        raise RuntimeError(f"linalg.pinv({_legacy(x)}{{{list(x.shape)}}}): expected a tensor with 2 or more "
                           f"dimensions of float, double, cfloat or cdouble types".replace("'", ""))
    res = record(LinalgPinvBackward0, _pinv_array(x, atol, rtol, hermitian), (A,), (A, OUT))
    return res if out is None else _out(res, out)


def pinverse(input, rcond=1e-15):
    return pinv(input, rtol=rcond)


def matrix_rank(A, tol=None, hermitian=False, *, atol=None, rtol=None, out=None):
    x = A._data
    _matrices(x, "linalg.matrix_rank")
    if tol is not None:
        atol, rtol = tol, 0.0
    s = np.abs(np.linalg.eigvalsh(x) if hermitian else np.linalg.svd(x, compute_uv=False))
    cut = _cutoffs(s.max(-1, initial=0.0), x.shape, x.dtype, atol, rtol)
    res = wrap(np.sum(s > np.asarray(cut)[..., None], -1).astype(np.int64))
    return res if out is None else _out(res, out)


_lstsq_t = return_type("linalg_lstsq", "solution residuals rank singular_values")
_DRIVERS = ("gels", "gelsy", "gelsd", "gelss")


class LinalgLstsqBackward0(Node):
    multi_output = True
    _materialize = False

    def backward(self, grads, a, b, x, residuals):
        gx, gr = grads[0], grads[1]
        vector = self.vector
        if vector:
            b, x = dual.unsqueeze(b, -1), dual.unsqueeze(x, -1)
            gx = None if gx is None else dual.unsqueeze(gx, -1)
        ga = gb = 0
        if gx is not None:
            p = _pinv(a)
            gb = _t(p) @ gx
            ga = _pinv_grad(gx @ _t(b), a, p)
        if gr is not None and dual.data(residuals).size:   # envelope: d||AX - B||^2 at the optimum X
            r = a @ x - b
            rg = r * dual.unsqueeze(gr, -2) * 2
            ga, gb = ga + rg @ _t(x), gb - rg
        if vector:
            gb = _drop_last(gb)
        return ga, gb


def _drop_last(x):
    return dual.reshape(x, dual.data(x).shape[:-1]) if not isinstance(x, int) else x


_pinv = _either(_pinv_array, pinv)


def lstsq(A, B, rcond=None, *, driver=None):
    x, y = A._data, B._data
    name = "torch.linalg.lstsq"
    if driver is not None and driver not in _DRIVERS:
        raise RuntimeError(f"{name}: parameter `driver` should be one of (gels, gelsy, gelsd, gelss)")
    driver = driver or "gelsy"
    _matrices(x, "linalg.lstsq")
    vector = y.ndim == x.ndim - 1
    b = y[..., None] if vector else y
    if b.shape[-2] != x.shape[-2]:
        raise RuntimeError(f"{name}: input.size(-2) should match other.size(-2)")
    if x.dtype != y.dtype:
        raise RuntimeError(f"{name}: Expected input and other to have the same dtype, but got input's dtype "
                           f"{_legacy(x)} and other's dtype {_legacy(y)}")
    m, n = x.shape[-2:]
    s = np.linalg.svd(x, compute_uv=False)
    rtol = np.finfo(x.dtype).eps * max(m, n) if rcond is None or rcond < 0 else rcond
    sol = _pinv_array(x, 0.0, rtol) @ b
    rank = np.sum(s > rtol * s.max(-1, initial=0.0)[..., None], -1).astype(np.int64)
    full = m > n and driver != "gelsy" and bool(np.all(rank == n))
    resid = np.sum((x @ sol - b) ** 2, -2) if full else np.empty(0, x.dtype)
    if vector:
        sol = sol[..., 0]
        resid = resid[..., 0] if full else resid
    rank = rank if driver != "gels" else np.empty(0, np.int64)
    sv = s if driver in ("gelsd", "gelss") else np.empty(0, x.dtype)
    outs = _record(LinalgLstsqBackward0, (sol, resid, rank, sv), (A, B), (A, B), {"vector": vector},
                   differentiable=(True, True, False, False))
    return _lstsq_t(*outs)


# -- matrix_exp ----------------------------------------------------------------------------------------------------


def _expm_array(x):
    """Scaling and squaring with a degree-18 Taylor polynomial (||A / 2^s||_1 <= 1/2: error below eps)."""
    n = x.shape[-1]
    if x.size == 0:
        return x.copy()
    norm = np.abs(x).sum(-2).max(-1)
    with np.errstate(divide="ignore"):
        s = np.maximum(0, np.ceil(np.log2(np.maximum(norm, 1e-300) / 0.5))).astype(np.int64)
    y = x / (2.0 ** s)[..., None, None].astype(x.dtype)
    eye = np.eye(n, dtype=x.dtype)
    res = eye + y / 18
    for k in range(17, 0, -1):
        res = eye + (y @ res) / k
    for step in range(int(s.max(initial=0))):
        res = np.where((step < s)[..., None, None], res @ res, res)
    return res


class LinalgMatrixExpBackward0(Node):
    def backward(self, g, a):
        """The Frechet derivative at A^T applied to g: the top-right block of exp([[A^T, g], [0, A^T]])."""
        n = dual.data(a).shape[-1]
        at = _t(a)
        top = dual.cat([at, g], -1)
        bottom = dual.cat([dual.zeros_like(at), at], -1)
        return _expm(dual.cat([top, bottom], -2))[..., :n, n:],


def matrix_exp(A):
    x = A._data
    _square(x, "linalg.matrix_exp")
    return record(LinalgMatrixExpBackward0, _expm_array(x), (A,), (A,))


_expm = _either(_expm_array, matrix_exp)


# -- cond, multi_dot, householder_product -------------------------------------------------------------------------


def cond(A, p=None, *, out=None):
    x = A._data
    if p is None or p in (2, -2):
        _matrices(x, "linalg.cond")
        s = svdvals(A)
        big, small = s[..., 0], s[..., -1]
        res = small / big if p == -2 else big / small
    else:
        if p not in ("fro", "nuc", math.inf, -math.inf, 1, -1):
            raise RuntimeError(f"linalg.cond got an invalid norm type: {p}")
        _matrices(x, f"linalg.cond(ord={p})")
        _square(x, f"linalg.cond(ord={p})")
        inv, info = inv_ex(A)
        res = matrix_norm(A, p) * matrix_norm(inv, p)
        if info._data.any():
            res = res.masked_fill(wrap(info._data != 0), math.inf)
    return res if out is None else _out(res, out)


def _chain_order(dims):
    """Optimal parenthesization of a chain of matrices dims[i] x dims[i+1] (dynamic programming)."""
    n = len(dims) - 1
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j] = math.inf
            for k in range(i, j):
                c = cost[i][k] + cost[k + 1][j] + dims[i] * dims[k + 1] * dims[j + 1]
                if c < cost[i][j]:
                    cost[i][j], split[i][j] = c, k
    return split


def multi_dot(tensors, *, out=None):
    ts = list(tensors)
    if len(ts) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(ts)}")
    first, last = ts[0]._data.ndim, ts[-1]._data.ndim
    if first not in (1, 2):
        raise RuntimeError(f"multi_dot(): the first tensor must be 1D or 2D but got {first}D")
    if last not in (1, 2):
        raise RuntimeError(f"multi_dot(): the last tensor must be 1D or 2D but got {last}D")
    for i, t in enumerate(ts[1:-1], 1):
        if t._data.ndim != 2:
            raise RuntimeError(f"multi_dot(): tensor {i} must be 2D but got {t._data.ndim}D")
    mats = [ts[0].unsqueeze(0) if first == 1 else ts[0]] + ts[1:-1] + [ts[-1].unsqueeze(1) if last == 1 else ts[-1]]
    for i in range(len(mats) - 1):
        a, b = mats[i]._data.shape, mats[i + 1]._data.shape
        if a[1] != b[0]:
            raise RuntimeError(f"multi_dot(): tensors {i} and {i + 1} with shapes {list(ts[i].shape)} and "
                               f"{list(ts[i + 1].shape)} cannot be multiplied")
    split = _chain_order([m._data.shape[0] for m in mats] + [mats[-1]._data.shape[1]])

    def product(i, j):
        return mats[i] if i == j else matmul(product(i, split[i][j]), product(split[i][j] + 1, j))
    res = product(0, len(mats) - 1)
    if first == 1 and last == 1:
        res = res.reshape(())
    elif first == 1:
        res = res.squeeze(0)
    elif last == 1:
        res = res.squeeze(1)
    return res if out is None else _out(res, out)


def chain_matmul(*matrices, out=None):
    res = multi_dot(matrices) if len(matrices) > 1 else matrices[0].clone()
    return res if out is None else _out(res, out)


def householder_product(A, tau, *, out=None):
    """Q = H_1 ... H_k with H_i = I - tau_i v_i v_i^T (v_i: column i of A below the diagonal, 1 on it)."""
    x, t = A._data, tau._data
    name = "torch.linalg.householder_product"
    if x.ndim < 2:
        raise RuntimeError(f"{name}: input must have at least 2 dimensions.")
    m, n = x.shape[-2:]
    if m < n:
        raise RuntimeError(f"{name}: input.shape[-2] must be greater than or equal to input.shape[-1]")
    if t.shape[-1] > n:
        raise RuntimeError(f"{name}: input.shape[-1] must be greater than or equal to tau.shape[-1]")
    low = _tri(A, False, -1) + np.eye(m, n, dtype=x.dtype)
    q = wrap(np.broadcast_to(np.eye(m, dtype=x.dtype), x.shape[:-2] + (m, m)).copy())
    for i in range(t.shape[-1]):
        v = low[..., :, i:i + 1]
        q = q - (q @ v) * tau[..., i, None, None] @ v.mT
    res = q[..., :, :n]
    return res if out is None else _out(res, out)


lu_solve = _legacy_lu_solve

bind_methods(svd=svd, qr=qr, cholesky_solve=cholesky_solve, cholesky_inverse=cholesky_inverse, pinverse=pinverse,
             matrix_exp=matrix_exp, triangular_solve=triangular_solve, lu=lu, lu_solve=_legacy_lu_solve)
