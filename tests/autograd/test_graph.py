"""torch.autograd.graph against torch: Node, GradientEdge and helpers; unsupported features raise."""
import pytest

import numtorch
from tests.autograd._both import assert_same, raised, registry, submodule

scenario, SCENARIOS = registry()


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda f: f.__name__)
def test_same_as_torch(scenario):
    assert_same(scenario)


@scenario
def node_api(m):
    x = m.ones(2, requires_grad=True)
    w = m.ones(2)
    y = x * w
    z = y.exp()
    node = z.grad_fn
    acc = y.grad_fn.next_functions[0][0]
    node.metadata["tag"] = 1
    return [node.name(), node.next_functions[0][0] is y.grad_fn, y.grad_fn.next_functions[1], acc.name(),
            acc.next_functions, node.metadata, z.grad_fn._sequence_nr() > y.grad_fn._sequence_nr(),
            isinstance(node, submodule(m, "autograd.graph").Node)]


@scenario
def graph_helpers(m):
    graph = submodule(m, "autograd.graph")
    x = m.ones(2, requires_grad=True)
    y = x * 2
    edge = graph.get_gradient_edge(y)
    leaf_edge = graph.get_gradient_edge(x)
    v0 = y._version
    graph.increment_version(y)
    return [edge.node is y.grad_fn, edge.output_nr, leaf_edge.node.name(), leaf_edge.output_nr,
            type(edge).__name__, y._version - v0, isinstance(y.grad_fn, graph.Node),
            raised(lambda: graph.get_gradient_edge(m.ones(2))), y.grad_fn.metadata,
            y.grad_fn._sequence_nr() > x.exp().grad_fn._sequence_nr() - 10 ** 9]


def test_unsupported_graph_features_raise():
    graph = numtorch.autograd.graph
    with pytest.raises(NotImplementedError, match="saved_tensors_hooks"):
        graph.saved_tensors_hooks(lambda t: t, lambda t: t)
    with pytest.raises(NotImplementedError, match="register_multi_grad_hook"):
        graph.register_multi_grad_hook([numtorch.ones(1, requires_grad=True)], lambda gs: None)
    with graph.disable_saved_tensors_hooks("no hooks here"):
        with pytest.raises(RuntimeError, match="no hooks here"):
            graph.saved_tensors_hooks(lambda t: t, lambda t: t)
    x = numtorch.ones(2, requires_grad=True)
    with graph.save_on_cpu():
        y = (x * x).sum()
    y.backward()
    assert x.grad.tolist() == [2.0, 2.0]


@scenario
def gradient_edges_as_inputs(m):
    graph = submodule(m, "autograd.graph")
    x = m.tensor([1., 2.], requires_grad=True)
    h = x * 3
    y = (h * h).sum()
    by_edge = m.autograd.grad(y, [graph.get_gradient_edge(h), graph.get_gradient_edge(x)], retain_graph=True)
    by_tensor = m.autograd.grad(y, [h, x], retain_graph=True)
    y.backward(inputs=[graph.get_gradient_edge(x)])
    return [by_edge, by_tensor, x.grad]
