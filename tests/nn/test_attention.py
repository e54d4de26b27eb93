"""scaled_dot_product_attention, multi_head_attention_forward and MultiheadAttention against torch
2.13 (weights copied from torch's module): outputs, attention weights and gradients with every mask
kind, is_causal, grouped-query attention, unbatched inputs, kdim/vdim, bias_kv, zero attention,
second derivatives and torch's errors."""
import numpy as np
import pytest
import torch

import numtorch
from tests.nn.util import np_of, nt_state

TOL = {np.float64: dict(rtol=1e-9, atol=1e-11), np.float32: dict(rtol=5e-5, atol=5e-6)}


def close(a, b, dtype, what):
    if a is None or b is None:
        assert a is None and b is None, what
        return
    a, b = np_of(a), np_of(b)
    assert a.shape == b.shape and a.dtype == b.dtype, (what, a.shape, b.shape, a.dtype, b.dtype)
    np.testing.assert_allclose(a, b, err_msg=what, equal_nan=True, **TOL[dtype])


def run_both(fn, arrays, grad, dtype=np.float64, extra=()):
    """fn(mod, *tensors) in both libraries; compare every output and the grads of `grad` inputs.
    `extra(mod)` lists further leaves (e.g. a module's parameters) whose grads are compared."""
    res = []
    for mod in (numtorch, torch):
        ts = [mod.tensor(a) if a.dtype.kind in "bi" else mod.tensor(a.astype(dtype), requires_grad=i in grad)
              for i, a in enumerate(arrays)]
        out = fn(mod, *ts)
        outs = [o for o in (out if isinstance(out, tuple) else (out,))]
        res.append((ts, outs))
    (tn, on), (tt, ot) = res
    for i, (a, b) in enumerate(zip(on, ot)):
        close(a, b, dtype, f"output {i}")
    leaves_t = [tt[i] for i in grad] + list(extra(torch) if extra else [])
    leaves_n = [tn[i] for i in grad] + list(extra(numtorch) if extra else [])
    if not leaves_t:
        return
    pairs = [(a, b) for a, b in zip(on, ot) if b is not None and b.requires_grad]
    rng = np.random.default_rng(11)
    gos = [rng.standard_normal(tuple(b.shape)).astype(dtype) for _, b in pairs]
    gt = torch.autograd.grad([b for _, b in pairs], leaves_t, [torch.tensor(g) for g in gos], allow_unused=True)
    gn = numtorch.autograd.grad([a for a, _ in pairs], leaves_n, [numtorch.tensor(g) for g in gos],
                                allow_unused=True)
    for i, (a, b) in enumerate(zip(gn, gt)):
        if b is None:
            assert a is None or not np.any(np_of(a)), f"grad {i}"
        else:
            close(a, b, dtype, f"grad {i}")


rng = np.random.default_rng(0)
Q = rng.standard_normal((2, 2, 3, 4))
K = rng.standard_normal((2, 2, 5, 4))
V = rng.standard_normal((2, 2, 5, 6))
BOOL = rng.uniform(size=(3, 5)) > 0.3
BOOL[1] = False                       # a query with no key to attend to
FLOAT = np.where(rng.uniform(size=(2, 1, 3, 5)) > 0.3, rng.standard_normal((2, 1, 3, 5)), -np.inf)


