"""numtorch.optim.lr_scheduler against torch 2.13: lr sequences, checkpoints, warnings and errors.

Every scenario is one function of the library module `m` (numtorch or
torch), run on both; the recorded lrs, get_last_lr() values and momenta must
be identical floats (the chainable schedulers included, whose numbers differ
from the closed forms in the last bits).
"""
from __future__ import annotations

import math
import pickle
import re
import warnings
from copy import deepcopy

import numpy as np
import pytest
import torch

import numtorch
from numtorch.optim import schedules

STEPS = 100


def L(m):
    return m.optim.lr_scheduler


def make_opt(m, kind: str = "sgd", lrs=(0.1, 0.037), tensor_lr: str | None = None):
    """Two param groups with different lrs (as tensors of dtype `tensor_lr` if given); no gradients needed."""
    params = [m.tensor(np.ones(3), requires_grad=True), m.tensor(np.ones(2), requires_grad=True)]
    groups = [{"params": [p], "lr": lr if tensor_lr is None else m.tensor(lr, dtype=getattr(m, tensor_lr))}
              for p, lr in zip(params, lrs)]
    if kind == "sgd":
        return m.optim.SGD(groups, lr=0.01, momentum=0.9)
    return m.optim.Adam(groups, lr=0.01, betas=(0.9, 0.999))


def plain(x):
    """A recorded value: floats as they are; tensors as (dtype, value)."""
    if isinstance(x, (torch.Tensor, numtorch.Tensor)):
        return str(x.dtype), x.item()
    if isinstance(x, tuple):
        return tuple(plain(v) for v in x)
    return x


def snapshot(opt, sched) -> list:
    keys = [k for k in ("lr", "momentum", "betas") if k in opt.param_groups[0]]
    return [plain(g[k]) for g in opt.param_groups for k in keys] + [plain(v) for v in sched.get_last_lr()]


def trace(m, make_sched, steps: int = STEPS, kind: str = "sgd", tensor_lr=None, metrics=None):
    """The lrs (and momenta) after construction and after each optimizer.step(); scheduler.step()."""
    opt = make_opt(m, kind, tensor_lr=tensor_lr)
    sched = make_sched(m, opt)
    out = [snapshot(opt, sched)]
    for i in range(steps):
        opt.step()
        sched.step() if metrics is None else sched.step(metrics[i])
        out.append(snapshot(opt, sched))
    return out


def assert_same_trace(a, b) -> None:
    assert len(a) == len(b)
    for i, (x, y) in enumerate(zip(a, b)):
        assert x == y, f"step {i}: numtorch {x} != torch {y}"


