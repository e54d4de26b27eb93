"""Lookahead against the paper's Algorithm 1 in NumPy (around plain SGD) and against pytorch_optimizer's Lookahead."""
import copy

import pytest
import torch

import numtorch
from tests.optim.contrib.helpers import (check_round_trip, compare_with_numpy, compare_with_pytorch_optimizer,
                                         make_params, pickled, trajectory)


def lookahead_sgd_ref(params, grads, st, lr=0.1, k=5, alpha=0.5):
    """Algorithm 1 of arXiv:1907.08610 around SGD: slow weights from a param's value before its first step.

    A param without a gradient at a synchronization step is left alone (numtorch's rule for None grads).
    """
    for i, (p, g) in enumerate(zip(params, grads)):
        if g is not None:
            st.setdefault(("slow", i), p.copy())
            params[i] = p - lr * g
    st["t"] = st.get("t", 0) + 1
    if st["t"] % k == 0:
        for i in range(len(params)):
            if ("slow", i) in st and grads[i] is not None:
                slow = st[("slow", i)] = st[("slow", i)] + alpha * (params[i] - st[("slow", i)])
                params[i] = slow.copy()
    return params


def make_sgd_lookahead(m, ps, k=3, alpha=0.6):
    return m.optim.contrib.Lookahead(m.optim.SGD(ps, lr=0.1), k=k, alpha=alpha)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("k, alpha", [(3, 0.6), (1, 0.5), (5, 1.0)])
def test_matches_paper(k, alpha, dtype):
    compare_with_numpy(lambda m, ps: make_sgd_lookahead(m, ps, k, alpha), lookahead_sgd_ref, dtype, whole=True,
                       lr=0.1, k=k, alpha=alpha)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("base", ["SGD", "Adam"])
def test_matches_pytorch_optimizer(base, dtype):
    options = dict(lr=0.05, momentum=0.9) if base == "SGD" else dict(lr=0.05)

    def ref(m, ps):
        from pytorch_optimizer import Lookahead
        return Lookahead(getattr(torch.optim, base)(ps, **options), k=3, alpha=0.6)
    compare_with_pytorch_optimizer(
        lambda m, ps: m.optim.contrib.Lookahead(getattr(m.optim, base)(ps, **options), k=3, alpha=0.6), ref, dtype)


def test_wraps_contrib_optimizers_and_takes_a_closure():
    def run(with_closure):
        params = make_params(numtorch, "float64")
        opt = numtorch.optim.contrib.Lookahead(numtorch.optim.contrib.Lion(params, lr=0.01), k=2)
        for _ in range(6):
            def closure():
                for p in params[:2]:  # params 2 and 3 never get a gradient
                    p.grad = numtorch.sin(p.detach()) + 0.5
                return 0.0
            if with_closure:
                opt.step(closure)
            else:
                closure()
                opt.step()
        return params, opt
    (a, opt), (b, _) = run(True), run(False)
    for x, y in zip(a, b):
        assert numtorch.equal(x, y)
    assert [len(opt.state[p]) for p in a] == [1, 1, 0, 0]  # slow weights only where there were gradients


def test_state_dict_holds_both():
    params = make_params(numtorch, "float64")
    opt = make_sgd_lookahead(numtorch, params)
    trajectory(numtorch, None, steps=4, params=params, opt=opt)
    sd = opt.state_dict()
    assert set(sd) == {"state", "param_groups", "base_optimizer"}
    assert set(sd["state"][0]) == {"slow_param"}
    assert sd["param_groups"][0]["lookahead_step"] == 4 == sd["base_optimizer"]["param_groups"][0]["lookahead_step"]


@pytest.mark.parametrize("via", [copy.deepcopy, pickled])
@pytest.mark.parametrize("base", ["SGD", "Adam"])
def test_state_dict_round_trip(base, via):
    check_round_trip(lambda m, ps: m.optim.contrib.Lookahead(getattr(m.optim, base)(ps, lr=0.05), k=3), via=via)


def test_groups_are_the_wrapped_optimizers():
    params = make_params(numtorch, "float64")
    base = numtorch.optim.SGD(params[:2], lr=0.1)
    opt = numtorch.optim.contrib.Lookahead(base, k=2)
    opt.add_param_group({"params": params[2:], "lr": 0.5})
    assert opt.param_groups is base.param_groups and len(base.param_groups) == 2
    assert base.param_groups[1]["lookahead_k"] == 2
    scheduler = numtorch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    for p in params:
        p.grad = numtorch.ones_like(p)
    opt.step()
    scheduler.step()
    assert base.param_groups[0]["lr"] == 0.05
    clone = copy.deepcopy(opt)
    assert clone.param_groups is clone.optimizer.param_groups


@pytest.mark.parametrize("kw", [dict(k=0), dict(alpha=1.5), dict(alpha=-0.1)], ids=str)
def test_invalid_arguments(kw):
    with pytest.raises(ValueError, match="Invalid"):
        numtorch.optim.contrib.Lookahead(numtorch.optim.SGD(make_params(numtorch, "float64")), **kw)


def test_wraps_only_optimizers():
    with pytest.raises(TypeError, match="wraps an Optimizer"):
        numtorch.optim.contrib.Lookahead(make_params(numtorch, "float64"))
