"""Samplers: lengths, orders and argument checks against torch.utils.data."""
import pytest
import torch

import numtorch
from tests.data.helpers import needs_torch_rng, same_error

D = numtorch.utils.data


def test_sequential():
    assert list(D.SequentialSampler(range(5))) == list(torch.utils.data.SequentialSampler(range(5)))
    assert len(D.SequentialSampler(range(5))) == 5


@pytest.mark.parametrize("n,bs,drop", [(10, 3, False), (10, 3, True), (9, 3, True), (2, 5, False), (2, 5, True),
                                       (0, 2, False)])
def test_batch_sampler_like_torch(n, bs, drop):
    ours = D.BatchSampler(D.SequentialSampler(range(n)), bs, drop)
    theirs = torch.utils.data.BatchSampler(torch.utils.data.SequentialSampler(range(n)), bs, drop)
    assert list(ours) == list(theirs) and len(ours) == len(theirs)


def test_batch_sampler_over_any_iterable():
    assert list(D.BatchSampler([5, 4, 3], 2, False)) == [[5, 4], [3]]


@pytest.mark.parametrize("args", [(0, False), (2.0, False), (True, False), (2, 1)])
def test_batch_sampler_argument_errors(args):
    same_error(lambda lib: lib.utils.data.BatchSampler(range(3), *args))


def test_random_sampler_is_a_permutation_and_reproducible():
    def draw(seed):
        return list(D.RandomSampler(range(50), generator=numtorch.Generator().manual_seed(seed)))
    assert sorted(draw(0)) == list(range(50))
    assert draw(0) == draw(0) and draw(0) != draw(1)


def test_random_sampler_structure_matches_torch():
    """With a generator: randperm(n) on it. Without: a seed from the default generator, then randperm."""
    g = numtorch.Generator().manual_seed(5)
    assert list(D.RandomSampler(range(9), generator=g)) == \
        numtorch.randperm(9, generator=numtorch.Generator().manual_seed(5)).tolist()
    numtorch.manual_seed(11)
    drawn = list(D.RandomSampler(range(9)))
    numtorch.manual_seed(11)
    seed = int(numtorch.empty((), dtype=numtorch.int64).random_().item())
    assert drawn == numtorch.randperm(9, generator=numtorch.Generator().manual_seed(seed)).tolist()


def test_random_sampler_num_samples_without_replacement():
    drawn = list(D.RandomSampler(range(4), num_samples=10, generator=numtorch.Generator().manual_seed(0)))
    assert len(drawn) == 10
    assert sorted(drawn[:4]) == sorted(drawn[4:8]) == [0, 1, 2, 3]  # whole permutations, then a partial one
    assert len(set(drawn[8:])) == 2


@pytest.mark.parametrize("k", [1, 31, 32, 70])
def test_random_sampler_with_replacement(k):
    s = D.RandomSampler(range(5), replacement=True, num_samples=k, generator=numtorch.Generator().manual_seed(0))
    drawn = list(s)
    assert len(s) == len(drawn) == k and all(0 <= i < 5 for i in drawn)


def test_random_sampler_length_follows_the_dataset():
    data = [1, 2, 3]
    s = D.RandomSampler(data)
    data.append(4)
    assert len(s) == 4 and len(list(s)) == 4


@pytest.mark.parametrize("kwargs", [dict(replacement=1), dict(num_samples=0), dict(num_samples=2.5)])
def test_random_sampler_argument_errors(kwargs):
    same_error(lambda lib: lib.utils.data.RandomSampler(range(3), **kwargs))


def test_subset_random_sampler():
    idx = [10, 20, 30, 40]
    s = D.SubsetRandomSampler(idx, generator=numtorch.Generator().manual_seed(0))
    drawn = list(s)
    assert len(s) == 4 and sorted(drawn) == idx
    perm = numtorch.randperm(4, generator=numtorch.Generator().manual_seed(0)).tolist()
    assert drawn == [idx[i] for i in perm]


def test_weighted_random_sampler():
    w = [0.0, 1.0, 3.0, 0.0, 2.0]
    s = D.WeightedRandomSampler(w, 200, generator=numtorch.Generator().manual_seed(0))
    drawn = list(s)
    assert len(s) == len(drawn) == 200 and set(drawn) <= {1, 2, 4}
    assert drawn.count(2) > drawn.count(1)
    no_repl = list(D.WeightedRandomSampler(w, 3, replacement=False, generator=numtorch.Generator().manual_seed(0)))
    assert sorted(no_repl) == [1, 2, 4]
    assert str(s.weights.dtype) == "torch.float64"


@pytest.mark.parametrize("args", [([1.0, 2.0], 0), ([1.0, 2.0], True), ([1.0, 2.0], 2, 1), ([[1.0], [2.0]], 2)])
def test_weighted_random_sampler_argument_errors(args):
    same_error(lambda lib: lib.utils.data.WeightedRandomSampler(*args))


def test_custom_sampler_subclass():
    class Reverse(D.Sampler):
        def __init__(self, n):
            self.n = n

        def __iter__(self):
            return iter(range(self.n - 1, -1, -1))

        def __len__(self):
            return self.n
    assert [b.tolist() for b in D.DataLoader(list(range(5)), sampler=Reverse(5), batch_size=2)] == \
        [[4, 3], [2, 1], [0]]


@needs_torch_rng
@pytest.mark.parametrize("make", [
    lambda D, g: D.RandomSampler(range(13), generator=g),
    lambda D, g: D.RandomSampler(range(5), num_samples=12, generator=g),
    lambda D, g: D.RandomSampler(range(6), replacement=True, num_samples=70, generator=g),
    lambda D, g: D.RandomSampler(range(9)),
    lambda D, g: D.SubsetRandomSampler([3, 8, 1, 9, 4], generator=g),
    lambda D, g: D.WeightedRandomSampler([0.1, 0.5, 0.0, 2.0, 0.4], 20, generator=g),
    lambda D, g: D.WeightedRandomSampler([0.1, 0.5, 0.7, 2.0, 0.4], 4, replacement=False, generator=g),
], ids=["perm", "perm_num_samples", "replacement", "default_generator", "subset", "weighted", "weighted_norepl"])
def test_samplers_draw_exactly_torchs_indices(make):
    draws = []
    for lib in (numtorch, torch):
        lib.manual_seed(21)
        draws.append(list(make(lib.utils.data, lib.Generator().manual_seed(8))))
    assert draws[0] == draws[1]


@needs_torch_rng
def test_random_split_matches_torch_exactly():
    splits = [[s.indices for s in lib.utils.data.random_split(range(17), [0.2, 0.3, 0.5],
                                                              generator=lib.Generator().manual_seed(2))]
              for lib in (numtorch, torch)]
    assert splits[0] == splits[1]
