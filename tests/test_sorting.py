"""sort, argsort and msort against torch: values, indices, gradients (first and second order, also
against float64 finite differences), forward-mode tangents and vmap."""
import numpy as np
import pytest

import pullback

torch = pytest.importorskip("torch")

NAN = float("nan")


def _pair(array, requires_grad=False):
    """The same values as a torch and a pullback tensor."""
    return (torch.tensor(array, requires_grad=requires_grad),
            pullback.tensor(array, requires_grad=requires_grad))


def _same(actual, expected):
    expected = expected.detach()
    assert str(actual.dtype).split(".")[-1] == str(expected.dtype).split(".")[-1]
    assert tuple(actual.shape) == tuple(expected.shape)
    np.testing.assert_array_equal(actual.detach().numpy(), expected.numpy())


# Inputs with ties, NaN, signed zeros and infinities: every sort below is stable=True, where torch
# fixes the order of equal elements.
_ARRAYS = [
    [3.0, 1.0, 2.0, 1.0, NAN, 3.0, -0.0, 0.0, float("inf"), -float("inf"), NAN, 1.0],
    [[4, 1, 4, 2], [0, 0, -3, 7], [1, 1, 1, 1]],
    [[True, False, True], [False, False, True]],
    np.arange(24.0).reshape(2, 3, 4)[:, ::-1] % 5,
    np.zeros((2, 0, 3)),
    5.0,
]


@pytest.mark.parametrize("array", _ARRAYS, ids=range(len(_ARRAYS)))
@pytest.mark.parametrize("descending", [False, True])
def test_sort_and_argsort_values_and_indices(array, descending):
    t, p = _pair(array)
    for dim in range(-max(t.ndim, 1), max(t.ndim, 1)):
        expected = torch.sort(t, dim=dim, descending=descending, stable=True)
        actual = pullback.sort(p, dim=dim, descending=descending, stable=True)
        _same(actual.values, expected.values)
        _same(actual.indices, expected.indices)
        _same(actual[0], expected[0])
        _same(p.sort(dim, descending).values, t.sort(dim, descending).values)
        _same(pullback.argsort(p, dim=dim, descending=descending, stable=True),
              torch.argsort(t, dim=dim, descending=descending, stable=True))
        _same(p.argsort(dim=dim, descending=descending, stable=True),
              t.argsort(dim=dim, descending=descending, stable=True))
        _same(pullback.sort(p, axis=dim, stable=True).indices, torch.sort(t, axis=dim, stable=True).indices)
    if t.ndim:
        _same(pullback.msort(p), torch.msort(t))


def test_sort_returns_torchs_named_tuple():
    t, p = _pair([2.0, 1.0])
    expected, actual = torch.sort(t), pullback.sort(p)
    assert type(actual).__name__ == type(expected).__name__ == "sort"
    assert actual._fields == ("values", "indices")
    assert repr(actual).replace("pullback", "torch") == repr(expected)


def test_sort_errors_as_torch():
    t, p = _pair([[1.0, 2.0]])
    for call in (lambda lib, x: lib.sort(x, dim=2), lambda lib, x: lib.argsort(x, -3),
                 lambda lib, x: lib.sort([1.0])):
        with pytest.raises(Exception) as expected:
            call(torch, t)
        with pytest.raises(type(expected.value)) as raised:
            call(pullback, p)
        if type(expected.value) is not TypeError:  # (torch's TypeError lists its overloads)
            assert str(raised.value) == str(expected.value)


def _outs(lib, *dtypes):
    return tuple(lib.empty(2, dtype=getattr(lib, d)) for d in dtypes)


def test_sort_out_as_torch():
    t, p = _pair(np.array([3.0, 1.0]))
    tv, ti = _outs(torch, "float64", "int64")
    pv, pi = _outs(pullback, "float64", "int64")
    expected, actual = torch.sort(t, out=(tv, ti)), pullback.sort(p, out=(pv, pi))
    assert actual.values is pv and actual.indices is pi
    assert repr(actual).replace("pullback", "torch") == repr(expected)  # (torch's return_types.sort_out)
    _same(pv, tv)
    _same(pi, ti)
    _same(pullback.argsort(p, stable=True, out=pi), torch.argsort(t, stable=True, out=ti))
    for call in (lambda lib, x: lib.sort(x, out=_outs(lib, "float32", "int64")),
                 lambda lib, x: lib.sort(x, out=_outs(lib, "float64", "int32")),
                 lambda lib, x: lib.sort(x, out=_outs(lib, "float64")),
                 lambda lib, x: lib.argsort(x, stable=True, out=_outs(lib, "float64")[0])):
        with pytest.raises(Exception) as expected:
            call(torch, t)
        with pytest.raises(type(expected.value), match=f"^{expected.value}$"):
            call(pullback, p)


