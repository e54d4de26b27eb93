"""numtorch.optim.transforms: each block's math on small hand-computed inputs, state, wrappers and schedules."""
import io
import math

import numpy as np
import pytest
import torch

import numtorch
from numtorch.optim import transforms as T
from numtorch.optim.transforms import schedules as S


def t(*values):
    return numtorch.tensor(values, dtype=numtorch.float64)


def run(tx, grads_seq, params=None):
    """init, then one update per entry of grads_seq; returns every step's updates (as NumPy) and the last state."""
    state = tx.init(params if params is not None else grads_seq[0])
    outs = []
    for grads in grads_seq:
        updates, state = tx.update(grads, state, params)
        outs.append([None if u is None else u.numpy().copy() for u in updates])
    return outs, state


def close(a, b):
    np.testing.assert_allclose(np.asarray(a, dtype=float), np.asarray(b, dtype=float), rtol=1e-12, atol=1e-15)


# -- stateless blocks -----------------------------------------------------------------------------

def test_scale_sign_clip():
    g = [t(-3.0, 0.5, 2.0)]
    close(run(T.scale(3.0), [g])[0][0][0], [-9.0, 1.5, 6.0])
    close(run(T.scale_by_sign(), [g])[0][0][0], [-1.0, 1.0, 1.0])
    close(run(T.clip(1.0), [g])[0][0][0], [-1.0, 0.5, 1.0])
    close(run(T.clip_by_value(0.0, 1.0), [g])[0][0][0], [0.0, 0.5, 1.0])
    close(run(T.clip_by_value(max_value=0.0), [g])[0][0][0], [-3.0, 0.0, 0.0])
    with pytest.raises(ValueError):
        T.clip_by_value()


def test_scale_by_learning_rate():
    g = [t(1.0, -2.0)]
    close(run(T.scale_by_learning_rate(0.1), [g])[0][0][0], [-0.1, 0.2])
    close(run(T.scale_by_learning_rate(0.1, flip_sign=False), [g])[0][0][0], [0.1, -0.2])
    outs, state = run(T.scale_by_learning_rate(lambda n: 0.5 ** n), [g, g, g])
    close([o[0][0] for o in outs], [-1.0, -0.5, -0.25])
    assert state == {"count": 3}
    with pytest.raises(ValueError, match="Invalid learning rate"):
        T.scale_by_learning_rate(-1.0)


def test_none_updates_pass_through_and_get_no_state():
    tx = T.chain(T.scale_by_adam(), T.trace(0.9), T.scale_by_learning_rate(0.1))
    state = tx.init([None, t(1.0)])
    assert state["scale_by_adam"]["per_param"][0] is None
    updates, state = tx.update([None, t(1.0)], state)
    assert updates[0] is None and state["trace"]["per_param"][0] is None
    updates, state = tx.update([t(2.0), None], state)  # first update of param 0: its state is created now
    assert updates[1] is None and state["scale_by_adam"]["per_param"][0]["step"].item() == 1
    assert state["scale_by_adam"]["per_param"][1]["step"].item() == 1


def test_trust_ratio():
    params = [t(3.0, 4.0), t(0.0, 0.0), t(1.0)]
    grads = [t(0.0, 2.0), t(1.0, 1.0), t(0.0)]
    out = run(T.scale_by_trust_ratio(), [grads], params)[0][0]
    close(out[0], [0.0, 5.0])  # ||p|| / ||u|| = 5 / 2
    close(out[1], [1.0, 1.0])  # zero param norm: unchanged
    close(out[2], [0.0])
    close(run(T.scale_by_trust_ratio(trust_coefficient=0.1, eps=3.0), [grads[:1]], params[:1])[0][0][0], [0.0, 0.2])
    close(run(T.scale_by_trust_ratio(min_norm=10.0), [grads[:1]], params[:1])[0][0][0], [0.0, 2.0])


def test_normalize_by_update_norm_and_centralize():
    close(np.concatenate(run(T.normalize_by_update_norm(eps=0.0), [[t(3.0), t(4.0)]])[0][0]), [0.6, 0.8])
    close(np.concatenate(run(T.normalize_by_update_norm(2.0, eps=5.0), [[t(3.0), t(4.0)]])[0][0]), [0.6, 0.8])
    g = [numtorch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 9.0]], dtype=numtorch.float64), t(1.0, 3.0)]
    out = run(T.centralize(), [g])[0][0]
    close(out[0], [[-1.0, 0.0, 1.0], [-2.0, -1.0, 3.0]])
    close(out[1], [1.0, 3.0])  # 1-D: unchanged


