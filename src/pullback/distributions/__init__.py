"""pullback.distributions: probability distributions, as ``torch.distributions``.

Parameters are pullback Tensors, so gradients flow through ``log_prob``, ``entropy``, ``cdf`` and the
reparameterized ``rsample`` (where torch's is reparameterized) to the parameters.
"""
from . import constraints
from .discrete import Bernoulli, Binomial, Categorical, OneHotCategorical, Poisson
from .distribution import Distribution, ExponentialFamily
from .extra2 import NegativeBinomial, Pareto, RelaxedBernoulli, RelaxedOneHotCategorical, Weibull
from .extra3 import FisherSnedecor, Kumaraswamy, LowRankMultivariateNormal
from .extra4 import InverseGamma, LogisticNormal, OneHotCategoricalStraightThrough, VonMises
from .constraint_registry import biject_to, transform_to
from .extra import Geometric, HalfCauchy, HalfNormal, Multinomial
from .kl import kl_divergence, register_kl
from .mixture import MixtureSameFamily
from .multivariate import Dirichlet, Independent, MultivariateNormal
from . import transforms
from .transforms import (AbsTransform, AffineTransform, ComposeTransform, ExpTransform, PowerTransform,
                         IndependentTransform, LowerCholeskyTransform, SoftmaxTransform, StickBreakingTransform,
                         SigmoidTransform, SoftplusTransform, TanhTransform, Transform, TransformedDistribution,
                         identity_transform)
from .univariate import Beta, Cauchy, Chi2, Exponential, Gamma, Gumbel, Laplace, LogNormal, Normal, StudentT, Uniform

__all__ = [
    "NegativeBinomial", "Pareto", "RelaxedBernoulli", "FisherSnedecor", "Kumaraswamy", "LowRankMultivariateNormal",
    "InverseGamma", "OneHotCategoricalStraightThrough", "VonMises", "LogisticNormal", "biject_to", "transform_to",
    "IndependentTransform", "LowerCholeskyTransform", "SoftmaxTransform", "StickBreakingTransform",
    "RelaxedOneHotCategorical", "Weibull",
    "AbsTransform", "AffineTransform", "ComposeTransform", "ExpTransform", "PowerTransform", "SigmoidTransform",
    "SoftplusTransform", "TanhTransform", "Transform", "identity_transform",
    "Bernoulli", "Beta", "Binomial", "Categorical", "Cauchy", "Chi2", "Dirichlet", "Distribution",
    "Exponential", "ExponentialFamily", "Gamma", "Geometric", "Gumbel", "HalfCauchy", "HalfNormal", "Independent", "Laplace", "LogNormal",
    "MixtureSameFamily", "Multinomial", "MultivariateNormal", "Normal", "OneHotCategorical", "Poisson", "StudentT", "TransformedDistribution", "Uniform", "constraints",
    "kl_divergence", "register_kl", "transforms",
]
