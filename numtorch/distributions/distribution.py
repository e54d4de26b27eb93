"""The Distribution base class: shapes, argument validation and the default methods."""
from __future__ import annotations

import warnings

import numtorch as _t

from . import constraints
from .utils import _Number, broadcast_all, lazy_property

__all__ = ["Distribution"]


def _invalid(what, value, expectation):
    return (f"Expected {what} ({type(value).__name__} of shape {tuple(value.shape)}) {expectation}, "
            f"but found invalid values:\n{value}")


class Distribution:
    has_rsample = False
    has_enumerate_support = False
    _validate_args = __debug__

    @staticmethod
    def set_default_validate_args(value: bool) -> None:
        if value not in [True, False]:
            raise ValueError
        Distribution._validate_args = value

    def __init__(self, batch_shape=_t.Size(), event_shape=_t.Size(), validate_args=None):
        self._batch_shape = batch_shape
        self._event_shape = event_shape
        if validate_args is not None:
            self._validate_args = validate_args
        if self._validate_args:
            self._check_args()

    def _check_args(self):
        try:
            arg_constraints = self.arg_constraints
        except NotImplementedError:
            arg_constraints = {}
            warnings.warn(f"{self.__class__} does not define `arg_constraints`. "
                          "Please set `arg_constraints = {}` or initialize the distribution "
                          "with `validate_args=False` to turn off validation.", stacklevel=3)
        for param, constraint in arg_constraints.items():
            if constraints.is_dependent(constraint):
                continue
            if param not in self.__dict__ and isinstance(getattr(type(self), param, None), lazy_property):
                continue  # the other parameterization was given; this one is derived from it
            value = getattr(self, param)
            if not constraint.check(value).all():
                raise ValueError(_invalid(f"parameter {param}", value,
                                          f"of distribution {self!r} to satisfy the constraint {constraint!r}"))

    def expand(self, batch_shape, _instance=None):
        raise NotImplementedError

    @property
    def batch_shape(self):
        return self._batch_shape

    @property
    def event_shape(self):
        return self._event_shape

    @property
    def arg_constraints(self):
        raise NotImplementedError

    @property
    def support(self):
        raise NotImplementedError

    @property
    def mean(self):
        raise NotImplementedError

    @property
    def mode(self):
        raise NotImplementedError(f"{self.__class__} does not implement mode")

    @property
    def variance(self):
        raise NotImplementedError

    @property
    def stddev(self):
        return self.variance.sqrt()

    def sample(self, sample_shape=_t.Size()):
        with _t.no_grad():
            return self.rsample(sample_shape)

    def rsample(self, sample_shape=_t.Size()):
        raise NotImplementedError

    def sample_n(self, n: int):
        warnings.warn("`sample_n(n)` will be deprecated. Use `sample((n,))` instead.", FutureWarning,
                      stacklevel=2)
        return self.sample(_t.Size((n,)))

    def log_prob(self, value):
        raise NotImplementedError

    def cdf(self, value):
        raise NotImplementedError

    def icdf(self, value):
        raise NotImplementedError

    def enumerate_support(self, expand=True):
        raise NotImplementedError

    def entropy(self):
        raise NotImplementedError

    def perplexity(self):
        return _t.exp(self.entropy())

    def _enumerated(self, count: int, dtype, expand: bool):
        """0, ..., count-1 along a new first dim, shaped to broadcast with the batch (enumerate_support)."""
        values = _t.arange(count, dtype=dtype).view((-1,) + (1,) * len(self._batch_shape))
        return values.expand((-1,) + tuple(self._batch_shape)) if expand else values

    def _filled(self, value: float, like):
        """A batch-shaped tensor of one value (a moment that is undefined or infinite)."""
        return _t.full(self._extended_shape(), value, dtype=like.dtype)

    def _extended_shape(self, sample_shape=_t.Size()):
        return _t.Size(tuple(sample_shape) + tuple(self._batch_shape) + tuple(self._event_shape))

    def _validate_sample(self, value):
        if not isinstance(value, _t.Tensor):
            raise ValueError("The value argument to log_prob must be a Tensor")
        start = value.dim() - len(self._event_shape)
        if value.size()[start:] != self._event_shape:
            raise ValueError(f"The right-most size of value must match event_shape: "
                             f"{value.size()} vs {self._event_shape}.")
        actual, expected = value.size(), self._batch_shape + self._event_shape
        for i, j in zip(reversed(actual), reversed(expected)):
            if i != 1 and j != 1 and i != j:
                raise ValueError(f"Value is not broadcastable with batch_shape+event_shape: "
                                 f"{actual} vs {expected}.")
        try:
            support = self.support
        except NotImplementedError:
            warnings.warn(f"{self.__class__} does not define `support` to enable sample validation. "
                          "Please initialize the distribution with `validate_args=False` to turn off "
                          "validation.", stacklevel=3)
            return
        if not support.check(value).all():
            raise ValueError(_invalid("value argument", value,
                                      f"to be within the support ({support!r}) of the distribution {self!r}"))

    def _get_checked_instance(self, cls, _instance=None):
        if _instance is None and type(self).__init__ != cls.__init__:
            raise NotImplementedError(
                f"Subclass {self.__class__.__name__} of {cls.__name__} that defines a custom __init__ "
                "method must also define a custom .expand() method.")
        return self.__new__(type(self)) if _instance is None else _instance

    def _init_broadcast(self, names, values, validate_args):
        """Store broadcast parameters; the batch shape is () when all of them were numbers."""
        tensors = broadcast_all(*values)
        for n, v in zip(names, tensors):
            setattr(self, n, v)
        scalar = all(isinstance(v, _Number) for v in values)
        Distribution.__init__(self, _t.Size() if scalar else tensors[0].size(), validate_args=validate_args)

    def _expand_attrs(self, cls, batch_shape, _instance, names, suffix=()):
        """expand for distributions whose state is tensors of shape batch_shape + suffix."""
        new = self._get_checked_instance(cls, _instance)
        batch_shape = _t.Size(batch_shape)
        for n in names:
            if n in self.__dict__:
                setattr(new, n, self.__dict__[n].expand(batch_shape + tuple(suffix)))
        return self._finish_expand(new, cls, batch_shape)

    def _finish_expand(self, new, cls, batch_shape):
        """The tail every expand shares: shapes set without re-validation, the flag carried over."""
        super(cls, new).__init__(batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def __repr__(self):
        names = [k for k in self.arg_constraints if k in self.__dict__]
        args = ", ".join(f"{p}: {self.__dict__[p] if self.__dict__[p].numel() == 1 else self.__dict__[p].size()}"
                         for p in names)
        return f"{type(self).__name__}({args})"


class _LocIsMean:
    """Families whose mean and mode are their `loc` (Normal, Laplace, MultivariateNormal)."""
    mean = property(lambda self: self.loc)
    mode = mean


class _LocScale(_LocIsMean):
    """(loc, scale) families on the real line: broadcast parameters and their expand. Listed before
    the family's base class, so expand's `super(_LocScale, new).__init__` reaches Distribution's."""
    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None):
        self._init_broadcast(("loc", "scale"), (loc, scale), validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_attrs(_LocScale, batch_shape, _instance, ("loc", "scale"))
