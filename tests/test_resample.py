"""interpolate, the shuffles, grid_sample, affine_grid and max_unpool against torch beyond its
OpInfo samples: values, first and second derivatives, vmap, errors (type and message) and
warnings, and the resampling modules (outputs, gradients, reprs)."""
import warnings

import numpy as np
import pytest

import pullback

torch = pytest.importorskip("torch")


def _pair(shape, seed=0, dtype="float64", low=-2.0, high=2.0):
    values = np.random.default_rng(seed).uniform(low, high, size=shape)
    return (torch.tensor(values, dtype=getattr(torch, dtype)), pullback.tensor(values, dtype=getattr(pullback, dtype)))


def _close(actual, expected):
    a = torch.from_numpy(np.array(actual.detach().numpy(), copy=True))
    assert a.dtype == expected.dtype and a.shape == expected.shape, (a.dtype, a.shape, expected.dtype, expected.shape)
    torch.testing.assert_close(a, expected.detach(), equal_nan=True)


def _quiet(fn):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn()


# (name, a function of (library, *inputs), the input shapes, the inputs' range)
CASES = [
    ("nearest_1d_scale", lambda m, x: m.nn.functional.interpolate(x, scale_factor=2.3), [(2, 3, 5)]),
    ("nearest_2x", lambda m, x: m.nn.functional.interpolate(x, scale_factor=2), [(1, 2, 3, 4)]),
    ("nearest_3d_down", lambda m, x: m.nn.functional.interpolate(x, size=(2, 3, 1)), [(1, 2, 5, 4, 3)]),
    ("nearest_exact_3d", lambda m, x: m.nn.functional.interpolate(x, scale_factor=(0.7, 1.5, 2.0),
                                                                  mode="nearest-exact"), [(1, 1, 4, 3, 2)]),
    ("linear_scale_kept", lambda m, x: m.nn.functional.interpolate(x, scale_factor=1.37, mode="linear"),
     [(2, 2, 6)]),
    ("linear_same_size", lambda m, x: m.nn.functional.interpolate(x, size=6, mode="linear"), [(2, 2, 6)]),
    ("linear_to_one", lambda m, x: m.nn.functional.interpolate(x, size=1, mode="linear", align_corners=True),
     [(2, 2, 6)]),
    ("bilinear_recompute", lambda m, x: m.nn.functional.interpolate(
        x, scale_factor=(1.37, 0.55), mode="bilinear", recompute_scale_factor=True), [(1, 2, 5, 9)]),
    ("bicubic_corners_down", lambda m, x: m.nn.functional.interpolate(x, size=(2, 7), mode="bicubic",
                                                                      align_corners=True), [(1, 2, 5, 4)]),
    ("bicubic_unbatched_scale", lambda m, x: m.nn.functional.interpolate(x, scale_factor=2.5, mode="bicubic"),
     [(2, 1, 3, 3)]),
    ("trilinear_scale", lambda m, x: m.nn.functional.interpolate(x, scale_factor=(1.5, 0.8, 2.0),
                                                                 mode="trilinear"), [(1, 2, 2, 5, 3)]),
    ("area_1d", lambda m, x: m.nn.functional.interpolate(x, size=4, mode="area"), [(2, 3, 9)]),
    ("area_3d_scale", lambda m, x: m.nn.functional.interpolate(x, scale_factor=0.5, mode="area"),
     [(1, 1, 4, 6, 5)]),
    ("upsample", lambda m, x: _quiet(lambda: m.nn.functional.upsample(x, size=(3, 5), mode="bilinear")),
     [(1, 2, 4, 4)]),
    ("pixel_shuffle_batched", lambda m, x: m.nn.functional.pixel_shuffle(x, 3), [(2, 1, 18, 2, 1)]),
    ("pixel_unshuffle_3d", lambda m, x: m.nn.functional.pixel_unshuffle(x, 2), [(3, 4, 2)]),
    ("channel_shuffle_5d", lambda m, x: m.nn.functional.channel_shuffle(x, 2), [(1, 4, 2, 1, 3)]),
    ("grid_sample_zeros", lambda m, x, g: m.nn.functional.grid_sample(x, g, align_corners=True),
     [(2, 3, 4, 5), (2, 3, 6, 2)]),
    ("grid_sample_reflection", lambda m, x, g: m.nn.functional.grid_sample(
        x, g, padding_mode="reflection", align_corners=False), [(1, 2, 3, 4), (1, 5, 4, 2)]),
    ("grid_sample_bicubic_border", lambda m, x, g: m.nn.functional.grid_sample(
        x, g, mode="bicubic", padding_mode="border", align_corners=True), [(1, 2, 4, 3), (1, 3, 3, 2)]),
    ("grid_sample_bicubic_zeros", lambda m, x, g: m.nn.functional.grid_sample(
        x, g, mode="bicubic", align_corners=False), [(2, 1, 4, 5), (2, 3, 3, 2)]),
    ("grid_sample_3d_border", lambda m, x, g: m.nn.functional.grid_sample(
        x, g, padding_mode="border", align_corners=False), [(1, 2, 3, 4, 2), (1, 2, 3, 2, 3)]),
    ("grid_sample_3d_nearest", lambda m, x, g: m.nn.functional.grid_sample(
        x, g, mode="nearest", padding_mode="reflection", align_corners=True), [(1, 2, 3, 4, 2), (1, 2, 3, 2, 3)]),
    ("affine_grid", lambda m, t: m.nn.functional.affine_grid(t, (2, 3, 4, 5), align_corners=True), [(2, 2, 3)]),
    ("affine_grid_3d", lambda m, t: m.nn.functional.affine_grid(t, [2, 1, 3, 2, 4], align_corners=False),
     [(2, 3, 4)]),
    ("affine_grid_unit", lambda m, t: _quiet(lambda: m.nn.functional.affine_grid(t, [1, 1, 1, 3],
                                                                                 align_corners=True)), [(1, 2, 3)]),
]


