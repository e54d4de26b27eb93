"""The arena's output: a ranked table per task, and a report folder (index.html, results.json, plots/)."""
from __future__ import annotations

import datetime
import html
import json
import math
import pathlib

from numtorch.viz import MissingExtra, plot_losses, plot_lr, plot_trajectories
from numtorch.viz._optional import require

from .tasks import Surface

__all__ = ["ranked", "format_loss", "format_table", "table_rows", "write_report", "COLUMNS"]

COLUMNS = ("#", "optimizer", "lr", "final loss", "steps to target", "wall time")


def ranked(task_result) -> list:
    """The runs best first: lowest final loss as printed (4 digits), then fewest steps to the target; failures last.

    Comparing the printed value keeps the table readable: runs that reached
    the same minimum differ only in the last bits, and then speed decides.
    """
    def key(r):
        loss = float(_loss_text(r.score)) if math.isfinite(r.score) else math.inf
        return (loss, r.steps_to_target if r.steps_to_target is not None else math.inf, r.label)
    return sorted(task_result.runs, key=key)


def _loss_text(value: float) -> str:
    return f"{value:.4g}"


def format_loss(r) -> str:
    if r.error is not None:
        return "error"
    if r.diverged:
        return "diverged"
    return _loss_text(r.final_loss)


def table_rows(task_result, times: bool = True) -> list:
    """The table's cells, one list of strings per run (the wall time left out when `times` is False)."""
    rows = []
    for i, r in enumerate(ranked(task_result), 1):
        row = [str(i), r.label, f"{r.lr:g}", format_loss(r),
               "-" if r.steps_to_target is None else str(r.steps_to_target)]
        rows.append(row + [f"{r.wall_time:.2f} s"] if times else row)
    return rows


def _heading(task_result) -> str:
    task = task_result.task
    return (f"{task.title} ({task.kind}: {task.describe()}); {task_result.steps} steps, "
            f"target loss {task.target:g}")


def format_table(task_result) -> str:
    """A fixed-width table with its heading, and the errors of the optimizers that failed under it."""
    rows = table_rows(task_result)
    widths = [max(len(c) for c in col) for col in zip(COLUMNS, *rows)]
    right = {0, 2, 3, 4, 5}

    def line(cells):
        return "  ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths)))
    out = ["", _heading(task_result), line(COLUMNS), line(["-" * w for w in widths])]
    out += [line(row) for row in rows]
    out += [f"  {r.label}: {r.error}" for r in task_result.runs if r.error]
    return "\n".join(out)


# -- the report folder ---------------------------------------------------------------------------------------

def write_report(out, settings, entrants, results, skipped=()) -> tuple:
    """Write plots/, results.json and index.html; returns ({name: path}, what was skipped and why)."""
    out = pathlib.Path(out)
    (out / "plots").mkdir(parents=True, exist_ok=True)
    skipped = list(skipped)
    colors = _colors([e.label for e in entrants])
    try:
        plots = _plots(out, results, colors)
    except MissingExtra as e:
        plots = {}
        skipped.append(f"plots ({e})")
    written = {"index.html": out / "index.html", "results.json": out / "results.json"}
    written.update({name: out / rel for name, rel in plots.items()})
    (out / "results.json").write_text(json.dumps(_raw(settings, results), indent=1, allow_nan=False) + "\n")
    (out / "index.html").write_text(_html(settings, results, plots))
    return written, skipped


def _colors(labels: list) -> dict:
    """A fixed color per optimizer, so that it is the same line in every figure."""
    palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
               "#17becf", "#393b79", "#ad494a", "#637939", "#8c6d31", "#7b4173", "#3182bd"]
    return {label: palette[i % len(palette)] for i, label in enumerate(labels)}


def _plots(out: pathlib.Path, results: list, colors: dict) -> dict:
    """Draw every figure; returns {name: path relative to `out`}. Raises MissingExtra without matplotlib."""
    require("matplotlib", "drawing the plots")
    figures = {}

    def save(name: str, fig) -> None:
        figures[name] = f"plots/{name}.png"
        fig.savefig(out / figures[name], dpi=90)

    for res in results:
        task, ok = res.task, [r for r in res.runs if r.error is None]
        if isinstance(task, Surface):
            save(f"{task.key}_trajectories", plot_trajectories(
                task.fn, {r.label: r.points for r in ok}, bounds=task.bounds, minima=task.minima, colors=colors,
                title=f"{task.title}: {task.formula}"))
        save(f"{task.key}_loss", plot_losses({r.label: r.losses for r in ok}, offset=task.plot_offset, colors=colors,
                                             title=f"{task.title}: loss"))
        save(f"{task.key}_lr", _lr_figure(ok, colors, f"{task.title}: learning rate of each optimizer"))
    return figures


