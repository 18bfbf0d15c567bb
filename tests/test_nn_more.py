"""Activations, losses and normalization modules of the "nnmore" family: values and gradients
against torch (computed by torch), second order by finite differences, errors as torch's, and
the edge cases the ModuleInfo and OpInfo databases leave out (inplace, integer, empty, 0-dim)."""
import warnings

import numpy as np
import pytest

import pullback

torch = pytest.importorskip("torch")


def _pair(arrays, requires_grad=True):
    pb = [pullback.tensor(a, requires_grad=requires_grad) for a in arrays]
    th = [torch.tensor(a, requires_grad=requires_grad) for a in arrays]
    return pb, th


def _close(actual, expected, rtol=1e-7, atol=1e-9):
    expected = expected.detach().numpy() if isinstance(expected, torch.Tensor) else np.asarray(expected)
    actual = actual.detach().numpy() if isinstance(actual, pullback.Tensor) else np.asarray(actual)
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol)


def _keep_off(a, kinks, gap=0.05):
    for k in kinks:
        close = np.abs(a - k) < gap
        a = np.where(close, k + np.sign(a - k + 1e-12) * gap * 2, a)
    return a


# (id, fn(m, *xs) -> tensor, input shapes, domain, kinks to keep finite differences off, second order)
CASES = [
    ("glu", lambda m, x: m.nn.functional.glu(x, 1), ((3, 4),), (-2, 2), (), True),
    ("GLU_module", lambda m, x: m.nn.GLU(0)(x), ((4, 3),), (-2, 2), (), True),
    ("prelu_channels", lambda m, x, w: m.nn.functional.prelu(x, w), ((2, 3, 4), (3,)), (-2, 2), (0.0,), True),
    ("prelu_scalar_weight", lambda m, x, w: m.nn.functional.prelu(x, w), ((5,), (1,)), (-2, 2), (0.0,), True),
    ("celu", lambda m, x: m.nn.functional.celu(x, 0.7), ((6,),), (-2, 2), (0.0,), True),
    ("selu", lambda m, x: m.nn.functional.selu(x), ((6,),), (-2, 2), (0.0,), True),
    ("hardsigmoid", lambda m, x: m.nn.functional.hardsigmoid(x), ((8,),), (-5, 5), (-3.0, 3.0), True),
    ("hardswish", lambda m, x: m.nn.functional.hardswish(x), ((8,),), (-5, 5), (-3.0, 3.0), True),
    ("mish", lambda m, x: m.nn.functional.mish(x), ((6,),), (-3, 3), (), True),
    ("softsign", lambda m, x: m.nn.functional.softsign(x), ((6,),), (-3, 3), (0.0,), True),
    ("tanhshrink", lambda m, x: m.nn.functional.tanhshrink(x), ((6,),), (-3, 3), (), True),
    ("threshold", lambda m, x: m.nn.functional.threshold(x, 0.3, -2.0), ((6,),), (-2, 2), (0.3,), True),
    ("hardshrink", lambda m, x: m.nn.functional.hardshrink(x, 0.4), ((8,),), (-2, 2), (-0.4, 0.4), True),
    ("softshrink", lambda m, x: m.nn.functional.softshrink(x, 0.4), ((8,),), (-2, 2), (-0.4, 0.4), True),
    ("logsigmoid", lambda m, x: m.nn.functional.logsigmoid(x), ((6,),), (-3, 3), (), True),
    ("relu6", lambda m, x: m.nn.ReLU6()(x), ((8,),), (-2, 8), (0.0, 6.0), True),
    ("softmin", lambda m, x: m.nn.Softmin(1)(x), ((2, 4),), (-2, 2), (), True),
    ("softmax2d", lambda m, x: m.nn.Softmax2d()(x), ((2, 3, 2, 2),), (-2, 2), (), True),
    ("rrelu_eval", lambda m, x: m.nn.functional.rrelu(x, 0.1, 0.3), ((6,),), (-2, 2), (0.0,), True),
]


@pytest.mark.parametrize("name,fn,shapes,domain,kinks,second", CASES, ids=[c[0] for c in CASES])
def test_values_and_gradients_as_torch(name, fn, shapes, domain, kinks, second):
    rng = np.random.default_rng(abs(hash(name)) % 2**32)
    arrays = [_keep_off(rng.uniform(*domain, s), kinks) for s in shapes]
    pb, th = _pair(arrays)
    out_pb, out_th = fn(pullback, *pb), fn(torch, *th)
    _close(out_pb, out_th)
    assert str(out_pb.dtype).split(".")[1] == str(out_th.dtype).split(".")[1]
    cot = rng.standard_normal(tuple(out_th.shape))
    g_pb = pullback.autograd.grad(out_pb, pb, pullback.tensor(cot))
    g_th = torch.autograd.grad(out_th, th, torch.tensor(cot))
    for a, e in zip(g_pb, g_th):
        _close(a, e)
    if second:
        assert pullback.autograd.gradgradcheck(lambda *xs: fn(pullback, *xs), pb)


