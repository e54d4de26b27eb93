"""The same custom optimizer as custom_optimizer_subclass.py, written the way numtorch.optim.contrib's are.

Every contrib optimizer (Lion, Lamb, Adan, ...) shares one step loop
(numtorch/optim/contrib/_base.py): it evaluates the closure, skips params
without a grad, creates a param's state on its first grad with
`_init_state`, negates the grad under maximize (into a new tensor), all under
no_grad, and calls `_update` for one param. A new optimizer then holds only
its options and its math. `register_optimizer` makes it available to
`create_optimizer` by name, which also builds the usual param groups (weight
decay on weights, none on biases and norms) and names the params.

Run it to train the same model as custom_optimizer_subclass.py (same printed
trajectory), created by name, and to check it with check_optimizer against a
NumPy transcription of the formula; or from the command line:

    numtorch check examples/custom_optimizer_contrib.py:SGDW
"""
import numtorch as torch
from numtorch.optim.contrib import create_optimizer, register_optimizer
from numtorch.optim.contrib._base import PerParamOptimizer
from numtorch.optim.testing import check_optimizer

from custom_optimizer_subclass import train  # the same folder: the training run


@register_optimizer
class SGDW(PerParamOptimizer):
    """SGD with momentum and decoupled weight decay (Loshchilov & Hutter, arXiv:1711.05101).

    ``buf = momentum*buf + g``, ``p -= lr*(buf + weight_decay*p)``.
    """

    def __init__(self, params, lr=1e-3, momentum=0.9, weight_decay=1e-2, *, maximize=False):
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        super().__init__(params, dict(lr=lr, momentum=momentum, weight_decay=weight_decay, maximize=maximize))

    def _init_state(self, state, p, group):
        state["momentum_buffer"] = torch.zeros_like(p)

    def _update(self, p, grad, state, group):
        buf = state["momentum_buffer"].mul_(group["momentum"]).add_(grad)
        p.sub_(buf.add(p, alpha=group["weight_decay"]) * group["lr"])


def sgdw_numpy(lr, momentum, weight_decay):
    """The formula on NumPy arrays: a reference step function for check_optimizer."""
    def step(params, grads, state):
        new = []
        for i, (p, g) in enumerate(zip(params, grads)):
            if g is not None:
                state[i] = momentum * state.get(i, 0.0) + g
                p = p - lr * (state[i] + weight_decay * p)
            new.append(p)
        return new
    return step


if __name__ == "__main__":
    train(lambda model: create_optimizer(model, "sgdw", lr=0.01, weight_decay=0.01, momentum=0.9))
    options = dict(lr=0.05, momentum=0.9, weight_decay=0.1)
    report = check_optimizer(SGDW, reference=sgdw_numpy(**options), **options)
    print(report)
    assert report.ok, report.failed
