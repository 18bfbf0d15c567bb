"""The autograd API: backward, grad, graph freeing, versions, hooks, grad modes, and PyTorch's
error texts (verbatim) where these features raise them."""
import numpy as np
import pytest

import pullback
from pullback import autograd

try:
    import torch
except ImportError:
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed")


def _message(fn):
    with pytest.raises(Exception) as info:
        fn()
    return type(info.value), str(info.value)


# ---------------------------------------------------------------- basic VJPs
def test_scalar_backward_needs_no_gradient():
    x = pullback.tensor([1.0, -2.0, 3.0], requires_grad=True)
    (x ** 2).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, -4.0, 6.0])


def test_non_scalar_backward_gives_vjp():
    x = pullback.tensor([0.5, 1.0, -0.5], requires_grad=True)
    v = pullback.tensor([0.1, 1.0, 0.01])
    pullback.sin(x).backward(v)
    np.testing.assert_allclose(x.grad.numpy(), v.numpy() * np.cos(x.detach().numpy()), rtol=1e-6)


def test_one_element_output_needs_no_gradient():
    x = pullback.tensor([2.0], requires_grad=True)
    (x * 3).backward()
    assert x.grad.tolist() == [3.0]


def test_leaves_accumulate_and_grad_does_not_touch_dot_grad():
    x = pullback.tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    (x * 3).sum().backward()
    assert x.grad.tolist() == [6.0, 6.0]
    (g,) = autograd.grad((x * x).sum(), x)
    assert g.tolist() == [2.0, 4.0]
    assert x.grad.tolist() == [6.0, 6.0]


def test_first_gradient_never_aliases_other_memory():
    # See Note [Stealing gradient buffers]: fresh arrays may become .grad, shared ones are copied.
    x = pullback.tensor([1.0, 2.0], requires_grad=True)
    v = pullback.tensor([1.0, 1.0])
    (x + 0).backward(v)                       # add's VJP passes v's own array through
    assert not np.shares_memory(x.grad.numpy(), v.numpy())
    (x + 0).backward(v)
    assert v.tolist() == [1.0, 1.0] and x.grad.tolist() == [2.0, 2.0]
    w = pullback.tensor([3.0, 4.0], requires_grad=True)
    (x + w).sum().backward()                  # one (broadcast, read-only) array for both leaves
    assert not np.shares_memory(x.grad.numpy(), w.grad.numpy())
    w.grad += 1                               # writable, and private
    assert w.grad.tolist() == [2.0, 2.0] and x.grad.tolist() == [3.0, 3.0]
    a = pullback.tensor([1.0, 2.0], requires_grad=True)
    (a * 3).sum().backward()
    first = a.grad
    (a * 3).sum().backward()
    assert a.grad is first and a.grad.tolist() == [6.0, 6.0]


def test_grad_of_grad():
    x = pullback.tensor([1.0, 2.0], requires_grad=True)
    (g,) = autograd.grad((x ** 3).sum(), x, create_graph=True)
    assert g.tolist() == [3.0, 12.0]
    assert g.grad_fn is not None
    (h,) = autograd.grad(g.sum(), x)
    assert h.tolist() == [6.0, 12.0]


def test_third_order():
    x = pullback.tensor(0.7, dtype=pullback.float64, requires_grad=True)
    y = pullback.sin(x)
    d1, = autograd.grad(y, x, create_graph=True)
    d2, = autograd.grad(d1, x, create_graph=True)
    d3, = autograd.grad(d2, x)
    assert d3.item() == pytest.approx(-np.cos(0.7))


