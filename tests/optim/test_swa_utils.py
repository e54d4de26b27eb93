"""numtorch.optim.swa_utils against torch 2.13: averaged weights, SWALR's lrs, update_bn."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import numtorch

from .test_lr_scheduler import assert_same_trace, both, make_opt, snapshot, trace

UPDATES = 6


def S(m):
    return m.optim.swa_utils


def make_model(m, dtype: str = "float64"):
    """Linear -> Tanh -> Linear, plus a float and an integer buffer, with NumPy-drawn values."""
    class Net(m.nn.Module):
        def __init__(self):
            super().__init__()
            self.body = m.nn.Sequential(m.nn.Linear(3, 4), m.nn.Tanh(), m.nn.Linear(4, 2))
            self.register_buffer("stat", m.zeros(2))
            self.register_buffer("count", m.zeros((), dtype=m.long))

        def forward(self, x):
            return self.body(x) + self.stat

    net = Net().to(getattr(m, dtype))
    perturb(m, net, 0)
    return net


def perturb(m, net, k: int) -> None:
    """Set every parameter and buffer to values drawn for update k (the same in both libraries)."""
    rng = np.random.default_rng(100 + k)
    with m.no_grad():
        for t in list(net.parameters()) + list(net.buffers()):
            values = rng.standard_normal(tuple(t.shape)) * (3 if t.is_floating_point() else 0) + k
            t.copy_(m.tensor(values.round() if not t.is_floating_point() else values).to(t.dtype))


def values(module) -> dict:
    return {k: v.detach().numpy().copy() for k, v in module.state_dict().items()}


def averaged(m, dtype: str, make_fns, use_buffers: bool = False):
    """The AveragedModel's state after UPDATES updates from a model perturbed between them."""
    model = make_model(m, dtype)
    avg = S(m).AveragedModel(model, use_buffers=use_buffers, **make_fns(m))
    for k in range(UPDATES):
        perturb(m, model, k)
        avg.update_parameters(model)
    return values(avg)


AVG_FNS = {
    "swa_default": lambda m: {},
    "swa_avg_fn": lambda m: {"avg_fn": S(m).get_swa_avg_fn()},
    "swa_multi": lambda m: {"multi_avg_fn": S(m).get_swa_multi_avg_fn()},
    "ema_avg_fn": lambda m: {"avg_fn": S(m).get_ema_avg_fn(0.9)},
    "ema_multi": lambda m: {"multi_avg_fn": S(m).get_ema_multi_avg_fn(0.7)},
    "ema_multi_default_decay": lambda m: {"multi_avg_fn": S(m).get_ema_multi_avg_fn()},
    "custom_avg_fn": lambda m: {"avg_fn": lambda a, c, n: 0.25 * a + 0.75 * c + n * 0.0},
}


# The multi_avg_fns lerp. torch's CPU lerp is a fused multiply-add (one rounding); numtorch's lerp
# rounds twice, so those paths agree to a few ulps until numtorch's lerp fuses too.
LERPING = {"swa_multi", "ema_multi", "ema_multi_default_decay"}


def assert_same_values(a: dict, b: dict, maxulp: int = 0) -> None:
    assert list(a) == list(b)
    for k in b:
        assert a[k].dtype == b[k].dtype and a[k].shape == b[k].shape, k
        if maxulp and a[k].dtype.kind == "f":
            np.testing.assert_array_max_ulp(a[k], b[k], maxulp=maxulp)
        else:
            np.testing.assert_array_equal(a[k], b[k], err_msg=k)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", list(AVG_FNS))
def test_averaged_parameters_match_torch(name, dtype):
    a, b = both(averaged, dtype, AVG_FNS[name])
    assert_same_values(a, b, maxulp=4 if name in LERPING else 0)
    assert a["n_averaged"] == UPDATES


@pytest.mark.parametrize("name", list(AVG_FNS))
def test_averaged_buffers_match_torch(name):
    def run(m):
        try:
            return averaged(m, "float64", AVG_FNS[name], use_buffers=True)
        except Exception as err:  # noqa: BLE001 - torch refuses integer SWA lerps; so must numtorch
            return type(err), str(err)
    a, b = both(run)
    if isinstance(b, tuple):
        assert a == b
    else:
        assert_same_values(a, b, maxulp=4 if name in LERPING else 0)


