"""The selection family against torch: topk, kthvalue, median, nanmedian, mode, aminmax, cummax,
cummin, logcumsumexp, quantile, nanquantile, searchsorted, bucketize, histc, histogram, bincount,
argwhere, unique, unique_consecutive. What the op tables do not cover: ties and NaN where torch fixes
the indices, 0-dim and empty inputs, named tuples, out=, errors (type and message), second-order
gradients at ties, gradients in q, forward mode and vmap. Every expected value is torch's."""
import warnings

import numpy as np
import pytest

import pullback

torch = pytest.importorskip("torch")
import torch_spec as S  # noqa: E402  (after the skip: it needs torch)

NAN = float("nan")
INF = float("inf")


def _both(fn, *arrays, dtype=None, requires_grad=False):
    """fn(lib, *tensors) run on torch and on pullback with the same values; (torch's, pullback's)."""
    def make(lib):
        dt = None if dtype is None else getattr(lib, dtype)
        return [lib.tensor(a, dtype=dt, requires_grad=requires_grad) for a in arrays]
    return fn(torch, *make(torch)), fn(pullback, *make(pullback))


def _same(fn, *arrays, dtype=None):
    expected, actual = _both(fn, *arrays, dtype=dtype)
    S.assert_same(actual, expected)
    return actual


def _raises_as_torch(fn, *arrays, dtype=None):
    """fn raises the same exception type, with the same message, in both libraries."""
    def make(lib):
        dt = None if dtype is None else getattr(lib, dtype)
        return [lib.tensor(a, dtype=dt) for a in arrays]
    with pytest.raises(Exception) as expected:
        fn(torch, *make(torch))
    with pytest.raises(type(expected.value)) as actual:
        fn(pullback, *make(pullback))
    assert str(actual.value) == str(expected.value)


# ----------------------------------------------------------------------------- values and indices

TIES = [3.0, 1.0, 2.0, 1.0, 3.0, 1.0, 2.0]
WITH_NAN = [1.0, NAN, 2.0, NAN, -INF, 0.5]


@pytest.mark.parametrize("fn", [
    lambda m, x: m.topk(x, 3),
    lambda m, x: m.topk(x, 2, largest=False),
    lambda m, x: m.topk(x, 0),
    lambda m, x: m.kthvalue(x, 4),
    lambda m, x: m.median(x),
    lambda m, x: m.median(x, 0),
    lambda m, x: m.nanmedian(x),
    lambda m, x: m.nanmedian(x, -1, keepdim=True),
    lambda m, x: m.aminmax(x),
    lambda m, x: m.cummax(x, 0),
    lambda m, x: m.cummin(x, 0),
    lambda m, x: m.logcumsumexp(x, 0),
], ids=["topk", "topk_smallest", "topk_0", "kthvalue", "median", "median_dim", "nanmedian", "nanmedian_dim",
        "aminmax", "cummax", "cummin", "logcumsumexp"])
def test_nan_and_infinities_as_torch(fn):
    _same(fn, WITH_NAN)


def test_indices_where_torch_fixes_them():
    # cummax/cummin: a tie moves the index to the later element; a NaN, once met, stays the extremum
    # at the latest NaN's index.
    for x in (TIES, [1.0, 3.0, 3.0, 2.0, NAN, 5.0, NAN], [2, 2, 1, 1, 3]):
        _same(lambda m, t: m.cummax(t, 0), x)
        _same(lambda m, t: m.cummin(t, 0), x)
    # median: the lower of the two middles, at the index torch gives when the values are distinct
    _same(lambda m, t: m.median(t, 0), [4.0, 1.0, 3.0, 2.0])
    _same(lambda m, t: m.median(t), [4.0, 1.0, 3.0, 2.0])
    # mode: the smallest of the most frequent values, at its last occurrence (16 or fewer elements)
    for x in ([2.0, 1.0, 2.0, 1.0, 3.0], [3, 3, 1, 1], [5, 1, 5, 1, 1, 5], [True, False, True]):
        _same(lambda m, t: m.mode(t), x)
    _same(lambda m, t: m.mode(t, 1), [[2, 1, 2, 1, 3], [1, 1, 0, 0, 0]])
    _same(lambda m, t: m.mode(t, 0, keepdim=True), [[2, 1], [1, 1], [2, 0]])


def test_ties_take_the_first_of_equal_values():
    # Where torch leaves the choice free (topk, kthvalue) pullback takes equal values in their order.
    top = pullback.topk(pullback.tensor(TIES), 3)
    assert top.indices.tolist() == [0, 4, 2]
    assert pullback.kthvalue(pullback.tensor(TIES), 2).indices.item() == 3
    smallest = pullback.topk(pullback.tensor(TIES), 3, largest=False)
    assert smallest.indices.tolist() == [1, 3, 5]


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_along_each_dim_as_torch(dim):
    x = np.random.default_rng(0).standard_normal((3, 4))
    for fn in (lambda m, t: m.topk(t, 2, dim), lambda m, t: t.topk(3, dim, largest=False, sorted=True),
               lambda m, t: m.kthvalue(t, 2, dim, True), lambda m, t: t.median(dim),
               lambda m, t: m.nanmedian(t, dim), lambda m, t: m.mode(t, dim), lambda m, t: m.aminmax(t, dim=dim),
               lambda m, t: t.aminmax(dim=dim, keepdim=True), lambda m, t: t.cummax(dim), lambda m, t: t.cummin(dim),
               lambda m, t: t.logcumsumexp(dim), lambda m, t: m.quantile(t, 0.25, dim),
               lambda m, t: t.nanquantile(0.75, dim, keepdim=True)):
        _same(fn, x)