def test_gradient_penalty_reaches_critic_parameters():
    # A hand-written critic (nn arrives with issue 3): penalty = ((||d critic/d x|| - 1)^2).mean()
    pullback.manual_seed(0)
    W1 = pullback.randn(4, 8, dtype=pullback.float64, requires_grad=True)
    W2 = pullback.randn(8, 1, dtype=pullback.float64, requires_grad=True)
    unused = pullback.randn(3, dtype=pullback.float64, requires_grad=True)
    x = pullback.randn(5, 4, dtype=pullback.float64).requires_grad_(True)

    def critic(inp):
        return pullback.tanh(inp @ W1) @ W2

    def penalty_of(w1, w2):
        out = pullback.tanh(x @ w1) @ w2
        (g,) = autograd.grad(out, x, pullback.ones_like(out), create_graph=True)
        return ((g.norm(2, dim=1) - 1) ** 2).mean()

    penalty = penalty_of(W1, W2)
    penalty.backward()
    assert unused.grad is None
    # finite differences on W1 along a random direction
    u = np.random.default_rng(1).standard_normal(W1.shape)
    eps = 1e-6
    plus = penalty_of(pullback.tensor(W1.detach().numpy() + eps * u), W2.detach()).item()
    minus = penalty_of(pullback.tensor(W1.detach().numpy() - eps * u), W2.detach()).item()
    assert float((W1.grad.numpy() * u).sum()) == pytest.approx((plus - minus) / (2 * eps), rel=1e-6)
    assert critic(x).shape == (5, 1)


def test_backward_inputs_restricts_accumulation():
    a = pullback.tensor([1.0], requires_grad=True)
    b = pullback.tensor([2.0], requires_grad=True)
    (a * b).sum().backward(inputs=[a])
    assert a.grad.tolist() == [2.0]
    assert b.grad is None


def test_autograd_backward_with_several_roots():
    x = pullback.tensor([1.0, 2.0], requires_grad=True)
    autograd.backward([x * 2, (x * x).sum()], [pullback.ones(2), None])
    assert x.grad.tolist() == [4.0, 6.0]


def test_deep_graph_has_no_recursion_limit():
    x = pullback.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(50_000):
        y = y * 1.0
    y.backward()
    assert x.grad.item() == 1.0


def test_shared_subexpression_gets_summed_gradient():
    x = pullback.tensor([3.0], requires_grad=True)
    y = x * x
    z = y + y * y  # dz/dx = 2x + 4x^3
    z.backward()
    assert x.grad.tolist() == [6.0 + 4 * 27.0]


def test_integer_inputs_give_float_gradients_through_mixed_ops():
    x = pullback.tensor([1.0, 2.0], requires_grad=True)
    n = pullback.tensor([3, 4])
    (x * n).sum().backward()
    assert x.grad.tolist() == [3.0, 4.0]
    assert x.grad.dtype is pullback.float32


def test_mixed_precision_gradient_has_leaf_dtype():
    x = pullback.tensor([1.0, 2.0], dtype=pullback.float64, requires_grad=True)
    s = pullback.tensor(2.0, requires_grad=True)  # float32, zero-dim: the result stays float64
    y = (x * s).sum()
    assert y.dtype is pullback.float64
    y.backward()
    assert s.grad.dtype is pullback.float32 and s.grad.item() == 3.0
    assert x.grad.dtype is pullback.float64


# ------------------------------------------------------------- error texts
def test_implicit_grad_error():
    x = pullback.randn(3, requires_grad=True)
    assert _message(lambda: pullback.sin(x).backward()) == (
        RuntimeError, "grad can be implicitly created only for scalar outputs")


def test_mismatch_in_shape_error():
    x = pullback.randn(2, 2, requires_grad=True)
    y = x * 2
    assert _message(lambda: y.backward(pullback.ones(2))) == (
        RuntimeError, "Mismatch in shape: grad_output[0] has a shape of pullback.Size([2]) and output[0] "
                      "has a shape of pullback.Size([2, 2]).")


def test_gradient_type_error():
    x = pullback.randn(2, requires_grad=True)
    assert _message(lambda: (x * 2).backward([1.0, 1.0])) == (
        TypeError, "gradients can be either Tensors or None, but got float")
    assert _message(lambda: autograd.grad(x * 2, [x], [[1.0, 1.0]])) == (
        TypeError, "gradients can be either Tensors or None, but got list")


def test_element_does_not_require_grad():
    x = pullback.randn(2)
    assert _message(lambda: x.sum().backward()) == (
        RuntimeError, "element 0 of tensors does not require grad and does not have a grad_fn")
    with pullback.no_grad():
        y = (pullback.randn(2, requires_grad=True) * 2).sum()
    assert _message(lambda: y.backward())[1] == "element 0 of tensors does not require grad and does not have a grad_fn"


