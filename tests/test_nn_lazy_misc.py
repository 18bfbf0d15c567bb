"""Lazy modules, the 3-d transposed convolution and pools, the channel-wise and alpha dropouts,
EmbeddingBag and SyncBatchNorm, against torch (values, gradients, state dicts, errors)."""
import copy
import math
import warnings

import numpy as np
import pytest

import pullback
import pullback.nn as nn
import pullback.nn.functional as F

torch = pytest.importorskip("torch")


def pb(t):
    return pullback.tensor(t.detach().numpy().copy(), requires_grad=t.requires_grad)


def close(a, b, atol=1e-10, rtol=1e-7):
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), atol=atol, rtol=rtol)


def same_error(call_pb, call_torch):
    with pytest.raises(Exception) as expected:
        call_torch()
    with pytest.raises(type(expected.value)) as got:
        call_pb()
    # A shape or tensor type in a message prints as pullback.Size (pullback.FloatTensor) where torch
    # prints torch.Size (torch.FloatTensor); a message torch
    # follows with a dump of an empty tensor ("[ torch.LongTensor{} ]") is compared without it.
    want = str(expected.value).split("\n[ torch.")[0].replace("torch.", "pullback.")
    assert str(got.value) == want


def load_from_torch(ours, theirs):
    ours.load_state_dict({k: pullback.tensor(v.detach().numpy().copy()) for k, v in theirs.state_dict().items()})


# ------------------------------------------------------------------ lazy modules
LAZY = [
    ("LazyLinear", (3,), {}, (4, 5)),
    ("LazyLinear", (2,), {"bias": False}, (2, 3, 6)),
    ("LazyConv1d", (4, 3), {"padding": 1}, (2, 3, 7)),
    ("LazyConv2d", (4, 3), {"groups": 2, "stride": 2}, (2, 6, 7, 6)),
    ("LazyConv3d", (2, 2), {}, (3, 4, 4, 5)),
    ("LazyConvTranspose1d", (4, 3), {"stride": 2}, (2, 3, 5)),
    ("LazyConvTranspose2d", (4, 3), {"groups": 2, "output_padding": 1, "stride": 2}, (2, 4, 3, 4)),
    ("LazyConvTranspose3d", (2, 2), {"bias": False}, (1, 3, 3, 2, 3)),
    ("LazyBatchNorm1d", (), {}, (6, 3)),
    ("LazyBatchNorm2d", (), {"momentum": None}, (4, 3, 2, 2)),
    ("LazyBatchNorm3d", (), {"affine": False}, (2, 3, 2, 2, 2)),
    ("LazyInstanceNorm1d", (), {}, (2, 3, 5)),
    ("LazyInstanceNorm2d", (), {"affine": False, "track_running_stats": False}, (2, 3, 4, 4)),
    ("LazyInstanceNorm3d", (), {}, (2, 3, 2, 3, 2)),
]


@pytest.mark.parametrize("name,args,kwargs,shape", LAZY, ids=[f"{c[0]}-{i}" for i, c in enumerate(LAZY)])
def test_lazy_module_as_torch(name, args, kwargs, shape):
    torch.manual_seed(0)
    theirs = getattr(torch.nn, name)(*args, **kwargs).double()
    ours = getattr(nn, name)(*args, **kwargs).double()
    # Before the first call: the repr, the uninitialized state and its dtype.
    assert repr(ours) == repr(theirs)
    assert ours.has_uninitialized_params() == theirs.has_uninitialized_params()
    theirs_sd, ours_sd = theirs.state_dict(), ours.state_dict()
    assert list(ours_sd) == list(theirs_sd)
    for key in theirs_sd:
        assert type(ours_sd[key]).__name__ == type(theirs_sd[key]).__name__, key
    x = torch.randn(*shape, dtype=torch.float64, requires_grad=True)
    expected = theirs(x)
    actual = ours(pb(x))
    # After it: the eager class, the shapes torch inferred, then torch's values once its state is loaded.
    assert type(ours).__name__ == type(theirs).__name__ == getattr(torch.nn, name).cls_to_become.__name__
    assert type(ours) is getattr(nn, type(theirs).__name__)
    assert repr(ours) == repr(theirs)
    assert not ours.has_uninitialized_params() if hasattr(ours, "has_uninitialized_params") else True
    assert {k: tuple(v.shape) for k, v in ours.state_dict().items()} == \
        {k: tuple(v.shape) for k, v in theirs.state_dict().items()}
    assert all(v.dtype is (pullback.int64 if k.endswith("num_batches_tracked") else pullback.float64)
               for k, v in ours.state_dict().items())
    assert type(ours.weight if ours.weight is not None else pullback.ones(1)).__name__ in ("Parameter", "Tensor")
    assert tuple(actual.shape) == tuple(expected.shape) and actual.dtype is pullback.float64
    torch.manual_seed(1)
    fresh = getattr(torch.nn, name)(*args, **kwargs).double()
    fresh(x.detach())
    load_from_torch(ours, fresh)
    x2 = torch.randn(*shape, dtype=torch.float64, requires_grad=True)
    x2_pb = pb(x2)
    close(ours(x2_pb), fresh(x2))
    for a, b in zip(ours.state_dict().values(), fresh.state_dict().values()):
        close(a, b)


