"""Shape and view ops against torch: forward, grad and grad-of-grad (op table), plus torch's errors."""
import numpy as np
import pytest
import torch

import numtorch
from tests.optable import Row, fixed, row_tests, same_shapes, shapes


def nl(f):
    """f followed by sin on its float outputs, so grad-of-grad runs f's rule on recorded Tensors."""
    def g(m, *xs):
        out = f(m, *xs)
        if isinstance(out, (tuple, list)):
            return [o.sin() if o.is_floating_point() else o for o in out]
        return out.sin()
    return g


def rev(x):
    return tuple(range(x.ndim - 1, -1, -1))


ROWS = [
    Row("reshape", nl(lambda m, x: x.reshape(-1)), shapes(1)),
    Row("reshape_rev", nl(lambda m, x: m.reshape(x, tuple(reversed(x.shape)))), shapes(1)),
    Row("reshape_noncontig", nl(lambda m, x: x.transpose(0, -1).reshape(-1)), shapes(1, min_dims=2)),
    Row("view", nl(lambda m, x: x.view(-1)), shapes(1)),
    Row("view_as", nl(lambda m, x: x.view(x.numel()).view_as(x)), shapes(1)),
    Row("reshape_as", nl(lambda m, x, y: x.reshape_as(y) * y), fixed(((2, 3), (3, 2)), ((4,), (2, 2)))),
    Row("flatten", nl(lambda m, x: x.flatten()), shapes(1)),
    Row("flatten_1", nl(lambda m, x: m.flatten(x, 1)), shapes(1, min_dims=2)),
    Row("unflatten", nl(lambda m, x: x.unflatten(0, (1, x.shape[0], 1))), shapes(1, min_dims=1)),
    Row("ravel", nl(lambda m, x: x.transpose(0, -1).ravel()), shapes(1)),
    Row("squeeze", nl(lambda m, x: x.squeeze()), shapes(1)),
    Row("squeeze_dim", nl(lambda m, x: x.squeeze(0)), shapes(1, max_side=2)),
    Row("squeeze_dims", nl(lambda m, x: m.squeeze(x, (0, -1))), shapes(1, min_dims=2, max_side=2)),
    Row("unsqueeze", nl(lambda m, x: x.unsqueeze(0).unsqueeze(-1)), shapes(1)),
    Row("permute", nl(lambda m, x: m.permute(x, rev(x))), shapes(1)),
    Row("transpose", nl(lambda m, x: x.transpose(0, -1)), shapes(1)),
    Row("swapaxes", nl(lambda m, x: m.swapaxes(x, 0, -1)), shapes(1, min_dims=1)),
    Row("t", nl(lambda m, x: x.t()), shapes(1, max_dims=2)),
    Row("T", nl(lambda m, x: x.T), shapes(1, min_dims=2, max_dims=2)),
    Row("mT", nl(lambda m, x: x.mT), shapes(1, min_dims=2)),
    Row("movedim", nl(lambda m, x: x.movedim(0, -1)), shapes(1, min_dims=1)),
    Row("movedim_multi", nl(lambda m, x: m.movedim(x, (0, 1), (-1, 0))), shapes(1, min_dims=3)),
    Row("expand", nl(lambda m, x: x.expand(2, *x.shape)), shapes(1)),
    Row("expand_minus1", nl(lambda m, x: x.expand(3, *([-1] * x.ndim))), shapes(1)),
    Row("broadcast_tensors", nl(lambda m, x, y: m.broadcast_tensors(x, y)), shapes(2)),
    Row("broadcast_to", nl(lambda m, x, y: m.broadcast_to(x, m.broadcast_shapes(x.shape, y.shape)) * y), shapes(2)),
    Row("expand_as", nl(lambda m, x, y: x.expand_as(x + y) * y), shapes(2)),
    Row("repeat", nl(lambda m, x: x.repeat(2, *[i % 2 + 1 for i in range(x.ndim)])), shapes(1)),
    Row("tile", nl(lambda m, x: x.tile((2,))), shapes(1)),
    Row("repeat_interleave", nl(lambda m, x: x.repeat_interleave(2)), shapes(1)),
    Row("repeat_interleave_dim", nl(lambda m, x: x.repeat_interleave(3, dim=-1)), shapes(1, min_dims=1)),
    Row("repeat_interleave_tensor",
        nl(lambda m, x: x.repeat_interleave(m.tensor(np.arange(x.shape[0]) % 3), dim=0)), shapes(1, min_dims=1)),
    Row("flip", nl(lambda m, x: x.flip(0)), shapes(1, min_dims=1)),
    Row("flip_all", nl(lambda m, x: m.flip(x, rev(x))), shapes(1)),
    Row("fliplr", nl(lambda m, x: m.fliplr(x)), shapes(1, min_dims=2)),
    Row("flipud", nl(lambda m, x: m.flipud(x)), shapes(1, min_dims=1)),
    Row("roll", nl(lambda m, x: x.roll(1, 0)), shapes(1, min_dims=1)),
    Row("roll_flat", nl(lambda m, x: m.roll(x, 2)), shapes(1)),
    Row("roll_dims", nl(lambda m, x: x.roll((1, -2), (0, -1))), shapes(1, min_dims=2)),
    Row("rot90", nl(lambda m, x: m.rot90(x)), shapes(1, min_dims=2)),
    Row("rot90_k", nl(lambda m, x: [x.rot90(k, (1, -1)) for k in (2, 3, -1)]), shapes(1, min_dims=3)),
    Row("cat", nl(lambda m, x, y: m.cat([x, y])), fixed(((2, 3), (1, 3)), ((0, 3), (2, 3)), ((3,), (0,)))),
    Row("cat_dim", nl(lambda m, x, y: m.cat((x, y), -1)), same_shapes(2, min_dims=1)),
    Row("cat_legacy_empty", nl(lambda m, x: m.concat([x, m.zeros(0, dtype=x.dtype), x], 1)),
        shapes(1, min_dims=2)),
    Row("concatenate", nl(lambda m, x, y: m.concatenate([x, y, x], dim=0)), same_shapes(2, min_dims=1)),
    Row("stack", nl(lambda m, x, y: m.stack([x, y])), same_shapes(2)),
    Row("stack_last", nl(lambda m, x, y: m.stack([x, y, x], -1)), same_shapes(2)),
    Row("hstack", nl(lambda m, x, y: m.hstack([x, y])), same_shapes(2)),
    Row("vstack", nl(lambda m, x, y: m.vstack([x, y])), same_shapes(2)),
    Row("dstack", nl(lambda m, x, y: m.dstack([x, y])), same_shapes(2)),
    Row("column_stack", nl(lambda m, x, y: m.column_stack([x, y])), same_shapes(2, max_dims=2)),
    Row("split", nl(lambda m, x: x.split(2)), shapes(1, min_dims=1)),
    Row("split_sizes", nl(lambda m, x: m.split(x, [1, x.shape[0] - 1])), shapes(1, min_dims=1, min_side=1)),
    Row("split_dim", nl(lambda m, x: list(x.split(1, -1))[:1]), shapes(1, min_dims=1, min_side=1)),
    Row("chunk", nl(lambda m, x: x.chunk(2, -1)), shapes(1, min_dims=1)),
    Row("tensor_split", nl(lambda m, x: x.tensor_split(3)), shapes(1, min_dims=1)),
    Row("tensor_split_idx", nl(lambda m, x: m.tensor_split(x, [1, 2], dim=-1)), shapes(1, min_dims=1)),
    Row("unbind", nl(lambda m, x: x.unbind(0)), shapes(1, min_dims=1)),
    Row("unbind_some", nl(lambda m, x: list(m.unbind(x, -1))[-1:]), shapes(1, min_dims=1, min_side=1)),
    Row("narrow", nl(lambda m, x: x.narrow(0, 1, x.shape[0] - 1)), shapes(1, min_dims=1, min_side=1)),
    Row("narrow_neg", nl(lambda m, x: m.narrow(x, -1, -1, 1)), shapes(1, min_dims=1, min_side=1)),
    Row("select", nl(lambda m, x: x.select(0, -1)), shapes(1, min_dims=1, min_side=1)),
    Row("diag_1d", nl(lambda m, x: [m.diag(x), m.diag(x, 1), x.diag(-2)]), shapes(1, min_dims=1, max_dims=1)),
    Row("diag_2d", nl(lambda m, x: [m.diag(x), m.diag(x, 1), x.diag(-1)]), shapes(1, min_dims=2, max_dims=2)),
    Row("diag_embed", nl(lambda m, x: [x.diag_embed(), m.diag_embed(x, 1, 0, 2), x.diag_embed(-1, -1, 0)]),
        shapes(1, min_dims=2)),
    Row("diag_embed_1d", nl(lambda m, x: x.diag_embed(2)), shapes(1, min_dims=1, max_dims=1)),
    Row("diagonal", nl(lambda m, x: [x.diagonal(), m.diagonal(x, 1), x.diagonal(-1, -1, 0)]),
        shapes(1, min_dims=2)),
    Row("tril", nl(lambda m, x: [x.tril(), m.tril(x, 1), x.tril(-1)]), shapes(1, min_dims=2)),
    Row("triu", nl(lambda m, x: [x.triu(), m.triu(x, 1), x.triu(diagonal=-1)]), shapes(1, min_dims=2)),
    Row("trace", nl(lambda m, x: x.trace()), shapes(1, min_dims=2, max_dims=2)),
    Row("atleast", nl(lambda m, x: [m.atleast_1d(x), m.atleast_2d(x), m.atleast_3d(x)]), shapes(1)),
    Row("atleast_many", nl(lambda m, x, y: list(m.atleast_3d(x, y))), shapes(2)),
    Row("meshgrid", nl(lambda m, x, y: m.meshgrid(x, y, indexing="ij")), shapes(2, max_dims=1)),
    Row("meshgrid_xy", nl(lambda m, x, y, z: m.meshgrid([x, y, z], indexing="xy")), shapes(3, max_dims=1)),
    Row("unfold", nl(lambda m, x: x.unfold(0, min(2, x.shape[0]), 1)), shapes(1, min_dims=1)),
    Row("unfold_step", nl(lambda m, x: x.unfold(-1, 1, 2)), shapes(1, min_dims=1, min_side=1)),
    Row("contiguous", nl(lambda m, x: x.transpose(0, -1).contiguous()), shapes(1)),
    Row("clone", nl(lambda m, x: x.clone()), shapes(1)),
    Row("view_chain", nl(lambda m, x: x.t().reshape(-1)[1:].unsqueeze(0).expand(2, -1)),
        shapes(1, min_dims=2, max_dims=2)),
]


