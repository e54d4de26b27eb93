"""`numtorch arena`: optimizers race on 2-D test functions and small networks, each at its own tuned lr.

For every task and optimizer, a short lr sweep (a few lrs around the
optimizer's usual one) picks the lr with the lowest final loss; the full
run at that lr is the optimizer's entry. Every run reseeds numtorch's
generator first, so all optimizers start from the same weights and data and
the same seed gives the same table.
"""
from __future__ import annotations

import argparse
import inspect
import math
import sys
import time
from dataclasses import dataclass, field

import numpy as np

import numtorch
from numtorch import optim

from . import report
from .check import LoadError, load_object
from .tasks import TASKS, Surface, task_key

__all__ = ["add_parser", "run", "Entrant", "RunResult", "TaskResult", "Settings", "default_entrants", "race_task"]

# (label, optimizer name, options, centre of the lr sweep)
DEFAULTS = (
    ("SGD", "SGD", {}, 1e-2),
    ("SGD+Nesterov", "SGD", {"momentum": 0.9, "nesterov": True}, 1e-3),
    ("Adam", "Adam", {}, 1e-2),
    ("AdamW", "AdamW", {}, 1e-2),
    ("RMSprop", "RMSprop", {}, 1e-2),
    ("Adagrad", "Adagrad", {}, 1e-1),
    ("Adadelta", "Adadelta", {}, 1.0),
    ("LBFGS", "LBFGS", {"max_iter": 1, "max_eval": 25, "history_size": 10, "line_search_fn": "strong_wolfe"}, 1.0),
    ("Lion", "Lion", {}, 1e-2),
    ("ScheduleFreeAdamW", "ScheduleFreeAdamW", {}, 1e-2),
)

# lr = centre * factor
QUICK_FACTORS = (0.1, 1.0, 10.0)
FACTORS = (0.1, 0.3, 1.0, 3.0, 10.0)
WIDE_FACTORS = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0)

SCHEDULES = ("none", "cosine", "onecycle")


