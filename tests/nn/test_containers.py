"""Containers against torch 2.13: indexing, mutation, iteration, state-dict keys and reprs."""
from collections import OrderedDict

import pytest
import torch

import numtorch


def _names(mod):
    return [n for n, _ in mod.named_modules()]


def _both(build):
    return build(numtorch), build(torch)


def _acts(lib, n=5):
    nn = lib.nn
    return [nn.ReLU(), nn.Tanh(), nn.Sigmoid(), nn.GELU(), nn.SiLU(), nn.ELU(), nn.Softplus()][:n]


def test_sequential_indexing_slicing_and_mutation():
    def ops(lib):
        nn = lib.nn
        s = nn.Sequential(*_acts(lib))
        out = [repr(s[0]), repr(s[-1]), repr(s[1:4]), type(s[1:3]).__name__, len(s)]
        s.append(nn.Identity())
        s.insert(1, nn.Hardtanh())
        s.insert(-1, nn.Mish())
        s.extend([nn.ReLU6()])
        out.append(repr(s))
        del s[2]
        del s[0:2]
        out.append(repr(s))
        popped = s.pop(1)
        out.append((repr(popped), repr(s)))
        s[0] = nn.Softsign()
        out.append([type(m).__name__ for m in s])
        out.append(repr(s + nn.Sequential(nn.ReLU())))
        s2 = nn.Sequential(OrderedDict([("first", nn.ReLU()), ("second", nn.Tanh())]))
        out.append((repr(s2), repr(s2[1]), _names(s2)))
        out.append(repr(nn.Sequential(nn.ReLU()) * 2))
        for bad in (lambda: s[10], lambda: s + [nn.ReLU()], lambda: s.insert(99, nn.ReLU())):
            try:
                bad()
            except Exception as e:  # noqa: BLE001
                out.append((type(e).__name__, str(e).replace("numtorch", "torch")))
        return out
    ours, theirs = _both(ops)
    assert ours == theirs


def test_sequential_forward_chains_modules():
    s = numtorch.nn.Sequential(numtorch.nn.Hardtanh(-0.5, 0.5), numtorch.nn.Threshold(0.1, 20.0))
    out = s(numtorch.tensor([-1.0, 0.05, 0.3, 2.0]))
    assert out.tolist() == pytest.approx([20.0, 20.0, 0.3, 0.5])


def test_module_list():
    def ops(lib):
        nn = lib.nn
        ml = nn.ModuleList(_acts(lib, 3))
        ml.append(nn.ReLU())
        ml.extend([nn.ReLU(), nn.ReLU()])
        ml.insert(0, nn.Tanh())
        out = [repr(ml), len(ml), repr(ml[-1]), repr(ml[1:3]), type(ml[1:3]).__name__]
        del ml[0]
        out.append(repr(ml))
        ml[0] = nn.Softplus(beta=2.0)
        ml += [nn.Identity()]
        out.append(repr(ml + nn.ModuleList([nn.ReLU()])))
        out.append(repr(ml.pop(0)))
        out.append(_names(ml))
        out.append(repr(nn.ModuleList()))
        try:
            ml[100]
        except IndexError as e:
            out.append(str(e))
        return out
    ours, theirs = _both(ops)
    assert ours == theirs


def test_module_dict():
    def ops(lib):
        nn = lib.nn
        md = nn.ModuleDict({"b": nn.ReLU(), "a": nn.Tanh()})
        md["c"] = nn.Sigmoid()
        md.update([("d", nn.GELU())])
        md.update(OrderedDict(e=nn.SiLU()))
        out = [repr(md), list(md.keys()), len(md), "a" in md, list(md)]
        out.append(repr(md.pop("b")))
        del md["a"]
        out.append([(k, type(v).__name__) for k, v in md.items()])
        out.append(_names(md))
        try:
            md.update([("x", nn.ReLU(), 3)])
        except ValueError as e:
            out.append(str(e))
        md.clear()
        out.append(repr(md))
        return out
    ours, theirs = _both(ops)
    assert ours == theirs


def test_parameter_list_and_dict():
    def ops(lib):
        nn = lib.nn
        pl = nn.ParameterList([nn.Parameter(lib.ones(2, 3)), lib.zeros(4)])
        pl.append(lib.ones(1, dtype=lib.float64))
        pl.extend([nn.Parameter(lib.ones(2))])
        out = [repr(pl), len(pl), [type(p).__name__ for p in pl], [n for n, _ in pl.named_parameters()]]
        out.append(repr(pl[1:3]))
        out.append(list(pl.state_dict()))
        pd = nn.ParameterDict({"w": nn.Parameter(lib.ones(2, 2)), "b": lib.zeros(2)})
        pd["c"] = lib.ones(3)
        pd.update([("d", nn.Parameter(lib.ones(1)))])
        out += [repr(pd), list(pd.keys()), [n for n, _ in pd.named_parameters()], "w" in pd, len(pd)]
        out.append(tuple(pd.pop("b").shape))
        out.append(pd.popitem()[0])
        out.append(list(pd.state_dict()))
        out.append(tuple(pd.get("zzz", lib.ones(5)).shape))
        pd.setdefault("e", lib.ones(1))
        out.append(list((pd | nn.ParameterDict({"f": lib.ones(1)})).keys()))
        out.append(repr(pd.copy()))
        for bad in (lambda: pl.extend(lib.ones(2)), lambda: pd[3], lambda: pl(1), lambda: pd(1)):
            try:
                bad()
            except Exception as e:  # noqa: BLE001
                out.append((type(e).__name__, str(e)))
        return out
    ours, theirs = _both(ops)
    for a, b in zip(ours, theirs):
        assert a == b