test_row = row_tests(ROWS)


GRAD_FN_NAMES = [
    ("x.reshape(12)", "ViewBackward0"), ("x.view(4, 3)", "ViewBackward0"), ("x.flatten()", "ViewBackward0"),
    ("x.t()", "TBackward0"), ("x.T", "PermuteBackward0"), ("x.mT", "TransposeBackward0"),
    ("x.squeeze()", "SqueezeBackward0"), ("x.squeeze(0)", "SqueezeBackward1"),
    ("x.squeeze((0, 1))", "SqueezeBackward2"), ("x.unsqueeze(0)", "UnsqueezeBackward0"),
    ("x.expand(2, 3, 4)", "ExpandBackward0"), ("x.narrow(0, 1, 2)", "SliceBackward0"),
    ("x.select(0, 1)", "SelectBackward0"), ("x.diagonal()", "DiagonalBackward0"),
    ("x.unbind(0)[0]", "UnbindBackward0"), ("x.split(2)[0]", "SplitBackward0"),
    ("x.split([1, 2])[0]", "SplitWithSizesBackward0"), ("x.chunk(2)[1]", "SplitBackward0"),
    ("x.flip(0)", "FlipBackward0"), ("x.roll(1, 0)", "RollBackward0"), ("x.repeat(2, 1)", "RepeatBackward0"),
    ("x.tile((2,))", "RepeatBackward0"), ("m.cat([x, x])", "CatBackward0"), ("m.stack([x, x])", "StackBackward0"),
    ("x.movedim(0, 1)", "PermuteBackward0"), ("x.tril()", "TrilBackward0"), ("x.triu()", "TriuBackward0"),
    ("x.trace()", "TraceBackward0"), ("x.diag_embed()", "DiagEmbedBackward0"), ("x.clone()", "CloneBackward0"),
    ("x.unfold(0, 2, 1)", "UnfoldBackward0"), ("x.rot90()", "Rot90Backward0"), ("m.hstack([x, x])", "CatBackward0"),
    ("x.tensor_split(2)[0]", "SliceBackward0"), ("x[0].diag()", "DiagEmbedBackward0"),
    ("m.meshgrid(x[0], x[1], indexing='ij')[0]", "ExpandBackward0"), ("x.swapaxes(0, 1)", "TransposeBackward0"),
    ("x.t().contiguous()", "CloneBackward0"),
]