def test_lazy_initialization_values_follow_the_eager_init():
    """The weights a lazy layer materializes are initialized as the eager layer's (kaiming
    uniform within the fan-in bound; a norm's ones and zeros)."""
    lin = nn.LazyLinear(5)
    lin(pullback.ones(2, 8))
    bound = 1 / math.sqrt(8)
    assert float(lin.weight.abs().max()) <= bound and float(lin.bias.abs().max()) <= bound
    assert float(lin.weight.std()) > 0
    bn = nn.LazyBatchNorm1d()
    bn.eval()
    bn(pullback.ones(2, 4))
    assert bn.weight.tolist() == [1.0] * 4 and bn.bias.tolist() == [0.0] * 4
    assert bn.running_mean.tolist() == [0.0] * 4 and bn.running_var.tolist() == [1.0] * 4


def test_lazy_state_dict_loading_as_torch():
    # An initialized state into a lazy module: it materializes, stays lazy until its call.
    eager_t = torch.nn.Linear(2, 3).double()
    lazy_t, lazy = torch.nn.LazyLinear(3).double(), nn.LazyLinear(3).double()
    lazy_t.load_state_dict(eager_t.state_dict())
    load_from_torch(lazy, eager_t)
    assert type(lazy).__name__ == type(lazy_t).__name__ == "LazyLinear"
    assert type(lazy.weight) is nn.Parameter and tuple(lazy.weight.shape) == (3, 2)
    assert lazy.in_features == lazy_t.in_features == 0
    x = torch.randn(4, 2, dtype=torch.float64)
    close(lazy(pb(x)), lazy_t(x))
    assert lazy.in_features == 2 and type(lazy) is nn.Linear
    # The inferred size must agree with the loaded weight's.
    lazy_t, lazy = torch.nn.LazyLinear(3).double(), nn.LazyLinear(3).double()
    lazy_t.load_state_dict(eager_t.state_dict())
    load_from_torch(lazy, eager_t)
    same_error(lambda: lazy(pullback.ones(4, 5, dtype=pullback.float64)),
               lambda: lazy_t(torch.ones(4, 5, dtype=torch.float64)))
    # An uninitialized state into a lazy module: nothing happens; into an eager one: torch's error.
    a_t, b_t, a, b = torch.nn.LazyLinear(3), torch.nn.LazyLinear(3), nn.LazyLinear(3), nn.LazyLinear(3)
    b_t.load_state_dict(a_t.state_dict())
    b.load_state_dict(a.state_dict())
    assert b.has_uninitialized_params()
    same_error(lambda: nn.Linear(2, 3).load_state_dict(a.state_dict()),
               lambda: torch.nn.Linear(2, 3).load_state_dict(a_t.state_dict()))


def test_lazy_modules_inside_containers():
    """A parent's load_state_dict materializes its lazy children; its forward initializes them."""
    torch.manual_seed(0)
    theirs = torch.nn.Sequential(torch.nn.LazyLinear(4), torch.nn.ReLU(), torch.nn.LazyLinear(2)).double()
    ours = nn.Sequential(nn.LazyLinear(4), nn.ReLU(), nn.LazyLinear(2)).double()
    x = torch.randn(3, 5, dtype=torch.float64)
    theirs(x)
    load_from_torch(ours, theirs)
    assert [type(m).__name__ for m in ours] == ["LazyLinear", "ReLU", "LazyLinear"]
    close(ours(pb(x)), theirs(x))
    assert repr(ours) == repr(theirs)
    other = nn.Sequential(nn.LazyConv2d(2, 3), nn.LazyBatchNorm2d())
    other(pullback.randn(2, 3, 5, 5))
    assert [type(m).__name__ for m in other] == ["Conv2d", "BatchNorm2d"]
    assert tuple(other[1].running_mean.shape) == (2,) and int(other[1].num_batches_tracked) == 1


def test_uninitialized_tensors_as_torch():
    p_t, p = torch.nn.UninitializedParameter(), nn.UninitializedParameter()
    assert repr(p) == repr(p_t) == "<UninitializedParameter>"
    assert repr(nn.UninitializedBuffer()) == repr(torch.nn.UninitializedBuffer())
    assert p.requires_grad and not nn.UninitializedBuffer().requires_grad
    same_error(lambda: p.shape, lambda: p_t.shape)
    assert tuple(p.size()) == tuple(p_t.size()) == (0,)
    for method in ("numel", "dim", "detach", "clone"):
        with pytest.raises(ValueError, match=f"Attempted to use an uninitialized parameter in <method '{method}'"):
            getattr(p, method)()
        with pytest.raises(ValueError, match=f"Attempted to use an uninitialized parameter in <method '{method}'"):
            getattr(p_t, method)()
    assert p.dtype is pullback.float32 and p.to(pullback.float64).dtype is pullback.float64
    assert type(p.to(pullback.float64)) is nn.UninitializedParameter
    b = nn.UninitializedBuffer(dtype=pullback.float64)
    b.materialize((2, 3))
    assert type(b) is pullback.Tensor and tuple(b.shape) == (2, 3) and b.dtype is pullback.float64
    p.materialize((4,), dtype=pullback.float64)
    assert type(p) is nn.Parameter and tuple(p.shape) == (4,) and p.requires_grad
    lazy = nn.LazyConv1d(2, 3)
    clone = copy.deepcopy(lazy)
    assert type(clone.weight) is nn.UninitializedParameter and clone.has_uninitialized_params()
    clone(pullback.ones(1, 4, 6))
    assert tuple(clone.weight.shape) == (2, 4, 3) and lazy.has_uninitialized_params()


