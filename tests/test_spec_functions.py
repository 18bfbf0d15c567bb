"""torch's autograd.Function database (``autograd_function_db``) as pullback's specification.

Each entry's op is a custom ``torch.autograd.Function`` (NumpyCube, NumpyMul, NumpySort, ...).
Its pullback twin is the same class body run with ``torch`` rebound to ``pullback``: every
Function class of torch's module is rebuilt on ``pullback.autograd.Function`` with its methods'
globals pointing at pullback and at the other rebuilt classes (see ``pullback_functions``).

For every entry and float64 sample, against torch on the same inputs: forward values; first- (and
where torch has them second-) order VJPs with ``autograd.grad``; where the Function has a ``jvp``
(``supports_forward_ad``), forward mode by dual numbers (``forward_ad``) and by ``func.jvp``;
where it has a ``vmap`` staticmethod or ``generate_vmap_rule``, ``vmap`` over a batch of three
samples; ``func.grad`` of a weighted sum of the outputs, and ``vmap`` over it (per-sample
gradients, where both apply); ``func.jacrev`` (and ``func.jacfwd`` where it has a ``jvp``). Known differences are listed in
``spec_known_failures_functions.json`` (strict both ways, see ``spec_known``).
"""
import functools
import types

import numpy as np
import pytest

import pullback
import torch_spec as S
from spec_known import KnownFailures

pytestmark = pytest.mark.skipif(not S.HAVE_TORCH, reason="the oracle extra (torch, expecttest) is not installed")

KNOWN = KnownFailures("spec_known_failures_functions.json")
BATCH = 3


# ----------------------------------------------------------------------------- the pullback twins

def _rebind(fn, globals_):
    """``fn`` with ``globals_`` as its globals (a once_differentiable wrapper is rebuilt around
    the rebound original)."""
    if isinstance(fn, staticmethod):
        return staticmethod(_rebind(fn.__func__, globals_))
    if not isinstance(fn, types.FunctionType):
        return fn
    if hasattr(fn, "__wrapped__"):                    # torch's once_differentiable
        return pullback.autograd.function.once_differentiable(_rebind(fn.__wrapped__, globals_))
    rebound = types.FunctionType(fn.__code__, globals_, fn.__name__, fn.__defaults__, fn.__closure__)
    rebound.__kwdefaults__ = fn.__kwdefaults__
    return rebound


@functools.lru_cache(maxsize=None)
def pullback_functions():
    """The module's namespace rebuilt for pullback: ``torch`` is ``pullback`` and every
    ``torch.autograd.Function`` subclass is a ``pullback.autograd.Function`` subclass."""
    import torch.testing._internal.autograd_function_db as db
    globals_ = {name: (pullback if value is S.torch else value) for name, value in vars(db).items()}
    for name, value in vars(db).items():
        if isinstance(value, types.FunctionType) and value.__module__ == db.__name__:
            globals_[name] = _rebind(value, globals_)
        elif isinstance(value, type) and issubclass(value, S.torch.autograd.Function) \
                and value.__module__ == db.__name__:
            attrs = {k: _rebind(v, globals_) for k, v in vars(value).items() if k not in ("__dict__", "__weakref__")}
            globals_[name] = type(name, (pullback.autograd.Function,), attrs)
    return globals_


def pullback_op(entry):
    """The entry's op for pullback: a rebuilt Function's ``apply``, or the entry's lambda rebound."""
    fn = entry.op
    functions = pullback_functions()
    if isinstance(fn, types.MethodType):                          # SomeFunction.apply
        return functions[fn.__self__.__name__].apply
    return _rebind(fn, functions)


def _function_class(entry):
    """The torch Function class an entry runs (its op is ``cls.apply`` or a lambda naming it)."""
    import torch.testing._internal.autograd_function_db as db
    fn = entry.op
    if isinstance(fn, types.MethodType):
        return fn.__self__
    return next(getattr(db, name) for name in fn.__code__.co_names
                if isinstance(getattr(db, name, None), type))


def _has_vmap(entry):
    cls = _function_class(entry)
    return getattr(cls, "generate_vmap_rule", False) or "vmap" in vars(cls)


def _entries(predicate=lambda entry: True):
    if not S.HAVE_TORCH:
        return []
    from torch.testing._internal.autograd_function_db import autograd_function_db
    return [pytest.param(entry, id=entry.name) for entry in autograd_function_db if predicate(entry)]


