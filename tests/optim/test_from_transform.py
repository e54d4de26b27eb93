"""optim.from_transform: chains as torch Optimizers; chain-built Adam/AdamW/SGD/RMSprop follow torch's trajectories."""
import copy
import io

import numpy as np
import pytest
import torch

import numtorch
from numtorch.optim import transforms as T
from numtorch.optim.transforms import schedules as S
from tests.optim.parity import (TOL, assert_value_equal, make_params, run, set_grads, to_np,
                                torch_state_dict_to_numtorch)

TOL64 = dict(rtol=1e-12, atol=1e-14)  # the chain's rounding differs from torch's fused expressions by a few ulps
CHAIN_TOL = {"float64": TOL64, "float32": TOL["float32"]}


def assert_params_close(a, b, dtype="float64"):
    for i, (x, y) in enumerate(zip(a, b)):
        np.testing.assert_allclose(to_np(x), to_np(y), err_msg=f"param {i}", **CHAIN_TOL[dtype])


def assert_params_equal(a, b):
    for x, y in zip(a, b):
        np.testing.assert_array_equal(to_np(x), to_np(y))


def chain_vs_torch(make_chain, make_torch, dtype, steps=25, **hyper):
    """The chain in numtorch vs the torch optimizer in torch (and numtorch's own), over steps with None/zero grads."""
    nt = run(numtorch, lambda m, ps: m.optim.from_transform(ps, make_chain(), **hyper), dtype, steps)
    tt = run(torch, make_torch, dtype, steps)
    assert_params_close(nt[0], tt[0], dtype)
    ours = run(numtorch, make_torch, dtype, steps)
    assert_params_close(nt[0], ours[0], dtype)
    return nt, tt


ADAM = [dict(), dict(amsgrad=True, weight_decay=0.1), dict(betas=(0.8, 0.95), eps=1e-6, weight_decay=0.2)]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("kw", ADAM, ids=str)
def test_adam(kw, dtype):
    nt, tt = chain_vs_torch(lambda: T.adam(lr=0.05, **kw), lambda m, ps: m.optim.Adam(ps, lr=0.05, **kw), dtype)
    # a single stateful member keeps Adam's own state keys: the per-param state *is* torch's
    assert_value_equal(nt[1].state_dict()["state"], tt[1].state_dict()["state"], CHAIN_TOL[dtype])


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("kw", [dict(), dict(amsgrad=True, weight_decay=0.3, betas=(0.5, 0.9))], ids=str)
def test_adamw(kw, dtype):
    chain_vs_torch(lambda: T.adamw(lr=0.05, **kw), lambda m, ps: m.optim.AdamW(ps, lr=0.05, **kw), dtype)


SGD = [dict(), dict(momentum=0.9), dict(momentum=0.9, dampening=0.3, weight_decay=0.1),
       dict(momentum=0.8, nesterov=True, weight_decay=0.05)]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("kw", SGD, ids=str)
def test_sgd(kw, dtype):
    nt, tt = chain_vs_torch(lambda: T.sgd(lr=0.05, **kw), lambda m, ps: m.optim.SGD(ps, lr=0.05, **kw), dtype)
    assert_value_equal(nt[1].state_dict()["state"], tt[1].state_dict()["state"], CHAIN_TOL[dtype])


RMS = [dict(), dict(centered=True), dict(momentum=0.5, weight_decay=0.1), dict(centered=True, momentum=0.9)]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("kw", RMS, ids=str)
def test_rmsprop(kw, dtype):
    chain_vs_torch(lambda: T.rmsprop(lr=0.01, alpha=0.9, **kw), lambda m, ps: m.optim.RMSprop(ps, lr=0.01, alpha=0.9,
                                                                                             **kw), dtype)


def test_maximize_and_groups_with_their_own_options():
    chain_vs_torch(lambda: T.adam(lr=0.05), lambda m, ps: m.optim.Adam(ps, lr=0.05, maximize=True), "float64",
                   maximize=True)

    def groups(m, ps):
        return [{"params": ps[:2]}, {"params": ps[2:], "lr": 0.01, "betas": (0.5, 0.7), "weight_decay": 0.0,
                                     "maximize": True}]
    nt = run(numtorch, lambda m, ps: m.optim.from_transform(groups(m, ps), T.adamw(lr=0.1, weight_decay=0.2)))
    tt = run(torch, lambda m, ps: m.optim.AdamW(groups(m, ps), lr=0.1, weight_decay=0.2))
    assert_params_close(nt[0], tt[0])


