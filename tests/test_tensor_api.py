"""Tensor creation, dtypes and type promotion, metadata and conversions, against PyTorch's rules."""
import re
import math
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import pullback

try:
    import torch
except ImportError:
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed")

DTYPES = ["float16", "float32", "float64", "int64", "int32", "int8", "uint8", "bool"]


# ------------------------------------------------------------------ creation
def test_dtype_inference():
    assert pullback.tensor([1.0, 2]).dtype is pullback.float32
    assert pullback.tensor([1, 2]).dtype is pullback.int64
    assert pullback.tensor([True, False]).dtype is pullback.bool
    assert pullback.tensor(np.zeros(2)).dtype is pullback.float64
    assert pullback.tensor([[1, 2], [3, 4.5]]).dtype is pullback.float32
    assert pullback.tensor([pullback.tensor(1.0), pullback.tensor(2.0)]).tolist() == [1.0, 2.0]


def test_default_dtype():
    try:
        pullback.set_default_dtype(pullback.float64)
        assert pullback.tensor([1.0]).dtype is pullback.float64
        assert pullback.zeros(2).dtype is pullback.float64
        assert pullback.get_default_dtype() is pullback.float64
    finally:
        pullback.set_default_dtype(pullback.float32)
    with pytest.raises(TypeError):
        pullback.set_default_dtype(pullback.int64)


def test_from_numpy_and_as_tensor_share_memory():
    a = np.arange(3.0)
    t = pullback.from_numpy(a)
    a[0] = 9
    assert t[0].item() == 9 and t.dtype is pullback.float64
    u = pullback.as_tensor(a)
    u[1] = 7
    assert a[1] == 7
    c = pullback.tensor(a)
    c[2] = -1
    assert a[2] == 2  # tensor() copies
    with pytest.raises(TypeError, match="can't convert"):
        pullback.from_numpy(np.zeros(2, dtype=np.complex64))


def test_factories():
    assert pullback.zeros(2, 3).shape == (2, 3) == pullback.zeros((2, 3)).shape
    assert pullback.ones([4]).tolist() == [1.0] * 4
    assert pullback.full((2,), 7).dtype is pullback.int64
    assert pullback.full((2,), 7.0).dtype is pullback.float32
    assert pullback.empty(3).shape == (3,)
    assert pullback.arange(5).tolist() == [0, 1, 2, 3, 4]
    assert pullback.arange(1, 2, 0.25).tolist() == [1.0, 1.25, 1.5, 1.75]
    assert pullback.arange(0, 1, 0.25).dtype is pullback.float32
    assert pullback.linspace(0, 1, 5).tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert pullback.eye(2).tolist() == [[1.0, 0.0], [0.0, 1.0]]
    assert pullback.eye(2, 3).shape == (2, 3)
    x = pullback.ones(2, 3, dtype=pullback.float64)
    for like in (pullback.zeros_like, pullback.ones_like, pullback.empty_like, pullback.rand_like, pullback.randn_like):
        y = like(x)
        assert y.shape == x.shape and y.dtype is pullback.float64
    assert pullback.full_like(x, 3).tolist() == [[3.0] * 3] * 2
    r = pullback.randint(0, 5, (100,))
    assert r.dtype is pullback.int64 and 0 <= r.min().item() and r.max().item() < 5
    assert pullback.randint(3, (4,)).shape == (4,)
    assert pullback.rand(3, 2).dtype is pullback.float32
    n = pullback.normal(2.0, 0.5, size=(1000,))
    assert abs(n.mean().item() - 2.0) < 0.1
    assert pullback.normal(pullback.zeros(3), pullback.ones(3)).shape == (3,)
    assert pullback.zeros(2, requires_grad=True).requires_grad
    assert pullback.zeros(2, device="cpu").device.type == "cpu"
    with pytest.raises(RuntimeError, match="CPU only"):
        pullback.zeros(2, device="cuda")


def test_manual_seed_reproduces():
    pullback.manual_seed(123)
    a = pullback.randn(5)
    b = pullback.rand(2)
    pullback.manual_seed(123)
    assert pullback.randn(5).tolist() == a.tolist()
    assert pullback.rand(2).tolist() == b.tolist()


