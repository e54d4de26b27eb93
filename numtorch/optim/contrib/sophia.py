"""SophiaH: a diagonal-Hessian preconditioned momentum step, clipped element-wise.

Dividing the momentum by a curvature estimate takes large steps in flat
directions and small ones in sharp directions; clipping keeps the step safe
where the estimate is wrong or negative. The Hessian diagonal is estimated by
Hutchinson's method, ``u * (H u)`` for a random probe u, through numtorch's own
double backward: the gradients must carry their graph, so the loss is
backpropagated with ``create_graph=True`` (inside the closure, as in
pytorch_optimizer's SophiaH).
"""
from __future__ import annotations

from ..._ops.creation import zeros_like
from ..._random import randint, randn
from ...autograd import grad as autograd_grad
from .._functional import check_hyperparameters, check_nonneg
from ..optimizer import _get_value
from ._base import PerParamOptimizer

__all__ = ["SophiaH"]

_DISTRIBUTIONS = ("gaussian", "rademacher")


class SophiaH(PerParamOptimizer):
    """SophiaH (Second-order Clipped Stochastic Optimization, Hutchinson estimator).

    Liu et al., "Sophia: A Scalable Stochastic Second-order Optimizer for
    Language Model Pre-training", arXiv:2305.14342 (Algorithm 3):
    ``m = b1*m + (1-b1)*g``; every `update_period` steps of a param (its 1st,
    k+1-th, ...) ``h = b2*h + (1-b2)*h_hat`` with ``h_hat = u * (H u)``
    averaged over `num_samples` probes; ``w *= 1 - lr*weight_decay``
    (decoupled); ``w -= lr * clip(m / max(rho*h, eps), -1, 1)``.

    `step(closure)`: the closure computes the loss and calls
    ``loss.backward(create_graph=True)``. The probes are drawn from
    `generator` (numtorch's default generator when None), one per param in
    param-group order, from `hessian_distribution` ('gaussian' or
    'rademacher'). With `maximize` the objective is negated, so gradient and
    curvature both change sign. (SophiaG's batch-size factor ``bs`` belongs to
    its Gauss-Newton-Bartlett estimator and has no counterpart here.)
    """

    _instance_attrs = ("generator", "num_samples", "hessian_distribution", "_fresh")
    _zero_state = ("exp_avg", "hessian")

    def __init__(self, params, lr=6e-4, betas=(0.96, 0.99), rho=0.01, weight_decay=0.0, eps=1e-12, *,
                 update_period=10, num_samples=1, hessian_distribution="gaussian", generator=None, maximize=False):
        check_hyperparameters(lr=lr, betas=betas)
        check_nonneg(rho, "rho")
        check_hyperparameters(weight_decay=weight_decay, eps=eps)
        if not (isinstance(update_period, int) and update_period >= 1):
            raise ValueError(f"Invalid update_period: {update_period}")
        if not (isinstance(num_samples, int) and num_samples >= 1):
            raise ValueError(f"Invalid num_samples: {num_samples}")
        if hessian_distribution not in _DISTRIBUTIONS:
            raise ValueError(f"Invalid hessian_distribution: {hessian_distribution!r} (expected one of "
                             f"{_DISTRIBUTIONS})")
        super().__init__(params, {"lr": lr, "betas": tuple(betas), "rho": rho, "weight_decay": weight_decay,
                                  "eps": eps, "update_period": update_period, "maximize": maximize})
        # one Hessian pass serves every group, so these are the optimizer's, not a group's
        self.num_samples, self.hessian_distribution, self.generator = num_samples, hessian_distribution, generator
        self._fresh: dict = {}

    def _start_step(self):
        """Estimate the Hessian diagonal of every param due for a refresh, before any param moves."""
        due = [p for group in self.param_groups for p in group["params"] if p.grad is not None
               and _get_value(self.state[p]["step"] if self.state.get(p) else 0) % group["update_period"] == 0]
        self._fresh = self._hutchinson(due) if due else {}

    def _probe(self, p):
        if self.hessian_distribution == "gaussian":
            return randn(p.shape, dtype=p.dtype, generator=self.generator)
        return randint(0, 2, p.shape, dtype=p.dtype, generator=self.generator).mul_(2).sub_(1)

    def _hutchinson(self, params) -> dict:
        """{param: mean over probes u of u * (H u)}, H u from one backward through the gradients' graph."""
        with_graph = [i for i, p in enumerate(params) if p.grad.requires_grad]
        if not with_graph:
            raise RuntimeError("SophiaH estimates the Hessian through the gradients' graph: compute the gradients "
                               "with loss.backward(create_graph=True), in the closure passed to step()")
        estimates = {p: zeros_like(p) for p in params}
        n = self.num_samples
        for sample in range(n):
            probes = [self._probe(p) for p in params]
            hvps = autograd_grad([params[i].grad for i in with_graph], params,
                                 grad_outputs=[probes[i] for i in with_graph], retain_graph=sample < n - 1,
                                 allow_unused=True)
            for p, probe, hvp in zip(params, probes, hvps):
                if hvp is not None:
                    estimates[p].addcmul_(probe, hvp, value=1 / n)
        return estimates

    def _update(self, p, grad, state, group):
        beta1, beta2 = group["betas"]
        lr = group["lr"]
        state["step"] += 1
        state["exp_avg"].lerp_(grad.detach(), 1 - beta1)
        fresh = self._fresh.pop(p, None)
        if fresh is not None:
            state["hessian"].lerp_(-fresh if group["maximize"] else fresh, 1 - beta2)
        if group["weight_decay"] != 0:
            p.mul_(1 - lr * group["weight_decay"])
        ratio = state["exp_avg"] / (state["hessian"] * group["rho"]).clamp_(min=group["eps"])
        p.add_(ratio.clamp_(-1, 1), alpha=-lr)
