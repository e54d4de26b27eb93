"""AdaptiveLogSoftmaxWithLoss against torch, weights copied from torch's module."""
import numpy as np
import pytest
import torch

import numtorch
from tests.nn.util import assert_close, np_of, twin

RNG = np.random.default_rng(0)


def build(head_bias=False, cutoffs=(4, 9, 15), div_value=2.0):
    return lambda nn: nn.AdaptiveLogSoftmaxWithLoss(16, 20, list(cutoffs), div_value=div_value, head_bias=head_bias)


def grads_match(tm, nm, dtype):
    for (name, p), q in zip(tm.named_parameters(), nm.parameters()):
        assert (p.grad is None) == (q.grad is None), name
        if p.grad is not None:
            assert_close(q.grad, p.grad, dtype, what=name)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("head_bias", [False, True])
@pytest.mark.parametrize("targets", ["all", "shortlist", "one_cluster"])
def test_forward_backward(dtype, head_bias, targets):
    tm, nm = twin(build(head_bias), dtype)
    assert repr(nm) == repr(tm) and list(nm.state_dict()) == list(tm.state_dict())
    x = RNG.standard_normal((12, 16)).astype(dtype)
    y = {"all": RNG.integers(0, 20, 12), "shortlist": RNG.integers(0, 4, 12),
         "one_cluster": RNG.integers(9, 15, 12)}[targets]
    tx, nx = torch.tensor(x, requires_grad=True), numtorch.tensor(x, requires_grad=True)
    to, no = tm(tx, torch.tensor(y)), nm(nx, numtorch.tensor(y))
    assert type(no).__name__ == "_ASMoutput" and no._fields == ("output", "loss")
    assert_close(no.output, to.output, dtype)
    assert_close(no.loss, to.loss, dtype)
    (to.loss * 2).backward()
    (no.loss * 2).backward()
    assert_close(nx.grad, tx.grad, dtype)
    grads_match(tm, nm, dtype)


def test_unbatched_and_log_prob_predict():
    tm, nm = twin(build(True, cutoffs=(3, 8), div_value=4.0), np.float64)
    x = RNG.standard_normal((30, 16)) * 3
    tx, nx = torch.tensor(x, requires_grad=True), numtorch.tensor(x, requires_grad=True)
    to, no = tm(tx[3], torch.tensor(11)), nm(nx[3], numtorch.tensor(11))
    assert tuple(no.output.shape) == tuple(to.output.shape) == ()
    assert_close(no.output, to.output, np.float64)
    tl, nl = tm.log_prob(tx), nm.log_prob(nx)
    assert_close(nl, tl, np.float64)
    g = RNG.standard_normal(tl.shape)
    tl.backward(torch.tensor(g))
    nl.backward(numtorch.tensor(g))
    assert_close(nx.grad, tx.grad, np.float64)
    grads_match(tm, nm, np.float64)
    for rows in (slice(None), slice(0, 1), slice(4, 9)):
        tp, np_ = tm.predict(tx[rows].detach()), nm.predict(nx[rows].detach())
        assert np_.dtype == numtorch.int64 and np.array_equal(np_of(np_), np_of(tp))


def test_predict_partial_and_all_outside_shortlist():
    tm, nm = twin(build(True, cutoffs=(2, 5)), np.float64)
    with torch.no_grad():
        tm.head.bias.copy_(torch.tensor([0.0, 0.0, 3.0, 3.0]))  # pushes most rows into the tail cluster
    nm.load_state_dict({k: numtorch.tensor(np_of(v).copy()) for k, v in tm.state_dict().items()})
    x = RNG.standard_normal((40, 16)) * 2
    tp, np_ = tm.predict(torch.tensor(x)), nm.predict(numtorch.tensor(x))
    assert np.array_equal(np_of(np_), np_of(tp)) and (np_of(tp) >= 2).any() and (np_of(tp) < 2).any()
    x1 = x[np_of(tp) >= 2]
    assert np.array_equal(np_of(nm.predict(numtorch.tensor(x1))), np_of(tm.predict(torch.tensor(x1))))


def test_errors_match_torch():
    for lib in (torch, numtorch):
        for cutoffs in ([], [5, 3], [0, 4], [4, 20], [4, 4], [2.5]):
            with pytest.raises(ValueError, match="cutoffs should be"):
                lib.nn.AdaptiveLogSoftmaxWithLoss(8, 20, cutoffs)
        m = lib.nn.AdaptiveLogSoftmaxWithLoss(8, 10, [3])
        with pytest.raises(RuntimeError, match=r"Target values should be in \[0, 9\], but values in range \[1, 10\]"):
            m(lib.zeros(2, 8), lib.tensor([1, 10]))
        with pytest.raises(RuntimeError, match="same size in the batch dimension"):
            m(lib.zeros(3, 8), lib.tensor([1, 2]))
        with pytest.raises(RuntimeError, match="0D target tensor expects 1D input"):
            m(lib.zeros(3, 8), lib.tensor(1))
        with pytest.raises(RuntimeError, match="multi-target not supported"):
            m(lib.zeros(3, 8), lib.zeros(3, 2, dtype=lib.long))


def test_seeded_initialization_matches():
    states = []
    for lib in (torch, numtorch):
        lib.manual_seed(5)
        states.append(lib.nn.AdaptiveLogSoftmaxWithLoss(16, 20, [4, 9, 15], div_value=2.0, head_bias=True).state_dict())
    for k, v in states[0].items():
        assert np.array_equal(np_of(states[1][k]), np_of(v)), k