def sdpa(m):
    return m.nn.functional.scaled_dot_product_attention


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", [
    ("plain", lambda m, q, k, v: sdpa(m)(q, k, v), [Q, K, V]),
    ("bool_mask", lambda m, q, k, v, b: sdpa(m)(q, k, v, attn_mask=b), [Q, K, V, BOOL]),
    ("float_mask", lambda m, q, k, v, f: sdpa(m)(q, k, v, attn_mask=f), [Q, K, V, FLOAT]),
    ("causal", lambda m, q, k, v: sdpa(m)(q, k, v, is_causal=True), [Q, K, V]),
    ("causal_and_mask", lambda m, q, k, v, b: sdpa(m)(q, k, v, attn_mask=b, is_causal=True),
     [Q, K, V[..., :4].copy(), BOOL]),
    ("scale", lambda m, q, k, v: sdpa(m)(q, k, v, scale=0.3), [Q, K, V]),
    ("3d", lambda m, q, k, v: sdpa(m)(q, k, v), [Q[0], K[0], V[0]]),
    ("2d", lambda m, q, k, v, b: sdpa(m)(q, k, v, attn_mask=b), [Q[0, 0], K[0, 0], V[0, 0], BOOL]),
    ("broadcast_batch", lambda m, q, k, v: sdpa(m)(q, k, v), [Q, K[:1], V[:1]]),
    ("gqa", lambda m, q, k, v: sdpa(m)(q, k, v, enable_gqa=True),
     [rng.standard_normal((2, 4, 3, 4)), K, V[:, :1].copy()]),
], ids=lambda c: c[0] if isinstance(c, tuple) else None)
def test_scaled_dot_product_attention(case, dtype):
    _, fn, arrays = case
    run_both(fn, arrays, (0, 1, 2), dtype)


def test_sdpa_dropout():
    q, k, v = (numtorch.tensor(a) for a in (Q, K, V))
    zero = sdpa(numtorch)(q, k, v, dropout_p=1.0)
    assert not np.any(np_of(zero))
    a, b = sdpa(numtorch)(q, k, v, dropout_p=0.5), sdpa(numtorch)(q, k, v, dropout_p=0.5)
    assert not np.allclose(np_of(a), np_of(b))


def test_sdpa_second_derivatives():
    """torch's CPU kernel has no double backward; numtorch's composed one passes gradgradcheck."""
    args = [numtorch.tensor(a[:1, :1], requires_grad=True) for a in (Q, K, V)]
    mask = numtorch.tensor(BOOL)
    assert numtorch.autograd.gradgradcheck(lambda q, k, v: sdpa(numtorch)(q, k, v, attn_mask=mask), args)


@pytest.mark.parametrize("expr", [
    lambda m: sdpa(m)(m.randn(4), m.randn(4), m.randn(4)),
    lambda m: sdpa(m)(m.randn(2, 3, 4), m.randn(2, 5, 4, dtype=m.float64), m.randn(2, 5, 6)),
    lambda m: sdpa(m)(m.randn(2, 3, 4), m.randn(2, 5, 3), m.randn(2, 5, 6)),
    lambda m: sdpa(m)(m.randn(2, 3, 4), m.randn(2, 5, 4), m.randn(2, 4, 6)),
    lambda m: sdpa(m)(m.randn(2, 3, 4), m.randn(2, 5, 4), m.randn(2, 5, 6), attn_mask=m.ones(3, 5, dtype=m.int64)),
    lambda m: sdpa(m)(m.randn(2, 3, 4), m.randn(2, 5, 4), m.randn(2, 5, 6),
                      attn_mask=m.ones(3, 5, dtype=m.float64)),
    lambda m: sdpa(m)(m.randn(1, 3, 2, 4), m.randn(1, 2, 5, 4), m.randn(1, 2, 5, 4), enable_gqa=True),
    lambda m: sdpa(m)(m.randn(2, 3, 4), m.randn(2, 5, 4), m.randn(2, 5, 4), attn_mask=m.ones(3, 5, dtype=m.bool),
                      is_causal=True),
    lambda m: sdpa(m)(m.randn(1, 2, 3, 4), m.randn(1, 2, 5, 4), m.randn(1, 2, 5, 6),
                      attn_mask=m.ones(3, 5, dtype=m.bool), is_causal=True),
])
def test_sdpa_errors(expr):
    with pytest.raises(Exception) as theirs:
        expr(torch)
    with pytest.raises(type(theirs.value)) as ours:
        expr(numtorch)
    assert str(ours.value) == str(theirs.value)