# ------------------------------------------------------------------ activations: details
def test_rrelu_training_is_random_within_bounds():
    x = -pullback.rand(1000, dtype=pullback.float64) - 0.5
    out = pullback.nn.RReLU(0.1, 0.3)(x)
    slope = (out / x).numpy()
    assert slope.min() >= 0.1 and slope.max() <= 0.3 and slope.std() > 0.01
    pos = pullback.rand(5) + 0.1
    _close(pullback.nn.functional.rrelu(pos, training=True), pos.numpy())
    m = pullback.nn.RReLU().eval()
    _close(m(x), torch.nn.RReLU().eval()(torch.tensor(x.numpy())))


@pytest.mark.parametrize("name", ["SiLU", "Mish", "SELU", "CELU", "Hardsigmoid", "Hardswish", "ReLU6", "RReLU"])
def test_inplace_flag_writes_into_input(name):
    x = pullback.tensor([-1.5, -0.2, 0.4, 2.0])
    tx = torch.tensor(x.numpy())
    module, tmodule = getattr(pullback.nn, name)(inplace=True), getattr(torch.nn, name)(inplace=True)
    if name == "RReLU":
        module.eval(), tmodule.eval()
    out = module(x)
    assert out is x
    _close(x, tmodule(tx), rtol=1e-6)
    assert repr(module) == repr(tmodule)


def test_inplace_functional_forms():
    F, TF = pullback.nn.functional, torch.nn.functional
    for name, args in [("elu_", ()), ("leaky_relu_", (0.2,)), ("hardtanh_", (-0.5, 0.5)), ("celu_", (0.5,)),
                       ("selu_", ()), ("threshold_", (0.1, 3.0)), ("rrelu_", ())]:
        x = pullback.tensor([-1.5, -0.2, 0.4, 2.0])
        tx = torch.tensor(x.numpy())
        assert getattr(F, name)(x, *args) is x
        getattr(TF, name)(tx, *args)
        _close(x, tx, rtol=1e-6)


def test_threshold_keeps_integer_dtype():
    x = pullback.tensor([1, 2, 3])
    out = pullback.nn.functional.threshold(x, 1.5, 0.5)
    expected = torch.nn.functional.threshold(torch.tensor([1, 2, 3]), 1.5, 0.5)
    assert out.dtype is pullback.int64
    _close(out, expected)


@pytest.mark.parametrize("fn", ["softsign", "tanhshrink"])
def test_integer_inputs_promote_as_torch(fn):
    out = getattr(pullback.nn.functional, fn)(pullback.tensor([1, 2, 3]))
    expected = getattr(torch.nn.functional, fn)(torch.tensor([1, 2, 3]))
    assert out.dtype is pullback.float32
    _close(out, expected, rtol=1e-6)


def test_empty_and_zero_dim():
    F, TF = pullback.nn.functional, torch.nn.functional
    for name in ["selu", "celu", "hardsigmoid", "hardswish", "mish", "softsign", "tanhshrink", "hardshrink",
                 "softshrink", "logsigmoid"]:
        for shape in [(0,), (), (2, 0)]:
            a = np.full(shape, -0.7)
            _close(getattr(F, name)(pullback.tensor(a)), getattr(TF, name)(torch.tensor(a)))
    _close(F.glu(pullback.zeros(0, 4)), TF.glu(torch.zeros(0, 4)))


def _same_error(fn):
    try:
        fn(torch)
    except Exception as e:  # noqa: BLE001 (torch's error is the expectation)
        expected = e
    else:
        raise AssertionError("torch raises nothing")
    with pytest.raises(type(expected)) as raised:
        fn(pullback)
    assert str(raised.value).replace("pullback.", "torch.") == str(expected)


