"""Every module and loss: finite differences in float64 (second order for activations and
losses), and the same outputs and gradients as torch.nn with the same weights (float64, float32)."""
import numpy as np
import pytest

import pullback
import pullback.nn as nn
from nn_db import MODULES, inputs_for
from _harness import rng_for, directional_fd, inner

try:
    import torch
except ImportError:
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed")
IDS = [m.name for m in MODULES]


def _build(info, dtype):
    pullback.manual_seed(0)
    module = info.make(nn).to(dtype)
    if info.train:
        module.train()
    return module


def _forward(module, info, m, xs, seed):
    extra = info.targets(m, np.random.default_rng(seed)) if info.targets else []
    extra = [e.to(xs[0].dtype) if e.is_floating_point() else e for e in extra]
    return module(*xs, *extra)


FD_MODULES = [m for m in MODULES if m.finite_differences]


@pytest.mark.parametrize("info", FD_MODULES, ids=[m.name for m in FD_MODULES])
def test_module_gradients_match_finite_differences(info):
    rng = rng_for(info.name)
    module = _build(info, pullback.float64)
    arrays = inputs_for(info, rng)
    params = [p for p in module.parameters()]

    def value(arrs, param_arrays=None):
        with pullback.no_grad():
            saved = [p.detach().clone() for p in params]
            if param_arrays is not None:
                for p, a in zip(params, param_arrays):
                    p.copy_(pullback.tensor(a))
            out = _forward(module, info, pullback, [pullback.tensor(a) for a in arrs], 1)
            for p, s in zip(params, saved):
                p.copy_(s)
        return float((out.numpy() * v).sum())

    xs = [pullback.tensor(a, requires_grad=True) for a in arrays]
    out = _forward(module, info, pullback, xs, 1)
    v = rng.standard_normal(tuple(out.shape))
    grads = pullback.autograd.grad(out, xs + params, pullback.tensor(v), allow_unused=True)
    dirs = [rng.standard_normal(a.shape) for a in arrays]
    pdirs = [rng.standard_normal(tuple(p.shape)) for p in params]
    analytic = inner(grads, dirs + pdirs)
    base = [p.detach().numpy().copy() for p in params]
    eps = 1e-6
    plus = value([a + eps * d for a, d in zip(arrays, dirs)], [b + eps * d for b, d in zip(base, pdirs)])
    minus = value([a - eps * d for a, d in zip(arrays, dirs)], [b - eps * d for b, d in zip(base, pdirs)])
    assert analytic == pytest.approx((plus - minus) / (2 * eps), rel=1e-5, abs=1e-6)


@pytest.mark.parametrize("info", [m for m in MODULES if m.second_order], ids=[m.name for m in MODULES if m.second_order])
def test_module_second_order_matches_finite_differences(info):
    rng = rng_for(info.name + "2")
    module = _build(info, pullback.float64)
    arrays = inputs_for(info, rng)
    with pullback.no_grad():
        shape = tuple(_forward(module, info, pullback, [pullback.tensor(a) for a in arrays], 1).shape)
    v = rng.standard_normal(shape)
    w = rng.standard_normal(arrays[0].shape)

    def weighted_gradient(arrs):
        x = pullback.tensor(arrs[0], requires_grad=True)
        out = _forward(module, info, pullback, [x] + [pullback.tensor(a) for a in arrs[1:]], 1)
        (g,) = pullback.autograd.grad(out, x, pullback.tensor(v))
        return float((g.numpy() * w).sum())

    x = pullback.tensor(arrays[0], requires_grad=True)
    out = _forward(module, info, pullback, [x] + [pullback.tensor(a) for a in arrays[1:]], 1)
    (g,) = pullback.autograd.grad(out, x, pullback.tensor(v), create_graph=True)
    d = rng.standard_normal(arrays[0].shape)
    if g.requires_grad:
        (h,) = pullback.autograd.grad((g * pullback.tensor(w)).sum(), x, allow_unused=True)
        analytic = 0.0 if h is None else float((h.numpy() * d).sum())
    else:
        analytic = 0.0
    numeric = directional_fd(weighted_gradient, arrays, [d] + [np.zeros_like(a) for a in arrays[1:]])
    assert analytic == pytest.approx(numeric, rel=1e-5, abs=1e-5)


def _torch_twin(module, info, dtype):
    twin = info.make(torch.nn).to(dtype)
    if not info.train:
        twin.eval() if not module.training else twin.train()
    state = {k: torch.tensor(v.numpy()) for k, v in module.state_dict().items()}
    twin.load_state_dict(state)
    return twin


@needs_torch
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("info", MODULES, ids=IDS)
def test_module_matches_torch(info, dtype):
    rng = rng_for(info.name + "torch")
    module = _build(info, getattr(pullback, dtype))
    twin = _torch_twin(module, info, getattr(torch, dtype))
    arrays = [a.astype(dtype) for a in inputs_for(info, rng)]
    xs = [pullback.tensor(a, requires_grad=True) for a in arrays]
    txs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out = _forward(module, info, pullback, xs, 1)
    tout = _forward(twin, info, torch, txs, 1)
    tol = dict(rtol=1e-9, atol=1e-10) if dtype == "float64" else dict(rtol=2e-5, atol=2e-5)
    assert out.dtype.name == dtype and tuple(out.shape) == tuple(tout.shape)
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), **tol)
    v = rng.standard_normal(tuple(out.shape)).astype(dtype)
    out.backward(pullback.tensor(v))
    tout.backward(torch.tensor(v))
    for x, tx in zip(xs, txs):
        np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), **tol)
    for (name, p), (tname, tp) in zip(module.named_parameters(), twin.named_parameters()):
        assert name == tname
        np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), **tol)
    for (name, b), (_, tb) in zip(module.named_buffers(), twin.named_buffers()):
        np.testing.assert_allclose(b.numpy(), tb.numpy(), **tol)
    assert repr(module).replace("pullback.", "torch.") == repr(twin)


PADDINGS = ["ConstantPad1d(2, 3.5)", "ConstantPad2d((1, 2, 3, 4), 1.0)", "ConstantPad3d(1, -2.0)", "ZeroPad1d((1, 2))",
            "ZeroPad2d(2)", "ZeroPad3d((1, 0, 2, 1, 0, 1))", "ReflectionPad1d(2)", "ReflectionPad2d((1, 2, 2, 1))",
            "ReflectionPad3d(1)", "ReplicationPad1d((3, 1))", "ReplicationPad2d(1)", "ReplicationPad3d((1, 2, 0, 1, 2, 0))",
            "CircularPad1d(1)", "CircularPad2d((1, 2, 2, 1))", "CircularPad3d(1)"]


@pytest.mark.parametrize("spec", PADDINGS)
def test_padding_modules_print_and_pad_as_torchs(spec):
    torch = pytest.importorskip("torch")
    ours, theirs = eval("nn." + spec), eval("torch.nn." + spec)
    assert repr(ours) == repr(theirs)
    n = int(spec.split("Pad")[1][0])
    x = np.random.default_rng(0).normal(size=(2, 3, 4, 5, 6)[-(n + 2):])
    xp = pullback.tensor(x, requires_grad=True)
    xt = torch.tensor(x, requires_grad=True)
    yp, yt = ours(xp), theirs(xt)
    np.testing.assert_array_equal(yp.detach().numpy(), yt.detach().numpy())
    g = np.random.default_rng(1).normal(size=tuple(yt.shape))
    yp.backward(pullback.tensor(g))
    yt.backward(torch.tensor(g))
    np.testing.assert_allclose(xp.grad.numpy(), xt.grad.numpy(), rtol=1e-12)
