"""Dims on 0-dim tensors, empty dim tuples, shape errors of matmul and its kernels, and broadcasting
errors: each case runs in pullback and in torch, which must give the same result or raise the same
exception with the same message."""
import warnings

import numpy as np
import pytest

import pullback

torch = pytest.importorskip("torch")


def _run(lib, source):
    """``source`` evaluated with ``torch`` bound to ``lib``: ('ok', value) or ('error', type name, message)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return ("ok", eval(source, {"torch": lib, "F": lib.nn.functional}))  # noqa: S307
        except Exception as e:  # noqa: BLE001 - the exception is what is compared
            return ("error", type(e).__name__, str(e).replace("pullback.", "torch."))


def _as_arrays(value):
    if isinstance(value, (tuple, list)):
        return [_as_arrays(v) for v in value]
    return value.detach().numpy(), str(value.dtype).split(".")[-1]


def assert_like_torch(source):
    expected, actual = _run(torch, source), _run(pullback, source)
    if expected[0] == "error":
        assert actual == expected
        return
    assert actual[0] == "ok", actual
    e, a = _as_arrays(expected[1]), _as_arrays(actual[1])
    for (ea, ed), (aa, ad) in zip(e if isinstance(e, list) else [e], a if isinstance(a, list) else [a]):
        assert ad == ed and aa.shape == ea.shape
        np.testing.assert_allclose(aa, ea, rtol=1e-6, atol=1e-6)


MATMUL_CASES = [
    # n-D @ 1-D folds the batch dims into mv's rows
    "torch.ones(2, 3) @ torch.ones(2)",
    "torch.ones(4, 2, 3) @ torch.ones(2)",
    "torch.ones(0, 2, 3) @ torch.ones(2)",
    "torch.ones(2, 3, 1).matmul(torch.ones(2))",
    # n-D @ 2-D folds them into mm's rows; 1-D @ 2-D is one row
    "torch.ones(4, 2, 3) @ torch.ones(2, 3)",
    "torch.ones(2, 0, 3) @ torch.ones(2, 2)",
    "torch.ones(3) @ torch.ones(2, 4)",
    # everything else runs bmm over the broadcast batch dims
    "torch.ones(3) @ torch.ones(6, 5, 2, 4)",
    "torch.ones(5, 1, 2, 3) @ torch.ones(6, 2, 4)",
    "torch.ones(2, 3) @ torch.ones(0, 2, 2)",
    "torch.ones(5, 2, 2, 3) @ torch.ones(6, 3, 4)",
    "torch.ones(4, 3, 2) @ torch.ones(5, 2, 3)",
    "torch.ones(0, 2, 3) @ torch.ones(3, 2, 2)",
    "torch.ones(5, 1, 2, 3) @ torch.ones(6, 3, 4)",
    # dtypes, after the shapes, in each kernel's words
    "torch.ones(2) @ torch.ones(3).double()",
    "torch.ones(3, 2) @ torch.ones(2).double()",
    "torch.ones(3, 2).double() @ torch.ones(3)",
    "torch.ones(4, 3, 2) @ torch.ones(2, 2, dtype=torch.int64)",
    "torch.ones(2, dtype=torch.float16) @ torch.ones(2, 3)",
    "torch.ones(2) @ torch.ones(4, 2, 3).double()",
    "torch.ones(4, 2, 3) @ torch.ones(4, 2, 3).double()",
    "torch.ones(4, 2, 3) @ torch.ones(5, 3, 3).double()",
    # bmm does not broadcast; mv reads a 0-dim matrix's rows first
    "torch.bmm(torch.ones(3, 2, 2), torch.ones(4, 2, 2))",
    "torch.bmm(torch.ones(3, 2, 2), torch.ones(4, 3, 2))",
    "torch.ones(3, 2, 2).bmm(torch.ones(3, 2, 2).double())",
    "torch.bmm(torch.ones(3, 2, 2), torch.ones(3, 2, 4))",
    "torch.mv(torch.tensor(2.0), torch.tensor([1.0, 2.0]))",
    "torch.mv(torch.tensor(2.0), torch.tensor(2.0))",
    "torch.mv(torch.ones(2, 3), torch.tensor(2.0))",
    "torch.mv(torch.ones(3, 2), torch.ones(3).double())",
    "torch.mv(torch.ones(3, 2), torch.ones(2).double())",
    "torch.mm(torch.ones(3, 2), torch.ones(2, 2).double())",
]


@pytest.mark.parametrize("source", MATMUL_CASES)
def test_matmul_shape_and_dtype_errors(source):
    assert_like_torch(source)


EMPTY_DIM_CASES = [
    # all/any reduce no dim for dim=(): each element's truth
    "torch.tensor([[-1.0, 0.0], [2.0, 3.0]]).any(dim=())",
    "torch.all(torch.tensor([0.0, 2.0]), dim=[], keepdim=True)",
    "torch.zeros(0, 2).all(dim=())",
    "torch.tensor(0.0).any(dim=())",
    # the other reductions reduce every dim
    "torch.tensor([[-1.0, 0.5], [2.0, 3.0]]).sum(dim=())",
    "torch.tensor([[-1.0, 0.5], [2.0, 3.0]]).amax(dim=(), keepdim=True)",
    "torch.tensor([[-1.0, 0.5], [2.0, 3.0]]).mean(dim=[])",
    # logsumexp over dim=() fails in torch unless keepdim, a 0-dim input or no elements
    "torch.tensor([[-1.0, 0.5], [2.0, 3.0]]).logsumexp(dim=())",
    "torch.logsumexp(torch.tensor([-1.0, 0.5]), dim=[])",
    "torch.tensor([[-1.0, 0.5], [2.0, 3.0]]).logsumexp(dim=(), keepdim=True)",
    "torch.tensor(1.5).logsumexp(dim=())",
    "torch.zeros(0, 2).logsumexp(dim=())",
]


@pytest.mark.parametrize("source", EMPTY_DIM_CASES)
def test_empty_dim_tuple(source):
    assert_like_torch(source)


ZERO_DIM_CASES = [
    "torch.tensor(2.0).unbind(-1)",
    "torch.tensor(2.0).unbind(0)",
    "torch.tensor(2.0).roll(1, -1)",
    "torch.tensor(2.0).flatten(1, -1)",
    "torch.tensor(2.0).flatten(0, -2)",
    "torch.flatten(torch.tensor(2.0), -1, 0)",
    "torch.tensor(2.0).softmax(-1)",
    "F.log_softmax(torch.tensor(2.0), dim=0)",
    "torch.take_along_dim(torch.tensor(3), torch.tensor(0), dim=-1)",
    "torch.take_along_dim(torch.tensor(2.0), torch.tensor([0, 0]), 0)",
    "torch.take_along_dim(torch.tensor(2.0), torch.tensor(0))",
    "F.layer_norm(torch.tensor(2.0), ())",
    "F.layer_norm(torch.tensor(2.0), (1,))",
    "F.layer_norm(torch.tensor(2.0), (1, 1))",
]


@pytest.mark.parametrize("source", ZERO_DIM_CASES)
def test_dims_of_zero_dim_tensors(source):
    assert_like_torch(source)


SHAPE_CHECK_CASES = [
    # take_along_dim: same ranks first, then every dim but `dim` broadcasts
    "torch.take_along_dim(torch.ones(2, 3), torch.tensor([0]), 1)",
    "torch.take_along_dim(torch.ones(2, 3), torch.tensor([0]), 5)",
    "torch.take_along_dim(torch.ones(2, 3), torch.tensor([[[0]]]), 1)",
    "torch.take_along_dim(torch.ones(2, 3), torch.tensor([[0], [1], [0]]), 1)",
    "torch.take_along_dim(torch.ones(2, 3), torch.tensor([[0, 1]]), 0)",
    "torch.take_along_dim(torch.ones(2, 1), torch.tensor([[0], [1]]).expand(2, 3), 0)",
    # masked_select names the mask first
    "torch.masked_select(torch.ones(3), torch.zeros(3, 0, 2, dtype=torch.bool))",
    # bitwise ops on floats: the shapes are checked before the dtype
    "torch.zeros(3, 0, 2).bitwise_xor(torch.ones(2, 1, 2))",
    # copy_ into a leaf that requires grad is refused before the shapes are compared
    "torch.tensor(1.5, requires_grad=True).copy_(torch.zeros(0))",
    "torch.ones(2, requires_grad=True)[0:1].copy_(torch.ones(3))",
    # layer_norm: normalized_shape, then weight and bias, then the input's trailing dims
    "F.layer_norm(torch.ones(2, 3), (2,))",
    "F.layer_norm(torch.ones(2, 3), (1, 2, 3))",
    "F.layer_norm(torch.ones(2, 3), (3,), weight=torch.ones(1, 3))",
    "F.layer_norm(torch.ones(2, 3), (2,), weight=torch.ones(4))",
    "F.layer_norm(torch.ones(2, 3), (3,), weight=torch.ones(3), bias=torch.ones(3, 1))",
    "F.layer_norm(torch.ones(2, 3), 3)",
    "F.layer_norm(torch.ones(2, 3), [3.0])",
    "F.layer_norm(torch.ones(2, 3, dtype=torch.int64), (3,))",
    "F.layer_norm(torch.tensor([[1.0, 3.0], [2.0, 5.0]]), torch.Size([2]), torch.tensor([0.5, 2.0]))",
]


@pytest.mark.parametrize("source", SHAPE_CHECK_CASES)
def test_shape_checks(source):
    assert_like_torch(source)


def test_mT_of_a_zero_dim_tensor_is_the_tensor():
    for lib in (torch, pullback):
        x = lib.tensor(0.5, requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert x.mT is x
            with pytest.raises(RuntimeError, match="^a leaf Variable that requires grad"):
                x.mT.relu_()


@pytest.mark.parametrize("name", ["var", "std"])
def test_spread_over_empty_dim_tuple_has_the_true_derivative(name):
    # torch divides its derivative by N - correction with N = 1 for dim=() (the forward divides by
    # the element count): pullback keeps the derivative of the value it computes, which is the
    # full reduction's, and checks it against finite differences.
    data = np.array([[0.3, -1.2, 2.0], [0.7, 1.1, -0.4]])
    x = pullback.tensor(data, requires_grad=True)
    y = getattr(pullback, name)(x, dim=(), correction=0)
    y.backward()
    t = torch.tensor(data, requires_grad=True)
    full = getattr(torch, name)(t, correction=0)  # torch's full reduction: the same value
    full.backward()
    assert np.isclose(y.item(), full.item())
    eps, numeric = 1e-6, np.zeros_like(data)
    for i in np.ndindex(data.shape):
        up, down = data.copy(), data.copy()
        up[i] += eps
        down[i] -= eps
        numeric[i] = (getattr(np, name)(up) - getattr(np, name)(down)) / (2 * eps)
    np.testing.assert_allclose(x.grad.numpy(), numeric, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-12)


def test_matmul_errors_do_not_touch_the_common_path():
    # the fitting cases still compute, batched and broadcast (values against torch)
    for source in ["torch.ones(5, 1, 2, 3) @ torch.ones(6, 3, 4)", "torch.ones(3) @ torch.ones(4, 3, 2)",
                   "torch.ones(4, 2, 3) @ torch.ones(3)", "torch.bmm(torch.ones(3, 2, 2), torch.ones(3, 2, 4))",
                   "torch.mv(torch.ones(2, 3), torch.ones(3))", "torch.ones(3) @ torch.ones(3)"]:
        assert_like_torch(source)


def test_inplace_result_that_does_not_fit_a_view():
    # the other operand broadcasts the view to a larger shape: torch's shape error, not NumPy's
    for lib in (torch, pullback):
        x = lib.tensor(1.31, dtype=lib.float64, requires_grad=True)
        view = x.sin().view((-1,))
        with pytest.raises(RuntimeError, match=r"^output with shape \[1\] doesn't match the broadcast shape "
                                               r"\[0, 1, 2\]$"):
            view.sub_(lib.zeros((0, 1, 2)))


def test_second_derivative_through_an_empty_index_write():
    # t[()] = v on a 0-dim tensor, differentiated twice (the advanced getitem of the derivative
    # keeps a 0-dim cotangent 0-dim): against torch
    results = []
    for lib in (torch, pullback):
        v0 = lib.tensor(-2.93, dtype=lib.float64, requires_grad=True)
        v1 = lib.tensor(1.9, dtype=lib.float64, requires_grad=True)
        v2 = lib.gather(v1, -1, lib.tensor(0))
        v2[()] = v0
        out = lib.nn.functional.logsigmoid(v2)
        g0, g1 = lib.autograd.grad([out], [v0, v1], [lib.tensor(0.5, dtype=lib.float64)], create_graph=True)
        second = lib.autograd.grad([g0 * 1.3], [v0, v1], allow_unused=True)
        results.append([g0.item(), g1.item()] + [0.0 if s is None else s.item() for s in second])
    np.testing.assert_allclose(results[1], results[0], rtol=1e-12)


def test_cat_promotes_over_skipped_legacy_empty_tensors():
    torch = pytest.importorskip("torch")
    for first, second in [("int", "empty_float"), ("empty_float", "int"), ("float32", "empty_float")]:
        make = {"int": lambda m: m.tensor([0, 1]), "empty_float": lambda m: m.tensor([0.0], dtype=m.float64)[:0],
                "float32": lambda m: m.tensor([1.5, 2.0])}
        ours = pullback.cat([make[first](pullback), make[second](pullback)])
        theirs = torch.cat([make[first](torch), make[second](torch)])
        assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


EMPTY_INF_NORM_CASES = [
    "torch.zeros(4, 1, 0).norm(p=float('inf'))",
    "torch.zeros(4, 1, 0).norm(p=-float('inf'), dim=2)",
    "torch.zeros(4, 1, 0).norm(p=float('inf'), dim=(0, 2))",
    "torch.zeros(4, 1, 0).norm(p=float('inf'), dim=0)",
]


@pytest.mark.parametrize("source", EMPTY_INF_NORM_CASES)
def test_inf_norm_of_no_elements(source):
    assert_like_torch(source)


@pytest.mark.parametrize("shape, dim", [((0,), None), ((2, 0), 1), ((2, 0, 3), (-2, -1))])
def test_mean_of_no_elements_is_nan_without_a_warning(shape, dim):
    torch = pytest.importorskip("torch")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ours = pullback.zeros(shape).mean() if dim is None else pullback.zeros(shape).mean(dim)
    theirs = torch.zeros(shape).mean() if dim is None else torch.zeros(shape).mean(dim)
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize("source", ["torch.norm(torch.zeros(0, 0), p=float('inf'), dim=-1)",
                                    "torch.zeros(3, 0).norm(p=-float('inf'), dim=(-1,))"])
def test_inf_norm_names_the_empty_dim_as_written(source):
    assert_like_torch(source)
