"""ctc_loss / CTCLoss and multilabel_margin_loss / MultiLabelMarginLoss against torch 2.13: values and
gradients for every reduction, target layout and length type, zero_infinity, edge lengths, large
logits, gradcheck in float64, no double backward (as torch), and torch's errors."""
import numpy as np
import pytest
import torch

import numtorch

TOL = {np.float64: dict(rtol=1e-9, atol=1e-11), np.float32: dict(rtol=2e-5, atol=2e-5)}


def _np(t):
    return t.detach().numpy() if isinstance(t, torch.Tensor) else np.asarray(t.detach()._data)


def _log_softmax(x, axis=-1):
    m = x.max(axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis, keepdims=True))


def compare(fn, lp, dtype=np.float64, seed=3):
    """fn(mod, log_probs) on both libraries: equal values and equal gradients w.r.t. log_probs."""
    outs, ins = [], []
    for mod in (numtorch, torch):
        x = mod.tensor(lp.astype(dtype), requires_grad=True)
        ins.append(x)
        outs.append(fn(mod, x))
    a, b = _np(outs[0]), _np(outs[1])
    assert a.shape == b.shape and a.dtype == b.dtype, (a.shape, b.shape, a.dtype, b.dtype)
    np.testing.assert_allclose(a, b, equal_nan=True, **TOL[dtype])
    assert outs[0].grad_fn.name() == outs[1].grad_fn.name()
    go = np.random.default_rng(seed).standard_normal(b.shape).astype(dtype)
    gn, = numtorch.autograd.grad(outs[0], ins[0], numtorch.tensor(go))
    gt, = torch.autograd.grad(outs[1], ins[1], torch.tensor(go))
    np.testing.assert_allclose(_np(gn), _np(gt), equal_nan=True, err_msg="grad", **TOL[dtype])


rng = np.random.default_rng(0)
T, N, C = 8, 4, 5
LP = _log_softmax(rng.standard_normal((T, N, C)))
# repeated labels (2, 2), a blank-free run, a zero-length target, the longest target
TARGETS = np.array([[1, 2, 2, 0], [3, 1, 4, 4], [0, 0, 0, 0], [4, 3, 2, 1]])
TL = (3, 2, 0, 4)
IL = (8, 6, 5, 7)


def _ctc(targets, il, tl, as_tensors=False, **kw):
    def fn(mod, x):
        i, t = (mod.tensor(il), mod.tensor(tl)) if as_tensors else (il, tl)
        return mod.nn.functional.ctc_loss(x, mod.tensor(targets), i, t, **kw)
    return fn


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("zero_infinity", [False, True])
def test_ctc_padded_targets(reduction, zero_infinity):
    compare(_ctc(TARGETS, IL, TL, reduction=reduction, zero_infinity=zero_infinity), LP)


@pytest.mark.parametrize("as_tensors", [False, True])
def test_ctc_concatenated_targets_and_tensor_lengths(as_tensors):
    flat = np.concatenate([TARGETS[n, :TL[n]] for n in range(N)])
    compare(_ctc(flat, IL, TL, as_tensors), LP)
    compare(_ctc(TARGETS.astype(np.int32), IL, TL, as_tensors, reduction="none"), LP)


def test_ctc_float32_blank_and_large_logits():
    compare(_ctc(TARGETS, IL, TL, blank=0, reduction="sum"), LP, np.float32)
    shifted = np.where(TARGETS == 0, 2, TARGETS)
    compare(_ctc(shifted % 5, IL, TL, blank=0, reduction="none"), LP)
    compare(_ctc(TARGETS % 4, IL, TL, blank=4, reduction="none"), LP)   # blank is the last class
    sharp = _log_softmax(rng.standard_normal((T, N, C)) * 60)           # probabilities near 0 and 1
    compare(_ctc(TARGETS, IL, TL, reduction="none"), sharp)