# -- lr schedulers drive it exactly as they drive torch's optimizers ---------------------------------------

SCHEDULERS = [
    lambda m, opt: m.optim.lr_scheduler.StepLR(opt, step_size=4, gamma=0.5),
    lambda m, opt: m.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=7, eta_min=0.001),
    lambda m, opt: m.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=25),  # cycles betas too
]


def run_scheduled(m, make_opt, make_sched, steps=25):
    params = make_params(m, "float64")
    opt = make_opt(m, params)
    sched = make_sched(m, opt)
    lrs = []
    for k in range(steps):
        lrs.append([(g["lr"], g["betas"][0]) for g in opt.param_groups])
        set_grads(m, params, k)
        opt.step()
        sched.step()
    return params, lrs


@pytest.mark.parametrize("make_sched", SCHEDULERS, ids=["StepLR", "CosineAnnealingLR", "OneCycleLR"])
def test_lr_schedulers(make_sched):
    def groups(ps):
        return [{"params": ps[:2]}, {"params": ps[2:], "lr": 0.02}]
    nt = run_scheduled(numtorch, lambda m, ps: m.optim.from_transform(groups(ps), T.adam(lr=0.05)), make_sched)
    tt = run_scheduled(torch, lambda m, ps: m.optim.Adam(groups(ps), lr=0.05), make_sched)
    assert nt[1] == tt[1]
    assert_params_close(nt[0], tt[0])


def test_schedule_in_the_chain_equals_lambdalr():
    lr0, sched = 0.1, S.warmup_cosine(0.0, 0.1, 5, 20, end_value=0.01)

    def lrs_and_params(make_opt, lambda_lr):
        params = make_params(numtorch, "float64")
        opt = make_opt(params)
        scheduler = numtorch.optim.lr_scheduler.LambdaLR(opt, lambda s: sched(s) / lr0) if lambda_lr else None
        lrs = []
        for k in range(20):
            lrs.append(opt.param_groups[0]["lr"])
            set_grads(numtorch, params, k)
            opt.step()
            if scheduler:
                scheduler.step()
        return lrs, params
    chained = lrs_and_params(lambda ps: numtorch.optim.from_transform(
        ps, T.chain(T.scale_by_adam(), T.scale_by_learning_rate(sched))), False)
    lambdas = lrs_and_params(lambda ps: numtorch.optim.from_transform(
        ps, T.chain(T.scale_by_adam(), T.scale_by_learning_rate(lr0))), True)
    np.testing.assert_allclose(chained[0], [sched(k) for k in range(20)], rtol=0, atol=0)
    np.testing.assert_allclose(chained[0], lambdas[0], rtol=1e-15, atol=1e-18)
    assert_params_close(chained[1], lambdas[1])


def test_a_schedule_owned_lr_refuses_a_scheduler():
    params = make_params(numtorch, "float64")
    opt = numtorch.optim.from_transform(params, T.chain(T.scale_by_learning_rate(S.cosine(0.1, 10))))
    sched = numtorch.optim.lr_scheduler.StepLR(opt, 1, gamma=0.5)
    set_grads(numtorch, params, 0)
    opt.step()
    sched.step()
    with pytest.raises(RuntimeError, match="learning rate is a schedule"):
        opt.step()


# -- the Optimizer contract -----------------------------------------------------------------------------------------

def test_lazy_state_none_grads_and_in_place_updates():
    params = make_params(numtorch, "float64")
    opt = numtorch.optim.from_transform(params, T.rmsprop(lr=0.01, momentum=0.9))
    assert len(opt.state) == 0
    ids, versions = [id(p) for p in params], [p._version for p in params]
    grads = [numtorch.tensor(np.ones(p.shape)) for p in params[:2]]
    for p, g in zip(params, grads + [None, None]):
        p.grad = g
    grad_copies = [g.clone() for g in grads]
    opt.step()
    assert set(opt.state) == set(params[:2])  # params without a grad get no state
    assert sorted(opt.state[params[0]]) == ["scale_by_rms.square_avg", "scale_by_rms.step",
                                            "trace.momentum_buffer"]
    assert [id(p) for p in params] == ids and all(p._version > v for p, v in zip(params[:2], versions))
    assert params[2]._version == versions[2]
    for g, c in zip(grads, grad_copies):
        np.testing.assert_array_equal(g.numpy(), c.numpy())  # .grad is never modified


