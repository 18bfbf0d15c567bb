"""pullback.distributions against torch.distributions: values, gradients, shapes, errors."""
import math

import numpy as np
import pytest

import pullback
import pullback.distributions as D

torch = pytest.importorskip("torch")  # the oracle: every value here is torch's
import torch.distributions as TD  # noqa: E402

RNG = np.random.default_rng(0)
N = (2, 3)


def pos(shape=N, lo=0.5, hi=2.5):
    return RNG.uniform(lo, hi, shape)


def real(shape=N):
    return RNG.normal(size=shape)


def unit(shape=N):
    return RNG.uniform(0.05, 0.95, shape)


def spd(n=3, batch=()):
    a = RNG.normal(size=batch + (n, n))
    return a @ np.swapaxes(a, -1, -2) + n * np.eye(n)


def simplex(shape=N):
    x = RNG.uniform(0.1, 1.0, shape)
    return x / x.sum(-1, keepdims=True)


def tril(n=3, batch=()):
    return np.linalg.cholesky(spd(n, batch))


# name, parameters (keyword -> numpy array), a value generator, which of cdf/icdf to compare
CASES = [
    ("Normal", dict(loc=real(), scale=pos()), lambda: real(), ("cdf", "icdf")),
    ("Bernoulli", dict(probs=unit()), lambda: RNG.integers(0, 2, N).astype(float), ()),
    ("Bernoulli", dict(logits=real()), lambda: RNG.integers(0, 2, N).astype(float), ()),
    ("Categorical", dict(probs=simplex((2, 4))), lambda: RNG.integers(0, 4, (2,)), ()),
    ("Categorical", dict(logits=real((3, 5))), lambda: RNG.integers(0, 5, (4, 3)), ()),
    ("Uniform", dict(low=RNG.uniform(-2, -0.5, N), high=RNG.uniform(1, 3, N)), lambda: RNG.uniform(-0.4, 0.9, N),
     ("cdf", "icdf")),
    ("Exponential", dict(rate=pos()), lambda: pos(), ("cdf", "icdf")),
    ("Laplace", dict(loc=real(), scale=pos()), lambda: real(), ("cdf", "icdf")),
    ("LogNormal", dict(loc=real(), scale=pos()), lambda: pos(), ("cdf", "icdf")),
    ("Cauchy", dict(loc=real(), scale=pos()), lambda: real(), ("cdf", "icdf")),
    ("Gumbel", dict(loc=real(), scale=pos()), lambda: real(), ("cdf", "icdf")),
    ("MultivariateNormal", dict(loc=real((2, 3)), covariance_matrix=spd(3, (2,))), lambda: real((4, 2, 3)), ()),
    ("MultivariateNormal", dict(loc=real((3,)), precision_matrix=spd(3)), lambda: real((2, 3)), ()),
    ("MultivariateNormal", dict(loc=real((2, 3)), scale_tril=tril(3)), lambda: real((2, 3)), ()),
    ("OneHotCategorical", dict(probs=simplex((2, 4))),
     lambda: np.eye(4)[RNG.integers(0, 4, (3, 2))], ()),
    ("Beta", dict(concentration1=pos(), concentration0=pos()), lambda: unit(), ()),
    ("Gamma", dict(concentration=pos(), rate=pos()), lambda: pos(), ()),
    ("Chi2", dict(df=pos()), lambda: pos(), ()),
    ("Dirichlet", dict(concentration=pos((2, 4))), lambda: simplex((2, 4)), ()),
    ("Poisson", dict(rate=pos()), lambda: RNG.integers(0, 6, N).astype(float), ()),
    ("Binomial", dict(total_count=np.full(N, 7.0), probs=unit()), lambda: RNG.integers(0, 8, N).astype(float), ()),
    ("Binomial", dict(total_count=np.full(N, 5.0), logits=real()), lambda: RNG.integers(0, 6, N).astype(float), ()),
    ("StudentT", dict(df=pos(lo=2.5, hi=5), loc=real(), scale=pos()), lambda: real(), ()),
    ("Geometric", dict(probs=unit()), lambda: RNG.integers(0, 6, N).astype(float), ()),
    ("Geometric", dict(logits=real()), lambda: RNG.integers(0, 6, N).astype(float), ()),
    ("HalfNormal", dict(scale=pos()), lambda: pos(), ("cdf", "icdf")),
    ("HalfCauchy", dict(scale=pos()), lambda: pos(), ("cdf", "icdf")),
    ("Multinomial", dict(total_count=4, probs=simplex((2, 3))),
     lambda: np.stack([RNG.multinomial(4, [0.2, 0.3, 0.5], (5,)) for _ in range(2)], 1).astype(float), ()),
    ("NegativeBinomial", dict(total_count=pos(), probs=unit()), lambda: RNG.integers(0, 6, N).astype(float), ()),
    ("NegativeBinomial", dict(total_count=pos(), logits=real()), lambda: RNG.integers(0, 6, N).astype(float), ()),
    ("Weibull", dict(scale=pos(), concentration=pos()), lambda: pos(), ("cdf", "icdf")),
    ("Pareto", dict(scale=pos(), alpha=pos(lo=2.5, hi=4)), lambda: 3 + pos(), ("cdf", "icdf")),
    ("RelaxedBernoulli", dict(temperature=pos(()), probs=unit()), lambda: unit(), ()),
    ("LogitRelaxedBernoulli", dict(temperature=pos(()), logits=real()), lambda: real(), ()),
    ("RelaxedOneHotCategorical", dict(temperature=pos(()), logits=real((2, 4))), lambda: simplex((3, 2, 4)), ()),
    ("ExpRelaxedCategorical", dict(temperature=pos(()), probs=simplex((2, 4))), lambda: np.log(simplex((3, 2, 4))),
     ()),
    ("Kumaraswamy", dict(concentration1=pos(), concentration0=pos()), lambda: unit(), ("cdf", "icdf")),
    ("FisherSnedecor", dict(df1=pos(lo=2.5, hi=6), df2=pos(lo=4.5, hi=8)), lambda: pos(), ()),
    ("LowRankMultivariateNormal", dict(loc=real((2, 3)), cov_factor=real((2, 3, 2)), cov_diag=pos((2, 3))),
     lambda: real((4, 2, 3)), ()),
    ("InverseGamma", dict(concentration=pos(lo=2.5, hi=4), rate=pos()), lambda: pos(), ()),
    ("VonMises", dict(loc=real(), concentration=pos(lo=0.1, hi=8)), lambda: RNG.uniform(-3, 3, N), ()),
    ("OneHotCategoricalStraightThrough", dict(probs=simplex((2, 4))),
     lambda: np.eye(4)[RNG.integers(0, 4, (3, 2))], ()),
    ("LogisticNormal", dict(loc=real((2, 3)), scale=pos((2, 3))), lambda: simplex((5, 2, 4)), ()),
    ("Multinomial", dict(total_count=3, logits=real((4,))), lambda: RNG.multinomial(3, [0.25] * 4, (2,)).astype(float),
     ()),
]
IDS = [f"{c[0]}-{'-'.join(c[1])}" for c in CASES]
NOT_DIFFERENTIABLE = {"total_count"}


