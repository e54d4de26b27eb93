"""Categorical(probs | logits) over {0, ..., K-1}."""
from __future__ import annotations

import math

import numtorch as _t

from . import constraints
from .distribution import Distribution
from .utils import lazy_property, logits_to_probs, probs_to_logits

__all__ = ["Categorical"]


def _probs_or_logits(self, probs, logits, normalize):
    """Store exactly one of probs / logits (normalized; the other is derived lazily)."""
    if (probs is None) == (logits is None):
        raise ValueError("Either `probs` or `logits` must be specified, but not both.")
    name, value = ("probs", probs) if probs is not None else ("logits", logits)
    if normalize:
        if value.dim() < 1:
            raise ValueError(f"`{name}` parameter must be at least one-dimensional.")
        value = value / value.sum(-1, keepdim=True) if probs is not None else \
            value - value.logsumexp(dim=-1, keepdim=True)
    setattr(self, name, value)
    self._param = value
    return value


class _ViaCategorical:
    """Families built on a Categorical `_categorical` (OneHotCategorical, Multinomial): its parameters."""
    _param = property(lambda self: self._categorical._param)
    probs = property(lambda self: self._categorical.probs)
    logits = property(lambda self: self._categorical.logits)
    param_shape = property(lambda self: self._categorical.param_shape)

    def _new(self, *args, **kwargs):
        return self._categorical._new(*args, **kwargs)


class Categorical(Distribution):
    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args=None):
        param = _probs_or_logits(self, probs, logits, True)
        self._num_events = param.size()[-1]
        batch_shape = param.size()[:-1] if param.dim() > 1 else _t.Size()
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Categorical, _instance)
        batch_shape = _t.Size(batch_shape)
        for name in ("probs", "logits"):
            if name in self.__dict__:
                new._param = self.__dict__[name].expand(batch_shape + (self._num_events,))
                setattr(new, name, new._param)
        new._num_events = self._num_events
        return self._finish_expand(new, Categorical, batch_shape)

    def _new(self, *args, **kwargs):
        return self._param.new_tensor(*args, **kwargs)

    @constraints.dependent_property(is_discrete=True, event_dim=0)
    def support(self):
        return constraints.integer_interval(0, self._num_events - 1)

    @lazy_property
    def logits(self):
        return probs_to_logits(self.probs)

    @lazy_property
    def probs(self):
        return logits_to_probs(self.logits)

    @property
    def param_shape(self):
        return self._param.size()

    @property
    def mean(self):
        return self._filled(math.nan, self.probs)

    variance = mean

    @property
    def mode(self):
        return self.probs.argmax(dim=-1)

    def sample(self, sample_shape=_t.Size()):
        """One multinomial call with replacement over all batch rows, as torch draws it."""
        sample_shape = _t.Size(sample_shape)
        probs_2d = self.probs.reshape(-1, self._num_events)
        with _t.no_grad():
            draws = _t.multinomial(probs_2d, sample_shape.numel(), True).T
        return draws.reshape(self._extended_shape(sample_shape))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        value, log_pmf = _t.broadcast_tensors(value.long().unsqueeze(-1), self.logits)
        return log_pmf.gather(-1, value[..., :1]).squeeze(-1)

    def entropy(self):
        logits = _t.clamp(self.logits, min=_t.finfo(self.logits.dtype).min)
        return -(logits * self.probs).sum(-1)

    def enumerate_support(self, expand=True):
        return self._enumerated(self._num_events, _t.long, expand)
