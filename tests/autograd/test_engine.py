"""The backward engine against torch: results, arguments, errors, accumulation, scale, memory."""
import gc
import warnings
import weakref

import numpy as np
import pytest

import numtorch
from tests.autograd._both import assert_same, raised, registry, warned

scenario, SCENARIOS = registry()


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda f: f.__name__)
def test_same_as_torch(scenario):
    assert_same(scenario)


def test_classic_example():
    x = numtorch.ones(2, 2, requires_grad=True)
    y = x + 2
    z = y * y * 3
    out = z.mean()
    out.backward()
    assert x.grad.tolist() == [[4.5, 4.5], [4.5, 4.5]]
    assert (y.grad_fn.name(), z.grad_fn.name(), out.grad_fn.name()) == ("AddBackward0", "MulBackward0",
                                                                        "MeanBackward0")
    assert out.item() == 27.0


@scenario
def classic(m):
    x = m.ones(2, 2, requires_grad=True)
    y = x + 2
    z = y * y * 3
    out = z.mean()
    out.backward()
    return [x.grad, y, z, out, y.is_leaf, x.is_leaf, x.grad_fn, y.grad_fn.next_functions[1]]


# -- errors ---------------------------------------------------------------------------------

@scenario
def error_no_grad_fn(m):
    x = m.ones(2)
    return [raised(lambda: (x * 2).sum().backward()), raised(lambda: m.autograd.grad((x * 2).sum(), x)),
            raised(lambda: m.autograd.backward([m.ones(1, requires_grad=True).sum(), x.sum()]))]


@scenario
def error_non_scalar(m):
    x = m.ones(2, requires_grad=True)
    return [raised(lambda: (x * 2).backward()), raised(lambda: m.autograd.grad(x * 2, x))]


@scenario
def error_second_backward(m):
    x = m.ones(2, requires_grad=True)
    y = (x * x).sum()
    y.backward()
    first = raised(y.backward)
    z = x.exp().sum()
    z.backward(retain_graph=True)
    z.backward()
    second = raised(z.backward)
    w = (x + 2).sum()   # nothing saved: torch allows another pass
    w.backward()
    w.backward()
    return [first, second, x.grad]


@scenario
def error_modified_saved_tensor(m):
    x = m.ones(2, 3, requires_grad=True)
    a = x * 1
    y = a * a
    a.mul_(2)
    out = [raised(lambda: y.sum().backward())]
    b = x.exp()          # saves its output
    b.add_(1)
    out.append(raised(lambda: b.sum().backward()))
    c = m.ones(3)        # a constant, saved as is
    z = x * c
    c.add_(1)
    out.append(raised(lambda: z.sum().backward()))
    s = (x * 1).sum()
    t = s * s
    with m.no_grad():
        s.mul_(2)
    out.append(raised(t.backward))
    return out


@scenario
def error_unused_input(m):
    x, w = m.ones(2, requires_grad=True), m.ones(2, requires_grad=True)
    y = (x * 2).sum()
    return [raised(lambda: m.autograd.grad(y, [x, w], retain_graph=True)),
            raised(lambda: m.autograd.grad(y, w, retain_graph=True)),
            m.autograd.grad(y, [x, w], allow_unused=True, retain_graph=True),
            m.autograd.grad(y, [x, w], materialize_grads=True, retain_graph=True),
            m.autograd.grad(y, [x, w], materialize_grads=True, create_graph=True),
            raised(lambda: m.autograd.grad(y, [x, w], materialize_grads=True, allow_unused=False))]


@scenario
def error_input_not_requiring_grad(m):
    x, c = m.tensor([1., 2.], requires_grad=True), m.tensor([1., 2.])
    return [raised(lambda: m.autograd.grad((x * c).sum(), [c]))]


@scenario
def error_grad_outputs(m):
    x = m.tensor([1., 2.], requires_grad=True)
    y = x * x
    return [raised(lambda: m.autograd.grad(y, x, grad_outputs=m.tensor([1., 10., 3.]), retain_graph=True)),
            raised(lambda: m.autograd.grad([x * 2, x * 3], x, [m.ones(2)])),
            raised(lambda: m.autograd.grad(y, x, grad_outputs=[2.0], retain_graph=True)),
            raised(lambda: m.autograd.grad(y, [])),
            raised(lambda: y.sum().backward(inputs=[]))]


