"""torch's ModuleInfo database (module_db) as the specification of pullback's modules.

For every module_db entry whose class pullback has (``pullback.nn.<Name>``), every input torch
tests it with, in float64 and float32, in train and in eval mode: the module built from the same
constructor arguments, with torch's parameters and buffers loaded, gives torch's outputs (values,
dtypes, shapes), torch's buffers after the forward (running statistics), and torch's input and
parameter gradients for the same seeded cotangents. Random modules compare shapes and dtypes only.
Every ``module_error_inputs_func`` entry: torch's exception type and message, at the same stage.

One test per module, dtype, mode and input index. Inputs known to differ are listed in
``spec_known_failures_modules.json`` (``Module|dtype-mode|index``, ``Module|error|index``) with the difference seen,
strictly both ways (see ``spec_known.py``, which also describes the record mode).
"""
import math

import pytest

import spec_known
import torch_spec as S

pytestmark = pytest.mark.skipif(not S.HAVE_TORCH, reason="the oracle extra (torch, expecttest) is not installed")

if S.HAVE_TORCH:
    import torch_spec_modules as M

KNOWN = spec_known.KnownFailures("spec_known_failures_modules.json")


def _cases():
    if not S.HAVE_TORCH:
        return []
    cases = []
    for info in M.module_db():
        for dtype_name in M.MODULE_DTYPES:
            for mode in M.MODES:
                for index in range(len(M.module_inputs(info, dtype_name, mode))):
                    cases.append(pytest.param(info, dtype_name, mode, index,
                                              id=f"{M.module_name(info)}-{dtype_name}-{mode}-{index}"))
    return cases


@pytest.mark.parametrize("info,dtype_name,mode,index", _cases())
def test_module(info, dtype_name, mode, index):
    module_input = M.module_inputs(info, dtype_name, mode)[index]
    KNOWN.check_case((M.module_name(info), f"{dtype_name}-{mode}", str(index)),
                     lambda: M.check_module(info, module_input, dtype_name, mode, seed=index),
                     skip=S.Unsupported)


def _error_cases():
    if not S.HAVE_TORCH:
        return []
    return [pytest.param(info, id=M.module_name(info)) for info in M.module_db() if M.module_error_inputs(info)]


@pytest.mark.parametrize("info", _error_cases())
def test_error_inputs(info):
    KNOWN.check_all(M.module_name(info), "error", M.module_error_inputs(info),
                    lambda index, error_input: M.check_module_error(info, error_input), skip=S.Unsupported)


def test_known_failures_name_real_cases():
    """Every listed failure names a module pullback has, a dtype and mode, and an existing input."""
    inputs = {(M.module_name(info), f"{dtype_name}-{mode}"): len(M.module_inputs(info, dtype_name, mode))
              for info in M.module_db() for dtype_name in M.MODULE_DTYPES for mode in M.MODES}
    inputs.update({(M.module_name(info), "error"): len(M.module_error_inputs(info)) for info in M.module_db()})
    stale = [k for k in KNOWN.known if len(k) != 3 or not k[2].isdigit() or int(k[2]) >= inputs.get(k[:2], 0)]
    assert not stale, stale
    assert all(reason.strip() for reason in KNOWN.known.values())


