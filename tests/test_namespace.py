"""The rest of torch's top-level namespace (pullback/_namespace.py), against torch: the functional
in-place forms, aliases, predicates, the old window functions and the process-wide settings."""
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import pullback
from pullback._namespace import IN_PLACE_METHODS

rng = np.random.default_rng(0)
POSITIVE_BELOW_ONE = rng.uniform(0.1, 0.9, (3, 4))
EXTRA_ARGUMENTS = {"clamp_": (0.2, 0.5), "clamp_max_": (0.5,), "clamp_min_": (0.5,), "clip_": (0.2, 0.5),
                   "fill_": (3.0,), "ldexp_": "tensor", "xlogy_": "tensor", "nan_to_num_": ()}
SKIPPED = {"addmv_", "gcd_", "lcm_", "index_put_", "detach_"}   # other argument kinds: tested below


def assert_same_error(call, kind=RuntimeError):
    """``call(torch)`` and ``call(pullback)`` raise the same exception type with the same message."""
    with pytest.raises(kind) as theirs:
        call(torch)
    with pytest.raises(type(theirs.value)) as ours:
        call(pullback)
    assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize("name", sorted(set(IN_PLACE_METHODS) - SKIPPED))
def test_in_place_functions_match_torch(name):
    ours, theirs = pullback.tensor(POSITIVE_BELOW_ONE), torch.tensor(POSITIVE_BELOW_ONE)
    extra = EXTRA_ARGUMENTS.get(name, ())
    if extra == "tensor":
        ours_extra, theirs_extra = (pullback.tensor(POSITIVE_BELOW_ONE),), (torch.tensor(POSITIVE_BELOW_ONE),)
    else:
        ours_extra = theirs_extra = extra
    result = getattr(pullback, name)(ours, *ours_extra)
    getattr(torch, name)(theirs, *theirs_extra)
    assert result is ours
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-14, atol=1e-15)


def test_in_place_functions_with_other_arguments():
    a, b = np.array([12, 18, 7]), np.array([8, 24, 21])
    for name in ("gcd_", "lcm_"):
        ours, theirs = pullback.tensor(a), torch.tensor(a)
        getattr(pullback, name)(ours, pullback.tensor(b))
        getattr(torch, name)(theirs, torch.tensor(b))
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    m, v = rng.standard_normal((3, 4)), rng.standard_normal(4)
    ours, theirs = pullback.tensor(np.ones(3)), torch.tensor(np.ones(3))
    pullback.addmv_(ours, pullback.tensor(m), pullback.tensor(v))
    torch.addmv_(theirs, torch.tensor(m), torch.tensor(v))
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-14)
    ours = pullback.zeros(4)
    pullback.index_put_(ours, (pullback.tensor([1, 3]),), pullback.tensor(5.0))
    assert ours.tolist() == [0.0, 5.0, 0.0, 5.0]
    x = pullback.ones(2, requires_grad=True) * 2
    assert pullback.detach_(x) is x and not x.requires_grad


def test_every_in_place_function_is_torchs():
    for name in IN_PLACE_METHODS:
        assert callable(getattr(torch, name)), name


def test_aliases_and_views_match_torch():
    x = rng.standard_normal((2, 3, 4)) * 3
    checks = [("fix", lambda m, t: m.fix(t)), ("row_stack", lambda m, t: m.row_stack([t[0], t[1]])),
              ("select", lambda m, t: m.select(t, 1, 2)), ("adjoint", lambda m, t: m.adjoint(t))]
    for name, call in checks:
        np.testing.assert_array_equal(call(pullback, pullback.tensor(x)).numpy(), call(torch, torch.tensor(x)).numpy(),
                                      err_msg=name)
    ours = pullback.tensor(x)
    pullback.fix_(ours)
    np.testing.assert_array_equal(ours.numpy(), np.trunc(x))
    view = pullback.adjoint(ours)
    view[0, 0, 0] = 100.0
    assert ours[0, 0, 0].item() == 100.0   # a view, as torch's
    with pytest.raises(RuntimeError, match=r"^tensor.adjoint\(\) is only supported on matrices or batches of "
                                           r"matrices. Got 1-D tensor.$"):
        pullback.adjoint(pullback.ones(3))


