"""SAM: step with the gradient taken at the worst point of a small ball around the weights.

Minimizing the loss at w + e, where e = rho * g / ||g|| climbs to the highest
nearby loss, prefers flat minima, which generalize better. Each step costs two
forward/backward passes: the closure is called at the perturbed weights.
"""
from __future__ import annotations

from ...autograd.grad_mode import enable_grad, no_grad
from .._functional import check_nonneg, global_norm
from ..optimizer import Optimizer

__all__ = ["SAM"]

_NORM_EPS = 1e-12  # keeps e finite when every gradient is zero


class SAM(Optimizer):
    """SAM (Sharpness-Aware Minimization) around any base optimizer; ASAM with `adaptive=True`.

    Foret et al., "Sharpness-Aware Minimization for Efficiently Improving
    Generalization", arXiv:2010.01412 (Algorithm 1), and for `adaptive`
    Kwon et al., "ASAM: Adaptive Sharpness-Aware Minimization for
    Scale-Invariant Learning of Deep Neural Networks", arXiv:2102.11600.
    `first_step()` saves w and moves to ``w + e`` with
    ``e = rho * T**2 * g / ||T * g||`` (T = |w| with `adaptive`, else 1; the
    norm over all params); `second_step()` restores w and steps the base
    optimizer with the gradient found at w + e. `step(closure)` does both, with
    the closure (which must recompute loss and gradients) in between; the
    gradients at w must be computed before it. Under the base's `maximize`, e
    points downhill instead.

    `base_optimizer_cls(param_groups, **kwargs)` is built on SAM's own groups,
    so both share `param_groups` and `state` (schedulers and checkpoints see one
    optimizer).
    """

    def __init__(self, params, base_optimizer_cls, rho=0.05, adaptive=False, **kwargs):
        check_nonneg(rho, "rho")
        super().__init__(params, {"rho": rho, "adaptive": adaptive, **kwargs})
        self.base_optimizer = base_optimizer_cls(self.param_groups, **kwargs)
        self.param_groups, self.state = self.base_optimizer.param_groups, self.base_optimizer.state
        self._saved: dict = {}

    def add_param_group(self, param_group: dict) -> None:
        if "base_optimizer" not in self.__dict__:  # building SAM's own groups, before the base exists
            return super().add_param_group(param_group)
        for key in ("rho", "adaptive"):
            param_group.setdefault(key, self.defaults[key])
        self.base_optimizer.add_param_group(param_group)

    def __getstate__(self) -> dict:
        return {**super().__getstate__(), "base_optimizer": self.base_optimizer, "_saved": self._saved}

    @no_grad()
    def first_step(self, zero_grad: bool = False) -> None:
        """Move every param with a gradient to w + e, remembering w."""
        norm = global_norm([p.grad * p.abs() if group["adaptive"] else p.grad
                            for group in self.param_groups for p in group["params"] if p.grad is not None])
        for group in self.param_groups:
            scale = group["rho"] / (norm + _NORM_EPS) * (-1 if group.get("maximize") else 1)
            for p in group["params"]:
                if p.grad is None:
                    continue
                self._saved[p] = p.detach().clone()
                e = p.grad * p.square() if group["adaptive"] else p.grad
                p.add_(e, alpha=scale)
        if zero_grad:
            self.zero_grad()

    @no_grad()
    def second_step(self, zero_grad: bool = False) -> None:
        """Put the saved weights back, then step the base optimizer with the current (perturbed) gradients."""
        for p, saved in self._saved.items():
            p.copy_(saved)
        self._saved = {}
        self.base_optimizer.step()
        if zero_grad:
            self.zero_grad()

    def step(self, closure=None):
        """first_step, the closure at w + e, second_step; returns the closure's loss there."""
        if closure is None:
            raise RuntimeError("SAM requires a closure that recomputes the loss and its gradients, e.g. "
                               "def closure(): loss = loss_fn(model(x), y); loss.backward(); return loss")
        self.first_step(zero_grad=True)
        with enable_grad():
            loss = closure()
        self.second_step()
        return loss

    def load_state_dict(self, state_dict: dict) -> None:
        super().load_state_dict(state_dict)
        self.base_optimizer.param_groups, self.base_optimizer.state = self.param_groups, self.state
