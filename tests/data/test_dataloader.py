"""DataLoader against torch's on the same datasets: batch contents, order, types, lengths and errors."""
import os
import random

import numpy as np
import pytest
import torch

import numtorch
from tests.data.helpers import Point, assert_same, needs_torch_rng, same_error

RNG = np.random.default_rng(0)
X = RNG.standard_normal((11, 3)).astype(np.float32)
Y = RNG.integers(0, 4, 11)


class Samples:
    """Map-style dataset (duck-typed) whose samples are of one kind, built with `lib`."""

    def __init__(self, lib, kind="tensors", n=11):
        self.lib, self.kind, self.n = lib, kind, n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        lib = self.lib
        if self.kind == "tensors":
            return lib.from_numpy(X[i]), lib.tensor(int(Y[i]))
        if self.kind == "dict":
            return {"x": X[i], "y": int(Y[i]), "w": float(i) / 2, "id": f"s{i}"}
        if self.kind == "namedtuple":
            return Point(lib.from_numpy(X[i]), [int(Y[i]), np.int32(i)])
        if self.kind == "numbers":
            return float(X[i, 0]), int(Y[i]), bool(Y[i] % 2)
        raise AssertionError(self.kind)


def _stream_cls(lib, per_worker_split=False, n=10, with_len=True):
    class Stream(lib.utils.data.IterableDataset):
        def __iter__(self):
            lo, hi = 0, n
            info = lib.utils.data.get_worker_info()
            if per_worker_split and info is not None:
                per = -(-n // info.num_workers)
                lo = info.id * per
                hi = min(lo + per, n)
            return iter([lib.tensor([i, i * i]) for i in range(lo, hi)])

        if with_len:
            def __len__(self):
                return n
    return Stream


def _both(make_loader):
    """Batches of the numtorch loader and of the torch loader built by make_loader(lib, dataset)."""
    return list(make_loader(numtorch)), list(make_loader(torch))


def _check_same(make_loader):
    ours, theirs = _both(make_loader)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        assert_same(a, b)


@pytest.mark.parametrize("kind", ["tensors", "dict", "namedtuple", "numbers"])
@pytest.mark.parametrize("batch_size,drop_last", [(1, False), (4, False), (4, True), (11, True), (20, False),
                                                  (None, False)])
def test_map_dataset_batches_like_torch(kind, batch_size, drop_last):
    def make(lib):
        return lib.utils.data.DataLoader(Samples(lib, kind), batch_size=batch_size, drop_last=drop_last)
    _check_same(make)
    assert len(make(numtorch)) == len(make(torch))


def test_tensor_dataset_loader_like_torch():
    def make(lib):
        ds = lib.utils.data.TensorDataset(lib.from_numpy(X), lib.from_numpy(Y))
        return lib.utils.data.DataLoader(ds, batch_size=3)
    _check_same(make)


def test_sampler_batch_sampler_and_collate_fn_like_torch():
    _check_same(lambda lib: lib.utils.data.DataLoader(Samples(lib), sampler=[3, 1, 4, 1, 5], batch_size=2))
    _check_same(lambda lib: lib.utils.data.DataLoader(Samples(lib), batch_sampler=[[0, 2], [9], [4, 4, 4]]))
    _check_same(lambda lib: lib.utils.data.DataLoader(Samples(lib, "dict"), batch_size=3, collate_fn=lambda b: b))
    _check_same(lambda lib: lib.utils.data.DataLoader(Samples(lib), batch_size=None, sampler=[2, 0]))


def test_getitems_is_used_for_whole_batches():
    class Batched(Samples):
        calls = []

        def __getitems__(self, idx):
            self.calls.append(list(idx))
            return [self[i] for i in idx]
    ds = Batched(numtorch)
    batches = list(numtorch.utils.data.DataLoader(ds, batch_size=4))
    assert Batched.calls == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10]] and len(batches) == 3


@pytest.mark.parametrize("batch_size,drop_last", [(1, False), (3, False), (3, True), (None, False)])
def test_iterable_dataset_like_torch(batch_size, drop_last):
    def make(lib):
        return lib.utils.data.DataLoader(_stream_cls(lib)(), batch_size=batch_size, drop_last=drop_last)
    _check_same(make)
    assert len(make(numtorch)) == len(make(torch))


def test_iterable_dataset_length_warning_like_torch():
    class Longer(_stream_cls(numtorch, n=3)):
        def __len__(self):
            return 2
    loader = numtorch.utils.data.DataLoader(Longer(), batch_size=None)
    len(loader)
    with pytest.warns(UserWarning, match=r"was reported to be 2\(when accessing len\(dataloader\)\), but 3 "):
        list(loader)