def test_lazy_conv_wrong_rank_as_torch():
    same_error(lambda: nn.LazyConv2d(2, 3)(pullback.ones(3, 5)), lambda: torch.nn.LazyConv2d(2, 3)(torch.ones(3, 5)))
    same_error(lambda: nn.LazyConv2d(2, 3, groups=2)(pullback.ones(1, 3, 5, 5)),
               lambda: torch.nn.LazyConv2d(2, 3, groups=2)(torch.ones(1, 3, 5, 5)))


# ------------------------------------------------------------------ 3-d transposed conv and pools
@pytest.mark.parametrize("kwargs", [{}, {"stride": 2, "output_padding": 1}, {"groups": 2, "dilation": (1, 2, 1)},
                                    {"stride": (1, 3, 2), "padding": (1, 0, 1), "output_padding": (0, 2, 1)}])
def test_conv_transpose3d_as_torch(kwargs):
    torch.manual_seed(0)
    x = torch.randn(2, 4, 3, 4, 3, dtype=torch.float64, requires_grad=True)
    w = torch.randn(4, 3, 2, 3, 2, dtype=torch.float64, requires_grad=True)
    b = torch.randn(3 * kwargs.get("groups", 1), dtype=torch.float64, requires_grad=True)
    args = [x, w, b]
    expected = torch.nn.functional.conv_transpose3d(*args, **kwargs)
    ours = [pb(a) for a in args]
    actual = F.conv_transpose3d(*ours, **kwargs)
    close(actual, expected)
    g = torch.randn_like(expected)
    for a, e in zip(pullback.autograd.grad(actual, ours, pb(g)), torch.autograd.grad(expected, args, g)):
        close(a, e)


def test_conv_transpose3d_module_and_errors_as_torch():
    torch.manual_seed(0)
    theirs = torch.nn.ConvTranspose3d(2, 3, 2, stride=2).double()
    ours = nn.ConvTranspose3d(2, 3, 2, stride=2).double()
    load_from_torch(ours, theirs)
    x = torch.randn(1, 2, 2, 3, 2, dtype=torch.float64)
    close(ours(pb(x), output_size=(5, 7, 5)), theirs(x, output_size=(5, 7, 5)))
    close(ours(pb(x[0])), theirs(x[0]))
    assert repr(ours) == repr(theirs)
    x, w = torch.randn(1, 2, 3, 3, 3), torch.randn(2, 2, 2, 2, 2)
    for kw in ({"stride": 1, "output_padding": 1}, {"padding": 5}, {"dilation": 0}, {"stride": 0}, {"stride": (1, 2)},
               {"bias": torch.randn(3)}):
        same_error(lambda: F.conv_transpose3d(pb(x), pb(w), **{k: pb(v) if isinstance(v, torch.Tensor) else v
                                                               for k, v in kw.items()}),
                   lambda: torch.nn.functional.conv_transpose3d(x, w, **kw))
    same_error(lambda: F.conv_transpose3d(pb(x[0, 0]), pb(w)), lambda: torch.nn.functional.conv_transpose3d(x[0, 0], w))
    same_error(lambda: F.conv_transpose3d(pb(x).int(), pb(w).int()),
               lambda: torch.nn.functional.conv_transpose3d(x.int(), w.int()))
    same_error(lambda: F.conv_transpose3d(pb(x), pb(w).double()),
               lambda: torch.nn.functional.conv_transpose3d(x, w.double()))


@pytest.mark.parametrize("size", [1, 2, (2, None, 3), (3, 4, 5), (0, 1, 1)])
def test_adaptive_max_pool3d_as_torch(size):
    torch.manual_seed(0)
    x = torch.randn(2, 3, 5, 6, 7, dtype=torch.float64, requires_grad=True)
    x.data[0, 0, :2, :2, :2] = 1.0          # ties: the first maximum in scan order
    x.data[1, 1, 0, 0, 1] = float("nan")    # a NaN wins
    expected, e_idx = torch.nn.functional.adaptive_max_pool3d(x, size, return_indices=True)
    xp = pb(x)
    actual, a_idx = F.adaptive_max_pool3d(xp, size, return_indices=True)
    np.testing.assert_array_equal(a_idx.numpy(), e_idx.numpy())
    np.testing.assert_allclose(actual.detach().numpy(), expected.detach().numpy())
    module = nn.AdaptiveMaxPool3d(size)
    np.testing.assert_allclose(module(xp[0]).detach().numpy(), torch.nn.AdaptiveMaxPool3d(size)(x[0]).detach().numpy())
    if expected.numel():
        g = torch.randn_like(expected)
        close(pullback.autograd.grad(actual, xp, pb(g))[0], torch.autograd.grad(expected, x, g)[0])


