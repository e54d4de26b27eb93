"""MixtureSameFamily(mixture_distribution, component_distribution)."""
from __future__ import annotations

import numtorch as _t

from . import constraints
from .categorical import Categorical
from .distribution import Distribution

__all__ = ["MixtureSameFamily"]


class MixtureSameFamily(Distribution):
    """A Categorical choice among the components indexed by the component batch's last dim."""
    arg_constraints: dict = {}
    has_rsample = False

    def __init__(self, mixture_distribution, component_distribution, validate_args=None):
        self._mixture_distribution = mixture_distribution
        self._component_distribution = component_distribution
        if not isinstance(mixture_distribution, Categorical):
            raise ValueError(" The Mixture distribution needs to be an  instance of torch.distributions.Categorical")
        if not isinstance(component_distribution, Distribution):
            raise ValueError("The Component distribution needs to be an instance of torch.distributions.Distribution")
        mdbs, cdbs = mixture_distribution.batch_shape, component_distribution.batch_shape[:-1]
        for a, b in zip(reversed(mdbs), reversed(cdbs)):
            if a != 1 and b != 1 and a != b:
                raise ValueError(f"`mixture_distribution.batch_shape` ({mdbs}) is not compatible with "
                                 f"`component_distribution.batch_shape`({cdbs})")
        km, kc = mixture_distribution.logits.shape[-1], component_distribution.batch_shape[-1]
        if km != kc:
            raise ValueError(f"`mixture_distribution component` ({km}) does not equal "
                             f"`component_distribution.batch_shape[-1]` ({kc})")
        self._num_component = km
        self._event_ndims = len(component_distribution.event_shape)
        super().__init__(batch_shape=cdbs, event_shape=component_distribution.event_shape,
                         validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        batch_shape = _t.Size(batch_shape)
        new = self._get_checked_instance(MixtureSameFamily, _instance)
        new._component_distribution = self._component_distribution.expand(batch_shape + (self._num_component,))
        new._mixture_distribution = self._mixture_distribution.expand(batch_shape)
        new._num_component, new._event_ndims = self._num_component, self._event_ndims
        return self._finish_expand(new, MixtureSameFamily, batch_shape)

    @constraints.dependent_property
    def support(self):
        return constraints.MixtureSameFamilyConstraint(self._component_distribution.support)

    @property
    def mixture_distribution(self):
        return self._mixture_distribution

    @property
    def component_distribution(self):
        return self._component_distribution

    def _weighted_sum(self, x):
        """Sum over components of mixture probability times x (x: [..., k, event])."""
        return _t.sum(self._pad_mixture_dimensions(self.mixture_distribution.probs) * x,
                      dim=-1 - self._event_ndims)

    @property
    def mean(self):
        return self._weighted_sum(self.component_distribution.mean)

    @property
    def variance(self):
        """Law of total variance: E[Var(Y|X)] + Var(E[Y|X])."""
        comp = self.component_distribution
        return self._weighted_sum(comp.variance) + self._weighted_sum((comp.mean - self._pad(self.mean)).pow(2.0))

    def cdf(self, x):
        cdf_x = self.component_distribution.cdf(self._pad(x))
        return _t.sum(cdf_x * self.mixture_distribution.probs, dim=-1)

    def log_prob(self, x):
        if self._validate_args:
            self._validate_sample(x)
        log_prob_x = self.component_distribution.log_prob(self._pad(x))
        log_mix = _t.log_softmax(self.mixture_distribution.logits, dim=-1)
        return _t.logsumexp(log_prob_x + log_mix, dim=-1)

    def sample(self, sample_shape=_t.Size()):
        """The mixture's draws first, then every component's, then the chosen ones (torch's order)."""
        with _t.no_grad():
            gather_dim = len(sample_shape) + len(self.batch_shape)
            es = self.event_shape
            mix = self.mixture_distribution.sample(sample_shape)
            comp = self.component_distribution.sample(sample_shape)
            index = mix.reshape(mix.shape + (1,) * (len(es) + 1)).repeat((1,) * mix.dim() + (1,) + tuple(es))
            return _t.gather(comp, gather_dim, index).squeeze(gather_dim)

    def _pad(self, x):
        return x.unsqueeze(-1 - self._event_ndims)

    def _pad_mixture_dimensions(self, x):
        cat_ndims = len(self.mixture_distribution.batch_shape)
        pad = 0 if cat_ndims == 1 else len(self.batch_shape) - cat_ndims
        return x.reshape(x.shape[:-1] + (1,) * pad + x.shape[-1:] + (1,) * self._event_ndims)

    def __repr__(self):
        return f"MixtureSameFamily(\n  {self.mixture_distribution},\n  {self.component_distribution})"