# Class-loss targets beyond module_db's error inputs: (function, input shape, target shape, target
# dtype, keyword arguments with "weight" as a (shape, dtype) pair). torch decides each case: an error
# (type and message) or a value.
_CLASS_LOSS_CASES = [
    ("cross_entropy", (2, 3), (2, 3), "int64", {}),
    ("cross_entropy", (2, 3), (2,), "float64", {}),
    ("cross_entropy", (2, 3), (2,), "int64", {"weight": ((2,), "float64")}),
    ("cross_entropy", (2, 3), (2, 3), "float64", {"ignore_index": 1}),
    ("cross_entropy", (2, 3), (2, 3), "float64", {"weight": ((2,), "float64"), "ignore_index": 1}),
    ("cross_entropy", (2, 3), (2, 3), "float64", {"weight": ((2,), "float64"), "label_smoothing": 1.5}),
    ("cross_entropy", (2, 3), (2, 3), "float64", {"label_smoothing": 1.5}),
    ("cross_entropy", (2, 3), (2, 3), "float32", {"weight": ((3,), "float32")}),
    ("cross_entropy", (2, 3), (2,), "int64", {"label_smoothing": 1.5}),
    ("cross_entropy", (2, 3), (2,), "float64", {"label_smoothing": 0.5}),
    ("cross_entropy", (2, 3), (2,), "int64", {"label_smoothing": -0.1}),
    ("cross_entropy", (2, 3), (2,), "int32", {"label_smoothing": 0.5}),
    ("cross_entropy", (2, 3), (2,), "uint8", {"label_smoothing": 0.2}),
    ("cross_entropy", (2, 3, 5), (2, 4), "int64", {}),
    ("cross_entropy", (2, 3, 4), (2, 4), "int64", {"label_smoothing": 0.5, "weight": ((2,), "float64")}),
    ("cross_entropy", (2, 3, 4), (2, 4), "uint8", {"label_smoothing": 0.5}),
    ("cross_entropy", (2, 3, 4), (2, 5), "int64", {"label_smoothing": 0.5}),
    ("cross_entropy", (2, 3), (2,), "int32", {}),
    ("cross_entropy", (2, 3), (2,), "uint8", {}),
    ("cross_entropy", (2, 3), (2,), "bool", {}),
    ("cross_entropy", (2, 3), (2, 1), "int64", {}),
    ("cross_entropy", (2, 3), (2,), "int64", {"weight": ((3,), "float32")}),
    ("cross_entropy", (2, 3, 4, 5), (2, 4, 5), "uint8", {}),
    ("nll_loss", (2, 3), (2,), "float64", {}),
    ("nll_loss", (2, 3), (2,), "int32", {}),
    ("nll_loss", (2, 3), (2,), "bool", {}),
    ("nll_loss", (2, 3), (2,), "uint8", {}),
    ("nll_loss", (2, 3), (2, 1), "float64", {}),
    ("nll_loss", (2, 3), (2, 1), "int64", {"weight": ((2,), "float64")}),
    ("nll_loss", (2, 3), (3, 1), "int64", {}),
    ("nll_loss", (2, 3), (2,), "int64", {"weight": ((2,), "float64")}),
    ("nll_loss", (2, 3), (2,), "float64", {"weight": ((2,), "float64")}),
    ("nll_loss", (2, 3), (2,), "float64", {"weight": ((3,), "float32")}),
    ("nll_loss", (2, 3), (2,), "int64", {"weight": ((2,), "float32")}),
    ("nll_loss", (2, 3), (2,), "int64", {"weight": ((3,), "float32")}),
    ("nll_loss", (3,), (), "float64", {}),
    ("nll_loss", (3,), (2,), "int64", {}),
    ("nll_loss", (3,), (1,), "int64", {}),
    ("nll_loss", (3,), (1,), "int64", {"reduction": "none"}),
    ("nll_loss", (3,), (1, 1), "int64", {}),
    ("nll_loss", (2, 3, 5), (2, 4), "int64", {}),
    ("nll_loss", (2, 3, 4), (2, 4), "float64", {}),
    ("nll_loss", (2, 3, 4), (2, 5), "float64", {}),
    ("nll_loss", (2, 3, 4), (2, 4), "int64", {"weight": ((2,), "float64")}),
    ("nll_loss", (2, 3, 4), (2, 4), "float64", {"weight": ((2,), "float64")}),
    ("nll_loss", (2, 3, 4, 5), (2, 4), "int64", {}),
    ("nll_loss", (2, 3, 4, 5), (2, 4, 6), "int64", {}),
    ("nll_loss", (2, 3, 4, 5), (2, 4, 5), "float64", {}),
    ("nll_loss", (2, 3, 4, 5), (2, 4, 5), "uint8", {}),
    ("nll_loss", (2, 3, 4, 5), (2, 4, 5), "int64", {"weight": ((2,), "float64")}),
    ("nll_loss", (2, 3, 4, 5, 6), (2, 4, 5, 7), "int64", {}),
    ("nll_loss", (2, 3, 4, 5, 6), (2, 4, 5, 6), "uint8", {}),
]


@pytest.mark.parametrize("fn,input_shape,target_shape,target_dtype,kwargs", _CLASS_LOSS_CASES,
                         ids=[f"{c[0]}-{c[1]}-{c[2]}-{c[3]}-{sorted(c[4])}" for c in _CLASS_LOSS_CASES])
def test_class_loss_targets_as_torch(fn, input_shape, target_shape, target_dtype, kwargs):
    """cross_entropy and nll_loss check targets and weights as torch does: the same error, in
    torch's order, or the same value."""
    import pullback

    def call(lib):
        kw = dict(kwargs)
        if "weight" in kw:
            shape, dtype = kw["weight"]
            kw["weight"] = lib.ones(shape, dtype=getattr(lib, dtype))
        logits = lib.linspace(-1.0, 1.0, max(1, math.prod(input_shape)), dtype=lib.float64)
        target = lib.zeros(target_shape, dtype=getattr(lib, target_dtype))
        return getattr(lib.nn.functional, fn)(logits.reshape(input_shape), target, **kw)

    try:
        expected = call(S.torch)
    except Exception as e:  # noqa: BLE001  (torch's error is the expected outcome)
        with pytest.raises(type(e)) as raised:
            call(pullback)
        assert str(raised.value) == str(e)
        return
    S.assert_same(call(pullback), expected)
