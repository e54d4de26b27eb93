"""DataLoader: batches from a dataset, in the main process or in worker processes.

num_workers=0 loads in the main process. num_workers>0 starts that many
worker processes (the multiprocessing start method of the platform, or
`multiprocessing_context`); each holds a copy of the dataset, fetches whole
batches and sends them back through a queue; the main process hands them out
in sampler order (any order with in_order=False). Worker i seeds Python's
`random` and numtorch with `base_seed + i` and NumPy's global generator with
torch's derived state, where base_seed is drawn from `generator` when an
epoch's iterator is created, as torch draws it: shuffles and worker seeds
follow the same random stream as torch's. pin_memory has no meaning without
an accelerator and only warns, as torch does on a CPU machine.
"""
from __future__ import annotations

import itertools
import math
import multiprocessing
import os
import queue
import time
import warnings
from typing import Generic, TypeVar

from . import _worker
from ._collate import default_collate, default_convert
from ._worker import get_worker_info, _Failure, _IterableEnd, _Resume
from .dataset import Dataset, IterableDataset
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler, _draw_seed

__all__ = ["DataLoader", "get_worker_info", "default_collate", "default_convert"]

T_co = TypeVar("T_co", covariant=True)

_MAP, _ITERABLE = "map", "iterable"


class _InfiniteConstantSampler(Sampler):
    """The sampler of an IterableDataset: the dataset itself decides where the stream ends."""

    def __iter__(self):
        return itertools.repeat(None)


class _MapFetcher:
    def __init__(self, dataset, auto_collation, collate_fn, drop_last) -> None:
        self.dataset, self.auto_collation, self.collate_fn = dataset, auto_collation, collate_fn
        getitems = getattr(dataset, "__getitems__", None)
        self.getitems = getitems if callable(getitems) else None

    def fetch(self, index):
        if not self.auto_collation:
            return self.collate_fn(self.dataset[index])
        if self.getitems is not None:
            return self.collate_fn(self.getitems(index))
        return self.collate_fn([self.dataset[i] for i in index])


class _IterableFetcher:
    def __init__(self, dataset, auto_collation, collate_fn, drop_last) -> None:
        self.auto_collation, self.collate_fn, self.drop_last = auto_collation, collate_fn, drop_last
        self.it = iter(dataset)
        self.ended = False

    def fetch(self, index):
        if self.ended:
            raise StopIteration
        if not self.auto_collation:
            return self.collate_fn(next(self.it))
        data = list(itertools.islice(self.it, len(index)))
        if len(data) < len(index):
            self.ended = True
            if not data or self.drop_last:
                raise StopIteration
        return self.collate_fn(data)


def _make_fetcher(kind, dataset, auto_collation, collate_fn, drop_last):
    cls = _MapFetcher if kind == _MAP else _IterableFetcher
    return cls(dataset, auto_collation, collate_fn, drop_last)


class DataLoader(Generic[T_co]):
    """Iterates over a dataset in batches; torch.utils.data.DataLoader's arguments and checks."""

    _initialized = False
    _FROZEN = ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset", "persistent_workers")

    def __init__(self, dataset: Dataset[T_co], batch_size: int | None = 1, shuffle: bool | None = None,
                 sampler=None, batch_sampler=None, num_workers: int = 0, collate_fn=None,
                 pin_memory: bool = False, drop_last: bool = False, timeout: float = 0, worker_init_fn=None,
                 multiprocessing_context=None, generator=None, *, prefetch_factor: int | None = None,
                 persistent_workers: bool = False, pin_memory_device: str = "", in_order: bool = True) -> None:
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to disable "
                             "multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in multiprocessing.let "
                             "num_workers > 0 to enable multiprocessing, otherwise set prefetch_factor to None.")
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        elif prefetch_factor is not None and prefetch_factor < 0:
            raise ValueError("prefetch_factor option should be non-negative")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")

        self.dataset = dataset
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.in_order = in_order

        if isinstance(dataset, IterableDataset):
            self._dataset_kind = _ITERABLE
            _check_iterable_options(shuffle, sampler, batch_sampler)
        else:
            self._dataset_kind = _MAP
            shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, "
                                 "and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually exclusive with "
                             "drop_last")

        if sampler is None:
            if self._dataset_kind == _ITERABLE:
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.generator = generator
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn
        self.persistent_workers = persistent_workers
        self._initialized = True
        self._IterableDataset_len_called = None
        self._iterator = None
        self.check_worker_number_rationality()

    @property
    def multiprocessing_context(self):
        return self._mp_context

    @multiprocessing_context.setter
    def multiprocessing_context(self, context) -> None:
        if context is not None:
            if self.num_workers == 0:
                raise ValueError("multiprocessing_context can only be used with multi-process loading "
                                 f"(num_workers > 0), but got num_workers={self.num_workers}")
            if isinstance(context, str):
                methods = multiprocessing.get_all_start_methods()
                if context not in methods:
                    raise ValueError(f"multiprocessing_context option should specify a valid start method in "
                                     f"{methods!r}, but got multiprocessing_context={context!r}")
                context = multiprocessing.get_context(context)
            if not isinstance(context, multiprocessing.context.BaseContext):
                raise TypeError("multiprocessing_context option should be a valid context object or a string "
                                f"specifying the start method, but got multiprocessing_context={context}")
        self._mp_context = context

    def __setattr__(self, attr, val) -> None:
        if self._initialized and attr in self._FROZEN:
            raise ValueError(f"{attr} attribute should not be set after {type(self).__name__} is initialized")
        super().__setattr__(attr, val)

    def __iter__(self):
        if not (self.persistent_workers and self.num_workers > 0):
            return self._get_iterator()
        if self._iterator is None:
            self._iterator = self._get_iterator()
        else:
            self._iterator._reset(self)
        return self._iterator

    def _get_iterator(self):
        if self.num_workers == 0:
            return _SingleProcessIter(self)
        self.check_worker_number_rationality()
        return _MultiProcessIter(self)

    @property
    def _auto_collation(self) -> bool:
        return self.batch_sampler is not None

    @property
    def _index_sampler(self):
        return self.batch_sampler if self._auto_collation else self.sampler

    def __len__(self) -> int:
        if self._dataset_kind == _MAP:
            return len(self._index_sampler)
        # An estimate from the dataset's own length; iteration warns if the dataset yields more.
        length = self._IterableDataset_len_called = len(self.dataset)
        if self.batch_size is not None:
            length = length // self.batch_size if self.drop_last else math.ceil(length / self.batch_size)
        return length

    def check_worker_number_rationality(self) -> None:
        if not self.num_workers:
            return
        cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
        if cpus is None or self.num_workers > cpus:
            warnings.warn(
                f"This DataLoader will create {self.num_workers} worker processes in total. Our suggested max "
                f"number of worker in current system is {cpus}, which is smaller than what this DataLoader is "
                "going to create. Please be aware that excessive worker creation might get DataLoader running "
                "slow or even freeze, lower the worker number to avoid potential slowness/freeze if necessary.",
                stacklevel=2)