def test_changing_group_lr_changes_the_update():
    def step_with(lr_change):
        p = numtorch.tensor([1.0, 2.0], dtype=numtorch.float64, requires_grad=True)
        opt = numtorch.optim.from_transform([p], T.sgd(lr=0.1, momentum=0.9))
        for k in range(3):
            p.grad = numtorch.tensor([1.0, -1.0], dtype=numtorch.float64)
            if k == 2:
                opt.param_groups[0]["lr"] *= lr_change
            opt.step()
        return p.detach().numpy()
    assert not np.allclose(step_with(1.0), step_with(0.5))


def test_hooks_closure_add_param_group_and_deepcopy():
    params = make_params(numtorch, "float64")
    opt = numtorch.optim.from_transform(params[:2], T.adam(lr=0.05))
    calls = []
    opt.register_step_pre_hook(lambda o, a, k: calls.append("pre"))
    opt.register_step_post_hook(lambda o, a, k: calls.append("post"))
    set_grads(numtorch, params, 0)
    assert opt.step(lambda: 42.0) == 42.0
    assert calls == ["pre", "post"]
    opt.add_param_group({"params": params[2:], "lr": 0.01})
    twin = copy.deepcopy(opt)
    twin_params = [p for g in twin.param_groups for p in g["params"]]
    assert all(a is not b for a, b in zip(twin_params, params))
    for k in range(1, 6):
        set_grads(numtorch, params, k)
        set_grads(numtorch, twin_params, k)
        opt.step()
        twin.step()
    assert_params_equal(params, twin_params)
    ref = run(torch, lambda m, ps: m.optim.Adam(ps[:2], lr=0.05), steps=1)
    ref[1].add_param_group({"params": ref[0][2:], "lr": 0.01})
    run(torch, None, params=ref[0], opt=ref[1], steps=5, start=1)
    assert_params_close(params, ref[0])


def complex_chain():
    """A chain with global state (counts, injected hyperparameters) and state in several places."""
    return T.chain(T.clip_by_global_norm(2.0), T.apply_if_finite(T.scale_by_adam(amsgrad=True), 3), T.trace(0.5),
                   T.add_decayed_weights(0.01, mask=lambda p: p.dim() >= 2),
                   T.inject_hyperparams(T.scale_by_learning_rate)(learning_rate=S.cosine(0.1, 30)))


def test_state_dict_round_trip_through_save_and_load():
    params = make_params(numtorch, "float64")
    opt = numtorch.optim.from_transform(params, complex_chain())
    run(numtorch, None, params=params, opt=opt, steps=10)
    state_dict = opt.state_dict()
    assert state_dict["transform_state"]["scale_by_learning_rate"]["count"] == 10
    assert "apply_if_finite.inner_state.exp_avg" in state_dict["state"][0]
    buf = io.BytesIO()
    numtorch.save(state_dict, buf)
    buf.seek(0)
    clones = [p.detach().clone().requires_grad_() for p in params]
    fresh = numtorch.optim.from_transform(clones, complex_chain())
    fresh.load_state_dict(numtorch.load(buf))
    run(numtorch, None, params=params, opt=opt, steps=10, start=10)
    run(numtorch, None, params=clones, opt=fresh, steps=10, start=10)
    assert_params_equal(params, clones)
    state_dict["transform_state"]["scale_by_learning_rate"]["count"] = -1
    assert fresh.state_dict()["transform_state"]["scale_by_learning_rate"]["count"] == 20  # no aliasing