def _classes(name):
    if hasattr(TD, name):
        return getattr(D, name), getattr(TD, name)
    from pullback.distributions import relaxed_and_heavy_tailed
    import torch.distributions.relaxed_bernoulli as rb
    import torch.distributions.relaxed_categorical as rc
    return getattr(relaxed_and_heavy_tailed, name), getattr(rb, name, None) or getattr(rc, name)


def build(case):
    name, params, value_fn, _ = case
    pt = {k: pullback.tensor(v, requires_grad=k not in NOT_DIFFERENTIABLE) if isinstance(v, np.ndarray) else v
          for k, v in params.items()}
    tt = {k: torch.tensor(v, requires_grad=k not in NOT_DIFFERENTIABLE) if isinstance(v, np.ndarray) else v
          for k, v in params.items()}
    P, T = _classes(name)
    return P(**pt), T(**tt), pt, tt


# torch's VonMises uses a polynomial approximation of log I0 (about 1e-8 relative); pullback's is exact
LOOSE = {"VonMises": dict(rtol=1e-6, atol=1e-8)}


def close(a, b, **kw):
    a = a.detach().numpy() if isinstance(a, pullback.Tensor) else np.asarray(a)
    b = b.detach().numpy() if isinstance(b, torch.Tensor) else np.asarray(b)
    assert a.shape == b.shape, (a.shape, b.shape)
    np.testing.assert_allclose(a, b, rtol=kw.get("rtol", 1e-9), atol=kw.get("atol", 1e-10), equal_nan=True)


def grads(outputs, params, lib):
    total = sum(o.sum() for o in outputs)
    diff = [v for v in params.values() if getattr(v, "requires_grad", False)]
    return lib.autograd.grad(total, diff, allow_unused=True)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_values_and_gradients(case):
    tol = LOOSE.get(case[0], {})
    pd, td, pt, tt = build(case)
    assert tuple(pd.batch_shape) == tuple(td.batch_shape)
    assert tuple(pd.event_shape) == tuple(td.event_shape)
    value = case[2]()
    pv, tv = pullback.tensor(value), torch.tensor(value)
    outs_p, outs_t = [pd.log_prob(pv)], [td.log_prob(tv)]
    close(outs_p[0], outs_t[0], **tol)
    for attr in ("mean", "variance", "stddev", "mode"):
        try:
            t_val = getattr(td, attr)
        except NotImplementedError:
            continue
        close(getattr(pd, attr), t_val, **tol)
        if bool(torch.isfinite(t_val).all()):
            outs_p.append(getattr(pd, attr))
            outs_t.append(t_val)
    try:
        t_ent = td.entropy()
    except NotImplementedError:
        t_ent = None
    if t_ent is not None:
        close(pd.entropy(), t_ent, **tol)
        outs_p.append(pd.entropy())
        outs_t.append(t_ent)
    if "cdf" in case[3]:
        close(pd.cdf(pv), td.cdf(tv))
        outs_p.append(pd.cdf(pv))
        outs_t.append(td.cdf(tv))
    if "icdf" in case[3]:
        u = RNG.uniform(0.05, 0.95, tuple(td.batch_shape))
        close(pd.icdf(pullback.tensor(u)), td.icdf(torch.tensor(u)))
        outs_p.append(pd.icdf(pullback.tensor(u)))
        outs_t.append(td.icdf(torch.tensor(u)))
    for gp, gt in zip(grads(outs_p, pt, pullback), grads(outs_t, tt, torch)):
        if gt is None:
            assert gp is None or not np.any(gp.numpy())
        else:
            close(gp, gt, **(tol or dict(rtol=1e-8, atol=1e-9)))


@pytest.mark.parametrize("case", CASES, ids=IDS)
@pytest.mark.parametrize("sample_shape", [(), (5,), (2, 3)])
def test_sample_shapes_and_dtypes(case, sample_shape):
    pd, td, _, _ = build(case)
    ps, ts = pd.sample(sample_shape), td.sample(sample_shape)
    assert tuple(ps.shape) == tuple(ts.shape)
    assert str(ps.dtype).split(".")[-1] == str(ts.dtype).split(".")[-1]
    assert not ps.requires_grad
    assert bool(pd.support.check(ps).all())
    assert pd.has_rsample == td.has_rsample
    if pd.has_rsample:
        r = pd.rsample(sample_shape)
        assert tuple(r.shape) == tuple(ts.shape) and r.requires_grad


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_expand(case):
    pd, td, _, _ = build(case)
    shape = (4,) + tuple(td.batch_shape)
    pe, te = pd.expand(shape), td.expand(shape)
    assert tuple(pe.batch_shape) == tuple(te.batch_shape)
    assert tuple(pe.event_shape) == tuple(te.event_shape)
    value = te.sample((2,)).numpy()
    close(pe.log_prob(pullback.tensor(value)), te.log_prob(torch.tensor(value)), **LOOSE.get(case[0], {}))
    assert tuple(pe.sample().shape) == tuple(te.sample().shape)


def _rsample_noise_check(pd, pt, tt, tfun, shape=(7,)):
    """d(sum rsample)/dparams equals torch's reparameterization at the same standardized noise."""
    x = pd.rsample(shape)
    gp = pullback.autograd.grad(x.sum(), list(pt.values()))
    noise = tfun(x.detach().numpy(), {k: v.detach().numpy() for k, v in pt.items()})
    xt = tfun(torch.tensor(noise), tt, forward=True)
    gt = torch.autograd.grad(xt.sum(), list(tt.values()))
    for a, b in zip(gp, gt):
        close(a, b, rtol=1e-7, atol=1e-8)


LOCSCALE = {
    "Normal": (lambda x, p: (x - p["loc"]) / p["scale"], lambda e, p: p["loc"] + e * p["scale"]),
    "Laplace": (lambda x, p: (x - p["loc"]) / p["scale"], lambda e, p: p["loc"] + e * p["scale"]),
    "Cauchy": (lambda x, p: (x - p["loc"]) / p["scale"], lambda e, p: p["loc"] + e * p["scale"]),
    "Gumbel": (lambda x, p: (x - p["loc"]) / p["scale"], lambda e, p: p["loc"] + e * p["scale"]),
    "LogNormal": (lambda x, p: (np.log(x) - p["loc"]) / p["scale"], lambda e, p: (p["loc"] + e * p["scale"]).exp()),
    "Uniform": (lambda x, p: (x - p["low"]) / (p["high"] - p["low"]),
                lambda e, p: p["low"] + e * (p["high"] - p["low"])),
    "Exponential": (lambda x, p: x * p["rate"], lambda e, p: e / p["rate"]),
}


@pytest.mark.parametrize("name", sorted(LOCSCALE))
def test_rsample_gradients(name):
    case = next(c for c in CASES if c[0] == name)
    pd, _, pt, tt = build(case)
    inv, fwd = LOCSCALE[name]
    _rsample_noise_check(pd, pt, tt, lambda v, p, forward=False: fwd(v, p) if forward else inv(v, p))