@pytest.mark.parametrize("name,fn,shapes", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_values_as_torch(name, fn, shapes, dtype):
    pairs = [_pair(s, seed=i, dtype=dtype, low=-1.3, high=1.3) for i, s in enumerate(shapes)]
    _close(fn(pullback, *[p for _, p in pairs]), fn(torch, *[t for t, _ in pairs]))


def _gradients(m, fn, inputs, seed):
    out = fn(m, *inputs)
    rng = np.random.default_rng(seed)
    v = m.tensor(rng.standard_normal(tuple(out.shape)))
    grads = m.autograd.grad(out, inputs, v, create_graph=True, allow_unused=True)
    used = [(g, x) for g, x in zip(grads, inputs) if g is not None and g.requires_grad]
    w = [m.tensor(rng.standard_normal(tuple(g.shape))) for g, _ in used]
    seconds = m.autograd.grad([g for g, _ in used], inputs, w, allow_unused=True) if used else [None] * len(inputs)
    return grads, seconds


@pytest.mark.parametrize("name,fn,shapes", CASES, ids=[c[0] for c in CASES])
def test_first_and_second_derivatives_as_torch(name, fn, shapes):
    pairs = [_pair(s, seed=i, low=-1.3, high=1.3) for i, s in enumerate(shapes)]
    theirs = _gradients(torch, fn, [t.requires_grad_() for t, _ in pairs], 7)
    ours = _gradients(pullback, fn, [p.requires_grad_() for _, p in pairs], 7)
    for order in range(2):
        for a, e in zip(ours[order], theirs[order]):
            if e is None or a is None:   # no path and an all-zero gradient are one derivative
                other = a if e is None else e
                assert other is None or not other.detach().numpy().any()
            else:
                _close(a, e)


@pytest.mark.parametrize("name,fn,shapes", [c for c in CASES if len(c[2]) == 1], ids=[c[0] for c in CASES
                                                                                      if len(c[2]) == 1])
def test_vmap_equals_a_loop(name, fn, shapes):
    x = pullback.tensor(np.random.default_rng(3).uniform(-1, 1, size=(3,) + shapes[0]))
    batched = pullback.func.vmap(lambda t: fn(pullback, t))(x)
    loop = pullback.stack([fn(pullback, x[i]) for i in range(3)])
    np.testing.assert_allclose(batched.numpy(), loop.numpy(), rtol=1e-12, atol=1e-14)


def test_grid_sample_vmap_over_grid_and_input():
    x = pullback.tensor(np.random.default_rng(0).uniform(-1, 1, size=(3, 1, 2, 4, 5)))
    g = pullback.tensor(np.random.default_rng(1).uniform(-1.2, 1.2, size=(3, 1, 3, 2, 2)))
    for mode in ("bilinear", "nearest", "bicubic"):
        def f(a, b):
            return pullback.nn.functional.grid_sample(a, b, mode=mode, align_corners=False)
        batched = pullback.func.vmap(f)(x, g)
        loop = pullback.stack([f(x[i], g[i]) for i in range(3)])
        np.testing.assert_allclose(batched.numpy(), loop.numpy(), rtol=1e-12, atol=1e-14)


def test_max_unpool_round_trips_max_pool_as_torch():
    t, p = _pair((2, 3, 6, 5), seed=4)
    for m, x in ((torch, t), (pullback, p)):
        x.requires_grad_()
    out_t, idx_t = torch.nn.functional.max_pool2d(t, 2, return_indices=True)
    out_p, idx_p = pullback.nn.functional.max_pool2d(p, 2, return_indices=True)
    up_t = torch.nn.MaxUnpool2d(2)(out_t, idx_t, output_size=t.shape)
    up_p = pullback.nn.MaxUnpool2d(2)(out_p, idx_p, output_size=p.shape)
    _close(up_p, up_t)
    g = np.random.default_rng(0).standard_normal(tuple(t.shape))
    _close(pullback.autograd.grad(up_p, p, pullback.tensor(g))[0], torch.autograd.grad(up_t, t, torch.tensor(g))[0])
    t3, p3 = _pair((1, 2, 4, 4, 4), seed=5)
    o3, i3 = torch.nn.functional.max_pool3d(t3, 2, return_indices=True)
    q3, j3 = pullback.nn.functional.max_pool3d(p3, 2, return_indices=True)
    _close(pullback.nn.MaxUnpool3d(2)(q3, j3), torch.nn.MaxUnpool3d(2)(o3, i3))
    t1, p1 = _pair((2, 7), seed=6)
    o1, i1 = torch.nn.functional.max_pool1d(t1, 3, 2, 1, return_indices=True)
    q1, j1 = pullback.nn.functional.max_pool1d(p1, 3, 2, 1, return_indices=True)
    _close(pullback.nn.MaxUnpool1d(3, 2, 1)(q1, j1, output_size=[7]), torch.nn.MaxUnpool1d(3, 2, 1)(o1, i1, [7]))


def _x(m, shape, dtype="float64"):
    return m.zeros(shape, dtype=getattr(m, dtype))


def _i(m, shape, value=0, dtype="int64"):
    return m.full(shape, value, dtype=getattr(m, dtype))


F_ERRORS = [
    ("interpolate", lambda m: m.nn.functional.interpolate(_x(m, (2, 3, 4)), size=5, mode="linear", antialias=True)),
    ("interpolate", lambda m: m.nn.functional.interpolate(_x(m, (2, 3, 4)), size=(3, 3))),
    ("interpolate", lambda m: m.nn.functional.interpolate(_x(m, (2, 3, 4, 4)), scale_factor=[2.0])),
    ("interpolate", lambda m: m.nn.functional.interpolate(_x(m, (2, 3, 4)), size=(2.5,))),
    ("interpolate", lambda m: m.nn.functional.interpolate(_x(m, (2, 3, 4)), size=5, scale_factor=2.0)),
    ("interpolate", lambda m: m.nn.functional.interpolate(_x(m, (2, 3, 4)))),
    ("interpolate", lambda m: m.nn.functional.interpolate(_x(m, (2, 3, 4)), size=5, recompute_scale_factor=True)),
    ("interpolate", lambda m: m.nn.functional.interpolate(_x(m, (2, 3, 4)), size=5, align_corners=True)),
    ("interpolate", lambda m: m.nn.functional.interpolate(_x(m, (2, 3, 4)), size=0)),
    ("interpolate", lambda m: m.nn.functional.interpolate(_x(m, (2, 3, 4, 4)), size=(0, 2), mode="bicubic")),
    ("interpolate", lambda m: m.nn.functional.interpolate(_x(m, (1, 1, 2, 3, 4)), size=(0, 2, 1), mode="trilinear")),
    ("interpolate", lambda m: m.nn.functional.interpolate(_x(m, (2, 3, 4)), scale_factor=0.1)),
    ("interpolate", lambda m: m.nn.functional.interpolate(_x(m, (2, 0, 4)), size=5)),
    ("interpolate", lambda m: m.nn.functional.interpolate(_x(m, (2, 3, 0)), size=5)),
    ("interpolate", lambda m: m.nn.functional.interpolate(_x(m, (3, 4)), size=5)),
    ("interpolate", lambda m: m.nn.functional.interpolate(_x(m, (2, 3, 4)), size=5, mode="foo")),
    ("interpolate", lambda m: m.nn.functional.interpolate(_x(m, (2, 3, 4)), size=5, mode="bilinear")),
    ("interpolate", lambda m: m.nn.functional.interpolate(_x(m, (2, 3, 4, 4)), size=5, mode="trilinear")),
    ("interpolate", lambda m: m.nn.functional.interpolate(_x(m, (2, 3, 4, 4)), size=5, mode="lanczos")),
    ("interpolate", lambda m: m.nn.functional.interpolate(_x(m, (2, 3, 4), "int64"), size=5)),
    ("interpolate", lambda m: m.nn.functional.interpolate(_x(m, (2, 3, 4), "int64"), size=5, mode="linear")),
    ("interpolate", lambda m: m.nn.functional.interpolate(_x(m, (2, 3, 4), "int64"), size=5, mode="area")),
    ("interpolate", lambda m: m.nn.functional.interpolate(_x(m, (2, 3, 4, 4), "int64"), size=5, mode="bicubic")),
    ("pixel_shuffle", lambda m: m.nn.functional.pixel_shuffle(_x(m, (4, 2)), 2)),
    ("pixel_shuffle", lambda m: m.nn.functional.pixel_shuffle(_x(m, (1, 3, 2, 3)), 2)),
    ("pixel_shuffle", lambda m: m.nn.functional.pixel_shuffle(_x(m, (1, 4, 2, 3)), 0)),
    ("pixel_shuffle", lambda m: m.nn.functional.pixel_shuffle(_x(m, (1, 4, 2, 3)), 2.0)),
    ("pixel_unshuffle", lambda m: m.nn.functional.pixel_unshuffle(_x(m, (1, 1, 3, 4)), 2)),
    ("pixel_unshuffle", lambda m: m.nn.functional.pixel_unshuffle(_x(m, (1, 1, 4, 3)), 2)),
    ("pixel_unshuffle", lambda m: m.nn.functional.pixel_unshuffle(_x(m, (1, 1, 4, 4)), -1)),
    ("channel_shuffle", lambda m: m.nn.functional.channel_shuffle(_x(m, (1, 6, 2, 2)), 4)),
    ("channel_shuffle", lambda m: m.nn.functional.channel_shuffle(_x(m, (1, 6, 2, 2)), 0)),
    ("channel_shuffle", lambda m: m.nn.functional.channel_shuffle(_x(m, (1, 6)), 2)),
    ("grid_sample", lambda m: m.nn.functional.grid_sample(_x(m, (2, 3, 4, 5)), _x(m, (1, 6, 7, 2)), align_corners=False)),
    ("grid_sample", lambda m: m.nn.functional.grid_sample(_x(m, (2, 3, 4, 5)), _x(m, (2, 6, 7, 3)), align_corners=False)),
    ("grid_sample", lambda m: m.nn.functional.grid_sample(_x(m, (2, 3, 4, 5)), _x(m, (2, 6, 7, 1, 2)),
                                                          align_corners=False)),
    ("grid_sample", lambda m: m.nn.functional.grid_sample(_x(m, (2, 3, 4, 5, 6)), _x(m, (2, 3, 4, 5, 3)),
                                                          mode="bicubic", align_corners=False)),
    ("grid_sample", lambda m: m.nn.functional.grid_sample(_x(m, (2, 3, 4, 5)), _x(m, (2, 6, 7, 2), "float32"),
                                                          align_corners=False)),
    ("grid_sample", lambda m: m.nn.functional.grid_sample(_x(m, (2, 3, 4, 5), "int64"), _x(m, (2, 6, 7, 2), "int64"),
                                                          align_corners=False)),
    ("grid_sample", lambda m: m.nn.functional.grid_sample(_x(m, (2, 3, 0, 5)), _x(m, (2, 6, 7, 2)), align_corners=False)),
    ("grid_sample", lambda m: m.nn.functional.grid_sample(_x(m, (2, 3, 4, 5)), _x(m, (2, 6, 7, 2)), mode="foo")),
    ("grid_sample", lambda m: m.nn.functional.grid_sample(_x(m, (2, 3, 4, 5)), _x(m, (2, 6, 7, 2)), padding_mode="x")),
    ("affine_grid", lambda m: m.nn.functional.affine_grid(_x(m, (2, 3, 3)), [2, 3, 4, 5], align_corners=False)),
    ("affine_grid", lambda m: m.nn.functional.affine_grid(_x(m, (2, 2, 3)), [2, 3, 4, 5, 6], align_corners=False)),
    ("affine_grid", lambda m: m.nn.functional.affine_grid(_x(m, (2, 2, 3)), [2, 3, 4], align_corners=False)),
    ("affine_grid", lambda m: m.nn.functional.affine_grid(_x(m, (2, 2, 3), "int64"), [2, 3, 4, 5], align_corners=False)),
    ("affine_grid", lambda m: m.nn.functional.affine_grid(_x(m, (2, 2, 3)), [2, 3, 0, 5], align_corners=False)),
    ("affine_grid", lambda m: m.nn.functional.affine_grid(_x(m, (2, 2, 3)), [3, 3, 4, 5], align_corners=False)),
    ("max_unpool", lambda m: m.nn.functional.max_unpool2d(_x(m, (1, 2, 2, 2)), _i(m, (1, 2, 2, 2), 16), 2)),
    ("max_unpool", lambda m: m.nn.functional.max_unpool2d(_x(m, (1, 2, 2, 2)), _i(m, (1, 2, 2, 2), -1), 2)),
    ("max_unpool", lambda m: m.nn.functional.max_unpool2d(_x(m, (1, 2, 2, 2)), _i(m, (1, 2, 2, 1)), 2)),
    ("max_unpool", lambda m: m.nn.functional.max_unpool2d(_x(m, (1, 2, 2, 2)), _i(m, (1, 2, 2, 2), 0, "int32"), 2)),
    ("max_unpool", lambda m: m.nn.functional.max_unpool2d(_x(m, (2, 2)), _i(m, (2, 2)), 2)),
    ("max_unpool", lambda m: m.nn.functional.max_unpool2d(_x(m, (1, 2, 2, 2)), _i(m, (1, 2, 2, 2)), 2,
                                                          output_size=(9, 9))),
    ("max_unpool", lambda m: m.nn.functional.max_unpool2d(_x(m, (1, 2, 2, 2)), _i(m, (1, 2, 2, 2)), 2,
                                                          output_size=(9,))),
    ("max_unpool", lambda m: m.nn.functional.max_unpool2d(_x(m, (1, 2, 2, 2), "int64"), _i(m, (1, 2, 2, 2)), 2)),
    ("max_unpool", lambda m: m.nn.functional.max_unpool2d(_x(m, (1, 0, 2, 2)), _i(m, (1, 0, 2, 2)), 2)),
    ("max_unpool", lambda m: m.nn.functional.max_unpool2d(_x(m, (1, 2, 1, 1)), _i(m, (1, 2, 1, 1)), 1, padding=1)),
    ("max_unpool", lambda m: m.nn.functional.max_unpool3d(_x(m, (1, 2, 2, 2, 2)), _i(m, (1, 2, 2, 2, 2), 64), 2)),
    ("max_unpool", lambda m: m.nn.functional.max_unpool3d(_x(m, (2, 2, 2)), _i(m, (2, 2, 2)), 2)),
    ("max_unpool", lambda m: m.nn.functional.max_unpool3d(_x(m, (1, 2, 2, 2, 2)), _i(m, (1, 2, 2, 2, 2)), 2, 0)),
    ("max_unpool", lambda m: m.nn.functional.max_unpool1d(_x(m, (1, 2, 3)), _i(m, (1, 2, 3), 9), 2)),
    ("max_unpool", lambda m: m.nn.functional.max_unpool1d(_x(m, (1, 2, 3)), _i(m, (1, 2, 2)), 2)),
]


@pytest.mark.parametrize("case", range(len(F_ERRORS)), ids=[f"{c[0]}-{i}" for i, c in enumerate(F_ERRORS)])
def test_errors_as_torch(case):
    _, call = F_ERRORS[case]
    with pytest.raises(Exception) as expected:
        _quiet(lambda: call(torch))
    if "pullback" in str(expected.value) or type(expected.value) is NotImplementedError and \
            "antialias" in str(expected.value):
        pytest.fail("torch's own error expected")
    with pytest.raises(type(expected.value)) as raised:
        _quiet(lambda: call(pullback))
    assert str(raised.value) == str(expected.value)


def test_antialias_and_uint8_linear_modes_refused_clearly():
    """What torch computes and pullback does not: antialiased and uint8 bilinear/bicubic resizing."""
    x = pullback.zeros(1, 1, 4, 4)
    with pytest.raises(NotImplementedError, match="antialias=True"):
        pullback.nn.functional.interpolate(x, size=2, mode="bilinear", antialias=True)
    with pytest.raises(NotImplementedError, match="uint8"):
        pullback.nn.functional.interpolate(x.to(pullback.uint8), size=2, mode="bicubic")


def test_nearest_uint8_as_torch():
    values = np.arange(24).reshape(1, 2, 3, 4)
    ours = pullback.nn.functional.interpolate(pullback.tensor(values, dtype=pullback.uint8), scale_factor=1.6)
    theirs = torch.nn.functional.interpolate(torch.tensor(values, dtype=torch.uint8), scale_factor=1.6)
    _close(ours, theirs)


@pytest.mark.parametrize("fn,args", [("upsample", {"size": 3}), ("upsample_nearest", {"size": 3}),
                                     ("upsample_bilinear", {"scale_factor": 2})])
def test_deprecated_upsample_functions_warn_as_torch(fn, args):
    with pytest.warns(UserWarning, match=f"`nn.functional.{fn}` is deprecated"):
        ours = getattr(pullback.nn.functional, fn)(pullback.ones(1, 1, 2, 2), **args)
    with pytest.warns(UserWarning):
        theirs = getattr(torch.nn.functional, fn)(torch.ones(1, 1, 2, 2), **args)
    _close(ours, theirs)


def test_grid_functions_warn_without_align_corners():
    with pytest.warns(UserWarning, match="Default grid_sample and affine_grid behavior"):
        grid = pullback.nn.functional.affine_grid(pullback.eye(2, 3).unsqueeze(0), [1, 1, 2, 2])
    with pytest.warns(UserWarning, match="Default grid_sample and affine_grid behavior"):
        pullback.nn.functional.grid_sample(pullback.ones(1, 1, 2, 2), grid)


MODULES = [
    ("Upsample", (), {"scale_factor": (2, 1.5), "mode": "bilinear"}, (1, 2, 3, 4)),
    ("Upsample", (), {"size": 5, "mode": "linear", "align_corners": True}, (2, 3, 4)),
    ("Upsample", (), {"scale_factor": 0.5, "mode": "area"}, (1, 1, 4, 6, 2)),
    ("Upsample", (), {"size": (5, 3), "mode": "bicubic", "recompute_scale_factor": None}, (1, 1, 3, 4)),
    ("UpsamplingNearest2d", (), {"scale_factor": 2}, (1, 2, 3, 4)),
    ("UpsamplingNearest2d", (3,), {}, (1, 2, 3, 4)),
    ("UpsamplingBilinear2d", (), {"size": (4, 7)}, (1, 2, 3, 4)),
    ("PixelShuffle", (2,), {}, (1, 8, 2, 3)),
    ("PixelUnshuffle", (3,), {}, (2, 6, 3)),
    ("ChannelShuffle", (2,), {}, (2, 4, 3, 3)),
    ("Unfold", ((2, 3),), {"dilation": 1, "padding": 1, "stride": 2}, (2, 3, 5, 6)),
    ("Fold", ((4, 6), (2, 2)), {"stride": 2}, (1, 12, 6)),
]


@pytest.mark.parametrize("name,args,kwargs,shape", MODULES, ids=[f"{m[0]}-{i}" for i, m in enumerate(MODULES)])
def test_modules_as_torch(name, args, kwargs, shape):
    ours, theirs = getattr(pullback.nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    assert repr(ours) == repr(theirs)
    t, p = _pair(shape, seed=1)
    t.requires_grad_()
    p.requires_grad_()
    out_t, out_p = theirs(t), ours(p)
    _close(out_p, out_t)
    g = np.random.default_rng(2).standard_normal(tuple(out_t.shape))
    _close(pullback.autograd.grad(out_p, p, pullback.tensor(g))[0], torch.autograd.grad(out_t, t, torch.tensor(g))[0])


@pytest.mark.parametrize("name,args", [("MaxUnpool1d", (3, 2, 1)), ("MaxUnpool2d", (2,)),
                                       ("MaxUnpool3d", ((2, 1, 2), None, (1, 0, 0)))])
def test_max_unpool_modules_repr_as_torch(name, args):
    ours, theirs = getattr(pullback.nn, name)(*args), getattr(torch.nn, name)(*args)
    assert repr(ours) == repr(theirs)
    assert (ours.kernel_size, ours.stride, ours.padding) == (theirs.kernel_size, theirs.stride, theirs.padding)
