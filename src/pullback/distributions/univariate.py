"""Continuous univariate distributions: Normal, Uniform, Exponential, Laplace, LogNormal, Cauchy, Gumbel,
Gamma, Beta, StudentT."""
import math
import numbers

import numpy as _np

import pullback as _t

from . import constraints
from .distribution import Distribution, ExponentialFamily
from .utils import _finfo, _standard_normal, broadcast_all, euler_constant

__all__ = ["Normal", "Uniform", "Exponential", "Laplace", "LogNormal", "Cauchy", "Gumbel", "Gamma", "Chi2",
           "Beta", "StudentT"]


def _expand(self, cls, batch_shape, names, _instance):
    new = self._get_checked_instance(cls, _instance)
    batch_shape = _t.Size(batch_shape)
    for n in names:
        setattr(new, n, getattr(self, n).expand(batch_shape))
    Distribution.__init__(new, batch_shape, validate_args=False)
    new._validate_args = self._validate_args
    return new


def _shape_of(*values):
    return _t.Size() if all(isinstance(v, numbers.Number) for v in values) else None


def _rand(shape, dtype):
    return _t.rand(tuple(shape), dtype=dtype)


class Normal(ExponentialFamily):
    """A normal (Gaussian) distribution with mean ``loc`` and standard deviation ``scale``.

    Args:
        loc (float or Tensor): mean of the distribution.
        scale (float or Tensor): standard deviation of the distribution.

    Example::

        >>> m = Normal(pullback.tensor([0.0]), pullback.tensor([1.0]))
        >>> m.sample().shape
        pullback.Size([1])
    """

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True
    _mean_carrier_measure = 0

    def __init__(self, loc, scale, validate_args=None):
        self.loc, self.scale = broadcast_all(loc, scale)
        batch_shape = _shape_of(loc, scale)
        super().__init__(self.loc.shape if batch_shape is None else batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return _expand(self, Normal, batch_shape, ("loc", "scale"), _instance)

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @property
    def stddev(self):
        return self.scale

    @property
    def variance(self):
        return self.stddev.pow(2)

    def sample(self, sample_shape=_t.Size()):
        with _t.no_grad():
            return self.rsample(sample_shape)

    def rsample(self, sample_shape=_t.Size()):
        shape = self._extended_shape(sample_shape)
        eps = _standard_normal(shape, self.loc.dtype)
        return self.loc + eps * self.scale

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        var = self.scale ** 2
        log_scale = self.scale.log()
        return -((value - self.loc) ** 2) / (2 * var) - log_scale - math.log(math.sqrt(2 * math.pi))

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return 0.5 * (1 + _t.erf((value - self.loc) * self.scale.reciprocal() / math.sqrt(2)))

    def icdf(self, value):
        return self.loc + self.scale * _t.erfinv(2 * value - 1) * math.sqrt(2)

    def entropy(self):
        return 0.5 + 0.5 * math.log(2 * math.pi) + _t.log(self.scale)


class Uniform(Distribution):
    """Uniformly distributed samples from the half-open interval ``[low, high)``.

    Args:
        low (float or Tensor): lower range (inclusive).
        high (float or Tensor): upper range (exclusive).
    """

    has_rsample = True

    @property
    def arg_constraints(self):
        return {"low": constraints.less_than(self.high), "high": constraints.greater_than(self.low)}

    def __init__(self, low, high, validate_args=None):
        self.low, self.high = broadcast_all(low, high)
        batch_shape = _shape_of(low, high)
        super().__init__(self.low.shape if batch_shape is None else batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return _expand(self, Uniform, batch_shape, ("low", "high"), _instance)

    @property
    def mean(self):
        return (self.high + self.low) / 2

    @property
    def mode(self):
        return math.nan * self.high

    @property
    def stddev(self):
        return (self.high - self.low) / 12 ** 0.5

    @property
    def variance(self):
        return (self.high - self.low).pow(2) / 12

    @constraints.dependent_property(is_discrete=False, event_dim=0)
    def support(self):
        return constraints.interval(self.low, self.high)

    def rsample(self, sample_shape=_t.Size()):
        shape = self._extended_shape(sample_shape)
        rand = _rand(shape, self.low.dtype)
        return self.low + rand * (self.high - self.low)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        lb = self.low.le(value).type_as(self.low)
        ub = self.high.gt(value).type_as(self.low)
        return _t.log(lb.mul(ub)) - _t.log(self.high - self.low)

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        result = (value - self.low) / (self.high - self.low)
        return result.clamp(min=0, max=1)

    def icdf(self, value):
        return value * (self.high - self.low) + self.low

    def entropy(self):
        return _t.log(self.high - self.low)


class Exponential(ExponentialFamily):
    """An exponential distribution parameterized by ``rate``.

    Args:
        rate (float or Tensor): rate = 1 / scale of the distribution.
    """

    arg_constraints = {"rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True
    _mean_carrier_measure = 0

    def __init__(self, rate, validate_args=None):
        (self.rate,) = broadcast_all(rate)
        batch_shape = _t.Size() if isinstance(rate, numbers.Number) else self.rate.shape
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return _expand(self, Exponential, batch_shape, ("rate",), _instance)

    @property
    def mean(self):
        return self.rate.reciprocal()

    @property
    def mode(self):
        return _t.zeros_like(self.rate)

    @property
    def stddev(self):
        return self.rate.reciprocal()

    @property
    def variance(self):
        return self.rate.pow(-2)

    def rsample(self, sample_shape=_t.Size()):
        shape = self._extended_shape(sample_shape)
        u = _rand(shape, self.rate.dtype)
        return -_t.log1p(-u) / self.rate

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return self.rate.log() - self.rate * value

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return 1 - _t.exp(-self.rate * value)

    def icdf(self, value):
        return -_t.log1p(-value) / self.rate

    def entropy(self):
        return 1.0 - _t.log(self.rate)


class Laplace(Distribution):
    """A Laplace distribution parameterized by ``loc`` and ``scale``.

    Args:
        loc (float or Tensor): mean of the distribution.
        scale (float or Tensor): scale of the distribution.
    """

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None):
        self.loc, self.scale = broadcast_all(loc, scale)
        batch_shape = _shape_of(loc, scale)
        super().__init__(self.loc.shape if batch_shape is None else batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return _expand(self, Laplace, batch_shape, ("loc", "scale"), _instance)

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        return 2 * self.scale.pow(2)

    @property
    def stddev(self):
        return (2 ** 0.5) * self.scale

    def rsample(self, sample_shape=_t.Size()):
        shape = self._extended_shape(sample_shape)
        eps = float(_finfo(self.loc.dtype).eps)
        u = _rand(shape, self.loc.dtype) * (2 - eps) + (eps - 1)      # uniform on [eps - 1, 1)
        return self.loc - self.scale * u.sign() * _t.log1p(-u.abs())

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return -_t.log(2 * self.scale) - _t.abs(value - self.loc) / self.scale

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return 0.5 - 0.5 * (value - self.loc).sign() * _t.expm1(-(value - self.loc).abs() / self.scale)

    def icdf(self, value):
        term = value - 0.5
        return self.loc - self.scale * term.sign() * _t.log1p(-2 * term.abs())

    def entropy(self):
        return 1 + _t.log(2 * self.scale)


class LogNormal(Distribution):
    """A log-normal distribution: ``X ~ Normal(loc, scale)``, ``Y = exp(X) ~ LogNormal(loc, scale)``.

    Args:
        loc (float or Tensor): mean of log of distribution.
        scale (float or Tensor): standard deviation of log of the distribution.
    """

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.positive
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None):
        self.base_dist = Normal(loc, scale, validate_args=validate_args)
        super().__init__(self.base_dist.batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(LogNormal, _instance)
        new.base_dist = self.base_dist.expand(batch_shape)
        Distribution.__init__(new, _t.Size(batch_shape), validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def loc(self):
        return self.base_dist.loc

    @property
    def scale(self):
        return self.base_dist.scale

    @property
    def mean(self):
        return (self.loc + self.scale.pow(2) / 2).exp()

    @property
    def mode(self):
        return (self.loc - self.scale.square()).exp()

    @property
    def variance(self):
        scale_sq = self.scale.pow(2)
        return scale_sq.expm1() * (2 * self.loc + scale_sq).exp()

    def rsample(self, sample_shape=_t.Size()):
        return self.base_dist.rsample(sample_shape).exp()

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        y = value.log()
        return self.base_dist.log_prob(y) - y

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return self.base_dist.cdf(value.log())

    def icdf(self, value):
        return self.base_dist.icdf(value).exp()

    def entropy(self):
        return self.base_dist.entropy() + self.loc

    def __repr__(self):
        return "LogNormal()"


class Cauchy(Distribution):
    """A Cauchy (Lorentz) distribution.

    Args:
        loc (float or Tensor): mode or median of the distribution.
        scale (float or Tensor): half width at half maximum.
    """

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None):
        self.loc, self.scale = broadcast_all(loc, scale)
        batch_shape = _shape_of(loc, scale)
        super().__init__(self.loc.shape if batch_shape is None else batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return _expand(self, Cauchy, batch_shape, ("loc", "scale"), _instance)

    @property
    def mean(self):
        return _t.full(tuple(self._extended_shape()), math.nan, dtype=self.loc.dtype)

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        return _t.full(tuple(self._extended_shape()), math.inf, dtype=self.loc.dtype)

    def rsample(self, sample_shape=_t.Size()):
        shape = self._extended_shape(sample_shape)
        eps = _t.tan(math.pi * (_rand(shape, self.loc.dtype) - 0.5))
        return self.loc + eps * self.scale

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return -math.log(math.pi) - self.scale.log() - (((value - self.loc) / self.scale) ** 2).log1p()

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return _t.atan((value - self.loc) / self.scale) / math.pi + 0.5

    def icdf(self, value):
        return _t.tan(math.pi * (value - 0.5)) * self.scale + self.loc

    def entropy(self):
        return math.log(4 * math.pi) + self.scale.log()


class Gumbel(Distribution):
    """A Gumbel distribution.

    Args:
        loc (float or Tensor): location parameter of the distribution.
        scale (float or Tensor): scale parameter of the distribution.
    """

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None):
        self.loc, self.scale = broadcast_all(loc, scale)
        batch_shape = _shape_of(loc, scale)
        super().__init__(self.loc.shape if batch_shape is None else batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return _expand(self, Gumbel, batch_shape, ("loc", "scale"), _instance)

    @property
    def mean(self):
        return self.loc + self.scale * euler_constant

    @property
    def mode(self):
        return self.loc

    @property
    def stddev(self):
        return (math.pi / math.sqrt(6)) * self.scale

    @property
    def variance(self):
        return self.stddev.pow(2)

    def rsample(self, sample_shape=_t.Size()):
        shape = self._extended_shape(sample_shape)
        fi = _finfo(self.loc.dtype)
        u = (_rand(shape, self.loc.dtype) * (1 - float(fi.eps) - float(fi.tiny)) + float(fi.tiny))
        return self.loc - self.scale * _t.log(-_t.log(u))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        y = (self.loc - value) / self.scale
        return (y - y.exp()) - self.scale.log()

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return _t.exp(-_t.exp(-(value - self.loc) / self.scale))

    def icdf(self, value):
        return self.loc - self.scale * _t.log(-_t.log(value))

    def entropy(self):
        return self.scale.log() + (1 + euler_constant)


def _gamma_sample_grad(x, a):
    """d x / d alpha for x ~ Gamma(alpha, 1) by implicit differentiation of the CDF:
    ``-(dF/dalpha)(x; alpha) / f(x; alpha)``, dF/dalpha by a central difference of SciPy's gammainc."""
    import scipy.special as sc
    h = 1e-5 * _np.maximum(a, 1.0)
    h = _np.minimum(h, a / 2)
    dF = (sc.gammainc(a + h, x) - sc.gammainc(a - h, x)) / (2 * h)
    log_pdf = (a - 1) * _np.log(x) - x - sc.gammaln(a)
    with _np.errstate(over="ignore", invalid="ignore"):
        g = -dF / _np.exp(log_pdf)
    return _np.where(_np.isfinite(g), g, 0.0).astype(x.dtype)


def _make_standard_gamma():
    from ..autograd import Function

    class _StandardGamma(Function):
        @staticmethod
        def forward(ctx, concentration):
            from .._creation import _generator
            a = concentration.detach().numpy()
            x = _generator[0].standard_gamma(a).astype(a.dtype)
            x = _np.maximum(x, _np.finfo(a.dtype).tiny)
            ctx.dxda = _gamma_sample_grad(x.astype(_np.float64), a.astype(_np.float64)).astype(a.dtype)
            return _t.tensor(x)

        @staticmethod
        def backward(ctx, g):
            return g * _t.tensor(ctx.dxda)

    return _StandardGamma


def _make_gammainc():
    from ..autograd import Function

    class _GammaInc(Function):
        """The regularized lower incomplete gamma P(a, x) (torch.special.gammainc), differentiable in x
        (exactly) and in a (a central difference, where torch has no derivative)."""

        @staticmethod
        def forward(ctx, a, x):
            import scipy.special as sc
            an, xn = _np.broadcast_arrays(a.detach().numpy(), x.detach().numpy())
            a64, x64 = an.astype(_np.float64), _np.maximum(xn.astype(_np.float64), 0.0)
            out = sc.gammainc(a64, x64)
            ctx.meta = (a64, x64, an.dtype, a.shape, x.shape)
            return _t.tensor(_np.where(xn < 0, 0.0, out).astype(an.dtype))

        @staticmethod
        def backward(ctx, g):
            import scipy.special as sc
            a64, x64, dtype, a_shape, x_shape = ctx.meta
            with _np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                pdf = _np.exp(sc.xlogy(a64 - 1, x64) - x64 - sc.gammaln(a64))
                h = _np.minimum(1e-5 * _np.maximum(a64, 1.0), a64 / 2)
                dPda = (sc.gammainc(a64 + h, x64) - sc.gammainc(a64 - h, x64)) / (2 * h)
            ga = g * _t.tensor(_np.nan_to_num(dPda).astype(dtype))
            gx = g * _t.tensor(_np.nan_to_num(pdf).astype(dtype))
            return ga.sum_to_size(a_shape) if tuple(a_shape) != tuple(ga.shape) else ga, \
                gx.sum_to_size(x_shape) if tuple(x_shape) != tuple(gx.shape) else gx

    return _GammaInc


_GI = []


def _gammainc(a, x):
    if not _GI:
        _GI.append(_make_gammainc())
    return _GI[0].apply(a, x)


_SG = []


def _standard_gamma(concentration):
    """Gamma(concentration, 1) samples, reparameterized (implicit gradient, as torch's ``_standard_gamma``)."""
    if not _SG:
        _SG.append(_make_standard_gamma())
    return _SG[0].apply(concentration)


class Gamma(ExponentialFamily):
    """A Gamma distribution parameterized by shape ``concentration`` and ``rate``.

    Args:
        concentration (float or Tensor): shape parameter of the distribution (often alpha).
        rate (float or Tensor): rate parameter of the distribution (often beta), 1 / scale.
    """

    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True
    _mean_carrier_measure = 0

    def __init__(self, concentration, rate, validate_args=None):
        self.concentration, self.rate = broadcast_all(concentration, rate)
        batch_shape = _shape_of(concentration, rate)
        super().__init__(self.concentration.shape if batch_shape is None else batch_shape,
                         validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return _expand(self, Gamma, batch_shape, ("concentration", "rate"), _instance)

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
        shape = tuple(self._extended_shape(sample_shape))
        value = _standard_gamma(self.concentration.expand(shape)) / self.rate.expand(shape)
        return value.clamp(min=float(_finfo(value.dtype).tiny))

    def log_prob(self, value):
        value = _t.as_tensor(value, dtype=self.rate.dtype)
        if self._validate_args:
            self._validate_sample(value)
        return (_t.xlogy(self.concentration, self.rate) + _t.xlogy(self.concentration - 1, value)
                - self.rate * value - _t.lgamma(self.concentration))

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return _gammainc(self.concentration, self.rate * value)

    def entropy(self):
        return (self.concentration - _t.log(self.rate) + _t.lgamma(self.concentration)
                + (1.0 - self.concentration) * _t.digamma(self.concentration))


class Chi2(Gamma):
    """A Chi-squared distribution: ``Gamma(0.5 * df, 0.5)``.

    Args:
        df (float or Tensor): shape parameter of the distribution.
    """

    arg_constraints = {"df": constraints.positive}

    def __init__(self, df, validate_args=None):
        (df,) = broadcast_all(df)
        super().__init__(0.5 * df, 0.5 * _t.ones_like(df), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Chi2, _instance)
        return super().expand(batch_shape, new)

    @property
    def df(self):
        return self.concentration * 2


class Beta(ExponentialFamily):
    """A Beta distribution parameterized by ``concentration1`` and ``concentration0``.

    Args:
        concentration1 (float or Tensor): 1st concentration parameter of the distribution (alpha).
        concentration0 (float or Tensor): 2nd concentration parameter of the distribution (beta).
    """

    arg_constraints = {"concentration1": constraints.positive, "concentration0": constraints.positive}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, concentration1, concentration0, validate_args=None):
        from .multivariate import Dirichlet
        if isinstance(concentration1, numbers.Real) and isinstance(concentration0, numbers.Real):
            concentration1_concentration0 = _t.tensor([float(concentration1), float(concentration0)])
        else:
            concentration1, concentration0 = broadcast_all(concentration1, concentration0)
            concentration1_concentration0 = _t.stack([concentration1, concentration0], -1)
        self._dirichlet = Dirichlet(concentration1_concentration0, validate_args=validate_args)
        super().__init__(self._dirichlet._batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Beta, _instance)
        batch_shape = _t.Size(batch_shape)
        new._dirichlet = self._dirichlet.expand(batch_shape)
        Distribution.__init__(new, batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def mean(self):
        return self.concentration1 / (self.concentration1 + self.concentration0)

    @property
    def mode(self):
        return self._dirichlet.mode[..., 0]

    @property
    def variance(self):
        total = self.concentration1 + self.concentration0
        return self.concentration1 * self.concentration0 / (total.pow(2) * (total + 1))

    def rsample(self, sample_shape=()):
        return self._dirichlet.rsample(sample_shape)[..., 0]

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        heads_tails = _t.stack([value, 1.0 - value], -1)
        return self._dirichlet.log_prob(heads_tails)

    def entropy(self):
        return self._dirichlet.entropy()

    @property
    def concentration1(self):
        result = self._dirichlet.concentration[..., 0]
        return result

    @property
    def concentration0(self):
        return self._dirichlet.concentration[..., 1]

    def __repr__(self):
        return "Beta()"


class StudentT(Distribution):
    """A Student's t-distribution parameterized by degree of freedom ``df``, mean ``loc`` and ``scale``.

    Args:
        df (float or Tensor): degrees of freedom.
        loc (float or Tensor): mean of the distribution.
        scale (float or Tensor): scale of the distribution.
    """

    arg_constraints = {"df": constraints.positive, "loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, df, loc=0.0, scale=1.0, validate_args=None):
        self.df, self.loc, self.scale = broadcast_all(df, loc, scale)
        self._chi2 = Chi2(self.df)
        batch_shape = self.df.shape
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = _expand(self, StudentT, batch_shape, ("df", "loc", "scale"), _instance)
        new._chi2 = self._chi2.expand(_t.Size(batch_shape))
        return new

    @property
    def mean(self):
        return _t.where(self.df <= 1, math.nan, self.loc)

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        df = self.df
        m = _t.where(df > 2, self.scale.pow(2) * df / _t.where(df > 2, df - 2, 1.0), df * 0 + math.inf)
        return _t.where(df <= 1, math.nan, m)

    def rsample(self, sample_shape=_t.Size()):
        shape = self._extended_shape(sample_shape)
        X = _standard_normal(shape, self.df.dtype)
        Z = self._chi2.rsample(sample_shape)
        Y = X * _t.rsqrt(Z / self.df)
        return self.loc + self.scale * Y

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        y = (value - self.loc) / self.scale
        Z = (self.scale.log() + 0.5 * self.df.log() + 0.5 * math.log(math.pi)
             + _t.lgamma(0.5 * self.df) - _t.lgamma(0.5 * (self.df + 1.0)))
        return -0.5 * (self.df + 1.0) * _t.log1p(y ** 2.0 / self.df) - Z

    def entropy(self):
        lbeta = _t.lgamma(0.5 * self.df) + math.lgamma(0.5) - _t.lgamma(0.5 * (self.df + 1))
        return (self.scale.log() + 0.5 * (self.df + 1)
                * (_t.digamma(0.5 * (self.df + 1)) - _t.digamma(0.5 * self.df))
                + 0.5 * self.df.log() + lbeta)
