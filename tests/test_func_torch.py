"""torch.func, autograd.functional and custom Functions against torch on the same programs:
pytrees in every position of the transforms, torch's model-ensembling and per-sample-gradient
tutorials, vectorized Jacobians with unused inputs, in-place ops under vmap, and custom Functions
under forward mode and vmap."""
import functools

import numpy as np
import pytest

import pullback

torch = pytest.importorskip("torch")

LIBS = (torch, pullback)


def _np(tree):
    """Nested results as nested lists of arrays (dicts by key), for comparing the two libraries."""
    if isinstance(tree, dict):
        return {k: _np(v) for k, v in tree.items()}
    if isinstance(tree, (list, tuple)):
        return [_np(v) for v in tree]
    if isinstance(tree, (torch.Tensor, pullback.Tensor)):
        return np.array(tree.detach().numpy(), copy=True)
    return tree


def assert_trees_close(actual, expected, rtol=1e-6, atol=1e-7):
    actual, expected = _np(actual), _np(expected)
    assert type(actual) is type(expected), (type(actual), type(expected))
    if isinstance(expected, dict):
        assert list(actual) == list(expected)
        for k in expected:
            assert_trees_close(actual[k], expected[k], rtol, atol)
    elif isinstance(expected, list):
        assert len(actual) == len(expected)
        for a, e in zip(actual, expected):
            assert_trees_close(a, e, rtol, atol)
    elif not isinstance(expected, np.ndarray):
        assert actual == expected
    else:
        assert actual.shape == expected.shape and actual.dtype == expected.dtype, (actual.shape, expected.shape)
        np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol)


def same_in_both(program, **tolerances):
    """``program(lib)`` run with torch and with pullback gives the same results."""
    assert_trees_close(program(pullback), program(torch), **tolerances)


X = np.arange(6.0).reshape(2, 3) / 3 + 0.1
W = np.arange(12.0).reshape(4, 3) / 7 - 0.5


def params(lib):
    return {"w": lib.tensor(W), "b": lib.tensor(np.full(4, 0.1))}


def model_fn(lib):
    def f(p, x):
        return lib.tanh(x @ p["w"].T + p["b"]).sum(-1)
    return f


# ----------------------------------------------------------------------------- pytrees

@pytest.mark.parametrize("name", ["jacrev", "jacfwd", "grad", "grad_aux", "grad_and_value_aux", "vmap_jacrev",
                                  "vmap_jacfwd", "vmap_grad", "hessian_dict", "jacrev_dict_output",
                                  "jacrev_argnums_tuple"])
def test_transforms_take_dicts_of_tensors(name):
    def program(lib):
        F, f, p, x = lib.func, model_fn(lib), params(lib), lib.tensor(X)
        loss = lambda p, x: f(p, x).sum()  # noqa: E731
        return {
            "jacrev": lambda: F.jacrev(f, argnums=0)(p, x),
            "jacfwd": lambda: F.jacfwd(f, argnums=0)(p, x),
            "grad": lambda: F.grad(loss)(p, x),
            "grad_aux": lambda: F.grad(lambda p, x: (loss(p, x), {"twice": x * 2}), has_aux=True)(p, x),
            "grad_and_value_aux": lambda: F.grad_and_value(lambda p, x: (loss(p, x), x.sum()), has_aux=True)(p, x),
            "vmap_jacrev": lambda: F.vmap(F.jacrev(f), in_dims=(None, 0))(p, x),
            "vmap_jacfwd": lambda: F.vmap(F.jacfwd(f), in_dims=(None, 0))(p, x),
            "vmap_grad": lambda: F.vmap(F.grad(loss), in_dims=(None, 0))(p, x),
            "hessian_dict": lambda: F.hessian(lambda q: (q["b"] ** 3).sum() * q["w"].sum())(p),
            "jacrev_dict_output": lambda: F.jacrev(lambda q: {"s": q["b"].sin(), "n": q["w"].sum()})(p),
            "jacrev_argnums_tuple": lambda: F.jacrev(f, argnums=(0, 1))(p, x),
        }[name]()
    same_in_both(program)


