"""Module hooks against torch 2.13: firing order, arguments, return-value handling, full backward hooks."""
import warnings

import numpy as np
import pytest
import torch

import numtorch
import numtorch.nn.modules.module as nt_module_mod
import torch.nn.modules.module as torch_module_mod
from tests.nn.util import np_of, nt_state


def _desc(x):
    """A framework-neutral description of a hook argument."""
    if x is None:
        return None
    if isinstance(x, (tuple, list)):
        return tuple(_desc(v) for v in x)
    if isinstance(x, dict):
        return {k: _desc(v) for k, v in x.items()}
    if isinstance(x, (torch.Tensor, numtorch.Tensor)):
        return ("T", tuple(x.shape), np.round(np_of(x).astype(np.float64), 4).tolist())
    return x


class _Lib:
    def __init__(self, lib):
        self.lib = lib


def _forward_hook_trace(lib):
    nn = lib.nn
    log = []
    m = nn.Linear(3, 2)
    m.load_state_dict({"weight": lib.tensor([[1.0, 2.0, 3.0], [-1.0, 0.5, 0.0]]), "bias": lib.tensor([0.1, -0.2])})
    m.register_forward_pre_hook(lambda mod, args: log.append(("pre", _desc(args))))
    m.register_forward_pre_hook(lambda mod, args: log.append(("pre-first", _desc(args))), prepend=True)

    def pre_kw(mod, args, kwargs):
        log.append(("pre-kw", _desc(args), _desc(kwargs)))
        return (args[0] * 2,), kwargs
    m.register_forward_pre_hook(pre_kw, with_kwargs=True)
    m.register_forward_hook(lambda mod, args, out: log.append(("post", _desc(args), _desc(out))))

    def post_replace(mod, args, out):
        return out + 1
    h = m.register_forward_hook(post_replace)
    m.register_forward_hook(lambda mod, args, kwargs, out: log.append(("post-kw", _desc(kwargs), _desc(out))),
                            with_kwargs=True)
    m.register_forward_hook(lambda mod, args, out: log.append(("post-first", _desc(out))), prepend=True)
    out = m(lib.tensor([[1.0, 0.0, -1.0]]))
    log.append(("result", _desc(out)))
    h.remove()
    log.append(("after-remove", _desc(m(lib.tensor([[1.0, 0.0, -1.0]])))))
    return log


def test_forward_hooks_order_args_and_replacement():
    assert _forward_hook_trace(numtorch) == _forward_hook_trace(torch)


def test_pre_hook_single_value_is_wrapped_and_bad_kwargs_return():
    for lib in (torch, numtorch):
        m = lib.nn.Identity()
        m.register_forward_pre_hook(lambda mod, args: args[0] + 1)   # a non-tuple replaces args as (value,)
        assert np_of(m(lib.zeros(1))).tolist() == [1.0]
        bad = lib.nn.Identity()
        bad.register_forward_pre_hook(lambda mod, args, kwargs: 3, with_kwargs=True)
        with pytest.raises(RuntimeError, match="forward pre-hook must return None or a tuple of"):
            bad(lib.zeros(1))


def test_always_call_hook_runs_on_exception():
    for lib in (torch, numtorch):
        class Boom(lib.nn.Module):
            def forward(self, x):
                raise ValueError("boom")
        seen = []
        m = Boom()
        m.register_forward_hook(lambda mod, args, out: seen.append("always"), always_call=True)
        m.register_forward_hook(lambda mod, args, out: seen.append("normal"))
        with pytest.raises(ValueError, match="boom"):
            m(lib.zeros(1))
        assert seen == ["always"]


