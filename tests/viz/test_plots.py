"""plot_lr / plot_trajectories / plot_losses: the values drawn, the files saved, and the message without matplotlib."""
import math
import sys

import numpy as np
import pytest

import numtorch
from numtorch.cli.tasks import SURFACES
from numtorch.viz import MissingExtra, lr_values, plot_losses, plot_lr, plot_trajectories
from numtorch.viz._optional import available

PNG = b"\x89PNG\r\n\x1a\n"
needs_matplotlib = pytest.mark.skipif(not available("matplotlib"), reason="matplotlib is not installed")


def test_lr_values_of_a_scheduler_leave_it_untouched():
    p = numtorch.zeros(2, requires_grad=True)
    opt = numtorch.optim.SGD([{"params": [p]}, {"params": [numtorch.zeros(1, requires_grad=True)], "lr": 0.5}], lr=1.0)
    sched = numtorch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=10)
    values = lr_values(sched, 11)
    expected = [0.5 * (1 + math.cos(math.pi * t / 10)) for t in range(11)]
    assert values[0] == pytest.approx(expected) and values[1] == pytest.approx([v / 2 for v in expected])
    assert sched.last_epoch == 0 and [g["lr"] for g in opt.param_groups] == [1.0, 0.5]


def test_lr_values_of_a_function_and_of_recorded_values():
    assert lr_values(lambda t: 0.1 * 0.5 ** t, 3) == [[0.1, 0.05, 0.025]]
    assert lr_values([0.3, 0.2, 0.1], 2) == [[0.3, 0.2]]
    assert lr_values([[1, 2], [3, 4]], 5) == [[1.0, 2.0], [3.0, 4.0]]


@needs_matplotlib
def test_plot_lr_draws_every_group_and_saves(tmp_path):
    opt = numtorch.optim.SGD([numtorch.zeros(1, requires_grad=True)], lr=0.1)
    sched = numtorch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=20)
    fig = plot_lr(sched, 20, path=tmp_path / "lr.png", label="one-cycle")
    (line,) = fig.axes[0].get_lines()
    assert np.allclose(line.get_ydata(), lr_values(sched, 20)[0])
    assert (tmp_path / "lr.png").read_bytes()[:8] == PNG
    fig = plot_lr([0.1] * 5, label="a")
    plot_lr([1e-4] * 5, ax=fig.axes[0], label="b", log=True)
    assert len(fig.axes[0].get_lines()) == 2 and fig.axes[0].get_yscale() == "log"


@needs_matplotlib
def test_plot_trajectories_on_a_surface(tmp_path):
    rosenbrock = SURFACES[0]
    paths = {"a": [(-1.2, 1.0), (-1.0, 1.0), (0.0, 0.0)],
             "b": [numtorch.tensor([-1.2, 1.0]), numtorch.tensor([0.5, math.nan])]}
    fig = plot_trajectories(rosenbrock.fn, paths, bounds=rosenbrock.bounds, minima=rosenbrock.minima,
                            colors={"a": "red"}, path=tmp_path / "t.png", title="Rosenbrock")
    ax = fig.axes[0]
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert np.allclose(lines["a"].get_xydata(), paths["a"]) and lines["a"].get_color() == "red"
    assert ax.get_xlim() == rosenbrock.bounds[0] and ax.get_title() == "Rosenbrock"
    assert (tmp_path / "t.png").read_bytes()[:8] == PNG
    fig = plot_trajectories(lambda x, y: x ** 2 + y ** 2, [(1.0, 1.0), (0.5, 0.5)])  # bounds from the path
    lo, hi = fig.axes[0].get_xlim()
    assert lo < 0.5 and hi > 1.0


@needs_matplotlib
def test_plot_losses_offsets_and_drops_nonfinite():
    fig = plot_losses({"x": [1.5, 0.75, math.inf, 0.5]}, offset=0.5)
    (line,) = fig.axes[0].get_lines()
    assert list(line.get_xdata()) == [0, 1, 3] and np.allclose(line.get_ydata(), [1.0, 0.25, 1e-16])
    assert fig.axes[0].get_yscale() == "log"


def test_without_matplotlib_the_plots_say_what_to_install(monkeypatch):
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")] + ["matplotlib.figure"]:
        monkeypatch.setitem(sys.modules, name, None)
    for call in (lambda: plot_lr([0.1], 1), lambda: plot_losses([1.0]),
                 lambda: plot_trajectories(SURFACES[0].fn, [(0.0, 0.0)])):
        with pytest.raises(MissingExtra, match="needs matplotlib.*pip install matplotlib"):
            call()
