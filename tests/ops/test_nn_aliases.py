"""torch.<name> spellings of nn.functional ops: torch's top-level argument orders and integer
reductions map onto nn.functional's implementations."""
import numpy as np
import pytest
import torch

import numtorch

RNG = np.random.default_rng(0)
X4 = RNG.normal(size=(2, 3, 5, 5))
X3 = RNG.normal(size=(2, 3, 6))
W2 = RNG.normal(size=(4, 3, 3, 3))
V = RNG.normal(size=(4, 3))
T2 = RNG.normal(size=(4, 3))
Y = np.array([1.0, -1.0, 1.0, -1.0])
IDX = np.array([[0, 2], [3, 1]])
MEAN, VAR = RNG.normal(size=3), RNG.uniform(0.5, 2, size=3)
W3 = RNG.normal(size=(2, 3, 3))
P4 = RNG.normal(size=(1, 4, 2, 2))

CASES = {
    "conv2d": lambda m, t: m.conv2d(t(X4), t(W2), None, 1, 1),
    "conv1d": lambda m, t: m.conv1d(t(X3), t(W2[:, :, 0]), padding=1),
    "conv_transpose2d": lambda m, t: m.conv_transpose2d(t(X4), t(W2.transpose(1, 0, 2, 3)), stride=2),
    "dropout_eval": lambda m, t: m.dropout(t(V), 0.3, False),
    "alpha_dropout_eval": lambda m, t: m.alpha_dropout(t(V), 0.3, False),
    "batch_norm": lambda m, t: m.batch_norm(t(X3), t(VAR), t(MEAN), m.tensor(MEAN), m.tensor(VAR), False, 0.1,
                                            1e-5, True),
    "batch_norm_train": lambda m, t: m.batch_norm(t(X3), None, None, None, None, True, 0.1, 1e-5, True),
    "instance_norm": lambda m, t: m.instance_norm(t(X3), t(VAR), t(MEAN), None, None, True, 0.1, 1e-5, False),
    "layer_norm": lambda m, t: m.layer_norm(t(X3), (6,), None, None, 1e-5),
    "group_norm": lambda m, t: m.group_norm(t(X3), 3, t(VAR), t(MEAN)),
    "rms_norm": lambda m, t: m.rms_norm(t(X3), [6]),
    "embedding": lambda m, t: m.embedding(t(V), m.tensor(IDX)),
    "embedding_pad": lambda m, t: m.embedding(t(V), m.tensor(IDX), 2),
    "celu": lambda m, t: m.celu(t(V), 0.5),
    "selu": lambda m, t: m.selu(t(V)),
    "threshold": lambda m, t: m.threshold(t(V), 0.1, -2.0),
    "rrelu_eval": lambda m, t: m.rrelu(t(V)),
    "prelu": lambda m, t: m.prelu(t(V), t(np.array([0.25]))),
    "hardshrink": lambda m, t: m.hardshrink(t(V), 0.3),
    "pixel_shuffle": lambda m, t: m.pixel_shuffle(t(P4), 2),
    "cosine_similarity": lambda m, t: m.cosine_similarity(t(V), t(T2)),
    "pairwise_distance": lambda m, t: m.pairwise_distance(t(V), t(T2)),
    "kl_div": lambda m, t: m.kl_div(t(V), t(T2), 2, log_target=True),
    "kl_div_mean": lambda m, t: m.kl_div(t(V), t(np.abs(T2)), 1),
    "kl_div_default": lambda m, t: m.kl_div(t(V), t(np.abs(T2))),
    "bce_logits_default": lambda m, t: m.binary_cross_entropy_with_logits(t(V), t((T2 > 0) * 1.0)),
    "triplet_default": lambda m, t: m.triplet_margin_loss(t(V), t(T2), t(V * 0.5)),
    "bce_logits": lambda m, t: m.binary_cross_entropy_with_logits(t(V), t((T2 > 0) * 1.0), None, None, 0),
    "cosine_embedding_loss": lambda m, t: m.cosine_embedding_loss(t(V), t(T2), t(Y), 0.1, 2),
    "hinge_embedding_loss": lambda m, t: m.hinge_embedding_loss(t(V), t(np.sign(T2)), 1.0, 1),
    "margin_ranking_loss": lambda m, t: m.margin_ranking_loss(t(V[:, 0]), t(T2[:, 0]), t(Y), 0.2, 0),
    "triplet_margin_loss": lambda m, t: m.triplet_margin_loss(t(V), t(T2), t(V * 0.5), 1.0, 2, 1e-6, False, 1),
    "poisson_nll_loss": lambda m, t: m.poisson_nll_loss(t(V), t(np.abs(T2)), True, False, 1e-8, 1),
    "max_pool2d": lambda m, t: m.max_pool2d(t(X4), 2),
    "max_pool1d": lambda m, t: m.max_pool1d(t(X3), 2, 1),
    "max_pool1d_with_indices": lambda m, t: m.max_pool1d_with_indices(t(X3), 3),
    "adaptive_max_pool1d": lambda m, t: m.adaptive_max_pool1d(t(X3), 2),
    "avg_pool1d": lambda m, t: m.avg_pool1d(t(X3), 2),
    "bilinear": lambda m, t: m.bilinear(t(V), t(T2), t(W3)),
}


@pytest.mark.parametrize("name", list(CASES))
def test_matches_torch(name):
    ours = CASES[name](numtorch, lambda a: numtorch.tensor(a, requires_grad=True))
    theirs = CASES[name](torch, lambda a: torch.tensor(a, requires_grad=True))
    ours, theirs = (ours, theirs) if isinstance(theirs, tuple) else ((ours,), (theirs,))
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.detach()._data, b.detach().numpy(), rtol=1e-10, atol=1e-12)
    if theirs[0].requires_grad:
        g = np.random.default_rng(1).normal(size=tuple(theirs[0].shape))
        (ours[0] * numtorch.tensor(g)).sum().backward()
        (theirs[0] * torch.tensor(g)).sum().backward()


def test_reduction_must_be_an_int():
    with pytest.raises(TypeError):
        torch.kl_div(torch.ones(2), torch.ones(2), "mean")
    with pytest.raises(TypeError):
        numtorch.kl_div(numtorch.ones(2), numtorch.ones(2), "mean")