ERRORS = [
    ("glu_scalar", lambda m: m.nn.functional.glu(m.tensor(1.0))),
    ("glu_odd", lambda m: m.nn.functional.glu(m.ones(2, 3))),
    ("glu_dim", lambda m: m.nn.functional.glu(m.ones(2, 4), 5)),
    ("glu_int", lambda m: m.nn.functional.glu(m.ones(2, 4, dtype=m.int64))),
    ("prelu_count", lambda m: m.nn.functional.prelu(m.ones(2, 3), m.ones(2))),
    ("prelu_1d", lambda m: m.nn.functional.prelu(m.ones(3), m.ones(3))),
    ("prelu_2d_weight", lambda m: m.nn.functional.prelu(m.ones(2, 3), m.ones(3, 1))),
    ("prelu_zero_dim", lambda m: m.nn.functional.prelu(m.tensor(1.0), m.ones(2))),
    ("softshrink_negative", lambda m: m.nn.functional.softshrink(m.ones(3), -1.0)),
    ("softshrink_negative_double", lambda m: m.nn.functional.softshrink(m.ones(3, dtype=m.float64), -1.0)),
    ("softshrink_inf", lambda m: m.nn.functional.softshrink(m.ones(3), float("inf"))),
    ("mish_list", lambda m: m.nn.functional.mish([1.0])),
    ("logsigmoid_list", lambda m: m.nn.functional.logsigmoid([1.0])),
    ("celu_zero_alpha", lambda m: m.nn.functional.celu(m.ones(3), 0.0)),
    ("rrelu_bounds", lambda m: m.nn.functional.rrelu(m.ones(3), 0.5, 0.1)),
    ("softmax2d_1d", lambda m: m.nn.Softmax2d()(m.ones(3))),
    ("hardsigmoid_int", lambda m: m.nn.functional.hardsigmoid(m.tensor([1, 2]))),
    ("hardswish_int", lambda m: m.nn.functional.hardswish(m.tensor([1, 2]))),
    ("selu_int", lambda m: m.nn.functional.selu(m.tensor([1, 2]))),
    ("hardshrink_int", lambda m: m.nn.functional.hardshrink(m.tensor([1, 2]))),
    ("softshrink_int", lambda m: m.nn.functional.softshrink(m.tensor([1, 2]))),
    ("rrelu_int", lambda m: m.nn.functional.rrelu(m.tensor([1, 2]))),
    ("prelu_promoting", lambda m: m.nn.functional.prelu(m.ones(2, 4), m.ones(4, dtype=m.float64))),
    ("prelu_long_float", lambda m: m.nn.functional.prelu(m.ones(2, 4, dtype=m.int64), m.ones(4))),
    ("prelu_long", lambda m: m.nn.functional.prelu(m.ones(2, 4, dtype=m.int64), m.ones(4, dtype=m.int64))),
    ("threshold_bool", lambda m: m.nn.functional.threshold(m.ones(2, dtype=m.bool), 0.5, 0)),
]


@pytest.mark.parametrize("name,fn", ERRORS, ids=[e[0] for e in ERRORS])
def test_errors_as_torch(name, fn):
    _same_error(fn)


def test_prelu_module_parameters_and_repr():
    m, t = pullback.nn.PReLU(3, init=0.1), torch.nn.PReLU(3, init=0.1)
    assert repr(m) == repr(t)
    _close(m.weight, t.weight, rtol=1e-6)
    x = np.random.default_rng(0).standard_normal((2, 3, 4)).astype(np.float32)
    out = m(pullback.tensor(x))
    out.sum().backward()
    tout = t(torch.tensor(x))
    tout.sum().backward()
    _close(out, tout, rtol=1e-6)
    _close(m.weight.grad, t.weight.grad, rtol=1e-5)


@pytest.mark.parametrize("make", [
    lambda nn: nn.GLU(), lambda nn: nn.CELU(0.5, inplace=True), lambda nn: nn.Threshold(0.1, 20.0),
    lambda nn: nn.Hardshrink(0.3), lambda nn: nn.Softshrink(), lambda nn: nn.ReLU6(True), lambda nn: nn.Softmin(1),
    lambda nn: nn.Softmax2d(), lambda nn: nn.RReLU(0.1, 0.2), lambda nn: nn.Tanhshrink(), lambda nn: nn.LogSigmoid(),
    lambda nn: nn.SELU(), lambda nn: nn.Mish(),
])
def test_activation_reprs_as_torch(make):
    assert repr(make(pullback.nn)) == repr(make(torch.nn))


# ------------------------------------------------------------------------ losses
def _sign_target(m, shape, seed=0):
    return m.tensor(np.where(np.random.default_rng(seed).random(shape) < 0.5, -1.0, 1.0))