def test_clip_by_global_norm_is_torch_clip_grad_norm():
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s) * 3 for s in [(3, 4), (5,), ()]]
    for max_norm, norm_type in [(1.0, 2.0), (100.0, 2.0), (0.5, 1.0), (2.0, math.inf)]:
        out = run(T.clip_by_global_norm(max_norm, norm_type), [[numtorch.tensor(a) for a in arrays]])[0][0]
        ref = [torch.tensor(a, requires_grad=True) for a in arrays]
        for r, a in zip(ref, arrays):
            r.grad = torch.tensor(a)
        torch.nn.utils.clip_grad_norm_(ref, max_norm, norm_type)
        for o, r in zip(out, ref):
            np.testing.assert_array_equal(o, r.grad.numpy())


def test_weight_decay_and_masks():
    params = {"w": t(1.0, 2.0), "bias": t(10.0)}
    grads = {"w": t(0.5, 0.5), "bias": t(1.0)}
    for tx in (T.add_decayed_weights(0.1), T.add_weight_decay(0.1)):
        updates, _ = tx.update(grads, tx.init(params), params)
        close(updates["w"], [0.6, 0.7])
        close(updates["bias"], [2.0])
    for mask in (lambda name, p: name != "bias", lambda p: p.dim() == 1 and p.numel() > 1,
                 {"w": True, "bias": False}):
        tx = T.add_decayed_weights(0.1, mask=mask)
        updates, _ = tx.update(grads, tx.init(params), params)
        close(updates["w"], [0.6, 0.7])
        assert updates["bias"] is grads["bias"]
    tx = T.add_decayed_weights(0.1, mask=[False, True])
    updates, _ = tx.update([t(1.0), t(1.0)], tx.init([t(5.0), t(5.0)]), [t(5.0), t(5.0)])
    close(np.concatenate(updates), [1.0, 1.5])
    with pytest.raises(ValueError, match="2 entries but there are 3"):
        tx.update([t(1.0)] * 3, {"inner_state": {}}, [t(1.0)] * 3)
    with pytest.raises(ValueError, match="needs the params"):
        T.add_decayed_weights(0.1).update([t(1.0)], {})


# -- moments ------------------------------------------------------------------------------------------

def test_trace_torch_sgd_momentum():
    g = [[t(1.0)], [t(2.0)], [t(0.0)]]
    close([o[0][0] for o in run(T.trace(0.9), g)[0]], [1.0, 2.9, 2.61])
    # the first step copies the update undamped, as torch.optim.SGD does
    close([o[0][0] for o in run(T.trace(0.9, dampening=0.5), g)[0]], [1.0, 1.9, 1.71])
    close([o[0][0] for o in run(T.trace(0.9, nesterov=True), g)[0]], [1.9, 4.61, 2.349])
    outs, state = run(T.trace(0.0), g)
    assert state == {"per_param": [{}]}  # no momentum: no buffer
    with pytest.raises(ValueError, match="Nesterov momentum requires a momentum and zero dampening"):
        T.trace(0.9, nesterov=True, dampening=0.1)


def test_ema():
    outs, state = run(T.ema(0.5), [[t(2.0)], [t(4.0)]])
    close([o[0][0] for o in outs], [2.0, 2.5 / 0.75])
    close(state["per_param"][0]["ema"], [2.5])
    close([o[0][0] for o in run(T.ema(0.5, debias=False), [[t(2.0)], [t(4.0)]])[0]], [1.0, 2.5])


