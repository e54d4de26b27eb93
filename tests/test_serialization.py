"""numtorch.save / numtorch.load: torch's zip format both ways, safety, corruption, atomicity, safetensors."""
import collections
import io
import os
import pickle
import struct
import zipfile

import numpy as np
import pytest
import torch

import numtorch
from numtorch import serialization

RNG = np.random.default_rng(0)
DTYPES = ["float32", "float64", "float16", "int64", "int32", "int16", "int8", "uint8", "bool"]


def _array(dtype, shape):
    if dtype == "bool":
        return RNG.integers(0, 2, shape).astype(bool)
    if dtype.startswith(("int", "uint")):
        return RNG.integers(0, 100, shape).astype(dtype)
    return RNG.standard_normal(shape).astype(dtype)


def _ours(a):
    return numtorch.from_numpy(np.array(a))


def _theirs(a):
    return torch.from_numpy(np.array(a))


def assert_same(ours, theirs, path="obj"):
    """numtorch object vs torch object (either direction of loading): same structure, types and tensor values."""
    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, numtorch.Tensor), path
        assert str(ours.dtype) == str(theirs.dtype), path
        assert tuple(ours.shape) == tuple(theirs.shape), path
        assert ours.requires_grad == theirs.requires_grad, path
        assert isinstance(ours, numtorch.nn.Parameter) == isinstance(theirs, torch.nn.Parameter), path
        np.testing.assert_array_equal(ours.detach().numpy(), theirs.detach().numpy(), err_msg=path)
    elif isinstance(theirs, dict):
        assert type(ours) is type(theirs) and list(ours) == list(theirs), path
        for k in theirs:
            assert_same(ours[k], theirs[k], f"{path}[{k!r}]")
    elif isinstance(theirs, (list, tuple)) and not isinstance(theirs, torch.Size):
        assert type(ours) is type(theirs) and len(ours) == len(theirs), path
        for i, (a, b) in enumerate(zip(ours, theirs)):
            assert_same(a, b, f"{path}[{i}]")
    elif isinstance(theirs, (torch.dtype, torch.device, torch.Size)):
        assert str(ours) == str(theirs) if not isinstance(theirs, torch.Size) else tuple(ours) == tuple(theirs)
    else:
        assert type(ours) is type(theirs) and ours == theirs, path


def _training_state(lib, make):
    """A model/optimizer/training-state checkpoint built with lib from the same arrays."""
    rng = np.random.default_rng(1)
    w, b = rng.standard_normal((4, 3)).astype(np.float32), rng.standard_normal(4).astype(np.float32)
    model = collections.OrderedDict([("fc.weight", make(w)), ("fc.bias", make(b)),
                                     ("bn.num_batches_tracked", make(np.array(7)))])
    optim = {"state": {0: {"step": make(np.array(3.0)), "exp_avg": make(w * 0.5)}, 1: {"momentum_buffer": None}},
             "param_groups": [{"lr": 0.01, "betas": (0.9, 0.999), "amsgrad": False, "params": [0, 1],
                               "name": "main", "weight_decay": 0, "eps": 1e-8}]}
    return {"model": model, "optimizer": optim, "epoch": 12, "best": 0.875, "tag": b"\x00\xffbytes",
            "history": [1.5, 2.5], "note": None, "dtype": lib.float16, "size": lib.Size([2, 3]),
            "device": lib.device("cpu")}


# -- numtorch -> torch ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(), (0,), (3, 0, 2), (5,), (2, 3, 4)])
def test_numtorch_saves_torch_loads(tmp_path, dtype, shape):
    a = _array(dtype, shape)
    numtorch.save({"t": _ours(a)}, tmp_path / "x.pt")
    loaded = torch.load(tmp_path / "x.pt", weights_only=True)
    assert_same(_ours(a), loaded["t"])


def test_training_state_numtorch_to_torch(tmp_path):
    numtorch.save(_training_state(numtorch, _ours), tmp_path / "ckpt.pt")
    assert_same(_training_state(numtorch, _ours), torch.load(tmp_path / "ckpt.pt", weights_only=True))