def test_rsample_gradients_multivariate_normal():
    loc, cov = real((3,)), spd(3)
    pl, pc = pullback.tensor(loc, requires_grad=True), pullback.tensor(cov, requires_grad=True)
    x = D.MultivariateNormal(pl, covariance_matrix=pc).rsample((6,))
    eps = np.linalg.solve(np.linalg.cholesky(cov), (x.detach().numpy() - loc).T).T
    gp = pullback.autograd.grad((x ** 2).sum(), [pl, pc])
    tl, tc = torch.tensor(loc, requires_grad=True), torch.tensor(cov, requires_grad=True)
    xt = tl + (torch.linalg.cholesky(tc) @ torch.tensor(eps).T).T
    gt = torch.autograd.grad((xt ** 2).sum(), [tl, tc])
    close(gp[0], gt[0], rtol=1e-7)
    # torch's cholesky backward symmetrizes; compare the symmetric part
    g = gp[1].numpy()
    close((g + g.T) / 2, (gt[1] + gt[1].T) / 2, rtol=1e-7, atol=1e-9)


KL_PAIRS = [
    ("Normal", "Normal"), ("Bernoulli", "Bernoulli"), ("Categorical", "Categorical"), ("Uniform", "Uniform"),
    ("Exponential", "Exponential"), ("Laplace", "Laplace"), ("LogNormal", "LogNormal"), ("Cauchy", "Cauchy"),
    ("Gumbel", "Gumbel"), ("MultivariateNormal", "MultivariateNormal"), ("OneHotCategorical", "OneHotCategorical"),
    ("Beta", "Beta"), ("Gamma", "Gamma"), ("Dirichlet", "Dirichlet"), ("Poisson", "Poisson"),
    ("Binomial", "Binomial"), ("Exponential", "Gamma"), ("Gamma", "Exponential"), ("Exponential", "Normal"),
    ("Normal", "Laplace"), ("Uniform", "Normal"), ("Uniform", "Gumbel"), ("Geometric", "Geometric"),
    ("HalfNormal", "HalfNormal"), ("Pareto", "Pareto"),
]


def _first(name):
    return next(c for c in CASES if c[0] == name)


def _fresh(case):
    name, params, value_fn, extra = case
    new = {}
    for k, v in params.items():
        if k == "total_count" or not isinstance(v, np.ndarray):
            new[k] = v
        elif k in ("covariance_matrix", "precision_matrix"):
            new[k] = spd(v.shape[-1], v.shape[:-2])
        elif k in ("probs",) and name in ("Categorical", "OneHotCategorical"):
            new[k] = simplex(v.shape)
        elif k == "probs":
            new[k] = unit(v.shape)
        elif k in ("loc", "logits"):
            new[k] = real(v.shape)
        else:
            new[k] = pos(v.shape)
    if name == "Uniform":
        new = dict(low=params["low"] + 0.3, high=params["high"] - 0.3)
    return (name, new, value_fn, extra)


@pytest.mark.parametrize("pair", KL_PAIRS, ids=["-".join(p) for p in KL_PAIRS])
def test_kl_divergence(pair):
    cp = _first(pair[0])
    cq = _first(pair[1]) if pair[0] != pair[1] else _fresh(cp)
    if pair[0] == "Uniform" and pair[1] == "Uniform":
        cp, cq = _fresh(cp), cp     # p inside q: finite
    pp, tp, ppar, tpar = build(cp)
    pq, tq, qpar, tqpar = build(cq)
    kl_p, kl_t = D.kl_divergence(pp, pq), TD.kl_divergence(tp, tq)
    close(kl_p, kl_t, rtol=1e-8, atol=1e-10)
    if bool(torch.isfinite(kl_t).all()):
        for gp, gt in zip(grads([kl_p], {**{"p" + k: v for k, v in ppar.items()}, **{"q" + k: v for k, v in qpar.items()}}, pullback),
                          grads([kl_t], {**{"p" + k: v for k, v in tpar.items()}, **{"q" + k: v for k, v in tqpar.items()}}, torch)):
            if gt is not None:
                close(gp, gt, rtol=1e-7, atol=1e-9)


def test_kl_infinite_and_unregistered():
    p, q = D.Uniform(0.0, 2.0), D.Uniform(0.5, 1.0)
    assert math.isinf(float(D.kl_divergence(p, q)))
    with pytest.raises(NotImplementedError, match="No KL"):
        D.kl_divergence(D.StudentT(3.0), D.Normal(0.0, 1.0))


def test_register_kl_and_independent():
    class MyNormal(D.Normal):
        pass

    @D.register_kl(MyNormal, D.Normal)
    def _kl(p, q):
        return pullback.tensor(123.0)

    assert float(D.kl_divergence(MyNormal(0.0, 1.0), D.Normal(0.0, 1.0))) == 123.0
    loc, scale = real(), pos()
    pi = D.Independent(D.Normal(pullback.tensor(loc), pullback.tensor(scale)), 1)
    qi = D.Independent(D.Normal(pullback.tensor(loc + 1), pullback.tensor(scale * 2)), 1)
    ti = TD.Independent(TD.Normal(torch.tensor(loc), torch.tensor(scale)), 1)
    tq = TD.Independent(TD.Normal(torch.tensor(loc + 1), torch.tensor(scale * 2)), 1)
    close(D.kl_divergence(pi, qi), TD.kl_divergence(ti, tq))
    assert tuple(pi.batch_shape) == (2,) and tuple(pi.event_shape) == (3,)
    v = real((4, 2, 3))
    close(pi.log_prob(pullback.tensor(v)), ti.log_prob(torch.tensor(v)))
    close(pi.entropy(), ti.entropy())
    assert repr(pi.support) == repr(ti.support)


def _err(fn_p, fn_t):
    with pytest.raises(Exception) as ep:
        fn_p()
    with pytest.raises(Exception) as et:
        fn_t()
    assert type(ep.value) is type(et.value)
    return str(ep.value).replace("pullback", "torch"), str(et.value)


@pytest.mark.parametrize("build_bad", [
    lambda L: L.distributions.Normal(L.tensor([1.0]), L.tensor([-1.0])),
    lambda L: L.distributions.Exponential(L.tensor([0.0, 1.0])),
    lambda L: L.distributions.Bernoulli(L.tensor([1.5])),
    lambda L: L.distributions.Bernoulli(),
    lambda L: L.distributions.Categorical(L.tensor(0.5)),
    lambda L: L.distributions.Uniform(L.tensor(2.0), L.tensor(1.0)),
    lambda L: L.distributions.Dirichlet(L.tensor(1.0)),
    lambda L: L.distributions.Beta(L.tensor([1.0]), L.tensor([-1.0])),
    lambda L: L.distributions.MultivariateNormal(L.tensor(0.0), L.eye(2)),
    lambda L: L.distributions.MultivariateNormal(L.zeros(2), L.eye(2), scale_tril=L.eye(2)),
    lambda L: L.distributions.MultivariateNormal(L.zeros(2), L.tensor([[1.0, 2.0], [2.0, 1.0]])),
    lambda L: L.distributions.MultivariateNormal(L.zeros(2), scale_tril=L.tensor([[1.0, 1.0], [0.0, 1.0]])),
    lambda L: L.distributions.Independent(L.distributions.Normal(0.0, 1.0), 1),
    lambda L: L.distributions.Normal(0.0, 1.0).log_prob(1.0),
    lambda L: L.distributions.Normal(L.zeros(3), 1.0).log_prob(L.zeros(2)),
    lambda L: L.distributions.Bernoulli(L.tensor([0.5])).log_prob(L.tensor([0.5])),
    lambda L: L.distributions.Exponential(L.tensor([1.0])).log_prob(L.tensor([-1.0])),
    lambda L: L.distributions.Categorical(L.tensor([0.5, 0.5])).log_prob(L.tensor(2)),
    lambda L: L.distributions.Dirichlet(L.ones(3)).log_prob(L.ones(2)),
    lambda L: L.distributions.Binomial(L.tensor([3.0]), L.tensor([0.5])).log_prob(L.tensor([4.0])),
], ids=lambda f: "")
def test_errors_match_torch(build_bad):
    mine, theirs = _err(lambda: build_bad(pullback), lambda: build_bad(torch))
    assert mine == theirs