def test_chain_matmul_warns_and_multiplies_as_torch():
    mats = [rng.standard_normal(s) for s in ((2, 3), (3, 4), (4, 2))]
    with pytest.warns(UserWarning, match="torch.chain_matmul is deprecated"):
        ours = pullback.chain_matmul(*[pullback.tensor(m) for m in mats])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = torch.chain_matmul(*[torch.tensor(m) for m in mats])
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-13)


@pytest.mark.parametrize("values", [[0.0], [2.5], [[0]], [True]])
def test_is_nonzero_matches_torch(values):
    assert pullback.is_nonzero(pullback.tensor(values)) == torch.is_nonzero(torch.tensor(values))


@pytest.mark.parametrize("values", [[1.0, 2.0], []])
def test_is_nonzero_errors_match_torch(values):
    assert_same_error(lambda m: m.is_nonzero(m.tensor(values)))


def test_predicates_match_torch():
    for dtype in ("float32", "int64", "uint8", "bool", "int8"):
        ours, theirs = pullback.ones(2, dtype=getattr(pullback, dtype)), torch.ones(2, dtype=getattr(torch, dtype))
        for name in ("is_signed", "is_complex", "is_conj", "is_neg"):
            assert getattr(pullback, name)(ours) == getattr(torch, name)(theirs), (name, dtype)
    assert pullback.is_same_size(pullback.ones(2, 3), pullback.zeros(2, 3))
    assert not pullback.is_same_size(pullback.ones(2, 3), pullback.zeros(3, 2))
    assert pullback.typename(3) == torch.typename(3) == "int"
    assert pullback.typename(pullback.ones(2, dtype=pullback.int64)) == pullback.ones(2, dtype=pullback.int64).type()


WINDOWS = [("hann_window", (5,)), ("hann_window", (5, False)), ("hann_window", (1,)), ("hann_window", (0,)),
           ("hamming_window", (6,)), ("hamming_window", (6, True, 0.5, 0.5)), ("hamming_window", (6, False, 0.6, 0.3)),
           ("bartlett_window", (5,)), ("bartlett_window", (6, False)), ("blackman_window", (7,)),
           ("blackman_window", (7, False)), ("kaiser_window", (4,)), ("kaiser_window", (6, False, 5.0))]


@pytest.mark.parametrize("name,args", WINDOWS)
def test_old_window_functions_match_torch(name, args):
    for dtype in ("float32", "float64"):
        ours = getattr(pullback, name)(*args, dtype=getattr(pullback, dtype))
        theirs = getattr(torch, name)(*args, dtype=getattr(torch, dtype))
        assert str(ours.dtype) == str(theirs.dtype).replace("torch", "pullback")
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6 if dtype == "float32" else 1e-12,
                                   atol=1e-7 if dtype == "float32" else 1e-14)


def test_settings_are_recorded_and_reported_as_torch():
    assert pullback.get_float32_matmul_precision() == torch.get_float32_matmul_precision() == "highest"
    assert pullback.are_deterministic_algorithms_enabled() is False and pullback.get_deterministic_debug_mode() == 0
    try:
        pullback.set_num_threads(3)
        assert pullback.get_num_threads() == 3
        pullback.set_float32_matmul_precision("medium")
        assert pullback.get_float32_matmul_precision() == "medium"
        with pytest.warns(UserWarning, match="is not one of 'highest', 'high', or 'medium'"):
            pullback.set_float32_matmul_precision("lowest")
        assert pullback.get_float32_matmul_precision() == "medium"
        pullback.use_deterministic_algorithms(True, warn_only=True)
        assert pullback.are_deterministic_algorithms_enabled() and pullback.is_deterministic_algorithms_warn_only_enabled()
        assert pullback.get_deterministic_debug_mode() == 1
        pullback.set_deterministic_debug_mode("error")
        assert pullback.get_deterministic_debug_mode() == 2
        pullback.set_anomaly_enabled(True)
        assert pullback.is_anomaly_enabled() and pullback.is_anomaly_check_nan_enabled()
    finally:
        pullback.set_num_threads(1)
        pullback.set_float32_matmul_precision("highest")
        pullback.set_deterministic_debug_mode(0)
        pullback.set_anomaly_enabled(False)
    assert str(pullback.get_default_device()) == str(torch.get_default_device()) == "cpu"
    pullback.set_default_device("cpu")
    with pytest.raises(RuntimeError, match="CPU only"):
        pullback.set_default_device("cuda")


