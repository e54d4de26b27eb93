"""Poisson(rate)."""
from __future__ import annotations

import numtorch as _t

from . import constraints
from .exp_family import ExponentialFamily
from .utils import broadcast_all

__all__ = ["Poisson"]


class Poisson(ExponentialFamily):
    arg_constraints = {"rate": constraints.nonnegative}
    support = constraints.nonnegative_integer

    def __init__(self, rate, validate_args=None):
        self._init_broadcast(("rate",), (rate,), validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_attrs(Poisson, batch_shape, _instance, ("rate",))

    @property
    def mean(self):
        return self.rate

    @property
    def mode(self):
        return self.rate.floor()

    @property
    def variance(self):
        return self.rate

    def sample(self, sample_shape=_t.Size()):
        """torch.poisson fills its output in C order; the rates are made contiguous so that numtorch's
        poisson (which follows its input's memory order) visits them in that order too."""
        shape = self._extended_shape(sample_shape)
        with _t.no_grad():
            return _t.poisson(self.rate.expand(shape).contiguous())

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        rate, value = broadcast_all(self.rate, value)
        return value.xlogy(rate) - rate - (value + 1).lgamma()

    @property
    def _natural_params(self):
        return (_t.log(self.rate),)

    def _log_normalizer(self, x):
        return _t.exp(x)
