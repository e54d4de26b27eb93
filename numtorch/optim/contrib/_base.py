"""The step loop most contrib algorithms share: each file then holds only its options and its math.

A subclass gives `_init_state(state, p, group)` (called the first time a param
has a grad, so state is created lazily and never for a param whose grad stays
None) and `_update(p, grad, state, group)`, which moves `p` in place. The
gradient it receives is `-p.grad` under `maximize` (a new tensor: `.grad` itself
is never written to).
"""
from __future__ import annotations

from ...autograd.grad_mode import no_grad
from .._functional import closure_loss, grads_and_states
from ..optimizer import Optimizer

__all__ = []  # internal


class PerParamOptimizer(Optimizer):
    """An optimizer whose update of one param needs only that param, its grad, its state and its group.

    `_instance_attrs` names options kept on the instance rather than in the
    param groups (functions, which a checkpoint cannot hold); they travel with
    pickling and deepcopy.
    """

    _instance_attrs: tuple = ()

    def __getstate__(self) -> dict:
        state = super().__getstate__()
        state.update({name: self.__dict__[name] for name in self._instance_attrs if name in self.__dict__})
        return state

    def _init_state(self, state: dict, p, group: dict) -> None:
        raise NotImplementedError

    def _update(self, p, grad, state: dict, group: dict) -> None:
        raise NotImplementedError

    def _start_step(self) -> None:
        """Work done once per step before any param moves (global gradient norms, shared scalars)."""

    @no_grad()
    def step(self, closure=None):
        """One step over every param with a grad; returns the closure's loss (or None)."""
        loss = closure_loss(closure)
        self._start_step()
        for group in self.param_groups:
            params, grads, states = grads_and_states(self, group, self._init_state, type(self).__name__)
            for p, grad, state in zip(params, grads, states):
                self._update(p, -grad if group["maximize"] else grad, state, group)
        return loss
