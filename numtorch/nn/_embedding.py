"""Embedding and EmbeddingBag: row gathers and their scatter-add adjoints.

`gather_rows(w, idx)` picks rows; `scatter_rows(g, idx, n)` adds rows back into n rows (repeats add
up). Each is the other's gradient, so the pair carries every derivative order. Padding rows, gradient
scaling by frequency, per-sample weights and bag means are constant multipliers around them.
EmbeddingBag is gather (weight rows) -> multiply -> scatter (into bags); its max mode gathers the
winning elements by flat index. A sparse embedding gradient is a `numtorch._sparse.SparseTensor`.
"""
from __future__ import annotations

import numpy as np

from .._ops import dual
from .._ops._core import record
from .._sparse import SparseTensor, _groups
from .._tensor import Tensor, wrap
from ..autograd.grad_mode import no_grad
from ..autograd.graph import Node
from . import _pool

__all__ = []  # internal


def _scatter_rows_array(g: np.ndarray, idx: np.ndarray, n: int) -> np.ndarray:
    out = np.zeros((n,) + g.shape[1:], g.dtype)
    if len(idx):
        keys, starts, order = _groups(idx)
        out[keys] = np.add.reduceat(g[order], starts, axis=0)
    return out


class _GatherRows(Node):
    def backward(self, g):
        return scatter_rows(g, self.idx, self.n, self.pair),


class _ScatterRows(Node):
    def backward(self, g):
        return gather_rows(g, self.idx, self.pair),


def _pair(gather_name: str, scatter_name: str) -> tuple:
    return type(gather_name, (_GatherRows,), {}), type(scatter_name, (_ScatterRows,), {})


_ROWS = _pair("IndexSelectBackward0", "IndexAddBackward0")
_BAG = _pair("EmbeddingBagRowsBackward0", "EmbeddingBagBackward0")


def gather_rows(w, idx, pair):
    if isinstance(w, Tensor):
        n = w._data.shape[0]
        return record(pair[0], np.take(w._data, idx, axis=0), (w,), attrs={"idx": idx, "n": n, "pair": pair})
    return np.take(w, idx, axis=0)


def scatter_rows(g, idx, n, pair):
    if isinstance(g, Tensor):
        return record(pair[1], _scatter_rows_array(g._data, idx, n), (g,), attrs={"idx": idx, "n": n, "pair": pair})
    return _scatter_rows_array(g, idx, n)


# -- embedding -----------------------------------------------------------------------------------

class EmbeddingBackward0(Node):
    """out = weight[idx]; dense gradient: the scaled rows of g added into weight's rows."""

    def backward(self, g):
        rows = dual.reshape(g, (-1, dual.data(g).shape[-1]))
        if self.sparse:
            return _sparse_grad(dual.data(rows), self.idx, self.n, self.padding_idx, self.freq),
        if isinstance(rows, Tensor):
            data = _scatter_rows_array(_scaled(rows._data, self.scale), self.idx, self.n)
            keep = None if self.padding_idx < 0 else (self.idx != self.padding_idx)[:, None]
            return record(EmbeddingDenseBackwardBackward0, data, (rows,), attrs={"idx": self.idx, "keep": keep}),
        return _scatter_rows_array(_scaled(rows, self.scale), self.idx, self.n),


def _scaled(rows, scale):
    return rows if scale is None else rows * scale


class EmbeddingDenseBackwardBackward0(Node):
    """The node of torch's embedding_dense_backward. Its own gradient, as torch defines it, gathers the rows back
    and zeroes the padding rows, without the scale_grad_by_freq factors."""

    def backward(self, gg):
        rows = gather_rows(gg, self.idx, _ROWS)
        return rows if self.keep is None else rows * self.keep,


def _sparse_grad(rows: np.ndarray, idx: np.ndarray, n: int, padding_idx: int, freq: bool) -> SparseTensor:
    if freq:
        raise RuntimeError("embedding_backward: scale_grad_by_freq not supported with sparse gradients")
    if padding_idx >= 0:
        keep = idx != padding_idx
        idx, rows = idx[keep], rows[keep]
    return SparseTensor(idx.astype(np.int64).reshape(1, -1), np.ascontiguousarray(rows), (n, rows.shape[1]))


def row_scale(idx: np.ndarray, padding_idx: int, freq: bool, dtype):
    """Per-position gradient multiplier (M, 1): 0 at padding_idx, 1/count with freq; None if all 1."""
    if padding_idx < 0 and not freq:
        return None
    scale = np.ones(len(idx), dtype)
    if freq:
        keys, counts = np.unique(idx, return_counts=True)
        scale = (1.0 / counts[np.searchsorted(keys, idx)]).astype(dtype)
    if padding_idx >= 0:
        scale[idx == padding_idx] = 0
    return scale[:, None]


def check_indices(input: Tensor, what: str = "embedding") -> np.ndarray:
    idx = input._data
    if idx.dtype not in (np.int64, np.int32):
        from .._tensor import legacy_type_name
        raise RuntimeError(f"Expected tensor for argument #1 'indices' to have one of the following scalar types: "
                           f"Long, Int; but got {legacy_type_name(input)} instead (while checking arguments for "
                           f"{what})")
    return idx


