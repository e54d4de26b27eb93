"""Binomial(total_count, probs | logits)."""
from __future__ import annotations

import numtorch as _t

from . import constraints
from ._binomial_sampler import binomial
from .bernoulli import _expand_trials, _init_trials, _Trials
from .distribution import Distribution

__all__ = ["Binomial"]


def _clamp_by_zero(x):
    """max(x, 0) with gradient 1/2 at 0, as torch's Binomial.log_prob differentiates it."""
    return (x.clamp(min=0) + x - x.clamp(max=0)) / 2


class Binomial(_Trials, Distribution):
    arg_constraints = {"total_count": constraints.nonnegative_integer,
                       "probs": constraints.unit_interval, "logits": constraints.real}
    has_enumerate_support = True

    def __init__(self, total_count=1, probs=None, logits=None, validate_args=None):
        _init_trials(self, probs, logits, validate_args, total_count=total_count)

    def expand(self, batch_shape, _instance=None):
        return _expand_trials(self, Binomial, batch_shape, _instance)

    def _new(self, *args, **kwargs):
        return self._param.new_tensor(*args, **kwargs)

    @constraints.dependent_property(is_discrete=True, event_dim=0)
    def support(self):
        return constraints.integer_interval(0, self.total_count)

    @property
    def mean(self):
        return self.total_count * self.probs

    @property
    def mode(self):
        return ((self.total_count + 1) * self.probs).floor().clamp(max=self.total_count)

    @property
    def variance(self):
        return self.total_count * self.probs * (1 - self.probs)

    def sample(self, sample_shape=_t.Size()):
        """torch.binomial's CPU kernel (numtorch has no top-level binomial; _binomial_sampler is it)."""
        shape = self._extended_shape(sample_shape)
        with _t.no_grad():
            n = self.total_count.expand(shape).detach().numpy()
            return _t.from_numpy(binomial(n, self.probs.expand(shape).detach().numpy()))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        n, logits = self.total_count, self.logits
        normalizer = n * _clamp_by_zero(logits) + n * _t.log1p(_t.exp(-_t.abs(logits))) - _t.lgamma(n + 1)
        return value * logits - _t.lgamma(value + 1) - _t.lgamma(n - value + 1) - normalizer

    def _homogeneous_count(self, what):
        count = int(self.total_count.max())
        if not self.total_count.min() == count:
            raise NotImplementedError(f"Inhomogeneous total count not supported by `{what}`.")
        return count

    def entropy(self):
        self._homogeneous_count("entropy")
        log_prob = self.log_prob(self.enumerate_support(False))
        return -(_t.exp(log_prob) * log_prob).sum(0)

    def enumerate_support(self, expand=True):
        count = self._homogeneous_count("enumerate_support")
        return self._enumerated(1 + count, self._param.dtype, expand)
