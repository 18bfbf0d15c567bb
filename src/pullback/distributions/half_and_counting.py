"""Geometric, HalfNormal, HalfCauchy, Multinomial."""
import math
import numbers

import pullback as _t

from . import constraints
from .discrete import Binomial, Categorical, _bce_with_logits
from .distribution import Distribution
from .univariate import Cauchy, Normal
from .utils import _finfo, broadcast_all, lazy_property, logits_to_probs, probs_to_logits

__all__ = ["Geometric", "HalfNormal", "HalfCauchy", "Multinomial"]


class Geometric(Distribution):
    """A Geometric distribution: the number of failures before the first success in Bernoulli trials
    with success probability ``probs``.

    Args:
        probs (Number or Tensor): the probability of sampling `1`; must be in (0, 1].
        logits (Number or Tensor): the log-odds of sampling `1`.
    """

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.nonnegative_integer

    def __init__(self, probs=None, logits=None, validate_args=None):
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        if probs is not None:
            (self.probs,) = broadcast_all(probs)
        else:
            (self.logits,) = broadcast_all(logits)
        given = probs if probs is not None else logits
        batch_shape = _t.Size() if isinstance(given, numbers.Number) else given.shape
        super().__init__(batch_shape, validate_args=validate_args)
        if self._validate_args and probs is not None:
            value = self.probs
            valid = value > 0
            if not bool(valid.all()):
                invalid_value = value.detach()[~valid]
                raise ValueError("Expected parameter probs "
                                 f"({type(value).__name__} of shape {tuple(value.shape)}) "
                                 f"of distribution {repr(self)} "
                                 f"to be positive but found invalid values:\n{invalid_value}")

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Geometric, _instance)
        batch_shape = _t.Size(batch_shape)
        if "probs" in self.__dict__:
            new.probs = self.probs.expand(batch_shape)
        if "logits" in self.__dict__:
            new.logits = self.logits.expand(batch_shape)
        Distribution.__init__(new, batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def mean(self):
        return 1.0 / self.probs - 1.0

    @property
    def mode(self):
        return _t.zeros_like(self.probs)

    @property
    def variance(self):
        return (1.0 / self.probs - 1.0) / self.probs

    @lazy_property
    def logits(self):
        return probs_to_logits(self.probs, is_binary=True)

    @lazy_property
    def probs(self):
        return logits_to_probs(self.logits, is_binary=True)

    def sample(self, sample_shape=_t.Size()):
        shape = tuple(self._extended_shape(sample_shape))
        tiny = float(_finfo(self.probs.dtype).tiny)
        with _t.no_grad():
            u = _t.rand(shape, dtype=self.probs.dtype).clamp(min=tiny)
            return (u.log() / (-self.probs).log1p()).floor()

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        value, probs = broadcast_all(value, self.probs)
        probs = _t.where((probs == 1) & (value == 0), 0.0, probs)
        return value * (-probs).log1p() + self.probs.log()

    def entropy(self):
        return _bce_with_logits(self.logits, self.probs) / self.probs


class HalfNormal(Distribution):
    """A half-normal distribution: ``|X|`` for ``X ~ Normal(0, scale)``.

    Args:
        scale (float or Tensor): scale of the full Normal distribution.
    """

    arg_constraints = {"scale": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, scale, validate_args=None):
        self.base_dist = Normal(0, scale, validate_args=False)
        super().__init__(self.base_dist.batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(type(self), _instance)
        new.base_dist = self.base_dist.expand(batch_shape)
        Distribution.__init__(new, _t.Size(batch_shape), validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def scale(self):
        return self.base_dist.scale

    @property
    def mean(self):
        return self.scale * math.sqrt(2 / math.pi)

    @property
    def mode(self):
        return _t.zeros_like(self.scale)

    @property
    def variance(self):
        return self.scale.pow(2) * (1 - 2 / math.pi)

    def rsample(self, sample_shape=_t.Size()):
        return self.base_dist.rsample(sample_shape).abs()

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        log_prob = self.base_dist.log_prob(value) + math.log(2)
        return _t.where(value >= 0, log_prob, -math.inf)

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return 2 * self.base_dist.cdf(value) - 1

    def icdf(self, prob):
        return self.base_dist.icdf((prob + 1) / 2)

    def entropy(self):
        return self.base_dist.entropy() - math.log(2)

    def __repr__(self):
        return f"{type(self).__name__}()"


class HalfCauchy(HalfNormal):
    """A half-Cauchy distribution: ``|X|`` for ``X ~ Cauchy(0, scale)``.

    Args:
        scale (float or Tensor): scale of the full Cauchy distribution.
    """

    def __init__(self, scale, validate_args=None):
        self.base_dist = Cauchy(0, scale, validate_args=False)
        Distribution.__init__(self, self.base_dist.batch_shape, validate_args=validate_args)

    @property
    def mean(self):
        return _t.full(tuple(self._extended_shape()), math.inf, dtype=self.scale.dtype)

    @property
    def variance(self):
        return self.base_dist.variance

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        value = _t.as_tensor(value, dtype=self.base_dist.scale.dtype)
        log_prob = self.base_dist.log_prob(value) + math.log(2)
        return _t.where(value >= 0, log_prob, -math.inf)


class _MultinomialSupport(constraints.Constraint):
    is_discrete = True
    event_dim = 1

    def __init__(self, upper_bound):
        self.upper_bound = upper_bound

    def check(self, x):
        v = constraints._arr(x)
        return constraints._bool((v >= 0).all(-1) & (v.sum(-1) <= self.upper_bound))

    def __repr__(self):
        return "Multinomial()"


class Multinomial(Distribution):
    """A Multinomial distribution parameterized by ``total_count`` and either ``probs`` or ``logits``.

    Args:
        total_count (int): number of trials.
        probs (Tensor): event probabilities.
        logits (Tensor): event log probabilities (unnormalized).
    """

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}

    def __init__(self, total_count=1, probs=None, logits=None, validate_args=None):
        if not isinstance(total_count, int):
            raise NotImplementedError("inhomogeneous total_count is not supported")
        self.total_count = total_count
        self._categorical = Categorical(probs=probs, logits=logits)
        self._binomial = Binomial(total_count=total_count, probs=self.probs)
        batch_shape = self._categorical.batch_shape
        event_shape = self._categorical.param_shape[-1:]
        super().__init__(batch_shape, event_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Multinomial, _instance)
        batch_shape = _t.Size(batch_shape)
        new.total_count = self.total_count
        new._categorical = self._categorical.expand(batch_shape)
        new._binomial = Binomial(total_count=self.total_count, probs=new._categorical.probs)
        Distribution.__init__(new, batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @constraints.dependent_property(is_discrete=True, event_dim=1)
    def support(self):
        return _MultinomialSupport(self.total_count)

    @property
    def logits(self):
        return self._categorical.logits

    @property
    def probs(self):
        return self._categorical.probs

    @property
    def param_shape(self):
        return self._categorical.param_shape

    @property
    def mean(self):
        return self.probs * self.total_count

    @property
    def variance(self):
        return self.total_count * self.probs * (1 - self.probs)

    def sample(self, sample_shape=_t.Size()):
        import pullback.nn.functional as F
        sample_shape = _t.Size(sample_shape)
        k = self._categorical._num_events
        samples = self._categorical.sample(_t.Size((self.total_count,)) + sample_shape)
        counts = F.one_hot(samples, k).sum(0) if self.total_count else \
            _t.zeros(tuple(self._extended_shape(sample_shape)), dtype=_t.int64)
        return counts.to(self.probs.dtype)

    def entropy(self):
        n = _t.tensor(self.total_count)           # int64: lgamma(n + 1) in the default dtype, as torch's
        cat_entropy = self._categorical.entropy()
        term1 = n * cat_entropy - _t.lgamma(n + 1)
        support = self._binomial.enumerate_support(expand=False)[1:]
        binomial_probs = _t.exp(self._binomial.log_prob(support))
        weights = _t.lgamma(support + 1)
        term2 = (binomial_probs * weights).sum((0, -1))
        return term1 + term2

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        log_factorial_n = _t.lgamma(value.sum(-1) + 1)
        log_factorial_xs = _t.lgamma(value + 1).sum(-1)
        logits = _t.where((value == 0) & (logits == -math.inf), 0.0, logits)
        log_powers = (logits * value).sum(-1)
        return log_factorial_n - log_factorial_xs + log_powers

    def __repr__(self):
        return "Multinomial()"