def test_adaptive_max_pool3d_errors_as_torch():
    x = torch.randn(1, 2, 3, 4, 5)
    for args in [((2, 2),), ((),), (2.5,)]:
        same_error(lambda: F.adaptive_max_pool3d(pb(x), *args), lambda: torch.nn.functional.adaptive_max_pool3d(x, *args))
    for t in (x[0, 0], x.long(), torch.randn(1, 2, 0, 3, 3)):
        same_error(lambda: F.adaptive_max_pool3d(pb(t), 2), lambda: torch.nn.functional.adaptive_max_pool3d(t, 2))
    same_error(lambda: F.adaptive_max_pool3d(pullback.ones(1, 1, 1, 1, 1), (-1, 0, 2)),
               lambda: torch.nn.functional.adaptive_max_pool3d(torch.ones(1, 1, 1, 1, 1), (-1, 0, 2)))


@pytest.mark.parametrize("args,kwargs", [((2, 2), {}), ((1.5, (2, 3, 2)), {"stride": 1}), ((3, 2), {"ceil_mode": True}),
                                         ((float("inf"), 2), {}), ((-float("inf"), (1, 2, 2)), {"stride": 2})])
def test_lp_pool3d_as_torch(args, kwargs):
    torch.manual_seed(0)
    x = (torch.rand(2, 2, 5, 5, 6, dtype=torch.float64) + 0.2).requires_grad_()
    expected = torch.nn.functional.lp_pool3d(x, *args, **kwargs)
    xp = pb(x)
    actual = F.lp_pool3d(xp, *args, **kwargs)
    close(actual, expected)
    g = torch.randn_like(expected)
    close(pullback.autograd.grad(actual, xp, pb(g))[0], torch.autograd.grad(expected, x, g)[0])
    module, module_t = nn.LPPool3d(*args, **kwargs), torch.nn.LPPool3d(*args, **kwargs)
    close(module(xp[0]), module_t(x[0]))
    assert repr(module) == repr(module_t)


def test_lp_pool3d_errors_as_torch():
    x = torch.rand(1, 2, 4, 4, 4)
    for kernel in ((2, 2), (2, 2, 2, 2)):
        same_error(lambda: F.lp_pool3d(pb(x), 2, kernel), lambda: torch.nn.functional.lp_pool3d(x, 2, kernel))
    same_error(lambda: F.lp_pool3d(pb(x)[0, 0], 2, 2), lambda: torch.nn.functional.lp_pool3d(x[0, 0], 2, 2))


# ------------------------------------------------------------------ dropouts
CHANNELWISE = [("dropout1d", (3, 4, 5)), ("dropout1d", (4, 5)), ("dropout2d", (2, 3, 4, 5)), ("dropout2d", (3, 4, 5)),
               ("dropout3d", (2, 3, 2, 2, 2)), ("dropout3d", (3, 2, 2, 2))]


@pytest.mark.parametrize("name,shape", CHANNELWISE)
def test_channelwise_dropout_drops_whole_channels(name, shape):
    pullback.manual_seed(0)
    x = pullback.rand(*shape, dtype=pullback.float64) + 1.0
    x.requires_grad_()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = getattr(F, name)(x, 0.4)
        assert getattr(F, name)(x, 0.4, training=False) is x
    # Every channel (of each sample) is either zero or x / (1 - p).
    batch_dims = 2 if len(shape) == int(name[-2]) + 2 or (name == "dropout2d" and len(shape) == 3) else 1
    ratio = (out / x).detach().numpy().reshape(shape[:batch_dims] + (-1,))
    for row in ratio.reshape(-1, ratio.shape[-1]):
        assert np.allclose(row, 0.0) or np.allclose(row, 1 / 0.6)
    kept = (ratio[..., 0] > 0).mean()
    assert 0.0 < kept < 1.0 or ratio.size < 8
    # The gradient is the mask.
    (g,) = pullback.autograd.grad(out.sum(), x)
    np.testing.assert_allclose(g.numpy(), (out / x).detach().numpy())


def test_dropout_modules_as_torch():
    for name in ("Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout"):
        ours, theirs = getattr(nn, name)(0.3, True), getattr(torch.nn, name)(0.3, True)
        assert repr(ours) == repr(theirs) and ours.inplace
        same_error(lambda: getattr(nn, name)(1.5), lambda: getattr(torch.nn, name)(1.5))
        x = pullback.randn(*{"Dropout3d": (2, 3, 4, 4, 4), "Dropout2d": (2, 3, 4, 4)}.get(name, (2, 3, 4)))
        ours.eval()
        assert ours(x) is x
        ours.train()
        out = ours(x.clone())
        assert tuple(out.shape) == tuple(x.shape) and out.dtype is x.dtype


