"""torch.func transforms and vmap: values against torch.func (and closed forms), composition,
per-sample gradients, chunking, randomness and vmap's error texts."""
import numpy as np
import pytest

import pullback
import pullback.nn as nn
from pullback import func
from pullback.autograd import functional as AF

try:
    import torch
    import torch.func as tfunc
except ImportError:
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed")


def f_vec(m, x):
    return m.stack([x[0] * x[1] + x[2], m.sin(x[0]) + x[1] ** 2, (x ** 3).sum()])


def f_scalar(m, x):
    return (m.tanh(x) ** 2).sum() * x[0]


X = np.array([0.3, -0.7, 1.1])


def _np(t):
    if isinstance(t, tuple):
        return [_np(i) for i in t]
    return t.detach().numpy()


@needs_torch
@pytest.mark.parametrize("name", ["grad", "jacrev", "jacfwd", "hessian", "hessian_rev_rev", "grad_grad", "vjp", "jvp",
                                  "vmap_grad", "vmap_jacrev", "grad_vmap", "vmap_vmap", "grad_and_value_aux",
                                  "argnums_tuple"])
def test_transforms_match_torch_func(name):
    def run(m, F):
        x = m.tensor(X, dtype=m.float64)
        batch = m.tensor(np.stack([X, X * 2, -X]), dtype=m.float64)
        if name == "grad":
            return F.grad(lambda a: f_scalar(m, a))(x)
        if name == "jacrev":
            return F.jacrev(lambda a: f_vec(m, a))(x)
        if name == "jacfwd":
            return F.jacfwd(lambda a: f_vec(m, a))(x)
        if name == "hessian":
            return F.hessian(lambda a: f_scalar(m, a))(x)
        if name == "hessian_rev_rev":
            return F.jacrev(F.jacrev(lambda a: f_scalar(m, a)))(x)
        if name == "grad_grad":
            return F.grad(lambda a: F.grad(lambda b: f_scalar(m, b))(a).sum())(x)
        if name == "vjp":
            out, fn = F.vjp(lambda a: f_vec(m, a), x)
            return (out, fn(m.tensor([1.0, -2.0, 0.5], dtype=m.float64))[0])
        if name == "jvp":
            return F.jvp(lambda a: f_vec(m, a), (x,), (m.tensor([1.0, 0.5, -1.0], dtype=m.float64),))
        if name == "vmap_grad":
            return F.vmap(F.grad(lambda a: f_scalar(m, a)))(batch)
        if name == "vmap_jacrev":
            return F.vmap(F.jacrev(lambda a: f_vec(m, a)))(batch)
        if name == "grad_vmap":
            return F.grad(lambda b: F.vmap(lambda a: f_scalar(m, a))(b).sum())(batch)
        if name == "vmap_vmap":
            return F.vmap(F.vmap(lambda a: m.sin(a) * a.sum()))(batch.reshape(3, 1, 3).expand(3, 2, 3))
        if name == "grad_and_value_aux":
            g, (v, aux) = F.grad_and_value(lambda a: (f_scalar(m, a), a * 2), has_aux=True)(x)
            return (g, v, aux)
        if name == "argnums_tuple":
            return F.grad(lambda a, b: (a * b).sin().sum(), argnums=(0, 1))(x, x * 3)
    ours, theirs = run(pullback, func), run(torch, tfunc)
    for a, b in zip(np.atleast_1d(np.array(_np(ours), dtype=object)).ravel() if isinstance(ours, tuple) else [_np(ours)],
                    np.atleast_1d(np.array(_np(theirs), dtype=object)).ravel() if isinstance(theirs, tuple) else [_np(theirs)]):
        np.testing.assert_allclose(np.asarray(a, dtype=float), np.asarray(b, dtype=float), rtol=1e-10, atol=1e-12)


def test_closed_forms_without_torch():
    x = pullback.tensor(X, dtype=pullback.float64)
    J = func.jacrev(lambda a: f_vec(pullback, a))(x)
    expected = np.array([[X[1], X[0], 1.0], [np.cos(X[0]), 2 * X[1], 0.0], 3 * X ** 2])
    np.testing.assert_allclose(J.numpy(), expected)
    np.testing.assert_allclose(func.jacfwd(lambda a: f_vec(pullback, a))(x).numpy(), expected)
    H = func.hessian(lambda a: (a ** 3).sum())(x)
    np.testing.assert_allclose(H.numpy(), np.diag(6 * X))
    assert not J.requires_grad and J.grad_fn is None


def test_per_sample_gradients_with_functional_call():
    pullback.manual_seed(0)
    model = nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 3)).double()
    params = {k: v.detach() for k, v in model.named_parameters()}
    x = pullback.randn(6, 5, dtype=pullback.float64)
    y = pullback.randint(0, 3, (6,))

    def loss(p, xi, yi):
        out = func.functional_call(model, p, (xi.unsqueeze(0),))
        return nn.functional.cross_entropy(out, yi.unsqueeze(0))

    grads = func.vmap(func.grad(loss), in_dims=(None, 0, 0))(params, x, y)
    for i in range(6):
        model.zero_grad()
        nn.functional.cross_entropy(model(x[i:i + 1]), y[i:i + 1]).backward()
        for name, p in model.named_parameters():
            np.testing.assert_allclose(grads[name][i].numpy(), p.grad.numpy(), rtol=1e-10, atol=1e-12)
    assert all(p.grad is not None for p in model.parameters())  # only the loop touched .grad


