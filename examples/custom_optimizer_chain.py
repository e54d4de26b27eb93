"""The same custom optimizer as custom_optimizer_subclass.py, as a chain of gradient transformations.

SGDW is three small steps, each a building block of numtorch.optim.transforms:
momentum (`trace`), decoupled weight decay (`add_decayed_weights`, after the
momentum so that it stays out of the buffer) and -lr (`scale_by_learning_rate`).
`optim.from_transform` turns the chain into a torch Optimizer: param groups
with 'lr', 'momentum' and 'weight_decay' (so per-group options and lr schedulers
work), state in `optimizer.state[p]` under torch's key 'momentum_buffer',
state_dict, hooks, maximize.

Run it to train the same model as custom_optimizer_subclass.py (same printed
trajectory) and to check the chain with check_optimizer against the subclass
as the reference; or from the command line:

    numtorch check examples/custom_optimizer_chain.py:SGDW
"""
from numtorch import optim
from numtorch.optim import transforms as T
from numtorch.optim.testing import check_optimizer

import custom_optimizer_subclass  # the same folder: the training run, and the subclass as the reference
from custom_optimizer_subclass import decay_groups, train


def sgdw(lr=1e-3, momentum=0.9, weight_decay=1e-2):
    """SGDW's update as a transformation: g -> -lr * (buf + weight_decay * p)."""
    return T.chain(T.trace(momentum), T.add_decayed_weights(weight_decay), T.scale_by_learning_rate(lr))


def SGDW(params, lr=1e-3, momentum=0.9, weight_decay=1e-2, *, maximize=False):
    """SGDW as an Optimizer, called like the class in custom_optimizer_subclass.py."""
    return optim.from_transform(params, sgdw(lr, momentum, weight_decay), maximize=maximize)


if __name__ == "__main__":
    train(lambda model: SGDW(decay_groups(model, 0.01), lr=0.01, momentum=0.9))
    report = check_optimizer(SGDW, reference=custom_optimizer_subclass.SGDW, lr=0.05, momentum=0.9,
                             weight_decay=0.1, rtol=0, atol=0)
    print(report)
    assert report.ok, report.failed