def test_dropout_errors_and_warnings_as_torch():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cases = [("dropout1d", (3, 4, 5, 6), {}), ("dropout1d", (3, 4), {"p": 1.5}), ("alpha_dropout", (3, 4),
                 {"p": -0.5}), ("feature_alpha_dropout", (3,), {"training": True}), ("dropout2d", (3,), {}),
                 ("dropout2d", (3, 4), {"p": 0.5, "training": True})]
        for name, shape, kw in cases:
            x = torch.randn(*shape)
            args_t = (x.long(),) if name == "dropout2d" and len(shape) == 2 else (x,)
            same_error(lambda: getattr(F, name)(*[pb(a) for a in args_t], **kw),
                       lambda: getattr(torch.nn.functional, name)(*args_t, **kw))
    for name, shape in (("dropout2d", (3, 4, 5)), ("dropout2d", (3, 4)), ("dropout3d", (3, 4, 5)),
                        ("dropout2d", (1, 2, 3, 4, 5))):
        with pytest.warns(UserWarning) as expected:
            getattr(torch.nn.functional, name)(torch.ones(*shape))
        with pytest.warns(UserWarning) as got:
            getattr(F, name)(pullback.ones(*shape))
        assert [str(w.message) for w in got] == [str(w.message) for w in expected]


@pytest.mark.parametrize("name", ["alpha_dropout", "feature_alpha_dropout"])
def test_alpha_dropout_values_and_moments(name):
    p = 0.3
    alpha = 1.7580993408473766
    a = 1 / math.sqrt((alpha ** 2 * p + 1) * (1 - p))
    pullback.manual_seed(0)
    x = pullback.randn(400, 50, 1, dtype=pullback.float64, requires_grad=True)
    assert getattr(F, name)(x, p) is x    # training defaults to False, as torch's
    out = getattr(F, name)(x, p, True)
    dropped = np.isclose(out.detach().numpy(), -alpha * a + alpha * a * p)
    kept = np.isclose(out.detach().numpy(), x.detach().numpy() * a + alpha * a * p)
    assert (dropped | kept).all() and 0.25 < dropped.mean() < 0.35
    if name == "feature_alpha_dropout":     # one draw per (sample, channel)
        x2 = pullback.randn(40, 30, 20, dtype=pullback.float64)
        out2 = F.feature_alpha_dropout(x2, p, True).numpy()
        dropped2 = np.isclose(out2, -alpha * a + alpha * a * p)
        assert (dropped2.all(axis=2) | ~dropped2.any(axis=2)).all() and 0.2 < dropped2.mean() < 0.4
    # Unit-variance inputs keep zero mean and unit variance (SELU's fixed point).
    assert abs(float(out.mean())) < 0.1 and abs(float(out.std()) - 1) < 0.1
    (g,) = pullback.autograd.grad(out.sum(), x)
    np.testing.assert_allclose(g.numpy(), np.where(kept, a, 0.0))
    np.testing.assert_array_equal(getattr(F, name)(x, 1.0, True).detach().numpy(), np.zeros((400, 50, 1)))


def test_dropout_masks_follow_vmap_randomness_and_compile():
    x = pullback.ones(4, 3, 8)
    same = pullback.func.vmap(lambda r: F.dropout1d(r, 0.5), randomness="same")(x)
    assert all(np.array_equal(same[0].numpy(), same[i].numpy()) for i in range(4))
    different = pullback.func.vmap(lambda r: F.dropout2d(r, 0.5), randomness="different")(pullback.ones(6, 2, 3, 4, 4))
    assert not all(np.array_equal(different[0].numpy(), different[i].numpy()) for i in range(6))
    with pytest.raises(RuntimeError, match="randomness"):
        pullback.func.vmap(lambda r: F.alpha_dropout(r, 0.5, True))(x)

    def step(t):
        return F.dropout3d(t, 0.5) + F.feature_alpha_dropout(t, 0.2, True)

    compiled = pullback.compile(step)
    t = pullback.ones(2, 3, 2, 2, 2)
    pullback.manual_seed(3)
    got = [compiled(t) for _ in range(3)]
    pullback.manual_seed(3)
    want = [step(t) for _ in range(3)]
    assert all(np.array_equal(a.numpy(), b.numpy()) for a, b in zip(got, want))


def test_inplace_dropout_writes_into_its_input():
    x = pullback.ones(2, 3, 4)
    out = F.dropout1d(x, 0.5, inplace=True)
    assert out is x and set(np.unique(x.numpy())) <= {0.0, 2.0}


# ------------------------------------------------------------------ embedding_bag
BAGS = [
    ({"mode": "sum"}, [1, 0, 3, 1, 2, 3, 0], [0, 2, 2, 5]),
    ({"mode": "mean"}, [1, 0, 3, 1, 2, 3, 0], [0, 2, 2, 5]),
    ({"mode": "max"}, [1, 0, 3, 1, 2, 3, 0], [0, 2, 2, 5]),
    ({"mode": "sum", "include_last_offset": True}, [1, 0, 3, 1, 2, 3, 0], [0, 3, 3, 6]),
    ({"mode": "mean", "include_last_offset": True}, [1, 0, 3, 1, 2, 3, 0], [0, 3, 6]),
    ({"mode": "max", "include_last_offset": True}, [1, 0, 3, 1, 2, 3, 0], [0, 3, 3, 6]),
    ({"mode": "mean", "padding_idx": 0}, [1, 0, 3, 0, 0, 2], [0, 3, 5]),
    ({"mode": "max", "padding_idx": -1}, [3, 3, 0, 1, 3], [0, 2, 3]),
    ({"mode": "sum", "padding_idx": 1}, [[1, 0, 3], [2, 1, 1]], None),
    ({"mode": "max"}, [[1, 0, 3], [2, 2, 1]], None),
    ({"mode": "sum", "per_sample_weights": True}, [1, 0, 3, 1, 2, 3], [0, 2, 4]),
    ({"mode": "sum", "per_sample_weights": True, "padding_idx": 3}, [[1, 0, 3], [3, 2, 1]], None),
    ({"mode": "mean"}, [], [0, 0]),
]


