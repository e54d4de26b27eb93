"""TransformerEncoder(Layer), TransformerDecoder(Layer) and Transformer against torch 2.13 with weights copied from
torch's modules: eval mode (torch's fast paths included) and training mode with dropout=0,
outputs and gradients, masks, norm_first, activations, bias=False, the nested-tensor padding of
TransformerEncoder, structure and state_dict keys."""
import warnings

import numpy as np
import pytest
import torch

import numtorch
from tests.nn.util import np_of, nt_state

D, NH, FF, S, N = 8, 2, 16, 5, 3
pytestmark = [pytest.mark.filterwarnings("ignore:The PyTorch API of nested tensors is in prototype stage"),
              pytest.mark.filterwarnings("ignore:Support for mismatched key_padding_mask and attn_mask")]

TOL = {np.float64: dict(rtol=1e-9, atol=1e-10), np.float32: dict(rtol=1e-4, atol=2e-5)}


def close(a, b, dtype, what):
    a, b = np_of(a), np_of(b)
    assert a.shape == b.shape and a.dtype == b.dtype, (what, a.shape, b.shape)
    np.testing.assert_allclose(a, b, err_msg=what, **TOL[dtype])


def twins(build, dtype=np.float64):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tm, nm = build(torch.nn), build(numtorch.nn)
    if dtype == np.float64:
        tm, nm = tm.double(), nm.double()
    with torch.no_grad():   # non-trivial norms and biases
        for k, v in tm.state_dict().items():
            if "norm" in k or "bias" in k:
                v.copy_(torch.linspace(0.5, 1.5, v.numel()).reshape(v.shape))
    nm.load_state_dict(nt_state(tm))
    assert list(nm.state_dict()) == list(tm.state_dict())
    assert repr(nm) == repr(tm)
    return tm, nm


def compare(tm, nm, x, dtype=np.float64, grads=True, **kw):
    """Call both with input x (an array, or a tuple of arrays for several inputs) and masks in kw
    (NumPy arrays); compare output, input grads and parameter grads."""
    xs = x if isinstance(x, tuple) else (x,)

    def call(mod, m):
        xi = [mod.tensor(a.astype(dtype), requires_grad=grads) for a in xs]
        args = {k: (mod.tensor(v) if isinstance(v, np.ndarray) else v) for k, v in kw.items()}
        return xi, m(*xi, **args)
    xt, ot = call(torch, tm)
    xn, on = call(numtorch, nm)
    close(on, ot, dtype, "output")
    if not grads:
        return
    go = np.random.default_rng(4).standard_normal(tuple(ot.shape)).astype(dtype)
    names = [k for k, _ in tm.named_parameters()]
    pt, pn = dict(tm.named_parameters()), dict(nm.named_parameters())
    gt = torch.autograd.grad(ot, xt + [pt[k] for k in names], torch.tensor(go))
    gn = numtorch.autograd.grad(on, xn + [pn[k] for k in names], numtorch.tensor(go))
    for what, a, b in zip([f"input {i}" for i in range(len(xs))] + names, gn, gt):
        close(a, b, dtype, f"grad of {what}")


X = np.random.default_rng(0).standard_normal((S, N, D))
KPM = np.array([[False] * 5, [False, False, False, True, True], [False] * 4 + [True]])
CAUSAL = np.triu(np.full((S, S), -np.inf), 1)


def layer(**kw):
    return lambda nn: nn.TransformerEncoderLayer(D, NH, FF, **kw)


@pytest.mark.parametrize("masks", [{}, {"src_key_padding_mask": KPM}, {"src_mask": CAUSAL, "is_causal": True},
                                   {"src_mask": CAUSAL != 0, "src_key_padding_mask": KPM}])
@pytest.mark.parametrize("kw", [dict(), dict(norm_first=True), dict(activation="gelu", batch_first=True),
                                dict(bias=False, layer_norm_eps=1e-3)], ids=lambda kw: ",".join(kw) or "default")