def test_differentiated_tensor_does_not_require_grad():
    x = pullback.randn(2, requires_grad=True)
    z = pullback.randn(2)
    assert _message(lambda: autograd.grad((x * z).sum(), z)) == (
        RuntimeError, "One of the differentiated Tensors does not require grad")


def test_unused_input_error_and_allow_unused():
    x = pullback.randn(2, requires_grad=True)
    u = pullback.randn(2, requires_grad=True)
    assert _message(lambda: autograd.grad((x * 2).sum(), [x, u])) == (
        RuntimeError, "One of the differentiated Tensors appears to not have been used in the graph. "
                      "Set allow_unused=True if this is the desired behavior.")
    gx, gu = autograd.grad((x * 2).sum(), [x, u], allow_unused=True)
    assert gu is None and gx.tolist() == [2.0, 2.0]
    gx, gu = autograd.grad((x * 2).sum(), [x, u], materialize_grads=True)
    assert gu.tolist() == [0.0, 0.0]
    assert _message(lambda: autograd.grad((x * 2).sum(), [x], allow_unused=False, materialize_grads=True)) == (
        ValueError, "Expected allow_unused to be True or not passed when materialize_grads=True, but got: "
                    "allow_unused=False.")


def test_empty_inputs_error():
    x = pullback.randn(2, requires_grad=True)
    assert _message(lambda: (x * 2).sum().backward(inputs=[])) == (
        RuntimeError, "`inputs` argument to `backward()` cannot be empty.")


def test_inputs_must_be_tensors():
    x = pullback.randn(2, requires_grad=True)
    assert _message(lambda: autograd.grad((x * 2).sum(), [x, 3])) == (
        TypeError, "all inputs have to be Tensors or GradientEdges, but got int")


BACKWARD_TWICE = (
    "Trying to backward through the graph a second time (or directly access saved tensors after they have "
    "already been freed). Saved intermediate values of the graph are freed when you call .backward() or "
    "autograd.grad(). Specify retain_graph=True if you need to backward through the graph a second time or if "
    "you need to access saved tensors after calling backward.")


def test_backward_twice_error_and_retain_graph():
    x = pullback.randn(3, requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 4 * x.detach().numpy(), rtol=1e-6)
    assert _message(lambda: y.backward()) == (RuntimeError, BACKWARD_TWICE)


def test_graph_without_saved_values_can_run_twice_like_torch():
    x = pullback.randn(3, requires_grad=True)
    y = (x + 1).sum()
    y.backward()
    y.backward()
    assert x.grad.tolist() == [2.0, 2.0, 2.0]


def test_saved_values_are_freed_after_backward():
    x = pullback.randn(3, requires_grad=True)
    y = x.exp()
    node = y.grad_fn
    y.sum().backward()
    assert node.saved is None


def test_inplace_version_error_text():
    x = pullback.randn(2, 2, requires_grad=True)
    y = x + 1
    z = y * y
    y.add_(1)
    assert _message(lambda: z.sum().backward()) == (
        RuntimeError, "one of the variables needed for gradient computation has been modified by an inplace "
                      "operation: [pullback.FloatTensor [2, 2]], which is output 0 of Add, is at version 1; "
                      "expected version 0 instead. Hint: enable anomaly detection to find the operation that "
                      "failed to compute its gradient, with torch.autograd.set_detect_anomaly(True, check_nan=False).")


def test_inplace_version_error_for_saved_leaf_without_grad():
    w = pullback.randn(3)
    x = pullback.randn(3, requires_grad=True)
    y = (x * w).sum()
    w.mul_(2)
    assert _message(lambda: y.backward())[1] == (
        "one of the variables needed for gradient computation has been modified by an inplace operation: "
        "[pullback.FloatTensor [3]] is at version 1; expected version 0 instead. Hint: enable anomaly detection "
        "to find the operation that failed to compute its gradient, with torch.autograd.set_detect_anomaly(True, check_nan=False).")


