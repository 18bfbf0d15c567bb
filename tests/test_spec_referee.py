"""The float64 referee of the spec tests (``spec_referee``): a float32 result that differs from
torch's beyond torch's tolerance is accepted when it is no less accurate than torch's against the
float64 truth, and rejected when it is clearly worse. Each case builds both float32 results from a
float64 truth with controlled errors."""
import numpy as np
import pytest

import spec_referee as R
import torch_spec as S

pytestmark = pytest.mark.skipif(not S.HAVE_TORCH, reason="the oracle extra (torch, expecttest) is not installed")


def _truth_and_torch(n=200, torch_error=4e-5):
    """A float64 truth of size ~10 and torch's float32 result, off by ``torch_error`` at 3 elements
    (as a float32 GEMM summed in another order is)."""
    truth = np.random.default_rng(0).uniform(-10, 10, n)
    theirs = truth.copy()
    theirs[[3, 50, 120]] += [torch_error, -torch_error, torch_error]
    return truth, theirs.astype(np.float32)


def _with_error(truth, error, at):
    ours = truth.copy()
    ours[at] += error
    return ours.astype(np.float32)


def _torch(*arrays):
    return [S.torch.from_numpy(a) for a in arrays]


def test_accepts_a_result_as_accurate_as_torchs():
    truth, theirs = _truth_and_torch()
    ours = _with_error(truth, -4e-5, [3, 7])  # as far from the truth as torch, elsewhere
    a, t, r = _torch(ours, theirs, truth)
    with pytest.raises(AssertionError):  # torch's float32 tolerance alone rejects it
        S.torch.testing.assert_close(a, t)
    assert R.verdict(a, t, r) is None
    assert R.verdict(ours, theirs, truth) is None  # NumPy arrays (gradients) alike
    S.assert_same(a, t, reference=S.Reference(lambda: r))  # the harness's comparison passes
    S.assert_same_gradients([ours], [theirs], reference=S.Reference(lambda: [truth]))


def test_accepts_up_to_twice_torchs_error_plus_tolerance():
    truth, theirs = _truth_and_torch(torch_error=4e-5)
    rtol, atol = R.TOLERANCES["float32"]
    at = int(np.argmin(np.abs(truth)))
    edge = 2 * 4e-5 + atol + rtol * abs(truth[at])
    assert R.verdict(_with_error(truth, 0.9 * edge, at), theirs, truth) is None
    assert R.verdict(_with_error(truth, 1.2 * edge, at), theirs, truth) is not None


def test_rejects_a_clearly_worse_result():
    truth, theirs = _truth_and_torch()
    ours = _with_error(truth, 1e-3, [10])  # 25 times torch's error
    a, t, r = _torch(ours, theirs, truth)
    problem = R.verdict(a, t, r)
    assert problem is not None and "pullback's error against float64 is 0.001" in problem
    with pytest.raises(AssertionError, match="float64 referee"):
        S.assert_same(a, t, reference=S.Reference(lambda: r))
    with pytest.raises(AssertionError, match="float64 referee"):
        S.assert_same_gradients([ours], [theirs], reference=S.Reference(lambda: [truth]))


def test_nonfinite_values_must_sit_where_the_truths_do():
    truth, theirs = _truth_and_torch()
    truth[5], theirs[5] = np.nan, np.nan
    truth[6], theirs[6] = np.inf, np.inf
    ours = _with_error(truth, -4e-5, [3])
    assert R.verdict(ours, theirs, truth) is None
    for at, value in ((7, np.nan), (7, np.inf), (6, -np.inf), (5, 1.0)):
        wrong = ours.copy()
        wrong[at] = value
        assert R.verdict(wrong, theirs, truth) is not None, (at, value)


def test_the_original_failure_stands_without_a_float64_rerun():
    truth, theirs = _truth_and_torch()
    a, t, r = _torch(_with_error(truth, -4e-5, [3]), theirs, truth)

    def impossible():
        raise RuntimeError("no float64 kernel")

    with pytest.raises(AssertionError, match="no float64 rerun"):
        S.assert_same(a, t, reference=S.Reference(impossible))
    with pytest.raises(AssertionError, match="no float64 reference"):  # the rerun is not float64
        S.assert_same(a, t, reference=S.Reference(lambda: r.float()))
    with pytest.raises(AssertionError, match="not close"):  # no referee at all
        S.assert_same(a, t)


def test_float64_and_integer_results_are_not_refereed():
    truth, theirs = _truth_and_torch()
    a, t, r = _torch(_with_error(truth, -4e-5, [3]).astype(np.float64), theirs.astype(np.float64), truth)
    with pytest.raises(AssertionError, match="not close"):
        S.assert_same(a, t, reference=S.Reference(lambda: r))
    ints = S.torch.tensor([1, 2, 3])
    with pytest.raises(AssertionError):
        S.assert_same(ints + 1, ints, reference=S.Reference(lambda: ints.double()))


def test_the_float64_rerun_upcasts_the_samples_values_exactly():
    x = S.torch.tensor([0.1, 1 / 3], dtype=S.torch.float32, requires_grad=True)
    index = S.torch.tensor([1, 0])
    (y, i), kwargs = S.as_float64(((x, index), {"scale": 2.0}))
    assert y.dtype == S.torch.float64 and y.requires_grad and y.is_leaf
    assert np.array_equal(y.detach().numpy(), x.detach().numpy().astype(np.float64))
    assert i.dtype == S.torch.int64 and kwargs == {"scale": 2.0}
