"""torch's optimizer database (optim_db) as the specification of pullback's optimizers.

For every optim_db entry whose optimizer pullback has (``pullback.optim.<Name>``), every optimizer
input torch tests it with (``optim_inputs_func``, with each implementation flag: foreach,
differentiable, fused), in float64 and float32: the same parameters (a
0-dim one, a matrix, and a vector whose gradient is None in some steps) given the same gradients,
for STEPS steps; after each step, the same parameters and the same ``state_dict()`` (state and
parameter groups, values and types). The entry's learning-rate schedulers (``scheduler_inputs``)
run with its default input, stepped after each optimizer step, with the same checks plus
``get_last_lr()``. Every ``optim_error_inputs_func`` entry: torch's exception (or warning) type
and message.

One test per optimizer, input and dtype (and per scheduler set). Cases known to differ are listed
in ``spec_known_failures_optim.json`` (``Name|dtype|index``, ``Name|sched|index``, ``Name|error|index``), strictly both
ways (see ``spec_known.py``, which also describes the record mode).
"""
import functools
import types

import numpy as np
import pytest

import pullback
import spec_known
import torch_spec as S
from torch_spec import torch

pytestmark = pytest.mark.skipif(not S.HAVE_TORCH, reason="the oracle extra (torch, expecttest) is not installed")

KNOWN = spec_known.KnownFailures("spec_known_failures_optim.json")

STEPS = 5
OPTIM_DTYPES = ("float64", "float32")
PARAM_SHAPES = ((), (3, 4), (5,))
NO_GRAD_STEPS = {2: (0, 3)}         # parameter index -> the steps in which its grad is None
PLATEAU_METRICS = (1.0, 0.9, 0.95, 0.97, 0.99)   # what ReduceLROnPlateau.step sees after each step


@functools.lru_cache(maxsize=None)
def optim_db():
    if not S.HAVE_TORCH:
        return ()
    from torch.testing._internal.common_optimizers import optim_db as db
    return tuple(info for info in db if hasattr(pullback.optim, info.optim_cls.__name__))


def optim_name(info):
    return info.optim_cls.__name__


@functools.lru_cache(maxsize=None)
def optim_inputs(info, dtype_name):
    """The entry's optimizer inputs, each also with the implementation flags it supports
    (foreach, differentiable, fused), as torch's own optimizer tests run them."""
    from torch.testing._internal.common_optimizers import _get_optim_inputs_including_global_cliquey_kwargs
    return tuple(_get_optim_inputs_including_global_cliquey_kwargs("cpu", getattr(torch, dtype_name), info))


def _initial_params():
    rng = np.random.default_rng(0)
    return [rng.standard_normal(shape) for shape in PARAM_SHAPES]


def _gradients():
    """The gradient of each parameter in each step (None where NO_GRAD_STEPS says so)."""
    rng = np.random.default_rng(1)
    return [[None if step in NO_GRAD_STEPS.get(i, ()) else rng.standard_normal(shape)
             for i, shape in enumerate(PARAM_SHAPES)] for step in range(STEPS)]


def _with_pullback_schedulers(make):
    """A scheduler lambda of torch's database, with pullback's scheduler classes in its globals."""
    globals_ = dict(make.__globals__)
    for name in make.__code__.co_names:
        value = globals_.get(name)
        if isinstance(value, type) and value.__module__ == "torch.optim.lr_scheduler":
            assert hasattr(pullback.optim.lr_scheduler, name), f"pullback.optim.lr_scheduler has no {name}"
            globals_[name] = getattr(pullback.optim.lr_scheduler, name)
    return types.FunctionType(make.__code__, globals_, make.__name__, make.__defaults__, make.__closure__)