def test_cat_and_stack():
    a, b = pullback.tensor([[1, 2]]), pullback.tensor([[3, 4]])
    assert pullback.cat([a, b]).tolist() == [[1, 2], [3, 4]]
    assert pullback.cat((a, b), dim=1).tolist() == [[1, 2, 3, 4]]
    assert pullback.stack([a, b]).shape == (2, 1, 2)
    assert pullback.cat([pullback.tensor([1]), pullback.tensor([2.5])]).dtype is pullback.float32
    with pytest.raises(RuntimeError, match="stack expects each tensor to be equal size"):
        pullback.stack([pullback.zeros(2), pullback.zeros(3)])
    with pytest.raises(RuntimeError, match="Sizes of tensors must match except in dimension 0"):
        pullback.cat([pullback.zeros(2, 2), pullback.zeros(2, 3)])


# ------------------------------------------------------------- type promotion
def _sample(module, dtype_name, zero_dim):
    d = getattr(module, dtype_name)
    return module.ones(() if zero_dim else (2,), dtype=d)


@needs_torch
@settings(max_examples=300, deadline=None)
@given(st.sampled_from(DTYPES), st.sampled_from(DTYPES + ["int", "float", "bool_scalar"]),
       st.booleans(), st.booleans(), st.sampled_from(["add", "mul", "div", "sub", "maximum", "eq", "pow"]))
def test_type_promotion_matches_torch(da, db, a_zero, b_zero, op):
    def operand(module, name, zero):
        if name == "int":
            return 2
        if name == "float":
            return 2.5
        if name == "bool_scalar":
            return True
        return _sample(module, name, zero)

    def run(module):
        a, b = _sample(module, da, a_zero), operand(module, db, b_zero)
        if op == "sub" and (da == "bool" or db in ("bool", "bool_scalar")):
            return "error"
        if op == "maximum" and not hasattr(b, "shape"):
            return "skip"
        try:
            return str(getattr(module, op)(a, b).dtype).split(".")[1]
        except (RuntimeError, TypeError):
            return "error"
    ours, theirs = run(pullback), run(torch)
    if "skip" in (ours, theirs) or theirs == "error":
        return
    assert ours == theirs


def test_promotion_examples():
    f = pullback.ones(2)
    assert (f * 2.0).dtype is pullback.float32
    assert (pullback.tensor([1, 2]) / 2).dtype is pullback.float32
    assert (pullback.tensor([1, 2]) * 2.5).dtype is pullback.float32
    assert (f * pullback.tensor(1.0, dtype=pullback.float64)).dtype is pullback.float32
    assert (f * pullback.ones(2, dtype=pullback.float64)).dtype is pullback.float64
    assert (pullback.tensor([True]) + 1).dtype is pullback.int64


# --------------------------------------------------------------- metadata
def test_metadata_and_conversions():
    x = pullback.arange(6.0).reshape(2, 3)
    assert isinstance(x.shape, pullback.Size) and x.size() == (2, 3) and x.size(1) == 3 and x.size(-1) == 3
    assert x.dim() == x.ndim == 2 and x.numel() == 6 and len(x) == 2
    assert x.T.shape == (3, 2) and x.mT.shape == (3, 2) and x.t().shape == (3, 2)
    assert x[1, 2].item() == 5.0 and x.tolist() == [[0, 1, 2], [3, 4, 5]]
    assert [row.tolist() for row in x] == [[0, 1, 2], [3, 4, 5]]
    assert float(x[0, 1]) == 1.0 and int(x[1, 1]) == 4
    assert [10, 20, 30][pullback.tensor(1)] == 20
    assert bool(pullback.tensor([1.0])) and not bool(pullback.tensor(0))
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(x)
    with pytest.raises(RuntimeError, match="a Tensor with 6 elements cannot be converted to Scalar"):
        x.item()
    assert x.is_floating_point() and not pullback.tensor([1]).is_floating_point()
    assert x.numpy().shape == (2, 3) and x.is_contiguous() and not x.t().is_contiguous()
    assert x.t().contiguous().is_contiguous()
    y = x.clone()
    y.zero_()
    assert x.sum().item() == 15 and y.sum().item() == 0
    y.fill_(2)
    assert y.tolist() == [[2.0] * 3] * 2
    y.copy_(pullback.tensor([1.0, 2.0, 3.0]))
    assert y.tolist() == [[1, 2, 3], [1, 2, 3]]
    assert x.to(pullback.float64).dtype is pullback.float64 and x.double().dtype is pullback.float64
    assert x.long().dtype is pullback.int64 and x.int().dtype is pullback.int32 and x.bool().dtype is pullback.bool
    assert x.half().float().dtype is pullback.float32
    assert x.type_as(pullback.tensor([1])).dtype is pullback.int64
    assert x.to("cpu") is x and x.float() is x
    assert x.type() == "pullback.FloatTensor"
    assert x.view(3, 2).shape == (3, 2) and x.reshape(-1).shape == (6,)
    with pytest.raises(RuntimeError, match="view size is not compatible"):
        x.t().view(6)
    with pytest.raises(RuntimeError, match=r"shape '\[4, -1\]' is invalid for input of size 6"):
        x.reshape(4, -1)


