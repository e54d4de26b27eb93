"""autograd.Function against torch: ctx API, outputs, in-place forwards, errors, double backward."""
import gc
import weakref

import numpy as np
import pytest

import numtorch
from tests.autograd._both import assert_same, raised, registry, submodule

scenario, SCENARIOS = registry()


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda f: f.__name__)
def test_same_as_torch(scenario):
    assert_same(scenario)


def functions(m):
    """The same user Functions, written against module m."""
    Function = m.autograd.Function

    class Cube(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, g):
            x, = ctx.saved_tensors
            return 3 * x ** 2 * g

    class Multi(Function):
        @staticmethod
        def forward(ctx, x, n, y):
            ctx.n = n
            ctx.save_for_backward(x, y)
            return x * y, n, x + y

        @staticmethod
        def backward(ctx, g_prod, g_n, g_sum):
            x, y = ctx.saved_tensors
            return g_prod * y + g_sum, None, g_prod * x + g_sum

    class Double(Function):   # in-place forward
        @staticmethod
        def forward(ctx, x):
            x.mul_(2)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, g):
            return g * 2

    class WithIndex(Function):
        @staticmethod
        def forward(ctx, x):
            scaled, tripled = x * 2, x * 3
            ctx.mark_non_differentiable(tripled)
            return scaled, tripled, (x > 1.5).sum()

        @staticmethod
        def backward(ctx, g_scaled, g_tripled, g_count):
            ctx.seen = (g_scaled, g_tripled, g_count)
            return g_scaled * 2

    class Lazy(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(False)
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, g_a, g_b):
            ctx.seen = (g_a, g_b)
            total = 0
            if g_a is not None:
                total = total + g_a * 2
            if g_b is not None:
                total = total + g_b * 3
            return total

    class Exp(Function):      # saves its output
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, g):
            y, = ctx.saved_tensors
            return g * y

    class Scale(Function):    # the setup_context form
        @staticmethod
        def forward(x, k=2.0):
            return x * k

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.k = inputs[1]

        @staticmethod
        def backward(ctx, g):
            return g * ctx.k, None

    return dict(Cube=Cube, Multi=Multi, Double=Double, WithIndex=WithIndex, Lazy=Lazy, Exp=Exp, Scale=Scale)


def x_(m, values=(1., 2.), dtype=None):
    return m.tensor(list(values), dtype=dtype or m.float64, requires_grad=True)


@scenario
def double_and_triple_backward(m):
    Cube = functions(m)["Cube"]
    x = x_(m)
    y = Cube.apply(x)
    g, = m.autograd.grad(y.sum(), x, create_graph=True)
    gg, = m.autograd.grad(g.sum(), x, create_graph=True)
    ggg, = m.autograd.grad(gg.sum(), x)
    node = y.grad_fn
    return [y, node.name(), type(node).__name__, g, gg, ggg, node.needs_input_grad, len(node.next_functions),
            repr(y).startswith("tensor([1., 8.]"), str(y).endswith("grad_fn=<CubeBackward>)")]


@scenario
def multiple_outputs_and_non_tensor_args(m):
    Multi = functions(m)["Multi"]
    x, y = x_(m), x_(m, (3., 4.))
    a, n, b = Multi.apply(x, 7, y)
    (a * b).sum().backward()
    return [a, n, b, x.grad, y.grad, a.grad_fn is b.grad_fn, a.grad_fn.n, a.grad_fn.needs_input_grad,
            b.grad_fn.next_functions[0][0].variable is x]


@scenario
def in_place_forward_with_mark_dirty(m):
    Double = functions(m)["Double"]
    x = x_(m)
    out = [raised(lambda: Double.apply(x))]            # a leaf that requires grad
    a = x * 1
    b = Double.apply(a)
    out += [b is a, a._version, a.grad_fn.name()]
    (b * b).sum().backward()
    out.append(x.grad)
    c = m.ones(2)
    d = Double.apply(c)
    out += [d is c, c._version, d.requires_grad]
    return out


@scenario
def mark_dirty_on_a_view(m):
    Double = functions(m)["Double"]
    x = x_(m, (1., 2., 3., 4.))
    out = [raised(lambda: Double.apply(x.view(2, 2)))]   # a view of a leaf that requires grad
    base = x * 1
    view = base.view(2, 2)
    Double.apply(view)
    out += [base._version, view._version]
    (base * m.tensor([1., 10., 100., 1000.], dtype=m.float64)).sum().backward()
    out.append(x.grad)
    return out


