"""torch.linalg: norms, inverses, solvers and decompositions (the ops live in numtorch._ops.linalg)."""
from __future__ import annotations

from ._ops.linalg import LinAlgError, det, matmul, matrix_norm, svdvals, vector_norm
from ._ops.linalg import linalg_cholesky as cholesky
from ._ops.linalg import linalg_cross as cross
from ._ops.linalg import linalg_inv as inv
from ._ops.linalg import linalg_norm as norm
from ._ops.linalg import linalg_solve as solve

__all__ = ["LinAlgError", "cholesky", "cross", "det", "inv", "matmul", "matrix_norm", "norm", "solve", "svdvals",
           "vector_norm"]
