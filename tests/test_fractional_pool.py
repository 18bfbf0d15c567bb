"""Fractional max pooling (F.fractional_max_pool2d / 3d, nn.FractionalMaxPool2d / 3d) against
torch: with ``_random_samples`` given the op is deterministic, so values, indices, gradients (first
order against torch, second order against finite differences) and error messages all match torch;
without them only shapes, dtypes and pullback's own randomness (seeding, compile, vmap) are checked."""
import numpy as np
import pytest

import pullback
import pullback.nn.functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional

FNS = {2: (F.fractional_max_pool2d, TF.fractional_max_pool2d),
       3: (F.fractional_max_pool3d, TF.fractional_max_pool3d)}


def _case(rng, nd, batched=True):
    """A random valid (input shape, kernel, output size): 2-d needs o + k - 1 <= n, 3-d < n."""
    kernel = tuple(int(k) for k in rng.integers(1, 4, nd))
    spatial = tuple(k + int(v) + (nd == 3) for k, v in zip(kernel, rng.integers(0, 10, nd)))
    out = tuple(int(rng.integers(1, n - k + 2 - (nd == 3))) for n, k in zip(spatial, kernel))
    lead = (int(rng.integers(1, 3)), int(rng.integers(1, 4))) if batched else (int(rng.integers(1, 4)),)
    return lead + spatial, kernel, out


def _inputs(rng, shape, nd, dtype, style):
    x = rng.standard_normal(shape)
    if style == "ties":
        x = np.round(x)
    elif style == "nan":
        x[x > 0.8] = np.nan
    elif style == "inf":
        x[:] = -np.inf
    n = shape[0] if len(shape) == nd + 2 else 1
    u = rng.random((n, shape[-nd - 1], nd))
    return torch.tensor(x, dtype=dtype), torch.tensor(u, dtype=dtype)


def _pb(t):
    return pullback.tensor(t.detach().numpy())


@pytest.mark.parametrize("nd", [2, 3])
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32, torch.float16])
@pytest.mark.parametrize("style", ["plain", "ties", "nan", "inf"])
def test_values_and_indices_match_torch(nd, dtype, style):
    rng = np.random.default_rng(nd * 100 + len(style))
    ours, theirs = FNS[nd]
    for trial in range(40):
        shape, kernel, out = _case(rng, nd, batched=trial % 4 != 0)
        x, u = _inputs(rng, shape, nd, dtype, style)
        ev, ei = theirs(x, kernel, output_size=out, return_indices=True, _random_samples=u)
        av, ai = ours(_pb(x), kernel, output_size=out, return_indices=True, _random_samples=_pb(u))
        assert ai.dtype == pullback.int64 and tuple(ai.shape) == tuple(ei.shape)
        np.testing.assert_array_equal(ai.numpy(), ei.numpy(), err_msg=f"{shape} {kernel} {out}")
        np.testing.assert_array_equal(av.numpy(), ev.numpy())
        assert str(av.dtype).split(".")[-1] == str(ev.dtype).split(".")[-1]


@pytest.mark.parametrize("nd", [2, 3])
def test_output_ratio_matches_torch(nd):
    rng = np.random.default_rng(7)
    ours, theirs = FNS[nd]
    shape = (2, 3) + (9,) * nd
    x, u = _inputs(rng, shape, nd, torch.float64, "plain")
    ratio = (0.5, 0.4, 0.6)[:nd]
    ev = theirs(x, 2, output_ratio=ratio, _random_samples=u)
    av = ours(_pb(x), 2, output_ratio=ratio, _random_samples=_pb(u))
    np.testing.assert_array_equal(av.numpy(), ev.numpy())


def _grads(lib, fn, x, u, kernel, out, g):
    x = x.clone().requires_grad_(True) if lib is torch else x.detach().requires_grad_(True)
    y = fn(x, kernel, output_size=out, _random_samples=u)
    (gx,) = lib.autograd.grad(y, x, g)
    return gx


@pytest.mark.parametrize("nd", [2, 3])
def test_gradient_matches_torch(nd):
    rng = np.random.default_rng(11)
    ours, theirs = FNS[nd]
    for trial in range(10):
        shape, kernel, out = _case(rng, nd, batched=trial % 2 == 0)
        x, u = _inputs(rng, shape, nd, torch.float64, "ties" if trial % 3 == 0 else "plain")
        g = rng.standard_normal(theirs(x, kernel, output_size=out, _random_samples=u).shape)
        expected = _grads(torch, theirs, x, u, kernel, out, torch.tensor(g))
        actual = _grads(pullback, ours, _pb(x), _pb(u), kernel, out, pullback.tensor(g))
        np.testing.assert_allclose(actual.numpy(), expected.numpy(), rtol=0, atol=1e-12)