def test_ctc_infinite_and_edge_lengths():
    # target too long for its input (inf loss: NaN gradients, or zeros with zero_infinity),
    # zero input length with and without a target, blank inside a target
    targets = np.array([[1, 2, 3, 4], [1, 1, 1, 0], [2, 0, 0, 0], [0, 2, 0, 0]])
    for zi in (False, True):
        for red in ("none", "mean", "sum"):
            compare(_ctc(targets, (3, 5, 0, 8), (4, 3, 1, 3), reduction=red, zero_infinity=zi), LP)
    compare(_ctc(targets, (3, 0, 1, 8), (0, 0, 1, 3), reduction="none"), LP)


def test_ctc_unbatched_and_module():
    compare(_ctc(TARGETS[0, :3], (8,), (3,), reduction="none"), LP[:, 0])
    compare(lambda mod, x: mod.nn.functional.ctc_loss(x, mod.tensor(TARGETS[1, :2]), mod.tensor(6),
                                                      mod.tensor(2)), LP[:, 1])
    compare(lambda mod, x: mod.nn.CTCLoss(blank=0, reduction="sum", zero_infinity=True)(
        x, mod.tensor(TARGETS), IL, TL), LP)
    assert repr(numtorch.nn.CTCLoss()) == repr(torch.nn.CTCLoss())


def test_ctc_gradcheck_and_no_double_backward():
    x = numtorch.tensor(rng.standard_normal((5, 2, 4)), requires_grad=True)
    targets = numtorch.tensor([[1, 3], [2, 2]])

    def f(x):   # torch's gradient is the true one once composed with log_softmax
        return numtorch.nn.functional.ctc_loss(x.log_softmax(2), targets, (5, 4), (2, 2), reduction="none")
    assert numtorch.autograd.gradcheck(f, (x,), eps=1e-6, atol=1e-6)
    g, = numtorch.autograd.grad(f(x).sum(), x, create_graph=True)
    with pytest.raises(RuntimeError, match="derivative for aten::_ctc_loss_backward is not implemented"):
        numtorch.autograd.grad(g.sum(), x)


def _err(fn):
    try:
        fn()
    except Exception as e:   # noqa: BLE001 - the exception is what is compared
        return type(e), str(e)
    return None


def _both_raise(fn, same_message=True):
    a, b = _err(lambda: fn(numtorch)), _err(lambda: fn(torch))
    assert a is not None and b is not None, (a, b)
    assert a[0] is b[0], (a, b)
    if same_message:
        assert a[1] == b[1], (a, b)


@pytest.mark.parametrize("case", [
    lambda m, x, t: m.nn.functional.ctc_loss(x, t, (8, 9, 5, 7), TL),            # input length > T
    lambda m, x, t: m.nn.functional.ctc_loss(x, t, IL, (3, 2, 0, 5)),            # target longer than padded width
    lambda m, x, t: m.nn.functional.ctc_loss(x, t, IL, (3, -1, 0, 4)),
    lambda m, x, t: m.nn.functional.ctc_loss(x, t, (8, -1, 5, 7), TL),
    lambda m, x, t: m.nn.functional.ctc_loss(x, t, IL[:3], TL),
    lambda m, x, t: m.nn.functional.ctc_loss(x, t, IL, TL[:3]),
    lambda m, x, t: m.nn.functional.ctc_loss(x, t, IL, TL, blank=5),
    lambda m, x, t: m.nn.functional.ctc_loss(x, t, IL, TL, blank=-1),
    lambda m, x, t: m.nn.functional.ctc_loss(x, t, IL, TL, reduction="avg"),
    lambda m, x, t: m.nn.functional.ctc_loss(x[0, 0], t, IL, TL),
    lambda m, x, t: m.nn.functional.ctc_loss(x[None], t, IL, TL),
    lambda m, x, t: m.nn.functional.ctc_loss(x, t[None], IL, TL),
    lambda m, x, t: m.nn.functional.ctc_loss(x, t[:3], IL, TL),
    lambda m, x, t: m.nn.functional.ctc_loss(x, t.flatten()[:5], IL, TL),
    lambda m, x, t: m.nn.functional.ctc_loss(x[:, :0], t[:0], (), ()),
    lambda m, x, t: m.nn.functional.ctc_loss(x, t, m.tensor(IL).double(), m.tensor(TL)),
    lambda m, x, t: m.nn.functional.ctc_loss(x, t, m.tensor(IL), m.tensor(TL).double()),
    lambda m, x, t: m.nn.functional.ctc_loss(x.int(), t, IL, TL),
])
def test_ctc_errors(case):
    _both_raise(lambda m: case(m, m.tensor(LP), m.tensor(TARGETS)))


