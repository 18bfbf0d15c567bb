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
