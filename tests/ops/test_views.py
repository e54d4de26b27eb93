"""Views under autograd: shared storage and version counter, in-place writes through views
(torch's CopySlices), __setitem__ on non-leaves and with values requiring grad, and the leaf errors."""
import numpy as np
import pytest
import torch

import numtorch

RNG = np.random.default_rng(0)
X = RNG.standard_normal((3, 4))
S = RNG.standard_normal(4)


def grads(scenario, create_graph=False):
    """Run scenario(m, x, s) -> loss with numtorch and torch; return both (loss, grads) results."""
    out = []
    for m in (numtorch, torch):
        x = m.tensor(X, requires_grad=True)
        s = m.tensor(S, requires_grad=True)
        loss = scenario(m, x, s)
        gx, gs = m.autograd.grad(loss, (x, s), create_graph=create_graph, allow_unused=True)
        res = [loss, gx, gs]
        if create_graph:
            total = sum((g * g).sum() for g in (gx, gs) if g is not None and g.requires_grad)
            if not isinstance(total, int):
                res += list(m.autograd.grad(total, (x, s), allow_unused=True))
        out.append([None if t is None else t.detach().numpy() for t in res])
    return out


def check(scenario, create_graph=False):
    ours, theirs = grads(scenario, create_graph)
    assert len(ours) == len(theirs)
    for i, (a, b) in enumerate(zip(ours, theirs)):
        if b is None:
            assert a is None or not np.any(a), i
            continue
        assert a is not None, i
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12, err_msg=f"result {i}")


def mul_into_slice(m, x, s):
    y = x * 2
    y[1:].mul_(3)
    return (y * y).sum()


def add_into_transposed_row(m, x, s):
    y = x.clone()
    y.t()[1].add_(s[:3])
    return (y.sin() * x).sum()


def chained_views(m, x, s):
    y = x * x
    z = y.view(-1)[2:].view(2, -1)
    z.mul_(s[0] * s[1])
    return (y * x).sum()


def setitem_basic_with_grad_value(m, x, s):
    y = x * 1
    y[0] = s * s
    y[1, 1:3] = s[0]
    return (y * x).sum()


def setitem_advanced(m, x, s):
    y = x.sin()
    y[[0, 2], 1] = s[:2] * 3
    y[y.detach() > 0.5] = 0.0
    return (y * y).sum()


def setitem_mixed_ints(m, x, s):
    y = x * 1
    y[0, [1, 3]] = s[:2]
    return (y ** 2).sum()


def setitem_into_view_of_view(m, x, s):
    y = x * 1
    v = y[:, 1:]
    v[1:, 0] = s[:2]
    return (y * x.cos()).sum()


def setitem_leaf_target_no_grad(m, x, s):
    y = m.zeros(3, 4, dtype=m.float64)
    y[1] = s * 2
    return (y * x).sum()


def inplace_on_diagonal(m, x, s):
    y = x * 1
    y.diagonal().mul_(s[:3])
    return (y * y).sum()


def copy_into_narrow(m, x, s):
    y = x.clone()
    y.narrow(1, 0, 2).copy_(s[:2])
    return (y * x).sum()


def repeated_index_gather(m, x, s):
    return (x[[0, 0, 2]] * x[[0, 0, 2]]).sum() + (x[:, [1, 1, 1]] ** 3).sum()


SCENARIOS = [mul_into_slice, add_into_transposed_row, chained_views, setitem_basic_with_grad_value,
             setitem_advanced, setitem_mixed_ints, setitem_into_view_of_view, setitem_leaf_target_no_grad,
             inplace_on_diagonal, copy_into_narrow, repeated_index_gather]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda f: f.__name__)
def test_grads_match_torch(scenario):
    check(scenario)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda f: f.__name__)
def test_second_order_matches_torch(scenario):
    check(scenario, create_graph=True)


def test_view_sees_later_inplace_on_base():
    def scenario(m, x, s):
        y = x * 1
        v = y[:2]
        y.mul_(2)
        return (v * 3).sum()
    check(scenario)


