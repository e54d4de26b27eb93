"""Pictures of optimization: lr schedules, paths on a 2-D loss surface, loss curves (matplotlib, optional).

Every function returns a matplotlib Figure, draws into `ax=` when given (to
compose panels) and saves to `path=` when given. Figures are made without
pyplot, so nothing here opens a window or touches pyplot's global state;
`fig.savefig(...)` works everywhere, and in a notebook `display(fig)` shows it.
"""
from __future__ import annotations

import copy
import math
import warnings
from collections.abc import Mapping

import numpy as np

import numtorch

from ._optional import require

__all__ = ["plot_lr", "plot_trajectories", "plot_losses", "lr_values"]


def _axes(ax, what: str, figsize=(8.0, 4.0)):
    """The axes to draw on: `ax`, or a new figure's only axes (with room on the right for the legend)."""
    if ax is not None:
        return ax.figure, ax
    figure = require("matplotlib.figure", what).Figure
    fig = figure(figsize=figsize)
    fig.subplots_adjust(left=0.11, right=0.74, bottom=0.12, top=0.9)  # fixed margins: a layout engine costs a redraw
    return fig, fig.add_subplot()


def _legend(ax) -> None:
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0)


def _finish(fig, path, title=None, ax=None):
    if title and ax is not None:
        ax.set_title(title, fontsize=10)
    if path is not None:
        fig.savefig(path, dpi=100)
    return fig


def _log_y(ax, values) -> None:
    """A log y axis; over many decades without minor ticks, which then cost more to draw than the lines."""
    from matplotlib.ticker import NullLocator
    ax.set_yscale("log")
    positive = [v for v in values if v > 0 and math.isfinite(v)]
    if positive and max(positive) > 1e3 * min(positive):
        ax.yaxis.set_minor_locator(NullLocator())


def lr_values(schedule, steps: int | None = None) -> list:
    """The lr at steps 0 .. steps-1, for each param group: a list of lists.

    `schedule` is an lr_scheduler (stepped on a deep copy, so the caller's
    optimizer and scheduler are untouched), a function step -> lr, or the
    recorded values themselves (one sequence, or one per param group; all of
    them when `steps` is None).
    """
    if steps is None and (callable(schedule) or hasattr(schedule, "get_last_lr")):
        raise TypeError("lr_values needs steps= for a scheduler or a function")
    if hasattr(schedule, "get_last_lr") and hasattr(schedule, "step"):
        sched = copy.deepcopy(schedule)
        out = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # stepping a scheduler without optimizer.step() warns, rightly, elsewhere
            for _ in range(steps):
                out.append([float(lr) for lr in sched.get_last_lr()])
                sched.step()
        return [list(col) for col in zip(*out)]
    if callable(schedule):
        return [[float(schedule(t)) for t in range(steps)]]
    values = list(schedule)
    if values and not np.ndim(values[0]):
        values = [values]
    return [[float(v) for v in group][:steps] for group in values]


def plot_lr(schedule, steps: int | None = None, *, ax=None, label: str | None = None, color=None, path=None,
            title: str | None = None, log: bool | None = None):
    """Plot a learning-rate schedule over `steps` steps (see lr_values for what `schedule` may be).

    `log` puts the lr axis on a log scale; by default it does so when the
    values span more than a factor of 100 (warmups, long decays).
    """
    groups = lr_values(schedule, steps)
    fig, ax = _axes(ax, "plot_lr")
    for i, values in enumerate(groups):
        name = label if len(groups) == 1 else f"{label or 'group'} {i}"
        ax.plot(range(len(values)), values, label=name, color=color, linewidth=1.5)
    values = [v for line in ax.get_lines() for v in line.get_ydata()]
    positive = [v for v in values if v > 0]
    if log if log is not None else (positive and max(positive) > 100 * min(positive)):
        _log_y(ax, values)
    ax.set_xlabel("step")
    ax.set_ylabel("learning rate")
    if label or len(groups) > 1:
        _legend(ax)
    return _finish(fig, path, title, ax)


def _surface(fn, bounds, resolution: int):
    """fn evaluated on a grid; fn(x, y) is called with numtorch tensors so functions written with numtorch ops work."""
    (x0, x1), (y0, y1) = bounds
    xs, ys = np.meshgrid(np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution))
    with numtorch.no_grad():
        z = fn(numtorch.tensor(xs), numtorch.tensor(ys))
    z = z.numpy() if hasattr(z, "numpy") else np.asarray(z)
    return xs, ys, np.broadcast_to(z, xs.shape).astype(np.float64)


