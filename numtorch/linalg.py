"""torch.linalg: norms, inverses, solvers and decompositions (the ops live in numtorch._ops.linalg and
numtorch._ops.decomp)."""
from __future__ import annotations

from ._ops.decomp import cholesky_ex, cond, eig, eigh, eigvals, eigvalsh, householder_product, inv_ex, lstsq
from ._ops.decomp import linalg_lu as lu
from ._ops.decomp import linalg_qr as qr
from ._ops.decomp import linalg_svd as svd
from ._ops.decomp import linalg_lu_solve as lu_solve
from ._ops.decomp import lu_factor, lu_factor_ex, matrix_exp, matrix_rank, multi_dot, pinv
from ._ops.decomp import solve_triangular, svdvals
from ._ops.linalg_aliases import linalg_diagonal as diagonal
from ._ops.linalg_aliases import linalg_slogdet as slogdet
from ._ops.linalg_aliases import matrix_power, solve_ex, vecdot
from ._ops.linalg import LinAlgError, det, matmul, matrix_norm, vector_norm
from ._ops.linalg import linalg_cholesky as cholesky
from ._ops.linalg import linalg_cross as cross
from ._ops.linalg import linalg_inv as inv
from ._ops.linalg import linalg_norm as norm
from ._ops.linalg import linalg_solve as solve

__all__ = ["LinAlgError", "cholesky", "cholesky_ex", "cond", "cross", "det", "eig", "eigh", "eigvals", "eigvalsh",
           "householder_product", "inv", "inv_ex", "lstsq", "lu", "lu_factor", "lu_factor_ex", "lu_solve", "matmul",
           "matrix_exp", "matrix_norm", "matrix_power", "matrix_rank", "multi_dot", "norm", "pinv", "qr",
           "slogdet", "solve", "solve_ex", "solve_triangular", "svd", "svdvals", "vecdot", "vector_norm", "diagonal"]
