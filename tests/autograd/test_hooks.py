"""Tensor and Node hooks against torch: what each sees, what replacing a grad does, firing order."""
import pytest

from tests.autograd._both import assert_same, raised, registry

scenario, SCENARIOS = registry()


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda f: f.__name__)
def test_same_as_torch(scenario):
    assert_same(scenario)


def _values(gs):
    return [None if g is None else g.tolist() for g in gs]


@scenario
def firing_order_one_node(m):
    log = []
    x = m.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    z = y * y
    y.retain_grad()
    y.register_hook(lambda g: log.append(("y hook 1", g.tolist())) or g * 10)
    y.register_hook(lambda g: log.append(("y hook 2", g.tolist())))
    y.grad_fn.register_prehook(lambda gs: log.append(("y node pre", _values(gs))))
    y.grad_fn.register_hook(lambda gi, go: log.append(("y node post", _values(gi), _values(go))))
    x.register_hook(lambda g: log.append(("x hook", g.tolist())))
    x.register_post_accumulate_grad_hook(lambda t: log.append(("x post accumulate", t.grad.tolist())))
    z.sum().backward()
    return [log, y.grad, x.grad]


@scenario
def firing_order_across_nodes(m):
    log = []
    x = m.tensor([1.0, 2.0], requires_grad=True)
    a = x * 2
    b, c = a.exp(), a.sin()
    for name, t in (("a", a), ("b", b), ("c", c)):
        t.grad_fn.register_prehook(lambda gs, name=name: log.append("pre " + name))
        t.grad_fn.register_hook(lambda gi, go, name=name: log.append("post " + name))
        t.register_hook(lambda g, name=name: log.append("hook " + name))
    (b + c).sum().backward()
    return log


@scenario
def node_prehook_replaces_grad_after_tensor_hook(m):
    x = m.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    y.retain_grad()
    y.grad_fn.register_prehook(lambda gs: (gs[0] * 2,))
    y.register_hook(lambda g: g + 1)
    (y * y).sum().backward()
    return [y.grad, x.grad]


@scenario
def node_posthook_replaces_grad_inputs(m):
    x = m.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.grad_fn.register_hook(lambda gi, go: tuple(None if g is None else g * 0 + 7 for g in gi))
    y.sum().backward()
    return [x.grad]


@scenario
def leaf_hook_replace_and_remove(m):
    log = []
    x = m.tensor([1.0, 2.0], requires_grad=True)
    handle = x.register_hook(lambda g: log.append("h") or g * 2)
    (x * x).sum().backward()
    log.append(x.grad.tolist())
    handle.remove()
    (x * x).sum().backward()
    log.append(x.grad.tolist())
    with x.register_hook(lambda g: g * 0):   # a handle is a context manager that removes the hook
        (x * x).sum().backward()
    (x * x).sum().backward()
    log.append(x.grad.tolist())
    return log


@scenario
def non_leaf_hook_and_autograd_grad(m):
    x = m.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1
    plain, = m.autograd.grad((y * y).sum(), y)
    y.register_hook(lambda g: g * 100)
    hooked, = m.autograd.grad((y * y).sum(), y)    # the captured grad is after the tensor hook
    through, = m.autograd.grad((y * y).sum(), x)
    return [plain, hooked, through]


@scenario
def leaf_hooks_see_summed_grad(m):
    log = []
    x = m.tensor([1.0, 2.0], requires_grad=True)
    x.register_hook(lambda g: log.append(g.tolist()))
    (x * x + x * 3).sum().backward()
    y = x * 1
    y.register_hook(lambda g: log.append(("y", g.tolist())))
    (y * y + y).sum().backward()
    return log


@scenario
def retain_grad_flags(m):
    x = m.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    out = [y.retains_grad]
    y.retain_grad()
    y.retain_grad()
    out += [y.retains_grad, x.retains_grad]
    x.retain_grad()
    out.append(x.retains_grad)
    (y * y).sum().backward(retain_graph=True)
    out.append(y.grad)
    (y * y).sum().backward()
    out += [y.grad, y.is_leaf, x.grad]
    return out


@scenario
def post_accumulate_grad_hook(m):
    log = []
    x = m.tensor([1.0, 2.0], requires_grad=True)
    x.register_post_accumulate_grad_hook(lambda t: log.append(("post", t.grad.tolist())))
    x.register_hook(lambda g: log.append(("pre", g.tolist())))
    ((x * 2) + (x * 3)).sum().backward()
    m.autograd.grad((x * x).sum(), x)     # grad() runs tensor hooks but accumulates nothing
    log.append("after grad")
    (x * x).sum().backward(inputs=[x])
    return log


@scenario
def accumulate_grad_node_hooks(m):
    log = []
    x = m.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    acc = y.grad_fn.next_functions[0][0]
    log += [type(acc).__name__, acc.name(), acc.variable is x]
    acc.register_prehook(lambda gs: log.append(("acc pre", _values(gs))))
    acc.register_hook(lambda gi, go: log.append(("acc post", _values(gi), _values(go))))
    y.sum().backward()
    return log


@scenario
def hooks_during_create_graph(m):
    x = m.tensor([1.0, 2.0], requires_grad=True)
    y = x * x
    y.register_hook(lambda g: g * 3)
    g, = m.autograd.grad(y.sum(), x, create_graph=True)
    gg, = m.autograd.grad(g.sum(), x)
    return [g, gg]


@scenario
def hook_errors(m):
    x = m.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    out = [raised(lambda: m.tensor([1.0]).register_hook(lambda g: g)),
           raised(lambda: y.register_post_accumulate_grad_hook(lambda t: None)),
           raised(lambda: m.tensor([1.0]).retain_grad()),
           raised(lambda: m.tensor([1.0]).register_post_accumulate_grad_hook(lambda t: None))]
    y.register_hook(lambda g: 3.0)
    out.append(raised(lambda: y.sum().backward()))
    return out


@scenario
def retained_grad_with_create_graph(m):
    x = m.tensor([1., 2.], requires_grad=True)
    y = x * 2
    y.retain_grad()
    (y ** 3).sum().backward(create_graph=True)
    first = (y.grad, x.grad)
    (y ** 3).sum().backward(create_graph=True)
    h = x * 3
    (h ** 2).sum().backward(inputs=[h], create_graph=True)
    return [first, y.grad, x.grad, h.grad]