def test_encoder_layer_training_with_zero_dropout(kw, masks):
    tm, nm = twins(layer(dropout=0.0, **kw))
    x = X.transpose(1, 0, 2).copy() if kw.get("batch_first") else X
    compare(tm, nm, x, **masks)


@pytest.mark.parametrize("masks", [{}, {"src_key_padding_mask": KPM}, {"src_mask": CAUSAL}])
@pytest.mark.parametrize("kw", [dict(batch_first=True), dict(batch_first=True, activation="gelu"),
                                dict(norm_first=True, batch_first=True), dict()], ids=lambda kw: ",".join(kw) or "default")
def test_encoder_layer_eval(kw, masks):
    """Eval mode with dropout 0.1: dropout is off; under no_grad torch takes its fused fast path."""
    tm, nm = twins(layer(**kw))
    tm.eval(), nm.eval()
    x = X.transpose(1, 0, 2).copy() if kw.get("batch_first") else X
    compare(tm, nm, x, **masks)
    with torch.no_grad(), numtorch.no_grad():
        compare(tm, nm, x, grads=False, **masks)


def test_encoder_layer_float32_and_callable_activation():
    tm, nm = twins(lambda nn: nn.TransformerEncoderLayer(D, NH, FF, dropout=0.0, activation=nn.GELU("tanh")),
                   np.float32)
    compare(tm, nm, X, np.float32)
    assert nm.activation_relu_or_gelu == tm.activation_relu_or_gelu == 2
    tm, nm = twins(lambda nn: nn.TransformerEncoderLayer(D, NH, FF, dropout=0.0,
                                                         activation=nn.functional.silu), np.float32)
    compare(tm, nm, X, np.float32, src_key_padding_mask=KPM)
    assert nm.activation_relu_or_gelu == 0


def test_unbatched_input():
    tm, nm = twins(layer(dropout=0.0))
    compare(tm, nm, X[:, 0].copy())
    compare(tm, nm, X[:, 0].copy(), src_mask=CAUSAL)


def test_dropout_is_active_in_training():
    nm = numtorch.nn.TransformerEncoderLayer(D, NH, FF, dropout=0.5)
    x = numtorch.tensor(X.astype(np.float32))
    assert not np.allclose(np_of(nm(x)), np_of(nm(x)))
    nm.eval()
    assert np.allclose(np_of(nm(x)), np_of(nm(x)))


def encoder(**kw):
    def build(nn):
        lay = nn.TransformerEncoderLayer(D, NH, FF, dropout=0.0, batch_first=kw.pop("batch_first", True))
        return nn.TransformerEncoder(lay, 2, norm=nn.LayerNorm(D), **kw)
    return build


@pytest.mark.parametrize("masks", [{}, {"src_key_padding_mask": KPM}, {"mask": CAUSAL}, {"mask": CAUSAL,
                                                                                          "is_causal": True}])
def test_encoder(masks):
    tm, nm = twins(encoder())
    x = X.transpose(1, 0, 2).copy()
    compare(tm, nm, x, **masks)
    tm.eval(), nm.eval()
    with torch.no_grad(), numtorch.no_grad():   # the nested-tensor path: zeros at padded positions
        compare(tm, nm, x, grads=False, **masks)


def test_encoder_without_nested_tensor_and_not_left_aligned():
    kpm = KPM.copy()
    kpm[0, 0] = True                     # padding on the left: torch keeps the padded layout
    for build, mask in [(encoder(enable_nested_tensor=False), KPM), (encoder(), kpm),
                        (encoder(mask_check=False, batch_first=True), KPM)]:
        tm, nm = twins(build)
        tm.eval(), nm.eval()
        with torch.no_grad(), numtorch.no_grad():
            compare(tm, nm, X.transpose(1, 0, 2).copy(), grads=False, src_key_padding_mask=mask)