def test_indexing_errors_name_the_dimension():
    x = pullback.zeros(3)
    with pytest.raises(IndexError, match="index 5 is out of bounds for dimension 0 with size 3"):
        x[5]
    with pytest.raises(IndexError, match="Dimension out of range"):
        x.sum(2)


# ------------------------------------------------- shape method signatures (torch's)
_SIGNATURE_CASES = {
    "flip_varargs": lambda m, x: x.flip(0, 1),
    "flip_list": lambda m, x: x.flip([1]),
    "flip_function_tuple": lambda m, x: m.flip(x, (0, -1)),
    "flip_function_int": lambda m, x: m.flip(x, 0),
    "flip_repeated_dim": lambda m, x: x.flip(0, -2),
    "where_method_tensor": lambda m, x: x.where(x > 0, m.zeros(2, 3, dtype=m.float64)),
    "where_method_number": lambda m, x: x.where(x > 0, 5.0),
    "where_method_keywords": lambda m, x: x.where(condition=x < 0, other=-x),
    "sum_to_size_varargs": lambda m, x: x.sum_to_size(1, 3),
    "sum_to_size_tuple": lambda m, x: x.sum_to_size((2, 1)),
    "sum_to_size_same": lambda m, x: x.sum_to_size(2, 3) * 2,
    "sum_to_size_leading": lambda m, x: x.sum_to_size(3),
    "sum_to_size_bad": lambda m, x: x.sum_to_size(2),
    "unfold": lambda m, x: x.unfold(1, 2, 1),
    "unfold_step": lambda m, x: x.unfold(-1, 1, 2),
    "unfold_rows": lambda m, x: x.unfold(0, 2, 1),
    "unfold_empty_window": lambda m, x: x.unfold(1, 0, 1),
    "unfold_too_big": lambda m, x: x.unfold(1, 4, 1),
    "unfold_bad_step": lambda m, x: x.unfold(1, 2, 0),
    "unfold_0dim": lambda m, x: x.sum().unfold(0, 1, 1),
}


@needs_torch
@pytest.mark.parametrize("case", sorted(_SIGNATURE_CASES))
def test_shape_method_signatures_match_torch(case):
    a = np.random.default_rng(0).standard_normal((2, 3))

    def run(m):
        x = m.tensor(a, dtype=m.float64, requires_grad=True)
        try:
            out = _SIGNATURE_CASES[case](m, x)
        except Exception as e:  # noqa: BLE001  (the exception is what is compared)
            return type(e).__name__, str(e)
        w = m.tensor(np.arange(1.0, 1.0 + out.numel()).reshape(tuple(out.shape)), dtype=m.float64)
        (out * w).sum().backward()
        return tuple(out.shape), out.detach().numpy().tolist(), x.grad.numpy().tolist()

    assert run(pullback) == run(torch)


def test_unfold_is_a_writable_view_with_second_order_gradients():
    x = pullback.arange(6.0)
    x.unfold(0, 2, 2)[1, 0] = 100.0
    assert x.tolist() == [0.0, 1.0, 100.0, 3.0, 4.0, 5.0]
    a = pullback.tensor(np.random.default_rng(1).standard_normal((3, 5)), requires_grad=True)
    for size, step in [(2, 1), (3, 2), (1, 3)]:
        assert pullback.autograd.gradcheck(lambda t: t.unfold(1, size, step) ** 2, (a,))
        assert pullback.autograd.gradgradcheck(lambda t: t.unfold(1, size, step) ** 2, (a,))


def test_functions_reject_non_tensors():
    with pytest.raises(TypeError, match=r"sin\(\): argument 'input' \(position 1\) must be Tensor, not list"):
        pullback.sin([1.0, 2.0])
    with pytest.raises(TypeError):
        pullback.ones(2) + [1, 2]
    assert (pullback.ones(2) + np.ones(2)).tolist() == [2.0, 2.0]  # a NumPy array is a constant operand