def test_leaf_inplace_errors():
    x = pullback.randn(3, requires_grad=True)
    assert _message(lambda: x.add_(1)) == (
        RuntimeError, "a leaf Variable that requires grad is being used in an in-place operation.")
    assert _message(lambda: x[:2].mul_(2)) == (
        RuntimeError, "a view of a leaf Variable that requires grad is being used in an in-place operation.")

    def assign():
        x[0] = 1.0  # torch selects a view first, then copies into it
    assert _message(assign)[1] == "a view of a leaf Variable that requires grad is being used in an in-place operation."
    with pullback.no_grad():
        x.add_(1)  # allowed: how optimizers update parameters


def test_requires_grad_flag_errors():
    y = pullback.randn(2, requires_grad=True) * 2

    def set_false():
        y.requires_grad = False
    assert _message(set_false) == (
        RuntimeError, "you can only change requires_grad flags of leaf variables. If you want to use a computed "
                      "variable in a subgraph that doesn't require differentiation use var_no_grad = var.detach().")
    n = pullback.tensor([1, 2])

    def set_int():
        n.requires_grad = True
    assert _message(set_int) == (RuntimeError, "only Tensors of floating point and complex dtype can require gradients")
    assert _message(lambda: n.requires_grad_()) == (
        RuntimeError, "Only Tensors of floating point and complex dtype can require gradients")
    assert _message(lambda: pullback.tensor([1, 2], requires_grad=True))[1] == (
        "Only Tensors of floating point and complex dtype can require gradients")


def test_retain_grad_and_hook_errors():
    x = pullback.randn(2)
    assert _message(lambda: x.retain_grad()) == (RuntimeError, "can't retain_grad on Tensor that has requires_grad=False")
    assert _message(lambda: x.register_hook(lambda g: g)) == (
        RuntimeError, "cannot register a hook on a tensor that doesn't require gradient")
    y = pullback.randn(2, requires_grad=True) * 2
    assert _message(lambda: y.register_post_accumulate_grad_hook(lambda t: None)) == (
        RuntimeError, "post accumulate grad hooks cannot be registered on non-leaf tensors")


def test_numpy_on_requires_grad_error():
    x = pullback.randn(2, requires_grad=True)
    assert _message(lambda: x.numpy()) == (
        RuntimeError, "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
    assert isinstance(x.detach().numpy(), np.ndarray)


def test_non_leaf_grad_warning():
    y = pullback.randn(2, requires_grad=True) * 2
    with pytest.warns(UserWarning, match="The .grad attribute of a Tensor that is not a leaf Tensor is being accessed"):
        assert y.grad is None


def test_create_graph_backward_warns_about_cycle():
    x = pullback.randn(2, requires_grad=True)
    with pytest.warns(UserWarning, match="Using backward\\(\\) with create_graph=True will create a reference cycle"):
        (x ** 2).sum().backward(create_graph=True)
    assert x.grad.requires_grad


def test_inference_tensor_cannot_be_saved():
    with pullback.inference_mode():
        a = pullback.randn(2)
    x = pullback.randn(2, requires_grad=True)
    assert _message(lambda: x * a) == (
        RuntimeError, "Inference tensors cannot be saved for backward. Please do not use Tensors created in "
                      "inference mode in computation tracked by autograd. To work around this, you can make a clone "
                      "to get a normal tensor and use it in autograd.")
    assert (x + a).requires_grad  # add saves nothing


def test_invalid_gradient_from_a_rule_names_the_node():
    from pullback._ops._registry import primitive
    bad = primitive("bad", lambda x: x * 2, vjp=lambda g: g[:1])
    x = pullback.randn(3, requires_grad=True)
    assert _message(lambda: bad(x).sum().backward()) == (
        RuntimeError, "Function BadBackward0 returned an invalid gradient at index 0 - got [1] but expected "
                      "shape compatible with [3]")


def test_detached_in_place_saved_tensor_error():
    x = pullback.randn(2, requires_grad=True)
    y = x * 2
    z = y * y
    y.detach_()
    assert _message(lambda: z.sum().backward()) == (
        RuntimeError, "Trying to use a saved tensor that has been detached in-place, i.e. with .detach_().This is "
                      "not supported, please use out-of-place `.detach()` instead")


def test_wrong_number_of_gradients_names_the_node():
    from pullback._ops._registry import primitive, Joint
    bad = primitive("bad_pair", lambda x, y: x * y, inputs="x y", vjp=Joint(lambda g, needs: (g,)))
    x = pullback.randn(3, requires_grad=True)
    assert _message(lambda: bad(x, x).sum().backward()) == (
        RuntimeError, "function BadPairBackward0 returned an incorrect number of gradients (expected 2, got 1)")


# --------------------------------------------------------------------- hooks
def test_tensor_hooks_replace_gradients_and_can_be_removed():
    x = pullback.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    seen = []
    h = y.register_hook(lambda g: seen.append(g.tolist()) or g * 10)
    y.sum().backward()
    assert seen == [[1.0, 1.0]] and x.grad.tolist() == [30.0, 30.0]
    h.remove()
    x.grad = None
    (x * 3).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]


