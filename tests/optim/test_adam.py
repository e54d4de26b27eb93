"""Adam trajectories and state equal torch 2.13's for every option combination."""
import itertools

import pytest

from tests.optim.parity import compare

COMBOS = [dict(amsgrad=am, weight_decay=wd, decoupled_weight_decay=dw, maximize=mx)
          for am, wd, dw, mx in itertools.product((False, True), (0, 0.1), (False, True), (False, True))
          if wd or not dw]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("kw", COMBOS, ids=lambda kw: "-".join(f"{k}={v}" for k, v in kw.items()))
def test_trajectory(kw, dtype):
    compare(lambda m, ps: m.optim.Adam(ps, lr=0.05, betas=(0.8, 0.95), eps=1e-6, **kw), dtype)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_defaults(dtype):
    compare(lambda m, ps: m.optim.Adam(ps), dtype)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_groups_with_different_options(dtype):
    compare(lambda m, ps: m.optim.Adam([{"params": ps[:1]},
                                        {"params": ps[1:3], "lr": 0.02, "amsgrad": True, "betas": (0.5, 0.9)},
                                        {"params": ps[3:], "weight_decay": 0.2, "maximize": True}],
                                       lr=0.1, weight_decay=0.01, decoupled_weight_decay=True), dtype)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_tensor_hyperparameters(dtype):
    compare(lambda m, ps: m.optim.Adam(ps, lr=m.tensor([0.05]), amsgrad=True), dtype)
    # float64 betas: beta ** step on a float32 tensor is pow's float32 rounding, not the optimizer's
    compare(lambda m, ps: m.optim.Adam(ps, lr=m.tensor(0.05, dtype=m.float64),
                                       betas=(m.tensor([0.8], dtype=m.float64), m.tensor(0.9, dtype=m.float64))),
            dtype)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("flags", [dict(foreach=True), dict(fused=True), dict(foreach=False, fused=False)])
def test_foreach_and_fused_flags(flags, dtype):
    """numtorch with the flags equals torch's own implementation for the same flags."""
    compare(lambda m, ps: m.optim.Adam(ps, lr=0.05, amsgrad=True, weight_decay=0.1, **flags), dtype)


def test_capturable_changes_nothing_on_cpu():
    """torch refuses capturable=True for CPU params; numtorch accepts it and takes the usual path."""
    compare(lambda m, ps: m.optim.Adam(ps, lr=0.05, capturable=True, amsgrad=True),
            torch_make_opt=lambda m, ps: _as_capturable(m.optim.Adam(ps, lr=0.05, amsgrad=True)))


def _as_capturable(opt):
    """torch's for-loop run, reported with capturable=True so that the state_dicts compare equal."""
    step = opt.step

    def step_then_mark(*args, **kwargs):
        for group in opt.param_groups:
            group["capturable"] = False
        out = step(*args, **kwargs)
        for group in opt.param_groups:
            group["capturable"] = True
        return out
    opt.step = step_then_mark
    return opt