@pytest.mark.parametrize("name", ["vjp_dict", "vjp_nested", "jvp_tuple_of_tangents", "jvp_dict", "vmap_in_dims_dict",
                                  "vmap_out_dims_tree", "vmap_out_dims_one"])
def test_vjp_jvp_and_vmap_take_pytrees(name):
    def program(lib):
        F, p, x = lib.func, params(lib), lib.tensor(X)
        return {
            "vjp_dict": lambda: F.vjp(lambda q: q["w"].sum() * q["b"], p)[1](lib.ones(4)),
            "vjp_nested": lambda: F.vjp(lambda q: q[0] * q[1][0], (x, [x.cos()]))[1](x),
            "jvp_tuple_of_tangents": lambda: F.jvp(lambda q: q[0] * q[1].sin(), ((x, x),), ((x.cos(), lib.ones(2, 3)),)),
            "jvp_dict": lambda: F.jvp(lambda q: q["w"].sum() * q["b"], (p,), ({"w": lib.tensor(W) * 2, "b": lib.ones(4)},)),
            "vmap_in_dims_dict": lambda: F.vmap(lambda q, y: q["w"] * y.sum() + q["b"][0],
                                                in_dims=({"w": 0, "b": None}, 0))(p, lib.ones(4, 2)),
            "vmap_out_dims_tree": lambda: F.vmap(lambda y: (y * 2, {"s": y.sum()}), out_dims=(1, {"s": 0}))(x),
            "vmap_out_dims_one": lambda: F.vmap(lambda y: y * 2, out_dims=(1,))(x),
        }[name]()
    same_in_both(program)


@pytest.mark.parametrize("name", ["vmap_hessian", "vmap_jacfwd_jacrev", "vmap_jacfwd_grad", "vmap_jvp_of_grad",
                                  "hessian_argnums", "vmap_hessian_dict"])
def test_forward_over_reverse_under_vmap_keeps_samples_apart(name):
    # An unbatched argument differentiated inside vmap gets a gradient per sample, also when
    # forward mode runs over it; inside jacfwd the primal stays one for the batch of tangents.
    def program(lib):
        F, w, x = lib.func, lib.tensor(W), lib.tensor(X)

        def g(w, x):
            return lib.tanh(x @ w.T).sum()
        return {
            "vmap_hessian": lambda: F.vmap(F.hessian(g), in_dims=(None, 0))(w, x),
            "vmap_jacfwd_jacrev": lambda: F.vmap(F.jacfwd(F.jacrev(g)), in_dims=(None, 0))(w, x),
            "vmap_jacfwd_grad": lambda: F.vmap(F.jacfwd(F.grad(g)), in_dims=(None, 0))(w, x),
            "vmap_jvp_of_grad": lambda: F.vmap(lambda xi: F.jvp(lambda v: F.grad(g)(v, xi), (w,), (lib.ones_like(w),)))(x),
            "hessian_argnums": lambda: F.hessian(lambda a, b: (a ** 2 * b).sum(), argnums=(0, 1))(x, x.exp()),
            "vmap_hessian_dict": lambda: F.vmap(F.hessian(lambda p, xi: model_fn(lib)(p, xi).sum()),
                                                in_dims=(None, 0))(params(lib), x),
        }[name]()
    same_in_both(program)


@pytest.mark.parametrize("name", ["grad_of_int", "grad_of_float", "vjp_of_int"])
def test_transform_argument_errors_as_torch(name):
    def program(lib):
        call = {
            "grad_of_int": lambda: lib.func.grad(lambda a: a.sum())(lib.tensor([1, 2])),
            "grad_of_float": lambda: lib.func.grad(lambda a: lib.tensor(1.0))(3.0),
            "vjp_of_int": lambda: lib.func.vjp(lambda a: a, lib.tensor([1, 2])),
        }[name]
        with pytest.raises(Exception) as info:
            call()
        return type(info.value).__name__, str(info.value)
    assert program(pullback) == program(torch)


