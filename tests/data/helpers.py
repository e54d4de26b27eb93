"""Shared helpers: build the same data for numtorch and torch, compare results structurally."""
import collections

import numpy as np
import pytest
import torch

import numtorch

Point = collections.namedtuple("Point", ["x", "y"])


def assert_same(ours, theirs, path="batch"):
    """Same structure, container types, tensor dtypes, shapes and values."""
    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, numtorch.Tensor), f"{path}: {type(ours).__name__} instead of a tensor"
        assert str(ours.dtype) == str(theirs.dtype), f"{path}: dtype {ours.dtype} vs {theirs.dtype}"
        assert tuple(ours.shape) == tuple(theirs.shape), f"{path}: shape {tuple(ours.shape)} vs {tuple(theirs.shape)}"
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy(), err_msg=path)
    elif isinstance(theirs, dict):
        assert type(ours) is type(theirs), f"{path}: {type(ours)} vs {type(theirs)}"
        assert list(ours) == list(theirs), path
        for k in theirs:
            assert_same(ours[k], theirs[k], f"{path}[{k!r}]")
    elif isinstance(theirs, (list, tuple)):
        assert type(ours) is type(theirs), f"{path}: {type(ours)} vs {type(theirs)}"
        assert len(ours) == len(theirs), path
        for i, (a, b) in enumerate(zip(ours, theirs)):
            assert_same(a, b, f"{path}[{i}]")
    elif isinstance(theirs, np.ndarray):
        assert isinstance(ours, np.ndarray) and ours.dtype == theirs.dtype, path
        np.testing.assert_array_equal(ours, theirs)
    else:
        assert type(ours) is type(theirs) and ours == theirs, f"{path}: {ours!r} vs {theirs!r}"


def same_error(fn):
    """fn(lib) raises the same exception type and message with numtorch as with torch; returns the message."""
    with pytest.raises(Exception) as theirs:
        fn(torch)
    with pytest.raises(type(theirs.value)) as ours:
        fn(numtorch)
    assert str(ours.value) == str(theirs.value)
    return str(ours.value)


def lib_data(lib):
    """The torch.utils.data module of lib."""
    return lib.utils.data


def rng_matches_torch() -> bool:
    """Whether numtorch's generators reproduce torch's stream (then shuffles must match torch's exactly)."""
    return numtorch.randperm(10, generator=numtorch.Generator().manual_seed(0)).tolist() == \
        torch.randperm(10, generator=torch.Generator().manual_seed(0)).tolist()


needs_torch_rng = pytest.mark.skipif(not rng_matches_torch(),
                                     reason="numtorch's generator does not reproduce torch's stream yet")