def _lr_figure(runs: list, colors: dict, title: str):
    """All optimizers' lr curves in one axes, each labelled with the lr its sweep picked."""
    fig = plot_lr([], title=title, log=True)
    for r in runs:
        plot_lr(r.lrs, ax=fig.axes[0], label=f"{r.label} ({r.lr:g})", color=colors.get(r.label), log=True)
    return fig


def _finite(v):
    return v if v is None or math.isfinite(v) else None


def _raw(settings, results) -> dict:
    """Every number behind the tables and plots; non-finite losses (divergence) become null."""
    return {
        "settings": {"seed": settings.seed, "schedule": settings.schedule, "quick": settings.quick,
                     "lr_factors": list(settings.factors)},
        "tasks": [{
            "key": res.task.key, "title": res.task.title, "kind": res.task.kind, "description": res.task.describe(),
            "steps": res.steps, "target": res.task.target,
            "ranking": [r.label for r in ranked(res)],
            "runs": [{
                "optimizer": r.label, "lr": r.lr, "final_loss": _finite(r.final_loss),
                "steps_to_target": r.steps_to_target, "wall_time_s": round(r.wall_time, 4), "evals": r.evals,
                "diverged": r.diverged, "error": r.error,
                "sweep": [{"lr": lr, "final_loss": _finite(v)} for lr, v in r.sweep],
                "losses": [_finite(v) for v in r.losses], "lrs": r.lrs,
                "trajectory": [list(p) for p in r.points] if r.points else None,
            } for r in res.runs],
        } for res in results],
    }


_CSS = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1200px; color: #222; padding: 0 1em; }
table { border-collapse: collapse; margin: 0.5em 0 1em; font-variant-numeric: tabular-nums; }
th, td { padding: 0.2em 0.8em; border-bottom: 1px solid #ddd; text-align: right; }
td:nth-child(2), th:nth-child(2) { text-align: left; }
tr:first-child td { font-weight: bold; }
.plots { display: flex; flex-wrap: wrap; gap: 1em; }
.plots img { max-width: 560px; width: 100%; border: 1px solid #eee; }
.note { background: #fff4e5; padding: 0.6em 1em; border-left: 4px solid #f0a020; }
.errors { color: #a00; }
"""


def _html(settings, results, plots: dict) -> str:
    esc = html.escape
    now = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             "<title>numtorch arena</title>", f"<style>{_CSS}</style></head><body>",
             "<h1>numtorch arena</h1>",
             f"<p>seed {settings.seed}, lr schedule: {esc(settings.schedule)}, lr sweep: the centre lr times "
             f"{', '.join(f'{f:g}' for f in settings.factors)}{' (quick)' if settings.quick else ''}. "
             f"Written {now}; the raw numbers are in <a href=\"results.json\">results.json</a>.</p>"]
    if not plots:
        parts.append('<p class="note">Plots were skipped: matplotlib is not installed '
                     "(<code>pip install 'numtorch[viz]'</code>, then run the arena again).</p>")
    parts.append("<ul>" + "".join(f'<li><a href="#{res.task.key}">{esc(res.task.title)}</a></li>' for res in results)
                 + "</ul>")
    for res in results:
        parts += _task_html(res, plots)
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _task_html(res, plots: dict) -> list:
    esc = html.escape
    head = "".join(f"<th>{esc(c)}</th>" for c in COLUMNS)
    body = "".join("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>" for row in table_rows(res))
    out = [f'<h2 id="{res.task.key}">{esc(res.task.title)}</h2>', f"<p>{esc(_heading(res))}</p>",
           f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"]
    errors = [f"<li>{esc(r.label)}: {esc(r.error)}</li>" for r in res.runs if r.error]
    if errors:
        out.append(f'<ul class="errors">{"".join(errors)}</ul>')
    names = [f"{res.task.key}_{kind}" for kind in ("trajectories", "loss", "lr")]
    images = [(plots[n], n) for n in names if n in plots]
    if images:
        out.append('<div class="plots">' + "".join(
            f'<img src="{esc(src)}" alt="{esc(name.replace("_", " "))}">' for src, name in images) + "</div>")
    return out