def test_encoder_nested_tensor_warning_and_structure():
    lay = numtorch.nn.TransformerEncoderLayer(D, NH, FF)
    with pytest.warns(UserWarning, match="enable_nested_tensor is True, but self.use_nested_tensor is False because "
                                         r"encoder_layer.self_attn.batch_first was not True"):
        enc = numtorch.nn.TransformerEncoder(lay, 3)
    assert not enc.use_nested_tensor and len(enc.layers) == 3 and enc.layers[0] is not lay
    assert all(p is not q for p, q in zip(enc.layers[0].parameters(), enc.layers[1].parameters()))
    t_enc = torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(D, NH, FF), 3, enable_nested_tensor=False)
    enc = numtorch.nn.TransformerEncoder(lay, 3, enable_nested_tensor=False)
    assert repr(enc) == repr(t_enc) and list(enc.state_dict()) == list(t_enc.state_dict())


def test_second_derivatives():
    _, nm = twins(layer(dropout=0.0, activation="gelu"))
    x = numtorch.tensor(X[:2, :1], requires_grad=True)
    assert numtorch.autograd.gradgradcheck(lambda x: nm(x, src_key_padding_mask=numtorch.tensor(KPM[1:2, :2])),
                                           (x,))


def test_errors():
    with pytest.raises(RuntimeError, match="activation should be relu/gelu, not tanh"):
        numtorch.nn.TransformerEncoderLayer(D, NH, activation="tanh")
    with pytest.raises(AssertionError, match="embed_dim must be divisible by num_heads"):
        numtorch.nn.TransformerEncoderLayer(D, 3)


# -- decoder and the full model ------------------------------------------------------------------

M = 4                                            # memory (source) length
MEM = np.random.default_rng(1).standard_normal((M, N, D))
MKPM = np.array([[False] * 4, [False, False, True, True], [False, False, False, True]])
MEM_MASK = np.random.default_rng(2).standard_normal((S, M))
bf = (lambda a: a.transpose(1, 0, 2).copy())


def dec_layer(**kw):
    return lambda nn: nn.TransformerDecoderLayer(D, NH, FF, **kw)


DEC_MASKS = [{}, {"tgt_mask": CAUSAL, "tgt_is_causal": True},
             {"tgt_key_padding_mask": KPM, "memory_key_padding_mask": MKPM},
             {"tgt_mask": CAUSAL != 0, "memory_mask": MEM_MASK, "memory_key_padding_mask": MKPM}]


@pytest.mark.parametrize("masks", DEC_MASKS, ids=["none", "causal", "padding", "all"])
@pytest.mark.parametrize("kw", [dict(), dict(norm_first=True), dict(activation="gelu", batch_first=True),
                                dict(bias=False, layer_norm_eps=1e-3, norm_first=True, batch_first=True)],
                         ids=lambda kw: ",".join(kw) or "default")
def test_decoder_layer_training_with_zero_dropout(kw, masks):
    tm, nm = twins(dec_layer(dropout=0.0, **kw))
    inputs = (bf(X), bf(MEM)) if kw.get("batch_first") else (X, MEM)
    compare(tm, nm, inputs, **masks)


@pytest.mark.parametrize("masks", DEC_MASKS[:3], ids=["none", "causal", "padding"])
def test_decoder_layer_eval(masks):
    tm, nm = twins(dec_layer(batch_first=True))
    tm.eval(), nm.eval()
    compare(tm, nm, (bf(X), bf(MEM)), **masks)
    with torch.no_grad(), numtorch.no_grad():    # torch's MHA fast path for the self-attention
        compare(tm, nm, (bf(X), bf(MEM)), grads=False, **masks)


def test_decoder_layer_unbatched_and_float32():
    tm, nm = twins(dec_layer(dropout=0.0, activation=lambda x: x.tanh()), np.float32)
    compare(tm, nm, (X[:, 0].copy(), MEM[:, 0].copy()), np.float32, tgt_mask=CAUSAL.astype(np.float32),
            memory_key_padding_mask=MKPM[1])