def test_scale_by_adam():
    outs, state = run(T.scale_by_adam(0.5, 0.5, eps=0.0), [[t(2.0)], [t(4.0)]])
    close([o[0][0] for o in outs], [1.0, (2.5 / 0.75) / math.sqrt(9 / 0.75)])
    s = state["per_param"][0]
    assert set(s) == {"step", "exp_avg", "exp_avg_sq"} and s["step"].item() == 2
    close(s["exp_avg"], [2.5])
    close(s["exp_avg_sq"], [9.0])
    outs, state = run(T.scale_by_adam(0.5, 0.5, eps=0.0, amsgrad=True), [[t(4.0)], [t(0.0)]])
    close(outs[1][0], [(1 / 0.75) / math.sqrt(8 / 0.75)])  # divides by the max of v, 8, not by v = 4
    close(state["per_param"][0]["max_exp_avg_sq"], [8.0])
    outs, _ = run(T.scale_by_adam(0.5, 0.5, eps=1.0, eps_root=7.0), [[t(2.0)]])
    close(outs[0][0], [2.0 / (math.sqrt(4.0 + 7.0) + 1.0)])
    with pytest.raises(ValueError, match="Invalid beta parameter at index 1"):
        T.scale_by_adam(b2=1.0)


def test_scale_by_rms_and_stddev():
    close(run(T.scale_by_rms(0.5, eps=0.0), [[t(2.0)]])[0][0][0], [2.0 / math.sqrt(2.0)])
    outs, state = run(T.scale_by_rms(0.5, eps=0.0, centered=True), [[t(2.0)]])
    close(outs[0][0], [2.0])  # sqrt(E[g^2] - E[g]^2) = sqrt(2 - 1)
    assert set(state["per_param"][0]) == {"step", "square_avg", "grad_avg"}
    close(run(T.scale_by_stddev(0.5, eps=0.0), [[t(2.0)]])[0][0][0], [2.0])
    close(run(T.scale_by_stddev(0.5, eps=0.0, initial_scale=2.0), [[t(2.0)]])[0][0][0], [2.0 / math.sqrt(2.0)])


# -- chain, state ---------------------------------------------------------------------------------------

def test_chain_names_and_inspectable_state():
    tx = T.chain(T.trace(0.9), T.trace(0.5), T.scale_by_adam(), T.scale_by_learning_rate(0.1))
    state = tx.init([t(1.0, 2.0)])
    assert list(state) == ["trace", "trace_1", "scale_by_adam", "scale_by_learning_rate"]
    assert tx.defaults == {"momentum": T.base.CONFLICT, "betas": (0.9, 0.999), "lr": 0.1}
    _, state = tx.update([t(1.0, 1.0)], state)
    assert state["trace_1"]["per_param"][0]["momentum_buffer"].tolist() == [1.0, 1.0]


def test_optax_style_pair_and_identity():
    calls = []

    def update(updates, state, params=None):
        calls.append(state)
        return [u * 2 for u in updates], state + 1
    tx = T.chain(T.identity(), (lambda params: 0, update))
    outs, state = run(tx, [[t(1.0)], [t(1.0)]])
    close(outs[1][0], [2.0])
    assert calls == [0, 1] and state["transform"] == 2


def test_state_round_trips_through_save_and_load():
    tx = T.chain(T.apply_if_finite(T.scale_by_adam(amsgrad=True), 3), T.trace(0.9),
                 T.inject_hyperparams(T.scale_by_learning_rate)(learning_rate=S.cosine(0.1, 10)))
    params = {"w": t(1.0, 2.0), "b": t(0.5)}
    grads = [{"w": t(0.1 * i, -0.2), "b": t(0.3)} for i in range(6)]
    state = tx.init(params)
    for g in grads[:3]:
        _, state = tx.update(g, state, params)
    buf = io.BytesIO()
    numtorch.save(state, buf)
    buf.seek(0)
    loaded = numtorch.load(buf)
    assert loaded["apply_if_finite"]["inner_state"]["per_param"]["w"]["step"].item() == 3
    for g in grads[3:]:
        a, state = tx.update(g, state, params)
        b, loaded = tx.update(g, loaded, params)
        for k in a:
            np.testing.assert_array_equal(a[k].numpy(), b[k].numpy())
    assert loaded["scale_by_learning_rate"]["hyperparams"]["learning_rate"] == S.cosine(0.1, 10)(5)


# -- wrappers -------------------------------------------------------------------------------------------------

