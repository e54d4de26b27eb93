"""The torch.optim property checks, written once and run by each optimizer's test file.

Each check takes `make_opt(m, params)`, which builds the optimizer under test in
either library (`m` is numtorch or torch), and asserts what torch's own
OptimizerInfo tests assert: a param frozen mid-run keeps its state, a state_dict
round trip continues identically, a torch checkpoint continues torch's run,
copies keep everything, grads are never modified, old checkpoints load.
"""
from __future__ import annotations

import copy
import importlib
import inspect
import pickle
import warnings

import numpy as np
import pytest
import torch

import numtorch
from tests.optim.parity import (assert_identical, assert_same_run, compare, make_params, run, set_grads, to_np,
                                torch_state_dict_to_numtorch)
from tests.optim.test_differentiable import meta_grads
from tests.optim.test_optimizer import outcome

LIBS = (numtorch, torch)


def assert_same_outcome(fn) -> None:
    """fn(m) raises the same exception (type and message) or warns the same in both libraries."""
    assert outcome(fn, numtorch) == outcome(fn, torch)


def step_once(opt) -> None:
    """One step with a grad for every param (for errors that only a step raises)."""
    for group in opt.param_groups:
        for p in group["params"]:
            p.grad = p.detach() + 1
    opt.step()


def frozen_run(m, make_opt, dtype: str, freeze_at: int = 10, steps: int = 20):
    """A run whose first param is frozen (requires_grad off, grad None) after `freeze_at` steps."""
    params, opt = run(m, make_opt, dtype, steps=freeze_at)
    params[0].requires_grad_(False)
    for k in range(freeze_at, steps):
        set_grads(m, params, k)
        params[0].grad = None
        opt.step()
    return params, opt


def check_frozen_param(make_opt, dtype: str) -> None:
    assert_same_run(frozen_run(numtorch, make_opt, dtype), frozen_run(torch, make_opt, dtype), dtype)


def _round_trip(m, make_opt, dtype: str):
    """10 steps, a deep-copied state_dict loaded into a fresh optimizer, 10 more steps on both."""
    ps, opt = run(m, make_opt, dtype, steps=10)
    saved = copy.deepcopy(opt.state_dict())
    fresh_ps = [p.detach().clone().requires_grad_(True) for p in ps]
    fresh = make_opt(m, fresh_ps)
    fresh.load_state_dict(saved)
    return (run(m, None, dtype, steps=10, params=ps, opt=opt, start=10),
            run(m, None, dtype, steps=10, params=fresh_ps, opt=fresh, start=10))


def check_round_trip(make_opt, dtype: str, exact: bool = True) -> None:
    """A state_dict loaded into a fresh optimizer continues like torch's, and (`exact`) bit for bit.

    Not `exact` where loading casts scalar state to the params' dtype (ASGD's
    float32 eta and mu become float64): torch's own round trip changes its
    trajectory there too.
    """
    (ps, opt), (fresh_ps, fresh) = _round_trip(numtorch, make_opt, dtype)
    assert_same_run((fresh_ps, fresh), _round_trip(torch, make_opt, dtype)[1], dtype)
    if exact:
        for a, b in zip(ps, fresh_ps):
            assert_identical(a.detach(), b.detach())
        assert_identical(fresh.state_dict(), opt.state_dict())


def check_load_torch_state_dict(make_opt, dtype: str = "float32") -> None:
    """torch's state_dict, converted tensor by tensor, continues torch's trajectory in numtorch."""
    t_ps, t_opt = run(torch, make_opt, dtype, steps=10)
    n_ps = [numtorch.tensor(to_np(p), requires_grad=True) for p in t_ps]
    n_opt = make_opt(numtorch, n_ps)
    n_opt.load_state_dict(torch_state_dict_to_numtorch(t_opt.state_dict()))
    assert_same_run((n_ps, n_opt), (t_ps, t_opt), dtype)
    nt = run(numtorch, None, steps=10, params=n_ps, opt=n_opt, start=10)
    tt = run(torch, None, steps=10, params=t_ps, opt=t_opt, start=10)
    assert_same_run(nt, tt, dtype)


