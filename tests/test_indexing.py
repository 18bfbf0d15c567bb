"""``x[index]`` and ``x[index] = v`` read every index as PyTorch does (see Note [Indexing as
PyTorch reads it] in ``_ops/indexing.py``): shapes, values, contiguity, errors and gradients are
compared with torch over a generated set of index expressions mixing ints, slices, None,
Ellipsis, lists, integer and bool tensors, bool masks and Python bools, with the advanced items
adjacent and separated."""
import itertools
import random
import warnings

import numpy as np
import pytest

import pullback

torch = pytest.importorskip("torch")

SHAPE = (2, 3, 4)


def _items(lib):
    """The index items, built for ``lib`` (a tensor item is a tensor of that library)."""
    mask = np.array([True, False, True])
    return {
        "0": 0, "-1": -1, "1": 1,
        ":": slice(None), "1:": slice(1, None), "::2": slice(None, None, 2), "0:0": slice(0, 0),
        "None": None, "...": Ellipsis, "True": True, "False": False,
        "[1,0]": [1, 0], "[[0],[1]]": [[0], [1]], "[]": [], "[0,0]": [0, 0],
        "t[1,0]": lib.tensor([1, 0]), "t(1)": lib.tensor(1), "t32[0,1]": lib.tensor([0, 1], dtype=lib.int32),
        "t(True)": lib.tensor(True), "mask3": lib.tensor(mask), "mask2": lib.tensor([False, True]),
        "mask2x3": lib.tensor([[True, False, True], [False, False, True]]),
    }


_NAMES = list(_items(torch))


def _expressions():
    """Every index of one and two items, and a fixed sample of three-item ones. Indexes with two
    ellipses are left out: PyTorch moves its dim counter past the end for each one, which
    pullback follows only where that ends in a valid index."""
    singles = [(n,) for n in _NAMES]
    pairs = list(itertools.product(_NAMES, repeat=2))
    rng = random.Random(0)
    triples = [tuple(rng.choice(_NAMES) for _ in range(3)) for _ in range(250)]
    return [e for e in singles + pairs + triples if e.count("...") < 2]


def _index(lib, names):
    items = _items(lib)
    return tuple(items[n] for n in names)


def _base(lib, requires_grad=False):
    x = lib.arange(24.0, dtype=lib.float64).reshape(SHAPE)
    return x.requires_grad_() if requires_grad else x


def _outcome(fn):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return "ok", fn()
        except Exception as e:  # noqa: BLE001  (the exception is what is compared)
            return "raises", (type(e).__name__, str(e))


def _read(lib, names):
    x = _base(lib, requires_grad=True)
    out = x[_index(lib, names)]
    w = lib.arange(float(out.numel()), dtype=lib.float64).reshape(out.shape) + 1
    (out * w).sum().backward()
    return tuple(out.shape), out.detach().numpy().tolist(), out.is_contiguous(), x.grad.numpy().tolist()


def _write(lib, names):
    """Writes values computed from the selected positions themselves (so repeated positions get
    the same value, whatever order they are written in), with gradients to both sides."""
    x = _base(lib, requires_grad=True)
    index = _index(lib, names)
    with lib.no_grad():
        v = (x[index] * 10 + 1).clone()
    v.requires_grad_()
    y = x * 1
    y[index] = v
    w = lib.arange(24.0, dtype=lib.float64).reshape(SHAPE) + 1
    (y * w).sum().backward()
    return y.detach().numpy().tolist(), x.grad.numpy().tolist(), v.grad.numpy().tolist()


def _same(names, fn):
    expected = _outcome(lambda: fn(torch, names))
    actual = _outcome(lambda: fn(pullback, names))
    assert actual == expected, (names, actual, expected)


@pytest.mark.parametrize("names", _expressions(), ids=lambda n: " ".join(n))
def test_getitem_matches_torch(names):
    _same(names, _read)


@pytest.mark.parametrize("names", _expressions(), ids=lambda n: " ".join(n))
def test_setitem_matches_torch(names):
    _same(names, _write)


def test_an_int_beside_advanced_indices_is_a_basic_index():
    # NumPy moves the broadcast dims first here ((2, 3)); PyTorch selects first, then indexes.
    t = pullback.arange(24.0).reshape(2, 3, 4)
    assert t[0, :, [1, 2]].shape == (3, 2)
    assert t[-1, None, [2, 0]].shape == (1, 2, 4)
    assert t[0, :, [1, 2]].tolist() == [[1.0, 2.0], [5.0, 6.0], [9.0, 10.0]]


def test_advanced_results_are_contiguous_and_viewable():
    t = pullback.arange(24.0).reshape(2, 3, 4)
    for out in (t[:, [0, 2]], t[..., [3, 1]], t[[1, 0], :, [0, 1]], t[:, t[0, :, 0] > 0]):
        assert out.is_contiguous()
        assert out.view(-1).tolist() == out.reshape(-1).tolist()