def _check_iterable_options(shuffle, sampler, batch_sampler) -> None:
    if shuffle not in {False, None}:
        raise ValueError(f"DataLoader with IterableDataset: expected unspecified shuffle option, but got "
                         f"shuffle={shuffle}")
    if sampler is not None:
        raise ValueError(f"DataLoader with IterableDataset: expected unspecified sampler option, but got "
                         f"sampler={sampler}")
    if batch_sampler is not None:
        raise ValueError(f"DataLoader with IterableDataset: expected unspecified batch_sampler option, but got "
                         f"batch_sampler={batch_sampler}")


class _BaseIter:
    """One epoch over the loader: pulls indices from the sampler and returns batches."""

    def __init__(self, loader: DataLoader) -> None:
        self._dataset = loader.dataset
        self._dataset_kind = loader._dataset_kind
        self._auto_collation = loader._auto_collation
        self._drop_last = loader.drop_last
        self._index_sampler = loader._index_sampler
        self._num_workers = loader.num_workers
        self._timeout = loader.timeout
        self._collate_fn = loader.collate_fn
        self._persistent_workers = loader.persistent_workers
        if loader.pin_memory:
            warnings.warn("'pin_memory' argument is set as true but no accelerator is found, then device "
                          "pinned memory won't be used.", stacklevel=3)
        self._reset(loader, first_iter=True)
        # Drawn even without workers: it advances the loader's generator exactly as torch's does.
        self._base_seed = _draw_seed(loader.generator)

    def _reset(self, loader, first_iter: bool = False) -> None:
        self._sampler_iter = iter(self._index_sampler)
        self._num_yielded = 0
        self._IterableDataset_len_called = loader._IterableDataset_len_called

    def __iter__(self):
        return self

    def __next__(self):
        data = self._next_data()
        self._num_yielded += 1
        reported = self._IterableDataset_len_called
        if self._dataset_kind == _ITERABLE and reported is not None and self._num_yielded > reported:
            msg = (f"Length of IterableDataset {self._dataset} was reported to be {reported}(when accessing "
                   f"len(dataloader)), but {self._num_yielded} samples have been fetched. ")
            if self._num_workers > 0:
                msg += ("For multiprocessing data-loading, this could be caused by not properly configuring the "
                        "IterableDataset replica at each worker. Please see "
                        "https://pytorch.org/docs/stable/data.html#torch.utils.data.IterableDataset for examples.")
            warnings.warn(msg, stacklevel=2)
        return data

    def __len__(self) -> int:
        return len(self._index_sampler)

    def __getstate__(self):
        raise NotImplementedError(f"{type(self).__name__} cannot be pickled")


class _SingleProcessIter(_BaseIter):
    def __init__(self, loader: DataLoader) -> None:
        if loader.timeout != 0:
            raise AssertionError("_SingleProcessDataLoaderIter requires timeout == 0")
        super().__init__(loader)
        self._fetcher = _make_fetcher(self._dataset_kind, self._dataset, self._auto_collation,
                                      self._collate_fn, self._drop_last)

    def _next_data(self):
        return self._fetcher.fetch(next(self._sampler_iter))