def test_max_returns_named_tuple():
    t = pullback.tensor([[1, 5], [7, 2]])
    r = t.max(dim=1)
    assert r.values.tolist() == [5, 7] and r.indices.tolist() == [1, 0]
    values, indices = t.min(0)
    assert values.tolist() == [1, 2] and indices.tolist() == [0, 1]
    assert repr(r) == "pullback.return_types.max(\nvalues=tensor([5, 7]),\nindices=tensor([1, 0]))"
    assert t.max().item() == 7 and pullback.max(t, pullback.tensor(6)).tolist() == [[6, 6], [7, 6]]


# ------------------------------------------------------ broadcasting gradients
@needs_torch
@settings(max_examples=60, deadline=None)
@given(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3),
       st.sampled_from(["add", "sub", "mul", "div", "maximum", "atan2", "where"]),
       st.sampled_from(["float32", "float64"]))
def test_broadcast_gradients_match_torch(shapes, op, dtype):
    rng = np.random.default_rng(0)
    a = rng.uniform(0.5, 2, shapes.input_shapes[0])
    b = rng.uniform(0.5, 2, shapes.input_shapes[1])

    def run(m):
        x = m.tensor(a, dtype=getattr(m, dtype), requires_grad=True)
        y = m.tensor(b, dtype=getattr(m, dtype), requires_grad=True)
        out = m.where(x > 1, x, y) if op == "where" else getattr(m, op)(x, y)
        (out * out).sum().backward()
        return out.detach().numpy(), x.grad.numpy(), y.grad.numpy()

    tol = 1e-5 if dtype == "float32" else 1e-12
    for ours, theirs in zip(run(pullback), run(torch)):
        assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
        np.testing.assert_allclose(ours, theirs, rtol=tol, atol=tol)


# ------------------------------------------------- errors and legacy types, against torch
def _raised(make):
    """``make()``'s exception as (type name, message), or ('ok', its value as a list)."""
    try:
        value = make()
    except Exception as e:  # noqa: BLE001  (the exception is what is compared)
        return type(e).__name__, str(e)
    return "ok", value.tolist() if hasattr(value, "tolist") else value


@needs_torch
@pytest.mark.parametrize("a, b", [((2,), (3,)), ((2, 3), (3, 2)), ((4, 2, 3), (5, 3)), ((5, 3), (4, 2, 3)),
                                  ((2, 1, 3), (4, 5)), ((3,), (2, 4)), ((0,), (2,)), ((2, 5), (3, 5))])
@pytest.mark.parametrize("op", ["add", "mul", "eq", "maximum", "logical_and", "bitwise_and", "where", "lerp"])
def test_broadcast_errors_match_torch(a, b, op):
    def make(lib):
        x, y = lib.ones(a, dtype=lib.int64), lib.ones(b, dtype=lib.int64)
        if op == "where":
            return lambda: lib.where(x > 0, x, y)
        if op == "lerp":
            return lambda: lib.lerp(x.double(), x.double(), y.double())
        return lambda: getattr(lib, op)(x, y)
    assert _raised(make(pullback)) == _raised(make(torch))


@needs_torch
@pytest.mark.parametrize("make", [
    lambda t: t.FloatTensor(2, 3).shape, lambda t: t.FloatTensor([1, 2]), lambda t: t.FloatTensor(),
    lambda t: t.DoubleTensor(t.Size([2])).shape, lambda t: t.LongTensor([1.7, -2.5]), lambda t: t.IntTensor([1, 2]),
    lambda t: t.BoolTensor([1, 0]), lambda t: t.ByteTensor([1, 2]), lambda t: t.FloatTensor("a"),
    lambda t: t.FloatTensor(2.5), lambda t: t.tensor([1, 2]).type(t.FloatTensor),
    lambda t: t.tensor([1, 2]).type("torch.DoubleTensor"), lambda t: t.tensor([1, 2]).type("foo"),
    lambda t: [isinstance(t.ones(1), t.FloatTensor), isinstance(t.ones(1), t.LongTensor),
               isinstance(t.tensor([1]), t.LongTensor), isinstance(1.0, t.FloatTensor)],
    lambda t: t.tensor([[1], [2, 3]]), lambda t: t.tensor([[1, 2], 3]), lambda t: t.tensor([1, [2]]),
    lambda t: t.tensor([1.0, [2]]),
])
def test_legacy_types_and_constructors_match_torch(make):
    ours, theirs = _raised(lambda: make(pullback)), _raised(lambda: make(torch))
    assert ours[0] == theirs[0]
    if ours[0] == "ok":
        assert ours[1] == theirs[1]
    elif "invalid type" not in ours[1]:  # PyTorch's ValueError quotes the name its own way
        assert ours[1] == theirs[1]