def test_list_holding_sequences_reads_as_a_tuple_with_torch_warning():
    t = pullback.arange(24.0).reshape(2, 3, 4)
    with pytest.warns(UserWarning, match="non-tuple sequence for multidimensional indexing"):
        out = t[[[0, 1], [1, 2]]]
    assert out.tolist() == torch.arange(24.0).reshape(2, 3, 4)[(0, 1), (1, 2)].tolist()


def test_index_dtypes_follow_torch():
    t = pullback.arange(6.0)
    with pytest.raises(IndexError, match="tensors used as indices must be long, int, byte or bool tensors"):
        t[pullback.tensor([0, 1], dtype=pullback.int16)]
    with pytest.raises(IndexError, match="got float"):
        t[1.5]
    with pytest.warns(UserWarning, match="indexing with dtype torch.uint8 is now deprecated"):
        assert t[pullback.tensor([0, 1, 0, 0, 0, 1], dtype=pullback.uint8)].tolist() == [1.0, 5.0]


def test_zero_dim_integer_tensor_indexes_like_an_int():
    t = pullback.arange(24.0).reshape(2, 3, 4)
    expected = torch.arange(24.0).reshape(2, 3, 4)[torch.tensor(1), :, [0, 1]]
    assert t[pullback.tensor(1), :, [0, 1]].tolist() == expected.tolist()


@pytest.mark.parametrize("index", ["()", "None", "...", "True", "False", "0", "[0]", ":", "t(True)", "[True]"])
def test_zero_dim_tensor_indexing_matches_torch(index):
    def run(lib):
        items = {"t(True)": lib.tensor(True)}
        x = lib.tensor(3.0, dtype=lib.float64, requires_grad=True)
        ix = items.get(index) if index in items else eval(index.replace("...", "Ellipsis"))
        out = x[ix] if index != "()" else x[()]
        out.sum().backward()
        return tuple(out.shape), out.detach().numpy().tolist(), x.grad.item()
    _same_outcome(run)


def _same_outcome(run):
    expected, actual = _outcome(lambda: run(torch)), _outcome(lambda: run(pullback))
    assert actual == expected


@pytest.mark.parametrize("index", [(), (1,), (1, 2), (Ellipsis, 0)])
def test_element_index_is_a_view_like_torch(index):
    """An index selecting one element gives a 0-dim view: writing into it writes the base."""
    results = []
    for lib in (torch, pullback):
        base = lib.arange(6).reshape(2, 3) if len(index) == 2 and Ellipsis not in index else lib.arange(3)
        if index == ():
            base = lib.tensor(-2)
        element = base[index]
        element.add_(10)
        results.append((base.tolist(), element.item(), base._version))
    assert results[0] == results[1]


@pytest.mark.parametrize("index", [[0], [0, 1], (slice(None), [0])])
def test_advanced_setitem_of_another_dtype_is_refused_and_leaves_the_target(index):
    outcomes = []
    for lib in (torch, pullback):
        target = lib.tensor([[1, 2, 3]]).T.clone() if isinstance(index, tuple) else lib.tensor([1, 2, 3])
        value = lib.tensor([1.5], requires_grad=True)
        with pytest.raises(RuntimeError) as info:
            target[index] = value
        outcomes.append((str(info.value), target.tolist(), target.requires_grad))
    assert outcomes[0] == outcomes[1]


def test_setitem_through_a_mask_casts_the_value_like_torch():
    results = []
    for lib in (torch, pullback):
        target = lib.tensor([1, 2, 3])
        target[lib.tensor([True, False, True])] = lib.tensor([7.5])
        results.append(target.tolist())
    assert results[0] == results[1]


def test_basic_setitem_of_a_grad_value_into_an_integer_tensor_does_not_require_grad():
    outcomes = []
    for lib in (torch, pullback):
        target = lib.tensor([1, 2, 3])
        target[1:] = lib.tensor([1.5], requires_grad=True)
        outcomes.append((target.tolist(), target.requires_grad))
    assert outcomes[0] == outcomes[1]


@pytest.mark.parametrize("dtype", ["int64", "bool"])
def test_copy_of_a_grad_value_into_a_non_float_tensor_does_not_require_grad(dtype):
    outcomes = []
    for lib in (torch, pullback):
        target = lib.tensor([1, 0, 3], dtype=getattr(lib, dtype))
        target.copy_(lib.tensor([1.5], requires_grad=True))
        outcomes.append((target.tolist(), target.requires_grad))
    assert outcomes[0] == outcomes[1]


