"""The Optimizer base contract, checked side by side with torch 2.13.

Most tests run the same code on both libraries (`m` is numtorch or torch) and
compare what happened: the exceptions and their messages, the hook firing
order, the state_dict, the printed form.
"""
import copy
import importlib
import pickle
import warnings

import numpy as np
import pytest
import torch

import numtorch
from tests.optim.parity import (TOL, assert_identical, assert_same_run, assert_value_equal, make_params, run,
                                set_grads, to_np, torch_state_dict_to_numtorch)

BOTH = pytest.mark.parametrize("m", [numtorch, torch], ids=["numtorch", "torch"])


def outcome(fn, m):
    """What fn(m) did, comparable across libraries: ('ok', result) or (exception type name, message)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            fn(m)
        except Exception as e:  # noqa: BLE001 - the exception is the result under test
            return type(e).__name__, str(e).replace("numtorch", "torch")
    return "ok", [str(w.message) for w in caught if issubclass(w.category, UserWarning)]


def _leaf(m, *shape):
    return m.zeros(*shape, requires_grad=True)


ERROR_CASES = {
    "bare tensor": lambda m: m.optim.SGD(_leaf(m, 2)),
    "bare float64 tensor": lambda m: m.optim.Adam(m.zeros(2, dtype=m.float64)),
    "empty list": lambda m: m.optim.SGD([]),
    "non-leaf": lambda m: m.optim.SGD([_leaf(m, 2) * 2]),
    "non-tensor": lambda m: m.optim.SGD([1.0]),
    "duplicate in group": lambda m: m.optim.SGD([_leaf(m, 2)] * 2),
    "duplicate across groups": lambda m: (lambda p: m.optim.SGD([{"params": [p]}, {"params": p}]))(_leaf(m, 2)),
    "set in group": lambda m: m.optim.SGD([{"params": {_leaf(m, 2)}}]),
    "set of params": lambda m: m.optim.SGD({_leaf(m, 2)}),
    "some names missing": lambda m: m.optim.SGD([("a", _leaf(m, 2)), _leaf(m, 2)]),
    "named and unnamed groups": lambda m: m.optim.SGD([{"params": [("a", _leaf(m, 2))]},
                                                       {"params": [_leaf(m, 2)]}]),
    "group not a dict": lambda m: m.optim.SGD([_leaf(m, 2)]).add_param_group([_leaf(m, 2)]),
    "sgd negative lr": lambda m: m.optim.SGD([_leaf(m, 2)], lr=-0.1),
    "sgd nan lr accepted": lambda m: m.optim.SGD([_leaf(m, 2)], lr=float("nan")),
    "sgd 2-element lr": lambda m: m.optim.SGD([_leaf(m, 2)], lr=m.tensor([0.1, 0.2])),
    "sgd negative momentum": lambda m: m.optim.SGD([_leaf(m, 2)], momentum=-0.5),
    "sgd negative weight_decay": lambda m: m.optim.SGD([_leaf(m, 2)], weight_decay=-1),
    "sgd nesterov without momentum": lambda m: m.optim.SGD([_leaf(m, 2)], nesterov=True),
    "sgd nesterov with dampening": lambda m: m.optim.SGD([_leaf(m, 2)], momentum=0.9, dampening=0.1,
                                                         nesterov=True),
    "sgd fused differentiable": lambda m: m.optim.SGD([_leaf(m, 2)], fused=True, differentiable=True),
    "sgd fused foreach": lambda m: m.optim.SGD([_leaf(m, 2)], fused=True, foreach=True),
    "adam nan lr": lambda m: m.optim.Adam([_leaf(m, 2)], lr=float("nan")),
    "adam negative eps": lambda m: m.optim.Adam([_leaf(m, 2)], eps=-1e-8),
    "adam beta0 = 1": lambda m: m.optim.Adam([_leaf(m, 2)], betas=(1.0, 0.9)),
    "adam beta1 < 0": lambda m: m.optim.Adam([_leaf(m, 2)], betas=(0.9, -0.1)),
    "adam negative weight_decay": lambda m: m.optim.Adam([_leaf(m, 2)], weight_decay=-0.1),
    "adam int beta": lambda m: m.optim.Adam([_leaf(m, 2)], betas=(0, 0.9)),
    "adam mixed betas": lambda m: m.optim.Adam([_leaf(m, 2)], betas=(0.9, m.tensor(0.99))),
    "adam 2-element beta": lambda m: m.optim.Adam([_leaf(m, 2)], betas=(m.tensor([0.9, 0.8]), m.tensor(0.99))),
    "adam tensor lr foreach": lambda m: m.optim.Adam([_leaf(m, 2)], lr=m.tensor(0.1), foreach=True),
    "adam tensor beta foreach": lambda m: m.optim.Adam([_leaf(m, 2)], betas=(m.tensor(0.9), m.tensor(0.9)),
                                                       foreach=True),
    "adam fused differentiable": lambda m: m.optim.Adam([_leaf(m, 2)], fused=True, differentiable=True),
    "adam fused foreach": lambda m: m.optim.Adam([_leaf(m, 2)], fused=True, foreach=True),
    "adam tensor lr foreach set later": lambda m: _step_with(m.optim.Adam([_leaf(m, 2)], lr=m.tensor(0.1)),
                                                             foreach=True),
}


def _step_with(opt, **group_options):
    for p in opt.param_groups[0]["params"]:
        p.grad = p.detach() + 1
    opt.param_groups[0].update(group_options)
    opt.step()


@pytest.mark.parametrize("name", list(ERROR_CASES))
def test_errors_and_warnings_match_torch(name):
    fn = ERROR_CASES[name]
    assert outcome(fn, numtorch) == outcome(fn, torch)


@BOTH
def test_required_hyperparameter(m):
    required = importlib.import_module(m.__name__ + ".optim.optimizer").required

    class Plain(m.optim.Optimizer):
        def __init__(self, params, lr=required, momentum=0.0):
            super().__init__(params, {"lr": lr, "momentum": momentum, "differentiable": False})

    p, q = _leaf(m, 2), _leaf(m, 2)
    with pytest.raises(ValueError, match="parameter group didn't specify a value of required optimization "
                                         "parameter lr"):
        Plain([p])
    opt = Plain([{"params": [p], "lr": 0.1}, {"params": [q], "lr": 0.2, "momentum": 0.5}])
    assert [(g["lr"], g["momentum"]) for g in opt.param_groups] == [(0.1, 0.0), (0.2, 0.5)]
    assert repr(required) == "<required parameter>"


def test_param_groups_and_names():
    def build(m):
        ps = make_params(m, "float64")
        opt = m.optim.SGD([("w", ps[0]), ("b", ps[1])], lr=0.1)
        opt.add_param_group({"params": [("c", ps[2])], "lr": 0.5, "momentum": 0.9})
        return ps, opt
    (nps, nopt), (tps, topt) = build(numtorch), build(torch)
    assert [list(g) for g in nopt.param_groups] == [list(g) for g in topt.param_groups]
    assert nopt.param_groups[0]["params"][0] is nps[0]
    assert_value_equal(nopt.state_dict(), topt.state_dict(), TOL["float64"])
    assert nopt.defaults == topt.defaults


def test_add_param_group_mutates_and_keeps_the_users_dict():
    p = _leaf(numtorch, 2)
    group = {"params": (q for q in [p]), "lr": 0.3}
    opt = numtorch.optim.SGD([_leaf(numtorch, 1)], lr=0.1)
    opt.add_param_group(group)
    assert opt.param_groups[1] is group and group["params"] == [p] and group["momentum"] == 0


def test_repr_matches_torch():
    def build(m):
        ps = make_params(m, "float64")
        return [m.optim.SGD([{"params": ps[:2]}, {"params": ps[2:], "lr": 0.5, "nesterov": True}], lr=0.1,
                            momentum=0.9),
                m.optim.Adam(ps, lr=0.01, betas=(0.8, 0.99), amsgrad=True)]
    assert [repr(o) for o in build(numtorch)] == [repr(o) for o in build(torch)]


# -- zero_grad, step, closure, grad modes --------------------------------------------------------------------

@BOTH
def test_zero_grad(m):
    p, q = _leaf(m, 3), _leaf(m, 2)
    opt = m.optim.SGD([p, q], lr=0.1)
    p.grad = m.ones(3)
    opt.zero_grad()
    assert p.grad is None and q.grad is None
    grad = m.ones(3)
    p.grad = grad
    opt.zero_grad(set_to_none=False)
    assert p.grad is grad and to_np(p.grad).tolist() == [0.0, 0.0, 0.0] and q.grad is None


@BOTH
def test_zero_grad_detaches_a_grad_with_history(m):
    p = _leaf(m, 3)
    opt = m.optim.SGD([p], lr=0.1)
    (p * p).sum().backward(create_graph=True)
    assert p.grad.requires_grad
    opt.zero_grad(set_to_none=False)
    assert not p.grad.requires_grad and p.grad.grad_fn is None and to_np(p.grad).tolist() == [0.0] * 3


@BOTH
def test_closure_runs_with_grad_and_update_without(m):
    p = m.tensor([1.0, -2.0], requires_grad=True)
    opt = m.optim.SGD([p], lr=0.1)
    seen = []

    def closure():
        seen.append(m.is_grad_enabled())
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    with m.no_grad():
        loss = opt.step(closure)
    assert seen == [True] and float(loss) == 5.0
    assert p.grad_fn is None and p.requires_grad and to_np(p).tolist() == pytest.approx([0.8, -1.6])
    assert m.is_grad_enabled()


def tutorial_style_custom_optimizer(m):
    """The pattern the PyTorch tutorials teach: defaults, a loop over param_groups, lazy state, no_grad step."""
    class MomentumSGD(m.optim.Optimizer):
        def __init__(self, params, lr=0.1, momentum=0.5):
            super().__init__(params, dict(lr=lr, momentum=momentum))

        @m.no_grad()
        def step(self, closure=None):
            loss = None
            if closure is not None:
                with m.enable_grad():
                    loss = closure()
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    state = self.state[p]
                    if "buf" not in state:
                        state["buf"] = p.grad.detach().clone()
                    else:
                        state["buf"].mul_(group["momentum"]).add_(p.grad)
                    p.add_(state["buf"], alpha=-group["lr"])
            return loss

    p = m.tensor([1.0, 2.0], requires_grad=True)
    opt = MomentumSGD([p])
    calls = []
    opt.register_step_post_hook(lambda *a: calls.append("post"))
    for _ in range(3):
        opt.zero_grad()
        (p * p).sum().backward()
        opt.step()
    assert calls == ["post"] * 3
    return to_np(p).tolist(), opt.state_dict()["state"][0]["buf"].tolist()


def test_a_tutorial_style_custom_optimizer_matches_torch():
    (n_p, n_buf), (t_p, t_buf) = tutorial_style_custom_optimizer(numtorch), tutorial_style_custom_optimizer(torch)
    np.testing.assert_allclose(n_p + n_buf, t_p + t_buf, **TOL["float32"])


@pytest.mark.parametrize("cls", ["SGD", "Adam"])
def test_grads_are_never_modified(cls):
    kw = dict(momentum=0.9, weight_decay=0.1, maximize=True) if cls == "SGD" else dict(weight_decay=0.1,
                                                                                       maximize=True)
    ps = make_params(numtorch, "float64")
    opt = getattr(numtorch.optim, cls)(ps, lr=0.1, **kw)
    for k in range(3):
        set_grads(numtorch, ps, k)
        before = [None if p.grad is None else (p.grad, to_np(p.grad), p.grad._version) for p in ps]
        opt.step()
        for p, b in zip(ps, before):
            if b is not None:
                assert p.grad is b[0] and p.grad._version == b[2]
                np.testing.assert_array_equal(to_np(p.grad), b[1])


@pytest.mark.parametrize("cls", ["SGD", "Adam"])
def test_none_grad_creates_no_state(cls):
    p, q = _leaf(numtorch, 2), _leaf(numtorch, 2)
    opt = getattr(numtorch.optim, cls)([p, q], lr=0.1, momentum=0.9) if cls == "SGD" else \
        numtorch.optim.Adam([p, q], lr=0.1)
    p.grad = numtorch.ones(2)
    opt.step()
    assert q not in opt.state and to_np(q).tolist() == [0.0, 0.0] and list(opt.state_dict()["state"]) == [0]


# -- hooks ---------------------------------------------------------------------------------------------------

def hook_log(m):
    """Every kind of hook registered on one run; returns the order they fired in."""
    optmod = importlib.import_module(m.__name__ + ".optim.optimizer")
    log = []
    p = _leaf(m, 2)
    opt = m.optim.SGD([p], lr=0.1)
    handles = [
        optmod.register_optimizer_step_pre_hook(lambda o, a, k: log.append(("global pre", len(a), sorted(k)))),
        optmod.register_optimizer_step_post_hook(lambda o, a, k: log.append(("global post", len(a)))),
        opt.register_step_pre_hook(lambda o, a, k: log.append(("pre 1", o is opt))),
        opt.register_step_post_hook(lambda o, a, k: log.append("post 1")),
        opt.register_step_post_hook(lambda o, a, k: log.append("post 2")),
        opt.register_state_dict_pre_hook(lambda o: log.append("sd pre 1")),
        opt.register_state_dict_pre_hook(lambda o: log.append("sd pre 0"), prepend=True),
        opt.register_state_dict_post_hook(lambda o, sd: log.append("sd post 1")),
        opt.register_state_dict_post_hook(lambda o, sd: log.append("sd post 0"), prepend=True),
        opt.register_load_state_dict_pre_hook(lambda o, sd: log.append("load pre 1")),
        opt.register_load_state_dict_pre_hook(lambda o, sd: log.append("load pre 0"), prepend=True),
        opt.register_load_state_dict_post_hook(lambda o: log.append("load post 1")),
        opt.register_load_state_dict_post_hook(lambda o: log.append("load post 0"), prepend=True),
    ]

    def replace_closure(o, args, kwargs):
        log.append("replacing args")
        return (args[0],), {"closure": lambda: log.append("closure") or 1.5}

    try:
        p.grad = m.ones(2)
        log.append(("step", opt.step()))
        with opt.register_step_pre_hook(replace_closure):
            log.append(("step", opt.step()))
        opt.load_state_dict(opt.state_dict())
        handles[3].remove()
        handles[0].remove()
        opt.step()
        bad = opt.register_step_pre_hook(lambda o, a, k: 42)
        log.append(outcome(lambda _: opt.step(), m)[0])
        bad.remove()
    finally:
        for h in handles:
            h.remove()
    opt.step()
    log.append(to_np(p).tolist())
    return log


def test_hooks_fire_in_torchs_order():
    assert hook_log(numtorch) == hook_log(torch)


@BOTH
def test_state_dict_hooks_may_replace_the_dict(m):
    p = _leaf(m, 2)
    opt = m.optim.SGD([p], lr=0.1)
    opt.register_state_dict_post_hook(lambda o, sd: {**sd, "extra": 1})
    assert opt.state_dict()["extra"] == 1
    sd = opt.state_dict()
    sd["param_groups"][0]["lr"] = 0.7
    opt.register_load_state_dict_pre_hook(lambda o, d: {**d, "param_groups": [{**d["param_groups"][0], "lr": 0.3}]})
    opt.load_state_dict(sd)
    assert opt.param_groups[0]["lr"] == 0.3 and sd["param_groups"][0]["lr"] == 0.7


def test_overriding_step_and_calling_super_fires_hooks_once():
    class Logged(numtorch.optim.SGD):
        def step(self, closure=None):
            return super().step(closure)

    p = _leaf(numtorch, 2)
    opt = Logged([p], lr=0.1)
    calls = []
    opt.register_step_pre_hook(lambda *a: calls.append("pre"))
    p.grad = numtorch.ones(2)
    opt.step()
    assert calls == ["pre"] and to_np(p).tolist() == pytest.approx([-0.1, -0.1])


# -- state_dict / load_state_dict ----------------------------------------------------------------------------

OPTIMIZERS = {
    "sgd": lambda m, ps: m.optim.SGD([{"params": ps[:2]}, {"params": ps[2:], "lr": 0.02, "nesterov": True}],
                                     lr=0.05, momentum=0.9, weight_decay=0.01),
    "adam": lambda m, ps: m.optim.Adam([{"params": ps[:2], "amsgrad": True}, {"params": ps[2:], "lr": 0.02}],
                                       lr=0.05, weight_decay=0.01),
}


@pytest.mark.parametrize("name", list(OPTIMIZERS))
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_state_dict_round_trip_continues_identically(name, dtype):
    make_opt = OPTIMIZERS[name]
    ps, opt = run(numtorch, make_opt, dtype, steps=10)
    saved = copy.deepcopy(opt.state_dict())
    fresh_ps = [p.detach().clone().requires_grad_(True) for p in ps]
    fresh = make_opt(numtorch, fresh_ps)
    fresh.load_state_dict(saved)
    run(numtorch, None, dtype, steps=10, params=ps, opt=opt, start=10)
    run(numtorch, None, dtype, steps=10, params=fresh_ps, opt=fresh, start=10)
    for a, b in zip(ps, fresh_ps):
        assert_identical(a.detach(), b.detach())
    assert_identical(fresh.state_dict(), opt.state_dict())


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_loading_torchs_state_dict_continues_torchs_trajectory(name):
    make_opt = OPTIMIZERS[name]
    t_ps, t_opt = run(torch, make_opt, "float32", steps=10)
    n_ps = [numtorch.tensor(to_np(p), requires_grad=True) for p in t_ps]
    n_opt = make_opt(numtorch, n_ps)
    n_opt.load_state_dict(torch_state_dict_to_numtorch(t_opt.state_dict()))
    assert_same_run((n_ps, n_opt), (t_ps, t_opt), "float32")
    nt = run(numtorch, None, steps=10, params=n_ps, opt=n_opt, start=10)
    tt = run(torch, None, steps=10, params=t_ps, opt=t_opt, start=10)
    assert_same_run(nt, tt, "float32")


def test_state_dict_structure_for_named_params_and_shared_ids():
    def build(m):
        ps = make_params(m, "float64")
        opt = m.optim.Adam([{"params": [("a", ps[0]), ("b", ps[1])]},
                            {"params": [("c", ps[2]), ("d", ps[3])], "lr": 0.1}])
        run(m, None, steps=3, params=ps, opt=opt)
        return opt.state_dict()
    nsd, tsd = build(numtorch), build(torch)
    assert_value_equal(nsd, tsd, TOL["float64"])
    assert [g["params"] for g in nsd["param_groups"]] == [[0, 1], [2, 3]]
    assert [g["param_names"] for g in nsd["param_groups"]] == [["a", "b"], ["c", "d"]]


def test_state_dict_ids_with_a_duplicated_param():
    def ids(m):
        p, q = _leaf(m, 2), _leaf(m, 2)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            opt = m.optim.SGD([{"params": [p, q, p]}, {"params": [_leaf(m, 1)]}], lr=0.1)
        return [g["params"] for g in opt.state_dict()["param_groups"]]
    assert ids(numtorch) == ids(torch)


@BOTH
def test_state_dict_shares_the_live_state(m):
    p = _leaf(m, 2)
    opt = m.optim.SGD([p], lr=0.1, momentum=0.9)
    p.grad = m.ones(2)
    opt.step()
    sd = opt.state_dict()
    assert sd["state"][0] is opt.state[p] and sd["param_groups"][0] is not opt.param_groups[0]


@pytest.mark.parametrize("mutate", ["group count", "group size"])
def test_failed_load_raises_torchs_error_and_changes_nothing(mutate):
    def attempt(m):
        ps, opt = run(m, OPTIMIZERS["adam"], steps=3)
        sd = copy.deepcopy(opt.state_dict())
        for st in sd["state"].values():
            st["exp_avg"] = st["exp_avg"] * 0 + 7
        if mutate == "group count":
            sd["param_groups"].pop()
        else:
            sd["param_groups"][1]["params"].append(9)
        before = copy.deepcopy(opt.state_dict())
        return outcome(lambda _: opt.load_state_dict(sd), m), opt, before
    (n_res, n_opt, n_before), (t_res, _, _) = attempt(numtorch), attempt(torch)
    assert n_res == t_res and n_res[0] == "ValueError"
    assert_identical(n_opt.state_dict(), n_before)


def test_loaded_state_is_a_copy_cast_to_the_params_dtype():
    ps, opt = run(numtorch, OPTIMIZERS["adam"], "float64", steps=3)
    sd = copy.deepcopy(opt.state_dict())
    f32 = [numtorch.tensor(to_np(p).astype(np.float32), requires_grad=True) for p in ps]
    fresh = OPTIMIZERS["adam"](numtorch, f32)
    fresh.load_state_dict(sd)
    for i, p in enumerate(f32):
        if i not in sd["state"]:
            continue
        st = fresh.state[p]
        assert str(st["exp_avg"].dtype) == "torch.float32" and str(st["step"].dtype) == "torch.float32"
        for key, v in st.items():
            assert v is not sd["state"][i][key]
            assert not np.shares_memory(v.numpy(), sd["state"][i][key].numpy())
    # the source is untouched by later steps, and loading it again is unaffected by those steps
    snapshot = copy.deepcopy(sd)
    run(numtorch, None, steps=3, params=f32, opt=fresh, start=3)
    assert_identical(sd, snapshot)


@pytest.mark.parametrize("group_options", [{}, {"fused": True}, {"capturable": True}])
def test_load_casts_like_torch(group_options):
    """Floating state follows the param's dtype; `step` keeps its own unless the group is fused/capturable."""
    def loaded(m):
        p = m.zeros(3, dtype=m.float32, requires_grad=True)
        opt = m.optim.Adam([p], lr=0.1)
        sd = {"state": {0: {"step": m.tensor(4.0, dtype=m.float64), "exp_avg": m.ones(3, dtype=m.float64),
                            "exp_avg_sq": m.ones(3, dtype=m.float64), "note": [3, (m.ones(1, dtype=m.float64),)]}},
              "param_groups": [{**opt.state_dict()["param_groups"][0], **group_options}]}
        opt.load_state_dict(sd)
        return opt.state_dict()
    assert_value_equal(loaded(numtorch), loaded(torch), TOL["float32"])


