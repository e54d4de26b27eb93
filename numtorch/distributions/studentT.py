"""StudentT(df, loc, scale)."""
from __future__ import annotations

import math

import numtorch as _t

from . import constraints
from .chi2 import Chi2
from .distribution import Distribution
from .utils import _standard_normal, broadcast_all

__all__ = ["StudentT"]


class StudentT(Distribution):
    arg_constraints = {"df": constraints.positive, "loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, df, loc=0.0, scale=1.0, validate_args=None):
        self.df, self.loc, self.scale = broadcast_all(df, loc, scale)
        self._chi2 = Chi2(self.df)
        super().__init__(self.df.size(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._expand_attrs(StudentT, batch_shape, _instance, ("df", "loc", "scale"))
        new._chi2 = self._chi2.expand(batch_shape)
        return new

    @property
    def mean(self):
        m = self.loc.clone(memory_format=_t.contiguous_format)
        m[self.df <= 1] = math.nan
        return m

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        df = self.df
        m = df.clone(memory_format=_t.contiguous_format)
        big = df > 2
        m[big] = self.scale[big].pow(2) * df[big] / (df[big] - 2)
        m[(df <= 2) & (df > 1)] = math.inf
        m[df <= 1] = math.nan
        return m

    def rsample(self, sample_shape=_t.Size()):
        """A normal over the root of a chi-square / df: normal_ first, then the gamma draws, as torch."""
        x = _standard_normal(self._extended_shape(sample_shape), self.df.dtype)
        z = self._chi2.rsample(sample_shape)
        return self.loc + self.scale * (x * _t.rsqrt(z / self.df))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        y = (value - self.loc) / self.scale
        z = (self.scale.log() + 0.5 * self.df.log() + 0.5 * math.log(math.pi)
             + _t.lgamma(0.5 * self.df) - _t.lgamma(0.5 * (self.df + 1.0)))
        return -0.5 * (self.df + 1.0) * _t.log1p(y ** 2.0 / self.df) - z

    def entropy(self):
        df = self.df
        lbeta = _t.lgamma(0.5 * df) + math.lgamma(0.5) - _t.lgamma(0.5 * (df + 1))
        return (self.scale.log() + 0.5 * (df + 1) * (_t.digamma(0.5 * (df + 1)) - _t.digamma(0.5 * df))
                + 0.5 * df.log() + lbeta)