@pytest.mark.parametrize("fn", [
    lambda m, x: m.topk(x, 1), lambda m, x: m.topk(x, 0, 0), lambda m, x: m.kthvalue(x, 1, 0, True),
    lambda m, x: m.median(x), lambda m, x: m.median(x, 0, True), lambda m, x: m.nanmedian(x, -1),
    lambda m, x: m.mode(x, 0, keepdim=True), lambda m, x: m.aminmax(x), lambda m, x: m.aminmax(x, dim=0, keepdim=True),
    lambda m, x: m.cummax(x, 0), lambda m, x: m.cummin(x, -1), lambda m, x: m.logcumsumexp(x, 0),
    lambda m, x: m.quantile(x, 0.5), lambda m, x: m.quantile(x, 0.5, 0, keepdim=True),
    lambda m, x: m.unique(x, return_inverse=True, return_counts=True),
    lambda m, x: m.unique_consecutive(x, return_inverse=True), lambda m, x: m.argwhere(x),
    lambda m, x: m.histc(x, 3), lambda m, x: m.histogram(x, 2), lambda m, x: m.searchsorted(m.tensor([1.0, 2.0]), x),
])
def test_a_0_dim_input_as_torch(fn):
    _same(fn, 1.5)


@pytest.mark.parametrize("fn", [
    lambda m, x: m.topk(x, 0, 1), lambda m, x: m.topk(x, 0, 0), lambda m, x: m.kthvalue(x, 1, 1),
    lambda m, x: m.median(x), lambda m, x: m.nanmedian(x), lambda m, x: m.median(x, 1),
    lambda m, x: m.mode(x, 1), lambda m, x: m.aminmax(x, dim=1), lambda m, x: m.cummax(x, 0),
    lambda m, x: m.cummin(x, 1), lambda m, x: m.logcumsumexp(x, 0),
    lambda m, x: m.unique(x, return_inverse=True, return_counts=True), lambda m, x: m.unique(x, dim=0),
    lambda m, x: m.unique_consecutive(x, return_counts=True, dim=0), lambda m, x: m.argwhere(x),
    lambda m, x: m.histc(x, 4), lambda m, x: m.histogram(x, 3), lambda m, x: m.histogram(x, 2, density=True),
])
def test_empty_inputs_as_torch(fn):
    _same(fn, np.zeros((0, 3)))


def test_median_of_an_empty_integer_tensor_is_the_lowest_integer():
    _same(lambda m, x: m.median(x), np.zeros(0, dtype=np.int64))
    _same(lambda m, x: m.nanmedian(x), np.zeros((0, 2)), dtype="float32")


@pytest.mark.parametrize("dtype", ["int64", "bool", "float32"])
def test_other_dtypes_as_torch(dtype):
    x = [[1, 0, 1, 1], [0, 0, 1, 0]]
    for fn in (lambda m, t: m.cummax(t, 1), lambda m, t: m.cummin(t, 0), lambda m, t: m.mode(t, 1),
               lambda m, t: m.aminmax(t), lambda m, t: m.aminmax(t, dim=0),
               lambda m, t: m.unique(t, return_counts=True), lambda m, t: m.unique(t, dim=1, return_inverse=True),
               lambda m, t: m.unique_consecutive(t, return_inverse=True, return_counts=True),
               lambda m, t: m.argwhere(t)):
        _same(fn, x, dtype=dtype)
    if dtype != "bool":
        for fn in (lambda m, t: m.topk(t, 2), lambda m, t: m.median(t, 1), lambda m, t: m.median(t),
                   lambda m, t: m.kthvalue(t, 3, 1)):
            expected, actual = _both(fn, x, dtype=dtype)
            S.assert_same(actual[0] if isinstance(actual, tuple) else actual,
                          expected[0] if isinstance(expected, tuple) else expected)


@pytest.mark.parametrize("fn,name,fields", [
    (lambda m, x: m.topk(x, 2), "topk", ("values", "indices")),
    (lambda m, x: x.kthvalue(1), "kthvalue", ("values", "indices")),
    (lambda m, x: x.median(0), "median", ("values", "indices")),
    (lambda m, x: x.nanmedian(0), "nanmedian", ("values", "indices")),
    (lambda m, x: x.mode(), "mode", ("values", "indices")),
    (lambda m, x: x.cummax(0), "cummax", ("values", "indices")),
    (lambda m, x: x.cummin(0), "cummin", ("values", "indices")),
    (lambda m, x: x.aminmax(), "aminmax", ("min", "max")),
    (lambda m, x: x.histogram(2), "histogram", ("hist", "bin_edges")),
])
def test_named_tuples_as_torch(fn, name, fields):
    expected, result = _both(fn, [1.0, 3.0, 2.0])
    assert type(expected).__name__ == type(result).__name__ == name
    assert result._fields == fields and all(hasattr(expected, f) for f in fields)
    assert repr(result).startswith(f"pullback.return_types.{name}(\n{fields[0]}=tensor(")
    assert f",\n{fields[1]}=tensor(" in repr(result)
    first, second = result
    assert first is getattr(result, fields[0]) and second is getattr(result, fields[1])
    S.assert_same(result, expected)


# ----------------------------------------------------------------------------- quantile

@pytest.mark.parametrize("interpolation", ["linear", "lower", "higher", "midpoint", "nearest"])
@pytest.mark.parametrize("name", ["quantile", "nanquantile"])
def test_quantile_interpolations_as_torch(name, interpolation):
    x = [[1.0, NAN, 3.0, 7.0, 2.0], [4.0, 5.0, 6.0, 0.5, -1.0], [NAN, NAN, NAN, NAN, NAN]]
    q = [0.0, 0.25, 0.5, 0.625, 0.9, 1.0]
    for fn in (lambda m, t, qs: getattr(m, name)(t, qs, dim=1, keepdim=True, interpolation=interpolation),
               lambda m, t, qs: getattr(m, name)(t, qs, 0, interpolation=interpolation),
               lambda m, t, qs: getattr(m, name)(t[:2], 0.375, interpolation=interpolation),
               lambda m, t, qs: getattr(t[1], name)(qs[2], keepdim=True, interpolation=interpolation),
               lambda m, t, qs: getattr(m, name)(t[1], qs, interpolation=interpolation)):
        _same(fn, x, q)