def _samples(entry, requires_grad=False):
    S.torch.manual_seed(0)
    return list(entry.sample_inputs("cpu", S.torch.float64, requires_grad=requires_grad))


# ----------------------------------------------------------------------------- the checks

def _float_inputs(lib, args):
    """Positions of the floating-point Tensors among ``args``."""
    return [i for i, a in enumerate(args) if isinstance(a, lib.Tensor) and a.is_floating_point()]


def _seeded_like(lib, tensors, seed):
    rng = np.random.default_rng(seed)
    return [lib.tensor(rng.standard_normal(tuple(t.shape)), dtype=t.dtype) for t in tensors]


def _fill(args, positions, values):
    full = list(args)
    for i, v in zip(positions, values):
        full[i] = v
    return full


def _detached(lib, args):
    return [a.detach() if isinstance(a, lib.Tensor) else a for a in args]


def _float_outputs(lib, out):
    flat = out if isinstance(out, tuple) else (out,)
    return [o for o in flat if isinstance(o, lib.Tensor) and o.is_floating_point()]


def func_jvp(lib, fn, args, kwargs, seed):
    args = _detached(lib, args)
    pos = _float_inputs(lib, args)
    tangents = _seeded_like(lib, [args[i] for i in pos], seed)
    out, tangent_out = lib.func.jvp(lambda *d: fn(*_fill(args, pos, d), **kwargs),
                                    tuple(args[i] for i in pos), tuple(tangents))
    return out, tangent_out


def dual_numbers(lib, fn, args, kwargs, seed):
    fwAD = lib.autograd.forward_ad
    args = _detached(lib, args)
    pos = _float_inputs(lib, args)
    tangents = _seeded_like(lib, [args[i] for i in pos], seed)
    with fwAD.dual_level():
        duals = [fwAD.make_dual(args[i], t) for i, t in zip(pos, tangents)]
        out = fn(*_fill(args, pos, duals), **kwargs)
        unpacked = [fwAD.unpack_dual(o) for o in (out if isinstance(out, tuple) else (out,))]
        return [(u.primal.detach(), None if u.tangent is None else u.tangent.clone()) for u in unpacked
                if isinstance(u.primal, lib.Tensor) and u.primal.is_floating_point()]


def _batched(lib, args):
    """Each Tensor argument as a batch of BATCH samples (dim 0); floats vary from sample to sample."""
    batched = []
    for a in args:
        if isinstance(a, lib.Tensor):
            scale = lib.tensor([1.0, 1.25, 0.75][:BATCH], dtype=a.dtype) if a.is_floating_point() else None
            stacked = lib.stack([a.detach()] * BATCH)
            batched.append(stacked * scale.reshape(BATCH, *([1] * a.ndim)) if scale is not None else stacked)
        else:
            batched.append(a)
    return batched


def vmapped(lib, fn, args, kwargs):
    in_dims = tuple(0 if isinstance(a, lib.Tensor) else None for a in args)
    return lib.func.vmap(lambda *a: fn(*a, **kwargs), in_dims=in_dims)(*_batched(lib, args))


def vmapped_grad(lib, fn, args, kwargs, seed):
    """Per-sample gradients: ``vmap`` over ``func.grad`` (the backward runs on batched values)."""
    in_dims = tuple(0 if isinstance(a, lib.Tensor) else None for a in args)
    return lib.func.vmap(lambda *a: func_grad(lib, fn, a, kwargs, seed), in_dims=in_dims)(*_batched(lib, args))


def func_grad(lib, fn, args, kwargs, seed):
    args = _detached(lib, args)
    pos = _float_inputs(lib, args)
    with lib.no_grad():
        weights = _seeded_like(lib, _float_outputs(lib, fn(*args, **kwargs)), seed)

    def loss(*diff):
        outs = _float_outputs(lib, fn(*_fill(args, pos, diff), **kwargs))
        return sum((o * w).sum() for o, w in zip(outs, weights))
    return lib.func.grad(loss, argnums=tuple(range(len(pos))))(*[args[i] for i in pos])


def jacobian(lib, fn, args, kwargs, transform):
    """``func.jacrev``/``func.jacfwd`` of the floating-point outputs in every float input."""
    args = _detached(lib, args)
    pos = _float_inputs(lib, args)

    def outputs(*diff):
        return tuple(_float_outputs(lib, fn(*_fill(args, pos, diff), **kwargs)))
    return getattr(lib.func, transform)(outputs, argnums=tuple(range(len(pos))))(*[args[i] for i in pos])