def both(fn, *args, **kwargs):
    """fn run on numtorch and on torch, with warnings silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(numtorch, *args, **kwargs), fn(torch, *args, **kwargs)


# -- every scheduler, several parameterizations, two param groups, 100 steps --------------------

SCHEDULERS = {
    "lambda": lambda m, o: L(m).LambdaLR(o, lambda e: 0.95 ** e),
    "lambda_per_group": lambda m, o: L(m).LambdaLR(o, [lambda e: e // 30, lambda e: 1.0 / (1 + e)]),
    "multiplicative": lambda m, o: L(m).MultiplicativeLR(o, lambda e: 0.97),
    "multiplicative_per_group": lambda m, o: L(m).MultiplicativeLR(o, (lambda e: 0.9, lambda e: 1.0 + 0.01 * e)),
    "step": lambda m, o: L(m).StepLR(o, 7, gamma=0.3),
    "step_default_gamma": lambda m, o: L(m).StepLR(o, step_size=30),
    "multistep": lambda m, o: L(m).MultiStepLR(o, [3, 10, 40], gamma=0.5),
    "multistep_repeated": lambda m, o: L(m).MultiStepLR(o, [40, 10, 10, 3], gamma=0.7),
    "constant": lambda m, o: L(m).ConstantLR(o),
    "constant_long": lambda m, o: L(m).ConstantLR(o, factor=0.3, total_iters=37),
    "linear": lambda m, o: L(m).LinearLR(o),
    "linear_decay": lambda m, o: L(m).LinearLR(o, start_factor=1.0, end_factor=0.05, total_iters=60),
    "linear_warmup": lambda m, o: L(m).LinearLR(o, start_factor=0.1, end_factor=0.9, total_iters=33),
    "exponential": lambda m, o: L(m).ExponentialLR(o, gamma=0.97),
    "exponential_up": lambda m, o: L(m).ExponentialLR(o, gamma=1.01),
    "polynomial": lambda m, o: L(m).PolynomialLR(o),
    "polynomial_power": lambda m, o: L(m).PolynomialLR(o, total_iters=37, power=1.7),
    "polynomial_long": lambda m, o: L(m).PolynomialLR(o, total_iters=150, power=0.5),
    "cosine": lambda m, o: L(m).CosineAnnealingLR(o, T_max=100),
    "cosine_periodic": lambda m, o: L(m).CosineAnnealingLR(o, T_max=13, eta_min=0.001),
    "cosine_short": lambda m, o: L(m).CosineAnnealingLR(o, T_max=1, eta_min=0.01),
    "cyclic_triangular": lambda m, o: L(m).CyclicLR(o, 0.01, 0.2, step_size_up=7),
    "cyclic_triangular2": lambda m, o: L(m).CyclicLR(o, 0.01, 0.2, 7, 5, mode="triangular2"),
    "cyclic_exp_range": lambda m, o: L(m).CyclicLR(o, [0.01, 0.02], [0.2, 0.1], 6, mode="exp_range", gamma=0.99),
    "cyclic_scale_fn": lambda m, o: L(m).CyclicLR(o, 0.01, 0.1, 4, 9, scale_fn=lambda x: 1 / (1 + 0.1 * x),
                                                  scale_mode="iterations"),
    "cyclic_scale_fn_cycle": lambda m, o: L(m).CyclicLR(o, 0.01, 0.1, 5, scale_fn=lambda x: 0.8 ** x,
                                                        base_momentum=[0.7, 0.75], max_momentum=0.95),
    "cyclic_no_momentum": lambda m, o: L(m).CyclicLR(o, 0.001, 0.01, 10, cycle_momentum=False),
    "warm_restarts": lambda m, o: L(m).CosineAnnealingWarmRestarts(o, T_0=10),
    "warm_restarts_mult": lambda m, o: L(m).CosineAnnealingWarmRestarts(o, 5, T_mult=2, eta_min=0.001),
    "warm_restarts_mult3": lambda m, o: L(m).CosineAnnealingWarmRestarts(o, 3, T_mult=3, eta_min=1e-4),
    "one_cycle": lambda m, o: L(m).OneCycleLR(o, 0.5, total_steps=STEPS),
    "one_cycle_epochs": lambda m, o: L(m).OneCycleLR(o, [0.5, 0.3], epochs=10, steps_per_epoch=12, pct_start=0.25),
    "one_cycle_three_phase_linear": lambda m, o: L(m).OneCycleLR(o, [0.5, 0.3], epochs=10, steps_per_epoch=10,
                                                                 three_phase=True, anneal_strategy="linear"),
    "one_cycle_three_phase": lambda m, o: L(m).OneCycleLR(o, 1.0, total_steps=STEPS, three_phase=True,
                                                          div_factor=10.0, final_div_factor=100.0),
    "one_cycle_no_momentum": lambda m, o: L(m).OneCycleLR(o, 0.2, total_steps=STEPS + 3, cycle_momentum=False,
                                                          pct_start=0.5),
    "one_cycle_momentum_lists": lambda m, o: L(m).OneCycleLR(o, 0.2, total_steps=STEPS, base_momentum=[0.8, 0.7],
                                                             max_momentum=(0.9, 0.99)),
    "swalr_cos": lambda m, o: m.optim.swa_utils.SWALR(o, 0.05, anneal_epochs=5),
}


@pytest.mark.parametrize("name", list(SCHEDULERS))
def test_sequence(name):
    assert_same_trace(*both(trace, SCHEDULERS[name]))


@pytest.mark.parametrize("name", ["cyclic_triangular2", "cyclic_exp_range", "cyclic_scale_fn_cycle", "one_cycle",
                                  "one_cycle_three_phase_linear", "one_cycle_momentum_lists"])
def test_betas_cycling_with_adam(name):
    a, b = both(trace, SCHEDULERS[name], kind="adam")
    assert_same_trace(a, b)
    assert isinstance(a[5][1], tuple)  # betas recorded, first entry cycled


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", ["lambda", "multiplicative", "step", "multistep", "constant", "linear_warmup",
                                  "exponential", "polynomial_power", "cosine_periodic", "cyclic_triangular2",
                                  "warm_restarts_mult", "one_cycle", "swalr_cos"])
def test_tensor_lr_is_filled_in_place(name, dtype):
    def run(m):
        opt = make_opt(m, tensor_lr=dtype)
        held = [g["lr"] for g in opt.param_groups]
        out = trace_with(m, opt, SCHEDULERS[name])
        assert all(g["lr"] is t for g, t in zip(opt.param_groups, held))
        return out
    assert_same_trace(*both(run))


def trace_with(m, opt, make_sched, steps=STEPS):
    sched = make_sched(m, opt)
    out = [snapshot(opt, sched)]
    for _ in range(steps):
        opt.step()
        sched.step()
        out.append(snapshot(opt, sched))
    return out


# -- chaining ------------------------------------------------------------------------------

CHAINS = {
    "chained": lambda m, o: L(m).ChainedScheduler([L(m).ConstantLR(o, factor=0.5, total_iters=5),
                                                   L(m).ExponentialLR(o, gamma=0.95)]),
    "chained_three": lambda m, o: L(m).ChainedScheduler([L(m).LinearLR(o, 0.2, total_iters=20),
                                                         L(m).MultiStepLR(o, [30, 60], 0.3),
                                                         L(m).CosineAnnealingLR(o, 25, eta_min=0.0)], o),
    "sequential": lambda m, o: L(m).SequentialLR(o, [L(m).LinearLR(o, 0.1, total_iters=10),
                                                     L(m).CosineAnnealingLR(o, 30)], milestones=[10]),
    "sequential_three": lambda m, o: L(m).SequentialLR(o, [L(m).ConstantLR(o, 0.1, total_iters=2),
                                                           L(m).ExponentialLR(o, gamma=0.9),
                                                           L(m).StepLR(o, 5, 0.5)], milestones=[5, 40]),
    "sequential_of_chained": lambda m, o: L(m).SequentialLR(
        o, [L(m).ChainedScheduler([L(m).LinearLR(o, 0.5, total_iters=4), L(m).ExponentialLR(o, 0.99)]),
            L(m).PolynomialLR(o, total_iters=50, power=2.0)], milestones=[20]),
    "sequential_to_swalr": lambda m, o: L(m).SequentialLR(o, [L(m).CosineAnnealingLR(o, 40),
                                                              m.optim.swa_utils.SWALR(o, 0.02, 10)], [30]),
}


@pytest.mark.parametrize("name", list(CHAINS))
def test_chained_sequence(name):
    assert_same_trace(*both(trace, CHAINS[name]))


def test_two_schedulers_step_one_optimizer():
    def run(m):
        opt = make_opt(m)
        s1 = L(m).StepLR(opt, 10, 0.5)
        s2 = L(m).CosineAnnealingLR(opt, 17, eta_min=0.002)
        out = []
        for _ in range(STEPS):
            opt.step()
            s1.step()
            s2.step()
            out.append(snapshot(opt, s1) + [plain(v) for v in s2.get_last_lr()])
        return out
    assert_same_trace(*both(run))


# -- resuming --------------------------------------------------------------------------------

RESUMABLE = ["lambda", "multiplicative", "step", "multistep", "constant_long", "linear_warmup", "exponential",
             "polynomial_power", "cosine_periodic", "cyclic_triangular2", "cyclic_exp_range", "warm_restarts_mult",
             "one_cycle", "one_cycle_three_phase_linear", "swalr_cos"]


def resumed_via_state_dict(m, make_sched, at: int = 40):
    """Run `at` steps, checkpoint optimizer and scheduler, restore into fresh ones and finish the run."""
    opt = make_opt(m)
    sched = make_sched(m, opt)
    out = [snapshot(opt, sched)]
    for _ in range(at):
        opt.step()
        sched.step()
        out.append(snapshot(opt, sched))
    opt_state, sched_state = pickle.loads(pickle.dumps((opt.state_dict(), sched.state_dict())))
    opt = make_opt(m)
    sched = make_sched(m, opt)
    opt.load_state_dict(opt_state)
    sched.load_state_dict(sched_state)
    out += trace_with(m, opt, lambda m, o: sched, STEPS - at)[1:]
    return out


@pytest.mark.parametrize("name", RESUMABLE + ["sequential", "chained", "sequential_three"])
def test_resume_from_state_dict(name):
    make = {**SCHEDULERS, **CHAINS}[name]
    a, b = both(resumed_via_state_dict, make)
    assert_same_trace(a, b)
    assert_same_trace(a, both(trace, make)[1])  # the same as an uninterrupted run


def resumed_via_last_epoch(m, make_sched, at: int = 40):
    """Run `at` steps, then build a second scheduler with last_epoch=at on the same optimizer."""
    opt = make_opt(m)
    sched = make_sched(m, opt, -1)
    for _ in range(at):
        opt.step()
        sched.step()
    out = trace_with(m, opt, lambda m, o: make_sched(m, o, at), STEPS - at)
    return out


LAST_EPOCH = {
    "step": lambda m, o, e: L(m).StepLR(o, 7, 0.3, last_epoch=e),
    "multistep": lambda m, o, e: L(m).MultiStepLR(o, [3, 50], 0.5, last_epoch=e),
    "exponential": lambda m, o, e: L(m).ExponentialLR(o, 0.97, last_epoch=e),
    "linear": lambda m, o, e: L(m).LinearLR(o, 0.1, 0.9, 60, last_epoch=e),
    "polynomial": lambda m, o, e: L(m).PolynomialLR(o, 70, 1.5, last_epoch=e),
    "cosine": lambda m, o, e: L(m).CosineAnnealingLR(o, 30, 0.001, last_epoch=e),
    "lambda": lambda m, o, e: L(m).LambdaLR(o, lambda k: 0.9 ** k, last_epoch=e),
    "cyclic": lambda m, o, e: L(m).CyclicLR(o, 0.01, 0.2, 7, last_epoch=e),
    "warm_restarts": lambda m, o, e: L(m).CosineAnnealingWarmRestarts(o, 5, 2, last_epoch=e),
    "one_cycle": lambda m, o, e: L(m).OneCycleLR(o, 0.5, total_steps=STEPS + 1, last_epoch=e),
    "swalr": lambda m, o, e: m.optim.swa_utils.SWALR(o, 0.05, 5, last_epoch=e),
}


@pytest.mark.parametrize("name", list(LAST_EPOCH))
def test_resume_from_last_epoch(name):
    assert_same_trace(*both(resumed_via_last_epoch, LAST_EPOCH[name]))


def test_resume_without_initial_lr_is_a_key_error():
    def run(m):
        with pytest.raises(KeyError) as info:
            L(m).StepLR(make_opt(m), 3, last_epoch=5)
        return str(info.value)
    a, b = both(run)
    assert a == b


# -- ReduceLROnPlateau ---------------------------------------------------------------------------

_rng = np.random.default_rng(7)
METRICS = list(np.concatenate([np.linspace(1.0, 0.5, 20), 0.5 + 0.001 * _rng.standard_normal(40),
                               np.linspace(0.5, 0.45, 20), np.full(20, 0.45)]).tolist())

PLATEAU = {
    "default": {},
    "patience": dict(patience=2, factor=0.5),
    "abs": dict(patience=3, threshold=1e-3, threshold_mode="abs"),
    "cooldown_min_lr": dict(patience=1, cooldown=4, factor=0.3, min_lr=[1e-3, 1e-4]),
    "eps": dict(patience=0, factor=0.9, min_lr=0.02, eps=1e-3),
}


@pytest.mark.parametrize("name", list(PLATEAU))
@pytest.mark.parametrize("mode", ["min", "max"])
def test_reduce_on_plateau(name, mode):
    metrics = METRICS if mode == "min" else [-x for x in METRICS]
    make = lambda m, o: L(m).ReduceLROnPlateau(o, mode, **PLATEAU[name])  # noqa: E731
    assert_same_trace(*both(trace, make, metrics=metrics))


def test_reduce_on_plateau_tensor_metric_and_lr_and_state():
    def run(m):
        opt = make_opt(m, tensor_lr="float32")
        sched = L(m).ReduceLROnPlateau(opt, "max", patience=1, threshold_mode="abs")
        out = []
        for x in METRICS[:60]:
            sched.step(m.tensor(-x))
            out.append(snapshot(opt, sched) + [sched.num_bad_epochs, sched.cooldown_counter, sched.best,
                                               sched.in_cooldown])
        state = sched.state_dict()
        return out, {k: v for k, v in state.items()}
    (a, sa), (b, sb) = both(run)
    assert_same_trace(a, b)
    assert list(sa) == list(sb) and all(sa[k] == sb[k] for k in sb if k != "_last_lr")


def test_reduce_on_plateau_new_group():
    def run(m, min_lr):
        opt = make_opt(m)
        sched = L(m).ReduceLROnPlateau(opt, patience=0, min_lr=min_lr)
        opt.add_param_group({"params": [m.tensor(np.ones(1), requires_grad=True)], "lr": 0.5})
        sched.step(1.0)
        try:
            sched.step(2.0)
        except RuntimeError as err:
            return str(err)
        return [g["lr"] for g in opt.param_groups], sched.min_lrs
    a, b = both(run, 0.001)
    assert a == b
    a, b = both(run, [0.001, 0.002])
    assert a == b and "differs from when `ReduceLROnPlateau` was initialized (2)" in a


# -- the deprecated epoch argument and the closed forms ---------------------------------------------

CLOSED_FORM = ["step", "multistep_repeated", "constant_long", "linear_warmup", "exponential", "polynomial_power",
               "cosine_periodic", "lambda", "multiplicative", "cyclic_triangular2", "one_cycle"]


@pytest.mark.parametrize("name", CLOSED_FORM)
def test_step_with_epoch(name):
    epochs = [1, 2, 5, 3, 10, 30, 31, 7, 60, 99, 0, 45]

    def run(m):
        opt = make_opt(m)
        sched = SCHEDULERS[name](m, opt)
        out = []
        for e in epochs:
            opt.step()
            with pytest.warns(UserWarning, match="The epoch parameter in `scheduler.step\\(\\)` was not necessary"):
                sched.step(e)
            out.append(snapshot(opt, sched) + [sched.last_epoch])
        return out
    assert_same_trace(*both(run))


def test_warm_restarts_fractional_epochs():
    def run(m, t_mult):
        opt = make_opt(m)
        sched = L(m).CosineAnnealingWarmRestarts(opt, 4, T_mult=t_mult, eta_min=0.001)
        out = []
        for e in np.arange(0, 60, 0.37).tolist() + [3.999, 4.0, 12.0, 28.0, 0.5]:
            opt.step()
            with warnings.catch_warnings():
                warnings.simplefilter("error")  # no deprecation warning for this scheduler
                sched.step(e)
            out.append(snapshot(opt, sched) + [sched.last_epoch, sched.T_cur, sched.T_i])
        for _ in range(10):
            sched.step()
            out.append(snapshot(opt, sched) + [sched.last_epoch, sched.T_cur, sched.T_i])
        return out
    for t_mult in (1, 2, 3):
        assert_same_trace(*both(run, t_mult))


def test_warm_restarts_negative_epoch():
    for m in (numtorch, torch):
        sched = L(m).CosineAnnealingWarmRestarts(make_opt(m), 4)
        with pytest.raises(ValueError, match="Expected non-negative epoch, but got -1"):
            sched.step(-1)


@pytest.mark.parametrize("name", CLOSED_FORM[:7])
def test_closed_form_matches_torch_at_every_step(name):
    """`_get_closed_form_lr` (built on numtorch.optim.schedules) equals torch's, step by step."""
    def run(m):
        opt = make_opt(m)
        sched = SCHEDULERS[name](m, opt)
        out = []
        for t in range(STEPS):
            sched.last_epoch = t
            out.append(sched._get_closed_form_lr())
        return out
    assert_same_trace(*both(run))