def test_quantile_gradients_in_input_and_q_as_torch():
    x = np.random.default_rng(1).standard_normal((3, 5))
    q = [0.1, 0.5, 0.8]

    def grads(lib, interpolation):
        t = lib.tensor(x, requires_grad=True)
        qs = lib.tensor(q, dtype=t.dtype, requires_grad=True)
        out = lib.quantile(t, qs, dim=1, interpolation=interpolation)
        w = lib.tensor(np.arange(out.numel(), dtype=np.float64).reshape(tuple(out.shape)))
        gx, gq = lib.autograd.grad((out * w).sum(), (t, qs), create_graph=True, allow_unused=True)
        if gq is None:  # no interpolation weights: q is not used
            gq = qs * 0
        second = (gq * gq).sum() + (gx * gx).sum()
        ggx = lib.autograd.grad(second, (t,), allow_unused=True)[0] if second.requires_grad else None
        return [a.detach().numpy() for a in (gx, gq)] + [None if ggx is None else ggx.detach().numpy()]

    for interpolation in ("linear", "midpoint", "nearest"):
        expected, actual = grads(torch, interpolation), grads(pullback, interpolation)
        for a, e in zip(actual, expected):
            if e is None or a is None:
                assert not np.any(a if e is None else e)
            else:
                np.testing.assert_allclose(a, e, rtol=1e-10, atol=1e-12)


def test_quantile_errors_as_torch():
    x = [[1.0, 2.0], [3.0, 4.0]]
    for fn in (lambda m, t: m.quantile(t, 1.5), lambda m, t: m.quantile(t, -0.1),
               lambda m, t: m.quantile(t, m.tensor([0.5, 1.2], dtype=t.dtype)),
               lambda m, t: m.quantile(t, m.tensor([0.5], dtype=m.float32)),
               lambda m, t: m.quantile(t.long(), 0.5),
               lambda m, t: m.quantile(t, m.tensor([[0.5]], dtype=t.dtype)),
               lambda m, t: m.nanquantile(t, 0.5, interpolation="foo"),
               lambda m, t: m.quantile(t[:0], 0.5), lambda m, t: m.quantile(t[:, :0], 0.5, dim=0),
               lambda m, t: m.quantile(t, 0.5, dim=2),
               lambda m, t: m.quantile(t, 0.5, dim=0, out=m.zeros(2, dtype=m.float32))):
        _raises_as_torch(fn, x, dtype="float64")


def test_quantile_out_as_torch():
    out = _same(lambda m, t: m.quantile(t, 0.3, 1, out=m.zeros(2, dtype=m.float64)), [[1.0, 2.0, 4.0], [3.0, 0.0, 5.0]],
                dtype="float64")
    assert out.shape == (2,)


# ----------------------------------------------------------------------------- gradients

def _gradients(lib, fn, x, second=True):
    t = lib.tensor(x, dtype=lib.float64, requires_grad=True)
    out = fn(lib, t)
    w = lib.tensor(np.linspace(-1.0, 2.0, out.numel()).reshape(tuple(out.shape)))
    (g,) = lib.autograd.grad((out * w).sum(), (t,), create_graph=second)
    result = [g.detach().numpy()]
    if second and g.requires_grad:
        (gg,) = lib.autograd.grad((g * g * lib.tensor(x, dtype=lib.float64)).sum(), (t,), allow_unused=True)
        result.append(None if gg is None else gg.numpy())
    return result