@pytest.mark.parametrize("dim,descending", [(-1, False), (0, True), (1, False)])
def test_sort_gradients_as_torch_and_finite_differences(dim, descending):
    array = np.random.default_rng(0).standard_normal((3, 4))
    t, p = _pair(array, requires_grad=True)
    weights = np.random.default_rng(1).standard_normal((3, 4))

    def loss(lib, x):
        return (lib.sort(x, dim, descending).values ** 3 * lib.tensor(weights)).sum()

    (tg,) = torch.autograd.grad(loss(torch, t), t, create_graph=True)
    (pg,) = pullback.autograd.grad(loss(pullback, p), p, create_graph=True)
    np.testing.assert_allclose(pg.detach().numpy(), tg.detach().numpy(), rtol=1e-12)
    assert pullback.sort(p).values.grad_fn.name() == torch.sort(t).values.grad_fn.name() == "SortBackward0"
    assert not pullback.sort(p).indices.requires_grad
    (tgg,) = torch.autograd.grad(tg.sum(), t)
    (pgg,) = pullback.autograd.grad(pg.sum(), p)
    np.testing.assert_allclose(pgg.numpy(), tgg.numpy(), rtol=1e-12)

    def values(x):
        return pullback.sort(x, dim, descending).values

    assert pullback.autograd.gradcheck(values, (p,))
    assert pullback.autograd.gradgradcheck(values, (p,))


def test_sort_of_a_0_dim_tensor_passes_its_gradient():
    t, p = _pair(2.5, requires_grad=True)
    (torch.sort(t).values * 3).backward()
    (pullback.sort(p).values * 3).backward()
    _same(p.grad, t.grad)


@pytest.mark.parametrize("dim,descending", [(-1, False), (0, True)])
def test_sort_jvp_as_torch(dim, descending):
    rng = np.random.default_rng(2)
    x, v = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    expected = torch.func.jvp(lambda a: torch.sort(a, dim, descending).values, (torch.tensor(x),), (torch.tensor(v),))
    actual = pullback.func.jvp(lambda a: pullback.sort(a, dim, descending).values, (pullback.tensor(x),),
                               (pullback.tensor(v),))
    for a, e in zip(actual, expected):
        np.testing.assert_allclose(a.numpy(), e.numpy(), rtol=1e-12)
    (scalar_tangent,) = pullback.func.jvp(lambda a: pullback.sort(a).values, (pullback.tensor(1.5),),
                                          (pullback.tensor(2.0),))[1:]
    assert scalar_tangent.item() == 2.0


@pytest.mark.parametrize("in_dims", [0, 1, -1])
@pytest.mark.parametrize("descending", [False, True])
def test_sort_vmap_as_torch(in_dims, descending):
    x = np.random.default_rng(3).integers(0, 4, (3, 4, 5)).astype(np.float64)  # ties: stable order counts

    for fn in (lambda lib: lambda a: lib.sort(a, dim=0, descending=descending, stable=True),
               lambda lib: lambda a: lib.argsort(a, dim=-1, descending=descending, stable=True)):
        expected = torch.vmap(fn(torch), in_dims=in_dims)(torch.tensor(x))
        actual = pullback.vmap(fn(pullback), in_dims=in_dims)(pullback.tensor(x))
        for a, e in zip(*((actual, expected) if isinstance(expected, tuple) else ((actual,), (expected,)))):
            _same(a, e)
    # 0-dim samples: each is its own sort
    _same(pullback.vmap(lambda a: pullback.sort(a).indices)(pullback.tensor([3.0, 1.0])),
          torch.vmap(lambda a: torch.sort(a).indices)(torch.tensor([3.0, 1.0])))


def test_per_sample_gradients_through_sort():
    x = np.random.default_rng(4).standard_normal((3, 5))

    def loss(lib):
        return lambda a: (lib.sort(a, descending=True).values[:2] ** 2).sum()

    expected = torch.vmap(torch.func.grad(loss(torch)))(torch.tensor(x))
    actual = pullback.vmap(pullback.func.grad(loss(pullback)))(pullback.tensor(x))
    np.testing.assert_allclose(actual.numpy(), expected.numpy(), rtol=1e-12)
