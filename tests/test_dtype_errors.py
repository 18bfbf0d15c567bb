"""Dtypes and arguments PyTorch refuses, and the result dtypes of integer and bool inputs: each
expression runs in torch and in pullback, which must raise the same exception (type and message)
or give the same values of the same dtype."""
import warnings

import numpy as np
import pytest

import pullback
import torch_spec

torch = pytest.importorskip("torch")

F = "torch.nn.functional."
# Operands, written for either library (`lib` is torch or pullback).
OPERANDS = {
    "f": lambda lib: lib.tensor([0.5, -1.5, 2.0]),
    "d": lambda lib: lib.tensor([0.5, -1.5, 2.0], dtype=lib.float64),
    "d0": lambda lib: lib.tensor(1.25, dtype=lib.float64),
    "g": lambda lib: lib.tensor([0.5, -1.5, 2.0], dtype=lib.float64, requires_grad=True),
    "i": lambda lib: lib.tensor([1, -2, 3]),
    "i2": lambda lib: lib.zeros(2, 3, dtype=lib.int64),
    "ie": lambda lib: lib.zeros(2, 0, dtype=lib.int64),
    "b": lambda lib: lib.tensor([True, False, True]),
    "b0": lambda lib: lib.tensor(True),
}


def run(lib, expression):
    namespace = {"torch": lib, **{name: make(lib) for name, make in OPERANDS.items()}}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return eval(expression, namespace)  # noqa: S307  (the expressions below)


def assert_matches_torch(expression):
    try:
        expected = run(torch, expression)
    except Exception as e:  # noqa: BLE001
        with pytest.raises(type(e)) as caught:
            run(pullback, expression)
        assert str(caught.value).replace("pullback.", "torch.") == str(e)
        return
    actual = run(pullback, expression)
    torch_spec.assert_same(torch_spec.to_torch(actual), expected.detach(), what=expression)


REFUSED_DTYPES = [
    # unary kernels without a loop for bools (or ints, or floats)
    "b.abs()", "torch.floor(b)", "b.ceil()", "b.trunc()", "b.frac()", "i.frac()", "b.relu()", "b.abs_()",
    "torch.bitwise_not(f)", "~d", "b.round()", "i.round(decimals=0)", "i.round(decimals=1)", "b.round(decimals=2)",
    # bool results of the rounding divisions and of pow with a Tensor exponent
    "b.floor_divide(b)", "b.remainder(b)", "torch.fmod(b, True)", "b // True", "True % b", "b.div(b, rounding_mode='trunc')",
    "b.div(b, rounding_mode='floor')", "b ** b", "True ** b", "torch.pow(b, b0)",
    # subtraction with bools
    "d - b", "b - d", "d - True", "True - i", "b - 2", "2 - b", "torch.rsub(b, True)", "torch.sub(i, b0)",
    "b0 - b", "d.sub(b, alpha=2.5)", F + "l1_loss(f, b)",
    # lerp: one dtype, a floating one
    "torch.lerp(d, f, 0.5)", "torch.lerp(f, f, d)", "torch.lerp(i, d, d)", "torch.lerp(b, d, i)", "torch.lerp(i, i, 0.5)",
    "torch.lerp(b, b, b)",
    # clamp's bool kernels, and in-place clamps that would promote
    "torch.clamp(b, min=False, max=True)", "b.clamp_min(False)", "b.clamp(max=True)", "torch.clamp(b, b, b)",
    "i.clamp_(min=0.25, max=1)", "i.clamp_min_(0.5)", "i.clamp_max_(2.5)", "b.clamp_(0, 1)", "i.clip_(0.5, 1.0)",
    # reductions
    "i.std()", "b.var(0)", "i.var(dim=(0, 0))", "b.argmax()", "torch.argmin(b, 0)",
    "g.sum(dtype=torch.int64)", "g.sum(0, dtype=torch.bool)", "g.prod(dtype=torch.int64)",
    "g.cumsum(0, dtype=torch.int64)", "g.nansum(dtype=torch.int32)", "g.mean(dtype=torch.int64)", "i2.mean(dim=(1, 1))",
    "i.mean(dtype=torch.float64)",
    # softmax kernels (over the last dim or another)
    "i.softmax(0)", "torch.log_softmax(b, dim=-1)", "i2.softmax(0)", F + "log_softmax(i2, dim=0)", "b0.softmax(0)",
    # activations, layer_norm and the losses' kernels
    F + "softplus(i)", F + "leaky_relu(b)", F + "elu(i)", F + "gelu(i)", F + "gelu(b, approximate='tanh')",
    F + "silu(i)", F + "mish(b)", F + "logsigmoid(b0)", F + "layer_norm(i, (3,))", F + "mse_loss(i, i)",
    F + "mse_loss(b, b, reduction='none')", F + "mse_loss(i, b)", F + "smooth_l1_loss(i, i)",
    F + "smooth_l1_loss(b, i, reduction='sum')",
]