# ----------------------------------------------------------------------------- torch's tutorials

def _twin(torch_module, build):
    """The pullback module ``build()`` with ``torch_module``'s weights."""
    module = build()
    module.load_state_dict({k: pullback.tensor(v.detach().numpy()) for k, v in torch_module.state_dict().items()})
    return module


@functools.lru_cache(maxsize=None)
def _mlp_class(lib):
    class SimpleMLP(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = lib.nn.Linear(36, 16)
            self.fc2 = lib.nn.Linear(16, 16)
            self.fc3 = lib.nn.Linear(16, 10)

        def forward(self, x):
            x = x.flatten(1)
            x = self.fc1(x)
            x = lib.nn.functional.relu(x)
            x = self.fc2(x)
            x = lib.nn.functional.relu(x)
            x = self.fc3(x)
            return x
    return SimpleMLP


def _mlp(lib):
    return _mlp_class(lib)()


def test_model_ensembling_tutorial():
    # torch's "Model ensembling" tutorial (torch.func.stack_module_state + vmap over
    # functional_call), smaller; the same models and data in both libraries.
    torch.manual_seed(0)
    torch_models = [_mlp(torch) for _ in range(4)]
    data = torch.randn(10, 8, 1, 6, 6)

    def program(lib, models, data):
        from copy import deepcopy
        minibatches = data[:4]
        loop_diff = [model(minibatch) for model, minibatch in zip(models, minibatches)]
        minibatch = data[0]
        loop_same = [model(minibatch) for model in models]
        params, buffers = lib.func.stack_module_state(models)
        base_model = deepcopy(models[0])

        def fmodel(params, buffers, x):
            return lib.func.functional_call(base_model, (params, buffers), (x,))
        sizes = [p.size(0) for p in params.values()]
        vmap_diff = lib.func.vmap(fmodel)(params, buffers, minibatches)
        vmap_same = lib.func.vmap(fmodel, in_dims=(0, 0, None))(params, buffers, minibatch)
        return sizes, lib.stack(loop_diff), vmap_diff, lib.stack(loop_same), vmap_same

    expected = program(torch, torch_models, data)
    actual = program(pullback, [_twin(m, lambda: _mlp(pullback)) for m in torch_models],
                     pullback.tensor(data.numpy()))
    assert_trees_close(actual, expected, rtol=1e-5, atol=1e-6)
    assert_trees_close(actual[2], actual[1], rtol=1e-5, atol=1e-6)    # the tutorial's own checks
    assert_trees_close(actual[4], actual[3], rtol=1e-5, atol=1e-6)


def _cnn(lib):
    F = lib.nn.functional

    class SimpleCNN(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = lib.nn.Conv2d(1, 4, 3, 1)
            self.conv2 = lib.nn.Conv2d(4, 8, 3, 1)
            self.fc1 = lib.nn.Linear(128, 16)
            self.fc2 = lib.nn.Linear(16, 10)

        def forward(self, x):
            x = self.conv1(x)
            x = F.relu(x)
            x = self.conv2(x)
            x = F.relu(x)
            x = F.max_pool2d(x, 2)
            x = lib.flatten(x, 1)
            x = self.fc1(x)
            x = F.relu(x)
            x = self.fc2(x)
            return F.log_softmax(x, dim=1)
    return SimpleCNN()


def test_per_sample_gradients_tutorial():
    # torch's "Per-sample-gradients" tutorial (vmap over grad over functional_call), smaller.
    torch.manual_seed(0)
    torch_model = _cnn(torch)
    data, targets = torch.randn(6, 1, 12, 12), torch.randint(10, (6,))

    def program(lib, model, data, targets):
        def loss_fn(predictions, targets):
            return lib.nn.functional.nll_loss(predictions, targets)

        def compute_grad(sample, target):
            prediction = model(sample.unsqueeze(0))
            return lib.autograd.grad(loss_fn(prediction, target.unsqueeze(0)), list(model.parameters()))

        loop = [lib.stack(shards) for shards in zip(*[compute_grad(data[i], targets[i]) for i in range(6)])]
        params = {k: v.detach() for k, v in model.named_parameters()}
        buffers = {k: v.detach() for k, v in model.named_buffers()}

        def compute_loss(params, buffers, sample, target):
            predictions = lib.func.functional_call(model, (params, buffers), (sample.unsqueeze(0),))
            return loss_fn(predictions, target.unsqueeze(0))
        ft_per_sample_grads = lib.func.vmap(lib.func.grad(compute_loss), in_dims=(None, None, 0, 0))(
            params, buffers, data, targets)
        return loop, ft_per_sample_grads

    expected = program(torch, torch_model, data, targets)
    actual = program(pullback, _twin(torch_model, lambda: _cnn(pullback)), pullback.tensor(data.numpy()),
                     pullback.tensor(targets.numpy()))
    assert_trees_close(actual, expected, rtol=1e-4, atol=1e-6)
    for loop_grad, ft_grad in zip(actual[0], actual[1].values()):       # the tutorial's own check
        np.testing.assert_allclose(loop_grad.numpy(), ft_grad.numpy(), rtol=1e-5, atol=3e-6)


# ----------------------------------------------------------------------------- autograd.functional

@pytest.mark.parametrize("name", ["jacobian_unused_input", "jacobian_constant_output", "hessian_unused_input",
                                  "hessian_forward_outer"])
def test_vectorized_jacobians_give_zeros_where_an_output_ignores_an_input(name):
    def program(lib):
        AF, x, y = lib.autograd.functional, lib.tensor(X), lib.tensor(X) + 1
        return {
            "jacobian_unused_input": lambda: AF.jacobian(lambda a, b: (a.sin(), a * b), (x, y), vectorize=True),
            "jacobian_constant_output": lambda: AF.jacobian(lambda a, b: (a * 2, b.sum() * 0 + b), (x, y),
                                                            vectorize=True),
            "hessian_unused_input": lambda: AF.hessian(lambda a, b: (a ** 3).sum() + b.sum(), (x, y), vectorize=True),
            "hessian_forward_outer": lambda: AF.hessian(lambda a, b: (a ** 3).sum() + b.sum(), (x, y), vectorize=True,
                                                        outer_jacobian_strategy="forward-mode"),
        }[name]()
    same_in_both(program)


def test_vectorized_jacobian_refuses_strict_as_torch():
    with pytest.raises(RuntimeError) as expected:
        torch.autograd.functional.jacobian(lambda a: a, torch.ones(2), strict=True, vectorize=True)
    with pytest.raises(RuntimeError) as actual:
        pullback.autograd.functional.jacobian(lambda a: a, pullback.ones(2), strict=True, vectorize=True)
    assert str(actual.value) == str(expected.value)


# ----------------------------------------------------------------------------- in place under vmap

@pytest.mark.parametrize("name", ["zeros_like_then_add_", "new_zeros_then_add_", "ones_like_setitem", "full_like_mul_",
                                  "new_full_index_put", "nested_zeros_like"])
def test_inplace_under_vmap_on_tensors_made_inside(name):
    def program(lib):
        def zeros_like_then_add_(x):
            y = lib.zeros_like(x)
            y.add_(x)
            y[0] = 5.0
            return y

        def new_zeros_then_add_(x):
            y = x.new_zeros(3)
            return y.add_(x * 2)

        def ones_like_setitem(x):
            y = lib.ones_like(x)
            y[1:] = x[:2] ** 2
            return y

        def full_like_mul_(x):
            return lib.full_like(x, 2.0).mul_(x)

        def new_full_index_put(x):
            y = x.new_full((2, 3), 7.0)
            y[1] = x
            return y

        def nested_zeros_like(x):
            return lib.vmap(lambda row: lib.zeros_like(row).add_(row.exp()))(x)

        fn = locals()[name]
        return lib.vmap(fn)(lib.tensor(X) if name != "nested_zeros_like" else lib.tensor(X).reshape(2, 3, 1))
    same_in_both(program)


def test_inplace_under_vmap_into_an_unbatched_tensor_raises_torchs_error():
    def program(lib):
        def f(x):
            y = lib.zeros(3)
            y.copy_(x)
            return y
        with pytest.raises(RuntimeError) as info:
            lib.vmap(f)(lib.tensor(X))
        return str(info.value)
    assert program(pullback) == program(torch)


def test_detach_under_vmap_keeps_each_sample():
    same_in_both(lambda lib: lib.vmap(lambda x: x.detach() * 2)(lib.tensor(X)))


# ----------------------------------------------------------------------------- custom Functions

def _scale_by_ctx(lib):
    class ScaleByCtx(lib.autograd.Function):
        """Its jvp and backward read ctx attributes that setup_context sets."""
        @staticmethod
        def forward(x, scale):
            return x * scale

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.scale = inputs[1]
            ctx.save_for_forward(inputs[0])

        @staticmethod
        def backward(ctx, g):
            return g * ctx.scale, None

        @staticmethod
        def jvp(ctx, x_tangent, _):
            (x,) = ctx.saved_tensors
            return x_tangent * ctx.scale + 0 * x

        @staticmethod
        def vmap(info, in_dims, x, scale):
            return ScaleByCtx.apply(x, scale), in_dims[0]
    return ScaleByCtx


def _numpy_exp_(lib):
    class NumpyExp_(lib.autograd.Function):
        """Marks its input dirty after changing it through ``.numpy()``."""
        @staticmethod
        def forward(ctx, x):
            np.exp(x.numpy(), out=x.numpy())
            ctx.mark_dirty(x)
            ctx.save_for_backward(x)
            return x

        @staticmethod
        def backward(ctx, g):
            (y,) = ctx.saved_tensors
            return g * y
    return NumpyExp_


@pytest.mark.parametrize("name", ["jvp_reads_ctx", "forward_ad_reads_ctx", "jacfwd", "vmap_jvp", "vmap_grad",
                                  "mark_dirty_numpy", "mark_dirty_numpy_grad"])
def test_custom_functions_as_torch(name):
    def program(lib):
        Scale, Exp_ = _scale_by_ctx(lib), _numpy_exp_(lib)
        F, x = lib.func, lib.tensor(X)

        def forward_ad_reads_ctx():
            fwAD = lib.autograd.forward_ad
            with fwAD.dual_level():
                return fwAD.unpack_dual(Scale.apply(fwAD.make_dual(x, x.cos()), 3.0)).tangent.clone()

        def mark_dirty_numpy_grad():
            leaf = x.clone().requires_grad_(True)
            out = Exp_.apply(leaf * 1)
            return lib.autograd.grad((out * x).sum(), leaf)

        return {
            "jvp_reads_ctx": lambda: F.jvp(lambda a: Scale.apply(a, 2.5), (x,), (x.sin(),)),
            "forward_ad_reads_ctx": forward_ad_reads_ctx,
            "jacfwd": lambda: F.jacfwd(lambda a: Scale.apply(a, 2.5).sin())(x[0]),
            "vmap_jvp": lambda: F.vmap(lambda a, t: F.jvp(lambda b: Scale.apply(b, 2.0), (a,), (t,)))(x, x.cos()),
            "vmap_grad": lambda: F.vmap(F.grad(lambda a: Scale.apply(a, 2.0).sin().sum()))(x),
            "mark_dirty_numpy": lambda: Exp_.apply(x.clone()),
            "mark_dirty_numpy_grad": mark_dirty_numpy_grad,
        }[name]()
    same_in_both(program)


# ----------------------------------------------------------------------------- vmap's error texts

def _f(x):
    return x * 2


@pytest.mark.parametrize("name", ["non_tensor_in_dim", "in_dim_out_of_range", "sizes_differ", "no_tensors",
                                  "in_dims_too_long", "in_dims_not_tuple", "in_dims_dict_keys", "returns_non_tensor",
                                  "out_dims_none_for_batched", "out_dims_structure", "out_dims_type", "no_inputs",
                                  "zero_dim_input", "partial_name"])
def test_vmap_errors_as_torch(name):
    def program(lib):
        x = lib.ones(2, 3)
        call = {
            "non_tensor_in_dim": lambda: lib.vmap(lambda a, n: a * n, in_dims=(0, 0))(x, 3),
            "in_dim_out_of_range": lambda: lib.vmap(_f, in_dims=3)(x),
            "sizes_differ": lambda: lib.vmap(lambda a, b: a + b)(x, lib.ones(3, 3)),
            "no_tensors": lambda: lib.vmap(_f, in_dims=(None,))(x),
            "in_dims_too_long": lambda: lib.vmap(_f, in_dims=(0, 0))(x),
            "in_dims_not_tuple": lambda: lib.vmap(_f, in_dims=[0])(x),
            "in_dims_dict_keys": lambda: lib.vmap(lambda d: d["a"], in_dims=({"a": 0},))({"a": x, "b": x}),
            "returns_non_tensor": lambda: lib.vmap(lambda a: 3)(x),
            "out_dims_none_for_batched": lambda: lib.vmap(_f, out_dims=None)(x),
            "out_dims_structure": lambda: lib.vmap(_f, out_dims=(0, 1))(x),
            "out_dims_type": lambda: lib.vmap(_f, out_dims="a")(x),
            "no_inputs": lambda: lib.vmap(lambda: x)(),
            "zero_dim_input": lambda: lib.vmap(_f)(lib.tensor(3.0)),
            "partial_name": lambda: lib.vmap(functools.partial(_f), in_dims=4)(x),
        }[name]
        with pytest.raises(Exception) as info:
            call()
        return type(info.value).__name__, str(info.value)
    assert program(pullback) == program(torch)


@pytest.mark.parametrize("name", ["grad", "jacrev", "jacfwd", "hessian", "vjp", "jvp"])
def test_a_closed_over_parameter_keeps_its_graph_as_torchs(name):
    """A transform's result depends on the parameters its function closes over: it keeps the graph
    to them (loss.backward() reaches them), and only that graph, as torch.func's results do."""
    x = np.random.default_rng(0).normal(size=3)
    w = np.random.default_rng(1).normal(size=3)

    def run(m, x, w, f):
        if name == "vjp":
            return m.func.vjp(f, x)[1](m.ones(3, dtype=m.float64))[0]
        if name == "jvp":
            return m.func.jvp(f, (x,), (m.ones(3, dtype=m.float64),))[1]
        scalar = name in ("grad", "hessian")
        return getattr(m.func, name)((lambda v: f(v).sum()) if scalar else f)(x)

    results = {}
    for m in (pullback, torch):
        xt, wt = m.tensor(x), m.tensor(w, requires_grad=True)
        out = run(m, xt, wt, lambda v: m.sin(v) * wt * v)
        assert out.requires_grad
        results[m.__name__] = (out.detach().numpy(), m.autograd.grad((out * out).sum(), wt)[0].numpy())
        assert not run(m, xt, wt, lambda v: m.sin(v) * v).requires_grad  # nothing from outside: no graph
    np.testing.assert_allclose(results["pullback"][0], results["torch"][0], rtol=1e-12)
    np.testing.assert_allclose(results["pullback"][1], results["torch"][1], rtol=1e-12)


def test_vmap_of_hessian_carries_no_graph():
    x = pullback.randn(3, 2, dtype=pullback.float64)
    assert not pullback.func.vmap(pullback.func.hessian(lambda v: pullback.sin(v).sum()))(x).requires_grad
    assert not pullback.func.vmap(pullback.func.jacfwd(pullback.func.jacrev(lambda v: pullback.sin(v).sum())))(x).requires_grad