def check_copy(make_opt, how: str) -> None:
    """A deepcopy (or pickled copy) has its own params and state, the same repr, and continues identically."""
    ps, opt = run(numtorch, make_opt, "float64", steps=5)
    twin = copy.deepcopy(opt) if how == "deepcopy" else pickle.loads(pickle.dumps(opt))
    twin_ps = [p for g in twin.param_groups for p in g["params"]]
    assert all(a is not b for a, b in zip(ps, twin_ps)) and repr(twin) == repr(opt)
    assert_identical(twin.state_dict(), opt.state_dict())
    run(numtorch, None, steps=5, params=ps, opt=opt, start=5)
    run(numtorch, None, steps=5, params=twin_ps, opt=twin, start=5)
    assert_identical(twin.state_dict(), opt.state_dict())
    for a, b in zip(ps, twin_ps):
        np.testing.assert_array_equal(to_np(a), to_np(b))


def check_repr(make_opt) -> None:
    reprs = [repr(make_opt(m, make_params(m, "float64"))) for m in LIBS]
    assert reprs[0] == reprs[1]


def _signature(fn) -> list:
    return [(p.name, p.kind, p.default) for p in inspect.signature(fn).parameters.values()]


def check_signatures(cls) -> None:
    """The class and its functional form take torch's arguments: names, kinds and defaults."""
    module = cls.__module__.rsplit(".", 1)[1]
    assert _signature(cls.__init__) == _signature(getattr(torch.optim, cls.__name__).__init__)
    assert _signature(getattr(importlib.import_module(cls.__module__), module)) == \
        _signature(getattr(importlib.import_module("torch.optim." + module), module))


def check_grads_untouched(make_opt) -> None:
    """The step reads .grad and never writes it (same object, version and values)."""
    ps = make_params(numtorch, "float64")
    opt = make_opt(numtorch, ps)
    for k in range(4):
        set_grads(numtorch, ps, k)
        before = [None if p.grad is None else (p.grad, to_np(p.grad), p.grad._version) for p in ps]
        opt.step()
        for p, b in zip(ps, before):
            if b is not None:
                assert p.grad is b[0] and p.grad._version == b[2]
                np.testing.assert_array_equal(to_np(p.grad), b[1])


def _as_old_checkpoint(sd: dict, dropped_keys, number_keys) -> dict:
    """`sd` as an older torch would have saved it: some group options missing, some state as numbers."""
    sd = copy.deepcopy(sd)
    for group in sd["param_groups"]:
        for key in dropped_keys:
            group.pop(key, None)
    for state in sd["state"].values():
        for key in number_keys:
            state[key] = float(state[key])
    return sd


def check_old_checkpoint(make_opt, dropped_keys, number_keys=("step",)) -> None:
    """An old checkpoint gets torch's `__setstate__` defaults and tensors, and continues like torch."""
    results = []
    for m in LIBS:
        ps, opt = run(m, make_opt, "float64", steps=5)
        fresh = make_opt(m, [p.detach().clone().requires_grad_(True) for p in ps])
        fresh.load_state_dict(_as_old_checkpoint(opt.state_dict(), dropped_keys, number_keys))
        fresh_ps = [p for g in fresh.param_groups for p in g["params"]]
        results.append(run(m, None, "float64", steps=5, params=fresh_ps, opt=fresh, start=5))
    assert_same_run(*results, "float64")


def _meta_outcome(m, cls: str, kw: dict, tensor_lr: bool, steps: int):
    """The meta-gradients of test_differentiable's run, or the refusal as (type name, first clause)."""
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "The .grad attribute of a Tensor that is not a leaf")
            return meta_grads(m, cls, kw, tensor_lr, steps)
    except (RuntimeError, TypeError) as e:
        return type(e).__name__, str(e).split(",")[0]


_INPLACE_REFUSAL = ("RuntimeError", "one of the variables needed for gradient computation has been modified by an "
                                    "inplace operation: [torch.DoubleTensor [2")


