"""Activations, losses and normalization modules of the "nnmore" family: values and gradients
against torch (computed by torch), second order by finite differences, errors as torch's, and
the edge cases the ModuleInfo and OpInfo databases leave out (inplace, integer, empty, 0-dim)."""
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
    assert str(raised.value) == str(expected)


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
    ("celu_zero_alpha", lambda m: m.nn.functional.celu(m.ones(3), 0.0)),
    ("rrelu_bounds", lambda m: m.nn.functional.rrelu(m.ones(3), 0.5, 0.1)),
    ("softmax2d_1d", lambda m: m.nn.Softmax2d()(m.ones(3))),
    ("hardsigmoid_int", lambda m: m.nn.functional.hardsigmoid(m.tensor([1, 2]))),
    ("hardswish_int", lambda m: m.nn.functional.hardswish(m.tensor([1, 2]))),
    ("selu_int", lambda m: m.nn.functional.selu(m.tensor([1, 2]))),
    ("hardshrink_int", lambda m: m.nn.functional.hardshrink(m.tensor([1, 2]))),
    ("softshrink_int", lambda m: m.nn.functional.softshrink(m.tensor([1, 2]))),
    ("rrelu_int", lambda m: m.nn.functional.rrelu(m.tensor([1, 2]))),
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
