"""The connectionist temporal classification loss kernel (torch's `_ctc_loss`).

The per-sample negative log likelihood comes from the forward (alpha) recursion
over the blank-extended target, run in log space for the whole batch at once
(padded along time and target positions, masked by each sample's lengths). The
backward runs the beta recursion only when a gradient is asked for.

Like torch, the gradient w.r.t. log_probs is exp(log_probs) - occupancy, which
is the true gradient only once composed with log_softmax: torch's kernel
assumes normalised inputs, and numtorch returns the same numbers. torch has no
second derivative here; neither has numtorch (its NotImplemented node).
"""
from __future__ import annotations

import numpy as np

from .._ops import dual
from .._ops._core import record
from .._ops.pointwise import _no_derivative, not_implemented_for
from .._tensor import Tensor
from ..autograd.graph import Node

__all__ = []  # internal: numtorch.nn.functional.ctc_loss is the public form

_NEG = -np.inf
_CHECK = " (while checking arguments for ctc_loss_allocate_outputs)"


def _logsumexp3(a, b, c):
    """log(e^a + e^b + e^c) elementwise; -inf where all three are -inf."""
    m = np.maximum(np.maximum(a, b), c)
    m = np.where(np.isneginf(m), 0.0, m)
    with np.errstate(divide="ignore"):
        return m + np.log(np.exp(a - m) + np.exp(b - m) + np.exp(c - m))


def _shift(x, k):
    """x moved k places up the last axis, -inf filling (negative k: down)."""
    out = np.full_like(x, _NEG)
    if k > 0:
        out[..., k:] = x[..., :-k]
    else:
        out[..., :k] = x[..., -k:]
    return out


def _lengths(lengths, name: str, batch: int) -> np.ndarray:
    if isinstance(lengths, Tensor):
        a = lengths._data
        if a.dtype.kind not in "iu":
            raise RuntimeError(f"{name} must be integral")
    else:
        a = np.asarray(lengths)
        if a.size and a.dtype.kind not in "iu":
            raise TypeError(f"ctc_loss(): argument '{name}' must be tuple of ints, not {type(lengths).__name__}")
    a = a.reshape(-1).astype(np.int64)
    if a.shape[0] != batch:
        raise RuntimeError(f"{name} must be of size batch_size")
    return a


def _padded_targets(targets: np.ndarray, tl: np.ndarray, batch: int) -> np.ndarray:
    """(N, max target length) labels from padded 2-D or concatenated 1-D targets, after torch's checks."""
    for v in tl:
        if v < 0:
            raise RuntimeError(f"Expected target_lengths to have value at least 0, but got value {v}{_CHECK}")
    width = int(tl.max(initial=0))
    if targets.ndim == 1:
        if targets.shape[0] != tl.sum():
            raise RuntimeError(f"Expected tensor to have size {tl.sum()} at dimension 0, but got size "
                               f"{targets.shape[0]} for argument #2 'targets'{_CHECK}")
        out = np.zeros((batch, width), np.int64)
        starts = np.concatenate([[0], np.cumsum(tl)[:-1]]).astype(np.int64)
        for n in range(batch):
            out[n, :tl[n]] = targets[starts[n]:starts[n] + tl[n]]
        return out
    if targets.shape[0] != batch:
        raise RuntimeError(f"Expected tensor to have size {batch} at dimension 0, but got size {targets.shape[0]} "
                           f"for argument #2 'targets'{_CHECK}")
    if targets.shape[1] < width:
        raise RuntimeError(f"Expected tensor to have size at least {width} at dimension 1, but got size "
                           f"{targets.shape[1]} for argument #2 'targets'{_CHECK}")
    return targets[:, :width].astype(np.int64)