def test_vmap_structures_dims_and_chunks():
    a = pullback.randn(4, 3)
    b = pullback.randn(3, 4)
    out = func.vmap(lambda d: {"s": d["x"] + d["y"], "p": (d["x"] * 2,)}, in_dims=({"x": 0, "y": 1},))({"x": a, "y": b})
    np.testing.assert_allclose(out["s"].numpy(), (a + b.T).numpy())
    np.testing.assert_allclose(out["p"][0].numpy(), (a * 2).numpy())
    moved = func.vmap(lambda r: r * 2, out_dims=1)(a)
    assert moved.shape == (3, 4)
    f = lambda r: pullback.softmax(r, 0) * r.sum()  # noqa: E731
    np.testing.assert_allclose(func.vmap(f, chunk_size=3)(a).numpy(), func.vmap(f)(a).numpy())
    assert func.vmap(lambda r: r.sum())(pullback.zeros(0, 3)).shape == (0,)
    assert func.vmap(lambda r: pullback.ones(2))(a).shape == (4, 2)   # unbatched outputs are broadcast


def test_vmap_errors():
    a = pullback.randn(4, 3)
    with pytest.raises(RuntimeError, match=r"vmap: It looks like you're calling \.item\(\) on a Tensor"):
        func.vmap(lambda r: r.sum().item())(a)
    with pytest.raises(RuntimeError, match="vmap: It looks like you're attempting to use a Tensor in some data-dependent"):
        func.vmap(lambda r: r if r.sum() > 0 else -r)(a)
    with pytest.raises(ValueError, match=r"vmap: Expected all tensors to have the same size in the mapped dimension, "
                                         r"got sizes \[4, 3\] for the mapped dimension"):
        func.vmap(lambda r, s: r + s)(a, pullback.randn(3, 3))
    with pytest.raises(ValueError, match="vmap: Expected at least one Tensor to vmap over"):
        func.vmap(lambda r: r, in_dims=(None,))(a)
    with pytest.raises(RuntimeError, match="vmap: called random operation while in randomness error mode"):
        func.vmap(lambda r: r + pullback.randn(3))(a)
    same = func.vmap(lambda r: pullback.randn(3) + r * 0, randomness="same")(a)
    assert np.allclose(same.numpy(), same.numpy()[0])
    different = func.vmap(lambda r: pullback.randn(3) + r * 0, randomness="different")(a)
    assert not np.allclose(different.numpy(), different.numpy()[0])


def test_grad_errors():
    with pytest.raises(RuntimeError, match="Expected f\\(\\*args\\) to return a scalar Tensor, got tensor with 1 dims"):
        func.grad(lambda a: a * 2)(pullback.ones(2))


def test_vectorized_jacobian_and_strategies():
    x = pullback.tensor(X, dtype=pullback.float64)
    ref = AF.jacobian(lambda a: f_vec(pullback, a), x)
    for kwargs in [dict(vectorize=True), dict(strategy="forward-mode", vectorize=True), dict(strategy="auto"),
                   dict(strategy="forward-mode")]:
        np.testing.assert_allclose(AF.jacobian(lambda a: f_vec(pullback, a), x, **kwargs).numpy(), ref.numpy())
    wide = pullback.randn(10, dtype=pullback.float64)
    assert AF._auto_strategy((pullback.ones(2),), (wide,)) == "forward-mode"
    assert AF._auto_strategy((wide,), (pullback.ones(2),)) == "reverse-mode"


def test_stack_module_state_and_vmap_over_models():
    pullback.manual_seed(0)
    models = [nn.Linear(3, 2) for _ in range(4)]
    params, buffers = func.stack_module_state(models)
    assert params["weight"].shape == (4, 2, 3)
    x = pullback.randn(5, 3)
    out = func.vmap(lambda p, b: func.functional_call(models[0], (p, b), (x,)))(params, buffers)
    for i, m in enumerate(models):
        np.testing.assert_allclose(out[i].detach().numpy(), m(x).detach().numpy(), rtol=1e-6)


def test_inplace_under_vmap():
    a = pullback.randn(4, 3)

    def f(r):
        out = r * 1
        out.add_(r)
        out[0] = 5.0
        return out
    expected = a * 2
    expected[:, 0] = 5.0
    np.testing.assert_allclose(func.vmap(f)(a).numpy(), expected.numpy())
    with pytest.raises(RuntimeError, match="vmap: inplace arithmetic"):
        func.vmap(lambda r: pullback.zeros(3).add_(r))(a)
    assert pullback.vmap is func.vmap
    assert func.vmap(lambda r: r * 2)(pullback.ones(1, 2)).shape == (1, 2)   # batch size 1


def test_hessian_options_agree():
    x = pullback.tensor(X, dtype=pullback.float64)
    f = lambda a: (a ** 3).sum() * a[0]  # noqa: E731
    ref = AF.hessian(f, x)
    for kwargs in [dict(vectorize=True), dict(vectorize=True, outer_jacobian_strategy="forward-mode")]:
        np.testing.assert_allclose(AF.hessian(f, x, **kwargs).numpy(), ref.numpy())


def test_jacobians_with_aux():
    x = pullback.tensor(X, dtype=pullback.float64)
    J, aux = func.jacfwd(lambda a: (pullback.sin(a), a.sum()), has_aux=True)(x)
    J2, aux2 = func.jacrev(lambda a: (pullback.sin(a), a.sum()), has_aux=True)(x)
    np.testing.assert_allclose(J.numpy(), np.diag(np.cos(X)))
    np.testing.assert_allclose(J2.numpy(), np.diag(np.cos(X)))
    assert aux.item() == pytest.approx(X.sum()) and aux2.item() == pytest.approx(X.sum())