@pytest.mark.parametrize("expr,name", GRAD_FN_NAMES)
def test_grad_fn_names(expr, name):
    for m in (numtorch, torch):
        x = m.tensor(np.arange(12.0).reshape(3, 4), requires_grad=True) * 1
        y = eval(expr)
        assert y.grad_fn.name() == name, (m.__name__, expr)


VIEWS = ["x.reshape(12)", "x.view(4, 3)", "x.t()", "x.T", "x.unsqueeze(1)", "x.squeeze()", "x.expand(2, 3, 4)",
         "x.narrow(1, 1, 2)", "x.select(1, 2)", "x.diagonal(1)", "x.unbind(1)[2]", "x.split(2, 1)[1]",
         "x.movedim(0, 1)", "x.unfold(1, 2, 1)", "x.flatten()", "x.unflatten(1, (2, 2))", "x.tensor_split(2)[1]"]


@pytest.mark.parametrize("expr", VIEWS)
def test_views_share_storage(expr):
    x = numtorch.tensor(np.arange(12.0).reshape(3, 4))
    y = eval(expr)
    assert y._base is x
    assert np.shares_memory(y._data, x._data)
    v = x._version
    x.add_(1)
    assert y._version == v + 1


NOT_VIEWS = ["x.flip(0)", "x.roll(1)", "x.repeat(1, 1)", "m.cat([x])", "x.tril()", "x.t().reshape(12)",
             "x.clone()", "x.diag()", "x.rot90()"]