# -- MultiheadAttention -----------------------------------------------------------------------

E, NH, L, S, N = 8, 2, 3, 4, 2


def twins(dtype=np.float64, **kw):
    tm = torch.nn.MultiheadAttention(E, NH, **kw)
    nm = numtorch.nn.MultiheadAttention(E, NH, **kw)
    if dtype == np.float64:
        tm, nm = tm.double(), nm.double()
    sd = tm.state_dict()
    with torch.no_grad():   # non-zero biases, so every parameter's gradient is exercised
        for k, v in sd.items():
            if "bias" in k:
                v.copy_(torch.linspace(-0.5, 0.5, v.numel()).reshape(v.shape))
    nm.load_state_dict(nt_state(tm))
    return tm, nm


def mha_inputs(batch_first=False, batched=True, kdim=E, vdim=E):
    r = np.random.default_rng(1)
    def shape(n, e):
        if not batched:
            return (n, e)
        return (N, n, e) if batch_first else (n, N, e)
    return r.standard_normal(shape(L, E)), r.standard_normal(shape(S, kdim)), r.standard_normal(shape(S, vdim))


KPM = np.array([[False, False, True, False], [False, True, True, False]])
AMASK = np.random.default_rng(2).uniform(size=(L, S)) > 0.7
AMASK3 = np.random.default_rng(3).uniform(size=(N * NH, L, S)) > 0.7


def _params(module_of):
    return lambda m: [p for _, p in sorted(module_of(m).named_parameters())]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")   # NumPy's, for the NaN of a fully masked query (as torch)
@pytest.mark.parametrize("need_weights", [True, False])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("masks", ["none", "kpm_bool", "kpm_float", "attn_bool", "attn_float", "attn3_and_kpm",
                                   "causal"])
def test_multihead_attention(masks, batch_first, need_weights):
    tm, nm = twins(batch_first=batch_first)
    q, k, v = mha_inputs(batch_first)
    kw = {}
    arrays = [q, k, v]
    if masks.startswith("kpm"):
        arrays.append(KPM if masks == "kpm_bool" else np.where(KPM, -np.inf, 0.5))
    elif masks.startswith("attn3"):
        arrays += [AMASK3, KPM]
    elif masks.startswith("attn") or masks == "causal":
        arrays.append(AMASK if masks != "attn_float" else np.where(AMASK, -1e9, 0.25))
        kw["is_causal"] = masks == "causal"
        if masks == "causal":
            arrays[-1] = ~np.tril(np.ones((L, S), bool))

    def fn(m, q, k, v, *masks_):
        mod = nm if m is numtorch else tm
        kpm = masks_[-1] if masks.startswith("kpm") or masks.startswith("attn3") else None
        am = masks_[0] if masks.startswith("attn") or masks == "causal" else None
        return mod(q, k, v, key_padding_mask=kpm, attn_mask=am, need_weights=need_weights, **kw)
    run_both(fn, arrays, (0, 1, 2), extra=_params(lambda m: nm if m is numtorch else tm))


@pytest.mark.parametrize("kw", [dict(bias=False), dict(add_bias_kv=True), dict(add_zero_attn=True),
                                dict(add_bias_kv=True, add_zero_attn=True), dict(kdim=5, vdim=3),
                                dict(kdim=5, vdim=3, batch_first=True, bias=False)],
                         ids=lambda kw: ",".join(kw))
@pytest.mark.parametrize("average", [True, False])
def test_multihead_attention_variants(kw, average):
    tm, nm = twins(**kw)
    q, k, v = mha_inputs(kw.get("batch_first", False), kdim=kw.get("kdim", E), vdim=kw.get("vdim", E))
    assert list(nm.state_dict()) == list(tm.state_dict())
    assert repr(nm) == repr(tm)

    def fn(m, q, k, v, kpm):
        mod = nm if m is numtorch else tm
        return mod(q, k, v, key_padding_mask=kpm, average_attn_weights=average)
    run_both(fn, [q, k, v, KPM], (0, 1, 2), extra=_params(lambda m: nm if m is numtorch else tm))


