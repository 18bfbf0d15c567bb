"""``out=`` keyword arguments behave as PyTorch's: written in place, resized, dtype-checked, and
refused where they would overlap an input or hide a gradient."""
import warnings

import numpy as np
import pytest

import pullback

torch = pytest.importorskip("torch")


def _outcome(lib, make):
    """What ``make(lib)`` does: ('ok', out values, out is the result, warned) or the exception."""
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        try:
            out, result = make(lib)
        except Exception as e:  # noqa: BLE001  (the exception is what is compared)
            return type(e).__name__, str(e)
    return "ok", np.asarray(out.tolist()).tolist(), out.dtype == result.dtype, result is out, len(seen)


CASES = {
    "into_fresh": lambda t: (lambda o: (o, t.add(t.tensor([1.0, 2.0]), 1, out=o)))(t.empty(2)),
    "into_input": lambda t: (lambda x: (x, t.add(x, 1, out=x)))(t.tensor([1.0, 2.0])),
    "resized_warns": lambda t: (lambda o: (o, t.mul(t.tensor([1.0, 2.0, 3.0]), 2, out=o)))(t.empty(2)),
    "empty_resized_silently": lambda t: (lambda o: (o, t.sub(t.tensor([1.0, 2.0]), 1, out=o)))(t.empty(0)),
    "int_into_float": lambda t: (lambda o: (o, t.add(t.tensor([1, 2]), 1, out=o)))(t.empty(2)),
    "float_into_int": lambda t: (lambda o: (o, t.add(t.tensor([1.0, 2.0]), 1, out=o)))(t.empty(2, dtype=t.int64)),
    "partial_overlap": lambda t: (lambda x: (x, t.add(x[:3], 1, out=x[1:])))(t.arange(4.0)),
    "not_a_tensor": lambda t: ([], t.add(t.tensor([1.0]), 1, out=[0.0])),
    "requires_grad": lambda t: (lambda o: (o, t.add(t.ones(2, requires_grad=True), 1, out=o)))(t.empty(2)),
    "requires_grad_no_grad": lambda t: (lambda o: (o, _no_grad(t, lambda: t.add(t.ones(2, requires_grad=True), 1,
                                                                               out=o))))(t.empty(2)),
    # reductions and products
    "sum_dim": lambda t: (lambda o: (o, t.sum(t.tensor([[1.0, 2.0], [3.0, 4.0]]), 1, out=o)))(t.empty(2)),
    "mean_resized": lambda t: (lambda o: (o, t.mean(t.tensor([[1.0, 2.0], [3.0, 4.0]]), 0, out=o)))(t.empty(3)),
    "prod_int_into_float": lambda t: (lambda o: (o, t.prod(t.tensor([[1, 2], [3, 4]]), 0, out=o)))(t.empty(2)),
    "cumsum": lambda t: (lambda o: (o, t.cumsum(t.tensor([1.0, 2.0, 3.0]), 0, out=o)))(t.empty(3)),
    "amax_dtype_must_match": lambda t: (lambda o: (o, t.amax(t.tensor([1.0, 2.0]), 0, out=o)))(
        t.empty((), dtype=t.float64)),
    "logsumexp": lambda t: (lambda o: (o, t.logsumexp(t.tensor([1.0, 2.0]), 0, out=o)))(t.empty(())),
    "all": lambda t: (lambda o: (o, t.all(t.tensor([[True, False], [True, True]]), 1, out=o)))(
        t.empty(2, dtype=t.bool)),
    "matmul": lambda t: (lambda o: (o, t.matmul(t.ones(2, 3), t.ones(3, 2), out=o)))(t.empty(2, 2)),
    "dot": lambda t: (lambda o: (o, t.dot(t.tensor([1.0, 2.0]), t.tensor([3.0, 4.0]), out=o)))(t.empty(())),
    "inner": lambda t: (lambda o: (o, t.inner(t.ones(2, 3), t.ones(4, 3), out=o)))(t.empty(2, 4)),
}


def test_max_dim_out_takes_values_and_indices():
    for lib in (pullback, torch):
        values, indices = lib.empty(2), lib.empty(2, dtype=lib.int64)
        result = lib.max(lib.tensor([[1.0, 5.0], [7.0, 2.0]]), 1, out=(values, indices))
        assert result.values is values and result.indices is indices
        assert values.tolist() == [5.0, 7.0] and indices.tolist() == [1, 0]


def _no_grad(t, fn):
    with t.no_grad():
        return fn()


@pytest.mark.parametrize("case", sorted(CASES))
def test_out_matches_torch(case):
    assert _outcome(pullback, CASES[case]) == _outcome(torch, CASES[case])


