"""default_collate / default_convert against torch's, on the same samples."""
import collections

import numpy as np
import pytest
import torch

import numtorch
from tests.data.helpers import Point, assert_same, same_error


def _samples(lib, kind):
    """A batch of 3 samples of one kind, built from the same NumPy values for both libraries."""
    rng = np.random.default_rng(0)
    arrs = [rng.standard_normal((2, 3)).astype(np.float32) for _ in range(3)]
    ints = [rng.integers(0, 9, (4,)) for _ in range(3)]
    return {
        "tensor_f32": [lib.from_numpy(a) for a in arrs],
        "tensor_i64_0d": [lib.tensor(int(i[0])) for i in ints],
        "tensor_bool": [lib.from_numpy(i > 4) for i in ints],
        "numpy_f32": arrs,
        "numpy_i32": [i.astype(np.int32) for i in ints],
        "numpy_0d": [np.array(1.5), np.array(2.5), np.array(3.0)],
        "np_scalar_f32": [np.float32(1.5), np.float32(2), np.float32(-1)],
        "np_scalar_mixed": [np.float32(1.5), np.float64(2), np.float32(-1)],
        "np_scalar_int_float": [np.int64(1), np.float32(2), np.int64(3)],
        "np_scalar_i16": [np.int16(1), np.int16(2), np.int16(3)],
        "np_bool": [np.bool_(True), np.bool_(False), np.bool_(True)],
        "floats": [1.5, 2.0, -3.25],
        "float_then_int": [1.5, 2, 3],
        "ints": [1, 2, 3],
        "int_then_float": [1, 2.5, 3],
        "bools": [True, False, True],
        "strings": ["a", "bc", "d"],
        "bytes": [b"a", b"b", b"c"],
        "tuples": [(lib.from_numpy(a), 1, "x") for a in arrs],
        "lists": [[1.0, 2], [3.0, 4], [5.0, 6]],
        "dicts": [{"img": lib.from_numpy(a), "label": k, "name": str(k)} for k, a in enumerate(arrs)],
        "ordered": [collections.OrderedDict(b=k, a=float(k)) for k in range(3)],
        "namedtuples": [Point(lib.from_numpy(a), k) for k, a in enumerate(arrs)],
        "nested": [{"pair": (k, [np.float64(k), {"z": lib.tensor([k, k])}])} for k in range(3)],
    }[kind]


KINDS = ["tensor_f32", "tensor_i64_0d", "tensor_bool", "numpy_f32", "numpy_i32", "numpy_0d", "np_scalar_f32",
         "np_scalar_mixed", "np_scalar_int_float", "np_scalar_i16", "np_bool", "floats", "float_then_int", "ints",
         "int_then_float", "bools", "strings", "bytes", "tuples", "lists", "dicts", "ordered", "namedtuples",
         "nested"]


@pytest.mark.parametrize("kind", KINDS)
def test_default_collate_matches_torch(kind):
    ours = numtorch.utils.data.default_collate(_samples(numtorch, kind))
    theirs = torch.utils.data.default_collate(_samples(torch, kind))
    assert_same(ours, theirs)


@pytest.mark.parametrize("kind", KINDS)
def test_default_convert_matches_torch(kind):
    for ours, theirs in zip(_samples(numtorch, kind), _samples(torch, kind)):
        assert_same(numtorch.utils.data.default_convert(ours), torch.utils.data.default_convert(theirs))


@pytest.mark.parametrize("batch", [
    lambda lib: [object(), object()],
    lambda lib: [np.array(["a", "b"]), np.array(["c", "d"])],
    lambda lib: [[1, 2], [3]],
    lambda lib: [lib.zeros(2), lib.zeros(3)],
    lambda lib: [None, None],
], ids=["object", "numpy_str", "ragged_lists", "ragged_tensors", "none"])
def test_collate_errors_match_torch(batch):
    same_error(lambda lib: lib.utils.data.default_collate(batch(lib)))


def test_default_convert_leaves_non_numeric_arrays_alone():
    a = np.array(["x", "y"])
    assert numtorch.utils.data.default_convert(a) is a
    assert numtorch.utils.data.default_convert("s") == "s"


def test_collate_mixed_tensor_dtypes_promotes_like_stack():
    batch = lambda lib: [lib.zeros(2, dtype=lib.int64), lib.ones(2)]
    if not hasattr(numtorch, "stack"):
        pytest.skip("numtorch.stack not available yet")
    assert_same(numtorch.utils.data.default_collate(batch(numtorch)),
                torch.utils.data.default_collate(batch(torch)))


def test_collate_keeps_autograd_when_grad_is_needed():
    if not hasattr(numtorch, "stack"):
        pytest.skip("numtorch.stack not available yet")
    xs = [numtorch.ones(2, requires_grad=True), numtorch.ones(2, requires_grad=True)]
    out = numtorch.utils.data.default_collate(xs)
    assert out.requires_grad and out.grad_fn is not None
    out.sum().backward()
    np.testing.assert_array_equal(xs[0].grad.numpy(), np.ones(2))


def test_collate_custom_type_via_collate_fn_map():
    from numtorch.utils.data._collate import collate, default_collate_fn_map

    class Box:
        def __init__(self, v):
            self.v = v

    fmap = dict(default_collate_fn_map)
    fmap[Box] = lambda batch, *, collate_fn_map: sum(b.v for b in batch)
    assert collate([{"b": Box(1), "n": 1}, {"b": Box(2), "n": 2}], collate_fn_map=fmap)["b"] == 3