# How often the main process, waiting for a batch, checks that its workers are alive (seconds).
_POLL_S = 1.0


class _MultiProcessIter(_BaseIter):
    """Keeps prefetch_factor batches per worker in flight; reorders results by task id."""

    def __init__(self, loader: DataLoader) -> None:
        self._closed = True  # until the workers exist, there is nothing to shut down
        self._prefetch = loader.prefetch_factor
        self._in_order = loader.in_order
        _BaseIter.__init__(self, loader)
        if self._prefetch <= 0:
            raise AssertionError("prefetch_factor must be greater than 0 for MultiProcessingDataLoaderIter")
        ctx = loader.multiprocessing_context or multiprocessing.get_context()
        self._results = ctx.Queue()
        self._done = ctx.Event()
        self._index_queues, self._workers = [], []
        self._closed = False
        for i in range(self._num_workers):
            q = ctx.Queue()
            q.cancel_join_thread()
            w = ctx.Process(target=_worker.worker_loop, daemon=True,
                            args=(self._dataset_kind, self._dataset, q, self._results, self._done,
                                  self._auto_collation, self._collate_fn, self._drop_last, self._base_seed,
                                  loader.worker_init_fn, i, self._num_workers))
            w.start()
            self._index_queues.append(q)
            self._workers.append(w)
        self._start_epoch()

    def _reset(self, loader, first_iter: bool = False) -> None:
        super()._reset(loader, first_iter)
        if first_iter:
            return  # the workers start in __init__, then _start_epoch runs
        for q in self._index_queues:
            q.put(_Resume())
        acks = 0
        while acks < self._num_workers:  # results of the abandoned epoch arrive first and are dropped
            _, data = self._get_result()
            acks += isinstance(data, _Resume)
        self._start_epoch()

    def _start_epoch(self) -> None:
        self._send_id = 0
        self._recv_id = 0
        self._tasks = {}  # task id -> (worker id,) while pending, (worker id, data) once it arrived early
        self._active = [True] * self._num_workers
        self._next_worker = itertools.cycle(range(self._num_workers))
        for _ in range(self._prefetch * self._num_workers):
            self._put_task()

    def _put_task(self) -> None:
        try:
            index = next(self._sampler_iter)
        except StopIteration:
            return
        for _ in range(self._num_workers):
            wid = next(self._next_worker)
            if self._active[wid]:
                break
        else:
            return  # every worker's stream has ended
        self._index_queues[wid].put((self._send_id, index))
        self._tasks[self._send_id] = (wid,)
        self._send_id += 1

    def _next_data(self):
        while True:
            while self._recv_id < self._send_id:
                info = self._tasks.get(self._recv_id)
                if info is not None:
                    if len(info) == 2 or self._active[info[0]]:
                        break
                    del self._tasks[self._recv_id]  # its worker's stream ended: no answer will come
                self._recv_id += 1
            else:
                if not self._persistent_workers:
                    self._shutdown()
                raise StopIteration
            info = self._tasks[self._recv_id]
            if len(info) == 2:
                del self._tasks[self._recv_id]
                self._recv_id += 1
                return self._deliver(info[1])
            task_id, data = self._get_result()
            if isinstance(data, _IterableEnd):
                self._retire(data.worker_id)
                continue
            if task_id is None or task_id not in self._tasks:
                continue
            if task_id == self._recv_id or not self._in_order:
                del self._tasks[task_id]
                self._recv_id += task_id == self._recv_id
                return self._deliver(data)
            self._tasks[task_id] += (data,)

    def _retire(self, wid: int) -> None:
        """A worker's stream ended: its pending tasks will never be answered; hand them to the others."""
        self._active[wid] = False
        for _ in range(sum(len(info) == 1 and info[0] == wid for info in self._tasks.values())):
            self._put_task()

    def _deliver(self, data):
        self._put_task()
        if isinstance(data, _Failure):
            data.reraise()
        return data

    def _get_result(self):
        deadline = time.monotonic() + self._timeout if self._timeout > 0 else None
        while True:
            wait = _POLL_S if deadline is None else max(min(_POLL_S, deadline - time.monotonic()), 0.0)
            try:
                return self._results.get(timeout=wait)
            except queue.Empty:
                pass
            dead = [str(w.pid) for w in self._workers if not w.is_alive()]
            if dead:
                self._shutdown()
                raise RuntimeError(f"DataLoader worker (pid(s) {', '.join(dead)}) exited unexpectedly")
            if deadline is not None and time.monotonic() >= deadline:
                raise RuntimeError(f"DataLoader timed out after {self._timeout} seconds")

    def _shutdown(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._done.set()
        for q in self._index_queues:
            q.put(None)
        for w in self._workers:
            w.join(timeout=5)
            if w.is_alive():
                w.terminate()
        for q in self._index_queues:
            q.close()
        self._results.cancel_join_thread()
        self._results.close()

    def __del__(self):
        try:
            self._shutdown()
        except Exception:  # interpreter shutdown: queues or modules may already be gone
            pass