@scenario
def non_differentiable_outputs(m):
    WithIndex = functions(m)["WithIndex"]
    x = x_(m)
    scaled, tripled, count = WithIndex.apply(x)
    scaled.sum().backward()
    return [scaled.requires_grad, tripled.requires_grad, count.requires_grad, tripled.grad_fn, x.grad,
            scaled.grad_fn.seen]


@scenario
def materialize_grads_false(m):
    Lazy = functions(m)["Lazy"]
    x = x_(m)
    a, b = Lazy.apply(x)
    a.sum().backward()
    return [x.grad, a.grad_fn.seen]


@scenario
def saved_output_and_double_backward(m):
    Exp = functions(m)["Exp"]
    x = x_(m)
    y = Exp.apply(x)
    g, = m.autograd.grad(y.sum(), x, create_graph=True)
    gg, = m.autograd.grad(g.sum(), x)
    y2 = Exp.apply(x)
    with m.no_grad():
        y2.add_(1)
    return [g, gg, raised(lambda: y2.sum().backward())]


@scenario
def setup_context_form(m):
    Scale = functions(m)["Scale"]
    x = x_(m)
    Scale.apply(x).sum().backward()
    first = x.grad.clone()
    x.grad = None
    y = Scale.apply(x, k=5.0)
    y.sum().backward()
    return [first, x.grad, y]


@scenario
def saved_tensors_freed_after_backward(m):
    Cube = functions(m)["Cube"]
    x = x_(m)
    y = Cube.apply(x)
    y.sum().backward()
    return [raised(lambda: y.sum().backward()), raised(lambda: y.grad_fn.saved_tensors)]


@scenario
def retain_graph_keeps_saved_tensors(m):
    Cube = functions(m)["Cube"]
    x = x_(m)
    y = Cube.apply(x)
    y.sum().backward(retain_graph=True)
    y.sum().backward()
    return [x.grad]