def test_load_state_dict_refuses_another_chains_state():
    params = make_params(numtorch, "float64")
    opt = numtorch.optim.from_transform(params, complex_chain())
    run(numtorch, None, params=params, opt=opt, steps=2)
    other = numtorch.optim.from_transform(params, T.adam())
    run(numtorch, None, params=params, opt=other, steps=2)
    before = opt.state_dict()["transform_state"]
    with pytest.raises(ValueError, match="does not have the structure"):
        opt.load_state_dict(other.state_dict())
    assert opt.state_dict()["transform_state"] == before
    fresh = numtorch.optim.from_transform(params, complex_chain())
    with pytest.raises(ValueError, match="does not have the structure"):
        fresh.load_state_dict(other.state_dict())
    assert len(fresh.state) == 0


def test_a_torch_adam_checkpoint_continues_in_the_chain():
    tt = run(torch, lambda m, ps: m.optim.Adam(ps, lr=0.05, amsgrad=True), steps=10)
    params = [numtorch.tensor(to_np(p), requires_grad=True) for p in tt[0]]
    opt = numtorch.optim.from_transform(params, T.adam(lr=0.05, amsgrad=True))
    opt.load_state_dict(torch_state_dict_to_numtorch(tt[1].state_dict()))
    run(numtorch, None, params=params, opt=opt, steps=10, start=10)
    run(torch, None, params=tt[0], opt=tt[1], steps=10, start=10)
    assert_params_close(params, tt[0])


def test_named_params_mask_and_partition_by_name():
    def named(m):
        ps = make_params(m, "float64")
        return ps, [("w", ps[0]), ("bias", ps[1]), ("s", ps[2]), ("e", ps[3])]
    ps, pairs = named(numtorch)
    opt = numtorch.optim.from_transform(pairs, T.adamw(lr=0.05, weight_decay=0.3, mask=lambda n, p: n != "bias"))
    run(numtorch, None, params=ps, opt=opt)
    tps, _ = named(torch)
    ref = torch.optim.AdamW([{"params": [tps[0]] + tps[2:]}, {"params": [tps[1]], "weight_decay": 0.0}], lr=0.05,
                            weight_decay=0.3)
    run(torch, None, params=tps, opt=ref)
    assert_params_close(ps, tps)

    ps, pairs = named(numtorch)
    tx = T.partition({"adam": T.adam(lr=0.05), "sgd": T.sgd(lr=0.1, momentum=0.9)},
                     lambda name, p: "sgd" if name in ("bias", "e") else "adam")
    opt = numtorch.optim.from_transform(pairs, tx)
    assert "lr" not in opt.param_groups[0]  # two different lrs: each member keeps its own
    run(numtorch, None, params=ps, opt=opt)
    tps, _ = named(torch)
    adam, sgd = torch.optim.Adam([tps[0], tps[2]], lr=0.05), torch.optim.SGD([tps[1], tps[3]], lr=0.1, momentum=0.9)
    for k in range(20):
        set_grads(torch, tps, k)
        adam.step()
        sgd.step()
    assert_params_close(ps, tps)


def test_accumulate_in_an_optimizer():
    """Four micro-steps, then one Adam step on their mean: params move only on every 4th step."""
    params = make_params(numtorch, "float64")[:2]
    opt = numtorch.optim.from_transform(params, T.accumulate(T.adam(lr=0.05), 4))
    ref_params = make_params(torch, "float64")[:2]
    ref = torch.optim.Adam(ref_params, lr=0.05)
    rng = np.random.default_rng(3)
    for cycle in range(3):
        grads = [[rng.standard_normal(p.shape) for p in params] for _ in range(4)]
        for i, gs in enumerate(grads):
            before = [to_np(p) for p in params]
            for p, g in zip(params, gs):
                p.grad = numtorch.tensor(g)
            opt.step()
            moved = [not np.array_equal(b, to_np(p)) for b, p in zip(before, params)]
            assert moved == [i == 3] * 2
        for p, j in zip(ref_params, range(2)):
            p.grad = torch.tensor(sum(g[j] for g in grads) / 4)
        ref.step()
        assert_params_close(params, ref_params)