def test_legacy_type_names():
    x = pullback.tensor([1, 2])
    assert x.type() == "pullback.LongTensor" and x.float().type() == "pullback.FloatTensor"
    assert x.type("pullback.FloatTensor").dtype is pullback.float32
    assert type(pullback.FloatTensor(2)) is pullback.Tensor and pullback.FloatTensor.dtype is pullback.float32


@needs_torch
@pytest.mark.parametrize("make", [
    lambda t: t.atan2(t.ones(2), 2), lambda t: t.maximum(2, t.ones(2)), lambda t: t.eq(2, t.ones(2)),
    lambda t: t.fmod(2, t.ones(2)), lambda t: t.rsub(2, t.ones(2)), lambda t: t.clamp_min(2, t.ones(2)),
    lambda t: t.Tensor.__radd__(2, t.ones(2)), lambda t: t.Tensor.__rmul__(2, 3),
    lambda t: t.isclose(t.ones(2), t.ones(2), rtol=-1), lambda t: t.isclose(t.ones(2), t.ones(2).double()),
    lambda t: t.allclose(t.ones(2), 1.0), lambda t: -t.tensor([True]), lambda t: t.sign(t.tensor([True, False])),
    lambda t: t.tensor([2, -1, 1, 0]) ** t.tensor([-1, -3, -2, 2]), lambda t: t.tensor([-1, 1]) ** t.tensor(-3),
    lambda t: t.tensor([2]) ** -1, lambda t: 2 - t.ones(2), lambda t: 2 * t.ones(2),
])
def test_operand_errors_match_torch(make):
    ours, theirs = _raised(lambda: make(pullback)), _raised(lambda: make(torch))
    assert ours[0] == theirs[0]
    if ours[0] == "ok":
        assert ours[1] == theirs[1]
    elif "descriptor" not in ours[1]:  # PyTorch names its C base class
        assert ours[1] == theirs[1]


@needs_torch
@pytest.mark.parametrize("make", [
    lambda t: t.arange(0.1, 2.9, dtype=t.int64), lambda t: t.arange(2.1, -2.9, -1.0, dtype=t.int64),
    lambda t: t.arange(0, -3, 2), lambda t: t.arange(0, float("inf")), lambda t: t.arange(0, 3, 0.5, dtype=t.int64),
    lambda t: t.linspace(4.3, -3, 50, dtype=t.int64), lambda t: t.linspace(0, 3, -1),
    lambda t: t.logspace(0, 1.2, 4, dtype=t.int64), lambda t: t.logspace(1.5, 3, 1, dtype=t.int64),
    lambda t: t.logspace(0, 2, 3, base=5.0, dtype=t.int64), lambda t: t.eye(2, -1),
    lambda t: t.multinomial(t.tensor([1.0, -1.0]), 1, True), lambda t: t.multinomial(t.tensor([[[1.0]]]), 1),
    lambda t: t.multinomial(t.tensor([1.0, 1.0]), 3), lambda t: t.zeros(3).normal_(0, -1),
    lambda t: t.bernoulli(t.tensor([0.5, 2.0])), lambda t: t.multinomial(t.tensor([1.0, 0.0, 0.0]), 2)[0],
])
def test_creation_matches_torch(make):
    assert _raised(lambda: make(pullback)) == _raised(lambda: make(torch))

NUMPY_NAMES = [
    ("sum", {"axis": 0, "keepdims": True}), ("mean", {"axis": (0, 1)}), ("prod", {"axis": 1, "keepdims": True}),
    ("nansum", {"axis": 1}), ("amax", {"axis": 0, "keepdims": True}), ("amin", {"axis": -1}),
    ("argmax", {"axis": 1}), ("logsumexp", {"axis": 0}), ("cumsum", {"axis": 1}), ("cumprod", {"axis": 0}),
    ("all", {"axis": 1}), ("any", {"axis": 0, "keepdims": True}), ("var", {"axis": 0}), ("std", {"axis": 1}),
    ("count_nonzero", {"axis": 0}), ("sum", {"axis": 1, "keepdim": True}), ("cumsum", {"keepdims": True, "axis": 0}),
    ("sum", {"axis": 0, "dim": 1}), ("sum", {"axes": 0}),
]