@pytest.mark.parametrize("kwargs,indices,offsets", BAGS, ids=[str(i) for i in range(len(BAGS))])
def test_embedding_bag_as_torch(kwargs, indices, offsets):
    torch.manual_seed(0)
    kwargs = dict(kwargs)
    w = torch.randn(4, 3, dtype=torch.float64, requires_grad=True)
    idx = torch.tensor(indices, dtype=torch.int64)
    args_t, args_p = [idx, w], [pullback.tensor(indices, dtype=pullback.int64), pb(w)]
    if offsets is not None:
        args_t.append(torch.tensor(offsets))
        args_p.append(pullback.tensor(offsets))
    leaves_t, leaves_p = [w], [args_p[1]]
    if kwargs.pop("per_sample_weights", False):
        psw = torch.randn(*idx.shape, dtype=torch.float64, requires_grad=True)
        kwargs_t, kwargs_p = dict(kwargs, per_sample_weights=psw), dict(kwargs, per_sample_weights=pb(psw))
        leaves_t.append(psw)
        leaves_p.append(kwargs_p["per_sample_weights"])
    else:
        kwargs_t = kwargs_p = kwargs
    expected = torch.nn.functional.embedding_bag(*args_t, **kwargs_t)
    actual = F.embedding_bag(*args_p, **kwargs_p)
    close(actual, expected)
    g = torch.randn_like(expected)
    for a, e in zip(pullback.autograd.grad(actual, leaves_p, pb(g), allow_unused=True),
                    torch.autograd.grad(expected, leaves_t, g, allow_unused=True)):
        close(a, e)


@pytest.mark.parametrize("mode", ["sum", "mean"])
def test_embedding_bag_scale_grad_by_freq(mode):
    """Each row's gradient divided by how often the whole input reads it, as torch's
    F.embedding does (torch's own embedding_bag backward reads the counts at other rows' positions
    on CPU, e.g. rows read once get a third of their gradient beside a row read three times)."""
    torch.manual_seed(0)
    w = torch.randn(5, 3, dtype=torch.float64, requires_grad=True)
    idx, offsets = [1, 1, 3, 1, 2, 4, 4], [0, 1, 3, 3]
    bags = [(0, 1), (1, 3), (3, 3), (3, 7)]
    rows = torch.nn.functional.embedding(torch.tensor(idx), w, scale_grad_by_freq=True)
    reduce = (lambda r: r.sum(0)) if mode == "sum" else (lambda r: r.mean(0) if len(r) else r.sum(0))
    expected = torch.stack([reduce(rows[a:b]) for a, b in bags])
    wp = pb(w)
    actual = F.embedding_bag(pullback.tensor(idx), wp, pullback.tensor(offsets), mode=mode, scale_grad_by_freq=True)
    close(actual, expected)
    g = torch.randn_like(expected)
    close(pullback.autograd.grad(actual, wp, pb(g))[0], torch.autograd.grad(expected, w, g)[0])


def test_embedding_bag_errors_as_torch():
    w = torch.randn(4, 3)
    i, o = torch.tensor([0, 1, 2, 3, 1]), torch.tensor([0, 2, 2])
    cases = [
        ((i, w, torch.tensor([1, 2])), {}), ((i, w, torch.tensor([0, 6])), {}),
        ((torch.tensor([0, 4]), w, torch.tensor([0])), {}), ((torch.tensor([0, -1]), w, torch.tensor([0])), {}),
        ((i.float(), w, o), {}), ((i, w, o.float()), {}), ((i.short(), w, o.short()), {}),
        ((i, w, o), {"mode": "mean", "per_sample_weights": torch.ones(5)}),
        ((i, w, o), {"mode": "sum", "per_sample_weights": torch.ones(5, dtype=torch.float64)}),
        ((i, w, o), {"mode": "sum", "per_sample_weights": torch.ones(4)}),
        ((i, w, o), {"mode": "max", "scale_grad_by_freq": True}), ((i, w, o), {"mode": "min"}),
        ((i, w, o), {"padding_idx": 4}), ((i, w, o), {"padding_idx": -5}),
        ((i, w), {}), ((i, w, o[None]), {}), ((i[None], w, o), {}), ((i[None, None], w), {}),
        ((i, w[0], o), {}), ((torch.tensor([[0, 1], [2, 3]]), w.int()), {"mode": "sum"}),
    ]
    for args, kw in cases:
        same_error(lambda: F.embedding_bag(*[pullback.tensor(a.numpy()) for a in args],
                                           **{k: pullback.tensor(v.numpy()) if isinstance(v, torch.Tensor) else v
                                              for k, v in kw.items()}),
                   lambda: torch.nn.functional.embedding_bag(*args, **kw))


