"""Laplace(loc, scale)."""
from __future__ import annotations

import numtorch as _t

from .distribution import Distribution, _LocScale

__all__ = ["Laplace"]


class Laplace(_LocScale, Distribution):

    @property
    def variance(self):
        return 2 * self.scale.pow(2)

    @property
    def stddev(self):
        return 2 ** 0.5 * self.scale

    def rsample(self, sample_shape=_t.Size()):
        """Inverse-cdf sampling from u ~ U(eps - 1, 1), torch's draw (so the seeds agree)."""
        shape = self._extended_shape(sample_shape)
        u = self.loc.new_empty(shape).uniform_(_t.finfo(self.loc.dtype).eps - 1, 1)
        return self.loc - self.scale * u.sign() * _t.log1p(-u.abs())

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return -_t.log(2 * self.scale) - _t.abs(value - self.loc) / self.scale

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        d = value - self.loc
        return 0.5 - 0.5 * d.sign() * _t.expm1(-d.abs() / self.scale)

    def icdf(self, value):
        term = value - 0.5
        return self.loc - self.scale * term.sign() * _t.log1p(-2 * term.abs())

    def entropy(self):
        return 1 + _t.log(2 * self.scale)