def test_schedules_closed_forms_approximate_the_chainable_classes():
    """The pure functions give the schedule a class steps through (to the last bits)."""
    def lrs(m, make):
        return [row[0] for row in trace(m, make)]
    cases = {
        "step": lambda t: schedules.step_decay(0.1, t, 7, 0.3),
        "constant_long": lambda t: schedules.constant_warmup(0.1, t, 0.3, 37),
        "linear_warmup": lambda t: schedules.linear_warmup(0.1, t, 0.1, 0.9, 33),
        "exponential": lambda t: schedules.exponential_decay(0.1, t, 0.97),
        "polynomial_power": lambda t: schedules.polynomial_decay(0.1, t, 37, 1.7),
        "cosine_periodic": lambda t: schedules.cosine_annealing(0.1, t, 13, 0.001),
        "swalr_cos": lambda t: schedules.swa_annealing(0.1, 0.05, t, 5),
    }
    for name, closed in cases.items():
        got = lrs(numtorch, SCHEDULERS[name])
        np.testing.assert_allclose(got, [closed(t) for t in range(STEPS + 1)], rtol=1e-12, atol=1e-15,
                                   err_msg=name)
    phases = schedules.one_cycle_phases(100, 0.3, False)
    assert schedules.one_cycle_position(0, phases)[1] == 0.0
    assert schedules.one_cycle_position(29, phases) == (phases[0], 1.0)
    assert schedules.one_cycle_position(99, phases) == (phases[1], 1.0)