@pytest.mark.parametrize("nd", [2, 3])
def test_first_and_second_order_finite_differences(nd):
    rng = np.random.default_rng(3)
    ours, _ = FNS[nd]
    shape = (2, 2) + (6,) * nd
    # distinct, well separated values: the argmax is locally constant, so finite differences hold
    x = pullback.tensor(rng.permutation(np.prod(shape)).reshape(shape) / 10.0, requires_grad=True)
    u = pullback.tensor(rng.random((2, 2, nd)))

    def f(x):
        return ours(x, 2, output_size=3, _random_samples=u) ** 2

    assert pullback.autograd.gradcheck(f, (x,))
    assert pullback.autograd.gradgradcheck(f, (x,))


def test_samples_are_not_differentiated():
    x = pullback.randn(1, 2, 6, 6, dtype=pullback.float64, requires_grad=True)
    u = pullback.rand(1, 2, 2, dtype=pullback.float64, requires_grad=True)
    F.fractional_max_pool2d(x, 2, output_size=3, _random_samples=u).sum().backward()
    assert u.grad is None and x.grad is not None


def _error(fn, *args, **kwargs):
    with pytest.raises(Exception) as info:
        fn(*args, **kwargs)
    return info.type, str(info.value)


ERROR_CASES_2D = [
    ((1, 3, 5, 7), ((2, 2, 2),), {"output_size": 2}, (1, 3, 2)),
    ((1, 3, 5, 7), (2,), {"output_size": (2, 2, 2)}, (1, 3, 2)),
    ((3, 5), (2,), {"output_size": 2}, (1, 3, 2)),
    ((1, 3, 5, 7, 2), (2,), {"output_size": 2}, (1, 3, 2)),
    ((1, 0, 5, 7), (2,), {"output_size": 2}, (1, 3, 2)),
    ((1, 3, 5, 7), (2,), {"output_size": (2, 7)}, (1, 3, 2)),
    ((1, 3, 5, 7), (2,), {"output_size": (5, 2)}, (1, 3, 2)),
    ((1, 3, 5, 7), (2,), {"output_size": (-1, 2)}, (1, 3, 2)),
    ((1, 3, 5, 7), (2,), {"output_size": 2}, (1, 3, 3)),
    ((1, 3, 5, 7), (2,), {"output_size": 2}, (3, 2)),
    ((1, 3, 5, 7), (2,), {"output_size": 2}, (1, 2, 2)),
    ((1, 3, 5, 7), (2,), {"output_ratio": (0.5, 0.5, 0.5)}, (1, 3, 2)),
    ((1, 3, 5, 7), (2,), {"output_ratio": 0.5}, (1, 3, 2)),
    ((1, 3, 5, 7), (2,), {}, (1, 3, 2)),
]
ERROR_CASES_3D = [
    ((1, 3, 5, 6, 7), ((2, 2),), {"output_size": 2}, (1, 3, 3)),
    ((1, 3, 5, 6, 7), (2,), {"output_size": (2, 2)}, (1, 3, 3)),
    ((3, 5, 7), (2,), {"output_size": 2}, (1, 3, 3)),
    ((1, 0, 5, 6, 7), (2,), {"output_size": 2}, (1, 3, 3)),
    ((1, 3, 5, 6, 7), (2,), {"output_size": (4, 2, 2)}, (1, 3, 3)),
    ((1, 3, 5, 6, 7), (2,), {"output_size": (2, 5, 2)}, (1, 3, 3)),
    ((1, 3, 5, 6, 7), (2,), {"output_size": (2, 2, 6)}, (1, 3, 3)),
    ((1, 3, 5, 6, 7), (2,), {"output_size": (-1, 2, 2)}, (1, 3, 3)),
    ((1, 3, 5, 6, 7), (2,), {"output_size": 2}, (1, 2, 3)),
    ((1, 3, 5, 6, 7), (2,), {}, (1, 3, 3)),
]


@pytest.mark.parametrize("nd,shape,args,kwargs,samples",
                         [(2,) + c for c in ERROR_CASES_2D] + [(3,) + c for c in ERROR_CASES_3D])