def test_apply_if_finite_skips_and_counts():
    tx = T.apply_if_finite(T.chain(T.scale_by_adam(), T.scale_by_learning_rate(0.1)), max_consecutive_errors=2)
    state = tx.init([t(1.0), t(1.0)])
    good, bad = [t(1.0), t(1.0)], [t(1.0), t(math.nan)]
    updates, state = tx.update(good, state)
    assert all(u is not None for u in updates)
    for n in (1, 2):
        updates, state = tx.update(bad, state)
        assert updates == [None, None]
        assert (state["notfinite_count"], state["total_notfinite"], state["last_finite"]) == (n, n, False)
    assert state["inner_state"]["scale_by_adam"]["per_param"][0]["step"].item() == 1  # inner untouched
    updates, state = tx.update(bad, state)  # a third in a row: more than max_consecutive_errors, applied
    assert math.isnan(updates[1].item()) and state["notfinite_count"] == 3
    updates, state = tx.update([t(1.0), t(math.inf)], state)
    assert state["total_notfinite"] == 4
    _, state = tx.update(good, state)
    assert (state["notfinite_count"], state["total_notfinite"], state["last_finite"]) == (0, 4, True)
    never = T.apply_if_finite(T.identity())
    state = never.init([t(1.0)])
    for _ in range(5):
        updates, state = never.update([t(math.nan)], state)
        assert updates == [None]


def test_masked_and_partition_select_by_name():
    params = {"layer.weight": t(1.0, 2.0), "layer.bias": t(3.0)}
    grads = {"layer.weight": t(1.0, 1.0), "layer.bias": t(1.0)}
    tx = T.masked(T.chain(T.trace(0.9), T.scale(-1.0)), lambda name, p: name.endswith("weight"))
    state = tx.init(params)
    assert state["inner_state"]["trace"]["per_param"] == {"layer.weight": {}, "layer.bias": None}
    updates, state = tx.update(grads, state, params)
    close(updates["layer.weight"], [-1.0, -1.0])
    assert updates["layer.bias"] is grads["layer.bias"]
    assert state["inner_state"]["trace"]["per_param"]["layer.bias"] is None

    tx = T.partition({"decay": T.scale(2.0), "frozen": T.scale(0.0)},
                     lambda name, p: "frozen" if name.endswith("bias") else "decay")
    updates, state = tx.update(grads, tx.init(params), params)
    close(updates["layer.weight"], [2.0, 2.0])
    close(updates["layer.bias"], [0.0])
    tx = T.partition({"a": T.scale(2.0)}, ["a", "b"])
    with pytest.raises(ValueError, match="no transformation for label"):
        tx.update([t(1.0), t(1.0)], tx.init([t(1.0), t(1.0)]))


def test_inject_hyperparams_changed_at_run_time():
    tx = T.inject_hyperparams(T.scale_by_adam)(b1=0.9)
    state = tx.init([t(1.0)])
    assert state["hyperparams"] == {"b1": 0.9, "b2": 0.999, "eps": 1e-8, "eps_root": 0.0}
    _, state = tx.update([t(2.0)], state)
    state["hyperparams"]["b1"] = 0.5
    updates, state = tx.update([t(4.0)], state)
    # the same two steps by hand: b1 = 0.9 for the first, 0.5 for the second
    ref = T.scale_by_adam(b1=0.9)
    ref_state = ref.init([t(1.0)])
    _, ref_state = ref.update([t(2.0)], ref_state)
    expected, _ = T.scale_by_adam(b1=0.5).update([t(4.0)], ref_state)
    close(updates[0], expected[0])
    assert state["count"] == 2

    tx = T.inject_hyperparams(T.sgd)(lr=lambda n: 0.1 * (n + 1), momentum=0.0)
    state = tx.init([t(1.0)])
    for n in range(3):
        updates, state = tx.update([t(1.0)], state, [t(0.0)])
        close(updates[0], [-0.1 * (n + 1)])
        assert state["hyperparams"]["lr"] == 0.1 * (n + 1)  # a schedule's value is logged in state


@pytest.mark.parametrize("k", [1, 3])
def test_accumulate_is_one_step_on_the_mean(k):
    """k micro-steps of grads g_i give one inner step on (g_1 + ... + g_k) / k; the calls between give None."""
    rng = np.random.default_rng(1)
    micro = [[rng.standard_normal(3), np.array(rng.standard_normal()) if i != 1 else None] for i in range(2 * k)]
    inner = T.chain(T.scale_by_adam(), T.scale_by_learning_rate(0.1))
    tx = T.accumulate(inner, k)
    state = tx.init([t(0.0, 0.0, 0.0), t(0.0)])
    ref_state = inner.init([t(0.0, 0.0, 0.0), t(0.0)])
    for i, grads in enumerate(micro):
        updates, state = tx.update([None if g is None else numtorch.tensor(g) for g in grads], state)
        if (i + 1) % k:
            assert updates == [None, None] and state["count"] == (i + 1) % k
            continue
        cycle = micro[i + 1 - k:i + 1]
        got = [[c[j] for c in cycle if c[j] is not None] for j in range(2)]
        means = [numtorch.tensor(np.asarray(sum(g) / k)) if g else None for g in got]  # no grad at all: None
        expected, ref_state = inner.update(means, ref_state)
        for u, e in zip(updates, expected):
            assert (u is None) == (e is None)
            if e is not None:
                np.testing.assert_allclose(u.numpy(), e.numpy(), rtol=1e-14)
    with pytest.raises(ValueError):
        T.accumulate(inner, 0)


