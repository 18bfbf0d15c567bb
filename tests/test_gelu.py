"""Exact GELU (``F.gelu``, ``nn.GELU``): the float32 kernel against the float64 exact values and
torch on a dense grid and at the special values, the slope it keeps for the backward, float16 and
float64, the names of the backward nodes, and derivatives to third order two ways (float64 finite
differences and torch), in reverse mode, forward mode and under vmap."""
import numpy as np
import pytest
import scipy.special as sp

import pullback
import pullback.nn.functional as F

torch = pytest.importorskip("torch")

GRID = np.linspace(-9, 9, 200_001).astype(np.float32)
SPECIAL = np.array([-np.inf, np.inf, np.nan, -0.0, 0.0, 1e-30, -1e-30, 1e-45, -50.0, 50.0, 3e38, -3e38,
                    5.5, -5.5, 10.0, -10.0, 13.5, -13.5], np.float32)


def _exact(x):
    x = x.astype(np.float64)
    cdf = sp.ndtr(x)
    return x * cdf, cdf + x * np.exp(-x * x / 2) / np.sqrt(2 * np.pi)


def _pullback_value_and_grad(x, dtype="float32"):
    p = pullback.tensor(x).to(getattr(pullback, dtype)).requires_grad_()
    y = F.gelu(p)
    y.sum().backward()
    return y.detach().numpy(), p.grad.numpy()


def _torch_value_and_grad(x, dtype="float32"):
    t = torch.tensor(x).to(getattr(torch, dtype)).requires_grad_()
    y = torch.nn.functional.gelu(t)
    y.sum().backward()
    return y.detach().numpy(), t.grad.numpy()


def test_float32_values_and_slope_are_within_a_few_ulp_of_exact():
    out, slope = _pullback_value_and_grad(GRID)
    exact_out, exact_slope = _exact(GRID)
    # Phi within 2e-7 absolutely (a few float32 ulp of 1), so x Phi(x) within 2e-7 |x|
    assert np.all(np.abs(out - exact_out) <= 2e-7 * np.maximum(np.abs(GRID), 1) + 1e-30)
    assert np.abs(slope - exact_slope).max() <= 2.5e-7
    assert out.dtype == slope.dtype == np.float32


def test_float32_agrees_with_torch_on_a_grid():
    out, slope = _pullback_value_and_grad(GRID)
    t_out, t_slope = _torch_value_and_grad(GRID)
    np.testing.assert_allclose(out, t_out, rtol=1.3e-6, atol=1e-6)
    np.testing.assert_allclose(slope, t_slope, rtol=1.3e-6, atol=1e-6)


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
def test_special_values_as_torch(dtype):
    x = SPECIAL.astype(np.float64) if dtype == "float64" else SPECIAL
    out, slope = _pullback_value_and_grad(x, dtype)
    t_out, t_slope = _torch_value_and_grad(x, dtype)
    assert out.dtype == t_out.dtype and slope.dtype == t_slope.dtype
    tol = dict(rtol=1e-3, atol=1e-3) if dtype == "float16" else dict(rtol=1.3e-6, atol=1e-6)
    np.testing.assert_allclose(out, t_out, equal_nan=True, **tol)
    np.testing.assert_allclose(slope, t_slope, equal_nan=True, **tol)   # (nan at +-inf, as torch's)