def test_ctc_mixed_length_types():
    _both_raise(lambda m: m.nn.functional.ctc_loss(m.tensor(LP), m.tensor(TARGETS), IL, m.tensor(TL)),
                same_message=False)


# ======================================================================================
# multilabel_margin_loss
# ======================================================================================

X = rng.standard_normal((4, 5))
# first -1 ends a row's targets; a row of all targets; a row with none; a repeated target
Y = np.array([[3, 0, -1, 1, 1], [1, 2, 3, 4, 0], [-1, 1, 2, 3, 4], [2, 2, -1, 0, 0]])


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_multilabel_margin(reduction, dtype):
    def fn(mod, x):
        return mod.nn.functional.multilabel_margin_loss(x, mod.tensor(Y), reduction=reduction)
    compare(fn, X, dtype)
    compare(lambda mod, x: mod.nn.functional.multilabel_margin_loss(x, mod.tensor(Y[0]), reduction=reduction),
            X[0], dtype)
    compare(lambda mod, x: mod.nn.MultiLabelMarginLoss(reduction=reduction)(x, mod.tensor(Y)), X, dtype)


def test_multilabel_margin_edges_and_gradcheck():
    compare(lambda mod, x: mod.nn.functional.multilabel_margin_loss(x, mod.tensor(Y[:0])), X[:0])
    compare(lambda mod, x: mod.nn.functional.multilabel_margin_loss(x, mod.tensor(Y[:0]), reduction="none"), X[:0])
    compare(lambda mod, x: mod.nn.functional.multilabel_margin_loss(x, mod.tensor(0), reduction="none"),
            np.array(0.3))
    x = numtorch.tensor(X, requires_grad=True)
    y = numtorch.tensor(Y)
    assert numtorch.autograd.gradcheck(lambda x: numtorch.nn.functional.multilabel_margin_loss(x, y), (x,))
    g, = numtorch.autograd.grad(numtorch.nn.functional.multilabel_margin_loss(x, y), x, create_graph=True)
    with pytest.raises(RuntimeError, match="multilabel_margin_loss_backward is not implemented"):
        numtorch.autograd.grad(g.sum(), x)


@pytest.mark.parametrize("case", [
    lambda m, x, y: m.nn.functional.multilabel_margin_loss(x, y[:2]),
    lambda m, x, y: m.nn.functional.multilabel_margin_loss(x, y + 2),
    lambda m, x, y: m.nn.functional.multilabel_margin_loss(x, y - 1),
    lambda m, x, y: m.nn.functional.multilabel_margin_loss(x, y.float()),
    lambda m, x, y: m.nn.functional.multilabel_margin_loss(x[None], y[None]),
    lambda m, x, y: m.nn.functional.multilabel_margin_loss(x[:, :0], y[:, :0]),
    lambda m, x, y: m.nn.functional.multilabel_margin_loss(x.int(), y),
    lambda m, x, y: m.nn.functional.multilabel_margin_loss(x, y, reduction="avg"),
])
def test_multilabel_margin_errors(case):
    _both_raise(lambda m: case(m, m.tensor(X), m.tensor(Y)))
