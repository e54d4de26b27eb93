"""numtorch.optim.debug: the monitor, name-matching load_state_dict and state memory accounting."""
from __future__ import annotations

import copy
import warnings

import numpy as np
import pytest

import numtorch
from numtorch import optim
from numtorch.optim.debug import (NonFiniteError, OptimizerMonitor, load_state_dict_by_name, state_memory)

SHAPES = {"w": (3, 4), "b": (4,), "s": ()}


def named_params(seed: int = 0, shapes=SHAPES, dtype=numtorch.float64):
    rng = np.random.default_rng(seed)
    return [(n, numtorch.tensor(rng.standard_normal(s), dtype=dtype, requires_grad=True)) for n, s in shapes.items()]


def set_grads(params, k: int, bad=None) -> None:
    """Seeded gradients; `bad` = (name, value) puts that value into one param's gradient."""
    for name, p in params:
        g = np.random.default_rng(100 + k).standard_normal(tuple(p.shape))
        if bad is not None and bad[0] == name:
            g = np.full_like(g, bad[1])
        p.grad = numtorch.tensor(g, dtype=p.dtype)


def norm(a) -> float:
    return float(np.linalg.norm(np.asarray(a, dtype=np.float64).ravel()))


# -- OptimizerMonitor ------------------------------------------------------------------------------

def test_monitor_records_named_stats_per_step():
    params = named_params()
    opt = optim.Adam(params, lr=0.1)
    with OptimizerMonitor(opt) as monitor:
        for k in range(3):
            set_grads(params, k)
            before = {n: p.detach().numpy().copy() for n, p in params}
            opt.step()
            rows = monitor.history[-3:]
            assert [r["param"] for r in rows] == ["w", "b", "s"] and {r["step"] for r in rows} == {k + 1}
            for (name, p), row in zip(params, rows):
                update = p.detach().numpy() - before[name]
                assert row["grad_norm"] == pytest.approx(norm(p.grad.numpy()))
                assert row["update_norm"] == pytest.approx(norm(update))
                assert row["ratio"] == pytest.approx(norm(update) / norm(before[name]))
                assert row["lr"] == 0.1 and row["group"] == 0
                for key in ("exp_avg", "exp_avg_sq"):
                    assert row[f"state_norm.{key}"] == pytest.approx(norm(opt.state[p][key].numpy()))
                assert row["state_norm.step"] == k + 1
    set_grads(params, 3)
    opt.step()  # detached on leaving the block: nothing more recorded
    assert len(monitor.history) == 9 and monitor.steps == 3
    text = monitor.summary()
    assert all(n in text for n in SHAPES) and "grad_norm" in text and "exp_avg_sq=" in text


def test_monitor_every_and_track():
    params = named_params()
    opt = optim.SGD(params, lr=0.1, momentum=0.9)
    monitor = OptimizerMonitor(opt, every=2, track=("grad_norm",))
    for k in range(5):
        set_grads(params, k)
        opt.step()
    assert sorted({r["step"] for r in monitor.history}) == [1, 3, 5]
    assert set(monitor.history[0]) == {"step", "param", "group", "grad_norm"}
    monitor.detach()
    with pytest.raises(ValueError, match="cannot track"):
        OptimizerMonitor(opt, track=("hessian",))
    with pytest.raises(ValueError, match="check_finite"):
        OptimizerMonitor(opt, check_finite="stop")


def test_monitor_names_from_a_module_or_by_position():
    model = numtorch.nn.Linear(3, 2)
    opt = optim.SGD(model.parameters(), lr=0.1)
    model(numtorch.ones(4, 3)).sum().backward()
    with OptimizerMonitor(opt, names=model) as named, OptimizerMonitor(opt) as anonymous:
        opt.step()
    assert [r["param"] for r in named.history] == ["weight", "bias"]
    assert [r["param"] for r in anonymous.history] == ["group0.0", "group0.1"]


def test_monitor_stops_at_a_nan_gradient_before_the_update():
    params = named_params()
    opt = optim.Adam(params, lr=0.1)
    monitor = OptimizerMonitor(opt)
    for k in range(2):
        set_grads(params, k)
        opt.step()
    set_grads(params, 2, bad=("b", np.nan))
    before = [p.detach().numpy().copy() for _, p in params]
    with pytest.raises(NonFiniteError, match="non-finite gradient of parameter 'b' before optimizer step 3") as info:
        opt.step()
    assert (info.value.kind, info.value.param, info.value.step, info.value.key) == ("gradient", "b", 3, None)
    assert isinstance(info.value, FloatingPointError)
    for x, (_, p) in zip(before, params):  # stopped before the update
        np.testing.assert_array_equal(p.detach().numpy(), x)


