"""Loss functions and their modules against torch 2.13: values and gradients for every reduction,
weights, ignore_index, label smoothing, probability targets, K-dim inputs, large logits, the
legacy size_average / reduce flags, grad-of-grad (op table) and torch's errors."""
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given

import numtorch
from tests.optable import Row, check_row, fixed

REDUCTIONS = ("none", "mean", "sum")
TOL = {np.float64: dict(rtol=1e-9, atol=1e-11), np.float32: dict(rtol=2e-5, atol=2e-6)}


def _np(t):
    return t.detach().numpy() if isinstance(t, torch.Tensor) else np.asarray(t.detach()._data)


def run_both(fn, arrays, grad=(0,), dtype=np.float64):
    """fn(mod, *tensors) on numtorch and torch with the same inputs; compare the outputs and the
    gradients of the inputs listed in `grad` (a random grad_output)."""
    outs, ins = [], []
    for mod in (numtorch, torch):
        ts = [mod.tensor(a) if a.dtype.kind in "iub" else
              mod.tensor(a.astype(dtype), requires_grad=i in grad) for i, a in enumerate(arrays)]
        ins.append(ts)
        outs.append(fn(mod, *ts))
    ours, theirs = outs
    a, b = _np(ours), _np(theirs)
    assert a.shape == b.shape and a.dtype == b.dtype, (a.shape, b.shape, a.dtype, b.dtype)
    np.testing.assert_allclose(a, b, equal_nan=True, **TOL[dtype])
    if not theirs.requires_grad:
        return ours, theirs
    go = np.random.default_rng(5).standard_normal(b.shape).astype(dtype)
    gn = numtorch.autograd.grad(ours, [ins[0][i] for i in grad], numtorch.tensor(go), allow_unused=True)
    gt = torch.autograd.grad(theirs, [ins[1][i] for i in grad], torch.tensor(go), allow_unused=True)
    for i, x, y in zip(grad, gn, gt):
        if y is None:
            assert x is None or not np.any(_np(x)), f"grad {i}"
            continue
        assert x is not None, f"no grad for input {i}"
        np.testing.assert_allclose(_np(x), _np(y), equal_nan=True, err_msg=f"grad {i}", **TOL[dtype])
    return ours, theirs


rng = np.random.default_rng(0)
X = rng.standard_normal((3, 5))
Y = rng.standard_normal((3, 5))
P = rng.uniform(0.05, 0.95, (3, 5))
Q = rng.uniform(0.0, 1.0, (3, 5))
SIGNS = np.where(rng.standard_normal((3, 5)) > 0, 1.0, -1.0)
ROW_SIGNS = np.array([1.0, -1.0, 1.0])
W5 = rng.uniform(0.5, 2.0, 5)
W3x5 = rng.uniform(0.5, 2.0, (3, 5))
T3 = np.array([1, 0, 4])
T3_IGN = np.array([1, -100, 4])
LOGP = np.log(rng.dirichlet(np.ones(5), 3))
PROBS = rng.dirichlet(np.ones(5), 3)
X4 = rng.standard_normal((2, 3, 4, 2))
T4 = rng.integers(0, 3, (2, 4, 2))
X3 = rng.standard_normal((2, 3, 4))
T3D = rng.integers(0, 3, (2, 4))
X5 = rng.standard_normal((2, 3, 2, 2, 2))
T5 = rng.integers(0, 3, (2, 2, 2, 2))
TK_IGN = T4.copy()
TK_IGN[0, 0, 0] = 2
TK_IGN[1, 1, 1] = 2
SPREAD = np.linspace(-3, 3, 15).reshape(3, 5) + 0.01   # differences on both sides of beta/delta


def F(m):
    return m.nn.functional


