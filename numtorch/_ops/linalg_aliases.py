"""torch.* spellings of linear algebra (cholesky, matrix_power, logdet, slogdet), built on the ops
behind numtorch.linalg so that one implementation serves both names."""
from __future__ import annotations

import warnings

import numpy as np

from .._tensor import bind_methods, wrap
from .linalg import det, linalg_cholesky, linalg_inv, matmul
from .reduction import return_type

__all__ = ["cholesky", "matrix_power", "logdet", "slogdet"]

_slogdet_t = return_type("slogdet", "sign logabsdet")
_warned = []


def cholesky(input, upper=False, *, out=None):
    """Deprecated in torch in favour of linalg.cholesky; warns once, as torch does."""
    if not _warned:
        _warned.append(True)
        warnings.warn("torch.cholesky is deprecated in favor of torch.linalg.cholesky and will be removed in a "
                      "future PyTorch release.", UserWarning, stacklevel=2)
    low = linalg_cholesky(input)
    res = low.mH if upper else low
    if out is not None:
        out.copy_(res)
        return out
    return res


def matrix_power(input, n):
    """A**n by repeated squaring (A**-n is inv(A)**n; A**0 the identity, batched)."""
    x = input._data
    if x.ndim < 2 or x.shape[-1] != x.shape[-2]:
        raise RuntimeError(f"linalg.matrix_power: A must be batches of square matrices, but they are "
                           f"{x.shape[-2] if x.ndim >= 2 else 1} by {x.shape[-1] if x.ndim else 1} matrices")
    if n == 0:
        return wrap(np.broadcast_to(np.eye(x.shape[-1], dtype=x.dtype), x.shape).copy())
    base = linalg_inv(input) if n < 0 else input
    n = abs(n)
    result = None
    while n:
        if n & 1:
            result = base if result is None else matmul(result, base)
        n >>= 1
        if n:
            base = matmul(base, base)
    return result


def logdet(input):
    """log(det(A)): nan for a negative determinant, -inf for a singular matrix, as torch."""
    return det(input).log()


def slogdet(input):
    d = det(input)
    return _slogdet_t(wrap(np.sign(d._data)), d.abs().log())


bind_methods(cholesky=cholesky, matrix_power=matrix_power, logdet=logdet, slogdet=slogdet)


# -- torch.linalg spellings of the ops above (numtorch.linalg imports them) ----------------------------------

_linalg_slogdet_t = return_type("linalg_slogdet", "sign logabsdet")
_solve_ex_t = return_type("linalg_solve_ex", "result info")


def linalg_slogdet(A, *, out=None):
    res = _linalg_slogdet_t(*slogdet(A))
    return res if out is None else type(res)(*(o.copy_(r) for o, r in zip(out, res)))


def linalg_diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    return A.diagonal(offset, dim1, dim2)


def vecdot(x, y, *, dim=-1, out=None):
    res = (x * y).sum(dim)
    return res if out is None else out.copy_(res)


def solve_ex(A, B, *, left=True, check_errors=False, out=None):
    """linalg.solve with an info tensor: on a singular matrix, raises only when check_errors (numtorch never
    returns the partial result LAPACK leaves)."""
    from .linalg import linalg_solve
    try:
        res = linalg_solve(A, B, left=left)
    except RuntimeError as e:
        if check_errors or "singular" not in str(e):
            raise
        raise NotImplementedError("linalg.solve_ex on a singular matrix (check_errors=False) is not supported by "
                                  "numtorch; use linalg.lu_factor_ex to find the singular matrices") from None
    info = wrap(np.zeros(A._data.shape[:-2], np.int32))
    return _solve_ex_t(res, info) if out is None else _solve_ex_t(out[0].copy_(res), out[1].copy_(info))