@scenario
def unused_saved_tensors_allow_a_second_pass(m):
    class Twice(m.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2
    x = x_(m)
    y = Twice.apply(x)
    y.sum().backward()
    y.sum().backward()
    return [x.grad, Twice.apply(x * 1).grad_fn.saved_tensors[0].grad_fn.name()]


@scenario
def modified_input_is_detected(m):
    Cube = functions(m)["Cube"]
    x = x_(m)
    a = x * 1
    y = Cube.apply(a)
    a.add_(1)
    return [raised(lambda: y.sum().backward())]


@scenario
def errors(m):
    Function = m.autograd.Function

    class WrongCount(Function):
        @staticmethod
        def forward(ctx, x, y):
            return x * y

        @staticmethod
        def backward(ctx, g):
            return g

    class WrongShape(Function):
        @staticmethod
        def forward(ctx, n, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return None, m.ones(3)

    class GradForNonTensor(Function):
        @staticmethod
        def forward(ctx, x, n):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g, g

    class ReturnsFloat(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return 1.0

    class ReturnsList(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return [g]

    class NoBackward(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

    class NoForward(Function):
        pass

    class SavesInt(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x, 3)
            return x

    class DirtyNotReturned(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.mark_dirty(x)
            return x * 2

    x = m.tensor([1., 2.], requires_grad=True)
    out = [raised(lambda f=f, args=args: f.apply(*args).sum().backward())
           for f, args in ((WrongCount, (x, x)), (WrongShape, (3, x)), (GradForNonTensor, (x, 3)),
                           (ReturnsFloat, (x,)), (ReturnsList, (x,)), (NoBackward, (x,)))]
    out += [raised(lambda: NoForward.apply(x)), raised(lambda: SavesInt.apply(x)),
            raised(lambda: DirtyNotReturned.apply(x * 1)), raised(lambda: NoBackward()(x))]
    return out


@scenario
def lenient_returned_grads(m):
    Function = m.autograd.Function

    class ExtraNones(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g, None, None

    class Broadcast(Function):    # a broadcastable grad is summed; a wider dtype is cast
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return m.ones(3, 2, dtype=m.float64)
    x = m.tensor([1., 2.], requires_grad=True)
    ExtraNones.apply(x).sum().backward()
    first = x.grad
    x.grad = None
    Broadcast.apply(x).sum().backward()
    return [first, x.grad]


@scenario
def once_differentiable(m):
    once = submodule(m, "autograd.function").once_differentiable

    class Square(m.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 2

        @staticmethod
        @once
        def backward(ctx, g):
            x, = ctx.saved_tensors
            return 2 * x * g
    x = x_(m)
    g, = m.autograd.grad(Square.apply(x).sum(), x, create_graph=True)
    g2, = m.autograd.grad(Square.apply(x), x, m.ones(2, dtype=m.float64, requires_grad=True), create_graph=True)
    return [g, g2.requires_grad, raised(lambda: g2.sum().backward())]


@scenario
def grad_mode_inside_forward_and_backward(m):
    seen = []

    class Probe(m.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            seen.append(("forward", m.is_grad_enabled()))
            return x * 2

        @staticmethod
        def backward(ctx, g):
            seen.append(("backward", m.is_grad_enabled(), isinstance(g, m.Tensor), g.requires_grad))
            return g * 2
    x = x_(m)
    Probe.apply(x).sum().backward()
    m.autograd.grad(Probe.apply(x).sum(), x, create_graph=True)
    with m.no_grad():
        y = Probe.apply(x)
    z = Probe.apply(m.ones(2))
    return [seen, y.requires_grad, z.requires_grad, z.grad_fn]


@scenario
def returning_an_input(m):
    class Identity(m.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, g):
            return g * 3
    x = x_(m)
    y = Identity.apply(x)
    y.sum().backward()
    return [y is x, y._base is x, x.grad, y.requires_grad, y.grad_fn.name()]


@scenario
def hooks_on_function_nodes(m):
    log = []
    Cube = functions(m)["Cube"]
    x = x_(m)
    y = Cube.apply(x)
    y.grad_fn.register_hook(lambda gi, go: log.append(("post", [g.tolist() for g in gi], [g.tolist() for g in go])))
    y.grad_fn.register_prehook(lambda go: log.append(("pre", [g.tolist() for g in go])))
    y.register_hook(lambda g: log.append(("y", g.tolist())))
    y.retain_grad()
    (y * 2).sum().backward()
    return [log, y.grad]


@scenario
def vjp_instead_of_backward(m):
    class ByVjp(m.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def vjp(ctx, g):
            return g * 2

    class Both(ByVjp):
        @staticmethod
        def backward(ctx, g):
            return g
    x = x_(m)
    ByVjp.apply(x).sum().backward()
    return [x.grad, raised(lambda: Both.apply(x).sum().backward())]


# -- numtorch-specific checks ---------------------------------------------------------------

def test_gradcheck_and_gradgradcheck_of_user_functions():
    fns = functions(numtorch)
    x = numtorch.tensor([0.5, -1.2, 2.0], dtype=numtorch.float64, requires_grad=True)
    for name in ("Cube", "Exp"):
        assert numtorch.autograd.gradcheck(fns[name].apply, (x,))
        assert numtorch.autograd.gradgradcheck(fns[name].apply, (x,))
    y = numtorch.tensor([0.3, 0.7, -0.1], dtype=numtorch.float64, requires_grad=True)
    multi = lambda a, b: fns["Multi"].apply(a, 3, b)  # noqa: E731
    assert numtorch.autograd.gradcheck(multi, (x, y))
    assert numtorch.autograd.gradgradcheck(multi, (x, y))


def test_saved_tensors_of_a_function_are_freed():
    Cube = functions(numtorch)["Cube"]
    x = numtorch.tensor(np.arange(3.0), requires_grad=True)
    h = x * 2
    y = Cube.apply(h)
    ref = weakref.ref(h._data)
    del h
    gc.collect()
    assert ref() is not None
    y.sum().backward()
    gc.collect()
    assert ref() is None


def test_function_node_is_a_graph_node():
    Cube = functions(numtorch)["Cube"]
    y = Cube.apply(numtorch.tensor([1.0], requires_grad=True))
    assert isinstance(y.grad_fn, numtorch.autograd.graph.Node)
    assert isinstance(y.grad_fn, submodule(numtorch, "autograd.function").FunctionCtx)
    assert type(y.grad_fn)._forward_cls is Cube and Cube._backward_cls is type(y.grad_fn)


@scenario
def saving_an_input_that_is_also_returned(m):
    class PassThrough(m.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x

        @staticmethod
        def backward(ctx, g):
            x, = ctx.saved_tensors
            return g * x * x
    x = x_(m)
    y = PassThrough.apply(x)
    g, = m.autograd.grad((y * 3).sum(), x, create_graph=True)
    gg, = m.autograd.grad(g.sum(), x)
    return [g, gg, y.grad_fn.saved_tensors[0] is x]
