"""The safetensors format: a flat dict of named tensors, no code, no pickle.

Layout: an 8-byte little-endian header length N, N bytes of JSON
{"name": {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}, ...,
"__metadata__": {str: str}} padded with spaces, then the raw little-endian
data; offsets are relative to the first byte after the header. Files written
here follow the reference writer's conventions (entries ordered by element
size then name, packed without gaps, header padded to 8 bytes), so the
`safetensors` package reads them.
"""
from __future__ import annotations

import json
import struct

import numpy as np

from . import _dtype

__all__ = ["looks_like_safetensors", "write", "read", "read_exactly"]

_CODES = {"BOOL": _dtype.bool, "U8": _dtype.uint8, "I8": _dtype.int8, "I16": _dtype.int16,
          "I32": _dtype.int32, "I64": _dtype.int64, "F16": _dtype.float16, "F32": _dtype.float32,
          "F64": _dtype.float64}
_NAMES = {d: code for code, d in _CODES.items()}
_MAX_HEADER = 100_000_000  # the reference reader's limit


def looks_like_safetensors(head: bytes) -> bool:
    """A header length in range followed by a JSON object (torch's zip files start with 'PK')."""
    if len(head) < 9:
        return False
    (n,) = struct.unpack("<Q", head[:8])
    return 2 <= n <= _MAX_HEADER and head[8:9] == b"{"


def write(fh, tensors: dict, metadata: dict | None = None) -> None:
    """Write a flat {str: Tensor} dict to the binary file `fh`."""
    from ._tensor import Tensor
    if not isinstance(tensors, dict):
        raise TypeError(f"safetensors stores a flat dict of str -> Tensor, got {type(tensors).__name__}")
    arrays = {}
    for name, t in tensors.items():
        if not isinstance(name, str):
            raise TypeError(f"safetensors keys must be str, got {type(name).__name__} ({name!r})")
        if name == "__metadata__":
            raise ValueError("'__metadata__' is reserved in safetensors and cannot name a tensor")
        if not isinstance(t, Tensor):
            raise TypeError(f"safetensors stores a flat dict of str -> Tensor; key {name!r} holds a "
                            f"{type(t).__name__}")
        a = t._data if t._data.flags.c_contiguous else t._data.copy(order="C")
        arrays[name] = a.astype(a.dtype.newbyteorder("<"), copy=False)
    header = {}
    if metadata is not None:
        if not isinstance(metadata, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                                     for k, v in metadata.items()):
            raise TypeError("safetensors metadata must be a dict of str -> str")
        header["__metadata__"] = metadata
    order = sorted(arrays, key=lambda k: (-arrays[k].itemsize, k))
    offset = 0
    for name in order:
        a = arrays[name]
        header[name] = {"dtype": _NAMES[_dtype.from_np(a.dtype.newbyteorder("="))], "shape": list(a.shape),
                        "data_offsets": [offset, offset + a.nbytes]}
        offset += a.nbytes
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-(8 + len(text)) % 8)
    fh.write(struct.pack("<Q", len(text)))
    fh.write(text)
    for name in order:
        if arrays[name].nbytes:
            fh.write(memoryview(arrays[name]).cast("B"))


def read(fh, size: int, what: str) -> dict:
    """Read every tensor of the safetensors file `fh` (seekable, `size` bytes long), in header order."""
    from ._tensor import wrap
    (n,) = struct.unpack("<Q", fh.read(8))
    if n > _MAX_HEADER or 8 + n > size:
        raise RuntimeError(f"{what}: safetensors header length {n} exceeds the file size ({size} bytes); "
                           "the file is truncated or corrupted")
    try:
        header = json.loads(fh.read(n).decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise RuntimeError(f"{what}: the safetensors header is not valid JSON ({e}); the file is corrupted") from None
    if not isinstance(header, dict):
        raise RuntimeError(f"{what}: the safetensors header is not a JSON object; the file is corrupted")
    header.pop("__metadata__", None)
    data_start, data_len = 8 + n, size - 8 - n
    out = {}
    for name, entry in header.items():
        dt, shape, begin, end = _entry(entry, name, what)
        count = int(np.prod(shape, dtype=np.int64))
        if not 0 <= begin <= end <= data_len or end - begin != count * dt.itemsize:
            raise RuntimeError(f"{what}: tensor {name!r} has data_offsets [{begin}, {end}] that do not fit its "
                               f"shape {shape} and dtype {dt} within {data_len} data bytes; the file is "
                               "truncated or corrupted")
        arr = np.empty(count, dtype=dt.np.newbyteorder("<"))
        fh.seek(data_start + begin)
        read_exactly(fh, memoryview(arr).cast("B"), what)
        out[name] = wrap(arr.astype(dt.np, copy=False).reshape(shape))
    return out


def _entry(entry, name: str, what: str):
    if not isinstance(entry, dict):
        raise RuntimeError(f"{what}: safetensors entry {name!r} is not an object; the file is corrupted")
    code, shape, offsets = entry.get("dtype"), entry.get("shape"), entry.get("data_offsets")
    if code not in _CODES:
        if isinstance(code, str):
            raise NotImplementedError(f"{what}: tensor {name!r} has safetensors dtype {code}, which numtorch "
                                      f"does not support (supported: {', '.join(_CODES)})")
        raise RuntimeError(f"{what}: tensor {name!r} has no valid dtype; the file is corrupted")
    if not (isinstance(shape, list) and all(type(s) is int and s >= 0 for s in shape)
            and isinstance(offsets, list) and len(offsets) == 2 and all(type(o) is int for o in offsets)):
        raise RuntimeError(f"{what}: tensor {name!r} has an invalid shape or data_offsets; the file is corrupted")
    return _CODES[code], tuple(shape), offsets[0], offsets[1]


_CHUNK = 1 << 24  # some readers (zip members) allocate a temporary as large as the request


def read_exactly(fh, view: memoryview, what: str) -> None:
    """Fill `view` from `fh`; a short file raises RuntimeError."""
    got = 0
    while got < len(view):
        n = fh.readinto(view[got:got + _CHUNK])
        if not n:
            raise RuntimeError(f"{what}: unexpected end of file; the file is truncated")
        got += n
