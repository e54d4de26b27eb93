"""nn.Module's contract against torch 2.13: registration, iteration, state dicts, conversion, printing."""
import copy
import pickle
from collections import OrderedDict

import numpy as np
import pytest
import torch

import numtorch
from tests.nn.util import assert_close, compare_forward_backward, np_of, nt_state, torch_state, twin


def make_net(lib):
    """The same architecture in torch or numtorch: nesting, buffers (one non-persistent), containers."""
    nn = lib.nn

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 3)
            self.act = nn.ReLU()
            self.register_buffer("shift", lib.zeros(3))
            self.register_buffer("scratch", lib.zeros(2), persistent=False)

        def forward(self, x):
            return self.act(self.fc(x)) + self.shift

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = nn.Sequential(Block(), nn.Linear(3, 3, bias=False), nn.Tanh())
            self.heads = nn.ModuleDict({"a": nn.Linear(3, 2), "b": nn.Identity()})
            self.extra = nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 2)])
            self.scale = nn.Parameter(lib.ones(1))
            self.register_parameter("unused", None)
            self.register_buffer("none_buf", None)

        def forward(self, x):
            h = self.heads["a"](self.body(x))
            for m in self.extra:
                h = m(h)
            return h * self.scale

    return Net()


def test_named_members_match_torch():
    tm, nm = make_net(torch), make_net(numtorch)
    assert [n for n, _ in nm.named_parameters()] == [n for n, _ in tm.named_parameters()]
    assert [n for n, _ in nm.named_buffers()] == [n for n, _ in tm.named_buffers()]
    assert [n for n, _ in nm.named_modules()] == [n for n, _ in tm.named_modules()]
    assert [n for n, _ in nm.named_children()] == [n for n, _ in tm.named_children()]
    assert [n for n, _ in nm.named_parameters(prefix="p", recurse=False)] == \
        [n for n, _ in tm.named_parameters(prefix="p", recurse=False)]
    assert [type(m).__name__ for m in nm.modules()] == [type(m).__name__ for m in tm.modules()]
    assert [tuple(p.shape) for p in nm.parameters()] == [tuple(p.shape) for p in tm.parameters()]
    assert all(isinstance(p, numtorch.nn.Parameter) and p.requires_grad for p in nm.parameters())


def test_state_dict_keys_and_values_roundtrip():
    tm, nm = twin(lambda nn: make_net(torch if nn is torch.nn else numtorch))
    sd = nm.state_dict()
    assert isinstance(sd, OrderedDict)
    assert list(sd) == list(tm.state_dict())
    assert sd._metadata == tm.state_dict()._metadata
    for k, v in tm.state_dict().items():
        np.testing.assert_array_equal(np_of(sd[k]), np_of(v))
        assert not sd[k].requires_grad
    # and back into torch
    tm2 = make_net(torch)
    assert str(tm2.load_state_dict(torch_state(nm))) == "<All keys matched successfully>"
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    assert_close(nm(numtorch.tensor(x)), tm2(torch.tensor(x)))


def test_forward_and_gradients_match_torch():
    tm, nm = twin(lambda nn: make_net(torch if nn is torch.nn else numtorch))
    compare_forward_backward(tm, nm, np.random.default_rng(0).standard_normal((5, 4)))


def test_state_dict_prefix_keep_vars_destination():
    nm = make_net(numtorch)
    sd = nm.state_dict(prefix="model.", keep_vars=True)
    assert all(k.startswith("model.") for k in sd)
    assert sd["model.scale"] is nm.scale
    dest = {}
    assert nm.state_dict(destination=dest) is dest and "scale" in dest
    assert not nm.state_dict()["scale"].requires_grad


def test_load_state_dict_strict_non_strict():
    for lib in (torch, numtorch):
        net = make_net(lib)
        sd = net.state_dict()
        sd.pop("scale")
        sd["bogus"] = lib.zeros(1)
        sd["body.0.bogus"] = lib.zeros(1)
        with pytest.raises(RuntimeError) as e:
            net.load_state_dict(sd)
        msg = str(e.value)
        res = net.load_state_dict(sd, strict=False)
        if lib is torch:
            torch_msg, torch_res = msg, res
    assert msg == torch_msg.replace("Net", "Net")
    assert res.missing_keys == torch_res.missing_keys == ["scale"]
    assert res.unexpected_keys == torch_res.unexpected_keys
    assert repr(res) == repr(torch_res)