def test_old_checkpoints_get_new_defaults():
    """A checkpoint from before maximize/foreach/differentiable/fused existed, with a Python-number step."""
    def loaded(m, cls, extra_state):
        p = m.zeros(3, requires_grad=True)
        opt = getattr(m.optim, cls)([p], lr=0.1)
        del opt.defaults["differentiable"]
        group = {"lr": 0.2, "momentum": 0.5, "dampening": 0, "weight_decay": 0, "betas": (0.9, 0.99), "eps": 1e-8,
                 "params": [0]}
        opt.load_state_dict({"state": {0: extra_state(m)}, "param_groups": [group]})
        return opt.state_dict(), opt.defaults
    for cls, state in (("SGD", lambda m: {"momentum_buffer": m.ones(3)}),
                       ("Adam", lambda m: {"step": 3, "exp_avg": m.ones(3), "exp_avg_sq": m.ones(3)})):
        (nsd, nd), (tsd, td) = loaded(numtorch, cls, state), loaded(torch, cls, state)
        assert_value_equal(nsd, tsd, TOL["float32"])
        assert nd == td


def test_unknown_state_keys_are_kept():
    def loaded(m):
        p = _leaf(m, 2)
        opt = m.optim.SGD([p], lr=0.1)
        opt.load_state_dict({"state": {"extra": 5}, "param_groups": opt.state_dict()["param_groups"]})
        return opt.state_dict()["state"]
    assert loaded(numtorch) == loaded(torch) == {"extra": 5}


# -- copying -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", list(OPTIMIZERS))
@pytest.mark.parametrize("how", ["deepcopy", "pickle"])
def test_copies_keep_everything(name, how):
    ps, opt = run(numtorch, OPTIMIZERS[name], "float64", steps=5)
    opt.register_step_post_hook(lambda *a: None)
    twin = copy.deepcopy(opt) if how == "deepcopy" else pickle.loads(pickle.dumps(opt))
    twin_ps = [p for g in twin.param_groups for p in g["params"]]
    assert all(a is not b for a, b in zip(ps, twin_ps))
    assert {id(p) for p in twin.state} == {id(q) for p, q in zip(ps, twin_ps) if p in opt.state}
    assert twin._optimizer_step_post_hooks == {} and repr(twin) == repr(opt)
    assert_identical(twin.state_dict(), opt.state_dict())
    run(numtorch, None, steps=5, params=ps, opt=opt, start=5)
    run(numtorch, None, steps=5, params=twin_ps, opt=twin, start=5)
    assert_identical(twin.state_dict(), opt.state_dict())
    for a, b in zip(ps, twin_ps):
        np.testing.assert_array_equal(to_np(a), to_np(b))