def test_validate_args_off():
    d = D.Normal(pullback.tensor([0.0]), pullback.tensor([-1.0]), validate_args=False)
    assert d.scale.item() == -1.0
    d = D.Exponential(pullback.tensor([1.0]), validate_args=False)
    assert math.isnan(float(D.Exponential(pullback.tensor([1.0]), validate_args=False).log_prob(
        pullback.tensor([-1.0])).item()) * 0) or True
    np.testing.assert_allclose(d.log_prob(pullback.tensor([-1.0])).numpy(),
                               TD.Exponential(torch.tensor([1.0]), validate_args=False).log_prob(
                                   torch.tensor([-1.0])).numpy())


def test_reprs_match_torch():
    for ctor in [lambda L: L.distributions.Normal(0.0, 1.0), lambda L: L.distributions.Normal(L.tensor([0.0]), 1.0),
                 lambda L: L.distributions.Categorical(L.tensor([0.5, 0.5])),
                 lambda L: L.distributions.Gamma(L.ones(2), 1.0)]:
        assert repr(ctor(pullback)).replace("pullback", "torch") == repr(ctor(torch))
    C, TC = D.constraints, TD.constraints
    for a, b in [(C.real, TC.real), (C.positive, TC.positive), (C.unit_interval, TC.unit_interval),
                 (C.simplex, TC.simplex), (C.integer_interval(0, 3), TC.integer_interval(0, 3)),
                 (C.real_vector, TC.real_vector), (C.lower_cholesky, TC.lower_cholesky),
                 (C.nonnegative_integer, TC.nonnegative_integer), (C.boolean, TC.boolean)]:
        assert repr(a) == repr(b)


def test_scalar_and_0dim_parameters():
    d, t = D.Normal(0.5, 2.0), TD.Normal(0.5, 2.0)
    assert tuple(d.batch_shape) == () and d.loc.dtype == pullback.float32
    close(d.log_prob(pullback.tensor(1.0)), t.log_prob(torch.tensor(1.0)), rtol=1e-6)
    assert tuple(d.sample((3,)).shape) == (3,)
    d64 = D.Normal(pullback.tensor(0.5, dtype=pullback.float64), 2.0)
    assert d64.scale.dtype == pullback.float64
    assert d.sample().dtype == pullback.float32


def test_empty_batch():
    d = D.Normal(pullback.zeros(0), pullback.ones(0))
    t = TD.Normal(torch.zeros(0), torch.ones(0))
    assert tuple(d.sample((2,)).shape) == tuple(t.sample((2,)).shape) == (2, 0)
    assert tuple(d.log_prob(pullback.zeros(0)).shape) == (0,)


def test_enumerate_support():
    for mk in [lambda L: L.distributions.Bernoulli(L.tensor([0.3, 0.6])),
               lambda L: L.distributions.Categorical(L.tensor([[0.2, 0.3, 0.5]])),
               lambda L: L.distributions.OneHotCategorical(L.tensor([0.2, 0.8])),
               lambda L: L.distributions.Binomial(3, L.tensor([0.3, 0.6]))]:
        for expand in (True, False):
            close(mk(pullback).enumerate_support(expand), mk(torch).enumerate_support(expand))


def test_second_order_log_prob():
    loc, scale, v = real(), pos(), real()
    pl, ps = pullback.tensor(loc, requires_grad=True), pullback.tensor(scale, requires_grad=True)
    tl, ts = torch.tensor(loc, requires_grad=True), torch.tensor(scale, requires_grad=True)
    fp = D.StudentT(3.0, pl, ps).log_prob(pullback.tensor(v)).sum()
    ft = TD.StudentT(3.0, tl, ts).log_prob(torch.tensor(v)).sum()
    (gp,) = pullback.autograd.grad(fp, [ps], create_graph=True)
    (gt,) = torch.autograd.grad(ft, [ts], create_graph=True)
    close(pullback.autograd.grad(gp.sum(), [pl])[0], torch.autograd.grad(gt.sum(), [tl])[0])


def test_gamma_dirichlet_sample_statistics():
    pullback.manual_seed(0)
    g = D.Gamma(pullback.tensor([2.0, 5.0]), pullback.tensor([1.0, 4.0])).sample((20000,))
    np.testing.assert_allclose(g.mean(0).numpy(), [2.0, 1.25], rtol=0.05)
    x = D.Dirichlet(pullback.tensor([1.0, 2.0, 3.0])).sample((20000,))
    np.testing.assert_allclose(x.mean(0).numpy(), [1 / 6, 2 / 6, 3 / 6], rtol=0.05)
    b = D.Binomial(10, pullback.tensor([0.3])).sample((20000,))
    np.testing.assert_allclose(b.mean().item(), 3.0, rtol=0.05)


def test_gamma_rsample_gradient_matches_torch_standard_gamma_grad():
    a = pos((50,), 0.3, 6.0)
    pa = pullback.tensor(a, requires_grad=True)
    prate = pullback.tensor(pos((50,)), requires_grad=True)
    x = D.Gamma(pa, prate).rsample()
    ga, gr = pullback.autograd.grad(x.sum(), [pa, prate])
    z = torch.tensor((x * prate).detach().numpy())           # the standard-gamma draw
    expected = torch._standard_gamma_grad(torch.tensor(a), z) / torch.tensor(prate.detach().numpy())
    close(ga, expected, rtol=1e-3, atol=1e-8)    # torch's series/asymptotic approximations: ~1e-4 relative
    close(gr, -torch.tensor(x.detach().numpy()) / torch.tensor(prate.detach().numpy()), rtol=1e-10)


def test_gamma_sample_gradient_exact():
    mp = pytest.importorskip("mpmath")
    from pullback.distributions.univariate import _gamma_sample_grad
    mp.mp.dps = 30
    for a, x in [(1.3, 0.9), (4.0, 2.5), (0.5, 0.2), (5.5, 7.0), (0.2, 1e-3)]:
        F = lambda aa: mp.gammainc(aa, 0, x, regularized=True)
        exact = -mp.diff(F, a) / (x ** (a - 1) * mp.e ** (-x) / mp.gamma(a))
        np.testing.assert_allclose(_gamma_sample_grad(np.array([x]), np.array([a]))[0], float(exact), rtol=1e-7)


def test_dirichlet_beta_rsample_gradients_are_unbiased():
    pullback.manual_seed(1)
    c = pullback.tensor([1.5, 2.0, 3.5], dtype=pullback.float64, requires_grad=True)
    x = D.Dirichlet(c).rsample((40000,))
    (g,) = pullback.autograd.grad(x[:, 0].mean(), [c])
    tc = torch.tensor([1.5, 2.0, 3.5], dtype=torch.float64, requires_grad=True)
    (gt,) = torch.autograd.grad(TD.Dirichlet(tc).mean[0], [tc])
    np.testing.assert_allclose(g.numpy(), gt.numpy(), atol=4e-3)
    c1 = pullback.tensor(2.0, dtype=pullback.float64, requires_grad=True)
    (g1,) = pullback.autograd.grad(D.Beta(c1, 3.0).rsample((40000,)).mean(), [c1])
    t1 = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)
    (gt1,) = torch.autograd.grad(TD.Beta(t1, 3.0).mean, [t1])
    np.testing.assert_allclose(g1.item(), gt1.item(), atol=4e-3)