LOSS_CASES = [
    ("margin_ranking", lambda m, a, b: m.nn.MarginRankingLoss(0.3)(a, b, _sign_target(m, (6,)))),
    ("soft_margin", lambda m, a: m.nn.SoftMarginLoss(reduction="sum")(a, _sign_target(m, (2, 3)))),
    ("hinge_embedding", lambda m, a: m.nn.HingeEmbeddingLoss(0.8, reduction="none")(a, _sign_target(m, (2, 3)))),
    ("cosine_embedding", lambda m, a, b: m.nn.CosineEmbeddingLoss(0.1)(a, b, _sign_target(m, (4,)))),
    ("cosine_embedding_1d", lambda m, a, b: m.nn.functional.cosine_embedding_loss(a, b, m.tensor(-1.0), -0.5)),
    ("multilabel_soft_margin", lambda m, a, w: m.nn.functional.multilabel_soft_margin_loss(
        a, m.tensor([[0.0, 1.0, 1.0], [1.0, 0.0, 0.0]]), weight=w)),
    ("multi_margin_p2_weight", lambda m, a: m.nn.functional.multi_margin_loss(
        a, m.tensor([0, 2, 1, 2]), p=2, margin=0.7, weight=m.tensor([0.5, 1.0, 2.0], dtype=a.dtype),
        reduction="none")),
    ("multi_margin_1d", lambda m, a: m.nn.MultiMarginLoss()(a, m.tensor([1]))),
    ("multilabel_margin", lambda m, a: m.nn.MultiLabelMarginLoss(reduction="sum")(
        a, m.tensor([[3, 0, -1, 1], [1, 2, 3, 0], [2, 2, -1, -1]]))),
    ("multilabel_margin_1d", lambda m, a: m.nn.functional.multilabel_margin_loss(a, m.tensor([2, -1, 0, 1]))),
    ("gaussian_nll", lambda m, a, b, v: m.nn.GaussianNLLLoss(full=True)(a, b, v)),
    ("gaussian_nll_one_var_per_row", lambda m, a, b, v: m.nn.functional.gaussian_nll_loss(
        a, b, v, reduction="none")),
    ("poisson_nll", lambda m, a, b: m.nn.PoissonNLLLoss()(a, b)),
    ("poisson_nll_full_rate", lambda m, a, b: m.nn.PoissonNLLLoss(log_input=False, full=True)(a, b * 3)),
    ("triplet_margin_swap", lambda m, a, p, n: m.nn.TripletMarginLoss(2.0, p=1.5, swap=True)(a, p, n)),
    ("triplet_distance", lambda m, a, p, n: m.nn.TripletMarginWithDistanceLoss(
        distance_function=lambda x, y: 1.0 - m.nn.functional.cosine_similarity(x, y), margin=0.5,
        reduction="sum")(a, p, n)),
    ("pairwise_distance_keepdim", lambda m, a, b: m.nn.PairwiseDistance(3.0, keepdim=True)(a, b)),
    ("pdist", lambda m, a: m.nn.functional.pdist(a)),
    ("pdist_p1", lambda m, a: m.nn.functional.pdist(a, 1.0)),
]
LOSS_SHAPES = {
    "margin_ranking": ((6,), (6,)), "soft_margin": ((2, 3),), "hinge_embedding": ((2, 3),),
    "cosine_embedding": ((4, 3), (4, 3)), "cosine_embedding_1d": ((3,), (3,)),
    "multilabel_soft_margin": ((2, 3), (3,)), "multi_margin_p2_weight": ((4, 3),), "multi_margin_1d": ((3,),),
    "multilabel_margin": ((3, 4),), "multilabel_margin_1d": ((4,),), "gaussian_nll": ((3, 2), (3, 2), (3, 2)),
    "gaussian_nll_one_var_per_row": ((3, 2), (3, 2), (3, 1)), "poisson_nll": ((2, 3), (2, 3)),
    "poisson_nll_full_rate": ((2, 3), (2, 3)), "triplet_margin_swap": ((4, 3), (4, 3), (4, 3)),
    "triplet_distance": ((4, 3), (4, 3), (4, 3)), "pairwise_distance_keepdim": ((4, 3), (4, 3)), "pdist": ((4, 3),),
    "pdist_p1": ((4, 3),),
}
POSITIVE = {"gaussian_nll", "gaussian_nll_one_var_per_row", "poisson_nll_full_rate", "multilabel_soft_margin",
            "multi_margin_p2_weight"}


@pytest.mark.parametrize("name,fn", LOSS_CASES, ids=[c[0] for c in LOSS_CASES])
def test_losses_as_torch(name, fn):
    rng = np.random.default_rng(len(name))
    shapes = LOSS_SHAPES[name]
    arrays = [rng.uniform(0.2, 2.0, s) if name in POSITIVE else rng.uniform(-2, 2, s) for s in shapes]
    pb, th = _pair(arrays)
    out_pb, out_th = fn(pullback, *pb), fn(torch, *th)
    _close(out_pb, out_th)
    cot = rng.standard_normal(tuple(out_th.shape))
    for a, e in zip(pullback.autograd.grad(out_pb, pb, pullback.tensor(cot), allow_unused=True),
                    torch.autograd.grad(out_th, th, torch.tensor(cot), allow_unused=True)):
        if e is None:
            assert a is None or not a.numpy().any()
        else:
            _close(a, e)
    assert pullback.autograd.gradgradcheck(lambda *xs: fn(pullback, *xs), pb)