@pytest.mark.parametrize("batch_first", [False, True])
def test_self_attention_unbatched_and_eval(batch_first):
    tm, nm = twins(batch_first=batch_first)
    x, _, _ = mha_inputs(batch_first)
    params = _params(lambda m: nm if m is numtorch else tm)
    run_both(lambda m, x: (nm if m is numtorch else tm)(x, x, x), [x], (0,), extra=params)
    xu = x[0] if batch_first else x[:, 0]
    run_both(lambda m, x, b: (nm if m is numtorch else tm)(x, x, x, key_padding_mask=b, attn_mask=m.tensor(AMASK3[:NH, :, :L])),
             [xu, KPM[0, :L].copy()], (0,), extra=params)
    tm.eval(), nm.eval()   # torch's inference fast path
    with torch.no_grad(), numtorch.no_grad():
        run_both(lambda m, x, b: (nm if m is numtorch else tm)(x, x, x, key_padding_mask=b), [x, KPM[:, :L].copy()],
                 ())
        run_both(lambda m, x: (nm if m is numtorch else tm)(x, x, x, attn_mask=m.tensor(AMASK[:, :L])), [x], ())


def test_multihead_attention_float32_and_dropout():
    tm, nm = twins(np.float32, dropout=0.0)
    q, k, v = mha_inputs()
    run_both(lambda m, q, k, v: (nm if m is numtorch else tm)(q, k, v), [q, k, v], (0, 1, 2), np.float32)
    nm.dropout = 1.0
    out, w = nm(*(numtorch.tensor(a.astype(np.float32)) for a in (q, k, v)))
    assert not np.any(np_of(w))
    nm.eval()
    out, w = nm(*(numtorch.tensor(a.astype(np.float32)) for a in (q, k, v)))
    assert np.allclose(np_of(w).sum(-1), 1, atol=1e-6)


def test_functional_multi_head_attention_forward():
    tm, _ = twins()
    q, k, v = mha_inputs()
    def fn(m, q, k, v, w, b, ow, ob):
        return m.nn.functional.multi_head_attention_forward(q, k, v, E, NH, w, b, None, None, False, 0.0, ow, ob,
                                                            training=True, attn_mask=m.tensor(AMASK))
    sd = {k_: np_of(t) for k_, t in tm.state_dict().items()}
    run_both(fn, [q, k, v, sd["in_proj_weight"], sd["in_proj_bias"], sd["out_proj.weight"], sd["out_proj.bias"]],
             tuple(range(7)))


def test_second_derivatives_match_torch():
    """torch's need_weights path is composed of differentiable ops, so its grad-of-grad exists."""
    tm, nm = twins()
    q, k, v = mha_inputs()
    res = []
    for mod, m in ((torch, tm), (numtorch, nm)):
        ts = [mod.tensor(a, requires_grad=True) for a in (q, k, v)]
        out, w = m(*ts, attn_mask=mod.tensor(AMASK))
        grads = mod.autograd.grad((out ** 2).sum() + (w ** 2).sum(), ts, create_graph=True)
        res.append(mod.autograd.grad(sum((g ** 2).sum() for g in grads), ts + [m.in_proj_weight]))
    for a, b in zip(res[1], res[0]):
        close(a, b, np.float64, "grad-of-grad")


def test_second_derivatives():
    _, nm = twins()
    q, k, v = (numtorch.tensor(a[:2, :1], requires_grad=True) for a in mha_inputs())
    assert numtorch.autograd.gradgradcheck(lambda q, k, v: nm(q, k, v, need_weights=False)[0], (q, k, v))


