"""Dirichlet(concentration)."""
from __future__ import annotations

import numpy as np

import numtorch as _t

from . import constraints
from ._gamma_sampler import standard_gamma, standard_gamma_grad
from .exp_family import ExponentialFamily

__all__ = ["Dirichlet"]


def _sample_dirichlet(alpha: np.ndarray):
    """Normalized gamma draws, made in float64 as torch's kernel makes them, cast and kept above
    tiny. Returns the sample and the float64 gammas (the gradient needs them)."""
    g = standard_gamma(alpha.astype(np.float64))
    total = g.sum(-1, keepdims=True)
    x = np.maximum((g / total).astype(alpha.dtype), np.finfo(alpha.dtype).tiny)
    return x, g, total


class _Dirichlet(_t.autograd.Function):
    """x = g / sum(g) with g_i ~ Gamma(alpha_i): the pathwise gradient is each gamma's implicit
    derivative pushed through the normalization. (torch differentiates the Beta marginals at
    fixed x instead: another unbiased estimator, so gradients differ from torch's.)"""

    @staticmethod
    def forward(ctx, concentration):
        alpha = concentration.detach().numpy()
        x, g, total = _sample_dirichlet(alpha)
        ctx.draws = (g, alpha, total)
        x = _t.from_numpy(x)
        ctx.save_for_backward(x)
        return x

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        g, alpha, total = ctx.draws
        local = _t.from_numpy((standard_gamma_grad(g, alpha) / total).astype(alpha.dtype))
        return local * (grad - (x * grad).sum(-1, keepdim=True))


class Dirichlet(ExponentialFamily):
    arg_constraints = {"concentration": constraints.independent(constraints.positive, 1)}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, concentration, validate_args=None):
        if concentration.dim() < 1:
            raise ValueError("`concentration` parameter must be at least one-dimensional.")
        self.concentration = concentration
        super().__init__(concentration.shape[:-1], concentration.shape[-1:], validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_attrs(Dirichlet, batch_shape, _instance, ("concentration",), self.event_shape)

    def rsample(self, sample_shape=()):
        return _Dirichlet.apply(self.concentration.expand(self._extended_shape(sample_shape)))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        c = self.concentration
        return _t.xlogy(c - 1.0, value).sum(-1) + _t.lgamma(c.sum(-1)) - _t.lgamma(c).sum(-1)

    @property
    def mean(self):
        return self.concentration / self.concentration.sum(-1, True)

    @property
    def mode(self):
        cm1 = (self.concentration - 1).clamp(min=0.0)
        mode = cm1 / cm1.sum(-1, True)
        mask = (self.concentration < 1).all(dim=-1)
        mode[mask] = _t.nn.functional.one_hot(mode[mask].argmax(dim=-1), cm1.shape[-1]).to(mode)
        return mode

    @property
    def variance(self):
        c = self.concentration
        c0 = c.sum(-1, True)
        return c * (c0 - c) / (c0.pow(2) * (c0 + 1))

    def entropy(self):
        c = self.concentration
        k, a0 = c.size(-1), c.sum(-1)
        return (_t.lgamma(c).sum(-1) - _t.lgamma(a0) - (k - a0) * _t.digamma(a0)
                - ((c - 1.0) * _t.digamma(c)).sum(-1))

    @property
    def _natural_params(self):
        return (self.concentration,)

    def _log_normalizer(self, x):
        return x.lgamma().sum(-1) - _t.lgamma(x.sum(-1))