def test_monitor_names_the_state_key_that_overflows():
    """A huge but finite gradient: exp_avg_sq overflows to inf while the update itself stays finite."""
    params = named_params()
    opt = optim.Adam(params, lr=0.1)
    monitor = OptimizerMonitor(opt)
    set_grads(params, 0)
    opt.step()
    set_grads(params, 1, bad=("w", 1e200))
    with pytest.raises(NonFiniteError) as info:
        opt.step()
    assert (info.value.kind, info.value.param, info.value.step, info.value.key) == ("state", "w", 2, "exp_avg_sq")
    assert "(state key 'exp_avg_sq') after optimizer step 2" in str(info.value)
    assert monitor.history[-3]["state_norm.exp_avg_sq"] == np.inf  # the step's rows are kept


def test_monitor_warns_once_and_goes_on():
    params = named_params()
    opt = optim.SGD(params, lr=0.1)
    monitor = OptimizerMonitor(opt, check_finite="warn")
    with pytest.warns(RuntimeWarning, match="non-finite gradient of parameter 's' before optimizer step 1"):
        set_grads(params, 0, bad=("s", np.inf))
        opt.step()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        set_grads(params, 1, bad=("s", np.nan))
        opt.step()
    assert monitor.first_nonfinite.step == 1 and monitor.steps == 2
    assert "first non-finite" in monitor.summary()


@pytest.mark.filterwarnings("ignore:Converting a tensor with requires_grad=True to a scalar")
def test_monitor_with_a_closure_optimizer():
    params = named_params(shapes={"w": (3, 4), "b": (4,)})
    opt = optim.LBFGS([p for _, p in params], max_iter=3)
    monitor = OptimizerMonitor(opt, names=dict(params))

    def closure():
        loss = sum((p * p).sum() for _, p in params)
        opt.zero_grad()
        loss.backward()
        return loss

    opt.step(closure)
    assert [r["param"] for r in monitor.history] == ["w", "b"]
    assert all(r["grad_norm"] >= 0 and r["update_norm"] > 0 for r in monitor.history)
    assert "d" in {k[len("state_norm."):] for k in monitor.history[0] if k.startswith("state_norm.")}


def test_monitor_sees_groups_added_later():
    params = named_params()
    opt = optim.SGD(params[:2], lr=0.1)
    monitor = OptimizerMonitor(opt)
    opt.add_param_group({"params": [params[2]], "lr": 0.5})
    set_grads(params, 0)
    opt.step()
    assert [(r["param"], r["lr"]) for r in monitor.history] == [("w", 0.1), ("b", 0.1), ("s", 0.5)]


# -- state_memory ----------------------------------------------------------------------------------

def test_state_memory_of_adam():
    shapes = {"w": (3, 4), "b": (5,), "e": (0, 3)}
    params = named_params(shapes=shapes, dtype=numtorch.float64)
    params.append(("h", numtorch.zeros(7, dtype=numtorch.float32, requires_grad=True)))
    opt = optim.Adam(params, lr=0.1)
    for _, p in params:
        p.grad = numtorch.ones_like(p)
    opt.step()
    memory = state_memory(opt)
    step = 4  # a 0-d float32 tensor
    expected = {"w": 2 * 12 * 8 + step, "b": 2 * 5 * 8 + step, "e": step, "h": 2 * 7 * 4 + step}
    assert {m.name: m.state_bytes for m in memory.params} == expected
    assert memory["w"].by_key == {"step": 4, "exp_avg": 96, "exp_avg_sq": 96}
    assert memory.by_dtype == {"torch.float32": 4 * step + 56, "torch.float64": 2 * 17 * 8}
    assert memory.total == sum(expected.values()) and memory.param_total == 17 * 8 + 7 * 4
    text = str(memory)
    assert "exp_avg_sq=96 B" in text and "by dtype" in text and "h " in text


def test_state_memory_counts_shared_tensors_once_and_lists_numbers():
    params = named_params(shapes={"w": (2, 3), "b": (3,)})
    opt = optim.SparseAdam([p for _, p in params], lr=0.1)
    grad = numtorch.sparse_coo_tensor([[0]], numtorch.ones(1, 3, dtype=numtorch.float64), (2, 3))
    params[0][1].grad = grad
    opt.step()
    memory = state_memory(opt, names=params)
    assert memory["w"].by_key == {"exp_avg": 48, "exp_avg_sq": 48} and memory.untracked == [("w", "step")]
    shared = numtorch.zeros(10)
    opt.state[params[1][1]] = {"a": shared, "b": shared}
    assert state_memory(opt, names=params)["b"].state_bytes == 40


# -- load_state_dict_by_name -----------------------------------------------------------------------

def trained(params, lr=0.1, steps=3):
    opt = optim.Adam(params, lr=lr)
    for k in range(steps):
        set_grads(params, k)
        opt.step()
    return opt


def state_arrays(opt, p) -> dict:
    return {k: v.numpy().copy() for k, v in opt.state[p].items()}


def assert_same_state(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])


def test_load_by_name_with_reordered_params():
    params = named_params()
    source = trained(params, lr=0.5)
    reordered = [params[2], params[0], params[1]]
    target = optim.Adam(reordered, lr=0.1)
    report = load_state_dict_by_name(target, source.state_dict())
    assert report.ok and report.loaded and report.by == "name" and sorted(report.matched) == ["b", "s", "w"]
    for _, p in params:
        assert_same_state(state_arrays(target, p), state_arrays(source, p))
    assert target.param_groups[0]["lr"] == 0.5 and target.param_groups[0]["param_names"] == ["s", "w", "b"]
    assert "matched by name: 3 of 3 params" in str(report)


