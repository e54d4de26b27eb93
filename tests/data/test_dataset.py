"""Datasets and random_split against torch.utils.data."""
import warnings

import numpy as np
import pytest
import torch

import numtorch
from tests.data.helpers import assert_same, same_error


class Squares:
    """A map-style dataset usable by both libraries (duck-typed: no base class needed)."""

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return i * i


def _tensor_dataset(lib):
    x = np.arange(20, dtype=np.float32).reshape(10, 2)
    y = np.arange(10) % 3
    return lib.utils.data.TensorDataset(lib.from_numpy(x), lib.from_numpy(y))


def test_tensor_dataset_items_and_len():
    ours, theirs = _tensor_dataset(numtorch), _tensor_dataset(torch)
    assert len(ours) == len(theirs) == 10
    for i in (0, 3, -1):
        assert_same(ours[i], theirs[i])


def test_tensor_dataset_size_mismatch_is_an_assertion():
    msg = same_error(lambda lib: lib.utils.data.TensorDataset(lib.zeros(3, 2), lib.zeros(4)))
    assert msg == "Size mismatch between tensors"


def test_dataset_add_concatenates():
    a, b = numtorch.utils.data.Subset(Squares(5), [0, 1]), numtorch.utils.data.Subset(Squares(5), [4])
    both = a + b
    assert isinstance(both, numtorch.utils.data.ConcatDataset)
    assert [both[i] for i in range(len(both))] == [0, 1, 16]


def test_concat_dataset_indexing_like_torch():
    parts = [Squares(3), Squares(0), Squares(4)]
    ours, theirs = numtorch.utils.data.ConcatDataset(parts), torch.utils.data.ConcatDataset(parts)
    assert ours.cumulative_sizes == theirs.cumulative_sizes
    assert [ours[i] for i in range(-7, 7)] == [theirs[i] for i in range(-7, 7)]
    same_error(lambda lib: lib.utils.data.ConcatDataset(parts)[-8])
    same_error(lambda lib: lib.utils.data.ConcatDataset([]))


def test_concat_rejects_iterable_datasets():
    class Stream(numtorch.utils.data.IterableDataset):
        def __iter__(self):
            return iter([1])
    with pytest.raises(AssertionError, match="does not support IterableDataset"):
        numtorch.utils.data.ConcatDataset([Stream()])


def test_iterable_add_chains():
    class Stream(numtorch.utils.data.IterableDataset):
        def __init__(self, items):
            self.items = items

        def __iter__(self):
            return iter(self.items)

        def __len__(self):
            return len(self.items)
    chained = Stream([1, 2]) + Stream([3])
    assert isinstance(chained, numtorch.utils.data.ChainDataset)
    assert list(chained) == [1, 2, 3] and len(chained) == 3


def test_subset_and_getitems():
    sub = numtorch.utils.data.Subset(Squares(10), [9, 2, 5])
    assert len(sub) == 3 and [sub[i] for i in range(3)] == [81, 4, 25]
    assert sub.__getitems__([2, 0]) == [25, 81]


def test_subset_subclass_overriding_getitem_only_is_rejected():
    def make(lib):
        class Odd(lib.utils.data.Subset):
            def __getitem__(self, i):
                return 0
        return Odd(Squares(3), [0])
    same_error(make)


def test_stack_dataset():
    ours = numtorch.utils.data.StackDataset(a=Squares(3), b=[10, 11, 12])
    assert ours[1] == {"a": 1, "b": 11}
    assert ours.__getitems__([0, 2]) == [{"a": 0, "b": 10}, {"a": 4, "b": 12}]
    tup = numtorch.utils.data.StackDataset(Squares(3), [10, 11, 12])
    assert tup.__getitems__([1]) == [(1, 11)]
    same_error(lambda lib: lib.utils.data.StackDataset(Squares(3), [1]))


@pytest.mark.parametrize("n,lengths", [(10, [3, 7]), (10, [0.3, 0.7]), (11, [0.5, 0.5]), (30, [0.3, 0.3, 0.4]),
                                       (7, [0.1, 0.1, 0.8]), (5, [0.2, 0.2, 0.2, 0.2, 0.2]), (4, [4, 0])])
def test_random_split_lengths_like_torch(n, lengths):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = numtorch.utils.data.random_split(range(n), lengths, generator=numtorch.Generator().manual_seed(1))
        theirs = torch.utils.data.random_split(range(n), lengths, generator=torch.Generator().manual_seed(1))
    assert [len(s) for s in ours] == [len(s) for s in theirs]
    picked = sorted(i for s in ours for i in s.indices)
    assert picked == list(range(n))  # disjoint and complete


def test_random_split_is_reproducible_with_a_generator():
    def split():
        return [s.indices for s in numtorch.utils.data.random_split(range(20), [5, 15],
                                                                    generator=numtorch.Generator().manual_seed(3))]
    assert split() == split()


def test_random_split_uses_randperm_order():
    subsets = numtorch.utils.data.random_split(range(8), [3, 5], generator=numtorch.Generator().manual_seed(7))
    perm = numtorch.randperm(8, generator=numtorch.Generator().manual_seed(7)).tolist()
    assert subsets[0].indices == perm[:3] and subsets[1].indices == perm[3:]


def test_random_split_errors_and_warnings_like_torch():
    same_error(lambda lib: lib.utils.data.random_split(range(10), [3, 3]))
    same_error(lambda lib: lib.utils.data.random_split(range(10), [1.2, -0.2]))
    with pytest.warns(UserWarning, match="Length of split at index 1 is 0"):
        numtorch.utils.data.random_split(range(2), [0.9, 0.1])