@pytest.mark.parametrize("fn,x", [
    (lambda m, t: m.median(t).reshape(1), [[1.0, 2.0, 2.0], [2.0, 0.0, 5.0]]),       # the median tied thrice
    (lambda m, t: m.nanmedian(t).reshape(1), [1.0, NAN, 3.0, 3.0, NAN]),
    (lambda m, t: m.median(t).reshape(1), [1.0, NAN, 3.0, NAN]),                      # NaN: shared by the NaNs
    (lambda m, t: m.median(t, 1).values, [[1.0, 3.0, 2.0], [4.0, 0.0, 5.0]]),
    (lambda m, t: m.nanmedian(t, 0, keepdim=True).values, [[1.0, NAN], [4.0, NAN], [2.0, 5.0]]),
    (lambda m, t: m.topk(t, 2, 0).values, [[1.0, 3.0], [4.0, 0.0], [2.0, 5.0]]),
    (lambda m, t: m.kthvalue(t, 2, 1, True).values, [[1.0, 3.0, 2.0], [4.0, 0.0, 5.0]]),
    (lambda m, t: m.mode(t, 1).values, [[1.0, 3.0, 2.0], [4.0, 0.0, 5.0]]),
    (lambda m, t: m.stack(list(m.aminmax(t))), [[1.0, 3.0, 3.0], [1.0, 0.0, 0.0]]),  # ties share both gradients
    (lambda m, t: m.aminmax(t, dim=1).max, [[1.0, 3.0, 3.0], [1.0, 0.0, 0.0]]),
    (lambda m, t: m.cummax(t, 1).values, [[1.0, 3.0, 3.0, 2.0, 5.0], [4.0, 0.0, 0.0, 4.0, -1.0]]),  # scatter-added
    (lambda m, t: m.cummin(t, 0).values, [[1.0, 3.0], [1.0, 0.0], [0.5, 0.0]]),
    (lambda m, t: m.logcumsumexp(t, 1), [[1.0, 3.0, -2.0, 0.0], [50.0, -40.0, 0.0, 49.0]]),
    (lambda m, t: m.logcumsumexp(t, 0), [-INF, 0.5, 1.0]),
    (lambda m, t: m.logcumsumexp(t, 0), 0.7),
])
def test_gradients_first_and_second_order_as_torch(fn, x):
    expected, actual = _gradients(torch, fn, x), _gradients(pullback, fn, x)
    assert len(actual) == len(expected) or not np.any(actual[-1])
    for a, e in zip(actual, expected):
        if e is None or a is None:
            assert not np.any(a if e is None else e)
        else:
            np.testing.assert_allclose(a, e, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("fn", [
    lambda m, t: m.topk(t, 2, 1).values, lambda m, t: m.kthvalue(t, 2, 0).values, lambda m, t: m.median(t),
    lambda m, t: m.median(t, 1).values, lambda m, t: m.nanmedian(t, 0, True).values, lambda m, t: m.mode(t, 1).values,
    lambda m, t: m.aminmax(t).min, lambda m, t: m.aminmax(t, dim=0).max, lambda m, t: m.cummax(t, 1).values,
    lambda m, t: m.cummin(t, 0).values, lambda m, t: m.logcumsumexp(t, 1), lambda m, t: m.quantile(t, 0.4, 1),
    lambda m, t: m.nanquantile(t, 0.3),
])
def test_forward_mode_as_torch(fn):
    rng = np.random.default_rng(3)
    x, v = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    _, expected = torch.func.jvp(lambda a: fn(torch, a), (torch.tensor(x),), (torch.tensor(v),))
    _, actual = pullback.func.jvp(lambda a: fn(pullback, a), (pullback.tensor(x),), (pullback.tensor(v),))
    np.testing.assert_allclose(actual.numpy(), expected.numpy(), rtol=1e-10, atol=1e-12)


def test_median_forward_mode_at_ties_is_the_mean_tangent():
    x, v = [1.0, 2.0, 2.0, 3.0, 2.0], [0.5, 1.0, 2.0, 4.0, 6.0]
    _, expected = torch.func.jvp(torch.median, (torch.tensor(x),), (torch.tensor(v),))
    _, actual = pullback.func.jvp(pullback.median, (pullback.tensor(x),), (pullback.tensor(v),))
    np.testing.assert_allclose(actual.numpy(), expected.numpy())


def test_indices_and_counts_are_not_differentiable():
    x = pullback.tensor([[1.0, 3.0], [2.0, 0.0]], requires_grad=True)
    for result in (x.topk(1), x.kthvalue(1), x.median(0), x.mode(), x.cummax(0), x.cummin(1)):
        assert result.values.requires_grad and not result.indices.requires_grad
    assert all(r.requires_grad for r in x.aminmax())
    for result in (pullback.searchsorted(x.detach()[0], x), pullback.bucketize(x, x.detach()[0]), x.histc(2),
                   x.histogram(2).hist, x.histogram(2).bin_edges, x.unique(), x.argwhere()):
        assert not result.requires_grad


# ----------------------------------------------------------------------------- vmap

@pytest.mark.parametrize("fn", [
    lambda m, t: m.topk(t, 2).values, lambda m, t: m.topk(t, 1, 0).indices, lambda m, t: m.kthvalue(t, 2).values,
    lambda m, t: m.median(t), lambda m, t: m.nanmedian(t, 0).indices, lambda m, t: m.mode(t, -1).values,
    lambda m, t: m.aminmax(t).max, lambda m, t: m.aminmax(t, dim=0).min, lambda m, t: m.cummax(t, 1).indices,
    lambda m, t: m.cummin(t, 0).values, lambda m, t: m.logcumsumexp(t, 0), lambda m, t: m.quantile(t, 0.3),
    lambda m, t: m.nanquantile(t, 0.6, 1), lambda m, t: m.histc(t, 3, -1, 1),
    lambda m, t: m.searchsorted(m.tensor([-0.5, 0.0, 1.0], dtype=t.dtype), t),
    lambda m, t: m.searchsorted(t.sort(-1).values, t[:, :2], right=True),
    lambda m, t: m.bucketize(t, m.tensor([-0.5, 0.0, 1.0], dtype=t.dtype)),
])
@pytest.mark.parametrize("in_dims", [0, 1])
def test_vmap_as_torch(fn, in_dims):
    x = np.random.default_rng(4).standard_normal((3, 4, 5))
    x[1, 2, 3] = NAN
    expected = torch.vmap(lambda a: fn(torch, a), in_dims=in_dims)(torch.tensor(x))
    actual = pullback.vmap(lambda a: fn(pullback, a), in_dims=in_dims)(pullback.tensor(x))
    S.assert_same(actual, expected)


def test_vmap_of_a_batched_sequence_and_values():
    seq = np.sort(np.random.default_rng(5).standard_normal((3, 6)), axis=1)
    values = np.random.default_rng(6).standard_normal((3, 2, 2))
    for in_dims in ((0, 0), (0, None), (None, 0)):
        fn = (lambda m: lambda s, v: m.searchsorted(s, v, side="right"))
        s_arg = seq if in_dims[0] is not None else seq[0]
        v_arg = values if in_dims[1] is not None else values[0]
        expected = torch.vmap(fn(torch), in_dims=in_dims)(torch.tensor(s_arg), torch.tensor(v_arg))
        actual = pullback.vmap(fn(pullback), in_dims=in_dims)(pullback.tensor(s_arg), pullback.tensor(v_arg))
        S.assert_same(actual, expected)


def test_per_sample_gradients_through_selection():
    x = np.random.default_rng(7).standard_normal((4, 5))

    def loss(m):
        return lambda a: m.topk(a, 2).values.sum() + m.median(a) * 3 + m.logcumsumexp(a, 0)[-1] \
            + m.quantile(a, 0.7)

    expected = torch.vmap(torch.func.grad(loss(torch)))(torch.tensor(x))
    actual = pullback.vmap(pullback.func.grad(loss(pullback)))(pullback.tensor(x))
    np.testing.assert_allclose(actual.numpy(), expected.numpy(), rtol=1e-10)


def test_vmap_refuses_what_depends_on_the_values():
    x = pullback.tensor([[1, 2, 2], [0, 1, 1]])
    for fn in (pullback.unique, pullback.bincount, pullback.argwhere, pullback.unique_consecutive):
        with pytest.raises(RuntimeError, match="vmap: .*cannot do per sample"):
            pullback.vmap(fn)(x)


# ----------------------------------------------------------------------------- errors and out=

@pytest.mark.parametrize("fn", [
    lambda m, t: m.topk(t, 5), lambda m, t: m.topk(t, -1), lambda m, t: m.topk(t, 1, 2),
    lambda m, t: m.kthvalue(t, 4), lambda m, t: m.kthvalue(t, 0, 0), lambda m, t: m.kthvalue(t[:, :0], 1),
    lambda m, t: m.kthvalue(t, 1, out=(t, m.zeros(1, dtype=m.int64))),
    lambda m, t: m.median(t[:, :0], 1), lambda m, t: m.nanmedian(t[:0], 0), lambda m, t: m.median(t, 3),
    lambda m, t: m.mode(t[:0], 0), lambda m, t: m.aminmax(t[:0]), lambda m, t: m.aminmax(t[:, :0], dim=1),
    lambda m, t: m.logcumsumexp(t.long(), 0), lambda m, t: m.cummax(t, 2),
    lambda m, t: m.topk(t, 1, out=(m.zeros(1), m.zeros(1))),
    lambda m, t: m.topk(t, 1.5), lambda m, t: m.kthvalue(t, 2.0), lambda m, t: m.median(t, dim=None),
    lambda m, t: m.nanmedian(t, dim=None), lambda m, t: m.mode(t, dim=None),
    lambda m, t: m.topk(t > 1, 1), lambda m, t: m.kthvalue(t > 1, 1), lambda m, t: m.median(t > 1),
    lambda m, t: m.median(t > 1, 0), lambda m, t: m.nanmedian(t > 1), lambda m, t: m.nanmedian(t > 1, 1),
    lambda m, t: m.histc(t > 1), lambda m, t: m.logcumsumexp(t > 1, 0),
])
def test_errors_as_torch(fn):
    _raises_as_torch(fn, [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])


def test_out_as_torch():
    x = [[3.0, 1.0, 2.0], [0.0, 5.0, 4.0]]
    for fn in (lambda m, t: m.topk(t, 2, out=(m.empty(0), m.empty(0, dtype=m.int64))),
               lambda m, t: m.kthvalue(t, 2, out=(m.empty(0), m.empty(0, dtype=m.int64))),
               lambda m, t: m.median(t, 1, out=(m.empty(0), m.empty(0, dtype=m.int64))),
               lambda m, t: m.mode(t, 0, out=(m.empty(0), m.empty(0, dtype=m.int64))),
               lambda m, t: m.cummax(t, 1, out=(m.empty(0), m.empty(0, dtype=m.int64))),
               lambda m, t: m.aminmax(t, dim=0, out=(m.empty(0), m.empty(0))),
               lambda m, t: m.logcumsumexp(t, 0, out=m.empty(0)),
               lambda m, t: m.searchsorted(t.sort().values, t, out=m.empty(0, dtype=m.int64)),
               lambda m, t: m.histc(t, 3, out=m.empty(0)),
               lambda m, t: m.histogram(t, 3, out=(m.empty(0), m.empty(0)))):
        expected, actual = _both(fn, x)
        S.assert_same(actual, expected)
        if isinstance(expected, tuple):
            assert type(actual).__name__ == type(expected).__name__  # topk_out, aminmax_out, ...
    out = (pullback.empty(0), pullback.empty(0, dtype=pullback.int64))
    result = pullback.topk(pullback.tensor(x), 1, out=out)
    assert result[0] is out[0] and result[1] is out[1]


# ----------------------------------------------------------------------------- searchsorted, bucketize

def test_searchsorted_as_torch():
    seq = [1.0, 2.0, 2.0, 3.0, NAN]
    values = [NAN, 2.0, 0.0, 5.0, 3.0, -INF, INF]
    for fn in (lambda m, s, v: m.searchsorted(s, v), lambda m, s, v: m.searchsorted(s, v, right=True),
               lambda m, s, v: m.searchsorted(s, v, side="right", out_int32=True),
               lambda m, s, v: m.searchsorted(s[:4], v.reshape(7, 1)),
               lambda m, s, v: m.searchsorted(s, 2.0), lambda m, s, v: m.searchsorted(s[:4].long(), 2),
               lambda m, s, v: m.searchsorted(s[:4].long(), 2.5), lambda m, s, v: m.searchsorted(s[:4].long(), v),
               lambda m, s, v: m.searchsorted(s[:4].flip(0), v, sorter=m.tensor([3, 2, 1, 0])),
               lambda m, s, v: m.searchsorted(s[:4].reshape(2, 2), v[1:5].reshape(2, 2), side="left"),
               lambda m, s, v: m.bucketize(v, s[:4]), lambda m, s, v: m.bucketize(v, s[:4], right=True),
               lambda m, s, v: m.bucketize(2.5, s[:4]), lambda m, s, v: m.bucketize(v.reshape(7, 1, 1), s),
               lambda m, s, v: m.searchsorted(s[:0], v), lambda m, s, v: m.searchsorted(s, v[:0])):
        _same(fn, seq, values)


@pytest.mark.parametrize("fn", [
    lambda m, s, v: m.searchsorted(s.reshape(1, 4), v), lambda m, s, v: m.searchsorted(s.reshape(2, 2), 1.0),
    lambda m, s, v: m.searchsorted(s[0], v), lambda m, s, v: m.searchsorted(s, v, side="middle"),
    lambda m, s, v: m.searchsorted(s, v, side="left", right=True),
    lambda m, s, v: m.searchsorted(s, v, sorter=s), lambda m, s, v: m.searchsorted(s, v, sorter=m.tensor([0, 1])),
    lambda m, s, v: m.searchsorted(s, v, sorter=m.tensor([0, 1, 2, 4])),
    lambda m, s, v: m.searchsorted(s, v, out=m.zeros(2)),
    lambda m, s, v: m.searchsorted(s, v, out_int32=True, out=m.zeros(2, dtype=m.int64)),
    lambda m, s, v: m.searchsorted(s > 1, v > 1), lambda m, s, v: m.bucketize(v, s.reshape(2, 2)),
    lambda m, s, v: m.bucketize(v, s[0]),
])
def test_searchsorted_errors_as_torch(fn):
    _raises_as_torch(fn, [1.0, 2.0, 3.0, 4.0], [1.5, 3.5])


# ----------------------------------------------------------------------------- histograms and counting

def test_histc_and_histogram_as_torch():
    x = np.random.default_rng(8).standard_normal(50)
    x[[3, 7]] = [NAN, 7.0]
    for dtype in ("float64", "float32"):
        for fn in (lambda m, t: m.histc(t[t == t]), lambda m, t: m.histc(t, 7, -1, 1),
                   lambda m, t: t[t == t].histc(5, 2, 2),
                   lambda m, t: m.histc(t[:1], 3), lambda m, t: m.histc(t[t == t], 9),
                   lambda m, t: m.histogram(t[t == t], 6), lambda m, t: m.histogram(t, 4, range=(-1.0, 1.0)),
                   lambda m, t: t.histogram(5, range=(0.0, 0.0), density=True),
                   lambda m, t: m.histogram(t, m.tensor([-2.0, -1.0, 0.5, 3.0], dtype=t.dtype)),
                   lambda m, t: m.histogram(t, m.tensor([-2.0, 0.0, 7.0], dtype=t.dtype), density=True,
                                            weight=t.abs()),
                   lambda m, t: m.histogram(t.reshape(5, 10), 3, range=(-2.0, 2.0), weight=t.reshape(5, 10) * 0 + 2)):
            _same(fn, x, dtype=dtype)


@pytest.mark.parametrize("fn", [
    lambda m, t: m.histc(t.long(), 3), lambda m, t: m.histc(t, -1), lambda m, t: m.histc(t, 3, 2, 1),
    lambda m, t: m.histc(t, 3, 0, float("inf")), lambda m, t: m.histogram(t, 3, range=(3.0, 1.0)),
    lambda m, t: m.histogram(t, 0), lambda m, t: m.histogram(t, m.tensor([[1.0]], dtype=t.dtype)),
    lambda m, t: m.histogram(t, m.tensor([1.0], dtype=m.float32)),
    lambda m, t: m.histogram(t, 2, weight=t[:2]), lambda m, t: m.histogram(t, 2, weight=t.float()),
    lambda m, t: m.histogram(t.long(), 2),
])
def test_histogram_errors_as_torch(fn):
    _raises_as_torch(fn, [1.0, 2.0, 1.0, 4.0], dtype="float64")


def test_bincount_as_torch():
    x = [0, 1, 1, 3, 7, 1]
    for fn in (lambda m, t: m.bincount(t), lambda m, t: t.bincount(minlength=10),
               lambda m, t: m.bincount(t, weights=m.tensor([0.5, 1.0, 2.0, 1.0, -3.0, 0.25])),
               lambda m, t: m.bincount(t, m.tensor([0.5, 1.0, 2.0, 1.0, -3.0, 0.25], dtype=m.float32), 3),
               lambda m, t: m.bincount(t, weights=m.tensor([1, 2, 3, 4, 5, 6])),
               lambda m, t: m.bincount(t[:0]), lambda m, t: m.bincount(t.int())):
        _same(fn, x)
    for fn in (lambda m, t: m.bincount(t - 1), lambda m, t: m.bincount(t.reshape(2, 3)),
               lambda m, t: m.bincount(t.double()), lambda m, t: m.bincount(t, minlength=-1),
               lambda m, t: m.bincount(t, weights=m.ones(2))):
        _raises_as_torch(fn, x)


def test_unique_as_torch():
    x = [[3.0, NAN, 1.0], [NAN, 3.0, 1.0], [3.0, NAN, 1.0], [0.0, -0.0, 2.0]]
    rows = [[3.0, 0.0, 1.0], [0.0, 3.0, 1.0], [3.0, 0.0, 1.0], [0.0, -0.0, 2.0]]
    for fn in (lambda m, t: m.unique(t), lambda m, t: t.unique(sorted=False, return_inverse=True, return_counts=True),
               lambda m, t: m.unique(t[:, 2], return_inverse=True), lambda m, t: m.unique_consecutive(t),
               lambda m, t: t.unique_consecutive(return_inverse=True, return_counts=True)):
        _same(fn, x)
    for fn in (lambda m, t: m.unique(t, dim=0, return_inverse=True, return_counts=True),
               lambda m, t: m.unique(t, dim=1, return_counts=True),
               lambda m, t: m.unique(t, dim=-1, return_inverse=True),
               lambda m, t: m.unique(t.long(), dim=0, return_inverse=True),
               lambda m, t: m.unique_consecutive(t[[0, 2, 1, 3]], dim=0, return_counts=True),
               lambda m, t: m.unique_consecutive(t, dim=1, return_inverse=True),
               lambda m, t: m.unique(t[:0], dim=0, return_inverse=True, return_counts=True),
               lambda m, t: m.unique_consecutive(t[:, :0], dim=1, return_inverse=True, return_counts=True)):
        _same(fn, rows)
    for fn in (lambda m, t: m.unique(t[:, :0], dim=0), lambda m, t: m.unique(t[0, 0], dim=0),
               lambda m, t: m.unique_consecutive(t[:0], dim=1), lambda m, t: m.unique(t, dim=2)):
        _raises_as_torch(fn, rows)


def test_argwhere_as_torch():
    for x in ([[0, 1], [2, 0]], [0.0, NAN, -0.0], [[[True, False]]], 0):
        _same(lambda m, t: m.argwhere(t), x)
        _same(lambda m, t: t.argwhere(), x)


def test_float32_histogram_edges_are_torchs_linspace():
    x = pullback.tensor([0.1, 0.7, 0.3], dtype=pullback.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        edges = pullback.histogram(x, 7).bin_edges
    np.testing.assert_array_equal(edges.numpy(), torch.histogram(torch.tensor(x.numpy()), 7).bin_edges.numpy())


@pytest.mark.parametrize("fn", [
    lambda m, a: m.topk(a, 2).values, lambda m, a: m.kthvalue(a, 2, 0).values, lambda m, a: m.median(a).reshape(1),
    lambda m, a: m.median(a, 1).values, lambda m, a: m.nanmedian(a).reshape(1), lambda m, a: m.mode(a, 0).values,
    lambda m, a: m.aminmax(a, dim=1).max, lambda m, a: m.cummax(a, 1).values, lambda m, a: m.logcumsumexp(a, 0),
    lambda m, a: m.logcumsumexp(a, 1) ** 2, lambda m, a: m.quantile(a, 0.3, 1),
])
@pytest.mark.parametrize("transform", ["jacfwd", "vmap_jacrev", "hessian"])
def test_composed_transforms_as_torch(fn, transform):
    x = np.random.default_rng(9).standard_normal((3, 4, 5))

    def run(m):
        F = m.func
        if transform == "jacfwd":
            return F.jacfwd(lambda a: fn(m, a))(m.tensor(x[0]))
        if transform == "vmap_jacrev":
            return F.vmap(F.jacrev(lambda a: fn(m, a)))(m.tensor(x))
        return F.jacfwd(F.jacrev(lambda a: (fn(m, a) * fn(m, a)).sum()))(m.tensor(x[0]))

    np.testing.assert_allclose(run(pullback).numpy(), run(torch).numpy(), rtol=1e-9, atol=1e-10)


def test_float16_as_torch():
    x = np.random.default_rng(10).standard_normal((3, 40)) * 3
    for fn in (lambda m, t: m.histc(t, 7), lambda m, t: m.histc(t, 5, -1, 1), lambda m, t: m.topk(t, 3),
               lambda m, t: m.median(t, 1), lambda m, t: m.median(t), lambda m, t: m.kthvalue(t, 5),
               lambda m, t: m.cummax(t, 1), lambda m, t: m.aminmax(t, dim=0), lambda m, t: m.unique(t),
               lambda m, t: m.searchsorted(t.sort().values, t)):
        _same(fn, x, dtype="float16")
    for fn in (lambda m, t: m.histogram(t, 3), lambda m, t: m.quantile(t, 0.5)):
        _raises_as_torch(fn, x, dtype="float16")


def test_vmap_over_q_sorter_and_bins_as_torch():
    rng = np.random.default_rng(11)
    x, q = rng.standard_normal((3, 5)), rng.uniform(0, 1, (3, 2))
    for in_dims in ((0, 0), (None, 0), (0, None)):
        xa, qa = (x if in_dims[0] is not None else x[0]), (q if in_dims[1] is not None else q[0])
        expected = torch.vmap(lambda a, b: torch.nanquantile(a, b, 0), in_dims=in_dims)(torch.tensor(xa),
                                                                                      torch.tensor(qa))
        actual = pullback.vmap(lambda a, b: pullback.nanquantile(a, b, 0), in_dims=in_dims)(pullback.tensor(xa),
                                                                                            pullback.tensor(qa))
        S.assert_same(actual, expected)
    with pytest.raises(RuntimeError, match=r"quantile\(\) q values must be in the range \[0, 1\]"):
        pullback.vmap(pullback.quantile)(pullback.tensor(x), pullback.tensor(q * 3))
    seq = rng.standard_normal((3, 6))
    sorter, values = np.argsort(seq, 1), rng.standard_normal((3, 4))
    S.assert_same(pullback.vmap(lambda s, o, v: pullback.searchsorted(s, v, sorter=o))(
                      pullback.tensor(seq), pullback.tensor(sorter), pullback.tensor(values)),
                  torch.vmap(lambda s, o, v: torch.searchsorted(s, v, sorter=o))(
                      torch.tensor(seq), torch.tensor(sorter), torch.tensor(values)))
    edges = np.sort(rng.standard_normal((3, 4)), 1)
    S.assert_same(pullback.vmap(lambda a, b: pullback.histogram(a, b).hist)(pullback.tensor(x), pullback.tensor(edges)),
                  torch.vmap(lambda a, b: torch.histogram(a, b).hist)(torch.tensor(x), torch.tensor(edges)))


def test_mode_with_nan_as_torch():
    # Up to 16 elements torch's mode is exact (an insertion sort of (value, index) pairs, in which NaN
    # stays where it is): pullback follows it, NaN included.
    rng = np.random.default_rng(12)
    for n in (1, 2, 5, 16):
        x = rng.integers(-2, 3, size=(40, n)).astype(float)
        x[rng.random((40, n)) < 0.3] = NAN
        _same(lambda m, t: m.mode(t, 1), x)
        _same(lambda m, t: m.mode(t.t(), 0, keepdim=True), x, dtype="float32")


def test_unique_dim_with_nan_and_empty_dims_as_torch():
    # Up to 16 slices with NaN torch's order is its insertion sort's (NaN compares false both ways).
    rng = np.random.default_rng(13)
    for n in (2, 5, 16):
        x = rng.integers(-1, 2, size=(n, 2)).astype(float)
        x[rng.random((n, 2)) < 0.2] = NAN
        _same(lambda m, t: m.unique(t, dim=0, return_inverse=True, return_counts=True), x)
        _same(lambda m, t: m.unique(t.t(), dim=1, return_counts=True), x)
    for fn in (lambda m, t: m.unique(t, dim=0), lambda m, t: m.unique_consecutive(t, dim=1, return_counts=True)):
        _raises_as_torch(fn, np.zeros((0, 0)))


def test_histogram_with_unsorted_edges_as_torch():
    # torch bins each element by std::upper_bound over the edges as given, sorted or not.
    rng = np.random.default_rng(14)
    for _ in range(40):
        x, edges = rng.standard_normal(30) * 3, rng.standard_normal(int(rng.integers(2, 7))) * 3
        _same(lambda m, t, e: m.histogram(t, e), x, edges, dtype="float64")


def test_histogramdd_as_torch():
    rng = np.random.default_rng(15)
    points = rng.standard_normal((30, 3))
    for dtype in ("float64", "float32"):
        for fn in (lambda m, t: m.histogramdd(t, 2), lambda m, t: m.histogramdd(t, [2, 3, 1], density=True),
                   lambda m, t: m.histogramdd(t.reshape(5, 6, 3), (3, 2, 2), weight=t[:, 0].reshape(5, 6).abs()),
                   lambda m, t: m.histogramdd(t, 2, range=[-1.0, 1.0, 0.0, 0.0, -3.0, 3.0]),
                   lambda m, t: m.histogramdd(t[:, :2], [m.tensor([-1.0, 0.0, 2.0], dtype=t.dtype),
                                                        m.tensor([1.0, -1.0, 0.5, 3.0], dtype=t.dtype)], density=True),
                   lambda m, t: m.histogramdd(t[:0], [2, 2, 2]), lambda m, t: m.histogramdd(t[:, :0], 2)):
            _same(fn, points, dtype=dtype)
    for fn in (lambda m, t: m.histogramdd(t[:, 0], 2), lambda m, t: m.histogramdd(t, [1, 1]),
               lambda m, t: m.histogramdd(t, [m.tensor([0.0, 1.0], dtype=t.dtype)]),
               lambda m, t: m.histogramdd(t, 2, range=[0.0, 1.0]), lambda m, t: m.histogramdd(t, 2, weight=t[:4, 0]),
               lambda m, t: m.histogramdd(t, 2, weight=t[:, 0].float()), lambda m, t: m.histogramdd(t.long(), 2),
               lambda m, t: m.histogramdd(t, [2, 0, 1]), lambda m, t: m.histogramdd(t, 2, range=[0.0, 1.0, 2.0, 1.0,
                                                                                                   0.0, 1.0]),
               lambda m, t: m.histogramdd(t[:, :2], [m.tensor([0.0, 1.0], dtype=t.dtype),
                                                    m.tensor([[1.0, 2.0]], dtype=t.dtype)]),
               lambda m, t: m.histogramdd(t[:, :2], [m.tensor([0.0, 1.0], dtype=t.dtype),
                                                    m.tensor([1.0], dtype=t.dtype)])):
        _raises_as_torch(fn, points, dtype="float64")


@pytest.mark.parametrize("fn", [
    lambda m, x: m.topk(x.reshape(3, 4), 2, 1).values.reshape(-1),
    lambda m, x: m.topk(x.reshape(3, 4), 2, 0, largest=False).values.reshape(-1),
    lambda m, x: m.kthvalue(x.reshape(3, 4), 2, 1).values, lambda m, x: m.median(x.reshape(3, 4), 0).values,
    lambda m, x: m.median(x).reshape(1) * x, lambda m, x: m.mode(x.reshape(4, 3), 1).values,
    lambda m, x: m.stack(list(m.aminmax(x.reshape(3, 4), dim=1))).reshape(-1),
    lambda m, x: m.cummax(x.reshape(3, 4), 1).values.reshape(-1),
    lambda m, x: m.logcumsumexp(x.reshape(2, 6), 1).reshape(-1),
    lambda m, x: m.quantile(x.reshape(3, 4), 0.3, 1),
])
def test_sparsity_patterns_hold_torchs_jacobian(fn):
    import pullback.sparse as sparse
    x = np.random.default_rng(16).standard_normal(12)
    pattern = sparse.jacobian_sparsity(lambda v: fn(pullback, v), pullback.tensor(x)).toarray()
    jacobian = torch.autograd.functional.jacobian(lambda v: fn(torch, v), torch.tensor(x)).numpy()
    assert pattern.shape == jacobian.shape
    assert not np.any((jacobian != 0) & ~pattern.astype(bool))


def test_topk_pattern_is_its_lines():
    import pullback.sparse as sparse
    x = pullback.tensor(np.random.default_rng(17).standard_normal(12))
    pattern = sparse.jacobian_sparsity(lambda v: pullback.topk(v.reshape(3, 4), 2, 1).values.reshape(-1), x)
    np.testing.assert_array_equal(pattern.toarray(), np.kron(np.eye(3), np.ones((2, 4))))
