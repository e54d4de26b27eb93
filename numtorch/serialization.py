"""save / load in torch's own checkpoint format, readable by torch and from torch.

A checkpoint is torch's zip archive: `archive/data.pkl` (a protocol-2 pickle
in which each tensor is `torch._utils._rebuild_tensor_v2(storage, offset,
size, stride, requires_grad, hooks)` and each storage a persistent id
`('storage', torch.FloatStorage, key, 'cpu', numel)`), `archive/data/<key>`
(the raw storages, 64-byte aligned), `byteorder`, `version` and friends.
Numtorch writes the globals by torch's names without importing torch, and
tensors that are views of one array share one storage (offset and strides
kept), as in torch.

Loading never runs code from the file: the unpickler resolves only an
allowlist of names (the rebuild functions, storage types, dtypes,
OrderedDict, ... plus whatever `add_safe_globals` allowed) and raises
`pickle.UnpicklingError` for any other global. `weights_only=False` is
accepted for torch compatibility but loads the same way. A truncated or
corrupted file raises RuntimeError saying so (the zip CRCs catch flipped bits).

`load` also reads safetensors files (recognized by content, not by name).
`save(obj, f, format="safetensors")` writes one from a flat dict of tensors;
`save_file` / `load_file` mirror `safetensors.torch`'s pair.

`save` to a path writes a temporary file in the same directory and renames
it over the target, so a failure mid-save leaves the previous file intact.
"""
from __future__ import annotations

import _compat_pickle
import collections
import contextlib
import io
import os
import pickle
import secrets
import struct
import sys
import zipfile

import numpy as np

from . import _dtype
from . import _safetensors
from ._device import check_device, device
from ._size import Size
from ._tensor import Tensor, wrap

__all__ = ["save", "load", "save_file", "load_file", "add_safe_globals", "clear_safe_globals",
           "get_safe_globals", "safe_globals"]

DEFAULT_PROTOCOL = 2
_ALIGN = 64
_ARCHIVE = "archive/"

_STORAGE_NAMES = {"float32": "FloatStorage", "float64": "DoubleStorage", "float16": "HalfStorage",
                  "int64": "LongStorage", "int32": "IntStorage", "int16": "ShortStorage", "int8": "CharStorage",
                  "uint8": "ByteStorage", "bool": "BoolStorage"}
# torch storage types numtorch cannot hold, named in the error when a file uses one.
_UNSUPPORTED_STORAGES = {"BFloat16Storage": "bfloat16", "ComplexFloatStorage": "complex64",
                         "ComplexDoubleStorage": "complex128", "QInt8Storage": "qint8", "QUInt8Storage": "quint8",
                         "QInt32Storage": "qint32", "QUInt4x2Storage": "quint4x2", "QUInt2x4Storage": "quint2x4"}


# ---------------------------------------------------------------------------------------------------------------
# save

class _TorchName:
    """A global written into the pickle by torch's name (torch need not be importable here)."""

    __slots__ = ("module", "name")
    _cache: dict = {}

    def __new__(cls, module: str, name: str):
        key = (module, name)
        if key not in cls._cache:  # one object per name, so the pickle memo refers back to it
            obj = object.__new__(cls)
            obj.module, obj.name = module, name
            cls._cache[key] = obj
        return cls._cache[key]

    def __call__(self, *args):  # pickle insists that a reduce function be callable
        raise TypeError(f"{self.module}.{self.name} is a name for the pickle, not a function")


_REBUILD_TENSOR = _TorchName("torch._utils", "_rebuild_tensor_v2")
_REBUILD_PARAMETER = _TorchName("torch._utils", "_rebuild_parameter")


class _Storages:
    """The storages met while pickling: one per underlying array, keyed '0', '1', ... in order."""

    def __init__(self) -> None:
        self.by_root = {}  # id(root array) -> (persistent id, root); the root is kept so its id stays unique
        self.records = []  # (key, flat array)

    def locate(self, arr: np.ndarray):
        """(persistent id, offset, stride) of `arr` in the storage of the array that owns its memory.

        A view torch cannot express (negative strides, a reinterpreted dtype)
        gets a contiguous copy of its own, as does an empty tensor.
        """
        if arr.size == 0:
            root = np.empty(0, arr.dtype)
            view = root, 0, _contiguous_strides(arr.shape)
        else:
            root = arr
            while isinstance(root.base, np.ndarray):
                root = root.base
            view = _as_storage_view(arr, root)
            if view is None:
                root = arr.copy(order="C")
                view = _as_storage_view(root, root)
        flat, offset, stride = view
        entry = self.by_root.get(id(root))
        if entry is None:
            key = str(len(self.records))
            pid = ("storage", _TorchName("torch", _STORAGE_NAMES[flat.dtype.name]), key, "cpu", flat.size)
            entry = self.by_root[id(root)] = (_StoragePid(pid), root)
            self.records.append((key, flat))
        return entry[0], offset, stride


