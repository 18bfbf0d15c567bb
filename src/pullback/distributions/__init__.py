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


def _alias_torch_module_names():
    """``from pullback.distributions.normal import Normal`` as torch's module layout allows."""
    import sys
    from . import discrete, distribution as _distribution, extra, extra2, extra3, extra4, mixture, multivariate
    from . import univariate
    layout = {
        "bernoulli": discrete, "binomial": discrete, "categorical": discrete, "one_hot_categorical": discrete,
        "poisson": discrete, "multinomial": extra, "geometric": extra, "half_normal": extra, "half_cauchy": extra,
        "normal": univariate, "uniform": univariate, "exponential": univariate, "laplace": univariate,
        "log_normal": univariate, "cauchy": univariate, "gumbel": univariate, "gamma": univariate,
        "chi2": univariate, "beta": univariate, "studentT": univariate, "dirichlet": multivariate,
        "independent": multivariate, "multivariate_normal": multivariate, "mixture_same_family": mixture,
        "negative_binomial": extra2, "weibull": extra2, "pareto": extra2, "relaxed_bernoulli": extra2,
        "relaxed_categorical": extra2, "kumaraswamy": extra3, "fishersnedecor": extra3,
        "lowrank_multivariate_normal": extra3, "inverse_gamma": extra4, "von_mises": extra4,
        "logistic_normal": extra4, "exp_family": _distribution, "transformed_distribution": transforms,
    }
    for name, module in layout.items():
        sys.modules.setdefault(f"{__name__}.{name}", module)


_alias_torch_module_names()
