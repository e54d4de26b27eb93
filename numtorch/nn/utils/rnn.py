"""torch.nn.utils.rnn: PackedSequence and the functions that pack, pad and unpad batches of
variable-length sequences.

A packed batch stores the sequences time step by time step, each step holding only the
sequences still running (sorted longest first): `batch_sizes[t]` of them. Packing is one
gather (its node is torch's PackPaddedSequenceBackward0); padding copies runs of equal batch
size into a filled tensor, so its history is torch's CopySlices.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

import numpy as np

from ... import _dtype
from ..._ops import dual
from ..._ops._core import record
from ..._ops.creation import full
from ..._tensor import Tensor, wrap
from ...autograd.graph import Node

__all__ = ["PackedSequence", "invert_permutation", "pack_padded_sequence", "pad_packed_sequence", "pad_sequence",
           "unpad_sequence", "pack_sequence", "unpack_sequence"]


class PackedSequence_(NamedTuple):
    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None
    unsorted_indices: Tensor | None


class PackedSequence(PackedSequence_):
    """A packed batch (see the module docstring). Made by pack_padded_sequence / pack_sequence;
    recurrent layers take and return it. A tuple, so it unpacks like torch's."""

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is None:   # PackedSequence((data, batch_sizes), sorted_indices)
            if not (isinstance(data, (list, tuple)) and len(data) == 2):
                raise AssertionError("Expected data to be a list or tuple of length 2")
            data, batch_sizes = data
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs) -> PackedSequence:
        """self when the data already has the dtype and device asked for; otherwise a copy with
        converted data (batch_sizes and the indices keep their dtype, as in torch)."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        move = (lambda t: None if t is None else t.to(data.device))
        return type(self)(data, self.batch_sizes, move(self.sorted_indices), move(self.unsorted_indices))

    def cpu(self, *args, **kwargs) -> PackedSequence:
        return self.to(*args, **kwargs)

    def cuda(self, *args, **kwargs) -> PackedSequence:
        raise NotImplementedError("numtorch runs on the CPU only; PackedSequence.cuda() is not supported")

    def pin_memory(self) -> PackedSequence:
        raise NotImplementedError("numtorch has no pinned memory; PackedSequence.pin_memory() is not supported")

    def is_pinned(self) -> bool:
        return False

    @property
    def is_cuda(self) -> bool:
        return self.data.is_cuda



def _converter(dtype):
    def convert(self) -> PackedSequence:
        return self.to(dtype=dtype)
    return convert


for _name, _dt in (("double", _dtype.float64), ("float", _dtype.float32), ("half", _dtype.float16),
                   ("long", _dtype.int64), ("int", _dtype.int32), ("short", _dtype.int16), ("char", _dtype.int8),
                   ("byte", _dtype.uint8)):
    setattr(PackedSequence, _name, _converter(_dt))


def invert_permutation(permutation):
    """The permutation that undoes `permutation` (None stays None)."""
    if permutation is None:
        return None
    perm = permutation._data
    out = np.empty_like(perm)
    out[perm] = np.arange(perm.size, dtype=perm.dtype)
    return wrap(out)


# -- packing ------------------------------------------------------------------------------------

class PackPaddedSequenceBackward0(Node):
    def backward(self, grad):
        return dual.embed(grad, self.shape, self.at),


def _lengths_array(lengths) -> np.ndarray:
    if isinstance(lengths, Tensor):
        arr = lengths._data
        if arr.ndim != 1:
            kind = lengths.type().split(".")[-1].replace("Tensor", "")
            raise RuntimeError(f"'lengths' argument should be a 1D CPU int64 tensor, but got {arr.ndim}D cpu {kind} "
                               "tensor")
        return arr.astype(np.int64)
    return np.asarray(lengths).astype(np.int64).reshape(-1)


def _batch_sizes(lengths: np.ndarray) -> np.ndarray:
    """How many of the (longest-first) sequences are still running at each time step."""
    return (lengths[None, :] > np.arange(int(lengths.max()) if lengths.size else 0)[:, None]).sum(1)


def _step_index(batch_sizes: np.ndarray):
    """(time step, sequence) of every row of the packed data, in packed order."""
    t = np.repeat(np.arange(batch_sizes.size), batch_sizes)
    offsets = np.cumsum(batch_sizes) - batch_sizes
    return t, np.arange(t.size) - np.repeat(offsets, batch_sizes)


def _pack(input: Tensor, lengths: np.ndarray, batch_first: bool):
    """(data, batch_sizes) of a padded batch whose lengths are sorted longest first."""
    if input.dim() < 2:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-max(input.dim(), 1)}, "
                         f"{max(input.dim(), 1) - 1}], but got 1)")
    x = input._data
    steps, batch = (x.shape[1], x.shape[0]) if batch_first else x.shape[:2]
    if lengths.size != batch:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got {lengths.size} "
                           f"(batch_size={batch})")
    if batch == 0 or lengths[-1] <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an element in 'lengths' "
                           "that is <= 0")
    if np.any(lengths[1:] > lengths[:-1]):
        raise RuntimeError("`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. You "
                           "can pass `enforce_sorted=False` to pack_padded_sequence and/or pack_sequence to "
                           "sidestep this requirement if you do not need ONNX exportability.")
    if lengths[0] > steps:
        raise RuntimeError(f"pack_padded_sequence: a sequence length ({lengths[0]}) exceeds the padded length "
                           f"({steps})")
    batch_sizes = _batch_sizes(lengths)
    t, b = _step_index(batch_sizes)
    at = (b, t) if batch_first else (t, b)
    data = record(PackPaddedSequenceBackward0, x[at], (input,), attrs={"shape": x.shape, "at": at})
    return data, wrap(batch_sizes.astype(np.int64))


def pack_padded_sequence(input: Tensor, lengths, batch_first: bool = False,
                         enforce_sorted: bool = True) -> PackedSequence:
    """Pack a padded batch (T x B x * or B x T x *) of sequences of the given lengths;
    enforce_sorted=False sorts the batch by length first (stably, longest first)."""
    lengths = _lengths_array(lengths)
    sorted_indices = None
    if not enforce_sorted:
        order = np.argsort(-lengths, kind="stable")
        lengths = lengths[order]
        sorted_indices = wrap(order.astype(np.int64))
        input = input.index_select(0 if batch_first else 1, sorted_indices)
    data, batch_sizes = _pack(input, lengths, batch_first)
    return PackedSequence(data, batch_sizes, sorted_indices, None)


def pack_sequence(sequences, enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of sequences (each L x *): pad_sequence then pack_padded_sequence."""
    lengths = [s.size(0) for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


# -- padding ------------------------------------------------------------------------------------

def _runs(batch_sizes: np.ndarray):
    """(first step, end step, batch size) of each run of equal batch sizes."""
    edges = np.flatnonzero(np.diff(batch_sizes)) + 1
    starts = np.concatenate([[0], edges])
    ends = np.concatenate([edges, [batch_sizes.size]])
    return [(int(s), int(e), int(batch_sizes[s])) for s, e in zip(starts, ends)]


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False, padding_value: float = 0.0,
                        total_length: int | None = None):
    """(padded batch, lengths): the inverse of pack_padded_sequence, in the original batch order."""
    data, batch_sizes = sequence.data, sequence.batch_sizes._data
    steps = batch_sizes.size
    if total_length is not None:
        if total_length < steps:
            raise ValueError("Expected total_length to be at least the length of the longest sequence in input, "
                             f"but got total_length={total_length} and max sequence length being {steps}")
        steps = total_length
    batch = int(batch_sizes[0]) if batch_sizes.size else 0
    trail = tuple(data.shape[1:])
    out = full((steps, batch) + trail, padding_value, dtype=data.dtype)
    offset = 0
    for start, end, size in _runs(batch_sizes):
        n = (end - start) * size
        out[start:end, :size] = data[offset:offset + n].view((end - start, size) + trail)
        offset += n
    lengths = wrap((batch_sizes[:, None] > np.arange(batch)[None, :]).sum(0).astype(np.int64))
    if batch_first:
        out = out.transpose(0, 1)
    unsorted = sequence.unsorted_indices
    if unsorted is not None:
        return out.index_select(0 if batch_first else 1, unsorted), wrap(lengths._data[unsorted._data])
    return out, lengths


