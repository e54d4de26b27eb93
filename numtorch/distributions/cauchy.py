"""Cauchy(loc, scale)."""
from __future__ import annotations

import math

import numtorch as _t

from .distribution import Distribution, _LocScale

__all__ = ["Cauchy"]


class Cauchy(_LocScale, Distribution):

    @property
    def mean(self):
        return self._filled(math.nan, self.loc)

    @property
    def variance(self):
        return self._filled(math.inf, self.loc)

    def rsample(self, sample_shape=_t.Size()):
        eps = self.loc.new_empty(self._extended_shape(sample_shape)).cauchy_()
        return self.loc + eps * self.scale

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return -math.log(math.pi) - self.scale.log() - (((value - self.loc) / self.scale) ** 2).log1p()

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return _t.atan((value - self.loc) / self.scale) / math.pi + 0.5

    def icdf(self, value):
        return _t.tan(math.pi * (value - 0.5)) * self.scale + self.loc

    def entropy(self):
        return math.log(4 * math.pi) + self.scale.log()