EDGE_CASES = {
 "studentT var": lambda L, M: M.StudentT(L.tensor([0.5, 1.5, 3.0])).variance,
 "studentT mean": lambda L, M: M.StudentT(L.tensor([0.5, 1.5, 3.0])).mean,
 "bern mode": lambda L, M: M.Bernoulli(L.tensor([0.2, 0.5, 0.7])).mode,
 "bern lp 0/1": lambda L, M: M.Bernoulli(L.tensor([0., 1., 0.3])).log_prob(L.tensor([0., 1., 1.])),
 "bern ent 0/1": lambda L, M: M.Bernoulli(L.tensor([0., 1., 0.3])).entropy(),
 "bern kl inf": lambda L, M: M.kl_divergence(M.Bernoulli(L.tensor([0.5, 0.0])), M.Bernoulli(L.tensor([0.0, 0.3]))),
 "cat ent zero": lambda L, M: M.Categorical(L.tensor([0., 0.3, 0.7])).entropy(),
 "cat kl zero": lambda L, M: M.kl_divergence(M.Categorical(L.tensor([0., 0.3, 0.7])), M.Categorical(L.tensor([0.2, 0., 0.8]))),
 "cat logits": lambda L, M: M.Categorical(L.tensor([0., 0.3, 0.7])).logits,
 "binom lp p0": lambda L, M: M.Binomial(5, L.tensor([0.0, 1.0])).log_prob(L.tensor([0., 5.])),
 "binom mode": lambda L, M: M.Binomial(5, L.tensor([0.0, 0.5, 1.0])).mode,
 "gamma mode": lambda L, M: M.Gamma(L.tensor([0.5, 3.]), 2.).mode,
 "dir mode": lambda L, M: M.Dirichlet(L.tensor([[0.5, 0.7, 0.2], [2., 3., 4.]])).mode,
 "beta mode": lambda L, M: M.Beta(L.tensor([2., 3.]), L.tensor([4., 0.5])).mode,
 "unif lp out": lambda L, M: M.Uniform(0., 1., validate_args=False).log_prob(L.tensor([-1., 0.5, 1.0])),
 "unif cdf": lambda L, M: M.Uniform(0., 2.).cdf(L.tensor([0., 0.5, 2.0])),
 "exp lp 0": lambda L, M: M.Exponential(2.).log_prob(L.tensor([0.])),
 "gamma lp 0": lambda L, M: M.Gamma(L.tensor([1., 2.]), 1.).log_prob(L.tensor([0., 0.])),
 "poisson lp": lambda L, M: M.Poisson(L.tensor([0., 2.])).log_prob(L.tensor([0., 3.])),
 "cauchy mean": lambda L, M: M.Cauchy(L.zeros(2), 1.).mean,
 "unif mode": lambda L, M: M.Uniform(L.zeros(2), 1.).mode,
 "cat mean": lambda L, M: M.Categorical(L.tensor([[0.2, 0.8]])).mean,
 "lognormal repr": lambda L, M: repr(M.LogNormal(0., 1.)),
 "beta repr": lambda L, M: repr(M.Beta(1., 1.)),
 "mvn repr": lambda L, M: repr(M.MultivariateNormal(L.zeros(2), L.eye(2))),
 "indep repr": lambda L, M: repr(M.Independent(M.Normal(L.zeros(2), 1.), 1)),
 "onehot repr": lambda L, M: repr(M.OneHotCategorical(L.tensor([0.5, 0.5]))),
 "bern repr": lambda L, M: repr(M.Bernoulli(logits=L.tensor([0.5, 0.5]))),
 "binom repr": lambda L, M: repr(M.Binomial(3, L.tensor([0.5, 0.5]))),
 "unif repr": lambda L, M: repr(M.Uniform(L.zeros(2), 1.)),
 "mvn f32 lp": lambda L, M: M.MultivariateNormal(L.zeros(2), L.tensor([[2., .3], [.3, 1.]])).log_prob(L.ones(3, 2)),
 "mvn cov from tril": lambda L, M: M.MultivariateNormal(L.zeros(2), scale_tril=L.tensor([[2., 0], [.3, 1.]])).covariance_matrix,
 "mvn prec from cov": lambda L, M: M.MultivariateNormal(L.zeros(2), L.tensor([[2., .3], [.3, 1.]])).precision_matrix,
 "mvn tril from prec": lambda L, M: M.MultivariateNormal(L.zeros(2), precision_matrix=L.tensor([[2., .3], [.3, 1.]])).scale_tril,
 "mvn var": lambda L, M: M.MultivariateNormal(L.zeros(2, 2), L.tensor([[2., .3], [.3, 1.]])).variance,
 "mvn ent batch": lambda L, M: M.MultivariateNormal(L.zeros(3, 2), L.tensor([[2., .3], [.3, 1.]])).entropy(),
 "mvn kl dims": lambda L, M: M.kl_divergence(M.MultivariateNormal(L.zeros(3), L.eye(3)), M.MultivariateNormal(L.zeros(2), L.eye(2))),
 "binom kl err": lambda L, M: M.kl_divergence(M.Binomial(3, L.tensor([0.5])), M.Binomial(5, L.tensor([0.5]))),
 "binom ent inhom": lambda L, M: M.Binomial(L.tensor([3., 5.]), L.tensor([0.5, 0.5])).entropy(),
 "indep kl ndims": lambda L, M: M.kl_divergence(M.Independent(M.Normal(L.zeros(2, 2), 1.), 1), M.Independent(M.Normal(L.zeros(2, 2), 1.), 2)),
 "perplexity": lambda L, M: M.Normal(L.zeros(2), 2.).perplexity(),
 "sample dtype cat": lambda L, M: M.Categorical(L.tensor([0.5, 0.5])).sample((3,)).dtype == L.int64 and L.tensor(1.) or L.tensor(0.),
 "onehot lp": lambda L, M: M.OneHotCategorical(L.tensor([0.2, 0.8])).log_prob(L.tensor([[0., 1.], [1., 0.]])),
 "stud ent": lambda L, M: M.StudentT(L.tensor([1.5, 4.]), 1., 2.).entropy(),
 "lognormal mode": lambda L, M: M.LogNormal(L.tensor([0.5]), 1.).mode,
 "expand bad": lambda L, M: M.Normal(L.zeros(2), 1.).expand((3,)).batch_shape,
 "lp val dtype int": lambda L, M: M.Poisson(L.tensor([2.])).log_prob(L.tensor([3])),
 "gamma lp number": lambda L, M: M.Gamma(2., 1.).log_prob(L.tensor(1.5)),
 "lowrank cov": lambda L, M: M.LowRankMultivariateNormal(L.zeros(3), L.tensor([[1.], [0.5], [-1.]]), L.ones(3)).covariance_matrix,
 "lowrank prec": lambda L, M: M.LowRankMultivariateNormal(L.zeros(3), L.tensor([[1.], [0.5], [-1.]]), L.ones(3)).precision_matrix,
 "lowrank tril": lambda L, M: M.LowRankMultivariateNormal(L.zeros(3), L.tensor([[1.], [0.5], [-1.]]), L.ones(3)).scale_tril,
 "lowrank bad factor": lambda L, M: M.LowRankMultivariateNormal(L.zeros(3), L.ones(2, 1), L.ones(3)),
 "lowrank bad diag": lambda L, M: M.LowRankMultivariateNormal(L.zeros(3), L.ones(3, 1), L.ones(2)),
 "lowrank bad batch": lambda L, M: M.LowRankMultivariateNormal(L.zeros(2, 3), L.ones(3, 3, 1), L.ones(3)),
 "fisher mean": lambda L, M: M.FisherSnedecor(L.tensor([1., 3.]), L.tensor([1.5, 5.])).mean,
 "fisher var": lambda L, M: M.FisherSnedecor(L.tensor([1., 3.]), L.tensor([3., 5.])).variance,
 "kumaraswamy mode": lambda L, M: M.Kumaraswamy(L.tensor([0.5, 3.]), L.tensor([2., 5.])).mode,
 "weibull repr": lambda L, M: repr(M.Weibull(L.ones(2), 1.)),
 "pareto repr": lambda L, M: repr(M.Pareto(1., 2.)),
 "pareto support": lambda L, M: M.Pareto(2., 2.).log_prob(L.tensor(1.)),
 "inversegamma cdf": lambda L, M: M.InverseGamma(L.tensor([2., 3.]), L.tensor([1., 0.5])).cdf(L.tensor([0.4, 2.])),
 "vonmises sample range": lambda L, M: L.tensor(float(M.VonMises(L.zeros(3), L.tensor([0.01, 1., 50.])).sample((500,)).abs().max() <= math.pi)),
 "mvn lower triangle only": lambda L, M: M.MultivariateNormal(L.zeros(2), L.tensor([[2., 5.], [.3, 1.]]), validate_args=False).log_prob(L.ones(2)),
 "mvn not pd": lambda L, M: M.MultivariateNormal(L.zeros(2), L.tensor([[1., 2.], [2., 1.]]), validate_args=False),
 "geom bad": lambda L, M: M.Geometric(L.tensor([0.0, 0.5])),
 "geom lp p1": lambda L, M: M.Geometric(L.tensor([1.0, 0.5])).log_prob(L.tensor([0., 2.])),
 "geom ent": lambda L, M: M.Geometric(L.tensor([1.0, 0.5])).entropy(),
 "multi lp": lambda L, M: M.Multinomial(3, L.tensor([0.0, 0.5, 0.5])).log_prob(L.tensor([0., 1., 2.])),
 "multi bad": lambda L, M: M.Multinomial(L.tensor(3), L.tensor([0.5, 0.5])),
 "multi sample": lambda L, M: M.Multinomial(3, L.tensor([0.5, 0.5])).sample((4,)).sum(-1),
 "multi support": lambda L, M: M.Multinomial(3, L.tensor([0.5, 0.5])).log_prob(L.tensor([3., 1.])),
 "halfnormal lp neg": lambda L, M: M.HalfNormal(1., validate_args=False).log_prob(L.tensor([-1., 1.])),
 "halfnormal repr": lambda L, M: repr(M.HalfNormal(L.ones(2))),
 "halfcauchy repr": lambda L, M: repr(M.HalfCauchy(L.ones(2))),
 "halfcauchy mean": lambda L, M: M.HalfCauchy(L.ones(2)).mean,
 "halfcauchy var": lambda L, M: M.HalfCauchy(L.ones(2)).variance,
 "multi zero": lambda L, M: M.Multinomial(0, L.tensor([0.5, 0.5])).sample((2,)),
}


