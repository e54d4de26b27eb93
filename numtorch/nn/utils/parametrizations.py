"""torch.nn.utils.parametrizations: weight_norm, spectral_norm and orthogonal as parametrizations.

The ops they need that torch has as kernels (`_weight_norm`, `norm_except_dim`,
`matrix_exp`, `householder_product`) are written here: weight_norm's fused
form is one node (torch's WeightNormInterfaceBackward0), matrix_exp is one
node whose derivative is the matrix exponential of a block matrix (so it is
differentiable again), householder_product is composed from matmuls.
"""
from __future__ import annotations

import numpy as np

from ... import _ops, _random
from ..._ops import dual
from ..._ops._core import record
from ..._ops.linalg import linalg_solve, vector_norm
from ..._tensor import Tensor
from ...autograd.grad_mode import no_grad
from ...autograd.graph import Node
from .. import functional as F
from ..modules.module import Module
from . import parametrize

__all__ = ["orthogonal", "spectral_norm", "weight_norm"]


# ======================================================================================
# weight norm
# ======================================================================================

def norm_except_dim(v: Tensor, pow: float = 2, dim: int = 0) -> Tensor:  # noqa: A002 - torch's name
    """The norm of each slice along `dim` (keeping every dim as size 1 but `dim`); dim=-1: the whole norm."""
    if dim == -1:
        return v.norm(pow)
    others = tuple(d for d in range(v.dim()) if d != dim)
    return vector_norm(v, pow, others, keepdim=True)


class WeightNormInterfaceBackward0(Node):
    """w = v * g / |v| (norm over all dims but one): d/dg = sum(G v) / |v|, d/dv = g/|v| (G - v sum(G v) / |v|^2)."""

    def backward(self, grad, v, g):
        axes = self.axes
        norm = dual.sqrt(dual.sum(v * v, axes, keepdim=True))
        gv_dot = dual.sum(grad * v, axes, keepdim=True)
        nxt = self._next
        dv = g / norm * (grad - v * gv_dot / (norm * norm)) if nxt[0] is not None else None
        dg = gv_dot / norm if nxt[1] is not None else None
        return dv, dg


def _weight_norm(v: Tensor, g: Tensor, dim: int = 0) -> Tensor:
    """torch._weight_norm: one node when dim is the first or last, composed otherwise (as torch)."""
    if dim == -1 or not (dim == 0 or dim == v.dim() - 1):
        return v * (g / norm_except_dim(v, 2, dim))
    axes = tuple(d for d in range(v.dim()) if d != dim)
    x = v._data
    with np.errstate(divide="ignore", invalid="ignore"):
        out = x * (g._data / np.sqrt((x * x).sum(axes, keepdims=True)))
    return record(WeightNormInterfaceBackward0, out.astype(x.dtype, copy=False), (v, g), (v, g), {"axes": axes})


class _WeightNorm(Module):
    def __init__(self, dim: int | None = 0) -> None:
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g, weight_v):
        return _weight_norm(weight_v, weight_g, self.dim)

    def right_inverse(self, weight):
        return norm_except_dim(weight, 2, self.dim), weight


def weight_norm(module: Module, name: str = "weight", dim: int = 0) -> Module:
    """module.<name> = g * v / |v|, stored as parametrizations.<name>.original0 (g) and original1 (v)."""
    parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)

    def load_old_keys(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs):
        g_key, v_key = f"{prefix}{name}_g", f"{prefix}{name}_v"
        if g_key in state_dict and v_key in state_dict:   # a checkpoint of the older nn.utils.weight_norm
            state_dict[f"{prefix}parametrizations.{name}.original0"] = state_dict.pop(g_key)
            state_dict[f"{prefix}parametrizations.{name}.original1"] = state_dict.pop(v_key)

    module._register_load_state_dict_pre_hook(load_old_keys)
    return module


# ======================================================================================
# spectral norm
# ======================================================================================

def weight_as_matrix(weight: Tensor, dim: int) -> Tensor:
    """The weight with `dim` first, flattened to 2-D (spectral norm's view of it)."""
    if dim != 0:
        weight = weight.permute(dim, *(d for d in range(weight.dim()) if d != dim))
    return weight.flatten(1)


def power_iteration(weight_mat: Tensor, u: Tensor, v: Tensor, steps: int, eps: float) -> None:
    """`steps` rounds of u <- normalize(W v), v <- normalize(W^H u), written into u and v in place."""
    with no_grad():
        for _ in range(steps):
            u.copy_(F.normalize(_ops.mv(weight_mat, v), dim=0, eps=eps))
            v.copy_(F.normalize(_ops.mv(weight_mat.H, u), dim=0, eps=eps))


