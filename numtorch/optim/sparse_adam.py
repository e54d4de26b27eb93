"""SparseAdam: Adam restricted to the entries a sparse gradient holds (nn.Embedding(sparse=True)).

The moments and the param move only where the (coalesced) sparse gradient has entries; every
other entry, and the bias correction's `step` (a Python int, torch's choice here), is
shared by the whole tensor. The arithmetic is torch's, operation for operation, applied to the
gathered entries and scattered back, so the work is proportional to the gradient's entries.
"""
from __future__ import annotations

import math

from .._ops.creation import zeros_like
from ._functional import GroupLoopOptimizer, check_hyperparameters, check_lr_size, check_positive
from .optimizer import _to_scalar

__all__ = ["SparseAdam"]


class SparseAdam(GroupLoopOptimizer):
    """Adam for dense params with sparse gradients; torch.optim.SparseAdam's contract."""

    _scalar_state = ()  # `step` is a Python int here

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, maximize=False):
        check_lr_size(lr)
        check_positive(lr, "learning rate")
        check_positive(eps, "epsilon value")
        check_hyperparameters(betas=betas)
        super().__init__(params, {"lr": lr, "betas": betas, "eps": eps, "maximize": maximize})
        sparse = _positions(self.param_groups, lambda p: p.is_sparse)
        if sparse:
            raise ValueError(f"Sparse params at indices {sparse}: SparseAdam requires dense parameter tensors")
        complex_ = _positions(self.param_groups, lambda p: p.is_complex())
        if complex_:
            raise ValueError(f"Complex params at indices {complex_}: SparseAdam does not support complex parameters")

    def _step_group(self, group):
        params, grads, exp_avgs, exp_avg_sqs, state_steps = [], [], [], [], []
        for p in group["params"]:
            if p.grad is None:
                continue
            params.append(p)
            if not p.grad.is_sparse:
                raise RuntimeError("SparseAdam does not support dense gradients, please consider Adam instead")
            grads.append(p.grad)
            state = self.state[p]
            if len(state) == 0:
                state["step"] = 0
                state["exp_avg"] = zeros_like(p)
                state["exp_avg_sq"] = zeros_like(p)
            exp_avgs.append(state["exp_avg"])
            exp_avg_sqs.append(state["exp_avg_sq"])
            state["step"] += 1
            state_steps.append(state["step"])
        beta1, beta2 = group["betas"]
        sparse_adam(params, grads, exp_avgs, exp_avg_sqs, state_steps, eps=group["eps"], beta1=beta1, beta2=beta2,
                    lr=_to_scalar(group["lr"]), maximize=group.get("maximize", False))


def _positions(param_groups, test) -> list:
    """[group index, index in group] of every param passing `test`, as torch reports them."""
    return [[i, j] for i, group in enumerate(param_groups) for j, p in enumerate(group["params"]) if test(p)]


def sparse_adam(params, grads, exp_avgs, exp_avg_sqs, state_steps, *, eps, beta1, beta2, lr, maximize):
    """Functional SparseAdam: updates the gradients' entries of params and moments in place.

    The gradient is coalesced first: the update is not linear, so each entry
    must appear once with its summed value.
    """
    for param, grad, exp_avg, exp_avg_sq, step in zip(params, grads, exp_avgs, exp_avg_sqs, state_steps):
        grad = (-grad if maximize else grad).coalesce()
        values = grad._values()
        if values.numel() == 0:
            continue
        where = tuple(grad._indices())  # one index tensor per sparse dim; dense dims come whole
        old_avg, old_sq = exp_avg[where], exp_avg_sq[where]
        # old <- b * old + (1 - b) * new, written as old += (1 - b) * (new - old)
        avg_delta = values.sub(old_avg).mul_(1 - beta1)
        exp_avg.index_put_(where, avg_delta, accumulate=True)
        sq_delta = values.pow(2).sub_(old_sq).mul_(1 - beta2)
        exp_avg_sq.index_put_(where, sq_delta, accumulate=True)
        numer = avg_delta.add_(old_avg)  # the new moments' entries, recomputed rather than gathered again
        denom = sq_delta.add_(old_sq).sqrt_().add_(eps)
        step_size = lr * math.sqrt(1 - beta2 ** step) / (1 - beta1 ** step)
        param.index_put_(where, -step_size * numer.div_(denom), accumulate=True)