# (name, fn(mod, *tensors, reduction), arrays, differentiable positions)
CASES = [
    ("mse", lambda m, x, y, r: F(m).mse_loss(x, y, reduction=r), [X, Y], (0, 1)),
    ("mse_weight", lambda m, x, y, w, r: F(m).mse_loss(x, y, reduction=r, weight=w), [X, Y, W3x5], (0, 1, 2)),
    ("l1", lambda m, x, y, r: F(m).l1_loss(x, y, reduction=r), [X, Y], (0, 1)),
    ("l1_weight", lambda m, x, y, w, r: F(m).l1_loss(x, y, reduction=r, weight=w), [X, Y, W3x5], (0, 1, 2)),
    ("smooth_l1", lambda m, x, y, r: F(m).smooth_l1_loss(x, y, reduction=r), [SPREAD, Y * 0.1], (0, 1)),
    ("smooth_l1_beta", lambda m, x, y, r: F(m).smooth_l1_loss(x, y, reduction=r, beta=0.5), [SPREAD, Y * 0.1],
     (0, 1)),
    ("smooth_l1_beta0", lambda m, x, y, r: F(m).smooth_l1_loss(x, y, reduction=r, beta=0.0), [X, Y], (0, 1)),
    ("huber", lambda m, x, y, r: F(m).huber_loss(x, y, reduction=r), [SPREAD, Y * 0.1], (0, 1)),
    ("huber_delta", lambda m, x, y, r: F(m).huber_loss(x, y, reduction=r, delta=2.0), [SPREAD, Y * 0.1], (0, 1)),
    ("huber_weight", lambda m, x, y, w, r: F(m).huber_loss(x, y, reduction=r, weight=w), [SPREAD, Y, W3x5],
     (0, 1, 2)),
    ("soft_margin", lambda m, x, y, r: F(m).soft_margin_loss(x, y, reduction=r), [X, SIGNS], (0,)),
    ("bce", lambda m, x, y, r: F(m).binary_cross_entropy(x, y, reduction=r), [P, Q], (0, 1)),
    ("bce_weight", lambda m, x, y, w, r: F(m).binary_cross_entropy(x, y, w, reduction=r), [P, Q, W5], (0, 1)),
    ("bce_logits", lambda m, x, y, r: F(m).binary_cross_entropy_with_logits(x, y, reduction=r), [X * 3, Q],
     (0, 1)),
    ("bce_logits_weights", lambda m, x, y, w, pw, r: F(m).binary_cross_entropy_with_logits(
        x, y, w, reduction=r, pos_weight=pw), [X * 3, Q, W5, W5[::-1].copy()], (0, 1)),
    ("nll", lambda m, x, t, r: F(m).nll_loss(x, t, reduction=r), [LOGP, T3], (0,)),
    ("nll_weight_ignore", lambda m, x, t, w, r: F(m).nll_loss(x, t, w, reduction=r), [LOGP, T3_IGN, W5], (0,)),
    ("nll_ignore_index", lambda m, x, t, r: F(m).nll_loss(x, t, reduction=r, ignore_index=4), [LOGP, T3], (0,)),
    ("nll_1d", lambda m, x, t, r: F(m).nll_loss(x, t, reduction=r), [LOGP[0], np.array(2)], (0,)),
    ("nll_4d", lambda m, x, t, w, r: F(m).nll_loss(x, t, w, reduction=r, ignore_index=2), [X4, TK_IGN, W5[:3]],
     (0,)),
    ("nll_3d", lambda m, x, t, r: F(m).nll_loss(x, t, reduction=r), [X3, T3D], (0,)),
    ("nll_5d", lambda m, x, t, r: F(m).nll_loss(x, t, reduction=r), [X5, T5], (0,)),
    ("ce", lambda m, x, t, r: F(m).cross_entropy(x, t, reduction=r), [X, T3], (0,)),
    ("ce_weight_ignore", lambda m, x, t, w, r: F(m).cross_entropy(x, t, w, reduction=r), [X, T3_IGN, W5], (0,)),
    ("ce_smoothing", lambda m, x, t, r: F(m).cross_entropy(x, t, reduction=r, label_smoothing=0.2), [X, T3_IGN],
     (0,)),
    ("ce_smoothing_weight", lambda m, x, t, w, r: F(m).cross_entropy(x, t, w, reduction=r, label_smoothing=0.3),
     [X, T3_IGN, W5], (0,)),
    ("ce_probs", lambda m, x, t, r: F(m).cross_entropy(x, t, reduction=r), [X, PROBS], (0, 1)),
    ("ce_probs_weight_smoothing", lambda m, x, t, w, r: F(m).cross_entropy(x, t, w, reduction=r,
                                                                          label_smoothing=0.1),
     [X, PROBS, W5], (0, 1)),
    ("ce_4d_smoothing", lambda m, x, t, w, r: F(m).cross_entropy(x, t, w, reduction=r, ignore_index=2,
                                                                label_smoothing=0.15), [X4, TK_IGN, W5[:3]], (0,)),
    ("ce_3d", lambda m, x, t, r: F(m).cross_entropy(x, t, reduction=r), [X3, T3D], (0,)),
    ("ce_1d", lambda m, x, t, r: F(m).cross_entropy(x, t, reduction=r), [X[0], np.array(3)], (0,)),
    ("ce_1d_probs", lambda m, x, t, r: F(m).cross_entropy(x, t, reduction=r), [X[0], PROBS[0]], (0, 1)),
    ("kl_div", lambda m, x, t, r: F(m).kl_div(x, t, reduction=r), [LOGP, Q], (0, 1)),
    ("kl_div_log_target", lambda m, x, t, r: F(m).kl_div(x, t, reduction=r, log_target=True), [LOGP, X], (0, 1)),
    ("poisson", lambda m, x, t, r: F(m).poisson_nll_loss(x, t, reduction=r), [X, Q * 3], (0, 1)),
    ("poisson_full", lambda m, x, t, r: F(m).poisson_nll_loss(x, t, reduction=r, full=True), [X, Q * 3], (0, 1)),
    ("poisson_rate", lambda m, x, t, r: F(m).poisson_nll_loss(x, t, log_input=False, reduction=r), [P, Q * 3],
     (0, 1)),
    ("gaussian", lambda m, x, t, v, r: F(m).gaussian_nll_loss(x, t, v, reduction=r), [X, Y, P], (0, 1, 2)),
    ("gaussian_full_short_var", lambda m, x, t, v, r: F(m).gaussian_nll_loss(x, t, v, full=True, reduction=r),
     [X, Y, P[:, 0].copy()], (0, 1, 2)),
    ("gaussian_bcast_var", lambda m, x, t, v, r: F(m).gaussian_nll_loss(x, t, v, reduction=r),
     [X, Y, P[:, :1].copy()], (0, 1, 2)),
    ("gaussian_float_var", lambda m, x, t, r: F(m).gaussian_nll_loss(x, t, 0.7, reduction=r), [X, Y], (0, 1)),
    ("cosine_embedding", lambda m, a, b, t, r: F(m).cosine_embedding_loss(a, b, t, margin=0.1, reduction=r),
     [X, Y, ROW_SIGNS], (0, 1)),
    ("cosine_embedding_1d", lambda m, a, b, t, r: F(m).cosine_embedding_loss(a, b, t, reduction=r),
     [X[0], Y[0], np.array(-1.0)], (0, 1)),
    ("margin_ranking", lambda m, a, b, t, r: F(m).margin_ranking_loss(a, b, t, margin=0.3, reduction=r),
     [X[0], Y[0], SIGNS[0]], (0, 1, 2)),
    ("hinge_embedding", lambda m, x, t, r: F(m).hinge_embedding_loss(x, t, margin=0.5, reduction=r), [X, SIGNS],
     (0,)),
    ("triplet", lambda m, a, p, n, r: F(m).triplet_margin_loss(a, p, n, reduction=r), [X, Y, X + Y * 0.5],
     (0, 1, 2)),
    ("triplet_p1_swap", lambda m, a, p, n, r: F(m).triplet_margin_loss(a, p, n, margin=2.0, p=1, swap=True,
                                                                       reduction=r), [X, Y, X + Y * 0.5], (0, 1, 2)),
    ("triplet_with_distance", lambda m, a, p, n, r: F(m).triplet_margin_with_distance_loss(
        a, p, n, distance_function=lambda u, v: 1 - F(m).cosine_similarity(u, v), swap=True, reduction=r),
     [X, Y, X + Y * 0.5], (0, 1, 2)),
    ("multilabel_soft_margin", lambda m, x, t, w, r: F(m).multilabel_soft_margin_loss(x, t, w, reduction=r),
     [X, Q, W5], (0, 1)),
    ("multi_margin", lambda m, x, t, r: F(m).multi_margin_loss(x, t, reduction=r), [X, T3], (0,)),
    ("multi_margin_p2_weight", lambda m, x, t, w, r: F(m).multi_margin_loss(x, t, p=2, margin=0.7, weight=w,
                                                                            reduction=r), [X, T3, W5], (0,)),
    ("multi_margin_1d", lambda m, x, t, r: F(m).multi_margin_loss(x, t, reduction=r), [X[0], np.array(2)], (0,)),
]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_loss_values_and_gradients(case, reduction):
    name, fn, arrays, grad = case
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run_both(lambda m, *ts: fn(m, *ts, reduction), arrays, grad)