@pytest.mark.parametrize("kwargs", [
    dict(num_workers=-1), dict(timeout=-1), dict(prefetch_factor=2), dict(persistent_workers=True),
    dict(num_workers=1, prefetch_factor=-1), dict(sampler=[0], shuffle=True),
    dict(batch_sampler=[[0]], batch_size=2), dict(batch_sampler=[[0]], shuffle=True),
    dict(batch_sampler=[[0]], sampler=[0]), dict(batch_sampler=[[0]], drop_last=True),
    dict(batch_size=None, drop_last=True), dict(multiprocessing_context="spawn"),
    dict(num_workers=1, multiprocessing_context="nope"), dict(num_workers=1, multiprocessing_context=3),
])
def test_option_errors_like_torch(kwargs):
    same_error(lambda lib: lib.utils.data.DataLoader(Samples(lib), **kwargs))


@pytest.mark.parametrize("kwargs", [dict(shuffle=True), dict(sampler=[0]), dict(batch_sampler=[[0]])])
def test_iterable_dataset_option_errors_like_torch(kwargs):
    def make(lib):
        ds = _stream_cls(lib)()
        kw = {k: (v if k == "shuffle" else v) for k, v in kwargs.items()}
        return lib.utils.data.DataLoader(ds, **kw)
    with pytest.raises(ValueError) as theirs:
        make(torch)
    with pytest.raises(ValueError) as ours:
        make(numtorch)
    strip = lambda m: m.split(" option, but got")[0]  # the reprs of the two datasets differ
    assert strip(str(ours.value)) == strip(str(theirs.value))


def test_attributes_frozen_after_init_like_torch():
    def set_batch_size(lib):
        lib.utils.data.DataLoader(Samples(lib)).batch_size = 3
    same_error(set_batch_size)
    loader = numtorch.utils.data.DataLoader(Samples(numtorch))
    loader.num_workers = 0  # not frozen


def test_pin_memory_warns_without_accelerator():
    with pytest.warns(UserWarning, match="no accelerator is found"):
        next(iter(numtorch.utils.data.DataLoader(Samples(numtorch), pin_memory=True)))


def test_default_samplers():
    D = numtorch.utils.data
    assert isinstance(D.DataLoader(Samples(numtorch)).sampler, D.SequentialSampler)
    loader = D.DataLoader(Samples(numtorch), shuffle=True, batch_size=2)
    assert isinstance(loader.sampler, D.RandomSampler) and isinstance(loader.batch_sampler, D.BatchSampler)
    assert len(loader) == 6


def test_shuffle_covers_every_sample_once_per_epoch():
    loader = numtorch.utils.data.DataLoader(list(range(23)), batch_size=5, shuffle=True,
                                            generator=numtorch.Generator().manual_seed(0))
    epochs = [sorted(i for b in loader for i in b.tolist()) for _ in range(2)]
    assert epochs == [list(range(23))] * 2
    assert [b.tolist() for b in loader] != [b.tolist() for b in loader]  # reshuffled every epoch


def test_each_epoch_draws_a_base_seed_from_the_generator_first():
    """As in torch: iter(loader) draws one int64 from `generator`, then the sampler shuffles with it."""
    g = numtorch.Generator().manual_seed(4)
    batches = [b.tolist() for b in numtorch.utils.data.DataLoader(list(range(6)), batch_size=6, shuffle=True,
                                                                   generator=g)]
    g2 = numtorch.Generator().manual_seed(4)
    numtorch.empty((), dtype=numtorch.int64).random_(generator=g2)
    assert batches == [numtorch.randperm(6, generator=g2).tolist()]


@needs_torch_rng
def test_shuffle_order_matches_torch():
    _check_same(lambda lib: lib.utils.data.DataLoader(Samples(lib), batch_size=3, shuffle=True,
                                                      generator=lib.Generator().manual_seed(0)))
    for lib in (numtorch, torch):
        lib.manual_seed(3)
    _check_same(lambda lib: lib.utils.data.DataLoader(Samples(lib), batch_size=4, shuffle=True))
    for lib in (numtorch, torch):
        lib.manual_seed(4)
    _check_same(lambda lib: [b for _ in range(3) for b in lib.utils.data.DataLoader(Samples(lib), batch_size=5,
                                                                                 shuffle=True, drop_last=True)])


def test_get_worker_info_is_none_in_the_main_process():
    assert numtorch.utils.data.get_worker_info() is None


# -- worker processes --------------------------------------------------------------------------------------------

def test_workers_give_the_same_batches_as_torch():
    _check_same(lambda lib: lib.utils.data.DataLoader(Samples(lib, "dict"), batch_size=3, num_workers=2))


