"""Custom autograd Functions: both styles, the ctx API, error texts, double backward, and
agreement with the equivalent composition of primitives (checked by gradcheck too)."""
import numpy as np
import pytest

import pullback
from pullback.autograd import Function, once_differentiable, gradcheck, gradgradcheck


class Exp(Function):
    @staticmethod
    def forward(ctx, x):
        y = x.exp()
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g * y


class ScaledMul(Function):
    """forward(*args) + setup_context: x * y * k with a non-tensor k."""

    @staticmethod
    def forward(x, y, k):
        return x * y * k

    @staticmethod
    def setup_context(ctx, inputs, output):
        x, y, k = inputs
        ctx.save_for_backward(x, y)
        ctx.k = k

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        assert ctx.needs_input_grad == (True, False, False)
        return g * y * ctx.k, None, None


def _x(*shape):
    return pullback.randn(*shape, dtype=pullback.float64, requires_grad=True)


def test_style_one_matches_the_primitive_and_gradcheck():
    x = _x(4)
    y = Exp.apply(x)
    assert y.grad_fn.name() == "ExpBackward" and repr(y).endswith("grad_fn=<ExpBackward>)")
    (g,) = pullback.autograd.grad(y.sum(), x)
    (h,) = pullback.autograd.grad(x.exp().sum(), x)
    np.testing.assert_allclose(g.numpy(), h.numpy())
    assert gradcheck(Exp.apply, (x,))
    assert gradgradcheck(Exp.apply, (x,))  # its backward is written in pullback ops


def test_style_two_with_non_tensor_arguments():
    x, y = _x(3), pullback.randn(3, dtype=pullback.float64)
    out = ScaledMul.apply(x, y, 2.5)
    (g,) = pullback.autograd.grad(out.sum(), x)
    np.testing.assert_allclose(g.numpy(), 2.5 * y.numpy())
    assert gradcheck(lambda a: ScaledMul.apply(a, y, 2.5), (x,))


def test_several_outputs_mark_non_differentiable_and_materialize():
    class SortValues(Function):
        @staticmethod
        def forward(ctx, x):
            idx = pullback.tensor(np.argsort(x.detach().numpy()))
            ctx.mark_non_differentiable(idx)
            ctx.save_for_backward(idx)
            return x[idx], idx

        @staticmethod
        def backward(ctx, g_values, g_idx):
            (idx,) = ctx.saved_tensors
            assert g_idx is not None and g_idx.abs().sum().item() == 0  # materialized zeros
            out = pullback.zeros_like(g_values)
            out[idx] = g_values
            return out

    x = pullback.tensor([3.0, 1.0, 2.0], requires_grad=True)
    values, idx = SortValues.apply(x)
    assert values.requires_grad and not idx.requires_grad
    (values * pullback.tensor([1.0, 10.0, 100.0])).sum().backward()
    assert x.grad.tolist() == [100.0, 1.0, 10.0]


def test_set_materialize_grads_false_passes_none():
    seen = []

    class Two(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(False)
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, ga, gb):
            seen.append(gb)
            return ga * 2

    x = _x(2)
    a, _ = Two.apply(x)
    a.sum().backward()
    assert seen == [None] and np.allclose(x.grad.numpy(), 2)


def test_mark_dirty_in_place():
    class AddOne_(Function):
        @staticmethod
        def forward(ctx, x):
            x.add_(1)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, g):
            return g

    a = _x(3)
    b = a * 2
    c = AddOne_.apply(b)
    assert c is b and b.grad_fn.name() == "AddOne_Backward"
    (c * c).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), 2 * 2 * (2 * a.detach().numpy() + 1))


def test_saved_tensors_are_freed_and_errors():
    x = _x(3)
    y = Exp.apply(x)
    y.sum().backward()
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        y.grad_fn.saved_tensors

    class WrongShape(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g[:1]

    with pytest.raises(RuntimeError) as info:
        WrongShape.apply(x).sum().backward()
    assert str(info.value) == ("Function WrongShapeBackward returned an invalid gradient at index 0 - got [1] but "
                               "expected shape compatible with [3]")

    class WrongCount(Function):
        @staticmethod
        def forward(ctx, x, y):
            return x * y

        @staticmethod
        def backward(ctx, g):
            return g

    with pytest.raises(RuntimeError) as info:
        WrongCount.apply(x, x).sum().backward()
    assert str(info.value) == "function WrongCountBackward returned an incorrect number of gradients (expected 2, got 1)"


def test_once_differentiable_second_order_raises_clearly():
    class Square(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        @once_differentiable
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * x * g

    x = _x(3)
    (g,) = pullback.autograd.grad(Square.apply(x).sum(), x)
    np.testing.assert_allclose(g.numpy(), 2 * x.detach().numpy())
    (g,) = pullback.autograd.grad(Square.apply(x).sum(), x, create_graph=True)
    with pytest.raises(RuntimeError, match="trying to differentiate twice a function that was marked with "
                                           "@once_differentiable"):
        g.sum().backward()


def test_legacy_call_is_refused():
    with pytest.raises(RuntimeError, match="Legacy autograd function with non-static forward method"):
        Exp()(pullback.ones(1))


def test_custom_function_under_vmap():
    class Cube(Function):
        generate_vmap_rule = True

        @staticmethod
        def forward(x):
            return x ** 3

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(inputs[0])

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 3 * x ** 2 * g

    class CubeWithoutRule(Cube):
        generate_vmap_rule = False

    x = pullback.randn(4, 3)
    np.testing.assert_allclose(pullback.vmap(Cube.apply)(x).numpy(), (x ** 3).numpy())
    with pytest.raises(RuntimeError, match="it must override the setup_context staticmethod"):
        pullback.vmap(Exp.apply)(x)
    with pytest.raises(RuntimeError, match="You tried to vmap over CubeWithoutRule, but it does not have vmap "
                                           "support"):   # torch's error
        pullback.vmap(CubeWithoutRule.apply)(x)


def test_a_gradient_a_custom_function_returns_is_never_kept_as_grad():
    # backward returns a tensor the Function keeps: .grad must be a copy, so accumulating into
    # .grad later cannot change the Function's tensor.
    kept = pullback.ones(3)

    class PassKept(pullback.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return kept

    x = pullback.zeros(3, requires_grad=True)
    PassKept.apply(x).sum().backward()
    PassKept.apply(x).sum().backward()
    assert x.grad.tolist() == [2.0, 2.0, 2.0]
    assert kept.tolist() == [1.0, 1.0, 1.0]
