"""gradcheck / gradgradcheck against torch: passing, failing (messages), argument checks."""
import numpy as np
import pytest

import numtorch
from tests.autograd._both import assert_same, raised, registry, submodule, warned

scenario, SCENARIOS = registry()


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda f: f.__name__)
def test_same_as_torch(scenario):
    assert_same(scenario)


def functions(m):
    Function = m.autograd.Function

    class Right(Function):
        @staticmethod
        def forward(ctx, x, y):
            ctx.save_for_backward(x, y)
            return x * y.sin()

        @staticmethod
        def backward(ctx, g):
            x, y = ctx.saved_tensors
            return g * y.sin(), g * x * y.cos()

    class Wrong(Function):      # d/dy written as sin instead of cos
        @staticmethod
        def forward(ctx, x, y):
            ctx.save_for_backward(x, y)
            return x * y.sin()

        @staticmethod
        def backward(ctx, g):
            x, y = ctx.saved_tensors
            return g * y.sin(), g * x * y.sin()

    class IgnoresGrad(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return m.ones(2, dtype=m.float64) * 2

    class Drifting(Function):   # a backward that is not reentrant
        calls = [0]

        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            Drifting.calls[0] += 1
            return g * (2 + Drifting.calls[0] * 1e-3)
    return Right, Wrong, IgnoresGrad, Drifting


def xy(m):
    return (m.tensor([0.5, -1.0], dtype=m.float64, requires_grad=True),
            m.tensor([0.3, 2.0], dtype=m.float64, requires_grad=True))


@scenario
def right_and_wrong_function(m):
    Right, Wrong, _, _ = functions(m)
    return [m.autograd.gradcheck(Right.apply, xy(m)), m.autograd.gradgradcheck(Right.apply, xy(m)),
            m.autograd.gradcheck(Wrong.apply, xy(m), raise_exception=False),
            m.autograd.gradgradcheck(Wrong.apply, xy(m), raise_exception=False)]


@scenario
def failure_messages(m):
    _, Wrong, IgnoresGrad, _ = functions(m)
    x = m.tensor([0.5, -1.0], dtype=m.float64, requires_grad=True)
    return [raised(lambda: m.autograd.gradcheck(Wrong.apply, xy(m))),
            raised(lambda: m.autograd.gradgradcheck(Wrong.apply, xy(m))),
            raised(lambda: m.autograd.gradcheck(IgnoresGrad.apply, (x,))),
            issubclass(submodule(m, "autograd.gradcheck").GradcheckError, RuntimeError)]


@scenario
def nondeterminism(m):
    _, _, _, Drifting = functions(m)
    x = m.tensor([0.5, -1.0], dtype=m.float64, requires_grad=True)
    return [raised(lambda: m.autograd.gradcheck(Drifting.apply, (x,), atol=1e-1)),
            m.autograd.gradcheck(Drifting.apply, (x,), atol=1e-1, nondet_tol=1.0)]


@scenario
def input_checks(m):
    x = m.tensor([0.5, -1.0])
    single = m.tensor([0.5, -1.0], requires_grad=True)
    float32 = warned(lambda: m.autograd.gradcheck(lambda a: a * 2, (single,), eps=1e-3, atol=1e-2))
    expanded = m.tensor([1.0], dtype=m.float64, requires_grad=True).expand(3)
    return [raised(lambda: m.autograd.gradcheck(lambda a: a * 2, (x,))), float32,
            raised(lambda: m.autograd.gradcheck(lambda a: a * 2, (expanded,))),
            m.autograd.gradcheck(lambda a: a.exp(), m.tensor([0.5, -1.0], dtype=m.float64, requires_grad=True)),
            raised(lambda: m.autograd.gradcheck(lambda a: a, (x,), check_forward_ad=False,
                                                check_backward_ad=False))]


@scenario
def outputs_without_grad(m):
    x = m.tensor([0.5, -1.0], dtype=m.float64, requires_grad=True)
    return [m.autograd.gradcheck(lambda a: a.detach() * 0 + 1, (x,)),
            raised(lambda: m.autograd.gradcheck(lambda a: a.detach() * a.detach().sum(), (x,)))]


@scenario
def several_outputs_and_inputs(m):
    x = m.tensor([[0.5, -1.0], [0.2, 0.4]], dtype=m.float64, requires_grad=True)
    w = m.tensor([0.3, 0.7], dtype=m.float64, requires_grad=True)
    f = lambda a, b: (a * b, (a.exp() * b).sum(), a.sin())  # noqa: E731
    return [m.autograd.gradcheck(f, (x, w)), m.autograd.gradgradcheck(f, (x, w)),
            m.autograd.gradgradcheck(f, [x, w], fast_mode=True)]


@scenario
def non_tensor_and_constant_arguments(m):
    x = m.tensor([0.5, -1.0], dtype=m.float64, requires_grad=True)
    c = m.tensor([2.0, 3.0], dtype=m.float64)
    return [m.autograd.gradcheck(lambda a, k, b: a * k * b, (x, 3, c)),
            m.autograd.gradgradcheck(lambda a, k, b: (a ** 3) * k * b, (x, 3, c))]


@scenario
def wrong_second_derivative_only(m):
    class WrongSecond(m.autograd.Function):   # right first derivative, built from detached x
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, g):
            x, = ctx.saved_tensors
            return 3 * x.detach() ** 2 * g
    x = m.tensor([0.5, -1.0], dtype=m.float64, requires_grad=True)
    return [m.autograd.gradcheck(WrongSecond.apply, (x,)),
            m.autograd.gradgradcheck(WrongSecond.apply, (x,), raise_exception=False)]


def test_unsupported_checks_raise():
    x = numtorch.tensor([0.5], dtype=numtorch.float64, requires_grad=True)
    for flag in ("check_batched_grad", "check_forward_ad"):
        with pytest.raises(NotImplementedError, match=flag):
            numtorch.autograd.gradcheck(lambda a: a * 2, (x,), **{flag: True})


def test_explicit_grad_outputs():
    x = numtorch.tensor(np.linspace(-1, 1, 5), requires_grad=True)
    go = numtorch.tensor(np.linspace(2, 3, 5), requires_grad=True)
    assert numtorch.autograd.gradgradcheck(lambda a: a.sin() * a, (x,), (go,))
    assert numtorch.autograd.gradgradcheck(lambda a: a.sin() * a, (x,), go.detach())
