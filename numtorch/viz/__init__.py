"""numtorch.viz: pictures where people look rather than read.

- `draw_graph(tensor, params)`: the autograd graph behind a tensor, as DOT
  text; `.render("graph.svg")` draws it when Graphviz is installed.
- `plot_lr`, `plot_trajectories`, `plot_losses`: matplotlib figures of lr
  schedules, optimizer paths on a 2-D surface, and loss curves.

matplotlib and graphviz are optional (`pip install 'numtorch[viz]'`): this
package imports without them, and a function that needs one raises
`MissingExtra` (an ImportError) saying what to install.
"""
from ._optional import MissingExtra
from .graph import DotGraph, draw_graph
from .plots import lr_values, plot_losses, plot_lr, plot_trajectories

__all__ = ["draw_graph", "DotGraph", "plot_lr", "plot_trajectories", "plot_losses", "lr_values", "MissingExtra"]