def check_meta_gradient(cls: str, kw: dict, tensor_lr: bool = False, steps: int = 3,
                        beyond_torch: bool = False) -> None:
    """differentiable=True: meta-gradients through `steps` steps equal torch's, or both refuse alike.

    torch refuses, e.g., a Tensor lr that requires grad where it is passed on
    as an op's Scalar argument (TypeError). `beyond_torch`: torch refuses
    because a tensor it saved for backward is changed in place by the next
    step, where numtorch's update works on a copy. Wherever numtorch gives a
    meta-gradient, it is also checked against finite differences (gradcheck).
    """
    ours, theirs = (_meta_outcome(m, cls, kw, tensor_lr, steps) for m in LIBS)
    if beyond_torch:
        assert theirs == _INPLACE_REFUSAL and not isinstance(ours, tuple), (ours, theirs)
    elif isinstance(theirs, tuple):
        assert ours == theirs
        return
    else:
        assert not isinstance(ours, tuple), ours
        for a, b in zip(ours, theirs):
            np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)
    check_meta_gradcheck(cls, kw, tensor_lr, steps)


def check_meta_gradcheck(cls: str, kw: dict, tensor_lr: bool = False, steps: int = 3) -> None:
    """numtorch's meta-gradient (initial params, fed gradients, a Tensor lr) against finite differences."""
    rng = np.random.default_rng(7)
    shapes = [(3,), (2, 2)]
    inputs = [numtorch.tensor(rng.standard_normal(s), requires_grad=True) for s in shapes + shapes]
    if tensor_lr:
        inputs.append(numtorch.tensor(0.1, dtype=numtorch.float64, requires_grad=True))

    def loss(*xs):
        params = [x.clone() for x in xs[:2]]
        opt = getattr(numtorch.optim, cls)(params, lr=xs[4] if tensor_lr else 0.1, differentiable=True, **kw)
        for k in range(steps):
            for p, g in zip(params, xs[2:4]):
                p.grad = g * (k + 1.0)
            opt.step()
        return sum((p * p * p).sum() for p in params)

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "The .grad attribute of a Tensor that is not a leaf")
        assert numtorch.autograd.gradcheck(loss, inputs)

DTYPES = pytest.mark.parametrize("dtype", ["float64", "float32"])


class OptimizerProperties:
    """Every property check, as tests: subclass it as `TestProperties` in an optimizer's test file.

    Set `make_opt` (a staticmethod building the optimizer, ideally with several
    param groups), `new_options` (group options newer than the optimizer: an old
    checkpoint lacks them), `number_state` (state an old checkpoint kept as
    Python numbers) and `load_casts_float32_state` (see check_round_trip).
    """

    make_opt = None
    new_options = ("foreach", "maximize", "differentiable", "capturable")
    number_state = ("step",)
    load_casts_float32_state = False  # loading into float64 params casts float32 scalar state (ASGD)

    @DTYPES
    def test_frozen_param_keeps_its_state(self, dtype):
        check_frozen_param(self.make_opt, dtype)

    @DTYPES
    def test_state_dict_round_trip_continues_identically(self, dtype):
        check_round_trip(self.make_opt, dtype, exact=dtype == "float32" or not self.load_casts_float32_state)

    def test_loading_torchs_state_dict_continues_torchs_trajectory(self):
        check_load_torch_state_dict(self.make_opt)

    @pytest.mark.parametrize("how", ["deepcopy", "pickle"])
    def test_copies_keep_everything(self, how):
        check_copy(self.make_opt, how)

    def test_repr_matches_torch(self):
        check_repr(self.make_opt)

    def test_signatures_match_torch(self):
        check_signatures(type(self.make_opt(numtorch, make_params(numtorch, "float64"))))

    def test_grads_are_never_modified(self):
        check_grads_untouched(self.make_opt)

    def test_old_checkpoints_get_torchs_defaults(self):
        check_old_checkpoint(self.make_opt, self.new_options, self.number_state)

    def test_scalar_state_follows_a_float64_default_dtype(self):
        """`step` (and eta, mu, mu_product) are float64 under a float64 default dtype, for float32 params too."""
        for m in LIBS:
            m.set_default_dtype(m.float64)
        try:
            compare(self.make_opt, "float32")
        finally:
            for m in LIBS:
                m.set_default_dtype(m.float32)