def test_swa_is_the_mean():
    model = make_model(numtorch)
    avg = S(numtorch).AveragedModel(model)
    snapshots = []
    for k in range(UPDATES):
        perturb(numtorch, model, k)
        snapshots.append(values(model))
        avg.update_parameters(model)
    got = values(avg)
    for key in snapshots[0]:
        if key in ("stat", "count"):  # without use_buffers the buffers follow the model
            np.testing.assert_array_equal(got["module." + key], snapshots[-1][key])
        else:
            np.testing.assert_allclose(got["module." + key], np.mean([s[key] for s in snapshots], axis=0),
                                       rtol=1e-12)


def test_averaged_model_is_a_copy_and_forwards():
    def run(m):
        model = make_model(m)
        avg = S(m).AveragedModel(model)
        x = m.tensor(np.linspace(-1, 1, 6).reshape(2, 3))
        same = np.array_equal(avg(x).detach().numpy(), model(x).detach().numpy())
        perturb(m, model, 3)
        changed = not np.array_equal(avg(x).detach().numpy(), model(x).detach().numpy())
        shared = any(p is q for p, q in zip(avg.parameters(), model.parameters()))
        return same, changed, shared, list(avg.state_dict()), int(avg.n_averaged), str(avg.n_averaged.dtype)
    a, b = both(run)
    assert a == b and a[:3] == (True, True, False)


def test_averaged_model_errors():
    for m in (numtorch, torch):
        with pytest.raises(AssertionError, match="Only one of avg_fn and multi_avg_fn should be provided"):
            S(m).AveragedModel(make_model(m), avg_fn=S(m).get_swa_avg_fn(), multi_avg_fn=S(m).get_swa_multi_avg_fn())
        for fn in (S(m).get_ema_avg_fn, S(m).get_ema_multi_avg_fn):
            with pytest.raises(ValueError, match=r"Invalid decay value 1.5 provided. Please provide a value in "
                                                 r"\[0,1\] range."):
                fn(1.5)


def test_averaging_functions_do_not_record_graphs():
    p = numtorch.ones(3, requires_grad=True)
    assert not S(numtorch).get_ema_avg_fn(0.5)(p, p * 2, 1).requires_grad
    assert not S(numtorch).get_swa_avg_fn()(p, p * 2, 1).requires_grad


def test_swa_multi_avg_fn_with_int_count_and_integer_tensors():
    def run(m):
        a = [m.tensor([1.0, 2.0], dtype=m.float64), m.tensor([3.0], dtype=m.float64)]
        S(m).get_swa_multi_avg_fn()(a, [m.tensor([4.0, 8.0], dtype=m.float64), m.tensor([0.0], dtype=m.float64)], 2)
        ints = [m.tensor([1, 2])]
        S(m).get_ema_multi_avg_fn(0.5)(ints, [m.tensor([5, 9])], 1)
        return [t.numpy().tolist() for t in a], ints[0].numpy().tolist()
    a, b = both(run)
    assert a == b


# -- SWALR ---------------------------------------------------------------------------------------

SWALRS = {
    "cos": lambda m, o: S(m).SWALR(o, swa_lr=0.05),
    "linear": lambda m, o: S(m).SWALR(o, 0.05, anneal_epochs=7, anneal_strategy="linear"),
    "per_group": lambda m, o: S(m).SWALR(o, [0.05, 0.2], anneal_epochs=3),
    "no_annealing": lambda m, o: S(m).SWALR(o, 0.01, anneal_epochs=0),
    "one_epoch": lambda m, o: S(m).SWALR(o, 0.01, anneal_epochs=1, anneal_strategy="linear"),
}


@pytest.mark.parametrize("name", list(SWALRS))
def test_swalr_sequence(name):
    assert_same_trace(*both(trace, SWALRS[name], steps=30))


@pytest.mark.parametrize("name", ["cos", "per_group"])
def test_swalr_tensor_lr(name):
    assert_same_trace(*both(trace, SWALRS[name], steps=30, tensor_lr="float64"))