@pytest.mark.parametrize("case", [c for c in CASES if c[0] in ("mse", "ce_weight_ignore", "bce_logits_weights",
                                                                "nll_4d", "ce_probs", "huber", "smooth_l1",
                                                                "triplet", "gaussian")], ids=lambda c: c[0])
def test_float32(case):
    name, fn, arrays, grad = case
    run_both(lambda m, *ts: fn(m, *ts, "mean"), arrays, grad, dtype=np.float32)


@pytest.mark.parametrize("fn", [
    lambda m, x, y: F(m).pairwise_distance(x, y),
    lambda m, x, y: F(m).pairwise_distance(x, y, p=1.0, eps=1e-3, keepdim=True),
    lambda m, x, y: F(m).pairwise_distance(x, y[0]),
    lambda m, x, y: F(m).cosine_similarity(x, y),
    lambda m, x, y: F(m).cosine_similarity(x, y[:1], dim=-1),
    lambda m, x, y: F(m).cosine_similarity(x, y * 0, dim=0, eps=1e-3),
])
def test_distances(fn):
    run_both(fn, [X, Y], (0, 1))


def test_kl_div_batchmean_and_its_warning_for_mean():
    run_both(lambda m, x, t: F(m).kl_div(x, t, reduction="batchmean"), [LOGP, Q], (0, 1))
    with pytest.warns(UserWarning, match="'batchmean' divides only by the batch size"):
        F(numtorch).kl_div(numtorch.tensor(LOGP), numtorch.tensor(Q))