def test_leaf_hook_and_post_accumulate_hook():
    x = pullback.tensor([1.0, 2.0], requires_grad=True)
    x.register_hook(lambda g: g * 2)
    after = []
    x.register_post_accumulate_grad_hook(lambda t: after.append(t.grad.tolist()))
    (x * x).sum().backward()
    assert x.grad.tolist() == [4.0, 8.0]
    assert after == [[4.0, 8.0]]


def test_retain_grad():
    x = pullback.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.retain_grad()
    assert y.retains_grad
    (y * y).sum().backward()
    assert y.grad.tolist() == [4.0, 8.0]


def test_node_hooks_and_next_functions():
    x = pullback.tensor([1.0, 2.0], requires_grad=True)
    y = pullback.sin(x) * 2
    assert y.grad_fn.name() == "MulBackward0"
    (sin_node, nr), (none, zero) = y.grad_fn.next_functions
    assert sin_node.name() == "SinBackward0" and nr == 0 and none is None and zero == 0
    acc, _ = sin_node.next_functions[0]
    assert acc.variable is x
    calls = []
    sin_node.register_prehook(lambda grad_outputs: calls.append("pre"))
    sin_node.register_hook(lambda grad_inputs, grad_outputs: calls.append("post"))
    y.sum().backward()
    assert calls == ["pre", "post"]


# ----------------------------------------------------------------- grad modes
def test_grad_modes():
    x = pullback.randn(2, requires_grad=True)
    with pullback.no_grad():
        assert not (x * 2).requires_grad
        with pullback.enable_grad():
            assert (x * 2).requires_grad
    with pullback.set_grad_enabled(False):
        assert not pullback.is_grad_enabled()
    assert pullback.is_grad_enabled()

    @pullback.no_grad()
    def f(t):
        return t * 2
    assert not f(x).requires_grad
    with pullback.inference_mode():
        assert not (x * 2).requires_grad
        assert pullback.is_inference_mode_enabled()


def test_detach_shares_memory_and_version():
    x = pullback.tensor([1.0, 2.0], requires_grad=True)
    d = x.detach()
    assert not d.requires_grad
    d.zero_()
    assert x.tolist() == [0.0, 0.0]
    assert x._version == 1
    y = x * 2
    y.detach_()
    assert y.is_leaf and not y.requires_grad


def test_data_is_untracked():
    x = pullback.tensor([1.0, 2.0], requires_grad=True)
    x.data.mul_(2)
    assert x.tolist() == [2.0, 4.0] and x._version == 0


def test_is_grads_batched_is_one_batched_backward():
    x = pullback.tensor([0.5, -1.0, 2.0], dtype=pullback.float64, requires_grad=True)
    y = pullback.stack([x[0] * x[1], pullback.sin(x[2]), (x ** 2).sum()])
    (J,) = autograd.grad(y, x, pullback.eye(3, dtype=pullback.float64), is_grads_batched=True)
    x0 = x.detach().numpy()
    expected = [[x0[1], x0[0], 0.0], [0.0, 0.0, np.cos(x0[2])], list(2 * x0)]
    np.testing.assert_allclose(J.numpy(), expected)
    with pytest.raises(RuntimeError, match="If `is_grads_batched=True`, we interpret the first dimension"):
        autograd.grad(y, x, pullback.ones(3), is_grads_batched=True)