def test_apply_if_finite_in_an_optimizer_skips_the_step():
    p = numtorch.tensor([1.0, 2.0], requires_grad=True)
    opt = numtorch.optim.from_transform([p], T.apply_if_finite(T.adam(lr=0.1)))
    p.grad = numtorch.tensor([1.0, float("nan")])
    opt.step()
    assert p.tolist() == [1.0, 2.0] and len(opt.state) == 0
    assert opt.state_dict()["transform_state"]["total_notfinite"] == 1


def test_hyperparameter_errors():
    p = [numtorch.zeros(2, requires_grad=True)]
    with pytest.raises(TypeError, match="momentum, which no transformation of 'chain' reads"):
        numtorch.optim.from_transform(p, T.adam(), momentum=0.9)
    with pytest.raises(ValueError, match="Invalid learning rate"):
        numtorch.optim.from_transform(p, T.adam(), lr=-1.0)
    opt = numtorch.optim.from_transform(p, T.chain(T.scale_by_learning_rate(0.1), T.scale_by_learning_rate(0.2)))
    assert "lr" not in opt.defaults  # conflicting defaults: each keeps its own...
    opt = numtorch.optim.from_transform(p, T.chain(T.scale_by_learning_rate(0.1), T.scale_by_learning_rate(0.2)),
                                        lr=0.5)
    assert opt.defaults["lr"] == 0.5  # ...unless one is given for all
    assert repr(opt).startswith("TransformOptimizer[chain] (")


def test_schedules_shared_or_not_between_partition_members():
    sched = S.linear(0.1, 0.0, 10)
    for lrs, expect_lr in [((sched, sched), True), ((sched, S.linear(0.1, 0.05, 10)), False)]:
        params = make_params(numtorch, "float64")
        tx = T.partition({"a": T.sgd(lr=lrs[0]), "b": T.adam(lr=lrs[1])}, [i % 2 and "a" or "b" for i in range(4)])
        opt = numtorch.optim.from_transform(params, tx)
        run(numtorch, None, params=params, opt=opt, steps=4)
        # one schedule for both: the groups show its next value; two schedules: the groups have no lr
        assert opt.param_groups[0].get("lr") == (sched(4) if expect_lr else None)


NAMES = ("w", "bias", "s", "e")


def named_chain():
    """State in three places: a masked momentum, an accumulator's own 'per_param', and Adam inside it."""
    return T.chain(T.masked(T.trace(0.5), lambda name, p: name != "bias"),
                   T.accumulate(T.adam(lr=0.05), 2))


@pytest.mark.parametrize("make_chain", [lambda: T.adamw(lr=0.05), named_chain], ids=["adamw", "nested"])
def test_named_params_state_dict_round_trip(make_chain):
    """Regression: with named params, a stepped chain's state_dict was refused by a fresh optimizer of the same chain.

    A fresh chain's init holds a tree keyed by the names under 'per_param'
    where a saved state holds None; the structure check must not tell them apart.
    """
    params = make_params(numtorch, "float64")
    opt = numtorch.optim.from_transform(list(zip(NAMES, params)), make_chain())
    opt.load_state_dict(opt.state_dict())  # before any step
    run(numtorch, None, params=params, opt=opt, steps=7)
    opt.load_state_dict(opt.state_dict())  # its own, after steps
    buf = io.BytesIO()
    numtorch.save(opt.state_dict(), buf)
    buf.seek(0)
    clones = [p.detach().clone().requires_grad_() for p in params]
    fresh = numtorch.optim.from_transform(list(zip(NAMES, clones)), make_chain())
    fresh.load_state_dict(numtorch.load(buf))
    assert fresh.state_dict()["param_groups"][0]["param_names"] == list(NAMES)
    run(numtorch, None, params=params, opt=opt, steps=7, start=7)
    run(numtorch, None, params=clones, opt=fresh, steps=7, start=7)
    assert_params_equal(params, clones)


def test_named_params_still_refuse_another_chains_state():
    params = make_params(numtorch, "float64")
    other = numtorch.optim.from_transform(list(zip(NAMES, params)), T.adam())
    run(numtorch, None, params=params, opt=other, steps=2)
    fresh = numtorch.optim.from_transform(list(zip(NAMES, params)), named_chain())
    with pytest.raises(ValueError, match="does not have the structure"):
        fresh.load_state_dict(other.state_dict())
    assert len(fresh.state) == 0
