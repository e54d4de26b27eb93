"""Learning-rate schedules as pure functions of the step count.

Two kinds of function live here, both free of state:

- closed forms, ``value(base, t, ...)``: the scheduled value at step ``t``
  computed from the base value. The schedulers' ``_get_closed_form_lr`` (the
  deprecated ``step(epoch)`` path, and SequentialLR's restart at a milestone)
  use them, and they can be evaluated for any ``t`` without stepping anything.
- step ratios, ``ratio(t, ...)``: the factor torch's "chainable" schedulers
  multiply the *current* lr by to go from step ``t - 1`` to ``t``. Chaining
  composes by multiplication, which a closed form cannot do; and the product
  of ratios differs from the closed form in the last bits, so torch's numbers
  are only reproduced by applying the ratio torch applies, in torch's order of
  operations. Every expression here is therefore written in exactly that order.

``base`` may be a Python number or a Tensor (an lr given as a tensor): only
arithmetic operators touch it.
"""
from __future__ import annotations

import math
from bisect import bisect_right

__all__ = [
    "step_decay", "multistep_decay", "constant_warmup", "linear_warmup", "exponential_decay",
    "polynomial_decay", "cosine_annealing", "linear_warmup_ratio", "polynomial_ratio", "cosine_ratio",
    "cosine_restart_increment", "warm_restart_position", "cyclic_phase", "cyclic_height",
    "triangular_scale", "triangular2_scale", "exp_range_scale", "one_cycle_phases", "one_cycle_position",
    "anneal_cos", "anneal_linear", "swa_progress", "swa_cos", "swa_linear", "swa_annealing",
]


# -- closed forms ------------------------------------------------------------------------

