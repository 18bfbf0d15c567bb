"""nn.init against torch: the function list, exact results where torch's are deterministic
(calculate_gain, eye_, dirac_, zeros_, ones_, constant_), moments over large draws elsewhere,
torch's errors and warnings, ``generator=``."""
import math
import warnings

import numpy as np
import pytest
torch = pytest.importorskip("torch")  # the oracle: these tests compare with torch


import pullback  # noqa: E402
import pullback.nn.init as PI
import torch.nn.init as TI

N = 200_000  # draws for the moment checks: a mean is off by more than 6 sigma/sqrt(N) ~ 1e-2 sigma never


def same_error(fn_torch, fn_pb):
    with pytest.raises(Exception) as te:
        fn_torch()
    with pytest.raises(Exception) as pe:
        fn_pb()
    assert type(pe.value).__name__ == type(te.value).__name__
    assert str(pe.value) == str(te.value)


def moments_close(x, mean, std, scale):
    """The sample mean within 6 standard errors, the sample std within 6 of its standard errors
    (about std / sqrt(2 n) for a normal sample; doubled for other shapes) or 1%."""
    a = x.detach().numpy().astype(np.float64).ravel()
    assert abs(a.mean() - mean) < 6 * max(std, 1e-12) / math.sqrt(a.size) + 1e-12 * scale
    assert abs(a.std() - std) < max(0.01, 12 / math.sqrt(2 * a.size)) * std + 1e-12 * scale


def test_every_torch_init_function_exists():
    names = [n for n in dir(TI) if not n.startswith("_") and callable(getattr(TI, n))
             and getattr(getattr(TI, n), "__module__", "") == "torch.nn.init"]
    assert len(names) >= 25
    assert [n for n in names if not hasattr(PI, n)] == []


# ------------------------------------------------------------------------- calculate_gain
GAINS = ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
         "sigmoid", "tanh", "relu", "selu", "leaky_relu"]


@pytest.mark.parametrize("nonlinearity", GAINS)
def test_calculate_gain_exact(nonlinearity):
    assert PI.calculate_gain(nonlinearity) == TI.calculate_gain(nonlinearity)
    assert type(PI.calculate_gain(nonlinearity)) is type(TI.calculate_gain(nonlinearity))


@pytest.mark.parametrize("param", [None, 0, 0.2, 1, 3, -0.5])
def test_calculate_gain_leaky_relu(param):
    assert PI.calculate_gain("leaky_relu", param) == TI.calculate_gain("leaky_relu", param)


@pytest.mark.parametrize("args", [("gelu",), ("leaky_relu", True), ("leaky_relu", "1"), ("Relu",)])
def test_calculate_gain_errors(args):
    same_error(lambda: TI.calculate_gain(*args), lambda: PI.calculate_gain(*args))


# -------------------------------------------------------------------- deterministic fills
DTYPES = ["float32", "float64", "int64"]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(3, 3), (2, 5), (5, 2), (0, 3)])
def test_eye_exact(shape, dtype):
    t = TI.eye_(torch.empty(*shape, dtype=getattr(torch, dtype)))
    p = PI.eye_(pullback.empty(*shape, dtype=getattr(pullback, dtype)))
    assert str(p.dtype).replace("pullback", "torch") == str(t.dtype)
    np.testing.assert_array_equal(p.numpy(), t.numpy())


@pytest.mark.parametrize("shape,groups", [((4, 4, 3), 1), ((6, 2, 3, 3), 1), ((2, 6, 3, 4), 1), ((6, 2, 3, 3), 2),
                                          ((6, 3, 3, 3, 3), 3), ((4, 4, 1, 2, 2), 2), ((8, 1, 5), 4)])
def test_dirac_exact(shape, groups):
    t = TI.dirac_(torch.empty(*shape), groups)
    p = PI.dirac_(pullback.empty(*shape), groups)
    np.testing.assert_array_equal(p.numpy(), t.numpy())


