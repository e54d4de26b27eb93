"""Anomaly mode (NaN checks, forward traces, hints) and version-error messages against torch."""
import os
import re

import pytest
import torch

import numtorch
from tests.autograd._both import assert_same, raised, registry, warned

scenario, SCENARIOS = registry()


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda f: f.__name__)
def test_same_as_torch(scenario):
    assert_same(scenario)


_LIB_DIRS = tuple(os.path.dirname(mod.__file__) for mod in (torch, numtorch))


def _user_frames(message: str) -> str:
    """A forward-trace warning with the library's own frames (and torch's C++ suffix) left out."""
    message = message.split(" (Triggered internally")[0]
    head, _, trace = message.partition("\n")
    frames = re.split(r"(?m)^(?=  File )", trace)
    kept = [f for f in frames if f.strip() and not any(f'"{d}' in f for d in _LIB_DIRS)]
    return head + "\n" + "".join(kept)


def _anomaly_run(m, fn):
    result, caught = warned(fn)
    return result, [(c, _user_frames(msg)) for c, msg in caught if "invalid value" not in msg]


@scenario
def nan_in_builtin_backward(m):
    x = m.tensor([0.0, 1.0], requires_grad=True)

    def run():
        with m.autograd.detect_anomaly():
            y = x.sqrt()
            (y * 0).sum().backward()
    return _anomaly_run(m, run)


@scenario
def nan_in_function_backward(m):
    class MakesNan(m.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * float("nan")
    x = m.tensor([0.0, 1.0], requires_grad=True)

    def run():
        with m.autograd.detect_anomaly():
            MakesNan.apply(x).exp().sum().backward()
    return _anomaly_run(m, run)


@scenario
def failing_backward_names_its_forward(m):
    x = m.tensor([0.0, 1.0], requires_grad=True)

    def run():
        with m.autograd.detect_anomaly():
            a = x.sin()
            y = a.sin()
            a.mul_(2)
            y.sum().backward()
    return _anomaly_run(m, run)


@scenario
def check_nan_off(m):
    x = m.tensor([0.0, 1.0], requires_grad=True)

    def run():
        with m.autograd.detect_anomaly(check_nan=False):
            (x.sqrt() * 0).sum().backward()
    return [_anomaly_run(m, run), x.grad]


@scenario
def flags(m):
    out = [m.is_anomaly_enabled(), m.is_anomaly_check_nan_enabled()]
    with m.autograd.set_detect_anomaly(True, check_nan=False):
        out += [m.is_anomaly_enabled(), m.is_anomaly_check_nan_enabled()]
    out += [m.is_anomaly_enabled(), m.is_anomaly_check_nan_enabled()]
    m.autograd.set_detect_anomaly(True)
    out.append(m.is_anomaly_enabled())
    m.autograd.set_detect_anomaly(False)
    out.append(m.is_anomaly_enabled())
    m.set_anomaly_enabled(True, False)
    out += [m.is_anomaly_enabled(), m.is_anomaly_check_nan_enabled()]
    m.set_anomaly_enabled(False)
    ctx = m.autograd.detect_anomaly()
    out.append(m.is_anomaly_enabled())
    with ctx:
        out.append(m.is_anomaly_enabled())
    out += [m.is_anomaly_enabled(), raised(lambda: ctx(lambda: 1))]
    return out


@scenario
def version_error_names(m):
    x = m.ones(2, 2, requires_grad=True)
    out = []
    for make in (lambda: x * 1, lambda: x.exp(), lambda: x.sum()):
        a = make()
        y = a * a
        with m.no_grad():
            a.mul_(2)
        out.append(raised(lambda: y.sum().backward()))

    class Scaled(m.autograd.Function):
        @staticmethod
        def forward(ctx, t):
            out = t * 2
            ctx.save_for_backward(out)
            return out

        @staticmethod
        def backward(ctx, g):
            saved, = ctx.saved_tensors
            return g * saved
    s = Scaled.apply(x)
    s.add_(1)
    out.append(raised(lambda: s.sum().backward()))
    return out
