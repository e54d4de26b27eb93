"""Adafactor: Adam-like steps whose second moment is stored factored (a row and a column average)
for matrices, with relative step sizes and update clipping.

The update is torch's single-tensor algorithm, operation for operation, including its use of
lr (the cap of the relative step size and the decoupled weight decay's factor) and of eps1 (a
floor under the variance estimate, defaulting to the first param's dtype's machine epsilon).
foreach is accepted and takes the same path: torch's foreach variant does the same arithmetic,
except that with params of several dtypes its default eps1 follows a different param.
"""
from __future__ import annotations

from .._dtype import finfo
from .._ops.creation import zeros_like
from .._tensor import Tensor
from ._functional import GroupLoopOptimizer, amp_state, check_at_least, check_lr_size, refuse_complex, state_lists
from .optimizer import _get_value, _to_scalar

__all__ = ["Adafactor", "adafactor"]


class Adafactor(GroupLoopOptimizer):
    """Adafactor (Shazeer & Stern), with torch's lr and eps1 conventions; torch.optim.Adafactor's contract."""

    _old_group_defaults = {"foreach": None}

    def __init__(self, params, lr=1e-2, beta2_decay=-0.8, eps=(None, 1e-3), d=1.0, weight_decay=0.0, *,
                 foreach=None, maximize=False):
        check_lr_size(lr)
        check_at_least(lr, "Learning rate")
        if not 0.0 >= beta2_decay:
            raise ValueError(f"beta2_decay should be <= 0 but is: {beta2_decay}")
        if eps[0] is not None:
            check_at_least(eps[0], "epsilon1")
        check_at_least(eps[1], "epsilon2")
        check_at_least(d, "Clipping threshold d", 1)
        check_at_least(weight_decay, "weight_decay")
        defaults = {"lr": lr, "beta2_decay": beta2_decay, "eps": eps, "d": d, "weight_decay": weight_decay,
                    "foreach": foreach, "maximize": maximize}
        super().__init__(params, defaults)

    @staticmethod
    def _init_buffers(state, p, group) -> None:
        """Factored moments (one row, one column average over the last two dims) for a matrix, or more dims."""
        grad = p.grad
        if grad.dim() > 1:
            state["row_var"] = grad.new_zeros(grad.shape[:-1] + (1,))
            state["col_var"] = grad.new_zeros(grad.shape[:-2] + (1,) + grad.shape[-1:])
        else:
            state["variance"] = zeros_like(grad)

    def _step_group(self, group):
        refuse_complex(group, "Adafactor")
        params, grads, states = self._grads_and_states(group)
        row_vars, col_vars, variances = ([state.get(k) for state in states] for k in ("row_var", "col_var", "variance"))
        eps1, eps2 = group["eps"]
        adafactor(params, grads, row_vars, col_vars, variances, *state_lists(states, "step"), d=group["d"],
                  lr=group["lr"], beta2_decay=group["beta2_decay"], weight_decay=group["weight_decay"],
                  eps1=eps1, eps2=eps2, foreach=group["foreach"], maximize=group["maximize"], **amp_state(self))


def adafactor(params, grads, row_vars, col_vars, variances, state_steps, foreach=None, grad_scale=None,
              found_inf=None, has_complex=False, *, d, lr, beta2_decay, weight_decay, eps1, eps2, maximize):
    """Functional Adafactor: updates params and their state tensors in place."""
    if not all(isinstance(t, Tensor) for t in state_steps):
        raise RuntimeError("`state_steps` argument must contain a list of singleton tensors")
    if grad_scale is not None or found_inf is not None:
        raise AssertionError("Grad scaling should occur outside of optimizer.step()")
    lr = _to_scalar(lr)
    for param, grad, row_var, col_var, variance, step_t in zip(params, grads, row_vars, col_vars, variances,
                                                               state_steps):
        grad = -grad if maximize else grad
        if eps1 is None:  # as in torch, the first param's dtype decides for the whole group
            eps1 = finfo(param.dtype).eps
        step_t += 1
        step = step_t.item()
        one_minus_beta2_t = step ** beta2_decay
        rho_t = min(lr, 1 / (step ** 0.5))
        # the param's RMS, floored at eps2; an empty param divides 0.0 by 0.0 (ZeroDivisionError, as torch)
        alpha = max(eps2, param.norm(2).item() / (param.numel() ** 0.5)) * rho_t
        if weight_decay != 0:
            param.mul_(1 - lr * weight_decay)

        if grad.dim() > 1:
            row_var.lerp_(_mean_square(grad, -1), one_minus_beta2_t)
            col_var.lerp_(_mean_square(grad, -2), one_minus_beta2_t)
            var_estimate = (row_var @ col_var).div_(row_var.mean(dim=-2, keepdim=True).clamp_(min=eps1))
        else:
            variance.lerp_(grad * grad, one_minus_beta2_t)
            var_estimate = variance.clone()
        update = var_estimate.clamp_(min=eps1 * eps1).rsqrt_().mul_(grad)  # eps1 squared: a floor under sqrt
        denom = max(1.0, update.norm(2).item() / ((update.numel() ** 0.5) * d))  # clip the update's RMS at d
        param.add_(update, alpha=_get_value(-alpha / denom))


def _mean_square(grad: Tensor, dim: int) -> Tensor:
    """(grad * grad).mean(dim, keepdim=True), computed as torch does: a squared norm over the size."""
    return grad.norm(dim=dim, keepdim=True).square_().div_(grad.size(dim))