# ------------------------------------------------------- in-place vs torch
@needs_torch
@pytest.mark.parametrize("program", [
    "y = x * 2; y.add_(1); y.mul_(x); out = y.sum()",
    "y = x.clone(); y[0] = x[1] * 3; out = (y * y).sum()",
    "y = x * 1; y[1:] += x[:2]; out = (y ** 2).sum()",
    "y = x * 2; y.sigmoid_(); out = y.sum()",
    "y = x * 1; z = y[1:]; z.mul_(x[:2]); out = (y * y).sum()",
    "y = x * 1; y.view(3, 1)[0, 0] = 7.0; out = (y * x).sum()",
    "y = x.repeat(2).reshape(2, 3); y.t()[1].exp_(); out = (y * y).sum()",
    "y = x * 1; v = y[:2]; y.mul_(x); out = (v * v).sum() + y.sum()",
    "y = pullback.zeros(3, dtype=pullback.float64); v = y[1:]; y[2] = x[0] * 2; out = (v * x[1:]).sum()",
    "y = x + 0; y.clamp_(-0.5, 0.5); y.pow_(2); out = y.sum()",
    "y = x * 1; y.masked_fill_(x > 0, 0.0); out = (y * x).sum()",
    "y = pullback.zeros(3); y[0] = x[0]; y[2] = x.sum(); out = (y * y).sum()",
    "y = x * 1; y.copy_(x.flip(0) * 2); out = (y * x).sum()",
    "y = x * 1; y.fill_(x[0]); out = (y * y).sum()",
    "y = x * 1; y /= 2; y -= x; y *= 3; out = y.sum()",
])
def test_inplace_gradients_match_torch(program):
    values = [0.5, -1.0, 2.0]

    def run(module):
        x = module.tensor(values, dtype=module.float64, requires_grad=True)
        scope = {"x": x, "pullback": module}
        exec(program, scope)
        scope["out"].backward()
        return scope["out"].item(), x.grad.tolist()

    ours = run(pullback)
    theirs = run(torch)
    assert ours[0] == pytest.approx(theirs[0])
    np.testing.assert_allclose(ours[1], theirs[1])


def test_inplace_on_view_rewires_the_base():
    x = pullback.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 1
    y[:2].mul_(x[1:])   # y = [x0*x1, x1*x2, x2]
    assert y.grad_fn.name() == "CopySlices"
    y.sum().backward()
    assert x.grad.tolist() == [2.0, 1.0 + 3.0, 2.0 + 1.0]


def test_inplace_keeps_memory_shared_with_numpy():
    a = np.zeros(3, dtype=np.float32)
    t = pullback.from_numpy(a)
    t.add_(1)
    t[0] = 5
    assert a.tolist() == [5.0, 1.0, 1.0]


def test_inplace_dtype_and_shape_errors():
    n = pullback.tensor([1, 2])
    assert _message(lambda: n.add_(1.5)) == (RuntimeError, "result type Float can't be cast to the desired output type Long")
    x = pullback.zeros(3)
    assert _message(lambda: x.add_(pullback.ones(2, 3))) == (
        RuntimeError, "output with shape [3] doesn't match the broadcast shape [2, 3]")