def decoder(batch_first=True, **kw):
    return lambda nn: nn.TransformerDecoder(nn.TransformerDecoderLayer(D, NH, FF, dropout=0.0,
                                                                       batch_first=batch_first, **kw),
                                            2, norm=nn.LayerNorm(D))


@pytest.mark.parametrize("masks", [{}, {"tgt_mask": CAUSAL}, {"tgt_mask": CAUSAL != 0, "tgt_key_padding_mask": KPM},
                                   {"tgt_mask": CAUSAL, "tgt_is_causal": False, "memory_mask": MEM_MASK}])
@pytest.mark.parametrize("batch_first", [True, False])
def test_decoder(batch_first, masks):
    """A causal tgt_mask is detected (tgt_is_causal=None) and passed on as the hint."""
    tm, nm = twins(decoder(batch_first))
    inputs = (bf(X), bf(MEM)) if batch_first else (X, MEM)
    compare(tm, nm, inputs, **masks)
    assert len(nm.layers) == 2 and nm.layers[0] is not nm.layers[1]


def test_decoder_copies_drop_a_module_activation_like_torch():
    """torch 2.13's TransformerDecoderLayer.__setstate__ resets a Module activation to relu in
    deep copies (so in every layer of a TransformerDecoder); numtorch computes the same numbers."""
    tm, nm = twins(lambda nn: nn.TransformerDecoder(nn.TransformerDecoderLayer(D, NH, FF, dropout=0.0,
                                                                               activation=nn.GELU()), 1))
    assert nm.layers[0].activation is numtorch.nn.functional.relu
    compare(tm, nm, (X, MEM))


def transformer(**kw):
    return lambda nn: nn.Transformer(D, NH, 2, 2, FF, **{"dropout": 0.0, **kw})


TF_MASKS = [{}, {"src_key_padding_mask": KPM, "tgt_key_padding_mask": KPM[:, :4], "memory_key_padding_mask": KPM},
            {"src_mask": CAUSAL, "tgt_mask": CAUSAL[:4, :4], "memory_mask": MEM_MASK.T.copy()},
            {"tgt_mask": CAUSAL[:4, :4] != 0, "tgt_is_causal": True, "src_is_causal": False}]


@pytest.mark.parametrize("masks", TF_MASKS, ids=["none", "padding", "masks", "causal"])
@pytest.mark.parametrize("kw", [dict(), dict(batch_first=True, norm_first=True),
                                dict(activation="gelu", bias=False)], ids=lambda kw: ",".join(kw) or "default")
def test_transformer(kw, masks):
    tm, nm = twins(transformer(**kw))
    src, tgt = X, X[:4] * 0.5
    inputs = (bf(src), bf(tgt)) if kw.get("batch_first") else (src, tgt)
    compare(tm, nm, inputs, **masks)
    tm.eval(), nm.eval()
    with torch.no_grad(), numtorch.no_grad():
        compare(tm, nm, inputs, grads=False, **masks)


def test_transformer_unbatched():
    tm, nm = twins(transformer())
    compare(tm, nm, (X[:, 1].copy(), X[:3, 2].copy()), src_key_padding_mask=KPM[1])


@pytest.mark.parametrize("kw", [dict(), dict(batch_first=True), dict(norm_first=True, batch_first=True)],
                         ids=lambda kw: ",".join(kw) or "default")