def _backward_hook_trace(lib, input_requires_grad=True):
    nn = lib.nn
    log = []

    class TwoOut(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(3, 2)

        def forward(self, x, y, k=2.0):
            h = self.lin(x)
            return h * k, (h * y).sum(), 7

    m = TwoOut()
    m.lin.load_state_dict({"weight": lib.tensor([[1.0, 2.0, 3.0], [-1.0, 0.5, 0.0]]),
                           "bias": lib.tensor([0.1, -0.2])})
    m.register_full_backward_pre_hook(lambda mod, gout: log.append(("bw-pre", _desc(gout))))

    def double_first(mod, gout):
        return (gout[0] * 2,) + tuple(gout[1:])
    m.register_full_backward_pre_hook(double_first)
    m.register_full_backward_hook(lambda mod, gin, gout: log.append(("bw", _desc(gin), _desc(gout))))
    m.register_full_backward_hook(lambda mod, gin, gout: log.append(("bw-first", _desc(gin))), prepend=True)
    m.lin.register_full_backward_hook(lambda mod, gin, gout: log.append(("inner", _desc(gin), _desc(gout))))
    x = lib.tensor([[1.0, -2.0, 0.5], [0.0, 1.0, 2.0]], requires_grad=input_requires_grad)
    y = lib.tensor([[0.5, 1.5], [1.0, -1.0]], requires_grad=input_requires_grad)
    a, b, c = m(x, y, k=3.0)
    log.append(("outs", c, a.requires_grad))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        (a.sum() + b * 2).backward()
    log.append(("x.grad", _desc(x.grad)))
    log.append(("w.grad", _desc(m.lin.weight.grad)))
    return log


def test_full_backward_hooks_match_torch():
    ours, theirs = _backward_hook_trace(numtorch), _backward_hook_trace(torch)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        assert a == b


def test_full_backward_hook_when_no_input_requires_grad():
    ours, theirs = _backward_hook_trace(numtorch, False), _backward_hook_trace(torch, False)
    assert ours == theirs


def test_backward_hook_can_replace_grad_input():
    for lib in (torch, numtorch):
        m = lib.nn.Linear(2, 2)
        m.register_full_backward_hook(lambda mod, gin, gout: (gin[0] * 0 + 5,))
        x = lib.ones(1, 2, requires_grad=True)
        m(x).sum().backward()
        assert np_of(x.grad).tolist() == [[5.0, 5.0]]
        bad = lib.nn.Linear(2, 2)
        bad.register_full_backward_hook(lambda mod, gin, gout: (gin[0], gin[0]))
        with pytest.raises(RuntimeError, match="Backward hook returned an invalid number of grad_input, got 2, but "
                                               "expected 1"):
            bad(lib.ones(1, 2, requires_grad=True)).sum().backward()


def test_mixing_hook_kinds_raises():
    m = numtorch.nn.Linear(2, 2)
    m.register_full_backward_hook(lambda *a: None)
    with pytest.raises(RuntimeError, match="Cannot use both regular backward hooks and full backward hooks"):
        m.register_backward_hook(lambda *a: None)


def test_global_forward_hooks():
    for lib, mod in ((torch, torch_module_mod), (numtorch, nt_module_mod)):
        seen = []
        h1 = mod.register_module_forward_pre_hook(lambda m, args: seen.append(("gpre", type(m).__name__)))
        h2 = mod.register_module_forward_hook(lambda m, args, out: seen.append(("gpost", type(m).__name__)))
        try:
            net = lib.nn.Sequential(lib.nn.ReLU(), lib.nn.Tanh())
            net[0].register_forward_pre_hook(lambda m, args: seen.append(("local-pre", type(m).__name__)))
            net(lib.zeros(1))
        finally:
            h1.remove()
            h2.remove()
        if lib is torch:
            torch_seen = seen
    assert seen == torch_seen


def test_hooked_module_keeps_state_dict_and_handles_are_context_managers():
    m = numtorch.nn.Linear(2, 2)
    with m.register_forward_hook(lambda *a: None):
        assert len(m._forward_hooks) == 1
    assert len(m._forward_hooks) == 0
    assert list(m.state_dict()) == ["weight", "bias"]
    tm = torch.nn.Linear(2, 2)
    m.load_state_dict(nt_state(tm))