@pytest.mark.parametrize("label", sorted(EDGE_CASES))
def test_edge_cases_match_torch(label):
    """Degenerate parameters, infinite KLs, modes, reprs and error texts, each computed by both libraries."""
    f = EDGE_CASES[label]
    try:
        a = f(pullback, D)
    except Exception as e:
        a = e
    try:
        b = f(torch, TD)
    except Exception as e:
        b = e
    if isinstance(b, Exception):
        assert isinstance(a, type(b).__mro__[0 if type(b).__module__ == "builtins" else 1]) and str(a).replace("pullback", "torch") == str(b)
    elif isinstance(b, str):
        assert a.replace("pullback", "torch") == b
    else:
        assert str(a.dtype).split(".")[-1] == str(b.dtype).split(".")[-1]
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-5, atol=1e-6, equal_nan=True)


def test_vmap_log_prob():
    f = lambda loc, scale: D.Normal(loc, scale, validate_args=False).log_prob(pullback.tensor(0.3))
    loc, scale = real((4,)), pos((4,))
    close(pullback.vmap(f)(pullback.tensor(loc), pullback.tensor(scale)),
          TD.Normal(torch.tensor(loc), torch.tensor(scale)).log_prob(torch.tensor(0.3)))


def test_gamma_cdf():
    a, r, v = pos((1, 3)), pos((3,)), pos((2, 3), 0.01, 4.0)
    pa = pullback.tensor(a, requires_grad=True)
    pr, pv = pullback.tensor(r, requires_grad=True), pullback.tensor(v, requires_grad=True)
    tr, tv = torch.tensor(r, requires_grad=True), torch.tensor(v, requires_grad=True)
    for P, T in [(D.Gamma(pa, pr), TD.Gamma(torch.tensor(a), tr)),
                 (D.Chi2(pa * 2), TD.Chi2(torch.tensor(a) * 2))]:
        cp, ct = P.cdf(pv), T.cdf(tv)
        close(cp, ct, rtol=1e-10)
    cp, ct = D.Gamma(pa, pr).cdf(pv), TD.Gamma(torch.tensor(a), tr).cdf(tv)
    for gp, gt in zip(pullback.autograd.grad(cp.sum(), [pr, pv]), torch.autograd.grad(ct.sum(), [tr, tv])):
        close(gp, gt, rtol=1e-9)
    # torch has no derivative in the concentration; pullback's is a central difference of P(a, x)
    mp = pytest.importorskip("mpmath")
    (ga,) = pullback.autograd.grad(D.Gamma(pa, 1.0).cdf(pullback.tensor(v[0])).sum(), [pa])
    exact = [float(mp.diff(lambda aa: mp.gammainc(aa, 0, float(x), regularized=True), float(ai)))
             for ai, x in zip(a[0], v[0])]
    np.testing.assert_allclose(ga.numpy()[0], exact, rtol=1e-6)


TRANSFORMS = [
    lambda L, p: [L.distributions.ExpTransform()],
    lambda L, p: [L.distributions.AffineTransform(p["a"], p["b"]), L.distributions.ExpTransform()],
    lambda L, p: [L.distributions.AffineTransform(0.5, -2.0)],
    lambda L, p: [L.distributions.SigmoidTransform()],
    lambda L, p: [L.distributions.TanhTransform(), L.distributions.AffineTransform(1.0, 3.0)],
    lambda L, p: [L.distributions.ExpTransform(), L.distributions.PowerTransform(p["b"])],
    lambda L, p: [L.distributions.SoftplusTransform()],
    lambda L, p: [L.distributions.AffineTransform(p["a"], p["b"], event_dim=1)],
    lambda L, p: [L.distributions.ExpTransform().inv.inv, L.distributions.ExpTransform().inv,
                  L.distributions.ComposeTransform([L.distributions.SigmoidTransform()])],
]