def _check(log_probs: Tensor, targets: Tensor, input_lengths, target_lengths, blank: int):
    """torch's argument checks, in its order; returns (targets (N, S), input lengths, target lengths)."""
    lp = log_probs._data
    if lp.dtype.kind != "f" or lp.dtype == np.float16:
        raise not_implemented_for("ctc_loss_cpu", lp.dtype)
    if lp.ndim != 3:
        raise RuntimeError(f"Expected 3-dimensional tensor, but got {lp.ndim}-dimensional tensor for argument #1 "
                           f"'log_probs'{_CHECK}")
    if lp.size == 0:
        raise RuntimeError("log_probs tensor must not be empty")
    if isinstance(input_lengths, Tensor) != isinstance(target_lengths, Tensor):
        raise TypeError("ctc_loss(): input_lengths and target_lengths must both be Tensors or both tuples of ints")
    t = targets._data
    if t.ndim not in (1, 2):
        raise RuntimeError(f"Expected 1 to 2 dimensions, but got {t.ndim}-dimensional tensor for argument #2 "
                           f"'targets'{_CHECK}")
    max_t, batch, classes = lp.shape
    il = _lengths(input_lengths, "input_lengths", batch)
    tl = _lengths(target_lengths, "target_lengths", batch)
    if not 0 <= blank < classes:
        raise RuntimeError("blank must be in label range")
    labels = _padded_targets(t, tl, batch)
    for v in il:
        if v < 0:
            raise RuntimeError(f"Expected input_lengths to have value at least 0, but got value {v}{_CHECK}")
        if v > max_t:
            raise RuntimeError(f"Expected input_lengths to have value at most {max_t}, but got value {v}{_CHECK}")
    if labels.size and (labels.min() < 0 or labels.max() >= classes):
        raise IndexError(f"ctc_loss: target index out of range for {classes} classes")
    return labels, il, tl


class _Lattice:
    """The extended-label lattice of a batch: blank, l1, blank, l2, ..., blank (padded with blank)."""

    def __init__(self, labels, il, tl, blank):
        n, width = labels.shape
        ext = np.full((n, 2 * width + 1), blank, np.int64)
        ext[:, 1::2] = labels
        s = np.arange(ext.shape[1])
        self.ext, self.il, self.tl, self.blank = ext, il, tl, blank
        # the skip s-2 -> s is allowed onto a label that differs from the label two back
        self.skip = (s % 2 == 1) & (s >= 3) & (ext != np.roll(ext, 2, axis=1))
        self.valid = s[None, :] <= 2 * tl[:, None]

    def emissions(self, lp):
        """(T, N, S): log_probs of each lattice position's label."""
        return lp[:, np.arange(lp.shape[1])[:, None], self.ext]

    def alpha(self, e):
        alpha = np.full(e.shape, _NEG)
        alpha[0, :, 0] = e[0, :, 0]
        alpha[0, :, 1] = np.where(self.tl > 0, e[0, :, 1], _NEG)
        skip = self.skip
        for t in range(1, e.shape[0]):
            a = alpha[t - 1]
            alpha[t] = e[t] + _logsumexp3(a, _shift(a, 1), np.where(skip, _shift(a, 2), _NEG))
        return np.where(self.valid, alpha, _NEG)

    def nll(self, alpha):
        n = np.arange(alpha.shape[1])
        last = np.maximum(self.il - 1, 0)
        end = alpha[last, n, 2 * self.tl]
        before = np.where(self.tl > 0, alpha[last, n, np.maximum(2 * self.tl - 1, 0)], _NEG)
        ll = np.logaddexp(end, before)
        ll = np.where(self.il > 0, ll, np.where(self.tl > 0, _NEG, 0.0))
        return -ll

    def beta(self, e):
        steps, n, width = e.shape
        beta = np.full(e.shape, _NEG)
        skip_down = _shift(self.skip.astype(np.float64), -2) > 0   # s -> s+2 allowed where s+2 may be skipped onto
        tl2 = 2 * self.tl
        s = np.arange(width)
        start = (s[None, :] == tl2[:, None]) | ((s[None, :] == tl2[:, None] - 1) & (self.tl[:, None] > 0))
        prev = np.full((n, width), _NEG)
        for t in range(steps - 1, -1, -1):
            rec = e[t] + _logsumexp3(prev, _shift(prev, -1), np.where(skip_down, _shift(prev, -2), _NEG))
            last = (self.il - 1 == t)[:, None]
            inside = (t < self.il - 1)[:, None]
            beta[t] = np.where(last, np.where(start, e[t], _NEG), np.where(inside, rec, _NEG))
            prev = beta[t]
        return beta

    def grad(self, lp, alpha, nll, zero_infinity: bool):
        """torch's d loss_n / d log_probs[t, n, c]: exp(lp) - sum over positions s with label c of
        exp(alpha + beta + nll - lp), zero from each sample's input length on."""
        e = self.emissions(lp)
        beta = self.beta(e)
        steps, n, classes = lp.shape
        with np.errstate(invalid="ignore", over="ignore"):
            occ = np.exp(alpha + beta + nll[None, :, None] - e)
        occ = np.where(np.isnan(occ) & np.isinf(nll)[None, :, None], np.nan, np.nan_to_num(occ, nan=0.0))
        # torch's kernel assigns (not adds) the final label's term at the last step, dropping the
        # final blank's share when a target (invalidly) ends in the blank label; so does numtorch
        ends_blank = np.nonzero((self.tl > 0) & (self.il > 0) & (self.ext[np.arange(n), np.maximum(
            2 * self.tl - 1, 0)] == self.blank))[0]
        occ[self.il[ends_blank] - 1, ends_blank, 2 * self.tl[ends_blank]] = 0.0
        flat = ((np.arange(steps)[:, None, None] * n + np.arange(n)[None, :, None]) * classes + self.ext[None])
        summed = np.bincount(flat.ravel(), occ.ravel(), steps * n * classes).reshape(lp.shape)
        g = np.exp(lp) - summed
        inf = np.isinf(nll)
        g = np.where(inf[None, :, None], 0.0 if zero_infinity else np.nan, g)
        live = np.arange(steps)[:, None] < self.il[None, :]
        return np.where(live[:, :, None], g, 0.0)


