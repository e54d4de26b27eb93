"""A minimal sparse COO tensor: what Embedding(sparse=True) produces as a gradient and SparseAdam reads.

A SparseTensor holds `indices` (sparse_dim, nnz) int64 and `values` (nnz, *dense_dims), possibly with
repeated indices (uncoalesced) as torch's embedding gradients are. Its `_data` is the equivalent dense
array, built on first use and read-only, so every dense op that reads a sparse operand (dense += sparse,
param.add_(grad, alpha=-lr), grad.norm()) gets the value torch gives; writing into a sparse tensor in
place raises. Adding two sparse tensors concatenates their entries, as torch's gradient accumulation
does.
"""
from __future__ import annotations

import numpy as np

from ._tensor import Tensor, bind_methods, wrap

__all__ = ["sparse_coo_tensor", "sparse_coo"]


class _Layout:
    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return f"torch.{self.name}"


sparse_coo = _Layout("sparse_coo")


class SparseTensor(Tensor):
    """torch.sparse_coo layout: indices (sparse_dim, nnz), values (nnz, *dense_shape)."""

    is_sparse = True
    layout = sparse_coo

    def __init__(self, indices: np.ndarray, values: np.ndarray, shape: tuple, coalesced: bool = False):
        self._sp_indices = indices
        self._sp_values = values
        self._sp_shape = tuple(int(s) for s in shape)
        self._coalesced = coalesced
        self._dense = None
        self._vc = [0]

    # -- the dense view every dense op reads -------------------------------------------------------
    @property
    def _data(self) -> np.ndarray:
        if self._dense is None:
            dense = np.zeros(self._sp_shape, self._sp_values.dtype)
            np.add.at(dense, tuple(self._sp_indices), self._sp_values)
            dense.flags.writeable = False
            self._dense = dense
        return self._dense

    @property
    def shape(self):
        from ._size import Size
        return Size(self._sp_shape)

    @property
    def dtype(self):
        from ._dtype import from_np
        return from_np(self._sp_values.dtype)

    @property
    def ndim(self) -> int:
        return len(self._sp_shape)

    def dim(self) -> int:
        return len(self._sp_shape)

    # -- torch's sparse API -----------------------------------------------------------------------------
    def sparse_dim(self) -> int:
        return self._sp_indices.shape[0]

    def dense_dim(self) -> int:
        return self._sp_values.ndim - 1

    def _nnz(self) -> int:
        return self._sp_indices.shape[1]

    def is_coalesced(self) -> bool:
        return self._coalesced

    def _indices(self) -> Tensor:
        return wrap(self._sp_indices)

    def _values(self) -> Tensor:
        return wrap(self._sp_values)

    def indices(self) -> Tensor:
        if not self._coalesced:
            raise RuntimeError("Cannot get indices on an uncoalesced tensor, please call .coalesce() first")
        return self._indices()

    def values(self) -> Tensor:
        if not self._coalesced:
            raise RuntimeError("Cannot get values on an uncoalesced tensor, please call .coalesce() first")
        return self._values()

    def coalesce(self) -> "SparseTensor":
        """Indices sorted and unique, values of repeated indices summed."""
        if self._coalesced:
            return self
        idx, vals = self._sp_indices, self._sp_values
        if idx.shape[1] == 0:
            return SparseTensor(idx, vals, self._sp_shape, True)
        flat = np.ravel_multi_index(tuple(idx), self._sp_shape[:idx.shape[0]])
        keys, starts, order = _groups(flat)
        sums = np.add.reduceat(vals[order], starts, axis=0) if len(starts) else vals[:0]
        new_idx = np.stack(np.unravel_index(keys, self._sp_shape[:idx.shape[0]])).astype(np.int64)
        return SparseTensor(new_idx, sums.astype(vals.dtype, copy=False), self._sp_shape, True)

    def to_dense(self, dtype=None, *, masked_grad=None) -> Tensor:
        return wrap(self._data.copy())

    def clone(self, *, memory_format=None) -> "SparseTensor":
        return SparseTensor(self._sp_indices.copy(), self._sp_values.copy(), self._sp_shape, self._coalesced)

    def __deepcopy__(self, memo) -> "SparseTensor":  # Tensor's would write the read-only dense `_data`
        if id(self) not in memo:
            memo[id(self)] = self.clone()
        return memo[id(self)]

    def detach(self) -> "SparseTensor":
        return self

    # -- arithmetic that keeps the layout ------------------------------------------------------------------
    def __add__(self, other):
        if isinstance(other, SparseTensor):
            if other._sp_shape != self._sp_shape:
                raise RuntimeError(f"add: expected 'self' and 'other' to have same size, but self has size "
                                   f"{list(self._sp_shape)} while other has size {list(other._sp_shape)}")
            return SparseTensor(np.concatenate([self._sp_indices, other._sp_indices], 1),
                                np.concatenate([self._sp_values, other._sp_values], 0), self._sp_shape)
        if isinstance(other, np.ndarray):       # a dense gradient buffer in the engine
            return other + self._data
        return Tensor.__add__(self.to_dense(), other)

    def __radd__(self, other):
        if isinstance(other, np.ndarray):
            return other + self._data
        return Tensor.__add__(self.to_dense(), other)

    def __mul__(self, other):
        if isinstance(other, (int, float)):
            values = (self._sp_values * other).astype(self._sp_values.dtype, copy=False)
            return SparseTensor(self._sp_indices, values, self._sp_shape, self._coalesced)
        return Tensor.__mul__(self.to_dense(), other)

    __rmul__ = __mul__

    def __neg__(self):
        return self * -1

    def __truediv__(self, other):
        return self * (1.0 / _number(other, "div"))

    # -- in place: what optimizers and clip_grad_norm_ do to a gradient -------------------------------------
    def _changed(self) -> "SparseTensor":
        self._dense = None
        self._vc[0] += 1
        return self

    def mul_(self, other) -> "SparseTensor":
        self._sp_values = (self._sp_values * _number(other, "mul_")).astype(self._sp_values.dtype, copy=False)
        return self._changed()

    def div_(self, other) -> "SparseTensor":
        return self.mul_(1.0 / _number(other, "div_"))

    def zero_(self) -> "SparseTensor":
        self._sp_indices = self._sp_indices[:, :0]
        self._sp_values = self._sp_values[:0]
        self._coalesced = True
        return self._changed()

    def add_(self, other, *, alpha=1) -> "SparseTensor":
        if not isinstance(other, SparseTensor):
            raise NotImplementedError("numtorch: adding a dense tensor into a sparse one in place is not supported")
        summed = self + (other if alpha == 1 else other * alpha)
        self._sp_indices, self._sp_values, self._coalesced = summed._sp_indices, summed._sp_values, False
        return self._changed()

    def __repr__(self) -> str:
        pad = " " * 7
        vals = repr(wrap(self._sp_values)).replace("\n", "\n" + pad)
        return (f"tensor(indices={repr(wrap(self._sp_indices))},\n{pad}values={vals},\n{pad}"
                f"size={self._sp_shape}, nnz={self._nnz()}, layout=torch.sparse_coo)")

    __str__ = __repr__


