"""gradcheck catches a wrong backward and says where; passes correct ones; fast mode; warnings."""
import numpy as np
import pytest

import pullback
from pullback.autograd import Function, gradcheck, gradgradcheck
from pullback.autograd import GradcheckError


class BadSin(Function):
    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x)
        return pullback.sin(x) * y

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * pullback.cos(x) * 1.5, None  # deliberately wrong for x; None for y: also wrong


def _inputs():
    pullback.manual_seed(0)
    return (pullback.randn(3, dtype=pullback.float64, requires_grad=True),
            pullback.randn(3, dtype=pullback.float64, requires_grad=True))


def test_correct_functions_pass():
    x, y = _inputs()
    assert gradcheck(lambda a, b: pullback.sin(a) * b, (x, y), check_forward_ad=True, check_batched_grad=True)
    assert gradcheck(lambda a, b: pullback.sin(a) * b, (x, y))
    assert gradcheck(lambda a, b: (a @ b.unsqueeze(1), a.exp()), (x.reshape(1, 3), y))
    assert gradgradcheck(lambda a, b: pullback.tanh(a) * b ** 2, (x, y))
    assert gradcheck(lambda a: pullback.softmax(a, 0), (x,), fast_mode=True)


def test_wrong_backward_is_caught_and_located():
    x, y = _inputs()
    with pytest.raises(GradcheckError) as info:
        gradcheck(BadSin.apply, (x, y))
    message = str(info.value)
    assert message.startswith("Jacobian mismatch for output 0 with respect to input 0,")
    assert "numerical" in message and "analytical" in message and "<-- differs" in message
    expected = np.diag(np.cos(x.detach().numpy()) * y.detach().numpy())
    assert f"{expected[0, 0]: .4e}" in message  # the numerical Jacobian is printed
    assert gradcheck(BadSin.apply, (x, y), raise_exception=False) is False

    class BadJvp(Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

        @staticmethod
        def jvp(ctx, t):
            return t * 3  # deliberately wrong

    with pytest.raises(GradcheckError, match="Jacobian computed with forward mode mismatch for output 0 with respect "
                                             "to input 0"):
        gradcheck(BadJvp.apply, (x,), check_forward_ad=True)
    with pytest.raises(GradcheckError, match="computed in fast mode"):
        gradcheck(BadSin.apply, (x, y), fast_mode=True)


def test_missing_gradient_is_caught_for_the_second_input():
    x, y = _inputs()
    x.requires_grad_(False)
    with pytest.raises(GradcheckError, match="with respect to input 1"):
        gradcheck(BadSin.apply, (x, y))


def test_float32_inputs_warn_and_no_grad_inputs_raise():
    x = pullback.randn(3, requires_grad=True)
    with pytest.warns(UserWarning, match="Input #0 requires gradient and is not a double precision"):
        gradcheck(pullback.sin, (x,), atol=1e-2, rtol=1e-2, eps=1e-3)
    with pytest.raises(ValueError, match="at least one input tensor to require gradient"):
        gradcheck(pullback.sin, (pullback.randn(2),))
