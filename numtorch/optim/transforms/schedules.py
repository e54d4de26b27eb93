"""Schedules: functions of the step count, to pass where a transformation takes a value that changes over time.

``schedule(t)`` is the value at step t (counted from 0). They go into
``scale_by_learning_rate(schedule)`` and ``inject_hyperparams``, and, divided
by the base lr, into torch's ``LambdaLR``. The formulas are the closed forms
torch's schedulers are built on (numtorch.optim.schedules), so that e.g.
`one_cycle` gives OneCycleLR's lrs.
"""
from __future__ import annotations

from bisect import bisect_right

from .. import schedules as closed

__all__ = ["constant", "linear", "cosine", "exponential", "polynomial", "piecewise", "warmup_cosine", "one_cycle",
           "join"]


def constant(value: float):
    return lambda t: value


def _progress(t, begin: int, steps: int) -> float:
    """How far t is into a transition of `steps` steps starting at `begin`, in [0, 1]."""
    return min(max(t - begin, 0), steps) / steps


def linear(init_value: float, end_value: float, transition_steps: int, transition_begin: int = 0):
    """From init_value (until transition_begin) in a straight line to end_value (after transition_steps more)."""
    if transition_steps <= 0:
        return constant(init_value)
    return lambda t: closed.anneal_linear(init_value, end_value, _progress(t, transition_begin, transition_steps))


def polynomial(init_value: float, end_value: float, power: float, transition_steps: int, transition_begin: int = 0):
    """end + (init - end) * (1 - progress) ** power over transition_steps steps from transition_begin."""
    if transition_steps <= 0:
        return constant(init_value)

    def value(t):
        t = min(max(t - transition_begin, 0), transition_steps)
        return closed.polynomial_decay(init_value - end_value, t, transition_steps, power) + end_value
    return value


def cosine(init_value: float, decay_steps: int, alpha: float = 0.0, end_value: float | None = None):
    """Half a cosine from init_value to end_value (default alpha * init_value) over decay_steps, then held."""
    if decay_steps <= 0:
        raise ValueError(f"cosine schedule needs decay_steps > 0, but got {decay_steps}")
    end = alpha * init_value if end_value is None else end_value
    return lambda t: closed.cosine_annealing(init_value, min(max(t, 0), decay_steps), decay_steps, end)


def exponential(init_value: float, transition_steps: int, decay_rate: float, transition_begin: int = 0,
                staircase: bool = False, end_value: float | None = None):
    """init_value * decay_rate ** ((t - transition_begin) / transition_steps), floored to whole periods with staircase.

    end_value bounds it (from below when decaying, from above when growing).
    """
    if transition_steps <= 0:
        raise ValueError(f"exponential schedule needs transition_steps > 0, but got {transition_steps}")

    def value(t):
        t = max(t - transition_begin, 0)
        v = (closed.step_decay(init_value, t, transition_steps, decay_rate) if staircase
             else closed.exponential_decay(init_value, t / transition_steps, decay_rate))
        if end_value is None:
            return v
        return max(v, end_value) if decay_rate < 1 else min(v, end_value)
    return value


def piecewise(init_value: float, boundaries_and_scales: dict | None = None):
    """init_value, multiplied by scales[b] from step b on, for each boundary b (scales accumulate)."""
    items = sorted((boundaries_and_scales or {}).items())
    boundaries = [b for b, _ in items]
    products = list(_running_products(init_value, [s for _, s in items]))
    return lambda t: products[bisect_right(boundaries, t)]


def _running_products(value, scales):
    yield value
    for s in scales:
        value = value * s
        yield value


def join(schedules, boundaries):
    """schedules[i] from boundaries[i - 1] on, each restarted at 0 at its boundary (len(boundaries) = len - 1)."""
    schedules, boundaries = list(schedules), list(boundaries)
    if len(boundaries) != len(schedules) - 1:
        raise ValueError(f"join needs one boundary fewer than schedules, but got {len(schedules)} schedules and "
                         f"{len(boundaries)} boundaries")
    starts = [0, *boundaries]

    def value(t):
        i = bisect_right(boundaries, t)
        return schedules[i](t - starts[i])
    return value


def warmup_cosine(init_value: float, peak_value: float, warmup_steps: int, decay_steps: int, end_value: float = 0.0):
    """Linear warmup from init_value to peak_value, then cosine to end_value; decay_steps counts the warmup too."""
    return join([linear(init_value, peak_value, warmup_steps),
                 cosine(peak_value, decay_steps - warmup_steps, end_value=end_value)], [warmup_steps])


def one_cycle(total_steps: int, max_lr: float, pct_start: float = 0.3, anneal_strategy: str = "cos",
              div_factor: float = 25.0, final_div_factor: float = 1e4, three_phase: bool = False):
    """torch's OneCycleLR lr at step t (held at its last value after total_steps)."""
    if anneal_strategy not in ("cos", "linear"):
        raise ValueError(f"anneal_strategy must be one of 'cos' or 'linear', instead got {anneal_strategy}")
    anneal = closed.anneal_cos if anneal_strategy == "cos" else closed.anneal_linear
    phases = closed.one_cycle_phases(total_steps, pct_start, three_phase)
    initial_lr = max_lr / div_factor
    values = {"initial_lr": initial_lr, "max_lr": max_lr, "min_lr": initial_lr / final_div_factor}

    def value(t):
        phase, pct = closed.one_cycle_position(min(t, total_steps - 1), phases)
        return anneal(values[phase["start_lr"]], values[phase["end_lr"]], pct)
    return value