def test_errors_match_torch(nd, shape, args, kwargs, samples):
    ours, theirs = FNS[nd]
    x, u = torch.randn(shape), torch.rand(samples)
    expected = _error(theirs, x, *args, _random_samples=u, **kwargs)
    actual = _error(ours, _pb(x), *args, _random_samples=_pb(u), **kwargs)
    assert actual == expected


@pytest.mark.parametrize("nd", [2, 3])
def test_dtype_errors_match_torch(nd):
    ours, theirs = FNS[nd]
    shape = (1, 3) + (6,) * nd
    for x, u in [(torch.randn(shape), torch.rand(1, 3, nd, dtype=torch.float64)),
                 (torch.randint(0, 5, shape), torch.randint(0, 5, (1, 3, nd)))]:
        expected = _error(theirs, x, 2, output_size=2, _random_samples=u)
        actual = _error(ours, _pb(x), 2, output_size=2, _random_samples=_pb(u))
        assert actual == expected


@pytest.mark.parametrize("cls,kwargs", [
    ("FractionalMaxPool2d", {}),
    ("FractionalMaxPool2d", {"output_size": 2, "output_ratio": 0.5}),
    ("FractionalMaxPool2d", {"output_ratio": 1.5}),
    ("FractionalMaxPool3d", {}),
    ("FractionalMaxPool3d", {"output_ratio": (0.5, 0.5, 1.0)}),
    ("FractionalMaxPool3d", {"kernel_size": 0, "output_size": 2}),
    ("FractionalMaxPool3d", {"kernel_size": (2, 0, 2), "output_size": 2}),
])
def test_module_constructor_errors_match_torch(cls, kwargs):
    kwargs = {"kernel_size": 2, **kwargs}
    assert _error(getattr(pullback.nn, cls), **kwargs) == _error(getattr(torch.nn, cls), **kwargs)


@pytest.mark.parametrize("nd", [2, 3])
def test_module_matches_torch_and_keeps_samples_as_buffer(nd):
    rng = np.random.default_rng(5)
    name = f"FractionalMaxPool{nd}d"
    x, u = _inputs(rng, (2, 3) + (8,) * nd, nd, torch.float64, "plain")
    theirs = getattr(torch.nn, name)(2, output_ratio=0.5, return_indices=True, _random_samples=u)
    ours = getattr(pullback.nn, name)(2, output_ratio=0.5, return_indices=True, _random_samples=_pb(u))
    (ev, ei), (av, ai) = theirs(x), ours(_pb(x))
    np.testing.assert_array_equal(av.numpy(), ev.numpy())
    np.testing.assert_array_equal(ai.numpy(), ei.numpy())
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["_random_samples"]


@pytest.mark.parametrize("nd", [2, 3])
def test_drawn_samples_follow_pullback_seed(nd):
    ours, theirs = FNS[nd]
    x = pullback.randn(*(2, 3) + (9,) * nd, dtype=pullback.float64)
    pullback.manual_seed(0)
    a = ours(x, 2, output_size=3)
    pullback.manual_seed(0)
    b = ours(x, 2, output_size=3)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    unbatched = ours(x[0], 2, output_size=(3, 4, 2)[:nd], return_indices=True)
    expected = theirs(torch.tensor(x[0].numpy()), 2, output_size=(3, 4, 2)[:nd], return_indices=True)
    assert [tuple(t.shape) for t in unbatched] == [tuple(t.shape) for t in expected]
    assert unbatched[0].dtype == pullback.float64 and unbatched[1].dtype == pullback.int64


def test_vmap_matches_a_loop():
    rng = np.random.default_rng(9)
    x = pullback.tensor(rng.standard_normal((4, 2, 3, 8, 7)))
    u = pullback.tensor(rng.random((4, 2, 3, 2)))
    batched = pullback.vmap(lambda a, b: F.fractional_max_pool2d(a, 2, output_size=(3, 4), _random_samples=b))(x, u)
    for i in range(4):
        one = F.fractional_max_pool2d(x[i], 2, output_size=(3, 4), _random_samples=u[i])
        np.testing.assert_array_equal(batched[i].numpy(), one.numpy())


def test_compile_draws_new_windows_each_call():
    x = pullback.randn(2, 3, 12, 12, dtype=pullback.float64)
    f = pullback.compile(lambda a: F.fractional_max_pool2d(a, 2, output_size=5))
    pullback.manual_seed(1)
    draws = [f(x).numpy() for _ in range(4)]
    assert any(not np.array_equal(draws[0], d) for d in draws[1:])