@dataclass(frozen=True)
class Settings:
    steps_surface: int
    steps_net: int
    factors: tuple
    seed: int
    schedule: str
    quick: bool

    def steps(self, task) -> int:
        return self.steps_surface if isinstance(task, Surface) else self.steps_net

    @staticmethod
    def sweep_steps(steps: int) -> int:
        """The length of a sweep run: a quarter of the race, enough to tell a diverging lr from a slow one."""
        return min(steps, max(10, steps // 4))


@dataclass(frozen=True)
class Entrant:
    """One optimizer in the race: a class, its fixed options, and where its lr sweep is centred."""

    label: str
    cls: type
    options: dict
    lr: float
    closure: bool | None = None   # None: try without a closure first, as a user would

    def make(self, params: list, lr: float):
        return self.cls(params, lr=lr, **self.options)

    def lrs(self, factors) -> list:
        return [float(f"{self.lr * f:.3g}") for f in factors]


@dataclass
class RunResult:
    label: str
    lr: float
    losses: list = field(default_factory=list)   # loss before each step, then the final loss
    lrs: list = field(default_factory=list)      # group 0's lr at each step
    points: list = field(default_factory=list)   # 2-D tasks: (x, y) before each step, then the final point
    final_loss: float = math.nan
    steps_to_target: int | None = None
    wall_time: float = 0.0
    evals: int = 0                               # loss evaluations (LBFGS's line search takes several per step)
    diverged: bool = False
    error: str | None = None
    sweep: list = field(default_factory=list)    # (lr, final loss of the short run) tried before this run

    @property
    def score(self) -> float:
        """What the sweep minimizes: the final loss, a failed run counting as infinitely bad."""
        return self.final_loss if self.error is None and math.isfinite(self.final_loss) else math.inf


@dataclass
class TaskResult:
    task: object
    steps: int
    runs: list   # RunResult per entrant, in entrant order


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "arena", help="race optimizers on test functions and small networks, and write a report",
        description="Race optimizers (each at an lr picked by a short sweep) on classic 2-D test functions and "
                    "small neural networks; print a ranked table per task and write a report folder "
                    "(index.html, results.json, plots).")
    p.add_argument("--out", default="arena-report", metavar="DIR", help="report folder (default: ./arena-report)")
    p.add_argument("--steps", type=_positive, default=None, metavar="N",
                   help="steps per race (default: 400 on 2-D functions and 500 on networks; 150 with --quick)")
    p.add_argument("--seed", type=int, default=0, metavar="S", help="numtorch.manual_seed for every run (default 0)")
    p.add_argument("--schedule", choices=SCHEDULES, default="none",
                   help="lr schedule applied to every run (default: none, a constant lr)")
    p.add_argument("--quick", action="store_true", help="fewer steps, 3 lrs per sweep, smaller networks")
    p.add_argument("--sweep", action="store_true", help="a wider lr sweep: 9 lrs over 4 decades")
    p.add_argument("--optimizers", default="", metavar="A,B",
                   help="race these too: names from numtorch.optim / numtorch.optim.contrib, or MODULE:CLASS")
    p.add_argument("--only", default="", metavar="A,B", help="race only these optimizers")
    p.add_argument("--tasks", default="", metavar="A,B",
                   help="only these tasks: " + ", ".join(t.key for t in TASKS))
    p.set_defaults(run=run)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def run(args: argparse.Namespace) -> int:
    settings = Settings(
        steps_surface=args.steps or (150 if args.quick else 400), steps_net=args.steps or (150 if args.quick else 500),
        factors=WIDE_FACTORS if args.sweep else QUICK_FACTORS if args.quick else FACTORS,
        seed=args.seed, schedule=args.schedule, quick=args.quick)
    progress = Progress(sys.stdout)
    try:
        entrants = select_entrants(_names(args.only), _names(args.optimizers), progress.skipped)
        tasks = select_tasks(_names(args.tasks))
    except LoadError as e:
        print(f"numtorch arena: {e}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    results = []
    for task in tasks:
        results.append(race_task(task, entrants, settings, progress))
        print(report.format_table(results[-1]), flush=True)
    raced = time.perf_counter()
    written, skipped = report.write_report(args.out, settings, entrants, results, progress.skipped)
    print(f"\nReport: {written['index.html']}  ({len(written) - 2} plots; raw numbers in results.json)")
    for what in skipped:
        print(f"skipped: {what}")
    done = time.perf_counter()
    print(f"arena finished in {done - started:.1f} s (races {raced - started:.1f} s, report {done - raced:.1f} s)")
    return 0


def _names(text: str) -> list:
    return [n.strip() for n in text.split(",") if n.strip()]


# -- who races -----------------------------------------------------------------------------------------------

def resolve_optimizer(name: str) -> type:
    """An optimizer class by name (contrib's registry, else numtorch.optim), or MODULE:CLASS."""
    if ":" in name:
        return load_object(name)
    try:
        from numtorch.optim.contrib import get_optimizer
    except ImportError:
        get_optimizer = None
    if get_optimizer is not None:
        try:
            return get_optimizer(name)
        except KeyError as e:
            raise LoadError(e.args[0]) from None
    found = {task_key(n): getattr(optim, n) for n in optim.__all__}
    if task_key(name) not in found:
        raise LoadError(f"unknown optimizer {name!r}; available: {', '.join(sorted(optim.__all__))}")
    return found[task_key(name)]


def default_entrants(skipped: list | None = None) -> list:
    """The default field; an optimizer this installation lacks is left out and noted in `skipped`."""
    out = []
    for label, name, options, lr in DEFAULTS:
        try:
            out.append(Entrant(label, resolve_optimizer(name), options, lr, True if name == "LBFGS" else None))
        except LoadError as e:
            if skipped is not None:
                skipped.append(f"{label} ({e})")
    return out


def _extra_entrant(name: str) -> Entrant:
    cls = resolve_optimizer(name)
    try:
        lr = inspect.signature(cls).parameters["lr"].default
    except (KeyError, TypeError, ValueError):
        lr = None
    if not isinstance(lr, (int, float)) or isinstance(lr, bool) or lr <= 0:
        lr = 1e-2
    return Entrant(getattr(cls, "__name__", name), cls, {}, float(lr))


def select_entrants(only: list, extra: list, skipped: list | None = None) -> list:
    """The default field (or the `only` part of it) plus the `extra` optimizers, without repeats."""
    field_ = default_entrants(skipped)
    if only:
        by_key = {task_key(e.label): e for e in field_}
        field_ = [by_key.get(task_key(n)) or _extra_entrant(n) for n in only]
    labels = {task_key(e.label) for e in field_}
    for name in extra:
        entrant = _extra_entrant(name)
        if task_key(entrant.label) not in labels:
            labels.add(task_key(entrant.label))
            field_.append(entrant)
    return field_


def select_tasks(names: list) -> list:
    if not names:
        return list(TASKS)
    by_key = {task_key(t.key): t for t in TASKS} | {task_key(t.title): t for t in TASKS}
    unknown = [n for n in names if task_key(n) not in by_key]
    if unknown:
        raise LoadError(f"unknown task(s) {', '.join(unknown)}; tasks: {', '.join(t.key for t in TASKS)}")
    return [by_key[task_key(n)] for n in names]


# -- the race ------------------------------------------------------------------------------------------------

def race_task(task, entrants: list, settings: Settings, progress: "Progress") -> TaskResult:
    """Sweep each entrant's lr on short runs, then run the full race at the best lr."""
    steps = settings.steps(task)
    short = Settings.sweep_steps(steps)
    progress.start(task.title, len(entrants) * (len(settings.factors) + (short < steps)))
    runs = []
    for entrant in entrants:
        sweep = []
        for lr in entrant.lrs(settings.factors):
            sweep.append(run_once(task, entrant, lr, short, settings))
            progress.tick(f"{entrant.label} lr={lr:g}")
        best = min(sweep, key=lambda r: r.score)  # the first of equals: the smallest lr
        final = run_once(task, entrant, best.lr, steps, settings) if short < steps else best
        if short < steps:
            progress.tick(f"{entrant.label} lr={best.lr:g}")
        final.sweep = [(r.lr, r.final_loss if r.error is None else None) for r in sweep]
        progress.result(final)
        runs.append(final)
    progress.close()
    return TaskResult(task, steps, runs)


def run_once(task, entrant: Entrant, lr: float, steps: int, settings: Settings, closure: bool | None = None):
    """One run from a fresh seed; an optimizer that raises yields a result carrying the error."""
    closure = entrant.closure if closure is None else closure
    result = RunResult(entrant.label, lr)
    started = time.perf_counter()
    try:
        with np.errstate(all="ignore"):  # a diverging lr overflows, and the table says so
            _race(result, task, entrant, lr, steps, settings, closure)
    except _NeedsClosure:
        return run_once(task, entrant, lr, steps, settings, closure=True)
    except Exception as e:  # a user's optimizer may fail in any way; the race goes on without it
        result.error = f"{type(e).__name__}: {e}"
    result.wall_time = time.perf_counter() - started
    if result.error is None:
        result.steps_to_target = next((i for i, v in enumerate(result.losses) if v <= task.target), None)
    return result


class _NeedsClosure(Exception):
    """The first step without a closure failed: the optimizer wants one (LBFGS, SAM)."""


def _race(result: RunResult, task, entrant: Entrant, lr: float, steps: int, settings: Settings, closure) -> None:
    numtorch.manual_seed(settings.seed)
    problem = task.build(settings.quick)
    opt = entrant.make([p for _, p in problem.params], lr)
    scheduler = make_scheduler(settings.schedule, opt, steps)
    step = _closure_step if closure else _plain_step
    for t in range(steps):
        if problem.point:
            result.points.append(problem.point())
        result.lrs.append(float(opt.param_groups[0]["lr"]))
        try:
            loss, evals = step(opt, problem)
        except Exception:
            if t == 0 and closure is None:
                raise _NeedsClosure from None
            raise
        result.losses.append(loss)
        result.evals += evals
        if not math.isfinite(loss):
            result.diverged = True
            result.final_loss = loss
            return
        if scheduler is not None and t + 1 < steps:
            scheduler.step()
    switch = callable(getattr(opt, "eval", None)) and callable(getattr(opt, "train", None))
    if switch:  # schedule-free: the averaged weights are the ones to evaluate
        opt.eval()
    with numtorch.no_grad():
        result.final_loss = problem.loss().item()
    if problem.point:
        result.points.append(problem.point())
    result.losses.append(result.final_loss)
    result.diverged = not math.isfinite(result.final_loss)


def _plain_step(opt, problem) -> tuple:
    opt.zero_grad()
    loss = problem.loss()
    loss.backward()
    opt.step()
    return loss.item(), 1


def _closure_step(opt, problem) -> tuple:
    losses = []

    def closure():
        opt.zero_grad()
        loss = problem.loss()
        loss.backward()
        losses.append(loss.item())
        return loss.detach()  # the optimizer needs the value only; a float() of a graph's output warns

    opt.step(closure)
    return losses[0] if losses else math.nan, len(losses)


def make_scheduler(kind: str, opt, steps: int):
    """The --schedule over a run of `steps` steps: cosine annealing to 0, or a one-cycle warmup and anneal."""
    from numtorch.optim import lr_scheduler
    if kind == "cosine":
        return lr_scheduler.CosineAnnealingLR(opt, T_max=steps)
    if kind == "onecycle":
        # momentum is not cycled: that would turn plain SGD into momentum SGD and fail on Adadelta or LBFGS
        return lr_scheduler.OneCycleLR(opt, max_lr=[g["lr"] for g in opt.param_groups], total_steps=steps,
                                       cycle_momentum=False)
    return None


# -- progress ------------------------------------------------------------------------------------------------

class Progress:
    """tqdm bars on a terminal; plain log lines (one per finished race) when the output is a file or a pipe."""

    def __init__(self, stream):
        self.stream = stream
        self.tqdm = None
        self.skipped = []
        self.bar = None
        if stream.isatty():
            try:
                from tqdm import tqdm
                self.tqdm = tqdm
            except ImportError:
                self.skipped.append("progress bars (tqdm is not installed: pip install tqdm)")

    def start(self, title: str, total: int) -> None:
        if self.tqdm is not None:
            self.bar = self.tqdm(total=total, desc=f"{title:<18}", unit="run", file=self.stream, leave=False,
                                 dynamic_ncols=True)
        else:
            self._log(f"{title}: {total} runs (lr sweeps and races)")

    def tick(self, text: str) -> None:
        if self.bar is not None:
            self.bar.set_postfix_str(text, refresh=False)
            self.bar.update(1)

    def result(self, r: RunResult) -> None:
        if self.bar is None:
            self._log(f"  {r.label:<18} lr={r.lr:<8g} final loss {report.format_loss(r)}  ({r.wall_time:.2f} s)")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def _log(self, line: str) -> None:
        print(f"[arena] {line}", file=self.stream, flush=True)