def test_gaussian_nll_variance_clamped_with_identity_gradient():
    x, y = np.array([0.5, -1.0]), np.array([0.0, 0.0])
    var = np.array([1e-9, 2.0])
    pv, tv = pullback.tensor(var, requires_grad=True), torch.tensor(var, requires_grad=True)
    out = pullback.nn.functional.gaussian_nll_loss(pullback.tensor(x), pullback.tensor(y), pv, eps=1e-3)
    exp = torch.nn.functional.gaussian_nll_loss(torch.tensor(x), torch.tensor(y), tv, eps=1e-3)
    _close(out, exp)
    out.backward(), exp.backward()
    _close(pv.grad, tv.grad)
    _close(pullback.nn.functional.gaussian_nll_loss(pullback.tensor(x), pullback.tensor(y), 0.5),
           torch.nn.functional.gaussian_nll_loss(torch.tensor(x), torch.tensor(y), 0.5))


def test_gaussian_nll_integer_var_is_a_type_error_as_torch():
    with pytest.raises(TypeError):
        torch.nn.functional.gaussian_nll_loss(torch.ones(2), torch.ones(2), 1)
    with pytest.raises(TypeError):
        pullback.nn.functional.gaussian_nll_loss(pullback.ones(2), pullback.ones(2), 1)


def test_pdist_gradient_zero_for_equal_rows():
    x = pullback.zeros(3, 2, requires_grad=True)
    pullback.nn.functional.pdist(x).sum().backward()
    _close(x.grad, np.zeros((3, 2)))
    _close(pullback.nn.functional.pdist(pullback.zeros(1, 3)), torch.nn.functional.pdist(torch.zeros(1, 3)))


def test_multilabel_margin_duplicate_targets_count_twice():
    x = np.array([[0.1, 0.5, -0.2, 0.9]])
    t = [[1, 1, -1, 2]]
    _close(pullback.nn.functional.multilabel_margin_loss(pullback.tensor(x), pullback.tensor(t)),
           torch.nn.functional.multilabel_margin_loss(torch.tensor(x), torch.tensor(t)))


LOSS_ERRORS = [
    ("margin_ranking_dims", lambda m: m.nn.functional.margin_ranking_loss(m.ones(3), m.ones(2, 3), m.ones(3))),
    ("margin_ranking_reduction", lambda m: m.nn.functional.margin_ranking_loss(m.ones(3), m.ones(3), m.ones(3),
                                                                               reduction="x")),
    ("hinge_reduction", lambda m: m.nn.functional.hinge_embedding_loss(m.ones(3), m.ones(3), reduction="x")),
    ("cosine_multi_target", lambda m: m.nn.functional.cosine_embedding_loss(m.ones(3, 2), m.ones(3, 2),
                                                                            m.ones(3, 1))),
    ("cosine_1d_target", lambda m: m.nn.functional.cosine_embedding_loss(m.ones(3, 2), m.ones(3, 2, 1), m.ones(3))),
    ("cosine_0d_target", lambda m: m.nn.functional.cosine_embedding_loss(m.ones(3, 2), m.ones(3), m.tensor(1.0))),
    ("multilabel_soft_reduction", lambda m: m.nn.functional.multilabel_soft_margin_loss(
        m.ones(3, 2), m.ones(3, 2), reduction="x")),
    ("multi_margin_p", lambda m: m.nn.functional.multi_margin_loss(m.ones(3, 2), m.tensor([0, 1, 1]), p=3)),
    ("multi_margin_target_size", lambda m: m.nn.functional.multi_margin_loss(m.ones(3, 2), m.tensor([0, 1]))),
    ("multi_margin_range", lambda m: m.nn.functional.multi_margin_loss(m.ones(3, 2), m.tensor([0, 1, 2]))),
    ("multi_margin_weight", lambda m: m.nn.functional.multi_margin_loss(m.ones(3, 2), m.tensor([0, 1, 1]),
                                                                        weight=m.ones(3))),
    ("multi_margin_3d", lambda m: m.nn.functional.multi_margin_loss(m.ones(3, 2, 2), m.tensor([0, 1, 1]))),
    ("multi_margin_module_p", lambda m: m.nn.MultiMarginLoss(p=3)),
    ("multilabel_margin_size", lambda m: m.nn.functional.multilabel_margin_loss(m.ones(3, 2), m.tensor([0, 1, 1]))),
    ("multilabel_margin_range", lambda m: m.nn.functional.multilabel_margin_loss(
        m.ones(2, 3), m.tensor([[0, 1, -1], [2, -1, 3]]))),
    ("gaussian_negative_var", lambda m: m.nn.functional.gaussian_nll_loss(m.ones(3, 2), m.ones(3, 2),
                                                                          -m.ones(3, 2))),
    ("gaussian_var_size", lambda m: m.nn.functional.gaussian_nll_loss(m.ones(3, 2), m.ones(3, 2), m.ones(3, 3))),
    ("gaussian_reduction", lambda m: m.nn.functional.gaussian_nll_loss(m.ones(3, 2), m.ones(3, 2), m.ones(3, 2),
                                                                       reduction="x")),
    ("poisson_reduction", lambda m: m.nn.functional.poisson_nll_loss(m.ones(3), m.ones(3), reduction="x")),
    ("triplet_dims", lambda m: m.nn.functional.triplet_margin_loss(m.ones(3, 2), m.ones(3), m.ones(3, 2))),
    ("triplet_margin", lambda m: m.nn.functional.triplet_margin_loss(m.ones(3, 2), m.ones(3, 2), m.ones(3, 2),
                                                                     margin=-1.0)),
    ("triplet_module_margin", lambda m: m.nn.TripletMarginLoss(margin=0)),
    ("triplet_distance_dims", lambda m: m.nn.functional.triplet_margin_with_distance_loss(
        m.ones(3, 2), m.ones(3), m.ones(3, 2))),
    ("pdist_1d", lambda m: m.nn.functional.pdist(m.ones(3))),
    ("multilabel_soft_margin_0d", lambda m: m.nn.functional.multilabel_soft_margin_loss(m.tensor(1.0), m.tensor(1.0))),
    ("pdist_int", lambda m: m.nn.functional.pdist(m.ones(3, 2, dtype=m.int64))),
    ("pdist_negative_p", lambda m: m.nn.functional.pdist(m.ones(3, 2), -1)),
]


