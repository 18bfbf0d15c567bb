"""The public API table (@public): exports, methods and in-place variants come from the
declarations, and each in-place variant does what torch's does."""
import numpy as np
import pytest

import pullback
from pullback._ops import _api


def test_every_declared_export_and_method_is_installed():
    for name, fn in _api.EXPORTS.items():
        assert getattr(pullback, name) is fn, name
    for name, fn in _api.METHODS.items():
        assert getattr(pullback.Tensor, name) is fn, name
    for name in _api.INPLACE:
        assert callable(getattr(pullback.Tensor, name)), name


def test_a_name_cannot_be_declared_twice():
    def neg(input):
        return input
    with pytest.raises(ValueError, match="declared public twice"):
        _api.public(("neg",))(neg)


def test_the_names_match_torch():
    torch = pytest.importorskip("torch")
    assert [n for n in _api.INPLACE if not hasattr(torch.Tensor, n)] == []
    assert [n for n in _api.METHODS if not hasattr(torch.Tensor, n)] == ["rsub"]  # kept for old programs
    assert [n for n in _api.EXPORTS if not hasattr(torch, n)] == ["softplus"]
    for space, table in _api.NAMESPACES.items():
        assert [n for n in table if not hasattr(getattr(torch, space), n)] == [], space


def test_a_dotted_name_is_exported_from_its_submodule_only():
    def _solve_twice(A, B):
        """A test function."""
    try:
        _api.public(("linalg._solve_twice", "special._solve_twice"))(_solve_twice)
        assert _api.NAMESPACES["linalg"]["_solve_twice"] is _solve_twice
        assert _api.NAMESPACES["special"]["_solve_twice"] is _solve_twice
        assert "_solve_twice" not in _api.EXPORTS and "_solve_twice" not in _api.METHODS
    finally:
        _api.NAMESPACES["linalg"].pop("_solve_twice", None)
        _api.NAMESPACES["special"].pop("_solve_twice", None)


FLOAT_INPLACE = ["absolute_", "acos_", "arccos_", "arcsin_", "arctan_", "asin_", "atan_", "cosh_", "sinh_", "frac_",
                 "log10_", "negative_", "eq_", "ne_", "lt_", "le_", "gt_", "ge_", "greater_", "greater_equal_",
                 "less_", "less_equal_", "not_equal_", "logical_and_", "logical_or_", "logical_xor_", "arctan2_"]
INT_INPLACE = ["bitwise_and_", "bitwise_or_", "bitwise_xor_", "bitwise_not_"]


@pytest.mark.parametrize("name", FLOAT_INPLACE + INT_INPLACE)
def test_inplace_variant_matches_torch(name):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    if name in INT_INPLACE:
        a, b = rng.integers(-5, 5, (2, 3)), rng.integers(-5, 5, (2, 3))
    else:
        a, b = rng.uniform(-0.9, 0.9, (2, 3)), rng.uniform(-0.9, 0.9, (2, 3))
        b[0, 0] = a[0, 0]  # a tie for the comparisons
    unary = name in ("absolute_", "acos_", "arccos_", "arcsin_", "arctan_", "asin_", "atan_", "cosh_", "sinh_",
                     "frac_", "log10_", "negative_", "bitwise_not_")
    if name == "log10_":
        a = np.abs(a) + 0.1
    ours, theirs = pullback.tensor(a), torch.tensor(a)
    args = () if unary else ((pullback.tensor(b),), (torch.tensor(b),))
    r_ours = getattr(ours, name)(*(args[0] if args else ()))
    r_theirs = getattr(theirs, name)(*(args[1] if args else ()))
    assert r_ours is ours
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12, atol=0)
    assert r_theirs is theirs


def test_inplace_variant_records_its_gradient():
    torch = pytest.importorskip("torch")
    x0 = np.array([0.1, -0.2, 0.3])
    x, xt = pullback.tensor(x0, requires_grad=True), torch.tensor(x0, requires_grad=True)
    y, yt = x * 2, xt * 2
    y.asin_(), yt.asin_()
    y.sum().backward(), yt.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-12)
    assert y.grad_fn.name() == yt.grad_fn.name()