def test_seeded_init_and_dropout_masks_match_torch(kw):
    """Under one manual_seed, numtorch draws torch's initial parameters bit for bit, and in training
    mode torch's dropout masks (attention weights, residual and feed-forward dropouts)."""
    def run(mod):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            mod.manual_seed(3)
            m = mod.nn.Transformer(D, NH, 1, 2, FF, dropout=0.3, **kw)
        src, tgt = (bf(X), bf(X[:4])) if kw.get("batch_first") else (X, X[:4])
        mask = mod.nn.Transformer.generate_square_subsequent_mask(4)
        mod.manual_seed(7)
        out = m(mod.tensor(src.astype(np.float32)), mod.tensor(tgt.astype(np.float32)), tgt_mask=mask,
                memory_key_padding_mask=mod.tensor(KPM))
        return m.state_dict(), out
    (ts, to), (ns, no) = run(torch), run(numtorch)
    assert list(ts) == list(ns)
    for k in ts:
        assert np.array_equal(np_of(ns[k]), np_of(ts[k])), k
    close(no, to, np.float32, "output with dropout")


def test_generate_square_subsequent_mask():
    for dtype in (None, "float64"):
        t = torch.nn.Transformer.generate_square_subsequent_mask(4, dtype=dtype and getattr(torch, dtype))
        n = numtorch.nn.Transformer.generate_square_subsequent_mask(4, dtype=dtype and getattr(numtorch, dtype))
        assert np.array_equal(np_of(n), np_of(t)) and np_of(n).dtype == np_of(t).dtype


def test_custom_encoder_decoder_and_attributes():
    def build(nn):
        enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(D, NH, FF, dropout=0.0), 1, enable_nested_tensor=False)
        dec = nn.TransformerDecoder(nn.TransformerDecoderLayer(D, NH, FF, dropout=0.0, norm_first=True), 1)
        return nn.Transformer(D, NH, custom_encoder=enc, custom_decoder=dec, dropout=0.0)
    tm, nm = twins(build)
    assert (nm.d_model, nm.nhead, nm.batch_first) == (D, NH, False)
    compare(tm, nm, (X, X[:3]), tgt_mask=CAUSAL[:3, :3])


def test_transformer_structure_and_warning():
    with pytest.warns(UserWarning, match="encoder_layer.self_attn.batch_first was not True"):
        nm = numtorch.nn.Transformer(D, NH, 1, 1, FF)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tm = torch.nn.Transformer(D, NH, 1, 1, FF)
    assert repr(nm) == repr(tm) and list(nm.state_dict()) == list(tm.state_dict())
    assert [tuple(p.shape) for p in nm.parameters()] == [tuple(p.shape) for p in tm.parameters()]


def test_decoder_second_derivatives():
    _, nm = twins(dec_layer(dropout=0.0, activation="gelu", norm_first=True))
    x = numtorch.tensor(X[:2, :1], requires_grad=True)
    mem = numtorch.tensor(MEM[:3, :1], requires_grad=True)
    assert numtorch.autograd.gradgradcheck(lambda x, m: nm(x, m, tgt_mask=numtorch.tensor(CAUSAL[:2, :2])),
                                           (x, mem))


@pytest.mark.parametrize("expr", [
    lambda nn, t: nn.Transformer(D, NH, 1, 1, FF)(t.zeros(5, 2, D), t.zeros(4, 3, D)),
    lambda nn, t: nn.Transformer(D, NH, 1, 1, FF, batch_first=True)(t.zeros(2, 5, D), t.zeros(3, 4, D)),
    lambda nn, t: nn.Transformer(D, NH, 1, 1, FF)(t.zeros(5, 2, D), t.zeros(4, 2, D + 1)),
    lambda nn, t: nn.TransformerDecoderLayer(D, NH, activation="tanh"),
    lambda nn, t: nn.TransformerDecoderLayer(D, 3),
    lambda nn, t: nn.TransformerDecoderLayer(D, NH, FF)(t.zeros(5, 2, D), t.zeros(4, 2, D), tgt_is_causal=True),
])
def test_errors_match_torch(expr):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(Exception) as theirs:
            expr(torch.nn, torch)
        with pytest.raises(type(theirs.value)) as ours:
            expr(numtorch.nn, numtorch)
    assert str(ours.value) == str(theirs.value)