def test_load_state_dict_size_mismatch_message_and_nothing_changes():
    nm = numtorch.nn.Linear(3, 2)
    before = {k: np_of(v).copy() for k, v in nm.state_dict().items()}
    versions = [p._version for p in nm.parameters()]
    bad = {"weight": numtorch.ones(2, 4), "bias": numtorch.full((2,), 7.0)}
    with pytest.raises(RuntimeError) as e:
        nm.load_state_dict(bad)
    tm = torch.nn.Linear(3, 2)
    with pytest.raises(RuntimeError) as te:
        tm.load_state_dict({"weight": torch.ones(2, 4), "bias": torch.full((2,), 7.0)})
    assert str(e.value) == str(te.value)
    assert str(e.value) == ("Error(s) in loading state_dict for Linear:\n\tsize mismatch for weight: copying a param "
                            "with shape torch.Size([2, 4]) from checkpoint, the shape in current model is "
                            "torch.Size([2, 3]).")
    for k, v in nm.state_dict().items():   # torch copies the bias here; numtorch validates first
        np.testing.assert_array_equal(np_of(v), before[k])
    assert [p._version for p in nm.parameters()] == versions
    # a missing key in strict mode changes nothing either
    with pytest.raises(RuntimeError, match='Missing key\\(s\\) in state_dict: "weight"'):
        nm.load_state_dict({"bias": numtorch.full((2,), 7.0)})
    np.testing.assert_array_equal(np_of(nm.bias), before["bias"])


def test_load_state_dict_copies_in_place_and_assign():
    nm = numtorch.nn.Linear(3, 2)
    w = nm.weight
    new = {"weight": numtorch.ones(2, 3, dtype=numtorch.float64), "bias": numtorch.zeros(2)}
    nm.load_state_dict(new)
    assert nm.weight is w and nm.weight.dtype == numtorch.float32
    np.testing.assert_array_equal(np_of(nm.weight), np.ones((2, 3)))
    assigned = {"weight": numtorch.full((2, 3), 2.0), "bias": numtorch.zeros(2)}
    nm.load_state_dict(assigned, assign=True)
    assert nm.weight is not w and isinstance(nm.weight, numtorch.nn.Parameter) and nm.weight.requires_grad
    np.testing.assert_array_equal(np_of(nm.weight), np.full((2, 3), 2.0))


def test_load_state_dict_type_errors():
    nm = numtorch.nn.Linear(3, 2)
    with pytest.raises(TypeError, match="Expected state_dict to be dict-like"):
        nm.load_state_dict([1, 2])
    with pytest.raises(RuntimeError, match='While copying the parameter named "bias", expected torch.Tensor'):
        nm.load_state_dict({"weight": numtorch.ones(2, 3), "bias": [1.0, 2.0]})