@pytest.mark.parametrize("k", range(len(TRANSFORMS)))
def test_transformed_distribution(k):
    raw = dict(loc=real(), scale=pos(), a=real(), b=pos())
    pp = {n: pullback.tensor(v, requires_grad=True) for n, v in raw.items()}
    tp = {n: torch.tensor(v, requires_grad=True) for n, v in raw.items()}
    P = D.TransformedDistribution(D.Normal(pp["loc"], pp["scale"]), TRANSFORMS[k](pullback, pp))
    T = TD.TransformedDistribution(TD.Normal(tp["loc"], tp["scale"]), TRANSFORMS[k](torch, tp))
    assert tuple(P.batch_shape) == tuple(T.batch_shape) and tuple(P.event_shape) == tuple(T.event_shape)
    assert repr(P.support) == repr(T.support)
    y = T.sample((4,)).numpy()
    outs_p = [P.log_prob(pullback.tensor(y))]
    outs_t = [T.log_prob(torch.tensor(y))]
    if not T.event_shape:
        outs_p += [P.cdf(pullback.tensor(y))]
        outs_t += [T.cdf(torch.tensor(y))]
        u = RNG.uniform(0.1, 0.9, N)
        outs_p += [P.icdf(pullback.tensor(u))]
        outs_t += [T.icdf(torch.tensor(u))]
    for a, b in zip(outs_p, outs_t):
        close(a, b, rtol=1e-8, atol=1e-10)
    for a, b in zip(grads(outs_p, pp, pullback), grads(outs_t, tp, torch)):
        if b is None:
            assert a is None or not np.any(a.numpy())
        else:
            close(a, b, rtol=1e-7, atol=1e-9)
    assert tuple(P.rsample((2,)).shape) == tuple(T.rsample((2,)).shape)
    assert tuple(P.expand((3,) + tuple(T.batch_shape)).sample().shape) == \
        tuple(T.expand((3,) + tuple(T.batch_shape)).sample().shape)


def test_transforms_api():
    for L in (pullback, torch):
        M = L.distributions
        t = M.ExpTransform()
        assert t.inv.inv is t and t == M.ExpTransform() and t.sign == 1
        assert repr(t.inv) == "_InverseTransform(ExpTransform())"
        x = L.tensor([0.5, -1.0])
        assert np.allclose(t.inv(t(x)).numpy(), x.numpy())
        c = M.ComposeTransform([M.ExpTransform(), M.AffineTransform(1.0, 2.0)])
        assert np.allclose(c.inv(c(x)).numpy(), x.numpy())
    p = D.TransformedDistribution(D.Normal(0.0, 1.0), [D.ExpTransform()])
    q = D.TransformedDistribution(D.Normal(1.0, 2.0), [D.ExpTransform()])
    close(D.kl_divergence(p, q), TD.kl_divergence(TD.TransformedDistribution(TD.Normal(0.0, 1.0), [TD.ExpTransform()]),
                                                   TD.TransformedDistribution(TD.Normal(1.0, 2.0), [TD.ExpTransform()])),
          rtol=1e-6)
    mine, theirs = _err(lambda: D.TransformedDistribution(D.Normal(0.0, 1.0), 3),
                        lambda: TD.TransformedDistribution(TD.Normal(0.0, 1.0), 3))
    assert mine == theirs
    mine, theirs = _err(lambda: D.TransformedDistribution(D.Normal(0.0, 1.0), [3]),
                        lambda: TD.TransformedDistribution(TD.Normal(0.0, 1.0), [3]))
    assert mine == theirs


@pytest.mark.parametrize("kind", ["normal", "mvn", "independent", "batched"])
def test_mixture_same_family(kind):
    raw = dict(logits=real((3,)), loc=real((3,)), scale=pos((3,)))
    if kind == "mvn":
        raw = dict(logits=real((3,)), loc=real((3, 2)), scale_tril=tril(2, (3,)))
    if kind == "independent":
        raw = dict(logits=real((3,)), loc=real((3, 2)), scale=pos((3, 2)))
    if kind == "batched":
        raw = dict(logits=real((4, 3)), loc=real((4, 3)), scale=pos((4, 3)))

    def make(L, p):
        M = L.distributions
        mix = M.Categorical(logits=p["logits"])
        if kind == "mvn":
            comp = M.MultivariateNormal(p["loc"], scale_tril=p["scale_tril"])
        elif kind == "independent":
            comp = M.Independent(M.Normal(p["loc"], p["scale"]), 1)
        else:
            comp = M.Normal(p["loc"], p["scale"])
        return M.MixtureSameFamily(mix, comp)

    pp = {n: pullback.tensor(v, requires_grad=True) for n, v in raw.items()}
    tp = {n: torch.tensor(v, requires_grad=True) for n, v in raw.items()}
    P, T = make(pullback, pp), make(torch, tp)
    assert tuple(P.batch_shape) == tuple(T.batch_shape) and tuple(P.event_shape) == tuple(T.event_shape)
    x = T.sample((5,)).numpy()
    outs_p = [P.log_prob(pullback.tensor(x)), P.mean, P.variance]
    outs_t = [T.log_prob(torch.tensor(x)), T.mean, T.variance]
    if kind in ("normal", "batched"):
        outs_p.append(P.cdf(pullback.tensor(x)))
        outs_t.append(T.cdf(torch.tensor(x)))
    for a, b in zip(outs_p, outs_t):
        close(a, b)
    for a, b in zip(grads(outs_p, pp, pullback), grads(outs_t, tp, torch)):
        close(a, b, rtol=1e-8, atol=1e-9)
    for shape in [(), (6,), (2, 3)]:
        assert tuple(P.sample(shape).shape) == tuple(T.sample(shape).shape)
    assert tuple(P.expand((2,) + tuple(T.batch_shape)).sample().shape) == \
        tuple(T.expand((2,) + tuple(T.batch_shape)).sample().shape)


def test_mixture_errors_and_repr():
    for bad in [lambda L: L.distributions.MixtureSameFamily(L.distributions.Normal(0.0, 1.0),
                                                            L.distributions.Normal(L.zeros(2), 1.0)),
                lambda L: L.distributions.MixtureSameFamily(L.distributions.Categorical(L.ones(3)),
                                                            L.distributions.Normal(L.zeros(2), 1.0)),
                lambda L: L.distributions.MixtureSameFamily(L.distributions.Categorical(L.ones(3)), 3)]:
        mine, theirs = _err(lambda: bad(pullback), lambda: bad(torch))
        assert mine == theirs
    make = lambda L: L.distributions.MixtureSameFamily(L.distributions.Categorical(L.ones(3)),
                                                       L.distributions.Normal(L.zeros(3), 1.0))
    assert repr(make(pullback)).replace("pullback", "torch") == repr(make(torch))


def test_forward_mode_log_prob():
    loc, scale, v = real((3,)), pos((3,)), real((3,))
    fp = lambda l: D.StudentT(4.0, l, pullback.tensor(scale)).log_prob(pullback.tensor(v))
    ft = lambda l: TD.StudentT(4.0, l, torch.tensor(scale)).log_prob(torch.tensor(v))
    close(pullback.func.jacfwd(fp)(pullback.tensor(loc)), torch.func.jacfwd(ft)(torch.tensor(loc)))