class CtcLossBackward0(Node):
    def backward(self, g, lp):
        x = dual.data(lp)
        d = self.lattice.grad(x.astype(np.float64), self.alpha, self.nll, self.zero_infinity)
        out = (d * dual.data(g).reshape(1, -1, 1)).astype(x.dtype, copy=False)
        if dual.is_tensor(g):
            return _no_derivative("_ctc_loss_backward", out, g, lp),
        return out,


def ctc_nll(log_probs: Tensor, targets: Tensor, input_lengths, target_lengths, blank: int,
            zero_infinity: bool) -> Tensor:
    """The unreduced loss, shape (N,) (or () for unbatched (T, C) log_probs)."""
    unbatched = log_probs.dim() != 3   # torch adds the batch dim, then checks for 3 dims
    if unbatched:
        log_probs = log_probs.unsqueeze(min(1, log_probs.dim()))
    labels, il, tl = _check(log_probs, targets, input_lengths, target_lengths, blank)
    x = log_probs._data
    lattice = _Lattice(labels, il, tl, blank)
    lp = x.astype(np.float64)
    alpha = lattice.alpha(lattice.emissions(lp))
    nll = lattice.nll(alpha)
    loss = record(CtcLossBackward0, nll.astype(x.dtype), (log_probs,), (log_probs,),
                  {"lattice": lattice, "alpha": alpha, "nll": nll, "zero_infinity": zero_infinity})
    return loss.squeeze(0) if unbatched else loss


def target_lengths_array(target_lengths) -> np.ndarray:
    """The target lengths as an int64 array (for the 'mean' reduction's divisor)."""
    if isinstance(target_lengths, Tensor):
        return target_lengths._data.reshape(-1).astype(np.int64)
    return np.asarray(target_lengths, np.int64).reshape(-1)