# ----------------------------------------------------------- errors, in torch's words and order
def _message(fn):
    """``(type name, message)`` of what ``fn`` raises (library names made alike), or ``"ok"`` and a summary."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            out = fn()
        except Exception as e:  # noqa: BLE001  (the exception is what is compared)
            return type(e).__name__, str(e).replace("pullback.", "torch.")
    return "ok", tuple(out.shape) if hasattr(out, "shape") else out


def _same_message(fn):
    expected, actual = _message(lambda: fn(torch)), _message(lambda: fn(pullback))
    assert actual == expected


_ERROR_SHAPES = [(), (0,), (3,), (2, 3), (0, 1, 3), (1, 0)]
_ERROR_INDEXES = [
    "x[::1]", "x[::-1]", "x[1:0:-1]", "x[0]", "x[5]", "x[-1]", "x[0, 0]", "x[0, 0, 0, 0]", "x[..., 0]", "x[None, 0]",
    "x[:, 5]", "x[0:1:-1, -1, :, -1]", "x[:, ::-1]", "x[1.0]", "x[0, 1.0]", "x[[0]]", "x[[5]]", "x[t.tensor([0, 1])]",
    "x[t.tensor(0)]", "x[False, 0]", "x[True, 5]", "x[[0], [0]]", "x[[0], [0], [0]]", "x[0, [0]]", "x[[0], 0]",
    "x[:, [0, 1], [0]]", "x[None, ..., None, 0]", "x[0, ..., 0]", "x[..., None, 0, 0]", "x[t.tensor([-4])]",
    "x[[0, 1, 2, 3]]", "x[[True, False]]", "x[t.tensor([[True, False]])]", "x[:, [5]]", "x[[1], [5]]",
]


@pytest.mark.parametrize("shape", _ERROR_SHAPES, ids=str)
@pytest.mark.parametrize("index", _ERROR_INDEXES)
def test_index_errors_match_torch(index, shape):
    """torch counts the indexed dims before it reads an item, names an int by its place in the
    index and an index array by its place among the arrays, refuses a non-empty index into an
    empty dim, and checks no bounds where the result is empty."""
    def read(lib):
        return eval(index, {"x": lib.zeros(shape, dtype=lib.float64), "t": lib})
    _same_message(read)


@pytest.mark.parametrize("requires_grad", [False, True])
@pytest.mark.parametrize("value", ["1.0", "t.ones(2)"])
@pytest.mark.parametrize("shape", _ERROR_SHAPES, ids=str)
@pytest.mark.parametrize("index", _ERROR_INDEXES)
def test_setitem_errors_match_torch(index, shape, value, requires_grad):
    """A write into a leaf that requires grad: torch indexes (and, for a plain write, checks the
    value's shape) before it refuses the leaf, naming 'a view of a leaf' where the index made a view."""
    def write(lib):
        x = lib.zeros(shape, dtype=lib.float64, requires_grad=requires_grad)
        exec(f"{index} = {value}", {"x": x, "t": lib})
        return x
    _same_message(write)


_WRITES = [  # (shape, index, value shape or number, target requires grad, value dtype)
    ((3, 2), ([5],), 1.0, True, "float64"), ((3, 2), ([1],), (3,), True, "float64"),
    ((3, 2), ([1],), (2,), True, "float32"), ((3, 2), ([1],), (2,), False, "float32"),
    ((3, 2), ([5],), (2,), False, "float32"), ((3, 2), ([1],), (3,), False, "int64"),
    ((3, 2), ([1],), (1, 3), False, "int64"), ((3, 2), ([1],), (1, 1, 2), False, "float64"),
    ((3, 2), ([5],), (3,), False, "float64"), ((3, 2), (0, [1]), 1.0, True, "float64"),
    ((3, 2), (5, [1]), 1.0, True, "float64"), ((3, 2), (0, [5]), 1.0, True, "float64"),
    ((3, 2), (slice(None),), 1.0, True, "float64"), ((3, 2), (slice(0, 2),), 1.0, True, "float64"),
    ((3, 2), slice(0, 2), (3,), True, "float64"), ((3, 2), slice(0, 2), (2,), True, "int64"),
    ((3, 0), ([5],), 1.0, False, "float64"), ((0, 3), ([0],), 1.0, False, "float64"),
    ((3, 2), True, 1.0, True, "float64"), ((3, 2), ([1], None), (2,), True, "float32"),
    ((3, 2), ([1], slice(None)), (2,), True, "float64"), ((3, 2), ([1], slice(0, 1)), (1,), True, "float64"),
    ((2, 3), (slice(None), [0, 1]), (1, 1, 2), False, "float64"), ((1,), [[False]], (1, 1), False, "float64"),
    ((), (), (1,), False, "float64"), ((1, 2, 4), (slice(None), slice(0, 0)), (1, 2, 4), False, "float64"),
    ((3, 2), ([0, 1],), (1, 2, 2), False, "float64"), ((3, 2), ([0, 1],), (2, 1, 2), False, "float64"),
    ((4,), slice(None), (1, 4, 1), False, "float64"), ((2, 2), (0,), (2, 2), True, "int64"),
    ((2, 2), (0,), (2, 2), True, "bool"), ((1, 4, 1), (slice(None), slice(None), 0), (4, 2, 1), False, "float64"),
]


@pytest.mark.parametrize("case", _WRITES, ids=str)
def test_setitem_checks_in_torch_order(case):
    """Index arrays: the leaf, then the value's shape, then its dtype, then the bounds; a value's
    leading ones are dropped before it is broadcast."""
    shape, index, value, requires_grad, dtype = case

    def write(lib):
        x = lib.zeros(shape, dtype=lib.float64, requires_grad=requires_grad)
        if requires_grad is False:
            x = x * 1
        v = lib.ones(value, dtype=getattr(lib, dtype)) if isinstance(value, tuple) else value
        x[index] = v
        return x
    _same_message(write)


def test_out_of_bounds_indices_that_select_nothing_read_and_write_nothing():
    """torch checks bounds as it fills the result: an empty result has no error, and its gradient is zero."""
    results = []
    for lib in (torch, pullback):
        x = lib.zeros((3, 0), dtype=lib.float64, requires_grad=True)
        out = x[[5, -7]]
        out.sum().backward()
        y = lib.zeros((3, 0))
        y[[5]] = 1.0
        results.append((tuple(out.shape), tuple(x.grad.shape), y.tolist()))
    assert results[0] == results[1]


@pytest.mark.parametrize("shape, dim, index", [
    ((3,), 0, [5]), ((3, 2), 0, [5]), ((3, 2), 1, [5, -1]), ((3, 0), 0, [5]), ((0, 1), 0, [0]), ((), 0, [5]),
])
def test_index_select_errors_match_torch(shape, dim, index):
    _same_message(lambda lib: lib.zeros(shape).index_select(dim, lib.tensor(index)))


@pytest.mark.parametrize("call", [
    "t.stack([t.zeros(2), t.zeros(3)], dim=5)",
    "t.cat([t.zeros(0, dtype=t.int64)] * 3, dim=-2)",
    "t.cat([t.zeros(0, dtype=t.int64), t.zeros(0)], dim=5).is_floating_point()",
    "t.cat([t.zeros(0), t.zeros(2, 3)], dim=5)",
    "t.zeros(2, 3, 1).expand(-1, 0, 1, 3, 1, 3)",
    "t.zeros(2, 3, 1).expand(1, -1, -1, 3, 1)",
    "t.zeros(2, dtype=t.bool).expand(())",
    "t.nn.functional.adaptive_avg_pool2d(t.zeros(2, 0, 3), (1, 1)).isnan().all().item()",
    "t.nn.functional.adaptive_avg_pool2d(t.zeros(5, 2, 0, 3), 1)",
    "t.nn.functional.adaptive_avg_pool2d(t.zeros(2, 0, 3), (2, 2))",
    "t.amin(t.zeros(0, 2), dim=-2)",
    "t.amax(t.zeros(0, 0), dim=(-1, 0))",
    "t.zeros(2, 0, dtype=t.int64) % 0",
    "t.zeros(2, 0, dtype=t.int64) // 0",
    "t.fmod(t.zeros(2, 0, dtype=t.int64), 0)",
    "t.zeros(2, 3, dtype=t.int64) % t.zeros(4, dtype=t.int64)",
    "t.ones(2, dtype=t.int64) % 0",
])
def test_check_order_and_empty_tensors_match_torch(call):
    """The dim before the sizes (stack), legacy empty tensors read no dim (cat), the last dim
    first (expand), a 1x1 adaptive pool is a mean (nan over nothing), a zero that divides nothing."""
    _same_message(lambda lib: eval(call, {"t": lib}))


@pytest.mark.parametrize("target_shape, index, value_shape", [((), (), (1,)), ((2, 3), 0, (1, 1, 3)),
                                                            ((2, 3), (slice(None), 1), (1, 2))])
def test_setitem_value_with_leading_ones_gets_its_gradient(target_shape, index, value_shape):
    torch = pytest.importorskip("torch")
    grads = []
    for m in (pullback, torch):
        x = m.zeros(target_shape, dtype=m.float64, requires_grad=True)
        v = m.ones(value_shape, dtype=m.float64, requires_grad=True)
        y = x * 1
        y[index] = v * 2
        (y * y).sum().backward()
        grads.append((x.grad.numpy(), v.grad.numpy()))
    for ours, theirs in zip(*grads):
        np.testing.assert_array_equal(ours, theirs)