def test_out_bumps_the_version():
    out = pullback.empty(2)
    before = out._version
    pullback.add(pullback.tensor([1.0, 2.0]), 1, out=out)
    assert out._version > before


def test_expanded_out_is_refused_as_in_torch():
    for lib in (pullback, torch):
        out = lib.zeros(1).expand(3)
        with pytest.raises(RuntimeError, match="more than one element of the written-to tensor refers to a single "
                                               "memory location"):
            lib.add(lib.ones(3), 1, out=out)


@pytest.mark.parametrize("make", [
    lambda t, o: t.arange(3, out=o), lambda t, o: t.linspace(0, 1, 3, out=o), lambda t, o: t.eye(2, out=o),
    lambda t, o: t.logspace(0, 1, 3, out=o), lambda t, o: t.atan2(t.ones(2).double(), t.ones(2).double(), out=o),
    lambda t, o: t.maximum(t.ones(2), t.zeros(2), out=o), lambda t, o: t.eq(t.ones(2), 1, out=o),
])
def test_creation_and_elementwise_out_match_torch(make):
    def outcome(lib):
        out = lib.empty(0, dtype=lib.float64)
        result = make(lib, out)
        return result is out, out.dtype == lib.float64, np.asarray(out.tolist()).tolist()
    assert outcome(pullback) == outcome(torch)

# Ops that read their inputs while they write (cat, gather, index_select, masked_select) refuse
# an out= that shares any memory with an input, even all of it; some want out's exact dtype.
def _aliased(t, fn):
    x = t.arange(6.0)
    return x, fn(t, x)


GATHERING_CASES = {
    "cat_fresh": lambda t: (lambda o: (o, t.cat([t.ones(2), t.zeros(1)], out=o)))(t.empty(3)),
    "cat_into_input": lambda t: _aliased(t, lambda t, x: t.cat([x, x], out=x)),
    "cat_into_part_of_input": lambda t: (lambda x: (x, t.cat([x[:2], x[2:4]], out=x[4:])))(t.zeros(8)),
    "cat_into_expanded": lambda t: (lambda o: (o, t.cat([t.ones(2, 2), t.ones(1, 2)], out=o)))(
        t.empty(1, 2).expand(3, 2)),
    "cat_float_into_int": lambda t: (lambda o: (o, t.cat([t.ones(2)], out=o)))(t.empty(2, dtype=t.int64)),
    "cat_int_into_float": lambda t: (lambda o: (o, t.cat([t.ones(2, dtype=t.int64)], out=o)))(t.empty(2)),
    "gather_fresh": lambda t: (lambda o: (o, t.gather(t.arange(6.0), 0, t.tensor([5, 0]), out=o)))(t.empty(2)),
    "gather_into_input": lambda t: _aliased(t, lambda t, x: t.gather(x, 0, t.tensor([5, 0, 1, 2, 3, 4]), out=x)),
    "gather_wrong_dtype": lambda t: (lambda o: (o, t.gather(t.arange(6.0), 0, t.tensor([1]), out=o)))(
        t.empty(1, dtype=t.float64)),
    "index_select_into_input": lambda t: _aliased(t, lambda t, x: t.index_select(x, 0, t.tensor([5, 4, 3, 2, 1, 0]),
                                                                                out=x)),
    "index_select_wrong_dtype": lambda t: (lambda o: (o, t.index_select(t.arange(6.0), 0, t.tensor([1]), out=o)))(
        t.empty(1, dtype=t.float64)),
    "masked_select_fresh": lambda t: (lambda o: (o, t.masked_select(t.arange(4.0), t.tensor([True, False, True, True]),
                                                                    out=o)))(t.empty(0)),
    "masked_select_into_input": lambda t: _aliased(t, lambda t, x: t.masked_select(x, x > 1, out=x)),
    "scatter_fresh": lambda t: (lambda o: (o, t.scatter(t.zeros(3), 0, t.tensor([2]), 5.0, out=o)))(t.empty(3)),
    "scatter_add_fresh": lambda t: (lambda o: (o, t.scatter_add(t.zeros(3), 0, t.tensor([2, 2]), t.ones(2), out=o)))(
        t.empty(3)),
    "nonzero_fresh": lambda t: (lambda o: (o, t.nonzero(t.tensor([0, 3, 0, 4]), out=o)))(t.empty(0, dtype=t.int64)),
    "nonzero_wrong_dtype": lambda t: (lambda o: (o, t.nonzero(t.tensor([0, 3]), out=o)))(t.empty(0, dtype=t.int32)),
}


@pytest.mark.parametrize("case", sorted(GATHERING_CASES))
def test_gathering_out_matches_torch(case):
    assert _outcome(pullback, GATHERING_CASES[case]) == _outcome(torch, GATHERING_CASES[case])