def test_state_dict_hooks_and_extra_state():
    for lib in (torch, numtorch):
        class WithExtra(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.lin = lib.nn.Linear(2, 2)
                self.counter = 3

            def get_extra_state(self):
                return {"counter": self.counter}

            def set_extra_state(self, state):
                self.counter = state["counter"]

        m = WithExtra()
        events = []
        m.register_state_dict_pre_hook(lambda mod, prefix, keep: events.append(("pre", prefix)))
        m.register_state_dict_post_hook(lambda mod, sd, prefix, meta: events.append(("post", sorted(sd))))
        m.register_load_state_dict_post_hook(lambda mod, keys: events.append(("load", list(keys.missing_keys))))
        sd = m.state_dict()
        m.counter = 0
        m.load_state_dict(sd)
        if lib is torch:
            torch_events, torch_counter = events, m.counter
    assert events == torch_events and m.counter == torch_counter == 3


def test_load_state_dict_post_hook_can_clear_missing():
    for lib in (torch, numtorch):
        m = lib.nn.Linear(2, 2)
        m.register_load_state_dict_post_hook(lambda mod, keys: keys.missing_keys.clear())
        out = m.load_state_dict({"weight": lib.ones(2, 2)})
        assert out.missing_keys == []


def test_registration_errors_match_torch():
    def errors(lib):
        out = []
        nn = lib.nn
        m = nn.Linear(2, 2)
        attempts = [
            lambda: setattr(m, "weight", lib.ones(2, 2)),
            lambda: m.register_parameter("a.b", None),
            lambda: m.register_parameter("", None),
            lambda: m.register_parameter("training", None),
            lambda: m.register_parameter("w2", lib.ones(1)),
            lambda: m.register_buffer("weight", lib.ones(1)),
            lambda: m.register_buffer("b2", 3),
            lambda: m.register_buffer("x.y", lib.ones(1)),
            lambda: m.add_module("sub", 3),
            lambda: m.add_module("a.b", nn.ReLU()),
            lambda: m.add_module("", nn.ReLU()),
            lambda: m.add_module(3, nn.ReLU()),
            lambda: m.nope,
            lambda: m.get_submodule("x.y"),
            lambda: m.get_parameter("bias.x"),
            lambda: m.get_parameter("in_features"),
            lambda: m.get_buffer("weight"),
            lambda: m.train("yes"),
            lambda: nn.Module()(1),
            lambda: nn.Linear(2, 2).to(lib.int64),
        ]
        for f in attempts:
            try:
                f()
                out.append(None)
            except Exception as e:  # noqa: BLE001 - comparing exception types and messages
                out.append((type(e).__name__, str(e).replace("torch.nn.modules.activation.", "")
                            .replace("numtorch.nn.modules.activation.", "")))
        return out
    ours, theirs = errors(numtorch), errors(torch)
    for i, (a, b) in enumerate(zip(ours, theirs)):
        assert a == b, f"attempt {i}: {a} != {b}"

    class Early(numtorch.nn.Module):
        def __init__(self):
            self.sub = numtorch.nn.ReLU()
    with pytest.raises(AttributeError, match=r"cannot assign module before Module.__init__\(\) call"):
        Early()


def test_setattr_moves_between_stores_and_delattr():
    nm = numtorch.nn.Module()
    nm.x = numtorch.nn.Parameter(numtorch.ones(1))
    assert "x" in nm._parameters
    nm.x = None
    assert nm._parameters["x"] is None
    del nm.x
    nm.x = numtorch.nn.ReLU()
    assert "x" in nm._modules and "x" not in nm._parameters
    nm.register_buffer("b", numtorch.ones(1))
    nm.b = numtorch.zeros(2)
    assert nm._buffers["b"].shape == (2,)
    nm.c = numtorch.nn.Buffer(numtorch.ones(1), persistent=False)
    assert "c" in nm._buffers and "c" in nm._non_persistent_buffers_set
    del nm.b
    assert "b" not in nm._buffers
    nm.plain = 5
    assert nm.plain == 5 and "plain" in nm.__dict__
    assert "x" in dir(nm) and "c" in dir(nm)


def test_get_submodule_parameter_buffer():
    nm = make_net(numtorch)
    assert nm.get_submodule("body.0.fc") is nm.body[0].fc
    assert nm.get_parameter("body.0.fc.weight") is nm.body[0].fc.weight
    assert nm.get_buffer("body.0.shift") is nm.body[0].shift
    nm.set_submodule("body.0.act", numtorch.nn.Tanh())
    assert isinstance(nm.body[0].act, numtorch.nn.Tanh)


def test_train_eval_apply_requires_grad_zero_grad():
    nm = make_net(numtorch)
    assert nm.training and all(m.training for m in nm.modules())
    assert nm.eval() is nm and not any(m.training for m in nm.modules())
    nm.train()
    seen = []
    nm.apply(lambda m: seen.append(type(m).__name__))
    tm = make_net(torch)
    tseen = []
    tm.apply(lambda m: tseen.append(type(m).__name__))
    assert seen == tseen
    nm.requires_grad_(False)
    assert not any(p.requires_grad for p in nm.parameters())
    nm.requires_grad_()
    out = nm(numtorch.ones(2, 4)).sum()
    out.backward()
    assert all(p.grad is not None for p in nm.parameters())
    nm.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not np_of(p.grad).any() for p in nm.parameters())
    nm.zero_grad()
    assert all(p.grad is None for p in nm.parameters())