def test_strict_load_reports_and_changes_nothing():
    params = named_params()
    source = trained(params)
    extra = ("c", numtorch.zeros(2, dtype=numtorch.float64, requires_grad=True))
    wrong_shape = ("w", numtorch.zeros(4, 3, dtype=numtorch.float64, requires_grad=True))
    target_params = [wrong_shape, params[2], extra]
    target = trained(target_params, lr=0.2, steps=1)
    before = copy.deepcopy(target.state_dict())
    with pytest.raises(RuntimeError) as info:
        load_state_dict_by_name(target, source.state_dict())
    text = str(info.value)
    assert "missing (in the optimizer, not in the state_dict): c" in text
    assert "unexpected (in the state_dict, not in the optimizer): b" in text
    assert "shape mismatch: w: state 'exp_avg' [3, 4] vs param [4, 3]" in text
    after = target.state_dict()
    assert after["param_groups"] == before["param_groups"]
    for i in before["state"]:
        assert_same_state({k: v.numpy() for k, v in after["state"][i].items()},
                          {k: v.numpy() for k, v in before["state"][i].items()})


def test_non_strict_load_takes_what_matches():
    params = named_params()
    source = trained(params, lr=0.5)
    extra = ("c", numtorch.zeros(2, dtype=numtorch.float64, requires_grad=True))
    wrong_shape = ("w", numtorch.zeros(4, 3, dtype=numtorch.float64, requires_grad=True))
    target = trained([wrong_shape, params[2], extra], lr=0.2, steps=1)
    kept = {n: state_arrays(target, p) for n, p in (wrong_shape, extra)}
    report = load_state_dict_by_name(target, source.state_dict(), strict=False)
    assert (report.matched, report.missing, report.unexpected) == (["s"], ["c"], ["b"])
    assert [m[:2] for m in report.mismatched] == [("w", "exp_avg"), ("w", "exp_avg_sq")]
    assert report.loaded and not report.ok
    assert_same_state(state_arrays(target, params[2][1]), state_arrays(source, params[2][1]))
    for name, p in (wrong_shape, extra):  # not matched: their own state stays
        assert_same_state(state_arrays(target, p), kept[name])
    assert target.param_groups[0]["lr"] == 0.5  # options from the saved group of the matched param


def test_load_by_position_without_names():
    params = [p for _, p in named_params()]
    source = trained(list(zip("wbs", params)))
    state_dict = source.state_dict()
    for group in state_dict["param_groups"]:
        del group["param_names"]
    clones = [p.detach().clone().requires_grad_(True) for p in params]
    target = optim.Adam(clones, lr=0.1)
    report = load_state_dict_by_name(target, state_dict)
    assert report.by == "position" and report.ok
    assert_same_state(state_arrays(target, clones[0]), state_arrays(source, params[0]))
    swapped = optim.Adam([clones[1], clones[0], clones[2]], lr=0.1)
    with pytest.raises(RuntimeError, match=r"shape mismatch: #0: state 'exp_avg' \[3, 4\] vs param \[4\]"):
        load_state_dict_by_name(swapped, state_dict)
    assert not swapped.state


def test_load_names_given_for_an_unnamed_optimizer():
    params = named_params()
    source = trained(params)
    target_params = [p.detach().clone().requires_grad_(True) for _, p in reversed(params)]
    target = optim.Adam(target_params, lr=0.1)
    names = [(n, p) for (n, _), p in zip(reversed(params), target_params)]
    report = load_state_dict_by_name(target, source.state_dict(), names=names)
    assert report.by == "name" and report.ok
    assert_same_state(state_arrays(target, target_params[-1]), state_arrays(source, params[0][1]))


def test_monitor_catches_a_non_finite_update_and_can_pause():
    params = named_params()
    opt = optim.SGD(params, lr=0.1)
    monitor = OptimizerMonitor(opt)
    monitor.enabled = False
    set_grads(params, 0)
    opt.step()
    assert monitor.history == [] and monitor.steps == 1
    monitor.enabled = True
    opt.param_groups[0]["lr"] = float("nan")
    with pytest.raises(NonFiniteError, match="non-finite update of parameter 'w' after optimizer step 2"):
        opt.step()


def test_load_by_name_passes_extra_keys_through():
    """Keys beside 'state' and 'param_groups' (from_transform's 'transform_state') reach the optimizer's loader."""
    params = named_params()
    state_dict = trained(params).state_dict()
    state_dict["extra"] = {"count": 3}
    target = optim.Adam(list(reversed(params)), lr=0.1)
    seen = []
    target.register_load_state_dict_pre_hook(lambda opt, sd: seen.append(sd["extra"]))
    assert load_state_dict_by_name(target, state_dict).ok and seen == [{"count": 3}]
