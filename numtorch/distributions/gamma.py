"""Gamma(concentration, rate)."""
from __future__ import annotations

import numtorch as _t

from . import constraints
from ._gamma_sampler import standard_gamma, standard_gamma_grad
from .exp_family import ExponentialFamily

__all__ = ["Gamma"]


class _StandardGamma(_t.autograd.Function):
    """Gamma(alpha, 1) draws with the implicit reparameterization gradient w.r.t. alpha."""

    @staticmethod
    def forward(ctx, alpha):
        x = _t.from_numpy(standard_gamma(alpha.detach().numpy()))
        ctx.save_for_backward(x, alpha)
        return x

    @staticmethod
    def backward(ctx, grad):
        x, alpha = ctx.saved_tensors
        x = x.detach().numpy()
        return grad * _t.from_numpy(standard_gamma_grad(x, alpha.detach().numpy()).astype(x.dtype))


def _standard_gamma(concentration):
    return _StandardGamma.apply(concentration)


class Gamma(ExponentialFamily):
    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True
    _mean_carrier_measure = 0

    def __init__(self, concentration, rate, validate_args=None):
        self._init_broadcast(("concentration", "rate"), (concentration, rate), validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_attrs(Gamma, batch_shape, _instance, ("concentration", "rate"))

    @property
    def mean(self):
        return self.concentration / self.rate

    @property
    def mode(self):
        return ((self.concentration - 1) / self.rate).clamp(min=0)

    @property
    def variance(self):
        return self.concentration / self.rate.pow(2)

    def rsample(self, sample_shape=_t.Size()):
        shape = self._extended_shape(sample_shape)
        value = _standard_gamma(self.concentration.expand(shape)) / self.rate.expand(shape)
        value.detach().clamp_(min=_t.finfo(value.dtype).tiny)
        return value

    def log_prob(self, value):
        value = _t.as_tensor(value, dtype=self.rate.dtype)
        if self._validate_args:
            self._validate_sample(value)
        c, r = self.concentration, self.rate
        return _t.xlogy(c, r) + _t.xlogy(c - 1, value) - r * value - _t.lgamma(c)

    def entropy(self):
        c = self.concentration
        return c - _t.log(self.rate) + _t.lgamma(c) + (1.0 - c) * _t.digamma(c)

    def cdf(self, value):
        raise NotImplementedError("Gamma.cdf needs torch.special.gammainc, which numtorch does not implement")

    @property
    def _natural_params(self):
        return self.concentration - 1, -self.rate

    def _log_normalizer(self, x, y):
        return _t.lgamma(x + 1) + (x + 1) * _t.log(-y.reciprocal())
