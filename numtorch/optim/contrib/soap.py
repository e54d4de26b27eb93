"""SOAP: Adam run in the eigenbasis of Shampoo's preconditioner, refreshed only every few steps.

Shampoo's Kronecker factors L = E[G G^T] and R = E[G^T G] give a basis in
which the loss is nearly axis-aligned; Adam's per-coordinate scaling works far
better there. The basis costs an eigendecomposition, so it is refreshed by one
power-iteration/QR step every `precondition_frequency` steps, while Adam's
moments keep adapting at every step. Eigenbases are computed by NumPy
(eigh, then QR), so a run is deterministic.
"""
from __future__ import annotations

import math

import numpy as np

from ..._ops.creation import tensor, zeros
from ..._ops.linalg import tensordot
from .._functional import check_beta, check_hyperparameters
from ..optimizer import _get_value
from ._base import PerParamOptimizer

__all__ = ["SOAP", "merged_shape"]


def merged_shape(shape, max_dim: int) -> list:
    """`shape` with adjacent dims multiplied together while their product stays <= max_dim.

    A conv weight (out, in, kh, kw) then gets a few moderate factors instead of
    many tiny ones; size-1 dims disappear.
    """
    out, current = [], 1
    for size in shape:
        if current * size <= max_dim:
            current *= size
            continue
        if current > 1:
            out.append(current)
        current = size
    if current > 1 or not out:
        out.append(current)
    return out


def _eigenbasis(factor):
    """Eigenvectors of a symmetric factor as columns, largest eigenvalue first."""
    vectors = np.linalg.eigh(factor.numpy())[1]
    return tensor(np.ascontiguousarray(vectors[:, ::-1]), dtype=factor.dtype)