def run(lib, name, kwargs, dtype_name, make_schedulers=()):
    """STEPS optimizer steps; after each: (parameters, state_dict, last learning rates)."""
    dtype = getattr(lib, dtype_name)
    params = [lib.tensor(a, dtype=dtype, requires_grad=True) for a in _initial_params()]
    if kwargs.get("differentiable"):  # a differentiable step updates non-leaves (torch refuses leaves)
        params = [p.clone() for p in params]
    optimizer = getattr(lib.optim, name)(params, **kwargs)
    schedulers = [make(optimizer) for make in make_schedulers]
    history = []
    for step, grads in enumerate(_gradients()):
        for p, g in zip(params, grads):
            p.grad = None if g is None else lib.tensor(g, dtype=dtype)
        optimizer.step()
        for scheduler in schedulers:
            plateau = type(scheduler).__name__ == "ReduceLROnPlateau"
            scheduler.step(PLATEAU_METRICS[step]) if plateau else scheduler.step()
        history.append(snapshot(([p.detach() for p in params], optimizer.state_dict(),
                                 [s.get_last_lr() for s in schedulers])))
    return history


def snapshot(obj):
    """A copy of nested containers whose tensors are cloned (torch's state_dict holds references)."""
    return S.map_tensors(lambda t: t.detach().clone(), obj)


def assert_same_value(actual, expected, what):
    """A state or hyperparameter value: tensors by value, dtype and shape; the rest by type and value."""
    if isinstance(expected, torch.Tensor):
        S.assert_same(actual, expected, what=what)
    elif isinstance(expected, (list, tuple)):
        assert type(actual) is type(expected) and len(actual) == len(expected), \
            f"{what}: {actual!r}, torch's is {expected!r}"
        for i, (a, e) in enumerate(zip(actual, expected)):
            assert_same_value(a, e, f"{what}[{i}]")
    elif isinstance(expected, dict):
        assert sorted(actual, key=str) == sorted(expected, key=str), \
            f"{what}: keys {sorted(actual, key=str)}, torch's are {sorted(expected, key=str)}"
        for key, value in expected.items():
            assert_same_value(actual[key], value, f"{what}[{key!r}]")
    else:
        S.assert_same_one(actual, expected, rtol=None, atol=None, what=what)


def assert_same_runs(ours, theirs):
    for step, ((params, state, lrs), (t_params, t_state, t_lrs)) in enumerate(zip(ours, theirs)):
        for i, (p, t) in enumerate(zip(params, t_params)):
            S.assert_same(p, t, what=f"step {step}: parameter {i}")
        assert_same_value(state, t_state, f"step {step}: state_dict")
        assert_same_value(lrs, t_lrs, f"step {step}: get_last_lr()")


def check_input(info, optim_input, dtype_name, make_schedulers=()):
    assert optim_input.params is None, "inputs with their own parameter groups are not run yet"
    name = optim_name(info)
    ours = functools.partial(run, pullback, name, S.to_pb(optim_input.kwargs), dtype_name,
                             [_with_pullback_schedulers(make) for make in make_schedulers])
    try:
        theirs = run(torch, name, optim_input.kwargs, dtype_name, make_schedulers)
    except Exception as e:  # noqa: BLE001  (torch's own error is what pullback must raise)
        check_raises_as_torch(ours, e, optim_input)
        return
    assert_same_runs(ours(), theirs)


def check_raises_as_torch(ours, torch_error, optim_input):
    """Where torch raises, pullback must raise the same type; torch failing where pullback steps
    is listed as a TorchRaises, naming torch's bug where it is known."""
    try:
        ours()
    except type(torch_error):
        return
    kwargs = optim_input.kwargs
    bug = "torch's fused SGD with momentum fails when a parameter gets its first gradient after step 1: " \
        if kwargs.get("fused") and kwargs.get("momentum") and NO_GRAD_STEPS else ""
    raise S.TorchRaises(f"{bug}torch raises {type(torch_error).__name__} ({torch_error}), pullback steps")


