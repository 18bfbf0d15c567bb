"""The 1-d, adaptive max, LP and 3-d pools, the 3-d and transposed convolutions against torch: values,
indices, first and second derivatives, vmap, errors (type and message), and the modules'
``output_size``, construction errors and reprs."""
import numpy as np
import pytest

import pullback

torch = pytest.importorskip("torch")


def _pair(shape, seed=0, dtype="float64", low=-2.0, high=2.0):
    values = np.random.default_rng(seed).uniform(low, high, size=shape)
    if dtype.startswith("int"):
        values = np.round(values * 3)
    return (torch.tensor(values, dtype=getattr(torch, dtype)), pullback.tensor(values, dtype=getattr(pullback, dtype)))


def _close(actual, expected):
    if isinstance(expected, (tuple, list)):
        assert isinstance(actual, (tuple, list)) and len(actual) == len(expected)
        for a, e in zip(actual, expected):
            _close(a, e)
        return
    a = torch.from_numpy(actual.detach().numpy().copy())
    assert a.dtype == expected.dtype and a.shape == expected.shape
    torch.testing.assert_close(a, expected.detach(), equal_nan=True)


# (name, a function of (library, input, *extra inputs), the shapes of input and extras)
CASES = [
    ("max_pool1d", lambda m, x: m.nn.functional.max_pool1d(x, 3, 2, 1, 2, ceil_mode=True), [(2, 3, 11)]),
    ("max_pool1d_indices", lambda m, x: m.nn.functional.max_pool1d(x, 4, 3, 2, ceil_mode=True,
                                                                   return_indices=True), [(3, 10)]),
    ("avg_pool1d", lambda m, x: m.nn.functional.avg_pool1d(x, 4, 3, 2, ceil_mode=True, count_include_pad=False),
     [(2, 2, 10)]),
    ("avg_pool1d_include_pad", lambda m, x: m.nn.functional.avg_pool1d(x, 3, 1, 1), [(2, 7)]),
    ("adaptive_avg_pool1d", lambda m, x: m.nn.functional.adaptive_avg_pool1d(x, 4), [(2, 3, 9)]),
    ("adaptive_max_pool1d", lambda m, x: m.nn.functional.adaptive_max_pool1d(x, 4, True), [(2, 3, 9)]),
    ("adaptive_max_pool2d", lambda m, x: m.nn.functional.adaptive_max_pool2d(x, (3, 4), True), [(2, 2, 7, 5)]),
    ("adaptive_max_pool2d_larger", lambda m, x: m.nn.functional.adaptive_max_pool2d(x, (5, 3)), [(2, 3, 4)]),
    ("lp_pool1d", lambda m, x: m.nn.functional.lp_pool1d(x, 3, 3, 2, ceil_mode=True), [(2, 3, 8)]),
    ("lp_pool2d", lambda m, x: m.nn.functional.lp_pool2d(x, 2, (2, 3)), [(1, 2, 6, 7)]),
    ("lp_pool1d_inf", lambda m, x: m.nn.functional.lp_pool1d(x, float("inf"), 2), [(2, 3, 8)]),
    ("lp_pool2d_minus_inf", lambda m, x: m.nn.functional.lp_pool2d(x, -float("inf"), 2), [(2, 4, 6)]),
    ("adaptive_avg_pool3d", lambda m, x: m.nn.functional.adaptive_avg_pool3d(x, (3, 2, 4)), [(2, 2, 5, 3, 7)]),
    ("adaptive_avg_pool3d_unbatched", lambda m, x: m.nn.functional.adaptive_avg_pool3d(x, (None, 5, 2)),
     [(2, 4, 3, 5)]),
    ("avg_pool3d", lambda m, x: m.nn.functional.avg_pool3d(x, 3, (2, 1, 2), 1, ceil_mode=True), [(1, 2, 6, 5, 7)]),
    ("avg_pool3d_divisor", lambda m, x: m.nn.functional.avg_pool3d(x, (2, 2, 3), 1, (1, 0, 1), divisor_override=-3),
     [(2, 4, 3, 5)]),
    ("conv3d", lambda m, x, w, b: m.nn.functional.conv3d(x, w, b, (2, 1, 2), (1, 1, 0), (2, 1, 1), 3),
     [(2, 6, 7, 4, 5), (3, 2, 2, 3, 2), (3,)]),
    ("conv3d_same_unbatched", lambda m, x, w: m.nn.functional.conv3d(x, w, padding="same", dilation=(1, 2, 1)),
     [(2, 4, 5, 3), (3, 2, 2, 2, 3)]),
    ("max_pool3d", lambda m, x: m.nn.functional.max_pool3d(x, 3, (2, 1, 2), 1, (2, 1, 1), ceil_mode=True,
                                                           return_indices=True), [(1, 2, 7, 5, 6)]),
    ("max_pool3d_unbatched", lambda m, x: m.nn.functional.max_pool3d(x, (2, 3, 2), 1, (1, 1, 0)), [(2, 4, 5, 3)]),
    ("conv_transpose1d", lambda m, x, w, b: m.nn.functional.conv_transpose1d(x, w, b, 2, 1, 1, 2, 1),
     [(2, 4, 5), (4, 3, 3), (6,)]),
    ("conv_transpose1d_unbatched", lambda m, x, w: m.nn.functional.conv_transpose1d(x, w, dilation=3, padding=2),
     [(2, 5), (2, 3, 2)]),
    ("conv_transpose2d", lambda m, x, w, b: m.nn.functional.conv_transpose2d(
        x, w, b, (3, 2), (1, 2), (2, 1), 1, (1, 2)), [(2, 2, 4, 3), (2, 3, 3, 4), (3,)]),
    ("conv_transpose2d_groups", lambda m, x, w: m.nn.functional.conv_transpose2d(x, w, groups=3, padding=1),
     [(1, 6, 3, 3), (6, 2, 3, 3)]),
    ("conv_transpose2d_output_padding_past_stride", lambda m, x, w: m.nn.functional.conv_transpose2d(
        x, w, stride=1, output_padding=2, dilation=3), [(1, 1, 3, 3), (1, 2, 2, 2)]),
]