# -- state_dict format -------------------------------------------------------------------------------

class Halving:
    """A callable object: its __dict__ is checkpointed (plain functions are not)."""

    def __init__(self):
        self.factor = 0.5

    def __call__(self, epoch):
        return self.factor ** (epoch // 10)


@pytest.mark.parametrize("name", list(SCHEDULERS) + list(CHAINS))
def test_state_dict_matches_torch(name):
    make = {**SCHEDULERS, **CHAINS}[name]

    def run(m):
        opt = make_opt(m)
        sched = make(m, opt)
        for _ in range(3):
            opt.step()
            sched.step()
        return sched.state_dict()
    a, b = both(run)
    assert_state_equal(a, b)


def assert_state_equal(a, b, path="state"):
    assert type(a).__name__ == type(b).__name__, path
    if isinstance(b, dict):
        assert list(a) == list(b), f"{path}: {list(a)} != {list(b)}"
        for k in b:
            if k not in ("_scale_fn_ref",):
                assert_state_equal(a[k], b[k], f"{path}[{k!r}]")
    elif isinstance(b, (list, tuple)):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            assert_state_equal(x, y, f"{path}[{i}]")
    elif isinstance(b, torch.Tensor):
        assert plain(a) == plain(b), path
    elif not callable(b):
        assert a == b, f"{path}: {a!r} != {b!r}"


def test_lambda_functions_left_out_of_state_dict_callable_objects_kept():
    def run(m):
        opt = make_opt(m)
        fn = Halving()
        sched = L(m).LambdaLR(opt, [lambda e: 1.0, fn])
        state = sched.state_dict()
        fn.factor = 0.1
        sched.load_state_dict(state)
        assert state["lr_lambdas"][0] is None and "lr_lambdas" in state
        return state["lr_lambdas"], fn.factor, list(state)
    a, b = both(run)
    assert a == b and a[1] == 0.5


def test_cyclic_custom_scale_fn_state():
    def run(m):
        fn = Halving()
        sched = L(m).CyclicLR(make_opt(m), 0.01, 0.1, 4, scale_fn=fn)
        state = sched.state_dict()
        saved = state["_scale_fn_custom"], "_scale_fn_ref" in state
        fn.factor = 0.9
        sched.load_state_dict(state)  # torch pops _scale_fn_custom from `state` here; numtorch leaves it
        return saved, fn.factor
    a, b = both(run)
    assert a == b == (({"factor": 0.5}, False), 0.5)


@pytest.mark.parametrize("name", ["lambda", "cyclic_scale_fn", "sequential", "chained"])
def test_load_state_dict_does_not_mutate_its_argument(name):
    opt = make_opt(numtorch)
    sched = {**SCHEDULERS, **CHAINS}[name](numtorch, opt)
    state = sched.state_dict()
    keys = list(state)
    sched.load_state_dict(state)
    sched.load_state_dict(state)
    assert list(state) == keys


# -- the step-order warning and other warnings --------------------------------------------------------

def test_warning_when_scheduler_steps_before_optimizer():
    for m in (numtorch, torch):
        opt = make_opt(m)
        sched = L(m).StepLR(opt, 3)
        with pytest.warns(UserWarning, match=re.escape("Detected call of `lr_scheduler.step()` before "
                                                       "`optimizer.step()`")):
            sched.step()
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            sched.step()  # only the first step is checked


def test_no_warning_in_the_right_order_and_with_two_schedulers():
    for m in (numtorch, torch):
        opt = make_opt(m)
        s1 = L(m).StepLR(opt, 3)
        s2 = L(m).ExponentialLR(opt, 0.9)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            opt.step()
            s1.step()
            s2.step()
        assert hasattr(opt.step, "_wrapped_by_lr_sched")


def test_warning_when_optimizer_step_replaced_after_scheduler():
    for m in (numtorch, torch):
        opt = make_opt(m)
        sched = L(m).StepLR(opt, 3)
        opt.step = lambda closure=None: None
        with pytest.warns(UserWarning, match="Seems like `optimizer.step\\(\\)` has been overridden"):
            sched.step()


def test_wrapped_step_keeps_the_optimizer_working():
    def run(m):
        p = m.tensor(np.array([1.0, -2.0]), requires_grad=True)
        opt = m.optim.SGD([p], lr=0.1, momentum=0.5)
        sched = L(m).StepLR(opt, 2, 0.5)
        calls = []
        opt.register_step_post_hook(lambda *a: calls.append(1))
        for _ in range(5):
            p.grad = m.tensor(np.array([0.3, 0.4]))
            opt.step()
            sched.step()
        return p.detach().numpy().tolist(), len(calls), opt.step.__name__
    a, b = both(run)
    assert a == b


def test_get_lr_outside_step_warns():
    for m in (numtorch, torch):
        sched = L(m).StepLR(make_opt(m), 3)
        with pytest.warns(UserWarning, match="please use `get_last_lr\\(\\)`"):
            sched.get_lr()


def test_verbose_is_gone_as_in_torch():
    for m in (numtorch, torch):
        with pytest.raises(TypeError, match="verbose"):
            L(m).StepLR(make_opt(m), 3, verbose=True)


def test_one_cycle_stepped_too_often():
    for m in (numtorch, torch):
        opt = make_opt(m)
        sched = L(m).OneCycleLR(opt, 0.1, total_steps=5)
        for _ in range(5):
            opt.step()
            sched.step()
        with pytest.raises(ValueError, match="Tried to step 6 times. The specified number of total steps is 5"):
            sched.step()


def test_state_dict_pickles_and_restores_the_scale_function():
    opt = make_opt(numtorch)
    sched = L(numtorch).CyclicLR(opt, 0.01, 0.1, 4, mode="exp_range", gamma=0.9)
    restored = pickle.loads(pickle.dumps(sched.state_dict()))
    sched2 = L(numtorch).CyclicLR(make_opt(numtorch), 0.01, 0.1, 4)
    sched2.load_state_dict(restored)
    assert sched2.scale_fn(3) == 0.9 ** 3 and sched2.scale_mode == "iterations"


@pytest.mark.parametrize("name", ["step", "cyclic_exp_range", "one_cycle", "swalr_cos"])
def test_whole_scheduler_pickles_and_deepcopies(name):
    def run(m):
        opt = make_opt(m)
        sched = SCHEDULERS[name](m, opt)
        opt.step()
        sched.step()
        out = []
        for copy in (pickle.loads(pickle.dumps(sched)), deepcopy(sched)):
            copy.step()  # the copy's optimizer lost the step wrapper: torch warns, then goes on
            out.append(snapshot(copy.optimizer, copy))
        return out
    assert_same_trace(*both(run))


def test_lr_scheduler_alias_and_all():
    assert L(numtorch)._LRScheduler.__name__ == "_LRScheduler"
    assert issubclass(L(numtorch)._LRScheduler, L(numtorch).LRScheduler)
    assert sorted(L(numtorch).__all__) == sorted(L(torch).__all__)
    assert isinstance(L(numtorch).StepLR(make_opt(numtorch), 3), L(numtorch).LRScheduler)
    assert math.isinf(L(numtorch).ReduceLROnPlateau(make_opt(numtorch)).best)


def test_base_scheduler_get_lr_not_implemented():
    for m in (numtorch, torch):
        with pytest.raises(NotImplementedError):
            L(m).LRScheduler(make_opt(m))


# -- errors: torch's exception types and messages -------------------------------------------------------

ERRORS = {
    "not_an_optimizer": lambda m: L(m).StepLR(object(), 3),
    "plateau_not_an_optimizer": lambda m: L(m).ReduceLROnPlateau(object()),
    "lambda_count": lambda m: L(m).LambdaLR(make_opt(m), [lambda e: 1.0]),
    "multiplicative_not_callable": lambda m: L(m).MultiplicativeLR(make_opt(m), [lambda e: 1.0, 3]),
    "constant_factor": lambda m: L(m).ConstantLR(make_opt(m), factor=1.5),
    "linear_start": lambda m: L(m).LinearLR(make_opt(m), start_factor=0),
    "linear_end": lambda m: L(m).LinearLR(make_opt(m), end_factor=-0.1),
    "plateau_factor": lambda m: L(m).ReduceLROnPlateau(make_opt(m), factor=1.0),
    "plateau_mode": lambda m: L(m).ReduceLROnPlateau(make_opt(m), mode="up"),
    "plateau_threshold_mode": lambda m: L(m).ReduceLROnPlateau(make_opt(m), threshold_mode="pct"),
    "plateau_min_lrs": lambda m: L(m).ReduceLROnPlateau(make_opt(m), min_lr=[0.1]),
    "cyclic_mode": lambda m: L(m).CyclicLR(make_opt(m), 0.01, 0.1, mode="square"),
    "cyclic_base_lr_count": lambda m: L(m).CyclicLR(make_opt(m), [0.01], 0.1),
    "cyclic_no_momentum": lambda m: L(m).CyclicLR(m.optim.Optimizer([m.zeros(1, requires_grad=True)],
                                                                    {"lr": 0.1}), 0.01, 0.1),
    "warm_t0": lambda m: L(m).CosineAnnealingWarmRestarts(make_opt(m), 0),
    "warm_t0_float": lambda m: L(m).CosineAnnealingWarmRestarts(make_opt(m), 2.0),
    "warm_tmult": lambda m: L(m).CosineAnnealingWarmRestarts(make_opt(m), 2, T_mult=0),
    "warm_eta_min": lambda m: L(m).CosineAnnealingWarmRestarts(make_opt(m), 2, eta_min="0"),
    "one_cycle_total": lambda m: L(m).OneCycleLR(make_opt(m), 0.1, total_steps=0),
    "one_cycle_epochs": lambda m: L(m).OneCycleLR(make_opt(m), 0.1, epochs=0, steps_per_epoch=3),
    "one_cycle_steps_per_epoch": lambda m: L(m).OneCycleLR(make_opt(m), 0.1, epochs=2, steps_per_epoch=1.5),
    "one_cycle_nothing": lambda m: L(m).OneCycleLR(make_opt(m), 0.1),
    "one_cycle_pct": lambda m: L(m).OneCycleLR(make_opt(m), 0.1, total_steps=10, pct_start=1),
    "one_cycle_anneal": lambda m: L(m).OneCycleLR(make_opt(m), 0.1, total_steps=10, anneal_strategy="exp"),
    "one_cycle_max_momentum": lambda m: L(m).OneCycleLR(make_opt(m), 0.1, total_steps=10, max_momentum=[0.9]),
    "sequential_empty": lambda m: L(m).SequentialLR(make_opt(m), [], []),
    "sequential_milestones": lambda m: _sequential(m, [1, 2]),
    "sequential_plateau": lambda m: _with_plateau(m, L(m).SequentialLR),
    "sequential_no_optimizer": lambda m: L(m).SequentialLR(make_opt(m), [object()], []),
    "chained_empty": lambda m: L(m).ChainedScheduler([]),
    "chained_plateau": lambda m: _with_plateau(m, lambda o, s, _: L(m).ChainedScheduler(s, o)),
    "swalr_strategy": lambda m: m.optim.swa_utils.SWALR(make_opt(m), 0.1, anneal_strategy="exp"),
    "swalr_epochs": lambda m: m.optim.swa_utils.SWALR(make_opt(m), 0.1, anneal_epochs=-1),
    "swalr_lrs": lambda m: m.optim.swa_utils.SWALR(make_opt(m), [0.1, 0.2, 0.3]),
}


def _sequential(m, milestones):
    opt = make_opt(m)
    return L(m).SequentialLR(opt, [L(m).StepLR(opt, 2), L(m).ExponentialLR(opt, 0.9)], milestones)


def _with_plateau(m, cls):
    opt = make_opt(m)
    return cls(opt, [L(m).StepLR(opt, 2), L(m).ReduceLROnPlateau(opt)], [3])


@pytest.mark.parametrize("name", list(ERRORS))
def test_errors_like_torch(name):
    def run(m):
        try:
            ERRORS[name](m)
        except Exception as err:  # noqa: BLE001 - the point is to compare them
            return type(err), str(err)
        return None
    a, b = both(run)
    assert b is not None and a == b


def test_sequential_with_another_optimizer_is_a_value_error():
    for m in (numtorch, torch):
        opt, other = make_opt(m), make_opt(m)
        with pytest.raises(ValueError, match="expects all schedulers to belong to the same optimizer"):
            L(m).SequentialLR(opt, [L(m).StepLR(other, 2)], [])