ARGUMENTS = [
    "d.add(d, alpha=True)", "torch.sub(d, 1, alpha=False)", "i.add(i, alpha=True)", "torch.add(i, 2, alpha=1.0)",
    "i.sub(b, alpha=2.5)", "torch.add(2, i, alpha=1.5)", "torch.rsub(i, 2, alpha=True)", "b.add(b, alpha=0.5)",
    "i.add_(2, alpha=1.5)",
    "d.atan2(2.0)", "torch.atan2(d, 2)", "i.maximum(2)", "d.minimum(True)", "b.logical_and(True)", "d.arctan2(1)", "torch.arctan2(d, 1)",
    "d.sum(keepdim=True)", "torch.sum(d, keepdim=True)", "d.sum(keepdims=True)", "d.mean(keepdim=False)",
    "torch.mean(d, keepdim=True)", "d.sum(keepdim=True, dtype=torch.float32)", "d.prod(keepdim=True)",
    "torch.prod(d, keepdim=True)",
    "d.norm(dim=(0, 0, 0))", "d.norm(p='fro', dim=(0, 0, 0))",
]

ALLOWED = [
    # what PyTorch computes next to what it refuses: the same values and dtypes
    "i.round()", "b.sign()", "i.abs()", "torch.pow(b, True)", "b ** False", "torch.remainder(b, 2)", "b + b",
    "b.clamp(0, 1)", "i.clamp(0.5, 1.5)", "i.clamp_min(0.5)", "i.clamp(max=-0.5)", "b.clamp_min(1.25)",
    "i.clamp(True, True)", "b.clamp(min=b0)", "torch.clamp(i, min=d0)",
    "ie.softmax(-1)", "torch.log_softmax(ie.bool(), dim=0)", "i.softmax(0, dtype=torch.float64)",
    "i.nansum()", "b.nansum(0)", "torch.nansum(d, keepdim=True)", F + "relu6(i)", F + "hardtanh(i, -0.5, 2.0)",
    "b.add(b, alpha=True)", "b.add(True, alpha=2)", "d.add(i, alpha=2.5)", "i.add(f, alpha=2.5)",
    "d.sum(dim=None, keepdim=True)", "d.sum(None, True)", "d.sum(axis=0, keepdim=True)", "d.mean(axis=None, keepdims=True)",
    "g.sum(dtype=torch.float32)", "g.detach().sum(dtype=torch.int64)",
    F + "mse_loss(f, d0)", F + "l1_loss(d0, f)", F + "smooth_l1_loss(f, d0, reduction='none')",
    F + "l1_loss(f, d0, reduction='sum')", F + "mse_loss(f, b)", F + "smooth_l1_loss(b, f)", F + "mse_loss(i, f)",
    F + "l1_loss(i, i, reduction='none')",
]


@pytest.mark.parametrize("expression", REFUSED_DTYPES + ARGUMENTS + ALLOWED)
def test_matches_torch(expression):
    assert_matches_torch(expression)


def test_loss_of_float32_and_0_dim_float64_is_float64_with_torch_gradients():
    def losses(lib):
        x = lib.tensor([0.5, -1.5, 2.0], dtype=lib.float64, requires_grad=True)
        y = lib.tensor(0.75, dtype=lib.float64, requires_grad=True)
        xf = x.float()
        out = [getattr(lib.nn.functional, name)(xf, y) + getattr(lib.nn.functional, name)(y, xf, reduction="sum")
               for name in ("mse_loss", "l1_loss", "smooth_l1_loss")]
        grads = lib.autograd.grad(sum(out), (x, y))
        return [o.detach() for o in out], grads
    (expected, expected_grads), (actual, actual_grads) = losses(torch), losses(pullback)
    for a, e in zip(actual, expected):
        assert a.dtype is pullback.float64
        torch_spec.assert_same(torch_spec.to_torch(a), e)
    for a, e in zip(actual_grads, expected_grads):
        torch_spec.assert_same(torch_spec.to_torch(a), e, rtol=1e-6, atol=1e-6)


def test_pow_backward_with_a_bool_exponent_tensor_is_refused_as_in_torch():
    for lib in (torch, pullback):
        x = lib.tensor([0.5, 2.0], dtype=lib.float64, requires_grad=True)
        (x ** True).sum().backward()  # a Python bool exponent is a number
        assert x.grad.tolist() == [1.0, 1.0]
        with pytest.raises(RuntimeError, match="Subtraction, the `-` operator, with a bool tensor"):
            (x ** lib.tensor([True, False])).sum().backward()