def _run_both(fn, shapes, dtype="float64", requires_grad=False):
    pairs = [_pair(s, seed=i, dtype=dtype) for i, s in enumerate(shapes)]
    ts = [t.requires_grad_(requires_grad) for t, _ in pairs]
    ps = [p.requires_grad_(requires_grad) for _, p in pairs]
    return ts, ps, fn(torch, *ts), fn(pullback, *ps)


@pytest.mark.parametrize("name,fn,shapes", CASES, ids=[c[0] for c in CASES])
def test_values_and_indices(name, fn, shapes):
    _, _, expected, actual = _run_both(fn, shapes)
    _close(actual, expected)


@pytest.mark.parametrize("name,fn,shapes", CASES, ids=[c[0] for c in CASES])
def test_first_and_second_derivatives(name, fn, shapes):
    ts, ps, expected, actual = _run_both(fn, shapes, requires_grad=True)
    t_out = expected[0] if isinstance(expected, tuple) else expected
    p_out = actual[0] if isinstance(actual, tuple) else actual
    v = np.random.default_rng(7).standard_normal(tuple(t_out.shape))
    t_grads = torch.autograd.grad(t_out, ts, torch.tensor(v), create_graph=True)
    p_grads = pullback.autograd.grad(p_out, ps, pullback.tensor(v), create_graph=True)
    _close(list(p_grads), list(t_grads))
    # second order: the gradient of <grads, w> (zero for the linear ops, where it is unused)
    ws = [np.random.default_rng(8 + i).standard_normal(tuple(t.shape)) for i, t in enumerate(ts)]
    t_total = sum((g * torch.tensor(w)).sum() for g, w in zip(t_grads, ws))
    p_total = sum(((g * pullback.tensor(w)).sum() for g, w in zip(p_grads, ws)), pullback.tensor(0.0))
    t_second = torch.autograd.grad(t_total, ts, allow_unused=True) if t_total.requires_grad else [None] * len(ts)
    p_second = pullback.autograd.grad(p_total, ps, allow_unused=True) if p_total.requires_grad else [None] * len(ps)
    for a, e in zip(p_second, t_second):
        if e is None or a is None:
            other = a if e is None else e
            assert other is None or not np.any(other.detach().numpy())
        else:
            _close(a, e)


