"""SGD trajectories and state equal torch 2.13's for every option combination."""
import itertools

import pytest

from tests.optim.parity import compare

COMBOS = [dict(momentum=mo, dampening=da, nesterov=ne, weight_decay=wd, maximize=mx)
          for mo, da, ne, wd, mx in itertools.product((0, 0.9), (0, 0.3), (False, True), (0, 0.1), (False, True))
          if not ne or (mo > 0 and da == 0)]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("kw", COMBOS, ids=lambda kw: "-".join(f"{k}={v}" for k, v in kw.items()))
def test_trajectory(kw, dtype):
    compare(lambda m, ps: m.optim.SGD(ps, lr=0.05, **kw), dtype)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_groups_with_different_options(dtype):
    compare(lambda m, ps: m.optim.SGD([{"params": ps[:1]},
                                       {"params": ps[1:3], "lr": 0.02, "momentum": 0.5, "nesterov": True},
                                       {"params": ps[3:], "weight_decay": 0.2, "maximize": True}],
                                      lr=0.1, momentum=0.9, dampening=0), dtype)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_tensor_lr(dtype):
    compare(lambda m, ps: m.optim.SGD(ps, lr=m.tensor([0.05]), momentum=0.9), dtype)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("flags", [dict(foreach=True, momentum=0.9), dict(foreach=False, fused=False, momentum=0.9),
                                   dict(fused=True, momentum=0)])
def test_foreach_and_fused_flags(flags, dtype):
    """numtorch with the flags equals torch's own implementation for the same flags.

    (torch's fused SGD crashes when only some params have momentum buffers, as params
    whose grad was None on the first step do; hence momentum=0 there.)
    """
    compare(lambda m, ps: m.optim.SGD(ps, lr=0.05, weight_decay=0.1, **flags), dtype)