BASIC = ["x[0]", "x[:, 1:]", "x[None]", "x[...]", "x[1, ::2]", "x[m.tensor(1)]", "x.unsqueeze(0)[0, 1:]"]
ADVANCED = ["x[[0, 1]]", "x[m.tensor([True, False, True])]", "x[:, [0]]", "x[True]", "x[0, [1, 2]]"]


@pytest.mark.parametrize("expr", BASIC)
def test_basic_indexing_returns_views(expr):
    m = numtorch
    x = numtorch.tensor(X.copy())
    y = eval(expr)
    assert y._base is x and np.shares_memory(y._data, x._data)
    y.fill_(7.0)
    assert x._version == 1 and y._version == 1
    t = torch.tensor(X.copy())
    eval(expr.replace("x", "t").replace("m.", "torch.")).fill_(7.0)
    np.testing.assert_array_equal(x.numpy(), t.numpy())


@pytest.mark.parametrize("expr", ADVANCED)
def test_advanced_indexing_copies(expr):
    m = numtorch
    x = numtorch.tensor(X.copy())
    y = eval(expr)
    assert y._base is None and not np.shares_memory(y._data, x._data)


def test_version_counter_shared_like_torch():
    for m in (numtorch, torch):
        x = m.zeros(3, 4)
        v = x[1]
        w = v.view(2, 2)
        w.add_(1)
        x[0] = 2.0
        v.mul_(3)
        assert (x._version, v._version, w._version) == (3, 3, 3)
        assert x[1].tolist() == [3.0] * 4


def test_setitem_values_and_versions_match_torch():
    def run(m):
        x = m.tensor(np.arange(24.0).reshape(2, 3, 4), dtype=m.float32)
        x[0, 1] = 5
        x[:, 0, ::2] = m.tensor([-1.0, -2.0])
        x[[1, 1], [2, 0], [3, 3]] = m.tensor([9.0, 8.0])
        x[x > 20] = 0.5
        x[..., 1] = m.tensor(7, dtype=m.int64)
        x[m.tensor([0]), :, m.tensor(2)] = 6.0
        x[None, 1, 0] = m.ones(1, 4)
        return x.numpy(), x._version
    (a, va), (b, vb) = run(numtorch), run(torch)
    np.testing.assert_array_equal(a, b)
    assert va == vb


LEAF_ERRORS = ["x[0] = 1.0", "x[[0]] = 1.0", "x[0].add_(1)", "x.t().mul_(2)", "x[x > 0] = 0.0", "x[:, 1] = s[:3]"]


@pytest.mark.parametrize("stmt", LEAF_ERRORS)
def test_leaf_inplace_errors_match_torch(stmt):
    caught = []
    for m in (torch, numtorch):
        x = m.tensor(X, requires_grad=True)
        s = m.tensor(S, requires_grad=True)
        with pytest.raises(RuntimeError) as info:
            exec(stmt)
        caught.append(str(info.value))
        with m.no_grad():
            exec(stmt)
    assert caught[0] == caught[1]


def test_modifying_a_saved_view_fails_backward():
    for m in (numtorch, torch):
        x = m.tensor(X, requires_grad=True)
        y = x * 1
        z = y[0] * y[0]
        y[0, 0] = 3.0
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            z.sum().backward()


def test_grad_accumulates_over_repeated_setitem_value_use():
    for m in (numtorch, torch):
        s = m.tensor([1.0, 2.0], requires_grad=True)
        y = m.zeros(3, 2, dtype=s.dtype)
        y[[0, 2]] = s
        y[1] = s * 3
        y.sum().backward()
        assert s.grad.tolist() == [5.0, 5.0]
        assert y.grad_fn.name() in ("CopySlices", "torch::autograd::CopySlices")


def test_inplace_through_view_of_column_major_base():
    """The base's snapshot keeps its layout, so a view that exists only for that layout still writes through."""
    a = np.asfortranarray(np.arange(6.0).reshape(2, 3))
    res = []
    for m in (numtorch, torch):
        x = m.from_numpy(a.copy(order="K")).requires_grad_()
        y = x * 1
        v = y.t().view(-1)
        v.mul_(m.tensor(np.arange(6.0)))
        (y * y).sum().backward()
        res.append((y.detach().numpy().copy(), x.grad.numpy().copy()))
    for ours, theirs in zip(*res):
        np.testing.assert_array_equal(ours, theirs)