@pytest.mark.parametrize("call", [lambda m: m.set_num_threads(0), lambda m: m.set_deterministic_debug_mode("x"),
                                  lambda m: m.set_deterministic_debug_mode(5)])
def test_setting_errors_match_torch(call):
    assert_same_error(call)


DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]


def test_can_cast_matches_torch_for_every_pair():
    for a in DTYPES:
        for b in DTYPES:
            assert pullback.can_cast(getattr(pullback, a), getattr(pullback, b)) == \
                torch.can_cast(getattr(torch, a), getattr(torch, b)), (a, b)
    assert_same_error(lambda m: m.can_cast(m.float32, 3), TypeError)


@pytest.mark.parametrize("values,kwargs", [([1.0, 2.0, 3.0], {}), ([1, 2, 3], {"N": 2, "increasing": True}),
                                           ([1.0, 2.0], {"N": 0}), ([1.0, 2.0], {"N": 1}), ([0.5, -1.5, 2.0], {"N": 4})])
def test_vander_matches_torch_with_gradients(values, kwargs):
    floating = isinstance(values[0], float)
    ours, theirs = pullback.tensor(values, requires_grad=floating), torch.tensor(values, requires_grad=floating)
    out, expected = pullback.vander(ours, **kwargs), torch.vander(theirs, **kwargs)
    assert str(out.dtype).split(".")[1] == str(expected.dtype).split(".")[1]
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy())
    assert out.requires_grad == expected.requires_grad
    if expected.requires_grad:
        # torch.vander's own backward fails (an in-place cumprod on a view of its result); the same
        # matrix from torch.linalg.vander, flipped as torch.vander flips it, differentiates
        assert out.grad_fn.name() == type(expected.grad_fn).__name__
        cotangent = rng.standard_normal(tuple(expected.shape))
        out.backward(pullback.tensor(cotangent))
        increasing = torch.linalg.vander(theirs, N=kwargs.get("N", len(values)))
        (increasing if kwargs.get("increasing") else increasing.flip(-1)).backward(torch.tensor(cotangent))
        np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-6)
        x64 = pullback.tensor(values, dtype=pullback.float64, requires_grad=True)
        assert pullback.autograd.gradcheck(lambda x: pullback.vander(x, **kwargs), (x64,))
        assert pullback.autograd.gradgradcheck(lambda x: pullback.vander(x, **kwargs), (x64,))


@pytest.mark.parametrize("call", [lambda m: m.vander(m.ones(2, 2)), lambda m: m.vander(m.ones(2), -1)])
def test_vander_errors_match_torch(call):
    assert_same_error(call)


@pytest.mark.parametrize("args,kwargs", [((0, 3), {}), ((1, 2, 0.5), {}), ((0, 1, 0.3), {}), ((5, 1, -1), {}),
                                         ((0, 3), {"dtype": "float64"}), ((0, 3), {"dtype": "int64"})])
def test_range_matches_torch(args, kwargs):
    def call(m):
        with pytest.warns(UserWarning, match="torch.range is deprecated"):
            return m.range(*args, **{k: getattr(m, v) for k, v in kwargs.items()})
    ours, theirs = call(pullback), call(torch)
    assert str(ours.dtype).split(".")[1] == str(theirs.dtype).split(".")[1]
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-7)


@pytest.mark.parametrize("args", [(1, 0), (4,)])
def test_range_errors_match_torch(args):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises((RuntimeError, TypeError)) as theirs:
            torch.range(*args)
        with pytest.raises(type(theirs.value)) as ours:
            pullback.range(*args)
    assert str(ours.value) == str(theirs.value)