@pytest.mark.parametrize("name,fn", LOSS_ERRORS, ids=[e[0] for e in LOSS_ERRORS])
def test_loss_errors_as_torch(name, fn):
    _same_error(fn)


# ----------------------------------------------------------------- normalization
NORM_CASES = [
    ("group_norm", lambda m, x, w, b: m.nn.functional.group_norm(x, 2, w, b, eps=1e-3), ((3, 4, 5), (4,), (4,))),
    ("group_norm_4d_no_affine", lambda m, x: m.nn.functional.group_norm(x, 3), ((2, 6, 2, 3),)),
    ("instance_norm_affine", lambda m, x, w, b: m.nn.functional.instance_norm(x, weight=w, bias=b), ((2, 3, 5), (3,),
                                                                                                    (3,))),
    ("instance_norm_3d", lambda m, x: m.nn.functional.instance_norm(x), ((2, 2, 3, 2, 2),)),
    ("rms_norm", lambda m, x, w: m.nn.functional.rms_norm(x, (3, 4), w), ((2, 3, 4), (3, 4))),
    ("rms_norm_default_eps", lambda m, x: m.nn.RMSNorm(4, elementwise_affine=False).to(x.dtype)(x), ((3, 4),)),
    ("local_response_norm_3d", lambda m, x: m.nn.functional.local_response_norm(x, 3, 0.5, 0.6, 1.5), ((2, 5, 3),)),
    ("local_response_norm_4d_even", lambda m, x: m.nn.LocalResponseNorm(4, 0.3)(x), ((2, 5, 2, 3),)),
    ("local_response_norm_5d", lambda m, x: m.nn.functional.local_response_norm(x, 2, 0.2), ((1, 4, 2, 2, 2),)),
]


@pytest.mark.parametrize("name,fn,shapes", NORM_CASES, ids=[c[0] for c in NORM_CASES])
def test_normalization_as_torch(name, fn, shapes):
    rng = np.random.default_rng(len(name))
    arrays = [rng.uniform(-2, 2, s) for s in shapes]
    pb, th = _pair(arrays)
    out_pb, out_th = fn(pullback, *pb), fn(torch, *th)
    _close(out_pb, out_th)
    cot = rng.standard_normal(tuple(out_th.shape))
    for a, e in zip(pullback.autograd.grad(out_pb, pb, pullback.tensor(cot)),
                    torch.autograd.grad(out_th, th, torch.tensor(cot))):
        _close(a, e)
    assert pullback.autograd.gradgradcheck(lambda *xs: fn(pullback, *xs), pb)


@pytest.mark.parametrize("name,dims", [("InstanceNorm1d", (3, 5)), ("InstanceNorm2d", (3, 4, 2)),
                                       ("InstanceNorm3d", (3, 2, 2, 3))])
@pytest.mark.parametrize("batched", [True, False])
def test_instance_norm_running_stats_as_torch(name, dims, batched):
    rng = np.random.default_rng(1)
    shape = ((2,) if batched else ()) + dims
    ours = getattr(pullback.nn, name)(3, affine=True, track_running_stats=True, momentum=0.3).double()
    theirs = getattr(torch.nn, name)(3, affine=True, track_running_stats=True, momentum=0.3).double()
    for step in range(2):
        x = rng.standard_normal(shape)
        _close(ours(pullback.tensor(x)), theirs(torch.tensor(x)))
    for key in ("running_mean", "running_var", "num_batches_tracked"):
        _close(getattr(ours, key), getattr(theirs, key))
    ours.eval(), theirs.eval()
    x = rng.standard_normal(shape)
    _close(ours(pullback.tensor(x)), theirs(torch.tensor(x)))
    assert repr(ours) == repr(theirs)


