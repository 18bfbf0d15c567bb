"""The special family against torch: values and dtypes on every input dtype, 0-dim and empty
inputs, in-place and method forms, errors, and gradients to second order (the op table checks
first and second order by finite differences; here torch's own gradients are the reference)."""
import numpy as np
import pytest

import pullback

torch = pytest.importorskip("torch")


def _pair(values, dtype="float64", requires_grad=False):
    a = np.asarray(values)
    t = torch.tensor(a).to(getattr(torch, dtype))
    p = pullback.tensor(a).to(getattr(pullback, dtype))
    if requires_grad:
        t.requires_grad_(True)
        p.requires_grad_(True)
    return p, t


def _same(p, t, rtol=None, atol=None):
    assert str(p.dtype) == str(t.dtype).replace("torch", "pullback"), (p.dtype, t.dtype)
    assert tuple(p.shape) == tuple(t.shape)
    torch.testing.assert_close(torch.from_numpy(np.array(p.detach().numpy())), t.detach(),
                               rtol=rtol, atol=atol, equal_nan=True)


def _resolve(module, name):
    for part in name.split("."):
        module = getattr(module, part)
    return module


UNARY = {  # name: sample values inside the domain
    "erf": [-2.0, -0.3, 0.0, 0.7, 3.0], "special.erf": [-1.0, 0.5], "erfc": [-2.0, 0.0, 0.7, 5.0],
    "special.erfc": [0.3, 1.0], "erfinv": [-0.99, -0.3, 0.0, 0.5, 0.9], "special.erfinv": [0.25],
    "special.erfcx": [-2.0, 0.0, 0.7, 30.0], "special.ndtr": [-3.0, 0.0, 1.5],
    "special.ndtri": [0.01, 0.5, 0.975], "special.log_ndtr": [-30.0, -2.0, 0.0, 4.0],
}


@pytest.mark.parametrize("name", sorted(UNARY))
@pytest.mark.parametrize("dtype", ["float64", "float32", "int64", "bool"])
def test_unary_values_and_dtypes(name, dtype):
    values = UNARY[name] if dtype.startswith("float") else [0, 1]
    p, t = _pair(values, dtype)
    _same(_resolve(pullback, name)(p), _resolve(torch, name)(t))


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_zero_dim_and_empty(name):
    for values in (UNARY[name][0], np.zeros((0, 3))):
        p, t = _pair(values)
        _same(_resolve(pullback, name)(p), _resolve(torch, name)(t))


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_second_order_gradients(name):
    p, t = _pair(UNARY[name][1:], requires_grad=True)
    results = []
    for m, x in ((pullback, p), (torch, t)):
        y = _resolve(m, name)(x)
        (g,) = m.autograd.grad(y.sum(), x, create_graph=True)
        (gg,) = m.autograd.grad((g * g).sum(), x)
        results.append((y.grad_fn.name(), g, gg))
    assert results[0][0] == results[1][0]
    _same(results[0][1], results[1][1])
    _same(results[0][2], results[1][2])


@pytest.mark.parametrize("name", ["special.erfcx", "special.ndtri", "special.log_ndtr"])
def test_half_is_refused_as_torch_does(name):
    t_err = pytest.raises(NotImplementedError, _resolve(torch, name), torch.zeros(2, dtype=torch.float16))
    with pytest.raises(NotImplementedError) as p_err:
        _resolve(pullback, name)(pullback.zeros(2, dtype=pullback.float16))
    assert str(p_err.value) == str(t_err.value)


@pytest.mark.parametrize("name", ["erf", "erfc", "erfinv"])
def test_unary_method_inplace_and_out(name):
    p, t = _pair([0.1, -0.4, 0.8])
    _same(getattr(p, name)(), getattr(t, name)())
    p2, t2 = p.clone(), t.clone()
    assert getattr(p2, name + "_")() is p2
    getattr(t2, name + "_")()
    _same(p2, t2)
    out_p, out_t = pullback.empty(3, dtype=pullback.float64), torch.empty(3, dtype=torch.float64)
    getattr(pullback, name)(p, out=out_p)
    getattr(torch, name)(t, out=out_t)
    _same(out_p, out_t)
    with pytest.raises(RuntimeError) as p_err:  # an integer tensor cannot hold the float result
        getattr(pullback.tensor([1, 2]), name + "_")()
    with pytest.raises(RuntimeError) as t_err:
        getattr(torch.tensor([1, 2]), name + "_")()
    assert str(p_err.value) == str(t_err.value)


def test_not_a_tensor_is_refused_as_torch_does():
    for name in ("erfc", "special.ndtr"):
        with pytest.raises(TypeError) as p_err:
            _resolve(pullback, name)([0.5])
        with pytest.raises(TypeError) as t_err:
            _resolve(torch, name)([0.5])
        assert str(p_err.value) == str(t_err.value)


def test_erf_keeps_float32_and_float16():
    x = np.linspace(-3, 3, 11)
    for dtype in ("float32", "float16"):
        p, t = _pair(x, dtype)
        _same(pullback.erf(p), torch.erf(t))


def test_gelu_is_exact_with_scipy_erf():
    x = np.random.default_rng(0).standard_normal((64, 32)).astype(np.float32)
    p = pullback.tensor(x, requires_grad=True)
    t = torch.tensor(x, requires_grad=True)
    yp, yt = pullback.nn.functional.gelu(p), torch.nn.functional.gelu(t)
    _same(yp, yt)
    yp.sum().backward()
    yt.sum().backward()
    _same(p.grad, t.grad)