class SOAP(PerParamOptimizer):
    """SOAP (ShampoO with Adam in the Preconditioner's eigenbasis).

    Vyas et al., "SOAP: Improving and Stabilizing Shampoo using Adam",
    arXiv:2409.11321 (Algorithm 3, with the authors' first release's details).
    For each dim of size <= `max_precond_dim` (1-D params only with
    `precondition_1d`; after `merge_dims` merges small dims) a factor
    ``L = s*L + (1-s)*G G^T`` (s = `shampoo_beta`, or beta2 when None) and its
    eigenbasis Q. A param's first step only builds L and Q (by eigh); then
    ``G' = project(G)``, ``m = b1*m + (1-b1)*G`` (kept unprojected),
    ``v = b2*v + (1-b2)*G'**2``, ``N = project_back(project(m) / (sqrt(v) + eps))``
    (divided by its RMS with `normalize_grads`),
    ``w -= lr * sqrt(1-b2^t)/(1-b1^t) * N`` (no correction without
    `correct_bias`), ``w *= 1 - lr*weight_decay`` (decoupled), then L is
    updated with G and every `precondition_frequency` steps Q is refreshed by
    ``Q = qr(L Q)`` with columns ordered by the estimated eigenvalues ``diag(Q^T L Q)``
    (v's coordinates reordered alike).
    """

    _zero_state = ("exp_avg", "exp_avg_sq")

    def __init__(self, params, lr=3e-3, betas=(0.95, 0.95), shampoo_beta=None, eps=1e-8, weight_decay=0.01,
                 precondition_frequency=10, max_precond_dim=10000, merge_dims=False, precondition_1d=False,
                 normalize_grads=False, correct_bias=True, *, maximize=False):
        check_hyperparameters(lr=lr, betas=betas)
        if shampoo_beta is not None:
            check_beta((shampoo_beta,), 0)
        check_hyperparameters(eps=eps, weight_decay=weight_decay)
        for name, value in (("precondition_frequency", precondition_frequency), ("max_precond_dim", max_precond_dim)):
            if not (isinstance(value, int) and value >= 1):
                raise ValueError(f"Invalid {name}: {value}")
        super().__init__(params, {"lr": lr, "betas": tuple(betas), "shampoo_beta": shampoo_beta, "eps": eps,
                                  "weight_decay": weight_decay, "precondition_frequency": precondition_frequency,
                                  "max_precond_dim": max_precond_dim, "merge_dims": merge_dims,
                                  "precondition_1d": precondition_1d, "normalize_grads": normalize_grads,
                                  "correct_bias": correct_bias, "maximize": maximize})

    @staticmethod
    def _factor_shape(p, group) -> list:
        return merged_shape(p.shape, group["max_precond_dim"]) if group["merge_dims"] and p.dim() > 1 \
            else list(p.shape)

    def _init_buffers(self, state, p, group):
        super()._init_buffers(state, p, group)
        preconditioned = p.dim() != 1 or group["precondition_1d"]
        state["GG"] = [zeros(n, n, dtype=p.dtype) if preconditioned and n <= group["max_precond_dim"] else None
                       for n in self._factor_shape(p, group)]

    def _project(self, x, state, group, back=False):
        """x in the eigenbasis (each factor's dim contracted with Q^T), or back from it (with Q)."""
        shape = x.shape
        x = x.reshape(self._factor_shape(x, group))
        for q in state["Q"]:  # each contraction moves the dim it treats to the end
            x = x.permute(*range(1, x.dim()), 0) if q is None else tensordot(x, q, dims=([0], [1 if back else 0]))
        return x.reshape(shape)

    def _accumulate(self, grad, state, group):
        """L = s*L + (1-s) * (the gradient's Gram matrix along each factor's dim)."""
        beta = group["shampoo_beta"] if group["shampoo_beta"] is not None else group["betas"][1]
        g = grad.reshape(self._factor_shape(grad, group))
        for i, factor in enumerate(state["GG"]):
            if factor is not None:
                others = [d for d in range(g.dim()) if d != i]
                factor.lerp_(tensordot(g, g, dims=(others, others)), 1 - beta)

    def _refresh(self, state, group):
        """One power-iteration step per factor, orthonormalized by QR, columns sorted by eigenvalue estimate."""
        exp_avg_sq = state["exp_avg_sq"]
        shape = exp_avg_sq.shape
        v = exp_avg_sq.reshape(self._factor_shape(exp_avg_sq, group))
        for i, (factor, q) in enumerate(zip(state["GG"], state["Q"])):
            if factor is None:
                continue
            power = (factor @ q).numpy()
            order = np.argsort(-(q.numpy() * power).sum(axis=0), kind="stable")
            v = v.index_select(i, tensor(order))
            state["Q"][i] = tensor(np.linalg.qr(power[:, order])[0], dtype=q.dtype)
        exp_avg_sq.copy_(v.reshape(shape))

    def _update(self, p, grad, state, group):
        if "Q" not in state:  # first step: build the basis from this gradient, move nothing
            self._accumulate(grad, state, group)
            state["Q"] = [None if factor is None else _eigenbasis(factor) for factor in state["GG"]]
            return
        beta1, beta2 = group["betas"]
        lr = group["lr"]
        state["step"] += 1
        step = _get_value(state["step"])
        state["exp_avg"].lerp_(grad, 1 - beta1)
        state["exp_avg_sq"].lerp_(self._project(grad, state, group).square(), 1 - beta2)
        denom = state["exp_avg_sq"].sqrt().add_(group["eps"])
        update = self._project(self._project(state["exp_avg"], state, group) / denom, state, group, back=True)
        if group["normalize_grads"]:
            update = update / (update.square().mean().sqrt() + 1e-30)
        step_size = lr * math.sqrt(1 - beta2 ** step) / (1 - beta1 ** step) if group["correct_bias"] else lr
        p.add_(update, alpha=-step_size)
        if group["weight_decay"] > 0:
            p.mul_(1 - lr * group["weight_decay"])
        self._accumulate(grad, state, group)
        if step % group["precondition_frequency"] == 0:
            self._refresh(state, group)