def test_float16_and_float64_agree_with_torch():
    x = np.random.default_rng(1).standard_normal(4096) * 4
    out, slope = _pullback_value_and_grad(x, "float64")
    t_out, t_slope = _torch_value_and_grad(x, "float64")
    np.testing.assert_allclose(out, t_out, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(slope, t_slope, rtol=1e-13, atol=1e-15)
    out, slope = _pullback_value_and_grad(x.astype(np.float16), "float16")
    t_out, t_slope = _torch_value_and_grad(x.astype(np.float16), "float16")
    np.testing.assert_allclose(out.astype(np.float64), t_out, rtol=2e-3, atol=1e-3)
    np.testing.assert_allclose(slope.astype(np.float64), t_slope, rtol=2e-3, atol=1e-3)


@pytest.mark.parametrize("shape", [(), (0,), (3, 0, 2), (1,), (2, 3, 4)])
def test_shapes_including_0_dim_and_empty(shape):
    x = np.random.default_rng(2).standard_normal(shape).astype(np.float32)
    out, slope = _pullback_value_and_grad(x)
    t_out, t_slope = _torch_value_and_grad(x)
    assert out.shape == t_out.shape == shape and slope.shape == shape
    np.testing.assert_allclose(out, t_out, rtol=1.3e-6, atol=1e-6)
    np.testing.assert_allclose(slope, t_slope, rtol=1.3e-6, atol=1e-6)


def test_non_contiguous_input():
    x = np.random.default_rng(3).standard_normal((6, 8)).astype(np.float32)
    p = pullback.tensor(x).t()[::2]
    t = torch.tensor(x).t()[::2]
    np.testing.assert_allclose(F.gelu(p).numpy(), torch.nn.functional.gelu(t).numpy(), rtol=1.3e-6, atol=1e-6)


def test_backward_node_names_as_torch():
    x = pullback.tensor([0.3, -1.2], dtype=pullback.float64, requires_grad=True)
    y = F.gelu(x)
    (g,) = pullback.autograd.grad(y.sum(), x, create_graph=True)
    assert y.grad_fn.name() == "GeluBackward0"
    assert g.grad_fn.name() == "GeluBackwardBackward0"


def _nth_derivative(m, x, order, v):
    """The order-th derivative of sum(v * gelu(x)) as a vector, by repeated grad with create_graph."""
    y = (m.nn.functional.gelu(x) * v).sum()
    for k in range(order):
        (y,) = m.autograd.grad(y, x, create_graph=True)
        if k < order - 1:
            y = y.sum()
    return y


@pytest.mark.parametrize("order", [1, 2, 3])
def test_derivatives_to_third_order_match_torch_and_finite_differences(order):
    x0 = np.array([-4.0, -1.3, -0.2, 0.0, 0.4, 1.7, 3.5])
    v = np.linspace(0.5, 2.0, x0.size)
    p = pullback.tensor(x0, requires_grad=True)
    t = torch.tensor(x0, requires_grad=True)
    ours = _nth_derivative(pullback, p, order, pullback.tensor(v)).detach().numpy()
    theirs = _nth_derivative(torch, t, order, torch.tensor(v)).detach().numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-14)
    # central differences of the (order - 1)-th derivative, computed from the exact float64 formulas
    h = 1e-5
    exact = {0: lambda z: v * _exact(z)[0], 1: lambda z: v * _exact(z)[1],
             2: lambda z: v * np.exp(-z * z / 2) / np.sqrt(2 * np.pi) * (2 - z * z)}[order - 1]
    fd = (exact(x0 + h) - exact(x0 - h)) / (2 * h)
    np.testing.assert_allclose(ours, fd, rtol=1e-7, atol=1e-8)


def test_gradcheck_and_gradgradcheck():
    x = pullback.tensor(np.random.default_rng(4).standard_normal(6), requires_grad=True)
    assert pullback.autograd.gradcheck(F.gelu, (x,))
    assert pullback.autograd.gradgradcheck(F.gelu, (x,))


def test_forward_mode_and_vmap_match_torch():
    x0 = np.random.default_rng(5).standard_normal((3, 4))
    tangent = np.random.default_rng(6).standard_normal((3, 4))
    _, jp = pullback.func.jvp(F.gelu, (pullback.tensor(x0),), (pullback.tensor(tangent),))
    _, jt = torch.func.jvp(torch.nn.functional.gelu, (torch.tensor(x0),), (torch.tensor(tangent),))
    np.testing.assert_allclose(jp.numpy(), jt.numpy(), rtol=1e-12)
    # a second-order forward-over-reverse product, and the per-row gradient under vmap
    hvp_p = pullback.func.jvp(pullback.func.grad(lambda z: F.gelu(z).sum()), (pullback.tensor(x0),),
                              (pullback.tensor(tangent),))[1]
    hvp_t = torch.func.jvp(torch.func.grad(lambda z: torch.nn.functional.gelu(z).sum()), (torch.tensor(x0),),
                           (torch.tensor(tangent),))[1]
    np.testing.assert_allclose(hvp_p.numpy(), hvp_t.numpy(), rtol=1e-12, atol=1e-14)
    per_row_p = pullback.func.vmap(pullback.func.grad(lambda r: F.gelu(r).sum()))(pullback.tensor(x0))
    per_row_t = torch.func.vmap(torch.func.grad(lambda r: torch.nn.functional.gelu(r).sum()))(torch.tensor(x0))
    np.testing.assert_allclose(per_row_p.numpy(), per_row_t.numpy(), rtol=1e-12)


def test_backward_with_a_non_uniform_cotangent_and_retained_graph():
    x0 = np.random.default_rng(7).standard_normal(50).astype(np.float32)
    v = np.random.default_rng(8).standard_normal(50).astype(np.float32)
    p = pullback.tensor(x0, requires_grad=True)
    t = torch.tensor(x0, requires_grad=True)
    yp, yt = F.gelu(p), torch.nn.functional.gelu(t)
    for _ in range(2):   # the saved slope must survive the first backward's buffers
        yp.backward(pullback.tensor(v), retain_graph=True)
        yt.backward(torch.tensor(v), retain_graph=True)
    np.testing.assert_allclose(p.grad.numpy(), t.grad.numpy(), rtol=1.3e-6, atol=1e-6)