@pytest.mark.parametrize("name,kwargs", NUMPY_NAMES, ids=[f"{n}-{'-'.join(k)}" for n, k in NUMPY_NAMES])
def test_reductions_take_numpy_names_as_torch(name, kwargs):
    """``axis=`` for ``dim=`` and ``keepdims=`` for ``keepdim=``, where torch takes them."""
    torch = pytest.importorskip("torch")
    values = [[1.0, -2.0, 0.0], [3.0, 0.5, -1.0]]

    def outcome(lib):
        try:
            r = getattr(lib.tensor(values), name)(**kwargs)
        except Exception as e:  # noqa: BLE001  (the exception is what is compared)
            return type(e).__name__
        r = r.values if isinstance(r, tuple) else r
        return str(r.dtype).split(".")[-1], tuple(r.shape), np.round(np.asarray(r.tolist(), dtype=float), 5).tolist()
    assert outcome(pullback) == outcome(torch)


ZERO_DIM_REDUCTIONS = [
    ("sum", (0,), {}), ("sum", ([0, -1],), {}), ("sum", (1,), {}), ("mean", (-1,), {"keepdim": True}),
    ("prod", (0,), {"keepdim": True}), ("amax", ((),), {}), ("amin", ([0],), {}), ("logsumexp", (0,), {}),
    ("cumsum", (0,), {}), ("cumprod", (-1,), {}), ("max", (0,), {"keepdim": True}), ("min", (-1,), {}),
    ("argmax", (0,), {}), ("all", (0,), {}), ("count_nonzero", (0,), {}), ("norm", (2, 0), {}),
    ("std", (0,), {"correction": 0}),
]


@pytest.mark.parametrize("name,args,kwargs", ZERO_DIM_REDUCTIONS, ids=[f"{n}-{a}" for n, a, _ in ZERO_DIM_REDUCTIONS])
def test_reductions_of_zero_dim_tensors_match_torch(name, args, kwargs):
    """A 0-dim tensor takes dim 0 and -1 and gives a 0-dim result (values and gradient)."""
    torch = pytest.importorskip("torch")

    def outcome(lib):
        x = lib.tensor(-1.5, dtype=lib.float64, requires_grad=True)
        try:
            r = getattr(x, name)(*args, **kwargs)
        except Exception as e:  # noqa: BLE001
            return type(e).__name__, str(e)
        r = r[0] if isinstance(r, tuple) else r
        grad = lib.autograd.grad(r, x)[0].item() if r.requires_grad else None
        return str(r.dtype).split(".")[-1], tuple(r.shape), r.item(), grad
    assert outcome(pullback) == outcome(torch)


EMPTY_REDUCTIONS = [
    ("argmax", (), {}, (0, 3)), ("argmax", (0,), {}, (0, 3)), ("argmin", (), {}, (0, 3)), ("argmin", (1,), {}, (0, 3)),
    ("var", (), {}, (0, 3)), ("std", (1,), {}, (0, 3)), ("std", (), {}, (1,)), ("var", (), {}, (1,)),
    ("std", (), {"correction": 0}, (1,)), ("logsumexp", (0,), {}, (0, 3)), ("logsumexp", (1,), {}, (0, 3)),
    ("prod", (), {}, (0, 0)), ("prod", (0,), {}, (0, 3)),
]


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("name,args,kwargs,shape", EMPTY_REDUCTIONS,
                         ids=[f"{n}-{a}-{k}-{s}" for n, a, k, s in EMPTY_REDUCTIONS])
def test_reductions_over_no_elements_match_torch(name, args, kwargs, shape):
    """Reductions over empty dims (or with no degrees of freedom left): torch's errors, values and gradients."""
    torch = pytest.importorskip("torch")

    def outcome(lib):
        x = lib.ones(shape, dtype=lib.float64, requires_grad=True)
        try:
            r = getattr(x, name)(*args, **kwargs)
        except Exception as e:  # noqa: BLE001  (the exception is what is compared)
            return type(e).__name__, str(e)
        grad = lib.autograd.grad(r.sum(), x)[0] if r.requires_grad else None
        listed = lambda t: None if t is None else (tuple(t.shape), str(t.detach().tolist()))  # noqa: E731
        return listed(r), listed(grad)
    assert outcome(pullback) == outcome(torch)