def test_large_logits_are_stable_and_silent():
    big = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 5e3]], np.float32)
    t = np.array([1, 1])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for fn, arrays, grad in [
            (lambda m, x, t: F(m).cross_entropy(x, t), [big, t], (0,)),
            (lambda m, x, t: F(m).cross_entropy(x, t, label_smoothing=0.1), [big, t], (0,)),
            (lambda m, x, t: F(m).cross_entropy(x, t, reduction="sum"), [big, np.eye(3)[[0, 2]]], (0,)),
            (lambda m, x, t: F(m).binary_cross_entropy_with_logits(x, t), [big, np.ones_like(big)], (0,)),
            (lambda m, x, t: F(m).binary_cross_entropy_with_logits(x, t, pos_weight=m.tensor([2.0, 1, 3])),
             [big, np.zeros_like(big)], (0,)),
            (lambda m, x, t: F(m).multilabel_soft_margin_loss(x, t), [big, np.ones_like(big)], (0,)),
        ]:
            ours, _ = run_both(fn, arrays, grad, dtype=np.float32)
            assert np.isfinite(_np(ours)).all()


def test_soft_margin_loss_does_not_overflow():
    """torch computes log1p(exp(-y x)) and gives inf (and NaN gradients) past float range;
    numtorch returns the finite value."""
    x = numtorch.tensor([-1000.0, 1000.0], requires_grad=True)
    loss = F(numtorch).soft_margin_loss(x, numtorch.tensor([1.0, 1.0]), reduction="sum")
    loss.backward()
    assert np.allclose(loss.item(), 1000.0) and np.allclose(_np(x.grad), [-1.0, 0.0])


def test_bce_clamps_its_logs_at_minus_100():
    x = np.array([0.0, 1.0, 1e-300, 1 - 1e-12, 0.5])
    t = np.array([0.3, 0.3, 0.3, 0.3, 0.0])
    run_both(lambda m, a, b: F(m).binary_cross_entropy(a, b, reduction="none"), [x, t], ())


def test_nll_all_ignored_and_empty_batches():
    run_both(lambda m, x, t: F(m).nll_loss(x, t), [LOGP, np.array([-100, -100, -100])], (0,))
    run_both(lambda m, x, t: F(m).cross_entropy(x, t), [np.zeros((0, 5)), np.zeros(0, np.int64)], (0,))
    run_both(lambda m, x, t: F(m).mse_loss(x, t), [np.zeros((0, 5)), np.zeros((0, 5))], (0,))


def test_negative_label_smoothing_means_none_for_class_targets():
    run_both(lambda m, x, t: F(m).cross_entropy(x, t, label_smoothing=-0.2), [X, T3], (0,))
    run_both(lambda m, x, t: F(m).cross_entropy(x, t, label_smoothing=-0.2), [X, PROBS], (0, 1))


def test_byte_targets():
    run_both(lambda m, x, t: F(m).nll_loss(x, t), [LOGP, T3.astype(np.uint8)], (0,))