def _input_cases():
    return [pytest.param(info, dtype_name, index, id=f"{optim_name(info)}-{dtype_name}-{index}")
            for info in optim_db() for dtype_name in OPTIM_DTYPES
            for index in range(len(optim_inputs(info, dtype_name)))]


def _scheduler_cases():
    return [pytest.param(info, index, id=f"{optim_name(info)}-sched-{index}")
            for info in optim_db() for index in range(len(info.scheduler_inputs))]


@pytest.mark.parametrize("info,dtype_name,index", _input_cases())
def test_optimizer(info, dtype_name, index):
    optim_input = optim_inputs(info, dtype_name)[index]
    KNOWN.check_case((optim_name(info), dtype_name, str(index)),
                     lambda: check_input(info, optim_input, dtype_name), skip=S.Unsupported)


@pytest.mark.parametrize("info,index", _scheduler_cases())
def test_schedulers(info, index):
    default = optim_inputs(info, "float64")[0]
    KNOWN.check_case((optim_name(info), "sched", str(index)),
                     lambda: check_input(info, default, "float64", info.scheduler_inputs[index]),
                     skip=S.Unsupported)


def check_error_input(info, error_input):
    """pullback raises (or warns) torch's exception type with a message matching torch's, where
    torch does: at construction, or at the first step."""
    import re
    import warnings
    from torch.testing._internal.common_optimizers import OptimizerErrorEnum
    optim_input = error_input.optimizer_error_input
    # (to_pb turns a parameter met twice into one pullback parameter: duplicates stay duplicates)
    params = S.to_pb(optim_input.params) if optim_input.params is not None else \
        [pullback.zeros(2, 3, requires_grad=True)]
    kwargs = S.to_pb(optim_input.kwargs)
    cls = getattr(pullback.optim, optim_name(info))
    expected = error_input.error_type
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        try:
            optimizer = cls(params, **kwargs)
            if error_input.error_on == OptimizerErrorEnum.STEP_ERROR:
                optimizer.step()
        except Exception as e:  # noqa: BLE001  (comparing exception types is the point)
            assert not issubclass(expected, Warning) and isinstance(e, expected), \
                f"raises {type(e).__name__}: {e}; torch: {expected.__name__} {error_input.error_regex!r}"
            assert re.search(error_input.error_regex, str(e)), f"message {str(e)!r}; torch's: {error_input.error_regex!r}"
            return
    if issubclass(expected, Warning):
        assert any(issubclass(w.category, expected) and re.search(error_input.error_regex, str(w.message))
                   for w in seen), f"no {expected.__name__} matching {error_input.error_regex!r}"
        return
    raise AssertionError(f"raises nothing; torch raises {expected.__name__}: {error_input.error_regex!r}")


def _error_cases():
    return [pytest.param(info, id=optim_name(info)) for info in optim_db() if info.optim_error_inputs_func]


@pytest.mark.parametrize("info", _error_cases())
def test_error_inputs(info):
    errors = info.optim_error_inputs_func(device="cpu", dtype=torch.float32)
    KNOWN.check_all(optim_name(info), "error", errors, lambda index, e: check_error_input(info, e),
                    skip=S.Unsupported)


def test_known_failures_name_real_cases():
    """Every listed failure names an optimizer pullback has and an existing input or scheduler set."""
    counts = {(optim_name(info), dtype_name): len(optim_inputs(info, dtype_name))
              for info in optim_db() for dtype_name in OPTIM_DTYPES}
    counts.update({(optim_name(info), "sched"): len(info.scheduler_inputs) for info in optim_db()})
    counts.update({(optim_name(info), "error"): len(info.optim_error_inputs_func(device="cpu", dtype=torch.float32))
                   for info in optim_db() if info.optim_error_inputs_func})
    stale = [k for k in KNOWN.known if len(k) != 3 or not k[2].isdigit() or int(k[2]) >= counts.get(k[:2], 0)]
    assert not stale, stale
    assert all(reason.strip() for reason in KNOWN.known.values())