def test_embedding_bag_module_as_torch():
    torch.manual_seed(0)
    theirs = torch.nn.EmbeddingBag(5, 3, mode="max", padding_idx=2).double()
    ours = nn.EmbeddingBag(5, 3, mode="max", padding_idx=2).double()
    assert repr(ours) == repr(theirs) and float(ours.weight[2].abs().sum()) == 0.0
    load_from_torch(ours, theirs)
    i, o = torch.tensor([0, 2, 4, 1, 3]), torch.tensor([0, 3])
    close(ours(pullback.tensor(i.numpy()), pullback.tensor(o.numpy())), theirs(i, o))
    w = torch.randn(4, 2, dtype=torch.float64)
    pre, pre_t = nn.EmbeddingBag.from_pretrained(pb(w), mode="sum"), torch.nn.EmbeddingBag.from_pretrained(w, mode="sum")
    assert not pre.weight.requires_grad and repr(pre) == repr(pre_t)
    close(pre(pullback.tensor([[0, 3], [1, 1]])), pre_t(torch.tensor([[0, 3], [1, 1]])))
    per = pullback.tensor([[0.5, 2.0], [1.0, -1.0]], dtype=pullback.float64)
    close(pre(pullback.tensor([[0, 3], [1, 1]]), per_sample_weights=per),
          pre_t(torch.tensor([[0, 3], [1, 1]]), per_sample_weights=torch.tensor(per.numpy())))
    same_error(lambda: nn.EmbeddingBag(3, 2, padding_idx=3), lambda: torch.nn.EmbeddingBag(3, 2, padding_idx=3))


# ------------------------------------------------------------------ SyncBatchNorm
@pytest.mark.parametrize("shape", [(4, 3), (4, 3, 5), (2, 3, 2, 2), (2, 3, 2, 2, 2)])
@pytest.mark.parametrize("kwargs", [{}, {"momentum": None}, {"affine": False, "track_running_stats": False}])
def test_sync_batchnorm_as_torch(shape, kwargs):
    torch.manual_seed(0)
    theirs = torch.nn.SyncBatchNorm(3, **kwargs).double()
    ours = nn.SyncBatchNorm(3, **kwargs).double()
    assert repr(ours) == repr(theirs)
    load_from_torch(ours, theirs)
    for training in (True, True, False):
        theirs.train(training)
        ours.train(training)
        x = torch.randn(*shape, dtype=torch.float64, requires_grad=True)
        xp = pb(x)
        expected, actual = theirs(x), ours(xp)
        close(actual, expected)
        g = torch.randn_like(expected)
        close(pullback.autograd.grad(actual, xp, pb(g))[0], torch.autograd.grad(expected, x, g)[0])
        for a, e in zip(ours.state_dict().values(), theirs.state_dict().values()):
            close(a, e)


def test_sync_batchnorm_errors_and_conversion():
    same_error(lambda: nn.SyncBatchNorm(3)(pullback.ones(3)), lambda: torch.nn.SyncBatchNorm(3)(torch.ones(3)))
    same_error(lambda: nn.SyncBatchNorm(0)(pullback.ones(2, 0)), lambda: torch.nn.SyncBatchNorm(0)(torch.ones(2, 0)))
    model = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3), nn.Sequential(nn.BatchNorm2d(3)))
    converted = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    assert [type(m).__name__ for m in converted.modules()] == ["Sequential", "Linear", "SyncBatchNorm",
                                                               "Sequential", "SyncBatchNorm"]
    assert converted[1].weight is model[1].weight


# ------------------------------------------------------------------ CTC loss
CTC = [
    ({"reduction": "none"}, [[1, 2, 2], [3, 1, 0], [2, 2, 2]], [8, 5, 6], [3, 2, 3]),
    ({"reduction": "sum", "blank": 2}, [[1, 0, 3], [3, 3, 1], [0, 1, 0]], [8, 8, 3], [3, 3, 1]),
    ({"reduction": "mean"}, [1, 2, 3, 3, 1], [8, 7, 2], [2, 3, 0]),
    ({"reduction": "none"}, [[1, 1, 1], [1, 2, 1], [3, 0, 0]], [3, 5, 0], [3, 2, 1]),      # infeasible: inf, NaN grads
    ({"reduction": "mean", "zero_infinity": True}, [[1, 1, 1], [1, 2, 1], [3, 0, 0]], [3, 5, 0], [3, 2, 0]),
    ({"reduction": "sum", "zero_infinity": True}, [[1, 1, 1], [1, 2, 1], [3, 0, 0]], [3, 5, 8], [3, 2, 1]),
]


@pytest.mark.parametrize("kwargs,targets,input_lengths,target_lengths", CTC, ids=[str(i) for i in range(len(CTC))])
def test_ctc_loss_as_torch(kwargs, targets, input_lengths, target_lengths):
    torch.manual_seed(0)
    for normalized in (True, False):
        x = torch.randn(8, 3, 4, dtype=torch.float64)
        lp = (x.log_softmax(2) if normalized else x).requires_grad_()
        args_t = (lp, torch.tensor(targets), torch.tensor(input_lengths), torch.tensor(target_lengths))
        lpp = pb(lp)
        args_p = (lpp, pullback.tensor(targets), pullback.tensor(input_lengths), pullback.tensor(target_lengths))
        expected = torch.nn.functional.ctc_loss(*args_t, **kwargs)
        actual = F.ctc_loss(*args_p, **kwargs)
        np.testing.assert_allclose(actual.detach().numpy(), expected.detach().numpy(), rtol=1e-10)
        g = torch.randn_like(expected)
        np.testing.assert_allclose(pullback.autograd.grad(actual, lpp, pb(g))[0].numpy(),
                                   torch.autograd.grad(expected, lp, g)[0].numpy(), rtol=1e-9, atol=1e-12)
        module, module_t = nn.CTCLoss(**kwargs), torch.nn.CTCLoss(**kwargs)
        np.testing.assert_allclose(module(*args_p).detach().numpy(), module_t(*args_t).detach().numpy(), rtol=1e-10)


