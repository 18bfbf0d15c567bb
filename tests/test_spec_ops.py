"""torch's OpInfo database (op_db) as pullback's specification.

For every op_db entry pullback provides (see ``torch_spec.pullback_op``): every sample input in
float64, float32, int64 and bool where torch supports the dtype (values, shapes and dtypes); in
float64, first- and second-order VJPs with seeded random cotangents, against torch's; and every
``error_inputs`` entry: torch's exception type and a message matching torch's (an entry this torch
no longer raises on, a stale one, is held to what torch does: no exception).

One test per op, dtype and kind; a failing sample is named by its index and its repr. Samples known
to differ are listed in ``spec_known_failures.json`` with the reason (the difference seen); a listed
sample that starts passing fails the test too, so the list only shrinks.
"""
import pytest

import spec_known
import torch_spec as S

pytestmark = pytest.mark.skipif(not S.HAVE_TORCH, reason="the oracle extra (torch, expecttest) is not installed")

KNOWN = spec_known.KnownFailures("spec_known_failures.json")


def _entries():
    if not S.HAVE_TORCH:
        return []
    entries = []
    for op in S.op_db():
        if S.pullback_op(op) is None:
            continue
        for dtype_name in S.sample_dtypes(op):
            entries.append(pytest.param(op, dtype_name, id=f"{S.op_id(op)}-{dtype_name}"))
    return entries


def _ops(predicate=lambda op: True):
    if not S.HAVE_TORCH:
        return []
    return [pytest.param(op, id=S.op_id(op)) for op in S.op_db()
            if S.pullback_op(op) is not None and predicate(op)]


def _check_all(op_id, kind, cases, check):
    KNOWN.check_all(op_id, kind, cases, check, skip=S.Unsupported)


@pytest.mark.parametrize("op,dtype_name", _entries())
def test_forward(op, dtype_name):
    fn = S.pullback_op(op)
    S.torch.manual_seed(0)
    _check_all(S.op_id(op), dtype_name, S.samples(op, dtype_name),
               lambda index, sample: S.check_forward(op, fn, sample))


def _differentiable(op):
    return op.supports_autograd and S.torch.float64 in op.supported_backward_dtypes("cpu") \
        and S.op_id(op) not in S.UNCOMPARABLE_VALUES


@pytest.mark.parametrize("op", _ops(_differentiable))
def test_gradients(op):
    fn = S.pullback_op(op)
    S.torch.manual_seed(0)
    _check_all(S.op_id(op), "grad", S.samples(op, "float64", requires_grad=True),
               lambda index, sample: S.check_gradients(op, fn, index, sample))


def _raises_as_torch(fn, error_input, torch_fn):
    problem = S.check_error_input(fn, error_input, torch_fn)
    assert problem is None, problem


@pytest.mark.parametrize("op", _ops(lambda op: op.error_inputs_func is not None))
def test_error_inputs(op):
    fn = S.pullback_op(op)
    _check_all(S.op_id(op), "error", list(op.error_inputs("cpu")),
               lambda index, error_input: _raises_as_torch(fn, error_input, op.op))


def test_known_failures_name_real_cases():
    """Every listed failure names an op pullback provides and a kind this file checks."""
    provided = {S.op_id(op) for op in S.op_db() if S.pullback_op(op) is not None}
    kinds = set(S.SPEC_DTYPES) | {"grad", "error"}
    stale = [k for k in KNOWN.known if k[0] not in provided or k[1] not in kinds]
    assert not stale, stale
    assert all(reason.strip() for reason in KNOWN.known.values())
    assert all(k[2].isdigit() for k in KNOWN.known)


def test_to_pb_keeps_aliasing():
    """The converter keeps what torch's samples alias: one tensor met twice is one pullback tensor,
    and views of one storage (an out= slice, an expanded out=) view one copy of it with torch's
    strides, so pullback sees the overlap torch's error inputs are about."""
    import numpy as np
    base = S.torch.arange(12.0).reshape(3, 4)
    row, expanded, column = base[1], S.torch.zeros(1).expand(4), base[:, 1]
    twin = S.to_pb((base, {"out": base, "a": row, "b": column}, expanded))
    pb_base, kwargs, pb_expanded = twin
    assert kwargs["out"] is pb_base
    for pb, t in ((kwargs["a"], row), (kwargs["b"], column), (pb_expanded, expanded)):
        S.assert_same(pb, t)
        assert pb.stride() == t.stride()
    assert np.shares_memory(kwargs["a"].numpy(), pb_base.numpy())
    assert not np.shares_memory(pb_base.numpy(), base.numpy())  # a copy: pullback cannot write torch's
    kwargs["b"].add_(100)  # writes through one view show in the others, as in torch
    base[:, 1].add_(100)
    S.assert_same(pb_base, base)
    S.assert_same(kwargs["a"], row)