class _SpectralNorm(Module):
    def __init__(self, weight: Tensor, n_power_iterations: int = 1, dim: int = 0, eps: float = 1e-12) -> None:
        super().__init__()
        ndim = weight.ndim
        if dim >= ndim or dim < -ndim:
            raise IndexError(f"Dimension out of range (expected to be in range of [-{ndim}, {ndim - 1}] but got "
                             f"{dim})")
        if n_power_iterations <= 0:
            raise ValueError(f"Expected n_power_iterations to be positive, but got "
                             f"n_power_iterations={n_power_iterations}")
        self.dim = dim if dim >= 0 else dim + ndim
        self.eps = eps
        if ndim > 1:
            self.n_power_iterations = n_power_iterations
            weight_mat = weight_as_matrix(weight, self.dim)
            h, w = weight_mat.shape
            u = weight_mat.new_empty(h).normal_(0, 1)
            v = weight_mat.new_empty(w).normal_(0, 1)
            self.register_buffer("_u", F.normalize(u, dim=0, eps=self.eps))
            self.register_buffer("_v", F.normalize(v, dim=0, eps=self.eps))
            power_iteration(weight_mat.detach(), self._u, self._v, 15, self.eps)

    def forward(self, weight: Tensor) -> Tensor:
        if weight.ndim == 1:
            return F.normalize(weight, dim=0, eps=self.eps)
        weight_mat = weight_as_matrix(weight, self.dim)
        if self.training:
            power_iteration(weight_mat, self._u, self._v, self.n_power_iterations, self.eps)
        sigma = _ops.vdot(self._u.clone(), _ops.mv(weight_mat, self._v.clone()))
        return weight / sigma

    def right_inverse(self, value: Tensor) -> Tensor:
        return value


def _is_conv_transpose(module) -> bool:
    from ..modules import conv
    kinds = tuple(getattr(conv, n) for n in ("ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d")
                  if hasattr(conv, n))
    return isinstance(module, kinds)


def _tensor_attr(module: Module, name: str) -> Tensor:
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    return weight


def spectral_norm(module: Module, name: str = "weight", n_power_iterations: int = 1, eps: float = 1e-12,
                  dim: int | None = None) -> Module:
    """module.<name> = W / sigma(W), sigma estimated by power iteration (one round per training forward)."""
    weight = _tensor_attr(module, name)
    if dim is None:
        dim = 1 if _is_conv_transpose(module) else 0
    parametrize.register_parametrization(module, name, _SpectralNorm(weight, n_power_iterations, dim, eps))
    return module


# ======================================================================================
# orthogonal
# ======================================================================================

def _expm_array(a: np.ndarray) -> np.ndarray:
    """exp of (a batch of) square matrices: Taylor series on a scaled-down copy, squared back up."""
    norm = np.abs(a).sum(-1).max() if a.size else 0.0
    s = max(0, int(np.ceil(np.log2(norm / 0.25)))) if norm > 0.25 else 0
    x = a / 2.0 ** s
    n = a.shape[-1]
    term = np.broadcast_to(np.eye(n, dtype=a.dtype), a.shape).copy()
    out = term.copy()
    for k in range(1, 24):
        term = term @ x / k
        out += term
    for _ in range(s):
        out = out @ out
    return out


class LinalgMatrixExpBackward0(Node):
    """d exp(A) applied to G is the top-right block of exp([[A^H, G], [0, A^H]])."""

    def backward(self, g, a):
        n = dual.data(a).shape[-1]
        at = dual.transpose(a, -1, -2)
        top = dual.cat([at, g], -1)
        bottom = dual.cat([dual.zeros_like(at), at], -1)
        block = dual.cat([top, bottom], -2)
        e = matrix_exp(block) if dual.is_tensor(block) else _expm_array(block)
        return e[..., :n, n:],


def matrix_exp(a: Tensor) -> Tensor:
    return record(LinalgMatrixExpBackward0, _expm_array(a._data), (a,), (a,))


def householder_product(a: Tensor, tau: Tensor) -> Tensor:
    """H_1 H_2 ... H_k (first k columns), H_i = I - tau_i v_i v_i^H, v_i = column i of a below a unit diagonal."""
    n, k = a.shape[-2], a.shape[-1]
    eye = _ops.eye(n, k, dtype=a.dtype)
    vs = a.tril(-1) + eye
    q = _ops.eye(n, dtype=a.dtype).expand(*a.shape[:-2], n, n)
    for i in range(k):
        v = vs[..., :, i:i + 1]
        q = q - (q @ v) @ v.mT * tau[..., i:i + 1].unsqueeze(-1)
    return q[..., :, :k]