def test_views_share_one_storage_in_torch(tmp_path):
    base = numtorch.from_numpy(np.arange(24, dtype=np.float32).reshape(4, 6))
    views = {"base": base, "row": base[1], "cols": base[:, 1::2], "t": base.transpose(0, 1),
             "tail": base.reshape(-1)[5:]}
    numtorch.save(views, tmp_path / "v.pt")
    loaded = torch.load(tmp_path / "v.pt", weights_only=True)
    ptr = loaded["base"].untyped_storage().data_ptr()
    for name, t in views.items():
        assert loaded[name].untyped_storage().data_ptr() == ptr, name
        assert loaded[name].stride() == t.stride(), name
        np.testing.assert_array_equal(loaded[name].numpy(), t.numpy())
    assert loaded["tail"].storage_offset() == 5 and loaded["row"].storage_offset() == 6
    loaded["row"][0] = -1.0  # still one storage after loading
    assert loaded["base"][1, 0].item() == -1.0


def test_unexpressible_views_are_saved_as_copies(tmp_path):
    a = np.arange(6, dtype=np.float32)
    t = numtorch.from_numpy(a[::-1])  # negative stride: torch has none
    numtorch.save([t, numtorch.from_numpy(a.view(np.int32)), numtorch.from_numpy(a[2:3].view(np.int32).reshape(()))],
                  tmp_path / "n.pt")
    loaded = torch.load(tmp_path / "n.pt", weights_only=True)
    np.testing.assert_array_equal(loaded[0].numpy(), a[::-1])
    np.testing.assert_array_equal(loaded[1].numpy(), a.view(np.int32))
    assert loaded[2].shape == () and loaded[2].item() == a[2:3].view(np.int32)[0]


def test_parameters_and_requires_grad_reach_torch(tmp_path):
    p = numtorch.nn.Parameter(numtorch.from_numpy(_array("float32", (3,))))
    frozen = numtorch.nn.Parameter(numtorch.from_numpy(_array("float64", (2,))), requires_grad=False)
    leaf = numtorch.from_numpy(_array("float32", (2,))).requires_grad_()
    numtorch.save([p, frozen, leaf, p], tmp_path / "p.pt")
    loaded = torch.load(tmp_path / "p.pt", weights_only=True)
    assert isinstance(loaded[0], torch.nn.Parameter) and loaded[0].requires_grad
    assert isinstance(loaded[1], torch.nn.Parameter) and not loaded[1].requires_grad
    assert not isinstance(loaded[2], torch.nn.Parameter) and loaded[2].requires_grad
    assert loaded[3] is loaded[0]


def test_file_objects_and_pathlike(tmp_path):
    buf = io.BytesIO()
    numtorch.save({"a": _ours([1.0, 2.0])}, buf)
    buf.seek(0)
    assert_same(numtorch.load(buf)["a"], torch.load(io.BytesIO(buf.getvalue()), weights_only=True)["a"])
    numtorch.save([1, "x"], str(tmp_path / "s.pt"))
    assert numtorch.load(str(tmp_path / "s.pt")) == [1, "x"]


# -- torch -> numtorch ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(), (0,), (2, 0), (7,), (3, 2, 2)])
def test_torch_saves_numtorch_loads(tmp_path, dtype, shape):
    a = _array(dtype, shape)
    torch.save({"t": _theirs(a)}, tmp_path / "x.pt")
    assert_same(numtorch.load(tmp_path / "x.pt")["t"], _theirs(a))


def test_training_state_torch_to_numtorch(tmp_path):
    torch.save(_training_state(torch, _theirs), tmp_path / "ckpt.pt")
    assert_same(numtorch.load(tmp_path / "ckpt.pt"), _training_state(torch, _theirs))


def test_torch_views_share_storage_after_numtorch_load(tmp_path):
    base = torch.arange(30.0).reshape(5, 6)
    torch.save({"base": base, "t": base.t(), "slice": base[1:, 2:5], "flat": base.view(-1)[7:]},
               tmp_path / "v.pt")
    loaded = numtorch.load(tmp_path / "v.pt")
    for name in ("t", "slice", "flat"):
        assert np.shares_memory(loaded[name]._data, loaded["base"]._data), name
    assert loaded["t"].stride() == (1, 6) and loaded["slice"].stride() == (6, 1)
    np.testing.assert_array_equal(loaded["slice"].numpy(), base[1:, 2:5].numpy())


def test_torch_module_and_optimizer_state_dicts(tmp_path):
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.Linear(4, 2))
    opt = torch.optim.Adam(net.parameters(), lr=0.01)
    net(torch.randn(5, 3)).sum().backward()
    opt.step()
    torch.save({"model": net.state_dict(), "opt": opt.state_dict(), "params": list(net.parameters())},
               tmp_path / "m.pt")
    loaded = numtorch.load(tmp_path / "m.pt")
    assert_same(loaded["model"], net.state_dict())
    assert_same(loaded["opt"], opt.state_dict())
    assert_same(loaded["params"], list(net.parameters()))
    assert loaded["model"]._metadata == net.state_dict()._metadata  # the module versions torch records


