"""Lookahead: let any optimizer take k fast steps, then pull the weights back toward a slow average.

The slow weights move by alpha toward where the fast ones ended up, which
damps the fast optimizer's oscillations at almost no cost.
"""
from __future__ import annotations

from collections import defaultdict

from ...autograd.grad_mode import no_grad
from ..optimizer import _HOOK_DICTS, Optimizer

__all__ = ["Lookahead"]

_KEYS = ("lookahead_k", "lookahead_alpha")


class Lookahead(Optimizer):
    """Lookahead, wrapping any optimizer.

    Zhang et al., "Lookahead Optimizer: k steps forward, 1 step back",
    arXiv:1907.08610 (Algorithm 1): slow weights phi start at the params;
    after every k steps of the wrapped optimizer, ``phi += alpha*(w - phi)``
    and ``w = phi``. As for any torch optimizer, a param whose grad is None is
    left alone, by the synchronization too (a frozen layer stays frozen).

    The param groups are the wrapped optimizer's own (so schedulers and
    `add_param_group` reach it), each with its `lookahead_k`,
    `lookahead_alpha` and `lookahead_step` count. `state` holds only the slow
    weights, made the first step a param has a gradient (before it moves).
    `state_dict()` is torch's format for those, plus the wrapped optimizer's
    under 'base_optimizer'.
    """

    def __init__(self, optimizer: Optimizer, k: int = 5, alpha: float = 0.5):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"Lookahead wraps an Optimizer, but got {type(optimizer).__name__}")
        if not (isinstance(k, int) and k >= 1):
            raise ValueError(f"Invalid k: {k}")
        if not 0.0 <= alpha <= 1.0:
            raise ValueError(f"Invalid alpha: {alpha}")
        for name in _HOOK_DICTS:
            setattr(self, name, {})
        self.optimizer = optimizer
        self.defaults = {**optimizer.defaults, "lookahead_k": k, "lookahead_alpha": alpha}
        self.state = defaultdict(dict)
        for group in self.param_groups:
            self._fill(group)

    @property
    def param_groups(self) -> list:
        return self.optimizer.param_groups

    def __getstate__(self) -> dict:
        return {"defaults": self.defaults, "state": self.state, "optimizer": self.optimizer}

    def __repr__(self) -> str:
        return f"Lookahead({self.optimizer!r})"

    def _fill(self, group: dict) -> None:
        for key in _KEYS:
            group.setdefault(key, self.defaults[key])
        group.setdefault("lookahead_step", 0)

    def add_param_group(self, param_group: dict) -> None:
        self.optimizer.add_param_group(param_group)
        self._fill(self.param_groups[-1])

    def zero_grad(self, set_to_none: bool = True) -> None:
        self.optimizer.zero_grad(set_to_none)

    @no_grad()
    def step(self, closure=None):
        """One step of the wrapped optimizer; every k-th, the sync of the slow and fast weights."""
        new = [p for group in self.param_groups for p in group["params"] if p not in self.state]
        start = {p: p.detach().clone() for p in new if closure is not None or p.grad is not None}
        loss = self.optimizer.step(closure)
        for p, slow in start.items():
            if p.grad is not None:  # with a closure, only now is it known which params got a gradient
                self.state[p]["slow_param"] = slow
        for group in self.param_groups:
            self._fill(group)
            group["lookahead_step"] += 1
            if group["lookahead_step"] % group["lookahead_k"] == 0:
                for p in group["params"]:
                    if p.grad is not None and p in self.state:
                        slow = self.state[p]["slow_param"]
                        slow.lerp_(p, group["lookahead_alpha"])
                        p.copy_(slow)
        return loss

    def state_dict(self) -> dict:
        state_dict = super().state_dict()
        state_dict["base_optimizer"] = self.optimizer.state_dict()
        return state_dict

    def load_state_dict(self, state_dict: dict) -> None:
        """Load the wrapped optimizer's part (its groups carry the lookahead options), then the slow weights."""
        self.optimizer.load_state_dict(state_dict["base_optimizer"])
        super().load_state_dict({key: value for key, value in state_dict.items() if key != "base_optimizer"})

    def __setstate__(self, state: dict) -> None:
        state = {key: value for key, value in state.items() if key != "param_groups"}  # loaded with the wrapped one
        super().__setstate__(state)