@pytest.mark.parametrize("name,fn,shapes", CASES, ids=[c[0] for c in CASES])
def test_vmap_matches_a_loop(name, fn, shapes):
    _, x = _pair((3,) + shapes[0], seed=11)
    rest = [_pair(s, seed=i)[1] for i, s in enumerate(shapes[1:], 1)]

    def first(x):
        out = fn(pullback, x, *rest)
        return out[0] if isinstance(out, tuple) else out

    batched = pullback.func.vmap(first)(x)
    looped = pullback.stack([first(x[i]) for i in range(3)])
    np.testing.assert_allclose(batched.numpy(), looped.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("dtype", ["int64", "int32", "float32"])
@pytest.mark.parametrize("call", [
    lambda m, x: m.nn.functional.max_pool1d(x, 2, return_indices=True),
    lambda m, x: m.nn.functional.avg_pool1d(x, 3, 2, 1),
    lambda m, x: m.nn.functional.lp_pool1d(x, 2, 2),
    lambda m, x: m.nn.functional.max_pool3d(x[None], 2, return_indices=True),
    lambda m, x: m.nn.functional.avg_pool3d(x[None], 2, 1, 1),
], ids=["max_pool1d_indices", "avg_pool1d", "lp_pool1d", "max_pool3d", "avg_pool3d"])
def test_dtypes_as_torch(call, dtype):
    """Integer inputs: a value where torch gives one (max_pool1d with indices, avg_pool1d of int64,
    lp_pool1d's float result), else torch's NotImplementedError."""
    t, p = _pair((2, 3, 7), dtype=dtype)
    try:
        expected = call(torch, t)
    except Exception as e:  # noqa: BLE001  (torch's error is the expected outcome)
        with pytest.raises(type(e)) as raised:
            call(pullback, p)
        assert str(raised.value) == str(e)
        return
    _close(call(pullback, p), expected)


def test_conv_transpose_int64_as_torch():
    (tx, px), (tw, pw) = _pair((1, 2, 4), dtype="int64"), _pair((2, 3, 2), seed=1, dtype="int64")
    _close(pullback.nn.functional.conv_transpose1d(px, pw, stride=2),
           torch.nn.functional.conv_transpose1d(tx, tw, stride=2))


def test_adaptive_max_pool_picks_maxima_as_torch():
    """Ties: the first maximum in scan order; NaN: the last NaN; all -inf: the cell's first element."""
    x = np.array([[[1., 3., 3., 0., -np.inf, -np.inf],
                   [3., np.nan, 2., np.nan, -np.inf, -np.inf],
                   [3., 1., np.nan, 5., 5., -np.inf]]])
    for size in [(1, 2), (2, 3), (3, 3), (2, 2), (3, 6)]:
        expected = torch.nn.functional.adaptive_max_pool2d(torch.tensor(x), size, return_indices=True)
        _close(pullback.nn.functional.adaptive_max_pool2d(pullback.tensor(x), size, return_indices=True), expected)


def test_max_pool3d_picks_maxima_as_torch():
    """Ties across depths: the first depth; NaN: the last NaN in the window's scan (depth first)."""
    x = np.random.default_rng(3).standard_normal((1, 1, 4, 3, 3))
    x[0, 0, 0, 0, 0] = x[0, 0, 1, 1, 1] = np.nan
    x[0, 0, 2, 2, 2] = x[0, 0, 3, 2, 2] = x[0, 0, 3, 0, 1] = 5.0
    for kwargs in [dict(kernel_size=2, stride=1), dict(kernel_size=3, stride=1, padding=1)]:
        _close(pullback.nn.functional.max_pool3d(pullback.tensor(x), return_indices=True, **kwargs),
               torch.nn.functional.max_pool3d(torch.tensor(x), return_indices=True, **kwargs))


def test_max_pool1d_nan_and_padding_as_torch():
    x = np.array([[[np.nan, 1., -np.inf, 2., np.nan, 0., -1.]]])
    for kwargs in [dict(kernel_size=3, stride=2, padding=1), dict(kernel_size=2, ceil_mode=True)]:
        for indices in (False, True):
            _close(pullback.nn.functional.max_pool1d(pullback.tensor(x), return_indices=indices, **kwargs),
                   torch.nn.functional.max_pool1d(torch.tensor(x), return_indices=indices, **kwargs))


def test_empty_batches_as_torch():
    for call in [lambda m, x: m.nn.functional.max_pool1d(x, 2), lambda m, x: m.nn.functional.avg_pool1d(x, 2),
                 lambda m, x: m.nn.functional.adaptive_max_pool1d(x, 3),
                 lambda m, x: m.nn.functional.adaptive_max_pool2d(x[:, :, None], (1, 2), True)]:
        t, p = _pair((0, 2, 5))
        _close(call(pullback, p), call(torch, t))


_X3, _X4, _X5 = "m.randn(1, 2, 5)", "m.randn(1, 2, 5, 6)", "m.randn(1, 2, 3, 4, 5)"
_W1, _W2 = "m.randn(2, 3, 3)", "m.randn(2, 3, 3, 3)"

ERROR_CALLS = [
    # max_pool1d without indices: its own checks
    "F.max_pool1d(X3, 0)", "F.max_pool1d(X3, 2, 0)", "F.max_pool1d(X3, 2, 1, 2)", "F.max_pool1d(X3, 2, 1, -1)",
    "F.max_pool1d(X3, 6)", "F.max_pool1d(X3[0, 0], 2)", "F.max_pool1d(X3, (2, 2))", "F.max_pool1d(X3, 2, dilation=0)",
    "F.max_pool1d(X3.int(), 2)", "F.max_pool1d(X3.bool(), 2)", "F.max_pool1d(X3[:, :0], 2)",
    "F.max_pool1d(X3[:, :, :0], 2)", "F.max_pool1d(X3, 2.0)", "F.max_pool1d(X3, [])", "F.max_pool1d(X3, 2, (1, 1))",
    "F.max_pool1d(X3, 2, 1, (1, 1))", "F.max_pool1d(X3, 2, 1, 1, (1, 1))", "F.max_pool1d(X3[0, 0], (2, 2))",
    "F.max_pool1d(X3.int(), 0)",
    # max_pool1d with indices: max_pool2d's checks on the (N, C, 1, L) view
    "F.max_pool1d(X3, 0, return_indices=True)", "F.max_pool1d(X3, 2, 0, return_indices=True)",
    "F.max_pool1d(X3, 2, 1, 2, return_indices=True)", "F.max_pool1d(X3, 2, 1, -1, return_indices=True)",
    "F.max_pool1d(X3, 6, return_indices=True)", "F.max_pool1d(X3[0, 0], 2, return_indices=True)",
    "F.max_pool1d(X3, (2, 2), return_indices=True)", "F.max_pool1d(X3, 2, dilation=0, return_indices=True)",
    "F.max_pool1d(X3[:, :0], 2, return_indices=True)", "F.max_pool1d(X3, 2.0, return_indices=True)",
    "F.max_pool1d(X3.bool(), 2, return_indices=True)", "F.max_pool1d(X3, 2, (1, 1), return_indices=True)",
    # avg_pool1d
    "F.avg_pool1d(X3, 0)", "F.avg_pool1d(X3, 6)", "F.avg_pool1d(X3[0, 0], 2)", "F.avg_pool1d(X3, 2, padding=2)",
    "F.avg_pool1d(X3.int(), 2)", "F.avg_pool1d(X3, (2, 2))", "F.avg_pool1d(X3, 2, (1, 1))",
    "F.avg_pool1d(X3[:, :0], 2)", "F.avg_pool1d(X3, 2, padding=-1)", "F.avg_pool1d(X3.bool(), 2)",
    # adaptive pools
    "F.adaptive_avg_pool1d(X3, ())", "F.adaptive_avg_pool1d(X3, (-1,))", "F.adaptive_avg_pool1d(X3, None)",
    "F.adaptive_avg_pool1d(X3, 2.0)", "F.adaptive_avg_pool1d(X3[:, :, :0], 2)", "F.adaptive_avg_pool1d(X3.int(), 2)",
    "F.adaptive_avg_pool1d(X3[0, 0], (2, 2))", "F.adaptive_avg_pool1d(X3, (2, 2))",
    "F.adaptive_max_pool1d(X3, ())", "F.adaptive_max_pool1d(X3, (-1,))", "F.adaptive_max_pool1d(X3[:, :0], 2)",
    "F.adaptive_max_pool1d(X3[:, :, :0], 2)", "F.adaptive_max_pool1d(X3, None)", "F.adaptive_max_pool1d(X3[0, 0], 2)",
    "F.adaptive_max_pool1d(X3[0, :0], -1)", "F.adaptive_max_pool1d(X3.int(), 2)", "F.adaptive_max_pool1d(X3, (2, 2))",
    "F.adaptive_max_pool2d(X4, ())", "F.adaptive_max_pool2d(X4, (-1, 0))", "F.adaptive_max_pool2d(X4, (2, 2, 2))",
    "F.adaptive_max_pool2d(X4[0, 0], (2, 2))", "F.adaptive_max_pool2d(X4[0, 0], 2)", "F.adaptive_max_pool2d(X4, 2.5)",
    "F.adaptive_max_pool2d(X4.int(), 2)", "F.adaptive_max_pool2d(X4[None], 2)", "F.adaptive_max_pool2d(X4.bool(), 2)",
    "F.adaptive_max_pool2d(X4[:, :, :0], 2)", "F.adaptive_max_pool2d(X3.int(), -1)",
    "F.adaptive_avg_pool3d(X5, (2, 2))", "F.adaptive_avg_pool3d(X5[0, 0], (2, 2, 2))",
    "F.adaptive_avg_pool3d(X5[0, 0], 2)", "F.adaptive_avg_pool3d(X5, (2, -1, 2))",
    "F.adaptive_avg_pool3d(X5[:, :, :0], 2)", "F.adaptive_avg_pool3d(X5.int(), 2)",
    "F.adaptive_avg_pool3d(X5.long(), 1)",
    "F.adaptive_avg_pool3d(X5, 2.5)", "F.adaptive_avg_pool3d(X5[:, :0], 2)",
    "F.avg_pool3d(X5, 2, 50, -1)", "F.avg_pool3d(X5, 2, 50, 4)", "F.avg_pool3d(X5[0, 0, 0], 2)",
    "F.avg_pool3d(X5, 2, divisor_override=0)", "F.avg_pool3d(X5, (2, 2))", "F.avg_pool3d(X5, 2, 0)",
    "F.avg_pool3d(X5, 6)",
    "F.avg_pool3d(X5.int(), 2)", "F.avg_pool3d(X5[:, :0], 2)", "F.avg_pool3d(X5, 2, (1, 1))",
    "F.avg_pool3d(X5, 2, divisor_override=1.5)", "F.avg_pool3d(X5, 2, padding=(1, 1))", "F.avg_pool3d(X5.bool(), 2)",
    "F.conv3d(X5.bool(), m.randn(3, 2, 2, 2, 2).bool())", "F.conv3d(X5[0, 0, 0], m.randn(3, 2, 2, 2, 2))",
    "F.conv3d(X5, m.randn(3, 2, 2, 2, 2), stride=(1, 1))", "F.conv3d(X5, m.randn(3, 2, 4, 2, 2))",
    "F.conv3d(X5, m.randn(3, 2, 2, 2, 2), padding='same', stride=2)", "F.conv3d(X5, m.randn(3, 2, 2, 2))",
    "F.max_pool3d(X5, 2, 50, -1)", "F.max_pool3d(X5, 2, 50, 4)", "F.max_pool3d(X5[0, 0, 0], 2)",
    "F.max_pool3d(X5, (2, 2))", "F.max_pool3d(X5, 2, 0)", "F.max_pool3d(X5, 8)", "F.max_pool3d(X5.bool(), 2)",
    "F.max_pool3d(X5[:, :0], 2)", "F.max_pool3d(X5, 2, (1, 1))", "F.max_pool3d(X5, 2, dilation=0)",
    "F.max_pool3d(X5, 2, dilation=(1, 1))", "F.max_pool3d(X5, 2, padding=(1, 1))", "F.max_pool3d(X5[:, :, :0], 2)",
    "F.max_pool3d(X5, 2.0, return_indices=True)", "F.max_pool3d(X5, 2.0)",
    # LP pools
    "F.lp_pool1d(X3, 2, (2, 2))", "F.lp_pool1d(X3, 2, 0)", "F.lp_pool2d(X3, 2, 0)", "F.lp_pool1d(X3, 2, (3,))",
    "F.lp_pool2d(X3, 2, 3)",
    # transposed convolutions
    "F.conv_transpose1d(X3, W1, None, 2, 1, 2)", "F.conv_transpose1d(X3, W1, None, 1, 1, 1, 1, 1)",
    "F.conv_transpose1d(X3, W1, None, 0)", "F.conv_transpose1d(X3, W1, None, 1, -1)",
    "F.conv_transpose1d(X3, W1, None, 1, 0, -1)", "F.conv_transpose1d(X3, W1, None, 1, 0, 0, 0)",
    "F.conv_transpose1d(X3, W1, None, 1, 0, 0, 3)", "F.conv_transpose1d(X3, W1, m.randn(3), 1, 0, 0, 2)",
    "F.conv_transpose1d(X3, W1, None, 1, 0, 0, 1, 0)", "F.conv_transpose1d(X3, W1[:1], None)",
    "F.conv_transpose1d(X3, W1, m.randn(2))", "F.conv_transpose1d(X3[0, 0], W1)", "F.conv_transpose1d(X3, W1[0])",
    "F.conv_transpose1d(X3, W1.double())", "F.conv_transpose1d(X3.bool(), W1.bool())",
    "F.conv_transpose1d(X3, W1, None, 1, 5)", "F.conv_transpose1d(X3, W1, None, (1, 1))",
    "F.conv_transpose1d(X3, W1, None, 2.0)", "F.conv_transpose2d(X4, W2, None, 2, (1, 2, 3))",
    "F.conv_transpose2d(X4, W2, padding='same')", "F.conv_transpose2d(X3, W2)",
    "F.conv_transpose2d(X4, W2, None, 2, 0, (2, 0))", "F.conv_transpose2d(X4[:, :1], W2)",
]


def _outcome(m, call):
    env = {"m": m, "F": m.nn.functional}
    m.manual_seed(0)
    env.update(X3=eval(_X3, env), X4=eval(_X4, env), X5=eval(_X5, env), W1=eval(_W1, env), W2=eval(_W2, env))
    try:
        eval(call, env)
    except Exception as e:  # noqa: BLE001  (the error is the outcome compared)
        return type(e), str(e)
    return None


@pytest.mark.parametrize("call", ERROR_CALLS)
def test_errors_as_torch(call):
    expected = _outcome(torch, call)
    assert expected is not None, "every call here is one torch refuses"
    assert _outcome(pullback, call) == expected


def _module_pair(name, *args, **kwargs):
    torch.manual_seed(0)
    theirs = getattr(torch.nn, name)(*args, **kwargs).double()
    ours = getattr(pullback.nn, name)(*args, **kwargs).double()
    ours.load_state_dict({k: pullback.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})
    return theirs, ours


@pytest.mark.parametrize("name,args,shape,output_size", [
    ("ConvTranspose1d", (2, 4, 3, 2, 1), (1, 2, 5), [10]),
    ("ConvTranspose1d", (2, 4, 3, 3), (2, 5), [4, 15]),
    ("ConvTranspose2d", (2, 4, (3, 2), (3, 2), 1), (1, 2, 3, 4), [1, 4, 9, 7]),
    ("ConvTranspose2d", (2, 2, 2, 2), (1, 2, 3, 3), (6, 7)),
])
def test_conv_transpose_output_size_as_torch(name, args, shape, output_size):
    theirs, ours = _module_pair(name, *args)
    t, p = _pair(shape)
    _close(ours(p, output_size=output_size), theirs(t, output_size=output_size))


@pytest.mark.parametrize("name,args,shape,output_size", [
    ("ConvTranspose1d", (2, 4, 3, 2), (1, 2, 5), [13]),
    ("ConvTranspose2d", (2, 4, 3, 2), (1, 2, 3, 3), [7]),
])
def test_conv_transpose_bad_output_size_as_torch(name, args, shape, output_size):
    theirs, ours = _module_pair(name, *args)
    t, p = _pair(shape)
    with pytest.raises(ValueError) as expected:
        theirs(t, output_size=output_size)
    with pytest.raises(ValueError) as raised:
        ours(p, output_size=output_size)
    # the input's size printed as each library prints its Size
    assert str(raised.value) == str(expected.value).replace("torch.Size", "pullback.Size")


@pytest.mark.parametrize("name,args,kwargs", [
    ("ConvTranspose1d", (3, 4, 3), {"groups": 2}),
    ("ConvTranspose2d", (4, 3, 3), {"groups": 2}),
    ("ConvTranspose2d", (2, 2, 3), {"padding_mode": "reflect"}),
])
def test_conv_transpose_construction_errors_as_torch(name, args, kwargs):
    with pytest.raises(ValueError) as expected:
        getattr(torch.nn, name)(*args, **kwargs)
    with pytest.raises(ValueError) as raised:
        getattr(pullback.nn, name)(*args, **kwargs)
    assert str(raised.value) == str(expected.value)


@pytest.mark.parametrize("name,args,kwargs", [
    ("MaxPool1d", (3,), {"stride": 2, "padding": 1, "ceil_mode": True}), ("AvgPool1d", (3, 2, 1), {}),
    ("AdaptiveAvgPool1d", (4,), {}), ("AdaptiveMaxPool1d", (4,), {"return_indices": True}),
    ("AdaptiveMaxPool2d", ((3, None),), {}), ("AdaptiveAvgPool3d", ((3, None, 2),), {}),
    ("AvgPool3d", (3, 2, 1), {"divisor_override": 2}), ("LPPool1d", (2, 3), {"stride": 2}),
    ("LPPool2d", (1.5, (2, 3)), {}),
    ("ConvTranspose1d", (2, 4, 3), {"stride": 2, "output_padding": 1, "bias": False}),
    ("Conv3d", (2, 4, (1, 2, 3)), {"stride": 2, "padding": 1, "groups": 2}),
    ("MaxPool3d", ((2, 3, 2),), {"dilation": 2, "return_indices": True}),
    ("ConvTranspose2d", (2, 4, 3), {"dilation": 2, "groups": 2}),
])
def test_reprs_and_parameters_as_torch(name, args, kwargs):
    theirs, ours = _module_pair(name, *args, **kwargs)
    assert repr(ours) == repr(theirs)
    assert [(n, tuple(p.shape)) for n, p in ours.named_parameters()] == \
        [(n, tuple(p.shape)) for n, p in theirs.named_parameters()]