def _as_storage_view(arr: np.ndarray, root: np.ndarray):
    """(root as a flat array, element offset, element strides) of arr, or None if torch can't express it."""
    if root.dtype != arr.dtype or not (root.flags.c_contiguous or root.flags.f_contiguous):
        return None
    item = arr.itemsize
    flat = root.reshape(-1, order="C" if root.flags.c_contiguous else "F")
    offset = arr.__array_interface__["data"][0] - flat.__array_interface__["data"][0]
    if offset < 0 or offset % item or any(s < 0 or s % item for s in arr.strides):
        return None
    stride = tuple(s // item for s in arr.strides)
    last = offset // item + sum((n - 1) * s for n, s in zip(arr.shape, stride))
    if last >= flat.size:
        return None
    return flat, offset // item, stride


def _contiguous_strides(shape) -> tuple:
    """torch's strides for a contiguous tensor (a size-0 or size-1 dim still counts as 1)."""
    out, acc = [], 1
    for n in reversed(shape):
        out.append(acc)
        acc *= max(n, 1)
    return tuple(reversed(out))


class _Pickler(pickle._Pickler):
    """Pickles numtorch objects as torch would: tensors, Parameters, dtypes, devices and Sizes by torch names."""

    dispatch = pickle._Pickler.dispatch.copy()

    def __init__(self, file, protocol: int, storages: _Storages) -> None:
        super().__init__(file, protocol)
        self.storages = storages

    def persistent_id(self, obj):
        return tuple(obj) if type(obj) is _StoragePid else None

    def reducer_override(self, obj):
        if isinstance(obj, Tensor):
            if obj._is_param:
                return _REBUILD_PARAMETER, (obj.detach(), obj._requires_grad, collections.OrderedDict())
            pid, offset, stride = self.storages.locate(obj._data)
            return _REBUILD_TENSOR, (pid, offset, tuple(obj._data.shape), stride, obj._requires_grad,
                                     collections.OrderedDict())
        t = type(obj)
        if t is device:
            return _TorchName("torch", "device"), (str(obj),)
        if t is Size:
            return _TorchName("torch", "Size"), (tuple(obj),)
        return NotImplemented

    def _save_torch_name(self, obj: _TorchName) -> None:
        if self.proto >= 4:
            self.save(obj.module)
            self.save(obj.name)
            self.write(pickle.STACK_GLOBAL)
        else:
            self.write(pickle.GLOBAL + f"{obj.module}\n{obj.name}\n".encode("utf-8"))
        self.memoize(obj)

    def _save_dtype(self, obj) -> None:
        self._save_torch_name(_TorchName("torch", obj.name))  # torch pickles a dtype as the bare global

    dispatch[_TorchName] = _save_torch_name
    dispatch[_dtype.dtype] = _save_dtype


class _StoragePid(tuple):
    """A storage's persistent id, marked so that persistent_id tells it from data (saved as a plain tuple)."""


def _pickle_obj(obj, protocol: int) -> tuple[bytes, list]:
    storages = _Storages()
    buf = io.BytesIO()
    _Pickler(buf, protocol, storages).dump(obj)
    return buf.getvalue(), storages.records


def _write_record(zf: zipfile.ZipFile, name: str, data) -> None:
    """A stored (uncompressed) entry whose data starts on a 64-byte boundary, as torch's writer aligns it."""
    data = memoryview(data).cast("B")
    info = zipfile.ZipInfo(_ARCHIVE + name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_STORED
    info.file_size = len(data)
    zip64 = len(data) * 1.05 > zipfile.ZIP64_LIMIT
    header = 30 + len(info.filename.encode("utf-8")) + (20 if zip64 else 0)
    pad = -(zf.fp.tell() + header + 4) % _ALIGN
    info.extra = struct.pack("<HH", 0x4246, pad) + b"Z" * pad  # an 'FB' padding field, like torch's
    with zf.open(info, "w", force_zip64=zip64) as out:
        out.write(data)


def _write_checkpoint(fh, pickled: bytes, records: list) -> None:
    with zipfile.ZipFile(fh, "w", zipfile.ZIP_STORED) as zf:
        _write_record(zf, "data.pkl", pickled)
        _write_record(zf, ".format_version", b"1")
        _write_record(zf, ".storage_alignment", str(_ALIGN).encode())
        _write_record(zf, "byteorder", sys.byteorder.encode())
        for key, flat in records:
            _write_record(zf, f"data/{key}", flat)
        _write_record(zf, "version", b"3\n")
        _write_record(zf, ".data/serialization_id", str(secrets.randbits(128)).zfill(40).encode())


def save(obj, f, pickle_module=None, pickle_protocol: int = DEFAULT_PROTOCOL,
         _use_new_zipfile_serialization: bool = True, _disable_byteorder_record: bool = False, *,
         format: str = "torch") -> None:
    """Save `obj` to a path or binary file object, in torch's zip format or (format="safetensors") safetensors.

    Tensors, Parameters and containers of them with Python scalars, strings,
    None, dtypes, devices and Sizes round-trip through numtorch.load and torch.load
    (weights_only=True). Other picklable objects are saved as torch would, but
    load (here or in torch with weights_only) refuses them unless allowlisted.
    """
    if pickle_module is not None and pickle_module is not pickle:
        raise NotImplementedError("numtorch.save supports only the standard pickle module")
    if not _use_new_zipfile_serialization:
        raise NotImplementedError("numtorch.save writes torch's zip format only "
                                  "(_use_new_zipfile_serialization=False is not supported)")
    if format == "safetensors":
        _write_to(f, lambda fh: _safetensors.write(fh, obj))
        return
    if format != "torch":
        raise ValueError(f"format must be 'torch' or 'safetensors', got {format!r}")
    pickled, records = _pickle_obj(obj, pickle_protocol)
    _write_to(f, lambda fh: _write_checkpoint(fh, pickled, records))


def save_file(tensors: dict, filename, metadata: dict | None = None) -> None:
    """safetensors.torch.save_file: write a flat {str: Tensor} dict (metadata: {str: str})."""
    _write_to(filename, lambda fh: _safetensors.write(fh, tensors, metadata))


def _write_to(f, write) -> None:
    if isinstance(f, (str, os.PathLike)):
        _atomic_write(f, write)
    elif hasattr(f, "write"):
        write(f)
    else:
        raise TypeError(f"f must be a str, an os.PathLike or a binary file object with write(), "
                        f"got {type(f).__name__}")


def _atomic_write(path, write) -> None:
    """write(fh) into a temporary file beside `path`, then rename it over `path` (a link's target)."""
    path = os.path.realpath(os.fspath(path))
    directory = os.path.dirname(path)
    if not os.path.isdir(directory):
        raise RuntimeError(f"Parent directory {directory} does not exist.")
    tmp = os.path.join(directory, f".{os.path.basename(path)}.{secrets.token_hex(6)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _fsync_dir(directory)


def _fsync_dir(directory: str) -> None:
    """Make the rename itself durable (POSIX); best effort elsewhere."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# ---------------------------------------------------------------------------------------------------------------
# the allowlist

_user_globals: dict = {}


def _global_name(obj) -> str:
    return f"{obj.__module__}.{obj.__qualname__}"


def add_safe_globals(safe_globals: list) -> None:
    """Allow these classes/functions (or (obj, "module.name") pairs) in files that load() reads."""
    for g in safe_globals:
        if isinstance(g, tuple):
            obj, name = g
            _user_globals[name] = obj
        else:
            _user_globals[_global_name(g)] = g


def get_safe_globals() -> list:
    return list(_user_globals.values())


def clear_safe_globals() -> None:
    _user_globals.clear()


@contextlib.contextmanager
def safe_globals(safe_globals: list):
    """Allow these globals for the duration of the with-block."""
    saved = dict(_user_globals)
    add_safe_globals(safe_globals)
    try:
        yield
    finally:
        _user_globals.clear()
        _user_globals.update(saved)


class _Refused(pickle.UnpicklingError):
    """The file asks for something the allowlist forbids (as opposed to a damaged pickle)."""


class _Marker:
    """A name that may appear in a checkpoint but must not be called (a class torch passes as data)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __call__(self, *args, **kwargs):
        raise _Refused(f"{self.name} may not be called by a checkpoint")


_TENSOR_CLASS = _Marker("torch.Tensor")
_PARAMETER_CLASS = _Marker("torch.nn.parameter.Parameter")


class _StorageType:
    """torch.FloatStorage and friends: the dtype of a storage in a persistent id."""

    def __init__(self, name: str, dt) -> None:
        self.name, self.dtype = name, dt

    def __call__(self, *args, **kwargs):
        raise _Refused(f"torch.{self.name} may not be called by a checkpoint")


class _Storage:
    """A storage read from the archive: a flat array of its element type."""

    __slots__ = ("array",)

    def __init__(self, array: np.ndarray) -> None:
        self.array = array


def _encode(text, encoding="utf-8", errors="strict"):
    """_codecs.encode as protocol 2 uses it for bytes: latin-1 only (no arbitrary codec lookups)."""
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
        raise _Refused("_codecs.encode is allowed only to rebuild bytes (latin1)")
    return text.encode("latin1")


def _checked_ints(values, what: str) -> tuple:
    if not isinstance(values, tuple) or not all(type(v) is int and v >= 0 for v in values):
        raise RuntimeError(f"corrupted checkpoint: invalid tensor {what} {values!r}")
    return values


def _tensor_from(storage, offset, size, stride, dt=None) -> Tensor:
    """A tensor viewing `storage` (validated against its bounds, so a crafted file cannot read past it)."""
    if not isinstance(storage, _Storage):
        raise RuntimeError(f"corrupted checkpoint: expected a storage, got {type(storage).__name__}")
    flat = storage.array
    if dt is not None and dt.np != flat.dtype:
        if flat.nbytes % dt.itemsize:
            raise RuntimeError("corrupted checkpoint: storage size is not a multiple of the element size")
        flat = flat.view(dt.np)
    size, stride = _checked_ints(tuple(size), "size"), _checked_ints(tuple(stride), "stride")
    if type(offset) is not int or offset < 0 or len(size) != len(stride):
        raise RuntimeError("corrupted checkpoint: invalid tensor offset or stride")
    if 0 in size:
        return wrap(np.empty(size, dtype=flat.dtype))
    last = offset + sum((n - 1) * s for n, s in zip(size, stride))
    if last >= flat.size:
        raise RuntimeError(f"corrupted checkpoint: a tensor of size {list(size)} and stride {list(stride)} at "
                           f"offset {offset} does not fit in its storage of {flat.size} elements")
    # A view whose .base is the storage array, so that saving it again keeps the sharing.
    return wrap(np.ndarray(size, dtype=flat.dtype, buffer=flat, offset=offset * flat.itemsize,
                           strides=tuple(s * flat.itemsize for s in stride)))


def _rebuild_tensor(storage, storage_offset, size, stride):
    return _tensor_from(storage, storage_offset, size, stride)


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks, metadata=None):
    t = _tensor_from(storage, storage_offset, size, stride)
    _finish_tensor(t, requires_grad, metadata)
    return t


def _rebuild_tensor_v3(storage, storage_offset, size, stride, requires_grad, backward_hooks, dtype,
                       metadata=None):
    if type(dtype) is not _dtype.dtype:
        raise RuntimeError(f"corrupted checkpoint: invalid dtype {dtype!r}")
    t = _tensor_from(storage, storage_offset, size, stride, _dtype.from_any(dtype))
    _finish_tensor(t, requires_grad, metadata)
    return t


def _finish_tensor(t: Tensor, requires_grad, metadata) -> None:
    if metadata:
        raise NotImplementedError(f"numtorch cannot load tensors with metadata {metadata!r} (e.g. conjugate bits)")
    if requires_grad:
        t.requires_grad_(True)


def _rebuild_parameter(data, requires_grad, backward_hooks):
    from .nn.parameter import Parameter
    if not isinstance(data, Tensor):
        raise RuntimeError(f"corrupted checkpoint: Parameter data is a {type(data).__name__}")
    return Parameter(data, bool(requires_grad))


def _rebuild_parameter_with_state(data, requires_grad, backward_hooks, state):
    return _set_state(_rebuild_parameter(data, requires_grad, backward_hooks), state)


def _rebuild_from_type_v2(func, new_type, args, state):
    """Tensors carrying Python attributes: rebuilt plainly, then the public attributes are set."""
    if func not in _REBUILDERS or new_type not in (_TENSOR_CLASS, _PARAMETER_CLASS) or not isinstance(args, tuple):
        raise _Refused("unsupported tensor subclass in checkpoint")
    t = func(*args)
    if new_type is _PARAMETER_CLASS and not t._is_param:
        t = _rebuild_parameter(t, t.requires_grad, None)
    return _set_state(t, state)


def _set_state(t: Tensor, state):
    """torch's tensor state is a dict, or (dict, slots dict); private names are numtorch's own, never set."""
    parts = state if isinstance(state, tuple) else (state,)
    for part in parts:
        if part is None:
            continue
        if not isinstance(part, dict):
            raise RuntimeError("corrupted checkpoint: invalid tensor state")
        for k, v in part.items():
            if isinstance(k, str) and not k.startswith("_"):
                setattr(t, k, v)
    return t


def _unsupported(what: str):
    def fail(*args, **kwargs):
        raise NotImplementedError(f"numtorch cannot load {what}")
    return fail


_REBUILDERS = (_rebuild_tensor, _rebuild_tensor_v2, _rebuild_tensor_v3, _rebuild_parameter,
               _rebuild_parameter_with_state)


def _allowed() -> dict:
    rc = {
        "collections.OrderedDict": collections.OrderedDict,
        "collections.Counter": collections.Counter,
        "builtins.set": set,
        "builtins.bytearray": bytearray,
        "builtins.complex": complex,
        "_codecs.encode": _encode,
        "torch.Size": Size,
        "torch.device": device,
        "torch.Tensor": _TENSOR_CLASS,
        "torch.nn.parameter.Parameter": _PARAMETER_CLASS,
        "torch._utils._rebuild_tensor": _rebuild_tensor,
        "torch._utils._rebuild_tensor_v2": _rebuild_tensor_v2,
        "torch._utils._rebuild_tensor_v3": _rebuild_tensor_v3,
        "torch._utils._rebuild_parameter": _rebuild_parameter,
        "torch._utils._rebuild_parameter_with_state": _rebuild_parameter_with_state,
        "torch._tensor._rebuild_from_type_v2": _rebuild_from_type_v2,
        "torch.UntypedStorage": _StorageType("UntypedStorage", _dtype.uint8),
    }
    for name, what in (("_rebuild_sparse_tensor", "sparse tensors"), ("_rebuild_qtensor", "quantized tensors"),
                       ("_rebuild_nested_tensor", "nested tensors"),
                       ("_rebuild_meta_tensor_no_storage", "meta tensors"),
                       ("_rebuild_wrapper_subclass", "tensor subclasses"),
                       ("_rebuild_device_tensor_from_numpy", "device tensors"),
                       ("_rebuild_device_tensor_from_cpu_tensor", "device tensors")):
        rc[f"torch._utils.{name}"] = _unsupported(what)
    for dname, sname in _STORAGE_NAMES.items():
        rc[f"torch.{sname}"] = _StorageType(sname, getattr(_dtype, dname))
    for sname, dname in _UNSUPPORTED_STORAGES.items():
        rc[f"torch.{sname}"] = _unsupported(f"{dname} tensors")
    for dt in _dtype._SUPPORTED:
        rc[f"torch.{dt.name}"] = dt
    return rc


_ALLOWED = _allowed()
# Other torch dtypes, which numtorch lacks: naming them in a file is allowed, using them is not.
_TORCH_DTYPE_NAMES = {"bfloat16", "complex32", "complex64", "complex128", "uint16", "uint32", "uint64",
                      "float8_e4m3fn", "float8_e5m2", "float8_e4m3fnuz", "float8_e5m2fnuz", "qint8", "quint8",
                      "qint32", "quint4x2", "quint2x4", "bits8", "bits16"}


class _Unpickler(pickle.Unpickler):
    """Resolves only allowlisted globals; storages come from the archive's records."""

    def __init__(self, file, read_storage) -> None:
        super().__init__(file, encoding="utf-8")
        self._read_storage = read_storage
        self._storages = {}

    def find_class(self, module: str, name: str):
        if (module, name) in _compat_pickle.NAME_MAPPING:
            module, name = _compat_pickle.NAME_MAPPING[(module, name)]
        elif module in _compat_pickle.IMPORT_MAPPING:
            module = _compat_pickle.IMPORT_MAPPING[module]
        full = f"{module}.{name}"
        obj = _user_globals.get(full, _ALLOWED.get(full))
        if obj is not None:
            return obj
        if module == "torch" and name in _TORCH_DTYPE_NAMES:
            return _unsupported(f"torch.{name} tensors")
        raise _Refused(
            f"Weights only load failed: unsupported global {full} in the checkpoint. numtorch.load never "
            f"runs code from a file; if you trust this class or function, allow it with "
            f"numtorch.serialization.add_safe_globals([{name}]) or the safe_globals([...]) context manager.")

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage"
                and isinstance(pid[1], _StorageType) and isinstance(pid[2], str) and isinstance(pid[3], str)
                and type(pid[4]) is int and pid[4] >= 0):
            raise _Refused(f"unsupported persistent id in checkpoint: {pid!r}")
        _, stype, key, location, numel = pid
        storage = self._storages.get(key)
        if storage is None:
            storage = self._storages[key] = _Storage(self._read_storage(key, stype.dtype, numel, location))
        return storage


# ---------------------------------------------------------------------------------------------------------------
# load

def load(f, map_location=None, pickle_module=None, *, weights_only: bool | None = True, mmap: bool | None = None,
         **pickle_load_args):
    """Load what save (or torch.save) wrote, or a safetensors file, never running code from the file.

    map_location: None, 'cpu', a device, a dict {saved location: location} or
    a callable (storage, location) -> storage. numtorch holds tensors on the
    CPU only: storages saved on another device (e.g. 'cuda:0') load onto the
    CPU, and mapping to a non-CPU device raises NotImplementedError.
    """
    if pickle_module is not None and pickle_module is not pickle:
        raise NotImplementedError("numtorch.load supports only the standard pickle module")
    what = _describe(f)
    with _open_for_read(f) as fh:
        kind, size = _sniff(fh, what)
        if kind == "zip":
            return _load_zip(fh, what, map_location)
        return {k: _map_tensor(v, map_location) for k, v in _safetensors.read(fh, size, what).items()}


def load_file(filename, device="cpu") -> dict:
    """safetensors.torch.load_file: the tensors of a safetensors file, as a dict."""
    check_device(device)
    what = _describe(filename)
    with _open_for_read(filename) as fh:
        kind, size = _sniff(fh, what)
        if kind != "safetensors":
            raise RuntimeError(f"{what} is not a safetensors file")
        return _safetensors.read(fh, size, what)


def _describe(f) -> str:
    return repr(os.fspath(f)) if isinstance(f, (str, os.PathLike)) else "checkpoint"


def _sniff(fh, what: str) -> tuple[str, int]:
    """('zip' or 'safetensors', size in bytes) from the first bytes; anything else raises, naming the problem."""
    size = fh.seek(0, io.SEEK_END)
    fh.seek(0)
    head = fh.read(16)
    fh.seek(0)
    if size == 0:
        raise RuntimeError(f"{what} is empty: not a checkpoint")
    if head.startswith(b"PK"):
        return "zip", size
    if _safetensors.looks_like_safetensors(head):
        return "safetensors", size
    if head[:1] == b"\x80":
        raise NotImplementedError(f"{what} is a plain pickle or torch's legacy (pre-1.6) format, which numtorch "
                                  "does not read; re-save it with torch.save (zip format) or as safetensors")
    raise RuntimeError(f"{what} is not a checkpoint: neither torch's zip format nor safetensors")


@contextlib.contextmanager
def _open_for_read(f):
    """A seekable binary handle on a path or a file object (a non-seekable one is read into memory)."""
    if isinstance(f, (str, os.PathLike)):
        with open(f, "rb") as fh:
            yield fh
        return
    if not hasattr(f, "read"):
        raise TypeError(f"f must be a str, an os.PathLike or a binary file object with read(), "
                        f"got {type(f).__name__}")
    seekable = getattr(f, "seekable", None)
    if seekable is not None and seekable():
        start = f.tell()
        if start:  # a checkpoint embedded in a longer stream: offsets are relative to its start
            f = io.BytesIO(f.read())
        yield f
    else:
        yield io.BytesIO(f.read())


def _load_zip(fh, what: str, map_location):
    try:
        zf = zipfile.ZipFile(fh)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as e:
        raise RuntimeError(f"{what} is truncated or corrupted: its zip archive cannot be read ({e})") from None
    with zf:
        names = set(zf.namelist())
        pkl = next((n for n in names if n.count("/") == 1 and n.endswith("/data.pkl")), None)
        if pkl is None:
            if any(n.endswith("/constants.pkl") for n in names):
                raise NotImplementedError(f"{what} is a TorchScript archive (torch.jit.save); numtorch loads "
                                          "checkpoints written by torch.save")
            raise RuntimeError(f"{what} is not a torch checkpoint: the zip archive has no data.pkl record")
        prefix = pkl[: -len("data.pkl")]
        order = _read_record(zf, prefix + "byteorder", what).decode() if prefix + "byteorder" in names else "little"
        if order not in ("little", "big"):
            raise RuntimeError(f"{what} is corrupted: unknown byteorder {order!r}")

        def read_storage(key, dt, numel, location):
            arr = _read_storage_record(zf, f"{prefix}data/{key}", dt, numel, what)
            if order != sys.byteorder and dt.itemsize > 1:
                arr.byteswap(inplace=True)
            return _map_storage(arr, location, map_location)

        data = _read_record(zf, pkl, what)
        try:
            return _Unpickler(io.BytesIO(data), read_storage).load()
        except _Refused:
            raise
        except (EOFError, pickle.UnpicklingError, ValueError, TypeError, KeyError, IndexError, AttributeError,
                struct.error) as e:
            raise RuntimeError(f"{what} is corrupted: its data.pkl cannot be unpickled "
                               f"({type(e).__name__}: {e})") from None


_ZIP_ERRORS = (zipfile.BadZipFile, EOFError, OSError, struct.error, ValueError)


def _read_storage_record(zf: zipfile.ZipFile, name: str, dt, numel: int, what: str) -> np.ndarray:
    """The record's bytes read straight into a new array (the zip's CRC is checked at its end)."""
    try:
        info = zf.getinfo(name)
    except KeyError:
        raise RuntimeError(f"{what} is corrupted: storage record {name!r} is missing") from None
    if info.file_size != numel * dt.itemsize:
        raise RuntimeError(f"{what} is corrupted: storage record {name!r} holds {info.file_size} bytes, "
                           f"expected {numel} elements of {dt} ({numel * dt.itemsize} bytes)")
    arr = np.empty(numel, dtype=dt.np)
    try:
        with zf.open(info) as r:
            _safetensors.read_exactly(r, memoryview(arr).cast("B"), what)
            r.read(1)  # reaching the end makes zipfile verify the CRC
    except _ZIP_ERRORS as e:
        raise RuntimeError(f"{what} is truncated or corrupted: record {name!r} cannot be read ({e})") from None
    return arr


def _read_record(zf: zipfile.ZipFile, name: str, what: str) -> bytes:
    try:
        return zf.read(name)
    except _ZIP_ERRORS as e:
        raise RuntimeError(f"{what} is truncated or corrupted: record {name!r} cannot be read ({e})") from None


def _map_storage(arr: np.ndarray, location: str, map_location) -> np.ndarray:
    """Apply map_location to one storage; every target must be the CPU."""
    if map_location is None:
        return arr
    if callable(map_location) and not isinstance(map_location, (str, device)):
        out = map_location(wrap(arr), location)
        if out is None:
            return arr
        if not isinstance(out, Tensor):
            raise TypeError(f"map_location must return a storage (a Tensor here) or None, got {type(out).__name__}")
        return out._data
    target = map_location.get(location, location) if isinstance(map_location, dict) else map_location
    check_device(target)
    return arr


def _map_tensor(t: Tensor, map_location) -> Tensor:
    if map_location is None:
        return t
    return wrap(_map_storage(t._data.reshape(-1), "cpu", map_location).reshape(t._data.shape))
