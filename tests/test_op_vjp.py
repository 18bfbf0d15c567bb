"""Every op in the table: its VJP against central finite differences in float64 (first and
second order), and against PyTorch on the same inputs where torch is installed."""
import numpy as np
import pytest

import pullback
from op_db import OPS, sample_inputs
from _harness import rng_for, flat_output, vjp_of, directional_fd, inner

IDS = [op.name for op in OPS]


def _first_order_value(op, v):
    def fn(arrays):
        with pullback.no_grad():
            out = flat_output(pullback, op.fn(pullback, *[pullback.tensor(a) for a in arrays]))
        return float((out.numpy() * v).sum())
    return fn


@pytest.mark.parametrize("op", OPS, ids=IDS)
def test_vjp_matches_finite_differences(op):
    rng = rng_for(op.name)
    arrays = sample_inputs(op, rng)
    with pullback.no_grad():
        n_out = flat_output(pullback, op.fn(pullback, *[pullback.tensor(a) for a in arrays])).shape
    v = rng.standard_normal(n_out)
    _, grads = vjp_of(op, arrays, v)
    for g, a in zip(grads, arrays):
        assert g is None or g.shape == a.shape
        assert g is None or g.dtype is pullback.float64
    directions = [rng.standard_normal(a.shape) for a in arrays]
    analytic = inner(grads, directions)
    numeric = directional_fd(_first_order_value(op, v), arrays, directions, op.fd_eps)
    assert analytic == pytest.approx(numeric, rel=op.rtol, abs=1e-6)


@pytest.mark.parametrize("op", [op for op in OPS if op.second_order], ids=[o.name for o in OPS if o.second_order])
def test_second_order_matches_finite_differences(op):
    rng = rng_for(op.name + "2")
    arrays = sample_inputs(op, rng)
    with pullback.no_grad():
        n_out = flat_output(pullback, op.fn(pullback, *[pullback.tensor(a) for a in arrays])).shape
    v = rng.standard_normal(n_out)
    ws = [rng.standard_normal(a.shape) for a in arrays]

    def weighted_gradient(arrs):
        _, grads = vjp_of(op, arrs, v)
        return inner(grads, ws)

    xs, grads = vjp_of(op, arrays, v, create_graph=True)
    terms = [(g * pullback.tensor(w)).sum() for g, w in zip(grads, ws) if g is not None and g.requires_grad]
    directions = [rng.standard_normal(a.shape) for a in arrays]
    if terms:
        s = terms[0]
        for t in terms[1:]:
            s = s + t
        hs = pullback.autograd.grad(s, xs, allow_unused=True)
        analytic = inner(hs, directions)
    else:
        analytic = 0.0  # the gradient does not depend on x: a linear op
    numeric = directional_fd(weighted_gradient, arrays, directions, op.fd_eps)
    assert analytic == pytest.approx(numeric, rel=op.rtol, abs=1e-5)


try:
    import torch
except ImportError:  # the oracle tests skip cleanly without torch
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed")


@needs_torch
@pytest.mark.parametrize("op", OPS, ids=IDS)
def test_matches_torch(op):
    rng = rng_for(op.name + "torch")
    arrays = sample_inputs(op, rng)
    fn_torch = op.torch_fn or op.fn
    txs = [torch.tensor(a, requires_grad=True) for a in arrays]
    tout = flat_output(torch, fn_torch(torch, *txs))
    v = rng.standard_normal(tuple(tout.shape))
    tgrads = torch.autograd.grad(tout, txs, torch.tensor(v), allow_unused=True)
    with pullback.no_grad():
        out = flat_output(pullback, op.fn(pullback, *[pullback.tensor(a) for a in arrays]))
    np.testing.assert_allclose(out.numpy(), tout.detach().numpy(), rtol=1e-10, atol=1e-12)
    _, grads = vjp_of(op, arrays, v)
    for g, tg in zip(grads, tgrads):
        if tg is None:
            assert g is None or np.all(g.numpy() == 0)
        else:
            np.testing.assert_allclose(g.numpy(), tg.numpy(), rtol=1e-9, atol=1e-12)


@needs_torch
@pytest.mark.parametrize("op", OPS, ids=IDS)
def test_float32_matches_torch(op):
    """The same op in float32: values and gradients agree to float32 precision, dtypes match."""
    rng = rng_for(op.name + "f32")
    arrays = [a.astype(np.float32) for a in sample_inputs(op, rng)]
    fn_torch = op.torch_fn or op.fn
    txs = [torch.tensor(a, requires_grad=True) for a in arrays]
    tout = fn_torch(torch, *txs)
    xs = [pullback.tensor(a, requires_grad=True) for a in arrays]
    out = op.fn(pullback, *xs)
    if isinstance(out, (list, tuple)):
        out, tout = out[0], tout[0]
    assert out.dtype.name == str(tout.dtype).split(".")[1]
    assert tuple(out.shape) == tuple(tout.shape)
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=2e-5, atol=2e-6)
    v = rng.standard_normal(tuple(tout.shape)).astype(np.float32)
    tgrads = torch.autograd.grad(tout, txs, torch.tensor(v), allow_unused=True)
    grads = pullback.autograd.grad(out, xs, pullback.tensor(v), allow_unused=True)
    for g, tg in zip(grads, tgrads):
        if tg is not None and g is not None:
            assert g.dtype is pullback.float32
            np.testing.assert_allclose(g.numpy(), tg.numpy(), rtol=1e-4, atol=1e-5)
