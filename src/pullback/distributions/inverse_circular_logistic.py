"""InverseGamma, VonMises, OneHotCategoricalStraightThrough."""
import math

import numpy as _np

import pullback as _t

from . import constraints
from .discrete import OneHotCategorical
from .distribution import Distribution
from .transforms import PowerTransform, TransformedDistribution
from .univariate import Gamma
from .utils import broadcast_all, lazy_property

__all__ = ["InverseGamma", "VonMises", "OneHotCategoricalStraightThrough"]


class InverseGamma(TransformedDistribution):
    """An inverse gamma distribution: ``1 / X`` for ``X ~ Gamma(concentration, rate)``.

    Args:
        concentration (float or Tensor): shape parameter of the distribution (often alpha).
        rate (float or Tensor): rate = 1 / scale of the distribution (often beta).
    """

    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.positive
    has_rsample = True

    def __init__(self, concentration, rate, validate_args=None):
        base_dist = Gamma(concentration, rate, validate_args=validate_args)
        neg_one = -_t.ones((), dtype=base_dist.rate.dtype)
        super().__init__(base_dist, PowerTransform(neg_one), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(InverseGamma, _instance)
        return TransformedDistribution.expand(self, batch_shape, _instance=new)

    @property
    def concentration(self):
        return self.base_dist.concentration

    @property
    def rate(self):
        return self.base_dist.rate

    @property
    def mean(self):
        result = self.rate / (self.concentration - 1)
        return _t.where(self.concentration > 1, result, math.inf)

    @property
    def mode(self):
        return self.rate / (self.concentration + 1)

    @property
    def variance(self):
        result = self.rate.square() / ((self.concentration - 1).square() * (self.concentration - 2))
        return _t.where(self.concentration > 2, result, math.inf)

    def entropy(self):
        return (self.concentration + self.rate.log() + self.concentration.lgamma()
                - (1 + self.concentration) * self.concentration.digamma())

    def __repr__(self):
        return Distribution.__repr__(self)


def _log_i(x, order):
    """log I_order(x) for x > 0, from pullback's exponentially scaled Bessel functions."""
    import pullback.special as S
    return (S.i0e(x) if order == 0 else S.i1e(x)).log() + x


def _rejection_sample(loc, concentration, proposal_r, shape):
    """Best & Fisher (1979) on arrays, in double precision."""
    from .._creation import _generator
    rng = _generator[0]
    loc, conc, r = (_np.broadcast_to(a, shape) for a in (loc, concentration, proposal_r))
    x = _np.empty(shape)
    done = _np.zeros(shape, dtype=bool)
    while not done.all():
        u = rng.random((3,) + tuple(shape))
        u1, u2, u3 = u
        z = _np.cos(math.pi * u1)
        f = (1 + r * z) / (r + z)
        c = conc * (r - f)
        accept = ((c * (2 - c) - u2) > 0) | ((_np.log(c / u2) + 1 - c) >= 0)
        new = accept & ~done
        if new.any():
            value = _np.sign(u3 - 0.5) * _np.arccos(f)
            x[new] = value[new]
            done |= accept
    return (x + math.pi + loc) % (2 * math.pi) - math.pi


class VonMises(Distribution):
    """A circular von Mises distribution.

    Args:
        loc (Tensor): an angle in radians.
        concentration (Tensor): concentration parameter.
    """

    arg_constraints = {"loc": constraints.real, "concentration": constraints.positive}
    support = constraints.real
    has_rsample = False

    def __init__(self, loc, concentration, validate_args=None):
        self.loc, self.concentration = broadcast_all(loc, concentration)
        super().__init__(self.loc.shape, _t.Size(), validate_args)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        log_prob = self.concentration * _t.cos(value - self.loc)
        return log_prob - math.log(2 * math.pi) - _log_i(self.concentration, 0)

    def sample(self, sample_shape=_t.Size()):
        shape = tuple(self._extended_shape(sample_shape))
        kappa = self.concentration.detach().numpy().astype(_np.float64)
        tau = 1 + _np.sqrt(1 + 4 * kappa ** 2)
        with _np.errstate(divide="ignore", invalid="ignore"):
            rho = (tau - _np.sqrt(2 * tau)) / (2 * kappa)
            r = _np.where(kappa < 1e-5, 1 / kappa + kappa, (1 + rho ** 2) / (2 * rho))
        x = _rejection_sample(self.loc.detach().numpy().astype(_np.float64), kappa, r, shape)
        return _t.tensor(x.astype(self.loc.detach().numpy().dtype))

    def expand(self, batch_shape, _instance=None):
        validate_args = self.__dict__.get("_validate_args")
        batch_shape = tuple(batch_shape)
        return type(self)(self.loc.expand(batch_shape), self.concentration.expand(batch_shape),
                          validate_args=validate_args)

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @lazy_property
    def variance(self):
        return 1 - (_log_i(self.concentration, 1) - _log_i(self.concentration, 0)).exp()


class OneHotCategoricalStraightThrough(OneHotCategorical):
    """OneHotCategorical whose ``rsample`` passes gradients straight through to ``probs``."""

    has_rsample = True

    def rsample(self, sample_shape=_t.Size()):
        samples = self.sample(sample_shape)
        probs = self._categorical.probs
        return samples + (probs - probs.detach())

    def __repr__(self):
        return "OneHotCategoricalStraightThrough()"


class LogisticNormal(TransformedDistribution):
    """A logistic-normal distribution: ``StickBreakingTransform`` applied to ``Normal(loc, scale)``.

    Args:
        loc (float or Tensor): mean of the base distribution.
        scale (float or Tensor): standard deviation of the base distribution.
    """

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None):
        from .transforms import StickBreakingTransform
        from .univariate import Normal
        base_dist = Normal(loc, scale, validate_args=validate_args)
        if not base_dist.batch_shape:
            base_dist = base_dist.expand([1])
        super().__init__(base_dist, StickBreakingTransform(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(LogisticNormal, _instance)
        return TransformedDistribution.expand(self, batch_shape, _instance=new)

    @property
    def loc(self):
        return self.base_dist.base_dist.loc

    @property
    def scale(self):
        return self.base_dist.base_dist.scale

    def __repr__(self):
        return Distribution.__repr__(self)
