"""nn.Parameter and nn.Buffer against torch 2.13."""
import copy
import pickle

import numpy as np
import pytest
import torch

import numtorch
from tests.nn.util import np_of

P = numtorch.nn.Parameter


def test_parameter_is_leaf_requiring_grad_sharing_storage():
    data = numtorch.tensor([1.0, 2.0])
    p = P(data)
    assert isinstance(p, numtorch.Tensor) and isinstance(p, P)
    assert p.requires_grad and p.is_leaf and p.grad_fn is None
    with numtorch.no_grad():
        data.mul_(3)
    np.testing.assert_array_equal(np_of(p), [3.0, 6.0])
    assert not P(data, requires_grad=False).requires_grad
    assert P().shape == (0,)
    x = numtorch.ones(2, requires_grad=True)
    q = P(x * 2)
    assert q.is_leaf and q.grad_fn is None
    assert not isinstance(data, P)


def test_parameter_repr_matches_torch():
    for value, rg in (([1.0, 2.5], True), ([[1.0, 2.0], [3.0, 4.0]], False), (3.0, True)):
        assert repr(P(numtorch.tensor(value), rg)) == repr(torch.nn.Parameter(torch.tensor(value), rg))
    assert repr(P()) == repr(torch.nn.Parameter())
    assert repr(P()).startswith("Parameter containing:\n")


def test_parameter_on_integer_data_raises():
    with pytest.raises(RuntimeError, match="floating point"):
        P(numtorch.tensor([1, 2]))
    assert P(numtorch.tensor([1, 2]), requires_grad=False).dtype == numtorch.int64


def test_parameter_deepcopy_and_pickle_like_torch():
    for lib in (numtorch, torch):
        p = lib.nn.Parameter(lib.tensor([1.0, 2.0]))
        p.grad = lib.ones(2)
        p.tag = "w"
        c = copy.deepcopy(p)
        assert type(c) is lib.nn.Parameter and c.requires_grad and c.grad is None
        assert not hasattr(c, "tag")    # torch's Parameter.__deepcopy__ keeps values and requires_grad only
        r = pickle.loads(pickle.dumps(p))
        assert type(r) is lib.nn.Parameter and r.requires_grad and r.grad is None and r.tag == "w"
        np.testing.assert_array_equal(np_of(r), [1.0, 2.0])
        with lib.no_grad():
            c.add_(1)
        assert np_of(p).tolist() == [1.0, 2.0]
    frozen = pickle.loads(pickle.dumps(P(numtorch.ones(1), requires_grad=False)))
    assert not frozen.requires_grad
    memo_p = P(numtorch.ones(1))
    pair = copy.deepcopy([memo_p, memo_p])
    assert pair[0] is pair[1]


def test_parameter_ops_return_plain_tensors():
    p = P(numtorch.ones(2))
    out = p * 2
    assert type(out) is numtorch.Tensor and out.grad_fn is not None
    out.sum().backward()
    np.testing.assert_array_equal(np_of(p.grad), [2.0, 2.0])


def test_buffer_marker():
    b = numtorch.nn.Buffer(numtorch.ones(2), persistent=False)
    assert type(b) is numtorch.Tensor and isinstance(b, numtorch.nn.Buffer) and b.persistent is False
    assert not isinstance(numtorch.ones(1), numtorch.nn.Buffer)
    assert numtorch.nn.Buffer(numtorch.ones(1)).persistent is True


def test_flagged_tensor_counts_as_parameter():
    t = numtorch.ones(1)
    t._is_param = True
    assert isinstance(t, P)