def _compare(compute, entry, sample):
    """``compute(lib, fn, args, kwargs)`` in torch and in pullback, on the sample's values."""
    args, kwargs = S.sample_args(sample)
    try:
        expected = compute(S.torch, entry.op, list(args), kwargs)
    except Exception as e:  # noqa: BLE001
        raise S.TorchRaises(f"{type(e).__name__}: {e}") from e
    actual = compute(pullback, pullback_op(entry), S.to_pb(list(args)), S.to_pb(kwargs))
    S.assert_same(_leaves(actual), _leaves(expected))


def _leaves(tree):
    """The values of nested tuples, lists and dicts (dicts by key), as one flat list."""
    if isinstance(tree, dict):
        return [leaf for key in sorted(tree) for leaf in _leaves(tree[key])]
    if isinstance(tree, (list, tuple)) and not isinstance(tree, (S.torch.Size, pullback.Size)):
        return [leaf for item in tree for leaf in _leaves(item)]
    return [tree]


def _run(entry, kind, cases, check):
    KNOWN.check_all(entry.name, kind, cases, check, skip=(S.Unsupported, S.TorchRaises))


# ----------------------------------------------------------------------------- the tests

@pytest.mark.parametrize("entry", _entries())
def test_forward(entry):
    fn = pullback_op(entry)
    _run(entry, "forward", _samples(entry), lambda index, sample: S.check_forward(entry, fn, sample))


@pytest.mark.parametrize("entry", _entries(lambda entry: entry.supports_autograd))
def test_gradients(entry):
    fn = pullback_op(entry)
    _run(entry, "grad", _samples(entry, requires_grad=True),
         lambda index, sample: S.check_gradients(entry, fn, index, sample))


@pytest.mark.parametrize("entry", _entries(lambda entry: entry.supports_forward_ad))
def test_forward_ad(entry):
    _run(entry, "forward_ad", _samples(entry), lambda index, sample: _compare(
        lambda lib, fn, args, kwargs: dual_numbers(lib, fn, args, kwargs, index), entry, sample))


@pytest.mark.parametrize("entry", _entries(lambda entry: entry.supports_forward_ad))
def test_func_jvp(entry):
    _run(entry, "jvp", _samples(entry), lambda index, sample: _compare(
        lambda lib, fn, args, kwargs: func_jvp(lib, fn, args, kwargs, index), entry, sample))


@pytest.mark.parametrize("entry", _entries(_has_vmap))
def test_vmap(entry):
    _run(entry, "vmap", _samples(entry), lambda index, sample: _compare(vmapped, entry, sample))


@pytest.mark.parametrize("entry", _entries(lambda entry: entry.supports_autograd))
def test_func_grad(entry):
    _run(entry, "func_grad", _samples(entry), lambda index, sample: _compare(
        lambda lib, fn, args, kwargs: func_grad(lib, fn, args, kwargs, index), entry, sample))


@pytest.mark.parametrize("entry", _entries(lambda entry: entry.supports_autograd and _has_vmap(entry)))
def test_vmap_grad(entry):
    _run(entry, "vmap_grad", _samples(entry), lambda index, sample: _compare(
        lambda lib, fn, args, kwargs: vmapped_grad(lib, fn, args, kwargs, index), entry, sample))


@pytest.mark.parametrize("entry", _entries(lambda entry: entry.supports_autograd))
def test_jacrev(entry):
    _run(entry, "jacrev", _samples(entry), lambda index, sample: _compare(
        lambda lib, fn, args, kwargs: jacobian(lib, fn, args, kwargs, "jacrev"), entry, sample))


@pytest.mark.parametrize("entry", _entries(lambda entry: entry.supports_forward_ad))
def test_jacfwd(entry):
    _run(entry, "jacfwd", _samples(entry), lambda index, sample: _compare(
        lambda lib, fn, args, kwargs: jacobian(lib, fn, args, kwargs, "jacfwd"), entry, sample))


def test_known_failures_name_real_cases():
    """Every listed failure names an entry of the database and a kind this file checks."""
    names = {entry.values[0].name for entry in _entries()}
    kinds = {"forward", "grad", "forward_ad", "jvp", "vmap", "func_grad", "vmap_grad", "jacrev", "jacfwd"}
    stale = [k for k in KNOWN.known if k[0] not in names or k[1] not in kinds or not k[2].isdigit()]
    assert not stale, stale
