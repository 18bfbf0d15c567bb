"""Forward mode for every op in the table: the JVP against central finite differences, and the
identity <v, J u> == <J^T v, u> between our JVP and our VJP."""
import numpy as np
import pytest

import pullback
import pullback.autograd.forward_ad as fwAD
from op_db import OPS, sample_inputs
from _harness import rng_for, flat_output, vjp_of

IDS = [op.name for op in OPS]


def _jvp(op, arrays, directions):
    with fwAD.dual_level():
        xs = [fwAD.make_dual(pullback.tensor(a), pullback.tensor(u)) for a, u in zip(arrays, directions)]
        out = flat_output(pullback, op.fn(pullback, *xs))
        primal, tangent = fwAD.unpack_dual(out)
    return primal.numpy(), (np.zeros(primal.shape) if tangent is None else tangent.numpy())


@pytest.mark.parametrize("op", OPS, ids=IDS)
def test_jvp_matches_finite_differences(op):
    rng = rng_for(op.name + "jvp")
    arrays = sample_inputs(op, rng)
    directions = [rng.standard_normal(a.shape) for a in arrays]
    primal, tangent = _jvp(op, arrays, directions)
    eps = op.fd_eps

    def value(arrs):
        with pullback.no_grad():
            return flat_output(pullback, op.fn(pullback, *[pullback.tensor(a) for a in arrs])).numpy()

    numeric = (value([a + eps * u for a, u in zip(arrays, directions)])
               - value([a - eps * u for a, u in zip(arrays, directions)])) / (2 * eps)
    np.testing.assert_allclose(tangent, numeric, rtol=max(op.rtol, 1e-5), atol=1e-6)
    np.testing.assert_allclose(primal, value(arrays), rtol=1e-12)


@pytest.mark.parametrize("op", OPS, ids=IDS)
def test_jvp_and_vjp_are_transposes(op):
    rng = rng_for(op.name + "transpose")
    arrays = sample_inputs(op, rng)
    us = [rng.standard_normal(a.shape) for a in arrays]
    _, ju = _jvp(op, arrays, us)
    v = rng.standard_normal(ju.shape)
    _, grads = vjp_of(op, arrays, v)
    lhs = float((v * ju).sum())
    rhs = sum(float((g.numpy() * u).sum()) for g, u in zip(grads, us) if g is not None)
    assert lhs == pytest.approx(rhs, rel=max(1e-9, op.rtol / 10), abs=1e-10)


def test_dual_level_api():
    x = pullback.tensor([1.0, 2.0])
    with pytest.raises(RuntimeError, match="no level exists"):
        fwAD.make_dual(x, pullback.ones(2))
    with fwAD.dual_level() as level:
        assert level == 0
        with pytest.raises(RuntimeError, match="Trying to set a forward gradient that has a different size"):
            fwAD.make_dual(x, pullback.ones(3))
        d = fwAD.make_dual(x, pullback.tensor([1.0, 0.0]))
        assert fwAD.unpack_dual(x).tangent is None
        y = pullback.exp(d)
        assert type(fwAD.unpack_dual(y)).__name__ == "UnpackedDualTensor"
        assert np.allclose(fwAD.unpack_dual(y).tangent.numpy(), [np.e, 0.0])
    assert fwAD.unpack_dual(y).tangent is None  # the level closed: tangents are gone


def test_nested_levels_give_second_derivatives():
    x = pullback.tensor(0.5, dtype=pullback.float64)
    with fwAD.dual_level():
        outer = fwAD.make_dual(x, pullback.tensor(1.0, dtype=pullback.float64))
        with fwAD.dual_level():
            inner = fwAD.make_dual(outer, pullback.tensor(1.0, dtype=pullback.float64))
            y = pullback.sin(inner)
            dy = fwAD.unpack_dual(y).tangent            # cos(x), still dual at the outer level
        d2y = fwAD.unpack_dual(dy).tangent              # -sin(x)
    assert dy.item() == pytest.approx(np.cos(0.5)) and d2y.item() == pytest.approx(-np.sin(0.5))