def test_torch_state_dict_reproduces_torch_outputs_in_numtorch(tmp_path):
    nn = numtorch.nn
    try:
        ours = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 2)).double()
    except (AttributeError, NotImplementedError) as e:
        pytest.skip(f"numtorch.nn cannot build the model yet: {e}")
    torch.manual_seed(0)
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.Tanh(), torch.nn.Linear(8, 2)).double()
    torch.save(theirs.state_dict(), tmp_path / "m.pt")
    ours.load_state_dict(numtorch.load(tmp_path / "m.pt"))
    x = RNG.standard_normal((4, 3))
    np.testing.assert_allclose(ours(numtorch.from_numpy(x)).detach().numpy(),
                               theirs(torch.from_numpy(x)).detach().numpy(), rtol=1e-12)


def test_numtorch_state_dict_reproduces_outputs_in_torch(tmp_path):
    nn = numtorch.nn
    try:
        ours = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 2)).double()
    except (AttributeError, NotImplementedError) as e:
        pytest.skip(f"numtorch.nn cannot build the model yet: {e}")
    numtorch.save(ours.state_dict(), tmp_path / "m.pt")
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.Tanh(), torch.nn.Linear(8, 2)).double()
    theirs.load_state_dict(torch.load(tmp_path / "m.pt", weights_only=True))
    x = RNG.standard_normal((4, 3))
    np.testing.assert_allclose(theirs(torch.from_numpy(x)).detach().numpy(),
                               ours(numtorch.from_numpy(x)).detach().numpy(), rtol=1e-12)


def test_torch_tensor_with_python_attributes(tmp_path):
    t = torch.ones(2)
    t.note = "kept"
    torch.save(t, tmp_path / "a.pt")
    loaded = numtorch.load(tmp_path / "a.pt")
    assert loaded.note == "kept" and loaded.tolist() == [1.0, 1.0]


def test_saved_on_gpu_loads_on_cpu_and_map_location(tmp_path):
    path = _with_location(tmp_path, "cuda:0")
    np.testing.assert_array_equal(numtorch.load(path)["w"].numpy(), [1.0, 2.0])
    for ml in ("cpu", numtorch.device("cpu"), {"cuda:0": "cpu"}, lambda storage, loc: storage,
               lambda storage, loc: None):
        np.testing.assert_array_equal(numtorch.load(path, map_location=ml)["w"].numpy(), [1.0, 2.0])
    with pytest.raises(NotImplementedError, match="CPU only"):
        numtorch.load(path, map_location="cuda:1")