def embedding(input: Tensor, weight: Tensor, padding_idx: int, scale_grad_by_freq: bool, sparse: bool,
              grad_scale=None) -> Tensor:
    """torch.embedding (padding_idx already normalized, -1 for none); `grad_scale` (M, 1) replaces the gradient
    multipliers that padding_idx and scale_grad_by_freq imply."""
    idx = check_indices(input)
    w = weight._data
    if w.ndim != 2:
        raise RuntimeError("'weight' must be 2-D")
    flat = idx.reshape(-1)
    if flat.size and (flat.min() < 0 or flat.max() >= w.shape[0]):
        raise IndexError("index out of range in self")
    out = np.take(w, flat, axis=0).reshape(idx.shape + (w.shape[1],))
    attrs = {"idx": flat, "n": w.shape[0], "sparse": sparse, "padding_idx": padding_idx,
             "freq": scale_grad_by_freq, "scale": None}
    if weight.requires_grad:
        attrs["scale"] = grad_scale if grad_scale is not None else \
            row_scale(flat, padding_idx, scale_grad_by_freq and not sparse, w.dtype)
    return record(EmbeddingBackward0, out, (weight,), attrs=attrs)


def renorm_(weight: Tensor, input: Tensor, max_norm: float, norm_type: float) -> None:
    """torch.embedding_renorm_: rescale, in place, each referenced row whose norm exceeds max_norm."""
    with no_grad():
        w = weight._data
        rows = np.unique(input._data.reshape(-1))
        if not rows.size:
            return
        sel = w[rows]
        norms = np.linalg.norm(sel.astype(np.float64), ord=norm_type, axis=1) if norm_type != 0 else \
            (sel != 0).sum(1).astype(np.float64)
        big = norms > max_norm
        if big.any():
            scale = (max_norm / (norms[big] + 1e-7)).astype(w.dtype)
            w[rows[big]] = sel[big] * scale[:, None]
            weight._vc[0] += 1


# -- embedding_bag -----------------------------------------------------------------------------

def embedding_bag(weight: Tensor, idx: np.ndarray, offsets: np.ndarray, scale_grad_by_freq: bool, mode: str,
                  sparse: bool, per_sample_weights, include_last_offset: bool, padding_idx: int) -> Tensor:
    """torch.embedding_bag's first output, from flat indices and bag offsets."""
    n_rows = weight._data.shape[0]
    m = len(idx)
    if len(offsets) and offsets[0] != 0:
        raise RuntimeError(f"offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start from "
                           f"position 0. However, got {int(offsets[0])}")
    if len(offsets) and offsets[-1] > m:
        raise RuntimeError(f"offsets[-1] can not be greater than input's length {m}, but got offsets[-1] of "
                           f"{int(offsets[-1])}")
    starts = offsets[:-1] if include_last_offset else offsets
    bags = len(starts)
    ends = np.append(starts[1:], offsets[-1] if include_last_offset else m) if bags else starts
    seg = np.repeat(np.arange(bags), np.maximum(ends - starts, 0))
    valid = idx != padding_idx if padding_idx >= 0 else None
    grad_scale = _bag_freq_scale(idx, weight._data.dtype) if scale_grad_by_freq and not sparse else None
    rows = embedding(wrap(idx), weight, padding_idx, scale_grad_by_freq, sparse, grad_scale)   # (M, D)
    if mode == "max":
        return _bag_max(rows, seg, valid, bags)
    factor = np.ones(m, weight._data.dtype) if valid is None else valid.astype(weight._data.dtype)
    if mode == "mean":
        counts = np.bincount(seg, weights=factor, minlength=bags)
        factor = factor / np.maximum(counts, 1)[seg]
    factor = factor.astype(weight._data.dtype)[:, None]
    scaled = rows * wrap(factor)
    if per_sample_weights is not None:
        scaled = scaled * per_sample_weights.reshape(-1, 1)
    return scatter_rows(scaled, seg, bags, _BAG)


def _bag_freq_scale(idx: np.ndarray, dtype) -> np.ndarray:
    """torch's CPU embedding_bag gradient multipliers for scale_grad_by_freq. Its kernel divides the gradient of
    the i-th distinct index (in sorted order) by the count of sorted_indices[i], not of that index; reproduced
    here as it is."""
    if not len(idx):
        return np.ones((0, 1), dtype)
    keys, counts = np.unique(idx, return_counts=True)
    sorted_idx = np.sort(idx)
    per_key = 1.0 / counts[np.searchsorted(keys, sorted_idx[:len(keys)])]
    return per_key[np.searchsorted(keys, idx)].astype(dtype)[:, None]


_BAG_MAX = (type("EmbeddingBagBackward0", (_pool._Gather,), {}),
            type("EmbeddingBagBackwardBackward0", (_pool._Scatter,), {}))


def _bag_max(rows: Tensor, seg: np.ndarray, valid, bags: int) -> Tensor:
    r = rows._data
    m, d = r.shape
    cand = r if valid is None else np.where(valid[:, None], r, -np.inf)
    best = np.full((bags, d), -np.inf, r.dtype)
    if m:
        np.maximum.at(best, seg, cand)
    pos = np.where(cand == best[seg], np.arange(m)[:, None], m)
    first = np.full((bags, d), m, np.int64)
    if m:
        np.minimum.at(first, seg, pos)
    empty = first == m
    flat = np.where(empty, 0, first) * d + np.arange(d)
    any_empty = bool(np.any(empty))
    return _pool.gather(rows, _pool.Selection(flat, 2, not any_empty, _BAG_MAX, ~empty if any_empty else None))
