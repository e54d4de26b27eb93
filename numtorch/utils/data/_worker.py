"""What runs inside a DataLoader worker process, and what it sends back.

Protocol (one index queue per worker, one shared result queue):
  main -> worker: (task_id, index), `_Resume()` at a new epoch of persistent workers, or None to stop.
  worker -> main: (task_id, batch | _Failure | _IterableEnd), or (None, _Resume()) acknowledging a resume.
"""
from __future__ import annotations

import os
import queue
import random
import sys
import traceback
from dataclasses import dataclass

__all__ = ["WorkerInfo", "get_worker_info"]

_info = None  # set in a worker process only

# How often a waiting worker checks whether it should stop (seconds).
_POLL_S = 0.2


@dataclass(frozen=True)
class WorkerInfo:
    """Describes the current worker: id, num_workers, seed and its own copy of the dataset."""
    id: int
    num_workers: int
    seed: int
    dataset: object


def get_worker_info() -> WorkerInfo | None:
    """The current worker's WorkerInfo inside a DataLoader worker process, None in the main process."""
    return _info


class _IterableEnd:
    """An iterable dataset's copy in this worker is exhausted."""

    def __init__(self, worker_id: int) -> None:
        self.worker_id = worker_id


class _Resume:
    """Start a new epoch (persistent workers): rebuild the fetcher."""


class _Failure:
    """An exception raised in a worker, carried to the main process with its traceback as text."""

    def __init__(self, where: str) -> None:
        exc_type, exc, _ = sys.exc_info()
        self.exc_type = exc_type
        self.where = where
        self.text = "".join(traceback.format_exception(exc_type, exc, exc.__traceback__))

    def reraise(self):
        msg = f"Caught {self.exc_type.__name__} {self.where}.\nOriginal {self.text}"
        if self.exc_type is KeyError:
            msg = KeyErrorMessage(msg)  # KeyError would print the message as a quoted repr
        try:
            exc = self.exc_type(msg)
        except Exception:  # an exception type whose constructor wants other arguments
            raise RuntimeError(msg) from None
        raise exc


class KeyErrorMessage(str):
    def __repr__(self) -> str:
        return str(self)


def _seed_everything(base_seed: int, worker_id: int) -> int:
    """Seed Python's, numtorch's and NumPy's global generators for this worker, with torch's values.

    NumPy gets a SeedSequence state of (worker_id, base_seed's two 32-bit
    halves), which is what torch's workers feed np.random.seed.
    """
    import numpy as np
    import numtorch
    seed = base_seed + worker_id
    random.seed(seed)
    numtorch.manual_seed(seed)
    np.random.seed(np.random.SeedSequence([worker_id, base_seed & 0xFFFFFFFF, base_seed >> 32]).generate_state(4))
    return seed


def worker_loop(kind, dataset, index_queue, result_queue, done_event, auto_collation, collate_fn, drop_last,
                base_seed, init_fn, worker_id, num_workers) -> None:
    """Fetch the batches named by `index_queue` until told to stop (None) or the parent is gone."""
    global _info
    from .dataloader import _make_fetcher
    parent = os.getppid()
    failure = None
    seed = base_seed + worker_id
    try:
        _seed_everything(base_seed, worker_id)
        _info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed, dataset=dataset)
        if init_fn is not None:
            init_fn(worker_id)
        fetcher = _make_fetcher(kind, dataset, auto_collation, collate_fn, drop_last)
    except Exception:
        failure = _Failure(f"in DataLoader worker process {worker_id}")
    ended = False
    while True:
        try:
            task = index_queue.get(timeout=_POLL_S)
        except queue.Empty:
            # The stop message may never come: the parent died, or its queue was finalized by the
            # garbage collector before the iterator's shutdown ran. The event and ppid still tell.
            if done_event.is_set() or os.getppid() != parent:
                break
            continue
        except KeyboardInterrupt:
            continue  # the main process decides when workers stop
        if task is None:
            break
        if isinstance(task, _Resume):
            ended = False
            if failure is None:
                fetcher = _make_fetcher(kind, dataset, auto_collation, collate_fn, drop_last)
            result_queue.put((None, task))
            continue
        if done_event.is_set() or ended:
            continue
        task_id, index = task
        if failure is not None:  # worker_init_fn or the fetcher failed: every task reports it
            data = failure
        else:
            try:
                data = fetcher.fetch(index)
            except StopIteration:
                if kind == "iterable":
                    data, ended = _IterableEnd(worker_id), True
                else:
                    data = _Failure(f"in DataLoader worker process {worker_id}")
            except Exception:
                data = _Failure(f"in DataLoader worker process {worker_id}")
        result_queue.put((task_id, data))
        del data
    result_queue.cancel_join_thread()