def _bounds(trajectories: list, pad: float = 0.15):
    pts = np.concatenate([np.zeros((0, 2))] + [t for t in trajectories])
    pts = pts[np.isfinite(pts).all(axis=1)]
    if not len(pts):
        return (-1.0, 1.0), (-1.0, 1.0)
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    span = np.maximum(hi - lo, 1.0)
    return tuple((float(lo[i] - pad * span[i]), float(hi[i] + pad * span[i])) for i in range(2))


def _as_points(path) -> np.ndarray:
    return np.asarray([[float(v) for v in p] for p in path], dtype=np.float64).reshape(-1, 2)


def plot_trajectories(fn, trajectories, *, bounds=None, minima=(), ax=None, path=None, title: str | None = None,
                      colors: Mapping | None = None, resolution: int = 160, levels: int = 30):
    """Paths of optimizers drawn over the contour plot of a 2-D function.

    Args:
        fn: f(x, y) -> values, written with numtorch ops or operators; it is
            evaluated on a grid of numtorch tensors.
        trajectories: {label: points}, each a sequence of (x, y) points, or
            one sequence of points.
        bounds: ((xmin, xmax), (ymin, ymax)); default: around the paths.
        minima: (x, y) points to mark with a star.
        colors: {label: matplotlib color}, to keep an optimizer's color the
            same across figures.
    The contours are drawn on a log scale of f - min f, where the shape of a
    valley shows; paths that leave the window are clipped at its edge.
    """
    if not isinstance(trajectories, Mapping):
        trajectories = {"": trajectories}
    paths = {label: _as_points(p) for label, p in trajectories.items()}
    bounds = bounds or _bounds(list(paths.values()))
    fig, ax = _axes(ax, "plot_trajectories", figsize=(8.0, 5.0))
    xs, ys, z = _surface(fn, bounds, resolution)
    shifted = z - np.nanmin(z)
    floor = max(float(np.nanquantile(shifted, 0.002)), 1e-12)
    logz = np.log10(shifted + floor)
    ax.contourf(xs, ys, logz, levels=levels, cmap="viridis", alpha=0.85)
    ax.contour(xs, ys, logz, levels=levels, colors="white", linewidths=0.3, alpha=0.5)
    for label, pts in paths.items():
        color = (colors or {}).get(label)
        ax.plot(pts[:, 0], pts[:, 1], "-o", markersize=1.8, linewidth=1.3, color=color, label=label or None)
    starts = [pts[0] for pts in paths.values() if len(pts)]
    if starts:
        ax.plot(*starts[0], "o", color="black", markersize=7, markerfacecolor="white", label="start")
    for m in minima:
        ax.plot(*m, "*", color="white", markeredgecolor="black", markersize=13)
    ax.set_xlim(*bounds[0])
    ax.set_ylim(*bounds[1])
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    if any(paths):
        _legend(ax)
    return _finish(fig, path, title, ax)


def plot_losses(curves, *, ax=None, path=None, title: str | None = None, offset: float = 0.0, log: bool = True,
                colors: Mapping | None = None, xlabel: str = "step", ylabel: str | None = None):
    """Loss curves, one per label: {label: losses}.

    `offset` is subtracted first (a known minimum, so that a log scale shows
    how close each run got); non-finite values (a diverged run) are dropped.
    """
    if not isinstance(curves, Mapping):
        curves = {"": curves}
    fig, ax = _axes(ax, "plot_losses")
    drawn = []
    for label, values in curves.items():
        v = np.asarray([float(x) for x in values], dtype=np.float64) - offset
        steps = np.arange(len(v))
        keep = np.isfinite(v)
        if log:
            v = np.maximum(v, 1e-16)
        ax.plot(steps[keep], v[keep], label=label or None, color=(colors or {}).get(label), linewidth=1.4)
        drawn += list(v[keep])
    if log:
        _log_y(ax, drawn)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel or ("loss" if offset == 0 else f"loss − ({offset:g})"))
    if any(curves):
        _legend(ax)
    return _finish(fig, path, title, ax)