@pytest.mark.parametrize("name,shapes", [("outer", [(2, 3), (2,)]), ("outer", [(2,), (2, 3)]), ("outer", [(), (2,)]),
                                         ("mv", [(2, 3), (2,)]), ("mv", [(2, 3), (2, 3)]), ("mv", [(2,), (2,)])])
def test_products_refuse_shapes_as_torch(name, shapes):
    torch = pytest.importorskip("torch")

    def error(lib):
        with pytest.raises(Exception) as info:
            getattr(lib, name)(*(lib.ones(s) for s in shapes))
        return type(info.value).__name__, str(info.value)
    assert error(pullback) == error(torch)


def test_prod_keepdim_without_dim_is_refused_as_torch():
    """torch has no prod over all dims that keeps them (pullback used to drop keepdim silently)."""
    torch = pytest.importorskip("torch")

    def error(lib):
        with pytest.raises(TypeError) as info:
            lib.prod(lib.ones(2, 3), keepdim=True)
        return str(info.value)
    assert error(pullback) == error(torch)


def test_nuclear_norm_matches_torch():
    torch = pytest.importorskip("torch")
    a = np.random.default_rng(0).standard_normal((2, 4, 3))
    for dim in [(1, 2), (0, 2), (2, 1)]:
        x, tx = pullback.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
        r, tr = pullback.norm(x, "nuc", dim=dim, keepdim=True), torch.norm(tx, "nuc", dim=dim, keepdim=True)
        np.testing.assert_allclose(r.detach().numpy(), tr.detach().numpy())
        np.testing.assert_allclose(pullback.autograd.grad(r.sum(), x)[0].numpy(),
                                   torch.autograd.grad(tr.sum(), tx)[0].numpy())
    f = lambda m: pullback.norm(m, "nuc")  # noqa: E731
    m = pullback.tensor(a[0], requires_grad=True)
    assert pullback.autograd.gradcheck(f, (m,)) and pullback.autograd.gradgradcheck(f, (m,))
    batched = pullback.func.vmap(f)(x)
    np.testing.assert_allclose(batched.detach().numpy(), [f(m).item() for m in x])


def test_casts_to_int_and_bool_do_not_require_grad():
    torch = pytest.importorskip("torch")
    for name in ("bool", "long", "int", "float", "double"):
        x = pullback.randn(3, requires_grad=True)
        assert getattr(x, name)().requires_grad == getattr(torch.randn(3, requires_grad=True), name)().requires_grad
    assert not pullback.randn(3, requires_grad=True).to(pullback.int64).requires_grad


def test_remainder_floor_divide_fmod_float_values_match_torch():
    torch = pytest.importorskip("torch")
    import itertools
    values = [0.0, -0.0, 1.0, -1.0, 1.5, -0.1, 0.1, 3.0, -7.0, math.inf, -math.inf, math.nan, 0.3]
    a, b = zip(*itertools.product(values, values))
    for name in ("remainder", "fmod", "floor_divide"):
        expected = getattr(torch, name)(torch.tensor(a), torch.tensor(b)).numpy()
        got = getattr(pullback, name)(pullback.tensor(a), pullback.tensor(b)).numpy()
        np.testing.assert_array_equal(got, expected)
        numbers = ~np.isnan(expected)  # the sign of zeros too; a NaN's sign bit is not a value
        np.testing.assert_array_equal(np.signbit(got[numbers]), np.signbit(expected[numbers]))


def test_integer_division_by_zero_raises_like_torch():
    torch = pytest.importorskip("torch")
    calls = [lambda m: m.remainder(m.tensor(0), m.tensor(0)), lambda m: m.tensor([3]) // 0,
             lambda m: m.fmod(m.tensor([3]), 0), lambda m: 7 % m.tensor([0])]
    for call in calls:
        with pytest.raises(RuntimeError, match="ZeroDivisionError"):
            call(torch)
        with pytest.raises(RuntimeError, match="ZeroDivisionError"):
            call(pullback)