def test_big_endian_checkpoint_is_byteswapped(tmp_path):
    buf = io.BytesIO()
    want = torch.tensor([1.5, -2.0, 3.25], dtype=torch.float64)
    torch.save(want, buf)
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    path = tmp_path / "be.pt"
    with zipfile.ZipFile(path, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.endswith("/byteorder"):
                data = b"big"
            elif "/data/" in info.filename:
                data = np.frombuffer(data, "<f8").astype(">f8").tobytes()
            dst.writestr(info.filename, data)
    assert numtorch.load(path).tolist() == want.tolist()


def _with_location(tmp_path, location):
    """A torch checkpoint whose storage claims to live on `location` (no GPU needed to make one)."""
    buf = io.BytesIO()
    torch.save({"w": torch.tensor([1.0, 2.0])}, buf)
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    path = tmp_path / "gpu.pt"
    with zipfile.ZipFile(path, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.endswith("data.pkl"):
                new = location.encode()
                data = data.replace(b"X\x03\x00\x00\x00cpu", b"X" + struct.pack("<I", len(new)) + new)
            dst.writestr(info.filename, data)
    return path


# -- numtorch round trips ---------------------------------------------------------------------------------------

def test_round_trip_keeps_structure_sharing_and_types(tmp_path):
    base = numtorch.from_numpy(np.arange(12.0).reshape(3, 4))
    p = numtorch.nn.Parameter(numtorch.ones(2))
    obj = collections.OrderedDict(base=base, view=base[1:, ::2], same=base, p=p, d={1: [p, (None, True)]},
                                  s={1, 2}, c=complex(1, 2), ba=bytearray(b"ab"))
    numtorch.save(obj, tmp_path / "r.pt")
    got = numtorch.load(tmp_path / "r.pt")
    assert type(got) is collections.OrderedDict and list(got) == list(obj)
    assert got["same"] is got["base"] and got["d"][1][0] is got["p"]
    assert isinstance(got["p"], numtorch.nn.Parameter) and got["p"].requires_grad
    assert np.shares_memory(got["view"]._data, got["base"]._data)
    np.testing.assert_array_equal(got["view"].numpy(), base[1:, ::2].numpy())
    assert got["s"] == {1, 2} and got["c"] == complex(1, 2) and got["ba"] == bytearray(b"ab")
    assert got["d"][1][1] == (None, True)
    got["base"].numpy()[0, 0] = 5.0  # loaded tensors are writable
    numtorch.save(got, tmp_path / "again.pt")  # and a loaded view is saved as a view again
    again = torch.load(tmp_path / "again.pt", weights_only=True)
    assert again["view"].untyped_storage().data_ptr() == again["base"].untyped_storage().data_ptr()
    assert again["view"].storage_offset() == 4 and again["view"].stride() == (4, 2)


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_pickle_protocols(tmp_path, protocol):
    obj = {"t": numtorch.ones(3), "dt": numtorch.int32, "n": [1, 2.5]}
    numtorch.save(obj, tmp_path / "p.pt", pickle_protocol=protocol)
    loaded = [numtorch.load(tmp_path / "p.pt")]
    if protocol == 2:  # torch's weights_only loader reads protocol 2 only (not even torch's own protocol 4)
        loaded.append(torch.load(tmp_path / "p.pt", weights_only=True))
    for got in loaded:
        assert got["t"].tolist() == [1.0, 1.0, 1.0] and str(got["dt"]) == "torch.int32" and got["n"] == [1, 2.5]


def test_safe_globals_allow_trusted_classes(tmp_path):
    numtorch.save({"when": Point(1, 2)}, tmp_path / "g.pt")
    with pytest.raises(pickle.UnpicklingError, match="tests.test_serialization.Point"):
        numtorch.load(tmp_path / "g.pt")
    with serialization.safe_globals([Point]):
        assert numtorch.load(tmp_path / "g.pt")["when"] == Point(1, 2)
    assert serialization.get_safe_globals() == []


Point = collections.namedtuple("Point", "x y")


# -- safety -----------------------------------------------------------------------------------------------------

class _Payload:
    """Unpickling this runs os.system(command)."""

    def __init__(self, command):
        self.command = command

    def __reduce__(self):
        return os.system, (self.command,)


def _zip_with_pickle(path, data_pkl: bytes) -> None:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("archive/data.pkl", data_pkl)
        zf.writestr("archive/version", "3\n")


_MALICIOUS = {
    "os.system": lambda cmd: pickle.dumps(_Payload(cmd), protocol=2),
    "os.system-proto4": lambda cmd: pickle.dumps({"x": _Payload(cmd)}, protocol=4),
    "builtins.exec": lambda cmd: b"cbuiltins\nexec\n(Vimport os; os.system(" + repr(cmd).encode() + b")\ntR.",
    "INST-opcode": lambda cmd: b"(V" + cmd.encode() + b"\nios\nsystem\n.",
    "getattr-chain": lambda cmd: b"cbuiltins\ngetattr\n(cos\nsystem\nV__call__\ntR(V" + cmd.encode() + b"\ntR.",
    "codecs-other-encoding": lambda cmd: b"c_codecs\nencode\n(Vabc\nVrot13\ntR.",
    "tensor-marker-called": lambda cmd: b"\x80\x02ctorch\nTensor\n)R.",
}


@pytest.mark.parametrize("name", sorted(_MALICIOUS))
def test_malicious_zip_checkpoint_does_not_execute(tmp_path, name):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pt"
    _zip_with_pickle(path, _MALICIOUS[name](f"touch {marker}"))
    with pytest.raises(pickle.UnpicklingError) as e:
        numtorch.load(path)
    assert not marker.exists()
    assert "numtorch" in str(e.value) or "may not" in str(e.value) or "allowed only" in str(e.value)


def test_malicious_plain_pickle_does_not_execute(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pkl"
    path.write_bytes(pickle.dumps(_Payload(f"touch {marker}"), protocol=2))
    with pytest.raises(NotImplementedError, match="plain pickle"):
        numtorch.load(path)
    assert not marker.exists()


def test_forbidden_global_message_names_it(tmp_path):
    path = tmp_path / "evil.pt"
    _zip_with_pickle(path, _MALICIOUS["os.system"]("true"))
    with pytest.raises(pickle.UnpicklingError, match=r"unsupported global (posix|os)\.system.*add_safe_globals"):
        numtorch.load(path)


def test_crafted_out_of_bounds_view_is_rejected(tmp_path):
    """A size/stride pointing past the storage must not read foreign memory."""
    buf = io.BytesIO()
    torch.save(torch.zeros(4), buf)
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    path = tmp_path / "oob.pt"
    with zipfile.ZipFile(path, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.endswith("data.pkl"):
                assert b"K\x04\x85" in data  # size (4,)
                data = data.replace(b"K\x04\x85", b"M\x00\x10\x85", 1)  # size (4096,)
            dst.writestr(info.filename, data)
    with pytest.raises(RuntimeError, match="does not fit in its storage"):
        numtorch.load(path)


# -- damaged files ----------------------------------------------------------------------------------------------

def _checkpoint_bytes():
    buf = io.BytesIO()
    numtorch.save({"w": numtorch.from_numpy(_array("float32", (64,))), "n": 3}, buf)
    return buf.getvalue()


@pytest.mark.parametrize("keep", [0.1, 0.5, 0.9, 0.99])
def test_truncated_checkpoint_raises_runtime_error(tmp_path, keep):
    raw = _checkpoint_bytes()
    path = tmp_path / "t.pt"
    path.write_bytes(raw[: int(len(raw) * keep)])
    with pytest.raises(RuntimeError, match="truncated or corrupted"):
        numtorch.load(path)


def test_flipped_bits_in_data_raise_runtime_error(tmp_path):
    raw = bytearray(_checkpoint_bytes())
    i = raw.index(b"archive/data/0") + 200  # inside the tensor's bytes
    raw[i] ^= 0xFF
    path = tmp_path / "c.pt"
    path.write_bytes(bytes(raw))
    with pytest.raises(RuntimeError, match="corrupted.*archive/data/0"):
        numtorch.load(path)


@pytest.mark.parametrize("content,match", [(b"", "is empty"), (b"hello world, not a model", "not a checkpoint"),
                                           (b"PK\x03\x04garbage", "truncated or corrupted")])
def test_not_a_checkpoint(tmp_path, content, match):
    path = tmp_path / "bad.pt"
    path.write_bytes(content)
    with pytest.raises(RuntimeError, match=match):
        numtorch.load(path)


def test_storage_record_of_wrong_size(tmp_path):
    src = zipfile.ZipFile(io.BytesIO(_checkpoint_bytes()))
    path = tmp_path / "w.pt"
    with zipfile.ZipFile(path, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            dst.writestr(info.filename, data[:-4] if info.filename == "archive/data/0" else data)
    with pytest.raises(RuntimeError, match="holds 252 bytes, expected 64 elements"):
        numtorch.load(path)


def test_zip_without_data_pkl(tmp_path):
    path = tmp_path / "z.pt"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("archive/other", b"x")
    with pytest.raises(RuntimeError, match="no data.pkl"):
        numtorch.load(path)


# -- atomic save ------------------------------------------------------------------------------------------------

class _Unpicklable:
    def __reduce__(self):
        raise RuntimeError("cannot serialize this")


def _assert_untouched(tmp_path, path, before):
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]  # no temporary file left


def test_failed_pickling_leaves_previous_file_intact(tmp_path):
    path = tmp_path / "model.pt"
    numtorch.save({"w": numtorch.ones(3)}, path)
    before = path.read_bytes()
    with pytest.raises(RuntimeError, match="cannot serialize this"):
        numtorch.save({"w": numtorch.zeros(3), "bad": _Unpicklable()}, path)
    _assert_untouched(tmp_path, path, before)
    assert numtorch.load(path)["w"].tolist() == [1.0, 1.0, 1.0]


def test_crash_while_writing_leaves_previous_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "model.pt"
    numtorch.save({"w": numtorch.ones(3)}, path)
    before = path.read_bytes()
    real = serialization._write_record

    def failing(zf, name, data):
        if name.startswith("data/"):
            raise OSError("disk full")
        real(zf, name, data)
    monkeypatch.setattr(serialization, "_write_record", failing)
    with pytest.raises(OSError, match="disk full"):
        numtorch.save({"w": numtorch.zeros(3)}, path)
    _assert_untouched(tmp_path, path, before)


def test_save_into_missing_directory(tmp_path):
    with pytest.raises(RuntimeError, match="Parent directory .* does not exist"):
        numtorch.save(1, tmp_path / "missing" / "x.pt")


def test_save_through_a_symlink_replaces_the_target(tmp_path):
    target = tmp_path / "real.pt"
    numtorch.save(1, target)
    link = tmp_path / "link.pt"
    link.symlink_to(target)
    numtorch.save(2, link)
    assert link.is_symlink() and numtorch.load(target) == 2


# -- safetensors ------------------------------------------------------------------------------------------------

def _flat_tensors():
    return {name: numtorch.from_numpy(_array(d, s)) for name, d, s in
            [("w", "float32", (3, 4)), ("b", "float16", (3,)), ("step", "int64", ()), ("mask", "bool", (2, 2)),
             ("empty", "float64", (0, 5)), ("i8", "int8", (5,)), ("u8", "uint8", (1,)), ("i16", "int16", (2,)),
             ("i32", "int32", (2, 1))]}


def _assert_tensors_equal(got, want):
    assert sorted(got) == sorted(want)
    for k in want:
        a, b = np.asarray(got[k]), np.asarray(want[k])
        assert a.dtype == b.dtype and a.shape == b.shape, k
        np.testing.assert_array_equal(a, b)


def test_safetensors_round_trip(tmp_path):
    tensors = _flat_tensors()
    tensors["view"] = tensors["w"].transpose(0, 1)  # non-contiguous: written contiguously
    numtorch.save(tensors, tmp_path / "m.safetensors", format="safetensors")
    _assert_tensors_equal(numtorch.load(tmp_path / "m.safetensors"), tensors)
    serialization.save_file(tensors, tmp_path / "f.safetensors", metadata={"format": "pt"})
    _assert_tensors_equal(serialization.load_file(tmp_path / "f.safetensors"), tensors)
    raw = (tmp_path / "f.safetensors").read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    assert (8 + n) % 8 == 0 and b'"__metadata__":{"format":"pt"}' in raw[8:8 + n]
    buf = io.BytesIO()
    numtorch.save(tensors, buf, format="safetensors")
    buf.seek(0)
    _assert_tensors_equal(numtorch.load(buf), tensors)


def test_safetensors_compatible_with_the_reference_package(tmp_path):
    st_numpy = pytest.importorskip("safetensors.numpy")
    st_torch = pytest.importorskip("safetensors.torch")
    tensors = _flat_tensors()
    serialization.save_file(tensors, tmp_path / "ours.safetensors", metadata={"k": "v"})
    _assert_tensors_equal(st_numpy.load_file(str(tmp_path / "ours.safetensors")), tensors)
    theirs = st_torch.load_file(str(tmp_path / "ours.safetensors"))
    for k, t in tensors.items():
        assert_same(t, theirs[k], k)
    st_torch.save_file({k: torch.from_numpy(np.array(t.numpy())) for k, t in tensors.items()},
                       str(tmp_path / "theirs.safetensors"))
    _assert_tensors_equal(numtorch.load(tmp_path / "theirs.safetensors"), tensors)


def test_safetensors_rejects_non_flat_dicts(tmp_path):
    with pytest.raises(TypeError, match="key 'nested' holds a dict"):
        numtorch.save({"nested": {"a": numtorch.ones(1)}}, tmp_path / "x.safetensors", format="safetensors")
    with pytest.raises(TypeError, match="keys must be str"):
        serialization.save_file({0: numtorch.ones(1)}, tmp_path / "x.safetensors")
    assert not (tmp_path / "x.safetensors").exists()


def test_safetensors_damaged_and_unsupported(tmp_path):
    path = tmp_path / "m.safetensors"
    serialization.save_file(_flat_tensors(), path)
    raw = path.read_bytes()
    path.write_bytes(raw[:-10])
    with pytest.raises(RuntimeError, match="truncated or corrupted"):
        numtorch.load(path)
    header = json_header({"x": {"dtype": "BF16", "shape": [1], "data_offsets": [0, 2]}})
    path.write_bytes(header + b"\x00\x00")
    with pytest.raises(NotImplementedError, match="BF16"):
        numtorch.load(path)
    path.write_bytes(json_header({"x": {"dtype": "F32", "shape": [2], "data_offsets": [0, 4]}}) + b"\x00" * 8)
    with pytest.raises(RuntimeError, match="do not fit its shape"):
        numtorch.load(path)


def json_header(obj) -> bytes:
    import json
    text = json.dumps(obj).encode()
    return struct.pack("<Q", len(text)) + text