@pytest.mark.parametrize("dtype", DTYPES + ["bool"])
def test_zeros_ones_constant_exact(dtype):
    for fn, args in (("zeros_", ()), ("ones_", ()), ("constant_", (3,)), ("constant_", (0.5,))):
        t = getattr(TI, fn)(torch.empty(2, 3, dtype=getattr(torch, dtype)), *args)
        p = getattr(PI, fn)(pullback.empty(2, 3, dtype=getattr(pullback, dtype)), *args)
        np.testing.assert_array_equal(p.numpy(), t.numpy())


def test_fills_in_place_without_a_graph():
    w = pullback.nn.Parameter(pullback.empty(4, 5))
    for fn, args in ((PI.uniform_, ()), (PI.normal_, ()), (PI.xavier_normal_, ()), (PI.kaiming_uniform_, ()),
                     (PI.orthogonal_, ()), (PI.eye_, ()), (PI.zeros_, ()), (PI.constant_, (2.0,)),
                     (PI.trunc_normal_, ()), (PI.sparse_, (0.5,))):
        assert fn(w, *args) is w
        assert w.requires_grad and w.grad_fn is None and w.is_leaf


# ---------------------------------------------------------------------- moments of draws
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_uniform_normal_moments(dtype):
    x = pullback.empty(N, dtype=getattr(pullback, dtype))
    PI.uniform_(x, -1.0, 3.0)
    assert float(x.min()) >= -1 and float(x.max()) < 3
    moments_close(x, 1.0, 4 / math.sqrt(12), 4)
    PI.normal_(x, 2.0, 0.5)
    moments_close(x, 2.0, 0.5, 2)
    assert x.dtype == getattr(pullback, dtype)


def _truncnorm_moments(mean, std, a, b):
    al, be = (a - mean) / std, (b - mean) / std
    phi = lambda z: math.exp(-z * z / 2) / math.sqrt(2 * math.pi)   # noqa: E731
    Phi = lambda z: (1 + math.erf(z / math.sqrt(2))) / 2            # noqa: E731
    Z = Phi(be) - Phi(al)
    m = mean + std * (phi(al) - phi(be)) / Z
    var = std ** 2 * (1 + (al * phi(al) - be * phi(be)) / Z - ((phi(al) - phi(be)) / Z) ** 2)
    return m, math.sqrt(var)


@pytest.mark.parametrize("mean,std,a,b", [(0, 1, -2, 2), (0.5, 2, -1, 3), (0, 1, 2, 3), (0, 0.02, -0.04, 0.04),
                                          (0, 1, -0.1, 0.1), (1, 1, -3, -2.5)])
