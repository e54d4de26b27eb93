"""TransformerEncoderLayer and TransformerEncoder against torch 2.13 with weights copied from
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
pytestmark = pytest.mark.filterwarnings("ignore:The PyTorch API of nested tensors is in prototype stage")

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
    """Call both with input x (and masks in kw as NumPy arrays); compare output, input grad and
    parameter grads."""
    def call(mod, m):
        xi = mod.tensor(x.astype(dtype), requires_grad=grads)
        args = {k: (mod.tensor(v) if isinstance(v, np.ndarray) else v) for k, v in kw.items()}
        return xi, m(xi, **args)
    xt, ot = call(torch, tm)
    xn, on = call(numtorch, nm)
    close(on, ot, dtype, "output")
    if not grads:
        return
    go = np.random.default_rng(4).standard_normal(tuple(ot.shape)).astype(dtype)
    names = [k for k, _ in tm.named_parameters()]
    pt, pn = dict(tm.named_parameters()), dict(nm.named_parameters())
    gt = torch.autograd.grad(ot, [xt] + [pt[k] for k in names], torch.tensor(go))
    gn = numtorch.autograd.grad(on, [xn] + [pn[k] for k in names], numtorch.tensor(go))
    for what, a, b in zip(["input"] + names, gn, gt):
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
