"""Invertible maps for TransformedDistribution (a subset of torch.distributions.transforms)."""
from __future__ import annotations

import math

import numtorch as _t

from . import constraints

__all__ = ["Transform", "AbsTransform", "ExpTransform", "AffineTransform", "SigmoidTransform", "ComposeTransform"]


class Transform:
    """y = f(x) with its inverse and log|det J|. With cache_size=1 the last (x, y) pair is kept, so
    inverting a value this transform produced returns the exact x (as torch does)."""
    bijective = False
    domain = constraints.real
    codomain = constraints.real
    sign = 1

    def __init__(self, cache_size=0):
        if cache_size not in (0, 1):
            raise ValueError("cache_size must be 0 or 1")
        self._cache_size = cache_size
        self._cached = (None, None)

    @property
    def event_dim(self):
        return self.domain.event_dim

    @property
    def inv(self):
        return _InverseTransform(self)

    def __call__(self, x):
        if self._cache_size and x is self._cached[0]:
            return self._cached[1]
        y = self._call(x)
        if self._cache_size:
            self._cached = (x, y)
        return y

    def _inv_call(self, y):
        if self._cache_size and y is self._cached[1]:
            return self._cached[0]
        x = self._inverse(y)
        if self._cache_size:
            self._cached = (x, y)
        return x

    def _call(self, x):
        raise NotImplementedError

    def _inverse(self, y):
        raise NotImplementedError

    def log_abs_det_jacobian(self, x, y):
        raise NotImplementedError

    def forward_shape(self, shape):
        return shape

    def inverse_shape(self, shape):
        return shape

    def __eq__(self, other):
        return self is other

    def __ne__(self, other):
        return not self.__eq__(other)

    def __repr__(self):
        return type(self).__name__ + "()"


class _InverseTransform(Transform):
    def __init__(self, transform):
        super().__init__(transform._cache_size)
        self._inv = transform

    domain = property(lambda self: self._inv.codomain)
    codomain = property(lambda self: self._inv.domain)
    sign = property(lambda self: self._inv.sign)

    @property
    def inv(self):
        return self._inv

    def __call__(self, x):
        return self._inv._inv_call(x)

    def log_abs_det_jacobian(self, x, y):
        return -self._inv.log_abs_det_jacobian(y, x)

    def __eq__(self, other):
        return isinstance(other, _InverseTransform) and self._inv == other._inv


class ExpTransform(Transform):
    domain = constraints.real
    codomain = constraints.positive
    bijective = True

    def __eq__(self, other):
        return isinstance(other, ExpTransform)

    def _call(self, x):
        return x.exp()

    def _inverse(self, y):
        return y.log()

    def log_abs_det_jacobian(self, x, y):
        return x


class SigmoidTransform(Transform):
    codomain = constraints.unit_interval
    bijective = True

    def __eq__(self, other):
        return isinstance(other, SigmoidTransform)

    def _call(self, x):
        finfo = _t.finfo(x.dtype)
        return _t.clamp(_t.sigmoid(x), min=finfo.tiny, max=1.0 - finfo.eps)

    def _inverse(self, y):
        finfo = _t.finfo(y.dtype)
        y = y.clamp(min=finfo.tiny, max=1.0 - finfo.eps)
        return y.log() - (-y).log1p()

    def log_abs_det_jacobian(self, x, y):
        return -_t.nn.functional.softplus(-x) - _t.nn.functional.softplus(x)


class AbsTransform(Transform):
    """y = |x|: not bijective; its `inverse` keeps y (the nonnegative branch)."""
    codomain = constraints.positive

    def __eq__(self, other):
        return isinstance(other, AbsTransform)

    def _call(self, x):
        return x.abs()

    def _inverse(self, y):
        return y


class AffineTransform(Transform):
    """y = loc + scale * x, elementwise (event_dim=0 only)."""
    bijective = True

    def __init__(self, loc, scale, event_dim=0, cache_size=0):
        if event_dim != 0:
            raise NotImplementedError("numtorch's AffineTransform supports event_dim=0 only")
        super().__init__(cache_size)
        self.loc, self.scale = loc, scale

    @property
    def sign(self):
        return self.scale.sign() if isinstance(self.scale, _t.Tensor) else math.copysign(1, self.scale)

    def __eq__(self, other):
        return isinstance(other, AffineTransform) and self.loc is other.loc and self.scale is other.scale

    def _call(self, x):
        return self.loc + self.scale * x

    def _inverse(self, y):
        return (y - self.loc) / self.scale

    def log_abs_det_jacobian(self, x, y):
        s = self.scale
        if isinstance(s, _t.Tensor):
            return s.abs().log().expand(_t.broadcast_shapes(x.shape, s.shape))
        return _t.full_like(x, math.log(abs(s)))

    def forward_shape(self, shape):
        return _t.broadcast_shapes(shape, getattr(self.loc, "shape", ()), getattr(self.scale, "shape", ()))

    inverse_shape = forward_shape


class ComposeTransform(Transform):
    """Transforms applied in order; all must be elementwise (event_dim 0) in numtorch."""

    def __init__(self, parts, cache_size=0):
        if any(p.domain.event_dim or p.codomain.event_dim for p in parts):
            raise NotImplementedError("numtorch's ComposeTransform supports elementwise transforms only")
        super().__init__(cache_size)
        self.parts = list(parts)

    @property
    def domain(self):
        return self.parts[0].domain if self.parts else constraints.real

    @property
    def codomain(self):
        return self.parts[-1].codomain if self.parts else constraints.real

    def __eq__(self, other):
        return isinstance(other, ComposeTransform) and self.parts == other.parts

    def _call(self, x):
        for p in self.parts:
            x = p(x)
        return x

    def _inverse(self, y):
        for p in reversed(self.parts):
            y = p.inv(y)
        return y

    def log_abs_det_jacobian(self, x, y):
        total = _t.zeros_like(x)
        for p in self.parts:
            y = p(x)
            total = total + p.log_abs_det_jacobian(x, y)
            x = y
        return total

    def forward_shape(self, shape):
        for p in self.parts:
            shape = p.forward_shape(shape)
        return shape

    def inverse_shape(self, shape):
        for p in reversed(self.parts):
            shape = p.inverse_shape(shape)
        return shape