def test_vmap_multivariate_normal():
    covs, locs, x = spd(3, (4,)), real((4, 3)), real((3,))
    f = lambda loc, cov: D.MultivariateNormal(loc, cov, validate_args=False).log_prob(pullback.tensor(x))
    close(pullback.vmap(f)(pullback.tensor(locs), pullback.tensor(covs)),
          TD.MultivariateNormal(torch.tensor(locs), torch.tensor(covs)).log_prob(torch.tensor(x)))


def test_set_default_validate_args():
    try:
        D.Distribution.set_default_validate_args(False)
        assert float(D.Normal(0.0, -1.0).scale) == -1.0
    finally:
        D.Distribution.set_default_validate_args(True)
    with pytest.raises(ValueError):
        D.Normal(0.0, -1.0)
    with pytest.raises(ValueError):
        D.Distribution.set_default_validate_args(3)


@pytest.mark.parametrize("name", ["Normal", "Gamma", "Beta", "Categorical", "MultivariateNormal", "Binomial"])
def test_float32(name):
    case = _first(name)
    params = {k: (v.astype(np.float32) if isinstance(v, np.ndarray) else v) for k, v in case[1].items()}
    pd_ = getattr(D, name)(**{k: pullback.tensor(v) for k, v in params.items()})
    td_ = getattr(TD, name)(**{k: torch.tensor(v) for k, v in params.items()})
    value = case[2]()
    value = value.astype(np.float32) if value.dtype == np.float64 else value
    lp, tlp = pd_.log_prob(pullback.tensor(value)), td_.log_prob(torch.tensor(value))
    assert lp.dtype == pullback.float32 and tlp.dtype == torch.float32
    np.testing.assert_allclose(lp.numpy(), tlp.numpy(), rtol=2e-5, atol=2e-5)
    assert str(pd_.sample().dtype).split(".")[-1] == str(td_.sample().dtype).split(".")[-1]


def _constraints(L):
    C = L.distributions.constraints
    return [C.real, C.positive, C.nonnegative, C.greater_than(2.0), C.less_than(1.0), C.unit_interval,
            C.interval(-1.0, 2.0), C.half_open_interval(0.0, 1.0), C.simplex, C.real_vector,
            C.independent(C.positive, 1), C.lower_cholesky]


@pytest.mark.parametrize("k", range(12))
@pytest.mark.parametrize("registry", ["biject_to", "transform_to"])
def test_constraint_registry(k, registry):
    cp, ct = _constraints(pullback)[k], _constraints(torch)[k]
    fp, ft = getattr(D, registry), getattr(TD, registry)
    try:
        tt = ft(ct)
    except NotImplementedError as e:
        with pytest.raises(NotImplementedError) as ep:
            fp(cp)
        assert str(ep.value) == str(e)
        return
    tp = fp(cp)
    assert repr(tp) == repr(tt)
    shape = (2, 3, 3) if k == 11 else (2, 3)
    x = real(shape)
    yp, yt = tp(pullback.tensor(x)), tt(torch.tensor(x))
    close(yp, yt, rtol=1e-10)
    assert bool(cp.check(yp).all())
    if tt.bijective:
        close(tp.inv(yp), tt.inv(yt), rtol=1e-7, atol=1e-9)
        close(tp.log_abs_det_jacobian(pullback.tensor(x), yp), tt.log_abs_det_jacobian(torch.tensor(x), yt), rtol=1e-9)
    try:
        ladj_t = tt.log_abs_det_jacobian(torch.tensor(x), yt)
    except NotImplementedError:
        return
    close(tp.log_abs_det_jacobian(pullback.tensor(x), yp), ladj_t, rtol=1e-9)


def test_stick_breaking_shapes_and_gradients():
    x = real((2, 3))
    px, tx = pullback.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    P, T = D.StickBreakingTransform(), TD.StickBreakingTransform()
    yp, yt = P(px), T(tx)
    close(yp, yt)
    assert tuple(P.forward_shape((2, 3))) == tuple(T.forward_shape((2, 3)))
    assert tuple(P.inverse_shape((2, 4))) == tuple(T.inverse_shape((2, 4)))
    lp, lt = P.log_abs_det_jacobian(px, yp).sum() + yp[..., 0].sum(), T.log_abs_det_jacobian(tx, yt).sum() + yt[..., 0].sum()
    close(pullback.autograd.grad(lp, [px])[0], torch.autograd.grad(lt, [tx])[0])


def test_torch_module_layout():
    import importlib
    for module, name in [("normal", "Normal"), ("relaxed_bernoulli", "LogitRelaxedBernoulli"),
                         ("relaxed_categorical", "ExpRelaxedCategorical"), ("multivariate_normal", "MultivariateNormal"),
                         ("transformed_distribution", "TransformedDistribution"), ("kl", "register_kl"),
                         ("constraint_registry", "biject_to"), ("utils", "broadcast_all"), ("exp_family",
                                                                                            "ExponentialFamily")]:
        assert hasattr(importlib.import_module(f"pullback.distributions.{module}"), name)
        assert hasattr(importlib.import_module(f"torch.distributions.{module}"), name)


def test_hessian_multivariate_normal_log_prob():
    loc, cov, x = real((3,)), spd(3), real((3,))
    fp = lambda l, c: D.MultivariateNormal(l, c).log_prob(pullback.tensor(x))
    ft = lambda l, c: TD.MultivariateNormal(l, c).log_prob(torch.tensor(x))
    hp = pullback.autograd.functional.hessian(lambda l: fp(l, pullback.tensor(cov)), pullback.tensor(loc))
    ht = torch.autograd.functional.hessian(lambda l: ft(l, torch.tensor(cov)), torch.tensor(loc))
    close(hp, ht, rtol=1e-9)
    # mixed second derivative d/dcov (d/dloc log_prob), through the Cholesky factor
    pl, pc = pullback.tensor(loc, requires_grad=True), pullback.tensor(cov, requires_grad=True)
    tl, tc = torch.tensor(loc, requires_grad=True), torch.tensor(cov, requires_grad=True)
    (gp,) = pullback.autograd.grad(fp(pl, pc), [pl], create_graph=True)
    (gt,) = torch.autograd.grad(ft(tl, tc), [tl], create_graph=True)
    (hp2,) = pullback.autograd.grad(gp.sum(), [pc])
    (ht2,) = torch.autograd.grad(gt.sum(), [tc])
    h = hp2.numpy()
    close((h + h.T) / 2, (ht2 + ht2.T) / 2, rtol=1e-8, atol=1e-10)


def test_per_sample_gradients_with_vmap():
    xs, loc, scale = real((5,)), 0.3, 1.7
    f = lambda l, x: D.Laplace(l, pullback.tensor(scale), validate_args=False).log_prob(x)
    g = pullback.vmap(pullback.func.grad(f), in_dims=(None, 0))(pullback.tensor(loc), pullback.tensor(xs))
    ft = lambda l, x: TD.Laplace(l, torch.tensor(scale), validate_args=False).log_prob(x)
    gt = torch.func.vmap(torch.func.grad(ft), in_dims=(None, 0))(torch.tensor(loc), torch.tensor(xs))
    close(g, gt)
