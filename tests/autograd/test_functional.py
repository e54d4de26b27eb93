"""autograd.functional against torch.autograd.functional: values, structures, create_graph, strict, errors."""
import numpy as np
import pytest

from tests.autograd._both import assert_same, raised, registry

scenario, SCENARIOS = registry()


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda f: f.__name__)
def test_same_as_torch(scenario):
    assert_same(scenario)


_rng = np.random.default_rng(0)
A, B = _rng.standard_normal((3, 2)), _rng.standard_normal(2)


def rows_exp(x):
    return (x.exp() * 2).sum(1)


def two_in_two_out(x, y):
    return x * y.unsqueeze(0) + x.sin(), (y ** 2).sum()


def scalar(x):
    return (x ** 3).sum() + (x.sin() * x).sum()


def scalar_of_two(x, y):
    return (x.tanh() * y.unsqueeze(0)).sum() + (y * y).sum()


def data(m):
    return m.tensor(A), m.tensor(B)


def f64(m, *shape):
    return m.ones(*shape, dtype=m.float64)


@scenario
def vjp(m):
    F = m.autograd.functional
    x, y = data(m)
    v = m.tensor([0.5, -1.0, 2.0], dtype=m.float64)
    return [F.vjp(rows_exp, x, v), F.vjp(two_in_two_out, (x, y), (f64(m, 3, 2), m.tensor(2., dtype=m.float64))),
            F.vjp(scalar, x), F.vjp(rows_exp, x, v, create_graph=True)]


@scenario
def jvp(m):
    F = m.autograd.functional
    x, y = data(m)
    return [F.jvp(rows_exp, x, f64(m, 3, 2)), F.jvp(two_in_two_out, (x, y), (f64(m, 3, 2), m.tensor(B))),
            F.jvp(lambda a: a.exp(), m.tensor([0.5], dtype=m.float64))]


@scenario
def jacobian(m):
    F = m.autograd.functional
    x, y = data(m)
    return [F.jacobian(rows_exp, x), F.jacobian(two_in_two_out, (x, y)), F.jacobian(lambda a: a.sum(), x),
            F.jacobian(two_in_two_out, (x, y), create_graph=True), F.jacobian(lambda a, b: a * 2, (x, y)),
            F.jacobian(lambda a: (a * 2,), x, vectorize=True), F.jacobian(lambda a: a * 2, (x,))]


@scenario
def hessian(m):
    F = m.autograd.functional
    x, y = data(m)
    return [F.hessian(scalar, x), F.hessian(scalar_of_two, (x, y)), F.hessian(scalar, x, create_graph=True),
            F.hessian(lambda a: (a * 2).sum(), x)]


@scenario
def hvp_and_vhp(m):
    F = m.autograd.functional
    x, y = data(m)
    v = m.tensor(A[::-1].copy())
    return [F.hvp(scalar, x, v), F.vhp(scalar, x, v), F.vhp(scalar_of_two, (x, y), (v, m.tensor(B))),
            F.hvp(scalar_of_two, (x, y), (v, m.tensor(B))), F.hvp(scalar, x, v, create_graph=True),
            F.vhp(lambda a: (a ** 3).sum(), m.tensor([2.0], dtype=m.float64))]


@scenario
def strict_mode(m):
    F = m.autograd.functional
    x, y = data(m)
    linear = lambda a, b: a * 2  # noqa: E731
    constant = lambda a: f64(m, 2)  # noqa: E731
    return [raised(lambda: F.vjp(linear, (x, y), f64(m, 3, 2), strict=True)),
            raised(lambda: F.vjp(constant, x, f64(m, 2), strict=True)),
            F.vjp(constant, x, f64(m, 2)),
            raised(lambda: F.jacobian(linear, (x, y), strict=True)),
            raised(lambda: F.jvp(linear, (x, y), (f64(m, 3, 2), f64(m, 2)), strict=True)),
            raised(lambda: F.hessian(lambda a: (a * 2).sum(), x, strict=True)),
            raised(lambda: F.hvp(lambda a: (a * 2).sum(), x, f64(m, 3, 2), strict=True)),
            raised(lambda: F.vhp(lambda a: (a * 2).sum(), x, f64(m, 3, 2), strict=True)),
            raised(lambda: F.jacobian(lambda a: a * 2, x, strict=True, create_graph=True)),
            raised(lambda: F.jacobian(lambda a: a * 2, x, strict=True, vectorize=True)),
            F.jacobian(lambda a: a * 2, x, create_graph=True)]


@scenario
def argument_errors(m):
    F = m.autograd.functional
    x, _ = data(m)
    return [raised(lambda: F.vjp(rows_exp, x)),
            raised(lambda: F.vjp(rows_exp, x, f64(m, 4))),
            raised(lambda: F.vjp(rows_exp, x, (f64(m, 3), f64(m, 3)))),
            raised(lambda: F.vjp(two_in_two_out, (x, m.tensor(B)), (f64(m, 3, 2),))),
            raised(lambda: F.vjp(two_in_two_out, (x, m.tensor(B)), (f64(m, 3, 2), f64(m, 3)))),
            raised(lambda: F.vjp(rows_exp, [x], f64(m, 3))),
            raised(lambda: F.vjp(rows_exp, 3.0)),
            raised(lambda: F.vjp(lambda a: 3, x)),
            raised(lambda: F.jvp(rows_exp, x)),
            raised(lambda: F.hessian(rows_exp, x)),
            raised(lambda: F.hessian(lambda a: (a, a), x)),
            raised(lambda: F.hvp(rows_exp, x, f64(m, 3, 2))),
            raised(lambda: F.vhp(scalar, x)),
            raised(lambda: F.jacobian(rows_exp, x, strategy="bogus")),
            raised(lambda: F.jacobian(rows_exp, x, strategy="forward-mode")),
            raised(lambda: F.jacobian(rows_exp, x, strategy="forward-mode", create_graph=True))]


@scenario
def inputs_left_untouched(m):
    F = m.autograd.functional
    x = m.tensor(A, requires_grad=True)
    out, v = F.vjp(scalar, x)
    J = F.jacobian(scalar, x)
    return [x.grad, out.requires_grad, v.requires_grad, J.requires_grad, x.requires_grad, x.is_leaf]


@scenario
def create_graph_results_are_differentiable(m):
    F = m.autograd.functional
    x = m.tensor(A, requires_grad=True)
    out, v = F.vjp(scalar, x, create_graph=True)
    g, = m.autograd.grad(v.sum(), x)
    H = F.hessian(scalar, x, create_graph=True)
    g2, = m.autograd.grad(H.sum(), x)
    _, hv = F.hvp(scalar, x, m.tensor(A), create_graph=True)
    g3, = m.autograd.grad(hv.sum(), x)
    return [out, v, g, g2, g3]