def test_floor_divide_has_no_derivative_like_torch():
    torch = pytest.importorskip("torch")
    for lib in (torch, pullback):
        x = lib.tensor([2.0, 5.0], requires_grad=True)
        quotient = 1.5 // x
        assert quotient.requires_grad
        np.testing.assert_array_equal(quotient.detach().numpy(), [0.0, 0.0])
        with pytest.raises(RuntimeError, match=r"derivative for aten::floor_divide is not implemented"):
            lib.autograd.grad((x // 1.5).sum(), x)


def test_sign_of_nan_and_negative_sizes_like_torch():
    torch = pytest.importorskip("torch")
    assert pullback.sign(pullback.tensor(math.nan)).item() == torch.sign(torch.tensor(math.nan)).item()
    values = [math.nan, -0.0, 0.0, -2.0, math.inf]
    for dtype in ("float64", "float32"):
        np.testing.assert_array_equal(pullback.sign(pullback.tensor(values, dtype=getattr(pullback, dtype))).numpy(),
                                      torch.sign(torch.tensor(values, dtype=getattr(torch, dtype))).numpy())
    for name in ("empty", "zeros", "ones", "rand", "randn"):
        with pytest.raises(RuntimeError) as expected:
            getattr(torch, name)(-1, 3)
        with pytest.raises(RuntimeError, match=re.escape(str(expected.value))):
            getattr(pullback, name)(-1, 3)
    with pytest.raises(RuntimeError, match=re.escape("negative dimension -1: [-1, 3]")):
        pullback.full((-1, 3), 1.0)


@pytest.mark.parametrize("op", ["__and__", "__or__", "__xor__"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_bitwise_ops_refuse_floats_like_torch(op, dtype):
    torch = pytest.importorskip("torch")
    with pytest.raises(NotImplementedError) as expected:
        getattr(torch.ones(2, dtype=getattr(torch, dtype)), op)(torch.ones(2, dtype=torch.int64))
    with pytest.raises(NotImplementedError, match=re.escape(str(expected.value))):
        getattr(pullback.ones(2, dtype=getattr(pullback, dtype)), op)(pullback.ones(2, dtype=pullback.int64))

@pytest.mark.parametrize("make", [lambda lib: lib.zeros(1, 3).expand(1, 3), lambda lib: lib.zeros(3).expand(1, 1, 3),
                                  lambda lib: lib.broadcast_to(lib.zeros(3, 1), (3, 1)),
                                  lambda lib: lib.zeros(3, 1).expand(3, 4)])
def test_inplace_on_expanded_tensor_refused_only_where_elements_alias(make):
    """torch refuses in-place writes to an expand/broadcast_to result only where a stride-0
    dimension repeats an element (size above 1)."""
    torch = pytest.importorskip("torch")
    outcomes = []
    for lib in (torch, pullback):
        expanded = make(lib)
        try:
            outcomes.append(expanded.add_(1).tolist())
        except RuntimeError as e:
            outcomes.append(str(e))
    assert outcomes[0] == outcomes[1]


@pytest.mark.parametrize("call", [lambda lib: lib.zeros(2, 3).permute(), lambda lib: lib.tensor(1.0).expand(),
                                  lambda lib: lib.zeros(3).mT,
                                  lambda lib: [c.shape for c in lib.zeros(0, 3).chunk(2)],
                                  lambda lib: [c.shape for c in lib.zeros(3, 0).chunk(3, 1)]])
def test_shape_method_edge_cases_like_torch(call):
    torch = pytest.importorskip("torch")
    outcomes = []
    for lib in (torch, pullback):
        try:
            outcomes.append([tuple(s) for s in call(lib)])
        except (TypeError, RuntimeError) as e:
            outcomes.append((type(e), str(e)))
    assert outcomes[0] == outcomes[1]


@needs_torch
@pytest.mark.parametrize("a, b", [((3,), (2,)), ((2, 3), (4, 3)), ((2, 3), (2, 4)), ((1,), (3,)),
                                  ((2, 1, 3), (5, 3)), ((2, 3), (3,))])
def test_copy_shape_errors_match_torch(a, b):
    def make(lib):
        return lambda: lib.zeros(a).copy_(lib.ones(b))
    assert _raised(make(pullback)) == _raised(make(torch))


def test_broadcast_tensors_mismatch_raises_torchs_error():
    torch = pytest.importorskip("torch")
    for m in (torch, pullback):
        with pytest.raises(RuntimeError, match=r"The size of tensor a \(3\) must match the size of tensor b \(4\) "
                                               r"at non-singleton dimension 1"):
            m.broadcast_tensors(m.ones(2, 3), m.ones(4))
    a, b = pullback.broadcast_tensors(pullback.ones(2, 1), pullback.ones(3))
    assert tuple(a.shape) == tuple(b.shape) == (2, 3)