def pad_sequence(sequences, batch_first: bool = False, padding_value: float = 0.0,
                 padding_side: str = "right") -> Tensor:
    """Stack sequences of lengths L_i x * into T x B x * (or B x T x *), filling with padding_value
    on the right (or the left) of each."""
    if not isinstance(sequences, Iterable):
        raise RuntimeError(f"pad_sequence: Expected iterable for input sequences, but got arg of type: "
                           f"{type(sequences)}")
    sequences = tuple(sequences)
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    if padding_side not in ("left", "right"):
        raise RuntimeError(f"Expected padding_side to be one of left or right, but got {padding_side}.")
    if any(s.dim() == 0 for s in sequences):
        raise RuntimeError("pad_sequence: every sequence needs at least one dimension (its length)")
    steps = max(s.shape[0] for s in sequences)
    first = sequences[0]
    shape = (len(sequences), steps) if batch_first else (steps, len(sequences))
    out = full(shape + tuple(first.shape[1:]), padding_value, dtype=first.dtype)
    for i, s in enumerate(sequences):
        n = s.shape[0]
        span = slice(0, n) if padding_side == "right" else slice(steps - n, steps)
        if batch_first:
            out[i, span] = s
        else:
            out[span, i] = s
    return out


def unpad_sequence(padded_sequences: Tensor, lengths: Tensor, batch_first: bool = False) -> list:
    """The sequences of a padded batch, each cut to its length."""
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    index = wrap(np.arange(padded_sequences.shape[1]))
    return [seq[index < n] for seq, n in zip(padded_sequences, lengths, strict=True)]


def unpack_sequence(packed_sequences: PackedSequence) -> list:
    """The sequences of a packed batch, in their original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