@pytest.mark.parametrize("expr", NOT_VIEWS)
def test_copies_do_not_share(expr):
    m = numtorch
    x = numtorch.tensor(np.arange(12.0).reshape(3, 4))
    y = eval(expr)
    assert not np.shares_memory(y._data, x._data)


ERRORS = [
    "x.t().view(12)", "x.view(5, -1)", "x.view(-1, -1)", "x.reshape(5)", "x.transpose(0, 2)", "x.squeeze(2)",
    "x.unsqueeze(3)", "x.permute(0)", "x.permute(0, 0)", "x.expand(3, 3)", "x.expand(3)", "x.repeat(2)",
    "x.unsqueeze(0).t()", "x.unflatten(1, (2, 2, 2))", "x.split([1, 1])", "x.chunk(0)", "x.narrow(0, 1, 5)",
    "x.narrow(0, 5, 1)", "x.select(0, 5)", "x.select(2, 0)", "x.diag_embed(0, 0, 0)", "x.unsqueeze(0).diag()",
    "x.unsqueeze(0).trace()", "x[0].tril()", "x[0].fliplr()", "m.cat([x[0, 0], x[0, 0]])",
    "m.cat([x, x.unsqueeze(0)])", "m.cat([x, x], dim=2)", "m.cat([x, x[:, :2]])", "m.cat([])",
    "m.stack([x, x[:2]])", "m.broadcast_tensors(x, x[0, :2])", "x.movedim(0, 2)", "x[0].mT", "x.flip((0, 0))",
    "x.roll((1, 2), 0)", "x.rot90(1, (0, 0))", "x.unfold(0, 5, 1)", "x.diagonal(0, 1, 1)", "x.flatten(1, 0)",
    "x.repeat_interleave(m.tensor([1, 2]), dim=0)", "x[0].mH", "m.stack([])",
]


@pytest.mark.parametrize("expr", ERRORS)
def test_errors_match_torch(expr):
    caught = []
    for m in (torch, numtorch):
        x = m.tensor(np.arange(12.0).reshape(3, 4))
        with pytest.raises(Exception) as info:
            eval(expr)
        caught.append(info.value)
    theirs, ours = caught
    assert type(ours) is type(theirs), (expr, ours, theirs)
    assert str(ours) == str(theirs), (expr, str(ours), str(theirs))


def test_cat_type_promotion_and_legacy_empty():
    for m in (numtorch, torch):
        a = m.tensor([1, 2], dtype=m.int64)
        b = m.tensor([0.5], dtype=m.float32)
        out = m.cat([a, m.zeros(0, dtype=m.float64), b])
        assert str(out.dtype).endswith("float64")
        assert out.tolist() == [1.0, 2.0, 0.5]
        c = m.cat([m.zeros(2, 3, dtype=m.int32), m.tensor([], dtype=m.float32)])
        assert tuple(c.shape) == (2, 3) and str(c.dtype).endswith("float32")


def test_T_on_3d_warns_and_reverses():
    x = numtorch.zeros(2, 3, 4)
    with pytest.warns(UserWarning, match="deprecated"):
        assert tuple(x.T.shape) == (4, 3, 2)


def test_meshgrid_warns_without_indexing():
    with pytest.warns(UserWarning, match="indexing"):
        numtorch.meshgrid(numtorch.zeros(2), numtorch.zeros(3))


def test_split_outputs_reject_inplace_with_grad():
    x = numtorch.ones(4, requires_grad=True) * 1
    a, b = x.split(2)
    with pytest.raises(RuntimeError, match="multiple views"):
        a.mul_(2)
    with numtorch.no_grad():
        a.mul_(2)
    assert x.tolist() == [2.0, 2.0, 1.0, 1.0]


def test_view_dtype():
    x = numtorch.tensor([1.0, 2.0])
    assert x.view(numtorch.float32) is not x
    assert x.view(numtorch.int32).tolist() == torch.tensor([1.0, 2.0]).view(torch.int32).tolist()
    with pytest.raises(NotImplementedError):
        x.view(numtorch.float64)