def test_instance_norm_cumulative_average_momentum_none():
    rng = np.random.default_rng(2)
    ours = pullback.nn.InstanceNorm1d(2, track_running_stats=True, momentum=None).double()
    theirs = torch.nn.InstanceNorm1d(2, track_running_stats=True, momentum=None).double()
    for _ in range(3):
        x = rng.standard_normal((3, 2, 4))
        ours(pullback.tensor(x)), theirs(torch.tensor(x))
    _close(ours.running_mean, theirs.running_mean)
    _close(ours.running_var, theirs.running_var)


def test_batch_norm_3d_as_torch():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 3, 2, 2, 2))
    ours, theirs = pullback.nn.BatchNorm3d(3).double(), torch.nn.BatchNorm3d(3).double()
    _close(ours(pullback.tensor(x)), theirs(torch.tensor(x)))
    _close(ours.running_var, theirs.running_var)
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("make", [
    lambda nn: nn.GroupNorm(2, 4), lambda nn: nn.GroupNorm(1, 3, affine=False), lambda nn: nn.RMSNorm([2, 3], 1e-3),
    lambda nn: nn.RMSNorm(3), lambda nn: nn.LocalResponseNorm(3, k=2.0), lambda nn: nn.InstanceNorm2d(3),
    lambda nn: nn.InstanceNorm3d(2, affine=True, bias=False),
])
def test_normalization_reprs_and_state_as_torch(make):
    ours, theirs = make(pullback.nn), make(torch.nn)
    assert repr(ours) == repr(theirs)
    assert sorted(ours.state_dict()) == sorted(theirs.state_dict())


NORM_ERRORS = [
    ("group_norm_1d", lambda m: m.nn.functional.group_norm(m.ones(3), 1)),
    ("group_norm_groups", lambda m: m.nn.functional.group_norm(m.ones(2, 3), 2)),
    ("group_norm_weight", lambda m: m.nn.functional.group_norm(m.ones(2, 4), 2, m.ones(3))),
    ("group_norm_one_value", lambda m: m.nn.functional.group_norm(m.ones(1, 2), 2)),
    ("group_norm_module", lambda m: m.nn.GroupNorm(2, 3)),
    ("rms_norm_shape", lambda m: m.nn.functional.rms_norm(m.ones(2, 3), (4,))),
    ("rms_norm_weight", lambda m: m.nn.functional.rms_norm(m.ones(2, 3), (3,), m.ones(2))),
    ("rms_norm_empty_shape", lambda m: m.nn.functional.rms_norm(m.ones(2, 3), ())),
    ("rms_norm_int", lambda m: m.nn.functional.rms_norm(m.ones(2, 3, dtype=m.int64), (3,))),
    ("lrn_2d", lambda m: m.nn.functional.local_response_norm(m.ones(2, 3), 2)),
    ("instance_norm_one_spatial", lambda m: m.nn.functional.instance_norm(m.ones(2, 3))),
    ("instance_norm_stats_size", lambda m: m.nn.functional.instance_norm(m.ones(2, 3, 4), m.zeros(2), m.ones(2))),
    ("instance_norm_module_dims", lambda m: m.nn.InstanceNorm2d(3)(m.ones(3, 4))),
    ("instance_norm_module_features", lambda m: m.nn.InstanceNorm1d(4, affine=True)(m.ones(2, 3, 5))),
    ("batch_norm_3d_dims", lambda m: m.nn.BatchNorm3d(3)(m.ones(2, 3, 4, 4))),
    ("group_norm_int", lambda m: m.nn.functional.group_norm(m.ones(2, 4, 3, dtype=m.int64), 2)),
    ("group_norm_mixed_float", lambda m: m.nn.functional.group_norm(m.ones(2, 4), 2, m.ones(4, dtype=m.float64))),
    ("group_norm_mixed_double", lambda m: m.nn.GroupNorm(2, 4)(m.ones(2, 4, dtype=m.float64))),
    ("instance_norm_int", lambda m: m.nn.functional.instance_norm(m.ones(2, 4, 3, dtype=m.int64))),
    ("instance_norm_mixed", lambda m: m.nn.functional.instance_norm(m.ones(2, 4, 3, dtype=m.float64),
                                                                    weight=m.ones(4))),
]


@pytest.mark.parametrize("name,fn", NORM_ERRORS, ids=[e[0] for e in NORM_ERRORS])
def test_normalization_errors_as_torch(name, fn):
    _same_error(fn)