@pytest.mark.parametrize("kwargs", [dict(size_average=False), dict(reduce=False), dict(size_average=True, reduce=True)])
def test_legacy_size_average_and_reduce(kwargs):
    for fn, arrays in [(lambda m, x, t: F(m).mse_loss(x, t, **kwargs), [X, Y]),
                       (lambda m, x, t: F(m).cross_entropy(x, t, **kwargs), [X, T3]),
                       (lambda m, x, t: F(m).kl_div(x, t, **kwargs), [LOGP, Q]),
                       (lambda m, x, t: F(m).binary_cross_entropy(x, t, **kwargs), [P, Q])]:
        with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated"):
            run_both(fn, arrays, (0,))
    with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated"):
        loss = numtorch.nn.MSELoss(**kwargs)
        theirs = torch.nn.MSELoss(**kwargs)
    assert loss.reduction == theirs.reduction


def test_mse_broadcast_warning_and_values():
    with pytest.warns(UserWarning, match=r"Using a target size \(torch.Size\(\[5\]\)\) that is different"):
        run_both(lambda m, x, t: F(m).mse_loss(x, t), [X, Y[0]], (0, 1))


@pytest.mark.parametrize("expr", [
    lambda m: F(m).nll_loss(m.tensor(LOGP), m.tensor([0, 1, 5])),
    lambda m: F(m).nll_loss(m.tensor(LOGP), m.tensor([0, -1, 2])),
    lambda m: F(m).cross_entropy(m.tensor(X), m.tensor([0, 1, 9])),
    lambda m: F(m).nll_loss(m.tensor(LOGP), m.tensor([0, 1, 2], dtype=m.int32)),
    lambda m: F(m).nll_loss(m.tensor(LOGP), m.tensor([0.0, 1.0, 2.0])),
    lambda m: F(m).nll_loss(m.tensor(LOGP), m.tensor([0, 1])),
    lambda m: F(m).nll_loss(m.tensor(1.0), m.tensor(0)),
    lambda m: F(m).nll_loss(m.tensor(LOGP), m.tensor([[0], [1], [2]])),
    lambda m: F(m).nll_loss(m.tensor(LOGP), m.tensor([0, 1, 2]), weight=m.ones(3)),
    lambda m: F(m).nll_loss(m.tensor(LOGP[0]), m.tensor([0, 1])),
    lambda m: F(m).nll_loss(m.tensor(X3), m.tensor(T3D[:, :3])),
    lambda m: F(m).nll_loss(m.tensor(X4), m.tensor(T4[:, :, :1])),
    lambda m: F(m).nll_loss(m.tensor(X4), m.tensor(T4[0])),
    lambda m: F(m).nll_loss(m.tensor(X5), m.tensor(T5[:, :1])),
    lambda m: F(m).nll_loss(m.tensor(LOGP), m.tensor(T3), reduction="avg"),
    lambda m: F(m).nll_loss(m.tensor(LOGP), m.tensor(T3), weight=m.ones(5, requires_grad=True)),
    lambda m: F(m).cross_entropy(m.tensor(X), m.tensor(T3), label_smoothing=1.5),
    lambda m: F(m).cross_entropy(m.tensor(X), m.tensor(PROBS), label_smoothing=1.5),
    lambda m: F(m).cross_entropy(m.tensor(X), m.zeros(3, 5, dtype=m.int64)),
    lambda m: F(m).cross_entropy(m.tensor(X), m.tensor(PROBS), ignore_index=1),
    lambda m: F(m).mse_loss(m.tensor(X), m.tensor(Y), reduction="foo"),
    lambda m: F(m).mse_loss(m.tensor(X), m.tensor(Y[:, :2])),
    lambda m: F(m).mse_loss(m.tensor(X), m.tensor(Y), weight=m.ones(5)),
    lambda m: F(m).binary_cross_entropy(m.tensor([1.5]), m.tensor([1.0])),
    lambda m: F(m).binary_cross_entropy(m.tensor([0.5]), m.tensor([-0.5])),
    lambda m: F(m).binary_cross_entropy(m.tensor([0.5, 0.5]), m.tensor([[1.0, 0.0]])),
    lambda m: F(m).binary_cross_entropy(m.tensor(P), m.tensor(Q), weight=m.ones(5, requires_grad=True)),
    lambda m: F(m).binary_cross_entropy_with_logits(m.tensor([0.5, 0.5]), m.tensor([[1.0, 0.0]])),
    lambda m: F(m).binary_cross_entropy_with_logits(m.tensor(X), m.tensor(Q), pos_weight=m.ones(5,
                                                                                                 requires_grad=True)),
    lambda m: F(m).soft_margin_loss(m.tensor(X), m.tensor(SIGNS, requires_grad=True)),
    lambda m: F(m).smooth_l1_loss(m.tensor(X), m.tensor(Y), beta=-1.0),
    lambda m: F(m).huber_loss(m.tensor(X), m.tensor(Y), delta=0.0),
    lambda m: F(m).gaussian_nll_loss(m.tensor(X), m.tensor(Y), m.ones(3, 2)),
    lambda m: F(m).gaussian_nll_loss(m.tensor(X), m.tensor(Y), -m.ones(3, 5)),
    lambda m: F(m).gaussian_nll_loss(m.tensor(X), m.tensor(Y), -1.0),
    lambda m: F(m).gaussian_nll_loss(m.tensor(X), m.tensor(Y), m.ones(3, 5), reduction="avg"),
    lambda m: F(m).cosine_embedding_loss(m.tensor(X), m.tensor(Y), m.ones(3, 1)),
    lambda m: F(m).cosine_embedding_loss(m.tensor(X), m.tensor(Y), m.tensor(1.0)),
    lambda m: F(m).margin_ranking_loss(m.tensor(X), m.tensor(Y), m.ones(3)),
    lambda m: F(m).triplet_margin_loss(m.tensor(X), m.tensor(Y), m.tensor(X[0])),
    lambda m: F(m).triplet_margin_loss(m.tensor(X), m.tensor(Y), m.tensor(X), margin=0.0),
    lambda m: F(m).multi_margin_loss(m.tensor(X), m.tensor([0, 1, 5])),
    lambda m: F(m).multi_margin_loss(m.tensor(X), m.tensor([0, 1])),
    lambda m: F(m).multi_margin_loss(m.tensor(X), m.tensor(T3), p=3),
    lambda m: F(m).multi_margin_loss(m.tensor(X3), m.tensor([0, 1])),
    lambda m: F(m).poisson_nll_loss(m.tensor(X), m.tensor(Y), reduction="avg"),
    lambda m: F(m).cosine_similarity(m.tensor([1, 2]), m.tensor([3, 4])),
])
@pytest.mark.filterwarnings("ignore:Using a target size")
def test_errors_match_torch(expr):
    with pytest.raises(Exception) as theirs:
        expr(torch)
    with pytest.raises(type(theirs.value)) as ours:
        expr(numtorch)
    assert str(ours.value) == str(theirs.value)


