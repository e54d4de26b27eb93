"""draw_graph: the autograd graph behind a tensor, as Graphviz DOT text, rendered to SVG/PNG when Graphviz is there.

The graph is read from what autograd recorded, nothing is re-run: each
grad_fn Node (torch's name, e.g. ``MulBackward0``) with the shapes of the
tensors it saved for backward, the leaves it accumulates into (named after a
module's parameters when one is given), and the output. Edges follow the
data: from an input to the op that consumed it.
"""
from __future__ import annotations

import pathlib
from collections.abc import Mapping

from .._tensor import Tensor
from ..autograd.graph import Node
from ._optional import MissingExtra, require

__all__ = ["draw_graph", "DotGraph"]

_STYLE = {
    "op": 'shape=box, style="rounded,filled", fillcolor="#eeeeee"',
    "leaf": 'shape=box, style=filled, fillcolor="#cfe2f3"',
    "output": 'shape=box, style=filled, fillcolor="#d9ead3"',
    "plain": 'shape=box, style=dashed',
}


class DotGraph(str):
    """DOT source of a graph (it *is* the text); `pipe` and `render` draw it with Graphviz.

    Being a str keeps the common uses trivial (print it, paste it into any
    Graphviz viewer, compare it in a test) and needs nothing installed.
    """

    @property
    def source(self) -> str:
        return str(self)

    def pipe(self, format: str = "svg") -> bytes:
        """The drawing as bytes in `format` ('svg', 'png', 'pdf', ... anything `dot -T` knows)."""
        graphviz = require("graphviz", "drawing a graph as " + format)
        try:
            return graphviz.Source(str(self)).pipe(format=format)
        except graphviz.ExecutableNotFound:
            raise MissingExtra("drawing a graph needs Graphviz's `dot` program on PATH "
                               "(apt-get install graphviz, brew install graphviz, ...)") from None

    def render(self, path, format: str | None = None) -> pathlib.Path:
        """Write the drawing to `path`; the format defaults to the path's suffix (.svg, .png, or .dot for the text)."""
        path = pathlib.Path(path)
        format = format or path.suffix.lstrip(".").lower() or "svg"
        if format in ("dot", "gv"):
            path.write_text(str(self))
        else:
            path.write_bytes(self.pipe(format))
        return path

    def _repr_svg_(self):
        """Notebooks show the drawing when Graphviz is installed, else the text."""
        try:
            return self.pipe("svg").decode()
        except MissingExtra:
            return None


def draw_graph(tensor: Tensor, params=None, *, show_saved: bool = True) -> DotGraph:
    """The autograd graph that produced `tensor`, as DOT text (see DotGraph to render it).

    Args:
        tensor: the result of a computation (usually a loss).
        params: names for the leaves: a Module (its named_parameters), a
            dict name -> Tensor, or (name, Tensor) pairs. Unnamed leaves show
            their shape only.
        show_saved: list, in each op's box, the shapes and dtypes of the
            tensors it saved for backward ("freed" once a backward released them).
    """
    if not isinstance(tensor, Tensor):
        raise TypeError(f"draw_graph expects a Tensor, but got {type(tensor).__name__}")
    return DotGraph(_Builder(_leaf_names(params), show_saved).build(tensor))


def _leaf_names(params) -> dict:
    if params is None:
        return {}
    if hasattr(params, "named_parameters"):
        pairs = params.named_parameters()
    elif isinstance(params, Mapping):
        pairs = params.items()
    else:
        pairs = params
    return {id(t): name for name, t in pairs}


def _describe(t) -> str:
    """'(3, 4) float32' for a tensor or an array; the value for a saved Python number."""
    shape = getattr(t, "shape", None)
    if shape is None:
        return repr(t)
    dtype = str(getattr(t, "dtype", "")).replace("torch.", "")
    return f"({', '.join(map(str, shape))}{',' if len(shape) == 1 else ''}) {dtype}".rstrip()


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


class _Builder:
    """Walks the graph iteratively (graphs can be deeper than Python's recursion limit) and writes DOT lines."""

    def __init__(self, names: dict, show_saved: bool):
        self.names, self.show_saved = names, show_saved
        self.ids: dict = {}
        self.keep: list = []  # the objects behind self.ids, so that no id is reused while building
        self.lines: list = []

    def build(self, tensor: Tensor) -> str:
        self.lines = ["digraph autograd {", '  node [fontname="Helvetica", fontsize=11];']
        root = tensor.grad_fn
        if root is None:
            style = "leaf" if tensor.requires_grad else "plain"
            label = self._leaf_label(tensor) if tensor.requires_grad else f"tensor {_describe(tensor)}\nno grad_fn"
            self._node(tensor, label, style)
        else:
            self._walk(root)
            out = self._node(("output", id(tensor)), f"output\n{_describe(tensor)}", "output")
            self.lines.append(f"  {self.ids[id(root)]} -> {out};")
        self.lines.append("}")
        return "\n".join(self.lines) + "\n"

    def _node(self, obj, label: str, style: str) -> str:
        key = obj if isinstance(obj, tuple) else id(obj)
        if key not in self.ids:
            self.ids[key] = f"n{len(self.ids)}"
            self.keep.append(obj)
            self.lines.append(f"  {self.ids[key]} [label={_quote(label)}, {_STYLE[style]}];")
        return self.ids[key]

    def _walk(self, root: Node) -> None:
        stack, seen = [root], {id(root)}
        while stack:
            node = stack.pop()
            me = self._node(node, self._op_label(node), "op")
            for edge in getattr(node, "_next", ()):
                if edge is None:
                    continue
                src, output_nr = edge
                if isinstance(src, Node):
                    if id(src) not in seen:
                        seen.add(id(src))
                        stack.append(src)
                    source = self._node(src, self._op_label(src), "op")
                else:
                    source = self._node(src, self._leaf_label(src), "leaf")
                attr = f' [label="{output_nr}"]' if len(getattr(src, "_metas", ())) > 1 else ""  # which output
                self.lines.append(f"  {source} -> {me}{attr};")

    def _op_label(self, node: Node) -> str:
        if not self.show_saved:
            return node.name()
        saved = getattr(node, "_saved", ())
        if saved is None:
            return f"{node.name()}\nsaved: freed"
        versions = getattr(node, "_versions", ()) or (None,) * len(saved)
        shown = [_describe(s) + (" (output)" if getattr(s, "_saved_output", False) else "")
                 for s, v in zip(saved, versions) if v is not None or hasattr(s, "shape")]
        return "\n".join([node.name()] + [f"saved: {s}" for s in shown])

    def _leaf_label(self, t: Tensor) -> str:
        name = self.names.get(id(t))
        return f"{name}\n{_describe(t)}" if name else _describe(t)