def test_rms_norm_keeps_input_dtype_with_other_weight_dtype():
    x = np.random.default_rng(5).standard_normal((2, 4))
    for xd, wd in [("float32", "float64"), ("float64", "float32")]:
        out = pullback.nn.functional.rms_norm(pullback.tensor(x, dtype=getattr(pullback, xd)), (4,),
                                              pullback.ones(4, dtype=getattr(pullback, wd)) * 0.5)
        with warnings.catch_warnings():   # torch: "Mismatch dtype between input and weight" (once)
            warnings.simplefilter("ignore")
            exp = torch.nn.functional.rms_norm(torch.tensor(x, dtype=getattr(torch, xd)), (4,),
                                               torch.ones(4, dtype=getattr(torch, wd)) * 0.5)
        assert str(out.dtype).split(".")[1] == str(exp.dtype).split(".")[1]
        _close(out, exp, rtol=1e-6)


def test_margin_ranking_integer_inputs_as_torch():
    args = [[1, 2, 3], [2, 2, 1], [1, -1, 1]]
    out = pullback.nn.functional.margin_ranking_loss(*[pullback.tensor(a) for a in args])
    exp = torch.nn.functional.margin_ranking_loss(*[torch.tensor(a) for a in args])
    assert out.dtype is pullback.float32
    _close(out, exp)


def test_instance_norm_feature_mismatch_warns_without_affine():
    with pytest.warns(UserWarning, match="does not match num_features"):
        pullback.nn.InstanceNorm1d(4)(pullback.ones(2, 3, 5))


# --------------------------------------------------------------------------- vmap
VMAP_CASES = [
    ("glu", lambda m, a: m.nn.functional.glu(a, 1)),
    ("prelu", lambda m, a: m.nn.functional.prelu(a, m.tensor([0.1, 0.2, 0.3, 0.4], dtype=a.dtype))),
    ("hardswish", lambda m, a: m.nn.functional.hardswish(a * 4)),
    ("softshrink", lambda m, a: m.nn.functional.softshrink(a)),
    ("celu", lambda m, a: m.nn.functional.celu(a, 0.5)),
    ("threshold", lambda m, a: m.nn.functional.threshold(a, 0.1, 2.0)),
    ("group_norm", lambda m, a: m.nn.functional.group_norm(a.unsqueeze(0), 3)),
    ("rms_norm", lambda m, a: m.nn.functional.rms_norm(a, (4,))),
    ("local_response_norm", lambda m, a: m.nn.functional.local_response_norm(a.unsqueeze(0), 2)),
    ("pdist", lambda m, a: m.nn.functional.pdist(a)),
    ("multi_margin", lambda m, a: m.nn.functional.multi_margin_loss(a, m.tensor([0, 3, 1]))),
    ("multilabel_margin", lambda m, a: m.nn.functional.multilabel_margin_loss(
        a, m.tensor([[0, -1, 0, 0], [1, 2, -1, 0], [3, 3, 3, 3]]))),
    ("cosine_embedding", lambda m, a: m.nn.functional.cosine_embedding_loss(a, a * 2 + 1, m.tensor([1.0, -1.0, 1.0]))),
    ("triplet", lambda m, a: m.nn.functional.triplet_margin_loss(a, a + 1, a * a)),
]


@pytest.mark.filterwarnings("ignore:There is a performance drop")
@pytest.mark.parametrize("name,fn", VMAP_CASES, ids=[c[0] for c in VMAP_CASES])
def test_vmap_as_torch(name, fn):
    x = np.random.default_rng(4).standard_normal((2, 3, 4))
    _close(pullback.func.vmap(lambda a: fn(pullback, a))(pullback.tensor(x)),
           torch.func.vmap(lambda a: fn(torch, a))(torch.tensor(x)))


# -------------------------------------------------------------------- forward mode
JVP_CASES = [c for c in VMAP_CASES if c[0] not in ("threshold",)] + [
    ("instance_norm", lambda m, a: m.nn.functional.instance_norm(a.unsqueeze(0))),
    ("selu", lambda m, a: m.nn.functional.selu(a)),
    ("mish", lambda m, a: m.nn.functional.mish(a)),
    ("poisson_nll", lambda m, a: m.nn.functional.poisson_nll_loss(a, a * a, full=True)),
]


@pytest.mark.parametrize("name,fn", JVP_CASES, ids=[c[0] for c in JVP_CASES])
def test_jvp_as_torch(name, fn):
    rng = np.random.default_rng(6)
    x, t = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    out, tangent = pullback.func.jvp(lambda a: fn(pullback, a), (pullback.tensor(x),), (pullback.tensor(t),))
    # torch's forward AD lacks pdist and the margin losses: its reverse-mode Jacobian times the tangent
    exp_out = fn(torch, torch.tensor(x))
    jac = torch.autograd.functional.jacobian(lambda a: fn(torch, a), torch.tensor(x))
    _close(out, exp_out)
    _close(tangent, (jac.reshape(exp_out.numel(), -1) @ torch.tensor(t).reshape(-1)).reshape(exp_out.shape))
