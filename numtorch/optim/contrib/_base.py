"""The step most contrib algorithms share: each file then holds only its options and its math.

A subclass gives `_update(p, grad, state, group)`, which moves `p` in place,
and its state: `_zero_state` (zeros like the param, after a `step`
counter), or its own `_init_buffers` or `_init_state` (see
GroupLoopOptimizer). State is made the first time a param has a grad, so
never for a param whose grad stays None. The gradient `_update` receives is
`-p.grad` under `maximize` (a new tensor: `.grad` itself is never written to).
"""
from __future__ import annotations

from .._functional import GroupLoopOptimizer

__all__ = []  # internal


class PerParamOptimizer(GroupLoopOptimizer):
    """An optimizer whose update of one param needs only that param, its grad, its state and its group.

    `_instance_attrs` names options kept on the instance rather than in the
    param groups (functions, which a checkpoint cannot hold); they travel with
    pickling and deepcopy.
    """

    _instance_attrs: tuple = ()
    _scalar_state = ()  # no checkpoints from older versions to convert

    def __getstate__(self) -> dict:
        state = super().__getstate__()
        state.update({name: self.__dict__[name] for name in self._instance_attrs if name in self.__dict__})
        return state

    def _update(self, p, grad, state: dict, group: dict) -> None:
        raise NotImplementedError

    def _step_group(self, group):
        for p, grad, state in zip(*self._grads_and_states(group)):
            self._update(p, -grad if group["maximize"] else grad, state, group)