def test_swa_training_loop():
    """torch's documented pattern: a cosine schedule, then SWALR while averaging."""
    def run(m):
        model = make_model(m)
        opt = m.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        swa_model = S(m).AveragedModel(model)
        sched = m.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=100)
        swa_sched = S(m).SWALR(opt, swa_lr=0.05, anneal_epochs=4)
        x = m.tensor(np.linspace(-1, 1, 15).reshape(5, 3))
        out = []
        for epoch in range(20):
            opt.zero_grad()
            model(x).square().sum().backward()
            opt.step()
            if epoch > 10:
                swa_model.update_parameters(model)
                swa_sched.step()
            else:
                sched.step()
            out.append(snapshot(opt, swa_sched))
        return out, values(swa_model)
    (a, va), (b, vb) = both(run)
    assert_same_trace(a, b)
    for k in vb:  # the model's own forward/backward rounds differently from torch's BLAS
        np.testing.assert_allclose(va[k], vb[k], rtol=1e-10, atol=1e-12, err_msg=k)


def test_swalr_state_dict():
    def run(m):
        opt = make_opt(m)
        sched = S(m).SWALR(opt, 0.05, anneal_epochs=5, anneal_strategy="linear")
        opt.step()
        sched.step()
        state = sched.state_dict()
        fresh = S(m).SWALR(make_opt(m), 0.05)
        fresh.load_state_dict(state)
        return list(state), fresh.anneal_func(0.3), state["_anneal_strategy"]
    a, b = both(run)
    assert a == b and "anneal_func" not in a[0]


# -- update_bn -----------------------------------------------------------------------------------

def test_update_bn_without_batchnorm_changes_nothing():
    model = make_model(numtorch)
    model.eval()
    before = values(model)
    calls = []
    S(numtorch).update_bn(iter(lambda: calls.append(1), 0), model)  # never iterated
    assert not model.training and not calls
    assert_same_values(values(model), before)


def test_update_bn_matches_torch():
    pytest.importorskip("numtorch.nn.modules.batchnorm")

    def run(m):
        model = m.nn.Sequential(m.nn.Linear(3, 4), m.nn.BatchNorm1d(4, momentum=0.3), m.nn.ReLU(),
                                m.nn.Linear(4, 2), m.nn.BatchNorm1d(2)).double()
        perturb(m, model, 1)
        model.eval()
        rng = np.random.default_rng(5)
        loader = [m.tensor(rng.standard_normal((8, 3))) for _ in range(3)]
        loader += [(m.tensor(rng.standard_normal((5, 3))), m.tensor(np.zeros(5)))]
        S(m).update_bn(loader, model)
        return values(model), model.training, [model[1].momentum, model[4].momentum]
    (va, ta, ma), (vb, tb, mb) = both(run)
    assert (ta, ma) == (tb, mb) == (False, [0.3, 0.1])
    for k in vb:
        np.testing.assert_allclose(va[k], vb[k], rtol=1e-12, err_msg=k)


class FakeBatchNorm(numtorch.nn.Module):
    """Stands in for nn's _BatchNorm (torch's API: reset_running_stats, momentum) to test update_bn's protocol."""

    def __init__(self):
        super().__init__()
        self.momentum = 0.3
        self.resets = 0
        self.seen = []

    def reset_running_stats(self):
        self.resets += 1

    def forward(self, x):
        self.seen.append((self.momentum, self.training, numtorch.is_grad_enabled(), tuple(x.shape)))
        return x


def test_update_bn_protocol(monkeypatch):
    monkeypatch.setattr(S(numtorch), "_batchnorm_base", lambda: FakeBatchNorm)
    bn = FakeBatchNorm()
    model = numtorch.nn.Sequential(numtorch.nn.Linear(3, 3), bn)
    model.eval()
    loader = [numtorch.ones(4, 3), (numtorch.ones(2, 3), numtorch.zeros(2)), [numtorch.ones(1, 3)]]
    S(numtorch).update_bn(loader, model)
    assert bn.resets == 1
    assert bn.seen == [(None, True, False, (4, 3)), (None, True, False, (2, 3)), (None, True, False, (1, 3))]
    assert bn.momentum == 0.3 and not model.training and not bn.training