def _make_orthogonal(a: Tensor) -> Tensor:
    """The Q of a's QR decomposition whose R has a non-negative diagonal."""
    q, r = np.linalg.qr(a._data)
    signs = np.sign(np.diagonal(r, axis1=-2, axis2=-1))[..., None, :]
    return _ops.tensor(q * signs)


def _is_orthogonal(q: Tensor) -> bool:
    n, k = q.shape[-2], q.shape[-1]
    eps = 10.0 * n * np.finfo(q._data.dtype).eps
    return bool(np.allclose(np.swapaxes(q._data, -1, -2) @ q._data, np.eye(k), rtol=1e-5, atol=eps))


_MAPS = ("matrix_exp", "cayley", "householder")


class _Orthogonal(Module):
    def __init__(self, weight: Tensor, orthogonal_map: str, *, use_trivialization: bool = True) -> None:
        super().__init__()
        self.shape = weight.shape
        self.orthogonal_map = orthogonal_map
        if use_trivialization:
            self.register_buffer("base", None)

    def forward(self, x: Tensor) -> Tensor:
        n, k = x.shape[-2], x.shape[-1]
        transposed = n < k
        if transposed:
            x, n, k = x.mT, k, n
        if self.orthogonal_map == "householder":
            a = x.tril(-1)
            q = householder_product(a, 2.0 / (1.0 + (a * a).sum(-2)))
            q = q * x.diagonal(0, -2, -1).int().unsqueeze(-2)
        else:
            x = x.tril()
            if n != k:
                x = _ops.cat([x, x.new_zeros(n, n - k).expand(*x.shape[:-2], -1, -1)], -1)
            a = x - x.mH
            if self.orthogonal_map == "matrix_exp":
                q = matrix_exp(a)
            else:
                eye = _ops.eye(n, dtype=a.dtype)
                q = linalg_solve(eye - 0.5 * a, eye + 0.5 * a)
            if n != k:
                q = q[..., :k]
        if hasattr(self, "base"):
            q = self.base @ q
        return q.mT if transposed else q

    def right_inverse(self, q: Tensor) -> Tensor:
        with no_grad():
            if q.shape != self.shape:
                raise ValueError(f"Expected a matrix or batch of matrices of shape {self.shape}. Got a tensor of "
                                 f"shape {q.shape}.")
            q_init = q
            n, k = q.shape[-2], q.shape[-1]
            if n < k:
                q, n, k = q.mT, k, n
            if not hasattr(self, "base"):
                raise NotImplementedError("It is not possible to assign to the matrix exponential or the Cayley "
                                          "parametrizations when use_trivialization=False.")
            if n == k:
                q = q.clone() if _is_orthogonal(q) else _make_orthogonal(q)
            else:
                noise = _random.randn(*(tuple(q.shape[:-2]) + (n, n - k)), dtype=q.dtype)
                q = _make_orthogonal(_ops.cat([q, noise], -1))
            self.base = q
            neg_eye = _ops.zeros_like(q_init)
            neg_eye.diagonal(0, -2, -1).fill_(-1.0)
            return neg_eye


def orthogonal(module: Module, name: str = "weight", orthogonal_map: str | None = None, *,
               use_trivialization: bool = True) -> Module:
    """module.<name> = an orthogonal matrix (or batch) through the map: matrix_exp, cayley or householder."""
    weight = _tensor_attr(module, name)
    if weight.ndim < 2:
        raise ValueError(f"Expected a matrix or batch of matrices. Got a tensor of {weight.ndim} dimensions.")
    if orthogonal_map is None:
        orthogonal_map = "matrix_exp" if weight.size(-2) == weight.size(-1) else "householder"
    if orthogonal_map not in _MAPS:
        raise ValueError(f'orthogonal_map has to be one of "matrix_exp", "cayley", "householder". Got: '
                         f"{orthogonal_map}")
    if not use_trivialization and orthogonal_map == "householder":
        raise NotImplementedError("orthogonal(orthogonal_map='householder', use_trivialization=False) needs geqrf, "
                                  "which numtorch does not implement")
    parametrize.register_parametrization(module, name, _Orthogonal(weight, orthogonal_map,
                                                                    use_trivialization=use_trivialization),
                                         unsafe=True)
    return module
