"""draw_graph: the DOT text names torch's grad_fn nodes, saved shapes and module parameter names."""
import re
import shutil
import sys

import numpy as np
import pytest
import torch

import numtorch
from numtorch.viz import DotGraph, MissingExtra, draw_graph
from numtorch.viz._optional import available


def labels(dot: str) -> list:
    return re.findall(r'label="([^"]*)"', dot)


def node_names(dot: str) -> set:
    return {label.split("\\n")[0] for label in labels(dot)}


def torch_names(t) -> set:
    """The grad_fn names reachable in torch's own graph (AccumulateGrad stands for a leaf, drawn as the leaf)."""
    seen, stack = set(), [t.grad_fn]
    while stack:
        fn = stack.pop()
        if fn is None or fn in seen:
            continue
        seen.add(fn)
        stack += [f for f, _ in fn.next_functions]
    return {fn.name() for fn in seen} - {"torch::autograd::AccumulateGrad", "AccumulateGrad"}


def expression(x, w, b):
    return ((x @ w + b).tanh() * x.sum()).pow(2).mean()


def test_nodes_match_torchs_grad_fn_names():
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s) for s in [(4, 3), (3, 2), (2,)]]
    ours = [numtorch.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    dot = draw_graph(expression(*ours), {"x": ours[0], "w": ours[1], "b": ours[2]})
    assert isinstance(dot, DotGraph) and isinstance(dot, str) and dot.source == str(dot)
    assert dot.startswith("digraph autograd {") and dot.rstrip().endswith("}")
    assert node_names(dot) - {"x", "w", "b", "output"} == torch_names(expression(*theirs))
    found = labels(dot)
    assert "w\\n(3, 2) float64" in found and "b\\n(2,) float64" in found and "output\\n() float64" in found
    assert any(label.startswith("TanhBackward0\\nsaved: (4, 2) float64 (output)") for label in found)
    assert any(label.startswith("MmBackward0\\nsaved: (4, 3) float64\\nsaved: (3, 2) float64") for label in found)


def test_edges_run_from_inputs_to_the_op_that_used_them():
    a = numtorch.tensor([1.0, 2.0], requires_grad=True)
    dot = draw_graph((a * a).sum(), {"a": a}, show_saved=False)
    assert "saved" not in dot and "saved" in draw_graph((a * a).sum())
    ids = {label.split("\\n")[0]: node for node, label in re.findall(r'(n\d+) \[label="([^"]*)"', dot)}
    edges = sorted(re.findall(r"(n\d+) -> (n\d+);", dot))
    assert edges == sorted([(ids["a"], ids["MulBackward0"])] * 2 + [(ids["MulBackward0"], ids["SumBackward0"]),
                                                                     (ids["SumBackward0"], ids["output"])])


def test_leaves_take_a_modules_parameter_names():
    model = numtorch.nn.Sequential(numtorch.nn.Linear(3, 4), numtorch.nn.ReLU(), numtorch.nn.Linear(4, 1))
    loss = model(numtorch.randn(5, 3)).pow(2).mean()
    found = labels(draw_graph(loss, model))
    for name, p in model.named_parameters():
        assert f"{name}\\n({', '.join(map(str, p.shape))}{',' if p.dim() == 1 else ''}) float32" in found
    loss.backward()
    assert any(label.endswith("saved: freed") for label in labels(draw_graph(loss)))


def test_tensors_without_a_graph():
    assert "no grad_fn" in draw_graph(numtorch.ones(2))
    leaf = numtorch.ones(2, requires_grad=True)
    assert labels(draw_graph(leaf, {"weight": leaf})) == ["weight\\n(2,) float32"]
    with pytest.raises(TypeError, match="expects a Tensor"):
        draw_graph(np.ones(2))


def test_a_deep_graph_needs_no_recursion():
    x = numtorch.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(3000):
        y = y + 1
    assert draw_graph(y, show_saved=False).count("AddBackward0") == 3000


@pytest.mark.skipif(not (available("graphviz") and shutil.which("dot")),
                    reason="needs the graphviz package and Graphviz's dot (pip install graphviz; "
                           "apt-get install graphviz)")
def test_render_svg_and_png(tmp_path):
    x = numtorch.tensor([1.0, 2.0], requires_grad=True)
    dot = draw_graph((x.exp() * x).sum(), {"x": x})
    svg = dot.render(tmp_path / "g.svg")
    assert "<svg" in svg.read_text() and "ExpBackward0" in svg.read_text()
    assert dot.render(tmp_path / "g.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert dot.render(tmp_path / "g.dot").read_text() == dot
    assert "<svg" in dot._repr_svg_()


def test_rendering_without_graphviz_says_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "graphviz", None)
    dot = draw_graph(numtorch.ones(2, requires_grad=True).sum())
    with pytest.raises(MissingExtra, match="pip install graphviz"):
        dot.render(tmp_path / "g.svg")
    assert dot._repr_svg_() is None