def test_dtype_conversion_keeps_parameter_objects():
    nm = make_net(numtorch)
    params = list(nm.parameters())
    nm(numtorch.ones(2, 4)).sum().backward()
    assert nm.double() is nm
    assert all(p.dtype == numtorch.float64 and p.grad.dtype == numtorch.float64 for p in nm.parameters())
    assert all(a is b for a, b in zip(params, nm.parameters()))
    assert nm.body[0].shift.dtype == numtorch.float64
    nm.to(numtorch.float32)
    assert all(p.dtype == numtorch.float32 for p in nm.parameters())
    nm.half()
    assert nm.scale.dtype == numtorch.float16
    nm.float()
    nm.to("cpu")
    nm.to(numtorch.zeros(1, dtype=numtorch.float64))
    assert nm.scale.dtype == numtorch.float64
    assert nm.cpu() is nm and nm.share_memory() is nm
    with pytest.raises(NotImplementedError):
        nm.to("cuda")


def test_repr_matches_torch():
    tm, nm = make_net(torch), make_net(numtorch)
    assert repr(nm) == repr(tm)
    for lib_pair in [(torch, numtorch)]:
        t, n = (lib.nn.Sequential(lib.nn.Linear(2, 3), lib.nn.Sequential(lib.nn.ReLU(inplace=True),
                                                                         lib.nn.Flatten()),
                                  lib.nn.ModuleList([lib.nn.ReLU() for _ in range(3)] + [lib.nn.GELU()]))
                for lib in lib_pair)
        assert repr(n) == repr(t)
    assert repr(numtorch.nn.Module()) == repr(torch.nn.Module()) == "Module()"


class PicklableNet(numtorch.nn.Module):
    """A module-level class (pickle finds classes by name)."""

    def __init__(self):
        super().__init__()
        self.body = numtorch.nn.Sequential(numtorch.nn.Linear(4, 3), numtorch.nn.ReLU())
        self.register_buffer("count", numtorch.zeros(1))
        self.register_buffer("tmp", numtorch.ones(2), persistent=False)

    def forward(self, x):
        return self.body(x) + self.count


def test_deepcopy_and_pickle():
    nm = make_net(numtorch)
    nm(numtorch.ones(2, 4)).sum().backward()
    net = PicklableNet()
    restored = pickle.loads(pickle.dumps(net))
    assert type(restored) is PicklableNet and repr(restored) == repr(net)
    assert list(restored.state_dict()) == list(net.state_dict()) == ["count", "body.0.weight", "body.0.bias"]
    assert "tmp" in restored._non_persistent_buffers_set
    np.testing.assert_array_equal(np_of(restored(numtorch.ones(1, 4))), np_of(net(numtorch.ones(1, 4))))
    for orig in (nm, net):
        clone = copy.deepcopy(orig)
        assert type(clone) is type(orig) and repr(clone) == repr(orig)
        for (name, a), (_, b) in zip(clone.named_parameters(), orig.named_parameters()):
            assert isinstance(a, numtorch.nn.Parameter) and a is not b
            np.testing.assert_array_equal(np_of(a), np_of(b))
        with numtorch.no_grad():
            next(clone.parameters()).mul_(0)
        assert np_of(next(orig.parameters())).any()
    shared = numtorch.nn.Linear(2, 2)
    seq = numtorch.nn.Sequential(shared, shared)
    c = copy.deepcopy(seq)
    assert c[0] is c[1] and len(list(c.parameters())) == 2


def test_shared_parameters_and_remove_duplicate():
    for lib in (torch, numtorch):
        lin = lib.nn.Linear(2, 2)
        seq = lib.nn.Sequential(lin, lin)
        assert len(list(seq.parameters())) == 2
        assert [n for n, _ in seq.named_parameters(remove_duplicate=False)] == \
            ["0.weight", "0.bias", "1.weight", "1.bias"]
        assert len(list(seq.named_modules(remove_duplicate=False))) == 3
        assert list(seq.state_dict()) == ["0.weight", "0.bias", "1.weight", "1.bias"]


def test_module_init_errors_and_version():
    with pytest.raises(TypeError, match=r"Module.__init__\(\) got an unexpected keyword argument 'a'"):
        numtorch.nn.Module(a=1)
    assert numtorch.nn.Module._version == 1
    with pytest.raises(NotImplementedError, match=r'Module \[Module\] is missing the required "forward" function'):
        numtorch.nn.Module()()