def test_accumulate_gives_no_update_to_a_param_without_grads_in_the_cycle():
    tx = T.accumulate(T.identity(), 2)
    state = tx.init([t(1.0), t(1.0)])
    _, state = tx.update([t(1.0), t(1.0)], state)
    updates, state = tx.update([t(3.0), t(1.0)], state)
    close(np.concatenate(updates), [2.0, 1.0])
    _, state = tx.update([t(1.0), None], state)
    updates, state = tx.update([t(1.0), None], state)
    assert updates[1] is None


# -- schedules ------------------------------------------------------------------------------------------------

def test_schedules_hand_values():
    assert S.constant(0.3)(1000) == 0.3
    lin = S.linear(1.0, 3.0, 4, transition_begin=2)
    close([lin(n) for n in range(8)], [1, 1, 1, 1.5, 2, 2.5, 3, 3])
    assert S.linear(1.0, 3.0, 0)(5) == 1.0
    cos = S.cosine(1.0, 10, alpha=0.1)
    close([cos(n) for n in (0, 5, 10, 20)], [1.0, 0.1 + 0.9 * 0.5, 0.1, 0.1])
    close(S.cosine(2.0, 4, end_value=1.0)(2), 1.5)
    exp = S.exponential(1.0, 2, 0.5, transition_begin=1)
    close([exp(n) for n in range(6)], [1.0, 1.0, 0.5 ** 0.5, 0.5, 0.5 ** 1.5, 0.25])
    stair = S.exponential(1.0, 2, 0.5, staircase=True, end_value=0.3)
    close([stair(n) for n in range(6)], [1.0, 1.0, 0.5, 0.5, 0.3, 0.3])
    close(S.exponential(1.0, 1, 2.0, end_value=3.0)(5), 3.0)
    poly = S.polynomial(1.0, 0.0, 2, 4)
    close([poly(n) for n in range(6)], [1.0, 0.5625, 0.25, 0.0625, 0.0, 0.0])
    pw = S.piecewise(1.0, {4: 0.5, 2: 0.1})
    close([pw(n) for n in range(6)], [1.0, 1.0, 0.1, 0.1, 0.05, 0.05])
    joined = S.join([S.constant(1.0), S.linear(0.0, 1.0, 2), S.constant(7.0)], [2, 5])
    close([joined(n) for n in range(7)], [1.0, 1.0, 0.0, 0.5, 1.0, 7.0, 7.0])
    with pytest.raises(ValueError):
        S.join([S.constant(1.0)], [3])
    wc = S.warmup_cosine(0.0, 1.0, 2, 6, end_value=0.2)
    close([wc(n) for n in range(8)], [0.0, 0.5, 1.0, 0.2 + 0.8 * (1 + math.cos(math.pi / 4)) / 2, 0.6,
                                      0.2 + 0.8 * (1 + math.cos(3 * math.pi / 4)) / 2, 0.2, 0.2])


@pytest.mark.parametrize("kw", [dict(), dict(three_phase=True, anneal_strategy="linear"),
                                dict(pct_start=0.5, div_factor=10.0, final_div_factor=100.0)])
def test_one_cycle_is_torch_onecyclelr(kw):
    total = 23
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.4, total_steps=total, cycle_momentum=False, **kw)
    expected = []
    for _ in range(total):
        expected.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step() if len(expected) < total else None
    values = [S.one_cycle(total, 0.4, **kw)(n) for n in range(total)]
    np.testing.assert_allclose(values, expected, rtol=1e-15)
    assert S.one_cycle(total, 0.4, **kw)(total + 5) == values[-1]