def step_decay(base, t: int, step_size: int, gamma: float):
    """StepLR: decayed by gamma once every step_size steps."""
    return base * gamma ** (t // step_size)


def multistep_decay(base, t: int, milestones, gamma: float):
    """MultiStepLR: decayed by gamma at each milestone passed (`milestones` sorted, repeats count twice)."""
    return base * gamma ** bisect_right(milestones, t)


def constant_warmup(base, t: int, factor: float, total_iters: int):
    """ConstantLR: scaled by factor until total_iters, then the base value."""
    return base * (factor + (t >= total_iters) * (1 - factor))


def linear_warmup(base, t: int, start_factor: float, end_factor: float, total_iters: int):
    """LinearLR: the factor moves linearly from start_factor to end_factor over total_iters steps."""
    return base * (start_factor + (end_factor - start_factor) * min(total_iters, t) / total_iters)


def exponential_decay(base, t: int, gamma: float):
    """ExponentialLR: decayed by gamma every step."""
    return base * gamma ** t


def polynomial_decay(base, t: int, total_iters: int, power: float):
    """PolynomialLR: (1 - t / total_iters) ** power, held at zero after total_iters."""
    return base * (1.0 - min(total_iters, t) / total_iters) ** power


def cosine_annealing(base, t, period, eta_min):
    """Half a cosine from base (t = 0) down to eta_min (t = period); also SGDR within one restart period."""
    return eta_min + (base - eta_min) * (1 + math.cos(math.pi * t / period)) / 2


# -- step ratios of the chainable forms -------------------------------------------------------

def linear_warmup_ratio(t: int, start_factor: float, end_factor: float, total_iters: int) -> float:
    """LinearLR's factor from step t - 1 to t (1 <= t <= total_iters)."""
    return 1.0 + (end_factor - start_factor) / (total_iters * start_factor + (t - 1) * (end_factor - start_factor))


def polynomial_ratio(t: int, total_iters: int, power: float) -> float:
    """PolynomialLR's factor from step t - 1 to t (1 <= t <= total_iters)."""
    return ((1.0 - t / total_iters) / (1.0 - (t - 1) / total_iters)) ** power


def cosine_ratio(t: int, period) -> float:
    """CosineAnnealingLR's factor on (lr - eta_min) from step t - 1 to t."""
    return (1 + math.cos(math.pi * t / period)) / (1 + math.cos(math.pi * (t - 1) / period))


def cosine_restart_increment(base, period, eta_min):
    """What CosineAnnealingLR adds when the cosine passes its minimum, where the ratio would divide by zero."""
    return (base - eta_min) * (1 - math.cos(math.pi / period)) / 2


def warm_restart_position(epoch, T_0: int, T_mult: int):
    """(T_cur, T_i) of CosineAnnealingWarmRestarts at a (possibly fractional) epoch counted from 0."""
    if epoch < T_0:
        return epoch, T_0
    if T_mult == 1:
        return epoch % T_0, T_0
    n = int(math.log((epoch / T_0 * (T_mult - 1) + 1), T_mult))
    return epoch - T_0 * (T_mult ** n - 1) / (T_mult - 1), T_0 * T_mult ** n


# -- CyclicLR -----------------------------------------------------------------------------------

def cyclic_phase(t: int, total_size: float, step_ratio: float):
    """(cycle number from 1, fraction of the amplitude) at step t of a triangular cycle."""
    cycle = math.floor(1 + t / total_size)
    x = 1.0 + t / total_size - cycle
    if x <= step_ratio:
        return cycle, x / step_ratio
    return cycle, (x - 1) / (step_ratio - 1)


def cyclic_height(low, high, t: int, total_size: float, step_ratio: float, scale_fn=None,
                  scale_mode: str = "cycle"):
    """How far above `low` CyclicLR's value is at step t (lr = low + height; momentum = high - height).

    `scale_fn` shrinks the amplitude, evaluated on the cycle number or, with
    scale_mode='iterations', on the step count.
    """
    cycle, fraction = cyclic_phase(t, total_size, step_ratio)
    scale_fn = scale_fn or triangular_scale
    return (high - low) * fraction * scale_fn(cycle if scale_mode == "cycle" else t)


def triangular_scale(x) -> float:
    return 1.0


def triangular2_scale(x) -> float:
    """The amplitude halves every cycle."""
    return 1 / (2.0 ** (x - 1))


def exp_range_scale(gamma: float, x) -> float:
    return gamma ** x


# -- OneCycleLR -------------------------------------------------------------------------------------

def one_cycle_phases(total_steps: int, pct_start: float, three_phase: bool) -> list[dict]:
    """The phases of the 1cycle policy in torch's `_schedule_phases` format.

    Each phase names the param-group keys it anneals between; it ends at
    `end_step` (a float step index) and starts where the previous one ended.
    """
    warmup_end = float(pct_start * total_steps) - 1
    if three_phase:
        return [_phase(warmup_end, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                _phase(float(2 * pct_start * total_steps) - 2, "max_lr", "initial_lr", "base_momentum",
                       "max_momentum"),
                _phase(total_steps - 1, "initial_lr", "min_lr", "max_momentum", "max_momentum")]
    return [_phase(warmup_end, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
            _phase(total_steps - 1, "max_lr", "min_lr", "base_momentum", "max_momentum")]


def _phase(end_step, start_lr, end_lr, start_momentum, end_momentum) -> dict:
    return {"end_step": end_step, "start_lr": start_lr, "end_lr": end_lr, "start_momentum": start_momentum,
            "end_momentum": end_momentum}


def one_cycle_position(t: int, phases: list[dict]):
    """(the phase step t falls in, the fraction of that phase done); past the end, the last phase."""
    start = 0.0
    for i, phase in enumerate(phases):
        end = phase["end_step"]
        if t <= end or i == len(phases) - 1:
            return phase, (t - start) / (end - start)
        start = end
    raise ValueError("a 1cycle schedule needs at least one phase")


def anneal_cos(start, end, pct):
    """Cosine from start (pct = 0) to end (pct = 1)."""
    cos_out = math.cos(math.pi * pct) + 1
    return end + (start - end) / 2.0 * cos_out


def anneal_linear(start, end, pct):
    """Straight line from start (pct = 0) to end (pct = 1)."""
    return (end - start) * pct + start


# -- SWALR ------------------------------------------------------------------------------------------

def swa_progress(step: int, anneal_epochs: int):
    """How far SWALR's annealing is at `step`, clipped to [0, 1]."""
    return max(0, min(1, step / max(1, anneal_epochs)))


def swa_cos(t):
    """SWALR's cosine weight of swa_lr: 0 at t = 0, 1 at t = 1."""
    return (1 - math.cos(math.pi * t)) / 2


def swa_linear(t):
    return t


def swa_annealing(base, swa_lr, step: int, anneal_epochs: int, anneal=swa_cos):
    """SWALR's closed form: from base to swa_lr over anneal_epochs steps (its class applies it recursively)."""
    alpha = anneal(swa_progress(step, anneal_epochs))
    return swa_lr * alpha + base * (1 - alpha)
