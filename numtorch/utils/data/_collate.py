"""default_collate / default_convert: torch's rules for turning samples into batches.

The dispatch mirrors torch's: a registry `default_collate_fn_map` from element
type to collate function (exact type first, then the first isinstance match in
insertion order), then the container rules (mappings, namedtuples, sequences).
Users extend collation the torch way, by passing their own map to `collate` or
updating `default_collate_fn_map`.
"""
from __future__ import annotations

import collections.abc
import copy
import re
from typing import Callable

import numpy as np

from ... import _dtype
from ..._tensor import Tensor, wrap
from ...autograd.grad_mode import _state as _grad_state

__all__ = ["collate", "default_collate", "default_convert", "default_collate_fn_map",
           "collate_tensor_fn", "collate_numpy_array_fn", "collate_numpy_scalar_fn", "collate_float_fn",
           "collate_int_fn", "collate_str_fn"]

# NumPy dtypes that cannot become tensors: byte strings, unicode, void, objects.
_np_non_numeric = re.compile(r"[SaUO]")

_ERR = "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"


def _numtorch():
    import numtorch
    return numtorch


def default_convert(data):
    """Turn NumPy arrays and scalars inside `data` into tensors, leaving the structure alone.

    Used instead of default_collate when automatic batching is off (batch_size=None).
    """
    if isinstance(data, Tensor):
        return data
    elem_type = type(data)
    if elem_type.__module__ == "numpy" and not isinstance(data, (np.str_, np.bytes_)):
        if isinstance(data, np.ndarray) and _np_non_numeric.search(data.dtype.str) is not None:
            return data
        return _numtorch().as_tensor(data)
    if isinstance(data, collections.abc.Mapping):
        return _rebuild_mapping(data, {key: default_convert(data[key]) for key in data})
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return elem_type(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]  # torch returns a list here, for backward compatibility
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        return _rebuild_sequence(data, [default_convert(d) for d in data])
    return data


def _rebuild_mapping(elem, values: dict):
    """A mapping of elem's type holding `values` (a plain dict when the type can't be rebuilt)."""
    try:
        if isinstance(elem, collections.abc.MutableMapping):
            clone = copy.copy(elem)
            clone.update(values)
            return clone
        return type(elem)(values)
    except TypeError:
        return values


def _rebuild_sequence(elem, values: list):
    """A sequence of elem's type holding `values` (a plain list when the type can't be rebuilt)."""
    try:
        if isinstance(elem, collections.abc.MutableSequence):
            clone = copy.copy(elem)
            for i, v in enumerate(values):
                clone[i] = v
            return clone
        return type(elem)(values)
    except TypeError:
        return values


def collate(batch, *, collate_fn_map: dict | None = None):
    """Collate a list of samples, recursing into containers; leaves go through `collate_fn_map`."""
    elem = batch[0]
    elem_type = type(elem)
    if collate_fn_map is not None:
        fn = collate_fn_map.get(elem_type)
        if fn is None:
            fn = next((f for t, f in collate_fn_map.items() if isinstance(elem, t)), None)
        if fn is not None:
            return fn(batch, collate_fn_map=collate_fn_map)
    if isinstance(elem, collections.abc.Mapping):
        return _rebuild_mapping(elem, {key: collate([d[key] for d in batch], collate_fn_map=collate_fn_map)
                                       for key in elem})
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):
        return elem_type(*(collate(s, collate_fn_map=collate_fn_map) for s in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        if any(len(e) != size for e in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        columns = [collate(s, collate_fn_map=collate_fn_map) for s in zip(*batch)]
        if isinstance(elem, tuple):
            return columns  # a list, as in torch
        return _rebuild_sequence(elem, columns)
    raise TypeError(_ERR.format(elem_type))


def collate_tensor_fn(batch, *, collate_fn_map=None):
    """torch.stack(batch, 0); stacked in NumPy directly when no graph is needed."""
    first = batch[0]._data
    if (_grad_state.enabled and any(t._requires_grad for t in batch)) or \
            any(t._data.dtype != first.dtype for t in batch):
        return _numtorch().stack(batch, 0)
    for i, t in enumerate(batch):
        if t._data.shape != first.shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {list(first.shape)} at "
                               f"entry 0 and {list(t._data.shape)} at entry {i}")
    return wrap(np.stack([t._data for t in batch]))


def collate_numpy_array_fn(batch, *, collate_fn_map=None):
    elem = batch[0]
    if _np_non_numeric.search(elem.dtype.str) is not None:
        raise TypeError(_ERR.format(elem.dtype))
    return collate([_numtorch().as_tensor(b) for b in batch], collate_fn_map=collate_fn_map)


def collate_numpy_scalar_fn(batch, *, collate_fn_map=None):
    """A batch of NumPy scalars: their dtypes combine by torch's promotion, not NumPy's."""
    dt = None
    for x in batch:
        d = _dtype.from_np(x.dtype)
        dt = d if dt is None else _dtype.promote_types(dt, d)
    return wrap(np.array(batch, dtype=dt.np))


def collate_float_fn(batch, *, collate_fn_map=None):
    return _numtorch().tensor(batch, dtype=_dtype.float64)


def collate_int_fn(batch, *, collate_fn_map=None):
    return _numtorch().tensor(batch)


def collate_str_fn(batch, *, collate_fn_map=None):
    return batch


default_collate_fn_map: dict[type | tuple[type, ...], Callable] = {
    Tensor: collate_tensor_fn,
    np.ndarray: collate_numpy_array_fn,
    (np.bool_, np.number, np.object_): collate_numpy_scalar_fn,
    float: collate_float_fn,
    int: collate_int_fn,
    str: collate_str_fn,
    bytes: collate_str_fn,
}


def default_collate(batch):
    """Stack a list of samples into a batch with torch's rules.

    Tensors are stacked, NumPy arrays become stacked tensors, Python floats a
    float64 tensor, ints (and bools) an int64 (bool) tensor, strings and bytes
    stay a list; mappings, namedtuples and sequences are collated per field
    (tuples come back as lists, as in torch).
    """
    return collate(batch, collate_fn_map=default_collate_fn_map)