def test_trunc_normal_moments(mean, std, a, b):
    x = pullback.empty(N, dtype=pullback.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        PI.trunc_normal_(x, mean, std, a, b)
    arr = x.numpy()
    assert arr.min() >= a and arr.max() <= b
    m, s = _truncnorm_moments(mean, std, a, b)
    moments_close(x, m, s, abs(b - a))
    # and torch's draws have the same mean
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = TI.trunc_normal_(torch.empty(N, dtype=torch.float64), mean, std, a, b)
    assert abs(t.mean().item() - arr.mean()) < 12 * s / math.sqrt(N)


def test_trunc_normal_warning_and_errors():
    with pytest.warns(UserWarning) as wt:
        TI.trunc_normal_(torch.empty(3), mean=10)
    with pytest.warns(UserWarning) as wp:
        PI.trunc_normal_(pullback.empty(3), mean=10)
    assert str(wp[0].message) == str(wt[0].message)
    same_error(lambda: TI.trunc_normal_(torch.empty(3), a=1, b=0), lambda: PI.trunc_normal_(pullback.empty(3), a=1, b=0))


def _fans(shape):
    receptive = math.prod(shape[2:]) if len(shape) > 2 else 1
    return shape[1] * receptive, shape[0] * receptive


SHAPES = [(300, 400), (64, 32, 3, 3), (40, 20, 5), (16, 8, 2, 3, 3)]


@pytest.mark.parametrize("shape", SHAPES)
def test_xavier_moments(shape):
    fan_in, fan_out = _fans(shape)
    std = 1.5 * math.sqrt(2 / (fan_in + fan_out))
    x = PI.xavier_normal_(pullback.empty(*shape, dtype=pullback.float64), gain=1.5)
    moments_close(x, 0, std, 1)
    x = PI.xavier_uniform_(pullback.empty(*shape, dtype=pullback.float64), gain=1.5)
    moments_close(x, 0, std, 1)
    assert float(x.abs().max()) <= std * math.sqrt(3)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("mode", ["fan_in", "fan_out", "FAN_OUT"])
@pytest.mark.parametrize("nonlinearity,a", [("leaky_relu", 0), ("leaky_relu", 0.2), ("relu", 0), ("tanh", 0),
                                            ("linear", 0)])
def test_kaiming_moments(shape, mode, nonlinearity, a):
    fan_in, fan_out = _fans(shape)
    fan = fan_in if mode.lower() == "fan_in" else fan_out
    std = TI.calculate_gain(nonlinearity, a) / math.sqrt(fan)
    x = PI.kaiming_normal_(pullback.empty(*shape, dtype=pullback.float64), a, mode, nonlinearity)
    moments_close(x, 0, std, 1)
    x = PI.kaiming_uniform_(pullback.empty(*shape, dtype=pullback.float64), a, mode, nonlinearity)
    moments_close(x, 0, std, 1)
    assert float(x.abs().max()) <= std * math.sqrt(3)


@pytest.mark.parametrize("shape", [(5, 7), (7, 5), (6, 6), (4, 3, 2, 2), (1, 9)])
def test_orthogonal(shape):
    x = PI.orthogonal_(pullback.empty(*shape, dtype=pullback.float64), gain=2.0).numpy().reshape(shape[0], -1)
    rows, cols = x.shape
    gram = x @ x.T if rows <= cols else x.T @ x
    np.testing.assert_allclose(gram, 4 * np.eye(min(rows, cols)), atol=1e-12)
    # Haar: every entry has mean 0 and E[q^2] = 1/max(rows, cols); over many draws
    draws = np.stack([PI.orthogonal_(pullback.empty(rows, cols, dtype=pullback.float64)).numpy()
                      for _ in range(400)])
    assert abs(draws.mean()) < 6 / math.sqrt(draws.size * max(rows, cols))
    np.testing.assert_allclose((draws ** 2).mean(), 1 / max(rows, cols), rtol=0.05)
    assert PI.orthogonal_(pullback.empty(0, 3)).shape == (0, 3)


@pytest.mark.parametrize("sparsity", [0.1, 0.5, 0.9, 0.0])
def test_sparse(sparsity):
    rows, cols = 200, 300
    x = PI.sparse_(pullback.empty(rows, cols, dtype=pullback.float64), sparsity, std=0.3).numpy()
    zeros = math.ceil(sparsity * rows)
    assert ((x == 0).sum(axis=0) == zeros).all()
    moments_close(pullback.tensor(x[x != 0]), 0, 0.3, 1)


# ---------------------------------------------------------------------------- errors, warnings
ERRORS = [
    ("kaiming_uniform_", lambda lib: (lib.empty(3, 4),), {"mode": "bad"}),
    ("kaiming_normal_", lambda lib: (lib.empty(3, 4),), {"mode": "fan"}),
    ("xavier_uniform_", lambda lib: (lib.empty(3),), {}),
    ("xavier_normal_", lambda lib: (lib.empty(3),), {}),
    ("kaiming_normal_", lambda lib: (lib.empty(3),), {}),
    ("uniform_", lambda lib: (lib.empty(3), 1, 0), {}),
    ("normal_", lambda lib: (lib.empty(3), 0, -1), {}),
    ("eye_", lambda lib: (lib.empty(3),), {}),
    ("eye_", lambda lib: (lib.empty(2, 2, 2),), {}),
    ("dirac_", lambda lib: (lib.empty(3, 3),), {}),
    ("dirac_", lambda lib: (lib.empty(3, 3, 3),), {"groups": 2}),
    ("sparse_", lambda lib: (lib.empty(3), 0.1), {}),
    ("orthogonal_", lambda lib: (lib.empty(3),), {}),
    ("orthogonal_", lambda lib: (lib.empty(2, 3, dtype=lib.int64),), {}),
    ("uniform_", lambda lib: (lib.empty(2, dtype=lib.int64),), {}),
    ("uniform_", lambda lib: (lib.empty(2, dtype=lib.bool),), {}),
    ("normal_", lambda lib: (lib.empty(2, dtype=lib.int32),), {}),
    ("kaiming_normal_", lambda lib: (lib.empty(2, 3, dtype=lib.int64),), {}),
    ("trunc_normal_", lambda lib: (lib.empty(2, 3, dtype=lib.int64),), {}),
    ("sparse_", lambda lib: (lib.empty(2, 3, dtype=lib.int64), 0.3), {}),
]


@pytest.mark.parametrize("name,args,kwargs", ERRORS, ids=[f"{e[0]}-{i}" for i, e in enumerate(ERRORS)])
def test_errors(name, args, kwargs):
    same_error(lambda: getattr(TI, name)(*args(torch), **kwargs), lambda: getattr(PI, name)(*args(pullback), **kwargs))


@pytest.mark.parametrize("name", ["kaiming_uniform_", "kaiming_normal_"])
def test_zero_element_warning(name):
    with pytest.warns(UserWarning) as wt:
        getattr(TI, name)(torch.empty(0, 4))
    with pytest.warns(UserWarning) as wp:
        getattr(PI, name)(pullback.empty(0, 4))
    assert str(wp[0].message) == str(wt[0].message)


def test_zero_element_tensors_pass_where_torch_passes():
    for name in ("xavier_uniform_", "orthogonal_", "uniform_", "normal_", "zeros_"):
        assert getattr(PI, name)(pullback.empty(0, 3)).shape == (0, 3)
    assert PI.sparse_(pullback.empty(0, 3), 0.5).shape == (0, 3)


DEPRECATED = [("uniform", lambda lib: (lib.empty(3),)), ("normal", lambda lib: (lib.empty(3),)),
              ("constant", lambda lib: (lib.empty(3), 1.0)), ("eye", lambda lib: (lib.empty(3, 3),)),
              ("dirac", lambda lib: (lib.empty(3, 3, 3),)), ("xavier_uniform", lambda lib: (lib.empty(3, 3),)),
              ("xavier_normal", lambda lib: (lib.empty(3, 3),)), ("kaiming_uniform", lambda lib: (lib.empty(3, 3),)),
              ("kaiming_normal", lambda lib: (lib.empty(3, 3),)), ("orthogonal", lambda lib: (lib.empty(3, 3),)),
              ("sparse", lambda lib: (lib.empty(3, 3), 0.5))]


@pytest.mark.parametrize("name,args", DEPRECATED, ids=[d[0] for d in DEPRECATED])
def test_deprecated_names_warn(name, args):
    with pytest.warns(FutureWarning) as wt:
        getattr(TI, name)(*args(torch))
    with pytest.warns(FutureWarning) as wp:
        out = getattr(PI, name)(*args(pullback))
    assert [str(w.message) for w in wp] == [str(w.message) for w in wt]
    assert isinstance(out, pullback.Tensor)


# ------------------------------------------------------------------------------- generator=
RANDOM = [("uniform_", (), (4, 5)), ("normal_", (), (4, 5)), ("trunc_normal_", (), (4, 5)),
          ("xavier_uniform_", (), (4, 5)), ("xavier_normal_", (), (4, 5)), ("kaiming_uniform_", (), (4, 5)),
          ("kaiming_normal_", (), (4, 5)), ("orthogonal_", (), (4, 5)), ("sparse_", (0.5,), (4, 5))]


@pytest.mark.parametrize("name,args,shape", RANDOM, ids=[r[0] for r in RANDOM])
def test_generator_argument(name, args, shape):
    fn = getattr(PI, name)
    draw = lambda g: fn(pullback.empty(*shape), *args, generator=g).numpy()     # noqa: E731
    a = draw(pullback.Generator().manual_seed(7))
    b = draw(pullback.Generator().manual_seed(7))
    c = draw(pullback.Generator().manual_seed(8))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    # the global stream is untouched by a draw from a generator of one's own
    pullback.manual_seed(0)
    before = pullback.rand(3).numpy()
    pullback.manual_seed(0)
    draw(pullback.Generator().manual_seed(7))
    np.testing.assert_array_equal(pullback.rand(3).numpy(), before)
