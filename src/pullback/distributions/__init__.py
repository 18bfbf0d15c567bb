"""pullback.distributions: probability distributions, as ``torch.distributions``.

Parameters are pullback Tensors, so gradients flow through ``log_prob``, ``entropy``, ``cdf`` and the
reparameterized ``rsample`` (where torch's is reparameterized) to the parameters.
"""
from . import constraints
from .discrete import Bernoulli, Binomial, Categorical, OneHotCategorical, Poisson
from .distribution import Distribution, ExponentialFamily
from .relaxed_and_heavy_tailed import (NegativeBinomial, Pareto, RelaxedBernoulli, RelaxedOneHotCategorical,
                                       Weibull)
from .ratio_and_low_rank import FisherSnedecor, Kumaraswamy, LowRankMultivariateNormal
from .inverse_circular_logistic import (InverseGamma, LogisticNormal, OneHotCategoricalStraightThrough,
                                        VonMises)
from .constraint_registry import biject_to, transform_to
from .half_and_counting import Geometric, HalfCauchy, HalfNormal, Multinomial
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
    from . import discrete, distribution as _distribution, mixture, multivariate, univariate
    from . import half_and_counting as hc, relaxed_and_heavy_tailed as rh, ratio_and_low_rank as rl
    from . import inverse_circular_logistic as ic
    layout = {
        "bernoulli": discrete, "binomial": discrete, "categorical": discrete, "one_hot_categorical": discrete,
        "poisson": discrete, "multinomial": hc, "geometric": hc, "half_normal": hc, "half_cauchy": hc,
        "normal": univariate, "uniform": univariate, "exponential": univariate, "laplace": univariate,
        "log_normal": univariate, "cauchy": univariate, "gumbel": univariate, "gamma": univariate,
        "chi2": univariate, "beta": univariate, "studentT": univariate, "dirichlet": multivariate,
        "independent": multivariate, "multivariate_normal": multivariate, "mixture_same_family": mixture,
        "negative_binomial": rh, "weibull": rh, "pareto": rh, "relaxed_bernoulli": rh, "relaxed_categorical": rh,
        "kumaraswamy": rl, "fishersnedecor": rl, "lowrank_multivariate_normal": rl, "inverse_gamma": ic,
        "von_mises": ic, "logistic_normal": ic, "exp_family": _distribution, "transformed_distribution": transforms,
    }
    for name, module in layout.items():
        sys.modules.setdefault(f"{__name__}.{name}", module)


_alias_torch_module_names()