def _number(value, op: str) -> float:
    """A Python number or a one-element dense tensor as a float (sparse tensors scale by numbers only)."""
    if isinstance(value, Tensor) and not isinstance(value, SparseTensor) and value._data.size == 1:
        return value._data.item()
    if isinstance(value, (int, float, np.number)) and not isinstance(value, bool):
        return value
    raise NotImplementedError(f"numtorch sparse tensors support {op} by a number only")


def _groups(flat: np.ndarray):
    """(sorted unique keys, start of each key's run in sorted order, the sorting permutation)."""
    order = np.argsort(flat, kind="stable")
    s = flat[order]
    first = np.ones(len(s), bool)
    first[1:] = s[1:] != s[:-1]
    starts = np.flatnonzero(first)
    return s[starts], starts, order


def sparse_coo_tensor(indices, values, size=None, *, dtype=None, device=None, pin_memory=False,
                      requires_grad=False, check_invariants=None, is_coalesced=None) -> SparseTensor:
    """torch.sparse_coo_tensor: indices (sparse_dim, nnz), values (nnz, *dense_dims)."""
    if requires_grad:
        raise NotImplementedError("numtorch sparse tensors do not support requires_grad")
    idx = np.asarray(indices._data if isinstance(indices, Tensor) else indices).astype(np.int64)
    vals = values._data if isinstance(values, Tensor) else np.asarray(values)
    if dtype is not None:
        from ._dtype import from_any
        vals = vals.astype(from_any(dtype).np)
    elif not isinstance(values, Tensor) and vals.dtype == np.float64:
        from ._dtype import get_default_dtype
        vals = vals.astype(get_default_dtype().np)
    if idx.ndim != 2:
        raise RuntimeError(f"indices must be sparse_dim x nnz, but got: {list(idx.shape)}")
    if idx.shape[1] != vals.shape[0]:
        raise RuntimeError(f"indices and values must have same nnz, but got nnz from indices: {idx.shape[1]}, nnz "
                           f"from values: {vals.shape[0]}")
    if size is None:
        size = tuple(int(m) + 1 if idx.shape[1] else 0 for m in (idx.max(1) if idx.shape[1] else [0] * idx.shape[0]))
        size = size + vals.shape[1:]
    size = tuple(int(s) for s in size)
    if len(size) != idx.shape[0] + vals.ndim - 1:
        raise RuntimeError(f"number of dimensions must be sparse_dim ({idx.shape[0]}) + dense_dim ({vals.ndim - 1}), "
                           f"but got {len(size)}")
    if idx.shape[1] and check_invariants:
        for d in range(idx.shape[0]):
            if idx[d].min() < 0 or idx[d].max() >= size[d]:
                raise RuntimeError(f"size is inconsistent with indices: for dim {d}, size is {size[d]} but found "
                                   f"index {int(idx[d].max())}")
    return SparseTensor(idx, vals, size, bool(is_coalesced))


def to_sparse(self, sparse_dim=None, *, layout=None, blocksize=None, dense_dim=None) -> SparseTensor:
    """A coalesced COO copy of a dense tensor (the nonzero entries)."""
    x = self._data
    nd = x.ndim if sparse_dim is None else sparse_dim
    if nd == x.ndim:
        idx = np.stack(np.nonzero(x)).astype(np.int64).reshape(x.ndim, -1)
        vals = x[tuple(idx)]
    else:
        mask = np.any(x.reshape(x.shape[:nd] + (-1,)) != 0, axis=-1)
        idx = np.stack(np.nonzero(mask)).astype(np.int64).reshape(nd, -1)
        vals = x[tuple(idx)]
    return SparseTensor(idx, vals.copy(), x.shape, True)


bind_methods(to_sparse=to_sparse)