def test_defaults_and_init():
    m = numtorch.nn.MultiheadAttention(6, 3, add_bias_kv=True)
    t = torch.nn.MultiheadAttention(6, 3, add_bias_kv=True)
    assert [(k, tuple(p.shape)) for k, p in m.named_parameters()] == \
        [(k, tuple(p.shape)) for k, p in t.named_parameters()]
    assert not np.any(np_of(m.in_proj_bias)) and not np.any(np_of(m.out_proj.bias))
    bound = np.sqrt(6 / (6 + 18))
    assert np.all(np.abs(np_of(m.in_proj_weight)) <= bound)
    assert m.head_dim == 2 and m._qkv_same_embed_dim and not m.batch_first
    assert type(m.out_proj).__name__ == "NonDynamicallyQuantizableLinear"


@pytest.mark.parametrize("expr", [
    lambda nn, t: nn.MultiheadAttention(8, 3),
    lambda nn, t: nn.MultiheadAttention(0, 2),
    lambda nn, t: nn.MultiheadAttention(8, 2)(t.randn(3, 2, 8), t.randn(4, 2, 8), t.randn(4, 2, 8),
                                              key_padding_mask=t.zeros(2, 3, dtype=t.bool)),
    lambda nn, t: nn.MultiheadAttention(8, 2)(t.randn(3, 2, 8), t.randn(4, 2, 8), t.randn(4, 2, 8),
                                              attn_mask=t.zeros(3, 3)),
    lambda nn, t: nn.MultiheadAttention(8, 2)(t.randn(3, 2, 8), t.randn(4, 2, 8), t.randn(4, 2, 8),
                                              attn_mask=t.zeros(3, 3, 4)),
    lambda nn, t: nn.MultiheadAttention(8, 2)(t.randn(3, 2, 8), t.randn(4, 2, 8), t.randn(4, 2, 8),
                                              attn_mask=t.zeros(3, 4, dtype=t.int64)),
    lambda nn, t: nn.MultiheadAttention(8, 2)(t.randn(3, 2, 8), t.randn(3, 2, 8), t.randn(3, 2, 8), is_causal=True),
    lambda nn, t: nn.MultiheadAttention(8, 2)(t.randn(1, 3, 2, 8), t.randn(1, 3, 2, 8), t.randn(1, 3, 2, 8)),
    lambda nn, t: nn.MultiheadAttention(8, 2)(t.randn(3, 2, 8), t.randn(3, 8), t.randn(3, 8)),
    lambda nn, t: nn.MultiheadAttention(8, 2)(t.randn(3, 2, 8), t.randn(3, 2, 4), t.randn(3, 2, 8)),
    lambda nn, t: nn.MultiheadAttention(8, 2)(t.randn(3, 2, 6), t.randn(3, 2, 6), t.randn(3, 2, 6)),
    lambda nn, t: nn.MultiheadAttention(8, 2)(t.randn(3, 8), t.randn(3, 8), t.randn(3, 8),
                                              key_padding_mask=t.zeros(1, 3, dtype=t.bool)),
    lambda nn, t: nn.MultiheadAttention(8, 2)(t.randn(3, 8), t.randn(3, 8), t.randn(3, 8),
                                              attn_mask=t.zeros(4, 3, 3)),
])
def test_mha_errors(expr):
    with pytest.raises(Exception) as theirs:
        expr(torch.nn, torch)
    with pytest.raises(type(theirs.value)) as ours:
        expr(numtorch.nn, numtorch)
    assert str(ours.value) == str(theirs.value)


def test_mismatched_mask_types_warn():
    m = numtorch.nn.MultiheadAttention(8, 2)
    x = numtorch.randn(3, 2, 8)
    with pytest.warns(UserWarning, match="Support for mismatched key_padding_mask and attn_mask is deprecated"):
        m(x, x, x, key_padding_mask=numtorch.zeros(2, 3, dtype=numtorch.bool), attn_mask=numtorch.zeros(3, 3))
