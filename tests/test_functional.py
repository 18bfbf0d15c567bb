"""autograd.functional against torch.autograd.functional: values and output structure, and
against closed forms where torch is absent."""
import numpy as np
import pytest

import pullback
from pullback.autograd import functional as AF

try:
    import torch
except ImportError:
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed")


def f_seed(m, x):
    return m.stack([x[0] * x[1] + x[2], m.sin(x[0]) + x[1] ** 2])


def test_seed_jacobian_closed_form():
    J = AF.jacobian(lambda x: f_seed(pullback, x), pullback.tensor([1.0, 2.0, 3.0]))
    expected = [[2.0, 1.0, 1.0], [np.cos(1.0), 4.0, 0.0]]
    assert J.shape == (2, 3) and np.allclose(J.numpy(), expected)
    assert not J.requires_grad


def _structure(x):
    if isinstance(x, tuple):
        return tuple(_structure(i) for i in x)
    return tuple(x.shape)


def _flat(x):
    if isinstance(x, tuple):
        return [a for i in x for a in _flat(i)]
    return [x.detach().numpy()]


CASES = [
    ("jacobian", lambda m: (lambda x: f_seed(m, x)), lambda m: m.tensor([1.0, 2.0, 3.0], dtype=m.float64), {}),
    ("jacobian", lambda m: (lambda a, b: (a * b, (a + b).sum())),
     lambda m: (m.tensor([1.0, 2.0], dtype=m.float64), m.tensor([3.0, 4.0], dtype=m.float64)), {}),
    ("jacobian", lambda m: (lambda a: a.reshape(2, 2) @ a.reshape(2, 2)),
     lambda m: m.tensor([1.0, 2.0, 3.0, 4.0], dtype=m.float64), {}),
    ("hessian", lambda m: (lambda x: (x ** 3).sum() + x[0] * x[1]),
     lambda m: m.tensor([1.0, 2.0, 3.0], dtype=m.float64), {}),
    ("hessian", lambda m: (lambda a, b: (a * a * b).sum()),
     lambda m: (m.tensor([1.0, 2.0], dtype=m.float64), m.tensor([3.0, 4.0], dtype=m.float64)), {}),
]


@needs_torch
@pytest.mark.parametrize("name,make_f,make_x,kwargs", CASES)
def test_structure_and_values_match_torch(name, make_f, make_x, kwargs):
    ours = getattr(AF, name)(make_f(pullback), make_x(pullback), **kwargs)
    theirs = getattr(torch.autograd.functional, name)(make_f(torch), make_x(torch), **kwargs)
    assert _structure(ours) == _structure(theirs)
    for a, b in zip(_flat(ours), _flat(theirs)):
        np.testing.assert_allclose(a, b, rtol=1e-12)


@needs_torch
@pytest.mark.parametrize("name", ["vjp", "jvp", "vhp", "hvp"])
def test_products_match_torch(name):
    scalar = name in ("vhp", "hvp")

    def make(m):
        if scalar:
            return lambda x: (m.tanh(x) ** 2).sum() * x[0]
        return lambda x: m.stack([x[0] * x[1], m.exp(x[1]), x.sum()])

    x = np.array([0.3, -0.7])
    v = np.array([1.0, 2.0, -1.0]) if name == "vjp" else np.array([0.5, -2.0])
    ours = getattr(AF, name)(make(pullback), pullback.tensor(x), pullback.tensor(v))
    theirs = getattr(torch.autograd.functional, name)(make(torch), torch.tensor(x), torch.tensor(v))
    for a, b in zip(_flat(ours), _flat(theirs)):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_strict_and_type_errors():
    x = pullback.tensor([1.0, 2.0])
    with pytest.raises(RuntimeError, match="Output 0 of the user-provided function is independent of input 1"):
        AF.jacobian(lambda a, b: a * 2, (x, x), strict=True)
    zeros = AF.jacobian(lambda a, b: a * 2, (x, x))
    assert zeros[1].abs().sum().item() == 0
    with pytest.raises(TypeError, match="must be either a Tensor or a tuple of Tensors"):
        AF.jacobian(lambda a: 3, x)
    with pytest.raises(TypeError, match="The inputs given to jacobian must be either a Tensor"):
        AF.jacobian(lambda a: a, [1.0])


def test_create_graph_gives_differentiable_jacobian():
    x = pullback.tensor([0.5, -1.0], dtype=pullback.float64, requires_grad=True)
    J = AF.jacobian(lambda a: a ** 3, x, create_graph=True)
    pullback.diagonal(J).sum().backward()
    assert np.allclose(x.grad.numpy(), 6 * x.detach().numpy())