def test_grad_fn_names():
    x = numtorch.tensor(X, requires_grad=True)
    t = numtorch.tensor(T3)
    xt = torch.tensor(X, requires_grad=True)
    tt = torch.tensor(T3)
    for fn, args in [(lambda m, x, t: F(m).cross_entropy(x, t), (T3,)),
                     (lambda m, x, y: F(m).mse_loss(x, y), (Y,)),
                     (lambda m, x, y: F(m).smooth_l1_loss(x, y), (Y,)),
                     (lambda m, x, y: F(m).huber_loss(x, y), (Y,)),
                     (lambda m, x, y: F(m).binary_cross_entropy_with_logits(x, y), (Q,)),
                     (lambda m, x, y: F(m).binary_cross_entropy(x.sigmoid(), y), (Q,)),
                     (lambda m, x, y: F(m).soft_margin_loss(x, y), (SIGNS,)),
                     (lambda m, x, y: F(m).l1_loss(x, y), (Y,)),
                     (lambda m, x, t: F(m).multi_margin_loss(x, t), (T3,)),
                     (lambda m, x, t: F(m).cross_entropy(x, t, label_smoothing=0.1), (T3,))]:
        ours = fn(numtorch, x, *(numtorch.tensor(a) for a in args))
        theirs = fn(torch, xt, *(torch.tensor(a) for a in args))
        assert ours.grad_fn.name() == theirs.grad_fn.name()
    assert F(numtorch).nll_loss(numtorch.tensor(X4, requires_grad=True), numtorch.tensor(T4)).grad_fn.name() == \
        "NllLoss2DBackward0"
    assert F(numtorch).cross_entropy(x, t).grad_fn.next_functions[0][0].name() == "LogSoftmaxBackward0"
    del tt


# -- second derivatives through the op table ------------------------------------------------

def _bce_domain(arrays):
    return [np.clip(np.abs(a) / 2.2, 0.05, 0.95) for a in arrays]