@scenario
def error_requires_grad_flags(m):
    x = m.tensor([1., 2.], requires_grad=True)
    y = x * 2
    return [raised(lambda: m.tensor([1, 2], requires_grad=True)), raised(lambda: m.tensor([1, 2]).requires_grad_()),
            raised(lambda: y.requires_grad_(False)), y.requires_grad_(True) is y]


# -- arguments ------------------------------------------------------------------------------

@scenario
def grad_of_grad_of_grad(m):
    x = m.tensor([1., 2.], requires_grad=True)
    y = (x ** 3 + x.sin() * x).sum()
    g, = m.autograd.grad(y, x, create_graph=True)
    g2, = m.autograd.grad(g.sum(), x, create_graph=True)
    g3, = m.autograd.grad(g2.sum(), x)
    return [g, g2, g3]


@scenario
def backward_create_graph(m):
    x = m.tensor([1., 2.], requires_grad=True)
    (x ** 3).sum().backward(create_graph=True)
    first = x.grad
    (x ** 2).sum().backward(create_graph=True)   # accumulates out of place, with history
    second = x.grad
    x.grad = None
    first.sum().backward()
    return [first, second, x.grad]


@scenario
def inputs_argument(m):
    x, w = m.tensor([1., 2.], requires_grad=True), m.tensor([3., 4.], requires_grad=True)
    y = (x * w).sum()
    y.backward(inputs=[x], retain_graph=True)
    out = [x.grad, w.grad]
    y.backward(inputs=w)
    out += [x.grad, w.grad]
    h = x * 2
    (h * w).sum().backward(inputs=[h])   # a non-leaf input gets a .grad
    out.append(h.grad)
    out.append(m.autograd.grad((x * w).sum(), {"a": x, "b": w}))
    return out


@scenario
def repeated_and_nonleaf_inputs(m):
    x = m.tensor([1., 2.], requires_grad=True)
    y = x * 2
    z = y * y
    return [m.autograd.grad(z.sum(), [y, x, y]), m.autograd.grad((y * y).sum(), [y])]


@scenario
def grad_outputs_argument(m):
    x = m.tensor([1., 2.], requires_grad=True)
    y = x * x
    out = [m.autograd.grad(y, x, grad_outputs=m.tensor([1., 10.]), retain_graph=True)]
    y.backward(m.tensor([2., 3.]))
    out.append(x.grad)
    a, b = x * 2, x * 3
    out.append(m.autograd.grad([a, b], x, [m.ones(2), m.ones(2) * 2]))
    out.append(m.autograd.grad([x.sum(), (x * 3).sum()], x, [None, m.tensor(2.)]))
    return out


@scenario
def retain_graph_default_follows_create_graph(m):
    x = m.tensor([1., 2.], requires_grad=True)
    y = x.exp().sum()
    m.autograd.grad(y, x, create_graph=True)
    again = m.autograd.grad(y, x)      # the graph was retained
    return [again, raised(lambda: m.autograd.grad(y, x))]


@scenario
def accumulation_across_calls(m):
    x = m.tensor([1., 2., 3.], requires_grad=True)
    (x * x).sum().backward()
    first = x.grad.clone()
    grad_obj = x.grad
    (x * x * x).sum().backward()
    out = [first, x.grad, x.grad is grad_obj]
    x.grad = None
    (x * 2).sum().backward()
    out.append(x.grad)
    x.grad.zero_()
    (x * 3).sum().backward()
    out.append(x.grad)
    return out


@scenario
def grad_does_not_touch_dot_grad(m):
    x = m.tensor([1., 2.], requires_grad=True)
    g = m.autograd.grad((x * x).sum(), x)
    return [g, x.grad]


@scenario
def grad_under_no_grad(m):
    x = m.tensor([1., 2.], requires_grad=True)
    y = (x * x).sum()
    with m.no_grad():
        g, = m.autograd.grad(y, x, create_graph=True)
    return [g]


@scenario
def only_needed_nodes_run(m):
    x, w = m.tensor([1., 2.], requires_grad=True), m.tensor([3., 4.], requires_grad=True)
    a = x * w
    return [m.autograd.grad(a.exp().sum(), [a]), x.grad, w.grad]