def test_atan2_backward_to_other_with_a_bool_input_is_refused_as_in_torch():
    for lib in (torch, pullback):
        y = lib.tensor(1.89, dtype=lib.float64, requires_grad=True)
        with pytest.raises(RuntimeError, match="Negation, the `-` operator, on a bool tensor"):
            lib.atan2(lib.tensor([True, False]), y).sum().backward()
        lib.atan2(y, lib.tensor([True, False])).sum().backward()  # the bool is the divisor: no negation
        assert abs(y.grad.item() - 1 / (1.89 ** 2 + 1)) < 1e-12


NUMBER_PAIR_CASES = ["torch.add(2, 3)", "torch.add(2, 3.5)", "torch.add(True, 2)", "torch.sub(2, 3)", "torch.mul(2., 3)",
                     "torch.div(1, 2)", "torch.true_divide(1, 2)", "torch.floor_divide(5, 2)", "torch.add(2, 3, alpha=2)",
                     "torch.div(7, 2, rounding_mode='floor')", "torch.multiply(True, False)"]


@pytest.mark.parametrize("source", NUMBER_PAIR_CASES)
def test_two_numbers_give_a_0_dim_tensor(source):
    torch = pytest.importorskip("torch")
    ours, theirs = eval(source, {"torch": pullback}), eval(source, {"torch": torch})
    assert ours.ndim == 0 and str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    assert ours.item() == theirs.item()


@pytest.mark.parametrize("name", ["__rsub__", "__rmod__", "__rpow__"])
def test_unbound_reflected_operators_decline_two_numbers(name):
    torch = pytest.importorskip("torch")
    assert getattr(torch.Tensor, name)(2, 3) is NotImplemented
    assert getattr(pullback.Tensor, name)(2, 3) is NotImplemented


@pytest.mark.parametrize("call", ["clamp(x, min=b)", "clamp(x, max=b)", "clamp(x, b, b)", "clamp_min(x, b)", "clamp_max(x, b)"])
def test_clamp_with_a_nan_tensor_bound_gives_nan(call):
    torch = pytest.importorskip("torch")
    inf, nan = float("inf"), float("nan")
    x = [inf, inf, inf, -inf, -inf, -inf, nan, nan, nan, 0.5]
    b = [inf, -inf, nan, inf, -inf, nan, inf, -inf, nan, nan]
    results = []
    for m in (pullback, torch):
        results.append(eval("m." + call, {"m": m, "x": m.tensor(x, dtype=m.float64), "b": m.tensor(b, dtype=m.float64)}))
    np.testing.assert_array_equal(results[0].numpy(), results[1].numpy())


@pytest.mark.parametrize("weight", [("float64", 0.25), ("int64", 2)])
def test_lerp_takes_a_zero_dim_weight_of_any_dtype_as_torch(weight):
    # (found by the program fuzzer: torch reads a 0-dim weight whatever its dtype; a 1-element
    # 1-dim one of another dtype is still refused)
    dtype, value = weight
    results = []
    for lib in (pullback, torch):
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        b = lib.tensor([3.0, 5.0], requires_grad=True)
        w = lib.tensor(value, dtype=getattr(lib, dtype), requires_grad=dtype == "float64")
        y = lib.lerp(a, b, w)
        y.sum().backward()
        results.append((y.detach().numpy(), str(y.dtype).split(".")[-1], y.grad_fn.name(), a.grad.numpy(),
                        None if w.grad is None else (w.grad.item(), str(w.grad.dtype).split(".")[-1])))
    (p_y, p_dt, p_name, p_ga, p_gw), (t_y, t_dt, t_name, t_ga, t_gw) = results
    np.testing.assert_allclose(p_y, t_y)
    np.testing.assert_allclose(p_ga, t_ga)
    assert (p_dt, p_name, p_gw) == (t_dt, t_name, t_gw)
    with pytest.raises(RuntimeError, match="expected dtype float for `weight` but got dtype double"):
        pullback.lerp(pullback.ones(2), pullback.ones(2), pullback.tensor([0.5], dtype=pullback.float64))


def test_lerp_with_a_zero_dim_bool_weight_as_torch_forward():
    # (torch's backward of this one fails inside torch: "Subtraction ... with two bool tensors")
    for weight in (True, False):
        p = pullback.lerp(pullback.tensor([1.0, 2.0]), pullback.tensor([3.0, 5.0]), pullback.tensor(weight))
        t = torch.lerp(torch.tensor([1.0, 2.0]), torch.tensor([3.0, 5.0]), torch.tensor(weight))
        np.testing.assert_array_equal(p.numpy(), t.numpy())