def test_iterable_dataset_split_across_workers_like_torch():
    _check_same(lambda lib: lib.utils.data.DataLoader(_stream_cls(lib, per_worker_split=True)(), batch_size=2,
                                                      num_workers=2))
    # without a split, each worker yields the whole stream (torch's documented behaviour)
    _check_same(lambda lib: lib.utils.data.DataLoader(_stream_cls(lib, n=3, with_len=False)(), batch_size=None,
                                                      num_workers=2))


class InfoDataset:
    def __len__(self):
        return 6

    def __getitem__(self, i):
        info = numtorch.utils.data.get_worker_info()
        return {"worker": info.id, "num_workers": info.num_workers, "seed": info.seed, "pid": os.getpid(),
                "init": getattr(info.dataset, "initialized", -1)}


def _init(worker_id):
    numtorch.utils.data.get_worker_info().dataset.initialized = worker_id


def test_worker_info_seeds_and_init_fn():
    g = numtorch.Generator().manual_seed(0)
    loader = numtorch.utils.data.DataLoader(InfoDataset(), batch_size=None, num_workers=2, worker_init_fn=_init,
                                            generator=g)
    out = list(loader)
    assert [o["worker"] for o in out] == [0, 1, 0, 1, 0, 1]
    assert all(o["num_workers"] == 2 and o["init"] == o["worker"] for o in out)
    assert {o["pid"] for o in out}.isdisjoint({os.getpid()}) and len({o["pid"] for o in out}) == 2
    g2 = numtorch.Generator().manual_seed(0)
    base = int(numtorch.empty((), dtype=numtorch.int64).random_(generator=g2).item())
    assert {o["seed"] - o["worker"] for o in out} == {base}


class Failing:
    def __len__(self):
        return 4

    def __getitem__(self, i):
        if i == 2:
            raise KeyError("missing sample 2")
        return i


def test_worker_exception_is_reraised_in_the_main_process():
    it = iter(numtorch.utils.data.DataLoader(Failing(), batch_size=None, num_workers=2))
    assert next(it) == 0 and next(it) == 1
    with pytest.raises(KeyError, match="Caught KeyError in DataLoader worker process 0") as e:
        next(it)
    assert "missing sample 2" in str(e.value)
    assert next(it) == 3


def test_persistent_workers_and_out_of_order_delivery():
    loader = numtorch.utils.data.DataLoader(InfoDataset(), batch_size=2, num_workers=2, persistent_workers=True)
    first = list(loader)
    second = list(loader)
    assert [b["pid"].tolist() for b in first] == [b["pid"].tolist() for b in second]  # same processes
    loader = numtorch.utils.data.DataLoader(list(range(20)), batch_size=3, num_workers=2, in_order=False)
    assert sorted(i for b in loader for i in b.tolist()) == list(range(20))


def test_breaking_out_of_an_epoch_with_persistent_workers():
    loader = numtorch.utils.data.DataLoader(list(range(12)), batch_size=2, num_workers=2, persistent_workers=True)
    next(iter(loader))
    assert [b.tolist() for b in loader] == [[0, 1], [2, 3], [4, 5], [6, 7], [8, 9], [10, 11]]


def test_too_many_workers_warns():
    with pytest.warns(UserWarning, match="This DataLoader will create 1000 worker processes in total"):
        numtorch.utils.data.DataLoader(Samples(numtorch), num_workers=1000)


class SeedProbe:
    """What a worker's seeding gives: its seed and a draw from each global generator torch seeds."""

    def __init__(self, lib):
        self.lib = lib

    def __len__(self):
        return 6

    def __getitem__(self, i):
        info = self.lib.utils.data.get_worker_info()
        return [info.id, info.seed, int(np.random.randint(2 ** 31)), random.randrange(2 ** 31),
                int(self.lib.randint(0, 2 ** 31, (1,)).item())]


@needs_torch_rng
def test_worker_seeds_match_torch():
    for lib in (numtorch, torch):
        lib.manual_seed(9)
    _check_same(lambda lib: lib.utils.data.DataLoader(SeedProbe(lib), batch_size=None, num_workers=2))
    _check_same(lambda lib: lib.utils.data.DataLoader(SeedProbe(lib), batch_size=None, num_workers=2,
                                                      generator=lib.Generator().manual_seed(1)))


def _failing_init(worker_id):
    raise ValueError(f"init failed in {worker_id}")


def test_worker_init_fn_failure_is_reported():
    loader = numtorch.utils.data.DataLoader(list(range(4)), num_workers=1, worker_init_fn=_failing_init)
    with pytest.raises(ValueError, match="Caught ValueError in DataLoader worker process 0(.|\n)*init failed in 0"):
        next(iter(loader))
