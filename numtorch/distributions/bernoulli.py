"""Bernoulli(probs | logits)."""
from __future__ import annotations

import math

import numtorch as _t

from . import constraints
from .categorical import _probs_or_logits
from .distribution import Distribution
from .exp_family import ExponentialFamily
from .utils import (
    _Number,
    broadcast_all,
    lazy_property,
    logits_to_probs,
    probs_to_logits,
)

__all__ = ["Bernoulli"]


def _init_trials(self, probs, logits, validate_args, total_count=None):
    """Families of Bernoulli trials (Bernoulli, Binomial, Geometric): exactly one of probs / logits,
    broadcast with total_count when there is one; the batch shape is () when all were numbers."""
    given = probs if probs is not None else logits
    if (probs is None) == (logits is None):
        _probs_or_logits(self, probs, logits, False)        # raises torch's message
    if total_count is None:
        (param,) = broadcast_all(given)
    else:
        count, param = broadcast_all(total_count, given)
        self.total_count = count.type_as(param)
    _probs_or_logits(self, param if probs is not None else None, param if logits is not None else None, False)
    scalar = isinstance(given, _Number) and (total_count is None or isinstance(total_count, _Number))
    Distribution.__init__(self, _t.Size() if scalar else param.size(), validate_args=validate_args)


def _expand_trials(self, cls, batch_shape, _instance):
    new = self._expand_attrs(cls, batch_shape, _instance, ("total_count", "probs", "logits"))
    new._param = new.__dict__.get("probs", new.__dict__.get("logits"))
    return new


class _Trials:
    """probs and logits of Bernoulli trials, each derived from the other on first use."""

    @lazy_property
    def logits(self):
        return probs_to_logits(self.probs, is_binary=True)

    @lazy_property
    def probs(self):
        return logits_to_probs(self.logits, is_binary=True)

    @property
    def param_shape(self):
        return self._param.size()


class Bernoulli(_Trials, ExponentialFamily):
    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.boolean
    has_enumerate_support = True
    _mean_carrier_measure = 0

    def __init__(self, probs=None, logits=None, validate_args=None):
        _init_trials(self, probs, logits, validate_args)

    def expand(self, batch_shape, _instance=None):
        return _expand_trials(self, Bernoulli, batch_shape, _instance)

    @property
    def mean(self):
        return self.probs

    @property
    def mode(self):
        mode = (self.probs >= 0.5).to(self.probs)
        mode[self.probs == 0.5] = math.nan
        return mode

    @property
    def variance(self):
        return self.probs * (1 - self.probs)

    def sample(self, sample_shape=_t.Size()):
        shape = self._extended_shape(sample_shape)
        with _t.no_grad():
            return _t.bernoulli(self.probs.expand(shape))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        return -_t.nn.functional.binary_cross_entropy_with_logits(logits, value, reduction="none")

    def entropy(self):
        return _t.nn.functional.binary_cross_entropy_with_logits(self.logits, self.probs, reduction="none")

    def enumerate_support(self, expand=True):
        return self._enumerated(2, self._param.dtype, expand)

    @property
    def _natural_params(self):
        return (_t.logit(self.probs),)

    def _log_normalizer(self, x):
        return _t.log1p(_t.exp(x))