def _spread_first(arrays):
    return [np.linspace(-2.1, 2.3, arrays[0].size).reshape(arrays[0].shape)] + list(arrays[1:])


def nl(f):
    """f followed by a square, so the grad-of-grad also exercises the rule on recorded Tensors."""
    return lambda m, *xs: f(m, *xs) ** 2


GG = fixed(((3, 4), (3, 4)))
ROWS = [
    Row("mse_loss", nl(lambda m, x, y: F(m).mse_loss(x, y)), GG),
    Row("mse_loss_none", lambda m, x, y: F(m).mse_loss(x, y, reduction="none").sin(), GG),
    Row("smooth_l1", nl(lambda m, x, y: F(m).smooth_l1_loss(x, y, beta=0.7)), GG, avoid=_spread_first,
        gradcheck=False),
    Row("huber", lambda m, x, y: F(m).huber_loss(x, y, reduction="none", delta=0.6).sin(), GG,
        avoid=_spread_first, gradcheck=False),
    Row("soft_margin", nl(lambda m, x: F(m).soft_margin_loss(x, m.tensor(SIGNS[:, :4], dtype=x.dtype))),
        fixed(((3, 4),))),
    Row("bce", nl(lambda m, x, y: F(m).binary_cross_entropy(x, y, reduction="sum")), GG, avoid=_bce_domain),
    Row("bce_none", lambda m, x, y: F(m).binary_cross_entropy(x, y, reduction="none").sin(), GG,
        avoid=_bce_domain),
    Row("bce_logits", nl(lambda m, x, y: F(m).binary_cross_entropy_with_logits(
        x, y, pos_weight=m.tensor([0.5, 1.5, 2.0, 1.0], dtype=x.dtype))), GG, avoid=lambda a: [a[0], _bce_domain(a)[1]]),
    Row("bce_logits_none", lambda m, x, y: F(m).binary_cross_entropy_with_logits(x, y, reduction="none").sin(), GG),
    Row("cross_entropy", nl(lambda m, x, t: F(m).cross_entropy(x, t)), fixed(((3, 4), (3,))), int_inputs=(1,)),
    Row("cross_entropy_none", lambda m, x, t: F(m).cross_entropy(x, t, reduction="none").sin(),
        fixed(((3, 4), (3,))), int_inputs=(1,)),
    Row("cross_entropy_4d_smooth", nl(lambda m, x, t: F(m).cross_entropy(x, t, label_smoothing=0.2)),
        fixed(((2, 3, 2, 2), (2, 2, 2))), int_inputs=(1,)),
    Row("cross_entropy_probs", nl(lambda m, x, p: F(m).cross_entropy(x, p.softmax(1))), GG),
    Row("nll_sum", nl(lambda m, x, t: F(m).nll_loss(x.log_softmax(1), t, reduction="sum")),
        fixed(((3, 4), (3,))), int_inputs=(1,)),
    Row("kl_div", nl(lambda m, x, y: F(m).kl_div(x, y.exp(), reduction="batchmean")), GG),
    Row("kl_div_log_target", nl(lambda m, x, y: F(m).kl_div(x, y, reduction="sum", log_target=True)), GG),
    Row("poisson_nll", nl(lambda m, x, y: F(m).poisson_nll_loss(x, y.abs() + 2, full=True)), GG),
    Row("gaussian_nll", nl(lambda m, x, y, v: F(m).gaussian_nll_loss(x, y, v.abs() + 0.5)),
        fixed(((3, 4), (3, 4), (3, 1)))),
    Row("cosine_embedding", nl(lambda m, a, b: F(m).cosine_embedding_loss(
        a, b, m.tensor([1.0, -1.0, -1.0], dtype=a.dtype), margin=-0.5)), GG),
    Row("margin_ranking", nl(lambda m, a, b: F(m).margin_ranking_loss(a, b, m.ones(4, dtype=a.dtype), margin=0.5)),
        fixed(((4,), (4,)))),
    Row("hinge_embedding", lambda m, x: F(m).hinge_embedding_loss(
        x, m.tensor([1.0, -1.0, -1.0, 1.0], dtype=x.dtype), reduction="none").sin(), fixed(((4,),)), low=0.1),
    Row("triplet", nl(lambda m, a, p, n: F(m).triplet_margin_loss(a, p, n, margin=3.0, swap=True)),
        fixed(((3, 4), (3, 4), (3, 4)))),
    Row("multilabel_soft_margin", nl(lambda m, x, y: F(m).multilabel_soft_margin_loss(x, y)), GG),
    Row("multi_margin_p2", nl(lambda m, x, t: F(m).multi_margin_loss(x, t, p=2, margin=2.0)),
        fixed(((3, 4), (3,))), int_inputs=(1,), gradgrad=False),   # torch has no double backward here
    Row("cosine_similarity", lambda m, a, b: F(m).cosine_similarity(a, b).sin(), GG),
    Row("pairwise_distance", lambda m, a, b: F(m).pairwise_distance(a, b).sin(), GG),
]


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r.name)
def test_second_derivatives(row):
    @given(row.shapes)
    def check(shape_tuple):
        check_row(row, shape_tuple)
    check()