def test_ctc_loss_gradient_by_finite_differences():
    """Through a log_softmax (the form of torch's gradient), the VJP is the derivative."""
    rng = np.random.default_rng(0)
    x = pullback.tensor(rng.standard_normal((5, 2, 3)), requires_grad=True)

    def f(v):
        return F.ctc_loss(v.log_softmax(2), pullback.tensor([[1, 2], [2, 0]]), [5, 4], [2, 1], reduction="sum")

    (g,) = pullback.autograd.grad(f(x), x)
    eps, numeric = 1e-6, np.zeros(x.shape)
    for i in np.ndindex(*x.shape):
        d = np.zeros(x.shape)
        d[i] = eps
        numeric[i] = (float(f(x.detach() + pullback.tensor(d))) - float(f(x.detach() - pullback.tensor(d)))) / (2 * eps)
    np.testing.assert_allclose(g.numpy(), numeric, atol=1e-7)


def test_ctc_loss_unbatched_float32_and_vmap():
    torch.manual_seed(0)
    lp = torch.randn(6, 5, dtype=torch.float32).log_softmax(1).requires_grad_()
    expected = torch.nn.functional.ctc_loss(lp, torch.tensor([1, 3]), torch.tensor(6), torch.tensor(2), reduction="none")
    lpp = pb(lp)
    actual = F.ctc_loss(lpp, pullback.tensor([1, 3]), pullback.tensor(6), pullback.tensor(2), reduction="none")
    assert actual.dtype is pullback.float32 and tuple(actual.shape) == ()
    np.testing.assert_allclose(actual.detach().numpy(), expected.detach().numpy(), rtol=1e-6)
    batch = pullback.randn(4, 6, 2, 5, dtype=pullback.float64).log_softmax(-1)
    targets = pullback.tensor([[1, 3], [2, 0]])

    def loss(v):
        return F.ctc_loss(v, targets, [6, 4], [2, 1], reduction="sum")

    got = pullback.func.vmap(loss)(batch)
    np.testing.assert_allclose(got.numpy(), [float(loss(b)) for b in batch], rtol=1e-12)
    grads = pullback.func.vmap(pullback.func.grad(loss))(batch)
    for b, gb in zip(batch, grads):
        np.testing.assert_allclose(gb.numpy(), pullback.func.grad(loss)(b).numpy(), rtol=1e-12)


def test_ctc_loss_errors_as_torch():
    lp = torch.randn(6, 2, 4).log_softmax(2)
    tg, tl = torch.tensor([[1, 2, 1], [1, 2, 1]]), torch.tensor([3, 2])
    cases = [((lp, tg, torch.tensor([7, 6]), tl), {}), ((lp, tg, torch.tensor([6, 6]), torch.tensor([4, 2])), {}),
             ((lp, tg, torch.tensor([6]), tl), {}), ((lp, tg, torch.tensor([6, 6]), tl), {"blank": 4}),
             ((lp, tg, torch.tensor([6, 6]), tl), {"blank": -1}), ((lp.double().long(), tg, torch.tensor([6, 6]), tl), {}),
             ((lp, tg, torch.tensor([6, 6]), tl), {"reduction": "foo"}),
             ((lp, tg.reshape(-1)[:4], torch.tensor([6, 6]), tl), {}),
             ((lp, tg, torch.tensor([6, 6]), torch.tensor([-1, 2])), {}), ((lp, tg, torch.tensor([-1, 6]), tl), {}),
             ((lp, tg, torch.tensor([6., 6]), tl), {}), ((lp[0], tg, torch.tensor([6, 6]), tl), {})]
    for args, kw in cases:
        same_error(lambda: F.ctc_loss(*[pullback.tensor(a.numpy()) for a in args], **kw),
                   lambda: torch.nn.functional.ctc_loss(*args, **kw))
    # No second derivative, in either library.
    lpt = lp.clone().requires_grad_()
    lpp = pb(lpt)
    (gt,) = torch.autograd.grad(torch.nn.functional.ctc_loss(lpt, tg, [6, 6], [3, 2]), lpt, create_graph=True)
    (gp,) = pullback.autograd.grad(F.ctc_loss(lpp, pullback.tensor(tg.numpy()), [6, 6], [3, 2]), lpp, create_graph=True)
    same_error(lambda: pullback.autograd.grad(gp.sum(), lpp), lambda: torch.autograd.grad(gt.sum(), lpt))
    assert repr(nn.CTCLoss(blank=1, zero_infinity=True)) == repr(torch.nn.CTCLoss(blank=1, zero_infinity=True))