@scenario
def gradient_penalty(m):
    rng = np.random.default_rng(0)
    W = m.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    x = m.tensor(rng.standard_normal((5, 3)), requires_grad=True)
    out = (x.unsqueeze(2) * W.unsqueeze(0)).sum(1).tanh().sum()
    g, = m.autograd.grad(out, x, create_graph=True)
    penalty = ((g * g).sum(1).sqrt() - 1) ** 2
    (out + penalty.mean()).backward()
    return [W.grad, x.grad, out]


@scenario
def broadcasting_and_dtypes(m):
    x = m.tensor([[1.], [2.]], requires_grad=True)
    w = m.tensor([1., 2., 3.], dtype=m.float64, requires_grad=True)
    y = (x * w + x / w).sum()
    y.backward()
    s = m.tensor(3., requires_grad=True)
    (s * m.ones(2, 2)).sum().backward()
    e = m.ones(0, 3, requires_grad=True)
    (e * 2).sum().backward()
    return [x.grad, w.grad, y, s.grad, e.grad]


@scenario
def non_leaf_grad_warning(m):
    x = m.tensor([1., 2.], requires_grad=True)
    value, caught = warned(lambda: (x * 2).grad)
    return [value, [(c, msg.split(" (Triggered internally")[0]) for c, msg in caught]]


@scenario
def detach_shares_version(m):
    x = m.tensor([1., 2.], requires_grad=True)
    y = x * 2
    d = y.detach()
    d.add_(1)
    return [d.requires_grad, d.grad_fn, y._version, y]


# -- scale and memory -----------------------------------------------------------------------

def test_no_numpy_warnings_in_backward():
    x = numtorch.tensor([0.0, 1.0], requires_grad=True)
    y = x.sqrt()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y.sum().backward()
    assert np.isinf(x.grad._data[0])


def test_100k_op_chain_backward_and_teardown():
    x = numtorch.ones(3, requires_grad=True)
    gc.disable()   # the cyclic GC is not what this tests; it only slows building 100k nodes
    try:
        y = x
        for _ in range(100_000):
            y = y * 1.0
    finally:
        gc.enable()
    y.sum().backward()
    assert x.grad.tolist() == [1.0, 1.0, 1.0]
    node = weakref.ref(y.grad_fn)
    del y                       # tearing the chain down must not recurse either
    gc.collect()
    assert node() is None


def test_deep_create_graph_chain():
    x = numtorch.tensor([0.5], requires_grad=True)
    y = x
    for _ in range(5000):
        y = y.sin()
    g, = numtorch.autograd.grad(y.sum(), x, create_graph=True)
    gg, = numtorch.autograd.grad(g.sum(), x)
    assert np.isfinite(gg._data).all()
    del g, gg, y


def test_saved_arrays_freed_after_backward():
    x = numtorch.tensor(np.arange(4.0), requires_grad=True)
    h = x.sin()
    z = h * h                 # saves h
    e = x.exp()               # saves its own output
    w = e.sum()
    ref_h, ref_e = weakref.ref(h._data), weakref.ref(e._data)
    del h, e
    gc.collect()
    assert ref_h() is not None and ref_e() is not None
    z.sum().backward()
    w.backward()
    gc.collect()
    assert ref_h() is None and ref_e() is None


def test_retain_graph_keeps_saved_arrays():
    x = numtorch.tensor(np.arange(4.0), requires_grad=True)
    h = x.sin()
    z = (h * h).sum()
    ref = weakref.ref(h._data)
    del h
    z.backward(retain_graph=True)
    gc.collect()
    assert ref() is not None
    z.backward()
    gc.collect()
    assert ref() is None
    assert raised(z.backward)[1] == "RuntimeError"


def test_float_of_a_tensor_requiring_grad_warns_like_torch():
    import warnings
    import numtorch
    import torch
    for mod in (numtorch, torch):
        x = mod.tensor([1.5], requires_grad=True)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            assert float(x) == 1.5
            int(x), x.item()   # these stay silent in torch 2.13
        messages = [str(w.message) for w in caught]
        assert len(messages) == 1 and messages[0].startswith(
            "Converting a tensor with requires_grad=True to a scalar may lead to unexpected behavior."), mod


def test_zero_dim_leaf_used_twice_accumulates():
    import numtorch
    import torch
    grads = []
    for mod in (numtorch, torch):
        s = mod.tensor(0.5, requires_grad=True)
        (s * s + s.exp() * s).backward()
        grads.append(float(s.grad))
    assert grads[0] == grads[1]