def test_multi_margin_second_derivative_by_gradgradcheck():
    """torch cannot differentiate multi_margin_loss twice; numtorch's rule is checked numerically."""
    x = numtorch.tensor(X, requires_grad=True)
    t = numtorch.tensor(T3)
    for p in (1, 2):
        fn = lambda x: F(numtorch).multi_margin_loss(x, t, p=p, margin=2.0, weight=numtorch.tensor(W5)) ** 2  # noqa
        assert numtorch.autograd.gradgradcheck(fn, (x,))


# -- modules --------------------------------------------------------------------------------

MODULES = [
    ("MSELoss", (), {}, [X, Y]),
    ("L1Loss", (), {"reduction": "sum"}, [X, Y]),
    ("SmoothL1Loss", (), {"beta": 0.5}, [SPREAD, Y]),
    ("HuberLoss", (), {"delta": 2.0, "reduction": "none"}, [SPREAD, Y]),
    ("SoftMarginLoss", (), {}, [X, SIGNS]),
    ("CrossEntropyLoss", (), {"weight": W5, "ignore_index": 4, "label_smoothing": 0.1}, [X, T3]),
    ("NLLLoss", (), {"weight": W5}, [LOGP, T3]),
    ("BCELoss", (), {"weight": W5}, [P, Q]),
    ("BCEWithLogitsLoss", (), {"weight": W5, "pos_weight": W5 + 1}, [X, Q]),
    ("KLDivLoss", (), {"reduction": "batchmean", "log_target": True}, [LOGP, LOGP[::-1].copy()]),
    ("PoissonNLLLoss", (), {"log_input": False, "full": True, "eps": 1e-6}, [P, Q * 4]),
    ("GaussianNLLLoss", (), {"full": True, "eps": 1e-3}, [X, Y, P]),
    ("CosineEmbeddingLoss", (), {"margin": 0.2}, [X, Y, ROW_SIGNS]),
    ("MarginRankingLoss", (), {"margin": 0.1}, [X[0], Y[0], SIGNS[0]]),
    ("HingeEmbeddingLoss", (), {"margin": 2.0}, [X, SIGNS]),
    ("TripletMarginLoss", (), {"margin": 0.5, "p": 1.0, "swap": True}, [X, Y, X + Y]),
    ("TripletMarginWithDistanceLoss", (), {"margin": 0.5}, [X, Y, X + Y]),
    ("MultiLabelSoftMarginLoss", (), {"weight": W5}, [X, Q]),
    ("MultiMarginLoss", (), {"p": 2, "margin": 0.5, "weight": W5}, [X, T3]),
]


@pytest.mark.parametrize("case", MODULES, ids=lambda c: c[0])
def test_modules(case):
    name, args, kwargs, arrays = case
    mods = []
    for m in (numtorch, torch):
        kw = {k: m.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
        mods.append(getattr(m.nn, name)(*args, **kw))
    ours, theirs = mods
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert ours.reduction == theirs.reduction
    run_both(lambda m, *ts: (ours if m is numtorch else theirs)(*ts), arrays,
             tuple(i for i, a in enumerate(arrays) if a.dtype.kind == "f" and name not in ("SoftMarginLoss",)
                   and not (name == "HingeEmbeddingLoss" and i == 1)))


def test_module_errors_and_unsupported():
    with pytest.raises(ValueError, match="only p == 1 and p == 2 supported"):
        numtorch.nn.MultiMarginLoss(p=3)
    with pytest.raises(ValueError, match="expected margin to be greater than 0"):
        numtorch.nn.TripletMarginLoss(margin=0)
    with pytest.raises(TypeError, match="delta must be a float or int"):
        numtorch.nn.HuberLoss(delta="1")