def test_forward_over_reverse_hessian_vector_product():
    x = pullback.tensor([0.3, -0.2, 0.9], dtype=pullback.float64, requires_grad=True)
    v = pullback.tensor([1.0, 2.0, -1.0], dtype=pullback.float64)
    with fwAD.dual_level():
        xd = fwAD.make_dual(x, v)
        loss = (pullback.tanh(xd) ** 3).sum()
        (g,) = pullback.autograd.grad(loss, xd, create_graph=True)
        hv = fwAD.unpack_dual(g).tangent
    x0 = x.detach().numpy()
    t = np.tanh(x0)
    second = 6 * t * (1 - t * t) ** 2 - 6 * t ** 3 * (1 - t * t)   # d2/dx2 tanh^3, elementwise
    np.testing.assert_allclose(hv.detach().numpy(), second * v.numpy(), rtol=1e-9)


def test_tangent_printing_inplace_and_custom_function():
    with fwAD.dual_level():
        d = fwAD.make_dual(pullback.tensor([1.0, 2.0]), pullback.tensor([0.5, 0.0]))
        assert repr(d) == "tensor([1., 2.], tangent=tensor([0.5000, 0.0000]))"
        y = d * 1
        y.mul_(3)
        assert fwAD.unpack_dual(y).tangent.tolist() == [1.5, 0.0]

        class Double(pullback.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def backward(ctx, g):
                return g * 2

        with pytest.raises(NotImplementedError, match="You must implement the jvp function"):
            Double.apply(d)

        class DoubleJ(Double):
            @staticmethod
            def jvp(ctx, t):
                return t * 2

        assert fwAD.unpack_dual(DoubleJ.apply(d)).tangent.tolist() == [1.0, 0.0]


REDUCTION_JVPS = [
    ("amax-ties", lambda L, x: L.amax(x, 1)), ("amin-all", lambda L, x: L.amin(x)),
    ("amax-keepdim", lambda L, x: x.amax(0, keepdim=True)), ("logsumexp", lambda L, x: L.logsumexp(x, 1)),
    ("var", lambda L, x: x.var(1)), ("var-all-c0", lambda L, x: x.var(correction=0)),
    ("std-constant-row", lambda L, x: x.std(1)), ("std-keepdim", lambda L, x: x.std(0, keepdim=True)),
    ("cumprod", lambda L, x: x.cumprod(1)), ("cumprod-zeros", lambda L, x: (x * (x > 0)).cumprod(0)),
]
PROD_JVPS = [
    ("prod", lambda L, x: x.prod(1)), ("prod-all", lambda L, x: x.prod()),
    ("prod-zeros", lambda L, x: (x * (x > 0)).prod(0, keepdim=True)), ("prod-zeros-all", lambda L, x: (x * (x > 0)).prod()),
]


@pytest.mark.parametrize("name,f", PROD_JVPS, ids=[n for n, _ in PROD_JVPS])
def test_prod_jvp_matches_torch_forward_ad(name, f):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    a, t = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    _, expected = torch.func.jvp(lambda x: f(torch, x), (torch.tensor(a),), (torch.tensor(t),))
    _, got = pullback.func.jvp(lambda x: f(pullback, x), (pullback.tensor(a),), (pullback.tensor(t),))
    np.testing.assert_allclose(got.numpy(), expected.numpy(), atol=1e-12)


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("name,f", REDUCTION_JVPS, ids=[n for n, _ in REDUCTION_JVPS])
def test_reduction_jvp_rules_match_torch_forward_ad(name, f):
    """amax/amin (ties share the tangent evenly), logsumexp, var and std have explicit JVP rules."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    a, t = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    a[0, :2] = 5.0  # a tie for the max of row 0
    a[1] = 2.0      # a constant row: std 0
    _, expected = torch.func.jvp(lambda x: f(torch, x), (torch.tensor(a),), (torch.tensor(t),))
    _, got = pullback.func.jvp(lambda x: f(pullback, x), (pullback.tensor(a),), (pullback.tensor(t),))
    np.testing.assert_allclose(got.numpy(), expected.numpy(), atol=1e-12)
    hessian = lambda L: L.func.jacfwd(L.func.jacrev(lambda x: f(L, x).sum()))  # noqa: E731
    b = rng.standard_normal((3, 4))
    np.testing.assert_allclose(hessian(pullback)(pullback.tensor(b)).numpy(),
                               hessian(torch)(torch.tensor(b)).numpy(), atol=1e-10)