def test_zero_cotangents_skip_work_but_still_reach_leaves():
    # relu's mask has a zero VJP: in a gradient penalty the second backward reaches W1 and b1
    # only through it, so they get zero gradients (not None, as in PyTorch) without any matmul.
    pullback.manual_seed(0)
    W1 = pullback.randn(3, 4, dtype=pullback.float64, requires_grad=True)
    b1 = pullback.randn(3, dtype=pullback.float64, requires_grad=True)
    W2 = pullback.randn(1, 3, dtype=pullback.float64, requires_grad=True)
    x = pullback.randn(5, 4, dtype=pullback.float64, requires_grad=True)
    out = pullback.nn.functional.linear(pullback.relu(pullback.nn.functional.linear(x, W1, b1)), W2)
    (g,) = autograd.grad(out.sum(), x, create_graph=True)
    penalty = (g ** 2).sum()
    penalty.backward()
    # d penalty / d b1 is zero (b1 only moves the mask); W1 and W2 get real gradients.
    assert b1.grad is not None and not b1.grad.numpy().any()
    mask = (x.detach().numpy() @ W1.detach().numpy().T + b1.detach().numpy()) > 0
    w2 = W2.detach().numpy()[0]
    g_ref = (mask * w2) @ W1.detach().numpy()             # d out.sum() / dx, per row
    np.testing.assert_allclose(g.detach().numpy(), g_ref, rtol=1e-12)
    np.testing.assert_allclose(W2.grad.numpy()[0], (2 * g_ref[:, None, :] * mask[:, :, None]
                                                    * W1.detach().numpy()[None]).sum((0, 2)), rtol=1e-12)
    # x itself is reached only through the mask as well: a zero .grad.
    assert x.grad is not None and not x.grad.numpy().any()


def test_zero_cotangents_meet_real_ones_and_hooks():
    x = pullback.tensor([-1.0, 2.0, 3.0], requires_grad=True)
    seen = []
    y = pullback.sign(x) + x * x
    y.register_hook(lambda g: seen.append(g.numpy().copy()))
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), 2 * x.detach().numpy())
    z = pullback.floor(x * 2)
    h = z.exp()
    h.register_hook(lambda g: seen.append(g.numpy().copy()))   # a hooked node sees real zeros
    (gx,) = autograd.grad(h.sum(), x)
    assert gx.shape == (3,) and not gx.numpy().any()
    with autograd.detect_anomaly():
        (gx,) = autograd.grad(pullback.floor(x).sum(), x)
    assert not gx.numpy().any()


def test_view_of_base_written_in_place_differentiates_through_the_write():
    """A view taken before an in-place change to its base gets its gradient through the change
    (torch regenerates the view's grad_fn from the base), also when the view itself is the root."""
    torch = pytest.importorskip("torch")
    grads = []
    for lib in (torch, pullback):
        x = lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64, requires_grad=True)
        y = x * 2
        element, column = y[1], y.unsqueeze(1)
        y.mul_(x)
        first = lib.autograd.grad(element, x, retain_graph=True)[0]
        second = lib.autograd.grad(column.sum(), x)[0]
        grads.append((first.tolist(), second.tolist()))
    assert grads[0] == grads[1]
    x = pullback.tensor([1.0, 2.0, 3.0], dtype=pullback.float64, requires_grad=True)

    def view_after_write(x):
        y = x * 2
        column = y.unsqueeze(1)
        y.mul_(x)
        return column
    assert autograd.gradcheck(view_after_write, (x,))
    assert autograd.gradgradcheck(view_after_write, (x,))


def _outcome(f):
    try:
        return f().tolist()
    except RuntimeError as e:
        return str(e)


@pytest.mark.parametrize("views", [lambda z: z.split(2), lambda z: z.split([1, 3]), lambda z: z.chunk(2),
                                   lambda z: z.unbind()])
def test_multi_output_views_like_torch(views):
    """split/unbind/chunk outputs are views of their input: writes show both ways, and with
    gradients torch refuses in-place writes to them and their use after the base changed."""
    torch = pytest.importorskip("torch")
    outcomes = []
    for lib in (torch, pullback):
        x = lib.arange(4.0)
        first = views(x)[0]
        x.add_(1)
        first.mul_(2)
        y = lib.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
        z = y * 1
        written, used = views(z)[0], views(z)[-1]
        refused = _outcome(lambda: written.mul_(2))
        z.add_(1)
        stale = _outcome(lambda: lib.autograd.grad(used.sum(), y)[0])
        outcomes.append((x.tolist(), first.tolist(), refused, stale))
    assert outcomes[0] == outcomes[1]
